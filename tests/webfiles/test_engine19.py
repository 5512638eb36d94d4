"""Behaviour engine, session 19 (issue 14, A13).

Each group is a gap left by session 18 or a request of this session (``/work/notes/to_a13.md``): harmless
reproductions of a shape that must be found, and ordinary pages of the same make that stay silent. The pages were
written for these tests: nothing is compiled or run, names, files and hosts are placeholders, and none is a copy of
a real shell.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

from extriage.detections.webfiles import behaviour, content
from extriage.detections.webfiles.behaviour import budget
from extriage.detections.webfiles.rules import build_ruleset

from .rule_tables import sinks_of as _sinks

# --- A sign-in check counts only where it guards the sink (session 18's left gap) ------------------------------------
# Session 15 let a check of the signed-in user before an application feature's sink (file, SQL, HTTP ...) silence it,
# wherever the check stood before the sink in its method. A planted page could name one to pass as an application's:
# switched off, its result ignored, its branch not leaving, in a method nobody calls. Only a check that decides whether
# the sink runs counts now: a leaving branch (return, throw, Response.End, a redirect that ends the response) before
# it in the same block, the sink inside the check's block or its negation's else, a name given the result and tested.

_CS = """<%@ Page Language="C#" %>
<script runat="server">
void Page_Load(object sender, EventArgs e) {
    CHECK
}
</script>
"""
_CS_SINK = 'System.IO.File.WriteAllText(Server.MapPath(Request.Form["p"]), Request.Form["c"]);'

_VB = """<%@ Page Language="VB" %>
<script runat="server">
Sub Page_Load(ByVal sender As Object, ByVal e As EventArgs)
    CHECK
