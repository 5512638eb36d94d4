"""Behaviour engine, session 20 (issue 14, A14).

Each group is a gap left by session 19 (``/work/notes/report_A13.md``) or a request of this session
(``/work/notes/to_a14.md``): harmless reproductions of a shape that must be found, and ordinary pages of the same
make that stay silent. The pages were written for these tests: nothing is compiled or run, names, files and hosts are
placeholders, and none is a copy of a real shell.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extriage.detections.webfiles import behaviour

from .rule_tables import sinks_of as _sinks

# --- The site's compilation language across files (the lead's session-19 note) ---------------------------------------
# A page naming no language is compiled in its site's <compilation defaultLanguage>; each file alone was read so
# (session 19), but the tracing of a page's call into an App_Code class guessed the page's language from its text. A
# VB page whose array initialiser has braces was read as C#, and its request value handed to the class went unseen.

_CALLER_NO_DIRECTIVE = """<script runat="server">
Sub Page_Load()
    Dim shown() As String = {"a", "b"}
    Dim c As String = Request.QueryString("c")
    Dim t As New Tools()
    t.Run(VALUE)
End Sub
</script>
"""
_TOOLS_VB = """Public Class Tools
    Public Sub Run(ByVal c As String)
        Shell("cmd.exe /c " & c)
    End Sub
End Class
"""


def _across(value: str, languages: tuple[str | None, str | None]) -> set[str]:
    page = _CALLER_NO_DIRECTIVE.replace("VALUE", value).encode()
    found = behaviour.analyse_across(page, ".aspx", _TOOLS_VB.encode(), ".vb", 30.0, (), languages)
    return {h["sink"] for h in found.hits}


def test_across_files_a_page_naming_no_language_is_read_in_the_sites() -> None:
    assert _across("c", ("vb", None)) == {"process"}
    assert _across('"hostname"', ("vb", None)) == set()  # the page's own word: quiet
    assert _across("c", (None, None)) == set()  # (no configuration: the code's braces read as C#, as before)


def test_the_scan_hands_the_site_language_to_the_tracing_across_files(tmp_path: Path) -> None:
    from extriage.scan.context import ScanOptions
    from extriage.scan.pipeline import run_scan
    from extriage.scan.stages.webfiles import STAGES

    site = tmp_path / "C" / "inetpub" / "wwwroot"
    (site / "App_Code").mkdir(parents=True)
    (site / "App_Code" / "Tools.vb").write_text(_TOOLS_VB)
    (site / "page.aspx").write_text(_CALLER_NO_DIRECTIVE.replace("VALUE", "c"))
    (site / "web.config").write_text(
        '<?xml version="1.0"?><configuration><system.web><compilation defaultLanguage="VB" />'
        "</system.web></configuration>"
    )

    def flagged() -> set[tuple[str, str]]:
        result = run_scan(str(tmp_path), ScanOptions(jobs=0), stages=list(STAGES))
        return {
            (e.source.replace("\\", "/").rsplit("/", 1)[-1], str(e.fields.get("reason")))
            for f in result.findings
            for e in f.evidence
            if str(e.fields.get("reason", "")).startswith("WF-BEHAV-")
        }

    assert flagged() == {("page.aspx", "WF-BEHAV-PROCESS"), ("Tools.vb", "WF-BEHAV-PROCESS")}
    (site / "web.config").unlink()
    assert flagged() == set()  # no configuration: the guess, as before


# --- PowerShell given the request's argument in a statement of its own (session 19's left gap) ----------------------
# Session 19 found AddCommand("Invoke-Expression").AddArgument(Request[..]) chained; the same calls written as two
# statements on the PowerShell object ran the request's text unseen. An AddArgument of another object (a report
# helper's) stays no PowerShell.

_PS_STATEMENTS = """<%@ Page Language="LANG" %>
<%@ Import Namespace="System.Management.Automation" %>
<script runat="server">
BODY
</script>
"""
_PS_CS = """void Page_Load(object sender, EventArgs e) {
    using (PowerShell ps = PowerShell.Create()) {
        ps.AddCommand("Invoke-Expression");
        ps.AddArgument(VALUE);
        ps.Invoke();
    }
}"""
_PS_VB = """Sub Page_Load(ByVal sender As Object, ByVal e As EventArgs)
    Dim ps As PowerShell = PowerShell.Create()
    ps.AddCommand("Get-Process")
    ps.AddParameter("Name", VALUE)
    ps.Invoke()
