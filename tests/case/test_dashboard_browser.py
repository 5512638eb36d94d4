"""The dashboard in a real browser (Debian's chromium driven by Playwright) against a real
``extriage case serve`` on 127.0.0.1: load, filter, open a server, set a response state, reload and
see it kept — with no script error, no policy violation and attacker text never run."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from extriage.case.store import open_case

from .test_dashboard import hostile

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (apt-get install chromium; .ci/run does)"),
]


@pytest.fixture()
def served(fleet: dict[str, Path], tmp_path: Path) -> Iterator[tuple[str, str]]:
    from extriage.scan.context import ScanOptions
    from extriage.scan.pipeline import run_scan

    case = tmp_path / "case.db"
    with open_case(str(case)) as store:
        for name in ("EXCH01", "EXCH03"):
            store.add_scan(run_scan(str(fleet[name]), ScanOptions(jobs=1)))
        store.add_scan(hostile(run_scan(str(fleet["EXCH02"]), ScanOptions(jobs=1))))
    proc = subprocess.Popen(
        [sys.executable, "-m", "extriage", "case", "serve", "--case", str(case), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert found, (line, proc.stderr.read() if proc.stderr else "")
        yield found.group(0), str(case)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser() -> Any:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def test_filter_open_set_state_reload(browser: Any, served: tuple[str, str]) -> None:
    base, case = served
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(base)
    assert page.locator("#servers tbody tr").count() == 3
    # a box ticked submits the filter form (dashboard.js) and the table shows only that verdict
    with page.expect_navigation():
        page.locator("input[name=verdict][value=compromised]").check()
    verdicts = page.locator("#servers tbody tr").evaluate_all("rows => rows.map(r => r.dataset.verdict)")
    assert verdicts and set(verdicts) == {"compromised"}
    assert "verdict=compromised" in page.url
    # sort by name, descending, by clicking the header twice
    for _ in range(2):  # each click loads the next page: wait for it, or the check races the second load
        with page.expect_navigation():
            page.click("th a[data-sort=name]")
    assert page.locator("th[aria-sort=descending] a[data-sort=name]").count() == 1
    # the hostile host name is shown as text, never run
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.get_by_text("<img src=x", exact=False).count() >= 1
    # open a server, record a state, reload: it is kept
    page.locator("a.server-link", has_text="exch01").first.click()
    assert page.locator("#server-name").inner_text().lower().startswith("exch01")
    page.select_option("#state", "disconnected")
    page.fill("#by", "Ana <b>responder</b>")
    page.fill("#note", "cable pulled")
    with page.expect_navigation():
        page.click("#set-state")
    assert page.locator("[role=status]").count() == 1, page.content()[:3000]
    assert page.locator("[role=status]").inner_text() == "Saved."
    page.reload()
    assert page.locator("#current-state").inner_text() == "disconnected"
    assert page.locator("#priority").inner_text() == "rebuild"
    assert page.locator("#response-log tbody tr").first.inner_text().count("Ana <b>responder</b>") == 1
    # the shared indicators and the fleet timeline link back to servers
    with page.expect_navigation():  # count() does not wait: wait for the page the link loads
        page.click("#nav-indicators")
    assert page.locator("#indicators tbody tr").count() >= 1
    with page.expect_navigation():
        page.click("#nav-timeline")
    assert page.locator("#timeline tbody a").count() >= 1
    page.goto(base + "server/3/report")
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert not problems, problems
    with open_case(case, create=False) as store:
        states = {s.name.split(".")[0].lower(): s.response_state for s in store.servers()}
    assert states["exch01"] == "disconnected"
    assert sum(1 for s in states.values() if s == "open") == 2
