/*
  extriage rules for server pages that write another server page, written for this project (MIT, like the
  rest of extriage). Issue 14, helper X13 (eleventh unseen collection: non-English sources and evasion work).

  Why this file: a handler kept in a public repository holds a whole JScript page in a string literal - the
  directive split `"...%" + ">..."` so the literal does not close the handler's own code - and writes it
  with File.CreateText to Server.MapPath("root3.aspx"). Opening the handler once plants a second shell (here
  a downloader); nothing in the handler reads the request, so the behaviour analysis had nothing to follow
  and no rule looked at what the literal holds. The rule matches that behaviour: a server file with a string
  literal that starts a server page directive and, inside the same literal (or its concatenated pieces),
  goes on to server code (request access, eval, COM objects, a process or an assembly load), and a write to a
  file named as a server page or handler.
  Applications that create pages (CMS page stubs) write a directive that inherits a compiled class; they do
  not embed request handling, eval or process starts in the literal.
  Second rule (round 5 of the same collection): Chinese one-liner notes publish a page whose only statement is
  `File.WriteAllText(Server.MapPath("shell.aspx"), Request["..."])` - whatever the request carries becomes a new
  page next to it (missed by everything, signature-base included). The rule matches a write call whose target,
  in the same call, is a literal server-page name and whose content, after it in the same call, reads the
  request. Upload pages write posted files to upload folders under the client's name; editors that save
  request text write data files (.txt, .json, .xml), not .aspx/.ashx/.config.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_Page_Writes_Server_Page
{
    meta:
        author = "extriage"
        description = "Dropper: a server page writes a string literal holding another server page with code (request access, eval, COM, process, assembly load) to an .aspx/.ashx/.asmx/... file"
        family = "page dropper"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1105"
    strings:
        // a string literal (C#/JScript "..", VB "" escapes, pieces joined with + or &) that starts a server
        // directive and goes on, inside the literal, to server code
        // (\bRequest: a handler's ProcessRequest( in the literal is not a request read - X46, session 19)
        $lit = /["']\s*<%\s*@\s*(Page|WebHandler|WebService|Control|Master)\b([^"\r\n\\]|\\.|""|"\s*[+&]\s*"){0,800}(\bRequest\s*(\.\s*[A-Za-z]+\s*)?[\[\(]|eval\s*\(|ActiveXObject|CreateObject\s*\(|Process\s*\.\s*Start|ProcessStartInfo|Assembly\s*\.\s*Load)/ nocase ascii wide
        // written to a file whose name, in the same call's arguments, is a server page or handler
        $dst = /(MapPath|Combine|CreateText|WriteAllText|AppendAllText|AppendText|StreamWriter|FileStream|SaveAs|SaveToFile|CreateTextFile|OpenTextFile)\s*\([^;\r\n]{0,200}\.(aspx|ashx|asmx|asax|ascx|soap|svc|master|config)\s*["']/ nocase ascii wide
        $write = /(File\s*\.\s*(CreateText|WriteAllText|AppendAllText|AppendText|WriteAllLines|WriteAllBytes)|new\s+(System\s*\.\s*IO\s*\.\s*)?(StreamWriter|FileStream)|\.\s*SaveToFile|CreateTextFile|OpenTextFile)\s*\(/ nocase ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and $lit and $dst and $write
}

rule EXT_WEBSHELL_Request_Text_Written_To_Server_Page
{
    meta:
        author = "extriage"
        description = "Shell writer: a server page writes request text into a file it names as a server page or handler (.aspx/.ashx/.asmx/.config ...)"
        family = "page writer"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1105"
    strings:
        // one write call: the server-page name as a literal, then the request as (part of) the content
        $w = /(WriteAllText|AppendAllText|WriteAllBytes|WriteAllLines)\s*\([^;\r\n]{0,200}\.(aspx|ashx|asmx|asax|ascx|soap|svc|master|config)\s*["'][^;\r\n]{0,200}\bRequest\s*(\.\s*[A-Za-z]+\s*)?[\[\(\.]/ nocase ascii wide
        // or a posted-back server control's text (<asp:TextBox>'s .Text, <input runat=server>'s .Value): X44's
        // siblings of this shell with the text taken from a control were found by nothing (X49, session 20)
        $wbox = /(WriteAllText|AppendAllText|WriteAllLines)\s*\([^;\r\n]{0,200}\.(aspx|ashx|asmx|asax|ascx|soap|svc|master|config)\s*["'][^;\r\n]{0,200}[,+&]\s*(this\s*\.\s*|Me\s*\.\s*)?[A-Za-z_]\w{0,40}\s*\.\s*(Text|Value)\s*[,)+&]/ ascii wide
        $ctl1 = /<asp:TextBox\b/ nocase ascii wide
        $ctl2 = /<(input|textarea)\b[^>]{0,200}\brunat\s*=\s*["']?server/ nocase ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and ($w or ($wbox and any of ($ctl*)))
}

rule EXT_WEBSHELL_Request_URL_Fetched_Into_Server_Page
{
    meta:
        author = "extriage"
        description = "Shell writer: code fetches a URL the request gives (HttpClient, WebClient) and writes the answer into a file it names as a server page or Razor view (.aspx/.ashx/.cshtml/.config ...)"
        family = "page writer"
        severity = "critical"
        wave = "any"
        attack = "T1505.003,T1105"
    strings:
        // Third rule (X47, session 19: X13's COM download written the way ASP.NET Core fetches, in Razor views and
        // Core endpoints, found by nothing): the fetch's address is the request itself, not a literal or a setting
        $fetch = /\.\s*(GetByteArrayAsync|GetStringAsync|GetStreamAsync|DownloadData|DownloadString|DownloadDataTaskAsync|DownloadStringTaskAsync)\s*\(\s*(new\s+(System\s*\.\s*)?Uri\s*\(\s*)?((Http)?Context\s*\.\s*)?Request\s*[.\[(]/ ascii wide
        // written to a file whose name, in the same call's arguments, is a server page, handler or view
        $dst = /(MapPath|Combine|WriteAllText|WriteAllBytes|StreamWriter|FileStream|GetFullPath)\s*\([^;\r\n]{0,200}\.(aspx|ashx|asmx|asax|ascx|soap|svc|master|config|cshtml|vbhtml)\s*["']/ nocase ascii wide
        $write = /(File\s*\.\s*(WriteAllText|WriteAllBytes|WriteAllLines)|new\s+(System\s*\.\s*IO\s*\.\s*)?(StreamWriter|FileStream))\s*\(/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
    condition:
        filesize < 16MB and not any of ($log*) and $fetch and $dst and $write
}
