"""Behaviour engine, session 17 (issue 14, A10).

Each group below is a request (``/work/notes/to_a10.md``) or a left-over of session 16 (BENCHMARKS.md "Behaviour
engine, sessions 16-17"): harmless reproductions of a shape that must be found, and ordinary pages of the same make
that stay silent. The pages were written for these tests: nothing is compiled or run, names, files and hosts are
placeholders, and none is a copy of a real shell.
"""

from __future__ import annotations

import time

import pytest

from extriage.detections.webfiles import behaviour

from .rule_tables import sinks_of as _sinks

# --- SQL text with values bound to its parameters (B17's Dental_Services.asmx, session 16) -------------------------
# A web service saving a form: fixed SQL text (an INSERT and `;select @@identity;`, or an UPDATE whose "SET a=@a"
# reads like assignments), the request's values bound through an anonymous object after CommandType.Text. The ';'
# inside the literal ended the assignment's value there (an open literal whose column names read as the web
# method's parameters), and the bound values after CommandType.Text were read as the SQL text.

_SAVE = """<%@ WebService Language="C#" Class="Notes" %>
using System.Data;
using System.Web.Services;
public class Notes : WebService {
    [WebMethod(EnableSession = true)]
    public string Save(string id, string pid, string note, int isUrgent, int isShared) {
        var tx = Db.Begin();
        var newId = 0;
        if (id == "")
        {
            string sqlCMD = INSERT;
            newId = Db.GetInt(helper.ExecuteScalar(tx, sqlCMD, CommandType.Text, new
            {
                Patient_Id = pid,
                Note = note,
                IsUrgent = isUrgent,
                IsShared = isShared,
            }));
        }
        else
        {
            string sqlCMD = "UPDATE notes SET Patient_Id=@Patient_Id, Note=@Note, IsUrgent=@IsUrgent WHERE ID=@ID";
            helper.ExecuteScalar(tx, sqlCMD, CommandType.Text, new { Patient_Id = pid, Note = note, ID = id });
        }
        return newId.ToString();
    }
}
"""
_INSERT = (
    '"INSERT INTO notes (Patient_Id,Note,IsUrgent,IsShared) VALUES(@Patient_Id,@Note,@IsUrgent,@IsShared);'
    'select @@identity;"'
)


def test_fixed_sql_text_with_bound_request_values_is_silent() -> None:
    assert _sinks(_SAVE.replace("INSERT", _INSERT), ".asmx") == set()


@pytest.mark.parametrize(
    "call",
    [
        "SqlHelper.ExecuteNonQuery(tx, CommandType.Text, sql, new SqlParameter[] { new SqlParameter(\"@n\", note) });",
        'SqlHelper.ExecuteNonQuery(tx, CommandType.Text, sql, new SqlParameter("@n", note));',
        "SqlHelper.ExecuteNonQuery(tx, CommandType.Text, sql, parms);",
        "helper.Execute(tx, sql, CommandType.Text, new object[] { note });",
    ],
)
def test_values_bound_beside_command_type_are_no_sql_text(call: str) -> None:
    page = (
        '<%@ Page Language="C#" %><script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        '    var note = Request.Form["note"];\n    var tx = Db.Begin();\n    var parms = Db.Params(note);\n'
        '    string sql = "INSERT INTO notes (note) VALUES (@n)";\n    ' + call + "\n}\n</script>"
    )
    assert _sinks(page, ".aspx") == set(), call


