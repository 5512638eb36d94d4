/*
  extriage web shell rules, written for this project (MIT, like the rest of extriage).
  Patterns follow the public descriptions of ProxyLogon-era shells (Microsoft/MSTIC, CISA MAR-10328929,
  Volexity, FireEye; summarised in ../shared/reference/webshells-and-iocs.md §1.3, §3) - no rule text
  is copied. Every rule pairs an *input* (Request...) with a *payload* (eval/Process/Assembly.Load...)
  and an ASP.NET page marker, and excludes web server logs (which quote exploit strings).
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_ChinaChopper_Eval
{
    meta:
        author = "extriage"
        description = "China Chopper one-liner: eval/Execute of a request parameter (JScript, C#, VB spellings)"
        family = "China Chopper"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003"
        reference = "https://www.microsoft.com/security/blog/2021/03/02/hafnium-targeting-exchange-servers/"
    strings:
        $eval_unsafe = /eval\s*\(\s*Request\s*(\.\s*(Item|Form|QueryString|Params|Headers)\s*)?[\[\(][^\]\)]{0,64}[\]\)]\s*(\)\s*)?,\s*["']unsafe["']/ nocase ascii wide
        // the parenthesis after eval is optional: VBScript calls it as a statement, `eval request("x")` (X21)
        $eval_any = /\beval\s*\(?\s*Request\s*(\.\s*(Item|Form|QueryString|Params)\s*)?[\[\(]\s*["'][^"']{0,40}["']\s*[\]\)]/ nocase ascii wide
        $execute_vb = /\bExecute(Global)?\s*\(?\s*Request\s*(\.\s*(Item|Form|QueryString)\s*)?\(\s*["'][^"']{0,40}["']\s*\)/ nocase ascii wide
        $unsafe_split = "\"un\"+\"safe\"" nocase ascii wide
        $page = /<%\s*@\s*Page\s+Language\s*=\s*["']?(Jscript|C#|csharp|VB|VBScript)/ nocase ascii wide
        $runat = /runat\s*=\s*["']?server/ nocase ascii wide
        $asp_tag = "<%" ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and
        ($eval_unsafe or $unsafe_split or
         (($eval_any or $execute_vb) and ($page or $runat or $asp_tag)))
}

rule EXT_WEBSHELL_OAB_Config_Shell
{
    meta:
        author = "extriage"
        description = "OAB virtual directory config dump holding a <script runat=server> in ExternalUrl/InternalUrl (CVE-2021-27065 write)"
        family = "OAB config shell"
        severity = "critical"
        outcome = "webshell"
        wave = "proxylogon"
        attack = "T1505.003"
        reference = "https://www.cisa.gov/news-events/analysis-reports/ar21-072a"
    strings:
        $url1 = "ExternalUrl" nocase ascii wide
        $url2 = "InternalUrl" nocase ascii wide
        $oab1 = "OfflineAddressBook" nocase ascii wide
        $oab2 = "InternalAuthenticationMethods" nocase ascii wide
        $oab3 = "ExtendedProtectionTokenChecking" nocase ascii wide
        $oab4 = "PollInterval" nocase ascii wide
        $script1 = /<script[^>]{0,80}runat\s*=\s*["']?server/ nocase ascii wide
        $script2 = /<%\s*@?\s*Page\s+Language/ nocase ascii wide
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and any of ($url*) and 2 of ($oab*) and any of ($script*)
}

rule EXT_WEBSHELL_Process_Exec
{
    meta:
        author = "extriage"
        description = "ASP.NET page that runs cmd.exe/powershell (or /bin/sh, /bin/bash) through Process/ProcessStartInfo with request input"
        family = "command shell"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059.003"
    strings:
        // $proc*, not $p*: a $p* set also took $page, so any page with "cmd.exe" and input fired
        // without starting a process; cmd.exe as a whole word: "sqlcmd.ExecuteReader()" is no shell
        $proc1 = "ProcessStartInfo" nocase ascii wide
        $proc2 = /Process\s*\.\s*Start\s*\(/ nocase ascii wide
        $proc3 = /new\s+(System\.Diagnostics\.)?Process\s*\(/ nocase ascii wide
        $c1 = "cmd.exe" fullword nocase ascii wide
        $c2 = "powershell" nocase ascii wide
        $c3 = "/c " nocase ascii wide
        // a Unix shell by path (X41, session 17: a page for ASP.NET on Mono/Linux runs "/bin/bash" with "-c " +
        // the request's cmd; nothing named cmd.exe, powershell or "/c ")
        $c4 = /["'](\/usr)?\/bin\/(ba|da|z|k)?sh["']/ ascii wide
        $in = /\bRequest\s*(\.\s*(Item|Form|QueryString|Params|Headers|Cookies)\s*)?[\[\(]/ nocase ascii wide
        // "<% @ Page" is the directive too: ASP.NET allows white space after "<%" (X42, session 18: ShellForge, a
        // 2025 generator, writes its page so; every "<%@" page marker of the shipped rules now takes it)
        $page = /<%\s*@\s*((Page|WebHandler|WebService)\b|\w[\w:]*\s*=)/ nocase ascii wide
        $runat = /runat\s*=\s*["']?server/ nocase ascii wide
        // a page with no directive (ASP.NET compiles it in the configured default language, VB when unset):
        // a code block, "<%" then code - not a directive, binding or comment (X46, session 19) - or an expression
        // (<%= <%:): a page of expressions only compiles too (X49, session 20)
        $block = /<%\s*[^\s@#$%\-]/ ascii wide
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and any of ($proc*) and ($c1 or $c2 or $c3 or $c4) and $in and ($page or $runat or $block)
}

rule EXT_WEBSHELL_Process_Start_Request_Program
{
    meta:
        author = "extriage"
        description = "ASP.NET page that starts the program the request names: Process.Start(Request[...]) or new ProcessStartInfo(Request[...])"
        family = "command shell"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059"
    strings:
        // Issue 14, helper X21: four pages of the file-name collection (scanners' upload payloads) start the
        // program a request value names, with no cmd.exe/powershell/"/c" for EXT_WEBSHELL_Process_Exec to see;
        // only the behaviour analysis found them. The request value is the first argument itself.
        $start_req = /Process\s*\.\s*Start\s*\(\s*((HttpContext\s*\.\s*Current|Context|ctx|this|Page)\s*\.\s*)?Request\s*(\.\s*(Item|Form|QueryString|Params|Headers|Cookies)\s*)?[\[\(]/ nocase ascii wide
        $psi_req = /new\s+(System\s*\.\s*Diagnostics\s*\.\s*)?ProcessStartInfo\s*\(\s*((HttpContext\s*\.\s*Current|Context|ctx|this|Page)\s*\.\s*)?Request\s*(\.\s*(Item|Form|QueryString|Params|Headers|Cookies)\s*)?[\[\(]/ nocase ascii wide
        $server1 = /<%\s*@/ ascii wide
        $server2 = /runat\s*=\s*["']?server/ nocase ascii wide
        $server3 = "<%" ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and any of ($server*) and ($start_req or $psi_req)
}

rule EXT_WEBSHELL_Assembly_Load_Base64
{
    meta:
        author = "extriage"
        description = "ASP.NET page that loads a .NET assembly from base64 (in-memory loader: Godzilla/Behinder style)"
        family = "Assembly.Load loader"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1620"
    strings:
        $load = /Assembly\s*\.\s*Load\s*\(/ nocase ascii wide
        $b64 = "FromBase64String" nocase ascii wide
        $in1 = /\bRequest\s*(\.\s*(Item|Form|QueryString|Params|Headers|BinaryRead|InputStream|Cookies)\s*)?[\[\(\.]/ nocase ascii wide
        $in2 = "Request.BinaryRead" nocase ascii wide
        $page = /<%\s*@\s*((Page|WebHandler|WebService)\b|\w[\w:]*\s*=)/ nocase ascii wide
        $runat = /runat\s*=\s*["']?server/ nocase ascii wide
        // a page with no directive (ASP.NET compiles it in the configured default language, VB when unset):
        // a code block, "<%" then code - not a directive, binding or comment (X46, session 19) - or an expression
        // (<%= <%:): a page of expressions only compiles too (X49, session 20)
        $block = /<%\s*[^\s@#$%\-]/ ascii wide
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and $load and $b64 and any of ($in*) and ($page or $runat or $block)
}

rule EXT_WEBSHELL_Reflection_Loader
{
    meta:
        author = "extriage"
        description = "ASP.NET page that invokes code chosen by the request through reflection"
        family = "reflection loader"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1620"
    strings:
        $r1 = /\.\s*GetMethod\s*\(/ nocase ascii wide
        $r2 = /\.\s*Invoke\s*\(/ nocase ascii wide
        $r3 = /Activator\s*\.\s*CreateInstance\s*\(/ nocase ascii wide
        $r4 = /\.\s*GetType\s*\(\s*Request/ nocase ascii wide
        $r5 = /\.\s*CreateInstance\s*\(\s*["'][^"']{1,60}["']/ nocase ascii wide
        $ref = "System.Reflection" nocase ascii wide
        // \bRequest: the request read starts a word - "Request(" also ends the event handlers'
        // names (ProcessRequest(, Application_BeginRequest(, ..._AuthenticateRequest(), and a CMS's
        // Global.asax that switches off the folder monitor by reflection was a shell (B23, session 18);
        // the other rules of this file that share the string are narrowed alike. The in-memory loader
        // handlers read the body ($body), which only that accident had counted
        $in = /\bRequest\s*(\.\s*(Item|Form|QueryString|Params|Headers|Cookies)\s*)?[\[\(]/ nocase ascii wide
        $body = /\bRequest\s*\.\s*(BinaryRead\s*\(|InputStream\b)/ nocase ascii wide
        $page = /<%\s*@\s*((Page|WebHandler|WebService)\b|\w[\w:]*\s*=)/ nocase ascii wide
        $runat = /runat\s*=\s*["']?server/ nocase ascii wide
        // a page with no directive (ASP.NET compiles it in the configured default language, VB when unset):
        // a code block, "<%" then code - not a directive, binding or comment (X46, session 19) - or an expression
        // (<%= <%:): a page of expressions only compiles too (X49, session 20)
        $block = /<%\s*[^\s@#$%\-]/ ascii wide
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and ($in or $body) and ($page or $runat or $block) and
        (($r1 and $r2) or ($r3 and ($ref or $r5)) or $r4)
}

rule EXT_WEBSHELL_File_Manager
{
    meta:
        author = "extriage"
        description = "ASP.NET file manager: lists drives/folders and writes or deletes files named by the request"
        family = "file manager"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1083"
    strings:
        $l1 = /DriveInfo\s*\.\s*GetDrives\s*\(/ nocase ascii wide
        $l2 = /Directory\s*\.\s*GetFiles\s*\(/ nocase ascii wide
        $l3 = /Directory\s*\.\s*GetDirectories\s*\(/ nocase ascii wide
        // $w1 alone: the saved name comes from the request (a request value or the client's file name);
        // an upload saved under a name the code makes (a Guid, in a fixed folder) is an application's own
        // feature, not a file manager - $save counts only beside a folder listing (B22, session 18)
        $w1 = /Request\s*\.\s*Files\s*\[[^\]]{0,20}\]\s*\.\s*SaveAs\s*\([^;]{0,160}(Request\b|\.\s*FileName\b)/ nocase ascii wide
        $save = /Request\s*\.\s*Files\s*\[[^\]]{0,20}\]\s*\.\s*SaveAs\s*\(/ nocase ascii wide
        $w2 = /File\s*\.\s*Delete\s*\(\s*Request/ nocase ascii wide
        $w3 = /File\s*\.\s*WriteAllBytes\s*\(/ nocase ascii wide
        $w4 = /StreamWriter\s*\(\s*Request\s*\.\s*Form\s*\[/ nocase ascii wide
        $w5 = /\.\s*Write\s*\(\s*Request\s*\.\s*Form\s*\[/ nocase ascii wide
        $in = /\bRequest\s*(\.\s*(Item|Form|QueryString|Params|Files)\s*)?[\[\(]/ nocase ascii wide
        $page = /<%\s*@\s*((Page|WebHandler|WebService)\b|\w[\w:]*\s*=)/ nocase ascii wide
        $runat = /runat\s*=\s*["']?server/ nocase ascii wide
        // a page with no directive (ASP.NET compiles it in the configured default language, VB when unset):
        // a code block, "<%" then code - not a directive, binding or comment (X46, session 19) - or an expression
        // (<%= <%:): a page of expressions only compiles too (X49, session 20)
        $block = /<%\s*[^\s@#$%\-]/ ascii wide
        // a page's code-behind file (Foo.aspx.cs/.vb, compiled with the page it names in CodeFile/Src): its class
        // derives from Page - X45's LT file manager came as one (X49, session 20)
        $behind = /\b[Cc]lass\s+\w+\s*(:|\r?\n\s*Inherits)\s*(System\s*\.\s*Web\s*\.\s*UI\s*\.\s*)?Page\b/ ascii wide
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and ($page or $runat or $block or $behind) and
        ($w1 or $w4 or $w5 or ($in and any of ($l*) and (any of ($w*) or $save)))
}

rule EXT_WEBSHELL_SQL_Console
{
    meta:
        author = "extriage"
        description = "ASP.NET SQL console: runs a query text taken from the request"
        family = "SQL console"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003"
    strings:
        $cls1 = "SqlConnection" nocase ascii wide
        $cls2 = "OleDbConnection" nocase ascii wide
        $cls3 = "OdbcConnection" nocase ascii wide
        $x1 = "ExecuteReader" nocase ascii wide
        $x2 = "ExecuteNonQuery" nocase ascii wide
        $x3 = "SqlDataAdapter" nocase ascii wide
        // (\bRequest: not a method named ...Request( near the command - X46, session 19)
        $q = /(CommandText\s*=|Command\s*\()\s*[^;]{0,40}\bRequest\s*(\.\s*(Item|Form|QueryString|Params)\s*)?[\[\(]/ nocase ascii wide
        $conn = /Connection\s*\(\s*Request\s*(\.\s*(Item|Form|QueryString|Params)\s*)?[\[\(]/ nocase ascii wide
        $page = /<%\s*@\s*((Page|WebHandler|WebService)\b|\w[\w:]*\s*=)/ nocase ascii wide
        $runat = /runat\s*=\s*["']?server/ nocase ascii wide
        // a page with no directive (ASP.NET compiles it in the configured default language, VB when unset):
        // a code block, "<%" then code - not a directive, binding or comment (X46, session 19) - or an expression
        // (<%= <%:): a page of expressions only compiles too (X49, session 20)
        $block = /<%\s*[^\s@#$%\-]/ ascii wide
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and (any of ($cls*) or $conn) and any of ($x*) and ($q or $conn) and ($page or $runat or $block)
}

rule EXT_WEBSHELL_Obfuscated
{
    meta:
        author = "extriage"
        description = "Obfuscated or encoded ASP.NET payload: eval of decoded text, JScript _0x obfuscation, char-code chains"
        family = "obfuscated shell"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1027"
    strings:
        $e1 = /eval\s*\(\s*System\s*\.\s*Text\s*\.\s*Encoding\s*\.\s*\w+\s*\.\s*GetString\s*\(/ nocase ascii wide
        $e2 = /eval\s*\([^)]{0,40}FromBase64String/ nocase ascii wide
        $e3 = /var\s+_0x[0-9a-f]{4,6}\s*=\s*\[/ nocase ascii wide
        $e4 = /(String\s*\.\s*fromCharCode\s*\(\s*\d+\s*(,\s*\d+\s*){8})/ nocase ascii wide
        $e5 = /(Chr[W]?\s*\(\s*\d+\s*\)\s*[&+]\s*){10}/ nocase ascii wide
        $e6 = /eval\s*\(\s*[\w\.]{1,30}\s*\(\s*["'][A-Za-z0-9+\/=]{80,}["']/ nocase ascii wide
        $unsafe = "unsafe" nocase ascii wide
        $page = /<%\s*@\s*((Page|WebHandler|WebService)\b|\w[\w:]*\s*=)/ nocase ascii wide
        $runat = /runat\s*=\s*["']?server/ nocase ascii wide
        // a page with no directive (ASP.NET compiles it in the configured default language, VB when unset):
        // a code block, "<%" then code - not a directive, binding or comment (X46, session 19) - or an expression
        // (<%= <%:): a page of expressions only compiles too (X49, session 20)
        $block = /<%\s*[^\s@#$%\-]/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and
        ($e1 or $e2 or $e6 or (($e3 or $e4 or $e5) and $unsafe))
}

rule EXT_WEBSHELL_Compiled_Page
{
    meta:
        author = "extriage"
        description = "Compiled ASP.NET page (App_Web_*.dll in Temporary ASP.NET Files) built from a page under aspnet_client or owa\\auth that evaluates input"
        family = "compiled web shell"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003"
    strings:
        $app = /App_Web_[a-z0-9]{7,8}/ nocase ascii wide
        $p1 = "/aspnet_client/" nocase ascii wide
        $p2 = "/owa/auth/" nocase ascii wide
        $p3 = "~/auth/" nocase ascii wide
        $x1 = "JScriptEvaluate" ascii wide
        $x2 = "get_Request" ascii wide
        $x3 = "FromBase64String" ascii wide
        $x4 = "ProcessStartInfo" ascii wide
    condition:
        uint16(0) == 0x5A4D and filesize < 5MB and $app and any of ($p*) and ($x1 or ($x2 and ($x3 or $x4)))
}

rule EXT_WEBSHELL_EDR_Checker
{
    meta:
        author = "extriage"
        description = "Page that reports which EDR agent is installed (UNC2640 help.aspx style reconnaissance page)"
        family = "EDR checker"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1518.001"
        reference = "https://www.mandiant.com/resources/blog/detection-response-to-exploitation-of-microsoft-exchange-zero-day-vulnerabilities"
    strings:
        $f = /File\s*\.\s*Exists\s*\(/ nocase ascii wide
        $edr1 = "xagt.exe" nocase ascii wide
        $edr2 = "csfalconservice.exe" nocase ascii wide
        $edr3 = "cb.exe" nocase ascii wide
        $edr4 = "MsSense.exe" nocase ascii wide
        $asp = "<%" ascii wide
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 100KB and $f and $asp and 2 of ($edr*)
}
