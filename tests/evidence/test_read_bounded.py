"""read_bounded: the bytes up to a limit and the SHA-256 of the whole file, whatever the listing said."""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import pytest

from extriage.evidence.reading import read_bounded
from extriage.evidence.source import ArtifactRef, SourceSpec, open_source


def _ref(root: Path, name: str, size: int) -> ArtifactRef:
    return ArtifactRef(SourceSpec("dir", str(root)), name, size)


@pytest.mark.parametrize(
    ("length", "listed", "limit"),
    [
        (0, 0, 100),  # empty
        (50, 50, 100),  # as listed
        (50, 10, 100),  # grew since it was listed
        (150_000, 10, 200_000),  # grew beyond the first read's slack
        (100, 100, 100),  # exactly the limit
        (101, 101, 100),  # one byte over: limit + 1 bytes kept, all hashed
        (300_000, 300_000, 1000),  # far over: hashed to its end
    ],
)
def test_data_and_hash(tmp_path: Path, length: int, listed: int, limit: int) -> None:
    content = os.urandom(length)
    (tmp_path / "f.bin").write_bytes(content)
    data, digest = read_bounded(_ref(tmp_path, "f.bin", listed), listed, limit)
    assert data == content[: limit + 1]
    assert digest == hashlib.sha256(content).hexdigest()


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    os.mkfifo(tmp_path / "web.config")
    with pytest.raises(OSError, match="not a regular file"):
        read_bounded(_ref(tmp_path, "web.config", 0), 0, 100)


def test_zip_member_same_as_file(tmp_path: Path) -> None:
    content = b"<configuration/>\n" * 1000
    with zipfile.ZipFile(tmp_path / "e.zip", "w") as zf:
        zf.writestr("C/inetpub/wwwroot/web.config", content)
    spec = open_source(tmp_path / "e.zip")
    ref = ArtifactRef(spec, "C/inetpub/wwwroot/web.config", len(content), index=0)
    assert read_bounded(ref, len(content), 10_000) == (content[:10_001], hashlib.sha256(content).hexdigest())
