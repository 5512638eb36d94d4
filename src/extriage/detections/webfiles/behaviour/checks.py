"""Value checks: where a name holds only digits, or only one of the page's own words.

A request value rejected unless it is digits (``int.TryParse``, an anchored digits pattern, a validator of the
page's own returning one) can pick a number, not name a file or a command; one checked against a list of literal
strings (``ok.Contains(c)``, ``Array.IndexOf(ok, c) < 0``) is one of the page's words. Such a check counts only
over the code it decides (:func:`guard.regions`: after ``if (!check) return;`` in its block, inside ``if (check)
{..}``, through a name given its result), not wherever its name is: ``if (ok.Contains(c)) { }`` before
``Process.Start(c)`` decides nothing (session 20, A14; session 19 made it so for sign-in checks). A list read from
configuration or the request is no check; nor is equality with one literal (shells compare a command with their
own words and still run the others). A use in a method the page calls only from code the check decides is decided
too (:func:`callers_decided`: the check in ``Page_Load``, the use in the method it then calls; session 21, A15).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from extriage.detections.webfiles.behaviour import guard
from extriage.detections.webfiles.behaviour.lazy import lazy

#: A name -> where it is checked (normalised code offsets).
Checked = Mapping[str, list[guard.Region]]

_NAME = r"([^\W\d]\w*)"
#: The pattern text of an anchored digits/hex class (``"^[0-9]+$"``, ``@"^\d{1,8}$"``).
_DIGITS_RE = r'@?"\^(?:\[(?:0-9|a-fA-F|A-Fa-f|a-f|A-F|\\d){1,3}\]|\\d)(?:\+|\*|\{\d{1,3}(?:,\d{0,3})?\})\$"'
_DIGITS = {
    "cs": lazy(
        r"(?<![\w.])(?:(?:System\s*\.\s*Text\s*\.\s*RegularExpressions\s*\.\s*)?Regex\s*\.\s*IsMatch\s*\(\s*"
        + _NAME
        + r'(?:\s*\?\?\s*"")?\s*,\s*'
        + _DIGITS_RE
        + r"\s*\)|(?:System\s*\.\s*)?(?:int|long|Int32|Int64|uint|ulong|short)\s*\.\s*TryParse\s*\(\s*"
        + _NAME
        + r"\s*,\s*out\b[^)]{0,60}\))"
    ),
    "vb": lazy(
        r"(?<![\w.])(?:(?:System\s*\.\s*Text\s*\.\s*RegularExpressions\s*\.\s*)?Regex\s*\.\s*IsMatch\s*\(\s*"
        + _NAME
        + r"\s*,\s*"
        + _DIGITS_RE
        + r"\s*\)|(?:System\s*\.\s*)?(?:Integer|Long|Int32|Int64|UInteger|ULong|Short)\s*\.\s*TryParse\s*\(\s*"
        + _NAME
        + r"\s*,\s*[^\W\d]\w*\s*\))",
        re.I,
    ),
}
_VB_WORDS = lazy(r"TryParse|IsMatch", re.I)
#: A validator method: ``bool VerifyId(string x) { ... return Regex.IsMatch(x, "^[0-9]+$"); }`` (C#).
_DIGITS_VALIDATOR = lazy(
    r"\bbool\s+([^\W\d]\w*)\s*\(\s*string\s+([^\W\d]\w*)\s*\)\s*\{[^}]{0,600}?"
    r"\breturn\s+(?:(?:System\s*\.\s*Text\s*\.\s*RegularExpressions\s*\.\s*)?Regex\s*\.\s*IsMatch)\s*\(\s*\2\s*,\s*"
    + _DIGITS_RE
    + r"\s*\)"
)
#: A list of literal strings given a name: ``string[] ok = { "a", "b" }``, ``new List<string> { ... }``,
#: ``new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ... }``, VB ``Dim ok() As String = {...}``,
#: ``New List(Of String) From {...}``.
_LITERALS = r'\{\s*"[^"\n]*"(?:\s*,\s*"[^"\n]*"){0,200}\s*,?\s*\}'
_LITERAL_LIST = {
    "cs": lazy(
        r"(?<![\w.])([^\W\d]\w*)\s*=\s*(?:new\s*(?:[\w.]+\s*)?(?:<[^<>;]{0,100}>\s*)?(?:\[\s*\]\s*)?"
        r"(?:\([^()]{0,100}\)\s*)?)?" + _LITERALS
    ),
    "vb": lazy(
        r"(?<![\w.])([^\W\d]\w*)(?:\(\s*\))?(?:(?:\s+As\s+[\w.]+(?:\(\s*\))?)?\s*=\s*|\s+As\s+(?=New\b))"
        r"(?:New\s+[\w.]+\s*(?:\(\s*Of\s+[\w.]+\s*\)\s*)?(?:\(\s*\)\s*)?(?:From\s*)?)?" + _LITERALS,
        re.I,
    ),
    "js": lazy(
        r"(?<![\w.])([^\W\d]\w*)\s*(?::\s*[\w.]+(?:\[\])?\s*)?=\s*\[\s*\"[^\"\n]*\"(?:\s*,\s*\"[^\"\n]*\"){0,200}\s*\]"
    ),
}
#: A list written out where it is used: ``new[] { "a", "b" }.Contains(x)``.
_INLINE_LIST = {
    "cs": r"new\s*(?:[\w.]+\s*)?(?:<[^<>;]{0,100}>\s*)?(?:\[\s*\]\s*)?" + _LITERALS,
    "vb": r"(?:New\s+[\w.]+\s*(?:\(\s*\)\s*)?)?" + _LITERALS,
    "js": r'\[\s*"[^"\n]*"(?:\s*,\s*"[^"\n]*"){0,200}\s*\]',
}
#: Checks read per page (each costs a walk of its condition and branch).
_MAX_CHECKS = 100


def digits(code: str, lang: str, live: Callable[[int], bool]) -> dict[str, list[guard.Region]]:
    """Names checked to be digits (or hex) only, and where (``live``: whether a check's ``if`` can decide)."""
    out: dict[str, list[guard.Region]] = {}
    if "TryParse" not in code and "IsMatch" not in code and (lang != "vb" or _VB_WORDS.search(code) is None):
        return out
    pattern = _DIGITS["vb" if lang == "vb" else "cs"]
    found = [(m.start(), m.end(), m.group(1) or m.group(2)) for m in pattern.finditer(code)]
    names = [m.group(1) for m in _DIGITS_VALIDATOR.finditer(code)] if lang == "cs" else []
    if names:
        call = re.compile(r"(?<![\w.])(?:" + "|".join(map(re.escape, names)) + r")\s*\(\s*" + _NAME + r"\s*\)")
        found += [(m.start(), m.end(), m.group(1)) for m in call.finditer(code)]
    _add(out, code, lang, found, False, live)
    return out


def listed(code: str, lang: str, live: Callable[[int], bool]) -> dict[str, list[guard.Region]]:
    """Names checked against a list of literal strings, and where."""
    out: dict[str, list[guard.Region]] = {}
    if "Contains" not in code and "IndexOf" not in code and "contains" not in code.lower():
        return out
    flags = re.I if lang == "vb" else 0
    names = [m.group(1) for m in _LITERAL_LIST[lang].finditer(code)][:100]
    lists = "|".join([*map(re.escape, names), _INLINE_LIST[lang]])
    contains = re.compile(
        r"(?<!\w)(?:" + lists + r")\s*\.\s*Contains\s*\(\s*" + _NAME + r"\s*(?:,[^()\n]{0,80})?\)", flags
    )
    _add(out, code, lang, [(m.start(), m.end(), m.group(1)) for m in contains.finditer(code)], False, live)
    index_of = re.compile(
        r"(?<![\w.])Array\s*\.\s*IndexOf\s*\(\s*(?:" + lists + r")\s*,\s*" + _NAME + r"\s*\)\s*"
        r"(?:(<\s*0|==?\s*-\s*1)|>=\s*0|!=\s*-\s*1|<>\s*-\s*1|>\s*-\s*1)",
        flags,
    )
    for negated in (True, False):  # (IndexOf(..) < 0: the name is not listed)
        spans = [(m.start(), m.end(), m.group(1)) for m in index_of.finditer(code) if bool(m.group(2)) is negated]
        _add(out, code, lang, spans, negated, live)
    return out


def covers(checked: Checked, key: str, pos: int) -> bool:
    """Whether the use of the (folded) name ``key`` at ``pos`` is in code a check of it decides."""
    return any(r.start <= pos < r.end for r in checked.get(key, ()))


#: A method's name before its parameter list (C#, JScript, VB ``Sub Name(``) or on its ``Sub``/``Function`` line.
_DEF_NAME = lazy(r"([^\W\d]\w*)\s*\(\s*$")
_VB_DEF_NAME = lazy(r"\b(?:Sub|Function)\s+([^\W\d]\w*)", re.I)
#: What makes a method an entry of its own (ASP.NET or a client calls it, not only the page's code): an override,
#: an attribute before it (``[WebMethod]``, ``<WebMethod()>``, an action's ``[HttpPost]``), an event handler the page
#: or application wires by name (``Page_Load``, ``Application_Start``), ``ProcessRequest``, ``OnLoad``.
_ENTRY = lazy(
    r"\b(?:override|Overrides)\b|[\]>]\s*(?:(?:public|private|protected|internal|static|async|virtual|Public|"
    r"Private|Protected|Friend|Shared|Async|Overridable)\s+)*[\w.<>\[\]]*\s*(?:Sub|Function)?\s*$",
)
_ENTRY_NAME = lazy(r"(?:Page|Application|Session|Global|Server)_\w+|ProcessRequest|On[A-Z]\w*|Dispose|Init", re.I)
#: Callers followed up from a use (each a method whose every reference is a call the check decides).
_MAX_DEPTH = 2
_MAX_CALLS = 50


def callers_decided(
    code: str,
    lang: str,
    page: str,
    spans: list[tuple[int, int, int, int]],
    decided: Callable[[int], bool],
    pos: int,
    depth: int = 0,
) -> bool:
    """Whether every way into the method around ``pos`` passes code a check decides (``decided``): the page
    refers to the method only by calls (no delegate, no markup ``OnClick="Name"``, no name in a literal), each
    decided, or itself in such a method (two calls deep). An entry of its own (an override, an attributed
    method, ``Page_Load``, ``ProcessRequest``) is not: ASP.NET calls it. ``spans``: the page's methods
    (parameter list and body offsets, ``rewrite._method_spans``)."""
    if depth >= _MAX_DEPTH or lang not in ("cs", "vb"):
        return False
    method = next((s for s in spans if s[2] <= pos < s[3]), None)
    if method is None:
        return False
    line = code.rfind("\n", 0, method[0]) + 1
    named = _VB_DEF_NAME.search(code, line, method[2]) if lang == "vb" else _DEF_NAME.search(code, line, method[0])
    if named is None or _ENTRY_NAME.fullmatch(named.group(1)):
        return False
    if _ENTRY.search(code, max(0, line - 200), named.start(1)) is not None:
        return False
    if lang == "vb" and re.search(r"\bHandles\b", code[named.end() : method[2]], re.I):
        return False  # (VB's event wiring is on the definition's line)
    flags = re.I if lang == "vb" else 0
    name = re.escape(named.group(1))
    if re.search(r"[\"']\s*" + name + r"\s*[\"']", page, flags):
        return False  # wired in markup (OnClick="Run") or named in a literal (reflection)
    calls: list[int] = []
    for n, ref in enumerate(re.finditer(r"(?<![\w.])" + name + r"\b", code, flags)):
        if ref.start() == named.start(1):
            continue
        if n > _MAX_CALLS:
            return False
        after = code[ref.end() : ref.end() + 40].lstrip(" \t")
        bare = lang == "vb" and (after[:1] in ("", "\n", ":") or after[:1] == "'")
        if not (after.startswith("(") or bare):
            return False  # a delegate (+= Run, AddressOf Run): a way in that is no call here
        calls.append(ref.start())
    return bool(calls) and all(
        decided(c) or callers_decided(code, lang, page, spans, decided, c, depth + 1) for c in calls
    )


def _add(
    out: dict[str, list[guard.Region]],
    code: str,
    lang: str,
    found: list[tuple[int, int, str]],
    negated: bool,
    live: Callable[[int], bool],
) -> None:
    for a, b, name in found[:_MAX_CHECKS]:
        if not live(a):
            continue
        regions = guard.regions(code, lang, a, b, False, negated)
        if regions:
            out.setdefault(name.lower() if lang == "vb" else name, []).extend(regions)
