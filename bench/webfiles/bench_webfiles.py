"""Benchmark the webfiles stage against the ``yara`` CLI on the same generated web tree, same rules.

Also measures the engine choices on the same data: yara-x vs yara-python (single process, files in
memory) and RE2 set vs Hyperscan for the location rules.

Usage (from the repo root; writes under bench/out/, deleted with --cleanup):
    .venv/bin/python bench/webfiles/bench_webfiles.py [--extra-files 4000] [--repeat 2] [--cleanup]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import time
from pathlib import Path

from extriage.detections.webfiles.knowledge import builtin_rule_files, location_rules
from extriage.detections.webfiles.paths import PathMatcher
from extriage.evidence.locate import build_inventory
from extriage.evidence.source import open_source
from extriage.findings import ScanResult
from extriage.generator import webfiles as gen
from extriage.generator.plan import make_plan
from extriage.generator.tree import Tree
from extriage.scan.context import ScanContext, ScanOptions, start_workers
from extriage.scan.registry import WORKER_MODULES
from extriage.scan.stages.webfiles import WebFilesStage

OUT = Path(__file__).resolve().parents[1] / "out" / "webfiles"


def make_tree(root: Path, extra_files: int, pad_kb: int = 0) -> None:
    """The full legitimate Exchange 2016 web tree (~17,000 files), a second IIS site of pages, and the
    planted shells and traces of the ProxyLogon scenario."""
    plan = make_plan("proxylogon", seed=7, size=1024)
    plan.extras["webfiles_legit_files"] = 0
    tree = Tree(root, "kape")
    gen.plant(tree, plan, random.Random(7))
    rng = random.Random(8)
    for i in range(extra_files):
        rel = f"intranet\\section{i % 40}\\page{i}.{rng.choice(('aspx', 'js', 'css', 'htm', 'ascx'))}"
        tree.write_bytes("C:\\inetpub\\wwwroot\\" + rel, gen.legit_content(rel.replace("\\", "/"), rng))
    if pad_kb:  # grow text files to a more realistic size (comment filler, avg pad_kb KB)
        filler = b"/* " + b"lorem ipsum dolor sit amet " * 40 + b"*/\n"
        for dirpath, _, names in os.walk(root):
            for name in names:
                if name.rsplit(".", 1)[-1] in ("js", "css", "aspx", "htm", "ascx", "xml", "json"):
                    with open(os.path.join(dirpath, name), "ab") as fh:
                        fh.write(filler * (rng.randrange(0, 2 * pad_kb * 1024) // len(filler)))


def tree_stats(root: Path) -> tuple[int, int]:
    n = size = 0
    for dirpath, _, names in os.walk(root):
        for name in names:
            n += 1
            size += os.path.getsize(os.path.join(dirpath, name))
    return n, size


def _forkserver_children_cpu() -> float:
    """CPU seconds of the workers the scan's fork server started and reaped: they are its children,
    not ours, so RUSAGE_CHILDREN misses them (utime + stime of reaped children, /proc fields 16-17)."""
    from multiprocessing import forkserver

    pid = getattr(forkserver._forkserver, "_forkserver_pid", None)
    if not pid:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds() -> float:
    """CPU time of this process, its reaped children (the yara CLI) and the fork server's reaped
    children (the scan's worker processes)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime + _forkserver_children_cpu()


def run_ours(root: Path) -> tuple[float, float, float, dict[str, object]]:
    """(stage seconds, whole scan seconds incl. listing the evidence, stage CPU seconds, facts)."""
    t = time.perf_counter()
    spec = open_source(root)
    inv = build_inventory(spec, lambda p, w: None)
    listed = time.perf_counter()
    cpu0 = cpu_seconds()
    ctx = ScanContext(inv, ScanResult(spec.root), ScanOptions(jobs=0))
    WebFilesStage().run(ctx)
    end = time.perf_counter()
    cpu = cpu_seconds() - cpu0
    w = ctx.result.extras["webfiles"]
    return (
        end - listed,
        end - t,
        cpu,
        {
            "files_read": w["files_read"],
            "files_header_checked": w["files_header_checked"],
            "findings": len(ctx.result.findings),
        },
    )


def run_libyara(root: Path, rules: Path) -> tuple[float, float, int]:
    """Stand-in for the ``yara`` CLI where it is not installed: libyara (yara-python) scanning every
    file of the tree by path with one thread per core (libyara releases the GIL while scanning),
    as ``yara -r`` does with its scan threads. Same rules, same files."""
    import queue
    import threading

    import yara

    compiled = yara.compile(filepath=str(rules))
    t = time.perf_counter()
    cpu0 = cpu_seconds()
    paths: queue.Queue[str | None] = queue.Queue(maxsize=4096)
    hits: list[str] = []

    def scan() -> None:
        while (path := paths.get()) is not None:
            try:
                if compiled.match(path, timeout=60):
                    hits.append(path)
            except yara.Error:
                pass

    threads = [threading.Thread(target=scan) for _ in range(os.cpu_count() or 1)]
    for th in threads:
        th.start()
    for dirpath, _, names in os.walk(root):
        for name in names:
            paths.put(os.path.join(dirpath, name))
    for _ in threads:
        paths.put(None)
    for th in threads:
        th.join()
    return time.perf_counter() - t, cpu_seconds() - cpu0, len(hits)


def run_yara_cli(root: Path, rules: Path) -> tuple[float, float, int]:
    if shutil.which("yara") is None:
        return run_libyara(root, rules)
    t = time.perf_counter()
    cpu0 = cpu_seconds()
    proc = subprocess.run(
        ["yara", "-r", "-w", str(rules), str(root)], capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - t
    cpu = cpu_seconds() - cpu0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"yara failed: {proc.stderr.strip()}")
    return elapsed, cpu, len(proc.stdout.splitlines())


def engines(root: Path, rules_text: str) -> dict[str, float]:
    import yara
    import yara_x

    blobs = []
    for dirpath, _, names in os.walk(root):
        for name in names:
            blobs.append(Path(dirpath, name).read_bytes())
    total = sum(len(b) for b in blobs)
    xs = yara_x.Scanner(yara_x.compile(rules_text))
    t = time.perf_counter()
    hx = sum(1 for b in blobs if xs.scan(b).matching_rules)
    tx = time.perf_counter() - t
    yp = yara.compile(source=rules_text)
    t = time.perf_counter()
    hp = sum(1 for b in blobs if yp.match(data=b))
    tp = time.perf_counter() - t
    inv = build_inventory(open_source(root), lambda p, w: None)
    keys = [f.key for f in inv.files]
    out: dict[str, float] = {
        "yara_x_s": tx,
        "yara_x_mb_s": total / tx / 1e6,
        "yara_x_hits": hx,
        "yara_python_s": tp,
        "yara_python_mb_s": total / tp / 1e6,
        "yara_python_hits": hp,
        "paths": len(keys),
    }
    for backend in ("re2", "hyperscan"):
        m = PathMatcher(location_rules(), backend)
        t = time.perf_counter()
        hits = sum(1 for k in keys if m.match(k))
        el = time.perf_counter() - t
        out[f"{backend}_paths_s"] = len(keys) / el
        out[f"{backend}_hits"] = hits
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--extra-files", type=int, default=4000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--cleanup", action="store_true")
    ap.add_argument("--pad-kb", type=int, default=0, help="grow text files by ~N KB on average")
    ap.add_argument(
        "--reuse-tree",
        action="store_true",
        help="scan the tree an earlier run left in --out (old/new in turn)",
    )
    ap.add_argument("--out", type=Path, default=OUT, help=f"work folder (default {OUT})")
    args = ap.parse_args()
    out = args.out
    root = out / "tree"
    if args.reuse_tree and (out / "tree.json").exists():
        made = json.loads((out / "tree.json").read_text())
        if made != [args.extra_files, args.pad_kb]:
            raise SystemExit(f"{root} was made with other --extra-files/--pad-kb: {made}")
    else:
        if root.exists():
            shutil.rmtree(root)
        root.mkdir(parents=True)
        make_tree(root, args.extra_files, args.pad_kb)
        (out / "tree.json").write_text(json.dumps([args.extra_files, args.pad_kb]))
    files, size = tree_stats(root)
    rules_text = "\n".join(text for _, text in builtin_rule_files())
    rules = out / "rules.yar"
    rules.write_text(rules_text)
    ours: list[float] = []
    whole: list[float] = []
    cli: list[float] = []
    ours_cpu: list[float] = []
    cli_cpu: list[float] = []
    info: dict[str, object] = {}
    cli_hits = 0
    start_workers(WORKER_MODULES)  # as a scan does, while it lists the evidence
    for _ in range(args.repeat):  # interleaved, best of N: the machine is shared and noisy
        el, cpu, cli_hits = run_yara_cli(root, rules)
        cli.append(el)
        cli_cpu.append(cpu)
        el, total, cpu, info = run_ours(root)
        ours.append(el)
        whole.append(total)
        ours_cpu.append(cpu)
    best_ours, best_cli = min(ours), min(cli)
    report = {
        "reference": "yara CLI"
        if shutil.which("yara")
        else "libyara via yara-python, one thread per core (no yara CLI)",
        "tree_files": files,
        "tree_mb": round(size / 1e6, 2),
        "ours_s": round(best_ours, 3),
        "ours_files_s": round(files / best_ours),
        "ours_mb_s": round(size / best_ours / 1e6, 2),
        "yara_cli_s": round(best_cli, 3),
        "yara_cli_files_s": round(files / best_cli),
        "yara_cli_mb_s": round(size / best_cli / 1e6, 2),
        "ratio_vs_yara_cli": round(best_cli / best_ours, 2),
        "ours_cpu_s": round(min(ours_cpu), 3),
        "yara_cli_cpu_s": round(min(cli_cpu), 3),
        "ratio_cpu_vs_yara_cli": round(min(cli_cpu) / min(ours_cpu), 2),
        "load_average_after": os.getloadavg()[0],
        "ours_with_listing_s": round(min(whole), 3),
        "ratio_with_listing": round(best_cli / min(whole), 2),
        "yara_cli_matches": cli_hits,
        **info,
        "engines": {k: round(v, 3) for k, v in engines(root, rules_text).items()},
        "cores": os.cpu_count(),
        # every round, to show the spread on a shared machine (the ratio above is best vs best)
        "rounds_ours_s": [round(x, 3) for x in ours],
        "rounds_yara_cli_s": [round(x, 3) for x in cli],
        "rounds_ratio": [round(c / o, 2) for c, o in zip(cli, ours, strict=True)],
    }
    print(json.dumps(report, indent=2))
    if args.cleanup:
        shutil.rmtree(out)


if __name__ == "__main__":
    main()
