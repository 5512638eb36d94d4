/*
  extriage rules for classic ASP pages that run code they first decode or hide, written for this project
  (MIT, like the rest of extriage). Issue 14, helper X25 (twenty-fifth unseen collection: a seeded sample
  of web shell datasets - HzieeC/WebshellDetectDataset, Coldwave96/WebShell-AIHunter,
  nikicat/web-malware-collection).

  Why this file: on first sight the own rules missed 9 of the collection's 31 shells, all classic ASP
  (`.asp`). Five of them hand VBScript's `Execute` text that exists only at run time: the return value of a
  decoder defined in the page - `StrReverse` of a literal, `Chr(<code> - 18)` over a list of numbers,
  `Asc(Mid(...)) - n` shifting every character of a literal - or code decoded once (a two-wheel substitution
  cipher) and then kept in `Session` and run from there on every request. One JScript page obtains `eval`
  as a value (`function _(x){ if (x) return Request('_') + ''; else return eval }`, then `_()(_(!-''))`), so
  no `eval(` call and no request inside one exists. Signature-base missed one of the Session pages.
  The rules match those behaviours, not the samples' strings:
  - a page (`<%`) calls VBScript's own `Execute`/`ExecuteGlobal` (not a method: `conn.Execute`,
    `Server.Execute` stay out) on the result of a function call, and the page holds a character-level
    decoding step: `StrReverse(`, `Chr(x - n)`/`Chr(f(x) + n)`, or `Asc(Mid(...))` with arithmetic or Xor;
    or it runs `Execute(Session(...))`: code held in the visitor's session. The classic dynamic include
    (`ExecuteGlobal ReadFile(path)`) has no decoding step; an exporter naming columns with `Chr(65 + i)`
    executes nothing.
  - JScript server code (a JScript `<%@ ... Language %>` directive or `<script runat=server language=...>`)
    that reads the request and takes `eval` as a value - `return eval` or `x = eval` - instead of calling it.
  Web server logs quoting such code are not pages (the `#Fields:`/`GET /`/`POST /` lines).
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_VBS_Execute_Decoded_Text
{
    meta:
        author = "extriage"
        description = "Classic ASP page runs (Execute/ExecuteGlobal) the result of a function call while the page decodes text character by character (StrReverse, Chr(x - n), Asc(Mid(...)) arithmetic), or runs code kept in Session"
        family = "classic ASP hidden code"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1027,T1059.005"
    strings:
        $asp = "<%" ascii wide
        // VBScript's Execute statement/function (not obj.Execute) given a function call: Execute Dec("..."), Execute(Dec(s))
        $exec_call = /(^|[^A-Za-z0-9_.])Execute(Global)?[ \t]*\(?[ \t]*[A-Za-z_][A-Za-z0-9_]{0,40}[ \t]*\([ \t]*["A-Za-z_]/ nocase ascii wide
        // Execute(Session("k")) / ExecuteGlobal Session.Contents("k")
        $exec_sess = /(^|[^A-Za-z0-9_.])Execute(Global)?[ \t]*\(?[ \t]*Session[ \t]*(\.[ \t]*Contents[ \t]*)?\(/ nocase ascii wide
        $dec1 = /\bStrReverse[ \t]*\(/ nocase ascii wide
        // Chr(x - 18), Chr(Str(i)-18), Chr(k + off)
        $dec2 = /\bChr[BW]?[ \t]*\([ \t]*[A-Za-z_][A-Za-z0-9_]{0,30}([ \t]*\([^()\r\n]{0,40}\))?[ \t]*[-+][ \t]*[A-Za-z0-9_]/ nocase ascii wide
        // Asc(Mid(s, i, 1)) - n / + n / Xor k
        $dec3 = /\bAsc[BW]?[ \t]*\([ \t]*Mid[BW]?[ \t]*\([^()\r\n]{0,60}\)[ \t]*\)[ \t]*([-+]|Xor\b)/ nocase ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 16MB and $asp and not any of ($log*) and ($exec_sess or ($exec_call and any of ($dec*)))
}

rule EXT_WEBSHELL_JScript_Eval_Taken_As_Value
{
    meta:
        author = "extriage"
        description = "JScript server code that reads the request takes eval as a value (return eval / x = eval) to call it indirectly: no eval( call is written"
        family = "hidden eval"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1027,T1059.007"
    strings:
        $ret = /(^|[^A-Za-z0-9_.$])return[ \t]+eval[ \t]*(;|\}|\r|\n)/ ascii wide
        $alias = /(^|[^A-Za-z0-9_.$=!<>])[A-Za-z_$][A-Za-z0-9_$]{0,40}[ \t]*=[ \t]*eval[ \t]*(;|\r|\n)/ ascii wide
        $in = /\bRequest[ \t]*(\.[ \t]*(Form|QueryString|Item)[ \t]*)?[\(\[]/ ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $script or $evalblock) and $in and ($ret or $alias)
}

/*
  Issue 14, helper X29 (twenty-ninth unseen collection: small pages that hide one sink - bypass write-ups,
  one-liner variant notes and a one-liner generator in the library index, LandGrey/webshell-detect-bypass's
  ASP article). On first sight the own rules missed 10 of 29 classic-ASP pages under 4 KB; apart from two
  Script Encoder pages damaged as stored, they hide their one sink in three ways the rules above do not see:
  - the code never runs in the page's own engine: the page creates the Script Control
    (`MSScriptControl.ScriptControl`, its ProgID often assembled from `Chr()` pieces), hands it the ASP
    `Request` object with `AddObject` and runs text in it with `ExecuteStatement`/`AddCode`/`Eval`/`Run`;
  - the page's source is UTF-7 (`<%@ CodePage=65000 %>`): the server code is written as UTF-7 shift
    sequences (`+AHIAZQ...-`, or `e+j-v+j-a+j-l`), so no keyword stands in the file;
  - VBScript's own `Execute`/`ExecuteGlobal`/`Eval` (not `conn.Execute`) is handed text the line assembles
    from literal pieces: six or more one- or two-character literals joined with `&` (`eval""&("e"&"v"&...`),
    three or more `Chr(n)` joined, `Execute(Unescape(...))`, or a decoder called on a hex literal of 16 or
    more digits (`Execute(F("4578656375..."))`).
  Browser script is kept out where it could do the same: `eval(unescape(...))`, `+`-joined literals and hex
  decoders count only with VBScript's `Execute`, which browser JavaScript does not have.
*/

