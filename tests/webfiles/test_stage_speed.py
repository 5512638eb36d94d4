"""The web file stage's cheaper paths (issue 14, speed) give exactly what the plain ones gave: the page
reference screen, the baseline record search and the bulk work-item builder, each against the
straightforward version it replaced, on edge cases and on random input."""

from __future__ import annotations

import random
import re
import zipfile
from pathlib import Path

import pytest

from extriage.detections.webfiles import content
from extriage.detections.webfiles.baseline import _RECORD, KNOWN_GOOD, MODIFIED, Baseline, load_baseline
from extriage.evidence.locate import build_inventory
from extriage.evidence.source import open_source

#: The screen as it was: Python's ``re`` tried at every byte of the first 64 KB.
_PLAIN_HINT = re.compile(rb"\b(?:CodeFile|Src)\s*=|#include\b", re.IGNORECASE)


def _plain_hint(data: bytes) -> bool:
    return _PLAIN_HINT.search(data, 0, 65536) is not None


EDGES = [
    b"",
    b"src=",
    b"SRC =",
    b"xsrc=",
    b"_src=",
    b"9src=",
    b"-src=",
    b"src\x0b=",
    b"src\t\n\r\x0c =",
    b"src x=",
    b"srcsrc=",
    b"s src=",
    b'<%@ Page CodeFile = "a.cs" %>',
    b"CODEFILE=",
    b"acodefile=",
    b"#include",
    b"#includes",
    b"#include_",
    b"#include.",
    b"x#INCLUDE file",
    b"#inc lude",
    b"\xffsrc=",
    b"\xc3\xa9src=",
    b"a" * 65530 + b"src=",  # a match ending past 64 KB is not one
    b"a" * 65532 + b"src=",
    b"a" * 65528 + b"#include",
    b"a" * 65529 + b"#include",
    b"a" * 65528 + b"#includex",  # cut at 64 KB: the boundary is the end of the head
    b"a" * 65535 + b" src=",
    b"src" + b" " * 70000 + b"=",
]


@pytest.mark.parametrize("data", EDGES, ids=range(len(EDGES)))
def test_ref_hint_edges(data: bytes) -> None:
    assert content.ref_hint(data) == _plain_hint(data)


def test_ref_hint_random() -> None:
    rng = random.Random(14)
    pieces = [b"src", b"SrC", b"codefile", b"CodeFile", b"#include", b"#INCLUDE", b"=", b" ", b"\t", b"\x0b"]
    pieces += [b"a", b"_", b"1", b"-", b".", b"\n", b"<", b"%", b"@", b"\xff", b"\x00", b"s", b"c", b"#"]
    found = 0
    for _ in range(20000):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randrange(0, 12)))
        expected = _plain_hint(data)
        found += expected
        assert content.ref_hint(data) == expected, data
    assert 1000 < found < 19000  # both answers exercised


def _plain_lookup(b: Baseline, rel: str, sha256: str) -> tuple[str, tuple[str, ...]]:
    """The record loop as it was."""
    sha = sha256.lower()
    extra = b.extra.get(rel)
    if extra is not None and sha in extra:
        return KNOWN_GOOD, extra[sha]
    slot = b.index.get(rel)
    if slot is None:
        return (MODIFIED, ()) if extra is not None else ("unknown", ())
    prefix = bytes.fromhex(sha)[:8]
    start, count = slot
    for i in range(start, start + count):
        off = i * _RECORD
        if b.records[off : off + 8] == prefix:
            bset = int.from_bytes(b.records[off + 8 : off + 10], "little")
            return KNOWN_GOOD, tuple(b.builds[x] for x in b.build_sets[bset])
    return MODIFIED, ()


