"""The IIS configuration hierarchy of one URL, and collections merged the way IIS merges them.

Why: a rule written in ``wwwroot\\web.config`` protects ``/ecp`` only if nothing between the site root
and ``/ecp`` clears or removes it. IIS evaluates configuration per URL: applicationHost.config (its
root, ``<location path="">``, ``<location path="Site">``...), then for each URL level the location
sections that target it and the ``web.config`` in the folder that serves it. Collections (``<rules>``,
``<modules>``) are merged in that order honouring ``<clear/>`` and ``<remove name=...>``; content
inside ``<location inheritInChildApplications="false">`` stops at application boundaries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from extriage.formats.iis_config import AppHostConfig, IisSite, WebConfig, XNode


@dataclass(slots=True)
class SectionRef:
    """One occurrence of a configuration section that applies to the URL being evaluated."""

    file: str  # display path of the file holding it
    node: XNode
    level: str  # URL level it applies at, e.g. "/" or "/ecp"
    where: str  # "applicationHost.config <location path=...>" or "web.config"


@dataclass(slots=True)
class Entry:
    name: str
    node: XNode
    file: str


@dataclass(slots=True)
class Removal:
    """A ``<clear/>`` or ``<remove>`` that took an inherited entry away."""

    name: str  # the entry removed
    file: str
    node: XNode  # the <clear/> or <remove> element
    entry: Entry  # what was removed


@dataclass(slots=True)
class Merged:
    entries: list[Entry] = field(default_factory=list)
    removals: list[Removal] = field(default_factory=list)
    duplicates: list[Entry] = field(default_factory=list)
    _by_name: tuple[list[Entry], int, dict[str, Entry]] | None = field(default=None, repr=False, compare=False)

    def get(self, name: str) -> Entry | None:
        """The entry named ``name`` (case-insensitive); looked up per application scope, so by index
        (rebuilt when ``entries`` changed)."""
        index = self._by_name
        if index is None or index[0] is not self.entries or index[1] != len(self.entries):
            names: dict[str, Entry] = {}
            for e in self.entries:
                names.setdefault(e.name.lower(), e)
            index = self._by_name = (self.entries, len(self.entries), names)
        return index[2].get(name.lower())


@dataclass(slots=True)
class Scope:
    """A URL of a site, the config files along its path and what could not be read."""

    site: IisSite
    url: str  # "/", "/ecp", "/owa/auth"
    levels: list[tuple[str, str | None]] = field(default_factory=list)  # (url level, web.config windows path)
    missing: list[str] = field(default_factory=list)  # web.config paths expected but not in the evidence
    unreadable: list[str] = field(default_factory=list)  # reasons (ConfigError messages)
    _label: str = field(default="", repr=False, compare=False)

    @property
    def label(self) -> str:
        """``Default Web Site/ecp``: how the scope is named (made once: every check names it)."""
        if not self._label:
            self._label = f"{self.site.name}{self.url if self.url != '/' else ''}"
        return self._label


WebConfigLoader = Callable[[str], "WebConfig | str | None"]
"""Load the web.config at a Windows path: the parsed file, ``None`` when absent, a reason string when
present but unusable."""


def url_levels(url: str) -> list[str]:
    """``/``, ``/owa``, ``/owa/auth``: the URL levels from the site root down to ``url``."""
    levels = ["/"]
    path = ""
    for part in url.strip("/").split("/"):
        if part:
            path = f"{path}/{part}"
            levels.append(path)
    return levels


def _app_of(site: IisSite, url: str) -> str:
    app = site.application_for(url)
    return app.path.lower().rstrip("/") or "/" if app else "/"


def collect_sections(
    apphost: AppHostConfig,
    site: IisSite,
    url: str,
    tags: tuple[str, ...],
    web_configs: dict[str, WebConfig],
    apphost_display: str,
) -> list[SectionRef]:
    """Every occurrence of section ``tags`` that applies to ``url`` of ``site``, in IIS merge order."""
    return SectionCollector(apphost, site, web_configs, apphost_display).collect(url, tags)


@dataclass(slots=True)
class _Level:
    """What one URL level of a site contributes to a section, whatever URL is being evaluated."""

    app: str  # the application serving the level (normalised path)
    locations: list[tuple[bool, SectionRef]]  # applicationHost.config <location path="Site/level">: (inherits, ref)
    config: WebConfig | None  # the web.config of the folder serving the level
    own: list[tuple[bool, SectionRef]]  # that web.config's own sections (not <location path="sub">)
    #: that web.config's <location path="sub"> sections: (sub path lower-case, path as written, inherits, node)
    nested: list[tuple[str, str, bool, XNode]]


class SectionCollector:
    """:func:`collect_sections` for many URLs of one site: what each URL level contributes is worked out
    once per level and section, and reused by every URL below it.

    Why: ``mitigation verify`` asks for the rules and modules of every application; with 100,000
    applications the levels' lookups (application, ``<location>`` sections, web.config) repeated per
    URL were most of the time. ``web_configs`` must hold every web.config already (loaded by
    :func:`scope_for`): the answers are kept.
    """

    def __init__(
        self, apphost: AppHostConfig, site: IisSite, web_configs: dict[str, WebConfig], apphost_display: str,
        skip_empty: bool = False,
    ) -> None:
        #: leave out sections that hold no element (``<rules/>``): they change no merge, and 100,000
        #: applications whose web.config only has an empty ``<rules/>`` then share one answer
        self.skip_empty = skip_empty
        self.apphost = apphost
        self.site = site
        self.web_configs = web_configs
        self.display = apphost_display
        self._server: dict[tuple[str, ...], list[SectionRef]] = {}
        self._levels: dict[tuple[str, tuple[str, ...]], _Level] = {}
        self._apps: dict[str, str] = {}
        #: per URL level, whatever the section: (application serving it, its web.config or None)
        self._bases: dict[str, tuple[str, WebConfig | None]] = {}
        self._url_levels: dict[str, list[str]] = {}  # url_levels() per URL (asked once per section)
        #: answers by what decides them (see :meth:`collect`): URLs with the same contributing levels
        #: and application boundaries share one list
        self._by_signature: dict[tuple[tuple[str, ...], tuple[int | bool, ...]], list[SectionRef]] = {}

    def app_of(self, url: str) -> str:
        found = self._apps.get(url)
        if found is None:
            found = self._apps[url] = _app_of(self.site, url)
        return found

    def _server_refs(self, tags: tuple[str, ...]) -> list[SectionRef]:
        refs = self._server.get(tags)
        if refs is None:
            refs = self._server[tags] = []
            root = self.apphost.root.path(*tags)
            if root is not None:
                refs.append(SectionRef(self.display, root, "server", "applicationHost.config"))
            for loc in self.apphost.locations_for(""):
                node = loc.node.path(*tags)
                if node is not None:
                    refs.append(SectionRef(self.display, node, "server", 'applicationHost.config <location path="">'))
        return refs

    def _level(self, level: str, tags: tuple[str, ...]) -> _Level:
        key = (level, tags)
        found = self._levels.get(key)
        if found is not None:
            return found
        site = self.site
        locations: list[tuple[bool, SectionRef]] = []
        loc_path = site.name if level == "/" else f"{site.name}{level}"
        for loc in self.apphost.locations_for(loc_path):
            node = loc.node.path(*tags)
            if node is not None and (node.children or not self.skip_empty):
                ref = SectionRef(self.display, node, level, f'applicationHost.config <location path="{loc.path}">')
                locations.append((loc.inherit_in_child_applications, ref))
        base = self._bases.get(level)
        if base is None:
            config_path = _web_config_path(site, level)
            config = None if config_path is None else self.web_configs.get(config_path.lower())
            base = self._bases[level] = (self.app_of(level), config)
        config = base[1]
        own: list[tuple[bool, SectionRef]] = []
        nested: list[tuple[str, str, bool, XNode]] = []
        if config is not None:
            for loc_rel, inherit, node in config.sections(*tags):
                if loc_rel:
                    nested.append((loc_rel.lower(), loc_rel, inherit, node))
                elif self.skip_empty and not node.children:
                    continue
                else:
                    own.append((inherit, SectionRef(config.source, node, level, "web.config")))
        found = self._levels[key] = _Level(base[0], locations, config, own, nested)
        return found

    def collect(self, url: str, tags: tuple[str, ...]) -> list[SectionRef]:
        """The sections of ``tags`` that apply to ``url``, in merge order. The list may be shared with
        other URLs: callers must not change it.

        What decides the answer, when no web.config above holds ``<location path="sub">``: the levels
        that contribute something (each with its own, fixed references) and, for each, whether it lies
        in another application than ``url`` (content that does not inherit into child applications
        stops there). 100,000 applications without a configuration of their own have one such
        signature: the list is made once and handed to each.
        """
        target_app = self.app_of(url)
        signature: list[int | bool] = []
        levels = self._url_levels.get(url)
        if levels is None:
            levels = self._url_levels[url] = url_levels(url)
        known = self._levels
        for level in levels:
            lv = known.get((level, tags)) or self._level(level, tags)
            if lv.nested:
                return self._collect(url, tags, target_app)
            if lv.locations or lv.own:
                signature.append(id(lv))  # levels are kept: their ids are stable
                signature.append(lv.app != target_app)
        key = (tags, tuple(signature))
        found = self._by_signature.get(key)
        if found is None:
            found = self._by_signature[key] = self._collect(url, tags, target_app)
        return found

    def _collect(self, url: str, tags: tuple[str, ...], target_app: str) -> list[SectionRef]:
        refs = list(self._server_refs(tags))
        parents: list[tuple[str, _Level]] = []  # levels above whose web.config has <location path="sub">
        for level in url_levels(url):
            lv = self._level(level, tags)
            crosses_app = lv.app != target_app
            for inherit, ref in lv.locations:
                if inherit or not crosses_app:
                    refs.append(ref)
            # <location path="sub"> inside web.configs of parent levels
            for parent_level, parent in parents:
                rel = level[len(parent_level.rstrip("/")) :].strip("/").lower()
                if not rel:
                    continue
                parent_crosses = parent.app != target_app
                assert parent.config is not None
                for rel_lower, loc_path_rel, inherit, node in parent.nested:
                    if rel_lower == rel and (inherit or not parent_crosses):
                        refs.append(
                            SectionRef(parent.config.source, node, level, f'web.config <location path="{loc_path_rel}">')
                        )
            if lv.config is None:
                continue
            if lv.nested:
                parents.append((level, lv))
            for inherit, ref in lv.own:
                if inherit or not crosses_app:
                    refs.append(ref)
        return refs


def _web_config_path(site: IisSite, level: str) -> str | None:
    phys = site.physical_path_for(level)
    return None if phys is None else phys.rstrip("\\") + "\\web.config"


def scope_for(site: IisSite, url: str, loader: WebConfigLoader, cache: dict[str, WebConfig]) -> Scope:
    """List the web.config files along ``url`` and load them into ``cache`` (Windows path, lower-case)."""
    scope = Scope(site, url)
    for level in url_levels(url):
        path = _web_config_path(site, level)
        scope.levels.append((level, path))
        if path is None:
            continue
        key = path.lower()
        if key in cache:
            continue
        loaded = loader(path)
        if isinstance(loaded, WebConfig):
            cache[key] = loaded
        elif loaded is None:
            if level == "/" or site.application(level) is not None:
                scope.missing.append(path)
        else:
            scope.unreadable.append(loaded)
    return scope


def merge_collection(refs: list[SectionRef], item_tag: str) -> Merged:
    """Merge ``<add>``/``<rule>`` items of collection sections honouring ``<clear/>`` and ``<remove>``."""
    merged = Merged()
    names: set[str] = set()  # lower-case names in merged.entries (a <modules> list has ~40: looked up per item)
    for ref in refs:
        for child in ref.node.children:
            if child.tag == "clear":
                for e in merged.entries:
                    merged.removals.append(Removal(e.name, ref.file, child, e))
                merged.entries = []
                names.clear()
            elif child.tag == "remove":
                name = (child.get("name") or "").lower()
                if name not in names:
                    continue
                kept = []
                for e in merged.entries:
                    if e.name.lower() == name:
                        merged.removals.append(Removal(e.name, ref.file, child, e))
                    else:
                        kept.append(e)
                merged.entries = kept
                names.discard(name)
            elif child.tag == item_tag:
                name = child.get("name") or ""
                entry = Entry(name, child, ref.file)
                if name.lower() in names:
                    merged.duplicates.append(entry)
                    continue
                merged.entries.append(entry)
                names.add(name.lower())
    return merged
