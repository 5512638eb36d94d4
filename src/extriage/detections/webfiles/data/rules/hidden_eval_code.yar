/*
  extriage rules for JScript server code that evaluates text it first decodes from a constant, written for
  this project (MIT, like the rest of extriage). Issue 14, helper X12 (tenth unseen collection: shells
  found on servers).

  Why this file: the AntSword page captured on Exchange servers in the ProxyNotShell intrusions (GTSC,
  September 2022) is one `eval(...GetString(Convert.FromBase64String(<literal>)))` whose base64 text is
  cut into fragments and glued back with `char()` of octal and hex arithmetic (`char(0640-0462)`,
  `char(0x8c28/0x1cc)`); the request read and the "unsafe" option only exist after decoding. Neither our
  YARA rules nor the behaviour analysis saw a request source or an eval of one, so the page was missed.
  What no ordinary page does is the behaviour itself: hand eval() code that is stored encoded in the
  page. The rule matches eval( whose argument decodes a base64 literal (or the first fragment of one),
  or whose argument is built from char() of numeric arithmetic. Data binding (`<%# Eval("Name") %>`,
  capital E, no decoding), pages that decode base64 literals only to show or store them, browser script
  (`atob`, `String.fromCharCode`) and eval of plain text are left alone.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_JScript_Eval_Of_Encoded_Literal
{
    meta:
        author = "extriage"
        description = "JScript server code runs eval() on text decoded at run time from a constant in the page (base64 literal, possibly split into fragments, or char() arithmetic): the code it executes is hidden"
        family = "hidden eval"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1027"
        reference = "https://gteltsc.vn/blog/warning-new-attack-campaign-utilized-a-new-0day-rce-vulnerability-on-microsoft-exchange-server-12715.html"
    strings:
        // eval( ... FromBase64String('<base64 or its first fragment>' followed by + or )
        $eval_b64 = /(^|[^A-Za-z0-9_.$])eval\s*\([^;]{0,160}FromBase64String\s*\(\s*['"][A-Za-z0-9+\/=]{0,400}['"]\s*[+)]/ ascii wide
        // eval( ... char(<number> <op> <number>) with decimal, octal (0640) or hex (0x8c28) operands
        $eval_chr = /(^|[^A-Za-z0-9_.$])eval\s*\([^;]{0,400}char\s*\(\s*(0[xX][0-9a-fA-F]{1,8}|[0-9]{1,10})\s*[-+*\/%]\s*(0[xX][0-9a-fA-F]{1,8}|[0-9]{1,10})\s*\)/ ascii wide
        $page = /<%\s*@\s*(Page|WebHandler|WebService|Control|Master|Application)?[^%]{0,80}Language\s*=\s*["']?\s*(JScript|Javascript|JS)\b/ nocase ascii wide
        $script = /<script[^>]{0,80}(runat\s*=\s*["']?server[^>]{0,80}language\s*=\s*["']?(JScript|Javascript|JS\b)|language\s*=\s*["']?(JScript|Javascript|JS\b)[^>]{0,80}runat\s*=\s*["']?server)/ nocase ascii wide
        // a page with no directive on a site whose <compilation defaultLanguage> is JScript ("js"): a code block
        // or expression (not a binding <%#, directive or comment) holding the word eval - server code, which
        // neither C# nor VB has; browser script's eval sits outside <% %> (X46's left item, X49, session 20)
        $evalblock = /<%([^#@%$\-][^%]{0,600}[^A-Za-z0-9_.$]|[ \t\r\n]*[=:]?[ \t\r\n]*)eval[^A-Za-z0-9_$]/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $script or $evalblock) and ($eval_b64 or $eval_chr)
}

/*
  Issue 14, helper X19 (nineteenth unseen collection: pentest/CTF notes). A Chinese notes file's "ASPX
  one-liner that gets past Safedog" spells the code it evaluates one or two letters at a time,
  `"e"+"v"+ /*-...*-/ "a"+"l"+"("+"R"+"e"+...` (empty C comments between the pieces), and passes the
  "unsafe" option the same way (`"u"+"n"+"s"+...`); no request read, no eval of a request value and no
  "unsafe" literal exist until run time, so nothing of ours found it (signature-base did, with its generic
  obfuscation rule). The rule matches what such pages cannot avoid: JScript's eval() only runs code with
  full trust when given "unsafe", and writing that word in pieces glued with + (comments allowed between
  them) has no purpose but hiding it. A JScript server page that calls eval() and holds a literal that is
  a proper beginning of "unsafe" followed by + is matched. A first draft counting a dozen one- or
  two-letter literals cost about 10 % more yara-x time on the corpus in one run (its only atom was a
  quote); this one is within noise (each new rule alone: -0.012 to -0.001 s on 0.95 s).
*/

