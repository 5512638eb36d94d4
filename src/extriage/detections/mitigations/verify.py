"""Verify from evidence which interim mitigations are really in force, naming the deciding element.

Each mitigation gets one state:

* ``in-force``  – every requirement verified in every place it must hold;
* ``absent``    – not applied at all;
* ``partial``   – applied, but wrong or incomplete (wrong pattern, disabled, only some services...);
* ``overridden``– applied at a parent level and taken away by a child ``<clear/>`` / ``<remove>``;
* ``unknown``   – a file needed to decide is missing or unreadable (never ``in-force`` by default);
* ``not-applicable`` – nothing to mitigate (e.g. no UM services on Exchange 2019).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from extriage.detections.mitigations.catalog import (
    AppPoolMitigation,
    Catalog,
    ExpectedRule,
    RewriteMitigation,
    ServiceMitigation,
    load_catalog,
)
from extriage.detections.mitigations.hierarchy import (
    Entry,
    Merged,
    Removal,
    Scope,
    SectionCollector,
    SectionRef,
    collect_sections,
    merge_collection,
    scope_for,
)
from extriage.detections.mitigations.rules import Defect, check_rule, looks_like, shadowing_rule
from extriage.detections.mitigations.services import HiveError, ServiceTable, read_services
from extriage.detections.mitigations.sources import (
    APPHOST_PATH,
    MAX_HIVE,
    SYSTEM_HIVE_PATH,
    FileSource,
    flat_names,
)
from extriage.formats.iis_config import (
    AppHostConfig,
    ConfigError,
    IisSite,
    WebConfig,
    XNode,
    gc_paused,
    parse_application_host,
    parse_web_config,
)

#: web.configs up to this size are remembered by content (and this many bytes of them in all)
_SAME_BYTES_MAX = 64 * 1024
_SAME_BYTES_TOTAL = 32 * 1024 * 1024

STATES = ("in-force", "absent", "partial", "overridden", "unknown", "not-applicable")
RULES_TAGS = ("system.webServer", "rewrite", "rules")
GLOBAL_RULES_TAGS = ("system.webServer", "rewrite", "globalRules")
MODULES_TAGS = ("system.webServer", "modules")
DISABLED = 4


@dataclass(slots=True)
class Decider:
    """The file and element that decide a state, e.g. a ``<remove>`` in a child web.config."""

    file: str
    line: int | None
    element: str

    def __str__(self) -> str:
        where = f"{self.file} line {self.line}" if self.line else self.file
        return f"{where}: {self.element}"


@dataclass(slots=True)
class Problem:
    code: str
    message: str
    scope: str = ""  # e.g. "Default Web Site/ecp"
    file: str = ""
    line: int | None = None
    element: str = ""


@dataclass(slots=True)
class MitigationState:
    id: str
    title: str
    state: str
    reason: str
    wave: str = ""
    cves: list[str] = field(default_factory=list)
    decided_by: list[Decider] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # scopes / keys examined
    not_checked: list[str] = field(default_factory=list)  # files the evidence lacked
    breaks: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class VerifyReport:
    source: str
    mitigations: list[MitigationState] = field(default_factory=list)
    application_host: str | None = None
    system_hive: str | None = None
    files_read: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    probe: dict[str, Any] | None = None

    def get(self, mitigation_id: str) -> MitigationState | None:
        for m in self.mitigations:
            if m.id == mitigation_id:
                return m
        return None

    def states(self) -> dict[str, str]:
        return {m.id: m.state for m in self.mitigations}

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "application_host": self.application_host,
            "system_hive": self.system_hive,
            "mitigations": [m.to_dict() for m in self.mitigations],
            "files_read": self.files_read,
            "errors": self.errors,
            "notes": self.notes,
            "probe": self.probe,
            "disclaimer": "Interim mitigations reduce exposure; they are not a substitute for installing the Security Update.",
        }


def _dec(file: str, node: XNode) -> Decider:
    return Decider(file, node.line or None, node.describe())


# -- the verifier ----------------------------------------------------------------------------


class _Context:
    def __init__(self, source: FileSource, catalog: Catalog) -> None:
        self.source = source
        self.catalog = catalog
        self.report = VerifyReport(source.describe())
        self.apphost: AppHostConfig | None = None
        self.apphost_problem: str = ""
        self.apphost_display = ""
        self.web_cache: dict[str, WebConfig] = {}
        self.services: ServiceTable | None = None
        self.hive_problem = ""
        self._errors_seen: set[str] = set()
        self._merged: dict[tuple[str, tuple[tuple[int, str], ...]], Merged] = {}
        self._merged_lists: dict[tuple[str, int], tuple[list[SectionRef], Merged]] = {}
        #: web.config trees by content: applications made from one template hold the same bytes, and
        #: copying a parsed tree costs a fifth of parsing it again (each file keeps its own nodes)
        self._parsed: dict[bytes, XNode] = {}
        self._parsed_bytes = 0
        self._per_scope: dict[tuple[str, tuple[str, ...], str, int], tuple[list[Scope], list[Merged]]] = {}
        self._scope_files: tuple[list[Scope], list[str], list[str]] | None = None
        self._sections: dict[tuple[str, str, tuple[str, ...]], list[SectionRef]] = {}
        #: per site; made after the scopes loaded every web.config (the collector keeps its answers)
        self._collectors: dict[str, SectionCollector] = {}

    def sections(self, site: IisSite, url: str, tags: tuple[str, ...]) -> list[SectionRef]:
        """:func:`collect_sections` of the loaded configs, once per site, URL and section (each
        rewrite mitigation asks for the same rules of every application), without the empty sections:
        the answer only feeds merges (:meth:`merged`)."""
        assert self.apphost is not None
        key = (site.name, url, tags)
        found = self._sections.get(key)
        if found is None:
            found = self._sections[key] = self._collector(site).collect(url, tags)
        return found

    def _collector(self, site: IisSite) -> SectionCollector:
        assert self.apphost is not None
        collector = self._collectors.get(site.name)
        if collector is None:
            collector = self._collectors[site.name] = SectionCollector(
                self.apphost, site, self.web_cache, self.apphost_display, skip_empty=True
            )
        return collector

    def merged(self, refs: list[SectionRef], item_tag: str) -> Merged:
        """:func:`merge_collection`, once per distinct list of sections: the applications without a
        web.config of their own all inherit the same sections (thousands of scopes, a few merges)."""
        same = self._merged_lists.get((item_tag, id(refs)))
        if same is not None and same[0] is refs:  # the list the collector shares between URLs
            return same[1]
        # an empty section (``<rules/>`` in each application's web.config) changes nothing in a merge:
        # left out of the key, the applications that only add one share their parent's merge
        key = (item_tag, tuple((id(r.node), r.file) for r in refs if r.node.children))
        found = self._merged.get(key)
        if found is None:
            found = self._merged[key] = merge_collection(refs, item_tag)
        self._merged_lists[(item_tag, id(refs))] = (refs, found)  # refs kept: its id stays its own
        return found

    def merged_per_scope(self, site: IisSite, scopes: list[Scope], tags: tuple[str, ...], item_tag: str) -> list[Merged]:
        """The merge of ``tags`` for each scope, in scope order, made once per section kind (the rewrite
        checks walk every scope: with 100,000 applications the per-scope lookups were their cost)."""
        key = (site.name, tags, item_tag, len(scopes))
        found = self._per_scope.get(key)
        if found is None or found[0] is not scopes:
            collect = self._collector(site).collect
            merges = [self.merged(collect(scope.url, tags), item_tag) for scope in scopes]
            found = self._per_scope[key] = (scopes, merges)
        return found[1]

    def scope_files(self, scopes: list[Scope]) -> tuple[list[str], list[str]]:
        """``(unreadable, missing)``: the reasons and the web.config paths of every scope, each once, in
        scope order."""
        found = self._scope_files
        if found is None or found[0] is not scopes:
            unreadable: dict[str, None] = {}
            missing: dict[str, None] = {}
            for scope in scopes:
                if scope.unreadable:
                    unreadable.update(dict.fromkeys(scope.unreadable))
                if scope.missing:
                    missing.update(dict.fromkeys(scope.missing))
            found = self._scope_files = (scopes, list(unreadable), list(missing))
        return found[1], found[2]

    # loading ---------------------------------------------------------------------------------
    def load_apphost(self) -> None:
        before = len(self.source.skipped)
        loaded = self.source.read(APPHOST_PATH, ["applicationhost.config"])
        if loaded is None:
            # present but unreadable (a FIFO, permission denied, too large) is not "missing"
            why = next((f"{p}: {r}" for p, r in self.source.skipped[before:]), "")
            self.apphost_problem = (f"applicationHost.config is in the evidence but could not be read ({why})" if why
                                    else f"applicationHost.config ({APPHOST_PATH}) is not in the evidence")
            return
        self.apphost_display = loaded.display
        self.report.application_host = loaded.display
        try:
            self.apphost = parse_application_host(loaded.data, loaded.display)
        except ConfigError as exc:
            self.apphost_problem = str(exc)
            self.report.errors.append(str(exc))

    def load_hive(self) -> None:
        names = [*self.catalog.managed_availability]
        for m in self.catalog.services:
            names.extend(m.services)
        loaded = self.source.read(SYSTEM_HIVE_PATH, [], limit=MAX_HIVE)
        if loaded is None:
            self.hive_problem = f"the SYSTEM registry hive ({SYSTEM_HIVE_PATH}) is not in the evidence"
            return
        self.report.system_hive = loaded.display
        try:
            self.services = read_services(loaded.data, loaded.display, names)
        except HiveError as exc:
            self.hive_problem = str(exc)
            self.report.errors.append(str(exc))

    def absent_apphost(self) -> list[str]:
        """``[APPHOST_PATH]`` when the evidence lacks it; present but unusable is an error, not "absent"."""
        return [] if self.apphost_display else [APPHOST_PATH]

    def absent_hive(self) -> list[str]:
        return [] if self.report.system_hive else [SYSTEM_HIVE_PATH]

    def web_loader(self, site: IisSite) -> Any:
        # the applications served from each folder; their flat names are made only when the file is
        # not found by its path (100,000 applications: most web.configs are found, or absent anyway)
        apps_by_path: dict[str, list[str]] = {}
        for app in site.applications:
            root = app.root_vdir()
            if root is not None:
                apps_by_path.setdefault(root.physical_path.rstrip("\\").lower() + "\\web.config", []).append(app.path)

        def names(app_paths: list[str]) -> Iterator[str]:
            for app_path in app_paths:
                yield from flat_names(site.name, app_path)

        def load(path: str) -> WebConfig | str | None:
            loaded = self.source.read(path, names(apps_by_path.get(path.lower(), [])))
            if loaded is None:
                return None
            same = self._parsed.get(loaded.data)
            if same is not None:  # the bytes of a file parsed already: its tree, copied
                return WebConfig(loaded.display, same.copy())
            try:
                parsed = parse_web_config(loaded.data, loaded.display)
                if len(loaded.data) <= _SAME_BYTES_MAX and self._parsed_bytes < _SAME_BYTES_TOTAL:
                    self._parsed[loaded.data] = parsed.root
                    self._parsed_bytes += len(loaded.data)
                return parsed
            except ConfigError as exc:
                if str(exc) not in self._errors_seen:
                    self._errors_seen.add(str(exc))
                    self.report.errors.append(str(exc))
                return str(exc)

        return load

    def scopes(self, site: IisSite) -> list[Scope]:
        loader = self.web_loader(site)
        urls: list[str] = []
        seen: set[str] = set()
        for app in site.applications:
            if app.path.lower() not in seen:
                seen.add(app.path.lower())
                urls.append(app.path)
        return [scope_for(site, url, loader, self.web_cache) for url in urls]

    # Managed Availability ---------------------------------------------------------------------
    def managed_availability(self) -> tuple[bool | None, list[str], list[Decider]]:
        """(all HM services disabled?, problems, deciders); None when unknown."""
        if self.services is None:
            return None, [self.hive_problem], []
        running: list[str] = []
        deciders: list[Decider] = []
        found = 0
        for name in self.catalog.managed_availability:
            svc = self.services.get(name)
            if svc is None:
                continue
            found += 1
            deciders.append(Decider(self.services.source, None, f"{svc.key}\\Start = {svc.start} ({svc.label})"))
            if svc.start != DISABLED:
                running.append(f"{svc.name} is {svc.label}")
        if found == 0:
            return None, ["no Managed Availability services in the hive"], deciders
        return not running, running, deciders


def verify(source: FileSource, catalog: Catalog | None = None) -> VerifyReport:
    """Verify every mitigation of the catalogue against the files ``source`` can provide.

    The cyclic garbage collector is paused meanwhile: what is made here (configuration trees, scopes,
    merges, outcomes) holds no cycles, and with 100,000 applications its repeated full passes over
    the growing object graph were half of the time. It runs again, as before, once the report is made.
    """
    with gc_paused():
        return _verify(source, catalog)


def _verify(source: FileSource, catalog: Catalog | None) -> VerifyReport:
    ctx = _Context(source, catalog or load_catalog())
    ctx.load_apphost()
    ctx.load_hive()
    site_name = ctx.catalog.rewrite[0].site if ctx.catalog.rewrite else "Default Web Site"
    site, site_problem = _exchange_site(ctx, site_name)
    scopes = ctx.scopes(site) if site is not None else []
    ctx.report.mitigations.append(_rewrite_module(ctx, site, site_problem, scopes))
    for rm in ctx.catalog.rewrite:
        ctx.report.mitigations.append(_rewrite_mitigation(ctx, rm, site, site_problem, scopes))
    for sm in ctx.catalog.services:
        ctx.report.mitigations.append(_service_mitigation(ctx, sm))
    for pm in ctx.catalog.app_pools:
        ctx.report.mitigations.append(_app_pool_mitigation(ctx, pm))
    for loaded in source.read_log:
        ctx.report.files_read.append({"path": loaded.display, "sha256": loaded.sha256, "size": loaded.size})
    for path, why in source.skipped:
        ctx.report.errors.append(f"{path}: {why}")
    ctx.report.notes.extend(source.notes)
    return ctx.report


def _is_front_end(site: IisSite) -> bool:
    for path in ("/owa", "/ecp"):
        app = site.application(path)
        if app is not None:
            return True
    return False


def _exchange_site(ctx: _Context, name: str) -> tuple[IisSite | None, str]:
    """The Exchange front-end site: ``name`` (Default Web Site), or else the site serving
    FrontEnd\\HttpProxy (ExchangeMitigations.ps1 assumed the default name; we do not)."""
    if ctx.apphost is None:
        return None, ctx.apphost_problem
    site = ctx.apphost.site(name)
    if site is not None and _is_front_end(site):
        return site, ""
    for other in ctx.apphost.sites:
        owa = other.application("/owa") or other.application("/ecp")
        root = owa.root_vdir() if owa is not None else None
        if root is not None and "frontend\\httpproxy" in root.physical_path.lower():
            ctx.report.notes.append(f'The Exchange front end is the site "{other.name}", not "{name}"; it was checked instead.')
            return other, ""
    if site is None:
        names = ", ".join(s.name for s in ctx.apphost.sites) or "none"
        return None, f'applicationHost.config has no site named "{name}" (sites: {names}); not an Exchange front end?'
    return None, f'the site "{name}" has no /owa or /ecp application: it is not an Exchange front end'


# -- URL Rewrite module ------------------------------------------------------------------------


def _rewrite_section_declared(apphost: AppHostConfig) -> XNode | None:
    sections = apphost.root.find("configSections")
    if sections is None:
        return None
    for group in sections.findall("sectionGroup"):
        if group.get("name") == "system.webServer":
            for sub in group.findall("sectionGroup"):
                if sub.get("name") == "rewrite":
                    for sec in sub.findall("section"):
                        if sec.get("name") == "rules":
                            return sec
    return None


def _rewrite_module(ctx: _Context, site: IisSite | None, site_problem: str, scopes: list[Scope]) -> MitigationState:
    cat = ctx.catalog
    st = MitigationState(cat.rewrite_module_id, cat.rewrite_module_title, "unknown", "", breaks="Nothing.")
    if ctx.apphost is None:
        st.reason = ctx.apphost_problem
        st.not_checked.extend(ctx.absent_apphost())
        return st
    mod_name = cat.rewrite_module_name.lower()
    glob = ctx.apphost.global_modules.get(mod_name)
    declared = _rewrite_section_declared(ctx.apphost)
    if glob is None:
        st.state = "absent"
        st.reason = (
            f"the URL Rewrite module is not registered in <globalModules> of {ctx.apphost_display}: it is not "
            "installed, so no rewrite rule can run"
        )
        st.decided_by.append(Decider(ctx.apphost_display, None, "<globalModules> without RewriteModule"))
        return st
    st.decided_by.append(_dec(ctx.apphost_display, glob))
    if cat.rewrite_module_image.lower() not in (glob.get("image") or "").lower():
        st.problems.append(
            Problem("wrong-image", f'RewriteModule points at "{glob.get("image")}"', file=ctx.apphost_display, line=glob.line)
        )
    if declared is None:
        st.problems.append(
            Problem(
                "section-not-declared",
                "the system.webServer/rewrite/rules section is not declared in <configSections>",
                file=ctx.apphost_display,
            )
        )
    if site is None:
        st.state = "partial" if st.problems else "unknown"
        st.reason = f"the module is registered but the Exchange site could not be checked: {site_problem}"
        return st
    removed: list[Problem] = []
    st.checked.extend(scope.label for scope in scopes)
    has_module: dict[int, bool] = {}  # by merge (scopes share a few)
    for scope, merged in zip(scopes, ctx.merged_per_scope(site, scopes, MODULES_TAGS, "add"), strict=True):
        has = has_module.get(id(merged))
        if has is None:
            has = has_module[id(merged)] = merged.get(cat.rewrite_module_name) is not None
        if not has:
            removal = next((r for r in merged.removals if r.name.lower() == mod_name), None)
            if removal is not None:
                removed.append(
                    Problem(
                        "module-removed",
                        f"RewriteModule is removed for {scope.label}",
                        scope.label,
                        removal.file,
                        removal.node.line,
                        removal.node.describe(),
                    )
                )
            else:
                removed.append(Problem("module-not-enabled", f"RewriteModule is not in <modules> for {scope.label}", scope.label))
    if removed and any(p.code == "module-removed" for p in removed):
        st.state = "overridden"
        st.problems.extend(removed)
        first = next(p for p in removed if p.code == "module-removed")
        st.decided_by = [Decider(first.file, first.line, first.element)]
        st.reason = f"the module is installed, but {first.message} ({first.file} line {first.line})"
    elif removed or st.problems:
        st.state = "partial"
        st.problems.extend(removed)
        st.reason = _first_few([p.message for p in st.problems], "; ")
    else:
        st.state = "in-force"
        st.reason = f"RewriteModule is registered ({glob.get('image')}) and enabled for every Exchange virtual directory"
    return st


# -- rewrite-rule mitigations -----------------------------------------------------------------


@dataclass(slots=True)
class _Outcome:
    kind: str  # "ok", "missing", "overridden", "defective", "unknown"
    scope: Scope
    entry: Entry | None = None
    removal: Removal | None = None
    defects: list[Defect] = field(default_factory=list)
    reason: str = ""


def _evaluate_rule(
    rm: RewriteMitigation, expected: ExpectedRule, merged: Merged, global_merged: Merged, scope: Scope
) -> _Outcome:
    collections = [global_merged, merged]
    if rm.match_by == "name":
        for coll in collections:
            entry = coll.get(expected.name)
            if entry is not None:
                defects = check_rule(entry, expected, only_rule=len(coll.entries) == 1)
                shadow = shadowing_rule(coll.entries, entry)
                if shadow is not None:
                    defects.append(
                        Defect("shadowed", f'rule "{shadow.name}" ends processing for every URL before "{entry.name}" runs', shadow.node)
                    )
                return _Outcome("defective" if defects else "ok", scope, entry, defects=defects)
        removal = next((r for r in merged.removals if r.name.lower() == expected.name.lower()), None)
        if removal is not None:
            return _Outcome("overridden", scope, removal=removal)
        return _Outcome("missing", scope)
    # match by criteria: any rule that does the job counts
    best: _Outcome | None = None
    for coll in collections:
        for entry in coll.entries:
            if not looks_like(entry, expected, rm.known_names):
                continue
            defects = check_rule(entry, expected, only_rule=len(coll.entries) == 1)
            shadow = shadowing_rule(coll.entries, entry)
            if shadow is not None:
                defects.append(Defect("shadowed", f'rule "{shadow.name}" ends processing before "{entry.name}" runs', shadow.node))
            if not defects:
                return _Outcome("ok", scope, entry)
            if best is None or len(defects) < len(best.defects):
                best = _Outcome("defective", scope, entry, defects=defects)
    if best is not None:
        return best
    removal = next((r for r in merged.removals if looks_like(r.entry, expected, rm.known_names)), None)
    if removal is not None:
        return _Outcome("overridden", scope, removal=removal)
    return _Outcome("missing", scope)


def _rewrite_mitigation(
    ctx: _Context, rm: RewriteMitigation, site: IisSite | None, site_problem: str, scopes: list[Scope]
) -> MitigationState:
    st = MitigationState(rm.id, rm.title, "unknown", "", wave=rm.wave, cves=list(rm.cves), breaks=rm.breaks)
    if site is None or ctx.apphost is None:
        st.reason = site_problem or ctx.apphost_problem
        if ctx.apphost is None:
            st.not_checked.extend(ctx.absent_apphost())
        return st
    glob_refs = collect_sections(ctx.apphost, site, "/", GLOBAL_RULES_TAGS, {}, ctx.apphost_display)
    global_merged = merge_collection([r for r in glob_refs if r.level == "server"], "rule")
    # the outcomes depend on the merged rules only: worked out once per merge (thousands of scopes
    # share a few), in the order the scopes first meet them; a scope's own outcome is made only where a
    # problem names the scope
    unreadable, missing_files = ctx.scope_files(scopes)
    st.checked.extend(scope.label for scope in scopes)
    merges = ctx.merged_per_scope(site, scopes, RULES_TAGS, "rule")
    outcomes_of: dict[int, list[_Outcome]] = {}  # id of a merge kept by ctx -> outcome per rule
    for scope, merged in zip(scopes, merges, strict=True):
        for dup in merged.duplicates:
            st.problems.append(
                Problem(
                    "duplicate-rule",
                    f'rule "{dup.name}" is added twice; IIS refuses the configuration (HTTP 500.19)',
                    scope.label,
                    dup.file,
                    dup.node.line,
                    dup.node.describe(),
                )
            )
        if id(merged) not in outcomes_of:
            outcomes_of[id(merged)] = [
                _evaluate_rule(rm, expected, merged, global_merged, scope) for expected in rm.rules
            ]
    kinds = {o.kind for outcomes in outcomes_of.values() for o in outcomes}

    def of_kind(kind: str) -> list[_Outcome]:
        """Every scope's outcome of ``kind``, in scope then rule order."""
        if kind not in kinds:
            return []
        return [
            known if known.scope is scope else _Outcome(known.kind, scope, known.entry, known.removal, known.defects)
            for scope, merged in zip(scopes, merges, strict=True)
            for known in outcomes_of[id(merged)]
            if known.kind == kind
        ]

    st.not_checked.extend(missing_files)
    # the rules need the module
    module = ctx.report.get(ctx.catalog.rewrite_module_id)
    if unreadable:
        st.state = "unknown"
        st.reason = (
            f"{unreadable[0]} — IIS answers requests under a broken web.config with HTTP 500.19, and the rules it "
            "holds cannot be read"
        )
        st.decided_by.append(Decider(unreadable[0].split(": ", 1)[0], None, "(not well-formed configuration)"))
        return st
    overridden = of_kind("overridden")
    present = bool(kinds & {"ok", "defective"})
    defective = of_kind("defective")
    if overridden:
        first = overridden[0]
        assert first.removal is not None
        for o in overridden:
            assert o.removal is not None
            kind = "cleared" if o.removal.node.tag == "clear" else "removed"
            st.problems.append(
                Problem(
                    kind,
                    f'rule "{o.removal.name}" is {kind} for {o.scope.label} by {o.removal.node.describe()}',
                    o.scope.label,
                    o.removal.file,
                    o.removal.node.line,
                    o.removal.node.describe(),
                )
            )
        st.state = "overridden"
        st.decided_by.append(_dec(first.removal.file, first.removal.node))
        st.reason = (
            f'rule "{first.removal.name}" is set at a parent level but {first.removal.node.describe()} in '
            f"{first.removal.file} (line {first.removal.node.line}) takes it away for {first.scope.label}"
        )
        _add_defects(st, defective)
        return st
    if defective:
        _add_defects(st, defective)
        first_d = defective[0]
        st.state = "partial"
        assert first_d.entry is not None
        st.decided_by.append(_dec(first_d.entry.file, first_d.defects[0].node))
        st.reason = f"{first_d.defects[0].message} ({first_d.entry.file} line {first_d.defects[0].node.line}); the rule does not protect"
        return st
    if not present:
        root_missing = any(s.url == "/" and s.missing for s in scopes)
        if root_missing:
            st.state = "unknown"
            st.reason = "the site root's web.config is not in the evidence, so the rules cannot be checked"
            return st
        st.state = "absent"
        names = ", ".join(f'"{r.name}"' for r in rm.rules)
        root_file = _root_file(ctx, scopes)
        st.decided_by.append(Decider(root_file, None, f"no rule {names} (or equivalent) at any level"))
        st.reason = f"no rule {names} (or one doing the same) is configured for {site.name}"
        return st
    missing = of_kind("missing")  # here: a rule absent everywhere returned above (no list per scope)
    if missing:
        st.state = "partial"
        for o in missing:
            st.problems.append(
                Problem("missing", f"no effective rule for {o.scope.label}", o.scope.label, _root_file(ctx, scopes))
            )
        where = sorted({o.scope.label for o in missing}, key=str.lower)
        st.reason = "the rules apply to some virtual directories only; missing for " + _first_few(where, ", ")
        ok0 = next(o for outcomes in outcomes_of.values() for o in outcomes if o.kind == "ok")
        assert ok0.entry is not None
        st.decided_by.append(_dec(ok0.entry.file, ok0.entry.node))
        return st
    # every rule fine everywhere that could be read
    seen: set[int] = set()
    for known in (o for outcomes in outcomes_of.values() for o in outcomes):  # first met first
        if known.entry is not None and id(known.entry.node) not in seen:
            seen.add(id(known.entry.node))
            st.decided_by.append(_dec(known.entry.file, known.entry.node))
    if module is not None and module.state in {"absent", "overridden"}:
        st.state = "partial"
        st.problems.append(Problem("rewrite-module-" + module.state, module.reason))
        st.reason = f"the rules are right, but {module.reason}"
        return st
    if missing_files:
        st.state = "unknown"
        st.reason = (
            "the rules are right where they are set, but these web.config files are not in the evidence and could "
            "clear or remove them: " + ", ".join(missing_files[:4]) + (" ..." if len(missing_files) > 4 else "")
        )
        return st
    st.state = "in-force"
    st.reason = f"valid for all {len(scopes)} applications of {site.name}, not removed or cleared by any child configuration"
    return st


