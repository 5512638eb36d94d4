"""A seeded uniform sample of ASP.NET pages: closest quiet shapes (issue 14, helper B14).

The benign set of session 16 (``/tmp/benign30``, never in the project; BENCHMARKS.md, "False positives on unseen
benign pages XIV: a seeded uniform sample") is 182 files of about 175 applications taken by rules written down before
the look-ups they govern: for each of a fixed list of strings that every file of a kind carries (``<%@ Page Title=""``,
``<%@ Control Language="vb"``, ``<%@ WebHandler Language="C#" CodeBehind=``, ``<%@ Application Codebehind=``,
``: System.Web.UI.UserControl``, ``public partial class _Default : System.Web.UI.Page``, ``Inherits="System.Web.Mvc.
ViewPage``...) every hit the library's text index returned, in its order, and for six file paths
(``Views/Home/Index.cshtml``, ``App_Code/Utility.cs``, ``Global.asax``, ``Login.aspx``, ``Default.aspx.cs``,
``Handler.ashx``) every tenth repository of the listing - pages, user controls, master pages, handlers, services,
``Global.asax`` files, code-behinds, App_Code classes and Razor views as they come.

The pages below are written for these tests (no line is copied from the applications) in the shapes of the set's
files that sit closest to a shell and raised nothing on first sight: a handler that rebuilds a picture from posted
pixels and saves it as a JPEG under a folder and name the request gives, a page that writes the raw request body to
the application's logger, a PDF-information page that opens a fixed file under ``bin``, a password-reset page that
builds its SQL around posted text (an injection bug, not a console), a plupload handler that saves the upload under
a fresh random name, a ``Global.asax`` that rewrites two known URLs, an App_Code mail helper that fills a fixed
template file, a handler that looks a posted code up (by XPath) in a fixed XML file, a handler that serves a stored
attachment by id, an upload handler that saves under a GUID inside a folder quota it sums, and a JSON API handler that
logs in from the raw request body and echoes it on error. They must raise no finding at all (YARA or behaviour); each
has a one-line variant (``MUTANTS``) that must be found, so the tests can fail.
"""

from __future__ import annotations

from .rule_tables import quiet_pages_test, sink_found_test, variants_differ_test

