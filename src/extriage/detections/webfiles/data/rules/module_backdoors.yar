/*
  extriage rules for managed IIS module backdoors, written for this project (MIT, like the rest of extriage).
  Issue 14, helper X26 (twenty-sixth unseen collection: backdoors inside legitimate pages and modules).

  Why this file: an intruder who registers a managed module in a web.config (<modules><add type=.../>, or
  <httpModules> for the classic pipeline) gets code that runs on every request of the application, without a
  page anyone could browse to. The public "IIS backdoor" module projects of the collection subscribe to a
  pipeline event (BeginRequest), read a cookie, header or form value and hand it to cmd.exe, to a PowerShell
  runspace or to shellcode injected into a new process. Compiled, such a module is a DLL in bin (out of the
  web file stage's reach); as source it is a .cs/.vb file - in App_Code, where ASP.NET compiles it and the
  behaviour analysis follows it, or left beside the site where only YARA reads it (the behaviour analysis
  found the five module classes of the collection in App_Code; nothing of ours named them anywhere else).
  The rule wants an IHttpModule class that subscribes to a request event, reads the request, and starts
  cmd.exe or PowerShell, hosts a runspace, or writes into another process. Request-logging, rewriting and
  authentication modules, and a module that runs an image converter, stay silent.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_Managed_Module_Backdoor
{
    meta:
        author = "extriage"
        description = "Managed IIS module (IHttpModule) that subscribes to a request event, reads the request and starts cmd.exe or PowerShell, hosts a PowerShell runspace or writes code into another process: a module backdoor"
        family = "IIS module backdoor"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.004,T1059.001,T1059.003"
    strings:
        $mod_cs = /:\s*([A-Za-z_][A-Za-z0-9_.]*\s*,\s*)?(System\s*\.\s*Web\s*\.\s*)?IHttpModule\b/ ascii wide
        $mod_vb = /\bImplements\s+(System\s*\.\s*Web\s*\.\s*)?IHttpModule\b/ nocase ascii wide
        $init_cs = /\bvoid\s+Init\s*\(\s*(System\s*\.\s*Web\s*\.\s*)?HttpApplication\b/ ascii wide
        $init_vb = /\bSub\s+Init\s*\(\s*(ByVal\s+)?[A-Za-z_][A-Za-z0-9_]*\s+As\s+(System\s*\.\s*Web\s*\.\s*)?HttpApplication\b/ nocase ascii wide
        $ev_cs = /\.\s*(BeginRequest|AuthenticateRequest|PostAuthenticateRequest|AuthorizeRequest|PostAuthorizeRequest|ResolveRequestCache|PostResolveRequestCache|MapRequestHandler|PostMapRequestHandler|AcquireRequestState|PostAcquireRequestState|PreRequestHandlerExecute|PostRequestHandlerExecute|ReleaseRequestState|EndRequest|LogRequest|PreSendRequestHeaders|PreSendRequestContent|Error)\s*\+=/ ascii wide
        $ev_vb = /AddHandler\s+[A-Za-z_][A-Za-z0-9_]*\s*\.\s*(BeginRequest|AuthenticateRequest|PostAuthenticateRequest|AuthorizeRequest|AcquireRequestState|PreRequestHandlerExecute|PostRequestHandlerExecute|EndRequest|LogRequest|PreSendRequestHeaders|PreSendRequestContent|Error)\s*,/ nocase ascii wide
        $req = /\bRequest\s*\.\s*(Cookies|Headers|Form|QueryString|Params|InputStream|BinaryRead|ServerVariables)\b/ ascii wide
        // what it runs
        $cmd = /["'](cmd|cmd\.exe|powershell|powershell\.exe)["']/ nocase ascii wide
        $proc = /(new\s+(System\s*\.\s*Diagnostics\s*\.\s*)?Process(StartInfo)?\s*\(|Process\s*\.\s*Start\s*\()/ ascii wide
        $rs1 = /RunspaceFactory\s*\.\s*CreateRunspace\s*\(/ ascii wide
        $rs2 = /\bPowerShell\s*\.\s*Create\s*\(/ ascii wide
        $inj1 = "CreateRemoteThread" ascii wide
        $inj2 = "WriteProcessMemory" ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
    condition:
        filesize < 64MB and not any of ($log*) and ($mod_cs or $mod_vb) and ($init_cs or $init_vb) and
        ($ev_cs or $ev_vb) and $req and (($cmd and $proc) or any of ($rs*) or all of ($inj*))
}

/*
  The collection's Godzilla class backdoors are not modules: a class whose static constructor registers the
  class itself with the running application - a route at the head of the route table, a VirtualPathProvider
  (through the internal registration method, by reflection) or an HttpListener of its own - and which then
  decrypts a posted value and loads it as an assembly (through `typeof(Assembly).GetMethod("Load", ...)`).
  In App_Code the behaviour analysis names the load; anywhere else nothing of ours did (the memory-shell
  injector rule wants a server page). The rule wants a static constructor, one of the three registrations,
  an assembly loaded from bytes, a decryptor or base64 decoding, and a request value. Plugin frameworks that
  register an embedded-resource VirtualPathProvider and load plugin assemblies by name, App_Start route
  tables and a health-check listener stay silent.
*/

rule EXT_WEBSHELL_Self_Registering_Class_Loader
{
    meta:
        author = "extriage"
        description = "Class whose static constructor registers it with the running application (route table head, VirtualPathProvider, its own HttpListener) and which loads a decrypted or decoded request value as an assembly: a Godzilla-style class backdoor"
        family = "memory shell class"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1620"
    strings:
        $sctor = /\bstatic\s+[A-Za-z_][A-Za-z0-9_]*\s*\(\s*\)\s*\{/ ascii wide
        $reg_route = /\.\s*Routes\s*\.\s*Insert\s*\(\s*0\s*,/ ascii wide
        $reg_vpp = /RegisterVirtualPathProvider(Internal)?\b/ ascii wide
        $reg_listen1 = /new\s+(System\s*\.\s*Net\s*\.\s*)?HttpListener\s*\(/ ascii wide
        $reg_listen2 = /\.\s*Prefixes\s*\.\s*Add\s*\(/ ascii wide
        $load1 = /GetMethod\s*\(\s*"Load"\s*,\s*new\s+(System\s*\.\s*)?Type\s*\[\s*\]\s*\{\s*typeof\s*\(\s*byte\s*\[\s*\]\s*\)/ ascii wide
        $load2 = /Assembly\s*\.\s*Load\s*\(\s*(System\s*\.\s*)?Convert\s*\.\s*FromBase64String\s*\(/ ascii wide
        $dec1 = /CreateDecryptor\s*\(/ ascii wide
        $dec2 = /Convert\s*\.\s*FromBase64String\s*\(/ ascii wide
        $req = /\bRequest\s*(\.\s*(Form|QueryString|Params|Item|InputStream|Headers|Cookies|BinaryRead)\b|\[)|\bRequestFrom\s*\[/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
    condition:
        filesize < 16MB and not any of ($log*) and $sctor and
        ($reg_route or $reg_vpp or ($reg_listen1 and $reg_listen2)) and
        any of ($load*) and any of ($dec*) and $req
}
