/*
  extriage rules for server pages that do their harm with controls and directives alone - no code block -,
  written for this project (MIT, like the rest of extriage). Issue 14, helper X37 (thirty-seventh unseen
  collection: SharePoint and other Microsoft on-premises server intrusions).

  Why this file: SharePoint site pages may not hold code blocks, so the SharePoint exploits of 2019-2021
  (CVE-2020-0974, -1069, -1103, -1147, -1181, -1444, CVE-2021-28474, -31181: Zero Day Initiative write-ups and
  the Black Hat USA 2020 paper "Room for Escape" by O. Mirosh and A. Munoz) run their payload through the
  declarative markup the page parser turns into objects: an ObjectDataSource whose TypeName is
  System.Diagnostics.Process and whose SelectMethod is Start launches a program when the page binds its data;
  an XmlDataSource, an Xml control or a server-side include pulls web.config (and its machineKey) into the
  page; a ControlParameter binds the farm's stored validation key and an XmlUrlDataSource sends it out; a
  page that declares the __SUGGESTIONSCACHE__ field for ContactLinksSuggestionsMicroView feeds a DataSet the
  request's XML (a deserialisation gadget). Written into a site's folder as an .aspx the same markup runs as
  it did in the site page. On first sight none of the eleven pages was found: the behaviour analysis reads
  code, and no rule knew the markup. The rules match the markup's meaning, not the write-ups' strings:
    - a data-source control bound to a framework type that runs programs, loads code or deserialises
      (Process, Assembly, Activator, the formatters, XamlReader, Registry, PowerShell): applications bind
      data-source controls to their own business classes;
    - markup that reads the site's configuration file into the page (XmlDataSource DataFile / Xml
      DocumentSource or TransformSource naming a .config file, an XPath into machineKey, or an
      `#include` of web.config, machine.config or applicationHost.config): applications show their own XML
      data and include their own fragments, and ASP.NET refuses to serve .config files for a reason;
    - a control parameter bound to the farm's secrets (a property path through InitializationSettings or
      the farm's Machine*Key settings);
    - the CVE-2020-1147 and ToolShell (CVE-2025-49704) deserialisation controls declared with their payload
      field: a TextBox named __SUGGESTIONSCACHE__ beside ContactLinksSuggestionsMicroView, or a PerformancePoint
      ExcelDataSet with a CompressedDataTable. SharePoint's own pages use these controls without either.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_DataSource_Bound_To_Process
{
    meta:
        author = "extriage"
        description = "Page markup binding a data-source control (ObjectDataSource) to a framework type that starts programs, loads code or deserialises (System.Diagnostics.Process Start, Assembly.Load, LosFormatter ...): the page runs it when it binds its data - SharePoint site-page exploit style"
        family = "data-source control gadget page"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059"
    strings:
        // the control, declared in markup under any tag prefix, or made in code
        $ods_tag = /<\s*[A-Za-z0-9_]{1,40}\s*:\s*ObjectDataSource\b/ nocase ascii wide
        $ods_code = /new\s+(System\.Web\.UI\.WebControls\.)?ObjectDataSource\s*\(/ nocase ascii wide
        // bound to a framework type that runs, loads or deserialises (attribute, or the property set in code)
        $type = /TypeName\s*=\s*["']?\s*(System\.Diagnostics\.Process|System\.Reflection\.Assembly|System\.Activator|System\.Web\.UI\.(LosFormatter|ObjectStateFormatter)|System\.Runtime\.Serialization\.(NetDataContractSerializer|Formatters\.)|System\.Windows\.Markup\.XamlReader|System\.Management\.Automation\.PowerShell|Microsoft\.Win32\.Registry)\b/ nocase ascii wide
        $runat = /runat\s*=\s*["']?(s|&#0*115;|&#x0*73;)erver/ nocase ascii wide
        $page = /<%\s*@\s*((Page|Control|Master|Register)\b|\w[\w:]*\s*=)/ nocase ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($runat or $page) and ($ods_tag or $ods_code) and $type
}

rule EXT_WEBSHELL_Markup_Reads_Site_Configuration
{
    meta:
        author = "extriage"
        description = "Page markup that reads the site's configuration file into the page (XmlDataSource/Xml control on web.config, an XPath into machineKey, or a server-side include of web.config): machine keys and connection strings handed to whoever requests it - rotate the machine keys"
        family = "configuration disclosure page (machine keys)"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1552.001,T1505.003"
    strings:
        // a server-side include of a configuration file
        $ssi = /<!--\s*#\s*include\s+(virtual|file)\s*=\s*["']?[^"'>\r\n]{0,200}\b(web|machine|applicationHost)\.config["']?\s*-->/ nocase ascii wide
        // XmlDataSource / Xml controls whose data or transform file is a .config
        $xmlds = /<\s*[A-Za-z0-9_]{1,40}\s*:\s*XmlDataSource\b[^>]{0,800}\bDataFile\s*=\s*["'][^"'\r\n]{0,200}\.config["']/ nocase ascii wide
        $xmlctl = /<\s*[A-Za-z0-9_]{1,40}\s*:\s*Xml\b[^>]{0,800}\b(DocumentSource|TransformSource)\s*=\s*["'][^"'\r\n]{0,200}\.config["']/ nocase ascii wide
        // an XPath straight into the machine keys
        $xpath = /\bXPath\s*=\s*["'][^"'\r\n]{0,100}\bmachineKey\b/ nocase ascii wide
        $runat = /runat\s*=\s*["']?(s|&#0*115;|&#x0*73;)erver/ nocase ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($ssi or ($runat and ($xmlds or $xmlctl or $xpath)))
}

rule EXT_WEBSHELL_Markup_Binds_Farm_Secrets
{
    meta:
        author = "extriage"
        description = "Page markup binding a control parameter to the SharePoint farm's stored secrets (InitializationSettings, MachineValidationKey/MachineDecryptionKey) - typically sent out by an XmlUrlDataSource: rotate the machine keys"
        family = "configuration disclosure page (machine keys)"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1552.001,T1505.003"
    strings:
        $path = /PropertyName\s*=\s*["'][^"'\r\n]{0,300}\b(InitializationSettings|MachineValidationKey|MachineDecryptionKey)\b/ nocase ascii wide
        $runat = /runat\s*=\s*["']?(s|&#0*115;|&#x0*73;)erver/ nocase ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and $runat and $path
}

rule EXT_WEBSHELL_SharePoint_Deserialising_Control_Page
{
    meta:
        author = "extriage"
        description = "Page declaring a SharePoint control that deserialises what the request or the page supplies (ContactLinksSuggestionsMicroView with a __SUGGESTIONSCACHE__ field - CVE-2020-1147; PerformancePoint ExcelDataSet with a CompressedDataTable - ToolShell, CVE-2025-49704)"
        family = "SharePoint deserialisation gadget page"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1190"
    strings:
        $contact = /:\s*ContactLinksSuggestionsMicroView\b/ nocase ascii wide
        $cache_id = /\bID\s*=\s*["']__SUGGESTIONSCACHE__["']/ nocase ascii wide
        $excel = /:\s*ExcelDataSet\b/ nocase ascii wide
        $table = /\bCompressedDataTable\s*=\s*["'][A-Za-z0-9+\/=]{8}/ nocase ascii wide
        $runat = /runat\s*=\s*["']?(s|&#0*115;|&#x0*73;)erver/ nocase ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and $runat and (($contact and $cache_id) or ($excel and $table))
}

/*
  Second batch (Metasploit's sharepoint_ssi_viewstate, CVE-2020-16952): the page the module writes holds no
  include itself. A data view web part binds a request header (ParameterBinding Location="ServerVariable(HTTP_...)")
  to an XSLT parameter and writes that parameter with disable-output-escaping="yes": whatever the request sends -
  here `<!--#include virtual="/web.config"-->` - becomes markup SharePoint parses. Missed on first sight by every
  check. The rule wants the three together: a parameter bound to the request (header, query string or form field)
  and a bare parameter written unescaped. SharePoint's own and designer-made views bind HTTP_HOST or PATH_INFO to
  build links (concat), filter by a query-string ID, and write rich-text fields (@Body) unescaped - none writes a
  bound request parameter as markup.
*/

