"""Exchange ECP server logs (``Logging\\ECP\\Server\\*.LOG``): what the Exchange Control Panel did,
with the cmdlets it ran in an ``S:KEY=value`` bag (logs-and-detections.md §1c).

The EventData bag is opened into its keys (``CMD``, ``URL``, ``SID``, ``REQID``...) so rules name
them as fields.
"""

from __future__ import annotations

import re
from datetime import datetime

from extriage.formats import exchange_csv
from extriage.formats.logfamily import LogFamily

#: The ECP server log's columns (logs-and-detections.md §1c), for rows without a header.
DEFAULT_FIELDS = ["TimeStamp", "ServerName", "EventId", "EventData"]
#: EventData keys seen in real ECP logs (logs-and-detections.md §1c); other keys are upper-case too.
BAG_KEYS = ("CMD", "URL", "SID", "REQID", "REFERRER", "TIME", "EX", "KEY")


def parse(text: str, names: list[str]) -> tuple[dict[str, str], datetime | None]:
    """One ECP row: by its header's names, else by :data:`DEFAULT_FIELDS` when it opens with a
    timestamp (else only ``_raw``); each ``S:KEY=value`` of EventData added as ``KEY``."""
    if not names and exchange_csv.parse_timestamp(text.split(",", 1)[0]) is not None:
        names = DEFAULT_FIELDS
    fields = exchange_csv.row_to_fields(text, names) if names else {"_raw": text}
    ts = exchange_csv.row_timestamp(fields, text)
    if fields.get("EventData"):
        for k, v in exchange_csv.parse_bag(fields["EventData"]).items():
            fields.setdefault(k, v)
    return fields, ts


FAMILY = LogFamily(
    id="ecp",
    name="ECP server",
    paths=(re.compile(r"/logging/ecp/server/[^/]+$"),),
    headers=(re.compile(r"^#Log-type:\s*ECP Server Log", re.M | re.I),),
    parse=parse,
    header_names=exchange_csv.header_names,
    fields=frozenset([*DEFAULT_FIELDS, *BAG_KEYS, *exchange_csv.SPECIAL_FIELDS]),
    # any other key of the EventData bag (exchange_csv's bag grammar; keys are written upper-case)
    field_patterns=(re.compile(r"[A-Z][A-Z0-9_.\[\]-]*"),),
    logsource={"product": "exchange", "service": "ecp-server"},
    collect=r"<Exchange install>\Logging\ECP\Server\*.LOG",
    headerless="a timestamp first",
    expected_label="ECP server logs",
    host_field="ServerName",
)
