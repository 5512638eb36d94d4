"""Behaviour engine, session 14 (issue 14, A7).

Each group below is a request or a left-over of session 13 (BENCHMARKS.md "Behaviour engine, session 14"):
harmless reproductions of a shape that must be found, and ordinary pages of the same make that stay silent.
The pages were written for these tests: nothing is compiled or run, names, files and hosts are placeholders,
and none is a copy of a real shell.
"""

from __future__ import annotations

import base64

import pytest

from extriage.detections.webfiles.behaviour import codepage
from extriage.detections.webfiles.behaviour.knowledge import _uncounted, _unicode_words

from .rule_tables import Page
from .rule_tables import sinks_of as _sinks

# --- a local declared with a number, date, Boolean or GUID type (B8, session 13) -----------------------------
# An ERP's attachment delete page: the id is parsed by the application's own extension method into an `int`,
# the record it names gives the stored file name (`.ToInt()` is no conversion the engine knows; the declared
# type says the same).

_DELETE_CS = """using System;
using System.IO;
using System.Web.UI;
namespace Shop.Files {
    public partial class DeleteAttachment : Page {
        readonly Attachments store = new Attachments();
        protected void Page_Load(object sender, EventArgs e) {
            if (Request.QueryString["id"] != null) {
                DECL
                Attachment file = store.Get(fileId);
                store.Remove(fileId);
                string from = string.Format("{0}{1}", Server.MapPath(Folders.Upload), file.StoredName);
                string to = string.Format("{0}{1}", Server.MapPath(Folders.Trash), file.StoredName);
                File.Move(from, to);
                Response.Redirect("list.aspx?o=3");
            }
        }
    }
}
"""
_DELETE_VB = """<%@ Page Language="VB" %>
<script runat="server">
Sub Page_Load(s As Object, e As EventArgs)
    DECL
    Dim name As String = Attachments.StoredName(fileId)
    File.Move(name, Server.MapPath("~/trash/last.bin"))
End Sub
</script>
"""
_DELETE_JS = """<%@ Page Language="JScript" %>
<script runat="server">
function Page_Load(s : Object, e : EventArgs) {
    DECL
    var name = Attachments.StoredName(fileId);
    File.Move(name, Server.MapPath("~/trash/last.bin"));
}
</script>
"""

TYPED_QUIET: list[Page] = [
    (
        "cs-int-own-parse",
        ".cs",
        _DELETE_CS.replace("DECL", 'int fileId = Request.QueryString["id"].ToInt();'),
    ),
    (
        "cs-long-nullable",
        ".cs",
        _DELETE_CS.replace("DECL", 'long? fileId = Request.QueryString["id"].AsLong();'),
    ),
    ("cs-guid", ".cs", _DELETE_CS.replace("DECL", 'Guid fileId = Request.QueryString["id"].AsGuid();')),
    (
        "cs-system-int32",
        ".cs",
        _DELETE_CS.replace("DECL", 'System.Int32 fileId = Tools.Number(Request.QueryString["id"]);'),
    ),
    (
        "vb-integer",
        ".aspx",
        _DELETE_VB.replace("DECL", 'Dim fileId As Integer = Tools.Number(Request.QueryString("id"))'),
    ),
    (
        "js-int",
        ".aspx",
        _DELETE_JS.replace("DECL", 'var fileId : int = Tools.Number(Request.QueryString["id"]);'),
    ),
]
TYPED_FOUND: list[tuple[str, str, str, str]] = [
    # the same pages with a text local: the request's text is the file name
    (
        "cs-string",
        ".cs",
        _DELETE_CS.replace("DECL", 'string fileId = Request.QueryString["id"];').replace(
            "file.StoredName", "fileId"
        ),
        "file-copy",
    ),
    (
        "cs-var",
        ".cs",
        _DELETE_CS.replace("DECL", 'var fileId = Request.QueryString["id"];').replace(
            "file.StoredName", "fileId"
        ),
        "file-copy",
    ),
    (
        "vb-string",
        ".aspx",
        _DELETE_VB.replace("DECL", 'Dim fileId As String = Request.QueryString("id")').replace(
            "Attachments.StoredName(fileId)", "fileId"
        ),
        "file-write",
    ),
    (
        "js-string",
        ".aspx",
        _DELETE_JS.replace("DECL", 'var fileId : String = Request.QueryString["id"];').replace(
            "Attachments.StoredName(fileId)", "fileId"
        ),
        "file-write",
    ),
    # a number still chooses a port
    (
        "cs-int-port",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        '    int port = Request.Form["p"].ToInt();\n'
        '    var c = new System.Net.Sockets.TcpClient("127.0.0.1", port);\n}\n</script>',
        "socket",
    ),
]


@pytest.mark.parametrize(("case", "ext", "page"), TYPED_QUIET, ids=[c[0] for c in TYPED_QUIET])
def test_a_local_of_a_number_type_names_no_file(case: str, ext: str, page: str) -> None:
    assert _sinks(page, ext) == set(), case


@pytest.mark.parametrize(("case", "ext", "page", "sink"), TYPED_FOUND, ids=[c[0] for c in TYPED_FOUND])
def test_a_text_local_or_a_port_is_still_followed(case: str, ext: str, page: str, sink: str) -> None:
    assert sink in _sinks(page, ext), case


