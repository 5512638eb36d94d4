"""The logs stage's files go to the workers before the stages are imported (issue 18, session 19).

``run_scan`` lists the evidence, hands the logs stage's job to the pool from a thread
(``ScanContext.start_jobs``), then imports and orders the stages (``plan``); the stage's own
``map_jobs`` reads the outcomes of that hand-over when its job is the same, and hands over afresh
otherwise. Results must be those of the plain path: one worker, two workers without the early
hand-over, and an inventory in another order give the same findings, files and coverage.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from extriage.evidence.locate import Inventory, LocatedFile
from extriage.evidence.source import ArtifactRef, SourceSpec
from extriage.findings import ScanResult
from extriage.scan import context, pipeline
from extriage.scan.context import Job, ScanOptions
from extriage.scan.pipeline import run_scan

MB = 1024 * 1024


# -- map_jobs and start_jobs with a stand-in pool ------------------------------------------------------


class _Done:
    def __init__(self, value: Any) -> None:
        self._value = value
        self.cancelled = False

    def result(self) -> Any:
        if self.cancelled:  # as a pool shut down with cancel_futures=True leaves a waiting task
            raise context.cf.CancelledError()
        return self._value


class _Pool:
    """Runs each task when it is handed over; counts the hand-overs; its shutdown cancels them."""

    def __init__(self) -> None:
        self.handed: list[int] = []
        self.futures: list[_Done] = []

    def submit(self, fn: Any, func: Any, batch: list[LocatedFile], params: Any) -> _Done:
        self.handed.append(len(batch))
        self.futures.append(_Done(fn(func, batch, params)))
        return self.futures[-1]

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        for f in self.futures:
            f.cancelled = f.cancelled or cancel_futures
        self.futures = []


def _files(sizes: list[int], prefix: str = "f") -> list[LocatedFile]:
    spec = SourceSpec(kind="dir", root="/nonexistent", evidence="/nonexistent")
    return [LocatedFile(ArtifactRef(spec, f"{prefix}{i}.log", size, None), f"{prefix}{i}.log", f"{prefix}{i}.log")
            for i, size in enumerate(sizes)]


def _named(f: LocatedFile, params: Any) -> context.FileOutcome:
    return context.FileOutcome(f.display(), data={"by": params})


@pytest.fixture()
def pool(monkeypatch: pytest.MonkeyPatch) -> _Pool:
    stand_in = _Pool()
    monkeypatch.setattr(context, "PARALLEL_MIN_BYTES", 0)

    def executor(self: context.ScanContext, workers: int) -> _Pool:
        self._pool = stand_in  # type: ignore[assignment]
        return stand_in

    monkeypatch.setattr(context.ScanContext, "_executor", executor)
    monkeypatch.setattr(context.cf, "as_completed", lambda futures: list(futures))
    return stand_in


def _ctx(workers: int = 2) -> context.ScanContext:
    spec = SourceSpec(kind="dir", root="/nonexistent", evidence="/nonexistent")
    return context.ScanContext(Inventory(spec, "plain"), ScanResult(evidence_path="/x"), ScanOptions(jobs=workers))


def _paths(outcomes: Any) -> list[str]:
    return sorted(o.path for o in outcomes)


def test_the_same_job_is_handed_over_once(pool: _Pool) -> None:
    files = _files([3 * MB, 2 * MB, MB, MB])
    ctx = _ctx()
    assert ctx.start_jobs([Job(_named, files, "A")])
    early = len(pool.handed)
    assert early and sum(pool.handed) == 4  # every file with the workers before the stage asks
    got = list(ctx.map_jobs([Job(_named, list(files), "A")], label="logs"))
    assert _paths(got) == sorted(f.display() for f in files)
    assert len(pool.handed) == early  # read, not handed over again
    assert [o.path for o in ctx.result.files] == [] and all(o.data["by"] == "A" for o in got)


@pytest.mark.parametrize("other", ["fewer files", "other params", "another function"])
def test_other_jobs_are_handed_over_afresh(pool: _Pool, other: str) -> None:
    """An early hand-over of anything but the stage's own job is never read in its place: a log
    missing from it, or read with other parameters, would be lost to the stage."""
    files = _files([3 * MB, 2 * MB, MB, MB])
    early = {"fewer files": Job(_named, files[:2], "A"), "other params": Job(_named, files, "B"),
             "another function": Job(lambda f, p: _named(f, "C"), files, "A")}[other]
    ctx = _ctx()
    assert ctx.start_jobs([early])
    got = list(ctx.map_jobs([Job(_named, files, "A")]))
    assert _paths(got) == sorted(f.display() for f in files)
    assert all(o.data["by"] == "A" for o in got)


def test_close_drops_an_early_hand_over(pool: _Pool) -> None:
    files = _files([3 * MB, 2 * MB, MB])
    ctx = _ctx()
    assert ctx.start_jobs([Job(_named, files, "A")])
    ctx.close()  # e.g. another stage ran first and ended: its workers are gone
    before = len(pool.handed)
    got = list(ctx.map_jobs([Job(_named, files, "A")]))
    assert _paths(got) == sorted(f.display() for f in files) and len(pool.handed) > before


def test_no_early_hand_over_when_the_work_stays_in_this_process(pool: _Pool, monkeypatch: pytest.MonkeyPatch) -> None:
    files = _files([3 * MB, 2 * MB])
    assert not _ctx(workers=1).start_jobs([Job(_named, files, "A")])
    monkeypatch.setattr(context, "PARALLEL_MIN_BYTES", 16 * MB)
    assert not _ctx().start_jobs([Job(_named, files, "A")])
    assert pool.handed == []


def test_after_abort_the_early_thread_makes_no_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[int] = []
    monkeypatch.setattr(context, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(context.ScanContext, "_executor", lambda self, w: made.append(w) or _Pool())
    ctx = _ctx()
    ctx.abort()
    assert ctx.start_jobs([Job(_named, _files([3 * MB, MB]), "A")])
    ctx.close()  # joins the thread: it found the scan stopped
    assert made == []


# -- whole scans of a generated server ----------------------------------------------------------------

generator = pytest.importorskip("extriage.generator.api")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Path:
    gen = generator.generate(tmp_path_factory.mktemp("early") / "srv", scenario="full", seed=7, size="3MB",
                             days=3, jobs=1)
    return Path(gen.dest)


def _key(result: ScanResult) -> dict[str, Any]:
    """What must not depend on when or in which order the workers read the logs."""
    doc: dict[str, Any] = json.loads(json.dumps(result.to_dict(), default=str))
    findings = sorted(
        (f["rule_id"], f["outcome"], f["severity"], f["count"], f["first_seen"], f["last_seen"],
         sorted(f["indicators"]["client_ips"]), sorted(f["indicators"]["urls"]))
        for f in doc["findings"] if not f["rule_id"].startswith("XS-")
    )
    return {"findings": findings, "files": sorted(doc["files"], key=lambda f: f["path"]),
            "families": doc["coverage"]["families"], "verdict": doc["verdict"], "activity": doc["activity"],
            "pivots": doc["extras"]["logs"]["pivots"], "logs": doc["extras"]["logs"]["files_by_family"],
            "skipped": sorted((s["path"], s["reason"]) for s in doc["coverage"]["skipped"])}


def _spied(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records, in order: the early hand-over, the stage imports, and whether the logs stage read it."""
    seen: list[str] = []
    start, plan, take = context.ScanContext.start_jobs, pipeline.plan, context.ScanContext._take_early

    def spy_start(self: context.ScanContext, jobs: Any) -> bool:
        began = start(self, jobs)
        seen.append(f"start_jobs {began}")
        return began

    def spy_plan(stages: Any = None) -> Any:
        seen.append("plan")
        return plan(stages)

    def spy_take(self: context.ScanContext, jobs: Any) -> Any:
        futures = take(self, jobs)
        if futures is not None:
            seen.append("taken")
        return futures

    monkeypatch.setattr(context.ScanContext, "start_jobs", spy_start)
    monkeypatch.setattr(pipeline, "plan", spy_plan)
    monkeypatch.setattr(context.ScanContext, "_take_early", spy_take)
    return seen