_CANVAS_TO_JPEG = (
    '<%@ WebHandler Language="C#" Class="SaveCanvas" %>\n'
    "using System;\n"
    "using System.Web;\n"
    "using System.Drawing;\n"
    "using System.Drawing.Imaging;\n"
    "\n"
    "public class SaveCanvas : IHttpHandler\n"
    "{\n"
    "    public void ProcessRequest(HttpContext context)\n"
    "    {\n"
    '        context.Response.ContentType = "text/plain";\n'
    '        if (context.Request["pixels"] == null) { return; }\n'
    '        string folder = context.Request["folder"];\n'
    '        string name = context.Request["name"];\n'
    '        int w = Convert.ToInt32(context.Request["w"]);\n'
    '        int h = Convert.ToInt32(context.Request["h"]);\n'
    "        string[] cells = context.Request[\"pixels\"].Split(';');\n"
    "        Bitmap picture = new Bitmap(w, h, PixelFormat.Format32bppRgb);\n"
    "        int k = 0;\n"
    "        for (int row = 0; row < h; row++)\n"
    "            for (int col = 0; col < w; col++)\n"
    "                picture.SetPixel(col, row, Color.FromArgb(int.Parse(cells[k++], "
    "System.Globalization.NumberStyles.HexNumber)));\n"
    '        picture.Save(context.Server.MapPath("~/pictures/" + folder + name), ImageFormat.Jpeg);\n'
    '        context.Response.Write("saved");\n'
    "    }\n"
    "\n"
    "    public bool IsReusable { get { return false; } }\n"
    "}\n"
)
_BODY_TO_LOGGER = (
    "using System;\n"
    "using System.IO;\n"
    "using System.Web.UI;\n"
    "\n"
    "public partial class Inbound : Page\n"
    "{\n"
    "    static readonly Guid Run = Guid.NewGuid();\n"
    "\n"
    "    protected void Page_Load(object sender, EventArgs e)\n"
    "    {\n"
    '        AppLog.Info(Run + " " + Request.RawUrl);\n'
    '        if (Request.HttpMethod == "POST")\n'
    "        {\n"
    "            using (StreamReader body = new StreamReader(Request.InputStream, Request.ContentEncoding))\n"
    "            {\n"
    "                string text = body.ReadToEnd();\n"
    '                AppLog.Info(Run + " length " + Request.ContentLength);\n'
    '                AppLog.Info(Run + " " + text);\n'
    "            }\n"
    "        }\n"
    "    }\n"
    "}\n"
)
_FIXED_PDF_INFO = (
    "using System;\n"
    "using Vendor.PdfTools;\n"
    "\n"
    "public partial class DocumentInfo : System.Web.UI.Page\n"
    "{\n"
    "    protected void Page_Load(object sender, EventArgs e)\n"
    "    {\n"
    '        string sample = Server.MapPath(@".\\bin\\manual.pdf");\n'
    "        InfoReader reader = new InfoReader();\n"
    '        reader.Licence = "trial";\n'
    "        reader.Open(sample);\n"
    "        Response.Clear();\n"
    '        Response.ContentType = "text/html";\n'
    '        Response.Write("Title: " + reader.Title + "<br/>");\n'
    '        Response.Write("Pages: " + reader.PageCount + "<br/>");\n'
    "        Response.End();\n"
    "    }\n"
    "}\n"
)
_SQL_AROUND_POSTED_TEXT = (
    "using System;\n"
    "using System.Configuration;\n"
    "using System.Data.SqlClient;\n"
    "\n"
    "public partial class ForgotPassword : System.Web.UI.Page\n"
    "{\n"
    "    SqlConnection con = new SqlConnection("
    'ConfigurationManager.ConnectionStrings["Members"].ConnectionString);\n'
    "\n"
    "    protected void btnAsk_Click(object sender, EventArgs e)\n"
    "    {\n"
    "        con.Open();\n"
    '        SqlCommand ask = new SqlCommand("SELECT Question FROM Users WHERE Email=\'" + txtMail.Text + "\'", con);\n'
    "        lblQuestion.Text = Convert.ToString(ask.ExecuteScalar());\n"
    "        con.Close();\n"
    "    }\n"
    "\n"
    "    protected void btnReset_Click(object sender, EventArgs e)\n"
    "    {\n"
    "        con.Open();\n"
    '        SqlCommand reset = new SqlCommand("UPDATE Users SET Password=\'" + txtNew.Text + "\' WHERE Email=\'"\n'
    '            + txtMail.Text + "\'", con);\n'
    "        reset.ExecuteNonQuery();\n"
    "        con.Close();\n"
    "    }\n"
    "}\n"
)
_RANDOM_NAME_UPLOAD = (
    '<%@ WebHandler Language="C#" Class="Chunks.UploadTarget" %>\n'
    "using System;\n"
    "using System.IO;\n"
    "using System.Web;\n"
    "\n"
    "namespace Chunks\n"
    "{\n"
    "    public class UploadTarget : IHttpHandler\n"
    "    {\n"
    "        public void ProcessRequest(HttpContext context)\n"
    "        {\n"
    "            HttpPostedFile posted = context.Request.Files[0];\n"
    '            string url = "/uploads/" + DateTime.Now.ToString("yyyyMMddHHmmss") + "_" + Path.GetRandomFileName()\n'
    "                + Path.GetExtension(posted.FileName);\n"
    "            string target = context.Server.MapPath(url);\n"
    "            Directory.CreateDirectory(Path.GetDirectoryName(target));\n"
    "            posted.SaveAs(target);\n"
    '            context.Response.ContentType = "application/json";\n'
    '            context.Response.Write("{\\"url\\":\\"" + url + "\\"}");\n'
    "        }\n"
    "\n"
    "        public bool IsReusable { get { return false; } }\n"
    "    }\n"
    "}\n"
)
_REWRITE_GLOBAL = (
    '<%@ Application Language="C#" %>\n'
    '<script runat="server">\n'
    "    void Application_Start(object sender, EventArgs e)\n"
    "    {\n"
    '        Application["hits"] = 0;\n'
    "    }\n"
    "\n"
    "    void Application_BeginRequest(object sender, EventArgs e)\n"
    "    {\n"
    "        string asked = Request.Url.ToString();\n"
    '        if (asked.Contains("/offers"))\n'
    "        {\n"
    '            Context.RewritePath("offers.aspx?page=1");\n'
    "        }\n"
    '        else if (asked.Contains("/Products/Books.aspx"))\n'
    "        {\n"
    '            Context.RewritePath("/Products.aspx?Category=Books");\n'
    "        }\n"
    "        Application.Lock();\n"
    '        Application["hits"] = (int)Application["hits"] + 1;\n'
    "        Application.UnLock();\n"
    "    }\n"
    "\n"
    "    void Session_End(object sender, EventArgs e)\n"
    "    {\n"
    "        Session.RemoveAll();\n"
    "    }\n"
    "</script>\n"
)
_TEMPLATE_MAILER = (
    "using System;\n"
    "using System.Configuration;\n"
    "using System.IO;\n"
    "using System.Net.Mail;\n"
    "\n"
    "public class Mailer : System.Web.UI.Page\n"
    "{\n"
    "    public void SendWelcome(string name, string email, string code)\n"
    "    {\n"
    "        string body;\n"
    '        using (StreamReader reader = new StreamReader(Server.MapPath("~/Templates/welcome.htm")))\n'
    "        {\n"
    "            body = reader.ReadToEnd();\n"
    "        }\n"
    '        body = body.Replace("{name}", name).Replace("{code}", code);\n'
    "        MailMessage message = new MailMessage();\n"
    "        message.To.Add(new MailAddress(email));\n"
    '        message.From = new MailAddress(ConfigurationManager.AppSettings["mailFrom"]);\n'
    '        message.Subject = "Welcome";\n'
    "        message.Body = body;\n"
    "        message.IsBodyHtml = true;\n"
    '        SmtpClient smtp = new SmtpClient(ConfigurationManager.AppSettings["smtpHost"]);\n'
    "        smtp.EnableSsl = true;\n"
    "        smtp.Send(message);\n"
    "    }\n"
    "}\n"
)

