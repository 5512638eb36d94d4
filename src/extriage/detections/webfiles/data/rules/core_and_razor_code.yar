/*
  extriage rules for ASP.NET Core and Razor code: controllers, minimal-API endpoints, Razor views/pages and
  Blazor components, written for this project (MIT, like the rest of extriage). Issue 14, helper X39
  (thirty-ninth unseen collection: Razor and ASP.NET Core shells, session 17).

  Why this file: on first sight the own rules found 6 of the collection's 13 files. Missed were
  - three C# sources of ASP.NET Core sites: an API controller whose action runs `cmd.exe /c {command}` (or
    `/bin/bash -c {command}`) with the query's `cmd`, an MVC controller whose `Index(string cmd)` writes the
    text into cmd.exe's standard input, and a minimal-API Program.cs with `app.MapGet("/cmd", (string cmd) =>
    Process.Start("cmd.exe", "/c " + cmd))`. Outside App_Code a `.cs` is not compiled by ASP.NET, so only
    YARA reads it (the behaviour analysis finds the two controllers when they sit in App_Code);
  - a Razor view that injects a memory shell into ASP.NET Core MVC: it compiles a controller with Roslyn,
    adds it as an ApplicationPart and calls the framework's non-public `UpdateCollection` through
    reflection so the new route answers (two sibling injectors of the same author were found only because
    their inner controller names cmd.exe);
  - a Blazor component that hands a bound text box to `CSharpScript.EvaluateAsync` (a C# runner);
  - a `.cshtml` written by a SOAP client proxy (watchTowr's SOAPwn: Ivanti EPM, Umbraco 8 Forms): an XML
    envelope whose namespace URL carries `?@{System.Diagnostics.Process.Start(new string(new char[]{'c','m',
    'd'}), ...)}` - a Razor code block inside markup, its strings spelled as char arrays (no `"` allowed).
  The rules match those behaviours, not the samples' strings:
  - EXT_WEBSHELL_Core_Endpoint_Runs_Shell_Text: an ASP.NET Core controller, Razor PageModel or minimal-API
    endpoint that names a command interpreter (cmd, powershell, pwsh, /bin/sh, /bin/bash) and hands it text
    held in a variable: `"/c " + x`, `$"/c {x}"`, `$"-c {x}"`, or the interpreter's standard input written
    with a variable. Controllers that run a program they name with fixed arguments (`dotnet --info`, a
    configured backup tool) stay silent.
  - EXT_WEBSHELL_Core_Route_Injected_By_Reflection: code that calls the framework's non-public
    `UpdateCollection` of IActionDescriptorCollectionProvider through reflection after adding an
    ApplicationPart, a page route model provider, a Razor file provider or a DI service accessor. Plugin
    systems add parts through the public ApplicationPartManager and signal with an IActionDescriptorChange
    Provider; they have no reason to reflect on the framework's private members.
  - EXT_WEBSHELL_Razor_Evaluates_Bound_Code: a Razor view or Blazor component that evaluates C# text held in
    a variable (CSharpScript.EvaluateAsync/RunAsync/Create, CSharpCompilation.Create over a parsed variable)
    and takes input from the page (a bound field, a form field, the query). Pages that evaluate a fixed
    expression stay silent.
  - EXT_WEBSHELL_Razor_Code_Smuggled_In_Markup: a Razor code block inside an XML namespace or URL attribute
    (`xmlns="http://host/?@{...}"`), or a Razor block that starts a process whose name is built from a char
    array. Ordinary XML and pages that build display text from chars stay silent.
  No outcome in the meta (as EXT_WEBSHELL_Source_Runs_Request_Named_Program): in a page IIS runs (.cshtml) a
  match is a web shell; in a source file (a controller or Program.cs, a .razor component - compiled into the
  site's DLL when it is built, not run from the file) it is reported for review without raising the verdict.
  The same controller in App_Code, which ASP.NET compiles itself, is a web shell by the behaviour analysis.
  Web server logs quoting such code are not pages (the `#Fields:`/`GET /`/`POST /` lines).
  meta: family (shown to the user), severity, wave, attack.
*/

