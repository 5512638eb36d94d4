"""The log rules' compiled Hyperscan prefilters are kept between runs in the user's cache folder (issue
18, session 13): a database read back selects the very lines (and pattern bits) a fresh compile does,
a corrupt or foreign entry is compiled again, a scan's own pivot literals are not kept, no cache
folder inside the evidence is used, and a whole scan answers the same from a cold and a warm cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extriage import cache
from extriage.detections.logrules import FAMILIES
from extriage.findings import EXIT_CODES
from extriage.formats import prefilter
from extriage.formats.prefilter import Prefilter
from extriage.scan.stages import logs

pytest.importorskip("hyperscan")

LINES = (
    b"2021-03-05 02:00:00 10.0.0.1 GET /owa/auth/logon.aspx url=x 443 - 10.0.0.5 UA - 200 0 0 5\n"
    b"2021-03-05 02:00:02 10.0.0.1 POST /owa/auth/x.js - 443 - 1.2.3.4 ExchangeServicesClient/0.0.0.0 - 200 0 0 5\n"
    b"2021-03-05 02:00:03 10.0.0.1 GET /ecp/DDI/DDIService.svc/GetList msExchEcpCanary=x 443 - 1.2.3.4 UA - 200 0 0 5\n"
    b"2021-03-05 02:00:04 10.0.0.1 POST /autodiscover/autodiscover.json @evil.com/mapi/nspi/?&Email=a 443 - 1.2.3.4"
    b" UA - 200 0 0 5\n"
    b"2021-03-05T02:00:05.000Z,id,15,1,2176,2,,Ecp,mail,/ecp/y.js,,X-BEResource=localhost~1942062522,false\n"
    b"2021-03-05 02:00:06 10.0.0.1 GET /aspnet_client/shell.aspx cmd=whoami 443 - 1.2.3.4 UA - 200 0 0 5\n"
    b"2021-03-05 02:00:07 10.0.0.1 GET /owa/ - 443 - 10.0.0.5 Mozilla/5.0 - 200 0 0 5\n"
) * 3


@pytest.fixture
def where(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(cache.ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(cache.EXCLUDE_ENV, raising=False)
    logs._family_plan.cache_clear()
    logs._prefilter.cache_clear()
    return tmp_path / "cache" / prefilter.CACHE_PART


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the Hyperscan databases compiled (not read back)."""
    import hyperscan

    prefilter._hs_platform()  # its own probe compile is not counted
    made: list[int] = []

    class Counting(hyperscan.Database):  # type: ignore[misc]
        def compile(self, *a: object, **k: object) -> None:
            made.append(1)
            super().compile(*a, **k)

    monkeypatch.setattr(hyperscan, "Database", Counting)
    return made


def _plans() -> dict[str, list[tuple[int, int, int]]]:
    out = {}
    for family in FAMILIES:
        _rules, pf, _masks = logs.family_plan("hyperscan", (), family)
        out[family] = pf.line_hits(LINES)
    return out


def _fresh() -> None:
    logs._family_plan.cache_clear()
    logs._prefilter.cache_clear()


def test_a_database_read_back_selects_the_same_lines(where: Path, compiles: list[int]) -> None:
    first = _plans()
    n = len(compiles)
    assert n == len(FAMILIES) and len(list(where.glob("hs-*.db"))) == n
    _fresh()
    again = _plans()
    assert len(compiles) == n  # every database read back
    assert again == first
    assert sum(len(v) for v in first.values()) >= 5  # the lines above are candidates somewhere


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda b: b[:-7], id="truncated"),
        pytest.param(lambda b: b[:-300] + bytes(x ^ 0x5A for x in b[-300:-290]) + b[-290:], id="bytes-changed"),
        pytest.param(lambda b: b"", id="empty"),
        pytest.param(lambda b: b[: len(prefilter._HS_FORMAT) + 32] + b"not a database" * 50, id="foreign"),
    ],
)
def test_a_corrupt_database_is_compiled_again(where: Path, compiles: list[int], damage: object) -> None:
    first = _plans()
    for entry in where.glob("hs-*.db"):
        entry.write_bytes(damage(entry.read_bytes()))  # type: ignore[operator]
    _fresh()
    n = len(compiles)
    assert _plans() == first
    assert len(compiles) == 2 * n  # all compiled again
    _fresh()
    assert _plans() == first and len(compiles) == 2 * n  # and stored sound