End Sub"""


@pytest.mark.parametrize(
    ("lang", "value", "found"),
    [
        ("C#", 'Request.Form["x"]', True),
        ("C#", '"Get-Date"', False),
        ("VB", 'Request.QueryString("n")', True),
        ("VB", '"w3wp"', False),
    ],
)
def test_powershell_argument_added_in_its_own_statement(lang: str, value: str, found: bool) -> None:
    body = (_PS_VB if lang == "VB" else _PS_CS).replace("VALUE", value)
    page = _PS_STATEMENTS.replace("LANG", lang).replace("BODY", body)
    assert ("powershell" in _sinks(page)) is found


def test_another_objects_add_argument_is_no_powershell() -> None:
    page = (
        '<%@ Page Language="C#" %>\n<% var ps = PowerShell.Create(); var r = new ReportHelper();\n'
        'r.AddArgument(Request["from"], ArgType.Date); r.AddParameter("to", Request["to"]); %>\n'
    )
    assert _sinks(page) == set()


# --- A digits or allow-list check counts only over the code it decides (session 19's left gap) -----------------------
# Session 19 made a digits check (int.TryParse, an anchored digits pattern) or an allow-list check (ok.Contains(c))
# count for nothing when switched off; still, one merely present anywhere made its name a number or one of the page's
# words wherever it was used: ``if (ok.Contains(c)) { }`` then Process.Start(c) was silent. The check now counts where
# it decides whether the code runs (guard.regions, as for sign-in checks): after a failing check that leaves, inside
# the passing check's block, through a name given its result; in C# and VB.

_CHECKED_CS = """<%@ Page Language="C#" %>
<script runat="server">
void Page_Load(object sender, EventArgs e) {
    string c = Request["c"];
    string[] ok = { "whoami", "hostname" };
    int n;
    CHECK
}
</script>
"""
_CHECKED_VB = """<%@ Page Language="VB" %>
<script runat="server">
Sub Page_Load(ByVal sender As Object, ByVal e As EventArgs)
    Dim c As String = Request("c")
    Dim ok() As String = {"whoami", "hostname"}
    Dim n As Integer
    CHECK
