"""Every export rendered from compromised / attempted / clean results and checked with the
library that consumes it (stix2, pymisp, pySigma), plus the escaping of planted payloads."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import stix2
from pymisp import MISPEvent

from extriage.findings import Indicators
from extriage.report.exports import FORMATS, ReportError, check_tlp, parse_formats, write_reports
from extriage.report.html import json_for_script, render_html
from extriage.report.markdown import md_code, render_markdown

from . import samples


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reports")
    write_reports([samples.compromised(), samples.attempted(), samples.clean()], out, list(FORMATS), "amber+strict")
    return out


def test_all_files_written(rendered: Path) -> None:
    names = {p.name for p in rendered.iterdir()}
    assert {"report.html", "report.md", "stix-bundle.json", "misp-event.json", "indicators.csv",
            "timeline.timesketch.jsonl", "sigma", "cisa-incident-report.md"} <= names
    assert len([n for n in names if n.startswith("timeline-") and n.endswith(".csv")]) == 3


def test_stix_bundle_is_valid_and_complete(rendered: Path) -> None:
    bundle = stix2.parse((rendered / "stix-bundle.json").read_text(encoding="utf-8"), allow_custom=False)
    by_type: dict[str, list] = {}
    for o in bundle.objects:
        by_type.setdefault(o.type, []).append(o)
    patterns = " ".join(i.pattern for i in by_type["indicator"])
    assert f"[ipv4-addr:value = '{samples.ATTACKER}']" in patterns
    assert samples.WEBSHELL_SHA in patterns
    assert "User-Agent' = 'python-requests/2.25.1'" in patterns
    assert "file:name = 'shell<x>.aspx'" in patterns
    assert samples.INTERNAL_IP not in patterns  # internal addresses are not shared
    assert {v.name for v in by_type["vulnerability"]} >= {"CVE-2021-26855"}
    assert {ap.external_references[0].external_id for ap in by_type["attack-pattern"]} >= {"T1190", "T1505.003", "T1003.001"}
    assert len(by_type["sighting"]) == len(by_type["indicator"])
    assert {s.identity_class for s in by_type["identity"]} == {"organization", "system"}
    marking = by_type["marking-definition"][0]
    assert marking.id == "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"  # TLP:AMBER+STRICT
    assert all(marking.id in o.object_marking_refs for o in bundle.objects if o.type != "marking-definition")
    assert by_type["report"][0].object_refs


def test_stix_pattern_quotes_are_escaped() -> None:
    from extriage.report.stix import build_bundle

    r = samples.attempted()
    r.findings[0].indicators = Indicators(client_ips=[samples.ATTACKER2], user_agents=["it's a \\ trap' OR '1'='1"])
    bundle = stix2.parse(build_bundle([r]).serialize(), allow_custom=False)
    ua = next(o.pattern for o in bundle.objects if o.type == "indicator" and "User-Agent" in o.pattern)
    assert ua.endswith("= 'it\\'s a \\\\ trap\\' OR \\'1\\'=\\'1']")


def test_misp_event_loads(rendered: Path) -> None:
    event = MISPEvent()
    event.load_file(str(rendered / "misp-event.json"))
    values = {(a.type, a.value) for a in event.attributes}
    assert ("ip-src", samples.ATTACKER) in values
    assert ("user-agent", "python-requests/2.25.1") in values
    assert ("vulnerability", "CVE-2021-26855") in values
    assert ("ip-src", samples.INTERNAL_IP) not in values
    assert "tlp:amber+strict" in {t.name for t in event.tags}
    files = [o for o in event.objects if o.name == "file"]
    shas = {a.value for o in files for a in o.attributes if a.object_relation == "sha256"}
    assert samples.WEBSHELL_SHA in shas
    assert event.threat_level_id == 1


def test_sigma_rules_parse_with_pysigma(rendered: Path) -> None:
    from sigma.collection import SigmaCollection

    files = sorted((rendered / "sigma").glob("*.yml"))
    assert files, "no Sigma rules exported"
    for f in files:
        coll = SigmaCollection.from_yaml(f.read_text(encoding="utf-8"), collect_errors=True)
        assert not coll.errors, f
        assert len(coll.rules) == 1 and not coll.rules[0].errors
    spl = (rendered / "sigma" / "splunk.spl").read_text(encoding="utf-8")
    assert 'AnchorMailbox="ServerInfo~*/*"' in spl
    lucene = (rendered / "sigma" / "elasticsearch-lucene.txt").read_text(encoding="utf-8")
    assert "AnchorMailbox:ServerInfo" in lucene
    assert "(?i)" not in lucene and "(?P<" not in lucene


def test_sigma_condition_tree_mapping() -> None:
    from extriage.detections.logrules import load_rules_from
    from extriage.report.sigma_export import lucene_regex, sigma_rule_dict

    text = """