End Sub
</script>
"""
_VB_SINK = 'System.IO.File.WriteAllText(Server.MapPath(Request.Form("p")), Request.Form("c"))'

_AUTH = "User.Identity.IsAuthenticated"

_CS_DEAD = [
    ("switched-off", "if (false) { if (!" + _AUTH + ") return; }\n    SINK"),
    ("result-ignored", "bool ok = " + _AUTH + ";\n    SINK"),
    ("kept-and-unused", "bool ok = " + _AUTH + ';\n    if (ok) Trace.Write("in");\n    SINK'),
    ("in-a-string", 'string s = "' + _AUTH + '";\n    SINK'),
    ("empty-block", "if (" + _AUTH + ") { }\n    SINK"),
    ("inverted", "if (" + _AUTH + ") return;\n    SINK"),
    ("inverted-through-a-name", "bool ok = " + _AUTH + ";\n    if (ok) return;\n    SINK"),
    ("redirect-that-goes-on", "if (!" + _AUTH + ') { Response.Redirect("login.aspx", false); }\n    SINK'),
    (
        "login-page-that-goes-on",
        "if (!" + _AUTH + ") { FormsAuthentication.RedirectToLoginPage(); }\n    SINK",
    ),
    ("branch-that-stays", "if (!" + _AUTH + ') { Trace.Write("anonymous"); }\n    SINK'),
    ("leaves-only-sometimes", "if (!" + _AUTH + ' && Request["k"] == "x") return;\n    SINK'),
    ("leaves-in-a-nested-branch", "if (!" + _AUTH + ') { if (Request["k"] == null) return; }\n    SINK'),
    ("other-branch", "if (!" + _AUTH + ") { SINK } else { return; }"),
    ("block-closed-before", 'if (Request["a"] != null) { if (!' + _AUTH + ") return; }\n    SINK"),
]
_CS_GUARDED = [
    ("redirect", "if (!" + _AUTH + ') { Response.Redirect("~/login.aspx"); }\n    SINK'),
    ("return", "if (!Request.IsAuthenticated) return;\n    SINK"),
    (
        "status-and-end",
        'if (!User.IsInRole("Editors")) { Response.StatusCode = 403; Response.End(); }\n    SINK',
    ),
    ("inside", "if (" + _AUTH + ") {\n        SINK\n    }"),
    ("inside-with-more", "if (" + _AUTH + ' && Request.Form["p"] != null) {\n        SINK\n    }'),
    (
        "either-negation",
        "if (!" + _AUTH + ' || !User.IsInRole("Editors")) throw new HttpException(403, "no");\n    SINK',
    ),
    ("through-a-name", 'bool allowed = User.IsInRole("Editors");\n    if (!allowed) return;\n    SINK'),
    ("compared-to-false", "if (" + _AUTH + ' == false) { Response.Redirect("login.aspx", true); }\n    SINK'),
    ("else-branch", "if (!" + _AUTH + ') { Response.Redirect("login.aspx"); } else { SINK }'),
    (
        "login-page-then-return",
        "if (!Request.IsAuthenticated) { FormsAuthentication.RedirectToLoginPage(); return; }\n    SINK",
    ),
    ("context", "if (!Context.User.Identity.IsAuthenticated) { Response.End(); }\n    SINK"),
]
_VB_DEAD = [
    ("result-ignored", "Dim ok As Boolean = " + _AUTH + "\n    SINK"),
    ("switched-off", "If False Then\n        If Not " + _AUTH + " Then Response.End()\n    End If\n    SINK"),
    ("branch-that-stays", "If Not " + _AUTH + ' Then Trace.Write("anonymous")\n    SINK'),
    ("inverted", "If " + _AUTH + " Then Exit Sub\n    SINK"),
    ("leaves-only-sometimes", "If Not " + _AUTH + ' AndAlso Request("k") = "x" Then Return\n    SINK'),
]
_VB_GUARDED = [
    ("redirect", "If Not " + _AUTH + ' Then Response.Redirect("~/login.aspx")\n    SINK'),
    (
        "status-and-end",
        "If Not Request.IsAuthenticated Then\n        Response.StatusCode = 403\n        Response.End()\n    End If\n    SINK",
    ),
    ("inside", 'If User.IsInRole("Editors") Then\n        SINK\n    End If'),
    (
        "through-a-name",
        'Dim allowed As Boolean = User.IsInRole("Editors")\n    If Not allowed Then Exit Sub\n    SINK',
    ),
    (
        "else-branch",
        'If Not Request.IsAuthenticated Then\n        Response.Redirect("login.aspx")\n    Else\n        SINK\n    End If',
    ),
]


def _page(lang: str, check: str) -> str:
    template, sink = (_VB, _VB_SINK) if lang == "vb" else (_CS, _CS_SINK)
    return template.replace("CHECK", check.replace("SINK", sink))


@pytest.mark.parametrize(
    ("lang", "check"),
    [("cs", c) for _n, c in _CS_DEAD] + [("vb", c) for _n, c in _VB_DEAD],
    ids=[f"cs-{n}" for n, _c in _CS_DEAD] + [f"vb-{n}" for n, _c in _VB_DEAD],
)
def test_a_check_that_guards_nothing_does_not_silence(lang: str, check: str) -> None:
    assert "file-write" in _sinks(_page(lang, check))


@pytest.mark.parametrize(
    ("lang", "check"),
    [("cs", c) for _n, c in _CS_GUARDED] + [("vb", c) for _n, c in _VB_GUARDED],
    ids=[f"cs-{n}" for n, _c in _CS_GUARDED] + [f"vb-{n}" for n, _c in _VB_GUARDED],
)
def test_a_check_that_guards_the_sink_silences(lang: str, check: str) -> None:
    assert _sinks(_page(lang, check)) == set()


def test_a_check_in_a_method_nobody_calls_guards_nothing() -> None:
    page = (
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Gate() { if (!" + _AUTH + ") Response.End(); }\n</script>\n<% " + _CS_SINK + " %>\n"
    )
    assert "file-write" in _sinks(page)


_SERVICE = """<%@ WebService Language="C#" Class="Files" %>
using System.IO;
using System.Web.Services;
public class Files : BaseService {
    [WebMethod]
    public void Save(string name, byte[] data, string username, string password) {
        CHECK
        File.WriteAllBytes(name, data);
    }
}
"""


@pytest.mark.parametrize(
    ("check", "found"),
    [
        ("Authenticate(username, password);", False),  # thrown from when the caller is not signed in
        ("try { Authenticate(username, password); } catch { }", True),  # the throw swallowed
        ("if (false) Authenticate(username, password);", True),
        ("var ok = username != null; if (ok) { Authenticate(username, password); }", True),
    ],
    ids=["statement", "swallowed", "switched-off", "only-sometimes"],
)
def test_a_throwing_sign_in_guards_what_follows_it(check: str, found: bool) -> None:
    assert ("file-write" in _sinks(_SERVICE.replace("CHECK", check), ".asmx")) is found


# --- A digits guard or an allow-list check that cannot decide (session 19, A13) --------------------------------------
# A name the code rejects unless it is digits (``if (!int.TryParse(c, out n)) return;``) or one of its own words
# (``if (!ok.Contains(c)) return;``) is no command, path or SQL text: its sinks were silent wherever the check stood, a
# process start too. Kept under ``if (false) {..}`` or under another condition without a block, the check decides
# nothing and the shell's command ran unseen; such a check counts for nothing now.

_VALUE_CS = """<%@ Page Language="C#" %>
<script runat="server">
void Page_Load(object sender, EventArgs e) {
    string c = Request["c"];
    string[] ok = { "whoami", "hostname" };
    int n;
    CHECK
    System.Diagnostics.Process.Start("cmd.exe", "/c " + c);
}
</script>
"""
_VALUE_VB = """<%@ Page Language="VB" %>
<script runat="server">
Sub Page_Load(ByVal sender As Object, ByVal e As EventArgs)
    Dim c As String = Request("c")
    Dim ok() As String = {"whoami", "hostname"}
    Dim n As Integer
    CHECK
    System.Diagnostics.Process.Start("cmd.exe", "/c " & c)
