"""Stage ``logs``: HttpProxy, IIS W3C, ECP server, OABGenerator (and Rps_Http) logs.

Each candidate file is handled by :func:`scan_log_file` in a worker process: recognise its family
(path, else header bytes), stream it in raw chunks through the byte prefilter built from the rules
of that family, parse and evaluate only the selected lines, and return grouped findings, timeline
events, coverage (files, lines, time span) and requests per hour. The main process merges the
groups across files, checks the IIS log folders named in ``applicationHost.config``, looks up the
files OABGenerator says it wrote, and leaves ``attacker_ips`` / ``webshell_paths`` for later stages.

Provides (:mod:`extriage.scan.facts`): :class:`LogPivots` (attacker IPs, web shell paths),
:class:`LogGroups` (each finding with its timeline rows, for the correlate stage) and
:class:`LogSpans` (every log's family and time span, the IIS front-end site folders).
"""

from __future__ import annotations

import functools
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from extriage.detections.correlation import path_to_url
from extriage.detections.loglines import Group, GroupKey, HitCollector, set_file_hash
from extriage.detections.logrules import LogRule, RuleSet, load_rules
from extriage.detections.waves.registry import ENV_DIRS, load_registry
from extriage.evidence.locate import LocatedFile, path_key
from extriage.evidence.reading import CHUNK, read_artifact
from extriage.findings import FamilyCoverage, Outcome, SkippedFile
from extriage.formats.families import FAMILIES as LOG_FAMILIES
from extriage.formats.logdecode import Decoded, open_decoded
from extriage.formats.logscan import Candidate, WalkStats, decode, read_head, walk
from extriage.formats.prefilter import Prefilter
from extriage.formats.records import parse_record
from extriage.formats.sniff import (
    SNIFF_BYTES,
    FamilyMatch,
    could_be_log,
    family_from_header,
    family_from_path,
    looks_like_default_iis,
    strip_compressed,
)
from extriage.scan.context import FileOutcome, ScanContext
from extriage.scan.facts import Detections, LogGroups, LogPivots, LogSpans
from extriage.scan.rawsearch import holds

if TYPE_CHECKING:
    from extriage.formats.iis_config import AppHostConfig

SUCCESS_OUTCOMES = (Outcome.SUCCESS, Outcome.WEBSHELL)
#: Timeline rows per (rule, outcome) across all files: mass scanning must not flood the timeline.
MAX_TIMELINE_PER_RULE = 5000
_FAR = datetime.max.replace(tzinfo=UTC)
ATTACK_OUTCOMES = (Outcome.SUCCESS, Outcome.WEBSHELL, Outcome.ATTEMPT)

#: Families whose header is only a word in their lines: it never overrules a folder.
_WEAK_HEADERS = frozenset(f.id for f in LOG_FAMILIES.values() if f.weak_header)


@dataclass(frozen=True, slots=True)
class LogParams:
    engine: str = "hyperscan"
    extra_rule_dirs: tuple[str, ...] = ()
    # second pass (correlate stage): extra literals, and the pivot rules built from them
    pivot_literals: tuple[str, ...] = ()
    pivot_urls: frozenset[str] = frozenset()  # looked up per candidate line: thousands of shell URLs
    pivot_ips: frozenset[str] = frozenset()
    only_families: tuple[str, ...] = ()


@functools.lru_cache(maxsize=32)
def _prefilter(engine: str, literals: tuple[str, ...], regexes: tuple[str, ...],
               excepts: tuple[tuple[str, tuple[str, ...]], ...] = (), keep: bool = False) -> Prefilter:
    try:
        return Prefilter(literals, regexes, engine, dict(excepts), keep=keep)
    except ImportError:  # hyperscan wheel missing on this platform: RE2 is always installed
        return Prefilter(literals, regexes, "re2")


def rules_for(ruleset: RuleSet, family: str) -> list[LogRule]:
    return ruleset.for_family(family)


def family_plan(engine: str, extra_rule_dirs: tuple[str, ...], family: str) -> tuple[list[LogRule], Prefilter, tuple[int, ...]]:
    """:func:`_family_plan`, cached per set of wave folders too (their rules are part of the plan)."""
    return _family_plan(engine, extra_rule_dirs, family, _wave_dirs(os.environ.get(ENV_DIRS, "")))


