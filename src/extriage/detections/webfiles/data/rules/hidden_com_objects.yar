/*
  extriage rules for server pages that reach Windows scripting COM objects without naming them, or that
  download files through COM, written for this project (MIT, like the rest of extriage). Issue 14, helper
  X13 (eleventh unseen collection: non-English sources and evasion work).

  Why this file: a Chinese write-up of a web-shell-engine bypass contest publishes JScript pages that never
  write "WScript.Shell": one creates it from its CLSID (`GetObject("new:72C24DD5-...")`), one from a
  percent-encoded ProgID (`new ActiveXObject(unescape("%57%53%63..."))`), then runs `cmd /c` with a request
  value through `.Exec`. Found on first sight only by a generic "cmd + /c + request" string rule whose
  condition was too wide (being narrowed); the behaviour analysis sees no shell object in either. A second
  page, dropped by a handler found in a public repository, fetches a request-chosen URL with
  `Microsoft.XMLHTTP` and writes the body to a request-chosen path with `ADODB.Stream.SaveToFile`: a
  downloader that puts any file (the next shell) on the server, missed by everything.
  The rules match those behaviours, not the samples' strings: a shell-capable COM class reached by CLSID or
  by an encoded ProgID and asked to run something; and COM HTTP plus a COM stream saved to a file in a page
  that reads the request. Applications that use these classes name them plainly and create shortcuts or
  read settings; ASP.NET applications fetch URLs with WebClient/HttpClient, not XMLHTTP with ADODB.
  CLSIDs (public facts, from Microsoft's registry documentation and lateral-movement write-ups): WScript.Shell
  72C24DD5-D70A-438B-8A42-98424B88AFB8, Shell.Application 13709620-C279-11CE-A49E-444553540000, ShellWindows
  9BA05972-F6A8-11CF-A442-00A0C90A8F39, ShellBrowserWindow C08AFD90-F2A1-11D1-8455-00A0C91F3880, MMC20.Application
  49B2791A-B1AE-4C90-9B8E-E860BA07F889.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_COM_Shell_Hidden_Name
{
    meta:
        author = "extriage"
        description = "Server page runs a command through a Windows shell COM object created by CLSID or from an encoded ProgID (WScript.Shell / Shell.Application without its name)"
        family = "COM shell (hidden name)"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059,T1027"
    strings:
        // a shell-capable class by CLSID (braces optional), in GetObject("new:..."), "clsid:..." or a Guid
        $clsid1 = "72C24DD5-D70A-438B-8A42-98424B88AFB8" nocase ascii wide
        $clsid2 = "13709620-C279-11CE-A49E-444553540000" nocase ascii wide
        $clsid3 = "9BA05972-F6A8-11CF-A442-00A0C90A8F39" nocase ascii wide
        $clsid4 = "C08AFD90-F2A1-11D1-8455-00A0C91F3880" nocase ascii wide
        $clsid5 = "49B2791A-B1AE-4C90-9B8E-E860BA07F889" nocase ascii wide
        // ... or the ProgID percent-encoded ("WScript" / "Shell.Application" as %xx) ...
        $enc1 = /%57%53%63%72%69%70%74/ nocase ascii wide
        $enc2 = /%53%68%65%6c%6c%2e%41%70%70/ nocase ascii wide
        // ... as char codes (87,83,99,114 = "WScr"; 83,104,101,108,108,46 = "Shell.") ...
        $enc3 = /fromCharCode\s*\(\s*87\s*,\s*83\s*,\s*99\s*,\s*114\b/ nocase ascii wide
        $enc4 = /fromCharCode\s*\(\s*83\s*,\s*104\s*,\s*101\s*,\s*108\s*,\s*108\s*,\s*46\b/ nocase ascii wide
        // ... or written backwards ("llehS.tpircSW" / "noitacilppA.llehS")
        $enc5 = "llehS.tpircSW" nocase ascii wide
        $enc6 = "noitacilppA.llehS" nocase ascii wide
        // asked to run something
        $run = /\.\s*(Exec|Run|ShellExecute|ShellExec)\s*\(/ nocase ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and
        (any of ($clsid*) or any of ($enc*)) and $run
}

rule EXT_WEBSHELL_COM_Download_To_File
{
    meta:
        author = "extriage"
        description = "Server page fetches a URL with COM XMLHTTP/WinHttp and saves the body with ADODB.Stream.SaveToFile, the request choosing what or where (downloader)"
        family = "COM downloader"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1105"
    strings:
        $http1 = /(Microsoft|MSXML2)\s*\.\s*(Server)?XMLHTTP/ nocase ascii wide
        $http2 = /WinHttp\s*\.\s*WinHttpRequest/ nocase ascii wide
        $stream = /ADODB\s*\.\s*Stream/ nocase ascii wide
        $save = /\.\s*SaveToFile\s*\(/ nocase ascii wide
        // a word of its own: "ProcessRequest(" of every handler is no request read (X44, session 19)
        $in = /\bRequest\s*(\.\s*(Item|Form|QueryString|Params|Headers|Cookies)\s*)?[\[\(]/ nocase ascii wide
        // or a server control's posted text chooses the address or the file (X44's siblings, session 19)
        $ctl1 = /\.\s*open\s*\(\s*["'](GET|POST)["']\s*,\s*[A-Za-z_]\w*\s*\.\s*(Text|Value)\b/ nocase ascii wide
        $ctl2 = /\.\s*SaveToFile\s*\([^;\r\n]{0,120}\b[A-Za-z_]\w*\s*\.\s*(Text|Value)\b/ nocase ascii wide
        $control = /<(asp\s*:\s*TextBox|input)\b[^>]{0,200}\brunat\s*=\s*["']?server/ nocase ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and
        any of ($http*) and $stream and $save and ($in or (any of ($ctl*) and $control))
}