def _first_few(items: list[str], sep: str, keep: int = 8) -> str:
    """``items`` joined, the first ``keep`` only (a config with thousands of applications must not make a
    reason of thousands of names: the full list is in ``problems``)."""
    shown = sep.join(items[:keep])
    return shown if len(items) <= keep else f"{shown}{sep}and {len(items) - keep:,} more"


def _add_defects(st: MitigationState, outcomes: Iterable[_Outcome]) -> None:
    seen: set[tuple[str, int]] = set()
    for o in outcomes:
        assert o.entry is not None
        for d in o.defects:
            key = (d.code, id(d.node))
            if key in seen:
                continue
            seen.add(key)
            st.problems.append(Problem(d.code, d.message, o.scope.label, o.entry.file, d.node.line, d.node.describe()))


def _root_file(ctx: _Context, scopes: list[Scope]) -> str:
    for scope in scopes:
        if scope.url == "/":
            for _level, path in scope.levels:
                if path and path.lower() in ctx.web_cache:
                    return ctx.web_cache[path.lower()].source
                if path:
                    return path
    return ctx.apphost_display


# -- services and application pools --------------------------------------------------------------


def _service_mitigation(ctx: _Context, sm: ServiceMitigation) -> MitigationState:
    st = MitigationState(sm.id, sm.title, "unknown", "", wave=sm.wave, cves=list(sm.cves), breaks=sm.breaks)
    if ctx.services is None:
        st.reason = ctx.hive_problem
        st.not_checked.extend(ctx.absent_hive())
        return st
    disabled: list[str] = []
    enabled: list[str] = []
    for name in sm.services:
        svc = ctx.services.get(name)
        st.checked.append(f"{ctx.services.control_set}\\Services\\{name}")
        if svc is None:
            continue
        st.decided_by.append(Decider(ctx.services.source, None, f"{svc.key}\\Start = {svc.start} ({svc.label})"))
        (disabled if svc.start == DISABLED else enabled).append(f"{svc.name} ({svc.label})")
    if not disabled and not enabled:
        if sm.absent_means_not_applicable:
            st.state = "not-applicable"
            st.reason = f"none of {', '.join(sm.services)} exists in the SYSTEM hive (Exchange 2019 has no UM role)"
        else:
            st.state = "unknown"
            st.reason = f"none of {', '.join(sm.services)} exists in the SYSTEM hive"
        return st
    if enabled and not disabled:
        st.state = "absent"
        st.reason = "not disabled: " + ", ".join(enabled)
        return st
    if enabled:
        st.state = "partial"
        st.problems.append(Problem("service-enabled", "still enabled: " + ", ".join(enabled)))
        st.reason = "only some services disabled; still enabled: " + ", ".join(enabled)
        return st
    return _with_managed_availability(ctx, st, "disabled: " + ", ".join(disabled))


