"""Extraction: the server code of a page, handler, service, web.config or XSLT, everything else
blanked (newlines kept, so line numbers stay the file's)."""

from __future__ import annotations

import array
import bisect
import codecs
import html
import re
import sys
from dataclasses import dataclass, field

from extriage.detections.webfiles.behaviour.lazy import lazy

#: Server code analysed per file; the rest of a larger page is named as not analysed.
MAX_CODE = 1 << 20
#: Extensions whose server code the analysis reads (web.config may carry code or handler maps).
PAGE_EXTENSIONS = frozenset(
    {".aspx", ".ascx", ".ashx", ".asmx", ".asax", ".master", ".soap", ".config", ".xsl", ".xslt", ".svc"}
    | {".cshtml", ".vbhtml"}
    | {".asp", ".asa", ".cer", ".cdx"}
)
#: Classic ASP (asp.dll; IIS maps .asa, .cer and .cdx to it too): VBScript unless the page's nameless
#: ``<%@ Language=... %>`` directive (or a script block's ``language``) names JScript. Read with the VB and
#: JScript analysis (the calls a shell makes - Server.CreateObject, WScript.Shell's Exec/Run,
#: ADODB.Stream, FileSystemObject, Execute/Eval - are spelled alike).
CLASSIC_ASP = frozenset({".asp", ".asa", ".cer", ".cdx"})
_CODE_ONLY = frozenset({".ashx", ".asmx", ".soap", ".svc", ".asax"})
#: Source files ASP.NET compiles itself (App_Code, a page's ``CodeFile``/``Src``): the language is the
#: extension's, as for the compiler (CodeDom maps .cs, .vb and .js - JScript.NET - by default). The
#: whole file is code; whether a file of these is one ASP.NET compiles is the caller's to decide (its
#: path), so ``analyse`` reads any file it is given with these extensions.
CODE_LANGUAGES = {".cs": "cs", ".vb": "vb", ".js": "js"}
#: Razor pages (ASP.NET Web Pages): code and markup interleave with ``@``, so the whole file is read as
#: code of its language (markup is noise to the analysis; ``@name`` reads as ``name``).
_RAZOR = {".cshtml": "cs", ".vbhtml": "vb"}
RAZOR_VIEWS = frozenset(_RAZOR)


