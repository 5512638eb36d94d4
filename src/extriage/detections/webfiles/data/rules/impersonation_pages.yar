/*
  extriage rules for server pages that log on as a Windows account the visitor types and then act as it,
  written for this project (MIT, like the rest of extriage). Issue 14, helper X40 (fortieth unseen collection: a
  seeded uniform sample of ASP.NET shells).

  Why this file: the sample's "WebShell Impersonate" page declares advapi32's LogonUser, logs on with the
  user name, domain and password typed into its text boxes, impersonates the token and then, as that account,
  dumps the machine's environment or lists any folder the visitor names ("dir C:\\..."). No sink of the
  behaviour analysis covers a folder listing (applications list folders) nor a logon with typed credentials
  (intranet login pages check passwords with LogonUser), and no YARA rule of ours or of signature-base fired.
  The rule needs the three together: a LogonUser (or ImpersonateLoggedOnUser) declaration from advapi32, an
  impersonation (`.Impersonate()`, RunImpersonated, ImpersonateLoggedOnUser) whose account comes from the page's
  input (text boxes' `.Text` or the request's values given to the logon or the impersonating wrapper), and an
  action no login page needs: listing a folder named by a variable, dumping the environment, or starting a process.
  Login pages that check a typed password, and pages that impersonate a typed account to read a fixed share file
  or list a fixed folder, stay silent; so do pages that log on with an account from web.config.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_Page_Acts_As_Typed_Windows_Account
{
    meta:
        author = "extriage"
        description = "Server page that logs on with a Windows account typed into it (LogonUser from advapi32, credentials from text boxes or the request), impersonates it and lists folders it is given, dumps the environment or starts processes as that account"
        family = "impersonating web shell"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1078,T1134.001,T1083"
    strings:
        $adv = "advapi32" nocase ascii wide
        $signin = /\b(LogonUser[AW]?|ImpersonateLoggedOnUser)\b/ ascii wide
        $imp1 = /\.\s*Impersonate\s*\(\s*\)/ ascii wide
        $imp2 = /\b(RunImpersonated|ImpersonateLoggedOnUser)\s*\(/ ascii wide
        // the account typed in: two text boxes' texts, or request values, given to the logon call or to a wrapper
        // whose name says it impersonates (new Impersonator(user.Text, dom.Text, pwd.Text))
        $typed1 = /\b(LogonUser[AW]?|Impersonat\w*)\s*\([^;{}]{0,240}\.\s*Text\b[^;{}]{0,240}\.\s*Text\b/ ascii wide
        // (\bRequest: not the tail of a name - GetTokenForRequest( - X46, session 19)
        // (headers, cookies, a posted file's name or stream and the body are request values too: X44's siblings
        // reading them were found by nothing - X49, session 20)
        $typed2 = /\b(LogonUser[AW]?|Impersonat\w*)\s*\([^;{}]{0,240}\bRequest\s*(\.\s*(Form|QueryString|Params|Item|Headers|Cookies|Files)\s*[\[(]|\s*[\[(]|\.\s*InputStream\b)[^;{}]{0,240}\bRequest\s*(\.\s*(Form|QueryString|Params|Item|Headers|Cookies|Files)\s*[\[(]|\s*[\[(]|\.\s*InputStream\b)/ nocase ascii wide
        // or two HTML inputs made server controls (<input runat=server>: .Value), X44's siblings (session 19)
        $html1 = /\b(LogonUser[AW]?|Impersonat\w*)\s*\([^;{}]{0,240}\.\s*Value\b[^;{}]{0,240}\.\s*Value\b/ ascii wide
        $html2 = /<input\b[^>]{0,200}\brunat\s*=\s*["']?server/ nocase ascii wide
        // what no login page does: list a folder held in a variable, dump the environment, start a process
        $act1 = /\b(Directory|FileSystem)\s*\.\s*(GetFiles|GetDirectories|GetFileSystemEntries|EnumerateFiles|EnumerateDirectories)\s*\(\s*[A-Za-z_][\w.]*(\s*\[[^\]]{1,20}\])?\s*[,)]/ ascii wide
        $act2 = /\bnew\s+DirectoryInfo\s*\(\s*[A-Za-z_][\w.]*(\s*\[[^\]]{1,20}\])?\s*\)/ ascii wide
        // (or a folder read from the request itself: a stream's text, X44's siblings - X49, session 20)
        $act5 = /\b(Directory|FileSystem)\s*\.\s*(GetFiles|GetDirectories|GetFileSystemEntries|EnumerateFiles|EnumerateDirectories)\s*\(\s*new\s+(System\s*\.\s*IO\s*\.\s*)?StreamReader\s*\(\s*Request\s*\./ nocase ascii wide
        $act3 = /Environment\s*\.\s*GetEnvironmentVariables\s*\(/ ascii wide
        $act4 = /\bProcess\s*\.\s*Start\s*\(|\bnew\s+(System\.Diagnostics\.)?ProcessStartInfo\b/ ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 16MB and not any of ($log*) and ($page or $runat or $block) and $adv and $signin and any of ($imp*) and
        (any of ($typed*) or ($html1 and $html2)) and any of ($act*)
}
