"""One parsed log line as named fields, per family — the only view rules see.

HttpProxy rows additionally get the Sigma webserver names (``cs-uri-stem``, ``sc-status``,
``c-ip``...) so web-shell rules are written once for IIS and HttpProxy. ECP EventData bags are
opened into their keys (``CMD``, ``URL``, ``SID``...).
"""

from __future__ import annotations

from datetime import datetime

from extriage.formats import exchange_csv, oabgen, rps_http, w3c

#: Sigma webserver field -> Exchange HttpProxy field (docs/rules.md lists them).
HTTPPROXY_WEBSERVER_ALIASES = {
    "cs-uri-stem": "UrlStem",
    "cs-uri-query": "UrlQuery",
    "cs-method": "Method",
    "sc-status": "HttpStatus",
    "c-ip": "ClientIpAddress",
    "cs-user-agent": "UserAgent",
    "cs-username": "AuthenticatedUser",
    "cs-host": "UrlHost",
}


def parse_record(family: str, text: str, names: list[str]) -> tuple[dict[str, str], datetime | None]:
    """``(fields, timestamp)`` of one data line of ``family`` given the field names in force."""
    if family == "iis":
        fields = w3c.row_to_fields(text, names or _IIS_DEFAULT)
        return fields, w3c.parse_timestamp(fields)
    if family == "oabgen":
        return oabgen.row_to_fields(text), oabgen.parse_timestamp(text)
    if family == "rps_http":  # own module: default column order, client address out of the proxy chain
        fields = rps_http.row_to_fields(text, names)
    else:
        names = names or _default_names(family, text)
        fields = exchange_csv.row_to_fields(text, names) if names else {"_raw": text}
    ts_name = "DateTime" if "DateTime" in fields else "TimeStamp" if "TimeStamp" in fields else ""
    ts = exchange_csv.parse_timestamp(fields.get(ts_name, "")) if ts_name else None
    if ts is None:
        ts = exchange_csv.parse_timestamp(text.split(",", 1)[0])
    if family == "ecp" and fields.get("EventData"):
        for k, v in exchange_csv.parse_bag(fields["EventData"]).items():
            fields.setdefault(k, v)
    if family == "httpproxy":
        for alias, name in HTTPPROXY_WEBSERVER_ALIASES.items():
            if name in fields:
                fields[alias] = fields[name]
        stem, query = fields.get("UrlStem", ""), fields.get("UrlQuery", "")
        q = query[1:] if query.startswith("?") else query
        fields["c-uri"] = f"{stem}?{q}" if q else stem
    return fields, ts


#: The HttpProxy column list of Exchange 2013-2019 and SE (74 fields; logs-and-detections.md §1a:
#: identical in Qazeer's 2023 samples, a 2021 ProxyLogon-era parser and the ExchangeLogReport tests).
#: Used for rows without a header (quoted or copied rows) only when a row has exactly that many
#: columns: older CUs logged fewer, and a shifted column would name the wrong value.
HTTPPROXY_DEFAULT = (
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
#: The ECP server log's columns (logs-and-detections.md §1c), for rows without a header.
ECP_DEFAULT = ["TimeStamp", "ServerName", "EventId", "EventData"]


def _default_names(family: str, text: str) -> list[str]:
    """Column names for a row of a log without a ``#Fields`` header, when its shape is certain."""
    if family == "httpproxy" and len(exchange_csv.split_row(text)) == len(HTTPPROXY_DEFAULT):
        return HTTPPROXY_DEFAULT
    if family == "ecp" and exchange_csv.parse_timestamp(text.split(",", 1)[0]) is not None:
        return ECP_DEFAULT
    return []


#: IIS default field list, used when a W3C file's header is missing (logs-and-detections.md §1b).
_IIS_DEFAULT = (
    "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
    "cs(Referer) sc-status sc-substatus sc-win32-status time-taken"
).split()