rule EXT_WEBSHELL_Core_Endpoint_Runs_Shell_Text
{
    meta:
        author = "extriage"
        description = "ASP.NET Core controller, Razor PageModel or minimal-API endpoint hands text held in a variable to a command interpreter (cmd /c, powershell, /bin/sh -c, or its standard input)"
        family = "ASP.NET Core command endpoint"
        severity = "high"
        wave = "any"
        attack = "T1505.003,T1059"
    strings:
        // an ASP.NET Core (or MVC 5 / Web API) endpoint: a controller or page model class, an action or
        // route attribute, a minimal-API map or an inline middleware
        $ep1 = /:\s*(Microsoft\.AspNetCore\.Mvc\.)?(Controller|ControllerBase|ApiController|PageModel)\b/ ascii wide
        $ep2 = /\[\s*(HttpGet|HttpPost|HttpPut|HttpDelete|Route|ApiController)\b/ ascii wide
        $ep3 = /\.\s*Map(Get|Post|Put|Delete|Patch|Methods|Fallback)\s*\(\s*"/ ascii wide
        $ep4 = /\.\s*(Use|Run)\s*\(\s*async\s*\(?\s*[A-Za-z_]\w*/ ascii wide
        $start1 = /Process\s*\.\s*Start\s*\(/ ascii wide
        $start2 = /new\s+(System\.Diagnostics\.)?ProcessStartInfo\b/ ascii wide
        $start3 = /new\s+(System\.Diagnostics\.)?Process\s*(\(\s*\)|\{)/ ascii wide
        $int = /"(cmd|cmd\.exe|powershell|powershell\.exe|pwsh|pwsh\.exe|\/bin\/sh|\/bin\/bash|sh|bash)"/ nocase ascii wide
        // the interpreter's argument built from a variable: "/c " + cmd, $"/c {cmd}", $"-c \"{cmd}\""
        $arg1 = /"\s*[\/-][cC]\s*"\s*\+\s*[A-Za-z_][A-Za-z0-9_]{0,40}\s*[;),]/ ascii wide
        $arg2 = /\$@?"\s*[\/-][cC]\s+(\\")?\{[A-Za-z_][A-Za-z0-9_]{0,40}\}/ ascii wide
        $arg3 = /-(Command|EncodedCommand)\s*"\s*\+\s*[A-Za-z_][A-Za-z0-9_]{0,40}\b/ nocase ascii wide
        // or straight from the request: "/c " + Request.Query["x"], + HttpContext.Request.Form[..], + new
        // StreamReader(Request.Body)... (X47's siblings, session 19)
        $arg4 = /"\s*[\/-][cC]\s*"\s*\+\s*(new\s+(System\.IO\.)?StreamReader\s*\(\s*)?((Http)?Context\s*\.\s*)?Request\s*[.\[]/ ascii wide
        // or the command written into the interpreter's standard input
        $stdin = /StandardInput\s*\.\s*Write(Line)?(Async)?\s*\(\s*(\$"\{)?[A-Za-z_][A-Za-z0-9_]{0,40}\b/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
    condition:
        filesize < 16MB and not any of ($log*) and any of ($ep*) and any of ($start*) and $int and
        (any of ($arg*) or $stdin)
}

rule EXT_WEBSHELL_Core_Endpoint_SQL_OS_Command
{
    meta:
        author = "extriage"
        description = "ASP.NET Core controller, Razor PageModel, minimal-API endpoint or inline middleware makes SQL Server run an operating-system command (EXEC xp_cmdshell, sp_oacreate 'wscript.shell', a CmdExec job step) through a command object"
        family = "SQL Server command execution (ASP.NET Core source)"
        severity = "high"
        wave = "any"
        attack = "T1505.003,T1059.003"
    strings:
        // EXT_WEBSHELL_SQL_Server_OS_Command's T-SQL and command objects (sql_os_commands.yar) in a Core
        // endpoint (this file's markers): X47's siblings of X14's xp_cmdshell page, session 19
        $ep1 = /:\s*(Microsoft\.AspNetCore\.Mvc\.)?(Controller|ControllerBase|ApiController|PageModel)\b/ ascii wide
        $ep2 = /\[\s*(HttpGet|HttpPost|HttpPut|HttpDelete|Route|ApiController)\b/ ascii wide
        $ep3 = /\.\s*Map(Get|Post|Put|Delete|Patch|Methods|Fallback)\s*\(\s*"/ ascii wide
        $ep4 = /\.\s*(Use|Run)\s*\(\s*async\s*\(?\s*[A-Za-z_]\w*/ ascii wide
        $xp = /exec(ute)?\s+(\[?master\]?\s*\.\s*(\[?dbo\]?)?\s*\.\s*)?\[?xp_cmdshell\b/ nocase ascii wide
        $oa = /sp_oacreate\s+'(wscript\.shell|shell\.application)'/ nocase ascii wide
        $job = /sp_add_jobstep[^;]{0,300}@subsystem\s*=\s*'?CmdExec/ nocase ascii wide
        $cmd1 = /(SqlCommand|OleDbCommand|OdbcCommand|SqlDataAdapter|OleDbDataAdapter)\s*\(/ ascii wide
        $cmd2 = /\.\s*(ExecuteNonQuery|ExecuteReader|ExecuteScalar)(Async)?\s*\(/ ascii wide
        $cmd3 = /\.\s*CommandText\s*=/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
    condition:
        filesize < 16MB and not any of ($log*) and any of ($ep*) and ($xp or $oa or $job) and any of ($cmd*)
}

rule EXT_WEBSHELL_Core_Route_Injected_By_Reflection
{
    meta:
        author = "extriage"
        description = "Adds an ApplicationPart, page route model provider, Razor file provider or DI service accessor and calls ASP.NET Core's non-public UpdateCollection through reflection: a memory shell injected into the running site"
        family = "ASP.NET Core memory-shell injector"
        severity = "critical"
        wave = "any"
        attack = "T1505.003,T1620"
    strings:
        $update = /GetMethod\s*\(\s*"UpdateCollection"/ ascii wide
        $nonpublic = /BindingFlags\s*\.\s*NonPublic/ ascii wide
        $provider = "IActionDescriptorCollectionProvider" ascii wide
        $add1 = "ApplicationParts" ascii wide
        $add2 = "_routeModelProviders" ascii wide
        $add3 = "_compositeFileProvider" ascii wide
        $add4 = "_serviceAccessors" ascii wide
        $add5 = "_partManager" ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
    condition:
        filesize < 16MB and not any of ($log*) and $update and $nonpublic and $provider and any of ($add*)
}

rule EXT_WEBSHELL_Razor_Evaluates_Bound_Code
{
    meta:
        author = "extriage"
        description = "Razor view or Blazor component evaluates C# text held in a variable (CSharpScript, Roslyn compilation) and takes input from the page: a C# runner"
        family = "Razor C# runner"
        severity = "critical"
        wave = "any"
        attack = "T1505.003,T1059"
    strings:
        $razor1 = /(^|[\r\n])\s*@(using|functions|code|page|model|inherits|inject)\b/ ascii wide
        $razor2 = /(^|[\r\n])\s*@\{/ ascii wide
        // C# text held in a variable, not a literal
        $eval1 = /(CSharp|VisualBasic)Script\s*\.\s*(EvaluateAsync|RunAsync|Evaluate|Create)\s*(<[^>\r\n]{1,60}>)?\s*\(\s*[A-Za-z_][A-Za-z0-9_.]{0,60}\s*[,)]/ ascii wide
        $eval2 = /CSharpSyntaxTree\s*\.\s*ParseText\s*\(\s*[A-Za-z_][A-Za-z0-9_.]{0,60}\s*[,)]/ ascii wide
        // input from the page: a bound field, a form or query value
        $in1 = /@bind(-value)?\s*=\s*"@?[A-Za-z_]/ nocase ascii wide
        // (\bRequest: not HttpRequest., HttpRequestMessage( or a method named ...Request( - X46, session 19)
        $in2 = /\bRequest\s*(\.\s*(Form|Query|QueryString|Body)\s*)?[\[\(.]/ ascii wide
        $in3 = /\[\s*(SupplyParameterFromQuery|SupplyParameterFromForm|BindProperty)\b/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 16MB and not any of ($log*) and any of ($razor*) and any of ($eval*) and any of ($in*)
}

rule EXT_WEBSHELL_Razor_Code_Smuggled_In_Markup
{
    meta:
        author = "extriage"
        description = "Razor code block inside an XML namespace or URL attribute (a .cshtml written by a SOAP client proxy, SOAPwn), or a Razor block that starts a process named by a char array"
        family = "Razor code smuggled into markup"
        severity = "critical"
        wave = "any"
        attack = "T1505.003,T1059"
    strings:
        // xmlns="http://tempuri.org/?@{...}", targetNamespace=, soapAction=, location= ... carrying @{ or @(
        $ns = /(xmlns(:[A-Za-z0-9_.-]{1,40})?|targetNamespace|namespace|soapAction|location)\s*=\s*["'][a-z]{2,10}:\/\/[^"'\s]{0,300}\?@[{(]/ nocase ascii wide
        // @{ ... Process.Start(new string(new char[]{'c','m','d'}) ... }
        $chars = /@[{(][^\r\n]{0,300}Process\s*\.\s*Start\s*\(\s*new\s+(System\s*\.\s*)?[Ss]tring\s*\(\s*new\s+char\s*\[\s*\]\s*\{\s*'/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
    condition:
        filesize < 16MB and not any of ($log*) and ($ns or $chars)
}