# --- the response object under another name (B8, session 13) -------------------------------------------------
# `HttpResponse response = HttpContext.Current.Response; response.TransmitFile(Request[..])` is the same
# download of a request-chosen file as `Response.TransmitFile(Request[..])`.

_HANDLER = """<%@ WebHandler Language="C#" Class="Fetch" %>
using System.Web;
public class Fetch : IHttpHandler {
    public void ProcessRequest(HttpContext context) {
BODY
    }
    public bool IsReusable { get { return false; } }
}
"""

RESPONSE_FOUND: list[Page] = [
    (
        "cs-typed-local",
        ".ashx",
        _HANDLER.replace(
            "BODY",
            "        HttpResponse response = HttpContext.Current.Response;\n"
            '        response.TransmitFile(context.Request.QueryString["f"]);',
        ),
    ),
    (
        "cs-var-local",
        ".ashx",
        _HANDLER.replace(
            "BODY",
            "        var r = context.Response;\n"
            '        r.ContentType = "application/octet-stream";\n'
            '        r.WriteFile(context.Request["f"]);',
        ),
    ),
    (
        "cs-base-local",
        ".ashx",
        _HANDLER.replace(
            "BODY",
            "        HttpResponseBase output = new HttpResponseWrapper(context.Response);\n"
            "        HttpResponseBase o2 = output;\n"
            "        HttpResponse w = context.Response;\n"
            '        w.TransmitFile(context.Request.Form["path"]);',
        ),
    ),
    (
        "cs-typed-local-over-two-lines",
        ".ashx",
        _HANDLER.replace(
            "BODY",
            "        HttpResponse r =\n            HttpContext.Current.Response;\n"
            '        r.TransmitFile(context.Request["f"]);',
        ),
    ),
    (
        "cs-parameter",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Send(HttpResponse output, string name) { output.TransmitFile(name); }\n"
        'protected void Page_Load(object s, EventArgs e) { Send(Response, Request.QueryString["n"]); }\n</script>',
    ),
    (
        "vb-typed-local",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\nSub Page_Load(s As Object, e As EventArgs)\n'
        "    Dim outp As HttpResponse = HttpContext.Current.Response\n"
        '    outp.TransmitFile(Request.Form("p"))\nEnd Sub\n</script>',
    ),
]
RESPONSE_QUIET: list[Page] = [
    (
        "cs-fixed-file",
        ".ashx",
        _HANDLER.replace(
            "BODY",
            "        HttpResponse response = HttpContext.Current.Response;\n"
            '        string id = context.Request.QueryString["id"];\n'
            '        response.ContentType = "application/pdf";\n'
            '        response.AddHeader("X-Doc", id);\n'
            '        response.TransmitFile(context.Server.MapPath("~/docs/manual.pdf"));',
        ),
    ),
    (
        "cs-web-response",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Net" %>\n<%@ Import Namespace="System.IO" %>\n'
        '<script runat="server">\nprotected void Page_Load(object s, EventArgs e) {\n'
        '    HttpWebRequest req = (HttpWebRequest)WebRequest.Create("https://example.org/feed.xml");\n'
        "    HttpWebResponse response = (HttpWebResponse)req.GetResponse();\n"
        "    using (var rd = new StreamReader(response.GetResponseStream())) "
        "{ Literal1.Text = Server.HtmlEncode(rd.ReadToEnd()); }\n"
        '    Response.Write(Server.HtmlEncode(Request.QueryString["q"]));\n}\n</script>',
    ),
    (
        "cs-parameter-fixed",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        'void Send(HttpResponse output, string name) { output.TransmitFile(Server.MapPath("~/files/" + "a.pdf")); '
        'output.AddHeader("X-Name", name); }\n'
        'protected void Page_Load(object s, EventArgs e) { Send(Response, Request.QueryString["n"]); }\n</script>',
    ),
]


@pytest.mark.parametrize(("case", "ext", "page"), RESPONSE_FOUND, ids=[c[0] for c in RESPONSE_FOUND])
def test_response_under_another_name_serves_the_requested_file(case: str, ext: str, page: str) -> None:
    assert "file-read" in _sinks(page, ext), case


@pytest.mark.parametrize(("case", "ext", "page"), RESPONSE_QUIET, ids=[c[0] for c in RESPONSE_QUIET])
def test_response_alias_serving_a_fixed_file_is_silent(case: str, ext: str, page: str) -> None:
    assert _sinks(page, ext) == set(), case


# --- classic ASP pages read as UTF-7 (X29, session 14) ---------------------------------------------------------
# `<%@ CodePage=65000 %>`: asp.dll reads the source as UTF-7, so `+AEUAeABl...-` is code, and a shift too short
# to hold a character (`E+j-x+j-e...`) is dropped.


def _utf7_shifted(text: str) -> str:
    """``text`` as one UTF-7 shift sequence (every character encoded, as the bypass write-ups do)."""
    return "+" + base64.b64encode(text.encode("utf-16-be")).decode().rstrip("=") + "-"


def _empty_shifts(text: str) -> str:
    """``text`` with a shift too short for one character between its letters."""
    return "".join(c + "+j-" if c.isalpha() else c for c in text)


