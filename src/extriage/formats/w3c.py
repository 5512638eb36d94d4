"""IIS W3C extended logs: ``#Fields``-driven, space-separated, ``+`` for spaces, ``-`` for empty.

``#Fields`` may change in the middle of a file (IIS rewrites the header when logging fields are
changed), so the caller passes the field list in force for each line (logs-and-detections.md §1b).
Field names are IIS's own (``cs-uri-stem``, ``cs(User-Agent)``...); Sigma's webserver taxonomy
names are added as aliases (``cs-user-agent``, ``cs-referer``, ``c-uri``) so rules written either
way match.
"""

from __future__ import annotations

from datetime import datetime

from extriage.findings import utc

#: Fields whose ``+`` stands for a space in the original value.
_PLUS_FIELDS = ("cs(User-Agent)", "cs(Referer)", "cs(Cookie)")
#: Sigma webserver taxonomy alias -> IIS field (Sigma tests/logsource.json, logs-and-detections.md §1b).
SIGMA_ALIASES = {"cs-user-agent": "cs(User-Agent)", "cs-referer": "cs(Referer)", "cs-cookie": "cs(Cookie)"}


def parse_fields_directive(line: str) -> list[str] | None:
    text = line.lstrip("\ufeff")
    if not text.lower().startswith("#fields:"):
        return None
    return text.split(":", 1)[1].split()


def row_to_fields(line: str, names: list[str]) -> dict[str, str]:
    """Map a W3C row to ``{field: value}`` with ``-`` → ``""`` and the Sigma aliases added."""
    values = line.split()
    fields: dict[str, str] = {}
    for i, name in enumerate(names):
        v = values[i] if i < len(values) else ""
        fields[name] = "" if v == "-" else v
    for name in _PLUS_FIELDS:
        if fields.get(name):
            fields[name] = fields[name].replace("+", " ")
    for alias, name in SIGMA_ALIASES.items():
        if name in fields:
            fields[alias] = fields[name]
    stem = fields.get("cs-uri-stem", "")
    query = fields.get("cs-uri-query", "")
    fields["c-uri"] = f"{stem}?{query}" if query else stem  # Sigma's rules match path fragments here
    return fields


def parse_timestamp(fields: dict[str, str]) -> datetime | None:
    """``date`` + ``time`` (UTC in W3C logs)."""
    d, t = fields.get("date", ""), fields.get("time", "")
    if not d or not t:
        return None
    try:
        return utc(datetime.fromisoformat(f"{d}T{t}"))
    except ValueError:
        return None