def _bytes_as_letters(exc: UnicodeError) -> tuple[str, int]:
    """Bytes that are not UTF-8 as letters (U+4E80-U+4EFF, one per byte): see :func:`decode`."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return "".join(chr(0x4E00 + b) for b in exc.object[exc.start : exc.end]), exc.end


codecs.register_error("extriage-letters", _bytes_as_letters)


def decode(data: bytes) -> str:
    """A page's text for the analysis. ASP.NET reads a page without a byte order mark in the code page
    ``<globalization fileEncoding>`` names (Microsoft Learn, GlobalizationSection.FileEncoding; sites in
    China, Japan, Russia set gb2312, shift_jis, windows-1251), so such a page runs with identifiers in
    those scripts (``string 命令 = ...``). Decoded as UTF-8 with U+FFFD for the bytes that are not,
    those identifiers stop being identifiers (and distinct ones become the same ``��``): the taint
    through them was lost. Each such byte becomes its own letter instead (U+4E80-U+4EFF), so names stay
    names, distinct and stable; ASCII - all keywords, all of C#/VB/JScript's syntax - is unchanged.

    The same text as ``data.decode("utf-8", errors="extriage-letters")`` (the reference, one Python call
    per bad sequence: 18-36 s for a 20 MB page of binary or invalid UTF-8), made by C loops alone: decoded
    with ``surrogateescape`` (each bad byte ``b`` becomes U+DC00+b), then each U+DCxx turned into U+4Exx -
    as 4-byte characters (an ``array``), the second byte of each swapped in one ``bytes.translate`` (and
    put back in the rare characters past U+FFFF that have 0xDC there too: U+1DCxx ...)."""
    if data.isascii():
        return data.decode("ascii")
    text = data.decode("utf-8", errors="surrogateescape")
    if _ESCAPED.search(text) is None:
        return text
    return "".join(_as_letters(text[i : i + _PIECE]) for i in range(0, len(text), _PIECE))


#: A byte :func:`decode` found not to be UTF-8, as ``surrogateescape`` writes it.
_ESCAPED = lazy("[\udc80-\udcff]")
#: Characters turned into letters at a time (bounds the copies: 16 MB each).
_PIECE = 1 << 22
#: An array of 4-byte characters ("u" is wchar_t: 4 bytes on Linux and macOS; "w" from Python 3.13).
_UCS4 = "w" if sys.version_info >= (3, 13) else "u"
_SECOND_BYTE = bytes.maketrans(b"\xdc", b"\x4e")
_LETTER_OF = {0xDC00 + b: 0x4E00 + b for b in range(0x80, 0x100)}
#: Characters past U+FFFF whose second byte is 0xDC (U+1DC00-U+1DCFF, ..., U+10DC00-U+10DCFF), as their
#: 4 bytes in memory.
_OTHER_DC = lazy(b"\xdc[\x01-\x10]\x00" if sys.byteorder == "little" else b"\x00[\x01-\x10]\xdc")


def _as_letters(piece: str) -> str:
    """``piece`` with each escaped byte (U+DC80-U+DCFF) as its letter (U+4E80-U+4EFF)."""
    wide = array.array(_UCS4, piece)
    if wide.itemsize != 4:
        return piece.translate(_LETTER_OF)
    raw = wide.tobytes()
    second, at = (1, 1) if sys.byteorder == "little" else (2, 0)  # the second byte; where _OTHER_DC starts
    keep: list[int] = []  # characters past U+FFFF whose second byte is 0xDC too: left as they are
    for n, m in enumerate(_OTHER_DC.finditer(raw)):
        if n >= 1000:  # (bytes of two characters that look like one: U+05DC U+0000 ... - bounded)
            return piece.translate(_LETTER_OF)
        if m.start() % 4 == at:
            keep.append(m.start() - at + second)
    buf = bytearray(raw)
    buf[second::4] = raw[second::4].translate(_SECOND_BYTE)
    for i in keep:
        buf[i] = 0xDC
    out = array.array(_UCS4)
    out.frombytes(bytes(buf))
    return out.tounicode()


#: A directive as the old extractor knew it (a main directive's name required, no ``%`` in its
#: attributes): kept as the fallback for directives :func:`directives` cannot parse, so nothing that was
#: read before is lost.
_DIRECTIVE = lazy(
    r"<%\s*@\s*(Page|Control|WebHandler|WebService|Application|Master|ServiceHost)\b([^%]{0,2000})%>", re.I
)
#: ASP.NET's directive grammar (System.Web ``DirectiveRegex``/``SimpleDirectiveRegex``, .NET Framework
#: reference source): ``<%`` blanks ``@`` then attributes - a name (``\w[\w:]*``) alone, or with
#: ``="v"``, ``='v'`` or ``=v`` (unquoted up to a blank, quote, ``%`` or ``>``); quoted values may hold
#: ``%`` and ``%>``; then blanks and ``%>``. Bounded here (values, attribute count) to stay linear.
_DIRECTIVE_OPEN = lazy(r"<%\s{0,200}@")
_DIRECTIVE_ATTR = lazy(
    r"""\s{0,200}(\w[\w:]{0,200})(?=\W)(?:\s{0,200}(=)\s{0,200}(?:"([^"]{0,4000})"|'([^']{0,4000})'|([^\s"'%>]{0,4000})))?"""
)
_DIRECTIVE_CLOSE = lazy(r"\s{0,200}%>")
#: The directive a nameless ``<%@ ... %>`` is, per extension (TemplateParser/SimpleWebHandlerParser
#: ``DefaultDirectiveName``; Microsoft Learn, "Directives for ASP.NET Web Pages": "ASP.NET treats any
#: directive block that does not contain an explicit directive name as an @ Page directive (for a page)
#: or as an @ Control directive (for a user control)").
_MAIN_DIRECTIVE = {
    ".aspx": "page", ".ascx": "control", ".master": "master", ".asax": "application",
    ".ashx": "webhandler", ".asmx": "webservice", ".soap": "webservice", ".svc": "servicehost",
}  # fmt: skip
_MAIN_NAMES = frozenset(_MAIN_DIRECTIVE.values())
_HANDLER_NAMES = frozenset({"webhandler", "webservice", "servicehost"})
#: Files SimpleWebHandlerParser reads (and WCF's service parser, alike): the directives, then the code
#: is everything after the last one; text before a directive is skipped; values are not HTML-decoded.
_SIMPLE = frozenset({".ashx", ".asmx", ".soap", ".svc"})
#: Files TemplateParser reads: every attribute value is HTML-decoded (``HttpUtility.HtmlDecode``).
_TEMPLATE = frozenset({".aspx", ".ascx", ".master", ".asax"})


@dataclass(slots=True)
class Directive:
    """One ``<%@ ... %>`` block: its name (lower case, ``""`` when nameless) and attributes (lower-case
    names, values as written)."""

    name: str
    attrs: dict[str, str]
    start: int
    end: int


