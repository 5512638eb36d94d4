"""Mutation testing of the behaviour analysis: harmless web shell shapes varied the ways real authors
vary them, counted per kind of variation (issue 14, helper X6).

Held-out batches keep showing shapes the rules were not written for. Instead of waiting for the next
batch, this builds pages from a small set of harmless behaviours (a request value reaching a process
start, a file write, SQL text, an assembly load, an outbound request, a socket, a compiler, PowerShell,
JScript eval, VB Shell/COM) and varies ONE axis at a time from a baseline that is found:

* ``source``    - how the request is read (``Request.Params``, ``Page.Request``, ``HttpContext.Current``,
                  headers, cookies, ``Request.Unvalidated``, the body, uploaded files, ...);
* ``flow``      - how the value travels (locals, fields, properties, helper returns and parameters,
                  concatenation, ``String.Format``/interpolation/``Join``, base64, ternaries, lambdas ...);
* ``sink``      - how the dangerous operation is spelled (fully qualified, aliases, object initialisers,
                  reflection by name, ``Activator``, COM, ``CallByName`` ...);
* ``container`` - ``<% %>`` vs ``<script runat=server>``, code-only ``.ashx``/``.asmx``;
* ``directive`` - ``<%@ Page Language=... %>`` spellings;
* ``noise``     - comments and line breaks inside calls, non-ASCII and verbatim identifiers.

Every mutant has a benign twin (the request value replaced by a literal): the twin must not be found,
so a mechanism that only "finds more" by firing on everything shows up here as well. Nothing is run;
the targets are harmless (``hostname``, ``example.txt``, ``127.0.0.1``).

Usage (from the repo root):
    .venv/bin/python bench/webfiles/mutants.py [--list] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from extriage.detections.webfiles.behaviour import analyse, knowledge


@dataclass
class Prog:
    """A C#/VB/JScript program: page imports, class members and the statements of one request."""

    lang: str
    imports: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Mutant:
    axis: str
    variant: str
    seed: str
    ext: str
    page: str
    twin: str  # the same page with the request value replaced by a literal


# --------------------------------------------------------------------------------------------
# C#

CS_SOURCES: dict[str, str] = {
    "form": 'Request.Form["x"]',
    "index": 'Request["x"]',
    "params": 'Request.Params["x"]',
    "querystring-get": 'Request.QueryString.Get("x")',
    "form-get": 'Request.Form.Get("x")',
    "form-getvalues": 'Request.Form.GetValues("x")[0]',
    "form-by-number": "Request.Form[0]",
    "page-request": 'Page.Request["x"]',
    "page-request-form": 'Page.Request.Form["x"]',
    "httpcontext-current": 'HttpContext.Current.Request["x"]',
    "httpcontext-qualified": 'System.Web.HttpContext.Current.Request.Form["x"]',
    "this-context": 'this.Context.Request.Form["x"]',
    "context": 'Context.Request.QueryString["x"]',
    "header": 'Request.Headers["X-Token"]',
    "header-get": 'Request.Headers.Get("X-Token")',
    "cookie": 'Request.Cookies["x"].Value',
    "cookie-values": 'Request.Cookies["x"].Values["y"]',
    "servervariables": 'Request.ServerVariables["HTTP_X_TOKEN"]',
    "useragent": "Request.UserAgent",
    "unvalidated-form": 'Request.Unvalidated.Form["x"]',
    "unvalidated-index": 'Request.Unvalidated["x"]',
    "body-streamreader": "new System.IO.StreamReader(Request.InputStream).ReadToEnd()",
    "body-binaryread": "System.Text.Encoding.UTF8.GetString(Request.BinaryRead(Request.ContentLength))",
    "uploaded-file": "new System.IO.StreamReader(Request.Files[0].InputStream).ReadToEnd()",
    "requestcontext": 'Request.RequestContext.HttpContext.Request["x"]',
    "request-variable": 'req.Form["x"]',  # HttpRequest req = Request; (added to the body)
}


def _key(e: str) -> str:
    """The source with its literal key taken from a parameter ``k`` (``Request.Form[k]``)."""
    return e.replace('"x"', "k")


#: flow name -> function(source expression) -> (members, statements before the sink, value expression)
Flow = Callable[[str], tuple[list[str], list[str], str]]

CS_FLOWS: dict[str, Flow] = {
    "direct": lambda e: ([], [], e),
    "local": lambda e: ([], [f"string v = {e};"], "v"),
    "var": lambda e: ([], [f"var v = {e};"], "v"),
    "dynamic": lambda e: ([], [f"dynamic v = {e};"], "v"),
    "object-cast": lambda e: ([], [f"object o = {e};"], "(string)o"),
    "object-tostring": lambda e: ([], [f"object o = {e};"], "o.ToString()"),
    "declare-then-assign": lambda e: ([], ["string v;", "v = null;", f"v = {e};"], "v"),
    "two-locals": lambda e: ([], [f"string a = {e};", "string b = a;"], "b"),
    "field": lambda e: (["string held;"], [f"held = {e};"], "held"),
    "field-this": lambda e: (["private string held;"], [f"this.held = {e};"], "this.held"),
    "static-field": lambda e: (["static string held;"], [f"held = {e};"], "held"),
    "property-get": lambda e: ([f"string Value {{ get {{ return {e}; }} }}"], [], "Value"),
    "property-arrow": lambda e: ([f"string Value => {e};"], [], "Value"),
    "auto-property": lambda e: (["public string Value { get; set; }"], [f"Value = {e};"], "Value"),
    "helper-return": lambda e: ([f"string Take() {{ return {e}; }}"], [], "Take()"),
    "helper-return-key": lambda e: ([f"string Take(string k) {{ return {_key(e)}; }}"], [], 'Take("x")'),
    "helper-arrow": lambda e: ([f"string Take() => {e};"], [], "Take()"),
    "helper-static-context": lambda e: (
        [
            f"static string Take(string k) {{ return {_key(e.replace('Request', 'HttpContext.Current.Request'))}; }}"
        ],
        [],
        'Take("x")',
    ),
    "helper-parameter": lambda e: ([], [], e),  # handled by the seed: the sink moves into a method
    "concat-empty": lambda e: ([], [], f'"" + {e}'),
    "string-concat": lambda e: ([], [], f'String.Concat("", {e})'),
    "string-format": lambda e: ([], [], f'String.Format("{{0}}", {e})'),
    "interpolation": lambda e: ([], [f"string v = {e};"], '$"{v}"'),
    "interpolation-nested": lambda e: ([], [], f'$"{{{e}}}"'),
    "string-join": lambda e: ([], [], f'String.Join("", new string[] {{ {e} }})'),
    "base64": lambda e: ([], [], f"Encoding.UTF8.GetString(Convert.FromBase64String({e}))"),
    "base64-qualified": lambda e: (
        [],
        [],
        f"System.Text.Encoding.Default.GetString(System.Convert.FromBase64String({e}))",
    ),
    "base64-bytes-local": lambda e: (
        [],
        [f"byte[] raw = Convert.FromBase64String({e});"],
        "Encoding.UTF8.GetString(raw)",
    ),
    "ternary": lambda e: ([], [f'string v = {e} != null ? {e} : "";'], "v"),
    "null-coalescing": lambda e: ([], [f'string v = {e} ?? "";'], "v"),
    "trim-tostring": lambda e: ([], [], f"{e}.ToString().Trim()"),
    "url-decode": lambda e: ([], [], f"HttpUtility.UrlDecode({e})"),
    "server-urldecode": lambda e: ([], [], f"Server.UrlDecode({e})"),
    "substring": lambda e: ([], [], f"{e}.Substring(1)"),
    "split-index": lambda e: ([], [], f"{e}.Split('|')[0]"),
    "array-element": lambda e: ([], [f"string[] a = {{ {e} }};"], "a[0]"),
    "stringbuilder": lambda e: (
        [],
        ["var sb = new System.Text.StringBuilder();", f"sb.Append({e});"],
        "sb.ToString()",
    ),
    "session": lambda e: ([], [f'Session["k"] = {e};'], 'Session["k"].ToString()'),
    "lambda": lambda e: ([], [f"Func<string> f = () => {e};"], "f()"),
    "dictionary": lambda e: ([], ["var d = new Dictionary<string, string>();", f'd["k"] = {e};'], 'd["k"]'),
    "reverse": lambda e: ([], [f"char[] c = {e}.ToCharArray();", "Array.Reverse(c);"], "new string(c)"),
    "xor-decode": lambda e: (
        [],
        [
            f"byte[] k = Encoding.UTF8.GetBytes({e});",
            "for (int i = 0; i < k.Length; i++) { k[i] ^= 7; }",
        ],
        "Encoding.UTF8.GetString(k)",
    ),
}

