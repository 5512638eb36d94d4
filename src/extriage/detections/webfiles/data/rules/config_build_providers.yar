/*
  extriage rules for configuration files that make ASP.NET compile files of an unusual extension as pages,
  written for this project (MIT, like the rest of extriage). Issue 14, helper X14 (twelfth unseen collection:
  shells as defenders met them).

  Why this file: a web.config can register `System.Web.Compilation.PageBuildProvider` for a new extension
  (`<buildProviders><add extension=".info" type="System.Web.Compilation.PageBuildProvider" />`) and map the
  same extension to `System.Web.UI.PageHandlerFactory`; from then on a file such as `status.info` or
  `readme.txt` holding `<%@ Page %>` code runs as a page while scanners and reviewers read it as data. The
  build provider is the part that cannot be left out: without it ASP.NET refuses to compile the file (a
  defender's lab write-up recreating this, TRR0000 "Web Shell via web.config Manipulation" in
  McBeer89/Tired-Labs-McBeer-Repo, found the same). The behaviour analysis already flags mappings of a list of
  static extensions (txt, css, images, ...); an extension outside that list (`.info` in that lab) was found by
  nothing. This rule matches a `PageBuildProvider` registered for any extension other than the page
  extensions ASP.NET itself or ordinary sites use (.aspx; .htm/.html, which sites moved from static HTML
  register on purpose), in a file that is an XML configuration (not a log or a page quoting one). The
  framework's own root web.config (which registers .aspx), web.configs with other build providers
  (resources, WCF services, an application's own provider) and sites serving .html as pages stay silent.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_Config_Extension_Compiled_As_Page
{
    meta:
        author = "extriage"
        description = "Configuration registering System.Web.Compilation.PageBuildProvider for an extension that is not a page extension, so files of that extension (.info, .txt, ...) are compiled and run as ASP.NET pages"
        family = "Config: extension compiled as page"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1036"
    strings:
        // an <add> of a build provider naming PageBuildProvider, the extension before or after the type
        $any1 = /<add\s[^>]{0,300}\bextension\s*=\s*["']\.[^"'>]{1,40}["'][^>]{0,300}\btype\s*=\s*["']\s*System\.Web\.Compilation\.PageBuildProvider\b/ nocase ascii wide
        $any2 = /<add\s[^>]{0,300}\btype\s*=\s*["']\s*System\.Web\.Compilation\.PageBuildProvider\b[^>]{0,300}\bextension\s*=\s*["']\.[^"'>]{1,40}["']/ nocase ascii wide
        // the same for the extensions pages have anyway
        $std1 = /<add\s[^>]{0,300}\bextension\s*=\s*["']\.(aspx|html?)["'][^>]{0,300}\btype\s*=\s*["']\s*System\.Web\.Compilation\.PageBuildProvider\b/ nocase ascii wide
        $std2 = /<add\s[^>]{0,300}\btype\s*=\s*["']\s*System\.Web\.Compilation\.PageBuildProvider\b[^>]{0,300}\bextension\s*=\s*["']\.(aspx|html?)["']/ nocase ascii wide
        $bp = "buildProviders" nocase ascii wide
        // an XML configuration file, not a log or a page quoting one: it opens with the declaration, the
        // root element or a comment (after a byte order mark and blank space)
        $xml = /(\xEF\xBB\xBF)?\s{0,64}<(\?xml|configuration|!--)/ nocase
        $xmlw = /(\xFF\xFE)?(\s\x00){0,64}<\x00(\?\x00x\x00m\x00l|c\x00o\x00n\x00f|!\x00-)/ nocase
    condition:
        filesize < 64MB and ($xml at 0 or $xmlw at 0) and $bp and (#any1 + #any2) > (#std1 + #std2)
}

/*
  Issue 14, helper X19 (nineteenth unseen collection: pentest/CTF notes). The web.config upload trick of
  Hack The Box "Bounty" and of many upload-bypass cheat sheets maps an extension to classic ASP
  (`<add ... path="*.config" modules="IsapiModule" scriptProcessor="%windir%\system32\inetsrv\asp.dll" .../>`)
  so that the uploaded web.config itself - or any uploaded `*.x` file - runs as an ASP script. The behaviour
  analysis flags the mapping when the extension is one of its static extensions (and the six write-ups'
  configs that also carry ASP code); a cheat sheet's config mapping `*.x` (no code in it: the code comes in
  the next upload) was found by nothing. This rule matches a handler mapping to asp.dll for an extension
  other than the ones classic ASP uses (.asp, .asa, .cdx, .cer) or that old sites move to it on purpose
  (.htm, .html, .inc), in a file that is an XML configuration. IIS's own ASPClassic mapping (*.asp), a
  legacy site serving .htm through ASP and configs with other handlers stay silent.
*/

rule EXT_WEBSHELL_Config_Extension_Run_By_Classic_ASP
{
    meta:
        author = "extriage"
        description = "Configuration mapping an extension that is not an ASP extension (*.config, *.x, *.jpg, ...) to classic ASP (asp.dll), so uploaded files of that extension - or the web.config itself - run as scripts"
        family = "Config: extension run by classic ASP"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1036"
    strings:
        // a handler <add> with a "*.ext" path and asp.dll as its script processor, in either order
        $any1 = /<add\s[^>]{0,600}\bpath\s*=\s*["']\*\.[^"'>]{1,40}["'][^>]{0,600}\bscriptProcessor\s*=\s*["'][^"'>]{0,200}\basp\.dll["']/ nocase ascii wide
        $any2 = /<add\s[^>]{0,600}\bscriptProcessor\s*=\s*["'][^"'>]{0,200}\basp\.dll["'][^>]{0,600}\bpath\s*=\s*["']\*\.[^"'>]{1,40}["']/ nocase ascii wide
        // the same for the extensions classic ASP serves anyway
        $std1 = /<add\s[^>]{0,600}\bpath\s*=\s*["']\*\.(asp|asa|cdx|cer|html?|inc)["'][^>]{0,600}\bscriptProcessor\s*=\s*["'][^"'>]{0,200}\basp\.dll["']/ nocase ascii wide
        $std2 = /<add\s[^>]{0,600}\bscriptProcessor\s*=\s*["'][^"'>]{0,200}\basp\.dll["'][^>]{0,600}\bpath\s*=\s*["']\*\.(asp|asa|cdx|cer|html?|inc)["']/ nocase ascii wide
        $handlers = "handlers" nocase ascii wide
        $xml = /(\xEF\xBB\xBF)?\s{0,64}<(\?xml|configuration|!--)/ nocase
        $xmlw = /(\xFF\xFE)?(\s\x00){0,64}<\x00(\?\x00x\x00m\x00l|c\x00o\x00n\x00f|!\x00-)/ nocase
    condition:
        filesize < 64MB and ($xml at 0 or $xmlw at 0) and $handlers and (#any1 + #any2) > (#std1 + #std2)
}
