"""Merging what event files hold into one picture: channel summaries and the IP index of several
files (or parts of one), and the same events read from two files (an ``.evtx`` and an export of it)
counted once and their findings folded."""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from extriage.detections.events.collect import (
    MAX_EVIDENCE,
    Identities,
    evidence_identity,
    host_key,
    packed_identities,
    sample_identity,
)
from extriage.findings import (
    Finding,
)
from extriage.scan.context import ScanContext

#: Computer names listed per channel and for the whole collection (``extras.events.computers``).
MAX_COMPUTERS = 100


@dataclass(slots=True)
class ReadFile:
    """An event file that was read, with the identities of its events (for :func:`count_once`)."""

    kind: str  # "evtx" | "export"
    path: str
    idents: Identities
    ip_idents: dict[str, Identities]


def count_once(
    ctx: ScanContext, files: list[ReadFile], channels: dict[str, Any], ips: dict[str, dict[str, Any]]
) -> None:
    """Count an event read from two files (an .evtx and an export of the same log, or two copies)
    once in the channels' record counts (``extras.events.channels``) and in the IP index. Events are
    the same when their channel, computer, record id and time to the second are (as for the folding
    of findings, :func:`fold_duplicates`); events without a record id cannot be matched and count
    per file. The first file keeps them, in this order: .evtx files before exports, then by path.
    The coverage families still say how many records each family's files held (what was read), with
    a note naming the records also read elsewhere."""
    order = sorted(files, key=lambda r: (r.kind != "evtx", r.path))
    per_file: dict[tuple[int, str], tuple[int, set[str]]] = {}  # (file, channel) -> (n, earlier files)
    for i, channel, n, earlier in _duplicates([(r.path, r.idents) for r in order]):
        total, paths = per_file.get((i, channel), (0, set()))
        per_file[(i, channel)] = (total + n, paths | set(earlier))
    for (i, channel), (n, paths) in per_file.items():
        rf = order[i]
        ch = channels.get(channel)
        if ch is not None:
            ch["records"] -= n
            ch["duplicates"] = ch.get("duplicates", 0) + n
        family = ctx.result.coverage.families.get(f"{'evtx' if rf.kind == 'evtx' else 'events-export'}:{channel}")
        if family is not None:
            family.notes.append(
                f"{n:,} record(s) of {rf.path} were also read from {', '.join(sorted(paths))} (same channel, "
                "record id, computer and time to the second): the channel's record count counts them once"
            )
    by_ip: dict[str, list[tuple[str, Identities]]] = {}
    for rf in order:
        for ip, idents in rf.ip_idents.items():
            by_ip.setdefault(ip, []).append((rf.path, idents))
    for ip, entries in by_ip.items():
        if len(entries) > 1 and ip in ips:
            ips[ip]["count"] -= sum(n for _, _, n, _ in _duplicates(entries))


def _duplicates(entries: list[tuple[str, Identities]]) -> Iterator[tuple[int, str, int, list[str]]]:
    """For ``(path, identities)`` entries in order: ``(entry index, channel, n, earlier paths)`` for
    each channel of an entry of which ``n`` events were already in earlier entries (of other files)."""
    groups: dict[tuple[str, str], list[tuple[int, str, tuple[array[int], array[float]]]]] = {}
    for i, (_, idents) in enumerate(entries):
        for channel, by_computer in idents.items():
            for computer, ids in by_computer.items():
                if ids[0]:
                    key = (channel.strip().lower(), host_key(computer))
                    groups.setdefault(key, []).append((i, channel, ids))
    for members in groups.values():
        if len({i for i, _, _ in members}) > 1:  # (rare: nearly always one file per channel and computer)
            for i, channel, n, earlier in _shared_events(members):
                yield i, channel, n, sorted(entries[j][0] for j in earlier)


def _shared_events(
    members: list[tuple[int, str, tuple[array[int], array[float]]]],
) -> Iterator[tuple[int, str, int, set[int]]]:
    """For the files (entry index, channel, ids) of one channel and computer, in order:
    ``(entry index, channel, n, entry indexes of earlier files holding them)`` per member of which
    ``n`` events were in earlier members of other files."""
    # record id and time ranges first: identities are built only where two files' ranges meet
    ranges = [(min(ids[0]), max(ids[0]), int(min(ids[1])), int(max(ids[1]))) for _, _, ids in members]
    packed: dict[int, set[int]] = {}

    def identities(k: int) -> set[int]:
        if k not in packed:
            packed[k] = set(packed_identities(members[k][2]))
        return packed[k]

    for k, (i, channel, ids) in enumerate(members):
        r0, r1, t0, t1 = ranges[k]
        hits = [
            h
            for h in range(k)
            if members[h][0] != i
            and ranges[h][0] <= r1
            and r0 <= ranges[h][1]
            and ranges[h][2] <= t1
            and t0 <= ranges[h][3]
        ]
        if not hits:
            continue
        union = identities(hits[0]) if len(hits) == 1 else set().union(*(identities(h) for h in hits))
        mine = packed_identities(ids)
        n = sum(map(union.__contains__, mine))
        if n:
            yield i, channel, n, {members[h][0] for h in hits if not identities(h).isdisjoint(mine)}


