/*
  extriage rules for server pages that carry their payload inside and launch it, written for this project
  (MIT, like the rest of extriage). Issue 14, helper X8 (seventh unseen collection: shells inside tools).

  Why this file: exploit kits and payload generators write pages that take no request input at all - the
  page is the payload's launcher, opened once by the attacker. Two shapes were first-sight misses: a page
  holding a whole executable as a byte array that writes it to disk and starts it (the "aspx-exe" output
  format of a well-known exploit framework), and a page that starts PowerShell with an encoded command
  built into the page (a reverse shell from a pentest framework's generator). The behaviour analysis
  follows request input, and these pages have none; their strings change with every payload. These rules
  match the shape instead: an embedded program (a byte array that starts with the "MZ" header, or the
  base64 of that header) written to a file and a process started, or PowerShell started with an
  -EncodedCommand switch (any abbreviation) and a long base64 literal in the page. Ordinary pages do not
  ship executables inside their source, and do not start PowerShell with an encoded command.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_Embedded_Executable_Dropper
{
    meta:
        author = "extriage"
        description = "Dropper page: holds an executable (MZ header) in its source, writes it to disk and starts a process"
        family = "embedded executable dropper"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1105,T1204"
    strings:
        // an array literal that starts with the DOS header "MZ": C# hex, VB hex, decimal
        $mz_cs = /\{\s*0x4d\s*,\s*0x5a\s*,/ nocase ascii wide
        $mz_vb = /\{\s*&H4D\s*,\s*&H5A\s*,/ nocase ascii wide
        $mz_dec = /\{\s*77\s*,\s*90\s*,\s*(0|80|144)\s*,/ ascii wide
        // the base64 of the standard DOS header (TVqQAAMAAAAEAAAA = "MZ\x90\0\x03\0\0\0\x04\0\0\0")
        $mz_b64 = "TVqQAAMAAAAEAAAA" ascii wide
        // written to a file ...
        $write1 = /File\s*\.\s*(WriteAllBytes|Create|OpenWrite)\s*\(/ nocase ascii wide
        $write2 = /new\s+(System\s*\.\s*IO\s*\.\s*)?(FileStream|BinaryWriter)\s*\(/ nocase ascii wide
        $write3 = /My\s*\.\s*Computer\s*\.\s*FileSystem\s*\.\s*WriteAllBytes\s*\(/ nocase ascii wide
        // ... and a process started
        $start1 = /Process\s*\.\s*Start\s*\(/ nocase ascii wide
        $start2 = /\.\s*StartInfo\b/ nocase ascii wide
        $start3 = "ProcessStartInfo" nocase ascii wide
        $start4 = /\bCreateProcess(A|W|AsUser)?\b/ ascii wide
        $start5 = /\bShell\s*\(/ nocase ascii wide
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
        any of ($mz*) and any of ($write*) and any of ($start*)
}

rule EXT_WEBSHELL_Encoded_PowerShell_Launcher
{
    meta:
        author = "extriage"
        description = "Launcher page: starts PowerShell with an encoded command (-EncodedCommand/-enc/-e) and a long base64 script held in the page"
        family = "encoded PowerShell launcher"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059.001,T1027"
    strings:
        $ps = /powershell(\.exe)?/ nocase ascii wide
        // -EncodedCommand and every abbreviation PowerShell accepts (-e, -ec, -en, -enc, ... -encodedcommand)
        $enc = /[\s"'\/]-(ec|e(n(c(o(d(e(d(c(o(m(m(a(n(d)?)?)?)?)?)?)?)?)?)?)?)?)?)[\s"']/ nocase ascii wide
        // the encoded script itself, kept in the page: a literal of its own, or right after the switch
        // (each anchored on a quote or the switch: a bare 160-character run has no cheap atom to scan for)
        $blob1 = /"[A-Za-z0-9+\/]{160}/ ascii wide
        $blob2 = /'[A-Za-z0-9+\/]{160}/ ascii wide
        $blob3 = /[\s"'\/]-(ec|e(n(c(o(d(e(d(c(o(m(m(a(n(d)?)?)?)?)?)?)?)?)?)?)?)?)?)\s+[A-Za-z0-9+\/]{160}/ nocase ascii wide
        $start1 = /Process\s*\.\s*Start\s*\(/ nocase ascii wide
        $start2 = /\.\s*StartInfo\b/ nocase ascii wide
        $start3 = "ProcessStartInfo" nocase ascii wide
        $start4 = /\bShell\s*\(/ nocase ascii wide
        $start5 = /WScript\s*\.\s*Shell/ nocase ascii wide
        $page = /<%\s*@\s*((Page|WebHandler|WebService|Control|Application|ServiceHost)\b|\w[\w:]*\s*=)/ nocase ascii wide
        $runat = /runat\s*=\s*["']?server/ nocase ascii wide
        // a page with no directive (ASP.NET compiles it in the configured default language, VB when unset):
        // a code block, "<%" then code - not a directive, binding or comment (X46, session 19) - or an expression
        // (<%= <%:): a page of expressions only compiles too (X49, session 20)
        $block = /<%\s*[^\s@#$%\-]/ ascii wide
        // classic ASP has no directive to speak of: a code block that drives WScript.Shell (X22, NetSPI's
        // ps_webshells ASP form: `set x = CreateObject("WScript.Shell")` + `x.run "cmd.exe /c powershell ... -e <b64>"`)
        $classic = /<%[^@]/ ascii wide
        $classic_wsh = /(CreateObject|ActiveXObject)\s*\(\s*["']WScript\.Shell/ nocase ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block or ($classic and $classic_wsh)) and
        $ps and $enc and any of ($blob*) and any of ($start*)
}

/*
  Added from the collection's third batch (an exploit's user control rewritten to call netcat): a page that
  starts netcat (nc, nc64, ncat, netcat) with its "execute" switch handing a shell to the connection
  (`-e cmd`, `-e powershell`, `-e /bin/sh`; also ncat's `--exec`/`--sh-exec`). The host and port are fixed
  in the page, so there is no request input; the page is the reverse shell's launcher. Pages that run
  other tools, or mention netcat without starting a process, stay silent.
*/

