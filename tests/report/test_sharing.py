"""What the reports share is right: only attacker evidence is actionable (MISP ``to_ids``, STIX
indicators, the CISA table); scanners, our own probe and internal or redacted addresses are labelled;
one web shell file counts once; accounts to reset are user accounts; ransomware is named everywhere."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import stix2
from pymisp import MISPEvent

from extriage.findings import (
    Confidence,
    EvidenceLine,
    FamilyCoverage,
    Finding,
    Indicators,
    Outcome,
    ScanResult,
    Severity,
    TimelineEvent,
    Verdict,
)
from extriage.report.chart import build_chart
from extriage.report.cisa import render_cisa
from extriage.report.exports import write_reports
from extriage.report.indicators import collect_indicators
from extriage.report.markdown import render_markdown
from extriage.report.misp import build_event
from extriage.report.redact import redact_results
from extriage.report.stix import build_bundle
from extriage.report.summary import summary_paragraph
from extriage.response.accounts import account_kind, split_accounts
from extriage.response.facts import derive_facts, file_identity
from extriage.response.plan import build_plan
from extriage.response.roles import Role

T0 = datetime(2021, 3, 3, 6, 0, tzinfo=UTC)
ATTACKER = "161.35.45.41"
SCANNER = "195.233.246.119"
PROBE = "212.131.148.231"  # our own probe's egress address
BALANCER = "10.20.0.20"
NMAP_UA = "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)"
PROBE_UA = "extriage-probe/0.1.0"
SHELL = "C:\\inetpub\\wwwroot\\aspnet_client\\npazliu.aspx"
SHELL_SHA = "6e373a78" + "0" * 56
CRYPT = "C:\\Users\\Administrator\\Documents\\budget2021.xlsx.CRYPT"


def _f(fid: str, outcome: Outcome, **kw: object) -> Finding:
    base: dict[str, object] = {
        "rule_id": "PL-26855-SSRF", "title": "ProxyLogon SSRF", "severity": Severity.HIGH, "confidence": Confidence.HIGH,
        "outcome": outcome, "wave": "proxylogon", "cves": ["CVE-2021-26855"], "attack": ["T1190"],
        "first_seen": T0, "last_seen": T0 + timedelta(minutes=5), "id": fid,
    }
    base.update(kw)
    return Finding(**base)  # type: ignore[arg-type]


def incident() -> ScanResult:
    """A compromised server seen by a scanner and by our own probe, with one shell under three names,
    a DearCry-encrypted file and the identities a real Security log names."""
    findings = [
        _f("F0001", Outcome.SUCCESS, indicators=Indicators(client_ips=[ATTACKER, BALANCER, "127.0.0.1"], user_agents=["python-requests/2.25.1"], urls=["/ecp/y.js"])),
        _f("F0002", Outcome.SCANNER, rule_id="PL-IIS-SSRF-ENTRY", title="Vulnerability scanner probing a ProxyLogon entry point",
           indicators=Indicators(client_ips=[SCANNER], user_agents=[NMAP_UA], urls=["/owa/auth/x.js"])),
        _f("F0003", Outcome.SCANNER, rule_id="PS-34473-AUTODISCOVER", title="Vulnerability check for ProxyShell (extriage probe)",
           wave="proxyshell", cves=["CVE-2021-34473"], indicators=Indicators(client_ips=[PROBE], user_agents=[PROBE_UA], urls=["/autodiscover/autodiscover.json"])),
        # a rule that calls our own probe's request an attempt must not make the probe an attacker
        _f("F0004", Outcome.ATTEMPT, rule_id="PNS-41040-AUTODISCOVER", title="ProxyNotShell autodiscover attempt",
           wave="proxynotshell", cves=["CVE-2022-41040"], indicators=Indicators(client_ips=[PROBE], user_agents=[PROBE_UA])),
        _f("F0005", Outcome.WEBSHELL, rule_id="EVT-MGMT-EXPORT-WEBSHELL", title="Mailbox exported to a web file",
           indicators=Indicators(paths=["\\\\localhost\\c$\\inetpub\\wwwroot\\aspnet_client\\npazliu.aspx"], accounts=["CORP\\EXCH01$"])),
        _f("F0006", Outcome.WEBSHELL, rule_id="WF-LOC-ASPNET-CLIENT", title="Server-side page in aspnet_client: npazliu.aspx",
           indicators=Indicators(paths=[SHELL], hashes=[SHELL_SHA])),
        _f("F0007", Outcome.WEBSHELL, rule_id="WS-ASPNET-CLIENT", title="Request to a page under aspnet_client (web shell)",
           indicators=Indicators(client_ips=[ATTACKER], urls=["/aspnet_client/npazliu.aspx"])),
        _f("F0008", Outcome.SUCCESS, rule_id="EVT-PROC-LSASS-DUMP", title="LSASS memory dumped", wave="post-exploitation",
           attack=["T1003.001"], indicators=Indicators(paths=["C:\\Windows\\System32\\rundll32.exe"], accounts=["NT AUTHORITY\\SYSTEM"])),
        _f("F0009", Outcome.SUCCESS, rule_id="EVT-ACCT-CREATED", title="User account created", wave="post-exploitation", attack=["T1136"],
           indicators=Indicators(accounts=["support01", "EXCH01$"]),
           evidence=[EvidenceLine("security.json", 3, "4720", fields={"SubjectUserName": "EXCH01$", "TargetUserName": "support01"})]),
        _f("F0010", Outcome.SUCCESS, rule_id="EVT-ACCT-PRIV-GROUP", title="Account added to a privileged group", wave="post-exploitation",
           attack=["T1098"], indicators=Indicators(accounts=["Administrators", "EXCH01$", "S-1-5-18", "CORP\\jdoe"])),
        _f("F0011", Outcome.SUCCESS, rule_id="WF-RANSOM-DEARCRY", title="File encrypted by DearCry ransomware: budget2021.xlsx.CRYPT",
           wave="post-exploitation", cves=[], attack=["T1486"], first_seen=T0 + timedelta(days=1), last_seen=T0 + timedelta(days=1),
           indicators=Indicators(paths=[CRYPT], hashes=["3acac237" + "1" * 56])),
        _f("F0012", Outcome.SUCCESS, rule_id="WF-YARA-EXT_RANSOM_DearCry_Note", title="DearCry: readme.txt",
           wave="post-exploitation", cves=[], attack=["T1486"], first_seen=T0 + timedelta(days=1), last_seen=T0 + timedelta(days=1),
           indicators=Indicators(paths=["C:\\Users\\Administrator\\Desktop\\readme.txt"], hashes=["9ec0a914" + "2" * 56])),
    ]
    r = ScanResult(evidence_path="/cases/EXCH01", hostname="exch01.corp.contoso.local", verdict=Verdict.COMPROMISED,
                   verdict_reason="RANSOMWARE: 2 findings", findings=findings, started=T0 + timedelta(days=9))
    r.timeline = [
        TimelineEvent(T0 + timedelta(hours=h), "u_ex210303.log", h, "request", "GET /owa/", "203.0.113.9") for h in range(30)
    ] + [
        TimelineEvent(T0 + timedelta(days=1), CRYPT, None, "file-created", "budget2021.xlsx.CRYPT", "", ["F0011"]),
        TimelineEvent(T0 + timedelta(hours=2), SHELL, None, "file-created", "npazliu.aspx", "", ["F0006"]),
    ]
    r.coverage.families["iis"] = FamilyCoverage("iis", files=2, lines=3000, first=T0 - timedelta(days=9), last=T0 + timedelta(days=2))
    return r


def test_roles_of_every_indicator() -> None:
    rows = {(x.type, x.value): x for x in collect_indicators([incident()])}
    assert rows[("ip", ATTACKER)].role is Role.ATTACKER and rows[("ip", ATTACKER)].actionable
    assert rows[("ip", SCANNER)].role is Role.SCANNER
    assert rows[("ip", PROBE)].role is Role.OWN_PROBE
    assert rows[("ip", BALANCER)].role is Role.INTERNAL
    assert rows[("ip", "127.0.0.1")].role is Role.INTERNAL
    assert rows[("user-agent", PROBE_UA)].role is Role.OWN_PROBE
    assert rows[("user-agent", NMAP_UA)].role is Role.SCANNER
    assert rows[("url-path", "/owa/auth/x.js")].role is Role.SCANNER
    assert rows[("file-path", "C:\\Windows\\System32\\rundll32.exe")].role is Role.CONTEXT  # not placed by the attacker
    assert rows[("file-path", SHELL)].role is Role.ATTACKER
    # one file, one row, under its local path (not the admin-share form)
    assert not any(k[0] == "file-path" and "localhost" in k[1] for k in rows)
    assert [x.value for x in rows.values() if x.actionable and x.type == "ip"] == [ATTACKER]


def test_probe_address_is_ours_and_a_scanner_agent_beside_ours_stays_a_scanner_agent() -> None:
    mixed = _f("F0020", Outcome.SCANNER, indicators=Indicators(client_ips=[PROBE], user_agents=["Mozilla/4.0 (compatible; MSIE 8.0)", PROBE_UA]))
    nmap = _f("F0021", Outcome.SCANNER, indicators=Indicators(client_ips=[PROBE], user_agents=[NMAP_UA]))
    rows = {(x.type, x.value): x.role for x in collect_indicators([ScanResult(evidence_path="x", findings=[mixed, nmap])])}
    assert rows[("ip", PROBE)] is Role.OWN_PROBE
    assert rows[("user-agent", "Mozilla/4.0 (compatible; MSIE 8.0)")] is Role.SCANNER
    assert rows[("user-agent", NMAP_UA)] is Role.SCANNER
    assert rows[("user-agent", PROBE_UA)] is Role.OWN_PROBE


def test_misp_only_attacker_evidence_is_actionable() -> None:
    event = MISPEvent()
    event.from_json(build_event([incident()]).to_json())
    ips = {a.value: a for a in event.attributes if a.type == "ip-src"}
    assert ips[ATTACKER].to_ids is True
    assert ips[SCANNER].to_ids is False and "scanner" in ips[SCANNER].comment
    assert {t.name for t in ips[SCANNER].tags} == {'extriage:role="scanner"'}
    assert PROBE not in ips and BALANCER not in ips and "127.0.0.1" not in ips
    assert PROBE_UA not in {a.value for a in event.attributes}
    to_ids = [a.value for a in event.attributes if a.to_ids] + [
        a.value for o in event.objects for a in o.attributes if a.to_ids]
    assert SCANNER not in to_ids and PROBE not in to_ids
    paths = [a.value for o in event.objects for a in o.attributes if a.object_relation == "path"]
    assert paths.count(SHELL) == 1 and not any("localhost" in p for p in paths)
    assert not any(p.endswith("rundll32.exe") for p in paths)


def test_stix_indicators_are_attacker_evidence_and_scanners_observed_data() -> None:
    bundle = stix2.parse(build_bundle([incident()]).serialize(), allow_custom=False)
    patterns = " ".join(o.pattern for o in bundle.objects if o.type == "indicator")
    names = [o.name for o in bundle.objects if o.type == "indicator"]
    assert f"Attacker IP {ATTACKER}" in names
    for value in (SCANNER, PROBE, BALANCER, "127.0.0.1", PROBE_UA, "rundll32.exe", "localhost"):
        assert value not in patterns, value
    observed = [o for o in bundle.objects if o.type == "observed-data"]
    assert len(observed) == 1 and "scanner" in observed[0].labels
    sco = next(o for o in bundle.objects if o.id == observed[0].object_refs[0])
    assert sco.value == SCANNER


def test_cisa_table_holds_attacker_indicators_only() -> None:
    text = render_cisa([incident()])
    table = text.split("## 5. Indicators of compromise", 1)[1].split("## 6.", 1)[0]
    assert ATTACKER in table
    for value in (SCANNER, PROBE, BALANCER, "127.0.0.1", PROBE_UA, "rundll32.exe"):
        assert value not in table.split("Not attacker indicators", 1)[0], value
    assert "Not attacker indicators" in table and "scanner" in table


def test_redaction_never_creates_an_indicator(tmp_path: Path) -> None:
    redacted, _ = redact_results([incident()])
    rows = collect_indicators(redacted)
    tokens = [x for x in rows if x.type == "ip" and x.value.startswith("internal-ip-")]
    assert tokens and all(x.role is Role.INTERNAL and not x.actionable for x in tokens)
    facts = derive_facts(redacted[0])
    assert facts.attacker_ips == [ATTACKER]
    write_reports([incident()], tmp_path, ["md", "cisa", "misp", "stix", "csv"], redact=True)
    cisa = (tmp_path / "cisa-incident-report.md").read_text(encoding="utf-8")
    assert "internal-ip-" not in cisa.split("## 5.", 1)[1].split("Not attacker indicators", 1)[0]
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    attacker_line = next(line for line in md.splitlines() if line.startswith("**Attacker IPs:**"))
    assert "internal-ip-" not in attacker_line
    misp = json.loads((tmp_path / "misp-event.json").read_text(encoding="utf-8"))
    assert "internal-ip-" not in json.dumps(misp)
    with (tmp_path / "indicators.csv").open(encoding="utf-8", newline="") as fh:
        csv_rows = list(csv.DictReader(fh))
    for row in csv_rows:
        if row["value"].startswith("internal-ip-"):
            assert row["role"] == "internal" and row["actionable"] == "no"
    assert {row["role"] for row in csv_rows} >= {"attacker", "scanner", "own-probe", "internal"}


def test_web_shells_counted_once_per_file() -> None:
    facts = derive_facts(incident())
    assert [w.path for w in facts.webshells] == [SHELL]
    assert set(facts.webshells[0].aliases) == {"\\\\localhost\\c$\\inetpub\\wwwroot\\aspnet_client\\npazliu.aspx",
                                               "/aspnet_client/npazliu.aspx"}
    assert facts.webshells[0].sha256 == SHELL_SHA
    assert "1 web shell file(s) found" in summary_paragraph(incident(), facts)
    assert file_identity("\\\\EXCH01\\C$\\inetpub\\x.aspx") == file_identity("c:/inetpub/X.aspx")


def test_accounts_to_reset_are_user_accounts() -> None:
    facts = derive_facts(incident())
    assert facts.account_split.reset == ["CORP\\jdoe"]
    other = dict(facts.account_split.other)
    assert "service identity" in other["NT AUTHORITY\\SYSTEM"]
    assert "group" in other["Administrators"]
    assert "computer account" in other["EXCH01$"] and "computer account" in other["CORP\\EXCH01$"]
    assert "created during the attack" in other["support01"]
    assert "S-1-5-18" in other
    for name, why in [("BUILTIN\\Administrators", "group"), ("S-1-5-32-544", "group"), ("krbtgt", "krbtgt"),
                      ("IIS APPPOOL\\MSExchangeOWAAppPool", "service identity"), ("corp.contoso.local/Users/EXCH01$", "computer"),
                      ("S-1-5-21-1-2-3-512", "Domain Admins")]:
        kind = account_kind(name)
        assert kind is not None and why in kind, (name, kind)
    assert account_kind("alice@contoso.com") is None and account_kind("corp.contoso.local/Users/bob") is None
    assert split_accounts(["-", "CORP\\bob", "corp\\BOB"]).reset == ["CORP\\bob"]


def test_ransomware_named_in_every_output(tmp_path: Path) -> None:
    r = incident()
    facts = derive_facts(r)
    assert [t.kind for t in facts.ransomware] == ["encrypted", "note"]
    assert "RANSOMWARE ran on this server: 1 file(s) encrypted and 1 ransom note(s) left" in summary_paragraph(r, facts)
    plan = build_plan(r, facts)
    step = next(s for s in plan.steps if s.id == "ransomware")
    assert {t.finding_id for t in step.triggers} == {"F0011", "F0012"}
    assert [s.id for s in plan.steps].index("ransomware") < [s.id for s in plan.steps].index("identity")
    md = render_markdown([r])
    assert "**Ransomware (2 files):**" in md and "budget2021.xlsx.CRYPT" in md and "Contain the ransomware" in md
    cisa = render_cisa([r])
    impact = cisa.split("## 4. Impact", 1)[1].split("## 5.", 1)[0]
    assert "Ransomware on" in impact and "budget2021.xlsx.CRYPT" in impact
    chart = build_chart(r, facts)
    assert chart is not None
    kinds = {m.kind for m in chart.marks}
    assert "ransomware" in kinds and "webshell" in kinds
    assert not any(m.kind == "webshell" and "CRYPT" in m.label for m in chart.marks)
    write_reports([r], tmp_path, ["html"])
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "RANSOMWARE ran on this server" in html and "mark-ransomware" in html and "Contain the ransomware" in html


def test_program_the_attacker_dropped_is_evidence_but_a_windows_program_is_context() -> None:
    staged = _f("F0030", Outcome.SUCCESS, rule_id="EVT-PROC-ARCHIVE-STAGING", attack=["T1560.001"],
                indicators=Indicators(paths=["C:\\ProgramData\\7z.exe"]))
    shell = _f("F0031", Outcome.SUCCESS, rule_id="EVT-PROC-EXCH-W3WP-SHELL", attack=["T1059.003"],
               indicators=Indicators(paths=["C:\\Windows\\System32\\cmd.exe"]))
    r = ScanResult(evidence_path="x", findings=[staged, shell])
    rows = {x.value: x.role for x in collect_indicators([r]) if x.type == "file-path"}
    assert rows == {"C:\\ProgramData\\7z.exe": Role.ATTACKER, "C:\\Windows\\System32\\cmd.exe": Role.CONTEXT}
    paths = [a.value for o in build_event([r]).objects for a in o.attributes if a.object_relation == "path"]
    assert paths == ["C:\\ProgramData\\7z.exe"]
