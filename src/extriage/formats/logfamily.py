"""What a log format module declares about its family: the one place a log family is described.

Every table that used to list the families by hand (sniffing by path and header, the record parser,
the rule families and their Sigma logsource, the coverage names, the sources a full triage expects)
is derived from these declarations by :mod:`extriage.formats.families`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

#: ``(fields, timestamp)`` of one data line given the ``#Fields`` names in force (``[]`` = none).
RecordParser = Callable[[str, list[str]], tuple[dict[str, str], "datetime | None"]]
#: The field names a header line declares, or None when the line is no header of this family.
HeaderParser = Callable[[str], "list[str] | None"]


@dataclass(frozen=True, slots=True)
class LogFamily:
    """One log family, as its format module declares it."""

    #: stable id used by rules (``family:``), coverage and the waves data ("httpproxy", "iis"...)
    id: str
    #: human name in coverage warnings ("HttpProxy", "IIS W3C")
    name: str
    #: regexes over the lower-case "/"-separated path key; group 1 = protocol/site when present
    paths: tuple[re.Pattern[str], ...]
    #: regexes over the first bytes (latin-1) that announce the family
    headers: tuple[re.Pattern[str], ...]
    #: parse one data line into named fields and its timestamp
    parse: RecordParser
    #: the field names a header line declares (``#Fields:`` and, for Exchange CSV, bare header lines)
    header_names: HeaderParser
    #: every field name a record of this family can carry (what rules may name)
    fields: frozenset[str]
    #: Sigma ``logsource`` of rules for this family (exporters)
    logsource: dict[str, str]
    #: what to collect (where the files are) when the family is missing from the evidence
    collect: str
    #: open sets of field names (ECP EventData keys, custom W3C headers), as full-match regexes
    field_patterns: tuple[re.Pattern[str], ...] = ()
    #: line syntax: "exchange_csv" (lines open with an ISO timestamp), "w3c" (date time ...), "text"
    syntax: str = "exchange_csv"
    #: the header only names a word found in the lines: it never overrules a folder, and is not
    #: trusted in damaged (NUL-holding) heads
    weak_header: bool = False
    #: rows of a file without a ``#Fields`` header: None when every row is mapped by a default column
    #: order (no warning), else the shape of the rows that are ("" when none are)
    headerless: str | None = None
    #: label of the evidence in the response plan's "not covered" list; "" = not expected of every triage
    expected_label: str = ""
    #: lines are web requests (timelines of requests, per-hour activity, pivots on addresses)
    web_requests: bool = False
    #: the field naming the server that wrote the line (host identity), "" when none
    host_field: str = ""

    def has_field(self, name: str) -> bool:
        """Whether a record of this family can carry ``name``."""
        return name in self.fields or any(rx.fullmatch(name) for rx in self.field_patterns)