@functools.lru_cache(maxsize=8)
def _wave_dirs(raw: str) -> tuple[Path, ...]:
    """The registry's wave folders for one value of ``EXTRIAGE_WAVES_DIR``: looked up once, not per
    log (the registry's own look-up parses the variable and checks each folder, ~4 us a file)."""
    return load_registry().dirs


@functools.lru_cache(maxsize=32)
def _family_plan(engine: str, extra_rule_dirs: tuple[str, ...], family: str,
                 wave_dirs: tuple[Path, ...]) -> tuple[list[LogRule], Prefilter, tuple[int, ...]]:
    """The rules of a log family, their joint prefilter, and each rule's bits in it.

    A rule's prefilter is a necessary condition of the rule (``docs/rules.md``), so a candidate line
    is evaluated only by the rules whose own literals or regexes hit it: on IIS logs, where benign
    OWA sign-in pages select many lines for one rule, this saves most of the evaluation work."""
    rules = rules_for(load_rules(extra_rule_dirs), family)
    lits = tuple(sorted({x for r in rules for x in r.prefilter}))
    rxs = tuple(sorted({x for r in rules for x in r.prefilter_regex}))
    # a pattern's hits are explained away only by what EVERY rule using that pattern accepts
    excepts: dict[str, frozenset[str]] = {}
    for pattern in lits + rxs:
        users = [r for r in rules if pattern in r.prefilter or pattern in r.prefilter_regex]
        common = frozenset.intersection(*(frozenset(r.prefilter_explainers()) for r in users))
        if common:
            excepts[pattern] = common
    key = tuple(sorted((p, tuple(sorted(e))) for p, e in excepts.items()))
    pf = _prefilter(engine, lits, rxs, key, keep=True)  # the rules' own: kept between runs
    return rules, pf, tuple(pf.mask_of(r.prefilter, r.prefilter_regex) for r in rules)


def identify(f: LocatedFile, head: bytes, by_path: FamilyMatch | None = None) -> FamilyMatch | None:
    """The log family of ``f``: by its place in the tree (``by_path``, when the caller has it
    already), unless its own header names another family (an HttpProxy log copied into a W3SVC
    folder is read as HttpProxy, not as IIS). The OABGenerator "header" is only a word in its
    lines, too weak to overrule a folder."""
    if by_path is None:
        by_path = family_from_path(f.key)
    if by_path is None:
        return family_from_header(head)
    by_head = family_from_header(head)
    if by_head is not None and by_head.family != by_path.family and by_head.family not in _WEAK_HEADERS:
        return FamilyMatch(by_head.family, "", "header-over-path")
    return by_path


def scan_log_file(f: LocatedFile, params: LogParams) -> FileOutcome:
    """Worker: read one file (if it is a log we know), return findings/coverage in ``data``."""
    return _read_log(f, params, hashed=True)


