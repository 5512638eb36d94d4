"""Pages that live beside Exchange on the same IIS: closest quiet shapes (issue 14, helper B16).

The benign set of session 16 (``/tmp/benign32``, never in the project; BENCHMARKS.md, "False positives on unseen
benign pages XVI: pages that live beside Exchange") is made of real public pages of applications an Exchange
server's IIS holds besides Exchange: a customised OWA logon page, the IIS password-change pages used with OWA
(IISADMPWD), AD CS web enrollment (certsrv), an MFA and password self-service portal with an ActiveSync device
page, a Duo second factor, a Google Calendar free/busy connector, customised RD Web Access pages, a SharePoint
intranet's Active Directory pages, EWS / AD test pages, and the health, ping and keep-alive handlers admins drop
into ``inetpub\\wwwroot``.

The pages below are written for these tests (no line is copied from the applications) in the shapes of the set's
files that sit closest to a shell and raised nothing on first sight: a classic ASP password change through ADSI
with the posted old and new passwords, a classic ASP certificate request handed to the CA's COM object, an EWS
test page signing in with the credentials typed into it, an inline page listing the directory's users, a portal
customisation page saving the posted messages into its own XML file, a history page deleting its own log on a
posted "clear", a keep-alive handler renewing the session and calling a configured API with the visitor's cookie,
and a health handler running a fixed ``SELECT 1``. They must raise no finding at all (YARA or behaviour); each has
a one-line variant (``MUTANTS``) that must be found, so the tests can fail.
"""

from __future__ import annotations

from .rule_tables import quiet_pages_test, sink_found_test, variants_differ_test

_ASP_PASSWORD_CHANGE_THROUGH_ADSI = (
    '<%@ Language="VBScript" %>\n'
    "<%\n"
    "Option Explicit\n"
    "Dim account, domain, cut, who\n"
    'If Request.Form("fresh") <> Request.Form("again") Then\n'
    '    Response.Write "The two new passwords differ."\n'
    "    Response.End\n"
    "End If\n"
    'account = Trim(Request.Form("account"))\n'
    'cut = InStr(account, "\\")\n'
    "If cut > 0 Then\n"
    "    domain = Left(account, cut - 1)\n"
    "    account = Mid(account, cut + 1)\n"
    "Else\n"
    '    domain = CreateObject("WScript.Network").UserDomain\n'
    "End If\n"
    "On Error Resume Next\n"
    'Set who = GetObject("WinNT://" & domain & "/" & account & ",user")\n'
    'who.ChangePassword Request.Form("current"), Request.Form("fresh")\n'
    "If Err.Number <> 0 Then\n"
    '    Response.Write "Password not changed: " & Server.HTMLEncode(Err.Description)\n'
    "Else\n"
    '    Response.Write "Password changed."\n'
    "End If\n"
    "%>\n"
)

_ASP_CERTIFICATE_REQUEST_TO_THE_CA = (
    "<%@ CODEPAGE=65001 %>\n"
    "<!-- #include FILE=enrolconf.inc -->\n"
    "<%\n"
    "Dim ca, outcome\n"
    "On Error Resume Next\n"
    'Set Session("Enrol") = Server.CreateObject("CertificateAuthority.Request")\n'
    'Set ca = Session("Enrol")\n'
    'If Request.Form("Step") = "submit" Then\n'
    '    outcome = ca.Submit(1, Request.Form("Pkcs10"), Request.Form("Attributes"), sCaConfig)\n'
    'ElseIf Request.Form("Step") = "poll" Then\n'
    '    outcome = ca.RetrievePending(Request.Form("RequestId"), sCaConfig)\n'
    "End If\n"
    'Session("Outcome") = outcome\n'
    "If outcome = 3 Then\n"
    '    Server.Transfer("issued.asp")\n'
    "Else\n"
    '    Server.Transfer("pending.asp")\n'
    "End If\n"
    "%>\n"
)

