"""Byte-level multi-pattern prefilter: find the few lines of a raw chunk that can matter.

Test-ProxyLogon greps for ``ServerInfo~`` before parsing any CSV; we do the same for every rule at
once. A chunk of raw bytes is searched for all literals (and optional regexes) of the rules of one
log family in a single pass, and only the lines holding a hit are decoded and parsed. Two engines
are available (measured in BENCHMARKS.md, core section): Hyperscan (default, fastest) and RE2.
Matching is case-insensitive, like PowerShell's ``Select-String``.
"""

from __future__ import annotations

import contextlib
import functools
import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any

ENGINES = ("hyperscan", "re2")


def _hs_escape(literal: str) -> bytes:
    return re.escape(literal).encode("utf-8", "surrogateescape")


#: The pattern mask of a line when the engine cannot say which patterns hit (RE2): every bit set.
ALL_PATTERNS = -1


class Prefilter:
    """Compiled literals/regexes; :meth:`line_spans` gives ``(start, end)`` of the lines with a hit,
    :meth:`line_hits` also which patterns hit each line (bit ``i`` = pattern :meth:`index` ``i``)."""

    def __init__(
        self,
        literals: Sequence[str],
        regexes: Sequence[str] = (),
        engine: str = "hyperscan",
        excepts: Mapping[str, Sequence[str]] | None = None,
        keep: bool = False,
    ) -> None:
        """``excepts`` maps a literal or regex to regexes that *explain* its hits: a line where every
        match of that pattern ends exactly where an explainer's match ends does not count as a hit
        of that pattern (a line left with no hit is no candidate). Rules use it for benign values
        that their own broad pattern also selects, e.g. the legitimate owa/auth pages. Only
        Hyperscan reports which pattern matched where; with RE2 explainers are ignored (more lines
        are selected, never fewer). ``keep``: the compiled Hyperscan database is kept in the user's
        cache folder between runs (:func:`_hs_database`; for the shipped rules' prefilters, not for
        one scan's own pivot literals)."""
        self.literals = tuple(dict.fromkeys(x for x in literals if x))
        self.regexes = tuple(dict.fromkeys(x for x in regexes if x))
        #: bytes of the longest literal (a raw search keeps that many but one across chunk seams)
        self.longest_literal = max((len(x.encode("utf-8", "surrogateescape")) for x in self.literals), default=1)
        if engine not in ENGINES:
            raise ValueError(f"unknown prefilter engine {engine!r}")
        patterns = [_hs_escape(x) for x in self.literals] + [x.encode("utf-8", "surrogateescape") for x in self.regexes]
        self.empty = not patterns
        # explainer patterns get ids after the real ones; _explained[pid] = ids explaining pid
        self._explained: dict[int, frozenset[int]] = {}
        if engine == "hyperscan" and excepts:
            explainer_ids: dict[str, int] = {}
            for pattern, explainers in excepts.items():
                if not explainers or not pattern or (pattern not in self.literals and pattern not in self.regexes):
                    continue
                ids = set()
                for rx in explainers:
                    if rx not in explainer_ids:
                        explainer_ids[rx] = len(patterns)
                        patterns.append(rx.encode("utf-8"))
                    ids.add(explainer_ids[rx])
                self._explained[self.index(pattern)] = frozenset(ids)
        self._real = len(self.literals) + len(self.regexes)
        self.engine = engine
        self._hs: Any = None
        self._re2: Any = None
        self._local = threading.local()  # Hyperscan scratch space per thread (a scan must own its scratch)
        if self.empty:
            return
        if engine == "hyperscan":
            import hyperscan

            self._hs = _hs_database(patterns, keep)
            self._terminated: type[Exception] = hyperscan.ScanTerminated
        else:
            import re2

            alternation = b"|".join(b"(?:" + p + b")" for p in patterns)
            opts = re2.Options()
            opts.case_sensitive = False
            opts.max_mem = 64 << 20
            self._re2 = re2.compile(alternation, options=opts)

    def _scratch(self) -> Any:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            import hyperscan

            scratch = self._local.scratch = hyperscan.Scratch(self._hs)
        return scratch

    def index(self, pattern: str) -> int:
        """Bit number of a literal or regex given to the constructor (literals first, then regexes)."""
        if pattern in self.literals:
            return self.literals.index(pattern)
        return len(self.literals) + self.regexes.index(pattern)

    def mask_of(self, literals: Sequence[str], regexes: Sequence[str] = ()) -> int:
        """The pattern bits of a subset of the patterns (e.g. one rule's prefilter)."""
        mask = 0
        for x in [*literals, *regexes]:
            if x:
                mask |= 1 << self.index(x)
        return mask

    def any_match(self, data: bytes | bytearray | memoryview) -> bool:
        """Whether ``data`` holds any match at all (stops at the first one). Thread-safe (a scratch
        space per thread), but python-hyperscan holds the GIL while it scans: to search files side
        by side, use processes (BENCHMARKS.md, core section)."""
        if self.empty or not data:
            return False
        if self._hs is not None:
            try:
                self._hs.scan(data, match_event_handler=_stop, scratch=self._scratch())
            except self._terminated:  # the handler stopped the scan at the first match
                return True
            return False
        return self._re2.search(data) is not None

    def match_ends(self, data: bytes | bytearray) -> list[int]:
        """Sorted end offsets of the matches in ``data`` (explainers not counted): where the
        hits stand in a stretch that has no line breaks (an over-long, damaged line). RE2 gives
        the end of each leftmost match, Hyperscan every match end."""
        if self.empty or not data:
            return []
        if self._hs is not None:
            ends: list[int] = []
            real = self._real

            def on_match(pid: int, _frm: int, to: int, _flags: int, _ctx: object) -> None:
                if pid < real:
                    ends.append(to)

            self._hs.scan(data, match_event_handler=on_match, scratch=self._scratch())
            return sorted(set(ends))
        out = []
        pos = 0
        while pos < len(data):
            m = self._re2.search(data, pos)
            if m is None:
                break
            out.append(m.end())
            pos = max(m.end(), m.start() + 1)
        return out

    def line_spans(self, chunk: bytes) -> list[tuple[int, int]]:
        """Sorted, distinct ``(start, end)`` offsets (end excludes ``\\n``) of lines holding a match."""
        return [(a, b) for a, b, _ in self.line_hits(chunk)]

    def line_hits(self, chunk: bytes | bytearray, lo: int = 0, hi: int | None = None) -> list[tuple[int, int, int]]:
        """Like :meth:`line_spans` over ``chunk[lo:hi]`` (searched in place, offsets into
        ``chunk``), with the mask of the patterns that hit each line.

        Hyperscan names each match's pattern, so a rule engine can evaluate only the rules whose
        own prefilter hit the line; RE2 (one alternation) cannot, and gives :data:`ALL_PATTERNS`."""
        if hi is None:
            hi = len(chunk)
        if self.empty or hi <= lo:
            return []
        if self._hs is not None:
            hits: list[tuple[int, int]] = []
            add = hits.append

            def on_match(pid: int, _frm: int, to: int, _flags: int, _ctx: object) -> None:
                add((to + lo, pid))

            data = chunk if lo == 0 and hi == len(chunk) else memoryview(chunk)[lo:hi]
            self._hs.scan(data, match_event_handler=on_match, scratch=self._scratch())
            spans = _spans_from_offsets(chunk, hits, self._real, lo, hi)
            if self._explained:
                return _explain(spans, hits, self._explained, self._real)
            return spans
        spans_all: list[tuple[int, int, int]] = []
        pos = lo
        search = self._re2.search
        while pos < hi:
            m = search(chunk, pos, hi)
            if m is None:
                break
            hit = m.start()
            start = chunk.rfind(b"\n", lo, hit) + 1 or lo
            end = chunk.find(b"\n", hit, hi)
            if end < 0:
                end = hi
            spans_all.append((start, end, ALL_PATTERNS))
            pos = end + 1
        return spans_all


