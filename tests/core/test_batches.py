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
