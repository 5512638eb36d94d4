"""Handlers and services of many applications: closest quiet shapes and the two misreadings (issue 14, helper B11).

The benign set of session 15 (``/tmp/benign27``, never in the project; BENCHMARKS.md, "False positives on unseen
benign pages XI: handlers and services of many applications") is the first made only of handlers and services:
``.ashx`` generic handlers and their code files, ``.asmx`` web services, a ``.svc`` code file, ``IHttpHandler``,
``IHttpAsyncHandler`` and ``IHttpModule`` classes of about a hundred applications, found in the order the index
returned them (one to two files each), half of a second part found by a file, network or path sink.

The pages below are written for these tests (no line is copied from the applications) in the shapes of the set's
files that sit closest to a shell and raised nothing on first sight: a signed-in download of a name under a literal
root, an upload stored under a generated name after an extension allow-list, a handler serving the file IIS routed
to it, an AJAX dispatcher invoking its own private methods by name, a web service installing a package from a path
through a vendor installer, a thumbnail fetched from the site's own download address, a data gateway handing the
request's table and filter to a helper class, a module rewriting friendly paths, a JSON body read into a dictionary.
They must raise no finding at all (YARA or behaviour); each has a one-line variant (``MUTANTS``) that must be found,
so the tests can fail. Class files are written under ``App_Code/``: a ``.cs`` anywhere else is compiled into ``bin``
and read by YARA only (content.py), so behaviour would not be tested there.

The set's two misreadings are of the behaviour engine (request in ``/work/notes/to_a8.md``, B11 03:51; served by
A8 in 64c06c1): ``http-out`` on a table of the page's own literal addresses indexed by a query key, and ``file-read``
on the stored path of a record looked up by request ids. Both shapes must now be silent; the shells next to them (the
key itself as address, the query's path written, a ``FileInfo`` built from the query) must stay found.
A third, from the third round (B11 04:26, served by A8 in 069a521): ``sql-connection`` on a web method parameter
that only names one of the application's configured connection strings.
"""

from __future__ import annotations

from pathlib import Path

from extriage.detections.webfiles import content

from .rule_tables import (
    behaviour_sinks,
    page_hits,
    quiet_pages_test,
    shown,
    sink_found_test,
    variants_differ_test,
)

_SESSION_DOWNLOAD_UNDER_A_LITERAL_ROOT = (
    '<%@ WebHandler Language="C#" Class="AttachmentHandler" %>\n'
    "using System.IO;\n"
    "using System.Web;\n"
    "using System.Web.SessionState;\n"
    "\n"
    "public class AttachmentHandler : IHttpHandler, IRequiresSessionState\n"
    "{\n"
    '    private const string Root = @"D:\\AppData\\Attachments\\";\n'
    "\n"
    "    public void ProcessRequest(HttpContext context)\n"
    "    {\n"
    '        if (context.Session["UserName"] == null)\n'
    "        {\n"
    '            context.Response.Write("Please sign in again.");\n'
    "            return;\n"
    "        }\n"
    '        string name = context.Request.QueryString["file"];\n'
    "        if (string.IsNullOrEmpty(name))\n"
    "        {\n"
    "            return;\n"
    "        }\n"
    '        string full = @"D:\\AppData\\Attachments\\" + name;\n'
    "        if (File.Exists(full))\n"
    "        {\n"
    '            context.Response.ContentType = "application/octet-stream";\n'
    '            context.Response.AppendHeader("Content-Disposition", "attachment; filename=" + name);\n'
    "            context.Response.TransmitFile(full);\n"
    "        }\n"
    "        else\n"
    "        {\n"
    '            context.Response.Write("Not found.");\n'
    "        }\n"
    "    }\n"
    "\n"
    "    public bool IsReusable { get { return false; } }\n"
    "}\n"
)

_UPLOAD_UNDER_A_GENERATED_NAME = (
    '<%@ WebHandler Language="C#" Class="PictureUpload" %>\n'
    "using System;\n"
    "using System.IO;\n"
    "using System.Web;\n"
    "\n"
    "public class PictureUpload : IHttpHandler\n"
    "{\n"
    '    private const string Allowed = ".bmp.png.jpeg.jpg.gif";\n'
    "\n"
    "    public void ProcessRequest(HttpContext context)\n"
    "    {\n"
    "        if (context.Request.Files.Count == 0)\n"
    "        {\n"
    "            return;\n"
    "        }\n"
    "        HttpPostedFile posted = context.Request.Files[0];\n"
    "        string ext = Path.GetExtension(posted.FileName).ToLower();\n"
    "        if (!Allowed.Contains(ext) || posted.ContentLength > 4 * 1024 * 1024)\n"
    "        {\n"
    "            return;\n"
    "        }\n"
    '        string stored = Guid.NewGuid().ToString("N") + ext;\n'
    '        posted.SaveAs(Path.Combine(context.Server.MapPath("~/Pictures/"), stored));\n'
    '        context.Response.Write("/Pictures/" + stored);\n'
    "    }\n"
    "\n"
    "    public bool IsReusable { get { return false; } }\n"
    "}\n"
)

