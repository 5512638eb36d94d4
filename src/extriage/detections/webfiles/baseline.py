"""The Exchange known-good baseline: which SHA-256 each file under ClientAccess/FrontEnd had in which
build, so a file is *known-good*, *modified* (known path, unknown hash) or *unknown* (path in no
baseline), and matched hashes tell which build the web files belong to.

Shipped as ``data/exchange_baseline.bin.gz`` (derived by ``scripts/build_webfiles_data.py`` from
microsoft/CSS-Exchange's Baselines, MIT): a JSON header (builds, build sets, sorted relative paths,
hash count per path) followed by one 10-byte record per (path, hash): the first 8 bytes of the
SHA-256 and a little-endian u16 build-set index. 64 bits of SHA-256 keep a second preimage out of
reach while keeping the file small; the path must match as well.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import marshal
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from extriage import cache as user_cache

MAGIC = b"EXTRIAGE-BASELINE1\n"
_RECORD = 10
_BUILD_DIR = re.compile(r"^\d+\.\d+\.\d+(?:\.\d+)?$")
_MAYBE_VERSION = re.compile(r"(?:^|/)(?:\d|current/)")
_ROOTS = ("clientaccess/", "frontend/")

KNOWN_GOOD = "known-good"
MODIFIED = "modified"
UNKNOWN = "unknown"


def normalise_relative(path: str) -> str:
    """Relative path inside the Exchange install as the baseline spells it: lower case, ``/``,
    build-number folders (``15.1.2176.9``) and ``Current`` under owa as ``version``; baseline rows
    relative to ClientAccess (``owa\\...``) get their ``clientaccess/`` prefix back."""
    p = path.replace("\\", "/").strip().strip('"').lower().lstrip("/")
    if _MAYBE_VERSION.search(p):  # the common case needs no segment loop
        parts = p.split("/")
        for i, seg in enumerate(parts):
            if (seg[:1].isdigit() and _BUILD_DIR.match(seg)) or (
                seg == "current" and i > 0 and parts[i - 1] in ("auth", "prem")
            ):
                parts[i] = "version"
        p = "/".join(parts)
    if not p.startswith(_ROOTS):
        p = "clientaccess/" + p
    return p


def normalise_relative_cached(path: str, folders: dict[str, str]) -> str:
    """:func:`normalise_relative` with each folder normalised once (``folders`` maps a raw folder to
    its normalised form ending in ``/``): tens of thousands of files share a few thousand folders.
    A name that could itself be rewritten (a build number, ``current``, quotes, spaces) takes the
    full path."""
    cut = max(path.rfind("/"), path.rfind("\\"))
    name = path[cut + 1 :]
    if (
        cut < 0
        or not name
        or name[0].isdigit()
        or name.lower() == "current"
        or name != name.strip().strip('"')
    ):
        return normalise_relative(path)
    head = path[:cut]
    folder = folders.get(head)
    if folder is None:
        if len(folders) > 65536:
            folders.clear()
        folder = folders[head] = normalise_relative(head + "/_")[:-1]
    return folder + name.lower()


@dataclass(slots=True)
class Baseline:
    builds: list[str]
    build_sets: list[tuple[int, ...]]
    index: dict[str, tuple[int, int]]  # path -> (first record, count)
    records: bytes
    extra: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)  # path -> sha256 -> builds

    def knows_path(self, rel: str) -> bool:
        return rel in self.index or rel in self.extra

    def lookup(self, rel: str, sha256: str, prefix: bytes | None = None) -> tuple[str, tuple[str, ...]]:
        """Classify one file by its normalised relative path and SHA-256; return (class, builds).
        ``prefix``: the digest's first 8 bytes when the caller has them (saves a hex decode)."""
        sha = sha256.lower()
        extra = self.extra.get(rel)
        if extra is not None and sha in extra:
            return KNOWN_GOOD, extra[sha]
        slot = self.index.get(rel)
        if slot is None:
            return (MODIFIED, ()) if extra is not None else (UNKNOWN, ())
        if prefix is None:
            prefix = bytes.fromhex(sha)[:8]
        start, count = slot
        # the path's records searched in C (a path has up to ~100 hashes): the first whole record
        # whose hash prefix is ``prefix``, as a loop over the records would find it
        records = self.records
        first = start * _RECORD
        end = first + count * _RECORD
        off = records.find(prefix, first, end) if len(prefix) == 8 else -1
        while off >= 0:
            if (off - first) % _RECORD == 0 and off + _RECORD <= end:
                bset = int.from_bytes(records[off + 8 : off + 10], "little")
                return KNOWN_GOOD, tuple(self.builds[b] for b in self.build_sets[bset])
            off = records.find(prefix, off + 1, end)
        return MODIFIED, ()

    def paths_for_build(self, build: str) -> list[str]:
        """Every relative path the baseline holds for ``build`` (e.g. to lay out a realistic tree)."""
        try:
            wanted = self.builds.index(build)
        except ValueError:
            return []
        sets = {i for i, s in enumerate(self.build_sets) if wanted in s}
        out = []
        for path, (start, count) in self.index.items():
            for i in range(start, start + count):
                off = i * _RECORD + 8
                if int.from_bytes(self.records[off : off + 2], "little") in sets:
                    out.append(path)
                    break
        return out

    def add_csv(self, path: Path) -> int:
        """Add a baseline CSV in the CSS-Exchange form (``relative_path,sha256,builds``, header
        optional), e.g. made from a known-clean server. Returns the rows added; raises ``ValueError``."""
        added = 0
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.reader(fh):
                if len(row) < 2 or row[0].strip().lower() == "relative_path":
                    continue
                sha = row[1].strip().lower()
                if not re.fullmatch(r"[0-9a-f]{64}", sha):
                    raise ValueError(f"{path}: {sha[:70]!r} is not a SHA-256")
                builds = tuple(b for b in (row[2].split(";") if len(row) > 2 else []) if b) or ("custom",)
                self.extra.setdefault(normalise_relative(row[0]), {})[sha] = builds
                added += 1
        return added


