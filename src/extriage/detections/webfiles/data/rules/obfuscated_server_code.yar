/*
  extriage rules for server code written to be unreadable, written for this project (MIT, like the rest of
  extriage). Issue 14, helper X13 (eleventh unseen collection: non-English sources and evasion work).

  Why this file: a Chinese fork of the Godzilla web shell manager ships an obfuscator for its ASP.NET
  pages: every capitalised identifier is rewritten as \u/\U escapes with an escaped invisible format
  character after each letter (\u200c, \u200e, \ufeff, \u180b ... - C# ignores format characters inside
  identifiers), every string literal becomes base64 with a separator between its characters, decoded at
  run time (`FromBase64String("Z%j%N%l...".Replace("%",""))`), and the handler's directive names no
  directive and follows a run of comments. Its handler (gzip + key, Assembly.Load by reflection, payload
  kept in Application) was missed on first sight by our rules, by the behaviour analysis and by
  signature-base. The rule matches the obfuscation, which no maintained code needs: an escaped ASCII letter
  followed at once by an escaped format character, again and again, or several literals whose characters
  alternate with one separator (base64 text interleaved with '%', '$', '#', ...). Pages of right-to-left
  or Indic languages use format characters (ZWNJ, RLM) next to their own letters, written as characters,
  not as escapes glued to escaped Latin letters.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_Escaped_Identifiers_With_Format_Chars
{
    meta:
        author = "extriage"
        description = "Obfuscated server code: identifiers spelled as \\u escapes with invisible format characters between the letters, or string literals as base64 interleaved with a separator"
        family = "obfuscated server code"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1027"
    strings:
        // an escaped ASCII letter (\u0041-\u007a, \U00000041-...) followed by an escaped format character
        // (ZWSP..RLM U+200B-200F, Mongolian FVS U+180B-180E, BOM U+FEFF, bidi embeddings U+202A-202E,
        // word joiner/invisible operators U+2060-2064)
        $fmt = /\\(u00|U000000)[4-7][0-9a-fA-F]\\(u|U0000)(200[b-fB-F]|180[b-eB-E]|[fF][eE][fF][fF]|202[a-eA-E]|206[0-4])/ ascii wide
        // a literal of base64 characters alternating with one separator character, 8+ times
        $split = /"[A-Za-z0-9+\/=]([%$#@!~^*|][A-Za-z0-9+\/=]){8,}"/ ascii wide
        $page = /<%\s*@\s*(Page|WebHandler|WebService|Control|Application|Master|\w[\w:]*\s*=)/ nocase ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and (#fmt >= 4 or #split >= 3)
}

/*
  Issue 14, helper X34 (thirty-fourth unseen collection: shells met among ordinary pages). An uploader met
  among ordinary C# pages hides a small upload page (auth key, Request.Files saved beside the page) behind
  javascript-obfuscator-style names: every method of its server block is named _0x... (_0xF8, _0x10D,
  _0xW3X11 ...), every request object and stream comes back from a one-line helper, and a script tag is
  assembled from fourteen base64 fragments returned by such helpers. Missed on first sight by our rules and
  the behaviour analysis (the request objects only reach the sink through helper returns). The rule matches
  the naming, which no maintained server code uses: several C# or VB method declarations named _0x + hex or
  letters, in a server page. Client-side obfuscated JavaScript (function _0x.../var _0x...) declares no
  typed methods and stays silent; .NET obfuscators rename compiled assemblies, not page source.
*/

rule EXT_WEBSHELL_Hex_Named_Server_Methods
{
    meta:
        author = "extriage"
        description = "Obfuscated server code: several C#/VB methods of a server page named _0x... (obfuscator-style names), hiding what the page does"
        family = "obfuscated server code"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1027"
    strings:
        // C#: modifier(s), a return type, then a method named _0x...
        $cs = /\b(private|public|protected|internal|static)\s+(static\s+|override\s+|virtual\s+)?[A-Za-z_][\w.]*(<[\w.,\s]+>)?(\[\])?\s+_0x[0-9A-Za-z_]{2,}\s*\(/ ascii wide
        // VB: Function/Sub _0x... (as VB writes them, capitalised: JavaScript's lower-case "function _0x..." is not this)
        $vb = /\b(Function|Sub)\s+_0x[0-9A-Za-z_]{2,}\s*\(/ ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and (#cs + #vb) >= 5
}

/*
  Issue 14, helper X49 (session 20): the same Behinder-style loader with every identifier escaped and no
  format characters. A first-sight shell of session 19 (X45's first batch) spells Session.Add,
  System.Text.Encoding.UTF8.GetString, Convert.FromBase64String, Request.BinaryRead, Type.GetType and
  GetMethod entirely as \u00XX escapes (C# reads "\u0041\u0064\u0064" in code as the name Add) and its
  literals as base64 with a separator. Only the behaviour analysis found it (it decodes the escapes);
  EXT_WEBSHELL_Escaped_Identifiers_With_Format_Chars wants an invisible character after each letter and
  three or more split literals, and this page has neither enough. The rule names the escaping where only code
  can be: a run of three or more escaped ASCII letters right after a member access, a statement's or block's
  start or an opening parenthesis, followed by a member access, a call or an indexer - four times or more in a
  server page. Escapes inside string literals (JSON, localised text: "\u0041..." after a quote) and browser
  script strings stay silent.
*/

rule EXT_WEBSHELL_Escaped_Identifiers_In_Server_Code
{
    meta:
        author = "extriage"
        description = "Obfuscated server code: member and type names of a server page spelled entirely as \\u00XX escapes of ASCII letters (Session.\\u0041\\u0064\\u0064(...)), hiding what the page calls"
        family = "obfuscated server code"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1027"
    strings:
        // a name of three or more escaped letters, where only code has names: after "." ";" "{" "}" "(" (and
        // blanks), followed by ".", "(" or "["
        $name = /[.;{}(]\s*(\\u00[4-7][0-9a-fA-F]){3,}\s*[.(\[]/ ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and #name >= 4
}
