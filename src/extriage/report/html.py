"""The self-contained HTML report: one file, no external assets, safe with hostile log content.

Safety: Jinja2 autoescapes every value; findings are embedded as JSON in a data block with ``<``,
``>``, ``&`` and line separators escaped so ``</script>`` cannot end it, and are put on the page by
the script with ``textContent`` only. A Content-Security-Policy meta tag allows only the one inline
script and stylesheet (by hash), no network access and no inline event handlers, so even an escaping
mistake could not run injected script. Large results stay usable: findings are paged in the browser
(50 per page, filter by text and severity) and their evidence is built only when opened.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from extriage import __version__, outputs
from extriage.detections.waves.registry import load_registry
from extriage.findings import Finding, ScanResult, TimelineEvent, Verdict, iso
from extriage.report.chart import Chart, build_chart
from extriage.report.summary import (
    TLP_MEANING,
    VERDICT_HEADLINE,
    ransomware_sentence,
    report_title,
    summary_paragraph,
    when,
)
from extriage.response.facts import Facts, derive_facts, flatten
from extriage.response.plan import ResponsePlan, build_plan
from extriage.safetext import visible_format, visible_format_json

#: Caps that keep a 100,000-finding report openable; the full data stays in the JSON result.
MAX_EVIDENCE_PER_FINDING = 20
MAX_RAW_CHARS = 4000
MAX_TIMELINE_ROWS = 2000
MAX_FILE_ROWS = 20000


@dataclass(slots=True)
class ServerView:
    index: int
    result: ScanResult
    facts: Facts
    plan: ResponsePlan
    summary: str
    headline: str
    chart: Chart | None
    findings_json: str
    timeline: list[Any]
    timeline_total: int
    files_shown: list[Any]
    other_extras: list[tuple[str, list[tuple[str, str]]]]
    waves: list[tuple[str, str]]
    rank: int  # fleet table order: worst verdict first
    ransomware_text: str = ""


def _asset(name: str) -> str:
    return resources.files("extriage.report").joinpath("templates", name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("extriage.report", "templates"),
        autoescape=True,  # every value, including .j2 templates (select_autoescape would skip them)
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_inert,
    )
    env.filters["when"] = when
    env.filters["iso"] = iso
    return env


def _inert(value: Any) -> Any:
    """Every ``{{ value }}`` of the templates: attacker text shows bidi overrides, zero-width
    characters and non-UTF-8 name bytes as visible escapes (:mod:`extriage.safetext`); markup the
    report itself marked safe passes unchanged."""
    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        return visible_format(value)
    return value


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def json_for_script(data: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">``: no ``</script>``, no ``<!--``."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    return (
        visible_format_json(text)
        .replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _cap(text: str, limit: int = MAX_RAW_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + f"… [{len(text) - limit} more characters in the JSON result]"


def _finding_row(f: Finding) -> dict[str, Any]:
    ind = f.indicators
    indicators = {
        k: v
        for k, v in {
            "client IPs": ind.client_ips,
            "user agents": ind.user_agents,
            "paths": ind.paths,
            "URLs": ind.urls,
            "SHA-256": ind.hashes,
            "accounts": ind.accounts,
            "hosts": ind.hosts,
        }.items()
        if v
    }
    return {
        "id": f.id,
        "rule": f.rule_id,
        "title": f.title,
        "sev": f.severity.label(),
        "sevn": int(f.severity),
        "conf": f.confidence.label(),
        "outcome": f.outcome.value,
        "wave": f.wave,
        "cves": f.cves,
        "attack": f.attack,
        "first": when(f.first_seen) if f.first_seen else "",
        "last": when(f.last_seen) if f.last_seen else "",
        "count": f.count,
        "desc": _cap(f.description),
        "ind": indicators,
        "refs": f.references,
        "ev": [
            {
                "src": e.source,
                "line": e.line,
                "ts": when(e.timestamp) if e.timestamp else "",
                "raw": _cap(e.raw),
                "sha": e.sha256 or "",
                "why": _cap(e.why(f.rule_id), 200),
            }
            for e in f.evidence[:MAX_EVIDENCE_PER_FINDING]
        ],
        "more": max(0, len(f.evidence) - MAX_EVIDENCE_PER_FINDING),
    }


#: Summaries longer than this get their full text (and the raw line) behind a "details" toggle.
TIMELINE_SUMMARY_CHARS = 160


def _timeline_row(e: TimelineEvent) -> dict[str, Any]:
    """One timeline row for the table: short cells always (the layout stays bounded whatever the log
    line holds); the full summary, the raw line (capped) and the full source path on demand."""
    name = e.source.replace("\\", "/").rsplit("/", 1)[-1] or e.source
    line = f":{e.line}" if e.line is not None else ""
    long = len(e.summary) > TIMELINE_SUMMARY_CHARS
    return {
        "timestamp": e.timestamp,
        "kind": e.kind,
        "summary": e.summary[:TIMELINE_SUMMARY_CHARS] + "…" if long else e.summary,
        "full": e.summary if long else "",
        "raw": _cap(e.raw),
        "client_ip": e.client_ip,
        "finding_ids": e.finding_ids,
        "source": e.source + line,
        "source_name": name + line,
    }


VERDICT_RANK = {Verdict.COMPROMISED: 0, Verdict.ATTEMPTED: 1, Verdict.ERROR: 2, Verdict.INCONCLUSIVE: 2,
                Verdict.NO_EVIDENCE: 3}


def _waves(r: ScanResult) -> list[tuple[str, str]]:
    """Per-wave verdicts as (label, verdict) in the wave registry's order (the result stores them
    alphabetically); a wave the registry does not know keeps its id and goes last."""
    reg = load_registry()
    rank = {w: n for n, w in enumerate(reg.ids())}
    return [(reg.label(w), v.value)
            for w, v in sorted(r.waves.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))]


def _server_view(i: int, r: ScanResult) -> ServerView:
    facts = derive_facts(r)
    plan = build_plan(r, facts)
    ordered = sorted(r.findings, key=lambda f: (-int(f.severity), f.first_seen or datetime.max.replace(tzinfo=UTC), f.id))
    rows = [_finding_row(f) for f in ordered]
    linked = [e for e in r.timeline if e.finding_ids]
    other = [(k, flatten(v)) for k, v in sorted(r.extras.items()) if k not in ("patch", "mitigation")]
    return ServerView(
        index=i,
        result=r,
        facts=facts,
        plan=plan,
        summary=summary_paragraph(r, facts),
        headline=VERDICT_HEADLINE.get(r.verdict, r.verdict.value),
        chart=build_chart(r, facts),
        findings_json=json_for_script(rows),
        timeline=[_timeline_row(e) for e in linked[:MAX_TIMELINE_ROWS]],
        timeline_total=len(linked),
        files_shown=r.files[:MAX_FILE_ROWS],
        other_extras=other,
        waves=_waves(r),
        rank=VERDICT_RANK.get(r.verdict, len(VERDICT_RANK)),
        ransomware_text=ransomware_sentence(facts) if facts.ransomware else "",
    )


def render_html(results: list[ScanResult], tlp: str = "amber", csp: bool = True, redacted: bool = False) -> str:
    """The whole report as one HTML string. ``csp=False`` exists only so tests can prove the escaping
    holds on its own, without the policy's safety net."""
    css = _asset("report.css.j2")
    js = _asset("report.js.j2")
    policy = (
        "default-src 'none'; "
        f"script-src {_csp_hash(js)}; style-src {_csp_hash(css)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    views = [_server_view(i, r) for i, r in enumerate(results)]
    template = _environment().get_template("report.html.j2")
    return template.render(
        servers=views,
        title=report_title(results),
        tlp=tlp,
        tlp_label="TLP:" + tlp.upper(),
        tlp_meaning=TLP_MEANING.get(tlp, ""),
        css=css,
        js=js,
        csp=policy if csp else "",
        generated=datetime.now(UTC),
        version=__version__,
        redacted=redacted,
        max_evidence=MAX_EVIDENCE_PER_FINDING,
    )


def write_html(results: list[ScanResult], dest: Path, tlp: str = "amber", redacted: bool = False) -> None:
    outputs.write_text(dest, render_html(results, tlp, redacted=redacted))
