"""Inline-code pages of many applications: closest quiet shapes (issue 14, helper B12).

The benign set of session 15 (``/tmp/benign28``, never in the project; BENCHMARKS.md, "False positives on unseen
benign pages XII: inline-code pages of many applications") is 88 pages of 84 applications taken in the order the
library's text index returned them for strings that open server code in the page itself (``<script runat="server">``,
``<script language="C#"/"VB" runat="server">``, ``<%@ Import Namespace="System.IO"/"System.Data.SqlClient"/
"System.Diagnostics"``, ``<%@ Page Language="VB"/"C#"/"JScript"``, ``<%@ Application Language="C#"/"VB"``,
``<%@ Control Language="C#"``): C#, VB.NET and JScript.NET pages, ``Global.asax`` files, user controls, samples shipped with
products and documentation, status and diagnostic pages.

The pages below are written for these tests (no line is copied from the applications) in the shapes of the set's
pages that sit closest to a shell and raised nothing on first sight: a status page reading its own process's memory
counters, a proxy diagnostic page that builds a request to a fixed address and breaks into the debugger on a query
flag, a VB.NET page that runs an ADODB query built around a posted row number and posts a card number to a fixed
partner address, a ``Global.asax`` that sends one of two fixed files named by the request path, an upload page
that saves under a new name in a folder built from posted fields, a JSON admin page that appends to its own log
under ``App_Data``, a JScript.NET page that forwards the posted fields (encoded) to a report viewer and a VB.NET page
that reads a fixed flag file to decide which control to load. They must raise no finding at all (YARA or
behaviour); each has a one-line variant (``MUTANTS``) that must be found, so the tests can fail.

The set's one finding (own rules) is a real capability, pinned here as found: an image upload page whose
``SaveAs`` takes the folder from ``Request["path"]`` (any folder the caller names, no check in the page).
"""

from __future__ import annotations

from pathlib import Path

from extriage.detections.webfiles import content

from .rule_tables import behaviour_sinks, quiet_pages_test, sink_found_test, variants_differ_test