def _read_log(f: LocatedFile, params: LogParams, hashed: bool) -> FileOutcome:
    display = f.display()
    with read_artifact(f.ref, hashed=hashed) as reader:
        # a log placed by its path is read a whole chunk at a time from the start, into the reused
        # buffer of the walk; anything else is sniffed from its first bytes before more is read.
        # Compressed or UTF-16 content is told by those bytes and decoded into the same walk.
        by_path = family_from_path(f.key)
        buf, primed = read_head(reader, CHUNK if by_path is not None else SNIFF_BYTES)
        dec = open_decoded(reader, buf, primed, SNIFF_BYTES)
        head = dec.head
        fm = identify(f, head, by_path)
        if fm is not None and fm.how == "w3svc-folder" and family_from_header(head) is None \
                and not looks_like_default_iis(head):
            if params.pivot_literals:
                return FileOutcome(display, data={"pivot_hits": []})
            reader.drain()
            return FileOutcome(display, sha256=reader.hexdigest() if hashed else None, size=reader.bytes_read,
                               mtime=f.ref.mtime, data={"family": "iis"}, skipped=[SkippedFile(
                                   display, "in an IIS log folder, but without a #Fields header and its lines do "
                                            "not have IIS's default field layout; not read",
                                   relevant=strip_compressed(f.key).endswith(".log"))])
        if fm is None or (params.only_families and fm.family not in params.only_families):
            return FileOutcome(display, data={"not_log": True})
        if params.pivot_literals:
            rules: list[LogRule] = []
            masks: tuple[int, ...] = ()
            pf = pivot_prefilter(params)
        else:
            rules, pf, masks = family_plan(params.engine, params.extra_rule_dirs, fm.family)
        collector = HitCollector()
        pivot_hits: list[dict[str, Any]] = []
        stats: WalkStats | None = None  # the walk ends with its statistics
        folder_proto = fm.protocol.lower()
        for item in walk(dec.stream, fm.family, pf, count_hours=not params.pivot_literals, primed=dec.primed):
            if isinstance(item, WalkStats):
                stats = item
                continue
            _evaluate(item, fm, folder_proto, rules, masks, params, collector, pivot_hits, display)
        if stats is None:
            stats = WalkStats()
        if hashed:
            reader.drain()
        sha = reader.hexdigest() if hashed else None
        size = reader.bytes_read
    if sha is not None:
        set_file_hash(collector.groups, display, sha)
    for hit in pivot_hits:
        hit["sha256"] = sha
    if params.pivot_literals:  # second pass: coverage and problems were reported by the first
        return FileOutcome(display, sha256=sha, size=size, mtime=f.ref.mtime,
                           data={"family": fm.family, "protocol": folder_proto, "groups": collector.groups,
                                 "hours": {}, "pivot_hits": pivot_hits, "how": fm.how})
    cov = FamilyCoverage(fm.family, files=1, lines=stats.lines, parsed=stats.candidates, bytes=size)
    cov.span(stats.first)
    cov.span(stats.last)
    if dec.layers:
        cov.notes.append(f"read as {' + '.join(dec.layers)}: {display}")
    if stats.bare_cr:
        cov.notes.append(f"CR-only line ends, read with CR, LF and CRLF as line ends: {display}")
    skipped = damage_notes(display, fm.family, stats, dec)
    # nothing dated, nothing a rule could look at, and damage, or lines without any field header: a
    # few junk bytes under a log's name (a '.log.gz' that is no gzip) are not an empty log
    if stats.first is None and not stats.candidates and (
            stats.damage_bytes or dec.problems() or (stats.lines and not stats.names)):
        zeros = stats.damage and all(d[2] == "NUL-filled" for d in stats.damage)
        what = "zero-filled (corrupt)" if zeros else "binary or damaged"
        skipped = [SkippedFile(display, f"{fm.family} log is {what}: no log line could be read"
                                        + (f" ({'; '.join(dec.problems())})" if dec.problems() else ""))]
        return FileOutcome(display, sha256=sha, size=size, mtime=f.ref.mtime, skipped=skipped,
                           data={"family": fm.family})
    return FileOutcome(
        display, sha256=sha, size=size, mtime=f.ref.mtime, coverage=[cov], skipped=skipped,
        data={"family": fm.family, "protocol": folder_proto, "groups": collector.groups,
              "hours": dict(stats.hours), "pivot_hits": pivot_hits, "how": fm.how},
    )


def damage_notes(display: str, family: str, stats: WalkStats, dec: Decoded) -> list[SkippedFile]:
    """What of one log could not be read as written: damaged byte ranges, cut lines, recovered
    records, a broken compressed stream; one partial entry per kind, each naming the file."""
    out: list[SkippedFile] = []
    if stats.long_lines:
        n = len(stats.long_lines)
        what = ("the #Fields header is over 1 MB: field names taken from its first 1 MB; "
                if stats.long_header else "")
        out.append(SkippedFile(display, f"{what}{n} line{'s' if n != 1 else ''} longer than 1 MB cut to 1 MB, the "
                                        f"rest searched for records (first at line {stats.long_lines[0]})", partial=True))
    if stats.damage:
        where = " (offsets in the decoded text)" if dec.layers else ""
        shown = ", ".join(f"{kind} bytes {a:,}-{b - 1:,}" for a, b, kind in stats.damage[:5])
        more = f" and {stats.damage_ranges - 5:,} more range(s)" if stats.damage_ranges > 5 else ""
        hole = f"; {stats.hole_bytes:,} bytes of them a sparse-file hole, skipped unread" if stats.hole_bytes else ""
        out.append(SkippedFile(display, f"damaged: {stats.damage_bytes:,} bytes skipped as damage{where}: {shown}{more}"
                                        f"{hole}; the lines around them were read", partial=True))
    if stats.damaged_lines:
        out.append(SkippedFile(display, f"{stats.damaged_lines:,} matching line(s) held junk, control bytes or several "
                                        f"records run together; {stats.recovered:,} record(s) were cut out of them and "
                                        "read, the junk skipped", partial=True))
    elif stats.recovered:
        out.append(SkippedFile(display, f"{stats.recovered:,} record(s) recovered from over-long damaged lines",
                               partial=True))
    for problem in dec.problems():
        out.append(SkippedFile(display, f"{problem}; what came before it was read", partial=True))
    layout = LOG_FAMILIES[family].headerless if family in LOG_FAMILIES else ""
    if layout is not None and not stats.names and stats.lines:
        read = f"rows with {layout} were read by the default column layout, other" if layout else "the"
        out.append(SkippedFile(display, f"{family} log without a #Fields header: {read} rows could not be mapped "
                                        "to fields", partial=True))
    return out


