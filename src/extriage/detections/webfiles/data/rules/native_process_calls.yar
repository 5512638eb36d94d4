/*
  extriage rules for server pages that start programs through Windows' own functions, written for this project
  (MIT, like the rest of extriage). Issue 14, helper X49 (session 20).

  Why this file: three first-sight shells of session 19 (X45's fifth batch, 0xAnalyst's pages) start cmd.exe
  through kernel32's CreateProcess or shell32's ShellExecuteEx ("runas", hidden) declared with DllImport, or
  through a delegate over the address GetProcAddress returns for a name decoded at run time, instead of
  Process.Start. Only the behaviour analysis found them (its pinvoke sink); no YARA rule did, so one engine change
  stood between them and a miss. The rule names the declaration, which a server page has no ordinary use for:
  a P/Invoke (C# extern, VB Declare or DllImport'd Shared Function, or an EntryPoint) of CreateProcess*,
  ShellExecute* or WinExec, or a delegate named for one of them built from a function pointer. Pages that
  P/Invoke an ordinary function (GetTickCount, LogonUser, GetDiskFreeSpaceEx) and class libraries (no page
  marker) stay silent.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_Page_Starts_Process_Through_Native_Call
{
    meta:
        author = "extriage"
        description = "Server page declares Windows' process-starting functions (CreateProcess, ShellExecuteEx, WinExec) as native calls, or calls one through a function pointer: a command shell that avoids Process.Start"
        family = "native process launcher"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059.003,T1106"
    strings:
        // C#: static extern bool CreateProcess(...); VB: Declare Function WinExec Lib "kernel32" / Alias "ShellExecuteExW"
        $cs = /\bextern\s+[\w.<>\[\]]+\s+(CreateProcess\w*|ShellExecute\w*|WinExec)\s*\(/ ascii wide
        $vb1 = /\bDeclare\s+(Ansi\s+|Unicode\s+|Auto\s+)?(Function|Sub)\s+(CreateProcess\w*|ShellExecute\w*|WinExec)\s+Lib\b/ nocase ascii wide
        $vb2 = /\bLib\s+"[\w.]{1,20}"\s+Alias\s+"(CreateProcess|ShellExecute|WinExec)\w*"/ nocase ascii wide
        $vb3 = /\bShared\s+Function\s+(CreateProcess\w*|ShellExecute\w*|WinExec)\s*\(/ nocase ascii wide
        $ep = /EntryPoint\s*:?=\s*"(CreateProcess|ShellExecute|WinExec)\w*"/ ascii wide
        $native1 = "DllImport" ascii wide
        $native2 = /\bDeclare\s+(Ansi\s+|Unicode\s+|Auto\s+)?(Function|Sub)\b/ nocase ascii wide
        // a function pointer called as a delegate named for the process starter (its name may be decoded at run time)
        $dlg = /\bdelegate\s+[\w.]+\s+\w*(CreateProcess|ShellExecute|WinExec)\w*\s*\(/ nocase ascii wide
        $ptr = /GetDelegateForFunctionPointer\b/ ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and
        ((any of ($native*) and ($cs or any of ($vb*) or $ep)) or ($dlg and $ptr))
}

rule EXT_WEBSHELL_Page_Runs_Command_Through_Alternate_Launcher
{
    meta:
        author = "extriage"
        description = "Server page hands request input to a .NET launcher other than Process.Start: CodeDom's Executor.ExecWait/ExecWaitWithCapture (a command line run through CreateProcess), Microsoft.VisualBasic's Interaction.Shell, or AppDomain.ExecuteAssembly (a program's Main run inside the worker)"
        family = "alternate process launcher"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059.003"
    strings:
        // (B29, session 21: found by nothing - a benign admin page's Executor.ExecWait of a fixed loader led there)
        $launch1 = /\bExecutor\s*\.\s*ExecWait(WithCapture)?\s*\(/ nocase ascii wide
        $launch2 = /\bInteraction\s*\.\s*Shell\s*\(/ nocase ascii wide
        $launch3 = /\.\s*ExecuteAssembly(ByName)?\s*\(/ nocase ascii wide
        // a request read ("ProcessRequest(" is no read: the word must start at "Request")
        $req = /\bRequest\s*(\.\s*(Form|QueryString|Params|Item|Headers|Cookies|InputStream|Files|Unvalidated)\b|[\[(])/ nocase ascii wide
        // or a WebForms control's text handed to the launcher on its own line
        $ctl = /\b(ExecWait(WithCapture)?|Interaction\s*\.\s*Shell|ExecuteAssembly(ByName)?)\s*\([^;\r\n]{0,200}\.\s*(Text|Value)\b/ nocase ascii wide
        $page = /<%\s*@\s*((Page|WebHandler|WebService|Control|Application|Master)\b|\w[\w:]*\s*=)/ nocase ascii wide
        $runat = /runat\s*=\s*["']?server/ nocase ascii wide
        $block = /<%\s*[^\s@#$%\-]/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and
        any of ($launch*) and ($req or $ctl)
}

rule EXT_WEBSHELL_Page_Schedules_Request_Command
{
    meta:
        author = "extriage"
        description = "Server page registers a scheduled task through the Task Scheduler (the Schedule.Service COM object or the TaskScheduler library's ExecAction) in a page that reads the request: a command run by the scheduler, outside the worker, and kept"
        family = "scheduled task launcher"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1053.005"
    strings:
        // (B29, session 21: a task whose action path the request gives was found by nothing, own rules or signature-base)
        $sched1 = /"Schedule\.Service(\.1)?"/ nocase ascii wide
        $sched2 = /"\{?0F87369F-A4E5-4CFC-BD3E-73E6154572DD\}?"/ nocase ascii wide
        $act1 = /\bRegisterTaskDefinition\s*\(/ nocase ascii wide
        $act2 = /\.\s*Actions\s*\.\s*Create\s*\(/ nocase ascii wide
        $lib = /\bnew\s+(Microsoft\s*\.\s*Win32\s*\.\s*TaskScheduler\s*\.\s*)?ExecAction\s*\(/ ascii wide
        $req = /\bRequest\s*(\.\s*(Form|QueryString|Params|Item|Headers|Cookies|InputStream|Files|Unvalidated)\b|[\[(])/ nocase ascii wide
        $ctl = /\b(Path|Arguments|ExecAction)\b[^;\r\n]{0,200}\.\s*(Text|Value)\b/ nocase ascii wide
        $page = /<%\s*@\s*((Page|WebHandler|WebService|Control|Application|Master)\b|\w[\w:]*\s*=)/ nocase ascii wide
        $runat = /runat\s*=\s*["']?server/ nocase ascii wide
        $block = /<%\s*[^\s@#$%\-]/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and
        ((any of ($sched*) and any of ($act*)) or $lib) and ($req or $ctl)
}