_HANDLER_SERVES_THE_FILE_IT_WAS_ROUTED = (
    "using System;\n"
    "using System.Web;\n"
    "\n"
    "namespace Site.Caching\n"
    "{\n"
    "    public class LongExpiryHandler : IHttpHandler\n"
    "    {\n"
    "        public bool IsReusable { get { return true; } }\n"
    "\n"
    "        public void ProcessRequest(HttpContext context)\n"
    "        {\n"
    "            string local = context.Server.MapPath(context.Request.FilePath);\n"
    "            context.Response.Cache.SetCacheability(HttpCacheability.Public);\n"
    "            context.Response.Cache.SetExpires(DateTime.Now.AddYears(1));\n"
    "            switch (local.Substring(local.LastIndexOf('.') + 1))\n"
    "            {\n"
    '                case "css":\n'
    '                    context.Response.ContentType = "text/css";\n'
    "                    break;\n"
    '                case "png":\n'
    '                    context.Response.ContentType = "image/png";\n'
    "                    break;\n"
    "            }\n"
    "            context.Response.WriteFile(local);\n"
    "        }\n"
    "    }\n"
    "}\n"
)

_AJAX_DISPATCH_TO_OWN_PRIVATE_METHODS = (
    "using System;\n"
    "using System.Reflection;\n"
    "using System.Web;\n"
    "\n"
    "namespace Shop.Admin\n"
    "{\n"
    "    public class CatalogHandler : IHttpHandler\n"
    "    {\n"
    "        public void ProcessRequest(HttpContext context)\n"
    "        {\n"
    '            context.Response.ContentType = "application/json";\n'
    '            string action = context.Request["action"];\n'
    '            string result = "{}";\n'
    "            if (!string.IsNullOrEmpty(action))\n"
    "            {\n"
    "                MethodInfo method = GetType().GetMethod(action, BindingFlags.NonPublic | BindingFlags.Instance);\n"
    "                result = Convert.ToString(method.Invoke(this, new object[] { context }));\n"
    "            }\n"
    "            context.Response.Write(result);\n"
    "        }\n"
    "\n"
    "        private string ListBrands(HttpContext context)\n"
    "        {\n"
    '            return "[\\"a\\",\\"b\\"]";\n'
    "        }\n"
    "\n"
    "        private string CountModels(HttpContext context)\n"
    "        {\n"
    '            return "{\\"count\\":2}";\n'
    "        }\n"
    "\n"
    "        public bool IsReusable { get { return false; } }\n"
    "    }\n"
    "}\n"
)

_SERVICE_INSTALLS_A_PACKAGE_BY_PATH = (
    '<%@ WebService Language="C#" Class="DeployService" %>\n'
    "using System.IO;\n"
    "using System.Web.Services;\n"
    "\n"
    '[WebService(Namespace = "http://tempuri.org/")]\n'
    "public class DeployService : WebService\n"
    "{\n"
    '    [WebMethod(Description = "Installs a content package already copied to the server.")]\n'
    "    public void InstallPackage(string path)\n"
    "    {\n"
    "        var package = new FileInfo(path);\n"
    "        if (!package.Exists)\n"
    "        {\n"
    "            throw new FileNotFoundException(path);\n"
    "        }\n"
    "        var installer = new PackageInstaller();\n"
    "        installer.Install(package.FullName);\n"
    "    }\n"
    "\n"
    '    [WebMethod(Description = "Rebuilds the search index.")]\n'
    "    public void RebuildIndex(string indexName)\n"
    "    {\n"
    "        SearchIndexes.Get(indexName).Rebuild();\n"
    "    }\n"
    "}\n"
)

