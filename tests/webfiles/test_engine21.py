"""Behaviour engine, session 21 (issue 14, A15).

Each group is an item left by session 20 (``/work/notes/report_A14.md``, "What is left") or a request of this session
(``/work/notes/to_a15.md``): harmless reproductions of a shape that must be found, and ordinary pages of the same
make that stay silent. The pages were written for these tests: nothing is compiled or run, names, files and hosts are
placeholders, and none is a copy of a real shell.
"""

from __future__ import annotations

import pytest

from .rule_tables import sinks_of as _sinks

# --- A posted password written to a file (X49's request 3, session 20) -----------------------------------------------
# X26's OWA logon page, backdoored, appended each user name and password to a file. request-harvest took it when the
# path was a literal drive path; under the site or App_Data (X44's 39 cred-logger siblings) only YARA found it.

_CS_PAGE = """<%@ Page Language="C#" %>
<%@ Import Namespace="System.IO" %>
<script runat="server">
void Page_Load(object sender, EventArgs e) {
    if (!IsPostBack) return;
    string who = Request.Form["username"];
    BODY
}
</script>
<form method="post"><input name="username" /><input name="password" type="password" /></form>
"""
_VB_PAGE = """<%@ Page Language="VB" %>
<%@ Import Namespace="System.IO" %>
<script runat="server">
Sub Page_Load()
    Dim who As String = Request.Form("username")
    BODY
End Sub
</script>
"""

_PASSWORD_WRITTEN = [
    # (language, body): a request value read by a password's key reaching a file write
    ("cs", 'File.AppendAllText(Server.MapPath("~/App_Data/s.log"), who + ":" + Request.Form["password"] + "\\r\\n");'),
    ("cs", 'string pw = Request.Params["passwd"];\n    File.AppendAllText(Server.MapPath("~/App_Data/s.log"), who + "|" + pw);'),
    ("cs", 'using (var w = new StreamWriter(Server.MapPath("~/images/t.gif"), true)) { w.WriteLine(who + " " + Request["pwd"]); }'),
    ("cs", 'var r = Context.Request;\n    File.WriteAllText(MapPath("x.dat"), r.Form.Get("passwordText"));'),
    ("cs", 'string line = String.Format("{0}:{1}", who, Request.Form["txtPassword"]);\n    File.AppendAllLines(Path.Combine(Path.GetTempPath(), "u.txt"), new[] { line });'),
    ("vb", 'File.AppendAllText(Server.MapPath("~/App_Data/s.log"), who & ":" & Request.Form("password") & vbCrLf)'),
    ("vb", 'Dim p As String = Request("PASSWORD")\n    My.Computer.FileSystem.WriteAllText(MapPath("s.log"), who & p, True)'),
]

_ORDINARY = [
    # a logon page that logs who signed in, never the password
    ("cs", 'File.AppendAllText(Server.MapPath("~/App_Data/audit.log"), who + " signed in\\r\\n");'),
    # a password only compared with a stored one
    ("cs", 'if (File.ReadAllText(Server.MapPath("~/App_Data/p.txt")) == Request.Form["password"]) Session["ok"] = who;'),
    # a user store that keeps a hash of the password
    (
        "cs",
        "var h = System.Security.Cryptography.SHA256.Create().ComputeHash(System.Text.Encoding.UTF8.GetBytes("
        'Request.Form["password"]));\n    File.AppendAllText(Server.MapPath("~/App_Data/users.txt"), who + ":" + '
        "Convert.ToBase64String(h));",
    ),
    # an installer writing the database password into the site's configuration
    (
        "cs",
        'File.WriteAllText(Server.MapPath("~/web.config"), File.ReadAllText(Server.MapPath("~/web.template"))'
        '.Replace("{pwd}", Request.Form["dbPassword"]));',
    ),
    # a change-password note that names the word only in its text
    ("cs", 'File.AppendAllText(Server.MapPath("~/App_Data/audit.log"), "password changed for " + who);'),
    ("vb", 'File.AppendAllText(Server.MapPath("~/App_Data/audit.log"), who & " signed in" & vbCrLf)'),
]


def _page(lang: str, body: str) -> str:
    return (_CS_PAGE if lang == "cs" else _VB_PAGE).replace("BODY", body)


