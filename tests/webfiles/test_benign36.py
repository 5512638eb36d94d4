"""A second seeded uniform sample of ASP.NET files: closest quiet shapes (issue 14, helper B21).

The benign set of session 18 (``/tmp/benign21``, never in the project; BENCHMARKS.md, "False positives on unseen
benign pages XX: a second seeded uniform sample") is 173 real files of about 170 applications, up to 8,000 characters,
taken by a rule written before the first look-up: for each of 40 fixed strings in a seeded order (``<asp:HyperLink
ID=``, ``void Session_Start(object sender, EventArgs e)``, ``[System.Web.Script.Services.ScriptService]``, ``public
bool IsReusable``, ``@Html.AntiForgeryToken()``...) every hit the library's text index returned, in its order - pages,
user controls, master pages, handlers, services and their code-behinds, ``Global.asax`` files and Razor views. On first
sight two raised a finding: an upload handler that creates the folder the form names under the site and keeps the
upload there under a name the form gives (a real capability), and a WS-Federation ``Global.asax`` whose sign-in address
comes from the query (a misreading, ``http-out``: A12 made it silent in 3909e92).

The pages below are written for these tests (no line is copied from the applications) in the shapes of the set's
files that sit closest to a shell and raised nothing: a ``Global.asax`` that logs failures to a fixed file under
``App_Data``, a member photo kept under the client's file name in a fixed folder, an avatar handler that stores under
a configured folder with a name it stamps and a fixed extension, a search grid that glues the typed term into its SQL
(an injection bug, not a console), a report handler that sends a PDF picked by name from its own folder, and an inline
``Global.asax`` that loads its notes from a fixed folder at start. They must raise no finding at all; each has a
one-line variant (``MUTANTS``) that hands the request to the sink - the path written or read, the statement run - and
must be found, so the tests can fail. The photo page's variant is the sample's real capability: the folder the form
names.
"""

from __future__ import annotations

from .rule_tables import quiet_pages_test, sink_found_test, variants_differ_test

_ERROR_LOG_IN_APP_DATA = (
    "using System;\n"
    "using System.IO;\n"
    "using System.Web;\n"
    "\n"
    "namespace Clinic.Web\n"
    "{\n"
    "    public class Global : HttpApplication\n"
    "    {\n"
    "        protected void Application_Error(object sender, EventArgs e)\n"
    "        {\n"
    "            Exception failure = Server.GetLastError();\n"
    "            if (failure == null) return;\n"
    '            string log = Server.MapPath("~/App_Data/failures.log");\n'
    '            File.AppendAllText(log, DateTime.UtcNow.ToString("o") + " " + Request.RawUrl + " " + failure.Message + Environment.NewLine);\n'
    "            Server.ClearError();\n"
    '            Response.Redirect("~/Oops.aspx");\n'
    "        }\n"
    "    }\n"
    "}\n"
)

_PHOTO_KEPT_UNDER_ITS_OWN_NAME = (
    "using System;\n"
    "using System.IO;\n"
    "using System.Web.UI;\n"
    "\n"
    "public partial class Members_EditPhoto : Page\n"
    "{\n"
    "    protected void btnSave_Click(object sender, EventArgs e)\n"
    "    {\n"
    "        if (!fuPhoto.HasFile) return;\n"
    '        string folder = Server.MapPath("~/member-photos/");\n'
    "        Directory.CreateDirectory(folder);\n"
    "        string kept = Path.Combine(folder, Path.GetFileName(fuPhoto.FileName));\n"
    "        fuPhoto.SaveAs(kept);\n"
    '        imgPhoto.ImageUrl = "~/member-photos/" + Path.GetFileName(fuPhoto.FileName);\n'
    "    }\n"
    "}\n"
)

_AVATAR_HANDLER_STAMPS_ITS_NAME = (
    '<%@ WebHandler Language="C#" Class="AvatarUpload" %>\n'
    "using System;\n"
    "using System.Configuration;\n"
    "using System.IO;\n"
    "using System.Web;\n"
    "\n"
    "public class AvatarUpload : IHttpHandler\n"
    "{\n"
    "    public void ProcessRequest(HttpContext context)\n"
    "    {\n"
    '        HttpPostedFile picture = context.Request.Files["avatar"];\n'
    "        if (picture == null || picture.ContentLength == 0) return;\n"
    '        string member = context.Request.Form["member"];\n'
    '        string folder = context.Server.MapPath(ConfigurationManager.AppSettings["AvatarFolder"]);\n'
    '        string name = member + "_" + DateTime.Now.Ticks + ".jpg";\n'
    "        picture.SaveAs(Path.Combine(folder, name));\n"
    '        context.Response.ContentType = "text/plain";\n'
    "        context.Response.Write(name);\n"
    "    }\n"
    "\n"
    "    public bool IsReusable { get { return false; } }\n"
    "}\n"
)

_SEARCH_GRID_GLUES_THE_TERM_INTO_ITS_QUERY = (
    "using System;\n"
    "using System.Configuration;\n"
    "using System.Data;\n"
    "using System.Data.SqlClient;\n"
    "using System.Web.UI;\n"
    "\n"
    "public partial class Stock_Items : Page\n"
    "{\n"
    "    protected void btnFind_Click(object sender, EventArgs e)\n"
    "    {\n"
    '        string sql = "SELECT ItemNo, ItemName FROM Items WHERE ItemName LIKE \'%" + txtTerm.Text + "%\'";\n'
    '        using (var con = new SqlConnection(ConfigurationManager.ConnectionStrings["Stock"].ConnectionString))\n'
    "        using (var da = new SqlDataAdapter(sql, con))\n"
    "        {\n"
    "            var table = new DataTable();\n"
    "            da.Fill(table);\n"
    "            gvItems.DataSource = table;\n"
    "            gvItems.DataBind();\n"
    "        }\n"
    "    }\n"
    "}\n"
)

