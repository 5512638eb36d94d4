"""App_Code classes, Global.asax and modules of many applications: closest quiet shapes (issue 14, helper B15).

The benign set of session 16 (``/tmp/benign31``, never in the project; BENCHMARKS.md, "False positives on unseen
benign pages XV: App_Code classes, Global.asax and modules") is made of what ASP.NET compiles itself: ``App_Code``
classes (data-access helpers, base pages, file, HTTP and process helpers), ``Global.asax`` with inline code and
``Global.asax.cs``/``.vb`` code-behind files, ``IHttpModule`` classes and page code files, one file per application,
found in the order the index returned them.

The pages below are written for these tests (no line is copied from the applications) in the shapes of the set's
files that sit closest to a shell and raised nothing on first sight: a ``Global.asax`` that reads its own settings
file and decodes a literal connection string at start, an error handler appending the failing address to a dated
log under the site, an upload helper storing the posted file under a generated name in a fixed folder, an HTTP
helper fetching the address its caller passes, a thumbnail helper starting a fixed ``ffmpeg.exe`` on the caller's
paths, a module decrypting an ``enc=`` query with a literal key before rewriting the path, a VB module reading the
bearer token and redirecting, a data-access class running the SQL text its caller builds, a page counting visits
in ``App_Data``. They must raise no finding at all (YARA or behaviour); each has a one-line variant (``MUTANTS``)
that must be found, so the tests can fail. Class files are written under ``App_Code/`` (a ``.cs`` elsewhere is
compiled into ``bin`` and read by YARA only), code files next to their page or ``Global.asax``.
"""

from __future__ import annotations

from .rule_tables import quiet_pages_test, sink_found_test, variants_differ_test

_GLOBAL_ASAX_READS_ITS_SETTINGS_AT_START = (
    '<%@ Application Language="VB" %>\n'
    '<%@ Import Namespace="System.IO" %>\n'
    '<%@ Import Namespace="System.Text" %>\n'
    "\n"
    '<script runat="server">\n'
    "    Sub Application_Start(ByVal sender As Object, ByVal e As EventArgs)\n"
    '        Dim settings As String = File.OpenText(HttpContext.Current.Server.MapPath("~/") + "conf\\site.xml").ReadToEnd\n'
    '        Application("SiteSettings") = settings\n'
    '        Application("Db") = Encoding.UTF8.GetString(Convert.FromBase64String("U2VydmVyPWxvY2FsaG9zdDtEYXRhYmFzZT1zaG9wOw=="))\n'
    "    End Sub\n"
    "\n"
    "    Sub Session_Start(ByVal sender As Object, ByVal e As EventArgs)\n"
    "    End Sub\n"
    "</script>\n"
)

_ERROR_HANDLER_APPENDS_TO_A_DATED_LOG = (
    "using System;\n"
    "using System.IO;\n"
    "using System.Web;\n"
    "\n"
    "namespace Shop.Web\n"
    "{\n"
    "    public class Global : HttpApplication\n"
    "    {\n"
    "        protected void Application_Error(object sender, EventArgs e)\n"
    "        {\n"
    "            Exception ex = Server.GetLastError().GetBaseException();\n"
    '            string log = Server.MapPath("~/App_Data/Logs/error-" + DateTime.Now.ToString("yyyyMMdd") + ".txt");\n'
    "            using (StreamWriter w = File.AppendText(log))\n"
    "            {\n"
    '                w.WriteLine(DateTime.Now + " " + Request.Url + " " + Request.UserHostAddress);\n'
    "                w.WriteLine(ex.Message);\n"
    "            }\n"
    "            Server.ClearError();\n"
    "        }\n"
    "    }\n"
    "}\n"
)

