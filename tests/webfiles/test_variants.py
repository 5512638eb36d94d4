"""The behaviour analysis holds when a web shell's code is written another way (issue 14).

Each page below is a harmless reproduction written for these tests (targets ``hostname``,
``example.txt``): the same behaviour as a page of ``test_behaviour.py``, spelled the ways real authors
vary their shells - another name for the request, the value carried through properties, builders,
interpolated strings or helpers, type and callable aliases, late binding, line continuations, non-ASCII
names. Every mechanism has benign counterparts: ordinary application code of the same shape that must
stay unflagged. ``bench/webfiles/mutants.py`` and ``mutate_corpus.py`` measure the same mechanisms at
scale.
"""

from __future__ import annotations

import time

import pytest

from extriage.detections.webfiles.behaviour import analyse

CS = '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Diagnostics" %>\n<script runat="server">\n{}\n</script>'
VB = '<%@ Page Language="VB" %>\n<script runat="server">\n{}\n</script>'
JS = '<%@ Page Language="JScript" %>\n<% {} %>'
HANDLER = (
    '<%@ WebHandler Language="C#" Class="H" %>\nusing System.Web;\n{}\npublic class H : IHttpHandler {{\n'
    "  public void ProcessRequest(HttpContext c) {{ {} }}\n  public bool IsReusable {{ get {{ return false; }} }}\n}}"
)
LOAD = "void Page_Load(object s, EventArgs e) {{ {} }}"

