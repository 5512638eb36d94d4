"""Compiling the YARA content rules: ours (``data/rules/*.yar``) plus any ``--rules DIR``.

Each external file is compiled alone first, so a broken file is named in one sentence and left out
while the rest still run. Rules are compiled once in the main process and shipped to the worker
processes serialised (yara-x holds the GIL, so parallel scanning needs processes). Compiling is kept
per process by the rule texts: the scan's preparation thread compiles while the logs stage runs, and
the web file stage then finds it done; a text changed on disk between two scans of one process is
compiled again.

Compiling is also kept between runs, in the user's cache folder (:mod:`extriage.cache`): the
serialised rule set under a key of every source's (origin, namespace, text), the yara-x version and
the external variables, and each ``--rules`` file's check alone under a key of its path and text. Our
63 rules took 0.22-0.26 s of ``add_source`` + ``build`` in every scan (BENCHMARKS.md, issue 18,
sessions 12 and 13); reading them back is a file read and a checksum. An entry that is missing,
corrupt (its SHA-256 does not match, yara-x refuses it, its rule count differs) or cannot be written
is ignored and the rules are compiled as before, so the rules a scan runs are the same either way.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import yara_x

from extriage import cache
from extriage.detections.webfiles.knowledge import builtin_rule_files

RULE_SUFFIXES = (".yar", ".yara")
#: Compiled rule sets by their sources' (origin, namespace, text): (serialised rules, rule count).
_BUILT: dict[tuple[tuple[str, str, str], ...], tuple[bytes, int]] = {}
#: External files checked alone, by (path, text): the sentence of their compile error, or "".
_CHECKED: dict[tuple[str, str], str] = {}
#: The last rule set this process compiled or read back, with its serialised bytes (load_serialized).
_LOADED: tuple[bytes, yara_x.Rules] | None = None
_KEEP = 8  # rule sets / files kept (a long-lived process scanning with several --rules sets)
#: External variables many public rule sets (Loki/signature-base style) expect; set per file.
GLOBALS = ("filename", "filepath", "extension", "filetype", "owner", "md5")
#: The cache's sub-folder; its entries' format (bump when the layout of an entry changes).
CACHE_PART = "yara-x"
_FORMAT = b"extriage-yarax-rules-1\n"
#: Entries kept in the cache (the most recently used): rule sets (~2 MB each for ours, ~3.6 MB with
#: signature-base) and external files' checks (a line each; signature-base has ~12 files).
_KEEP_SETS = 8
_KEEP_CHECKS = 2048
_CHECK_FORMAT = "extriage-yarax-check-1"


_K = TypeVar("_K")
_V = TypeVar("_V")


def new_compiler() -> yara_x.Compiler:
    compiler = yara_x.Compiler()
    for name in GLOBALS:
        compiler.define_global(name, "")
    return compiler


@dataclass(frozen=True, slots=True)
class RuleSource:
    origin: str  # file name shown to the user
    namespace: str
    text: str
    external: bool


@dataclass(slots=True)
class RuleSet:
    sources: list[RuleSource] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one sentence per rule file left out
    serialized: bytes = b""
    rule_count: int = 0


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line[:300]
    return type(exc).__name__


def external_sources(dirs: list[str], evidence: str | None = None) -> tuple[list[RuleSource], list[str]]:
    """Read and check every ``*.yar``/``*.yara`` file in ``dirs`` (recursively)."""
    sources: list[RuleSource] = []
    errors: list[str] = []
    for n, d in enumerate(dirs):
        folder = Path(d).expanduser()
        if folder.is_file() and folder.suffix.lower() in RULE_SUFFIXES:
            files = [folder]
        elif folder.is_dir():
            try:
                files = sorted(
                    p for p in folder.rglob("*") if p.suffix.lower() in RULE_SUFFIXES and p.is_file()
                )
            except OSError as exc:
                errors.append(f"The rules folder {folder} cannot be listed: {exc.strerror or exc}.")
                continue
            if not files:
                errors.append(f"The rules folder {folder} holds no .yar or .yara files.")
        else:
            errors.append(f"The rules path {folder} is not a folder or a .yar file.")
            continue
        for m, path in enumerate(files):
            try:
                text = path.read_bytes().decode("utf-8", errors="replace")
            except OSError as exc:
                errors.append(f"The rule file {path} cannot be read: {exc.strerror or exc}; left out.")
                continue
            problem = _check_alone(str(path), text, evidence)
            if problem:
                errors.append(f"The rule file {path} does not compile ({problem}); left out.")
                continue
            sources.append(RuleSource(str(path), f"ext{n}_{m}", text, True))
    return sources, errors


def _check_alone(path: str, text: str, evidence: str | None = None) -> str:
    """The first line of the error compiling one external file alone, or "" when it compiles."""
    key = (path, text)
    problem = _CHECKED.get(key)
    if problem is None:
        where = cache.folder(CACHE_PART, evidence)
        name = f"check-{cache.key(_CHECK_FORMAT, _engine(), *GLOBALS, path, text)}.txt"
        problem = _stored_check(cache.read(where, name))
        if problem is None:
            try:
                compiler = new_compiler()
                compiler.add_source(text, origin=path)
                compiler.build()
                problem = ""
            except Exception as exc:  # yara_x.CompileError and friends: one sentence, file left out
                problem = _first_line(exc)
            cache.write(where, name, f"{_CHECK_FORMAT}\n{problem}".encode(), keep=_KEEP_CHECKS)
        _remember(_CHECKED, key, problem)
    return problem


def _stored_check(blob: bytes | None) -> str | None:
    """A stored check's sentence ("" when the file compiled), or None (no entry, or not one of ours)."""
    if blob is None:
        return None
    head, sep, problem = blob.decode("utf-8", "replace").partition("\n")
    return problem if sep and head == _CHECK_FORMAT and "\n" not in problem else None