#: The cache's sub-folder for compiled Hyperscan databases, and its entries' format.
CACHE_PART = "hyperscan"
_HS_FORMAT = b"extriage-hyperscan-db-1\n"
_KEEP_DATABASES = 32  # one per log family and rule set (the shipped rules: 5)


def _hs_database(patterns: list[bytes], keep: bool) -> Any:
    """The Hyperscan block-mode database of ``patterns`` (caseless, ids in order). With ``keep``, read
    from the user's cache folder when an entry for these patterns, this Hyperscan and this CPU is
    there and sound, else compiled and stored: compiling the shipped log rules' five databases took
    0.18 s of the 0.27 s their plans cost, in the fork server every parallel scan's first log workers
    wait for and in the main process of a serial scan (BENCHMARKS.md, issue 18, session 13). An
    entry is used only when its SHA-256 matches, Hyperscan loads it, and a scratch space can be made
    for it on this machine; anything else (corrupt, another CPU's, unwritable folder) compiles."""
    import hyperscan

    flags = [hyperscan.HS_FLAG_CASELESS] * len(patterns)
    where = name = None
    if keep:
        from extriage import cache

        where = cache.folder(CACHE_PART)
        if where is not None:
            name = "hs-" + cache.key(_HS_FORMAT, _hs_platform(), *patterns) + ".db"
            db = _hs_load(cache.read(where, name))
            if db is not None:
                return db
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(expressions=patterns, ids=list(range(len(patterns))), elements=len(patterns), flags=flags)
    if where is not None and name is not None:
        import hashlib

        from extriage import cache

        with contextlib.suppress(Exception):  # nothing a cache cannot hold stops a scan
            blob = bytes(hyperscan.dumpb(db))
            cache.write(where, name, _HS_FORMAT + hashlib.sha256(blob).digest() + blob, keep=_KEEP_DATABASES)
    return db