@pytest.mark.parametrize(
    ("sql", "call"),
    [
        # the request's text as the statement: after CommandType.Text, or before it (bound values after)
        ('Request.Form["q"]', "SqlHelper.ExecuteNonQuery(tx, CommandType.Text, sql, new SqlParameter[0]);"),
        ('Request.Form["q"]', "helper.ExecuteScalar(tx, sql, CommandType.Text, new { n = 1 });"),
        ('Request.Form["q"]', "helper.ExecuteScalar(tx, sql, CommandType.Text);"),
        # the statement held in a literal with a ';' inside, then the request's text put in its place
        ('"SELECT 1; SELECT 2;"; sql = Request.Form["q"]', "SqlHelper.ExecuteNonQuery(tx, CommandType.Text, sql);"),
    ],
)
def test_request_text_run_as_sql_beside_command_type_is_still_named(sql: str, call: str) -> None:
    page = (
        '<%@ Page Language="C#" %><script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        "    var tx = Db.Begin();\n    string sql = " + sql + ";\n    " + call + "\n}\n</script>"
    )
    assert "sql-text" in _sinks(page, ".aspx"), (sql, call)


def test_sql_text_from_the_web_method_is_still_named() -> None:
    # the UPDATE's statement is the posted note itself
    update = 'string sqlCMD = "UPDATE notes SET Patient_Id=@Patient_Id, Note=@Note, IsUrgent=@IsUrgent WHERE ID=@ID";'
    assert update in _SAVE
    page = _SAVE.replace("INSERT", _INSERT).replace(update, "string sqlCMD = note;")
    assert "sql-text" in _sinks(page, ".asmx")


def test_name_set_inside_a_literal_is_no_assignment() -> None:
    # "path=note" inside a literal (a log line's text) gives the code's `path` nothing
    page = (
        '<%@ WebHandler Language="C#" Class="Log" %>\nusing System.IO;\nusing System.Web;\n'
        "public class Log : IHttpHandler {\n    public void ProcessRequest(HttpContext context) {\n"
        '        string note = context.Request["note"];\n'
        '        string path = context.Server.MapPath("~/App_Data/notes.log");\n'
        '        string line = "when=" + System.DateTime.Now.Ticks + ";path=note;";\n'
        '        File.AppendAllText(path, line.Length.ToString());\n'
        '        context.Response.Write("ok");\n    }\n    public bool IsReusable { get { return false; } }\n}\n'
    )
    assert _sinks(page, ".ashx") == set()
    assert "file-write" in _sinks(page.replace('MapPath("~/App_Data/notes.log")', "MapPath(note)"), ".ashx")


# --- a connection string read whole past the ';' inside its literals (same change) ---------------------------------
# xhd-crm's Excel import (benign27): the request names an uploaded spreadsheet under a fixed folder, opened as a table
# through OLE DB. Read whole, the connection string holds the request's file name: a file import, not a database of
# the request's choosing. A connection string of the request's own parts stays named.

_IMPORT = """<%@ WebHandler Language="C#" Class="Import" %>
using System.Data;
using System.Data.OleDb;
using System.Web;
public class Import : IHttpHandler {
    public void ProcessRequest(HttpContext context) {
        string name = context.Request["file"];
        var t = Load(context.Server.MapPath("/uploads/import/" + name));
        context.Response.Write(t.Rows.Count);
    }
    static DataTable Load(string file) {
        string cs = CONN;
        var t = new DataTable();
        using (var conn = new OleDbConnection(cs)) { new OleDbDataAdapter("select * from [Sheet1$]", conn).Fill(t); }
        return t;
    }
    public bool IsReusable { get { return false; } }
}
"""


def test_spreadsheet_import_named_by_the_request_is_no_database_of_its_choosing() -> None:
    conn = '"Provider=Microsoft.ACE.OLEDB.12.0;" + "Data Source=" + file + ";Extended Properties=\'Excel 12.0; HDR=NO\'"'
    assert _sinks(_IMPORT.replace("CONN", conn), ".ashx") == set()


def test_connection_string_built_past_a_literal_semicolon_is_read_whole() -> None:
    # the request's server after a literal holding ';' (read up to that ';' before: silent)
    page = _IMPORT.replace("CONN", '"Provider=SQLOLEDB;" + "Data Source=" + file + ";User ID=sa"').replace(
        'context.Server.MapPath("/uploads/import/" + name)', "name"
    )
    assert "sql-connection" in _sinks(page, ".ashx")