def pivot_prefilter(params: LogParams) -> Prefilter:
    """The prefilter of the second (pivot) pass: the attacker addresses and web shell names."""
    return _prefilter(params.engine, params.pivot_literals, ())


def pivot_log_file(f: LocatedFile, params: LogParams) -> FileOutcome:
    """Worker for the second (pivot) pass over a log the first pass already read and hashed.

    Most logs hold none of the pivot literals, so the raw bytes are first searched for them as a
    whole (:func:`extriage.scan.rawsearch.holds`: no hashing, no line counting, no header parsing,
    the first pass recorded all of that); only a file with a hit is walked line by line by
    :func:`scan_log_file`, with identical results."""
    if not holds(f, pivot_prefilter(params)):
        return FileOutcome(f.display(), data={"pivot_hits": []})
    return _read_log(f, params, hashed=False)  # hashed by the first pass: the caller has the digest


def _evaluate(cand: Candidate, fm: FamilyMatch, folder_proto: str, rules: list[LogRule], masks: tuple[int, ...],
              params: LogParams, collector: HitCollector, pivot_hits: list[dict[str, Any]], display: str) -> None:
    text = decode(cand.raw)
    fields, ts = parse_record(fm.family, text, cand.names)
    if params.pivot_literals:
        stem = (fields.get("cs-uri-stem") or "").lower()
        ip = fields.get("c-ip") or ""
        if stem in params.pivot_urls or ip in params.pivot_ips:
            pivot_hits.append({"source": display, "line": cand.lineno, "raw": text, "ts": ts, "family": fm.family,
                               "fields": {k: v for k, v in fields.items() if v and not k.startswith("_")}})
        return
    protocol = (fields.get("Protocol") or folder_proto).lower()
    hits = cand.hits
    for rule, mask in zip(rules, masks, strict=True):
        if not hits & mask:  # the rule's own prefilter did not hit this line: it cannot match it
            continue
        if not rule.applies_to(fm.family, protocol):
            continue
        work = dict(fields)
        cls = rule.classify(work)
        if cls is None:
            continue
        collector.add(rule, cls, work, text, display, cand.lineno, ts, None, fm.family)


# -- the stage -------------------------------------------------------------------------------------


