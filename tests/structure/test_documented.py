"""Every registered piece is documented: stages, outputs, commands and log formats.

A registration is one line (docs/extending.md); this test makes the docs line the second one, so a
new stage, output, command or log family cannot ship unexplained.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from extriage.cli import commands
from extriage.formats.families import FAMILIES
from extriage.report.exports import OUTPUTS
from extriage.scan.pipeline import plan

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"


def _text(name: str) -> str:
    return (DOCS / name).read_text("utf-8")


def _all_docs() -> str:
    return "\n".join(p.read_text("utf-8") for p in sorted(DOCS.glob("*.md"))) + (REPO / "README.md").read_text("utf-8")


@pytest.mark.parametrize("stage", [s.name for s in plan()])
def test_every_stage_is_in_the_stage_table(stage: str) -> None:
    assert re.search(rf"^\| `{re.escape(stage)}` \|", _text("extending.md"), re.M), (
        f"docs/extending.md has no row for the {stage} stage"
    )


@pytest.mark.parametrize("name", list(OUTPUTS))
def test_every_output_is_documented(name: str) -> None:
    text = _text("report.md")
    usage = next(line for line in text.splitlines() if "--format " in line)
    assert re.search(rf"[ ,]{re.escape(name)}[,\]]", usage), f"docs/report.md's --format list lacks {name}"
    first_file = OUTPUTS[name].writes.split(" ", 1)[0]
    assert f"`{first_file}" in text, f"docs/report.md does not describe {first_file} ({name})"


@pytest.mark.parametrize("command", sorted(commands.COMMAND_NAMES))
def test_every_command_is_documented(command: str) -> None:
    assert f"extriage {command}" in _all_docs(), f"no docs page or README shows `extriage {command}`"


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_log_family_is_documented(family: str) -> None:
    assert f"| `{family}` |" in _text("rules.md"), f"docs/rules.md has no row for the {family} log family"