_XML_GAME_LOOKUP = (
    '<%@ WebHandler Language="C#" Class="Lookup" %>\n'
    "using System;\n"
    "using System.Web;\n"
    "using System.Xml;\n"
    "\n"
    "public class Lookup : IHttpHandler\n"
    "{\n"
    "    public void ProcessRequest(HttpContext context)\n"
    "    {\n"
    '        context.Response.ContentType = "text/plain";\n'
    "        XmlDocument doc = new XmlDocument();\n"
    '        doc.Load(context.Server.MapPath("~/data/quizzes.xml"));\n'
    '        string code = context.Request["code"];\n'
    '        XmlNode quiz = doc.SelectSingleNode("//quiz[@code=\'" + code + "\']");\n'
    '        if (quiz == null) { context.Response.Write("none"); return; }\n'
    '        if (quiz.Attributes["open"].Value == "yes") { context.Response.Write(quiz.OuterXml); }\n'
    '        else { context.Response.Write("closed"); }\n'
    "    }\n"
    "\n"
    "    public bool IsReusable { get { return true; } }\n"
    "}\n"
)
_STORED_BLOB = (
    '<%@ WebHandler Language="C#" Class="Attachment" %>\n'
    "using System;\n"
    "using System.Web;\n"
    "using System.Data.SqlClient;\n"
    "\n"
    "public class Attachment : IHttpHandler\n"
    "{\n"
    "    public void ProcessRequest(HttpContext context)\n"
    "    {\n"
    '        string id = context.Request.QueryString["doc"];\n'
    "        if (String.IsNullOrEmpty(id)) { return; }\n"
    "        using (SqlConnection con = new SqlConnection(System.Configuration.ConfigurationManager\n"
    '            .ConnectionStrings["Main"].ConnectionString))\n'
    "        {\n"
    "            con.Open();\n"
    '            SqlCommand cmd = new SqlCommand("SELECT Kind, Body FROM Attachments WHERE Id=" + id, con);\n'
    "            SqlDataReader row = cmd.ExecuteReader();\n"
    "            if (!row.Read()) { return; }\n"
    '            string kind = Convert.ToString(row["Kind"]);\n'
    '            byte[] body = (byte[])row["Body"];\n'
    '            if (kind.EndsWith("pdf")) { context.Response.ContentType = "application/pdf"; }\n'
    '            else { context.Response.ContentType = "image/png"; }\n'
    "            context.Response.BinaryWrite(body);\n"
    "        }\n"
    "    }\n"
    "\n"
    "    public bool IsReusable { get { return false; } }\n"
    "}\n"
)
_GUID_UPLOAD_WITH_QUOTA = (
    '<%@ WebHandler Language="C#" Class="Drop" %>\n'
    "using System;\n"
    "using System.IO;\n"
    "using System.Web;\n"
    "\n"
    "public class Drop : IHttpHandler\n"
    "{\n"
    "    static long Used(string folder)\n"
    "    {\n"
    "        long total = 0;\n"
    '        foreach (FileInfo f in new DirectoryInfo(folder).GetFiles("*", SearchOption.AllDirectories))\n'
    "            total += f.Length;\n"
    "        return total;\n"
    "    }\n"
    "\n"
    "    public void ProcessRequest(HttpContext context)\n"
    "    {\n"
    "        if (context.Request.Files.Count == 0) { return; }\n"
    '        string folder = context.Server.MapPath("~/media/drops/");\n'
    "        Directory.CreateDirectory(folder);\n"
    '        HttpPostedFile posted = context.Request.Files["file"];\n'
    "        if (Used(folder) + posted.ContentLength > 500L * 1024 * 1024)\n"
    '        { context.Response.Write("{\\"ok\\":false}"); return; }\n'
    '        string name = Guid.NewGuid().ToString("N") + Path.GetExtension(posted.FileName);\n'
    "        posted.SaveAs(Path.Combine(folder, name));\n"
    '        context.Response.ContentType = "application/json";\n'
    '        context.Response.Write("{\\"ok\\":true,\\"src\\":\\"/media/drops/" + name + "\\"}");\n'
    "    }\n"
    "\n"
    "    public bool IsReusable { get { return false; } }\n"
    "}\n"
)
_JSON_BODY_LOGIN = (
    '<%@ WebHandler Language="C#" Class="Api" %>\n'
    "using System;\n"
    "using System.IO;\n"
    "using System.Data;\n"
    "using System.Web;\n"
    "using Newtonsoft.Json.Linq;\n"
    "\n"
    "public class Api : IHttpHandler\n"
    "{\n"
    "    string Login(JObject q)\n"
    "    {\n"
    '        DataTable t = Db.Table("SELECT Name FROM Staff WHERE Login=\'" + q["user"] + "\' AND Pass=\'"\n'
    '            + q["pass"] + "\'");\n'
    '        return t.Rows.Count == 0 ? "{\\"ok\\":false}" : "{\\"ok\\":true}";\n'
    "    }\n"
    "\n"
    "    public void ProcessRequest(HttpContext context)\n"
    "    {\n"
    '        context.Response.ContentType = "text/plain";\n'
    '        string raw = "";\n'
    "        try\n"
    "        {\n"
    "            raw = new StreamReader(context.Request.InputStream).ReadToEnd();\n"
    "            JObject q = JObject.Parse(raw);\n"
    '            if ((string)q["cmd"] == "login") { context.Response.Write(Login(q)); }\n'
    "        }\n"
    "        catch (Exception ex)\n"
    "        {\n"
    "            context.Response.Write(raw + ex.Message);\n"
    "        }\n"
    "    }\n"
    "\n"
    "    public bool IsReusable { get { return false; } }\n"
    "}\n"
)

