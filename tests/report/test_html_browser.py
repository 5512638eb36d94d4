"""The HTML report in a real headless browser (Debian's chromium driven by Playwright)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from extriage.findings import Verdict
from extriage.report.html import render_html

from . import samples

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"),
]


@pytest.fixture(scope="module")
def browser() -> Any:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def _open(browser: Any, path: Path) -> tuple[Any, list[str], list[str]]:
    page = browser.new_page()
    console_errors: list[str] = []
    page_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(("file:", "data:", "about:")) else page_errors.append("network: " + r.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, console_errors, page_errors


@pytest.mark.parametrize("csp", [True, False], ids=["with-csp", "escaping-alone"])
def test_report_loads_shows_verdict_and_chart_and_payloads_stay_inert(browser: Any, tmp_path: Path, csp: bool) -> None:
    html = render_html([samples.compromised(), samples.attempted(), samples.clean()], tlp="amber", csp=csp)
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    page, console_errors, page_errors = _open(browser, path)
    try:
        assert console_errors == []
        assert page_errors == []
        # verdicts of all three servers visible
        verdict = page.locator("#verdict-0 .verdict-text")
        assert verdict.is_visible()
        assert "COMPROMISED" in verdict.inner_text()
        assert "ATTEMPTED" in page.locator("#verdict-1 .verdict-text").inner_text()
        assert "NO EVIDENCE" in page.locator("#verdict-2 .verdict-text").inner_text()
        # chart visible with bars, attacker bars and marks
        chart = page.locator("#chart-0 svg.activity")
        assert chart.is_visible()
        box = chart.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 50
        assert page.locator("#chart-0 rect.bar").count() == 6
        assert page.locator("#chart-0 rect.bar-att").count() == 1
        assert page.locator("#chart-0 line.mark-webshell").count() >= 1
        assert page.locator("#chart-0 line.mark-first").count() == 1
        # findings listed by the script; open every one so evidence (with payloads) is in the DOM
        items = page.locator("#findings-0 details.f-item")
        assert items.count() == 4
        for i in range(items.count()):
            items.nth(i).locator("summary").click()
        pres = page.locator("#findings-0 pre").all_inner_texts()
        assert any(samples.SCRIPT_PAYLOAD in t for t in pres), "raw line must be shown verbatim as text"
        assert any(samples.IMG_PAYLOAD in t for t in pres), "web shell excerpt must be shown verbatim as text"
        assert any(samples.BREAKOUT_PAYLOAD in t for t in pres)
        # nothing executed
        assert page.evaluate("() => window.__pwned === undefined")
        assert "PWNED" not in page.title()
        assert page.evaluate("() => document.querySelectorAll('img').length") == 0
        # only our own script block plus the JSON data blocks exist
        kinds = page.evaluate("() => Array.from(document.scripts).map(s => s.type || 'js')")
        assert kinds.count("js") == 1
    finally:
        page.close()


def test_paging_and_filter_with_many_findings(browser: Any, tmp_path: Path) -> None:
    path = tmp_path / "big.html"
    path.write_text(render_html([samples.large(3000)]), encoding="utf-8")
    page, console_errors, page_errors = _open(browser, path)
    try:
        assert console_errors == [] and page_errors == []
        assert page.locator("#findings-0 details.f-item").count() == 50
        info = page.locator("#findings-0 .f-info")
        assert "3000 of 3000" in info.inner_text()
        page.locator("#findings-0 .f-next").click()
        assert "page 2 of 60" in info.inner_text()
        page.locator("#findings-0 .f-q").fill("203.0.1.17,python")
        assert page.locator("#findings-0 details.f-item").count() == 6
        page.locator("#findings-0 .f-q").fill("")
        page.locator("#findings-0 .f-sev").select_option("4")
        assert "3 of 3000" in info.inner_text()
    finally:
        page.close()


def test_wave_without_evidence_is_not_painted_safe(browser: Any, tmp_path: Path) -> None:
    """A wave with no evidence says nothing about exposure: it must not wear the green of safety."""
    r = samples.compromised()
    r.waves["proxynotshell"] = Verdict.NO_EVIDENCE
    path = tmp_path / "waves.html"
    path.write_text(render_html([r, samples.clean()]), encoding="utf-8")
    page, _, _ = _open(browser, path)
    try:
        colour = "el => getComputedStyle(el).backgroundColor"
        wave = page.locator("#verdict-0 .waves .v-no_evidence").evaluate(colour)
        green = page.locator("#verdict-1 .verdict-text").evaluate(colour)  # the clean server's verdict
        assert wave != green and wave == "rgb(102, 102, 102)"
    finally:
        page.close()


def test_expanded_timeline_keeps_a_bounded_layout(browser: Any, tmp_path: Path) -> None:
    """Long raw lines, summaries and source paths (a real HttpProxy line is 1–4 KB without a space)
    stay inside bounded cells: no row taller than a few lines, no table wider than the page, the
    table scrolls inside its own box, and the raw line is there on demand."""
    from datetime import timedelta

    from extriage.findings import TimelineEvent

    r = samples.compromised()
    raw = samples.RAW_PROXY + ",".join(["BeginRequest=2021-03-02T05:31:12.345Z;CorrelationID=<empty>;"] * 80)
    source = "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Logging\\HttpProxy\\Ecp\\" + "x" * 200 + "\\HttpProxy_2021030205-1.LOG"
    r.timeline += [
        TimelineEvent(samples.T0 + timedelta(seconds=i), source, 1000 + i, "request",
                      f"[ProxyLogon SSRF] POST /ecp/y.js AnchorMailbox=ServerInfo~a]@{'a' * 600}.local:444/ecp/DDI/DDIService.svc",
                      samples.ATTACKER, ["F0001"], raw)
        for i in range(300)
    ]
    path = tmp_path / "timeline.html"
    path.write_text(render_html([r]), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        page.evaluate("() => document.querySelectorAll('#timeline-0 > details').forEach(d => { d.open = true; })")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 1280
        table = page.locator("#timeline-0 table.tl").bounding_box()
        assert table is not None and table["width"] <= 1200
        heights = page.evaluate("() => Array.from(document.querySelectorAll('#timeline-0 tbody tr')).map(r => r.getBoundingClientRect().height)")
        assert len(heights) == 302 and max(heights) <= 120, max(heights)
        box = page.locator("#timeline-0 .tl-scroll").bounding_box()
        assert box is not None and box["height"] <= 0.8 * 900 + 2
        page.locator("#timeline-0 .tl-scroll").scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / "timeline-closed.png"))
        # details on demand: the raw line and the full source in a bounded, scrolling block
        row = page.locator("#timeline-0 tbody tr").nth(5)
        row.locator("details.more summary").click()
        pres = row.locator("details.more pre")
        assert raw[:200] in pres.last.inner_text()
        pre_box = pres.last.bounding_box()
        assert pre_box is not None and pre_box["height"] <= 16 * 14 + 20 and pre_box["width"] <= 1200
        assert source in row.locator("details.more").inner_text()
        page.screenshot(path=str(tmp_path / "timeline-open.png"))
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 1280
    finally:
        page.close()


def test_opened_finding_names_why_each_line_is_there(browser: Any, tmp_path: Path) -> None:
    """A line kept by another rule than the finding's (an IOC path beside a location rule) says which, once opened."""
    path = tmp_path / "why.html"
    path.write_text(render_html([samples.mixed_reasons("WF-IOC-MSTIC-PATH")]), encoding="utf-8")
    page, console_errors, page_errors = _open(browser, path)
    try:
        page.locator("#findings-0 details.f-item summary").first.click()
        sources = page.locator("#findings-0 .ev-src").all_inner_texts()
        assert console_errors == [] and page_errors == []
        assert len(sources) == 3 and sum("WF-IOC-MSTIC-PATH" in s for s in sources) == 1
        assert not any("WF-LOC-ASPNET-CLIENT" in s for s in sources)
    finally:
        page.close()
