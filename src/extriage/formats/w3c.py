"""IIS W3C extended logs: ``#Fields``-driven, space-separated, ``+`` for spaces, ``-`` for empty.

``#Fields`` may change in the middle of a file (IIS rewrites the header when logging fields are
changed), so the caller passes the field list in force for each line (logs-and-detections.md §1b).
Field names are IIS's own (``cs-uri-stem``, ``cs(User-Agent)``...); Sigma's webserver taxonomy
names are added as aliases (``cs-user-agent``, ``cs-referer``, ``c-uri``) so rules written either
way match.
"""

from __future__ import annotations

import re
from datetime import datetime

from extriage.findings import utc
from extriage.formats.logfamily import LogFamily

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


#: IIS default field list, used when a W3C file's header is missing (logs-and-detections.md §1b).
DEFAULT_FIELDS = (
    "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
    "cs(Referer) sc-status sc-substatus sc-win32-status time-taken"
).split()
#: Every standard W3C extended field IIS can log (IIS "W3C Logging Fields" documentation).
STANDARD_FIELDS = (
    "date time s-sitename s-computername s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
    "cs-version cs(User-Agent) cs(Cookie) cs(Referer) cs-host sc-status sc-substatus sc-win32-status sc-bytes "
    "cs-bytes time-taken"
).split()


def parse(text: str, names: list[str]) -> tuple[dict[str, str], datetime | None]:
    """One W3C row by the ``#Fields`` in force (IIS's default order without one) and its time."""
    fields = row_to_fields(text, names or DEFAULT_FIELDS)
    return fields, parse_timestamp(fields)


FAMILY = LogFamily(
    id="iis",
    name="IIS W3C",
    paths=(re.compile(r"/(w3svc\d+)/u_ex\d+[^/]*\.log$"),),
    headers=(
        re.compile(r"^#Software:\s*Microsoft Internet Information Services", re.M | re.I),
        re.compile(r"^#Fields:\s*date time s-", re.M | re.I),
    ),
    parse=parse,
    header_names=parse_fields_directive,
    fields=frozenset([*STANDARD_FIELDS, *SIGMA_ALIASES, "c-uri"]),
    # custom logging fields (request/response headers, server variables): cs(X-Forwarded-For), ...
    field_patterns=(re.compile(r"(?:cs|sc|s)\([^()]+\)"),),
    logsource={"category": "webserver", "product": "windows", "service": "iis"},
    collect=r"C:\inetpub\logs\LogFiles\W3SVC*\u_ex*.log (or the folders applicationHost.config names)",
    syntax="w3c",
    expected_label="IIS logs",
    web_requests=True,
)
