"""Shapes from the eighth unseen collection, shells printed in published text II (issue 14, helper X9).

Every shell of the collection was found on first sight (BENCHMARKS.md, "Unseen shells, eighth collection").
Two things are pinned here. First, the one gap the collection showed: a command page that fills a
``ProcessStartInfo`` from the request and starts it through a ``Process`` (``proc.StartInfo = info;
proc.Start()``) - the behaviour analysis does not follow that hand-over in C# or JScript, and the real
pages were found only because they also spell ``cmd``/``/c``; ``EXT_WEBSHELL_StartInfo_Request_Arguments``
(``data/rules/process_info_attach.yar``) matches the shape. Second, shapes that only the behaviour
analysis found (no YARA rule of ours, some not signature-base either), so a change that loses them shows.
All pages were written for these tests: nothing is compiled or run, the "commands" are placeholders, and
none of them is a copy of a published shell.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extriage.detections.webfiles import content

from .rule_tables import sink_found_test, yara_rules

# --- ProcessStartInfo filled from the request, attached to a Process, started there ------------------
RULE = "EXT_WEBSHELL_StartInfo_Request_Arguments"

SHELLS: list[tuple[str, str, str]] = [
    (
        # the published JScript page's shape: typed vars, arguments set after the hand-over
        "jscript-args-after-attach",
        ".aspx",
        '<%@ Page Language="Jscript" %><%var i=new System.Diagnostics.ProcessStartInfo("ex"+"ample");'
        "var p=new System.Diagnostics.Process();var o:System.IO.StreamReader;i.UseShellExecute=false;"
        'i.RedirectStandardOutput=true;p.StartInfo=i;i.Arguments="/k " + Request.Item["x"];p.Start();'
        "o=p.StandardOutput;Response.Write(o.ReadToEnd());%>",
    ),
    (
        "cs-script-args-before-attach",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Diagnostics" %>\n<script runat="server">\n'
        "void Page_Load(object sender, EventArgs ev) {\n"
        '    ProcessStartInfo i = new ProcessStartInfo("ex" + "ample");\n'
        '    i.Arguments = "/k " + Request.Form["x"];\n'
        "    i.UseShellExecute = false;\n"
        "    Process p = new Process();\n"
        "    p.StartInfo = i;\n"
        "    p.Start();\n}\n</script>",
    ),
    (
        "cs-handler-filename-from-request",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="H" %>\nusing System.Web;\n'
        "public class H : IHttpHandler {\n"
        "    public void ProcessRequest(HttpContext c) {\n"
        "        var i = new System.Diagnostics.ProcessStartInfo();\n"
        "        var p = new System.Diagnostics.Process();\n"
        "        p.StartInfo = i;\n"
        '        i.FileName = c.Request.QueryString["p"];\n'
        "        i.UseShellExecute = false;\n"
        "        p.Start();\n    }\n"
        "    public bool IsReusable { get { return false; } }\n}",
    ),
    (
        "vb-args-after-attach",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%\nDim i As New System.Diagnostics.ProcessStartInfo("ex" & "ample")\n'
        "Dim p As New System.Diagnostics.Process()\np.StartInfo = i\n"
        'i.Arguments = "/k " & Request.Form("x")\ni.UseShellExecute = False\np.Start()\n%>',
    ),
]

BENIGN: list[tuple[str, str, str]] = [
    (
        "fixed-arguments-report-tool",
        ".aspx",
        '<%@ Page Language="C#" %><%var i=new System.Diagnostics.ProcessStartInfo(Server.MapPath("~/bin/report.exe"));'
        'i.Arguments="/daily";var p=new System.Diagnostics.Process();p.StartInfo=i;p.Start();%>',
    ),
    (
        "configured-arguments",
        ".aspx",
        '<%@ Page Language="C#" %><%var i=new System.Diagnostics.ProcessStartInfo("report.exe");'
        'i.Arguments=System.Configuration.ConfigurationManager.AppSettings["reportArgs"];'
        "var p=new System.Diagnostics.Process();p.StartInfo=i;p.Start();%>",
    ),
    (
        "command-preview-never-started",
        ".aspx",
        '<%@ Page Language="C#" %><%var i=new System.Diagnostics.ProcessStartInfo("report.exe");'
        'i.Arguments="/for " + Request.QueryString["d"];var p=new System.Diagnostics.Process();p.StartInfo=i;'
        'preview.Text=i.FileName + " " + i.Arguments;%><asp:Label id="preview" runat="server" />',
    ),
    (
        "request-value-only-shown-beside-a-fixed-tool",
        ".aspx",
        '<%@ Page Language="C#" %><%var i=new System.Diagnostics.ProcessStartInfo("report.exe");'
        'i.WorkingDirectory=Server.MapPath("~/App_Data");i.Arguments="/daily";'
        'title.Text=Request.QueryString["d"];var p=new System.Diagnostics.Process();p.StartInfo=i;p.Start();%>'
        '<asp:Label id="title" runat="server" />',
    ),
]


@pytest.mark.parametrize(("case", "ext", "page"), SHELLS, ids=[s[0] for s in SHELLS])
def test_attached_start_info_shell_is_found(
    tmp_path: Path, params: content.ContentParams, case: str, ext: str, page: str
) -> None:
    assert RULE in yara_rules(tmp_path, f"{case}{ext}", page, params)


@pytest.mark.parametrize(("case", "ext", "page"), BENIGN, ids=[b[0] for b in BENIGN])
def test_ordinary_tool_page_is_not_flagged(
    tmp_path: Path, params: content.ContentParams, case: str, ext: str, page: str
) -> None:
    assert RULE not in yara_rules(tmp_path, f"{case}{ext}", page, params)


def test_rule_needs_a_server_page(tmp_path: Path, params: content.ContentParams) -> None:
    """A web server log quoting the same code is not a page: the rule stays silent."""
    log = "#Fields: date time cs-method cs-uri-stem\n2026-12-06 01:00:00 POST /x.aspx\n" + SHELLS[0][2]
    assert RULE not in yara_rules(tmp_path, "u_ex261206.log", log, params)


# --- shapes only the behaviour analysis found on first sight: keep them found --------------------------
BEHAVIOUR_ONLY: list[tuple[str, str, str, str]] = [
    (
        # JScript eval split over several <% %> blocks, unquoted short language name
        "jscript-eval-split-over-blocks",
        ".aspx",
        "eval",
        '<%@page Language=JS%><%eval%><%(Request.%><%Item["t"],"unsafe");%>',
    ),
    (
        # the eval identifier written as \\u escapes
        "jscript-eval-unicode-escapes",
        ".aspx",
        "eval",
        '<%@ Page Language="Jscript"%><%\\u0065\\u0076\\u0061\\u006c(Request.Item["t"],"unsafe");%>',
    ),
    (
        # web method parameters into a ProcessStartInfo started through a Process subclass
        "asmx-web-method-args-process-subclass",
        ".asmx",
        "process",
        '<%@ WebService Language="C#" Class="S" %>\nusing System.Diagnostics;\nusing System.Web.Services;\n'
        "public class P2 : Process { public P2(string s) { } }\n"
        "public class S : WebService {\n"
        "    [WebMethod]\n"
        "    public string T(string a, string b) {\n"
        "        ProcessStartInfo i = new ProcessStartInfo(a, b);\n"
        '        Process p = new P2("x");\n'
        "        i.UseShellExecute = false;\n"
        "        p.StartInfo = i;\n"
        "        p.Start();\n"
        '        return "";\n    }\n}',
    ),
    (
        # VB with random-case keywords; the program and its arguments come from two text boxes
        "vb-random-case-textbox-driven",
        ".aspx",
        "process",
        "<%@ Page LanGuaGe='VB' %>\n<scRIPt runat='server'>\n Sub Go()\n"
        "   Dim p AS NeW PrOCesS()\n   Dim i As New ProCeSsStaRtInFo(tbProgram.teXt)\n"
        "   i.UsESheLlExeCuTe=fALse\n   p.StARtInFo = i\n   i.ArGumENts=tbArgs.teXt\n   p.StARt()\n End Sub\n"
        "</scRIPt>\n<form runat='server'><asp:TeXtBOx id='tbProgram' runat='server' />"
        "<asp:TeXtBOx id='tbArgs' runat='server' /><asp:Button id='b' onclick='Go' runat='server' /></form>",
    ),
]


test_behaviour_only_shape_stays_found = sink_found_test(BEHAVIOUR_ONLY)