End Sub
</script>
"""
_LIVE = [
    ("cs", "if (!int.TryParse(c, out n)) return;"),
    ("cs", 'if (!System.Text.RegularExpressions.Regex.IsMatch(c, "^[0-9]+$")) { Response.End(); }'),
    ("cs", "if (!ok.Contains(c)) return;"),
    ("vb", "If Not ok.Contains(c) Then Return"),
]
_NOT_LIVE = [
    ("cs", "if (false) { if (!int.TryParse(c, out n)) return; }"),
    ("cs", 'if (Request["k"] == "x") if (!int.TryParse(c, out n)) return;'),
    (
        "cs",
        'if (c.Length > 900 && false) { if (!System.Text.RegularExpressions.Regex.IsMatch(c, "^[0-9]+$")) return; }',
    ),
    ("cs", "if (false) { if (!ok.Contains(c)) return; }"),
    ("cs", 'if (Request["k"] != null) { } else if (!ok.Contains(c)) return;'),
    ("vb", "If False Then\n        If Not ok.Contains(c) Then Return\n    End If"),
    ("vb", 'If Request("k") = "x" Then If Not ok.Contains(c) Then Return'),
]


def _value(lang: str, check: str) -> str:
    return (_VALUE_VB if lang == "vb" else _VALUE_CS).replace("CHECK", check)


@pytest.mark.parametrize(("lang", "check"), _LIVE, ids=[f"{lang}-{n}" for n, (lang, _c) in enumerate(_LIVE)])
def test_a_deciding_value_check_keeps_the_command_silent(lang: str, check: str) -> None:
    assert _sinks(_value(lang, check)) == set()


@pytest.mark.parametrize(
    ("lang", "check"), _NOT_LIVE, ids=[f"{lang}-{n}" for n, (lang, _c) in enumerate(_NOT_LIVE)]
)
def test_a_value_check_that_cannot_decide_counts_for_nothing(lang: str, check: str) -> None:
    assert "process" in _sinks(_value(lang, check))


# --- An upload saved under the client's name beside the page: Server.MapPath(file.FileName) (session 19, A13) --------
# Server.MapPath of a relative name maps it into the requested page's own folder: the smallest upload shells save the
# posted file there under the name the client gave it (an .aspx sent to it can then be requested and runs). The
# application-root sink took MapPath("~/"), MapPath(".") and "./" as that folder, not the name itself mapped; found by
# nothing. An upload under a name the server makes, or into a folder of the application's own, stays silent.

_UPLOAD_CS = '<%@ Page Language="C#" %>\n<% if (Request.Files.Count > 0) { BODY } %>\n'
_UPLOAD_VB = """<%@ Page Language="VB" %>
<script runat="server">
Sub Save_Click(ByVal sender As Object, ByVal e As EventArgs)
    BODY
End Sub
</script>
<form runat="server"><asp:FileUpload id="Up" runat="server" /><asp:Button runat="server" OnClick="Save_Click" /></form>
"""
_BESIDE_FOUND = [
    ("cs", "Request.Files[0].SaveAs(Server.MapPath(Request.Files[0].FileName));"),
    ("cs", "var f = Request.Files[0]; f.SaveAs(Server.MapPath(System.IO.Path.GetFileName(f.FileName)));"),
    ("vb", "Up.SaveAs(Server.MapPath(Up.FileName))"),
    ("vb", "Up.PostedFile.SaveAs(Server.MapPath(System.IO.Path.GetFileName(Up.PostedFile.FileName)))"),
]
_BESIDE_QUIET = [
    (
        "cs",
        "var f = Request.Files[0]; f.SaveAs(Server.MapPath(System.Guid.NewGuid() + System.IO.Path.GetExtension(f.FileName)));",
    ),
    (
        "cs",
        'var f = Request.Files[0]; if (System.IO.File.Exists(Server.MapPath(f.FileName))) { Response.Write("taken"); }'
        ' else { f.SaveAs(Server.MapPath("~/uploads/" + System.Guid.NewGuid() + ".png")); }',
    ),
    ("vb", 'Up.SaveAs(Server.MapPath("~/uploads/" & Guid.NewGuid().ToString() & ".jpg"))'),
    # (the client's name in a folder of the application's own: every site's upload form; policy, session 19)
    (
        "cs",
        'var f = Request.Files[0]; f.SaveAs(Server.MapPath("~/uploads/") + System.IO.Path.GetFileName(f.FileName));',
    ),
    ("vb", 'Up.SaveAs(Server.MapPath("~/App_Data/Files/" & Up.FileName))'),
]


def _upload(lang: str, body: str) -> str:
    return (_UPLOAD_VB if lang == "vb" else _UPLOAD_CS).replace("BODY", body)


@pytest.mark.parametrize(
    ("lang", "body"), _BESIDE_FOUND, ids=[f"{lang}-{n}" for n, (lang, _b) in enumerate(_BESIDE_FOUND)]
)
def test_upload_mapped_under_the_client_name_is_found(lang: str, body: str) -> None:
    assert "upload-to-app-root" in _sinks(_upload(lang, body))


@pytest.mark.parametrize(
    ("lang", "body"), _BESIDE_QUIET, ids=[f"{lang}-{n}" for n, (lang, _b) in enumerate(_BESIDE_QUIET)]
)
def test_upload_under_a_server_made_name_is_silent(lang: str, body: str) -> None:
    assert _sinks(_upload(lang, body)) == set()


# --- X44's siblings found by nothing (session 19) -------------------------------------------------------------------
# X44's harness (bench/webfiles/siblings.py) varied every first-sight miss one axis at a time; these behaviours were
# found by nothing in some spelling: a fixed PowerShell command given the request's argument, WMI's process class named
# by its full path, a form value (not the body) written to a named pipe, the application root's literal inside
# MapPath's argument. Each beside its twin, the request value replaced by the page's own text.

_PS = """<%@ Page Language="C#" %>
<%@ Import Namespace="System.Management.Automation" %>
<script runat="server">
void Page_Load(object sender, EventArgs e) {
    using (PowerShell ps = PowerShell.Create()) {
        USE
        ps.Invoke();
    }
}
</script>
"""
_WMI = """<%@ Page Language="C#" %>
<script runat="server">
void Page_Load(object sender, EventArgs e) {
    var c = new System.Management.ManagementClass(CLASS);
    c.InvokeMethod("Create", new object[] { ARG });
}
</script>
"""
_PIPE_CS = """<%@ Page Language="C#" %>
<script runat="server">
void Page_Load(object sender, EventArgs e) {
    var p = new System.IO.Pipes.NamedPipeClientStream(".", "relay", System.IO.Pipes.PipeDirection.InOut);
    p.Connect();
    byte[] b = System.Text.Encoding.UTF8.GetBytes(VALUE);
    p.Write(b, 0, b.Length);
}
</script>
"""
_PIPE_VB = """<%@ Page Language="VB" %>
<script runat="server">
Sub Page_Load(ByVal sender As Object, ByVal e As EventArgs)
    Dim p As New System.IO.Pipes.NamedPipeClientStream(".", "relay", System.IO.Pipes.PipeDirection.InOut)
    p.Connect()
    Dim b As Byte() = System.Text.Encoding.UTF8.GetBytes(VALUE)
    p.Write(b, 0, b.Length)
