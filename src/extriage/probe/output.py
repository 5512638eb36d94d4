"""Render probe results: the terminal table (worst first), JSON and CSV.

Everything a server sent (header values, node names, redirect targets) is attacker-controllable:
the table escapes it, the CSV neutralises formula starts.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from rich.table import Table

from extriage import __version__
from extriage.probe import USER_AGENT
from extriage.probe.engine import sort_worst_first
from extriage.probe.result import RESULT_FORMAT, TargetResult
from extriage.probe.states import State, probe_waves, wave_labels
from extriage.report.timeline_csv import csv_safe
from extriage.safetext import escape

STATE_STYLE = {
    State.VULNERABLE: "bold red",
    State.VULNERABLE_UNLESS_SU: "yellow",
    State.ERROR: "magenta",
    State.UNKNOWN: "magenta",
    State.MITIGATED: "cyan",
    State.PATCHED: "green",
    State.NOT_AFFECTED: "green",
    State.NOT_EXCHANGE: "dim",
}


def filter_only(results: list[TargetResult], only: list[str]) -> list[TargetResult]:
    """Keep targets where any wave is in one of the ``only`` states."""
    if not only:
        return results
    wanted = set(only)
    return [r for r in results if r.states() & wanted]


def table(results: list[TargetResult]) -> Table:
    """One row per target, worst first; the four wave states stacked in one cell so the table fits
    an 80-column terminal."""
    t = Table(title="Exchange exposure (worst first)", show_lines=True)
    t.add_column("Target", overflow="fold", ratio=3)
    t.add_column("State per wave", no_wrap=True)
    t.add_column("Build (confidence)", overflow="fold", ratio=2)
    t.add_column("Detail", overflow="fold", ratio=4)
    labels = wave_labels()
    width = max(map(len, labels.values()), default=0)
    for r in sort_worst_first(results):
        target = escape(r.target + (f" (Host {r.host_header})" if r.host_header else ""))
        waves = "\n".join(
            f"{escape(labels[w]):<{width}} [{STATE_STYLE[r.waves[w].state]}]{r.waves[w].state.value}[/]"
            for w in labels
        )
        build = escape(f"{r.build} ({r.confidence})") if r.build else escape(r.confidence)
        t.add_row(target, waves, build, escape(" | ".join(_detail(r))))
    return t


def _detail(r: TargetResult) -> list[str]:
    detail: list[str] = []
    if r.error:
        detail.append(r.error)
    if len(r.nodes) > 1:
        detail.append("nodes: " + ", ".join(f"{n.name or '?'}={n.build or 'unknown'}" for n in r.nodes))
    elif r.nodes and r.nodes[0].name:
        detail.append(f"node {r.nodes[0].name}")
    fixes = needs(r)
    if fixes:
        detail.append("patched only if installed: " + "; ".join(fixes))
    update = install(r)
    if update:
        detail.append(f"install at least: {update}")
    if not r.error:
        # one line per distinct reason, naming the waves it explains (not four copies of the same text)
        by_reason: dict[str, list[str]] = {}
        labels = wave_labels()
        for w in labels:
            ws = r.waves[w]
            if ws.state in (State.MITIGATED, State.UNKNOWN, State.NOT_EXCHANGE) and ws.reason:
                by_reason.setdefault(ws.reason, []).append(labels[w])
        for reason, waves in by_reason.items():
            detail.append(reason if len(waves) == len(labels) else f"{'/'.join(waves)}: {reason}")
    return detail


def needs(r: TargetResult) -> list[str]:
    """The updates whose presence decides the ``vulnerable-unless-su`` waves."""
    return sorted(
        {
            r.waves[w].fixed_by or "the fixing SU"
            for w in probe_waves()
            if r.waves[w].state is State.VULNERABLE_UNLESS_SU
        }
    )


def install(r: TargetResult) -> str:
    """The one update that closes every ``vulnerable`` wave: the highest fix needed (Exchange CUs and
    SUs are cumulative). Empty when no vulnerable wave names its fix."""
    fixes = [ws for ws in r.waves.values() if ws.state is State.VULNERABLE and ws.fixed_by]
    return max(fixes, key=lambda ws: ws.fix_key).fixed_by or "" if fixes else ""


def summary_counts(results: list[TargetResult]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in results:
        counts[r.worst.value] = counts.get(r.worst.value, 0) + 1
    return counts


def to_json(results: list[TargetResult], *, confirm: bool, elapsed_s: float) -> dict[str, Any]:
    ordered = sort_worst_first(results)
    return {
        "format": RESULT_FORMAT,
        "tool": f"extriage {__version__}",
        "user_agent": USER_AGENT,
        "generated_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "confirm" if confirm else "version-only",
        "elapsed_s": round(elapsed_s, 3),
        "summary": summary_counts(results),
        "results": [r.to_dict() for r in ordered],
    }


def csv_columns() -> list[str]:
    """Header of the CSV: one state column per probe wave of the wave registry."""
    return ["target", "url", "host_header", *probe_waves(), *CSV_TAIL]


CSV_TAIL = [
    "worst_state",
    "build",
    "confidence",
    "build_source",
    "product",
    "nodes",
    "needs",
    "install",
    "error",
    "requests",
]


def to_csv(results: list[TargetResult]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(csv_columns())
    for r in sort_worst_first(results):
        row: list[object] = [
            r.target,
            r.url,
            r.host_header,
            *(r.waves[x].state.value for x in probe_waves()),
            r.worst.value,
            r.build,
            r.confidence,
            f"{r.source.source}: {r.source.raw}" if r.source else "",
            r.product,
            " ".join(f"{n.name or '?'}={n.build or 'unknown'}" for n in r.nodes),
            "; ".join(needs(r)),
            install(r),
            r.error,
            r.requests,
        ]
        w.writerow([csv_safe(v) for v in row])
    return buf.getvalue()
