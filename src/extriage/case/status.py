"""The fleet status document (``case status --json``, the fleet report's ``fleet-status.json``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from extriage.findings import iso

if TYPE_CHECKING:
    from extriage.case.reader import FleetReader
    from extriage.case.store import CaseStore

STATUS_FORMAT = "extriage-case-status/1"


def status_document(store: CaseStore | FleetReader, *, timeline_limit: int | None = 1000,
                    indicator_limit: int | None = 1000) -> dict[str, Any]:
    """Servers (most urgent first), indicators seen on more than one server, the fleet timeline: from
    the store, or from a reader (``case status`` opens the case with :func:`extriage.case.reader.open_reader`,
    without SQLAlchemy)."""
    from extriage.case.priority import priorities

    servers = store.servers()
    return {
        "format": STATUS_FORMAT,
        "case": store.shown,
        "schema_revision": store.revision(),
        "generated_utc": iso(datetime.now(UTC)),
        "priorities": list(priorities()),
        "counts": store.counts(),
        "servers": [s.to_dict() for s in servers],
        "shared_indicators": [i.to_dict() for i in store.shared_indicators(limit=indicator_limit)],
        "timeline": [e.to_dict() for e in store.timeline(limit=timeline_limit)],
    }