@pytest.mark.parametrize(("lang", "body"), _PASSWORD_WRITTEN)
def test_a_posted_password_written_to_a_file_is_a_credential_logger(lang: str, body: str) -> None:
    assert "password-to-file" in _sinks(_page(lang, body))


@pytest.mark.parametrize(("lang", "body"), _ORDINARY)
def test_a_logon_page_that_writes_no_password_stays_silent(lang: str, body: str) -> None:
    assert _sinks(_page(lang, body)) == set()


def test_a_posted_password_in_a_handler_and_its_hashed_twin() -> None:
    handler = """<%@ WebHandler Language="C#" Class="H" %>
using System.IO; using System.Web;
public class H : IHttpHandler {
    public void ProcessRequest(HttpContext ctx) {
        string u = ctx.Request.Form["username"], p = ctx.Request.Form["password"];
        WRITE
        ctx.Response.Redirect("/owa/");
    }
    public bool IsReusable { get { return false; } }
}
"""
    plain = 'File.AppendAllText(ctx.Server.MapPath("~/App_Data/l.txt"), u + ":" + p);'
    assert "password-to-file" in _sinks(handler.replace("WRITE", plain), ".ashx")
    kept = 'File.AppendAllText(ctx.Server.MapPath("~/App_Data/l.txt"), u + ":" + Crypto.HashPassword(p));'
    assert _sinks(handler.replace("WRITE", kept), ".ashx") == set()


# --- A value check in one method, the use in the method it calls (report_A14, "What is left") -----------------------
# Session 20 counted a digits or allow-list check only over the code it decides, in its own method. A field checked in
# Page_Load and used in the method Page_Load then calls was read as unchecked (an ordinary diagnostic page flagged).
# The method counts as decided when the page reaches it only by calls the check decides (two calls deep); a method
# wired in markup, handed as a delegate, called from elsewhere too, or one ASP.NET calls itself is not.

_FIELD_PAGE = """<%@ Page Language="C#" %>
<script runat="server">
string tool;
static readonly string[] Allowed = { "ping", "tracert" };
void Page_Load(object s, EventArgs e) {
    tool = Request.QueryString["t"];
    CHECK
    Run();
}
void Run() {
    System.Diagnostics.Process.Start(tool, "127.0.0.1");
}
MORE
</script>
MARKUP
"""
_FIELD_VB = """<%@ Page Language="VB" %>
<script runat="server">
Dim tool As String
Dim Allowed() As String = {"ping", "tracert"}
Sub Page_Load()
    tool = Request.QueryString("t")
    CHECK
    Run()
End Sub
Sub Run()
    System.Diagnostics.Process.Start(tool, "127.0.0.1")
End Sub
MORE
</script>
MARKUP
"""
_DECIDES = "if (!Allowed.Contains(tool)) { Response.End(); return; }"
_DECIDES_VB = "If Not Allowed.Contains(tool) Then\n        Response.End()\n        Return\n    End If"


@pytest.mark.parametrize(
    ("lang", "check", "more", "markup", "found"),
    [
        ("cs", _DECIDES, "", "", False),
        ("cs", "int n; if (!int.TryParse(tool, out n)) return;", "", "", False),
        ("cs", _DECIDES, "void Later() { Step(); }\nvoid Step() { Run(); }", "", True),  # a caller unchecked
        ("cs", "", "", "", True),
        ("cs", "if (Allowed.Contains(tool)) { }", "", "", True),  # a check that decides nothing
        ("cs", _DECIDES, "void Again() { Run(); }", "", True),  # another way in
        ("cs", _DECIDES, "", '<asp:Button runat="server" OnClick="Run" />', True),  # wired in markup
        ("cs", _DECIDES, "void Wire() { Load += delegate { }; Action a = Run; a(); }", "", True),  # a delegate
        ("cs", "if (Allowed.Contains(tool)) { Run(); }", "", "", True),  # a second call, after the branch
        ("vb", _DECIDES_VB, "", "", False),
        ("vb", "", "", "", True),
        ("vb", _DECIDES_VB, "Sub Again()\n    Run\nEnd Sub", "", True),
        ("vb", _DECIDES_VB, "Sub Clicked(ByVal s As Object, ByVal e As EventArgs) Handles Go.Click\n    Run()\nEnd Sub", "", True),
    ],
)
def test_a_check_in_the_caller_decides_the_method_it_calls(
    lang: str, check: str, more: str, markup: str, found: bool
) -> None:
    page = (_FIELD_PAGE if lang == "cs" else _FIELD_VB).replace("CHECK", check).replace("MORE", more)
    assert ("process" in _sinks(page.replace("MARKUP", markup))) is found


