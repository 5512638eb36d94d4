"""generate(): determinism, layouts read back by evidence.locate, size scaling, safe destinations,
the planter plug point, and the ``generate`` / ``demo`` commands."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extriage.cli.main import _register, app
from extriage.evidence.locate import build_inventory
from extriage.evidence.source import open_source
from extriage.generator import GeneratorError, Tree, generate, is_generated, parse_size
from extriage.generator.tree import MARKER

_register()
runner = CliRunner()
TINY = {"size": "200KB", "days": 3, "planter_modules": []}
INSTALL = "c:/program files/microsoft/exchange server/v15"


def _digest(root: Path) -> dict[str, tuple[str, int]]:
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.name != MARKER:
            out[p.relative_to(root).as_posix()] = (
                hashlib.sha256(p.read_bytes()).hexdigest(),
                int(p.stat().st_mtime),
            )
    return out


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", scenario="full", seed=3, **TINY)
    b = generate(tmp_path / "b", scenario="full", seed=3, **TINY)
    c = generate(tmp_path / "c", scenario="full", seed=4, **TINY)
    da, db, dc = _digest(a.dest), _digest(b.dest), _digest(c.dest)
    assert da == db and len(da) > 20
    assert da != dc
    assert a.plan.to_dict() == b.plan.to_dict()
    assert a.plan.attacker_ips != c.plan.attacker_ips or a.plan.shells != c.plan.shells


def test_parallel_writing_gives_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from extriage.generator import api

    serial = generate(
        tmp_path / "serial", scenario="proxylogon", seed=5, size="300KB", days=4, planter_modules=[]
    )
    monkeypatch.setattr(api, "PARALLEL_FROM", 0)
    parallel = generate(
        tmp_path / "par", scenario="proxylogon", seed=5, size="300KB", days=4, jobs=2, planter_modules=[]
    )
    assert _digest(serial.dest) == _digest(parallel.dest)


def test_parallel_writing_from_a_threaded_caller_does_not_fork(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A caller with a live thread (a test runner, a tool embedding the generator) gets forkserver workers:
    fork() there can hang the child and Python 3.12+ warns; the bytes are the same."""
    import threading
    import warnings

    from extriage.generator import api

    serial = generate(
        tmp_path / "serial", scenario="proxylogon", seed=5, size="300KB", days=3, planter_modules=[]
    )
    monkeypatch.setattr(api, "PARALLEL_FROM", 0)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        assert api._pool_context().get_start_method() == "forkserver"
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeprecationWarning)
            parallel = generate(
                tmp_path / "par", scenario="proxylogon", seed=5, size="300KB", days=3, jobs=2,
                planter_modules=[],
            )
    finally:
        stop.set()
        other.join()
    assert _digest(serial.dest) == _digest(parallel.dest)


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        ("drive", "drive"),
        ("kape", "kape"),
        ("velociraptor", "velociraptor"),
        ("zip", "zip:kape"),
        ("zip-velociraptor", "zip:velociraptor"),
    ],
)
def test_layouts_map_to_logical_paths(tmp_path: Path, layout: str, expected: str) -> None:
    g = generate(tmp_path / "srv", scenario="proxylogon", seed=2, layout=layout, **TINY)
    if layout.startswith("zip"):
        assert g.dest.suffix == ".zip" and zipfile.is_zipfile(g.dest)
        assert not (tmp_path / "srv.zip.staging").exists()
    skipped: list[tuple[str, str]] = []
    inv = build_inventory(open_source(g.dest), lambda p, why: skipped.append((p, why)))
    assert skipped == []
    assert inv.layout == expected
    assert INSTALL in inv.exchange_installs
    keys = {f.key for f in inv.files}
    assert "c:/windows/system32/inetsrv/config/applicationhost.config" in keys
    assert any(k.startswith("c:/inetpub/logs/logfiles/w3svc1/u_ex") for k in keys)
    assert any(k.startswith("c:/inetpub/logs/logfiles/w3svc2/u_ex") for k in keys)
    assert any(k.startswith(INSTALL + "/logging/httpproxy/ecp/httpproxy_") for k in keys)
    assert any(k.startswith(INSTALL + "/logging/ecp/server/ecpserver") for k in keys)
    assert any(k.startswith(INSTALL + "/logging/oabgeneratorlog/") for k in keys)
    logical = next(f.logical for f in inv.files if f.key.endswith("applicationhost.config"))
    assert logical == "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config"
    assert is_generated(g.dest)


