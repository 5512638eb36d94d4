"""Language syntax shared by normalisation and taint tracking: keywords, method definitions."""

from __future__ import annotations

import re

from extriage.detections.webfiles.behaviour.lazy import lazy

_C_KEYWORDS = frozenset(
    "if while for foreach switch catch using lock return new typeof sizeof nameof base this "
    "fixed checked unchecked get set".split()
)
#: Words that are never a variable, in any of the languages (normalisation reads code of all three).
_KEYWORDS = _C_KEYWORDS | frozenset("function sub dim call elseif".split())
#: Per language: ``sub``, ``dim`` or ``call`` are ordinary C# names (a shell's ``string call =
#: Request["c"]`` is a variable), ``function`` is a JScript keyword, VB has them all.
KEYWORDS_OF = {"cs": _C_KEYWORDS, "js": _C_KEYWORDS | {"function"}, "vb": _KEYWORDS}
#: A VB method's header line, any modifiers before ``Sub``/``Function`` (group 1 which, group 2 its name), and the
#: ``End Sub``/``End Function`` that ends one (group 1): the method bodies of taint and the gates of guard.
VB_METHOD_HEAD = lazy(
    r"^[ \t]*(?:(?:Public|Private|Protected|Friend|Shared|Overrides|Overridable|Overloads|Static|Async|Partial)[ \t]+)*"
    r"(Sub|Function)[ \t]+([^\W\d]\w*)[^\n]*\n",
    re.I | re.M,
)
VB_METHOD_END = lazy(r"^[ \t]*End[ \t]+(Sub|Function)\b", re.I | re.M)
_METHOD_DEF = {
    # C# parameter lists may span lines (one parameter a line)
    "cs": re.compile(r"\b([^\W\d]\w*)\s*\(([^();{}]{0,400})\)\s*(?:\{|=>)"),
    "js": re.compile(r"\bfunction\s+([^\W\d]\w*)\s*\(([^()]{0,400})\)"),
    "vb": re.compile(r"\b(?:Sub|Function)\s+([^\W\d]\w*)\s*\(([^()\n]{0,400})\)", re.I),
}


def top_level(code: str, start: int, end: int, stops: str, first: bool = False) -> tuple[list[int], int]:
    """One walk over ``code[start:end]`` outside string literals (``"..."``) and brackets: the offsets of
    the characters of ``stops`` at the top level (only the first when ``first``), and the offset of the
    bracket closing one opened before ``start`` (the walk ends there), or -1 when none does. The one
    bracket scanner of call arguments (:func:`arguments._args`, ``normalise._arg_spans``), operands
    (``sinks.operand``) and leading operands (``arguments._leading``)."""
    found: list[int] = []
    depth = 0
    quote = False
    for i in range(start, end):
        c = code[i]
        if c == '"':
            quote = not quote
        elif not quote:
            if c in "([{":
                depth += 1
            elif c in ")]}":
                if depth == 0:
                    return found, i
                depth -= 1
            elif depth == 0 and c in stops:
                found.append(i)
                if first:
                    return found, -1
    return found, -1


def line_of(code: str, pos: int) -> int:
    """The 1-based line of offset ``pos`` in ``code``."""
    return code.count("\n", 0, pos) + 1


def depth(code: str, start: int, end: int) -> int:
    """Brackets opened and not closed in ``code[start:end]``, outside string literals (negative when more
    close than open): the same walk as :func:`top_level`, for a guard's "is this at the top level"."""
    level = 0
    quote = False
    for c in code[start:end]:
        if c == '"':
            quote = not quote
        elif not quote:
            if c in "([{":
                level += 1
            elif c in ")]}":
                level -= 1
    return level


def _param_parts(text: str) -> list[str]:
    """A parameter list split at its own commas, not those of a generic type's arguments
    (``IDictionary<string, object> data`` is one parameter) or of an attribute's brackets."""
    parts: list[str] = []
    depth = 0
    last = 0
    for i, c in enumerate(text):
        if c in "<[(":
            depth += 1
        elif c in ">])" and depth > 0:
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(text[last:i])
            last = i + 1
    parts.append(text[last:])
    return parts
