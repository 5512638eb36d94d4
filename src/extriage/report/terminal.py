"""The terminal summary of a scan: verdict first, then attack stories, then findings with their raw
evidence lines, then coverage and what was not read. Every attacker-controlled string goes through
:func:`extriage.safetext.escape` (no Rich markup, no terminal control sequences)."""

from __future__ import annotations

from datetime import UTC, datetime

from rich import box
from rich.console import Console
from rich.table import Table

from extriage.findings import Finding, Outcome, ScanResult, Verdict, iso
from extriage.safetext import escape

VERDICT_STYLE = {
    Verdict.COMPROMISED: "bold white on red",
    Verdict.ATTEMPTED: "bold black on yellow",
    Verdict.NO_EVIDENCE: "bold white on green",
    Verdict.INCONCLUSIVE: "bold white on magenta",
    Verdict.ERROR: "bold white on magenta",
}
_OUTCOME_STYLE = {
    Outcome.SUCCESS: "bold red",
    Outcome.WEBSHELL: "bold red",
    Outcome.ATTEMPT: "yellow",
    Outcome.SCANNER: "cyan",
    Outcome.INFO: "dim",
}
#: Raw evidence lines shown per finding in the terminal (the JSON has all kept lines).
EVIDENCE_LINES = 3
RAW_WIDTH = 400
#: Longest single value (title, indicator, parsed field) shown; attacker-controlled fields can be up to the
#: 1 MB line cap, which would flood the terminal (and Rich wraps such a word very slowly). JSON keeps them whole.
VALUE_WIDTH = 300
#: Parsed fields worth a line of their own (the cmdlet/parameter/payload of CVE-2021-27065, ...).
KEY_FIELDS = ("Cmdlet", "Parameter", "Payload", "WrittenPath", "written_file_in_evidence", "AnchorMailbox",
              "BackEndCookie", "HttpStatus", "sc-status")


def _clip(text: str, width: int = VALUE_WIDTH) -> str:
    return text if len(text) <= width else text[:width] + " …"


def _minute(ts: datetime | None) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if ts else "-"


def _t(ts: object) -> str:
    from datetime import datetime

    return (iso(ts) or "-") if isinstance(ts, datetime) or ts is None else str(ts)


def render_scan(result: ScanResult, console: Console, evidence_lines: int = EVIDENCE_LINES) -> None:
    style = VERDICT_STYLE.get(result.verdict, "bold")
    # the reason whole (cut at a word only past brief.REASON_WIDTH): a reason cut mid-word at 400 characters
    # lost its end on every terminal ("…before relyin …", issue 13)
    from extriage.report.brief import REASON_WIDTH, cut_at_word

    console.print(f"[{style}] VERDICT: {result.verdict.value.upper()} [/] "
                  f"{escape(cut_at_word(result.verdict_reason, REASON_WIDTH))}")
    if result.waves:
        console.print("Per wave: " + ", ".join(f"{escape(w)}={v.value}" for w, v in result.waves.items()))
    console.print(f"Evidence: {escape(result.evidence_path)}  (layout: {escape(result.layout)}"
                  + (f", Exchange install: {escape(result.exchange_install)}" if result.exchange_install else "") + ")")
    _stories(result, console)
    _findings(result, console, evidence_lines)
    _coverage(result, console)


def _stories(result: ScanResult, console: Console) -> None:
    if not result.stories:
        return
    console.rule("Attack story")
    for story in result.stories:
        ostyle = _OUTCOME_STYLE.get(story.outcome, "")
        console.print(f"[bold]{escape(_clip(story.title))}[/] [{ostyle}]({story.outcome.value})[/] "
                      f"{_t(story.first_seen)} → {_t(story.last_seen)}")
        for step in story.steps:
            ids = ", ".join(step.finding_ids)
            console.print(f"  {_t(step.timestamp)}  {escape(_clip(step.title))}" + (f"  [dim]{escape(ids)}[/]" if ids else ""))
            if step.detail:
                console.print(f"      [dim]{escape(_clip(step.detail))}[/]")


def _findings(result: ScanResult, console: Console, evidence_lines: int) -> None:
    if not result.findings:
        console.print("No findings.")
        return
    console.rule(f"Findings ({len(result.findings)})")
    order = sorted(result.findings, key=lambda f: (f.outcome in (Outcome.INFO, Outcome.SCANNER), f.id))
    for f in order:
        _finding(f, console, evidence_lines)