# --- rows the database returned are the application's data (B19's request, session 17) ----------------------------
# A POS image handler (benign34): the request's store name is a stored procedure's parameter in the page's FindStore,
# and the connection string is built from the columns of the row it returns (the tenant's server and password). The
# request chose which row, not the server or the credentials.

_STORE_VB = """<%@ WebHandler Language="VB" Class="StoreLogo" %>
Imports System.Data
Imports System.Data.SqlClient
Imports System.Web
Public Class StoreLogo : Implements IHttpHandler
    Public Sub ProcessRequest(ByVal context As HttpContext) Implements IHttpHandler.ProcessRequest
        Dim store As DECL = FindStore(context.Request.QueryString("store"))
        Using con As New SqlConnection(CONN)
            con.Open()
            context.Response.Write(New SqlCommand("SELECT Name FROM Settings", con).ExecuteScalar())
        End Using
    End Sub
    Private Function FindStore(ByVal name As String) As RET
        Dim dt As New DataTable()
        Using con As New SqlConnection(ConfigurationManager.ConnectionStrings("Stores").ConnectionString)
            Dim cmd As New SqlCommand("Stores_GetByName", con)
            cmd.CommandType = CommandType.StoredProcedure
            cmd.Parameters.AddWithValue("@name", name)
            Dim da As New SqlDataAdapter(cmd)
            da.Fill(dt)
        End Using
        Return dt
    End Function
    Private Function StoreDatabase(ByVal dt As DataTable) As String
        Return "Data Source=" & dt.Rows(0)("db_server") & ";Initial Catalog=" & dt.Rows(0)("db_name")
    End Function
    Public ReadOnly Property IsReusable() As Boolean Implements IHttpHandler.IsReusable
        Get
            Return False
        End Get
    End Property
End Class
"""


@pytest.mark.parametrize(("decl", "ret"), [("DataTable", "DataTable"), ("Object", "DataTable"), ("DataTable", "Object")])
def test_connection_built_from_a_stored_row_the_request_chose_is_silent(decl: str, ret: str) -> None:
    page = _STORE_VB.replace("DECL", decl).replace("RET", ret).replace("CONN", "StoreDatabase(store)")
    assert _sinks(page, ".ashx") == set(), (decl, ret)


@pytest.mark.parametrize(
    "conn",
    [
        'context.Request.Form("cs")',  # the request's own connection string
        'StoreDatabase(store) & ";Password=" & context.Request.Form("pw")',
    ],
)
def test_connection_the_request_gives_beside_a_stored_row_is_still_named(conn: str) -> None:
    page = _STORE_VB.replace("DECL", "DataTable").replace("RET", "DataTable").replace("CONN", conn)
    assert "sql-connection" in _sinks(page, ".ashx"), conn


def test_own_method_returning_text_keeps_the_request_input() -> None:
    # a helper of the page's own returning the request's text (not rows) is followed as before
    page = _STORE_VB.replace("DECL", "String").replace("RET", "String").replace("Return dt", "Return name")
    page = page.replace("CONN", "store")
    assert "sql-connection" in _sinks(page, ".ashx")


def test_cs_local_declared_as_rows_from_an_own_method_is_silent() -> None:
    page = (
        '<%@ WebHandler Language="C#" Class="Logo" %>\nusing System.Data;\nusing System.Data.SqlClient;\n'
        "using System.Web;\npublic class Logo : IHttpHandler {\n    public void ProcessRequest(HttpContext context) {\n"
        '        DataRow row = FindStore(context.Request["store"]);\n'
        '        using (var con = new SqlConnection("Data Source=" + row["db_server"])) { con.Open(); }\n    }\n'
        "    DataRow FindStore(string name) {\n        var t = new DataTable();\n"
        '        new SqlDataAdapter("select * from stores where name=@n", "cs").Fill(t);\n        return t.Rows[0];\n    }\n'
        "    public bool IsReusable { get { return false; } }\n}\n"
    )
    assert _sinks(page, ".ashx") == set()