# seed -> sink spelling name -> function(value expression) -> statements (the value is text)
CS_SINKS: dict[str, dict[str, Callable[[str], list[str]]]] = {
    "process": {
        "process-start": lambda v: [f'Process.Start("hostname", {v});'],
        "qualified": lambda v: [f'System.Diagnostics.Process.Start("hostname", {v});'],
        "global-qualified": lambda v: [f'global::System.Diagnostics.Process.Start("hostname", {v});'],
        "one-arg": lambda v: [f"Process.Start({v});"],
        "psi-properties": lambda v: [
            "ProcessStartInfo p = new ProcessStartInfo();",
            'p.FileName = "hostname";',
            f"p.Arguments = {v};",
            "Process.Start(p);",
        ],
        "psi-ctor": lambda v: [f'Process.Start(new ProcessStartInfo("hostname", {v}));'],
        "psi-initializer": lambda v: [
            f'var p = new ProcessStartInfo {{ FileName = "hostname", Arguments = {v} }};',
            "Process.Start(p);",
        ],
        "process-object": lambda v: [
            "Process p = new Process();",
            'p.StartInfo.FileName = "hostname";',
            f"p.StartInfo.Arguments = {v};",
            "p.Start();",
        ],
        "process-initializer": lambda v: [
            f'var p = new Process {{ StartInfo = new ProcessStartInfo("hostname", {v}) }};',
            "p.Start();",
        ],
        "startinfo-object": lambda v: [
            "var p = new Process();",
            f'p.StartInfo = new ProcessStartInfo("hostname") {{ Arguments = {v} }};',
            "p.Start();",
        ],
        "reflection-gettype": lambda v: [
            'Type t = Type.GetType("System.Diagnostics.Process");',
            't.GetMethod("Start", new Type[] { typeof(string), typeof(string) })'
            f'.Invoke(null, new object[] {{ "hostname", {v} }});',
        ],
        "reflection-typeof": lambda v: [
            'typeof(Process).GetMethod("Start", new Type[] { typeof(string), typeof(string) })'
            f'.Invoke(null, new object[] {{ "hostname", {v} }});',
        ],
        "reflection-split-name": lambda v: [
            'Type t = Type.GetType("System.Diag" + "nostics.Pro" + "cess");',
            f't.InvokeMember("Start", BindingFlags.InvokeMethod, null, null, new object[] {{ "hostname", {v} }});',
        ],
        "activator": lambda v: [
            'dynamic p = Activator.CreateInstance(Type.GetType("System.Diagnostics.Process"));',
            f"p.StartInfo.Arguments = {v};",
            "p.Start();",
        ],
        "com-wscript": lambda v: [
            'dynamic sh = Activator.CreateInstance(Type.GetTypeFromProgID("WScript.Shell"));',
            f"sh.Run({v});",
        ],
        "comments-inside": lambda v: [f'Process /* a */ . /* b */ Start ( /* c */ "hostname" , {v} ) ;'],
        "line-breaks": lambda v: [f'Process\n    .Start(\n        "hostname",\n        {v}\n    );'],
    },
    "file-write": {
        "writealltext": lambda v: [f'File.WriteAllText({v}, "example");'],
        "qualified": lambda v: [f'System.IO.File.WriteAllText({v}, "example");'],
        "streamwriter": lambda v: [f'using (var w = new StreamWriter({v})) {{ w.Write("example"); }}'],
        "filestream": lambda v: [f"var fs = new FileStream({v}, FileMode.Create);", "fs.Close();"],
        "file-create": lambda v: [f"File.Create({v}).Close();"],
        "createtext": lambda v: [f'File.CreateText({v}).Write("example");'],
        "fileinfo": lambda v: [f'new FileInfo({v}).CreateText().Write("example");'],
        "saveas": lambda v: [f"Request.Files[0].SaveAs({v});"],
        "copy": lambda v: [f'File.Copy("example.txt", {v});'],
        "writeallbytes": lambda v: [f"File.WriteAllBytes({v}, new byte[] {{ 1 }});"],
        "appendalltext": lambda v: [f'File.AppendAllText({v}, "example");'],
        "comments-inside": lambda v: [f'File . /* x */ WriteAllText ( {v} /* y */ , "example" ) ;'],
    },
    "sql-text": {
        "sqlcommand": lambda v: [
            'var c = new SqlConnection("Server=.;Integrated Security=true");',
            f"new SqlCommand({v}, c).ExecuteNonQuery();",
        ],
        "qualified": lambda v: [f"new System.Data.SqlClient.SqlCommand({v}).ExecuteNonQuery();"],
        "commandtext": lambda v: ["var cmd = new SqlCommand();", f"cmd.CommandText = {v};"],
        "createcommand": lambda v: [
            'var c = new SqlConnection("Server=.");',
            "var cmd = c.CreateCommand();",
            f"cmd.CommandText = {v};",
        ],
        "dataadapter": lambda v: [f'new SqlDataAdapter({v}, "Server=.").Fill(new DataSet());'],
        "oledb": lambda v: [f"new OleDbCommand({v}).ExecuteReader();"],
        "initializer": lambda v: [f"var cmd = new SqlCommand {{ CommandText = {v} }};"],
    },
    "sql-connection": {
        "sqlconnection": lambda v: [f"var c = new SqlConnection({v});", "c.Open();"],
        "connectionstring-property": lambda v: ["var c = new SqlConnection();", f"c.ConnectionString = {v};"],
        "oledb": lambda v: [f"new OleDbConnection({v}).Open();"],
        "odbc-qualified": lambda v: [f"new System.Data.Odbc.OdbcConnection({v}).Open();"],
    },
    "assembly-load": {
        "assembly-load": lambda v: [f'Assembly.Load(Convert.FromBase64String({v})).CreateInstance("X");'],
        "qualified": lambda v: [
            f'System.Reflection.Assembly.Load(Convert.FromBase64String({v})).CreateInstance("X");'
        ],
        "appdomain": lambda v: [f"AppDomain.CurrentDomain.Load(Convert.FromBase64String({v}));"],
        "bytes-local": lambda v: [
            f"byte[] b = Convert.FromBase64String({v});",
            "var a = Assembly.Load(b);",
            'a.CreateInstance("X");',
        ],
        "reflection-load": lambda v: [
            'typeof(Assembly).GetMethod("Load", new Type[] { typeof(byte[]) })'
            f".Invoke(null, new object[] {{ Convert.FromBase64String({v}) }});"
        ],
        "gettype-load": lambda v: [
            'Type.GetType("System.Reflection.Assembly").GetMethod("Load", new Type[] { typeof(byte[]) })'
            f".Invoke(null, new object[] {{ Convert.FromBase64String({v}) }});"
        ],
    },
    "http-out": {
        "webclient": lambda v: [f"new WebClient().DownloadString({v});"],
        "qualified": lambda v: [f"new System.Net.WebClient().DownloadString({v});"],
        "webrequest": lambda v: [f"var r = WebRequest.Create({v});", "r.GetResponse();"],
        "httpwebrequest-cast": lambda v: [
            f"var r = (HttpWebRequest)WebRequest.Create({v});",
            "r.GetResponse();",
        ],
        "httpclient": lambda v: [f"new System.Net.Http.HttpClient().GetStringAsync({v}).Wait();"],
        "uri": lambda v: [f"var u = new Uri({v});", "new WebClient().DownloadString(u);"],
    },
    "socket": {
        "tcpclient": lambda v: [f"var t = new TcpClient({v}, 80);"],
        "socket-connect": lambda v: [
            "var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);",
            f"s.Connect({v}, 80);",
        ],
        "ipendpoint": lambda v: [
            "var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);",
            f"s.Connect(new IPEndPoint(IPAddress.Parse({v}), 80));",
        ],
    },
    "compile": {
        "codeprovider": lambda v: [
            "var p = new CSharpCodeProvider();",
            f"p.CompileAssemblyFromSource(new CompilerParameters(), {v});",
        ],
        "createprovider": lambda v: [
            'var p = CodeDomProvider.CreateProvider("CSharp");',
            f"p.CompileAssemblyFromSource(new CompilerParameters(), {v});",
        ],
    },
    "powershell": {
        "addscript": lambda v: ["var ps = PowerShell.Create();", f"ps.AddScript({v});", "ps.Invoke();"],
        "pipeline": lambda v: [
            "var rs = RunspaceFactory.CreateRunspace();",
            "rs.Open();",
            "var pl = rs.CreatePipeline();",
            f"pl.Commands.AddScript({v});",
        ],
    },
}