rule EXT_WEBSHELL_Markup_Reflects_Request_Unescaped
{
    meta:
        author = "extriage"
        description = "SharePoint data view web part that binds a request value (header, query string, form field) to an XSLT parameter and writes it unescaped: the request becomes page markup (server-side include of web.config, CVE-2020-16952 style)"
        family = "request-to-markup gate (SharePoint)"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1552.001"
    strings:
        $bind = /<\s*ParameterBinding\b[^>]{0,300}\bLocation\s*=\s*["']\s*(ServerVariable\s*\(\s*HTTP_|QueryString\s*\(|Form\s*\()/ nocase ascii wide
        $doe1 = /<\s*xsl:value-of\s+select\s*=\s*["']\s*\$[A-Za-z_][A-Za-z0-9_.\-]{0,60}\s*["']\s+disable-output-escaping\s*=\s*["']yes["']/ nocase ascii wide
        $doe2 = /<\s*xsl:value-of\s+disable-output-escaping\s*=\s*["']yes["']\s+select\s*=\s*["']\s*\$[A-Za-z_][A-Za-z0-9_.\-]{0,60}\s*["']/ nocase ascii wide
        $runat = /runat\s*=\s*["']?(s|&#0*115;|&#x0*73;)erver/ nocase ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and $runat and $bind and ($doe1 or $doe2)
}
