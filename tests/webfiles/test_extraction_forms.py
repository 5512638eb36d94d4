"""Server code is found in every form the ASP.NET page parser accepts (issue 14, helper X10).

A Godzilla handler written ``<%@ Language="C#" Class="H" %>`` - a directive with no name, which
ASP.NET reads as the file type's main directive - had no code analysed at all. Each page below is a
harmless reproduction written for these tests (targets ``hostname``, ``example.txt``; nothing is
compiled or run): one behaviour, its directive or code container spelled in one form System.Web
accepts (facts from the .NET Framework reference source: TemplateParser, SimpleWebHandlerParser,
System.Web.RegularExpressions; Microsoft Learn "Directives for ASP.NET Web Pages"). Each has a benign
twin (the request value replaced by a literal) that must stay unflagged, and forms ASP.NET rejects
must yield no code. ``bench/webfiles/extraction_forms.py`` measures the same forms at scale.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extriage.cli.main import _register, app
from extriage.detections.webfiles import content
from extriage.detections.webfiles.behaviour import analyse, extract
from extriage.detections.webfiles.behaviour.extract import directives, references

from .rule_tables import sinks_of as _sinks

CS_STMT = 'System.Diagnostics.Process.Start("hostname", {v});'
VB_STMT = 'System.IO.File.WriteAllText({v}, "example")'
JS_STMT = 'eval({v}, "unsafe");'
LOADER = (
    'typeof(System.Reflection.Assembly).GetMethod("Load", new System.Type[] { typeof(byte[]) })'
    ".Invoke(null, new object[] { System.Convert.FromBase64String({v}) });"
)
REQ = {"cs": 'Request.Form["p"]', "vb": 'Request.Form("p")', "js": 'Request.Form["p"]'}
LIT = '"example.txt"'


def _page(directive: str, stmt: str, lang: str, tag: str = '<script runat="server">', v: str = "") -> str:
    value = v or REQ[lang]
    body = stmt.replace("{v}", value)
    if lang == "vb":
        code = f"Sub Page_Load(sender As Object, e As EventArgs)\n{body}\nEnd Sub"
    elif lang == "js":
        code = f"function Page_Load(sender : Object, e : EventArgs) {{\n{body}\n}}"
    else:
        code = f"void Page_Load(object sender, EventArgs e)\n{{\n{body}\n}}"
    return f"{directive}\n<html><body>\n{tag}\n{code}\n</script>\n</body></html>"


def _handler(head: str, stmt: str, v: str = 'context.Request.Form["p"]') -> str:
    return (
        f"{head}\nusing System;\nusing System.Web;\npublic class H : IHttpHandler {{\n"
        f"public void ProcessRequest(HttpContext context) {{\n{stmt.replace('{v}', v)}\n}}\n"
        "public bool IsReusable { get { return false; } }\n}"
    )


def _vb_handler(head: str, v: str = 'context.Request.Form("p")') -> str:
    return (
        f"{head}\nImports System\nImports System.Web\nPublic Class H : Implements IHttpHandler\n"
        "Public Sub ProcessRequest(context As HttpContext) Implements IHttpHandler.ProcessRequest\n"
        f'Dim p As String = {v}\nShell("hostname " & p)\nEnd Sub\n'
        "Public ReadOnly Property IsReusable As Boolean Implements IHttpHandler.IsReusable\n"
        "Get\nReturn False\nEnd Get\nEnd Property\nEnd Class"
    )


def _entities(word: str) -> str:
    return "".join(f"&#{ord(c)};" for c in word)


def _split(stmt: str, word: str, comment: str = "<%-- x --%>") -> str:
    cut = len(word) // 2
    return stmt.replace(word, word[:cut] + comment + word[cut:], 1)


# (id, extension, page with the request value, the same with a literal, sink)
FORMS: list[tuple[str, str, str, str, str]] = [
    # a nameless directive is the extension's main one (TemplateParser: Page/Control/Master)
    ("nameless-page-jscript", ".aspx", _page('<%@ Language="JScript" %>', JS_STMT, "js"),
     _page('<%@ Language="JScript" %>', JS_STMT, "js", v=LIT), "eval"),
    ("nameless-control-jscript", ".ascx", _page("<%@LANGUAGE=JScript%>", JS_STMT, "js"),
     _page("<%@LANGUAGE=JScript%>", JS_STMT, "js", v=LIT), "eval"),
    # ... and for handlers and services (SimpleWebHandlerParser: WebHandler/WebService)
    ("nameless-handler-loader", ".ashx", _handler('<%@ Language="C#" Class="H" %>', LOADER),
     _handler('<%@ Language="C#" Class="H" %>', LOADER, LIT), "reflection-invoke"),
    ("nameless-service", ".asmx", _handler('<%@ Language="C#" Class="H" %>', CS_STMT),
     _handler('<%@ Language="C#" Class="H" %>', CS_STMT, LIT), "process"),
    # no language: read as the code reads (a VB local declared with Dim is not C#)
    ("nameless-handler-no-language-vb", ".ashx", _vb_handler('<%@ Class="H" %>'),
     _vb_handler('<%@ Class="H" %>', LIT), "process"),
    # a handler's code follows its last directive; text before the first is skipped
    ("handler-text-before-and-assembly-after", ".ashx",
     _handler('GIF89a<html>\n<%@ Language="C#" Class="H" %><%@ Assembly Name="System.Data" %>', CS_STMT),
     _handler('GIF89a<html>\n<%@ Language="C#" Class="H" %><%@ Assembly Name="System.Data" %>', CS_STMT, LIT),
     "process"),
    # quoted directive values may hold % and %>
    ("handler-percent-in-value", ".ashx",
     _handler('<%@ WebHandler Language="C#" Class="H" Description="100%" %>', CS_STMT),
     _handler('<%@ WebHandler Language="C#" Class="H" Description="100%" %>', CS_STMT, LIT), "process"),
    ("page-close-in-value-jscript", ".aspx", _page('<%@ Page Description="a %> b" Language="JScript" %>', JS_STMT, "js"),
     _page('<%@ Page Description="a %> b" Language="JScript" %>', JS_STMT, "js", v=LIT), "eval"),
    # TemplateParser HTML-decodes every attribute value
    ("page-language-entities", ".aspx", _page(f'<%@ Page Language="{_entities("JScript")}" %>', JS_STMT, "js"),
     _page(f'<%@ Page Language="{_entities("JScript")}" %>', JS_STMT, "js", v=LIT), "eval"),
    ("script-runat-entities", ".aspx", _page("", CS_STMT, "cs", '<script runat="&#115;er&#x76;er">'),
     _page("", CS_STMT, "cs", '<script runat="&#115;er&#x76;er">', LIT), "process"),
    # a quoted tag attribute value may hold '>'
    ("script-quoted-gt", ".aspx", _page("", VB_STMT, "vb", '<script title="a>b" runat="server" language="VB">'),
     _page("", VB_STMT, "vb", '<script title="a>b" runat="server" language="VB">', LIT), "file-write"),
    # ASP.NET removes server comments inside a script block: a comment can split a token
    ("comment-splits-sink", ".aspx", _page('<%@ Page Language="C#" %>', _split(CS_STMT, "Start"), "cs"),
     _page('<%@ Page Language="C#" %>', _split(CS_STMT, "Start"), "cs", v=LIT), "process"),
    ("script-close-in-comment", ".aspx",
     _page('<%@ Page Language="C#" %>', "<%-- </script> --%>\n" + CS_STMT, "cs"),
     _page('<%@ Page Language="C#" %>', "<%-- </script> --%>\n" + CS_STMT, "cs", v=LIT), "process"),
    ("comment-over-lines-splits-eval", ".aspx",
     _page('<%@ Page Language="JScript" %>', _split(JS_STMT, "eval", "<%--\n--%>"), "js"),
     _page('<%@ Page Language="JScript" %>', _split(JS_STMT, "eval", "<%--\n--%>"), "js", v=LIT), "eval"),
]  # fmt: skip


def _object_page(lang: str, v: str, runat: str = ' runat="server"') -> str:
    end = "" if lang == "VB" else ";"
    return (
        f'<%@ Page Language="{lang}" %>\n<% sh.Run({v}){end} %>\n'
        f'<object id="sh"{runat} progid="WScript.Shell"></object>'
    )


# an object declared in markup (Microsoft Learn, "Server-Side Object Tag Syntax"): a page property
FORMS += [
    ("object-tag-progid", ".aspx", _object_page("C#", REQ["cs"]), _object_page("C#", LIT), "shell-object"),
    ("object-tag-progid-vb", ".aspx", _object_page("VB", REQ["vb"]), _object_page("VB", LIT), "shell-object"),
]


@pytest.mark.parametrize(("name", "ext", "page", "twin", "sink"), FORMS, ids=[f[0] for f in FORMS])
def test_form_is_found(name: str, ext: str, page: str, twin: str, sink: str) -> None:
    assert sink in _sinks(page, ext), name


@pytest.mark.parametrize(("name", "ext", "page", "twin", "sink"), FORMS, ids=[f[0] for f in FORMS])
def test_twin_is_not_flagged(name: str, ext: str, page: str, twin: str, sink: str) -> None:
    assert sink not in _sinks(twin, ext), name


def test_client_object_tag_is_not_a_server_object() -> None:
    page = _object_page("C#", REQ["cs"], runat="")
    assert "shell-object" not in _sinks(page, ".aspx")
    assert "Server.CreateObject" not in "".join(extract(page, ".aspx").code["cs"])


# Forms ASP.NET rejects (Runat_can_only_be_server; "< %" is text; "x-runat" is another attribute):
# no code to analyse.
REJECTED = [
    ('<script runat="server ">', ".aspx"),
    ("<script runat=servers>", ".aspx"),
    ('<script x-runat="server">', ".aspx"),
    ("< %", ".aspx"),
    ('<%-- <script runat="server">', ".aspx"),  # a server comment holds the whole script block
]


@pytest.mark.parametrize(("tag", "ext"), REJECTED, ids=[r[0] for r in REJECTED])
def test_rejected_form_has_no_code(tag: str, ext: str) -> None:
    page = _page("", CS_STMT, "cs", tag)
    if tag == "< %":
        page = page.replace("</script>", "% >")
    if tag.startswith("<%--"):
        page = page.replace("</script>", "</script> --%>")
    assert not any("".join(b).strip() for b in extract(page, ext).code.values())


def test_line_numbers_stay_the_files_when_a_comment_spans_lines() -> None:
    page = _page('<%@ Page Language="C#" %>', _split(CS_STMT, "Start", "<%--\n\n--%>"), "cs")
    hit = next(h for h in analyse(page.encode(), ".aspx").hits if h["sink"] == "process")
    assert hit["line"] == page.split("\n").index(next(x for x in page.split("\n") if "Process.St" in x)) + 1
    ex = extract(page, ".aspx")
    code = "".join(ex.code["cs"])
    # (the markup before the script block is one line break in the code; file_line maps it back)
    assert ex.file_line("cs", code.count("\n") + 1) == page[: page.index("</script>")].count("\n") + 1


def test_directives_are_read_as_aspnet_reads_them() -> None:
    text = (
        '<%@ Language="C#" Description="50% %> off" %>\n<% @Import namespace=System.IO %>'
        '<%-- <%@ Page Language=VB %> --%><% string s = "<%@ x %>"; %>'
    )
    found = directives(text)
    assert [(d.name, d.attrs) for d in found] == [
        ("", {"language": "C#", "description": "50% %> off"}),
        ("import", {"namespace": "System.IO"}),
    ]
    assert extract(text, ".aspx").directive == "page"
    assert extract('<%@ Class="H" %>\nx', ".ashx").directive == "webhandler"
    # WCF's ServiceParser wants the directive's name (Hosting_BuildProviderDirectiveNameMissing)
    assert extract('<%@ Language="C#" Service="S" %>\nclass S {}', ".svc").code == {}


def test_handler_code_is_what_follows_its_last_directive() -> None:
    """SimpleWebHandlerParser skips text before and between directives; the rest is the code."""
    text = 'GIF89a\n<%@ WebHandler Language="C#" Class="H" %>\nskipped text\n<%@ Assembly Name="System.Data" %>\nclass H {}'
    ex = extract(text, ".ashx")
    code = "".join(ex.code["cs"])
    assert code.strip() == "class H {}" and ex.file_line("cs", code.count("\n") + 1) == 5


def test_encoded_data_binding_is_code_without_its_colon() -> None:
    code = "".join(extract('<%@ Page Language="C#" %><%#: Eval("x") %>', ".aspx").code["cs"])
    assert code.strip() == 'Eval("x")'


def test_references_name_code_from_other_files() -> None:
    """Code ASP.NET takes from another file: the scan analyses those files with the page."""
    page = (
        '<%@ Language="C#" CodeFile="a.cs" Inherits="A" %>\n<%@ Assembly Src="b.cs" %>\n'
        '<%@ Reference Control="c.ascx" %>\n<script runat="server" src="d.txt" />\n'
        '<script src="client.js"></script>\n<!-- #include file="e.inc" -->\n<!--#INCLUDE virtual=\'/f.aspx\'-->'
    )
    assert references(page, ".aspx") == [
        ("codefile", "a.cs"), ("src", "b.cs"), ("reference", "c.ascx"), ("script", "d.txt"),
        ("include", "e.inc"), ("include", "/f.aspx"),
    ]  # fmt: skip
    assert references('<%@ Assembly Src="x.cs" %>\n<%@ WebHandler Class="H" %>', ".ashx") == [("src", "x.cs")]


def test_scan_follows_source_files_of_a_nameless_directive(tmp_path: Path) -> None:
    """The scan analyses the source files a page names; a nameless directive names them too."""
    assert content.code_refs(b'<%@ Language="C#" CodeFile="img/x.cs" Inherits="X" %>') == ["img/x.cs"]
    refs = content.code_refs(b'<%@ Assembly Src="img/y.cs" %>\n<script runat=server src="img/z.cs"></script>')
    assert refs == ["img/y.cs", "img/z.cs"]
    _register()
    site = tmp_path / "ev" / "C" / "inetpub" / "wwwroot" / "portal"
    (site / "img").mkdir(parents=True)
    (site / "Viewer.aspx").write_text(
        '<%@ Language="C#" Src="img/logo.cs" Inherits="Logo" %>\n', encoding="utf-8"
    )
    (site / "img" / "logo.cs").write_text(
        "public class Logo : System.Web.UI.Page {\n  protected void Page_Load(object s, System.EventArgs e) {\n"
        + CS_STMT.replace("{v}", REQ["cs"])
        + "\n  }\n}\n",
        encoding="utf-8",
    )
    out = tmp_path / "result.json"
    res = CliRunner().invoke(app, ["scan", str(tmp_path / "ev"), "-q", "-j", "1", "--json", str(out)])
    assert res.exit_code in (0, 3, 10, 20), res.output
    findings = json.loads(out.read_text(encoding="utf-8"))["findings"]
    sources = [
        str(e.get("source", "")) for f in findings if f["rule_id"].startswith("WF-") for e in f["evidence"]
    ]
    assert any(src.replace("\\", "/").endswith("img/logo.cs") for src in sources), sources


def test_bytes_of_a_legacy_code_page_stay_letters() -> None:
    """A GBK/Shift-JIS/Windows-1251 page (ASP.NET reads it in the configured fileEncoding): its
    non-ASCII names stay identifiers, distinct ones stay distinct, ASCII is unchanged."""
    from extriage.detections.webfiles.behaviour.extract import decode

    for name, other, enc in (
        ("命令", "参数", "gbk"),
        ("命令", "参数", "shift_jis"),
        ("команда", "строка", "cp1251"),
    ):
        text = decode(f'string {name} = Request["x"]; string {other} = "y";'.encode(enc))
        words = text.split()
        assert words[1].isidentifier() and words[5].isidentifier() and words[1] != words[5]
        assert words[0] == "string" and words[3] == 'Request["x"];'
    assert decode("ação".encode()) == "ação"


def test_hostile_script_blocks_stay_linear() -> None:
    """Unclosed server script blocks by the thousand (each once read to the end of the file, with its
    server comments): ASP.NET reads no tag inside a script block, nor does the extractor."""
    import time

    for unit in ("<script runat=server><%-- x --%>", "<object runat=server id=a progid=WScript.Shell>"):
        text = unit * (262144 // len(unit))
        start = time.process_time()
        extract(text, ".aspx")
        assert time.process_time() - start < 1.5, unit
