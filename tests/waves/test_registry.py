"""The wave registry (``detections/waves/registry.yml``): one place for every wave fact, every other
table derived from it, and a new wave added from a folder without touching the package."""

from __future__ import annotations

import ast
import json
from datetime import date
from importlib import resources
from pathlib import Path

import pytest

import extriage
from core.builders import IIS_HEADER, build_server, iis_line, write
from extriage.detections import builds
from extriage.detections.builds.table import load_table
from extriage.detections.mitigations.catalog import load_catalog
from extriage.detections.mitigations.probe_xref import cross_reference, wave_mitigations
from extriage.detections.mitigations.verify import VerifyReport
from extriage.detections.verdict import assess_waves, load_waves
from extriage.detections.waves.registry import (
    ENV_DIRS,
    WaveRegistryError,
    extension_dirs,
    load_registry,
    parse_registry,
)
from extriage.findings import ScanResult
from extriage.formats.families import FAMILY_IDS
from extriage.probe.confirm import CHECKS
from extriage.probe.states import load_assess, probe_waves, verdict_for_build
from extriage.report.html import _waves as html_waves
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan
from extriage.scan.stages.events.correlate_stage import exploitation_periods

PACKAGE = Path(extriage.__file__).parent
REGISTRY_YML = PACKAGE / "detections" / "waves" / "registry.yml"


def test_log_and_event_coverage_use_one_window_per_wave() -> None:
    """The event-log coverage ([start, end) datetimes) and the log coverage (dates) come from the
    same registry window, so they can no longer disagree about a wave."""
    reg = load_registry()
    events = exploitation_periods()
    logs = assess_waves(ScanResult(evidence_path="x"))
    windowed = {w.id for w in reg if w.window is not None}
    assert windowed and set(events) == windowed
    for wid in windowed:
        start, end = events[wid]
        window = logs[wid]["window"]
        assert start.date().isoformat() == window["start"]
        assert end.date().toordinal() == date.fromisoformat(window["end"]).toordinal() + 1  # end day counts whole
        assert (load_waves()[wid].window or (None, None))[0] == start.date()
    # the dates chosen from the public sources (Volexity, Black Hat, GTSC) are the ones in force
    assert events["proxylogon"][0].date() == date(2021, 1, 3)
    assert events["proxyshell"][0].date() == date(2021, 8, 5)
    assert events["proxynotshell"][0].date() == date(2022, 8, 1)


def test_registry_facts_match_the_other_data() -> None:
    """Every name the registry uses exists where it points: build-table CVEs and SU names, catalog
    mitigations, log families, probe checks."""
    reg = load_registry()
    table = load_table()
    su_names = {r.su for r in table.rows if r.su} | {a for r in table.rows for a in r.aliases}
    catalog_ids = set(load_catalog().ids())
    for w in reg:
        for cve in w.patch:
            assert cve in table.cves, (w.id, cve)
        for update in w.updates:
            assert update.split(" ")[0] in su_names, (w.id, update)
        for mid in w.mitigations:
            assert mid in catalog_ids, (w.id, mid)
        for fam in w.families:
            assert fam in FAMILY_IDS, (w.id, fam)
        if w.probe is not None and w.probe.confirm is not None:
            assert w.probe.confirm in CHECKS, (w.id, w.probe.confirm)
    # each catalog mitigation names a registry wave
    for m in load_catalog().all():
        assert m.wave in reg, m.id
    # the build table's CVE groups are the registry's patch groups (catch-all for the rest)
    groups = builds.waves()
    assert list(groups) == [w.id for w in reg.patch_waves()]
    assert sorted(c for ids in groups.values() for c in ids) == sorted(table.cves)


