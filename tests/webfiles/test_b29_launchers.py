"""Request input handed to a .NET launcher other than ``Process.Start``, or a loader other than ``Assembly.Load*``
(issue 14, helper B29, session 21).

B29's stress sample of benign pages that do shells' jobs (BENCHMARKS.md, "False positives on unseen benign
pages that do shells' jobs") met an admin import page that runs a fixed loader through CodeDom's
``Executor.ExecWait``. Probing that API and its neighbours showed three launchers found by nothing, own rules
or signature-base, when the request chooses what they run: ``Executor.ExecWait``/``ExecWaitWithCapture`` (a
command line handed to CreateProcess), ``Microsoft.VisualBasic.Interaction.Shell`` called from C# (the
behaviour vocabulary knows it in VB only) and ``AppDomain.ExecuteAssembly`` (a program's ``Main`` run inside
the worker process). ``EXT_WEBSHELL_Page_Runs_Command_Through_Alternate_Launcher`` takes a launcher beside a
request read, or a WebForms control's text handed to it; the pages below are harmless shapes written for
these tests (they run ``hostname``). The quiet twin is the admin page's shape: a loader whose command the
page builds from its own settings, with no request read.

The same probing found four loaders silent when the request names what they load: ``Activator.CreateInstanceFrom``
and ``AppDomain.CreateInstanceFrom(AndUnwrap)`` (an assembly loaded from a path, a type of it created),
``ManagedInstallerClass.InstallHelper`` (an assembly's installer code run, InstallUtil's way) and
``NetDataContractSerializer.ReadObject`` (the data names the types it builds; the other type-naming formatters are
found). ``EXT_WEBSHELL_Page_Loads_Code_Through_Alternate_Loader`` takes them beside a request read; its twins are a
plugin host creating a fixed type from a fixed assembly and a handler reading its body with the ordinary
``DataContractSerializer``.

A task registered through the Task Scheduler (``Schedule.Service`` by COM, or the TaskScheduler library's
``ExecAction``) whose action the request gives was silent too: ``EXT_WEBSHELL_Page_Schedules_Request_Command``;
its twin is a status page that reads the request and lists the server's tasks without registering one. A page
clearing a Windows event log (Security, System, a request-named log; ``EventLog.Clear``,
``EventLogSession.ClearLog``) was silent as well: ``EXT_WEBSHELL_Page_Clears_Windows_Event_Log``; its twins are an
admin page clearing the application's own log and a viewer of the Security log.
"""

from __future__ import annotations

from .rule_tables import Page, RuleCase, quiet_pages_test, rule_tables

_RULE = "EXT_WEBSHELL_Page_Runs_Command_Through_Alternate_Launcher"

_EXEC_WAIT_CAPTURE = (
    '<%@ Page Language="C#" %>\n'
    '<%@ Import Namespace="System.CodeDom.Compiler" %>\n'
    '<script runat="server">\n'
    "protected void Page_Load(object sender, EventArgs e)\n"
    "{\n"
    '    string output = "", error = "";\n'
    '    string line = "hostname " + Request.Form["a"];\n'
    "    Executor.ExecWaitWithCapture(line, new TempFileCollection(), ref output, ref error);\n"
    "    Response.Write(Server.HtmlEncode(System.IO.File.ReadAllText(output)));\n"
    "}\n"
    "</script>\n"
)
_EXEC_WAIT_VB = (
    '<%@ Page Language="VB" %>\n'
    '<script runat="server">\n'
    "Sub Page_Load(sender As Object, e As EventArgs)\n"
    '    System.CodeDom.Compiler.Executor.ExecWait("hostname " & Request("a"), _\n'
    "        New System.CodeDom.Compiler.TempFileCollection())\n"
    "End Sub\n"
    "</script>\n"
)
_CONTROL_TEXT = (
    '<%@ Page Language="C#" %>\n'
    '<script runat="server">\n'
    "protected void Go_Click(object sender, EventArgs e)\n"
    "{\n"
    "    System.CodeDom.Compiler.Executor.ExecWait(Line.Text, new System.CodeDom.Compiler.TempFileCollection());\n"
    "}\n"
    "</script>\n"
    '<form runat="server"><asp:TextBox ID="Line" runat="server" />\n'
    '<asp:Button runat="server" OnClick="Go_Click" Text="Go" /></form>\n'
)
_INTERACTION_SHELL = (
    '<%@ WebHandler Language="C#" Class="Tool" %>\n'
    "using System.Web;\n"
    "public class Tool : IHttpHandler\n"
    "{\n"
    "    public void ProcessRequest(HttpContext context)\n"
    "    {\n"
    '        string a = context.Request.QueryString["a"];\n'
    '        Microsoft.VisualBasic.Interaction.Shell("hostname " + a, Microsoft.VisualBasic.AppWinStyle.Hide);\n'
    "    }\n"
    "    public bool IsReusable { get { return false; } }\n"
    "}\n"
)
_EXECUTE_ASSEMBLY = (
    '<%@ Page Language="C#" %>\n'
    '<script runat="server">\n'
    "protected void Page_Load(object sender, EventArgs e)\n"
    "{\n"
    '    AppDomain.CurrentDomain.ExecuteAssembly(Server.MapPath(Request["p"]), new[] { "hostname" });\n'
    "}\n"
    "</script>\n"
)
# the admin page's shape: a loader run for each data file of a folder, its command built from the page's
# own settings (the folder typed into a text box only lists files; nothing of the request reaches the launcher)
_FIXED_LOADER = (
    '<%@ Page Language="VB" %>\n'
    '<%@ Import Namespace="System.IO" %>\n'
    '<script runat="server">\n'
    "Sub Import_Click(sender As Object, e As EventArgs)\n"
    '    Dim folder As String = ConfigurationManager.AppSettings("ImportFolder")\n'
    '    For Each name As String In Directory.GetFiles(folder, "*.dat")\n'
    '        Dim cmd As String = "loader.exe control=" & ConfigurationManager.AppSettings("ControlFile") & " data=" & name\n'
    "        System.CodeDom.Compiler.Executor.ExecWait(cmd, New System.CodeDom.Compiler.TempFileCollection())\n"
    '        Output.Text &= name & " imported<br>"\n'
    "    Next\n"
    "End Sub\n"
    "</script>\n"
    '<form runat="server"><asp:Button runat="server" OnClick="Import_Click" Text="Import" />\n'
    '<asp:Label ID="Output" runat="server" /></form>\n'
)

