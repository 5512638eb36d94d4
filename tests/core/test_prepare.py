"""Later stages' tables built in a thread while the first stage's workers run (extriage.scan.prepare):
only for stages in the plan, finished before the stage they are for, never for a serial scan,
failures ignored."""

from __future__ import annotations

import importlib
import sys
import threading
import time
from pathlib import Path

import pytest

from extriage.evidence.locate import Inventory, build_inventory
from extriage.evidence.source import open_source
from extriage.findings import ScanResult
from extriage.scan import context, pipeline, prepare
from extriage.scan.context import ScanContext, ScanOptions


def test_only_the_named_stages_warmers_run_and_join_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    done: list[str] = []

    def slow(options: ScanOptions, evidence: str | None, inventory: Inventory | None) -> None:
        time.sleep(0.2)
        done.append("slow")

    monkeypatch.setattr(prepare, "WARMERS", {"a": slow, "b": lambda o, e, i: done.append("b")})
    p = prepare.Prepare(["a", "x", "a"], ScanOptions()).start()
    p.join()
    assert done == ["slow"]  # "b" is not in the plan, "a" is run once
    p.join()  # idempotent


def test_a_failing_warmer_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    done: list[str] = []

    def broken(options: ScanOptions, evidence: str | None, inventory: Inventory | None) -> None:
        raise ValueError("a broken data file: the stage reports it itself")

    monkeypatch.setattr(prepare, "WARMERS", {"a": broken, "b": lambda o, e, i: done.append("b")})
    prepare.Prepare(["a", "b"], ScanOptions()).start().join()
    assert done == ["b"]


def test_the_web_file_warmer_fills_the_caches_the_stage_reads() -> None:
    from extriage.detections.webfiles import baseline, behaviour, content

    prepare.WARMERS["webfiles"](ScanOptions(), None, None)
    assert baseline._shipped.cache_info().currsize == 1
    assert behaviour.knowledge.cache_info().currsize == 1
    assert content.path_matcher.cache_info().currsize >= 1


def test_the_web_file_warmer_lists_the_shipped_pages_once_for_every_baseline_object() -> None:
    """The stage's own baseline is a new object over the shipped index (load_baseline per scan): the
    pages the prepare thread listed are found for it, not listed again (session 14)."""
    from extriage.detections.webfiles import baseline
    from extriage.scan.stages import webfiles

    webfiles._LEGIT.clear()
    prepare.WARMERS["webfiles"](ScanOptions(), None, None)
    assert len(webfiles._LEGIT) == 1
    listed = webfiles._LEGIT[0][2]
    assert "/owa/auth/logon.aspx" in listed
    ours = baseline.load_baseline([])
    assert ours is not webfiles._LEGIT[0][0] and ours.index is webfiles._LEGIT[0][0]
    assert webfiles.legit_pages(ours) is listed
    # a baseline with its own CSV rows: their pages are added for it alone, the listing kept as it was
    ours.extra["frontend/httpproxy/owa/auth/custom.aspx"] = {"0" * 64: ("15.1.2176.2",)}
    with_extra = webfiles.legit_pages(ours)
    assert "/owa/auth/custom.aspx" in with_extra and "/owa/auth/custom.aspx" not in listed
    assert with_extra == listed | {"/owa/auth/custom.aspx"}


def _inventory(root: Path, *names: str) -> Inventory:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"x" * 16)
    return build_inventory(open_source(str(root)), lambda p, why: None)


@pytest.mark.parametrize(
    ("names", "warmed"),
    [
        (["inetpub/wwwroot/default.aspx"], True),
        (["inetpub/wwwroot/App_Code/Util.CS"], True),
        (["Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/errorFE.ASHX"], True),
        (["logs/u_ex210302.log", "inetpub/wwwroot/web.config", "inetpub/wwwroot/old.asp"], False),
        (["inetpub/wwwroot/default.aspx.bak", "notes/aspx.txt"], False),
        ([], False),
    ],
)
def test_the_web_file_warmer_builds_csharp_tables_only_for_evidence_with_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, names: list[str], warmed: bool
) -> None:
    """C#'s behaviour tables (knowledge.warm, ~0.1 s) are built beside the logs stage when the evidence
    holds an ASP.NET page or source file, which the web file stage's main process would otherwise
    build on its first analysed page while the other core idles; never on evidence without one."""
    knowledge = importlib.import_module("extriage.detections.webfiles.behaviour.knowledge")  # the module, not
    # behaviour.knowledge (the function of that name)
    calls: list[str] = []
    monkeypatch.setattr(knowledge, "warm", lambda lang="cs": calls.append(lang))
    inventory = _inventory(tmp_path, *names)
    prepare.OPTIONAL["webfiles"](ScanOptions(), None, inventory)
    assert calls == (["cs"] if warmed else [])
    assert prepare.has_csharp_pages(inventory) is warmed
    calls.clear()
    prepare.OPTIONAL["webfiles"](ScanOptions(), None, None)  # no inventory (a caller that has none): no warm
    assert calls == []
    prepare.WARMERS["webfiles"](ScanOptions(), None, inventory)  # the required part never builds them
    assert calls == []