def _directive_at(text: str, pos: int) -> Directive | None:
    """The directive starting at ``pos`` as ASP.NET parses it, or ``None``."""
    m = _DIRECTIVE_OPEN.match(text, pos)
    if m is None:
        return None
    p = m.end()
    name = ""
    attrs: dict[str, str] = {}
    for i in range(100):
        a = _DIRECTIVE_ATTR.match(text, p)
        if a is None:
            break
        key = a.group(1).lower()
        if i == 0 and a.group(2) is None:
            name = key  # "<%@ Page ..." - a first attribute with no value names the directive
        else:
            value = (
                a.group(3) if a.group(3) is not None else a.group(4) if a.group(4) is not None else a.group(5)
            )
            attrs.setdefault(key, value or "")
        p = a.end()
    close = _DIRECTIVE_CLOSE.match(text, p)
    if close is None:
        return None
    return Directive(name, attrs, pos, close.end())


def directives(text: str, limit: int = 1 << 20) -> list[Directive]:
    """The directives of a page in file order (outside server comments), as ASP.NET reads them."""
    out: list[Directive] = []
    pos = 0
    end = min(len(text), limit)
    while len(out) < 200:
        start = text.find("<%", pos, end)
        if start < 0:
            break
        if text.startswith("<%--", start):
            close = text.find("--%>", start + 4)
            pos = len(text) if close < 0 else close + 4
            continue
        d = _directive_at(text, start)
        if d is not None:
            out.append(d)
            pos = d.end
        else:  # a code block: a "<%@" inside it is its text
            close = text.find("%>", start + 2)
            pos = len(text) if close < 0 else close + 2
    return out


#: Visual Basic statements, and what only C-like code has: the language of code whose page names none
#: (a handler or page pasted from classic ASP, or with its directive removed).
_VB_MARK = lazy(
    r"^[ \t]*(?:Dim\s+\w|Set\s+\w+\s*=|Sub\s+\w|Function\s+\w|End\s+(?:If|Sub|Function|With)\b|Next\b|"
    r"For\s+(?:Each\s+)?\w+\s*(?:=|In\b)|If\b[^\n]*\bThen\b)",
    re.I | re.M,
)
_C_MARK = lazy(r";[ \t]*(?:$|//)|[{}]", re.M)
#: What the C marks are not looked for in: VB string literals (``""`` inside) and ``'`` comments - a brace in
#: ``String.Format("{0}", ..)`` or in a comment is no C# (X46's request, session 19: such a VB page without a
#: directive was read as C# and lost its sinks).
_VB_TEXT = lazy(r'"(?:[^"\n]|"")*"|\'[^\n]*')


def _c_like(code: str) -> bool:
    return _C_MARK.search(_VB_TEXT.sub(" ", code)) is not None

# typographic quotes too: pages pasted through word processors carry them (the language still shows)
_LANG_ATTR = lazy(r"""\bLanguage\s*=\s*["'\u201c\u201d\u2018\u2019]?([A-Za-z#+]{1,20})""", re.I)
_SCRIPT_OPEN = lazy(r"<script\b([^>]{0,1000})>", re.I)
_SCRIPT_CLOSE = lazy(r"</script\s*>", re.I)
_RUNAT = lazy(r"""runat\s*=\s*["']?server""", re.I)
_MSXSL_OPEN = lazy(r"<msxsl:script\b([^>]{0,1000})>", re.I)
_MSXSL_CLOSE = lazy(r"</msxsl:script\s*>", re.I)
#: The language names ASP.NET's compilers take (machine.config: c#;cs;csharp, vb;vbs;visualbasic;vbscript,
#: js;jscript;javascript) -> the engine's language (the scan's prepare thread reads the same names).
LANGUAGE_NAMES = {
    "c#": "cs", "cs": "cs", "csharp": "cs", "vb": "vb", "vbs": "vb", "vbscript": "vb",
    "visualbasic": "vb", "jscript": "js", "js": "js", "javascript": "js",
}  # fmt: skip


def _language(attrs: str, default: str) -> str:
    m = _LANG_ATTR.search(attrs)
    return LANGUAGE_NAMES.get(m.group(1).lower(), default) if m else default


_LANG_WORD = lazy(r"""[\s"'\u201c\u201d\u2018\u2019]{0,20}([A-Za-z#+]{1,20})""")


def _language_value(value: str | None, default: str) -> str:
    """The language an attribute value names, else ``default``. Lenient as the old extractor was: the
    leading word counts (``VB.NET`` reads as VB, though ASP.NET knows only vb/vbs/visualbasic/vbscript)
    and typographic quotes around it are skipped - a wrong language only misreads code, never hides it."""
    m = _LANG_WORD.match(value) if value is not None else None
    return LANGUAGE_NAMES.get(m.group(1).lower(), default) if m else default