# (id, extension, page, sink that must be found)
VARIANTS: list[tuple[str, str, str, str]] = [
    # --- the value carried another way
    ("cs-interpolated-string", ".aspx",
     CS.format(LOAD.format('string v = Request.Form["x"]; Process.Start("hostname", $"{v}");')), "process"),
    ("cs-interpolated-string-nested-quotes", ".aspx",
     CS.format(LOAD.format('System.IO.File.WriteAllText($"{Request.Form["p"]}", "example");')), "file-write"),
    ("cs-this-field", ".aspx",
     CS.format('private string held;\n' + LOAD.format('this.held = Request["x"]; Process.Start("hostname", this.held);')),
     "process"),
    ("cs-property-getter", ".aspx",
     CS.format('string Value { get { return Request.Form["x"]; } }\n' + LOAD.format('Process.Start("hostname", Value);')),
     "process"),
    ("cs-expression-bodied-property", ".aspx",
     CS.format('string Value => Request.Form["x"];\n' + LOAD.format('Process.Start("hostname", Value);')), "process"),
    ("cs-expression-bodied-helper", ".aspx",
     CS.format('string Take() => Request.Headers["X-Token"];\n' + LOAD.format('Process.Start("hostname", Take());')),
     "process"),
    ("cs-stringbuilder", ".aspx",
     CS.format(LOAD.format('var sb = new System.Text.StringBuilder(); sb.Append(Request["x"]); '
                           "new System.Net.WebClient().DownloadString(sb.ToString());")), "http-out"),
    ("cs-session-key", ".aspx",
     CS.format(LOAD.format('Session["k"] = Request.Form["p"]; System.IO.File.WriteAllText(Session["k"].ToString(), "example");')),
     "file-write"),
    ("cs-helper-with-key-argument", ".aspx",
     CS.format('string Take(string k) { return Request.Form[k]; }\n'
               + LOAD.format('var c = new System.Data.SqlClient.SqlCommand(); c.CommandText = Take("q");')), "sql-text"),
    ("cs-format-placeholder-only", ".aspx",
     CS.format(LOAD.format('System.IO.File.WriteAllText(String.Format("{0}", Request["p"]), "example");')), "file-write"),
    ("cs-split-and-trim", ".aspx",
     CS.format(LOAD.format("System.IO.File.WriteAllText(Request[\"p\"].Split('|')[0].Trim(), \"example\");")), "file-write"),
    ("cs-cookie-values", ".aspx",
     CS.format(LOAD.format('new System.Data.SqlClient.SqlCommand(Request.Cookies["a"].Values["b"]).ExecuteNonQuery();')),
     "sql-text"),
    ("cs-non-ascii-local", ".aspx",
     CS.format(LOAD.format('string 命令 = Request.Form["x"]; Process.Start("hostname", 命令);')), "process"),
    ("cs-parameters-over-lines", ".aspx",
     CS.format('void Run(\n    string a,\n    string b) { Process.Start(a, b); }\n'
               + LOAD.format('Run("hostname", Request["x"]);')), "process"),
    ("cs-out-parameter", ".aspx",
     CS.format('void Get(out string v) { v = Request["x"]; }\n'
               + LOAD.format('string c; Get(out c); Process.Start("hostname", c);')), "process"),
    # --- other sources and sinks
    ("cs-user-agent", ".aspx", CS.format(LOAD.format('Process.Start("hostname", Request.UserAgent);')), "process"),
    ("cs-body-is-the-query", ".aspx",
     CS.format(LOAD.format("string q = new System.IO.StreamReader(Request.InputStream).ReadToEnd(); "
                           "new System.Data.SqlClient.SqlCommand(q).ExecuteNonQuery();")), "sql-text"),
    ("cs-copy-to-request-destination", ".aspx",
     CS.format(LOAD.format('System.IO.File.Copy(Server.MapPath("~/example.txt"), Request.Form["to"]);')), "file-copy"),
    ("cs-command-text-initializer", ".aspx",
     CS.format(LOAD.format('var c = new System.Data.SqlClient.SqlCommand { CommandText = Request.Form["q"] };')),
     "sql-text"),
    ("cs-shell-object-run", ".aspx",
     CS.format(LOAD.format('dynamic sh = Activator.CreateInstance(Type.GetTypeFromProgID("WScript.Shell")); '
                           'sh.Run(Request["x"]);')), "shell-object"),
    # --- the request, the type or the callable under another name
    ("cs-request-variable", ".aspx",
     CS.format(LOAD.format('var r = HttpContext.Current.Request; Process.Start("hostname", r.Headers["x"]);')), "process"),
    ("cs-request-base-parameter", ".aspx",
     CS.format('void Run(HttpRequestBase q) { Process.Start("hostname", q["x"]); }'), "process"),
    ("cs-using-type-alias", ".ashx",
     HANDLER.format("using P = System.Diagnostics.Process;", 'P.Start("hostname", c.Request["x"]);'), "process"),
    ("cs-using-command-alias", ".ashx",
     HANDLER.format("using Cmd = System.Data.SqlClient.SqlCommand;", 'new Cmd(c.Request["q"]).ExecuteNonQuery();'),
     "sql-text"),
    ("cs-method-group", ".aspx",
     CS.format(LOAD.format('Func<string, Process> f = Process.Start; f(Request["x"]);')), "process"),
    ("cs-verbatim-identifiers", ".aspx",
     '<%@ Page Language="C#" %>\n<% System.Diagnostics.@Process.@Start("hostname", @Request["x"]); %>', "process"),
    ("cs-type-name-string-concat", ".aspx",
     CS.format(LOAD.format('Type.GetType(string.Concat("System.Diag", "nostics.Process")).GetMethod("Start", '
                           'new Type[] { typeof(string), typeof(string) }).Invoke(null, new object[] { "hostname", '
                           'Request["x"] });')), "process"),
    ("cs-type-name-reversed", ".aspx",
     CS.format(LOAD.format('Type.GetType(new string("ssecorP.scitsongaiD.metsyS".Reverse().ToArray())).GetMethod("Start", '
                           'new Type[] { typeof(string), typeof(string) }).Invoke(null, new object[] { "hostname", '
                           'Request["x"] });')), "process"),
    ("cs-type-name-char-codes-in-parentheses", ".aspx",
     CS.format(LOAD.format('Type.GetType("System.Diagnostics." + (char)(80) + "rocess").GetMethod("Start", '
                           'new Type[] { typeof(string), typeof(string) }).Invoke(null, new object[] { "hostname", '
                           'Request["x"] });')), "process"),
    ("cs-using-static", ".ashx",
     HANDLER.format("using static System.Diagnostics.Process;", 'Start("hostname", c.Request["x"]);'), "process"),
    # --- Visual Basic
    ("vb-line-continuation", ".aspx",
     VB.format('Sub Page_Load()\n  Dim v As String = _\n    Request("x")\n  Shell(v)\nEnd Sub'), "process"),
    ("vb-implicit-continuation-crlf", ".aspx",
     VB.format('Sub Page_Load()\n  System.Diagnostics.Process.Start("hostname",\n    Request("x"))\nEnd Sub').replace(
         "\n", "\r\n"), "process"),
    ("vb-with-block", ".aspx",
     VB.format('Sub Page_Load()\n  Dim p As New System.Diagnostics.ProcessStartInfo()\n  With p\n'
               '    .FileName = "hostname"\n    .Arguments = Request.Form("x")\n  End With\n'
               "  System.Diagnostics.Process.Start(p)\nEnd Sub"), "process"),
    ("vb-property", ".aspx",
     VB.format('ReadOnly Property Value() As String\n  Get\n    Return Request.Form("x")\n  End Get\nEnd Property\n'
               'Sub Page_Load()\n  System.IO.File.WriteAllText(Value, "example")\nEnd Sub'), "file-write"),
    ("vb-callbyname", ".aspx",
     '<%@ Page Language="VB" %>\n<%\nDim p As New System.Diagnostics.Process()\np.StartInfo.FileName = "hostname"\n'
     'CallByName(p.StartInfo, "Arguments", CallType.Let, Request("x"))\np.Start()\n%>', "process"),
    ("vb-byref-parameter", ".aspx",
     VB.format('Sub Take(ByRef v As String)\n  v = Request.Form("x")\nEnd Sub\n'
               'Sub Page_Load()\n  Dim c As String = ""\n  Take(c)\n  Shell(c)\nEnd Sub'), "process"),
    # --- JScript
    ("js-typed-variable", ".aspx", JS.format('var v : String = Request.Item["x"]; eval(v);'), "eval"),
    ("js-eval-alias", ".aspx", JS.format('var run = eval; run(Request.Item["x"]);'), "eval"),
    ("js-function-alias", ".aspx", JS.format('var F = Function; var f = new F(Request.Item["x"]); f();'), "eval"),
    ("js-bracket-member", ".aspx", JS.format('this["ev" + "al"](Request.Item["x"]);'), "eval"),
    # --- behaviours of the same families through other APIs
    ("cs-script-control", ".aspx",
     CS.format(LOAD.format('dynamic sc = Activator.CreateInstance(Type.GetTypeFromProgID("MSScriptControl.ScriptControl")); '
                           'sc.Language = "JScript"; sc.Eval(Request.Form["x"]);')), "script-engine"),
    ("cs-hosted-python", ".aspx",
     CS.format(LOAD.format("var engine = IronPython.Hosting.Python.CreateEngine(); "
                           'engine.Execute(Request.Form["x"]);')), "script-engine"),
    ("cs-binaryformatter-body", ".aspx",
     CS.format(LOAD.format("new System.Runtime.Serialization.Formatters.Binary.BinaryFormatter()"
                           ".Deserialize(Request.InputStream);")), "deserialize"),
    ("cs-losformatter-field", ".aspx",
     CS.format(LOAD.format('new System.Web.UI.LosFormatter().Deserialize(Request.Form["state"]);')), "deserialize"),
    ("cs-xaml-parse", ".aspx",
     CS.format(LOAD.format('System.Windows.Markup.XamlReader.Parse(Request.Form["x"]);')), "deserialize"),
    ("cs-wmi-console", ".aspx",
     CS.format(LOAD.format('var q = new System.Management.ManagementObjectSearcher(Request.Form["wql"]); q.Get();')),
     "wmi-query"),
    ("cs-ldap-filter", ".aspx",
     CS.format(LOAD.format('var d = new System.DirectoryServices.DirectorySearcher(Request.Form["f"]); d.FindAll();')),
     "directory-query"),
    ("cs-kill-process", ".aspx",
     CS.format(LOAD.format('Process.GetProcessById(int.Parse(Request["pid"])).Kill();')), "process-control"),
    ("cs-file-time-changed", ".aspx",
     CS.format(LOAD.format('System.IO.File.SetLastWriteTime(Request.Form["f"], new DateTime(2015, 1, 1));')),
     "file-write"),
    ("cs-zip-extracted-where-asked", ".aspx",
     CS.format(LOAD.format('System.IO.Compression.ZipFile.ExtractToDirectory(Server.MapPath("~/example.zip"), '
                           'Request.Form["to"]);')), "file-copy"),
    ("cs-folder-zipped", ".aspx",
     CS.format(LOAD.format('System.IO.Compression.ZipFile.CreateFromDirectory(Request.Form["d"], '
                           'Server.MapPath("~/example.zip"));')), "file-read"),
    ("cs-raw-sql-through-an-orm", ".aspx",
     CS.format(LOAD.format('using (var db = new ExampleContext()) { db.Database.ExecuteSqlCommand(Request.Form["q"]); }')),
     "sql-text-orm"),
    ("cs-sqlite-command", ".aspx",
     CS.format(LOAD.format('new System.Data.SQLite.SQLiteCommand(Request.Form["q"]).ExecuteNonQuery();')), "sql-text"),
    ("cs-data-helper-command-text", ".aspx",
     '<%@ Page Language="C#" %>\n<% var ds = SqlHelper.ExecuteDataset(Conn, CommandType.Text, Request["sql"]); %>',
     "sql-text"),
    ("cs-data-source-command", ".aspx",
     CS.format(LOAD.format("SqlDataSource1.SelectCommand = TextBox1.Text;")), "sql-text"),
    ("cs-port-probe", ".aspx",
     CS.format(LOAD.format('var t = new System.Net.Sockets.TcpClient(); t.BeginConnect(Request["h"], 445, null, null);')),
     "socket"),
    ("cs-file-opened", ".aspx",
     CS.format(LOAD.format('var f = System.IO.File.Open(Request["f"], System.IO.FileMode.Open);')), "file-read"),
    # --- a call declared in markup, no code at all
    ("markup-object-data-source-process", ".aspx",
     '<%@ Page Language="C#" %>\n<html><body>\n<asp:ObjectDataSource ID="o" runat="server" '
     'TypeName="System.Diagnostics.Process" SelectMethod="Start">\n  <SelectParameters>\n'
     '    <asp:QueryStringParameter Name="fileName" QueryStringField="c" Type="String" />\n'
     "  </SelectParameters>\n</asp:ObjectDataSource>\n<asp:GridView DataSourceID=\"o\" runat=\"server\" />\n"
     "</body></html>", "process"),
    ("markup-object-data-source-file", ".aspx",
     '<%@ Page Language="VB" %>\n<asp:ObjectDataSource runat="server" TypeName="System.IO.File" '
     'SelectMethod="ReadAllText"><SelectParameters><asp:FormParameter Name="path" FormField="p" />'
     "</SelectParameters></asp:ObjectDataSource>", "file-read"),
    ("handler-saved-as-aspx", ".aspx",
     "<%-- a handler --%>\n" + HANDLER.format("", 'System.Diagnostics.Process.Start("hostname", c.Request["x"]);'),
     "process"),
    ("cs-field-updated-with-another-request-value", ".aspx",
     CS.format("string don;\nstring a(string x, string y) { return string.IsNullOrEmpty(x) ? y : x; }\n"
               "void z(string d) { Response.BinaryWrite(System.IO.File.ReadAllBytes(d)); }\n"
               + LOAD.format('don = Request.Form["d"]; string[] parts = Request.Cookies["c"].Value.Split(\'|\'); '
                             "for (int i = 0; i < parts.Length; i++) { don = a(don, parts[i]); } z(don);")), "file-read"),
    # --- Razor pages (ASP.NET Web Pages)
    ("razor-code-block", ".cshtml",
     '@{\n    var c = Request["c"];\n    if (c != null) {\n        System.Diagnostics.Process.Start("hostname", c);\n    }\n}\n'
     '<html><body><form method="post"><input name="c" /></form></body></html>', "process"),
    ("razor-inline-expression", ".cshtml",
     '<pre>@System.Diagnostics.Process.Start("hostname", Request.Form["c"]).Id</pre>', "process"),
    ("razor-functions", ".cshtml",
     '@functions {\n  string Run(string a) { System.IO.File.WriteAllText(a, "example"); return a; }\n}\n<p>@Run(Request["p"])</p>',
     "file-write"),
    ("razor-vb-code-block", ".vbhtml", '@Code\n  Dim c = Request("c")\n  Shell(c)\nEnd Code\n<p>done</p>', "process"),
    ("razor-database-console", ".cshtml",
     '@{ var db = Database.Open("Example"); var rows = db.Query(Request["sql"]); }', "sql-web-pages"),
    ("cs-compile-uploaded-page", ".aspx",
     CS.format(LOAD.format('System.Web.Compilation.BuildManager.CreateInstanceFromVirtualPath(Request["p"], typeof(Page));')),
     "compile"),
]  # fmt: skip

