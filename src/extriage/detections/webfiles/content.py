"""What runs in the worker processes: one read per file, hashing, type sniffing, YARA and the
targeted checks (minidump with lsass.exe, DEARCRY! header, PST-encoded pages, compiled pages) on the
same bytes.

A file up to the size cap is read once into memory; a larger file is streamed once: hashed and
checked for the minidump/ransomware headers (LSASS dumps are often hundreds of MB), its content rules
not run (reported as partly read). Content that is UTF-16 is scanned as decoded text so every rule,
ours or external, sees the same characters whatever the encoding. Logs are not matched against web
shell rules: their exploit strings are the log stage's business.
"""

from __future__ import annotations

import gc
import hashlib
import html
import os
import re
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any, BinaryIO, NamedTuple

import yara_x

from extriage.detections.webfiles import behaviour
from extriage.detections.webfiles.baseline import (
    KNOWN_GOOD,
    Baseline,
    load_baseline,
    normalise_relative,
    normalise_relative_cached,
)
from extriage.detections.webfiles.behaviour.extract import code_extension, references
from extriage.detections.webfiles.core_sites import core_program
from extriage.detections.webfiles.knowledge import known_bad, location_rules
from extriage.detections.webfiles.paths import PathMatcher
from extriage.detections.webfiles.rules import load_serialized
from extriage.evidence.locate import LocatedFile
from extriage.evidence.source import ArtifactRef, native_path, open_artifact, open_regular_fd
from extriage.file_outcome import FileOutcome
from extriage.findings import SkippedFile

CHUNK = 4 * 1024 * 1024
EXCERPT = 300
SCRIPT_EXTENSIONS = frozenset(
    {
        ".aspx",
        ".ashx",
        ".asmx",
        ".asp",
        # classic ASP too: IIS hands .asa, .cer and .cdx to asp.dll (X22's request, session 12)
        ".asa",
        ".cer",
        ".cdx",
        ".ascx",
        ".asax",
        ".cshtml",
        ".vbhtml",
        ".svc",
        ".soap",
        ".rem",
        ".master",
        ".config",
        # IIS runs these too (X38's request, session 16, approved by the lead): workflow services through WCF's
        # HTTP activation (.xamlx, .xoml), server-side includes through ServerSideIncludeModule (.stm, .shtm,
        # .shtml, whose #exec runs a command)
        ".xamlx",
        ".xoml",
        ".stm",
        ".shtm",
        ".shtml",
    }
)
#: Source files ASP.NET compiles itself when the application starts or a page is first requested: every
#: file of an ``App_Code`` folder (and its ``codeSubDirectories``), a page's ``CodeFile``/``Src`` file
#: (Web Site projects). Their code is behaviour-analysed like a handler's; a ``.cs`` anywhere else in a
#: web folder is not compiled by ASP.NET (and IIS refuses to serve it), so only YARA reads it.
CODE_EXTENSIONS = frozenset(behaviour.CODE_LANGUAGES)
#: Files whose content the server runs as code (besides compiled sources): where a web shell can be.
_SERVER_CODE_EXTENSIONS = SCRIPT_EXTENSIONS | behaviour.PAGE_EXTENSIONS
#: Extensions of a page's code-behind file named after it (``Default.aspx.cs``): how Visual Studio
#: names a ``CodeFile`` (compiled at run time) or ``CodeBehind`` (compiled into ``bin``) file.
_CODE_BEHIND_OF = (".aspx", ".ascx", ".master", ".asax", ".ashx", ".asmx", ".svc")
#: Pages whose directive may name a source file for ASP.NET to compile with them.
_REF_PAGES = frozenset({".aspx", ".ascx", ".master", ".asax", ".ashx", ".asmx"})
APP_CODE = "App_Code"
CODE_BEHIND = "code-behind"
NAMED_BY_PAGE = "named by a page's CodeFile/Src"
#: ``read_as`` value: code in the language its text reads as.
CODE = "code"


def compiled_code(key: str, name: str) -> str | None:
    """Why ASP.NET compiles this source file itself (:data:`APP_CODE`, :data:`CODE_BEHIND`), or
    ``None`` (not a ``.cs``/``.vb``/``.js`` file, or one it does not compile). ``key``: the
    lower-case ``/`` path of the file."""
    dot = name.rfind(".")
    if dot < 0 or name[dot:].lower() not in CODE_EXTENSIONS:
        return None
    if "/app_code/" in "/" + key:
        return APP_CODE
    if name[:dot].lower().endswith(_CODE_BEHIND_OF):
        return CODE_BEHIND
    return None


#: Cheap screen before the directives are parsed: most pages name no file. Matched on the lower-cased
#: head at the places its literals occur (:func:`ref_hint`), never scanned over the whole head.
_REF_HINT = re.compile(rb"\b(?:codefile|src)\s*=|#include\b")
_REF_NEEDLES = (b"codefile", b"src", b"#include")
#: How a page takes code from another file, of those :func:`page_refs` follows (``reference`` names
#: another page or control, which is read as itself).
FOLLOWED = frozenset({"codefile", "src", "script", "include"})


def ref_hint(data: bytes) -> bool:
    """Whether the first 64 KB may name a file (``CodeFile=``, ``Src=``, ``#include``, any case). The
    same answer as searching them with the case-insensitive pattern, at a tenth of its cost: Python's
    ``re`` tries such a pattern at every byte (0.8 s of a 2.5 s stage on 14 KB pages), while a match
    can only start where one of its literals does, which ``bytes.find`` locates at memory speed."""
    head = data[:65536].lower()
    for needle in _REF_NEEDLES:
        at = head.find(needle)
        while at >= 0:
            if _REF_HINT.match(head, at):
                return True
            at = head.find(needle, at + 1)
    return False


