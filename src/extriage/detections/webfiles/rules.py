"""Compiling the YARA content rules: ours (``data/rules/*.yar``) plus any ``--rules DIR``.

Each external file is compiled alone first, so a broken file is named in one sentence and left out
while the rest still run. Rules are compiled once in the main process and shipped to the worker
processes serialised (yara-x holds the GIL, so parallel scanning needs processes).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import yara_x

from extriage.detections.webfiles.knowledge import builtin_rule_files

RULE_SUFFIXES = (".yar", ".yara")
#: External variables many public rule sets (Loki/signature-base style) expect; set per file.
GLOBALS = ("filename", "filepath", "extension", "filetype", "owner", "md5")


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
            try:
                compiler = new_compiler()
                compiler.add_source(text, origin=str(path))
                compiler.build()
            except Exception as exc:  # yara_x.CompileError and friends: one sentence, file left out
                errors.append(f"The rule file {path} does not compile ({_first_line(exc)}); left out.")
                continue
            sources.append(RuleSource(str(path), f"ext{n}_{m}", text, True))
    return sources, errors


def build_ruleset(dirs: list[str]) -> RuleSet:
    """Compile our rules and the external ones into one serialised rule set."""
    rs = RuleSet()
    for name, text in builtin_rule_files():
        rs.sources.append(RuleSource(name, "extriage", text, False))
    ext, errors = external_sources(dirs)
    rs.sources.extend(ext)
    rs.errors.extend(errors)
    compiler = new_compiler()
    for src in rs.sources:
        compiler.new_namespace(src.namespace)
        compiler.add_source(src.text, origin=src.origin)
    rules = compiler.build()
    rs.rule_count = sum(1 for _ in rules)
    buf = io.BytesIO()
    rules.serialize_into(buf)
    rs.serialized = buf.getvalue()
    return rs


def load_serialized(blob: bytes) -> yara_x.Rules:
    return yara_x.Rules.deserialize_from(io.BytesIO(blob))
