"""Attacker-controlled text made safe to show: invisible and control characters become visible escapes.

Log lines, web shell content and file names can carry ANSI escape sequences, bells, carriage returns
or C1 controls (``\\x9b`` starts a sequence on some terminals), and Unicode format characters that
change how the text *looks*: bidi overrides and isolates (U+202E turns ``gpj.aspx`` into
``xpsa.jpg`` on screen), zero-width spaces and joiners, the BOM, line and paragraph separators.
Every plain-text output (terminal, CSV) and the HTML report write them as visible escapes, so a
report can neither drive the reader's terminal nor hide or reorder text:

* C0 controls (not tab), DEL and C1 controls: ``\\xNN``;
* format characters (Unicode category Cf), U+2028/U+2029: ``\\uNNNN`` (``\\UNNNNNNNN`` above U+FFFF);
* bytes of a file name that are not UTF-8 — Python holds byte 0xNN as the lone surrogate U+DCNN
  (``surrogateescape``) — as ``\\xNN``, the byte itself, so the name stays exact; any other lone
  surrogate (only a hand-made result file has one) as ``\\uNNNN``. Lone surrogates cannot be
  written as UTF-8 at all, so this is also what keeps those outputs from failing.

The JSON result is the lossless record: it keeps such names exact as ``\\udcNN`` escapes
(:func:`surrogates_as_escapes`); other text outputs encode with the ``extriage-visible`` error
handler registered here, which writes the same visible escapes instead of failing.
"""

from __future__ import annotations

import codecs
import re

#: Unicode format characters (category Cf, Unicode 15.1) plus the line and paragraph separators.
#: ``tests/outputs/test_safetext.py`` checks the table against the running Python's ``unicodedata``.
FORMAT_RANGES: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD), (0x070F, 0x070F),
    (0x0890, 0x0891), (0x08E2, 0x08E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x2028, 0x202E),
    (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD),
    (0x110CD, 0x110CD), (0x13430, 0x1343F), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)


def _class(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)


_FORMAT = _class(FORMAT_RANGES) + "\ud800-\udfff"
#: What the terminal and CSV escape: controls but tab, format characters, surrogates.
_INVISIBLE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f" + _FORMAT + "]")
#: What the HTML escapes: format characters and surrogates (controls are inert there, and the
#: report's own multi-line text keeps its line ends).
_INVISIBLE_HTML = re.compile("[" + _FORMAT + "]")


def visible_form(ch: str) -> str:
    """The escape that stands for one invisible character (see the module docstring)."""
    n = ord(ch)
    if n < 0xA0:
        return f"\\x{n:02x}"
    if 0xDC80 <= n <= 0xDCFF:  # surrogateescape'd byte of a non-UTF-8 file name
        return f"\\x{n - 0xDC00:02x}"
    return f"\\u{n:04x}" if n <= 0xFFFF else f"\\U{n:08x}"


def _sub(m: re.Match[str]) -> str:
    return visible_form(m.group())


def visible_controls(text: str) -> str:
    """``text`` with every control character but tab, every format character and every lone
    surrogate written as a visible escape (terminal, CSV)."""
    return _INVISIBLE.sub(_sub, text)


def sanitize_terminal(text: str) -> str:
    """Replace control characters (ANSI escapes, bells, carriage returns) by visible escapes, and
    tabs by spaces."""
    return visible_controls(text).replace("\t", " ")


def escape(text: str) -> str:
    """Make arbitrary text (log lines, file names) safe to print through Rich: no markup, no
    terminal control sequences."""
    from rich.markup import escape as rich_escape

    return rich_escape(sanitize_terminal(text))


def visible_format(text: str) -> str:
    """``text`` with format characters and lone surrogates written as visible escapes (HTML, where
    controls are inert and line ends must stay)."""
    return _INVISIBLE_HTML.sub(_sub, text)


def _json_sub(m: re.Match[str]) -> str:
    return "\\" + visible_form(m.group())  # a JSON-escaped backslash: the page shows the escape itself


def visible_format_json(json_text: str) -> str:
    """JSON text whose strings show format characters and lone surrogates as visible escapes once
    parsed (``\\u202e`` on the page instead of an active override). Such characters can only stand
    inside JSON strings, where ``\\\\u202e`` decodes to the six characters of the escape."""
    return _INVISIBLE_HTML.sub(_json_sub, json_text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def surrogates_as_escapes(json_text: str) -> str:
    """JSON text with every lone surrogate written as its ``\\udcNN`` escape instead of the raw
    code point, which UTF-8 cannot encode. Lossless: a raw surrogate can only stand inside a JSON
    string, where the escape means the same character, so ``json.loads`` gives back the very string
    (and ``os.fsencode`` the original name bytes)."""
    if not _SURROGATE.search(json_text):
        return json_text
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", json_text)


def _visible_on_error(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    return "".join(visible_form(ch) for ch in exc.object[exc.start : exc.end]), exc.end


#: ``text.encode("utf-8", "extriage-visible")``: what a text output writes for a character its
#: encoding cannot hold (a lone surrogate in UTF-8) — the visible escape, never an exception.
VISIBLE_ERRORS = "extriage-visible"
codecs.register_error(VISIBLE_ERRORS, _visible_on_error)