@dataclass(slots=True)
class LogsStage:
    name: str = "logs"
    requires: ClassVar[tuple[type, ...]] = ()
    provides: ClassVar[tuple[type, ...]] = (LogPivots, LogGroups, LogSpans, Detections)
    engine: str = "hyperscan"
    extra_rule_dirs: tuple[str, ...] = field(default_factory=tuple)

    def run(self, ctx: ScanContext) -> None:
        params = LogParams(engine=str(ctx.options.extra.get("prefilter_engine", self.engine)),
                           extra_rule_dirs=tuple(ctx.options.extra.get("log_rule_dirs", ())) or self.extra_rule_dirs)
        load_rules(params.extra_rule_dirs)  # a broken rule file fails here, once, with its name
        plain = ctx.inventory.plain
        # a plain folder of logs may have lost names and extensions too: sniff every file there
        candidates = [f for f in ctx.inventory.files if plain or could_be_log(f.key) or family_from_path(f.key)]
        merged = HitCollector()
        hours: dict[str, Counter[str]] = {}
        families: Counter[str] = Counter()
        unrecognised: list[str] = []
        spans: dict[str, tuple[str, datetime | None, datetime | None, str]] = {}
        misplaced: list[str] = []
        for outcome in ctx.map_files(scan_log_file, candidates, params, label="logs"):
            data = outcome.data
            if data.get("not_log"):
                unrecognised.append(outcome.path)
                continue
            families[data.get("family", "")] += 1
            if data.get("how") == "header-over-path":
                misplaced.append(f"{outcome.path} ({data.get('family')})")
            for cov in outcome.coverage:
                spans[outcome.path] = (cov.family, cov.first, cov.last, data.get("protocol", ""))
            merged.merge(data.get("groups", {}))
            if data.get("hours"):
                hours.setdefault(data["family"], Counter()).update(data["hours"])
        if misplaced:
            ctx.result.coverage.warn(
                f"{len(misplaced)} log file(s) sit in another log family's folder; each was read as the family its "
                f"own header names: {', '.join(sorted(misplaced)[:5])}{' ...' if len(misplaced) > 5 else ''}")
        if plain:  # the user pointed at logs: a *.log we cannot place is named, not silently passed over
            for path in unrecognised:
                if path.lower().endswith(".log"):
                    ctx.skip(path, "not recognised as an Exchange or IIS log (no known folder, header or "
                                   "#Fields line); not read as a log")
        groups = merged.groups
        per_rule: Counter[str] = Counter()
        dropped: Counter[str] = Counter()
        for g in sorted(groups.values(), key=lambda g: g.finding.first_seen or _FAR):
            ctx.add_finding(g.finding)
            key = f"{g.finding.rule_id}/{g.finding.outcome.value}"
            room = MAX_TIMELINE_PER_RULE - per_rule[key]
            kept = g.events[: max(room, 0)]
            dropped[key] += len(g.events) - len(kept)
            g.events = kept
            per_rule[key] += len(kept)
            for e in kept:
                ctx.add_event(e)
        for key, n in sorted(dropped.items()):
            if n:
                ctx.result.coverage.warn(f"Timeline capped: {n:,} more rows of {key} are counted in their findings "
                                         f"but not listed (limit {MAX_TIMELINE_PER_RULE:,} per rule and outcome).")
        ctx.facts.put(LogGroups(groups))
        ctx.facts.get(LogSpans).spans = spans
        if hours:
            ctx.result.activity["requests_per_hour"] = {fam: dict(sorted(c.items())) for fam, c in sorted(hours.items())}
        _check_oab_writes(ctx, groups)
        _check_iis_config(ctx)
        publish_pivots(ctx, [g.finding for g in groups.values()])
        ctx.result.extras.setdefault("logs", {}).update({
            "files_by_family": dict(families),
            "unrecognised_files": len(unrecognised),
            "unrecognised_examples": sorted(unrecognised)[:20],
            "rules": [r.id for r in load_rules(params.extra_rule_dirs).rules],
        })


def publish_pivots(ctx: ScanContext, findings: list[Any]) -> None:
    """Add attacker IPs and web shell paths of log findings to :class:`LogPivots` for later stages."""
    pivots = ctx.facts.get(LogPivots)
    ips, shells = pivots.attacker_ips, pivots.webshell_paths
    for f in findings:
        if f.outcome in ATTACK_OUTCOMES:
            ips.update(ip for ip in f.indicators.client_ips if ip)
        if f.outcome in SUCCESS_OUTCOMES and (f.rule_id.startswith("WS-") or f.rule_id == "XS-WEBSHELL-URL"):
            shells.update(u.lower() for u in f.indicators.urls if u)
        if f.rule_id == "PL-26858-OAB-WRITE":
            shells.update(path_key(p).replace("/", "\\") for p in f.indicators.paths if p)


def _check_oab_writes(ctx: ScanContext, groups: dict[GroupKey, Group]) -> None:
    """CVE-2021-26858: say whether each file the OAB generator wrote is still in the evidence."""
    for g in groups.values():
        f = g.finding
        if f.rule_id != "PL-26858-OAB-WRITE":
            continue
        notes = []
        for p in f.indicators.paths:
            hit = ctx.inventory.lookup(p)
            url = path_to_url(p)
            where = f" (served as {url})" if url else ""
            if hit is not None:
                notes.append(f"{p}{where}: still present in the evidence as {hit.display()}.")
            else:
                notes.append(f"{p}{where}: not present in the evidence (deleted, or not collected).")
        if notes:
            f.description = (f.description + " " + " ".join(notes)).strip()
            for e in f.evidence:
                e.fields["written_file_in_evidence"] = "yes" if any("still present" in n for n in notes) else "no"


