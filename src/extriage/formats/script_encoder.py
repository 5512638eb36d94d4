"""Microsoft Script Encoder blocks (``<%@ LANGUAGE = VBScript.Encode %>``, ``JScript.Encode``), decoded.

Classic ASP runs pages whose script was put through ``screnc.exe``: each block reads ``#@~^`` + six
base64 characters (its length) + ``==`` + the encoded text + six base64 characters (a checksum) + ``==^#~@``.
The encoding is a fixed substitution: the n-th character below 0x80 is looked up in one of three
tables, chosen by a 64-step cycle; ``@`` escapes a line feed (``@&``), carriage return (``@#``), ``<``
(``@!``), ``>`` (``@*``) and ``@`` itself (``@$``). Web shells use it to keep ``Execute Request(...)``
from being read; the behaviour analysis reads the decoded text instead.

The cycle and the three tables are facts of the format, as published with the decoders of Andreas Marx
(Full-Disclosure, "VBScript/JScript.Encode Decoder", 16 Sep 2003) and MrBrownstone's scrdec; the code
here is this project's own.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

#: Which of the three tables decodes the n-th encoded character (n modulo 64).
_CYCLE = bytes.fromhex(
    "00020100020102010102010200010201"
    "00010201000002010102000102010102"
    "00000102010201000100000201000102"
    "00010201000002010100000201000102"
)
#: The three decoding tables: encoded byte (below 0x80) -> decoded byte; 0xFF marks the ``@`` escape.
_TABLES = tuple(
    bytes.fromhex(rows)
    for rows in (
        (
            "000102030405060708570a0b0c0d0e0f"
            "101112131415161718191a1b1c1d1e1f"
            "2e477a56426a2f26494134325b767243"
            "3839704568714f09624423753c7e3e5e"
            "ff774a615d224b6f4e3b4c50672a7d74"
            "542b2d2c306e6b66352521644d52633f"
            "7b7829287359337f6d55537c3a5f6546"
            "5831696c5a48275c3d24793760512036"
        ),
        (
            "0001020304050607087b0a0b0c0d0e0f"
            "101112131415161718191a1b1c1d1e1f"
            "323021295b38333d583a3565395c5673"
            "664e456b6259785e7d4a6d713c603e53"
            "ff422748727531374d5222546a47642d"
            "207f2e4c5d7e6c6f797443267625242b"
            "28234134092a443f773b556961635067"
            "51494f46687c36706e7a2f5f4b5a2c57"
        ),
        # (index 0x0D: a published copy reads 0x06; a carriage return is never encoded as itself - it is
        # written "@#" - so the identity is kept, as in the other two tables)
        (
            "0001020304050607086e0a0b0c0d0e0f"
            "101112131415161718191a1b1c1d1e1f"
            "2d755260715e495c627d2936207c7a7f"
            "6b63332b68516676316454433c3a3e7e"
            "ff452c2a7427374479592f6f26726a39"
            "7b3f387767534734785d30235a5b6c48"
            "5570692e4c21244e5009567335614b58"
            "3b57226d4d2528464a32413d5f4f4265"
        ),
    )
)
_ESCAPES = {ord("&"): 0x0A, ord("#"): 0x0D, ord("!"): 0x3C, ord("*"): 0x3E, ord("$"): 0x40}
#: A block's start: marker and length (six base64 characters: a little-endian count of its characters).
_START = re.compile(r"#@~\^([A-Za-z0-9+/]{6})==")
#: What follows the data: the checksum (the sum of the decoded characters) and the end marker.
_TRAILER = re.compile(r"([A-Za-z0-9+/]{6})==\^#~@")
MARKER = b"#@~^"


@dataclass(frozen=True, slots=True)
class Decoded:
    text: bytes
    blocks: int  # encoded blocks decoded
    verified: int  # of them, those whose checksum matched (the others are damaged copies, decoded as far as they go)


def decode_block(data: str) -> str:
    """The text of one block's encoded characters (between the length and the checksum)."""
    out: list[str] = []
    n = 0
    escape = False
    for ch in data:
        c = ord(ch)
        if escape:
            escape = False
            out.append(chr(_ESCAPES.get(c, c)))
        elif c < 0x80:
            d = _TABLES[_CYCLE[n % 64]][c]
            if d == 0xFF:
                escape = True
                continue  # the "@" of an escape does not move the cycle
            out.append(chr(d))
        else:
            out.append(ch)  # characters above 0x7F are kept as they are
        n += 1
    return "".join(out)


def _number(b64: str) -> int:
    return int.from_bytes(base64.b64decode(b64 + "=="), "little")


def decode_page(data: bytes) -> Decoded:
    """The page with every encoded block replaced by its decoded text. A block is read for the length
    its header gives (a copy that lost its end marker is still decoded); its checksum is checked."""
    if MARKER not in data:
        return Decoded(data, 0, 0)
    text = data.decode("utf-8", "surrogateescape")  # characters as the page holds them; bytes kept
    out: list[str] = []
    pos = blocks = verified = 0
    while (m := _START.search(text, pos)) is not None:
        length = _number(m.group(1))
        start = m.end()
        end = min(len(text), start + length)
        if length == 0:
            out.append(text[pos : m.end()])
            pos = m.end()
            continue
        plain = decode_block(text[start:end])
        out.append(text[pos : m.start()])
        out.append(plain)
        blocks += 1
        trailer = _TRAILER.match(text, end)
        if trailer is not None:
            verified += _number(trailer.group(1)) == sum(ord(c) for c in plain) % (1 << 32)
            end = trailer.end()
        pos = end
    out.append(text[pos:])
    return Decoded("".join(out).encode("utf-8", "surrogateescape"), blocks, verified)


#: The language names that say a page's script is encoded.
ENCODED_LANGUAGE = re.compile(rb"(?i)\b(?:vbscript|jscript)\.encode\b")
