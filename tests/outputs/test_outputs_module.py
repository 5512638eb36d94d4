"""``extriage.outputs``: a new file renamed into place; links replaced, streams written to."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from extriage import outputs


def test_hard_link_is_replaced_not_written_through(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence.log"
    evidence.write_bytes(b"original")
    os.utime(evidence, (1_000_000, 1_000_000))
    link = tmp_path / "out.json"
    os.link(evidence, link)
    outputs.write_bytes(link, b"{}")
    assert evidence.read_bytes() == b"original" and evidence.stat().st_mtime == 1_000_000
    assert link.read_bytes() == b"{}" and link.stat().st_nlink == 1


def test_symlink_is_replaced_not_followed(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence.log"
    evidence.write_text("original", encoding="utf-8")
    link = tmp_path / "report.md"
    link.symlink_to(evidence)
    outputs.write_text(link, "# report\n")
    assert evidence.read_text(encoding="utf-8") == "original"
    assert not link.is_symlink() and link.read_text(encoding="utf-8") == "# report\n"


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    dest = tmp_path / "timeline.csv"
    dest.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), outputs.open_output(dest) as fh:
        fh.write("half")
        raise RuntimeError("disk full")
    assert dest.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["timeline.csv"]


def test_folder_destination_and_symlinked_subfolder(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError):
        outputs.write_text(tmp_path, "x")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "sigma").symlink_to(elsewhere, target_is_directory=True)
    made = outputs.output_folder(tmp_path / "sigma")
    assert made.is_dir() and not made.is_symlink() and elsewhere.is_dir()
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(NotADirectoryError):
        outputs.output_folder(tmp_path / "file")


def test_text_with_a_lone_surrogate_is_written_visible(tmp_path: Path) -> None:
    dest = tmp_path / "r.md"
    outputs.write_text(dest, "name sh\udcffell.aspx\n")
    assert dest.read_text(encoding="utf-8") == "name sh\\xffell.aspx\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")
def test_a_fifo_destination_is_streamed_to_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    outputs.write_bytes(fifo, b'{"a": 1}\n')
    reader.join(timeout=30)
    assert got == [b'{"a": 1}\n']
    assert fifo.exists() and not fifo.is_file()  # still the FIFO
