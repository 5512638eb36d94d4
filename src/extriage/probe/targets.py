"""Turn what the user typed (hosts, IPs, ``host:port``, URLs, CIDR ranges) into probe targets.

Invalid entries are not fatal: they become targets that carry an ``error`` so the run reports them
by name and carries on. CIDR ranges are expanded lazily up to a cap so a typo like ``10.0.0.0/8``
cannot queue 16 million hosts.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_MAX_TARGETS = 65_536

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?$"
)
_PLAIN_HTTP_PORTS = frozenset({80, 8080, 8000})


@dataclass(frozen=True)
class Target:
    """One endpoint to probe. ``text`` is the input as given (reported back verbatim)."""

    text: str
    scheme: str = "https"
    host: str = ""
    port: int = 443
    error: str | None = None
    #: True when the scheme was guessed (bare host/IP): a TLS failure that looks like plain HTTP
    #: may then be retried over http.
    scheme_guessed: bool = False

    @property
    def is_ip(self) -> bool:
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            return False
        return True

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return f"{self.scheme}://{host}" + ("" if self.port == default else f":{self.port}")

    @property
    def key(self) -> tuple[str, int]:
        """Per-host limits apply to this (one server endpoint)."""
        return (self.host.lower(), self.port)


class TargetError(ValueError):
    """Raised for a targets file that cannot be read (a user error, one sentence)."""


def _bad(text: str, reason: str) -> Target:
    return Target(text=text, host="", error=reason)


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        # An all-digit last label is a malformed IPv4 address ("300.1.1.1"), never a DNS name.
        if host.rstrip(".").rsplit(".", 1)[-1].isdigit():
            return False
        return bool(_HOSTNAME.match(host))


def _with_port(text: str, scheme: str | None, host: str, port: int | None) -> Target:
    if not host or not _valid_host(host):
        return _bad(text, f"not a valid host name or IP address: {host or text!r}")
    if port is not None and not 0 < port < 65536:
        return _bad(text, f"port out of range: {port}")
    guessed = scheme is None
    if scheme is None:
        scheme = "http" if port in _PLAIN_HTTP_PORTS else "https"
    if port is None:
        port = 443 if scheme == "https" else 80
    return Target(text=text, scheme=scheme, host=host.rstrip(".").lower(), port=port, scheme_guessed=guessed)


def parse_one(text: str, max_targets: int = DEFAULT_MAX_TARGETS) -> Iterator[Target]:
    """Yield the targets one input entry stands for (several for a CIDR range)."""
    raw = text.strip()
    if not raw:
        return
    if "://" in raw:
        try:
            parts = urlsplit(raw)
            port = parts.port
        except ValueError as exc:
            yield _bad(raw, f"not a valid URL: {exc}")
            return
        if parts.scheme.lower() not in ("http", "https"):
            yield _bad(raw, f"unsupported URL scheme {parts.scheme!r} (use http or https)")
            return
        yield _with_port(raw, parts.scheme.lower(), parts.hostname or "", port)
        return
    if "/" in raw:
        try:
            net = ipaddress.ip_network(raw, strict=False)
        except ValueError:
            yield _bad(raw, "not a valid CIDR range, host, host:port or URL")
            return
        size = net.num_addresses
        if size > max_targets:
            yield _bad(
                raw,
                f"CIDR range has {size} addresses, more than the cap of {max_targets} (raise --max-targets)",
            )
            return
        hosts: Iterable[object] = net.hosts() if size > 2 else iter(net)
        for ip in hosts:
            yield _with_port(str(ip), None, str(ip), None)
        return
    if raw.startswith("["):  # [v6]:port
        m = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?", raw)
        if not m:
            yield _bad(raw, "not a valid [IPv6]:port")
            return
        yield _with_port(raw, None, m.group(1), int(m.group(2)) if m.group(2) else None)
        return
    if raw.count(":") == 1:
        host, _, port_text = raw.partition(":")
        if not port_text.isdigit():
            yield _bad(raw, f"not a valid port: {port_text!r}")
            return
        yield _with_port(raw, None, host, int(port_text))
        return
    yield _with_port(raw, None, raw, None)


def parse_targets(entries: Iterable[str], max_targets: int = DEFAULT_MAX_TARGETS) -> list[Target]:
    """Parse and de-duplicate entries, keeping input order; stop at ``max_targets`` with an error entry."""
    seen: set[tuple[str, str, int]] = set()
    out: list[Target] = []
    for entry in entries:
        for t in parse_one(entry, max_targets):
            if t.error is None:
                ident = (t.scheme, t.host, t.port)
                if ident in seen:
                    continue
                seen.add(ident)
            if len(out) >= max_targets:
                out.append(
                    _bad(
                        entry.strip(),
                        f"target cap of {max_targets} reached; the rest of the input was not probed",
                    )
                )
                return out
            out.append(t)
    return out


#: A targets file larger than this is refused (a million targets fit in a few tens of MB).
MAX_TARGETS_FILE_BYTES = 256 * 1024**2


def read_targets_file(path: str) -> list[str]:
    """Lines of a targets file; ``#`` starts a comment; blank lines ignored. Only a regular file is
    read, within a size bound (a FIFO or ``/dev/zero`` would hang or exhaust memory)."""
    from extriage.userfiles import UserFileError, read_bounded

    try:
        data = read_bounded(path, MAX_TARGETS_FILE_BYTES, "targets file")
    except UserFileError as exc:
        raise TargetError(f"Cannot use the targets file: {exc}") from None
    lines = []
    for line in data.decode("utf-8", errors="replace").splitlines():
        if len(line) > 4096:
            raise TargetError(
                f"Targets file {path} has a line longer than 4096 characters; is it a list of targets?"
            )
        if "\x00" in line or "\ufffd" in line:
            raise TargetError(f"Targets file {path} is not a UTF-8 text file (it holds binary data).")
        entry = line.split("#", 1)[0].strip()
        if entry:
            lines.extend(entry.replace(",", " ").split())
    return lines