def test_baseline_lookup_matches_the_record_loop() -> None:
    b = load_baseline([])
    rng = random.Random(7)
    paths = rng.sample(sorted(b.index), 400)
    checked = 0
    for rel in paths:
        start, count = b.index[rel]
        hashes = [b.records[i * _RECORD : i * _RECORD + 8].hex() + "0" * 48 for i in range(start, start + count)]
        # a hash straddling two records (bytes 5.. of one and the next) must not match
        straddle = b.records[start * _RECORD + 5 : start * _RECORD + 13].hex() + "0" * 48
        for sha in [*hashes, straddle, "ab" * 32, hashes[0].upper()]:
            got = b.lookup(rel, sha)
            assert got == _plain_lookup(b, rel, sha), (rel, sha)
            assert b.lookup(rel, sha, bytes.fromhex(sha)[:8]) == got
            checked += 1
        assert b.lookup(rel, hashes[0])[0] == KNOWN_GOOD
    assert checked > 1000
    assert b.lookup("clientaccess/no/such/file.aspx", "ab" * 32) == _plain_lookup(
        b, "clientaccess/no/such/file.aspx", "ab" * 32
    )


def test_baseline_lookup_record_aligned_with_crafted_records() -> None:
    """A prefix found inside a record at another offset, or only over the path's end, is no match."""
    want = bytes(range(1, 9))
    records = b"\x00\x00" + want  # p: the prefix two bytes into a record, running into its build set
    records += b"\x09" * 8 + b"\x00\x00"
    records += b"\x07" * 6 + want[:2] + want[2:4]  # p's last record: the prefix runs over p's end
    records += want[4:] + b"\x00" * 4 + b"\x00\x00"  # q: its first hash is not the prefix
    records += want + b"\x00\x00"  # q's second record: the match
    b = Baseline(["b0", "b1"], [(0,), (1,)], {"p": (0, 3), "q": (3, 2)}, records)
    sha = want.hex() + "0" * 48
    for rel in ("p", "q"):
        assert b.lookup(rel, sha) == _plain_lookup(b, rel, sha)
    assert b.lookup("p", sha)[0] == MODIFIED
    assert b.lookup("q", sha) == (KNOWN_GOOD, ("b0",))


def test_bulk_targets_equal_one_by_one(tmp_path: Path) -> None:
    root = tmp_path / "ev"
    (root / "C" / "inetpub" / "wwwroot" / "a b").mkdir(parents=True)
    (root / "C" / "inetpub" / "wwwroot" / "a b" / "x.aspx").write_bytes(b"<% %>")
    (root / "C" / "inetpub" / "wwwroot" / "y.txt").write_bytes(b"y")
    with zipfile.ZipFile(root / "C" / "inetpub" / "wwwroot" / "z.zip", "w") as z:
        z.writestr("inner/w.aspx", b"<% %>")
    for path in (root, root / "C" / "inetpub" / "wwwroot" / "z.zip", Path(str(root) + "/")):
        inv = build_inventory(open_source(path), lambda p, w: None)
        assert inv.files
        assert content.targets(inv.files) == [content.target(f) for f in inv.files]
    single = build_inventory(open_source(root / "C" / "inetpub" / "wwwroot" / "y.txt"), lambda p, w: None)
    assert content.targets(single.files) == [content.target(f) for f in single.files]


def test_second_process_only_on_a_free_core(monkeypatch: pytest.MonkeyPatch) -> None:
    """A tree of many small files is split only when no other thread is runnable now, whatever the
    1-minute load says (it counts the scan's own earlier stages and processes waiting for the disk);
    without /proc/loadavg, the load average decides as before."""
    from extriage.scan.stages import webfiles as stage

    monkeypatch.setattr(stage.os, "getloadavg", lambda: (8.0, 8.0, 8.0))
    monkeypatch.setattr(stage, "_runnable_now", lambda: 1)  # this process alone runs now
    assert stage._spare_core(2)
    monkeypatch.setattr(stage, "_runnable_now", lambda: 2)  # another job holds the other core
    assert not stage._spare_core(2)
    assert stage._spare_core(4)
    monkeypatch.setattr(stage, "_runnable_now", lambda: None)  # no /proc/loadavg
    assert not stage._spare_core(2)
    monkeypatch.setattr(stage.os, "getloadavg", lambda: (1.2, 1.2, 1.2))
    assert stage._spare_core(2)
    running = stage._runnable_now()
    assert running is None or running >= 1


def test_gc_paused_restores_the_collector() -> None:
    """The collector is off inside, back on after (also after an error), and left off if it was."""
    import gc

    assert gc.isenabled()
    with content.gc_paused():
        assert not gc.isenabled()
        with content.gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), content.gc_paused():
        raise ValueError("x")
    assert gc.isenabled()
    gc.disable()
    try:
        with content.gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
