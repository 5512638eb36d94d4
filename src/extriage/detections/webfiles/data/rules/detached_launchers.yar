/*
  extriage rules for server pages whose whole job is to start a dropped program in the background, written
  for this project (MIT, like the rest of extriage). Issue 14, helper X11 (ninth unseen collection: shells
  inside tools).

  Why this file: a real page kept in a public repository (VB.NET, no request input) starts a program that was
  dropped in the site folder with `cmd.exe /c start <path>.exe`, the window hidden (CreateNoWindow), errors
  swallowed and an empty response. Opening the page once is the attacker's way to run the dropped binary as
  the application pool identity. Nothing in it comes from the request, so the behaviour analysis (which
  follows request input) has nothing to follow, and its strings are the dropped file's name. The rule
  matches the shape instead: a server page that starts a process whose command line hands a program or
  script to the shell's `start` (which detaches it) or to PowerShell's Start-Process, with the window hidden
  (CreateNoWindow = true, a Hidden window style, VB's vbHide, `start /b`, or PowerShell's -WindowStyle
  Hidden in any abbreviation). Ordinary pages that run a tool wait for it and show
  its output; they do not detach a program from a hidden shell.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_Hidden_Detached_Launcher
{
    meta:
        author = "extriage"
        description = "Launcher page: starts a program or script detached (cmd /c start <file>, PowerShell Start-Process <file>) with the window hidden"
        family = "hidden detached launcher"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059.003,T1204.002"
    strings:
        // cmd's start detaching a program or script named in the same literal (flags and an empty title,
        // written "" or \"\" in the source, allowed)
        $detach1 = /\/c\s+start(\s+\/[a-z]+)*(\s+\\?"\\?")?\s+["']?[^"'\r\n]{1,200}\.(exe|com|scr|bat|cmd|vbs|vbe|js|jse|wsf|hta|ps1|dll)\b/ nocase ascii wide
        // ... or the program appended to a "/c start " literal (C# + / VB &) and an executable named in the page
        $detach2 = /\/c\s+start(\s+\/[a-z]+)*\s*"\s*(\+|&)/ nocase ascii wide
        $exe = /\.exe["']/ nocase ascii wide
        // PowerShell's Start-Process detaching a program or script (-FilePath optional)
        $detach3 = /Start-Process\s+(-FilePath\s+)?["']?[^"'\r\n]{1,200}\.(exe|com|scr|bat|cmd|vbs|vbe|js|jse|wsf|hta|ps1|dll)\b/ nocase ascii wide
        // the window hidden
        $hide1 = /CreateNoWindow\s*=\s*true/ nocase ascii wide
        $hide2 = /ProcessWindowStyle\s*\.\s*Hidden/ nocase ascii wide
        $hide3 = /\b(vbHide|AppWinStyle\s*\.\s*Hide)\b/ nocase ascii wide
        $hide4 = /\/c\s+start\s+(\/[a-z]+\s+)*\/b\b/ nocase ascii wide
        // PowerShell's -WindowStyle Hidden, any abbreviation of the switch or the value
        $hide5 = /[\s"']-w(i(n(d(o(w(s(t(y(l(e)?)?)?)?)?)?)?)?)?)?\s+h(i(d(d(e(n)?)?)?)?)?\b/ nocase ascii wide
        // a process started
        $start1 = /Process\s*\.\s*Start\s*\(/ nocase ascii wide
        $start2 = /\.\s*StartInfo\b/ nocase ascii wide
        $start3 = "ProcessStartInfo" nocase ascii wide
        $start4 = /\bShell\s*\(/ nocase ascii wide
        $page = /<%\s*@\s*((Page|WebHandler|WebService|Control|Application|ServiceHost)\b|\w[\w:]*\s*=)/ nocase ascii wide
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
        ($detach1 or ($detach2 and $exe) or $detach3) and any of ($hide*) and any of ($start*)
}