def _engine() -> str:
    try:
        return "yara-x " + importlib.metadata.version("yara-x")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - an unusual install
        return "yara-x " + str(getattr(yara_x, "__version__", "?"))


def _pack(blob: bytes, count: int) -> bytes:
    return _FORMAT + hashlib.sha256(blob).digest() + count.to_bytes(8, "little") + blob


def _unpack(entry: bytes | None) -> tuple[bytes, int] | None:
    """(serialised rules, rule count) of a cache entry, or None when it is not a sound one: wrong
    header, a SHA-256 that does not match, or rules yara-x refuses or counts differently."""
    n = len(_FORMAT)
    if entry is None or len(entry) < n + 40 or not entry.startswith(_FORMAT):
        return None
    digest, count, blob = entry[n : n + 32], int.from_bytes(entry[n + 32 : n + 40], "little"), entry[n + 40 :]
    if hashlib.sha256(blob).digest() != digest:
        return None
    try:
        rules = yara_x.Rules.deserialize_from(io.BytesIO(blob))
    except Exception:  # yara-x refused it (another version's layout despite the key): rebuilt
        return None
    if sum(1 for _ in rules) != count:
        return None
    _keep_loaded(blob, rules)
    return blob, count


def _compile(sources: list[RuleSource]) -> tuple[bytes, int]:
    compiler = new_compiler()
    for src in sources:
        compiler.new_namespace(src.namespace)
        compiler.add_source(src.text, origin=src.origin)
    rules = compiler.build()
    buf = io.BytesIO()
    rules.serialize_into(buf)
    blob = buf.getvalue()
    _keep_loaded(blob, rules)
    return blob, sum(1 for _ in rules)


def _remember(cache: dict[_K, _V], key: _K, value: _V) -> None:
    if len(cache) >= _KEEP:
        cache.pop(next(iter(cache)))
    cache[key] = value


def build_ruleset(dirs: list[str], evidence: str | None = None) -> RuleSet:
    """Compile our rules and the external ones into one serialised rule set (or read it from the
    user's cache; never from or into a cache folder inside ``evidence``, the scanned path)."""
    rs = RuleSet()
    for name, text in builtin_rule_files():
        rs.sources.append(RuleSource(name, "extriage", text, False))
    ext, errors = external_sources(dirs, evidence)
    rs.sources.extend(ext)
    rs.errors.extend(errors)
    key = tuple((src.origin, src.namespace, src.text) for src in rs.sources)
    built = _BUILT.get(key)
    if built is None:
        where = cache.folder(CACHE_PART, evidence)
        name = f"rules-{cache.key(_FORMAT, _engine(), *GLOBALS, *(p for k in key for p in k))}.bin"
        built = _unpack(cache.read(where, name))
        if built is None:
            built = _compile(rs.sources)
            cache.write(where, name, _pack(*built), keep=_KEEP_SETS)
        _remember(_BUILT, key, built)
    rs.serialized, rs.rule_count = built
    return rs


def _keep_loaded(blob: bytes, rules: yara_x.Rules) -> None:
    global _LOADED
    _LOADED = (blob, rules)


def load_serialized(blob: bytes) -> yara_x.Rules:
    """The rules of ``blob``; in the process that built or checked it (that very ``bytes`` object),
    the rules it already holds, instead of deserialising them again (0.05 s for ours)."""
    loaded = _LOADED
    if loaded is not None and loaded[0] is blob:
        return loaded[1]
    return yara_x.Rules.deserialize_from(io.BytesIO(blob))
