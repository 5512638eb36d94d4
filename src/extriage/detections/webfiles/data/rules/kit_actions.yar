/*
  extriage rules for server pages that carry out one attacker action fixed in the page, written for this
  project (MIT, like the rest of extriage). Issue 14, helper X15 (thirteenth unseen collection: shells from
  exploits, frameworks and kits).

  Why this file: exploit modules and post-exploitation kits drop pages whose action is baked in - the
  exploit's own check command (`cmd.exe /c whoami`, output written back), a callback that starts curl on a
  fixed URL, a page that creates a local administrator with a fixed password, and a planted SQL channel that
  appends the raw request to a query ending in a constant predicate. None of them carries a request value
  into a sink the behaviour analysis follows (the first three read no request at all; the fourth builds an
  injection point on purpose), and their strings are the kit's names. The rules match the actions instead:
    - a command interpreter (cmd, PowerShell) started with a reconnaissance command written in the page
      (whoami, ipconfig, systeminfo, tasklist, net user/localgroup/group/view/share/session, nltest, quser,
      query user/session, arp -a, route print, netstat; hostname after /c or /k, X30): ordinary pages that run a tool run their own
      program, not the interpreter with an attacker's first command (`net use`, which old intranet pages
      use to map shares, is left out);
    - a process started on a download tool aimed at a fixed address (curl/wget/certutil -urlcache/bitsadmin
      /transfer, PowerShell's Invoke-WebRequest/DownloadString/DownloadFile/Invoke-RestMethod): pages that
      fetch something use the .NET classes, not a LOLBin behind Process.Start;
    - a local account made and put into Administrators or Remote Desktop Users (System.DirectoryServices
      .AccountManagement on the machine context, ADSI WinNT://, or `net user ... /add` / `net localgroup
      administrators ... /add` in a started process): applications manage their own users, not the
      server's local administrators;
    - request text appended raw to a SQL literal that ends in a constant comparison (`where 11=1" +
      Request["id"]`): a query built to return nothing but what the request appends (a UNION), run by the
      page. Ordinary dynamic SQL appends clauses the code writes, or quotes the value.
  Batch 2 (an SEO-spam kit's ASPX "redirect shell", after the first four rules): a page that names two or more
  search-engine crawlers, reads the referrer, and sends visitors who arrive from a search engine to an
  absolute address written in the page (bots get a keyword page): doorway cloaking without fetching anything,
  so the behaviour analysis's remote-content sink (which wants a download) had nothing. Sites that treat
  crawlers apart redirect within themselves (/en/), not search visitors to another site.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_Interpreter_With_Baked_Recon_Command
{
    meta:
        author = "extriage"
        description = "Page that starts cmd or PowerShell with a reconnaissance command written in the page (whoami, ipconfig, net user ...): an exploit's check page or a kit's one-shot recon page"
        family = "baked recon command"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059.003,T1033"
    strings:
        // the interpreter named as the program (a literal of its own)
        $interp = /["'](cmd|cmd\.exe|powershell|powershell\.exe|pwsh|pwsh\.exe|[a-z]:\\{1,2}windows\\{1,2}system32\\{1,2}cmd\.exe)["']/ nocase ascii wide
        // a literal that is a reconnaissance command (optionally after cmd's /c or /k)
        $recon = /["'](\/[ck]\s+)?(whoami|ipconfig|systeminfo|tasklist|quser|nltest|netstat|arp\s+-a|route\s+print|net\s+(user|localgroup|group|view|share|session)|query\s+(user|session))\b[^"'\r\n]{0,100}["']/ nocase ascii wide
        // hostname only after cmd's /c or /k: a bare "hostname" literal is a common form or settings key
        // (X30, thirtieth collection: an RCE proof page running cmd.exe "/c hostname" in a web-app notes repo)
        $recon_host = /["']\/[ck]\s+hostname(\.exe)?\b[^"'\r\n]{0,100}["']/ nocase ascii wide
        // a process started
        $start1 = /Process\s*\.\s*Start\s*\(/ nocase ascii wide
        $start2 = /\.\s*StartInfo\b/ nocase ascii wide
        $start3 = "ProcessStartInfo" nocase ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and $interp and ($recon or $recon_host) and any of ($start*)
}

rule EXT_WEBSHELL_Process_Download_Tool_Fixed_Address
{
    meta:
        author = "extriage"
        description = "Page that starts a download tool (curl, wget, certutil -urlcache, bitsadmin /transfer, PowerShell web cmdlets) on a fixed http(s) address: an exploit's callback or a stager"
        family = "download tool launcher"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1105"
    strings:
        $curl = /["'][^"'\r\n]{0,60}\b(curl|wget)(\.exe)?\s[^"'\r\n]{0,200}https?:\/\// nocase ascii wide
        $certutil = /["'][^"'\r\n]{0,60}\bcertutil(\.exe)?\s[^"'\r\n]{0,80}-urlcache\b[^"'\r\n]{0,200}https?:\/\// nocase ascii wide
        $bits = /["'][^"'\r\n]{0,60}\bbitsadmin(\.exe)?\s[^"'\r\n]{0,80}\/transfer\b[^"'\r\n]{0,200}https?:\/\// nocase ascii wide
        $psweb = /["'][^"'\r\n]{0,120}\b(iwr|irm|Invoke-WebRequest|Invoke-RestMethod|DownloadString|DownloadFile)\b[^"'\r\n]{0,200}https?:\/\// nocase ascii wide
        $ps = /\b(powershell|pwsh)(\.exe)?\b/ nocase ascii wide
        $start1 = /Process\s*\.\s*Start\s*\(/ nocase ascii wide
        $start2 = /\.\s*StartInfo\b/ nocase ascii wide
        $start3 = "ProcessStartInfo" nocase ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and any of ($start*) and
        ($curl or $certutil or $bits or ($psweb and $ps))
}

rule EXT_WEBSHELL_Local_Admin_Account_Creation
{
    meta:
        author = "extriage"
        description = "Page that creates a local account and puts it into Administrators or Remote Desktop Users (AccountManagement on the machine, ADSI WinNT://, or net user /add in a started process)"
        family = "local admin creation"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1136.001,T1098"
    strings:
        // System.DirectoryServices.AccountManagement on the local machine
        $am_user = /new\s+UserPrincipal\s*\(/ nocase ascii wide
        $am_save = /\.\s*Save\s*\(\s*\)/ nocase ascii wide
        $am_group = /GroupPrincipal\s*\.\s*FindByIdentity\s*\(/ nocase ascii wide
        $am_machine = /ContextType\s*\.\s*Machine\b/ nocase ascii wide
        // ADSI: a user added under WinNT:// and put into a group
        $adsi = "WinNT://" nocase ascii wide
        $adsi_user = /Children\s*\.\s*Add\s*\([^)]{0,100}["']user["']/ nocase ascii wide
        $adsi_add = /Invoke\s*\(\s*["']Add["']/ nocase ascii wide
        // the privileged groups
        $grp = /["'](Administrators|Remote Desktop Users)["']/ nocase ascii wide
        // net.exe in a started process
        $net_user = /\bnet(\.exe)?\s+user\s+[^"'\r\n]{1,80}\/add\b/ nocase ascii wide
        $net_group = /\bnet(\.exe)?\s+localgroup\s+["']?(administrators|remote desktop users)["']?\s+[^"'\r\n]{1,80}\/add\b/ nocase ascii wide
        $start1 = /Process\s*\.\s*Start\s*\(/ nocase ascii wide
        $start2 = /\.\s*StartInfo\b/ nocase ascii wide
        $start3 = "ProcessStartInfo" nocase ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and (
            ($am_user and $am_save and $am_group and $am_machine and $grp) or
            ($adsi and $adsi_user and $adsi_add and $grp) or
            (($net_user or $net_group) and any of ($start*))
        )
}

rule EXT_WEBSHELL_SQL_Request_Appended_After_Constant_Predicate
{
    meta:
        author = "extriage"
        description = "Planted SQL channel: request text appended raw to a query literal that ends in a constant comparison (where 11=1\" + Request[...]), and the query run by the page"
        family = "planted SQL channel"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1213"
    strings:
        // a SQL literal ending in `<number>=<number>` and closed, then the request appended (C# + / VB &)
        $chan = /\b(select|update|delete|insert)\b[^"\r\n]{0,300}\b(where|and|or)\s+\d+\s*=\s*\d+\s*"\s*(\+|&)\s*(HttpContext\s*\.\s*Current\s*\.\s*|context\s*\.\s*|this\s*\.\s*)?Request\b/ nocase ascii wide
        // the query run
        $exec = /\.\s*(ExecuteReader|ExecuteNonQuery|ExecuteScalar|ExecuteDataSet)\s*\(/ nocase ascii wide
        $fill = /\.\s*Fill\s*\(/ nocase ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and $chan and ($exec or $fill)
}

rule EXT_WEBSHELL_Search_Referrer_Redirect_Cloaking
{
    meta:
        author = "extriage"
        description = "SEO doorway page: names search-engine crawlers, reads the referrer, and redirects visitors from a search engine to an absolute address written in the page"
        family = "search-engine redirect cloaking"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1608.006"
    strings:
        $bot1 = "googlebot" nocase ascii wide
        $bot2 = "bingbot" nocase ascii wide
        $bot3 = "baiduspider" nocase ascii wide
        $bot4 = "yandexbot" nocase ascii wide
        $bot5 = "slurp" nocase ascii wide
        $bot6 = "sogou" nocase ascii wide
        $bot7 = "360spider" nocase ascii wide
        $bot8 = "duckduckbot" nocase ascii wide
        // the referrer read ...
        $ref1 = /\bUrlReferrer\b/ nocase ascii wide
        $ref2 = "HTTP_REFERER" nocase ascii wide
        $ref3 = /Headers\s*\[\s*"Referer"\s*\]/ nocase ascii wide
        // ... and compared with a search engine's name
        $se = /(Contains|IndexOf|StartsWith|InStr)\s*\([^)]{0,80}"(google|bing|baidu|yahoo|yandex|sogou|so\.com)/ nocase ascii wide
        // a redirect to an absolute address written in the page
        $loc = /AddHeader\s*\(\s*"Location"\s*,\s*"https?:\/\// nocase ascii wide
        $redir = /\.\s*(Redirect|RedirectPermanent)\s*\(\s*"https?:\/\// nocase ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and 2 of ($bot*) and any of ($ref*) and
        $se and ($loc or $redir)
}

/*
  Issue 14, helper X19 (nineteenth unseen collection: pentest/CTF notes). A file-upload cheat sheet's "ASPX
  Webshell" is `Response.Write(System.Diagnostics.Process.Start("cmd.exe").StandardOutput.ReadToEnd())`:
  the interpreter started with no command at all and its stream read (or written, for a shell fed over a
  socket) straight off the Start call. No request value reaches the process, so the behaviour analysis had
  nothing to follow; signature-base found it with a generic rule. Starting cmd or PowerShell bare and
  touching its standard streams in the same expression is never how an application runs a tool (it names
  a program and arguments and configures redirection first); the rule matches that expression in a server
  page. `Process.Start("cmd.exe", "/c iisreset")`, a tool started with its own arguments and read after
  redirection, and a page that starts cmd without touching its streams stay silent.
*/

