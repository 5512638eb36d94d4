"""The verdict: compromised / attempted / no_evidence, per wave and overall, with one reason
sentence and coverage warnings so that "nothing found" is never misread.

Exploitation windows and the log families that can show each wave are data
(``detections/waves/*.yml``); later waves add their own file.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import resources
from typing import Any

import yaml

from extriage.detections.logrules import YAML_SAFE_LOADER
from extriage.findings import Coverage, Finding, Outcome, ScanResult, Verdict, iso

#: Addresses that are the server talking to itself (SMB to \\\\127.0.0.1\\c$...), never "the attacker".
_LOCAL_IPS = {"127.0.0.1", "::1", "localhost"}
_RANK = {Verdict.NO_EVIDENCE: 0, Verdict.ATTEMPTED: 1, Verdict.COMPROMISED: 2}
#: Human names of the log families in coverage warnings.
FAMILY_NAMES = {
    "httpproxy": "HttpProxy",
    "iis": "IIS W3C",
    "ecp": "ECP server",
    "oabgen": "OABGenerator",
    "rps_http": "Rps_Http",
}


@dataclass(slots=True)
class WaveInfo:
    id: str
    title: str
    cves: list[str] = field(default_factory=list)
    window: tuple[date, date] | None = None
    families: list[str] = field(default_factory=list)


def parse_waves(docs: list[tuple[str, str]]) -> dict[str, WaveInfo]:
    waves: dict[str, WaveInfo] = {}
    for name, text in docs:
        doc: Any = yaml.load(text, Loader=YAML_SAFE_LOADER)  # noqa: S506 - a *safe* loader (C or Python) or {}
        for wid, raw in (doc.get("waves") or {}).items():
            try:
                window = None
                if raw.get("window"):
                    window = (_day(raw["window"]["start"]), _day(raw["window"]["end"]))
                waves[str(wid)] = WaveInfo(str(wid), str(raw.get("title", wid)), [str(c) for c in raw.get("cves") or []],
                                           window, [str(f) for f in raw.get("families") or []])
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise ValueError(f"{name}: wave {wid}: bad entry ({exc})") from None
    return waves


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


@functools.lru_cache(maxsize=1)
def load_waves() -> dict[str, WaveInfo]:
    base = resources.files("extriage.detections") / "waves"
    return parse_waves([(e.name, e.read_text(encoding="utf-8")) for e in sorted(base.iterdir(), key=lambda e: e.name)
                        if e.name.endswith((".yml", ".yaml"))])


def outcome_verdict(outcome: Outcome) -> Verdict:
    if outcome in (Outcome.SUCCESS, Outcome.WEBSHELL):
        return Verdict.COMPROMISED
    if outcome == Outcome.ATTEMPT:
        return Verdict.ATTEMPTED
    return Verdict.NO_EVIDENCE


def wave_verdicts(findings: list[Finding]) -> dict[str, Verdict]:
    out: dict[str, Verdict] = {}
    for f in findings:
        wave = f.wave or "other"
        v = outcome_verdict(f.outcome)
        cur = out.get(wave, Verdict.NO_EVIDENCE)
        out[wave] = v if _RANK[v] >= _RANK[cur] else cur
    return out


def coverage_warnings(coverage: Coverage, waves: dict[str, WaveInfo],
                      windows_override: dict[str, tuple[str, str]] | None = None,
                      explained: set[str] | frozenset[str] = frozenset(),
                      seen: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Warnings for missing log families and logs that do not reach back to a wave's window.

    ``explained``: families whose absence a stage has already explained in a warning of its own.
    ``seen``: waves with attempts or successes in the findings; for them a log that misses the
    exploitation period is said to miss part of it, not to hide the wave altogether.
    """
    warnings: list[str] = []
    present = {name for name, fam in coverage.families.items() if fam.files}
    needed: dict[str, list[str]] = {}
    for w in waves.values():
        for fam in w.families:
            needed.setdefault(fam, []).append(w.title)
    for fam, titles in needed.items():
        if fam not in present and fam not in explained:
            warnings.append(
                f"No {FAMILY_NAMES.get(fam, fam)} logs were found: what they would show ({', '.join(dict.fromkeys(titles))}) "
                "was not checked."
            )
    for w in waves.values():
        window = w.window
        if windows_override and w.id in windows_override:
            start, end = windows_override[w.id]
            window = (_day(start), _day(end))
        if window is None:
            continue
        start_dt = datetime.combine(window[0], datetime.min.time(), UTC)
        ended_before: list[tuple[str, datetime]] = []
        started_late: list[tuple[str, datetime]] = []
        for fam in w.families:
            cov = coverage.families.get(fam)
            if cov is None or not cov.files or cov.first is None:
                continue
            if cov.last is not None and cov.last < start_dt:
                ended_before.append((FAMILY_NAMES.get(fam, fam), cov.last))
            elif cov.first > start_dt:
                started_late.append((FAMILY_NAMES.get(fam, fam), cov.first))
        if started_late:
            names = ", ".join(name for name, _ in started_late)
            first = min(ts for _, ts in started_late)
            if first.date() > window[1]:
                tail = (f"the {w.title} activity found came later; exploitation during that period cannot be seen "
                        "in them." if w.id in seen else "exploitation then cannot be seen in them.")
                warnings.append(
                    f"{names} logs start {iso(first)} at the earliest, after the {w.title} exploitation "
                    f"period ({window[0]} to {window[1]}): {tail}"
                )
            else:
                warnings.append(
                    f"{names} logs start {iso(first)} at the earliest, inside the {w.title} exploitation "
                    f"period ({window[0]} to {window[1]}): earlier exploitation cannot be seen in them."
                )
        if ended_before:
            names = ", ".join(name for name, _ in ended_before)
            last = max(ts for _, ts in ended_before)
            tail = (f"the {w.title} activity found happened before that period; what came during it cannot be "
                    "seen in them." if w.id in seen else "whether it hit this server cannot be seen in them.")
            warnings.append(
                f"{names} logs end {iso(last)}, before the {w.title} exploitation period "
                f"({window[0]} to {window[1]}): {tail}"
            )
    if coverage.skipped:
        n = len(coverage.skipped)
        warnings.append(f"{n} file{'s were' if n != 1 else ' was'} not read completely; see the list of files not read.")
    return warnings


