"""The terminal summary of a scan: verdict first, then attack stories, then findings, then coverage."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from extriage.cli.common import escape
from extriage.findings import ScanResult, Verdict, iso

_VERDICT_STYLE = {
    Verdict.COMPROMISED: "bold white on red",
    Verdict.ATTEMPTED: "bold black on yellow",
    Verdict.NO_EVIDENCE: "bold white on green",
    Verdict.ERROR: "bold white on magenta",
}


def render_scan(result: ScanResult, console: Console) -> None:
    style = _VERDICT_STYLE.get(result.verdict, "bold")
    console.print(f"[{style}] VERDICT: {result.verdict.value.upper()} [/] {escape(result.verdict_reason)}")
    console.print(f"Evidence: {escape(result.evidence_path)}  (layout: {escape(result.layout)})")
    if result.findings:
        table = Table(title="Findings", show_lines=False)
        for col in ("id", "severity", "first seen", "title"):
            table.add_column(col)
        for f in result.findings:
            table.add_row(f.id, f.severity.label(), iso(f.first_seen) or "-", escape(f.title))
        console.print(table)
    if result.coverage.warnings:
        for w in result.coverage.warnings:
            console.print(f"[yellow]coverage:[/] {escape(w)}")