def test_a_check_two_calls_up_decides_and_an_entry_of_its_own_does_not() -> None:
    two_deep = _FIELD_PAGE.replace("    Run();\n}", "    Step();\n}\nvoid Step() { Run(); }", 1)
    assert "process" not in _sinks(two_deep.replace("CHECK", _DECIDES).replace("MORE", "").replace("MARKUP", ""))
    # ASP.NET calls an override itself, whoever else calls it
    entry = _FIELD_PAGE.replace("void Run()", "protected override void OnPreRender(EventArgs e)").replace(
        "    Run();", "    OnPreRender(e);"
    )
    assert "process" in _sinks(entry.replace("CHECK", _DECIDES).replace("MORE", "").replace("MARKUP", ""))


# --- A gate method of any length (report_A14, "What is left") ----------------------------------------------------------
# Session 20 read a Gate(); statement's method only when short (C# up to 800 characters with blocks one deep, VB up to
# 20 lines): an application's gate that also logs, counts or sets headers guarded nothing, and its feature was
# flagged. The check's own method is now read whole; a long gate that only returns, or whose check is under another
# condition, still guards nothing.

_FEATURE_CS = 'System.IO.File.WriteAllText(Server.MapPath(Request.Form["p"]), Request.Form["c"]);'
_FEATURE_VB = 'System.IO.File.WriteAllText(Server.MapPath(Request.Form("p")), Request.Form("c"))'
_PADDING_CS = "".join(f'    Trace.Write("gate step {i}", Request.UserHostAddress ?? "");\n' for i in range(30))
_PADDING_VB = "".join(f'    Trace.Write("gate step {i}")\n' for i in range(30))


