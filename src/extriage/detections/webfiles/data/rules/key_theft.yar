/*
  extriage machine-key theft rules, written for this project (MIT, like the rest of extriage). Issue 14, helper X5.

  Why this file: the SharePoint "ToolShell" intrusions (CVE-2025-53770, July 2025) dropped a page that
  takes no request input at all: it reads the ASP.NET machine keys (MachineKeySection - the validation and
  decryption keys) and hands them to the attacker, in the response or by sending them out. With the keys
  the attacker forges signed ViewState and runs code on the server again later, even after patching, so
  the keys must be rotated. Neither the own YARA rules nor the behaviour analysis saw such pages on first
  sight (fifth unseen collection, third batch). This rule matches that code shape, not a sample's strings:
  a server page that touches MachineKeySection, reads the keys themselves (GetApplicationConfig through
  reflection, or the ValidationKey and DecryptionKey properties) and writes or sends something.
  Ordinary pages never read the key values; tools that do (ViewState generators, key wrappers) are
  compiled code or .cs files, which carry no page marker.
  Session 12 (helper X20): a configuration health page that only compares both key properties with a
  literal ("is the key still AutoGenerate?") and writes a status sentence read the keys but hands
  nothing over - it no longer counts. The key properties must be read at least once other than in a
  comparison (.StartsWith/.Contains/.Equals/.IndexOf/.EndsWith, ==, !=, <>) or an assignment (VB
  compares with =); the reflective getter still counts on its own. A page that shows the key values,
  whoever it is meant for, still counts: displayed keys are leaked keys.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_MachineKey_Theft
{
    meta:
        author = "extriage"
        description = "Machine-key theft page: reads the ASP.NET validation/decryption keys (MachineKeySection) and writes them to the response or sends them out - rotate the machine keys"
        family = "machine-key theft (ToolShell-style)"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1552.001,T1505.003"
    strings:
        $section = "MachineKeySection" nocase ascii wide
        // the key values: the internal config getter through reflection, or both key properties
        $getter = "GetApplicationConfig" nocase ascii wide
        $vkey = /\.\s*ValidationKey\b/ nocase ascii wide
        $dkey = /\.\s*DecryptionKey\b/ nocase ascii wide
        // ... unless every read of them is only a comparison or an assignment (configuration checks)
        $vcmp = /\.\s*ValidationKey\s*(\.\s*(StartsWith|EndsWith|Contains|Equals|IndexOf)\s*\(|==|!=|<>|=)/ nocase ascii wide
        $dcmp = /\.\s*DecryptionKey\s*(\.\s*(StartsWith|EndsWith|Contains|Equals|IndexOf)\s*\(|==|!=|<>|=)/ nocase ascii wide
        // ... handed over: written to the response or sent out
        $out1 = /Response\s*\.\s*(Write|Output|BinaryWrite|AppendHeader|AddHeader)\b/ nocase ascii wide
        $out2 = /\.\s*Upload(String|Data|Values)(Async)?\s*\(/ nocase ascii wide
        $out3 = /\bWebClient\b|\bHttpWebRequest\b|\bHttpClient\b|\bWebRequest\s*\.\s*Create\b/ nocase ascii wide
        $out4 = /\bDns\s*\.\s*(GetHostEntry|GetHostAddresses|Resolve)\b/ nocase ascii wide
        $out5 = /<%=|<%:/ ascii wide
        $out6 = /File\s*\.\s*(WriteAll|AppendAll)/ nocase ascii wide
        // a server page (inline code blocks count: a key stealer needs no directive)
        $page = /<%@\s*(Page|WebHandler|WebService|Control|Application)\b/ nocase ascii wide
        $runat = /runat\s*=\s*["']?server/ nocase ascii wide
        $block = /<%[^@=:\-#$]/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
    condition:
        filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and
        $section and ($getter or ($vkey and $dkey and not (#vkey == #vcmp and #dkey == #dcmp))) and
        any of ($out*)
}
