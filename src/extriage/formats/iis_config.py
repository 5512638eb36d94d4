"""IIS configuration files: ``applicationHost.config`` and ``web.config``, parsed safely.

Why a small tree of our own instead of ElementTree: verdicts must name the deciding *element and
line* ("wwwroot\\web.config line 57: <clear/>"), and ElementTree keeps no line numbers. Parsing goes
through expat with ``defusedxml``'s refusals (DTDs, entities and external references forbidden), so XML
bombs and XXE are refused with a one-line :class:`ConfigError` instead of being expanded.

Sites, applications, virtual directories and log folders come out with ``%SystemDrive%``-style
variables expanded to a Windows path (``C:``...) so other stages can find them in the evidence.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from xml.parsers import expat

import defusedxml

#: IIS refuses configuration files above 100 MB; we refuse well before to bound memory.
MAX_CONFIG_BYTES = 32 * 1024 * 1024
#: Nesting this deep is never legitimate IIS configuration (IIS schema is < 15 levels).
MAX_DEPTH = 200

#: Default expansion of the environment variables IIS configuration uses (system drive assumed C:).
DEFAULT_ENV: dict[str, str] = {
    "systemdrive": "C:",
    "systemroot": "C:\\Windows",
    "windir": "C:\\Windows",
    "programfiles": "C:\\Program Files",
    "programfiles(x86)": "C:\\Program Files (x86)",
    "programdata": "C:\\ProgramData",
    "exchangeinstallpath": "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\",
}
_ENV_RE = re.compile(r"%([A-Za-z0-9_()]+)%")


class ConfigError(ValueError):
    """A configuration file cannot be used: malformed, hostile (DTD/entities), or too large."""


# -- a tiny element tree with line numbers ---------------------------------------------------


@dataclass(slots=True, eq=False)
class XNode:
    """One XML element: tag, attributes (original case), children and the line it starts on."""

    tag: str
    attrs: dict[str, str]
    line: int
    children: list[XNode] = field(default_factory=list)

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrs.get(name, default)

    def find(self, tag: str) -> XNode | None:
        for child in self.children:
            if child.tag == tag:
                return child
        return None

    def findall(self, tag: str) -> list[XNode]:
        return [c for c in self.children if c.tag == tag]

    def path(self, *tags: str) -> XNode | None:
        """Follow child tags (first match at each step), e.g. ``path("system.webServer", "rewrite")``."""
        node: XNode | None = self
        for tag in tags:
            if node is None:
                return None
            node = node.find(tag)
        return node

    def iter(self, tag: str | None = None) -> Iterator[XNode]:
        stack = [self]
        while stack:
            node = stack.pop()
            if tag is None or node.tag == tag:
                yield node
            stack.extend(reversed(node.children))

    def copy(self) -> XNode:
        """A deep copy: the same tags, attributes and lines in new nodes (what parsing the same bytes
        again gives)."""
        return XNode(self.tag, dict(self.attrs), self.line, [child.copy() for child in self.children])

    def describe(self) -> str:
        """``<rule name="X" stopProcessing="true">`` — how the element is shown to users."""
        attrs = " ".join(f'{k}="{v}"' for k, v in self.attrs.items())
        return f"<{self.tag}{(' ' + attrs) if attrs else ''}>"


def _refuse_dtd(name: str, sysid: str | None, pubid: str | None, has_internal_subset: bool) -> None:
    raise defusedxml.DTDForbidden(name, sysid, pubid)


def _refuse_entity(
    name: str, is_parameter: bool, value: str | None, base: str | None, sysid: str | None,
    pubid: str | None, notation: str | None,
) -> None:
    raise defusedxml.EntitiesForbidden(name, value, base, sysid, pubid, notation)


def _refuse_unparsed_entity(name: str, base: str | None, sysid: str | None, pubid: str | None, notation: str | None) -> None:
    raise defusedxml.EntitiesForbidden(name, None, base, sysid, pubid, notation)


def _refuse_external(context: str, base: str | None, sysid: str | None, pubid: str | None) -> int:
    raise defusedxml.ExternalReferenceForbidden(context, base, sysid, pubid)


def _build_tree(data: bytes) -> XNode | None:
    """The element tree of ``data`` through expat directly, refusing what defusedxml refuses.

    Why not ``defusedxml.sax``: its per-element SAX layer (``AttributesImpl``, locator calls) cost
    more than the tree itself, and a parser object per file dominated thousands of small web.configs.
    The protections are defusedxml's own (the same handlers and exceptions on the same expat events):
    a DTD, an entity declaration or an external reference stops the parse.
    """
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_entity
    parser.UnparsedEntityDeclHandler = _refuse_unparsed_entity
    parser.ExternalEntityRefHandler = _refuse_external
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_UNLESS_STANDALONE)
    stack: list[XNode] = []
    push = stack.append
    roots: list[XNode] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        node = XNode(name, attrs, parser.CurrentLineNumber, [])
        if stack:
            stack[-1].children.append(node)
        elif not roots:
            roots.append(node)
        push(node)
        if len(stack) > MAX_DEPTH:
            raise ConfigError(f"elements nested more than {MAX_DEPTH} deep (line {node.line}); refused")

    def end(name: str) -> None:
        stack.pop()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        with gc_paused():
            parser.Parse(data, True)
    finally:
        # ``start`` holds the parser (line numbers) and the parser holds ``start``: a cycle that only
        # the cyclic collector frees, keeping the parser's tables alive meanwhile (100,000 web.configs
        # read with the collector paused: gigabytes). Dropping the handlers breaks it.
        parser.StartElementHandler = None
        parser.EndElementHandler = None
    return roots[0] if roots else None


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while a tree of fresh, acyclic objects is built (it would
    rescan the growing tree again and again: a third of a 100,000-application parse)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def parse_xml(data: bytes, source: str) -> XNode:
    """Parse ``data`` into an :class:`XNode` tree. Raises :class:`ConfigError` naming ``source``."""
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{source}: {len(data):,} bytes is larger than any real IIS configuration; not parsed")
    if not data.strip():
        raise ConfigError(f"{source}: the file is empty")
    try:
        root = _build_tree(data)
    except defusedxml.DTDForbidden:
        raise ConfigError(
            f"{source}: contains a DTD (<!DOCTYPE>), which IIS configuration never has; refused "
            "(XML bomb / external entity protection)"
        ) from None
    except defusedxml.EntitiesForbidden:
        raise ConfigError(f"{source}: declares XML entities (possible XML bomb); refused") from None
    except defusedxml.ExternalReferenceForbidden:
        raise ConfigError(f"{source}: references an external entity (XXE); refused") from None
    except defusedxml.DefusedXmlException as exc:
        raise ConfigError(f"{source}: refused by the safe XML parser ({type(exc).__name__})") from None
    except expat.ExpatError as exc:
        raise ConfigError(
            f"{source}: not well-formed XML at line {exc.lineno}, column {exc.offset} "
            f"({expat.ErrorString(exc.code)})"
        ) from None
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{source}: nested too deeply; refused") from None
    except (LookupError, ValueError) as exc:
        # expat hands an encoding it does not know to Python's codecs: unknown names raise
        # LookupError, multi-byte ones (UTF-32, UTF-7) ValueError; either way the text cannot be decoded.
        raise ConfigError(
            f"{source}: unreadable XML, its declaration names the encoding {_declared_encoding(data)!r}, "
            f"which cannot be decoded ({exc})"
        ) from None
    if root is None:
        raise ConfigError(f"{source}: holds no XML element")
    if root.tag != "configuration":
        raise ConfigError(f"{source}: the root element is <{root.tag}>, not <configuration>")
    return root


_DECLARED_ENCODING_RE = re.compile(rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([^"']{0,60})""")


