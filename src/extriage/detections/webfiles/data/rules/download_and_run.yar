/*
  extriage rules for server pages that fetch a program from a fixed address and run it, written for this
  project (MIT, like the rest of extriage). Issue 14, helper X13 (eleventh unseen collection: non-English
  sources and evasion work, round 5).

  Why this file: a Go C2 framework's web-dropper generator writes key-gated pages that download the implant
  from an address fixed in the page and run it - in memory (`WebClient.DownloadData(url)` then
  `Assembly.Load(bytes)` and `EntryPoint.Invoke`) or from %TEMP% (`DownloadFile(url, path)` then a Process
  started with a hidden window). The only request input is a key compared with a constant, so the behaviour
  analysis (which follows request values into sinks) had nothing to follow; signature-base found both with
  generic rules, ours missed both. The rule matches the staging behaviour: a fixed http(s) address fetched
  as bytes and loaded as an assembly, or fetched to a file and started hidden. Applications that download
  (feeds, exchange rates, updates) parse or store what they get; they do not load it as code or start it
  behind a hidden window from a page.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_Download_And_Run
{
    meta:
        author = "extriage"
        description = "Dropper page: downloads from a fixed http(s) address and loads the bytes as an assembly (Assembly.Load / EntryPoint.Invoke) or starts the downloaded file with a hidden window"
        family = "download and run"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1105,T1620"
    strings:
        // a fixed address fetched as bytes / to a file / as a stream
        $dlbytes = /DownloadData\s*\(\s*@?"https?:\/\// nocase ascii wide
        $dlfile = /DownloadFile\s*\(\s*@?"https?:\/\// nocase ascii wide
        // the bytes loaded as code
        $load = /Assembly\s*\.\s*Load\s*\(/ nocase ascii wide
        $entry = /\.\s*EntryPoint\s*\.\s*Invoke\s*\(/ nocase ascii wide
        // the file started behind a hidden window
        $start1 = /Process\s*\.\s*Start\s*\(/ nocase ascii wide
        $start2 = "ProcessStartInfo" nocase ascii wide
        $hide1 = /ProcessWindowStyle\s*\.\s*Hidden/ nocase ascii wide
        $hide2 = /CreateNoWindow\s*=\s*true/ nocase ascii wide
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
        (($dlbytes and ($load or $entry)) or ($dlfile and any of ($start*) and any of ($hide*)))
}

/*
  Issue 14, helper X19 (nineteenth unseen collection: pentest/CTF notes, batch 4). A Python "web C2"
  framework's ASP.NET beacon is a page whose Page_Load never returns: it posts the host's name and user to a
  C2 address written in the page, takes the command out of the answer, runs it through `cmd /c` and posts
  the output back, sleeps, and asks again. The command arrives in an HTTP response, not in the request, so
  the behaviour analysis (request values into sinks) had nothing to follow; signature-base found it with
  generic rules. The rule matches the polling implant: a server page that fetches from a URL (WebClient,
  WebRequest, HttpClient), starts cmd or PowerShell with "/c " or "-c " joined to a value, and loops forever
  with a sleep. Pages that call web services do not start an interpreter on what they receive, and do not
  keep their request thread in an endless loop.
*/

