"""Later stages' tables built in a thread while the first stage's workers run (extriage.scan.prepare):
only for stages in the plan, finished before the stage they are for, never for a serial scan,
failures ignored."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

from extriage.findings import ScanResult
from extriage.scan import context, pipeline, prepare
from extriage.scan.context import ScanContext, ScanOptions


def test_only_the_named_stages_warmers_run_and_join_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    done: list[str] = []

    def slow(options: ScanOptions, evidence: str | None) -> None:
        time.sleep(0.2)
        done.append("slow")

    monkeypatch.setattr(prepare, "WARMERS", {"a": slow, "b": lambda o, e: done.append("b")})
    p = prepare.Prepare(["a", "x", "a"], ScanOptions()).start()
    p.join()
    assert done == ["slow"]  # "b" is not in the plan, "a" is run once
    p.join()  # idempotent


def test_a_failing_warmer_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    done: list[str] = []

    def broken(options: ScanOptions, evidence: str | None) -> None:
        raise ValueError("a broken data file: the stage reports it itself")

    monkeypatch.setattr(prepare, "WARMERS", {"a": broken, "b": lambda o, e: done.append("b")})
    prepare.Prepare(["a", "b"], ScanOptions()).start().join()
    assert done == ["b"]


def test_the_web_file_warmer_fills_the_caches_the_stage_reads() -> None:
    from extriage.detections.webfiles import baseline, behaviour, content

    prepare.WARMERS["webfiles"](ScanOptions(), None)
    assert baseline._shipped.cache_info().currsize == 1
    assert behaviour.knowledge.cache_info().currsize == 1
    assert content.path_matcher.cache_info().currsize >= 1


def test_the_web_file_warmer_lists_the_shipped_pages_once_for_every_baseline_object() -> None:
    """The stage's own baseline is a new object over the shipped index (load_baseline per scan): the
    pages the prepare thread listed are found for it, not listed again (session 14)."""
    from extriage.detections.webfiles import baseline
    from extriage.scan.stages import webfiles

    webfiles._LEGIT.clear()
    prepare.WARMERS["webfiles"](ScanOptions(), None)
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


class _Stage:
    def __init__(self, name: str, log: list[tuple[str, float]]) -> None:
        self.name, self._log = name, log
        self.requires: tuple[type, ...] = ()
        self.provides: tuple[type, ...] = ()

    def run(self, ctx: ScanContext) -> None:
        self._log.append((self.name, time.monotonic()))


def _warm_log(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, float]]:
    log: list[tuple[str, float]] = []

    def warm(options: ScanOptions, evidence: str | None) -> None:
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