# --- files IIS runs without an ASP.NET page's extension (X38's request, session 16, approved by the lead) ----------
# Workflow services (.xamlx, .xoml) and server-side include pages (.stm, .shtm, .shtml) are run by IIS: a rule's hit
# there is a web shell's outcome, as in a page. A stylesheet's script block starting a process, running or loading
# code or calling native code is one too; what else a stylesheet does stays info.


def _external_hit() -> dict[str, object]:
    return {"check": "yara", "rule": "Ext_Marker", "namespace": "external", "line": 1, "raw": "r", "meta": {}}


@pytest.mark.parametrize("ext", [".xamlx", ".xoml", ".stm", ".shtm", ".shtml"])
def test_external_rule_hit_on_a_file_iis_runs_is_a_web_shell(ext: str) -> None:
    from extriage.detections.webfiles.classify import yara_reason
    from extriage.detections.webfiles.content import SCRIPT_EXTENSIONS
    from extriage.findings import Outcome

    assert ext in SCRIPT_EXTENSIONS
    assert yara_reason(_external_hit(), ext).outcome == Outcome.WEBSHELL


def test_external_rule_hit_on_other_files_stays_info() -> None:
    from extriage.detections.webfiles.classify import yara_reason
    from extriage.findings import Outcome

    for ext in (".xml", ".txt", ".xaml", ".resx", ".xsl"):
        assert yara_reason(_external_hit(), ext).outcome == Outcome.INFO, ext


def _behaviour_hit(sink: str, category: str) -> dict[str, object]:
    return {"sink": sink, "category": category, "title": "does it", "severity": "critical", "language": "C#",
            "confidence": "high", "line": 2, "raw": "x"}  # fmt: skip


@pytest.mark.parametrize(
    ("sink", "category"), [("process", "process"), ("pinvoke", "native"), ("eval", "eval"), ("assembly-load", "loader")]
)
@pytest.mark.parametrize("ext", [".xsl", ".xslt"])
def test_stylesheet_script_running_code_is_a_web_shell(ext: str, sink: str, category: str) -> None:
    from extriage.detections.webfiles.classify import behaviour_reason
    from extriage.findings import Outcome

    assert behaviour_reason(_behaviour_hit(sink, category), ext).outcome == Outcome.WEBSHELL


@pytest.mark.parametrize(("ext", "sink", "category"), [(".xslt", "file-read", "file-read"), (".xml", "process", "process")])
def test_other_stylesheet_or_data_file_hits_stay_info(ext: str, sink: str, category: str) -> None:
    from extriage.detections.webfiles.classify import behaviour_reason
    from extriage.findings import Outcome

    assert behaviour_reason(_behaviour_hit(sink, category), ext).outcome == Outcome.INFO


def test_umbraco_style_stylesheet_starting_a_process_is_a_web_shell() -> None:
    from extriage.detections.webfiles import behaviour
    from extriage.detections.webfiles.classify import behaviour_reason
    from extriage.findings import Outcome

    page = (
        '<?xml version="1.0"?>\n<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"\n'
        '  xmlns:msxsl="urn:schemas-microsoft-com:xslt" xmlns:user="urn:placeholder">\n'
        '<msxsl:script language="C#" implements-prefix="user"><![CDATA[\n'
        "public string Run(string c) { return System.Diagnostics.Process.Start(\"placeholder.exe\", c).Id.ToString(); }\n"
        ']]></msxsl:script>\n<xsl:template match="/"><xsl:value-of select="user:Run(\'x\')"/></xsl:template>\n'
        "</xsl:stylesheet>\n"
    )
    hits = behaviour.analyse(page.encode(), ".xslt", budget=30.0).hits
    assert hits and all(behaviour_reason(h, ".xslt").outcome == Outcome.WEBSHELL for h in hits)


# --- the page's own request's agent is not the visitor's (B18's request, session 17) -------------------------------
# An ERP page posting invoices to a fixed internal server sets its outgoing request's User-Agent and reads the answer:
# cloaking's context wanted the word UserAgent anywhere; it wants the visitor's agent or referrer read.

