"""Later stages' tables built in a thread while the first stage's workers run (extriage.scan.prepare):
only for stages in the plan, finished before the stage they are for, never for a serial scan,
failures ignored."""

from __future__ import annotations

import importlib
import sys
import threading
import time
from pathlib import Path

import pytest

from extriage.evidence.locate import Inventory, build_inventory
from extriage.evidence.source import open_source
from extriage.findings import ScanResult
from extriage.scan import context, pipeline, prepare
from extriage.scan.context import ScanContext, ScanOptions


def test_only_the_named_stages_warmers_run_and_join_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    done: list[str] = []

    def slow(options: ScanOptions, evidence: str | None, inventory: Inventory | None) -> None:
        time.sleep(0.2)
        done.append("slow")

    monkeypatch.setattr(prepare, "WARMERS", {"a": slow, "b": lambda o, e, i: done.append("b")})
    p = prepare.Prepare(["a", "x", "a"], ScanOptions()).start()
    p.join()
    assert done == ["slow"]  # "b" is not in the plan, "a" is run once
    p.join()  # idempotent


def test_a_failing_warmer_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    done: list[str] = []

    def broken(options: ScanOptions, evidence: str | None, inventory: Inventory | None) -> None:
        raise ValueError("a broken data file: the stage reports it itself")

    monkeypatch.setattr(prepare, "WARMERS", {"a": broken, "b": lambda o, e, i: done.append("b")})
    prepare.Prepare(["a", "b"], ScanOptions()).start().join()
    assert done == ["b"]


def test_the_web_file_warmer_fills_the_caches_the_stage_reads() -> None:
    from extriage.detections.webfiles import baseline, behaviour, content

    prepare.WARMERS["webfiles"](ScanOptions(), None, None)
    assert baseline._shipped.cache_info().currsize == 1
    assert behaviour.knowledge.cache_info().currsize == 1
    assert content.path_matcher.cache_info().currsize >= 1


def test_the_web_file_warmer_lists_the_shipped_pages_once_for_every_baseline_object() -> None:
    """The stage's own baseline is a new object over the shipped index (load_baseline per scan): the
    pages the prepare thread listed are found for it, not listed again (session 14)."""
    from extriage.detections.webfiles import baseline
    from extriage.scan.stages import webfiles

    webfiles._LEGIT.clear()
    prepare.WARMERS["webfiles"](ScanOptions(), None, None)
    assert len(webfiles._LEGIT) == 1
    listed = webfiles._LEGIT[0][2]
    assert "/owa/auth/logon.aspx" in listed
    ours = baseline.load_baseline([])
    assert ours is not webfiles._LEGIT[0][0] and ours.index is webfiles._LEGIT[0][0]
    assert webfiles.legit_pages(ours) is listed
    # a baseline with its own CSV rows: their pages are added for it alone, the listing kept as it was
    ours.extra["frontend/httpproxy/owa/auth/custom.aspx"] = {"0" * 64: ("15.1.2176.2",)}
    with_extra = webfiles.legit_pages(ours)
    assert "/owa/auth/custom.aspx" in with_extra and "/owa/auth/custom.aspx" not in listed
    assert with_extra == listed | {"/owa/auth/custom.aspx"}


def _inventory(root: Path, *names: str) -> Inventory:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"x" * 16)
    return build_inventory(open_source(str(root)), lambda p, why: None)


@pytest.mark.parametrize(
    ("names", "warmed"),
    [
        (["inetpub/wwwroot/default.aspx"], True),
        (["inetpub/wwwroot/App_Code/Util.CS"], True),
        (["Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/errorFE.ASHX"], True),
        (["logs/u_ex210302.log", "inetpub/wwwroot/web.config", "inetpub/wwwroot/old.asp"], False),
        (["inetpub/wwwroot/default.aspx.bak", "notes/aspx.txt"], False),
        ([], False),
    ],
)
def test_the_web_file_warmer_builds_csharp_tables_only_for_evidence_with_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, names: list[str], warmed: bool
) -> None:
    """C#'s behaviour tables (knowledge.warm, ~0.1 s) are built beside the logs stage when the evidence
    holds an ASP.NET page or source file, which the web file stage's main process would otherwise
    build on its first analysed page while the other core idles; never on evidence without one."""
    knowledge = importlib.import_module("extriage.detections.webfiles.behaviour.knowledge")  # the module, not
    # behaviour.knowledge (the function of that name)
    calls: list[str] = []
    monkeypatch.setattr(knowledge, "warm", lambda lang="cs": calls.append(lang))
    inventory = _inventory(tmp_path, *names)
    prepare._webfiles_csharp(ScanOptions(), None, inventory)
    assert calls == (["cs"] if warmed else [])
    assert prepare.has_csharp_pages(inventory) is warmed
    calls.clear()
    prepare._webfiles_csharp(ScanOptions(), None, None)  # no inventory (a caller that has none): no warm
    assert calls == []
    prepare.WARMERS["webfiles"](ScanOptions(), None, inventory)  # the required part never builds them
    assert calls == []