def test_tree_maps_paths_both_ways(tmp_path: Path) -> None:
    for layout in ("drive", "kape", "velociraptor"):
        t = Tree(tmp_path / layout, layout)
        win = "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Logging\\x 100%.log"
        t.write_text(win, "a\nb\n")
        assert t.real_path(win).read_bytes() == b"a\r\nb\r\n"
        assert list(t.windows_paths()) == [win]
        with t.open_append(win) as fh:
            fh.write(b"c")
        assert t.real_path(win).read_bytes().endswith(b"c")
    with pytest.raises(ValueError):
        Tree(tmp_path / "k", "kape").real_path("C:\\a\\..\\..\\etc")
    with pytest.raises(ValueError):
        Tree(tmp_path / "d", "drive").real_path("D:\\data\\x.log")


def test_sizes_scale(tmp_path: Path) -> None:
    small = generate(tmp_path / "s", scenario="clean", seed=1, size="300KB", days=3, planter_modules=[])
    big = generate(tmp_path / "b", scenario="clean", seed=1, size="6MB", days=3, planter_modules=[])
    on_disk = sum(p.stat().st_size for p in big.dest.rglob("*.[lL][oO][gG]"))
    assert abs(on_disk - big.bytes_written) < 0.05 * on_disk
    assert 0.75 * parse_size("6MB") < big.bytes_written < 1.35 * parse_size("6MB")
    assert big.bytes_written > 8 * small.bytes_written
    assert big.mb_per_second > 0


def test_parse_size() -> None:
    assert parse_size("50MB") == 50 * 1024**2
    assert parse_size("2GB") == 2 * 1024**3
    assert parse_size("300k") == 300 * 1024
    assert parse_size("1.5G") == int(1.5 * 1024**3)
    with pytest.raises(GeneratorError):
        parse_size("lots")


def test_refuses_to_overwrite_foreign_folder(tmp_path: Path) -> None:
    foreign = tmp_path / "evidence"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    with pytest.raises(GeneratorError, match="not made by extriage"):
        generate(foreign, overwrite=True, **TINY)
    assert (foreign / "keep.txt").read_text() == "mine"
    g = generate(tmp_path / "gen", **TINY)
    with pytest.raises(GeneratorError, match="--force"):
        generate(g.dest, **TINY)
    generate(g.dest, overwrite=True, scenario="clean", **TINY)
    assert json.loads((g.dest / MARKER).read_text())["plan"]["scenario"] == "clean"


def test_planter_plug_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mod = tmp_path / "mods" / "gen_test_planter.py"
    mod.parent.mkdir()
    mod.write_text(
        "def plant(tree, plan, rng):\n"
        "    tree.write_text(plan.shell_path, f'<%@ Page Language=\"C#\" %> synthetic {rng.randrange(10**6)}')\n"
        "    plan.extras['test'] = {'ip': plan.attacker_ips[1], 'n': len(plan.shells)}\n"
    )
    monkeypatch.syspath_prepend(str(mod.parent))
    kw = {**TINY, "planter_modules": ["gen_test_planter", "gen_missing_planter_xyz"]}
    g = generate(tmp_path / "srv", scenario="proxylogon", layout="velociraptor", **kw)
    assert g.planters == ["gen_test_planter"] and g.planters_missing == ["gen_missing_planter_xyz"]
    shell = Tree(g.dest, "velociraptor").real_path(g.plan.shell_path)
    assert shell.read_text().startswith("<%@ Page")
    marker = json.loads((g.dest / MARKER).read_text())
    assert marker["plan"]["extras"]["test"]["ip"] == g.plan.attacker_ips[1]
    g2 = generate(tmp_path / "srv2", scenario="proxylogon", layout="velociraptor", **kw)
    assert Tree(g2.dest, "velociraptor").real_path(g2.plan.shell_path).read_text() == shell.read_text()


