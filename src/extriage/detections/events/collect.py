"""Turn a stream of normalised events from one file into findings, timeline rows and coverage.

One :class:`EventCollector` per file (it runs inside a worker process): it folds repeated matches of
a rule into one finding (per computer and the rule's ``group_by`` fields), keeps a few evidence
records per finding, tracks each channel's time span and clearing events, and indexes the remote
IP addresses seen so a later stage can match the attacker's IPs from the web logs.
"""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any

from extriage.detections.events.engine import EventRule, RuleSet, Sequence
from extriage.detections.events.screen import Screen
from extriage.detections.rulefinding import finding_from_rule
from extriage.findings import EvidenceLine, FamilyCoverage, Finding, Indicators, Outcome, TimelineEvent, iso
from extriage.formats.event_record import OUT_OF_RANGE, EventRecord, as_text, cap, is_exchange_management
from extriage.formats.evtx_file import SYSTEM_TIME, EvtxBatch
from extriage.formats.evtx_raw import UNIX_US, RawChunk, as_datetime, read_chunk
from extriage.formats.evtx_system import SystemColumns

MAX_EVIDENCE = 5  # evidence records kept per finding (the count says how many matched)
MAX_TIMELINE_PER_FINDING = 50
MAX_IPS = 100_000
IP_FIELDS = ("IpAddress", "SourceAddress", "SourceIp", "ClientAddress", "ClientIP", "DestinationIp")
_NOT_REMOTE = frozenset({"", "-", "::1", "127.0.0.1", "localhost", "local", "::ffff:127.0.0.1", "0.0.0.0"})  # noqa: S104
#: Event ids whose IP field means the address reached the server (logon, share, connection).
IP_SUCCESS_IDS = frozenset({3, 4624, 4648, 5140, 5145})
TAG_WINDOW = "incident-window"
_M32 = 0xFFFFFFFF
_M64 = 0xFFFFFFFFFFFFFFFF

#: The events of one file that have a record id, by channel and computer: their record ids and
#: times (epoch seconds, 0.0 when unknown), in reading order — 16 bytes an event, taken cheaply per
#: event; the stage packs them (:func:`packed_identities`) only where two files may share events.
Identities = dict[str, dict[str, tuple["array[int]", "array[float]"]]]


def _new_ids() -> tuple[array[int], array[float]]:
    return array("Q"), array("d")


@dataclass(slots=True)
class ChannelSpan:
    channel: str
    records: int = 0
    first: datetime | None = None
    last: datetime | None = None
    cleared: list[dict[str, Any]] = field(default_factory=list)
    #: The first 20 computers seen, in the order seen (a dict as an ordered set, so the parts of a
    #: file read by several workers merge to what one worker would have kept).
    computers: dict[str, None] = field(default_factory=dict)
    #: Record ids and times of the records with a record id, per computer (see :data:`Identities`).
    idents: dict[str, tuple[array[int], array[float]]] = field(default_factory=dict)

    def add(self, rec: EventRecord) -> None:
        self.records += 1
        ts = rec.time
        if ts is not None:
            if self.first is None or ts < self.first:
                self.first = ts
            if self.last is None or ts > self.last:
                self.last = ts
        if rec.computer and len(self.computers) < 20:
            self.computers[rec.computer] = None


@dataclass(slots=True)
class IpSighting:
    count: int = 0
    first: datetime | None = None
    last: datetime | None = None
    event_ids: set[int] = field(default_factory=set)
    samples: list[dict[str, Any]] = field(default_factory=list)
    computers: dict[str, None] = field(default_factory=dict)  # the computers whose events hold it (first 20, in order)
    idents: Identities = field(default_factory=dict)  # the events it was seen in
    #: The record ids of the channel and computer of the last sighting, and this IP's own for them.
    last_src: tuple[array[int], array[float]] | None = None
    last_dst: tuple[array[int], array[float]] | None = None


def _widen(into: ChannelSpan | IpSighting, other: ChannelSpan | IpSighting) -> None:
    """Widen ``into``'s first/last times to cover ``other``'s (merging the parts of a split read)."""
    for ts in (other.first, other.last):
        if ts is not None:
            if into.first is None or ts < into.first:
                into.first = ts
            if into.last is None or ts > into.last:
                into.last = ts


