"""A small engine that matches normalised Windows events against YAML rules (``rules/*.yml``).

The knowledge lives in the rule files (facts from Microsoft, Sigma, Splunk, Elastic, named in each
file); this module only loads, indexes and evaluates them. Rules are indexed by event id so an event
is only compared with the few rules that can apply to it.

Matching is done on a normalised form of each value: case-folded, single quotes turned into double
quotes, runs of white space collapsed to one space — because the same cmdlet is rendered
``-Role "Mailbox Import Export"`` in the EVTX message and ``-Role 'Mailbox Import Export'`` by some
SIEMs. Rule patterns are normalised the same way.

Rules are written in the one rule language of log and event rules (:mod:`extriage.detections.rulelang`,
docs/rules.md): ``Field|contains: [...]``, ``A/B|endswith: ...`` (the first of these fields with a value),
``|contains|all``, ``|re`` (on the normalised value; RE2 when it accepts the pattern), ``|like``,
``Field: null`` (missing or empty), ``all``/``any``/``not``; ``message`` and ``text`` (message and all
data), ``channel``, ``provider``, ``computer`` are fields of every event. A field no source of the rule
declares (``formats/event_layouts.yml``) is a load-time error.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from extriage.detections.rulelang import (
    EMPTY,
    AllOf,
    AnyOf,
    FieldTest,
    Node,
    Not,
    RuleError,
    Where,
    check_fields,
    condition_fields,
    enum_value,
    like_to_regex,
    parse_condition,
    read_yaml,
    str_list,
    walk_tests,
)
from extriage.detections.waves.registry import load_registry, other_id
from extriage.findings import Confidence, Outcome, Severity
from extriage.formats.event_fields import EVERY_EVENT, declared_fields
from extriage.formats.event_record import EventRecord, as_text

__all__ = [
    "RuleError", "RuleSet", "build_ruleset", "default_rules", "load_rules", "norm", "required_words", "word_options",
]

_WS = re.compile(r"\s+")
_QUOTES = str.maketrans({"'": '"', "\u2018": '"', "\u2019": '"', "\u201c": '"', "\u201d": '"'})


#: ASCII text needs the white-space regex only if it holds one of these (``\s`` in ``re`` also
#: matches the information separators 0x1c-0x1f).
_SPACE_RUNS = ("  ", "\t", "\n", "\r", "\f", "\v", "\x1c", "\x1d", "\x1e", "\x1f")


def norm(text: str) -> str:
    """The form values and patterns are compared in (see the module docstring)."""
    if text.isascii():  # O(1) in CPython; most event values: skip the work that cannot change them
        if "'" in text:
            text = text.replace("'", '"')
        for ws in _SPACE_RUNS:
            if ws in text:
                text = _WS.sub(" ", text)
                break
        return text.lower().strip()  # casefold() == lower() for ASCII
    return _WS.sub(" ", text.translate(_QUOTES)).casefold().strip()


_SPECIAL_FIELDS = frozenset({"message", "text", "channel", "provider", "computer"})


class View:
    """Lazily normalised fields of one event, shared by all rules evaluated against it."""

    __slots__ = ("_cache", "_lower", "rec")

    def __init__(self, rec: EventRecord) -> None:
        self.rec = rec
        self._cache: dict[str, str | None] = {}
        self._lower: dict[str, str] | None = None

    def raw(self, name: str) -> str | None:
        rec = self.rec
        value = rec.data.get(name)
        if value is None:
            key = name.lower()
            if key in _SPECIAL_FIELDS:
                if key == "message":
                    return rec.message or None
                if key == "text":
                    return "\n".join([rec.message, *(as_text(v) for v in rec.data.values())])
                return str(getattr(rec, key)) or None
            if self._lower is None:
                self._lower = {k.lower(): k for k in rec.data}
            real = self._lower.get(key)
            value = rec.data.get(real) if real is not None else None
        if value is not None and type(value) is not str:
            value = as_text(value)
        return value if value else None

    def get(self, name: str) -> str | None:
        cache = self._cache
        if name in cache:
            return cache[name]
        value = self.raw(name)
        out = norm(value) if value is not None else None
        self._cache[name] = out
        return out

    def first(self, names: tuple[str, ...]) -> str | None:
        for n in names:
            v = self.get(n)
            if v:
                return v
        return None


Cond = Callable[[View], bool]


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def compile_cond(spec: Any, where: str | Where) -> tuple[Cond, set[str]]:
    """Parse and compile one condition; also return the field names it reads (for evidence)."""
    node = parse_condition(spec, {}, where if isinstance(where, Where) else Where(where))
    return compile_node(node, where if isinstance(where, Where) else Where(where)), _names(node)


def _names(node: Node) -> set[str]:
    return {n for t in walk_tests(node) for n in t.names}


def compile_node(node: Node, where: Where) -> Cond:
    """A parsed condition as a test over one event's normalised fields."""
    if isinstance(node, FieldTest):
        return _compile_test(node, where)
    if isinstance(node, Not):
        inner = compile_node(node.part, where)
        return lambda v: not inner(v)
    conds = [compile_node(p, where) for p in node.parts]
    if len(conds) == 1:
        return conds[0]
    if isinstance(node, AllOf):

        def all_(v: View) -> bool:
            for c in conds:
                if not c(v):
                    return False
            return True

        return all_

    def any_(v: View) -> bool:
        for c in conds:
            if c(v):
                return True
        return False

    return any_


