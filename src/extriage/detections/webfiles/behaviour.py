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
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from extriage.datafiles import load_yaml

_DATA = "extriage.detections.webfiles"
LANGUAGES = ("cs", "vb", "js")
#: Server code analysed per file; the rest of a larger page is named as not analysed.
MAX_CODE = 1 << 20
#: Seconds of analysis per file at most (``--file-timeout`` lowers it); past it the file is reported.
BUDGET = 5.0
#: Extensions whose server code the analysis reads (web.config may carry code or handler maps).
PAGE_EXTENSIONS = frozenset(
    {".aspx", ".ascx", ".ashx", ".asmx", ".asax", ".master", ".soap", ".config", ".xsl", ".xslt", ".svc"}
    | {".cshtml", ".vbhtml"}
)
_CODE_ONLY = frozenset({".ashx", ".asmx", ".soap", ".svc", ".asax"})
#: Razor pages (ASP.NET Web Pages): code and markup interleave with ``@``, so the whole file is read as
#: code of its language (markup is noise to the analysis; ``@name`` reads as ``name``).
_RAZOR = {".cshtml": "cs", ".vbhtml": "vb"}
_CONF_ORDER = ("low", "medium", "high")


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    kind: str  # value / body / control
    title: str
    patterns: dict[str, re.Pattern[str]]  # language -> one alternation


@dataclass(frozen=True, slots=True)
class Sink:
    id: str
    category: str
    title: str
    severity: str
    needs: str  # any / direct / leading / all-args / none / whole (data/behaviour.yml)
    kinds: frozenset[str]
    patterns: dict[str, re.Pattern[str]]
    context: tuple[dict[str, re.Pattern[str]], ...]  # each must occur somewhere in the code


@dataclass(frozen=True, slots=True)
class ConfigRule:
    """A ``web.config`` setting that makes IIS run code where it should not (matched on the XML)."""

    id: str
    title: str
    severity: str
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class Knowledge:
    sources: tuple[Source, ...]
    sinks: tuple[Sink, ...]
    config: tuple[ConfigRule, ...] = ()
    #: language -> RE2 automaton of every sink pattern (a superset: see _prefilter), or None
    prefilter: dict[str, Any] = field(default_factory=dict)