def test_probe_schema_lists_the_registry_probe_waves() -> None:
    schema = json.loads(resources.files("extriage.probe").joinpath("probe-result.schema.json").read_text("utf-8"))
    states = schema["$defs"]["states"]
    assert states["required"] == list(probe_waves())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("waves: {x: {title: X, window: {start: 2021-01-01, end: 2020-01-01}}}", "x.yml: waves.x.window.end"),
        ("waves: {x: {title: X, colour: red, window: {start: 2021-01-01, end: 2021-02-01}}}", "x.yml: waves.x.colour"),
        ("waves: {x: {title: X}}", "x.yml: waves.x.window: an exploit wave needs"),
        ("waves: {x: {window: {start: 2021-01-01, end: 2021-02-01}}}", "x.yml: waves.x.title: missing"),
        ("waves: {x: {title: X, role: boss, window: {start: 2021-01-01, end: 2021-02-01}}}", "x.yml: waves.x.role"),
        ("waves: {x: {title: X, window: {start: 2021-01-01, end: 2021-02-01}, patch: [CVE-2021-26855]}}",
         "x.yml: waves.x.patch: CVE-2021-26855 is already in proxylogon's patch group"),
        ("waves: {proxylogon: {title: X, window: {start: 2021-01-01, end: 2021-02-01}}}",
         "x.yml: waves.proxylogon: already defined in waves/registry.yml"),
        ("waves: {x: {title: X, cves: [CVE-21-1], window: {start: 2021-01-01, end: 2021-02-01}}}", "x.yml: waves.x.cves"),
        ("waves: {x: {title: X, role: other}}", "x.yml: waves.x.role: only one wave may be 'other'"),
        ("waves: [x]", "x.yml: a wave file holds one mapping"),
        ("waves: {x: {title: [", "x.yml: not valid YAML"),
    ],
)
def test_bad_registry_entries_name_the_file_and_key(text: str, message: str) -> None:
    base = REGISTRY_YML.read_text(encoding="utf-8")
    with pytest.raises(WaveRegistryError) as exc:
        parse_registry([("waves/registry.yml", base), ("x.yml", text)])
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_a_missing_extension_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(WaveRegistryError, match=f"{ENV_DIRS}: .*nowhere is not a folder"):
        extension_dirs(str(tmp_path / "nowhere"))


# -- a fictitious wave, end to end, from three files ---------------------------------------------------

FAKE_WAVE = """
waves:
  proxyfake:
    title: ProxyFake (fictitious)
    label: Proxy Fake
    cves: [CVE-2021-42321]
    disclosed: 2021-02-01
    fixed: 2021-11-09
    updates: [Nov21SU]
    window: {start: 2021-02-01, end: 2021-03-31, source: "a test"}
    families: [iis]
    collect: the IIS logs of February and March 2021
    patch: [CVE-2021-42321]
    mitigations: [proxynotshell-rewrite]
    probe:
      confirm: rewrite-abort
      blocked_by: proxynotshell-rewrite
"""
FAKE_RULE = """
rules:
  - id: FAKE-PATH
    title: ProxyFake request (fictitious)
    family: [iis]
    prefilter: ["/fakewave/"]
    match:
      cs-uri-stem|contains: /fakewave/
    outcome: attempt
    severity: high
    confidence: high
    wave: proxyfake
    cves: [CVE-2021-42321]
    indicators:
      client_ips: [c-ip]
    group_by: [c-ip]
"""
FAKE_CHAIN = """
chains:
  - id: proxyfake
    wave: proxyfake
    title: ProxyFake attack chain
    steps:
      - id: request
        title: The fictitious request
        findings: [FAKE-PATH/*]
"""