def _compile_test(t: FieldTest, where: Where) -> Cond:
    names = t.names
    if t.op == EMPTY:
        return lambda v: v.first(names) is None
    if t.cased:
        raise where.error(f"{t.key!r}: event values are compared case-folded, 'cased' does not apply")
    # Each test reads the first of its fields with a value (``View.first``); a test of one field —
    # nearly all — reads it with ``View.get`` directly (the same value: ``first`` passes over "").
    one = len(names) == 1
    name = names[0]
    if t.op in ("re", "like"):
        rxs = [_compile_regex(x if t.op == "re" else "^" + like_to_regex(norm(x)) + "$", where) for x in t.values]
        if t.all_of:
            return lambda v: (x := v.first(names)) is not None and all(rx.search(x) is not None for rx in rxs)
        if len(rxs) == 1:
            rx = rxs[0]

            def regex(v: View) -> bool:
                value = v.get(name) if one else v.first(names)
                return bool(value) and rx.search(value) is not None  # type: ignore[arg-type]

            return regex
        return lambda v: (x := v.first(names)) is not None and any(rx.search(x) is not None for rx in rxs)
    needles = tuple(norm(s) for s in t.values)
    if t.all_of and t.op == "contains":  # the common |contains|all, without a call per needle

        def contains_all(v: View) -> bool:
            value = v.get(name) if one else v.first(names)
            if not value:
                return False
            for n in needles:
                if n not in value:
                    return False
            return True

        return contains_all
    if t.all_of:
        test = _OP_TESTS[t.op]

        def every(v: View) -> bool:
            value = v.first(names)
            return value is not None and all(test(value, n) for n in needles)

        return every
    return _simple(t.op, names, needles)


_OP_TESTS: dict[str, Callable[[str, str], bool]] = {
    "contains": lambda value, n: n in value,
    "startswith": str.startswith,
    "endswith": str.endswith,
    "equals": str.__eq__,
}
_WORD = re.compile(r"[a-z0-9._-]{3,}")
#: The runs :func:`raw_word_options` takes: also slashes, which a value's bytes hold as they are (a
#: raw ``.evtx`` chunk's strings are not JSON-escaped; no value the parser renders, no text it or
#: the reader adds and no other character's case folding holds one), so ``/add`` stands for itself
#: where ``add`` could come from a hex number or a GUID (``screen.raw_checkable``). Not backslashes:
#: ``event_record.finish`` writes one into ``share_local_path``.
_RAW_WORD = re.compile(r"[a-z0-9._/-]{3,}")
_MAX_NEEDLES = 4
#: Fields a reader may derive rather than copy from the raw record.
_DERIVED = frozenset({"channel", "provider", "computer"})


