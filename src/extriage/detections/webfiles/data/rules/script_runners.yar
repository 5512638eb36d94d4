/*
  extriage rules for server pages that run C# or VB text through Roslyn's scripting API, written for this
  project (MIT, like the rest of extriage). Issue 14, helper X49 (session 20).

  Why this file: a first-sight shell of session 19 (X45's fifth batch, "RoslynShell") hands a query-string
  value to CSharpScript.EvaluateAsync in a WebForms page and writes the result back. Only the behaviour
  analysis found it (its compile sink); EXT_WEBSHELL_Razor_Evaluates_Bound_Code names the same call in Razor
  views and Blazor components only. The rule wants a server page, a scripting call whose code argument is a
  variable or a request value (not a literal), and the page's input (a request read, or the call given a server control's text).
  A page evaluating a fixed expression written into it stays silent.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_Page_Evaluates_Script_Text
{
    meta:
        author = "extriage"
        description = "Server page evaluates C# or VB text held in a variable or read from the request with Roslyn scripting (CSharpScript.EvaluateAsync/RunAsync/Create) and takes input from the page: a C# runner"
        family = "Roslyn script runner"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059"
    strings:
        // the code argument: a name, an indexer, or a request read - not a string literal
        $eval = /(CSharp|VisualBasic)Script\s*\.\s*(EvaluateAsync|RunAsync|Evaluate|Run|Create)\s*(<[^>\r\n]{1,60}>|\(\s*Of\s+[^)\r\n]{1,60}\))?\s*\(\s*(await\s+)?[A-Za-z_][A-Za-z0-9_.]{0,60}\s*([\[(][^;\r\n]{0,80}[\])])?\s*[,)]/ ascii wide
        // input from the page (\bRequest: not a method named ...Request( - X46, session 19)
        $in1 = /\bRequest\s*(\.\s*(Form|QueryString|Params|Item|Headers|Cookies|Files)\s*)?[\[(]/ nocase ascii wide
        $in2 = /\bRequest\s*\.\s*(InputStream|BinaryRead)\b/ nocase ascii wide
        // or the scripting call is given a server control's text itself (a text box's .Text, an input's .Value)
        $box = /(CSharp|VisualBasic)Script\s*\.\s*\w+\s*(<[^>\r\n]{1,60}>)?\s*\(\s*(await\s+)?(this\s*\.\s*|Me\s*\.\s*)?[A-Za-z_]\w{0,40}\s*\.\s*(Text|Value)\s*[,)]/ ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and (($eval and any of ($in*)) or $box)
}
