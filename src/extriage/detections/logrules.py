"""The log rule engine: detections for log lines are DATA (YAML under ``detections/rules/``).

A rule names the log family it applies to, the literals its lines must contain (fed to the byte
prefilter so only candidate lines are parsed), a condition over NAMED fields (Exchange's own names
for HttpProxy/ECP, IIS/Sigma webserver names for W3C) and how a matching line is classified
(outcome, severity, confidence) — either fixed, by a field's value (e.g. HTTP status) or by the
first matching ``case``. The schema is documented in ``docs/rules.md``; the condition syntax mirrors
Sigma's ``field|modifier: value`` so rules export to Sigma one to one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from extriage.findings import Confidence, Outcome, Severity
from extriage.formats.families import FAMILIES as LOG_FAMILIES
from extriage.formats.families import FAMILY_IDS

#: libyaml's C safe loader when present (about 10x faster), else the pure-Python safe loader.
YAML_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: Modifiers a field test may carry (``Field|contains|all``); ``equals`` is the default.
OPERATORS = ("equals", "contains", "startswith", "endswith", "like", "re")
#: ``list``: the values are names of shared lists (``lists:`` in any rule file), expanded at load time.
FLAGS = ("cased", "all", "list")
WAVES = ("proxylogon", "proxyshell", "proxynotshell", "proxytoken", "post-exploitation", "other")
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

Fields = dict[str, str]
#: What precedes a field value in a raw log line: W3C (space, tab), Exchange CSV (comma, quote).
_FIELD_START = '[ \\t,"]'

Test = Callable[[Fields], bool]


class RuleError(ValueError):
    """A rule file is invalid; the message names the file and the rule."""


# -- conditions --------------------------------------------------------------------------------


def _like_to_regex(pattern: str) -> str:
    """PowerShell ``-like`` / Sigma wildcard: ``*`` any run, ``?`` one char, everything else literal."""
    out = []
    for ch in pattern:
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
    return "".join(out)


@dataclass(slots=True)
class FieldTest:
    name: str
    op: str
    values: list[str]
    cased: bool = False
    all_of: bool = False
    _regexes: list[re.Pattern[str]] = field(default_factory=list)

    def __call__(self, fields: Fields) -> bool:
        value = fields.get(self.name)
        if value is None:
            value = ""
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


def compile_condition(node: Any, lists: Mapping[str, list[str]], where: str) -> Test:
    """Compile a condition: a mapping (AND of its entries), ``all``/``any`` lists, ``not``."""
    if isinstance(node, list):
        parts = [compile_condition(n, lists, where) for n in node]
        return lambda f: all(p(f) for p in parts)
    if not isinstance(node, dict) or not node:
        raise RuleError(f"{where}: a condition must be a non-empty mapping, got {node!r}")
    tests: list[Test] = []
    for key, value in node.items():
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                raise RuleError(f"{where}: '{key}' needs a non-empty list of conditions")
            subs = [compile_condition(v, lists, where) for v in value]
            tests.append((lambda s: lambda f: all(t(f) for t in s))(subs) if key == "all"
                         else (lambda s: lambda f: any(t(f) for t in s))(subs))
        elif key == "not":
            sub = compile_condition(value, lists, where)
            tests.append(lambda f, s=sub: not s(f))  # type: ignore[misc]
        else:
            tests.append(_field_test(str(key), value, lists, where))
    if len(tests) == 1:
        return tests[0]
    return lambda f: all(t(f) for t in tests)


def _field_test(key: str, value: Any, lists: Mapping[str, list[str]], where: str) -> FieldTest:
    name, *mods = key.split("|")
    if not name:
        raise RuleError(f"{where}: empty field name in {key!r}")
    ops = [m for m in mods if m in OPERATORS]
    flags = [m for m in mods if m in FLAGS]
    unknown = [m for m in mods if m not in OPERATORS and m not in FLAGS]
    if unknown:
        raise RuleError(f"{where}: unknown modifier(s) {unknown} in {key!r} (known: {', '.join(OPERATORS + FLAGS)})")
    if len(ops) > 1:
        raise RuleError(f"{where}: more than one operator in {key!r}")
    op = ops[0] if ops else "equals"
    raw_values = value if isinstance(value, list) else [value]
    if "list" in flags:
        expanded: list[str] = []
        for list_name in raw_values:
            if str(list_name) not in lists:
                raise RuleError(f"{where}: unknown list {list_name!r} in {key!r}")
            expanded.extend(lists[str(list_name)])
        raw_values = expanded
    if not raw_values or any(isinstance(v, (dict, list)) or v is None for v in raw_values):
        raise RuleError(f"{where}: {key!r} needs a string/number or a list of them")
    values = [str(v) for v in raw_values]
    cased = "cased" in flags
    test = FieldTest(name, op, values if cased else [v.lower() for v in values], cased, "all" in flags)
    if op in ("re", "like"):
        rx_flags = 0 if cased else re.IGNORECASE
        try:
            test._regexes = [re.compile(v if op == "re" else _like_to_regex(v), rx_flags | re.DOTALL) for v in values]
        except re.error as exc:
            raise RuleError(f"{where}: bad regular expression in {key!r}: {exc}") from None
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


def _enum(value: Any, kind: type[Any], where: str, what: str) -> Any:
    try:
        if kind is Outcome:
            return Outcome(str(value).lower())
        return kind[str(value).upper()]
    except (KeyError, ValueError):
        choices = [e.value if kind is Outcome else e.name.lower() for e in kind]
        raise RuleError(f"{where}: {what} {value!r} is not one of {', '.join(choices)}") from None


def _outcome(value: Any, where: str) -> OutcomeSpec:
    if isinstance(value, str):
        return OutcomeSpec(fixed=_enum(value, Outcome, where, "outcome"))
    if isinstance(value, dict) and "field" in value and isinstance(value.get("map"), dict):
        mapping = {str(k): _enum(v, Outcome, where, "outcome") for k, v in value["map"].items()}
        default = _enum(value.get("default", "attempt"), Outcome, where, "outcome")
        return OutcomeSpec(by_field=str(value["field"]), mapping=mapping, default=default)
    raise RuleError(f"{where}: outcome must be a name or {{field, map, default}}")


def _str_list(value: Any, where: str, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
        return [str(v) for v in value]
    raise RuleError(f"{where}: {what} must be a string or a list of strings")


def parse_rule(raw: Any, lists: Mapping[str, list[str]], file: str) -> LogRule:
    if not isinstance(raw, dict):
        raise RuleError(f"{file}: each entry of 'rules' must be a mapping")
    rid = str(raw.get("id", "")).strip()
    where = f"{file}: rule {rid or '(no id)'}"
    if not rid:
        raise RuleError(f"{where}: missing 'id'")
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise RuleError(f"{where}: unknown key(s) {sorted(unknown)}")
    for key in ("title", "family", "match", "wave"):
        if key not in raw:
            raise RuleError(f"{where}: missing '{key}'")
    families = _str_list(raw["family"], where, "family")
    for fam in families:
        if fam.partition("/")[0] not in FAMILIES:
            raise RuleError(f"{where}: unknown family {fam!r} (known: {', '.join(FAMILIES)})")
    wave = str(raw["wave"])
    if wave not in WAVES:
        raise RuleError(f"{where}: wave {wave!r} is not one of {', '.join(WAVES)}")
    prefilter = _str_list(raw.get("prefilter"), where, "prefilter")
    prefilter_regex = _str_list(raw.get("prefilter_regex"), where, "prefilter_regex")
    if not prefilter and not prefilter_regex:
        raise RuleError(f"{where}: needs 'prefilter' literals (lines without them are never parsed)")
    prefilter_except = _except_values(raw.get("prefilter_except"), lists, where)
    base_severity = _enum(raw.get("severity", "medium"), Severity, where, "severity")
    base_confidence = _enum(raw.get("confidence", "medium"), Confidence, where, "confidence")
    base_outcome = _outcome(raw.get("outcome", "attempt"), where)
    title = str(raw["title"])
    description = str(raw.get("description", "")).strip()
    cases: list[RuleCase] = []
    raw_cases = raw.get("cases") or []
    if not isinstance(raw_cases, list):
        raise RuleError(f"{where}: 'cases' must be a list")
    for i, rc in enumerate(raw_cases):
        cwhere = f"{where} case {i + 1}"
        if not isinstance(rc, dict) or not rc.get("id"):
            raise RuleError(f"{cwhere}: each case needs an 'id'")
        bad = set(rc) - _CASE_KEYS
        if bad:
            raise RuleError(f"{cwhere}: unknown key(s) {sorted(bad)}")
        cases.append(
            RuleCase(
                id=str(rc["id"]),
                when=compile_condition(rc["when"], lists, cwhere) if "when" in rc else None,
                title=str(rc.get("title", title)),
                description=str(rc.get("description", description)).strip(),
                outcome=_outcome(rc["outcome"], cwhere) if "outcome" in rc else base_outcome,
                severity=_enum(rc["severity"], Severity, cwhere, "severity") if "severity" in rc else base_severity,
                confidence=_enum(rc["confidence"], Confidence, cwhere, "confidence") if "confidence" in rc else base_confidence,
                tags=_str_list(rc.get("tags"), cwhere, "tags"),
                source=rc,
            )
        )
    if not cases or cases[-1].when is not None:
        cases.append(RuleCase("default", None, title, description, base_outcome, base_severity, base_confidence, []))
    indicators_raw = raw.get("indicators") or {}
    if not isinstance(indicators_raw, dict):
        raise RuleError(f"{where}: 'indicators' must map indicator kinds to field names")
    indicators: dict[str, list[str]] = {}
    for kind, names in indicators_raw.items():
        if kind not in _INDICATOR_KINDS:
            raise RuleError(f"{where}: unknown indicator kind {kind!r} (known: {', '.join(_INDICATOR_KINDS)})")
        indicators[kind] = _str_list(names, where, f"indicators.{kind}")
    refs: list[dict[str, str]] = []
    for ref in raw.get("references") or []:
        if isinstance(ref, str):
            refs.append({"url": ref, "source": ""})
        elif isinstance(ref, dict) and ("url" in ref or "source" in ref):
            refs.append({"url": str(ref.get("url", "")), "source": str(ref.get("source", ""))})
        else:
            raise RuleError(f"{where}: references must be strings or {{source, url}} mappings")
    return LogRule(
        id=rid,
        title=title,
        description=description,
        families=families,
        prefilter=prefilter,
        prefilter_regex=prefilter_regex,
        match=compile_condition(raw["match"], lists, f"{where} match"),
        cases=cases,
        wave=wave,
        cves=_str_list(raw.get("cves"), where, "cves"),
        attack=_str_list(raw.get("attack"), where, "attack"),
        references=refs,
        indicators=indicators,
        group_by=_str_list(raw.get("group_by"), where, "group_by") or indicators.get("client_ips", [])[:1],
        timeline=str(raw.get("timeline", "")),
        tags=_str_list(raw.get("tags"), where, "tags"),
        file=file,
        source=raw,
        prefilter_except=prefilter_except,
        extract=_extract(raw.get("extract"), where),
    )


def _extract(value: Any, where: str) -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    """``extract: {Name: [{SourceField: regex}, ...]}`` (regex group 1 = the value; case-insensitive)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RuleError(f"{where}: extract must map field names to lists of {{field: regex}}")
    out: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    for name, sources in value.items():
        items = sources if isinstance(sources, list) else [sources]
        out[str(name)] = []
        for item in items:
            if not isinstance(item, dict) or len(item) != 1:
                raise RuleError(f"{where}: extract.{name}: each entry is one {{field: regex}}")
            (src, pattern), = item.items()
            try:
                rx = re.compile(str(pattern), re.IGNORECASE)
            except re.error as exc:
                raise RuleError(f"{where}: extract.{name}: bad regular expression: {exc}") from None
            if rx.groups < 1:
                raise RuleError(f"{where}: extract.{name}: the regex needs a group (the value)")
            out[str(name)].append((str(src), rx))
    return out


