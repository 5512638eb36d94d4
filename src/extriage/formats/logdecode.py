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
import lzma
import zlib
from dataclasses import dataclass, field

from extriage.formats.logscan import CHUNK, Readable

#: (magic bytes, name) of the compressions recognised at the start of a file.
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)
#: File name endings of compressed logs (stripped before a log is placed by its path).
COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz", ".zst", ".zstd")
#: Compressed layers unwrapped at most (a gzip inside a gzip is still read; deeper is refused).
MAX_LAYERS = 3
#: Decompressed output beyond this many times the compressed input (and past 16 MB) is a bomb.
MAX_RATIO = 400
_BOMB_FLOOR = 16 * 1024 * 1024
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
    if half < 8:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    if odd >= 0.9 * half and even <= 0.02 * half:
        return "utf-16-le", 0
    if even >= 0.9 * half and odd <= 0.02 * half:
        return "utf-16-be", 0
    return None


class DecodeProblem(Exception):
    """The compressed or encoded content ends in error (a truncated gzip, a corrupt block)."""


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


class Decompressed:
    """The decompressed bytes of ``stream`` (one of :data:`MAGIC`), read on demand.

    Concatenated members (``cat a.gz b.gz``) are read one after the other. Corrupt or truncated
    input ends the stream and sets :attr:`problem`; output past :data:`MAX_RATIO` times the input
    is refused as a decompression bomb (also in :attr:`problem`). Memory stays bounded by the read
    size."""

    def __init__(self, stream: Readable, kind: str) -> None:
        self.kind = kind
        self.problem = ""
        self.consumed = 0
        self.produced = 0
        self._stream = stream
        self._eof = False
        self._out = b""
        self._zstd: object | None = None
        self._state: zlib._Decompress | bz2.BZ2Decompressor | lzma.LZMADecompressor | None = None
        self._pending = b""  # input not yet given to the decompressor
        self._new()

    def _new(self) -> None:
        if self.kind == "zstd":
            import zstandard

            self._zstd = zstandard.ZstdDecompressor().decompressobj()
            return
        if self.kind == "gzip":
            self._state = zlib.decompressobj(wbits=31)
        elif self.kind == "bzip2":
            self._state = bz2.BZ2Decompressor()
        else:
            self._state = lzma.LZMADecompressor()

    def _feed(self, data: bytes) -> bytes:
        """Decompress ``data``; after the end of one member go on with the next (concatenated)."""
        out = []
        while data:
            if self._ended():
                data = data.lstrip(b"\x00")  # gzip members may be padded with zeros
                if not data:
                    break
                if compression_of(data[:8]) != self.kind:
                    self.problem = f"{len(data):,} bytes of trailing data after the {self.kind} stream were ignored"
                    break
                self._new()
            if self._zstd is not None:
                dec = self._zstd
                out.append(dec.decompress(data))  # type: ignore[attr-defined]
                data = dec.unused_data if dec.eof else b""  # type: ignore[attr-defined]
            else:
                st = self._state
                assert st is not None
                out.append(st.decompress(data))
                data = st.unused_data if st.eof else b""
        return b"".join(out)

    def read(self, n: int = -1) -> bytes:
        want = CHUNK if n is None or n < 0 else n
        while len(self._out) < want and not self._eof:
            raw = self._stream.read(min(CHUNK, 1024 * 1024))
            if not raw:
                self._eof = True
                if not self._ended() and not self.problem:
                    self.problem = f"the {self.kind} stream is truncated (it ends before its end marker)"
                break
            self.consumed += len(raw)
            try:
                piece = self._feed(raw)
            except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError) as exc:
                self.problem = f"the {self.kind} stream is corrupt after {self.produced + len(self._out):,} bytes ({exc})"
                self._eof = True
                break
            except Exception as exc:  # zstandard.ZstdError (no common base class with the above)
                self.problem = f"the {self.kind} stream is corrupt after {self.produced + len(self._out):,} bytes ({exc})"
                self._eof = True
                break
            self._out += piece
            total = self.produced + len(self._out)
            if total > _BOMB_FLOOR and total > MAX_RATIO * self.consumed:
                self.problem = (f"decompression bomb suspected ({self.kind}: {total:,} bytes from {self.consumed:,}); "
                                "the rest was not read")
                self._eof = True
                break
            if self.problem:
                self._eof = True
        out, self._out = self._out[:want], self._out[want:]
        self.produced += len(out)
        return out

    def _ended(self) -> bool:
        if self._zstd is not None:
            return bool(self._zstd.eof)  # type: ignore[attr-defined]
        return self._state is not None and bool(self._state.eof)


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
