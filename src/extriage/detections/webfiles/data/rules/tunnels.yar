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
        $page = /<%\s*@\s*((Page|WebHandler|WebService|Control)\b|\w[\w:]*\s*=)/ nocase ascii wide
        $runat = /runat\s*=\s*["']?server/ nocase ascii wide
        $block = /<%[^@\-#$]/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 16MB and not any of ($log*) and ($page or $runat or $block) and
        ($sock1 or $sock2) and $connect and $body and $out and
        (($send and $recv) or ($sock2 and $stream and $sread and $swrite))
}

/*
  Issue 14, helper X36 (session 16): tunnels, proxies and pivots written for ASP.NET (thirty-sixth unseen
  collection). On first sight the own YARA rules named 9 of 14 tunnels; the five they missed were found by the
  behaviour analysis alone (`socket`, `http-out`), so a page whose analysis could not finish had nothing else to
  name it, and one page was missed by everything of ours:

  - Neo-reGeorg's later templates (BLV framing, sockets kept in `Application`, every reply base64 text through
    `Response.Write`) and its `tunnel.cs` class (no page directive: `HttpContext.Current`, compiled into a memory
    shell) never write raw bytes to the response, which `EXT_WEBSHELL_Socket_Tunnel_Page` wants. What a tunnel
    cannot do without is to keep its TCP socket between requests - the client opens it with one request and feeds
    and drains it with the next ones - so it takes the socket back out of a keyed store (`(Socket)Application[mark]`,
    `(Socket)context.Session[id]`, `(TcpClient)ctx[id]`, `Session["socket"] as Socket`, VB's
    `CType(Application(key), Socket)`) and relays the raw request body into it. `EXT_WEBSHELL_Kept_Socket_Relay`
    matches that: server code that creates (or accepts) and connects a TCP socket, takes a socket out of a keyed
    store by cast, sends into it and receives from it, and reads the raw request body. A chat page keeping its UDP
    socket in Session reads form fields, not the body; a printer or port check page opens a fresh socket per
    request; a gateway keeping its connection to a fixed device in Application sends form fields, not the body.
  - a reGeorg "forward" hop: a page on a front server that passes reGeorg's commands (CONNECT with target/port,
    FORWARD with the body, READ, DISCONNECT) on to a tunnel page on an internal host by HttpWebRequest and returns
    its answer - no socket, and a fixed destination, so neither the socket rules nor the behaviour analysis (which
    looks for a caller-named URL) saw it. `EXT_WEBSHELL_Tunnel_Command_Protocol` matches the tunnel's command
    protocol instead of its transport: server code that compares a value against the tunnel verbs (CONNECT or
    LISTEN, DISCONNECT, FORWARD/SEND/WRITE, READ/RECV) and answers in `X-STATUS`/`X-ERROR` response headers, with a
    socket or web request object. This is the reGeorg family's protocol (reGeorg, Neo-reGeorg 1-2, pivotnacci and
    their rewrites), not a transport: weaker than a behaviour, kept for relays that carry no socket.
*/

rule EXT_WEBSHELL_Kept_Socket_Relay
{
    meta:
        author = "extriage"
        description = "Tunnel code that keeps a TCP socket between requests: creates or accepts and connects it, takes it back out of Application/Session/a table by cast, and relays the raw request body into it and its bytes back (Neo-reGeorg, reGeorg variants, suo5, Tunna, in pages, handlers or a memory-shell class)"
        family = "HTTP socket tunnel"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1090.001,T1572,T1505.003"
    strings:
        // a TCP socket made, or accepted from a listener ...
        $make1 = /new\s+(System\s*\.\s*Net\s*\.\s*Sockets\s*\.\s*)?(Socket|TcpClient)\s*\(/ nocase ascii wide
        $make2 = /\.\s*(AcceptSocket|AcceptTcpClient)\s*\(/ ascii wide
        $connect = /\.\s*(BeginConnect|ConnectAsync|Connect)\s*\(/ ascii wide
        // ... taken back out of a keyed store on a later request
        $kept1 = /\(\s*(System\s*\.\s*Net\s*\.\s*Sockets\s*\.\s*)?(Socket|TcpClient)\s*\)\s*[A-Za-z_][\w.]{0,60}\s*\[/ ascii wide
        $kept2 = /\]\s*as\s+(System\s*\.\s*Net\s*\.\s*Sockets\s*\.\s*)?(Socket|TcpClient)\b/ ascii wide
        $kept3 = /(CType|DirectCast|TryCast)\s*\(\s*[A-Za-z_][\w.]{0,60}\s*\([^()\r\n]{1,80}\)\s*,\s*(System\s*\.\s*Net\s*\.\s*Sockets\s*\.\s*)?(Socket|TcpClient)\s*\)/ nocase ascii wide
        // data into it and out of it
        $send = /\.\s*(Send|BeginSend|SendAsync|SendTo)\s*\(/ ascii wide
        $recv = /\.\s*(Receive|BeginReceive|ReceiveAsync|ReceiveFrom)\s*\(/ ascii wide
        $stream = /\.\s*GetStream\s*\(\s*\)\s*\.\s*(Write|Read)\s*\(/ ascii wide
        // the raw request body, and an answer
        $body = /Request\s*\.\s*(InputStream\b|BinaryRead\s*\(|GetBufferlessInputStream\s*\(|GetBufferedInputStream\s*\()/ nocase ascii wide
        $body2 = /\.\s*InputStream\s*\.\s*(Read|BeginRead|ReadAsync|CopyTo)\s*\(/ nocase ascii wide
        $resp = /Response\s*\.\s*(Write|BinaryWrite|OutputStream)\b/ nocase ascii wide
        $resp2 = /\bHttpResponse(Base)?\s+[A-Za-z_]\w*\s*=/ ascii wide
        // server code: a page, or a handler/class of the site's pipeline
        $page = /<%\s*@\s*((Page|WebHandler|WebService|Control)\b|\w[\w:]*\s*=)/ nocase ascii wide
        $runat = /runat\s*=\s*["']?server/ nocase ascii wide
        $block = /<%[^@\-#$]/ ascii wide
        $ctx = /(HttpContext\s*\.\s*Current\b|\bIHttpHandler\b|\bIHttpAsyncHandler\b|\bIHttpModule\b)/ ascii wide
        // or the bytes come as base64 text in a request value (a form field, a query or header value: X44's
        // siblings, session 19) and go back as base64 or raw bytes - a device gateway that sends form fields as
        // text and shows the answer HTML-encoded stays silent
        $val = /\bRequest\s*(\.\s*(Form|QueryString|Params|Headers|Cookies|Item|Files)\b|\s*[\[(])/ nocase ascii wide
        $b64in = /FromBase64String\s*\(/ nocase ascii wide
        $b64out = /(ToBase64String\s*\(|\.\s*BinaryWrite\s*\()/ nocase ascii wide
        // or a page's code-behind class (a CodeFile/Src file ASP.NET compiles with the page: X44, session 19)
        $cb1 = /\bclass\s+\w+\s*:\s*(global::)?(System\s*\.\s*Web\s*\.\s*UI\s*\.\s*)?(Page|UserControl|MasterPage)\b/ ascii wide
        $cb2 = /\bInherits\s+(System\s*\.\s*Web\s*\.\s*UI\s*\.\s*)?(Page|UserControl|MasterPage)\b/ nocase ascii wide
        $cbweb = /\b(using|Imports)\s+System\s*\.\s*Web\b|System\s*\.\s*Web\s*\.\s*UI\s*\.\s*(Page|UserControl|MasterPage)\b/ nocase ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 16MB and not any of ($log*) and ($page or $runat or $block or $ctx or (($cb1 or $cb2) and $cbweb)) and
        ($make1 or $make2) and ($connect or $make2) and ($kept1 or $kept2 or $kept3) and
        (($send and $recv) or $stream) and ($body or $body2 or ($val and $b64in and $b64out)) and ($resp or $resp2)
}

rule EXT_WEBSHELL_Tunnel_Command_Protocol
{
    meta:
        author = "extriage"
        description = "Tunnel command protocol (reGeorg family): server code that compares a command with CONNECT/LISTEN, DISCONNECT, FORWARD/SEND/WRITE and READ/RECV and answers in X-STATUS/X-ERROR headers - a tunnel page or a hop relaying a tunnel's commands to an internal tunnel page"
        family = "HTTP socket tunnel"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1090.001,T1572,T1505.003"
    strings:
        // a command compared with the tunnel's verbs (== "X", case "X":, Equals("X"), or a named constant)
        $v_open = /(==\s*|case\s+|Equals\s*\(\s*|_OPERATION\s*=\s*)"(CONNECT|LISTEN)"/ nocase ascii wide
        $v_close = /(==\s*|case\s+|Equals\s*\(\s*|_OPERATION\s*=\s*)"DISCONNECT"/ nocase ascii wide
        $v_in = /(==\s*|case\s+|Equals\s*\(\s*|_OPERATION\s*=\s*)"(FORWARD|SEND|WRITE)"/ nocase ascii wide
        $v_out = /(==\s*|case\s+|Equals\s*\(\s*|_OPERATION\s*=\s*)"(READ|RECV)"/ nocase ascii wide
        // the answer in the family's status headers
        $status = /"X-(STATUS|ERROR)"/ nocase ascii wide
        // a network object to carry it
        $net = /\b(Socket|TcpClient|TcpListener|HttpWebRequest|WebRequest|WebClient)\b/ ascii wide
        $req = /\bRequest\s*\.\s*(Headers|QueryString|InputStream|Form|Params|BinaryRead|Url)\b/ nocase ascii wide
        $page = /<%\s*@\s*((Page|WebHandler|WebService|Control)\b|\w[\w:]*\s*=)/ nocase ascii wide
        $runat = /runat\s*=\s*["']?server/ nocase ascii wide
        $block = /<%[^@\-#$]/ ascii wide
        $ctx = /(HttpContext\s*\.\s*Current\b|\bIHttpHandler\b|\bIHttpModule\b)/ ascii wide
        $log1 = "GET /" ascii
        $log2 = "POST /" ascii
        $log3 = "#Fields:" ascii
        // a compiled PE file (MZ header, PE signature at e_lfanew) is no page: "<%", "runat" and the rule's
        // names occur by chance in IL, metadata and resources (the lead's mono tree, X49 session 20)
    condition:
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 16MB and not any of ($log*) and ($page or $runat or $block or $ctx) and
        all of ($v_*) and $status and $net and $req
}

/*
  Issue 14, helper X49 (session 20): a page that opens a listening TCP port the visitor chooses. The
  "ferryman" bind tunnel (X3/X4) listens on a port from the query string and sends the request body to whoever
  connects; the behaviour analysis finds it (socket), but X44's siblings reading the port from a text box or
  an <input runat=server> were found by nothing, and no YARA rule named any of them. The rule wants a server
  page that builds a TcpListener (or binds a Socket and listens) on an address or port taken from the request
  or a server control, and accepts a connection. A listener on a fixed port in a page has no request in it and
  is left to the behaviour analysis; services' own listeners are class files, not pages.
*/

rule EXT_WEBSHELL_Page_Listens_On_Given_Port
{
    meta:
        author = "extriage"
        description = "Bind tunnel: a server page listens on a TCP port (or address) the request or a text box gives, and accepts connections"
        family = "socket tunnel"
        severity = "critical"
        outcome = "webshell"
        wave = "any"
        attack = "T1505.003,T1090,T1571"
    strings:
        $listen1 = /\bnew\s+(System\s*\.\s*Net\s*\.\s*Sockets\s*\.\s*)?TcpListener\s*\([^;\r\n]{0,160}(\bRequest\b|\.\s*(Text|Value)\b)/ nocase ascii wide
        $listen2 = /\bnew\s+(System\s*\.\s*Net\s*\.\s*)?IPEndPoint\s*\([^;\r\n]{0,160}(\bRequest\b|\.\s*(Text|Value)\b)/ nocase ascii wide
        $bind = /\.\s*Listen\s*\(/ ascii wide
        $accept = /\.\s*(AcceptSocket|AcceptTcpClient|Accept|AcceptSocketAsync|AcceptTcpClientAsync|AcceptAsync)\s*\(/ ascii wide
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
        not (uint16(0) == 0x5A4D and uint32(0x3C) < filesize - 4 and uint32(uint32(0x3C)) == 0x00004550) and filesize < 64MB and not any of ($log*) and ($page or $runat or $block) and $accept and
        ($listen1 or ($listen2 and $bind))
}