#: A tag as TagRegex reads it: ``<name`` then attributes ``name``, ``name="v"`` (may hold ``>``),
#: ``name='v'``, ``name=<%# %>``, ``name=v``; ``/>`` or ``>``. Attribute names ``\w[-\w:]*``.
_SCRIPT_START = lazy(r"<script(?=[\s/>])", re.I)
_OBJECT_START = lazy(r"<object(?=[\s/>])", re.I)
_TAG_ATTR = lazy(
    r"""\s{1,200}(\w[-\w:]{0,200})(?:\s{0,200}=\s{0,200}(?:"([^"]{0,4000})"|'([^']{0,4000})'|(<%#.{0,4000}?%>)|([^\s="'/>]{0,4000})))?""",
    re.S,
)
_TAG_CLOSE = lazy(r"\s{0,200}(/)?>")
_SERVER_COMMENT = lazy(r"<%--.*?--%>", re.S)


def _server_comments(text: str) -> list[tuple[int, int]]:
    """``<%-- --%>`` spans (ASP.NET skips them wherever they are, in script blocks too)."""
    out: list[tuple[int, int]] = []
    pos = 0
    while True:
        start = text.find("<%--", pos)
        if start < 0:
            return out
        end = text.find("--%>", start + 4)
        if end < 0:
            return out  # unterminated: not a comment to ASP.NET either
        out.append((start, end + 4))
        pos = end + 4


def _inside(spans: list[tuple[int, int]], pos: int) -> int:
    """The end of the span holding ``pos``, else -1."""
    i = bisect.bisect_right(spans, (pos, 1 << 62)) - 1
    return spans[i][1] if i >= 0 and spans[i][0] <= pos < spans[i][1] else -1


def _server_tags(text: str, start_re: re.Pattern[str]) -> list[tuple[int, int, bool, dict[str, str]]]:
    """Server tags of one name: (start, end of the opening tag, self-closed, attributes HTML-decoded with
    lower-case names), as TemplateParser reads them: a quoted value may hold ``>``; the tag is the
    server's when its ``runat`` value, decoded, is ``server`` in any case (``ProcessAttributes``;
    anything else is a parse error, so not code); a tag inside a server comment is not one."""
    out: list[tuple[int, int, bool, dict[str, str]]] = []
    comments: list[tuple[int, int]] | None = None
    for m in start_re.finditer(text):
        p = m.end()
        attrs: dict[str, str] = {}
        for _ in range(100):
            a = _TAG_ATTR.match(text, p)
            if a is None:
                break
            value = next((g for g in a.groups()[1:] if g is not None), "")
            attrs.setdefault(a.group(1).lower(), html.unescape(value))
            p = a.end()
        close = _TAG_CLOSE.match(text, p)
        if close is None or attrs.get("runat", "").lower() != "server":
            continue
        if comments is None:
            comments = _server_comments(text)
        if _inside(comments, m.start()) >= 0:
            continue
        out.append((m.start(), close.end(), bool(close.group(1)), attrs))
    return out


def _script_tags(text: str) -> list[tuple[int, int, dict[str, str]]]:
    """Server ``<script>`` blocks: (end of the opening tag, start of ``</script>`` or -1 when
    self-closed, attributes); a ``</script>`` inside a server comment does not end one."""
    out: list[tuple[int, int, dict[str, str]]] = []
    comments: list[tuple[int, int]] | None = None
    last = 0
    for start, open_end, closed, attrs in _server_tags(text, _SCRIPT_START):
        if start < last:
            continue  # inside the script block before it (ASP.NET reads no tag there): also keeps this linear
        if closed:
            out.append((open_end, -1, attrs))
            continue
        if comments is None:
            comments = _server_comments(text)
        end = _SCRIPT_CLOSE.search(text, open_end)
        while end is not None and (after := _inside(comments, end.start())) >= 0:
            end = _SCRIPT_CLOSE.search(text, after)
        last = end.end() if end else len(text)
        out.append((open_end, end.start() if end else len(text), attrs))
    return out


_OBJECT_ID = lazy(r"[A-Za-z_]\w{0,100}")
_OBJECT_TYPE = lazy(r"[\w.{}:\-]{1,200}")


