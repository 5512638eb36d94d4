"""A name that ends in ``Request(`` is not a read of the request (issue 14, helper X46, session 19).

B23 (session 18) found ``EXT_WEBSHELL_Reflection_Loader`` taking the tail of ``Application_OnBeginRequest(``
for ``Request(`` - the request read of classic ASP and VB (``Request("cmd")``) - and narrowed the four rules
of ``webshells.yar`` that share the string to ``\\bRequest``. Eight more strings in six rule files had the
same unanchored ``Request\\s*(...)?[\\[\\(]``: every handler class has ``ProcessRequest(``, every
``Global.asax`` its ``Application_BeginRequest(``, and applications name their own methods ``...Request(``
(``LogRequest(``, ``InsertRequest(``); ``Request.`` also ends ``HttpWebRequest.``. Each now starts a word
(the reflected loaders' two and the COM downloader's were narrowed by X44 the same session).
Per page, own YARA and behaviour over the rule tables and the shared corpus (145 shells, 1,597 benign pages)
were the same before and after.

Each rule below keeps a shell that reads the request and gets a quiet twin: the same page with the read
gone and a name ending in ``Request(`` beside it, raising no finding at all (but the reflected load, which
the behaviour analysis names whatever feeds it) (all written for these tests, doing nothing harmful: fixed
addresses under ``example.invalid``, commands that only print). Every twin set off its rule before.
"""

from __future__ import annotations

from pathlib import Path

from extriage.detections.webfiles import content

from .rule_tables import Page, RuleCase, page_hits, quiet_pages_test, rule_tables

# --- EXT_WEBSHELL_Assembly_Load_By_Reflection: a plugin handler loading its own bytes ---------------
_PLUGIN_LOADER = (
    '<%@ WebHandler Language="C#" Class="PluginHost" %>\n'
    "using System;\n"
    "using System.Configuration;\n"
    "using System.Reflection;\n"
    "using System.Web;\n"
    "\n"
    "public class PluginHost : IHttpHandler\n"
    "{\n"
    "    public bool IsReusable { get { return true; } }\n"
    "\n"
    "    public void ProcessRequest(HttpContext context)\n"
    "    {\n"
    '        byte[] raw = Convert.FromBase64String(ConfigurationManager.AppSettings["reportPlugin"]);\n'
    '        MethodInfo load = typeof(Assembly).GetMethod("Load", new Type[] { typeof(byte[]) });\n'
    "        Assembly plugin = (Assembly)load.Invoke(null, new object[] { raw });\n"
    '        context.Response.Write(plugin.GetName().Name);\n'
    "    }\n"
    "}\n"
)
_PLUGIN_LOADER_SHELL = _PLUGIN_LOADER.replace(
    'ConfigurationManager.AppSettings["reportPlugin"]', 'context.Request.Form["p"]'
)

# --- EXT_WEBSHELL_Compiles_And_Runs_Named_Member: a report handler compiling its own template -------
_REPORT_COMPILER = (
    '<%@ WebHandler Language="C#" Class="ReportHost" %>\n'
    "using System.CodeDom.Compiler;\n"
    "using System.IO;\n"
    "using System.Web;\n"
    "\n"
    "public class ReportHost : IHttpHandler\n"
    "{\n"
    "    public bool IsReusable { get { return false; } }\n"
    "\n"
    "    public void ProcessRequest(HttpContext context)\n"
    "    {\n"
    '        string source = File.ReadAllText(context.Server.MapPath("~/App_Data/report.cs.txt"));\n'
    '        string typeName = "Reports.Monthly", methodName = "Render";\n'
    "        CodeDomProvider provider = CodeDomProvider.CreateProvider(\"CSharp\");\n"
    "        CompilerResults built = provider.CompileAssemblyFromSource(new CompilerParameters(), source);\n"
    "        object report = built.CompiledAssembly.CreateInstance(typeName);\n"
    "        context.Response.Write(report.GetType().GetMethod(methodName).Invoke(report, null));\n"
    "    }\n"
    "}\n"
)
_REPORT_COMPILER_SHELL = _REPORT_COMPILER.replace(
    'File.ReadAllText(context.Server.MapPath("~/App_Data/report.cs.txt"))', 'context.Request["src"]'
)