rule EXT_WEBSHELL_Netcat_Reverse_Shell_Launcher
{
    meta:
        author = "extriage"
        description = "Launcher page: starts netcat with its execute switch (-e cmd / -e powershell / --exec) - a reverse or bind shell"
        family = "netcat shell launcher"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059.003"
    strings:
        $nc = /\b(nc|nc64|ncat|netcat)(\.exe)?\b/ nocase ascii wide
        // the execute switch handing a shell to the connection
        $exec1 = /\s-e\s+["']?(cmd|cmd\.exe|powershell|powershell\.exe|pwsh|\/bin\/sh|\/bin\/bash|sh)\b/ nocase ascii wide
        $exec2 = /--(sh-)?exec\b/ nocase ascii wide
        $start1 = /Process\s*\.\s*Start\s*\(/ nocase ascii wide
        $start2 = /\.\s*StartInfo\b/ nocase ascii wide
        $start3 = "ProcessStartInfo" nocase ascii wide
        $start4 = /\bShell\s*\(/ nocase ascii wide
        $start5 = /WScript\s*\.\s*Shell/ nocase ascii wide
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
        $nc and any of ($exec*) and any of ($start*)
}

/*
  Issue 14, helper X19 (nineteenth unseen collection: pentest/CTF notes). The reverse shells of lab write-ups
  that use no netcat - a generator module's TcpClient page and BlogEngine.NET's CVE-2019-6714 `PostView.ascx`
  control - open a TCP connection, start cmd or PowerShell with standard input redirected and write what
  they read from the connection into it. Only the behaviour analysis (`reverse-shell`) found them; this rule
  gives the shape a rule of its own: a server page or control that creates a TcpClient or Socket, takes its
  stream, starts an interpreter with redirected standard input and writes to that input. Pages that test a
  port, talk to a mail or cache server, or feed a tool's standard input from the page stay silent.
  X50 (session 21): a Python generator's callback page keeps the standard input as a StreamWriter and writes what
  the socket sends through that writer; the rule takes the kept writer too.
*/

rule EXT_WEBSHELL_Socket_Fed_Interpreter
{
    meta:
        author = "extriage"
        description = "Server page or control that connects a TcpClient/Socket and writes to the standard input of a cmd or PowerShell it started: a reverse shell over the connection"
        family = "socket-fed interpreter"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059.003,T1095"
    strings:
        $sock = /\bnew\s+(System\s*\.\s*Net\s*\.\s*Sockets\s*\.\s*)?(TcpClient|Socket)\s*\(/ nocase ascii wide
        $stream1 = /\.\s*GetStream\s*\(\s*\)/ ascii wide
        $stream2 = "NetworkStream" ascii wide
        $interp = /["']([a-z]:\\{1,2}windows\\{1,2}system32\\{1,2})?(cmd|powershell|pwsh)(\.exe)?["']/ nocase ascii wide
        $redirect = /RedirectStandardInput\s*=\s*true/ nocase ascii wide
        $stdin = /\.\s*StandardInput\s*\.\s*Write(Line)?\s*\(/ nocase ascii wide
        // ... or the interpreter's standard input kept as a writer and written through it (X50, session 21: a
        // generator's callback page, `StreamWriter w = CmdProc.StandardInput;` then `w.WriteLine(data)`)
        $stdin_kept = /=\s*[A-Za-z_][\w.]*\s*\.\s*StandardInput\s*(;|\r?\n)/ nocase ascii wide
        $write = /\.\s*Write(Line)?\s*\(/ nocase ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and $sock and any of ($stream*) and $interp and $redirect and ($stdin or ($stdin_kept and $write))
}

/*
  X48 (session 20): a page met in a test repository (todd4howard/test `s.aspx`) is one statement in a code block:
  `Assembly.Load(Convert.FromBase64String("TVqQ..."))` of a whole .NET DLL written into the page, then
  `.CreateInstance("SharpMemshell")` - the DLL registers an HttpListener memory shell when instantiated. The page
  reads no request, so EXT_WEBSHELL_Assembly_Load_Base64 (which wants one) and the reflection rules stayed silent;
  only the behaviour analysis named the bytes. No.One's generated .NET pages (ReaJason/No-One, 2025-2026) carry their
  core the same way (`CoreDllBase64`, `Assembly.Load(assemblyBytes)`, `Activator.CreateInstance`). The rule: the
  base64 of the standard DOS header in the page, loaded as an assembly from base64 and instantiated or invoked.
  Ordinary pages that load plug-ins read them from bin or a file, and pages that offer a program for download
  send the bytes out (BinaryWrite), they do not Assembly.Load them.
*/

rule EXT_WEBSHELL_Embedded_Assembly_Loaded_In_Memory
{
    meta:
        author = "extriage"
        description = "Loader page: a .NET assembly written into the page as base64 (MZ header) is loaded in memory and instantiated or invoked"
        family = "embedded assembly loader (memory shell injector)"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1620,T1027"
    strings:
        $mz_b64 = "TVqQAAMAAAAEAAAA" ascii wide
        $load = /Assembly\s*\]?\s*\.\s*Load\s*\(/ nocase ascii wide
        $b64 = "FromBase64String" nocase ascii wide
        $use1 = /\.\s*CreateInstance\s*\(/ nocase ascii wide
        $use2 = /\.\s*EntryPoint\s*\.\s*Invoke\s*\(/ nocase ascii wide
        $use3 = /\.\s*GetMethod\s*\([^)]{0,80}\)\s*\.\s*Invoke\s*\(/ nocase ascii wide
        $use4 = /Activator\s*\.\s*CreateInstance\s*\(/ nocase ascii wide
        $page = /<%\s*@\s*((Page|WebHandler|WebService|Control|Application)\b|\w[\w:]*\s*=)/ nocase ascii wide
        $runat = /runat\s*=\s*["']?server/ nocase ascii wide
        $block = /<%\s*[^\s@=:#$%\-]/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and
        $mz_b64 and $load and $b64 and any of ($use*)
}
