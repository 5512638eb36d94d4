"""Which evidence files hold any of a few literals: a raw search in threads of the main process.

The correlate stage looks up attacker addresses and web shell names in every web log after the
first pass. Most logs hold none of them, so their bytes are only searched (no hashing, no line
counting, no parsing: the first pass recorded all of that), and only the files with a hit are read
line by line. Reading and Hyperscan release the GIL, so threads search files side by side without
starting worker processes; files go to the threads in batches, so per-file overhead stays small
across thousands of hourly logs (BENCHMARKS.md, core section).
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Sequence

from extriage.evidence.locate import LocatedFile
from extriage.evidence.reading import CHUNK
from extriage.evidence.source import open_artifact
from extriage.formats.prefilter import Prefilter

#: Files per thread task: enough to amortise the task, few enough to balance the threads.
BATCH_FILES = 64


def files_holding(
    files: Sequence[LocatedFile], prefilter: Prefilter, workers: int
) -> tuple[list[LocatedFile], list[tuple[LocatedFile, str]]]:
    """The files whose raw bytes match ``prefilter`` (chunk seams included), in the order given,
    and the files that could not be read with the reason."""
    if prefilter.empty or not files:
        return [], []
    overlap = max((len(x.encode("utf-8")) for x in prefilter.literals), default=1) - 1
    ordered = sorted(range(len(files)), key=lambda i: files[i].ref.size, reverse=True)
    tasks = [ordered[i : i + BATCH_FILES] for i in range(0, len(ordered), BATCH_FILES)]

    def run(task: list[int]) -> list[tuple[int, bool, str]]:
        buf = bytearray(CHUNK + overlap)  # one buffer per task, reused for every file in it
        out = []
        for i in task:
            try:
                out.append((i, _holds(files[i], prefilter, overlap, buf), ""))
            except OSError as exc:
                out.append((i, False, exc.strerror or str(exc)))
        return out

    hits: set[int] = set()
    failed: list[tuple[LocatedFile, str]] = []
    with cf.ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="extriage-search") as pool:
        for results in pool.map(run, tasks):
            for i, hit, why in results:
                if why:
                    failed.append((files[i], why))
                elif hit:
                    hits.add(i)
    return [files[i] for i in sorted(hits)], failed


def _holds(f: LocatedFile, prefilter: Prefilter, overlap: int, buf: bytearray) -> bool:
    """Search ``f`` chunk by chunk, read into ``buf`` in place; the last ``overlap`` bytes of a
    chunk are kept in front of the next one so a literal cut by a read is still found."""
    view = memoryview(buf)
    room = len(buf) - overlap
    kept = 0
    with open_artifact(f.ref) as raw:
        while True:
            n = raw.readinto(view[kept : kept + room])  # type: ignore[attr-defined]
            if not n:
                return False
            end = kept + n
            if prefilter.any_match(view[:end]):
                return True
            kept = min(overlap, end)
            if kept:
                buf[:kept] = buf[end - kept : end]
