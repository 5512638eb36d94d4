/*
  extriage rules for command pages whose program is typed into a form control of the page itself, written
  for this project (MIT, like the rest of extriage). Issue 14, helper X16 (fourteenth unseen collection: a
  sample of public code taken by behaviour, in the order the code index returned it).

  Why this file: the two pages of the sample that nothing of ours found on first sight are both the
  oldest kind of ASP.NET command page - a form with two boxes, "program" (prefilled with the path of
  cmd.exe) and "arguments", and a button whose handler copies the boxes into a process and starts it. One
  uses HTML inputs made server controls (<input runat="server">, read through .Value), the other a VB
  page with no @Page directive (so VB by default) that builds `New ProcessStartInfo(box.text)`. The
  behaviour analysis did not take the input controls' values as posted input and read the directive-less
  page as C# (both sent to the engine's owner). This rule matches the shape, not those pages' strings: a
  page with a text input or text box that is a server control, a process started, and the program to run
  (FileName, or the first argument of a ProcessStartInfo) taken from a control's Text/Value - or its
  arguments taken from one while the program is a command interpreter. Ordinary pages that run a tool
  name the program themselves (ping, iisreset, a configured path), and a box feeding a fixed tool's
  arguments is left alone unless the tool is a shell.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_Posted_Control_Runs_Program
{
    meta:
        author = "extriage"
        description = "Command page: starts a process whose program (or, for cmd/PowerShell, whose arguments) comes from a text box or input control of the page"
        family = "command shell"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059"
    strings:
        // a text input made a server control: <input ... runat="server">, <asp:TextBox ...>, <textarea runat=server>
        $box1 = /<input\b[^<>]{0,400}\brunat\s*=\s*["']?server/ nocase ascii wide
        $box2 = /<asp:TextBox\b/ nocase ascii wide
        $box3 = /<textarea\b[^<>]{0,400}\brunat\s*=\s*["']?server/ nocase ascii wide
        // the program from a control: x.FileName = box.Value / New ProcessStartInfo(box.Text[, ...])
        $prog1 = /\.\s*FileName\s*=\s*[A-Za-z_][A-Za-z0-9_]{0,60}\s*\.\s*(Value|Text)\b\s*[;\r\n)]/ nocase ascii wide
        $prog2 = /\bnew\s+(System\s*\.\s*Diagnostics\s*\.\s*)?ProcessStartInfo\s*\(\s*[A-Za-z_][A-Za-z0-9_]{0,60}\s*\.\s*(Value|Text)\b\s*[,)]/ nocase ascii wide
        // the arguments from a control (same statement), for a command interpreter only
        $args = /\.\s*Arguments\s*=[^;\r\n]{0,200}\b[A-Za-z_][A-Za-z0-9_]{0,60}\s*\.\s*(Value|Text)\b/ nocase ascii wide
        $shell = /["']([A-Za-z]:\\[^"'\r\n]{0,80}\\)?(cmd|powershell)(\.exe)?["']/ nocase ascii wide
        // a process started: p.Start() / Process.Start(info)
        $start1 = /\.\s*Start\s*\(\s*\)/ nocase ascii wide
        $start2 = /\bProcess\s*\.\s*Start\s*\(/ nocase ascii wide
        $page = /<%\s*@\s*((Page|Control)\b|\w[\w:]*\s*=)/ nocase ascii wide
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
        any of ($box*) and any of ($start*) and
        (any of ($prog*) or ($args and $shell))
}

/*
  Issue 14, helper X18 (eighteenth unseen collection: big shells). A YSRC defender-set copy of ASPXSpy
  (72,657 characters) keeps the whole user interface but its server script block holds nothing but 50,000
  spaces: the code was blanked (or pushed out of sight and lost), so no process is started and the rule
  above cannot match; the behaviour analysis has no code to read. What is left is the form itself, and
  one control of it is what only command pages have: a text box made a server control whose preset value
  is the full path of the command interpreter (or "cmd.exe /c ..."), to be posted back as the program to
  run. Ordinary pages do not offer cmd.exe or powershell.exe as a default a visitor edits. The shape is
  the control, not ASPXSpy's names: <input runat="server" value="X:\...\cmd.exe">, the same with value
  before runat, <asp:TextBox Text="X:\...\powershell.exe">, or a preset command line starting with the
  interpreter and its /c (-command) switch. Silent on plain HTML inputs, on server boxes preset to other
  programs, on text outside a control, on a help page that is not a server page, on logs.
*/
rule EXT_WEBSHELL_Server_Box_Preset_To_Command_Interpreter
{
    meta:
        author = "extriage"
        description = "Command page form: a server text control whose preset value is the command interpreter's path (cmd.exe/powershell.exe) or a cmd /c command line, to be posted back as what to run"
        family = "command shell"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059"
    strings:
        // <input ... runat="server" ... value="C:\...\cmd.exe"> in either order of the two attributes
        $in1 = /<input\b[^<>]{0,400}\brunat\s*=\s*["']?server["']?[^<>]{0,400}\bvalue\s*=\s*["']([A-Za-z]:\\[^"'<>\r\n]{0,120}\\(cmd|powershell)\.exe|(cmd|powershell)(\.exe)?\s+(\/c|\/k|-c|-command)\b)/ nocase ascii wide
        $in2 = /<input\b[^<>]{0,400}\bvalue\s*=\s*["']([A-Za-z]:\\[^"'<>\r\n]{0,120}\\(cmd|powershell)\.exe|(cmd|powershell)(\.exe)?\s+(\/c|\/k|-c|-command)\b)[^<>]{0,400}\brunat\s*=\s*["']?server/ nocase ascii wide
        // <asp:TextBox ... Text="C:\...\cmd.exe">
        $tb = /<asp:TextBox\b[^<>]{0,400}\bText\s*=\s*["']([A-Za-z]:\\[^"'<>\r\n]{0,120}\\(cmd|powershell)\.exe|(cmd|powershell)(\.exe)?\s+(\/c|\/k|-c|-command)\b)/ nocase ascii wide
        $page = /<%\s*@\s*((Page|Control)\b|\w[\w:]*\s*=)/ nocase ascii wide
        $form = /<form\b[^<>]{0,200}\brunat\s*=\s*["']?server/ nocase ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $form) and any of ($in*, $tb)
}

/*
  Issue 14, helper X30 (thirtieth collection: shells in repositories not about security). Four of the
  collection's command pages were found by the behaviour analysis only: the first rule wants the box's Text
  in the same statement as `.Arguments =`, and these pages take it one step away - into a local
  (`string command = txtCommand.Text; ... Arguments = "/c " + command`), into a method's parameter
  (`ExcuteCmd(txtArg.Text)` with `psi.Arguments = "/c " + arg`, the "awen" page and a copy with a junk
  `<%-- --%>` server comment between every statement), or joined straight into the two-argument
  Process.Start (`Process.Start("cmd.exe", " /c " + box.Text + ">" + temp)`). The shape kept: a server text
  control, cmd/PowerShell named as the program, cmd's /c (or /k) literal joined to a name, and a control's
  Text/Value read within 1,500 bytes of that join, in a page that starts a process. A page that runs its own
  batch file through cmd and has a text box for something else far from it stays silent; one that reads a
  box next to a `"/c " + x` join is what these pages are. Severity high, not critical: the link between the
  box and the join is nearness, not a traced flow.
*/
rule EXT_WEBSHELL_Posted_Control_Command_Via_Variable
{
    meta:
        author = "extriage"
        description = "Command page: a text box's value taken into a variable or parameter that is joined after cmd's /c (or /k) and run"
        family = "command shell"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059.003"
    strings:
        $box1 = /<input\b[^<>]{0,400}\brunat\s*=\s*["']?server/ nocase ascii wide
        $box2 = /<asp:TextBox\b/ nocase ascii wide
        $box3 = /<textarea\b[^<>]{0,400}\brunat\s*=\s*["']?server/ nocase ascii wide
        $shell = /["']([A-Za-z]:\\[^"'\r\n]{0,80}\\)?(cmd|powershell)(\.exe)?["']/ nocase ascii wide
        // "/c " + name (" /c " & name, "/K"+name) and a control's text read as a value (box.Text; / (box.Text) /
        // box.Value + ... / VB: box.Text at a line end), the one within 1,500 characters of the other
        $near1 = /["']\s*\/[ck]\s*["']\s*[+&]\s*.{0,1500}\b[A-Za-z_][A-Za-z0-9_]{0,60}\s*\.\s*(Text|Value)[ \t]*[;),+&\r\n]/s ascii wide
        $near2 = /\b[A-Za-z_][A-Za-z0-9_]{0,60}\s*\.\s*(Text|Value)[ \t]*[;),+&\r\n].{0,1500}["']\s*\/[ck]\s*["']\s*[+&]\s*[A-Za-z_]/s ascii wide
        $start1 = /\.\s*Start\s*\(\s*\)/ nocase ascii wide
        $start2 = /\bProcess\s*\.\s*Start\s*\(/ nocase ascii wide
        $page = /<%\s*@\s*((Page|Control)\b|\w[\w:]*\s*=)/ nocase ascii wide
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
        any of ($box*) and $shell and any of ($start*) and any of ($near*)
}