lists:
  uas: ["evil*agent", "x"]
rules:
  - id: T-1
    title: test
    family: iis
    prefilter: ["a"]
    match:
      cs-method: POST
      any:
        - cs-uri-stem|contains: ["/ecp/", "/owa/"]
        - cs-uri-stem|like: "/x/*.aspx"
      not:
        cs-user-agent|contains|list: uas
    wave: other
    severity: high
    confidence: high
    outcome: attempt
"""
    rs = load_rules_from([("t.yml", text)])
    d = sigma_rule_dict(rs.rules[0], "iis", rs.lists, {"category": "webserver"})
    det = d["detection"]
    assert det["condition"] == "selection_1 and (selection_2 or selection_3) and not selection_4"
    assert det["selection_1"] == {"cs-method": "POST"}
    assert det["selection_2"] == {"cs-uri-stem|contains": ["/ecp/", "/owa/"]}
    assert det["selection_3"] == {"cs-uri-stem": "/x/*.aspx"}  # like wildcard stays a wildcard
    assert det["selection_4"] == {"cs-user-agent|contains": ["evil\\*agent", "x"]}  # literal * escaped
    assert d["level"] == "high"
    assert lucene_regex(r"(?i)^/aspnet_client/(?P<n>\w+)\.aspx$") == r"/aspnet_client/([A-Za-z0-9_]+)\.aspx"
    with pytest.raises(ValueError):
        lucene_regex(r"a(?!b)")


def test_indicator_csv_is_formula_safe(tmp_path: Path) -> None:
    r = samples.attempted()
    r.findings[0].indicators = Indicators(client_ips=[samples.ATTACKER2], user_agents=["=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0"])
    write_reports([r], tmp_path, ["csv"])
    with (tmp_path / "indicators.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    uas = [row["value"] for row in rows if row["type"] == "user-agent"]
    assert sorted(uas) == sorted(["'=HYPERLINK(\"http://x\")", "'+cmd|' /C calc'!A0"])
    ip = next(row for row in rows if row["type"] == "ip")
    assert ip["value"] == samples.ATTACKER2 and ip["first_seen_utc"].startswith("2021-03-02T05:32")
    assert ip["tlp"] == "TLP:AMBER"


def test_timesketch_lines_have_required_fields(rendered: Path) -> None:
    lines = (rendered / "timeline.timesketch.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert rows
    for row in rows:
        assert row["message"] and row["datetime"] and row["timestamp_desc"]
    assert any(row.get("finding_id") == "F0002" and row["timestamp_desc"] == "First Seen" for row in rows)
    assert [r["datetime"] for r in rows] == sorted(r["datetime"] for r in rows)


def test_markdown_neutralises_payloads() -> None:
    md = render_markdown([samples.compromised()])
    # raw HTML only inside code spans / fences
    outside = []
    in_fence = False
    for line in md.splitlines():
        if line.strip().startswith("```"):
            in_fence = not in_fence
            continue
        if not in_fence:
            outside.append(line)
    text = "\n".join(outside)
    import re

    text_no_code = re.sub(r"(`+).*?\1", "", text)
    assert "<script" not in text_no_code and "<img" not in text_no_code
    assert "What to do now" in md and "krbtgt" in md
    assert md_code("a`b") == "``a`b``"


def test_cisa_draft_prefilled(rendered: Path) -> None:
    text = (rendered / "cisa-incident-report.md").read_text(encoding="utf-8")
    assert "[FILL IN" in text
    assert "2021-03-02 05:31" in text  # first attacker activity
    assert samples.ATTACKER in text and "CVE-2021-26855" in text
    assert "https://www.cisa.gov/report" in text


def test_html_is_self_contained_and_escaped() -> None:
    html = render_html([samples.compromised()])
    lower = html.lower()
    for external in ("src=\"http", "href=\"http", "@import", "url("):
        assert external not in lower
    assert "Content-Security-Policy" in html and "default-src &#39;none&#39;" in html
    # the only <script> tags are ours: one code block and one JSON data block
    assert lower.count("<script") == 2
    assert samples.SCRIPT_PAYLOAD not in html and samples.IMG_PAYLOAD not in html
    assert "</script><script>" not in json_for_script(samples.BREAKOUT_PAYLOAD)


def test_html_degrades_without_optional_sections() -> None:
    r = samples.clean()
    html = render_html([r])
    assert "NO EVIDENCE" in html
    assert "Patch state unknown" in html and "Mitigation state unknown" in html
    assert "No per-hour request data" in html


def test_chart_falls_back_to_timeline() -> None:
    from extriage.report.chart import build_chart
    from extriage.response import derive_facts

    r = samples.compromised()
    r.activity = {}
    chart = build_chart(r, derive_facts(r))
    assert chart is not None and chart.source == "timeline request events"
    assert chart.total == sum(1 for e in r.timeline if e.kind == "request")
    assert chart.attacker_total >= 1


def test_option_parsing() -> None:
    assert parse_formats("all") == list(FORMATS)
    assert parse_formats("stix, html") == ["html", "stix"]
    with pytest.raises(ReportError, match="Unknown format pdf"):
        parse_formats("pdf")
    assert check_tlp("TLP:WHITE") == "clear"
    assert check_tlp("amber+strict") == "amber+strict"
    with pytest.raises(ReportError):
        check_tlp("purple")


def test_markdown_shows_binary_and_escape_sequences_visibly() -> None:
    r = samples.compromised()
    r.findings[0].severity = r.findings[0].severity.CRITICAL
    r.findings[0].evidence[0].raw = "MZ\x00\x01\x1b[31mred\x07\r\nnext"
    md = render_markdown([r])
    assert "\x00" not in md and "\x1b" not in md and "\x07" not in md
    assert "MZ\\x00\\x01\\x1b[31mred\\x07\n" in md


def test_webshell_facts_never_name_the_log_file() -> None:
    from extriage.response import derive_facts

    r = samples.compromised()
    shell = r.findings[1]
    shell.indicators = Indicators(urls=["/aspnet_client/x.aspx"], client_ips=[samples.ATTACKER])
    facts = derive_facts(r)
    assert [w.path for w in facts.webshells] == ["/aspnet_client/x.aspx"]


def test_two_results_for_the_same_server(tmp_path: Path) -> None:
    a, b = samples.compromised(), samples.compromised()
    write_reports([a, b], tmp_path, list(FORMATS))
    bundle = stix2.parse((tmp_path / "stix-bundle.json").read_text(encoding="utf-8"), allow_custom=False)
    assert sum(1 for o in bundle.objects if o.type == "identity" and o.identity_class == "system") == 1
    assert len(list(tmp_path.glob("timeline-*.csv"))) == 2


def test_loopback_is_never_an_indicator() -> None:
    """The ProxyLogon shell write arrives over \\\\127.0.0.1\\C$: the server itself, not an attacker."""
    from extriage.findings import Confidence, Finding, Indicators, Outcome, ScanResult, Severity
    from extriage.report.indicators import collect_indicators

    f = Finding("EVT-SHARE-WEBSHELL-WRITE", "share write", Severity.CRITICAL, Confidence.HIGH, Outcome.WEBSHELL,
                indicators=Indicators(client_ips=["127.0.0.1", "::1", "0.0.0.0", "161.35.45.41"]), id="F0001")
    rows = collect_indicators([ScanResult(evidence_path="x", findings=[f])])
    assert [r.value for r in rows if r.type == "ip" and r.actionable] == ["161.35.45.41"]
    assert {r.value: r.role.value for r in rows if r.type == "ip" and not r.actionable} == {
        "127.0.0.1": "internal", "::1": "internal", "0.0.0.0": "internal"}


def test_markdown_carries_the_mitigation_state() -> None:
    from extriage.findings import ScanResult
    from extriage.report.markdown import render_markdown

    r = ScanResult(evidence_path="x")
    r.extras["mitigation"] = {"mitigations": [
        {"id": "proxylogon-url-rewrite", "title": "ProxyLogon URL Rewrite rules", "state": "overridden",
         "reason": "removed by <remove> in ecp/web.config"}]}
    md = render_markdown([r])
    assert "Interim mitigations" in md and "ProxyLogon URL Rewrite rules" in md and "overridden" in md