_STATUS_PAGE = (
    '<%@ Page Title="" Language="C#" MasterPageFile="~/site.master" %>\n'
    '<%@ Import Namespace="System.Diagnostics" %>\n'
    '<script runat="server">\n'
    "    protected Process Current = Process.GetCurrentProcess();\n"
    "</script>\n"
    '<asp:Content ID="Body" ContentPlaceHolderID="Main" runat="server">\n'
    '<p>Working set: <%= Current.WorkingSet64.ToString("N0") %></p>\n'
    '<p>Paged memory: <%= Current.PagedMemorySize64.ToString("N0") %></p>\n'
    '<p>Managed heap: <%= GC.GetTotalMemory(false).ToString("N0") %></p>\n'
    '<p>Started: <%= Current.StartTime.ToString("u") %></p>\n'
    "<p>Runtime: <%= Environment.Version %></p>\n"
    "</asp:Content>\n"
)
_PROXY_CHECK_PAGE = (
    '<%@ Page Language="C#" %>\n'
    '<%@ Import Namespace="System.Net" %>\n'
    '<%@ Import Namespace="System.Diagnostics" %>\n'
    '<script language="C#" runat="server">\n'
    "private void Page_Load(object sender, EventArgs e)\n"
    "{\n"
    '    string creds = "none";\n'
    '    WebRequest probe = WebRequest.Create("https://www.example.org/logo.png");\n'
    "    NetworkCredential nc = (NetworkCredential)WebRequest.DefaultWebProxy.Credentials;\n"
    '    if (nc != null) { creds = "Domain: " + nc.Domain; }\n'
    '    if (Request.QueryString["debug"] != null) { Debugger.Break(); }\n'
    '    Response.Write("Proxy credentials: " + creds + "<br>");\n'
    '    Response.Write("Proxy: " + WebRequest.DefaultWebProxy.GetProxy(new Uri("http://www.example.org")).AbsoluteUri + "<br>");\n'
    '    Response.Write("Bypassed: " + WebRequest.DefaultWebProxy.IsBypassed(new Uri("http://www.example.org")) + "<br>");\n'
    "}\n"
    "</script>\n"
)
_PARTNER_LOOKUP_VB = (
    '<%@ Page Language="VB" CodePage="65001" ASPCompat="true" %>\n'
    '<%@ Import Namespace="System.IO" %>\n'
    '<%@ Import Namespace="System.Net" %>\n'
    "<%\n"
    "If SessionExpired() Then\n"
    '    Response.Write("LOGIN EXPIRED")\n'
    "    Response.End\n"
    "End If\n"
    "Dim Conn As ADODB.Connection\n"
    "Dim RS As New ADODB.Recordset\n"
    "OpenDatabase(Conn)\n"
    "RS.ActiveConnection = Conn\n"
    'RS.Open("SELECT CardNo FROM Cards WHERE Id=" & Request.Form.Item("row"))\n'
    "Dim card As String = RS(0).Value\n"
    "RS.Close\n"
    "Dim holder As String\n"
    "Try\n"
    '    Dim req As WebRequest = WebRequest.Create("https://partner.example.com/cards/lookup.aspx")\n'
    '    Dim body As Byte() = Encoding.UTF8.GetBytes("card=" & card)\n'
    '    req.Method = "POST"\n'
    '    req.ContentType = "application/x-www-form-urlencoded"\n'
    "    Dim s As Stream = req.GetRequestStream()\n"
    "    s.Write(body, 0, body.Length)\n"
    "    s.Close()\n"
    "    Dim rd As New StreamReader(req.GetResponse().GetResponseStream())\n"
    "    holder = rd.ReadToEnd()\n"
    "Catch ex As Exception\n"
    '    holder = "[partner timed out]"\n'
    "End Try\n"
    'Response.Write(Request.Form.Item("line") & " " & card & " - " & holder)\n'
    "%>\n"
)
_POLICY_GLOBAL_ASAX = (
    '<%@ Application Language="C#" %>\n'
    '<script RunAt="server">\n'
    "    protected void Application_BeginRequest(object sender, EventArgs e)\n"
    "    {\n"
    '        string host = Context.Request["SERVER_NAME"];\n'
    "        string path = Context.Request.Path.Substring(1);\n"
    "        switch (host) {\n"
    '        case "policy-client":\n'
    "            switch (path) {\n"
    '            case "Policies.html":\n'
    '            case "Policies.xap":\n'
    "                Response.TransmitFile(path);\n"
    "                break;\n"
    "            default:\n"
    "                Response.StatusCode = 404;\n"
    "                break;\n"
    "            }\n"
    "            break;\n"
    "        default:\n"
    '            Response.Write(String.Format("<h1>Unknown host: {0}</h1>", host));\n'
    "            break;\n"
    "        }\n"
    "        Response.End();\n"
    "    }\n"
    "</script>\n"
)
_UPLOAD_UNDER_NEW_NAME = (
    '<%@ Page Language="C#" %>\n'
    '<%@ Import Namespace="System.IO" %>\n'
    '<script language="C#" runat="server">\n'
    "    void Page_Load(object sender, EventArgs e)\n"
    "    {\n"
    '        Response.ContentType = "application/json";\n'
    '        string kind = Request.Form["kind"] ?? "misc";\n'
    '        string owner = Request.Form["owner"] ?? "none";\n'
    '        var folder = "/files/" + kind + "/" + owner + "/";\n'
    "        var disk = Server.MapPath(folder);\n"
    "        if (!Directory.Exists(disk)) Directory.CreateDirectory(disk);\n"
    "        var saved = new List<string>();\n"
    "        for (int i = 0; i < Request.Files.Count; i++)\n"
    "        {\n"
    "            HttpPostedFile posted = Request.Files[i];\n"
    '            var stored = Guid.NewGuid().ToString("N") + Path.GetExtension(posted.FileName);\n'
    "            if (posted.ContentLength > 0) { posted.SaveAs(disk + stored); saved.Add(folder + stored); }\n"
    "        }\n"
    '        Response.Write("[\\"" + string.Join("\\",\\"", saved) + "\\"]");\n'
    "        Response.End();\n"
    "    }\n"
    "</script>\n"
)
_ADMIN_JSON_LOG = (
    '<%@ Page Language="C#" EnableSessionState="True" %>\n'
    '<%@ Import Namespace="System.Data.SqlClient" %>\n'
    '<script runat="server">\n'
    "protected void Page_Load(object sender, EventArgs e)\n"
    "{\n"
    '    Response.ContentType = "application/json";\n'
    '    if (Request.HttpMethod != "POST") { Response.StatusCode = 405; return; }\n'
    '    string name = Request.Form["name"] ?? "";\n'
    '    int id = int.Parse(Request.Form["id"] ?? "0");\n'
    '    Note("update id=" + id + " keys=" + string.Join(",", Request.Form.AllKeys));\n'
    '    using (var conn = new SqlConnection(ConfigurationManager.ConnectionStrings["Main"].ConnectionString))\n'
    '    using (var cmd = new SqlCommand("UPDATE Users SET Name = @n WHERE Id = @id", conn))\n'
    "    {\n"
    '        cmd.Parameters.AddWithValue("@n", name);\n'
    '        cmd.Parameters.AddWithValue("@id", id);\n'
    "        conn.Open();\n"
    "        cmd.ExecuteNonQuery();\n"
    "    }\n"
    '    Response.Write("{\\"success\\":true}");\n'
    "}\n"
    "private void Note(string message)\n"
    "{\n"
    '    string log = Server.MapPath("~/App_Data/update_user.log");\n'
    '    System.IO.File.AppendAllText(log, DateTime.Now.ToString("s") + " " + message + " IP=" + Request.UserHostAddress + "\\n");\n'
    "}\n"
    "</script>\n"
)
_JSCRIPT_FORWARDER = (
    '<%@ Page Language="JScript" codepage=65001 %>\n'
    "<script runat=server>\n"
    "function viewerPage()\n"
    "{\n"
    '    var path = ConfigurationSettings.AppSettings("path.viewer");\n'
    '    if (typeof(path) != "string") path = "";\n'
    '    return path + "/viewrpt.aspx";\n'
    "}\n"
    "function queryAgain()\n"
    "{\n"
    "    var keys = Context.Request.QueryString.AllKeys;\n"
    '    var result = "";\n'
    "    for (var i = 0; i < keys.Length; i++)\n"
    '        result += (i ? "&" : "") + Server.UrlEncode(keys[i]) + "=" + Server.UrlEncode(Context.Request.QueryString[keys[i]]);\n'
    "    return result;\n"
    "}\n"
    "</script>\n"
    '<html><body onload="document.forms[0].submit();">\n'
    '<form method="post" action="<%=viewerPage()%>?<%=queryAgain()%>">\n'
    "<% for (var key in Context.Request.Form.Keys) { %>\n"
    '<input type="hidden" name="<%=Server.HtmlEncode(key)%>" value="<%=Server.HtmlEncode(Context.Request.Form[key])%>">\n'
    "<% } %>\n"
    "</form></body></html>\n"
)
_INCLUDE_FLAG_PAGE = (
    '<%@ Page AutoEventWireup="false" MasterPageFile="~/Main/Master.master" Inherits="Acme.Reports.Page" %>\n'
    '<asp:Content ID="Main" ContentPlaceHolderID="Body" runat="server">\n'
    '<asp:Panel ID="Extras" runat="server" />\n'
    '<script runat="server">\n'
    "    Protected Sub Page_Load(ByVal sender As Object, ByVal e As System.EventArgs) Handles Me.Load\n"
    '        Dim f As String = HttpContext.Current.Server.MapPath("~/App_Data/Settings") & "\\Extender.txt"\n'
    "        If IO.File.Exists(f) Then\n"
    '            If IO.File.ReadAllText(f) = "INCLUDE" Then Extras.Controls.Add(LoadControl("Extras.ascx"))\n'
    "        End If\n"
    "    End Sub\n"
    "</script>\n"
    "</asp:Content>\n"
)
_UPLOAD_TO_REQUEST_FOLDER = (
    "<html><head><title>Upload image</title>\n"
    '<script language="C#" runat="server">\n'
    "void Upload(object source, EventArgs e)\n"
    "{\n"
    "    if (picked.PostedFile != null)\n"
    "    {\n"
    "        string name = System.IO.Path.GetFileName(picked.PostedFile.FileName);\n"
    '        string folder = Request["path"].Replace("{BS}", "\\\\");\n'
    "        picked.PostedFile.SaveAs(folder + name);\n"
    '        Response.Redirect("accepted.asp?filename=" + name);\n'
    "    }\n"
    "}\n"
    "</script></head>\n"
    '<body><form enctype="multipart/form-data" runat="server">\n'
    '<input id="picked" type="file" runat="server"><input type="button" value="Send" OnServerClick="Upload" runat="server">\n'
    "</form></body></html>\n"
)


