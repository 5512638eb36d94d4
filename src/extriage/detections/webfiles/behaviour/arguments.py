"""Where the parts of a statement or a call lie in normalised code: call arguments (one by one, or read from one map
of a big file's brackets), parameter lists, the value after a statement's assignment, a header's end, string
literals and the brackets open at a point."""

from __future__ import annotations

import re

from extriage.detections.webfiles.behaviour.lazy import lazy
from extriage.detections.webfiles.behaviour.syntax import _param_parts, top_level

#: What follows a header's closing bracket when it is a header (``using (..)``, ``if (..)``): a block, or the
#: statement it governs.
_AFTER_HEADER = lazy(r"\s*(?:\{|(?!(?:as|is)\b)[^\W\d])")


#: An assignment operator (not ==, !=, <=, >=, =>).
_ASSIGN_OP = lazy(r"(?<![=!<>])=(?![=>])")


def _value_start(code: str, start: int, pos: int) -> int:
    """Where the value part of a statement begins when ``pos`` lies to the right of an assignment to
    any target (``Type t = Assembly.Load(...)...``; outside brackets and strings)."""
    head = code[start:pos]
    if "=" not in head or '"' in head or "{" in head:
        return start
    last = None
    for m in _ASSIGN_OP.finditer(head):
        before = head[: m.start()]
        if before.count("(") == before.count(")") and before.count("[") == before.count("]"):
            last = m
    return start if last is None else start + last.end()


def _after_assignment(code: str, start: int, pos: int) -> int:
    """Where the value part of a statement begins when ``pos`` lies to the right of an assignment to a
    member (``Output.Text = Process.Start(...)``; outside brackets and strings)."""
    value = _value_start(code, start, pos)
    if "." not in code[start:value]:
        # var psi = new ProcessStartInfo(): the variable is the sink's object (what it is given later
        # counts); only a member written to (Output.Text =) is a mere destination
        return start
    return value


#: Parentheses outside string literals (where a sink's statement ends inside a header).
_PARENS = lazy(r'"(?:[^"\\\n]|\\.){0,2000}"|[()]')


#: A literal holding a server page's code (an ASP.NET block, a Razor block, a server control): a page the code
#: writes, compiles or serves from memory - its statements are read as code (X39's Razor Pages injector, session 17).
_PAGE_CODE_TEXT = lazy(r"<%|@\{|@\(|\brunat\s*=", re.I)


def _outside_literals(code: str, found: list[re.Match[str]]) -> list[re.Match[str]]:
    """The matches of ``found`` (in order) that start outside the string literals of normalised code, or inside one
    holding a page's code (:data:`_PAGE_CODE_TEXT`) - one walk over its literals (:data:`_LITERAL`), not one per
    match."""
    if '"' not in code or not found:
        return found
    out: list[re.Match[str]] = []
    lits = _LITERAL.finditer(code)
    lit = next(lits, None)
    for m in found:
        while lit is not None and lit.end() <= m.start():
            lit = next(lits, None)
        if lit is None or m.start() < lit.start() or _PAGE_CODE_TEXT.search(code, lit.start(), lit.end()):
            out.append(m)
    return out


def _header_end(code: str, start: int, end: int) -> int:
    """Where a C-like statement from ``start`` really ends before ``end`` (its ``;``): at the closing
    parenthesis of a header it sits in - ``using (var c = new SqlConnection(x))``, ``if (...)`` - when a
    block follows (the ``{ f(id); }`` after it is other statements, not this one's input)."""
    if code.find("{", start, end) < 0:
        return end
    depth = 0
    for m in _PARENS.finditer(code, start, end):
        if m.group(0) == "(":
            depth += 1
        elif m.group(0) == ")":
            depth -= 1
            if depth < 0:
                # a header closes when a block or another statement follows (not `.`, `,`, `)` ...:
                # then it was a call the sink is an argument of)
                after = _AFTER_HEADER.match(code, m.end(), end)
                return m.start() if after is not None else end
    return end


#: A string literal of normalised code.
_LITERAL = lazy(r'"[^"\n]*"')


#: An identifier.
_IDENT = lazy(r"[^\W\d]\w*")
#: An identifier not read as a member (not after a dot) nor inside a longer word.
_ANY_IDENT = lazy(r"(?<![\w.])[^\W\d]\w*")
#: Literal text that makes request input only *part* of a value (a fixed folder, a query around a
#: spliced value). A bare scheme or separator (``"http://"``, ``"\\"``, ``"/"``, ``"."``) does not: the
#: request still chooses the whole address or path; nor a drive's root (``"C:\\"``: the whole drive, and a rooted
#: or ``..`` value leaves it - X45's request, session 19: a drive browser's reads were silent).
_TRIVIAL = lazy(r'"(?:https?://|[\\/.:~]{0,3}|[A-Za-z]:[\\/]{0,2}|(?:\{\d{1,2}\}\s?){1,4})"')


#: C# attributes on a parameter (``[FromHeader(Name = "X-Token")]``), one level of brackets, literals whole.
_ATTRIBUTES = lazy(r'\[(?:[^\[\]"\n]|"[^"\n]*")*\]')


