"""Which server the evidence belongs to: its host name, read from the logs themselves.

Reports and fleet views name each server; the machine running the scan is irrelevant, and the
evidence path is often a case number. Exchange writes its own host name into every HttpProxy row
(``ServerHostName``) and every ECP Server row (``ServerName``), so the first data rows of a few of
those logs settle it. Disagreeing names (a collection mixing servers) are reported, not hidden.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from extriage.evidence.locate import LocatedFile
from extriage.evidence.reading import iter_lines, read_artifact
from extriage.formats.exchange_csv import looks_like_bare_header, parse_fields_directive, row_to_fields
from extriage.formats.families import FAMILIES as LOG_FAMILIES
from extriage.formats.sniff import family_from_path
from extriage.scan.context import ScanContext
from extriage.scan.facts import Correlations, EventPivots

#: family -> the field that holds the server's own name (logs-and-detections.md §1a, §1c)
HOST_FIELDS = {f.id: f.host_field for f in LOG_FAMILIES.values() if f.host_field}
#: How many logs of each family are asked; rows are identical in this respect across files.
FILES_PER_FAMILY = 3
#: How many lines of one file are looked at before giving up on it.
MAX_LINES = 64


def _host_from_log(ctx: ScanContext, f: LocatedFile, field: str) -> str:
    names: list[str] | None = None
    host = ""
    display = f.display()
    with read_artifact(f.ref) as reader:
        for lineno, raw, _cut in iter_lines(reader):
            if lineno > MAX_LINES:
                break
            line = raw.decode("utf-8", "replace")
            header = parse_fields_directive(line) or looks_like_bare_header(line)
            if header:
                names = header
                continue
            if line.startswith("#") or not line.strip() or names is None:
                continue
            host = row_to_fields(line, names).get(field, "").strip()
            if host:
                break
        if ctx.sha256_for(display) is None:  # not read by another stage yet: hash the whole file
            reader.drain()
            ctx.record_file(display, reader.hexdigest(), f.ref.size, f.ref.mtime)
    return host


class IdentityStage:
    name = "identity"
    #: EventPivots: the events stage names the server first when one computer wrote the events
    requires = (EventPivots,)
    provides = (Correlations,)

    def run(self, ctx: ScanContext) -> None:
        by_family: dict[str, list[LocatedFile]] = {}
        for f in ctx.inventory.files:
            match = family_from_path(f.key)
            if match and match.family in HOST_FIELDS:
                by_family.setdefault(match.family, []).append(f)
        votes: Counter[str] = Counter()
        sources: list[dict[str, Any]] = []
        for family, files in by_family.items():
            newest = sorted(files, key=lambda x: x.key, reverse=True)[:FILES_PER_FAMILY]
            for f in newest:
                try:
                    host = _host_from_log(ctx, f, HOST_FIELDS[family])
                except OSError as exc:
                    ctx.skip(f.display(), f"cannot be read: {exc.strerror or exc}")
                    continue
                if host:
                    votes[host.upper()] += 1
                    sources.append({"source": f.display(), "field": HOST_FIELDS[family], "value": host})
        if not votes:
            return
        names = [name for name, _ in votes.most_common()]
        if not ctx.result.hostname:
            ctx.result.hostname = names[0]
        ctx.result.extras["identity"] = {"hostname": names[0], "all_names": names, "sources": sources}
        if len(names) > 1:
            ctx.result.coverage.warn(
                "The logs name more than one server (" + ", ".join(names) + "): the evidence may mix "
                "servers; findings are reported together."
            )


STAGES = [IdentityStage()]