_UPLOAD_HELPER_STORES_UNDER_A_GENERATED_NAME = (
    "using System;\n"
    "using System.Collections;\n"
    "using System.IO;\n"
    "using System.Web;\n"
    "\n"
    "public class AttachmentStore\n"
    "{\n"
    "    public static Hashtable Save(HttpPostedFile posted, long ticket)\n"
    "    {\n"
    '        string name = ticket + "_" + DateTime.Now.Ticks + "_" + Path.GetFileName(posted.FileName);\n'
    '        string full = HttpContext.Current.Server.MapPath(Path.Combine("~/Attachments/", name));\n'
    "        posted.SaveAs(full);\n"
    "        Hashtable saved = new Hashtable();\n"
    '        saved.Add("Name", name);\n'
    '        saved.Add("Path", full);\n'
    "        return saved;\n"
    "    }\n"
    "}\n"
)

_HTTP_HELPER_FETCHES_THE_CALLERS_ADDRESS = (
    "using System.IO;\n"
    "using System.Net;\n"
    "using System.Text;\n"
    "\n"
    "public class RemoteText\n"
    "{\n"
    "    public static string Get(string address)\n"
    "    {\n"
    "        WebClient client = new WebClient();\n"
    "        client.Encoding = Encoding.UTF8;\n"
    "        using (StreamReader reader = new StreamReader(client.OpenRead(address), Encoding.UTF8))\n"
    "        {\n"
    "            return reader.ReadToEnd();\n"
    "        }\n"
    "    }\n"
    "}\n"
)

_THUMBNAILS_FROM_A_FIXED_FFMPEG = (
    "using System.Diagnostics;\n"
    "using System.Web;\n"
    "\n"
    "public class VideoThumbnail\n"
    "{\n"
    "    public void Save(string video, string picture)\n"
    "    {\n"
    "        Process tool = new Process();\n"
    '        tool.StartInfo.FileName = HttpContext.Current.Server.MapPath("~/Tools/ffmpeg.exe");\n'
    '        tool.StartInfo.Arguments = "-i \\"" + video + "\\" -ss 00:00:01 -vframes 1 \\"" + picture + "\\"";\n'
    "        tool.StartInfo.UseShellExecute = false;\n"
    "        tool.StartInfo.CreateNoWindow = true;\n"
    "        tool.Start();\n"
    "        tool.WaitForExit();\n"
    "    }\n"
    "}\n"
)

_MODULE_DECRYPTS_THE_QUERY_BEFORE_REWRITING = (
    "using System;\n"
    "using System.IO;\n"
    "using System.Security.Cryptography;\n"
    "using System.Text;\n"
    "using System.Web;\n"
    "\n"
    "public class SealedQueryModule : IHttpModule\n"
    "{\n"
    '    private const string Secret = "site-query-secret";\n'
    "\n"
    "    public void Init(HttpApplication app)\n"
    "    {\n"
    "        app.BeginRequest += OnBeginRequest;\n"
    "    }\n"
    "\n"
    "    private void OnBeginRequest(object sender, EventArgs e)\n"
    "    {\n"
    "        HttpContext context = ((HttpApplication)sender).Context;\n"
    "        string raw = context.Request.RawUrl;\n"
    '        int mark = raw.IndexOf("?enc=");\n'
    "        if (mark < 0)\n"
    "        {\n"
    "            return;\n"
    "        }\n"
    "        string path = context.Request.Path;\n"
    "        string query = Open(raw.Substring(mark + 5));\n"
    "        context.RewritePath(path, string.Empty, query);\n"
    "    }\n"
    "\n"
    "    private static string Open(string sealedText)\n"
    "    {\n"
    '        byte[] cipher = Convert.FromBase64String(sealedText.Replace(" ", "+"));\n'
    "        using (Aes aes = Aes.Create())\n"
    "        {\n"
    '            Rfc2898DeriveBytes key = new Rfc2898DeriveBytes(Secret, Encoding.ASCII.GetBytes("salt-of-site"));\n'
    "            aes.Key = key.GetBytes(32);\n"
    "            aes.IV = key.GetBytes(16);\n"
    "            byte[] plain = aes.CreateDecryptor().TransformFinalBlock(cipher, 0, cipher.Length);\n"
    "            return Encoding.Unicode.GetString(plain);\n"
    "        }\n"
    "    }\n"
    "\n"
    "    public void Dispose()\n"
    "    {\n"
    "    }\n"
    "}\n"
)