def test_optional_work_runs_only_while_nobody_waits_for_the_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """C#'s tables are built early only while the stages before the web stage still run: when the
    web stage is about to start (join), optional work not yet begun is left to the stage itself, so
    the thread never makes it wait longer (a small tree whose logs stage ends first)."""
    done: list[str] = []
    gate = threading.Event()

    def required(options: ScanOptions, evidence: str | None, inventory: Inventory | None) -> None:
        gate.wait(5)
        done.append("required")

    monkeypatch.setattr(prepare, "WARMERS", {"w": required})
    monkeypatch.setattr(prepare, "OPTIONAL", {"w": (lambda o, e, i: done.append("optional"),)})
    early = prepare.Prepare(["w"], ScanOptions()).start()
    # the required part ends only once join has begun (not after a fixed delay a loaded machine can outlast)
    threading.Thread(target=lambda: early._joining.wait(5) and gate.set(), daemon=True).start()
    early.join()  # joined while the required part still runs: the optional part is skipped
    assert done == ["required"]
    done.clear()
    gate.set()
    late = prepare.Prepare(["w"], ScanOptions()).start()
    deadline = time.monotonic() + 5
    while len(done) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    late.join()  # joined after everything: both ran, in order
    assert done == ["required", "optional"]
    assert late.warms("w") and not late.warms("x")
    monkeypatch.setattr(prepare, "OPTIONAL", {"o": (lambda o, e, i: done.append("alone"),)})
    only = prepare.Prepare(["o"], ScanOptions()).start()  # a stage with optional work only
    deadline = time.monotonic() + 5
    while "alone" not in done and time.monotonic() < deadline:
        time.sleep(0.01)
    only.join()
    assert "alone" in done and only.warms("o")


