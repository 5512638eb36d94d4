"""What ties the steps of one attack together when the client address is missing.

Quoted or stripped logs, and logs written behind a load balancer, have no (or one shared) client
address, yet the steps of one attack still share values the attacker had to repeat: the back-end
target of the forged ``X-BEResource``/``X-AnonResource-Backend`` cookie (``ServerInfo~a]@host:444``),
the ECP session canary (``msExchEcpCanary=``) every call after the logon carries, ProxyShell's
``X-Rps-CAT`` token and the ``autodiscover.json?@x`` marker, and the mailbox a step names. Each is a
*link key* ``kind:value`` (tokens as written, names lower-case); two findings sharing one belong to the same attack (the stories and the
success proofs of :mod:`extriage.detections.correlation` use them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from extriage.findings import Finding

#: (kind, fields looked at, regex whose group 1 is the value). Values are compared lower-case.
_KEYS: list[tuple[str, tuple[str, ...], re.Pattern[str]]] = [
    # the forged back-end cookie up to the path: junk prefix, host and port ("a]@exsrv.dom:444")
    ("beresource", ("AnchorMailbox", "BackEndCookie"),
     re.compile(r"Server(?:Info)?~([^/~#?,\s]*@[^/~#?,\s]+)", re.I)),
    # the back-end host the SSRF targeted, with or without the junk prefix
    ("target", ("AnchorMailbox", "BackEndCookie"),
     re.compile(r"Server(?:Info)?~(?:[^@/~#?,\s]*@)?([A-Za-z0-9][A-Za-z0-9.-]*)[:/]", re.I)),
    # the ECP session canary: issued by the logon, repeated by every later ECP call of the session
    ("canary", ("AnchorMailbox", "BackEndCookie", "c-uri", "UrlQuery", "cs-uri-query", "URL"),
     re.compile(r"msExchEcpCanary=([A-Za-z0-9_\-.]{8,})", re.I)),
    # ProxyShell: the forged PowerShell token and the attacker's "@x" of the path confusion
    ("rpscat", ("c-uri", "cs-uri-query", "UrlQuery"), re.compile(r"X-Rps-CAT=([A-Za-z0-9%+/=_-]{16,})", re.I)),
    ("confusion", ("c-uri", "cs-uri-query", "UrlQuery"),
     re.compile(r"autodiscover\.json(?:\?|%3f)@([^/&?#%\s]+)", re.I)),
    # a mailbox a step named (OWASSRF /owa/<mailbox>/powershell, exported or changed mailboxes)
    ("mailbox", ("c-uri", "cs-uri-stem", "UrlStem"), re.compile(r"^/owa/([^/@%]+(?:@|%40)[^/]+)/powershell", re.I)),
    ("mailbox", ("param.mailbox", "param.identity"), re.compile(r"^([^@\s]+@[^@\s]+)$")),
]

#: Kinds whose values are case-sensitive tokens (host names and addresses are compared lower-case).
_CASED = frozenset({"canary", "rpscat"})
#: How many evidence lines of one finding are looked at (findings keep at most 20 anyway).
_MAX_LINES = 20


def keys_of_fields(fields: Mapping[str, Any]) -> set[str]:
    """The link keys one parsed line or event holds."""
    out: set[str] = set()
    for kind, names, rx in _KEYS:
        for name in names:
            value = fields.get(name)
            if not value or not isinstance(value, str):
                continue
            m = rx.search(value)
            if m and m.group(1):
                value = m.group(1) if kind in _CASED else m.group(1).lower()
                out.add(f"{kind}:{value}")
    return out


def link_keys(finding: Finding) -> set[str]:
    """The link keys of a finding: those of its evidence lines."""
    out: set[str] = set()
    for ev in finding.evidence[:_MAX_LINES]:
        out |= keys_of_fields(ev.fields)
    return out


def describe(keys: Iterable[str]) -> str:
    """A short phrase naming what linked steps (for story titles): the strongest key kind first."""
    order = ("canary", "beresource", "rpscat", "confusion", "mailbox", "target")
    words = {"canary": "ECP session canary", "beresource": "X-BEResource target", "rpscat": "X-Rps-CAT token",
             "confusion": "autodiscover path-confusion marker", "mailbox": "mailbox", "target": "target server"}
    by_kind: dict[str, str] = {}
    for k in keys:
        kind, _, value = k.partition(":")
        by_kind.setdefault(kind, value)
    for kind in order:
        if kind in by_kind:
            value = by_kind[kind]
            shown = value if len(value) <= 40 else value[:37] + "..."
            return f"{words[kind]} {shown}"
    return ""