_VB_MODULE_CHECKS_THE_BEARER_TOKEN = (
    "Imports System\n"
    "Imports System.Web\n"
    "\n"
    "Public Class TokenGateModule\n"
    "    Implements IHttpModule\n"
    "\n"
    "    Public Sub Init(ByVal app As HttpApplication) Implements IHttpModule.Init\n"
    "        AddHandler app.BeginRequest, AddressOf OnBeginRequest\n"
    "    End Sub\n"
    "\n"
    "    Private Sub OnBeginRequest(ByVal sender As Object, ByVal e As EventArgs)\n"
    "        Dim app As HttpApplication = CType(sender, HttpApplication)\n"
    "        Dim token As String = Nothing\n"
    '        Dim header As String = app.Context.Request.Headers("Authorization")\n'
    '        If Not String.IsNullOrEmpty(header) AndAlso header.StartsWith("Bearer ") Then\n'
    "            token = header.Substring(7)\n"
    "        End If\n"
    "        If String.IsNullOrEmpty(token) Then\n"
    '            app.Context.Response.Redirect("~/Login.aspx")\n'
    "        End If\n"
    "    End Sub\n"
    "\n"
    "    Public Sub Dispose() Implements IHttpModule.Dispose\n"
    "    End Sub\n"
    "End Class\n"
)

_DATA_ACCESS_RUNS_ITS_CALLERS_SQL = (
    "using System;\n"
    "using System.Configuration;\n"
    "using System.Data;\n"
    "using System.Data.SqlClient;\n"
    "\n"
    "public class DataAccess\n"
    "{\n"
    "    private static SqlConnection Open()\n"
    "    {\n"
    '        SqlConnection con = new SqlConnection(ConfigurationManager.ConnectionStrings["Main"].ConnectionString);\n'
    "        con.Open();\n"
    "        return con;\n"
    "    }\n"
    "\n"
    "    public DataSet Read(string queryText)\n"
    "    {\n"
    "        using (SqlConnection con = Open())\n"
    "        {\n"
    "            DataSet ds = new DataSet();\n"
    "            new SqlDataAdapter(queryText, con).Fill(ds);\n"
    "            return ds;\n"
    "        }\n"
    "    }\n"
    "\n"
    "    public int Update(string statement)\n"
    "    {\n"
    "        using (SqlConnection con = Open())\n"
    "        {\n"
    "            return new SqlCommand(statement, con).ExecuteNonQuery();\n"
    "        }\n"
    "    }\n"
    "}\n"
)

_PAGE_COUNTS_VISITS_IN_APP_DATA = (
    "using System;\n"
    "using System.IO;\n"
    "using System.Web.UI;\n"
    "\n"
    "public partial class Visits_Default : Page\n"
    "{\n"
    "    protected void Page_Load(object sender, EventArgs e)\n"
    "    {\n"
    "        if (IsPostBack)\n"
    "        {\n"
    "            return;\n"
    "        }\n"
    '        string counter = Path.Combine(Request.PhysicalApplicationPath, "App_Data") + "/counter.txt";\n'
    "        int visits = 0;\n"
    "        int.TryParse(File.ReadAllText(counter), out visits);\n"
    "        visits++;\n"
    "        File.WriteAllText(counter, visits.ToString());\n"
    '        Response.AddHeader("Last-Modified", new FileInfo(Request.PhysicalPath).LastWriteTimeUtc.ToString("R"));\n'
    "    }\n"
    "}\n"
)