def test_a_fictitious_wave_from_three_files_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ext = tmp_path / "ext"
    write(ext, "waves/proxyfake.yml", FAKE_WAVE)
    write(ext, "rules/proxyfake.yml", FAKE_RULE)
    write(ext, "chains/proxyfake.yml", FAKE_CHAIN)
    monkeypatch.setenv(ENV_DIRS, str(ext))

    reg = load_registry()
    assert "proxyfake" in reg and reg.label("proxyfake") == "Proxy Fake"

    # the rule fires in a log built here, the chain makes its story, the window drives coverage
    root = build_server(tmp_path / "server", "clean")
    attacker = "203.0.113.77"
    write(root, "C/inetpub/logs/LogFiles/W3SVC1/u_ex210306.log",
          IIS_HEADER + iis_line("2021-03-06 04:00:00", "GET", "/fakewave/x.aspx", attacker, "200") + "\n")
    result = run_scan(str(root), ScanOptions(jobs=1))
    fake = [f for f in result.findings if f.rule_id == "FAKE-PATH"]
    assert fake and all(f.wave == "proxyfake" for f in fake)
    assert attacker in fake[0].indicators.client_ips
    assert any(s.wave == "proxyfake" and s.title.startswith("ProxyFake attack chain") for s in result.stories)
    cov = result.coverage.waves["proxyfake"]
    assert cov["window"] == {"start": "2021-02-01", "end": "2021-03-31"} and "iis" in cov["sources"]
    assert result.waves["proxyfake"].value == "attempted"
    assert "proxyfake" in exploitation_periods()  # event-log coverage has the same window

    # patch entry: the CVE moves into the new wave's group in patch-status and the scan's patch stage
    a = builds.assess(builds.parse_build("15.1.2308.8"))  # Exchange 2016 CU21, before Nov21SU
    assert next(c for c in a.cves if c.id == "CVE-2021-42321").wave == "proxyfake"
    # probe state (the build decides it) and its --confirm check
    assert "proxyfake" in probe_waves()
    assert verdict_for_build("15.1.2308.8", load_assess()).waves["proxyfake"].state.value == "vulnerable"
    # mitigation: the live check of the wave is compared with its URL Rewrite mitigation
    assert wave_mitigations()["proxyfake"] == "proxynotshell-rewrite"
    xref = cross_reference(VerifyReport(source="x"), {"results": [{"target": "mail", "confirmations": {"proxyfake": "mitigated"}}]})
    assert any(r["wave"] == "proxyfake" and r["live"] == "blocked" for r in xref["rows"])
    # report label
    assert ("Proxy Fake", "attempted") in html_waves(result)


# -- wave ids live in data only -------------------------------------------------------------------------

#: Files allowed to spell a wave id, and why.
ALLOWED = {
    "detections/waves/registry.py": "the registry loader",
    # The generator's planters are code per wave (each writes its own wave's log lines and files);
    # its scenario and component names are the generator's own vocabulary (``--scenario proxyshell``).
    "generator/": "generator scenario/planter names",
    "cli/generate_cmd.py": "generator scenario names (--scenario default, the main period's planter)",
}
KNOWN_GAPS: set[str] = set()  # files that still spell wave ids (none left)


def _wave_literals(path: Path, ids: set[str]) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in ids
            and id(node) not in docstrings]


def test_no_wave_id_as_a_python_string_literal() -> None:
    ids = set(load_registry().ids()) | {"other-kev"}
    bad: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if any(rel == a or (a.endswith("/") and rel.startswith(a)) for a in ALLOWED) or rel in KNOWN_GAPS:
            continue
        bad += [f"{rel}:{line}: {value!r}" for line, value in _wave_literals(path, ids)]
    assert not bad, "wave ids belong in detections/waves/registry.yml:\n" + "\n".join(bad)


def test_the_literal_check_sees_a_wave_id(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text('"""proxylogon in a docstring is prose."""\nWAVE = "proxylogon"\n', encoding="utf-8")
    assert _wave_literals(sample, {"proxylogon"}) == [(2, "proxylogon")]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "is not a folder"),
        ({"waves/x.yml": "waves: {x: {title: X}}"}, "x.yml: waves.x.window: an exploit wave needs"),
        ({"chains/c.yml": "chains: [{id: c, wave: nowave, title: t, steps: []}]"}, "chain c: wave 'nowave'"),
        ({"rules/r.yml": FAKE_RULE}, "wave 'proxyfake' is not one of"),
    ],
)
def test_a_bad_wave_folder_is_one_sentence_before_any_command(tmp_path: Path, files: dict[str, str],
                                                              message: str) -> None:
    from typer.testing import CliRunner

    from extriage.cli.main import _register, app

    _register()
    folder = tmp_path / "waves-ext"
    for rel, text in files.items():
        write(folder, rel, text)
    res = CliRunner().invoke(app, ["patch-status", "15.1.2176.2"], env={ENV_DIRS: str(folder if files else tmp_path / "none")})
    assert res.exit_code == 2, res.output
    assert message in res.output and "Traceback" not in res.output
