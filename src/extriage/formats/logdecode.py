"""A log's bytes as the walk reads them: decompressed and re-encoded to UTF-8 when they need it.

Logs reach us gzipped by log rotation (``u_ex210303.log.gz``), compressed under their own name by a
collection tool, or re-saved as UTF-16 by an editor. What a file holds is told by its first bytes,
never its name: compression by the magic numbers of gzip, bzip2, xz and zstd, UTF-16 by its byte
order mark or, without one, by the NUL byte beside every ASCII character. Everything is a stream
over the hashing reader: bounded memory whatever the size, and the SHA-256 is still that of the
file as stored. A clean UTF-8 log passes through untouched (no copy, no extra pass).
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import lzma
from dataclasses import dataclass, field
from typing import Any

from extriage.formats.logscan import CHUNK, Readable

#: (magic bytes, name) of the compressions recognised at the start of a file.
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)
#: Compressed layers unwrapped at most (a gzip inside a gzip is still read; deeper is refused).
MAX_LAYERS = 3
#: Decompressed output beyond this many times the compressed input (and past 16 MB) is a bomb.
MAX_RATIO = 400
_BOMB_FLOOR = 16 * 1024 * 1024
#: zstd input given to the decompressor per step: at most ~32 MB of output even for a bomb's blocks.
_ZSTD_STEP = 1024
#: Bytes looked at to tell UTF-16 without a byte order mark.
_PROBE = 4096


def compression_of(head: bytes | bytearray) -> str | None:
    """The compression whose magic number starts ``head``, or None."""
    for magic, name in MAGIC:
        if head.startswith(magic):
            if name == "bzip2" and (len(head) < 4 or head[3] not in b"123456789"):
                continue  # "BZh" then the block size digit: a text line starting "BZh" is no bzip2
            return name
    return None


def utf16_of(head: bytes | bytearray) -> tuple[str, int] | None:
    """``(codec, BOM length)`` when ``head`` is UTF-16 text, else None.

    Without a byte order mark, ASCII text in UTF-16 LE has a NUL at every odd offset and none at the
    even ones (BE: the reverse). A NUL-filled or binary region has NULs at both, so it is not taken
    for UTF-16."""
    if head.startswith(b"\xff\xfe") and not head.startswith(b"\xff\xfe\x00\x00"):
        return "utf-16-le", 2
    if head.startswith(b"\xfe\xff"):
        return "utf-16-be", 2
    sample = bytes(head[: _PROBE - _PROBE % 2])
    half = len(sample) // 2
    if half < 8 or sample.find(b"\x00") < 0:  # memchr: a plain log stops here
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    opening = sample[:32]  # a log opens with ASCII (a header or a timestamp): a NUL beside each byte
    if odd >= 0.9 * half and even <= 0.02 * half and opening[1::2].count(0) == len(opening) // 2:
        return "utf-16-le", 0
    if even >= 0.9 * half and odd <= 0.02 * half and opening[0::2].count(0) == len(opening) // 2:
        return "utf-16-be", 0
    return None


class _Prefixed:
    """``prefix`` then the rest of ``stream``: the head already read, put back in front."""

    def __init__(self, prefix: bytes, stream: Readable) -> None:
        self._prefix = prefix
        self._stream = stream

    def read(self, n: int = -1) -> bytes:
        if self._prefix:
            if n < 0 or n >= len(self._prefix):
                out, self._prefix = self._prefix, b""
                return out
            out, self._prefix = self._prefix[:n], self._prefix[n:]
            return out
        return self._stream.read(n)


class _Counted:
    """The compressed input, counting what the decompressor consumed (for the bomb ratio)."""

    def __init__(self, stream: Readable) -> None:
        self._stream = stream
        self.consumed = 0

    def read(self, n: int = -1) -> bytes:
        data = self._stream.read(n)
        self.consumed += len(data)
        return data


class Decompressed:
    """The decompressed bytes of ``stream`` (one of :data:`MAGIC`), read on demand.

    The standard library's (and zstandard's) stream readers do the work: every read returns at
    most what was asked, so memory stays bounded even on a bomb, and concatenated members
    (``cat a.gz b.gz``) are read one after the other. Corrupt, truncated or trailing data ends the
    stream and sets :attr:`problem`; output past :data:`MAX_RATIO` times the input is refused as a
    decompression bomb (also in :attr:`problem`)."""

    def __init__(self, stream: Readable, kind: str) -> None:
        self.kind = kind
        self.problem = ""
        self.produced = 0
        self._src = _Counted(stream)
        self._eof = False
        src: Any = self._src  # a file-like object with read(): all these readers need
        self._reader: Any
        if kind == "gzip":
            self._reader = gzip.GzipFile(fileobj=src, mode="rb")
        elif kind == "bzip2":
            self._reader = bz2.BZ2File(src, mode="rb")
        elif kind == "xz":
            self._reader = lzma.LZMAFile(src, mode="rb")
        else:
            self._reader = _ZstdReader(src)
        # read1: one decompression step per call, so an error further on loses nothing read before it
        self._read = self._reader.read1

    @property
    def consumed(self) -> int:
        return self._src.consumed

    def read(self, n: int = -1) -> bytes:
        """Up to ``n`` decompressed bytes, in several decompression steps (a step gives ~100 KB;
        the walk wants whole chunks). What was decompressed before an error is still returned."""
        want = CHUNK if n is None or n < 0 else n
        out: list[bytes] = []
        size = 0
        while size < want and not self._eof:
            piece = self._step(want - size)
            if not piece:
                self._eof = True
                break
            out.append(piece)
            size += len(piece)
            self.produced += len(piece)
            if self.produced > _BOMB_FLOOR and self.produced > MAX_RATIO * max(self.consumed, 1):
                self.problem = (f"decompression bomb suspected ({self.kind}: {self.produced:,} bytes from "
                                f"{self.consumed:,}); the rest was not read")
                self._eof = True
        return b"".join(out)

    def _step(self, n: int) -> bytes:
        try:
            piece: bytes = self._read(n)
            return piece
        except EOFError:
            self.problem = f"the {self.kind} stream is truncated (it ends before its end marker)"
        except Exception as exc:  # OSError, BadGzipFile, LZMAError, zstandard.ZstdError: no common base
            text = str(exc).lower()
            what = "trailing data after" if "not a gzipped file" in text or "trailing data" in text else "corrupt data in"
            self.problem = f"{what} the {self.kind} stream after {self.produced:,} bytes ({exc})"
        return b""


class _ZstdReader:
    """zstd frames one after the other, read in bounded steps: the input is given to the
    decompressor :data:`_ZSTD_STEP` bytes at a time (zstandard's own stream reader neither bounds a
    step's output by the input nor says when the last frame is cut short; this does both)."""

    def __init__(self, src: Readable) -> None:
        import zstandard

        self._new = zstandard.ZstdDecompressor().decompressobj
        self._src = src
        self._dec = self._new()
        self._input = b""
        self._started = False  # a frame was begun (an input that ends inside it is cut short)

    def read1(self, n: int) -> bytes:
        out: list[bytes] = []
        size = 0
        while size < n:
            if len(self._input) < 8:
                more = self._src.read(CHUNK // 4)
                self._input += more
                if not self._input:
                    if self._started and not self._dec.eof:
                        raise EOFError("zstd frame cut short")
                    break
            if self._dec.eof:  # the frame before is complete: the next one, or trailing data
                if compression_of(self._input[:8]) != "zstd":
                    raise OSError(f"not a zstd frame: {len(self._input):,}+ bytes of trailing data")
                self._dec = self._new()
            step, self._input = self._input[:_ZSTD_STEP], self._input[_ZSTD_STEP:]
            self._started = True
            piece = self._dec.decompress(step)
            if self._dec.eof and self._dec.unused_data:
                self._input = self._dec.unused_data + self._input  # the next frame's first bytes
            out.append(piece)
            size += len(piece)
        return b"".join(out)


class Utf16ToUtf8:
    """UTF-16 text of ``stream`` as UTF-8, decoded incrementally (a character split between two
    reads is kept for the next); undecodable units become U+FFFD and are counted."""

    def __init__(self, stream: Readable, codec: str, skip: int) -> None:
        self.codec = codec
        self._stream = stream
        self._skip = skip
        self._dec = codecs.getincrementaldecoder(codec)(errors="replace")
        self._done = False

    def read(self, n: int = -1) -> bytes:
        while not self._done:
            raw = self._stream.read(CHUNK if n is None or n < 0 else max(2, n))
            if self._skip:
                raw, self._skip = raw[self._skip:], 0
            final = not raw
            text = self._dec.decode(raw, final=final)
            if final:
                self._done = True
            if text:
                return text.encode("utf-8", errors="surrogatepass")
        return b""


@dataclass(slots=True)
class Decoded:
    """What the walk reads: ``stream`` (the hashing reader itself for a plain log, ``primed`` bytes
    already in the thread buffer), its first decoded bytes ``head`` for sniffing, and the layers
    unwrapped (``["gzip", "UTF-16 LE"]``; empty for a plain log)."""

    stream: Readable
    primed: int
    head: bytes
    layers: list[str] = field(default_factory=list)
    decoders: list[Decompressed] = field(default_factory=list)

    def problems(self) -> list[str]:
        return [d.problem for d in self.decoders if d.problem]


def open_decoded(reader: Readable, buf: bytearray, primed: int, sniff: int) -> Decoded:
    """Wrap ``reader`` (whose first ``primed`` bytes are in ``buf``) in the decoders its content
    needs. A plain log is returned as is: the fast path reads it into the reused buffer."""
    first = buf[: min(primed, 16)]
    kind = compression_of(first)
    enc = None if kind else utf16_of(buf[: min(primed, _PROBE)])
    if kind is None and enc is None:
        return Decoded(reader, primed, bytes(buf[: min(primed, sniff)]))
    stream: Readable = _Prefixed(bytes(buf[:primed]), reader)
    layers: list[str] = []
    decoders: list[Decompressed] = []
    head = b""
    while True:
        if kind is not None and len(decoders) < MAX_LAYERS:
            dec = Decompressed(stream, kind)
            decoders.append(dec)
            layers.append(kind)
            stream = dec
        elif enc is not None:
            codec, bom = enc
            stream = Utf16ToUtf8(stream, codec, bom)
            layers.append("UTF-16 " + codec[-2:].upper() + (" with BOM" if bom else " without BOM"))
            enc = None
        head = stream.read(max(sniff, _PROBE))
        stream = _Prefixed(head, stream)
        if layers[-1].startswith("UTF-16"):
            break
        kind = compression_of(head[:16]) if len(decoders) < MAX_LAYERS else None
        enc = None if kind else utf16_of(head[:_PROBE])
        if kind is None and enc is None:
            break
    return Decoded(stream, 0, head[:sniff], layers, decoders)
