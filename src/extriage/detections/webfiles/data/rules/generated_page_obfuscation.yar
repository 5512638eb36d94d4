/*
  extriage rules for what web shell generators and obfuscators write into a page, written for this project
  (MIT, like the rest of extriage). Issue 14, helper X24 (twenty-fourth unseen collection: generator and
  obfuscator output, rendered in /tmp from the tools' own code).

  Why this file: on first sight (main cdf0769) the own rules missed 7 of 23 generated pages, all in three
  shapes no rule of ours names; signature-base missed the same 7.
  - A classic-ASP "AV bypass" obfuscator spells the COM object names it needs (MSXML2.DOMDocument,
    ADODB.Stream, or WScript.Shell itself) as `Chr(77) & Chr(83) & ...` chains, XOR-decodes the rest, pads
    the page with megabytes of random comments and runs the posted command through `.Exec`. The behaviour
    analysis followed 4 of 5 outputs; the fifth (1.5 MB of padding) put the call between the start and the
    end it reads, and no YARA rule named any of them.
  - A web-shell obfuscation kit's ASP wrapper base64-encodes the whole page, decodes it through an XML
    node's `nodeTypedValue` into an ADODB.Stream and runs the stream's text with `Execute` - every string
    of the wrapper split into three-letter pieces joined with `&`.
  - An "AI-powered" generator turns C# string literals into `new string(new char[]{(char)99,(char)109,...})`:
    the names of what the page starts or writes are no longer in the page as text.
  The rules match those shapes, not the samples' names or keys:
  - a server page (`<%`) creates an object whose ProgID is a run of 6+ Chr()/ChrW() codes, runs something
    through `.Exec`/`.Run`/`.ShellExecute`, and reads the request. Pages that build an ordinary string from
    character codes, or create their objects by name, stay silent.
  - a page (`<%`) hands `Execute`/`ExecuteGlobal` the text of a stream (`x.ReadText`) whose bytes came from a
    base64 XML node (`nodeTypedValue`). The classic dynamic include - `ExecuteGlobal s.ReadText` after
    `s.LoadFromFile(path)` - has no base64 node and stays silent.
  - a server page (directive or runat=server) spells 8+ string literals as `new string(new char[]{(char)N,
    ...})` runs of 6+ codes, or 2+ of them next to a process start, a ProcessStartInfo or Assembly.Load in
    plain text. A page that builds one or two strings from character codes and starts nothing stays silent.
  Web server logs quoting such code are not pages (the `#Fields:`/`GET /`/`POST /` lines).
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_VBS_Chr_Spelled_ProgID_Runs_Command
{
    meta:
        author = "extriage"
        description = "Server page creates a COM object whose name is spelled as Chr() character codes and runs a command (.Exec/.Run) in a page that reads the request"
        family = "obfuscated command shell"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1027,T1059.003"
    strings:
        $asp = "<%" ascii wide
        // CreateObject(Chr(77) & Chr(83) & Chr(88) & ...) / Server.CreateObject(ChrW(87)&ChrW(83)...), 6+ codes
        $chr_obj = /CreateObject\s*\(\s*ChrW?\s*\(\s*(&H[0-9a-fA-F]{1,4}|\d{1,5})\s*\)(\s*[&+]\s*ChrW?\s*\(\s*(&H[0-9a-fA-F]{1,4}|\d{1,5})\s*\)){5,}/ nocase ascii wide
        $run = /\.\s*(Exec|Run|ShellExecute)\s*[\( ]/ nocase ascii wide
        $in = /\bRequest\s*(\.\s*(Form|QueryString|Item)\s*)?[\(\[]/ nocase ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and $asp and not any of ($log*) and $chr_obj and $run and $in
}

rule EXT_WEBSHELL_VBS_Execute_Base64_Stream_Text
{
    meta:
        author = "extriage"
        description = "Server page runs (Execute/ExecuteGlobal) the text of a stream decoded from a base64 XML node - a page hidden inside the page"
        family = "obfuscated server code"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1027,T1140"
    strings:
        $asp = "<%" ascii wide
        $exec_text = /\bExecute(Global)?\b\s*\(?\s*[A-Za-z_][A-Za-z0-9_.]{0,60}\s*\.\s*ReadText\b/ nocase ascii wide
        $node = /\.\s*nodeTypedValue\b/ nocase ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and $asp and not any of ($log*) and $exec_text and $node
}

rule EXT_WEBSHELL_CSharp_String_Literals_As_Char_Codes
{
    meta:
        author = "extriage"
        description = "Server page spells its string literals as new string(new char[]{(char)N, ...}) - many of them, or some next to a process start or Assembly.Load"
        family = "obfuscated server code"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1027"
    strings:
        $page = /<%\s*@\s*((Page|WebHandler|WebService|Control|Application|Master)\b|\w[\w:]*\s*=)/ nocase ascii wide
        $runat = /runat\s*=\s*["']?server/ nocase ascii wide
        // a page with no directive (ASP.NET compiles it in the configured default language, VB when unset):
        // a code block, "<%" then code - not a directive, binding or comment (X46, session 19) - or an expression
        // (<%= <%:): a page of expressions only compiles too (X49, session 20)
        $block = /<%\s*[^\s@#$%\-]/ ascii wide
        // new string(new char[]{(char)99,(char)109,(char)100,...}), 6+ codes
        $codes = /new\s+(System\s*\.\s*)?[Ss]tring\s*\(\s*new\s+(System\s*\.\s*)?[Cc]har\s*\[\s*\]\s*\{\s*\(\s*char\s*\)\s*(0x[0-9a-fA-F]{1,4}|\d{1,5})(\s*,\s*\(\s*char\s*\)\s*(0x[0-9a-fA-F]{1,4}|\d{1,5})){5,}/ ascii wide
        $act1 = /\bProcess\s*\.\s*Start\s*\(/ ascii wide
        $act2 = "ProcessStartInfo" ascii wide
        $act3 = /\bAssembly\s*\.\s*Load\w*\s*\(/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and ($page or $runat or $block) and not any of ($log*) and
        (#codes >= 8 or (#codes >= 2 and any of ($act*)))
}

/*
  X48 (session 20): a Go C2 framework's shell generator (library id 54496792213, `GenerateASPX`/`GenerateASHX`;
  session 8 measured only its droppers) never writes "cmd.exe": it declares `const string <random> = "cm"`,
  `"d.e"`, `"xe"`, `"/"`, `"c"` and starts `ProcessStartInfo.FileName = a+b+c` with a base64 command from the
  query behind a UUID key. Both pages were found by the behaviour analysis only at first sight. The rule: a
  process's FileName assembled from three or more pieces and three or more string literals that are short pieces
  of an interpreter's name (cmd.exe, powershell.exe), in a page that reads the request. Ordinary pages that
  assemble a program path join a folder, a name and ".exe" - one such piece, not three.
*/

