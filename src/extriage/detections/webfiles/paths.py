"""Location rules compiled into one multi-pattern set, so each path costs one scan whatever the
number of rules (Loki loops over thousands of regexes per file: ~2,000 paths/s; a set does ~1M/s).

Two backends behind one interface - google-re2 ``Set`` and Hyperscan - chosen by
``bench/webfiles/bench_paths.py`` (figures in BENCHMARKS.md); RE2 is the default.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import re2

from extriage.detections.webfiles.knowledge import LocationRule


class PathMatcher:
    def __init__(self, rules: Sequence[LocationRule], backend: str = "re2") -> None:
        self.rules = list(rules)
        self.backend = backend
        self._except = [re.compile(r.except_pattern) if r.except_pattern else None for r in self.rules]
        if backend == "re2":
            s = re2.Set.SearchSet()
            for r in self.rules:
                if s.Add(r.pattern) < 0:
                    raise ValueError(f"location rule {r.id} does not compile: {r.pattern}")
            s.Compile()
            self._set = s
            # The same rules in multi-line mode, run once over a whole batch of keys joined by
            # newlines: every match of one key is a match of the batch (a superset), so a batch
            # with no match at all needs no per-key scan - the usual case for a web tree.
            one_line = re2.Options()
            one_line.never_nl = True  # a match never spans two keys ([^/]+ would cross the newline)
            multi = re2.Set.SearchSet(one_line)
            for r in self.rules:
                multi.Add("(?m)" + r.pattern)
            multi.Compile()
            self._multi = multi
        elif backend == "hyperscan":
            import hyperscan

            db = hyperscan.Database()
            db.compile(
                expressions=[r.pattern.encode() for r in self.rules],
                ids=list(range(len(self.rules))),
                elements=len(self.rules),
                flags=[hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_UTF8] * len(self.rules),
            )
            self._hs = db
        else:
            raise ValueError(f"unknown backend {backend!r}")

    def match(self, key: str) -> list[LocationRule]:
        """Rules matching a lower-case ``/``-separated path key (a leading ``/`` is added)."""
        return [self.rules[i] for i in self.match_ids(key)]

    def match_many(self, keys: Sequence[str]) -> list[list[int]]:
        """``match_ids`` of every key: keys are scanned together, halving a group only where it
        matches, so a batch of hundreds of paths with a few hits costs a few scans, not hundreds."""
        if self.backend != "re2":
            return [self.match_ids(k) for k in keys]
        out: list[list[int]] = [[] for _ in keys]
        # a key holding a newline (a legal file name character) is matched on its own
        plain: list[int] = []
        for i, k in enumerate(keys):
            if "\n" in k:
                out[i] = self.match_ids(k)
            else:
                plain.append(i)
        texts = ["/" + keys[i].lstrip("/") for i in plain]
        groups = [(0, len(plain))]
        while groups:
            lo, hi = groups.pop()
            if hi - lo <= 4:
                for j in range(lo, hi):
                    out[plain[j]] = self.match_ids(keys[plain[j]])
                continue
            joined = "\n".join(texts[lo:hi])
            if not joined.isascii():
                joined = joined.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            if self._multi.Match(joined):
                mid = (lo + hi) // 2
                groups += [(lo, mid), (mid, hi)]
        return out

    def match_ids(self, key: str) -> list[int]:
        """Indices (into ``rules``) of the rules matching ``key``."""
        # A name that is not valid UTF-8 on disk carries surrogate escapes (\udcff): match it with
        # U+FFFD in their place, so the folder rules still apply and the matchers never see a surrogate.
        text = ("/" + key.lstrip("/")).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        if self.backend == "re2":
            ids: list[int] = sorted(self._set.Match(text) or [])
        else:
            found: list[int] = []

            def on_match(rule_id: int, start: int, end: int, flags: int, ctx: object) -> None:
                found.append(rule_id)

            self._hs.scan(text.encode(), match_event_handler=on_match)
            ids = sorted(set(found))
        out = []
        for i in ids:
            exc = self._except[i]
            if exc is not None and exc.search(text):
                continue
            out.append(i)
        return out
