"""Behaviour analysis of ASP.NET server code on harmless reproductions of web shell behaviours.

Each page below is written for these tests: it has the *code shape* of a web shell behaviour (request
input reaching a process start, an eval, a file write, ...) but targets harmless names (``hostname``,
``example.txt``, ``127.0.0.1``) and is never run. They are not copies of real shells.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from extriage.detections.webfiles.behaviour import analyse, extract, knowledge

# (id, extension, page, sink ids any of which must be found, language)
SHELLS: list[tuple[str, str, str, set[str], str]] = [
    # --- file writers and uploaders
    (
        "cs-file-write-form",
        ".aspx",
        '<%@ Page Language="C#" %>\n<% System.IO.File.WriteAllText(Request.Form["path"], Request.Form["text"]); %>',
        {"file-write"},
        "C#",
    ),
    (
        "vb-streamwriter",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\nSub Page_Load()\n'
        '  Dim target As String = Request.Form("p")\n'
        '  Dim w As New System.IO.StreamWriter(target)\n  w.Write("example")\n  w.Close()\nEnd Sub\n</script>',
        {"file-write"},
        "VB",
    ),
    (
        "cs-upload-saveas-path-from-request",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\nif (Request.Files.Count > 0) {\n'
        '    string dest = Request["dest"];\n    Request.Files[0].SaveAs(dest);\n}\n%>',
        {"file-write"},
        "C#",
    ),
    (
        "cs-write-request-content-into-named-file",
        ".aspx",
        '<%@ Page Language="C#" %>\n<% System.IO.File.WriteAllText(Server.MapPath("~/") + Request["n"], '
        'Request.Form["c"]); %>',
        {"file-write-content"},
        "C#",
    ),
    (
        "cs-upload-into-request-folder",
        ".aspx",
        '<%@ Page Language="C#" %>\n<% Request.Files[0].SaveAs(Server.MapPath(".") + "\\\\" + Request["name"]); %>',
        {"upload-to-request-path"},
        "C#",
    ),
    # --- command execution
    (
        "cs-processstartinfo-variable",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        '    string tool = Request.QueryString["t"];\n'
        "    var psi = new System.Diagnostics.ProcessStartInfo();\n"
        '    psi.FileName = tool;\n    psi.Arguments = "/?";\n'
        "    System.Diagnostics.Process.Start(psi);\n}\n</script>",
        {"process"},
        "C#",
    ),
    (
        "cs-process-start-two-args",
        ".aspx",
        '<%@ Page Language="C#" %><% System.Diagnostics.Process.Start("hostname", Request["a"]); %>',
        {"process"},
        "C#",
    ),
    (
        "vb-shell",
        ".aspx",
        '<%@ Page Language="VB" %>\n<% Shell(Request.Item("c")) %>',
        {"process"},
        "VB",
    ),
    (
        "vb-wscript-shell-com",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%\nDim o = CreateObject("WScript.Shell")\n%>',
        {"com-shell"},
        "VB",
    ),
    (
        "js-shell-application",
        ".aspx",
        '<%@ Page Language="JScript" %>\n<% var sh = new ActiveXObject("Shell.Application"); %>',
        {"com-shell"},
        "JScript",
    ),
    (
        "cs-powershell-runspace",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load() {\n'
        "  var rs = System.Management.Automation.Runspaces.RunspaceFactory.CreateRunspace();\n"
        "  var ps = System.Management.Automation.PowerShell.Create();\n"
        '  ps.AddScript(Request.Form["s"]);\n}\n</script>',
        {"powershell", "powershell-host"},
        "C#",
    ),
    (
        "cs-powershell-embedded-compressed-script",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Management.Automation.Runspaces" %>\n<%\n'
        "var rs = RunspaceFactory.CreateRunspace();\nrs.Open();\n"
        'var pipe = rs.CreatePipeline(Unpack("H4sIAAAAAAAAAwMAAAAAAAAAAAA="));\n%>',
        {"powershell-host"},
        "C#",
    ),
    (
        "js-request-object-alias",
        ".aspx",
        '<%@ Page Language="JScript" %><% var r = Request; var v = r.Item["x"]; eval(v); %>',
        {"eval"},
        "JScript",
    ),
    # --- JScript eval variants
    (
        "js-eval-alias-unsafe",
        ".aspx",
        '<%@ Page Language="Jscript" %>\n<%\nvar k = Request.Item["x"];\neval(k, "unsafe");\n%>',
        {"eval", "eval-unsafe"},
        "JScript",
    ),
    (
        "js-eval-comments-spacing",
        ".aspx",
        '<%@ Page Language="JScript" %><% eval /* nothing */ ( Request [ "x" ] ) ; %>',
        {"eval"},
        "JScript",
    ),
    (
        "js-eval-split-unsafe",
        ".aspx",
        '<%@ Page Language="JScript" %><% var q = Request.Form("z"); eval(q, "un" + "sa" + "fe"); %>',
        {"eval", "eval-unsafe"},
        "JScript",
    ),
    (
        "js-function-constructor",
        ".aspx",
        '<%@ Page Language="JScript" %><% var f = new Function(Request.Params["b"]); f(); %>',
        {"eval"},
        "JScript",
    ),
    (
        "js-eval-unicode-escape-name",
        ".aspx",
        '<%@ Page Language="JScript" %><% \\u0065val(Request["x"]); %>',
        {"eval"},
        "JScript",
    ),
    # --- SQL consoles
    (
        "cs-sqlconnection-from-request",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\nvar conn = new System.Data.SqlClient.SqlConnection(Request.Form["cs"]);\n'
        "conn.Open();\n%>",
        {"sql-connection"},
        "C#",
    ),
    (
        "vb-oledb-command-text",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\nSub Run()\n'
        "  Dim cmd As New System.Data.OleDb.OleDbCommand()\n"
        '  cmd.CommandText = Request.Form("q")\nEnd Sub\n</script>',
        {"sql-text"},
        "VB",
    ),
    (
        "cs-odbc-textbox",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nprotected void Go(object s, EventArgs e) {\n'
        "  using (var c = new System.Data.Odbc.OdbcConnection(txtConn.Text)) { c.Open(); }\n}\n</script>",
        {"sql-connection"},
        "C#",
    ),
    # --- handlers and services (code-only files)
    (
        "ashx-handler-process",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="Probe" %>\nusing System.Web;\n'
        "public class Probe : IHttpHandler {\n"
        "  public void ProcessRequest(HttpContext context) {\n"
        '    string n = context.Request.QueryString["n"];\n'
        "    System.Diagnostics.Process.Start(n);\n  }\n"
        "  public bool IsReusable { get { return false; } }\n}",
        {"process"},
        "C#",
    ),
    (
        "asmx-webmethod-parameter",
        ".asmx",
        '<%@ WebService Language="C#" Class="Svc" %>\nusing System.Web.Services;\n'
        "public class Svc : WebService {\n  [WebMethod]\n  public string Run(string tool) {\n"
        '    System.Diagnostics.Process.Start(tool);\n    return "ok";\n  }\n}',
        {"process"},
        "C#",
    ),
    # --- tunnels and proxies
    (
        "cs-socket-from-headers",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load() {\n'
        '  string host = Request.Headers["X-Target"];\n  int port = int.Parse(Request.Headers["X-Port"]);\n'
        "  var sock = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork,"
        " System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);\n"
        "  sock.Connect(new System.Net.IPEndPoint(System.Net.IPAddress.Parse(host), port));\n}\n</script>",
        {"socket"},
        "C#",
    ),
    (
        "cs-tcpclient",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="T" %>\npublic class T : System.Web.IHttpHandler {\n'
        "  public void ProcessRequest(System.Web.HttpContext ctx) {\n"
        '    var c = new System.Net.Sockets.TcpClient(ctx.Request.Headers["H"], 80);\n  }\n'
        "  public bool IsReusable { get { return true; } }\n}",
        {"socket"},
        "C#",
    ),
    (
        "cs-webrequest-proxy",
        ".aspx",
        '<%@ Page Language="C#" %><% var r = System.Net.WebRequest.Create(Request.QueryString["u"]); %>',
        {"http-out"},
        "C#",
    ),
    (
        "vb-webclient-download",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%\nDim wc As New System.Net.WebClient()\n'
        'Dim s As String = wc.DownloadString(Request("url"))\n%>',
        {"http-out"},
        "VB",
    ),
    (
        "cs-webclient-scheme-plus-host",
        ".aspx",
        '<%@ Page Language="C#" %><% var s = new System.Net.WebClient().DownloadString("http://" + Request["h"]); %>',
        {"http-out"},
        "C#",
    ),
    (
        "cs-write-beside-the-page",
        ".aspx",
        '<%@ Page Language="C#" %><% var w = new System.IO.StreamWriter(Server.MapPath(".") + "\\\\" + Request["f"]); %>',
        {"file-write"},
        "C#",
    ),
    # --- in-memory loaders
    (
        "cs-assembly-load-binaryread",
        ".aspx",
        '<%@ Page Language="C#" %><%\nbyte[] d = Request.BinaryRead(Request.ContentLength);\n'
        'System.Reflection.Assembly.Load(d).CreateInstance("Example");\n%>',
        {"assembly-load"},
        "C#",
    ),
    (
        "cs-assembly-load-xor",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nbyte[] Unmask(byte[] b) {\n'
        "  for (int i = 0; i < b.Length; i++) b[i] ^= 7;\n  return b;\n}\n"
        "void Page_Load() {\n"
        '  var raw = System.Convert.FromBase64String(Request.Form["d"]);\n'
        "  var asm = System.Reflection.Assembly.Load(Unmask(raw));\n}\n</script>",
        {"assembly-load"},
        "C#",
    ),
    (
        "cs-session-assembly-reflection",
        ".aspx",
        '<%@ Page Language="C#" %><%\nif (Session["m"] == null) {\n'
        '  Session["m"] = System.Reflection.Assembly.Load(System.Convert.FromBase64String(Request.Form["p"]));\n'
        '} else {\n  ((System.Reflection.Assembly)Session["m"]).CreateInstance("Example").Equals(Context);\n}\n%>',
        {"assembly-load", "assembly-bytes"},
        "C#",
    ),
    (
        "cs-stream-read-out-param",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="H" %>\npublic class H : System.Web.IHttpHandler {\n'
        "  public void ProcessRequest(System.Web.HttpContext c) {\n"
        "    var s = c.Request.InputStream;\n    var buf = new byte[s.Length];\n"
        "    s.Read(buf, 0, buf.Length);\n    var a = System.Reflection.Assembly.Load(buf);\n  }\n"
        "  public bool IsReusable { get { return false; } }\n}",
        {"assembly-load"},
        "C#",
    ),
    (
        "cs-reflection-load-by-name-charcodes",
        ".aspx",
        '<%@ Page Language="C#" %><%\nvar t = typeof(System.Reflection.Assembly);\n'
        "var m = t.GetMethod(new string(new char[] { (char)76, 'o', 'a', 'd' }), new System.Type[] { typeof(byte[]) });\n"
        'm.Invoke(null, new object[] { System.Convert.FromBase64String(Request["d"]) });\n%>',
        {"reflection-load", "reflection-invoke"},
        "C#",
    ),
    (
        "cs-gettype-by-concatenated-name",
        ".aspx",
        '<%@ Page Language="C#" %><% var t = System.Type.GetType("System.Diag" + "nostics." + "Pro" + "cess"); %>',
        {"reflection-by-name"},
        "C#",
    ),
    (
        "cs-byte-array-name",
        ".aspx",
        '<%@ Page Language="C#" %><% var n = System.Text.Encoding.ASCII.GetString(new byte[] {83,121,115,116,101,109,'
        "46,82,101,102,108,101,99,116,105,111,110,46,65,115,115,101,109,98,108,121});\n"
        "var t = System.Type.GetType(n); %>",
        set(),  # the name is decoded but only a literal reaches GetType: recorded as obfuscation below
        "C#",
    ),
    # --- stubs, Global.asax, modules
    (
        "cs-dropped-class-stub",
        ".aspx",
        '<%@ Page Language="C#" %>\n<% new Contoso.Widgets.Loader("k3y"); %>',
        {"dropped-class"},
        "C#",
    ),
    (
        "global-asax-beginrequest",
        ".asax",
        '<%@ Application Language="C#" %>\n<script runat="server">\n'
        "void Application_BeginRequest(object sender, EventArgs e) {\n"
        '  string c = HttpContext.Current.Request.Headers["X-Example"];\n'
        '  if (c != null) System.Diagnostics.Process.Start("hostname", c);\n}\n</script>',
        {"process"},
        "C#",
    ),
    (
        "httpmodule-backdoor",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="M" %>\npublic class M : System.Web.IHttpModule {\n'
        "  public void Init(System.Web.HttpApplication app) { app.BeginRequest += OnBegin; }\n"
        "  void OnBegin(object sender, System.EventArgs e) {\n"
        "    var app = (System.Web.HttpApplication)sender;\n"
        '    System.IO.File.WriteAllText(app.Request.Form["f"], "example");\n  }\n'
        "  public void Dispose() {}\n}",
        {"file-write"},
        "C#",
    ),
    # --- registry, P/Invoke
    (
        "cs-registry-key-from-request",
        ".aspx",
        '<%@ Page Language="C#" %><% var k = Microsoft.Win32.Registry.LocalMachine.OpenSubKey(Request["k"]); %>',
        {"registry"},
        "C#",
    ),
    (
        "cs-pinvoke",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        '[System.Runtime.InteropServices.DllImport("kernel32.dll")]\nstatic extern System.IntPtr GetCurrentProcess();\n'
        "</script>",
        {"pinvoke"},
        "C#",
    ),
    # --- XSLT and web.config
    (
        "xslt-msxsl-script",
        ".xslt",
        '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"'
        ' xmlns:msxsl="urn:schemas-microsoft-com:xslt" xmlns:u="urn:u">\n'
        '<msxsl:script language="C#" implements-prefix="u"><![CDATA[\n'
        "public string Run(string n) { System.Diagnostics.Process.Start(n); return n; }\n"
        "]]></msxsl:script>\n</xsl:stylesheet>",
        {"process"},
        "C#",
    ),
    # --- eval whose trust option is built in variables (no "unsafe" spelled in the call)
    (
        "js-eval-option-in-variables",
        ".aspx",
        '<script runat="server" language="JScript">\nfunction run(s) {\n  var a = "un";\n  var b = "safe";\n'
        '  var opt = a + b;\n  return eval(s, opt);\n}\n</script>\n<% run("1+1"); %>',
        {"eval-unsafe"},
        "JScript",
    ),
    # --- a handler that writes a script page (no request input of its own: the page it drops has)
    (
        "cs-handler-drops-script-page",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="H" %>\nusing System.IO;\nusing System.Web;\n'
        "public class H : IHttpHandler {\n  public void ProcessRequest(HttpContext c) {\n"
        '    StreamWriter w = File.CreateText(c.Server.MapPath("example.asp"));\n'
        '    w.Write("<%eval request(\\"x\\")%>");\n    w.Close();\n  }\n'
        "  public bool IsReusable { get { return false; } }\n}",
        {"script-dropper"},
        "C#",
    ),
    # --- a page pasted through a word processor: typographic quotes around the language name
    (
        "js-eval-language-in-typographic-quotes",
        ".aspx",
        '<%@ Page Language=\u201dJscript\u201d %><% Response.Write(eval(Request.Item["w"])); %>',
        {"eval"},
        "JScript",
    ),
    # --- a script block that only keeps an instance of a dropped assembly's class in a typed field
    (
        "cs-typed-field-of-dropped-class",
        ".aspx",
        '<script language="C#" runat="server">\nExample.Tools.Runner keep = new Example.Tools.Runner("k");\n</script>',
        {"dropped-class"},
        "C#",
    ),
    # --- a file written where a server control's posted text says
    (
        "cs-fileinfo-path-from-textbox",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Save(object s, EventArgs e) {\n'
        "  System.IO.FileInfo f = new System.IO.FileInfo(PathBox.Text);\n"
        "  System.IO.StreamWriter w = f.CreateText();\n  w.Write(BodyBox.Text);\n  w.Close();\n}\n</script>",
        {"file-write"},
        "C#",
    ),
    (
        "web-config-with-code",
        ".config",
        '<?xml version="1.0"?>\n<configuration>\n<system.webServer/>\n</configuration>\n'
        '<!-- <% Response.Write(CreateObject("WScript.Shell").Exec("hostname").StdOut.ReadAll()) %> -->',
        {"com-shell"},
        "C#",
    ),
    # --- found missing on the unseen set of 2026-12-05 (helper X): the behaviours, not the samples
    (
        "cs-proxy-to-request-chosen-host-with-query",  # the address starts with request input
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n  string host = Request.Form["h"];\n  string path = Request.Form["p"];\n'
        "  string target = host + path;\n"
        '  var req = System.Net.WebRequest.Create(target + "?" + Request.QueryString["q"]);\n'
        "  req.GetResponse();\n%>",
        {"http-out"},
        "C#",
    ),
    (
        "ashx-writes-include-directive-into-page",  # a dropped page pulls another page into itself
        ".ashx",
        '<%@ WebHandler Language="C#" Class="H" %>\nusing System.IO;\nusing System.Web;\n'
        "public class H : IHttpHandler {\n  public void ProcessRequest(HttpContext c) {\n"
        '    StreamWriter w = File.CreateText(c.Server.MapPath("example.aspx"));\n'
        '    w.Write("<!--#include file=\\"other.aspx\\" -->");\n    w.Close();\n  }\n'
        "  public bool IsReusable { get { return false; } }\n}",
        {"script-dropper"},
        "C#",
    ),
    (
        "cs-scans-folders-for-write-access",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Scan(System.IO.DirectoryInfo d) {\n'
        "  foreach (var sub in d.GetDirectories()) Scan(sub);\n"
        "  try {\n"
        '    System.IO.File.Create(d.FullName + "\\\\probe.tmp").Close();\n'
        '    System.IO.File.Delete(d.FullName + "\\\\probe.tmp");\n'
        "  } catch { }\n}\n</script>",
        {"write-probe"},
        "C#",
    ),
    (
        "cs-walks-every-registry-hive",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n  var todo = new System.Collections.Stack();\n'
        "  todo.Push(Microsoft.Win32.Registry.LocalMachine);\n  todo.Push(Microsoft.Win32.Registry.CurrentUser);\n"
        "  todo.Push(Microsoft.Win32.Registry.Users);\n"
        "  while (todo.Count > 0) {\n    var k = (Microsoft.Win32.RegistryKey)todo.Pop();\n"
        "    foreach (var n in k.GetSubKeyNames()) todo.Push(k.OpenSubKey(n));\n  }\n%>",
        {"registry-crawl"},
        "C#",
    ),
    (
        "classic-asp-shell-object-with-typo",  # ASP code pasted into .aspx, bracket typo kept
        ".aspx",
        '<%\nSet o = CreateObject("WScript.Shell"]\nSet r = o.Exec("hostname")\nResponse.Write(r.StdOut.ReadAll())\n%>',
        {"com-shell"},
        "VB",  # no directive: VB by its statements
    ),
    (
        "handler-directive-written-with-a-space",  # "<% @ WebHandler": still a directive
        ".ashx",
        '<% @ WebHandler Language="C#" Class="H" %>\nusing System.Web;\n'
        "public class H : IHttpHandler {\n  public void ProcessRequest(HttpContext c) {\n"
        '    System.Diagnostics.Process.Start("hostname", c.Request["a"]);\n  }\n'
        "  public bool IsReusable { get { return false; } }\n}",
        {"process"},
        "C#",
    ),
    (
        "vb-code-in-a-handler-without-directive",  # classic-ASP style code: VB by its statements
        ".ashx",
        '<%\nsize = Request.TotalBytes\nbody = Request.BinaryRead(size)\nFor i = 1 To size\n'
        "  text = text & Chr(AscB(MidB(body, i, 1)))\nNext\nExecute(text)\n%>",
        {"eval"},
        "VB",
    ),
    (
        "url-query-parsed-by-hand-reaches-process",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="H" %>\nusing System.Web;\n'
        "public class H : IHttpHandler {\n  public void ProcessRequest(HttpContext c) {\n"
        "    var u = new System.Uri(c.Request.Url, c.Request.RawUrl);\n"
        '    string a = HttpUtility.ParseQueryString(u.Query).Get("a");\n'
        '    var psi = new System.Diagnostics.ProcessStartInfo("hostname");\n    psi.Arguments = a;\n'
        "    System.Diagnostics.Process.Start(psi);\n  }\n"
        "  public bool IsReusable { get { return false; } }\n}",
        {"process"},
        "C#",
    ),
    (
        "cs-reverse-shell-over-tcp",  # commands read from an outbound socket, output sent back
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        '  var c = new System.Net.Sockets.TcpClient();\n  c.Connect("127.0.0.1", 9);\n'
        "  var io = c.GetStream();\n  var r = new System.IO.StreamReader(io);\n"
        "  var w = new System.IO.StreamWriter(io);\n  string line = r.ReadLine();\n"
        '  var p = new System.Diagnostics.Process();\n  p.StartInfo.FileName = "hostname";\n'
        "  p.StartInfo.Arguments = line;\n  p.StartInfo.UseShellExecute = false;\n"
        "  p.StartInfo.RedirectStandardOutput = true;\n  p.Start();\n"
        "  w.Write(p.StandardOutput.ReadToEnd());\n}\n</script>",
        {"reverse-shell"},
        "C#",
    ),
    (
        "cs-upload-beside-the-page",  # the posted file kept under its own name next to the page
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        "  if (Request.Files.Count != 1) return;\n  HttpPostedFile f = Request.Files[0];\n"
        "  byte[] data = new byte[f.ContentLength];\n  f.InputStream.Read(data, 0, data.Length);\n"
        "  var here = new System.IO.FileInfo(Request.PhysicalPath);\n"
        "  using (var fs = new System.IO.FileStream(System.IO.Path.Combine(here.DirectoryName, "
        "System.IO.Path.GetFileName(f.FileName)), System.IO.FileMode.Create))\n"
        "    fs.Write(data, 0, data.Length);\n}\n</script>",
        {"upload-beside-page"},
        "C#",
    ),
    (
        "cs-upload-root-client-name-given-a-page-extension",  # the fixed extension is itself a page's
        ".ashx",
        '<%@ WebHandler Language="C#" Class="H" %>\nusing System.IO; using System.Web;\n'
        "public class H : IHttpHandler {\n  public bool IsReusable { get { return false; } }\n"
        "  public void ProcessRequest(HttpContext ctx) {\n    HttpPostedFile f = ctx.Request.Files[0];\n"
        '    f.SaveAs(ctx.Server.MapPath("~/") + Path.GetFileNameWithoutExtension(f.FileName) + ".aspx");\n'
        "  }\n}",
        {"upload-to-app-root"},
        "C#",
    ),
    # --- batch raw9 (helper X3) and X4's raw10: behaviours missed on first sight
    (
        "cs-upload-into-application-root",  # the posted file kept under its own name in the site root
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Save(object s, EventArgs e) {\n'
        "  if (FileUpload1.HasFile)\n"
        "    FileUpload1.SaveAs(AppDomain.CurrentDomain.BaseDirectory + FileUpload1.FileName);\n}\n</script>",
        {"upload-to-app-root"},
        "C#",
    ),
    (
        "cs-upload-into-root-folder-held-in-a-variable",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        "  HttpPostedFile f = Request.Files[0];\n  byte[] data = new byte[f.ContentLength];\n"
        "  f.InputStream.Read(data, 0, data.Length);\n"
        '  string folder = Server.MapPath("~/");\n'
        "  using (var fs = new System.IO.FileStream(System.IO.Path.Combine(folder, "
        "System.IO.Path.GetFileName(f.FileName)), System.IO.FileMode.Create))\n"
        "    fs.Write(data, 0, data.Length);\n}\n</script>",
        {"upload-to-app-root"},
        "C#",
    ),
    (
        "cs-handler-writes-downloaded-page",  # a fixed URL's content written as a page beside it
        ".ashx",
        '<%@ WebHandler Language="C#" Class="H" %>\nusing System.Web;\n'
        "public class H : IHttpHandler {\n  public void ProcessRequest(HttpContext c) {\n"
        '    string body = new System.Net.WebClient().DownloadString("https://example.com/page.txt");\n'
        '    System.IO.File.WriteAllText(c.Server.MapPath("example.aspx"), body);\n  }\n'
        "  public bool IsReusable { get { return false; } }\n}",
        {"remote-dropper"},
        "C#",
    ),
    (
        "cs-xslt-with-script-enabled",  # a stylesheet typed into the page, compiled with script on
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Run(object s, EventArgs e) {\n'
        "  var sheet = new System.Xml.XmlDocument();\n  sheet.LoadXml(Input.Text);\n"
        "  var settings = new System.Xml.Xsl.XsltSettings(false, true);\n"
        "  var t = new System.Xml.Xsl.XslCompiledTransform();\n"
        "  t.Load(sheet, settings, null);\n}\n</script>",
        {"xslt-script"},
        "C#",
    ),
    (
        "cs-xslt-stylesheet-from-request-string-with-script",  # the stylesheet itself read from the request
        ".ashx",
        '<%@ WebHandler Language="C#" Class="H" %>\nusing System.IO; using System.Web; using System.Xml;\n'
        "using System.Xml.Xsl;\npublic class H : IHttpHandler {\n  public bool IsReusable { get { return false; } }\n"
        "  public void ProcessRequest(HttpContext ctx) {\n    var x = new XslCompiledTransform();\n"
        '    x.Load(XmlReader.Create(new StringReader(ctx.Request.Form["s"])), XsltSettings.TrustedXslt, null);\n'
        '    x.Transform(XmlReader.Create(new StringReader("<a/>")), null, ctx.Response.Output);\n'
        "  }\n}",
        {"xslt-script"},
        "C#",
    ),
    (
        "vb-xslt-enable-script-property",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\nSub Run(s As Object, e As EventArgs)\n'
        "  Dim sheet As New System.Xml.XmlDocument()\n  sheet.LoadXml(Input.Text)\n"
        "  Dim settings As New System.Xml.Xsl.XsltSettings()\n  settings.EnableScript = True\nEnd Sub\n</script>",
        {"xslt-script"},
        "VB",
    ),
    (
        "cs-virtual-path-provider-from-a-page",  # an in-memory page served by a provider it registers
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        '  string text = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String("ZXhhbXBsZQ=="));\n'
        "  System.Web.Hosting.HostingEnvironment.RegisterVirtualPathProvider(new ExampleProvider(text));\n"
        '  Server.Execute("/example/page.aspx");\n}\n</script>',
        {"virtual-path-provider"},
        "C#",
    ),
    (
        "cs-connection-string-named-by-the-request",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Show(object s, EventArgs e) {\n'
        "  string name = NameBox.Text.Trim();\n"
        "  Output.Text = System.Configuration.ConfigurationManager.ConnectionStrings[name].ConnectionString;\n"
        "}\n</script>",
        {"config-secret"},
        "C#",
    ),
    (
        "cs-listener-on-a-request-port",  # a bind tunnel: the request chooses the local port
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n  int port = int.Parse(Request.QueryString["p"]);\n'
        "  var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);\n"
        "  l.Start();\n%>",
        {"socket"},
        "C#",
    ),
    (
        "cs-raw-socket-capture",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        "  var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, "
        "System.Net.Sockets.SocketType.Raw, System.Net.Sockets.ProtocolType.IP);\n"
        "  s.IOControl(System.Net.Sockets.IOControlCode.ReceiveAll, new byte[] { 1, 0, 0, 0 }, null);\n%>",
        {"raw-socket"},
        "C#",
    ),
    (
        "cs-starts-a-program-beside-the-page",  # a tool dropped next to the page, output shown
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n  var p = new System.Diagnostics.Process();\n'
        '  p.StartInfo.FileName = Server.MapPath("example.exe");\n  p.StartInfo.UseShellExecute = false;\n'
        "  p.StartInfo.RedirectStandardOutput = true;\n  p.Start();\n"
        "  Response.Write(p.StandardOutput.ReadToEnd());\n%>",
        {"process-beside-page"},
        "C#",
    ),
    (
        "cs-roslyn-script-from-request",
        ".aspx",
        '<%@ Page Language="C#" Async="true" %>\n<script runat="server">\n'
        "async void Page_Load(object s, EventArgs e) {\n"
        '  var r = await CSharpScript.EvaluateAsync(Request.QueryString["c"]);\n}\n</script>',
        {"compile"},
        "C#",
    ),
    (
        "cs-command-typed-into-a-shell-input",  # the request's text piped into a started shell
        ".ashx",
        '<%@ WebHandler Language="C#" Class="H" %>\nusing System.Web;\n'
        "public class H : IHttpHandler {\n  public void ProcessRequest(HttpContext c) {\n"
        '    string x = c.Request["a"];\n    var p = new System.Diagnostics.Process();\n'
        '    p.StartInfo.FileName = "hostname";\n    p.StartInfo.UseShellExecute = false;\n'
        "    p.StartInfo.RedirectStandardInput = true;\n    p.Start();\n"
        "    p.StandardInput.WriteLine(x);\n  }\n  public bool IsReusable { get { return false; } }\n}",
        {"process"},
        "C#",
    ),
    (
        "cs-msbuild-runs-a-project-written-from-the-request",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n  string path = System.IO.Path.GetTempFileName();\n'
        '  System.IO.File.WriteAllText(path, "<Project>" + Request.QueryString["t"] + "</Project>");\n'
        '  System.Diagnostics.Process.Start("MSBuild.exe", path);\n%>',
        {"code-runner"},
        "C#",
    ),
    (
        "cs-wmi-process-create",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        '  var wmi = new System.Management.ManagementClass("Win32_Process");\n'
        '  var args = wmi.GetMethodParameters("Create");\n  args["CommandLine"] = "hostname";\n'
        '  wmi.InvokeMethod("Create", args, null);\n%>',
        {"wmi-process"},
        "C#",
    ),
    (
        "cs-xor-decoded-assembly",  # an embedded byte array de-obfuscated in place, then loaded
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n  byte[] data = { 0x4d, 0x5a, 0x90, 0x00 };\n'
        "  for (int i = 0; i < data.Length; i++) data[i] ^= 0x21;\n"
        "  var asm = System.Reflection.Assembly.Load(data);\n%>",
        {"assembly-decoded"},
        "C#",
    ),
    (
        "cs-pinvoke-shell32",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        '[System.Runtime.InteropServices.DllImport("shell32.dll")]\n'
        "static extern bool IsUserAnAdmin();\n</script>",
        {"pinvoke"},
        "C#",
    ),
    (
        "cs-request-body-relayed-to-a-named-pipe",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.IO.Pipes" %>\n<%\n'
        "  byte[] data = Request.BinaryRead(Request.ContentLength);\n"
        '  using (var pipe = new NamedPipeClientStream(".", "example", PipeDirection.Out)) {\n'
        "    pipe.Connect(1000);\n    pipe.Write(data, 0, data.Length);\n  }\n%>",
        {"pipe-relay"},
        "C#",
    ),
    (
        "cs-page-source-fetched-from-code-hosting",  # a server page's source downloaded beside the site root
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Net" %>\n<%\n'
        '  string url = "https://raw.githubusercontent.com/example/tools/main/page.aspx";\n'
        '  string path = System.IO.Path.Combine(Server.MapPath("~/"), "copy.txt");\n'
        "  using (var c = new WebClient()) { c.DownloadFile(url, path); }\n"
        "  Response.WriteFile(path);\n%>",
        {"remote-script-source"},
        "C#",
    ),
    (
        "vb-page-source-fetched-from-a-paste-site",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\nSub Page_Load(s As Object, e As EventArgs)\n'
        '  Dim src As String = "https://pastebin.com/raw/example/page.ashx"\n'
        "  Dim text As String = New System.Net.WebClient().DownloadString(src)\n"
        '  System.IO.File.WriteAllText(Server.MapPath("~/App_Data/cache.txt"), text)\nEnd Sub\n</script>',
        {"remote-script-source"},
        "VB",
    ),
    (
        "cs-pinvoke-dll-name-capitalised",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        '[System.Runtime.InteropServices.DllImport("Kernel32.dll")]\n'
        "static extern bool Beep(uint f, uint d);\n</script>",
        {"pinvoke"},
        "C#",
    ),
]


@pytest.mark.parametrize(("name", "ext", "page", "sinks", "lang"), SHELLS, ids=[s[0] for s in SHELLS])
def test_reproduction_is_found(name: str, ext: str, page: str, sinks: set[str], lang: str) -> None:
    result = analyse(page.encode(), ext)
    assert result.problem is None
    found = {h["sink"] for h in result.hits}
    if not sinks:
        assert not found, found
        return
    assert found & sinks, f"{name}: found {found}, expected one of {sinks}"
    hit = next(h for h in result.hits if h["sink"] in sinks)
    assert hit["language"] == lang
    assert hit["line"] >= 1 and hit["raw"]


def test_finding_names_source_sink_lines_and_language() -> None:
    page = (
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load() {\n'
        '    string tool = Request.QueryString["t"];\n'  # line 4
        "    var psi = new System.Diagnostics.ProcessStartInfo(tool);\n"  # line 5
        "}\n</script>"
    )
    hit = next(h for h in analyse(page.encode(), ".aspx").hits if h["sink"] == "process")
    assert hit["line"] == 5 and "ProcessStartInfo" in hit["raw"]
    assert hit["source_line"] == 4 and "QueryString" in hit["source_raw"]
    assert hit["source"] == "request value" and "tool" in hit["via"]
    assert hit["language"] == "C#" and hit["confidence"] == "medium"  # through a variable


def test_confidence_rises_with_closeness_and_obfuscation() -> None:
    near = analyse(b'<%@ Page Language="C#" %><% System.Diagnostics.Process.Start(Request["t"]); %>', ".aspx")
    assert near.hits[0]["confidence"] == "high"
    far = analyse(
        b'<%@ Page Language="C#" %><% var a = Request["t"]; var b = a; System.Diagnostics.Process.Start(b); %>',
        ".aspx",
    )
    assert far.hits[0]["confidence"] == "medium" and far.hits[0]["via"]
    hidden = analyse(
        b'<%@ Page Language="C#" %><% var a = Request["t"]; var b = a; System.Diagnostics.Pro\\u0063ess.Start(b); %>',
        ".aspx",
    )
    assert hidden.hits[0]["confidence"] == "high" and hidden.hits[0]["obfuscation"] >= 1


def test_line_numbers_survive_markup_and_comments() -> None:
    page = (
        "<html>\n<body>\n<!-- a comment -->\n"
        '<%@ Page Language="C#" %>\n'
        "<% /* a comment\n spanning\n lines */ %>\n"
        '<% System.IO.File.WriteAllBytes(Request["p"], Request.BinaryRead(10)); %>\n'  # line 8
        "</body></html>"
    )
    (hit,) = analyse(page.encode(), ".aspx").hits
    assert hit["line"] == 8 and hit["sink"] == "file-write"


# Ordinary pages: request input used the way applications use it. None may be flagged.
BENIGN: list[tuple[str, str, str]] = [
    (
        "parameterised-sql",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load() {\n'
        '  var conn = new System.Data.SqlClient.SqlConnection(System.Configuration.ConfigurationManager.ConnectionStrings["db"].ConnectionString);\n'
        '  var cmd = new System.Data.SqlClient.SqlCommand("select name from items where id = @id", conn);\n'
        '  cmd.Parameters.AddWithValue("@id", Request.QueryString["id"]);\n}\n</script>',
    ),
    (
        "sql-with-spliced-value",  # an injection bug, not a shell: the query text is the page's
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load() {\n'
        '  string sql = "select * from items where owner = \'" + Request.QueryString["o"] + "\'";\n'
        "  var cmd = new System.Data.SqlClient.SqlCommand(sql, conn);\n}\n</script>",
    ),
    (
        "upload-into-fixed-folder",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nprotected void Upload(object s, EventArgs e) {\n'
        "  if (FileUpload1.HasFile) {\n"
        '    string dest = Server.MapPath("~/uploads/") + System.Guid.NewGuid() + ".dat";\n'
        "    FileUpload1.SaveAs(dest);\n  }\n}\n</script>",
    ),
    (
        "download-by-id",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="Dl" %>\npublic class Dl : System.Web.IHttpHandler {\n'
        "  public void ProcessRequest(System.Web.HttpContext c) {\n"
        '    string f = System.IO.Path.Combine(c.Server.MapPath("~/files"), System.IO.Path.GetFileName(c.Request["n"]));\n'
        "    c.Response.WriteFile(f);\n  }\n  public bool IsReusable { get { return true; } }\n}",
    ),
    (
        "databinding-eval",
        ".aspx",
        '<%@ Page Language="VB" %>\n<asp:Repeater runat="server" id="r"><ItemTemplate>'
        '<%# Eval("Name") %> <%# Eval("Date", "{0:d}") %></ItemTemplate></asp:Repeater>',
    ),
    (
        "redirect-and-labels",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load() {\n'
        '  lblName.Text = Server.HtmlEncode(Request.QueryString["name"]);\n'
        '  if (Request.Form["go"] != null) Response.Redirect("~/home.aspx");\n}\n</script>',
    ),
    (
        "code-behind-only",
        ".aspx",
        '<%@ Page Language="C#" AutoEventWireup="true" CodeBehind="Default.aspx.cs" Inherits="App.Default" %>\n'
        '<html><body><form runat="server"><asp:TextBox ID="q" runat="server"/></form></body></html>',
    ),
    (
        "js-eval-of-literal",  # one argument: ordinary (if unusual) JScript
        ".aspx",
        '<%@ Page Language="JScript" %><% var n = eval("1+2"); Response.Write(n); %>',
    ),
    (
        "page-writes-a-log-line",  # a file write, and markup text in a string, but no script code
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load() {\n'
        '  System.IO.File.AppendAllText(Server.MapPath("~/App_Data/visits.log"), "<b>visit</b>\\n");\n'
        '  Response.Write("<% not code %>");\n}\n</script>',
    ),
    (
        "file-in-fixed-folder-named-by-textbox",  # the folder is the page's, the name the user's
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Save(object s, EventArgs e) {\n'
        '  var f = new System.IO.FileInfo(Server.MapPath("~/notes/") + NameBox.Text + ".txt");\n'
        "  using (var w = f.CreateText()) { w.Write(BodyBox.Text); }\n}\n</script>",
    ),
    (
        "system-class-in-page",
        ".aspx",
        '<%@ Page Language="C#" %><% new System.Text.StringBuilder("x"); %>',
    ),
    (
        "fixed-api-address-with-request-query",  # the page chooses the host, the user only a term
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n  var req = System.Net.WebRequest.Create('
        '"https://api.example.com/search?q=" + Server.UrlEncode(Request.QueryString["q"]));\n'
        "  req.GetResponse();\n%>",
    ),
    (
        "fixed-base-address-in-variable",  # a configured base address, request text appended
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n  string api = "https://api.example.com/items/";\n'
        '  var wc = new System.Net.WebClient();\n  wc.DownloadString(api + Request["id"]);\n%>',
    ),
    (
        "page-writes-html-fragment",  # a page that saves text without any server-side directive
        ".ashx",
        '<%@ WebHandler Language="C#" Class="H" %>\nusing System.IO;\nusing System.Web;\n'
        "public class H : IHttpHandler {\n  public void ProcessRequest(HttpContext c) {\n"
        '    File.WriteAllText(c.Server.MapPath("~/App_Data/banner.html"), "<p>Welcome</p>");\n  }\n'
        "  public bool IsReusable { get { return false; } }\n}",
    ),
    (
        "markup-with-server-side-include",  # an include in the page's own markup is not code
        ".aspx",
        '<%@ Page Language="C#" %>\n<!--#include file="header.inc" -->\n'
        '<% System.IO.File.AppendAllText(Server.MapPath("~/App_Data/hits.log"), "hit\\n"); %>',
    ),
    (
        "reads-own-settings-from-registry",  # one key of the application's own, no crawl
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n  var k = Microsoft.Win32.Registry.LocalMachine.OpenSubKey(@"SOFTWARE\\Example");\n'
        '  foreach (var n in k.GetSubKeyNames()) Response.Write(Server.HtmlEncode(n));\n'
        '  var u = Microsoft.Win32.Registry.CurrentUser.OpenSubKey(@"Software\\Example");\n%>',
    ),
    (
        "own-address-for-a-self-request",  # the requested URL only builds the server's own address
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n  var req = System.Net.WebRequest.Create(Request.Url.GetLeftPart('
        'System.UriPartial.Authority) + "/api/ping");\n  req.GetResponse();\n'
        '  System.IO.File.AppendAllText(Server.MapPath("~/App_Data/visits.log"), Request.RawUrl);\n%>',
    ),
    (
        "handler-with-spaced-directive",  # "<% @ WebHandler" with ordinary code
        ".ashx",
        '<% @ WebHandler Language="C#" Class="H" %>\nusing System.Web;\n'
        "public class H : IHttpHandler {\n  public void ProcessRequest(HttpContext c) {\n"
        '    c.Response.ContentType = "application/json";\n    c.Response.Write("{}");\n  }\n'
        "  public bool IsReusable { get { return false; } }\n}",
    ),
    (
        "vb-fragment-without-directive",  # VB code by its statements, doing ordinary things
        ".ascx",
        '<%\nDim n\nFor i = 1 To 3\n  n = n & i\nNext\nResponse.Write(Server.HtmlEncode(Request.QueryString("q")))\n%>',
    ),
    (
        "app-data-write-check",  # one fixed folder checked for write access, no folder listing
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n  string dir = Server.MapPath("~/App_Data");\n'
        '  System.IO.File.Create(dir + "\\\\check.tmp").Close();\n'
        '  System.IO.File.Delete(dir + "\\\\check.tmp");\n%>',
    ),
    (
        "tcp-service-check",  # a status page reading a fixed service's banner: a socket, no process
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n  using (var c = new System.Net.Sockets.TcpClient("mail.example.com", 25))\n'
        "  using (var r = new System.IO.StreamReader(c.GetStream())) {\n"
        "    Response.Write(Server.HtmlEncode(r.ReadLine()));\n  }\n%>",
    ),
    (
        "fixed-tool-output",  # a fixed tool's output shown, no socket and no request input
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n  var p = new System.Diagnostics.Process();\n'
        '  p.StartInfo.FileName = "hostname";\n  p.StartInfo.UseShellExecute = false;\n'
        "  p.StartInfo.RedirectStandardOutput = true;\n  p.Start();\n"
        "  Response.Write(Server.HtmlEncode(p.StandardOutput.ReadToEnd()));\n%>",
    ),
    (
        "upload-into-its-own-folder",  # the client's file name kept, in the application's upload folder
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n  if (Request.Files.Count > 0) {\n    HttpPostedFile f = Request.Files[0];\n'
        '    f.SaveAs(Server.MapPath("~/uploads/") + System.IO.Path.GetFileName(f.FileName));\n  }\n%>',
    ),
    (
        "own-path-for-a-date",  # the page's own file read for its date, no upload
        ".aspx",
        '<%@ Page Language="C#" %>\n<%= System.IO.File.GetLastWriteTime(Request.PhysicalPath).ToString("d") %>',
    ),
    (
        "upload-under-the-application-root-in-a-folder",  # the root named, the upload kept in a folder
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Save(object s, EventArgs e) {\n'
        "  string appPath = Request.PhysicalApplicationPath;\n  if (FileUpload1.HasFile) {\n"
        '    string savePath = appPath + "uploads\\\\" + Server.HtmlEncode(FileUpload1.FileName);\n'
        "    FileUpload1.SaveAs(savePath);\n  }\n}\n</script>",
    ),
    (
        "download-into-a-data-file",  # a fixed feed cached as data, not as a page
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        '  string xml = new System.Net.WebClient().DownloadString("https://example.com/feed.xml");\n'
        '  System.IO.File.WriteAllText(Server.MapPath("~/App_Data/feed.xml"), xml);\n%>',
    ),
    (
        "xslt-without-script",  # a fixed stylesheet, default settings: no embedded code runs
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n  var t = new System.Xml.Xsl.XslCompiledTransform();\n'
        '  t.Load(Server.MapPath("~/App_Data/list.xslt"));\n'
        '  t.Transform(Server.MapPath("~/App_Data/list.xml"), null, Response.Output);\n%>',
    ),
    (
        "xslt-file-of-the-application-with-script",  # its own stylesheet file, script enabled
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n  var settings = new System.Xml.Xsl.XsltSettings(true, true);\n'
        "  var t = new System.Xml.Xsl.XslCompiledTransform();\n"
        '  t.Load(Server.MapPath("~/xml/report.xslt"), settings, new System.Xml.XmlUrlResolver());\n%>',
    ),
    (
        "upload-root-client-name-fixed-text-extension",  # IL3 02:15: the client's name can no longer carry .aspx
        ".ashx",
        '<%@ WebHandler Language="C#" Class="H" %>\nusing System.IO; using System.Web;\n'
        "public class H : IHttpHandler {\n  public bool IsReusable { get { return false; } }\n"
        "  public void ProcessRequest(HttpContext ctx) {\n    HttpPostedFile f = ctx.Request.Files[0];\n"
        '    f.SaveAs(ctx.Server.MapPath("~/") + Path.GetFileNameWithoutExtension(f.FileName) + ".txt");\n'
        "  }\n}",
    ),
    (
        "xslt-own-stylesheet-with-script-input-from-request",  # IL3 02:15: only the input XML is the request's
        ".ashx",
        '<%@ WebHandler Language="C#" Class="H" %>\nusing System.IO; using System.Web; using System.Xml;\n'
        "using System.Xml.Xsl;\npublic class H : IHttpHandler {\n  public bool IsReusable { get { return false; } }\n"
        "  public void ProcessRequest(HttpContext ctx) {\n    var x = new XslCompiledTransform();\n"
        '    x.Load(ctx.Server.MapPath("~/App_Data/report.xslt"), XsltSettings.TrustedXslt, null);\n'
        '    x.Transform(XmlReader.Create(new StringReader(ctx.Request.Form["data"])), null, ctx.Response.Output);\n'
        "  }\n}",
    ),
    (
        "fixed-connection-string",  # the application's own connection string, named in the code
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        '  var cs = System.Configuration.ConfigurationManager.ConnectionStrings["Main"].ConnectionString;\n'
        "  var conn = new System.Data.SqlClient.SqlConnection(cs);\n%>",
    ),
    (
        "tool-under-bin",  # an installed tool under the application's bin folder
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n  var p = new System.Diagnostics.Process();\n'
        '  p.StartInfo.FileName = Server.MapPath("~/bin/example.exe");\n  p.StartInfo.UseShellExecute = false;\n'
        "  p.Start();\n%>",
    ),
    (
        "provider-registered-at-start-up",  # Global.asax: the application's own provider, at start
        ".asax",
        '<%@ Application Language="C#" %>\n<script runat="server">\n'
        "void Application_Start(object s, EventArgs e) {\n"
        "  System.Web.Hosting.HostingEnvironment.RegisterVirtualPathProvider(new Example.ResourceProvider());\n"
        "}\n</script>",
    ),
    (
        "fixed-text-into-a-tool-input",  # a fixed answer piped into a tool, no request input
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n  var p = new System.Diagnostics.Process();\n'
        '  p.StartInfo.FileName = "hostname";\n  p.StartInfo.UseShellExecute = false;\n'
        "  p.StartInfo.RedirectStandardInput = true;\n  p.Start();\n"
        '  p.StandardInput.WriteLine("y");\n%>',
    ),
    (
        "wmi-process-owner-listing",  # WMI read for a process list, nothing created
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        '  var q = new System.Management.ManagementObjectSearcher("select * from Win32_Process");\n'
        "  foreach (System.Management.ManagementObject o in q.Get()) {\n"
        "    string[] owner = new string[2];\n"
        '    o.InvokeMethod("GetOwner", (object[])owner);\n  }\n%>',
    ),
    (
        "xor-checksum-and-named-assembly",  # bytes XOR-ed for a checksum; an assembly loaded by name
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n  byte[] data = System.Text.Encoding.UTF8.GetBytes("example");\n'
        "  byte sum = 0;\n  for (int i = 0; i < data.Length; i++) sum ^= data[i];\n"
        '  var asm = System.Reflection.Assembly.Load("System.Xml");\n%>',
    ),
    (
        "status-read-from-a-local-pipe",  # a service's status read over its pipe, no request body
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.IO.Pipes" %>\n<%\n'
        '  using (var pipe = new NamedPipeClientStream(".", "example-status", PipeDirection.In)) {\n'
        "    pipe.Connect(1000);\n"
        "    Response.Write(Server.HtmlEncode(new System.IO.StreamReader(pipe).ReadLine()));\n  }\n%>",
    ),
    (
        "settings-downloaded-from-code-hosting",  # a JSON file from a repository saved under App_Data
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        '  string url = "https://raw.githubusercontent.com/example/settings/main/settings.json";\n'
        "  using (var c = new System.Net.WebClient())\n"
        '    c.DownloadFile(url, Server.MapPath("~/App_Data/settings.json"));\n%>',
    ),
    (
        "report-output-of-another-site-saved",  # the rendered output of a report page, saved as PDF
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        '  string url = "https://reports.example.com/Export.aspx";\n'
        "  using (var c = new System.Net.WebClient())\n"
        '    c.DownloadFile(url, Server.MapPath("~/App_Data/report.pdf"));\n%>',
    ),
    (
        "listener-on-a-fixed-port",  # a fixed local listener, no request input
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\n'
        "  var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 8081);\n%>",
    ),
]


@pytest.mark.parametrize(("name", "ext", "page"), BENIGN, ids=[b[0] for b in BENIGN])
def test_ordinary_page_is_not_flagged(name: str, ext: str, page: str) -> None:
    result = analyse(page.encode(), ext)
    assert result.hits == [], f"{name}: {result.hits}"


def test_code_is_extracted_per_block_and_language() -> None:
    page = (
        '<%@ Page Language="VB" %>\n<script runat="server" language="C#">int a;</script>\n'
        '<% Dim b = 1 %>\n<%-- <% hidden %> --%>\n<%@ Import Namespace="System" %>'
    )
    ex = extract(page, ".aspx")
    assert set(ex.code) == {"cs", "vb"}
    assert "int a;" in "".join(ex.code["cs"]) and "Dim b" in "".join(ex.code["vb"])
    assert "hidden" not in "".join(ex.code["vb"])


def test_remote_answer_is_not_request_input() -> None:
    """A feed proxy: the request chooses the address (outbound HTTP, reported), but reading the
    remote answer is not reading a request-chosen file."""
    page = (
        '<%@ WebHandler Language="VB" Class="P" %>\nImports System.Web\nPublic Class P : Implements IHttpHandler\n'
        "  Public Sub ProcessRequest(ByVal c As HttpContext) Implements IHttpHandler.ProcessRequest\n"
        '    Dim req As System.Net.HttpWebRequest = System.Net.WebRequest.Create(c.Request.QueryString("u"))\n'
        "    Dim body = req.GetResponse().GetResponseStream\n"
        "    Dim sr As System.IO.StreamReader = New System.IO.StreamReader(body)\n"
        "    c.Response.Write(sr.ReadToEnd)\n  End Sub\nEnd Class\n"
    )
    sinks = {h["sink"] for h in analyse(page.encode(), ".ashx").hits}
    assert sinks == {"http-out"}


def test_knowledge_is_data_with_every_behaviour() -> None:
    know = knowledge()
    categories = {s.category for s in know.sinks}
    assert {
        "process",
        "eval",
        "loader",
        "file-write",
        "sql",
        "socket",
        "http",
        "registry",
        "native",
    } <= categories
    assert {s.kind for s in know.sources} == {
        "value",
        "body",
        "control",
        "url",
        "self",
        "upload",
        "fetched",
        "password",
    }
    # a value read by a password's key is also a request value; as a password, only the credential log takes it
    # (session 21)
    assert {s.id for s in know.sinks if "password" in s.kinds} == {"password-to-file"}
    # what a server answers the page reaches only the sinks that run commands or code (session 12)
    fetched_sinks = {s.id for s in know.sinks if "fetched" in s.kinds}
    assert fetched_sinks == {"process", "shell-object", "powershell", "eval", "compile"}
    # the requested URL reaches only the sinks that run code (a page builds links and logs from it),
    # and the page's own deletion (the URL's path is the page's own)
    url_sinks = {s.id for s in know.sinks if "url" in s.kinds}
    assert url_sinks == {"process", "powershell", "eval", "compile", "assembly-load", "self-delete"}
    assert {s.id for s in know.sinks if "self" in s.kinds} == {"self-delete", "self-overwrite"}


# --- hostile pages: no crash, bounded time, the file named when not fully analysed


def _timed(data: bytes, ext: str = ".aspx", budget: float = 5.0) -> tuple[float, object]:
    t0 = time.thread_time()
    result = analyse(data, ext, budget=budget)
    return time.thread_time() - t0, result


@pytest.mark.parametrize(
    "data",
    [
        b'<%@ Page Language="C#" %><% ' + b"a" * (10 * 1024 * 1024) + b" %>",  # 10 MB, one line
        b'<%@ Page Language="C#" %><% var x = ' + b"(" * 200_000 + b" %>",  # deep nesting
        b'<%@ Page Language="C#" %><% /* ' + b"x = Request[1]; " * 50_000,  # unterminated comment
        b'<%@ Page Language="C#" %><% "' + b"\\u00" * 100_000,  # broken escapes in an open string
        b'<%@ Page Language="C#" %><% ' + b'var a = Request["x"]; ' + b"b = a + c; " * 60_000 + b" %>",
        b"\xff\xfe<\x00%\x00" + bytes(range(256)) * 400,  # invalid UTF-16 / binary
        b"MZ\x90\x00" + bytes(range(256)) * 4000,  # a binary named .aspx
        b"<% " + b"\xc3\x28\xa0\xa1" * 10_000 + b" Process.Start(Request[1]) %>",  # invalid UTF-8
    ],
    ids=[
        "10MB-one-line",
        "deep-nesting",
        "open-comment",
        "broken-escapes",
        "long-taint-chain",
        "utf16-junk",
        "binary",
        "invalid-utf8",
    ],
)
def test_hostile_page_is_bounded(data: bytes) -> None:
    elapsed, result = _timed(data, budget=3.0)
    assert elapsed < 10.0
    assert hasattr(result, "hits")


def test_time_budget_names_the_problem() -> None:
    page = (
        b'<%@ Page Language="C#" %><% var a = Request["x"]; '
        + b"v = a + w; Process.Start(q);\n" * 30_000
        + b" %>"
    )
    elapsed, result = _timed(page, budget=0.05)
    assert elapsed < 10.0  # the budget is checked between passes; a loaded CI machine is slow
    assert result.problem is not None and "time limit" in result.problem  # type: ignore[attr-defined]


def test_huge_code_is_cut_and_named() -> None:
    page = b'<%@ Page Language="C#" %><% ' + b"int a = 1;\n" * 200_000 + b" %>"
    # (a budget no loaded machine reaches: the cut is what is asserted, not the speed - the lead, session 13)
    result = analyse(page, ".aspx", budget=120)
    assert result.problem is not None and "only its start" in result.problem


# --- end to end: the stage turns a behaviour hit into a finding with both lines


def test_stage_reports_behaviour_with_source_and_sink_lines(tmp_path: Path) -> None:
    from extriage.findings import Outcome
    from extriage.scan.context import ScanOptions
    from extriage.scan.pipeline import run_scan
    from extriage.scan.stages.webfiles import STAGES

    site = tmp_path / "C" / "inetpub" / "wwwroot"
    site.mkdir(parents=True)
    (site / "status.aspx").write_text(
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load() {\n'
        '    string tool = Request.Form["t"];\n'
        "    System.Diagnostics.Process.Start(tool);\n}\n</script>\n"
    )
    (site / "about.aspx").write_text(
        '<%@ Page Language="C#" %>\n<% Response.Write(Server.HtmlEncode(Request["q"])); %>\n'
    )
    result = run_scan(str(tmp_path), ScanOptions(jobs=0), stages=list(STAGES))
    found = [f for f in result.findings if f.rule_id.startswith("WF-BEHAV-")]
    assert [f.rule_id for f in found] == ["WF-BEHAV-PROCESS"]
    f = found[0]
    assert f.outcome == Outcome.WEBSHELL and "behaviour:process" in f.tags
    lines = {e.fields.get("role"): e for e in f.evidence if e.fields.get("reason") == "WF-BEHAV-PROCESS"}
    assert lines["sink"].line == 5 and "Process.Start" in lines["sink"].raw
    assert lines["source"].line == 4 and "Request.Form" in lines["source"].raw
    assert lines["sink"].fields["language"] == "C#"
    notes = " ".join(n for fam in result.coverage.families.values() for n in fam.notes)
    assert "behaviour analysis of ASP.NET server code" in notes and "no external YARA rules" in notes


@pytest.mark.parametrize(
    ("xml", "sink"),
    [
        (
            '<configuration><system.webServer><handlers accessPolicy="Read, Script, Write">'
            '<add name="cfg" path="*.config" verb="*" modules="IsapiModule" '
            'scriptProcessor="%windir%\\system32\\inetsrv\\asp.dll" resourceType="Unspecified" />'
            "</handlers></system.webServer></configuration>",
            "config-handler",
        ),
        (
            '<configuration><system.webServer><handlers><add name="img" type="System.Web.UI.PageHandlerFactory" '
            'path="*.jpg" verb="*"/></handlers></system.webServer></configuration>',
            "config-handler",
        ),
        (
            # (with a way to serve .config: unhiding alone is an application's own routing - B9, session 14)
            "<configuration><system.webServer><security><requestFiltering><hiddenSegments>"
            '<remove segment="web.config" /></hiddenSegments></requestFiltering></security>'
            '<staticContent><mimeMap fileExtension=".config" mimeType="text/plain" /></staticContent>'
            "</system.webServer></configuration>",
            "config-unhide",
        ),
    ],
)
def test_web_config_that_runs_code(xml: str, sink: str) -> None:
    hits = analyse(xml.encode(), ".config").hits
    assert [h["sink"] for h in hits] == [sink]
    assert hits[0]["language"] == "web.config" and hits[0]["line"] == 1


def _examine(path: Path) -> object:
    from extriage.detections.webfiles import content
    from extriage.detections.webfiles.rules import build_ruleset

    params = content.ContentParams(build_ruleset([]).serialized, 64 << 20, 30.0)
    t = content.Target(str(path), str(path).lower(), str(path), path.name, path.stat().st_size, None)
    return content.examine(t, content.DEEP, params)


def test_binary_page_without_server_code_is_checked_and_silent(tmp_path: Path) -> None:
    # (until session 12 a binary page was named "not analysed for behaviour": A5 analyses it, see test_engine12)
    page = tmp_path / "x.aspx"
    page.write_bytes(b"\x00\x01\x02garbage\x00<%\x05\x06%>" * 500)
    out = _examine(page)
    assert out.skipped == []  # type: ignore[attr-defined]
    assert not [h for h in out.data["hits"] if h["check"] == "behaviour"]  # type: ignore[attr-defined]
    assert out.sha256  # type: ignore[attr-defined]  # hashed and YARA-scanned


def test_utf16_page_is_analysed_as_text(tmp_path: Path) -> None:
    page = tmp_path / "u.aspx"
    page.write_bytes(
        '<%@ Page Language="C#" %><% System.Diagnostics.Process.Start(Request["t"]); %>'.encode("utf-16")
    )
    out = _examine(page)
    sinks = [h.get("sink") for h in out.data["hits"]]  # type: ignore[attr-defined]
    assert "process" in sinks


def test_known_family_keeps_its_name_beside_a_behaviour() -> None:
    from extriage.detections.webfiles.classify import FileFacts, behaviour_reason, build_finding, yara_reason
    from extriage.findings import Confidence

    facts = FileFacts("x.aspx", "C:\\inetpub\\wwwroot\\x.aspx", "x.aspx", "ab" * 32, 10, None, None)
    hit = {"check": "yara", "rule": "R", "namespace": "extriage", "line": 1, "raw": "r",
           "meta": {"family": "Example family", "severity": "high", "outcome": "webshell"}}  # fmt: skip
    facts.reasons.append(yara_reason(hit, ".aspx"))
    behaviour = {"sink": "process", "title": "starts a process", "severity": "critical", "language": "C#",
                 "confidence": "high", "line": 2, "raw": "Process.Start(x)", "source": "request value",
                 "source_line": 1, "source_raw": "x = Request[1]", "via": ["x"]}  # fmt: skip
    facts.reasons.append(behaviour_reason(behaviour, ".aspx"))
    f = build_finding(facts)
    assert f is not None and f.rule_id == "WF-BEHAV-PROCESS" and "(Example family)" in f.title
    assert f.confidence == Confidence.HIGH


def test_coverage_names_external_rule_sets(tmp_path: Path) -> None:
    from extriage.scan.context import ScanOptions
    from extriage.scan.pipeline import run_scan
    from extriage.scan.stages.webfiles import STAGES

    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "extra_webshells.yar").write_text(
        'rule Example_Marker { strings: $a = "example-marker" condition: $a and filename != "" }\n'
    )
    site = tmp_path / "ev" / "C" / "inetpub" / "wwwroot"
    site.mkdir(parents=True)
    (site / "a.aspx").write_text("<html>example-marker</html>")
    result = run_scan(str(tmp_path / "ev"), ScanOptions(jobs=0, rules_dirs=[str(rules)]), stages=list(STAGES))
    notes = " ".join(n for fam in result.coverage.families.values() for n in fam.notes)
    assert "external YARA rules from --rules (1 files:" in notes and "extra_webshells.yar" in notes
    assert any(f.rule_id == "WF-YARA-Example_Marker" for f in result.findings)
    assert result.extras["webfiles"]["rules"]["behaviour"]["sinks"]