def _long_gate_cs(leave: str) -> str:
    return (
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Gate() {\n'
        + _PADDING_CS
        + '    if (Request.Headers["X-Trace"] != null) { foreach (var k in Request.Headers.AllKeys) { if (k.Length > 0) '
        '{ Trace.Write(k); } } }\n'
        + f"    if (!User.Identity.IsAuthenticated) {{ Response.StatusCode = 403; {leave} }}\n"
        + _PADDING_CS
        + "}\nvoid Page_Load(object sender, EventArgs e) {\n    Gate();\n    "
        + _FEATURE_CS
        + "\n}\n</script>\n"
    )


def _long_gate_vb(leave: str) -> str:
    return (
        '<%@ Page Language="VB" %>\n<script runat="server">\nSub Gate()\n'
        + _PADDING_VB
        + f"    If Not Request.IsAuthenticated Then\n        Response.StatusCode = 403\n        {leave}\n    End If\n"
        + _PADDING_VB
        + "End Sub\nSub Page_Load(ByVal sender As Object, ByVal e As EventArgs)\n    Gate()\n    "
        + _FEATURE_VB
        + "\nEnd Sub\n</script>\n"
    )


@pytest.mark.parametrize(
    ("page", "found"),
    [
        (_long_gate_cs("Response.End();"), False),
        (_long_gate_cs("return;"), True),  # leaves the gate, not the request
        (_long_gate_cs("Response.End();").replace("    if (!User", "    if (DateTime.Now.Hour > 1) if (!User"), True),
        (_long_gate_vb("Response.End()"), False),
        (_long_gate_vb("Exit Sub"), True),
    ],
)
def test_a_long_gate_method_guards_what_follows_its_call(page: str, found: bool) -> None:
    assert ("file-write-content" in _sinks(page) or "file-write" in _sinks(page)) is found


# --- B26's VB feed reader (to_a14.md, session 20 addendum) ------------------------------------------------------------
# A request-named XML document read only through fixed element names is a parser's input (session 20); the VB shape
# walks the items in a For Each loop, reading each item's fixed elements in the loop's body, and was still file-read.

_VB_FEED = """<%@ WebHandler Language="VB" Class="Feed" %>
Imports System.Linq
Imports System.Web
Imports System.Xml.Linq
Public Class Feed
    Implements IHttpHandler
    Public Sub ProcessRequest(ByVal context As HttpContext) Implements IHttpHandler.ProcessRequest
        Dim doc As XDocument = XDocument.Load(context.Request("feed"))
        For Each item In doc.Elements("rss").Elements("channel").Elements("item").Take(10)
            USE
        Next
    End Sub
    Public ReadOnly Property IsReusable As Boolean Implements IHttpHandler.IsReusable
        Get
            Return False
        End Get
    End Property
End Class
"""


@pytest.mark.parametrize(
    ("use", "found"),
    [
        ('context.Response.Write(HttpUtility.HtmlEncode(item.Element("title").Value) & "<br/>")', False),
        ('Dim t As String = item.Element("title").Value\n            context.Response.Write(t)', False),
        ("context.Response.Write(item.ToString())", True),  # the node written out whole
        ('context.Response.Write(item.Element("title").Value)\n            context.Response.Write(item)', True),
        ('For Each x In item.Elements("y")\n            Next\n            context.Response.Write(item)', True),
    ],
)
def test_a_vb_loop_over_fixed_elements_of_a_loaded_feed_is_no_file_read(use: str, found: bool) -> None:
    assert ("file-read" in _sinks(_VB_FEED.replace("USE", use), ".ashx")) is found


# --- The lead's ruling on B29's request (to_a15.md, 22:45 UTC): upload and download handlers confined to a fixed folder
# are read as applications. A request-given name below a fixed folder, filled from the body or an upload, is a
# vulnerable application at worst, not a web shell: it stays silent. Written content decoded or taken from a form
# value (File.WriteAll*), or a path with no fixed folder, stays found.

_UPLOADS = """<%@ WebHandler Language="C#" Class="H" %>
using System; using System.IO; using System.Web;
public class H : IHttpHandler {
    public void ProcessRequest(HttpContext context) {
        BODY
    }
    public bool IsReusable { get { return false; } }
}
"""


@pytest.mark.parametrize(
    ("body", "sinks"),
    [
        # a fixed folder, the body or an upload written under the request's name: silent by design
        (
            'using (FileStream fs = File.Create(context.Server.MapPath("~/images/") + "T" + context.Request["n"])) '
            "{ context.Request.InputStream.CopyTo(fs); }",
            set(),
        ),
        (
            'string n = context.Request["n"]; HttpPostedFile up = context.Request.Files[0];\n'
            '        using (var fs = new FileStream(Path.Combine(context.Server.MapPath("temp"), n), FileMode.Create)) '
            "{ up.InputStream.CopyTo(fs); }",
            set(),
        ),
        (
            "HttpPostedFile file = context.Request.Files[0];\n"
            '        file.SaveAs(context.Server.MapPath("~/up/" + context.Request["p"]));',
            set(),
        ),
        # no fixed folder: the request names the whole path
        (
            'using (FileStream fs = File.Create(context.Request["n"])) { context.Request.InputStream.CopyTo(fs); }',
            {"file-write"},
        ),
        # content from a form value, decoded, below a fixed folder
        (
            'File.WriteAllBytes(context.Server.MapPath("~/up/" + context.Request["f"]), '
            'Convert.FromBase64String(context.Request["d"]));',
            {"file-write-content"},
        ),
    ],
)
def test_upload_handlers_confined_to_a_fixed_folder_are_read_as_applications(body: str, sinks: set[str]) -> None:
    assert _sinks(_UPLOADS.replace("BODY", body), ".ashx") == sinks


# --- B29's requests (to_a15.md, 22:40 and 22:49 UTC): launchers and loaders other than Process.Start/Assembly.Load ---
# The compiler's Executor (ExecWait, ExecWaitWithCapture) hands a command line to CreateProcess; Visual Basic's
# Interaction.Shell is callable from C#; AppDomain.ExecuteAssembly runs a program's Main in the worker;
# CreateInstanceFrom[AndUnwrap] makes a type from a DLL file; ManagedInstallerClass.InstallHelper runs an assembly's
# installer classes; NetDataContractSerializer reads with ReadObject. With a request value: found; fixed: silent.

_LAUNCH = '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load(object sender, EventArgs e) {\n    BODY\n}\n</script>\n'


@pytest.mark.parametrize(
    ("body", "sink"),
    [
        (
            'string o = "", er = "";\n    System.CodeDom.Compiler.Executor.ExecWaitWithCapture(Request["c"], '
            "new System.CodeDom.Compiler.TempFileCollection(), ref o, ref er);",
            "process",
        ),
        ('Microsoft.VisualBasic.Interaction.Shell(Request["c"], Microsoft.VisualBasic.AppWinStyle.Hide, false, -1);', "process"),
        ('AppDomain.CurrentDomain.ExecuteAssembly(Server.MapPath(Request["f"]), new string[] { Request["a"] });', "assembly-load"),
        ('Activator.CreateInstanceFrom(Server.MapPath(Request["a"]), Request["t"]).Unwrap();', "assembly-load"),
        ('AppDomain.CurrentDomain.CreateInstanceFromAndUnwrap(Server.MapPath(Request["a"]), Request["t"]);', "assembly-load"),
        (
            "System.Configuration.Install.ManagedInstallerClass.InstallHelper(new string[] { \"/U\", "
            'Server.MapPath(Request["d"]) });',
            "assembly-load",
        ),
        (
            "new System.Runtime.Serialization.NetDataContractSerializer().ReadObject(new System.IO.MemoryStream("
            'Convert.FromBase64String(Request["x"])));',
            "deserialize",
        ),
    ],
)
def test_other_launchers_and_loaders_given_request_input(body: str, sink: str) -> None:
    assert sink in _sinks(_LAUNCH.replace("BODY", body))


@pytest.mark.parametrize(
    "body",
    [
        'string o = "", er = "";\n    System.CodeDom.Compiler.Executor.ExecWaitWithCapture("sqlldr.exe control=load.ctl", '
        "new System.CodeDom.Compiler.TempFileCollection(), ref o, ref er);",
        'Activator.CreateInstanceFrom(Server.MapPath("~/bin/Reports.dll"), "Reports.Monthly").Unwrap();',
        'AppDomain.CurrentDomain.ExecuteAssembly(Server.MapPath("~/bin/Rebuild.exe"));',
        "var s = new System.Runtime.Serialization.Json.DataContractJsonSerializer(typeof(string[]));\n"
        "    var names = (string[])s.ReadObject(Request.InputStream);",
    ],
)
def test_a_fixed_launcher_or_a_json_reader_stays_silent(body: str) -> None:
    assert _sinks(_LAUNCH.replace("BODY", body)) == set()


# --- B29's request (to_a15.md, 23:06 UTC): a task the scheduler runs, a data source control's select command --------

_TASK = """<%@ Page Language="C#" %>
<script runat="server">
void Page_Load(object sender, EventArgs e) {
    dynamic s = Activator.CreateInstance(Type.GetTypeFromProgID("Schedule.Service"));
    s.Connect();
    USE
}
</script>
"""


@pytest.mark.parametrize(
    ("use", "found"),
    [
        (
            'dynamic t = s.NewTask(0);\n    dynamic a = t.Actions.Create(0);\n    a.Path = Request["c"];\n'
            '    s.GetFolder("\\\\").RegisterTaskDefinition("u", t, 6, null, null, 3);',
            True,
        ),
        ('dynamic t = s.NewTask(0);\n    dynamic a = t.Actions.Create(0);\n    a.Path = "cmd.exe";\n    a.Arguments = "/c " + Request.Form["a"];', True),
        # a status page listing the tasks, or an action of its own
        ('foreach (dynamic t in s.GetFolder("\\\\").GetTasks(0)) Response.Write(Server.HtmlEncode(t.Name) + "<br/>");', False),
        ('dynamic t = s.NewTask(0);\n    dynamic a = t.Actions.Create(0);\n    a.Path = Server.MapPath("~/bin/cleanup.exe");', False),
    ],
)
def test_a_scheduled_task_given_the_requests_command(use: str, found: bool) -> None:
    assert ("scheduled-task" in _sinks(_TASK.replace("USE", use))) is found


@pytest.mark.parametrize(
    ("make", "found"),
    [
        ('new SqlDataSource(ConfigurationManager.ConnectionStrings["main"].ConnectionString, Request["q"])', True),
        ("new SqlDataSource(ConfigurationManager.ConnectionStrings[0].ConnectionString, Box.Text)", True),
        (
            'new SqlDataSource(ConfigurationManager.ConnectionStrings["main"].ConnectionString, '
            '"SELECT Name FROM Items WHERE Kind = \'" + Kind.SelectedValue.Replace("\'", "") + "\'")',
            False,
        ),
        ('new SqlDataSource(ConfigurationManager.ConnectionStrings["main"].ConnectionString, "SELECT Name FROM Items")', False),
    ],
)
def test_a_data_source_made_with_the_requests_select_command(make: str, found: bool) -> None:
    page = (
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load(object sender, EventArgs e) {\n'
        f"    var ds = {make};\n    Grid.DataSource = ds;\n    Grid.DataBind();\n}}\n</script>\n"
        '<asp:TextBox ID="Box" runat="server" /><asp:DropDownList ID="Kind" runat="server" />'
        '<asp:GridView ID="Grid" runat="server" />\n'
    )
    assert ("sql-text" in _sinks(page)) is found


# --- One VB method header for method bodies and gates (the lead's request, 23:32 UTC) ---------------------------------
# guard's gates read VB headers with fewer modifiers than taint's method bodies: an Overrides or Async gate was no gate.


@pytest.mark.parametrize("modifiers", ["Protected Overrides", "Private Async", "Public Overloads", "Friend Shared"])
def test_a_vb_gate_with_any_modifiers_guards_what_follows(modifiers: str) -> None:
    page = (
        f'<%@ Page Language="VB" %>\n<script runat="server">\n{modifiers} Sub Gate()\n'
        "    If Not Request.IsAuthenticated Then\n        Response.StatusCode = 403\n        Response.End()\n"
        "    End If\nEnd Sub\nSub Page_Load(ByVal sender As Object, ByVal e As EventArgs)\n    Gate()\n"
        '    System.IO.File.WriteAllText(Server.MapPath(Request.Form("p")), Request.Form("c"))\nEnd Sub\n</script>\n'
    )
    assert _sinks(page) == set()
    assert _sinks(page.replace("        Response.End()\n", "        Exit Sub\n")) != set()  # (leaves the gate only)


# --- B29's request (to_a15.md, 23:24 UTC): clearing a Windows event log -----------------------------------------------
# A log the request names cleared (EventLog(name).Clear(), held in a name or not; EventLogSession.ClearLog), or the
# machine's Security/System/PowerShell/Sysmon log cleared whatever the request: an intruder erasing the record. An
# application clearing its own log, and a Security log viewer, stay silent.

_LOGS = '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load(object sender, EventArgs e) {\n    BODY\n}\n</script>\n'


@pytest.mark.parametrize(
    ("body", "sinks"),
    [
        ('new System.Diagnostics.EventLog(Request["log"]).Clear();', {"event-log-clear"}),
        ('var l = new EventLog(Request.Form["n"]);\n    l.Clear();', {"event-log-clear"}),
        ('System.Diagnostics.Eventing.Reader.EventLogSession.GlobalSession.ClearLog(Request["log"]);', {"event-log-clear"}),
        ('if (Request["go"] != null) { new System.Diagnostics.EventLog("Security").Clear(); }', {"system-log-clear"}),
        ('var s = new EventLog("Windows PowerShell");\n    s.Clear();', {"system-log-clear"}),
        # the application's own log, and a Security log read
        ('if (Request["go"] != null) { new EventLog("ShopApp").Clear(); }', set()),
        (
            'var s = new EventLog("Security");\n    foreach (EventLogEntry x in s.Entries) '
            "Response.Write(Server.HtmlEncode(x.Message));",
            set(),
        ),
    ],
)
def test_clearing_an_event_log(body: str, sinks: set[str]) -> None:
    assert _sinks(_LOGS.replace("BODY", body)) == sinks


def test_clearing_the_security_log_in_vb() -> None:
    page = '<%@ Page Language="VB" %>\n<script runat="server">\nSub Page_Load()\n    Call New EventLog("Security").Clear()\nEnd Sub\n</script>\n'
    assert _sinks(page) == {"system-log-clear"}
    assert _sinks(page.replace('"Security"', '"ShopApp"')) == set()