UTF7_FOUND: list[Page] = [
    ("whole-statement", ".asp", "<%@ CodePage=65000 %>\n<%\n" + _utf7_shifted('Eval Request("k")') + "\n%>"),
    (
        "empty-shifts",
        ".asp",
        '<%@ LANGUAGE="VBScript" CODEPAGE="65000" %>\n<%\n' + _empty_shifts("Eval") + ' Request("k")\n%>',
    ),
    (
        "directive-lower-case",
        ".asp",
        '<%@codepage=65000%>\n<% Response.Write "ok" %>\n<%\nEval ' + _utf7_shifted('Request("k")') + "\n%>",
    ),
]
UTF7_QUIET: list[Page] = [
    (
        "utf7-echo",
        ".asp",
        "<%@ CodePage=65000 %>\n<%\n"
        + _utf7_shifted('Response.Write Server.HTMLEncode(Request("q"))')
        + "\n%>",
    ),
    (
        "utf8-arithmetic",
        ".asp",
        "<%@ CodePage=65001 %>\n<%\ntotal = price+tax-discount\n"
        'Response.Write Server.HTMLEncode(Request("q")) & FormatNumber(total, 2)\n%>',
    ),
    # no directive: the same bytes are no code asp.dll runs
    ("no-directive", ".asp", "<%\n" + _utf7_shifted('Eval Request("k")') + "\n%>"),
    # ASP.NET's CodePage attribute is the response's encoding, not the source's
    (
        "aspx-codepage",
        ".aspx",
        '<%@ Page Language="C#" CodePage="65000" %>\n<% string s = "' + _utf7_shifted("x") + '"; %>',
    ),
]


@pytest.mark.parametrize(("case", "ext", "page"), UTF7_FOUND, ids=[c[0] for c in UTF7_FOUND])
def test_utf7_source_page_is_read_as_asp_reads_it(case: str, ext: str, page: str) -> None:
    assert "eval" in _sinks(page, ext), case


@pytest.mark.parametrize(("case", "ext", "page"), UTF7_QUIET, ids=[c[0] for c in UTF7_QUIET])
def test_utf7_reading_needs_the_directive_and_a_sink(case: str, ext: str, page: str) -> None:
    assert _sinks(page, ext) == set(), case


def test_utf7_decoding_is_lenient() -> None:
    assert codepage.utf7(b"a+-b") == b"a+b"
    assert codepage.utf7(b"E+j-v+j-a+j-l x") == b"Eval x"
    assert codepage.utf7(b"+AOk-t+AOk-") == "été".encode()
    assert codepage.utf7(b"+2D3cAA-") == "\U0001f400".encode()  # a surrogate pair
    assert codepage.utf7(b"+2D0-") == "\ufffd".encode()  # a lone surrogate
    assert codepage.declares_utf7(b'<%@ Language="VBScript" CodePage = "65000" %>')
    assert not codepage.declares_utf7(b"<% Response.CodePage = 65000 %>")


# --- a Script Control given the Request object (X29, session 14) ------------------------------------------------

_SC = (
    "<%\nSet sc = Server.CreateObject(PROGID)\n"
    'sc.Language = "VBScript"\n'
    'sc.AddObject "Response", Response\n'
    "ADD\n"
    "RUN\n%>"
)

SCRIPT_CONTROL_FOUND: list[Page] = [
    (
        "plain",
        ".asp",
        _SC.replace("PROGID", '"MSScriptControl.ScriptControl"')
        .replace("ADD", 'sc.AddObject "Request", Request')
        .replace("RUN", 'sc.ExecuteStatement "Response.Write Now()"'),
    ),
    (
        "progid-in-pieces",
        ".asp",
        _SC.replace("PROGID", '"MSScript" & Chr(67) & "ontrol.ScriptControl.1"')
        .replace("ADD", 'sc.AddObject "r" & Chr(101) & "quest", request')
        .replace("RUN", 'sc.AddCode "Sub Go() : End Sub"'),
    ),
    (
        "jscript",
        ".asp",
        '<%@ Language="JScript" %>\n<%\nvar sc = Server.CreateObject("MSScriptControl.ScriptControl");\n'
        'sc.Language = "VBScript";\nsc.AddObject("Request", Request);\nsc.Eval("Now()");\n%>',
    ),
]
SCRIPT_CONTROL_QUIET: list[Page] = [
    # a formula engine given the page's own objects, the formula from a database
    (
        "formula",
        ".asp",
        '<%\nSet sc = Server.CreateObject("MSScriptControl.ScriptControl")\nsc.Language = "VBScript"\n'
        'Set rates = Server.CreateObject("Scripting.Dictionary")\nrates.Add "vat", 0.2\n'
        'sc.AddObject "Rates", rates\nResponse.Write FormatNumber(sc.Eval(rs("price_formula")), 2)\n%>',
    ),
    # a request value handed over (not the Request object), then code run
    (
        "value-not-object",
        ".asp",
        _SC.replace("PROGID", '"MSScriptControl.ScriptControl"')
        .replace("ADD", 'sc.AddObject "Term", Request("term")')
        .replace("RUN", 'sc.ExecuteStatement "Response.Write Now()"'),
    ),
    # given the request, never told to run anything
    (
        "never-runs",
        ".asp",
        _SC.replace("PROGID", '"MSScriptControl.ScriptControl"')
        .replace("ADD", 'sc.AddObject "Request", Request')
        .replace("RUN", "Set sc = Nothing"),
    ),
]


