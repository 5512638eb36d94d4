"""Read the three collectors of ``collectors/`` and say which server files each would collect.

None of them can run here (no KAPE, Velociraptor or PowerShell), so each is read as data: the KAPE
target file's ``Targets``, the Velociraptor artifact's ``TargetGlobs`` table, and the PowerShell
script's ``$Targets``/``$Channels``/``$Hives`` tables, taken from its tokens. Each becomes a
predicate over Windows paths that follows the tool's documented matching: KAPE ``Path`` (``*`` for
one folder) + ``FileMask`` + ``Recursive``; Velociraptor globs (``*``, ``**`` any depth,
``{a,b}``); PowerShell ``Get-Item -Path`` wildcards + ``Get-ChildItem -Filter`` (+ ``-Recurse``).
Everything is case-insensitive, as on NTFS.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

COLLECTORS = Path(__file__).resolve().parents[2] / "collectors"
TKAPE = COLLECTORS / "Exchange-extriage.tkape"
VELOCIRAPTOR = COLLECTORS / "Exchange.Triage.Extriage.yaml"
POWERSHELL = COLLECTORS / "Collect-Extriage.ps1"
#: the install folder the collectors fall back to (and the generated servers use)
EXCHANGE = "C:\\Program Files\\Microsoft\\Exchange Server\\V15"
EVENT_LOGS = "C:\\Windows\\System32\\winevt\\Logs"
HIVES = "C:\\Windows\\System32\\config"

Selector = Callable[[str], bool]


@dataclass(frozen=True)
class Target:
    """A folder (``*`` = any one folder name), a file name pattern and whether sub-folders count."""

    folder: str
    mask: str
    recursive: bool

    def matches(self, path: str) -> bool:
        folder, _, name = path.lower().rpartition("\\")
        want = self.folder.lower().rstrip("\\").split("\\")
        have = folder.split("\\")
        if len(have) < len(want) or (not self.recursive and len(have) != len(want)):
            return False
        return all(fnmatchcase(h, w) for h, w in zip(have, want, strict=False)) and fnmatchcase(name, self.mask.lower())


def any_of(targets: list[Target]) -> Selector:
    return lambda path: any(t.matches(path) for t in targets)


# -- KAPE -------------------------------------------------------------------------------------


def load_tkape() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(TKAPE.read_text(encoding="utf-8"))
    return doc


def tkape_targets() -> list[Target]:
    return [
        Target(t["Path"], str(t.get("FileMask", "*")), bool(t.get("Recursive", False)))
        for t in load_tkape()["Targets"]
    ]


# -- Velociraptor -----------------------------------------------------------------------------


def load_artifact() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(VELOCIRAPTOR.read_text(encoding="utf-8"))
    return doc


def artifact_globs() -> list[str]:
    param = next(p for p in load_artifact()["parameters"] if p["name"] == "TargetGlobs")
    rows = list(csv.DictReader(io.StringIO(param["default"])))
    return [r["Glob"].replace("%EXCHANGE%", EXCHANGE) for r in rows]


def glob_regex(glob: str) -> re.Pattern[str]:
    """A Velociraptor glob as a regex over a whole Windows path."""
    out = []
    parts = glob.split("\\")
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "**":
            out.append(".*" if last else r"(?:[^\\]+\\)*")
            continue
        piece = ""
        for token in re.split(r"(\{[^}]*\}|\*|\?)", part):
            if token == "*":
                piece += r"[^\\]*"
            elif token == "?":
                piece += r"[^\\]"
            elif token.startswith("{") and token.endswith("}"):
                piece += "(?:" + "|".join(re.escape(a) for a in token[1:-1].split(",")) + ")"
            else:
                piece += re.escape(token)
        out.append(piece if last else piece + r"\\")
    return re.compile("".join(out), re.IGNORECASE)


def artifact_selector() -> Selector:
    regexes = [glob_regex(g) for g in artifact_globs()]
    return lambda path: any(rx.fullmatch(path) for rx in regexes)


# -- PowerShell -------------------------------------------------------------------------------

#: PowerShell tokens: block and line comments, here-strings, quoted strings, variables, words, operators.
_PS_TOKEN = re.compile(
    r"""(?P<block><\#.*?\#>)|(?P<comment>\#[^\n]*)|(?P<sq>'(?:[^']|'')*')|(?P<dq>"(?:[^"`]|`.)*")"""
    r"""|(?P<var>\$[A-Za-z_][\w:]*)|(?P<word>-?[A-Za-z_][\w.-]*)|(?P<num>\d+(?:MB|KB)?)"""
    r"""|(?P<open>@\(|@\{|\[ordered\]@\{|[({\[])|(?P<close>[)}\]])|(?P<nl>\n)|(?P<ws>[ \t\r]+)|(?P<op>.)""",
    re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    line: int


def ps_tokens(text: str) -> list[Token]:
    """The script's tokens (whitespace and comments dropped); raises ValueError on an unclosed
    string or comment (the tokenizer would swallow the rest of the script otherwise)."""
    tokens: list[Token] = []
    line = 1
    for m in _PS_TOKEN.finditer(text):
        kind = m.lastgroup or "op"
        tok = m.group()
        if kind == "op" and tok in {"'", '"'}:
            raise ValueError(f"unclosed string at line {line}")
        if kind not in {"ws", "comment", "block", "nl"}:
            tokens.append(Token(kind, tok, line))
        line += tok.count("\n")
    return tokens


def check_brackets(tokens: list[Token]) -> None:
    """Every ``( { [ @( @{`` closed by its own kind, in order."""
    pairs = {"(": ")", "@(": ")", "{": "}", "@{": "}", "[ordered]@{": "}", "[": "]"}
    stack: list[Token] = []
    for tok in tokens:
        if tok.kind == "open":
            stack.append(tok)
        elif tok.kind == "close":
            if not stack:
                raise ValueError(f"unexpected {tok.text!r} at line {tok.line}")
            opened = stack.pop()
            if pairs[opened.text] != tok.text:
                raise ValueError(f"{opened.text!r} of line {opened.line} closed by {tok.text!r} at line {tok.line}")
    if stack:
        raise ValueError(f"{stack[-1].text!r} of line {stack[-1].line} never closed")


def _string(tok: Token) -> str:
    if tok.kind == "sq":
        return tok.text[1:-1].replace("''", "'")
    if tok.kind == "dq":
        return re.sub(r"`(.)", r"\1", tok.text[1:-1])
    raise ValueError(f"expected a string at line {tok.line}, got {tok.text!r}")


def _block(tokens: list[Token], name: str) -> list[Token]:
    """The tokens between the brackets of ``$name = @( ... )`` / ``[ordered]@{ ... }``."""
    for i, tok in enumerate(tokens):
        if tok.kind == "var" and tok.text.lower() == name.lower() and tokens[i + 1].text == "=":
            opened = tokens[i + 2]
            depth = 0
            for j in range(i + 2, len(tokens)):
                if tokens[j].kind == "open":
                    depth += 1
                elif tokens[j].kind == "close":
                    depth -= 1
                    if depth == 0:
                        return tokens[i + 3 : j]
            raise ValueError(f"{name} block opened at line {opened.line} never closed")
    raise ValueError(f"{name} is not assigned in the script")


def ps_targets(tokens: list[Token]) -> list[Target]:
    """``$Targets = @( @{ Path = '...'; Mask = '...'; Recurse = $true } ... )``."""
    targets: list[Target] = []
    body = _block(tokens, "$Targets")
    i = 0
    while i < len(body):
        if body[i].text != "@{":
            raise ValueError(f"$Targets: expected @{{ at line {body[i].line}")
        fields: dict[str, Any] = {}
        i += 1
        while body[i].text != "}":
            key, eq, value = body[i], body[i + 1], body[i + 2]
            if key.kind != "word" or eq.text != "=":
                raise ValueError(f"$Targets: expected Key = value at line {key.line}")
            fields[key.text] = value.text.lower() == "$true" if value.kind == "var" else _string(value)
            i += 3
            if body[i].text == ";":
                i += 1
        i += 1
        if set(fields) != {"Path", "Mask", "Recurse"}:
            raise ValueError(f"$Targets entry with keys {sorted(fields)}")
        targets.append(Target(str(fields["Path"]).replace("%EXCHANGE%", EXCHANGE), fields["Mask"], fields["Recurse"]))
    return targets


def ps_table(tokens: list[Token], name: str) -> dict[str, str]:
    """``$name = [ordered]@{ 'key' = 'value' ... }``."""
    body = _block(tokens, name)
    table: dict[str, str] = {}
    for i in range(0, len(body), 3):
        key, eq, value = body[i : i + 3]
        if eq.text != "=":
            raise ValueError(f"{name}: expected 'key' = 'value' at line {key.line}")
        table[_string(key)] = _string(value)
    return table


def ps_selector() -> Selector:
    tokens = ps_tokens(POWERSHELL.read_text(encoding="utf-8"))
    targets = ps_targets(tokens)
    targets += [Target(EVENT_LOGS, name, False) for name in ps_table(tokens, "$Channels").values()]
    targets += [Target(HIVES, name, False) for name in ps_table(tokens, "$Hives").values()]
    return any_of(targets)


def selectors() -> dict[str, Selector]:
    return {"kape": any_of(tkape_targets()), "velociraptor": artifact_selector(), "powershell": ps_selector()}