def test_optional_work_not_begun_when_join_begins_is_skipped_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Optional warmers run in order; join waits for the one running and skips those after it (a web
    stage about to start builds VB's tables itself rather than wait for them)."""
    done: list[str] = []
    started = threading.Event()
    gate = threading.Event()

    def first(options: ScanOptions, evidence: str | None, inventory: Inventory | None) -> None:
        started.set()
        gate.wait(5)
        done.append("first")

    monkeypatch.setattr(prepare, "WARMERS", {})
    monkeypatch.setattr(prepare, "OPTIONAL", {"w": (first, lambda o, e, i: done.append("second"))})
    p = prepare.Prepare(["w"], ScanOptions()).start()
    assert started.wait(5)
    threading.Thread(target=lambda: p._joining.wait(5) and gate.set(), daemon=True).start()
    p.join()
    assert done == ["first"]


_JSCRIPT = b'<%@ Page Language="Jscript"%><%eval(Request.Item["z"],"unsafe");%>'
_VBNET = b"<%@ Page Language='VB' %>\r\n<script runat=server>Sub Page_Load()\r\nEnd Sub</script>"
_CSHARP = b'<%@ Page Language="C#" %><% Response.Write("hi"); %>'


def _pages(root: Path, pages: dict[str, bytes]) -> Inventory:
    for name, data in pages.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return build_inventory(open_source(str(root)), lambda p, why: None)


@pytest.fixture
def unhurried(monkeypatch: pytest.MonkeyPatch) -> None:
    """No time bound on the look at the pages (a loaded machine could stop it after one page)."""
    monkeypatch.setattr(prepare, "SNIFF_SECONDS", 60.0)


_SITE = "inetpub/wwwroot/aspnet_client/"
_OWA = "Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/"


@pytest.mark.parametrize(
    ("pages", "langs"),
    [
        ({_SITE + "x.aspx": _JSCRIPT}, ["js"]),  # China Chopper's usual spelling
        ({_OWA + "shell.aspx": b"<%@ Page language = 'JavaScript' %>"}, ["js"]),
        ({_SITE + "v.aspx": _VBNET}, ["vb"]),
        ({_SITE + "old.asp": b"<% Set o = Server.CreateObject(\"WScript.Shell\") %>"}, ["vb"]),  # VBScript
        ({_SITE + "old.asp": b'<%@ LANGUAGE="JScript" %><% eval(Request("a")) %>'}, ["js"]),
        ({_SITE + "App_Code/Util.vb": b"Public Class Util\r\nEnd Class"}, ["vb"]),
        ({_SITE + "x.aspx": _JSCRIPT, _SITE + "y.asp": b"<% x %>"}, ["js", "vb"]),
        ({_SITE + "c.aspx": _CSHARP, _SITE + "h.ashx": b'<%@ WebHandler Language="C#" Class="H" %>'}, []),
        ({_OWA + "logon.aspx": _JSCRIPT}, []),  # a name Exchange ships: its pages are C#, not looked at
        ({_SITE + "x.aspx.bak": _JSCRIPT, _SITE + "notes.txt": b'Language="VB"', _SITE + "a.js": b"var x;"}, []),
        ({}, []),
    ],
)
@pytest.mark.usefixtures("unhurried")
def test_other_languages_are_read_from_the_pages_first_bytes(tmp_path: Path, pages: dict[str, bytes],
                                                             langs: list[str]) -> None:
    """VB and JScript tables are built beside the logs stage only for evidence whose pages seem to use
    them: a language attribute in a page's first bytes, classic ASP's VBScript default, a .vb file."""
    assert prepare.other_languages(_pages(tmp_path, pages)) == langs


@pytest.mark.usefixtures("unhurried")
def test_other_languages_look_only_so_far(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bounded guess: past SNIFF_BYTES of a page, past SNIFF_FILES pages, past SNIFF_SECONDS, or
    without an inventory of a plain folder, nothing is read."""
    late = b" " * prepare.SNIFF_BYTES + _JSCRIPT
    assert prepare.other_languages(_pages(tmp_path / "a", {_SITE + "x.aspx": late})) == []
    assert prepare.other_languages(_pages(tmp_path / "b", {_SITE + "x.aspx": late[1:]})) == []
    assert prepare.other_languages(_pages(tmp_path / "c", {_SITE + "x.aspx": late[-prepare.SNIFF_BYTES :]})) == ["js"]
    many = {_SITE + f"p{i:03}.aspx": _CSHARP for i in range(5)} | {_SITE + "z.aspx": _JSCRIPT}
    inventory = _pages(tmp_path / "d", many)
    assert prepare.other_languages(inventory) == ["js"]
    monkeypatch.setattr(prepare, "SNIFF_FILES", 5)
    assert prepare.other_languages(inventory) == []  # z.aspx is the sixth page
    assert prepare.other_languages(None) == []
    two = _pages(tmp_path / "e", {_SITE + "a.aspx": _JSCRIPT, _SITE + "b.asp": b"<% x %>"})
    assert prepare.other_languages(two) == ["js", "vb"]
    monkeypatch.setattr(prepare, "SNIFF_SECONDS", -1.0)
    assert prepare.other_languages(two) == ["js"]  # out of time after the first page


def test_a_page_inside_a_zip_is_left_to_the_stage(tmp_path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(tmp_path / "e.zip", "w") as zf:
        zf.writestr(_SITE + "x.aspx", _JSCRIPT)
    inventory = build_inventory(open_source(str(tmp_path / "e.zip")), lambda p, why: None)
    assert [f.key for f in inventory.files if f.key.endswith(".aspx")]
    assert prepare.other_languages(inventory) == []


@pytest.mark.usefixtures("unhurried")
def test_the_other_languages_warmer_builds_what_the_pages_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    knowledge = importlib.import_module("extriage.detections.webfiles.behaviour.knowledge")
    calls: list[str] = []
    monkeypatch.setattr(knowledge, "warm", lambda lang="cs": calls.append(lang))
    inventory = _pages(tmp_path, {_SITE + "x.aspx": _JSCRIPT, _SITE + "y.asp": b"<% x %>", _SITE + "c.aspx": _CSHARP})
    prepare._webfiles_other_languages(ScanOptions(), None, inventory)
    assert calls == ["js", "vb"]
    calls.clear()
    prepare._webfiles_other_languages(ScanOptions(), None, _pages(tmp_path / "cs", {_SITE + "c.aspx": _CSHARP}))
    assert calls == []
    assert prepare.OPTIONAL["webfiles"] == (prepare._webfiles_csharp, prepare._webfiles_other_languages)


def test_warmed_tables_give_the_stage_the_same_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    """Built by the prepare thread or by the stage's first page: the same patterns, the same hits."""
    from extriage.detections.webfiles import behaviour

    knowledge = importlib.import_module("extriage.detections.webfiles.behaviour.knowledge")
    vb_page = b'<%@ Page Language="VB" %><% System.Diagnostics.Process.Start("cmd.exe", "/c " & Request.Form("c")) %>'
    pages = [(_JSCRIPT, ".aspx"), (vb_page, ".aspx"), (b'<% Set o = Server.CreateObject("WScript.Shell") : '
                                                      b'o.Exec(Request("c")) %>', ".asp")]

    def hits() -> list[tuple[list[str], list[str], str | None]]:
        out = []
        for data, ext in pages:
            got = behaviour.analyse(data, ext)
            out.append((sorted(repr(h) for h in got.hits), got.languages, got.problem))
        return out

    behaviour.knowledge.cache_clear()
    cold = hits()
    behaviour.knowledge.cache_clear()
    for lang in ("js", "vb"):
        knowledge.warm(lang)
    assert hits() == cold
    assert all(found for found, _, _ in cold)  # each page has hits to compare
    assert [langs for _, langs, _ in cold] == [["js"], ["vb"], ["vb"]]


def test_the_pipeline_hands_the_inventory_to_the_prepare_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "x.log").write_bytes(b"x" * 100)
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "a.aspx").write_bytes(b"<% %>")
    monkeypatch.setattr(context, "PARALLEL_MIN_BYTES", 0)
    seen: list[list[str]] = []

    def warm(options: ScanOptions, evidence: str | None, inventory: Inventory | None) -> None:
        assert inventory is not None
        seen.append(sorted(f.key for f in inventory.files))

    monkeypatch.setattr(prepare, "WARMERS", {"second": warm})
    log: list[tuple[str, float]] = []
    pipeline.run_scan(str(tmp_path), ScanOptions(jobs=2), stages=[_Stage("first", log), _Stage("second", log)])
    assert seen == [["site/a.aspx", "x.log"]]


