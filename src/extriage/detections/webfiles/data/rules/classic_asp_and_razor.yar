/*
  extriage rules for the server page kinds the unseen collections met least: classic ASP (VBScript/JScript
  run by asp.dll: .asp, and .asa/.cer/.cdx on IIS) and Razor pages (.cshtml/.vbhtml), written for this
  project (MIT, like the rest of extriage). Issue 14, helper X22 (twenty-second unseen collection: the
  languages and file kinds seen least).

  Why this file: on first sight the own rules missed 11 of the collection's 13 classic-ASP `.asp` shells
  (signature-base found 12): the behaviour analysis reads no `.asp` file (request to A5, 20:45 UTC), and no
  rule of ours names the plainest classic shell - `WScript.Shell` asked to `Exec`/`Run` a command built from
  the request, its output read back through `StdOut`. The same code pasted into a `.aspx` or a `web.config`
  is found by the behaviour analysis; as `.asp` it was found by nothing of ours. Two Razor pages that start a
  fixed interpreter or script from the page (`@System.Diagnostics.Process.Start("/app/Pages/r.sh", ...)`, a
  `@functions` helper run with "cmd.exe" "/c whoami") were missed by everything.
  The rules match those behaviours, not the samples' strings:
  - a classic-ASP page creates WScript.Shell by name and either hands a request value to `.Exec`/`.Run` in the
    same statement, or runs a variable (optionally after a quoted interpreter prefix) through `.Exec` and
    reads its `StdOut`, in a page that reads the request. Applications that use WScript.Shell read the
    environment, write the event log or run a fixed program (`.Run "cmd /c netstat ..."`): those stay silent.
  - a Razor page (`@using`/`@functions`/`@page`/`@model`/`@inherits`/`@{`, VB `@Code`/`@Imports`/...) that
    starts a process and names a command interpreter or a shell script as a string: cmd.exe, powershell/pwsh,
    /bin/sh, /bin/bash, *.sh, *.bat, *.cmd, *.ps1 - or (X39, session 17) a Unix tool that reads files or the
    host, by its absolute path (/bin/cat, /usr/bin/id, /usr/bin/curl ...). Views that start nothing, show the
    current process's start time, or run another program (`dotnet --info`, /usr/bin/git) stay silent.
  Web server logs quoting such code are not pages (the `#Fields:`/`GET /`/`POST /` lines).
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_Classic_ASP_Shell_Object_Request
{
    meta:
        author = "extriage"
        description = "Classic ASP page runs a command through WScript.Shell .Exec/.Run with a request value, or runs a variable through .Exec and reads its StdOut in a page that reads the request"
        family = "classic ASP command shell"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059.003"
    strings:
        $asp = "<%" ascii wide
        $obj1 = /CreateObject\s*\(\s*["']WScript\.Shell/ nocase ascii wide
        $obj2 = /ActiveXObject\s*\(\s*["']WScript\.Shell/ nocase ascii wide
        // .Exec("cmd.exe /c "&Request("c")) / .Exec(Request.Form("c")) / .Run "cmd /c " & Request("c"), one line
        $direct = /\.\s*(Exec|Run)\b\s*\(?[^\r\n]{0,100}\bRequest\s*(\.\s*(Form|QueryString|Item)\s*)?[\(\[]/ nocase ascii wide
        // .Exec(cmd) / .Exec("cmd.exe /c " & cmd) / .Exec("cmd /c" + c)
        $exec_var = /\.\s*Exec\s*\(\s*("[^"\r\n]{0,40}"\s*[&+]\s*)?[A-Za-z_][A-Za-z0-9_]{0,40}\s*\)/ nocase ascii wide
        $out = /\.\s*StdOut\s*\.\s*Read/ nocase ascii wide
        $in = /\bRequest\s*(\.\s*(Form|QueryString|Item)\s*)?\(/ nocase ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 16MB and $asp and not any of ($log*) and any of ($obj*) and
        ($direct or ($exec_var and $out and $in))
}

rule EXT_WEBSHELL_Razor_Page_Starts_Interpreter
{
    meta:
        author = "extriage"
        description = "Razor page (.cshtml/.vbhtml) starts a process naming a command interpreter, a shell script or a Unix file/host reader by path (cmd.exe, powershell, /bin/sh, *.sh, *.bat, *.ps1, /bin/cat, /usr/bin/id)"
        family = "Razor command runner"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059"
    strings:
        // C# Razor directives, and the VB ones (@Imports, @ModelType, @Code ... End Code, @Functions)
        $razor1 = /(^|[\r\n])\s*@(using|functions|page|model|inherits|Imports|ModelType|Code|Functions)\b/ ascii wide
        $razor2 = /(^|[\r\n])\s*@\{/ ascii wide
        $start1 = /Process\s*\.\s*Start\s*\(/ ascii wide
        $start2 = /new\s+(System\.Diagnostics\.)?ProcessStartInfo\b/ ascii wide
        $start3 = /new\s+(System\.Diagnostics\.)?Process\s*\(\s*\)/ ascii wide
        $int1 = /"(cmd|cmd\.exe|powershell|powershell\.exe|pwsh|pwsh\.exe|\/bin\/sh|\/bin\/bash|sh|bash)"/ nocase ascii wide
        $int2 = /"[^"\r\n]{0,200}\.(sh|bat|cmd|ps1)"/ nocase ascii wide
        $int3 = /"[^"\r\n]{0,200}\\(cmd|powershell)\.exe"/ nocase ascii wide
        // a Unix tool that reads files or the host by its absolute path: a page that runs "/bin/cat" on
        // "/app/flag.txt" and shows what it printed (X39's CTF page; session 17)
        $int4 = /"\/(usr\/)?s?bin\/(cat|head|tail|id|whoami|uname|ls|env|printenv|ps|hostname|ifconfig|ip|netstat|nc|ncat|curl|wget|python[0-9.]*|perl|ruby|php|busybox|dash|zsh|ksh)"/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 16MB and not any of ($log*) and any of ($razor*) and any of ($start*) and any of ($int*)
}
