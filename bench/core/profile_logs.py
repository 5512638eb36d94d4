"""One logs worker's per-file work, profiled: ``scan_log_file`` over one family's files in this process.

    .venv/bin/python bench/core/profile_logs.py --data bench/data/L2g --family httpproxy           # CPU per file
    .venv/bin/python bench/core/profile_logs.py --data bench/data/L2g --profile 25                # + cProfile top 25
    valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out \\
        .venv/bin/python bench/core/profile_logs.py --data bench/data/L2g --limit 1000 --rounds 1  # instructions

The outcomes are pickled as one batch, as a worker sends them back. The inventory is built and the
rules compiled before the timed rounds (the fork server does that once for all workers), so the
figures are the per-file cost a worker pays; ``--src`` runs an older checkout's code.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--family", default="httpproxy")
    ap.add_argument("--limit", type=int, default=0, help="only the first N files")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile the last round, print top N")
    ap.add_argument("--src", help="an older checkout's src/ folder, put first on sys.path")
    args = ap.parse_args()
    if args.src:
        sys.path.insert(0, str(Path(args.src).resolve()))

    from extriage.evidence.locate import build_inventory
    from extriage.evidence.source import open_source
    from extriage.formats.sniff import family_from_path
    from extriage.scan.stages.logs import LogParams, family_plan, scan_log_file

    inv = build_inventory(open_source(args.data), lambda _p, _w: None)
    params = LogParams()
    family_plan(params.engine, params.extra_rule_dirs, args.family)
    files = [f for f in inv.files if (fm := family_from_path(f.key)) is not None and fm.family == args.family]
    if args.limit:
        files = files[: args.limit]
    size = sum(f.ref.size for f in files)
    for f in files[:50]:  # imports and first-use caches, as the fork server's warm-up has them
        pickle.dumps(scan_log_file(f, params), pickle.HIGHEST_PROTOCOL)
    cpus: list[float] = []
    for r in range(args.rounds):
        prof = None
        if args.profile and r == args.rounds - 1:
            import cProfile

            prof = cProfile.Profile()
            prof.enable()
        cpu = time.process_time()
        pickle.dumps([scan_log_file(f, params) for f in files], pickle.HIGHEST_PROTOCOL)  # one batch
        cpus.append(time.process_time() - cpu)
        if prof is not None:
            prof.disable()
            import pstats

            pstats.Stats(prof).sort_stats("tottime").print_stats(args.profile)
    if not cpus:  # --rounds 0: set-up only (the base line of an instruction count)
        return 0
    best = min(cpus)
    print(f"{args.family}: {len(files)} files, {size / 2**20:.0f} MiB; CPU per round "
          f"{', '.join(f'{c:.3f}' for c in cpus)} s; best {best:.3f} s = {best / len(files) * 1e3:.3f} ms/file")
    return 0


if __name__ == "__main__":
    sys.exit(main())
