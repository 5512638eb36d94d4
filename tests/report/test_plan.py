from __future__ import annotations

from extriage.response import build_plan, derive_facts
from extriage.response.plan import step_definitions

from . import samples


def _ids(plan) -> list[str]:
    return [s.id for s in plan.steps]


def test_every_step_definition_is_complete() -> None:
    for spec in step_definitions():
        assert spec["id"] and spec["title"] and spec["when"] and spec["actions"], spec["id"]


def test_compromised_plan_in_order_with_triggers() -> None:
    r = samples.compromised()
    plan = build_plan(r)
    assert _ids(plan) == ["isolate", "preserve", "identity", "hunt", "remove-webshells", "patch", "mitigate", "report-cisa"]
    identity = plan.steps[2]
    # triggered by the LSASS dump (T1003) and by the web shell on a compromised server
    assert {t.finding_id for t in identity.triggers} >= {"F0002", "F0003"}
    webshells = plan.steps[4]
    assert [t.finding_id for t in webshells.triggers] == ["F0002"]
    assert any("krbtgt" in a and "TWICE" in a for a in identity.actions)
    assert plan.facts.patch is not None
    assert plan.facts.patch.recommended_update().startswith("KB5000871")
    patch = plan.steps[5]
    assert any("CVE-2021-26855 vulnerable" in t.reason for t in patch.triggers)


def test_attempted_plan_does_not_disconnect() -> None:
    plan = build_plan(samples.attempted())
    ids = _ids(plan)
    assert "isolate" not in ids and "identity" not in ids and "report-cisa" not in ids
    assert ids[0] == "preserve"
    assert "attempted-watch" in ids and "hunt" in ids  # attacker IPs known


def test_clean_plan_says_what_to_check() -> None:
    plan = build_plan(samples.clean())
    assert _ids(plan) == ["nothing-found"]
    assert plan.steps[0].triggers[0].reason.startswith("verdict: no_evidence")


def test_identity_step_needs_evidence_of_execution() -> None:
    r = samples.compromised()
    # drop the LSASS dump: the web shell on a compromised server still triggers identity compromise
    r.findings = [f for f in r.findings if f.id != "F0003"]
    assert "identity" in _ids(build_plan(r))
    # a web shell finding alone on a server the verdict calls attempted does not
    r.verdict = r.verdict.ATTEMPTED
    assert "identity" not in _ids(build_plan(r))


def test_facts() -> None:
    facts = derive_facts(samples.compromised())
    assert samples.ATTACKER in facts.attacker_ips
    assert samples.ATTACKER2 not in facts.attacker_ips  # scanner only
    assert facts.webshells[0].sha256 == samples.WEBSHELL_SHA
    assert facts.first_attacker is not None and facts.last_attacker is not None
    assert facts.first_attacker < facts.last_attacker


def test_error_verdict_asks_for_a_new_scan() -> None:
    r = samples.clean()
    r.verdict = r.verdict.ERROR
    r.verdict_reason = "no log could be read"
    plan = build_plan(r)
    assert _ids(plan) == ["scan-error"]
    assert "no log could be read" in plan.steps[0].triggers[0].reason


def test_inconclusive_verdict_asks_for_what_is_missing() -> None:
    """An inconclusive scan is not an all-clear: the plan says so and what to collect."""
    from extriage.findings import Verdict

    r = samples.clean()
    r.verdict = Verdict.INCONCLUSIVE
    r.verdict_reason = "Could not decide: no log that could show exploitation was read. Collect HttpProxy logs"
    plan = build_plan(r)
    assert _ids(plan) == ["scan-error"]
    assert "Collect HttpProxy logs" in plan.steps[0].triggers[0].reason
    assert "not \"clean\"" in plan.steps[0].why


def test_not_covered_names_missing_evidence() -> None:
    facts = derive_facts(samples.clean())  # only IIS was read
    assert facts.not_covered == ["HttpProxy logs", "ECP server logs", "OABGenerator logs", "Windows event logs", "web folders (web shells)"]
    from extriage.report.markdown import render_markdown

    assert "Not covered by this scan:** HttpProxy logs" in render_markdown([samples.clean()])


def test_install_names_the_update_that_closes_every_open_cve() -> None:
    """On 2016 CU19 the first open CVE's fix (Mar21SU) leaves ProxyShell and ProxyNotShell open:
    the report must name the highest fix needed and pass on the patch knowledge's advice."""
    from extriage.detections.builds import assess, parse_build
    from extriage.report.html import render_html
    from extriage.report.markdown import render_markdown

    r = samples.clean()
    r.extras["patch"] = {"assessment": assess(parse_build("15.1.2176.2")).to_dict()}
    patch = derive_facts(r).patch
    assert patch is not None
    assert patch.recommended_update() == "KB5019758 (15.1.2375.37, Exchange 2016 CU22 Nov22SU)"
    assert any("Move to CU22 first" in a for a in patch.recommendation)
    md = render_markdown([r])
    assert "**Install:** KB5019758 (15.1.2375.37, Exchange 2016 CU22 Nov22SU)" in md
    assert "Move to CU22 first" in md
    html = render_html([r])
    assert "install KB5019758 (15.1.2375.37, Exchange 2016 CU22 Nov22SU)" in html
    assert html.count("Move to CU22 first") >= 1


def test_summary_never_drops_open_cves_silently() -> None:
    from extriage.report.summary import summary_paragraph

    r = samples.compromised()
    ids = [f"CVE-2021-{n}" for n in (26855, 26857, 26858, 27065, 31207, 34473, 34523, 31196)]
    r.extras["patch"]["cves"] = [
        {"id": i, "wave": "proxylogon", "status": "vulnerable", "known_exploited": True, "fixed_by": None} for i in ids
    ]
    text = summary_paragraph(r, derive_facts(r))
    assert ", ".join(ids[:6]) + " and 2 more" in text


def test_a_server_without_exchange_gets_a_plan_for_a_web_server() -> None:
    """When the scan saw an IIS serving no Exchange application and no Exchange install (a SharePoint server,
    X37, session 16), the plan speaks of the server: no "mail is unavailable", no Exchange pools "as SYSTEM",
    no OAB/ECP settings; the steps and their triggers stay the same."""
    exchange = build_plan(samples.compromised())
    r = samples.compromised()
    r.extras["server_role"] = {"exchange": "absent", "iis_sites": ["SharePoint - 80"]}
    other = build_plan(r)
    assert _ids(other) == _ids(exchange)
    assert [s.triggers for s in other.steps] == [s.triggers for s in exchange.steps]

    def text(plan) -> str:
        return " ".join(s.why + " " + " ".join(s.actions) for s in plan.steps if s.id not in ("patch", "mitigate"))

    assert "mail is unavailable" in text(exchange) and "mail is unavailable" not in text(other)
    for exchange_only in ("Exchange web application pools", "OAB and ECP", "Exchange Windows Permissions", "the Exchange server"):
        assert exchange_only in text(exchange) and exchange_only not in text(other), exchange_only
    assert any("krbtgt" in a for s in other.steps for a in s.actions)

