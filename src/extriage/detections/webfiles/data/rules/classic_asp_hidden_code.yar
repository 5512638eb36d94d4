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
    condition:
        filesize < 16MB and $asp and not any of ($log*) and ($exec_sess or ($exec_call and any of ($dec*)))
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
        $script = /<script[^>]{0,80}(runat\s*=\s*["']?server[^>]{0,80}language\s*=\s*["']?(JScript|Javascript)|language\s*=\s*["']?(JScript|Javascript)[^>]{0,80}runat\s*=\s*["']?server)/ nocase ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
    condition:
        filesize < 64MB and not any of ($log*) and ($page or $script) and $in and ($ret or $alias)
}
