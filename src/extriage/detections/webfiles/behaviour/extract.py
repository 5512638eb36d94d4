"""Extraction: the server code of a page, handler, service, web.config or XSLT, everything else
blanked (newlines kept, so line numbers stay the file's)."""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Server code analysed per file; the rest of a larger page is named as not analysed.
MAX_CODE = 1 << 20
#: Extensions whose server code the analysis reads (web.config may carry code or handler maps).
PAGE_EXTENSIONS = frozenset(
    {".aspx", ".ascx", ".ashx", ".asmx", ".asax", ".master", ".soap", ".config", ".xsl", ".xslt", ".svc"}
    | {".cshtml", ".vbhtml"}
)
_CODE_ONLY = frozenset({".ashx", ".asmx", ".soap", ".svc", ".asax"})
#: Source files ASP.NET compiles itself (App_Code, a page's ``CodeFile``/``Src``): the language is the
#: extension's, as for the compiler (CodeDom maps .cs, .vb and .js - JScript.NET - by default). The
#: whole file is code; whether a file of these is one ASP.NET compiles is the caller's to decide (its
#: path), so ``analyse`` reads any file it is given with these extensions.
CODE_LANGUAGES = {".cs": "cs", ".vb": "vb", ".js": "js"}
#: Razor pages (ASP.NET Web Pages): code and markup interleave with ``@``, so the whole file is read as
#: code of its language (markup is noise to the analysis; ``@name`` reads as ``name``).
_RAZOR = {".cshtml": "cs", ".vbhtml": "vb"}


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
    """Cut the server code out of a page, handler, service, web.config or XSLT file, or take a whole
    code file (:data:`CODE_LANGUAGES`)."""
    if ext in CODE_LANGUAGES:
        out = Extracted({CODE_LANGUAGES[ext]: [text]}, blocks=1)
        return out
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