def _declared_objects(text: str, lang: str) -> dict[int, str]:
    """Objects a page declares in markup (Microsoft Learn, "Server-Side Object Tag Syntax"):
    ``<object id="sh" runat="server" progid="WScript.Shell"/>`` makes ``sh`` a page property holding
    that COM object (``classid=`` by class id, ``class=`` a .NET type) - a shell object with no line of
    code creating it. Written as the declaration it amounts to, in the page's language (tag's line)."""
    out: dict[int, str] = {}
    for start, _end, _closed, attrs in _server_tags(text, _OBJECT_START):
        if len(out) >= 1000:
            break  # a page of thousands of declared objects is noise: the first ones are read
        ident = attrs.get("id", "")
        if not _OBJECT_ID.fullmatch(ident):
            continue
        for key in ("progid", "classid", "class"):
            kind = attrs.get(key, "").strip()
            if _OBJECT_TYPE.fullmatch(kind):
                break
        else:
            continue
        if key == "class":
            make = f"new {kind}()"
        elif key == "classid":
            clsid = kind[6:] if kind.lower().startswith("clsid:") else kind
            make = f'Activator.CreateInstance(Type.GetTypeFromCLSID(new Guid("{clsid.strip("{}")}")))'
        else:
            make = f'Server.CreateObject("{kind}")'
        if lang == "vb":
            out[start] = f"Dim {ident} = {make}"
        elif lang == "js":
            out[start] = f"var {ident} = {make};"
        else:
            out[start] = f"{kind if key == 'class' else 'dynamic'} {ident} = {make};"
    return out


def _uncomment(code: str) -> str:
    """Server comments removed from a script block, as ASP.NET does (it skips ``<%-- --%>`` even there,
    so a comment can split a token: ``Process.St<%-- --%>art``); their line breaks move to the end of
    the line, so line numbers stay the file's."""
    out: list[str] = []
    pos = 0
    carry = 0
    for m in _SERVER_COMMENT.finditer(code):
        seg = code[pos : m.start()]
        if carry and "\n" in seg:
            cut = seg.index("\n")
            seg = seg[:cut] + "\n" * carry + seg[cut:]
            carry = 0
        out.append(seg)
        carry += m.group(0).count("\n")
        pos = m.end()
    seg = code[pos:]
    if carry:
        cut = seg.find("\n")
        seg = seg + "\n" * carry if cut < 0 else seg[:cut] + "\n" * carry + seg[cut:]
    out.append(seg)
    return "".join(out)


@dataclass(slots=True)
class Extracted:
    #: language -> its code spans; the markup between two spans is reduced to one line break (a space
    #: when it held none), so a page of megabytes of markup costs the analysis its code only
    code: dict[str, list[str]]
    blocks: int = 0
    directive: str = ""
    #: Code of an XSLT ``msxsl:script`` block: its input is the transformed document, so every
    #: dangerous operation in it counts (no request source is needed).
    xslt: bool = False
    #: language -> (line of its code, line of the file) where a span starts after markup that was cut:
    #: see :meth:`file_line` (no entry: the code's lines are the file's)
    lines: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    def file_line(self, lang: str, line: int) -> int:
        """The file's line of line ``line`` of the code of ``lang`` (as joined from :attr:`code`)."""
        marks = self.lines.get(lang)
        if not marks:
            return line
        i = bisect.bisect_right(marks, (line, 1 << 62)) - 1
        if i < 0:
            return line
        code_line, file_line = marks[i]
        return file_line + line - code_line


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
    # and the server script blocks that name no language (they take the page's: a page with no directive
    # holding only <script runat="server"> Sub ... End Sub is VB, the default language of ASP.NET)
    for start, end, attrs in _script_tags(text):
        if start < limit and end >= 0 and "language" not in attrs:
            parts.append(text[start : min(end, start + 65536)])
    code = "\n".join(parts)
    return "vb" if _VB_MARK.search(code) and not _c_like(code) else "cs"


#: A server-side include as TemplateParser reads it (``IncludeRegex``): ``file`` or ``virtual``.
_INCLUDE = lazy(
    r"""<!--\s{0,200}#include\s{0,200}(file|virtual)\s{0,200}=\s{0,200}["']?([^"']{0,1000}?)["']?\s{0,200}-->""",
    re.I,
)