CS_IMPORTS = [
    "System.Diagnostics", "System.IO", "System.Data", "System.Data.SqlClient", "System.Data.OleDb",
    "System.Reflection", "System.Net", "System.Net.Sockets", "System.Text", "System.CodeDom.Compiler",
    "Microsoft.CSharp", "System.Collections.Generic", "System.Management.Automation",
    "System.Management.Automation.Runspaces",
]  # fmt: skip

CS_DIRECTIVES = {
    "plain": '<%@ Page Language="C#" %>',
    "no-space": '<%@Page Language="C#"%>',
    "single-quotes": "<%@ Page Language='C#' %>",
    "unquoted": "<%@ Page Language=C# %>",
    "csharp-word": '<%@ Page Language="CSharp" %>',
    "lower-case": '<%@ page language="c#" %>',
    "attributes": '<%@ Page Language="C#" AutoEventWireup="true" ValidateRequest="false" EnableViewState="false" %>',
    "space-before-at": '<% @ Page Language="C#" %>',
    "none": "",
    "multiline": '<%@ Page\n    Language="C#"\n    Debug="false"\n%>',
    "control": '<%@ Control Language="C#" %>',
    "master": '<%@ Master Language="C#" %>',
}


def render_cs(prog: Prog, container: str, directive: str) -> tuple[str, str]:
    imports = "".join(f'<%@ Import Namespace="{i}" %>\n' for i in prog.imports)
    members = "\n".join(prog.members)
    body = "\n".join(prog.body)
    if container == "script":
        return (
            ".aspx",
            f'{directive}\n{imports}<html><body>\n<script runat="server">\n{members}\n'
            f"protected void Page_Load(object sender, EventArgs e)\n{{\n{body}\n}}\n</script>\n</body></html>",
        )
    if container in ("inline", "inline-split"):
        head = f'<script runat="server">\n{members}\n</script>\n' if members else ""
        if container == "inline-split":  # every statement in its own block, markup between
            code = "\n".join(f"<% {s} %><br/>" for s in prog.body)
        else:
            code = f"<%\n{body}\n%>"
        return ".aspx", f"{directive}\n{imports}{head}<html><body>\n{code}\n</body></html>"
    if container == "script-language-attr":  # the language named on the script tag only
        return (
            ".aspx",
            f'{imports}<script language="C#" runat="server">\n{members}\n'
            f"void Page_Load(object sender, EventArgs e) {{\n{body}\n}}\n</script>",
        )
    using = "".join(f"using {i};\n" for i in ["System", "System.Web", *prog.imports])
    ctx_body = re.sub(r"(?<![\w.])(?:Page\.|this\.Context\.|Context\.)?Request\b", "context.Request", body)
    ctx_body = re.sub(r"(?<![\w.])Server\.", "context.Server.", ctx_body)
    ctx_body = re.sub(r"(?<![\w.])Session\[", "context.Session[", ctx_body)
    ctx_members = re.sub(
        r"(?<![\w.])(?:Page\.|this\.Context\.|Context\.|HttpContext\.Current\.)?Request\b",
        "HttpContext.Current.Request",
        members,
    )
    if container == "ashx":
        return (
            ".ashx",
            f'<%@ WebHandler Language="C#" Class="Handler" %>\n{using}\n'
            f"public class Handler : IHttpHandler {{\n{ctx_members}\n"
            f"public void ProcessRequest(HttpContext context) {{\n{ctx_body}\n}}\n"
            "public bool IsReusable { get { return false; } }\n}",
        )
    if container == "ashx-lowercase-directive":
        return (
            ".ashx",
            f'<%@ webhandler language="c#" class="Handler" %>\n{using}\n'
            f"public class Handler : IHttpHandler {{\n{ctx_members}\n"
            f"public void ProcessRequest(HttpContext context) {{\n{ctx_body}\n}}\n"
            "public bool IsReusable { get { return false; } }\n}",
        )
    if container == "asmx":
        hc_body = re.sub(
            r"(?<![\w.])(?:Page\.|this\.Context\.|Context\.)?Request\b", "HttpContext.Current.Request", body
        )
        hc_body = re.sub(r"(?<![\w.])Server\.", "HttpContext.Current.Server.", hc_body)
        hc_body = re.sub(r"(?<![\w.])Session\[", "HttpContext.Current.Session[", hc_body)
        return (
            ".asmx",
            f'<%@ WebService Language="C#" Class="Svc" %>\n{using}using System.Web.Services;\n'
            f"public class Svc : WebService {{\n{ctx_members}\n"
            f'[WebMethod]\npublic string Run() {{\n{hc_body}\nreturn "";\n}}\n}}',
        )
    raise ValueError(container)


