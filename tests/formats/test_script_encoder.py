"""Microsoft Script Encoder blocks decoded (``VBScript.Encode`` pages). The encoder below is the
decoder's tables read backwards, written for the test; the tables themselves were checked on real
encoded pages, whose blocks' checksums (the sum of the decoded characters) match (BENCHMARKS.md,
"Pages of installed applications, for review" section's sequel in the session 13 summary)."""

from __future__ import annotations

import base64

import pytest

from extriage.formats import script_encoder as se

_ESCAPE_OF = {0x0A: "&", 0x0D: "#", 0x3C: "!", 0x3E: "*", 0x40: "$"}


def encode(plain: str) -> str:
    """A block as screnc writes it: marker, length, data, checksum, end marker."""
    inverse = [{d: c for c, d in enumerate(t) if d != 0xFF and c >= 9} for t in se._TABLES]
    data: list[str] = []
    n = 0
    for ch in plain:
        c = ord(ch)
        if c in _ESCAPE_OF:
            data.append("@" + _ESCAPE_OF[c])
        elif c < 0x80:
            data.append(chr(inverse[se._CYCLE[n % 64]][c]))
        else:
            data.append(ch)
        n += 1
    body = "".join(data)

    def number(v: int) -> str:
        return base64.b64encode(v.to_bytes(4, "little")).decode()[:6]

    return f"#@~^{number(len(body))}=={body}{number(sum(map(ord, plain)))}==^#~@"


SCRIPT = 'If Request("k") = "x" Then\r\n    Execute Request("c")\r\nEnd If\r\nResponse.Write "<b>done</b> @ 100%"'


def test_an_encoded_block_is_decoded_and_its_checksum_checked() -> None:
    page = f'<%@ LANGUAGE = VBScript.Encode %>\r\n<%{encode(SCRIPT)}%>\r\n<p>page</p>'.encode()
    out = se.decode_page(page)
    assert out.blocks == 1 and out.verified == 1
    assert out.text == f"<%@ LANGUAGE = VBScript.Encode %>\r\n<%{SCRIPT}%>\r\n<p>page</p>".encode()
    assert se.ENCODED_LANGUAGE.search(page)


def test_several_blocks_and_characters_above_0x7f() -> None:
    first, second = 'Response.Write "文字"', "Session(\"a\") = 1"
    page = f"<%{encode(first)}%><%{encode(second)}%>".encode()
    out = se.decode_page(page)
    assert (out.blocks, out.verified) == (2, 2)
    assert out.text.decode() == f"<%{first}%><%{second}%>"


@pytest.mark.parametrize("cut", ["checksum", "end", "middle"])
def test_a_damaged_copy_is_decoded_as_far_as_it_goes(cut: str) -> None:
    block = encode(SCRIPT)
    if cut == "checksum":
        block = block[:-12] + "AAAAAA==^#~@"
    elif cut == "end":
        block = block[:-12]
    else:
        block = block[: len(block) // 2]
    out = se.decode_page(f"<%{block}%>".encode())
    assert out.blocks == 1 and out.verified == 0
    assert out.text.startswith(b'<%If Request("k") = "x" Then')


def test_pages_without_blocks_and_odd_bytes_are_unchanged() -> None:
    for page in (b"<% Response.Write 1 %>", b"#@~^ not a block", b"\xff\xfe#@~^AAAAAA==x", "<%é%>".encode("latin-1")):
        assert se.decode_page(page).text == page