def page_refs(data: bytes, ext: str = ".aspx") -> list[tuple[str, str]]:
    """Files whose code ASP.NET takes into a page, as (how, path as written): ``codefile``/``src`` on its
    main directive (named or nameless) and ``<%@ Assembly Src %>`` (source files compiled with it),
    ``script`` (``<script runat="server" src>``: that file's text is the script, whatever its
    extension) and ``include`` (``<!-- #include file|virtual -->``: parsed as part of the page)."""
    if not ref_hint(data):
        return []
    text = data[:65536].decode("utf-8", errors="replace")
    return [(how, path) for how, path in references(text, ext) if how in FOLLOWED]


#: A ``<compiler>`` element's ``compilerOptions`` attribute (its value, double- or single-quoted).
_COMPILER_OPTIONS = re.compile(r"""<compiler\b[^>]*?\bcompilerOptions\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
#: A word of the options that names a source file: not an option (``/x``, ``-x``), response file (``@x``)
#: or comment, no wildcard, a name with an extension.
_SOURCE_WORD = re.compile(r"[^/\-@#*?<>|][^*?<>|]*\.\w{1,10}")


def _command_words(line: str) -> list[str]:
    """A compiler command line split as csc splits it: at white space outside double quotes, the quotes
    dropped, ``\\"`` a literal quote."""
    words: list[str] = []
    word: list[str] = []
    quoted = started = False
    i = 0
    while i < len(line):
        c = line[i]
        if c == "\\" and line.startswith('"', i + 1):
            word.append('"')
            i += 2
            continue
        if c == '"':
            quoted, started = not quoted, True
        elif c.isspace() and not quoted:
            if word or started:
                words.append("".join(word))
            word, started = [], False
        else:
            word.append(c)
        i += 1
    if word or started:
        words.append("".join(word))
    return words


def config_refs(data: bytes | str) -> list[tuple[str, str]]:
    """What a configuration names: the ASP.NET Core program it starts (:data:`ASPNET_CORE`), and the source
    files it hands the compiler (issue 14, X38): the bare or quoted file names of a
    ``<compiler compilerOptions=..>``, as ("compiler", path as written). csc compiles them with every page
    of the folder, whatever their extension. Options (``/langversion:7.3 /nowarn:1659``), their
    arguments (``/resource:``, ``/reference:``), response files (``@x.rsp``) and wildcards name none
    here (YARA's config rules name a config that sets an output, resource or absolute path)."""
    raw = data if isinstance(data, str) else data.decode("utf-8", errors="replace")
    program = core_program(raw)
    out: list[tuple[str, str]] = [(ASPNET_CORE, program)] if program is not None else []
    if "compileroptions" not in raw.lower():
        return out
    for m in _COMPILER_OPTIONS.finditer(raw):
        value = html.unescape(m.group(1) if m.group(1) is not None else m.group(2))
        out.extend(("compiler", w) for w in _command_words(value) if _SOURCE_WORD.fullmatch(w))
        if len(out) >= COMPILER_REFS_MAX:
            return out[:COMPILER_REFS_MAX]  # (a hostile config: each absolute path is looked for in the whole tree)
    return out


#: The ``refs`` entry of a configuration that hands its site to the ASP.NET Core Module: (ASPNET_CORE, the
#: program it starts). Not a file to read: the stage names such sites in its coverage (X39, session 17).
ASPNET_CORE = "aspnet-core"


#: Source files taken from one configuration's compilerOptions at most (real ones name none or one).
COMPILER_REFS_MAX = 16


def code_refs(data: bytes, ext: str = ".aspx") -> list[str]:
    """The source files of :func:`page_refs` a page names for ASP.NET to compile with it (not includes)."""
    return [path for how, path in page_refs(data, ext) if how != "include"]


_LSASS_NEEDLES = tuple(
    s.encode(enc) for s in ("lsass.exe", "LSASS.EXE", "Lsass.exe") for enc in ("utf-16-le", "ascii")
)
_VIRTUAL_PATH = re.compile(rb'virtualPath\s*=\s*"([^"]{1,1024})"', re.IGNORECASE)
_LOG_STARTS = (b"#Software:", b"#Version:", b"#Fields:", b"#Date:", b"DateTime,")
#: Kinds whose content rules do not run / that the targeted checks look at.
_NO_CONTENT_RULES = frozenset({"log", "empty", "minidump", "dearcry", "zip", "7z", "rar"})
_TARGETED_KINDS = frozenset({"minidump", "dearcry", "pst"})

DEEP = "deep"  # hash, sniff, YARA, targeted checks
PEEK = "peek"  # header only (8 bytes); promoted to a full read when it is a minidump or DEARCRY! file


@dataclass(frozen=True, slots=True)
class ContentParams:
    rules: bytes  # serialised yara-x rules
    max_size: int
    timeout: float
    external: bool = False  # external rules present: set the Loki-style globals per file
    path_engine: str = "re2"
    baselines: tuple[str, ...] = ()  # extra baseline CSVs
    behaviour: bool = True  # run the behaviour analysis of server code (sources reaching sinks)
    #: (folder key, "cs"/"vb"/"js"): a site's <compilation defaultLanguage>, for its pages whose main directive
    #: names no language; folder keys as LocatedFile.key spells them (lower-case, "/", no trailing "/"); the
    #: longest folder at or above a page's wins (see default_language)
    default_languages: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class _Worker:
    key: int
    scanner: yara_x.Scanner
    timeout: int
    matcher: PathMatcher
    baseline: Baseline
    params: ContentParams
    known_bad: dict[str, str] = field(default_factory=dict)
    folders: dict[str, str] = field(default_factory=dict)  # baseline-normalised folders, by raw folder


# Per thread, not per process: a yara-x ``Scanner`` is bound to the thread that made it (using or
# dropping it on another thread fails), and a Dask worker runs scans in its own threads.
_LOCAL = threading.local()


def current_state() -> _Worker | None:
    """This thread's worker state (rules, scanner, tables), if one was made."""
    state: _Worker | None = getattr(_LOCAL, "state", None)
    return state


def worker_baseline() -> Baseline | None:
    """The baseline the (main-process) worker state holds, to avoid parsing it twice."""
    state = current_state()
    return None if state is None else state.baseline


@cache
def path_matcher(engine: str = "re2") -> PathMatcher:
    """The location rules compiled once per process (in the fork server for all workers)."""
    return PathMatcher(location_rules(), engine)


def init_worker(params: ContentParams) -> None:
    """Process-pool initializer: deserialise the rules once per worker process."""
    _scanner(params)


def _scanner(params: ContentParams) -> _Worker:
    key = hash((params.rules, params.baselines, params.path_engine, params.timeout))
    state = current_state()
    if state is None or state.key != key:
        scanner = yara_x.Scanner(load_serialized(params.rules))
        timeout = max(1, round(params.timeout))
        scanner.set_timeout(timeout)
        scanner.max_matches_per_pattern(64)
        try:
            baseline = load_baseline(list(params.baselines))
        except (OSError, ValueError):  # reported once by the main process
            baseline = load_baseline([])
        matcher = path_matcher(params.path_engine)
        state = _Worker(key, scanner, timeout, matcher, baseline, params, known_bad().sha256)
        _LOCAL.state = state
    return state


_MAGIC = {
    b"MDMP": "minidump",
    b"MZ": "pe",
    b"PK\x03\x04": "zip",
    b"7z\xbc\xaf\x27\x1c": "7z",
    b"Rar!": "rar",
    b"MSCF": "cab",
    b"!BDN": "pst",
    b"DEARCRY!": "dearcry",
}
_MAGIC_FIRST = frozenset(p[0] for p in _MAGIC)


#: Byte order marks of the wide encodings .NET's ``StreamReader`` recognises (how ASP.NET reads a
#: page), longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
_WIDE_MARKS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
#: The kinds whose content rules and behaviour analysis see the decoded text.
WIDE_KINDS = frozenset({"text-utf16", "text-utf32"})


def wide_encoding(head: bytes) -> str | None:
    """The wide encoding of a text from its first bytes (mark, else zero bytes per lane); ``None``
    for 8-bit text or binary.

    Why not trust a mark alone: a UTF-16 mark followed by 8-bit text (no zero byte in the first
    4 KB, where real UTF-16 has one in every space, line break and ASCII letter) decoded as UTF-16
    gives CJK-looking garbage in which no rule matches; such a file is read as the bytes it holds."""
    sample = head[:4096]
    for mark, encoding in _WIDE_MARKS:
        if sample.startswith(mark):
            if encoding.startswith("utf-16") and b"\x00" not in sample[2:]:
                return None
            return encoding
    if b"\x00" not in sample:
        return None
    whole = len(sample) // 4 * 4
    if whole >= 16:
        quarter = whole // 4
        lanes = [sample[i:whole:4].count(0) > 0.8 * quarter for i in range(4)]
        if lanes[1] and lanes[2] and lanes[3] and not lanes[0]:
            return "utf-32-le"
        if lanes[0] and lanes[1] and lanes[2] and not lanes[3]:
            return "utf-32-be"
    odd, even = sample[1::2], sample[0::2]
    if len(odd) >= 8 and odd.count(0) > 0.8 * len(odd):
        return "utf-16-le"
    if len(even) >= 8 and even.count(0) > 0.8 * len(even) and odd.count(0) < 0.2 * len(odd):
        return "utf-16-be"
    return None


def sniff(head: bytes) -> str:
    """The file type from its first bytes, never from its name."""
    if head and head[0] in _MAGIC_FIRST:
        for prefix, kind in _MAGIC.items():
            if head.startswith(prefix):
                return kind
    if not head:
        return "empty"
    sample = head[:4096]
    if sample[:1] in (b"\xff", b"\xfe", b"\x00") or b"\x00" in sample:
        encoding = wide_encoding(sample)
        if encoding is not None:
            return "text-utf32" if encoding.startswith("utf-32") else "text-utf16"
        if b"\x00" in sample:
            return "binary"
    body = sample[3:] if sample.startswith(b"\xef\xbb\xbf") else sample
    if body.lstrip().startswith(_LOG_STARTS):
        return "log"
    return "text"


def _as_text(data: bytes, kind: str) -> bytes:
    """The content rules' view: wide text decoded to UTF-8 (its mark dropped), anything else as is."""
    if kind not in WIDE_KINDS:
        return data
    encoding = wide_encoding(data[:4096]) or "utf-16-le"
    mark = next((m for m, e in _WIDE_MARKS if e == encoding), b"")
    return data.removeprefix(mark).decode(encoding, errors="replace").encode("utf-8")


def code_text(t: Target, cap: int) -> bytes | None:
    """The text of a page or source file as the behaviour analysis reads it (wide text as UTF-8), or
    ``None`` when it is over ``cap`` bytes or not text: a second read, for tracing across files."""
    with _open(t) as fh:
        data = _read_upto(fh, t.size, cap + 1)
    kind = sniff(data[:4096])
    if len(data) > cap or (kind != "text" and kind not in WIDE_KINDS):
        return None
    return _as_text(data, kind)


def line_at(data: bytes, offset: int) -> tuple[int, str]:
    """1-based line number and the (capped) line holding ``offset``."""
    start = data.rfind(b"\n", 0, offset) + 1
    end = data.find(b"\n", offset)
    if end < 0:
        end = len(data)
    if end - start > EXCERPT:
        start = max(start, offset - EXCERPT // 3)
        end = min(end, start + EXCERPT)
    line = data.count(b"\n", 0, offset) + 1
    return line, data[start:end].rstrip(b"\r").decode("utf-8", errors="replace")


def _hit(check: str, data: bytes | None, offset: int | None, raw: str = "", **extra: Any) -> dict[str, Any]:
    hit: dict[str, Any] = {"check": check, "offset": offset, "line": None, "raw": raw, **extra}
    if data is not None and offset is not None:
        hit["line"], hit["raw"] = line_at(data, offset)
    return hit


class Target(NamedTuple):
    """What a worker needs to know about one file: small and cheap to pickle (a LocatedFile carries
    its whole source spec; tens of thousands of them cost more to ship than to scan)."""

    shown: str  # display path (the real path for a folder source)
    key: str  # lower-case matching key
    logical: str
    name: str
    size: int
    ref: ArtifactRef | None  # None: ``shown`` is the file's own path on disk (opened directly)


def target(f: LocatedFile) -> Target:
    shown = display(f)
    # a plain file on disk is opened by its path (cheapest); any other through its container
    return Target(
        shown, f.key, f.logical, file_name(f), f.ref.size, None if native_path(f.ref) == shown else f.ref
    )


def targets(files: Iterable[LocatedFile]) -> list[Target]:
    """:func:`target` of every file, at half its cost (the main process builds one per file of the
    evidence before any worker can start): the tuple made without the named tuple's Python-level
    constructor, a folder file's path on disk joined as ``os.path.join`` does."""
    make = tuple.__new__
    posix = os.sep == "/"
    out: list[Target] = []
    append = out.append
    for f in files:
        ref = f.ref
        shown = f.display()
        spec = ref.spec
        member = ref.member
        if posix and spec.kind == "dir":
            root = spec.root
            if member.startswith("/"):
                native: str | None = member
            elif not root or root.endswith("/"):
                native = root + member
            else:
                native = root + "/" + member
        else:
            native = native_path(ref)
        append(
            make(
                Target,
                (shown, f.key, f.logical, member.rsplit("/", 1)[-1], ref.size, None if native == shown else ref),
            )
        )
    return out


@dataclass(slots=True)
class BatchResult:
    """One batch's results: files with nothing to report are folded into ``plain`` and counters."""

    plain: list[tuple[int, str, int]] = field(default_factory=list)  # (index, sha256, size)
    #: Files whose only note is their baseline class (modified/unknown), which the main process
    #: judges once it knows whether the baseline covers this build: (index, sha256, size, class, rel).
    #: Compact tuples: a FileOutcome per file costs more to pickle than the file costs to scan.
    quiet: list[tuple[int, str, int, str, str]] = field(default_factory=list)
    outcomes: list[tuple[int, FileOutcome]] = field(default_factory=list)
    builds: Counter[tuple[str, ...]] = field(default_factory=Counter)  # known-good files' builds
    classes: Counter[str] = field(default_factory=Counter)  # baseline class counts
    peeked: int = 0
    scanned: int = 0  # files whose content rules ran to completion (all of ``plain`` and some outcomes)
    #: Source files pages name in their directive (``CodeFile``/``Src``): (index of the page, path).
    refs: list[tuple[int, tuple[str, str]]] = field(default_factory=list)
    code_files: int = 0  # source files analysed as code ASP.NET compiles
    #: Source files ASP.NET compiles that hold a dangerous operation: (index, methods with parameters
    #: they define), for the request input pages hand them (traced across files by the stage).
    callees: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)


def file_name(f: LocatedFile) -> str:
    """The file name without building Path objects (hot path: tens of thousands of files)."""
    return f.ref.member.rsplit("/", 1)[-1]


def display(f: LocatedFile) -> str:
    """Same string as ``f.display()`` (computed once per file)."""
    return f.display()


class _FdReader:
    """Unbuffered read-only file on a raw descriptor: cheaper than ``open()`` for tens of thousands of
    small files (no FileIO/BufferedReader objects), same ``read(n)`` contract."""

    __slots__ = ("fd",)

    def __init__(self, path: str) -> None:
        # a FIFO or device swapped in after the listing is refused after opening, not read as empty
        self.fd = open_regular_fd(path)

    def read(self, n: int = -1) -> bytes:
        if n < 0:
            n = 1 << 62
        first = os.read(self.fd, min(n, 1 << 30))
        if len(first) == n or not first:
            return first
        parts = [first]
        got = len(first)
        while got < n:
            more = os.read(self.fd, min(n - got, 1 << 30))
            if not more:
                break
            parts.append(more)
            got += len(more)
        return b"".join(parts)

    def close(self) -> None:
        os.close(self.fd)

    def __enter__(self) -> _FdReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _open(t: Target) -> BinaryIO | _FdReader:
    if t.ref is None:
        return _FdReader(t.shown)  # ``shown`` is the file's own path on disk
    return open_artifact(t.ref)


def _yara(
    worker: _Worker, data: bytes, t: Target, kind: str, external: bool
) -> tuple[list[dict[str, Any]], str | None]:
    scanner = worker.scanner
    if external:
        name = t.name
        dot = name.rfind(".")
        scanner.set_global("filename", name)
        scanner.set_global("filepath", t.logical)
        scanner.set_global("extension", name[dot:].lower() if dot >= 0 else "")
        scanner.set_global("filetype", kind.upper())
    try:
        results = scanner.scan(data)
    except yara_x.TimeoutError:
        return [], f"content rules stopped after the {worker.timeout} s per-file time limit"
    except Exception as exc:  # a scan error on hostile content: report the file, keep going
        return [], f"content rules failed ({type(exc).__name__}: {exc})"
    hits: list[dict[str, Any]] = []
    for rule in results.matching_rules:
        offset: int | None = None
        for pattern in rule.patterns:
            for m in pattern.matches:
                if offset is None or m.offset < offset:
                    offset = m.offset
        meta = {str(k): str(v) for k, v in rule.metadata}
        hit = _hit("yara", data, offset, rule=rule.identifier, namespace=rule.namespace, meta=meta)
        if offset is None:
            hit["raw"] = data[:EXCERPT].split(b"\n", 1)[0].decode("utf-8", errors="replace")
            hit["line"] = 1
        hits.append(hit)
    return hits, None


def _targeted(data: bytes, t: Target, kind: str) -> list[dict[str, Any]]:
    hits: list[dict[str, Any]] = []
    name = t.name
    ext = name[name.rfind(".") :].lower() if "." in name else ""
    if kind == "minidump":
        for needle in _LSASS_NEEDLES:
            pos = data.find(needle)
            if pos >= 0:
                hits.append(
                    _hit("lsass-dump", None, pos, raw=f"MDMP minidump; lsass.exe module name at offset {pos}")
                )
                break
    elif kind == "dearcry":
        hits.append(_hit("dearcry", None, 0, raw="file starts with DEARCRY! (DearCry-encrypted)"))
    elif kind == "pst":
        if ext in SCRIPT_EXTENSIONS:
            hits.append(
                _hit(
                    "pst-shell",
                    None,
                    0,
                    raw=f"{name} starts with the PST header !BDN (mailbox export written as a page)",
                )
            )
        else:
            hits.append(
                _hit("pst-export", None, 0, raw=f"{name} is an Outlook PST mailbox export (!BDN header)")
            )
    if name.lower().endswith(".compiled") and kind in ("text", "log", *WIDE_KINDS):
        m = _VIRTUAL_PATH.search(data[:65536])
        if m:
            vp = m.group(1).decode("utf-8", errors="replace")
            hits.append(_hit("compiled", data, m.start(), virtual_path=vp))
    return hits


def _behaviour(
    text: bytes,
    t: Target,
    kind: str,
    params: ContentParams,
    hits: list[dict[str, Any]],
    compiled: str | None = None,
    read_as: str | None = None,
    methods: list[str] | None = None,
) -> str | None:
    """Behaviour analysis of a page's server code, or of a source file ASP.NET compiles (``compiled``:
    why it does); why it was not fully analysed, if so. ``read_as``: the extension to read the file
    under instead of its own (an included file is part of its page: the page's; ``CODE`` for a script
    source of any name: C# or VB by its text). ``methods``: given the methods a compiled source file
    with a dangerous operation defines (what pages may call across files)."""
    dot = t.name.rfind(".")
    ext = t.name[dot:].lower() if dot >= 0 else ""
    if read_as == CODE:
        ext = code_extension(text[:65536].decode("utf-8", errors="replace"))
    elif read_as is not None:
        ext = read_as
    if ext in CODE_EXTENSIONS:
        if compiled is None:
            return None
    elif ext not in behaviour.PAGE_EXTENSIONS:
        return None
    if kind == "pst":
        return None  # a PST-encoded page: the pst-shell check reports it
    # a page that starts with binary bytes (GIF89a..., MZ...: an upload filter's image check passed) is still
    # read by ASP.NET as text, its directive and code blocks compiled: analysed like any page. The bytes of
    # a real binary that happen to hold "<%" are no code (behaviour.extract: control characters no compiler
    # takes), so a binary named .aspx costs one pass and is silent
    language = default_language(t.key, params.default_languages) if params.default_languages else None
    try:
        found = behaviour.analyse(
            text, ext, budget=behaviour.for_timeout(params.timeout), default_language=language
        )
    except (RecursionError, MemoryError, ValueError) as exc:  # hostile content: keep the YARA hits
        return f"behaviour analysis failed ({type(exc).__name__})"
    if compiled is not None:
        for hit in found.hits:
            hit["compiled"] = compiled
        if methods is not None:
            methods.extend(found.methods)
    hits.extend(found.hits)
    return found.problem


def default_language(key: str, languages: tuple[tuple[str, str], ...]) -> str | None:
    """The compilation language of the site folder a file's ``key`` lies in: the pair of ``languages`` whose
    folder is the longest at or above the file's (a sub-application's web.config overrides its parent's)."""
    best: tuple[int, str] | None = None
    for folder, language in languages:
        if (key.startswith(folder + "/") or not folder) and (best is None or len(folder) > best[0]):
            best = (len(folder), language)
    return None if best is None else best[1]


def _read_upto(fh: BinaryIO | _FdReader, expected: int, cap: int) -> bytes:
    """Read up to ``cap`` bytes, sizing the request by the listed size (a 64 MB request for a 2 KB
    file costs an allocation each time); a file that grew since it was listed is still read on."""
    want = min(cap, max(expected, 0) + 1)
    data = fh.read(want)
    if len(data) == want and want < cap:
        data += fh.read(cap - want)
    return data


def examine(
    t: Target,
    mode: str,
    params: ContentParams,
    rel: str | None = None,
    compiled: str | None = None,
    read_as: str | None = None,
) -> FileOutcome:
    """Process one file (in a worker). Raises ``OSError`` on I/O problems (reported by the caller).

    ``rel``: the file's path inside its Exchange install, for the known-good baseline lookup.
    ``compiled``: why ASP.NET compiles this source file, when its path does not say it (a page named
    it); by default :func:`compiled_code` decides from the path. ``read_as``: see :func:`_behaviour`.
    ``out.data`` holds: kind, hits, content_scanned, loc (location rule indices), bad (MSTIC family),
    rel/bclass/builds (baseline class), refs (source files a page names), code (why compiled)."""
    shown = t.shown
    out = FileOutcome(shown, size=t.size)
    worker = _scanner(params)
    limit = params.max_size
    with _open(t) as fh:
        if mode == PEEK:
            head = fh.read(8)
            kind = sniff(head)
            if kind not in ("minidump", "dearcry"):
                out.data = {"kind": kind, "mode": PEEK, "hits": []}
                return out  # only 8 bytes were read: not a file read for the ledger
            first = head + _read_upto(fh, t.size - len(head), limit + 1 - len(head))
        else:
            first = _read_upto(fh, t.size, limit + 1)  # one read for a file under the cap
        sha = hashlib.sha256(first)
        read = len(first)
        big = read > limit
        lsass_hit: dict[str, Any] | None = None
        if big:  # stream the rest once: hash it, look for lsass.exe in a minidump
            kind = sniff(first[:4096])
            chunk = first
            tail = b""
            while chunk:
                if kind == "minidump" and lsass_hit is None:
                    window = tail + chunk
                    for needle in _LSASS_NEEDLES:
                        pos = window.find(needle)
                        if pos >= 0:
                            at = read - len(window) + pos
                            lsass_hit = _hit(
                                "lsass-dump",
                                None,
                                at,
                                raw=f"MDMP minidump; lsass.exe module name at offset {at}",
                            )
                            break
                    tail = chunk[-32:]
                chunk = fh.read(CHUNK)
                sha.update(chunk)
                read += len(chunk)
            first = b""
    out.sha256 = digest = sha.hexdigest()
    out.size = read
    hits: list[dict[str, Any]] = []
    facts: dict[str, Any] = {"mode": DEEP, "hits": hits, "loc": worker.matcher.match_ids(t.key)}
    if digest in worker.known_bad:
        facts["bad"] = worker.known_bad[digest]
    if rel is not None:
        norm = normalise_relative(rel)
        facts["rel"] = norm
        facts["bclass"], facts["builds"] = worker.baseline.lookup(norm, digest)
    if big:
        if lsass_hit is not None:
            hits.append(lsass_hit)
        if kind == "dearcry":
            hits.append(_hit("dearcry", None, 0, raw="file starts with DEARCRY! (DearCry-encrypted)"))
        out.skipped.append(
            SkippedFile(
                shown,
                f"larger than the {params.max_size // (1024 * 1024)} MB content-scan cap ({read:,} bytes): "
                "hashed and header-checked only, content rules not run",
                partial=True,
                unchecked=server_code(t.key, t.name, compiled),
            )
        )
        out.data = {**facts, "kind": kind, "content_scanned": False}
        return out
    data = first
    kind = sniff(data[:4096])
    hits.extend(_targeted(data, t, kind))
    scanned = False
    if kind not in _NO_CONTENT_RULES:
        text = _as_text(data, kind)
        yhits, problem = _yara(worker, text, t, kind, params.external)
        hits.extend(yhits)
        scanned = problem is None
        if problem:
            out.skipped.append(SkippedFile(shown, problem, partial=True, unchecked=server_code(t.key, t.name, compiled)))
        if params.behaviour:
            compiled = compiled or compiled_code(t.key, t.name)
            if compiled is not None:
                facts["code"] = compiled
            methods: list[str] = []
            problem = _behaviour(text, t, kind, params, hits, compiled, read_as, methods)
            if methods:
                facts["methods"] = tuple(methods)
            if problem:
                scanned = False
                out.skipped.append(SkippedFile(shown, problem, partial=True, unchecked=True))
            page_ext = _page_ext(t.name)
            if page_ext in _REF_PAGES:
                refs = page_refs(text, page_ext)
                if refs:
                    facts["refs"] = refs
            elif page_ext == ".config":
                refs = config_refs(text)
                if refs:
                    facts["refs"] = refs
    facts["kind"] = kind
    facts["content_scanned"] = scanned
    out.data = facts
    return out


def _guarded(t: Target, mode: str, params: ContentParams, rel: str | None) -> FileOutcome:
    """``examine`` with every failure turned into a file named as not read (never a lost file)."""
    try:
        return examine(t, mode, params, rel)
    except Exception as exc:
        return _failed(t, exc)


def _failed(t: Target, exc: BaseException) -> FileOutcome:
    if isinstance(exc, FileNotFoundError):
        return _skipped(t, "vanished while scanning (file not found)")
    if isinstance(exc, PermissionError):
        return _skipped(t, "cannot be read: permission denied")
    if isinstance(exc, OSError):
        return _skipped(t, f"cannot be read: {exc.strerror or exc}")
    if isinstance(exc, MemoryError):
        return _skipped(t, "too large to process in memory")
    # never lose a file silently, never end the scan
    return _skipped(t, f"could not be processed ({type(exc).__name__}: {exc})")


def server_code(key: str, name: str, compiled: str | None) -> bool:
    """Whether IIS/ASP.NET runs this file's content (a page, handler, config or a source file ASP.NET
    compiles; ``key`` as for :func:`compiled_code`): a web shell can hide in it, so content checks that
    did not finish there leave the verdict open."""
    return (compiled is not None or _page_ext(name) in _SERVER_CODE_EXTENSIONS
            or compiled_code(key, name) is not None)


def _page_ext(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot >= 0 else ""


def _fold(res: BatchResult, idx: int, out: FileOutcome) -> None:
    """Add one file's outcome to the batch result (files with nothing to say become tuples)."""
    data = out.data
    for ref in data.get("refs", ()):
        res.refs.append((idx, ref))
    if data.get("code"):
        res.code_files += 1
    if data.get("methods"):
        res.callees.append((idx, data["methods"]))
    if out.sha256 is None and not out.skipped:
        res.peeked += 1
        return
    bclass = data.get("bclass")
    if bclass is not None:
        res.classes[bclass] += 1
        if bclass == KNOWN_GOOD:
            res.builds[tuple(data.get("builds", ()))] += 1
    if data.get("content_scanned"):
        res.scanned += 1
    if out.sha256 and not (out.skipped or data.get("hits") or data.get("loc") or data.get("bad")):
        if bclass is None or bclass == KNOWN_GOOD:
            res.plain.append((idx, out.sha256, out.size))
        else:
            res.quiet.append((idx, out.sha256, out.size, bclass, data.get("rel", "")))
    else:
        res.outcomes.append((idx, out))


def _read_fd(path: str, size: int, cap: int) -> bytes:
    """Up to ``cap`` bytes of a regular file on disk, sized by its listed ``size``: one read when
    the file is as listed (a short read of a regular file is its end), more while it grew."""
    fd = open_regular_fd(path)
    try:
        want = min(cap, max(size, 0) + 1)
        data = os.read(fd, want)
        if len(data) == size or not data:
            return data
        parts = [data]
        got = len(data)
        while got < cap:
            more = os.read(fd, min(cap - got, 1 << 30))
            if not more:
                break
            parts.append(more)
            got += len(more)
        return b"".join(parts)
    finally:
        os.close(fd)


class Quiet(NamedTuple):
    """A file read and checked with nothing to report."""

    sha256: str
    size: int
    bclass: str | None
    rel: str
    builds: tuple[str, ...]
    scanned: bool


def _examine_files(
    files: list[tuple[int, Target, str | None]], params: ContentParams, worker: _Worker, res: BatchResult
) -> list[tuple[int, FileOutcome | None, Quiet | None]]:
    """What :func:`examine` does to files on disk under the size cap, in phases over the whole
    batch (read all, hash all, match all paths at once, YARA all, behaviour of the pages, baseline
    all): each phase keeps its own tables hot in the CPU caches, which halves the per-file cost of
    the interleaved loop on trees of small files. Same facts, hits and order as ``examine``.

    Returns per file (index, outcome, None) when there is something to report, else
    (index, None, Quiet) - no FileOutcome built for the files that are most of a tree. The source
    files pages name and the count of code files analysed go straight into ``res``."""
    limit = params.max_size
    read: list[tuple[int, Target, str | None, bytes]] = []
    done: list[tuple[int, FileOutcome | None, Quiet | None]] = []
    for idx, t, rel in files:
        try:
            data = _read_fd(t.shown, t.size, limit + 1)
        except Exception as exc:
            done.append((idx, _failed(t, exc), None))
            continue
        if len(data) > limit:  # grew past the cap since it was listed: the streaming path
            done.append((idx, _guarded(t, DEEP, params, rel), None))
            continue
        read.append((idx, t, rel, data))
    if not read:
        return done
    locs = worker.matcher.match_many([t.key for _, t, _, _ in read])
    bad = worker.known_bad
    baseline = worker.baseline
    folders = worker.folders
    scanner = worker.scanner
    scanner_external = params.external
    run_behaviour = params.behaviour
    pages = behaviour.PAGE_EXTENSIONS
    code_exts = CODE_EXTENSIONS
    sha256 = hashlib.sha256
    no_rules = _NO_CONTENT_RULES
    for (idx, t, rel, data), loc in zip(read, locs, strict=True):
        try:
            sha = sha256(data)
            digest = sha.hexdigest()
            bclass: str | None = None
            builds: tuple[str, ...] = ()
            norm = ""
            if rel is not None:
                norm = normalise_relative_cached(rel, folders)
                bclass, builds = baseline.lookup(norm, digest, sha.digest()[:8])
            kind = sniff(data[:4096])
            name = t.name
            hits: list[dict[str, Any]] = []
            if kind in _TARGETED_KINDS or name[-9:].lower() == ".compiled":
                hits.extend(_targeted(data, t, kind))
            skipped: list[SkippedFile] = []
            scanned = False
            if kind not in no_rules:
                text = data if kind not in WIDE_KINDS else _as_text(data, kind)
                if scanner_external:
                    yhits, problem = _yara(worker, text, t, kind, True)
                else:  # the common case inlined: a file no rule matches costs one scan call
                    try:
                        matched = scanner.scan(text).matching_rules
                        problem = None
                    except Exception:  # timeouts and scan errors: the full path words the reason
                        matched = ()
                        yhits, problem = _yara(worker, text, t, kind, False)
                    if matched:
                        yhits, problem = _yara(worker, text, t, kind, False)
                    elif problem is None:
                        yhits = []
                hits.extend(yhits)
                scanned = problem is None
                if problem:
                    skipped.append(SkippedFile(t.shown, problem, partial=True, unchecked=server_code(t.key, name, None)))
                if run_behaviour:
                    dot = name.rfind(".")
                    ext = name[dot:].lower() if dot >= 0 else ""
                    if ext in pages or ext in code_exts:
                        compiled = compiled_code(t.key, name) if ext in code_exts else None
                        methods: list[str] | None = None
                        if compiled is not None:
                            res.code_files += 1
                            methods = []
                        problem = _behaviour(text, t, kind, params, hits, compiled, None, methods)
                        if methods:
                            res.callees.append((idx, tuple(methods)))
                        if problem:
                            scanned = False
                            skipped.append(SkippedFile(t.shown, problem, partial=True, unchecked=True))
                        if ext in _REF_PAGES:
                            res.refs.extend((idx, ref) for ref in page_refs(text, ext))
                        elif ext == ".config":
                            res.refs.extend((idx, ref) for ref in config_refs(text))
            if hits or loc or skipped or digest in bad:
                facts: dict[str, Any] = {"mode": DEEP, "hits": hits, "loc": loc}
                if digest in bad:
                    facts["bad"] = bad[digest]
                if rel is not None:
                    facts["rel"] = norm
                    facts["bclass"] = bclass
                    facts["builds"] = builds
                facts["kind"] = kind
                facts["content_scanned"] = scanned
                out = FileOutcome(t.shown, size=len(data))
                out.sha256 = digest
                out.skipped.extend(skipped)
                out.data = facts
                done.append((idx, out, None))
            else:
                done.append((idx, None, Quiet(digest, len(data), bclass, norm, builds, scanned)))
        except Exception as exc:
            done.append((idx, _failed(t, exc), None))
    return done


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector held off while files are examined (and back on after, if it
    was on). Why: examining tens of thousands of files makes as many short-lived tuples, to which the
    collector answers with collections over every object of the process (the baseline, the rules,
    the inventory): 0.12-0.17 CPU-s of a ~0.9 s stage on 21,190 files, two full collections per
    run. The work makes almost no reference cycles (a few hundred objects a run): they are
    collected as usual once the collector is back on."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def examine_batch(
    batch: list[tuple[int, str, Target, str | None]], params: ContentParams | None = None
) -> BatchResult:
    """Worker entry point: a batch of files keeps per-task overhead low on trees of small files.
    ``params`` None: use those the worker was initialised with (saves shipping rules per batch).
    Files on disk under the size cap go through the phased path (:func:`_examine_files`), the rest
    (container members, header checks, files over the cap) through :func:`examine` one by one;
    results keep the batch's order. The garbage collector is held off meanwhile (:func:`gc_paused`)."""
    with gc_paused():
        return _examine_batch(batch, params)


def _examine_batch(batch: list[tuple[int, str, Target, str | None]], params: ContentParams | None) -> BatchResult:
    if params is None:
        state = current_state()
        if state is None:
            raise RuntimeError("webfiles worker used before init_worker")
        params = state.params
    worker = _scanner(params)
    res = BatchResult()
    files = [
        (idx, t, rel)
        for idx, mode, t, rel in batch
        if mode == DEEP and t.ref is None and t.size <= params.max_size
    ]
    phased = (
        {idx: (out, quiet) for idx, out, quiet in _examine_files(files, params, worker, res)} if files else {}
    )
    for idx, mode, t, rel in batch:
        got = phased.get(idx)
        if got is None:
            _fold(res, idx, _guarded(t, mode, params, rel))
            continue
        out, quiet = got
        if out is not None:
            _fold(res, idx, out)
            continue
        assert quiet is not None
        if quiet.scanned:
            res.scanned += 1
        bclass = quiet.bclass
        if bclass is not None:
            res.classes[bclass] += 1
            if bclass == KNOWN_GOOD:
                res.builds[quiet.builds] += 1
        if bclass is None or bclass == KNOWN_GOOD:
            res.plain.append((idx, quiet.sha256, quiet.size))
        else:
            res.quiet.append((idx, quiet.sha256, quiet.size, bclass, quiet.rel))
    return res


def _skipped(t: Target, reason: str) -> FileOutcome:
    return FileOutcome(t.shown, skipped=[SkippedFile(t.shown, reason)], data={"kind": "unread", "hits": []})