#: Spellings that are the behaviour with no request input needed.
SPELLED: list[tuple[str, str, str, str]] = [
    ("cs-header-secret-gate-with-decoy-404", ".aspx",
     CS.format(LOAD.format('if (Request.Headers["X-Example-Key"] != "0123456789abcdef0123") '
                           "{ Response.StatusCode = 404; Response.End(); return; } Response.Write(1);")),
     "secret-gate"),
    ("cs-machine-keys-shown", ".aspx",
     CS.format(LOAD.format('var k = (System.Web.Configuration.MachineKeySection)System.Web.Configuration.'
                           'WebConfigurationManager.GetSection("system.web/machineKey"); '
                           "Response.Write(k.ValidationKey + k.DecryptionKey);")), "machine-keys"),
    ("cs-upload-path-built-in-locals", ".aspx",
     CS.format(LOAD.format('string n = System.IO.Path.GetFileName(Up.FileName);\nstring p = Server.MapPath("./") + n;\n'
                           "Up.SaveAs(p);")), "upload-to-app-root"),
    ("cs-upload-to-a-relative-folder-literal", ".aspx",
     CS.format(LOAD.format('Up.SaveAs(".\\\\" + Up.FileName);')), "upload-to-app-root"),
    ("cs-c-runtime-system", ".aspx",
     CS.format('[System.Runtime.InteropServices.DllImport("msvcrt.dll")] static extern int system(string c);'),
     "pinvoke"),
    ("vb-script-control-progid", ".aspx",
     '<%@ Page Language="VB" %>\n<% Dim sc = CreateObject("MSScriptControl.ScriptControl") %>', "com-shell"),
]  # fmt: skip