_INSTALL_HELPER = (
    '<%@ Page Language="VB" %>\n'
    '<script runat="server">\n'
    "Sub Page_Load(sender As Object, e As EventArgs)\n"
    '    Dim args() As String = {"/LogToConsole=false", "/U", Server.MapPath(Request.QueryString("d"))}\n'
    "    System.Configuration.Install.ManagedInstallerClass.InstallHelper(args)\n"
    "End Sub\n"
    "</script>\n"
)
_ACTIVATOR_FROM = (
    '<%@ WebHandler Language="C#" Class="Plug" %>\n'
    "using System;\n"
    "using System.Web;\n"
    "public class Plug : IHttpHandler\n"
    "{\n"
    "    public void ProcessRequest(HttpContext context)\n"
    "    {\n"
    '        string file = context.Server.MapPath(context.Request["a"]);\n'
    '        object o = Activator.CreateInstanceFrom(file, context.Request["t"]).Unwrap();\n'
    '        context.Response.Write(o == null ? "" : "hostname");\n'
    "    }\n"
    "    public bool IsReusable { get { return false; } }\n"
    "}\n"
)
_APPDOMAIN_FROM = (
    '<%@ Page Language="C#" %>\n'
    '<script runat="server">\n'
    "protected void Page_Load(object sender, EventArgs e)\n"
    "{\n"
    '    AppDomain.CurrentDomain.CreateInstanceFromAndUnwrap(Server.MapPath(Request.Form["a"]), Request.Form["t"]);\n'
    "}\n"
    "</script>\n"
)
_NET_DATA_CONTRACT = (
    '<%@ Page Language="C#" %>\n'
    '<script runat="server">\n'
    "protected void Page_Load(object sender, EventArgs e)\n"
    "{\n"
    "    var s = new System.Runtime.Serialization.NetDataContractSerializer();\n"
    '    object o = s.ReadObject(new System.IO.MemoryStream(Convert.FromBase64String(Request["x"])));\n'
    "}\n"
    "</script>\n"
)
# a plugin host: a fixed type of a fixed assembly under bin, no request read
_FIXED_PLUGIN = (
    '<%@ Application Language="C#" %>\n'
    '<script runat="server">\n'
    "void Application_Start(object sender, EventArgs e)\n"
    "{\n"
    '    string file = HttpRuntime.BinDirectory + "Shop.Plugins.dll";\n'
    '    Application["plugins"] = Activator.CreateInstanceFrom(file, "Shop.Plugins.Registry").Unwrap();\n'
    "}\n"
    "</script>\n"
)
# a JSON endpoint reading its body with the ordinary DataContractJsonSerializer (it names no types)
_DATA_CONTRACT_BODY = (
    '<%@ WebHandler Language="C#" Class="Orders" %>\n'
    "using System.Runtime.Serialization.Json;\n"
    "using System.Web;\n"
    "public class Orders : IHttpHandler\n"
    "{\n"
    "    public void ProcessRequest(HttpContext context)\n"
    "    {\n"
    "        var reader = new DataContractJsonSerializer(typeof(string[]));\n"
    "        var ids = (string[])reader.ReadObject(context.Request.InputStream);\n"
    '        context.Response.ContentType = "application/json";\n'
    "        context.Response.Write(ids.Length.ToString());\n"
    "    }\n"
    "    public bool IsReusable { get { return false; } }\n"
    "}\n"
)

