/*
  extriage rules for server pages that harvest the credentials typed into a logon form, written for this
  project (MIT, like the rest of extriage). Issue 14, helper X26 (twenty-sixth unseen collection: backdoors
  inside legitimate pages).

  Why this file: on Exchange servers intruders keep the passwords of everyone who signs in to OWA by adding
  a few lines to the pages of the logon flow (owa/auth: logon.aspx, OutlookCN.aspx, errorFE.aspx). One page
  carries both halves: browser script that reads the form's password field and posts it with
  XMLHttpRequest to a server page, and server code that appends the posted values to a file the intruder
  collects later. Nothing in it runs a command, loads an assembly or writes a file named by the request, so
  the behaviour analysis - rightly - does not call a request-fed log write a shell, and no rule of ours saw
  the page (the credential logger of a leaked intrusion kit, first sight). The rule wants both halves in one
  server page: script that takes the value of the password input and sends it, and one file write that
  appends two or more request values. A logon page that only shows or hides the password, an AJAX logon
  that posts to the application's own handler, and an audit page that logs one request value stay silent.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_Logon_Form_Credential_Logger
{
    meta:
        author = "extriage"
        description = "Server page whose browser script reads a logon form's password field and posts it with XMLHttpRequest, and whose server code appends two or more request values to a file: a credential logger added to a logon page"
        family = "credential logger"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1056.003"
    strings:
        // browser script: the password input taken by id or name
        $pw1 = /getElementById\s*\(\s*["'](password|passwd|pwd|pass|passwordText)["']\s*\)/ nocase ascii wide
        $pw2 = /getElementsByName\s*\(\s*["'](password|passwd|pwd|pass)["']\s*\)\s*\[\s*0\s*\]/ nocase ascii wide
        $pw3 = /\.\s*forms\s*\[[^\]]{1,40}\]\s*\.\s*(password|passwd|pwd)\s*\.\s*value/ nocase ascii wide
        // ... and posted from the browser
        $xhr = /new\s+XMLHttpRequest\s*\(/ ascii wide
        $send = /\.\s*send\s*\(\s*[A-Za-z_$][A-Za-z0-9_$]{0,30}\s*\)/ ascii wide
        $enc = /encodeURIComponent\s*\(\s*[A-Za-z_$][A-Za-z0-9_$]{0,30}\s*\.\s*value\s*\)/ ascii wide
        // server code: one append/write of two or more request values
        $app = /File\s*\.\s*(AppendAllText|WriteAllText|AppendAllLines)\s*\([^;\r\n]{0,600}\bRequest\s*(\.\s*(Form|Params|QueryString|Item))?\s*[\[(]\s*"[^"]{1,40}"\s*[\])][^;\r\n]{0,600}\bRequest\s*(\.\s*(Form|Params|QueryString|Item))?\s*[\[(]\s*"[^"]{1,40}"\s*[\])]/ nocase ascii wide
        $sw = /\.\s*(WriteLine|Write)\s*\([^;\r\n]{0,600}\bRequest\s*(\.\s*(Form|Params|QueryString|Item))?\s*[\[(]\s*"[^"]{1,40}"\s*[\])][^;\r\n]{0,600}\bRequest\s*(\.\s*(Form|Params|QueryString|Item))?\s*[\[(]\s*"[^"]{1,40}"\s*[\])]/ nocase ascii wide
        $swfile = /(File\s*\.\s*AppendText|new\s+(System\s*\.\s*IO\s*\.\s*)?StreamWriter)\s*\(/ nocase ascii wide
        // server code of its own (not a directive or markup only)
        // a code block: "<%" and white space, but not "<% @ Page": ASP.NET reads that as the directive
        // (X42, session 18); or "<%" and the code at once, "<%Response.Write(..)%>", a code block to the
        // parser too (X43, session 18)
        $code1 = /<%([ \t\r\n]+[^@ \t\r\n]|[^@=:#$%\-"'> \t\r\n])/ ascii wide
        $srvscript = /<script[^>]{0,80}runat\s*=\s*["']?server/ nocase ascii wide
        $page = /<%\s*@\s*((Page|Control|Master)\b|\w[\w:]*\s*=)/ nocase ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $block or $srvscript) and (any of ($code*) or $srvscript) and
        any of ($pw*) and $xhr and $send and $enc and ($app or ($sw and $swfile))
}

/*
  Issue 14, helper X49 (session 20): the logger's server half alone. X26's OWA credential logger appends the
  posted user name and password to a file from a logon page's code; the rule above wants the browser script
  that posts the password too, so X44's siblings with the write moved to a handler, a web service, a
  code-behind file or an IHttpModule, or with the user name read from a header, cookie, body or text box, were
  found by nothing (the behaviour analysis has no sink for a password kept in a file). This rule wants one
  file write (File.AppendAllText/WriteAllText/AppendAllLines, or a writer's Write/WriteLine) of the posted
  password itself: Request.Form["password"] (passwd, pwd, pass). Logon pages check the password and keep
  nothing of it; an audit log writes the user name only.
*/

