"""Command-line values converted without Pydantic (extriage.cli.coercion): the same values and the
same errors as Typer's own coercion, and no Pydantic import in a scan's main process (issue 18)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from hypothesis import given, settings
from hypothesis import strategies as st

from extriage.cli import coercion
from extriage.cli.main import _register, app

pytest.importorskip("typer._coercion")
from typer._coercion import build_runtime_param  # Typer 0.2x: what the fast path stands in for
from typer.core import _TyperParameter

ROOT = Path(__file__).resolve().parents[2]


def _params() -> list[tuple[Any, Any]]:
    """(command, parameter) of every extriage command, groups walked."""
    _register(None)
    out: list[tuple[Any, Any]] = []

    def walk(command: Any) -> None:
        out.extend((command, p) for p in command.params)
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    walk(typer.main.get_command(app))
    return out


def _typer(command: Any, param: Any, value: Any) -> tuple[str, Any]:
    """What Typer's own (Pydantic) coercion makes of ``value``: ("ok", value) or ("error", message)."""
    ctx = command.make_context(command.name or "extriage", [], resilient_parsing=True)
    try:
        return "ok", build_runtime_param(param.type_descriptor).coerce(value, param=param, ctx=ctx)
    except Exception as exc:  # BadParameter: its message
        return "error", f"{type(exc).__name__}: {exc}"


def _ours(command: Any, param: Any, value: Any) -> tuple[str, Any]:
    ctx = command.make_context(command.name or "extriage", [], resilient_parsing=True)
    try:
        return "ok", coercion._Plain(param, build_runtime_param).coerce(value, param=param, ctx=ctx)
    except Exception as exc:
        return "error", f"{type(exc).__name__}: {exc}"


def _same(a: tuple[str, Any], b: tuple[str, Any]) -> bool:
    return repr(a) == repr(b) and type(a[1]) is type(b[1])  # repr: nan is nan


SAMPLES: dict[Any, list[Any]] = {
    str: [None, "", "hyperscan", " spaced ", "-", "ünï", "12", b"raw"],
    int: [None, 0, 64, -3, "0", "4", "-12", "007", "+4", " 4", "4_000", "1.0", "x", "", 4.0, True, "9" * 19],
    float: [None, 30.0, 0.5, "30", "2.5", "-0.25", "1e3", "inf", "nan", " 1", "x", "", 5, "0.1000000000000000055"],
    bool: [None, True, False, "true", "no", "", 1],
    list[str]: [None, [], (), ["a"], ("a", "b"), "a", [1], ["a", 2]],
}


def test_the_scans_parameters_are_plain_and_the_others_bounded() -> None:
    """Every ``scan`` parameter is one the fast path takes; elsewhere only numbers with bounds are
    not (they go to Typer's own coercion)."""
    params = _params()
    assert len(params) > 50
    assert [p.name for c, p in params if c.name == "scan" and not coercion.plain(p)] == []
    others = [p for c, p in params if not coercion.plain(p)]
    assert others and all(p.type_descriptor.parameter_info.min is not None or p.type_descriptor.parameter_info.max is not None for p in others)


def test_same_values_and_errors_as_typers_own_coercion() -> None:
    checked = 0
    for command, param in _params():
        if not coercion.plain(param):
            continue  # bounded numbers: Typer's own coercion only
        annotation = param.type_descriptor.annotation
        for value in SAMPLES[next(k for k in SAMPLES if k == annotation)]:
            theirs, ours = _typer(command, param, value), _ours(command, param, value)
            assert _same(theirs, ours), (command.name, param.name, value, theirs, ours)
            checked += 1
    assert checked > 300


@settings(max_examples=300, deadline=None)
@given(number=st.integers(min_value=-(10**18), max_value=10**18), fraction=st.text("0123456789", min_size=0, max_size=15))
def test_plain_numbers_as_typer_reads_them(number: int, fraction: str) -> None:
    params = {p.name: (c, p) for c, p in _params() if c.name == "scan"}
    jobs, timeout = params["jobs"], params["file_timeout"]
    for text in (str(number), f"{number}.{fraction}" if fraction else f"{number}.0"):
        for command, param in (jobs, timeout):
            assert _same(_typer(command, param, text), _ours(command, param, text)), (param.name, text)


def test_the_fast_path_takes_only_certain_inputs() -> None:
    assert coercion.fast_value(int, "4", False) == 4
    assert coercion.fast_value(float, "2.5", False) == 2.5
    assert coercion.fast_value(list[str], ("a",), True) == ["a"]
    for annotation, value in ((int, "+4"), (int, "04"), (int, " 4"), (float, "1e3"), (str, b"x"), (bool, "yes"), (Path, "x")):
        assert coercion.fast_value(annotation, value, False) is coercion._MISS, (annotation, value)


def test_bounds_and_parsers_go_to_typer() -> None:
    def command(
        n: int = typer.Option(1, "--n", min=0),
        p: str = typer.Option("a", "--p", parser=str.upper),
        m: Path = typer.Option(Path("."), "--m"),
        s: str = typer.Option("a", "--s"),
    ) -> None:
        pass

    small = typer.Typer(add_completion=False)
    small.command()(command)
    click_command = typer.main.get_command(small)
    kinds = {p.name: coercion.plain(p) for p in click_command.params}
    assert kinds == {"n": False, "p": False, "m": False, "s": True}
    assert coercion.install() is True  # already installed by extriage.cli.main: nothing changes twice
    assert getattr(_TyperParameter.get_runtime_param, "_extriage_plain", False)
    bounded = next(p for p in click_command.params if p.name == "n")
    assert not isinstance(bounded.get_runtime_param(), coercion._Plain)
    plain_one = next(p for p in click_command.params if p.name == "s")
    assert isinstance(plain_one.get_runtime_param(), coercion._Plain)


def test_a_scan_imports_no_pydantic(tmp_path: Path) -> None:
    """The whole scan's main process (its command line read by Typer) never imports Pydantic."""
    code = (
        "import json, sys\n"
        f"sys.argv = ['extriage', 'scan', {str(ROOT / 'tests' / 'data')!r}, '-q', '-j', '1', '--json', {str(tmp_path / 'r.json')!r}]\n"
        "from extriage.cli.main import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "print(json.dumps([code, sorted(sys.modules)]), file=sys.stderr)\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT, env={**os.environ, "NO_COLOR": "1"}
    )
    code_seen, loaded = json.loads(res.stderr.strip().splitlines()[-1])
    assert isinstance(code_seen, int) and code_seen in (0, 3, 10, 20), res.stderr[-2000:]
    assert json.loads((tmp_path / "r.json").read_text())["verdict"]
    assert not [m for m in loaded if m.startswith(("pydantic", "typer._adapters"))]
