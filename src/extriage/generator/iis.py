"""IIS W3C log files of the two Exchange sites.

Facts from ../shared/reference/logs-and-detections.md §1b: ``W3SVC1`` ("Default Web Site", 443)
and ``W3SVC2`` ("Exchange Back End", 444) under ``C:\\inetpub\\logs\\LogFiles``, daily
``u_exYYMMDD.log``, UTC times, space-separated, ``+`` for spaces, ``-`` for empty, and the front
end's ``&CorrelationID=<empty>;&cafeReqId=<guid>;`` appended to ``cs-uri-query``.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from extriage.generator.plan import AttackPlan
from extriage.generator.request import Req

FIELDS_DEFAULT = (
    "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) "
    "sc-status sc-substatus sc-win32-status time-taken"
)
#: After an admin adds fields in IIS Manager (once, mid-file, in one day's front-end log).
FIELDS_EXTENDED = (
    "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) "
    "cs-host sc-status sc-substatus sc-win32-status sc-bytes cs-bytes time-taken"
)

LOG_DIR = "C:\\inetpub\\logs\\LogFiles"
#: Front-end applications whose requests pass the Exchange proxy module (it appends cafeReqId).
EXCHANGE_VDIRS = (
    "/owa/",
    "/ecp/",
    "/ews/",
    "/autodiscover/",
    "/microsoft-server-activesync/",
    "/oab/",
    "/powershell",
    "/mapi/",
    "/rpc/",
    "/api/",
)


def file_path(site: int, day: datetime) -> str:
    return f"{LOG_DIR}\\W3SVC{site}\\u_ex{day:%y%m%d}.log"


def header(first: datetime, fields: str = FIELDS_DEFAULT) -> str:
    return (
        "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n"
        f"#Date: {first:%Y-%m-%d %H:%M:%S}\r\n#Fields: {fields}\r\n"
    )


@lru_cache(maxsize=8192)
def w3c_cached(value: str) -> str:
    """:func:`w3c` for the few values that repeat on every line (user agents, user names)."""
    return w3c(value)


def w3c(value: str) -> str:
    """A W3C field value: ``-`` when empty, spaces as ``+``."""
    return value.replace(" ", "+") if value else "-"


class IisRenderer:
    def __init__(self, plan: AttackPlan) -> None:
        self.server_ip = plan.server_ip
        self.computer_account = plan.computer_account
        self.public_host = plan.public_host

    def front(self, r: Req, date_time: str, extended: bool = False) -> str:
        """``date_time`` is ``YYYY-MM-DD HH:MM:SS``."""
        if r.be_status is not None:
            query = f"{r.query}&CorrelationID=<empty>;&cafeReqId={r.request_id};"
        elif r.stem.lower().startswith(EXCHANGE_VDIRS):
            # answered by the front end itself (logon pages, static files, web shells in owa\auth)
            query = f"{r.query}&CorrelationID=<empty>;&cafeReqId={r.request_id};&encoding=;"
        else:
            query = r.query
        user = r.fe_user or r.user
        if extended:
            return (
                f"{date_time} {self.server_ip} {r.method} {w3c(r.stem)} {w3c(query)} 443 {w3c_cached(user)} {r.client_ip} "
                f"{w3c_cached(r.ua)} {w3c_cached(r.referer)} {r.url_host or self.public_host} {r.status} {r.sub_status} "
                f"{r.win32_status} {r.response_bytes + 300} {r.request_bytes + 250} {r.latency}"
            )
        return (
            f"{date_time} {self.server_ip} {r.method} {w3c(r.stem)} {w3c(query)} 443 {w3c_cached(user)} {r.client_ip} "
            f"{w3c_cached(r.ua)} {w3c_cached(r.referer)} {r.status} {r.sub_status} {r.win32_status} {r.latency}"
        )

    def back(self, r: Req, date_time: str) -> str:
        """The proxied request as the back-end site logs it: from this server, on port 444."""
        q = r.be_query if r.be_stem else r.query
        query = f"{q}&CorrelationID=<empty>;&cafeReqId={r.request_id};"
        user = r.be_user or r.user
        status = r.be_status or 500
        return (
            f"{date_time} {self.server_ip} {r.method} {w3c(r.be_stem or r.stem)} {w3c(query)} 444 {w3c_cached(user)} "
            f"{self.server_ip} {w3c_cached(r.ua)} - {status} 0 0 {max(1, r.latency - 3)}"
        )
