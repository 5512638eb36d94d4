"""Benchmark ``extriage probe`` against >= 1,000 mock Exchange targets on loopback.

The mock (tests/probe/mock_exchange.py) runs in its own process: one uvicorn server listening on
N ports, profiles cycling through Exchange 2010/2013/2016/2019 variants, a load-balanced pair and a
non-Exchange site. The probe runs as the real CLI in a child process (``--json``, default options,
version-only mode), so the figures include start-up. Reported: targets/s, requests per target
(from the JSON evidence), peak RSS of the probe process. Reference in the same run: a bare httpx
blast of the same number of GETs at the same concurrency — the mock's own ceiling on this machine.

    .venv/bin/python bench/probe/bench_probe.py --targets 1000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "probe"))

from mock_exchange import MockFarm, Profile  # noqa: E402

VARIANTS = [
    Profile("2013", nodes=[("EX13", "15.0.1497.2")]),
    Profile("2016-cuonly", nodes=[("EX16", "15.1.2176.2")], exporttool=False),
    Profile("2016-patched", nodes=[("EX16P", "15.1.2507.35")], owa_version_header=True),
    Profile("2019", nodes=[("EX19", "15.2.986.14")], owa_version_header=True),
    Profile("2010", nodes=[("", "14.3.513.0")], owa_version_header=True),
    Profile("lb", nodes=[("EXLB01", "15.1.2507.35"), ("EXLB02", "15.1.2176.2")], owa_version_header=True),
    Profile("federated", nodes=[("EXF", "15.2.792.3")], federated=True),
    Profile("web", exchange=False),
]


def serve(n: int, q: mp.Queue) -> None:  # type: ignore[type-arg]
    farm = MockFarm()
    ports = farm.start_uvicorn([VARIANTS[i % len(VARIANTS)] for i in range(n)])
    q.put(ports)
    while True:
        time.sleep(3600)


async def raw_reference(ports: list[int], per_target: int, concurrency: int) -> float:
    """The floor: a minimal asyncio client doing the same number of keep-alive GETs per target
    (no TLS, no parsing beyond Content-Length) — what the mock allows on this machine."""
    sem = asyncio.Semaphore(concurrency)

    async def one(port: int) -> None:
        async with sem:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            for _ in range(per_target):
                writer.write(
                    b"GET /owa/auth/logon.aspx HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: ref\r\n\r\n"
                )
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(one(p) for p in ports))
    return time.perf_counter() - started


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=200)
    ap.add_argument(
        "--workers", type=int, default=0, help="passed to --workers (0 = the probe's automatic choice)"
    )
    args = ap.parse_args()
    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    q: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    server = mp.Process(target=serve, args=(args.targets, q), daemon=True)
    server.start()
    try:
        ports: list[int] = q.get(timeout=120)
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        targets_file = out_dir / "probe-targets.txt"
        targets_file.write_text("\n".join(urls) + "\n")
        json_out = out_dir / "probe-results.json"
        cmd = [
            sys.executable, "-m", "extriage", "probe", "--targets", str(targets_file),
            "--json", str(json_out), "--quiet", "--concurrency", str(args.concurrency), "--workers", str(args.workers),
        ]  # fmt: skip
        # Fixed cost (interpreter start, imports, knowledge tables): the same CLI on one target.
        one = out_dir / "probe-one.txt"
        one.write_text(urls[0] + "\n")
        base = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([*cmd[:5], str(one), "--quiet", "--workers", "1"], capture_output=True, check=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        fixed_cpu = (after.ru_utime + after.ru_stime) - (base.ru_utime + base.ru_stime)
        one.unlink()
        server_cpu0 = cpu_seconds(server.pid or 0)
        started = time.perf_counter()
        proc = subprocess.run(
            cmd, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"}
        )
        elapsed = time.perf_counter() - started
        server_cpu = cpu_seconds(server.pid or 0) - server_cpu0
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_kib = usage.ru_maxrss
        cpu = (usage.ru_utime + usage.ru_stime) - (after.ru_utime + after.ru_stime)
        if proc.returncode not in (0, 3, 10):
            print(proc.stderr, file=sys.stderr)
            raise SystemExit(f"probe failed with exit code {proc.returncode}")
        doc = json.loads(json_out.read_text())
        results = doc["results"]
        reqs = [r["requests"] for r in results]
        errors = sum(1 for r in results if r["error"])
        states: dict[str, int] = {}
        for r in results:
            states[r["worst_state"]] = states.get(r["worst_state"], 0) + 1
        n_requests = sum(reqs)
        per_target = round(n_requests / len(results))
        ref = asyncio.run(raw_reference(ports, per_target, args.concurrency))
        print(f"targets: {len(results)}  errors: {errors}  states: {states}")
        print(f"probe: {elapsed:.2f}s wall (incl. start-up) = {len(results) / elapsed:.0f} targets/s")
        probe_s = doc["elapsed_s"]
        print(
            f"probe phase only (JSON elapsed_s, after start-up): {probe_s:.2f}s = {len(results) / probe_s:.0f} targets/s"
        )
        print(
            f"requests/target: mean {n_requests / len(results):.2f}, max {max(reqs)}  ({n_requests} requests)"
        )
        print(
            f"peak RSS of the probe process: {peak_kib / 1024:.0f} MiB; probe CPU {cpu:.2f}s ({cpu / elapsed:.0%} of one core)"
        )
        per_target_ms = (cpu - fixed_cpu) / max(1, len(results) - 1) * 1000
        print(
            f"probe CPU per target (minus the {fixed_cpu:.2f}s fixed start-up cost): {per_target_ms:.2f} ms -> one core sustains {1000 / per_target_ms:.0f} targets/s"
        )
        print(f"mock server CPU during the probe: {server_cpu:.2f}s ({server_cpu / elapsed:.0%} of one core)")
        ref_n = per_target * len(ports)
        print(
            f"reference (minimal asyncio client, {per_target} keep-alive GETs x {len(ports)} targets): {ref:.2f}s = {len(ports) / ref:.0f} targets/s, {ref_n / ref:.0f} req/s; probe/reference = {ref / elapsed:.2f}"
        )
    finally:
        server.terminate()
        server.join(5)
        for f in ("probe-targets.txt", "probe-results.json"):
            (out_dir / f).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
