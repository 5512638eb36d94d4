"""``extriage generate DEST --force`` removes exactly what the previous generation wrote (its
manifest), and refuses — deleting nothing — when DEST holds anything else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extriage.cli.main import _register as register_commands
from extriage.cli.main import app
from extriage.generator.api import GeneratorError, generate
from extriage.generator.tree import MARKER

register_commands()
runner = CliRunner()
TINY = {"size": "100KB", "days": 1, "planter_modules": []}


def test_manifest_lists_every_entry(tmp_path: Path) -> None:
    g = generate(tmp_path / "gen", **TINY)
    files = json.loads((g.dest / MARKER).read_text(encoding="utf-8"))["files"]
    on_disk = sorted(
        p.relative_to(g.dest).as_posix() + ("/" if p.is_dir() else "") for p in g.dest.rglob("*") if p.name != MARKER
    )
    assert files == on_disk and any(f.endswith(".LOG") or f.endswith(".log") for f in files)


def test_force_keeps_foreign_files_and_deletes_nothing(tmp_path: Path) -> None:
    g = generate(tmp_path / "gen", **TINY)
    listed = json.loads((g.dest / MARKER).read_text(encoding="utf-8"))["files"]
    mine = g.dest / "C" / "my-notes.txt"
    mine.write_text("case notes", encoding="utf-8")
    (g.dest / "empty-folder").mkdir()
    res = runner.invoke(app, ["generate", str(g.dest), "--force", "--size", "100KB", "--days", "1", "-q"])
    assert res.exit_code == 2, res.output
    message = " ".join(res.output.split())
    assert "did not write" in message and "refusing to delete anything" in message and "Traceback" not in res.output
    assert mine.read_text(encoding="utf-8") == "case notes" and (g.dest / "empty-folder").is_dir()
    assert all((g.dest / rel.rstrip("/")).exists() for rel in listed), "nothing of the old generation may go either"


def test_force_replaces_a_clean_previous_generation(tmp_path: Path) -> None:
    g = generate(tmp_path / "gen", **TINY)
    generate(g.dest, overwrite=True, scenario="clean", **TINY)
    marker = json.loads((g.dest / MARKER).read_text(encoding="utf-8"))
    assert marker["plan"]["scenario"] == "clean" and marker["complete"]


def test_force_never_follows_a_symlink_it_finds(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep", encoding="utf-8")
    g = generate(tmp_path / "gen", **TINY)
    listed = json.loads((g.dest / MARKER).read_text(encoding="utf-8"))["files"]
    folder = next(rel for rel in listed if rel.endswith("/"))
    # a listed folder swapped for a symlink to somewhere else: not what we wrote, so refused
    import shutil

    shutil.rmtree(g.dest / folder)
    (g.dest / folder.rstrip("/")).symlink_to(outside, target_is_directory=True)
    with pytest.raises(GeneratorError, match="did not write"):
        generate(g.dest, overwrite=True, **TINY)
    assert (outside / "keep.txt").read_text(encoding="utf-8") == "keep"


def test_interrupted_generation_is_not_deleted_blindly(tmp_path: Path) -> None:
    dest = tmp_path / "gen"
    dest.mkdir()
    (dest / MARKER).write_text(json.dumps({"generator": "extriage", "complete": False}), encoding="utf-8")
    (dest / "data.txt").write_text("unknown origin", encoding="utf-8")
    with pytest.raises(GeneratorError, match="list of written files is unknown"):
        generate(dest, overwrite=True, **TINY)
    assert (dest / "data.txt").exists()