def references(text: str, ext: str) -> list[tuple[str, str]]:
    """Files whose code ASP.NET compiles or parses with this page, in file order, as (how, path as
    written): ``codefile``/``src`` on the main directive (named or nameless), ``src`` of
    ``<%@ Assembly %>`` (a source file compiled on the fly), ``reference`` (``<%@ Reference %>``: another
    page or control), ``script`` (``<script runat="server" src=...>``: that file's text is the script,
    whatever its extension) and ``include`` (``<!-- #include file|virtual= -->``: parsed as part of the
    page). Handlers and services (SimpleWebHandlerParser) take only ``<%@ Assembly Src= %>``."""
    found: list[tuple[int, str, str]] = []
    simple = ext in _SIMPLE
    main_ok = ext in _MAIN_DIRECTIVE
    for d in directives(text):
        attrs = d.attrs if simple else {k: html.unescape(v) for k, v in d.attrs.items()}
        if d.name == "assembly" and attrs.get("src"):
            found.append((d.start, "src", attrs["src"]))
        elif simple:
            continue
        elif d.name == "reference":
            for key in ("virtualpath", "page", "control"):
                if attrs.get(key):
                    found.append((d.start, "reference", attrs[key]))
        elif d.name in _MAIN_NAMES or (not d.name and main_ok):
            for key in ("codefile", "src"):
                if attrs.get(key):
                    found.append((d.start, key, attrs[key]))
    if not simple:
        for start, _end, attrs in _script_tags(text):
            if attrs.get("src"):
                found.append((start, "script", attrs["src"]))
        for m in _INCLUDE.finditer(text):
            found.append((m.start(), "include", m.group(2)))
    return [(how, path) for _pos, how, path in sorted(found)]


def _guess_code(code: str) -> str:
    """The language of a handler's code when its directive names none (as :func:`_guess_language`)."""
    return "vb" if _VB_MARK.search(code) and not _c_like(code) else "cs"


def code_extension(code: str) -> str:
    """The extension to read a file of code in an unknown language under: ``.vb`` when it reads like
    Visual Basic, else ``.cs`` (a ``<script runat="server" src="x.txt">`` file: the tag's language is
    not kept with the reference)."""
    return ".vb" if _guess_code(code[:65536]) == "vb" else ".cs"


_DATA_SOURCE_TAG = lazy(r"<asp:ObjectDataSource\b", re.I)
#: The opening tag (its attributes end at ``<`` too, so one search stays linear in the page) and the
#: closing one, paired by position: one pattern with a lazy body of up to 20,000 characters read that many
#: for each of 40,000 unclosed tags (past the 5 s per-file limit in one search).
_DATA_SOURCE_OPEN = lazy(r"<asp:ObjectDataSource\b([^<>]{0,3000})>", re.I)
_DATA_SOURCE_CLOSE = lazy(r"</asp:ObjectDataSource\s*>", re.I)
_ODS_ATTR = lazy(
    r"""\b(TypeName|SelectMethod|InsertMethod|UpdateMethod|DeleteMethod)\s*=\s*["']([\w.]{1,200})["']""", re.I
)
_ODS_PARAM = lazy(
    r"<asp:(QueryString|Form|Cookie|Control|Route|Profile|Session)Parameter\b[^<>]{0,1000}?"
    r"""\b(?:QueryStringField|FormField|CookieName|ControlID|RouteKey|PropertyName|SessionField)\s*=\s*["']([^"'<>]{1,100})["']""",
    re.I,
)


def _declared_calls(text: str) -> dict[int, str]:
    """Calls a page declares in markup instead of code: an ``<asp:ObjectDataSource>`` runs
    ``TypeName.SelectMethod(...)`` with its parameters bound to query string, form, cookie or control
    values - ``TypeName="System.Diagnostics.Process" SelectMethod="Start"`` starts a process from the
    query string with no line of code. Written as the C# call it makes (on the tag's line)."""
    out: dict[int, str] = {}
    text = text[:MAX_CODE]
    closes = [c.start() for c in _DATA_SOURCE_CLOSE.finditer(text)]
    for m in _DATA_SOURCE_OPEN.finditer(text):
        attrs = {k.lower(): v for k, v in _ODS_ATTR.findall(m.group(1))}
        type_name = attrs.pop("typename", None)
        if not type_name or not attrs:
            continue
        i = bisect.bisect_left(closes, m.end())
        if i == len(closes) or closes[i] - m.end() > 20000:
            continue  # (unclosed: no call is declared)
        args = []
        for kind, field_name in _ODS_PARAM.findall(text, m.end(), closes[i]):
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


def _main_directive(found: list[Directive], ext: str) -> Directive | None:
    """The file's main directive: the first named Page/Control/WebHandler/... or nameless one."""
    nameless_ok = ext in _MAIN_DIRECTIVE and ext != ".svc"  # WCF's ServiceParser wants the name
    for d in found:
        if d.name in _MAIN_NAMES or (not d.name and nameless_ok):
            return d
    return None


