"""Reports from real generated servers scanned by the real pipeline (compromised, attempted, clean)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import stix2
from pymisp import MISPEvent

from extriage.findings import Verdict
from extriage.report.exports import FORMATS, write_reports
from extriage.report.load import load_result

generator = pytest.importorskip("extriage.generator")
pipeline = pytest.importorskip("extriage.scan.pipeline")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from extriage.scan.context import ScanOptions

    base = tmp_path_factory.mktemp("gen")
    out: dict[str, Path] = {}
    for scenario in ("proxylogon", "attempts", "clean"):
        try:
            g = generator.generate(base / scenario, scenario=scenario, size="2MB", days=2, seed=7, jobs=1)
        except ValueError as exc:  # scenario names are the generator's to choose
            pytest.skip(f"generator scenario {scenario!r} unavailable: {exc}")
        result = pipeline.run_scan(str(g.dest), ScanOptions(jobs=1))
        path = base / f"{scenario}.json"
        path.write_text(json.dumps(result.to_dict()), encoding="utf-8")
        out[scenario] = path
    return out


def test_reports_from_generated_servers(scans: dict[str, Path], tmp_path: Path) -> None:
    results = [load_result(p) for p in scans.values()]
    assert results[0].verdict is Verdict.COMPROMISED
    assert results[2].verdict is Verdict.NO_EVIDENCE
    written = write_reports(results, tmp_path, list(FORMATS), "amber", redact=True)
    assert (tmp_path / "report.html").stat().st_size > 10_000
    bundle = stix2.parse((tmp_path / "stix-bundle.json").read_text(encoding="utf-8"), allow_custom=False)
    assert any(o.type == "indicator" and "ipv4-addr" in o.pattern for o in bundle.objects)
    event = MISPEvent()
    event.load_file(str(tmp_path / "misp-event.json"))
    assert any(a.type == "ip-src" for a in event.attributes)
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "Disconnect the server" in md and "Nothing found" in md
    assert any("redacted" in n for n in written.notes)
    # the generator's host name and domain never reach a redacted export
    for f in tmp_path.rglob("*"):
        if f.is_file():
            text = f.read_text(encoding="utf-8").lower()
            assert "exch01" not in text and "contoso" not in text, f.name


def test_browser_on_generated_report(scans: dict[str, Path], tmp_path: Path) -> None:
    from .test_html_browser import ARGS, CHROMIUM

    if not Path(CHROMIUM).exists():
        pytest.skip("chromium not installed")
    from playwright.sync_api import sync_playwright

    from extriage.report.html import write_html

    write_html([load_result(scans["proxylogon"])], tmp_path / "r.html")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = b.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((tmp_path / "r.html").as_uri())
        assert errors == []
        assert "COMPROMISED" in page.locator("#verdict-0 .verdict-text").inner_text()
        assert page.locator("#chart-0 rect.bar").count() > 10
        assert page.locator("#chart-0 rect.bar-att").count() >= 1
        assert page.locator("#findings-0 details.f-item").count() > 0
        b.close()


def test_scan_with_report_option(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from extriage.cli.main import _register, app

    _register()
    g = generator.generate(tmp_path / "srv", scenario="proxylogon", size="1MB", days=1, seed=3, jobs=1)
    out = tmp_path / "reports"
    res = CliRunner().invoke(app, ["scan", str(g.dest), "--report", str(out), "--jobs", "1", "-q"])
    assert res.exit_code == 20, res.output
    assert {"report.html", "report.md", "stix-bundle.json", "cisa-incident-report.md"} <= {p.name for p in out.iterdir()}
    res = CliRunner().invoke(app, ["scan", str(g.dest), "--report", str(Path(g.dest) / "reports"), "-q"])
    assert res.exit_code == 2 and "evidence is read-only" in res.output
