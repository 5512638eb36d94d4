/*
  extriage rules for server pages that make SQL Server run operating-system commands, written for this project
  (MIT, like the rest of extriage). Issue 14, helper X14 (twelfth unseen collection: shells as defenders met
  them).

  Why this file: the file-manager shells of the collection's sample set (sunue, and the JK1986 "ASP.NET
  backdoor" read beside it) reach the operating system through the database as well as through a process:
  `exec master..xp_cmdshell '<command>'`, an OLE Automation `sp_oacreate 'wscript.shell'` + `sp_oamethod
  'run'`, a SQL Agent job step of type CmdExec, a Jet `openrowset(... shell(...))`, or `xp_regwrite` of an
  Image File Execution Options debugger (the sticky-keys backdoor). Probed as pages of their own after the
  first-sight run, none was found by anything of ours: the behaviour analysis counts request text placed
  inside a quoted SQL value as an ordinary parameter (as it must for the many pages that build
  `... where id='" + Request["id"] + "'"`), the IFEO write carries no request text at all, and the SQL-console
  YARA rule wants the request read in a particular way. The rule matches the T-SQL that runs or plants a command
  together with a command object that executes it, in a page with server code. DBA pages that read or switch
  off the xp_cmdshell setting, fixed T-SQL job steps and help pages quoting the statements stay silent.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_SQL_Server_OS_Command
{
    meta:
        author = "extriage"
        description = "Server page making SQL Server run or plant an operating-system command: EXEC xp_cmdshell, sp_oacreate 'wscript.shell', a CmdExec job step, Jet openrowset shell(), or an Image File Execution Options debugger written with xp_regwrite"
        family = "SQL Server command execution"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059.003,T1546.012"
    strings:
        // T-SQL that runs or plants a command
        $xp = /exec(ute)?\s+(\[?master\]?\s*\.\s*(\[?dbo\]?)?\s*\.\s*)?\[?xp_cmdshell\b/ nocase ascii wide
        $oa = /sp_oacreate\s+'(wscript\.shell|shell\.application)'/ nocase ascii wide
        $job = /sp_add_jobstep[^;]{0,300}@subsystem\s*=\s*'?CmdExec/ nocase ascii wide
        $jet = /openrowset\s*\(\s*'microsoft\.jet\.oledb\.4\.0'[^;]{0,300}shell\s*\(/ nocase ascii wide
        $ifeo = /xp_regwrite[^;]{0,300}Image File Execution Options/ nocase ascii wide
        // a command object that sends it
        $cmd1 = /(SqlCommand|OleDbCommand|OdbcCommand|SqlDataAdapter|OleDbDataAdapter)\s*\(/ ascii wide
        $cmd2 = /\.\s*(ExecuteNonQuery|ExecuteReader|ExecuteScalar)\s*\(/ ascii wide
        $cmd3 = /\.\s*CommandText\s*=/ ascii wide
        // server code of its own (not a directive or markup only)
        // a code block: "<%" and white space, but not "<% @ Page": ASP.NET reads that as the directive
        // (X42, session 18); or "<%" and the code at once, "<%Response.Write(..)%>", a code block to the
        // parser too (X43, session 18)
        $code1 = /<%([ \t\r\n]+[^@ \t\r\n]|[^@=:#$%\-"'> \t\r\n])/ ascii wide
        $srvscript = /<script[^>]{0,80}runat\s*=\s*["']?server/ nocase ascii wide
        // a handler's or service's directive, also when it names none: the one with a Class attribute, which
        // only those two take (X43, session 18)
        $handler = /<%\s*@\s*((WebHandler|WebService)\b|[^%]{0,300}\bClass\s*=)/ nocase ascii wide
        $page = /<%\s*@\s*((Page|WebHandler|WebService|Control|Master)\b|\w[\w:]*\s*=)/ nocase ascii wide
        // or a page's code-behind class (a CodeFile/Src file ASP.NET compiles with the page: X44, session 19)
        $cb1 = /\bclass\s+\w+\s*:\s*(global::)?(System\s*\.\s*Web\s*\.\s*UI\s*\.\s*)?(Page|UserControl|MasterPage)\b/ ascii wide
        $cb2 = /\bInherits\s+(System\s*\.\s*Web\s*\.\s*UI\s*\.\s*)?(Page|UserControl|MasterPage)\b/ nocase ascii wide
        $cbweb = /\b(using|Imports)\s+System\s*\.\s*Web\b|System\s*\.\s*Web\s*\.\s*UI\s*\.\s*(Page|UserControl|MasterPage)\b/ nocase ascii wide
        // or a handler or module class (an App_Code IHttpModule: X44, session 19)
        $ihttp = /\bIHttp(Async)?(Handler|Module)\b/ ascii wide
        // or a Razor view's code (.cshtml, Web Pages .vbhtml: X47, session 19): a @functions/@code block, a VB
        // @Code/@Functions block, or a @{ } block in a file with a Razor directive or helper
        $rz1 = /(^|\n)[ \t]*@(functions|code)[ \t\r\n]*\{/ ascii wide
        $rz2 = /(^|\n)[ \t]*@(Code|Functions)[ \t]*\r?\n/ ascii wide
        $rz3 = /(^|\n)[ \t]*@\{/ ascii wide
        $rzdir = /(^|\n)[ \t]*@(using|page|model|inherits|inject|Imports|ModelType)\b|@(Html|Model|ViewBag|ViewData|Url)\s*\./ ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and
        ((($page or $block or $srvscript) and (any of ($code*) or $srvscript or $handler)) or (($cb1 or $cb2) and $cbweb) or $ihttp or
         $rz1 or $rz2 or ($rz3 and $rzdir)) and
        ($xp or $oa or $job or $jet or $ifeo) and any of ($cmd*)
}