def required_words(spec: Any) -> set[str] | None:
    """Words of which at least one must appear (case-insensitively) in the raw text of any event
    that satisfies condition ``spec`` (a parsed :data:`Node` or a condition as written) — or None
    when no such set can be derived.

    Each needle contributes its longest run of ``[a-z0-9._-]`` (3+ characters, taken from the
    normalised needle). Such runs survive every difference between a raw JSON line and the values
    the condition sees: JSON escapes only quotes, backslashes and control characters (and ``\\u``
    escapes, which :meth:`RuleSet.match` treats as "cannot tell"), normalisation only changes quotes,
    white space and case. Tests on ``channel``/``provider``/``computer`` (which a reader may derive
    rather than copy), ``re``, ``like``, ``null`` and ``not`` give None.
    """
    node = spec if isinstance(spec, (FieldTest, AllOf, AnyOf, Not)) else parse_condition(spec, {}, Where("condition"))
    return _required(node)


def _required(node: Node, word: re.Pattern[str] = _WORD) -> set[str] | None:
    if isinstance(node, AllOf):
        best: set[str] | None = None
        for part in node.parts:
            words = _required(part, word)
            if words is not None and (best is None or len(words) < len(best)):
                best = words
        return best
    if isinstance(node, AnyOf):
        union: set[str] = set()
        for part in node.parts:
            words = _required(part, word)
            if words is None:
                return None
            union |= words
        return union or None
    if isinstance(node, Not):
        return None
    if {n.lower() for n in node.names} & _DERIVED or node.op not in _OP_TESTS:
        return None
    needles = list(node.values)
    if node.all_of:  # every needle must be there: one (the longest word) suffices
        needles = sorted(needles, key=lambda n: -max((len(w) for w in word.findall(norm(n))), default=0))[:1]
    out: set[str] = set()
    for needle in needles:
        low = norm(needle)
        runs: list[str] = word.findall(low) if low.isascii() else []
        if not runs:
            return None
        out.add(max(runs, key=len))
    return out or None


def word_options(node: Node, word: re.Pattern[str] = _WORD) -> list[set[str]]:
    """Several sets of words, each of which :func:`required_words` could give for ``node``: every
    one holds for any event that satisfies it (one word of each set is in its raw text). An event
    missing every word of any one set cannot satisfy ``node`` — a screen can test them all where a
    single set's words also occur in field names (``user`` in ``SubjectUserSid``). ``word``: the
    runs a needle gives (see :func:`raw_word_options`)."""
    if isinstance(node, AllOf):
        return [opt for part in node.parts for opt in word_options(part, word)]
    if isinstance(node, FieldTest) and node.all_of and node.op in _OP_TESTS:
        if {n.lower() for n in node.names} & _DERIVED:
            return []
        out = []
        for needle in node.values:  # every needle must be there: each one's longest word suffices
            single = FieldTest(node.names, node.op, (needle,), node.cased, False, node.key)
            words = _required(single, word)
            if words is not None:
                out.append(words)
        return out
    words = _required(node, word)
    return [words] if words is not None else []


def raw_word_options(node: Node) -> list[set[str]]:
    """:func:`word_options` whose words may hold ``/`` too, for the screen of ``.evtx``
    chunks read from their bytes (``screen.Screen.raw_skip``), where a value's text is not escaped.
    Not for JSON text: an export may write ``/`` as ``\\/``."""
    return word_options(node, _RAW_WORD)


def _compile_regex(pattern: str, where: Where) -> Any:
    """Rule regexes run on attacker-influenced text: use RE2 (linear time) when it accepts the
    pattern, Python's ``re`` only for patterns RE2 cannot express."""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise where.error(f"bad regex {pattern!r}: {exc}") from None
    try:
        import re2

        return re2_searcher(re2.compile(pattern))
    except Exception:  # re2 missing or pattern unsupported (e.g. look-arounds)
        return re.compile(pattern)


_NULL_SPAN = (-1, -1)


