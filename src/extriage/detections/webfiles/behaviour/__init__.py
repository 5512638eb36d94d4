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
(comments, escapes, literals, spellings written one way), ``rewrite`` (locals scoped per method, aliases of the
request and response, stream writes), ``sources`` (where request input is read), ``taint`` (the flow walk: request
input through the code, ``value`` its record, ``carriers`` and ``narrowing`` what carries it and what ends it
being taken whole), ``sinks`` (which sinks it reaches), ``qualifiers`` (whether a sink found counts), ``arguments``
(where a statement's or a call's parts lie), ``guard`` and ``checks`` (what a sign-in, digits or allow-list check
guards), ``knowledge`` (``data/behaviour.yml`` compiled, the sink prefilter), ``screen`` (the fast path's screen for
hidden sinks), ``syntax`` (keywords and definitions all need), ``budget``; this module is the API the scan uses
(``analyse``).
"""

from __future__ import annotations

import bisect
import contextlib
import re
from dataclasses import dataclass, field
from typing import Any

from extriage.detections.webfiles.behaviour import codepage
from extriage.detections.webfiles.behaviour.arguments import _args, _params
from extriage.detections.webfiles.behaviour.budget import BUDGET, Timeout, bounded, for_timeout, now
from extriage.detections.webfiles.behaviour.extract import (
    CLASSIC_ASP,
    CODE_LANGUAGES,
    MAX_CODE,
    PAGE_EXTENSIONS,
    RAZOR_VIEWS,
    Extracted,
    decode,
    extract,
    uncommented,
)
from extriage.detections.webfiles.behaviour.inline import inline_helpers
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
from extriage.detections.webfiles.behaviour.lazy import warm as warm_patterns
from extriage.detections.webfiles.behaviour.normalise import _Norm
from extriage.detections.webfiles.behaviour.rewrite import SCOPED, member_aliases, scope_locals, stream_writes
from extriage.detections.webfiles.behaviour.screen import _hides, hiding_screen
from extriage.detections.webfiles.behaviour.sinks import WHOLE_MAX, find_sinks
from extriage.detections.webfiles.behaviour.sources import find_sources
from extriage.detections.webfiles.behaviour.syntax import _METHOD_DEF, KEYWORDS_OF, line_of
from extriage.detections.webfiles.behaviour.taint import _Analyser
from extriage.formats import script_encoder

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
    "analyse_across",
    "catalogue",
    "defined_names",
    "explain",
    "extract",
    "for_timeout",
    "hiding_screen",
    "knowledge",
    "prefilter_hits",
    "warm_patterns",
]

_CONF_ORDER = ("low", "medium", "high")
#: A local's per-method suffix (rewrite.scope_locals), taken off the names a hit shows.
_SCOPED_MARK = re.compile(SCOPED + r"\d+")
#: The end of a page's server code analysed too when the code passes MAX_CODE (a shell is small; the
#: analysis of a window costs up to seconds per megabyte, within the per-file budget).
_TAIL_CODE = MAX_CODE // 4
#: Pages of more bytes than this are analysed under the CPU-time timer (budget.bounded).
_TIMED_FROM = 32 * 1024
#: What a request runs directly: pages, handlers, services (not Global.asax, not source files).
_SERVED = frozenset({".aspx", ".ashx", ".asmx", ".ascx", ".master", ".soap", ".svc", ".asp", ".cer", ".cdx"})


@dataclass(slots=True)
class Analysis:
    """The behaviour hits of one file, and whether the whole file was analysed."""

    hits: list[dict[str, Any]] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    problem: str | None = None  # why the file was not fully analysed
    #: Methods with parameters, public fields and properties defined in code that holds a dangerous
    #: operation: what a page compiled with this file could hand request input to (:func:`analyse_across`).
    methods: list[str] = field(default_factory=list)


def explain(data: bytes, ext: str) -> dict[str, Any]:
    """Debugging aid: the normalised code and taint of a page (not used by the scan)."""
    text = decode(data)
    out: dict[str, Any] = {}
    for lang, buf in extract(text, ext.lower()).code.items():
        norm = _Norm(lang)
        code = norm.fold(norm.tokens("".join(buf)))
        an = _Analyser(code, lang, knowledge(), now() + 30, norm.decoded)
        an.propagate()
        out[lang] = {
            "code": code,
            "taint": {k: (sorted(v.kinds), v.direct, v.line, v.via) for k, v in an.taint.items()},
        }
    return out


class _FileLines:
    """The lines of a file as findings show them (UTF-8, U+FFFD for bytes that are not), read one at a
    time: a page of millions of lines is not split into millions of strings for the two lines a hit
    shows. ``lines[n]`` is line ``n`` (1-based), ``""`` past the end."""

    _CHUNK = 1 << 20

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._before: list[int] = []  # line breaks before each chunk (then their total)

    def _start(self, n: int) -> int:
        """The offset line ``n`` starts at, or -1."""
        data, size = self.data, self._CHUNK
        want = n - 1  # line breaks before the line
        if want <= 0:
            return 0 if want == 0 else -1
        if not self._before:
            self._before = [0]
            for i in range(0, len(data), size):
                self._before.append(self._before[-1] + data.count(b"\n", i, i + size))
        before = self._before
        if want > before[-1]:
            return -1
        k = bisect.bisect_left(before, want) - 1  # the want-th break is in chunk k
        lo, hi = k * size, min(len(data), (k + 1) * size)
        need = want - before[k]
        while lo < hi:  # the first offset p with `need` breaks in [k * size, p]
            mid = (lo + hi) // 2
            if data.count(b"\n", k * size, mid + 1) >= need:
                hi = mid
            else:
                lo = mid + 1
        return lo + 1

    def __getitem__(self, n: int) -> str:
        start = self._start(n)
        if start < 0:
            return ""
        end = self.data.find(b"\n", start)
        return self.data[start : end if end >= 0 else len(self.data)].decode("utf-8", errors="replace")


def _confidence(base: str, decoded: int) -> str:
    i = _CONF_ORDER.index(base)
    if decoded:
        i = min(i + 1, 2)
    return _CONF_ORDER[i]


def analyse(data: bytes, ext: str, budget: float = 2.0, default_language: str | None = None) -> Analysis:
    """Behaviour hits of one page or code file (UTF-8 bytes, or text already decoded from UTF-16).
    A ``.cs``/``.vb``/``.js`` file is read whole as code of its language: call it only for files
    ASP.NET compiles (App_Code, code-behind) - a ``.js`` elsewhere is a browser script.
    ``default_language``: the site's compilation language for a page whose main directive names none
    (see :func:`extract`)."""
    result = Analysis()
    ext = ext.lower()
    if ext not in PAGE_EXTENSIONS and ext not in CODE_LANGUAGES:
        return result
    know = knowledge()  # compiled once per process: not charged to the first page's time budget
    hiding_screen()
    deadline = now() + budget
    if script_encoder.MARKER in data:
        # Script Encoder blocks (VBScript.Encode / JScript.Encode pages, screnc.exe): classic ASP runs their
        # decoded text, so that is what is analysed (a hit's line is the decoded text's; X25, X28, the lead,
        # session 13)
        data = script_encoder.decode_page(data).text
    if ext in CLASSIC_ASP and codepage.declares_utf7(data):
        # <%@ CodePage=65000 %>: asp.dll reads the page as UTF-7 (X29, session 14); so is it analysed
        data = codepage.utf7(data)
    try:
        # the budget holds inside one regular-expression search too; a page under 32 KB cannot make one
        # search run for seconds (the patterns' windows are bounded: ~32,000 x 4,000 steps at most), so
        # most pages skip the timer's 7 us
        with bounded(deadline) if len(data) > _TIMED_FROM else contextlib.nullcontext():
            _analyse(result, data, ext, budget, deadline, know, default_language)
    except Timeout:
        result.problem = f"behaviour analysis stopped after its {budget:g} s per-file time limit (CPU time)"
    return result


def _analyse(
    result: Analysis,
    data: bytes,
    ext: str,
    budget: float,
    deadline: float,
    know: Knowledge,
    default_language: str | None = None,
) -> None:
    # bytes that are not UTF-8 (a page in its site's code page) read as letters of their own, so names
    # made of them stay names (extract.decode); the lines shown to people are read with U+FFFD
    # the whole file (the scan hands over up to its --max-file-size): the markup between code spans costs
    # the analysis nothing (extract), so a shell after megabytes of it is read like any other
    text = decode(data)
    if ext == ".config":
        for rule in know.config:
            m = rule.pattern.search(text)
            if m is not None and (rule.context is None or rule.context.search(text) is not None):
                line = line_of(text, m.start())
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
    extracted = extract(text, ext, default_language)
    seen: set[str] = set()
    timed_out = False
    for lang, buf in extracted.code.items():
        if timed_out:
            break
        result.languages.append(lang)
        for first_line, code in _windows("".join(buf), result, lang):
            try:
                hits, norm, code = _analyse_code(
                    code, lang, know, deadline, extracted.xslt, text, result, seen
                )
            except Timeout:
                result.problem = f"behaviour analysis stopped after its {budget:g} s per-file time limit (CPU time)"
                timed_out = True
                break
            lines = _FileLines(data)
            for sink, pos, t, near in hits:
                if sink.pages_only and ext not in _SERVED:
                    continue  # set-up code (Global.asax, App_Code, App_Start): where applications do it
                if sink.views_only and ext not in RAZOR_VIEWS:
                    continue  # a view's own shape (see data/behaviour.yml "where: razor")
                if not sink.classic and ext in CLASSIC_ASP:
                    continue  # everyday in classic ASP (see data/behaviour.yml)
                seen.add(sink.id)
                line = extracted.file_line(lang, first_line + line_of(code, pos))
                raw = lines[line].strip()
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
                    source_line = extracted.file_line(lang, first_line + t.line)
                    hit["source"] = t.source
                    hit["source_line"] = source_line
                    hit["source_raw"] = lines[source_line].strip()[:300]
                    hit["via"] = list(dict.fromkeys(_SCOPED_MARK.sub("", v) for v in t.via))
                result.hits.append(hit)


def _windows(code: str, result: Analysis, lang: str) -> list[tuple[int, str]]:
    """The code to analyse, as (lines before it, code): all of it, or - past :data:`MAX_CODE` - its first
    megabyte and its last :data:`_TAIL_CODE` characters, cut at line breaks (a shell after megabytes of code
    padding is in the last), the file named as partly analysed. Comments count for nothing: past
    MAX_CODE they are cut out first (their line breaks kept), so a page padded with megabytes of comment
    lines around its statements is analysed whole (X24's request, session 12: a classic-ASP obfuscator)."""
    if len(code.strip()) <= MAX_CODE:
        return [(0, code)]
    code = uncommented(code, lang)
    if len(code.strip()) <= MAX_CODE:
        return [(0, code)]
    result.problem = (
        f"server code over {MAX_CODE // (1 << 20)} MB: only its start and its end were analysed for behaviour"
    )
    cut = code.rfind("\n", 0, MAX_CODE)
    head = code[: cut if cut > 0 else MAX_CODE]
    out = [(0, head)]
    tail = code.find("\n", len(code) - _TAIL_CODE)
    if tail < 0:
        tail = len(code) - _TAIL_CODE - 1  # one long line: its last characters
    if tail >= len(head):
        out.append((code.count("\n", 0, tail + 1), code[tail + 1 :]))
    return out


def _analyse_code(
    code: str,
    lang: str,
    know: Knowledge,
    deadline: float,
    xslt: bool,
    text: str,
    result: Analysis,
    seen: set[str],
) -> tuple[list[tuple[Sink, int, Any, bool]], _Norm, str]:
    """The sinks request input reaches in one language's code (none when the screens clear it), the
    normaliser used and the code as analysed. Raises :class:`Timeout`."""
    norm = _Norm(lang)
    if not xslt and not _hides(code) and not prefilter_hits(know.prefilter.get(lang), code):
        short = code.strip()
        if len(short) > WHOLE_MAX or not any(
            s.needs == "whole" and lang in s.patterns and s.patterns[lang].fullmatch(short)
            for s in know.sinks
        ):
            return [], norm, code  # fast path: no sink spelled out, nothing that could hide one, no stub page
    norm.deadline = deadline
    code = norm.tokens(code)
    code = member_aliases(scope_locals(stream_writes(inline_helpers(norm.fold(code), lang), lang), lang), lang)
    if now() > deadline:
        raise Timeout
    an = _Analyser(code, lang, know, deadline, norm.decoded, xslt, text)
    if not an.candidates():
        return [], norm, code  # no dangerous operation at all: nothing to trace
    named = _defined_methods(code, lang) + _defined_members(code, lang)
    result.methods.extend(named[: 200 - len(result.methods)])
    an.propagate()
    return find_sinks(an, seen), norm, code


#: Class definitions.
_CLASS_DEF = {
    "cs": re.compile(r"\bclass\s+([^\W\d]\w*)"),
    "vb": re.compile(r"\bClass\s+([^\W\d]\w*)", re.I),
    "js": re.compile(r"\bclass\s+([^\W\d]\w*)"),
}
#: Public fields and properties: what a caller can set on an object of another file (``t.Command = x``).
_MEMBER_DEF = {
    "cs": re.compile(
        r"\bpublic\s+(?:static\s+)?[\w.<>\[\],]{1,100}\s+([^\W\d]\w*)\s*(?:;|=(?![=>])|\{\s*(?:get|set)\b)"
    ),
    "vb": re.compile(r"\bPublic\s+(?:Shared\s+)?(?:Property\s+)?([^\W\d]\w*)\s+As\b", re.I),
    "js": re.compile(r"\bpublic\s+var\s+([^\W\d]\w*)"),
}


def _defined_methods(code: str, lang: str) -> list[str]:
    """Names of the methods (with parameters) the code defines, in order, once each."""
    keywords = KEYWORDS_OF[lang]
    fold = str.lower if lang == "vb" else str
    names: dict[str, None] = {}
    for m in _METHOD_DEF[lang].finditer(code):
        if fold(m.group(1)) not in keywords and _params(m.group(2), lang):
            names.setdefault(m.group(1))
    return list(names)


def _defined_members(code: str, lang: str) -> list[str]:
    """Names of the public fields and properties the code defines, once each."""
    keywords = KEYWORDS_OF[lang]
    fold = str.lower if lang == "vb" else str
    names: dict[str, None] = {}
    for m in _MEMBER_DEF[lang].finditer(code):
        if fold(m.group(1)) not in keywords:
            names.setdefault(m.group(1))
    return list(names)


def defined_names(data: bytes, ext: str) -> list[str]:
    """The methods (with parameters), public fields and properties a source file defines, read from its
    text as it is (no normalisation): what a caller may spell to reach it (a screen, not the analysis)."""
    names: list[str] = []
    for lang, buf in extract(decode(data), ext.lower()).code.items():
        code = "".join(buf)
        names.extend(_defined_methods(code, lang) + _defined_members(code, lang))
    return list(dict.fromkeys(names))[:200]


def _calls(names: list[str], members: list[str], lang: str) -> re.Pattern[str]:
    """A call of any of ``names`` (a method of another file: ``new Tools().Run(``, ``t.Run(``, ``Run(``)
    or a value given to one of ``members`` (``t.Command =``, ``new Job { Command = ``); the name is group 1 or 2."""
    flags = re.I if lang == "vb" else 0
    never = r"(?!)"  # (both groups always exist)
    method = "|".join(map(re.escape, names)) or never
    member = "|".join(map(re.escape, members)) or never
    # a member set: t.Command = x, VB With {.Command = x}, a C# initializer new Job { Command = x }
    return re.compile(
        r"(?<![\w])(" + method + r")\s*\(|(?:\.|[{,])\s*(" + member + r")\s*[+&]?=(?![=>])", flags
    )


def analyse_across(
    caller: bytes,
    caller_ext: str,
    callee: bytes,
    callee_ext: str,
    budget: float = 2.0,
    helpers: tuple[bytes, ...] = (),
    languages: tuple[str | None, str | None] = (None, None),
) -> Analysis:
    """Request input of a page or code file (``caller``) handed to a method of another file ASP.NET
    compiles with it (``callee``: App_Code, the page's code-behind, an #include'd file) whose
    parameter reaches a dangerous operation there. Alone, neither file shows it: the page has no
    sink, the class no source. The two codes are traced as one (the caller's first), and a hit counts
    only when its source is in the caller, its sink in the callee, and it goes away when the caller's
    calls of the callee's methods are renamed (so it crossed through a call, not a shared name).
    Hits carry ``file``: ``"callee"`` (``line``/``raw`` are the callee's; ``source_line``/``source_raw``
    the caller's) and ``call_line`` (the caller's line calling the callee). ``helpers``: other files of
    the callee's compilation (App_Code, same extension) that call it - a page calling a helper that calls
    the callee is traced through them (two hops); the sink must still be in the callee. ``languages``: the
    site's compilation language of the caller's and the callee's folders (see :func:`analyse`: a page naming
    none is compiled in it; the helpers share the callee's)."""
    result = Analysis()
    caller_ext, callee_ext = caller_ext.lower(), callee_ext.lower()
    for ext in (caller_ext, callee_ext):
        if ext not in PAGE_EXTENSIONS and ext not in CODE_LANGUAGES:
            return result
    know = knowledge()
    deadline = now() + budget
    try:
        with bounded(deadline):  # (the budget holds inside one regular-expression search too)
            ctext, etext = decode(caller), decode(callee)
            htexts = [decode(h) for h in helpers]
            cx, ex = extract(ctext, caller_ext, languages[0]), extract(etext, callee_ext, languages[1])
            hx = [extract(t, callee_ext, languages[1]) for t in htexts]
            for lang, cbuf in cx.code.items():
                ebuf = ex.code.get(lang)
                if not ebuf:
                    continue  # (a C# page and a VB class: each compiled in its own language, not traced across)
                try:
                    norm = _Norm(lang)
                    norm.deadline = deadline
                    ccode = norm.fold(norm.tokens("".join(cbuf)))
                    ecode = norm.fold(norm.tokens("".join(ebuf)))
                    callee_end = len(ecode)  # the helpers' code follows the callee's
                    for h in hx:
                        if h.code.get(lang):
                            ecode += "\n" + norm.fold(norm.tokens("".join(h.code[lang])))
                    names, members = _callable(ccode, lang, ecode, lang)
                    if not (names or members) or len(ccode) + len(ecode) > MAX_CODE:
                        continue
                    shared = _shared_parameters(ccode, ecode, lang, names, members)
                    if shared:
                        # the callee's parameters renamed where the caller uses the same names (a page's c
                        # handed to Run(string c)): taint is per name, and the renamed-call control below would
                        # reach the sink through the caller's own c and drop the hit as a shared name
                        main = _rename(ecode[:callee_end], shared, lang)
                        ecode = main + _rename(ecode[callee_end:], shared, lang)
                        callee_end = len(main)
                    ccode = _extension_calls(ccode, ecode, lang)
                    calls = _calls(names, members, lang)
                    call = calls.search(ccode)
                    if call is None:
                        continue
                    split = len(ccode) + 1
                    caller_lines = ccode.count("\n") + 1
                    code = ccode + "\n" + ecode
                    found = _cross_hits(code, lang, know, deadline, norm.decoded, ctext, split, calls)
                    if not found:
                        continue
                    # the same with the caller's calls and member names renamed (same length): what still
                    # reaches the sink came through a name both files happen to use, not through a call
                    renamed = calls.sub(_renamed, ccode)
                    control = _cross_hits(renamed + "\n" + ecode, lang, know, deadline, 0, ctext, split, None)
                    kept = {(s.id, p) for s, p, _t in control}
                except Timeout:
                    result.problem = (
                        f"tracing request input across files stopped after its {budget:g} s limit (CPU time)"
                    )
                    break
                clines, elines = _FileLines(caller), _FileLines(callee)
                for sink, pos, t in found:
                    if (sink.id, pos) in kept or t.line > caller_lines or pos - split >= callee_end:
                        continue
                    line = ex.file_line(lang, line_of(ecode, pos - split))
                    # the first call of the callee at or after the source's line (where the value is handed over)
                    call_line = next(
                        (
                            n
                            for n in (line_of(ccode, c.start()) for c in calls.finditer(ccode))
                            if n >= t.line
                        ),
                        line_of(ccode, call.start()),
                    )
                    source_line = cx.file_line(lang, t.line)
                    call_line = cx.file_line(lang, call_line)
                    result.hits.append(
                        _callee_hit(
                            sink,
                            line,
                            elines,
                            lang,
                            norm.decoded,
                            t.source,
                            source_line,
                            clines,
                            list(t.via),
                            call_line,
                        )
                    )
                result.languages.append(lang)
            if not set(cx.code) & set(ex.code):
                # a page of one language calling a class of another (App_Code in VB, the page in C#):
                # each compiled alone, so traced through the call sites (see _across_languages)
                for lang, cbuf in cx.code.items():
                    for elang, ebuf in ex.code.items():
                        ehelpers = ["".join(h.code[elang]) for h in hx if h.code.get(elang)]
                        _across_languages(
                            result,
                            "".join(cbuf),
                            lang,
                            "".join(ebuf),
                            elang,
                            (cx, ex),
                            ehelpers,
                            ctext,
                            caller,
                            callee,
                            know,
                            deadline,
                        )
    except Timeout:
        result.problem = f"tracing request input across files stopped after its {budget:g} s limit (CPU time)"
    return result


def _callable(ccode: str, lang: str, ecode: str, elang: str) -> tuple[list[str], list[str]]:
    """The methods and public members of the callee's code (``elang``) a caller (``lang``) can reach:
    its members only when the caller names one of the callee's classes (a member is set on an object
    of that class, so the page names it)."""
    names = _defined_methods(ecode, elang)[:200]
    members = _defined_members(ecode, elang)[:200]
    classes = _CLASS_DEF[elang].findall(ecode)[:50]
    if not classes or not re.search(
        r"(?<![\w])(?:" + "|".join(map(re.escape, classes)) + r")\b", ccode, re.I if lang == "vb" else 0
    ):
        members = []
    return names, members


#: A request input of each kind, as the callee's language writes it (what a caller of another language
#: hands over, rewritten as a call in the callee's language: see _across_languages).
_SPELLED = {
    "value": {"cs": 'Request.Form["a{i}"]', "vb": 'Request.Form("a{i}")', "js": 'Request.Form["a{i}"]'},
    "body": {"cs": "Request.InputStream", "vb": "Request.InputStream", "js": "Request.InputStream"},
    "control": {"cs": "Xarg{i}.Text", "vb": "Xarg{i}.Text", "js": "Xarg{i}.Text"},
    "upload": {"cs": "Xarg{i}.PostedFile", "vb": "Xarg{i}.PostedFile", "js": "Xarg{i}.PostedFile"},
    "url": {"cs": "Request.RawUrl", "vb": "Request.RawUrl", "js": "Request.RawUrl"},
    "self": {"cs": "Request.PhysicalPath", "vb": "Request.PhysicalPath", "js": "Request.PhysicalPath"},
}
_JOIN = {"cs": " + ", "vb": " & ", "js": " + "}


def _spelled(t: Any, lang: str, i: int) -> str:
    """What a caller's argument carries (``t``: its taint, or None), written in ``lang``: the request
    input of each kind it holds joined, behind literal text when it was only part of the value."""
    if t is None:
        return '"x"'
    kinds = [k for k in _SPELLED if k in t.kinds]
    if not kinds:
        return '"x"'
    text = _JOIN[lang].join(_SPELLED[k][lang].format(i=i) for k in kinds)
    return text if t.direct else '"x/y/"' + _JOIN[lang] + text


def _across_languages(
    result: Analysis,
    ccode: str,
    lang: str,
    ecode: str,
    elang: str,
    extracted: tuple[Extracted, Extracted],
    helpers: list[str],
    ctext: str,
    caller: bytes,
    callee: bytes,
    know: Knowledge,
    deadline: float,
) -> None:
    """Request input a caller of one language hands to a method (or public member) of a file of another
    (a C# page and a VB ``App_Code`` class: ASP.NET compiles each alone and links them). The caller is
    traced in its own language; each call of the callee's methods (and each value given to one of its
    members) is then written as the same call in the callee's language - every argument as the request
    input it carries (``Request.Form("a0")`` for a request value, behind literal text when the value was
    only part of it; a literal when it carries none, or only a number parsed from the request) - and traced into the callee as a caller of its own
    language would be (:func:`_cross_hits`). The finding names the caller's source line and call line."""
    cx, ex = extracted
    norm = _Norm(lang)
    norm.deadline = deadline
    ccode = norm.fold(norm.tokens(ccode))
    enorm = _Norm(elang)
    enorm.deadline = deadline
    ecode = enorm.fold(enorm.tokens(ecode))
    callee_end = len(ecode)
    for h in helpers:
        ecode += "\n" + enorm.fold(enorm.tokens(h))
    names, members = _callable(ccode, lang, ecode, elang)
    if not (names or members) or len(ccode) + len(ecode) > MAX_CODE:
        return
    calls = _calls(names, members, lang)
    if calls.search(ccode) is None:
        return
    an = _Analyser(ccode, lang, know, deadline, norm.decoded, False, ctext)
    find_sources(an)
    an.propagate()
    # the call sites, rewritten in the callee's language: (synthetic line, caller's source line, call line)
    lines: list[str] = []
    origin: list[tuple[int, int, str, tuple[str, ...]]] = []
    end = ";" if elang != "vb" else ""
    for n, m in enumerate(calls.finditer(ccode)):
        if n >= 200:
            break
        call_line = cx.file_line(lang, line_of(ccode, m.start()))
        if m.group(1) is not None:
            spans = _args(ccode, m.end())
            taints = [an.expr(a, b) if ccode[a:b].strip() else None for a, b in spans]
            if not any(taints):
                continue
            args = ", ".join(_spelled(t, elang, i) for i, t in enumerate(taints))
            lines.append(f"{m.group(1)}({args}){end}")
        else:
            value = _VALUE_END[lang].match(ccode, m.end())
            t = an.expr(m.end(), value.end()) if value is not None else None
            if t is None:
                continue
            taints = [t]
            lines.append(f"Xobj.{m.group(2)} = {_spelled(t, elang, 0)}{end}")
        first = next(t for t in taints if t is not None)
        origin.append((cx.file_line(lang, first.line), call_line, first.source, first.via))
    if not lines:
        return
    synthetic = "\n".join(lines)
    split = len(synthetic) + 1
    code = synthetic + "\n" + ecode
    ecalls = _calls(names, members, elang)
    found = _cross_hits(code, elang, know, deadline, norm.decoded, ctext, split, ecalls)
    if not found:
        return
    renamed = ecalls.sub(_renamed, synthetic)
    control = _cross_hits(renamed + "\n" + ecode, elang, know, deadline, 0, ctext, split, None)
    kept = {(s.id, p) for s, p, _t in control}
    clines, elines = _FileLines(caller), _FileLines(callee)
    for sink, pos, t in found:
        if (sink.id, pos) in kept or t.line > len(lines) or pos - split >= callee_end:
            continue
        source_line, call_line, source, via = origin[t.line - 1]
        line = ex.file_line(elang, line_of(ecode, pos - split))
        via_all = list(dict.fromkeys((*via, *t.via)))[:6]
        result.hits.append(
            _callee_hit(
                sink, line, elines, elang, norm.decoded, source, source_line, clines, via_all, call_line
            )
        )
    if lang not in result.languages:
        result.languages.append(lang)


def _callee_hit(
    sink: Sink,
    line: int,
    elines: _FileLines,
    lang: str,
    decoded: int,
    source: str,
    source_line: int,
    clines: _FileLines,
    via: list[str],
    call_line: int,
) -> dict[str, Any]:
    """A hit in a file the page calls into: the sink's line in the callee, the source's in the caller."""
    return {
        "check": "behaviour",
        "offset": None,
        "file": "callee",
        "line": line,
        "raw": elines[line].strip()[:300],
        "sink": sink.id,
        "category": sink.category,
        "title": sink.title,
        "severity": sink.severity,
        "language": {"cs": "C#", "vb": "VB", "js": "JScript"}[lang],
        "confidence": _confidence("medium", decoded),
        "obfuscation": decoded,
        "source": source,
        "source_line": source_line,
        "source_raw": clines[source_line].strip()[:300],
        "via": via,
        "call_line": call_line,
    }


def _shared_parameters(ccode: str, ecode: str, lang: str, names: list[str], members: list[str]) -> set[str]:
    """The callee's method parameters whose names the caller also uses (not the callee's method or member
    names, which the caller must keep spelling), folded for VB."""
    fold = str.lower if lang == "vb" else str
    params = {fold(p) for m in _METHOD_DEF[lang].finditer(ecode) for p in _params(m.group(2), lang)}
    if not params:
        return set()
    used = {fold(n) for n in re.findall(r"(?<![\w.])[^\W\d]\w*", ccode)}
    keep = {fold(n) for n in (*names, *members)} | KEYWORDS_OF[lang]
    return {p for p in params & used if p not in keep}


def _rename(code: str, names: set[str], lang: str) -> str:
    """``code`` with each of ``names`` (outside string literals, not after a dot) given a letter more."""
    flags = re.I if lang == "vb" else 0
    pattern = re.compile(
        r'"(?:[^"\n])*"|(?<![\w.])('
        + "|".join(map(re.escape, sorted(names, key=len, reverse=True)))
        + r")\b",
        flags,
    )
    return pattern.sub(lambda m: m.group(0) if m.group(1) is None else m.group(1) + "\u01c3", code)


#: Extension methods a file defines: C# ``static T Name(this string c, ...)``, VB ``<Extension()> Function Name(``.
_EXTENSION_DEF = {
    "cs": re.compile(r"\bstatic\s+[\w<>\[\],.?]{1,100}\s+([^\W\d]\w*)\s*\(\s*this\s"),
    "vb": re.compile(
        r"<\s*(?:System\s*\.\s*Runtime\s*\.\s*CompilerServices\s*\.\s*)?Extension(?:Attribute)?\s*(?:\(\s*\))?\s*>"
        r"[\s_]*(?:(?:Public|Friend|Shared)\s+)*(?:Function|Sub)\s+([^\W\d]\w*)",
        re.I,
    ),
}
#: What an extension method is called on: a name or member chain with literal-keyed indexers
#: (``Request["c"]``, ``Request.Form("c")``, ``cmd``, ``TextBox1.Text``).
_RECEIVER = r'((?<![\w.])[^\W\d]\w*(?:\s*\.\s*[^\W\d]\w*|\s*\[\s*"[^"\n]{0,100}"\s*\]|\s*\(\s*"[^"\n]{0,100}"\s*\)){0,6})'


def _extension_calls(ccode: str, ecode: str, lang: str) -> str:
    """A call of an extension method the callee defines, written as the plain call it compiles to:
    ``Request["c"].Run()`` -> ``Run(Request["c"])``, ``x.Run(a)`` -> ``Run(x, a)`` (the receiver is the
    first parameter)."""
    if lang not in _EXTENSION_DEF:
        return ccode
    names = list(dict.fromkeys(_EXTENSION_DEF[lang].findall(ecode)))[:50]
    if not names:
        return ccode
    flags = re.I if lang == "vb" else 0
    call = re.compile(_RECEIVER + r"\s*\.\s*(" + "|".join(map(re.escape, names)) + r")\s*\(\s*(\)?)", flags)

    def plain(m: re.Match[str]) -> str:
        receiver = m.group(1)
        if receiver.split(".")[0].strip().lower() in ("this", "me", "base", "mybase"):
            return m.group(0)
        return f"{m.group(2)}({receiver}" + (")" if m.group(3) else ", ")

    return call.sub(plain, ccode)


def _renamed(m: re.Match[str]) -> str:
    """A call or member name of the match turned into one no code has (same length)."""
    g = 1 if m.group(1) is not None else 2
    s, e = m.start(g) - m.start(), m.end(g) - m.start()
    text = m.group(0)
    return text[:s] + "\u01c2" * (e - s) + text[e:]


#: The end of the value given to a member (C#/JScript statement, VB line).
_VALUE_END = {
    "cs": re.compile(r"[^;]{1,2000}"),
    "js": re.compile(r"[^;\n]{1,2000}"),
    "vb": re.compile(r"[^\n]{1,2000}"),
}


def _cross_hits(
    code: str,
    lang: str,
    know: Knowledge,
    deadline: float,
    decoded: int,
    page: str,
    split: int,
    calls: re.Pattern[str] | None,
) -> list[tuple[Sink, int, Any]]:
    """The request-driven sinks at or after ``split`` of ``code`` (caller then callee). ``calls``: a
    member of the callee the caller sets (``t.Command = x``) carries what it is given into the callee."""
    an = _Analyser(code, lang, know, deadline, decoded, False, page)
    if not an.candidates():
        return []
    an.propagate()
    if calls is not None:
        added = False
        for m in calls.finditer(code, 0, split):
            if m.group(2) is None:
                continue
            value = _VALUE_END[lang].match(code, m.end())
            t = an.expr(m.end(), value.end()) if value is not None else None
            if t is not None:
                added |= an._add(m.group(2), t)
        if added:
            an.propagate()
    return [(s, p, t) for s, p, t, _near in find_sinks(an, set()) if t is not None and p >= split]