#: Control characters no C#, VB or JScript compiler takes outside a string or comment (not NUL: kept as a
#: blank to be safe; not tab, line breaks, vertical tab, form feed: white space).
_CONTROL = lazy("[\x01-\x08\x0e-\x1f]")
#: What may hold any character: strings and comments, per language; an unclosed one runs to the end (one
#: pass, linear: a search never restarts at each later opening).
_LITERALS = {
    "cs": lazy(r'@"(?:[^"]|"")*(?:"|\Z)|"(?:[^"\\\n]|\\.)*(?:"|$)|\'(?:[^\'\\\n]|\\.)*(?:\'|$)|//[^\n]*|/\*[\s\S]*?(?:\*/|\Z)', re.M),
    "js": lazy(r'"(?:[^"\\\n]|\\.)*(?:"|$)|\'(?:[^\'\\\n]|\\.)*(?:\'|$)|//[^\n]*|/\*[\s\S]*?(?:\*/|\Z)', re.M),
    "vb": lazy(r'"(?:[^"\n]|"")*(?:"|$)|\'[^\n]*|\bREM\b[^\n]*', re.I | re.M),
}


def uncommented(code: str, lang: str) -> str:
    """``code`` with its comments cut out, their line breaks kept (strings and C# char literals as they are)."""

    def keep(m: re.Match[str]) -> str:
        tok = m.group(0)
        if tok[0] == '"' or tok[:2] == '@"' or (tok[0] == "'" and lang != "vb"):
            return tok
        return "\n" * tok.count("\n")

    return _LITERALS[lang].sub(keep, code)


def _junk(text: str, start: int, end: int, lang: str) -> bool:
    """Whether a code span holds a control character outside its strings and comments: no compiler takes
    it, so the span is no code that runs - the bytes of a binary (an image, an executable) between a
    ``<%`` and a ``%>`` that happen to be there. A page behind a binary prefix (``GIF89a``..., ``MZ``...)
    keeps its real code spans: only spans are judged, not the file."""
    if _CONTROL.search(text, start, end) is None:
        return False  # (every text page: one search)
    return _CONTROL.search(_LITERALS[lang].sub(" ", text[start:end])) is not None