_THUMBNAIL_FETCHED_FROM_THE_SITES_OWN_ADDRESS = (
    '<%@ WebHandler Language="C#" Class="AlbumThumb" %>\n'
    "using System.IO;\n"
    "using System.Net;\n"
    "using System.Web;\n"
    "\n"
    "public class AlbumThumb : IHttpHandler\n"
    "{\n"
    "    public void ProcessRequest(HttpContext context)\n"
    "    {\n"
    '        string photoId = context.Request.QueryString["photoId"];\n'
    "        string fileId = new AlbumStore().ResizedFileId(photoId);\n"
    "        if (string.IsNullOrEmpty(fileId))\n"
    "        {\n"
    "            context.Response.StatusCode = 404;\n"
    "            return;\n"
    "        }\n"
    '        string address = string.Format("{0}/files/download.ashx?id={1}", SiteSettings.BaseUrl, fileId);\n'
    "        byte[] bytes = new WebClient().DownloadData(address);\n"
    '        context.Response.ContentType = "image/jpeg";\n'
    "        context.Response.BinaryWrite(bytes);\n"
    "    }\n"
    "\n"
    "    public bool IsReusable { get { return false; } }\n"
    "}\n"
)

_DATA_GATEWAY_HANDS_PARTS_TO_A_HELPER = (
    "using System.Data;\n"
    "using System.Web;\n"
    "\n"
    "namespace Archive.Web\n"
    "{\n"
    "    public class DataGateway : IHttpHandler\n"
    "    {\n"
    "        public void ProcessRequest(HttpContext context)\n"
    "        {\n"
    '            string method = context.Request.QueryString["Method"];\n'
    '            context.Response.ContentType = "text/plain";\n'
    '            if (method == "select")\n'
    "            {\n"
    '                string columns = context.Request["columns"];\n'
    '                string table = context.Request["table"];\n'
    '                string where = context.Request["where"];\n'
    "                DataTable rows = ArchiveDb.Select(columns, table, where);\n"
    "                context.Response.Write(JsonText.From(rows));\n"
    "            }\n"
    '            else if (method == "delete")\n'
    "            {\n"
    '                context.Response.Write(ArchiveDb.Delete(context.Request["table"], context.Request["where"]));\n'
    "            }\n"
    "        }\n"
    "\n"
    "        public bool IsReusable { get { return false; } }\n"
    "    }\n"
    "}\n"
)

_MODULE_REWRITES_FRIENDLY_PATHS = (
    "using System;\n"
    "using System.IO;\n"
    "using System.Web;\n"
    "\n"
    "namespace Portal.Web\n"
    "{\n"
    "    public class FriendlyPathModule : IHttpModule\n"
    "    {\n"
    "        public void Init(HttpApplication application)\n"
    "        {\n"
    "            application.PostAcquireRequestState += OnPostAcquireRequestState;\n"
    "        }\n"
    "\n"
    "        private void OnPostAcquireRequestState(object source, EventArgs e)\n"
    "        {\n"
    "            HttpApplication app = (HttpApplication)source;\n"
    "            string path = app.Context.Request.Path;\n"
    '            if (Path.GetExtension(path) != "" || !path.StartsWith("/org/"))\n'
    "            {\n"
    "                return;\n"
    "            }\n"
    "            string target = path.Substring(5).TrimEnd('/') + \".aspx\";\n"
    "            if (!File.Exists(app.Context.Server.MapPath(target)))\n"
    "            {\n"
    '                target = "/System/NotFound.aspx";\n'
    "            }\n"
    "            app.Context.RewritePath(target, null, app.Context.Request.QueryString.ToString(), false);\n"
    "        }\n"
    "\n"
    "        public void Dispose()\n"
    "        {\n"
    "        }\n"
    "    }\n"
    "}\n"
)

_JSON_BODY_READ_INTO_A_DICTIONARY = (
    '<%@ WebHandler Language="C#" Class="OrderHandler" %>\n'
    "using System.Collections.Generic;\n"
    "using System.IO;\n"
    "using System.Web;\n"
    "using System.Web.Script.Serialization;\n"
    "\n"
    "public class OrderHandler : IHttpHandler\n"
    "{\n"
    "    public void ProcessRequest(HttpContext context)\n"
    "    {\n"
    '        context.Response.ContentType = "application/json";\n'
    "        string body = new StreamReader(context.Request.InputStream).ReadToEnd();\n"
    "        var fields = new JavaScriptSerializer().Deserialize<Dictionary<string, object>>(body);\n"
    "        object total;\n"
    '        fields.TryGetValue("total", out total);\n'
    '        int id = OrderService.Create(fields["payment"] as string, total);\n'
    '        context.Response.Write("{\\"id\\":" + id + "}");\n'
    "    }\n"
    "\n"
    "    public bool IsReusable { get { return false; } }\n"
    "}\n"
)

