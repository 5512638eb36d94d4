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
from typing import NamedTuple

from extriage.detections.webfiles.behaviour.lazy import lazy
from extriage.detections.webfiles.behaviour.syntax import depth, line_of, top_level


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
        return _vb_regions(code, a, b, negated, True)
    if throws:
        start = _c_statement_start(code, a)
        after = re.compile(r"\s*;").match(code, b)
        if code[start:a].strip() or after is None:
            return []
        return [Region(after.end(), _c_block_end(code, after.end()))]
    return _c_regions(code, a, b, negated, True)


def vb_dead_blocks(code: str) -> list[tuple[int, int]]:
    """VB's switched-off blocks (C#'s are taint._Analyser._dead_blocks)."""
    out: list[tuple[int, int]] = []
    for n, m in enumerate(_VB_DEAD_IF.finditer(code)):
        if n >= 200:
            break
        out.append((m.end() + 1, _vb_walk(code, m.end() + 1)))
    return out


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


def _c_regions(code: str, a: int, b: int, negated: bool, given: bool) -> list[Region]:
    """Regions of a C# check (or a name holding its result) at [a, b)."""
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
    if _c_leaves(code, then[0], then[1]):
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


def _c_leaves(code: str, start: int, end: int) -> bool:
    """Whether the branch [start, end) leaves on every path: an exit statement at its own top level."""
    for n, x in enumerate(_C_EXIT.finditer(code, start, end)):
        if n >= _MAX_EXITS:
            break
        s = _c_statement_start(code, x.start())
        if s < start:
            s = start
        if (
            code[s : x.start()].strip()
            or top_level(code, start, x.start(), "")[1] >= 0
            or depth(code, start, x.start())
        ):
            continue
        if x.group(1) and _no_end(code, x.end()):
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


def _vb_regions(code: str, a: int, b: int, negated: bool, given: bool) -> list[Region]:
    """Regions of a VB check (or a name holding its result) at [a, b)."""
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
    if _vb_leaves(code, then[0], then[1]):
        out.append(Region(statement_end, _vb_walk(code, statement_end)))
    return out


def _vb_leaves(code: str, start: int, end: int) -> bool:
    """Whether a VB branch leaves on every path: an exit on a line of its own level."""
    depth = 0
    at = start
    while at < end:
        e = code.find("\n", at, end)
        e = end if e < 0 else e
        x = _VB_EXIT.match(code, at, e)
        if depth == 0 and x is not None and not (x.group(1) and _no_end(code, x.end())):
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
