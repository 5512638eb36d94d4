"""The log rule engine: detections for log lines are DATA (YAML under ``detections/rules/``).

A rule names the log family it applies to, the literals its lines must contain (fed to the byte
prefilter so only candidate lines are parsed), a condition over NAMED fields (Exchange's own names
for HttpProxy/ECP, IIS/Sigma webserver names for W3C) and how a matching line is classified
(outcome, severity, confidence) — either fixed, by a field's value (e.g. HTTP status) or by the
first matching ``case``. The schema is documented in ``docs/rules.md``; the condition syntax mirrors
Sigma's ``field|modifier: value`` so rules export to Sigma one to one. The language (conditions,
files, errors) is :mod:`extriage.detections.rulelang`, shared with the event rules; fields are
checked at load time against what the rule's families declare.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from extriage.detections import rulelang
from extriage.detections.rulelang import (
    EMPTY,
    AllOf,
    Node,
    Not,
    Where,
    captured_fields,
    check_fields,
    condition_fields,
    enum_value,
    like_to_regex,
    parse_condition,
    read_yaml,
    shared_lists,
    str_list,
)
from extriage.detections.rulelang import (
    YAML_SAFE_LOADER as YAML_SAFE_LOADER,  # re-exported: data loaders use it
)
from extriage.detections.rulelang import (
    RuleError as RuleError,  # re-exported: the CLI catches it
)
from extriage.detections.waves.registry import load_registry
from extriage.findings import Confidence, Outcome, Severity
from extriage.formats.families import FAMILIES as LOG_FAMILIES
from extriage.formats.families import FAMILY_IDS

#: The log families rules may name (declared by the format modules: extriage.formats.families).
FAMILIES = FAMILY_IDS
#: Sigma logsource for each family (report exporters use it; Exchange logs have no Sigma category).
FAMILY_LOGSOURCE: dict[str, dict[str, str]] = {f.id: dict(f.logsource) for f in LOG_FAMILIES.values()}
_RULE_KEYS = {
    "id", "title", "description", "family", "prefilter", "prefilter_regex", "prefilter_except", "match", "cases", "outcome",
    "severity", "confidence", "wave", "cves", "attack", "references", "indicators", "group_by",
    "timeline", "tags", "author", "license", "status", "extract",
}
_CASE_KEYS = {"id", "when", "title", "description", "outcome", "severity", "confidence", "tags"}
_INDICATOR_KINDS = ("client_ips", "user_agents", "paths", "urls", "hashes", "accounts", "hosts")
#: ``{Field}`` placeholders of a timeline template.
_PLACEHOLDER = re.compile(r"(?<!\{)\{([^{}:!]+)[^{}]*\}")

Fields = dict[str, str]
#: What precedes a field value in a raw log line: W3C (space, tab), Exchange CSV (comma, quote).
_FIELD_START = '[ \\t,"]'

Test = Callable[[Fields], bool]


# -- conditions (parsed by rulelang, compiled here for log lines) --------------------------------


@dataclass(slots=True)
class FieldTest:
    """One compiled ``Field|op: values`` test over a log line's fields (a missing field is "")."""

    name: str
    op: str
    values: list[str]
    cased: bool = False
    all_of: bool = False
    _regexes: list[re.Pattern[str]] = field(default_factory=list)
    alternatives: tuple[str, ...] = ()  # further names: the first field with a value is tested

    def __call__(self, fields: Fields) -> bool:
        value = fields.get(self.name)
        if not value and self.alternatives:
            value = next((fields[n] for n in self.alternatives if fields.get(n)), value)
        if value is None:
            value = ""
        if self.op == EMPTY:
            return not value
        v = value if self.cased else value.lower()
        if self._regexes:
            results = []
            for rx in self._regexes:
                m = rx.search(value) if self.op == "re" else rx.fullmatch(value)
                if m and self.op == "re":
                    for k, val in m.groupdict().items():
                        if val is not None:
                            fields[k] = val
                results.append(m is not None)
        elif self.op == "equals":
            results = [v == x for x in self.values]
        elif self.op == "contains":
            results = [x in v for x in self.values]
        elif self.op == "startswith":
            results = [v.startswith(x) for x in self.values]
        else:  # endswith
            results = [v.endswith(x) for x in self.values]
        return all(results) if self.all_of else any(results)


