"""Issue 13, "reports that mislead", through the installed command on a generated server with every
planter (web shells, events, ransomware, scanners, our probe): what goes to partners is right."""

from __future__ import annotations

import http.server
import ipaddress
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import load, run, snapshot


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], Path]:
    base = tmp_path_factory.mktemp("full")
    r = run("generate", base / "srv", "--scenario", "full", "--size", "300KB", "--days", "3", "-q", "-j", "1",
            "--json", base / "facts.json")
    assert r.rc == 0, r.tail()
    before = snapshot(base / "srv")
    r = run("scan", base / "srv", "-q", "-j", "1", "--json", base / "r.json", "--report", base / "rep")
    assert r.rc == 20, r.tail()
    assert snapshot(base / "srv") == before
    return base / "rep", load(base / "facts.json")["plan"], base / "r.json"


def _misp_actionable(misp: dict[str, Any]) -> set[str]:
    event = misp.get("Event", misp)
    attrs = list(event.get("Attribute", []))
    for obj in event.get("Object", []):
        attrs += obj.get("Attribute", [])
    return {str(a["value"]) for a in attrs if a.get("to_ids")}


def _not_actionable(value: str) -> bool:
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return value.startswith("internal-")
    return ip.is_private or ip.is_loopback


def test_scanners_and_internal_addresses_are_not_shared_as_attackers(
    full: tuple[Path, dict[str, Any], Path],
) -> None:
    rep, plan, _ = full
    actionable = _misp_actionable(json.loads((rep / "misp-event.json").read_text()))
    assert not actionable & set(plan["scanner_ips"]), "scanner addresses exported with to_ids"
    assert not [v for v in actionable if _not_actionable(v)], actionable
    assert set(plan["attacker_ips"]) <= actionable
    stix = json.loads((rep / "stix-bundle.json").read_text())
    patterns = " ".join(o.get("pattern", "") for o in stix["objects"] if o.get("type") == "indicator")
    assert not [ip for ip in plan["scanner_ips"] if ip in patterns], "scanner address as a STIX indicator"
    cisa = (rep / "cisa-incident-report.md").read_text()
    indicators = cisa[cisa.lower().find("indicator") :]
    assert not [ip for ip in plan["scanner_ips"] if ip in indicators], "scanner address in the CISA indicators"


def test_redaction_never_creates_an_indicator(full: tuple[Path, dict[str, Any], Path], tmp_path: Path) -> None:
    _, _, result = full
    r = run("report", result, "-o", tmp_path / "rep", "--redact")
    assert r.rc == 0, r.tail()
    actionable = _misp_actionable(json.loads((tmp_path / "rep" / "misp-event.json").read_text()))
    assert not [v for v in actionable if "internal" in v or _not_actionable(v)], actionable


def test_ransomware_reaches_the_verdict_the_plan_and_the_drafts(full: tuple[Path, dict[str, Any], Path]) -> None:
    rep, _, result = full
    data = load(result)
    if not any("dearcry" in json.dumps(f).lower() for f in data["findings"]):
        pytest.skip("the generator of this version planted no DearCry traces")
    assert "ransom" in data["verdict_reason"].lower()
    for name in ("report.md", "cisa-incident-report.md"):
        assert "dearcry" in (rep / name).read_text().lower(), name


def test_accounts_to_reset_are_accounts(full: tuple[Path, dict[str, Any], Path]) -> None:
    rep, plan, _ = full
    md = (rep / "report.md").read_text()
    line = next((ln for ln in md.splitlines() if ln.startswith("**Accounts to reset:**")), "")
    for bad in ("NT AUTHORITY", "SYSTEM`", "Administrators`", f"{plan['hostname']}$"):
        assert bad not in line, (bad, line)


def test_web_shells_counted_once_per_file(full: tuple[Path, dict[str, Any], Path]) -> None:
    rep, _, _ = full
    md = (rep / "report.md").read_text()
    m = re.search(r"\*\*Web shells \((\d+) files?\):\*\* (.*)", md)
    assert m, "no web shell line in report.md"
    entries = re.findall(r"`([^`]+)`(?: \(also ((?:`[^`]+`(?:, )?)+)\))?", m.group(2))
    top = [e[0] for e in entries]
    aliases = {e[0]: re.findall(r"`([^`]+)`", e[1]) for e in entries}

    def ident(p: str) -> str:
        p = re.sub(r"^\\\\[^\\]+\\([a-z])\$", r"\1:", p.replace("/", "\\"), flags=re.I)
        return p.lower()

    assert len(top) == int(m.group(1)), (m.group(1), top)
    assert len({ident(p) for p in top}) == len(top), top
    for path, names in aliases.items():  # an alias of one file never names another listed file
        others = {ident(p) for p in top if p != path}
        assert not others & {ident(a) for a in names}, (path, names)


def test_mitigation_plan_xml_can_be_pasted() -> None:
    r = run("mitigation", "plan", "--build", "15.1.2176.2")
    assert r.rc == 0, r.tail()
    assert "\\x0a" not in r.out and "\\n<" not in r.out


def test_patch_status_of_a_non_build_is_a_usage_error() -> None:
    r = run("patch-status", "banana")
    assert r.rc == 2, r.tail()
    assert "banana" in r.out + r.err


@pytest.fixture
def plain_http() -> Iterator[int]:
    class Quiet(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<html>not exchange</html>"
            self.send_response(404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_probe_bare_host_port_on_plain_http(plain_http: int) -> None:
    """A bare host:port that speaks plain HTTP: answered (not a raw TLS error) or a hint to use http://."""
    r = run("probe", f"127.0.0.1:{plain_http}", "--connect-timeout", "2", "--read-timeout", "2", "--json", "-", "-q")
    assert r.rc in (0, 51), r.tail()
    text = r.out + r.err
    assert "not-exchange" in text or "http://" in text, text[-1500:]
    assert "WRONG_VERSION_NUMBER" not in text or "http://" in text