rule EXT_WEBSHELL_Posted_Password_Written_To_File
{
    meta:
        author = "extriage"
        description = "Credential logger: server code writes the posted password (Request.Form[\"password\"]) into a file"
        family = "credential logger"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1056.003"
    strings:
        $app = /\bFile\s*\.\s*(AppendAllText|WriteAllText|AppendAllLines|WriteAllLines)\s*\([^;\r\n]{0,600}\bRequest\s*(\.\s*(Form|Params|Item)\s*)?[\[(]\s*"(password|passwd|pwd|pass|passwordText)"\s*[\])]/ nocase ascii wide
        $sw = /\.\s*(WriteLine|Write)\s*\([^;\r\n]{0,600}\bRequest\s*(\.\s*(Form|Params|Item)\s*)?[\[(]\s*"(password|passwd|pwd|pass|passwordText)"\s*[\])]/ nocase ascii wide
        $swfile = /(File\s*\.\s*(AppendText|CreateText)|\bnew\s+(System\s*\.\s*IO\s*\.\s*)?StreamWriter)\s*\(/ nocase ascii wide
        // the same writes with the password inside a digest call (a user store keeping SHA-256 of it: ComputeHash,
        // HashPasswordForStoringInConfigFile, Crypto.HashPassword, HashData; between the call and the password no
        // closing parenthesis but of a nested call) keep no password: a write counts only when the statements
        // holding it outnumber the digested ones (IL3, session 22: a hashed user store was flagged). Both strings
        // start at the write, so a statement is counted once by each.
        $app_digest = /\bFile\s*\.\s*(AppendAllText|WriteAllText|AppendAllLines|WriteAllLines)\s*\([^;\r\n]{0,600}\b(ComputeHash|HashData|HashPassword\w*|HashPasswordForStoringInConfigFile)\s*\(([^;\r\n)]|\([^;\r\n()]{0,80}\)){0,200}\bRequest\s*(\.\s*(Form|Params|Item)\s*)?[\[(]\s*"(password|passwd|pwd|pass|passwordText)"\s*[\])]/ nocase ascii wide
        $sw_digest = /\.\s*(WriteLine|Write)\s*\([^;\r\n]{0,600}\b(ComputeHash|HashData|HashPassword\w*|HashPasswordForStoringInConfigFile)\s*\(([^;\r\n)]|\([^;\r\n()]{0,80}\)){0,200}\bRequest\s*(\.\s*(Form|Params|Item)\s*)?[\[(]\s*"(password|passwd|pwd|pass|passwordText)"\s*[\])]/ nocase ascii wide
        $page = /<%\s*@\s*((Page|WebHandler|WebService|Control|Application|Master)\b|\w[\w:]*\s*=)/ nocase ascii wide
        $runat = /runat\s*=\s*["']?server/ nocase ascii wide
        // a page with no directive (ASP.NET compiles it in the configured default language, VB when unset):
        // a code block, "<%" then code - not a directive, binding or comment (X46, session 19) - or an expression
        // (<%= <%:): a page of expressions only compiles too (X49, session 20)
        $block = /<%\s*[^\s@#$%\-]/ ascii wide
        // code-behind and App_Code classes (a page's class, a handler, a module): they hold no page marker
        $cls1 = /\b[Cc]lass\s+\w+\s*(:|\r?\n\s*(Inherits|Implements))\s*[\w. ,]{0,80}\b(Page|IHttpHandler|IHttpModule|WebService|UserControl)\b/ ascii wide
        $cls2 = /\bImplements\s+(System\s*\.\s*Web\s*\.\s*)?(IHttpHandler|IHttpModule)\b/ nocase ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block or any of ($cls*)) and
        (#app > #app_digest or (#sw > #sw_digest and $swfile))
}