def _drop_lookarounds(pattern: str) -> str:
    """``pattern`` without its lookaround groups (``(?!...)``, ``(?=...)``, ``(?<!...)``,
    ``(?<=...)``): a pattern RE2 can run that matches a superset of the original."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        if pattern.startswith(("(?!", "(?=", "(?<!", "(?<="), i):
            depth, j, in_class = 0, i, False
            while j < n:
                c = pattern[j]
                if c == "\\":
                    j += 2
                    continue
                if in_class:
                    in_class = c != "]"
                elif c == "[":
                    in_class = True
                elif c == "(":
                    depth += 1
                elif c == ")":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            i = j + 1
            continue
        if pattern[i] == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        out.append(pattern[i])
        i += 1
    return "".join(out)


def _unicode_words(pattern: str) -> str:
    """``pattern`` with ``\\w``/``\\W`` spelled as Unicode letters, digits and ``_`` (RE2's are ASCII,
    Python's are Unicode): the screen must not miss a name the exact pattern accepts (``命令``)."""
    out: list[str] = []
    i, n, in_class = 0, len(pattern), False
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt == "w":
                out.append("\\pL\\pN_" if in_class else "[\\pL\\pN_]")
            elif nxt == "W" and not in_class:
                out.append("[^\\pL\\pN_]")
            elif nxt == "W" and out and out[-1] == "[^":
                out[-1] = "["  # [^\\W...] = word characters (less the rest of the class: a superset)
                out.append("\\pL\\pN_")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = c != "]" or bool(out and out[-1] in ("[", "[^"))
        elif c == "[":
            in_class = True
            if pattern.startswith("[^", i):
                out.append("[^")
                i += 2
                continue
        out.append(c)
        i += 1
    return "".join(out)


def _prefilter(raw_sinks: list[dict[str, Any]], lang: str) -> Any:
    """One RE2 automaton of all sink spellings of a language: a page with no dangerous operation
    (most pages) costs one linear pass, not one backtracking search per sink. Lookarounds (which RE2
    lacks) are dropped and case ignored, so it matches a superset; the exact pattern confirms.
    ``None`` when RE2 is unavailable or refuses a pattern (every sink is then searched)."""
    try:
        import re2
    except ImportError:  # pragma: no cover - a dependency, but the analysis works without it
        return None
    parts = []
    for s in raw_sinks:
        pats = list(s["patterns"].get("all", [])) + list(s["patterns"].get(lang, []))
        if s.get("prefilter") == "context" and s.get("context"):
            ctx = s["context"]
            pats = [ctx if isinstance(ctx, str) else ctx[0]]  # both must occur: the rarer screens
        for p in pats:
            p = p[4:] if p.startswith("(?i)") else p
            parts.append(f"(?:{_unicode_words(_drop_lookarounds(p))})")
    if not parts:
        return None
    opts = re2.Options()
    opts.case_sensitive = False
    opts.max_mem = 64 << 20
    try:
        return re2.compile("|".join(parts), options=opts)
    except Exception:  # pragma: no cover - re2.error: no prefilter, every sink searched
        return None


def prefilter_hits(automaton: Any, code: str) -> bool:
    """Whether any sink spelling may occur in ``code`` (True when there is no prefilter)."""
    return automaton is None or automaton.search(code) is not None


def _compile(raw: dict[str, list[str]], lang: str) -> re.Pattern[str] | None:
    pats = list(raw.get("all", [])) + list(raw.get(lang, []))
    if not pats:
        return None
    flags = re.IGNORECASE if lang == "vb" else 0
    # a pattern may start with (?i) for itself alone: scoped, since the patterns are joined
    parts = [f"(?i:{p[4:]})" if p.startswith("(?i)") else f"(?:{p})" for p in pats]
    return re.compile("|".join(parts), flags)


def _by_language(raw: dict[str, list[str]] | None) -> dict[str, re.Pattern[str]]:
    out: dict[str, re.Pattern[str]] = {}
    for lang in LANGUAGES:
        pat = _compile(raw or {}, lang)
        if pat is not None:
            out[lang] = pat
    return out


@cache
def _raw() -> dict[str, Any]:
    text = resources.files(_DATA).joinpath("data", "behaviour.yml").read_text(encoding="utf-8")
    raw: dict[str, Any] = load_yaml(text)
    return raw


def catalogue() -> dict[str, list[str]]:
    """The ids of the sources, sinks and web.config rules (for the coverage; nothing compiled)."""
    raw = _raw()
    return {
        "sources": [s["id"] for s in raw["sources"]],
        "sinks": [s["id"] for s in raw["sinks"]],
        "config": [c["id"] for c in raw.get("config", [])],
    }


@cache
def knowledge() -> Knowledge:
    """The sources and sinks of ``data/behaviour.yml``, compiled once per process (in the worker
    fork server: see ``warm_behaviour``)."""
    raw = _raw()
    sources = tuple(
        Source(s["id"], s["kind"], s["title"], _by_language(s["patterns"])) for s in raw["sources"]
    )
    sinks = []
    for s in raw["sinks"]:
        ctx = s.get("context") or []
        ctx = [ctx] if isinstance(ctx, str) else ctx
        sinks.append(
            Sink(
                s["id"],
                s["category"],
                s["title"],
                s.get("severity", "high"),
                s.get("needs", "any"),
                frozenset(s.get("sources", ["value", "body"])),
                _by_language(s["patterns"]),
                tuple(_by_language({"all": [c]}) for c in ctx),
            )
        )
    config = tuple(
        ConfigRule(
            c["id"],
            c["title"],
            c.get("severity", "high"),
            re.compile("|".join(f"(?:{p})" for p in c["patterns"]), re.IGNORECASE),
        )
        for c in raw.get("config", [])
    )
    pre = {lang: _prefilter(raw["sinks"], lang) for lang in LANGUAGES}
    return Knowledge(sources, tuple(sinks), config, pre)


# --------------------------------------------------------------------------------------------
# Extraction: the server code of a page, everything else blanked (newlines kept).

_DIRECTIVE = re.compile(
    r"<%\s*@\s*(Page|Control|WebHandler|WebService|Application|Master|ServiceHost)\b([^%]{0,2000})%>", re.I
)
#: Visual Basic statements, and what only C-like code has: the language of code whose page names none
#: (a handler or page pasted from classic ASP, or with its directive removed).
_VB_MARK = re.compile(
    r"^[ \t]*(?:Dim\s+\w|Set\s+\w+\s*=|Sub\s+\w|Function\s+\w|End\s+(?:If|Sub|Function|With)\b|Next\b|"
    r"For\s+(?:Each\s+)?\w+\s*(?:=|In\b)|If\b[^\n]*\bThen\b)",
    re.I | re.M,
)
_C_MARK = re.compile(r";[ \t]*(?:$|//)|[{}]", re.M)
# typographic quotes too: pages pasted through word processors carry them (the language still shows)
_LANG_ATTR = re.compile(r"""\bLanguage\s*=\s*["'\u201c\u201d\u2018\u2019]?([A-Za-z#+]{1,20})""", re.I)
_SCRIPT_OPEN = re.compile(r"<script\b([^>]{0,1000})>", re.I)
_SCRIPT_CLOSE = re.compile(r"</script\s*>", re.I)
_RUNAT = re.compile(r"""runat\s*=\s*["']?server""", re.I)
_MSXSL_OPEN = re.compile(r"<msxsl:script\b([^>]{0,1000})>", re.I)
_MSXSL_CLOSE = re.compile(r"</msxsl:script\s*>", re.I)
_LANG_NAMES = {
    "c#": "cs", "cs": "cs", "csharp": "cs", "vb": "vb", "vbs": "vb", "vbscript": "vb",
    "visualbasic": "vb", "jscript": "js", "js": "js", "javascript": "js",
}  # fmt: skip


def _language(attrs: str, default: str) -> str:
    m = _LANG_ATTR.search(attrs)
    return _LANG_NAMES.get(m.group(1).lower(), default) if m else default


@dataclass(slots=True)
class Extracted:
    code: dict[str, list[str]]  # language -> its code spans, markup between them reduced to newlines
    blocks: int = 0
    directive: str = ""
    #: Code of an XSLT ``msxsl:script`` block: its input is the transformed document, so every
    #: dangerous operation in it counts (no request source is needed).
    xslt: bool = False


def _guess_language(text: str) -> str:
    """The language of server code whose page names none: Visual Basic when its ``<% %>`` blocks read
    like VB statements and hold nothing C-like (``;`` line ends, braces), else C# (the default)."""
    parts: list[str] = []
    pos = 0
    limit = min(len(text), 65536)
    while pos < limit:
        start = text.find("<%", pos, limit)
        if start < 0:
            break
        end = text.find("%>", start + 2)
        stop = len(text) if end < 0 else end
        if text[start + 2 : start + 3] not in ("@", "-"):
            parts.append(text[start + 2 : stop])
        pos = stop + 2
    code = "\n".join(parts)
    return "vb" if _VB_MARK.search(code) and not _C_MARK.search(code) else "cs"


_DATA_SOURCE_TAG = re.compile(r"<asp:ObjectDataSource\b", re.I)
_DATA_SOURCE = re.compile(
    r"<asp:ObjectDataSource\b([^>]{0,3000})>(.{0,20000}?)</asp:ObjectDataSource\s*>", re.I | re.S
)
_ODS_ATTR = re.compile(
    r"""\b(TypeName|SelectMethod|InsertMethod|UpdateMethod|DeleteMethod)\s*=\s*["']([\w.]{1,200})["']""", re.I
)
_ODS_PARAM = re.compile(
    r"<asp:(QueryString|Form|Cookie|Control|Route|Profile|Session)Parameter\b[^>]{0,1000}?"
    r"""\b(?:QueryStringField|FormField|CookieName|ControlID|RouteKey|PropertyName|SessionField)\s*=\s*["']([^"'<>]{1,100})["']""",
    re.I,
)


def _declared_calls(text: str) -> dict[int, str]:
    """Calls a page declares in markup instead of code: an ``<asp:ObjectDataSource>`` runs
    ``TypeName.SelectMethod(...)`` with its parameters bound to query string, form, cookie or control
    values - ``TypeName="System.Diagnostics.Process" SelectMethod="Start"`` starts a process from the
    query string with no line of code. Written as the C# call it makes (on the tag's line)."""
    out: dict[int, str] = {}
    for m in _DATA_SOURCE.finditer(text[:MAX_CODE]):
        attrs = {k.lower(): v for k, v in _ODS_ATTR.findall(m.group(1))}
        type_name = attrs.pop("typename", None)
        if not type_name or not attrs:
            continue
        args = []
        for kind, field_name in _ODS_PARAM.findall(m.group(2)):
            kind = kind.lower()
            name = field_name.replace('"', "")
            if kind == "control":
                args.append(f"{name}.Text")
            elif kind in ("session", "profile"):
                args.append(f'Session["{name}"]')
            else:
                args.append(f'Request["{name}"]')
        call = ", ".join(args)
        out[m.start()] = " ".join(f"{type_name}.{method}({call});" for method in attrs.values())
    return out


def extract(text: str, ext: str) -> Extracted:
    """Cut the server code out of a page, handler, service, web.config or XSLT file."""
    directive = _DIRECTIVE.search(text)
    if directive is not None and _LANG_ATTR.search(directive.group(2)):
        default = _language(directive.group(2), "cs")
    else:
        default = _guess_language(text)
    out = Extracted({}, directive=directive.group(1).lower() if directive else "")
    spans: list[tuple[int, int, str]] = []
    for m in _SCRIPT_OPEN.finditer(text):
        if _RUNAT.search(m.group(1)):
            close = _SCRIPT_CLOSE.search(text, m.end())
            spans.append((m.end(), close.start() if close else len(text), _language(m.group(1), default)))
    for m in _MSXSL_OPEN.finditer(text):
        close = _MSXSL_CLOSE.search(text, m.end())
        spans.append((m.end(), close.start() if close else len(text), _language(m.group(1), "cs")))
        out.xslt = True
    pos = 0
    while True:
        start = text.find("<%", pos)
        if start < 0:
            break
        if text.startswith("<%--", start):
            end = text.find("--%>", start + 4)
            pos = len(text) if end < 0 else end + 4
            continue
        end = text.find("%>", start + 2)
        stop = len(text) if end < 0 else end
        head = text[start + 2 : start + 3]
        if head.isspace() and text[start + 2 : stop].lstrip().startswith("@"):
            head = "@"  # "<% @ Page ... %>": a directive too
        if head not in ("@", "$"):
            body = start + 2 + (1 if head in ("=", ":", "#") else 0)
            spans.append((body, stop, default))
        pos = stop + 2
    # a handler or service is code whatever its file is named (one saved as .aspx, or as .txt served
    # through a handler mapping)
    handler = out.directive in ("webhandler", "webservice", "servicehost")
    if (ext in _CODE_ONLY and (directive is None or handler)) or (handler and not spans):
        if directive is not None:
            spans.append((directive.end(), len(text), default))
        elif "<%" not in text and not _RUNAT.search(text[:65536]):
            spans.append((0, len(text), default))
    if ext in _RAZOR and not spans:
        spans.append((0, len(text), _RAZOR[ext]))
    synthetic = _declared_calls(text) if _DATA_SOURCE_TAG.search(text, 0, MAX_CODE) else {}
    for pos in synthetic:
        spans.append((pos, pos, default if default != "js" else "cs"))
    if not spans:
        return out
    spans.sort()
    buffers: dict[str, list[str]] = {}
    cursor: dict[str, int] = {}
    for start, end, lang in spans:
        buf = buffers.setdefault(lang, [])
        done = cursor.get(lang, 0)
        if start == end and start in synthetic:  # a call declared in markup (see _declared_calls)
            if start < done:
                continue
            buf.append("\n" * text.count("\n", done, start) + " ")
            buf.append(synthetic[start])
            cursor[lang] = start
            out.blocks += 1
            continue
        if start < done:  # nested or overlapping (a <% inside a script block): already in
            start = done
            if start >= end:
                continue
        # between code spans only the newlines are kept: lines stay the file's, markup costs nothing
        buf.append("\n" * text.count("\n", done, start) + " ")
        buf.append(text[start:end])
        cursor[lang] = end
        out.blocks += 1
    out.code = buffers
    return out


# --------------------------------------------------------------------------------------------
# Normalisation, per language. Every substitution keeps the newlines of what it replaces.

_TOKENS = {
    "cs": re.compile(
        # interpolated strings first: their holes hold code (and strings of their own)
        r'(?:\$@|@\$)"(?:[^"{]|""|\{\{|\{[^{}]{0,400}\})*"?|\$"(?:[^"\\\n{]|\\.|\{\{|\{[^{}\n]{0,400}\})*"?|'
        r'@"(?:[^"]|"")*"?|"(?:[^"\\\n]|\\.)*"?|\'(?:[^\'\\\n]|\\.){0,8}\'|//[^\n]*|/\*(?:[^*]|\*(?!/))*(?:\*/)?'
    ),
    "js": re.compile(r'"(?:[^"\\\n]|\\.)*"?|\'(?:[^\'\\\n]|\\.)*\'?|//[^\n]*|/\*(?:[^*]|\*(?!/))*(?:\*/)?'),
    "vb": re.compile(r'"(?:[^"\n]|"")*"?|\'[^\n]*|\bREM\b[^\n]*', re.I),
}
_HOLE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{8}|.)", re.S)
_IDENT_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_SIMPLE = {"n": " ", "r": " ", "t": " ", "0": " ", "a": " ", "b": " ", "f": " ", "v": " "}


