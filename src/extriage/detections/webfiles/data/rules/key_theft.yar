/*
  extriage machine-key theft rules, written for this project (MIT, like the rest of extriage). Issue 14, helper X5.

  Why this file: the SharePoint "ToolShell" intrusions (CVE-2025-53770, July 2025) dropped a page that
  takes no request input at all: it reads the ASP.NET machine keys (MachineKeySection - the validation and
  decryption keys) and hands them to the attacker, in the response or by sending them out. With the keys
  the attacker forges signed ViewState and runs code on the server again later, even after patching, so
  the keys must be rotated. Neither the own YARA rules nor the behaviour analysis saw such pages on first
  sight (fifth unseen collection, third batch). This rule matches that code shape, not a sample's strings:
  a server page that touches MachineKeySection, reads the keys themselves (GetApplicationConfig through
  reflection, or the ValidationKey and DecryptionKey properties) and writes or sends something.
  Ordinary pages never read the key values; tools that do (ViewState generators, key wrappers) are
  compiled code or .cs files, which carry no page marker.
  Session 12 (helper X20): a configuration health page that only compares both key properties with a
  literal ("is the key still AutoGenerate?") and writes a status sentence read the keys but hands
  nothing over - it no longer counts. The key properties must be read at least once other than in a
  comparison (.StartsWith/.Contains/.Equals/.IndexOf/.EndsWith, ==, !=, <>) or an assignment (VB
  compares with =); the reflective getter still counts on its own. A page that shows the key values,
  whoever it is meant for, still counts: displayed keys are leaked keys.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_MachineKey_Theft
{
    meta:
        author = "extriage"
        description = "Machine-key theft page: reads the ASP.NET validation/decryption keys (MachineKeySection) and writes them to the response or sends them out - rotate the machine keys"
        family = "machine-key theft (ToolShell-style)"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1552.001,T1505.003"
    strings:
        $section = "MachineKeySection" nocase ascii wide
        // the key values: the internal config getter through reflection, or both key properties
        $getter = "GetApplicationConfig" nocase ascii wide
        $vkey = /\.\s*ValidationKey\b/ nocase ascii wide
        $dkey = /\.\s*DecryptionKey\b/ nocase ascii wide
        // ... unless every read of them is only a comparison or an assignment (configuration checks)
        $vcmp = /\.\s*ValidationKey\s*(\.\s*(StartsWith|EndsWith|Contains|Equals|IndexOf)\s*\(|==|!=|<>|=)/ nocase ascii wide
        $dcmp = /\.\s*DecryptionKey\s*(\.\s*(StartsWith|EndsWith|Contains|Equals|IndexOf)\s*\(|==|!=|<>|=)/ nocase ascii wide
        // ... handed over: written to the response or sent out
        $out1 = /Response\s*\.\s*(Write|Output|BinaryWrite|AppendHeader|AddHeader)\b/ nocase ascii wide
        $out2 = /\.\s*Upload(String|Data|Values)(Async)?\s*\(/ nocase ascii wide
        $out3 = /\bWebClient\b|\bHttpWebRequest\b|\bHttpClient\b|\bWebRequest\s*\.\s*Create\b/ nocase ascii wide
        $out4 = /\bDns\s*\.\s*(GetHostEntry|GetHostAddresses|Resolve)\b/ nocase ascii wide
        $out5 = /<%[ \t\r\n]*=|<%:/ ascii wide  // '<% =' is an expression too (X43)
        $out6 = /File\s*\.\s*(WriteAll|AppendAll)/ nocase ascii wide
        // a server page (inline code blocks count: a key stealer needs no directive)
        $page = /<%\s*@\s*((Page|WebHandler|WebService|Control|Application)\b|\w[\w:]*\s*=)/ nocase ascii wide
        $runat = /runat\s*=\s*["']?server/ nocase ascii wide
        $block = /<%[^@\-#$]/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and
        $section and ($getter or ($vkey and $dkey and not (#vkey == #vcmp and #dkey == #dcmp))) and
        any of ($out*)
}

/*
  Issue 14, helper X34 (thirty-fourth unseen collection: shells met among ordinary pages). A page met among
  ordinary C# pages ("Certi-Bhai", "Pwned with Love") takes a certificate request (CSR), a CA server name and
  a certificate template from its form, creates the CA client COM object (CertificateAuthority.Request,
  CCertRequest) by ProgID and submits the caller's request to the CA as the web server's own account, then
  hands the issued certificate back: with a template that lets the requester name the subject (AD CS ESC1
  style) that certificate logs the caller on as anyone, and in any case as the server. Missed on first sight
  by our rules, the behaviour analysis and signature-base. The rule matches the shape: ASP.NET code that
  creates the CA request object through GetTypeFromProgID/Activator or the CERTCLILib interop class, calls
  Submit and reads the request. Microsoft's own enrolment pages (certsrv) are classic ASP and create the
  object with Server.CreateObject; pages that only read the CA configuration or fetch an issued certificate
  submit nothing.
*/