# (id, extension, page): ordinary application code of the same shapes
BENIGN: list[tuple[str, str, str]] = [
    ("cs-system-text-is-no-control", ".aspx",
     CS.format(LOAD.format('byte[] b = { 104, 105 }; '
                           'Process.Start("hostname", System.Text.Encoding.UTF8.GetString(b));'))),
    ("cs-interpolated-path-in-a-folder", ".aspx",
     CS.format(LOAD.format('System.IO.File.WriteAllText(Server.MapPath($"~/data/{Request["n"]}.txt"), "example");'))),
    ("cs-interpolated-query-text", ".aspx",
     CS.format(LOAD.format('var c = new System.Data.SqlClient.SqlCommand(); '
                           'c.CommandText = $"select name from items where id = {Request["id"]}";'))),
    ("cs-format-with-text", ".aspx",
     CS.format(LOAD.format('System.IO.File.WriteAllText(Server.MapPath(String.Format("~/files/{0}.txt", Request["n"])), "x");'))),
    ("cs-stringbuilder-query", ".aspx",
     CS.format(LOAD.format('var sb = new System.Text.StringBuilder(); sb.Append("select name from items where id = "); '
                           'sb.Append(Request["id"]); var c = new System.Data.SqlClient.SqlCommand(); c.CommandText = sb.ToString();'))),
    ("cs-list-of-values-then-fixed-query", ".aspx",
     CS.format(LOAD.format('var l = new List<string>(); l.Add(Request["a"]); '
                           'var c = new System.Data.SqlClient.SqlCommand("select 1"); c.Parameters.AddWithValue("@a", l[0]);'))),
    ("cs-user-agent-checked", ".aspx",
     CS.format(LOAD.format('if (Request.UserAgent.Contains("MSIE")) Response.Redirect("~/old.aspx");'))),
    ("cs-user-agent-logged", ".aspx",
     CS.format(LOAD.format('var c = new System.Data.SqlClient.SqlCommand(); '
                           'c.CommandText = "insert into visits values (\'" + Request.UserAgent + "\')";'))),
    ("cs-upload-saved-in-a-folder", ".aspx",
     CS.format(LOAD.format('HttpPostedFile f = Request.Files[0]; string folder = Server.MapPath("~/uploads/"); '
                           "f.SaveAs(folder + System.IO.Path.GetFileName(f.FileName));"))),
    ("cs-copy-to-an-application-folder", ".aspx",
     CS.format(LOAD.format('System.IO.File.Copy(Server.MapPath("~/templates/a.docx"), '
                           'Server.MapPath("~/out/" + Request["n"] + ".docx"));'))),
    ("cs-request-variable-shown", ".aspx",
     CS.format(LOAD.format('HttpRequest r = Request; Response.Write(Server.HtmlEncode(r["name"]));'))),
    ("cs-using-alias-fixed-command", ".ashx",
     HANDLER.format("using Cmd = System.Data.SqlClient.SqlCommand;",
                    'var q = new Cmd("select name from items where id = @id"); q.Parameters.AddWithValue("@id", c.Request["id"]);')),
    ("cs-session-shown", ".aspx",
     CS.format(LOAD.format('Session["name"] = Request.Form["name"]; Response.Write(Server.HtmlEncode(Session["name"].ToString()));'))),
    ("cs-property-of-a-fixed-path", ".aspx",
     CS.format('string Folder => Server.MapPath("~/data/");\n'
               + LOAD.format('System.IO.File.WriteAllText(Folder + "example.txt", Request.Form["text"]);'))),
    ("vb-with-block-on-a-label", ".aspx",
     VB.format('Sub Page_Load()\n  With Label1\n    .Text = Server.HtmlEncode(Request.Form("name"))\n  End With\nEnd Sub')),
    ("vb-continued-query-with-text", ".aspx",
     VB.format('Sub Page_Load()\n  Dim cmd As New System.Data.SqlClient.SqlCommand()\n'
               '  cmd.CommandText = "select name from items where id = " & _\n    Request("id")\nEnd Sub')),
    ("vb-byval-parameter-set-inside", ".aspx",
     VB.format('Sub Take(ByVal v As String)\n  v = Request.Form("x")\nEnd Sub\n'
               'Sub Page_Load()\n  Dim c As String = "hostname"\n  Take(c)\n  Shell(c)\nEnd Sub')),
    ("js-eval-of-a-literal", ".aspx", JS.format('var run = eval; run("1 + 1");')),
    ("cs-value-put-in-a-folder-later", ".aspx",
     CS.format(LOAD.format('string p = Request["n"]; p = Server.MapPath("~/files/") + p; '
                           'System.IO.File.WriteAllText(p, "example");'))),
    ("cs-posted-template-filled-with-application-values", ".ashx",
     HANDLER.format("", 'string sql = c.Request["code"].Trim(); sql = sql.Replace("[USER]", UserCode); '
                        'new Npgsql.NpgsqlCommand(sql, Connection).ExecuteNonQuery();')),
    ("cs-data-helper-query-with-text", ".aspx",
     '<%@ Page Language="C#" %>\n<% var ds = SqlHelper.ExecuteDataset(Conn, CommandType.Text, '
     '"select name from items where id = " + Request["id"]); %>'),
    ("razor-upload-into-app-data", ".cshtml",
     '@{\n  if (IsPost) {\n    var f = Request.Files[0];\n    var name = Path.GetFileName(f.FileName);\n'
     '    f.SaveAs(Server.MapPath("~/App_Data/uploads/" + name));\n  }\n}\n'
     '<form method="post" enctype="multipart/form-data"><input type="file" name="f" /></form>'),
    ("razor-greeting", ".cshtml",
     '@{ var name = Request["name"]; }\n<p>Hello @name, it\'s @DateTime.Now</p>\n<a href="http://example.com/a?b=@name">a</a>'),
    ("razor-query-with-parameters", ".cshtml",
     '@{ var db = Database.Open("Example"); var rows = db.Query("SELECT * FROM Items WHERE Id = @0", Request["id"]); }\n'
     "@foreach (var r in rows) { <p>@r.Name</p> }"),
    ("markup-object-data-source-of-the-application", ".aspx",
     '<%@ Page Language="C#" %>\n<asp:ObjectDataSource ID="o" runat="server" TypeName="Shop.ProductRepository" '
     'SelectMethod="GetByCategory">\n<SelectParameters><asp:QueryStringParameter Name="cat" QueryStringField="cat" />'
     "</SelectParameters>\n</asp:ObjectDataSource>"),
    ("cs-upload-path-in-locals-into-uploads", ".aspx",
     CS.format(LOAD.format('string n = System.IO.Path.GetFileName(Up.FileName);\nstring p = Server.MapPath("~/uploads/") + n;\n'
                           "Up.SaveAs(p);"))),
    ("cs-upload-into-a-subfolder-of-the-page", ".aspx",
     CS.format(LOAD.format('string p = Server.MapPath("./") + "docs/" + Up.FileName;\nUp.SaveAs(p);'))),
    ("cs-upload-renamed-into-app-data", ".aspx",
     CS.format(LOAD.format('string p = Server.MapPath("~/App_Data/") + Guid.NewGuid().ToString("N");\nUp.SaveAs(p);'))),
    ("cs-page-folder-path-only-read", ".aspx",
     CS.format(LOAD.format('string p = Server.MapPath("./") + Up.FileName;\nvar t = System.IO.File.ReadAllText(p);'))),
    ("cs-api-key-checked-with-401", ".aspx",
     CS.format(LOAD.format('if (Request.Headers["X-Api-Key"] != "0123456789abcdef0123") '
                           "{ Response.StatusCode = 401; Response.End(); }"))),
    ("cs-missing-item-answers-404", ".aspx",
     CS.format(LOAD.format('if (Request["id"] == null) { Response.StatusCode = 404; return; } '
                           'if (Request.Headers["Accept"] == "application/json") Response.ContentType = "application/json";'))),
    ("cs-databinder-eval", ".aspx",
     '<%@ Page Language="C#" %>\n<asp:Repeater runat="server"><ItemTemplate><%# Eval("Name") %> '
     '<%# DataBinder.Eval(Container.DataItem, "Price") %></ItemTemplate></asp:Repeater>'),
    ("cs-json-body-to-a-class", ".aspx",
     CS.format(LOAD.format("var body = new System.IO.StreamReader(Request.InputStream).ReadToEnd(); "
                           "var o = new System.Web.Script.Serialization.JavaScriptSerializer().Deserialize<Order>(body);"))),
    ("cs-own-state-deserialized", ".aspx",
     CS.format(LOAD.format('var f = new System.Web.UI.LosFormatter(); object st = f.Deserialize(HiddenState.Value);'))),
    ("cs-fixed-wmi-query", ".aspx",
     CS.format(LOAD.format('var q = new System.Management.ManagementObjectSearcher("select FreeSpace from Win32_LogicalDisk");'))),
    ("cs-ldap-lookup-of-a-user", ".aspx",
     CS.format(LOAD.format('var d = new System.DirectoryServices.DirectorySearcher("(sAMAccountName=" + Request["u"] + ")");'))),
    ("cs-own-process", ".aspx",
     CS.format(LOAD.format('Label1.Text = Process.GetCurrentProcess().WorkingSet64.ToString();'))),
    ("cs-upload-unzipped-into-a-folder", ".aspx",
     CS.format(LOAD.format('System.IO.Compression.ZipFile.ExtractToDirectory(Server.MapPath("~/up/a.zip"), '
                           'Server.MapPath("~/up/" + Request["n"]));'))),
    ("cs-orm-query-with-parameters", ".aspx",
     CS.format(LOAD.format('using (var db = new ExampleContext()) { db.Database.ExecuteSqlCommand('
                           '"delete from carts where id = @p0", Request["id"]); }'))),
]  # fmt: skip