#: (name, extension, page): ordinary App_Code, Global.asax and module shapes that must raise no finding.
QUIET_PAGES = [
    ("Global", ".asax", _GLOBAL_ASAX_READS_ITS_SETTINGS_AT_START),
    ("Global.asax", ".cs", _ERROR_HANDLER_APPENDS_TO_A_DATED_LOG),
    (
        "App_Code/upload-helper-stores-under-a-generated-name",
        ".cs",
        _UPLOAD_HELPER_STORES_UNDER_A_GENERATED_NAME,
    ),
    ("App_Code/http-helper-fetches-the-callers-address", ".cs", _HTTP_HELPER_FETCHES_THE_CALLERS_ADDRESS),
    ("App_Code/thumbnails-from-a-fixed-ffmpeg", ".cs", _THUMBNAILS_FROM_A_FIXED_FFMPEG),
    (
        "App_Code/module-decrypts-the-query-before-rewriting",
        ".cs",
        _MODULE_DECRYPTS_THE_QUERY_BEFORE_REWRITING,
    ),
    ("App_Code/vb-module-checks-the-bearer-token", ".vb", _VB_MODULE_CHECKS_THE_BEARER_TOKEN),
    ("App_Code/data-access-runs-its-callers-sql", ".cs", _DATA_ACCESS_RUNS_ITS_CALLERS_SQL),
    ("Visits/Default.aspx", ".cs", _PAGE_COUNTS_VISITS_IN_APP_DATA),
]

#: One-line variants of the quiet pages that turn them into what the engine must name (so the quiet tests can
#: fail): (name, extension, the sink that must fire, page).
MUTANTS = [
    (
        "Global-reads-the-file-the-query-names",
        ".asax",
        "file-read",
        _GLOBAL_ASAX_READS_ITS_SETTINGS_AT_START.replace(
            'HttpContext.Current.Server.MapPath("~/") + "conf\\site.xml"',
            'HttpContext.Current.Server.MapPath(HttpContext.Current.Request.QueryString("f"))',
        ),
    ),
    (
        "Global-error-handler-writes-where-the-query-says.asax",
        ".cs",
        "file-write",
        _ERROR_HANDLER_APPENDS_TO_A_DATED_LOG.replace(
            'Server.MapPath("~/App_Data/Logs/error-" + DateTime.Now.ToString("yyyyMMdd") + ".txt");',
            'Server.MapPath(Request.QueryString["log"]);',
        ),
    ),
    (
        "App_Code/upload-helper-stores-where-the-request-says",
        ".cs",
        "file-write",
        _UPLOAD_HELPER_STORES_UNDER_A_GENERATED_NAME.replace(
            'HttpContext.Current.Server.MapPath(Path.Combine("~/Attachments/", name));',
            'HttpContext.Current.Server.MapPath(HttpContext.Current.Request["folder"]) + posted.FileName;',
        ),
    ),
    (
        "App_Code/http-helper-fetches-the-querys-address",
        ".cs",
        "http-out",
        _HTTP_HELPER_FETCHES_THE_CALLERS_ADDRESS.replace(
            "client.OpenRead(address)",
            'client.OpenRead(System.Web.HttpContext.Current.Request.QueryString["url"])',
        ),
    ),
    (
        "App_Code/thumbnails-run-the-requests-arguments",
        ".cs",
        "process",
        _THUMBNAILS_FROM_A_FIXED_FFMPEG.replace(
            'tool.StartInfo.Arguments = "-i \\"" + video + "\\" -ss 00:00:01 -vframes 1 \\"" + picture + "\\"";',
            'tool.StartInfo.Arguments = HttpContext.Current.Request["args"];',
        ),
    ),
    (
        "App_Code/module-streams-the-file-the-sealed-query-names",
        ".cs",
        "file-read",
        _MODULE_DECRYPTS_THE_QUERY_BEFORE_REWRITING.replace(
            "context.RewritePath(path, string.Empty, query);",
            'context.Response.WriteFile(Open(context.Request.QueryString["enc"]));',
        ),
    ),
    (
        "App_Code/vb-module-starts-the-token",
        ".vb",
        "process",
        _VB_MODULE_CHECKS_THE_BEARER_TOKEN.replace(
            '            app.Context.Response.Redirect("~/Login.aspx")\n',
            "            System.Diagnostics.Process.Start(header)\n",
        ),
    ),
    (
        "App_Code/data-access-runs-the-posted-sql",
        ".cs",
        "sql-text",
        _DATA_ACCESS_RUNS_ITS_CALLERS_SQL.replace(
            "new SqlDataAdapter(queryText, con).Fill(ds);",
            'new SqlDataAdapter(System.Web.HttpContext.Current.Request.Form["q"], con).Fill(ds);',
        ),
    ),
    (
        "Visits/Default-writes-the-file-the-query-names.aspx",
        ".cs",
        "file-write",
        _PAGE_COUNTS_VISITS_IN_APP_DATA.replace(
            "File.WriteAllText(counter, visits.ToString());",
            'File.WriteAllText(Server.MapPath(Request.QueryString["f"]), visits.ToString());',
        ),
    ),
]

