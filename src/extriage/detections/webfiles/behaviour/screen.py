"""The fast path's screen for sinks hidden by obfuscation: code that matches neither it nor the
sink prefilter has nothing the analysis could find."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

#: What could hide a sink's spelling from the prefilter until normalisation undoes it: escapes,
#: literal concatenation, char codes, byte/char arrays, base64, .Replace on literals, comments
#: inside a token, Unicode format characters inside a name (zero-width, bidi controls: C# ignores them).
_HIDING_SOURCE = (
    "[\u00ad\u180b-\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]|"
    r'\\[uxU]|"\s*[+&]|[+&]\s*"|\(\s*char\s*\)|\bChrW?\s*\(|fromCharCode|FromBase64String|'
    r"\bnew\s+(?:System\s*\.\s*)?(?:byte|char)\b|\.\s*Replace\s*\(|/\*|//|\bToChar\b|"
    # aliases of types and callables, late-bound calls (see _structure)
    r"\b(?:using|Imports)\s+\w+\s*=|\busing\s+static\b|=\s*(?:[\w.]*\.)?\w+\s*[;\n]|\bCallByName\b|\[\s*\"\w+\"\s*\]\s*\(|@[^\W\d]|"
    # the response object handed over as a typed parameter (rewrite.member_aliases)
    r"\bHttpResponse(?:Base|Wrapper)?\s+[^\W\d]"
)
_HIDING = re.compile(_HIDING_SOURCE, re.IGNORECASE)


@cache
def _hiding_re2() -> Any:
    """``_HIDING`` as one RE2 automaton (every page's code is screened with it: a linear DFA pass is
    several times faster than the backtracking search); its word classes spelled as Unicode letters and
    digits, as Python's are. ``None`` when RE2 is unavailable."""
    try:
        import re2
    except ImportError:  # pragma: no cover
        return None
    src = _HIDING_SOURCE.replace("[^\\W\\d]", "[\\pL_]").replace("[\\w.]", "[\\pL\\pN_.]")
    src = src.replace("\\w", "[\\pL\\pN_]")
    opts = re2.Options()
    opts.case_sensitive = False
    try:
        # anchored behind a lazy ".*" as the sink screen (knowledge._prefilter): no reverse program
        return re2.compile("(?s:.*?)(?:" + src + ")", options=opts)
    except Exception:  # pragma: no cover - re2.error: the Python pattern screens
        return None


#: Code the hidden-sink screen matches (see knowledge.warm_prefilters).
WARM_HIDING = 's = "a" + "b"; // c'


def hiding_screen() -> Any:
    """The compiled hidden-sink screen (for the worker fork server to build once: ``warm_behaviour``)."""
    return _hiding_re2()


def _hides(code: str) -> bool:
    """Whether normalisation could reveal a sink the page screen does not see (see ``_HIDING``)."""
    fast = _hiding_re2()
    return (fast.match(code) if fast is not None else _HIDING.search(code)) is not None
