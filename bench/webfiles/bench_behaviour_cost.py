"""CPU cost of the behaviour analysis alone on the shared corpus (shells: the slow path; benign pages:
mostly the screen), to compare two versions of the engine on the same files in one sitting.

Run it once per version (``PYTHONPATH=OLD/src`` for the old one), alternating, and compare the medians:
    .venv/bin/python bench/webfiles/bench_behaviour_cost.py [--shared DIR] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from extriage.detections.webfiles.behaviour import analyse, knowledge

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_corpus import shared_dir


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    corpus = shared_dir(args.shared)
    sets = {}
    for name in ("webshells", "benign"):
        files = []
        for p in sorted((corpus / name).iterdir()):
            if p.is_file() and p.suffix.lower() not in (".txt", ".md"):
                raw = p.read_bytes()
                if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
                    raw = raw.decode("utf-16").encode("utf-8")
                files.append((raw, p.suffix.lower()))
        sets[name] = files
    knowledge()
    out: dict[str, object] = {"load": os.getloadavg()[0]}
    for name, files in sets.items():
        rounds = []
        for _ in range(args.rounds):
            t0 = time.process_time()
            for raw, ext in files:
                analyse(raw, ext, budget=30.0)
            rounds.append(time.process_time() - t0)
        out[name] = {
            "files": len(files),
            "cpu_s_median": round(statistics.median(rounds), 3),
            "rounds": rounds,
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