def compile_node(node: Node) -> Test:
    """A parsed condition as a test over one log line's fields."""
    if isinstance(node, rulelang.FieldTest):
        return _compile_test(node)
    if isinstance(node, Not):
        sub = compile_node(node.part)
        return lambda f: not sub(f)
    subs = [compile_node(p) for p in node.parts]
    if len(subs) == 1:
        return subs[0]
    if isinstance(node, AllOf):
        return lambda f: all(t(f) for t in subs)
    return lambda f: any(t(f) for t in subs)


def compile_condition(node: Any, lists: Mapping[str, list[str]], where: str | Where) -> Test:
    """Parse and compile a condition (``where``: the file, or a :class:`Where`)."""
    return compile_node(parse_condition(node, lists, where if isinstance(where, Where) else Where(where)))


def _compile_test(t: rulelang.FieldTest) -> FieldTest:
    values = list(t.values) if t.cased else [v.lower() for v in t.values]
    test = FieldTest(t.names[0], t.op, values, t.cased, t.all_of, alternatives=t.names[1:])
    if t.op in ("re", "like"):
        rx_flags = 0 if t.cased else re.IGNORECASE
        test._regexes = [re.compile(v if t.op == "re" else like_to_regex(v), rx_flags | re.DOTALL) for v in t.values]
    return test


# -- rules -------------------------------------------------------------------------------------


@dataclass(slots=True)
class OutcomeSpec:
    """Fixed outcome, or an outcome chosen by a field's value (e.g. HttpStatus 241 ⇒ success)."""

    fixed: Outcome | None = None
    by_field: str = ""
    mapping: dict[str, Outcome] = field(default_factory=dict)
    default: Outcome = Outcome.ATTEMPT

    def decide(self, fields: Fields) -> Outcome:
        if self.fixed is not None:
            return self.fixed
        return self.mapping.get(fields.get(self.by_field, "").strip(), self.default)


@dataclass(slots=True)
class RuleCase:
    id: str
    when: Test | None
    title: str
    description: str
    outcome: OutcomeSpec
    severity: Severity
    confidence: Confidence
    tags: list[str]
    source: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Classification:
    case: RuleCase
    outcome: Outcome


@dataclass(slots=True)
class LogRule:
    id: str
    title: str
    description: str
    families: list[str]  # "httpproxy", "httpproxy/ecp", "iis", ...
    prefilter: list[str]
    prefilter_regex: list[str]
    match: Test
    cases: list[RuleCase]
    wave: str
    cves: list[str]
    attack: list[str]
    references: list[dict[str, str]]
    indicators: dict[str, list[str]]
    group_by: list[str]
    timeline: str
    tags: list[str]
    file: str
    source: dict[str, Any]  # the rule as written (for exporters such as Sigma)
    #: whole field values that explain a prefilter hit (e.g. the legitimate owa/auth pages): a line
    #: whose every hit of this rule's prefilter ends where one of them ends is not a candidate for it
    prefilter_except: list[str] = field(default_factory=list)
    #: fields derived from a matched line for grouping, indicators and the timeline — never part of
    #: the condition: name -> [(source field, regex whose group 1 is the value)], first hit wins
    extract: dict[str, list[tuple[str, re.Pattern[str]]]] = field(default_factory=dict)

    def prefilter_explainers(self) -> list[str]:
        """The regexes (Hyperscan syntax) that explain this rule's prefilter hits: each literal of
        ``prefilter_except`` right after a field delimiter, so it can only stand for a whole field
        value (a space in W3C, a comma or quote in Exchange CSV) — a path that merely ends like a
        legitimate page (``/owa/auth/x/owa/auth/logon.aspx``) is not explained."""
        return [_FIELD_START + re.escape(x) for x in self.prefilter_except]

    def applies_to(self, family: str, protocol: str) -> bool:
        for fam in self.families:
            base, _, proto = fam.partition("/")
            if base == family and (not proto or proto == protocol):
                return True
        return False

    def classify(self, fields: Fields) -> Classification | None:
        """The case and outcome for a line, or None when the rule does not match it."""
        if not self.match(fields):
            return None
        for name, sources in self.extract.items():
            for source, rx in sources:
                m = rx.search(fields.get(source, ""))
                if m and m.group(1):
                    fields[name] = m.group(1)
                    break
        for case in self.cases:
            if case.when is None or case.when(fields):
                return Classification(case, case.outcome.decide(fields))
        return None