def cs_prog(source: str, flow: str, sink: Callable[[str], list[str]]) -> Prog:
    members, pre, value = CS_FLOWS[flow](source)
    body = list(pre)
    if source.startswith("req."):
        body.insert(0, "HttpRequest req = Request;")
    if flow == "helper-parameter":
        members = [*members, "void Run(string arg)\n{\n" + "\n".join(sink("arg")) + "\n}"]
        body.append(f"Run({value});")
    else:
        body.extend(sink(value))
    return Prog("cs", list(CS_IMPORTS), members, body)


# --------------------------------------------------------------------------------------------
# Visual Basic

VB_SOURCES: dict[str, str] = {
    "form": 'Request.Form("x")',
    "index": 'Request("x")',
    "item": 'Request.Item("x")',
    "params": 'Request.Params("x")',
    "querystring-get": 'Request.QueryString.Get("x")',
    "form-brackets": 'Request.Form.Item("x")',
    "page-request": 'Page.Request("x")',
    "httpcontext-current": 'HttpContext.Current.Request.Form("x")',
    "me-context": 'Me.Context.Request.Form("x")',
    "header": 'Request.Headers("X-Token")',
    "cookie": 'Request.Cookies("x").Value',
    "unvalidated": 'Request.Unvalidated.Form("x")',
    "body": "New System.IO.StreamReader(Request.InputStream).ReadToEnd()",
    "lower-case": 'request.form("x")',
}

VB_FLOWS: dict[str, Flow] = {
    "direct": lambda e: ([], [], e),
    "dim-as": lambda e: ([], [f"Dim v As String = {e}"], "v"),
    "dim-infer": lambda e: ([], [f"Dim v = {e}"], "v"),
    "dim-then-assign": lambda e: ([], ["Dim v As String", f"v = {e}"], "v"),
    "colon-statements": lambda e: ([], [f"Dim v As String : v = {e}"], "v"),
    "line-continuation": lambda e: ([], [f"Dim v As String = _\n    {e}"], "v"),
    "field": lambda e: (["Private held As String"], [f"held = {e}"], "held"),
    "function-return": lambda e: ([f"Function Take() As String\n    Return {e}\nEnd Function"], [], "Take()"),
    "function-name-assign": lambda e: (
        [f"Function Take() As String\n    Take = {e}\nEnd Function"],
        [],
        "Take()",
    ),
    "property": lambda e: (
        [f"ReadOnly Property Value() As String\n    Get\n        Return {e}\n    End Get\nEnd Property"],
        [],
        "Value",
    ),
    "concat-amp": lambda e: ([], [], f'"" & {e}'),
    "cstr": lambda e: ([], [], f"CStr({e})"),
    "string-format": lambda e: ([], [], f'String.Format("{{0}}", {e})'),
    "base64": lambda e: ([], [], f"System.Text.Encoding.UTF8.GetString(Convert.FromBase64String({e}))"),
    "iif": lambda e: ([], [f'Dim v As String = IIf({e} <> "", {e}, "")'], "v"),
    "if-operator": lambda e: ([], [f'Dim v As String = If({e}, "")'], "v"),
    "trim": lambda e: ([], [], f"Trim({e})"),
}

VB_SINKS: dict[str, dict[str, Callable[[str], list[str]]]] = {
    "process": {
        "process-start": lambda v: [f'Process.Start("hostname", {v})'],
        "qualified": lambda v: [f'System.Diagnostics.Process.Start("hostname", {v})'],
        "shell": lambda v: [f"Shell({v})"],
        "interaction-shell": lambda v: [f"Microsoft.VisualBasic.Interaction.Shell({v})"],
        "psi": lambda v: [
            "Dim p As New ProcessStartInfo()",
            'p.FileName = "hostname"',
            f"p.Arguments = {v}",
            "Process.Start(p)",
        ],
        "psi-with": lambda v: [
            "Dim p As New ProcessStartInfo()",
            "With p",
            '    .FileName = "hostname"',
            f"    .Arguments = {v}",
            "End With",
            "Process.Start(p)",
        ],
        "createobject-run": lambda v: [f'CreateObject("WScript.Shell").Run({v})'],
        "createobject-variable": lambda v: [
            'Dim sh As Object = CreateObject("WScript.Shell")',
            f"sh.Run({v})",
        ],
        "callbyname": lambda v: [
            'Dim sh As Object = CreateObject("WScript.Shell")',
            f'CallByName(sh, "Run", CallType.Method, {v})',
        ],
        "line-continuation-call": lambda v: [f'Process.Start( _\n    "hostname", _\n    {v})'],
        "call-keyword": lambda v: [f'Call Process.Start("hostname", {v})'],
    },
    "file-write": {
        "writealltext": lambda v: [f'File.WriteAllText({v}, "example")'],
        "streamwriter": lambda v: [f"Dim w As New StreamWriter({v})", 'w.Write("example")', "w.Close()"],
        "my-computer": lambda v: [f'My.Computer.FileSystem.WriteAllText({v}, "example", False)'],
        "saveas": lambda v: [f"Request.Files(0).SaveAs({v})"],
    },
    "sql-text": {
        "sqlcommand": lambda v: [f"Dim cmd As New SqlCommand({v})", "cmd.ExecuteNonQuery()"],
        "commandtext": lambda v: ["Dim cmd As New SqlCommand()", f"cmd.CommandText = {v}"],
    },
}

VB_IMPORTS = ["System.Diagnostics", "System.IO", "System.Data.SqlClient"]