class Re2Search:
    """``search(text)`` of a compiled RE2 pattern as a yes/no (``True`` or ``None``), with RE2's own
    match call on the text's UTF-8 bytes — what the ``re2`` package's ``search`` does, without its
    per-call Python work (mapping byte offsets back to characters, building a match object): ~1 µs
    a call instead of 4-10 µs, and a process-creation event is tested by up to four such patterns."""

    __slots__ = ("_anchor", "_match", "pattern")

    def __init__(self, pattern: str, match: Callable[..., Any], anchor: Any) -> None:
        self.pattern = pattern
        self._match = match
        self._anchor = anchor

    def search(self, text: str) -> bool | None:
        data = text.encode("utf-8")
        return True if self._match(self._anchor, data, 0, len(data))[0] != _NULL_SPAN else None


def re2_searcher(compiled: Any) -> Any:
    """A :class:`Re2Search` for a pattern compiled by ``re2.compile``, or the compiled pattern itself
    when this version of the ``re2`` package does not expose its match call (its ``search`` is then used)."""
    import re2

    regexp = getattr(compiled, "_regexp", None)
    anchor = getattr(getattr(re2, "_Anchor", None), "UNANCHORED", None)
    match = getattr(regexp, "Match", None)
    if match is None or anchor is None:
        return compiled
    return Re2Search(compiled.pattern, match, anchor)


def _simple(op: str, names: tuple[str, ...], needles: tuple[str, ...]) -> Cond:
    one = len(names) == 1  # (see _compile_test)
    name = names[0]
    if op == "contains":

        def contains(v: View) -> bool:
            value = v.get(name) if one else v.first(names)
            if not value:
                return False
            for n in needles:
                if n in value:
                    return True
            return False

        return contains
    if op == "startswith":
        return lambda v: bool(x := (v.get(name) if one else v.first(names))) and x.startswith(needles)  # type: ignore[union-attr]
    if op == "endswith":
        return lambda v: bool(x := (v.get(name) if one else v.first(names))) and x.endswith(needles)  # type: ignore[union-attr]
    if one:
        return lambda v: (v.get(name) or None) in needles
    return lambda v: v.first(names) in needles


@dataclass(slots=True)
class EventRule:
    id: str
    title: str
    description: str
    severity: Severity
    confidence: Confidence
    outcome: Outcome
    wave: str
    cves: list[str]
    attack: list[str]
    references: list[str]
    channels: frozenset[str]
    providers: frozenset[str]
    event_ids: frozenset[int]
    levels: frozenset[int]
    cond: Cond | None
    fields: set[str]
    outcome_by_event_id: dict[int, Outcome] = field(default_factory=dict)
    indicators: dict[str, list[str]] = field(default_factory=dict)  # Indicators attribute -> fields
    webshell_paths: list[str] = field(default_factory=list)  # fields holding a written web shell path
    group_by: list[str] = field(default_factory=list)
    incident_window: bool = False  # only means something near other attack traces (see stage)
    tags: list[str] = field(default_factory=list)
    #: Lower-case ASCII words of which at least one must occur in the raw record for ``cond`` to be
    #: able to hold (see :func:`required_words`); None when no such words can be derived.
    needles: tuple[bytes, ...] | None = None
    #: Every such set of words (:func:`word_options`), each of at most four words.
    word_options: tuple[frozenset[str], ...] = ()
    #: The same from :func:`raw_word_options` (for ``.evtx`` chunks read from their bytes).
    raw_options: tuple[frozenset[str], ...] = ()

    def applies_to_source(self, rec: EventRecord) -> bool:
        return self.applies_to(rec.provider, rec.channel)

    def applies_to(self, provider: str, channel: str) -> bool:
        if self.channels and channel.lower() not in self.channels:
            return False
        return not (self.providers and provider.lower() not in self.providers)

    def applies(self, rec: EventRecord) -> bool:
        return not (self.levels and rec.level not in self.levels)

    def outcome_for(self, rec: EventRecord) -> Outcome:
        if rec.event_id is not None and rec.event_id in self.outcome_by_event_id:
            return self.outcome_by_event_id[rec.event_id]
        return self.outcome


