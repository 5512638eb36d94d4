"""Core scan benchmark: ``extriage scan`` against ripgrep on the same generated log tree, in one run.

    .venv/bin/python bench/scan/run_bench.py --size 2GB            # generate, measure, delete
    .venv/bin/python bench/scan/run_bench.py --size 2GB --keep     # keep bench/data/scan for reruns

1. Generates a ``full`` scenario server (HttpProxy + IIS + ECP + OABGenerator logs) of ``--size``
   with the generator, timing it (MB/s).
2. Warms the page cache with one ripgrep pass (both tools then read from memory, as on a second
   look at a mounted image), then alternates ripgrep and ``extriage scan`` ``--rounds`` times.
   ripgrep searches the same tree, case-insensitively, for the same prefilter literals and regexes
   the core-logs rules declare (read from :func:`extriage.detections.logrules.load_rules`), with
   2 threads (``-j2``) — the machine's cores, which extriage also uses.
3. Records wall time, throughput over the bytes of all files in the tree, the ratio
   extriage/ripgrep, the peak RSS of the largest single process (``ru_maxrss``), the peak summed
   PSS and RSS of the extriage process tree (sampled from /proc every 50 ms; PSS shares pages the
   fork server and its workers have in common, RSS counts them in each), and the verdict. The
   memory is sampled in one more scan per code after the timed rounds (``--memory-in-rounds``:
   in every timed round, as before session 6; the sampler then slowed the timed scan on two cores).
   The package's bytecode is compiled first, as an installed package has it.

Results go to ``bench/out/scan-<time>.json`` and a Markdown row is printed for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def tree_bytes(path: Path) -> tuple[int, int]:
    total = files = 0
    for dirpath, _dirs, names in os.walk(path):
        for n in names:
            total += (Path(dirpath) / n).stat().st_size
            files += 1
    return total, files


def prefilter_patterns() -> list[str]:
    """Every prefilter literal (escaped for ripgrep's regex syntax) and regex of the core-logs rules."""
    from extriage.detections.logrules import load_rules

    def escape(literal: str) -> str:
        return "".join("\\" + c if c in "\\.+*?()|[]{}^$" else c for c in literal)

    rules = load_rules()
    pats: list[str] = []
    for rule in rules.rules:
        pats.extend(escape(x) for x in rule.prefilter)
        pats.extend(rule.prefilter_regex)
    return list(dict.fromkeys(pats))


def _tree_memory(pid: int) -> tuple[int, int]:
    """Summed RSS and summed PSS (bytes) of ``pid`` and its descendants, from /proc.

    RSS counts a page shared by several processes (the fork server's imports in each worker)
    once per process; PSS divides it among them, so the PSS sum is the memory the tree really
    uses. Both are recorded."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().rsplit(b")", 1)[1].split()
            children.setdefault(int(stat[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    rss = pss = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        stack.extend(children.get(p, []))
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
        except OSError:
            continue
    return rss, pss


def _become_subreaper() -> bool:
    """Make this process the reaper of its orphaned descendants (Linux ``PR_SET_CHILD_SUBREAPER``):
    the scan's fork server outlives the main process by a moment and is never waited for by it, so
    without this its CPU time (and its workers', which it reaps) would be missing from
    ``RUSAGE_CHILDREN``."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(36, 1, 0, 0, 0) == 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def _reap_orphans() -> None:
    """Wait for every descendant re-parented to this process (see :func:`_become_subreaper`)."""
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def timed(argv: list[str], sample_tree: bool = False, env: dict[str, str] | None = None) -> dict[str, float | int]:
    """Run ``argv``; wall time, CPU time (user + system of the whole process tree), exit code, peak
    summed tree RSS (if asked) and ru_maxrss of the run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    peak = peak_pss = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_pss
        while not stop.is_set():
            rss, pss = _tree_memory(proc.pid)
            peak, peak_pss = max(peak, rss), max(peak_pss, pss)
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    if sample_tree:
        sampler.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    stop.set()
    if sample_tree:
        sampler.join()
    _reap_orphans()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (usage.ru_utime - cpu_before.ru_utime) + (usage.ru_stime - cpu_before.ru_stime)
    after = usage.ru_maxrss
    if err.strip():
        sys.stderr.write(err.decode("utf-8", "replace")[-2000:])
    return {"wall": wall, "cpu": cpu, "rc": proc.returncode, "tree_rss_peak": peak, "tree_pss_peak": peak_pss,
            "maxrss_kb_after": max(after, before)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="2GB")
    ap.add_argument("--days", type=int, default=21)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--data", default=str(ROOT / "bench" / "data" / "scan"))
    ap.add_argument("--keep", action="store_true", help="keep the generated tree")
    ap.add_argument("--old", metavar="SRC", help="also run an older checkout's code (its src/ folder, put first "
                    "on PYTHONPATH) in every round, alternated with ripgrep and the current code")
    ap.add_argument("--memory-in-rounds", action="store_true",
                    help="sample the scan's memory in every timed round (as before session 6); by default the "
                         "timed rounds run without the sampler and one more run per code measures memory")
    args = ap.parse_args()
    if not _become_subreaper():
        print("note: not Linux (no PR_SET_CHILD_SUBREAPER): the fork server's CPU time is not counted", file=sys.stderr)

    from extriage.generator import generate, is_generated, parse_size

    data = Path(args.data)
    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    rg = shutil.which("rg")
    if not rg:
        print("ripgrep (rg) is not installed: apt-get install ripgrep", file=sys.stderr)
        return 2
    rg_version = subprocess.run([rg, "--version"], capture_output=True, text=True, check=True).stdout.split(
        "\n"
    )[0]

    gen: dict[str, float] = {}
    marker = data / "extriage-generated.json"
    reuse = is_generated(data) and json.loads(marker.read_text()).get("plan", {}).get("size") == parse_size(
        args.size
    )
    if not reuse:
        print(f"generating {args.size} into {data} ...", flush=True)
        g = generate(
            data, scenario="full", seed=1, size=args.size, days=args.days, layout="kape", overwrite=True
        )
        gen = {
            "seconds": round(g.seconds, 1),
            "log_seconds": round(g.log_seconds, 1),
            "mib_per_s": round(g.mb_per_second, 1),
            "log_bytes": g.bytes_written,
        }
        print(
            f"generated {g.bytes_written / 1024**3:.2f} GiB of logs in {g.log_seconds:.1f} s "
            f"({g.mb_per_second:.1f} MiB/s; {g.seconds:.1f} s with the other planters)"
        )
    total, files = tree_bytes(data)
    mib = total / 1024**2
    pats = prefilter_patterns()
    rg_argv = [
        rg,
        "-i",
        "-c",
        "-j2",
        "--no-messages",
        "-uuu",
        *[x for p in pats for x in ("-e", p)],
        str(data),
    ]
    scan_json = out_dir / "scan-result.json"
    ex_argv = [str(BIN / "extriage"), "scan", str(data), "--quiet", "--json", str(scan_json)]

    # An installed package carries its bytecode (pip compiles it); an editable checkout run with
    # PYTHONDONTWRITEBYTECODE (as in CI sandboxes) would recompile every module in every process.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src" / "extriage")], check=True)
    old_env: dict[str, str] | None = None
    if args.old:
        old_src = Path(args.old).resolve()
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(old_src / "extriage")], check=True)
        old_env = {**os.environ, "PYTHONPATH": str(old_src)}
    old_runs: list[dict[str, float | int]] = []
    print(
        f"tree: {files} files, {mib:,.0f} MiB; {len(pats)} prefilter patterns; warming the page cache",
        flush=True,
    )
    timed(rg_argv)
    rg_runs: list[float] = []
    rg_cpu: list[float] = []
    ex_runs: list[dict[str, float | int]] = []
    loads: list[float] = [os.getloadavg()[0]]
    for i in range(args.rounds):
        r = timed(rg_argv)
        if r["rc"] not in (0, 1):
            print(f"ripgrep failed (exit {r['rc']})", file=sys.stderr)
            return 2
        rg_runs.append(float(r["wall"]))
        rg_cpu.append(float(r["cpu"]))
        print(f"round {i + 1}: rg {r['wall']:.2f} s (CPU {r['cpu']:.2f} s, load {os.getloadavg()[0]:.1f})", flush=True)
        e = timed(ex_argv, sample_tree=args.memory_in_rounds)
        ex_runs.append(e)
        print(
            f"round {i + 1}: extriage {e['wall']:.2f} s (CPU {e['cpu']:.2f} s, load {os.getloadavg()[0]:.1f}; "
            f"exit {e['rc']}, tree peak PSS {e['tree_pss_peak'] / 1024**2:.0f} MiB, "
            f"RSS {e['tree_rss_peak'] / 1024**2:.0f} MiB)",
            flush=True,
        )
        if old_env is not None:
            o = timed([*ex_argv[:-1], str(out_dir / "scan-result-old.json")], sample_tree=args.memory_in_rounds,
                      env=old_env)
            old_runs.append(o)
            print(f"round {i + 1}: old code {o['wall']:.2f} s (CPU {o['cpu']:.2f} s, load {os.getloadavg()[0]:.1f}; "
                  f"exit {o['rc']}, tree peak PSS {o['tree_pss_peak'] / 1024**2:.0f} MiB)", flush=True)
        loads.append(os.getloadavg()[0])
    # The memory sampler reads /proc every 50 ms beside the scan (ripgrep runs without it): on two
    # cores it slowed the timed scan by 0.1-0.6 s of 4 s, so memory is measured in runs of its own.
    ex_mem, old_mem = ex_runs, old_runs
    if not args.memory_in_rounds:
        ex_mem = [timed(ex_argv, sample_tree=True)]
        if old_env is not None:
            old_mem = [timed([*ex_argv[:-1], str(out_dir / "scan-result-old.json")], sample_tree=True, env=old_env)]
    rg_best = min(rg_runs)
    ex_best = min(float(e["wall"]) for e in ex_runs)
    rg_cpu_best = min(rg_cpu)
    ex_cpu_best = min(float(e["cpu"]) for e in ex_runs)
    verdict = json.loads(scan_json.read_text()).get("verdict") if scan_json.exists() else None
    result = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "size_arg": args.size,
        "tree_bytes": total,
        "files": files,
        "generation": gen,
        "ripgrep": {"version": rg_version, "runs_s": rg_runs, "best_s": rg_best, "mib_per_s": mib / rg_best,
                    "cpu_s": rg_cpu, "best_cpu_s": rg_cpu_best},
        "extriage": {
            "runs_s": [e["wall"] for e in ex_runs],
            "cpu_s": [e["cpu"] for e in ex_runs],
            "best_cpu_s": ex_cpu_best,
            "median_s": statistics.median(float(e["wall"]) for e in ex_runs),
            "best_s": ex_best,
            "mib_per_s": mib / ex_best,
            "exit_codes": [e["rc"] for e in ex_runs],
            "tree_rss_peak_mib": max(float(e["tree_rss_peak"]) for e in ex_mem) / 1024**2,
            "tree_pss_peak_mib": max(float(e["tree_pss_peak"]) for e in ex_mem) / 1024**2,
            "largest_process_maxrss_mib": max(float(e["maxrss_kb_after"]) for e in ex_mem) / 1024,
            "memory_sampled_in_timed_rounds": args.memory_in_rounds,
            "verdict": verdict,
        },
        "ratio_extriage_over_rg": (mib / ex_best) / (mib / rg_best),
        # per round (each extriage run against the ripgrep run just before it) and in CPU time,
        # which a loaded machine moves less than wall time
        "ratio_per_round": [r / float(e["wall"]) for r, e in zip(rg_runs, ex_runs, strict=True)],
        "cpu_ratio_extriage_over_rg": rg_cpu_best / ex_cpu_best,
        "load_average_1min": loads,
        "old_code": None if not old_runs else {
            "src": args.old,
            "runs_s": [o["wall"] for o in old_runs],
            "cpu_s": [o["cpu"] for o in old_runs],
            "best_s": min(float(o["wall"]) for o in old_runs),
            "best_cpu_s": min(float(o["cpu"]) for o in old_runs),
            "tree_pss_peak_mib": max(float(o["tree_pss_peak"]) for o in old_mem) / 1024**2,
        },
        "patterns": pats,
        "cpus": os.cpu_count(),
    }
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out_dir / f"scan-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "patterns"}, indent=2))
    print(
        f"\n| {result['when']} | {mib:,.0f} MiB, {files} files | rg {rg_best:.1f} s ({mib / rg_best:,.0f} MiB/s) | "
        f"extriage {ex_best:.1f} s ({mib / ex_best:,.0f} MiB/s) | {result['ratio_extriage_over_rg']:.2f}× | "
        f"CPU rg {rg_cpu_best:.2f} s / extriage {ex_cpu_best:.2f} s ({result['cpu_ratio_extriage_over_rg']:.2f}×) | "
        f"load {min(loads):.1f}–{max(loads):.1f} | "
        f"{result['extriage']['tree_pss_peak_mib']:.0f} MiB PSS / {result['extriage']['tree_rss_peak_mib']:.0f} MiB RSS (tree), "
        f"{result['extriage']['largest_process_maxrss_mib']:.0f} MiB (largest process) | {verdict} |"
    )
    if not args.keep:
        shutil.rmtree(data)
        print(f"removed {data}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