def _except_values(value: Any, lists: Mapping[str, list[str]], where: str) -> list[str]:
    """``prefilter_except``: literals, or ``{list: name}`` naming a shared list."""
    if value is None:
        return []
    if isinstance(value, dict):
        if set(value) != {"list"}:
            raise RuleError(f"{where}: prefilter_except must be literals or {{list: name}}")
        out: list[str] = []
        for name in _str_list(value["list"], where, "prefilter_except.list"):
            if name not in lists:
                raise RuleError(f"{where}: unknown list {name!r} in prefilter_except")
            out.extend(lists[name])
        return out
    return _str_list(value, where, "prefilter_except")


def _read_yaml(text: str, file: str) -> dict[str, Any]:
    try:
        doc = yaml.load(text, Loader=YAML_SAFE_LOADER)  # noqa: S506 - a *safe* loader (C or Python)
    except yaml.YAMLError as exc:
        raise RuleError(f"{file}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise RuleError(f"{file}: a rule file must be a mapping with 'rules' and/or 'lists'")
    return doc


def load_rules_from(docs: Iterable[tuple[str, str]]) -> RuleSet:
    """Load rule files given as ``(name, text)``: lists first (shared by all files), then rules."""
    parsed = [(name, _read_yaml(text, name)) for name, text in docs]
    lists: dict[str, list[str]] = {}
    for name, doc in parsed:
        for list_name, values in (doc.get("lists") or {}).items():
            if list_name in lists:
                raise RuleError(f"{name}: list {list_name!r} is defined twice")
            lists[str(list_name)] = _str_list(values, f"{name}: list {list_name}", "list")
    rules: list[LogRule] = []
    seen: dict[str, str] = {}
    for name, doc in parsed:
        extra = set(doc) - {"rules", "lists"}
        if extra:
            raise RuleError(f"{name}: unknown top-level key(s) {sorted(extra)}")
        raw_rules = doc.get("rules") or []
        if not isinstance(raw_rules, list):
            raise RuleError(f"{name}: 'rules' must be a list")
        for raw in raw_rules:
            rule = parse_rule(raw, lists, name)
            if rule.id in seen:
                raise RuleError(f"{name}: rule {rule.id} is also defined in {seen[rule.id]}")
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
    """The packaged rules plus ``*.yml`` files of ``extra_dirs``. Raises :class:`RuleError`.

    Parsed rule sets are cached by the files' contents, so an edited rule file is re-read.
    """
    docs = list(_package_docs())
    for d in extra_dirs:
        for p in sorted(Path(d).glob("*.y*ml")):
            try:
                docs.append((str(p), p.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError) as exc:
                raise RuleError(f"{p}: cannot be read ({exc})") from None
    return _load_cached(tuple(docs))


@functools.lru_cache(maxsize=8)
def _load_cached(docs: tuple[tuple[str, str], ...]) -> RuleSet:
    return load_rules_from(docs)
