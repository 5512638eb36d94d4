"""The decoding layer under the log walk: compression and UTF-16 told by content, bombs refused,
broken streams read up to the damage, plain logs passed through untouched."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma

import zstandard

from extriage.formats import logdecode
from extriage.formats.logdecode import compression_of, open_decoded, utf16_of
from extriage.formats.logscan import CHUNK, read_head

TEXT = b"".join(b"2021-03-05 02:%02d:00 10.0.0.1 GET /owa/ - 443 - 10.0.0.5 UA - 200 0 0 15\r\n" % (i % 60)
                for i in range(20000))


def _read_all(data: bytes) -> tuple[bytes, logdecode.Decoded]:
    stream = io.BytesIO(data)
    buf, n = read_head(stream, CHUNK)
    dec = open_decoded(stream, buf, n, 8192)
    out = [bytes(buf[: dec.primed])] if dec.primed else []
    while piece := dec.stream.read(CHUNK):
        out.append(piece)
    return b"".join(out), dec


def test_plain_log_passes_through_untouched() -> None:
    out, dec = _read_all(TEXT)
    assert out == TEXT and dec.layers == [] and dec.primed == len(TEXT)


def test_every_compression_and_concatenated_members() -> None:
    half = len(TEXT) // 2
    zc = zstandard.ZstdCompressor()
    cases = {"gzip": gzip.compress(TEXT[:half]) + gzip.compress(TEXT[half:]), "bzip2": bz2.compress(TEXT),
             "xz": lzma.compress(TEXT), "zstd": zc.compress(TEXT[:half]) + zc.compress(TEXT[half:])}
    for kind, data in cases.items():
        out, dec = _read_all(data)
        assert out == TEXT and dec.layers == [kind] and not dec.problems(), kind


def test_utf16_with_and_without_bom_inside_gzip() -> None:
    for codec, bom in (("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-16-le", b""), ("utf-16-be", b"")):
        out, dec = _read_all(gzip.compress(bom + TEXT.decode().encode(codec)))
        assert out == TEXT, (codec, bom)
        assert dec.layers == ["gzip", f"UTF-16 {codec[-2:].upper()} {'with' if bom else 'without'} BOM"]


def test_what_is_not_compressed_or_utf16() -> None:
    assert compression_of(b"BZh is how this line starts") is None  # "BZh" needs its block size digit
    assert utf16_of(b"\x00" * 4096) is None  # a NUL-filled region is damage, not UTF-16
    assert utf16_of(TEXT[:4096]) is None


def test_truncated_and_corrupt_streams_are_read_up_to_the_damage() -> None:
    packed = gzip.compress(TEXT)
    out, dec = _read_all(packed[: len(packed) // 2])
    assert TEXT.startswith(out) and len(out) > 0
    assert "truncated" in dec.problems()[0]
    out, dec = _read_all(gzip.compress(TEXT) + b"trailing junk")
    assert out == TEXT and "trailing data" in dec.problems()[0]
    packed = zstandard.ZstdCompressor().compress(TEXT)
    out, dec = _read_all(packed[: len(packed) // 2])
    assert TEXT.startswith(out) and "truncated" in dec.problems()[0]
    out, dec = _read_all(packed + b"trailing junk")
    assert out == TEXT and "trailing data" in dec.problems()[0]


def test_decompression_bomb_is_refused() -> None:
    zeros = b"\x00" * (200 * 1024 * 1024)
    for bomb in (gzip.compress(zeros, compresslevel=9), zstandard.ZstdCompressor(level=19).compress(zeros)):
        out, dec = _read_all(bomb)
        assert "decompression bomb" in dec.problems()[0]
        assert len(out) < 100 * 1024 * 1024