_EWS_TEST_PAGE_SIGNS_IN_WITH_TYPED_CREDENTIALS = (
    '<%@ Page Language="C#" %>\n'
    '<%@ Import Namespace="System.Net" %>\n'
    '<%@ Import Namespace="Microsoft.Exchange.WebServices.Data" %>\n'
    '<script runat="server">\n'
    "    protected void Check_Click(object sender, EventArgs e)\n"
    "    {\n"
    "        ExchangeService mail = new ExchangeService(ExchangeVersion.Exchange2010_SP2);\n"
    "        mail.Credentials = new NetworkCredential(UserBox.Text, PassBox.Text, DomainBox.Text);\n"
    '        mail.Url = new Uri("https://mail.contoso.example/EWS/Exchange.asmx");\n'
    "        FindItemsResults<Item> found = mail.FindItems(WellKnownFolderName.Inbox, new ItemView(20));\n"
    '        Result.Text = found.TotalCount + " item(s)";\n'
    "        foreach (Item item in found.Items)\n"
    '            Result.Text += "<br/>" + HttpUtility.HtmlEncode(item.Subject);\n'
    "    }\n"
    "</script>\n"
    '<html><body><form runat="server">\n'
    '  <asp:TextBox runat="server" ID="UserBox" /> <asp:TextBox runat="server" ID="PassBox" TextMode="Password" />\n'
    '  <asp:TextBox runat="server" ID="DomainBox" /> <asp:Button runat="server" Text="Check" OnClick="Check_Click" />\n'
    '  <asp:Label runat="server" ID="Result" />\n'
    "</form></body></html>\n"
)

_INLINE_PAGE_LISTS_THE_DIRECTORYS_USERS = (
    '<%@ Page Language="C#" %>\n'
    '<%@ Import Namespace="System.Text" %>\n'
    '<%@ Import Namespace="System.DirectoryServices" %>\n'
    "<%\n"
    "    StringBuilder rows = new StringBuilder();\n"
    '    DirectoryEntry root = new DirectoryEntry("LDAP://" + System.Configuration.ConfigurationManager.AppSettings["domain"]);\n'
    "    DirectorySearcher people = new DirectorySearcher(root);\n"
    '    people.Filter = "(&(objectClass=user)(objectCategory=person))";\n'
    "    foreach (SearchResult hit in people.FindAll())\n"
    "    {\n"
    "        DirectoryEntry one = hit.GetDirectoryEntry();\n"
    '        string login = one.Properties["sAMAccountName"][0].ToString();\n'
    '        string mail = one.Properties.Contains("mail") ? one.Properties["mail"][0].ToString() : "";\n'
    '        rows.AppendFormat("<tr><td>{0}</td><td>{1}</td><td><a href=\\"edit.aspx?un={0}\\">edit</a></td></tr>", login, mail);\n'
    "    }\n"
    "%>\n"
    "<html><body><table><%= rows.ToString() %></table></body></html>\n"
)

_CUSTOMISATION_PAGE_SAVES_POSTED_MESSAGES_TO_ITS_XML = (
    '<%@ Page Language="C#" %>\n'
    '<%@ Import Namespace="System.Xml.Linq" %>\n'
    '<script runat="server">\n'
    '    public string Status = "";\n'
    '    string Store() { return Server.MapPath("../config/banner.xml"); }\n'
    "    protected void Page_Load(object sender, EventArgs e)\n"
    "    {\n"
    '        if (Request.HttpMethod != "POST") return;\n'
    '        XDocument doc = new XDocument(new XElement("banner", new XElement("colour", Request.Form["colour"] ?? "#203040")));\n'
    "        for (int i = 1; i <= 3; i++)\n"
    '            doc.Root.Add(new XElement("slide", new XAttribute("id", i), new XElement("title", Request.Form["title" + i] ?? ""),\n'
    '                new XElement("text", Request.Form["text" + i] ?? "")));\n'
    "        System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Store()));\n"
    "        doc.Save(Store());\n"
    '        Status = "Saved.";\n'
    "    }\n"
    "</script>\n"
    '<html><body><%= HttpUtility.HtmlEncode(Status) %><form method="post"><input name="title1" /></form></body></html>\n'
)