@dataclass(slots=True)
class Sequence:
    """``first`` followed by any of ``then`` on the same computer within ``within_minutes``."""

    id: str
    title: str
    description: str
    first: str
    then: list[str]
    within_minutes: float
    severity: Severity
    confidence: Confidence
    outcome: Outcome
    wave: str
    cves: list[str]
    attack: list[str]
    references: list[str]


@dataclass(slots=True)
class _Pool:
    """The rules that fit one (event id, provider, channel), and how their required words are found
    in a raw line: one Hyperscan pass for all of them (``scan`` gives the indexes of the words
    present, ``words`` each rule's indexes), or a substring search per word when they are few."""

    rules: list[EventRule]
    scan: Callable[[bytes], set[int]] | None = None
    words: list[frozenset[int] | None] = field(default_factory=list)


#: Fewer distinct required words than this among a pool's rules: one substring search per word
#: (each scans the line; one Hyperscan pass costs about as much as four).
_SCAN_MIN_WORDS = 4


def _pool(rules: list[EventRule]) -> _Pool:
    words = sorted({w for r in rules if r.needles for w in r.needles})
    if len(words) < _SCAN_MIN_WORDS:
        return _Pool(rules)
    try:
        import hyperscan
    except ImportError:  # pragma: no cover - a declared dependency
        return _Pool(rules)
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(
        expressions=[re.escape(w.decode("ascii")).encode("ascii") for w in words],
        ids=list(range(len(words))),
        elements=len(words),
        flags=[hyperscan.HS_FLAG_SINGLEMATCH] * len(words),
    )
    local = threading.local()

    def scan(low: bytes) -> set[int]:
        scratch = getattr(local, "scratch", None)
        if scratch is None:
            scratch = local.scratch = hyperscan.Scratch(db)
        found: set[int] = set()
        db.scan(low, match_event_handler=_found, context=found, scratch=scratch)
        return found

    index = {w: i for i, w in enumerate(words)}
    return _Pool(rules, scan, [frozenset(index[w] for w in r.needles) if r.needles else None for r in rules])


def _found(word: int, _start: int, _end: int, _flags: int, found: object) -> None:
    if isinstance(found, set):  # (the context handed to scan)
        found.add(word)


@dataclass(slots=True)
class RuleSet:
    rules: list[EventRule]
    sequences: list[Sequence]
    by_event_id: dict[int, list[EventRule]]
    any_event_id: list[EventRule]
    _candidates: dict[tuple[int | None, str, str], _Pool] = field(default_factory=dict)

    def _pool_of(self, rec: EventRecord) -> _Pool:
        return self.pool_for(rec.event_id, rec.provider, rec.channel)

    def pool_for(self, event_id: int | None, provider: str, channel: str) -> _Pool:
        """The rules that fit an event id, provider and channel (cached per combination)."""
        key = (event_id, provider, channel)
        found = self._candidates.get(key)
        if found is None:
            pool = self.by_event_id.get(event_id, []) if event_id is not None else []
            found = _pool([r for r in [*pool, *self.any_event_id] if r.applies_to(provider, channel)])
            if len(self._candidates) < 10_000:
                self._candidates[key] = found
        return found

    def candidates(self, rec: EventRecord) -> list[EventRule]:
        """Rules whose event id, provider and channel fit ``rec`` (cached per combination)."""
        return self._pool_of(rec).rules

    def match(self, rec: EventRecord) -> list[EventRule]:
        pool = self._candidates.get((rec.event_id, rec.provider, rec.channel))  # (pool_for, its cache first)
        if pool is None:
            pool = self.pool_for(rec.event_id, rec.provider, rec.channel)
        candidates = pool.rules
        if not candidates:
            return []
        view: View | None = None
        hits: list[EventRule] = []
        # The raw line (exports) lets a rule be ruled out by a byte search before any field is
        # normalised; only for plain ASCII lines without \u escapes (see required_words). The
        # lower-cased line (and the pool's one scan of it) is made when a rule first needs it.
        raw = rec.raw_bytes
        low: bytes | None = None
        looked = not raw
        present: set[int] | None = None
        i = -1
        for rule in candidates:
            i += 1
            if rule.levels and rec.level not in rule.levels:
                continue
            needles = rule.needles
            if needles is not None:
                if not looked:
                    looked = True
                    if raw.isascii() and b"\\u" not in raw:
                        low = raw.lower()
                        if pool.scan is not None:
                            present = pool.scan(low)
                if low is not None:
                    if present is not None:
                        words = pool.words[i]
                        if words is not None and present.isdisjoint(words):
                            continue
                    else:
                        for needle in needles:
                            if needle in low:
                                break
                        else:
                            continue
            cond = rule.cond
            if cond is not None:
                if view is None:
                    view = View(rec)
                if not cond(view):
                    continue
            hits.append(rule)
        return hits

    def by_id(self) -> dict[str, EventRule]:
        return {r.id: r for r in self.rules}