def _finding(f: Finding, console: Console, evidence_lines: int) -> None:
    ostyle = _OUTCOME_STYLE.get(f.outcome, "")
    ids = " ".join(f.cves + f.attack)
    console.print(f"[bold]{escape(f.id)}[/] [{ostyle}]{f.outcome.value}[/] {f.severity.label()}/{f.confidence.label()} "
                  f"[bold]{escape(_clip(f.title))}[/]" + (f" [dim]{escape(ids)}[/]" if ids else ""))
    span = _t(f.first_seen) if f.first_seen == f.last_seen else f"{_t(f.first_seen)} → {_t(f.last_seen)}"
    console.print(f"    {span}; {f.count} record{'s' if f.count != 1 else ''}; rule {escape(f.rule_id)}")
    ind = f.indicators
    parts = []
    for label, values in (("ip", ind.client_ips), ("ua", ind.user_agents), ("url", ind.urls), ("path", ind.paths),
                          ("account", ind.accounts), ("sha256", ind.hashes)):
        if values:
            parts.append(f"{label}: " + ", ".join(_clip(v) for v in values[:5]) + (f" (+{len(values) - 5})" if len(values) > 5 else ""))
    if parts:
        console.print("    " + escape("; ".join(parts)))
    if f.evidence:
        keys = [(k, f.evidence[0].fields[k]) for k in KEY_FIELDS if f.evidence[0].fields.get(k)]
        if keys:
            console.print("    " + escape("; ".join(f"{k}={_clip(str(v))}" for k, v in keys)), soft_wrap=True)
    for e in f.evidence[:evidence_lines]:
        where = f"{e.source}:{e.line}" if e.line is not None else e.source
        why = e.why(f.rule_id)
        where += f"  ({_clip(why)})" if why else ""
        raw = e.raw if len(e.raw) <= RAW_WIDTH else e.raw[:RAW_WIDTH] + " …"
        console.print(f"    [dim]{escape(where)}[/]")
        console.print(f"      {escape(raw)}", soft_wrap=True)
    if len(f.evidence) > evidence_lines:
        console.print(f"    [dim](+{len(f.evidence) - evidence_lines} more evidence lines in the JSON report)[/]")


def _coverage(result: ScanResult, console: Console) -> None:
    cov = result.coverage
    console.rule("Coverage")
    if cov.families:
        # the time span is what a reader needs most: to the minute, never cut on an 80-column terminal
        table = Table(show_lines=False, box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("family", overflow="fold")
        for col in ("files", "lines", "parsed"):
            table.add_column(col, justify="right", overflow="fold")
        for col in ("first (UTC)", "last (UTC)"):
            table.add_column(col, no_wrap=True, min_width=16)
        for name, fam in sorted(cov.families.items()):
            # families of whole files (web files, configs) have no lines: "-" rather than a misleading 0
            lines, parsed = (f"{fam.lines:,}", f"{fam.parsed:,}") if fam.lines or fam.parsed else ("-", "-")
            table.add_row(escape(name), f"{fam.files:,}", lines, parsed, _minute(fam.first), _minute(fam.last))
        console.print(table)
    else:
        console.print("Nothing was read.")
    for w in cov.warnings:
        console.print(f"[yellow]coverage:[/] {escape(w)}")
    if cov.skipped:
        # gaps first (evidence not read), then partial reads, then files no reader applies to
        ordered = sorted(cov.skipped, key=lambda s: 2 if not s.relevant else 1 if s.partial and not s.unchecked else 0)
        other = sum(1 for s in cov.skipped if not s.relevant)
        console.print(f"[bold]Not read (or not completely): {len(cov.skipped)}[/]"
                      + (f" ({other:,} of them no evidence this version reads)" if other else ""))
        for s in ordered[:50]:
            console.print(f"  {escape(_clip(s.path))}: {escape(_clip(s.reason))}" + (" (partly read; not fully checked for web shells)" if s.unchecked
                             else " (partly read)" if s.partial else ""))
        if len(cov.skipped) > 50:
            console.print(f"  … and {len(cov.skipped) - 50} more (see the JSON report)")
    n = len(result.files)
    console.print(f"{n:,} evidence file{'s' if n != 1 else ''} read and hashed (SHA-256 in the JSON report).")
