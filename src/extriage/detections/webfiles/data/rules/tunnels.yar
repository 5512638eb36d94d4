/*
  extriage socket-tunnel page rules, written for this project (MIT, like the rest of extriage). Issue 14,
  helper X20 (session 12).

  Why this file: HTTP tunnel pages (reGeorg and Neo-reGeorg, Tunna, suo5, pystinger) turn the web server
  into a SOCKS/port-forwarding hop into the internal network: the page reads its request body, opens a TCP
  socket to a host and port the client names, sends the body's bytes into it and relays what the socket
  returns into the response. The newest .NET suo5 page (2025 rewrite: XOR/base64url framing, half/classic
  modes, 43 KB; twentieth unseen collection) was found on first sight by the behaviour analysis only
  (`socket`), and signature-base missed it; no YARA rule of ours knew tunnels at all, so a page the
  behaviour analysis could not finish had nothing else to name it. This rule matches the relay shape, not a
  tool's strings: a server page that creates a Socket or TcpClient, connects it, both sends into it and
  receives from it, reads the raw request body and writes raw bytes to the response. Ordinary pages that
  talk TCP (a port check, a label printer fed over port 9100, an SMTP test) send or receive, but do not
  relay the request body into a socket and the socket's bytes back into the response.
  meta: family (shown to the user), severity, outcome ("webshell"/"success"), wave, attack.
*/

rule EXT_WEBSHELL_Socket_Tunnel_Page
{
    meta:
        author = "extriage"
        description = "HTTP tunnel page (reGeorg/Neo-reGeorg/suo5 shape): opens a TCP socket, relays the raw request body into it and the socket's bytes back into the response - the server is a proxy into the internal network"
        family = "HTTP socket tunnel"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1090.001,T1572,T1505.003"
    strings:
        // a TCP socket ...
        $sock1 = /new\s+(System\s*\.\s*Net\s*\.\s*Sockets\s*\.\s*)?Socket\s*\(/ ascii wide
        $sock2 = /new\s+(System\s*\.\s*Net\s*\.\s*Sockets\s*\.\s*)?TcpClient\s*\(/ ascii wide
        $connect = /\.\s*(BeginConnect|ConnectAsync|Connect)\s*\(/ ascii wide
        // ... that data goes into and comes out of (Socket calls, or the TcpClient's stream)
        $send = /\.\s*(Send|BeginSend|SendAsync)\s*\(/ ascii wide
        $recv = /\.\s*(Receive|BeginReceive|ReceiveAsync)\s*\(/ ascii wide
        $stream = /\.\s*GetStream\s*\(\s*\)/ ascii wide
        $sread = /\.\s*Read\s*\(/ ascii wide
        $swrite = /\.\s*Write\s*\(/ ascii wide
        // the raw request body in, raw bytes out
        $body = /Request\s*\.\s*(InputStream\b|BinaryRead\s*\(|GetBufferlessInputStream\s*\(|GetBufferedInputStream\s*\()/ nocase ascii wide
        $out = /Response\s*\.\s*(OutputStream\s*\.\s*(Write|BeginWrite|WriteAsync)|BinaryWrite)\s*\(/ nocase ascii wide
        // a server page
        $page = /<%@\s*(Page|WebHandler|WebService|Control)\b/ nocase ascii wide
        $runat = /runat\s*=\s*["']?server/ nocase ascii wide
        $block = /<%[^@=:\-#$]/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
    condition:
        filesize < 16MB and not any of ($log*) and ($page or $runat or $block) and
        ($sock1 or $sock2) and $connect and $body and $out and
        (($send and $recv) or ($sock2 and $stream and $sread and $swrite))
}