rule EXT_WEBSHELL_Interpreter_Name_Split_Into_Literals
{
    meta:
        author = "extriage"
        description = "Command page that spells the interpreter (cmd.exe / powershell.exe) as short string pieces joined into a process FileName"
        family = "split interpreter name"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1027,T1059.003"
    strings:
        // a FileName assigned from three or more pieces joined with + (C#) or & (VB)
        $cat = /\.\s*FileName\s*=\s*[\w"\.\\]{1,40}(\s*[+&]\s*[\w"\.\\]{1,40}){2,}\s*[;\r\n]/ ascii wide
        // short literals that are pieces of "cmd.exe" or "powershell.exe" (never the whole name)
        $frag = /"(cm|cmd|md|md\.|d\.|d\.e|d\.ex|\.e|\.ex|\.exe|ex|exe|xe|pow|powe|power|ower|wer|ers|ersh|shel|shell|hell|ell|ell\.e|ll\.exe)"/ nocase ascii wide
        $proc1 = "ProcessStartInfo" ascii wide
        $proc2 = /Process\s*\.\s*Start\s*\(/ ascii wide
        $proc3 = /\.\s*StartInfo\b/ ascii wide
        $in = /\bRequest\s*(\.\s*(Item|Form|QueryString|Params|Headers|Cookies)\s*)?[\[\(]/ nocase ascii wide
        $server1 = /<%\s*@/ ascii wide
        $server2 = /runat\s*=\s*["']?server/ nocase ascii wide
        $server3 = /<%\s*[^\s@=:#$%\-]/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 2MB and not any of ($log*) and any of ($server*)
        and $cat and #frag >= 3 and any of ($proc*) and $in
}