def render_vb(prog: Prog, container: str, directive: str) -> tuple[str, str]:
    imports = "".join(f'<%@ Import Namespace="{i}" %>\n' for i in prog.imports)
    members = "\n".join(prog.members)
    body = "\n".join(prog.body)
    if container == "script":
        return (
            ".aspx",
            f'{directive}\n{imports}<script runat="server">\n{members}\n'
            f"Sub Page_Load(sender As Object, e As EventArgs)\n{body}\nEnd Sub\n</script>",
        )
    if container == "inline":
        head = f'<script runat="server">\n{members}\n</script>\n' if members else ""
        return ".aspx", f"{directive}\n{imports}{head}<%\n{body}\n%>"
    if container == "ashx":
        ctx_body = re.sub(
            r"(?<![\w.])(?:Page\.|Me\.Context\.)?Request\b", "context.Request", body, flags=re.I
        )
        ctx_members = re.sub(
            r"(?<![\w.])(?:Page\.|Me\.Context\.|HttpContext\.Current\.)?Request\b",
            "HttpContext.Current.Request",
            members,
            flags=re.I,
        )
        using = "".join(f"Imports {i}\n" for i in ["System", "System.Web", *prog.imports])
        return (
            ".ashx",
            f'<%@ WebHandler Language="VB" Class="Handler" %>\n{using}\n'
            f"Public Class Handler\n    Implements IHttpHandler\n{ctx_members}\n"
            "Public Sub ProcessRequest(ByVal context As HttpContext) Implements IHttpHandler.ProcessRequest\n"
            f"{ctx_body}\nEnd Sub\n"
            "Public ReadOnly Property IsReusable() As Boolean Implements IHttpHandler.IsReusable\n"
            "    Get\n        Return False\n    End Get\nEnd Property\nEnd Class",
        )
    raise ValueError(container)


VB_DIRECTIVES = {
    "plain": '<%@ Page Language="VB" %>',
    "vbnet": '<%@ Page Language="VB.NET" %>',
    "visualbasic": '<%@ Page Language="VisualBasic" %>',
    "lower-case": '<%@ page language="vb" %>',
    "unquoted": "<%@ Page Language=VB %>",
    "strict-off": '<%@ Page Language="VB" Strict="false" Explicit="false" %>',
}


def vb_prog(source: str, flow: str, sink: Callable[[str], list[str]]) -> Prog:
    members, pre, value = VB_FLOWS[flow](source)
    return Prog("vb", list(VB_IMPORTS), members, [*pre, *sink(value)])


# --------------------------------------------------------------------------------------------
# JScript.NET

JS_SOURCES: dict[str, str] = {
    "item": 'Request.Item["x"]',
    "index": 'Request["x"]',
    "form": 'Request.Form["x"]',
    "form-call": 'Request.Form("x")',
    "params": 'Request.Params["x"]',
    "querystring-get": 'Request.QueryString.Get("x")',
    "httpcontext-current": 'HttpContext.Current.Request.Item["x"]',
    "header": 'Request.Headers["X-Token"]',
    "cookie": 'Request.Cookies["x"].Value',
    "body": "new System.IO.StreamReader(Request.InputStream).ReadToEnd()",
    "page-request": 'Page.Request["x"]',
}

JS_FLOWS: dict[str, Flow] = {
    "direct": lambda e: ([], [], e),
    "var": lambda e: ([], [f"var v = {e};"], "v"),
    "typed-var": lambda e: ([], [f"var v : String = {e};"], "v"),
    "two-vars": lambda e: ([], [f"var a = {e};", "var b = a;"], "b"),
    "function-return": lambda e: ([f"function Take() {{ return {e}; }}"], [], "Take()"),
    "typed-function-return": lambda e: ([f"function Take() : String {{ return {e}; }}"], [], "Take()"),
    "concat": lambda e: ([], [], f'"" + {e}'),
    "tostring": lambda e: ([], [], f"{e}.ToString()"),
    "base64": lambda e: (
        [],
        [],
        f"System.Text.Encoding.UTF8.GetString(System.Convert.FromBase64String({e}))",
    ),
    "ternary": lambda e: ([], [f'var v = {e} ? {e} : "";'], "v"),
    "field": lambda e: (["var held;"], [f"held = {e};"], "held"),
}

JS_SINKS: dict[str, dict[str, Callable[[str], list[str]]]] = {
    "eval": {
        "eval": lambda v: [f"eval({v});"],
        "eval-unsafe": lambda v: [f'eval({v}, "unsafe");'],
        "new-function": lambda v: [f"var f = new Function({v});", "f();"],
        "function-call": lambda v: [f"Function({v})();"],
        "comments-inside": lambda v: [f"eval /* a */ ( /* b */ {v} ) ;"],
        "line-breaks": lambda v: [f"eval(\n    {v}\n);"],
        "eval-assigned": lambda v: ["var run = eval;", f"run({v});"],
        "this-eval": lambda v: [f"this.eval({v});"],
    },
    "process": {
        "process-start": lambda v: [f'System.Diagnostics.Process.Start("hostname", {v});'],
        "activex": lambda v: ['var sh = new ActiveXObject("WScript.Shell");', f"sh.Run({v});"],
    },
}


def render_js(prog: Prog, container: str, directive: str) -> tuple[str, str]:
    members = "\n".join(prog.members)
    body = "\n".join(prog.body)
    if container == "script":
        return (
            ".aspx",
            f'{directive}\n<script runat="server">\n{members}\n'
            f"function Page_Load(sender : Object, e : EventArgs) {{\n{body}\n}}\n</script>",
        )
    if container == "inline":
        head = f'<script runat="server">\n{members}\n</script>\n' if members else ""
        return ".aspx", f"{directive}\n{head}<%\n{body}\n%>"
    raise ValueError(container)


JS_DIRECTIVES = {
    "plain": '<%@ Page Language="JScript" %>',
    "lower-case": '<%@ page language="jscript" %>',
    "js": '<%@ Page Language="js" %>',
    "javascript": '<%@ Page Language="javascript" %>',
}


def js_prog(source: str, flow: str, sink: Callable[[str], list[str]]) -> Prog:
    members, pre, value = JS_FLOWS[flow](source)
    return Prog("js", [], members, [*pre, *sink(value)])


# --------------------------------------------------------------------------------------------
# Noise: comments and line breaks inside calls, other identifiers.


