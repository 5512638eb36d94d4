"""Call success where a later line proves it (the knowledge: ``detections/chains/proofs.yml``).

A log line decides its own outcome by its status; quoted, exported or stripped logs often have no
status column, so every ProxyLogon step would stay an "attempt" although a later request carries
what only a successful step hands out (the ECP session canary after the logon). Here each proof's
lines upgrade the earlier steps of the same attack — same client address or, when an address is
missing, a shared link key (:mod:`extriage.detections.linkkeys`) — unless those steps' own lines
recorded a failure. When no earlier step is in the evidence, the proof becomes a finding of its own.
"""

from __future__ import annotations

from datetime import datetime

from extriage.detections.correlation import Knowledge, Proof, load_knowledge
from extriage.detections.linkkeys import link_keys
from extriage.findings import Confidence, EvidenceLine, Finding, Indicators, Outcome, Severity

#: A recorded status at or above this is a failure: a later proof never overrides it.
_FAILURE_STATUS = 400
_MAX_EVIDENCE = 20


def apply_proofs(findings: list[Finding], knowledge: Knowledge | None = None) -> list[Finding]:
    """Upgrade the steps the proofs of ``knowledge`` prove (in place); return the new findings."""
    k = knowledge or load_knowledge()
    made: list[Finding] = []
    for proof in k.proofs:
        made.extend(_apply(proof, findings))
    return made


def _apply(proof: Proof, findings: list[Finding]) -> list[Finding]:
    candidates = [f for f in findings if proof.proves_finding(f) and f.outcome not in (Outcome.SCANNER, Outcome.INFO)]
    # indexed once: a hostile log can make thousands of findings (one per address)
    by_ip: dict[str, list[int]] = {}
    by_key: dict[str, list[int]] = {}
    by_key_addressless: dict[str, list[int]] = {}
    for i, c in enumerate(candidates):
        for ip in _ips(c):
            by_ip.setdefault(ip, []).append(i)
        for key in link_keys(c):
            by_key.setdefault(key, []).append(i)
            if not _ips(c):
                by_key_addressless.setdefault(key, []).append(i)
    made: list[Finding] = []
    for pf in findings:
        if not proof.is_proof(pf) or pf.outcome in (Outcome.SCANNER, Outcome.INFO):
            continue
        lines = _token_lines(proof, pf)
        if not lines:
            continue
        latest = max((ev.timestamp for ev, _ in lines if ev.timestamp is not None), default=None)
        linked = [candidates[i] for i in sorted(_same_attack(pf, by_ip, by_key, by_key_addressless))]
        linked = [c for c in linked if _before(c, latest, proof)]
        for c in linked:
            if c.outcome == Outcome.ATTEMPT and not _failed(c, proof):
                _upgrade(c, proof, lines)
        if any(c.outcome == Outcome.SUCCESS for c in linked):
            continue
        made.append(_finding(proof, pf, lines))
    return made


def _ips(f: Finding) -> list[str]:
    return [ip for ip in f.indicators.client_ips if ip]


def _same_attack(pf: Finding, by_ip: dict[str, list[int]], by_key: dict[str, list[int]],
                 by_key_addressless: dict[str, list[int]]) -> set[int]:
    """The candidates of the proving finding's attack: the same client address when both have one,
    else (an address is missing) a shared link key — the attack's own values must tie them."""
    found: set[int] = set()
    mine = _ips(pf)
    keys = link_keys(pf)
    if mine:
        for ip in mine:
            found.update(by_ip.get(ip, ()))
        for key in keys:
            found.update(by_key_addressless.get(key, ()))
    else:
        for key in keys:
            found.update(by_key.get(key, ()))
    return found


def _token_lines(proof: Proof, f: Finding) -> list[tuple[EvidenceLine, str]]:
    out: list[tuple[EvidenceLine, str]] = []
    for ev in f.evidence:
        for name in proof.token_fields:
            value = ev.fields.get(name)
            m = proof.token.search(value) if isinstance(value, str) else None
            if m:
                out.append((ev, m.group("token")))
                break
    return out


def _before(c: Finding, latest: datetime | None, proof: Proof) -> bool:
    if c.first_seen is None or latest is None:
        return True  # no times to compare: the shared address or key decides
    return c.first_seen <= latest and latest - c.first_seen <= proof.max_gap


def _failed(f: Finding, proof: Proof) -> bool:
    """Whether a line of ``f`` recorded a failure status (which a later line does not undo)."""
    for ev in f.evidence:
        for name in proof.status_fields:
            value = str(ev.fields.get(name, "")).strip()
            if value.isdigit() and int(value) >= _FAILURE_STATUS:
                return True
    return False


def _where(lines: list[tuple[EvidenceLine, str]]) -> str:
    ev, token = lines[0]
    at = f"{ev.source} line {ev.line}" if ev.line is not None else ev.source
    more = f" (and {len(lines) - 1} more line{'s' if len(lines) > 2 else ''})" if len(lines) > 1 else ""
    return f"{at}{more} carries the token {token}"


def _upgrade(f: Finding, proof: Proof, lines: list[tuple[EvidenceLine, str]]) -> None:
    f.outcome = Outcome.SUCCESS
    f.description = (f"{f.description} Success proven by a later line although this line records no success "
                     f"status: {_where(lines)} ({proof.title}).").strip()
    f.tags.append(f"proven-by:{proof.id}")
    have = {(e.source, e.line) for e in f.evidence}
    for ev, _ in lines:
        if (ev.source, ev.line) not in have and len(f.evidence) < _MAX_EVIDENCE:
            f.evidence.append(ev)
            have.add((ev.source, ev.line))


def _finding(proof: Proof, pf: Finding, lines: list[tuple[EvidenceLine, str]]) -> Finding:
    family = next((t for t in pf.tags if t.startswith("family:")), "family:")
    f = Finding(
        rule_id=proof.rule_id, title=proof.title, severity=Severity.CRITICAL, confidence=Confidence.HIGH,
        outcome=Outcome.SUCCESS, description=f"{proof.description} Proof: {_where(lines)}.", wave=proof.wave,
        cves=list(proof.cves), attack=["T1190"], count=len(lines),
        indicators=Indicators(client_ips=list(pf.indicators.client_ips), user_agents=list(pf.indicators.user_agents),
                              hosts=list(pf.indicators.hosts)),
        tags=["case:default", family, f"proof:{proof.id}"],
        evidence=[ev for ev, _ in lines][:_MAX_EVIDENCE],
    )
    for ev, _ in lines:
        f.touch(ev.timestamp)
    return f