_FIXED_ADDRESS_TABLE_INDEXED_BY_A_KEY = (
    '<%@ WebHandler Language="C#" Class="RelayHandler" %>\n'
    "using System.Collections.Generic;\n"
    "using System.Net;\n"
    "using System.Web;\n"
    "\n"
    "public class RelayHandler : IHttpHandler\n"
    "{\n"
    "    private readonly Dictionary<string, string> _targets = new Dictionary<string, string>();\n"
    "\n"
    "    public RelayHandler()\n"
    "    {\n"
    '        _targets.Add("profile", "http://intranet.example/api/profile");\n'
    '        _targets.Add("tasks", "http://intranet.example/api/tasks");\n'
    "    }\n"
    "\n"
    "    public void ProcessRequest(HttpContext context)\n"
    "    {\n"
    '        string key = context.Request.QueryString["target"];\n'
    "        string answer = Fetch(_targets[key]);\n"
    '        context.Response.ContentType = "text/plain";\n'
    "        context.Response.Write(answer);\n"
    "    }\n"
    "\n"
    "    private string Fetch(string address)\n"
    "    {\n"
    "        using (var client = new WebClient())\n"
    "        {\n"
    "            return client.DownloadString(address);\n"
    "        }\n"
    "    }\n"
    "\n"
    "    public bool IsReusable { get { return false; } }\n"
    "}\n"
)

_RECORD_LOOKED_UP_BY_ID_STREAMS_ITS_STORED_PATH = (
    '<%@ WebHandler Language="C#" Class="AttachmentDownload" %>\n'
    "using System.Web;\n"
    "\n"
    "public class AttachmentDownload : IHttpHandler\n"
    "{\n"
    "    public void ProcessRequest(HttpContext context)\n"
    "    {\n"
    '        string owner = context.Request.QueryString["owner"];\n'
    '        string id = context.Request.QueryString["id"];\n'
    "        AttachmentStore store = new AttachmentStore();\n"
    "        Attachment item = store.Find(owner, id);\n"
    "        if (item == null)\n"
    "        {\n"
    "            context.Response.StatusCode = 404;\n"
    "            return;\n"
    "        }\n"
    '        context.Response.ContentType = "application/octet-stream";\n'
    '        context.Response.AddHeader("Content-Disposition", "attachment; filename=\\"" + HttpUtility.UrlEncode(item.Name) + "\\"");\n'
    "        context.Response.WriteFile(item.StoredPath);\n"
    "    }\n"
    "\n"
    "    public bool IsReusable { get { return false; } }\n"
    "}\n"
)

_SERVICE_CONNECTION_NAMED_BY_A_SETTING_KEY = (
    "Imports System.Web.Services\n"
    "Imports System.Configuration.ConfigurationManager\n"
    "Imports System.Data.SqlClient\n"
    "\n"
    '<System.Web.Services.WebService(Namespace:="http://tempuri.org/")> _\n'
    "Public Class ReportService\n"
    "    Inherits System.Web.Services.WebService\n"
    "\n"
    '    <WebMethod(Description:="Count orders")> _\n'
    "    Public Function CountOrders(ByVal pCustomerId As Integer, ByRef pResult As String, ByVal pEnvironmentName As String) As Integer\n"
    "        Dim sqldb_conexion As SqlConnection = New SqlConnection(AppSettings(pEnvironmentName).ToString)\n"
    '        Dim cmd As New SqlCommand("SELECT COUNT(*) FROM Orders WHERE CustomerId = @id", sqldb_conexion)\n'
    '        cmd.Parameters.AddWithValue("@id", pCustomerId)\n'
    "        sqldb_conexion.Open()\n"
    '        pResult = "OK"\n'
    "        Return CInt(cmd.ExecuteScalar())\n"
    "    End Function\n"
    "End Class\n"
)