class EventCollector:
    def __init__(
        self, rules: RuleSet, source: str, family_prefix: str, keep_ids: bool = False, part: bool = False
    ) -> None:
        self.rules = rules
        #: Keep the record id and time of every event (16 bytes each, see :meth:`identities`): the
        #: stage asks for them when another file may hold the same events.
        self.keep_ids = keep_ids
        self.source = source
        self.family_prefix = family_prefix
        self.channels: dict[str, ChannelSpan] = {}
        self.findings: dict[tuple[str, ...], Finding] = {}
        self.events: list[TimelineEvent] = []
        self._timeline_count: dict[tuple[str, ...], int] = {}
        self.webshell_paths: set[str] = set()
        self.ips: dict[str, IpSighting] = {}
        self.no_time = 0
        #: Events whose time was out of range (year 9999...): kept, matched, marked as without a time.
        self.bad_time = 0
        self.bad_time_example = ""
        self.time_fields: dict[str, int] = {}
        #: Identities (see :func:`event_identity`) of the events folded into each finding, so the
        #: stage can fold the same event read from two files (an .evtx and an export of it) once.
        #: None once a finding holds more than MAX_IDS of them (then it is not deduplicated).
        self.ids: dict[tuple[str, ...], set[int] | None] = {}
        self._channel_codes: dict[str, int] = {}
        self._host_keys: dict[str, str] = {}  # host_key of each computer name seen in a hit (first 10,000)
        #: The finding key of each timeline row (rows of a later part are capped per key on merging).
        self.event_keys: list[tuple[str, ...]] = []
        #: A part of a file read by several workers (see :meth:`absorb`): per finding, the
        #: indicators each of its first 200 hits added, with the hit's number.
        self.indicator_log: dict[tuple[str, ...], list[tuple[int, Indicators]]] | None = {} if part else None
        self._screen: Screen | None = None  # made on the first .evtx batch (see feed_batch)
        #: Chunks read from their bytes in a row that still needed the parser, and how many chunks
        #: to hand to the parser without trying (see :meth:`raw_chunk`).
        self._raw_misses = 0
        self._raw_pause = 0

    def __getstate__(self) -> dict[str, Any]:
        """Sent back from a worker without the rules (compiled closures cannot be pickled)."""
        state = dict(self.__dict__)
        state.pop("rules", None)
        state.pop("_screen", None)
        state.pop("_host_keys", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.rules = _NO_RULES
        self._screen = None
        self._host_keys = {}

    # -- per event ------------------------------------------------------------------------------
    def feed(self, rec: EventRecord) -> None:
        channel = rec.channel or "(unknown channel)"
        span = self.channels.get(channel)
        if span is None:
            span = self.channels[channel] = ChannelSpan(channel)
        # ChannelSpan.add, inlined: this runs once per event
        span.records += 1
        ts = rec.time
        if ts is None:
            self.no_time += 1
            if rec.time_field.startswith(OUT_OF_RANGE):
                self.bad_time += 1
                if not self.bad_time_example:
                    self.bad_time_example = f"{rec.time_field.removeprefix(OUT_OF_RANGE)} ({self.source}, line/record {rec.position})"
        else:
            first = span.first
            if first is None or ts < first:
                span.first = ts
            last = span.last
            if last is None or ts > last:
                span.last = ts
            tf = self.time_fields
            tf[rec.time_field] = tf.get(rec.time_field, 0) + 1
        if rec.computer and len(span.computers) < 20:
            span.computers[rec.computer] = None
        rid = rec.record_id
        if rid is not None and self.keep_ids:  # so the stage can count an event read from two files once
            ids = span.idents.get(rec.computer)
            if ids is None:
                ids = span.idents[rec.computer] = _new_ids()
            try:
                ids[0].append(rid)
            except OverflowError:  # a negative or huge "record id" in a hand-made export
                ids[0].append(rid & _M64)
            ids[1].append(ts.timestamp() if ts is not None else 0.0)
        else:
            ids = None
        if rec.event_id in (1102, 104) and rec.provider.lower() == "microsoft-windows-eventlog":
            cleared_channel = as_text(rec.data.get("Channel")) if rec.event_id == 104 else "Security"
            span.cleared.append(
                {
                    "time": iso(rec.time),
                    "log": cleared_channel or channel,
                    "by": "\\".join(as_text(rec.data.get(x)) for x in ("SubjectDomainName", "SubjectUserName") if rec.data.get(x)),
                    "record": rec.position,
                }
            )
        data = rec.data
        if not data.keys().isdisjoint(IP_FIELDS):  # (most events have none of them: six lookups in C)
            for name in IP_FIELDS:
                ip = data.get(name)
                if ip and type(ip) is str and ip.strip().lower() not in _NOT_REMOTE:
                    self._see_ip(ip.strip(), rec, ids)
        for rule in self.rules.match(rec):
            self._hit(rule, rec)

    def raw_chunk(self, read: Callable[[], bytes]) -> RawChunk | None:
        """An ``.evtx`` chunk read from its bytes (``read()``) when none of its records can matter (see
        :meth:`Screen.raw_skip`), for :meth:`feed_batch` to count without the parser; else None
        (the parser reads it). Pass it to ``iter_evtx_batches(raw=...)``. After a run of chunks that
        needed the parser anyway (an attack-dense log, a channel every chunk of which a rule
        fits), a growing number of chunks go to the parser without the attempt; so after chunks read
        dearly (many descriptor tables not seen before: a log whose string sizes keep changing),
        whose result is used all the same."""
        if self._raw_pause:
            self._raw_pause -= 1
            return None
        raw = read_chunk(read())
        if raw is not None and self._get_screen().raw_skip(raw):
            if raw.new_tables * _RAW_NEW_TABLES <= raw.records:
                self._raw_misses = max(0, self._raw_misses - 1)  # (mostly misses: the pauses still grow)
            else:
                self._raw_miss()
            return raw
        self._raw_miss()
        return None

    def _raw_miss(self) -> None:
        self._raw_misses += 1
        if self._raw_misses >= _RAW_TRIES:
            self._raw_pause = min(_RAW_PAUSE_MAX, 2 ** min(16, self._raw_misses - _RAW_TRIES) * _RAW_TRIES)

    def _get_screen(self) -> Screen:
        screen = self._screen
        if screen is None:
            screen = self._screen = Screen(self.rules, IP_FIELDS, _NOT_REMOTE)
        return screen

    def feed_batch(self, batch: EvtxBatch | RawChunk) -> None:
        """Feed an ``.evtx`` batch: the records that can matter (see :mod:`screen`) one by one in
        full, the runs of records between them only counted in their channels, in record order —
        the same results as :meth:`feed` of every record. A chunk read from its bytes
        (:meth:`raw_chunk`) is only counted."""
        if isinstance(batch, RawChunk):
            self._count_raw(batch)
            return
        screen = self._get_screen()
        n = len(batch.texts)
        if not screen.worth_it():
            for i in range(n):
                rec = batch.record(i)
                if rec is not None:
                    self.feed(rec)
            return
        cols = batch.system()
        full = screen.full_indices(cols)
        screen.judge(n, len(full))
        start = 0
        for i in [*full, n]:
            if i > start:
                self._count_run(cols, start, i)
            if i < n:
                rec = batch.record(i)
                if rec is not None:
                    self.feed(rec)
            start = i + 1

    def _count_raw(self, raw: RawChunk) -> None:
        """What :meth:`_count_run` does, for the rows of a chunk read from its bytes (times in
        microseconds: only each run's first and last become datetimes)."""
        rows = raw.rows
        if not rows:
            return
        channels = list(map(_CHANNEL, rows))
        if channels.count(channels[0]) == len(rows):
            runs = [(0, len(rows))]
        else:
            runs, start = [], 0
            for i in range(1, len(rows) + 1):
                if i == len(rows) or channels[i] != channels[start]:
                    runs.append((start, i))
                    start = i
        micros = list(map(_MICROS, rows))
        computers = list(map(_COMPUTER, rows))
        for a, b in runs:
            channel = channels[a]
            span = self.channels.get(channel)
            if span is None:
                span = self.channels[channel] = ChannelSpan(channel)
            span.records += b - a
            lo, hi = as_datetime(min(micros[a:b])), as_datetime(max(micros[a:b]))
            if span.first is None or lo < span.first:
                span.first = lo
            if span.last is None or hi > span.last:
                span.last = hi
            self.time_fields[SYSTEM_TIME] = self.time_fields.get(SYSTEM_TIME, 0) + b - a
            comps = computers[a:b]
            seen = span.computers
            if len(seen) < 20:
                for name in dict.fromkeys(comps):
                    if name and len(seen) < 20:
                        seen[name] = None
            if not self.keep_ids:
                continue
            groups = [(comps[0], a, b)] if comps.count(comps[0]) == b - a else [(computers[i], i, i + 1) for i in range(a, b)]
            for computer, i, j in groups:
                ids = span.idents.get(computer)
                if ids is None:
                    ids = span.idents[computer] = _new_ids()
                ids[0].extend(map(_RID, rows[i:j]))
                ids[1].extend([(m - UNIX_US) / 1_000_000 for m in micros[i:j]])

    def _count_run(self, cols: SystemColumns, a: int, b: int) -> None:
        """What :meth:`feed` does with records ``a..b-1`` of a batch, none of which a rule, the IP
        index or the cleared-log notes can use: channel span, computers, time field, identities."""
        chans = cols.channels[a:b]
        channel = chans[0]
        if chans.count(channel) != b - a:  # several channels: one run per channel
            i = a
            while i < b:
                j = i + 1
                while j < b and cols.channels[j] == cols.channels[i]:
                    j += 1
                self._count_run(cols, i, j)
                i = j
            return
        span = self.channels.get(channel)
        if span is None:
            span = self.channels[channel] = ChannelSpan(channel)
        span.records += b - a
        times = cols.times[a:b]
        lo, hi = min(times), max(times)
        if span.first is None or lo < span.first:
            span.first = lo
        if span.last is None or hi > span.last:
            span.last = hi
        self.time_fields[SYSTEM_TIME] = self.time_fields.get(SYSTEM_TIME, 0) + b - a
        comps = cols.computers[a:b]
        computers = span.computers
        if len(computers) < 20:
            for name in dict.fromkeys(comps):
                if name and len(computers) < 20:
                    computers[name] = None
        if not self.keep_ids:
            return
        if comps.count(comps[0]) == b - a:
            groups = [(comps[0], a, b)]
        else:
            groups = [(cols.computers[i], i, i + 1) for i in range(a, b)]
        for computer, i, j in groups:
            ids = span.idents.get(computer)
            if ids is None:
                ids = span.idents[computer] = _new_ids()
            ids[0].extend(map(int, cols.record_ids[i:j]))
            ids[1].extend([ts.timestamp() for ts in cols.times[i:j]])

    def _see_ip(self, ip: str, rec: EventRecord, ids: tuple[array[int], array[float]] | None) -> None:
        s = self.ips.get(ip)
        if s is None:
            if len(self.ips) >= MAX_IPS:
                return
            s = self.ips[ip] = IpSighting()
        s.count += 1
        if ids is not None:  # the event's record id and time, as just kept for its channel
            mine = s.last_dst
            if s.last_src is not ids or mine is None:
                by_computer = s.idents.setdefault(rec.channel or "(unknown channel)", {})
                mine = by_computer.get(rec.computer)
                if mine is None:
                    mine = by_computer[rec.computer] = _new_ids()
                s.last_src, s.last_dst = ids, mine
            mine[0].append(ids[0][-1])
            mine[1].append(ids[1][-1])
        if rec.event_id is not None:
            s.event_ids.add(rec.event_id)
        if rec.computer and len(s.computers) < 20:
            s.computers[rec.computer] = None
        if rec.time is not None:
            if s.first is None or rec.time < s.first:
                s.first = rec.time
            if s.last is None or rec.time > s.last:
                s.last = rec.time
        if len(s.samples) < 3:
            s.samples.append(
                {
                    "source": self.source,
                    "line": rec.position,
                    "raw": cap(rec.raw_text(), 2000),
                    "time": rec.time,
                    "event_id": rec.event_id,
                    "channel": rec.channel,
                    "summary": rec.summary(),
                    "fields": _base_fields(rec),
                }
            )

    def _hit(self, rule: EventRule, rec: EventRecord) -> None:
        by_eid = rule.outcome_by_event_id  # (rule.outcome_for, inline: this runs once per match)
        outcome = by_eid.get(rec.event_id, rule.outcome) if by_eid and rec.event_id is not None else rule.outcome
        host = self._host_keys.get(rec.computer)
        if host is None:
            host = host_key(rec.computer)
            if len(self._host_keys) < 10_000:
                self._host_keys[rec.computer] = host
        if rule.group_by:
            key = (rule.id, outcome.value, host, *[as_text(rec.data.get(g)) or _special(rec, g) for g in rule.group_by])
        else:
            key = (rule.id, outcome.value, host)
        finding = self.findings.get(key)
        if finding is None:
            finding = self.findings[key] = finding_from_rule(
                rule,
                rule,
                outcome,
                tags=["events", *rule.tags, *([TAG_WINDOW] if rule.incident_window else [])],
                title_suffix=_failed_suffix(rec),
            )
            if rec.computer:
                finding.indicators.hosts.append(rec.computer)
        finding.count += 1
        if rec.record_id is not None:
            ids = self.ids.get(key, _NEW)
            if ids is _NEW:
                ids = self.ids[key] = set()
            if ids is not None:
                code = self._channel_codes.get(rec.channel)
                if code is None:
                    code = self._channel_codes[rec.channel] = channel_code(rec.channel)
                seconds = int(rec.time.timestamp()) if rec.time is not None else 0
                ids.add(_pack_identity(code, rec.record_id, seconds))  # (event_identity, one call fewer)
                if len(ids) > MAX_IDS:
                    self.ids[key] = None
        ts = rec.time  # already UTC
        if ts is not None:
            if finding.first_seen is None or ts < finding.first_seen:
                finding.first_seen = ts
            if finding.last_seen is None or ts > finding.last_seen:
                finding.last_seen = ts
        if len(finding.evidence) < MAX_EVIDENCE:
            fields = _base_fields(rec)
            for name in sorted(rule.fields | set(rule.group_by)):
                value = as_text(rec.data.get(name)) or _special(rec, name)
                if value:
                    fields[name] = cap(value, 2000)
            finding.evidence.append(
                EvidenceLine(source=self.source, line=rec.position, raw=rec.raw_text(), fields=fields, timestamp=rec.time)
            )
        if finding.count > 200:  # indicators of later repeats are the same values; spare the work
            self._after_hit(rule, rec, key)
            return
        ind = Indicators()
        for kind, names in rule.indicators.items():
            values: list[str] = getattr(ind, kind)
            for name in names:
                value = as_text(rec.data.get(name)).strip()
                if value and value != "-" and value not in values:
                    values.append(value)
        finding.indicators.merge(ind)
        if self.indicator_log is not None:
            self.indicator_log.setdefault(key, []).append((finding.count, ind))
        self._after_hit(rule, rec, key)

    def _after_hit(self, rule: EventRule, rec: EventRecord, key: tuple[str, ...]) -> None:
        for name in rule.webshell_paths:
            value = as_text(rec.data.get(name)).strip().strip("'\"")
            if value:
                self.webshell_paths.add(value.replace("/", "\\").lower())
        n = self._timeline_count.get(key, 0)
        if rec.time is not None and n < MAX_TIMELINE_PER_FINDING:
            self._timeline_count[key] = n + 1
            self.event_keys.append(key)
            self.events.append(
                TimelineEvent(
                    timestamp=rec.time,
                    source=self.source,
                    line=rec.position,
                    kind="event",
                    summary=f"{rule.title} — {rec.summary()}",
                    client_ip=_first_ip(rec),
                    raw=cap(rec.raw_text(), 2000),
                )
            )

    # -- parts of one file ---------------------------------------------------------------------------
    def absorb(self, later: EventCollector) -> None:
        """Add what ``later`` read from the records that follow this collector's in the same file
        (a part read by another worker, made with ``part=True``), so that this collector ends as one
        collector fed every record in order would: same findings (counts, evidence, indicators,
        timeline rows), channel spans, IP index and identities, in the same order."""
        for name, other in later.channels.items():
            span = self.channels.get(name)
            if span is None:
                self.channels[name] = other
                continue
            span.records += other.records
            _widen(span, other)
            span.cleared.extend(other.cleared)
            _add_computers(span.computers, other.computers)
            _extend_ids(span.idents, other.idents)
        log = later.indicator_log or {}
        for key, finding in later.findings.items():
            cur = self.findings.get(key)
            theirs = later.ids.get(key, _NEW)
            if cur is None:
                self.findings[key] = finding
                if theirs is not _NEW:
                    self.ids[key] = theirs
                if self.indicator_log is not None:
                    self.indicator_log[key] = list(log.get(key, []))
                continue
            before = cur.count
            cur.count += finding.count
            if theirs is not _NEW:
                mine = self.ids.get(key, _NEW)
                if mine is _NEW:
                    self.ids[key] = theirs
                elif mine is None or theirs is None:
                    self.ids[key] = None
                else:
                    mine |= theirs
                    if len(mine) > MAX_IDS:
                        self.ids[key] = None
            cur.touch(finding.first_seen)
            cur.touch(finding.last_seen)
            cur.evidence.extend(finding.evidence[: max(0, MAX_EVIDENCE - len(cur.evidence))])
            for hit, ind in log.get(key, []):  # hits after the 200th of the whole file add none
                if before + hit <= 200:
                    cur.indicators.merge(ind)
                    if self.indicator_log is not None:
                        self.indicator_log.setdefault(key, []).append((before + hit, ind))
        for key, event in zip(later.event_keys, later.events, strict=True):
            n = self._timeline_count.get(key, 0)
            if n < MAX_TIMELINE_PER_FINDING:
                self._timeline_count[key] = n + 1
                self.event_keys.append(key)
                self.events.append(event)
        self.webshell_paths |= later.webshell_paths
        for ip, other_ip in later.ips.items():
            s = self.ips.get(ip)
            if s is None:
                if len(self.ips) < MAX_IPS:
                    self.ips[ip] = other_ip
                continue
            s.count += other_ip.count
            _extend_ids_by_channel(s.idents, other_ip.idents)
            s.last_src = s.last_dst = None
            s.event_ids |= other_ip.event_ids
            _add_computers(s.computers, other_ip.computers)
            _widen(s, other_ip)
            s.samples.extend(other_ip.samples[: max(0, 3 - len(s.samples))])
        self.no_time += later.no_time
        self.bad_time += later.bad_time
        self.bad_time_example = self.bad_time_example or later.bad_time_example
        for name, n in later.time_fields.items():
            self.time_fields[name] = self.time_fields.get(name, 0) + n

    # -- end of file ------------------------------------------------------------------------------
    def finding_list(self, sha256: str | None) -> list[Finding]:
        out = list(self.findings.values())
        for f in out:
            for ev in f.evidence:
                ev.sha256 = sha256
        return out

    def coverage(self, size: int) -> list[FamilyCoverage]:
        fams: list[FamilyCoverage] = []
        for i, span in enumerate(sorted(self.channels.values(), key=lambda s: s.channel)):
            fam = FamilyCoverage(f"{self.family_prefix}:{span.channel}", files=1, lines=span.records, parsed=span.records)
            fam.bytes = size if i == 0 else 0
            fam.span(span.first)
            fam.span(span.last)
            for c in span.cleared:
                by = f" by {c['by']}" if c["by"] else ""
                fam.notes.append(f"log {c['log']} cleared at {c['time']}{by} ({self.source}, record {c['record']})")
            fams.append(fam)
        return fams

    def channel_summary(self) -> list[dict[str, Any]]:
        return [
            {
                "channel": s.channel,
                "records": s.records,
                "first": iso(s.first),
                "last": iso(s.last),
                "cleared": s.cleared,
                "computers": sorted(s.computers),
            }
            for s in sorted(self.channels.values(), key=lambda s: s.channel)
        ]

    def ip_index(self) -> dict[str, dict[str, Any]]:
        return {
            ip: {
                "count": s.count,
                "first": s.first,
                "last": s.last,
                "event_ids": sorted(s.event_ids),
                "samples": s.samples,
                "computers": sorted(s.computers),
            }
            for ip, s in self.ips.items()
        }

    def identities(self) -> Identities:
        """The identities of this file's events, per channel and computer (records with a record id
        only), so the stage can count an event read from two files (an .evtx and an export of it) once."""
        return {span.channel: span.idents for span in self.channels.values() if span.idents}

    def ip_identities(self) -> dict[str, Identities]:
        """Per remote IP, the identities of the events it was seen in (as :meth:`identities`)."""
        return {ip: s.idents for ip, s in self.ips.items() if s.idents}


MAX_IDS = 2_000_000
_CHANNEL, _MICROS, _COMPUTER, _RID = itemgetter(4), itemgetter(2), itemgetter(5), itemgetter(3)  # RawChunk rows
#: Chunks in a row that needed the parser before raw reading pauses; the longest pause (chunks).
_RAW_TRIES = 4
#: A chunk read from its bytes with more than one new descriptor table per this many records cost more
#: than the parser would have (a new table ~10 µs of Python; the parser ~2-5 µs a record): a miss.
_RAW_NEW_TABLES = 4
_RAW_PAUSE_MAX = 1024
_NEW: set[int] = set()
#: The rules of a collector sent back from a worker (it is only merged, never fed again).
_NO_RULES = RuleSet([], [], {}, [])


def _add_computers(into: dict[str, None], new: dict[str, None]) -> None:
    for name in new:
        if len(into) >= 20:
            break
        into[name] = None


def _extend_ids(
    into: dict[str, tuple[array[int], array[float]]], new: dict[str, tuple[array[int], array[float]]]
) -> None:
    for computer, ids in new.items():
        mine = into.get(computer)
        if mine is None:
            into[computer] = ids
        else:
            mine[0].extend(ids[0])
            mine[1].extend(ids[1])


def _extend_ids_by_channel(into: Identities, new: Identities) -> None:
    for channel, by_computer in new.items():
        _extend_ids(into.setdefault(channel, {}), by_computer)


def channel_code(channel: str) -> int:
    """A stable number for a channel name (the same in every worker process, unlike ``hash``)."""
    return zlib.crc32(channel.strip().lower().encode("utf-8", "replace"))


def event_identity(code: int, rec: EventRecord) -> int:
    """One integer naming an event by channel, record id and time (to the second: exports often
    round the time an .evtx holds to 100 ns). The computer is part of every finding key already."""
    seconds = int(rec.time.timestamp()) if rec.time is not None else 0
    return _pack_identity(code, rec.record_id or 0, seconds)


def _pack_identity(code: int, record_id: int, seconds: int) -> int:
    """Channel code, record id and second in one integer (the layout both identities share)."""
    return (code << 96) | (record_id & (2**62 - 1)) << 34 | (seconds & (2**34 - 1))


def packed_identities(ids: tuple[array[int], array[float]]) -> list[int]:
    """:func:`event_identity` without the channel (for events of one channel and computer), one
    64-bit number per event: the record id and the time to the second, 32 bits each."""
    return [((rid & _M32) << 32) | (int(sec) & _M32) for rid, sec in zip(ids[0], ids[1], strict=True)]


def sample_identity(sample: dict[str, Any]) -> tuple[str, str, int, int] | None:
    """The identity of an IP sample (see :meth:`EventCollector.ip_index`) — channel, computer, record
    id, second — or None when its event has no record id."""
    fields = sample.get("fields") or {}
    rid = fields.get("record_id")
    if not isinstance(rid, int):
        return None
    ts = sample.get("time")
    return (
        str(fields.get("channel") or "").strip().lower(),
        host_key(str(fields.get("computer") or "")),
        rid,
        int(ts.timestamp()) if isinstance(ts, datetime) else 0,
    )


def evidence_identity(ev: EvidenceLine) -> int | None:
    """:func:`event_identity` of an evidence line made by this collector (None if it has no record id)."""
    fields = ev.fields
    rid = fields.get("record_id")
    if not isinstance(rid, int):
        return None
    seconds = int(ev.timestamp.timestamp()) if ev.timestamp is not None else 0
    return _pack_identity(channel_code(str(fields.get("channel") or "")), rid, seconds)


def host_key(name: str) -> str:
    """The computer a ``Computer`` value names, for telling hosts apart: lower case, first DNS label
    (exports write ``EXCH01`` where the .evtx says ``EXCH01.corp.local``)."""
    return name.strip().lower().split(".", 1)[0]


def finding_hosts(f: Finding) -> set[str]:
    """The computers (:func:`host_key`) whose events a finding comes from (empty for findings from
    web logs and files: their ``hosts`` indicators name request targets, not the server written to)."""
    if "events" not in f.tags:
        return set()
    return {k for ev in f.evidence if (k := host_key(str(ev.fields.get("computer") or "")))}


def _failed_suffix(rec: EventRecord) -> str:
    """MSExchange Management 6/8 record a cmdlet that failed: say so in the title, or "installed"
    reads as if it had worked (the outcome is already "attempt" for these)."""
    if rec.event_id in (6, 8) and is_exchange_management(rec):
        return " — the cmdlet failed" if rec.event_id == 6 else " — the cmdlet threw an error"
    return ""


def _special(rec: EventRecord, name: str) -> str:
    low = name.lower()
    if low == "channel":
        return rec.channel
    if low == "message":
        return rec.message
    if low == "computer":
        return rec.computer
    return ""


def _base_fields(rec: EventRecord) -> dict[str, Any]:
    return {
        "channel": rec.channel,
        "provider": rec.provider,
        "event_id": rec.event_id,
        "level": rec.level,
        "record_id": rec.record_id,
        "computer": rec.computer,
        "time_field": rec.time_field,
    }


def _first_ip(rec: EventRecord) -> str:
    for name in IP_FIELDS:
        ip = rec.data.get(name)
        if ip and type(ip) is str and ip.strip() not in _NOT_REMOTE:
            return ip.strip()
    return ""


def apply_sequences(findings: list[Finding], sequences: list[Sequence]) -> list[Finding]:
    """New findings for each sequence whose ``first`` rule is followed by a ``then`` rule on the same
    computer within the sequence's time limit (times are the folded findings' first/last seen)."""
    out: list[Finding] = []
    for seq in sequences:
        firsts = [f for f in findings if f.rule_id == seq.first and f.first_seen is not None]
        thens = [f for f in findings if f.rule_id in seq.then and f.first_seen is not None]
        limit = timedelta(minutes=seq.within_minutes)
        for a in firsts:
            hosts = {h.lower() for h in a.indicators.hosts}
            assert a.first_seen is not None
            a_last = a.last_seen or a.first_seen
            follow = [
                b
                for b in thens
                if (not hosts or not b.indicators.hosts or hosts & {h.lower() for h in b.indicators.hosts})
                and b.last_seen is not None
                and b.last_seen >= a.first_seen
                and b.first_seen is not None
                and b.first_seen <= a_last + limit
            ]
            if not follow:
                continue
            combined = finding_from_rule(
                seq,
                seq,
                seq.outcome,
                tags=["events", "sequence"],
                count=a.count + sum(b.count for b in follow),
            )
            for part in [a, *follow]:
                combined.touch(part.first_seen)
                combined.touch(part.last_seen)
                combined.evidence.extend(part.evidence[:3])
                combined.indicators.merge(part.indicators)
            out.append(combined)
    return out


def outcome_rank(o: Outcome) -> int:
    return {Outcome.WEBSHELL: 4, Outcome.SUCCESS: 3, Outcome.ATTEMPT: 2, Outcome.SCANNER: 1, Outcome.INFO: 0}[o]
