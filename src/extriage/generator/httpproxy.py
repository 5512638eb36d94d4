"""Exchange HttpProxy ("CAFE") log files: header layouts and the 74-field CSV line.

Format facts from ../shared/reference/logs-and-detections.md §1a and the real anonymised lines in
../shared/data/log-samples-cc0/microsoft_exchange.md (Qazeer/artefacts.help, CC0): field order,
``#Software/#Version/#Log-type/#Date/#Fields`` directives, the ``GenericInfo`` key/value bag,
``RoutingStatus=CafeV1``. Files are ``Logging\\HttpProxy\\<Protocol>\\HttpProxy_YYYYMMDDHH-N.LOG``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from extriage.generator.plan import AttackPlan
from extriage.generator.request import Req

FIELDS = (
    "DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,"
    "UrlHost,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,"
    "AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,ErrorCode,Method,"
    "ProxyAction,TargetServer,TargetServerVersion,RoutingType,RoutingHint,BackEndCookie,ServerLocatorHost,"
    "ServerLocatorLatency,RequestBytes,ResponseBytes,TargetOutstandingRequests,AuthModulePerfContext,"
    "HttpPipelineLatency,CalculateTargetBackEndLatency,GlsLatencyBreakup,TotalGlsLatency,"
    "AccountForestLatencyBreakup,TotalAccountForestLatency,ResourceForestLatencyBreakup,"
    "TotalResourceForestLatency,ADLatency,SharedCacheLatencyBreakup,TotalSharedCacheLatency,"
    "ActivityContextLifeTime,ModuleToHandlerSwitchingLatency,ClientReqStreamLatency,BackendReqInitLatency,"
    "BackendReqStreamLatency,BackendProcessingLatency,BackendRespInitLatency,BackendRespStreamLatency,"
    "ClientRespStreamLatency,KerberosAuthHeaderLatency,HandlerCompletionLatency,RequestHandlerLatency,"
    "HandlerToModuleSwitchingLatency,ProxyTime,CoreLatency,RoutingLatency,HttpProxyOverhead,TotalRequestTime,"
    "RouteRefresherLatency,UrlQuery,BackEndGenericInfo,GenericInfo,GenericErrors,EdgeTraceId,DatabaseGuid,"
    "UserADObjectGuid,PartitionEndpointLookupLatency,RoutingStatus"
)
FIELD_NAMES = FIELDS.split(",")
assert len(FIELD_NAMES) == 74

#: The three first-line layouts seen in the wild (reference §1a takeaway 2).
HEADER_LAYOUTS = ("bare-first", "bare-after", "none")
#: Fields 35-64 of a request the front end answered itself (sample: OWA 302 in the CC0 file).
NOT_PROXIED_LATENCIES = ",".join([""] * 11 + ["0"] + [""] * 13 + ["0", "", "0", "0", ""]) + ","
#: Exchange starts a new ``-N`` file when one reaches this size.
MAX_FILE_BYTES = 10 * 1024 * 1024


def file_name(protocol: str, hour: datetime, n: int = 1) -> str:
    return f"HttpProxy_{hour:%Y%m%d%H}-{n}.LOG"


def header(plan: AttackPlan, first: datetime, layout: str) -> str:
    """The lines before the first record (each ending in ``\\r\\n``)."""
    date = first.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{first.microsecond // 1000:03d}Z"
    directives = (
        f"#Software: Microsoft Exchange Server\r\n#Version: {plan.version_header}\r\n"
        f"#Log-type: HttpProxy Logs\r\n#Date: {date}\r\n#Fields: {FIELDS}\r\n"
    )
    if layout == "bare-first":
        return f"{FIELDS}\r\n{directives}"
    if layout == "bare-after":
        return f"{directives}{FIELDS}\r\n"
    return directives


@lru_cache(maxsize=8192)
def csv_cached(value: str) -> str:
    """:func:`csv_field` for values that repeat (user agents, users, anchors)."""
    return csv_field(value)


def csv_field(value: str) -> str:
    if "," in value or '"' in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


class HttpProxyRenderer:
    """Renders :class:`Req` objects as HttpProxy lines for one server."""

    def __init__(self, plan: AttackPlan) -> None:
        a, b, c, d = plan.build
        self.version_cols = f"{a},{b},{c},{d}"
        self.host = plan.hostname
        self.fqdn = plan.fqdn
        self.target_version = f"{a}.{b:02d}.{c:04d}.000"
        self.be_version = plan.be_version_number
        self.public_host = plan.public_host

    def line(self, r: Req, ts: str, begin: str) -> str:
        """One record. ``ts`` and ``begin`` are ISO timestamps of the end and start of the request."""
        proxied = r.be_status is not None
        lat = r.latency
        if proxied:
            be = max(0, lat - 3)
            # fields 35-64 (HttpPipelineLatency … RouteRefresherLatency), then the separator
            lat_block = f"0,{1 if lat > 5 else 0},,0,,0,,0,0,,0,{lat},0,0,1,1,{be},0,0,0,0,0,{lat},0,{be + 1},2,2,2,{lat},,"
            target = self.fqdn if r.target is None else r.target
            tver = self.target_version if target == self.fqdn else ""
            gi = (
                f"BeginRequest={begin};CorrelationID=<empty>;ProxyState-Run=None;FEAuth=BEVersion-{self.be_version};"
                f"BeginGetResponse={begin};OnResponseReady={ts};EndGetResponse={ts};"
                f"ProxyState-Complete=ProxyResponseData;SharedCacheGuard=0;EndRequest={ts};"
            )
            action = "Proxy"
            be_status = str(r.be_status) if r.be_status else ""
            routing_status = "CafeV1"
        else:
            lat_block = NOT_PROXIED_LATENCIES
            target = tver = ""
            gi = f"BeginRequest={begin};CorrelationID=<empty>;SharedCacheGuard=0;EndRequest={ts};"
            action = ""
            be_status = ""
            routing_status = ""
        authed = "true" if r.user else "false"
        query = "?" + r.query if r.query else ""
        return (
            f"{ts},{r.request_id},{self.version_cols},{csv_field(r.client_request_id)},{r.protocol},"
            f"{r.url_host or self.public_host},{csv_field(r.stem)},{r.protocol_action},{r.auth},{authed},{csv_cached(r.user)},,"
            f"{csv_cached(r.anchor)},{csv_cached(r.ua)},{r.client_ip},{self.host},{r.status},{be_status},"
            f"{r.error_code},{r.method},{action},{target},{tver},{r.routing_type if proxied else ''},"
            f"{r.routing_hint},{csv_field(r.be_cookie)},,,{r.request_bytes},{r.response_bytes},,,"
            f"{lat_block}{csv_field(query)},,{csv_field(gi)},{csv_field(r.generic_errors)},,,,,{routing_status}"
        )
