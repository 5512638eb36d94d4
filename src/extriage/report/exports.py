"""Write every requested report format for one or more scan results into one folder.

Shared by ``extriage report`` and ``extriage scan --report DIR`` so both produce the same files.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from extriage.findings import ScanResult
from extriage.memo import render_scope
from extriage.report.summary import TLP_LEVELS

#: format name -> what it writes (the order is the order of the written-files list).
FORMATS: dict[str, str] = {
    "html": "report.html — self-contained HTML report with the response plan",
    "md": "report.md — short Markdown report and plan for a ticket or an e-mail",
    "stix": "stix-bundle.json — STIX 2.1 bundle",
    "misp": "misp-event.json — MISP event",
    "csv": "indicators.csv and timeline CSVs",
    "timesketch": "timeline.timesketch.jsonl — Timesketch JSON-lines timeline",
    "sigma": "sigma/ — Sigma rules with Splunk and Elasticsearch conversions",
    "cisa": "cisa-incident-report.md — incident report draft",
}


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

    def step(name: str) -> None:
        if progress is not None:
            progress(name)

    if "html" in formats:
        from extriage.report.html import write_html

        step("html")
        write_html(results, out_dir / "report.html", tlp, redacted=redact)
        written.files.append(out_dir / "report.html")
    if "md" in formats:
        from extriage.report.markdown import write_markdown

        step("md")
        write_markdown(results, out_dir / "report.md", tlp, redacted=redact)
        written.files.append(out_dir / "report.md")
    if "stix" in formats:
        from extriage.report.stix import write_stix

        step("stix")
        write_stix(results, out_dir / "stix-bundle.json", tlp)
        written.files.append(out_dir / "stix-bundle.json")
    if "misp" in formats:
        from extriage.report.misp import write_misp

        step("misp")
        write_misp(results, out_dir / "misp-event.json", tlp)
        written.files.append(out_dir / "misp-event.json")
    if "csv" in formats:
        from extriage.report.indicators_csv import write_indicators_csv
        from extriage.report.timeline_csv import write_timeline_csv
        from extriage.response.facts import server_name

        step("csv")
        write_indicators_csv(results, out_dir / "indicators.csv", tlp)
        written.files.append(out_dir / "indicators.csv")
        used: set[str] = set()
        for r in results:
            name = "timeline.csv" if len(results) == 1 else f"timeline-{_safe_name(server_name(r))}.csv"
            n = 2
            while name in used:
                name = f"timeline-{_safe_name(server_name(r))}-{n}.csv"
                n += 1
            used.add(name)
            write_timeline_csv(r, out_dir / name)
            written.files.append(out_dir / name)
    if "timesketch" in formats:
        from extriage.report.timesketch import write_timesketch

        step("timesketch")
        write_timesketch(results, out_dir / "timeline.timesketch.jsonl")
        written.files.append(out_dir / "timeline.timesketch.jsonl")
    if "sigma" in formats:
        from extriage.report.sigma_export import SigmaExportError, write_sigma

        step("sigma")
        try:
            export = write_sigma(out_dir / "sigma")
        except SigmaExportError as exc:
            written.notes.append(f"Sigma export skipped: {exc}")
        else:
            written.files.append(out_dir / "sigma")
            problems = len(export.skipped) + sum(1 for r in export.rules if r.problems)
            written.notes.append(
                f"sigma: {len(export.rules)} rules" + (f", {problems} with conversion limits (see sigma/README.md)" if problems else "")
            )
    if "cisa" in formats:
        from extriage.report.cisa import write_cisa

        step("cisa")
        write_cisa(results, out_dir / "cisa-incident-report.md", tlp)
        written.files.append(out_dir / "cisa-incident-report.md")
    return written
