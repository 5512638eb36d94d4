/*
  extriage rules for backdoor pages behind a decoy "not found", written for this project (MIT, like the rest of
  extriage). Issue 14, helper X5.

  Why this file: the MOVEit Transfer intrusions (CVE-2023-34362, 2023) dropped a page (LEMURLOOT) that answers
  every request with 404 unless one request header carries a hard-coded secret, and otherwise queries the
  application's database through the application's own classes, puts storage keys into response headers and
  streams stored files out compressed. It runs no process, loads no code and uses no ADO.NET, so neither the
  own YARA rules nor the behaviour analysis saw it on first sight (fifth unseen collection). This rule
  matches that shape, not the sample's strings: a server page that reads a request header, compares a value
  with a hard-coded secret-looking literal (token characters with a digit, 8+ long: a GUID, a key),
  sets status 404 (hides itself - ordinary pages refuse with 401/403 or redirect) and then hands out data
  (SQL text, a stream copied or compressed into the response, or a key/password/secret put into a header).
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_Secret_Header_Decoy_404
{
    meta:
        author = "extriage"
        description = "Backdoor page behind a decoy 404: answers not-found unless a request header carries a hard-coded secret, then hands out data (SQL results, streamed files or keys in headers)"
        family = "header-gated backdoor (LEMURLOOT-style)"
        severity = "high"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1041"
    strings:
        $header = /Request\s*\.\s*Headers\s*(\[\s*"[^"\r\n]{1,64}"\s*\]|\(\s*"[^"\r\n]{1,64}"\s*\)|\.\s*Get\s*\(\s*"[^"\r\n]{1,64}"\s*\))/ nocase ascii wide
        // a value compared with a hard-coded secret-looking literal (token characters with a digit, 8+ long;
        // written as two branches split at the first digit so the engine's repetition stays unambiguous)
        $secret1 = /String\s*\.\s*Equals\s*\(\s*[A-Za-z_][A-Za-z0-9_.]{0,40}\s*,\s*"([A-Za-z_+\/=-]{0,80}[0-9][A-Za-z0-9_+\/=-]{7,80}|[A-Za-z_+\/=-]{7,80}[0-9][A-Za-z0-9_+\/=-]{0,80})"/ ascii wide
        $secret2 = /[A-Za-z_][A-Za-z0-9_.\]\[()"]{0,60}\s*(!=|==|<>)\s*"([A-Za-z_+\/=-]{0,80}[0-9][A-Za-z0-9_+\/=-]{7,80}|[A-Za-z_+\/=-]{7,80}[0-9][A-Za-z0-9_+\/=-]{0,80})"/ ascii wide
        $secret3 = /"([A-Za-z_+\/=-]{0,80}[0-9][A-Za-z0-9_+\/=-]{7,80}|[A-Za-z_+\/=-]{7,80}[0-9][A-Za-z0-9_+\/=-]{0,80})"\s*(!=|==|<>)\s*[A-Za-z_]/ ascii wide
        // VB: If value = "secret" Then
        $secret5 = /\bIf\s+[^\r\n]{0,80}[^<>=!](=|<>)\s*"([A-Za-z_+\/=-]{0,80}[0-9][A-Za-z0-9_+\/=-]{7,80}|[A-Za-z_+\/=-]{7,80}[0-9][A-Za-z0-9_+\/=-]{0,80})"\s*Then\b/ nocase ascii wide
        $secret4 = /"([A-Za-z_+\/=-]{0,80}[0-9][A-Za-z0-9_+\/=-]{7,80}|[A-Za-z_+\/=-]{7,80}[0-9][A-Za-z0-9_+\/=-]{0,80})"\s*\.\s*Equals\s*\(/ ascii wide
        // hides itself as not found
        $decoy = /StatusCode\s*=\s*404\b/ ascii wide
        // ... and hands out data
        $sql = /"\s*(select\s[^"\r\n]{1,200}\sfrom\s|insert\s+into\s|delete\s+from\s|update\s+[A-Za-z_\[\]]{1,40}\s+set\s)/ nocase ascii wide
        $stream1 = /GZipStream\s*\(\s*Response\s*\.\s*OutputStream/ nocase ascii wide
        $stream2 = /\.\s*CopyTo\s*\(\s*(Response\s*\.\s*OutputStream|[A-Za-z_]\w*\s*\))/ ascii wide
        $keyhdr = /Response\s*\.\s*(AppendHeader|AddHeader)\s*\([^;\r\n]{0,120}(Key|Password|Secret|ConnectionString|Token)\b/ ascii wide
        $page = /<%\s*@\s*((Page|WebHandler|WebService|Control)\b|\w[\w:]*\s*=)/ nocase ascii wide
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
        $header and any of ($secret*) and $decoy and
        ($sql or any of ($stream*) or $keyhdr)
}