def test_the_logs_stage_reads_what_was_handed_over_before_the_imports(server: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(context, "PARALLEL_MIN_BYTES", 0)  # the tree is small: use the pool anyway
    one = _key(run_scan(str(server), ScanOptions(jobs=1)))
    seen = _spied(monkeypatch)
    two = _key(run_scan(str(server), ScanOptions(jobs=2)))
    assert seen[:3] == ["start_jobs True", "plan", "taken"]
    assert one["findings"] and one["pivots"]["attacker_ips"], "the server must give findings, or this proves nothing"
    assert two == one
    seen.clear()
    monkeypatch.setattr(pipeline, "start_first_stage", lambda ctx: None)
    plain = _key(run_scan(str(server), ScanOptions(jobs=2)))
    assert "taken" not in seen and plain == two


def test_an_inventory_in_another_order_gives_the_same_result(server: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(context, "PARALLEL_MIN_BYTES", 0)
    ordered = _key(run_scan(str(server), ScanOptions(jobs=2)))
    build = pipeline.build_inventory

    def shuffled(*args: Any, **kwargs: Any) -> Inventory:
        inv = build(*args, **kwargs)
        random.Random(3).shuffle(inv.files)
        return inv

    monkeypatch.setattr(pipeline, "build_inventory", shuffled)
    seen = _spied(monkeypatch)
    assert _key(run_scan(str(server), ScanOptions(jobs=2))) == ordered
    assert "taken" in seen


def test_given_stages_are_planned_before_anything_is_read(server: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A caller's own stages keep their contract check first, and get no early hand-over."""
    from extriage.scan.stages.logs import LogsStage

    monkeypatch.setattr(context, "PARALLEL_MIN_BYTES", 0)
    seen = _spied(monkeypatch)
    result = run_scan(str(server), ScanOptions(jobs=2), stages=[LogsStage()])
    assert seen[0] == "plan" and not any(s.startswith("start_jobs") for s in seen)
    assert result.findings