def fold_duplicates(
    ctx: ScanContext, folded: list[tuple[tuple[str, ...], Finding, set[int] | None, str]]
) -> set[int]:
    """Fold findings of the same rule, computer and grouping read from *different* files when they
    share events (same channel, record id, computer and time to the second): the same event log
    given both as an .evtx and as a SIEM export must not be counted twice. Returns the ``id()`` of
    the findings removed from ``ctx.result.findings``."""
    groups: dict[tuple[str, ...], list[tuple[Finding, set[int] | None, str]]] = {}
    for key, finding, ids, path in folded:
        groups.setdefault(key, []).append((finding, ids, path))
    dropped: set[int] = set()
    dup_sources: set[str] = set()
    for members in groups.values():
        if len(members) < 2:
            continue
        base, base_ids, base_path = members[0]
        if base_ids is None:
            continue
        union = set(base_ids)
        no_id = base.count - len(base_ids)
        seen_ev = {evidence_identity(ev) for ev in base.evidence}
        for other, ids, path in members[1:]:
            if ids is None or path == base_path or not (ids & union):
                continue  # no shared event: a different log, keep it apart
            union |= ids
            no_id += other.count - len(ids)
            base.touch(other.first_seen)
            base.touch(other.last_seen)
            base.indicators.merge(other.indicators)
            for ev in other.evidence:
                ident = evidence_identity(ev)
                if (ident is None or ident not in seen_ev) and len(base.evidence) < MAX_EVIDENCE:
                    base.evidence.append(ev)
                    seen_ev.add(ident)
            if "duplicate-source" not in base.tags:
                base.tags.append("duplicate-source")
            base.description = (
                base.description.rstrip()
                + f" The same events were also read from {path}; they are counted once."
            )
            dropped.add(id(other))
            dup_sources.update((base_path, path))
        base.count = len(union) + max(no_id, 0)
    if dropped:
        ctx.result.findings = [f for f in ctx.result.findings if id(f) not in dropped]
        # The timeline rows of the same event from the second file go too.
        seen_rows: dict[tuple[Any, str], str] = {}
        kept = []
        for row in ctx.result.timeline:
            if row.kind == "event" and row.source in dup_sources:
                first = seen_rows.setdefault((row.timestamp, row.summary), row.source)
                if first != row.source:
                    continue
            kept.append(row)
        ctx.result.timeline = kept
    return dropped


def extend_identities(into: Identities, new: Identities) -> None:
    for channel, by_computer in new.items():
        mine = into.setdefault(channel, {})
        for computer, ids in by_computer.items():
            if computer in mine:
                mine[computer][0].extend(ids[0])
                mine[computer][1].extend(ids[1])
            else:
                mine[computer] = ids


def merge_ips(into: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> None:
    for ip, s in new.items():
        cur = into.get(ip)
        if cur is None:
            into[ip] = {
                **s,
                "event_ids": list(s["event_ids"]),
                "samples": list(s["samples"]),
                "computers": list(s.get("computers", [])),
            }
            continue
        cur["count"] += s["count"]
        cur["computers"] = sorted(set(cur.get("computers", [])) | set(s.get("computers", [])))[:20]
        for k, pick in (("first", min), ("last", max)):
            vals = [v for v in (cur[k], s[k]) if v is not None]
            cur[k] = pick(vals) if vals else None
        cur["event_ids"] = sorted(set(cur["event_ids"]) | set(s["event_ids"]))
        # the same event read from another file (an .evtx and an export of it) is one sample
        known = {sample_identity(x) for x in cur["samples"]}
        fresh = [x for x in s["samples"] if (ident := sample_identity(x)) is None or ident not in known]
        cur["samples"] = (cur["samples"] + fresh)[:5]


def merge_channel(into: dict[str, Any], ch: dict[str, Any], kind: str, path: str) -> None:
    cur = into.get(ch["channel"])
    if cur is None:
        cur = into[ch["channel"]] = {
            "channel": ch["channel"],
            "sources": [],
            "records": 0,
            "first": None,
            "last": None,
            "cleared": [],
            "notes": [],
            "computers": [],
        }
    cur["sources"].append({"path": path, "kind": kind})
    for name in ch.get("computers", []):
        if name not in cur["computers"] and len(cur["computers"]) < MAX_COMPUTERS:
            cur["computers"].append(name)
    cur["records"] += ch["records"]
    for k, pick in (("first", min), ("last", max)):
        vals = [v for v in (cur[k], ch[k]) if v]
        cur[k] = pick(vals) if vals else None
    cur["cleared"].extend(ch["cleared"])
