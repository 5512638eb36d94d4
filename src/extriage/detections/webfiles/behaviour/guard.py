"""Where a sign-in check guards the code: the spans of normalised code that run only for a signed-in user.

A check of the signed-in user silences an application feature's sink (taint._SIGNED_IN) only when it decides
whether the sink runs: ``if (!User.Identity.IsAuthenticated) return;`` (or a redirect, a throw, Response.End) before
it in the same block, the sink inside ``if (Request.IsAuthenticated) {..}`` or in the ``else`` of the negated test,
``Authenticate(user, password);`` (thrown from) before it, or a name given the check's result and tested so. A check
that is merely present - switched off under ``if (false)``, its result ignored or kept in an unused name, in a block
or method that ends before the sink, in a string, or whose branch does not leave - guards nothing: a planted page
could name one to pass as an application's (session 19, A13). C# and VB, over code whose literals are one line each.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache
from typing import NamedTuple

from extriage.detections.webfiles.behaviour.lazy import lazy
from extriage.detections.webfiles.behaviour.syntax import (
    VB_METHOD_END,
    VB_METHOD_HEAD,
    depth,
    line_of,
    top_level,
)


class Region(NamedTuple):
    """Code in [start, end) runs only after the check passed; with ``lines``, a sink whose request value was
    read on those lines is guarded too (``if (ok) { path = Request[..]; }`` then the sink below)."""

    start: int
    end: int
    lines: tuple[int, int] | None = None


#: The receiver chain before a check (``context.``, ``HttpContext.Current.``, ``Page.``).
_RECEIVER = lazy(r"(?:[^\W\d]\w*\s*\.\s*)*$")
_C_IF = lazy(r"(?<![\w.])if\s*\(")
_C_ELSE = lazy(r"\s*else\b")
#: What leaves the code: C# return/throw, Response.End(), a redirect (unless told not to end the response),
#: Server.Transfer; VB's Exit Sub/Function too, and Response.End without brackets.
_C_EXIT = lazy(
    r"(?<![\w.])(?:return|throw)\b"
    r"|(?<![\w.])(?:[^\W\d]\w*\s*\.\s*){0,4}(?:Response\s*\.\s*(?:End\s*\(\s*\)|(Redirect(?:Permanent)?)\s*\()"
    r"|Server\s*\.\s*Transfer\s*\()"
)
_VB_EXIT = lazy(
    r"[ \t]*(?:Return\b|Throw\b|Exit[ \t]+(?:Sub|Function|Property)\b"
    r"|(?:[^\W\d]\w*[ \t]*\.[ \t]*){0,4}(?:Response[ \t]*\.[ \t]*(?:End\b|(Redirect(?:Permanent)?)[ \t]*\()"
    r"|Server[ \t]*\.[ \t]*Transfer[ \t]*\())",
    re.I,
)
#: What ends the request wherever it is written: the exits less return (in a method of the page it only leaves that
#: method) - what a page method that ends the response holds (``void Deny() { Response.StatusCode = 403;
#: Response.End(); }``; session 20, A14).
_C_END = lazy(
    r"(?<![\w.])throw\b"
    r"|(?<![\w.])(?:[^\W\d]\w*\s*\.\s*){0,4}(?:Response\s*\.\s*(?:End\s*\(\s*\)|(Redirect(?:Permanent)?)\s*\()"
    r"|Server\s*\.\s*Transfer\s*\()"
)
_VB_END = lazy(
    r"[ \t]*(?:Throw\b"
    r"|(?:[^\W\d]\w*[ \t]*\.[ \t]*){0,4}(?:Response[ \t]*\.[ \t]*(?:End\b|(Redirect(?:Permanent)?)[ \t]*\()"
    r"|Server[ \t]*\.[ \t]*Transfer[ \t]*\())",
    re.I,
)
#: A short method of the page and its body (group 2): C# ``void Deny(..) { .. }`` (blocks one deep), VB ``Sub
#: Deny(..)`` up to its End Sub (20 lines). What ends the request on every path is short; a longer method is read as
#: ending nothing (one regular-expression pass, no walk of every method of a big page). Gates are read from their
#: checks instead (see gates), at any length.
_C_METHOD = lazy(
    r"\b(?:void|bool|int|string|object)\s+([^\W\d]\w*)\s*\([^();{}]{0,400}\)\s*\{"
    r"((?:[^{}]|\{[^{}]{0,400}\}){0,800})\}"
)
_VB_METHOD = lazy(
    r"^[ \t]*(?:(?:Public|Private|Protected|Friend|Shared|Overridable)[ \t]+)*(Sub|Function)[ \t]+([^\W\d]\w*)"
    r"[ \t]*\([^()\n]{0,400}\)[^\n]*\n((?:(?![ \t]*End[ \t]+(?:Sub|Function)\b)[^\n]*\n){0,20})[ \t]*End[ \t]+\1\b",
    re.I | re.M,
)
#: A C# method's header, of any length (gates: read from a check back to its method): ``void Gate(..) {`` (VB's:
#: syntax.VB_METHOD_HEAD and VB_METHOD_END).
_C_HEAD = lazy(r"\b(?:void|bool|int|string|object)\s+([^\W\d]\w*)\s*\([^();{}]{0,400}\)\s*\{")
_VB_IF = lazy(r"[ \t]*If\b(.*?)\bThen\b", re.I)
_VB_SPLIT = lazy(r"\b(AndAlso|OrElse|And|Or)\b", re.I)
_VB_ELSE_INLINE = lazy(r"\bElse\b", re.I)
#: VB block lines: what opens, closes or splits a block (a one-line If opens none).
_VB_OPEN = lazy(
    r"[ \t]*(?:If\b.*\bThen[ \t]*$|For\b|While\b|Do\b|Select[ \t]+Case\b|Try[ \t]*$|Using\b|With\b|SyncLock\b)",
    re.I,
)
_VB_CLOSE = lazy(
    r"[ \t]*(?:End[ \t]+(?:If|Select|Try|Using|With|While|SyncLock|Sub|Function|Property)\b|Next\b|Loop\b)",
    re.I,
)
_VB_MIDDLE = lazy(r"[ \t]*(?:Else|ElseIf|Case|Catch|Finally)\b", re.I)
#: A name given the check's result (``bool ok = User.IsInRole("Admin");``, ``Dim ok As Boolean = ..``).
_C_GIVEN = lazy(r"\s*(?:\b(?:bool|var|Boolean)\s+)?([^\W\d]\w*)\s*=\s*(!?)[\s(]*$")
_VB_GIVEN = lazy(
    r"[ \t]*(?:Dim[ \t]+)?([^\W\d]\w*)(?:[ \t]+As[ \t]+Boolean)?[ \t]*=[ \t]*(Not\b)?[ \t(]*$", re.I
)
#: A VB block switched off: ``If False Then`` (or ``.. AndAlso False``) alone on its line, up to its End If.
_VB_DEAD_IF = lazy(
    r"^[ \t]*If[ \t]+(?:False|[^\n]{0,300}?\bAndAlso[ \t]+False|False[ \t]+AndAlso\b[^\n]{0,300}?)[ \t]+Then[ \t]*$",
    re.I | re.M,
)
#: Caps: checks read per method, uses of a name given a check, exits looked at per branch.
_MAX_CHECKS = 50
_MAX_USES = 20
_MAX_EXITS = 20


def regions(code: str, lang: str, a: int, b: int, throws: bool, negated: bool = False) -> list[Region]:
    """The regions the check matched at [a, b) guards (``throws``: a call that throws when the caller is not
    signed in, which guards what follows it as a statement; ``negated``: the match is the check's negation,
    ``Array.IndexOf(ok, c) < 0``)."""
    if code.count('"', code.rfind("\n", 0, a) + 1, a) % 2:
        return []  # (in a string literal)
    if code[b - 1] == "(":
        close = top_level(code, b, min(len(code), b + 2000), "")[1]
        if close < 0:
            return []
        b = close + 1
    receiver = _RECEIVER.search(code, max(0, a - 200), a)
    if receiver is not None:
        a = receiver.start()
    if lang == "vb":
        if throws:  # (a statement alone on its line: Gate() or Call Gate())
            ls, le = code.rfind("\n", 0, a) + 1, code.find("\n", b)
            le = len(code) if le < 0 else le
            if re.fullmatch(r"[ \t]*(?:Call[ \t]+)?", code[ls:a], re.I) is None or code[b:le].strip():
                return []
            return [Region(le + 1, _vb_walk(code, le + 1))] if le < len(code) else []
        return _vb_regions(code, a, b, negated, True)
    if throws:
        start = _c_statement_start(code, a)
        after = re.compile(r"\s*;").match(code, b)
        if code[start:a].strip() or after is None:
            return []
        return [Region(after.end(), _c_block_end(code, after.end()))]
    return _c_regions(code, a, b, negated, True)


def vb_dead_blocks(code: str) -> list[tuple[int, int]]:
    """VB's switched-off blocks (C#'s are qualifiers.dead_blocks)."""
    out: list[tuple[int, int]] = []
    for n, m in enumerate(_VB_DEAD_IF.finditer(code)):
        if n >= 200:
            break
        out.append((m.end() + 1, _vb_walk(code, m.end() + 1)))
    return out


@lru_cache(maxsize=8)
def ending_methods(code: str, lang: str) -> frozenset[str]:
    """The page's methods that end the request on every path (``void Deny() { Response.StatusCode = 403;
    Response.End(); }``): a branch calling one leaves as one ending the response itself does."""
    out: set[str] = set()
    for n, (name, start, end) in enumerate(_methods(code, lang)):
        if n >= 200:
            break
        if (_vb_leaves(code, start, end, True) if lang == "vb" else _c_leaves(code, start, end, True)):
            out.add(name.lower() if lang == "vb" else name)
    return frozenset(out)


def gates(code: str, lang: str, checks: tuple[tuple[int, int], ...]) -> frozenset[str]:
    """The page's methods holding, at their own level, a check of ``checks`` whose failing branch ends the request
    (``void Gate() { if (!User.Identity.IsAuthenticated) { Response.StatusCode = 403; Response.End(); } }``): a
    call of one as a statement guards what follows it, as the check written there would (C# and VB). A check there
    whose branch only returns leaves the method, not the request: no gate. Of any length (session 21: a gate that
    also logs, counts or sets headers passed 800 characters and guarded nothing): each check's own method is read,
    from its header to its end (each method walked once)."""
    if not checks:
        return frozenset()
    read = _vb_regions if lang == "vb" else _c_regions
    heads = list(VB_METHOD_HEAD.finditer(code) if lang == "vb" else _C_HEAD.finditer(code))
    starts = [h.start() for h in heads]
    out: set[str] = set()
    ends: dict[int, int] = {}  # a header's index -> its method's end (each method walked once, however many checks)
    for a, b in checks:
        i = bisect_right(starts, a) - 1
        if i < 0:
            continue
        head = heads[i]
        if ends.get(i) == -2:
            continue  # (a gate already)
        if i not in ends:
            if lang == "vb":
                stop = VB_METHOD_END.search(code, head.end())
                same = stop is not None and stop.group(1).lower() == head.group(1).lower()
                ends[i] = stop.start() if stop is not None and same else -1
            else:
                close = top_level(code, head.end(), len(code), "")[1]
                ends[i] = len(code) if close < 0 else close
        name, start, end = head.group(2 if lang == "vb" else 1), head.end(), ends[i]
        if start <= a < end and any(r.end == end for r in read(code, a, b, False, False, True)):
            out.add(name.lower() if lang == "vb" else name)
            ends[i] = -2
    return frozenset(out)


def _methods(code: str, lang: str) -> list[tuple[str, int, int]]:
    """(name, body start, body end) of the page's short methods (see _C_METHOD)."""
    if lang == "vb":
        return [(m.group(2), m.start(3), m.end(3)) for m in _VB_METHOD.finditer(code)]
    return [(m.group(1), m.start(2), m.end(2)) for m in _C_METHOD.finditer(code)]


def conditional(code: str, lang: str, pos: int) -> bool:
    """Whether the ``if`` at ``pos`` runs only under another condition written without a block (C# ``if (a) if
    (..)``, ``else if``; VB after ``Then`` on its line): a check there decides nothing on its own."""
    if lang == "vb":
        return re.search(r"\bThen\b|\bElse\b", code[code.rfind("\n", 0, pos) + 1 : pos], re.I) is not None
    before = code[max(0, pos - 40) : pos].rstrip()
    return before.endswith(")") or re.search(r"\belse$", before) is not None


def _c_statement_start(code: str, pos: int) -> int:
    return (
        max(
            code.rfind(";", max(0, pos - 2000), pos),
            code.rfind("{", max(0, pos - 2000), pos),
            code.rfind("}", max(0, pos - 2000), pos),
        )
        + 1
    )


def _c_block_end(code: str, pos: int) -> int:
    """The end of the block holding ``pos`` (the page's code end at the top level)."""
    close = top_level(code, pos, len(code), "")[1]
    return len(code) if close < 0 else close


def _polarity(head: str, tail: str, lang: str) -> bool | None:
    """True when a condition's part is the check itself, False when it is its negation, None otherwise."""
    head = re.sub(r"[\s(]", "", head)
    tail = re.sub(r"[\s)]", "", tail)
    if lang == "vb":
        head, tail = head.lower(), tail.lower()
        positive = {("", ""), ("", "=true"), ("", "<>false")}
        negative = {("not", ""), ("", "=false"), ("", "<>true")}
    else:
        positive = {("", ""), ("", "==true"), ("", "!=false")}
        negative = {("!", ""), ("", "==false"), ("", "!=true")}
    if (head, tail) in positive:
        return True
    if (head, tail) in negative:
        return False
    return None


def _part(parts: list[tuple[int, int]], a: int, b: int) -> tuple[int, int] | None:
    return next(((s, e) for s, e in parts if s <= a and b <= e), None)


def _c_regions(code: str, a: int, b: int, negated: bool, given: bool, ending: bool = False) -> list[Region]:
    """Regions of a C# check (or a name holding its result) at [a, b) (``ending``: its failing branch must end the
    request, not only return)."""
    cond = None
    for m in _C_IF.finditer(code, max(0, a - 1000), a):
        close = top_level(code, m.end(), min(len(code), m.end() + 4000), "")[1]
        if close >= b:
            cond = (m, close)
    if cond is None:
        return _c_given(code, a, b, negated) if given else []
    m, close = cond
    before = code[max(0, m.start() - 40) : m.start()].rstrip()
    if before.endswith(")") or re.search(r"\belse$", before):
        return []  # (under another condition or an else: not the block's own statement)
    stops, _close = top_level(code, m.end(), close, "|&")
    ops = {code[s] for s in stops}
    cuts = [m.end() - 1, *stops, close]
    parts = [(cuts[i] + 1, cuts[i + 1]) for i in range(len(cuts) - 1)]
    part = _part(parts, a, b)
    if part is None:
        return []
    sign = _polarity(code[part[0] : a], code[b : part[1]], "cs")
    if sign is None:
        return []
    sign ^= negated
    then = _c_branch(code, close + 1)
    if then is None:
        return []
    if sign and ops <= {"&"}:
        return [Region(then[0], then[1], (line_of(code, then[0]), line_of(code, then[1])))]
    if sign or not ops <= {"|"}:
        return []
    out: list[Region] = []
    after = then[2]
    other = _C_ELSE.match(code, after)
    if other is not None:
        branch = _c_branch(code, other.end())
        if branch is not None:
            out.append(Region(branch[0], branch[1]))
            after = branch[2]
    if _c_leaves(code, then[0], then[1], ending):
        out.append(Region(after, _c_block_end(code, after)))
    return out


def _c_branch(code: str, pos: int) -> tuple[int, int, int] | None:
    """A branch starting at ``pos``: a block's inside or one statement, and where the branch ends."""
    brace = re.compile(r"\s*\{").match(code, pos)
    if brace is not None:
        close = top_level(code, brace.end(), len(code), "")[1]
        return None if close < 0 else (brace.end(), close, close + 1)
    found, _close = top_level(code, pos, min(len(code), pos + 4000), ";", first=True)
    return (pos, found[0], found[0] + 1) if found else None


def _c_leaves(code: str, start: int, end: int, ending: bool = False) -> bool:
    """Whether the branch [start, end) leaves on every path: an exit statement at its own top level (``ending``:
    one that ends the request, not a return), or a call of a page method that ends the request."""
    exit_re = _C_END if ending else _C_EXIT
    exits = [x for _n, x in zip(range(_MAX_EXITS), exit_re.finditer(code, start, end), strict=False)]
    names = frozenset() if ending else ending_methods(code, "cs")
    if names:
        call = re.compile(r"(?<![\w.])(?:this\s*\.\s*)?(?:" + "|".join(map(re.escape, sorted(names))) + r")\s*\(")
        exits += [x for _n, x in zip(range(_MAX_EXITS), call.finditer(code, start, end), strict=False)]
    for x in exits:
        s = _c_statement_start(code, x.start())
        if s < start:
            s = start
        if (
            code[s : x.start()].strip()
            or top_level(code, start, x.start(), "")[1] >= 0
            or depth(code, start, x.start())
        ):
            continue
        if x.lastindex and x.group(1) and _no_end(code, x.end()):
            continue
        return True
    return False


def _no_end(code: str, pos: int) -> bool:
    """Whether a redirect's arguments from ``pos`` tell it not to end the response (``Redirect(url, false)``)."""
    commas, close = top_level(code, pos, min(len(code), pos + 2000), ",")
    return bool(commas) and close > commas[-1] and code[commas[-1] + 1 : close].strip().lower() == "false"


def _c_given(code: str, a: int, b: int, negated: bool) -> list[Region]:
    """A name given the check's result, then tested: the regions of its tests."""
    start = _c_statement_start(code, a)
    given = _C_GIVEN.fullmatch(code, start, a)
    end = re.compile(r"[\s)]*;").match(code, b)
    if given is None or end is None:
        return []
    name = given.group(1)
    negated ^= bool(given.group(2))
    limit = _c_block_end(code, end.end())
    out: list[Region] = []
    uses = re.compile(r"(?<![\w.])" + re.escape(name) + r"\b(?!\s*=[^=])")
    for n, u in enumerate(uses.finditer(code, end.end(), limit)):
        if n >= _MAX_USES:
            break
        out += _c_regions(code, u.start(), u.end(), negated, False)
    return out


# --- VB ---------------------------------------------------------------------------------------------------------


def _vb_kind(line: str) -> str:
    if _VB_CLOSE.match(line):
        return "close"
    if _VB_MIDDLE.match(line):
        return "middle"
    if _VB_OPEN.match(line):
        return "open"
    return ""


def _vb_line(code: str, pos: int) -> str:
    end = code.find("\n", pos)
    return code[pos : len(code) if end < 0 else end]


def _vb_walk(code: str, pos: int, stop: bool = True) -> int:
    """From the line starting at ``pos``: where the block holding it ends or splits (``End If``, ``Else``,
    ``End Sub`` at its own level; with ``stop`` False only a close ends it), or the code's end."""
    depth = 0
    at = pos
    while at < len(code):
        end = code.find("\n", at)
        end = len(code) if end < 0 else end
        kind = _vb_kind(code[at:end])
        if kind == "close" or (kind == "middle" and stop):
            if depth == 0:
                return at
            if kind == "close":
                depth -= 1
        elif kind == "open":
            depth += 1
        at = end + 1
    return len(code)


def _vb_regions(code: str, a: int, b: int, negated: bool, given: bool, ending: bool = False) -> list[Region]:
    """Regions of a VB check (or a name holding its result) at [a, b) (``ending``: see _c_regions)."""
    ls = code.rfind("\n", 0, a) + 1
    le = code.find("\n", a)
    le = len(code) if le < 0 else le
    m = _VB_IF.match(code, ls, le)
    if m is None or not m.start(1) <= a or b > m.end(1):
        return _vb_given(code, ls, le, a, b, negated) if given else []
    cs, ce = m.start(1), m.end(1)
    splits = [x for x in _VB_SPLIT.finditer(code, cs, ce) if not depth(code, cs, x.start())]
    ops = {x.group(1).lower().startswith("and") for x in splits}  # True: and, False: or
    cuts = [(cs, cs), *((x.start(), x.end()) for x in splits), (ce, ce)]
    parts = [(cuts[i][1], cuts[i + 1][0]) for i in range(len(cuts) - 1)]
    part = _part(parts, a, b)
    if part is None:
        return []
    sign = _polarity(code[part[0] : a], code[b : part[1]], "vb")
    if sign is None:
        return []
    sign ^= negated
    rest = code[m.end() : le]
    if rest.strip():  # one-line If: If <condition> Then <statement> [Else <statement>]
        other = _VB_ELSE_INLINE.search(code, m.end(), le)
        then = (m.end(), other.start() if other else le)
        otherwise = (other.end(), le) if other else None
        statement_end = le
    else:  # If <condition> Then / .. / [Else / ..] / End If
        then = (le + 1, _vb_walk(code, le + 1))
        otherwise = None
        mark = _vb_line(code, then[1])
        if re.fullmatch(r"[ \t]*Else[ \t]*", mark, re.I):
            start = then[1] + len(mark) + 1
            otherwise = (start, _vb_walk(code, start))
            mark = _vb_line(code, otherwise[1])
        if not re.match(r"[ \t]*End[ \t]+If\b", mark, re.I):
            # (an ElseIf chain, or no End If: only the first branch is read)
            return (
                [Region(*then, (line_of(code, then[0]), line_of(code, then[1])))]
                if sign and ops <= {True}
                else []
            )
        statement_end = (otherwise or then)[1] + len(mark)
    if sign and ops <= {True}:
        return [Region(then[0], then[1], (line_of(code, then[0]), line_of(code, then[1])))]
    if sign or not ops <= {False}:
        return []
    out: list[Region] = []
    if otherwise is not None:
        out.append(Region(*otherwise))
    if _vb_leaves(code, then[0], then[1], ending):
        out.append(Region(statement_end, _vb_walk(code, statement_end)))
    return out


def _vb_leaves(code: str, start: int, end: int, ending: bool = False) -> bool:
    """Whether a VB branch leaves on every path: an exit on a line of its own level (``ending``: one that ends the
    request), or a call of a page method that ends the request."""
    names = frozenset() if ending else ending_methods(code, "vb")
    call = (
        re.compile(r"[ \t]*(?:Call[ \t]+)?(?:Me[ \t]*\.[ \t]*)?(?:" + "|".join(map(re.escape, sorted(names))) + r")\b", re.I)
        if names
        else None
    )
    depth = 0
    at = start
    while at < end:
        e = code.find("\n", at, end)
        e = end if e < 0 else e
        x = (_VB_END if ending else _VB_EXIT).match(code, at, e)
        if depth == 0 and x is not None and not (x.group(1) and _no_end(code, x.end())):
            return True
        if depth == 0 and call is not None and call.match(code, at, e) is not None:
            return True
        kind = _vb_kind(code[at:e])
        depth += 1 if kind == "open" else -1 if kind == "close" else 0
        at = e + 1
    return False


def _vb_given(code: str, ls: int, le: int, a: int, b: int, negated: bool) -> list[Region]:
    given = _VB_GIVEN.fullmatch(code, ls, a)
    if given is None or code[b:le].strip(" \t)"):
        return []
    name = given.group(1)
    negated ^= bool(given.group(2))
    limit = _vb_walk(code, le + 1, stop=False)
    out: list[Region] = []
    uses = re.compile(r"(?<![\w.])" + re.escape(name) + r"\b", re.I)
    for n, u in enumerate(uses.finditer(code, le, limit)):
        if n >= _MAX_USES:
            break
        out += _vb_regions(code, u.start(), u.end(), negated, False)
    return out