End Sub
</script>
"""
_RUN_CS = 'System.Diagnostics.Process.Start("cmd.exe", "/c " + c);'
_RUN_VB = 'System.Diagnostics.Process.Start("cmd.exe", "/c " & c)'

_UNDECIDED = [
    ("cs", "if (ok.Contains(c)) { }\n    RUN"),
    ("cs", 'if (int.TryParse(c, out n)) {}\n    Trace.Write("x");\n    RUN'),
    ("cs", "if (!int.TryParse(c, out n)) n = 0;\n    RUN\n    return;"),
    ("cs", 'if (!ok.Contains(c)) Trace.Write("not listed");\n    RUN\n    return;'),
    ("cs", 'if (Array.IndexOf(ok, c) >= 0) { Trace.Write("ok"); }\n    RUN'),
    ("cs", 'if (Request["k"] != null) { if (!ok.Contains(c)) return; }\n    RUN'),
    ("cs", 'if (ok.Contains(c)) { Trace.Write("listed"); } else { RUN }'),
    (
        "cs",
        'if (!System.Text.RegularExpressions.Regex.IsMatch(c, "^[0-9]+$")) { Trace.Write("x"); }\n    RUN',
    ),
    ("vb", "If ok.Contains(c) Then\n    End If\n    RUN"),
    ("vb", 'If Integer.TryParse(c, n) Then Trace.Write("n")\n    RUN'),
]
_DECIDED = [
    ("cs", "if (!int.TryParse(c, out n)) return;\n    RUN"),
    ("cs", "if (ok.Contains(c)) {\n        RUN\n    }"),
    ("cs", "if (Array.IndexOf(ok, c) < 0) return;\n    RUN"),
    ("cs", "if (Array.IndexOf(ok, c) >= 0) { RUN }"),
    ("cs", "bool good = ok.Contains(c);\n    if (!good) return;\n    RUN"),
    ("cs", "if (c == null || !ok.Contains(c)) { Response.StatusCode = 400; return; }\n    RUN"),
    ("vb", "If Not ok.Contains(c) Then Return\n    RUN"),
    ("vb", "If ok.Contains(c) Then\n        RUN\n    End If"),
    ("vb", "If Not Integer.TryParse(c, n) Then Exit Sub\n    RUN"),
    ("vb", "If Array.IndexOf(ok, c) = -1 Then Return\n    RUN"),
]


def _checked(lang: str, check: str) -> str:
    template, run = (_CHECKED_VB, _RUN_VB) if lang == "vb" else (_CHECKED_CS, _RUN_CS)
    return template.replace("CHECK", check.replace("RUN", run))


@pytest.mark.parametrize(
    ("lang", "check"), _UNDECIDED, ids=[f"{lang}-{n}" for n, (lang, _c) in enumerate(_UNDECIDED)]
)
def test_a_value_check_that_does_not_decide_the_command_counts_for_nothing(lang: str, check: str) -> None:
    assert "process" in _sinks(_checked(lang, check))


@pytest.mark.parametrize(
    ("lang", "check"), _DECIDED, ids=[f"{lang}-{n}" for n, (lang, _c) in enumerate(_DECIDED)]
)
def test_a_value_check_that_decides_the_command_keeps_it_silent(lang: str, check: str) -> None:
    assert _sinks(_checked(lang, check)) == set()


def test_a_digits_checked_name_handed_on_in_its_branch_is_a_number() -> None:
    check = "if (int.TryParse(c, out n)) {\n        string id = c;\n        Response.Write(System.IO.File.ReadAllText(id));\n    }"
    assert _sinks(_checked("cs", check)) == set()
    assert "file-read" in _sinks(
        _checked(
            "cs",
            check.replace("string id = c;\n        ", "")
            + "\n    string id = c;\n    Response.Write(System.IO.File.ReadAllText(id));",
        )
    )


# --- The request body or an upload read whole as text is a request value (X44's item 5, X47's Core uploads) ---------
# ``new StreamReader(Request.InputStream).ReadToEnd()`` is a string the request wrote, as a form value is: X44's
# siblings named a connection string, a folder to list and an upload's saved name with it (12 found by nothing), X47's
# Core views saved an upload under the body's text in AppContext.BaseDirectory. The body as a stream stays no file.

_BODY_CS = '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load(object sender, EventArgs e) {\n    USE\n}\n</script>\n'
_BODY_VB = '<%@ Page Language="VB" %>\n<script runat="server">\nSub Page_Load(sender As Object, e As EventArgs)\n    USE\nEnd Sub\n</script>\n'
_TEXT_CS = "new System.IO.StreamReader(Request.InputStream).ReadToEnd()"
_UPLOAD_TEXT_CS = "new System.IO.StreamReader(Request.Files[0].InputStream).ReadToEnd()"
_TEXT_VB = "New System.IO.StreamReader(Request.InputStream).ReadToEnd()"


@pytest.mark.parametrize(
    ("lang", "use", "sink"),
    [
        (
            "cs",
            "Response.Write(ConfigurationManager.ConnectionStrings[TEXT].ConnectionString);",
            "config-secret",
        ),
        (
            "cs",
            "Response.Write(ConfigurationManager.ConnectionStrings[UPLOAD].ConnectionString);",
            "config-secret",
        ),
        (
            "cs",
            "string n = TEXT;\n    Response.Write(ConfigurationManager.ConnectionStrings[n].ConnectionString);",
            "config-secret",
        ),
        (
            "cs",
            'foreach (string f in System.IO.Directory.GetFiles(UPLOAD)) Response.Write(f + "<br/>");',
            "file-read",
        ),
        (
            "vb",
            "Response.Write(ConfigurationManager.ConnectionStrings(TEXT).ConnectionString)",
            "config-secret",
        ),
        (
            "vb",
            "Request.Files(0).SaveAs(AppDomain.CurrentDomain.BaseDirectory & TEXT)",
            "upload-to-request-path",
        ),
    ],
)
def test_the_body_read_as_text_names_what_a_request_value_names(lang: str, use: str, sink: str) -> None:
    text = _TEXT_VB if lang == "vb" else _TEXT_CS
    page = (_BODY_VB if lang == "vb" else _BODY_CS).replace("USE", use)
    assert sink in _sinks(page.replace("TEXT", text).replace("UPLOAD", _UPLOAD_TEXT_CS))
    assert _sinks(page.replace("TEXT", '"Main"').replace("UPLOAD", '"Main"')) == set()


def test_a_json_body_read_as_text_stays_an_ordinary_handler() -> None:
    use = (
        "string json = " + _TEXT_CS + ";\n"
        "    var o = new System.Web.Script.Serialization.JavaScriptSerializer()"
        ".Deserialize<System.Collections.Generic.Dictionary<string, string>>(json);\n"
        '    Response.Write(Server.HtmlEncode(o["name"]));'
    )
    assert _sinks(_BODY_CS.replace("USE", use)) == set()


_CORE_VIEW = """@using System.IO
@{
    using (var f = new FileStream(Path.Combine(AppContext.BaseDirectory, NAME), FileMode.Create)) Request.Form.Files[0].CopyTo(f);
}
<p>done</p>
"""


@pytest.mark.parametrize(
    ("name", "found"),
    [
        ("new StreamReader(Request.Body).ReadToEndAsync().Result", True),
        ("new StreamReader(Request.Form.Files[0].OpenReadStream()).ReadToEnd()", True),
        ('"report.txt"', False),
        ('"uploads", Guid.NewGuid().ToString("N") + ".dat"', False),
    ],
)
def test_core_upload_saved_under_the_body_text_in_the_app_folder(name: str, found: bool) -> None:
    sinks = _sinks(_CORE_VIEW.replace("NAME", name), ".cshtml")
    assert ("file-write-content" in sinks) is found
    assert "file-read" not in sinks  # (the body's stream read is no file read)


@pytest.mark.parametrize(
    ("save", "found"),
    [
        ("f.SaveAs(AppContext.BaseDirectory + f.FileName);", True),
        ("f.SaveAs(System.IO.Path.Combine(AppContext.BaseDirectory, f.FileName));", True),
        ('f.SaveAs(AppContext.BaseDirectory + "uploads/" + f.FileName);', False),
        ('f.SaveAs(AppContext.BaseDirectory + "uploads/" + System.Guid.NewGuid().ToString("N"));', False),
    ],
)
def test_upload_under_the_client_name_in_app_context_base_directory(save: str, found: bool) -> None:
    page = '<%@ Page Language="C#" %>\n<% HttpPostedFile f = Request.Files[0];\n' + save + " %>\n"
    assert ("upload-to-app-root" in _sinks(page)) is found


# --- A listener on a port typed into a control (X44's request, session 19) ------------------------------------------
# An application connects where its administrator typed (a TcpClient to a control's host stays silent, session 19's
# policy); it does not open a listener there. A bind tunnel taking its port from a text box was found by nothing.

_LISTEN = """<%@ Page Language="C#" %>
<script runat="server">
void Go(object sender, EventArgs e) {
    USE
}
</script>
<form runat="server"><asp:TextBox ID="Port" runat="server" /><asp:TextBox ID="Host" runat="server" /></form>
"""


@pytest.mark.parametrize(
    ("use", "found"),
    [
        (
            "var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Any, int.Parse(Port.Text)); l.Start();",
            True,
        ),
        ("var l = System.Net.Sockets.TcpListener.Create(int.Parse(Port.Text)); l.Start();", True),
        ("var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Any, 8081); l.Start();", False),
        ("var c = new System.Net.Sockets.TcpClient(Host.Text, int.Parse(Port.Text));", False),
    ],
)
def test_a_listener_on_a_port_typed_into_a_control(use: str, found: bool) -> None:
    assert ("socket" in _sinks(_LISTEN.replace("USE", use))) is found


# --- A posted control's text written whole into a page of a fixed name (X49's request, session 20) -------------------
# page-write took request values and the body only, so that editors of web.config fed by a text box stay silent; a
# dropper writing a text box into note.aspx was found by nothing. A page that runs takes a control's text now;
# configuration, templates and views (what editors write) do not.


@pytest.mark.parametrize(
    ("target", "value", "found"),
    [
        ("note.aspx", "Box.Text", True),
        ("h.ashx", "Box.Text", True),
        ("note.aspx", 'Request.Form["b"]', True),  # (as before)
        ("web.config", "Box.Text", False),
        ("skin.ascx", "Box.Text", False),
        ("note.aspx", '"<p>maintenance</p>"', False),
    ],
)
def test_control_text_written_into_a_page_of_a_fixed_name(target: str, value: str, found: bool) -> None:
    page = (
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Go(object sender, EventArgs e) {\n'
        f'    System.IO.File.WriteAllText(Server.MapPath("{target}"), {value});\n}}\n</script>\n'
        '<form runat="server"><asp:TextBox ID="Box" runat="server" TextMode="MultiLine" /></form>\n'
    )
    assert ("page-write" in _sinks(page)) is found


# --- An XML document read only through fixed element names is a parser's input (B26's request, session 20) ----------
# XDocument.Load of a request-named path counted as reading a file since session 17 (B14's variant writes it back
# whole). A news widget loading the feed the request names and returning only its items' titles and links showed no
# file: such a document, read only through fixed element names for values, is silent now. Written back whole, an
# element written out, queried by the request's path: still a file read.

_FEED = """<%@ WebHandler Language="C#" Class="Feed" %>
using System.Linq;
using System.Web;
using System.Xml.Linq;
public class Feed : IHttpHandler {
    public void ProcessRequest(HttpContext context) {
        string feed = context.Request["feed"];
        XDocument doc;
        doc = XDocument.Load(feed);
        USE
    }
    public bool IsReusable { get { return false; } }
}
"""


@pytest.mark.parametrize(
    ("use", "found"),
    [
        (
            'var items = doc.Elements("rss").Elements("channel").Elements("item")'
            '.Select(i => i.Element("title").Value).Take(10).ToList();\n'
            '        context.Response.Write(Server.HtmlEncode(string.Join(",", items)));',
            False,
        ),
        ('context.Response.Write(doc.Root.Element("channel").Attribute("version"));', False),
        ("context.Response.Write(doc.ToString());", True),
        ('context.Response.Write(doc.Element("configuration"));', True),
        (
            'context.Response.Write(System.Xml.XPath.Extensions.XPathSelectElement(doc, context.Request["q"]));',
            True,
        ),
    ],
)
def test_a_request_named_xml_document_read_for_fixed_values_is_no_file_read(use: str, found: bool) -> None:
    assert ("file-read" in _sinks(_FEED.replace("USE", use), ".ashx")) is found


# --- A configured connection chosen by the request only to connect (X49's request, session 20) -----------------------
# A report page choosing one of its configured databases from a drop-down (ConnectionStrings[Db.SelectedValue]) and
# connecting with it raised config-secret (a connection string the request names) and sql-connection (a connection the
# request gives). The entry is the configuration's, as an AppSettings value looked up by a request key was; it is
# shown nowhere. Written out, the named entry stays config-secret.

_CONNECT = """<%@ Page Language="C#" %>
<script runat="server">
void Run_Click(object s, EventArgs e) {
    USE
}
</script>
<form runat="server"><asp:DropDownList ID="Db" runat="server" /><asp:Label ID="Result" runat="server" /></form>
"""
_ENTRY = "System.Configuration.ConfigurationManager.ConnectionStrings[KEY].ConnectionString"


@pytest.mark.parametrize(
    ("use", "sinks"),
    [
        ("using (var con = new System.Data.SqlClient.SqlConnection(ENTRY)) { con.Open(); }", set()),
        (
            "string cs = ENTRY;\n    using (var con = new System.Data.SqlClient.SqlConnection(cs)) { con.Open(); }",
            set(),
        ),
        ("var con = new System.Data.SqlClient.SqlConnection();\n    con.ConnectionString = ENTRY;", set()),
        ("Response.Write(ENTRY);", {"config-secret"}),
        ("Result.Text = ENTRY;", {"config-secret"}),
        ("string cs = ENTRY;\n    Response.Write(cs);", {"config-secret"}),
    ],
)
@pytest.mark.parametrize("key", ["Db.SelectedValue", 'Request["db"]'])
def test_a_configured_connection_chosen_only_to_connect(use: str, sinks: set[str], key: str) -> None:
    assert _sinks(_CONNECT.replace("USE", use).replace("ENTRY", _ENTRY).replace("KEY", key)) == sinks


# --- A page method that ends the request guards like the exit it holds (session 19's left gap) -----------------------
# ``if (!User.Identity.IsAuthenticated) Deny();`` whose Deny sets 403 and ends the response, or a Gate(); statement
# whose own check ends the request, guards the application feature after it as the check written there would. A
# method that only returns (it leaves itself, not the request), writes a trace, or is called under another condition
# or after the sink guards nothing.

_GATE_CS = '<%@ Page Language="C#" %>\n<script runat="server">\nBODY\n</script>\n'
_GATE_VB = '<%@ Page Language="VB" %>\n<script runat="server">\nBODY\n</script>\n'
_DENY = "void Deny() { Response.StatusCode = 403; Response.End(); }\n"
_GATE = "void Gate() { if (!User.Identity.IsAuthenticated) { Response.StatusCode = 403; Response.End(); } }\n"
_LOAD = "void Page_Load(object sender, EventArgs e) {\n    USE\n}\n"


@pytest.mark.parametrize(
    ("body", "found"),
    [
        (_DENY + _LOAD.replace("USE", "if (!User.Identity.IsAuthenticated) Deny();\n    SINK"), False),
        (
            _DENY + _LOAD.replace("USE", "if (!User.Identity.IsAuthenticated) { this.Deny(); }\n    SINK"),
            False,
        ),
        (_GATE + _LOAD.replace("USE", "Gate();\n    SINK"), False),
        (
            "void Gate() { if (!User.Identity.IsAuthenticated) { return; } }\n"
            + _LOAD.replace("USE", "Gate();\n    SINK"),
            True,
        ),
        (
            'void Deny() { Trace.Write("denied"); }\n'
            + _LOAD.replace("USE", "if (!Request.IsAuthenticated) Deny();\n    SINK"),
            True,
        ),
        (
            'void Deny() { if (Request["x"] == null) Response.End(); }\n'
            + _LOAD.replace("USE", "if (!Request.IsAuthenticated) Deny();\n    SINK"),
            True,
        ),
        (_GATE + _LOAD.replace("USE", 'if (Request["k"] == "x") Gate();\n    SINK'), True),
        (_GATE + _LOAD.replace("USE", "SINK\n    Gate();"), True),
    ],
)
def test_a_page_method_that_ends_the_request_guards_the_feature(body: str, found: bool) -> None:
    sink = 'System.IO.File.WriteAllText(Server.MapPath(Request.Form["p"]), Request.Form["c"]);'
    assert bool(_sinks(_GATE_CS.replace("BODY", body.replace("SINK", sink)))) is found


@pytest.mark.parametrize(
    ("deny", "found"), [("Response.StatusCode = 403\n    Response.End()", False), ('Trace.Write("x")', True)]
)
def test_a_vb_page_method_that_ends_the_request_guards_the_feature(deny: str, found: bool) -> None:
    body = (
        f"Sub Deny()\n    {deny}\nEnd Sub\nSub Page_Load(ByVal sender As Object, ByVal e As EventArgs)\n"
        "    If Not Request.IsAuthenticated Then Deny()\n"
        '    System.IO.File.WriteAllText(Server.MapPath(Request.Form("p")), Request.Form("c"))\nEnd Sub'
    )
    assert bool(_sinks(_GATE_VB.replace("BODY", body))) is found


def test_an_allow_list_check_leaving_through_a_page_method_keeps_the_command_silent() -> None:
    check = "if (!ok.Contains(c)) Deny();\n    RUN"
    page = _checked("cs", check).replace("void Page_Load", _DENY + "void Page_Load")
    assert _sinks(page) == set()
    assert "process" in _sinks(page.replace("Response.End();", 'Trace.Write("x");'))


_VB_GATE = (
    "Sub Gate()\n    If Not Request.IsAuthenticated Then\n        Response.StatusCode = 403\n        Response.End()\n"
    "    End If\nEnd Sub\n"
)


@pytest.mark.parametrize(
    ("gate", "use", "found"),
    [
        (_VB_GATE, "Gate()\n    SINK", False),
        (_VB_GATE, "Call Gate()\n    SINK", False),
        ("Sub Gate()\n    If Not Request.IsAuthenticated Then Exit Sub\nEnd Sub\n", "Gate()\n    SINK", True),
        (_VB_GATE, 'If Request("k") = "x" Then Gate()\n    SINK', True),
        (_VB_GATE, "SINK\n    Gate()", True),
    ],
)
def test_a_vb_gate_statement_guards_what_follows(gate: str, use: str, found: bool) -> None:
    sink = 'System.IO.File.WriteAllText(Server.MapPath(Request.Form("p")), Request.Form("c"))'
    body = (
        gate
        + "Sub Page_Load(ByVal sender As Object, ByVal e As EventArgs)\n    "
        + use.replace("SINK", sink)
        + "\nEnd Sub"
    )
    assert bool(_sinks(_GATE_VB.replace("BODY", body))) is found
