"""The language a page without one is compiled in: ``<compilation defaultLanguage>`` of the nearest
``web.config`` (X46's scan side, session 19)."""

from __future__ import annotations

from pathlib import Path

from extriage.detections.webfiles.compile_language import config_languages, default_languages
from extriage.detections.webfiles.content import default_language as language_for

_VB = b'<?xml version="1.0"?><configuration><system.web><compilation defaultLanguage="VB" /></system.web></configuration>'


def test_own_section_sets_its_folder() -> None:
    assert config_languages("c:/inetpub/wwwroot", _VB, "web.config") == [("c:/inetpub/wwwroot", "vb")]


def test_every_compiler_name_and_nothing_else() -> None:
    def one(name: str) -> list[tuple[str, str]]:
        data = f'<configuration><system.web><compilation defaultLanguage="{name}"/></system.web></configuration>'
        return config_languages("site", data.encode(), "web.config")

    assert one("c#") == one("CSharp") == one(" cs ") == [("site", "cs")]
    assert one("vbscript") == one("VisualBasic") == [("site", "vb")]
    assert one("JScript") == one("javascript") == [("site", "js")]
    assert one("fortran") == [] and one("") == []  # no compiler takes it: the server refuses, nothing set


def test_a_configuration_in_utf16() -> None:
    text = _VB.decode().replace('version="1.0"', 'version="1.0" encoding="utf-16"')
    for encoding in ("utf-16", "utf-16-le", "utf-16-be"):
        assert config_languages("site", text.encode(encoding), "web.config") == [("site", "vb")], encoding


def test_location_paths_name_folders_below() -> None:
    data = (
        b"<configuration><system.web><compilation defaultLanguage='c#'/></system.web>"
        b"<location path='Admin/Tools'><system.web><compilation defaultLanguage='vb'/></system.web></location>"
        b"<location path='.'><system.web><compilation debug='true'/></system.web></location>"
        b"</configuration>"
    )
    assert config_languages("site", data, "web.config") == [("site", "cs"), ("site/admin/tools", "vb")]
    assert config_languages("", data, "web.config") == [("", "cs"), ("admin/tools", "vb")]


def test_files_that_set_nothing() -> None:
    assert config_languages("site", b"<configuration><system.web/></configuration>", "w") == []
    assert config_languages("site", b"<configuration><compilation defaultLanguage='vb'/>", "w") == []  # not XML
    hostile = b'<!DOCTYPE x [<!ENTITY a "defaultLanguage">]><configuration>&a;</configuration>'
    assert config_languages("site", hostile, "w") == []  # a DTD is refused, nothing expanded
    # the attribute outside <system.web><compilation> sets nothing
    other = b"<configuration><system.codedom><compilers defaultLanguage='vb'/></system.codedom></configuration>"
    assert config_languages("site", other, "w") == []


def test_the_nearest_folder_wins() -> None:
    table = default_languages([("site", "cs"), ("site/old", "vb"), ("site/old/new", "cs"), ("site", "js")])
    assert language_for("site/page.aspx", table) == "js"  # the later pair for the same folder
    assert language_for("site/old/a.aspx", table) == "vb"
    assert language_for("site/old/new/deeper/a.aspx", table) == "cs"
    assert language_for("site/older/a.aspx", table) == "js"  # a folder name's prefix is not the folder
    assert language_for("other/a.aspx", table) is None
    assert language_for("anything.aspx", default_languages([("", "vb")])) == "vb"  # the evidence root


_VB_PAGE_NO_DIRECTIVE = (
    '<script runat="server">\n'
    "Sub Page_Load()\n"
    '    Dim shown() As String = {"size", "name"}\n'
    '    Dim f As String = Request.QueryString("f")\n'
    "    Response.Write(System.IO.File.ReadAllText(f))\n"
    "End Sub\n"
    "</script>\n"
)


def _behaviour(root: Path) -> dict[str, set[tuple[str, str]]]:
    """(behaviour reason, language of its sink line) of each flagged file of a scan of ``root``, by name."""
    from extriage.scan.context import ScanOptions
    from extriage.scan.pipeline import run_scan
    from extriage.scan.stages.webfiles import STAGES

    result = run_scan(str(root), ScanOptions(jobs=0), stages=list(STAGES))
    found: dict[str, set[tuple[str, str]]] = {}
    for f in result.findings:
        for e in f.evidence:
            reason = str(e.fields.get("reason", ""))
            if reason.startswith("WF-BEHAV-") and e.fields.get("role") == "sink":
                found.setdefault(e.source.replace("\\", "/").rsplit("/", 1)[-1], set()).add(
                    (reason, str(e.fields.get("language")))
                )
    return found


def test_a_page_naming_no_language_is_read_in_its_sites_default(tmp_path: Path) -> None:
    """A VB page with no directive and an array initialiser's braces: its site's ``defaultLanguage``
    says VB, so the request-named file read is found (read as C#, as the code's braces suggest,
    nothing is)."""
    site = tmp_path / "C" / "inetpub" / "wwwroot"
    (site / "tools").mkdir(parents=True)
    (site / "tools" / "view.aspx").write_text(_VB_PAGE_NO_DIRECTIVE)
    assert _behaviour(tmp_path) == {}  # no configuration says: the code's braces read as C#
    (site / "web.config").write_bytes(_VB)
    assert _behaviour(tmp_path) == {"view.aspx": {("WF-BEHAV-FILE-READ", "VB")}}


def test_the_pages_own_language_and_the_nearest_config_win(tmp_path: Path) -> None:
    site = tmp_path / "C" / "inetpub" / "wwwroot"
    (site / "tools").mkdir(parents=True)
    (site / "web.config").write_bytes(_VB.replace(b'"VB"', b'"C#"'))
    (site / "tools" / "web.config").write_bytes(_VB)  # the nearer configuration: VB below tools
    (site / "tools" / "view.aspx").write_text(_VB_PAGE_NO_DIRECTIVE)
    (site / "old.aspx").write_text(_VB_PAGE_NO_DIRECTIVE)  # C# by the site's own: no VB read of it
    cs = '<%@ Page Language="C#" %>\n<% System.Diagnostics.Process.Start(Request.Form["p"]); %>\n'
    (site / "tools" / "drop.aspx").write_text(cs)  # its own Language= wins over the folder's VB
    assert _behaviour(tmp_path) == {
        "view.aspx": {("WF-BEHAV-FILE-READ", "VB")},
        "drop.aspx": {("WF-BEHAV-PROCESS", "C#")},
    }