def _unescape(body: str) -> str:
    def one(m: re.Match[str]) -> str:
        e = m.group(1)
        if e[0] in "uxU" and len(e) > 1:
            try:
                return chr(int(e[1:], 16))
            except (ValueError, OverflowError):
                return e
        return _SIMPLE.get(e, e)

    return _ESCAPE.sub(one, body)


def _lit(value: str, original: str = "") -> str:
    """A canonical string literal (double quotes, no quotes or newlines inside) keeping the
    newlines of the text it replaces."""
    clean = "".join(" " if c in '"\n\r' or ord(c) < 32 else c for c in value)
    return '"' + clean + '"' + "\n" * original.count("\n")


class _Norm:
    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.decoded = 0  # obfuscation folded: escapes, char codes, byte arrays, base64, splits
        self.deadline = float("inf")  # set by analyse: normalisation checks it between passes

    def tokens(self, code: str) -> str:
        lang = self.lang
        if lang != "vb" and "\\u" in code:  # \u0065val: escapes are legal in C#/JScript names
            code = _IDENT_ESCAPE.sub(self._ident_char, code)

        def one(m: re.Match[str]) -> str:
            tok = m.group(0)
            c = tok[0]
            if c == "/" or (c == "'" and lang == "vb") or (c in "rR" and lang == "vb"):
                return "\n" * tok.count("\n") + " "  # comment
            if lang == "vb":
                return _lit(tok[1:-1].replace('""', '"') if tok.endswith('"') else tok[1:], tok)
            if c == "$" or tok.startswith("@$"):
                return self._interpolated(tok)
            if c == "@":
                return _lit(tok[2:-1].replace('""', '"'), tok)
            body = tok[1:]
            if c == "$":
                body = tok[2:]
            if body.endswith(tok[0] if c != "$" else '"') and len(body) >= 1:
                body = body[:-1]
            if "\\" in body:
                plain = _unescape(body)
                if re.search(r"\\[ux]", body):
                    self.decoded += 1
                body = plain
            return _lit(body, tok)

        return _TOKENS[lang].sub(one, code)

    def _interpolated(self, tok: str) -> str:
        """``$"a{x}b"`` as ``("a" + (x) + "b")``: the value of a hole is the code's, not literal text
        (a request value inside an interpolated string still reaches the sink)."""
        verbatim = "@" in tok[:2]
        body = tok[3:] if verbatim else tok[2:]
        if body.endswith('"'):
            body = body[:-1]
        parts: list[str] = []
        pos = 0

        def text(raw: str) -> None:
            raw = raw.replace("{{", "{").replace("}}", "}")
            raw = raw.replace('""', '"') if verbatim else _unescape(raw)
            if raw:
                parts.append(_lit(raw))

        for m in _HOLE.finditer(body):
            if m.group(1) is None:
                continue  # {{ or }}: literal braces, kept with the text
            text(body[pos : m.start()])
            hole = m.group(1)
            if "?" not in hole and ":" in hole and "::" not in hole:
                hole = hole[: hole.rfind(":")]  # a format: {x:yyyy-MM-dd}
            hole = re.sub(r",\s*-?\d+\s*$", "", hole)  # an alignment: {x,10}
            parts.append("(" + self.tokens(hole).replace("\n", " ") + ")")
            pos = m.end()
        text(body[pos:])
        return "(" + (" + ".join(parts) or '""') + ")" + "\n" * tok.count("\n")

    def _ident_char(self, m: re.Match[str]) -> str:
        c = chr(int(m.group(1), 16))
        if c.isalnum() or c == "_":
            self.decoded += 1
            return c
        return m.group(0)

    def fold(self, code: str) -> str:
        lang = self.lang
        code = _structure(code, lang)
        flags = re.I if lang == "vb" else 0
        steps: list[tuple[re.Pattern[str], Any]] = []
        if lang == "cs":
            steps.append((re.compile(r"\(\s*char\s*\)\s*(0x[0-9a-fA-F]{1,4}|\d{1,5})\b"), self._char))
            # (char)(80): the number in parentheses of its own
            steps.append((re.compile(r"\(\s*char\s*\)\s*\(\s*(0x[0-9a-fA-F]{1,4}|\d{1,5})\s*\)"), self._char))
            steps.append(
                (re.compile(r"\bConvert\s*\.\s*ToChar\s*\(\s*(0x[0-9a-fA-F]{1,4}|\d{1,5})\s*\)"), self._char)
            )
        if lang == "vb":
            steps.append((re.compile(r"\bChrW?\s*\(\s*(&H[0-9a-fA-F]{1,4}|\d{1,5})\s*\)", re.I), self._char))
        if lang == "js":
            steps.append(
                (re.compile(r"\bString\s*\.\s*fromCharCode\s*\(\s*([\d\s,xXa-fA-F]{1,4000})\)"), self._codes)
            )
        steps.append(
            (
                re.compile(
                    r"\bnew\s+(?:System\s*\.\s*)?(?:byte|Byte|char|Char)\s*(?:\[\s*\d*\s*\]|\(\s*\))\s*\{\s*([\d\s,xXa-fA-F&H]{1,20000})\}",
                    flags,
                ),
                self._codes,
            )
        )
        steps.append(
            (
                re.compile(
                    r'\bnew\s+(?:char|Char)\s*(?:\[\s*\d*\s*\]|\(\s*\))\s*\{((?:\s*"[^"\n]{0,2}"\s*,?){1,2000})\}',
                    flags,
                ),
                self._chars,
            )
        )
        steps.append(
            (
                re.compile(r'\bnew\s+(?:System\s*\.\s*)?(?:string|String)\s*\(\s*("[^"\n]*")\s*\)', flags),
                self._same,
            )
        )
        steps.append(
            (
                re.compile(
                    r'\bConvert\s*\.\s*FromBase64String\s*\(\s*"([A-Za-z0-9+/=\s]{8,20000})"\s*\)', flags
                ),
                self._base64,
            )
        )
        for pat, fn in steps:
            if time.monotonic() > self.deadline:
                raise Timeout
            code = pat.sub(fn, code)
        code = self._concat(code)
        if lang == "js" and _BRACKET_CALL.search(code):  # this["ev" + "al"](...) once the name is folded
            code = _THIS["js"].sub("", _BRACKET_CALL.sub(r".\1", code))
        return code

    def _concat(self, code: str) -> str:
        flags = re.I if self.lang == "vb" else 0
        op = r"[+&]" if self.lang == "vb" else r"\+"
        cat = re.compile(r'"([^"\n]*)"((?:\s|_\s)*)' + op + r'(\s*)"([^"\n]*)"')
        rep = re.compile(r'"([^"\n]*)"\s*\.\s*Replace\s*\(\s*"([^"\n]*)"\s*,\s*"([^"\n]*)"\s*\)', flags)
        getstr = re.compile(
            r'\b(?:System\s*\.\s*)?(?:Text\s*\.\s*)?Encoding\s*\.\s*\w+\s*\.\s*GetString\s*\(\s*("[^"\n]*")\s*\)',
            flags,
        )
        tostr = re.compile(r'("[^"\n]*")\s*\.\s*ToString\s*\(\s*\)')
        # a literal reversed: new string("ssecorP".Reverse().ToArray()), string.Concat("...".Reverse()),
        # VB StrReverse("...")
        reverse = re.compile(
            r'\bnew\s+(?:System\s*\.\s*)?[Ss]tring\s*\(\s*("[^"\n]*")\s*\.\s*Reverse\s*\(\s*\)\s*\.\s*ToArray\s*\(\s*\)\s*\)'
            r'|\b(?:System\s*\.\s*)?[Ss]tring\s*\.\s*(?:Concat|Join\s*\(\s*""\s*,)\s*\(?\s*("[^"\n]*")\s*\.\s*Reverse\s*\(\s*\)\s*\)'
            r'|\bStrReverse\s*\(\s*("[^"\n]*")\s*\)',
            flags,
        )
        concat_call = re.compile(
            r'\b(?:System\s*\.\s*)?[Ss]tring\s*\.\s*Concat\s*\(\s*("[^"\n]*"(?:\s*,\s*"[^"\n]*"){1,20})\s*\)',
            flags,
        )
        for _ in range(16):
            if time.monotonic() > self.deadline:
                raise Timeout
            before = code
            code = cat.sub(self._join, code)
            code = rep.sub(self._replace, code)
            code = getstr.sub(self._same, code)
            code = tostr.sub(self._same, code)
            code = concat_call.sub(self._concat_call, code)
            if "everse" in code:
                code = reverse.sub(self._reverse, code)
            if code == before:
                break
        return code

    def _join(self, m: re.Match[str]) -> str:
        self.decoded += 1
        return _lit(m.group(1) + m.group(4), m.group(0))

    def _reverse(self, m: re.Match[str]) -> str:
        self.decoded += 1
        lit = next(g for g in m.groups() if g is not None)
        return _lit(lit[1:-1][::-1], m.group(0))

    def _concat_call(self, m: re.Match[str]) -> str:
        self.decoded += 1
        return _lit("".join(re.findall(r'"([^"\n]*)"', m.group(1))), m.group(0))

    def _replace(self, m: re.Match[str]) -> str:
        self.decoded += 1
        old = m.group(2)
        return _lit(m.group(1).replace(old, m.group(3)) if old else m.group(1), m.group(0))

    def _same(self, m: re.Match[str]) -> str:
        return m.group(1) + "\n" * m.group(0).count("\n")

    def _char(self, m: re.Match[str]) -> str:
        v = _number(m.group(1))
        if v is None or not 0 < v < 0x110000:
            return m.group(0)
        self.decoded += 1
        return _lit(chr(v), m.group(0))

    def _codes(self, m: re.Match[str]) -> str:
        parts = [p for p in re.split(r"[\s,]+", m.group(1)) if p]
        values = [_number(p) for p in parts]
        if not values or any(v is None or not (9 <= v < 127) for v in values):
            return m.group(0)
        self.decoded += 1
        return _lit("".join(chr(v) for v in values if v is not None), m.group(0))

    def _chars(self, m: re.Match[str]) -> str:
        self.decoded += 1
        return _lit("".join(re.findall(r'"([^"\n]{0,2})"', m.group(1))), m.group(0))

    def _base64(self, m: re.Match[str]) -> str:
        try:
            raw = base64.b64decode("".join(m.group(1).split()), validate=True)
        except (binascii.Error, ValueError):
            return m.group(0)
        text = raw.decode("utf-8", errors="replace")
        if not text or sum(32 <= ord(c) < 127 for c in text) < 0.9 * len(text):
            return m.group(0)  # a binary payload, not a hidden name: leave it
        self.decoded += 1
        return _lit(text, m.group(0))


