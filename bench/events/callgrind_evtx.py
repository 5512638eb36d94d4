"""Instructions per ``.evtx`` record under callgrind: the parser alone, read + match screened, and
read + match in full, one process (issue 18, area E3).

Why: on the shared two-core machine the wall clock follows the other jobs' load; callgrind's
instruction count does not. A run that only starts (imports, rules loaded, the file opened) is
subtracted from each mode, so what is left is the per-record work (one-time work such as rule pools
and Hyperscan databases included, < 1 k per record).

    .venv/bin/python bench/events/callgrind_evtx.py --make --copies 400 [--realistic]
    for m in start parser screened full; do
      PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.$m \\
        .venv/bin/python bench/events/callgrind_evtx.py $m [--realistic]
    done
    .venv/bin/python bench/events/callgrind_evtx.py --report /tmp/cg [--realistic]

The report prints each mode's total, minus the start-up run, per record. The modes ``batches``
(the parser's texts handed over in batches), ``system`` (+ the System columns) and ``screen`` (+ which
records need the full path) each add one step of the screened path; ``raw`` is the screened path with
chunks where no record can matter read from their bytes without the parser (issue 18, area E4).
``EVTX_DENSE=1`` (for --make and every run): the server-like file of dense chunks (``evtx_dense.py``);
``EVTX_VARIED=1``: dense chunks of records with distinct values, as a real log's (``evtx_varied.py``).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

MODES = ["start", "parser", "batches", "system", "screen", "screened", "raw", "full"]
OUT = Path(__file__).resolve().parents[1] / "data" / "evtx-callgrind"


def _path(realistic: bool) -> Path:
    if os.environ.get("EVTX_VARIED"):  # EVTX_VARIED=1: records with distinct values (evtx_varied.py)
        return OUT / "server-like-varied.evtx"
    if os.environ.get("EVTX_DENSE"):  # EVTX_DENSE=1: the server-like file of dense chunks (evtx_dense.py)
        return OUT / "server-like-dense.evtx"
    return OUT / ("server-like.evtx" if realistic else "attack-dense.evtx")


def make(copies: int, realistic: bool) -> None:
    from bench_evtx_cores import SAMPLES
    from bench_evtx_cores import make as make_dense
    from evtx_realistic import make_realistic

    OUT.mkdir(parents=True, exist_ok=True)
    path = _path(realistic)
    if os.environ.get("EVTX_VARIED"):
        from evtx_varied import make_varied

        make_varied(SAMPLES, path, copies, attack_every=40)
    elif os.environ.get("EVTX_DENSE"):
        from evtx_dense import make_dense

        make_dense(SAMPLES, path, copies, attack_every=40)
    elif realistic:
        make_realistic(SAMPLES, path, copies, attack_every=40)
    else:
        made = make_dense(copies)
        made.replace(path)
    print(f"{path}: {path.stat().st_size:,} bytes")


def run(mode: str, realistic: bool) -> int:
    import evtx

    from extriage.detections.events.collect import _NOT_REMOTE, IP_FIELDS, EventCollector
    from extriage.detections.events.engine import default_rules
    from extriage.detections.events.screen import Screen
    from extriage.formats.evtx_file import EvtxStats, iter_evtx, iter_evtx_batches

    path = str(_path(realistic))
    rules = default_rules()
    coll = EventCollector(rules, path, "evtx", keep_ids=False, part=True)
    stats = EvtxStats()
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        if mode == "parser":
            return sum(1 for _ in evtx.PyEvtxParser(fh, number_of_threads=1).records_json())
        if mode in ("batches", "system", "screen"):  # the screened path's steps, each adding one
            for batch in iter_evtx_batches(fh, size, path, stats):
                if mode != "batches":
                    cols = batch.system()
                    if mode == "screen":
                        coll._screen = coll._screen or Screen(rules, IP_FIELDS, _NOT_REMOTE)
                        coll._screen.full_indices(cols)
        elif mode == "screened":
            for batch in iter_evtx_batches(fh, size, path, stats):
                coll.feed_batch(batch)
        elif mode == "raw":  # + chunks where no record can matter read without the parser (E4)
            for batch in iter_evtx_batches(fh, size, path, stats, raw=coll.raw_chunk):
                coll.feed_batch(batch)
        elif mode == "full":
            for rec in iter_evtx(fh, size, path, stats):
                coll.feed(rec)
    return stats.records


def report(prefix: str, realistic: bool) -> None:
    import evtx

    records = sum(1 for _ in evtx.PyEvtxParser(str(_path(realistic))).records_json())
    totals: dict[str, int] = {}
    for mode in MODES:
        path = Path(f"{prefix}.{mode}")
        if not path.exists():
            continue
        text = path.read_text(errors="replace")
        found = re.search(r"^summary:\s+(\d+)", text, re.M) or re.search(r"^totals:\s+(\d+)", text, re.M)
        assert found, path
        totals[mode] = int(found.group(1))
    base = totals.get("start", 0)
    parser = totals.get("parser", 0) - base
    print(f"{records:,} records; start-up {base / 1e6:,.0f} M instructions")
    for mode, total in totals.items():
        if mode == "start":
            continue
        per = (total - base) / records
        own = (total - base - parser) / records
        ratio = parser / (total - base) if total > base else 0.0
        print(f"{mode:9s} {per / 1e3:7.1f} k per record (ours {own / 1e3:6.1f} k); parser / this {ratio:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", nargs="?", choices=MODES)
    ap.add_argument("--make", action="store_true")
    ap.add_argument("--copies", type=int, default=400)
    ap.add_argument("--realistic", action="store_true")
    ap.add_argument("--report", metavar="PREFIX")
    args = ap.parse_args()
    if args.make:
        make(args.copies, args.realistic)
    elif args.report:
        report(args.report, args.realistic)
    elif args.mode:
        print(args.mode, run(args.mode, args.realistic))


if __name__ == "__main__":
    main()
