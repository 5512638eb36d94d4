"""Behaviour engine, session 14 (issue 14, A7).

Each group below is a request or a left-over of session 13 (BENCHMARKS.md "Behaviour engine, session 14"):
harmless reproductions of a shape that must be found, and ordinary pages of the same make that stay silent.
The pages were written for these tests: nothing is compiled or run, names, files and hosts are placeholders,
and none is a copy of a real shell.
"""

from __future__ import annotations

import pytest

from extriage.detections.webfiles import behaviour

Page = tuple[str, str, str]  # (case, extension, page)


def _sinks(page: str, ext: str) -> set[str]:
    return {h["sink"] for h in behaviour.analyse(page.encode(), ext, budget=30).hits}


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