_THIS = {
    "cs": re.compile(r"\bthis[ \t]*\.[ \t]*(?=[^\W\d])"),
    "js": re.compile(r"\bthis[ \t]*\.[ \t]*(?=[^\W\d])"),
    "vb": re.compile(r"\bMe[ \t]*\.[ \t]*(?=[^\W\d])", re.I),
}
#: A VB line continued: an explicit `` _`` or (VB 10+) a line ending in ``(``, ``,``, ``&``, ``+``, ``=``.
_VB_CONT = re.compile(r"(?:[ \t]_|[(,&+=])[ \t]*\r?\n")
_VB_WITH = re.compile(r"^[ \t]*With[ \t]+([^\W\d][\w.]{0,100})[ \t]*$", re.I | re.M)
_VB_END_WITH = re.compile(r"^[ \t]*End[ \t]+With\b", re.I | re.M)
_VB_DOT = re.compile(r"^([ \t]*)\.(?=[^\W\d])", re.M)
#: A callable under another name: ``var run = eval;`` (JScript), ``Func<string, Process> f =
#: Process.Start;`` (C# method group), then called as ``run(...)``.
_CALL_ALIAS = re.compile(
    r"\b([^\W\d][\w$]{0,60})\s*=\s*((?:[^\W\d]\w{0,60}\s*\.\s*){0,6}[^\W\d]\w{0,60})\s*[;\n]"
)
_CALLED = re.compile(r"(?<![\w.$])([^\W\d][\w$]*)\s*\(")
#: Type and namespace aliases: ``using P = System.Diagnostics.Process;`` / ``Imports P = ...``.
_TYPE_ALIAS = {
    "cs": re.compile(r"\busing\s+([^\W\d]\w{0,60})\s*=\s*((?:global\s*::\s*)?[\w.]{1,200})\s*;"),
    "vb": re.compile(r"^[ \t]*Imports\s+([^\W\d]\w{0,60})\s*=\s*([\w.]{1,200})", re.I | re.M),
}
#: VB's late-bound ``CallByName(obj, "Member", CallType.Method|Get|Let|Set, args)``: written as the
#: call or assignment it makes.
_CALL_BY_NAME = re.compile(
    r'\bCallByName\s*\(\s*([^\W\d][\w.]{0,200}?)\s*,\s*"([^\W\d]\w{0,60})"\s*,\s*'
    r"(?:Microsoft\s*\.\s*VisualBasic\s*\.\s*)?(?:CallType\s*\.\s*)?(Method|Get|Let|Set|1|2|4|8)\s*(,|\))",
    re.I,
)
#: ``obj["name"](...)`` (JScript): a member chosen by a literal name is that member.
_BRACKET_CALL = re.compile(r'(?<=[\w\])])\s*\[\s*"([^\W\d][\w$]{0,60})"\s*\]\s*(?=\()')
#: C# verbatim identifiers (``@Process``): the same names (verbatim strings are tokens by now).
_VERBATIM_IDENT = re.compile(r'(?<![\w"@])@(?=[^\W\d])')


def _structure(code: str, lang: str) -> str:
    """Spellings that change nothing of what code does, written one way before the analysis:
    ``this.x``/``Me.x`` as ``x``; VB continued lines joined (their newlines moved to the statement's
    end, so lines stay the file's); a VB ``With`` block's ``.member`` written out with its object;
    JScript aliases of ``eval``/``Function`` called by their own name."""
    flags = re.I if lang == "vb" else 0
    if lang == "vb":
        if _VB_CONT.search(code):
            code = _vb_join(code)
        if _VB_WITH.search(code):
            code = _vb_with(code)
        if "allbyname" in code.lower():
            code = _CALL_BY_NAME.sub(_call_by_name, code)
    else:
        if lang == "cs" and "@" in code:
            code = _VERBATIM_IDENT.sub("", code)
        if lang == "js" and '"' in code:
            code = _BRACKET_CALL.sub(r".\1", code)
        code = _THIS[lang].sub("", code)
        called_names = set(_CALLED.findall(code))  # one pass: only a name that is called is an alias
        for m in [a for a in _CALL_ALIAS.finditer(code) if a.group(1) in called_names][:50]:
            name, target = m.group(1), m.group(2)
            if name == target or name in _KEYWORDS or target.split(".")[0] in _KEYWORDS:
                continue
            called = re.compile(r"(?<![\w.$])((?:new\s+)?)" + re.escape(name) + r"(?=\s*\()")
            if called.search(code, m.end()):
                code = code[: m.end()] + called.sub(r"\g<1>" + target, code[m.end() :])
    if lang == "cs" and "static" in code:
        code = _using_static(code)
    alias = _TYPE_ALIAS.get(lang)
    if alias is not None:
        for m in list(alias.finditer(code))[:50]:
            use = re.compile(
                r"(?<![\w.])" + re.escape(m.group(1)) + r"(?=\s*[.(]|\s+[^\W\d]|\s*\[\s*\])", flags
            )
            target = re.sub(r"\s+", "", m.group(2)).replace("global::", "")
            code = code[: m.end()] + use.sub(target, code[m.end() :])
    return _THIS[lang].sub("", code)


_USING_STATIC = re.compile(r"\busing\s+static\s+((?:global\s*::\s*)?[\w.]{1,200})\s*;")


def _using_static(code: str) -> str:
    """``using static System.Diagnostics.Process;`` then ``Start(...)``: a bare call of a name the code
    does not define is the imported type's (the first such import: one is the common case)."""
    m = _USING_STATIC.search(code)
    if m is None:
        return code
    owner = re.sub(r"\s+", "", m.group(1)).replace("global::", "")
    defined = {d.group(1) for d in _METHOD_DEF["cs"].finditer(code)} | set(_KEYWORDS)
    bare = re.compile(r"(?<![\w.@$])(?<!new )([^\W\d]\w*)(?=\s*\()")
    return code[: m.end()] + bare.sub(
        lambda c: c.group(1) if c.group(1) in defined else f"{owner}.{c.group(1)}", code[m.end() :]
    )


def _call_by_name(m: re.Match[str]) -> str:
    obj, member, kind, after = m.group(1), m.group(2), m.group(3).lower(), m.group(4)
    if kind in ("let", "set", "4", "8"):
        # CallByName(o, "P", CallType.Let, v) sets o.P = v: the value is the call's last argument
        return f"{obj}.{member} = CType(" if after == "," else f"{obj}.{member}("
    if kind in ("get", "2") and after == ")":
        return f"{obj}.{member}"
    return f"{obj}.{member}(" if after == "," else f"{obj}.{member}()"


