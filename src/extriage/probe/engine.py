"""Probe one target, and many targets concurrently.

Default (non-intrusive) sequence per target, at most ``3 + lb_repeats`` GETs (4 by default):
1. ``/owa/auth/logon.aspx`` (no redirect following): status, ``Location``, OWA path, ``X-OWA-Version``, ``X-FEServer``;
2. the ECP export-tool manifest (full build);
3. ``/autodiscover/autodiscover.xml`` (``X-OWA-Version``, ``X-FEServer``), closing the connection;
4. ``lb_repeats`` × the logon page again, each on a fresh connection, to see other load-balanced nodes.
A bare IP over TLS whose answers show no Exchange is retried with the certificate's names as
SNI/Host. ``--enumerate`` (versioned ECP folders, :mod:`extriage.probe.enumerate`) and ``--confirm``
(behavioural checks, :mod:`extriage.probe.confirm`) are opt-in extras.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import httpx

from extriage.probe.client import ClientOptions, ProbeClient, http_hint, looks_like_plain_http
from extriage.probe.confirm import run_confirmations
from extriage.probe.enumerate import DEFAULT_MAX_REQUESTS, enumerate_builds
from extriage.probe.reconcile import UNKNOWN, reconcile
from extriage.probe.result import NodeResult, TargetResult
from extriage.probe.signals import Facts, Observation, extract
from extriage.probe.states import (
    RANK,
    AssessFn,
    State,
    WaveState,
    probe_waves,
    uniform,
    verdict_for_build,
    worst,
)
from extriage.probe.targets import Target
from extriage.probe.tls import host_names

LOGON = "/owa/auth/logon.aspx"
EXPORTTOOL = "/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application"
AUTODISCOVER = "/autodiscover/autodiscover.xml"


@dataclass
class ProbeOptions:
    client: ClientOptions
    lb_repeats: int = 1
    confirm: bool = False
    try_cert_names: bool = True
    enumerate: bool = False
    enumerate_max: int = DEFAULT_MAX_REQUESTS


class TargetProbe:
    """State of one target's probe: observations, facts and the base URL/Host in use."""

    def __init__(
        self, client: ProbeClient, target: Target, opts: ProbeOptions, assess: AssessFn | None
    ) -> None:
        self.client = client
        self.target = target
        self.opts = opts
        self.assess = assess
        self.base_url = target.base_url
        self.host_header: str | None = None
        self.result = TargetResult(target=target.text, url=None if target.error else self.base_url)
        self.facts: list[Facts] = []
        self.conn_ids: dict[object, int] = {}
        self.http: httpx.AsyncHTTPTransport | None = None
        #: (wave, node name or None for "whichever answered", outcome) from --confirm checks.
        self.confirm_outcomes: list[tuple[str, str | None, WaveState]] = []

    async def get(
        self, label: str, path: str, *, headers: dict[str, str] | None = None, close_after: bool = False
    ) -> tuple[Observation, Facts]:
        tls_out = self.result.tls if self.base_url.startswith("https") else None
        assert self.http is not None, "TargetProbe.run() opens the session"
        obs = await self.client.fetch(
            self.http,
            self.target,
            self.base_url,
            label,
            path,
            headers=headers,
            close_after=close_after,
            host_header=self.host_header,
            conn_ids=self.conn_ids,
            tls_out=tls_out,
        )
        facts = extract(obs)
        self.result.observations.append(obs)
        self.facts.append(facts)
        self.result.evidence_facts[len(self.result.observations) - 1] = describe(obs, facts)
        return obs, facts

    def exchange_markers(self, start: int = 0) -> list[str]:
        return sorted({m for f in self.facts[start:] for m in f.exchange_markers})

    async def run(self) -> TargetResult:
        if self.target.error:
            return self.fail(self.target.error)
        async with self.client.session() as http:
            self.http = http
            try:
                return await self._run()
            finally:
                self.http = None

    async def _run(self) -> TargetResult:
        t = self.target
        r = self.result
        first, _ = await self.get("owa-logon", LOGON)
        start = 0
        if first.error and t.scheme_guessed and t.scheme == "https" and looks_like_plain_http(first.error):
            r.notes.append("TLS failed in a way that suggests plain HTTP; retried over http")
            self.base_url = Target(t.text, "http", t.host, t.port).base_url
            r.url = self.base_url
            r.tls = {}
            tls_error = first.error
            first, _ = await self.get("owa-logon", LOGON)
            if first.error and not first.aborted:  # neither TLS nor plain HTTP answered
                return self.fail(f"{tls_error}, and over plain HTTP: {first.error}")
            start = 1  # the failed TLS attempt stays in the evidence, but the verdict is the http answers'
        if first.error and not first.aborted:
            return self.fail(first.error)
        await self.get("exporttool", EXPORTTOOL)
        await self.get("autodiscover", AUTODISCOVER, close_after=True)
        if not self.exchange_markers() and self.should_try_cert_names():
            for name in host_names(r.tls):
                self.host_header = name
                r.notes.append(
                    f"no Exchange answer for the bare IP; retried with the certificate name {name} as SNI/Host"
                )
                start = len(self.facts)
                await self.get("owa-logon", LOGON)
                await self.get("exporttool", EXPORTTOOL)
                await self.get("autodiscover", AUTODISCOVER, close_after=True)
                if self.exchange_markers(start):
                    r.host_header = name
                    break
            else:
                self.host_header = None
                start = 0
        if not self.exchange_markers(start):
            return self.not_exchange(start)
        for _ in range(max(0, self.opts.lb_repeats)):
            await self.get("owa-logon-repeat", LOGON, close_after=True)
        self.decide(start)
        if self.opts.enumerate and any(n.confidence == "cu-only" for n in r.nodes):
            await enumerate_builds(self, start, self.opts.enumerate_max)
            self.decide(start)
        if self.opts.confirm:
            await run_confirmations(self, start)
            self.decide(start)
        return r

    def should_try_cert_names(self) -> bool:
        return (
            self.opts.try_cert_names
            and self.target.is_ip
            and self.base_url.startswith("https")
            and bool(self.result.tls)
        )

    def fail(self, reason: str) -> TargetResult:
        t = self.target
        if reason.startswith("TLS handshake failed") and self.base_url.startswith("https") and (
            t.scheme_guessed or looks_like_plain_http(reason)
        ):
            # a bare host:port is tried over HTTPS first; say how to probe it over plain HTTP
            reason = f"{reason}; {http_hint(t.text, t.host, t.port)}"
        self.result.error = reason
        self.result.waves = uniform(State.ERROR, reason)
        return self.result

    def not_exchange(self, start: int) -> TargetResult:
        obs = self.result.observations[start:]
        answered = [o for o in obs if o.status is not None]
        if answered and len(answered) == len(obs):
            statuses = ", ".join(str(o.status) for o in answered)
            reason = f"no Exchange marker in {len(answered)} HTTP responses (status {statuses})"
            self.result.waves = uniform(State.NOT_EXCHANGE, reason)
        else:
            errs = "; ".join(sorted({o.error for o in obs if o.error}))
            reason = f"no Exchange marker, and some requests failed: {errs}"
            self.result.waves = uniform(State.UNKNOWN, reason)
        self.result.notes.append(reason)
        return self.result

    # --- reconciliation per node -------------------------------------------------------------
    def node_groups(self, start: int) -> dict[str | None, list[int]]:
        """Observation indexes per X-FEServer node; responses without the header join the node seen
        on the same connection, else an unnamed group (merged when there is a single named node)."""
        obs = self.result.observations
        conn_node: dict[int, str] = {}
        for i in range(start, len(obs)):
            fe = self.facts[i].fe_server
            if fe and obs[i].connection:
                conn_node.setdefault(obs[i].connection, fe)
        groups: dict[str | None, list[int]] = {}
        for i in range(start, len(obs)):
            if obs[i].status is None:
                continue
            name = self.facts[i].fe_server or conn_node.get(obs[i].connection)
            groups.setdefault(name, []).append(i)
        named = [k for k in groups if k is not None]
        if None in groups and len(named) == 1:
            groups[named[0]].extend(groups.pop(None))
        return groups or {None: []}

    def decide(self, start: int) -> None:
        r = self.result
        nodes: list[NodeResult] = []
        for name, idxs in self.node_groups(start).items():
            signals = [s for i in idxs for s in self.facts[i].builds]
            rec = reconcile(signals)
            if rec.build is None:
                waves = uniform(
                    State.UNKNOWN, "Exchange answered but showed no version (no header, OWA path or manifest)"
                )
                node = NodeResult(name, None, UNKNOWN, None, waves, notes=list(rec.notes))
            else:
                v = verdict_for_build(rec.build, self.assess)
                notes = list(rec.notes) + v.notes
                if v.exact_match is False and rec.confidence != "cu-only":
                    notes.append(
                        f"build {rec.build} is not in the catalogue"
                        + (f"; nearest {v.nearest}" if v.nearest else "")
                    )
                node = NodeResult(name, rec.build, rec.confidence, rec.source, v.waves, v.product, notes)
            nodes.append(node)
        apply_confirmations(self, nodes)
        nodes.sort(key=lambda n: (-RANK[n.worst], n.name or ""))
        r.nodes = nodes
        r.waves = {w: max((n.waves[w] for n in nodes), key=lambda ws: RANK[ws.state]) for w in probe_waves()}
        top = nodes[0]
        r.build, r.confidence, r.source, r.product = top.build, top.confidence, top.source, top.product
        if len(nodes) > 1:
            r.notes = [n for n in r.notes if not n.startswith("load balancer:")]
            r.notes.append(
                "load balancer: "
                + ", ".join(f"{n.name or '?'}={n.build or 'unknown'}" for n in nodes)
                + "; host state is the worst node"
            )