End Sub
</script>
"""


@pytest.mark.parametrize(
    ("use", "found"),
    [
        ('ps.AddCommand("Invoke-Expression").AddArgument(Request.Form["x"]);', True),
        ('ps.AddCommand("iex").AddArgument(Request["x"]);', True),
        ('ps.AddCommand("Get-Process").AddParameter("Name", Request.QueryString["n"]);', True),
        ('ps.AddCommand(Request["c"]).AddArgument("-Force");', True),  # (the command itself, as before)
        ('ps.AddCommand("Invoke-Expression").AddArgument("Get-Date");', False),
        ('ps.AddCommand("Get-Process").AddParameter("Name", "w3wp");', False),
    ],
)
def test_powershell_command_given_the_request_argument(use: str, found: bool) -> None:
    assert ("powershell" in _sinks(_PS.replace("USE", use))) is found


def test_report_helper_argument_is_no_powershell() -> None:
    page = '<%@ Page Language="C#" %>\n<% var r = new ReportHelper(); r.AddArgument(Request["from"], ArgType.Date); %>\n'
    assert _sinks(page) == set()


@pytest.mark.parametrize(
    ("cls", "found"),
    [
        ('@"\\\\.\\root\\cimv2:Win32_Process"', True),
        ('"root\\\\cimv2:Win32_Process"', True),
        ('"Win32_Process"', True),
        ('@"\\\\.\\root\\cimv2:Win32_Service"', False),
    ],
)
def test_wmi_process_class_by_its_path(cls: str, found: bool) -> None:
    assert ("wmi-process" in _sinks(_WMI.replace("CLASS", cls).replace("ARG", 'Request.Form["x"]'))) is found


@pytest.mark.parametrize(
    ("lang", "value", "found"),
    [
        ("cs", 'Request.Form["x"]', True),
        ("cs", 'HttpContext.Current.Request.Headers["X-Data"]', True),
        ("cs", 'Page.Request.Cookies["d"].Value', True),
        ("vb", 'Request("x")', True),
        ("vb", 'Request.QueryString("x")', True),
        ("cs", '"hostname"', False),
        ("vb", '"hostname"', False),
    ],
)
def test_request_value_written_to_a_named_pipe(lang: str, value: str, found: bool) -> None:
    page = (_PIPE_VB if lang == "vb" else _PIPE_CS).replace("VALUE", value)
    assert ("pipe-relay" in _sinks(page)) is found


@pytest.mark.parametrize(
    ("save", "found"),
    [
        ('f.SaveAs(Server.MapPath("~/" + Request.Files[0].FileName));', True),
        ('f.SaveAs(Server.MapPath("~/" + f.FileName));', True),
        ('f.SaveAs(Server.MapPath("~/") + f.FileName);', True),  # (as before)
        ('f.SaveAs(Server.MapPath("~/" + "report.txt"));', False),
        ('f.SaveAs(Server.MapPath("~/uploads/" + System.Guid.NewGuid().ToString("N") + ".dat"));', False),
    ],
)
def test_upload_into_the_root_named_inside_map_path(save: str, found: bool) -> None:
    page = '<%@ Page Language="C#" %>\n<% HttpPostedFile f = Request.Files[0];\n' + save + " %>\n"
    assert ("upload-to-app-root" in _sinks(page)) is found


# --- A ring whose Timeout was swallowed rings again (the lead's note, session 19) -----------------------------------
# SIGPROF's handler can run inside a gc callback, a __del__ or a weakref callback: Python prints the Timeout raised
# there and drops it. The timer was not set again, so the rest of the bounded block had no bound inside a search.


class _Dropped:
    def __del__(self) -> None:
        budget._ring(signal.SIGPROF, None)  # (as the interpreter runs the handler inside this __del__)


@pytest.mark.skipif(not hasattr(signal, "SIGPROF"), reason="no SIGPROF")
def test_a_swallowed_ring_rings_again(monkeypatch: pytest.MonkeyPatch) -> None:
    dropped: list[BaseException | None] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: dropped.append(u.exc_value))
    with pytest.raises(budget.Timeout), budget.bounded(budget.now() + 60.0):
        budget._deadline[0] = budget.now() - 1.0  # (the block's CPU time used up)
        _Dropped()  # the ring's Timeout raised in __del__: dropped
        assert dropped and isinstance(dropped[0], budget.Timeout)
        assert (
            0 < signal.getitimer(signal.ITIMER_PROF)[0] < 1.0
        )  # (set again for a moment, not the 60 s left)
        t0 = budget.now()
        while budget.now() - t0 < 5.0:  # the next ring raises where it counts
            pass
    assert signal.getitimer(signal.ITIMER_PROF)[0] == 0


# --- A site's compilation language for pages that name none (the lead's hook for X46's finding, session 19) ---------
# ASP.NET compiles a page whose main directive names no language (no directive, or <%@ Page %> alone) in the language
# of <compilation defaultLanguage> in the site's web.config (VB when unset). The engine guessed from the code's text:
# a VB page with an array's braces read as C#, and VB's Shell went unseen. The scan now hands the site's language
# over (content.ContentParams.default_languages, the nearest folder's); a page's own Language= still wins.

_VB_NO_DIRECTIVE = (
    '<script runat="server">\nSub Page_Load()\n    Dim s() As String = {"a", "b"}\n'
    '    Shell("cmd.exe /c " & Request("c"))\nEnd Sub\n</script>\n'
)
_CS_NO_DIRECTIVE = (
    '<% string c = Request["c"]; /* it\'s */ System.Diagnostics.Process.Start("cmd.exe", "/c " + c); %>\n'
)


def _read(page: str, default: str | None) -> tuple[list[str], set[str]]:
    r = behaviour.analyse(page.encode(), ".aspx", 30.0, default_language=default)
    return r.languages, {h["sink"] for h in r.hits}


def test_site_language_reads_a_page_that_names_none() -> None:
    assert _read(_VB_NO_DIRECTIVE, None) == (
        ["cs"],
        set(),
    )  # (an array's braces: guessed C#, the Shell unseen)
    assert _read(_VB_NO_DIRECTIVE, "vb") == (["vb"], {"process"})
    assert _read("<%@ Page %>\n" + _VB_NO_DIRECTIVE, "vb") == (["vb"], {"process"})
    assert _read(_CS_NO_DIRECTIVE, "cs") == (["cs"], {"process"})
    assert _read(_CS_NO_DIRECTIVE, None) == (["cs"], {"process"})


def test_page_own_language_wins_over_the_site() -> None:
    page = '<%@ Page Language="C#" %>\n' + _CS_NO_DIRECTIVE
    assert _read(page, "vb") == (["cs"], {"process"})
    vb = '<%@ Page Language="VB" %>\n' + _VB_NO_DIRECTIVE
    assert _read(vb, "cs") == (["vb"], {"process"})
    script = _VB_NO_DIRECTIVE.replace('<script runat="server">', '<script runat="server" language="vb">')
    assert _read(script, "cs") == (["vb"], {"process"})


def test_nearest_site_folder_names_the_language() -> None:
    sites = (
        ("c:/inetpub/wwwroot", "cs"),
        ("c:/inetpub/wwwroot/legacy", "vb"),
        ("c:/inetpub/wwwroot/leg", "js"),
    )
    assert content.default_language("c:/inetpub/wwwroot/legacy/a/p.aspx", sites) == "vb"
    assert content.default_language("c:/inetpub/wwwroot/legacyx/p.aspx", sites) == "cs"
    assert content.default_language("c:/inetpub/wwwroot/p.aspx", sites) == "cs"
    assert content.default_language("d:/other/p.aspx", sites) is None


def test_scan_params_carry_the_site_language(tmp_path: Path) -> None:
    page = tmp_path / "p.aspx"
    page.write_text(_VB_NO_DIRECTIVE)
    rules = build_ruleset([])

    def sinks(languages: tuple[tuple[str, str], ...]) -> set[str]:
        params = content.ContentParams(rules.serialized, 64 << 20, 30.0, default_languages=languages)
        t = content.Target(str(page), "c:/site/app/p.aspx", str(page), page.name, page.stat().st_size, None)
        hits = content.examine(t, content.DEEP, params).data.get("hits", [])
        return {h["sink"] for h in hits if h["check"] == "behaviour"}

    assert sinks((("c:/site", "vb"),)) == {"process"}
    assert sinks((("c:/site", "cs"),)) == sinks(()) == set()


# --- A method whose name starts with Execute is no VBScript Execute (B24's misreading, session 19) -------------------
# B24's seeded sample: a VB web service copying queued rows into an outbox keeps its SQL in a variable and runs it with
# its own helper, ExecuteCommand(strsql). The held-decoder sink read ExecuteCommand( as VBScript's Execute of a call
# Command(strsql), and the SQL text (brackets, quotes, semicolon) as a scrambled literal. The keyword ends its word now;
# VBScript's Execute of a decoder's result stays found.

_OUTBOX = """Imports System.Web.Services
Public Class Outbox
    Inherits System.Web.Services.WebService
    <WebMethod()> _
    Public Function MarkDone() As String
        Dim strsql As String
        strsql = "update outbox set status = 'SENT', done = getdate() where (status = 'QUEUED') and (id > 0);"
        Return RUN(strsql)
    End Function
    Public Function RUN(ByVal sql As String) As String
        Using c As New System.Data.SqlClient.SqlConnection("Server=.;Database=Outbox;Integrated Security=true")
            c.Open()
            Dim cmd As New System.Data.SqlClient.SqlCommand(sql, c)
            cmd.ExecuteNonQuery()
            Return "done"
        End Using
    End Function