def _vb_join(code: str) -> str:
    out: list[str] = []
    pending = 0
    for line in code.split("\n"):
        end = line.rstrip()
        if end.endswith((" _", "\t_")) or end == "_":
            out.append(end[:-1] + " ")
            pending += 1
        elif end.endswith(("(", ",", "&", "+", "=")):
            out.append(end + " ")
            pending += 1
        else:
            out.append(line + "\n" * (pending + 1))
            pending = 0
    joined = "".join(out)
    missing = code.count("\n") - joined.count("\n")
    if missing > 0:
        joined += "\n" * missing
    elif missing < 0 and joined.endswith("\n" * -missing):
        joined = joined[:missing]
    return joined


def _vb_with(code: str) -> str:
    out: list[str] = []
    pos = 0
    for m in _VB_WITH.finditer(code):
        if m.start() < pos:
            continue  # nested: its lines were written out with the outer object
        end = _VB_END_WITH.search(code, m.end())
        stop = end.start() if end else len(code)
        out.append(code[pos : m.end()])
        prefix = r"\g<1>" + m.group(1).replace("\\", "") + "."
        out.append(_VB_DOT.sub(prefix, code[m.end() : stop]))
        pos = stop
    out.append(code[pos:])
    return "".join(out)


def _number(s: str) -> int | None:
    s = s.strip()
    try:
        if s[:2].lower() == "0x":
            return int(s[2:], 16)
        if s[:2].lower() == "&h":
            return int(s[2:], 16)
        return int(s)
    except ValueError:
        return None


# --------------------------------------------------------------------------------------------
# Taint and sinks.


class Timeout(Exception):
    """The per-file time budget ran out."""


@dataclass(slots=True)
class _Taint:
    kinds: set[str]
    direct: bool
    line: int
    source: str
    via: tuple[str, ...] = ()


@dataclass(slots=True)
class Analysis:
    """The behaviour hits of one file, and whether the whole file was analysed."""

    hits: list[dict[str, Any]] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    problem: str | None = None  # why the file was not fully analysed


_KEYWORDS = frozenset(
    "if while for foreach switch catch using lock return new typeof sizeof nameof base this "
    "fixed checked unchecked get set function sub dim call elseif".split()
)
_METHOD_DEF = {
    # C# parameter lists may span lines (one parameter a line)
    "cs": re.compile(r"\b([^\W\d]\w*)\s*\(([^();{}]{0,400})\)\s*(?:\{|=>)"),
    "js": re.compile(r"\bfunction\s+([^\W\d]\w*)\s*\(([^()]{0,400})\)"),
    "vb": re.compile(r"\b(?:Sub|Function)\s+([^\W\d]\w*)\s*\(([^()\n]{0,400})\)", re.I),
}
#: Properties: ``string Name { get ...`` (C#), ``Property Name`` (VB): a value returned in them is the name's.
_PROPERTY_DEF = {
    "cs": re.compile(r"\b([^\W\d]\w*)\s*\{\s*get\b"),
    "vb": re.compile(r"\bProperty\s+([^\W\d]\w*)", re.I),
}
#: Expression-bodied members: ``string Name => expr;`` / ``string Take(k) => expr;``.
_ARROW_MEMBER = re.compile(r"\b([^\W\d]\w*)\s*(?:\([^();{}]{0,400}\))?\s*=>\s*(?=([^;{]{1,2000}))")
#: Calls that put a value into their receiver (a builder, a list, a dictionary, a stack).
_MUTATOR = re.compile(
    r"(?<![\w.])([^\W\d]\w*)\s*\.\s*(?:Append|AppendLine|AppendFormat|Insert|Add|AddRange|Push|Enqueue)\s*\(",
    re.I,
)
#: ... with literal text of its own (``sb.Append("select ")``).
_ADDS_LITERAL = re.compile(
    r'(?<![\w.])([^\W\d]\w*)\s*\.\s*(?:Append\w*|Insert|Add)\s*\((?:\s*\d+\s*,)?\s*"[^"\n]*[^"\s]', re.I
)
#: Receivers that are outputs or the page itself, never a value's carrier.
_NOT_CARRIERS = frozenset(
    "response controls page context trace console debug server items headers cookies".split()
)
#: Lambdas bound to a name: ``name = (a, b) =>`` (C#) / ``var name = function (a, b)`` (JScript).
_LAMBDA_DEF = {
    "cs": re.compile(r"\b([^\W\d]\w*)\s*=\s*(?:\(([^();{}]{0,200})\)|([^\W\d]\w*))\s*=>"),
    "js": re.compile(r"\b([^\W\d]\w*)\s*=\s*function\s*\(([^()]{0,200})\)()"),
}
#: Calls that fill their first argument from the receiver: ``stream.Read(buf, ...)``, ``CopyTo(ms)``.
_OUT_ARG = re.compile(r"\.\s*(?:Read|ReadBlock|ReadAsync|CopyTo|CopyToAsync)\s*\(\s*([^\W\d]\w*)", re.I)
#: Copies from a source array into a destination: (regex, index of source arg, index of target arg).
_COPY = re.compile(r"\b(?:Buffer\s*\.\s*BlockCopy|Array\s*\.\s*Copy)\s*\(", re.I)
_ASSIGN = {
    "cs": re.compile(
        r"(?<![\w.])([^\W\d]\w*)((?:\s*\.\s*[^\W\d]\w*){0,4})\s*(?:\[[^\];]{0,200}\]\s*)?[+|^]?=(?![=>])(?=([^;]{1,2000}))"
    ),
    "vb": re.compile(
        r"(?<![\w.])([^\W\d]\w*)((?:\s*\.\s*[^\W\d]\w*){0,4})\s*(?:\([^)\n]{0,200}\)\s*)?(?:As\s+(?:New\s+)?[\w.]+(?:\(\))?\s*)?[+&]?=(?=([^\n]{1,2000}))",
        re.I,
    ),
}
_ASSIGN["js"] = re.compile(  # with JScript.NET's type annotation: var v : String = ...
    r"(?<![\w.$])([^\W\d]\w*)((?:\s*\.\s*[^\W\d]\w*){0,4})\s*(?::\s*[\w.]{1,100}(?:\[\])?\s*)?"
    r"(?:\[[^\]\n;]{0,200}\]\s*)?[+|^]?=(?![=>])(?=([^;]{1,2000}))"
)
_WEB_METHOD = {
    "cs": re.compile(
        r"\[\s*(?:System\s*\.\s*Web\s*\.\s*Services\s*\.\s*)?WebMethod\b[^\]]{0,300}\][^(;{}]{0,300}\(([^()]{0,400})\)"
    ),
    "js": re.compile(r"WebMethodAttribute[^(;{}]{0,300}\(([^()]{0,400})\)"),
    "vb": re.compile(r"<\s*WebMethod\b[^>]{0,300}>[^(\n]{0,300}\(([^()]{0,400})\)", re.I),
}
#: A file-saving call whose path is a name (see _Analyser._save_calls).
_SAVE_CALL = re.compile(
    r"(?:\.\s*SaveAs|\bnew\s+(?:System\s*\.\s*IO\s*\.\s*)?FileStream|\bFile\s*\.\s*(?:WriteAllBytes|Create|OpenWrite))"
    r"\s*\(\s*([^\W\d]\w*)\s*[,)]",
    re.I,
)
_BARE_NAME = re.compile(r"\s*([^\W\d]\w*)\s*$")
_OUT_REF = re.compile(r"\s*(?:out|ref|ByRef)\s+(?:var\s+|string\s+|object\s+)?([^\W\d]\w*)\s*$", re.I)
_VB_DIM_NEW = re.compile(r"\bDim\s+([^\W\d]\w*)\s+As\s+New\s+([^\n]{1,2000})", re.I)
_FOREACH = {
    "cs": re.compile(
        r"\bforeach\s*\(\s*[\w.<>\[\],\s]{0,100}?\s([^\W\d]\w*)\s+in\s+([^;{}]{1,400}?)\)\s*(?:\{|[^\W\d])"
    ),
    "js": re.compile(r"\bfor\s*\(\s*(?:var\s+)?([^\W\d]\w*)\s+in\s+([^)\n]{1,400})\)"),
    "vb": re.compile(r"\bFor\s+Each\s+([^\W\d]\w*)(?:\s+As\s+[\w.]+)?\s+In\s+([^\n]{1,400})", re.I),
}
_RETURN = {
    "cs": re.compile(r"\breturn\b([^;]{1,2000})"),
    "js": re.compile(r"\breturn\b([^;\n]{1,2000})"),
    "vb": re.compile(r"\bReturn\b([^\n]{1,2000})", re.I),
}
#: Names that hold the request object: declared with its type, or assigned it whole.
_REQUEST_ALIAS = {
    "cs": re.compile(
        r"\bHttpRequest(?:Base|Wrapper)?\s+([^\W\d]\w*)|(?<![\w.])([^\W\d]\w*)\s*=\s*(?:[\w.]*\.)?Request\s*;"
    ),
    "js": re.compile(
        r"\b([^\W\d]\w*)\s*:\s*HttpRequest(?:Base|Wrapper)?\b|(?<![\w.])([^\W\d]\w*)\s*=\s*(?:[\w.]*\.)?Request\s*;"
    ),
    "vb": re.compile(
        r"\b([^\W\d]\w*)\s+As\s+(?:System\s*\.\s*Web\s*\.\s*)?HttpRequest(?:Base|Wrapper)?\b|"
        r"(?<![\w.])([^\W\d]\w*)(?:\s+As\s+[\w.]+)?\s*=\s*(?:[\w.]*\.)?Request[ \t]*(?:\r?\n|:|$)",
        re.I | re.M,
    ),
}
#: Calls whose result is what a remote server sent back (a response, a downloaded body): a value
#: assigned from them carries no request input, even when the request chose the address.
_REMOTE_RESULT = re.compile(
    r"\.\s*(?:GetResponse|GetResponseStream|GetResponseAsync|DownloadString|DownloadData|GetStringAsync)\b",
    re.I,
)
#: The literal keys after a source or a tainted name (``["cmd"]``, ``("cmd")``, ``.Item["cmd"]``,
#: ``.Cookies["a"].Values["b"]``, a helper's ``Take("cmd")``, ``a[0]``): they choose *which* input, they are
#: not literal text spliced into the value.
_INDEX = re.compile(
    r'(?:\s*(?:\.\s*\w+\s*)?[\[(]\s*(?:"[^"\n]*"(?:\s*,\s*"[^"\n]*"){0,3}|\d{1,4})?\s*[\])]'
    r"|\s*\.\s*(?:Value|Values|Item|ToString\s*\(\s*\))\b){1,6}"
)
#: Calls on a value that keep it the request's (split, trimmed, replaced, cut): their literal
#: arguments are not text of the value either (``x.Split('|')[0]``, ``x.Replace("+", " ")``).
_KEEPING_CALL = re.compile(
    r"\.\s*(?:Split|Trim|TrimStart|TrimEnd|Substring|Remove|PadLeft|PadRight|Normalize|"
    r"ToLower|ToUpper|ToLowerInvariant|ToUpperInvariant|ToString|ToCharArray)\s*\("
    r'(?:\s*(?:"[^"\n]*"|\d{1,6}|[^\W\d][\w.]{0,60}|new\s+char\s*\[\s*\]\s*\{[^{}\n]{0,80}\})\s*,?){0,4}\)'
    # a Replace of literals only (x.Replace("+", " ")); one putting another value in splices it
    r'|\.\s*Replace\s*\(\s*"[^"\n]*"\s*,\s*"[^"\n]*"\s*\)'
)
#: Literal text that makes request input only *part* of a value (a fixed folder, a query around a
#: spliced value). A bare scheme or separator (``"http://"``, ``"\\"``, ``"/"``, ``"."``) does not: the
#: request still chooses the whole address or path.
_LITERAL = re.compile(r'"[^"\n]*"')
_TRIVIAL = re.compile(r'"(?:https?://|[\\/.:~]{0,3}|(?:\{\d{1,2}\}\s?){1,4})"')
_IDENT = re.compile(r"[^\W\d]\w*")
_ANY_IDENT = re.compile(r"(?<![\w.])[^\W\d]\w*")


