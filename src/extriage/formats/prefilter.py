"""Byte-level multi-pattern prefilter: find the few lines of a raw chunk that can matter.

Test-ProxyLogon greps for ``ServerInfo~`` before parsing any CSV; we do the same for every rule at
once. A chunk of raw bytes is searched for all literals (and optional regexes) of the rules of one
log family in a single pass, and only the lines holding a hit are decoded and parsed. Two engines
are available (measured in BENCHMARKS.md, core section): Hyperscan (default, fastest) and RE2.
Matching is case-insensitive, like PowerShell's ``Select-String``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

ENGINES = ("hyperscan", "re2")


def _hs_escape(literal: str) -> bytes:
    return re.escape(literal).encode("utf-8")


class Prefilter:
    """Compiled literals/regexes; :meth:`line_spans` gives ``(start, end)`` of the lines with a hit."""

    def __init__(self, literals: Sequence[str], regexes: Sequence[str] = (), engine: str = "hyperscan") -> None:
        self.literals = tuple(dict.fromkeys(x for x in literals if x))
        self.regexes = tuple(dict.fromkeys(x for x in regexes if x))
        if engine not in ENGINES:
            raise ValueError(f"unknown prefilter engine {engine!r}")
        patterns = [_hs_escape(x) for x in self.literals] + [x.encode("utf-8") for x in self.regexes]
        self.empty = not patterns
        self.engine = engine
        self._hs: Any = None
        self._re2: Any = None
        if self.empty:
            return
        if engine == "hyperscan":
            import hyperscan

            db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            flags = [hyperscan.HS_FLAG_CASELESS] * len(patterns)
            db.compile(expressions=patterns, ids=list(range(len(patterns))), elements=len(patterns), flags=flags)
            self._hs = db
        else:
            import re2

            alternation = b"|".join(b"(?:" + p + b")" for p in patterns)
            opts = re2.Options()
            opts.case_sensitive = False
            opts.max_mem = 64 << 20
            self._re2 = re2.compile(alternation, options=opts)

    def any_match(self, data: bytes) -> bool:
        """Whether ``data`` holds any match at all (stops at the first one)."""
        if self.empty or not data:
            return False
        if self._hs is not None:
            found = False

            def on_match(_id: int, _frm: int, _to: int, _flags: int, _ctx: object) -> bool:
                nonlocal found
                found = True
                return True  # a true return value stops the scan

            import hyperscan

            try:
                self._hs.scan(data, match_event_handler=on_match)
            except hyperscan.ScanTerminated:  # the early stop asked for above
                pass
            return found
        return self._re2.search(data) is not None

    def line_spans(self, chunk: bytes) -> list[tuple[int, int]]:
        """Sorted, distinct ``(start, end)`` offsets (end excludes ``\\n``) of lines holding a match."""
        if self.empty or not chunk:
            return []
        if self._hs is not None:
            ends: list[int] = []

            def on_match(_id: int, _frm: int, to: int, _flags: int, _ctx: object) -> None:
                ends.append(to)

            self._hs.scan(chunk, match_event_handler=on_match)
            return _spans_from_offsets(chunk, ends)
        spans: list[tuple[int, int]] = []
        pos = 0
        n = len(chunk)
        search = self._re2.search
        while pos < n:
            m = search(chunk, pos)
            if m is None:
                break
            hit = m.start()
            start = chunk.rfind(b"\n", 0, hit) + 1
            end = chunk.find(b"\n", hit)
            if end < 0:
                end = n
            spans.append((start, end))
            pos = end + 1
        return spans


def _spans_from_offsets(chunk: bytes, offsets: list[int]) -> list[tuple[int, int]]:
    offsets.sort()
    spans: list[tuple[int, int]] = []
    last_end = -1
    n = len(chunk)
    for off in offsets:
        if off <= last_end:
            continue
        start = chunk.rfind(b"\n", 0, max(off - 1, 0)) + 1 if off > 0 else 0
        end = chunk.find(b"\n", max(off - 1, 0))
        if end < 0:
            end = n
        last_end = end
        if spans and start <= spans[-1][0]:
            continue  # a match that ends just past a newline (a pattern taking "\n") names its line again
        spans.append((start, end))
    return spans