def apply_confirmations(probe: TargetProbe, nodes: list[NodeResult]) -> None:
    """Overlay --confirm outcomes (stored on the probe by :mod:`confirm`) onto node states."""
    for wave, node_name, ws in probe.confirm_outcomes:
        for n in nodes:
            if node_name is not None and n.name is not None and n.name != node_name:
                continue
            current = n.waves[wave].state
            if ws.state is State.VULNERABLE or (
                ws.state in (State.MITIGATED, State.PATCHED)
                and current in (State.VULNERABLE, State.VULNERABLE_UNLESS_SU, State.UNKNOWN)
                and not (ws.state is State.PATCHED and current is State.VULNERABLE)
            ):
                n.waves[wave] = WaveState(ws.state, n.waves[wave].cves, n.waves[wave].fixed_by, ws.reason)
            elif ws.state is State.PATCHED and current is State.VULNERABLE:
                n.notes.append(
                    f"{wave}: confirmation did not reproduce ({ws.reason}); the build still says vulnerable"
                )


def describe(obs: Observation, facts: Facts) -> list[str]:
    """Human-readable response facts for the evidence list (raw values, escaped by renderers)."""
    out: list[str] = []
    for name in ("X-OWA-Version", "X-FEServer", "X-CalculatedBETarget", "Location", "Server"):
        v = obs.header(name)
        if v is not None:
            out.append(f"{name}: {v[:300]}")
    for s in facts.builds:
        if s.source != "x-owa-version":
            out.append(f"{s.source}: {s.raw[:300]}")
    out.extend(f"Exchange marker: {m}" for m in facts.exchange_markers if not m.endswith(" header"))
    out.extend(facts.notes)
    return out


