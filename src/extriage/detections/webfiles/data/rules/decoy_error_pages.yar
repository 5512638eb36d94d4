/*
  extriage rules for server pages dressed as a stock "not found" error page, written for this project (MIT,
  like the rest of extriage). Issue 14, helper X14 (twelfth unseen collection: shells as defenders met them).

  Why this file: shells planted on IIS and Exchange servers often show the visitor the server's own error
  page - ASP.NET's "Server Error in '/...' Application. The resource cannot be found." or IIS's "404 - File or
  directory not found." - while their server code runs commands or moves files for whoever knows the right
  request. Defenders met it in OilRig's TwoFace pages (Unit 42, 2017; re-built by MITRE's Center for
  Threat-Informed Defense as the /EWS/contact.aspx of its OilRig emulation plan), in APT34's HighShell and in
  the "404 input shell" of Positive Technologies' Operation TaskMasters report. On first sight the behaviour
  analysis found the emulation page and no YARA rule of ours did. The stock pages are produced by the
  server itself (ASP.NET builds its error page at run time; IIS serves static .htm files), so a server page
  that carries their wording in its own markup *and* its own code that starts a process, evaluates code,
  loads an assembly or drives WScript.Shell with request input is hiding what it does. Ordinary custom
  error pages (log the request, mail the admin, transfer to a friendly page) and help pages quoting the
  wording stay silent.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_Decoy_Error_Page_With_Command
{
    meta:
        author = "extriage"
        description = "Server page dressed as the stock ASP.NET/IIS 'not found' error page whose own code starts a process, evaluates code, loads an assembly or drives WScript.Shell with request input"
        family = "decoy error page shell (TwoFace/HighShell-style)"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1036"
    strings:
        // the stock error pages' own wording, copied into the page's markup (two of them: a real page that
        // borrows one phrase for its own message is not a copy of the stock page)
        $d1 = "The resource cannot be found." nocase ascii wide
        $d2 = /Server Error in '[^'\r\n<>]{0,80}' Application/ nocase ascii wide
        $d3 = "404 - File or directory not found." nocase ascii wide
        $d4 = "HTTP Error 404.0 - Not Found" nocase ascii wide
        $d5 = "The page cannot be found" nocase ascii wide
        $d6 = "The resource you are looking for" nocase ascii wide
        $d7 = "Requested URL:" nocase ascii wide
        // request input read by the page
        $req1 = /Request\s*\.\s*(Form|QueryString|Params|Headers|Item|Cookies|Files|BinaryRead|InputStream)\b/ nocase ascii wide
        $req2 = "Request[\"" nocase ascii wide
        $req3 = "Request(\"" nocase ascii wide
        // what the page does with it
        $proc1 = /Process\s*\.\s*Start\s*\(/ nocase ascii wide
        $proc2 = /\.\s*StartInfo\s*\.\s*(FileName|Arguments)\s*=/ nocase ascii wide
        $proc3 = /new\s+(System\s*\.\s*Diagnostics\s*\.\s*)?ProcessStartInfo\b/ nocase ascii wide
        $eval = /\beval\s*\(\s*[A-Za-z_(]/ ascii wide
        $load = /Assembly\s*\.\s*Load\s*\(/ nocase ascii wide
        $wsh = "WScript.Shell" nocase ascii wide
        // server code of its own (not a directive or markup only): a code block, a server script or a handler
        // a code block: "<%" and white space, but not "<% @ Page": ASP.NET reads that as the directive
        // (X42, session 18); or "<%" and the code at once, "<%Response.Write(..)%>", a code block to the
        // parser too (X43, session 18)
        $code1 = /<%([ \t\r\n]+[^@ \t\r\n]|[^@=:#$%\-"'> \t\r\n])/ ascii wide
        $srvscript = /<script[^>]{0,80}runat\s*=\s*["']?server/ nocase ascii wide
        // a handler's or service's directive, also when it names none: the one with a Class attribute, which
        // only those two take (X43, session 18)
        $handler = /<%\s*@\s*(WebHandler\b|[^%]{0,300}\bClass\s*=)/ nocase ascii wide
        $page = /<%\s*@\s*((Page|WebHandler|WebService|Control|Master)\b|\w[\w:]*\s*=)/ nocase ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $block or $srvscript) and (any of ($code*) or $srvscript or $handler) and
        2 of ($d*) and any of ($req*) and (any of ($proc*) or $eval or $load or $wsh)
}
