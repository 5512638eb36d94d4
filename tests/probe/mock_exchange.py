"""A realistic mock of Exchange front ends for the probe tests and benchmark (127.0.0.1 only).

One Starlette app serves every profile; which profile answers is chosen by the listening port
(``scope["server"]``) or, for virtual hosts, by the Host header. Load-balanced profiles pick a node
round-robin per client connection (by client port), like an L4 balancer. Behaviour the ASGI layer
cannot express — an IIS URL Rewrite ``AbortRequest`` (connection reset without a response), garbage
bytes, hanging after connect, a huge body — is served by small raw asyncio servers.

Response shapes follow remote-probe.md §2.1 / §6 (OWA path, ``X-OWA-Version``, export-tool manifest,
``X-FEServer``, federated redirects, ``X-CalculatedBETarget``, MAPI page with ``Version:``).
"""

from __future__ import annotations

import asyncio
import itertools
import re
import socket
import ssl
import threading
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

MANIFEST = """<?xml version="1.0" encoding="utf-8"?>
<asmv1:assembly xsi:schemaLocation="urn:schemas-microsoft-com:asm.v1 assembly.adaptive.xsd" manifestVersion="1.0" xmlns:asmv1="urn:schemas-microsoft-com:asm.v1" xmlns="urn:schemas-microsoft-com:asm.v2" xmlns:asmv2="urn:schemas-microsoft-com:asm.v2" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <assemblyIdentity name="microsoft.exchange.ediscovery.exporttool.application" version="{build}" publicKeyToken="b1d1a6c45aa418ce" language="neutral" processorArchitecture="msil" xmlns="urn:schemas-microsoft-com:asm.v1" />
  <description asmv2:publisher="Microsoft Corporation" asmv2:product="Microsoft Exchange eDiscovery Export Tool" xmlns="urn:schemas-microsoft-com:asm.v1" />
</asmv1:assembly>
"""

LOGON_2013 = """<!DOCTYPE html>
<!-- {{57A118C6-2DA9-419d-BE9A-F92B0F9A418B}} -->
<!-- OwaPage = ASP.auth_logon_aspx -->
<html><head><title>Outlook</title>
<link rel="shortcut icon" href="/owa/auth/{cu}/themes/resources/favicon.ico" type="image/x-icon">
<link type="text/css" rel="stylesheet" href="/owa/auth/{cu}/themes/resources/logon.css">
</head><body>To use Outlook, browser settings must allow scripts to run.</body></html>
"""

LOGON_2010 = """<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<!-- OwaPage = ASP.auth_logon_aspx -->
<html><head><title>Outlook Web App</title>
<link type="text/css" rel="stylesheet" href="/owa/{build}/themes/base/logon.css">
<link rel="shortcut icon" href="/owa/{build}/themes/base/favicon.ico" type="image/x-icon">
</head><body></body></html>
"""

NSPI_PAGE = """<html><head><title>Exchange MAPI/HTTP Connectivity Endpoint</title></head><body>
<p>Exchange MAPI/HTTP Connectivity Endpoint<br><br>Version: {build}<br>Vdir Path: /mapi/nspi/<br><br>
User: NT AUTHORITY\\SYSTEM<br>UPN: <br>SID: S-1-5-18<br>Organization: <br>Cafe Server: {fe}<br></p></body></html>
"""

_ECP_FOLDER = re.compile(
    r"/ecp/(\d+\.\d+\.\d+\.\d+)/exporttool/microsoft\.exchange\.ediscovery\.exporttool\.application"
)
IIS_404 = "<!DOCTYPE html><html><head><title>404 - File or directory not found.</title></head><body>Server Error</body></html>"
IIS_DEFAULT = "<!DOCTYPE html><html><head><title>IIS Windows Server</title></head><body><img src='iisstart.png'></body></html>"


@dataclass
class Profile:
    """How one mock server behaves."""

    name: str
    nodes: list[tuple[str, str]] = field(default_factory=list)  # (X-FEServer, full build)
    owa_version_header: bool = False
    exporttool: bool = True
    federated: bool = False
    behaviour: str = "vulnerable"  # vulnerable | patched: what --confirm requests see
    exchange: bool = True
    delay: float = 0.0
    vhost: str | None = None  # Exchange only for this Host; otherwise an IIS default site
    ecp_folders: bool = True  # /ecp/<build>/exporttool/… answers for the installed build
    ecp_wildcard: bool = False  # a broken front end that answers 200 for any /ecp/<x>/ path