def _outside_strings(page: str, lang: str, pattern: str, repl: Any) -> str:
    """``re.sub`` applied outside string literals (a ProgID or a type name inside a string is data)."""
    strings = re.compile(r'"(?:[^"\n]|"")*"' if lang == "vb" else r'"(?:[^"\\\n]|\\.)*"')
    out, pos = [], 0
    for m in strings.finditer(page):
        out.append(re.sub(pattern, repl, page[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(re.sub(pattern, repl, page[pos:]))
    return "".join(out)


def noise_variants(page: str, lang: str) -> dict[str, str]:
    out: dict[str, str] = {}
    if lang != "vb":
        out["comment-after-dot"] = _outside_strings(page, lang, r"\.(?=[A-Z]\w*\s*[\[(])", "./**/")
        out["newline-after-open-paren"] = _outside_strings(page, lang, r"\((?=[A-Za-z\"])", "(\n    ")
        out["spaces-around-dots"] = _outside_strings(page, lang, r"(?<=[a-z\])])\.(?=[A-Z])", " . ")
        out["comment-before-paren"] = _outside_strings(page, lang, r"(?<=[a-z])\((?=[A-Za-z\"])", " /*x*/ (")
        out["non-ascii-identifiers"] = re.sub(r"\bv\b", "命令", page)
        out["underscore-identifiers"] = re.sub(r"\bv\b", "_0x1f", page)
    if lang == "cs":
        out["verbatim-identifiers"] = re.sub(r"\bv\b", "@v", page)
        out["verbatim-strings"] = "\n".join(
            line if "<%@" in line else re.sub(r'(?<![@$\w=])"(?=[A-Za-z])', '@"', line)
            for line in page.split("\n")
        )
    if lang == "vb":
        out["upper-case"] = re.sub(
            r"\b(Request|Form|Process|Start|Dim|As|String|New|Shell)\b", lambda m: m.group(1).upper(), page
        )
        out["spaces-around-dots"] = _outside_strings(page, lang, r"(?<=[a-z\])])\.(?=[A-Z])", " . ")
    return out


# --------------------------------------------------------------------------------------------
# Single shapes beyond the axes above (written after the first round of fixes, from the brief's list
# of what real authors do): request aliases, type and callable aliases, late binding, obfuscated
# names, other block kinds. ``{X}`` is the request value (its twin: a literal).

_CS_PAGE = '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Diagnostics" %>\n<script runat="server">\n{}\n</script>'
_CS_HANDLER = (
    '<%@ WebHandler Language="C#" Class="H" %>\nusing System.Web;\n{}\npublic class H : IHttpHandler {{\n'
    " public void ProcessRequest(HttpContext c) {{ {} }}\n public bool IsReusable {{ get {{ return false; }} }}\n}}"
)
_PSTART = 'Process.Start("hostname", {});'

EXTRA: list[tuple[str, str, str, str, str]] = [  # axis, variant, extension, page, request value
    ("alias", "cs:request-variable-index", ".aspx",
     _CS_PAGE.format('void Page_Load(object s, EventArgs e) { HttpRequest r = Request; ' + _PSTART.format("{X}") + " }"),
     'r["x"]'),
    ("alias", "cs:request-variable-headers", ".aspx",
     _CS_PAGE.format("void Page_Load(object s, EventArgs e) { var r = HttpContext.Current.Request; "
                     + _PSTART.format("{X}") + " }"), 'r.Headers["x"]'),
    ("alias", "cs:request-parameter", ".aspx",
     _CS_PAGE.format("void Run(HttpRequest q) { " + _PSTART.format("{X}") + " }\n"
                     "void Page_Load(object s, EventArgs e) { Run(Request); }"), 'q["x"]'),
    ("alias", "cs:request-base-parameter", ".aspx",
     _CS_PAGE.format("void Run(HttpRequestBase q) { " + _PSTART.format("{X}") + " }"), 'q.Headers["x"]'),
    ("alias", "cs:using-type-alias", ".ashx",
     _CS_HANDLER.format("using P = System.Diagnostics.Process;", 'P.Start("hostname", {X});'), 'c.Request["x"]'),
    ("alias", "cs:using-file-alias", ".ashx",
     _CS_HANDLER.format("using F = System.IO.File;", 'F.WriteAllText({X}, "example");'), 'c.Request["p"]'),
    ("alias", "cs:using-command-alias", ".ashx",
     _CS_HANDLER.format("using Cmd = System.Data.SqlClient.SqlCommand;", "new Cmd({X}).ExecuteNonQuery();"),
     'c.Request["q"]'),
    ("alias", "cs:method-group-delegate", ".aspx",
     _CS_PAGE.format("void Page_Load(object s, EventArgs e) { Func<string, Process> f = Process.Start; f({X}); }"),
     'Request["x"]'),
    ("alias", "cs:out-parameter", ".aspx",
     _CS_PAGE.format("void Get(out string v) { v = {X}; }\nvoid Page_Load(object s, EventArgs e) "
                     "{ string c; Get(out c); " + _PSTART.format("c") + " }"), 'Request["x"]'),
    ("alias", "vb:callbyname-property", ".aspx",
     '<%@ Page Language="VB" %>\n<%\nDim p As New System.Diagnostics.Process()\np.StartInfo.FileName = "hostname"\n'
     'CallByName(p.StartInfo, "Arguments", CallType.Let, {X})\np.Start()\n%>', 'Request("x")'),
    ("alias", "vb:server-createobject-exec", ".aspx",
     '<%@ Page Language="VB" aspcompat="true" %>\n<%\nDim sh = Server.CreateObject("WScript.Shell")\nsh.Exec({X})\n%>',
     'Request("x")'),
    ("alias", "js:function-constructor-alias", ".aspx",
     '<%@ Page Language="JScript" %>\n<% var F = Function; var f = new F({X}); f(); %>', 'Request.Item["x"]'),
    ("alias", "js:eval-alias", ".aspx",
     '<%@ Page Language="JScript" %>\n<% var run = eval; run({X}); %>', 'Request.Item["x"]'),
    ("alias", "js:bracket-member", ".aspx",
     '<%@ Page Language="JScript" %>\n<% var o = this; o["eval"]({X}); %>', 'Request.Item["x"]'),
    ("alias", "js:bracket-member-split", ".aspx",
     '<%@ Page Language="JScript" %>\n<% this["ev" + "al"]({X}); %>', 'Request.Item["x"]'),
    ("obfuscation", "cs:typename-base64", ".aspx",
     _CS_PAGE.format('void Page_Load(object s, EventArgs e) { Type.GetType(Encoding.UTF8.GetString(Convert.FromBase64String('
                     '"U3lzdGVtLkRpYWdub3N0aWNzLlByb2Nlc3M="))).GetMethod("Start", new Type[] { typeof(string), '
                     'typeof(string) }).Invoke(null, new object[] { "hostname", {X} }); }'), 'Request["x"]'),
    ("obfuscation", "cs:typename-string-concat", ".aspx",
     _CS_PAGE.format('void Page_Load(object s, EventArgs e) { Type.GetType(string.Concat("System.Diag", "nostics.Process"))'
                     '.GetMethod("Start", new Type[] { typeof(string), typeof(string) })'
                     '.Invoke(null, new object[] { "hostname", {X} }); }'), 'Request["x"]'),
    ("obfuscation", "cs:typename-reversed", ".aspx",
     _CS_PAGE.format('void Page_Load(object s, EventArgs e) { Type.GetType(new string("ssecorP.scitsongaiD.metsyS"'
                     '.Reverse().ToArray())).GetMethod("Start", new Type[] { typeof(string), typeof(string) })'
                     '.Invoke(null, new object[] { "hostname", {X} }); }'), 'Request["x"]'),
    ("obfuscation", "cs:typename-char-in-parentheses", ".aspx",
     _CS_PAGE.format('void Page_Load(object s, EventArgs e) { Type.GetType("System.Diagnostics." + (char)(80) + "rocess")'
                     '.GetMethod("Start", new Type[] { typeof(string), typeof(string) })'
                     '.Invoke(null, new object[] { "hostname", {X} }); }'), 'Request["x"]'),
    ("alias", "cs:using-static", ".ashx",
     _CS_HANDLER.format("using static System.Diagnostics.Process;", 'Start("hostname", {X});'), 'c.Request["x"]'),
    ("container", "cs:object-data-source-markup", ".aspx",
     '<%@ Page Language="C#" %>\n<asp:ObjectDataSource ID="o" runat="server" TypeName="System.Diagnostics.Process" '
     'SelectMethod="Start">\n<SelectParameters>{X}</SelectParameters>\n</asp:ObjectDataSource>',
     '<asp:QueryStringParameter Name="fileName" QueryStringField="c" />'),
    ("obfuscation", "cs:verbatim-identifiers", ".aspx",
     '<%@ Page Language="C#" %>\n<% System.Diagnostics.@Process.@Start("hostname", {X}); %>', '@Request["x"]'),
    ("obfuscation", "cs:unicode-escaped-names", ".aspx",
     '<%@ Page Language="C#" %>\n<% System.Diagnostics.\\u0050rocess.Start("hostname", {X}); %>', '\\u0052equest["x"]'),
    ("obfuscation", "cs:comments-between-every-token", ".aspx",
     '<%@ Page Language="C#" %>\n<% System/**/./**/Diagnostics/**/./**/Process/**/./**/Start/**/(/**/"hostname", {X}); %>',
     'Request/**/[/**/"x"/**/]'),
    ("obfuscation", "cs:line-comments-in-call", ".aspx",
     '<%@ Page Language="C#" %>\n<% System.Diagnostics.Process // a\n.Start("hostname", // b\n{X}); %>', 'Request["x"]'),
    ("obfuscation", "cs:crlf", ".aspx",
     '<%@ Page Language="C#" %>\r\n<script runat="server">\r\nvoid Page_Load() {\r\n string v = {X};\r\n'
     ' System.Diagnostics.Process.Start("hostname", v);\r\n}\r\n</script>', 'Request["x"]'),
    ("obfuscation", "vb:crlf-continuation", ".aspx",
     '<%@ Page Language="VB" %>\r\n<script runat="server">\r\nSub Page_Load()\r\n Dim v As String = _\r\n  {X}\r\n'
     ' System.Diagnostics.Process.Start("hostname", v)\r\nEnd Sub\r\n</script>', 'Request("x")'),
    ("obfuscation", "cs:utf8-bom", ".aspx",
     '\ufeff<%@ Page Language="C#" %>\n<% System.Diagnostics.Process.Start("hostname", {X}); %>', 'Request["x"]'),
    ("container", "cs:expression-block", ".aspx",
     '<%@ Page Language="C#" %>\n<%= System.Diagnostics.Process.Start("hostname", {X}).Id %>', 'Request["x"]'),
    ("container", "cs:databinding-block", ".aspx",
     '<%@ Page Language="C#" %>\n<%# System.Diagnostics.Process.Start("hostname", {X}).Id %>', 'Request["x"]'),
    ("container", "cs:global-asax-begin-request", ".asax",
     '<%@ Application Language="C#" %>\n<script runat="server">\nvoid Application_BeginRequest(object s, EventArgs e) '
     '{ System.Diagnostics.Process.Start("hostname", {X}); }\n</script>', 'HttpContext.Current.Request.Headers["X-K"]'),
    ("container", "cs:asmx-web-method-parameters", ".asmx",
     '<%@ WebService Language="C#" Class="S" %>\nusing System.Web.Services;\npublic class S : WebService {\n'
     " [WebMethod(EnableSession = true)]\n public void Save(string path) { System.IO.File.WriteAllText({X}, \"example\"); }\n}",
     "path"),
    ("container", "vb:asmx-web-method-parameters", ".asmx",
     '<%@ WebService Language="VB" Class="S" %>\nImports System.Web.Services\nPublic Class S\n Inherits WebService\n'
     ' <WebMethod()> _\n Public Function Run(ByVal a As String) As String\n  System.Diagnostics.Process.Start("hostname", {X})\n'
     '  Return ""\n End Function\nEnd Class', "a"),
    ("container", "cs:script-tag-language-only", ".aspx",
     '<script language="c#" runat="server">\nvoid Page_Load() { System.Diagnostics.Process.Start("hostname", {X}); }\n</script>',
     'Request["x"]'),
    ("container", "cs:uppercase-unquoted-runat", ".aspx",
     '<%@ Page Language="C#" %>\n<SCRIPT RUNAT=SERVER>\nvoid Page_Load() { System.Diagnostics.Process.Start("hostname", {X}); }\n</SCRIPT>',
     'Request["x"]'),
    ("container", "js:script-tag-language-only", ".aspx",
     '<script language="JScript" runat="server">\nfunction Page_Load() { eval({X}); }\n</script>', 'Request.Item["x"]'),
]  # fmt: skip

# --------------------------------------------------------------------------------------------


LIT = '"hostname"'


def _twin(prog_of: Callable[[str], Prog], render: Callable[[Prog], tuple[str, str]]) -> str:
    return render(prog_of(LIT))[1]


def mutants() -> Iterator[Mutant]:
    """Every mutant, one axis varied at a time from each seed's baseline."""
    langs = [
        ("cs", CS_SOURCES, CS_FLOWS, CS_SINKS, CS_DIRECTIVES, cs_prog, render_cs,
         ["script", "inline", "inline-split", "script-language-attr", "ashx", "ashx-lowercase-directive", "asmx"],
         "form"),
        ("vb", VB_SOURCES, VB_FLOWS, VB_SINKS, VB_DIRECTIVES, vb_prog, render_vb, ["script", "inline", "ashx"], "form"),
        ("js", JS_SOURCES, JS_FLOWS, JS_SINKS, JS_DIRECTIVES, js_prog, render_js, ["script", "inline"], "item"),
    ]  # fmt: skip
    for lang, sources, flows, sinks, directives, prog, render, containers, base_src in langs:
        base_dir = next(iter(directives.values()))
        for seed, spellings in sinks.items():
            base_sink_name, base_sink = next(iter(spellings.items()))
            first_flow = "local" if lang == "cs" else ("dim-as" if lang == "vb" else "var")

            def emit(
                axis: str,
                variant: str,
                src: str,
                flow: str,
                sink: Callable[[str], list[str]],
                container: str,
                directive: str,
                post: Callable[[str], str] | None = None,
                lang: str = lang,
                seed: str = seed,
                prog: Any = prog,
                render: Any = render,
            ) -> Mutant:
                def page_of(s: str) -> tuple[str, str]:
                    return render(prog(s, flow, sink), container, directive)  # type: ignore[operator]

                ext, page = page_of(src)
                twin = page_of(LIT)[1]
                if post is not None:
                    page, twin = post(page), post(twin)
                return Mutant(axis, f"{lang}:{variant}", f"{lang}:{seed}", ext, page, twin)

            for name, src in sources.items():
                yield emit("source", name, src, "direct", base_sink, "script", base_dir)
            for name in flows:
                yield emit("flow", name, sources[base_src], name, base_sink, "script", base_dir)
            for name, sink in spellings.items():
                for flow in ("direct", first_flow):
                    yield emit("sink", f"{seed}/{name}", sources[base_src], flow, sink, "script", base_dir)
            for container in containers:
                for flow in ("direct", first_flow):
                    yield emit(
                        "container", container, sources[base_src], flow, base_sink, container, base_dir
                    )
            for name, d in directives.items():
                yield emit("directive", name, sources[base_src], "direct", base_sink, "inline", d)
            ext, page = render(prog(sources[base_src], first_flow, base_sink), "script", base_dir)  # type: ignore[operator]
            twin = render(prog(LIT, first_flow, base_sink), "script", base_dir)[1]  # type: ignore[operator]
            for name, varied in noise_variants(page, lang).items():
                yield Mutant(
                    "noise", f"{lang}:{name}", f"{lang}:{seed}", ext, varied, noise_variants(twin, lang)[name]
                )
            del base_sink_name
    yield from combined(COMBINED)
    for axis, variant, ext, page, value in EXTRA:
        twin = LIT  # the request value replaced by a literal
        yield Mutant(
            axis,
            variant,
            variant.split(":")[0] + ":extra",
            ext,
            page.replace("{X}", value),
            page.replace("{X}", twin),
        )


#: Random combinations per language (fixed seed): every axis varied at once.
COMBINED = 200


def combined(count: int) -> Iterator[Mutant]:
    """``count`` pages per language with source, flow, sink spelling, container, directive and noise all
    drawn at random (seeded): variations that interact (a helper in a handler, an alias through an
    interpolated string ...) show up here and not one axis at a time."""
    rng = random.Random(14)
    specs = [
        ("cs", CS_SOURCES, CS_FLOWS, CS_SINKS, CS_DIRECTIVES, cs_prog, render_cs,
         ["script", "inline", "inline-split", "script-language-attr", "ashx", "asmx"]),
        ("vb", VB_SOURCES, VB_FLOWS, VB_SINKS, VB_DIRECTIVES, vb_prog, render_vb, ["script", "inline", "ashx"]),
        ("js", JS_SOURCES, JS_FLOWS, JS_SINKS, JS_DIRECTIVES, js_prog, render_js, ["script", "inline"]),
    ]  # fmt: skip
    for lang, sources, flows, sinks, directives, prog, render, containers in specs:
        for i in range(count):
            seed = rng.choice(sorted(sinks))
            spelling = rng.choice(sorted(sinks[seed]))
            src = rng.choice(sorted(sources))
            if lang == "cs" and seed == "file-write" and src.startswith(("body", "uploaded")):
                src = "form"  # body text as a whole file path: not counted (see BENCHMARKS)
            if lang == "vb" and seed == "file-write" and src == "body":
                src = "form"
            flow = rng.choice(sorted(flows))
            container = rng.choice(containers)
            directive = rng.choice(sorted(directives))
            if container not in ("inline", "script"):
                directive = next(iter(directives))  # handlers and services carry their own directive
            sink = sinks[seed][spelling]
            ext, page = render(prog(sources[src], flow, sink), container, directives[directive])
            twin = render(prog(LIT, flow, sink), container, directives[directive])[1]
            noise = noise_variants(page, lang)
            if noise and rng.random() < 0.7:
                kind = rng.choice(sorted(noise))
                page, twin = noise[kind], noise_variants(twin, lang)[kind]
            else:
                kind = "none"
            yield Mutant(
                "combined",
                f"{lang}:{i}:{seed}/{spelling}+{src}+{flow}+{container}+{directive}+{kind}",
                f"{lang}:{seed}",
                ext,
                page,
                twin,
            )


@cache
def _traced() -> frozenset[str]:
    """Sinks that need request input to fire (the taint engine's work, not a spelling alone)."""
    return frozenset(s.id for s in knowledge().sinks if s.needs not in ("none", "whole"))


def found(page: str, ext: str) -> tuple[list[str], list[str]]:
    """(sinks reached by request input, other sinks) found on a page."""
    sinks = {h["sink"] for h in analyse(page.encode("utf-8"), ext, budget=10.0).hits}
    return sorted(sinks & _traced()), sorted(sinks - _traced())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--list", action="store_true", help="print every missed mutant and every flagged twin")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--show", help="print the page of the first mutant whose variant contains this")
    args = ap.parse_args()
    # found by a traced sink, total, twin flagged by a traced sink, found by any sink
    per: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    missed: list[str] = []
    twins: list[str] = []
    for m in mutants():
        if args.show and args.show in f"{m.axis} {m.variant} {m.seed}":
            print(m.page)
            print("--- twin ---")
            print(m.twin)
            return
        traced, other = found(m.page, m.ext)
        fp, _ = found(m.twin, m.ext)
        row = per[(m.axis, m.variant)]
        row[0] += bool(traced)
        row[1] += 1
        row[2] += bool(fp)
        row[3] += bool(traced or other)
        if not traced:
            missed.append(f"{m.axis} {m.variant} {m.seed} (other sinks: {other})")
        if fp:
            twins.append(f"{m.axis} {m.variant} {m.seed} {fp}")
    # traced found, total, variants fully found, variants, twins flagged, any found
    axes: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    for (axis, _v), (f, t, fp, anyf) in per.items():
        a = axes[axis]
        a[0] += f
        a[1] += t
        a[2] += f == t
        a[3] += 1
        a[4] += fp
        a[5] += anyf
    if args.json:
        print(
            json.dumps(
                {
                    "axes": axes,
                    "variants": {f"{a} {v}": r for (a, v), r in per.items()},
                    "missed": missed,
                    "twins_flagged": twins,
                },
                indent=1,
            )
        )
        return
    print(
        f"{'axis':10} {'source->sink found':>19} {'any sink':>9} {'variants all found':>19} {'twins flagged':>14}"
    )
    tot = [0] * 6
    for axis, a in axes.items():
        print(
            f"{axis:10} {a[0]:>5}/{a[1]:<4} {100 * a[0] / a[1]:5.1f}% {a[5]:>9} {a[2]:>11}/{a[3]:<6} {a[4]:>14}"
        )
        tot = [x + y for x, y in zip(tot, a, strict=True)]
    print(
        f"{'all':10} {tot[0]:>5}/{tot[1]:<4} {100 * tot[0] / tot[1]:5.1f}% {tot[5]:>9} {tot[2]:>11}/{tot[3]:<6} {tot[4]:>14}"
    )
    if args.list:
        print("\nmissed variants (source->sink found/total):")
        for (axis, v), (f, t, _fp, _a) in sorted(per.items()):
            if f < t:
                print(f"  {axis:10} {v:45} {f}/{t}")
        print("\nmissed mutants:")
        for x in missed:
            print("  " + x)
        print("\nflagged twins (a source->sink finding with no request input):")
        for t in twins:
            print("  " + t)


if __name__ == "__main__":
    main()