#: (name, extension, page): ordinary handler and service shapes that must raise no finding.
QUIET_PAGES = [
    ("handler-signed-in-download-under-a-literal-root", ".ashx", _SESSION_DOWNLOAD_UNDER_A_LITERAL_ROOT),
    ("handler-upload-under-a-generated-name", ".ashx", _UPLOAD_UNDER_A_GENERATED_NAME),
    ("App_Code/handler-serves-the-file-it-was-routed", ".cs", _HANDLER_SERVES_THE_FILE_IT_WAS_ROUTED),
    ("App_Code/handler-dispatches-to-its-own-private-methods", ".cs", _AJAX_DISPATCH_TO_OWN_PRIVATE_METHODS),
    ("service-installs-a-package-by-path", ".asmx", _SERVICE_INSTALLS_A_PACKAGE_BY_PATH),
    ("handler-thumbnail-from-the-sites-own-address", ".ashx", _THUMBNAIL_FETCHED_FROM_THE_SITES_OWN_ADDRESS),
    ("App_Code/handler-data-gateway-hands-parts-to-a-helper", ".cs", _DATA_GATEWAY_HANDS_PARTS_TO_A_HELPER),
    ("App_Code/module-rewrites-friendly-paths", ".cs", _MODULE_REWRITES_FRIENDLY_PATHS),
    ("handler-json-body-read-into-a-dictionary", ".ashx", _JSON_BODY_READ_INTO_A_DICTIONARY),
]

#: One-line variants of the quiet pages that turn them into what the engine must name (so the quiet tests can
#: fail): (name, extension, the sink that must fire, page).
MUTANTS = [
    (
        "handler-streams-the-name-the-query-gives",
        ".ashx",
        "file-read",
        _SESSION_DOWNLOAD_UNDER_A_LITERAL_ROOT.replace(
            "context.Response.TransmitFile(full);", "context.Response.TransmitFile(name);"
        ),
    ),
    (
        "handler-saves-the-upload-where-the-request-says",
        ".ashx",
        "file-write",
        _UPLOAD_UNDER_A_GENERATED_NAME.replace(
            'posted.SaveAs(Path.Combine(context.Server.MapPath("~/Pictures/"), stored));',
            'posted.SaveAs(context.Server.MapPath(context.Request["folder"]) + posted.FileName);',
        ),
    ),
    (
        "App_Code/handler-serves-the-file-the-query-names",
        ".cs",
        "file-read",
        _HANDLER_SERVES_THE_FILE_IT_WAS_ROUTED.replace(
            "context.Server.MapPath(context.Request.FilePath)",
            'context.Server.MapPath(context.Request.QueryString["f"])',
        ),
    ),
    (
        "App_Code/handler-creates-the-type-the-request-names",
        ".cs",
        "reflection-invoke",
        _AJAX_DISPATCH_TO_OWN_PRIVATE_METHODS.replace(
            "MethodInfo method = GetType().GetMethod(action, BindingFlags.NonPublic | BindingFlags.Instance);",
            'object target = Activator.CreateInstance(Type.GetType(context.Request["type"])); '
            "MethodInfo method = target.GetType().GetMethod(action);",
        ),
    ),
    (
        "service-starts-the-file-it-is-given",
        ".asmx",
        "process",
        _SERVICE_INSTALLS_A_PACKAGE_BY_PATH.replace(
            "installer.Install(package.FullName);", "System.Diagnostics.Process.Start(package.FullName);"
        ),
    ),
    (
        "handler-fetches-the-address-the-query-gives",
        ".ashx",
        "http-out",
        _THUMBNAIL_FETCHED_FROM_THE_SITES_OWN_ADDRESS.replace(
            "byte[] bytes = new WebClient().DownloadData(address);",
            'byte[] bytes = new WebClient().DownloadData(context.Request.QueryString["url"]);',
        ),
    ),
    (
        "App_Code/handler-runs-the-posted-sql",
        ".cs",
        "sql-text",
        _DATA_GATEWAY_HANDS_PARTS_TO_A_HELPER.replace(
            "DataTable rows = ArchiveDb.Select(columns, table, where);",
            "DataTable rows = new DataTable(); "
            'new System.Data.SqlClient.SqlDataAdapter(context.Request["sql"], ArchiveDb.ConnectionString).Fill(rows);',
        ),
    ),
    (
        "App_Code/module-deletes-the-file-the-query-names",
        ".cs",
        "file-write",
        _MODULE_REWRITES_FRIENDLY_PATHS.replace(
            'target = "/System/NotFound.aspx";',
            'File.Delete(app.Context.Server.MapPath(app.Context.Request.QueryString["f"]));',
        ),
    ),
    (
        "handler-deserializes-the-body-with-binaryformatter",
        ".ashx",
        "deserialize",
        _JSON_BODY_READ_INTO_A_DICTIONARY.replace(
            "var fields = new JavaScriptSerializer().Deserialize<Dictionary<string, object>>(body);",
            "var fields = (Dictionary<string, object>)new System.Runtime.Serialization.Formatters.Binary"
            ".BinaryFormatter().Deserialize(context.Request.InputStream);",
        ),
    ),
]

