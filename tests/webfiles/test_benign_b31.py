"""A second uniform path frame of session 22: closest quiet shapes (issue 14, helper B31).

The benign set (``/tmp/benign31``, never in the project; BENCHMARKS.md, "First-sight benign pages, a second uniform
path frame") is 104 real ASP.NET files of up to 16,000 characters, drawn through 35 nested path names (``find_files
path=``) disjoint from B30's by a rule written before the first look-up. On first sight none raised a finding, under
our rules and behaviour or signature-base.

The pages below are written for these tests (no line is copied from the applications) in the shapes of the set's
files that sit closest to a capability and raised nothing: a VB handler that streams a random picture from a folder
named in ``appSettings``, an orders page that splices the typed term into a data source's query (an injection bug, not
a console), an ``App_Code`` data class that runs whatever SQL its caller passes, a document helper that lists and makes
folders under a configured share, and a page with an empty ``<script runat="server">`` block. They must raise no
finding at all; each has a one-line variant (``MUTANTS``) that hands the request to the sink - the folder listed, the
statement run, the file read - and must be found, so the tests can fail.
"""

from __future__ import annotations

from .rule_tables import quiet_pages_test, sink_found_test, variants_differ_test

_BANNER_FROM_ITS_CONFIGURED_FOLDER = (
    '<%@ WebHandler Language="VB" Class="RotatingBanner" %>\n'
    "\n"
    "Imports System\n"
    "Imports System.IO\n"
    "Imports System.Web\n"
    "Imports System.Configuration\n"
    "\n"
    "Public Class RotatingBanner : Implements IHttpHandler\n"
    "\n"
    "    Public Sub ProcessRequest(ByVal context As HttpContext) Implements IHttpHandler.ProcessRequest\n"
    '        Dim root As String = ConfigurationManager.AppSettings("BannerFolder")\n'
    '        Dim pictures As String() = Directory.GetFiles(root, "*.png")\n'
    "        If pictures.Length = 0 Then Return\n"
    "        Dim chosen As String = pictures(New Random().Next(pictures.Length))\n"
    '        context.Response.ContentType = "image/png"\n'
    "        context.Response.BinaryWrite(File.ReadAllBytes(chosen))\n"
    "    End Sub\n"
    "\n"
    "    Public ReadOnly Property IsReusable() As Boolean Implements IHttpHandler.IsReusable\n"
    "        Get\n"
    "            Return False\n"
    "        End Get\n"
    "    End Property\n"
    "End Class\n"
)

_ORDERS_SEARCH_SPLICES_THE_TERM = (
    "using System;\n"
    "using System.Web.UI;\n"
    "using System.Web.UI.WebControls;\n"
    "\n"
    "public partial class Admin_Orders : Page\n"
    "{\n"
    "    protected void Page_Load(object sender, EventArgs e)\n"
    "    {\n"
    "        if (!IsPostBack)\n"
    '            dsOrders.SelectCommand = "SELECT * FROM OrderView WHERE Shipped = 0";\n'
    "    }\n"
    "\n"
    "    protected void btnFind_Click(object sender, EventArgs e)\n"
    "    {\n"
    '        dsBuyers.SelectCommand = "SELECT * FROM Buyer WHERE Code = \'" + Request.Form["find"] + "\'";\n'
    "    }\n"
    "}\n"
)

_DATA_CLASS_RUNS_WHAT_ITS_CALLER_GIVES = (
    "using System.Configuration;\n"
    "using System.Data;\n"
    "using System.Data.SqlClient;\n"
    "\n"
    "public class Db\n"
    "{\n"
    '    readonly string cs = ConfigurationManager.ConnectionStrings["main"].ConnectionString;\n'
    "\n"
    "    public DataTable Table(string sql)\n"
    "    {\n"
    "        using (SqlConnection con = new SqlConnection(cs))\n"
    "        using (SqlDataAdapter da = new SqlDataAdapter(sql, con))\n"
    "        {\n"
    "            DataTable dt = new DataTable();\n"
    "            da.Fill(dt);\n"
    "            return dt;\n"
    "        }\n"
    "    }\n"
    "\n"
    "    public int Run(string sql)\n"
    "    {\n"
    "        using (SqlConnection con = new SqlConnection(cs))\n"
    "        {\n"
    "            SqlCommand cmd = new SqlCommand(sql, con);\n"
    "            con.Open();\n"
    "            return cmd.ExecuteNonQuery();\n"
    "        }\n"
    "    }\n"
    "}\n"
)

