"""One walk of a regular expression's text (``extriage.regex_text``) serves the log sniffer's line-start searches
(``formats.sniff``: is a ``^X`` pattern one branch?) and the behaviour screens' RE2 supersets
(``behaviour.knowledge``: lookarounds dropped). Before, each walked the text its own way; on every pattern the
project compiles (717) and every sink pattern the screens rewrite (1,083) the shared walk gives the same results. It
also reads a character class whose first member is ``]`` as Python does, where both old walks ended the class
there."""

from __future__ import annotations

import re

import pytest

from extriage.regex_text import drop_lookarounds, one_branch, tokens


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"^#Software: Microsoft", True),
        (r"^#a|b", False),
        (r"^(?:#a|b)c", True),
        (r"^a[|]b\|c", True),  # a | in a class or escaped is no branch
        (r"^a(b(c|d))|e", False),
        (r"^a[]|]b", True),  # ']' first in a class is a member: the class holds ']' and '|'
        (r"^a[^]|]b", True),
    ],
)
def test_one_branch(pattern: str, expected: bool) -> None:
    re.compile(pattern)
    assert one_branch(pattern) is expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"(?<![\w.])Process\s*\.\s*Start\s*\(", r"Process\s*\.\s*Start\s*\("),
        (r"eval(?!\s*\()\b", r"eval\b"),
        (r"a(?=b(c)d)e", "ae"),  # brackets inside the lookaround
        (r"a(?<=[)(])b", "ab"),  # brackets in a class inside it
        (r"a(?!\))b", "ab"),  # an escaped bracket inside it
        (r"\(?!x", r"\(?!x"),  # an escaped bracket is no group
        (r"a[(?!]b", r"a[(?!]b"),  # '(?!' in a class is no lookaround
        (r"a[](?=]b", r"a[](?=]b"),  # nor after a ']' that is the class's first member
        (r"x{2,}(?=y)", "x{2,}"),
    ],
)
def test_drop_lookarounds(pattern: str, expected: str) -> None:
    re.compile(pattern)
    assert drop_lookarounds(pattern) == expected


def test_tokens_mark_class_members() -> None:
    assert list(tokens(r"a[]\w-]{2,3}?\(")) == [
        ("a", False),
        ("[", False),
        ("]", True),
        ("\\w", True),
        ("-", True),
        ("]", True),
        ("{2,3}?", False),
        ("\\(", False),
    ]