QUIET_PAGES = [
    ("handler-saves-posted-pixels-as-a-jpeg", ".ashx", _CANVAS_TO_JPEG),
    ("page-writes-the-request-body-to-its-logger", ".aspx.cs", _BODY_TO_LOGGER),
    ("page-reads-a-fixed-pdf-under-bin", ".aspx.cs", _FIXED_PDF_INFO),
    ("password-reset-builds-sql-around-posted-text", ".aspx.cs", _SQL_AROUND_POSTED_TEXT),
    ("upload-handler-saves-under-a-random-name", ".ashx", _RANDOM_NAME_UPLOAD),
    ("global-asax-rewrites-two-known-urls", ".asax", _REWRITE_GLOBAL),
    ("app-code-mailer-fills-a-fixed-template", "/App_Code/Mailer.cs", _TEMPLATE_MAILER),
    ("handler-looks-up-a-posted-code-in-a-fixed-xml-file", ".ashx", _XML_GAME_LOOKUP),
    ("handler-serves-a-stored-attachment-by-id", ".ashx", _STORED_BLOB),
    ("upload-handler-saves-under-a-guid-within-a-quota", ".ashx", _GUID_UPLOAD_WITH_QUOTA),
    ("handler-logs-in-from-a-posted-json-body", ".ashx", _JSON_BODY_LOGIN),
]

