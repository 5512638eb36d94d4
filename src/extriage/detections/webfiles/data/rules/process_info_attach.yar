/*
  extriage rules for command pages that fill a ProcessStartInfo from the request and start it through a
  Process object, written for this project (MIT, like the rest of extriage). Issue 14, helper X9 (eighth
  unseen collection: published text II).

  Why this file: a command page printed in dozens of published upload-vulnerability write-ups builds a
  ProcessStartInfo, hands it to a Process (`proc.StartInfo = info;`), sets `info.Arguments` from the
  request - before or after the hand-over - and calls `proc.Start()`. The behaviour analysis follows the
  request value into `Process.Start(info)` and into constructor arguments, but not through the property of
  an info object that is attached to a Process and started there (C# and JScript; the VB form is
  followed). On first sight the real pages of this shape were found only because they also spell
  "cmd"/"/c " (EXT_WEBSHELL_Process_Exec); the same shape with the program name split or a different
  switch was found by nothing. This rule matches the shape, not any sample's strings: a ProcessStartInfo,
  an assignment of its Arguments or FileName whose right-hand side (same statement) reads the request, an
  info object attached to a Process's StartInfo, and an instance Start(). Ordinary pages that run a tool
  pass fixed or configured arguments, or never start what they describe - neither matches.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_StartInfo_Request_Arguments
{
    meta:
        author = "extriage"
        description = "Command page: sets a ProcessStartInfo's Arguments/FileName from the request, attaches it to a Process (StartInfo = info) and starts it"
        family = "command shell"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059"
    strings:
        $psi = "ProcessStartInfo" nocase ascii wide
        // the info object handed to a Process by name: proc.StartInfo = info;
        $attach = /\.\s*StartInfo\s*=\s*[A-Za-z_$][A-Za-z0-9_$]{0,60}\s*[;\r\n]/ nocase ascii wide
        // Arguments/FileName assigned from the request within one statement (C#/JScript +, VB &)
        $set = /\.\s*(Arguments|FileName)\s*=[^;\r\n]{0,300}\bRequest\s*(\.\s*(Item|Form|QueryString|Params|Headers|Cookies|ServerVariables)\s*)?[\[\(]/ nocase ascii wide
        // started on the Process object
        $start = /\.\s*Start\s*\(\s*\)/ nocase ascii wide
        $page = /<%\s*@\s*((Page|WebHandler|WebService|Control)\b|\w[\w:]*\s*=)/ nocase ascii wide
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
        $psi and $attach and $set and $start
}
