"""Worker tasks of map_files (extriage.scan.context._batches): every file once, largest first, within
the task caps a caller gives (the pivot pass's raw search takes bigger tasks than the first pass:
session 14), a large file alone, and a few tasks per worker kept for balance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from extriage.evidence.locate import LocatedFile
from extriage.evidence.source import ArtifactRef, SourceSpec
from extriage.scan import context
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan
from extriage.scan.stages import correlate

MB = 1024 * 1024


def _files(sizes: list[int]) -> list[LocatedFile]:
    spec = SourceSpec(kind="dir", root="/nonexistent", evidence="/nonexistent")
    out = []
    for i, size in enumerate(sorted(sizes, reverse=True)):
        name = f"f{i}.log"
        out.append(LocatedFile(ArtifactRef(spec, name, size, None), name, name))
    return out


def test_default_tasks_are_unchanged() -> None:
    files = _files([300 * 1024] * 2000)  # 586 MiB of hourly logs
    tasks = context._batches(files, 2)
    assert [f for t in tasks for f in t] == files
    assert all(len(t) <= context.BATCH_FILES and sum(f.ref.size for f in t) <= context.BATCH_BYTES for t in tasks)
    assert len(tasks) == len(context._batches(files, 2, 0, 0))


def test_a_caller_s_caps_make_bigger_tasks() -> None:
    files = _files([300 * 1024] * 2000 + [60 * MB])
    small = context._batches(files, 2)
    big = context._batches(files, 2, 48 * MB, 256)
    assert [f for t in big for f in t] == files
    assert len(big) < len(small) / 3
    assert big[0] == [files[0]]  # the 60 MB file (over the cap) is a task of its own
    assert all(len(t) <= 256 and (len(t) == 1 or sum(f.ref.size for f in t) <= 48 * MB) for t in big)
    # balance: still at least four tasks per worker when the caps would allow fewer
    few = _files([300 * 1024] * 200)  # 59 MiB
    assert len(context._batches(few, 2, 48 * MB, 256)) >= 8


def test_the_pivot_pass_uses_its_own_task_caps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generator = pytest.importorskip("extriage.generator.api")
    gen = generator.generate(tmp_path / "srv", scenario="full", seed=5, size="3MB", days=4, jobs=1)
    monkeypatch.setattr(context, "PARALLEL_MIN_BYTES", 0)  # the tree is small: use the pool anyway
    calls: list[tuple[Any, ...]] = []
    real = context._batches

    def spy(todo: list[LocatedFile], workers: int, max_bytes: int = 0, max_files: int = 0) -> list[list[LocatedFile]]:
        calls.append((max_bytes, max_files))
        return real(todo, workers, max_bytes, max_files)

    monkeypatch.setattr(context, "_batches", spy)
    result = run_scan(str(gen.dest), ScanOptions(jobs=2))
    assert result.extras["logs"]["pivots"]["attacker_ips"], "the pivot pass must have had work to do"
    assert correlate.PIVOT_BATCH[0] > context.BATCH_BYTES and correlate.PIVOT_BATCH[1] > context.BATCH_FILES
    assert correlate.PIVOT_BATCH in calls  # the raw search
    assert (0, 0) in calls  # the first pass, with the default tasks


class _Done:
    """A finished future (for a pool stand-in that runs each task when it is handed over)."""

    def __init__(self, value: Any) -> None:
        self._value = value

    def result(self) -> Any:
        return self._value


class _Pool:
    def __init__(self) -> None:
        self.handed: list[tuple[str, int]] = []

    def submit(self, fn: Any, func: Any, batch: list[LocatedFile], params: Any) -> _Done:
        self.handed.append((params, len(batch)))
        return _Done(fn(func, batch, params))


def _named(f: LocatedFile, params: Any) -> context.FileOutcome:
    return context.FileOutcome(f.display(), data={"by": params})


def _ctx(workers: int) -> context.ScanContext:
    from extriage.evidence.locate import Inventory
    from extriage.findings import ScanResult

    spec = SourceSpec(kind="dir", root="/nonexistent", evidence="/nonexistent")
    return context.ScanContext(Inventory(spec, "plain"), ScanResult(evidence_path="/x"), ScanOptions(jobs=workers))


@pytest.mark.parametrize("workers", [1, 2])
def test_jobs_mapped_together_give_what_each_gives_alone(monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    """map_jobs of two jobs: every file once, with its own job's function and parameters, as two
    map_files calls give; serial (one worker, or too little work) in job order, each largest first."""
    pool = _Pool()
    monkeypatch.setattr(context, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(context.ScanContext, "_executor", lambda self, w: pool)
    # as_completed over the finished stand-ins: in hand-over order
    monkeypatch.setattr(context.cf, "as_completed", lambda futures: list(futures))
    a, b = _files([5 * MB, 1 * MB, 3 * MB]), _files([2 * MB, 4 * MB])
    b = [LocatedFile(f.ref, "b/" + f.logical, "b/" + f.key) for f in b]
    together = [(o.path, o.data["by"]) for o in _ctx(workers).map_jobs(
        [context.Job(_named, a, "A"), context.Job(_named, b, "B", (3 * MB, 1))], label="t")]
    alone = [(o.path, o.data["by"]) for job, files in (("A", a), ("B", b))
             for o in _ctx(workers).map_files(_named, files, job)]
    assert sorted(together) == sorted(alone) and len(together) == 5
    if workers == 1:
        assert together == alone  # job order, largest first in each
        assert pool.handed == []
    else:
        assert [p for p, _ in pool.handed].count("B") >= 2  # job B's own caps: 3 MB tasks


def test_all_jobs_are_handed_over_before_the_first_outcome(monkeypatch: pytest.MonkeyPatch) -> None:
    """No seam between jobs: the second job's tasks are with the pool before the first job's first
    outcome is read, so a worker done with the first job goes straight on to the second."""
    pool = _Pool()
    monkeypatch.setattr(context, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(context.ScanContext, "_executor", lambda self, w: pool)
    monkeypatch.setattr(context.cf, "as_completed", lambda futures: list(futures))
    jobs = [context.Job(_named, _files([4 * MB, 4 * MB, 4 * MB]), "A"), context.Job(_named, _files([MB] * 6), "B")]
    it = _ctx(2).map_jobs(jobs)
    first = next(it)
    assert first.data["by"] == "A"
    assert [p for p, _ in pool.handed] == ["A"] * 3 + ["B"] * len([p for p, _ in pool.handed if p == "B"])
    assert sum(n for _, n in pool.handed) == 9  # every file of both jobs handed over already
    assert len(list(it)) == 8


def test_the_pivot_pass_hands_both_groups_over_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generator = pytest.importorskip("extriage.generator.api")
    gen = generator.generate(tmp_path / "srv", scenario="full", seed=5, size="3MB", days=4, jobs=1)
    calls: list[list[context.Job]] = []
    real = context.ScanContext.map_jobs

    def spy(self: context.ScanContext, jobs: Any, label: str = "reading") -> Any:
        if label == "pivot":
            calls.append(list(jobs))
        return real(self, jobs, label)

    monkeypatch.setattr(context.ScanContext, "map_jobs", spy)
    result = run_scan(str(gen.dest), ScanOptions(jobs=1))
    assert result.extras["logs"]["pivots"]["attacker_ips"], "the pivot pass must have had work to do"
    assert len(calls) == 1  # one hand-over for every group
    params = {id(job.params) for job in calls[0] if job.files}
    assert len(params) == 2, "both parameter groups (addresses and names, names only) had logs to search"
