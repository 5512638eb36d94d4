"""End to end: verdicts, stories, timeline, JSON schema, outputs, bad input — on small built trees."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

import jsonschema
import pytest
from rich.console import Console
from typer.testing import CliRunner

from extriage.cli.main import _register, app
from extriage.findings import Outcome, ScanResult, Verdict
from extriage.report.terminal import render_scan
from extriage.report.timeline_csv import write_timeline_csv
from extriage.scan.context import ScanOptions
from extriage.scan.facts import Detections
from extriage.scan.pipeline import run_scan
from extriage.schema import load_schema

from .builders import (
    ATTACKER,
    FIELDS,
    INSTALL,
    SHELL_IP,
    build_server,
    core_stages,
    hp_header,
    hp_row,
    ssrf,
    write,
)

_register()
runner = CliRunner()


def scan(path: Path) -> ScanResult:
    return run_scan(str(path), ScanOptions(jobs=1), stages=core_stages())


def validate(result: ScanResult) -> dict:  # type: ignore[type-arg]
    data = json.loads(json.dumps(result.to_dict(), default=str))
    validator = jsonschema.Draft202012Validator(load_schema(), format_checker=jsonschema.FormatChecker())
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(data)]
    assert not errors, errors[:5]
    return data


def tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def compromised(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ScanResult]:
    root = build_server(tmp_path_factory.mktemp("comp"), "compromised")
    before = tree_digest(root)
    result = scan(root)
    assert tree_digest(root) == before  # evidence never written
    return root, result


def test_compromised_verdict_chain_and_timeline(compromised: tuple[Path, ScanResult]) -> None:
    _root, result = compromised
    assert result.verdict == Verdict.COMPROMISED
    assert ATTACKER in result.verdict_reason
    assert result.waves["proxylogon"] == Verdict.COMPROMISED
    story = next(s for s in result.stories if ATTACKER in s.client_ips)
    titles = [s.title for s in story.steps]
    for needle in ("autodiscover", "mapi", "proxyLogon.ecp", "DDIService", "virtual directory URL", "ResetOAB", "OAB generator"):
        assert any(needle in t for t in titles), (needle, titles)
    assert [s.timestamp for s in story.steps] == sorted(s.timestamp for s in story.steps)  # type: ignore[type-var]
    assert story.outcome == Outcome.SUCCESS
    ts = [e.timestamp for e in result.timeline]
    assert ts == sorted(ts) and len(ts) >= 8
    assert all(e.finding_ids for e in result.timeline if e.kind == "request" and e.client_ip == ATTACKER)
    # the web shell named by the OAB generator log is looked up in the IIS logs (cross-source)
    assert "/owa/auth/redirsuiteserverproxy.aspx" in result.extras["logs"]["pivots"]["webshell_urls"]
    shell = next(f for f in result.findings if f.rule_id == "WS-OWA-AUTH")
    assert shell.outcome == Outcome.WEBSHELL and SHELL_IP in shell.indicators.client_ips
    oab = next(f for f in result.findings if f.rule_id == "PL-26858-OAB-WRITE")
    assert "not present in the evidence" in oab.description and "/owa/auth/redirsuiteserverproxy.aspx" in oab.description


def test_findings_carry_raw_line_hash_and_line_number(compromised: tuple[Path, ScanResult]) -> None:
    _root, result = compromised
    hashes = {r.path: r.sha256 for r in result.files}
    f = next(f for f in result.findings if f.rule_id == "PL-26855-SSRF" and "proxylogon-ecp" in " ".join(f.tags))
    ev = f.evidence[0]
    text = Path(ev.source).read_text(encoding="utf-8").splitlines()
    assert text[ev.line - 1] == ev.raw  # type: ignore[operator]
    assert ev.sha256 == hashes[ev.source] == hashlib.sha256(Path(ev.source).read_bytes()).hexdigest()
    assert ev.fields["HttpStatus"] == "241" and f.cves == ["CVE-2021-26855"] and "T1190" in f.attack
    assert ATTACKER in f.indicators.client_ips and "python-requests/2.25.1" in f.indicators.user_agents


def test_json_output_follows_schema_and_coverage(compromised: tuple[Path, ScanResult]) -> None:
    _, result = compromised
    data = validate(result)
    fams = data["coverage"]["families"]
    assert {"httpproxy", "iis", "ecp", "oabgen"} <= set(fams)
    assert fams["httpproxy"]["files"] == 4 and fams["httpproxy"]["first"].startswith("2021-03-03")
    assert data["activity"]["requests_per_hour"]["httpproxy"]
    # logs start inside the ProxyLogon window: the report says earlier exploitation cannot be seen
    assert any("earlier exploitation cannot be seen" in w for w in data["coverage"]["warnings"])


@pytest.mark.parametrize(("scenario", "verdict"), [("clean", Verdict.NO_EVIDENCE), ("attempts", Verdict.ATTEMPTED),
                                                   ("scanner", Verdict.NO_EVIDENCE)])
def test_other_scenarios(tmp_path: Path, scenario: str, verdict: Verdict) -> None:
    result = scan(build_server(tmp_path, scenario))
    assert result.verdict == verdict, result.verdict_reason
    validate(result)
    if scenario == "clean":
        assert "lines/records of" in result.verdict_reason and result.coverage.families["httpproxy"].lines > 0
    if scenario == "scanner":
        assert any(f.outcome == Outcome.SCANNER for f in result.findings)
        assert "scanner" in result.verdict_reason


def test_logs_outside_window_and_missing_family_are_warned(tmp_path: Path) -> None:
    write(tmp_path, f"{INSTALL}/Logging/HttpProxy/Owa/HttpProxy_2023010602-1.LOG",
          hp_header("plain", "2023-01-06T02:00:00Z") + hp_row(DateTime="2023-01-06T02:20:32.841Z", Protocol="Owa",
                                                            UrlStem="/owa/", HttpStatus="302") + "\n")
    result = scan(tmp_path)
    # logs from 2023 only: nothing that could show any wave was read for its period
    assert result.verdict == Verdict.INCONCLUSIVE
    assert "Could not decide" in result.verdict_reason and "Collect" in result.verdict_reason
    assert {v for w, v in result.waves.items() if w != "post-exploitation"} == {Verdict.INCONCLUSIVE}
    warnings = " ".join(result.coverage.warnings)
    assert "after the ProxyLogon exploitation period" in warnings
    assert "No IIS W3C logs were found" in warnings and "No ECP server logs" in warnings


def test_zip_and_plain_folder_layouts(tmp_path: Path, compromised: tuple[Path, ScanResult]) -> None:
    root, _ = compromised
    archive = tmp_path / "ev.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in root.rglob("*"):
            if p.is_file():
                zf.write(p, "collection/" + str(p.relative_to(root)))
    assert scan(archive).verdict == Verdict.COMPROMISED
    # a plain folder with the structure lost: families come from the file headers
    flat = tmp_path / "flat"
    flat.mkdir()
    for i, p in enumerate(sorted(root.rglob("*.LOG")) + sorted(root.rglob("*.log"))):
        (flat / (f"file{i}.log" if i % 2 else f"noext{i}")).write_bytes(p.read_bytes())
    result = scan(flat)
    assert result.verdict == Verdict.COMPROMISED
    assert {"httpproxy", "iis", "ecp", "oabgen"} <= set(result.coverage.families)


def test_bad_inputs_are_named_and_skipped(tmp_path: Path) -> None:
    hp = f"{INSTALL}/Logging/HttpProxy/Ecp"
    good = ssrf("2021-03-03T06:49:46.210Z", "/ecp/proxyLogon.ecp?#", "241")
    write(tmp_path, f"{hp}/HttpProxy_2021030306-1.LOG", hp_header("plain") + good + "\n")
    write(tmp_path, f"{hp}/HttpProxy_2021030307-1.LOG", os.urandom(20000).replace(b"\n", b"") + b"\x00" * 10)  # binary
    write(tmp_path, f"{hp}/HttpProxy_2021030308-1.LOG", b"")  # empty
    # truncated mid-line, with non-UTF-8 bytes and a 3 MB line
    junk = (hp_header("plain") + "2021-03-03T08:00:00.000Z,\xff\xfe,ServerInfo~x/" + "B" * 3_000_000 + "\n").encode("latin-1")
    write(tmp_path, f"{hp}/HttpProxy_2021030309-1.LOG", junk + good[:80].encode())
    write(tmp_path, f"{hp}/HttpProxy_2021030310-1.LOG", "no header at all\n" + good + "\n")  # no #Fields
    if os.geteuid() != 0:
        unreadable = write(tmp_path, f"{hp}/HttpProxy_2021030311-1.LOG", hp_header("plain"))
        unreadable.chmod(0)
    result = scan(tmp_path)
    assert result.verdict == Verdict.COMPROMISED  # the good file still counts
    reasons = {Path(s.path).name: s.reason for s in result.coverage.skipped}
    assert "binary" in reasons["HttpProxy_2021030307-1.LOG"]
    assert "longer than 1 MB" in reasons["HttpProxy_2021030309-1.LOG"]
    assert "without a #Fields header" in reasons["HttpProxy_2021030310-1.LOG"]
    assert any("not read completely" in w for w in result.coverage.warnings)
    validate(result)


def test_zip_slip_and_bomb_entries_are_refused(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("../../etc/evil.log", "x")
        zf.writestr(f"{INSTALL}/Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG",
                    hp_header("plain") + ssrf("2021-03-03T06:49:46.210Z", "/ecp/proxyLogon.ecp?#", "241") + "\n")
        zf.writestr("bomb/HttpProxy_bomb.LOG", b"0" * 50_000_000)
    result = scan(archive)
    assert result.verdict == Verdict.COMPROMISED
    reasons = " ".join(f"{s.path}: {s.reason}" for s in result.coverage.skipped)
    assert "evil.log" in reasons and "bomb" in reasons.lower()
    assert not (tmp_path.parent / "etc" / "evil.log").exists()


def test_cli_outputs_exit_codes_and_escaping(tmp_path: Path) -> None:
    ev = tmp_path / "ev"
    hostile_ua = "=HYPERLINK(\"http://x\")[bold red]pwn[/]\x1b[31m"
    write(ev, f"{INSTALL}/Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG",
          hp_header("plain") + ssrf("2021-03-03T06:49:46.210Z", "/ecp/proxyLogon.ecp?#", "241", ua=hostile_ua) + "\n")
    out_json, out_csv = tmp_path / "r.json", tmp_path / "t.csv"
    res = runner.invoke(app, ["scan", str(ev), "-j", "1", "--json", str(out_json), "--timeline", str(out_csv)])
    assert res.exit_code == 20, res.output
    assert "\x1b[31m" not in res.output and "\\x1b" in res.output
    data = json.loads(out_json.read_text())
    assert data["verdict"] == "compromised"
    rows = list(csv.reader(io.StringIO(out_csv.read_text())))
    assert rows[0][0] == "timestamp_utc" and len(rows) >= 2
    assert all(not c.startswith(("=", "+", "@")) for r in rows[1:] for c in r)
    assert any("'=HYPERLINK" in c or "HYPERLINK" in c for r in rows[1:] for c in r)
    # control characters of the evidence are visible escapes in the CSV too, never raw bytes
    csv_text = out_csv.read_text(encoding="utf-8")
    assert "\x1b" not in csv_text and "\\x1b[31m" in csv_text
    # --json - writes only JSON to stdout
    res = runner.invoke(app, ["scan", str(ev), "-j", "1", "--json", "-"])
    assert json.loads(res.stdout)["verdict"] == "compromised"
    # user errors: one sentence, exit 2, no traceback
    res = runner.invoke(app, ["scan", str(tmp_path / "missing")])
    assert res.exit_code == 2 and "does not exist" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["scan", str(ev), "--json", str(ev / "inside.json")])
    assert res.exit_code == 2 and "read-only" in res.output
    empty = tmp_path / "empty"
    empty.mkdir()
    res = runner.invoke(app, ["scan", str(empty), "-j", "1"])
    assert res.exit_code == 3 and "Could not decide" in res.output  # inconclusive, not a usage error
    assert "INCONCLUSIVE" in res.output


def test_terminal_shows_verdict_story_and_raw_lines(compromised: tuple[Path, ScanResult]) -> None:
    _, result = compromised
    console = Console(file=io.StringIO(), width=200, force_terminal=False)
    render_scan(result, console)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert text.startswith(" VERDICT: COMPROMISED")
    assert text.index("Attack story") < text.index("Findings") < text.index("Coverage")
    assert "ServerInfo~a]@servernavn.xxx.local:444/ecp/proxyLogon.ecp?#" in text
    assert "Cmdlet=Set-OabVirtualDirectory; Parameter=ExternalUrl" in text


def test_timeline_csv_sorted(tmp_path: Path, compromised: tuple[Path, ScanResult]) -> None:
    _, result = compromised
    dest = tmp_path / "t.csv"
    write_timeline_csv(result, dest)
    rows = list(csv.DictReader(dest.open(encoding="utf-8")))
    stamps = [r["timestamp_utc"] for r in rows]
    assert stamps == sorted(stamps) and len(rows) == len(result.timeline)


def test_fields_list_is_real() -> None:
    assert "AnchorMailbox" in FIELDS


def test_extra_rule_folder_and_broken_rule_file(tmp_path: Path) -> None:
    ev = tmp_path / "ev"
    write(ev, f"{INSTALL}/Logging/HttpProxy/Owa/HttpProxy_2021030306-1.LOG",
          hp_header("plain") + hp_row(DateTime="2021-03-03T06:00:00Z", Protocol="Owa", UrlStem="/owa/evil-marker",
                                      ClientIpAddress="198.51.100.7", HttpStatus="200") + "\n")
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "mine.yml").write_text(
        "rules:\n  - id: MY-1\n    title: marker\n    family: httpproxy\n    wave: other\n    prefilter: [evil-marker]\n"
        "    match: {cs-uri-stem|endswith: /evil-marker}\n    outcome: attempt\n    indicators: {client_ips: [c-ip]}\n")
    res = runner.invoke(app, ["scan", str(ev), "-j", "1", "--log-rules", str(rules), "--json", "-"])
    data = json.loads(res.stdout)
    assert res.exit_code == 10 and data["findings"][0]["rule_id"] == "MY-1"
    assert data["findings"][0]["indicators"]["client_ips"] == ["198.51.100.7"]
    (rules / "mine.yml").write_text("rules:\n  - id: MY-1\n    title: x\n")
    res = runner.invoke(app, ["scan", str(ev), "-j", "1", "--log-rules", str(rules)])
    assert res.exit_code == 2 and "mine.yml" in res.output and "MY-1" in res.output and "Traceback" not in res.output


def test_a_failing_stage_does_not_lose_the_scan(tmp_path: Path) -> None:
    class Boom:
        name = "boom"
        requires = ()
        provides = (Detections,)

        def run(self, ctx: object) -> None:
            raise RuntimeError("simulated bug")

    result = run_scan(str(build_server(tmp_path, "clean")), ScanOptions(jobs=1), stages=[*core_stages(), Boom()])
    assert result.verdict == Verdict.INCONCLUSIVE
    assert "INCOMPLETE: the boom stage failed" in result.verdict_reason
    assert any("boom stage failed (RuntimeError: simulated bug)" in w for w in result.coverage.warnings)


def test_csv_cells_show_control_characters_and_stay_formula_safe() -> None:
    from extriage.report.timeline_csv import csv_safe

    assert csv_safe("a\x07b\x1b[2Jc\x9bd\x7f") == "a\\x07b\\x1b[2Jc\\x9bd\\x7f"
    assert csv_safe("\r=cmd|' /C calc'!A0") == "\\x0d=cmd|' /C calc'!A0"  # no longer a formula at all
    assert csv_safe("\t=1+1") == "'\t=1+1" and csv_safe("=1+1") == "'=1+1"
    assert csv_safe("C:\\inetpub\\wwwroot\\aspnet_client\\x.aspx") == "C:\\inetpub\\wwwroot\\aspnet_client\\x.aspx"


def test_reason_counts_files_where_no_lines_were_read(tmp_path: Path) -> None:
    """A folder holding only an unreadable page: the reason counts the file read, never "0 lines"."""
    page = tmp_path / "ev" / "inetpub" / "wwwroot" / "x.aspx"
    page.parent.mkdir(parents=True)
    page.write_bytes(bytes(range(256)) * 4)
    result = run_scan(str(tmp_path / "ev"), ScanOptions(jobs=1))  # every stage: the web file stage reads it
    assert result.verdict == Verdict.INCONCLUSIVE
    assert "1 file of webfiles" in result.verdict_reason and "0 lines" not in result.verdict_reason