def _params(text: str, lang: str) -> list[str]:
    names = []
    for part in _param_parts(text) if lang != "vb" and ("<" in text or "[" in text) else text.split(","):
        if lang != "vb" and "[" in part:
            # attributes first: their arguments are no default value ([FromForm(Name = "c")] string x; X47's request)
            part = _ATTRIBUTES.sub(" ", part)
        part = re.sub(r"=.*$", "", part).strip()
        if lang == "vb":
            part = re.sub(r"\s+As\s+.*$", "", part, flags=re.I)
        elif lang == "js":
            part = re.sub(r"\s*:.*$", "", part)  # JScript .NET: name : Type
        idents = _IDENT.findall(part)
        if idents:
            names.append(idents[-1])
    return names


def _argument_before(code: str, pos: int, limit: int = 2000) -> tuple[int, int] | None:
    """The span of the call argument just before the one starting at ``pos`` (after its comma), or None when
    ``pos`` is the first argument or the walk back is longer than ``limit`` characters."""
    i = pos - 1
    while i >= 0 and code[i] in " \t\r\n":
        i -= 1
    if i < 0 or code[i] != ",":
        return None
    end = i
    depth = 0
    quote = False
    for j in range(end - 1, max(-1, end - limit), -1):
        c = code[j]
        if c == '"':
            quote = not quote
        elif quote:
            continue
        elif c in ")]}":
            depth += 1
        elif c in "([{":
            if depth == 0:
                return j + 1, end
            depth -= 1
        elif c == "," and depth == 0:
            return j + 1, end
    return None


def _args(code: str, start: int, limit: int = 4000) -> list[tuple[int, int]]:
    """Spans of the top-level arguments of the call whose '(' is at ``start - 1`` (the last one ends at the
    closing bracket, or ``limit`` characters on when none closes it)."""
    end = min(len(code), start + limit)
    commas, close = top_level(code, start, end, ",")
    return list(zip([start, *(c + 1 for c in commas)], [*commas, close if close >= 0 else end], strict=True))


#: Code of more characters than this has its brackets mapped once (_Analyser._brackets).
_BRACKETS_FROM = 64 * 1024


#: The characters a bracket walk looks at (see syntax.top_level).
_BRACKET_MARKS = lazy(r'["()\[\]{},]')


def _brackets(code: str) -> dict[int, tuple[int, list[int]]]:
    """Every bracket of ``code`` outside string literals, by its offset: where it closes (-1: never) and the
    commas directly inside it - one walk of the whole code, for the many calls of a big file whose
    arguments :func:`_args` would otherwise walk one by one (the same spans: a walk from just inside a bracket
    meets the same brackets and commas as the whole file's, outside literals)."""
    out: dict[int, tuple[int, list[int]]] = {}
    stack: list[tuple[int, list[int]]] = []
    quote = False
    for m in _BRACKET_MARKS.finditer(code):
        c = m.group()
        if c == '"':
            quote = not quote
        elif quote:
            continue
        elif c == ",":
            if stack:
                stack[-1][1].append(m.start())
        elif c in "([{":
            stack.append((m.start(), []))
        elif stack:
            start, commas = stack.pop()
            out[start] = (m.start(), commas)
    for start, commas in stack:
        out[start] = (-1, commas)
    return out


def _args_at(code: str, start: int, brackets: dict[int, tuple[int, list[int]]] | None, limit: int = 4000) -> list[tuple[int, int]]:
    """:func:`_args` read from :func:`_brackets` when the call's bracket is one of its (not inside a literal)."""
    known = brackets.get(start - 1) if brackets is not None else None
    if known is None:
        return _args(code, start, limit)
    end = min(len(code), start + limit)
    close, all_commas = known
    if close >= end:
        close = -1
    commas = [c for c in all_commas if c < end] if close < 0 else all_commas
    return list(zip([start, *(c + 1 for c in commas)], [*commas, close if close >= 0 else end], strict=True))


def _in_literal(code: str, pos: int) -> bool:
    """Whether ``pos`` lies inside a string literal of normalised code (literals are canonical there: one
    line, no quote inside, so the quotes before it on its line are counted)."""
    return code.count('"', code.rfind("\n", 0, pos) + 1, pos) % 2 == 1


def _open_brackets(code: str, start: int, end: int) -> int:
    """How many parentheses opened in ``code[start:end]`` (outside string literals) are still open at ``end``."""
    depth = 0
    for m in _PARENS.finditer(code, start, end):
        depth += 1 if m.group(0) == "(" else -1 if m.group(0) == ")" else 0
    return depth


def _initializer_end(code: str, pos: int, end: int) -> int:
    """``pos``, or past the object initializer ``{ ... }`` that starts there (``new X(...) { A = b }``)."""
    m = re.compile(r"\s*\{").match(code, pos, end)
    if m is None:
        return pos
    depth = 0
    for i in range(m.end() - 1, end):
        if code[i] == "{":
            depth += 1
        elif code[i] == "}":
            depth -= 1
            if depth == 0:
                return i + 1
    return end


def _leading(code: str, start: int, end: int) -> int:
    """End of the first top-level operand of the expression in [start, end): where the first ``+``
    (C#, JScript) or ``&`` (VB) outside quotes and brackets joins it to what follows."""
    joins, _close = top_level(code, start, end, "+&", first=True)
    return joins[0] if joins else end