def test_optional_work_runs_only_while_nobody_waits_for_the_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """C#'s tables are built early only while the stages before the web stage still run: when the
    web stage is about to start (join), optional work not yet begun is left to the stage itself, so
    the thread never makes it wait longer (a small tree whose logs stage ends first)."""
    done: list[str] = []
    gate = threading.Event()

    def required(options: ScanOptions, evidence: str | None, inventory: Inventory | None) -> None:
        gate.wait(5)
        done.append("required")

    monkeypatch.setattr(prepare, "WARMERS", {"w": required})
    monkeypatch.setattr(prepare, "OPTIONAL", {"w": lambda o, e, i: done.append("optional")})
    early = prepare.Prepare(["w"], ScanOptions()).start()
    # the required part ends only once join has begun (not after a fixed delay a loaded machine can outlast)
    threading.Thread(target=lambda: early._joining.wait(5) and gate.set(), daemon=True).start()
    early.join()  # joined while the required part still runs: the optional part is skipped
    assert done == ["required"]
    done.clear()
    gate.set()
    late = prepare.Prepare(["w"], ScanOptions()).start()
    deadline = time.monotonic() + 5
    while len(done) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    late.join()  # joined after everything: both ran, in order
    assert done == ["required", "optional"]
    assert late.warms("w") and not late.warms("x")
    monkeypatch.setattr(prepare, "OPTIONAL", {"o": lambda o, e, i: done.append("alone")})
    only = prepare.Prepare(["o"], ScanOptions()).start()  # a stage with optional work only
    deadline = time.monotonic() + 5
    while "alone" not in done and time.monotonic() < deadline:
        time.sleep(0.01)
    only.join()
    assert "alone" in done and only.warms("o")


def test_the_pipeline_hands_the_inventory_to_the_prepare_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "x.log").write_bytes(b"x" * 100)
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "a.aspx").write_bytes(b"<% %>")
    monkeypatch.setattr(context, "PARALLEL_MIN_BYTES", 0)
    seen: list[list[str]] = []

    def warm(options: ScanOptions, evidence: str | None, inventory: Inventory | None) -> None:
        assert inventory is not None
        seen.append(sorted(f.key for f in inventory.files))

    monkeypatch.setattr(prepare, "WARMERS", {"second": warm})
    log: list[tuple[str, float]] = []
    pipeline.run_scan(str(tmp_path), ScanOptions(jobs=2), stages=[_Stage("first", log), _Stage("second", log)])
    assert seen == [["site/a.aspx", "x.log"]]


class _Stage:
    def __init__(self, name: str, log: list[tuple[str, float]]) -> None:
        self.name, self._log = name, log
        self.requires: tuple[type, ...] = ()
        self.provides: tuple[type, ...] = ()

    def run(self, ctx: ScanContext) -> None:
        self._log.append((self.name, time.monotonic()))


def _warm_log(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, float]]:
    log: list[tuple[str, float]] = []

    def warm(options: ScanOptions, evidence: str | None, inventory: Inventory | None) -> None:
        log.append(("warm start", time.monotonic()))
        time.sleep(0.3)
        log.append((f"warm end {threading.current_thread().name}", time.monotonic()))

    monkeypatch.setattr(prepare, "WARMERS", {"second": warm})
    return log


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork server: Linux")
def test_parallel_scan_warms_during_the_first_stage_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "x.log").write_bytes(b"x" * 100)
    monkeypatch.setattr(context, "PARALLEL_MIN_BYTES", 0)  # start the workers for this tiny tree
    log = _warm_log(monkeypatch)
    result = pipeline.run_scan(str(tmp_path), ScanOptions(jobs=2), stages=[_Stage("first", log), _Stage("second", log)])
    assert isinstance(result, ScanResult)
    names = [n for n, _ in log]
    assert set(names) == {"warm start", "first", "warm end extriage-prepare", "second"}
    times = dict(log)
    assert times["second"] >= times["warm end extriage-prepare"]  # joined before the stage it warms for
    assert times["first"] < times["warm end extriage-prepare"]  # the first stage ran beside it


def test_serial_scan_does_not_warm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "x.log").write_bytes(b"x" * 100)
    monkeypatch.setattr(context, "PARALLEL_MIN_BYTES", 0)
    log = _warm_log(monkeypatch)
    pipeline.run_scan(str(tmp_path), ScanOptions(jobs=1), stages=[_Stage("first", log), _Stage("second", log)])
    assert [n for n, _ in log] == ["first", "second"]