@dataclass(slots=True)
class RuleSet:
    rules: list[LogRule]
    lists: dict[str, list[str]]
    files: list[str]
    _by_family: dict[str, list[LogRule]] = field(default_factory=dict, repr=False, compare=False)

    def for_family(self, family: str) -> list[LogRule]:
        # asked once per log file by the workers: the answer is kept (rule sets are never mutated)
        cached = self._by_family.get(family)
        if cached is None:
            cached = [r for r in self.rules if any(f.partition("/")[0] == family for f in r.families)]
            self._by_family[family] = cached
        return cached

    def get(self, rule_id: str) -> LogRule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


def _enum(value: Any, kind: type[Any], where: Where, what: str) -> Any:
    return enum_value(value, kind, where, what)


def _outcome(value: Any, where: Where) -> OutcomeSpec:
    if isinstance(value, str):
        return OutcomeSpec(fixed=_enum(value, Outcome, where, "outcome"))
    if isinstance(value, dict) and "field" in value and isinstance(value.get("map"), dict):
        mapping = {str(k): _enum(v, Outcome, where, "outcome") for k, v in value["map"].items()}
        default = _enum(value.get("default", "attempt"), Outcome, where, "outcome")
        return OutcomeSpec(by_field=str(value["field"]), mapping=mapping, default=default)
    raise where.error("outcome must be a name or {field, map, default}")


def _str_list(value: Any, where: Where, what: str) -> list[str]:
    return str_list(value, where, what)


