"""``extriage scan PATH``: wires options to the scan pipeline and the renderers."""

from __future__ import annotations

from pathlib import Path

import typer

from extriage.cli.common import check_output_outside, console, fail, reviewed_pages, write_json
from extriage.cli.interrupt import stop_on_signals
from extriage.detections.logrules import RuleError, load_rules
from extriage.evidence.source import EvidenceError
from extriage.findings import ScanResult, exit_code
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan, start_early


def register(app: typer.Typer) -> None:
    app.command("scan", help="Triage one Exchange server's evidence offline: verdict, attack story, timeline.")(scan)


def scan(
    path: str = typer.Argument(..., help="Drive root, KAPE/Velociraptor collection, .zip of one, or a folder of logs."),
    json_out: str | None = typer.Option(None, "--json", help="Write the result as JSON (schema in schema/); - for stdout."),
    timeline: str | None = typer.Option(None, "--timeline", help="Write the merged timeline as CSV."),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Worker processes (0 = one per core)."),
    rules: list[str] = typer.Option([], "--rules", help="Folder of extra YARA rules (repeatable)."),
    max_file_size: int = typer.Option(64, "--max-file-size", help="Per-file size cap in MB for content scanning."),
    file_timeout: float = typer.Option(30.0, "--file-timeout", help="Per-file time limit in seconds for content scanning."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar and no terminal summary."),
    log_rules: list[str] = typer.Option([], "--log-rules", help="Folder of extra log rule files (*.yml, see docs/rules.md; repeatable)."),
    prefilter_engine: str = typer.Option("hyperscan", "--prefilter-engine", help="Byte prefilter engine for logs: hyperscan or re2."),
    report_dir: str | None = typer.Option(
        None, "--report", help="Also write every report (HTML + plan, Markdown, STIX, MISP, CSV, Sigma, CISA draft) into this folder."
    ),
    reviewed: str | None = typer.Option(
        None,
        "--reviewed",
        help="File of SHA-256 values (sha256sum format) of application pages you confirmed as the application's own:"
        " their review findings no longer keep the verdict inconclusive.",
    ),
) -> None:
    """Exit codes: 0 no evidence, 10 attempted, 20 compromised, 3 inconclusive (nothing read covers any
    wave's period, evidence present but unreadable, or a stage failed), 2 usage, 143/130 stopped by
    SIGTERM/Ctrl-C."""
    # SIGTERM / Ctrl-C at any moment: clean-up on the way out (extriage.cli.interrupt)
    stop_on_signals("the scan did not finish; no result was written, or only part of one")
    for dest in (json_out, timeline, report_dir):
        check_output_outside(dest, path)
    for dest in (json_out, timeline):  # say so now, not after a long scan
        if dest and dest != "-" and not Path(dest).expanduser().absolute().parent.is_dir():
            fail(f"Cannot write {dest}: the folder {Path(dest).expanduser().absolute().parent} does not exist.")
    if report_dir and Path(report_dir).expanduser().exists() and not Path(report_dir).expanduser().is_dir():
        fail(f"Cannot write the report into {report_dir}: it is a file; --report needs a folder.")
    for d in rules:
        if not Path(d).expanduser().is_dir():
            fail(f"The YARA rule folder {d} does not exist (--rules needs a folder of .yar files).")
    reviewed_extra = reviewed_pages(reviewed)  # a typo is said now, not after a long scan
    options = ScanOptions(
        jobs=jobs,
        rules_dirs=list(rules),
        max_file_size=max_file_size * 1024 * 1024,
        file_timeout=file_timeout,
        extra={"log_rule_dirs": list(log_rules), "prefilter_engine": prefilter_engine}
        | reviewed_extra,
    )
    if prefilter_engine not in ("hyperscan", "re2"):
        fail(f"Unknown --prefilter-engine {prefilter_engine!r}: use hyperscan or re2.")
    for d in log_rules:
        if not Path(d).is_dir():
            fail(f"The log rule folder {d} does not exist.")
    start_early(path, options)  # the worker fork server warms up beside the checks and imports below
    try:  # a broken rule file is a user error: say so before reading any evidence
        load_rules(tuple(log_rules))
    except RuleError as exc:
        fail(f"Invalid log rule file: {exc}")
    show_progress = not quiet and console(stderr=True).is_terminal  # quiet: rich is never imported
    try:
        if show_progress:
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            with Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=console(stderr=True),
                transient=True,
            ) as bar:
                tasks: dict[str, int] = {}

                def on_progress(label: str, done: int, total: int) -> None:
                    if label not in tasks:
                        tasks[label] = bar.add_task(label, total=total)
                    bar.update(tasks[label], completed=done, total=total)  # type: ignore[arg-type]

                result = run_scan(path, options, on_progress)
        else:
            result = run_scan(path, options)
    except EvidenceError as exc:
        fail(str(exc))
    except RuleError as exc:
        fail(f"Invalid log rule file: {exc}")
    _emit(result, json_out, timeline, quiet)
    if report_dir:
        from extriage.cli.report_cmd import emit_scan_report

        emit_scan_report(result, report_dir, quiet or json_out == "-")
    raise typer.Exit(exit_code(result))


def _emit(result: ScanResult, json_out: str | None, timeline: str | None, quiet: bool) -> None:
    # Renderers are imported where they are used: ``scan -q --json`` needs none of them.
    if json_out:
        write_json(result.to_dict(), json_out)
    if timeline:
        from extriage.report.timeline_csv import write_timeline_csv

        try:
            write_timeline_csv(result, Path(timeline))
        except OSError as exc:
            fail(f"Cannot write {timeline}: {exc.strerror or exc}.")
    if not quiet and json_out != "-":
        from extriage.report.terminal import render_scan

        render_scan(result, console())
