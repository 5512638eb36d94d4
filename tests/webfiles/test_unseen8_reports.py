"""Rules written from the sixth unseen collection (issue 14, helper X7: shells printed in published text).

Two of the thirty pages were missed on first sight: a "stub" page whose only code constructs one object
of a class compiled into a DLL dropped in Bin (the constructor does the work), and a JScript .NET web
service whose web method passes its parameter to ``eval``. The pages below have those code shapes (and
the benign ones the shapes of ordinary pages and services), are written for these tests, name only
``Example``-style classes and are never run. They are not copies of the published shells.
"""

from __future__ import annotations

from .rule_tables import rule_tables

# --- stub page: the whole server code constructs one object of a custom class -------------------------
STUB_RULE = "EXT_WEBSHELL_Custom_Class_Stub_Page"

STUB_SHELLS: list[tuple[str, str, str]] = [
    (
        "cs-field-no-namespace",
        ".aspx",
        '<%@ Page Language="C#" ValidateRequest="false" %> <script runat="server">ExampleTool t = new ExampleTool();</script>',
    ),
    (
        "cs-field-dotted-with-key",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script language="C#" runat="server">\n'
        '    private Example.Tools.Runner r = new Example.Tools.Runner("0000example");\n</script>\n',
    ),
    (
        "cs-inline-block",
        ".aspx",
        '<%@ Page Language="C#" %><% var x = new ExampleTool("k"); %>',
    ),
    (
        "vb-dim-as-new",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\n    Dim t As New ExampleTool()\n</script>',
    ),
    (
        "cs-with-server-comment",
        ".aspx",
        '<%@ Page Language="C#" %><%-- status --%>\n<script runat="server">ExampleTool t = new ExampleTool();</script>',
    ),
]

STUB_BENIGN: list[tuple[str, str, str]] = [
    (
        "field-used-in-expression",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">Catalog c = new Catalog();</script>\n<h1><%= c.Title %></h1>',
    ),
    (
        "field-used-by-page-load",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "Catalog c = new Catalog();\n"
        "void Page_Load(object s, EventArgs e) { Title.Text = c.Title; }\n</script>",
    ),
    (
        "page-with-server-controls",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">Catalog c = new Catalog();</script>\n'
        '<form runat="server"><asp:Label ID="L" runat="server" Text="Catalog" /></form>',
    ),
    (
        "framework-type-only",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">System.Text.StringBuilder sb = new System.Text.StringBuilder();</script>',
    ),
    (
        "inline-block-with-output",
        ".aspx",
        '<%@ Page Language="C#" %><% var c = new Catalog(); %><p><%= c.Title %></p>',
    ),
]

# --- JScript .NET service or handler that evaluates what it is sent -----------------------------------
SVC_RULE = "EXT_WEBSHELL_JScript_Service_Eval"

SVC_SHELLS: list[tuple[str, str, str]] = [
    (
        "asmx-web-method-parameter",
        ".asmx",
        '<%@ WebService Language="JScript" class="ExampleService"%>\nimport System;\nimport System.Web.Services\n'
        "public class ExampleService extends WebService {\n"
        "    WebMethodAttribute function Run(code : String) : String { return eval(code); }\n}",
    ),
    (
        "svc-operation",
        ".svc",
        '<%@ ServiceHost Service="ExampleOp" Debug="true" Language="JS" %> import System.ServiceModel; '
        "ServiceContractAttribute public class ExampleOp { OperationContractAttribute public function "
        'Go(t : String) : String { return eval(t, "unsafe"); } }',
    ),
    (
        "ashx-handler-request-value",
        ".ashx",
        '<%@ WebHandler Language="JScript" class="ExampleHandler" %>\nimport System.Web;\n'
        "public class ExampleHandler implements IHttpHandler {\n"
        '    function IHttpHandler.ProcessRequest(context : HttpContext) { eval(context.Request["q"]); }\n'
        "    function get IHttpHandler.IsReusable() : Boolean { return false; }\n}",
    ),
]

SVC_BENIGN: list[tuple[str, str, str]] = [
    (
        "jscript-arithmetic-service",
        ".asmx",
        '<%@ WebService Language="JScript" Class="MathExample" %>\nimport System.Web.Services;\n'
        "public class MathExample extends WebService {\n"
        "    WebMethodAttribute public function Add(a : float, b : float) : float { return a + b; }\n}",
    ),
    (
        "jscript-service-evaluate-method",
        ".asmx",
        '<%@ WebService Language="JScript" Class="RateExample" %>\nimport System.Web.Services;\n'
        "public class RateExample extends WebService {\n"
        "    WebMethodAttribute public function Quote(n : int) : double { return evaluateRate(n); }\n"
        "    function evaluateRate(n : int) : double { return n * 1.5; }\n}",
    ),
    (
        "csharp-service-with-word-eval",
        ".asmx",
        '<%@ WebService Language="C#" Class="Notes" %>\nusing System.Web.Services;\n'
        "public class Notes : WebService {\n"
        '    [WebMethod] public string Help() { return "eval(x) is not supported"; }\n}',
    ),
    (
        "jscript-service-eval-of-literal",
        ".asmx",
        '<%@ WebService Language="JScript" Class="ConstExample" %>\nimport System.Web.Services;\n'
        "public class ConstExample extends WebService {\n"
        '    WebMethodAttribute public function Two() : int { return eval("1 + 1"); }\n}',
    ),
]


CASES = ((STUB_RULE, STUB_SHELLS, STUB_BENIGN), (SVC_RULE, SVC_SHELLS, SVC_BENIGN))
test_shell_is_found, test_ordinary_page_is_not_flagged, test_rule_needs_a_server_page = rule_tables(CASES)
