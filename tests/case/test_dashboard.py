"""``extriage case serve``: pages, filters, response states, and the guard (loopback host check,
token, CSRF, cross-site POSTs, security headers), with attacker text from the evidence kept inert."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():  # starlette asks for httpx2, which is not needed for these tests
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from extriage.case.dashboard.app import build_app
from extriage.case.dashboard.guard import PAGE_CSP, Access
from extriage.case.store import CaseStore, open_case
from extriage.findings import ScanResult
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan

#: A host name and a finding title an attacker could have put into the evidence.
HOSTILE_NAME = '<img src=x onerror="window.pwned=1">EXCH66\u202egpj.aspx'
HOSTILE_TITLE = "<script>window.pwned=2</script>"
BASE = "http://127.0.0.1"


def hostile(result: ScanResult) -> ScanResult:
    result.hostname = HOSTILE_NAME
    if result.findings:
        result.findings[0].title = HOSTILE_TITLE
    return result


@pytest.fixture(scope="module")
def case_file(fleet: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dash") / "case.db"
    with open_case(str(path)) as store:
        for name in ("EXCH01", "EXCH02", "EXCH03"):
            store.add_scan(run_scan(str(fleet[name]), ScanOptions(jobs=1)))
        store.add_scan(hostile(run_scan(str(fleet["EXCH02"]), ScanOptions(jobs=1))), engine="local", worker="w")
        store.add_error(str(fleet["empty"]), "The evidence folder is empty.")
    return path


@pytest.fixture()
def store(case_file: Path, tmp_path: Path) -> Any:
    copy = tmp_path / "case.db"  # each test changes its own copy
    copy.write_bytes(case_file.read_bytes())
    with open_case(str(copy), create=False) as s:
        yield s


def client(store: CaseStore, access: Access | None = None) -> TestClient:
    return TestClient(build_app(store, access or Access.for_bind("127.0.0.1", None), store.shown), base_url=BASE)


def server_ids(store: CaseStore) -> dict[str, int]:
    return {s.name: s.id for s in store.servers()}


def test_table_filters_and_sorts(store: CaseStore) -> None:
    c = client(store)
    page = c.get("/")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == PAGE_CSP
    for name in ("exch01", "exch02", "exch03", "empty"):
        assert name in page.text.lower()
    only = c.get("/", params={"verdict": "no_evidence"})
    rows = re.findall(r'<tr data-verdict="([^"]+)"', only.text)
    assert rows == ["no_evidence"]
    compromised = c.get("/", params=[("verdict", "compromised"), ("priority", "disconnect now")])
    assert set(re.findall(r'<tr data-verdict="([^"]+)"', compromised.text)) == {"compromised"}
    by_name = c.get("/", params={"sort": "name", "desc": "1"})
    names = re.findall(r'class="server-link">([^<]+)<', by_name.text)
    assert names == sorted(names, key=str.lower, reverse=True)
    assert c.get("/", params={"q": "exch03"}).text.count('class="server-link"') == 1
    assert c.get("/", params={"sort": "nonsense", "page": "-4"}).status_code == 200


def test_server_page_state_is_recorded_with_name_and_time(store: CaseStore) -> None:
    c = client(store)
    sid = next(s.id for s in store.servers() if s.name.lower().startswith("exch01"))
    page = c.get(f"/server/{sid}")
    assert page.status_code == 200 and "Nothing recorded yet." in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    done = c.post(f"/server/{sid}/state", data={"csrf": csrf.group(1), "state": "disconnected", "by": "Ana",
                                                "note": "pulled the cable"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/server/{sid}?saved=1"
    again = c.get(f"/server/{sid}")
    assert '<span id="current-state">disconnected</span>' in again.text
    assert "Ana" in again.text and "pulled the cable" in again.text
    log = store.response_log(sid)
    assert [(e.state, e.by) for e in log] == [("disconnected", "Ana")] and log[-1].at is not None
    assert store.server(sid).priority == "rebuild"  # type: ignore[union-attr]  # compromised and off the network


def test_bad_forms_are_refused(store: CaseStore) -> None:
    c = client(store)
    sid = min(server_ids(store).values())
    token = c.app.access.csrf  # type: ignore[attr-defined]
    assert c.post(f"/server/{sid}/state", data={"state": "cleared", "by": "x"}).status_code == 403
    assert c.post(f"/server/{sid}/state", data={"csrf": "guess", "state": "cleared", "by": "x"}).status_code == 403
    wrong = c.post(f"/server/{sid}/state", data={"csrf": token, "state": "pwned", "by": "x"})
    assert wrong.status_code == 400 and 'role="alert"' in wrong.text
    nobody = c.post(f"/server/{sid}/state", data={"csrf": token, "state": "cleared", "by": "  "})
    assert nobody.status_code == 400
    assert c.post(f"/server/{sid}/state", data={"csrf": token, "state": "cleared", "by": "x" * 20_000}).status_code == 413
    assert c.post("/server/999999/state", data={"csrf": token, "state": "cleared", "by": "x"}).status_code == 404
    assert store.response_log(sid) == []


def test_cross_site_posts_and_foreign_hosts_are_refused(store: CaseStore) -> None:
    c = client(store)
    sid = min(server_ids(store).values())
    form = {"csrf": c.app.access.csrf, "state": "cleared", "by": "x"}  # type: ignore[attr-defined]
    assert c.post(f"/server/{sid}/state", data=form, headers={"Origin": "http://evil.example"}).status_code == 403
    assert c.post(f"/server/{sid}/state", data=form, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    # DNS rebinding: a page on another name that resolves to 127.0.0.1 is not answered
    assert c.get("/", headers={"Host": "evil.example"}).status_code == 421
    assert c.get("/", headers={"Host": "localhost:8765"}).status_code == 200
    assert store.response_log(sid) == []


def test_token_beyond_loopback(store: CaseStore) -> None:
    access = Access.for_bind("0.0.0.0", None)
    assert access.token and not access.loopback
    c = client(store, access)
    assert c.get("/").status_code == 401
    assert c.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert c.get("/", headers={"Authorization": f"Bearer {access.token}"}).status_code == 200
    first = c.get("/timeline", params={"token": access.token, "sort": "name"}, follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/timeline?sort=name"  # the token does not stay in the address
    assert "HttpOnly" in first.headers["set-cookie"] and "SameSite=Strict" in first.headers["set-cookie"]
    assert c.get("/timeline").status_code == 200  # the cookie now
    c.cookies.clear()
    assert c.get("/timeline").status_code == 401
    assert Access.for_bind("127.0.0.1", "given").token == "given"
    evil = client(store, access).get("/%0d%0aSet-Cookie:%20x=1", params={"token": access.token}, follow_redirects=False)
    assert "\r" not in evil.headers["location"] and "x=1" not in evil.headers.get("set-cookie", "").split(";")[0][-3:]


def test_attacker_text_is_inert_everywhere(store: CaseStore) -> None:
    c = client(store)
    sid = next(s.id for s in store.servers() if "EXCH66" in s.name)
    pages = [c.get("/"), c.get(f"/server/{sid}"), c.get("/indicators"), c.get("/timeline")]
    for page in pages:
        assert page.status_code == 200
        assert "<img src=x" not in page.text and "<script>window" not in page.text
        assert "\u202e" not in page.text
    assert "&lt;img src=x onerror=" in pages[0].text and "\\u202e" in pages[0].text
    assert "&lt;script&gt;window.pwned=2&lt;/script&gt;" in pages[1].text
    report = c.get(f"/server/{sid}/report")
    assert report.status_code == 200 and "<script>window.pwned" not in report.text
    policy = report.headers["content-security-policy"]
    assert "'sha256-" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy


def test_missing_things(store: CaseStore) -> None:
    c = client(store)
    assert c.get("/server/424242").status_code == 404
    assert c.get("/server/424242/report").status_code == 404
    error_id = next(s.id for s in store.servers() if s.verdict == "error")
    assert c.get(f"/server/{error_id}").status_code == 200
    assert c.get(f"/server/{error_id}/report").status_code == 404
    assert c.get("/static/dashboard.js").headers["content-type"].startswith("text/javascript")
    assert c.get("/static/../app.py").status_code == 404
