"""The compiled YARA rules are kept between runs in the user's cache folder (issue 18, session 13): a
cache hit runs the very rules a fresh compile gives, a corrupt or foreign entry is compiled again, a
folder that cannot be written or lies inside the evidence is not used, and a changed rule text is never
answered from an older entry."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import yara_x

from extriage import cache
from extriage.detections.webfiles import rules

from . import test_unseen14_found, test_unseen15_kits, test_unseen19_notes, test_unseen20_new

EXTERNAL = 'rule cache_test_ext { strings: $a = "cache-marker" condition: $a }\n'
BROKEN = "rule cache_test_broken { condition: nope }\n"


def _pages() -> list[bytes]:
    """Harmless reproductions of shells (and the ordinary pages beside them) from the rule tables."""
    out = [b"cache-marker", b"<%@ Page Language=\"C#\" %>\n<% Response.Write(1); %>"]
    for module in (test_unseen14_found, test_unseen15_kits, test_unseen19_notes, test_unseen20_new):
        for _rule, shells, ordinary in module.CASES:
            out += [text.encode("utf-8") for _name, _ext, text in (*shells, *ordinary)]
    return out


PAGES = _pages()


def _hits(blob: bytes) -> list[list[str]]:
    """Each page's matching rules, from rules deserialised afresh from ``blob``."""
    compiled = yara_x.Rules.deserialize_from(io.BytesIO(blob))
    scanner = yara_x.Scanner(compiled)
    return [sorted(f"{r.namespace}.{r.identifier}" for r in scanner.scan(p).matching_rules) for p in PAGES]