End Class
"""


@pytest.mark.parametrize("name", ["ExecuteCommand", "ExecuteQuery", "EvaluateRule", "ExecuteGlobalSql"])
def test_own_helper_named_execute_is_no_vbscript_execute(name: str) -> None:
    assert _sinks(_OUTBOX.replace("RUN", name), ".vb") == set()


@pytest.mark.parametrize("keyword", ["Execute", "ExecuteGlobal", "Eval"])
def test_execute_of_a_decoded_literal_stays_found(keyword: str) -> None:
    page = (
        '<%\ncode = ")/*/z/*/(mrof.tseuqer etirw.esnopser)/*/z/*/(mrof.tseuqer"\n'
        + keyword
        + " Unturn(code)\nFunction Unturn(s)\nUnturn = StrReverse(s)\nEnd Function\n%>\n"
    )
    assert "eval-decoder-held" in _sinks(page, ".asp")


# --- A drive's root confines nothing (X45's request, session 19) ----------------------------------------------------
# A fixed folder before the request's part of a path (Server.MapPath("~/files"), "D:\logs\") makes the request choose
# only a name below it; a drive's root ("C:\", Path.Combine("D:\", ..)) does not: the whole drive is the folder, and a
# rooted or ".." value leaves it anyway. Two "simple explorer" pages of one author at X45's first sight were found by
# no behaviour sink.

_DRIVE = '<%@ Page Language="C#" %>\n<% string n = Request.QueryString["p"];\nBODY %>\n'


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ('Response.Write(System.IO.File.ReadAllText(System.IO.Path.Combine("C:\\\\", n)));', True),
        ('Response.Write(System.IO.File.ReadAllText(@"C:\\" + n));', True),
        ('Response.Write(System.IO.File.ReadAllText("D:/" + n));', True),
        (
            'var d = new System.IO.DirectoryInfo(@"C:\\" + n);\nResponse.Write(System.IO.File.ReadAllText(d.FullName));',
            True,
        ),
        (
            'Response.Write(System.IO.File.ReadAllText(System.IO.Path.Combine(Server.MapPath("~/files"), n)));',
            False,
        ),
        ('Response.Write(System.IO.File.ReadAllText(System.IO.Path.Combine(@"D:\\logs\\", n)));', False),
        ('Response.Write(System.IO.File.ReadAllText("D:\\\\logs\\\\" + n));', False),
    ],
)
def test_drive_root_before_the_request_path_confines_nothing(body: str, found: bool) -> None:
    assert ("file-read" in _sinks(_DRIVE.replace("BODY", body))) is found


@pytest.mark.parametrize(("root", "found"), [('"C:\\\\"', True), ('@"E:\\"', True), ('@"D:\\logs\\"', False)])
def test_drive_root_held_in_a_name_confines_nothing(root: str, found: bool) -> None:
    body = (
        f"string path = {root};\nResponse.Write(System.IO.File.ReadAllText(System.IO.Path.Combine(path, n)));"
    )
    assert ("file-read" in _sinks(_DRIVE.replace("BODY", body))) is found


def test_vb_drive_root_combined_with_the_request() -> None:
    page = (
        '<%@ Page Language="VB" %>\n<script runat="server">\nSub Page_Load()\n'
        '    Dim where As String = System.IO.Path.Combine("D:\\", Request("dir"))\n'
        "    Response.TransmitFile(where)\nEnd Sub\n</script>\n"
    )
    assert "file-read" in _sinks(page)
    assert _sinks(page.replace('"D:\\"', '"D:\\Reports\\Monthly"')) == set()


# --- X46's requests (session 19): a VB page's braces in strings and comments; a COM request to a fixed host ----------
# A page without a directive is VB to ASP.NET unless the site says otherwise; the guess read it as C# when a brace
# stood anywhere in its code, String.Format("{0}", ..) or a comment too, and the page lost its sinks. The C marks are
# looked for outside VB strings and ' comments now. And a classic ASP reCAPTCHA check (B-side of X46's set) was an
# open proxy to com-http: the request picked a value in the query of a fixed https host.

_VB_BRACES = """<script runat="server">
Sub Page_Load()
    Dim f As String = Request.QueryString("f")
    ' read it {quietly}
    Response.Write(String.Format("{0}", System.IO.File.ReadAllText(f)))