def _declared_encoding(data: bytes) -> str:
    """The encoding named in the XML declaration (for messages), or ``"?"``."""
    m = _DECLARED_ENCODING_RE.match(data[:400])
    return m.group(1).decode("ascii", "backslashreplace") if m else "?"


def expand_env(value: str, env: dict[str, str] | None = None) -> str:
    """Expand ``%SystemDrive%``-style variables (case-insensitive) to Windows paths; unknown ones stay."""
    if "%" not in value and "/" not in value and "\\\\" not in value:
        return value  # nothing to expand or collapse (most physical paths: called per virtual directory)
    table = DEFAULT_ENV if env is None else {**DEFAULT_ENV, **{k.lower(): v for k, v in env.items()}}

    def repl(m: re.Match[str]) -> str:
        return table.get(m.group(1).lower(), m.group(0))

    expanded = _ENV_RE.sub(repl, value) if "%" in value else value
    # "%ExchangeInstallPath%bin" and "...V15\\\\bin" both happen; collapse doubled separators after a drive
    return _DOUBLED_SEP_RE.sub("\\\\", expanded.replace("/", "\\")) if "\\" in expanded else expanded


_DOUBLED_SEP_RE = re.compile(r"(?<!^)\\\\+")


# -- applicationHost.config --------------------------------------------------------------------


