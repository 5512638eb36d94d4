"""Language syntax shared by normalisation and taint tracking: keywords, method definitions."""

from __future__ import annotations

import re

_C_KEYWORDS = frozenset(
    "if while for foreach switch catch using lock return new typeof sizeof nameof base this "
    "fixed checked unchecked get set".split()
)
#: Words that are never a variable, in any of the languages (normalisation reads code of all three).
_KEYWORDS = _C_KEYWORDS | frozenset("function sub dim call elseif".split())
#: Per language: ``sub``, ``dim`` or ``call`` are ordinary C# names (a shell's ``string call =
#: Request["c"]`` is a variable), ``function`` is a JScript keyword, VB has them all.
KEYWORDS_OF = {"cs": _C_KEYWORDS, "js": _C_KEYWORDS | {"function"}, "vb": _KEYWORDS}
_METHOD_DEF = {
    # C# parameter lists may span lines (one parameter a line)
    "cs": re.compile(r"\b([^\W\d]\w*)\s*\(([^();{}]{0,400})\)\s*(?:\{|=>)"),
    "js": re.compile(r"\bfunction\s+([^\W\d]\w*)\s*\(([^()]{0,400})\)"),
    "vb": re.compile(r"\b(?:Sub|Function)\s+([^\W\d]\w*)\s*\(([^()\n]{0,400})\)", re.I),
}
