"""Attacker addresses are looked up in the IIS logs, and in an HttpProxy log only on days no IIS log
covers (the IIS log already holds every front-end request; searching both doubled the timeline and
the time of the second pass). Web shell names are always looked up in both."""

from __future__ import annotations

from pathlib import Path

from extriage.findings import ScanResult
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan

from .builders import (
    ATTACKER,
    IIS_HEADER,
    INSTALL,
    build_server,
    core_stages,
    hp_header,
    hp_row,
    iis_line,
    write,
)

OWA_LOG = f"{INSTALL}/Logging/HttpProxy/Owa/HttpProxy_2021030308-1.LOG"


def _attacker_owa_row(ts: str, stem: str) -> str:
    # a plain OWA request from the attacker: no rule selects it, only the pivot pass can
    return hp_row(DateTime=ts, RequestId="p1", Protocol="Owa", UrlHost="mail.xxx.no", UrlStem=stem,
                  AuthenticationType="FBA", IsAuthenticated="false", UserAgent="Mozilla/5.0", ClientIpAddress=ATTACKER,
                  HttpStatus="200", Method="GET")


def _activity(result: ScanResult) -> list[tuple[str, int | None]]:
    return sorted((e.source.rsplit("/", 1)[-1], e.line)
                  for f in result.findings if f.rule_id == "XS-ATTACKER-IP-ACTIVITY" for e in f.evidence)


def _scan(root: Path) -> ScanResult:
    return run_scan(str(root), ScanOptions(jobs=1), stages=core_stages())


def test_attacker_requests_come_from_iis_where_iis_covers_the_day(tmp_path: Path) -> None:
    root = build_server(tmp_path / "srv", "compromised")
    write(root, OWA_LOG, hp_header("plain") + _attacker_owa_row("2021-03-03T08:05:00.000Z", "/owa/inbox") + "\n")
    write(root, "C/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log",
          IIS_HEADER + iis_line("2021-03-03 08:05:00", "GET", "/owa/inbox", ATTACKER, "200") + "\n")
    rows = _activity(_scan(root))
    assert ("u_ex210303.log", 5) in rows  # the IIS line of that request
    assert not any(name.startswith("HttpProxy_2021030308") for name, _ in rows)


def test_attacker_requests_come_from_httpproxy_when_no_iis_log_covers_the_day(tmp_path: Path) -> None:
    root = build_server(tmp_path / "srv", "compromised")  # its IIS log spans 2021-03-03 to 2021-03-05
    later = f"{INSTALL}/Logging/HttpProxy/Owa/HttpProxy_2021030708-1.LOG"
    write(root, later, hp_header("plain", "2021-03-07T08:00:00.000Z")
          + _attacker_owa_row("2021-03-07T08:05:00.000Z", "/owa/inbox") + "\n")
    write(root, OWA_LOG, hp_header("plain") + _attacker_owa_row("2021-03-03T08:05:00.000Z", "/owa/inbox") + "\n")
    rows = _activity(_scan(root))
    assert ("HttpProxy_2021030708-1.LOG", 6) in rows
    assert not any(name.startswith("HttpProxy_2021030308") for name, _ in rows)


def test_web_shell_names_are_looked_up_in_httpproxy_logs_whatever_iis_covers(tmp_path: Path) -> None:
    root = build_server(tmp_path / "srv", "compromised")
    write(root, OWA_LOG, hp_header("plain")
          + _attacker_owa_row("2021-03-03T08:05:00.000Z", "/owa/auth/RedirSuiteServerProxy.aspx").replace(ATTACKER, "198.51.100.77")
          + "\n")
    write(root, "C/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log",
          IIS_HEADER + iis_line("2021-03-03 08:00:00", "GET", "/owa/", "10.0.0.5", "200") + "\n")
    result = _scan(root)
    shell_rows = [e.source.rsplit("/", 1)[-1] for f in result.findings
                  if "198.51.100.77" in f.indicators.client_ips for e in f.evidence]
    assert "HttpProxy_2021030308-1.LOG" in shell_rows


def test_the_back_end_sites_iis_log_does_not_stand_in_for_the_front_end(tmp_path: Path) -> None:
    root = build_server(tmp_path / "srv", "compromised")
    later = f"{INSTALL}/Logging/HttpProxy/Owa/HttpProxy_2021030708-1.LOG"
    write(root, later, hp_header("plain", "2021-03-07T08:00:00.000Z")
          + _attacker_owa_row("2021-03-07T08:05:00.000Z", "/owa/inbox") + "\n")
    # the "Exchange Back End" site (W3SVC2) logs that day, with the front end as client: no cover
    write(root, "C/inetpub/logs/LogFiles/W3SVC2/u_ex210307.log",
          IIS_HEADER + iis_line("2021-03-07 08:05:01", "GET", "/owa/inbox", "10.0.0.1", "200").replace(" 443 ", " 444 ")
          + "\n")
    rows = _activity(_scan(root))
    assert ("HttpProxy_2021030708-1.LOG", 6) in rows