@dataclass(slots=True)
class IisVirtualDirectory:
    path: str  # relative to its application, e.g. "/"
    physical_path: str  # expanded Windows path
    line: int = 0


@dataclass(slots=True)
class IisApplication:
    path: str  # URL path within the site, e.g. "/ecp"
    app_pool: str
    vdirs: list[IisVirtualDirectory] = field(default_factory=list)
    line: int = 0

    def root_vdir(self) -> IisVirtualDirectory | None:
        for vdir in self.vdirs:
            if vdir.path == "/":
                return vdir
        return None


@dataclass(slots=True)
class IisBinding:
    protocol: str
    information: str

    def __str__(self) -> str:
        return f"{self.protocol}/{self.information}"


@dataclass(slots=True)
class IisSite:
    name: str
    id: str
    bindings: list[IisBinding] = field(default_factory=list)
    log_directory: str = ""  # expanded Windows path of the log base folder (site's own or siteDefaults')
    applications: list[IisApplication] = field(default_factory=list)
    server_auto_start: bool | None = None
    line: int = 0

    @property
    def w3c_log_folder(self) -> str:
        """Where IIS writes this site's W3C logs: ``<log_directory>\\W3SVC<id>``."""
        base = self.log_directory.rstrip("\\")
        return f"{base}\\W3SVC{self.id}" if base else ""

    # Lookups go through a dict of normalised URL paths built on first use, and walk the prefixes of
    # the wanted URL (a handful) instead of every application: a config with N applications is
    # queried once per application by the mitigation checks, which was quadratic.
    _index: _SiteIndex | None = field(default=None, repr=False, compare=False)

    def _lookup(self) -> _SiteIndex:
        index = self._index
        if index is None or index.built_for != len(self.applications):
            index = self._index = _SiteIndex.build(self.applications)
        return index

    def application(self, path: str) -> IisApplication | None:
        return self._lookup().apps.get(_norm_url(path))

    def application_for(self, url_path: str) -> IisApplication | None:
        """The application serving ``url_path`` (longest matching application path)."""
        index = self._lookup()
        if url_path in index.app_for:
            return index.app_for[url_path]
        found: IisApplication | None = None
        for prefix in _url_prefixes(_norm_url(url_path), index.longest_app):
            found = index.apps.get(prefix)
            if found is not None:
                break
        if len(index.app_for) < _MEMO_LIMIT:
            index.app_for[url_path] = found
        return found

    def physical_path_for(self, url_path: str) -> str | None:
        """The folder that serves ``url_path`` (longest matching app + vdir), as a Windows path."""
        index = self._lookup()
        if url_path in index.phys_for:
            return index.phys_for[url_path]
        wanted = _norm_url(url_path)
        found: str | None = None
        for prefix in _url_prefixes(wanted, index.longest_vdir):
            vdir = index.vdirs.get(prefix)
            if vdir is None:
                continue
            rest = wanted[len(prefix.rstrip("/")) :].strip("/")
            phys = vdir.physical_path.rstrip("\\")
            found = phys + "\\" + rest.replace("/", "\\") if rest else phys
            break
        if len(index.phys_for) < _MEMO_LIMIT:
            index.phys_for[url_path] = found
        return found


@dataclass(slots=True)
class _SiteIndex:
    """A site's applications and virtual directories keyed by normalised URL path (first one wins,
    as in a linear search)."""

    built_for: int
    apps: dict[str, IisApplication]
    vdirs: dict[str, IisVirtualDirectory]
    longest_app: int
    longest_vdir: int
    #: answers already given, by URL as asked (the mitigation checks ask each level several times)
    app_for: dict[str, IisApplication | None] = field(default_factory=dict)
    phys_for: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def build(cls, applications: list[IisApplication]) -> _SiteIndex:
        apps: dict[str, IisApplication] = {}
        vdirs: dict[str, IisVirtualDirectory] = {}
        for app in applications:
            apps.setdefault(_norm_url(app.path), app)
            for vdir in app.vdirs:
                vdirs.setdefault(_norm_url(app.path.rstrip("/") + "/" + vdir.path.lstrip("/")), vdir)
        return cls(
            built_for=len(applications),
            apps=apps,
            vdirs=vdirs,
            longest_app=max(map(len, apps), default=0),
            longest_vdir=max(map(len, vdirs), default=0),
        )


