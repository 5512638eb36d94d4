"""The one rule language of log and event rules: Sigma-shaped conditions, YAML reading and errors.

Log rules (``detections/rules/*.yml``, :mod:`extriage.detections.logrules`) and event rules
(``detections/events/rules/*.yml``, :mod:`extriage.detections.events.engine`) are written the same
way and read by the functions here; each engine only compiles the parsed condition for its records
(log lines: fields as written; events: case-folded, normalised values). docs/rules.md is the schema.

A condition is a mapping (an AND of its entries), ``all: [...]``, ``any: [...]`` or ``not: {...}``;
an entry is ``Field|modifier|flag: value`` (a string/number or a list: any of them, unless ``all``),
or ``Field: null`` (the field is missing or empty). ``A/B|modifier`` names alternatives: the first
of the fields the record has a value in (for sources that name one thing differently, such as
Sysmon's ``Image`` and Security 4688's ``NewProcessName``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

#: libyaml's C safe loader when present (about 10x faster), else the pure-Python safe loader.
YAML_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: Modifiers a field test may carry (``Field|contains|all``); ``equals`` is the default.
OPERATORS = ("equals", "contains", "startswith", "endswith", "like", "re")
#: ``list``: the values are names of shared lists (``lists:`` in any rule file), expanded at load time.
FLAGS = ("cased", "all", "list")
#: The ``op`` of a ``Field: null`` test.
EMPTY = "empty"


class RuleError(ValueError):
    """A rule file is invalid: which file, which rule, which key and what is wrong, in one sentence."""

    def __init__(self, file: str, rule: str = "", key: str = "", problem: str = "") -> None:
        self.file, self.rule, self.key, self.problem = file, rule, key, problem
        parts = [file, f"rule {rule}" if rule else "", key, problem]
        super().__init__(": ".join(p for p in parts if p))


@dataclass(frozen=True, slots=True)
class Where:
    """The place in a rule file being read, for :class:`RuleError`."""

    file: str
    rule: str = ""
    key: str = ""

    def at(self, key: str) -> Where:
        return Where(self.file, self.rule, f"{self.key} {key}".strip() if self.key else key)

    def error(self, problem: str) -> RuleError:
        return RuleError(self.file, self.rule, self.key, problem)


# -- conditions ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldTest:
    """``names|op|flags: values`` — ``names`` are alternatives (the first with a value is tested)."""

    names: tuple[str, ...]
    op: str  # one of OPERATORS, or EMPTY
    values: tuple[str, ...]
    cased: bool = False
    all_of: bool = False
    key: str = ""  # as written, for messages


@dataclass(frozen=True, slots=True)
class AllOf:
    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    part: Node


Node = FieldTest | AllOf | AnyOf | Not


def parse_condition(node: Any, lists: Mapping[str, list[str]], where: Where) -> Node:
    """Parse a condition (see the module docstring). Raises :class:`RuleError`."""
    if isinstance(node, list):
        if not node:
            raise where.error("a condition list must not be empty")
        return AllOf(tuple(parse_condition(n, lists, where) for n in node))
    if not isinstance(node, dict) or not node:
        raise where.error(f"a condition must be a non-empty mapping, got {node!r}")
    parts: list[Node] = []
    for key, value in node.items():
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                raise where.at(str(key)).error(f"'{key}' needs a non-empty list of conditions")
            subs = tuple(parse_condition(v, lists, where) for v in value)
            parts.append(AllOf(subs) if key == "all" else AnyOf(subs))
        elif key == "not":
            parts.append(Not(parse_condition(value, lists, where)))
        else:
            parts.append(_field_test(str(key), value, lists, where.at(str(key))))
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))


def _field_test(key: str, value: Any, lists: Mapping[str, list[str]], where: Where) -> FieldTest:
    name_part, *mods = key.split("|")
    names = tuple(n.strip() for n in name_part.split("/"))
    if not all(names):
        raise where.error(f"empty field name in {key!r}")
    ops = [m for m in mods if m in OPERATORS]
    flags = [m for m in mods if m in FLAGS]
    unknown = [m for m in mods if m not in OPERATORS and m not in FLAGS]
    if unknown:
        raise where.error(f"unknown modifier(s) {unknown} in {key!r} (known: {', '.join(OPERATORS + FLAGS)})")
    if len(ops) > 1:
        raise where.error(f"more than one operator in {key!r}")
    if value is None:
        if mods:
            raise where.error(f"'{key}: null' (missing or empty) takes no modifier")
        return FieldTest(names, EMPTY, (), key=key)
    op = ops[0] if ops else "equals"
    raw_values = value if isinstance(value, list) else [value]
    if "list" in flags:
        expanded: list[str] = []
        for list_name in raw_values:
            if str(list_name) not in lists:
                raise where.error(f"unknown list {list_name!r} in {key!r}")
            expanded.extend(lists[str(list_name)])
        raw_values = expanded
    if not raw_values or any(isinstance(v, (dict, list)) or v is None for v in raw_values):
        raise where.error(f"{key!r} needs a string/number or a list of them")
    values = tuple(str(v) for v in raw_values)
    if op in ("re", "like"):
        for v in values:
            try:
                re.compile(v if op == "re" else like_to_regex(v))
            except re.error as exc:
                raise where.error(f"bad regular expression in {key!r}: {exc}") from None
    return FieldTest(names, op, values, "cased" in flags, "all" in flags, key)


def like_to_regex(pattern: str) -> str:
    """PowerShell ``-like`` / Sigma wildcard: ``*`` any run, ``?`` one char, everything else literal."""
    out = []
    for ch in pattern:
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
    return "".join(out)


def walk_tests(node: Node) -> Iterable[FieldTest]:
    """Every field test of a condition."""
    if isinstance(node, FieldTest):
        yield node
    elif isinstance(node, Not):
        yield from walk_tests(node.part)
    else:
        for p in node.parts:
            yield from walk_tests(p)


def captured_fields(node: Node) -> set[str]:
    """Names of the ``(?P<Name>...)`` groups of ``re`` tests: fields a matching record gains."""
    out: set[str] = set()
    for t in walk_tests(node):
        if t.op == "re":
            for v in t.values:
                out.update(re.compile(v).groupindex)
    return out


# -- declared fields ----------------------------------------------------------------------------------


def check_fields(names: Iterable[tuple[str, str]], has: Callable[[str], bool], source: str, where: Where) -> None:
    """Raise :class:`RuleError` for the first ``(key, field)`` whose field ``has`` says the rule's
    source never has; ``source`` names that source in the message."""
    for key, name in names:
        if not has(name):
            raise where.at(key).error(f"field {name!r} is never in {source}")


def condition_fields(node: Node, key: str) -> list[tuple[str, str]]:
    """``(key, field)`` for every field a condition names (``key``: where it sits in the rule)."""
    return [(key, n) for t in walk_tests(node) for n in t.names]


# -- files --------------------------------------------------------------------------------------------


def read_yaml(text: str, file: str, kinds: str) -> dict[str, Any]:
    """One rule file as a mapping (``kinds``: its top-level keys, for the message)."""
    try:
        doc = yaml.load(text, Loader=YAML_SAFE_LOADER)  # noqa: S506 - a *safe* loader (C or Python)
    except yaml.YAMLError as exc:
        raise RuleError(file, problem=f"not valid YAML ({str(exc).splitlines()[0]})") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise RuleError(file, problem=f"a rule file must be a mapping with {kinds}")
    return doc


def str_list(value: Any, where: Where, what: str) -> list[str]:
    """A string or a list of strings (numbers allowed) as a list; anything else a :class:`RuleError`."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
        return [str(v) for v in value]
    raise where.error(f"{what} must be a string or a list of strings")


def shared_lists(parsed: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, list[str]]:
    """The ``lists:`` of every file (one namespace; a name defined twice is an error)."""
    lists: dict[str, list[str]] = {}
    for name, doc in parsed:
        raw = doc.get("lists") or {}
        if not isinstance(raw, dict):
            raise RuleError(name, key="lists", problem="'lists' must map list names to values")
        for list_name, values in raw.items():
            if list_name in lists:
                raise RuleError(name, key="lists", problem=f"list {list_name!r} is defined twice")
            lists[str(list_name)] = str_list(values, Where(name, key=f"list {list_name}"), "a list")
    return lists


def enum_value(value: Any, kind: type[Any], where: Where, what: str) -> Any:
    """``value`` as a member of the enum ``kind`` (by value for lower-case value enums, else by name)."""
    try:
        return kind(str(value).lower())
    except ValueError:
        pass
    try:
        return kind[str(value).upper()]
    except KeyError:
        members: list[Any] = list(kind.__members__.values())
        choices = [str(m.value) if isinstance(m.value, str) else m.name.lower() for m in members]
        raise where.error(f"{what} {value!r} is not one of {', '.join(choices)}") from None
