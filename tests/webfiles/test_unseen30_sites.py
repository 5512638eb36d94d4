"""Rules from the thirtieth unseen collection: shells in repositories that are not about security (issue 14,
helper X30).

The collection took the web shells met under file names intruders use (``shell.aspx``, ``cmd.aspx``,
``shell.ashx``, ...) in repositories whose name is not about security: a web-app notes repository, a "test"
or "tools" repository, a personal site, an SEO-spam actor's staging repository (BENCHMARKS.md, "Unseen shells,
thirtieth collection: shells in repositories that are not about security"). The own rules and the behaviour
analysis found all of them on first sight but one: a proof-of-execution page that starts ``cmd.exe`` with
``/c hostname`` written in the page and writes the output back - no request value reaches the process, so the
behaviour analysis has nothing to follow, and ``EXT_WEBSHELL_Interpreter_With_Baked_Recon_Command``
(``data/rules/kit_actions.yar``) knew ``whoami``, ``ipconfig``, ``net user`` ... but not ``hostname``.

``hostname`` is now one of its commands when it follows cmd's ``/c`` or ``/k`` in the literal: a bare
``"hostname"`` literal is a common form-field or settings key, so a page that reads such a key and runs its
own batch file through cmd stays silent. The pages below were written for these tests (nothing is compiled
or run); they reproduce the shape, not the collected file.
"""

from __future__ import annotations

from .rule_tables import Page, RuleCase, rule_tables

_RULE = "EXT_WEBSHELL_Interpreter_With_Baked_Recon_Command"

HOSTNAME_PROOFS: list[Page] = [
    (
        "cs-object-initializer-cmd-hostname",
        ".aspx",
        '<%@ Page Language="C#" %><%var p=new System.Diagnostics.Process{StartInfo=new '
        'System.Diagnostics.ProcessStartInfo("cmd.exe","/c hostname"){UseShellExecute=false,'
        "RedirectStandardOutput=true}};p.Start();Response.Write(p.StandardOutput.ReadToEnd());%>\n",
    ),
    (
        "cs-script-block-start-info-k-hostname",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "protected void Page_Load(object sender, EventArgs e)\n{\n"
        "    var p = new System.Diagnostics.Process();\n"
        '    p.StartInfo.FileName = "cmd";\n    p.StartInfo.Arguments = "/k HOSTNAME.EXE";\n'
        "    p.StartInfo.UseShellExecute = false;\n    p.StartInfo.RedirectStandardOutput = true;\n"
        "    p.Start();\n    Response.Write(p.StandardOutput.ReadToEnd());\n}\n</script>\n",
    ),
    (
        "vb-handler-cmd-hostname",
        ".ashx",
        '<%@ WebHandler Language="VB" Class="Probe" %>\nImports System.Web\n'
        "Public Class Probe : Implements IHttpHandler\n"
        "  Public Sub ProcessRequest(ByVal c As HttpContext) Implements IHttpHandler.ProcessRequest\n"
        '    Dim i As New System.Diagnostics.ProcessStartInfo("C:\\Windows\\System32\\cmd.exe", "/c hostname")\n'
        "    i.UseShellExecute = False : i.RedirectStandardOutput = True\n"
        "    c.Response.Write(System.Diagnostics.Process.Start(i).StandardOutput.ReadToEnd())\n"
        "  End Sub\n"
        "  Public ReadOnly Property IsReusable As Boolean Implements IHttpHandler.IsReusable\n"
        "    Get\n      Return False\n    End Get\n  End Property\nEnd Class\n",
    ),
]

HOSTNAME_ORDINARY: list[Page] = [
    (
        "settings-key-hostname-and-own-batch",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        'var host = System.Configuration.ConfigurationManager.AppSettings["hostname"];\n'
        'var i = new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c C:\\\\apps\\\\sync\\\\nightly.bat " + host);\n'
        "i.UseShellExecute = false; i.CreateNoWindow = true;\n"
        "System.Diagnostics.Process.Start(i).WaitForExit();\n%>\n",
    ),
    (
        "status-page-machine-name",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        'var i = new System.Diagnostics.ProcessStartInfo("ping.exe", "-n 1 hostname.example.invalid");\n'
        "i.UseShellExecute = false; i.RedirectStandardOutput = true;\n"
        'Status.Text = Environment.MachineName + ": " + System.Diagnostics.Process.Start(i).StandardOutput.ReadToEnd();\n'
        '%>\n<p>Support may ask you to run "cmd /c hostname" on your own computer.</p>\n',
    ),
    (
        "form-field-named-hostname-own-tool",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Check(object s, EventArgs e) {\n"
        '  var i = new System.Diagnostics.ProcessStartInfo("cmd", "/c \\"C:\\\\tools\\\\check.cmd\\"");\n'
        '  i.EnvironmentVariables["TARGET"] = "hostname";\n'
        "  i.UseShellExecute = false;\n  System.Diagnostics.Process.Start(i).WaitForExit();\n}\n</script>\n",
    ),
]

CASES: list[RuleCase] = [
    (_RULE, HOSTNAME_PROOFS, HOSTNAME_ORDINARY),
]

(
    test_shell_is_found,
    test_ordinary_page_is_not_flagged,
    test_rule_needs_a_server_page,
) = rule_tables(CASES)