# --- EXT_WEBSHELL_Page_Acts_As_Typed_Windows_Account: a share browser under the site's service account
_SHARE_BROWSER = (
    '<%@ Page Language="C#" %>\n'
    '<%@ Import Namespace="System.IO" %>\n'
    '<%@ Import Namespace="System.Runtime.InteropServices" %>\n'
    '<%@ Import Namespace="System.Security.Principal" %>\n'
    '<script runat="server">\n'
    '[DllImport("advapi32.dll", SetLastError = true)]\n'
    "static extern bool LogonUser(string user, string domain, string password, int type, int provider,\n"
    "    out IntPtr token);\n"
    'string AccountForRequest(string area) { return area == "hr" ? "svc-hr-share" : "svc-share"; }\n'
    'string DomainForRequest(string area) { return "CORP"; }\n'
    "void Page_Load(object sender, EventArgs e)\n"
    "{\n"
    "    IntPtr token;\n"
    '    LogonUser(AccountForRequest("hr"), DomainForRequest("hr"), SharePassword(), 9, 0, out token);\n'
    "    using (new WindowsIdentity(token).Impersonate())\n"
    "    {\n"
    '        string folder = @"\\\\files\\hr\\forms";\n'
    "        Files.DataSource = Directory.GetFiles(folder);\n"
    "        Files.DataBind();\n"
    "    }\n"
    "}\n"
    'string SharePassword() { return System.Configuration.ConfigurationManager.AppSettings["sharePassword"]; }\n'
    "</script>\n"
    '<asp:Repeater id="Files" runat="server" />\n'
)
_SHARE_BROWSER_SHELL = _SHARE_BROWSER.replace(
    'LogonUser(AccountForRequest("hr"), DomainForRequest("hr"),',
    'LogonUser(Request.Form["u"], Request.Form["d"],',
).replace('@"\\\\files\\hr\\forms"', 'Request.Form["path"]')

# --- EXT_WEBSHELL_Razor_Evaluates_Bound_Code: a dashboard evaluating its stored formulas -------------
_FORMULA_VIEW = (
    "@page\n"
    "@using Microsoft.CodeAnalysis.CSharp.Scripting\n"
    "@model DashboardModel\n"
    "@{\n"
    "    string formula = Model.StoredFormula;\n"
    "    var total = await CSharpScript.EvaluateAsync<decimal>(formula);\n"
    '    Audit.LogRequest("dashboard");\n'
    "}\n"
    "<p>Total: @total</p>\n"
)
_FORMULA_VIEW_SHELL = _FORMULA_VIEW.replace("Model.StoredFormula", 'Request.Form["f"]')

# --- EXT_WEBSHELL_Page_Writes_Server_Page: a setup page writing its health-check handler -------------
_SETUP_PAGE = (
    '<%@ Page Language="C#" %>\n'
    "<script runat=\"server\">\n"
    "void Install_Click(object sender, EventArgs e)\n"
    "{\n"
    '    string ping = "<%@ WebHandler Language=\\"C#\\" Class=\\"Ping\\" %>\\r\\n" +\n'
    '        "public class Ping : System.Web.IHttpHandler { public bool IsReusable { get { return true; } } " +\n'
    '        "public void ProcessRequest(System.Web.HttpContext c) { c.Response.Write(\\"ok\\"); } }";\n'
    '    System.IO.File.WriteAllText(Server.MapPath("~/health/ping.ashx"), ping);\n'
    "}\n"
    "</script>\n"
    '<form runat="server"><asp:Button id="Install" runat="server" OnClick="Install_Click" Text="Install" /></form>\n'
)
_SETUP_PAGE_SHELL = _SETUP_PAGE.replace('c.Response.Write(\\"ok\\")', 'c.Response.Write(c.Request[\\"x\\"])')

# --- EXT_WEBSHELL_SQL_Console: a page logging its own visit ------------------------------------------
_AUDIT_PAGE = (
    '<%@ Page Language="C#" %>\n'
    '<%@ Import Namespace="System.Data.SqlClient" %>\n'
    '<script runat="server">\n'
    "void Page_Load(object sender, EventArgs e)\n"
    "{\n"
    '    using (var conn = new SqlConnection(System.Configuration.ConfigurationManager.ConnectionStrings["audit"].ConnectionString))\n'
    "    using (var cmd = conn.CreateCommand())\n"
    "    {\n"
    '        cmd.CommandText = AuditSql.InsertRequest("price-list");\n'
    "        conn.Open();\n"
    "        cmd.ExecuteNonQuery();\n"
    "    }\n"
    "}\n"
    "</script>\n"
)
_AUDIT_PAGE_SHELL = _AUDIT_PAGE.replace('AuditSql.InsertRequest("price-list")', 'Request.Form["q"]')

# --- EXT_WEBSHELL_COM_Download_To_File: an ASPCOMPAT page caching a fixed rates file -----------------
_RATES_PAGE = (
    '<%@ Page Language="VB" AspCompat="true" %>\n'
    '<script runat="server">\n'
    "Sub SendRatesRequest()\n"
    '    Dim http = Server.CreateObject("WinHttp.WinHttpRequest.5.1")\n'
    '    http.Open("GET", "https://rates.example.invalid/daily.xml", False)\n'
    "    http.Send()\n"
    '    Dim stream = Server.CreateObject("ADODB.Stream")\n'
    "    stream.Type = 1\n"
    "    stream.Open()\n"
    "    stream.Write(http.ResponseBody)\n"
    '    stream.SaveToFile(Server.MapPath("~/App_Data/rates.xml"), 2)\n'
    "End Sub\n"
    "Sub Page_Load()\n"
    "    SendRatesRequest()\n"
    "End Sub\n"
    "</script>\n"
)
_RATES_PAGE_SHELL = _RATES_PAGE.replace('"https://rates.example.invalid/daily.xml"', 'Request("u")')

