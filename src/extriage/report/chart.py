"""Requests-per-hour chart data for the HTML report, drawn as inline SVG (no script needed).

The scan may provide ``activity["requests_per_hour"]`` (hour → total, or hour → {"total", "attacker"})
and ``activity["attacker_requests_per_hour"]``; without them the chart is counted from the timeline's
request events. Hours with no traffic are drawn as gaps; spans over ``MAX_BARS`` hours are drawn per day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from extriage.findings import Outcome, ScanResult, utc
from extriage.response.facts import RANSOMWARE_TECHNIQUE, Facts

MAX_BARS = 24 * 90
WIDTH = 1000.0
HEIGHT = 200.0
LEFT = 50.0
BOTTOM = 30.0
TOP = 10.0


@dataclass(slots=True)
class Bar:
    x: float
    w: float
    total_y: float
    total_h: float
    att_y: float
    att_h: float
    label: str


@dataclass(slots=True)
class Mark:
    x: float
    kind: str  # "webshell", "ransomware", "file" (another attacker file), "first", "last"
    label: str


@dataclass(slots=True)
class Chart:
    unit: str  # "hour" or "day"
    bars: list[Bar] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    ticks: list[tuple[float, str]] = field(default_factory=list)
    y_max: int = 0
    total: int = 0
    attacker_total: int = 0
    source: str = ""
    width: float = WIDTH
    height: float = HEIGHT
    left: float = LEFT
    bottom: float = BOTTOM
    top: float = TOP


def _hour(key: Any) -> datetime | None:
    try:
        text = str(key).strip().replace("Z", "+00:00").replace(" ", "T")
        if len(text) == 13:  # 2021-03-02T05
            text += ":00"
        ts = utc(datetime.fromisoformat(text))
    except ValueError:
        return None
    return None if ts is None else ts.replace(minute=0, second=0, microsecond=0)


def _counts(value: Any) -> dict[datetime, tuple[int, int]]:
    """hour -> (total, attacker) from a dict or list in one of the accepted shapes."""
    out: dict[datetime, tuple[int, int]] = {}
    items: list[tuple[Any, Any]] = []
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        for row in value:
            if isinstance(row, dict):
                items.append((row.get("hour") or row.get("timestamp") or row.get("time"), row))
    for key, v in items:
        h = _hour(key)
        if h is None:
            continue
        if isinstance(v, dict):
            total = int(v.get("total", v.get("count", v.get("requests", 0))) or 0)
            att = int(v.get("attacker", v.get("attacker_requests", 0)) or 0)
        else:
            try:
                total, att = int(v), 0
            except (TypeError, ValueError):
                continue
        t0, a0 = out.get(h, (0, 0))
        out[h] = (t0 + total, a0 + att)
    return out


def _per_family(value: Any) -> tuple[Any, str]:
    """``{"iis": {hour: n}, "httpproxy": {hour: n}}`` → the busiest family's map (IIS and HttpProxy
    log the same requests twice, so they are not added up)."""
    if not isinstance(value, dict) or not value:
        return value, ""
    if all(isinstance(v, dict) and (not v or _hour(next(iter(v))) is not None) for v in value.values()):
        if any(_hour(k) is not None for k in value):
            return value, ""
        preferred = sorted(value, key=lambda k: (k != "iis", -sum(int(x) for x in value[k].values() if isinstance(x, (int, float)))))
        return value[preferred[0]], preferred[0]
    return value, ""


#: File marks from least to most telling: another attacker file (a dump, a tool), a web shell, ransomware.
_MARK_ORDER = ("file", "webshell", "ransomware")


def _file_kinds(result: ScanResult) -> dict[str, str]:
    """Finding id -> the mark its file writes get: ransomware (ATT&CK T1486), web shell, other file."""
    out: dict[str, str] = {}
    for f in result.findings:
        if any(t.upper().startswith(RANSOMWARE_TECHNIQUE) for t in f.attack):
            out[f.id] = "ransomware"
        elif f.outcome is Outcome.WEBSHELL:
            out[f.id] = "webshell"
    return out


def build_chart(result: ScanResult, facts: Facts) -> Chart | None:
    act = result.activity or {}
    per_hour, family = _per_family(act.get("requests_per_hour"))
    counts = _counts(per_hour)
    source = f"{family} log requests" if family else "scan activity (requests per hour)"
    attackers = _counts(act.get("attacker_requests_per_hour"))
    for h, (n, _) in attackers.items():
        t, a = counts.get(h, (0, 0))
        counts[h] = (max(t, n), max(a, n))
    ips = set(facts.attacker_ips)
    if counts and not attackers and ips and not any(a for _, a in counts.values()):
        # attacker share from the timeline's request events, capped by the hour's total
        for ev in result.timeline:
            if ev.kind == "request" and ev.client_ip in ips:
                hour = _hour(ev.timestamp.isoformat())
                if hour is not None and hour in counts:
                    t, a = counts[hour]
                    counts[hour] = (t, min(t, a + 1))
    if not counts:
        for ev in result.timeline:
            if ev.kind != "request":
                continue
            hour = _hour(ev.timestamp.isoformat())
            if hour is None:
                continue
            t, a = counts.get(hour, (0, 0))
            counts[hour] = (t + 1, a + (1 if ev.client_ip in ips else 0))
        source = "timeline request events"
    if not counts:
        return None
    start, end = min(counts), max(counts)
    unit = "hour"
    step = timedelta(hours=1)
    if (end - start) / step + 1 > MAX_BARS:
        unit, step = "day", timedelta(days=1)
        daily: dict[datetime, tuple[int, int]] = {}
        for h, (t, a) in counts.items():
            d = h.replace(hour=0)
            t0, a0 = daily.get(d, (0, 0))
            daily[d] = (t0 + t, a0 + a)
        counts = daily
        start, end = min(counts), max(counts)
    n = int((end - start) / step) + 1
    plot_w = WIDTH - LEFT - 10
    plot_h = HEIGHT - BOTTOM - TOP
    bw = plot_w / n
    y_max = max(t for t, _ in counts.values()) or 1
    chart = Chart(unit=unit, y_max=y_max, source=source)

    def x_of(ts: datetime) -> float:
        return LEFT + ((ts - start) / step) * bw

    for h, (t, a) in sorted(counts.items()):
        x = x_of(h)
        th = plot_h * t / y_max
        ah = plot_h * min(a, t) / y_max
        base = TOP + plot_h
        label = f"{h:%Y-%m-%d %H:00} UTC: {t} requests" + (f", {a} from attacker addresses" if a else "")
        chart.bars.append(Bar(round(x, 2), round(max(bw * 0.9, 0.5), 2), round(base - th, 2), round(th, 2), round(base - ah, 2), round(ah, 2), label))
        chart.total += t
        chart.attacker_total += a
    # ticks: about eight labels along the axis
    every = max(1, n // 8)
    for i in range(0, n, every):
        ts = start + i * step
        chart.ticks.append((round(LEFT + i * bw, 2), f"{ts:%m-%d %H:00}" if unit == "hour" else f"{ts:%Y-%m-%d}"))
    window_end = end + step

    def mark(ts: datetime | None, kind: str, label: str) -> None:
        ts = utc(ts)
        if ts is None or ts < start or ts > window_end:
            return
        chart.marks.append(Mark(round(LEFT + ((ts - start) / step) * bw, 2), kind, label))

    for ws in facts.webshells:
        mark(ws.first_seen, "webshell", f"web shell {ws.path} first seen {ws.first_seen:%Y-%m-%d %H:%M} UTC" if ws.first_seen else ws.path)
    for rt in facts.ransomware:
        mark(rt.first_seen, "ransomware", f"ransomware: {rt.title}")
    kinds = _file_kinds(result)
    for ev in result.timeline:
        if ev.kind in ("file-created", "file-modified") and ev.finding_ids:
            kind = max((kinds.get(fid, "file") for fid in ev.finding_ids), key=_MARK_ORDER.index)
            what = {"webshell": "web shell", "ransomware": "ransomware", "file": "attacker file"}[kind]
            mark(ev.timestamp, kind, f"{what} {ev.kind}: {ev.summary}")
    if facts.first_attacker:
        mark(facts.first_attacker, "first", f"first attacker activity {facts.first_attacker:%Y-%m-%d %H:%M} UTC")
    if facts.last_attacker:
        mark(facts.last_attacker, "last", f"last attacker activity {facts.last_attacker:%Y-%m-%d %H:%M} UTC")
    if len(chart.marks) > 500:  # keep the SVG small: many writes in one place draw as one line anyway
        chart.marks = chart.marks[:500]
    return chart