def _line_of(code: str, pos: int) -> int:
    return code.count("\n", 0, pos) + 1


def _params(text: str, lang: str) -> list[str]:
    names = []
    for part in text.split(","):
        part = re.sub(r"=.*$", "", part).strip()
        if lang == "vb":
            part = re.sub(r"\s+As\s+.*$", "", part, flags=re.I)
        idents = _IDENT.findall(part)
        if idents:
            names.append(idents[-1])
    return names


def _args(code: str, start: int, limit: int = 4000) -> list[tuple[int, int]]:
    """Spans of the top-level arguments of the call whose '(' is at ``start - 1``."""
    depth = 0
    spans: list[tuple[int, int]] = []
    begin = start
    end = min(len(code), start + limit)
    quote = False
    i = start
    while i < end:
        c = code[i]
        if c == '"':
            quote = not quote
        elif not quote:
            if c in "([{":
                depth += 1
            elif c in ")]}":
                if depth == 0:
                    spans.append((begin, i))
                    return spans
                depth -= 1
            elif c == "," and depth == 0:
                spans.append((begin, i))
                begin = i + 1
        i += 1
    spans.append((begin, end))
    return spans


def _leading(code: str, start: int, end: int) -> int:
    """End of the first top-level operand of the expression in [start, end): where the first ``+``
    (C#, JScript) or ``&`` (VB) outside quotes and brackets joins it to what follows."""
    depth = 0
    quote = False
    for i in range(start, end):
        c = code[i]
        if c == '"':
            quote = not quote
        elif not quote:
            if c in "([{":
                depth += 1
            elif c in ")]}":
                depth -= 1
            elif c in "+&" and depth == 0:
                return i
    return end


def explain(data: bytes, ext: str) -> dict[str, Any]:
    """Debugging aid: the normalised code and taint of a page (not used by the scan)."""
    text = data.decode("utf-8", errors="replace")
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


