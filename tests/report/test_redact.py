"""--redact removes every internal name from every export, consistently, and keeps attacker data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from extriage.report.exports import FORMATS, write_reports
from extriage.report.redact import Redactor, is_internal_ip, redact_results

from . import samples

#: Every internal name planted in the sample results (host, FQDN, domain, users, internal IP).
INTERNAL = [
    samples.HOST, samples.FQDN, "contoso.local", "contoso.com", "CONTOSO", samples.USER, "alice.admin",
    samples.INTERNAL_IP, "10.0.0.5",
]


@pytest.fixture(scope="module")
def redacted_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("redacted")
    write_reports([samples.compromised(), samples.attempted(), samples.clean()], out, list(FORMATS), "green", redact=True)
    return out


def _all_text(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text(encoding="utf-8") for p in folder.rglob("*") if p.is_file()}


def test_no_internal_name_in_any_export(redacted_dir: Path) -> None:
    texts = _all_text(redacted_dir)
    assert {"report.html", "report.md", "stix-bundle.json", "misp-event.json", "indicators.csv",
            "timeline.timesketch.jsonl", "cisa-incident-report.md"} <= set(texts)
    for name, text in texts.items():
        # JSON files escape backslashes; compare on a form with both spellings collapsed
        flat = text.replace("\\\\", "\\").lower()
        for secret in INTERNAL:
            assert not re.search(rf"(?<![a-z0-9]){re.escape(secret.lower())}(?![a-z0-9])", flat), f"{secret!r} left in {name}"


def test_attacker_data_is_kept(redacted_dir: Path) -> None:
    texts = _all_text(redacted_dir)
    for name in ("report.md", "stix-bundle.json", "misp-event.json", "indicators.csv", "cisa-incident-report.md"):
        assert samples.ATTACKER in texts[name], name
    assert samples.WEBSHELL_SHA in texts["stix-bundle.json"]


def test_tokens_are_consistent_across_files(redacted_dir: Path) -> None:
    texts = _all_text(redacted_dir)
    results, redactor = redact_results([samples.compromised(), samples.attempted(), samples.clean()])
    host_token = redactor.mapping[samples.FQDN.lower()]
    ip_token = redactor.mapping[samples.INTERNAL_IP]
    assert results[0].hostname == host_token
    for name in ("report.html", "report.md", "timeline.timesketch.jsonl"):
        assert host_token in texts[name], name
    assert ip_token in texts["report.html"] and ip_token in texts["indicators.csv"]


def test_redactor_rules() -> None:
    red = Redactor()
    red.add_account("CORP\\bob.smith")
    red.add_account("carol@corp.example")
    red.add_account("NT AUTHORITY\\SYSTEM")
    red.add_host("ex02.corp.example")
    text = "CORP\\bob.smith logged on to EX02 from 192.168.1.5 and 8.8.8.8 as SYSTEM; mail carol@corp.example; fe80::1"
    out = red.text(text)
    for secret in ("bob.smith", "carol", "corp.example", "EX02", "192.168.1.5", "fe80::1"):
        assert secret.lower() not in out.lower(), out
    assert "8.8.8.8" in out and "SYSTEM" in out
    assert red.text(text) == out  # stable


def test_internal_ranges() -> None:
    assert is_internal_ip("10.1.2.3") and is_internal_ip("172.31.0.1") and is_internal_ip("192.168.0.1")
    assert is_internal_ip("127.0.0.1") and is_internal_ip("fd00::1") and is_internal_ip("100.64.0.1")
    assert not is_internal_ip("203.0.113.77") and not is_internal_ip("8.8.8.8") and not is_internal_ip("not an ip")


def test_public_ioc_with_unspecified_address_is_kept() -> None:
    # HAFNIUM's user agent is an indicator partners match verbatim; 0.0.0.0 names no internal machine.
    out = Redactor().text("UA ExchangeServicesClient/0.0.0.0 from 10.1.2.3")
    assert "ExchangeServicesClient/0.0.0.0" in out and "10.1.2.3" not in out
    assert not is_internal_ip("0.0.0.0") and not is_internal_ip("::")


def test_user_profile_paths_and_field_names_are_learnt() -> None:
    r = samples.attempted()
    r.findings[0].evidence[0].fields = {"cs-username": "CONTOSO\\mallory", "cs(User-Agent)": "Mozilla/5.0", "s-computername": "MBX07"}
    r.findings[0].indicators.paths = ["C:\\Users\\dave\\Desktop\\x.aspx"]
    r.findings[0].evidence[0].raw += " CONTOSO\\mallory MBX07 C:\\Users\\dave\\Desktop\\x.aspx"
    (red,), _ = redact_results([r])
    dump = str(red.to_dict()).lower()
    for secret in ("mallory", "mbx07", "dave"):
        assert secret not in dump
    assert "mozilla/5.0" in dump  # user agents are not user names


def test_evidence_root_is_replaced() -> None:
    r = samples.attempted()
    r.evidence_path = "/cases/AcmeWidgets-2021/EXCH02"
    r.findings[0].evidence[0].source = "/cases/AcmeWidgets-2021/EXCH02/inetpub/logs/u_ex210302.log"
    (red,), _ = redact_results([r])
    assert red.evidence_path == "[evidence]"
    assert red.findings[0].evidence[0].source == "[evidence]/inetpub/logs/u_ex210302.log"