def test_cli_generate(tmp_path: Path) -> None:
    dest = tmp_path / "cli"
    r = runner.invoke(
        app,
        [
            "generate",
            str(dest),
            "--scenario",
            "attempts",
            "--size",
            "200KB",
            "--days",
            "3",
            "--seed",
            "9",
            "--json",
            "-",
            "--layout",
            "drive",
        ],
    )
    assert r.exit_code == 0, r.output
    facts = json.loads(r.stdout)
    assert facts["plan"]["scenario"] == "attempts" and facts["layout"] == "drive"
    assert (dest / "inetpub" / "logs" / "LogFiles" / "W3SVC1").is_dir()
    r = runner.invoke(app, ["generate", str(dest), "--size", "200KB"])
    assert r.exit_code == 2 and "--force" in r.output and "Traceback" not in r.output
    r = runner.invoke(app, ["generate", str(tmp_path / "x"), "--scenario", "nope"])
    assert r.exit_code == 2 and "Unknown scenario" in r.output
    r = runner.invoke(app, ["generate", str(tmp_path / "x"), "--size", "huge"])
    assert r.exit_code == 2 and "size" in r.output
    r = runner.invoke(app, ["generate", str(tmp_path / "x"), "--waves", "proxyfoo"])
    assert r.exit_code == 2 and "wave" in r.output


def test_cli_demo(tmp_path: Path) -> None:
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        (tmp_path / "extriage-demo").mkdir()
        (tmp_path / "extriage-demo" / "notes.txt").write_text("not generated")
        r = runner.invoke(app, ["demo"])
        assert r.exit_code == 2 and "not made by extriage" in r.output
        r = runner.invoke(app, ["demo", "sample", "--no-html"])
    finally:
        os.chdir(cwd)
    assert r.exit_code == 0, r.output
    assert "VERDICT: COMPROMISED" in r.output
    assert is_generated(tmp_path / "sample")


def test_windowed_hours_stay_sorted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Big hours are rendered in time windows (bounded memory): files stay time-ordered and roll over."""
    from extriage.generator import days, httpproxy

    monkeypatch.setattr(days, "WINDOW_BYTES", 16 * 1024)
    monkeypatch.setattr(httpproxy, "MAX_FILE_BYTES", 12 * 1024)
    g = generate(tmp_path / "w", scenario="proxylogon", seed=11, size="2MB", days=2, planter_modules=[])
    rolled = [p for p in g.dest.rglob("HttpProxy_*-2.LOG")]
    assert rolled
    for p in g.dest.rglob("*"):
        if not p.is_file() or p.name == MARKER or p.suffix.lower() != ".log":
            continue
        stamps = [x[:24] for x in p.read_bytes().decode("utf-8-sig").split("\r\n") if x[:2] == "20"]
        if "u_ex" in p.name:
            stamps = [s[:19] for s in stamps]
        assert stamps == sorted(stamps), p


def test_append_requests_for_wave_planters(tmp_path: Path) -> None:
    from datetime import timedelta

    from extriage.generator.append import Req, append_requests, ms

    g = generate(tmp_path / "a", scenario="clean", seed=1, **TINY)
    plan = g.plan
    tree = Tree(g.dest, "kape")
    when = plan.start + timedelta(days=1, hours=5, minutes=7)
    append_requests(
        tree,
        plan,
        [
            Req(
                ms(when),
                "Autodiscover",
                "POST",
                "/autodiscover/autodiscover.json",
                "@evil.corp/powershell/?X-Rps-CAT=VgHv",
                ua="python-requests/2.26.0",
                client_ip="203.0.113.9",
                status=200,
                request_id="r1",
            ),
            Req(
                ms(when + timedelta(days=5)),
                "PowerShell",
                "POST",
                "/powershell",
                "",
                client_ip="203.0.113.9",
                request_id="r2",
            ),
        ],
    )
    proxy = tree.real_path(
        f"{plan.install_path}\\Logging\\HttpProxy\\Autodiscover\\HttpProxy_{when:%Y%m%d%H}-1.LOG"
    )
    text = proxy.read_bytes().decode("utf-8-sig")
    assert "/autodiscover/autodiscover.json" in text and "203.0.113.9" in text
    fe = tree.real_path(f"C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex{when:%y%m%d}.log").read_text()
    assert (
        "POST /autodiscover/autodiscover.json @evil.corp/powershell/?X-Rps-CAT=VgHv&CorrelationID=<empty>;&cafeReqId=r1; 443"
        in fe
    )
    # a day outside the generated window gets a new file with its header
    late = tree.real_path(
        f"C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex{when + timedelta(days=5):%y%m%d}.log"
    ).read_text()
    assert late.startswith("#Software: Microsoft Internet Information Services 10.0")