class _Analyser:
    def __init__(
        self, code: str, lang: str, know: Knowledge, deadline: float, decoded: int, xslt: bool = False
    ) -> None:
        self.xslt = xslt
        self.code = code
        self.lang = lang
        self.know = know
        self.deadline = deadline
        self.decoded = decoded
        self.taint: dict[str, _Taint] = {}
        self.fold = str.lower if lang == "vb" else (lambda s: s)
        self.sources: list[tuple[int, int, Source]] = []  # found by find_sources, after candidates
        self._starts: list[int] = []  # their start offsets, to find those of a span by bisection
        self._receivers: frozenset[str] | None = None
        self._literal_seen = False  # whether the last expr() found literal text of the page's own
        self._views: list[tuple[int, str]] | None = None
        self._ident_re: re.Pattern[str] | None = None

    def find_sources(self) -> None:
        for src in self.know.sources:
            pat = src.patterns.get(self.lang)
            if pat is None:
                continue
            for m in pat.finditer(self.code):
                self.sources.append((m.start(), m.end(), src))
        self._request_aliases()
        self.sources.sort(key=lambda s: s[0])
        self._starts = [s for s, _e, _src in self.sources]

    def _request_aliases(self) -> None:
        """The request object under another name (``HttpRequest r = Request;``, a parameter typed
        ``HttpRequestBase``): its values and body are the request's, however it is read."""
        flags = re.I if self.lang == "vb" else 0
        names = {
            m.group(1) or m.group(2)
            for m in _REQUEST_ALIAS[self.lang].finditer(self.code)
            if (m.group(1) or m.group(2)) and self.fold(m.group(1) or m.group(2)) not in _KEYWORDS
        }
        names.discard("Request")
        if not names or len(names) > 20:
            return
        value = next((s for s in self.know.sources if s.kind == "value"), None)
        body = next((s for s in self.know.sources if s.kind == "body"), None)
        alt = "|".join(re.escape(n) for n in sorted(names))
        pat = re.compile(
            r"(?<![\w.])(?:"
            + alt
            + r")\s*(?:\.\s*(?:(Form|QueryString|Params|Item|Headers|Cookies|ServerVariables|"
            r"Unvalidated|UserAgent|UrlReferrer)|(Files|InputStream|BinaryRead|GetBufferlessInputStream|"
            r"GetBufferedInputStream))\b|\s*\[)",
            flags,
        )
        for m in pat.finditer(self.code):
            src = body if m.group(2) else value
            if src is not None:
                self.sources.append((m.start(), m.end(), src))

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise Timeout

    def _idents(self) -> re.Pattern[str] | None:
        if self._ident_re is None and self.taint:
            if len(self.taint) > 64:
                # many names (generated or hostile code): every identifier looked up, no alternation
                # compiled again each time a name is added
                self._ident_re = _ANY_IDENT
                return self._ident_re
            names = sorted(self.taint, key=len, reverse=True)
            flags = re.I if self.lang == "vb" else 0
            self._ident_re = re.compile(r"(?<![\w.])(?:" + "|".join(map(re.escape, names)) + r")\b", flags)
        return self._ident_re

    def expr(self, start: int, end: int, kinds: frozenset[str] | None = None) -> _Taint | None:
        """What request input the code in [start, end) carries."""
        found: _Taint | None = None
        text = self.code[start:end]
        stripped = text
        sources = self.sources
        # the sources inside [start, end) only: a page with thousands of them costs a bisection, not a scan
        for j in range(bisect_left(self._starts, start), len(sources)):
            s, e, src = sources[j]
            if s >= end:
                break
            if kinds is None or src.kind in kinds:
                back = e - 1 if self.code[e - 1] in "[(" else e  # the source's own bracket opens the key
                tail = self.code[back : min(end, back + 200)]
                idx = _INDEX.match(tail)
                cut = max(e, back + (idx.end() if idx else 0))
                stripped = stripped.replace(self.code[s:cut], " ", 1)
                if found is None:
                    found = _Taint({src.kind}, True, _line_of(self.code, s), src.title)
                else:
                    found.kinds.add(src.kind)
        idents = self._idents()
        via: list[str] = []
        if idents is not None:
            for m in idents.finditer(text):
                t = self.taint.get(self.fold(m.group(0)))
                if t is None or (kinds is not None and not (t.kinds & kinds)):
                    continue
                via.append(m.group(0))
                idx = _INDEX.match(text, m.end())
                if idx is not None:  # Session["k"], d["k"], a helper's Take("k"): keys, not text
                    stripped = stripped.replace(text[m.start() : idx.end()], " ", 1)
                if found is None:
                    found = _Taint(
                        set(t.kinds & kinds if kinds else t.kinds), t.direct, t.line, t.source, t.via
                    )
                else:
                    found.kinds |= t.kinds
                    found.direct = found.direct and t.direct
                stripped = stripped.replace(m.group(0), " ", 1)
        if found is None:
            return None
        if via:
            found.via = tuple(dict.fromkeys((*found.via, *via)))[:6]
        if '"' in stripped and ("." in stripped):
            stripped = _KEEPING_CALL.sub(" ", stripped)
        self._literal_seen = any(not _TRIVIAL.fullmatch(lit) for lit in _LITERAL.findall(stripped))
        if self._literal_seen:
            found.direct = False
        return found

    def _save_calls(self) -> list[tuple[int, str]]:
        """Each file-saving call whose path argument is a name, with that name written out as what was
        assigned to it (and the names in that, once more): ``p = Server.MapPath("./") + n; f.SaveAs(p)``
        reads as ``f.SaveAs(Server.MapPath("./") + Path.GetFileName(f.FileName))``."""
        if self._views is not None:
            return self._views
        code, flags = self.code, re.I if self.lang == "vb" else 0
        end_of = r"[^;\n]{1,400}" if self.lang != "vb" else r"[^\n]{1,400}"

        def value(name: str, before: int) -> str | None:
            last = None
            assign = r"(?<![\w.])" + re.escape(name) + r"(?:\s+As\s+[\w.]+)?\s*=(?![=>])\s*(" + end_of + ")"
            for a in re.finditer(assign, code[:before], flags):
                last = a.group(1).strip()
            return last

        views: list[tuple[int, str]] = []
        for m in _SAVE_CALL.finditer(code):
            if len(views) >= 50:
                break
            arg = m.group(1)
            text = value(arg, m.start())
            if text is None:
                continue
            for ident in set(_ANY_IDENT.findall(text)) - {arg}:
                inner = value(ident, m.start())
                if inner is not None and len(inner) < 400:
                    written = "(" + inner.replace("\\", "\\\\") + ")"  # a replacement template
                    text = re.sub(r"(?<![\w.])" + re.escape(ident) + r"\b", written, text)
            views.append((m.start(), code[m.start() : m.start(1)] + text + ")"))
        self._views = views
        return views

    def _literal_receivers(self) -> frozenset[str]:
        """Names that get literal text appended or added somewhere in the code (one pass, cached)."""
        if self._receivers is None:
            self._receivers = frozenset(self.fold(m.group(1)) for m in _ADDS_LITERAL.finditer(self.code))
        return self._receivers

    def _splices(self, name: str, start: int, end: int) -> bool:
        """Whether ``name = ...`` (code[start:end]) updates the name's own value with literal text of
        the page's (``p = folder + "x" + p``, ``sql.Replace("[X]", y)``): the value is then only part of
        it. Another request value mixed in does not count (it is still all the request's)."""
        rhs = self.code[start:end]
        flags = re.I if self.lang == "vb" else 0
        if not re.search(r"(?<![\w.])" + re.escape(name) + r"\b", rhs, flags):
            return False
        t = self.expr(start, end)
        return t is not None and not t.direct and self._literal_seen

    def _add(self, name: str, t: _Taint) -> bool:
        key = self.fold(name)
        if key in _KEYWORDS or key in self.taint:
            return False
        self.taint[key] = t
        self._ident_re = None
        return True

    def propagate(self) -> None:
        code, lang = self.code, self.lang
        if not self.sources and not _WEB_METHOD[lang].search(code):
            return
        defs = [(m.start(), m.group(1), _params(m.group(2), lang)) for m in _METHOD_DEF[lang].finditer(code)]
        # VB marks by-reference parameters in the definition only: Sub Take(ByRef v As String)
        byref = (
            {
                self.fold(p)
                for m in _METHOD_DEF["vb"].finditer(code)
                for p in re.findall(r"\bByRef\s+([^\W\d]\w*)", m.group(2), re.I)
            }
            if lang == "vb" and "byref" in code.lower()
            else set()
        )
        lam = _LAMBDA_DEF.get(lang)
        if lam is not None:
            for m in lam.finditer(code):
                defs.append((m.start(), m.group(1), _params(m.group(2) or m.group(3) or "", lang)))
            defs.sort(key=lambda d: d[0])
        prop = _PROPERTY_DEF.get(lang)
        if prop is not None:
            defs.extend((m.start(), m.group(1), []) for m in prop.finditer(code))
            defs.sort(key=lambda d: d[0])
        defs = [d for d in defs if self.fold(d[1]) not in _KEYWORDS]
        for m in _WEB_METHOD[lang].finditer(code):  # a web service method's parameters come from the request
            for name in _params(m.group(1), lang):
                self._add(
                    name, _Taint({"value"}, True, _line_of(code, m.start()), "web service method parameter")
                )
        for _ in range(6):
            self.check_time()
            changed = False
            for n_assign, m in enumerate(_ASSIGN[lang].finditer(code)):
                if n_assign & 255 == 255:
                    self.check_time()
                name = m.group(1)
                key = self.fold(name)
                if key in _KEYWORDS:
                    continue
                held = self.taint.get(key)
                if held is not None:
                    if held.direct and not m.group(2) and self._splices(name, m.start(3), m.end(3)):
                        held.direct = False  # v = "C:\\dir\\" + v, sql = sql.Replace("[X]", y): only part
                        changed = True
                    continue
                if _REMOTE_RESULT.search(code, m.start(3), m.end(3)):
                    continue  # what a remote server answered is its data, not the request's
                t = self.expr(m.start(3), m.end(3))
                if t is not None:
                    changed |= self._add(name, t)
            if lang == "vb":
                for m in _VB_DIM_NEW.finditer(code):
                    t = self.expr(m.start(2), m.end(2))
                    if t is not None:
                        changed |= self._add(m.group(1), t)
            if lang == "cs":
                for m in _ARROW_MEMBER.finditer(code):
                    if self.fold(m.group(1)) in self.taint:
                        continue
                    t = self.expr(m.start(2), m.end(2))
                    if t is not None:
                        changed |= self._add(m.group(1), t)
            for n_mut, m in enumerate(_MUTATOR.finditer(code)):
                if n_mut & 255 == 255:
                    self.check_time()
                name = m.group(1)
                key = self.fold(name)
                if key in self.taint or key.lower() in _NOT_CARRIERS:
                    continue
                for a, b in _args(code, m.end()):
                    t = self.expr(a, b)
                    if t is None:
                        continue
                    if t.direct and key in self._literal_receivers():
                        # literal text is added to the same receiver too: the value is only part
                        t = _Taint(set(t.kinds), False, t.line, t.source, t.via)
                    changed |= self._add(name, t)
                    break
            for m in _FOREACH[lang].finditer(code):
                t = self.expr(m.start(2), m.end(2))
                if t is not None:
                    changed |= self._add(m.group(1), t)
            for m in _OUT_ARG.finditer(code):
                if self.fold(m.group(1)) in self.taint:
                    continue
                s, _e = self.statement(m.start())
                t = self.expr(s, m.start())
                if t is not None:
                    changed |= self._add(m.group(1), t)
            for m in _COPY.finditer(code):
                spans = _args(code, m.end())
                if len(spans) >= 3:
                    t = self.expr(*spans[0])
                    dst = code[
                        spans[2 if len(spans) >= 5 else 1][0] : spans[2 if len(spans) >= 5 else 1][1]
                    ].strip()
                    if t is not None and _IDENT.fullmatch(dst):
                        changed |= self._add(dst, t)
            self.check_time()
            for m in _RETURN[lang].finditer(code):
                t = self.expr(m.start(1), m.end(1))
                if t is None:
                    continue
                owner = None
                for pos, name, _unused in defs:
                    if pos > m.start():
                        break
                    owner = name
                if owner is not None:
                    changed |= self._add(owner, t)
            for pos, name, params in defs:
                if not params:
                    continue
                call = re.compile(r"(?<![\w])" + re.escape(name) + r"\s*\(", re.I if lang == "vb" else 0)
                for c in call.finditer(code):
                    if c.start() == pos:
                        continue
                    for i, (a, b) in enumerate(_args(code, c.end())):
                        out = _OUT_REF.match(code, a, b)
                        if out is None and byref and i < len(params) and self.fold(params[i]) in byref:
                            out = _BARE_NAME.match(code, a, b)
                        if out is not None and i < len(params):
                            # out/ref: what the method puts in its parameter comes back to the caller
                            back = self.taint.get(self.fold(params[i]))
                            if back is not None:
                                changed |= self._add(out.group(1), back)
                            continue
                        t = self.expr(a, b)
                        if t is not None and i < len(params):
                            changed |= self._add(params[i], t)
                self.check_time()
            if not changed:
                break

    def statement(self, pos: int) -> tuple[int, int]:
        code = self.code
        if self.lang == "vb":
            start = code.rfind("\n", 0, pos) + 1
            end = code.find("\n", pos)
            while end > 0 and code[end - 1 : end].rstrip() == "" and code[start:end].rstrip().endswith(" _"):
                end = code.find("\n", end + 1)
            return start, len(code) if end < 0 else end
        start = (
            max(
                code.rfind(";", max(0, pos - 2000), pos),
                code.rfind("{", max(0, pos - 2000), pos),
                code.rfind("}", max(0, pos - 2000), pos),
            )
            + 1
        )
        end = code.find(";", pos, pos + 2000)
        return start, pos + 2000 if end < 0 else end

    def candidates(self) -> bool:
        """Whether any sink occurs at all (most pages: no), and any input to reach it."""
        code, lang = self.code, self.lang
        if not prefilter_hits(self.know.prefilter.get(lang), code):
            return False
        present = False
        for sink in self.know.sinks:
            pat = sink.patterns.get(lang)
            if pat is not None and pat.search(code):
                present = True  # one is enough: sinks() looks at each
                break
        if not present:
            return False
        self.find_sources()
        return True

    def sinks(self, already: set[str]) -> list[tuple[Sink, int, _Taint | None, bool]]:
        found: list[tuple[Sink, int, _Taint | None, bool]] = []
        code, lang = self.code, self.lang
        for sink in self.know.sinks:
            if sink.id in already:
                continue
            pat = sink.patterns.get(lang)
            if pat is None:
                continue
            if not all(c[lang].search(code) for c in sink.context if lang in c):
                continue
            if sink.needs == "none" and sink.category == "file-write" and not pat.search(code):
                # the saved path built in locals first: match the save call with them written out
                view = next(((pos, v) for pos, v in self._save_calls() if pat.search(v)), None)
                if view is not None:
                    found.append((sink, view[0], None, True))
                continue
            for m in pat.finditer(code):
                self.check_time()
                if sink.needs == "whole":
                    body = code.strip()
                    if len(body) > 400 or not pat.fullmatch(body):
                        break
                if sink.needs in ("none", "whole") or (
                    self.xslt and sink.needs in ("any", "direct", "leading")
                ):
                    found.append((sink, m.start(), None, True))
                    break
                s, e = self.statement(m.start())
                if sink.needs == "all-args":
                    spans = _args(code, m.end()) if m.group(0).rstrip().endswith("(") else []
                    if len(spans) < 2:
                        continue
                    t = self.expr(spans[0][0], spans[0][1], sink.kinds)
                    content = self.expr(spans[1][0], spans[1][1], sink.kinds)
                    if t is None or content is None:
                        continue
                elif sink.needs == "direct":
                    matched = m.group(0).rstrip()
                    if matched.endswith("("):
                        spans = _args(code, m.end())
                        a, b = spans[0]
                    elif matched.endswith("="):
                        a, b = m.end(), e
                    else:
                        a, b = m.end(), e
                    t = self.expr(a, b, sink.kinds)
                    if t is None or not t.direct:
                        continue
                elif sink.needs == "leading":
                    # the value *starts* with request input taken whole (who chooses the address of
                    # an outbound request: the request, whatever path or query text follows)
                    spans = _args(code, m.end()) if m.group(0).rstrip().endswith("(") else []
                    if not spans:
                        continue
                    a, b = spans[0]
                    lead = _leading(code, a, b)
                    while lead < b and _TRIVIAL.fullmatch(code[a:lead].strip()):
                        a = lead + 1  # a bare scheme or separator first: the next operand leads
                        lead = _leading(code, a, b)
                    t = self.expr(a, lead, sink.kinds)
                    if t is None or not t.direct:
                        continue
                    whole = self.expr(a, b, sink.kinds)
                    if whole is not None:
                        t.via = whole.via
                else:
                    t = self.expr(s, e, sink.kinds)
                    if t is None:
                        continue
                near = not t.via
                found.append((sink, m.start(), t, near))
                break
        return found