test_handler_or_service_shape_raises_no_finding = quiet_pages_test(QUIET_PAGES)
test_one_line_variant_of_a_quiet_handler_shape_is_found = sink_found_test(MUTANTS)


test_mutants_change_one_line_each = variants_differ_test(QUIET_PAGES, MUTANTS)


def test_class_file_outside_app_code_is_read_by_yara_only(
    tmp_path: Path, params: content.ContentParams
) -> None:
    """Why the class shapes live under ``App_Code/``: the same variant as a bare ``.cs`` (compiled into ``bin``,
    never by ASP.NET) raises no behaviour finding, so a quiet test there could not fail."""
    page = MUTANTS[2][3]
    assert "file-read" in behaviour_sinks(tmp_path, "App_Code/served.cs", page, params)
    assert behaviour_sinks(tmp_path, "Handlers/served.cs", page, params) == set()


#: The set's two misreadings, in harmless shapes (pages that are not shells and must raise nothing).
MISREADINGS = [
    ("handler-fixed-address-table-indexed-by-a-key", ".ashx", _FIXED_ADDRESS_TABLE_INDEXED_BY_A_KEY),
    (
        "handler-record-looked-up-by-id-streams-its-stored-path",
        ".ashx",
        _RECORD_LOOKED_UP_BY_ID_STREAMS_ITS_STORED_PATH,
    ),
]


# Served by A8 (64c06c1): a key indexing the page's own collection carries no request text; a record an
# application object finds by ids is the application's, not the request's. First sight (5f28cf0) named them
# ``http-out`` and ``file-read``.
test_handler_misreading_is_silent = quiet_pages_test(MISREADINGS)


#: What must stay found whatever is done about the misreadings: (name, extension, sink, page).
SHELLS_NEXT_TO_THE_MISREADINGS = [
    (
        "handler-fetches-the-key-itself-as-address",
        ".ashx",
        "http-out",
        _FIXED_ADDRESS_TABLE_INDEXED_BY_A_KEY.replace("Fetch(_targets[key])", "Fetch(key)"),
    ),
    (
        "handler-streams-the-path-the-query-gives",
        ".ashx",
        "file-read",
        _RECORD_LOOKED_UP_BY_ID_STREAMS_ITS_STORED_PATH.replace(
            "context.Response.WriteFile(item.StoredPath);",
            'context.Response.WriteFile(context.Request.QueryString["path"]);',
        ),
    ),
    (
        "handler-streams-a-fileinfo-built-from-the-query",
        ".ashx",
        "file-read",
        _RECORD_LOOKED_UP_BY_ID_STREAMS_ITS_STORED_PATH.replace(
            "Attachment item = store.Find(owner, id);",
            "System.IO.FileInfo item = new System.IO.FileInfo(id);",
        )
        .replace("item.StoredPath", "item.FullName")
        .replace("HttpUtility.UrlEncode(item.Name)", "item.Name"),
    ),
]


test_shell_next_to_a_misreading_stays_found = sink_found_test(SHELLS_NEXT_TO_THE_MISREADINGS)
test_shells_differ_from_the_misreadings = variants_differ_test(MISREADINGS, SHELLS_NEXT_TO_THE_MISREADINGS)


def test_service_connection_named_by_a_setting_key_is_silent(
    tmp_path: Path, params: content.ContentParams
) -> None:
    """The third misreading (third round of the set, ``WMS_Bonds.asmx.vb``): a web method parameter only names one of
    the application's configured connection strings (``AppSettings(key)``); first sight named ``sql-connection``,
    served by A8 (069a521)."""
    hits = page_hits(tmp_path, "report-service.asmx.vb", _SERVICE_CONNECTION_NAMED_BY_A_SETTING_KEY, params)
    assert hits == [], shown(hits)


def test_service_connection_string_from_the_caller_stays_found(
    tmp_path: Path, params: content.ContentParams
) -> None:
    page = _SERVICE_CONNECTION_NAMED_BY_A_SETTING_KEY.replace(
        "New SqlConnection(AppSettings(pEnvironmentName).ToString)", "New SqlConnection(pEnvironmentName)"
    )
    assert page != _SERVICE_CONNECTION_NAMED_BY_A_SETTING_KEY
    assert "sql-connection" in behaviour_sinks(tmp_path, "report-service-open.asmx.vb", page, params)
