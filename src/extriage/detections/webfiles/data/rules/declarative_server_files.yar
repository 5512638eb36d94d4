/*
  extriage rules for files IIS and ASP.NET run or deserialise although they hold no page code block,
  written for this project (MIT, like the rest of extriage). Issue 14, helper X38 (thirty-eighth unseen
  collection: shells whose harm is outside a code block).

  Why this file: the content checks read code blocks (`<% %>`, `<script runat=server>`) and the code
  idioms inside them. Four kinds of server file do their harm without one, and on first sight none of the
  collection's workflow services or resource files was found:
    - workflow services (.xamlx; .xoml is the older form): IIS serves them through the WCF HTTP activation
      feature and compiles their XAML. Soroush Dalili's "Getting Shell with XAMLX Files" (NCC Group, 2019;
      PayloadsAllTheThings keeps one as "Upload Insecure Files/Extension ASP/shell.xamlx") starts a program
      from a Visual Basic expression (`[System.Diagnostics.Process.Start(...)]`), from a C# expression
      activity (`mca:CSharpValue`) of an InvokeMethod whose method is Start, or at compile time through an
      ObjectDataProvider (the XAML deserialisation gadget of Munoz & Mirosh's "Friday the 13th JSON
      Attacks") inside an x:Array. Ordinary workflow services receive a message, call the application's own
      classes and reply;
    - resource files (.resx, compiled .resources): ASP.NET compiles those in App_GlobalResources and
      App_LocalResources when any page of the folder is requested, and the resource reader deserialises
      what the file declares (Dalili, "ASP.NET resource files (.RESX) and deserialisation issues", NCC
      Group 2018): a BinaryFormatter/SoapFormatter node holding a known gadget chain, or a ResXFileRef that
      loads another resource set or reads a UNC path. Ordinary resource files hold strings, images and
      icons, and refer to files of the project by relative paths;
    - XSLT stylesheets with an msxsl:script block: a page that transforms with scripts enabled compiles the
      block (Umbraco 7's XSLT macros, Ektron CMS400's ekajaxtransform.aspx - CVE-2012-5357, Metasploit's
      ektron_xslt_exec - run the stylesheet they are given or that sits in their xslt folder). The
      behaviour analysis reads the block, but a stylesheet is not a page, so its process start was only
      reported, not counted as a shell. Ordinary script blocks format dates and strings;
    - server-side include pages (.stm, .shtm, .shtml) with `#exec cmd`: IIS's include module runs the
      command line when the page is requested (Microsoft's own knowledge-base example runs `cmd /c dir`);
      IIS has refused it unless an administrator turned SSIEnableCmdDirective back on, so no page of an
      ordinary site has it.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_Workflow_Markup_Runs_Code
{
    meta:
        author = "extriage"
        description = "Workflow service or XAML markup (.xamlx/.xoml/.xaml) that starts a program or loads code: a Visual Basic or C# expression calling Process.Start/Assembly.Load, an InvokeMethod of Start on System.Diagnostics.Process, or an ObjectDataProvider gadget - IIS compiles the file when it is requested"
        family = "workflow service shell (XAMLX)"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059"
    strings:
        // the XAML vocabularies of workflow services (WF4 .xamlx, WF3 .xoml) and of XAML itself
        $ns1 = "schemas.microsoft.com/netfx/2009/xaml/servicemodel" nocase ascii wide
        $ns2 = "schemas.microsoft.com/netfx/2009/xaml/activities" nocase ascii wide
        $ns3 = "schemas.microsoft.com/winfx/2006/xaml" nocase ascii wide
        // an expression or expression activity that runs a program or loads code
        // (four patterns, not one alternation: yara-x finds no good atom for the alternation)
        $run1 = /\bProcess\s*\.\s*Start\s*\(/ nocase ascii wide
        $run2 = /\bDiagnostics\s*\.\s*ProcessStartInfo\b/ nocase ascii wide
        $run3 = /\bAssembly\s*\.\s*(Load|LoadFrom|LoadFile|UnsafeLoadFrom)\s*\(/ nocase ascii wide
        $run4 = /\bPowerShell\s*\.\s*Create\s*\(/ nocase ascii wide
        // System.Diagnostics declared for objects made in markup, a method called Start, an ObjectDataProvider
        $diag = /clr-namespace\s*:\s*System\.Diagnostics\s*;/ nocase ascii wide
        $start = /\bMethodName\s*=\s*["']\s*Start\s*["']/ nocase ascii wide
        $odp = /<\s*([A-Za-z0-9_]{1,40}\s*:\s*)?ObjectDataProvider\b/ nocase ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
    condition:
        filesize < 16MB and not any of ($log*) and any of ($ns*)
        and (any of ($run*) or ($start and ($diag or $odp)))
}

rule EXT_WEBSHELL_Resource_File_Deserialisation_Payload
{
    meta:
        author = "extriage"
        description = "Resource file (.resx/.resources) that deserialises a known gadget chain (TypeConfuseDelegate, TextFormattingRunProperties, ActivitySurrogateSelector, ObjectDataProvider, PSObject ...) or loads another resource set or a UNC path through a ResXFileRef: ASP.NET compiles App_GlobalResources/App_LocalResources files when a page of the folder is requested"
        family = "resource file deserialisation payload"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059"
    strings:
        $resx1 = "text/microsoft-resx" nocase ascii wide
        $resx2 = "System.Resources.ResXResourceReader" nocase ascii wide
        // a file reference whose value is a UNC path, or that loads another resource set
        $ref_unc = /System\.Resources\.ResXFileRef\b[^>]{0,300}>\s*<value>\s*(\\\\|\/\/)[^\s<;\\\/]{2,}/ nocase ascii wide
        $ref_set = /System\.Resources\.ResXFileRef\b[^>]{0,300}>\s*<value>[^<]{0,600};\s*System\.Resources\.(ResXResourceSet|ResourceSet|ResXResourceReader|ResourceReader)\b/ nocase ascii wide
        // a serialised-object node
        $bin = /mimetype\s*=\s*["'](application\/x-microsoft\.net\.object\.(binary|soap)\.base64|text\/microsoft-urt\/(psuedoml-serialized|binary-serialized|soap-serialized)\/base64)["']/ nocase ascii wide
        // gadget types of ysoserial.net's chains, as the node's base64 holds them
        $g1 = "System.Collections.Generic.SortedSet`1" base64
        $g2 = "System.DelegateSerializationHolder" base64
        $g3 = "TextFormattingRunProperties" base64
        $g4 = "ActivitySurrogateSelector" base64
        $g5 = "System.Windows.Data.ObjectDataProvider" base64
        $g6 = "System.Management.Automation.PSObject" base64
        $g7 = "System.Diagnostics.Process" base64
        $g8 = "System.Security.Claims.ClaimsIdentity" base64
        $g9 = "System.Security.Principal.WindowsIdentity" base64
        $g10 = "System.Web.UI.LosFormatter" base64
        // a compiled .resources file holds the same type names as plain text
        $p1 = "System.Collections.Generic.SortedSet`1" ascii
        $p2 = "System.DelegateSerializationHolder" ascii
        $p3 = "TextFormattingRunProperties" ascii
        $p4 = "ActivitySurrogateSelector" ascii
        $p5 = "System.Windows.Data.ObjectDataProvider" ascii
        $p6 = "System.Management.Automation.PSObject" ascii
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
    condition:
        filesize < 64MB and not any of ($log*) and (
            (any of ($resx*) and ($ref_unc or $ref_set or ($bin and any of ($g*))))
            or (uint32(0) == 0xBEEFCACE and any of ($p*))
        )
}

rule EXT_WEBSHELL_Xslt_Script_Runs_Code
{
    meta:
        author = "extriage"
        description = "XSLT stylesheet whose msxsl:script block starts a program, calls native code or loads an assembly (Umbraco XSLT macro and Ektron ekajaxtransform exploits): a page that transforms with scripts enabled runs it"
        family = "XSLT script shell"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059,T1220"
    strings:
        $xsl = "http://www.w3.org/1999/XSL/Transform" nocase ascii wide
        $msxsl = "urn:schemas-microsoft-com:xslt" nocase ascii wide
        $script = /<\s*[A-Za-z0-9_]{1,40}\s*:\s*script\b[^>]{0,400}\bimplements-prefix\s*=/ nocase ascii wide
        $run1 = /\bProcess\s*\.\s*Start\s*\(|\bnew\s+(System\.Diagnostics\.)?Process(StartInfo)?\s*\(/ nocase ascii wide
        $run2 = /\bDllImport\s*\(\s*["'](kernel32|ntdll)/ nocase ascii wide
        $run3 = /\bAssembly\s*\.\s*(Load|LoadFrom|LoadFile|UnsafeLoadFrom)\s*\(/ nocase ascii wide
        $run4 = /\b(CreateObject|ActiveXObject)\s*\(\s*["'](WScript\.Shell|Shell\.Application)["']/ nocase ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 16MB and not any of ($log*) and $xsl and $msxsl and $script and any of ($run*)
}

rule EXT_WEBSHELL_SSI_Exec_Command
{
    meta:
        author = "extriage"
        description = "Server-side include page with an #exec cmd directive: IIS's include module (.stm/.shtm/.shtml) runs the command line when the page is requested (off unless SSIEnableCmdDirective was turned on)"
        family = "server-side include command page"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059.003"
    strings:
        $exec = /<!--\s*#\s*exec\s+cmd\s*=\s*["']?[^"'\s>]/ nocase ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
    condition:
        filesize < 16MB and not any of ($log*) and $exec
}
