"""Exchange HttpProxy logs (``Logging\\HttpProxy\\<Protocol>\\*.LOG``): one row per request the
front end proxied, in Exchange CSV (logs-and-detections.md §1a).

Rows also get the Sigma webserver names (``cs-uri-stem``, ``sc-status``, ``c-ip``...) so web-shell
rules are written once for IIS and HttpProxy.
"""

from __future__ import annotations

import re
from datetime import datetime

from extriage.formats import exchange_csv
from extriage.formats.logfamily import LogFamily

#: Sigma webserver field -> Exchange HttpProxy field (docs/rules.md lists them).
WEBSERVER_ALIASES = {
    "cs-uri-stem": "UrlStem",
    "cs-uri-query": "UrlQuery",
    "cs-method": "Method",
    "sc-status": "HttpStatus",
    "c-ip": "ClientIpAddress",
    "cs-user-agent": "UserAgent",
    "cs-username": "AuthenticatedUser",
    "cs-host": "UrlHost",
}

#: The HttpProxy column list of Exchange 2013-2019 and SE (74 fields; logs-and-detections.md §1a:
#: identical in Qazeer's 2023 samples, a 2021 ProxyLogon-era parser and the ExchangeLogReport tests).
#: Used for rows without a header (quoted or copied rows) only when a row has exactly that many
#: columns: older CUs logged fewer, and a shifted column would name the wrong value.
DEFAULT_FIELDS = (
    "DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,UrlHost,"
    "UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,"
    "UserAgent,ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,ErrorCode,Method,ProxyAction,TargetServer,"
    "TargetServerVersion,RoutingType,RoutingHint,BackEndCookie,ServerLocatorHost,ServerLocatorLatency,RequestBytes,"
    "ResponseBytes,TargetOutstandingRequests,AuthModulePerfContext,HttpPipelineLatency,CalculateTargetBackEndLatency,"
    "GlsLatencyBreakup,TotalGlsLatency,AccountForestLatencyBreakup,TotalAccountForestLatency,"
    "ResourceForestLatencyBreakup,TotalResourceForestLatency,ADLatency,SharedCacheLatencyBreakup,"
    "TotalSharedCacheLatency,ActivityContextLifeTime,ModuleToHandlerSwitchingLatency,ClientReqStreamLatency,"
    "BackendReqInitLatency,BackendReqStreamLatency,BackendProcessingLatency,BackendRespInitLatency,"
    "BackendRespStreamLatency,ClientRespStreamLatency,KerberosAuthHeaderLatency,HandlerCompletionLatency,"
    "RequestHandlerLatency,HandlerToModuleSwitchingLatency,ProxyTime,CoreLatency,RoutingLatency,HttpProxyOverhead,"
    "TotalRequestTime,RouteRefresherLatency,UrlQuery,BackEndGenericInfo,GenericInfo,GenericErrors,EdgeTraceId,"
    "DatabaseGuid,UserADObjectGuid,PartitionEndpointLookupLatency,RoutingStatus"
).split(",")


def parse(text: str, names: list[str]) -> tuple[dict[str, str], datetime | None]:
    """One HttpProxy row: by its header's names, else by :data:`DEFAULT_FIELDS` when it has exactly
    that many columns (else only ``_raw``); the webserver aliases and ``c-uri`` added."""
    if not names and len(exchange_csv.split_row(text)) == len(DEFAULT_FIELDS):
        names = DEFAULT_FIELDS
    fields = exchange_csv.row_to_fields(text, names) if names else {"_raw": text}
    ts = exchange_csv.row_timestamp(fields, text)
    for alias, name in WEBSERVER_ALIASES.items():
        if name in fields:
            fields[alias] = fields[name]
    stem, query = fields.get("UrlStem", ""), fields.get("UrlQuery", "")
    q = query[1:] if query.startswith("?") else query
    fields["c-uri"] = f"{stem}?{q}" if q else stem
    return fields, ts


FAMILY = LogFamily(
    id="httpproxy",
    name="HttpProxy",
    paths=(re.compile(r"/logging/httpproxy/([^/]+)/[^/]+$"),),
    headers=(
        re.compile(r"^#Log-type:\s*HttpProxy Logs", re.M | re.I),
        # HttpProxy rows exported by Test-ProxyLogon / Import-Csv pipelines: a bare CSV header starting
        # with DateTime and naming AnchorMailbox (e.g. "<server>-Cve-2021-26855.csv")
        re.compile(r'^(?:\xef\xbb\xbf)?"?DateTime"?,[^\n]*\bAnchorMailbox\b', re.M),
    ),
    parse=parse,
    header_names=exchange_csv.header_names,
    fields=frozenset([*DEFAULT_FIELDS, *WEBSERVER_ALIASES, "c-uri", *exchange_csv.SPECIAL_FIELDS]),
    logsource={"product": "exchange", "service": "httpproxy"},
    collect=r"<Exchange install>\Logging\HttpProxy\<every protocol>\*.LOG",
    headerless="the standard 74 columns",
    expected_label="HttpProxy logs",
    web_requests=True,
    host_field="ServerHostName",
)
