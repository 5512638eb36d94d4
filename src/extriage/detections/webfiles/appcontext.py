"""Is a flagged page part of an installed application, or planted beside it?

Real applications ship pages that do what web shells do: an administrator's file manager, a download
handler, a SQL console, an image proxy (``data/application_features.yml``). The code alone cannot
tell such a page from a planted one; the application around it can. A planted page is reached by the
attacker who knows its URL: nothing of the application links to it. A page the application ships is
linked from its menus, other pages, scripts or site map.

So a page whose every finding is one of those features, outside Exchange's own web folders, that is
tied into its application's build (:func:`integration`: web shells are self-contained, to work wherever
they are dropped) and that another file of its application links to (:func:`find_links`; a file with
no finding of its own: pages of a shell kit link each other), is reported for review rather than as a
web shell: the finding stays, with the tie and the link as evidence, and the verdict says
``inconclusive`` and names it (a backdoor added to a linked page of the application looks the same, so
it is not an all-clear either) - until the user lists the page's SHA-256 with ``--reviewed``.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from extriage.datafiles import load_yaml
from extriage.detections.verdict import APPLICATION_FEATURE_TAG, REVIEWED_TAG
from extriage.detections.webfiles.behaviour.extract import directives
from extriage.detections.webfiles.content import line_at
from extriage.findings import Confidence, EvidenceLine, Finding, Outcome, Severity

__all__ = [
    "APPLICATION_FEATURE_TAG",
    "REVIEWED_TAG",
    "application_features",
    "application_roots",
    "as_review",
    "feature_sinks",
    "find_links",
    "find_owners",
    "integration",
    "load_reviewed",
    "mark_reviewed",
    "max_linking_size",
    "reviewed_option",
    "root_folders",
]

#: Files of an application that can link to a page: pages, code, scripts, site maps, project files.
LINKING_EXTENSIONS = frozenset(
    ".aspx .ascx .master .ashx .asmx .asax .asp .cshtml .vbhtml .cs .vb .js .htm .html .config "
    ".sitemap .csproj .vbproj .xml .json .dnn .dll".split()
)
#: Bounds of the look for links (per scan): files larger than this are not read for links, and the
#: look stops after this many bytes or files (the pages it did not settle stay web shells).
MAX_LINKING_FILE = 2 * 1024 * 1024
#: ... and the application's own assemblies (``bin/*.dll``: a Web Application project's code-behinds,
#: compiled, hold their links as UTF-16 strings), up to this size.
MAX_LINKING_ASSEMBLY = 32 * 1024 * 1024
MAX_LINKING_BYTES = 128 * 1024 * 1024
MAX_LINKING_FILES = 20_000
#: The longest path written before a page's name that can link to it (IIS: 260 characters of a path).
MAX_LINK_PATH = 1024
#: Characters of a path or URL written in a file, before the file name.
_PATH_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_-.~/\\%")
#: Attributes by which a page names its own code (``CodeFile="admin/x.aspx.cs"``): not a link to it
#: (``Src=`` and ``#include`` are told apart by the stage, which knows the pages taking files in: an
#: ``<img src="Thumb.ashx">`` is a link).
_OWN_CODE_ATTRIBUTES = (b"codefile", b"codebehind")
#: Characters that continue a file name (after them it is another name: ``files.aspx.cs``).
_NAME_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_-.")
_CODE_PAIR = (".cs", ".vb", ".designer.cs", ".designer.vb")


@cache
def application_features() -> dict[str, str]:
    """Behaviour sink id -> the application feature it is (``data/application_features.yml``)."""
    raw = load_yaml(
        resources.files("extriage.detections.webfiles")
        .joinpath("data", "application_features.yml")
        .read_text(encoding="utf-8")
    )
    return {str(k): str(v) for k, v in raw["features"].items()}


def feature_sinks(classifications: Iterable[str]) -> list[str] | None:
    """The sinks of a file's reasons when every reason is a behaviour finding of an application
    feature (``behaviour:<sink>``); ``None`` when any reason is something else (a YARA rule, a known
    hash, a location, a sink that runs code)."""
    features = application_features()
    sinks: list[str] = []
    for c in classifications:
        kind, _, sink = c.partition(":")
        if kind != "behaviour" or sink not in features:
            return None
        if sink not in sinks:
            sinks.append(sink)
    return sinks or None


def _parent(key: str) -> str:
    return key.rsplit("/", 1)[0] if "/" in key else ""


def root_folders(keys: Iterable[str]) -> set[str]:
    """Folders of the evidence that are an application's root or part of one: those holding a
    ``web.config`` or a ``bin`` folder."""
    out: set[str] = set()
    for k in keys:
        if k.endswith("/web.config"):
            out.add(k[: -len("/web.config")])
        i = k.find("/bin/")
        while i >= 0:
            out.add(k[:i])
            i = k.find("/bin/", i + 1)
    return out


def application_roots(page_key: str, roots: set[str]) -> list[str]:
    """The folders of ``roots`` (see :func:`root_folders`) above a page, nearest first: ``~/`` in a
    link means one of them. Empty when none is in the evidence (then the page's own folder stands
    for it)."""
    out = []
    folder = _parent(page_key)
    while folder:
        if folder in roots:
            out.append(folder)
        folder = _parent(folder)
    return out


def target_name(page_key: str, keys: set[str], owners: dict[str, str] | None = None) -> str:
    """The key links name for a page: a code-behind (``files.aspx.cs``), a page's ``CodeFile``/``Src``
    or an included file is reached through the page that takes it in (``owners``: file -> page)."""
    if owners and page_key in owners:
        return owners[page_key]
    for suffix in _CODE_PAIR:
        if page_key.endswith(suffix) and page_key[: -len(suffix)] in keys:
            return page_key[: -len(suffix)]
    return page_key


def own_pair(page_key: str, other_key: str) -> bool:
    """``other_key`` is the page itself, its code-behind or designer file, or the page of a code file."""
    a, b = (page_key, other_key) if len(page_key) <= len(other_key) else (other_key, page_key)
    return a == b or any(b == a + s for s in _CODE_PAIR)


def _resolves(token: str, page_key: str, roots: list[str], referrer_key: str, url: str | None) -> bool:
    """Does a path written in the referrer (``~/admin/files.aspx``, ``/app/admin/files.aspx``,
    ``../admin/files.aspx``, ``files.aspx``) name the page?"""
    token = token.replace("\\", "/")
    if token.startswith("~/"):
        rest = token[2:]
        return any(posixpath.normpath(f"{r}/{rest}") == page_key for r in roots or [_parent(page_key)])
    if token.startswith("/"):
        # site-rooted: the URL of the page when the IIS configuration gave it, else the path's tail
        if url and token.rstrip("/") == url.lower().rstrip("/"):
            return True
        parts = [p for p in token.split("/") if p]
        page_parts = page_key.split("/")
        if len(parts) == 1:  # "/x.ashx": the site's root - taken as an application root the page sits in
            return any(page_key == f"{r}/{parts[0]}" for r in roots)
        return page_parts[-len(parts) :] == parts
    bases = [_parent(referrer_key), *roots] if roots else [_parent(referrer_key), _parent(page_key)]
    for base in bases:
        joined = posixpath.normpath(f"{base}/{token}" if base else token)
        if joined == page_key:
            return True
    return False


def is_assembly(key: str) -> bool:
    """An assembly of the application (``bin/*.dll``): its strings are UTF-16."""
    return key.endswith(".dll") and "/bin/" in key


def max_linking_size(key: str) -> int:
    return MAX_LINKING_ASSEMBLY if is_assembly(key) else MAX_LINKING_FILE


def find_link_in_assembly(
    page_key: str, roots: list[str], referrer_key: str, data: bytes, url: str | None = None
) -> tuple[None, str] | None:
    """A string of a compiled assembly (UTF-16, as .NET keeps string literals) that links to the page:
    ``(None, the string)`` - an assembly has no lines."""
    wide = page_key.rsplit("/", 1)[-1].encode("utf-16-le")
    low = data.lower()
    pos = low.find(wide)
    while pos >= 0:
        start = max(pos - 512, pos % 2)  # the same byte parity as the name: whole UTF-16 units
        end = min(len(data), pos + len(wide) + 256)
        end -= (end - start) % 2
        text = data[start:end].decode("utf-16-le", "replace").encode("utf-8", "replace")
        hit = find_link(page_key, roots, referrer_key, text.replace(b"\x00", b"\n"), url)
        if hit is not None:
            return None, hit[1]
        pos = low.find(wide, pos + 1)
    return None


def find_link(
    page_key: str, roots: list[str], referrer_key: str, data: bytes, url: str | None = None
) -> tuple[int, str] | None:
    """The first line of ``data`` (the referrer's text) that links to the page: (line number, line)."""
    name = page_key.rsplit("/", 1)[-1].encode("utf-8", "replace")
    low = data.lower()
    pos = low.find(name)
    while pos >= 0:
        end = pos + len(name)
        if end == len(low) or low[end] not in _NAME_CHARS:
            start = pos
            floor = max(0, pos - MAX_LINK_PATH)  # hostile text: a path is never longer; O(size) per file
            while start > floor and low[start - 1] in _PATH_CHARS:
                start -= 1
            prefix_ok = (start == pos or low[pos - 1] in b"/\\") and not (start == floor and floor > 0)
            token = low[start:end].decode("latin-1")
            # a URL's scheme and host are not part of the path: "//host/app/x.aspx" -> "/app/x.aspx"
            if token.startswith("//"):
                token = "/" + token[2:].split("/", 1)[-1] if "/" in token[2:] else token[1:]
            before = low[max(0, start - 24) : start].rstrip(b"\"' \t=").rstrip()
            if before.endswith(_OWN_CODE_ATTRIBUTES):
                pass  # the page taking its own code in (CodeFile=, CodeBehind=), not a link
            elif prefix_ok and _resolves(token, page_key, roots, referrer_key, url):
                return line_at(data, pos)
        pos = low.find(name, pos + 1)
    return None


#: Namespaces of the .NET Framework and its runtimes: importing them says nothing about an application.
_FRAMEWORK = ("system", "microsoft", "mono", "windows")
#: ``using X.Y;`` (C#), ``Imports X.Y`` (VB) and ``<%@ Import Namespace="X.Y" %>``.
_IMPORT = re.compile(
    r"""(?im)^[ \t]*(?:using|imports)[ \t]+(?:static[ \t]+)?([a-z_][\w.]*)[ \t]*;?[ \t]*$"""
    r"""|<%@\s*import\s+namespace\s*=\s*["']?([a-z_][\w.]*)"""
)


def _framework(name: str) -> bool:
    low = name.lower()
    return any(low == f or low.startswith(f + ".") for f in _FRAMEWORK)


def _existing(path: str, page_key: str, roots: list[str], keys: set[str]) -> str | None:
    """The evidence file a directive's path (``~/Site.master``, ``Files.aspx.cs``) names, if present."""
    path = path.strip().replace("\\", "/").lower()
    if not path:
        return None
    folder = _parent(page_key)
    if path.startswith("~/"):
        bases, path = (roots or [folder]), path[2:]
    elif path.startswith("/"):
        parts = [p for p in path.split("/") if p]
        return next((k for k in keys if parts and k.split("/")[-len(parts) :] == parts), None)
    else:
        bases = [folder]
    for base in bases:
        key = posixpath.normpath(f"{base}/{path}" if base else path)
        if key in keys:
            return key
    return None


def integration(
    page_key: str, data: bytes, keys: set[str], roots: list[str], owners: dict[str, str] | None = None
) -> str | None:
    """What ties a page into its application's build, or ``None`` for a self-contained page (as web
    shells are, to work wherever they are dropped): it is the code of another page; it uses the
    application's master page, code-behind or user controls; it inherits a class compiled into the
    application (``bin``); or its code imports a namespace that is not the framework's while the
    application has assemblies of its own."""
    pair = target_name(page_key, keys)
    owner = (owners or {}).get(page_key) or (pair if pair != page_key else None)
    if owner:
        return f"it is the code of {owner.rsplit('/', 1)[-1]}"
    compiled = any(
        k.endswith(".dll") and is_assembly(k) and any(k.startswith(f"{r}/bin/") for r in roots) for k in keys
    )
    text = data[:65536].decode("utf-8", "replace")
    for d in directives(text)[:20]:  # a hostile page may hold hundreds; a real one a few
        attrs = d.attrs
        for attr, what in (
            ("masterpagefile", "master page"),
            ("codebehind", "code-behind"),
            ("codefile", "code-behind"),
            ("src", "code" if d.name != "register" else "user control"),
        ):
            found = _existing(attrs.get(attr, ""), page_key, roots, keys)
            if found is not None and found != page_key:
                return f"it uses the application's {what} {found.rsplit('/', 1)[-1]}"
        base = attrs.get("inherits") or attrs.get("class") or ""
        last = base.rsplit(".", 1)[-1]
        if (
            compiled
            and last
            and not _framework(base)
            and not re.search(rf"\bclass\s+{re.escape(last)}\b", text, re.I)
        ):
            return f"it inherits {base}, compiled into the application (bin)"
    if compiled:
        for m in _IMPORT.finditer(text):
            ns = m.group(1) or m.group(2) or ""
            if ns and not _framework(ns):
                return f"its code uses the application's namespace {ns}"
    return None


@dataclass(frozen=True, slots=True)
class Link:
    """Another file of the application that links to a flagged page."""

    referrer: str  # display path
    line: int | None  # None in an assembly
    raw: str
    sha256: str | None
    #: Not a link by name: the application loads user controls by a name it reads at run time.
    dynamic: bool = False


#: Reads an evidence file for links: ``(data, sha256)`` or ``None`` when it could not be read.
Reader = Callable[[str], tuple[bytes, str] | None]


#: ``LoadControl(`` whose argument is not a literal: controls loaded by a name read at run time (lower case).
_DYNAMIC_LOAD = re.compile(rb"\bloadcontrol\s*\(\s*(?![\s\"')])")
#: Pages that may name a code file as theirs (``CodeBehind="~/App_Code/Upload.ashx.cs"``), read for it.
_OWNING_EXTENSIONS = frozenset(".aspx .ascx .master .ashx .asmx .asax".split())
MAX_OWNING_FILE = 256 * 1024


def find_owners(
    code_files: list[str], keys: dict[str, tuple[str, int]], read: Reader, folders: set[str]
) -> dict[str, str]:
    """Code files (``.cs``/``.vb``) -> the page or handler whose ``CodeBehind``/``CodeFile`` names them,
    within their application: a handler's class kept in ``App_Code`` is reached through the handler.
    Each page file is read once whatever the number of code files (at most ``MAX_LINKING_FILES``)."""
    out: dict[str, str] = {}
    keyset = set(keys)
    by_top: dict[str, list[str]] = {}
    for code in code_files:
        roots = application_roots(code, folders)
        by_top.setdefault(roots[-1] if roots else _parent(code), []).append(code)
    budget = MAX_LINKING_FILES
    for top, codes in sorted(by_top.items()):
        names = {c.rsplit("/", 1)[-1].encode() for c in codes}
        for key, (_shown, size) in sorted(keys.items()):
            dot = key.rfind(".")
            if (
                dot < 0
                or key[dot:] not in _OWNING_EXTENSIONS
                or size > MAX_OWNING_FILE
                or not key.startswith(f"{top}/")
            ):
                continue
            if budget <= 0:
                return out
            budget -= 1
            got = read(key)
            if got is None:
                continue
            low = got[0].lower()
            if not any(n in low for n in names):
                continue
            page_roots = application_roots(key, folders)
            text = got[0][:65536].decode("utf-8", "replace")
            for d in directives(text)[:20]:
                for attr in ("codebehind", "codefile"):
                    named = _existing(d.attrs.get(attr, ""), key, page_roots, keyset)
                    if named is not None and named in codes:
                        out.setdefault(named, key)
    return out


def find_links(
    pages: dict[str, str | None],
    keys: dict[str, tuple[str, int]],
    flagged: set[str],
    read: Reader,
    owners: dict[str, str] | None = None,
) -> tuple[dict[str, Link], list[str]]:
    """For each page (key -> its URL or ``None``), the first unflagged file of its application that
    links to it. ``keys``: every file of the evidence, key -> (display path, size); ``owners``: code
    and include files -> the page that takes them in (links must reach that page, and it is no link
    itself). Returns the links found and the pages the bounded look could not settle (they stay web
    shells)."""
    owners = owners or {}
    keyset = set(keys)
    folders = root_folders(keyset)
    roots_of = {p: application_roots(p, folders) for p in pages}
    scope: dict[str, list[str]] = {}  # folder whose files may link -> pages it may link to
    for page, roots in roots_of.items():
        top = roots[-1] if roots else _parent(page)
        scope.setdefault(top, []).append(page)
    found: dict[str, Link] = {}
    loaders: dict[str, Link] = {}  # application folder -> its first dynamic LoadControl (user controls)
    budget_bytes, budget_files = MAX_LINKING_BYTES, MAX_LINKING_FILES
    unsettled: list[str] = []
    ordered = sorted(keys)
    for top, wanted in sorted(scope.items()):
        prefix = f"{top}/" if top else ""
        targets = {p: target_name(p, keyset, owners) for p in wanted}
        names = {t.rsplit("/", 1)[-1].encode() for t in targets.values()}
        controls = any(t.endswith(".ascx") for t in targets.values())
        for key in ordered:
            if len(found) == len(pages) or not key.startswith(prefix) or key in flagged:
                continue
            dot = key.rfind(".")
            if dot < 0 or key[dot:] not in LINKING_EXTENSIONS:
                continue
            shown, size = keys[key]
            assembly = is_assembly(key)
            if size > max_linking_size(key) or (key.endswith(".dll") and not assembly):
                continue
            open_pages = [
                p for p in wanted if p not in found and not own_pair(p, key) and not own_pair(targets[p], key)
            ]
            if not open_pages:
                continue
            if budget_files <= 0 or budget_bytes < size:
                unsettled.extend(p for p in open_pages if p not in unsettled)
                break
            got = read(key)
            budget_files -= 1
            budget_bytes -= size
            if got is None:
                continue
            data, sha = got
            low = data.lower()
            if controls and top not in loaders and not assembly:
                loader = _DYNAMIC_LOAD.search(low)
                if loader is not None:
                    line_no, raw = line_at(data, loader.start())
                    loaders[top] = Link(shown, line_no, raw, sha, dynamic=True)
            if not any((n.decode().encode("utf-16-le") if assembly else n) in low for n in names):
                continue
            for page in open_pages:
                look = find_link_in_assembly if assembly else find_link
                hit = look(targets[page], roots_of[page], key, data, pages[page])
                if hit is not None:
                    found[page] = Link(shown, hit[0], hit[1], sha)
        # a user control cannot be requested (ASP.NET forbids .ascx): it runs only when a page loads it; an
        # application that loads controls by a name read at run time (a portal's module table) is its link
        for page in wanted:
            if page not in found and targets[page].endswith(".ascx") and top in loaders:
                found[page] = loaders[top]
    return found, [p for p in unsettled if p not in found]


def as_review(finding: Finding, sinks: list[str], link: Link, tie: str) -> None:
    """Turn a web shell finding of an application page into one for review (in place)."""
    features = application_features()
    what = "; ".join(features[s] for s in sinks)
    finding.outcome = Outcome.INFO
    finding.severity = Severity.MEDIUM
    finding.confidence = Confidence.LOW
    finding.title = f"For review, a page of an installed application: {finding.title}"
    finding.description = (
        f"{finding.description} The page looks part of an installed application: {tie}, and "
        + (
            f"{link.referrer} loads user controls by a name it reads at run time (line {link.line}; a user "
            "control cannot be requested, it runs only when a page loads it)."
            if link.dynamic
            else f"{link.referrer} links to it "
            + (f"(line {link.line})." if link.line is not None else "(a string of that compiled assembly).")
        )
        + f" Applications ship pages that do this ({what}), so it is not reported as a web "
        "shell; but a backdoor added to a page of the application looks the same. Confirm the page is the "
        "application's own (compare it with the vendor's copy or a backup, check who may reach it) before "
        "taking the server as clean."
    ).strip()
    if APPLICATION_FEATURE_TAG not in finding.tags:
        finding.tags.append(APPLICATION_FEATURE_TAG)
    finding.evidence.append(
        EvidenceLine(
            source=link.referrer,
            line=link.line,
            raw=link.raw,
            fields={"reason": "application-link", "role": "loader" if link.dynamic else "link", "tie": tie},
            sha256=link.sha256,
        )
    )


_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def load_reviewed(path: str) -> set[str]:
    """The SHA-256 values of application pages a user confirmed as the application's own (``--reviewed``):
    one per line, as ``sha256sum`` writes them (``<sha256>  <path>``) or alone; ``#`` starts a comment.
    Raises ``ValueError`` with a sentence naming the line that is neither."""
    out: set[str] = set()
    with open(path, encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            first = text.split()[0].lstrip("\\")
            if not _SHA256.fullmatch(first):
                raise ValueError(
                    f"line {n} of {path} is not a SHA-256 (64 hex digits, optionally followed by a path): "
                    f"{text[:80]!r}"
                )
            out.add(first.lower())
    return out


def reviewed_option(path: str) -> dict[str, object]:
    """``--reviewed FILE`` as scan options carry it: the file's name and its SHA-256 values (read once, by
    the command: a fleet's workers need not see the file). Raises ``OSError``/``ValueError`` as
    :func:`load_reviewed`."""
    return {"source": path, "sha256": sorted(load_reviewed(path))}


def mark_reviewed(finding: Finding, source: str) -> None:
    """A page for review whose exact content the user confirmed (``--reviewed``): kept as information,
    it no longer keeps the verdict open."""
    finding.tags.append(REVIEWED_TAG)
    finding.title = finding.title.replace("For review, a page", "Reviewed, a page", 1)
    finding.description += (
        f" Its SHA-256 is listed in {source} (--reviewed): confirmed as the application's own, it does not keep "
        "the verdict open; a change to the page gives another SHA-256 and brings it back for review."
    )