#: answers memoised per site at most (bounds memory whatever URLs a caller asks about)
_MEMO_LIMIT = 1_000_000


def _url_prefixes(wanted: str, longest: int) -> Iterator[str]:
    """``/a/b/c``, ``/a/b``, ``/a``, ``/``: the normalised paths that serve ``wanted``, longest first
    (none longer than ``longest``, so a hostile URL with thousands of slashes costs little)."""
    if len(wanted) <= longest:
        yield wanted
    end = min(len(wanted), longest + 1)
    while True:
        cut = wanted.rfind("/", 0, end)
        if cut <= 0:
            break
        yield wanted[:cut]
        end = cut
    if wanted != "/":
        yield "/"


@dataclass(slots=True)
class IisAppPool:
    name: str
    auto_start: bool | None  # None = attribute absent (IIS default: true)
    start_mode: str  # "OnDemand" (default) or "AlwaysRunning"
    line: int = 0
    element: str = ""


@dataclass(slots=True)
class ConfigLocation:
    """A ``<location path=...>`` section: its settings apply to ``path`` (site/app URL)."""

    path: str  # as written, e.g. "Default Web Site/ecp"; "" for the server level
    node: XNode
    inherit_in_child_applications: bool = True
    override_mode: str = ""


@dataclass(slots=True)
class AppHostConfig:
    source: str
    root: XNode
    sites: list[IisSite] = field(default_factory=list)
    site_defaults_log_directory: str = ""
    app_pools: dict[str, IisAppPool] = field(default_factory=dict)  # keyed by lower-case name
    global_modules: dict[str, XNode] = field(default_factory=dict)  # lower-case name -> <add>
    locations: list[ConfigLocation] = field(default_factory=list)
    #: ``locations`` keyed by trimmed lower-case path, built on first use (one lookup per URL level).
    _locations_index: tuple[int, dict[str, list[ConfigLocation]]] | None = field(
        default=None, repr=False, compare=False
    )

    def site(self, name: str) -> IisSite | None:
        for site in self.sites:
            if site.name.lower() == name.lower():
                return site
        return None

    def app_pool(self, name: str) -> IisAppPool | None:
        return self.app_pools.get(name.lower())

    def locations_for(self, path: str) -> list[ConfigLocation]:
        """``<location>`` sections whose path is exactly ``path`` (case-insensitive, ``/`` trimmed)."""
        index = self._locations_index
        if index is None or index[0] != len(self.locations):
            by_path: dict[str, list[ConfigLocation]] = {}
            for loc in self.locations:
                by_path.setdefault(loc.path.strip("/").lower(), []).append(loc)
            index = self._locations_index = (len(self.locations), by_path)
        return list(index[1].get(path.strip("/").lower(), ()))


def _norm_url(path: str) -> str:
    p = "/" + path.strip().replace("\\", "/").strip("/")
    return p.lower()


def _bool(value: str | None) -> bool | None:
    if value is None:
        return None
    v = value.strip().lower()
    if v in {"true", "1"}:
        return True
    if v in {"false", "0"}:
        return False
    return None


