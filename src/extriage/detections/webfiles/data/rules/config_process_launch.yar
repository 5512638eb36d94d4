/*
  extriage rules for configuration files that make IIS start a command interpreter, written for this project (MIT,
  like the rest of extriage). Issue 14, helper B13 (session 15, benign set XIII: web.config files of many
  applications).

  Why this file: the ASP.NET Core Module (`<aspNetCore processPath=... arguments=...>`) and the HttpPlatformHandler
  (`<httpPlatform processPath=...>`) start the process a web.config names when the mapped path is requested. A
  web.config that names `cmd.exe` or PowerShell with a download cradle, uploaded or written into a folder IIS
  serves, runs that command on the next request: no page, no code file, nothing the page rules or the
  configuration checks (handlers to script engines, the hidden web.config segment, build providers) read. Write-ups
  of CTF machines and of web.config abuse (library answers for `processPath="cmd`, session 15: handler paths
  "toto", "uzur", "shell.me", "backdoor.me" and "*"; `cmd.exe /c echo IWR http://.../nc.exe | powershell`,
  `cmd.exe /c powershell iex (New-Object Net.WebClient).DownloadString(...)`, `cmd.exe /c calc`) were found by
  nothing before this rule.

  The rule matches an `aspNetCore` or `httpPlatform` element whose processPath is a command interpreter or a
  living-off-the-land runner (cmd, powershell, pwsh, mshta, wscript, cscript, rundll32, regsvr32, certutil,
  bitsadmin) when either its arguments carry what a command line that fetches or runs a payload carries (PowerShell,
  a download call, a URL, iex, an encoded command - `-enc`, or `-e` and 20 base64 characters -, netcat, another runner) or the same file maps a path other than
  "*" to the module (the hosting an ASP.NET Core or platform application uses maps "*"). In the 104 configs of
  benign set XIII the processes started are `dotnet`, the application's own .exe, `%LAUNCHER_PATH%`, `%DNX_PATH%`
  and `bash startup.sh`; hosting notes in the same library answer start `cmd.exe /c run.cmd` and
  `cmd.exe /c node .\server.js` under path "*", and PowerShell web servers start `powershell.exe -File
  .\universal-automation.ps1` or `powershell.exe .\server.ps1` under "*" (second answer, `processPath="powershell`): all
  stay silent. So does a web server log quoting such a config
  (the file must open as XML). Not found on purpose: `cmd.exe /k test.exe` under path "*" (nothing tells it from
  a site's own start script).
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_Config_Starts_Command_Interpreter
{
    meta:
        author = "extriage"
        description = "Configuration making the ASP.NET Core Module or HttpPlatformHandler start a command interpreter (cmd, PowerShell, mshta, ...) with a payload command line, or for a path of its own: the command runs when that path is requested"
        family = "Config: process started by the web server"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059"
    strings:
        // processPath an interpreter, then arguments holding a payload marker (either quote style)
        $run1 = /<(aspNetCore|httpPlatform)\s[^>]{0,1000}\bprocessPath\s*=\s*["'][^"'>]{0,200}\b(cmd|powershell|pwsh|mshta|wscript|cscript|rundll32|regsvr32|certutil|bitsadmin)(\.exe)?["'][^>]{0,1000}\barguments\s*=\s*("[^"]{0,1000}|'[^']{0,1000})(powershell|pwsh|\biex\b|invoke-expression|invoke-webrequest|\biwr\b|downloadstring|downloadfile|webclient|frombase64string|https?:\/\/|\bnc(64)?\.exe|certutil|bitsadmin|mshta|rundll32|regsvr32|whoami|-enc\b|-encodedcommand|-e[a-z]{0,14}\s+[a-z0-9+\/]{20})/ nocase ascii wide
        // the same with the arguments first
        $run2 = /<(aspNetCore|httpPlatform)\s[^>]{0,1000}\barguments\s*=\s*("[^"]{0,1000}|'[^']{0,1000})(powershell|pwsh|\biex\b|invoke-expression|invoke-webrequest|\biwr\b|downloadstring|downloadfile|webclient|frombase64string|https?:\/\/|\bnc(64)?\.exe|certutil|bitsadmin|mshta|rundll32|regsvr32|whoami|-enc\b|-encodedcommand|-e[a-z]{0,14}\s+[a-z0-9+\/]{20})[^>]{0,1000}\bprocessPath\s*=\s*["'][^"'>]{0,200}\b(cmd|powershell|pwsh|mshta|wscript|cscript|rundll32|regsvr32|certutil|bitsadmin)(\.exe)?["']/ nocase ascii wide
        // processPath an interpreter, whatever the arguments
        $any = /<(aspNetCore|httpPlatform)\s[^>]{0,1000}\bprocessPath\s*=\s*["'][^"'>]{0,200}\b(cmd|powershell|pwsh|mshta|wscript|cscript|rundll32|regsvr32|certutil|bitsadmin)(\.exe)?["']/ nocase ascii wide
        // a handler mapping a path other than "*" to the module that starts the process, in either order
        $own1 = /<add\s[^>]{0,600}\bpath\s*=\s*["'][^"'*>][^"'>]{0,200}["'][^>]{0,600}\bmodules\s*=\s*["'](AspNetCoreModule(V2)?|httpPlatformHandler)["']/ nocase ascii wide
        $own2 = /<add\s[^>]{0,600}\bmodules\s*=\s*["'](AspNetCoreModule(V2)?|httpPlatformHandler)["'][^>]{0,600}\bpath\s*=\s*["'][^"'*>][^"'>]{0,200}["']/ nocase ascii wide
        // an XML configuration file, not a log or a page quoting one (as in config_build_providers.yar)
        $xml = /(\xEF\xBB\xBF)?\s{0,64}<(\?xml|configuration|!--|location|system\.webServer)/ nocase
        $xmlw = /(\xFF\xFE)?(\s\x00){0,64}<\x00(\?\x00x\x00m\x00l|c\x00o\x00n\x00f|!\x00-|l\x00o\x00c|s\x00y\x00s)/ nocase
    condition:
        filesize < 64MB and ($xml at 0 or $xmlw at 0) and ($run1 or $run2 or ($any and ($own1 or $own2)))
}