def parse_rule(raw: Any, lists: Mapping[str, list[str]], file: str) -> LogRule:
    if not isinstance(raw, dict):
        raise RuleError(file, problem="each entry of 'rules' must be a mapping")
    rid = str(raw.get("id", "")).strip()
    where = Where(file, rid or "(no id)")
    if not rid:
        raise where.error("missing 'id'")
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise where.error(f"unknown key(s) {sorted(unknown)}")
    for key in ("title", "family", "match", "wave"):
        if key not in raw:
            raise where.error(f"missing '{key}'")
    families = _str_list(raw["family"], where.at("family"), "family")
    for fam in families:
        if fam.partition("/")[0] not in FAMILIES:
            raise where.at("family").error(f"unknown family {fam!r} (known: {', '.join(FAMILIES)})")
    wave = str(raw["wave"])
    waves = load_registry().ids()  # the wave registry (plus EXTRIAGE_WAVES_DIR) says which waves exist
    if wave not in waves:
        raise where.at("wave").error(f"wave {wave!r} is not one of {', '.join(waves)}")
    prefilter = _str_list(raw.get("prefilter"), where.at("prefilter"), "prefilter")
    prefilter_regex = _str_list(raw.get("prefilter_regex"), where.at("prefilter_regex"), "prefilter_regex")
    if not prefilter and not prefilter_regex:
        raise where.error("needs 'prefilter' literals (lines without them are never parsed)")
    prefilter_except = _except_values(raw.get("prefilter_except"), lists, where.at("prefilter_except"))
    base_severity = _enum(raw.get("severity", "medium"), Severity, where.at("severity"), "severity")
    base_confidence = _enum(raw.get("confidence", "medium"), Confidence, where.at("confidence"), "confidence")
    base_outcome = _outcome(raw.get("outcome", "attempt"), where.at("outcome"))
    title = str(raw["title"])
    description = str(raw.get("description", "")).strip()
    match_node = parse_condition(raw["match"], lists, where.at("match"))
    named = condition_fields(match_node, "match")
    captured = captured_fields(match_node)
    cases: list[RuleCase] = []
    raw_cases = raw.get("cases") or []
    if not isinstance(raw_cases, list):
        raise where.at("cases").error("'cases' must be a list")
    for i, rc in enumerate(raw_cases):
        cwhere = where.at(f"case {i + 1}")
        if not isinstance(rc, dict) or not rc.get("id"):
            raise cwhere.error("each case needs an 'id'")
        bad = set(rc) - _CASE_KEYS
        if bad:
            raise cwhere.error(f"unknown key(s) {sorted(bad)}")
        when = parse_condition(rc["when"], lists, cwhere.at("when")) if "when" in rc else None
        if when is not None:
            named += condition_fields(when, f"case {rc['id']} when")
            captured |= captured_fields(when)
        outcome = _outcome(rc["outcome"], cwhere.at("outcome")) if "outcome" in rc else base_outcome
        if outcome.by_field:
            named.append((f"case {rc['id']} outcome field", outcome.by_field))
        cases.append(
            RuleCase(
                id=str(rc["id"]),
                when=compile_node(when) if when is not None else None,
                title=str(rc.get("title", title)),
                description=str(rc.get("description", description)).strip(),
                outcome=outcome,
                severity=_enum(rc["severity"], Severity, cwhere, "severity") if "severity" in rc else base_severity,
                confidence=_enum(rc["confidence"], Confidence, cwhere, "confidence") if "confidence" in rc else base_confidence,
                tags=_str_list(rc.get("tags"), cwhere.at("tags"), "tags"),
                source=rc,
            )
        )
    if not cases or cases[-1].when is not None:
        cases.append(RuleCase("default", None, title, description, base_outcome, base_severity, base_confidence, []))
    indicators_raw = raw.get("indicators") or {}
    if not isinstance(indicators_raw, dict):
        raise where.at("indicators").error("'indicators' must map indicator kinds to field names")
    indicators: dict[str, list[str]] = {}
    for kind, names in indicators_raw.items():
        if kind not in _INDICATOR_KINDS:
            raise where.at("indicators").error(
                f"unknown indicator kind {kind!r} (known: {', '.join(_INDICATOR_KINDS)})")
        indicators[kind] = _str_list(names, where.at(f"indicators {kind}"), f"indicators.{kind}")
        named += [(f"indicators {kind}", n) for n in indicators[kind]]
    refs: list[dict[str, str]] = []
    for ref in raw.get("references") or []:
        if isinstance(ref, str):
            refs.append({"url": ref, "source": ""})
        elif isinstance(ref, dict) and ("url" in ref or "source" in ref):
            refs.append({"url": str(ref.get("url", "")), "source": str(ref.get("source", ""))})
        else:
            raise where.at("references").error("references must be strings or {source, url} mappings")
    extract = _extract(raw.get("extract"), where.at("extract"))
    named += [(f"extract {name}", src) for name, sources in extract.items() for src, _ in sources]
    group_by = _str_list(raw.get("group_by"), where.at("group_by"), "group_by")
    named += [("group_by", n) for n in group_by]
    timeline = str(raw.get("timeline", ""))
    named += [("timeline", m.group(1)) for m in _PLACEHOLDER.finditer(timeline)]
    if base_outcome.by_field:
        named.append(("outcome field", base_outcome.by_field))
    _check_declared(named, families, captured | set(extract), where)
    return LogRule(
        id=rid,
        title=title,
        description=description,
        families=families,
        prefilter=prefilter,
        prefilter_regex=prefilter_regex,
        match=compile_node(match_node),
        cases=cases,
        wave=wave,
        cves=_str_list(raw.get("cves"), where.at("cves"), "cves"),
        attack=_str_list(raw.get("attack"), where.at("attack"), "attack"),
        references=refs,
        indicators=indicators,
        group_by=group_by or indicators.get("client_ips", [])[:1],
        timeline=timeline,
        tags=_str_list(raw.get("tags"), where.at("tags"), "tags"),
        file=file,
        source=raw,
        prefilter_except=prefilter_except,
        extract=extract,
    )


def _check_declared(named: list[tuple[str, str]], families: list[str], own: set[str], where: Where) -> None:
    """A rule may name a field one of its families declares (formats/families.py), or one it makes
    itself (``re`` named groups, ``extract``); anything else is a misspelling or another family's."""
    fams = [LOG_FAMILIES[f.partition("/")[0]] for f in families]

    def has(name: str) -> bool:
        return name in own or any(fam.has_field(name) for fam in fams)

    source = " or ".join(f"{fam_id} lines" for fam_id in dict.fromkeys(f.id for f in fams))
    check_fields(named, has, f"{source} (docs/rules.md lists the fields per family)", where)


