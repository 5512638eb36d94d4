"""Read the cheap version signals out of one HTTP response (remote-probe.md §2.1, §6).

Pure functions over an :class:`Observation` so they can be tested with real header/body samples.
Sources and their precision:
- ``X-OWA-Version`` header: full build incl. SU (ignored on ``errorFE.aspx``, which echoes the query string);
- OWA resource path: ``/owa/auth/15.1.2176/`` is the CU only (2013+), ``/owa/14.3.169.1/`` is full (2010/2007);
- ECP export-tool ClickOnce manifest (parsed as XML): full build;
- ``/mapi/nspi/`` page reached through the ProxyShell path confusion (``--confirm`` only): full build;
- ``X-FEServer``: node name behind a load balancer (no version).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

#: Build in short (15.1.2176.9) or long (15.01.2176.009) form, 3 or 4 parts.
_BUILD = r"(\d{1,2}\.\d{1,2}\.\d{1,5}(?:\.\d{1,5})?)"
_OWA_PATH = re.compile(
    rb"/owa/(auth/)?(\d{1,2}\.\d{1,2}\.\d{1,5}(?:\.\d{1,5})?)/(?:themes|scripts|resources)/", re.I
)
_OWA_PAGE = re.compile(rb"<!--\s*OwaPage\s*=\s*ASP\.auth_logon_aspx\s*-->", re.I)
_OWA_TITLE = re.compile(
    rb"<title>\s*(Outlook|Outlook Web App|Exchange Log In|Microsoft Exchange - Outlook Web Access)\s*</title>",
    re.I,
)
_NSPI_TITLE = re.compile(rb"<title>\s*Exchange MAPI/HTTP Connectivity Endpoint\s*</title>", re.I)
_NSPI_VERSION = re.compile(rb"Version:\s*" + _BUILD.encode(), re.I)
_MANIFEST_NAME = "microsoft.exchange.ediscovery.exporttool"


def normalise_build(text: str) -> str | None:
    """``15.01.2176.009`` → ``15.1.2176.9``; ``None`` when not a 3/4-part build."""
    m = re.fullmatch(r"\s*" + _BUILD + r"\s*", text)
    if not m:
        return None
    return ".".join(str(int(p)) for p in m.group(1).split("."))


@dataclass
class Observation:
    """What one request saw. ``body`` is capped; ``aborted`` = connection closed without a response."""

    label: str
    method: str
    url: str
    connection: int = 0
    sent_headers: dict[str, str] = field(default_factory=dict)
    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    truncated: bool = False
    error: str | None = None
    aborted: bool = False
    elapsed_ms: int = 0

    def header(self, name: str) -> str | None:
        """Case-insensitive header lookup (servers vary: ``x-owa-version`` vs ``X-OWA-Version``)."""
        lname = name.lower()
        for k, v in self.headers:
            if k.lower() == lname:
                return v
        return None


@dataclass
class BuildSignal:
    build: str  # normalised short form
    parts: int  # 3 = CU only, 4 = full
    source: str  # "x-owa-version" | "owa-path" | "exporttool-manifest" | "mapi-nspi"
    label: str  # which request
    url: str
    raw: str  # the exact text it came from


@dataclass
class Facts:
    builds: list[BuildSignal] = field(default_factory=list)
    fe_server: str | None = None
    exchange_markers: list[str] = field(default_factory=list)
    location: str | None = None
    notes: list[str] = field(default_factory=list)


def _is_error_fe(url: str) -> bool:
    return "errorfe.aspx" in url.lower()


def parse_manifest(body: bytes) -> str | None:
    """Version of the export tool's ``assemblyIdentity`` (namespace-agnostic XML parse, never regex)."""
    if not body.lstrip().startswith(b"<"):
        return None
    try:
        root = ElementTree.fromstring(body)
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        return None
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""
        if tag != "assemblyIdentity":
            continue
        name = (el.get("name") or "").lower()
        if name.startswith(_MANIFEST_NAME):
            return normalise_build(el.get("version") or "")
    return None


def extract(obs: Observation) -> Facts:
    """All facts one response carries. Never raises on hostile input."""
    facts = Facts()
    if obs.status is None:
        return facts
    fe = obs.header("X-FEServer")
    if fe and not _is_error_fe(obs.url):
        facts.fe_server = fe.strip()[:128]
        facts.exchange_markers.append("X-FEServer header")
    owa_header = obs.header("X-OWA-Version")
    if owa_header is not None:
        if _is_error_fe(obs.url):
            facts.notes.append("X-OWA-Version on errorFE.aspx ignored (it echoes the query string)")
        else:
            build = normalise_build(owa_header)
            if build and build.count(".") == 3:
                facts.builds.append(
                    BuildSignal(build, 4, "x-owa-version", obs.label, obs.url, f"X-OWA-Version: {owa_header}")
                )
                facts.exchange_markers.append("X-OWA-Version header")
            else:
                facts.notes.append(f"unparseable X-OWA-Version {owa_header[:80]!r} ignored")
    for hname in ("X-CalculatedBETarget", "X-BEServer", "X-DiagInfo"):
        if obs.header(hname) is not None:
            facts.exchange_markers.append(f"{hname} header")
    loc = obs.header("Location")
    if loc:
        facts.location = loc[:2048]
        low = unquote(unquote(loc)).lower()
        if "/owa/" in low or "/ecp/" in low or "errorfe.aspx" in low:
            facts.exchange_markers.append(
                "redirect to OWA/ECP"
                + (" (federated sign-in)" if "wtrealm" in low or "/adfs/" in low else "")
            )
    body = obs.body
    if body:
        m = _OWA_PATH.search(body)
        if m:
            raw = m.group(2).decode("ascii")
            build = normalise_build(raw)
            if build:
                parts = build.count(".") + 1
                facts.builds.append(
                    BuildSignal(
                        build, parts, "owa-path", obs.label, obs.url, m.group(0).decode("ascii", "replace")
                    )
                )
                facts.exchange_markers.append("OWA resource path")
        if _OWA_PAGE.search(body):
            facts.exchange_markers.append("OwaPage marker")
        elif _OWA_TITLE.search(body):
            facts.exchange_markers.append("OWA page title")
        if obs.label == "exporttool" and obs.status == 200:
            mb = parse_manifest(body)
            if mb and mb.count(".") == 3:
                facts.builds.append(
                    BuildSignal(
                        mb, 4, "exporttool-manifest", obs.label, obs.url, f'assemblyIdentity version="{mb}"'
                    )
                )
                facts.exchange_markers.append("ECP export-tool manifest")
        if _NSPI_TITLE.search(body):
            facts.exchange_markers.append("MAPI/HTTP endpoint page")
            mv = _NSPI_VERSION.search(body)
            if mv:
                nb = normalise_build(mv.group(1).decode("ascii"))
                if nb and nb.count(".") == 3:
                    facts.builds.append(
                        BuildSignal(
                            nb, 4, "mapi-nspi", obs.label, obs.url, mv.group(0).decode("ascii", "replace")
                        )
                    )
    return facts
