"""Small applications taken whole: closest quiet shapes, and the review path on their real link forms (issue 14, helper B8).

The benign set of session 13 (``/tmp/benign23``, never in the project; BENCHMARKS.md, "False positives on unseen
benign applications VIII: small applications taken whole") takes the server files of a portal starter kit (its
Mono port: admin pages, desktop modules with a document upload/download pair, an XML/XSLT module), the capability
pages of a SQL Server web administrator (query console, script import, export) with the toolbars that link them,
and an ERP's file-attachment folder (list, upload form, delete, download handlers), with the folder layout kept.

The pages below are written for these tests (no line is copied from the applications) in the shapes of the set's
files that sit closest to a shell and raised nothing on first sight: an edit page that saves an upload into one
fixed folder under the client's file name (behind an edit-permission check), a view page streaming a database
blob chosen by an integer id, a module that checks a configured XML file exists, a SQL console and a script
import that run the text through the application's own library, and a download handler sending the file a
database record names. They must raise no finding at all (YARA or behaviour); each has a one-line variant
(``MUTANTS``) that must be found, so the tests can fail.

The second half checks the review path (``appcontext``) on the link forms these applications really use: a
link built in a user control's code-behind in a sub-folder with ``../`` and another letter case than the file
(``"../import.aspx"`` for ``Import.aspx``), a link given as a user control's own attribute
(``EditUrl="~/DesktopModules/EditDocs.aspx"``) or in a data-binding expression, and a grid template's
``string.Format("file-delete.aspx?id={0}", ...)`` in a list page of the same folder (the form that reached the
set's one flagged file, the ERP's delete page). Each is checked against a twin
whose link names another page, which must stay a web shell.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.builders import write
from extriage.detections.verdict import APPLICATION_FEATURE_TAG
from extriage.findings import Outcome

from .rule_tables import Page, quiet_pages_test, sink_found_test
from .test_application_pages import app_server, page_finding, scan

_EDIT_UPLOAD_FIXED_FOLDER = (
    "using System;\nusing System.IO;\nusing System.Web.UI;\nusing System.Web.UI.HtmlControls;\n"
    "namespace Portal {\n"
    "    public class EditAttachment : Page {\n"
    "        protected HtmlInputFile Upload;\n"
    "        int moduleId = 0;\n"
    "        private void Page_Load(object sender, EventArgs e) {\n"
    '            moduleId = Int32.Parse(Request.Params["Mid"]);\n'
    '            if (!Security.CanEdit(moduleId)) { Response.Redirect("~/Denied.aspx"); }\n'
    "        }\n"
    "        private void Save_Click(object sender, EventArgs e) {\n"
    "            if (Upload.PostedFile != null) {\n"
    '                string virtualPath = "~/attachments/" + Path.GetFileName(Upload.PostedFile.FileName);\n'
    "                Upload.PostedFile.SaveAs(Server.MapPath(virtualPath));\n"
    "                Attachments.Store(moduleId, virtualPath);\n"
    "            }\n"
    "        }\n"
    "    }\n"
    "}\n"
)

_VIEW_BLOB_BY_NUMBER = (
    "using System;\nusing System.Data;\nusing System.Web.UI;\n"
    "namespace Portal {\n"
    "    public class ShowAttachment : Page {\n"
    "        private void Page_Load(object sender, EventArgs e) {\n"
    "            int id = -1;\n"
    '            if (Request.Params["AttachmentId"] != null) { id = Int32.Parse(Request.Params["AttachmentId"]); }\n'
    "            if (id == -1) return;\n"
    "            IDataReader row = Attachments.Content(id);\n"
    "            row.Read();\n"
    '            Response.AppendHeader("content-disposition", "filename=" + (string) row["title"]);\n'
    '            Response.ContentType = (string) row["mime"];\n'
    '            Response.OutputStream.Write((byte[]) row["bytes"], 0, (int) row["length"]);\n'
    "            Response.End();\n"
    "        }\n"
    "    }\n"
    "}\n"
)

_MODULE_CONFIGURED_XML = (
    "using System;\nusing System.IO;\nusing System.Web.UI;\nusing System.Web.UI.WebControls;\n"
    "namespace Portal {\n"
    "    public abstract class FeedModule : ModuleControl {\n"
    "        protected Xml view;\n"
    "        private void Page_Load(object sender, EventArgs e) {\n"
    '            string data = (string) Settings["datafile"];\n'
    '            if (data != null && data != "") {\n'
    "                if (File.Exists(Server.MapPath(data))) { view.DocumentSource = data; }\n"
    '                else { Controls.Add(new LiteralControl("missing " + data)); }\n'
    "            }\n"
    "        }\n"
    "    }\n"
    "}\n"
)

_CONSOLE_THROUGH_OWN_LIBRARY = (
    "using System;\nusing System.Data;\nusing System.Text;\nusing System.Web;\nusing System.Web.UI;\n"
    "using System.Web.UI.WebControls;\nusing DbTools;\n"
    "namespace DbWeb {\n"
    "    public partial class Console : Page {\n"
    "        protected void Save_Click(object sender, EventArgs e) {\n"
    '            Response.AddHeader("Content-Disposition", "attachment; filename=statement.sql");\n'
    "            Response.Write(Statement.Text);\n"
    "            Response.End();\n"
    "        }\n"
    "        protected void Load_Click(object sender, EventArgs e) {\n"
    "            HttpPostedFile posted = ScriptFile.PostedFile;\n"
    "            byte[] buff = new byte[posted.ContentLength];\n"
    "            posted.InputStream.Read(buff, 0, buff.Length);\n"
    "            Statement.Text = Encoding.UTF8.GetString(buff);\n"
    "        }\n"
    "        protected void Run_Click(object sender, EventArgs e) {\n"
    "            DbServer server = DbServer.Current;\n"
    "            server.Open();\n"
    "            DataTable[] tables = DbCatalog.Current(server).Run(Statement.Text);\n"
    "            server.Close();\n"
    "            foreach (DataTable t in tables) { GridView g = new GridView(); g.DataSource = t; g.DataBind(); Results.Controls.Add(g); }\n"
    "        }\n"
    "    }\n"
    "}\n"
)

_IMPORT_THROUGH_OWN_LIBRARY = (
    "using System;\nusing System.Text;\nusing System.Web;\nusing System.Web.UI;\nusing DbTools;\n"
    "namespace DbWeb {\n"
    "    public partial class Restore : Page {\n"
    "        protected void Restore_Click(object sender, EventArgs e) {\n"
    "            HttpPostedFile posted = BackupFile.PostedFile;\n"
    "            byte[] buff = new byte[posted.ContentLength];\n"
    "            posted.InputStream.Read(buff, 0, buff.Length);\n"
    "            string script = Encoding.UTF8.GetString(buff);\n"
    "            if (script.Trim().Length == 0) return;\n"
    "            DbServer.Current.Run(script);\n"
    "            Done.Visible = true;\n"
    "        }\n"
    "    }\n"
    "}\n"
)

_HANDLER_FILE_FROM_RECORD = (
    "using System;\nusing System.Threading;\nusing System.Web;\n"
    "namespace Erp.Files {\n"
    "    public class Fetch : IHttpHandler, System.Web.SessionState.IRequiresSessionState {\n"
    "        readonly Attachments store = new Attachments();\n"
    "        public void ProcessRequest(HttpContext context) {\n"
    '            int id = Convert.ToInt32(context.Request.QueryString["id"]);\n'
    "            Attachment a = store.Get(id);\n"
    "            HttpResponse response = HttpContext.Current.Response;\n"
    "            try {\n"
    '                response.AddHeader("Content-Disposition", "attachment; filename=" + a.DisplayName + ";");\n'
    '                response.TransmitFile(HttpContext.Current.Server.MapPath(string.Format("{0}{1}", a.Folder, a.StoredName)));\n'
    "                response.End();\n"
    "            }\n"
    "            catch (ThreadAbortException) { }\n"
    "        }\n"
    "        public bool IsReusable { get { return false; } }\n"
    "    }\n"
    "}\n"
)

QUIET_PAGES: list[Page] = [
    ("edit-page-saves-an-upload-into-one-fixed-folder", ".aspx.cs", _EDIT_UPLOAD_FIXED_FOLDER),
    ("view-page-streams-a-database-blob-chosen-by-number", ".aspx.cs", _VIEW_BLOB_BY_NUMBER),
    ("module-checks-a-configured-xml-file-exists", ".ascx.cs", _MODULE_CONFIGURED_XML),
    ("sql-console-runs-through-the-application-s-library", ".aspx.cs", _CONSOLE_THROUGH_OWN_LIBRARY),
    ("script-import-runs-through-the-application-s-library", ".aspx.cs", _IMPORT_THROUGH_OWN_LIBRARY),
    ("handler-sends-the-file-a-database-record-names", ".ashx.cs", _HANDLER_FILE_FROM_RECORD),
]

#: One-line variants of the quiet pages that turn them into what the engine must name (so the quiet tests can
#: fail): (name, extension, the sink that must fire, page).
MUTANTS: list[tuple[str, str, str, str]] = [
    (
        "edit-page-saves-the-upload-where-the-form-says",
        ".aspx.cs",
        "file-write",
        _EDIT_UPLOAD_FIXED_FOLDER.replace(
            "Upload.PostedFile.SaveAs(Server.MapPath(virtualPath));",
            'Upload.PostedFile.SaveAs(Server.MapPath(Request.Form["target"]));',
        ),
    ),
    (
        "view-page-streams-the-file-the-request-names",
        ".aspx.cs",
        "file-read",
        _VIEW_BLOB_BY_NUMBER.replace(
            "            Response.End();\n",
            '            Response.WriteFile(Server.MapPath(Request.Params["path"]));\n            Response.End();\n',
        ),
    ),
    (
        "module-reads-the-file-the-request-names",
        ".ascx.cs",
        "file-read",
        _MODULE_CONFIGURED_XML.replace(
            '            string data = (string) Settings["datafile"];\n',
            '            string data = Request.QueryString["datafile"];\n'
            "            Controls.Add(new LiteralControl(File.ReadAllText(Server.MapPath(data))));\n",
        ),
    ),
    (
        "sql-console-runs-the-text-itself",
        ".aspx.cs",
        "sql-text",
        _CONSOLE_THROUGH_OWN_LIBRARY.replace(
            "            server.Close();\n",
            "            server.Close();\n"
            '            new System.Data.SqlClient.SqlCommand(Statement.Text, new System.Data.SqlClient.SqlConnection("x")).ExecuteNonQuery();\n',
        ),
    ),
    (
        "script-import-runs-the-posted-script-itself",
        ".aspx.cs",
        "sql-text",
        _IMPORT_THROUGH_OWN_LIBRARY.replace(
            "            DbServer.Current.Run(script);\n",
            '            new System.Data.SqlClient.SqlCommand(script, new System.Data.SqlClient.SqlConnection("x")).ExecuteNonQuery();\n',
        ),
    ),
    (
        "handler-sends-the-file-the-request-names",
        ".ashx.cs",
        "file-read",
        _HANDLER_FILE_FROM_RECORD.replace(
            'response.TransmitFile(HttpContext.Current.Server.MapPath(string.Format("{0}{1}", a.Folder, a.StoredName)));',
            'context.Response.TransmitFile(HttpContext.Current.Server.MapPath(context.Request.QueryString["f"]));',
        ),
    ),
]

test_benign_shape_raises_no_finding = quiet_pages_test(QUIET_PAGES)
test_one_line_variant_of_a_quiet_shape_is_found = sink_found_test(MUTANTS)


# The review path on real link forms. The flagged page: a code-behind in the application's namespace that sends
# the file the request names (a download feature), paired with its page.
_FEATURE_CODE = (
    "using System;\nusing System.Web;\nusing System.Web.UI;\nusing Shop.Storage;\n"
    "namespace Shop {{\n"
    "    public class {cls} : Page {{\n"
    "        private void Page_Load(object sender, EventArgs e) {{\n"
    '            string name = Request.QueryString["f"];\n'
    "            Response.WriteFile(Server.MapPath(name));\n"
    "        }}\n"
    "    }}\n"
    "}}\n"
)
_FEATURE_PAGE = (
    '<%@ Page Language="C#" CodeFile="{name}.cs" Inherits="Shop.{cls}" %>\n<html><body>{cls}</body></html>\n'
)

#: A toolbar user control in a sub-folder whose code-behind builds its menu links in code, relative to the
#: control's folder and in another letter case than the pages (the SQL administrator's shape).
_TOOLBAR_CONTROL = '<%@ Control Language="C#" Inherits="Shop.Toolbar" CodeFile="Toolbar.ascx.cs" %>\n<asp:HyperLink id="ImportLink" runat="server">Import</asp:HyperLink>\n'
_TOOLBAR_CODE = (
    "using System;\nnamespace Shop {{\n"
    "    public partial class Toolbar : System.Web.UI.UserControl {{\n"
    "        protected void Page_Load(object sender, EventArgs e) {{\n"
    '            ImportLink.NavigateUrl = "../{target}";\n'
    "        }}\n"
    "    }}\n"
    "}}\n"
)
#: A list page of the same folder that links the page only from a grid template's data-binding expression (the
#: ERP's attachment list: its real delete page was the set's one flagged file, reported for review this way).
_LIST_PAGE = (
    '<%@ Page Language="C#" MasterPageFile="~/Site.master" Inherits="Shop.FileList" %>\n'
    '<asp:Content ContentPlaceHolderID="main" runat="server">\n'
    '<asp:GridView runat="server"><Columns><asp:TemplateField><ItemTemplate>\n'
    '<a href=\'<%# string.Format("{target}?id={{0}}", Eval("FileId")) %>\'>Delete</a>\n'
    "</ItemTemplate></asp:TemplateField></Columns></asp:GridView>\n</asp:Content>\n"
)
#: A portal module control that names its edit page as its title control's attribute and in a data-binding
#: expression (the portal starter kit's shape).
_MODULE_CONTROL = (
    '<%@ Control Language="C#" Inherits="Shop.Documents" %>\n'
    '<%@ Register TagPrefix="shop" TagName="Title" Src="~/ModuleTitle.ascx" %>\n'
    '<shop:title EditText="Add" EditUrl="~/Modules/{target}" runat="server" id="Title1" />\n'
    '<asp:HyperLink NavigateUrl=\'<%# "~/Modules/{target}?ItemID=" + Eval("ItemID") %>\' runat="server" />\n'
)


@pytest.mark.parametrize(
    ("page", "linking", "linked"),
    [
        (
            "Import.aspx",
            {"Toolbars/Toolbar.ascx": _TOOLBAR_CONTROL, "Toolbars/Toolbar.ascx.cs": _TOOLBAR_CODE},
            True,
        ),
        (
            "Import.aspx",
            {"Toolbars/Toolbar.ascx": _TOOLBAR_CONTROL, "Toolbars/Toolbar.ascx.cs": _TOOLBAR_CODE},
            False,
        ),
        ("Modules/EditDocs.aspx", {"Modules/Documents.ascx": _MODULE_CONTROL}, True),
        ("Modules/EditDocs.aspx", {"Modules/Documents.ascx": _MODULE_CONTROL}, False),
        ("files/file-delete.aspx", {"files/file-list.aspx": _LIST_PAGE}, True),
        ("files/file-delete.aspx", {"files/file-list.aspx": _LIST_PAGE}, False),
    ],
    ids=[
        "toolbar-code-relative-link",
        "toolbar-code-names-another-page",
        "module-attribute-link",
        "module-names-another-page",
        "grid-template-data-binding-link",
        "grid-template-names-another-page",
    ],
)
def test_real_link_forms_reach_a_feature_page(
    tmp_path: Path, page: str, linking: dict[str, str], linked: bool
) -> None:
    name = page.rsplit("/", 1)[-1]
    cls = name.split(".")[0].replace("-", "_")
    # The linking files name the page in lower case (Windows paths are case-insensitive), or another page.
    target = name.lower() if linked else "export.aspx"
    files = {page: _FEATURE_PAGE.format(name=name, cls=cls), f"{page}.cs": _FEATURE_CODE.format(cls=cls)}
    files.update({rel: text.format(target=target) for rel, text in linking.items()})
    server = app_server(tmp_path, files, "")
    write(
        server,
        "C/inetpub/wwwroot/shop/ModuleTitle.ascx",
        '<%@ Control Language="C#" %>\n<span>title</span>\n',
    )
    finding = page_finding(scan(server), f"{name}.cs")
    if linked:
        assert finding.outcome is Outcome.INFO and APPLICATION_FEATURE_TAG in finding.tags, finding
    else:
        assert finding.outcome is not Outcome.INFO and APPLICATION_FEATURE_TAG not in finding.tags, finding
