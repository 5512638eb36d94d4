"""Where the request input of a page is read (the sources the flow walk starts from): the spellings of the knowledge
table outside string literals, the posted values of the page's server controls (HTML inputs and ASP.NET controls
that post; not labels or buttons) and the request object under another name (``HttpRequest r = ..``). Each takes the
analyser (:class:`taint._Analyser`) and fills its ``sources``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from extriage.detections.webfiles.behaviour.arguments import _in_literal
from extriage.detections.webfiles.behaviour.lazy import lazy
from extriage.detections.webfiles.behaviour.rewrite import _method_spans

if TYPE_CHECKING:
    from extriage.detections.webfiles.behaviour.taint import _Analyser

#: HTML controls whose value the client posts (see html_inputs).
_HTML_INPUT_TAG = lazy(r"<(input|textarea|select|asp:HiddenField)\b[^<>]{0,2000}>", re.I)
_RUNAT_SERVER = lazy(r"""\brunat\s*=\s*["']?server""", re.I)
_INPUT_TYPE = lazy(r"""\btype\s*=\s*["']?([\w-]+)""", re.I)
_TAG_ID = lazy(r"""\bid\s*=\s*["']?([^\W\d]\w*)""", re.I)
_POSTED_TYPES = frozenset({"text", "hidden", "password", "search", "url", "email", "tel", "number"})
_HTML_INPUT_FIELD = lazy(
    r"\b(?:System\s*\.\s*Web\s*\.\s*UI\s*\.\s*(?:HtmlControls|WebControls)\s*\.\s*)?"
    r"(?:HtmlInputText|HtmlInputHidden|HtmlInputPassword|HtmlTextArea|HtmlSelect|HiddenField)\s+([^\W\d]\w*)"
    r"|\b([^\W\d]\w*)\s+As\s+(?:[\w.]+\.)?(?:HtmlInputText|HtmlInputHidden|HtmlInputPassword|HtmlTextArea|HtmlSelect|HiddenField)\b",
    re.I,
)
#: Web controls whose text the client never posts (a Label, Literal, HyperLink, button, image, panel).
_UNPOSTED = r"(?:Label|Literal|HyperLink|Button|LinkButton|ImageButton|Image|Localize|Panel|Substitution)"
_UNPOSTED_TAG = lazy(r"<asp:" + _UNPOSTED + r"\b[^<>]{0,2000}>", re.I)
_UNPOSTED_FIELD = lazy(
    r"\b(?:System\s*\.\s*Web\s*\.\s*UI\s*\.\s*WebControls\s*\.\s*)?" + _UNPOSTED + r"\s+([^\W\d]\w*)\s*[;=]"
    r"|\b([^\W\d]\w*)\s+As\s+(?:New\s+)?(?:[\w.]+\.)?" + _UNPOSTED + r"\b",
    re.I,
)
#: Names that hold the request object: declared with its type, or assigned it whole.
_REQUEST_ALIAS = {
    "cs": lazy(
        r"\bHttpRequest(?:Base|Wrapper)?\s+([^\W\d]\w*)|(?<![\w.])([^\W\d]\w*)\s*=\s*(?:[\w.]*\.)?Request\s*;"
    ),
    "js": lazy(
        r"\b([^\W\d]\w*)\s*:\s*HttpRequest(?:Base|Wrapper)?\b|(?<![\w.])([^\W\d]\w*)\s*=\s*(?:[\w.]*\.)?Request\s*;"
    ),
    "vb": lazy(
        r"\b([^\W\d]\w*)\s+As\s+(?:System\s*\.\s*Web\s*\.\s*)?HttpRequest(?:Base|Wrapper)?\b|"
        r"(?<![\w.])([^\W\d]\w*)(?:\s+As\s+[\w.]+)?\s*=\s*(?:[\w.]*\.)?Request[ \t]*(?:\r?\n|:|$)",
        re.I | re.M,
    ),
}
#: Sources that are not read inside a string literal (B14's request, session 16: IronRuby code in a literal naming
#: ``page.Message.Text`` read as a posted control; the request's own collections written in a literal stay sources -
#: code text a page runs may read them).
_NOT_IN_LITERALS = frozenset({"fetched", "control"})