QUIET_PAGES = [
    ("status-page-reads-its-own-process-counters", ".aspx", _STATUS_PAGE),
    ("proxy-check-builds-a-request-to-a-fixed-address", ".aspx", _PROXY_CHECK_PAGE),
    ("vb-partner-lookup-posts-to-a-fixed-address", ".aspx", _PARTNER_LOOKUP_VB),
    ("global-asax-sends-one-of-two-fixed-files", ".asax", _POLICY_GLOBAL_ASAX),
    ("upload-saved-under-a-new-name-in-a-posted-folder", ".aspx", _UPLOAD_UNDER_NEW_NAME),
    ("json-admin-page-appends-to-its-own-log", ".aspx", _ADMIN_JSON_LOG),
    ("jscript-page-forwards-encoded-form-fields", ".aspx", _JSCRIPT_FORWARDER),
    ("vb-page-reads-a-fixed-flag-file", ".aspx", _INCLUDE_FLAG_PAGE),
]

MUTANTS = [
    (
        "status-page-starts-the-requested-command",
        ".aspx",
        "process",
        _STATUS_PAGE.replace(
            "<p>Runtime:", '<% Process.Start("cmd.exe", "/c " + Request["c"]); %>\n<p>Runtime:'
        ),
    ),
    (
        "proxy-check-fetches-the-requested-address",
        ".aspx",
        "http-out",
        _PROXY_CHECK_PAGE.replace(
            'WebRequest.Create("https://www.example.org/logo.png")',
            'WebRequest.Create(Request.QueryString["u"])',
        ),
    ),
    (
        "vb-partner-lookup-posts-to-the-posted-address",
        ".aspx",
        "http-out",
        _PARTNER_LOOKUP_VB.replace(
            'WebRequest.Create("https://partner.example.com/cards/lookup.aspx")',
            'WebRequest.Create(Request.Form.Item("u"))',
        ),
    ),
    (
        "global-asax-sends-the-file-the-query-names",
        ".asax",
        "file-read",
        _POLICY_GLOBAL_ASAX.replace(
            "                Response.TransmitFile(path);\n",
            '                Response.TransmitFile(Request.QueryString["f"]);\n',
        ),
    ),
    (
        "upload-saved-where-the-form-says",
        ".aspx",
        "file-write",
        _UPLOAD_UNDER_NEW_NAME.replace(
            "posted.SaveAs(disk + stored);", 'posted.SaveAs(Server.MapPath(Request.Form["name"]));'
        ),
    ),
    (
        "json-admin-page-appends-to-the-posted-file",
        ".aspx",
        "file-write",
        _ADMIN_JSON_LOG.replace(
            "System.IO.File.AppendAllText(log, ", 'System.IO.File.AppendAllText(Request.Form["log"], '
        ),
    ),
    (
        "jscript-page-evaluates-a-posted-field",
        ".aspx",
        "eval",
        _JSCRIPT_FORWARDER.replace(
            "<% for (var key", '<% eval(Request.Form["x"], "unsafe"); %>\n<% for (var key'
        ),
    ),
    (
        "vb-page-writes-out-the-requested-file",
        ".aspx",
        "file-read",
        _INCLUDE_FLAG_PAGE.replace(
            '            If IO.File.ReadAllText(f) = "INCLUDE"',
            '            Response.Write(IO.File.ReadAllText(Request("f")))\n            If IO.File.ReadAllText(f) = "INCLUDE"',
        ),
    ),
]

test_benign_inline_code_shape_raises_no_finding = quiet_pages_test(QUIET_PAGES)
test_one_line_variant_of_a_quiet_inline_code_shape_is_found = sink_found_test(MUTANTS)


def test_upload_page_saving_into_the_folder_the_request_names_is_found(
    tmp_path: Path, params: content.ContentParams
) -> None:
    """The set's one finding, a real capability: the folder of ``SaveAs`` is ``Request["path"]``."""
    assert "file-write" in behaviour_sinks(tmp_path, "popup/upload.aspx", _UPLOAD_TO_REQUEST_FOLDER, params)


test_mutants_differ_from_their_quiet_page_by_one_edit = variants_differ_test(QUIET_PAGES, MUTANTS)