_RULE_KEYS = frozenset({
    "id", "title", "description", "severity", "confidence", "outcome", "wave", "cves", "attack", "references",
    "channel", "provider", "event_id", "level", "match", "outcome_by_event_id", "indicators", "webshell_path",
    "group_by", "incident_window", "tags", "author", "license", "status",
})
_SEQUENCE_KEYS = frozenset({
    "id", "title", "description", "first", "then", "within_minutes", "severity", "confidence", "outcome", "wave",
    "cves", "attack", "references", "tags", "author", "license", "status",
})
_INDICATOR_KINDS = ("client_ips", "paths", "urls", "accounts", "hosts", "user_agents", "hashes")


def _ints(value: Any, where: Where, what: str) -> frozenset[int]:
    try:
        return frozenset(int(e) for e in _as_list(value))
    except ValueError:
        raise where.error(f"{what} must be numbers, got {value!r}") from None


def _common(doc: Any, keys: frozenset[str], kind: str, file: str) -> tuple[str, Where]:
    """The id of a rule or sequence entry and where it is; unknown keys and a missing title are errors."""
    if not isinstance(doc, dict):
        raise RuleError(file, problem=f"each entry of '{kind}s' must be a mapping")
    rid = str(doc.get("id") or "")
    where = Where(file, rid or "(no id)")
    if not rid:
        raise where.error(f"a {kind} has no id")
    unknown = set(doc) - keys
    if unknown:
        raise where.error(f"unknown key(s) {sorted(unknown)}")
    if "title" not in doc:
        raise where.error("missing 'title'")
    wave = str(doc.get("wave") or other_id())
    waves = load_registry().ids()
    if wave not in waves:
        raise where.at("wave").error(f"wave {wave!r} is not one of {', '.join(waves)}")
    return rid, where


