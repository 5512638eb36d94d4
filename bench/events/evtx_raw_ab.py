"""Old vs new raw ``.evtx`` reader: the same results, chunk by chunk and collector by collector (issue 18, E10).

Why: a change to ``formats/evtx_raw.py`` that speeds the record walk must leave every result as it was. The tests
compare the reader with the parser on samples; this compares two trees of the reader with each other on whole
bench files, where the caches (shapes, value types, definitions, the lookup order) go through every state a real
run sees:

* ``read_chunk`` of the old tree (``OLD_SRC``, e.g. a ``git archive`` of main's ``src``) and of the tree on
  ``PYTHONPATH``, on every chunk of each file, whole and cut to its used size, then on ``--fuzz N`` changed copies
  of its chunks (bytes changed, CRCs made right 70 % of the time so that the walk itself is tried): the same rows,
  positional keys, data, templates' texts, or None;
* with ``--states``: a hash of the collector's state after read + match of each whole file (findings with their
  evidence, channels, IP index, time fields, events, identities with and without ``keep_ids``) for this tree;
  run it under both trees and compare the lines.

    PYTHONPATH=src .venv/bin/python bench/events/evtx_raw_ab.py OLD_SRC FILE... [--fuzz 1000]
    PYTHONPATH=OLD_SRC:tests .venv/bin/python bench/events/evtx_raw_ab.py --states FILE...
    PYTHONPATH=src:tests .venv/bin/python bench/events/evtx_raw_ab.py --states FILE...
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import random
import struct
import sys
import zlib
from pathlib import Path
from types import ModuleType
from typing import Any

HEADER, CHUNK = 4096, 65536


def _old(src: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location("old_evtx_raw", Path(src) / "extriage/formats/evtx_raw.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["old_evtx_raw"] = module  # (its dataclasses look their module up)
    spec.loader.exec_module(module)
    return module


def _result(raw: Any) -> object:
    if raw is None:
        return None
    return (raw.records, bytes(raw.data), raw.rows, raw.positional, raw.texts, raw.keyed)


def _fuzzed(chunk: bytes, rng: random.Random) -> bytes:
    c = bytearray(chunk)
    for _ in range(rng.choice([1, 1, 2, 4])):
        at = rng.randrange(512, len(c)) if rng.random() < 0.9 else rng.randrange(len(c))
        c[at] = rng.randrange(256) if rng.random() < 0.5 else c[at] ^ (1 << rng.randrange(8))
    free = struct.unpack_from("<I", c, 48)[0]
    if rng.random() < 0.7 and 512 < free <= len(c):
        struct.pack_into("<I", c, 52, zlib.crc32(bytes(c[512:free])))
        struct.pack_into("<I", c, 124, zlib.crc32(bytes(c[128:512]), zlib.crc32(bytes(c[:120]))))
    return bytes(c)


def compare(old_src: str, files: list[str], fuzz: int) -> None:
    from extriage.formats import evtx_raw as new

    old = _old(old_src)
    rng = random.Random(18)
    total = read = 0
    for path in files:
        data = Path(path).read_bytes()
        chunks = [data[i : i + CHUNK] for i in range(HEADER, len(data), CHUNK)]
        used = [c[: new.used_size(c[:512])] or c for c in chunks]
        tried = [*(x for pair in zip(chunks, used, strict=True) for x in pair),
                 *(_fuzzed(rng.choice(used), rng) for _ in range(fuzz))]
        for i, c in enumerate(tried):
            a, b = _result(old.read_chunk(c)), _result(new.read_chunk(c))
            if a != b:
                raise SystemExit(f"{path}: results differ at {'chunk' if i < 2 * len(chunks) else 'fuzzed copy'} {i}")
            total += 1
            read += a is not None
        print(f"{Path(path).name}: {len(tried):,} chunks equal", flush=True)
    print(f"{total:,} chunks compared, all equal, {read:,} read raw")


def states(files: list[str]) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_evtx_cores import state

    from extriage.detections.events.collect import EventCollector
    from extriage.detections.events.engine import default_rules
    from extriage.formats.evtx_file import EvtxStats, iter_evtx_batches

    for path in files:
        out = []
        for keep in (False, True):
            coll = EventCollector(default_rules(), path, "evtx", keep_ids=keep, part=True)
            stats = EvtxStats()
            with open(path, "rb") as fh:
                for batch in iter_evtx_batches(fh, os.path.getsize(path), path, stats, raw=coll.raw_chunk):
                    coll.feed_batch(batch)
            extra = (coll.identities(), coll.ip_identities(), [f.evidence for f in coll.findings.values()],
                     [repr(e) for e in coll.events])
            text = repr((state(coll), extra if keep else (), stats.records, stats.errors))
            out.append(hashlib.sha256(text.encode()).hexdigest()[:16])
        print(Path(path).name, stats.records, *out, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("old_src", nargs="?", help="the old tree's src folder (not with --states)")
    ap.add_argument("files", nargs="+")
    ap.add_argument("--fuzz", type=int, default=0, help="changed copies of chunks per file")
    ap.add_argument("--states", action="store_true", help="hash the collector states of this tree")
    args = ap.parse_args()
    if args.states:
        states([*([args.old_src] if args.old_src else []), *args.files])
    else:
        compare(args.old_src, args.files, args.fuzz)


if __name__ == "__main__":
    main()