rule EXT_WEBSHELL_JScript_Eval_Unsafe_Split
{
    meta:
        author = "extriage"
        description = "JScript server code calls eval() and writes its \"unsafe\" option in pieces glued with + (\"u\"+\"n\"+..., \"uns\"+\"afe\"): the full-trust eval of a web shell, hidden from string matching"
        family = "hidden eval"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1027"
    strings:
        $split = /["'](u|un|uns|unsa|unsaf)["']\s*(\/\*[^\r\n*]{0,30}(\*[^\r\n*\/][^\r\n*]{0,30}){0,3}\*\/\s*)*\+/ nocase ascii wide
        $eval = /(^|[^A-Za-z0-9_.$])eval\s*(\/\*[^\r\n*]{0,30}(\*[^\r\n*\/][^\r\n*]{0,30}){0,3}\*\/\s*)*\(/ ascii wide
        $page = /<%\s*@\s*(Page|WebHandler|WebService|Control|Master|Application)?[^%]{0,80}Language\s*=\s*["']?\s*(JScript|Javascript|JS)\b/ nocase ascii wide
        $script = /<script[^>]{0,80}(runat\s*=\s*["']?server[^>]{0,80}language\s*=\s*["']?(JScript|Javascript|JS\b)|language\s*=\s*["']?(JScript|Javascript|JS\b)[^>]{0,80}runat\s*=\s*["']?server)/ nocase ascii wide
        // a page with no directive on a site whose <compilation defaultLanguage> is JScript ("js"): a code block
        // or expression (not a binding <%#, directive or comment) holding the word eval - server code, which
        // neither C# nor VB has; browser script's eval sits outside <% %> (X46's left item, X49, session 20)
        $evalblock = /<%([^#@%$\-][^%]{0,600}[^A-Za-z0-9_.$]|[ \t\r\n]*[=:]?[ \t\r\n]*)eval[^A-Za-z0-9_$]/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $script or $evalblock) and $eval and $split
}

/*
  Added by X22 (twenty-second unseen collection, third batch, first sight at 3fc7ad5): three JScript pages
  found by the behaviour analysis only - the "unsafe" eval of a variable (`keng = Request.Item["x"];
  Response.Write(eval(keng,"unsafe"))`), of a decoded string with the option held in a variable
  (`var a = q + "ns" + w; eval(str, a)`), and with the option hex-escaped (`eval(PAY,"\x75\x6E\x73\x61"+"\x66\x65")`).
  JScript.NET's eval takes a second argument only to choose its security context ("unsafe": full trust);
  the China Chopper rule wants the request inside eval's parenthesis, the split rule wants "u"+"nsafe"
  literals. The rule matches what all of them share: lower-case eval( with a second argument, in JScript
  server code. Data binding (`Eval("Price", "{0:c}")`, `DataBinder.Eval(...)`), one-argument eval of a
  constant and browser script stay silent.
*/

rule EXT_WEBSHELL_JScript_Eval_Security_Option
{
    meta:
        author = "extriage"
        description = "JScript server code calls eval() with a second argument (the security option, \"unsafe\" = full trust) however the option is written"
        family = "JScript eval (unsafe)"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059.007"
    strings:
        $eval2 = /(^|[^A-Za-z0-9_.$])eval\s*\(\s*[^,;\r\n]{1,120},[^;\r\n]{1,120}\)/ ascii wide
        $page = /<%\s*@\s*(Page|WebHandler|WebService|Control|Master|Application)?[^%]{0,80}Language\s*=\s*["']?\s*(JScript|Javascript|JS)\b/ nocase ascii wide
        $script = /<script[^>]{0,80}(runat\s*=\s*["']?server[^>]{0,80}language\s*=\s*["']?(JScript|Javascript|JS\b)|language\s*=\s*["']?(JScript|Javascript|JS\b)[^>]{0,80}runat\s*=\s*["']?server)/ nocase ascii wide
        // a page with no directive on a site whose <compilation defaultLanguage> is JScript ("js"): a code block
        // or expression (not a binding <%#, directive or comment) holding the word eval - server code, which
        // neither C# nor VB has; browser script's eval sits outside <% %> (X46's left item, X49, session 20)
        $evalblock = /<%([^#@%$\-][^%]{0,600}[^A-Za-z0-9_.$]|[ \t\r\n]*[=:]?[ \t\r\n]*)eval[^A-Za-z0-9_$]/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $script or $evalblock) and $eval2
}

/*
  Issue 14, helper X50 (fiftieth unseen collection: generators, write-ups and pages). A 2025-2026 Python shell
  manager's AntSword-compatible JScript template reads the password-named form field into a variable and calls
  `eval(cmd)` with that one argument: no "unsafe" (the rule above), no Request inside the eval call (China
  Chopper's rule), so only the behaviour analysis named it. The rule: a JScript variable declared from a request
  value and eval() of one bare name inside server code (a <% %> block - JScript with or without a directive, as
  the rule above reads it - or a JScript script block run at the server). Data binding (`Eval(...)`, `DataBinder.Eval`), eval of a literal or an
  expression, and browser script outside the server blocks stay silent.
*/

rule EXT_WEBSHELL_JScript_Eval_Of_Request_Variable
{
    meta:
        author = "extriage"
        description = "JScript server code declares a variable from a request value and evaluates a bare name with eval(): a one-line shell with its input kept in a variable"
        family = "JScript eval (request variable)"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059.007"
    strings:
        $script = /<script[^>]{0,80}(runat\s*=\s*["']?server[^>]{0,80}language\s*=\s*["']?(JScript|Javascript|JS\b)|language\s*=\s*["']?(JScript|Javascript|JS\b)[^>]{0,80}runat\s*=\s*["']?server)/ nocase ascii wide
        // a JScript variable from the request (JScript names are case-sensitive: `Request`, `var`)
        $var = /\bvar\s+[A-Za-z_$][\w$]*\s*(:\s*String\s*)?=\s*(String\s*\(\s*)?Request\s*(\.\s*(Item|Form|QueryString|Params|Headers|Cookies)\s*)?[\[\(]/ ascii wide
        // eval of one bare name inside a <% %> block (no "%" between the block's start and the call): server code in
        // JScript, which neither C# nor VB has - with or without a directive (a site whose defaultLanguage is JScript)
        $eval_block = /<%[^#@%$=:\-][^%]{0,600}[^A-Za-z0-9_.$]eval\s*\(\s*[A-Za-z_$][\w$]*\s*\)/ ascii wide
        // ... or anywhere, when the page holds a JScript block run at the server
        $eval_name = /(^|[^A-Za-z0-9_.$])eval\s*\(\s*[A-Za-z_$][\w$]*\s*\)/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and $var and
        ($eval_block or ($script and $eval_name))
}