@pytest.mark.parametrize(("name", "ext", "page", "sink"), VARIANTS, ids=[v[0] for v in VARIANTS])
def test_variant_is_found(name: str, ext: str, page: str, sink: str) -> None:
    hits = analyse(page.encode("utf-8"), ext).hits
    assert sink in {h["sink"] for h in hits}, (name, hits)
    hit = next(h for h in hits if h["sink"] == sink)
    assert hit.get("source"), hit  # found as request input reaching the sink, not by its spelling alone


@pytest.mark.parametrize(("name", "ext", "page", "sink"), SPELLED, ids=[v[0] for v in SPELLED])
def test_spelled_behaviour_is_found(name: str, ext: str, page: str, sink: str) -> None:
    assert sink in {h["sink"] for h in analyse(page.encode("utf-8"), ext).hits}, name


@pytest.mark.parametrize(("name", "ext", "page"), BENIGN, ids=[b[0] for b in BENIGN])
def test_ordinary_code_of_the_same_shape_is_not_flagged(name: str, ext: str, page: str) -> None:
    assert analyse(page.encode("utf-8"), ext).hits == [], name


def test_continued_lines_keep_the_file_line_numbers() -> None:
    page = VB.format('Sub Page_Load()\n  Dim v As String = _\n    Request("x")\n  Shell(v)\nEnd Sub')
    hit = next(h for h in analyse(page.encode(), ".aspx").hits if h["sink"] == "process")
    assert page.split("\n")[hit["line"] - 1].strip() == "Shell(v)"
    assert hit["source_line"] in (4, 5)  # the statement starts on line 4 and ends on line 5