class _Nodes:
    """Round-robin node per client connection (client address), like an L4 balancer."""

    def __init__(self) -> None:
        self.assigned: dict[tuple[str, int, int], int] = {}
        self.counter: dict[int, itertools.count[int]] = {}

    def pick(self, port: int, client: tuple[str, int] | None, n: int) -> int:
        if n <= 1:
            return 0
        key = (client[0] if client else "", client[1] if client else 0, port)
        if key not in self.assigned:
            c = self.counter.setdefault(port, itertools.count())
            self.assigned[key] = next(c) % n
            if len(self.assigned) > 100_000:
                self.assigned.clear()
        return self.assigned[key]


def make_app(profiles: dict[int, Profile]) -> Starlette:
    nodes = _Nodes()

    async def handle(request: Request) -> Response:
        port = request.scope["server"][1] if request.scope.get("server") else 0
        prof = profiles.get(port)
        if prof is None:
            return PlainTextResponse("no profile", status_code=500)
        if prof.delay:
            await asyncio.sleep(prof.delay)
        host = (request.headers.get("host") or "").split(":")[0].lower()
        if not prof.exchange or (prof.vhost and host != prof.vhost):
            status = 200 if request.url.path == "/" else 404
            return HTMLResponse(
                IIS_DEFAULT if status == 200 else IIS_404,
                status_code=status,
                headers={"Server": "Microsoft-IIS/10.0"},
            )
        fe, build = prof.nodes[nodes.pick(port, request.scope.get("client"), len(prof.nodes))]
        is2010 = build.startswith(("14.", "8."))
        cu = ".".join(build.split(".")[:3])
        headers = {"Server": "Microsoft-IIS/10.0", "X-Powered-By": "ASP.NET"}
        if not is2010:
            headers["X-FEServer"] = fe
        if prof.owa_version_header:
            headers["X-OWA-Version"] = build
        path = request.url.path.lower()
        query = unquote(request.url.query).lower()
        cookie = request.headers.get("cookie", "")
        if path == "/owa/auth/logon.aspx":
            if prof.federated:
                loc = "https://adfs.example.test/adfs/ls/?wa=wsignin1.0&wtrealm=https%3a%2f%2fmail.example.test%2fowa%2f&wctx=rm%3d0%26id%3dpassive%26ru%3d%252fowa%252f"
                return RedirectResponse(loc, status_code=302, headers=headers)
            body = LOGON_2010.format(build=build) if is2010 else LOGON_2013.format(cu=cu)
            return HTMLResponse(body, headers=headers)
        if path == "/ecp/current/exporttool/microsoft.exchange.ediscovery.exporttool.application":
            if prof.exporttool and not is2010:
                return Response(
                    MANIFEST.format(build=build), media_type="application/x-ms-application", headers=headers
                )
            return HTMLResponse(IIS_404, status_code=404, headers=headers)
        m = _ECP_FOLDER.fullmatch(path)
        if m and not is2010:
            if prof.ecp_wildcard or (prof.ecp_folders and m.group(1) == build):
                return Response(
                    MANIFEST.format(build=build), media_type="application/x-ms-application", headers=headers
                )
            return HTMLResponse(IIS_404, status_code=404, headers=headers)
        if path == "/autodiscover/autodiscover.xml":
            headers["WWW-Authenticate"] = "Negotiate"
            return PlainTextResponse("", status_code=401, headers=headers)
        if path == "/owa/auth/x.js":
            if "X-AnonResource-Backend=localhost" in cookie and prof.behaviour == "vulnerable":
                headers["X-CalculatedBETarget"] = "localhost"
                return PlainTextResponse(
                    "NegotiateSecurityContext failed with for host 'localhost'",
                    status_code=500,
                    headers=headers,
                )
            headers["X-CalculatedBETarget"] = f"{fe.lower()}.contoso.local"
            return HTMLResponse(IIS_404, status_code=404, headers=headers)
        if path == "/autodiscover/autodiscover.json":
            if "/mapi/nspi" in query:
                if prof.behaviour == "vulnerable":
                    return HTMLResponse(NSPI_PAGE.format(build=build, fe=fe), headers=headers)
                return PlainTextResponse("", status_code=400, headers=headers)
            return PlainTextResponse(
                "", status_code=401 if prof.behaviour == "vulnerable" else 400, headers=headers
            )
        return HTMLResponse(IIS_404, status_code=404, headers=headers)

    return Starlette(routes=[Route("/{path:path}", handle, methods=["GET", "POST", "HEAD"])])