def find_sources(an: _Analyser) -> None:
    for src in an.know.sources:
        pat = src.patterns.get(an.lang)
        if pat is None:
            continue
        for m in pat.finditer(an.code):
            if src.kind in _NOT_IN_LITERALS and _in_literal(an.code, m.start()):
                # a command's text that downloads ("IEX(...).DownloadString('...')"): no answer; a control's
                # text named in code the page hands to a script engine ("page.Notice.Text = 'Hi'"): no posted value
                continue
            an.sources.append((m.start(), m.end(), src))
    request_aliases(an)
    html_inputs(an)
    unposted_controls(an)
    overwritten_controls(an)
    an.sources.sort(key=lambda s: s[0])
    an._starts = [s for s, _e, _src in an.sources]


def unposted_controls(an: _Analyser) -> None:
    """``x.Text`` of a control the client never posts - a Label, Literal, HyperLink, button, image or
    panel (declared in the page's markup or as a field of that type) - is the page's own text, not
    request input: those control sources are dropped (b3 request 1: ``Label1.Text = "..." & err.Message``)."""
    controls = [i for i, (_s, _e, src) in enumerate(an.sources) if src.kind == "control"]
    if not controls:
        return
    names: set[str] = set()
    if an.page and "runat" in an.page.lower():
        for m in _UNPOSTED_TAG.finditer(an.page):
            ident = _TAG_ID.search(m.group(0))
            if ident is not None:
                names.add(an.fold(ident.group(1)))
    names.update(an.fold(m.group(1) or m.group(2)) for m in _UNPOSTED_FIELD.finditer(an.code))
    if not names:
        return
    drop = set()
    for i in controls:
        s, e, _src = an.sources[i]
        receiver = an.code[s:e].split(".")[0].strip()
        if an.fold(receiver) in names:
            drop.add(i)
    if drop:
        an.sources = [x for i, x in enumerate(an.sources) if i not in drop]


#: The end of Page_Load's header, just before its parameter list (``void Page_Load(``, VB ``Sub Page_Load(``).
_PAGE_LOAD_HEAD = lazy(r"\bPage_Load\s*\(\s*$", re.I)
#: A control's text set by a statement of its own (``idtxt.Text = ..``; group 1 the control).
_TEXT_SET = lazy(r"(?<![\w.])([^\W\d]\w*)\s*\.\s*Text\s*=(?![=>])", re.I)
#: VB lines that open and close a block a statement inside is conditional on (or repeated, or may not reach).
_VB_OPENS = lazy(
    r"^[ \t]*(?:If\b(?:\"[^\"\n]*\"|[^\"\n])*?\bThen[ \t]*(?:'[^\n]*)?$|Select\b|For\b|While\b|Do\b|Try\b|Using\b|With\b|SyncLock\b)",
    re.I | re.M,
)
_VB_CLOSES = lazy(r"^[ \t]*(?:End[ \t]+(?:If|Select|While|Try|Using|With|SyncLock)\b|Next\b|Loop\b)", re.I | re.M)
_C_BRACES = lazy(r'"[^"\n]*"|[{}]')


def overwritten_controls(an: _Analyser) -> None:
    """``x.Text`` read outside Page_Load, when Page_Load sets ``x.Text`` unconditionally (a statement of its own,
    in no block or condition): ASP.NET loads the posted value before Page_Load, which replaces it on every
    request, so the page's event handlers read the server's value, not the client's (B30's request, session 22:
    an admin page naming an upload ``idtxt.Text + extension`` after ``idtxt.Text = "P-" + DateTime.Now..``). Set
    only on the first request (``if (!IsPostBack)``), or anywhere else, it stays a posted value."""
    controls = [i for i, (_s, _e, src) in enumerate(an.sources) if src.kind == "control"]
    code = an.code
    if not controls or "page_load" not in code.lower():
        return
    load = [(bs, be) for ps, _pe, bs, be in _method_spans(code, an.lang) if _PAGE_LOAD_HEAD.search(code, max(0, ps - 100), ps)]
    if not load:
        return
    bs, be = load[0]
    names: set[str] = set()
    for m in _TEXT_SET.finditer(code, bs, be):
        if an.lang == "vb":
            line = code.rfind("\n", 0, m.start()) + 1
            if code[line : m.start()].strip():
                continue  # (If x Then t.Text = ..: conditional)
            opened = len(_VB_OPENS.findall(code, bs, line)) - len(_VB_CLOSES.findall(code, bs, line))
            if opened > 0:
                continue
        else:
            before = code[bs : m.start()].rstrip()
            if before and before[-1] not in ";{}":
                continue  # (if (..) t.Text = ..; else t.Text = ..: conditional)
            depth = 0
            for b in _C_BRACES.finditer(code, bs, m.start()):
                depth += {"{": 1, "}": -1}.get(b.group(0), 0)
            if depth != 0:
                continue
        names.add(an.fold(m.group(1)))
    if not names:
        return
    drop = set()
    for i in controls:
        s, e, _src = an.sources[i]
        receiver, _dot, member = code[s:e].partition(".")
        if (bs <= s < be) or member.strip().lower() != "text" or an.fold(receiver.strip()) not in names:
            continue
        drop.add(i)
    if drop:
        an.sources = [x for i, x in enumerate(an.sources) if i not in drop]