class _Stage:
    def __init__(self, name: str, log: list[tuple[str, float]]) -> None:
        self.name, self._log = name, log
        self.requires: tuple[type, ...] = ()
        self.provides: tuple[type, ...] = ()

    def run(self, ctx: ScanContext) -> None:
        self._log.append((self.name, time.monotonic()))


def _warm_log(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, float]]:
    log: list[tuple[str, float]] = []

    def warm(options: ScanOptions, evidence: str | None, inventory: Inventory | None) -> None:
        log.append(("warm start", time.monotonic()))
        time.sleep(0.3)
        log.append((f"warm end {threading.current_thread().name}", time.monotonic()))

    monkeypatch.setattr(prepare, "WARMERS", {"second": warm})
    return log


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork server: Linux")
def test_parallel_scan_warms_during_the_first_stage_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "x.log").write_bytes(b"x" * 100)
    monkeypatch.setattr(context, "PARALLEL_MIN_BYTES", 0)  # start the workers for this tiny tree
    log = _warm_log(monkeypatch)
    result = pipeline.run_scan(str(tmp_path), ScanOptions(jobs=2), stages=[_Stage("first", log), _Stage("second", log)])
    assert isinstance(result, ScanResult)
    names = [n for n, _ in log]
    assert set(names) == {"warm start", "first", "warm end extriage-prepare", "second"}
    times = dict(log)
    assert times["second"] >= times["warm end extriage-prepare"]  # joined before the stage it warms for
    assert times["first"] < times["warm end extriage-prepare"]  # the first stage ran beside it


def test_serial_scan_does_not_warm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "x.log").write_bytes(b"x" * 100)
    monkeypatch.setattr(context, "PARALLEL_MIN_BYTES", 0)
    log = _warm_log(monkeypatch)
    pipeline.run_scan(str(tmp_path), ScanOptions(jobs=1), stages=[_Stage("first", log), _Stage("second", log)])
    assert [n for n, _ in log] == ["first", "second"]