async def probe_all(
    targets: Iterable[Target],
    opts: ProbeOptions,
    assess: AssessFn | None,
    on_done: Callable[[TargetResult], None] | None = None,
    on_index: Callable[[int, TargetResult], None] | None = None,
) -> list[TargetResult]:
    """Probe every target; results in input order. Workers pull from a queue so memory does not grow
    with the number of targets waiting."""
    items = list(targets)
    results: list[TargetResult | None] = [None] * len(items)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(items)):
        queue.put_nowait(i)
    async with ProbeClient(opts.client) as client:

        async def worker() -> None:
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                probe = TargetProbe(client, items[i], opts, assess)
                try:
                    res = await probe.run()
                except Exception as exc:  # a bug must not end the whole run: report it on the target
                    res = probe.fail(f"internal error while probing: {type(exc).__name__}: {exc}")
                # Bodies are no longer needed once facts are extracted: keep memory bounded.
                for o in res.observations:
                    o.body = b""
                results[i] = res
                if on_done is not None:
                    on_done(res)
                if on_index is not None:
                    on_index(i, res)

        n_workers = max(1, min(len(items), opts.client.concurrency))
        await asyncio.gather(*(worker() for _ in range(n_workers)))
    return [r for r in results if r is not None]


def sort_worst_first(results: list[TargetResult]) -> list[TargetResult]:
    return sorted(results, key=lambda r: (-r.rank, r.target))


def overall(results: list[TargetResult]) -> State:
    return worst([r.worst for r in results])
