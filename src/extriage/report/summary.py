"""Plain-language sentences shared by the HTML, Markdown and CISA outputs (one wording everywhere)."""

from __future__ import annotations

import re
from datetime import datetime

from extriage.findings import Outcome, ScanResult, Verdict, iso
from extriage.response.facts import Facts, runs_no_exchange

VERDICT_HEADLINE = {
    Verdict.COMPROMISED: "COMPROMISED — evidence that an attack succeeded",
    Verdict.ATTEMPTED: "ATTEMPTED — exploit attempts, no sign of success",
    Verdict.NO_EVIDENCE: "NO EVIDENCE — nothing found in what was read",
    Verdict.INCONCLUSIVE: "INCONCLUSIVE — the evidence read cannot show whether it was exploited",
    Verdict.ERROR: "ERROR — the scan could not reach a verdict",
}

def report_title(results: list[ScanResult]) -> str:
    """The title of a report (HTML, Markdown, STIX, MISP): it says Exchange unless no server of the report
    runs Exchange (an IIS with no Exchange application and no Exchange install in the evidence, X37)."""
    if results and all(runs_no_exchange(r) for r in results):
        return "Web server compromise triage"
    return "Exchange compromise triage"


TLP_LEVELS = ("clear", "green", "amber", "amber+strict", "red")
TLP_MEANING = {
    "clear": "may be shared publicly.",
    "green": "may be shared within the community, not publicly.",
    "amber": "limited to the recipient organisation and its clients who need to know.",
    "amber+strict": "limited to the recipient organisation only.",
    "red": "for the named recipients only; do not share further.",
}


def when(ts: datetime | str | None) -> str:
    """A timestamp as "2021-03-02 05:31:12 UTC" (the one format every human-readable output uses)."""
    text = ts if isinstance(ts, str) else iso(ts)
    if text and "." in text:  # drop fractions of a second: "05:31:12.345Z" -> "05:31:12Z"
        text = re.sub(r"\.\d+(?=Z|[+-]\d\d:\d\d$|$)", "", text)
    return text.replace("T", " ").replace("Z", " UTC") if text else "unknown time"


def coverage_sentence(result: ScanResult, detailed: bool = True) -> str:
    fams = result.coverage.families
    if not fams:
        read = "No log family or file set was read"
    elif detailed:
        parts = []
        for name, fam in sorted(fams.items()):
            span = f", {when(fam.first)} to {when(fam.last)}" if fam.first or fam.last else ""
            parts.append(f"{name} ({fam.files} files, {fam.lines:,} lines{span})")
        read = "Read: " + "; ".join(parts)
    else:
        firsts = [f.first for f in fams.values() if f.first is not None]
        lasts = [f.last for f in fams.values() if f.last is not None]
        files = sum(f.files for f in fams.values())
        span = f", spanning {when(min(firsts))} to {when(max(lasts))}" if firsts and lasts else ""
        read = f"Read {files:,} files in {len(fams)} log families / file sets ({', '.join(sorted(fams))}){span}"
    skipped = len(result.coverage.skipped)
    tail = f". {skipped} file(s) were not read or not read completely (listed under coverage)." if skipped else ". Every file found was read."
    return read + tail


def ransomware_sentence(facts: Facts) -> str:
    """One sentence on ransomware traces (files with ATT&CK T1486 findings)."""
    notes = [t for t in facts.ransomware if t.kind == "note"]
    encrypted = len(facts.ransomware) - len(notes)
    parts = []
    if encrypted:
        parts.append(f"{encrypted} file(s) encrypted")
    if notes:
        parts.append(f"{len(notes)} ransom note(s) left")
    first = min((t.first_seen for t in facts.ransomware if t.first_seen), default=None)
    since = f", first at {when(first)}" if first else ""
    return f"RANSOMWARE ran on this server: {' and '.join(parts)}{since}."


def summary_paragraph(result: ScanResult, facts: Facts) -> str:
    reason = result.verdict_reason.strip().rstrip(".")
    sentences: list[str] = []
    if result.verdict is Verdict.COMPROMISED:
        sentences.append(f"This server shows evidence of compromise{': ' + reason if reason else ''}.")
    elif result.verdict is Verdict.ATTEMPTED:
        sentences.append(f"Exploit attempts were found, but no sign that any succeeded{': ' + reason if reason else ''}.")
    elif result.verdict is Verdict.NO_EVIDENCE:
        sentences.append(
            "No evidence of exploitation was found in the evidence that was read — this covers only the files and the time span listed below."
        )
    elif result.verdict is Verdict.INCONCLUSIVE:
        sentences.append(f"The scan could not decide — this is not an all-clear{': ' + reason if reason else ''}.")
    else:
        sentences.append(f"The scan could not reach a verdict{': ' + reason if reason else ''}.")
    counted = {o: sum(1 for f in result.findings if f.outcome is o) for o in Outcome}
    if result.findings:
        parts = [f"{n} {o.value}" for o, n in counted.items() if n]
        sentences.append(f"{len(result.findings)} finding(s): {', '.join(parts)}.")
    if facts.attacker_ips:
        ips = ", ".join(facts.attacker_ips[:5]) + (f" and {len(facts.attacker_ips) - 5} more" if len(facts.attacker_ips) > 5 else "")
        sentences.append(
            f"Attacker activity from {when(facts.first_attacker)} to {when(facts.last_attacker)}, from {ips}."
        )
    if facts.webshells:
        sentences.append(f"{len(facts.webshells)} web shell file(s) found.")
    if facts.ransomware:
        sentences.append(ransomware_sentence(facts))
    if facts.patch is not None:
        vuln = facts.patch.vulnerable()
        more = f" and {len(vuln) - 6} more" if len(vuln) > 6 else ""  # never drop open CVEs silently
        state = (
            f"vulnerable to {', '.join(c.id for c in vuln[:6])}{more}" if vuln else "not vulnerable to the tracked CVEs"
        )
        sentences.append(f"Build {facts.patch.build or 'unknown'} ({facts.patch.product} {facts.patch.level}) is {state}.".replace("  ", " "))
    sentences.append(coverage_sentence(result, detailed=False))
    if facts.not_covered:
        sentences.append(f"Not covered: {', '.join(facts.not_covered)}.")
    return " ".join(sentences)
