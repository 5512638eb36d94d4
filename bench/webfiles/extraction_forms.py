"""Server code in every form the ASP.NET page parser accepts: does the behaviour analysis find it?
(issue 14, helper X10).

A Godzilla handler written ``<%@ Language="C#" Class="H" %>`` (no directive name: ASP.NET reads a
nameless directive as the file type's main one) got no code analysed at all. This generator takes a
few harmless behaviours (a request value reaching a process start, a file write, SQL text, an assembly
load, an outbound request, JScript ``eval``, VB ``Shell``-free process start; targets ``hostname``,
``example.txt``) and re-spells ONLY their containers - directives and code blocks - in each form
System.Web accepts, each page with a benign twin (the request value replaced by a literal).

The forms and where ASP.NET's behaviour comes from (.NET Framework 4.x reference source, MIT, read
for facts; Microsoft Learn "Directives for ASP.NET Web Pages" and "Migrating ASP pages"):

* TemplateParser (pages, controls, masters): ``DirectiveRegex`` ``<%\\s*@`` then attributes
  ``name``, ``name="v"``, ``name='v'``, ``name=v``; a first attribute without ``=`` is the directive
  name, none means the main directive (docs: "ASP.NET treats any directive block that does not contain
  an explicit directive name as an @ Page directive ... or @ Control"); quoted values may hold ``%``
  and ``%>``; every attribute value is HTML-decoded (``ProcessAttributes``: ``HttpUtility.HtmlDecode``);
  directives may be anywhere; ``<%-- --%>`` is skipped even inside ``<script runat=server>`` (the
  comment regex runs before the in-script check), so a comment can split a token there; ``<%=``
  (also ``<% =``), ``<%:``, ``<%#``, ``<%#:`` are code; ``<script>`` is a ``TagRegex`` tag whose quoted
  attribute values may hold ``>``, server when its ``runat`` value (decoded) equals ``server`` in any
  case; ``<!-- #include -->`` inside a server script is an error; HTML comments are not special.
* SimpleWebHandlerParser (``.ashx``, ``.asmx``): ``SimpleDirectiveRegex`` (not anchored) over the
  file: text before a directive is skipped, every directive (main or ``Assembly``) is read, the code
  is everything after the last one; values are not HTML-decoded.

Checked as REJECTED by ASP.NET (the extractor must not take them, measured as twins of a kind):
``< %`` (no tag), ``runat="server "``/``runat=servers`` (``Runat_can_only_be_server``), ``x-runat``.

Cross-file forms (code from another file: ``<script runat=server src=>``, ``<%@ Assembly Src=>``,
``CodeFile=``/``Src=`` on a nameless directive, ``<!-- #include file|virtual= -->``) are listed by
``extract.references``; they are counted separately (the referenced file is not in the page).

Usage (from the repo root):
    .venv/bin/python bench/webfiles/extraction_forms.py [--list] [--show FORM]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache

from extriage.detections.webfiles import content
from extriage.detections.webfiles.behaviour import analyse, knowledge


@dataclass(frozen=True)
class Seed:
    """One harmless behaviour: ``stmt`` holds ``{v}`` where the request value goes."""

    name: str
    lang: str  # cs | vb | js
    stmt: str
    expr: str = ""  # the same as an expression with a value (for <%= %>), if it has one


SEEDS = [
    Seed("cs-process", "cs", 'System.Diagnostics.Process.Start("hostname", {v});',
         'System.Diagnostics.Process.Start("hostname", {v})'),
    Seed("cs-file-write", "cs", 'System.IO.File.WriteAllText({v}, "example");'),
    Seed("cs-sql-text", "cs", "new System.Data.SqlClient.SqlCommand({v}).ExecuteNonQuery();",
         "new System.Data.SqlClient.SqlCommand({v}).ExecuteNonQuery()"),
    Seed("cs-assembly-load", "cs",
         "System.Reflection.Assembly.Load(System.Convert.FromBase64String({v})).CreateInstance(\"X\");",
         "System.Reflection.Assembly.Load(System.Convert.FromBase64String({v})).CreateInstance(\"X\")"),
    Seed("cs-reflected-load", "cs",
         'typeof(System.Reflection.Assembly).GetMethod("Load", new System.Type[] { typeof(byte[]) })'
         ".Invoke(null, new object[] { System.Convert.FromBase64String({v}) });"),
    Seed("cs-http-out", "cs", "new System.Net.WebClient().DownloadString({v});",
         "new System.Net.WebClient().DownloadString({v})"),
    Seed("vb-process", "vb", 'System.Diagnostics.Process.Start("hostname", {v})',
         'System.Diagnostics.Process.Start("hostname", {v})'),
    Seed("vb-file-write", "vb", 'System.IO.File.WriteAllText({v}, "example")'),
    Seed("js-eval", "js", 'eval({v}, "unsafe");', 'eval({v}, "unsafe")'),
]  # fmt: skip

LANG_WORD = {"cs": "C#", "vb": "VB", "js": "JScript"}
#: The request value in a page and in a handler/service; the twin's literal.
REQ = {"cs": 'Request.Form["p"]', "vb": 'Request.Form("p")', "js": 'Request.Form["p"]'}
CTX_REQ = {
    "cs": 'context.Request.Form["p"]',
    "vb": 'context.Request.Form("p")',
    "js": 'context.Request.Form["p"]',
}
SVC_REQ = {
    "cs": 'HttpContext.Current.Request.Form["p"]',
    "vb": 'HttpContext.Current.Request.Form("p")',
    "js": 'HttpContext.Current.Request.Form["p"]',
}
LIT = '"example.txt"'


def _page_load(lang: str, body: str) -> str:
    if lang == "vb":
        return f"Sub Page_Load(sender As Object, e As EventArgs)\n{body}\nEnd Sub"
    if lang == "js":
        return f"function Page_Load(sender : Object, e : EventArgs) {{\n{body}\n}}"
    return f"void Page_Load(object sender, EventArgs e)\n{{\n{body}\n}}"


def _handler(lang: str, body: str) -> str:
    if lang == "vb":
        return (
            "Imports System\nImports System.Web\nPublic Class H : Implements IHttpHandler\n"
            f"Public Sub ProcessRequest(context As HttpContext) Implements IHttpHandler.ProcessRequest\n{body}\n"
            "End Sub\nPublic ReadOnly Property IsReusable As Boolean Implements IHttpHandler.IsReusable\n"
            "Get\nReturn False\nEnd Get\nEnd Property\nEnd Class"
        )
    if lang == "js":
        return (
            "import System;\nimport System.Web;\nclass H implements IHttpHandler {\n"
            f"function ProcessRequest(context : HttpContext) {{\n{body}\n}}\n"
            "function get IsReusable() : Boolean { return false; }\n}"
        )
    return (
        "using System;\nusing System.Web;\npublic class H : IHttpHandler {\n"
        f"public void ProcessRequest(HttpContext context) {{\n{body}\n}}\n"
        "public bool IsReusable { get { return false; } }\n}"
    )


def _service(lang: str, body: str) -> str:
    if lang == "vb":
        return (
            "Imports System\nImports System.Web\nImports System.Web.Services\nPublic Class S : Inherits WebService\n"
            f'<WebMethod()> Public Function Run() As String\n{body}\nReturn ""\nEnd Function\nEnd Class'
        )
    if lang == "js":
        return (
            "import System;\nimport System.Web;\nimport System.Web.Services;\nclass S extends WebService {\n"
            f'WebMethodAttribute function Run() : String {{\n{body}\nreturn "";\n}}\n}}'
        )
    return (
        "using System;\nusing System.Web;\nusing System.Web.Services;\npublic class S : WebService {\n"
        f'[WebMethod] public string Run() {{\n{body}\nreturn "";\n}}\n}}'
    )


# A form: (name, extension, render(seed, value) -> page text or None when it does not apply, encoding)
Render = Callable[[Seed, str], "str | None"]


def _script_page(
    directive: str, open_tag: str = '<script runat="server">', close: str = "</script>"
) -> Render:
    def render(s: Seed, v: str) -> str:
        code = _page_load(s.lang, s.stmt.replace("{v}", v))
        return f"{directive}\n<html><body>\n{open_tag}\n{code}\n{close}\n</body></html>"

    return render


def _d(fmt: str) -> Callable[[Seed], str]:
    return lambda s: fmt.replace("{L}", LANG_WORD[s.lang])


def _with_dir(fmt: str, tag: str = '<script runat="server">', close: str = "</script>") -> Render:
    def render(s: Seed, v: str) -> str:
        return _script_page(_d(fmt)(s), tag, close)(s, v)

    return render


def _inline(directive: str, block: Callable[[str], str]) -> Render:
    def render(s: Seed, v: str) -> str:
        head = directive.replace("{L}", LANG_WORD[s.lang])
        return f"{head}\n<html><body>\n{block(s.stmt.replace('{v}', v))}\n</body></html>"

    return render


def _expr(open_: str, close: str = "%>", wrap: str = "{}") -> Render:
    def render(s: Seed, v: str) -> str | None:
        if not s.expr:
            return None
        block = wrap.format(f"{open_} {s.expr.replace('{v}', v)} {close}")
        return f'<%@ Page Language="{LANG_WORD[s.lang]}" %>\n<html><body>\n{block}\n</body></html>'

    return render


def _split(s: Seed, v: str, word: str) -> str | None:
    """The statement with a server comment inside ``word`` (ASP.NET removes it in a script block)."""
    stmt = s.stmt.replace("{v}", v)
    if word not in stmt:
        return None
    cut = len(word) // 2
    return stmt.replace(word, word[:cut] + "<%-- x --%>" + word[cut:], 1)


def _comment_split(word: str, newline: bool = False) -> Render:
    def render(s: Seed, v: str) -> str | None:
        stmt = _split(s, v, word)
        if stmt is None:
            return None
        if newline:
            stmt = stmt.replace("<%-- x --%>", "<%-- x\n --%>")
        code = _page_load(s.lang, stmt)
        return f'<%@ Page Language="{LANG_WORD[s.lang]}" %>\n<script runat="server">\n{code}\n</script>'

    return render


def _handler_form(head: str, ext: str = ".ashx", tail: str = "") -> Render:
    def render(s: Seed, v: str) -> str:
        value = v if v == LIT else (CTX_REQ if ext == ".ashx" else SVC_REQ)[s.lang]
        body = s.stmt.replace("{v}", value)
        code = _handler(s.lang, body) if ext == ".ashx" else _service(s.lang, body)
        cls = "H" if ext == ".ashx" else "S"
        return head.replace("{L}", LANG_WORD[s.lang]).replace("{C}", cls) + tail + "\n" + code

    return render


PAGE = '<%@ Page Language="{L}" %>'


def _local(name: str) -> Render:
    """The request value carried by a local with a non-ASCII name (the form legacy code pages break)."""

    def render(s: Seed, v: str) -> str:
        decl = {
            "cs": f"string {name} = {v};",
            "vb": f"Dim {name} As String = {v}",
            "js": f"var {name} = {v};",
        }
        code = _page_load(s.lang, decl[s.lang] + "\n" + s.stmt.replace("{v}", name))
        return f'<%@ Page Language="{LANG_WORD[s.lang]}" %>\n<script runat="server">\n{code}\n</script>'

    return render


def _object_tag(after: bool) -> Render:
    """A shell object declared in markup (``<object runat="server" progid=...>``) and driven by code;
    one page per language (the seed's behaviour is replaced by the object's ``Run``)."""

    def render(s: Seed, v: str) -> str | None:
        if s.name not in ("cs-process", "vb-process", "js-eval"):
            return None
        tag = '<object id="sh" runat="server" progid="WScript.Shell"></object>'
        code = _page_load(s.lang, f"sh.Run({v}){';' if s.lang != 'vb' else ''}")
        script = f'<script runat="server">\n{code}\n</script>'
        body = f"{script}\n{tag}" if after else f"{tag}\n{script}"
        return f'<%@ Page Language="{LANG_WORD[s.lang]}" %>\n{body}'

    return render


FORMS: list[tuple[str, str, Render]] = [
    # --- baselines
    ("page-baseline", ".aspx", _with_dir(PAGE)),
    ("local-cjk", ".aspx", _local("命令")),
    ("local-cyrillic", ".aspx", _local("команда")),
    ("handler-baseline", ".ashx", _handler_form('<%@ WebHandler Language="{L}" Class="{C}" %>')),
    ("service-baseline", ".asmx", _handler_form('<%@ WebService Language="{L}" Class="{C}" %>', ".asmx")),
    # --- directives (TemplateParser)
    ("dir-nameless-page", ".aspx", _with_dir('<%@ Language="{L}" %>')),
    ("dir-nameless-debug", ".aspx", _with_dir('<%@ Language="{L}" Debug="true" %>')),
    ("dir-nameless-control", ".ascx", _with_dir('<%@ Language="{L}" %>')),
    ("dir-nameless-master", ".master", _with_dir('<%@ Language="{L}" %>')),
    ("dir-nameless-asp-style", ".aspx", _with_dir("<%@LANGUAGE={L}%>")),
    ("dir-nameless-inline", ".aspx", _inline('<%@ Language="{L}" %>', lambda c: f"<%\n{c}\n%>")),
    ("dir-no-space", ".aspx", _with_dir('<%@Page Language="{L}"%>')),
    ("dir-space-before-at", ".aspx", _with_dir("<% @Page language={L} %>")),
    ("dir-upper-unquoted", ".aspx", _with_dir("<%@ PAGE LANGUAGE={L} %>")),
    ("dir-single-quotes", ".aspx", _with_dir("<%@ Page Language='{L}' %>")),
    ("dir-newlines-tabs", ".aspx", _with_dir('<%@\tPage\n\tLanguage\n\t=\n\t"{L}"\n%>')),
    ("dir-percent-in-value", ".aspx", _with_dir('<%@ Page Language="{L}" Description="100% safe" %>')),
    ("dir-close-in-value", ".aspx", _with_dir('<%@ Page Description="a %> b" Language="{L}" %>')),
    ("dir-html-entity-language", ".aspx",
     lambda s, v: _with_dir('<%@ Page Language="' + "".join(f"&#{ord(c)};" for c in LANG_WORD[s.lang]) + '" %>')(s, v)),
    ("dir-after-imports-and-markup", ".aspx",
     _with_dir('<%@ Import Namespace="System.IO" %>\n<html><head><title>x</title></head>\n<%@ Page Language="{L}" %>')),
    ("dir-main-after-code", ".aspx",
     lambda s, v: _script_page("")(s, v) + f'\n<%@ Page Language="{LANG_WORD[s.lang]}" %>'),
    ("dir-nameless-global-asax", ".asax", _with_dir('<%@ Language="{L}" %>')),
    ("dir-comment-before-main", ".aspx", _with_dir('<%-- <%@ Page Language="VB" %> --%>\n<%@ Page Language="{L}" %>')),
    # --- code containers (TemplateParser)
    ("script-unquoted-runat", ".aspx", _with_dir(PAGE, "<script runat=server>")),
    ("script-upper", ".aspx", _with_dir(PAGE, '<SCRIPT RUNAT="SERVER">', "</SCRIPT>")),
    ("script-spaced-single", ".aspx", _with_dir(PAGE, "<script runat = 'server' >", "</script >")),
    ("script-tag-over-lines", ".aspx", _with_dir(PAGE, '<script\n  type="text/x"\n  runat="server"\n>')),
    ("script-entity-runat", ".aspx", _with_dir(PAGE, '<script runat="&#115;erver">')),
    ("script-hex-entity-runat", ".aspx", _with_dir(PAGE, '<script runat="ser&#x76;er">')),
    ("script-quoted-gt", ".aspx", _with_dir(PAGE, '<script title="a>b" runat="server">')),
    ("script-language-entity", ".aspx",
     lambda s, v: _with_dir("", '<script language="' + "".join(f"&#{ord(c)};" for c in LANG_WORD[s.lang])
                            + '" runat="server">')(s, v)),
    ("script-in-html-comment", ".aspx", _with_dir(PAGE, '<!-- <script runat="server">', "</script> -->")),
    ("script-close-in-comment", ".aspx",
     lambda s, v: _with_dir(PAGE)(s, v).replace('<script runat="server">\n', '<script runat="server">\n<%-- </script> --%>\n')),
    ("comment-splits-sink", ".aspx", _comment_split("Start")),
    ("comment-splits-sink-over-lines", ".aspx", _comment_split("Start", newline=True)),
    ("comment-splits-request", ".aspx", _comment_split("Request")),
    ("comment-splits-writer", ".aspx", _comment_split("WriteAllText")),
    ("comment-splits-eval", ".aspx", _comment_split("eval")),
    ("comment-splits-load", ".aspx", _comment_split("Load")),
    ("inline-block", ".aspx", _inline(PAGE, lambda c: f"<%\n{c}\n%>")),
    ("inline-in-html-comment", ".aspx", _inline(PAGE, lambda c: f"<!-- <% {c} %> -->")),
    ("expr-block", ".aspx", _expr("<%=")),
    ("expr-block-spaced", ".aspx", _expr("<% =")),
    ("expr-encoded", ".aspx", _expr("<%:")),
    ("expr-databinding", ".aspx", _expr("<%#")),
    ("expr-databinding-encoded", ".aspx", _expr("<%#:")),
    ("expr-in-control-attribute", ".aspx",
     _expr("<%#", wrap="<asp:Label ID=\"L\" runat=\"server\" Text='{}' />")),
    ("object-tag-progid", ".aspx", _object_tag(False)),
    ("object-tag-progid-after-code", ".aspx", _object_tag(True)),
    # --- handlers and services (SimpleWebHandlerParser)
    ("handler-nameless", ".ashx", _handler_form('<%@ Language="{L}" Class="{C}" %>')),
    ("service-nameless", ".asmx", _handler_form('<%@ Language="{L}" Class="{C}" %>', ".asmx")),
    ("handler-nameless-no-language", ".ashx",
     lambda s, v: None if s.lang != "cs" else _handler_form('<%@ Class="{C}" %>')(s, v)),
    ("handler-text-before-directive", ".ashx",
     _handler_form('GIF89a\x01\x00\x01\x00<html>\n<%@ WebHandler Language="{L}" Class="{C}" %>')),
    ("handler-assembly-after", ".ashx",
     _handler_form('<%@ WebHandler Language="{L}" Class="{C}" %>', tail='\n<%@ Assembly Name="System.Data" %>')),
    ("handler-assembly-before", ".ashx",
     _handler_form('<%@ Assembly Name="System.Data" %>\n<%@ WebHandler Language="{L}" Class="{C}" %>')),
    ("handler-nameless-assembly-after", ".ashx",
     _handler_form('<%@ Language="{L}" Class="{C}" %>', tail='<%@ Assembly Name="System.Data" %>')),
    ("handler-directive-over-lines", ".ashx", _handler_form('<%@ WebHandler\n Language="{L}"\n Class="{C}"\n%>')),
    ("handler-no-space-upper", ".ashx", _handler_form('<%@WEBHANDLER LANGUAGE={L} CLASS={C}%>')),
    ("handler-space-before-at", ".ashx", _handler_form("<% @ WebHandler Language='{L}' Class='{C}' %>")),
    ("handler-percent-in-value", ".ashx",
     _handler_form('<%@ WebHandler Language="{L}" Class="{C}" Description="100%" %>')),
    ("service-text-before-directive", ".asmx",
     _handler_form('<html>\n<%@ WebService Language="{L}" Class="{C}" %>', ".asmx")),
]  # fmt: skip

#: Text encodings .NET's StreamReader detects from a byte order mark (how ASP.NET reads a file).
ENCODINGS: list[tuple[str, str, bytes]] = [
    ("utf-8-bom", "utf-8", b"\xef\xbb\xbf"),
    ("utf-16-le-bom", "utf-16-le", b"\xff\xfe"),
    ("utf-16-be-bom", "utf-16-be", b"\xfe\xff"),
    ("utf-32-le-bom", "utf-32-le", b"\xff\xfe\x00\x00"),
]
ENCODED_FORMS = ("page-baseline", "handler-baseline", "handler-nameless", "dir-nameless-page", "local-cjk")
#: Pages with no byte order mark are read in the code page ``<globalization fileEncoding>`` names
#: (Microsoft Learn, GlobalizationSection.FileEncoding): a GBK/Shift-JIS/Big5/Windows-1251 page runs on a
#: site configured so, its non-ASCII identifiers intact.
LEGACY: list[tuple[str, str, str]] = [
    ("gbk", "gbk", "local-cjk"),
    ("shift-jis", "shift_jis", "local-cjk"),
    ("big5", "big5", "local-cjk"),
    ("windows-1251", "cp1251", "local-cyrillic"),
    ("koi8-r", "koi8_r", "local-cyrillic"),
]

#: Forms ASP.NET rejects (the page fails to compile): the extractor should find no code in them.
REJECTED: list[tuple[str, str, Render]] = [
    ("rejected-space-in-open", ".aspx",
     lambda s, v: _script_page("")(s, v).replace('<script runat="server">', "< %").replace("</script>", "% >")),
    ("rejected-runat-trailing-space", ".aspx", _with_dir("", '<script runat="server ">')),
    ("rejected-runat-servers", ".aspx", _with_dir("", "<script runat=servers>")),
    ("rejected-prefixed-runat", ".aspx", _with_dir("", '<script x-runat="server">')),
    ("rejected-script-in-server-comment", ".aspx", _with_dir("", '<%-- <script runat="server">', "</script> --%>")),
    ("rejected-client-object-tag", ".aspx",
     lambda s, v: (r := _object_tag(False)(s, v)) and r.replace('runat="server" progid', "progid")
     .replace('<script runat="server">', "<script>")),
    ("rejected-nameless-svc", ".svc", _handler_form('<%@ Language="{L}" Service="{C}" %>')),
]  # fmt: skip


@dataclass(frozen=True)
class Case:
    form: str
    seed: str
    ext: str
    page: bytes
    twin: bytes


def _encode(text: str, encoding: str, mark: bytes) -> bytes:
    return mark + text.encode(encoding)


def cases(forms: list[tuple[str, str, Render]] | None = None) -> Iterator[Case]:
    """Every seed in every form that applies to it (and the encoded baselines)."""
    for form, ext, render in forms if forms is not None else FORMS:
        for seed in SEEDS:
            page = render(seed, REQ[seed.lang])
            twin = render(seed, LIT)
            if page is None or twin is None:
                continue
            yield Case(form, seed.name, ext, page.encode("utf-8"), twin.encode("utf-8"))
    if forms is not None:
        return
    by_name = {f: (e, r) for f, e, r in FORMS}
    for enc_name, encoding, mark in ENCODINGS:
        for form in ENCODED_FORMS:
            ext, render = by_name[form]
            for seed in SEEDS:
                page, twin = render(seed, REQ[seed.lang]), render(seed, LIT)
                if page is None or twin is None:
                    continue
                yield Case(f"{enc_name}:{form}", seed.name, ext, _encode(page, encoding, mark),
                           _encode(twin, encoding, mark))  # fmt: skip
    for enc_name, encoding, form in LEGACY:
        ext, render = by_name[form]
        for seed in SEEDS:
            page, twin = render(seed, REQ[seed.lang]), render(seed, LIT)
            if page is None or twin is None:
                continue
            yield Case(f"{enc_name}:{form}", seed.name, ext, page.encode(encoding), twin.encode(encoding))


@cache
def _traced() -> frozenset[str]:
    """Sinks that need request input to fire (the taint engine's work, not a spelling alone)."""
    return frozenset(s.id for s in knowledge().sinks if s.needs not in ("none", "whole"))


def as_scanned(data: bytes) -> bytes:
    """The bytes the scan gives the behaviour analysis: wide text decoded to UTF-8 (content.py)."""
    return content._as_text(data, content.sniff(data[:4096]))


def found(data: bytes, ext: str) -> list[str]:
    """Sinks reached by request input on a page, as the scan's behaviour analysis reports them."""
    hits = analyse(as_scanned(data), ext, budget=10.0).hits
    return sorted({h["sink"] for h in hits} & _traced())


def any_code(data: bytes, ext: str) -> bool:
    """Whether any server code is extracted (for forms ASP.NET rejects)."""
    from extriage.detections.webfiles.behaviour import extract

    text = as_scanned(data).decode("utf-8", errors="replace")
    return any("".join(b).strip() for b in extract(text, ext).code.values())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--list", action="store_true", help="print every missed page and flagged twin")
    ap.add_argument("--show", help="print the first page of this form and seed (FORM or FORM/SEED)")
    args = ap.parse_args()
    if args.show:
        form, _, seed = args.show.partition("/")
        for c in cases(FORMS + REJECTED):
            if c.form == form and (not seed or c.seed == seed):
                sys.stdout.write(c.page.decode("utf-8", errors="replace") + "\n")
                return
        for c in cases():
            if c.form == form and (not seed or c.seed == seed):
                sys.stdout.write(repr(c.page) + "\n")
                return
        return
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # found, total, twins flagged
    missed: list[str] = []
    twins: list[str] = []
    for c in cases():
        hit = found(c.page, c.ext)
        fp = found(c.twin, c.ext)
        row = per[c.form]
        row[0] += bool(hit)
        row[1] += 1
        row[2] += bool(fp)
        if not hit:
            missed.append(f"{c.form} {c.seed}")
        if fp:
            twins.append(f"{c.form} {c.seed} {fp}")
    total = [0, 0, 0]
    print(f"{'form':44} found/total  twins")
    for form, (f, t, fp) in per.items():
        total = [total[0] + f, total[1] + t, total[2] + fp]
        mark = "" if f == t else "  <-- missed"
        print(f"{form:44} {f:3}/{t:<3}      {fp}{mark}")
    print(f"{'all':44} {total[0]:3}/{total[1]:<3}      {total[2]}")
    forms_full = sum(1 for f, t, _ in per.values() if f == t)
    print(f"forms fully found: {forms_full}/{len(per)}")
    rejected = [(c.form, c.seed) for c in cases(REJECTED) if any_code(c.page, c.ext)]
    print(f"rejected forms with code extracted: {len(rejected)}/{sum(1 for _ in cases(REJECTED))}")
    if args.list:
        for m in missed:
            print("missed:", m)
        for t_ in twins:
            print("twin flagged:", t_)
        for r in rejected:
            print("rejected but extracted:", *r)


if __name__ == "__main__":
    main()