_DOCUMENTS_UNDER_ITS_SHARE = (
    "using System.Collections.Generic;\n"
    "using System.Configuration;\n"
    "using System.IO;\n"
    "\n"
    "public static class DocumentTree\n"
    "{\n"
    "    public static List<string> Names(string kind, string code, bool outgoing)\n"
    "    {\n"
    '        string share = ConfigurationManager.AppSettings["share"];\n'
    '        string folder = Path.Combine(share, "docs", kind, code, outgoing ? "out" : "in");\n'
    "        if (!Directory.Exists(folder))\n"
    "            Directory.CreateDirectory(folder);\n"
    "        List<string> names = new List<string>();\n"
    "        foreach (string file in Directory.GetFiles(folder))\n"
    "            names.Add(Path.GetFileName(file));\n"
    "        return names;\n"
    "    }\n"
    "}\n"
)

_EMPTY_SERVER_BLOCK = (
    '<%@ Page Title="" Language="C#" MasterPageFile="TeacherMaster.master" Debug="true" %>\n'
    "\n"
    '<script runat="server">\n'
    "    // page code goes here\n"
    "</script>\n"
    "\n"
    '<asp:Content ID="Right" ContentPlaceHolderID="RightContent" Runat="Server">\n'
    '    <div class="box">Welcome, teacher</div>\n'
    "</asp:Content>\n"
)

QUIET_PAGES = [
    ("banner-from-its-configured-folder", ".ashx", _BANNER_FROM_ITS_CONFIGURED_FOLDER),
    ("orders-search-splices-the-term", ".aspx.cs", _ORDERS_SEARCH_SPLICES_THE_TERM),
    ("data-class-runs-what-its-caller-gives", "/App_Code/Db.cs", _DATA_CLASS_RUNS_WHAT_ITS_CALLER_GIVES),
    ("documents-under-its-share", "/App_Code/DocumentTree.cs", _DOCUMENTS_UNDER_ITS_SHARE),
    ("empty-server-block", ".aspx", _EMPTY_SERVER_BLOCK),
]


def _variant(page: str, line: str, new: str) -> str:
    assert page.count(line) == 1, line
    return page.replace(line, new)


#: (case, extension, sink that must be found, page): one line of a quiet page changed so the request reaches it.
MUTANTS = [
    (
        "banner-from-the-folder-the-query-names",
        ".ashx",
        "file-read",
        _variant(
            _BANNER_FROM_ITS_CONFIGURED_FOLDER,
            '        Dim root As String = ConfigurationManager.AppSettings("BannerFolder")\n',
            '        Dim root As String = context.Request.QueryString("folder")\n',
        ),
    ),
    (
        "orders-search-runs-the-posted-statement",
        ".aspx.cs",
        "sql-text",
        _variant(
            _ORDERS_SEARCH_SPLICES_THE_TERM,
            '        dsBuyers.SelectCommand = "SELECT * FROM Buyer WHERE Code = \'" + Request.Form["find"] + "\'";\n',
            '        dsBuyers.SelectCommand = Request.Form["find"];\n',
        ),
    ),
    (
        "data-class-runs-the-request-statement",
        "/App_Code/Db.cs",
        "sql-text",
        _variant(
            _DATA_CLASS_RUNS_WHAT_ITS_CALLER_GIVES,
            "            SqlCommand cmd = new SqlCommand(sql, con);\n",
            '            SqlCommand cmd = new SqlCommand(System.Web.HttpContext.Current.Request["sql"], con);\n',
        ),
    ),
    (
        "documents-listed-where-the-query-says",
        "/App_Code/DocumentTree.cs",
        "file-read",
        _variant(
            _DOCUMENTS_UNDER_ITS_SHARE,
            "        foreach (string file in Directory.GetFiles(folder))\n",
            '        foreach (string file in Directory.GetFiles(System.Web.HttpContext.Current.Request["dir"]))\n',
        ),
    ),
    (
        "server-block-reads-the-file-the-request-names",
        ".aspx",
        "file-read",
        _variant(
            _EMPTY_SERVER_BLOCK,
            "    // page code goes here\n",
            '    void Page_Load() { Response.Write(System.IO.File.ReadAllText(Request["p"])); }\n',
        ),
    ),
]

test_sampled_benign_shape_raises_no_finding = quiet_pages_test(QUIET_PAGES)
test_one_line_variant_of_a_quiet_sampled_shape_is_found = sink_found_test(MUTANTS)
test_mutants_differ_from_their_quiet_page_by_one_edit = variants_differ_test(QUIET_PAGES, MUTANTS)
