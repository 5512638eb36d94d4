"""The raw ``.evtx`` reader on real records: what a record costs when its descriptor table is new (issue 18).

The issue-18 bench files (``evtx_dense.py``, ``evtx_realistic.py``, ``bench_evtx_cores.make``) repeat the six CC0
samples' records byte for byte, so every descriptor table (it holds each value's size) repeats and the raw reader's
per-table shape cache always hits. In a real log most tables are new: this bench reads the samples' own chunks
again and again, emptying the reader's caches before each pass, and times the parser on the same chunks.

    .venv/bin/python bench/events/bench_raw_shapes.py --passes 200 [--fresh tables|types|templates|none]

``--fresh tables`` (default): templates and the tables' value types known, every table new (a long log of
known event types: since E6, session 14, such a table is read from what its types share); ``types``: tables
and their types new, read the whole way (what ``tables`` measured before); ``templates``: templates,
types and tables new (the first chunk of a log); ``none``: everything repeats (the bench files).
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

import evtx

from extriage.formats import evtx_raw
from extriage.formats.evtx_file import CHUNK, HEADER

SAMPLES = Path(__file__).resolve().parents[2] / "tests" / "data" / "evtx-samples-cc0"


def _chunks() -> list[tuple[bytes, bytes]]:
    out = []
    for f in sorted(SAMPLES.glob("*.evtx")):
        data = f.read_bytes()
        out.extend((data[:HEADER], data[i : i + CHUNK]) for i in range(HEADER, len(data), CHUNK))
    return out


def _empty(fresh: str) -> None:
    if fresh in ("tables", "types"):
        for shapes in evtx_raw._SHAPES.values():
            shapes.clear()
    if fresh == "types":
        for typed in evtx_raw._TYPED.values():
            typed.clear()
    elif fresh == "templates":
        evtx_raw._SHAPES.clear()
        evtx_raw._TYPED.clear()
        evtx_raw._DEFINITIONS.clear()
        evtx_raw._STRINGS.clear()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--passes", type=int, default=200)
    ap.add_argument("--fresh", choices=["tables", "types", "templates", "none"], default="tables")
    args = ap.parse_args()
    chunks = _chunks()
    records = raw_cpu = parser_cpu = 0.0
    for _ in range(args.passes):
        _empty(args.fresh)
        t = time.process_time()
        for _, chunk in chunks:
            got = evtx_raw.read_chunk(chunk)
            assert got is not None
            records += got.records
        raw_cpu += time.process_time() - t
        t = time.process_time()
        for head, chunk in chunks:
            sum(1 for _ in evtx.PyEvtxParser(io.BytesIO(head + chunk), number_of_threads=1).records_json())
        parser_cpu += time.process_time() - t
    print(f"{int(records):,} records ({len(chunks)} chunks x {args.passes}), fresh {args.fresh}: raw reader "
          f"{raw_cpu / records * 1e6:.1f} µs a record, parser {parser_cpu / records * 1e6:.1f} µs a record "
          f"(raw / parser {raw_cpu / parser_cpu:.2f})")


if __name__ == "__main__":
    main()