def decide(result: ScanResult) -> tuple[Verdict, str]:
    """The overall verdict and its reason sentence."""
    findings = result.findings
    worst = Verdict.NO_EVIDENCE
    for f in findings:
        v = outcome_verdict(f.outcome)
        if _RANK[v] > _RANK[worst]:
            worst = v
    if worst == Verdict.COMPROMISED:
        top = _pick(findings, (Outcome.SUCCESS, Outcome.WEBSHELL))
        ips = _attacker_ips(findings, (Outcome.SUCCESS, Outcome.WEBSHELL))
        who = f" from {', '.join(ips[:3])}" + (f" and {len(ips) - 3} more" if len(ips) > 3 else "") if ips else ""
        when = f" at {iso(top.first_seen)}" if top.first_seen else ""
        n = sum(1 for f in findings if outcome_verdict(f.outcome) == Verdict.COMPROMISED)
        return worst, (f"Successful exploitation or web shell use found{who}: {top.title}{when}"
                       f" ({n} finding{'s' if n != 1 else ''} show success).")
    if worst == Verdict.ATTEMPTED:
        top = _pick(findings, (Outcome.ATTEMPT,))
        ips = _attacker_ips(findings, (Outcome.ATTEMPT,))
        who = f" from {', '.join(ips[:3])}" + (f" and {len(ips) - 3} more" if len(ips) > 3 else "") if ips else ""
        return worst, (f"Exploitation was attempted{who} ({top.title}) but no evidence of success was found "
                       "in the logs read.")
    fams = [f for f, c in result.coverage.families.items() if c.files]
    if not fams:
        return Verdict.ERROR, ("Nothing could be checked: no Exchange or IIS logs, event logs or web files were "
                               "found or readable in the evidence.")
    lines = sum(c.lines for c in result.coverage.families.values())
    # the period is that of the log lines/records read: web files (mtimes) and configs have no lines
    logs = [c for c in result.coverage.families.values() if c.lines and c.first and c.last]
    first = min((c.first for c in logs if c.first), default=None)
    last = max((c.last for c in logs if c.last), default=None)
    if first and last:
        period = f"; the logs read cover {iso(first)} to {iso(last)}"
    else:
        period = "; no log line carried a time" if lines else "; no log lines were read, only files"
    scanner = sum(1 for f in findings if f.outcome == Outcome.SCANNER)
    extra = f"; {scanner} scanner finding{'s' if scanner != 1 else ''} do not count as attacks" if scanner else ""
    failed = sorted(result.extras.get("stage_errors", {}))
    warn = "; read the coverage warnings before relying on this" if result.coverage.warnings else ""
    if failed:
        warn = f"; INCOMPLETE: the {', '.join(failed)} stage{'s' if len(failed) > 1 else ''} failed" + warn
    return Verdict.NO_EVIDENCE, (f"No evidence of exploitation in {lines:,} lines/records of "
                                 f"{', '.join(sorted(fams))}{period}{extra}{warn}.")


def _pick(findings: list[Finding], outcomes: tuple[Outcome, ...]) -> Finding:
    cands = [f for f in findings if f.outcome in outcomes]
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(cands, key=lambda f: (-int(f.severity), -int(f.confidence), f.first_seen or far))[0]


def _attacker_ips(findings: list[Finding], outcomes: tuple[Outcome, ...]) -> list[str]:
    ips: dict[str, None] = {}
    for f in sorted(findings, key=lambda f: -int(f.severity)):
        if f.outcome in outcomes:
            for ip in f.indicators.client_ips:
                if ip not in _LOCAL_IPS:
                    ips[ip] = None
    return list(ips)