@pytest.fixture
def where(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh cache folder, no rule set kept in this process, and a count of compiles."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV, str(folder))
    monkeypatch.setattr(rules, "_BUILT", {})
    monkeypatch.setattr(rules, "_CHECKED", {})
    yield folder / rules.CACHE_PART


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    made: list[int] = []
    real = rules.new_compiler

    def counting() -> yara_x.Compiler:
        made.append(1)
        return real()

    monkeypatch.setattr(rules, "new_compiler", counting)
    return made


def _forget(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new process: nothing kept in memory, only the cache folder."""
    monkeypatch.setattr(rules, "_BUILT", {})
    monkeypatch.setattr(rules, "_CHECKED", {})
    monkeypatch.setattr(rules, "_LOADED", None)


def _entries(where: Path, prefix: str) -> list[Path]:
    return sorted(where.glob(f"{prefix}-*")) if where.is_dir() else []


def test_a_hit_runs_the_same_rules_as_a_compile(
    where: Path, compiles: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ext = tmp_path / "ext"
    ext.mkdir()
    (ext / "a.yar").write_text(EXTERNAL, encoding="utf-8")
    (ext / "b.yar").write_text(BROKEN, encoding="utf-8")
    miss = rules.build_ruleset([str(ext)])
    assert len(compiles) == 3  # two files checked alone, then the set
    assert len(_entries(where, "rules")) == 1 and len(_entries(where, "check")) == 2
    _forget(monkeypatch)
    hit = rules.build_ruleset([str(ext)])
    assert len(compiles) == 3  # nothing compiled: the set and both checks came from the cache
    assert (hit.serialized, hit.rule_count, hit.errors) == (miss.serialized, miss.rule_count, miss.errors)
    assert len(hit.errors) == 1 and "b.yar does not compile" in hit.errors[0]
    found = _hits(hit.serialized)
    assert found == _hits(miss.serialized)
    assert ["ext0_0.cache_test_ext"] == found[0]
    assert sum(1 for f in found if any(r.startswith("extriage.") for r in f)) >= 20  # the shells' rules fire


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda b: b[:-1000], id="truncated"),
        pytest.param(lambda b: b[:-5] + bytes(5), id="bytes-changed"),
        pytest.param(lambda b: b"", id="empty"),
        pytest.param(lambda b: b"not a cache entry at all\n" * 4, id="foreign"),
    ],
)
def test_a_corrupt_entry_is_compiled_again(
    where: Path, compiles: list[int], monkeypatch: pytest.MonkeyPatch, damage: object
) -> None:
    first = rules.build_ruleset([])
    (entry,) = _entries(where, "rules")
    entry.write_bytes(damage(entry.read_bytes()))  # type: ignore[operator]
    _forget(monkeypatch)
    n = len(compiles)
    again = rules.build_ruleset([])
    assert len(compiles) == n + 1  # compiled again, not read
    assert again.serialized == first.serialized and again.rule_count == first.rule_count
    assert _hits(again.serialized) == _hits(first.serialized)
    assert entry.read_bytes() == rules._pack(first.serialized, first.rule_count)  # and written sound


def test_an_entry_yara_x_refuses_is_compiled_again(where: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sound checksum over rules yara-x cannot read (another build's layout): rebuilt, not a failure."""
    first = rules.build_ruleset([])
    (entry,) = _entries(where, "rules")
    entry.write_bytes(rules._pack(b"YARA-X but not really" * 10, first.rule_count))
    _forget(monkeypatch)
    assert rules.build_ruleset([]).serialized == first.serialized


def test_a_wrong_stored_check_is_not_believed(where: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "bad.yar").write_text(BROKEN, encoding="utf-8")
    first = rules.build_ruleset([str(tmp_path)])
    (entry,) = _entries(where, "check")
    entry.write_bytes(b"something else\n")
    _forget(monkeypatch)
    assert rules.build_ruleset([str(tmp_path)]).errors == first.errors


def test_a_changed_rule_text_is_not_answered_from_the_cache(
    where: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "a.yar"
    path.write_text(EXTERNAL, encoding="utf-8")
    rules.build_ruleset([str(tmp_path)])
    path.write_text(EXTERNAL.replace("cache_test_ext", "cache_test_ext_2"), encoding="utf-8")
    _forget(monkeypatch)
    second = rules.build_ruleset([str(tmp_path)])
    assert _hits(second.serialized)[0] == ["ext0_0.cache_test_ext_2"]
    assert len(_entries(where, "rules")) == 2


def test_the_key_names_the_engine_and_the_variables(monkeypatch: pytest.MonkeyPatch, where: Path) -> None:
    rules.build_ruleset([])
    monkeypatch.setattr(rules, "_engine", lambda: "yara-x 0.0.0-other")
    _forget(monkeypatch)
    rules.build_ruleset([])
    monkeypatch.setattr(rules, "GLOBALS", (*rules.GLOBALS, "another"))
    _forget(monkeypatch)
    rules.build_ruleset([])
    assert len(_entries(where, "rules")) == 3


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_an_unwritable_folder_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o500)
    monkeypatch.setenv(cache.ENV, str(folder))
    _forget(monkeypatch)
    assert rules.build_ruleset([]).rule_count > 0
    assert not any(folder.iterdir())


def test_a_folder_that_cannot_be_made_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Also as root: the cache path runs through a file, so no folder can be made there."""
    blocker = tmp_path / "file"
    blocker.write_bytes(b"x")
    monkeypatch.setenv(cache.ENV, str(blocker / "cache"))
    _forget(monkeypatch)
    built = rules.build_ruleset([])
    _forget(monkeypatch)
    assert rules.build_ruleset([]).serialized == built.serialized and blocker.read_bytes() == b"x"


def test_no_cache_inside_the_evidence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    evidence = tmp_path / "evidence"
    monkeypatch.setenv(cache.ENV, str(evidence / "home" / ".cache" / "extriage"))
    _forget(monkeypatch)
    assert rules.build_ruleset([], str(evidence)).rule_count > 0
    assert not evidence.exists()
    _forget(monkeypatch)
    rules.build_ruleset([], str(tmp_path / "elsewhere"))
    assert len(_entries(evidence / "home" / ".cache" / "extriage" / rules.CACHE_PART, "rules")) == 1


def test_an_empty_setting_turns_the_cache_off(monkeypatch: pytest.MonkeyPatch, compiles: list[int]) -> None:
    monkeypatch.setenv(cache.ENV, "")
    assert cache.cache_root() is None and cache.folder(rules.CACHE_PART) is None
    _forget(monkeypatch)
    rules.build_ruleset([])
    _forget(monkeypatch)
    rules.build_ruleset([])
    assert len(compiles) == 2


def test_the_default_folder_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(cache.ENV, raising=False)
    monkeypatch.setattr(cache.importlib, "import_module", _no_platformdirs)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_root() == tmp_path / "xdg" / "extriage"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_root() == tmp_path / "home" / ".cache" / "extriage"


def _no_platformdirs(name: str) -> object:
    raise ImportError(name)


def test_a_scan_answers_the_same_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two scans of a tree with a shell reproduction, the second reading the rules back: same findings."""
    from .rule_tables import page_hits, shipped_params

    monkeypatch.setenv(cache.ENV, str(tmp_path / "cache"))
    page = test_unseen14_found.CASES[0][1][0]
    _forget(monkeypatch)
    first = page_hits(tmp_path, "a" + page[1], page[2], shipped_params())
    _forget(monkeypatch)
    second = page_hits(tmp_path, "b" + page[1], page[2], shipped_params())
    assert first and [h.get("rule") for h in first] == [h.get("rule") for h in second]


def test_old_rule_sets_are_removed(
    where: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, compiles: list[int]
) -> None:
    """Rules edited again and again (as while writing them) leave the newest few sets, the one in use kept."""
    path = tmp_path / "ext" / "a.yar"
    path.parent.mkdir()
    path.write_text(EXTERNAL, encoding="utf-8")
    rules.build_ruleset([])  # the shipped set alone: used again below, so kept
    for i in range(rules._KEEP_SETS + 3):
        path.write_text(EXTERNAL.replace("cache_test_ext", f"cache_test_ext_{i}"), encoding="utf-8")
        _forget(monkeypatch)
        rules.build_ruleset([str(path.parent)])
        if i % 3 == 0:
            _forget(monkeypatch)
            rules.build_ruleset([])  # a hit marks it used
    assert len(_entries(where, "rules")) == rules._KEEP_SETS
    _forget(monkeypatch)
    n = len(compiles)
    assert rules.build_ruleset([]).rule_count > 0 and len(compiles) == n  # read back, not compiled
    assert not list(where.glob(".*"))  # no temporary file left


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_folder_others_may_write_is_not_used(where: Path, compiles: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    """Entries are handed to native code: a cache folder others can write to is neither read nor written."""
    first = rules.build_ruleset([])
    (entry,) = _entries(where, "rules")
    where.chmod(0o777)
    _forget(monkeypatch)
    n = len(compiles)
    assert rules.build_ruleset([]).serialized == first.serialized
    assert len(compiles) == n + 1  # compiled: the entry there was not read
    entry.unlink()
    _forget(monkeypatch)
    rules.build_ruleset([])
    assert not _entries(where, "rules")  # nor written
    where.chmod(0o700)
    _forget(monkeypatch)
    rules.build_ruleset([])
    assert len(_entries(where, "rules")) == 1