# --- TLS material -----------------------------------------------------------------------------
def make_cert(
    directory: Path,
    cn: str = "mail.example.test",
    san: tuple[str, ...] = ("mail.example.test", "autodiscover.example.test"),
) -> tuple[Path, Path]:
    """A throw-away self-signed certificate (generated per test session; no key material committed)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    if cert_path.exists():
        return cert_path, key_path
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in san]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def server_context(cert: Path, key: Path, legacy_only: bool = False) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert), str(key))
    if legacy_only:  # TLS 1.0 only, like Exchange 2010/2013 on an unhardened Windows 2008 R2
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1
    return ctx


def bound_socket() -> socket.socket:
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose proto is TCP,
    # and without it every keep-alive response waits ~40 ms for a delayed ACK (Nagle).
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(1024)
    s.setblocking(False)
    return s


def free_port() -> int:
    """A port nobody listens on (for 'connection refused')."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port: int = s.getsockname()[1]
    s.close()
    return port


# --- raw servers (what ASGI cannot express) ----------------------------------------------------
RawHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _read_head(reader: asyncio.StreamReader) -> bytes | None:
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return None


def _abort(writer: asyncio.StreamWriter) -> None:
    transport = writer.transport
    sock = transport.get_extra_info("socket")
    if sock is not None:  # RST like IIS AbortRequest
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        except OSError:
            pass
    transport.abort()


_COOKIE_RULES = (
    re.compile(r"(.*)X-AnonResource-Backend(.*)", re.I),
    re.compile(r"(.*)X-BEResource=(.+)/(.+)~(.+)", re.I),
)
_URI_RULE = re.compile(r"(?=.*autodiscover)(?=.*powershell)", re.I)


def rewrite_abort_proxy(upstream_port: int) -> RawHandler:
    """The EOMT/EOMTv2 URL Rewrite rules in front of an upstream mock: matching requests are aborted
    (connection reset, no response); others are forwarded (one request per connection)."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await _read_head(reader)
        if head is None:
            writer.close()
            return
        text = head.decode("latin-1")
        first = text.split("\r\n", 1)[0]
        uri = first.split(" ")[1] if first.count(" ") >= 2 else ""
        cookies = " ".join(
            line.split(":", 1)[1] for line in text.split("\r\n") if line.lower().startswith("cookie:")
        )
        if any(r.search(cookies) for r in _COOKIE_RULES) or _URI_RULE.search(unquote(uri)):
            _abort(writer)
            return
        lines = [ln for ln in text.split("\r\n") if ln and not ln.lower().startswith("connection:")]
        await _relay("127.0.0.1", upstream_port, lines, writer)

    return handler


async def _relay(host: str, port: int, lines: list[str], writer: asyncio.StreamWriter) -> None:
    """Send the request head ``lines`` upstream with ``Connection: close`` and copy the answer back."""
    up_r, up_w = await asyncio.open_connection(host, port)
    up_w.write(("\r\n".join(lines) + "\r\nConnection: close\r\n\r\n").encode("latin-1"))
    await up_w.drain()
    data = await up_r.read()
    up_w.close()
    writer.write(data)
    await writer.drain()
    writer.close()


def forward_proxy(seen: list[str]) -> RawHandler:
    """A minimal HTTP forward proxy (absolute-form GET only, one request per connection) that
    records every request line it relays — to show ``--proxy`` really routes through it."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await _read_head(reader)
        if head is None:
            writer.close()
            return
        text = head.decode("latin-1")
        first, _, rest = text.partition("\r\n")
        method, url, _version = first.split(" ", 2)
        seen.append(f"{method} {url}")
        m = re.match(r"http://([^/:]+):(\d+)(/.*)", url)
        if not m:
            writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
            writer.close()
            return
        lines = [
            ln for ln in rest.split("\r\n") if ln and not ln.lower().startswith(("connection:", "proxy-"))
        ]
        await _relay(m.group(1), int(m.group(2)), [f"{method} {m.group(3)} HTTP/1.1", *lines], writer)

    return handler


