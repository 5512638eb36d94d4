"""Behaviour analysis of ASP.NET server code: request input (sources) reaching dangerous operations
(sinks), for web shells that no signature knows.

YARA rules find the families someone has seen; this finds what a page *does*. The server code of a
page (``<script runat=server>``, ``<% %>``, code-only handlers and services, ``msxsl:script`` in
XSLT) is cut out with the markup between code spans reduced to its newlines (so line numbers stay those of
the file), normalised per language (comments blanked, string escapes decoded, literal concatenation,
``.Replace`` on literals, char codes, byte arrays and base64 literals folded into strings; interpolated
strings as concatenations; ``this.``/``Me.``, VB line continuations and ``With`` blocks, JScript aliases
of ``eval`` written one way), and then:

* variables, fields, properties (also expression-bodied), method parameters and return values, and
  builders/collections a value is appended to are tainted when request input is assigned or passed to
  them (a bounded fixpoint over assignments and calls); literal keys (``Session["k"]``, a helper's
  ``Take("k")``) and the arguments of value-keeping calls (``Split``, ``Trim``, ``Replace``) are not
  literal text of the value;
* each sink of ``data/behaviour.yml`` is checked against what its statement or first argument holds.

Regular expressions only, all linear in the code size (bounded repetitions), under a per-file time
budget and a code-size cap: a file not fully analysed is reported, never silently passed.

Modules: ``extract`` (server code out of markup, handlers, web.config, XSLT, Razor), ``normalise``
(comments, escapes, literals, spellings written one way), ``taint`` (request input through the code and
into sinks), ``knowledge`` (``data/behaviour.yml`` compiled, the sink prefilter), ``screen`` (the fast
path's screen for hidden sinks), ``syntax`` (keywords and definitions both need), ``budget``; this
module is the API the scan uses (``analyse``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from extriage.detections.webfiles.behaviour.budget import BUDGET, Timeout
from extriage.detections.webfiles.behaviour.extract import (
    CODE_LANGUAGES,
    MAX_CODE,
    PAGE_EXTENSIONS,
    Extracted,
    decode,
    extract,
)
from extriage.detections.webfiles.behaviour.knowledge import (
    LANGUAGES,
    ConfigRule,
    Knowledge,
    Sink,
    Source,
    catalogue,
    knowledge,
    prefilter_hits,
)
from extriage.detections.webfiles.behaviour.normalise import _Norm
from extriage.detections.webfiles.behaviour.screen import _hides, hiding_screen
from extriage.detections.webfiles.behaviour.taint import WHOLE_MAX, _Analyser, _line_of

__all__ = [
    "BUDGET",
    "CODE_LANGUAGES",
    "LANGUAGES",
    "MAX_CODE",
    "PAGE_EXTENSIONS",
    "Analysis",
    "ConfigRule",
    "Extracted",
    "Knowledge",
    "Sink",
    "Source",
    "Timeout",
    "analyse",
    "catalogue",
    "explain",
    "extract",
    "hiding_screen",
    "knowledge",
    "prefilter_hits",
]

_CONF_ORDER = ("low", "medium", "high")


@dataclass(slots=True)
class Analysis:
    """The behaviour hits of one file, and whether the whole file was analysed."""

    hits: list[dict[str, Any]] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    problem: str | None = None  # why the file was not fully analysed


def explain(data: bytes, ext: str) -> dict[str, Any]:
    """Debugging aid: the normalised code and taint of a page (not used by the scan)."""
    text = decode(data)
    out: dict[str, Any] = {}
    for lang, buf in extract(text, ext.lower()).code.items():
        norm = _Norm(lang)
        code = norm.fold(norm.tokens("".join(buf)))
        an = _Analyser(code, lang, knowledge(), time.monotonic() + 30, norm.decoded)
        an.propagate()
        out[lang] = {
            "code": code,
            "taint": {k: (sorted(v.kinds), v.direct, v.line, v.via) for k, v in an.taint.items()},
        }
    return out


def _confidence(base: str, decoded: int) -> str:
    i = _CONF_ORDER.index(base)
    if decoded:
        i = min(i + 1, 2)
    return _CONF_ORDER[i]


def analyse(data: bytes, ext: str, budget: float = 2.0) -> Analysis:
    """Behaviour hits of one page or code file (UTF-8 bytes, or text already decoded from UTF-16).
    A ``.cs``/``.vb``/``.js`` file is read whole as code of its language: call it only for files
    ASP.NET compiles (App_Code, code-behind) - a ``.js`` elsewhere is a browser script."""
    result = Analysis()
    ext = ext.lower()
    if ext not in PAGE_EXTENSIONS and ext not in CODE_LANGUAGES:
        return result
    know = knowledge()  # compiled once per process: not charged to the first page's time budget
    hiding_screen()
    deadline = time.monotonic() + budget
    # bytes that are not UTF-8 (a page in its site's code page) read as letters of their own, so names
    # made of them stay names (extract.decode); the lines shown to people are read with U+FFFD
    text = decode(data)
    if len(text) > 4 * MAX_CODE:
        text = text[: 4 * MAX_CODE]
        result.problem = f"only the first {4 * MAX_CODE // (1 << 20)} MB were analysed for behaviour"
    if ext == ".config":
        for rule in know.config:
            m = rule.pattern.search(text)
            if m is not None:
                line = text.count("\n", 0, m.start()) + 1
                result.hits.append(
                    {
                        "check": "behaviour",
                        "offset": m.start(),
                        "line": line,
                        "raw": m.group(0)[:300],
                        "sink": rule.id,
                        "category": "config",
                        "title": rule.title,
                        "severity": rule.severity,
                        "language": "web.config",
                        "confidence": "high",
                        "obfuscation": 0,
                    }
                )
    extracted = extract(text, ext)
    seen: set[str] = set()
    for lang, buf in extracted.code.items():
        code = "".join(buf)
        if len(code.strip()) > MAX_CODE:
            result.problem = (
                f"server code over {MAX_CODE // (1 << 20)} MB: only its start was analysed for behaviour"
            )
            cut = code.rfind("\n", 0, MAX_CODE)
            code = code[: cut if cut > 0 else MAX_CODE]
        result.languages.append(lang)
        if not extracted.xslt and not _hides(code) and not prefilter_hits(know.prefilter.get(lang), code):
            short = code.strip()
            if len(short) > WHOLE_MAX or not any(
                s.needs == "whole" and lang in s.patterns and s.patterns[lang].fullmatch(short)
                for s in know.sinks
            ):
                continue  # fast path: no sink spelled out, nothing that could hide one, no stub page
        try:
            norm = _Norm(lang)
            norm.deadline = deadline
            code = norm.tokens(code)
            code = norm.fold(code)
            if time.monotonic() > deadline:
                raise Timeout
            an = _Analyser(code, lang, know, deadline, norm.decoded, extracted.xslt, text)
            if not an.candidates():
                continue  # no dangerous operation at all: nothing to trace
            an.propagate()
            hits = an.sinks(seen)
        except Timeout:
            result.problem = f"behaviour analysis stopped after its {budget:g} s per-file time limit"
            break
        lines = data.decode("utf-8", errors="replace").split("\n") if hits else []
        for sink, pos, t, near in hits:
            seen.add(sink.id)
            line = _line_of(code, pos)
            raw = lines[line - 1].strip() if line - 1 < len(lines) else ""
            if t is None:
                base = "high" if sink.severity == "critical" else "medium"
            else:
                base = "high" if near else "medium"
            hit: dict[str, Any] = {
                "check": "behaviour",
                "offset": None,
                "line": line,
                "raw": raw[:300],
                "sink": sink.id,
                "category": sink.category,
                "title": sink.title,
                "severity": sink.severity,
                "language": {"cs": "C#", "vb": "VB", "js": "JScript"}[lang],
                "confidence": _confidence(base, norm.decoded),
                "obfuscation": norm.decoded,
            }
            if t is not None:
                hit["source"] = t.source
                hit["source_line"] = t.line
                hit["source_raw"] = lines[t.line - 1].strip()[:300] if t.line - 1 < len(lines) else ""
                hit["via"] = list(t.via)
            result.hits.append(hit)
    return result