@pytest.mark.parametrize(
    ("case", "ext", "page"), SCRIPT_CONTROL_FOUND, ids=[c[0] for c in SCRIPT_CONTROL_FOUND]
)
def test_script_control_given_the_request_and_running_code_is_named(case: str, ext: str, page: str) -> None:
    assert "eval-script-control" in _sinks(page, ext), case


@pytest.mark.parametrize(
    ("case", "ext", "page"), SCRIPT_CONTROL_QUIET, ids=[c[0] for c in SCRIPT_CONTROL_QUIET]
)
def test_script_control_with_own_objects_is_silent(case: str, ext: str, page: str) -> None:
    assert _sinks(page, ext) == set(), case


# --- constant text assembled, decoded, then run (X29, session 14) -----------------------------------------------

_DEHEX = (
    'Function Dehex(s)\n  For i = 1 To Len(s) Step 2\n    Dehex = Dehex & Chr(CLng("&H" & Mid(s, i, 2)))\n'
    "  Next\nEnd Function\n"
)
CONSTANT_CODE_FOUND: list[tuple[str, str, str, str]] = [
    (
        "letters-joined",
        ".asp",
        '<%Execute ""&("R"&"e"&"s"&"p"&"o"&"n"&"s"&"e"&".Write Now()")%>',
        "eval-decoded",
    ),
    (
        "word-in-char-codes",
        ".asp",
        '<%Response.Write Eval(Eval(Chr(114)+Chr(101)+Chr(113)+Chr(117)+Chr(101)+Chr(115)+Chr(116))("k"))%>',
        "eval",
    ),
    (
        "unescape-of-replace-held",
        ".asp",
        '<%\nt = Replace("Response.Wr@@ite%20Now%28%29", "@@", "")\nExecute(Unescape(t))\n%>',
        "eval-decoded",
    ),
    (
        "hex-through-page-function",
        ".asp",
        '<%\nExecute(Dehex("526573706F6E73652E5772697465204E6F772829"))\n' + _DEHEX + "%>",
        "eval-decoded",
    ),
    ("strreverse-of-anything", ".asp", "<%\nx = GetText()\nExecuteGlobal StrReverse(x)\n%>", "eval-decoded"),
]
CONSTANT_CODE_QUIET: list[Page] = [
    ("literal-spelled-out", ".asp", '<%\nExecute "x = 1"\nResponse.Write Eval("2+3")\n%>'),
    ("call-built-with-a-name", ".asp", '<%\nExecute("Call Show" & sPage & "()")\n%>'),
    ("joined-words-no-code", ".asp", '<%\nExecuteGlobal "Dim " & "total"\n%>'),
    ("ado-execute", ".asp", '<%\nSet rs = conn.Execute("select * from " & "t where id=1")\n%>'),
    (
        "databinding-eval",
        ".aspx",
        '<%@ Page Language="VB" %>\n<asp:Label runat="server" Text=\'<%# Eval("Price") %>\' />',
    ),
    (
        "hex-id-of-no-function",
        ".asp",
        '<%\nExecuteGlobal LoadModule("3F2504E04F8911D39A0C0305E82C3301")\n%>',
    ),
]


@pytest.mark.parametrize(
    ("case", "ext", "page", "sink"), CONSTANT_CODE_FOUND, ids=[c[0] for c in CONSTANT_CODE_FOUND]
)
def test_code_assembled_from_the_page_own_text_is_named(case: str, ext: str, page: str, sink: str) -> None:
    assert sink in _sinks(page, ext), case


@pytest.mark.parametrize(
    ("case", "ext", "page"), CONSTANT_CODE_QUIET, ids=[c[0] for c in CONSTANT_CODE_QUIET]
)
def test_text_spelled_out_or_built_with_names_is_silent(case: str, ext: str, page: str) -> None:
    assert _sinks(page, ext) == set(), case


# --- request values written to a file at a fixed drive or share path (session 13's left-over, X26's OWA logger) ---

_LOGON = '<%@ Page Language="C#" %>\n<script runat="server">\nprotected void Page_Load(object s, EventArgs e) {\nBODY\n}\n</script>'

