"""Hostile files handed to ``extriage report`` and ``extriage probe``: one sentence naming the file
(and the field), exit 2, no traceback, no hang. Run as a subprocess with a timeout, so a hang fails
the test instead of stalling the suite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from extriage.cli.common import json_bytes
from report import samples

TIMEOUT = 120


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "extriage", *args],
        capture_output=True, text=True, timeout=TIMEOUT, cwd=cwd,
        env={**os.environ, "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"},
    )


def _result() -> dict[str, Any]:
    return samples.compromised().to_dict()


def _hostile_texts() -> dict[str, tuple[str, str]]:
    """case -> (JSON text, what the message must name)."""
    base = _result()
    text = json.dumps(base)
    count = json.dumps(base["findings"][0]["count"])
    cases: dict[str, tuple[str, str]] = {}
    d = json.loads(text)
    d["findings"][0]["count"] = 10**400
    cases["400-digit count"] = (json.dumps(d), "findings[0].count")
    cases["Infinity count"] = (text.replace(f'"count": {count}', '"count": Infinity', 1), "findings[0].count")
    cases["NaN count"] = (text.replace(f'"count": {count}', '"count": NaN', 1), "findings[0].count")
    d = json.loads(text)
    d["findings"][0]["first_seen"] = "9999-12-31T23:59:59.999999+00:00"
    cases["year 9999"] = (json.dumps(d), "findings[0].first_seen")
    d = json.loads(text)
    d["timeline"][0]["timestamp"] = "0001-01-01T00:00:00+00:00"
    cases["year 0001"] = (json.dumps(d), "timeline[0].timestamp")
    d = json.loads(text)
    d["files"][0]["size"] = -5
    cases["negative size"] = (json.dumps(d), "files[0].size")
    d = json.loads(text)
    d["activity"] = {"requests_per_hour": {"2021-03-02T05": 1}}
    cases["Infinity in activity"] = (json.dumps(d).replace('"2021-03-02T05": 1', '"2021-03-02T05": Infinity'),
                                     "activity.requests_per_hour.2021-03-02T05")
    d = json.loads(text)
    d["findings"][0]["evidence"][0]["line"] = "twelve"
    cases["line not a number"] = (json.dumps(d), "findings[0].evidence[0].line")
    return cases


@pytest.mark.parametrize("case", list(_hostile_texts()))
def test_report_names_the_bad_field(case: str, tmp_path: Path) -> None:
    text, field = _hostile_texts()[case]
    src = tmp_path / "result.json"
    src.write_text(text, encoding="utf-8")
    res = run("report", str(src), "--out", str(tmp_path / "out"))
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    message = " ".join(res.stderr.split())
    assert str(src) in message and field in message, message


def test_lone_surrogate_in_a_result_string_renders(tmp_path: Path) -> None:
    d = _result()
    d["findings"][0]["title"] = "shell \ud800 here"
    src = tmp_path / "result.json"
    src.write_bytes(json.dumps(d).encode("ascii"))  # ensure_ascii: the surrogate as \\ud800
    out = tmp_path / "out"
    res = run("report", str(src), "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "shell \\\\ud800 here" in html  # in the findings data block: shown as the visible escape
    assert "\\ud800" in (out / "report.md").read_text(encoding="utf-8")
    stix = json.loads((out / "stix-bundle.json").read_text(encoding="utf-8"))
    assert stix["type"] == "bundle"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")
@pytest.mark.parametrize("command", ["report", "probe"])
def test_fifo_and_devices_are_refused_without_hanging(command: str, tmp_path: Path) -> None:
    fifo = tmp_path / "input.fifo"
    os.mkfifo(fifo)
    for path, kind in ((fifo, "FIFO"), (Path("/dev/zero"), "character device")):
        if not path.exists():
            continue
        if command == "report":
            res = run("report", str(path), "--out", str(tmp_path / "out"))
        else:
            res = run("probe", "--targets", str(path), "--json", str(tmp_path / "p.json"))
        assert res.returncode == 2, (path, res.stderr)
        assert "Traceback" not in res.stderr
        message = " ".join(res.stderr.split())
        assert str(path) in message and kind in message, message


def test_report_refuses_a_folder_and_a_huge_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from extriage.report import load

    with pytest.raises(load.ResultLoadError, match="is a folder"):
        load.load_result(tmp_path)
    big = tmp_path / "big.json"
    big.write_bytes(json_bytes(_result()))
    monkeypatch.setattr(load, "MAX_RESULT_BYTES", 100)
    with pytest.raises(load.ResultLoadError, match="too large"):
        load.load_result(big)


def test_naive_dates_are_read_as_utc() -> None:
    from extriage.report.load import loads_result

    d = _result()
    d["findings"][0]["first_seen"] = "2021-03-02T05:31:12"
    r = loads_result(json.dumps(d))
    assert r.findings[0].first_seen is not None and r.findings[0].first_seen.utcoffset() is not None