def _hs_load(entry: bytes | None) -> Any:
    if entry is None or not entry.startswith(_HS_FORMAT):
        return None
    import hashlib

    import hyperscan

    n = len(_HS_FORMAT)
    digest, blob = entry[n : n + 32], entry[n + 32 :]
    if not blob or hashlib.sha256(blob).digest() != digest:
        return None
    try:
        db = hyperscan.loadb(blob, hyperscan.HS_MODE_BLOCK)
        db.scan(b"\n", match_event_handler=_stop, scratch=hyperscan.Scratch(db))  # usable on this CPU
    except Exception:
        return None
    return db


@functools.cache
def _hs_platform() -> str:
    """What a compiled database depends on: Hyperscan's version, the machine, the CPU's features."""
    import platform

    import hyperscan

    flags = ""
    with contextlib.suppress(OSError, UnicodeDecodeError):
        with open("/proc/cpuinfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(("flags", "Features")):
                    flags = line.split(":", 1)[-1].strip()
                    break
    version = getattr(hyperscan, "__version__", "?")
    with contextlib.suppress(Exception):
        probe = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        probe.compile(expressions=[b"x"], ids=[0], elements=1, flags=[0])
        info: Any = probe.info()  # b"Version: 5.4.12 Features: ... Mode: BLOCK"
        version += " " + (info.decode("ascii", "replace") if isinstance(info, bytes) else str(info))
    return f"{version}|{platform.machine()}|{flags}"


def _stop(_id: int, _frm: int, _to: int, _flags: int, _ctx: object) -> bool:
    """Hyperscan match handler that ends the scan at the first match."""
    return True


def _spans_from_offsets(
    chunk: bytes | bytearray, hits: list[tuple[int, int]], real: int, lo: int = 0, hi: int | None = None
) -> list[tuple[int, int, int]]:
    """Lines of ``(end offset, pattern id)`` matches in ``chunk[lo:hi]``, with the OR of the pattern
    bits per line. Matches of explainer patterns (ids ``>= real``) set no bit and make no line."""
    if hi is None:
        hi = len(chunk)
    hits.sort()
    spans: list[tuple[int, int, int]] = []
    last_end = -1
    for off, pid in hits:
        if pid >= real:
            continue
        bit = 1 << pid
        if off <= last_end:
            a, b, m = spans[-1]
            spans[-1] = (a, b, m | bit)
            continue
        start = chunk.rfind(b"\n", lo, max(off - 1, lo)) + 1 or lo if off > lo else lo
        end = chunk.find(b"\n", max(off - 1, lo), hi)
        if end < 0:
            end = hi
        last_end = end
        if spans and start <= spans[-1][0]:
            a, b, m = spans[-1]  # a match that ends just past a newline (a pattern taking "\n") names its line again
            spans[-1] = (a, b, m | bit)
            continue
        spans.append((start, end, bit))
    return spans


def _explain(
    spans: list[tuple[int, int, int]], hits: list[tuple[int, int]], explained: dict[int, frozenset[int]], real: int
) -> list[tuple[int, int, int]]:
    """Clear the bit of a pattern in a line when every one of its matches there ends where one of
    its explainers' matches ends; drop lines left without bits. ``hits`` is sorted by offset."""
    if not spans:
        return spans
    # end offsets per (pattern) for the patterns that have explainers, and of explainer matches
    out: list[tuple[int, int, int]] = []
    i = 0
    n = len(hits)
    for start, end, mask in spans:
        if not any(mask >> pid & 1 for pid in explained):
            out.append((start, end, mask))
            continue
        ends: dict[int, set[int]] = {}
        # the matches of this line: offsets in (start, end + 1] (a match ends after its last byte)
        while i < n and hits[i][0] <= start:
            i += 1
        j = i
        while j < n and hits[j][0] <= end + 1:
            ends.setdefault(hits[j][1], set()).add(hits[j][0])
            j += 1
        for pid, by in explained.items():
            if not mask >> pid & 1:
                continue
            own = ends.get(pid, set())
            covered: set[int] = set()
            for e in by:
                covered |= ends.get(e, set())
            if own and own <= covered:
                mask &= ~(1 << pid)
        if mask & ((1 << real) - 1):
            out.append((start, end, mask))
    return out