def _keys_by_folder_name(ctx: ScanContext) -> dict[str, list[str]]:
    """Every file key (with a leading ``/``) under each folder name it lies in."""
    index: dict[str, list[str]] = {}
    for f in ctx.inventory.files:
        key = "/" + f.key
        for name in set(f.key.split("/")[:-1]):
            index.setdefault(name, []).append(key)
    return index


#: ``extras`` key of what the evidence says the server is: ``{"exchange": "absent", "iis_sites": [...]}`` when
#: its IIS serves no Exchange application and no Exchange install is in the evidence (absent otherwise).
SERVER_ROLE = "server_role"
#: Applications every Exchange server's IIS holds (2010: one site; 2013 and later: Default Web Site and
#: Exchange Back End both have them).
_EXCHANGE_APPS = frozenset({"/owa", "/ecp"})


def _serves_exchange(cfg: AppHostConfig) -> bool:
    return any(app.path.rstrip("/").lower() in _EXCHANGE_APPS for site in cfg.sites for app in site.applications)


def _check_iis_config(ctx: ScanContext) -> None:
    """IIS log folders named by applicationHost.config: warn when one holds no logs in the evidence."""
    try:
        from extriage.formats.iis_config import ConfigError, parse_application_host
    except ImportError:  # pragma: no cover - delivered by the mitigation engineer
        return
    configs = [f for f in ctx.inventory.files if f.key.endswith("/inetsrv/config/applicationhost.config")]
    expected: list[dict[str, Any]] = []
    front = ctx.facts.get(LogSpans).front_end_sites
    by_folder: dict[str, list[str]] | None = None
    for cf in configs:
        try:
            with read_artifact(cf.ref) as r:
                data = r.read(32 * 1024 * 1024 + 1)
                r.drain()
                ctx.record_file(cf.display(), r.hexdigest(), r.bytes_read, cf.ref.mtime)
            cfg = parse_application_host(data, cf.display())
        except (OSError, ConfigError, ValueError) as exc:
            ctx.skip(cf.display(), f"IIS configuration could not be read: {exc}")
            continue
        if cfg.sites and not ctx.inventory.exchange_installs and not _serves_exchange(cfg):
            names = ", ".join(repr(s.name) for s in cfg.sites[:5]) + (f" and {len(cfg.sites) - 5} more" if len(cfg.sites) > 5 else "")
            ctx.result.coverage.warn(
                f"This IIS serves no Exchange virtual directory ({cf.display()} names no /owa or /ecp application; "
                f"sites: {names}) and the evidence holds no Exchange install: the web file checks apply to every "
                "site, but the Exchange waves can only be checked on an Exchange server and stay inconclusive here."
            )
            # read by the response plan: its wording speaks of "the server", not "the Exchange server"
            ctx.result.extras[SERVER_ROLE] = {"exchange": "absent", "iis_sites": [s.name for s in cfg.sites[:20]]}
        for site in cfg.sites:
            if site.name.strip().lower() == "default web site":
                front.add(f"w3svc{site.id}")
            if not site.log_directory:
                continue
            folder = path_key(site.log_directory.rstrip("\\/") + f"\\W3SVC{site.id}")
            have = any(True for _ in ctx.inventory.under(folder))
            if not have:  # the drive cannot be told in a plain folder or an unknown layout: match the tail
                tail = folder.split(":", 1)[-1].strip("/") + "/"
                if by_folder is None:  # built once: a config with many sites must not rescan every file per site
                    by_folder = _keys_by_folder_name(ctx)
                last = tail.rstrip("/").rsplit("/", 1)[-1]
                have = any(k.find("/" + tail) >= 0 for k in by_folder.get(last, ()))
            expected.append({"site": site.name, "id": site.id, "log_directory": site.log_directory + f"\\W3SVC{site.id}",
                             "present": have})
            if not have and ctx.inventory.shape in ("drive", "kape", "velociraptor"):
                ctx.result.coverage.warn(
                    f"IIS logs of site '{site.name}' are configured at {site.log_directory}\\W3SVC{site.id} "
                    "(applicationHost.config) but none were found there in the evidence."
                )
    if expected:
        ctx.result.extras.setdefault("logs", {})["iis_log_directories"] = expected


STAGES = [LogsStage()]
