"""``--redact``: replace internal host names, user names and internal IP addresses by stable tokens.

Redaction works on the JSON form of the results, so every export made from the redacted results —
HTML, Markdown, STIX, MISP, CSV, Timesketch, CISA draft — hides the same names the same way
(``host-1`` is the same machine everywhere, across all servers of one run). Names are learnt from the
structured parts of the results (host name, accounts, internal host indicators, user-name fields of
parsed log lines, user profile paths) and then replaced wherever they occur, including in raw log
lines and web shell excerpts. Private, loopback and link-local IP addresses are replaced wherever
they appear. Public addresses (attackers) are kept: they are what partners need.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any

from extriage.findings import ScanResult
from extriage.report.load import result_from_dict

#: Accounts that name no person or organisation; redacting them would only blur the evidence.
WELL_KNOWN_ACCOUNTS = {
    "", "-", "system", "nt authority\\system", "local service", "network service", "anonymous",
    "nt authority\\local service", "nt authority\\network service", "iusr", "n/a", "none", "null",
}
#: Domain suffixes that are internal by convention (RFC 6762, RFC 8375 and common AD practice).
INTERNAL_SUFFIXES = ("local", "lan", "corp", "internal", "intranet", "intra", "localdomain", "home.arpa", "ad", "private")
#: Parsed log fields that hold user names (HttpProxy, IIS W3C, ECP, Windows event data).
_USER_KEY = re.compile(
    r"^(?:authenticateduser|cs-username|username|user|subjectusername|targetusername|accountname|account|"
    r"anchormailbox|logonuser|samaccountname|userprincipalname|upn|primarysmtpaddress|mailbox|owner|actor|caller)$",
    re.IGNORECASE,
)
#: Parsed fields that hold internal host names.
_HOST_KEY = re.compile(
    r"^(?:serverhostname|s-computername|targetserver|computer|computername|workstationname|hostname|machinename|"
    r"backendserver|servername|sourcehostname|workstation)$",
    re.IGNORECASE,
)
_HOSTNAME = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9][A-Za-z0-9-]{0,62}(?:\.[A-Za-z0-9-]{1,63})*\.?$")
_ACCOUNT = re.compile(r"^(?=.*[A-Za-z])[^\s/~?#<>\[\]:;,|=*\"']{2,256}$")

#: Address ranges that are internal to an organisation (RFC 1918, RFC 6598, loopback, link-local, ULA).
#: Python's ``is_private`` also covers the documentation ranges, which are not internal. The unspecified
#: addresses (0.0.0.0, ::) name no machine and are part of public IOCs (the HAFNIUM user agent
#: ``ExchangeServicesClient/0.0.0.0``), so they are kept.
INTERNAL_NETWORKS = [
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
              "fc00::/7", "fe80::/10", "::1/128")
]


def is_internal_ip(text: str) -> bool:
    try:
        ip = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in net for net in INTERNAL_NETWORKS if net.version == ip.version)


_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d])")
_IPV6 = re.compile(r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f:]{0,4}(?![0-9A-Fa-f:])|::1\b")
_FQDN_INTERNAL = re.compile(
    r"(?<![\w.-])(?:[A-Za-z0-9-]+\.)+(?:" + "|".join(re.escape(s) for s in INTERNAL_SUFFIXES) + r")(?![\w-])",
    re.IGNORECASE,
)
_PROFILE = re.compile(r"[\\/](?:users|documents and settings)[\\/]([^\\/\"'\s]+)", re.IGNORECASE)
_PROFILE_SKIP = {"public", "default", "default user", "all users", "administrator", "defaultapppool"}


class Redactor:
    """Learns internal names from results, then replaces them consistently in any text."""

    def __init__(self) -> None:
        self.mapping: dict[str, str] = {}  # lower-case original -> token
        self._counts: dict[str, int] = {}
        self._pattern: re.Pattern[str] | None = None
        self.domains: set[str] = set()

    # -- learning ---------------------------------------------------------------------------
    def _token(self, kind: str, original: str) -> str:
        key = original.lower()
        if key in self.mapping:
            return self.mapping[key]
        self._counts[kind] = self._counts.get(kind, 0) + 1
        token = f"{kind}-{self._counts[kind]}"
        self.mapping[key] = token
        self._pattern = None
        return token

    def add_host(self, name: str) -> None:
        name = name.strip().strip(".")
        if not name or _is_ip(name) or not _HOSTNAME.match(name):
            return
        self._token("host", name)
        if "." in name:
            short, _, domain = name.partition(".")
            self._token("host", short)
            if "." in domain or domain.lower() in INTERNAL_SUFFIXES:
                self.domains.add(domain.lower())
                self._token("domain", domain)

    def add_account(self, name: str) -> None:
        name = name.strip()
        if re.fullmatch(r"[\w.-]+(?:/[\w .$-]+)+", name):  # canonical name: corp.example/Users/bob
            domain, *_, last = name.split("/")
            self.add_host(domain)
            name = last
        if name.lower() in WELL_KNOWN_ACCOUNTS or not _ACCOUNT.match(name) or " " in name.strip():
            return
        if "\\" in name:  # DOMAIN\user
            dom, _, user = name.partition("\\")
            if user.lower() not in WELL_KNOWN_ACCOUNTS:
                self._token("user", user)
                self._token("user", name)
            if dom and dom.lower() not in {"nt authority", "builtin", "."}:
                self._token("domain", dom)
            return
        if "@" in name:  # user@domain (UPN or SMTP address)
            user, _, dom = name.partition("@")
            if user.lower() not in WELL_KNOWN_ACCOUNTS and len(user) >= 2:
                self._token("user", user)
            if dom:
                self.domains.add(dom.lower())
                self._token("domain", dom)
            return
        self._token("user", name)

    def learn(self, result: ScanResult) -> None:
        root = result.evidence_path.rstrip("/\\")
        if len(root) > 3:  # the analyst's case folder may name the organisation: never share it
            self.mapping.setdefault(root.lower(), "[evidence]")
            self._pattern = None
        if result.hostname:
            self.add_host(result.hostname)
        for f in result.findings:
            for a in f.indicators.accounts:
                self.add_account(a)
            for h in f.indicators.hosts:
                if _internal_host(h, self.domains) or h.lower() == result.hostname.lower():
                    self.add_host(h)
            for e in f.evidence:
                self._learn_fields(e.fields)
                self._learn_text(e.source)
                self._learn_text(e.raw)
            for p in f.indicators.paths:
                self._learn_text(p)
        for ev in result.timeline:
            self._learn_text(ev.source)
        for rec in result.files:
            self._learn_text(rec.path)
        self._learn_text(result.evidence_path)
        self._learn_text(result.exchange_install)

    def learn_org_hosts(self, results: Iterable[ScanResult]) -> None:
        """Host indicators in the organisation's own domains (``mail.contoso.com`` when
        ``contoso.local`` is internal) name the victim too."""
        labels = {d.split(".")[-2] for d in self.domains if d.count(".") >= 1 and len(d.split(".")[-2]) >= 3}
        for r in results:
            for f in r.findings:
                for h in f.indicators.hosts:
                    parts = h.lower().strip(".").split(".")
                    if len(parts) >= 2 and labels & set(parts[:-1]):
                        self.add_host(h)

    def _learn_fields(self, fields: dict[str, Any]) -> None:
        for key, value in fields.items():
            if not isinstance(value, str) or "agent" in key.lower():
                continue
            if _HOST_KEY.search(key):
                if not _is_ip(value):
                    self.add_host(value)
            elif _USER_KEY.search(key):
                for part in re.split(r"[;,]", value):
                    part = part.strip()
                    # SIDs and GUIDs identify nobody outside the domain; anchor mailboxes may be "SMTP:x@y".
                    part = re.sub(r"^(?:smtp|sid|puid):", "", part, flags=re.IGNORECASE)
                    if part and not re.fullmatch(r"S-1-[\d-]+|[0-9a-fA-F-]{32,36}", part):
                        self.add_account(part)

    def _learn_text(self, text: str) -> None:
        if not text:
            return
        for m in _PROFILE.finditer(text):
            name = m.group(1)
            if name.lower() not in _PROFILE_SKIP and not name.lower().startswith(("default", ".net", "mssql")):
                self.add_account(name)
        for m in _FQDN_INTERNAL.finditer(text):
            self.add_host(m.group(0))

    # -- replacing --------------------------------------------------------------------------
    def _compiled(self) -> re.Pattern[str] | None:
        if self._pattern is None and self.mapping:
            names = sorted(self.mapping, key=len, reverse=True)
            alternatives = "|".join(re.escape(n) for n in names)
            self._pattern = re.compile(rf"(?<![A-Za-z0-9_])(?:{alternatives})(?![A-Za-z0-9_])", re.IGNORECASE)
        return self._pattern

    def text(self, value: str) -> str:
        if not value:
            return value
        value = _IPV4.sub(self._ip, value)
        if ":" in value:
            value = _IPV6.sub(self._ip, value)
        value = _FQDN_INTERNAL.sub(lambda m: self._token("host", m.group(0)), value)
        pattern = self._compiled()
        if pattern is not None:
            value = pattern.sub(lambda m: self.mapping.get(m.group(0).lower(), m.group(0)), value)
        return value

    def _ip(self, m: re.Match[str]) -> str:
        raw = m.group(0)
        return self._token("internal-ip", raw) if is_internal_ip(raw) else raw

    def value(self, data: Any) -> Any:
        """Redact every string in a JSON-ready structure (keys included: activity maps may be keyed by IP)."""
        if isinstance(data, str):
            return self.text(data)
        if isinstance(data, dict):
            return {self.text(k) if isinstance(k, str) else k: self.value(v) for k, v in data.items()}
        if isinstance(data, list):
            return [self.value(v) for v in data]
        return data


def redact_results(results: Iterable[ScanResult]) -> tuple[list[ScanResult], Redactor]:
    """Redacted copies of ``results`` (one :class:`Redactor` for all, so tokens agree across servers)."""
    results = list(results)
    redactor = Redactor()
    for r in results:
        redactor.learn(r)
    redactor.learn_org_hosts(results)
    redacted = []
    for r in results:
        plain = r.to_dict()
        version = plain["schema_version"]
        data = redactor.value(plain)
        data["schema_version"] = version
        redacted.append(result_from_dict(data, "the redacted result"))
    return redacted, redactor


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def _internal_host(name: str, domains: set[str]) -> bool:
    low = name.lower().strip(".")
    if _is_ip(low):
        return False
    if "." not in low:
        return True
    return low.endswith(tuple("." + s for s in INTERNAL_SUFFIXES)) or any(low.endswith("." + d) or low == d for d in domains)