test_app_code_global_or_module_shape_raises_no_finding = quiet_pages_test(QUIET_PAGES)
test_one_line_variant_of_a_quiet_app_code_shape_is_found = sink_found_test(MUTANTS)
test_mutants_change_one_line_each = variants_differ_test(QUIET_PAGES, MUTANTS)


_COOKIE_VALUES_DECRYPTED_IN_MEMORY = (
    "using System;\n"
    "using System.IO;\n"
    "using System.Security.Cryptography;\n"
    "using System.Web;\n"
    "\n"
    "public class SignedInCompany\n"
    "{\n"
    '    public string Company = "";\n'
    "\n"
    "    public SignedInCompany()\n"
    "    {\n"
    '        HttpCookie details = HttpContext.Current.Request.Cookies["Details"];\n'
    "        if (details != null)\n"
    "        {\n"
    '            Company = Unseal(details["Company"], "c2l0ZS1jb29raWUta2V5LTMyLWJ5dGVzLWxvbmchISE=");\n'
    "        }\n"
    "    }\n"
    "\n"
    "    public static string Unseal(string sealedText, string key)\n"
    "    {\n"
    "        using (Aes aes = Aes.Create())\n"
    "        {\n"
    "            aes.Key = Convert.FromBase64String(key);\n"
    "            byte[] all = Convert.FromBase64String(sealedText);\n"
    "            byte[] iv = new byte[aes.BlockSize / 8];\n"
    "            Array.Copy(all, 0, iv, 0, iv.Length);\n"
    "            byte[] body = new byte[all.Length - iv.Length];\n"
    "            Array.Copy(all, iv.Length, body, 0, body.Length);\n"
    "            using (MemoryStream memory = new MemoryStream(body))\n"
    "            using (CryptoStream plain = new CryptoStream(memory, aes.CreateDecryptor(aes.Key, iv), CryptoStreamMode.Read))\n"
    "            using (StreamReader reader = new StreamReader(plain))\n"
    "            {\n"
    "                return reader.ReadToEnd();\n"
    "            }\n"
    "        }\n"
    "    }\n"
    "}\n"
)

#: The set's misreading (request in ``/work/notes/to_a9.md``, B15 06:40; served by A9): an App_Code class decrypting
#: cookie values in memory was ``file-read`` because a ``StreamReader`` over a ``CryptoStream`` was read as a file.
MISREADINGS = [("App_Code/cookie-values-decrypted-in-memory", ".cs", _COOKIE_VALUES_DECRYPTED_IN_MEMORY)]

#: Next to it, what must stay found: the cookie names the file the reader opens.
SHELLS_NEXT_TO_THE_MISREADING = [
    (
        "App_Code/cookie-names-the-file-read",
        ".cs",
        "file-read",
        _COOKIE_VALUES_DECRYPTED_IN_MEMORY.replace(
            "using (StreamReader reader = new StreamReader(plain))",
            "using (StreamReader reader = new StreamReader(sealedText))",
        ),
    )
]

test_app_code_misreading_is_silent = quiet_pages_test(MISREADINGS)
test_shell_next_to_the_misreading_stays_found = sink_found_test(SHELLS_NEXT_TO_THE_MISREADING)
test_shell_differs_from_the_misreading = variants_differ_test(MISREADINGS, SHELLS_NEXT_TO_THE_MISREADING)