def socks5_proxy(seen: list[str]) -> RawHandler:
    """A minimal SOCKS5 server (no auth, CONNECT only) that records each destination."""

    async def pipe(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            while data := await r.read(65536):
                w.write(data)
                await w.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            w.close()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            _ver, n = await reader.readexactly(2)
            await reader.readexactly(n)
            writer.write(b"\x05\x00")
            _v, _cmd, _rsv, atyp = await reader.readexactly(4)
            if atyp == 1:
                host = socket.inet_ntoa(await reader.readexactly(4))
            elif atyp == 3:
                host = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
            else:
                writer.close()
                return
            port = int.from_bytes(await reader.readexactly(2), "big")
            seen.append(f"{host}:{port}")
            up_r, up_w = await asyncio.open_connection(host, port)
            writer.write(b"\x05\x00\x00\x01\x7f\x00\x00\x01\x00\x00")
            await writer.drain()
            await asyncio.gather(pipe(reader, up_w), pipe(up_r, writer))
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            writer.close()

    return handler


async def garbage_handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_head(reader)
    writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\x00\x01\x02garbage\xff\xfe\r\n\r\n")
    await writer.drain()
    writer.close()


async def drip_handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers, then sends one header byte every 0.2 s forever (slowloris in reverse)."""
    if await _read_head(reader) is None:
        return
    writer.write(b"HTTP/1.1 200 OK\r\nX-Drip: ")
    try:
        while True:
            writer.write(b"a")
            await writer.drain()
            await asyncio.sleep(0.2)
    except (ConnectionError, OSError):
        pass


async def hang_handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(3600)


async def huge_handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    head = await _read_head(reader)
    if head is None:
        return
    size = 200 * 1024 * 1024
    writer.write(f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {size}\r\n\r\n".encode())
    chunk = b"A" * 65536
    try:
        for _ in range(size // len(chunk)):
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


# --- running it all in a background thread ----------------------------------------------------
class MockFarm:
    """Starts uvicorn (plain and TLS) and raw servers on 127.0.0.1 in one background event loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.servers: list[uvicorn.Server] = []
        self.raw: list[asyncio.base_events.Server] = []

    def _run(self, coro: Awaitable[object]) -> object:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)  # type: ignore[arg-type]

    def start_uvicorn(self, profiles: list[Profile], ssl_ctx: ssl.SSLContext | None = None) -> list[int]:
        socks = [bound_socket() for _ in profiles]
        ports = [s.getsockname()[1] for s in socks]
        app = make_app(dict(zip(ports, profiles, strict=True)))
        kwargs: dict[str, object] = {}
        if ssl_ctx is not None:
            kwargs["ssl_context_factory"] = lambda _cfg, _default: ssl_ctx
        config = uvicorn.Config(
            app,
            lifespan="off",
            log_level="critical",
            access_log=False,
            server_header=False,
            backlog=2048,
            timeout_keep_alive=30,
            **kwargs,
        )
        server = uvicorn.Server(config)
        server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self.servers.append(server)
        asyncio.run_coroutine_threadsafe(server.serve(sockets=socks), self.loop)
        for _ in range(200):
            if server.started:
                break
            threading.Event().wait(0.02)
        return ports

    def start_raw(self, handler: RawHandler, ssl_ctx: ssl.SSLContext | None = None) -> int:
        async def start() -> int:
            srv = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=ssl_ctx)
            self.raw.append(srv)
            port: int = srv.sockets[0].getsockname()[1]
            return port

        return int(self._run(start()))  # type: ignore[call-overload]

    def close(self) -> None:
        for s in self.servers:
            s.should_exit = True

        async def stop() -> None:
            for r in self.raw:
                r.close()
            await asyncio.sleep(0.3)
            # handlers still parked (hang, drip) are cancelled, so the loop stops with no pending task
            me = asyncio.current_task()
            pending = [t for t in asyncio.all_tasks() if t is not me]
            for t in pending:
                t.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

        try:
            self._run(stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)
