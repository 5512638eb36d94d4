"""Whose indicator is it: the attacker's, a scanner's, our own probe's, or the victim's own network.

Only attacker evidence may be exported as actionable (MISP ``to_ids``, STIX indicators, the CISA
table): a scanner's address blocked by a partner hurts nobody but tells them nothing, our own probe's
address is our organisation, and internal, loopback and link-local addresses (or their ``--redact``
tokens) name the victim's network. Every export and the plan read the roles from here so they agree.
"""

from __future__ import annotations

import enum
import functools
import ipaddress
import re
from collections.abc import Iterable

from extriage.findings import Finding, Outcome

#: User agents of ``extriage probe`` (probe/__init__.py ``USER_AGENT``; rules list ``own_probe_user_agents``).
OWN_PROBE_USER_AGENTS = ("extriage-probe/",)
#: Host name the probe's ``--confirm`` checks put in requests (probe/confirm.py ``PROBE_DOMAIN``).
OWN_PROBE_DOMAIN = "extriage-probe.invalid"
#: Tokens ``--redact`` puts in place of internal addresses (report/redact.py): still internal.
_REDACTED_IP = re.compile(r"internal-ip-\d+", re.IGNORECASE)
#: Outcomes that involve the attacker (not a background scanner, not a note about the build).
ATTACKER_OUTCOMES = frozenset({Outcome.SUCCESS, Outcome.WEBSHELL, Outcome.ATTEMPT})
#: Internal to an organisation: RFC 1918, RFC 6598 (CGNAT), loopback, link-local, ULA.
_INTERNAL_NETWORKS = [
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
              "fc00::/7", "fe80::/10", "::1/128")
]


class Role(enum.StrEnum):
    """Who an indicator belongs to; only ``attacker`` is actionable."""

    ATTACKER = "attacker"
    SCANNER = "scanner"
    OWN_PROBE = "own-probe"
    INTERNAL = "internal"
    CONTEXT = "context"


#: Why a role is not actionable, in the words every export uses.
ROLE_NOTE = {
    Role.ATTACKER: "attacker evidence",
    Role.SCANNER: "vulnerability scanner, not an attacker: do not block or alert on it",
    Role.OWN_PROBE: "extriage's own probe (this organisation): not an attacker",
    Role.INTERNAL: "internal, loopback or redacted address of the victim's own network: not an attacker indicator",
    Role.CONTEXT: "a Windows program the attack used but did not place (e.g. cmd.exe started by a web shell): context, not an indicator",
}


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | bool:
    """``True`` for a redaction token or ``localhost``, the parsed address, or ``False`` for no address."""
    text = value.strip().strip("[]")
    if _REDACTED_IP.fullmatch(text) or text.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return False


@functools.lru_cache(maxsize=1 << 16)  # called per indicator by every export; ipaddress parsing dominated
def is_internal_address(value: str) -> bool:
    """Internal, loopback, link-local, unspecified or an ``internal-ip-N`` redaction token."""
    ip = _address(value)
    if isinstance(ip, bool):
        return ip
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_unspecified or ip.is_loopback:
        return True
    return any(ip in net for net in _INTERNAL_NETWORKS if net.version == ip.version)


def is_self_address(value: str) -> bool:
    """Loopback, unspecified or a redaction token: never an address anyone could act on, even inside."""
    ip = _address(value)
    if isinstance(ip, bool):
        return ip
    return ip.is_loopback or ip.is_unspecified


def is_own_probe_agent(user_agent: str) -> bool:
    return user_agent.strip().lower().startswith(OWN_PROBE_USER_AGENTS)


def _probe_only(f: Finding) -> bool:
    """The finding's requests came from our own probe: every user agent it carries is the probe's
    (or its URLs name the probe's domain)."""
    uas = [ua for ua in f.indicators.user_agents if ua]
    if uas and all(is_own_probe_agent(ua) for ua in uas):
        return True
    return any(OWN_PROBE_DOMAIN in u.lower() for u in f.indicators.urls)


def _probe_involved(f: Finding) -> bool:
    return any(is_own_probe_agent(ua) for ua in f.indicators.user_agents) or _probe_only(f)


def role_of(kind: str, value: str, findings: Iterable[Finding]) -> Role:
    """The role of one indicator value of type ``kind`` (``ip``, ``user-agent``, ``url-path``, …)
    given the findings that carry it.

    An address or value is the attacker's when a finding with an attacker outcome carries it and
    that finding is not our own probe's; internal addresses never are. Values seen only in our own
    probe's findings are ``own-probe``; the rest (scanner findings only) are ``scanner``."""
    if kind == "ip" and is_internal_address(value):
        return Role.INTERNAL
    if kind == "user-agent" and is_own_probe_agent(value):
        return Role.OWN_PROBE
    probe = attacker = other = False
    for f in findings:
        if f.outcome in ATTACKER_OUTCOMES and not _probe_only(f):
            if kind != "file-path" or _placed(f) or not _system_binary(value):
                return Role.ATTACKER
            attacker = True
        probe = probe or _probe_involved(f)
        other = other or not _probe_only(f)
    if attacker:
        return Role.CONTEXT
    if kind == "ip":  # an address that ran our probe is ours, whatever else it ran
        return Role.OWN_PROBE if probe else Role.SCANNER
    # a value a scanner also sent (a user agent the probe request carried beside ours) is the scanner's
    return Role.SCANNER if other or not probe else Role.OWN_PROBE


#: Folders of Windows' own programs: a path there that an event names is the program that ran.
_SYSTEM_FOLDERS = ("\\windows\\system32\\", "\\windows\\syswow64\\", "\\windows\\winsxs\\",
                   "\\windows\\sysnative\\")


def _system_binary(path: str) -> bool:
    low = path.replace("/", "\\").lower()
    return any(folder in low for folder in _SYSTEM_FOLDERS)


def _placed(f: Finding) -> bool:
    """The finding's file paths are files the attacker placed: a web shell, or a file the scan read
    and hashed (a dump, an encrypted file) — not the image of a process an event names."""
    return f.outcome is Outcome.WEBSHELL or bool(f.indicators.hashes)


def attacker_addresses(findings: Iterable[Finding]) -> set[str]:
    """Client addresses with the ``attacker`` role among ``findings`` (internal ones excluded)."""
    carriers: dict[str, list[Finding]] = {}
    for f in findings:
        for ip in f.indicators.client_ips:
            if ip:
                carriers.setdefault(ip, []).append(f)
    return {ip for ip, fs in carriers.items() if role_of("ip", ip, fs) is Role.ATTACKER}
