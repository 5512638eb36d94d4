"""``extriage report RESULT.json …``: render saved scan results into reports and sharing exports."""

from __future__ import annotations

from pathlib import Path

import typer

from extriage.cli.common import check_output_outside, err, escape, fail, out
from extriage.findings import ScanResult
from extriage.report.exports import FORMATS, ReportError, check_tlp, parse_formats, write_reports
from extriage.report.load import ResultLoadError, load_result
from extriage.report.summary import VERDICT_HEADLINE
from extriage.response.facts import server_name


def register(app: typer.Typer) -> None:
    app.command(
        "report",
        help=(
            "Render scan results (extriage scan --json) into an HTML report with a response plan, a short "
            "Markdown report, STIX/MISP/CSV/Timesketch exports, Sigma hunting rules and a CISA report draft."
        ),
    )(report)


def report(
    results: list[str] = typer.Argument(..., help="Scan result JSON file(s) from extriage scan --json, one per server."),
    out_dir: str = typer.Option(..., "--out", "-o", help="Folder to write the reports into (created if missing)."),
    formats: str = typer.Option(
        "all", "--format", "-f", help=f"Comma-separated formats: {', '.join(FORMATS)} (default: all)."
    ),
    tlp: str = typer.Option("amber", "--tlp", help="Traffic Light Protocol marking: clear, green, amber, amber+strict, red."),
    redact: bool = typer.Option(
        False, "--redact", help="Replace internal host names, user names and internal IPs by stable tokens in every file."
    ),
) -> None:
    try:
        wanted = parse_formats(formats)
        level = check_tlp(tlp)
    except ReportError as exc:
        fail(str(exc))
    loaded = []
    for path in results:
        try:
            loaded.append(load_result(path))
        except ResultLoadError as exc:
            fail(str(exc))
    for r in loaded:
        check_output_outside(out_dir, r.evidence_path)
    _check_folder(out_dir)
    try:
        written = write_reports(loaded, Path(out_dir), wanted, level, redact)
    except OSError as exc:
        fail(f"Cannot write the reports into {out_dir}: {exc.strerror or exc}.")
    for r in loaded:  # what the reports say, so the first screen is not just a list of files
        headline = VERDICT_HEADLINE.get(r.verdict, r.verdict.value)
        out.print(f"{escape(server_name(r))}: [bold]{escape(headline)}[/]")
    render_written(written.files, written.notes)
    if "html" in wanted:
        out.print(f"Open {escape(str(Path(out_dir) / 'report.html'))} first: verdict, response plan and evidence.")


def emit_scan_report(result: ScanResult, out_dir: str, quiet: bool = False) -> None:
    """``extriage scan --report DIR``: every format, TLP:AMBER, not redacted (re-run ``extriage report``
    on the JSON result for other choices)."""
    _check_folder(out_dir)
    try:
        written = write_reports([result], Path(out_dir), list(FORMATS), "amber", False)
    except OSError as exc:
        fail(f"Cannot write the reports into {out_dir}: {exc.strerror or exc}.")
    if not quiet:
        render_written(written.files, written.notes)


def _check_folder(out_dir: str) -> None:
    """The reports are several files: the output must be a folder (created when missing)."""
    if Path(out_dir).exists() and not Path(out_dir).is_dir():
        fail(f"{out_dir} is a file; reports are written into a folder (give a folder name).")


def render_written(files: list[Path], notes: list[str]) -> None:
    out.print("[bold]Reports written:[/]")
    for f in files:
        out.print(f"  {escape(str(f))}{'/' if f.is_dir() else ''}")
    for n in notes:
        err.print(f"[dim]{escape(n)}[/]")
