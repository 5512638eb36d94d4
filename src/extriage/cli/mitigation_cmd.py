"""``extriage mitigation verify PATH`` and ``extriage mitigation plan --build B``: wiring only."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from extriage import outputs
from extriage.cli.common import check_output_outside, err, escape, fail, out, write_json
from extriage.evidence.locate import build_inventory
from extriage.evidence.source import EvidenceError, open_source

if TYPE_CHECKING:
    from extriage.detections.mitigations.verify import VerifyReport

#: Exit codes of ``extriage mitigation verify`` (docs/mitigation.md); distinct from scan's (10/20) and
#: patch-status's (30/31). 2 is a usage or evidence error for every command.
EXIT_ALL_IN_FORCE = 0
EXIT_NOT_IN_FORCE = 40  # some mitigation absent, partial or overridden
EXIT_UNKNOWN = 41  # something could not be decided, nothing seen broken

_STYLE = {
    "in-force": "bold green",
    "not-applicable": "dim",
    "unknown": "bold magenta",
    "absent": "bold red",
    "partial": "bold yellow",
    "overridden": "bold red",
}

mitigation_app = typer.Typer(
    name="mitigation",
    help="Interim mitigations: verify from evidence what is in force; plan what a build still needs.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(mitigation_app, name="mitigation")


def _verify_path(path: str) -> VerifyReport:
    from extriage.detections.mitigations.sources import InventorySource
    from extriage.detections.mitigations.verify import verify

    try:
        spec = open_source(path)
    except EvidenceError as exc:
        fail(str(exc))
    skipped: list[tuple[str, str]] = []
    inventory = build_inventory(spec, lambda p, why: skipped.append((p, why)))
    source = InventorySource(inventory)
    report = verify(source)
    for p, why in skipped:
        report.notes.append(f"not read: {p}: {why}")
    return report


@mitigation_app.command("verify")
def verify_cmd(
    path: str = typer.Argument(
        ..., help="Evidence: drive root, KAPE/Velociraptor collection, .zip of one, or a folder of IIS config files."
    ),
    json_out: str | None = typer.Option(None, "--json", help="Write the verdicts as JSON; - for stdout."),
    probe_json: str | None = typer.Option(
        None, "--probe-json", help="Result of 'extriage probe --confirm --json' to cross-reference with."
    ),
    probe_target: str | None = typer.Option(
        None, "--probe-target", help="Which target of a multi-target probe result is this server (host, URL or node name)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No terminal table."),
) -> None:
    """Per mitigation: in-force, absent, partial, overridden or unknown, with the deciding file and element.

    Exit codes: 0 all in force (or not applicable), 40 some absent/partial/overridden, 41 some unknown, 2 error.
    """
    from extriage.detections.mitigations.probe_xref import (
        ProbeJsonError,
        cross_reference,
        load_probe_json,
        select_probe_results,
    )

    check_output_outside(json_out, path)
    probe = None
    if probe_json:
        try:
            probe = select_probe_results(load_probe_json(probe_json), probe_target)
        except ProbeJsonError as exc:
            fail(str(exc))
    report = _verify_path(path)
    if probe is not None:
        cross_reference(report, probe)
    if json_out:
        write_json(report.to_dict(), json_out)
    if not quiet and json_out != "-":
        _print_report(report)
    states = {m.state for m in report.mitigations}
    if states & {"absent", "partial", "overridden"}:
        raise typer.Exit(EXIT_NOT_IN_FORCE)
    if "unknown" in states:
        raise typer.Exit(EXIT_UNKNOWN)
    raise typer.Exit(EXIT_ALL_IN_FORCE)


def print_pastable(text: str) -> None:
    """Print generated text (XML, scripts) so that it can be pasted: its own line breaks kept, no
    wrapping added at the terminal width; control characters inside a line are still shown as
    escapes (the text may quote evidence)."""
    for line in text.rstrip("\n").split("\n"):
        out.print(escape(line.removesuffix("\r")), soft_wrap=True)


def _print_report(report: VerifyReport) -> None:
    out.print(f"Evidence: {escape(report.source)}")
    out.print(f"applicationHost.config: {escape(report.application_host or 'not in the evidence')}")
    out.print(f"SYSTEM hive: {escape(report.system_hive or 'not in the evidence')}")
    out.print()
    for m in report.mitigations:
        style = _STYLE.get(m.state, "bold")
        out.print(f"[{style}]{m.state.upper():>14}[/]  [bold]{escape(m.title)}[/]")
        out.print(f"{'':16}{escape(m.reason)}")
        for d in m.decided_by[:3]:
            out.print(f"{'':16}decided by: {escape(str(d))}")
        for p in [p for p in m.problems if p.message not in m.reason][:5]:
            scope = f" [{escape(p.scope)}]" if p.scope else ""
            out.print(f"{'':16}- {escape(p.message)}{scope}")
        if m.not_checked:
            out.print(f"{'':16}not in the evidence: {escape(', '.join(m.not_checked[:4]))}")
    for e in report.errors:
        out.print(f"[red]not usable:[/] {escape(e)}")
    for n in report.notes:
        out.print(f"[yellow]note:[/] {escape(n)}")
    if report.probe:
        for row in report.probe["rows"]:
            agreement = row["agreement"]
            style = "red" if agreement.startswith("disagree") else "green" if agreement.startswith("agree") else "yellow"
            out.print(
                f"[{style}]probe {escape(row['target'])} {row['wave']}:[/] config {row['config_state']}, "
                f"live {row['live']} — {escape(agreement)}"
            )
    out.print("Interim mitigations are not a substitute for installing the Security Update.")


@mitigation_app.command("plan")
def plan_cmd(
    build: str = typer.Option(..., "--build", help="Exchange build, e.g. 15.1.2176.2 or 15.02.0858.005."),
    evidence: str | None = typer.Option(
        None, "--evidence", help="Evidence to verify first: the plan then says what is already in force."
    ),
    out_dir: str | None = typer.Option(
        None, "--out", help="Folder to write rewrite-rules.xml, Invoke-ExtriageMitigation.ps1 and NOTES.md."
    ),
    json_out: str | None = typer.Option(None, "--json", help="Write the plan as JSON; - for stdout."),
) -> None:
    """Which mitigations build B needs, and the web.config XML + PowerShell (apply/verify/rollback, dry-run, log)."""
    from extriage.detections.mitigations.plan import PlanError, make_plan, render

    if evidence:
        check_output_outside(out_dir, evidence)
        check_output_outside(json_out, evidence)
    report = _verify_path(evidence) if evidence else None
    try:
        plan = make_plan(build, report)
    except PlanError as exc:
        fail(str(exc))
    files = render(plan)
    if json_out:
        write_json(plan.to_dict(), json_out)
    if out_dir:
        target = Path(out_dir)
        try:
            target.mkdir(parents=True, exist_ok=True)
            for name, text in files.items():
                # CRLF and a BOM for the script: Windows PowerShell 5.1 reads BOM-less files as ANSI
                if name.endswith(".ps1"):
                    outputs.write_bytes(target / name, b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
                else:
                    outputs.write_text(target / name, text)
        except OSError as exc:
            fail(f"Cannot write to {out_dir}: {exc.strerror or exc}.")
    if json_out == "-":
        return
    out.print(f"[bold]{escape(plan.product)} build {escape(plan.build)}[/]")
    if not plan.mitigations:
        out.print("No interim mitigation applies: no open CVE of this build has one.")
    for m in plan.mitigations:
        found = f" (evidence: {m.state})" if m.state else ""
        out.print(f"- {escape(m.title)}{escape(found)}\n  breaks: {escape(m.breaks)}")
    for note in plan.notes:
        out.print(f"[yellow]note:[/] {escape(note)}")
    if out_dir:
        for name in files:
            out.print(f"wrote {escape(str(Path(out_dir) / name))}")
    elif "rewrite-rules.xml" in files:
        print_pastable(files["rewrite-rules.xml"])
        err.print("Use --out DIR to write the PowerShell script (apply/verify/rollback) and notes.")
    out.print("[bold]Interim mitigations are not a substitute for patching.[/]")