def test_interpolated_string_keeps_the_file_line_numbers() -> None:
    page = CS.format(
        'void Page_Load(object s, EventArgs e) {\n  string v = Request.Form["x"];\n'
        '  var t = $@"a\n{v}";\n  Process.Start("hostname", t);\n}'
    )
    hit = next(h for h in analyse(page.encode(), ".aspx").hits if h["sink"] == "process")
    assert page.split("\n")[hit["line"] - 1].strip() == 'Process.Start("hostname", t);'


def test_thousands_of_request_names_stay_within_the_time_budget() -> None:
    # every source was scanned for every expression (quadratic; minutes past a 5 s budget before)
    body = "".join(f'HttpRequest r{i} = Request;\nx = r{i}["a"];\n' for i in range(4000))
    page = f'<%@ Page Language="C#" %>\n<%\n{body}System.Diagnostics.Process.Start(x);\n%>'
    t0 = time.thread_time()
    found = analyse(page.encode(), ".aspx", budget=2.0)
    assert time.thread_time() - t0 < 4.0
    assert found.problem or "process" in {h["sink"] for h in found.hits}


def test_thousands_of_builder_calls_stay_within_the_time_budget() -> None:
    body = "".join(f'l{i % 50}.Add(Request["x{i}"]);\n' for i in range(8000))
    page = f'<%@ Page Language="C#" %>\n<%\n{body}System.Diagnostics.Process.Start("hostname", l1[0]);\n%>'
    t0 = time.thread_time()
    found = analyse(page.encode(), ".aspx", budget=2.0)
    assert time.thread_time() - t0 < 4.0
    assert found.problem or "process" in {h["sink"] for h in found.hits}


def test_page_screen_stays_a_dfa(capfd: pytest.CaptureFixture[str]) -> None:
    # RE2 falls back to a slow path, and logs, when the one-automaton screen of every sink grows past
    # its memory (long bounded repetitions of Unicode word classes did: use "prefilter: context")
    from extriage.detections.webfiles.behaviour import knowledge, prefilter_hits

    text = ('var x = Request.Form["a"]; // 命令 ' + "é" * 40 + "\n") * 4000
    for automaton in knowledge().prefilter.values():
        prefilter_hits(automaton, text)
    assert "DFA out of memory" not in capfd.readouterr().err
