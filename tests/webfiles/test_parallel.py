"""The worker pool (forked workers given index ranges) finds exactly what one process finds."""

from __future__ import annotations

from pathlib import Path

import pytest

from extriage.detections.webfiles import content
from extriage.detections.webfiles.rules import build_ruleset
from extriage.findings import ScanResult
from extriage.generator.api import generate
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan
from extriage.scan.stages import webfiles as stage


def _scan(path: Path, jobs: int) -> ScanResult:
    return run_scan(str(path), ScanOptions(jobs=jobs), stages=list(stage.STAGES))


def _summary(result: ScanResult) -> tuple[object, ...]:
    findings = sorted(
        (f.rule_id, f.title, f.outcome.value, tuple(f.indicators.paths)) for f in result.findings
    )
    files = sorted((r.path, r.sha256, r.size) for r in result.files)
    w = result.extras["webfiles"]
    counts = (
        w["files_read"],
        w["files_content_scanned"],
        w["files_header_checked"],
        w["baseline"]["modified"],
    )
    return findings, files, counts


@pytest.mark.parametrize("main_examines", [True, False], ids=["main-and-workers", "workers-only"])
def test_many_small_batches_match_a_single_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, main_examines: bool
) -> None:
    dest = tmp_path / "server"
    generate(dest, scenario="proxylogon", size="300KB", layout="kape", seed=5, events=False)
    serial = _scan(dest, jobs=1)
    monkeypatch.setattr(stage, "_BATCH_FILES", 7)  # many ranges, several per worker
    monkeypatch.setattr(stage, "_PEEK_BATCH", 5)
    monkeypatch.setattr(stage, "PARALLEL_MIN_FILES", 1)  # a small tree, yet the pool runs
    monkeypatch.setattr(stage, "_spare_core", lambda workers: True)  # whatever the machine's load
    monkeypatch.setattr(stage, "MAIN_EXAMINES", main_examines)
    pools = _record_pools(monkeypatch)
    parallel = _scan(dest, jobs=3)
    assert pools and all(p is not None for p in pools)
    assert _summary(parallel) == _summary(serial)
    assert any(f.outcome.value == "webshell" for f in parallel.findings)


def _record_pools(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The worker pool each web file stage run was given (None: the main process alone)."""
    pools: list[object] = []
    run_here = stage._run_here

    def spy(ctx: object, work: object, params: object, pool: object) -> object:
        pools.append(pool)
        return run_here(ctx, work, params, pool)  # type: ignore[arg-type]

    monkeypatch.setattr(stage, "_run_here", spy)
    return pools


def test_small_file_tree_stays_in_one_process_when_no_core_is_free(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "server"
    generate(dest, scenario="proxylogon", size="300KB", layout="kape", seed=5, events=False)
    monkeypatch.setattr(stage, "PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr(stage.os, "getloadavg", lambda: (8.0, 8.0, 8.0))
    monkeypatch.setattr(stage, "_runnable_now", lambda: 3)  # two other threads run now
    pools = _record_pools(monkeypatch)
    result = _scan(dest, jobs=2)
    assert pools == [None]
    assert any(f.outcome.value == "webshell" for f in result.findings)


def _facts(res: content.BatchResult) -> tuple[object, ...]:
    outs = [
        (i, o.path, o.sha256, o.size, o.data, [(s.path, s.reason, s.partial) for s in o.skipped])
        for i, o in res.outcomes
    ]
    return res.plain, res.quiet, outs, res.builds, res.classes, res.peeked, res.scanned


def test_phased_batch_matches_file_by_file(tmp_path: Path) -> None:
    """The phased path (read all, hash all, paths at once, YARA all, ...) gives exactly the facts,
    hits, skipped reasons and order of examining each file on its own, on every kind of file."""
    root = tmp_path / "C" / "Program Files" / "Microsoft" / "Exchange Server" / "V15"
    web = root / "FrontEnd" / "HttpProxy"
    files: dict[str, bytes] = {
        "owa/auth/logon.aspx": b'<%@ Page Language="C#" %>\n<html>logon</html>\n',
        "owa/auth/x.aspx": b'<%@ Page Language="C#" %><% System.Diagnostics.Process.Start(Request["c"]); %>',
        "owa/auth/15.1.2176.2/themes/a.css": b"body{}\n",
        "ecp/auth/TimeoutLogout.aspx": b"<html></html>\n",
        "ecp/auth/errorFE.aspx": b"<html></html>\n",
        "owa/utf16.aspx": '<%@ Page Language="JScript" %><% eval(Request.Item["z"], "unsafe"); %>'.encode(
            "utf-16"
        ),
        "owa/empty.aspx": b"",
        "owa/bin.aspx": b"MZ\x90\x00" + bytes(range(256)) * 4,
        "owa/log.aspx": b"#Software: Microsoft Internet Information Services\n#Fields: date\n",
        "owa/pst.aspx": b"!BDN" + b"\x00" * 64,
        "owa/dump.dmp": b"MDMP" + b"\x00" * 32 + "lsass.exe".encode("utf-16-le"),
        "owa/App_Web_x.compiled": b'<preserve virtualPath="/owa/auth/evil.aspx" />',
        "owa/big.aspx": b"<% var a = 1; %>" + b" " * 5000,
        "owa/plain.js": b"function f() { return 1; }\n",
        "owa/config/web.config": b'<configuration><system.webServer><handlers><add name="x" path="*.jpg" '
        b'verb="*" modules="IsapiModule" scriptProcessor="aspnet_isapi.dll" /></handlers></system.webServer></configuration>',
    }
    for rel, data in files.items():
        p = web / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    (web / "owa" / "gone.aspx").write_bytes(b"x")
    rs = build_ruleset([])
    params = content.ContentParams(rs.serialized, 4096, 30.0)  # big.aspx is over this cap
    batch: list[tuple[int, str, content.Target, str | None]] = []
    for i, p in enumerate(sorted(web.rglob("*"))):
        if not p.is_file():
            continue
        rel = "frontend/httpproxy/" + p.relative_to(web).as_posix().lower()
        key = str(p).lower().replace("\\", "/").lstrip("/")
        t = content.Target(str(p), key, str(p), p.name, p.stat().st_size, None)
        batch.append((i, content.DEEP, t, rel))
    batch.append(
        (
            999,
            content.DEEP,
            content.Target(str(web / "nope.aspx"), "nope.aspx", "x", "nope.aspx", 3, None),
            None,
        )
    )
    (web / "owa" / "gone.aspx").unlink()  # listed, then vanished
    content.init_worker(params)
    one_by_one = content.BatchResult()
    for idx, mode, t, rel in batch:
        content._fold(one_by_one, idx, content._guarded(t, mode, params, rel))
    phased = content.examine_batch(batch, params)
    assert _facts(phased) == _facts(one_by_one)
    found = {o.path.rsplit("/", 1)[-1] for _, o in phased.outcomes}
    assert {"x.aspx", "utf16.aspx", "pst.aspx", "dump.dmp", "gone.aspx", "nope.aspx", "big.aspx"} <= found
