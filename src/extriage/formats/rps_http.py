"""Rps_Http logs (``Logging\\CmdletInfra\\Powershell-Proxy\\Http\\Rps_Http_20*.LOG``): Exchange's
remote-PowerShell proxy log, the one place ProxyNotShell/OWASSRF commands show who ran them and from
where (logs-and-detections.md §1e).

The file is Exchange CSV like HttpProxy, so rows are mapped by the ``#Fields:`` names when the file
has them; without a header the column order CrowdStrike's ``Rps_Http-IOC.ps1`` (MIT) hard-codes is
used. ``ClientIpAddress`` holds the proxy chain (several addresses): the first one becomes
``ClientIp`` (the client as far as Exchange knows) and the whole chain ``ProxyChain``.
"""

from __future__ import annotations

import re
from datetime import datetime

from extriage.formats import exchange_csv
from extriage.formats.logfamily import LogFamily

#: Column order of Rps_Http logs as hard-coded by CrowdStrike/OWASSRF Rps_Http-IOC.ps1 (MIT).
FIELDS: tuple[str, ...] = (
    "DateTime", "StartTime", "RequestId", "MajorVersion", "MinorVersion", "BuildVersion", "RevisionVersion",
    "ClientRequestId", "UrlHost", "UrlStem", "AuthenticationType", "IsAuthenticated", "AuthenticatedUser",
    "Organization", "ManagedOrganization", "ClientIpAddress", "ServerHostName", "FrontEndServer", "HttpStatus",
    "SubStatus", "ErrorCode", "Action", "CommandId", "CommandName", "SessionId", "ShellId", "FailFast",
    "ContributeToFailFast", "RequestBytes", "ClientInfo", "CPU", "Memory", "ActivityContextLifeTime",
    "TotalTime", "UrlQuery", "GenericLatency", "GenericInfo", "GenericErrors",
)

_SPLIT = re.compile(r"[\s;,]+")


def row_to_fields(line: str, names: list[str] | None) -> dict[str, str]:
    """Map one data row; adds ``ClientIp`` (first address of the chain) and ``ProxyChain``."""
    fields = exchange_csv.row_to_fields(line, list(names) if names else list(FIELDS))
    chain = [a for a in _SPLIT.split(fields.get("ClientIpAddress", "").strip()) if a]
    fields["ClientIp"] = chain[0] if chain else ""
    fields["ProxyChain"] = " -> ".join(chain)
    return fields


def parse(text: str, names: list[str]) -> tuple[dict[str, str], datetime | None]:
    """One Rps_Http row (header names, else the default column order) and its time."""
    fields = row_to_fields(text, names)
    return fields, exchange_csv.row_timestamp(fields, text)


FAMILY = LogFamily(
    id="rps_http",
    name="Rps_Http",
    paths=(re.compile(r"/logging/cmdletinfra/powershell-proxy/http/[^/]+$"),),
    headers=(re.compile(r"^#Log-type:\s*Rps Http Logs?", re.M | re.I),),
    parse=parse,
    header_names=exchange_csv.header_names,
    fields=frozenset([*FIELDS, "ClientIp", "ProxyChain", *exchange_csv.SPECIAL_FIELDS]),
    logsource={"product": "exchange", "service": "rps-http"},
    collect=r"<Exchange install>\Logging\CmdletInfra\Powershell-Proxy\Http\Rps_Http_*.LOG",
)
