"""Scan stage ``webfiles``: web shells and post-exploitation files.

Selects the places attackers write to (Exchange's FrontEnd/ClientAccess web folders, inetpub\\wwwroot,
the IIS sites' physical paths, Temporary ASP.NET Files, ProgramData, Windows\\Temp, C:\\root,
Users\\Public, or every file when the evidence is a plain folder), reads each once in worker
processes (hash, type sniff, YARA, targeted checks), then judges each file in the main process with
the location rules, the Exchange known-good baseline and the MSTIC known-bad list. Every other file
of the evidence is *peeked* (8 bytes) for minidump and DEARCRY! headers, so LSASS dumps and
encrypted files are found wherever they are and whatever their name.

Provides :class:`~extriage.scan.facts.WebFilePivots` (lower-case Windows paths and URL paths of
suspicious files, each file finding with its file) for the correlate stage, and writes
``ctx.result.extras["webfiles"]`` (coverage, baseline, inferred build). Requires the web shell paths
the logs and events named (:class:`LogPivots`, :class:`EventPivots`): those files are read wherever
they are. Stage ``webfiles-link`` joins each file finding to the log/event lines naming its URL or path.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import posixpath
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from extriage.detections.webfiles import appcontext, compile_language, content, iis_modules
from extriage.detections.webfiles.baseline import (
    KNOWN_GOOD,
    MODIFIED,
    UNKNOWN,
    Baseline,
    infer_build,
    load_baseline,
    normalise_relative,
)
from extriage.detections.webfiles.behaviour import PAGE_EXTENSIONS
from extriage.detections.webfiles.behaviour import catalogue as behaviour_catalogue
from extriage.detections.webfiles.classify import (
    FileFacts,
    baseline_reason,
    behaviour_reason,
    build_finding,
    check_reason,
    known_bad_reason,
    location_reason,
    yara_reason,
)
from extriage.detections.webfiles.core_sites import core_sites_note
from extriage.detections.webfiles.knowledge import known_bad, location_rules
from extriage.detections.webfiles.paths import PathMatcher
from extriage.detections.webfiles.rules import RuleSet, build_ruleset
from extriage.detections.webfiles.urls import UrlMapper
from extriage.evidence.locate import LocatedFile, path_key, relative_to_install
from extriage.evidence.reading import read_artifact, read_bounded
from extriage.findings import Confidence, EvidenceLine, Finding, Outcome, Severity, TimelineEvent
from extriage.formats.iis_config import MAX_CONFIG_BYTES, AppHostConfig
from extriage.scan.context import PARALLEL_MIN_BYTES, FileOutcome, ScanContext, worker_context
from extriage.scan.facts import (
    AttackStories,
    Correlations,
    Detections,
    EventPivots,
    FindingIds,
    LogPivots,
    WebFilePivots,
)
from extriage.scan.stages import webfiles_il

FAMILY = "webfiles"
#: Places scanned in depth, as markers inside "/" + the lower-case path key.
PLACES: dict[str, str] = {
    "/inetpub/wwwroot/": "inetpub\\wwwroot",
    "/temporary asp.net files/": "Temporary ASP.NET Files",
    "/programdata/": "ProgramData",
    "/windows/temp/": "Windows\\Temp",
    "/users/public/": "Users\\Public",
}
#: Windows folders whose pages IIS serves once their role is installed, read in depth like :data:`PLACES`
#: whether or not the applicationHost.config is in the evidence, but not named as missing when absent
#: (most servers have no such role). B16, session 16: a shell in /certsrv or /iisadmpwd was only
#: header-checked and not named. Folder -> virtual directory from Microsoft's AD CS Web Enrollment
#: (/certsrv, NDES /certsrv/mscep), IIS password change (/iisadmpwd) and RD Web Access (/RDWeb) docs.
ROLE_PLACES: dict[str, str] = {
    "/windows/system32/certsrv/": "Windows\\System32\\CertSrv (/certsrv)",
    "/windows/system32/inetsrv/iisadmpwd/": "Windows\\System32\\inetsrv\\iisadmpwd (/iisadmpwd)",
    "/windows/web/rdweb/": "Windows\\Web\\RDWeb (/RDWeb)",
}
_ALL_PLACES = tuple(PLACES.items()) + tuple(ROLE_PLACES.items())
_ROOT_DIR = re.compile(r"^/[a-z]:/root/")
#: Never peeked: huge, Windows-owned, or read by other stages.
_NO_PEEK = ("/windows/winsxs/", "/windows/servicing/", "/windows/assembly/", "/windows/installer/")
_EXCHANGE_VDIRS = frozenset(
    {
        "owa",
        "ecp",
        "oab",
        "ews",
        "autodiscover",
        "mapi",
        "rpc",
        "powershell",
        "microsoft-server-activesync",
        "aspnet_client",
    }
)
#: Server pages (ASP.NET and classic ASP; not configs, and not .cer/.cdx, which are mostly certificates and
#: indexes outside IIS) that, outside the folders IIS serves, are named in the coverage as not read:
#: another web server may serve them (ScreenConnect's own server runs App_Extensions\*.ashx; X33,
#: session 15). Windows' own folders hold Microsoft's pages (ASP.NETWebAdminFiles) and are not named.
_PAGES = frozenset(content.SCRIPT_EXTENSIONS - {".config", ".cer", ".cdx"})
#: Read in depth wherever they are (ransom notes carry their proof in the content).
_DEEP_NAMES = frozenset({"readme.txt", "decrypt_file.txt"})
_BATCH_FILES = 400
_BATCH_BYTES = 16 * 1024 * 1024
_PEEK_BATCH = 1024
#: Trees of more files than this (read in depth) use every core even when they hold few bytes: the
#: per-file work, not the bytes, is then what costs.
PARALLEL_MIN_FILES = 2000
#: The main process examines batches beside its workers (tests turn it off to check the workers).
MAIN_EXAMINES = True


@dataclass(slots=True)
class Selection:
    deep: dict[str, tuple[LocatedFile, str]] = field(default_factory=dict)  # key -> (file, place)
    peek: list[LocatedFile] = field(default_factory=list)
    places: Counter[str] = field(default_factory=Counter)
    rel: dict[str, str] = field(default_factory=dict)  # key -> path inside the Exchange install
    #: Server pages no IIS folder holds (only peeked): IIS does not serve them, another web server may.
    outside: list[LocatedFile] = field(default_factory=list)


class WebFilesStage:
    name = "webfiles"
    requires = (LogPivots, EventPivots)
    provides = (WebFilePivots, Detections)

    def run(self, ctx: ScanContext) -> None:
        with content.gc_paused():  # tens of thousands of files: no full collections meanwhile
            self._run_stage(ctx)

    def _run_stage(self, ctx: ScanContext) -> None:
        inv = ctx.inventory
        installs = inv.exchange_installs
        configs = _iis_configs(ctx)
        vdirs = _iis_vdirs(configs)
        mapper = UrlMapper(installs, vdirs)
        matcher = PathMatcher(
            location_rules(), backend=str(ctx.options.extra.get("webfiles_path_engine", "re2"))
        )
        sel = _select(ctx, installs, [path_key(p) for p, _ in vdirs], matcher)
        ruleset = build_ruleset(list(ctx.options.rules_dirs), ctx.result.evidence_path)
        for message in ruleset.errors:
            ctx.result.coverage.warn(message)
        extra_baselines = tuple(str(p) for p in ctx.options.extra.get("webfiles_baseline", []))
        baseline: Baseline | None = None
        if extra_baselines:
            try:
                baseline = load_baseline(list(extra_baselines))
            except (OSError, ValueError) as exc:
                ctx.result.coverage.warn(
                    f"The extra baseline could not be loaded ({exc}); only the shipped baseline was used."
                )
                extra_baselines = ()
        engine = str(ctx.options.extra.get("webfiles_path_engine", "re2"))
        params = content.ContentParams(
            ruleset.serialized,
            ctx.options.max_file_size,
            ctx.options.file_timeout,
            external=any(s.external for s in ruleset.sources),
            path_engine=engine,
            baselines=extra_baselines,
            default_languages=_compile_languages(ctx),
        )
        work = [(f, content.DEEP, sel.rel.get(f.key)) for f, _ in sel.deep.values()]
        work += [(f, content.PEEK, None) for f in sel.peek]
        totals = _run(ctx, work, params)
        mapper.add_core_sites(f.key.rsplit("/", 1)[0] for f, _program in totals.core_sites if "/" in f.key)

        rules = location_rules()
        kb = known_bad()
        fam = ctx.result.coverage.family(FAMILY)
        facts_list: list[FileFacts] = []
        classes = totals.classes
        pending_baseline: list[tuple[FileFacts, str, str]] = []
        compiled: list[tuple[FileFacts, dict[str, Any]]] = []
        deferred: list[tuple[LocatedFile, FileOutcome]] = []
        deep_read = totals.plain_files
        fam.bytes += totals.plain_bytes
        peeked = totals.peeked
        content_scanned = totals.scanned
        lo, hi = totals.lo, totals.hi
        for f, _mode, out in totals.outcomes:
            data = out.data
            if out.sha256 is None:
                continue  # not read (the reason is in the skipped list)
            deep_read += 1
            fam.bytes += out.size
            mt = f.ref.mtime
            if mt is not None:
                lo = mt if lo is None or mt < lo else lo
                hi = mt if hi is None or mt > hi else hi
            bclass = data.get("bclass")
            hits = data.get("hits", [])
            loc = data.get("loc", [])
            bad = data.get("bad")
            if not (hits or loc or bad):
                if bclass in (MODIFIED, UNKNOWN):  # judged below, once baseline coverage is known
                    deferred.append((f, out))
                continue  # the fast path: nothing (yet) to say about this file
            facts = _facts(f, out, mapper)
            for i in loc:
                facts.reasons.append(location_reason(rules[i], f.logical))
            if bad:
                facts.reasons.append(known_bad_reason(str(bad), kb.source, out.sha256))
            for hit in hits:
                if hit["check"] == "yara":
                    facts.reasons.append(yara_reason(hit, facts.extension))
                elif hit["check"] == "behaviour":
                    facts.reasons.append(behaviour_reason(hit, facts.extension))
                elif hit["check"] == "compiled":
                    compiled.append((facts, hit))
                else:
                    reason = check_reason(hit)
                    if reason is not None:
                        facts.reasons.append(reason)
            if bclass in (MODIFIED, UNKNOWN):
                pending_baseline.append((facts, str(bclass), str(data.get("rel", ""))))
            facts_list.append(facts)
        callees: list[tuple[LocatedFile, tuple[str, ...], LocatedFile | None, str]] = [
            (f, methods, None, _page_ext(f)) for f, methods in totals.callees
        ]
        named_code = _named_code_files(ctx, totals.refs, params, facts_list, mapper, sel, callees)
        _across_files(ctx, callees, sel, params, facts_list, mapper)
        deep_read += named_code[1]
        code_files = totals.code_files + named_code[0]
        fam.files += deep_read
        fam.span(lo)
        fam.span(hi)
        if compiled and baseline is None:
            baseline = content.worker_baseline() or load_baseline([])

        inferred = infer_build(totals.builds)
        covered = classes[KNOWN_GOOD] > 0 and classes[KNOWN_GOOD] >= classes[MODIFIED]
        build_name = inferred.get("build") if isinstance(inferred.get("build"), str) else None
        if covered:
            for f, out in deferred:
                facts = _facts(f, out, mapper)
                facts_list.append(facts)
                pending_baseline.append((facts, str(out.data["bclass"]), str(out.data.get("rel", ""))))
            for f, sha, size, bclass, rel in totals.quiet:
                url = mapper.url_for(f.key, f.logical)
                facts = FileFacts(
                    content.display(f), f.logical, content.file_name(f), sha, size, f.ref.mtime, url
                )
                facts_list.append(facts)
                pending_baseline.append((facts, bclass, rel))
            for facts, cls, rel in pending_baseline:
                if cls == UNKNOWN and facts.extension not in content.SCRIPT_EXTENSIONS | {".dll"}:
                    continue
                reason = baseline_reason(
                    cls, rel, facts.extension, True, str(build_name) if build_name else None
                )
                if reason is not None:
                    facts.reasons.append(reason)
        elif pending_baseline or deferred or totals.quiet:
            fam.notes.append(_unjudged_note(pending_baseline, deferred, totals.quiet))
        webfiles_il.assemblies(ctx, sel, totals, covered, params, facts_list, mapper, fam.notes)
        legit = legit_pages(baseline) if compiled and baseline is not None else set()
        for facts, hit in compiled:
            ok = _compiled_ok(str(hit.get("virtual_path", "")), legit)
            reason = check_reason(hit, compiled_ok=ok)
            if reason is not None:
                facts.reasons.append(reason)

        mine: list[Finding] = []
        links: list[tuple[Finding, FileFacts]] = []
        for facts in facts_list:
            finding = build_finding(facts)
            if finding is None:
                continue
            mine.append(finding)
            links.append((finding, facts))
        _application_pages(ctx, links, installs, totals.refs, fam.notes)
        _raise_staging(ctx, mine)
        pivots = ctx.facts.get(WebFilePivots)
        webshell_paths = pivots.webshell_paths
        suspicious: list[dict[str, Any]] = []
        for finding, facts in links:
            ctx.add_finding(finding)
            if facts.mtime is not None:
                event = TimelineEvent(
                    timestamp=facts.mtime,
                    source=facts.display,
                    line=None,
                    kind="file-modified",
                    summary=f"{finding.title} last written (modification time from the collection)",
                    raw=facts.logical,
                )
                ctx.add_event(event)
                pivots.events.append((event, finding))
            if finding.severity >= Severity.MEDIUM and appcontext.APPLICATION_FEATURE_TAG not in finding.tags:
                if mapper.core_site_of(path_key(facts.logical)) is None:
                    webshell_paths.add(facts.logical.lower())  # (a Core site's file: only its route, below)
                if facts.url:
                    webshell_paths.add(facts.url.lower())
            suspicious.append(
                {
                    "path": facts.logical,
                    "display": facts.display,
                    "sha256": facts.sha256,
                    "size": facts.size,
                    "modified": facts.mtime.isoformat().replace("+00:00", "Z") if facts.mtime else None,
                    "url": facts.url,
                    "severity": finding.severity.label(),
                    "outcome": finding.outcome.value,
                    "classification": list(finding.tags),
                }
            )
        pivots.links = links

        missing = [label for marker, label in PLACES.items() if sel.places[label] == 0]
        if not sel.rel:
            missing.insert(0, "Exchange FrontEnd\\HttpProxy and ClientAccess web folders")
        fam.notes.append(
            f"{deep_read} file{'s' if deep_read != 1 else ''} read in depth ({content_scanned} content-scanned "
            f"with {ruleset.rule_count} YARA rules), {peeked} other file{'s' if peeked != 1 else ''} "
            "header-checked for minidumps and DEARCRY!"
        )
        if code_files:
            fam.notes.append(
                f"{code_files} source file{'s' if code_files != 1 else ''} ASP.NET compiles itself (App_Code, "
                "code-behind, a page's CodeFile/Src) analysed as server code."
            )
        fam.notes.append(_rule_sets_note(ruleset))
        if sel.outside:
            fam.notes.append(_outside_note(sel.outside))
        cores = _core_sites(totals.core_sites)
        if cores:
            fam.notes.append(core_sites_note(cores))
        before = len(ctx.result.findings)
        modules = _iis_modules(ctx, configs)
        if modules:
            odd = len(ctx.result.findings) - before
            fam.notes.append(
                f"{modules} native IIS module{'s' if modules != 1 else ''} and the server-wide managed modules "
                "registered in applicationHost.config checked against those IIS, Exchange and Microsoft ship: "
                + (f"{odd} {'is' if odd == 1 else 'are'} not theirs (see the findings)." if odd else "all are theirs.")
            )
        elif not configs:
            collected = any(f.key.endswith("inetsrv/config/applicationhost.config") for f in inv.files)
            fam.notes.append(
                "IIS modules not checked: "
                + (
                    "the applicationHost.config in the evidence could not be read (see the coverage warnings)"
                    if collected
                    else "no applicationHost.config in the evidence (collect C:\\Windows\\System32\\inetsrv\\config)"
                )
                + ": IIS backdoors that are modules are registered there."
            )
        if missing and not inv.plain:
            fam.notes.append("Not in the evidence, so not covered: " + ", ".join(missing) + ".")
        if build_name:
            fam.notes.append(
                f"Exchange web files match build {build_name} ({classes[KNOWN_GOOD]} known-good files)."
            )
        ctx.result.extras[FAMILY] = {
            "places": dict(sel.places),
            "not_covered": missing,
            "files_read": deep_read,
            "files_content_scanned": content_scanned,
            "files_header_checked": peeked,
            "pages_outside_web_folders": [f.display() for f in sel.outside[:OUTSIDE_LISTED]],
            "pages_outside_web_folders_count": len(sel.outside),
            "aspnet_core_sites": [{"folder": folder, "runs": program} for folder, program in cores],
            "code_files_analysed": code_files,
            "rules": {
                "count": ruleset.rule_count,
                "files": [s.origin for s in ruleset.sources],
                "external": [s.origin for s in ruleset.sources if s.external],
                "errors": list(ruleset.errors),
                "behaviour": behaviour_catalogue(),
            },
            "baseline": {
                "known_good": classes[KNOWN_GOOD],
                "modified": classes[MODIFIED],
                "unknown": classes[UNKNOWN],
                "covers_this_build": covered,
                "extra_baselines": extra_baselines,
                "inferred_build": inferred,
                "source": "microsoft/CSS-Exchange Baselines (MIT), 131 builds up to the March 2021 SUs",
            },
            "suspicious_files": suspicious,
        }


#: Pages outside web folders listed by name in the coverage note and the JSON (the count is whole).
OUTSIDE_LISTED = 20


#: Exchange pages no baseline judged are named in the coverage up to this many (a few customised or
#: planted pages among known-good ones; past it the build itself is newer than the baselines).
_UNJUDGED_NAMED = 10


def _core_sites(named: list[tuple[LocatedFile, str]]) -> list[tuple[str, str]]:
    """(folder, program) of every web.config read in depth that hands its site to the ASP.NET Core Module
    (the content checks note what it starts: :data:`content.ASPNET_CORE`)."""
    sites: list[tuple[str, str]] = []
    for f, program in named:
        shown = content.display(f)
        sites.append((shown[: max(shown.replace("\\", "/").rfind("/"), 0)] or shown, program))
    return sorted(sites)


def _unjudged_note(
    pending: list[tuple[FileFacts, str, str]],
    deferred: list[tuple[LocatedFile, FileOutcome]],
    quiet: list[tuple[LocatedFile, str, int, str, str]],
) -> str:
    """Coverage note for Exchange files no shipped baseline judged, naming the first pages among them: a
    customised or tampered ``owa/auth/logon.aspx`` is the classic credential-harvester spot, and a count
    alone gave the reviewer nothing to open (B16, session 16)."""
    n = len(pending) + len(deferred) + len(quiet)
    names = [facts.display for facts, _cls, _rel in pending] + [content.display(f) for f, _o in deferred]
    names += [content.display(f) for f, *_rest in quiet]
    pages = sorted({p for p in names if posixpath.splitext(p.replace("\\", "/"))[1].lower() in _PAGES})
    note = (
        f"Files under Exchange's web folders that match no shipped baseline: {n} (baselines end at the March "
        "2021 updates): modified/unknown pages were not judged; location, YARA and hash checks still ran."
    )
    if 0 < len(pages) <= _UNJUDGED_NAMED:  # (a whole build newer than the baselines: hundreds, no use named)
        note += " Pages among them, to compare with a clean server's: " + "; ".join(pages) + "."
    return note


def _outside_note(pages: list[LocatedFile]) -> str:
    n = len(pages)
    shown = ", ".join(f.display() for f in pages[:3]) + (f" and {n - 3} more" if n > 3 else "")
    return (
        f"{n} server page{'s' if n != 1 else ''} outside the folders IIS serves here {'were' if n != 1 else 'was'} "
        f"only header-checked, not read for web shells ({shown}): IIS does not serve "
        f"{'them' if n != 1 else 'it'}, but another web server might (ScreenConnect's own server runs its "
        "App_Extensions pages). If one does, scan that folder as evidence of its own: every file of a plain "
        "folder is read."
    )


def _facts(f: LocatedFile, out: FileOutcome, mapper: UrlMapper) -> FileFacts:
    url = mapper.url_for(f.key, f.logical)
    return FileFacts(out.path, f.logical, content.file_name(f), out.sha256, out.size, f.ref.mtime, url)


def _resolve_ref(page_key: str, ref: str, files: dict[str, LocatedFile]) -> LocatedFile | None:
    """The file a page's ``CodeFile``/``Src`` names: relative to the page's folder, or ``~/``- and
    ``/``-rooted (the application root is not known from a copy: the nearest folder above the page
    holding that path). A server's absolute path (``C:\\...``, ``\\\\host\\...``, as a config's
    compilerOptions name files) does not hold in the evidence: the file of that name in the naming
    file's own folder, else the file whose path ends in the longest tail of it (its folder and name at
    least)."""
    ref = ref.replace("\\", "/").strip().lower()
    folder = page_key.rsplit("/", 1)[0] if "/" in page_key else ""
    if re.match(r"[a-z]:/|//", ref):
        parts = [p for p in ref[2:].split("/") if p not in ("", ".")]
        if not parts or ".." in parts:
            return None
        found = files.get(f"{folder}/{parts[-1]}" if folder else parts[-1])
        if found is not None:
            return found
        best, longest = None, 1
        for key, f in files.items():
            if key.endswith("/" + parts[-1]) or key == parts[-1]:
                for n in range(len(parts), longest, -1):
                    tail = "/".join(parts[-n:])
                    if key == tail or key.endswith("/" + tail):
                        best, longest = f, n
                        break
        return best
    if ref.startswith(("~/", "/")):
        rest = ref.lstrip("~").lstrip("/")
        parts = folder.split("/")
        for i in range(len(parts), 0, -1):
            found = files.get(posixpath.normpath("/".join(parts[:i]) + "/" + rest))
            if found is not None:
                return found
        return None
    return files.get(posixpath.normpath(folder + "/" + ref) if folder else posixpath.normpath(ref))


def _named_code_files(
    ctx: ScanContext,
    refs: list[tuple[LocatedFile, tuple[str, str]]],
    params: content.ContentParams,
    facts_list: list[FileFacts],
    mapper: UrlMapper,
    sel: Selection,
    callees: list[tuple[LocatedFile, tuple[str, ...], LocatedFile | None, str]] | None = None,
) -> tuple[int, int]:
    """Files whose code pages take in and whose path does not already say so: source files named in
    ``CodeFile``/``Src`` (a page can take its code from ``img/x.cs``, not ``App_Code``), a
    ``<script runat=server src>`` file of any name (its text is the script: C# or VB by its text) and
    ``#include`` files (parsed as part of the page: read as a page of the includer's kind). They are
    few (usually none), so they are analysed here, in the main process; their behaviour hits join the
    file's finding. A page or source file read as itself anyway is not read again. Returns (files
    analysed, of them read only now). ``callees``: given those that hold a dangerous operation, with
    the methods they define and the page that takes them in."""
    if not refs:
        return 0, 0
    files = {f.key: f for f in ctx.inventory.files}
    by_path = {facts.display: facts for facts in facts_list}
    done: set[str] = set()
    newly = 0
    for page, (how, ref) in refs:
        f = _resolve_ref(page.key, ref, files)
        if f is None or f.key in done:
            continue
        name = content.file_name(f)
        dot = name.rfind(".")
        ext = name[dot:].lower() if dot >= 0 else ""
        read_as: str | None = None
        if content.compiled_code(f.key, name) or (ext in PAGE_EXTENSIONS and f.key in sel.deep):
            continue  # App_Code, a code-behind or a page read in depth: analysed as itself already
        if how == "include":  # whatever its name, its text is part of the page
            why, read_as = f"included by {page.logical} (#include), parsed as part of that page", _page_ext(page)
        elif how == "script":
            why = f"the src of a <script runat=server> in {page.logical}, compiled as its code"
            read_as = None if ext in content.CODE_EXTENSIONS else content.CODE
        elif how == "compiler":  # csc compiles it with every page of the config's folder (X38, session 17)
            why = f"named by compilerOptions in {page.logical}, compiled with the folder's pages"
            read_as = None if ext in content.CODE_EXTENSIONS else content.CODE
        elif ext in content.CODE_EXTENSIONS:
            why = f"{content.NAMED_BY_PAGE} in {page.logical}"
        else:
            continue
        done.add(f.key)
        try:
            out = content.examine(content.target(f), content.DEEP, params, None, compiled=why, read_as=read_as)
        except OSError as exc:
            ctx.result.coverage.warn(f"{f.display()} (named by {page.logical}) could not be read ({exc}).")
            continue
        if f.key not in sel.deep:  # outside the places read in depth: recorded as read now
            out.mtime = f.ref.mtime
            ctx.merge(out)
            newly += 1
        if callees is not None and out.data.get("methods"):
            callees.append(
                (f, tuple(out.data["methods"]), page, read_as if read_as not in (None, content.CODE) else ext)
            )
        hits = [h for h in out.data.get("hits", []) if h.get("check") == "behaviour"]
        if not hits or out.sha256 is None:
            continue
        facts = by_path.get(out.path)
        if facts is None:
            facts = _facts(f, out, mapper)
            facts_list.append(facts)
            by_path[out.path] = facts
        for hit in hits:
            facts.reasons.append(behaviour_reason(hit, facts.extension))
    return len(done), newly


def _page_ext(page: LocatedFile) -> str:
    name = content.file_name(page)
    return name[name.rfind(".") :].lower() if "." in name else ".aspx"


def _install_rel(key: str, installs: list[str]) -> str | None:
    rel = relative_to_install(key, installs)
    if rel is None or not rel.startswith(("frontend/httpproxy/", "clientaccess/")):
        return None
    return rel


def _select(ctx: ScanContext, installs: list[str], vdir_keys: list[str], matcher: PathMatcher) -> Selection:
    inv = ctx.inventory
    sel = Selection()
    everything = inv.plain
    named = ctx.facts.get(LogPivots).webshell_paths | ctx.facts.get(EventPivots).webshell_paths
    wanted_paths = {path_key(p) for p in named if "\\" in p or ":" in p}
    vdir_prefixes = tuple(v + "/" for v in vdir_keys)  # one C call per file (was a generator per file)
    for f in inv.files:
        k = "/" + f.key
        place = None
        rel = _install_rel(f.key, installs)
        if rel is not None:
            place = "Exchange web folders"
            sel.rel[f.key] = rel
        else:
            for marker, label in _ALL_PLACES:
                if marker in k:
                    place = label
                    break
            if place is None and _ROOT_DIR.match(k):
                place = "C:\\root"
            if place is None and f.key.startswith(vdir_prefixes):
                place = "IIS site folders"
            if place is None and (
                everything
                or f.key in wanted_paths
                or content.file_name(f).lower() in _DEEP_NAMES
                or matcher.match(f.key)
            ):
                place = "evidence folder" if everything else "named by rules or logs"
            if place == "evidence folder" and ctx.sha256_for(f.display()) is not None:
                sel.places["read as logs by earlier stages"] += 1
                continue  # a plain folder of logs: the log stages read (and hashed) these already
        if place is not None:
            sel.deep[f.key] = (f, place)
            sel.places[place] += 1
        elif f.ref.size >= 8 and not any(m in k for m in _NO_PEEK) and "/logging/" not in k:
            sel.peek.append(f)
            if posixpath.splitext(k)[1] in _PAGES and "/windows/" not in k:
                sel.outside.append(f)
    return sel


Item = tuple[int, str, content.Target, str | None]


@dataclass(slots=True)
class RunTotals:
    """What the workers found: files worth a look in ``outcomes``, the rest folded into counts."""

    outcomes: list[tuple[LocatedFile, str, FileOutcome]] = field(default_factory=list)
    #: Read files whose only note is a modified/unknown baseline class: (file, sha256, size, class, rel).
    quiet: list[tuple[LocatedFile, str, int, str, str]] = field(default_factory=list)
    builds: Counter[tuple[str, ...]] = field(default_factory=Counter)
    classes: Counter[str] = field(default_factory=Counter)
    peeked: int = 0
    scanned: int = 0
    plain_files: int = 0
    plain_bytes: int = 0
    lo: datetime | None = None
    hi: datetime | None = None
    done: int = 0  # bytes of finished batches, for the progress bar
    #: Source files pages name in their directive (CodeFile/Src): (the page, the path as written).
    refs: list[tuple[LocatedFile, tuple[str, str]]] = field(default_factory=list)
    #: web.config files handing their site to the ASP.NET Core Module: (the config, the program it starts).
    core_sites: list[tuple[LocatedFile, str]] = field(default_factory=list)
    code_files: int = 0  # source files analysed as code ASP.NET compiles (App_Code, code-behind)
    #: Of them, those holding a dangerous operation: (the file, the methods and members it defines).
    callees: list[tuple[LocatedFile, tuple[str, ...]]] = field(default_factory=list)


def _batches(costs: list[tuple[str, int]]) -> Iterator[tuple[int, int]]:
    """Contiguous ``[start, end)`` ranges of the work list, given each file's (mode, size): up to
    _BATCH_FILES files / _BATCH_BYTES."""
    start = 0
    size = 0
    for i, (mode, fsize) in enumerate(costs):
        cost = fsize if mode == content.DEEP else 0
        limit = _BATCH_FILES if mode == content.DEEP else _PEEK_BATCH
        if i > start and (i - start >= limit or size + cost > _BATCH_BYTES or costs[i - 1][0] != mode):
            yield start, i
            start, size = i, 0
        size += cost
    if start < len(costs):
        yield start, len(costs)


def _items(work: list[tuple[LocatedFile, str, str | None]], a: int, b: int) -> list[Item]:
    """The work items of ``work[a:b]`` (what a batch ships to a worker)."""
    part = work[a:b]
    made = content.targets(f for f, _, _ in part)
    return [(i, mode, t, rel) for i, (_f, mode, rel), t in zip(range(a, b), part, made, strict=True)]


def _run(
    ctx: ScanContext, work: list[tuple[LocatedFile, str, str | None]], params: content.ContentParams
) -> RunTotals:
    """Run the per-file pipeline over every core (largest files first), merging as results arrive."""
    total = deep_files = 0
    for f, m, _ in work:
        if m == content.DEEP:
            total += f.ref.size
            deep_files += 1
    total = total or 1
    workers = ctx.options.workers()
    parallel = workers > 1 and (
        total >= PARALLEL_MIN_BYTES or (deep_files >= PARALLEL_MIN_FILES and _spare_core(workers))
    )
    if not parallel:
        return _run_here(ctx, work, params, None)
    # Workers come from the scan's fork server (scan.context.worker_context): lean processes that
    # build the rules in the initializer and get batches pickled; a plain fork would carry a copy of
    # the whole main process (~90 MB by this stage) and break the < 300 MB budget of the scan.
    # The pool starts before the work list is built (a first no-op task starts the workers), so
    # their start-up overlaps the main process's own preparation.
    with cf.ProcessPoolExecutor(
        max_workers=workers - 1,
        mp_context=worker_context(),
        initializer=content.init_worker,
        initargs=(params,),
    ) as pool:
        for _ in range(workers - 1):
            pool.submit(int)
        return _run_here(ctx, work, params, pool)


def _spare_core(workers: int) -> bool:
    """Whether a second process would find a core to run on, for a tree of many *small* files (its
    main process then does about as much as one process alone would: the split pays off only on a
    core nobody else uses). Asked of the threads runnable *now* (Linux ``/proc/loadavg``), not of the
    1-minute load average: that counts the scan's own log and event stages, which ran on every core
    just before this one, the benchmark's ``yara`` threads, and processes waiting for the disk (a
    load of 4-9 with one thread runnable was seen on this machine), so it kept this stage in one
    process on most runs. Where there is no runnable count, the load average decides as before.
    Trees of many bytes use their workers whatever the load."""
    running = _runnable_now()
    if running is not None:
        return running - 1 < workers - 1  # threads of others than this one
    try:
        return os.getloadavg()[0] < workers - 0.5
    except OSError:  # no load average on this platform: assume the cores are ours
        return True


def _runnable_now() -> int | None:
    """Threads runnable on the machine at this moment, this one included (``/proc/loadavg``): the
    median of three readings 1 ms apart, so a process that runs for an instant (a shell command)
    does not decide, while a busy one, runnable at every reading, does."""
    counts = []
    for i in range(3):
        if i:
            time.sleep(0.001)
        try:
            with open("/proc/loadavg", encoding="ascii") as fh:
                counts.append(int(fh.read().split()[3].split("/")[0]))
        except (OSError, ValueError, IndexError):
            return None
    return sorted(counts)[1]


def _run_here(
    ctx: ScanContext,
    work: list[tuple[LocatedFile, str, str | None]],
    params: content.ContentParams,
    pool: cf.ProcessPoolExecutor | None,
) -> RunTotals:
    work = sorted(work, key=lambda w: (w[1] != content.DEEP, -w[0].ref.size))
    total = sum(f.ref.size for f, m, _ in work if m == content.DEEP) or 1
    totals = RunTotals()
    ranges = list(_batches([(m, f.ref.size) for f, m, _ in work]))
    content.init_worker(params)  # the main process examines files too
    if pool is None or len(ranges) <= 1:
        items = _items(work, 0, len(work))
        for a, b in ranges:
            batch = items[a:b]
            _absorb(ctx, work, items, batch, content.examine_batch(batch, params), totals, total)
        return totals
    # The main process works too (it would otherwise wait): the pool is given the batches from the
    # end of the list, the main process takes them from the front and claims each by cancelling
    # its still-queued future, until it meets one a worker has started; then it collects the rest.
    # So every core works, and a worker slowed by other load leaves more to the main process.
    # Each batch's items are made as it is submitted, the pool's first batch first: a worker starts
    # on it while the main process makes the others (not after all 20,000 of them).
    futures: dict[cf.Future[content.BatchResult], tuple[int, int]] = {}
    by_range: dict[tuple[int, int], cf.Future[content.BatchResult]] = {}
    made: list[list[Item]] = []
    for a, b in reversed(ranges):
        batch = _items(work, a, b)
        made.append(batch)
        fut = pool.submit(content.examine_batch, batch, None)
        futures[fut] = (a, b)
        by_range[(a, b)] = fut
    items = [item for part in reversed(made) for item in part]
    for a, b in ranges if MAIN_EXAMINES else ():
        fut = by_range[(a, b)]
        if not fut.cancel():
            break  # a worker has it: the rest are started or done
        del futures[fut]
        batch = items[a:b]
        _absorb(ctx, work, items, batch, content.examine_batch(batch, params), totals, total)
    for fut in cf.as_completed(futures):
        a, b = futures[fut]
        batch = items[a:b]
        try:
            res = fut.result()
        except Exception as exc:  # a worker died: report its files, never lose them silently
            res = content.BatchResult(
                outcomes=[(i, content._skipped(t, f"worker failed: {exc}")) for i, _, t, _ in batch]
            )
        _absorb(ctx, work, items, batch, res, totals, total)
    return totals


def _absorb(
    ctx: ScanContext,
    work: list[tuple[LocatedFile, str, str | None]],
    items: list[Item],
    batch: list[Item],
    res: content.BatchResult,
    totals: RunTotals,
    total: int,
) -> None:
    lo, hi = totals.lo, totals.hi
    for idx, sha, size in res.plain:
        f = work[idx][0]
        mt = f.ref.mtime
        ctx.record_file(items[idx][2].shown, sha, size, mt)
        totals.plain_bytes += size
        if mt is not None:
            lo = mt if lo is None or mt < lo else lo
            hi = mt if hi is None or mt > hi else hi
    for idx, sha, size, bclass, rel in res.quiet:
        f = work[idx][0]
        mt = f.ref.mtime
        ctx.record_file(items[idx][2].shown, sha, size, mt)
        totals.plain_bytes += size
        if mt is not None:
            lo = mt if lo is None or mt < lo else lo
            hi = mt if hi is None or mt > hi else hi
        totals.quiet.append((f, sha, size, bclass, rel))
    totals.lo, totals.hi = lo, hi
    totals.plain_files += len(res.plain) + len(res.quiet)
    for idx, out in res.outcomes:
        f, mode, _ = work[idx]
        out.mtime = f.ref.mtime
        ctx.merge(out)
        totals.outcomes.append((f, mode, out))
    totals.builds.update(res.builds)
    totals.classes.update(res.classes)
    totals.peeked += res.peeked
    totals.scanned += res.scanned
    totals.code_files += res.code_files
    for idx, ref in res.refs:
        if ref[0] == content.ASPNET_CORE:  # no file to read: what a Core site's web.config starts
            totals.core_sites.append((work[idx][0], ref[1]))
        else:
            totals.refs.append((work[idx][0], ref))
    for idx, methods in res.callees:
        totals.callees.append((work[idx][0], methods))
    totals.done += sum(t.size for _, m, t, _ in batch if m == content.DEEP)
    ctx.progress("web files", min(total, totals.done), total)


def _rule_sets_note(ruleset: RuleSet) -> str:
    """One coverage sentence naming every rule set that ran on file content."""
    own = ", ".join(s.origin for s in ruleset.sources if not s.external)
    ext = [s.origin for s in ruleset.sources if s.external]
    if ext:
        shown = ", ".join(ext[:5]) + (", ..." if len(ext) > 5 else "")
        external = f"external YARA rules from --rules ({len(ext)} files: {shown})"
    else:
        external = "no external YARA rules (--rules)"
    know = behaviour_catalogue()
    behaviour = (
        f"behaviour analysis of ASP.NET server code ({len(know['sources'])} request sources, "
        f"{len(know['sinks'])} dangerous-operation sinks, {len(know['config'])} web.config rules; "
        "data/behaviour.yml)"
    )
    return f"Rule sets run on file content: extriage's own YARA rules ({own}); {external}; {behaviour}."


def _compile_languages(ctx: ScanContext) -> tuple[tuple[str, str], ...]:
    """``<compilation defaultLanguage>`` of every ``web.config`` of the evidence: the language a page
    that names none is compiled in (:mod:`~extriage.detections.webfiles.compile_language`). Each file
    is read here, hashed and recorded; one that cannot be read or is too large sets nothing (the
    stage's own read of it reports it)."""
    pairs: list[tuple[str, str]] = []
    for f in ctx.inventory.files:
        key = f.key
        if not (key == "web.config" or key.endswith("/web.config")):
            continue
        try:
            data, sha = read_bounded(f.ref, f.ref.size, MAX_CONFIG_BYTES)
        except OSError:
            continue
        ctx.record_file(f.display(), sha, f.ref.size, f.ref.mtime)
        if len(data) <= MAX_CONFIG_BYTES:
            pairs += compile_language.config_languages(key.rpartition("/")[0], data, f.display())
    return compile_language.default_languages(pairs)


def _iis_configs(ctx: ScanContext) -> list[tuple[LocatedFile, str, bytes, AppHostConfig]]:
    """Every collected applicationHost.config that parses: (file, SHA-256, bytes, parsed)."""
    from extriage.formats.iis_config import ConfigError, parse_application_host

    out: list[tuple[LocatedFile, str, bytes, AppHostConfig]] = []
    for f in ctx.inventory.files:
        if not f.key.endswith("inetsrv/config/applicationhost.config") or f.ref.size > 16 * 1024 * 1024:
            continue
        try:
            with read_artifact(f.ref) as reader:
                data = reader.read(16 * 1024 * 1024 + 1)
                reader.drain()
                sha = reader.hexdigest()
                ctx.record_file(f.display(), sha, reader.bytes_read, f.ref.mtime)
            out.append((f, sha, data, parse_application_host(data, f.display())))
        except (OSError, ConfigError) as exc:
            ctx.result.coverage.warn(f"{f.display()} could not be used to find IIS site folders ({exc}).")
    return out


def _iis_vdirs(configs: list[tuple[LocatedFile, str, bytes, AppHostConfig]]) -> list[tuple[str, str]]:
    """(physical path, URL path) of every IIS virtual directory in the collected applicationHost.config."""
    pairs: list[tuple[str, str]] = []
    for _f, _sha, _data, cfg in configs:
        for site in cfg.sites:
            for app in site.applications:
                for vd in app.vdirs:
                    if vd.physical_path:
                        url = app.path.rstrip("/") + "/" + vd.path.strip("/")
                        pairs.append((vd.physical_path, url))
    return pairs


#: A native module's DLL is read (hashed, its version resource parsed) up to this size.
_MODULE_DLL_LIMIT = 64 * 1024 * 1024


def _line_at(data: bytes, n: int, otherwise: str) -> str:
    """Line ``n`` of a config, stripped and capped, for a finding's evidence (decoded only when a module is
    reported: most scans report none)."""
    lines = data.decode("utf-8", "replace").splitlines()
    return lines[n - 1].strip()[:500] if 0 < n <= len(lines) else otherwise


def _iis_modules(ctx: ScanContext, configs: list[tuple[LocatedFile, str, bytes, AppHostConfig]]) -> int:
    """Review findings for native and server-wide managed modules IIS and Exchange do not register (see
    :mod:`~extriage.detections.webfiles.iis_modules`); the number of modules checked."""
    checked = 0
    for f, sha, data, cfg in configs:
        checked += len(cfg.global_modules)
        for entry in iis_modules.unexpected_modules(cfg):
            raw = _line_at(data, entry.line, entry.image)
            dll = None
            located = ctx.inventory.lookup(iis_modules.image_path(entry.image)) if entry.image else None
            if located is not None:
                try:
                    body, dll_sha = read_bounded(located.ref, located.ref.size, _MODULE_DLL_LIMIT)
                    ctx.record_file(located.display(), dll_sha, located.ref.size, located.ref.mtime)
                    if len(body) > _MODULE_DLL_LIMIT:
                        dll = iis_modules.ModuleFile(located.display(), dll_sha, located.ref.size, {}, "too large to parse")
                    else:
                        dll = iis_modules.read_module_file(body, located.display(), dll_sha, located.ref.size)
                except OSError as exc:
                    ctx.skip(located.display(), f"native IIS module DLL could not be read: {exc}")
            ctx.add_finding(iis_modules.module_finding(entry, f.display(), sha, raw, dll))
        for managed in iis_modules.unexpected_managed(cfg):
            ctx.add_finding(iis_modules.managed_finding(managed, f.display(), sha, _line_at(data, managed.line, managed.type)))
    return checked


#: The legitimate pages of the last baseline index: the shipped index is one object per process,
#: shared by every :func:`load_baseline` result (each has its own ``extra`` table), and listing its
#: 60,000 paths cost more than the rest of the compiled-page check on every scan. The scan's prepare
#: thread (:mod:`extriage.scan.prepare`) lists them beside the logs stage.
_LEGIT: list[tuple[dict[str, tuple[int, int]], int, set[str]]] = []


def legit_pages(baseline: Baseline) -> set[str]:
    """URL paths (lower case, build folders as ``version``) of every page an Exchange build ships."""
    index = baseline.index
    pages = next((got for known, size, got in _LEGIT if known is index and size == len(index)), None)
    if pages is None:
        pages = _list_legit_pages(index)
        _LEGIT[:] = [(index, len(index), pages)]
    if baseline.extra:  # a baseline's own CSVs: their pages too (not kept: each call has its own table)
        return pages | _list_legit_pages(baseline.extra)
    return pages


def _list_legit_pages(paths: Iterable[str]) -> set[str]:
    pages: set[str] = set()
    for rel in paths:
        for root in ("frontend/httpproxy/", "clientaccess/"):
            if rel.startswith(root) and rel.endswith((".aspx", ".ashx", ".asmx", ".svc", ".asax", ".ascx")):
                pages.add("/" + rel[len(root) :])
    return pages


def _compiled_ok(virtual_path: str, legit: set[str]) -> bool:
    """Whether a compiled page's virtual path is legitimate (or outside Exchange's folders)."""
    vp = virtual_path.strip().lstrip("~").replace("\\", "/").lower()
    if not vp.startswith("/"):
        vp = "/" + vp
    first = vp.strip("/").split("/", 1)[0]
    if first not in _EXCHANGE_VDIRS:
        return True  # another application's page: not Exchange's business
    if first == "aspnet_client":
        return False
    norm = "/" + normalise_relative("frontend/httpproxy" + vp)[len("frontend/httpproxy/") :]
    return norm in legit


def _application_pages(
    ctx: ScanContext,
    links: list[tuple[Finding, FileFacts]],
    installs: list[str],
    refs: list[tuple[LocatedFile, tuple[str, str]]],
    notes: list[str],
) -> None:
    """Findings of pages whose every reason is a feature installed applications ship (a file manager,
    a SQL console), that are tied into their application's build and linked from its other files:
    reported for review, not as web shells (:mod:`~extriage.detections.webfiles.appcontext`). Never
    inside Exchange's install: no other application belongs there."""
    candidates: dict[str, tuple[Finding, list[str]]] = {}
    urls: dict[str, str | None] = {}
    files: dict[str, LocatedFile] = {}
    for finding, facts in links:
        sinks = appcontext.feature_sinks(r.classification for r in facts.reasons)
        key = path_key(facts.logical)
        if sinks is None or relative_to_install(key, installs) is not None:
            continue
        if not files:
            files = {f.key: f for f in ctx.inventory.files}
        if key in files:  # (a page known by another key - never seen - simply stays a web shell)
            candidates[key] = (finding, sinks)
            urls[key] = facts.url
    if not candidates:
        return
    flagged = {path_key(facts.logical) for _, facts in links}
    owners: dict[str, str] = {}  # a code or include file -> the page that takes it in (it is reached through it)
    for page, (_how, ref) in refs:
        named = _resolve_ref(page.key, ref, files)
        if named is not None and named.key in candidates:
            owners.setdefault(named.key, page.key)

    def read(key: str) -> tuple[bytes, str] | None:
        f = files[key]
        shown = f.display()
        limit = appcontext.max_linking_size(key)
        try:
            data, sha = read_bounded(f.ref, f.ref.size, limit)
        except OSError:
            return None  # a file the stage could not read is listed by it; here it only links nothing
        if len(data) > limit:
            return None
        ctx.record_file(shown, sha, f.ref.size, f.ref.mtime)
        return data, sha

    # a page must be tied into the application's build (master page, code-behind, its classes or
    # namespaces) as well as linked: a link alone costs an intruder one line
    keyset = set(files)
    folders = appcontext.root_folders(keyset)
    orphans = [k for k in candidates if k not in owners and k.endswith((".cs", ".vb"))]
    listing = {k: (f.display(), f.ref.size) for k, f in files.items()}
    if orphans:  # a handler's class in App_Code: its handler names it in CodeBehind
        for code, owner in appcontext.find_owners(orphans, listing, read, folders).items():
            owners.setdefault(code, owner)
    ties: dict[str, str] = {}
    for key in candidates:
        got = read(key)
        tie = None if got is None else appcontext.integration(
            key, got[0], keyset, appcontext.application_roots(key, folders), owners
        )
        if tie is not None:
            ties[key] = tie
    if not ties:
        return
    found, unsettled = appcontext.find_links({k: urls[k] for k in ties}, listing, flagged, read, owners)
    # --reviewed: the SHA-256 values the user confirmed, read by the command (it travels to fleet workers)
    given = ctx.options.extra.get("reviewed_pages") or {}
    reviewed = {str(h) for h in given.get("sha256", ())}
    reviewed_file = str(given.get("source", "--reviewed"))
    for key, link in found.items():
        finding, sinks = candidates[key]
        appcontext.as_review(finding, sinks, link, ties[key])
        if any(h.lower() in reviewed for h in finding.indicators.hashes):
            appcontext.mark_reviewed(finding, reviewed_file)
    if found:
        notes.append(
            f"{len(found)} flagged page{'s' if len(found) != 1 else ''} tied into an installed application's build "
            "and linked from its other files, that only do what such applications ship (file managers, SQL "
            "consoles, download handlers, proxies), reported for review rather than as web shells."
        )
    if unsettled:
        notes.append(
            f"{len(unsettled)} flagged page{'s' if len(unsettled) != 1 else ''} could not be checked for links "
            "from their application (the look for links is bounded): reported as web shells."
        )


def _raise_staging(ctx: ScanContext, mine: list[Finding]) -> None:
    """Archives in ProgramData are weak alone; on a server that shows exploitation they are staging."""
    exploited = any(
        f.outcome in (Outcome.SUCCESS, Outcome.WEBSHELL)
        for f in list(ctx.result.findings) + mine
        if f.rule_id != "WF-LOC-PROGRAMDATA-ARCHIVE"
    )
    if not exploited:
        return
    for f in mine:
        if f.rule_id == "WF-LOC-PROGRAMDATA-ARCHIVE" and f.severity < Severity.HIGH:
            f.severity = Severity.HIGH
            f.confidence = Confidence.MEDIUM
            f.description += " Raised: this server shows exploitation or a web shell, so the archive is likely attacker staging."


class WebFilesLinkStage:
    """Join each file finding to the log and event lines that name its URL or path (the correlate
    stage's pivot requests included)."""

    name = "webfiles-link"
    requires = (FindingIds, WebFilePivots, AttackStories)
    provides = (Correlations,)
    max_lines = 20

    def run(self, ctx: ScanContext) -> None:
        pivots = ctx.facts.get(WebFilePivots)
        links = pivots.links
        for event, finding in pivots.events:
            if finding.id and finding.id not in event.finding_ids:
                event.finding_ids.append(finding.id)
        if not links:
            return
        needles: list[tuple[Finding, list[str]]] = []
        for finding, facts in links:
            if finding.severity < Severity.MEDIUM:
                continue
            logical = facts.logical.lower()
            terms = [logical]
            if len(logical) > 3 and logical[1:3] == ":\\":
                # logs write the same file as \\127.0.0.1\c$\..., or without the drive
                terms.append(logical[2:])
            if facts.url:
                terms.append(facts.url.lower())
            needles.append((finding, terms))
        if not needles:
            return
        for event in ctx.result.timeline:
            if event.kind == "file-modified" or not event.raw:
                continue
            # event records are JSON: paths in them are written with escaped backslashes
            low = event.raw.lower().replace("%2f", "/").replace("\\\\", "\\")
            for finding, terms in needles:
                if not any(t in low for t in terms):
                    continue
                if finding.id and finding.id not in event.finding_ids:
                    event.finding_ids.append(finding.id)
                joined = sum(1 for e in finding.evidence if e.fields.get("reason") == "joined")
                if joined >= self.max_lines or any(
                    e.raw == event.raw and e.line == event.line for e in finding.evidence
                ):
                    continue
                finding.evidence.append(
                    EvidenceLine(
                        event.source,
                        event.line,
                        event.raw,
                        {"reason": "joined", "kind": event.kind},
                        event.timestamp,
                    )
                )
                if event.client_ip and event.client_ip not in finding.indicators.client_ips:
                    finding.indicators.client_ips.append(event.client_ip)
                finding.touch(event.timestamp)


STAGES = [WebFilesStage(), WebFilesLinkStage()]


#: Tracing across files: at most this many files are read again as callers, and this many
#: (caller, callee) pairs traced, per scan (each pair under the per-file time limit).
_ACROSS_READS = 5000
_ACROSS_PAIRS = 1000
#: ... and at most this many seconds in all (hostile trees: many callers of a callee, each slow).
_ACROSS_SECONDS = 20.0
#: ... and at most this many other App_Code classes calling a callee traced with it (two hops).
_ACROSS_HELPERS = 5


def _spelling(names: list[str]) -> re.Pattern[bytes]:
    """A caller's text spelling one of ``names`` as a call or a member set (a screen before tracing)."""
    return re.compile(
        rb"(?<![\w])(?:" + b"|".join(re.escape(m.encode()) for m in names) + rb")\s*[(=+&]", re.I
    )


def _callers(callee: LocatedFile, page: LocatedFile | None, deep: list[LocatedFile]) -> list[LocatedFile]:
    """The files ASP.NET compiles with ``callee`` that could call it: the page that takes it in (an
    #include, a CodeFile/Src), the page of a code-behind, or for an ``App_Code`` file every page and
    compiled source file of its application (the folder above ``App_Code``)."""
    if page is not None:
        return [page]
    key = callee.key
    name = content.file_name(callee)
    why = content.compiled_code(key, name)
    if why == content.APP_CODE:
        at = ("/" + key).find("/app_code/")
        root = ("/" + key)[: at + 1]
        out = []
        for f in deep:
            if f.key == key or not ("/" + f.key).startswith(root):
                continue
            ext = _page_ext(f)
            if ext in PAGE_EXTENSIONS or content.compiled_code(f.key, content.file_name(f)):
                out.append(f)
        return out
    if why == content.CODE_BEHIND:
        page_key = key[: key.rfind(".")]
        return [f for f in deep if f.key == page_key]
    return []


def _across_files(
    ctx: ScanContext,
    callees: list[tuple[LocatedFile, tuple[str, ...], LocatedFile | None, str]],
    sel: Selection,
    params: content.ContentParams,
    facts_list: list[FileFacts],
    mapper: UrlMapper,
) -> None:
    """Request input a page hands to a method of a file compiled with it (App_Code, its code-behind,
    an #include'd file) whose parameter reaches a dangerous operation there: a finding on the page
    naming both files and lines. Only callees that hold a dangerous operation are followed (few), and
    only callers that spell one of their method names are traced; reads and pairs are bounded."""
    if not callees or not params.behaviour:
        return
    from extriage.detections.webfiles import behaviour

    deep = [f for f, _place in sel.deep.values()]
    by_path = {facts.display: facts for facts in facts_list}
    texts: dict[str, bytes | None] = {}
    cap = min(params.max_size, 4 * behaviour.MAX_CODE)
    budget = behaviour.for_timeout(params.timeout)
    reads = pairs = 0
    cut = False
    stop = time.monotonic() + _ACROSS_SECONDS

    def text_of(f: LocatedFile) -> bytes | None:
        nonlocal reads
        if f.key not in texts:
            reads += 1
            try:
                texts[f.key] = content.code_text(content.target(f), cap)
            except OSError:
                texts[f.key] = None
        return texts[f.key]

    for callee, methods, page, callee_ext in callees:
        if callee_ext not in PAGE_EXTENSIONS and callee_ext not in content.CODE_EXTENSIONS:
            continue
        spelled = _spelling(list(methods))
        body = None
        callers = _callers(callee, page, deep)
        # App_Code is one compilation: a page may reach the callee through another App_Code class that
        # calls it (two hops) - those classes (same language, spelling the callee's names) go with it
        helpers: list[tuple[LocatedFile, bytes]] = []
        if page is None and content.compiled_code(callee.key, content.file_name(callee)) == content.APP_CODE:
            for f in callers:
                if len(helpers) >= _ACROSS_HELPERS or reads >= _ACROSS_READS:
                    break
                if (
                    _page_ext(f) != callee_ext
                    or content.compiled_code(f.key, content.file_name(f)) != content.APP_CODE
                ):
                    continue
                text = text_of(f)
                if text is not None and spelled.search(text) is not None:
                    helpers.append((f, text))
            if helpers:
                names = list(methods)
                for _f, text in helpers:
                    names.extend(behaviour.defined_names(text, callee_ext))
                spelled = _spelling(list(dict.fromkeys(names))[:400])
        for caller in callers:
            if reads >= _ACROSS_READS or pairs >= _ACROSS_PAIRS or time.monotonic() > stop:
                cut = True
                break
            data = text_of(caller)
            if data is None or spelled.search(data) is None:
                continue
            body = body if body is not None else text_of(callee)
            if body is None:
                break
            pairs += 1
            caller_ext = _page_ext(caller)
            if caller_ext in content.CODE_EXTENSIONS and not content.compiled_code(
                caller.key, content.file_name(caller)
            ):
                continue
            others = tuple(text for f, text in helpers if f.key != caller.key)
            table = params.default_languages  # (a page naming no language: its site's, as each file alone)
            languages = (
                (content.default_language(caller.key, table), content.default_language(callee.key, table))
                if table
                else (None, None)
            )
            try:
                found = behaviour.analyse_across(data, caller_ext, body, callee_ext, budget, others, languages)
            except (RecursionError, MemoryError, ValueError):
                continue
            if found.problem:
                ctx.result.coverage.warn(f"{caller.display()} with {callee.display()}: {found.problem}.")
            if not found.hits:
                continue
            shown = content.display(caller)
            facts = by_path.get(shown)
            if facts is None:
                out = FileOutcome(shown, size=caller.ref.size)
                out.sha256 = ctx.sha256_for(shown)
                facts = FileFacts(
                    shown,
                    caller.logical,
                    content.file_name(caller),
                    out.sha256,
                    caller.ref.size,
                    caller.ref.mtime,
                    mapper.url_for(caller.key, caller.logical),
                )
                facts_list.append(facts)
                by_path[shown] = facts
            why = content.compiled_code(callee.key, content.file_name(callee)) or (
                f"taken in by {caller.logical}"
            )
            for hit in found.hits:
                hit["callee_file"] = content.display(callee)
                hit["callee_logical"] = callee.logical
                hit["callee_sha256"] = ctx.sha256_for(content.display(callee))
                hit["callee_why"] = why
                facts.reasons.append(behaviour_reason(hit, facts.extension))
        if cut:
            break
    if cut:
        ctx.result.coverage.warn(
            f"Request input traced across files for the first {pairs} page/class pairs "
            f"({reads} files read again, at most {_ACROSS_PAIRS} pairs, {_ACROSS_READS} reads and "
            f"{_ACROSS_SECONDS:g} s per scan): the rest of the pairs were not traced."
        )
    elif pairs:
        ctx.result.coverage.family(FAMILY).notes.append(
            f"Request input traced across files: {pairs} page/class pair{'s' if pairs != 1 else ''} "
            f"({len(callees)} compiled source file{'s' if len(callees) != 1 else ''} with a dangerous "
            f"operation, {reads} files read again)."
        )
