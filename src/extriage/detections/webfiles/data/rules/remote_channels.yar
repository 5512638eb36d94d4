/*
  extriage rules for server pages that give a remote party a command channel of their own, written for this
  project (MIT, like the rest of extriage). Issue 14, helper X48 (forty-eighth unseen collection).

  Why this file, first rule: a 2025-2026 shell manager written in Go (library id 56922693808; its
  `aspxShellDirect(key)` renders the page) ships an agent page that reads the whole request body, decrypts it with a
  key written in the page (AES-CBC, the key as IV), splits the plain text into an action and base64 arguments and
  dispatches: `exec` (cmd.exe /c), `ls`, `read`, `write`, `append`, `delete`, `mkdir`, `rename`, `hash`,
  `db_query`, each answered as JSON. No Assembly.Load, no eval, no request value reaching a sink in plain sight:
  every older rule of ours stayed silent on it at first sight (the behaviour analysis found it). The rule matches
  the channel:
    - the request body read (Request.InputStream / BinaryRead / a posted form value) and decrypted
      (CreateDecryptor ... TransformFinalBlock, or a CryptoStream in read mode over a decryptor);
    - a process started (Process.Start / ProcessStartInfo) and a file written (File.WriteAllBytes/WriteAllText/
      AppendAllText, new FileStream, FileMode.Append/Create);
    - an action dispatch on at least three of four kinds of command word (run: exec/cmd/shell/run; list:
      ls/dir/list; write: write/upload/append/put; read: read/download/get/cat), compared with ==, Equals,
      `case` or VB's `If x =`.
  Ordinary pages that decrypt a posted body (payment callbacks, single sign-on tokens, licence activation) act on
  business states, not on a verb table that both starts processes and writes files.

  Second rule: the InsomniaShell callback page (darknet.org.uk, 2014) and its copies in notes and exploit kits
  (four met in this collection, X41 met three) were named by no YARA rule of ours and none of signature-base; only
  the behaviour analysis's P/Invoke reading found them. The page opens a raw socket through ws2_32's WSASocket,
  connects it (or binds and accepts) and hands the socket to CreateProcess / CreateProcessAsUser as the new
  process's standard input and output: cmd.exe talking to a remote listener. The rule needs the socket import, the
  process-creation import and a standard handle assigned in a STARTUPINFO, in a server page. Pages that start a
  tool through CreateProcess redirect its handles to pipes (CreatePipe), not to a socket they opened themselves.
*/

rule EXT_WEBSHELL_Encrypted_Request_Command_Dispatcher
{
    meta:
        author = "extriage"
        description = "Command channel: the request body is decrypted in the page and dispatched on command words (run, list, read, write) to a process start and file writes"
        family = "Encrypted command channel (agent page)"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1573.001"
    strings:
        $body1 = /Request\s*\.\s*InputStream/ nocase ascii wide
        $body2 = /Request\s*\.\s*BinaryRead\s*\(/ nocase ascii wide
        $body3 = /Request\s*\.\s*Form\s*\[/ nocase ascii wide
        $dec1 = /\.\s*CreateDecryptor\s*\(/ nocase ascii wide
        $dec2 = "TransformFinalBlock" nocase ascii wide
        $dec3 = /CryptoStreamMode\s*\.\s*Read/ nocase ascii wide
        $proc1 = /\bProcessStartInfo\b/ ascii wide
        $proc2 = /Process\s*\.\s*Start\s*\(/ ascii wide
        $write1 = /File\s*\.\s*(WriteAllBytes|WriteAllText|AppendAllText)\s*\(/ ascii wide
        $write2 = /new\s+(System\s*\.\s*IO\s*\.\s*)?FileStream\s*\(/ ascii wide
        $write3 = /FileMode\s*\.\s*(Append|Create|CreateNew)\b/ ascii wide
        $a_run = /(==|\bcase|Equals\s*\(|\bIf\s+\w+\s*=)\s*"(exec|cmd|shell|run)"/ nocase ascii wide
        $a_list = /(==|\bcase|Equals\s*\(|\bIf\s+\w+\s*=)\s*"(ls|dir|list)"/ nocase ascii wide
        $a_write = /(==|\bcase|Equals\s*\(|\bIf\s+\w+\s*=)\s*"(write|upload|append|put)"/ nocase ascii wide
        $a_read = /(==|\bcase|Equals\s*\(|\bIf\s+\w+\s*=)\s*"(read|download|get|cat)"/ nocase ascii wide
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
        and any of ($body*) and ($dec1 or $dec3) and ($dec2 or $dec3)
        and any of ($proc*) and any of ($write*) and 3 of ($a_*)
}

rule EXT_WEBSHELL_Socket_Handle_As_Process_Stdio
{
    meta:
        author = "extriage"
        description = "Reverse or bind shell in a page: a raw socket from ws2_32 (WSASocket) given to CreateProcess as the new process's standard input/output (the InsomniaShell shape)"
        family = "InsomniaShell (socket-stdio process)"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1059.003"
    strings:
        $sock = /\bWSASocket[AW]?\b/ nocase ascii wide
        $ws2 = /DllImport\s*\(\s*"ws2_32(\.dll)?"/ nocase ascii wide
        $net1 = /\b(connect|accept)\s*\(/ ascii wide
        $cp1 = /\bCreateProcess(AsUser)?[AW]?\s*\(/ ascii wide
        $cp2 = /DllImport\s*\(\s*"(kernel32|advapi32)(\.dll)?"/ nocase ascii wide
        $std1 = /\.\s*hStdInput\s*=/ ascii wide
        $std2 = /\.\s*hStdOutput\s*=/ ascii wide
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
        and $sock and $ws2 and $net1 and $cp1 and $cp2 and ($std1 or $std2)
}