MUTANTS = [
    (
        "handler-writes-the-posted-bytes-where-the-request-says",
        ".ashx",
        "file-write-content",
        _CANVAS_TO_JPEG.replace(
            '        picture.Save(context.Server.MapPath("~/pictures/" + folder + name), ImageFormat.Jpeg);\n',
            '        System.IO.File.WriteAllBytes(context.Server.MapPath("~/pictures/" + folder + name), '
            'Convert.FromBase64String(context.Request["pixels"]));\n',
        ),
    ),
    (
        "page-writes-the-request-body-to-a-file-the-request-names",
        ".aspx.cs",
        "file-write",
        _BODY_TO_LOGGER.replace(
            '                AppLog.Info(Run + " " + text);\n',
            '                File.WriteAllText(Request.QueryString["to"], text);\n',
        ),
    ),
    (
        "page-sends-the-file-the-request-names",
        ".aspx.cs",
        "file-read",
        _FIXED_PDF_INFO.replace(
            "        Response.End();\n",
            '        Response.BinaryWrite(System.IO.File.ReadAllBytes(Request["doc"]));\n        Response.End();\n',
        ),
    ),
    (
        "password-reset-runs-the-posted-statement",
        ".aspx.cs",
        "sql-text",
        _SQL_AROUND_POSTED_TEXT.replace(
            "        reset.ExecuteNonQuery();\n",
            "        new SqlCommand(txtNew.Text, con).ExecuteNonQuery();\n",
        ),
    ),
    (
        "upload-handler-saves-under-the-requested-folder-and-client-name",
        ".ashx",
        "file-write",
        _RANDOM_NAME_UPLOAD.replace(
            "            posted.SaveAs(target);\n",
            '            posted.SaveAs(context.Request["dir"] + posted.FileName);\n',
        ),
    ),
    (
        "global-asax-sends-the-requested-file",
        ".asax",
        "file-read",
        _REWRITE_GLOBAL.replace(
            "        Application.Lock();\n",
            '        if (Request["f"] != null) { Response.WriteFile(Request["f"]); Response.End(); }\n'
            "        Application.Lock();\n",
        ),
    ),
    (
        "app-code-mailer-also-sends-back-the-requested-file",
        "/App_Code/Mailer.cs",
        "file-read",
        _TEMPLATE_MAILER.replace(
            "        message.IsBodyHtml = true;\n",
            '        Response.Write(File.ReadAllText(Request.QueryString["tpl"]));\n        message.IsBodyHtml = true;\n',
        ),
    ),
    (
        "handler-reads-the-xml-file-the-request-names",
        ".ashx",
        "file-read",
        _XML_GAME_LOOKUP.replace(
            '        doc.Load(context.Server.MapPath("~/data/quizzes.xml"));\n',
            '        doc.LoadXml(System.IO.File.ReadAllText(context.Server.MapPath(context.Request["book"])));\n',
        ),
    ),
    (
        "handler-serves-the-file-the-request-names",
        ".ashx",
        "file-read",
        _STORED_BLOB.replace(
            "            context.Response.BinaryWrite(body);\n",
            '            context.Response.BinaryWrite(System.IO.File.ReadAllBytes(context.Request["path"]));\n',
        ),
    ),
    (
        "upload-handler-saves-under-the-client-folder-and-name",
        ".ashx",
        "file-write",
        _GUID_UPLOAD_WITH_QUOTA.replace(
            "        posted.SaveAs(Path.Combine(folder, name));\n",
            '        posted.SaveAs(Path.Combine(context.Request["dir"], posted.FileName));\n',
        ),
    ),
    (
        "handler-runs-the-posted-statement",
        ".ashx",
        "sql-text",
        _JSON_BODY_LOGIN.replace(
            '            if ((string)q["cmd"] == "login") { context.Response.Write(Login(q)); }\n',
            '            if ((string)q["cmd"] == "login") { context.Response.Write(Login(q)); }\n'
            '            else { new System.Data.SqlClient.SqlCommand((string)q["sql"], Db.Open()).ExecuteNonQuery(); }\n',
        ),
    ),
]

test_sampled_benign_shape_raises_no_finding = quiet_pages_test(QUIET_PAGES)
test_one_line_variant_of_a_quiet_sampled_shape_is_found = sink_found_test(MUTANTS)
test_mutants_differ_from_their_quiet_page_by_one_edit = variants_differ_test(QUIET_PAGES, MUTANTS)