_HISTORY_PAGE_CLEARS_ITS_OWN_LOG = (
    '<%@ Page Language="C#" %>\n'
    '<%@ Import Namespace="System.IO" %>\n'
    '<%@ Import Namespace="System.Xml.Linq" %>\n'
    '<script runat="server">\n'
    "    public XElement[] Entries = new XElement[0];\n"
    "    protected void Page_Load(object sender, EventArgs e)\n"
    "    {\n"
    '        string log = Server.MapPath("../config/changes.xml");\n'
    '        if (Request.HttpMethod == "POST" && (Request.Form["action"] ?? "") == "clear" && File.Exists(log))\n'
    "            File.Delete(log);\n"
    "        if (File.Exists(log))\n"
    '            Entries = XDocument.Load(log).Root.Elements("entry").ToArray();\n'
    "    }\n"
    "</script>\n"
    '<html><body><% foreach (XElement x in Entries) { %><p><%= HttpUtility.HtmlEncode((string)x.Attribute("user")) %></p><% } %>\n'
    '<form method="post"><button name="action" value="clear">Clear</button></form></body></html>\n'
)

_KEEP_ALIVE_CALLS_A_CONFIGURED_API_WITH_THE_COOKIE = (
    '<%@ WebHandler Language="C#" Class="StayAlive" %>\n'
    "using System;\n"
    "using System.Net;\n"
    "using System.Web;\n"
    "using System.Web.SessionState;\n"
    "\n"
    "public class StayAlive : IHttpHandler, IRequiresSessionState\n"
    "{\n"
    "    public void ProcessRequest(HttpContext context)\n"
    "    {\n"
    "        context.Response.Cache.SetNoStore();\n"
    '        HttpCookie auth = context.Request.Cookies["PortalAuth"];\n'
    '        string api = System.Configuration.ConfigurationManager.AppSettings["PortalApi"];\n'
    '        if (context.Session == null) { context.Response.Write("{session:none}"); return; }\n'
    '        context.Response.Write("{session:alive}");\n'
    "        if (auth != null && !String.IsNullOrEmpty(api))\n"
    "        {\n"
    "            WebClient client = new WebClient();\n"
    '            client.Headers["X-Portal-Token"] = auth.Value;\n'
    '            string answer = client.DownloadString(api + "/utils/keepalive");\n'
    '            context.Response.Write("{portal:" + answer + "}");\n'
    "        }\n"
    "    }\n"
    "    public bool IsReusable { get { return false; } }\n"
    "}\n"
)

_HEALTH_HANDLER_RUNS_A_FIXED_SELECT = (
    '<%@ WebHandler Language="C#" Class="Health" %>\n'
    "using System;\n"
    "using System.Configuration;\n"
    "using System.Data.SqlClient;\n"
    "using System.Web;\n"
    "\n"
    "public class Health : IHttpHandler\n"
    "{\n"
    "    public void ProcessRequest(HttpContext context)\n"
    "    {\n"
    '        context.Response.ContentType = "application/json";\n'
    "        try\n"
    "        {\n"
    '            using (SqlConnection db = new SqlConnection(ConfigurationManager.ConnectionStrings["main"].ConnectionString))\n'
    '            using (SqlCommand probe = new SqlCommand("SELECT 1", db))\n'
    "            {\n"
    "                db.Open();\n"
    "                probe.ExecuteScalar();\n"
    "            }\n"
    '            context.Response.Write("{\\"status\\":\\"healthy\\"}");\n'
    "        }\n"
    "        catch (Exception ex)\n"
    "        {\n"
    "            context.Response.StatusCode = 503;\n"
    '            context.Response.Write("{\\"status\\":\\"unhealthy\\",\\"error\\":\\"" + HttpUtility.JavaScriptStringEncode(ex.Message) + "\\"}");\n'
    "        }\n"
    "    }\n"
    "    public bool IsReusable { get { return true; } }\n"
    "}\n"
)

