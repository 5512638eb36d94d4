"""Write every requested report format for one or more scan results into one folder.

Shared by ``extriage report`` and ``extriage scan --report DIR`` so both produce the same files.
Each output is one writer registered with ``@output(name, what it writes)`` below (its renderer lives
in its own module and is imported only when asked for); ``--format`` takes the names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from extriage.findings import ScanResult
from extriage.memo import render_scope
from extriage.report.summary import TLP_LEVELS


@dataclass(slots=True)
class Job:
    """What one output writer gets: the (redacted if asked) results, the folder, the TLP level, and
    where to list the files it wrote and notes for the user."""

    results: list[ScanResult]
    out_dir: Path
    tlp: str
    redacted: bool
    written: Written


@dataclass(frozen=True, slots=True)
class Output:
    name: str  # as given to --format
    writes: str  # what it writes, for --help and the docs
    write: Callable[[Job], None]


#: The outputs, in the order they are written (and listed): one ``@output`` line each.
OUTPUTS: dict[str, Output] = {}


def output(name: str, writes: str) -> Callable[[Callable[[Job], None]], Callable[[Job], None]]:
    """Register a writer as the output ``name`` (see docs/extending.md, "Adding an output")."""

    def register(func: Callable[[Job], None]) -> Callable[[Job], None]:
        if name in OUTPUTS:
            raise ValueError(f"output {name!r} registered twice")
        OUTPUTS[name] = Output(name, writes, func)
        return func

    return register


class ReportError(ValueError):
    """A user error in the report options (bad format or TLP)."""


@dataclass(slots=True)
class Written:
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def parse_formats(text: str) -> list[str]:
    wanted = [f.strip().lower() for f in text.split(",") if f.strip()]
    if not wanted or wanted == ["all"]:
        return list(FORMATS)
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        raise ReportError(f"Unknown format {', '.join(unknown)}; choose from {', '.join(FORMATS)} (or all).")
    return [f for f in FORMATS if f in wanted]


def check_tlp(tlp: str) -> str:
    level = tlp.strip().lower().removeprefix("tlp:")
    if level == "white":
        level = "clear"
    if level not in TLP_LEVELS:
        raise ReportError(f"Unknown TLP level {tlp!r}; choose from {', '.join(TLP_LEVELS)}.")
    return level


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "server"


def write_reports(
    results: list[ScanResult],
    out_dir: Path,
    formats: list[str],
    tlp: str = "amber",
    redact: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Written:
    """Render ``formats`` for ``results`` into ``out_dir`` (created if missing). Raises OSError."""
    with render_scope():
        return _write_reports(results, out_dir, formats, tlp, redact, progress)


def _write_reports(
    results: list[ScanResult],
    out_dir: Path,
    formats: list[str],
    tlp: str,
    redact: bool,
    progress: Callable[[str], None] | None,
) -> Written:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = Written()
    if redact:
        from extriage.report.redact import redact_results

        results, redactor = redact_results(results)
        written.notes.append(f"redacted {len(redactor.mapping)} internal names and addresses consistently across all files")

    job = Job(results, out_dir, tlp, redact, written)
    for out in OUTPUTS.values():  # in registration order, whatever the order asked for
        if out.name in formats:
            if progress is not None:
                progress(out.name)
            out.write(job)
    return written


# -- the outputs -----------------------------------------------------------------------------------


@output("html", "report.html — self-contained HTML report with the response plan")
def _html(job: Job) -> None:
    from extriage.report.html import write_html

    write_html(job.results, job.out_dir / "report.html", job.tlp, redacted=job.redacted)
    job.written.files.append(job.out_dir / "report.html")


@output("md", "report.md — short Markdown report and plan for a ticket or an e-mail")
def _markdown(job: Job) -> None:
    from extriage.report.markdown import write_markdown

    write_markdown(job.results, job.out_dir / "report.md", job.tlp, redacted=job.redacted)
    job.written.files.append(job.out_dir / "report.md")


@output("stix", "stix-bundle.json — STIX 2.1 bundle")
def _stix(job: Job) -> None:
    from extriage.report.stix import write_stix

    write_stix(job.results, job.out_dir / "stix-bundle.json", job.tlp)
    job.written.files.append(job.out_dir / "stix-bundle.json")


@output("misp", "misp-event.json — MISP event")
def _misp(job: Job) -> None:
    from extriage.report.misp import write_misp

    write_misp(job.results, job.out_dir / "misp-event.json", job.tlp)
    job.written.files.append(job.out_dir / "misp-event.json")


@output("csv", "indicators.csv and timeline CSVs")
def _csv(job: Job) -> None:
    from extriage.report.indicators_csv import write_indicators_csv
    from extriage.report.timeline_csv import write_timeline_csv
    from extriage.response.facts import server_name

    write_indicators_csv(job.results, job.out_dir / "indicators.csv", job.tlp)
    job.written.files.append(job.out_dir / "indicators.csv")
    used: set[str] = set()
    for r in job.results:
        name = "timeline.csv" if len(job.results) == 1 else f"timeline-{_safe_name(server_name(r))}.csv"
        n = 2
        while name in used:
            name = f"timeline-{_safe_name(server_name(r))}-{n}.csv"
            n += 1
        used.add(name)
        write_timeline_csv(r, job.out_dir / name)
        job.written.files.append(job.out_dir / name)


@output("timesketch", "timeline.timesketch.jsonl — Timesketch JSON-lines timeline")
def _timesketch(job: Job) -> None:
    from extriage.report.timesketch import write_timesketch

    write_timesketch(job.results, job.out_dir / "timeline.timesketch.jsonl")
    job.written.files.append(job.out_dir / "timeline.timesketch.jsonl")


@output("sigma", "sigma/ — Sigma rules with Splunk and Elasticsearch conversions")
def _sigma(job: Job) -> None:
    from extriage.report.sigma_export import SigmaExportError, write_sigma

    try:
        export = write_sigma(job.out_dir / "sigma")
    except SigmaExportError as exc:
        job.written.notes.append(f"Sigma export skipped: {exc}")
        return
    job.written.files.append(job.out_dir / "sigma")
    problems = len(export.skipped) + sum(1 for r in export.rules if r.problems)
    job.written.notes.append(
        f"sigma: {len(export.rules)} rules" + (f", {problems} with conversion limits (see sigma/README.md)" if problems else "")
    )


@output("cisa", "cisa-incident-report.md — incident report draft")
def _cisa(job: Job) -> None:
    from extriage.report.cisa import write_cisa

    write_cisa(job.results, job.out_dir / "cisa-incident-report.md", job.tlp)
    job.written.files.append(job.out_dir / "cisa-incident-report.md")


#: format name -> what it writes (the order is the order of the written-files list).
FORMATS: dict[str, str] = {o.name: o.writes for o in OUTPUTS.values()}
