"""Is a mailbox forwarded *outside* the organisation? Decided from the domains the evidence shows.

The forwarding rules (log rules and event rules tagged ``forwarding``) find the cmdlets; whether the
recipient is outside needs the organisation's accepted domains, which no single line holds. They are
derived here from what Exchange and Windows wrote about the organisation itself — authenticated
user names (``user@domain``), the mailboxes the forwarding cmdlets change, the callers' and the
computers' Active Directory domains — never from attacker-chosen values such as URLs or Host
headers. Each finding then says how "outside" was decided; without any domain, forwarding to any
SMTP address stays a lower-confidence finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from extriage.findings import Confidence, Finding, Outcome, Severity

FORWARDING_TAG = "forwarding"

#: Fields naming the recipient of a forwarding (log rules capture ``Recipient``; event rules keep
#: the cmdlet parameters as ``param.<name>``).
_RECIPIENT_FIELDS = ("Recipient", "param.forwardingsmtpaddress", "param.forwardingaddress", "param.forwardto",
                     "param.redirectto", "param.forwardasattachmentto")
#: Fields whose addresses are the organisation's own: authenticated users and changed mailboxes.
_OWN_ADDRESS_FIELDS = ("AuthenticatedUser", "cs-username", "Mailbox", "param.identity", "param.mailbox",
                       "param.userprincipalname", "param.primarysmtpaddress")
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})")
_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
#: findings whose lines are the attacker's own requests: their user names are not trusted
_ATTACK_OUTCOMES = (Outcome.SUCCESS, Outcome.WEBSHELL, Outcome.ATTEMPT, Outcome.SCANNER)


@dataclass(slots=True)
class OrgDomains:
    """The organisation's domains seen in the evidence, with where each came from."""

    domains: dict[str, set[str]] = field(default_factory=dict)  # domain -> sources ("authenticated user", ...)

    def add(self, domain: str, how: str) -> None:
        d = domain.strip().strip(".").lower()
        if _DOMAIN.match(d):
            self.domains.setdefault(d, set()).add(how)

    def is_inside(self, domain: str) -> bool:
        d = domain.lower()
        return any(d == own or d.endswith("." + own) for own in self.domains)

    def explain(self) -> str:
        shown = sorted(self.domains)[:6]
        more = f" and {len(self.domains) - 6} more" if len(self.domains) > 6 else ""
        hows = sorted({h for d in shown for h in self.domains[d]})
        return f"{', '.join(shown)}{more} (from {', '.join(hows)})"


def org_domains(findings: Iterable[Finding]) -> OrgDomains:
    """The organisation's domains according to the evidence (see the module docstring)."""
    org = OrgDomains()
    for f in findings:
        forwarding = FORWARDING_TAG in f.tags
        trusted_users = forwarding or f.outcome not in _ATTACK_OUTCOMES
        for ev in f.evidence:
            fields = ev.fields
            for name in _OWN_ADDRESS_FIELDS:
                if name in ("AuthenticatedUser", "cs-username") and not trusted_users:
                    continue
                value = fields.get(name)
                if isinstance(value, str):
                    for m in _EMAIL.finditer(value):
                        org.add(m.group(1), "changed mailboxes" if forwarding and name not in (
                            "AuthenticatedUser", "cs-username") else "authenticated users")
            caller = fields.get("caller")
            if isinstance(caller, str) and "/" in caller:  # canonical name: "corp.example.com/Users/admin"
                org.add(caller.split("/", 1)[0], "cmdlet callers' AD domain")
            computer = fields.get("computer") or fields.get("Computer")
            if isinstance(computer, str) and computer.count(".") >= 2:
                org.add(computer.split(".", 1)[1], "the server's AD domain")
        for host in f.indicators.hosts if "events" in f.tags else ():
            if host.count(".") >= 2:
                org.add(host.split(".", 1)[1], "the server's AD domain")
    return org


def recipients(f: Finding) -> tuple[list[str], list[str]]:
    """``(smtp addresses, other recipient names)`` a forwarding finding names."""
    addresses: list[str] = []
    names: list[str] = []
    for ev in f.evidence:
        for name in _RECIPIENT_FIELDS:
            value = ev.fields.get(name)
            if not isinstance(value, str) or not value.strip():
                continue
            found = [m.group(0).lower() for m in _EMAIL.finditer(value)]
            for a in found:
                if a not in addresses:
                    addresses.append(a)
            if not found and value.strip() not in names:
                names.append(value.strip())
    return addresses, names


def judge_forwarding(findings: list[Finding]) -> None:
    """Decide, for each forwarding finding, whether it sends mail outside; reword it accordingly.

    Outside (a recipient domain that is none of the organisation's): ``attempt``, high severity —
    ``success`` when the same client address is tied to a successful attack step. Inside only:
    ``info``. No domain known, or a recipient given by name only (a mail contact may point
    outside): ``attempt`` with low confidence, saying what could not be decided.
    """
    fwd = [f for f in findings if FORWARDING_TAG in f.tags]
    if not fwd:
        return
    org = org_domains(findings)
    attacker_ips = {ip for f in findings if f.outcome in (Outcome.SUCCESS, Outcome.WEBSHELL)
                    and FORWARDING_TAG not in f.tags for ip in f.indicators.client_ips if ip}
    for f in fwd:
        if f.outcome == Outcome.INFO:
            continue
        addresses, names = recipients(f)
        outside = [a for a in addresses if not org.is_inside(a.rsplit("@", 1)[1])]
        base = f.title
        if outside and org.domains:
            f.outcome, f.severity, f.confidence = Outcome.ATTEMPT, Severity.HIGH, Confidence.HIGH
            f.title = f"{base} to an outside address ({', '.join(outside[:3])})"
            why = (f"outside: the domain of {', '.join(outside[:3])} is none of the organisation's domains seen "
                   f"in the evidence, {org.explain()}")
        elif addresses and not org.domains:
            f.outcome, f.severity, f.confidence = Outcome.ATTEMPT, Severity.MEDIUM, Confidence.LOW
            f.title = f"{base} to {', '.join(addresses[:3])} (outside or not could not be decided)"
            why = ("not decided: the evidence shows none of the organisation's own domains (no authenticated user "
                   "address, changed mailbox address or AD domain), so any SMTP recipient is reported")
        elif names:
            f.outcome, f.severity, f.confidence = Outcome.ATTEMPT, Severity.MEDIUM, Confidence.LOW
            f.title = f"{base} to the recipient {', '.join(repr(n) for n in names[:3])}"
            why = ("not decided: the recipient is named, not given as an address; a mail contact may point "
                   "outside the organisation — look it up (Get-Recipient)")
        else:
            f.outcome, f.severity, f.confidence = Outcome.INFO, Severity.LOW, Confidence.HIGH
            f.title = f"{base} to an address inside the organisation ({', '.join(addresses[:3])})"
            why = ("inside: every recipient's domain is one of the organisation's domains seen in the evidence, "
                   f"{org.explain()}")
        if f.outcome == Outcome.ATTEMPT and set(f.indicators.client_ips) & attacker_ips:
            f.outcome = Outcome.SUCCESS
            why += "; set from an address that also carried a successful attack step"
        f.description = f"{f.description} How \"outside\" was decided — {why}.".strip()
        f.tags.append("forwarding:" + ("inside" if f.outcome == Outcome.INFO else "outside" if outside and org.domains
                                       else "undecided"))