#: The reflected Assembly.Load twin stays out of the no-finding list: the behaviour analysis names any
#: ``GetMethod("Load")`` call (``reflection-load``, needs no request input), which is the rule's own
#: required string; only the YARA rule's request read is under test for it.
_RULE_ONLY: list[Page] = [("handler-loads-its-configured-plugin-by-reflection", ".ashx", _PLUGIN_LOADER)]
QUIET_PAGES: list[Page] = [
    ("handler-compiles-its-own-report-template", ".ashx", _REPORT_COMPILER),
    ("page-browses-a-share-as-its-service-account", ".aspx", _SHARE_BROWSER),
    ("razor-evaluates-a-stored-formula-and-logs-the-visit", ".cshtml", _FORMULA_VIEW),
    ("setup-page-writes-a-health-check-handler", ".aspx", _SETUP_PAGE),
    ("page-inserts-an-audit-row", ".aspx", _AUDIT_PAGE),
    ("aspcompat-page-caches-a-fixed-rates-file", ".aspx", _RATES_PAGE),
]
_QUIET = {case: (case, ext, page) for case, ext, page in QUIET_PAGES + _RULE_ONLY}

CASES: list[RuleCase] = [
    (
        "EXT_WEBSHELL_Assembly_Load_By_Reflection",
        [("handler-loads-posted-bytes-by-reflection", ".ashx", _PLUGIN_LOADER_SHELL)],
        [_QUIET["handler-loads-its-configured-plugin-by-reflection"]],
    ),
    (
        "EXT_WEBSHELL_Compiles_And_Runs_Named_Member",
        [("handler-compiles-the-requested-source", ".ashx", _REPORT_COMPILER_SHELL)],
        [_QUIET["handler-compiles-its-own-report-template"]],
    ),
    (
        "EXT_WEBSHELL_Page_Acts_As_Typed_Windows_Account",
        [("page-logs-on-as-the-posted-account", ".aspx", _SHARE_BROWSER_SHELL)],
        [_QUIET["page-browses-a-share-as-its-service-account"]],
    ),
    (
        "EXT_WEBSHELL_Razor_Evaluates_Bound_Code",
        [("razor-evaluates-the-posted-formula", ".cshtml", _FORMULA_VIEW_SHELL)],
        [_QUIET["razor-evaluates-a-stored-formula-and-logs-the-visit"]],
    ),
    (
        "EXT_WEBSHELL_Page_Writes_Server_Page",
        [("setup-page-writes-a-request-echo-handler", ".aspx", _SETUP_PAGE_SHELL)],
        [_QUIET["setup-page-writes-a-health-check-handler"]],
    ),
    (
        "EXT_WEBSHELL_SQL_Console",
        [("page-runs-the-posted-query", ".aspx", _AUDIT_PAGE_SHELL)],
        [_QUIET["page-inserts-an-audit-row"]],
    ),
    (
        "EXT_WEBSHELL_COM_Download_To_File",
        [("aspcompat-page-saves-the-requested-address", ".aspx", _RATES_PAGE_SHELL)],
        [_QUIET["aspcompat-page-caches-a-fixed-rates-file"]],
    ),
]

(
    test_request_read_beside_the_name_is_found,
    test_name_ending_in_request_is_not_a_request_read,
    test_request_name_rules_need_a_server_page,
) = rule_tables(CASES)

test_pages_with_request_named_methods_raise_no_finding = quiet_pages_test(QUIET_PAGES)


def test_each_shell_differs_from_its_twin() -> None:
    """A ``replace`` that matched nothing would make the "found" test a test of the quiet twin."""
    assert [rule for rule, shells, quiet in CASES if shells[0][2] == quiet[0][2]] == []


def test_utf16_page_keeps_the_word_start(tmp_path: Path, params: content.ContentParams) -> None:
    """The rules are ``wide`` too: a UTF-16 page reads as the same characters (a twin stays quiet, its
    shell is found)."""
    assert page_hits(tmp_path, "twin.aspx", _AUDIT_PAGE, params, "utf-16") == []
    hits = page_hits(tmp_path, "shell.aspx", _AUDIT_PAGE_SHELL, params, "utf-16")
    assert "EXT_WEBSHELL_SQL_Console" in {h.get("rule") for h in hits}
