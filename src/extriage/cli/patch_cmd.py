"""``extriage patch-status``: from build numbers (or the evidence) to open CVEs and the update that closes them."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from extriage.cli.common import check_output_outside, err, escape, fail, out, write_json
from extriage.detections.builds import Assessment, BuildParseError, assess, parse_build
from extriage.detections.builds.evidence import BuildEvidence, collect_build_evidence
from extriage.detections.builds.table import load_table
from extriage.detections.builds.version import NotExchangeBuild
from extriage.detections.waves.registry import load_registry
from extriage.evidence.locate import build_inventory
from extriage.evidence.source import EvidenceError, open_source

#: Exit codes (docs/patch-status.md): every input assessed and nothing open; something open; some input
#: could not be assessed. Distinct from scan's (10/20) and mitigation's (40/41) so a script running all
#: three can tell them apart, and never 1, which is also what a crashed Python process returns.
EXIT_OK = 0
EXIT_USAGE = 2
EXIT_OPEN = 30
EXIT_NOT_ASSESSED = 31

_STATUS_STYLE = {
    "vulnerable": "bold red",
    "vulnerable-unless-su": "yellow",
    "fixed": "green",
    "unknown": "magenta",
}


def register(app: typer.Typer) -> None:
    app.command(
        "patch-status",
        help="Which ProxyLogon/ProxyShell/ProxyNotShell and other known-exploited CVEs a build leaves open, "
        "and the exact update that closes them.",
    )(patch_status)


def patch_status(
    builds: list[str] | None = typer.Argument(
        None,
        help="Build numbers: 15.1.2176.9, 15.01.2176.009, 15.1.2176 (CU only), 'Version 15.1 (Build 2176.2)'.",
    ),
    evidence: str | None = typer.Option(
        None,
        "--evidence",
        help="Read the build from a server's evidence (drive, KAPE/Velociraptor collection, zip).",
    ),
    json_out: str | None = typer.Option(
        None, "--json", help="Write the result as JSON; - for standard output."
    ),
) -> None:
    """Exit codes: 0 nothing open, 30 open CVEs found, 31 some build could not be assessed, 2 usage error
    (an argument that is not a build number; the others are still assessed)."""
    inputs = list(builds or [])
    if not inputs and not evidence:
        fail("Give at least one build number or --evidence PATH (see extriage patch-status --help).")
    if evidence:
        check_output_outside(json_out, evidence)
    human = json_out != "-"
    results: list[dict[str, Any]] = []
    assessments: list[Assessment] = []
    not_assessed = 0
    not_builds = 0  # arguments that are not build numbers at all: a usage error (exit 2), not "not assessed"
    for text in inputs:
        try:
            build = parse_build(text)
        except NotExchangeBuild as exc:
            not_assessed += 1
            results.append({"input": text, "assessable": False, "error": str(exc)})
            if human:
                err.print(f"[bold red]could not assess[/] {escape(text)}: {escape(str(exc))}")
            continue
        except BuildParseError as exc:
            not_builds += 1
            results.append({"input": text, "assessable": False, "error": str(exc)})
            if human:
                err.print(f"[bold red]error:[/] {escape(str(exc))}")
            continue
        a = assess(build)
        assessments.append(a)
        results.append({"input": text, **a.to_dict()})
        if not a.assessable:
            not_assessed += 1
        if human:
            _render(a, text)

    ev_dict: dict[str, Any] | None = None
    if evidence:
        ev = _from_evidence(evidence)
        ev_dict = ev.to_dict()
        if ev.build is None:
            not_assessed += 1
            msg = (
                f"No build found in {evidence}: no readable ExSetup.exe, SOFTWARE hive, versioned OWA/ECP "
                "folder or HttpProxy log header."
            )
            ev_dict["error"] = msg
            if human:
                err.print(f"[bold red]could not assess[/] {escape(msg)}")
        else:
            a = assess(ev.build)
            assessments.append(a)
            results.append({"input": f"evidence:{evidence}", **a.to_dict()})
            if not a.assessable:
                not_assessed += 1
            if human:
                _render(a, f"{ev.build} (from {evidence})")
        if human:  # the answer first, then where it came from
            _render_evidence(ev)

    if json_out:
        doc: dict[str, Any] = {"data_through": load_table().data_through, "builds": results}
        if ev_dict is not None:
            doc["evidence"] = ev_dict
        write_json(doc, json_out)
    if not_builds:
        raise typer.Exit(EXIT_USAGE)
    if not_assessed:
        raise typer.Exit(EXIT_NOT_ASSESSED)
    if any(a.open_cves for a in assessments):
        raise typer.Exit(EXIT_OPEN)
    raise typer.Exit(EXIT_OK)


def _from_evidence(path: str) -> BuildEvidence:
    try:
        spec = open_source(path)
    except EvidenceError as exc:
        fail(str(exc), EXIT_USAGE)  # a wrong PATH is a usage error, as in scan and mitigation
    skipped: list[tuple[str, str]] = []
    inventory = build_inventory(spec, lambda p, why: skipped.append((p, why)))
    ev = collect_build_evidence(inventory)
    ev.problems[:0] = [(p, why) for p, why in skipped if _relevant(p)]
    return ev


def _relevant(path: str) -> bool:
    low = path.lower().replace("\\", "/")
    return any(k in low for k in ("exsetup", "/config/software", "/owa/", "/ecp/", "httpproxy"))


def _render(a: Assessment, label: str) -> None:
    out.print()
    if not a.assessable:
        out.print(
            f"[bold]{escape(label)}[/]: [bold magenta]could not assess[/] — {escape('; '.join(a.notes))}"
        )
        return
    su = a.su or ("unknown (CU-only build)" if a.kind == "cu-only" else "none")
    released = f", released {a.release_date}" if a.release_date else ""
    out.print(f"[bold]{escape(label)}[/] — {escape(a.product)} {escape(a.cu)}, SU: {escape(su)}{released}")
    support_style = "green" if a.support.startswith("supported") else "red"
    out.print(f"  support: [{support_style}]{escape(a.support)}[/]   nearest known: {escape(a.nearest)}")
    out.print("  " + "   ".join(_wave_summary(a)))
    table = Table(show_lines=False, pad_edge=False)
    table.add_column("CVE")
    table.add_column("Wave")
    table.add_column("Status")
    table.add_column("KEV")
    table.add_column("Fixed by")
    for c in a.cves:
        style = _STATUS_STYLE.get(c.status, "")
        fixed_by = c.fixed_by.label() if c.fixed_by else "—"
        table.add_row(
            c.id,
            escape(load_registry().label(c.wave)),
            f"[{style}]{escape(c.status)}[/]",
            "yes" if c.known_exploited else "",
            escape(fixed_by) + (f"\n[dim]{escape(c.note)}[/]" if c.note else ""),
        )
    out.print(table)
    if a.not_applicable:
        out.print(f"  [dim]Not applicable to {escape(a.product)}: {escape(', '.join(a.not_applicable))}[/]")
    for line in a.recommendation:
        out.print(f"  → {escape(line)}")
    for note in a.notes:
        out.print(f"  [dim]note: {escape(note)}[/]")


def _wave_summary(a: Assessment) -> list[str]:
    parts: list[str] = []
    reg = load_registry()
    for w in reg.patch_waves():
        if w is reg.other:
            continue  # the catch-all's CVEs are in the table below, not a wave of their own
        title = escape(w.label)
        statuses = {c.status for c in a.cves if c.wave == w.id}
        if not statuses:
            parts.append(f"{title}: [dim]not applicable[/]")
        elif "vulnerable" in statuses:
            parts.append(f"{title}: [bold red]OPEN[/]")
        elif "vulnerable-unless-su" in statuses:
            parts.append(f"{title}: [yellow]open unless SU installed[/]")
        elif "unknown" in statuses:
            parts.append(f"{title}: [magenta]unknown[/]")
        else:
            parts.append(f"{title}: [green]fixed[/]")
    return parts


def _render_evidence(ev: BuildEvidence) -> None:
    out.print()
    out.print("[bold]Build sources found in the evidence[/]")
    if not ev.sources:
        out.print("  none")
    for s in ev.sources:
        mark = " [bold](chosen)[/]" if s is ev.chosen else ""
        out.print(f"  {escape(s.kind)}: {escape(s.build)} ({escape(s.precision)}){mark}")
        out.print(f"    [dim]{escape(s.path)}[/]")
        out.print(f"    [dim]{escape(s.raw)}[/]")
    for upd in ev.installed_updates:
        out.print(
            f"  installed update listed: {escape(upd['kb'])} — {escape(upd['name'])} [dim]({escape(upd['key'])})[/]"
        )
    for text in ev.disagreements:
        out.print(f"  [bold yellow]disagreement:[/] {escape(text)}")
    for text in ev.notes:
        out.print(f"  [dim]note: {escape(text)}[/]")
    for path, reason in ev.problems:
        out.print(f"  [red]not read:[/] {escape(path)}: {escape(reason)}")
