"""Compiling the YARA content rules: ours (``data/rules/*.yar``) plus any ``--rules DIR``.

Each external file is compiled alone first, so a broken file is named in one sentence and left out
while the rest still run. Rules are compiled once in the main process and shipped to the worker
processes serialised (yara-x holds the GIL, so parallel scanning needs processes). Compiling is kept
per process by the rule texts (0.1 s for our eleven files): the scan's preparation thread compiles
while the logs stage runs, and the web file stage then finds it done; a text changed on disk
between two scans of one process is compiled again.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import yara_x

from extriage.detections.webfiles.knowledge import builtin_rule_files

RULE_SUFFIXES = (".yar", ".yara")
#: Compiled rule sets by their sources' (origin, namespace, text): (serialised rules, rule count).
_BUILT: dict[tuple[tuple[str, str, str], ...], tuple[bytes, int]] = {}
#: External files checked alone, by (path, text): the sentence of their compile error, or "".
_CHECKED: dict[tuple[str, str], str] = {}
_KEEP = 8  # rule sets / files kept (a long-lived process scanning with several --rules sets)
#: External variables many public rule sets (Loki/signature-base style) expect; set per file.
GLOBALS = ("filename", "filepath", "extension", "filetype", "owner", "md5")


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


def external_sources(dirs: list[str]) -> tuple[list[RuleSource], list[str]]:
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
            problem = _check_alone(str(path), text)
            if problem:
                errors.append(f"The rule file {path} does not compile ({problem}); left out.")
                continue
            sources.append(RuleSource(str(path), f"ext{n}_{m}", text, True))
    return sources, errors


def _check_alone(path: str, text: str) -> str:
    """The first line of the error compiling one external file alone, or "" when it compiles."""
    key = (path, text)
    problem = _CHECKED.get(key)
    if problem is None:
        try:
            compiler = new_compiler()
            compiler.add_source(text, origin=path)
            compiler.build()
            problem = ""
        except Exception as exc:  # yara_x.CompileError and friends: one sentence, file left out
            problem = _first_line(exc)
        _remember(_CHECKED, key, problem)
    return problem


def _remember(cache: dict[_K, _V], key: _K, value: _V) -> None:
    if len(cache) >= _KEEP:
        cache.pop(next(iter(cache)))
    cache[key] = value


def build_ruleset(dirs: list[str]) -> RuleSet:
    """Compile our rules and the external ones into one serialised rule set."""
    rs = RuleSet()
    for name, text in builtin_rule_files():
        rs.sources.append(RuleSource(name, "extriage", text, False))
    ext, errors = external_sources(dirs)
    rs.sources.extend(ext)
    rs.errors.extend(errors)
    key = tuple((src.origin, src.namespace, src.text) for src in rs.sources)
    built = _BUILT.get(key)
    if built is None:
        compiler = new_compiler()
        for src in rs.sources:
            compiler.new_namespace(src.namespace)
            compiler.add_source(src.text, origin=src.origin)
        rules = compiler.build()
        buf = io.BytesIO()
        rules.serialize_into(buf)
        built = (buf.getvalue(), sum(1 for _ in rules))
        _remember(_BUILT, key, built)
    rs.serialized, rs.rule_count = built
    return rs


def load_serialized(blob: bytes) -> yara_x.Rules:
    return yara_x.Rules.deserialize_from(io.BytesIO(blob))