def _parse_rule(doc: Any, file: str) -> EventRule:
    rid, where = _common(doc, _RULE_KEYS, "rule", file)
    cond: Cond | None = None
    fields: set[str] = set()
    needles: tuple[bytes, ...] | None = None
    options: tuple[frozenset[str], ...] = ()
    raw_options: tuple[frozenset[str], ...] = ()
    named: list[tuple[str, str]] = []
    if doc.get("match") is not None:
        node = parse_condition(doc["match"], {}, where.at("match"))
        cond, fields = compile_node(node, where.at("match")), _names(node)
        named += condition_fields(node, "match")
        words = _required(node)
        # Many words make the byte search dearer than the condition itself (one short field).
        needles = tuple(sorted(w.encode() for w in words)) if words and len(words) <= _MAX_NEEDLES else None
        options = tuple(frozenset(o) for o in word_options(node) if o and len(o) <= _MAX_NEEDLES)
        raw_options = tuple(frozenset(o) for o in raw_word_options(node) if o and len(o) <= _MAX_NEEDLES)
    raw_indicators = doc.get("indicators") or {}
    if not isinstance(raw_indicators, dict):
        raise where.at("indicators").error("'indicators' must map indicator kinds to field names")
    indicators = {str(k): str_list(v, where.at(f"indicators {k}"), "indicator fields") for k, v in raw_indicators.items()}
    for key, names in indicators.items():
        if key not in _INDICATOR_KINDS:
            raise where.at("indicators").error(f"unknown indicator kind {key!r} (known: {', '.join(_INDICATOR_KINDS)})")
        fields.update(names)
        named += [(f"indicators {key}", n) for n in names]
    webshell_paths = str_list(doc.get("webshell_path"), where.at("webshell_path"), "webshell_path")
    group_by = str_list(doc.get("group_by"), where.at("group_by"), "group_by")
    named += [("webshell_path", n) for n in webshell_paths] + [("group_by", n) for n in group_by]
    rule = EventRule(
        id=rid,
        title=str(doc["title"]),
        description=str(doc.get("description", "")).strip(),
        severity=enum_value(doc.get("severity", "medium"), Severity, where.at("severity"), "severity"),
        confidence=enum_value(doc.get("confidence", "medium"), Confidence, where.at("confidence"), "confidence"),
        outcome=enum_value(doc.get("outcome", "info"), Outcome, where.at("outcome"), "outcome"),
        wave=str(doc.get("wave") or other_id()),
        cves=_as_list(doc.get("cves")),
        attack=_as_list(doc.get("attack")),
        references=_as_list(doc.get("references")),
        channels=frozenset(c.lower() for c in _as_list(doc.get("channel"))),
        providers=frozenset(p.lower() for p in _as_list(doc.get("provider"))),
        event_ids=_ints(doc.get("event_id"), where.at("event_id"), "event_id"),
        levels=_ints(doc.get("level"), where.at("level"), "level"),
        cond=cond,
        fields=fields,
        outcome_by_event_id={
            int(k): enum_value(v, Outcome, where.at("outcome_by_event_id"), "outcome")
            for k, v in (doc.get("outcome_by_event_id") or {}).items()
        },
        indicators=indicators,
        webshell_paths=webshell_paths,
        group_by=group_by,
        incident_window=bool(doc.get("incident_window", False)),
        tags=_as_list(doc.get("tags")),
        needles=needles,
        word_options=options,
        raw_options=raw_options,
    )
    if not rule.event_ids and not (rule.providers or rule.channels):
        raise where.error("names no event_id, provider or channel (it would test every event)")
    _check_declared(rule, named, where)
    return rule


def sources_fields(rule: EventRule) -> tuple[frozenset[str], tuple[re.Pattern[str], ...]] | None:
    """What the sources a rule applies to declare, together (lower-case names and name patterns), or
    None when one of them declares nothing (``formats/event_layouts.yml``), so nothing can be said."""
    decl = declared_fields()
    sources: list[tuple[str, int | None]]
    if rule.event_ids and rule.providers:
        sources = [(p, e) for e in rule.event_ids for p in rule.providers]
    elif rule.event_ids:  # any provider: those declaring the event (and provider-wide declarations)
        if not all(decl.has_event(e) for e in rule.event_ids):
            return None
        sources = [(p, e) for e in rule.event_ids for p in decl.providers_of(e)]
    elif rule.providers and not rule.channels:
        sources = [(p, None) for p in rule.providers]  # only provider-wide declarations hold for every event
    else:
        return None
    found = [decl.for_source(p, e) for p, e in sources]
    if any(f is None for f in found):
        return None
    names = frozenset().union(*(f[0] for f in found if f is not None))
    return names, tuple(p for f in found if f is not None for p in f[1])


def _check_declared(rule: EventRule, named: list[tuple[str, str]], where: Where) -> None:
    """A field no source of the rule ever has is a misspelling or another source's field."""
    own = [(k, n) for k, n in named if n.lower() not in EVERY_EVENT]
    if not own:
        return
    declared = sources_fields(rule)
    if declared is None:  # a source nothing is declared for: its fields are not known
        return
    names, patterns = declared

    def has(name: str) -> bool:
        low = name.lower()
        return low in names or any(p.fullmatch(low) for p in patterns)

    ids = ", ".join(str(e) for e in sorted(rule.event_ids)) or "any"
    provs = ", ".join(sorted(rule.providers)) or "any provider"
    check_fields(own, has, f"events {ids} of {provs} (formats/event_layouts.yml declares their fields)", where)


