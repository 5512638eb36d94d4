"""A small engine that matches normalised Windows events against YAML rules (``rules/*.yml``).

The knowledge lives in the rule files (facts from Microsoft, Sigma, Splunk, Elastic, named in each
file); this module only loads, indexes and evaluates them. Rules are indexed by event id so an event
is only compared with the few rules that can apply to it.

Matching is done on a normalised form of each value: case-folded, single quotes turned into double
quotes, runs of white space collapsed to one space — because the same cmdlet is rendered
``-Role "Mailbox Import Export"`` in the EVTX message and ``-Role 'Mailbox Import Export'`` by some
SIEMs. Rule patterns are normalised the same way.

Condition language (a mapping with one of these keys, nested freely)::

    all: [cond, ...]        any: [cond, ...]        not: cond
    field: Name | [Name, Alternative, ...]   (first non-empty field; "message", "text" = message + all data)
      with one of: contains | contains_all | startswith | endswith | equals  (str or list: any of)
                   regex (on the normalised value) | empty: true/false
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from extriage.datafiles import load_yaml
from extriage.findings import Confidence, Outcome, Severity
from extriage.formats.event_record import EventRecord, as_text

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


class RuleError(ValueError):
    """A rule file is malformed (one-line reason naming the file and rule)."""


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
        if name in self._cache:
            return self._cache[name]
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


def compile_cond(spec: Any, where: str) -> tuple[Cond, set[str]]:
    """Compile one condition mapping; also return the field names it reads (for evidence)."""
    if not isinstance(spec, dict):
        raise RuleError(f"{where}: a condition must be a mapping, got {type(spec).__name__}")
    if "all" in spec or "any" in spec:
        key = "all" if "all" in spec else "any"
        parts = [compile_cond(s, where) for s in spec[key] or []]
        conds = [c for c, _ in parts]
        fields = set().union(*(f for _, f in parts)) if parts else set()
        if key == "all":

            def all_(v: View) -> bool:
                for c in conds:
                    if not c(v):
                        return False
                return True

            return all_, fields

        def any_(v: View) -> bool:
            for c in conds:
                if c(v):
                    return True
            return False

        return any_, fields
    if "not" in spec:
        inner, fields = compile_cond(spec["not"], where)
        return (lambda v: not inner(v)), fields
    if "field" not in spec:
        raise RuleError(f"{where}: condition {spec!r} has no 'field', 'all', 'any' or 'not'")
    names = tuple(_as_list(spec["field"]))
    fields = set(names)
    if "empty" in spec:
        want_empty = bool(spec["empty"])
        return (lambda v: (v.first(names) is None) == want_empty), fields
    if "contains_all" in spec:
        needles = [norm(s) for s in _as_list(spec["contains_all"])]

        def contains_all(v: View) -> bool:
            value = v.first(names)
            return value is not None and all(n in value for n in needles)

        return contains_all, fields
    if "regex" in spec:
        rx = _compile_regex(str(spec["regex"]), where)

        def regex(v: View) -> bool:
            value = v.first(names)
            return value is not None and rx.search(value) is not None

        return regex, fields
    for op in ("contains", "startswith", "endswith", "equals"):
        if op in spec:
            return _simple(op, names, tuple(norm(s) for s in _as_list(spec[op]))), fields
    raise RuleError(f"{where}: condition on {names} has no operator")


_WORD = re.compile(r"[a-z0-9._-]{3,}")
_MAX_NEEDLES = 4
_OPS = ("contains", "startswith", "endswith", "equals", "contains_all")


def required_words(spec: Any) -> set[str] | None:
    """Words of which at least one must appear (case-insensitively) in the raw text of any event
    that satisfies condition ``spec`` — or None when no such set can be derived.

    Each needle contributes its longest run of ``[a-z0-9._-]`` (3+ characters, taken from the
    normalised needle). Such runs survive every difference between a raw JSON line and the values
    the condition sees: JSON escapes only quotes, backslashes and control characters (and ``\\u``
    escapes, which :meth:`RuleSet.match` treats as "cannot tell"), normalisation only changes quotes,
    white space and case. Conditions on ``channel``/``provider``/``computer`` (which a reader may derive
    rather than copy), ``regex``, ``empty`` and ``not`` give None.
    """
    if not isinstance(spec, dict):
        return None
    if "all" in spec:
        best: set[str] | None = None
        for part in spec["all"] or []:
            words = required_words(part)
            if words is not None and (best is None or len(words) < len(best)):
                best = words
        return best
    if "any" in spec:
        union: set[str] = set()
        for part in spec["any"] or []:
            words = required_words(part)
            if words is None:
                return None
            union |= words
        return union or None
    names = {n.lower() for n in _as_list(spec.get("field"))}
    if not names or names & {"channel", "provider", "computer"}:
        return None
    for op in _OPS:
        if op in spec:
            needles = _as_list(spec[op])
            if op == "contains_all":  # every needle must be there: one (the longest word) suffices
                needles = sorted(needles, key=lambda n: -max((len(w) for w in _WORD.findall(norm(n))), default=0))[:1]
            out: set[str] = set()
            for needle in needles:
                low = norm(needle)
                runs: list[str] = _WORD.findall(low) if low.isascii() else []
                if not runs:
                    return None
                out.add(max(runs, key=len))
            return out or None
    return None


def _compile_regex(pattern: str, where: str) -> Any:
    """Rule regexes run on attacker-influenced text: use RE2 (linear time) when it accepts the
    pattern, Python's ``re`` only for patterns RE2 cannot express."""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise RuleError(f"{where}: bad regex {pattern!r}: {exc}") from None
    try:
        import re2

        return re2.compile(pattern)
    except Exception:  # re2 missing or pattern unsupported (e.g. look-arounds)
        return re.compile(pattern)