rule EXT_WEBSHELL_Certificate_Request_Relay
{
    meta:
        author = "extriage"
        description = "Certificate request relay page: submits a certificate request, CA and template taken from the web request to a certification authority as the server's account (CertificateAuthority.Request) and returns the certificate - check the CA's issued certificates"
        family = "certificate request relay (AD CS)"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1649,T1505.003"
    strings:
        $progid = "CertificateAuthority.Request" nocase ascii wide
        $interop1 = "CERTCLILib" nocase ascii wide
        $interop2 = /new\s+CCertRequest(Class)?\s*\(/ nocase ascii wide
        $create = /GetTypeFromProgID|Activator\s*\.\s*CreateInstance|Interaction\s*\.\s*CreateObject/ nocase ascii wide
        // VB's CreateObject and JScript's ActiveXObject (X44, session 19): in ASP.NET code only - classic ASP's
        // certificate enrolment pages (certsrv) call Server.CreateObject on the same ProgID
        $create2 = /(\bCreateObject|\bnew\s+ActiveXObject)\s*\(/ nocase ascii wide
        // (a nameless main directive names an ASP.NET language; classic ASP's is VBScript - or JScript, which
        // ASP.NET shares: a classic JScript page relaying to the CA is named too)
        $aspnet = /<%\s*@\s*((Page|WebHandler|WebService|Control|Master)\b|[^%>]{0,200}\bLanguage\s*=\s*["']?(c#|cs|csharp|vb|visualbasic|jscript|javascript|js)\b)/ nocase ascii wide
        // or VB.NET's typed names, which VBScript has not: a page with no directive (VB by default) is ASP.NET
        // by them, while Certificate Services' own classic ASP pages stay out (X46, session 19)
        $vbnet = /\b(Dim|ByVal|ByRef)\s+\w+\s+As\s+(New\s+)?[A-Za-z_]|\(\s*\w+\s+As\s+Object\s*,/ nocase ascii wide
        // JScript .NET's typed names (function F(x : Object), var v : String), which classic JScript cannot write:
        // an ASP.NET page with no directive on a site defaulting to JScript (X49, session 20)
        $jsnet = /\b(function\s+\w+\s*\([^)\r\n]{0,120}\w\s*:\s*[A-Z][\w.]*|var\s+\w+\s*:\s*[A-Z][\w.]*)/ ascii wide
        $submit = /\.\s*Submit\s*\(/ nocase ascii wide
        $req = /Request\s*(\.\s*(Form|QueryString|Params|Item|Files|InputStream)\b|\s*\[)/ nocase ascii wide
        $page = /<%\s*@\s*((Page|WebHandler|WebService|Control)\b|\w[\w:]*\s*=)/ nocase ascii wide
        $runat = /runat\s*=\s*["']?server/ nocase ascii wide
        // a page with no directive: a code block, "<%" then code (X46, session 19)
        $block = /<%\s*[^\s@#$%\-]/ ascii wide
        // a handler, or a module class (App_Code: X44, session 19)
        $ihttp = /\bIHttp(Async)?(Handler|Module)\b/ ascii wide
        // or a page's code-behind class (a CodeFile/Src file ASP.NET compiles with the page: X44, session 19)
        $cb1 = /\bclass\s+\w+\s*:\s*(global::)?(System\s*\.\s*Web\s*\.\s*UI\s*\.\s*)?(Page|UserControl|MasterPage)\b/ ascii wide
        $cb2 = /\bInherits\s+(System\s*\.\s*Web\s*\.\s*UI\s*\.\s*)?(Page|UserControl|MasterPage)\b/ nocase ascii wide
        $cbweb = /\b(using|Imports)\s+System\s*\.\s*Web\b|System\s*\.\s*Web\s*\.\s*UI\s*\.\s*(Page|UserControl|MasterPage)\b/ nocase ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block or $ihttp or (($cb1 or $cb2) and $cbweb)) and
        (($progid and ($create or ($create2 and ($aspnet or $vbnet or $jsnet or $ihttp or $cb1 or $cb2)))) or $interop1 or $interop2) and
        $submit and $req
}

/*
  Issue 14, helper X49 (session 20): a page that prints the connection string the request names. X3's
  MuddyWater-era page wrote ConfigurationManager.ConnectionStrings[TextBox.Text] back to the visitor; the
  behaviour analysis finds it (config-secret), but X44's siblings naming the entry with the request body or a
  posted file's stream were found by nothing, and no YARA rule named any of them. The rule wants, in one
  statement, the page's output (Response.Write, a control's Text, an expression <%= <%:) and a ConnectionStrings entry chosen by a
  request value or a server control's text. Pages reading their own entry by a literal name, or choosing one
  from a list to connect with (not to show), stay silent.
*/

rule EXT_WEBSHELL_Connection_String_Named_By_Request
{
    meta:
        author = "extriage"
        description = "Secret dump: a server page writes out the connection string (server, user, password) of the configuration entry the request or a text box names"
        family = "configuration secret dump"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1552.001"
    strings:
        $show = /(<%\s*[=:]|Response\s*\.\s*(Write|Output\s*\.\s*Write)\s*\(|\.\s*(Text|InnerText|InnerHtml)\s*=)[^;\r\n]{0,120}ConnectionStrings\s*[\[(][^\])\r\n;]{0,120}(\bRequest\b|\.\s*(Text|Value)\s*[\])])/ nocase ascii wide
        $page = /<%\s*@\s*((Page|WebHandler|WebService|Control|Application|Master)\b|\w[\w:]*\s*=)/ nocase ascii wide
        $runat = /runat\s*=\s*["']?server/ nocase ascii wide
        // a page with no directive (ASP.NET compiles it in the configured default language, VB when unset):
        // a code block, "<%" then code - not a directive, binding or comment (X46, session 19) - or an expression
        // (<%= <%:): a page of expressions only compiles too (X49, session 20)
        $block = /<%\s*[^\s@#$%\-]/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and $show
}