def _extract(value: Any, where: Where) -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    """``extract: {Name: [{SourceField: regex}, ...]}`` (regex group 1 = the value; case-insensitive)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise where.error("extract must map field names to lists of {field: regex}")
    out: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    for name, sources in value.items():
        items = sources if isinstance(sources, list) else [sources]
        out[str(name)] = []
        here = where.at(str(name))
        for item in items:
            if not isinstance(item, dict) or len(item) != 1:
                raise here.error("each entry is one {field: regex}")
            (src, pattern), = item.items()
            try:
                rx = re.compile(str(pattern), re.IGNORECASE)
            except re.error as exc:
                raise here.error(f"bad regular expression: {exc}") from None
            if rx.groups < 1:
                raise here.error("the regex needs a group (the value)")
            out[str(name)].append((str(src), rx))
    return out


def _except_values(value: Any, lists: Mapping[str, list[str]], where: Where) -> list[str]:
    """``prefilter_except``: literals, or ``{list: name}`` naming a shared list."""
    if value is None:
        return []
    if isinstance(value, dict):
        if set(value) != {"list"}:
            raise where.error("prefilter_except must be literals or {list: name}")
        out: list[str] = []
        for name in _str_list(value["list"], where, "prefilter_except.list"):
            if name not in lists:
                raise where.error(f"unknown list {name!r} in prefilter_except")
            out.extend(lists[name])
        return out
    return _str_list(value, where, "prefilter_except")


def load_rules_from(docs: Iterable[tuple[str, str]]) -> RuleSet:
    """Load rule files given as ``(name, text)``: lists first (shared by all files), then rules."""
    parsed = [(name, read_yaml(text, name, "'rules' and/or 'lists'")) for name, text in docs]
    lists = shared_lists(parsed)
    rules: list[LogRule] = []
    seen: dict[str, str] = {}
    for name, doc in parsed:
        extra = set(doc) - {"rules", "lists"}
        if extra:
            raise RuleError(name, problem=f"unknown top-level key(s) {sorted(extra)}")
        raw_rules = doc.get("rules") or []
        if not isinstance(raw_rules, list):
            raise RuleError(name, key="rules", problem="'rules' must be a list")
        for raw in raw_rules:
            rule = parse_rule(raw, lists, name)
            if rule.id in seen:
                raise RuleError(name, rule.id, problem=f"also defined in {seen[rule.id]}")
            seen[rule.id] = name
            rules.append(rule)
    return RuleSet(rules, lists, [n for n, _ in parsed])


@functools.lru_cache(maxsize=1)
def _package_docs() -> tuple[tuple[str, str], ...]:
    base = resources.files("extriage.detections") / "rules"
    out = []
    for entry in sorted(base.iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".yml", ".yaml")):
            out.append((f"rules/{entry.name}", entry.read_text(encoding="utf-8")))
    return tuple(out)


def load_rules(extra_dirs: tuple[str, ...] = ()) -> RuleSet:
    """The packaged rules plus ``*.yml`` files of ``extra_dirs`` and of the ``rules/`` folders of
    ``EXTRIAGE_WAVES_DIR`` (the wave registry's extension folders). Raises :class:`RuleError`.

    Parsed rule sets are cached by the files' contents, so an edited rule file is re-read.
    """
    docs = list(_package_docs())
    for d in (*extra_dirs, *load_registry().rule_dirs()):  # + the rules of EXTRIAGE_WAVES_DIR waves
        for p in sorted(Path(d).glob("*.y*ml")):
            try:
                docs.append((str(p), p.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError) as exc:
                raise RuleError(str(p), problem=f"cannot be read ({exc})") from None
    return _load_cached(tuple(docs))


@functools.lru_cache(maxsize=8)
def _load_cached(docs: tuple[tuple[str, str], ...]) -> RuleSet:
    return load_rules_from(docs)
