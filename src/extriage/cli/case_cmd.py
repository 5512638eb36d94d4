"""``extriage case scan|status|add|report``: one case for many servers (wiring only; the store,
the runners and the fleet report live in :mod:`extriage.case`)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from extriage.cli.common import check_output_outside, err, escape, fail, out, reviewed_pages, write_json
from extriage.cli.interrupt import stop_on_signals

if TYPE_CHECKING:
    from collections.abc import Iterable

    from extriage.case.runner import Outcome
    from extriage.case.store import CaseStore

case_app = typer.Typer(
    name="case",
    help=(
        "One case for many servers: scan a fleet into a case database (SQLite file or PostgreSQL), see which "
        "servers to disconnect, patch or rebuild first and what they share, and report on all of them."
    ),
    no_args_is_help=True,
)

CASE_HELP = "The case: an SQLite file (created if missing) or a postgresql://user@host/db URL."
WAIT_HELP = "Seconds to wait for another command writing to the same SQLite case before giving up."

#: Exit code of ``case scan`` when some servers could not be scanned (the others are stored).
EXIT_SOME_ERRORS = 3


def register(app: typer.Typer) -> None:
    from extriage.cli.case_serve_cmd import case_serve

    case_app.command("serve")(case_serve)
    app.add_typer(case_app, name="case")


def _open(case: str, *, create: bool, readonly: bool = False, wait: float = 60.0) -> CaseStore:
    from extriage.case.reader import CaseError
    from extriage.case.store import open_case

    try:
        return open_case(case, create=create, readonly=readonly, wait=wait)
    except CaseError as exc:
        fail(str(exc))


@case_app.command("scan")
def case_scan(
    paths: list[str] = typer.Argument(..., help="Evidence of each server (anything 'extriage scan' takes), one per server."),
    case: str = typer.Option(..., "--case", "-c", help=CASE_HELP),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Run on this Dask distributed scheduler (tcp://host:port); the workers must see the paths."
    ),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Local worker processes, one server each (0 = one per core)."),
    rules: list[str] = typer.Option([], "--rules", help="Folder of extra YARA rules (repeatable)."),
    log_rules: list[str] = typer.Option([], "--log-rules", help="Folder of extra log rule files (repeatable)."),
    max_file_size: int = typer.Option(64, "--max-file-size", help="Per-file size cap in MB for content scanning."),
    file_timeout: float = typer.Option(30.0, "--file-timeout", help="Per-file time limit in seconds for content scanning."),
    wait: float = typer.Option(60.0, "--wait", help=WAIT_HELP),
    connect_timeout: float = typer.Option(30.0, "--connect-timeout", help="Seconds to wait for the Dask scheduler and a worker."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar and no summary."),
    reviewed: str | None = typer.Option(
        None,
        "--reviewed",
        help="File of SHA-256 values (sha256sum format) of application pages you confirmed as their application's"
        " own: their review findings no longer keep a server's verdict inconclusive.",
    ),
) -> None:
    """Scan every PATH into the case; each server is stored as soon as it is done. Exit 0 when every
    path was scanned, 3 when some could not be (they are listed in the case as errors), 2 usage."""
    import os

    from extriage.case.reader import CaseError
    from extriage.case.runner import (
        RunnerError,
        ScanSettings,
        evidence_path,
        run_local,
        start_dask,
        start_local,
    )
    from extriage.detections.logrules import load_rules
    from extriage.detections.rulelang import RuleError

    for d in [*rules, *log_rules]:
        if not Path(d).expanduser().is_dir():
            fail(f"The rule folder {d} does not exist (--rules/--log-rules need a folder).")
    try:
        load_rules(tuple(log_rules))
    except RuleError as exc:
        fail(f"Invalid log rule file: {exc}")
    resolved = list(dict.fromkeys(evidence_path(p) for p in paths))
    if not _is_url(case):
        for p in resolved:
            check_output_outside(case, p)
    settings = ScanSettings(
        max_file_size=max_file_size * 1024 * 1024,
        file_timeout=file_timeout,
        rules_dirs=[str(Path(d).expanduser().resolve()) for d in rules],
        log_rule_dirs=[str(Path(d).expanduser().resolve()) for d in log_rules],
        reviewed_pages=reviewed_pages(reviewed).get("reviewed_pages", {}),
    )
    # from the first worker on, SIGTERM / Ctrl-C run the clean-up (extriage.cli.interrupt)
    stop_on_signals("the servers not yet stored are not in the case (those stored are)")
    # the workers start before the case is opened (SQLAlchemy, migrations): the two overlap
    dask_run = None
    if scheduler:
        try:
            dask_run = start_dask(resolved, settings, scheduler, timeout=connect_timeout)
        except RunnerError as exc:
            fail(str(exc))
    else:
        start_local(resolved)
    try:
        store = _open(case, create=True, wait=wait)
    except BaseException:
        if dask_run is not None:
            dask_run.close()
        raise
    errors = 0
    done = 0
    try:
        with _progress(len(resolved), quiet) as advance:
            if dask_run is not None:
                outcomes: Iterable[Outcome] = dask_run
            else:
                outcomes = run_local(resolved, settings, jobs if jobs > 0 else (os.cpu_count() or 1))
            for o in outcomes:
                if o.stored is not None:
                    store.add_prepared(o.stored, engine=o.engine, worker=o.worker)
                    label = f"{o.stored.name}: {o.stored.verdict}"
                else:
                    store.add_error(o.path, o.error or "not scanned", engine=o.engine, worker=o.worker)
                    errors += 1
                    label = f"{Path(o.path).name}: error"
                    if not quiet:
                        err.print(f"[yellow]not scanned:[/] {escape(o.error or o.path)}")
                done += 1
                advance(label)
    except RunnerError as exc:
        fail(str(exc))
    except CaseError as exc:
        fail(f"{exc} ({done} of {len(resolved)} servers were stored before this).")
    finally:
        if dask_run is not None:
            dask_run.close()
        store.close()
    if not quiet:
        out.print(f"{done - errors} of {len(resolved)} servers scanned into {escape(case if not _is_url(case) else store.shown)}"
                  + (f"; {errors} could not be scanned (see 'extriage case status')." if errors else "."))
    raise typer.Exit(EXIT_SOME_ERRORS if errors else 0)


@contextlib.contextmanager
def _progress(total: int, quiet: bool) -> Any:
    """A progress bar over servers on stderr (terminal only); yields ``advance(label)``."""
    if quiet or not err.is_terminal:
        yield lambda label: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("servers"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
                  TextColumn("{task.description}"), console=err, transient=True) as bar:
        task = bar.add_task("", total=total)

        def advance(label: str) -> None:
            bar.update(task, advance=1, description=escape(label))

        yield advance


def _is_url(case: str) -> bool:
    from extriage.case.reader import is_url

    return is_url(case)


@case_app.command("status")
def case_status(
    case: str = typer.Option(..., "--case", "-c", help=CASE_HELP),
    json_out: str | None = typer.Option(None, "--json", help="Write the status as JSON to FILE; - for stdout."),
    rows: int = typer.Option(50, "--rows", help="Servers shown on screen, most urgent first (0 = all; JSON: all)."),
    timeline: int = typer.Option(30, "--timeline", help="Rows of the fleet timeline shown on screen (JSON: up to 1000)."),
    wait: float = typer.Option(10.0, "--wait", help=WAIT_HELP),
) -> None:
    """One row per server (verdict, waves, attacker activity, build, open CVEs, mitigations, exposure,
    priority and why), the indicators seen on more than one server, and the fleet timeline."""
    from extriage.case.reader import CaseError, CaseReader, SchemaTooOld, open_reader
    from extriage.case.status import status_document

    # read without SQLAlchemy (most of this command's start-up); an older case is migrated by the store
    store: CaseReader | CaseStore
    try:
        store = open_reader(case, wait=wait)
    except SchemaTooOld:
        store = _open(case, create=False, readonly=True, wait=wait)
    except CaseError as exc:
        fail(str(exc))
    try:
        doc = status_document(store)
    except CaseError as exc:
        fail(str(exc))
    finally:
        store.close()
    if json_out:
        write_json(doc, json_out)
        if json_out == "-":
            return
    _render_status(doc, rows, timeline)


_PRIORITY_STYLE = {"disconnect now": "bold white on red", "rebuild": "bold red", "patch now": "bold yellow", "monitor": "green"}
_VERDICT_STYLE = {"compromised": "bold red", "attempted": "yellow", "no_evidence": "green", "inconclusive": "magenta",
                  "error": "bold magenta"}


def _render_status(doc: dict[str, Any], rows: int, timeline_rows: int) -> None:
    from rich.table import Table

    every = doc["servers"]
    servers = every[:rows] if rows > 0 else every
    counts = doc["counts"]["priority"]
    out.print(f"[bold]{len(every)} servers[/] — " + ", ".join(f"{escape(p)}: {n}" for p, n in counts.items()))
    table = Table(show_lines=False, header_style="bold")
    for col in ("server", "verdict", "waves", "attacker activity (UTC)", "build / open CVEs", "mitigations", "exposure",
                "priority", "response"):
        table.add_column(col, overflow="fold")
    for s in servers:
        waves = ", ".join(f"{w}" for w, v in s["waves"].items() if v in ("compromised", "attempted")) or "—"
        activity = " → ".join(x[:16].replace("T", " ") for x in (s["first_activity"], s["last_activity"]) if x) or "—"
        build = s["build"] or "unknown"
        cves = f"{len(s['open_cves'])} open" if s["open_cves"] else ("none open" if s["build"] else "")
        mits = s["mitigations"]
        in_force = sum(1 for x in mits if str(x["state"]).startswith("in-force"))
        mit = f"{in_force}/{len(mits)} in force" if mits else "—"
        verdict = s["verdict"] + (" (error)" if s["error"] and s["verdict"] != "error" else "")
        resp = s["response"]
        table.add_row(
            escape(s["name"]),
            f"[{_VERDICT_STYLE.get(s['verdict'], '')}]{escape(verdict)}[/]",
            escape(waves),
            escape(activity),
            escape(f"{build} ({cves})" if cves else build),
            escape(mit),
            escape(s["exposure"] or "—"),
            f"[{_PRIORITY_STYLE.get(s['priority'], '')}]{escape(s['priority'])}[/]",
            escape(resp["state"] + (f" ({resp['by']})" if resp["by"] else "")),
        )
    out.print(table)
    if len(servers) < len(every):
        out.print(f"[dim]… {len(every) - len(servers)} more servers (--rows 0 shows all; --json has all)[/]")
    out.print("[bold]Why[/] (CISA ED 21-02's logic; the source of each rule is in --json)")
    groups: dict[tuple[str, str], list[str]] = {}
    for s in every:
        groups.setdefault((s["priority"], s["priority_reason"]), []).append(s["name"])
    for (priority, reason), names in groups.items():
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        out.print(f"  [{_PRIORITY_STYLE.get(priority, '')}]{escape(priority)}[/] ({escape(shown)}): {escape(reason)}")
    errors = [s for s in every if s["error"]]
    for s in errors[:rows] if rows > 0 else errors:
        out.print(f"[bold magenta]not scanned[/] {escape(s['name'])}: {escape(s['error'])}")
    if rows > 0 and len(errors) > rows:
        out.print(f"[dim]… {len(errors) - rows} more not scanned (--json has all)[/]")
    shared = doc["shared_indicators"]
    out.print(f"\n[bold]Indicators seen on more than one server[/] ({len(shared)})")
    if shared:
        t = Table(header_style="bold")
        for col in ("type", "value", "servers"):
            t.add_column(col, overflow="fold")
        for i in shared[:100]:
            t.add_row(escape(i["label"]), escape(i["value"]), escape(", ".join(i["servers"])))
        out.print(t)
        if len(shared) > 100:
            out.print(f"[dim]… {len(shared) - 100} more in --json[/]")
    else:
        out.print("[dim]none[/]")
    events = doc["timeline"]
    out.print(f"\n[bold]Fleet timeline[/] (attack stories, first {min(timeline_rows, len(events))} of {len(events)})")
    for e in events[:timeline_rows]:
        when = (e["time"] or "")[:19].replace("T", " ")
        out.print(f"{escape(when)}  {escape(e['server'])}  [{_VERDICT_STYLE.get('compromised' if e['outcome'] in ('success', 'webshell') else 'attempted', '')}]"
                  f"{escape(e['outcome'])}[/]  {escape(e['title'])}")


@case_app.command("add")
def case_add(
    results: list[str] = typer.Argument(..., help="Result JSON files: 'scan --json', 'probe --json', 'mitigation verify --json'."),
    case: str = typer.Option(..., "--case", "-c", help=CASE_HELP),
    wait: float = typer.Option(60.0, "--wait", help=WAIT_HELP),
) -> None:
    """Add results made elsewhere to the case. A file that cannot be used is named and skipped; the
    others are added (exit 2 when any was skipped)."""
    from extriage.case.imports import ImportProblem, read_result_file
    from extriage.case.reader import CaseError

    store = _open(case, create=True, wait=wait)
    problems = 0
    try:
        for path in results:
            try:
                item = read_result_file(path)
            except ImportProblem as exc:
                err.print(f"[bold red]error:[/] {escape(str(exc))}")
                problems += 1
                continue
            if item.kind == "scan" and item.scan is not None:
                store.add_scan(item.scan, engine="import", worker="")
                out.print(f"{escape(path)}: scan of {escape(item.scan.hostname or item.scan.evidence_path)} "
                          f"({escape(item.scan.verdict.value)}) added")
            elif item.kind == "probe" and item.data is not None:
                linked = store.add_probe(item.data)
                out.print(f"{escape(path)}: probe of {len(item.data.get('results') or [])} targets added"
                          + (f", linked to {len(linked)} servers" if linked else " (no server of the case matches its names yet)"))
            elif item.data is not None:
                server = store.add_mitigation(item.data)
                out.print(f"{escape(path)}: mitigation verification added"
                          + ("" if server is not None else " (no server scanned from that evidence yet)"))
    except CaseError as exc:
        fail(str(exc))
    finally:
        store.close()
    if problems:
        raise typer.Exit(2)


@case_app.command("report")
def case_report(
    case: str = typer.Option(..., "--case", "-c", help=CASE_HELP),
    out_dir: str = typer.Option(..., "--out", "-o", help="Folder to write the fleet report into (created if missing)."),
    formats: str = typer.Option("all", "--format", "-f", help="Comma-separated report formats (as 'extriage report'; default all)."),
    tlp: str = typer.Option("amber", "--tlp", help="Traffic Light Protocol marking: clear, green, amber, amber+strict, red."),
    redact: bool = typer.Option(False, "--redact", help="Replace internal names and addresses by stable tokens in every file."),
    wait: float = typer.Option(10.0, "--wait", help=WAIT_HELP),
) -> None:
    """One report over every server of the case: HTML, Markdown, CSV, STIX/MISP, CISA draft (indicators
    de-duplicated across servers), plus the fleet table (fleet.csv, fleet-status.json)."""
    from extriage.case.fleet_report import write_fleet_report
    from extriage.case.reader import CaseError
    from extriage.cli.report_cmd import render_written
    from extriage.report.exports import ReportError, check_tlp, parse_formats

    try:
        wanted = parse_formats(formats)
        level = check_tlp(tlp)
    except ReportError as exc:
        fail(str(exc))
    if Path(out_dir).exists() and not Path(out_dir).is_dir():
        fail(f"{out_dir} is a file; the fleet report is written into a folder.")
    store = _open(case, create=False, readonly=True, wait=wait)
    try:
        for s in store.servers():
            check_output_outside(out_dir, s.evidence)
        written = write_fleet_report(store, Path(out_dir), wanted, level, redact)
    except CaseError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"Cannot write the fleet report into {out_dir}: {exc.strerror or exc}.")
    finally:
        store.close()
    render_written(written.files, written.notes)
