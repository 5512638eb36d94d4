"""Which accounts of the findings are people's or services' passwords to reset, and which are not.

Findings name every identity a record carried: ``NT AUTHORITY\\SYSTEM`` (the worker process),
groups (``Administrators`` in a 4732 event), the Exchange server's computer account (``EXCH01$``),
bare SIDs. Resetting "SYSTEM" or a group is impossible and a list that holds them hides the few
accounts that matter, so only user accounts go into the reset list; the others are listed apart with
what to do instead.

Well-known SIDs and RIDs: Microsoft, "Well-known security identifiers in Windows operating systems".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Service identities that have no password (well-known SIDs S-1-5-18/19/20, S-1-5-7, IIS identities).
SERVICE_IDENTITIES = frozenset({
    "system", "local system", "localsystem", "local service", "localservice", "network service", "networkservice",
    "anonymous logon", "anonymous", "iusr", "iis_iusrs", "defaultapppool", "trustedinstaller",
})
#: Authorities whose names are built-in identities or groups, never a person's account.
BUILTIN_AUTHORITIES = frozenset({"nt authority", "builtin", "iis apppool", "nt service", "window manager", "font driver host"})
#: Built-in and Exchange groups that events name as the target of a membership change.
GROUPS = frozenset(g.lower() for g in (
    "Administrators", "Users", "Guests", "Power Users", "Account Operators", "Backup Operators", "Server Operators",
    "Print Operators", "Remote Desktop Users", "Remote Management Users", "Network Configuration Operators",
    "Event Log Readers", "Distributed COM Users", "Hyper-V Administrators",
    "Domain Admins", "Domain Users", "Domain Computers", "Domain Controllers", "Domain Guests", "Enterprise Admins",
    "Schema Admins", "Group Policy Creator Owners", "Cert Publishers", "DnsAdmins", "Protected Users",
    "Organization Management", "Exchange Windows Permissions", "Exchange Trusted Subsystem", "Exchange Servers",
    "Recipient Management", "Server Management", "View-Only Organization Management", "Discovery Management",
    "Compliance Management", "Hygiene Management", "Records Management", "Help Desk", "Public Folder Management",
    "UM Management", "Delegated Setup", "Exchange Install Domain Servers", "ExchangeLegacyInterop",
    "Managed Availability Servers", "Organization Management",
))
#: Domain RIDs of well-known groups (S-1-5-21-<domain>-RID).
_GROUP_RIDS = {512: "Domain Admins", 513: "Domain Users", 514: "Domain Guests", 515: "Domain Computers",
               516: "Domain Controllers", 518: "Schema Admins", 519: "Enterprise Admins", 520: "Group Policy Creator Owners"}
_SID = re.compile(r"S-1-\d+(?:-\d+)+", re.IGNORECASE)
_NOT_A_NAME = frozenset({"", "-", "n/a", "none", "null", "unknown"})


@dataclass(slots=True)
class AccountSplit:
    """``reset``: user accounts to reset; ``other``: (identity, why it is not in the reset list)."""

    reset: list[str]
    other: list[tuple[str, str]]


def account_kind(name: str) -> str | None:
    """Why ``name`` is not a user account whose password can be reset, or None when it is one."""
    text = name.strip()
    if text.lower() in _NOT_A_NAME:
        return "no account name"
    if _SID.fullmatch(text):
        return _sid_kind(text.upper())
    domain, _, user = text.rpartition("\\")
    if "/" in user and not domain:  # canonical name corp.example/Users/bob
        user = user.rsplit("/", 1)[1]
    low_user, low_domain = user.lower(), domain.lower()
    if low_domain in BUILTIN_AUTHORITIES:
        if low_user in GROUPS or low_domain == "builtin":
            return "built-in group: review its members instead"
        return "built-in service identity: it has no password to reset"
    if low_user in SERVICE_IDENTITIES:
        return "built-in service identity: it has no password to reset"
    if low_user in GROUPS:
        return "group: review its members (and who changed them) instead"
    if low_user.endswith("$"):
        return ("computer account: its password changes when the server is rebuilt and rejoined "
                "(or with Reset-ComputerMachinePassword); not a user password")
    if low_user == "krbtgt":
        return "reset twice by the krbtgt action of this step"
    return None


def _sid_kind(sid: str) -> str | None:
    if sid in ("S-1-5-18", "S-1-5-19", "S-1-5-20", "S-1-5-7"):
        return "well-known SID of a built-in service identity: it has no password to reset"
    if sid.startswith("S-1-5-32-"):
        return "well-known SID of a built-in group: review its members instead"
    if sid.startswith("S-1-5-21-"):
        rid = int(sid.rsplit("-", 1)[1])
        if rid in _GROUP_RIDS:
            return f"SID of the {_GROUP_RIDS[rid]} group: review its members instead"
        if rid == 502:
            return "SID of krbtgt: reset twice by the krbtgt action of this step"
        if rid == 500:
            return "SID of the domain's built-in Administrator (RID 500): reset that account"
        return "security identifier only: look up the account (Get-ADObject -Filter \"objectSid -eq '<SID>'\") and reset it if it is a user"
    return "well-known SID: not a user account"


def split_accounts(accounts: list[str], created: set[str] | frozenset[str] = frozenset()) -> AccountSplit:
    """User accounts to reset, in the given order, and the other identities with why.

    ``created``: accounts the findings show being created during the attack — disabling them, not
    resetting them, is what helps."""
    reset: list[str] = []
    other: list[tuple[str, str]] = []
    seen: set[str] = set()
    for name in accounts:
        key = name.strip().lower()
        if key in seen:
            continue
        seen.add(key)
        why = account_kind(name)
        if why is None and key in created:
            why = "created during the attack: disable it, then delete it once the investigation is done"
        if why is None:
            reset.append(name)
        elif why != "no account name":
            other.append((name, why))
    return AccountSplit(reset, other)
