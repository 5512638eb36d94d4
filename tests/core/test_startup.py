"""Start-up of a scan: the worker fork server is started only for evidence big enough for a stage to
use workers, and the log walk parses each distinct header line once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from extriage.formats import logscan
from extriage.scan import context, pipeline


def test_large_stops_at_the_thresholds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small = tmp_path / "small"
    (small / "a" / "b").mkdir(parents=True)
    (small / "a" / "b" / "x.log").write_bytes(b"x" * 1000)
    assert not pipeline._large(str(small))
    monkeypatch.setattr(context, "PARALLEL_MIN_BYTES", 1000)
    assert pipeline._large(str(small))
    monkeypatch.setattr(context, "PARALLEL_MIN_BYTES", 16 * 1024 * 1024)
    many = tmp_path / "many"
    many.mkdir()
    for i in range(pipeline.PARALLEL_MIN_FILES):
        (many / f"{i}.txt").write_bytes(b"")
    assert pipeline._large(str(many))
    single = tmp_path / "image.raw"
    with single.open("wb") as fh:
        fh.truncate(context.PARALLEL_MIN_BYTES)
    assert pipeline._large(str(single))
    assert not pipeline._large(str(small / "a" / "b" / "x.log"))


def test_link_to_a_big_folder_is_not_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big"
    big.mkdir()
    (big / "x.log").write_bytes(b"x" * 5000)
    ev = tmp_path / "ev"
    ev.mkdir()
    (ev / "link").symlink_to(big, target_is_directory=True)
    monkeypatch.setattr(context, "PARALLEL_MIN_BYTES", 4000)
    assert not pipeline._large(str(ev))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork server: Linux")
@pytest.mark.parametrize(("lines", "started"), [(20, False), (400_000, True)])
def test_fork_server_only_for_big_evidence(tmp_path: Path, lines: int, started: bool) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    row = b"2021-03-02T01:02:03.000Z,abc,15.1.2176.9,,,,/owa/,GET,200,ok\n"
    (logs / "HttpProxy_2021030201-1.LOG").write_bytes(
        b"#Software: Microsoft Exchange Server\n#Fields: DateTime,RequestId,ServerVersion,A,B,C,UrlStem,Method,"
        b"HttpStatus,Info\n" + row * lines)
    code = (
        "import json, sys\n"
        "from multiprocessing import forkserver\n"
        "from extriage.scan.context import ScanOptions\n"
        "from extriage.scan.pipeline import run_scan\n"
        f"r = run_scan({str(logs)!r}, ScanOptions(jobs=2))\n"
        "print(json.dumps({'started': forkserver._forkserver._forkserver_pid is not None, 'verdict': r.verdict}))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env={**os.environ})
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["started"] is started


def test_header_line_parsed_once_and_each_caller_owns_its_list() -> None:
    line = bytearray(b"#Fields: DateTime,RequestId,UrlStem")
    first = logscan._header_names(line, "httpproxy")
    assert first == ["DateTime", "RequestId", "UrlStem"]
    first.append("changed")
    assert logscan._header_names(bytes(line), "httpproxy") == ["DateTime", "RequestId", "UrlStem"]
    assert logscan._header_names(b"#Software: Microsoft Exchange Server", "httpproxy") is None
    hits = logscan._header_line_names.cache_info().hits
    logscan._header_names(line, "httpproxy")
    assert logscan._header_line_names.cache_info().hits == hits + 1


def test_quiet_scan_to_json_never_imports_rich(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "notes.txt").write_text("nothing here\n")
    code = (
        "import json, sys\n"
        f"sys.argv = ['extriage', 'scan', {str(logs)!r}, '-q', '--json', {str(tmp_path / 'r.json')!r}]\n"
        "from extriage.cli.main import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    loaded = json.loads(res.stdout.strip().splitlines()[-1])
    assert not [m for m in loaded if m == "rich" or m.startswith("rich.")]
    assert (tmp_path / "r.json").is_file()
    # a usage error still prints its sentence (the error console is made on first use)
    res = subprocess.run([sys.executable, "-m", "extriage", "scan", str(tmp_path / "missing"), "-q"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "does not exist" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork server: Linux")
@pytest.mark.parametrize(("jobs", "big", "missing", "started"),
                         [(1, True, False, False), (2, False, False, False), (2, True, True, False),
                          (2, True, False, True)])
def test_start_early_only_when_the_scan_will_use_workers(tmp_path: Path, jobs: int, big: bool, missing: bool,
                                                         started: bool) -> None:
    """The CLI starts the fork server before its rule checks and the stages' imports; only for a
    parallel scan of evidence that exists and is big enough (the same test run_scan makes)."""
    ev = tmp_path / "ev"
    if not missing:
        ev.mkdir()
        (ev / "x.log").write_bytes(b"x" * 5000)
    code = (
        "import json\n"
        "from multiprocessing import forkserver\n"
        "from extriage.scan import context, pipeline\n"
        f"context.PARALLEL_MIN_BYTES = {4000 if big else 10**9}\n"
        f"r = pipeline.start_early({str(ev)!r}, context.ScanOptions(jobs={jobs}))\n"
        "print(json.dumps({'returned': r, 'started': forkserver._forkserver._forkserver_pid is not None}))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out == {"returned": started, "started": started}


def test_log_workers_never_import_the_web_file_engine() -> None:
    """The fork server of a scan on two cores preloads only what the logs stage's workers run: the web
    file engine (its import compiles the behaviour patterns, ~0.15 s) is left to the web file stage's
    own worker, so the first log workers do not wait for it (issue 18, session 13)."""
    from extriage.scan.context import ScanOptions
    from extriage.scan.pipeline import WEB_WORKER_CODE, WEB_WORKER_TABLES, worker_modules
    from extriage.scan.registry import WORKER_MODULES

    preload = worker_modules(ScanOptions(jobs=2))
    assert WEB_WORKER_CODE not in preload and WEB_WORKER_TABLES not in preload
    assert "extriage.scan.stages.logs" in preload
    assert set(worker_modules(ScanOptions(jobs=4))) == set(WORKER_MODULES)  # more cores: shared
    code = (
        "import json, sys\n"
        f"for m in {preload!r}:\n"
        "    __import__(m)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    loaded = json.loads(res.stdout.strip().splitlines()[-1])
    assert not [m for m in loaded if m.startswith("extriage.detections.webfiles")]