_PUSH = """Imports System.IO
Imports System.Net
Partial Class PushInvoices
    Inherits System.Web.UI.Page
    Protected Sub btnPush_Click(ByVal sender As Object, ByVal e As EventArgs) Handles btnPush.Click
        Dim request As WebRequest = WebRequest.Create("http://intranet.example:9000/")
        AGENT
        Dim answer As String
        Using reader As New StreamReader(request.GetResponse().GetResponseStream())
            answer = reader.ReadToEnd()
        End Using
        If answer.Contains("<CREATED>1</CREATED>") Then Response.Redirect("Invoices.aspx?pushed=1")
    End Sub
End Class
"""


@pytest.mark.parametrize(
    "agent",
    ['DirectCast(request, HttpWebRequest).UserAgent = "Billing export"', 'CType(request, HttpWebRequest).UserAgent="x"'],
)
def test_page_setting_its_own_requests_agent_is_no_cloaking(agent: str) -> None:
    assert _sinks(_PUSH.replace("AGENT", agent), ".vb") == set()


@pytest.mark.parametrize(
    "agent",
    [
        'If Request.UserAgent = "bot" Then Exit Sub',
        'If Request.UserAgent.Contains("bot") Then Exit Sub',
        'Dim who As String = Request.ServerVariables("HTTP_USER_AGENT")',
    ],
)
def test_page_reading_the_visitors_agent_is_still_cloaking(agent: str) -> None:
    assert "remote-content" in _sinks(_PUSH.replace("AGENT", agent), ".vb"), agent


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ('if (Request.UserAgent == "bot") return;', True),  # the visitor's agent compared
        ('var r = (HttpWebRequest)WebRequest.Create("http://content.example/b"); r.UserAgent = "Example";', False),
    ],
)
def test_cs_cloaking_wants_the_visitors_agent(line: str, found: bool) -> None:
    page = (
        '<%@ Page Language="C#" %><%@ Import Namespace="System.Net" %><script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n    " + line + "\n"
        '    Response.Write(new WebClient().DownloadString("http://content.example/a"));\n}\n</script>'
    )
    assert ("remote-content" in _sinks(page, ".aspx")) is found


