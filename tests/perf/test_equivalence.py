"""Speed work must not change results: the fast paths give exactly what the plain paths give.

* one worker vs two (batching, merge order) on a generated compromised server;
* the pivot pass's raw pre-search (:func:`pivot_log_file`) vs walking every log in full;
* :func:`walk` fed in tiny pieces vs whole (line numbers, hours, header handling, counts);
* the raw pre-search finds a literal that straddles a read boundary.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from extriage.evidence.locate import LocatedFile
from extriage.evidence.source import ArtifactRef, SourceSpec
from extriage.findings import ScanResult
from extriage.formats.logscan import Candidate, WalkStats, walk
from extriage.formats.prefilter import Prefilter
from extriage.scan import context, rawsearch
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan
from extriage.scan.stages import correlate, logs

generator = pytest.importorskip("extriage.generator.api")

_VOLATILE = {"started", "finished", "duration_seconds", "tool_version"}


def _canonical(result: ScanResult) -> dict[str, Any]:
    """The result as JSON, without timings, with lists whose order depends on worker timing sorted."""
    doc: dict[str, Any] = json.loads(json.dumps(result.to_dict(), default=str))
    for key in _VOLATILE:
        doc.pop(key, None)
    doc["files"] = sorted(doc["files"], key=lambda f: f["path"])
    doc["coverage"]["skipped"] = sorted(doc["coverage"]["skipped"], key=lambda s: (s["path"], s["reason"]))
    events = doc.get("extras", {}).get("events", {})
    if isinstance(events, dict) and isinstance(events.get("files"), list):
        events["files"] = sorted(events["files"], key=lambda f: str(f.get("path")))
    webfiles = doc.get("extras", {}).get("webfiles", {})
    if isinstance(webfiles, dict) and isinstance(webfiles.get("suspicious_files"), list):
        webfiles["suspicious_files"] = sorted(webfiles["suspicious_files"], key=lambda f: str(f.get("path")))
    return doc


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Path:
    gen = generator.generate(tmp_path_factory.mktemp("perf") / "srv", scenario="full", seed=5, size="3MB",
                             days=4, jobs=1)
    return Path(gen.dest)


def _order_free(doc: dict[str, Any]) -> dict[str, Any]:
    """What must not depend on which worker finishes first. (Which 20 evidence lines a finding keeps,
    the order of its indicators, and so which lines the pivot pass still reports as new, follow the
    order files finish in: known, pre-existing, listed in BENCHMARKS.md.)"""
    findings = sorted(
        (f["rule_id"], f["outcome"], f["severity"], f["count"], f["first_seen"], f["last_seen"],
         sorted(f["indicators"]["client_ips"]), sorted(f["indicators"]["urls"]))
        for f in doc["findings"] if not f["rule_id"].startswith("XS-")
    )
    return {"findings": findings, "files": doc["files"], "coverage": doc["coverage"], "verdict": doc["verdict"],
            "activity": doc["activity"], "pivots": doc["extras"]["logs"]["pivots"]}


def test_one_worker_and_two_workers_agree(server: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(context, "PARALLEL_MIN_BYTES", 0)  # the tree is small: use the pool anyway
    one = _canonical(run_scan(str(server), ScanOptions(jobs=1)))
    two = _canonical(run_scan(str(server), ScanOptions(jobs=2)))
    assert one["findings"], "the generated server must produce findings, or this test proves nothing"
    pivots = one["extras"]["logs"]["pivots"]
    assert pivots["webshell_urls"] and pivots["attacker_ips"], "the pivot pass must have had work to do"
    assert _order_free(one) == _order_free(two)


def test_pivot_presearch_equals_full_walk(server: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = run_scan(str(server), ScanOptions(jobs=1))
    calls: list[str] = []

    def full(f: LocatedFile, params: logs.LogParams) -> Any:
        calls.append(f.key)
        return logs.scan_log_file(f, params)  # no pre-search: every log walked in full

    monkeypatch.setattr(correlate, "pivot_log_file", full)
    slow = run_scan(str(server), ScanOptions(jobs=1))
    assert len(calls) > 1, "the full second pass must have run"
    assert _canonical(fast) == _canonical(slow)
    # every file hashed once, by the first pass; the pre-search adds none
    assert len({f.path for f in fast.files}) == len(fast.files)


def _collect(stream_data: bytes, family: str, pf: Prefilter, piece: int | None) -> tuple[list[tuple[int, bytes, list[str]]], WalkStats]:
    class Pieces:
        def __init__(self) -> None:
            self.pos = 0
            self.rng = random.Random(3)

        def read(self, n: int = -1) -> bytes:
            size = n if piece is None else self.rng.randint(1, piece)
            out = stream_data[self.pos : self.pos + size]
            self.pos += len(out)
            return out

    cands: list[tuple[int, bytes, list[str]]] = []
    stats = WalkStats()
    for item in walk(Pieces(), family, pf):
        if isinstance(item, Candidate):
            cands.append((item.lineno, item.raw, list(item.names)))
        else:
            stats = item
    return cands, stats


@pytest.mark.parametrize("family", ["iis", "httpproxy"])
def test_walk_is_independent_of_read_sizes(server: Path, family: str) -> None:
    folder = "inetpub/logs/logfiles" if family == "iis" else "logging/httpproxy"
    logs_found = sorted(p for p in server.rglob("*") if p.suffix.lower() == ".log" and folder in str(p).lower())
    assert logs_found
    data = logs_found[len(logs_found) // 2].read_bytes()
    pf = Prefilter(["/owa/", "autodiscover", "POST"], (), "hyperscan")
    whole_c, whole_s = _collect(data, family, pf, None)
    for piece in (50, 700, 9000):
        c, s = _collect(data, family, pf, piece)
        assert c == whole_c
        assert (s.lines, s.candidates, s.first, s.last, dict(s.hours), s.names) == (
            whole_s.lines, whole_s.candidates, whole_s.first, whole_s.last, dict(whole_s.hours), whole_s.names)
    assert whole_s.lines == data.count(b"\n")
    assert sum(whole_s.hours.values()) > 0


@pytest.mark.parametrize("family", ["iis", "httpproxy"])
def test_walk_into_a_reused_buffer_equals_whole_reads(server: Path, family: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks after the first are read into one reused buffer: nothing kept may point into it."""
    import io

    from extriage.formats import logscan

    folder = "inetpub/logs/logfiles" if family == "iis" else "logging/httpproxy"
    found = sorted(p for p in server.rglob("*") if p.suffix.lower() == ".log" and folder in str(p).lower())
    data = found[len(found) // 2].read_bytes()
    pf = Prefilter(["/owa/", "autodiscover", "POST"], (), "hyperscan")
    whole_c, whole_s = _collect(data, family, pf, None)
    for size in (61, 997, 4096):
        monkeypatch.setattr(logscan, "CHUNK", size)
        cands: list[tuple[int, bytes, list[str]]] = []
        stats = WalkStats()
        for item in walk(io.BytesIO(data), family, pf):
            if isinstance(item, Candidate):
                cands.append((item.lineno, item.raw, list(item.names)))
            else:
                stats = item
        assert all(type(raw) is bytes for _, raw, _ in cands)
        assert cands == whole_c
        assert (stats.lines, stats.candidates, stats.first, stats.last, dict(stats.hours)) == (
            whole_s.lines, whole_s.candidates, whole_s.first, whole_s.last, dict(whole_s.hours))


def test_presearch_finds_literal_across_read_boundary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    header = (b"#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n"
              b"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
              b"cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n")
    filler = b"".join(b"2021-03-03 10:%02d:00 10.0.0.1 GET /owa/ - 443 - 10.0.0.9 UA - 200 0 0 5\n" % (i % 60)
                      for i in range(40))
    row = b"2021-03-03 11:00:00 10.0.0.1 POST /aspnet_client/shellx.aspx - 443 - 203.0.113.9 UA - 200 0 0 5\n"
    data = header + filler + row
    path = tmp_path / "u_ex210303.log"
    path.write_bytes(data)
    spec = SourceSpec("dir", str(tmp_path))
    f = LocatedFile(ArtifactRef(spec, "u_ex210303.log", len(data)), "C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex210303.log",
                    "c:/inetpub/logs/logfiles/w3svc1/u_ex210303.log")
    params = logs.LogParams(pivot_literals=("shellx.aspx",), pivot_urls=frozenset({"/aspnet_client/shellx.aspx"}),
                            only_families=("iis", "httpproxy"))
    seam = data.index(b"shellx.aspx") + 4  # the literal is cut in two by every read
    monkeypatch.setattr(rawsearch, "CHUNK", seam)
    out = logs.pivot_log_file(f, params)
    hits = out.data["pivot_hits"]
    assert [h["line"] for h in hits] == [data.count(b"\n")]
    assert hits[0]["fields"]["c-ip"] == "203.0.113.9"
    # and a file without the literal is answered without a walk (no hash, no hits)
    params_none = logs.LogParams(pivot_literals=("nothere.aspx",), pivot_urls=frozenset({"/nothere.aspx"}),
                                 only_families=("iis", "httpproxy"))
    quiet = logs.pivot_log_file(f, params_none)
    assert quiet.data["pivot_hits"] == [] and quiet.sha256 is None


def test_presearch_of_a_file_that_vanished_is_reported(tmp_path: Path) -> None:
    spec = SourceSpec("dir", str(tmp_path))
    gone = LocatedFile(ArtifactRef(spec, "u_ex210304.log", 10), "C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex210304.log",
                       "c:/inetpub/logs/logfiles/w3svc1/u_ex210304.log")
    with pytest.raises(OSError):
        rawsearch.holds(gone, Prefilter(["shellx.aspx"]))
