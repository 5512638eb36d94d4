/*
  extriage rules for "stub" pages whose only server code constructs one object of an attacker's own class,
  written for this project (MIT, like the rest of extriage). Issue 14, helper X7 (sixth unseen collection).

  Why this file: a known persistence trick (published 2018 with its code, "DLL + handler mapping") compiles
  the shell into a DLL dropped in the application's Bin folder and leaves a page whose whole code is one
  line, `AdminWeb a = new AdminWeb();`: the class constructor does the work (runs commands, writes files),
  so the page holds no request input, no process, no eval - nothing the behaviour analysis follows. Its
  `dropped-class` pattern needs a dotted type name (`new WebAdmin2Y.x.y("key")`); a type without a
  namespace slipped through on first sight. This rule matches the shape, not the sample's names: the page's
  only server code (one `<script runat="server">` block, or one `<% %>` block, and no other code or
  expression blocks, no server controls) declares a variable and constructs an object of a type that is not
  a framework type.
  An ordinary page that keeps a helper object in a field also uses it (handlers, `<%= %>`, data binding),
  so it has more code than the one line.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_Custom_Class_Stub_Page
{
    meta:
        author = "extriage"
        description = "Stub page: its only server code constructs one object of a custom class (the shell lives in a DLL dropped in Bin and runs in the constructor) - look for the class in Bin/App_Code"
        family = "dropped-assembly stub page"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1574"
    strings:
        // C#: the whole script block is `[modifiers] Type name = new Type(args);`
        $cs_script = /<script\b[^>]{0,200}\brunat\s*=\s*["']?server["']?[^>]{0,200}>\s*((private|public|protected|internal|static|readonly)\s+){0,3}[A-Za-z_]\w*(\s*\.\s*[A-Za-z_]\w*)*\s+[A-Za-z_]\w*\s*=\s*new\s+[A-Za-z_]\w*(\s*\.\s*[A-Za-z_]\w*)*\s*\([^;(){}\r\n]{0,200}\)\s*;?\s*<\/script\s*>/ nocase ascii wide
        // C#: the whole code block is `[Type|var] name = new Type(args);` or `new Type(args);`
        $cs_inline = /<%\s*(([A-Za-z_]\w*(\s*\.\s*[A-Za-z_]\w*)*\s+)?[A-Za-z_]\w*\s*=\s*)?new\s+[A-Za-z_]\w*(\s*\.\s*[A-Za-z_]\w*)*\s*\([^;(){}\r\n%]{0,200}\)\s*;?\s*%>/ nocase ascii wide
        // VB: `Dim name As New Type(args)` / `Dim name As Type = New Type(args)` as the whole script block
        $vb_script = /<script\b[^>]{0,200}\brunat\s*=\s*["']?server["']?[^>]{0,200}>\s*(Dim|Private|Public|Protected)\s+[A-Za-z_]\w*\s+As\s+(New\s+[A-Za-z_][\w.]*|[A-Za-z_][\w.]*\s*=\s*New\s+[A-Za-z_][\w.]*)\s*(\([^(){}\r\n]{0,200}\))?\s*<\/script\s*>/ nocase ascii wide
        // framework types: a page holding only one of these is odd but not a stub for a dropped class
        $framework = /\bnew\s+(System\s*\.|Object\b|String\b|StringBuilder\b|DataTable\b|DataSet\b|DataView\b|Hashtable\b|ArrayList\b|List\b|Dictionary\b|Random\b|Guid\b|Uri\b|DateTime\b|TimeSpan\b|Exception\b|EventArgs\b)/ nocase ascii wide
        // every code, expression or script block of the page, and its directives
        $open = "<%" ascii wide
        $directive = /<%\s*@/ ascii wide
        $comment = "<%--" ascii wide
        $script = /<script\b[^>]{0,200}\brunat\s*=\s*["']?server/ nocase ascii wide
        // any server control or block: a page with server controls is an ordinary page, not a stub
        $runat = /\brunat\s*=\s*["']?server/ nocase ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
    condition:
        filesize < 16KB and not any of ($log*) and not $framework and
        (
            (($cs_script or $vb_script) and #script == 1 and #runat == 1 and #open == #directive + #comment) or
            ($cs_inline and #runat == 0 and #open == #directive + #comment + 1)
        )
}