rule EXT_WEBSHELL_Bare_Interpreter_Stream_In_Page
{
    meta:
        author = "extriage"
        description = "Server page that starts cmd or PowerShell with no command and reads or writes its standard streams in the same expression (Process.Start(\"cmd.exe\").StandardOutput...): a web shell stub"
        family = "bare interpreter stream"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059.003"
    strings:
        $bare = /Process\s*\.\s*Start\s*\(\s*@?["']([a-z]:\\{1,2}windows\\{1,2}system32\\{1,2})?(cmd|powershell|pwsh)(\.exe)?["']\s*\)\s*\.\s*Standard(Output|Input|Error)\b/ nocase ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and $bare
}

/*
  Issue 14, helper X37 (thirty-seventh unseen collection: SharePoint and other Microsoft server intrusions). A
  ToolShell (SharePoint, July 2025) page quoted in a threat report takes no request at all: it starts cmd.exe
  with one command written in the page that kills the IIS worker (`taskkill /F /IM w3wp.exe`), moves and
  copies a page into the SharePoint LAYOUTS folder under spinstall0.aspx and restarts IIS - the intruder's
  page swap. Neither our rules (the baked-command rule above knows reconnaissance commands only) nor the
  behaviour analysis (no request value reaches the process) found it; signature-base did, by its strings.
  Two rules match the action instead of the names:
    - cmd or PowerShell started from a page with a command written in the page that kills the IIS worker
      process or writes, copies or moves a server page or configuration file (echo/type/copy/move/xcopy/
      certutil -decode ... to .aspx/.ashx/.asmx/.ascx/.asax/.config): applications do not restart their own
      worker or rewrite their own pages through the shell;
    - a process started from a page with a credential dump written in the page: LSASS through comsvcs.dll's
      MiniDump export or procdump, the SAM/SYSTEM/SECURITY hives through `reg save`, or the AD database
      through ntdsutil - the post-exploitation steps the reports on Exchange and SharePoint intrusions list.
  A page that runs `cmd.exe /c iisreset` alone stays silent (see the bare-interpreter rule above), as do
  pages that start their own tools.
*/

rule EXT_WEBSHELL_Interpreter_With_Baked_Server_Tamper_Command
{
    meta:
        author = "extriage"
        description = "Page that starts cmd or PowerShell with a command written in the page that kills the IIS worker (taskkill w3wp) or writes, copies or moves server pages (.aspx/.config): an intruder's page swap or dropper (ToolShell-style)"
        family = "baked server tamper command"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059.003,T1489"
    strings:
        $interp = /["'](cmd|cmd\.exe|powershell|powershell\.exe|pwsh|pwsh\.exe|[a-z]:\\{1,2}windows\\{1,2}system32\\{1,2}cmd\.exe)["']/ nocase ascii wide
        // inside one command-line literal (after /c, /k, -c or -Command; escaped quotes allowed): the IIS
        // worker killed ...
        $kill = /["'](\/[ck]|-c|-command)\s([^"'\r\n]|\\["']){0,400}\btaskkill(\.exe)?\s([^"'\r\n]|\\["']){0,40}w3wp\b/ nocase ascii wide
        // ... or a server page or configuration file written, copied or moved by the shell
        $write = /["'](\/[ck]|-c|-command)\s([^"'\r\n]|\\["']){0,400}\b(echo|type|copy|move|xcopy|ren|rename|certutil(\.exe)?\s+-decode|Set-Content|Out-File|Copy-Item|Move-Item)\b([^"'\r\n]|\\["']){0,400}\.(aspx|ashx|asmx|ascx|asax|config)\b/ nocase ascii wide
        $start1 = /Process\s*\.\s*Start\s*\(/ nocase ascii wide
        $start2 = /\.\s*StartInfo\b/ nocase ascii wide
        $start3 = "ProcessStartInfo" nocase ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and $interp and ($kill or $write) and
        any of ($start*)
}

rule EXT_WEBSHELL_Process_Baked_Credential_Dump
{
    meta:
        author = "extriage"
        description = "Page that starts a process with a credential dump written in the page (LSASS through comsvcs.dll MiniDump or procdump, reg save of the SAM/SYSTEM/SECURITY hives, ntdsutil): reset the server's and the domain's credentials"
        family = "credential dump launcher"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1003.001,T1003.002,T1003.003"
    strings:
        // the dump written in one literal, or the tool as the program and the dump in the arguments literal
        $comsvcs = /["']([^"'\r\n]|\\["']){0,300}\bcomsvcs(\.dll)?["']?\s*,?\s*#?(MiniDump(W)?|24)\b/ nocase ascii wide
        $procdump = /["']([^"'\r\n]|\\["']){0,300}\bprocdump(64)?(\.exe)?(["']\s*,\s*@?["'])?\s*([^"'\r\n]|\\["']){0,120}\blsass\b/ nocase ascii wide
        $hive = /["']([^"'\r\n]|\\["']){0,300}\breg(\.exe)?(["']\s*,\s*@?["']\s*|\s+)save\s+(hklm|hkey_local_machine)\\{1,2}(sam|system|security)\b/ nocase ascii wide
        $ntds = /["']([^"'\r\n]|\\["']){0,300}\bntdsutil(\.exe)?(["']\s*,\s*@?["'])?\s*([^"'\r\n]|\\["']){0,120}\b(ifm|snapshot)\b/ nocase ascii wide
        $start1 = /Process\s*\.\s*Start\s*\(/ nocase ascii wide
        $start2 = /\.\s*StartInfo\b/ nocase ascii wide
        $start3 = "ProcessStartInfo" nocase ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and any of ($comsvcs, $procdump, $hive, $ntds) and
        any of ($start*)
}

rule EXT_WEBSHELL_Page_Clears_Windows_Event_Log
{
    meta:
        author = "extriage"
        description = "Page that clears a Windows event log - Security, System, Setup, Windows PowerShell or a Microsoft-Windows-* channel, or a log the request names - through EventLog.Clear or EventLogSession.ClearLog: an intruder's page wiping the server's record"
        family = "event log clearing"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1070.001"
    strings:
        // (B29, session 21: found by nothing, own rules or signature-base; an application clearing its own log - new
        // EventLog("MyApp").Clear() on an admin page - is not taken)
        $clear_named = /\bEventLog\s*\(\s*"(Security|System|Setup|Windows PowerShell|Microsoft-Windows-[^"\r\n]{1,120})"\s*\)\s*\)?\s*\.\s*Clear\s*\(/ nocase ascii wide
        $clear_req = /\bEventLog\s*\([^)\r\n]{0,40}\bRequest\b[^)\r\n]{0,80}\)\s*\)?\s*\.\s*Clear\s*\(/ nocase ascii wide
        $session = /\bGlobalSession\s*\.\s*ClearLog\s*\(\s*("(Security|System|Setup|Windows PowerShell|Microsoft-Windows-[^"\r\n]{1,120})"|[^)\r\n]{0,40}\bRequest\b)/ nocase ascii wide
        $page = /<%\s*@\s*((Page|WebHandler|WebService|Control|Application|Master)\b|\w[\w:]*\s*=)/ nocase ascii wide
        $runat = /runat\s*=\s*["']?server/ nocase ascii wide
        $block = /<%\s*[^\s@#$%\-]/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and
        ($clear_named or $clear_req or $session)
}
