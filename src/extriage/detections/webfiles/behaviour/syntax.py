"""Language syntax shared by normalisation and taint tracking: keywords, method definitions."""

from __future__ import annotations

import re

_KEYWORDS = frozenset(
    "if while for foreach switch catch using lock return new typeof sizeof nameof base this "
    "fixed checked unchecked get set function sub dim call elseif".split()
)
_METHOD_DEF = {
    # C# parameter lists may span lines (one parameter a line)
    "cs": re.compile(r"\b([^\W\d]\w*)\s*\(([^();{}]{0,400})\)\s*(?:\{|=>)"),
    "js": re.compile(r"\bfunction\s+([^\W\d]\w*)\s*\(([^()]{0,400})\)"),
    "vb": re.compile(r"\b(?:Sub|Function)\s+([^\W\d]\w*)\s*\(([^()\n]{0,400})\)", re.I),
}