QUIET_PAGES = [
    ("iisadmpwd/change", ".asp", _ASP_PASSWORD_CHANGE_THROUGH_ADSI),
    ("certsrv/finish", ".asp", _ASP_CERTIFICATE_REQUEST_TO_THE_CA),
    ("EwsCheck", ".aspx", _EWS_TEST_PAGE_SIGNS_IN_WITH_TYPED_CREDENTIALS),
    ("users/list", ".aspx", _INLINE_PAGE_LISTS_THE_DIRECTORYS_USERS),
    ("RDWeb/Pages/en-US/banner", ".aspx", _CUSTOMISATION_PAGE_SAVES_POSTED_MESSAGES_TO_ITS_XML),
    ("RDWeb/Pages/en-US/history", ".aspx", _HISTORY_PAGE_CLEARS_ITS_OWN_LOG),
    ("mfa/stayalive", ".ashx", _KEEP_ALIVE_CALLS_A_CONFIGURED_API_WITH_THE_COOKIE),
    ("health", ".ashx", _HEALTH_HANDLER_RUNS_A_FIXED_SELECT),
]

#: One-line variants of the quiet pages that turn them into what the engine must name (so the quiet tests can
#: fail): (name, extension, the sink that must fire, page).
MUTANTS = [
    (
        "iisadmpwd/change-runs-the-new-password",
        ".asp",
        "process",
        _ASP_PASSWORD_CHANGE_THROUGH_ADSI.replace(
            'who.ChangePassword Request.Form("current"), Request.Form("fresh")',
            'CreateObject("WScript.Shell").Run Request.Form("fresh")',
        ),
    ),
    (
        "certsrv/finish-writes-the-request-where-the-form-says",
        ".asp",
        "com-file-write",
        _ASP_CERTIFICATE_REQUEST_TO_THE_CA.replace(
            'Session("Outcome") = outcome',
            'Server.CreateObject("Scripting.FileSystemObject").CreateTextFile(Request.Form("RequestId")).Write Request.Form("Pkcs10")',
        ),
    ),
    (
        "EwsCheck-service-address-from-the-page",
        ".aspx",
        "http-out",
        _EWS_TEST_PAGE_SIGNS_IN_WITH_TYPED_CREDENTIALS.replace(
            'mail.Url = new Uri("https://mail.contoso.example/EWS/Exchange.asmx");',
            'mail.Url = new Uri(Request.Form["ews"]);',
        ),
    ),
    (
        "users/list-directory-path-from-the-query",
        ".aspx",
        "directory-query",
        _INLINE_PAGE_LISTS_THE_DIRECTORYS_USERS.replace(
            'new DirectoryEntry("LDAP://" + System.Configuration.ConfigurationManager.AppSettings["domain"]);',
            'new DirectoryEntry(Request.QueryString["path"]);',
        ),
    ),
    (
        "RDWeb/Pages/en-US/banner-saved-where-the-form-says",
        ".aspx",
        "file-write",
        _CUSTOMISATION_PAGE_SAVES_POSTED_MESSAGES_TO_ITS_XML.replace(
            'string Store() { return Server.MapPath("../config/banner.xml"); }',
            'string Store() { return Server.MapPath(Request.Form["store"]); }',
        ),
    ),
    (
        "RDWeb/Pages/en-US/history-deletes-the-posted-file",
        ".aspx",
        "file-write",
        _HISTORY_PAGE_CLEARS_ITS_OWN_LOG.replace(
            'string log = Server.MapPath("../config/changes.xml");',
            'string log = Request.Form["log"];',
        ),
    ),
    (
        "mfa/stayalive-calls-the-cookies-address",
        ".ashx",
        "http-out",
        _KEEP_ALIVE_CALLS_A_CONFIGURED_API_WITH_THE_COOKIE.replace(
            'string api = System.Configuration.ConfigurationManager.AppSettings["PortalApi"];',
            'string api = context.Request.Cookies["PortalApi"].Value;',
        ),
    ),
    (
        "health-runs-the-querys-sql",
        ".ashx",
        "sql-text",
        _HEALTH_HANDLER_RUNS_A_FIXED_SELECT.replace(
            'new SqlCommand("SELECT 1", db)',
            'new SqlCommand(context.Request.QueryString["probe"], db)',
        ),
    ),
]

test_page_beside_exchange_shape_raises_no_finding = quiet_pages_test(QUIET_PAGES)
test_one_line_variant_of_a_quiet_page_beside_exchange_is_found = sink_found_test(MUTANTS)
test_mutants_change_one_line_each = variants_differ_test(QUIET_PAGES, MUTANTS)