def _parse_sequence(doc: Any, file: str) -> Sequence:
    sid, where = _common(doc, _SEQUENCE_KEYS, "sequence", file)
    for key in ("first", "then"):
        if key not in doc:
            raise where.error(f"missing '{key}'")
    try:
        within = float(doc.get("within_minutes", 60))
    except (TypeError, ValueError):
        raise where.at("within_minutes").error("within_minutes must be a number") from None
    return Sequence(
        id=sid,
        title=str(doc["title"]),
        description=str(doc.get("description", "")).strip(),
        first=str(doc["first"]),
        then=_as_list(doc["then"]),
        within_minutes=within,
        severity=enum_value(doc.get("severity", "high"), Severity, where.at("severity"), "severity"),
        confidence=enum_value(doc.get("confidence", "medium"), Confidence, where.at("confidence"), "confidence"),
        outcome=enum_value(doc.get("outcome", "attempt"), Outcome, where.at("outcome"), "outcome"),
        wave=str(doc.get("wave") or other_id()),
        cves=_as_list(doc.get("cves")),
        attack=_as_list(doc.get("attack")),
        references=_as_list(doc.get("references")),
    )


def build_ruleset(texts: Iterable[tuple[str, str]]) -> RuleSet:
    """Build a rule set from ``(name, yaml text)`` pairs. Raises :class:`RuleError`."""
    rules: list[EventRule] = []
    sequences: list[Sequence] = []
    seen: dict[str, str] = {}
    for name, text in texts:
        doc = read_yaml(text, name, "'rules' and/or 'sequences'")
        extra = set(doc) - {"rules", "sequences"}
        if extra:
            raise RuleError(name, problem=f"unknown top-level key(s) {sorted(extra)}")
        for kind in ("rules", "sequences"):
            items = doc.get(kind) or []
            if not isinstance(items, list):
                raise RuleError(name, key=kind, problem=f"'{kind}' must be a list")
            for item in items:
                parsed = _parse_rule(item, name) if kind == "rules" else _parse_sequence(item, name)
                if parsed.id in seen:
                    raise RuleError(name, parsed.id, problem=f"also defined in {seen[parsed.id]}")
                seen[parsed.id] = name
                if isinstance(parsed, EventRule):
                    rules.append(parsed)
                else:
                    sequences.append(parsed)
    known = {r.id for r in rules}
    for s in sequences:
        for ref in [s.first, *s.then]:
            if ref not in known:
                raise RuleError(seen[s.id], s.id, problem=f"refers to unknown rule {ref}")
    by_eid: dict[int, list[EventRule]] = {}
    any_eid: list[EventRule] = []
    for r in rules:
        if not r.event_ids:
            any_eid.append(r)
        for eid in r.event_ids:
            by_eid.setdefault(eid, []).append(r)
    return RuleSet(rules, sequences, by_eid, any_eid)


@cache
def default_rules() -> RuleSet:
    """The packaged rules (``detections/events/rules/*.yml``)."""
    folder = resources.files("extriage.detections.events").joinpath("rules")
    texts = sorted(
        (f"rules/{p.name}", p.read_text(encoding="utf-8")) for p in folder.iterdir() if p.name.endswith((".yml", ".yaml"))
    )
    return build_ruleset(texts)


def load_rules(extra_dirs: Iterable[str] = ()) -> RuleSet:
    """Packaged rules plus ``*.yml`` rule files from ``extra_dirs``."""
    extra: list[tuple[str, str]] = []
    for d in extra_dirs:
        for p in sorted(Path(d).glob("*.y*ml")):
            try:
                extra.append((str(p), p.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError) as exc:
                raise RuleError(str(p), problem=f"cannot be read ({exc})") from None
    if not extra:
        return default_rules()
    folder = resources.files("extriage.detections.events").joinpath("rules")
    base = [(f"rules/{p.name}", p.read_text(encoding="utf-8")) for p in folder.iterdir() if p.name.endswith(".yml")]
    return build_ruleset(sorted(base) + extra)
