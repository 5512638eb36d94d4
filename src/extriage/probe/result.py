"""Probe results and their JSON form — the contract other commands (mitigation, report) read.

``results``: one object per target with ``target``, ``state`` (per wave), ``build``, ``confidence``,
``nodes``, ``evidence`` (request → response facts) and ``error``; the other keys are extra detail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from extriage.probe.signals import BuildSignal, Observation
from extriage.probe.states import RANK, State, WaveState, probe_waves, uniform, worst

RESULT_FORMAT = "extriage-probe/1"


@dataclass
class NodeResult:
    """One server behind the address (``X-FEServer`` name; ``None`` when the server sends none)."""

    name: str | None
    build: str | None
    confidence: str
    source: BuildSignal | None
    waves: dict[str, WaveState]
    product: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def worst(self) -> State:
        return worst([w.state for w in self.waves.values()])

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "build": self.build,
            "confidence": self.confidence,
            "product": self.product,
            "build_source": _source(self.source),
            "state": {w: self.waves[w].state.value for w in probe_waves()},
            "notes": self.notes,
        }


def _source(sig: BuildSignal | None) -> dict[str, str] | None:
    if sig is None:
        return None
    return {"source": sig.source, "request": f"GET {sig.url}", "raw": sig.raw}


@dataclass
class TargetResult:
    target: str
    url: str | None = None
    host_header: str | None = None
    waves: dict[str, WaveState] = field(default_factory=lambda: uniform(State.UNKNOWN, "not probed"))
    build: str | None = None
    confidence: str = "unknown"
    source: BuildSignal | None = None
    product: str | None = None
    nodes: list[NodeResult] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    evidence_facts: dict[int, list[str]] = field(default_factory=dict)
    error: str | None = None
    tls: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    confirmations: dict[str, str] = field(default_factory=dict)

    @property
    def worst(self) -> State:
        return worst([w.state for w in self.waves.values()])

    @property
    def rank(self) -> int:
        return RANK[self.worst]

    @property
    def requests(self) -> int:
        return len(self.observations)

    def states(self) -> set[str]:
        return {w.state.value for w in self.waves.values()}

    def evidence(self) -> list[dict[str, Any]]:
        out = []
        for i, o in enumerate(self.observations):
            item: dict[str, Any] = {
                "request": f"{o.method} {o.url}",
                "purpose": o.label,
                "connection": o.connection,
                "status": o.status,
                "facts": self.evidence_facts.get(i, []),
            }
            if o.sent_headers:
                item["sent_headers"] = {k: v for k, v in o.sent_headers.items()}
            if o.truncated:
                item["facts"] = [*item["facts"], f"body truncated at {len(o.body)} bytes"]
            if o.error:
                item["error"] = o.error
            if o.aborted:
                item["aborted"] = True
            out.append(item)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "url": self.url,
            "host_header": self.host_header,
            "state": {w: self.waves[w].state.value for w in probe_waves()},
            "worst_state": self.worst.value,
            "waves": {w: self.waves[w].to_dict() for w in probe_waves()},
            "build": self.build,
            "confidence": self.confidence,
            "build_source": _source(self.source),
            "product": self.product,
            "nodes": [n.to_dict() for n in self.nodes],
            "evidence": self.evidence(),
            "error": self.error,
            "tls": self.tls or None,
            "confirmations": self.confirmations,
            "requests": self.requests,
            "notes": self.notes,
        }
