"""Which log family a file belongs to: by its place in an Exchange/IIS tree, else by its first bytes.

Evidence often arrives as a plain folder of logs with the directory structure lost, so the header a
log writes into its first lines (``#Log-type: HttpProxy Logs``, ``#Software: Microsoft Internet
Information Services``...) is as good as its path. Both tables are data so new families (Rps_Http,
...) are one line each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: How many leading bytes are read to recognise a log by its header.
SNIFF_BYTES = 8192


@dataclass(frozen=True, slots=True)
class FamilyMatch:
    family: str  # "httpproxy", "iis", "ecp", "oabgen", "rps_http", ...
    protocol: str = ""  # HttpProxy protocol folder ("ecp", "owa", ...) or IIS site folder ("w3svc1")
    how: str = "path"  # "path" or "header"


#: (family, regex over the lower-case "/"-separated path key; group 1 = protocol/site when present)
PATH_FAMILIES: list[tuple[str, re.Pattern[str]]] = [
    ("httpproxy", re.compile(r"/logging/httpproxy/([^/]+)/[^/]+$")),
    ("ecp", re.compile(r"/logging/ecp/server/[^/]+$")),
    ("oabgen", re.compile(r"/logging/oabgeneratorlog/(?:[^/]+/)*[^/]+$")),
    ("rps_http", re.compile(r"/logging/cmdletinfra/powershell-proxy/http/[^/]+$")),
    ("iis", re.compile(r"/(w3svc\d+)/u_ex\d+[^/]*\.log$")),
]

#: (family, regex over the first bytes, decoded as latin-1, case-insensitive)
HEADER_FAMILIES: list[tuple[str, re.Pattern[str]]] = [
    ("httpproxy", re.compile(r"^#Log-type:\s*HttpProxy Logs", re.M | re.I)),
    ("ecp", re.compile(r"^#Log-type:\s*ECP Server Log", re.M | re.I)),
    ("rps_http", re.compile(r"^#Log-type:\s*Rps Http Logs?", re.M | re.I)),
    ("iis", re.compile(r"^#Software:\s*Microsoft Internet Information Services", re.M | re.I)),
    ("iis", re.compile(r"^#Fields:\s*date time s-", re.M | re.I)),
    # OABGenerator logs have no header of their own; their lines name the component.
    ("oabgen", re.compile(r"OABGenerator|OABGen[^a-z]|Download failed and temporary file", re.I)),
]

_FILE_EXTS = (".log", ".txt", ".csv")


def family_from_path(key: str) -> FamilyMatch | None:
    """The family implied by where the file sits (key = lower-case, "/"-separated logical path)."""
    k = "/" + key
    for family, rx in PATH_FAMILIES:
        m = rx.search(k)
        if m:
            proto = m.group(1) if m.groups() else ""
            return FamilyMatch(family, proto or "", "path")
    return None


def family_from_header(head: bytes) -> FamilyMatch | None:
    """The family a log announces in its first bytes (``head``: the first :data:`SNIFF_BYTES`)."""
    if b"\x00" in head[:512]:
        return None  # binary (or UTF-16, which Exchange/IIS never write)
    text = head.decode("latin-1")
    for family, rx in HEADER_FAMILIES:
        if rx.search(text):
            return FamilyMatch(family, "", "header")
    return None


def could_be_log(key: str) -> bool:
    """Cheap gate before sniffing: text-log extensions, or files under a ``logging``/``logfiles`` folder."""
    return key.endswith(_FILE_EXTS) or "/logging/" in key or "/logfiles/" in key