@pytest.mark.parametrize(
    "sent",
    [
        'Request.ServerVariables["HTTP_HOST"] + "&q=" + Request.ServerVariables["QUERY_STRING"]',
        "Request.RawUrl",
        "Request.Url.PathAndQuery",
    ],
)
def test_parasite_page_sending_the_visitors_address_is_still_cloaking(sent: str) -> None:
    # a page whose content a remote server writes for the address the visitor asked for; it sets only its own
    # request's agent (the word was all the context had read before)
    page = (
        '<%@ Page Language="C#" %><%@ Import Namespace="System.Net" %><%@ Import Namespace="System.IO" %>\n'
        '<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        '    var r = (HttpWebRequest)WebRequest.Create("http://content.example/index.php?u=" + ' + sent + ");\n"
        '    r.UserAgent = "Example";\n'
        "    Response.Write(new StreamReader(r.GetResponse().GetResponseStream()).ReadToEnd());\n}\n</script>"
    )
    assert "remote-content" in _sinks(page, ".aspx"), sent
    ordinary = page.replace(sent, '"fixed"')
    assert "remote-content" not in _sinks(ordinary, ".aspx")


# --- posted list values, XML written or read by path, a mailed file, a listed folder (B19's and B14's notes) --------

_VB_CLICK = (
    "Imports System.Xml\nPartial Class T\n    Inherits System.Web.UI.Page\n"
    "    Protected Sub Button1_Click(sender As Object, e As EventArgs) Handles Button1.Click\n        BODY\n"
    "    End Sub\nEnd Class\n"
)


@pytest.mark.parametrize(
    ("body", "sink"),
    [
        ('System.Diagnostics.Process.Start("cmd.exe", "/c " & DropDownList1.SelectedValue)', "process"),
        ('System.Diagnostics.Process.Start("cmd.exe", "/c " & lstCmd.SelectedItem.Value)', "process"),
        ('Dim d As New XmlDocument()\n        d.LoadXml(Request.Form("x"))\n        d.Save(Server.MapPath(Request.Form("p")))',
         "file-write"),
        ('Dim w As XmlWriter = XmlWriter.Create(Server.MapPath(Request.Form("p")))\n        w.Close()', "file-write"),
        ('Dim w As New XmlTextWriter(Request.Form("p"), Nothing)\n        w.Close()', "file-write"),
        ('Dim ds As New System.Data.DataSet()\n        ds.WriteXml(Server.MapPath(Request.Form("p")))', "file-write"),
        ('Dim m As New System.Net.Mail.MailMessage("a@example.org", "b@example.org")\n'
         '        m.Attachments.Add(New System.Net.Mail.Attachment(Request("f")))', "file-read"),
        ('Dim ds As New System.Data.DataSet()\n        ds.ReadXml(Request("f"))\n        Response.Write(ds.GetXml())',
         "file-read"),
        ('Dim d As New System.IO.DirectoryInfo(Request("dir"))\n        For Each f In d.GetFiles()\n'
         "            Response.Write(f.Name)\n        Next", "file-read"),
    ],
)  # fmt: skip
def test_request_chosen_values_and_paths_are_named(body: str, sink: str) -> None:
    assert sink in _sinks(_VB_CLICK.replace("BODY", body), ".vb"), body


@pytest.mark.parametrize(
    "body",
    [
        # a list's value below a fixed folder with a fixed extension, XML saved to the application's own file, the
        # response written as XML, a fixed folder listed, a mailed upload's stream, a record's Save
        'Response.WriteFile(Server.MapPath("~/docs/" & DropDownList1.SelectedValue & ".pdf"))',
        'Dim d As New XmlDocument()\n        d.LoadXml(txtBody.Text)\n        d.Save(Server.MapPath("~/App_Data/menu.xml"))',
        'Dim ds As New System.Data.DataSet()\n        ds.WriteXml(Response.OutputStream)',
        'Dim d As New System.IO.DirectoryInfo(Server.MapPath("~/docs"))\n        Response.Write(d.GetFiles().Length)',
        'Dim m As New System.Net.Mail.MailMessage("a@example.org", "b@example.org")\n'
        "        m.Attachments.Add(New System.Net.Mail.Attachment(FileUpload1.PostedFile.InputStream, \"a.pdf\"))",
        "customer.Save(txtName.Text)",
        'Dim x = System.Xml.Linq.XDocument.Load(Server.MapPath("~/App_Data/menu.xml"))',
    ],
)
def test_ordinary_lists_xml_files_and_mail_stay_silent(body: str) -> None:
    assert _sinks(_VB_CLICK.replace("BODY", body), ".vb") == set(), body


# --- a directory filter as the searcher's second argument, or set on a lower-case searcher (B16's notes) -----------

_LDAP = (
    '<%@ Page Language="C#" %><%@ Import Namespace="System.DirectoryServices" %><script runat="server">\n'
    "void Page_Load(object s, EventArgs e) {\n"
    '    var root = new DirectoryEntry("LDAP://DC=example,DC=com");\n    LINE\n'
    "    foreach (SearchResult r in found.FindAll()) Response.Write(r.Path);\n}\n</script>"
)


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ('var found = new DirectorySearcher(root, Request.QueryString["q"]);', True),
        ('var searcher = new DirectorySearcher(root); searcher.Filter = Request.QueryString["q"]; var found = searcher;',
         True),
        ('var userSearcher = new DirectorySearcher(root); userSearcher.Filter = Request["q"]; var found = userSearcher;',
         True),
        ('var found = new DirectorySearcher(root, "(objectClass=user)");', False),
        ('var found = new DirectorySearcher(root, "(sAMAccountName=" + Request.QueryString["q"] + ")");', False),
        ('var found = new DirectorySearcher(root); found.Filter = "(objectClass=user)";', False),
    ],
)  # fmt: skip
def test_directory_filter_taken_whole_from_the_request(line: str, found: bool) -> None:
    assert ("directory-query" in _sinks(_LDAP.replace("LINE", line), ".aspx")) is found, line