def _simple(op: str, names: tuple[str, ...], needles: tuple[str, ...]) -> Cond:
    if op == "contains":
        return lambda v: (x := v.first(names)) is not None and any(n in x for n in needles)
    if op == "startswith":
        return lambda v: (x := v.first(names)) is not None and x.startswith(needles)
    if op == "endswith":
        return lambda v: (x := v.first(names)) is not None and x.endswith(needles)
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

    def applies_to_source(self, rec: EventRecord) -> bool:
        if self.channels and rec.channel.lower() not in self.channels:
            return False
        return not (self.providers and rec.provider.lower() not in self.providers)

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
class RuleSet:
    rules: list[EventRule]
    sequences: list[Sequence]
    by_event_id: dict[int, list[EventRule]]
    any_event_id: list[EventRule]
    _candidates: dict[tuple[int | None, str, str], list[EventRule]] = field(default_factory=dict)

    def candidates(self, rec: EventRecord) -> list[EventRule]:
        """Rules whose event id, provider and channel fit ``rec`` (cached per combination)."""
        key = (rec.event_id, rec.provider, rec.channel)
        found = self._candidates.get(key)
        if found is None:
            pool = self.by_event_id.get(rec.event_id, []) if rec.event_id is not None else []
            found = [r for r in [*pool, *self.any_event_id] if r.applies_to_source(rec)]
            if len(self._candidates) < 10_000:
                self._candidates[key] = found
        return found

    def match(self, rec: EventRecord) -> list[EventRule]:
        candidates = self.candidates(rec)
        if not candidates:
            return []
        view: View | None = None
        hits: list[EventRule] = []
        # The raw line (exports) lets a rule be ruled out by a byte search before any field is
        # normalised; only for plain ASCII lines without \u escapes (see required_words).
        raw = rec.raw_bytes
        low = raw.lower() if raw and raw.isascii() and b"\\u" not in raw else None
        for rule in candidates:
            if rule.levels and rec.level not in rule.levels:
                continue
            if low is not None and rule.needles is not None:
                for needle in rule.needles:
                    if needle in low:
                        break
                else:
                    continue
            if rule.cond is not None:
                if view is None:
                    view = View(rec)
                if not rule.cond(view):
                    continue
            hits.append(rule)
        return hits

    def by_id(self) -> dict[str, EventRule]:
        return {r.id: r for r in self.rules}


def _enum(kind: type[Any], value: Any, where: str) -> Any:
    try:
        if kind is Outcome:
            return Outcome(str(value).lower())
        return kind[str(value).upper()]
    except (KeyError, ValueError):
        raise RuleError(f"{where}: unknown {kind.__name__.lower()} {value!r}") from None


