"""Walks of a regular expression's text (Python ``re`` syntax), for the code that inspects or rewrites patterns: the
behaviour screens' RE2 supersets (``detections.webfiles.behaviour.knowledge``) and the log sniffer's line-start
searches (``formats.sniff``). One tokenizer serves them all, so an escape, a character class (a ``]`` right after its
opening is a member) and a counted repetition are read the same way everywhere."""

from __future__ import annotations

import re
from collections.abc import Iterator

#: A counted repetition: ``{n}``, ``{m,}``, ``{m,n}`` (then an optional lazy ``?``).
COUNTED = re.compile(r"\{(\d+)(,\d*)?\}\??")
#: The openings of lookaround groups.
_LOOKAROUNDS = ("(?!", "(?=", "(?<!", "(?<=")


def tokens(pattern: str) -> Iterator[tuple[str, bool]]:
    """The tokens of a regular expression, each with whether it is inside a character class: an escape
    (``\\w``), a class's opening (``[`` or ``[^``, itself outside), a counted repetition outside classes
    (``{0,200}?``) or one character. A ``]`` right after the opening is a member, not the end."""
    i, n, in_class, prev = 0, len(pattern), False, ""
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            tok = pattern[i : i + 2]
            yield tok, in_class
        elif in_class:
            tok = c
            yield tok, True
            in_class = c != "]" or prev in ("[", "[^")
        elif c == "[":
            tok = "[^" if pattern.startswith("[^", i) else "["
            yield tok, False
            in_class = True
        else:
            m = COUNTED.match(pattern, i) if c == "{" else None
            tok = m.group(0) if m is not None else c
            yield tok, False
        prev = tok
        i += len(tok)


def one_branch(pattern: str) -> bool:
    """Whether ``pattern`` has no ``|`` outside groups and character classes (so a leading ``^`` anchors all of
    it)."""
    depth = 0
    for tok, in_class in tokens(pattern):
        if in_class:
            continue
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
        elif tok == "|" and depth == 0:
            return False
    return True


def drop_lookarounds(pattern: str) -> str:
    """``pattern`` without its lookaround groups (``(?!...)``, ``(?=...)``, ``(?<!...)``, ``(?<=...)``): a pattern
    RE2 can run that matches a superset of the original (an unclosed one drops the rest)."""
    out: list[str] = []
    i = skipped = 0  # skipped: the depth of brackets inside the lookaround being dropped
    for tok, in_class in tokens(pattern):
        if skipped:
            if not in_class and tok == "(":
                skipped += 1
            elif not in_class and tok == ")":
                skipped -= 1
        elif not in_class and tok == "(" and pattern.startswith(_LOOKAROUNDS, i):
            skipped = 1
        else:
            out.append(tok)
        i += len(tok)
    return "".join(out)