def _parse(blob: bytes) -> Baseline:
    if not blob.startswith(MAGIC):
        raise ValueError("not an extriage baseline file")
    pos = len(MAGIC)
    size = int.from_bytes(blob[pos : pos + 4], "little")
    head = json.loads(blob[pos + 4 : pos + 4 + size])
    records = blob[pos + 4 + size :]
    index: dict[str, tuple[int, int]] = {}
    start = 0
    for path, count in zip(head["paths"], head["counts"], strict=True):
        index[path] = (start, count)
        start += count
    if start * _RECORD != len(records):
        raise ValueError("baseline file is truncated")
    return Baseline(head["builds"], [tuple(s) for s in head["build_sets"]], index, records)


def _shipped_gz() -> bytes:
    return resources.files("extriage.detections.webfiles").joinpath("data/exchange_baseline.bin.gz").read_bytes()


def _parse_gz(gz: bytes) -> Baseline:
    """The baseline a gzipped baseline file holds (the shipped one: :func:`_shipped_gz`)."""
    with gzip.open(io.BytesIO(gz)) as fh:
        return _parse(fh.read())


#: The parsed shipped baseline kept in the user's cache folder (:mod:`extriage.cache`): part, format.
CACHE_PART = "baseline"
_CACHE_FORMAT = "baseline-tables-1"


def _tables(base: Baseline) -> bytes:
    return marshal.dumps((_CACHE_FORMAT, base.builds, base.build_sets, base.index, base.records))


def _from_tables(data: bytes | None) -> Baseline | None:
    """The baseline a cache entry holds, or None (no entry, unreadable, or not of this shape)."""
    if data is None:
        return None
    try:
        # entries come only from the user's own folder no one else may write (cache.read), as the rule sets
        fmt, builds, build_sets, index, records = marshal.loads(data)  # noqa: S302
        if fmt != _CACHE_FORMAT or not (
            isinstance(builds, list) and isinstance(build_sets, list) and isinstance(index, dict) and isinstance(records, bytes)
        ):
            return None
        if sum(count for _, count in index.values()) * _RECORD != len(records):  # as _parse checks the file
            return None
    except (EOFError, ValueError, TypeError):
        return None
    return Baseline(builds, build_sets, index, records)


@cache
def _shipped() -> Baseline:
    """The shipped baseline, parsed once per process. Parsing (gunzip, 6 MB of JSON, the index of
    60,000 paths) costs ~0.07 CPU-s on every scan; the parsed tables are kept in the user's cache
    folder, keyed by the shipped file's bytes and the Python version (marshal's format), and load
    in ~0.03 s (issue 18, session 17). A missing or unreadable entry: parsed again, as before."""
    gz = _shipped_gz()
    where = user_cache.folder(CACHE_PART)
    name = f"tables-{user_cache.key(_CACHE_FORMAT, sys.version, str(marshal.version), gz)}.bin"
    base = _from_tables(user_cache.read(where, name))
    if base is None:
        base = _parse_gz(gz)
        user_cache.write(where, name, _tables(base), keep=2)
    return base


def load_baseline(extra_csvs: list[str] | None = None) -> Baseline:
    """The shipped baseline, plus any extra CSV baselines (raises ``ValueError``/``OSError``). The
    shipped part is parsed once per process (and once for all workers in the fork server); each
    call gets its own ``extra`` table over the shared, read-only index and records."""
    shipped = _shipped()
    base = Baseline(shipped.builds, shipped.build_sets, shipped.index, shipped.records)
    for p in extra_csvs or []:
        base.add_csv(Path(p))
    return base


def infer_build(matches: list[tuple[str, ...]] | Counter[tuple[str, ...]]) -> dict[str, object]:
    """Which build the known-good files point at: the builds shared by the most matched files.

    ``matches`` holds the build tuple of every known-good file. Returns a JSON-ready dict with the
    best candidates, how many files support each, and whether all matched files agree.
    """
    counts = matches if isinstance(matches, Counter) else Counter(matches)
    total = sum(counts.values())
    if not total:
        return {"build": None, "candidates": [], "files_matched": 0, "consistent": False}
    votes: Counter[str] = Counter()
    for builds, n in counts.items():
        for build in set(builds):
            votes[build] += n
    top = max(votes.values())
    best = sorted((b for b, n in votes.items() if n == top), key=_build_key)
    ranked = sorted(votes.items(), key=lambda kv: (-kv[1], _build_key(kv[0])))[:5]
    return {
        "build": best[0] if len(best) == 1 else None,
        "candidates": [{"build": b, "files": n} for b, n in ranked],
        "files_matched": total,
        "consistent": top == total,
        "ambiguous_between": best if len(best) > 1 else [],
    }


def _build_key(build: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in build.split("."))
    except ValueError:
        return (1 << 30,)
