"""``extriage generate DEST`` (sample evidence) and ``extriage demo [DEST]`` (generate, scan, show)."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import typer

from extriage.cli.common import err, escape, fail, out, write_json
from extriage.detections.waves.registry import load_registry
from extriage.generator import ALL_WAVES, LAYOUTS, SCENARIOS, GeneratedServer, GeneratorError, generate

DEMO_DEST = "extriage-demo"
DEMO_SIZE = "9MB"
DEMO_DAYS = 21
#: Days of logs around each later wave, in its own exploitation window (ProxyShell and ProxyToken in
#: 2021, ProxyNotShell in 2022), so the demo's ProxyLogon period holds only ProxyLogon.
DEMO_WAVE_DAYS = 5


def register(app: typer.Typer) -> None:
    app.command(
        "generate", help="Write a realistic sample Exchange server (logs and files), optionally attacked."
    )(generate_cmd)
    app.command("demo", help="Build a sample compromised Exchange server, scan it and show the result.")(
        demo_cmd
    )


def _waves(text: str | None) -> set[str] | None:
    if text is None:
        return None
    if text.strip().lower() in ("", "none"):
        return set()
    if text.strip().lower() == "all":
        return set(ALL_WAVES)
    return {w.strip().lower() for w in text.split(",") if w.strip()}


def _run_generate(dest: str, progress_label: str, quiet: bool, **kwargs: object) -> GeneratedServer:
    show = not quiet and err.is_terminal
    try:
        if show:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress

            with Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                console=err,
                transient=True,
            ) as bar:
                task = bar.add_task(progress_label, total=None)

                def on_day(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                return generate(dest, progress=on_day, **kwargs)  # type: ignore[arg-type]
        return generate(dest, **kwargs)  # type: ignore[arg-type]
    except GeneratorError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"Cannot write {dest}: {exc.strerror or exc}.")


def _summary(g: GeneratedServer) -> None:
    plan = g.plan
    out.print(
        f"Generated [bold]{escape(plan.scenario)}[/] server {escape(plan.hostname)} "
        f"(Exchange {plan.exchange_version}, build {plan.build_text}) in {escape(str(g.dest))} "
        f"({escape(g.layout)} layout): {g.bytes_written / 1024**2:,.1f} MB of logs over {plan.days} day{'' if plan.days == 1 else 's'} "
        f"({plan.start:%Y-%m-%d} to {plan.end:%Y-%m-%d}) in {g.seconds:.1f} s (logs at {g.mb_per_second:,.1f} MB/s)."
    )
    if plan.components:
        out.print(
            f"Planted: {escape(', '.join(sorted(plan.components)))}; waves requested: "
            f"{escape(', '.join(sorted(plan.waves)) or 'none')}."
        )
    if "proxylogon" in plan.components and plan.attack_start:
        out.print(
            f"Attack: exploit from {escape(plan.attacker_ips[0])} at {plan.attack_start:%Y-%m-%d %H:%M:%S} UTC; "
            f"web shells {escape(', '.join(s.path for s in plan.shells))} used from {escape(plan.attacker_ips[1])}."
        )
    if g.planters:
        out.print(f"Extra evidence planted by: {escape(', '.join(g.planters))}.")
    if g.planters_missing:
        out.print(f"[dim]Not available in this build: {escape(', '.join(g.planters_missing))}.[/]")


def generate_cmd(
    dest: str = typer.Argument(..., help="Folder to create (for --layout zip: the .zip file)."),
    scenario: str = typer.Option("proxylogon", "--scenario", "-s", help=f"One of: {', '.join(SCENARIOS)}."),
    seed: int = typer.Option(1, "--seed", help="Same seed, same bytes."),
    size: str = typer.Option("50MB", "--size", help="Target volume of text logs, e.g. 300KB, 50MB, 2GB."),
    days: int = typer.Option(21, "--days", help="Days of logs, ending at --end."),
    end: str = typer.Option("2021-03-12", "--end", help="Day after the last logged day (UTC, YYYY-MM-DD)."),
    layout: str = typer.Option("kape", "--layout", help=f"One of: {', '.join(LAYOUTS)}."),
    hostname: str = typer.Option("EXCH01", "--hostname", help="NetBIOS name of the sample server."),
    exchange: str = typer.Option("2016", "--exchange", help="Exchange version: 2016 or 2019."),
    waves: str | None = typer.Option(
        None,
        "--waves",
        help="Comma-separated waves for wave planters (proxylogon, proxyshell, proxynotshell, proxytoken, all, none).",
    ),
    no_webshell_files: bool = typer.Option(
        False, "--no-webshell-files", help="Do not plant web shell files."
    ),
    no_events: bool = typer.Option(False, "--no-events", help="Do not plant event log exports."),
    wave_days: int = typer.Option(
        0,
        "--wave-days",
        help="Plant each later wave the log period misses in its own exploitation window, with this many "
        "days of logs around it (5 or more; 0 = plant every wave in the log period).",
    ),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Worker processes (0 = one per core)."),
    force: bool = typer.Option(
        False, "--force", help="Replace DEST if it holds an earlier generated server."
    ),
    json_out: str | None = typer.Option(
        None, "--json", help="Write the planted facts as JSON; - for stdout."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress and no summary."),
) -> None:
    """Exit code 0 on success, 2 on a bad option or an unusable DEST."""
    try:
        from datetime import UTC, datetime

        end_dt = datetime.strptime(end, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        fail(f"Cannot read the date {end!r}; write it as YYYY-MM-DD.")
    if scenario not in SCENARIOS:
        fail(f"Unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}.")
    if days < 1 or days > 3660:
        fail("--days must be between 1 and 3660.")
    g = _run_generate(
        dest,
        "generating",
        quiet,
        scenario=scenario,
        seed=seed,
        size=size,
        layout=layout,
        waves=_waves(waves),
        days=days,
        end=end_dt,
        hostname=hostname,
        exchange_version=exchange,
        webshell_files=not no_webshell_files,
        events=not no_events,
        wave_days=wave_days,
        jobs=jobs,
        overwrite=force,
    )
    if json_out:
        write_json(g.to_dict(), json_out)
    if not quiet and json_out != "-":
        _summary(g)


def demo_cmd(
    dest: str = typer.Argument(
        DEMO_DEST, help="Folder for the sample server (replaced if it is an earlier demo)."
    ),
    seed: int = typer.Option(1, "--seed", help="Seed of the sample server."),
    html: bool = typer.Option(True, "--html/--no-html", help="Also write an HTML report beside the sample."),
) -> None:
    """Builds a sample compromised Exchange 2016 server with everything the generator can plant,
    scans it with ``extriage scan`` and shows the verdict. Exit code 0 when the demo ran."""
    from extriage.evidence.source import EvidenceError
    from extriage.report.brief import render_brief
    from extriage.scan.pipeline import run_scan

    target = Path(dest).expanduser()
    started = time.perf_counter()
    g = _run_generate(
        str(target),
        "building the sample server",
        False,
        scenario="full",
        seed=seed,
        size=DEMO_SIZE,
        layout="kape",
        days=DEMO_DAYS,
        wave_days=DEMO_WAVE_DAYS,
        overwrite=True,
    )
    _demo_summary(g)
    out.print(f"Scanning it: [bold]extriage scan {escape(str(g.dest))}[/]")
    try:
        result = run_scan(str(g.dest))
    except EvidenceError as exc:
        fail(str(exc))
    report = _html_report(result, target) if html else None
    details = (
        f"the HTML report {report}" if report else f"extriage scan {g.dest} (all of it), or --report DIR"
    )
    out.print()
    render_brief(result, out, details)
    out.print(
        f"[dim]Demo finished in {time.perf_counter() - started:.1f} s. Try: extriage scan {escape(str(g.dest))} "
        f"--report report/ --timeline timeline.csv[/]"
    )


def _demo_summary(g: GeneratedServer) -> None:
    """Two lines on the sample: what and where, and which periods its logs cover (the demo plants
    each later wave in its own exploitation window)."""
    plan = g.plan
    out.print(
        f"Sample server {escape(plan.hostname)} (Exchange {plan.exchange_version}, build {plan.build_text}): "
        f"{g.bytes_written / 1024**2:,.1f} MB of logs in {escape(str(g.dest))} ({escape(g.layout)} layout)."
    )
    owner = {period: wave for wave, period in plan.wave_periods.items()}
    parts = []
    for first, last in plan.periods():
        wave = owner.get((first, last), "proxylogon")
        title = load_registry().label(wave)
        parts.append(f"{first:%Y-%m-%d} to {last - timedelta(days=1):%Y-%m-%d} ({title})")
    out.print("Log periods: " + escape("; ".join(parts)) + ".")


def _html_report(result: object, target: Path) -> Path | None:
    """Write the HTML report next to (never inside) the sample, when the report module offers one."""
    try:
        from extriage.report.html import write_html
    except ImportError:
        return None
    dest = target.resolve().parent / f"{target.name}-report.html"
    try:
        write_html([result], dest)  # type: ignore[list-item]
    except OSError as exc:
        err.print(
            f"[yellow]warning:[/] could not write the HTML report {escape(str(dest))}: {escape(str(exc))}"
        )
        return None
    return dest