rule EXT_WEBSHELL_Polling_Implant_Runs_Fetched_Command
{
    meta:
        author = "extriage"
        description = "Server page that polls a URL in an endless loop with a sleep and runs what it receives through cmd /c or PowerShell -c: a C2 beacon implant living in a page"
        family = "polling implant page"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059.003,T1071.001"
    strings:
        $fetch = /\.\s*(UploadString|DownloadString|UploadValues|DownloadData|OpenRead|GetResponse|GetStringAsync|PostAsync|GetAsync)\s*\(/ ascii wide
        $interp = /["']([a-z]:\\{1,2}windows\\{1,2}system32\\{1,2})?(cmd|powershell|pwsh)(\.exe)?["']/ nocase ascii wide
        $arg = /["']\s*(\/c|-c|-command)\s+["']\s*\+/ nocase ascii wide
        $loop1 = /\bwhile\s*\(\s*true\s*\)/ ascii wide
        $loop2 = /\bfor\s*\(\s*;\s*;\s*\)/ ascii wide
        $loop3 = /\b(Do\s+)?While\s+True\b/ nocase ascii wide
        $sleep = /Thread\s*\.\s*Sleep\s*\(/ ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and $fetch and $interp and $arg and any of ($loop*) and $sleep
}

/*
  Issue 14, helper X31 (thirty-first unseen collection: classic ASP shells from tennc/xl7dev/YSRC ASP folders).
  A classic ASP page (tennc `asp/ajn.asp`) writes a VBScript downloader line by line into a file on the server -
  `seal.write "Set xml = CreateObject(""Microsoft.XMLHTTP"")"`, `... ""ADODB.Stream"" ...`, `.SaveToFile ...` -
  and starts that file with its own `WScript.Shell.Run`. Nothing reads the request, so the behaviour analysis
  had nothing to follow; signature-base found it. The rule matches the staging behaviour: a page that writes
  (`.Write`/`.WriteLine` to a file it creates or opens) string literals holding script code that creates an
  HTTP object (quotes doubled: code inside a literal) and an ADODB.Stream or saves to a file, and that itself
  creates WScript.Shell and runs or execs something. Pages that download (feeds, updates) call those objects
  in their own code, not in text they write; tutorial pages show such code with Response.Write but create no
  file and run nothing.
*/

rule EXT_WEBSHELL_ASP_Writes_And_Runs_Downloader_Script
{
    meta:
        author = "extriage"
        description = "Classic ASP dropper: the page writes script text that creates an HTTP object and an ADODB.Stream (or saves to a file) into a file, and runs with its own WScript.Shell"
        family = "download and run"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1105,T1059.005"
    strings:
        $asp = "<%" ascii wide
        // .write "Set x = CreateObject(""Microsoft.XMLHTTP"")"  (code held in a literal: quotes doubled)
        $w_http = /\.Write(Line)?[ \t]*\(?[ \t]*"[^"\r\n]{0,160}CreateObject[ \t]*\([ \t]*""(Microsoft|MSXML2)\.(Server)?XMLHTTP[A-Za-z0-9.]{0,8}""/ nocase ascii wide
        $w_winhttp = /\.Write(Line)?[ \t]*\(?[ \t]*"[^"\r\n]{0,160}CreateObject[ \t]*\([ \t]*""WinHttp\.WinHttpRequest[A-Za-z0-9.]{0,8}""/ nocase ascii wide
        $w_stream = /\.Write(Line)?[ \t]*\(?[ \t]*"[^"\r\n]{0,160}CreateObject[ \t]*\([ \t]*""ADODB\.Stream""/ nocase ascii wide
        $w_save = /\.Write(Line)?[ \t]*\(?[ \t]*"[^"\r\n]{0,160}\.SaveToFile\b/ nocase ascii wide
        // the file written by the page
        $file = /\.(CreateTextFile|OpenTextFile)[ \t]*\(/ nocase ascii wide
        // the page's own shell, and a run of something
        $shell = /CreateObject[ \t]*\([ \t]*"WScript\.Shell(\.1)?"/ nocase ascii wide
        $run = /\.(Run|Exec)([ \t]+"|[ \t]*\()/ nocase ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 16MB and $asp and not any of ($log*) and ($w_http or $w_winhttp) and ($w_stream or $w_save)
        and $file and $shell and $run
}

/*
  Issue 14, helper X51 (fifty-first unseen collection: pages of OSEP/PEN-300 tool repositories). An OSEP
  student's loader page keeps the download address in a variable (`string shellcodeUrl = "http://..."`), fetches
  the key and the bytes with `WebClient.DownloadData(url)`, decrypts them (RC4, AES-GCM or ChaCha20 by a word in
  the key file) and loads them with `AppDomain.CurrentDomain.Load(bytes)`, taking the assembly's `EntryPoint` and
  calling `method.Invoke(...)` a statement later. EXT_WEBSHELL_Download_And_Run wants the address written inside
  DownloadData(...), `Assembly.Load` and `.EntryPoint.Invoke(` in one expression, so it stayed silent; the page
  reads no request input and declares no native function, so the behaviour analysis had nothing to follow: found
  by nothing of ours. The rule matches the staging: a fixed http(s) address in the page, something fetched
  (DownloadData, DownloadString, OpenRead and their Async forms, HttpClient's GetByteArrayAsync/GetStreamAsync/
  GetStringAsync, ReadAsByteArrayAsync/ReadAsStreamAsync, a WebRequest's GetResponseStream - the siblings of the
  loader in those spellings were found by nothing of ours either), an assembly made from bytes (Assembly.Load,
  AppDomain.CurrentDomain.Load) and something of it run (its EntryPoint, CreateInstance, or a method taken with
  GetMethod and invoked). Applications that fetch data parse or store it; a page that loads an assembly it
  downloads to read its version or types runs nothing of it (the twins in tests/webfiles/test_unseen51_sample.py).
*/

rule EXT_WEBSHELL_Page_Runs_Fetched_Assembly
{
    meta:
        author = "extriage"
        description = "Server page fetches bytes, text or a stream from a fixed http(s) address, makes an assembly of bytes (Assembly.Load / AppDomain.CurrentDomain.Load) and runs it (EntryPoint, CreateInstance or GetMethod(...).Invoke): an in-memory stager"
        family = "download and run"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1105,T1620"
    strings:
        $url = /"https?:\/\/[^"\s]{4,300}"/ nocase ascii wide
        // bytes, text or a stream fetched (X51 siblings: a WebRequest response stream, WebClient.OpenRead and
        // DownloadString + FromBase64String, HttpClient.GetStreamAsync - each found by nothing of ours on 1f7616b)
        $fetch = /\b(DownloadData(TaskAsync)?|DownloadString(TaskAsync)?|OpenRead(TaskAsync)?|GetByteArrayAsync|GetStreamAsync|GetStringAsync|ReadAsByteArrayAsync|ReadAsStreamAsync|GetResponseStream)\s*\(/ ascii wide
        // an assembly made of a value: Load("Some.Name") loads an installed assembly by name, which plug-in pages do
        $load1 = /\bAssembly\s*\.\s*Load\s*\(\s*[^"\s)]/ ascii wide
        $load2 = /\bAppDomain\s*\.\s*CurrentDomain\s*\.\s*Load\s*\(\s*[^"\s)]/ ascii wide
        $run1 = /\.\s*EntryPoint\b/ ascii wide
        $run2 = /\.\s*CreateInstance\s*\(/ ascii wide
        $getm = /\.\s*GetMethod\s*\(/ ascii wide
        $inv = /\.\s*Invoke\s*\(/ ascii wide
        $page = /<%\s*@\s*((Page|WebHandler|WebService|Control|Application|Master)\b|\w[\w:]*\s*=)/ nocase ascii wide
        $runat = /runat\s*=\s*["']?server/ nocase ascii wide
        $block = /<%\s*[^\s@#$%\-]/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and
        $url and $fetch and any of ($load*) and ($run1 or $run2 or ($getm and $inv))
}
