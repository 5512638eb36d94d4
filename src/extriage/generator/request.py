"""One HTTP request as the Exchange front end sees it; rendered into HttpProxy and IIS lines.

A request is written once and appears consistently in every log that would record it: the
HttpProxy log of its protocol, the front-end IIS site (W3SVC1, port 443) and, when proxied, the
back-end site (W3SVC2, port 444).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Req:
    t: int  # milliseconds since the Unix epoch (UTC)
    protocol: (
        str  # HttpProxy protocol folder: Autodiscover, Eas, Ecp, Ews, Mapi, Oab, Owa, PowerShell, RpcHttp
    )
    method: str
    stem: str  # URL path as the client sent it
    query: str = ""  # URL query without the leading "?"
    auth: str = ""  # AuthenticationType: NTLM, Negotiate, Basic, FBA, Kerberos, Bearer
    user: str = ""  # DOMAIN\\user, or "" when anonymous
    anchor: str = ""  # AnchorMailbox
    ua: str = ""
    client_ip: str = ""
    status: int = 200
    be_status: int | None = 200  # None: not proxied to the back end
    routing_hint: str = ""
    url_host: str = ""  # UrlHost; "" = the public host name
    target: str | None = None  # TargetServer; None = this server's FQDN
    be_cookie: str = ""
    routing_type: str = "IntraForest"
    request_bytes: int = 0
    response_bytes: int = 0
    latency: int = 10  # total request time in ms
    error_code: str = ""
    generic_errors: str = ""
    protocol_action: str = ""
    client_request_id: str = ""
    request_id: str = ""
    # the back end (W3SVC2) view; empty stem = same as the front end
    be_stem: str = ""
    be_query: str = ""
    be_user: str = ""
    # which logs record it
    in_proxy: bool = True
    in_fe: bool = True
    in_be: bool = True
    fe_user: str = ""  # cs-username on the front end ("" = "-")
    referer: str = ""
    sub_status: int = 0
    win32_status: int = 0
