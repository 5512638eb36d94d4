"""The log detections as Sigma rules, checked by pySigma, and as Splunk and Elasticsearch queries.

The core-logs rule files (``detections/rules/*.yml``, schema in ``docs/rules.md``) use Sigma's
``field|modifier: value`` syntax on purpose; this module maps their condition tree (mappings = AND,
``all`` / ``any`` lists, ``not``) onto Sigma selections and a condition string, expands shared lists,
and turns ``like`` wildcards into Sigma wildcards. One Sigma rule is written per rule and log family,
with the family's logsource. Fields keep the names of the Exchange / IIS logs; a SIEM that stores
them under other names needs a pySigma field-mapping pipeline (see the README in the output folder).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from extriage import outputs

_NS = uuid.UUID("0b5b8f8e-3c1c-4a57-9a76-f3c54b8f3a10")
_LEVEL = {"info": "informational", "low": "low", "medium": "medium", "high": "high", "critical": "critical"}
_SEVERITY_ORDER = ["info", "low", "medium", "high", "critical"]


class SigmaExportError(RuntimeError):
    """The packaged log rules could not be loaded (message says which file)."""


@dataclass(slots=True)
class ExportedRule:
    rule_id: str
    family: str
    filename: str
    yaml_text: str
    title: str
    splunk: str = ""
    elastic: str = ""
    elastic_note: str = ""
    problems: list[str] = field(default_factory=list)


@dataclass(slots=True)
class SigmaExport:
    rules: list[ExportedRule]
    skipped: list[tuple[str, str]]  # (rule id, reason)


# -- condition tree -> Sigma detection -----------------------------------------------------------
def _escape_literal(value: str) -> str:
    return value.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\")


_LUCENE_UNSUPPORTED = re.compile(r"\(\?[=!<]|[*+?}]\?|\\[bBAZzG]|\\[1-9]|\(\?[a-z]+\)")
_SHORTHAND = {"\\d": "[0-9]", "\\w": "[A-Za-z0-9_]", "\\s": "[ \t]", "\\D": "[^0-9]", "\\W": "[^A-Za-z0-9_]", "\\S": "[^ \t]"}


def lucene_regex(pattern: str) -> str:
    """Rewrite a Python regex for Lucene's regexp syntax (always anchored, no inline flags, no named
    groups, no shorthand classes). Raises ValueError for constructs Lucene cannot express."""
    p = re.sub(r"\(\?P<\w+>", "(", pattern).replace("(?:", "(")
    if p.startswith("(?i)"):
        p = p[4:]
    for short, cls in _SHORTHAND.items():
        p = p.replace(short, cls)
    if _LUCENE_UNSUPPORTED.search(p):
        raise ValueError("the regular expression uses lookarounds, lazy quantifiers or inline flags, which Lucene lacks")
    p = p[1:] if p.startswith("^") else ".*" + p
    p = p[:-1] if p.endswith("$") and not p.endswith("\\$") else p + ".*"
    return p


class _Builder:
    def __init__(self, lists: Mapping[str, list[str]], lucene: bool = False) -> None:
        self.lists = lists
        self.lucene = lucene
        self.selections: dict[str, dict[str, Any]] = {}

    def _new(self, content: dict[str, Any]) -> str:
        name = f"selection_{len(self.selections) + 1}"
        self.selections[name] = content
        return name

    def _field(self, key: str, value: Any) -> tuple[str, list[str]]:
        name, *mods = key.split("|")
        ops = [m for m in mods if m in ("equals", "contains", "startswith", "endswith", "like", "re")]
        op = ops[0] if ops else "equals"
        raw = value if isinstance(value, list) else [value]
        if "list" in mods:
            expanded: list[str] = []
            for list_name in raw:
                expanded.extend(self.lists[str(list_name)])
            raw = expanded
        values = [str(v) for v in raw]
        sigma_mods: list[str] = []
        if op in ("contains", "startswith", "endswith"):
            sigma_mods.append(op)
            values = [_escape_literal(v) for v in values]
        elif op == "like":
            values = [_escape_like(v) for v in values]
        elif op == "re":
            sigma_mods.append("re")
            if self.lucene:
                values = [lucene_regex(v) for v in values]
            elif "cased" not in mods:
                values = [v if v.startswith("(?i)") else "(?i)" + v for v in values]
        else:
            values = [_escape_literal(v) for v in values]
        if "cased" in mods and op != "re":
            sigma_mods.append("cased")
        if "all" in mods and len(values) > 1:
            sigma_mods.append("all")
        return "|".join([name, *sigma_mods]), values

    def condition(self, node: Any) -> str:
        if isinstance(node, list):
            return self._join([self.condition(n) for n in node], "and")
        if not isinstance(node, dict):
            raise ValueError(f"unsupported condition {node!r}")
        parts: list[str] = []
        plain: dict[str, Any] = {}
        extra: list[dict[str, Any]] = []
        for key, value in node.items():  # field tests first, so selection numbers follow the rule text
            if key in ("all", "any", "not"):
                continue
            sigma_key, values = self._field(str(key), value)
            target = extra[-1] if extra and sigma_key not in extra[-1] else None
            if sigma_key in plain:  # two tests that map to the same Sigma key: separate selection
                if target is None:
                    target = {}
                    extra.append(target)
                target[sigma_key] = values if len(values) > 1 else values[0]
            else:
                plain[sigma_key] = values if len(values) > 1 else values[0]
        for content in ([plain] if plain else []) + extra:
            parts.append(self._new(content))
        for key, value in node.items():
            if key == "all":
                parts.append(self._join([self.condition(v) for v in value], "and"))
            elif key == "any":
                parts.append(self._join([self.condition(v) for v in value], "or"))
            elif key == "not":
                parts.append("not " + self.condition(value))
        return self._join(parts, "and")

    @staticmethod
    def _join(parts: list[str], op: str) -> str:
        if len(parts) == 1:
            return parts[0]
        return "(" + f" {op} ".join(parts) + ")"


def _strip_outer(condition: str) -> str:
    """Drop one pair of parentheses around the whole condition, if they match each other."""
    if not (condition.startswith("(") and condition.endswith(")")):
        return condition
    depth = 0
    for i, ch in enumerate(condition):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and i < len(condition) - 1:
            return condition
    return condition[1:-1]


def _level(source: dict[str, Any]) -> str:
    severities = [str(source.get("severity", ""))] + [str(c.get("severity", "")) for c in source.get("cases") or [] if isinstance(c, dict)]
    known = [s for s in severities if s in _SEVERITY_ORDER]
    return _LEVEL[max(known, key=_SEVERITY_ORDER.index)] if known else "medium"


def _tags(source: dict[str, Any]) -> list[str]:
    tags = []
    for t in source.get("attack") or []:
        tags.append("attack." + str(t).lower())
    for c in source.get("cves") or []:
        tags.append("cve." + str(c).lower().removeprefix("cve-"))
    tags.append("detection.emerging-threats")
    return tags


def sigma_rule_dict(
    rule: Any, family: str, lists: Mapping[str, list[str]], logsource: dict[str, str], lucene: bool = False
) -> dict[str, Any]:
    """One Sigma rule (as a dict) for ``rule`` (a core-logs ``LogRule``) on one log family.
    ``lucene=True`` rewrites regular expressions for the Elasticsearch conversion."""
    src: dict[str, Any] = rule.source
    builder = _Builder(lists, lucene)
    condition = _strip_outer(builder.condition(src["match"]))
    refs = []
    for r in src.get("references") or []:
        url = r.get("url") if isinstance(r, dict) else str(r)
        if url:
            refs.append(str(url))
    description = " ".join(str(src.get("description") or rule.title).split())
    cases = [c for c in src.get("cases") or [] if isinstance(c, dict)]
    if cases:
        description += " Classification by extriage: " + "; ".join(
            f"{c.get('id')}: {c.get('outcome') if isinstance(c.get('outcome'), str) else 'by field'}" for c in cases
        ) + "."
    out: dict[str, Any] = {
        "title": rule.title,
        "id": str(uuid.uuid5(_NS, f"{rule.id}|{family}")),
        "status": str(src.get("status", "experimental")) if src.get("status") in ("stable", "test", "experimental") else "experimental",
        "description": description,
        "references": refs,
        "author": str(src.get("author", "extriage")),
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "tags": _tags(src),
        "logsource": dict(logsource),
        "detection": {**builder.selections, "condition": condition},
        "falsepositives": ["Vulnerability scanners and authorised penetration tests"],
        "level": _level(src),
    }
    if src.get("license"):
        out["license"] = str(src["license"])
    if not refs:
        del out["references"]
    out["custom_extriage_rule_id"] = rule.id
    return out


def export_sigma() -> SigmaExport:
    """Convert every packaged log rule; rules pySigma rejects are listed with the reason."""
    from sigma.backends.elasticsearch.elasticsearch_lucene import LuceneBackend
    from sigma.backends.splunk.splunk import SplunkBackend
    from sigma.collection import SigmaCollection

    try:
        from extriage.detections.logrules import FAMILY_LOGSOURCE, load_rules

        ruleset = load_rules()
    except ImportError as exc:
        raise SigmaExportError(f"the log rule engine is not available ({exc})") from None
    except ValueError as exc:
        raise SigmaExportError(str(exc)) from None
    splunk = SplunkBackend()
    lucene = LuceneBackend()
    exported: list[ExportedRule] = []
    skipped: list[tuple[str, str]] = []
    for rule in ruleset.rules:
        families = sorted({f.partition("/")[0] for f in rule.families})
        for family in families:
            logsource = FAMILY_LOGSOURCE.get(family, {"product": "exchange", "service": family})
            try:
                data = sigma_rule_dict(rule, family, ruleset.lists, logsource)
            except (KeyError, ValueError, TypeError) as exc:
                skipped.append((rule.id, f"cannot be expressed in Sigma ({exc})"))
                continue
            text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=200)
            collection = SigmaCollection.from_yaml(text, collect_errors=True)
            errors = [str(e) for e in collection.errors] + [str(e) for r in collection.rules for e in r.errors]
            if errors:
                skipped.append((rule.id, "pySigma rejected the rule: " + "; ".join(errors)))
                continue
            suffix = "" if len(families) == 1 else f"-{family}"
            item = ExportedRule(rule.id, family, f"{_slug(rule.id)}{suffix}.yml", text, rule.title)
            try:
                item.splunk = "\n".join(str(q) for q in splunk.convert(collection))
            except Exception as exc:  # a backend limitation must not lose the other outputs
                item.problems.append(f"Splunk: {type(exc).__name__}: {exc}")
            try:
                lucene_text = yaml.safe_dump(
                    sigma_rule_dict(rule, family, ruleset.lists, logsource, lucene=True), sort_keys=False, allow_unicode=True
                )
                item.elastic = "\n".join(str(q) for q in lucene.convert(SigmaCollection.from_yaml(lucene_text)))
                if "|re" in text and "(?i)" in text:
                    item.elastic_note = "regular expressions are case-sensitive in Lucene"
            except Exception as exc:
                item.problems.append(f"Elasticsearch: {type(exc).__name__}: {exc}")
            exported.append(item)
    return SigmaExport(exported, skipped)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "rule"


def write_sigma(dest: Path) -> SigmaExport:
    """Write ``dest/*.yml`` (Sigma), ``splunk.spl``, ``elasticsearch-lucene.txt`` and a README."""
    export = export_sigma()
    outputs.output_folder(dest)
    spl: list[str] = []
    lucene: list[str] = []
    for r in export.rules:
        outputs.write_text(dest / r.filename, r.yaml_text)
        header = f"# {r.rule_id} ({r.family}): {r.title}"
        if r.splunk:
            spl += [header, r.splunk, ""]
        if r.elastic:
            lucene += [header + (f" [note: {r.elastic_note}]" if r.elastic_note else ""), r.elastic, ""]
    outputs.write_text(dest / "splunk.spl", "\n".join(spl) + "\n")
    outputs.write_text(dest / "elasticsearch-lucene.txt", "\n".join(lucene) + "\n")
    lines = [
        "# Hunting rules exported by extriage",
        "",
        f"{len(export.rules)} Sigma rules (one per log rule and log family), validated with pySigma, and their",
        "Splunk (SPL) and Elasticsearch (Lucene) conversions made with the pySigma backends.",
        "",
        "Field names are those of the Exchange and IIS logs themselves (HttpProxy: AnchorMailbox,",
        "BackEndCookie, HttpStatus, UserAgent…; IIS W3C: cs-uri-stem, cs-method, sc-status, c-ip,",
        "cs-user-agent). If your SIEM stores them under other names, convert the .yml files again with a",
        "pySigma processing pipeline that maps the fields (`sigma convert -t splunk -p <pipeline>`).",
        "Logsources: " + ", ".join(sorted({f"{r.family}" for r in export.rules})) + ".",
        "",
    ]
    problems = [(r.filename, p) for r in export.rules for p in r.problems]
    if problems or export.skipped:
        lines.append("## Not converted")
        lines += [f"- {rid}: {why}" for rid, why in export.skipped]
        lines += [f"- {name}: {p}" for name, p in problems]
        lines.append("")
    outputs.write_text(dest / "README.md", "\n".join(lines))
    return export