HARVEST_FOUND: list[Page] = [
    (
        "append-to-programdata",
        ".aspx",
        _LOGON.replace(
            "BODY",
            '    if (!string.IsNullOrEmpty(Request["n"]))\n'
            '        System.IO.File.AppendAllText(@"C:\\ProgramData\\Vendor\\cache" + 1, Request.UserHostAddress + "|" + '
            'Request["u"] + "|" + Request["w"] + Environment.NewLine);',
        ),
    ),
    (
        "stream-writer",
        ".aspx",
        _LOGON.replace(
            "BODY",
            '    using (var w = new System.IO.StreamWriter(@"C:\\ProgramData\\Vendor\\cache.dat", true)) {\n'
            '        w.WriteLine(Request.Form["username"] + ":" + Request.Form["password"]);\n    }',
        ),
    ),
    (
        "vb-share-from-controls",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\nSub Login_Click(s As Object, e As EventArgs)\n'
        "    Dim u As String = txtUser.Text\n    Dim p As String = txtPass.Text\n"
        '    System.IO.File.AppendAllText("\\\\files\\share\\l.txt", u & vbTab & p & vbCrLf)\nEnd Sub\n</script>',
    ),
    (
        "under-the-web-root",
        ".aspx",
        _LOGON.replace(
            "BODY",
            '    System.IO.File.AppendAllText("C:\\\\inetpub\\\\wwwroot\\\\aspnet_client\\\\a.txt", Request.Form["password"]);',
        ),
    ),
]
HARVEST_QUIET: list[Page] = [
    (
        "site-log-and-fixed-text",
        ".aspx",
        _LOGON.replace(
            "BODY",
            '    System.IO.File.AppendAllText(Server.MapPath("~/App_Data/visits.log"), DateTime.Now + " " + '
            'Request.Form["username"] + "\\r\\n");\n'
            '    System.IO.File.AppendAllText(@"C:\\logs\\app.log", DateTime.Now + " page shown\\r\\n");',
        ),
    ),
    (
        "configured-folder",
        ".aspx",
        _LOGON.replace(
            "BODY",
            '    System.IO.File.AppendAllText(System.IO.Path.Combine(Settings.LogFolder, "audit.log"), Request.Form["username"]);',
        ),
    ),
]


@pytest.mark.parametrize(("case", "ext", "page"), HARVEST_FOUND, ids=[c[0] for c in HARVEST_FOUND])
def test_request_values_dropped_at_a_fixed_drive_path_are_named(case: str, ext: str, page: str) -> None:
    assert "request-harvest" in _sinks(page, ext), case


@pytest.mark.parametrize(("case", "ext", "page"), HARVEST_QUIET, ids=[c[0] for c in HARVEST_QUIET])
def test_site_logs_and_fixed_texts_are_silent(case: str, ext: str, page: str) -> None:
    assert _sinks(page, ext) == set(), case


# --- MVC / Web API controller actions in code ASP.NET compiles from source (App_Code; session 13's left-over) ------

ACTION_FOUND: list[tuple[str, str, str, str]] = [
    (
        "cs-action-runs-its-parameter",
        ".cs",
        "using System.Diagnostics; using System.Web.Mvc;\nnamespace Site.Controllers {\n"
        "    public class ToolsController : Controller {\n"
        "        public ActionResult Index() { return View(); }\n"
        "        public ActionResult Ping(string host) {\n"
        '            var p = Process.Start(new ProcessStartInfo("ping.exe", host) { UseShellExecute = false });\n'
        '            return Content("started");\n        }\n    }\n}\n',
        "process",
    ),
    (
        "cs-async-api-action",
        ".cs",
        "using System.IO; using System.Threading.Tasks; using System.Web.Http;\n"
        "public class FilesController : ApiController {\n"
        "    public async Task<IHttpActionResult> Get(string name) {\n"
        "        return Ok(await Task.FromResult(File.ReadAllText(name)));\n    }\n}\n",
        "file-read",
    ),
    (
        "vb-action-writes-its-parameters",
        ".vb",
        "Imports System.Web.Mvc\nPublic Class NotesController\n    Inherits Controller\n"
        "    Public Function Save(path As String, body As String) As ActionResult\n"
        "        System.IO.File.WriteAllText(path, body)\n"
        '        Return Content("ok")\n    End Function\nEnd Class\n',
        "file-write",
    ),
]
ACTION_QUIET: list[Page] = [
    (
        "number-parameter-and-non-action",
        ".cs",
        "using System.Diagnostics; using System.Web.Mvc;\npublic class ToolsController : Controller {\n"
        "    public ActionResult Ping(int count) {\n"
        '        Process.Start(new ProcessStartInfo("ping.exe", "-n " + count + " 127.0.0.1"));\n'
        '        return Content("started");\n    }\n'
        "    [NonAction]\n    public void Run(string file) { Process.Start(file); }\n"
        '    public ActionResult Open() { Run(Server.MapPath("~/tools/report.exe")); return View(); }\n}\n',
    ),
    (
        "not-a-controller",
        ".cs",
        "using System.Diagnostics;\npublic class Tools {\n"
        '    public string Run(string file) { Process.Start(file); return "ok"; }\n}\n',
    ),
    (
        "vb-guid-parameter",
        ".vb",
        "Imports System.Web.Mvc\nPublic Class NotesController\n    Inherits Controller\n"
        "    Public Function Remove(id As Guid) As ActionResult\n"
        '        System.IO.File.Delete(Server.MapPath("~/App_Data/notes/") & id.ToString() & ".txt")\n'
        '        Return Content("ok")\n    End Function\nEnd Class\n',
    ),
]


@pytest.mark.parametrize(("case", "ext", "page", "sink"), ACTION_FOUND, ids=[c[0] for c in ACTION_FOUND])
def test_controller_action_parameters_are_request_input(case: str, ext: str, page: str, sink: str) -> None:
    assert sink in _sinks(page, ext), case


