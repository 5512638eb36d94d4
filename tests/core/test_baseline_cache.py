"""The shipped Exchange baseline's parsed tables kept in the user's cache folder (issue 18): the same
tables whether parsed or read back, and a bad entry is parsed again, never used."""

from __future__ import annotations

import gzip
import marshal
from collections.abc import Iterator
from pathlib import Path

import pytest

from extriage import cache
from extriage.detections.webfiles import baseline


def _parsed() -> baseline.Baseline:
    return baseline._parse_gz(baseline._shipped_gz())


def _fields(b: baseline.Baseline) -> tuple[object, ...]:
    return (b.builds, b.build_sets, b.index, b.records)


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv(cache.ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(cache.EXCLUDE_ENV, raising=False)
    baseline._shipped.cache_clear()
    yield tmp_path / "cache" / baseline.CACHE_PART
    baseline._shipped.cache_clear()


def _entries(where: Path) -> list[Path]:
    return sorted(where.glob("tables-*.bin")) if where.is_dir() else []


def test_tables_read_back_are_the_parsed_ones(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _fields(_parsed())
    cold = baseline._shipped()
    assert _fields(cold) == expected
    assert len(_entries(cache_dir)) == 1
    baseline._shipped.cache_clear()

    def no_parse(blob: bytes) -> baseline.Baseline:
        raise AssertionError("parsed although the cache holds the tables")

    monkeypatch.setattr(baseline, "_parse", no_parse)
    warm = baseline._shipped()
    assert _fields(warm) == expected
    assert all(type(s) is tuple for s in warm.build_sets) and all(type(v) is tuple for v in warm.index.values())
    rel = next(iter(warm.index))
    start, _ = warm.index[rel]
    sha_prefix = warm.records[start * 10 : start * 10 + 8]
    assert warm.lookup(rel, sha_prefix.hex() + "0" * 48)[0] == baseline.KNOWN_GOOD
    assert baseline.load_baseline([]).index is warm.index


@pytest.mark.parametrize("damage", ["truncated", "foreign", "short_records", "not_marshal", "other_format", "odd_index"])
def test_a_bad_entry_is_parsed_again(cache_dir: Path, damage: str) -> None:
    expected = _fields(_parsed())
    baseline._shipped()
    (entry,) = _entries(cache_dir)
    data = entry.read_bytes()
    fmt, builds, sets, index, records = marshal.loads(data)
    bad = {
        "truncated": data[: len(data) // 2],
        "foreign": marshal.dumps(("x", 1, 2)),
        "short_records": marshal.dumps((fmt, builds, sets, index, records[:-10])),
        "not_marshal": b"\xff" * 64,
        "other_format": marshal.dumps(("baseline-tables-0", builds, sets, index, records)),
        "odd_index": marshal.dumps((fmt, builds, sets, dict.fromkeys(index, 1), records)),
    }[damage]
    entry.write_bytes(bad)
    baseline._shipped.cache_clear()
    assert _fields(baseline._shipped()) == expected
    assert entry.read_bytes() == data  # written again whole


def test_no_cache_folder_no_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.ENV, "")
    baseline._shipped.cache_clear()
    try:
        assert _fields(baseline._shipped()) == _fields(_parsed())
    finally:
        baseline._shipped.cache_clear()
    assert not list(tmp_path.iterdir())


def test_an_entry_keyed_by_the_shipped_bytes(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another shipped file (a new release's baseline) never reads the old entry."""
    baseline._shipped()
    (old,) = _entries(cache_dir)
    original = baseline._shipped_gz()
    other = gzip.compress(gzip.decompress(original))  # same tables, other bytes: a different key
    monkeypatch.setattr(baseline, "_shipped_gz", lambda: other)
    baseline._shipped.cache_clear()
    baseline._shipped()
    assert len(_entries(cache_dir)) == 2 and old in _entries(cache_dir)