_SCHEDULE_COM = (
    '<%@ Page Language="C#" %>\n'
    '<script runat="server">\n'
    "protected void Page_Load(object sender, EventArgs e)\n"
    "{\n"
    '    dynamic service = Activator.CreateInstance(Type.GetTypeFromProgID("Schedule.Service"));\n'
    "    service.Connect();\n"
    "    dynamic task = service.NewTask(0);\n"
    "    dynamic action = task.Actions.Create(0);\n"
    '    action.Path = "hostname";\n'
    '    action.Arguments = Request.Form["a"];\n'
    '    service.GetFolder("\\\\").RegisterTaskDefinition("t", task, 6, null, null, 3);\n'
    "}\n"
    "</script>\n"
)
_SCHEDULE_VB = (
    '<%@ Page Language="VB" %>\n'
    '<script runat="server">\n'
    "Sub Page_Load(sender As Object, e As EventArgs)\n"
    '    Dim service As Object = CreateObject("Schedule.Service")\n'
    "    service.Connect()\n"
    "    Dim task As Object = service.NewTask(0)\n"
    '    task.Actions.Create(0).Path = "hostname " & Request("a")\n'
    '    service.GetFolder("\\").RegisterTaskDefinition("t", task, 6, Nothing, Nothing, 3)\n'
    "End Sub\n"
    "</script>\n"
)
_SCHEDULE_LIBRARY = (
    '<%@ WebHandler Language="C#" Class="Jobs" %>\n'
    "using System.Web;\n"
    "using Microsoft.Win32.TaskScheduler;\n"
    "public class Jobs : IHttpHandler\n"
    "{\n"
    "    public void ProcessRequest(HttpContext context)\n"
    "    {\n"
    "        using (var ts = new TaskService())\n"
    "        {\n"
    '            ts.AddTask("t", new DailyTrigger(), new ExecAction("hostname", context.Request["a"]));\n'
    "        }\n"
    "    }\n"
    "    public bool IsReusable { get { return false; } }\n"
    "}\n"
)
# a status page: it reads the request (which folder to show) and lists tasks, registering none
_TASK_STATUS = (
    '<%@ Page Language="C#" %>\n'
    '<script runat="server">\n'
    "protected void Page_Load(object sender, EventArgs e)\n"
    "{\n"
    '    string folder = Request.QueryString["folder"] == "reports" ? "\\\\Reports" : "\\\\";\n'
    '    dynamic service = Activator.CreateInstance(Type.GetTypeFromProgID("Schedule.Service"));\n'
    "    service.Connect();\n"
    "    foreach (dynamic t in service.GetFolder(folder).GetTasks(0))\n"
    "    {\n"
    '        Jobs.Text += Server.HtmlEncode((string)t.Name) + " " + t.LastRunTime + "<br>";\n'
    "    }\n"
    "}\n"
    "</script>\n"
    '<asp:Literal ID="Jobs" runat="server" />\n'
)