#: What could hide a sink's spelling from the prefilter until normalisation undoes it: escapes,
#: literal concatenation, char codes, byte/char arrays, base64, .Replace on literals, comments
#: inside a token.
_HIDING_SOURCE = (
    r'\\[uxU]|"\s*[+&]|[+&]\s*"|\(\s*char\s*\)|\bChrW?\s*\(|fromCharCode|FromBase64String|'
    r"\bnew\s+(?:System\s*\.\s*)?(?:byte|char)\b|\.\s*Replace\s*\(|/\*|//|\bToChar\b|"
    # aliases of types and callables, late-bound calls (see _structure)
    r"\b(?:using|Imports)\s+\w+\s*=|\busing\s+static\b|=\s*(?:[\w.]*\.)?\w+\s*[;\n]|\bCallByName\b|\[\s*\"\w+\"\s*\]\s*\(|@[^\W\d]"
)
_HIDING = re.compile(_HIDING_SOURCE, re.IGNORECASE)


@cache
def _hiding_re2() -> Any:
    """``_HIDING`` as one RE2 automaton (every page's code is screened with it: a linear DFA pass is
    several times faster than the backtracking search); its word classes spelled as Unicode letters and
    digits, as Python's are. ``None`` when RE2 is unavailable."""
    try:
        import re2
    except ImportError:  # pragma: no cover
        return None
    src = _HIDING_SOURCE.replace("[^\\W\\d]", "[\\pL_]").replace("[\\w.]", "[\\pL\\pN_.]")
    src = src.replace("\\w", "[\\pL\\pN_]")
    opts = re2.Options()
    opts.case_sensitive = False
    try:
        return re2.compile(src, options=opts)
    except Exception:  # pragma: no cover - re2.error: the Python pattern screens
        return None


def hiding_screen() -> Any:
    """The compiled hidden-sink screen (for the worker fork server to build once: ``warm_behaviour``)."""
    return _hiding_re2()


def _hides(code: str) -> bool:
    """Whether normalisation could reveal a sink the page screen does not see (see ``_HIDING``)."""
    fast = _hiding_re2()
    return (fast.search(code) if fast is not None else _HIDING.search(code)) is not None


def _confidence(base: str, decoded: int) -> str:
    i = _CONF_ORDER.index(base)
    if decoded:
        i = min(i + 1, 2)
    return _CONF_ORDER[i]


def analyse(data: bytes, ext: str, budget: float = 2.0) -> Analysis:
    """Behaviour hits of one page (UTF-8 bytes, or text already decoded from UTF-16)."""
    result = Analysis()
    ext = ext.lower()
    if ext not in PAGE_EXTENSIONS:
        return result
    know = knowledge()  # compiled once per process: not charged to the first page's time budget
    _hiding_re2()
    deadline = time.monotonic() + budget
    text = data.decode("utf-8", errors="replace")
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
            continue  # fast path: no sink spelled out and nothing that could hide one
        try:
            norm = _Norm(lang)
            norm.deadline = deadline
            code = norm.tokens(code)
            code = norm.fold(code)
            if time.monotonic() > deadline:
                raise Timeout
            an = _Analyser(code, lang, know, deadline, norm.decoded, extracted.xslt)
            if not an.candidates():
                continue  # no dangerous operation at all: nothing to trace
            an.propagate()
            hits = an.sinks(seen)
        except Timeout:
            result.problem = f"behaviour analysis stopped after its {budget:g} s per-file time limit"
            break
        lines = text.split("\n") if hits else []
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
