"""One parsed log line as named fields, per family — the only view rules see.

Each family's parser is declared by its format module (:mod:`extriage.formats.families`):
HttpProxy rows also carry the Sigma webserver names, ECP EventData bags are opened into their keys.
"""

from __future__ import annotations

from datetime import datetime

from extriage.formats.ecp import DEFAULT_FIELDS as ECP_DEFAULT
from extriage.formats.families import FAMILIES
from extriage.formats.httpproxy import DEFAULT_FIELDS as HTTPPROXY_DEFAULT
from extriage.formats.httpproxy import WEBSERVER_ALIASES as HTTPPROXY_WEBSERVER_ALIASES

__all__ = ["ECP_DEFAULT", "HTTPPROXY_DEFAULT", "HTTPPROXY_WEBSERVER_ALIASES", "parse_record"]


def parse_record(family: str, text: str, names: list[str]) -> tuple[dict[str, str], datetime | None]:
    """``(fields, timestamp)`` of one data line of ``family`` given the field names in force."""
    return FAMILIES[family].parse(text, names)