def _parse_rule(doc: dict[str, Any], where: str) -> EventRule:
    rid = str(doc.get("id") or "")
    if not rid:
        raise RuleError(f"{where}: a rule has no id")
    where = f"{where} rule {rid}"
    cond: Cond | None = None
    fields: set[str] = set()
    needles: tuple[bytes, ...] | None = None
    if doc.get("match") is not None:
        cond, fields = compile_cond(doc["match"], where)
        words = required_words(doc["match"])
        # Many words make the byte search dearer than the condition itself (one short field).
        needles = tuple(sorted(w.encode() for w in words)) if words and len(words) <= _MAX_NEEDLES else None
    indicators = {k: _as_list(v) for k, v in (doc.get("indicators") or {}).items()}
    for key in indicators:
        if key not in ("client_ips", "paths", "urls", "accounts", "hosts", "user_agents", "hashes"):
            raise RuleError(f"{where}: unknown indicator kind {key!r}")
    for names in indicators.values():
        fields.update(names)
    return EventRule(
        id=rid,
        title=str(doc["title"]),
        description=str(doc.get("description", "")).strip(),
        severity=_enum(Severity, doc.get("severity", "medium"), where),
        confidence=_enum(Confidence, doc.get("confidence", "medium"), where),
        outcome=_enum(Outcome, doc.get("outcome", "info"), where),
        wave=str(doc.get("wave", "other")),
        cves=_as_list(doc.get("cves")),
        attack=_as_list(doc.get("attack")),
        references=_as_list(doc.get("references")),
        channels=frozenset(c.lower() for c in _as_list(doc.get("channel"))),
        providers=frozenset(p.lower() for p in _as_list(doc.get("provider"))),
        event_ids=frozenset(int(e) for e in _as_list(doc.get("event_id"))),
        levels=frozenset(int(e) for e in _as_list(doc.get("level"))),
        cond=cond,
        fields=fields,
        outcome_by_event_id={
            int(k): _enum(Outcome, v, where) for k, v in (doc.get("outcome_by_event_id") or {}).items()
        },
        indicators=indicators,
        webshell_paths=_as_list(doc.get("webshell_path")),
        group_by=_as_list(doc.get("group_by")),
        incident_window=bool(doc.get("incident_window", False)),
        tags=_as_list(doc.get("tags")),
        needles=needles,
    )


def _parse_sequence(doc: dict[str, Any], where: str) -> Sequence:
    sid = str(doc.get("id") or "")
    where = f"{where} sequence {sid}"
    return Sequence(
        id=sid,
        title=str(doc["title"]),
        description=str(doc.get("description", "")).strip(),
        first=str(doc["first"]),
        then=_as_list(doc["then"]),
        within_minutes=float(doc.get("within_minutes", 60)),
        severity=_enum(Severity, doc.get("severity", "high"), where),
        confidence=_enum(Confidence, doc.get("confidence", "medium"), where),
        outcome=_enum(Outcome, doc.get("outcome", "attempt"), where),
        wave=str(doc.get("wave", "other")),
        cves=_as_list(doc.get("cves")),
        attack=_as_list(doc.get("attack")),
        references=_as_list(doc.get("references")),
    )


def build_ruleset(texts: Iterable[tuple[str, str]]) -> RuleSet:
    """Build a rule set from ``(name, yaml text)`` pairs. Raises :class:`RuleError`."""
    rules: list[EventRule] = []
    sequences: list[Sequence] = []
    for name, text in texts:
        try:
            doc = load_yaml(text) or {}
        except yaml.YAMLError as exc:
            raise RuleError(f"{name}: not valid YAML ({str(exc).splitlines()[0]})") from None
        if not isinstance(doc, dict):
            raise RuleError(f"{name}: expected a mapping with 'rules' and/or 'sequences'")
        for item in doc.get("rules") or []:
            rules.append(_parse_rule(item, name))
        for item in doc.get("sequences") or []:
            sequences.append(_parse_sequence(item, name))
    ids = [r.id for r in rules] + [s.id for s in sequences]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise RuleError(f"duplicate rule ids: {', '.join(sorted(dupes))}")
    known = {r.id for r in rules}
    for s in sequences:
        for ref in [s.first, *s.then]:
            if ref not in known:
                raise RuleError(f"sequence {s.id} refers to unknown rule {ref}")
    by_eid: dict[int, list[EventRule]] = {}
    any_eid: list[EventRule] = []
    for r in rules:
        if not r.event_ids:
            if not (r.providers or r.channels):
                raise RuleError(f"rule {r.id} names no event_id, provider or channel (it would test every event)")
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
    extra = [(str(p), p.read_text(encoding="utf-8")) for d in extra_dirs for p in sorted(Path(d).glob("*.y*ml"))]
    if not extra:
        return default_rules()
    folder = resources.files("extriage.detections.events").joinpath("rules")
    base = [(f"rules/{p.name}", p.read_text(encoding="utf-8")) for p in folder.iterdir() if p.name.endswith(".yml")]
    return build_ruleset(sorted(base) + extra)