# --- what the newly read calls must not take (session 17's harness) -------------------------------------------------
# A template record the request picks by number, its folder listed (cuyahoga's TemplateEdit, benign19), and a canvas
# upload saving pixels as an image where its caller says (benign30).


@pytest.mark.parametrize(
    ("pick", "found"),
    [
        ('Int32.Parse(Request.QueryString["id"])', False),  # a record picked by number: its folder is the application's
        ('Convert.ToInt32(Request["id"])', False),
        ('Request.QueryString["id"]', True),  # the request's text handed on (as before: a call's result carries it)
    ],
)
def test_folder_of_a_record_picked_by_number_is_the_applications(pick: str, found: bool) -> None:
    page = (
        '<%@ Page Language="C#" %><%@ Import Namespace="System.IO" %><script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        "    var template = Repository.GetObjectById(typeof(Template), " + pick + ");\n"
        "    string folder = template.BasePath;\n"
        "    DirectoryInfo dir = new DirectoryInfo(folder);\n"
        '    foreach (var f in dir.GetFiles("*.ascx")) Response.Write(f.Name);\n}\n</script>'
    )
    assert ("file-read" in _sinks(page, ".aspx")) is found, pick


@pytest.mark.parametrize(("fmt", "found"), [(", System.Drawing.Imaging.ImageFormat.Jpeg", False), ("", True)])
def test_image_saved_where_the_request_says_is_no_xml_file_write(fmt: str, found: bool) -> None:
    page = (
        '<%@ WebHandler Language="C#" Class="Canvas" %>\nusing System.Web;\npublic class Canvas : IHttpHandler {\n'
        "    public void ProcessRequest(HttpContext context) {\n"
        '        string name = context.Request["FileName"];\n        var doc = Make(context);\n'
        '        doc.Save(context.Server.MapPath(name)' + fmt + ");\n    }\n"
        "    public bool IsReusable { get { return false; } }\n}\n"
    )
    assert ("file-write" in _sinks(page, ".ashx")) is found, fmt


# --- an upload under a generated name keeps only the client's extension (B20's request, session 17) ----------------

_CORE_UPLOAD = (
    "@page\n@using System.IO\n@inject Microsoft.AspNetCore.Hosting.IWebHostEnvironment Env\n@functions {\n"
    "    public async Task OnPostAsync(IFormFile upload)\n    {\n"
    "        var ext = Path.GetExtension(upload.FileName).ToLowerInvariant();\n"
    '        if (ext != ".jpg" && ext != ".png") return;\n'
    '        var name = Guid.NewGuid().ToString("N") + ext;\n'
    '        var path = Path.Combine(Env.WebRootPath, "uploads", name);\n'
    "        using var fs = new FileStream(path, FileMode.Create);\n        await upload.CopyToAsync(fs);\n    }\n}\n"
)


@pytest.mark.parametrize(
    ("path", "found"),
    [
        ('Path.Combine(Env.WebRootPath, "uploads", name)', False),  # a GUID and the client's extension
        ('Request.Form["to"].ToString()', True),  # where the form says
        ("Path.Combine(Env.WebRootPath, upload.FileName)", True),  # the client's own name
        ('Path.Combine(Env.WebRootPath, "uploads", Request.Form["n"] + ext)', True),
    ],
)
def test_core_upload_under_a_generated_name(path: str, found: bool) -> None:
    page = _CORE_UPLOAD.replace('Path.Combine(Env.WebRootPath, "uploads", name)', path)
    assert bool(_sinks(page, ".cshtml") & {"file-write", "file-write-content"}) is found, path