rule EXT_WEBSHELL_ASP_ScriptControl_Given_Request
{
    meta:
        author = "extriage"
        description = "Classic ASP page hands the Request object to a script engine object (AddObject ..., Request) and runs text in it (ExecuteStatement/AddCode/Eval/Run): code run outside the page's own engine"
        family = "classic ASP hidden code"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1027,T1059.005"
    strings:
        $asp = "<%" ascii wide
        // obj.AddObject "request", Request  /  obj.AddObject("r"&chr(101)&"quest", Request)
        $add_req = /\.AddObject[ \t]*\(?[ \t]*[^,\r\n]{1,80},[ \t]*Request[ \t]*(\)|\r|\n|:|')/ nocase ascii wide
        $run = /\.(ExecuteStatement|AddCode|Eval|Run)\b/ nocase ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 16MB and $asp and not any of ($log*) and $add_req and $run
}

rule EXT_WEBSHELL_ASP_UTF7_Source_Page
{
    meta:
        author = "extriage"
        description = "Classic ASP page declares its own source UTF-7 (<%@ CodePage=65000 %>): its server code can then be written as UTF-7 shift sequences, so no keyword of it stands in the file"
        family = "classic ASP hidden code"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1027"
    strings:
        // the page directive itself: <%@ CodePage=65000 %>, <%@ LANGUAGE="VBScript" CODEPAGE="65000" %>. No shift
        // sequence is required as well: a pattern for `+...-` costs ~6 % of the web stage's YARA time (its atom is
        // `+` or `<%`), and a page whose source is UTF-7 is a hiding device in itself (no server needs it).
        $cp = /<%[ \t\r\n]*@[^%]{0,120}\bCodePage[ \t]*=[ \t]*["']?65000\b/ nocase ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
    condition:
        filesize < 16MB and not any of ($log*) and $cp
}

rule EXT_WEBSHELL_VBS_Runs_Assembled_Text
{
    meta:
        author = "extriage"
        description = "Classic ASP page runs (Execute/ExecuteGlobal/Eval) text assembled from literal pieces: six or more 1-2 character literals joined with &, three or more Chr(n) joined, six or more f(n) calls joined (characters picked out of a literal), Execute(Unescape(...)), or a decoder called on a long hex literal"
        family = "classic ASP hidden code"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1027,T1059.005"
    strings:
        $asp = "<%" ascii wide
        // eval""&("e"&"v"&"a"&"l"&"("&...   (VBScript concatenation only)
        $lits = /(^|[^A-Za-z0-9_.])(Eval|Execute(Global)?)[ \t]*\(?[ \t]*(\(?[ \t]*"[^"\r\n]{0,2}"[ \t]*&[ \t]*){6}/ nocase ascii wide
        // eval(eval(chr(114)+chr(101)+chr(113)...   /   Execute Chr(&H65) & Chr(&H76) & Chr(...
        $chrs = /(^|[^A-Za-z0-9_.])(Eval|Execute(Global)?)[ \t]*\(?[ \t]*((Eval|Execute)[ \t]*\([ \t]*)?Chr[BW]?[ \t]*\([ \t]*&?[0-9A-Fa-fHhOo]{1,6}[ \t]*\)[ \t]*[&+][ \t]*Chr[BW]?[ \t]*\([ \t]*&?[0-9A-Fa-fHhOo]{1,6}[ \t]*\)[ \t]*[&+][ \t]*Chr[BW]?[ \t]*\(/ nocase ascii wide
        // Execute(Unescape(s)) - not eval(unescape(...)), which browser script uses
        $unesc = /(^|[^A-Za-z0-9_.])Execute(Global)?[ \t]*\(?[ \t]*Unescape[ \t]*\(/ nocase ascii wide
        // Execute(AACode("457865637574652870..."))
        $hexcall = /(^|[^A-Za-z0-9_.])Execute(Global)?[ \t]*\(?[ \t]*[A-Za-z_][A-Za-z0-9_]{0,40}[ \t]*\([ \t]*"[0-9A-Fa-f]{16,}"/ nocase ascii wide
        // execute(d(6)&d(10)&d(9)&...) where d(s) = Mid(literal, s, 1) picks characters of a literal (X31)
        $picks = /(^|[^A-Za-z0-9_.])(Eval|Execute(Global)?)[ \t]*\(?[ \t]*([A-Za-z_][A-Za-z0-9_]{0,20}[ \t]*\([ \t]*[0-9]{1,3}[ \t]*\)[ \t]*&[ \t]*){5}[A-Za-z_][A-Za-z0-9_]{0,20}[ \t]*\([ \t]*[0-9]{1,3}[ \t]*\)/ nocase ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 16MB and $asp and not any of ($log*) and any of ($lits, $chrs, $unesc, $hexcall, $picks)
}
