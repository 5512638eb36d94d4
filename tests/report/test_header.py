"""The top of the HTML report is what a manager reads: verdict, per-wave state, what was attacked
and whether the build still needs the update — each stated without ambiguity."""

from __future__ import annotations

import re
from pathlib import Path

from extriage.findings import Outcome, ScanResult, Verdict
from extriage.report.html import render_html

from . import samples


def _header(html: str, index: int = 0) -> str:
    start = html.index(f'id="verdict-{index}"')
    return html[start : html.index("</section>", start)]


def _clean_but_unpatched() -> ScanResult:
    r = samples.clean()
    r.extras["patch"] = samples.compromised().extras["patch"]
    # the patch stage's "this build is open to …" note: a CVE named without any attack
    r.findings.append(samples._finding(9, outcome=Outcome.INFO, cves=["CVE-2021-26855", "CVE-2021-34473"]))
    r.waves = {w: Verdict.NO_EVIDENCE for w in ("other", "proxyshell", "proxylogon")}
    return r


def test_open_cves_are_not_shown_as_attacked() -> None:
    head = _header(render_html([_clean_but_unpatched()]))
    assert "CVEs attacked" not in head  # nothing attacked them on a clean server
    status = re.search(r'<dd class="patch-status">(.*?)</dd>', head, re.S)
    assert status is not None
    assert ">vulnerable<" in status.group(1) and "install KB5000871 (15.1.2176.9" in status.group(1)
    assert "CVE-2021-26855" in status.group(1)


def test_attacked_cves_come_from_attacker_findings_only() -> None:
    r = samples.compromised()
    attacker = (Outcome.SUCCESS, Outcome.WEBSHELL, Outcome.ATTEMPT)
    attacked = {c for f in r.findings if f.outcome in attacker for c in f.cves}
    assert attacked
    head = _header(render_html([r]))
    row = re.search(r"<dt>CVEs attacked</dt><dd>(.*?)</dd>", head)
    assert row is not None and set(re.findall(r'<span class="id">([^<]+)</span>', row.group(1))) == attacked


def test_waves_in_attack_order_and_patch_not_assessed() -> None:
    r = _clean_but_unpatched()
    r.extras.pop("patch")
    head = _header(render_html([r]))
    order = re.findall(r'class="verdict-badge v-no_evidence">([^<:]+):', head)
    assert order == ["ProxyLogon", "ProxyShell", "Other"]  # the registry's labels, in attack order
    assert "not assessed" in head and "extriage patch-status" in head


def test_fleet_table_worst_first_and_names_the_update_per_server() -> None:
    html = render_html([samples.clean(), _clean_but_unpatched(), samples.compromised(), samples.attempted()])
    fleet = html[html.index('id="fleet"') : html.index("</section>", html.index('id="fleet"'))]
    rows = fleet.split("<tr>")[2:]
    verdicts = [re.search(r'class="verdict-badge v-(\w+)"', row).group(1) for row in rows]  # type: ignore[union-attr]
    assert verdicts == ["compromised", "attempted", "no_evidence", "no_evidence"]
    assert "#server-2" in rows[0]  # the link still leads to the server's own section
    assert "not assessed" in rows[2]
    assert "<strong>vulnerable</strong>: install KB5000871" in rows[3]


def test_shared_files_name_attacked_cves_not_the_victims_open_ones(tmp_path: Path) -> None:
    """STIX, MISP and the CISA draft go outside the organisation: a clean server's unpatched CVEs
    are neither an attack vector nor something to publish about the victim."""
    import json

    from extriage.report.exports import write_reports

    write_reports([_clean_but_unpatched()], tmp_path, ["stix", "misp", "cisa"], "amber")
    bundle = json.loads((tmp_path / "stix-bundle.json").read_text(encoding="utf-8"))
    assert not [o for o in bundle["objects"] if o["type"] == "vulnerability"]
    misp = (tmp_path / "misp-event.json").read_text(encoding="utf-8")
    assert "CVE-2021-34473" not in misp
    cisa = (tmp_path / "cisa-incident-report.md").read_text(encoding="utf-8")
    assert "vulnerabilities CVE" not in cisa
    # a compromised server still names what was exploited
    write_reports([samples.compromised()], tmp_path / "c", ["stix", "cisa"], "amber")
    bundle = json.loads((tmp_path / "c" / "stix-bundle.json").read_text(encoding="utf-8"))
    assert "CVE-2021-26855" in {o["name"] for o in bundle["objects"] if o["type"] == "vulnerability"}
    assert "vulnerabilities CVE-2021-26855" in (tmp_path / "c" / "cisa-incident-report.md").read_text("utf-8")


def test_the_title_says_exchange_unless_no_server_runs_it() -> None:
    """A report on servers that run no Exchange (an IIS serving no Exchange application and no Exchange
    install in the evidence: a SharePoint server, X37) is titled for a web server in every output that
    carries a title; one Exchange server among them keeps the Exchange title."""
    from extriage.report.markdown import render_markdown
    from extriage.report.misp import plan_event
    from extriage.report.stix import bundle_dict

    other = samples.compromised()
    other.extras["server_role"] = {"exchange": "absent", "iis_sites": ["SharePoint - 80"]}
    exchange = samples.compromised()

    def titles(results: list[ScanResult]) -> list[str]:
        html = render_html(results)
        report = next(o for o in bundle_dict(results)["objects"] if o["type"] == "report")
        return [
            re.search(r"<h1>(.*?)</h1>", html).group(1),  # type: ignore[union-attr]
            render_markdown(results).split("\n# ", 1)[1].split("\n", 1)[0],
            report["name"].split(":", 1)[0],
            plan_event(results).info.split(" (extriage)", 1)[0],
        ]

    assert titles([other]) == ["Web server compromise triage report"] + ["Web server compromise triage"] * 3
    assert titles([other, exchange]) == ["Exchange compromise triage report"] + ["Exchange compromise triage"] * 3
    assert titles([exchange]) == titles([other, exchange])
