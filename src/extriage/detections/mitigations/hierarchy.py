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

    @property
    def label(self) -> str:
        return f"{self.site.name}{self.url if self.url != '/' else ''}"


WebConfigLoader = Callable[[str], "WebConfig | str | None"]
"""Load the web.config at a Windows path: the parsed file, ``None`` when absent, a reason string when
present but unusable."""


def url_levels(url: str) -> list[str]:
    parts = [p for p in url.strip("/").split("/") if p]
    return ["/"] + ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


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
    refs: list[SectionRef] = []
    target_app = _app_of(site, url)
    root = apphost.root.path(*tags)
    if root is not None:
        refs.append(SectionRef(apphost_display, root, "server", "applicationHost.config"))
    for loc in apphost.locations_for(""):
        node = loc.node.path(*tags)
        if node is not None:
            refs.append(SectionRef(apphost_display, node, "server", 'applicationHost.config <location path="">'))
    seen_files: list[tuple[str, str, WebConfig]] = []  # (level, path, config) of web.configs on the way
    for level in url_levels(url):
        level_app = _app_of(site, level)
        crosses_app = level_app != target_app
        loc_path = site.name if level == "/" else f"{site.name}{level}"
        for loc in apphost.locations_for(loc_path):
            if crosses_app and not loc.inherit_in_child_applications:
                continue
            node = loc.node.path(*tags)
            if node is not None:
                refs.append(
                    SectionRef(apphost_display, node, level, f'applicationHost.config <location path="{loc.path}">')
                )
        # <location path="sub"> inside web.configs of parent levels
        for parent_level, parent_path, wc in seen_files:
            rel = level[len(parent_level.rstrip("/")) :].strip("/").lower()
            if not rel:
                continue
            parent_crosses = _app_of(site, parent_level) != target_app
            for loc_path_rel, inherit, node in wc.sections(*tags):
                if loc_path_rel.lower() == rel and (inherit or not parent_crosses):
                    refs.append(SectionRef(parent_path, node, level, f'web.config <location path="{loc_path_rel}">'))
        config_path = _web_config_path(site, level)
        if config_path is None:
            continue
        level_config = web_configs.get(config_path.lower())
        if level_config is None:
            continue
        seen_files.append((level, level_config.source, level_config))
        for loc_rel, inherit, node in level_config.sections(*tags):
            if loc_rel:
                continue
            if crosses_app and not inherit:
                continue
            refs.append(SectionRef(level_config.source, node, level, "web.config"))
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
