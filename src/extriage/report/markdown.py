"""The short Markdown report for a ticket or an e-mail: verdict, summary, the plan, key findings.

Attacker-controlled text is inert in every Markdown renderer a partner may use (CommonMark, GitHub's
GFM with tables and autolinks): values go in code spans or fenced blocks whose fence is longer than
any backtick run inside; running text has the Markdown/HTML characters escaped and anything an
autolinker would turn into a link (``http://``, ``javascript:``, ``www.``, ``user@host``,
``evil.example``) put in a code span; in table cells ``|`` is escaped even inside code spans (GFM
splits cells before it reads code spans). Newlines are collapsed, control, bidi and zero-width
characters are shown as visible escapes.
"""

from __future__ import annotations

import re
from pathlib import Path

from extriage import outputs
from extriage.findings import ScanResult
from extriage.report.summary import TLP_MEANING, VERDICT_HEADLINE, report_title, summary_paragraph, when
from extriage.response.facts import derive_facts
from extriage.response.plan import build_plan
from extriage.safetext import visible_format

MAX_FINDINGS = 20
#: Characters that start emphasis, code, links, HTML, entities or tables anywhere in a line.
#: Line-start markers (#, -, 1., >, =) cannot occur: every escaped text follows fixed text on its line.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|<>&~!])")
#: Text an autolinker (GFM, linkify) turns into a link: schemes, www., e-mail addresses, host names.
_LINKISH = re.compile(
    r"(?:[A-Za-z][A-Za-z0-9+.-]*:/[^\s|]*"  # scheme:/… and scheme://…
    r"|(?<![\w-])(?:javascript|vbscript|data|mailto|file|tel|ftp|xmpp)\s*:[^\s|]*"
    r"|[^\s|@<>()\[\]]+@[^\s|@<>()\[\]]+"  # user@host
    r"|(?<![\w-])(?:[A-Za-z0-9_-]+\.)+[A-Za-z][A-Za-z0-9-]*[A-Za-z](?:[/:?#][^\s|]*)?)",  # host.tld/…
    re.IGNORECASE,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Control characters (binary excerpts, terminal escapes) as visible ``\\xNN``, bidi and
    zero-width characters as ``\\uNNNN``; keeps newlines and tabs."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", visible_format(text))


def md_text(text: str, table: bool = False) -> str:
    """Running text made inert: Markdown and HTML metacharacters escaped, newlines collapsed, and
    whatever an autolinker would link (URL, ``javascript:``, e-mail address, host name) put in a
    code span. ``table``: the text goes in a GFM table cell."""
    text = " ".join(printable(str(text)).split())
    out: list[str] = []
    pos = 0
    for m in _LINKISH.finditer(text):
        out.append(_MD_SPECIAL.sub(r"\\\1", text[pos : m.start()]))
        out.append(md_code(m.group(0), table))
        pos = m.end()
    out.append(_MD_SPECIAL.sub(r"\\\1", text[pos:]))
    return "".join(out)


def md_code(text: str, table: bool = False) -> str:
    """An inline code span that holds ``text`` verbatim whatever backticks it contains. ``table``:
    the span sits in a GFM table cell, where ``|`` must be escaped even inside code."""
    text = " ".join(printable(str(text)).split())
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text else ""
    if table:
        text = text.replace("|", "\\|")
    return f"{fence}{pad}{text}{pad}{fence}"


