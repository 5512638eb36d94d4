"""Whole big WebForms trees: closest benign shapes kept silent, one misreading asked of A6 (issue 14, helper B7).

The benign set of session 13 (``/tmp/benign22``, never in the project; BENCHMARKS.md, "False positives on
unseen benign applications VII: whole big WebForms trees") takes three large WebForms applications none of the
earlier sets used - a CRM (its administration area, download handlers and admin wizard), a church-management
system (its ``App_Code`` handlers and administration/CMS blocks) and a hosting control panel (its portal's
modules) - as a seeded uniform sample of each listing plus every file whose name says admin, upload, file,
download, sql, import, export or backup, read whole.

The pages below are written for these tests (no line is copied from the applications) in the shapes of the set's
files that sit closest to a shell and raised nothing on first sight: an export page that writes a SQL script
naming the requested record (the query itself is parameterised), a handler that streams a database blob chosen
by a Guid, a hosting panel's file manager that hands the requested path to a remote files service, a backup page
that runs one fixed stored procedure, an update page that writes a fixed ``app_offline.htm`` beside the
application, an admin wizard that stores an uploaded logo in the database, and a restore page that streams a
posted backup to a remote service in chunks. They must raise no finding at all (YARA or behaviour); each has a
one-line variant (``MUTANTS``) that must be found, so the tests can fail.

``NATIVE_LOADER`` is the set's one misreading: the loader file a SQL-types package adds to projects
(``SqlServerTypes/Loader.cs``, in ``App_Code`` of a web-site project) declares ``LoadLibrary`` and loads two
fixed native DLLs from the application's own folder; first sight (b18a9da) named it ``pinvoke``. Asked of A6
(/work/notes/to_a6.md, B7 22:35), served in 1a238d5 (``LoadLibrary`` alone in ``App_Code`` is no pinvoke): asserted
silent here since, with a loader that goes on to call into what it loaded kept found. ``UPLOAD_TO_REQUEST_FOLDER`` is the real
capability of the set kept found: a signed-in user's upload saved under the content root in a folder the form
names.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extriage.detections.webfiles import content

from .rule_tables import Page, page_hits, quiet_pages_test, shown, sink_found_test

_EXPORT_SQL = (
    "using System;\nusing System.Data;\nusing System.Text;\nusing System.Web.UI;\n"
    "public class ExportLayout : Page {\n"
    "    private void Page_Load(object sender, EventArgs e) {\n"
    '        if (Security.AdminAccess("Layouts", "export") < 0) { this.Visible = false; return; }\n'
    '        string name = Convert.ToString(Request["NAME"]);\n'
    "        if (String.IsNullOrEmpty(name)) return;\n"
    "        StringBuilder sb = new StringBuilder();\n"
    '        sb.AppendLine("update LAYOUTS set DELETED = 1 where VIEW_NAME = \'" + name + "\';");\n'
    "        using (IDbConnection con = Db.Open()) {\n"
    "            using (IDbCommand cmd = con.CreateCommand()) {\n"
    '                cmd.CommandText = "select * from vwLAYOUTS where VIEW_NAME = @VIEW_NAME";\n'
    '                Db.AddParameter(cmd, "@VIEW_NAME", name);\n'
    "                using (IDataReader rdr = cmd.ExecuteReader()) {\n"
    "                    while (rdr.Read()) {\n"
    '                        sb.AppendLine("exec dbo.spLAYOUTS_Insert \'" + name + "\', " + Db.Quote(rdr["FIELD"]) + ";");\n'
    "                    }\n"
    "                }\n"
    "            }\n"
    "        }\n"
    '        Response.ContentType = "text/plain";\n'
    '        Response.AddHeader("Content-Disposition", "attachment;filename=LAYOUTS " + name + ".sql");\n'
    "        Response.Write(sb.ToString());\n"
    "    }\n"
    "}\n"
)

_BLOB_BY_GUID = (
    "using System;\nusing System.Data;\nusing System.IO;\nusing System.Web.UI;\n"
    "public class Attachment : Page {\n"
    "    private void Page_Load(object sender, EventArgs e) {\n"
    '        Guid id = Db.ToGuid(Request["ID"]);\n'
    "        if (id == Guid.Empty) return;\n"
    "        using (IDbConnection con = Db.Open()) {\n"
    "            using (IDbCommand cmd = con.CreateCommand()) {\n"
    '                cmd.CommandText = "select FILENAME, MIME_TYPE from vwATTACHMENTS where ID = @ID";\n'
    '                Db.AddParameter(cmd, "@ID", id);\n'
    "                using (IDataReader rdr = cmd.ExecuteReader(CommandBehavior.SingleRow)) {\n"
    "                    if (rdr.Read()) {\n"
    '                        Response.ContentType = Convert.ToString(rdr["MIME_TYPE"]);\n'
    '                        Response.AddHeader("Content-Disposition", "attachment;filename=" + Convert.ToString(rdr["FILENAME"]));\n'
    "                    }\n"
    "                }\n"
    "            }\n"
    "            using (BinaryWriter writer = new BinaryWriter(Response.OutputStream)) {\n"
    "                Blobs.WriteStream(id, con, writer);\n"
    "            }\n"
    "        }\n"
    "    }\n"
    "}\n"
)

_PANEL_FILE_MANAGER = (
    "using System;\nusing System.IO;\nusing System.Web.UI;\n"
    "public partial class FileManager : PanelModuleBase {\n"
    "    protected void Page_Load(object sender, EventArgs e) {\n"
    '        string downloadFile = Request["DownloadFile"];\n'
    "        if (downloadFile != null) {\n"
    "            Response.Clear();\n"
    '            Response.AddHeader("Content-Disposition", "attachment; filename=" + Path.GetFileName(downloadFile));\n'
    '            Response.ContentType = "application/octet-stream";\n'
    "            int chunk = 5000000; byte[] buffer = null; int offset = 0;\n"
    "            do {\n"
    "                buffer = Services.Files.GetFileBinaryChunk(PanelSecurity.PackageId, downloadFile, offset, chunk);\n"
    "                Response.BinaryWrite(buffer);\n"
    "                offset += chunk;\n"
    "            } while (buffer.Length == chunk);\n"
    "            Response.End();\n"
    "        }\n"
    "    }\n"
    "    protected void btnCreateFile_Click(object sender, EventArgs e) {\n"
    '        string path = currentFolder.Text + "\\\\" + txtFileName.Text.Trim();\n'
    "        int result = Services.Files.CreateFile(PanelSecurity.PackageId, path);\n"
    '        if (result >= 0 && txtFileContent.Text != "") {\n'
    "            Services.Files.UpdateFileBinaryContent(PanelSecurity.PackageId, path, "
    "System.Text.Encoding.UTF8.GetBytes(txtFileContent.Text));\n"
    "        }\n"
    "    }\n"
    "}\n"
)

_BACKUP_BY_PROCEDURE = (
    "using System;\nusing System.Data;\nusing System.Web.UI.WebControls;\n"
    "public class BackupView : AppControl {\n"
    "    protected TextBox NAME;\n    protected Label lblError;\n"
    "    protected void Page_Command(Object sender, CommandEventArgs e) {\n"
    '        if (e.CommandName != "Next" || !AppSecurity.IS_ADMIN) return;\n'
    "        using (IDbConnection con = Db.Open()) {\n"
    "            using (IDbCommand cmd = con.CreateCommand()) {\n"
    "                cmd.CommandType = CommandType.StoredProcedure;\n"
    '                cmd.CommandText = "spSqlBackupDatabase";\n'
    "                cmd.CommandTimeout = 0;\n"
    '                IDbDataParameter file = Db.AddParameter(cmd, "@FILENAME", NAME.Text.Trim(), 255);\n'
    "                file.Direction = ParameterDirection.InputOutput;\n"
    "                cmd.ExecuteNonQuery();\n"
    '                lblError.Text = "Done " + Convert.ToString(file.Value);\n'
    "            }\n"
    "        }\n"
    "    }\n"
    "}\n"
)

_APP_OFFLINE = (
    "using System;\nusing System.IO;\n"
    "public partial class UpdateBlock : AppBlock {\n"
    "    protected void btnUpdate_Click(object sender, EventArgs e) {\n"
    "        WriteAppOffline();\n"
    "        try { Packages.UpdateCore(); } finally { RemoveAppOffline(); }\n"
    "    }\n"
    "    private void RemoveAppOffline() {\n"
    '        File.Delete(Path.Combine(this.Request.PhysicalApplicationPath, "app_offline.htm"));\n'
    "    }\n"
    "    private void WriteAppOffline() {\n"
    "        var root = this.Request.PhysicalApplicationPath;\n"
    '        var file = Path.Combine(root, "app_offline.htm");\n'
    '        File.WriteAllText(file, @"<html><body><h1>One moment please</h1>Updating.</body></html>");\n'
    "    }\n"
    "}\n"
)

_LOGO_INTO_DATABASE = (
    "using System;\nusing System.Data;\nusing System.Web.UI.WebControls;\n"
    "public class SetupWizard : AppControl {\n"
    "    protected FileUpload UPLOAD_LOGO;\n    protected TextBox LOGO_URL;\n"
    "    private bool UploadLogo() {\n"
    "        if (!UPLOAD_LOGO.HasFile) return true;\n"
    "        using (IDbConnection con = Db.Open()) {\n"
    "            using (IDbTransaction trn = con.BeginTransaction()) {\n"
    "                Guid imageId = Guid.Empty; string fileName = String.Empty;\n"
    "                Images.LoadImage(ref imageId, ref fileName, UPLOAD_LOGO.UniqueID, trn);\n"
    '                if (imageId != Guid.Empty) LOGO_URL.Text = "~/Images/Image.aspx?ID=" + imageId.ToString();\n'
    "                trn.Commit();\n"
    "            }\n"
    "        }\n"
    "        return true;\n"
    "    }\n"
    "    protected void Next_Click(object sender, EventArgs e) {\n"
    "        if (!AppSecurity.IS_ADMIN) return;\n"
    '        if (UploadLogo()) { Application["CONFIG.logo"] = LOGO_URL.Text; }\n'
    "    }\n"
    "}\n"
)

_RESTORE_TO_REMOTE = (
    "using System;\nusing System.IO;\n"
    "public partial class RestoreSite : PanelModuleBase {\n"
    "    private void RestoreSiteNow() {\n"
    "        string uploaded = null;\n"
    '        if (uploadFile.PostedFile.FileName != "") {\n'
    "            Stream stream = uploadFile.PostedFile.InputStream;\n"
    "            string fileName = Path.GetFileName(uploadFile.PostedFile.FileName);\n"
    "            int chunk = 5000000; int read = 0; string path = null;\n"
    "            do {\n"
    "                byte[] buffer = new byte[chunk];\n"
    "                read = stream.Read(buffer, 0, chunk);\n"
    "                if (read < chunk) Array.Resize<byte>(ref buffer, read);\n"
    "                string temp = Services.Sites.AppendBackupChunk(PanelRequest.ItemID, fileName, path, buffer);\n"
    "                if (path == null) path = temp;\n"
    "            } while (read == chunk);\n"
    "            uploaded = path;\n"
    "        }\n"
    "        Services.Sites.RestoreSite(PanelRequest.ItemID, uploaded, null);\n"
    "    }\n"
    "}\n"
)

#: Benign pages of the set's closest shapes: no YARA rule and no behaviour sink may fire on them.
QUIET_PAGES: list[Page] = [
    ("export-page-writes-a-sql-script-naming-the-record", ".aspx.cs", _EXPORT_SQL),
    ("handler-streams-a-database-blob-chosen-by-guid", ".aspx.cs", _BLOB_BY_GUID),
    ("panel-file-manager-asks-a-remote-files-service", ".ascx.cs", _PANEL_FILE_MANAGER),
    ("backup-page-runs-one-fixed-stored-procedure", ".ascx.cs", _BACKUP_BY_PROCEDURE),
    ("update-page-writes-a-fixed-app-offline-file", ".ascx.cs", _APP_OFFLINE),
    ("admin-wizard-stores-an-uploaded-logo-in-the-database", ".ascx.cs", _LOGO_INTO_DATABASE),
    ("restore-page-streams-a-posted-backup-to-a-remote-service", ".ascx.cs", _RESTORE_TO_REMOTE),
]

#: One-line variants of the quiet pages that turn them into what the engine must name (so the quiet tests can
#: fail): (name, extension, the sink that must fire, page).
MUTANTS: list[tuple[str, str, str, str]] = [
    (
        "export-page-also-runs-the-request-sql",
        ".aspx.cs",
        "sql-text",
        _EXPORT_SQL.replace(
            "        Response.Write(sb.ToString());\n",
            "        using (IDbConnection c2 = Db.Open()) { IDbCommand run = c2.CreateCommand(); "
            'run.CommandText = Request["SQL"]; run.ExecuteNonQuery(); }\n',
        ),
    ),
    (
        "handler-streams-a-local-file-the-request-names",
        ".aspx.cs",
        "file-read",
        _BLOB_BY_GUID.replace(
            "                Blobs.WriteStream(id, con, writer);\n",
            '                writer.Write(File.ReadAllBytes(Server.MapPath(Request["FILE"])));\n',
        ),
    ),
    (
        "panel-file-manager-writes-the-local-disk",
        ".ascx.cs",
        "file-write",
        _PANEL_FILE_MANAGER.replace(
            "        int result = Services.Files.CreateFile(PanelSecurity.PackageId, path);\n",
            '        File.WriteAllText(Request["folder"] + "\\\\" + Request["name"], Request["content"]);\n'
            "        int result = Services.Files.CreateFile(PanelSecurity.PackageId, path);\n",
        ),
    ),
    (
        "update-page-writes-a-file-the-request-names",
        ".ascx.cs",
        "file-write-content",
        _APP_OFFLINE.replace(
            '        var file = Path.Combine(root, "app_offline.htm");\n',
            '        var file = Path.Combine(root, Request["page"]);\n',
        ).replace('@"<html><body><h1>One moment please</h1>Updating.</body></html>"', 'Request["body"]'),
    ),
    (
        "restore-page-also-runs-a-request-command",
        ".ascx.cs",
        "process",
        _RESTORE_TO_REMOTE.replace(
            "            uploaded = path;\n",
            '            System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"]);\n'
            "            uploaded = path;\n",
        ),
    ),
]

#: The loader a SQL-types package adds to projects: ``LoadLibrary`` of two fixed native DLLs under the folder the
#: caller passes (the application's own). First sight (b18a9da) named it ``pinvoke``; silent since A6's 1a238d5.
NATIVE_LOADER: list[Page] = [
    (
        "App_Code/NativeTypes/Loader",
        ".cs",
        "using System;\nusing System.IO;\nusing System.Runtime.InteropServices;\n"
        "namespace NativeTypes {\n"
        "    internal class Loader {\n"
        '        [DllImport("kernel32.dll", CharSet = CharSet.Auto, SetLastError = true)]\n'
        "        private static extern IntPtr LoadLibrary(string libname);\n"
        "        public static void LoadAll(string root) {\n"
        '            var dir = IntPtr.Size > 4 ? Path.Combine(root, @"NativeTypes\\x64\\") '
        ': Path.Combine(root, @"NativeTypes\\x86\\");\n'
        '            Load(dir, "helper100.dll");\n'
        '            Load(dir, "Spatial110.dll");\n'
        "        }\n"
        "        private static void Load(string dir, string name) {\n"
        "            var ptr = LoadLibrary(Path.Combine(dir, name));\n"
        "            if (ptr == IntPtr.Zero) {\n"
        '                throw new Exception(string.Format("Error loading {0} ({1})", name, Marshal.GetLastWin32Error()));\n'
        "            }\n"
        "        }\n"
        "    }\n"
        "}\n",
    ),
]

#: The loader's declaration with the next steps of a shellcode runner (GetProcAddress, a delegate over the
#: pointer): must stay found whatever A6 changes for the plain loader.
NATIVE_RUNNER: list[tuple[str, str, str, str]] = [
    (
        "loader-that-calls-into-what-it-loaded",
        ".aspx.cs",
        "pinvoke",
        "using System;\nusing System.Runtime.InteropServices;\nusing System.Web.UI;\n"
        "public partial class Tool : Page {\n"
        '    [DllImport("kernel32.dll")] private static extern IntPtr LoadLibrary(string libname);\n'
        '    [DllImport("kernel32.dll")] private static extern IntPtr GetProcAddress(IntPtr module, string name);\n'
        "    private delegate int Entry();\n"
        "    protected void Page_Load(object sender, EventArgs e) {\n"
        '        IntPtr lib = LoadLibrary(Request["dll"]);\n'
        '        Entry run = (Entry)Marshal.GetDelegateForFunctionPointer(GetProcAddress(lib, "Run"), typeof(Entry));\n'
        "        Response.Write(run());\n"
        "    }\n"
        "}\n",
    ),
]

#: The set's real capability, kept found: an upload saved under the root folder the query names (the application
#: encrypts it; the handler decrypts it) and the folder the form names (``..`` not refused). (With the signed-in
#: check Rock makes in the same method, the page is silent since A8's mark of session 15: see test_engine15.)
UPLOAD_TO_REQUEST_FOLDER: list[tuple[str, str, str, str]] = [
    (
        "upload-handler-saves-under-a-request-chosen-root",
        ".ashx.cs",
        "file-write",
        "using System;\nusing System.IO;\nusing System.Web;\n"
        "public class ContentUploader : IHttpHandler {\n"
        "    public bool IsReusable { get { return false; } }\n"
        "    public void ProcessRequest(HttpContext context) {\n"
        "        HttpPostedFile posted = context.Request.Files[0];\n"
        '        string folder = context.Request.Form["folderPath"] ?? string.Empty;\n'
        '        string root = Crypto.Decrypt(context.Request.QueryString["rootFolder"]);\n'
        '        if (string.IsNullOrWhiteSpace(root)) { root = "~/Content"; }\n'
        "        string target = Path.Combine(context.Request.MapPath(root), folder.TrimStart(new char[] { '/', '\\\\' }));\n"
        "        if (!Directory.Exists(target)) { Directory.CreateDirectory(target); }\n"
        "        string path = Path.Combine(target, posted.FileName);\n"
        "        if (File.Exists(path)) { File.Delete(path); }\n"
        "        using (var output = File.OpenWrite(path)) { posted.InputStream.CopyTo(output); }\n"
        '        context.Response.Write("{\\"FileName\\":\\"" + Path.Combine(folder, posted.FileName) + "\\"}");\n'
        "    }\n"
        "}\n",
    ),
]


test_benign_shape_raises_no_finding = quiet_pages_test(QUIET_PAGES)
test_one_line_variant_of_a_quiet_shape_is_found = sink_found_test(MUTANTS)
test_native_runner_stays_found = sink_found_test(NATIVE_RUNNER)
test_upload_into_a_posted_folder_is_found = sink_found_test(UPLOAD_TO_REQUEST_FOLDER)


@pytest.mark.parametrize(("case", "ext", "page"), NATIVE_LOADER, ids=["package-native-loader-in-app-code"])
def test_package_native_loader_raises_no_finding(
    tmp_path: Path, params: content.ContentParams, case: str, ext: str, page: str
) -> None:
    hits = page_hits(tmp_path, f"{case}{ext}", page, params)
    assert hits == [], shown(hits)