def test_a_sound_checksum_over_a_refused_database_is_compiled_again(where: Path, compiles: list[int]) -> None:
    import hashlib

    first = _plans()
    junk = b"\x00" * 4096
    for entry in where.glob("hs-*.db"):
        entry.write_bytes(prefilter._HS_FORMAT + hashlib.sha256(junk).digest() + junk)
    _fresh()
    assert _plans() == first


def test_pivot_literals_are_not_kept(where: Path) -> None:
    pf = logs.pivot_prefilter(logs.LogParams(pivot_literals=("1.2.3.4", "shell.aspx")))
    assert len(pf.line_hits(LINES)) == 12  # 4 lines in 7 name the address or the shell
    assert not where.exists() or not list(where.glob("hs-*.db"))


def test_no_cache_inside_the_evidence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    evidence = tmp_path / "evidence"
    monkeypatch.setenv(cache.ENV, str(evidence / "cache"))
    monkeypatch.delenv(cache.EXCLUDE_ENV, raising=False)
    _fresh()
    cache.exclude(str(evidence))
    Prefilter(["abc"], keep=True)
    assert not evidence.exists()
    monkeypatch.delenv(cache.EXCLUDE_ENV)
    Prefilter(["abc"], keep=True)
    assert len(list((evidence / "cache" / prefilter.CACHE_PART).glob("hs-*.db"))) == 1


def test_a_scan_answers_the_same_from_a_cold_and_a_warm_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two command-line scans of a generated compromised server (each its own process: nothing kept in
    memory), the first compiling every table, the second reading the rules back: the same result."""
    from typer.testing import CliRunner

    from extriage import generator
    from extriage.cli.main import _register, app

    tree = tmp_path / "server"
    generator.generate(tree, scenario="full", seed=3, size="1MB", days=2, jobs=1)
    monkeypatch.setenv(cache.ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(cache.EXCLUDE_ENV, raising=False)
    _register()
    outs = []
    for run in ("cold", "warm"):
        _fresh()
        from extriage.detections.webfiles import rules

        monkeypatch.setattr(rules, "_BUILT", {})
        monkeypatch.setattr(rules, "_LOADED", None)
        out = tmp_path / f"{run}.json"
        res = CliRunner().invoke(app, ["scan", str(tree), "-q", "-j", "1", "--json", str(out)])
        assert res.exit_code in EXIT_CODES.values(), res.output
        data = json.loads(out.read_text())
        outs.append(
            (data["verdict"], [(f["rule_id"], f["title"], f.get("count")) for f in data["findings"]], len(data["timeline"]))
        )
    assert list((tmp_path / "cache").rglob("*.db")) and list((tmp_path / "cache").rglob("rules-*"))
    assert outs[0] == outs[1] and outs[0][1]


def test_a_case_keeps_the_cache_out_of_every_servers_evidence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``extriage case scan`` starts its fork server (which compiles and caches the log prefilters) before any
    scan: the servers' folders are excluded first."""
    import multiprocessing as mp

    from extriage.case import runner

    servers = [tmp_path / "srv1", tmp_path / "srv2"]
    monkeypatch.setenv(cache.ENV, str(servers[1] / "cache"))
    monkeypatch.delenv(cache.EXCLUDE_ENV, raising=False)
    monkeypatch.setattr(runner, "_context", lambda: mp.get_context("spawn"))  # no fork server in this test
    runner.start_local([str(s) for s in servers])
    _fresh()
    Prefilter(["abc"], keep=True)
    assert cache.folder(prefilter.CACHE_PART) is None and not servers[1].exists()
