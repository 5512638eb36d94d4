"""Classic ASP pages whose source is read in another code page than the one they are stored in.

``<%@ CodePage=65000 %>`` makes asp.dll read the page as UTF-7 (RFC 2152): ``+AFIAZQBz...-`` is text in
base64 of UTF-16, and ``R+j-e+j-q...`` is ``Req...`` - a shift sequence too short to hold one UTF-16 unit
gives nothing (asp.dll drops it, where Python's strict codec raises). Web shells use this to keep
``Execute Request(...)`` from being read as written (X29's collection, session 14: write-ups of WAF bypasses
and a one-liner generator); the behaviour analysis reads what asp.dll reads.
"""

from __future__ import annotations

import re

#: The page directive choosing UTF-7 (``<%@ LANGUAGE="VBScript" CODEPAGE="65000" %>``, ``<%@codepage=65000%>``).
_UTF7_DIRECTIVE = re.compile(rb"<%\s*@[^%>]{0,300}?\bcodepage\s*=\s*[\"']?\s*65000\b", re.I)
_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_VALUE = {c: i for i, c in enumerate(_B64)}


def declares_utf7(data: bytes) -> bool:
    """Whether the page's directive says its source is UTF-7."""
    return b"65000" in data and _UTF7_DIRECTIVE.search(data) is not None


def utf7(data: bytes) -> bytes:
    """``data`` read as UTF-7, leniently, as UTF-8: a shift sequence's bits that make no whole UTF-16 unit are
    dropped, a lone surrogate becomes U+FFFD, bytes above 0x7F (not UTF-7) are kept as they are."""
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        c = data[i]
        if c != 0x2B:  # "+"
            out.append(c)
            i += 1
            continue
        i += 1
        if i < n and data[i] == 0x2D:  # "+-" is "+"
            out.append(0x2B)
            i += 1
            continue
        bits = nbits = 0
        units: list[int] = []
        while i < n and data[i] in _B64_VALUE:
            bits = ((bits << 6) | _B64_VALUE[data[i]]) & 0x3FFFFF
            nbits += 6
            if nbits >= 16:
                nbits -= 16
                units.append((bits >> nbits) & 0xFFFF)
            i += 1
        if i < n and data[i] == 0x2D:  # "-" ends the shift and is absorbed
            i += 1
        out += _utf16_units(units)
    return bytes(out)


def _utf16_units(units: list[int]) -> bytes:
    text: list[str] = []
    k = 0
    while k < len(units):
        u = units[k]
        if 0xD800 <= u < 0xDC00 and k + 1 < len(units) and 0xDC00 <= units[k + 1] < 0xE000:
            text.append(chr(0x10000 + ((u - 0xD800) << 10) + (units[k + 1] - 0xDC00)))
            k += 2
            continue
        text.append("\ufffd" if 0xD800 <= u < 0xE000 else chr(u))
        k += 1
    return "".join(text).encode("utf-8")
