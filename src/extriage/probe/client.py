"""The HTTP side of the probe: one shared httpx client with the politeness limits.

Global concurrency limit, at most ``per_host`` requests in flight per server endpoint (host, port),
a per-host rate limit, keep-alive, connect/read timeouts plus an overall per-request deadline
(a server that drips bytes cannot hold a slot forever), one retry on transport errors, an optional
HTTP/SOCKS proxy and capped response bodies (read raw, never decompressed). Every failure becomes
an :class:`~extriage.probe.signals.Observation` with a one-line reason — nothing raises.
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any

import httpx

from extriage.probe import USER_AGENT
from extriage.probe.signals import Observation
from extriage.probe.targets import Target
from extriage.probe.tls import cert_facts, client_context

DEFAULT_MAX_BODY = 256 * 1024


@dataclass
class ClientOptions:
    concurrency: int = 200
    per_host: int = 2
    rate_per_host: float = 20.0  # requests per second per host; 0 = unlimited
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    retries: int = 1
    proxy: str | None = None
    verify: bool = False
    ca_file: str | None = None
    max_body: int = DEFAULT_MAX_BODY
    user_agent: str = USER_AGENT
    #: Overall limit per request (a server dripping bytes never trips the read timeout);
    #: None = connect + 3 x read + 5 s.
    deadline: float | None = None


class _HostGate:
    """At most ``per_host`` requests in flight and at most ``rate`` request starts per second."""

    def __init__(self, per_host: int, rate: float) -> None:
        self.sem = asyncio.Semaphore(max(1, per_host))
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next_start = 0.0
        self.lock = asyncio.Lock()

    async def pace(self) -> None:
        if not self.interval:
            return
        async with self.lock:
            now = time.monotonic()
            wait = self.next_start - now
            self.next_start = max(now, self.next_start) + self.interval
        if wait > 0:
            await asyncio.sleep(wait)


def _root_cause(exc: BaseException) -> BaseException:
    seen = 0
    nxt = exc.__cause__ or exc.__context__
    while nxt is not None and seen < 8:
        exc = nxt
        nxt = exc.__cause__ or exc.__context__
        seen += 1
    return exc


def describe_error(exc: BaseException, opts: ClientOptions) -> tuple[str, bool]:
    """One-line reason and whether it looks like the server aborting the request (URL Rewrite)."""
    root = _root_cause(exc)
    text = str(root) or type(root).__name__
    if isinstance(exc, httpx.ConnectTimeout):
        return f"connection timed out after {opts.connect_timeout:g}s", False
    if isinstance(exc, httpx.ReadTimeout):
        return f"no response within {opts.read_timeout:g}s (read timeout)", False
    if isinstance(exc, httpx.PoolTimeout | httpx.WriteTimeout):
        return f"timed out ({type(exc).__name__})", False
    if isinstance(root, ssl.SSLError) or "SSL" in text:
        return f"TLS handshake failed: {_tls_reason(root, text)}", False
    if isinstance(exc, httpx.ConnectError):
        low = text.lower()
        if (
            isinstance(root, socket.gaierror)
            or "name or service not known" in low
            or "nodename nor servname" in low
            or "getaddrinfo" in low
            or "no address associated" in low
            or "temporary failure in name resolution" in low
        ):
            return f"DNS lookup failed: {text}", False
        if "refused" in low or isinstance(root, ConnectionRefusedError):
            return "connection refused", False
        return f"cannot connect: {text}", False
    if isinstance(exc, httpx.RemoteProtocolError):
        if "without sending" in text or "disconnected" in text.lower():
            return "connection closed without a response", True
        # h11 quotes what it got as a bytearray repr: show the bytes as the service sent them
        text = re.sub(r"bytearray\(b(['\"].*?['\"])\)", r"\1", text)
        return f"not a valid HTTP response ({text}): is this port a web server?", False
    if isinstance(exc, httpx.ReadError):
        return f"connection reset while waiting for the response: {text}", True
    if isinstance(exc, httpx.ProxyError):
        return f"proxy error: {text}", False
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return f"invalid request URL: {text}", False
    return f"{type(exc).__name__}: {text}", False


def _tls_reason(root: BaseException, text: str) -> str:
    """OpenSSL's message without its code prefix and source location: ``[SSL: WRONG_VERSION_NUMBER] wrong
    version number (_ssl.c:1006)`` -> ``wrong version number`` (the code is kept when the text does not
    already say it)."""
    reason = getattr(root, "reason", None)
    plain = re.sub(r"\s*\(_ssl\.c:\d+\)\s*$", "", text)
    plain = re.sub(r"^\[SSL(?:: [A-Z0-9_]+)?\]\s*", "", plain).strip() or text
    if isinstance(reason, str) and reason and reason.replace("_", " ").lower() not in plain.lower():
        return f"{plain} ({reason})"
    return plain


def http_hint(target_text: str, host: str, port: int) -> str:
    """The sentence that tells the user how to probe the same port over plain HTTP."""
    shown = f"[{host}]" if ":" in host else host
    return f"if {target_text} serves plain HTTP, probe http://{shown}:{port} instead"


def looks_like_plain_http(reason: str) -> bool:
    low = reason.lower()
    return (
        "wrong_version_number" in low
        or "wrong version number" in low
        or "record layer failure" in low
        or "http request" in low
    )


class ProbeClient:
    """Owns the shared httpx client and the per-host gates; use as an async context manager."""

    def __init__(self, opts: ClientOptions) -> None:
        self.opts = opts
        self.global_sem = asyncio.Semaphore(max(1, opts.concurrency))
        self._gates: dict[tuple[str, int], _HostGate] = {}
        self.ssl_context = client_context(opts.verify, opts.ca_file)
        self.timeout = httpx.Timeout(
            connect=opts.connect_timeout,
            read=opts.read_timeout,
            write=opts.read_timeout,
            pool=opts.connect_timeout + opts.read_timeout,
        )
        self.timeout_ext = self.timeout.as_dict()
        self.base_headers = {"User-Agent": opts.user_agent, "Accept": "*/*", "Accept-Encoding": "identity"}
        self.deadline = opts.deadline or (opts.connect_timeout + 3 * opts.read_timeout + 5.0)

    async def __aenter__(self) -> ProbeClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def session(self) -> httpx.AsyncHTTPTransport:
        """httpx's transport for one target (keep-alive within the target), used without the
        client layer: we need no cookies, auth, redirects or URL merging, and skipping them halves
        the CPU per request. One shared pool for thousands of origins would also cost
        O(connections) per request in httpcore; per-target pools keep it flat. The SSL context is
        built once and shared."""
        return httpx.AsyncHTTPTransport(
            verify=self.ssl_context,
            limits=httpx.Limits(
                max_connections=self.opts.per_host,
                max_keepalive_connections=self.opts.per_host,
                keepalive_expiry=15.0,
            ),
            proxy=self.opts.proxy,
            trust_env=False,
        )

    def gate(self, target: Target) -> _HostGate:
        g = self._gates.get(target.key)
        if g is None:
            g = self._gates[target.key] = _HostGate(self.opts.per_host, self.opts.rate_per_host)
        return g

    async def fetch(
        self,
        http: httpx.AsyncHTTPTransport,
        target: Target,
        base_url: str,
        label: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        close_after: bool = False,
        host_header: str | None = None,
        conn_ids: dict[object, int] | None = None,
        tls_out: dict[str, Any] | None = None,
    ) -> Observation:
        """One GET with retry; never raises. ``conn_ids`` maps connection objects to small numbers
        so the caller can tell which responses shared a connection (load-balancer nodes)."""
        sent: dict[str, str] = dict(headers or {})
        if close_after:
            sent["Connection"] = "close"
        extensions: dict[str, Any] = {}
        if host_header:
            sent["Host"] = host_header
            extensions["sni_hostname"] = host_header
        url = base_url + path
        obs = Observation(label=label, method="GET", url=url, sent_headers=sent)
        attempts = 1 + max(0, self.opts.retries)
        for attempt in range(attempts):
            obs = Observation(label=label, method="GET", url=url, sent_headers=sent)
            retry = await self._once(http, target, obs, extensions, conn_ids, tls_out)
            if not retry or attempt == attempts - 1:
                break
        return obs

    async def _once(
        self,
        http: httpx.AsyncHTTPTransport,
        target: Target,
        obs: Observation,
        extensions: dict[str, Any],
        conn_ids: dict[object, int] | None,
        tls_out: dict[str, Any] | None,
    ) -> bool:
        """Fill ``obs``; return True when a retry makes sense (transport failure)."""
        gate = self.gate(target)
        async with gate.sem:
            await gate.pace()  # wait for the host's rate limit without holding a global slot
            async with self.global_sem:
                await self._guarded(http, obs, extensions, conn_ids, tls_out)
        if obs.error is None:
            return False
        # Certificate/protocol verdicts do not change on a retry; timeouts/resets/refusals might.
        return not obs.error.startswith(
            ("TLS handshake failed", "not a valid HTTP", "invalid request", "DNS lookup")
        )

    async def _guarded(
        self,
        http: httpx.AsyncHTTPTransport,
        obs: Observation,
        extensions: dict[str, Any],
        conn_ids: dict[object, int] | None,
        tls_out: dict[str, Any] | None,
    ) -> None:
        """One request under the overall deadline; every failure lands in ``obs``."""
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.deadline):
                await self._request(http, obs, extensions, conn_ids, tls_out)
        except TimeoutError:
            obs.error = f"response took longer than {self.deadline:g}s; abandoned"
        except httpx.HTTPError as exc:
            obs.error, obs.aborted = describe_error(exc, self.opts)
        except (OSError, ssl.SSLError, ValueError) as exc:
            obs.error = f"{type(exc).__name__}: {exc}"
        obs.elapsed_ms = int((time.monotonic() - started) * 1000)

    async def _request(
        self,
        http: httpx.AsyncHTTPTransport,
        obs: Observation,
        extensions: dict[str, Any],
        conn_ids: dict[object, int] | None,
        tls_out: dict[str, Any] | None,
    ) -> None:
        headers = {**self.base_headers, **obs.sent_headers}
        req = httpx.Request(
            "GET", obs.url, headers=headers, extensions={**extensions, "timeout": self.timeout_ext}
        )
        resp = await http.handle_async_request(req)
        try:
            obs.status = resp.status_code
            obs.headers = [(k, v) for k, v in resp.headers.multi_items()][:200]
            stream = resp.extensions.get("network_stream")
            if stream is not None:
                if conn_ids is not None:
                    obs.connection = conn_ids.setdefault(stream, len(conn_ids) + 1)
                if tls_out is not None and not tls_out:
                    sslobj = stream.get_extra_info("ssl_object")
                    if sslobj is not None:
                        tls_out.update(cert_facts(sslobj.getpeercert(binary_form=True)))
                        tls_out["version"] = sslobj.version()
                        cipher = sslobj.cipher()
                        tls_out["cipher"] = cipher[0] if cipher else None
            chunks: list[bytes] = []
            size = 0
            body = resp.stream
            if not isinstance(body, httpx.AsyncByteStream):  # pragma: no cover - transport contract
                raise TypeError("async transport returned a sync stream")
            async for chunk in body:  # raw bytes straight from the transport: no decoding, no chunker
                take = chunk[: self.opts.max_body - size]
                chunks.append(take)
                size += len(take)
                if size >= self.opts.max_body:
                    obs.truncated = True
                    break
            obs.body = b"".join(chunks)
        finally:
            await resp.aclose()