@pytest.mark.parametrize(("case", "ext", "page"), ACTION_QUIET, ids=[c[0] for c in ACTION_QUIET])
def test_number_parameters_helpers_and_plain_classes_are_silent(case: str, ext: str, page: str) -> None:
    assert _sinks(page, ext) == set(), case


# --- request input read inside a Task.Run lambda (session 13's left-over: already followed, kept so) -------------
# (Rock's GetFile.ashx is quiet for another reason: its path is a request name below ~/Content, an application's
# own download folder - the folder rule, not the lambda.)

TASK_RUN_FOUND: list[tuple[str, str, str, str]] = [
    (
        "process-in-task",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nprotected void Page_Load(object s, EventArgs e) {\n'
        '    System.Threading.Tasks.Task.Run(() => { System.Diagnostics.Process.Start("cmd.exe", "/c " + '
        'Request["c"]); }).Wait();\n}\n</script>',
        "process",
    ),
    (
        "read-in-task",
        ".ashx",
        _HANDLER.replace(
            "BODY",
            '        string rel = context.Request.QueryString["f"];\n'
            "        System.Threading.Tasks.Task.Run(() => {\n"
            "            context.Response.BinaryWrite(System.IO.File.ReadAllBytes(rel));\n        }).Wait();",
        ),
        "file-read",
    ),
]


@pytest.mark.parametrize(("case", "ext", "page", "sink"), TASK_RUN_FOUND, ids=[c[0] for c in TASK_RUN_FOUND])
def test_request_read_inside_a_task_lambda_is_followed(case: str, ext: str, page: str, sink: str) -> None:
    assert sink in _sinks(page, ext), case


# --- the screens' rewrites share one walk of a pattern (regex_text.tokens) -----------------------------


@pytest.mark.parametrize(
    ("pattern", "words", "uncounted"),
    [
        (r"[^\W\d]\w{0,60}", r"[\pL\pN_\d][\pL\pN_]{0,60}", r"[^\W\d]\w*"),
        (r"\W[]{]{2,}x{3}", r"[^\pL\pN_][]{]{2,}x{3}", r"\W[]{]+x{3}"),
        (r"[^]\w]{1,9}?\{5}", r"[^]\pL\pN_]{1,9}?\{5}", r"[^]\w]+\{5}"),
    ],
)
def test_screen_rewrites_walk_classes_and_repetitions_alike(pattern: str, words: str, uncounted: str) -> None:
    assert _unicode_words(pattern) == words
    assert _uncounted(pattern) == uncounted


# --- a fixed `cmd /c hostname` is reconnaissance too (X30, session 14: an RCE proof page) ----------------------

_PROOF = '<%@ Page Language="C#" %><%var p=new System.Diagnostics.Process{StartInfo=STARTINFO};p.Start();%>'


@pytest.mark.parametrize(
    ("case", "start_info", "found"),
    [
        ("cmd-c-hostname", 'new System.Diagnostics.ProcessStartInfo("cmd.exe","/c hostname")', True),
        ("cmd-k-hostname", 'new System.Diagnostics.ProcessStartInfo("cmd.exe", "/K  hostname")', True),
        (
            "echo-hostname-word",
            'new System.Diagnostics.ProcessStartInfo("cmd.exe","/c echo hostname-check")',
            False,
        ),
        (
            "own-tool-named-hostname",
            'new System.Diagnostics.ProcessStartInfo("tools\\\\hostnames.exe","--list")',
            False,
        ),
    ],
)
def test_cmd_hostname_is_a_recon_command(case: str, start_info: str, found: bool) -> None:
    assert ("recon-command" in _sinks(_PROOF.replace("STARTINFO", start_info), ".aspx")) is found, case


# --- big code: call arguments read from one map of its brackets (arguments._brackets) ------------------------------


def test_bracket_map_gives_the_spans_of_the_walk() -> None:
    from extriage.detections.webfiles.behaviour.arguments import _args, _args_at, _brackets

    code = (
        'f(a, g(b, "x(,"), [c, d]) ; h(e, {f, g}, i) ; s = "q)"; k(l, m(n) ; '
        "unclosed(o, p, q" + " x" * 40 + ") ; t(u, '(', v)"
    )
    brackets = _brackets(code)
    opens = [i + 1 for i, c in enumerate(code) if c == "("]
    for start in opens:
        for limit in (4000, 20):
            assert _args_at(code, start, brackets, limit) == _args(code, start, limit), (start, limit)


def test_big_code_still_follows_request_input_through_calls() -> None:
    filler = "".join(
        f"    public static string Pad{i}(string a, int b) {{ return a.Substring(0, b) + Helper(a, b); }}\n"
        for i in range(900)
    )
    page = (
        "using System.Diagnostics; using System.Web;\npublic class Tools {\n"
        + filler
        + "    public static void Run(string file, string args) { Process.Start(file, args); }\n"
        '    public static void Go(HttpRequest r) { Run("cmd.exe", "/c " + r.Form["c"]); }\n}\n'
    )
    assert len(page) > 64 * 1024
    assert "process" in _sinks(page, ".cs")


# --- B10 (session 14): three misreadings on real classic ASP applications ---------------------------------------

_DISPATCH = (
    "<%\nClass PageDispatcher\n  Public Sub executeCommand(name)\n    Select Case name\n"
    '      Case "List"\n        Response.Write "list"\n    End Select\n  End Sub\nEnd Class\n'
    'Set oSite = New PageDispatcher\nsAction = Request.QueryString("action")\noSite.executeCommand(sAction)\n%>'
)
_SELF_CALL = (
    '<%\nu = "http://" & Request.ServerVariables("SERVER_NAME") & ":" & Request.ServerVariables("SERVER_PORT")\n'
    'u = u & Request.ServerVariables("URL") & "?command=Ping"\n'
    'Set oHttp = Server.CreateObject("Msxml2.ServerXMLHTTP.3.0")\n'
    'oHttp.Open "GET", u, False, Request.ServerVariables("AUTH_USER") & "", '
    'Request.ServerVariables("AUTH_PASSWORD") & ""\noHttp.Send\n%>'
)
_MODE = (
    '<%\nsMode = Request.Form("method")\nIf sMode = "Process" Then\n  Response.Write "working"\nEnd If\n%>'
)

B10_QUIET: list[Page] = [
    ("classic-dispatcher-named-executeCommand", ".asp", _DISPATCH),
    ("classic-loopback-to-itself", ".asp", _SELF_CALL),
    ("classic-form-mode-named-Process", ".asp", _MODE),
    (
        "cs-mode-named-Process",
        ".aspx",
        '<%@ Page Language="C#" %><% if (Request.Form["m"] == "Process") Response.Write("ok"); %>',
    ),
]
B10_FOUND: list[tuple[str, str, str, str]] = [
    (
        "ado-execute-of-the-request",
        ".asp",
        '<%\nSet rs = oConn.Execute(Request.QueryString("q"))\n%>',
        "sql-text",
    ),
    (
        "linq-execute-command-of-the-request",
        ".aspx",
        '<%@ Page Language="C#" %><% var db = new ShopContext(); db.ExecuteCommand(Request["q"]); %>',
        "sql-text-orm",
    ),
    (
        "host-from-the-form",
        ".asp",
        '<%\nSet x = Server.CreateObject("Msxml2.ServerXMLHTTP.3.0")\n'
        'x.Open "GET", "http://" & Request.Form("host") & "/x", False\n%>',
        "com-http",
    ),
    (
        "self-host-with-a-requested-path",
        ".asp",
        '<%\nu = "http://" & Request.ServerVariables("SERVER_NAME") & Request.QueryString("path")\n'
        'Set x = Server.CreateObject("Msxml2.ServerXMLHTTP.3.0")\nx.Open "GET", u, False\n%>',
        "com-http",
    ),
    (
        "shell-in-the-process-branch",
        ".asp",
        _MODE.replace('Response.Write "working"', 'CreateObject("WScript.Shell").Run Request.Form("c")'),
        "process",
    ),
    (
        "type-named-for-reflection",
        ".aspx",
        '<%@ Page Language="C#" %><% Type.GetType("System.Diagnostics.Process").GetMethod("Start", new[] { typeof(string) })'
        '.Invoke(null, new object[] { Request["c"] }); %>',
        "process",
    ),
]


@pytest.mark.parametrize(("case", "ext", "page"), B10_QUIET, ids=[c[0] for c in B10_QUIET])
def test_dispatchers_self_calls_and_mode_switches_are_silent(case: str, ext: str, page: str) -> None:
    assert _sinks(page, ext) == set(), case


@pytest.mark.parametrize(("case", "ext", "page", "sink"), B10_FOUND, ids=[c[0] for c in B10_FOUND])
def test_request_sql_addresses_and_commands_stay_found(case: str, ext: str, page: str, sink: str) -> None:
    assert sink in _sinks(page, ext), case


# --- X31 (session 14): a literal updated from itself before it runs; an Empty name inside a ProgID ----------------

X31_FOUND: list[tuple[str, str, str, str]] = [
    (
        "replace-of-itself-then-eval",
        ".asp",
        '<%\nxxx="e0v0a0l0(0req0ue0st(""q0q""))"\nxxx=replace(xxx,"0","")\neval xxx\n%>',
        "eval-decoded",
    ),
    (
        "progid-with-a-name-never-given",
        ".asp",
        '<%\nSet o = Server.CreateObject("ScR"&ABc&"ipting.FileSystemObject")\n'
        'Set f=o.CreateTextFile(Request("p"),True)\nf.Write Request("d")\n%>',
        "com-file-write",
    ),
]
X31_QUIET: list[Page] = [
    (
        "template-marker-replaced-and-shown",
        ".asp",
        '<%\ntpl = "Hello {name}, welcome"\ntpl = Replace(tpl, "{name}", Server.HTMLEncode(Request("n")))\n'
        "Response.Write tpl\n%>",
    ),
    (
        "progid-with-a-name-given",
        ".asp",
        '<%\nsKind = "Dictionary"\nSet o = Server.CreateObject("Scripting." & sKind & "")\n'
        'o.Add "q", Request("q")\n%>',
    ),
    (
        "update-with-another-value-then-execute",
        ".asp",
        '<%\nx = "Call Show"\nx = x & rs("suffix")\nExecute x\n%>',
    ),
]


@pytest.mark.parametrize(("case", "ext", "page", "sink"), X31_FOUND, ids=[c[0] for c in X31_FOUND])
def test_self_updated_literal_and_empty_progid_piece_are_read(
    case: str, ext: str, page: str, sink: str
) -> None:
    assert sink in _sinks(page, ext), case


@pytest.mark.parametrize(("case", "ext", "page"), X31_QUIET, ids=[c[0] for c in X31_QUIET])
def test_templates_and_given_progid_pieces_stay_silent(case: str, ext: str, page: str) -> None:
    assert _sinks(page, ext) == set(), case


# --- files created and deleted in a folder the request names (X31, session 14: a writable-folder probe) ----------

_FSO = 'Set Fso = Server.CreateObject("Scripting.FileSystemObject")\n'
PROBE_FOUND: list[Page] = [
    (
        "probe-through-a-function",
        ".asp",
        "<%\n" + _FSO + "Function CanWrite(DirStr)\n  On Error Resume Next\n"
        '  Fso.CreateTextFile(DirStr & "\\probe.tmp")\n  CanWrite = (Err.Number = 0)\n'
        '  Fso.DeleteFile(DirStr & "\\probe.tmp")\nEnd Function\n'
        'sPath = Replace(Request("sPath"), "/", "\\")\nIf CanWrite(sPath) Then Response.Write "writable"\n%>',
    ),
]
PROBE_FOUND.append(
    (
        "probe-through-calls-without-brackets",
        ".asp",
        "<%\nFunction Probe(dirStr)\n  On Error Resume Next\n" + _FSO.strip() + "\n"
        '  p = dirStr & "\\" & Fso.GetTempName\n  Fso.CreateTextFile(p)\n  Probe = Err.Number\n  Fso.DeleteFile(p)\n'
        'End Function\nSub Walk(path)\n  If Probe(path) = 0 Then Response.Write "writable"\nEnd Sub\n'
        'parts = Split(Request("Paths"), vbCrLf)\nFor i = 0 To UBound(parts)\n  Walk Trim(parts(i))\nNext\n%>',
    )
)
PROBE_QUIET: list[Page] = [
    (
        "installer-checks-its-own-folders",
        ".asp",
        "<%\n"
        + _FSO
        + 'For Each d In Array("/upload", "/data")\n  p = Server.MapPath(d) & "\\write_test.tmp"\n'
        "  Fso.CreateTextFile(p, True).Close\n  Fso.DeleteFile p\nNext\n%>",
    ),
    (
        "own-folder-then-requested-name",
        ".asp",
        "<%\n"
        + _FSO
        + 'Fso.CreateFolder(Server.MapPath("/upload/") & Replace(Request("album"), ".", ""))\n%>',
    ),
]


@pytest.mark.parametrize(("case", "ext", "page"), PROBE_FOUND, ids=[c[0] for c in PROBE_FOUND])
def test_files_made_in_a_requested_folder_are_named(case: str, ext: str, page: str) -> None:
    assert "com-file-in-request-folder" in _sinks(page, ext), case


@pytest.mark.parametrize(("case", "ext", "page"), PROBE_QUIET, ids=[c[0] for c in PROBE_QUIET])
def test_files_made_under_the_site_own_folders_are_silent(case: str, ext: str, page: str) -> None:
    assert _sinks(page, ext) == set(), case


# --- a page writing over its own file (X31, session 14; its path is no request input since B10's change) ----------

SELF_FOUND: list[Page] = [
    (
        "classic-fso-over-script-name",
        ".asp",
        '<%\nSet o = Server.CreateObject("Scripting.FileSystemObject")\nfdata = Request("d")\n'
        'Set f = o.CreateTextFile(Server.MapPath(Request.ServerVariables("SCRIPT_NAME")), True)\nf.Write fdata\n%>',
    ),
    (
        "cs-physical-path",
        ".aspx",
        '<%@ Page Language="C#" %><% System.IO.File.WriteAllText(Request.PhysicalPath, Request.Form["d"]); %>',
    ),
]
SELF_QUIET: list[Page] = [
    (
        "classic-data-beside-the-page",
        ".asp",
        '<%\nSet o = Server.CreateObject("Scripting.FileSystemObject")\n'
        'Set f = o.OpenTextFile(Server.MapPath("counter.txt"), 2, True)\nf.Write Request.ServerVariables("URL")\n%>',
    ),
    (
        "classic-own-path-read",
        ".asp",
        '<%\nSet o = Server.CreateObject("Scripting.FileSystemObject")\n'
        'Set f = o.OpenTextFile(Server.MapPath(Request.ServerVariables("SCRIPT_NAME")), 1)\nResponse.Write f.ReadLine\n%>',
    ),
]


@pytest.mark.parametrize(("case", "ext", "page"), SELF_FOUND, ids=[c[0] for c in SELF_FOUND])
def test_page_writing_over_itself_is_named(case: str, ext: str, page: str) -> None:
    assert "self-overwrite" in _sinks(page, ext), case


@pytest.mark.parametrize(("case", "ext", "page"), SELF_QUIET, ids=[c[0] for c in SELF_QUIET])
def test_page_writing_beside_or_reading_itself_is_silent(case: str, ext: str, page: str) -> None:
    assert _sinks(page, ext) == set(), case