def parse_application_host(data: bytes, source: str, env: dict[str, str] | None = None) -> AppHostConfig:
    """Parse ``applicationHost.config``. Raises :class:`ConfigError` with a one-line reason."""
    root = parse_xml(data, source)
    cfg = AppHostConfig(source=source, root=root)
    app_host = root.find("system.applicationHost")
    if app_host is None:
        raise ConfigError(f"{source}: no <system.applicationHost> section; not an applicationHost.config")
    sites = app_host.find("sites")
    defaults_dir = ""
    if sites is not None:
        defaults = sites.find("siteDefaults")
        log = defaults.find("logFile") if defaults is not None else None
        if log is not None and log.get("directory"):
            defaults_dir = expand_env(log.get("directory") or "", env)
        cfg.site_defaults_log_directory = defaults_dir or expand_env("%SystemDrive%\\inetpub\\logs\\LogFiles", env)
        for node in sites.findall("site"):
            with gc_paused():
                cfg.sites.append(_parse_site(node, cfg.site_defaults_log_directory, env))
    else:
        cfg.site_defaults_log_directory = expand_env("%SystemDrive%\\inetpub\\logs\\LogFiles", env)
    pools = app_host.find("applicationPools")
    if pools is not None:
        for add in pools.findall("add"):
            name = add.get("name")
            if not name:
                continue
            cfg.app_pools[name.lower()] = IisAppPool(
                name=name,
                auto_start=_bool(add.get("autoStart")),
                start_mode=add.get("startMode") or "OnDemand",
                line=add.line,
                element=_short(add),
            )
    web_server = root.find("system.webServer")
    modules = web_server.find("globalModules") if web_server is not None else None
    if modules is not None:
        for add in modules.findall("add"):
            if add.get("name"):
                cfg.global_modules[(add.get("name") or "").lower()] = add
    for loc in root.findall("location"):
        cfg.locations.append(
            ConfigLocation(
                path=loc.get("path", "") or "",
                node=loc,
                inherit_in_child_applications=_bool(loc.get("inheritInChildApplications")) is not False,
                override_mode=loc.get("overrideMode", "") or "",
            )
        )
    return cfg


def _short(node: XNode) -> str:
    keep = {k: v for k, v in node.attrs.items() if k in {"name", "autoStart", "startMode", "path", "image"}}
    attrs = " ".join(f'{k}="{v}"' for k, v in keep.items())
    return f"<{node.tag} {attrs}>" if attrs else f"<{node.tag}>"


def _parse_site(node: XNode, defaults_dir: str, env: dict[str, str] | None) -> IisSite:
    site = IisSite(
        name=node.get("name", "") or "",
        id=node.get("id", "") or "",
        server_auto_start=_bool(node.get("serverAutoStart")),
        line=node.line,
    )
    log = node.find("logFile")
    if log is not None and log.get("directory"):
        site.log_directory = expand_env(log.get("directory") or "", env)
    else:
        site.log_directory = defaults_dir
    bindings = node.find("bindings")
    if bindings is not None:
        for b in bindings.findall("binding"):
            site.bindings.append(IisBinding(b.get("protocol", "") or "", b.get("bindingInformation", "") or ""))
    # per application and virtual directory: plain attribute lookups (100,000 applications happen)
    for app in node.children:
        if app.tag != "application":
            continue
        attrs = app.attrs
        application = IisApplication(attrs.get("path") or "/", attrs.get("applicationPool") or "", [], app.line)
        vdirs = application.vdirs
        for vd in app.children:
            if vd.tag == "virtualDirectory":
                va = vd.attrs
                vdirs.append(
                    IisVirtualDirectory(va.get("path") or "/", expand_env(va.get("physicalPath") or "", env), vd.line)
                )
        site.applications.append(application)
    return site


# -- web.config --------------------------------------------------------------------------------


@dataclass(slots=True)
class WebConfig:
    """A parsed ``web.config``: the root element and where it came from."""

    source: str
    root: XNode
    #: answers of :meth:`sections` by tags (a site root's web.config is asked once per application)
    _sections: dict[tuple[str, ...], list[tuple[str, bool, XNode]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def sections(self, *tags: str) -> list[tuple[str, bool, XNode]]:
        """Every occurrence of the section at ``tags`` as ``(location path, inherits to child apps, node)``.

        The file's own top-level section has location path ``""``; ``<location path="x">`` sections
        return ``"x"`` (``"."`` is the same as ``""``).
        """
        known = self._sections.get(tags)
        if known is None:
            known = self._sections[tags] = self._find_sections(tags)
        return list(known)

    def _find_sections(self, tags: tuple[str, ...]) -> list[tuple[str, bool, XNode]]:
        found: list[tuple[str, bool, XNode]] = []
        top = self.root.path(*tags)
        if top is not None:
            found.append(("", True, top))
        for loc in self.root.findall("location"):
            node = loc.path(*tags)
            if node is None:
                continue
            path = (loc.get("path", "") or "").strip().strip("/")
            if path == ".":
                path = ""
            inherit = _bool(loc.get("inheritInChildApplications")) is not False
            found.append((path, inherit, node))
        return found


def parse_web_config(data: bytes, source: str) -> WebConfig:
    """Parse a ``web.config``. Raises :class:`ConfigError` with a one-line reason."""
    return WebConfig(source=source, root=parse_xml(data, source))