def md_block(text: str, limit: int = 2000) -> str:
    """A fenced code block holding ``text`` verbatim (at most ``limit`` characters)."""
    text = printable(text.replace("\r\n", "\n"))
    text = text if len(text) <= limit else text[:limit] + " …"
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def render_markdown(results: list[ScanResult], tlp: str = "amber", redacted: bool = False) -> str:
    out: list[str] = [f"**TLP:{tlp.upper()}** — {TLP_MEANING.get(tlp, '')}", ""]
    if redacted:
        out += ["_Internal host names, user names and internal IP addresses are redacted._", ""]
    all_facts = [derive_facts(r) for r in results]
    out.append(f"# {report_title(results)}")
    out.append("")
    if len(results) > 1:
        out += ["| server | verdict | findings |", "|---|---|---|"]
        for r, facts in zip(results, all_facts, strict=True):
            out.append(f"| {md_text(facts.server, table=True)} | {r.verdict.value} | {len(r.findings)} |")
        out.append("")
    for r, facts in zip(results, all_facts, strict=True):
        plan = build_plan(r, facts)
        out.append(f"## {md_text(facts.server)}: {VERDICT_HEADLINE.get(r.verdict, r.verdict.value)}")
        out.append("")
        out.append(md_text(summary_paragraph(r, facts)))
        out.append("")
        if facts.attacker_ips:
            out.append("**Attacker IPs:** " + ", ".join(md_code(ip) for ip in facts.attacker_ips))
        if facts.internal_ips:
            out.append("**Internal addresses in attacker requests** (a load balancer, proxy or internal machine; "
                       "not indicators to share): " + ", ".join(md_code(ip) for ip in facts.internal_ips))
        if facts.first_attacker:
            out.append(f"**Attack window:** {when(facts.first_attacker)} – {when(facts.last_attacker)}")
        if facts.webshells:
            out.append(f"**Web shells ({len(facts.webshells)} files):** " + ", ".join(
                md_code(w.path) + (f" (also {', '.join(md_code(a) for a in w.aliases)})" if w.aliases else "")
                for w in facts.webshells))
        if facts.ransomware:
            out.append(f"**Ransomware ({len(facts.ransomware)} files):** " + ", ".join(
                f"{md_code(t.path)} — {md_text(t.title)} ({md_text(t.finding_id)})" for t in facts.ransomware))
        if facts.account_split.reset:
            out.append("**Accounts to reset:** " + ", ".join(md_code(a) for a in facts.account_split.reset))
        if facts.account_split.other:
            out.append("**Other identities in the findings** (not in the reset list): " + "; ".join(
                f"{md_code(a)}: {md_text(why)}" for a, why in facts.account_split.other))
        if facts.patch and facts.patch.recommended_update():
            out.append(f"**Install:** {md_text(facts.patch.recommended_update())}")
            out += [f"- {md_text(a)}" for a in facts.patch.recommendation]
        if facts.mitigation:
            out.append("")
            out.append("**Interim mitigations** (from the IIS configuration and registry in the evidence):")
            out += [f"- {md_text(title)}: {md_text(state)}" for title, state in facts.mitigation]
        out.append("")
        out.append("### What to do now")
        out.append("")
        for n, step in enumerate(plan.steps, 1):
            out.append(f"{n}. **{md_text(step.title)}** — {md_text(step.why)}")
            for a in step.actions:
                out.append(f"   - {md_text(a)}")
            trig = "; ".join((f"{t.finding_id} " if t.finding_id else "") + t.reason for t in step.triggers)
            out.append(f"   - _Triggered by:_ {md_text(trig)}")
        out.append("")
        if r.findings:
            ordered = sorted(r.findings, key=lambda f: (-int(f.severity), f.id))
            out.append(f"### Key findings ({min(len(ordered), MAX_FINDINGS)} of {len(ordered)})")
            out.append("")
            for f in ordered[:MAX_FINDINGS]:
                seen = when(f.first_seen) if f.first_seen else "time unknown"
                out.append(f"- **{md_text(f.id)}** [{f.severity.label()}/{f.outcome.value}] {md_text(f.title)} — {seen}")
                if f.evidence:
                    e = f.evidence[0]
                    loc = f"{e.source}:{e.line}" if e.line is not None else e.source
                    out.append(f"  - source {md_code(loc)}")
                    out.append("")
                    out.append("\n".join("  " + line for line in md_block(e.raw, 600).splitlines()))
            if len(ordered) > MAX_FINDINGS:
                out.append(f"- … {len(ordered) - MAX_FINDINGS} more in the HTML report and the JSON result.")
            out.append("")
        out.append("### Coverage")
        out.append("")
        out.append(md_text(_coverage_line(r)))
        if facts.not_covered:
            out.append("")
            out.append(f"**Not covered by this scan:** {md_text(', '.join(facts.not_covered))}")
        for w in r.coverage.warnings:
            out.append(f"- {md_text(w)}")
        for s in r.coverage.skipped[:20]:
            out.append(f"- not read: {md_code(s.path)} — {md_text(s.reason)}")
        if len(r.coverage.skipped) > 20:
            out.append(f"- … {len(r.coverage.skipped) - 20} more files not read (see the HTML report).")
        out.append("")
    return "\n".join(out) + "\n"


def _coverage_line(r: ScanResult) -> str:
    from extriage.report.summary import coverage_sentence

    return coverage_sentence(r)


def write_markdown(results: list[ScanResult], dest: Path, tlp: str = "amber", redacted: bool = False) -> None:
    outputs.write_text(dest, render_markdown(results, tlp, redacted))