def html_inputs(an: _Analyser) -> None:
    """Posted values of HTML server controls, as ``TextBox.Text`` is one: ``x.Value`` of an
    ``<input runat="server" id="x">`` (text, hidden, password; not a button, box or file),
    ``<textarea runat="server">``, ``<select runat="server">``, ``<asp:HiddenField>``, or of a field
    declared ``HtmlInputText``/``HtmlInputHidden``/``HtmlInputPassword``/``HtmlTextArea``/``HtmlSelect``/
    ``HiddenField`` (a code-behind's designer fields)."""
    if ".Value" not in an.code and ".value" not in an.code.lower() and "Inner" not in an.code:
        return
    ids: set[str] = set()
    if an.page and "runat" in an.page.lower():
        for m in _HTML_INPUT_TAG.finditer(an.page):
            tag = m.group(0)
            if not _RUNAT_SERVER.search(tag):
                continue
            kind = _INPUT_TYPE.search(tag)
            if (
                m.group(1).lower() == "input"
                and kind is not None
                and kind.group(1).lower() not in _POSTED_TYPES
            ):
                continue
            ident = _TAG_ID.search(tag)
            if ident is not None:
                ids.add(ident.group(1))
    ids.update(m.group(1) or m.group(2) for m in _HTML_INPUT_FIELD.finditer(an.code))
    ids = {i for i in ids if an.fold(i) not in an.keywords}
    if not ids or len(ids) > 200:
        return
    control = next((s for s in an.know.sources if s.kind == "control"), None)
    if control is None:
        return
    flags = re.I if an.lang == "vb" else 0
    pat = re.compile(
        r"(?<![\w.])(?:"
        + "|".join(map(re.escape, sorted(ids)))
        + r")\s*\.\s*(?:Value|InnerText|InnerHtml)\b",
        flags,
    )
    for m in pat.finditer(an.code):
        an.sources.append((m.start(), m.end(), control))


def request_aliases(an: _Analyser) -> None:
    """The request object under another name (``HttpRequest r = Request;``, a parameter typed
    ``HttpRequestBase``): its values and body are the request's, however it is read."""
    flags = re.I if an.lang == "vb" else 0
    names = {
        m.group(1) or m.group(2)
        for m in _REQUEST_ALIAS[an.lang].finditer(an.code)
        if (m.group(1) or m.group(2)) and an.fold(m.group(1) or m.group(2)) not in an.keywords
    }
    names.discard("Request")
    if not names or len(names) > 20:
        return
    value = next((s for s in an.know.sources if s.kind == "value"), None)
    body = next((s for s in an.know.sources if s.kind == "body"), None)
    alt = "|".join(re.escape(n) for n in sorted(names))
    pat = re.compile(
        r"(?<![\w.])(?:"
        + alt
        + r")\s*(?:\.\s*(?:(Form|QueryString|Params|Item|Headers|Cookies|ServerVariables|"
        r"Unvalidated|UserAgent|UrlReferrer)|(Files|InputStream|BinaryRead|GetBufferlessInputStream|"
        r"GetBufferedInputStream))\b|\s*\[)",
        flags,
    )
    for m in pat.finditer(an.code):
        src = body if m.group(2) else value
        if src is not None:
            an.sources.append((m.start(), m.end(), src))
