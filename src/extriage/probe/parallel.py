"""Spread a large probe over several processes.

The HTTP stack (httpx → httpcore → h11 → anyio) costs about a millisecond of CPU per request, so one
event loop tops out near one core. Large runs are sharded by host endpoint — every target of one (host, port) lands
in the same process, so the per-host limits still hold — and each process runs its own event loop
with its share of the global concurrency. Results stream back as each target finishes (progress
stays live); a worker that dies leaves its unfinished targets as ``error``, never as missing.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import queue as queue_mod
import zlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from extriage.probe.engine import ProbeOptions, probe_all
from extriage.probe.result import TargetResult
from extriage.probe.states import State, load_assess, uniform
from extriage.probe.targets import Target

#: Below this many targets a single process is faster than starting workers.
MIN_TARGETS_PER_WORKER = 1000


def auto_workers(n_targets: int) -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, 8, n_targets // MIN_TARGETS_PER_WORKER))


def _shard_of(target: Target, n: int) -> int:
    """Same (host, port) → same process, matching the per-host gate's key."""
    host, port = target.key
    return zlib.crc32(f"{host}:{port}".encode("utf-8", "replace")) % n


def _worker(shard: list[tuple[int, Target]], opts: ProbeOptions, out: Any) -> None:
    assess = load_assess()

    def done(local: int, r: TargetResult) -> None:
        out.put((shard[local][0], r))

    async def main() -> None:
        await probe_all([t for _, t in shard], opts, assess, on_index=done)

    asyncio.run(main())
    out.put(None)


def probe_parallel(
    targets: list[Target],
    opts: ProbeOptions,
    workers: int,
    on_done: Callable[[TargetResult], None] | None = None,
) -> list[TargetResult]:
    """Probe ``targets`` in ``workers`` processes; results in input order."""
    shards: list[list[tuple[int, Target]]] = [[] for _ in range(workers)]
    for i, t in enumerate(targets):
        shards[_shard_of(t, workers)].append((i, t))
    shards = [s for s in shards if s]
    per = replace(
        opts, client=replace(opts.client, concurrency=max(1, opts.client.concurrency // len(shards)))
    )
    ctx = mp.get_context("spawn")  # no fork of a process that may hold threads
    out = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(shard, per, out), daemon=True) for shard in shards]
    for p in procs:
        p.start()
    results: list[TargetResult | None] = [None] * len(targets)
    finished = 0
    try:
        while finished < len(procs):
            try:
                item = out.get(timeout=1.0)
            except queue_mod.Empty:
                if not any(p.is_alive() for p in procs):
                    break
                continue
            if item is None:
                finished += 1
                continue
            i, res = item
            results[i] = res
            if on_done is not None:
                on_done(res)
    finally:
        for p in procs:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()
    final: list[TargetResult] = []
    for i, r in enumerate(results):
        if r is None:
            reason = "the worker process probing this target stopped unexpectedly"
            r = TargetResult(target=targets[i].text, error=reason, waves=uniform(State.ERROR, reason))
        final.append(r)
    return final
