/*
  extriage rules for server pages that read the credentials IIS keeps for its sites and application pools,
  written for this project (MIT, like the rest of extriage). Issue 14, helper X14 (twelfth unseen collection:
  shells as defenders met them).

  Why this file: IIS stores the passwords of the anonymous-access account, of virtual directories on network
  shares and of application pool identities, and hands them to code running on the server - through the
  metabase (`IIS://localhost/W3SVC`, properties AnonymousUserPass, WAMUserPass, UNCPassword), through
  Microsoft.Web.Administration (`ApplicationPool.ProcessModel.Password`) or through `appcmd list apppool
  /text:processModel.password`. File-manager shells carry a page for it (the "IIS Spy" of ASPXSpy, the
  "iis信息" page of the sunue shell in this collection) and intruders dump application pool passwords to move
  on with a domain account. As a page of its own it reads no request input, so the behaviour analysis has
  nothing to follow and no rule of ours saw it (probed with harmless pages after the first-sight run). The
  rule matches reading one of those passwords (not setting it: `... = value`) in a server page that shows or
  sends something. Site-listing admin pages, provisioning pages that set an identity from configuration and
  help pages quoting the commands stay silent.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_IIS_Stored_Credential_Dump
{
    meta:
        author = "extriage"
        description = "Server page reading the passwords IIS stores for anonymous access, virtual directories or application pool identities (metabase AnonymousUserPass/WAMUserPass/UNCPassword, ProcessModel.Password, appcmd /text:password) and showing or sending them"
        family = "IIS credential dump"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1552.001"
    strings:
        // metabase property read (followed by what reads a value, not by an assignment)
        $mb = /Properties\s*\[\s*"(AnonymousUserPass|WAMUserPass|UNCPassword)"\s*\]\s*(\.\s*Value|\[\s*0\s*\]|\(\s*0\s*\))\s*[)+.,;:&]/ nocase ascii wide
        $mbvb = /Properties\s*\(\s*"(AnonymousUserPass|WAMUserPass|UNCPassword)"\s*\)\s*(\.\s*Value|\(\s*0\s*\))\s*[)+.,;:&]/ nocase ascii wide
        $mbjs = /\.\s*Get\s*\(\s*"(AnonymousUserPass|WAMUserPass|UNCPassword)"\s*\)/ nocase ascii wide
        // Microsoft.Web.Administration: an application pool identity's password read
        $pm = /ProcessModel\s*\.\s*Password\s*[)+.,;:&]/ nocase ascii wide
        // appcmd asked for passwords
        $appcmd = /appcmd(\.exe)?[^\r\n]{0,160}\/text:\s*(\*|[A-Za-z.]{0,40}password)/ nocase ascii wide
        // shows or sends what it read
        $out1 = /Response\s*\.\s*(Write|Output|BinaryWrite)\b/ nocase ascii wide
        $out2 = /\.\s*(Text|InnerHtml|InnerText)\s*(\+=|=[^=])/ ascii wide
        $out3 = /\.\s*Items\s*\.\s*Add\s*\(/ ascii wide
        $out4 = /Upload(String|Data|Values)\s*\(/ nocase ascii wide
        $out5 = /\.\s*DataSource\s*=/ ascii wide
        // server code of its own (not a directive or markup only)
        // a code block: "<%" and white space, but not "<% @ Page": ASP.NET reads that as the directive
        // (X42, session 18); or "<%" and the code at once, "<%Response.Write(..)%>", a code block to the
        // parser too (X43, session 18)
        $code1 = /<%([ \t\r\n]+[^@ \t\r\n]|[^@=:#$%\-"'> \t\r\n])/ ascii wide
        $srvscript = /<script[^>]{0,80}runat\s*=\s*["']?server/ nocase ascii wide
        // a handler's or service's directive, also when it names none: the one with a Class attribute, which
        // only those two take (X43, session 18)
        $handler = /<%\s*@\s*(WebHandler\b|[^%]{0,300}\bClass\s*=)/ nocase ascii wide
        $page = /<%\s*@\s*((Page|WebHandler|WebService|Control|Master)\b|\w[\w:]*\s*=)/ nocase ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $block or $srvscript) and (any of ($code*) or $srvscript or $handler) and
        ($mb or $mbvb or $mbjs or $pm or $appcmd) and any of ($out*)
}