def extract(text: str, ext: str, default_language: str | None = None) -> Extracted:
    """Cut the server code out of a page, handler, service, web.config or XSLT file, or take a whole
    code file (:data:`CODE_LANGUAGES`). Containers are read as ASP.NET's parsers read them (see
    :func:`directives`, :func:`_script_tags`): a nameless directive is the extension's main one, a
    handler's code is what follows its last directive. ``default_language`` (``cs``/``vb``/``js``): the
    site's ``<compilation defaultLanguage>``, the language of a page or handler whose main directive names
    none (ASP.NET compiles it so; without it the code's text decides, :func:`_guess_language`)."""
    if ext in CODE_LANGUAGES:
        out = Extracted({CODE_LANGUAGES[ext]: [text]}, blocks=1)
        return out
    # one walk over the <% %> blocks, as TemplateParser meets them: directives, comments, code
    found: list[Directive] = []
    blocks: list[tuple[int, int]] = []
    pos = 0
    while True:
        start = text.find("<%", pos)
        if start < 0:
            break
        if text.startswith("<%--", start):
            end = text.find("--%>", start + 4)
            pos = len(text) if end < 0 else end + 4
            continue
        head = text[start + 2 : start + 3]
        d = None
        if (head == "@" or (head.isspace() and _DIRECTIVE_OPEN.match(text, start))) and len(found) < 200:
            d = _directive_at(text, start)
        if d is not None:
            found.append(d)
            pos = d.end
            continue
        end = text.find("%>", start + 2)
        stop = len(text) if end < 0 else end
        if head.isspace() and text[start + 2 : stop].lstrip().startswith("@"):
            head = "@"  # "<% @ Page ... %>" that the grammar does not take: not code either
        if head not in ("@", "$"):
            skip = 1 if head in ("=", ":", "#") else 0
            if head == "#" and text.startswith(":", start + 3):
                skip = 2  # <%#: %> (encoded data binding)
            blocks.append((start + 2 + skip, stop))
        pos = stop + 2
    main = _main_directive(found, ext)
    legacy = _DIRECTIVE.search(text) if main is None else None
    name = (main.name or _MAIN_DIRECTIVE[ext]) if main is not None else ""
    if not name and legacy is not None:
        name = legacy.group(1).lower()
    handler = name in _HANDLER_NAMES
    # a handler's or service's code: after its last directive (SimpleWebHandlerParser)
    code_start = found[-1].end if main is not None and handler and ext in _SIMPLE else -1
    language = main.attrs.get("language") if main is not None else None
    if language is None and main is not None:
        # "<%@PageLanguage=Jscript%>" (no blank after the directive's name: one attribute to the grammar):
        # read leniently, as the old extractor read languages - a wrong language only misreads code
        language = next((v for k, v in main.attrs.items() if k.endswith("language")), None)
    if language is not None and ext not in _SIMPLE:
        language = html.unescape(language)  # TemplateParser decodes attribute values
    if ext in CLASSIC_ASP:
        nameless = next((d for d in found if not d.name), None)
        default = _language_value(nameless.attrs.get("language") if nameless is not None else None, "vb")
    elif language is not None:
        default = _language_value(language, "cs")
    elif legacy is not None and _LANG_ATTR.search(legacy.group(2)):
        default = _language(legacy.group(2), "cs")
    elif default_language in ("cs", "vb", "js"):
        default = default_language
    elif code_start >= 0:
        default = _guess_code(text[code_start : code_start + 65536])
    else:
        default = _guess_language(text)
    out = Extracted({}, directive=name)
    spans: list[tuple[int, int, str]] = []
    uncommented: dict[tuple[int, int], str] = {}
    for start, end, attrs in _script_tags(text):
        if end < 0:
            continue  # <script runat="server" src="..."/>: the code is another file's (references())
        spans.append((start, end, _language_value(attrs.get("language"), default)))
        if text.find("<%--", start, end) >= 0:
            uncommented[(start, end)] = _uncomment(text[start:end])
    for m in _MSXSL_OPEN.finditer(text):
        close = _MSXSL_CLOSE.search(text, m.end())
        spans.append((m.end(), close.start() if close else len(text), _language(m.group(1), "cs")))
        out.xslt = True
    spans.extend((start, end, default) for start, end in blocks)
    # a handler or service is code whatever its file is named (one saved as .aspx, or as .txt served
    # through a handler mapping)
    if code_start >= 0:
        spans.append((code_start, len(text), default))
    elif main is None and legacy is None and ext in _CODE_ONLY:
        if "<%" not in text and not _RUNAT.search(text[:65536]):
            spans.append((0, len(text), default))
    elif handler and (ext in _CODE_ONLY or not spans):
        after = main.end if main is not None else legacy.end() if legacy is not None else 0
        spans.append((after, len(text), default))
    if ext in _RAZOR and not spans:
        spans.append((0, len(text), _RAZOR[ext]))
    synthetic = _declared_calls(text) if _DATA_SOURCE_TAG.search(text, 0, MAX_CODE) else {}
    for pos in synthetic:
        spans.append((pos, pos, default if default != "js" else "cs"))
    if _OBJECT_START.search(text, 0, MAX_CODE):
        objects = _declared_objects(text[:MAX_CODE], default)
        synthetic.update(objects)
        spans.extend((pos, pos, default) for pos in objects)
    if not spans:
        return out
    spans.sort()
    buffers: dict[str, list[str]] = {}
    cursor: dict[str, int] = {}
    # per language: the line of the file at its cursor, and the line its code has reached
    file_at: dict[str, int] = {}
    code_at: dict[str, int] = {}
    broken: set[str] = set()  # languages whose last skipped span held a line break
    for start, end, lang in spans:
        body = uncommented.get((start, end))
        done = cursor.get(lang, 0)
        declared = start == end and start in synthetic  # a call declared in markup (see _declared_calls)
        if declared and start < done:
            continue
        if start < done:  # nested or overlapping (a <% inside a script block): already in
            start = done
            body = None
            if start >= end:
                continue
        # the markup between code spans becomes one line break (lines are mapped back: file_line), so
        # megabytes of it cost nothing; a break stays a break (a VB statement ends there)
        if not declared and _junk(text, start, end, lang):
            # a binary's bytes between a chance "<%" and "%>": markup, its lines counted once
            lines = text.count("\n", done, end)
            file_at[lang] = file_at.get(lang, 1) + lines
            cursor[lang] = end
            if lines:
                broken.add(lang)
            continue
        buf = buffers.setdefault(lang, [])
        gap = text.count("\n", done, start)
        brk = gap > 0 or lang in broken  # (the lines of a skipped span are in file_at already)
        broken.discard(lang)
        fline = file_at.get(lang, 1) + gap
        cline = code_at.get(lang, 1) + brk
        if fline != cline:
            marks = out.lines.setdefault(lang, [])
            if not marks or marks[-1][1] - marks[-1][0] != fline - cline:
                marks.append((cline, fline))
        buf.append("\n " if brk else " ")
        if declared:
            buf.append(synthetic[start])
            cursor[lang] = start
            file_at[lang], code_at[lang] = fline, cline + synthetic[start].count("\n")
            out.blocks += 1
            continue
        buf.append(body if body is not None else text[start:end])
        inner = text.count("\n", start, end)
        cursor[lang] = end
        file_at[lang], code_at[lang] = fline + inner, cline + inner
        out.blocks += 1
    out.code = buffers
    return out