def _with_managed_availability(ctx: _Context, st: MitigationState, done: str) -> MitigationState:
    ma_off, ma_problems, ma_deciders = ctx.managed_availability()
    st.decided_by.extend(ma_deciders)
    if ma_off is None:
        st.state = "unknown"
        st.reason = f"{done}; but whether Managed Availability would undo it is unknown ({'; '.join(ma_problems)})"
        st.not_checked.extend(ctx.absent_hive())
        return st
    if not ma_off:
        st.state = "partial"
        st.problems.append(
            Problem("managed-availability-running", "Managed Availability is not disabled: " + ", ".join(ma_problems))
        )
        st.reason = f"{done}; but Managed Availability is not disabled ({', '.join(ma_problems)}) and will undo it"
        return st
    st.state = "in-force"
    st.reason = f"{done}; Managed Availability (MSExchangeHM/HMRecovery) is disabled so it stays so"
    return st


def _app_pool_mitigation(ctx: _Context, pm: AppPoolMitigation) -> MitigationState:
    st = MitigationState(pm.id, pm.title, "unknown", "", wave=pm.wave, cves=list(pm.cves), breaks=pm.breaks)
    if ctx.apphost is None:
        st.reason = ctx.apphost_problem
        st.not_checked.extend(ctx.absent_apphost())
        return st
    pool = ctx.apphost.app_pool(pm.app_pool)
    if pool is None:
        st.reason = f"{pm.app_pool} is not defined in {ctx.apphost_display}"
        return st
    st.checked.append(pm.app_pool)
    st.decided_by.append(Decider(ctx.apphost_display, pool.line or None, pool.element))
    if pool.auto_start is not False:
        st.state = "absent"
        value = "absent (default true)" if pool.auto_start is None else "true"
        st.reason = f"{pm.app_pool} autoStart is {value}: the pool starts with IIS"
        return st
    if pool.start_mode.lower() == "alwaysrunning":
        st.state = "partial"
        st.problems.append(Problem("always-running", f'{pm.app_pool} has startMode="AlwaysRunning"', file=ctx.apphost_display, line=pool.line))
        st.reason = f'{pm.app_pool} has autoStart="false" but startMode="AlwaysRunning"'
        return st
    return _with_managed_availability(
        ctx, st, f'{pm.app_pool} autoStart="false" (whether it is stopped right now is runtime state, not in the evidence)'
    )
