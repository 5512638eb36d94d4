"""``extriage probe TARGET...``: safe, fast network exposure check of Exchange servers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from extriage import outputs
from extriage.cli.common import err, escape, fail, out, write_json
from extriage.detections.waves.registry import load_registry
from extriage.probe import USER_AGENT
from extriage.probe.client import DEFAULT_MAX_BODY, ClientOptions
from extriage.probe.engine import ProbeOptions, overall, probe_all
from extriage.probe.output import filter_only, summary_counts, table, to_csv, to_json
from extriage.probe.parallel import auto_workers, probe_parallel
from extriage.probe.result import TargetResult
from extriage.probe.states import RANK, AssessFn, State, load_assess
from extriage.probe.targets import DEFAULT_MAX_TARGETS, Target, TargetError, parse_targets, read_targets_file

#: Exit codes of ``extriage probe`` (docs/probe.md).
EXIT_OK = 0
EXIT_INCOMPLETE = 51  # some target error/unknown, none vulnerable
EXIT_VULNERABLE = 50  # some target vulnerable or vulnerable-unless-su

_STATES = [s.value for s in State]
_ONLY_HELP = f"Show/write only targets with a wave in this state (repeatable): {', '.join(_STATES)}."


def register(app: typer.Typer) -> None:
    app.command(
        "probe",
        help="Check which Exchange servers are exposed (ProxyLogon/ProxyShell/ProxyNotShell) over the network. "
        "Only for servers you own or are authorised to test.",
    )(probe)


def probe(
    targets: list[str] | None = typer.Argument(None, help="Hostnames, IPs, host:port, URLs or CIDR ranges."),
    targets_file: str | None = typer.Option(
        None, "--targets", help="File with one target per line (# comments)."
    ),
    json_out: str | None = typer.Option(None, "--json", help="Write results as JSON; - for stdout."),
    csv_out: str | None = typer.Option(None, "--csv", help="Write results as CSV; - for stdout."),
    only: list[str] = typer.Option([], "--only", help=_ONLY_HELP),
    confirm: bool = typer.Option(
        False,
        "--confirm",
        help="Also run the opt-in behavioural checks (they leave traces in the server's logs; see docs).",
    ),
    enumerate_builds: bool = typer.Option(
        False,
        "--enumerate",
        help="For CU-only builds, find the installed SU by requesting versioned ECP folders (up to --enumerate-max GETs per host).",
    ),
    enumerate_max: int = typer.Option(
        25, "--enumerate-max", min=2, max=200, help="Request cap for --enumerate."
    ),
    verify: bool = typer.Option(
        False, "--verify", help="Enforce TLS certificate verification (default: record, don't verify)."
    ),
    ca_file: str | None = typer.Option(None, "--ca-file", help="CA bundle for --verify (default: certifi)."),
    proxy: str | None = typer.Option(
        None, "--proxy", help="HTTP or SOCKS proxy URL, e.g. socks5://127.0.0.1:1080."
    ),
    concurrency: int = typer.Option(
        200, "--concurrency", min=1, max=5000, help="Requests in flight overall."
    ),
    per_host: int = typer.Option(
        2, "--per-host", min=1, max=2, help="Requests in flight per host (at most 2)."
    ),
    rate: float = typer.Option(20.0, "--rate", min=0.0, help="Requests per second per host (0 = no limit)."),
    connect_timeout: float = typer.Option(5.0, "--connect-timeout", min=0.1, help="Seconds to connect."),
    read_timeout: float = typer.Option(
        10.0, "--read-timeout", min=0.1, help="Seconds to wait for a response."
    ),
    retries: int = typer.Option(1, "--retries", min=0, max=3, help="Retries after a transport error."),
    lb_repeats: int = typer.Option(
        1,
        "--lb-repeats",
        min=0,
        max=10,
        help="Extra version requests on fresh connections to find load-balanced nodes.",
    ),
    max_targets: int = typer.Option(
        DEFAULT_MAX_TARGETS, "--max-targets", min=1, help="Cap on targets (CIDR expansion included)."
    ),
    max_body: int = typer.Option(
        DEFAULT_MAX_BODY, "--max-body", min=4096, help="Bytes of each response body read at most."
    ),
    no_cert_names: bool = typer.Option(
        False, "--no-cert-names", help="Don't retry bare IPs with the certificate's names as SNI/Host."
    ),
    workers: int = typer.Option(
        0,
        "--workers",
        min=0,
        max=16,
        help="Processes to spread a large run over (0 = automatic: one per core, from 1,000 targets per process).",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar and no table."),
) -> None:
    """Exit codes: 0 nothing vulnerable and every target decided, 51 some target error/unknown, 50 some target vulnerable (or vulnerable unless an SU is installed), 2 usage error."""
    bad_only = [s for s in only if s not in _STATES]
    if bad_only:
        fail(f"--only {bad_only[0]!r} is not a state; use one of {', '.join(_STATES)}.")
    entries = list(targets or [])
    if targets_file:
        try:
            entries.extend(read_targets_file(targets_file))
        except TargetError as exc:
            fail(str(exc))
    if not entries:
        fail("No targets: give TARGET arguments or --targets FILE.")
    if ca_file and not Path(ca_file).is_file():
        fail(f"CA file {ca_file} does not exist.")
    if proxy and not proxy.startswith(("http://", "https://", "socks5://", "socks5h://")):
        fail(f"Proxy {proxy} is not an http://, https:// or socks5:// URL.")
    parsed = parse_targets(entries, max_targets)
    opts = ProbeOptions(
        client=ClientOptions(
            concurrency=concurrency,
            per_host=per_host,
            rate_per_host=rate,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries=retries,
            proxy=proxy,
            verify=verify,
            ca_file=ca_file,
            max_body=max_body,
            user_agent=USER_AGENT,
        ),
        lb_repeats=lb_repeats,
        confirm=confirm,
        try_cert_names=not no_cert_names,
        enumerate=enumerate_builds,
        enumerate_max=enumerate_max,
    )
    assess = load_assess()
    n_workers = workers or auto_workers(len(parsed))
    started = time.monotonic()
    show_progress = not quiet and err.is_terminal
    if show_progress:
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task("probing", total=len(parsed))

            def on_done(_r: TargetResult) -> None:
                bar.advance(task)

            results = _run(parsed, opts, assess, n_workers, on_done)
    else:
        results = _run(parsed, opts, assess, n_workers, None)
    elapsed = time.monotonic() - started
    shown = filter_only(results, only)
    if json_out:
        write_json(to_json(shown, confirm=confirm, elapsed_s=elapsed), json_out)
    if csv_out:
        text = to_csv(shown)
        if csv_out == "-":
            out.file.write(text)
        else:
            try:
                outputs.write_text(csv_out, text, newline="")
            except OSError as exc:
                fail(f"Cannot write {csv_out}: {exc.strerror or exc}.")
    if not quiet and json_out != "-" and csv_out != "-":
        out.print(table(shown))
        counts = summary_counts(results)
        summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items(), key=lambda kv: -RANK[State(kv[0])]))
        out.print(
            f"{len(results)} targets in {elapsed:.1f}s: {summary}. Mode: {'confirm' if confirm else 'version-only (GET, no exploit requests)'}."
        )
        if any(_undecided(r) for r in results):
            out.print(
                "Targets marked error/unknown were NOT shown to be safe: check them by hand or with 'extriage patch-status'."
            )
        else:
            for note in _undecided_notes(results):
                out.print(escape(note))
    raise typer.Exit(_exit_code(results))


def _run(
    parsed: list[Target],
    opts: ProbeOptions,
    assess: AssessFn | None,
    workers: int,
    on_done: Callable[[TargetResult], None] | None,
) -> list[TargetResult]:
    if workers > 1 and len(parsed) > 1:
        return probe_parallel(parsed, opts, workers, on_done)
    return asyncio.run(probe_all(parsed, opts, assess, on_done))


def _decidable_waves() -> tuple[str, ...]:
    """The waves a remote check can decide (the wave registry's ``probe.decides``). The others hold
    CVEs such as CVE-2024-21410 that no build number settles (Extended Protection is invisible from
    outside): their "unknown" is reported in the table and JSON but does not make a fleet of patched
    servers "undecided"."""
    return tuple(w.id for w in load_registry().probe_waves() if w.probe is not None and w.probe.decides)


def _undecided_notes(results: list[TargetResult]) -> list[str]:
    """The registry's note of each wave no build can decide that stayed unknown on some target."""
    return [
        w.probe.undecided_note
        for w in load_registry().probe_waves()
        if w.probe is not None and not w.probe.decides and w.probe.undecided_note
        and any(w.id in r.waves and r.waves[w.id].state is State.UNKNOWN for r in results)
    ]


def _undecided(r: TargetResult) -> bool:
    return r.error is not None or any(
        r.waves[w].state in (State.ERROR, State.UNKNOWN) for w in _decidable_waves() if w in r.waves
    )


def _exit_code(results: list[TargetResult]) -> int:
    worst = overall(results) if results else State.UNKNOWN
    if worst in (State.VULNERABLE, State.VULNERABLE_UNLESS_SU):
        return EXIT_VULNERABLE
    if not results or any(_undecided(r) for r in results):
        return EXIT_INCOMPLETE
    return EXIT_OK
