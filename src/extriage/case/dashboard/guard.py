"""Who may use the dashboard and how its pages are served: token, CSRF, host check, headers.

The dashboard shows attacker text from many servers and lets a responder change a server's
response state, so it is served as a small hardened application:

* **loopback by default**; any other address must be asked for and then needs a token (given, or
  made and printed at start). The token is accepted as ``Authorization: Bearer``, as a cookie
  (``HttpOnly; SameSite=Strict``) or once as ``?token=`` on the first visit, which sets the cookie
  and redirects to the same page without it (so it does not stay in the address bar or history);
* **host check on loopback** (``Host`` must be a loopback name): a web page elsewhere cannot reach
  the dashboard through DNS rebinding;
* **CSRF**: every form carries a per-process secret, and a POST whose ``Origin`` or
  ``Sec-Fetch-Site`` says it came from another site is refused;
* **strict CSP** on every page (no inline script or style; the server report page gets the
  report's own hash-based policy), plus ``nosniff``, ``same-origin`` referrers, no framing, no caching.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from starlette.datastructures import URL, Headers

TOKEN_COOKIE = "extriage_case_token"  # noqa: S105 - the cookie's name, not a secret

#: The policy of every dashboard page (the report page replaces it with the report's own).
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # no address leaves for another site; same-site POSTs keep their Origin
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost`` (the names that never leave this machine)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class Access:
    """How this dashboard process is protected."""

    token: str | None  # None: loopback without a token
    loopback: bool
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    @staticmethod
    def for_bind(host: str, token: str | None) -> Access:
        """Loopback needs no token unless one is given; any other address always gets one."""
        loopback = is_loopback(host)
        if not loopback and not token:
            token = secrets.token_urlsafe(24)
        return Access(token=token or None, loopback=loopback)

    def token_ok(self, given: str | None) -> bool:
        return self.token is None or (given is not None and hmac.compare_digest(given.encode(), self.token.encode()))

    def csrf_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.csrf.encode())


def _host_name(host_header: str) -> str:
    if host_header.startswith("["):
        return host_header[1:].split("]", 1)[0]
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


class Guard:
    """ASGI middleware: host check, token, cross-site POST refusal, security headers."""

    def __init__(self, app: ASGIApp, access: Access) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if self.access.loopback and not is_loopback(_host_name(headers.get("host", ""))):
            await _plain(send, 421, "This dashboard answers only to a loopback host name (127.0.0.1, localhost, ::1).")
            return
        if self.access.token is not None:
            given_query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"))).get("token")
            if given_query is not None and self.access.token_ok(given_query):
                await _set_token_cookie(scope, send, self.access.token)
                return
            auth = headers.get("authorization", "")
            bearer = auth[7:] if auth.lower().startswith("bearer ") else None
            cookie = _cookie(headers.get("cookie", ""), TOKEN_COOKIE)
            if not (self.access.token_ok(bearer) or self.access.token_ok(cookie)):
                await _plain(send, 401, "This dashboard needs its token: open the address printed when it started.")
                return
        if scope["method"] not in ("GET", "HEAD") and _cross_site(headers):
            await _plain(send, 403, "Refused: this request came from another site.")
            return

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                names = {k.lower() for k, _ in raw}
                for name, value in BASE_HEADERS.items():
                    raw.append((name.lower().encode(), value.encode()))
                if b"content-security-policy" not in names:
                    raw.append((b"content-security-policy", PAGE_CSP.encode()))
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _cross_site(headers: Headers) -> bool:
    site = headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return True
    origin = headers.get("origin")
    if origin is None or origin == "null":  # not sent, or hidden by a referrer policy: the CSRF field decides
        return False
    host = headers.get("host", "")
    return URL(origin).netloc.lower() != host.lower()


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in BASE_HEADERS.items()]
    headers.append((b"content-security-policy", b"default-src 'none'"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _set_token_cookie(scope: Scope, send: Send, token: str) -> None:
    """Keep the token in a cookie and send the browser to the same page without ``?token=``."""
    query = [(k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1")) if k != "token"]
    location = quote(scope.get("path", "/")) + (("?" + urlencode(query)) if query else "")
    cookie = f"{TOKEN_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"
    headers = [(b"location", location.encode()), (b"set-cookie", cookie.encode()), (b"content-length", b"0")]
    headers += [(k.lower().encode(), v.encode()) for k, v in BASE_HEADERS.items()]
    await send({"type": "http.response.start", "status": 303, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
