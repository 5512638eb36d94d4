"""Small log regions read without NumPy in a process that has not loaded it (issue 18, session 15):
a small tree's scan walks its logs in the main process, where importing NumPy cost ~0.1 CPU-s. The
plain reading gives the NumPy reading's hours, line count and candidate lines for any lines, in any
order, and a scan of a small tree in a fresh interpreter never imports NumPy."""

from __future__ import annotations

import io
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extriage.formats import logscan
from extriage.formats.logscan import Candidate, WalkStats, walk
from extriage.formats.prefilter import Prefilter

_PF = Prefilter(["/ecp/"], (), "re2")


def _walk(data: bytes, plain: bool, family: str = "httpproxy") -> tuple[dict[str, int], int, list[tuple[int, bytes]]]:
    saved = logscan._numpy_loaded, logscan._plain_left[0]
    logscan._numpy_loaded = lambda: not plain  # type: ignore[assignment]
    logscan._plain_left[0] = logscan.PLAIN_BYTES
    stats = WalkStats()
    cands: list[tuple[int, bytes]] = []
    try:
        for item in walk(io.BytesIO(data), family, _PF):
            if isinstance(item, Candidate):
                cands.append((item.lineno, item.raw))
            else:
                stats = item
    finally:
        logscan._numpy_loaded, logscan._plain_left[0] = saved  # type: ignore[assignment]
    return dict(stats.hours), stats.lines, cands


LINES = [b"2021-03-02T10:00:00Z,a,/owa/", b"2021-03-02T11:00:00Z,b,/ecp/x", b"2021-03-02 10:00:00,c,/ecp/",
         b"#Fields: DateTime,Method", b"", b"junk", b"2021-03-02T1", b"2021-04-02T10:00:00Z,d", b"\xef\xbb\xbf#x"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(LINES), min_size=1, max_size=60), st.booleans())
def test_plain_equals_numpy(parts: list[bytes], crlf: bool) -> None:
    data = (b"\r\n" if crlf else b"\n").join(parts) + b"\n"
    plain = _walk(data, plain=True)
    assert plain == _walk(data, plain=False)
    assert plain[1] == data.replace(b"\r\n", b"\n").count(b"\n")


@pytest.mark.parametrize("order", ["one_hour", "sorted", "shuffled"])
@pytest.mark.parametrize("family", ["httpproxy", "iis"])
def test_plain_equals_numpy_on_longer_logs(order: str, family: str) -> None:
    rng = random.Random(3)
    hours = ["2021-03-02T10"] if order == "one_hour" else [f"2021-03-02T{h:02d}" for h in range(8, 14)]
    sep = "T" if family == "httpproxy" else " "
    lines = [f"{h.replace('T', sep)}:{i % 60:02d}:00{'Z' if sep == 'T' else ''},10.0.0.{i % 9},GET,"
             f"/{rng.choice(['owa', 'ecp'])}/{'x' * rng.randrange(200)},200\n".encode()
             for h in hours for i in range(300)]
    if order == "shuffled":
        rng.shuffle(lines)
    head = b"#Fields: DateTime,ClientIpAddress,Method,UrlStem,HttpStatus\n" if family == "httpproxy" else \
        b"#Fields: date time c-ip cs-method cs-uri-stem sc-status\n"
    data = head + b"".join(lines)
    assert len(data) < logscan.PLAIN_BELOW
    plain = _walk(data, plain=True, family=family)
    assert plain == _walk(data, plain=False, family=family)
    assert sum(plain[0].values()) == len(lines)


def test_plain_only_below_the_size_and_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logscan, "_numpy_loaded", lambda: False)
    monkeypatch.setattr(logscan, "_plain_left", [1000])
    body = b"2021-03-02T10:00:00Z,a\n" * 100  # 2,300 bytes
    assert logscan._Newlines(body, 0, 600).mask is None
    assert logscan._plain_left == [400]
    assert logscan._Newlines(body, 0, 600).mask is not None  # over the budget: NumPy
    monkeypatch.setattr(logscan, "_plain_left", [1 << 40])
    monkeypatch.setattr(logscan, "PLAIN_BELOW", 500)
    assert logscan._Newlines(body, 0, 600).mask is not None  # a region too big
    assert logscan._Newlines(body, 0, 460).mask is None
    monkeypatch.setattr(logscan, "_numpy_loaded", lambda: True)
    assert logscan._Newlines(body, 0, 460).mask is not None  # loaded: NumPy's count is cheaper


_SCAN = """
import sys
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan
result = run_scan(sys.argv[1], ScanOptions(jobs=1))
print("numpy" in sys.modules, sum(1 for f in result.findings))
"""


def test_a_small_tree_is_scanned_without_numpy(tmp_path: Path) -> None:
    logs = tmp_path / "inetpub" / "logs" / "LogFiles" / "W3SVC1"
    logs.mkdir(parents=True)
    lines = [f"2021-03-02 {h:02d}:00:{i:02d} 10.0.0.5 GET /owa/auth/x.js - 443 - 1.2.3.4 UA - 200 0 0 5\n"
             for h in range(3) for i in range(20)]
    (logs / "u_ex210302.log").write_text("#Software: Microsoft Internet Information Services 10.0\n"
                                         "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port "
                                         "cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus "
                                         "sc-win32-status time-taken\n" + "".join(lines))
    out = subprocess.run([sys.executable, "-c", _SCAN, str(tmp_path)], capture_output=True, text=True, check=True)
    assert out.stdout.split()[0] == "False", out.stdout + out.stderr
