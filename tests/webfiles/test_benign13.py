"""Hard negatives met in a second unseen benign set, kept silent (issue 14, helper B2).

A second benign set (``/tmp/benign13``, never in the project; BENCHMARKS.md, "False positives on unseen
benign applications II") was measured on first sight batch by batch. It raised no false positive of our
own rules: every flagged file held a real shell capability (SQL consoles, open proxies, request-named
reflection, request-path file reads and writes, a tracert page driving WScript.Shell with the request's
address, a LosFormatter fed the posted view state). No rule or engine change was made from it.

The pages below are written for these tests (no line is copied from the applications) in the shapes of
the set's benign files that sit closest to a shell - request bytes written to a file whose name the code
makes, a delete of a path the page bound itself (``CommandArgument``), a converter fed on its standard
input, a PUT body saved over a fixed data file, a JavaScript packer tool, a machine key generator, an
identity page reading properties through reflection - and must raise no finding at all; next to them the
capability shapes that must stay found. Nothing is compiled or run.
"""

from __future__ import annotations

from .rule_tables import Page, quiet_pages_test, sink_found_test

#: Benign pages of the set's closest shapes: no YARA rule and no behaviour sink may fire on them.
QUIET_PAGES: list[Page] = [
    (
        "canvas-image-under-a-time-name",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.IO" %>\n'
        '<%@ Import Namespace="System.Web.Services" %>\n<script runat="server">\n'
        '    static string folder = @"D:\\Sites\\Drawings\\";\n'
        "    [WebMethod]\n    public static void SaveDrawing(string pngBase64) {\n"
        '        string target = folder + DateTime.Now.Ticks.ToString() + ".png";\n'
        "        using (var fs = new FileStream(target, FileMode.Create))\n"
        "        using (var bw = new BinaryWriter(fs)) {\n"
        "            bw.Write(Convert.FromBase64String(pngBase64));\n        }\n    }\n</script>",
    ),
    (
        "camera-snapshot-body-to-own-name",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.IO" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '    string name = Server.MapPath("snapshots") + "\\\\" + DateTime.Now.ToString("yyyyMMddHHmmss") + ".jpg";\n'
        "    byte[] body = new byte[Request.InputStream.Length];\n"
        "    Request.InputStream.Read(body, 0, body.Length);\n"
        "    using (FileStream fs = new FileStream(name, FileMode.Create)) { fs.Write(body, 0, body.Length); }\n"
        '    Response.Write("saved");\n}\n</script>',
    ),
    (
        "grid-delete-of-a-bound-path",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.IO" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        "    if (!IsPostBack) {\n"
        '        Files.DataSource = Directory.GetFiles(Server.MapPath("~/Handouts/"));\n'
        "        Files.DataBind();\n    }\n}\n"
        "protected void RemoveHandout(object sender, EventArgs e) {\n"
        "    string chosen = ((LinkButton)sender).CommandArgument;\n"
        "    File.Delete(chosen);\n    Response.Redirect(Request.RawUrl);\n}\n</script>\n"
        '<form runat="server"><asp:GridView ID="Files" runat="server" /></form>',
    ),
    (
        "pdf-converter-fed-on-stdin",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="Pdf" %>\nusing System.Diagnostics;\nusing System.IO;\n'
        "using System.Web;\npublic class Pdf : IHttpHandler {\n"
        '    const string Tool = @"C:\\Tools\\htmltopdf\\htmltopdf.exe";\n'
        "    public void ProcessRequest(HttpContext context) {\n"
        '        string html = File.ReadAllText(context.Server.MapPath("~/App_Data/report.html"));\n'
        '        var psi = new ProcessStartInfo(Tool, "- -") { UseShellExecute = false,\n'
        "            RedirectStandardInput = true, RedirectStandardOutput = true };\n"
        "        Process p = Process.Start(psi);\n"
        "        StreamWriter feed = p.StandardInput;\n        feed.Write(html);\n        feed.Close();\n"
        '        context.Response.ContentType = "application/pdf";\n'
        "        p.StandardOutput.BaseStream.CopyTo(context.Response.OutputStream);\n    }\n"
        "    public bool IsReusable { get { return false; } }\n}",
    ),
    (
        "put-body-over-a-fixed-data-file",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="Formula" %>\nusing System.IO;\nusing System.Web;\n'
        "public class Formula : IHttpHandler {\n"
        "    public void ProcessRequest(HttpContext context) {\n"
        '        string store = context.Server.MapPath("~/App_Data/formulas/current.mml");\n'
        '        if (context.Request.HttpMethod == "PUT") {\n'
        "            var reader = new StreamReader(context.Request.InputStream);\n"
        "            StreamWriter outFile = File.CreateText(store);\n"
        "            outFile.Write(reader.ReadToEnd());\n            outFile.Close();\n"
        "        } else { context.Response.TransmitFile(store); }\n    }\n"
        "    public bool IsReusable { get { return false; } }\n}",
    ),
    (
        "javascript-packer-tool-page",
        ".aspx",
        '<%@ Page Language="C#" %>\n<html><body>\n<textarea id="src"></textarea>\n<script>\n'
        "function pack() {\n  var s = document.getElementById('src').value;\n"
        "  document.getElementById('src').value = \"eval(function(p,a,c,k,e,d){e=function(c){return c.toString(36)};\"\n"
        "    + \"while(c--)if(k[c])p=p.replace(new RegExp('\\\\\\\\b'+e(c)+'\\\\\\\\b','g'),k[c]);return p}('\" + s + \"'))\";\n"
        "}\nfunction runIt() { eval(document.getElementById('src').value); }\n</script>\n"
        '<button onclick="pack()">pack</button><button onclick="runIt()">run</button>\n</body></html>',
    ),
    (
        "machine-key-generator",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Security.Cryptography" %>\n'
        '<%@ Import Namespace="System.Text" %>\n<script runat="server">\n'
        "string Hex(int bytes) {\n    var b = new byte[bytes];\n"
        "    new RNGCryptoServiceProvider().GetBytes(b);\n    var sb = new StringBuilder();\n"
        '    foreach (var x in b) sb.Append(x.ToString("X2"));\n    return sb.ToString();\n}\n'
        "protected void Make(object s, EventArgs e) {\n"
        '    KeyText.Text = "<machineKey validationKey=\\"" + Hex(64) + "\\" decryptionKey=\\"" + Hex(32)\n'
        '        + "\\" validation=\\"HMACSHA256\\" decryption=\\"AES\\" />";\n}\n</script>\n'
        '<form runat="server"><asp:Button runat="server" OnClick="Make" Text="New keys" />\n'
        '<asp:Label ID="KeyText" runat="server" /></form>',
    ),
    (
        "identity-page-reading-properties",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Reflection" %>\n<script runat="server">\n'
        "void Show(object who) {\n"
        "    foreach (PropertyInfo prop in who.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)) {\n"
        "        MethodInfo getter = prop.GetGetMethod();\n"
        "        object value = getter.Invoke(who, null);\n"
        '        Response.Write(Server.HtmlEncode(prop.Name + " = " + value) + "<br/>");\n    }\n}\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '    Response.Write("Auth type: " + Server.HtmlEncode(Request.ServerVariables["AUTH_TYPE"]) + "<br/>");\n'
        "    Show(System.Security.Principal.WindowsIdentity.GetCurrent());\n}\n</script>",
    ),
]

#: (case, extension, page, sink): capability shapes of the set's flagged files - found before, found after.
CAPABILITIES: list[tuple[str, str, str, str]] = [
    (
        "trace-route-through-wscript-shell",
        ".aspx",
        '<%@ Page Language="VB" AspCompat="true" %>\n<script runat="server">\n'
        "Sub Page_Load(ByVal s As Object, ByVal e As EventArgs)\n"
        '    Dim target As String = Request.QueryString("host")\n'
        '    Dim sh = Server.CreateObject("WScript.Shell")\n'
        '    sh.Run("%ComSpec% /c tracert " & target & " > " & Server.MapPath("trace.txt"), 0, True)\nEnd Sub\n'
        "</script>",
        "shell-object",
    ),
    (
        "web-service-saving-sent-bytes",
        ".asmx",
        '<%@ WebService Language="C#" Class="Store" %>\nusing System.IO;\nusing System.Web.Services;\n'
        "public class Store : WebService {\n"
        "    [WebMethod]\n    public void Put(byte[] data, string name) {\n"
        '        File.WriteAllBytes(Path.Combine(@"D:\\Drop", Path.GetFileName(name)), data);\n    }\n}',
        "file-write-content",
    ),
    (
        "posted-view-state-deserialized",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "protected override object LoadPageStateFromPersistenceMedium() {\n"
        '    string posted = Request.Form["__PACKEDSTATE"];\n'
        "    return new LosFormatter().Deserialize(posted);\n}\n</script>",
        "deserialize",
    ),
    (
        "fetch-any-address",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Net" %>\n<%@ Import Namespace="System.IO" %>\n'
        '<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        '    var req = WebRequest.Create(Request.QueryString["u"]);\n'
        "    using (var r = new StreamReader(req.GetResponse().GetResponseStream())) "
        "{ Response.Write(r.ReadToEnd()); }\n}\n</script>",
        "http-out",
    ),
]


test_benign_shape_raises_no_finding = quiet_pages_test(QUIET_PAGES)


test_capability_shape_still_raises_its_sink = sink_found_test([(c, e, s, p) for c, e, p, s in CAPABILITIES])