End Sub
</script>
"""


def test_braces_in_vb_strings_and_comments_keep_the_page_vb() -> None:
    r = behaviour.analyse(_VB_BRACES.encode(), ".aspx", 30.0)
    assert r.languages == ["vb"] and {h["sink"] for h in r.hits} == {"file-read"}
    cs = '<% string f = Request["f"]; Response.Write(System.IO.File.ReadAllText(f)); %>\n'
    assert behaviour.analyse(cs.encode(), ".aspx", 30.0).languages == ["cs"]


_COM = """<%
RESPONSE_ADDRESS
Set h = Server.CreateObject("Msxml2.ServerXMLHTTP")
h.open "POST", url, False
h.send
Response.Write h.responseText
%>
"""


@pytest.mark.parametrize(
    ("address", "found"),
    [
        ('url = "https://captcha.example.invalid/verify?secret=k&response=" & Request.Form("g")', False),
        (
            'q = "?secret=k" & "&response=" & Request.Form("g")\nurl = "https://captcha.example.invalid/verify" & q',
            False,
        ),
        ('url = Request.Form("u")', True),
        ('url = "http://" & Request("h") & "/?x=1"', True),
        ('url = Request("u") & "?x=1"', True),
        (
            'url = "https://a.example.invalid/x?k=" & Request("k")\nIf Request("raw") <> "" Then url = Request("raw")',
            True,
        ),
    ],
)
def test_com_request_with_the_request_in_a_fixed_host_query_is_no_proxy(address: str, found: bool) -> None:
    assert ("com-http" in _sinks(_COM.replace("RESPONSE_ADDRESS", address), ".asp")) is found


# --- X44's second source axis: a posted-back control's text (session 19) ---------------------------------------------
# An asp:TextBox's Text or an <input runat=server>'s Value is what the client posted, as a form field is. Written to a
# named pipe, or naming the file an upload is saved as in the application's root, it was found by nothing. (A listener
# on a port typed into a control stays open: the socket sink takes no control text - a page connecting where an
# administrator typed is an application's tool.)


@pytest.mark.parametrize(
    ("lang", "value", "found"),
    [
        ("cs", "Box.Text", True),
        ("cs", "Box.Value", True),
        ("vb", "Box.Text", True),
        ("cs", '"hostname"', False),
    ],
)
def test_control_text_written_to_a_named_pipe(lang: str, value: str, found: bool) -> None:
    page = (_PIPE_VB if lang == "vb" else _PIPE_CS).replace("VALUE", value)
    page += '<form runat="server"><asp:TextBox ID="Box" runat="server" /></form>\n'
    assert ("pipe-relay" in _sinks(page)) is found


@pytest.mark.parametrize(
    ("save", "found"),
    [
        ("Request.Files[0].SaveAs(AppDomain.CurrentDomain.BaseDirectory + Box.Text);", True),
        ('Request.Files[0].SaveAs(Server.MapPath("~/") + Box.Value);', True),
        ('Request.Files[0].SaveAs(AppDomain.CurrentDomain.BaseDirectory + "upload.dat");', False),
        ('Request.Files[0].SaveAs(Server.MapPath("~/uploads/") + Box.Text);', False),
    ],
)
def test_upload_into_the_root_under_a_control_name(save: str, found: bool) -> None:
    page = (
        '<%@ Page Language="C#" %>\n<% '
        + save
        + ' %>\n<form runat="server"><asp:TextBox ID="Box" runat="server" /></form>\n'
    )
    assert ("upload-to-app-root" in _sinks(page)) is found


# --- X47's requests (session 19): HttpClient's reads, a Razor view as a dropped page, Core's request in pipe-relay ---
# HttpClient's GetByteArrayAsync/GetStreamAsync were no outbound request (GetStringAsync and GetAsync were), and no
# download for the dropper sink; pipe-relay's context knew WebForms' request collections only, not Core's
# Request.Query / Request.Body.

_CORE_DL = """<%@ Page Language="C#" %>
<script runat="server">
protected void Page_Load(object sender, EventArgs e) {
    var h = new System.Net.Http.HttpClient();
    System.IO.File.WriteAllBytes(TARGET, h.READ(ADDRESS).Result);
}
</script>
"""


@pytest.mark.parametrize("read", ["GetByteArrayAsync", "GetStreamAsync"])
def test_httpclient_reads_of_a_request_address_are_outbound(read: str) -> None:
    page = _CORE_DL.replace("READ", read).replace("TARGET", 'Server.MapPath("~/App_Data/feed.bin")')
    assert "http-out" in _sinks(page.replace("ADDRESS", 'Request.Form["x"]'))
    assert _sinks(page.replace("ADDRESS", '"https://feeds.example.invalid/a.bin"')) == set()


def test_download_of_a_request_address_into_a_razor_view() -> None:
    # (an outbound request the request leads; from a fixed address it is X47's ordinary Core file, and the view
    # written is no dropped page to remote-dropper - test_unseen47_core_siblings)
    page = _CORE_DL.replace("READ", "GetByteArrayAsync")
    target = 'System.IO.Path.Combine(AppContext.BaseDirectory, "Views", "n.cshtml")'
    assert "http-out" in _sinks(page.replace("ADDRESS", 'Request.Form["x"]').replace("TARGET", target))
    assert (
        _sinks(page.replace("ADDRESS", '"https://cdn.example.invalid/n.cshtml"').replace("TARGET", target))
        == set()
    )


@pytest.mark.parametrize(("value", "found"), [('Context.Request.Query["x"]', True), ('"hostname"', False)])
def test_core_request_written_to_a_named_pipe(value: str, found: bool) -> None:
    view = (
        '@{\n    var p = new System.IO.Pipes.NamedPipeClientStream(".", "relay", System.IO.Pipes.PipeDirection.Out);\n'
        "    p.Connect();\n    var b = System.Text.Encoding.UTF8.GetBytes(VALUE);\n    p.Write(b, 0, b.Length);\n}\n"
    )
    assert ("pipe-relay" in _sinks(view.replace("VALUE", value), ".cshtml")) is found


# --- X47's item 2: an action's parameter bound with attribute arguments (session 19) --------------------------------
# Run([FromQuery] string x) was read as a request value; Run([FromForm(Name = "c")] string x) was not: the action's
# parameter list took no brackets inside it, and a parameter's name was cut at the attribute's "=".

_CONTROLLER = """using System.Diagnostics;
using Microsoft.AspNetCore.Mvc;
public class RunController : Controller {
    public IActionResult Run(PARAMS) {
        Process.Start(x);
        return Content("");
    }
}
"""


@pytest.mark.parametrize(
    "params",
    [
        '[FromForm(Name = "c")] string x',
        '[FromHeader(Name = "X-Token")] string x',
        "[FromQuery] string x",
        "string x",
    ],
)
def test_bound_action_parameter_with_attribute_arguments_is_request_input(params: str) -> None:
    assert "process" in _sinks(_CONTROLLER.replace("PARAMS", params), ".cs")


def test_action_starting_its_own_program_stays_silent() -> None:
    page = _CONTROLLER.replace("PARAMS", '[FromForm(Name = "c")] string c').replace(
        "Process.Start(x)", 'Process.Start("git.exe")'
    )
    assert _sinks(page, ".cs") == set()


# --- X47's item 3: a minimal API's handler parameters (session 19) ---------------------------------------------------
# app.MapGet("/x", (string x) => ..) binds x from the route, query or body, as an MVC action's parameter is bound; the
# context, a cancellation token and injected services are no request values.

_MINIMAL = (
    "var builder = WebApplication.CreateBuilder(args);\nvar app = builder.Build();\nHANDLER\napp.Run();\n"
)


@pytest.mark.parametrize(
    ("handler", "found"),
    [
        (
            'app.MapGet("/x", (HttpContext ctx, string x) => { System.Diagnostics.Process.Start(x); return ""; });',
            True,
        ),
        (
            'app.MapPost("/x", async (string cmd, CancellationToken ct) => '
            '{ System.Diagnostics.Process.Start("cmd.exe", "/c " + cmd); return Results.Ok(); });',
            True,
        ),
        (
            'app.MapGet("/x", (HttpContext ctx) => { System.Diagnostics.Process.Start(ctx.TraceIdentifier); return ""; });',
            False,
        ),
        (
            'app.MapGet("/x", ([FromServices] IRunner r, string n) => { System.Diagnostics.Process.Start("git.exe"); return n; });',
            False,
        ),
    ],
)
def test_minimal_api_parameters_are_request_input(handler: str, found: bool) -> None:
    assert ("process" in _sinks(_MINIMAL.replace("HANDLER", handler), ".cs")) is found