_REPORT_PICKED_FROM_ITS_OWN_FOLDER = (
    '<%@ WebHandler Language="C#" Class="ReportPdf" %>\n'
    "using System;\n"
    "using System.IO;\n"
    "using System.Web;\n"
    "\n"
    "public class ReportPdf : IHttpHandler\n"
    "{\n"
    "    public void ProcessRequest(HttpContext context)\n"
    "    {\n"
    '        string report = Path.GetFileNameWithoutExtension(context.Request.QueryString["report"] ?? "");\n'
    '        string file = context.Server.MapPath("~/App_Data/reports/" + report + ".pdf");\n'
    "        if (!File.Exists(file)) { context.Response.StatusCode = 404; return; }\n"
    '        context.Response.ContentType = "application/pdf";\n'
    "        context.Response.TransmitFile(file);\n"
    "    }\n"
    "\n"
    "    public bool IsReusable { get { return true; } }\n"
    "}\n"
)

_GLOBAL_LOADS_ITS_ENTRIES_AT_START = (
    '<%@ Application Language="C#" %>\n'
    '<%@ Import Namespace="System.IO" %>\n'
    '<script runat="server">\n'
    "    void Application_Start(object sender, EventArgs e)\n"
    "    {\n"
    "        var notes = new System.Collections.Generic.List<string>();\n"
    '        string store = Server.MapPath("~/App_Data/notes/");\n'
    '        foreach (string f in Directory.EnumerateFiles(store, "*.json"))\n'
    "            notes.Add(File.ReadAllText(f));\n"
    '        Application["notes"] = notes;\n'
    "    }\n"
    "\n"
    "    void Application_BeginRequest(object sender, EventArgs e)\n"
    "    {\n"
    '        Response.AppendHeader("X-Notes", ((System.Collections.Generic.List<string>)Application["notes"]).Count.ToString());\n'
    "    }\n"
    "</script>\n"
)

QUIET_PAGES = [
    ("global-logs-failures-in-app-data", ".asax.cs", _ERROR_LOG_IN_APP_DATA),
    ("photo-kept-under-its-own-name", ".aspx.cs", _PHOTO_KEPT_UNDER_ITS_OWN_NAME),
    ("avatar-handler-stamps-its-name", ".ashx", _AVATAR_HANDLER_STAMPS_ITS_NAME),
    ("search-grid-glues-the-term-into-its-query", ".aspx.cs", _SEARCH_GRID_GLUES_THE_TERM_INTO_ITS_QUERY),
    ("report-picked-from-its-own-folder", ".ashx", _REPORT_PICKED_FROM_ITS_OWN_FOLDER),
    ("global-loads-its-entries-at-start", ".asax", _GLOBAL_LOADS_ITS_ENTRIES_AT_START),
]


def _variant(page: str, line: str, new: str) -> str:
    assert page.count(line) == 1, line
    return page.replace(line, new)


#: (case, extension, sink that must be found, page): one line of a quiet page changed so the request reaches it.
MUTANTS = [
    (
        "global-logs-where-the-query-says",
        ".asax.cs",
        "file-write",
        _variant(
            _ERROR_LOG_IN_APP_DATA,
            '            string log = Server.MapPath("~/App_Data/failures.log");\n',
            '            string log = Request.QueryString["log"];\n',
        ),
    ),
    (
        "photo-kept-in-the-folder-the-form-names",
        ".aspx.cs",
        "file-write",
        _variant(
            _PHOTO_KEPT_UNDER_ITS_OWN_NAME,
            '        string folder = Server.MapPath("~/member-photos/");\n',
            '        string folder = Server.MapPath("~/" + Request.Form["folder"]);\n',
        ),
    ),
    (
        "avatar-handler-saves-where-the-form-says",
        ".ashx",
        "file-write",
        _variant(
            _AVATAR_HANDLER_STAMPS_ITS_NAME,
            "        picture.SaveAs(Path.Combine(folder, name));\n",
            '        picture.SaveAs(context.Request.Form["to"]);\n',
        ),
    ),
    (
        "search-grid-runs-the-typed-statement",
        ".aspx.cs",
        "sql-text",
        _variant(
            _SEARCH_GRID_GLUES_THE_TERM_INTO_ITS_QUERY,
            '        string sql = "SELECT ItemNo, ItemName FROM Items WHERE ItemName LIKE \'%" + txtTerm.Text + "%\'";\n',
            "        string sql = txtTerm.Text;\n",
        ),
    ),
    (
        "report-sent-from-the-path-the-query-names",
        ".ashx",
        "file-read",
        _variant(
            _REPORT_PICKED_FROM_ITS_OWN_FOLDER,
            '        string file = context.Server.MapPath("~/App_Data/reports/" + report + ".pdf");\n',
            '        string file = context.Request.QueryString["report"];\n',
        ),
    ),
    (
        "global-serves-the-file-the-query-names",
        ".asax",
        "file-read",
        _variant(
            _GLOBAL_LOADS_ITS_ENTRIES_AT_START,
            '        Response.AppendHeader("X-Notes", ((System.Collections.Generic.List<string>)Application["notes"])'
            ".Count.ToString());\n",
            '        Response.Write(File.ReadAllText(Request.QueryString["note"]));\n',
        ),
    ),
]

test_sampled_benign_shape_raises_no_finding = quiet_pages_test(QUIET_PAGES)
test_one_line_variant_of_a_quiet_sampled_shape_is_found = sink_found_test(MUTANTS)
test_mutants_differ_from_their_quiet_page_by_one_edit = variants_differ_test(QUIET_PAGES, MUTANTS)
