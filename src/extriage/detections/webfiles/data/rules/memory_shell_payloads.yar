/*
  extriage memory-shell payload rules, written for this project (MIT, like the rest of extriage). Issue 14,
  helper X32 (session 15).

  Why this file: `memory_shell_injectors.yar` names the *page* that hooks a handler into the running ASP.NET
  pipeline (it wants a server page that reaches the request). The thirty-second unseen collection (in-memory
  shell injectors and framework-level backdoors) held the other half of that attack: the C# class an
  injector page or a deserialisation gadget loads (ysoserial.net's `-c payload.cs`, `ExploitClass`), kept as
  source - and dropped into App_Code it is compiled by the server. Three of them were silent on first sight,
  because none reads `Request` where the behaviour analysis or the page rule would see it:
    - a class that splices an event step into every pooled HttpApplication by reflection (the pipeline's
      nested SyncEventExecutionStep type, GetModuleContainer + AddEvent, the step manager's _execSteps) and
      answers marked requests itself, here over a WebSocket it accepts;
    - a class that registers a .NET Remoting well-known service whose method runs `cmd.exe /c` with the
      caller's text;
    - ysoserial.net's ghost web shell: flips BuildManager's private precompiled-application flags by
      reflection so that a VirtualPathProvider can be registered on a precompiled site, then serves a page
      that exists only in memory.
  Each rule names the mechanism, not a sample's strings:
    - reflection on the pipeline's private step machinery: the step type's name *as a string literal*
      (what GetNestedType/GetType are handed) together with a private member of the step manager, module
      container or application factory as a literal. A stack trace names SyncEventExecutionStep but not as
      a literal, and the framework's own source declares `_execSteps` but never quotes it.
    - a Remoting well-known service type of the file's own MarshalByRefObject class, and cmd or PowerShell
      started with `"/c " + value` (or `-c`, `-Command`). A remoting service that runs its own batch file stays silent.
    - BuildManager's private `_isPrecompiledApp`/`_isPrecompiledAppComputed` named as literals and written
      with SetValue, in a file that registers a VirtualPathProvider. Applications that register an
      embedded-resource provider read the public `BuildManager.IsPrecompiledApp` and never write it.
  None of the three wants a server page: the payload source is found wherever it lies. A web server log
  quoting the code is not a file of the site.

  A fourth rule (written after the collection's measurement, from its HttpListener pages: the same idea with
  a raw listener) names a bind shell inside w3wp: code that accepts connections on a listener of its own - a
  TcpListener, a bound Socket that listens and accepts, a NamedPipeServerStream - and starts cmd or PowerShell
  with `"/c " +` a value or writes into its standard input. Probes of that shape in an App_Code class and in a
  page with a fixed port were silent before it (the behaviour analysis follows the request, not a socket the
  code accepted). A health-check listener that runs nothing and a pipe server that runs its own batch file stay
  silent.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_Pipeline_Step_Splice
{
    meta:
        author = "extriage"
        description = "Code that reaches the ASP.NET pipeline's private event-step machinery by reflection (the nested SyncEventExecutionStep type with the step manager's steps, a module container or the application factory's pool) to run its own handler on every request: a memory-shell payload - the shell lives in w3wp until the application pool recycles"
        family = "memory shell payload"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1620"
    strings:
        // the step type, named as a string literal (what GetNestedType / Assembly.GetType are handed)
        $step1 = "\"SyncEventExecutionStep\"" ascii wide
        $step2 = "\"AsyncEventExecutionStep\"" ascii wide
        $step3 = "+SyncEventExecutionStep\"" ascii wide
        // ... and a private member of the step manager, a module container or the application factory
        $priv1 = "\"_execSteps\"" ascii wide
        $priv2 = "\"_stepManager\"" ascii wide
        $priv3 = "\"GetModuleContainer\"" ascii wide
        $priv4 = "\"_moduleContainers\"" ascii wide
        $priv5 = "\"_theApplicationFactory\"" ascii wide
        $priv6 = "\"_freeList\"" ascii wide
        $priv7 = "\"PipelineModuleStepContainer\"" ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
    condition:
        filesize < 16MB and not any of ($log*) and any of ($step*) and any of ($priv*)
}

rule EXT_WEBSHELL_Remoting_Command_Service
{
    meta:
        author = "extriage"
        description = "Code that registers its own MarshalByRefObject class as a .NET Remoting well-known service and starts cmd or PowerShell with '/c' (or '-c', '-Command') joined to a value: a command service riding the application's remoting channel (memory-shell payload)"
        family = "memory shell payload"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059.003"
    strings:
        $reg = /RegisterWellKnownServiceType\s*\(/ ascii wide
        $mbr = /(:|\bInherits)\s*(System\s*\.\s*)?MarshalByRefObject\b/ ascii wide
        $shell = /"(cmd|cmd\.exe|powershell|powershell\.exe)"/ nocase ascii wide
        // cmd's /c or /k, PowerShell's -c or -Command, joined to a value (C# +, VB &)
        $join1 = "\"/c \" +" nocase ascii wide
        $join2 = "\"/c \"+" nocase ascii wide
        $join3 = "\"/c \" &" nocase ascii wide
        $join4 = "\"/c \"&" nocase ascii wide
        $join5 = "\"/k \" +" nocase ascii wide
        $join6 = "\"/k \"+" nocase ascii wide
        $join7 = "\"-c \" +" nocase ascii wide
        $join8 = "\"-c \"+" nocase ascii wide
        $join9 = "\"-c \" &" nocase ascii wide
        $join10 = "\"-command \" +" nocase ascii wide
        $join11 = "\"-command \"+" nocase ascii wide
        $join12 = "\"-command \" &" nocase ascii wide
        $proc = /(ProcessStartInfo|Process\s*\.\s*Start)\s*\(/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
    condition:
        filesize < 16MB and not any of ($log*) and $reg and $mbr and $shell and any of ($join*) and $proc
}

rule EXT_WEBSHELL_Precompiled_Flag_Flip_Path_Provider
{
    meta:
        author = "extriage"
        description = "Code that writes BuildManager's private precompiled-application flags by reflection and registers a VirtualPathProvider: serves pages that exist only in memory even on a precompiled site (ysoserial.net ghost web shell, Godzilla/suo5 path-provider shells)"
        family = "memory shell payload"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1620"
    strings:
        $flag1 = "\"_isPrecompiledApp\"" ascii wide
        $flag2 = "\"_isPrecompiledAppComputed\"" ascii wide
        $set = /\.\s*SetValue\s*\(/ ascii wide
        $vpp = /RegisterVirtualPathProvider(Internal)?\b/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
    condition:
        filesize < 16MB and not any of ($log*) and any of ($flag*) and $set and $vpp
}

rule EXT_WEBSHELL_Listener_Fed_Interpreter
{
    meta:
        author = "extriage"
        description = "Server code that accepts connections on a listener of its own (TcpListener, a bound listening Socket, a named pipe server) and starts cmd or PowerShell with '/c' joined to a value or writes into its standard input: a bind shell inside the worker process"
        family = "memory shell payload"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059.003,T1095"
    strings:
        $tcp = /\bnew\s+(System\s*\.\s*Net\s*\.\s*Sockets\s*\.\s*)?TcpListener\s*\(/ nocase ascii wide
        $tcp_accept = /\.\s*Accept(TcpClient|Socket)(Async)?\s*\(/ nocase ascii wide
        $sock_bind = /\.\s*Bind\s*\(/ ascii wide
        $sock_listen = /\.\s*Listen\s*\(/ ascii wide
        $sock_accept = /\.\s*Accept(Async)?\s*\(/ ascii wide
        $pipe = /\bnew\s+(System\s*\.\s*IO\s*\.\s*Pipes\s*\.\s*)?NamedPipeServerStream\s*\(/ nocase ascii wide
        $pipe_wait = /\.\s*WaitForConnection(Async)?\s*\(/ nocase ascii wide
        $interp = /["']([a-z]:\\{1,2}windows\\{1,2}system32\\{1,2})?(cmd|powershell|pwsh)(\.exe)?["']/ nocase ascii wide
        // cmd's /c or /k, PowerShell's -c or -Command, joined to a value (C# +, VB &)
        $join1 = "\"/c \" +" nocase ascii wide
        $join2 = "\"/c \"+" nocase ascii wide
        $join3 = "\"/c \" &" nocase ascii wide
        $join4 = "\"/c \"&" nocase ascii wide
        $join5 = "\"/k \" +" nocase ascii wide
        $join6 = "\"/k \"+" nocase ascii wide
        $join7 = "\"-c \" +" nocase ascii wide
        $join8 = "\"-c \"+" nocase ascii wide
        $join9 = "\"-c \" &" nocase ascii wide
        $join10 = "\"-command \" +" nocase ascii wide
        $join11 = "\"-command \"+" nocase ascii wide
        $join12 = "\"-command \" &" nocase ascii wide
        $stdin = /\.\s*StandardInput\s*\.\s*Write(Line)?\s*\(/ nocase ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
    condition:
        filesize < 16MB and not any of ($log*) and
        (($tcp and $tcp_accept) or ($sock_bind and $sock_listen and $sock_accept) or ($pipe and $pipe_wait)) and
        $interp and (any of ($join*) or $stdin)
}