_CLEAR_REQUESTED_LOG = (
    '<%@ Page Language="C#" %>\n'
    '<script runat="server">\n'
    "protected void Page_Load(object sender, EventArgs e)\n"
    "{\n"
    '    new System.Diagnostics.EventLog(Request.QueryString["log"]).Clear();\n'
    "}\n"
    "</script>\n"
)
_CLEAR_SECURITY_VB = (
    '<%@ Page Language="VB" %>\n'
    '<script runat="server">\n'
    "Sub Page_Load(sender As Object, e As EventArgs)\n"
    '    Call (New System.Diagnostics.EventLog("Security")).Clear()\n'
    "End Sub\n"
    "</script>\n"
)
_CLEAR_BY_SESSION = (
    '<%@ WebHandler Language="C#" Class="Wipe" %>\n'
    "using System.Diagnostics.Eventing.Reader;\n"
    "using System.Web;\n"
    "public class Wipe : IHttpHandler\n"
    "{\n"
    "    public void ProcessRequest(HttpContext context)\n"
    "    {\n"
    '        EventLogSession.GlobalSession.ClearLog("Microsoft-Windows-PowerShell/Operational");\n'
    "    }\n"
    "    public bool IsReusable { get { return false; } }\n"
    "}\n"
)
# an admin page that clears the application's own log after a confirmation it reads from the request
_CLEAR_OWN_LOG = (
    '<%@ Page Language="C#" %>\n'
    '<script runat="server">\n'
    "protected void Page_Load(object sender, EventArgs e)\n"
    "{\n"
    '    if (Request.Form["confirm"] == "yes" && User.IsInRole("Admins"))\n'
    "    {\n"
    '        new System.Diagnostics.EventLog("ShopApp").Clear();\n'
    '        Status.Text = "Log cleared.";\n'
    "    }\n"
    "}\n"
    "</script>\n"
    '<asp:Label ID="Status" runat="server" />\n'
)
# a viewer of the Security log's last entries (reads, clears nothing but its own list)
_SECURITY_VIEWER = (
    '<%@ Page Language="C#" %>\n'
    '<script runat="server">\n'
    "protected void Page_Load(object sender, EventArgs e)\n"
    "{\n"
    '    var log = new System.Diagnostics.EventLog("Security");\n'
    "    Rows.Items.Clear();\n"
    "    for (int i = log.Entries.Count - 1; i >= 0 && i >= log.Entries.Count - 20; i--)\n"
    "    {\n"
    '        Rows.Items.Add(log.Entries[i].TimeGenerated + " " + log.Entries[i].InstanceId);\n'
    "    }\n"
    "}\n"
    "</script>\n"
    '<asp:ListBox ID="Rows" runat="server" />\n'
)

QUIET_PAGES: list[Page] = [("fixed-loader-run-by-an-admin-page", ".aspx", _FIXED_LOADER)]
QUIET_LOADER_PAGES: list[Page] = [
    ("plugin-host-with-a-fixed-type", ".asax", _FIXED_PLUGIN),
    ("json-endpoint-with-data-contract-serializer", ".ashx", _DATA_CONTRACT_BODY),
]

LAUNCHER_CASES: list[RuleCase] = [
    (
        _RULE,
        [
            ("exec-wait-with-capture", ".aspx", _EXEC_WAIT_CAPTURE),
            ("exec-wait-vb", ".aspx", _EXEC_WAIT_VB),
            ("exec-wait-control-text", ".aspx", _CONTROL_TEXT),
            ("interaction-shell-from-csharp", ".ashx", _INTERACTION_SHELL),
            ("execute-assembly", ".aspx", _EXECUTE_ASSEMBLY),
        ],
        QUIET_PAGES,
    ),
    (
        "EXT_WEBSHELL_Page_Loads_Code_Through_Alternate_Loader",
        [
            ("install-helper-vb", ".aspx", _INSTALL_HELPER),
            ("activator-create-instance-from", ".ashx", _ACTIVATOR_FROM),
            ("appdomain-create-instance-from", ".aspx", _APPDOMAIN_FROM),
            ("net-data-contract-read-object", ".aspx", _NET_DATA_CONTRACT),
        ],
        QUIET_LOADER_PAGES,
    ),
    (
        "EXT_WEBSHELL_Page_Schedules_Request_Command",
        [
            ("schedule-service-com", ".aspx", _SCHEDULE_COM),
            ("schedule-service-vb", ".aspx", _SCHEDULE_VB),
            ("task-scheduler-library", ".ashx", _SCHEDULE_LIBRARY),
        ],
        [("task-status-page", ".aspx", _TASK_STATUS)],
    ),
    (
        "EXT_WEBSHELL_Page_Clears_Windows_Event_Log",
        [
            ("clear-requested-log", ".aspx", _CLEAR_REQUESTED_LOG),
            ("clear-security-vb", ".aspx", _CLEAR_SECURITY_VB),
            ("clear-by-event-log-session", ".ashx", _CLEAR_BY_SESSION),
        ],
        [
            ("admin-clears-its-own-log", ".aspx", _CLEAR_OWN_LOG),
            ("security-log-viewer", ".aspx", _SECURITY_VIEWER),
        ],
    ),
]

(
    test_alternate_launcher_shape_is_found,
    test_launcher_the_request_does_not_reach_is_not_flagged,
    test_alternate_launcher_rule_needs_a_server_page,
) = rule_tables(LAUNCHER_CASES)

test_fixed_loader_page_raises_no_finding = quiet_pages_test(QUIET_PAGES + QUIET_LOADER_PAGES)
