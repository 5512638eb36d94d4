"""HashingReader.drain: the SHA-256 of the whole file whatever the consumer read first, whatever
holds the file; the rest read into one reused buffer, not a new 4 MiB object a read (issue 18:
the events stage hashes a large .evtx file this way beside its workers)."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

from extriage.evidence import reading
from extriage.evidence.reading import HashingReader, read_artifact, sha256_of
from extriage.evidence.source import ArtifactRef, SourceSpec, open_source

FIRST = reading._FIRST_DRAIN
BUF = reading._DRAIN_BUFFER
LENGTHS = [0, 1, FIRST - 1, FIRST, FIRST + 1, FIRST + BUF, FIRST + BUF + 1, 3 * BUF + 17, 5 * 1024 * 1024 + 3]


@pytest.mark.parametrize("length", LENGTHS)
@pytest.mark.parametrize("consumed", [0, 10, FIRST + 5])
def test_whole_file_hashed_in_a_folder_and_a_zip(tmp_path: Path, length: int, consumed: int) -> None:
    content = os.urandom(length)
    (tmp_path / "f.bin").write_bytes(content)
    with zipfile.ZipFile(tmp_path / "c.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("d/f.bin", content)
    want = hashlib.sha256(content).hexdigest()
    refs = [
        ArtifactRef(SourceSpec("dir", str(tmp_path)), "f.bin", length),
        ArtifactRef(open_source(tmp_path / "c.zip"), "d/f.bin", length, index=0),
    ]
    for ref in refs:
        assert sha256_of(ref) == want
        with read_artifact(ref) as reader:
            assert reader.read(consumed) == content[:consumed]
            reader.drain()
            assert reader.hexdigest() == want
            assert reader.bytes_read == length


class _ReadOnly:
    """A stream with ``read`` only (no ``readinto``)."""

    def __init__(self, data: bytes) -> None:
        self._raw = io.BytesIO(data)

    def read(self, n: int = -1) -> bytes:
        return self._raw.read(n)


class _Recording(io.BytesIO):
    """Records every read and readinto (size, and the buffer's id for readinto)."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.calls: list[tuple[str, int, int]] = []

    def read(self, n: int | None = -1) -> bytes:
        self.calls.append(("read", -1 if n is None else n, 0))
        return super().read(n)

    def readinto(self, buf: Any) -> int:
        self.calls.append(("readinto", len(buf), id(buf)))
        return super().readinto(buf)


@pytest.mark.parametrize("length", [0, FIRST, FIRST + 1, 3 * BUF + 17])
def test_a_stream_without_readinto_is_hashed_whole(length: int) -> None:
    content = os.urandom(length)
    reader = HashingReader(_ReadOnly(content))  # type: ignore[arg-type]
    reader.drain()
    assert reader.hexdigest() == hashlib.sha256(content).hexdigest()


def test_the_rest_is_read_into_one_reused_buffer() -> None:
    content = os.urandom(FIRST + 5 * BUF + 99)
    raw = _Recording(content)
    reader = HashingReader(raw)  # type: ignore[arg-type]
    reader.drain()
    assert reader.hexdigest() == hashlib.sha256(content).hexdigest()
    assert raw.calls[0] == ("read", FIRST, 0)
    rest = raw.calls[1:]
    assert [c[0] for c in rest] == ["readinto"] * 7  # 5 whole buffers, the last 99 bytes, the end
    assert {c[1] for c in rest} == {BUF} and len({c[2] for c in rest}) == 1


def test_a_file_that_grows_before_the_drain_is_hashed_to_its_new_end(tmp_path: Path) -> None:
    first = os.urandom(FIRST + 10)
    (tmp_path / "f.log").write_bytes(first)
    ref = ArtifactRef(SourceSpec("dir", str(tmp_path)), "f.log", len(first))
    with read_artifact(ref) as reader:
        reader.read(10)
        more = os.urandom(BUF + 3)
        with (tmp_path / "f.log").open("ab") as fh:
            fh.write(more)
        reader.drain()
        assert reader.hexdigest() == hashlib.sha256(first + more).hexdigest()