# --- a listener on the request's port still carries what it reads; page code inside a literal is code -------------


def test_bind_shell_on_a_request_port_still_runs_what_the_socket_sends() -> None:
    page = (
        '<%@ Page Language="C#" %><%@ Import Namespace="System.Net" %><%@ Import Namespace="System.Net.Sockets" %>\n'
        '<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        '    var l = new TcpListener(IPAddress.Any, int.Parse(Request["p"])); l.Start();\n'
        "    var c = l.AcceptTcpClient();\n    var r = new System.IO.StreamReader(c.GetStream());\n"
        '    System.Diagnostics.Process.Start("placeholder.exe", r.ReadLine());\n}\n</script>'
    )
    assert "process" in _sinks(page, ".aspx")


def test_page_code_held_in_a_literal_is_read_as_code() -> None:
    # a Razor page served from memory (an injector's payload): its statements are code, a SQL "a=b" is not
    page = (
        "@using System.IO\n@functions {\n    public Stream Page() {\n"
        '        return new MemoryStream(System.Text.Encoding.ASCII.GetBytes(@"\n@{\n'
        '    string txt = HttpContext.Request.Query[""c""];\n'
        '    System.Diagnostics.Process.Start(""placeholder.exe"", txt);\n}\n"));\n    }\n}\n'
    )
    assert "process" in _sinks(page, ".cshtml")


# --- ASP.NET Core's actions rebuilt by reflection from a view (X39's request, session 17) ----------------------------

_CORE_INJECT = (
    "@using System.Reflection\n@{\n"
    "    var mgr = (Microsoft.AspNetCore.Mvc.ApplicationParts.ApplicationPartManager)Context.RequestServices"
    ".GetService(typeof(Microsoft.AspNetCore.Mvc.ApplicationParts.ApplicationPartManager));\n"
    "    mgr.ApplicationParts.Add(new Microsoft.AspNetCore.Mvc.ApplicationParts.AssemblyPart(Part()));\n"
    "    var svc = Context.RequestServices.GetService(typeof(Microsoft.AspNetCore.Mvc.Infrastructure."
    "IActionDescriptorCollectionProvider));\n    UPDATE\n}\n"
)


def test_view_rebuilding_the_actions_by_reflection_is_named() -> None:
    update = 'svc.GetType().GetMethod("UpdateCollection", BindingFlags.NonPublic | BindingFlags.Instance).Invoke(svc, null);'
    assert "core-action-injection" in _sinks(_CORE_INJECT.replace("UPDATE", update), ".cshtml")


def test_plugin_loader_signalling_the_change_provider_is_silent() -> None:
    update = "Changes.HasChanged = true; Changes.TokenSource.Cancel();"  # the public way a plugin loader takes
    assert _sinks(_CORE_INJECT.replace("UPDATE", update), ".cshtml") == set()


# --- hostile pages: the session's new reads stay bounded (10,000 helpers returning rows, numbers and literals) ------


def test_ten_thousand_row_helpers_numbers_and_literal_semicolons_are_bounded() -> None:
    helpers = "".join(f"DataTable h{i}(string a){{return new DataTable();}}\n" for i in range(10_000))
    calls = "".join(
        f'var r{i}=h{i}("a;b=c;"+Request["q"]);\n' if i % 2 else f'var r{i}=h{i}(Int32.Parse(Request["n"]));\n'
        for i in range(10_000)
    )
    page = (
        '<%@ Page Language="C#" %>\n<script runat="server">\n' + helpers + "void Page_Load(object s, EventArgs e) {\n"
        + calls + 'System.Diagnostics.Process.Start(Request["c"]);\n}\n</script>\n'
    )
    assert len(page) < 1_000_000
    t0 = time.thread_time()
    result = behaviour.analyse(page.encode(), ".aspx", budget=30.0)
    assert time.thread_time() - t0 < 30.0
    assert result.problem is None and "process" in {h["sink"] for h in result.hits}
