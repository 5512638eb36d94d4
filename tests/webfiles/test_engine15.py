"""Behaviour engine, session 15 (issue 14, A8).

Each group below is a request or a left-over of session 14 (BENCHMARKS.md "Behaviour engine, session 15"):
harmless reproductions of a shape that must be found, and ordinary pages of the same make that stay silent.
The pages were written for these tests: nothing is compiled or run, names, files and hosts are placeholders,
and none is a copy of a real shell.
"""

from __future__ import annotations

import pytest

from extriage.detections.webfiles import behaviour

Page = tuple[str, str, str]  # (case, extension, page)


def _sinks(page: str, ext: str) -> set[str]:
    return {h["sink"] for h in behaviour.analyse(page.encode(), ext, budget=30).hits}


# --- classic ASP: ADODB.Stream.LoadFromFile of a request path, then BinaryWrite (B10's mutation, session 14) ------

_STREAM = 'Set st = Server.CreateObject("ADODB.Stream")\nst.Open\nst.Type = 1\n'
STREAM_FOUND: list[Page] = [
    (
        "statement-of-mapped-request-path",
        ".asp",
        "<%\n" + _STREAM + 'st.LoadFromFile Server.MapPath(Request("f"))\nResponse.BinaryWrite st.Read\n%>',
    ),
    (
        "page-function-given-the-query",
        ".asp",
        "<%\nFunction SendAny(sPath)\n"
        + _STREAM
        + "st.LoadFromFile(sPath)\nResponse.BinaryWrite st.Read\nst.Close\nEnd Function\n"
        'SendAny Request.QueryString("p")\n%>',
    ),
    (
        "folder-of-the-request-built-by-fso",
        ".asp",
        "<%\n" + _STREAM + 'Set fso = Server.CreateObject("Scripting.FileSystemObject")\n'
        'p = fso.BuildPath(Request("dir"), Request("name"))\nst.LoadFromFile p\nResponse.BinaryWrite st.Read\n%>',
    ),
]
STREAM_QUIET: list[Page] = [
    (
        "fixed-image-of-the-site",
        ".asp",
        "<%\n" + _STREAM + 'st.LoadFromFile Server.MapPath("images/blank.gif")\n'
        'Response.ContentType = "image/gif"\nResponse.BinaryWrite st.Read\n%>',
    ),
    (
        "attachment-below-the-site-folder",
        ".asp",
        "<%\n" + _STREAM + 'st.LoadFromFile Server.MapPath("/attachments/" & Request("id") & ".dat")\n'
        "Response.BinaryWrite st.Read\n%>",
    ),
    (
        "name-built-below-the-site-folder",
        ".asp",
        "<%\n" + _STREAM + 'Set fso = Server.CreateObject("Scripting.FileSystemObject")\n'
        'root = Server.MapPath("/files")\np = fso.BuildPath(root, Request("name"))\nst.LoadFromFile p\nResponse.BinaryWrite st.Read\n%>',
    ),
    (
        "include-reader-of-fixed-files",
        ".asp",
        "<%\nFunction ReadFile(sFile)\n" + _STREAM + "st.LoadFromFile Server.MapPath(sFile)\n"
        'ReadFile = st.ReadText\nEnd Function\nResponse.Write ReadFile("inc/footer.htm")\n%>',
    ),
]


@pytest.mark.parametrize(("case", "ext", "page"), STREAM_FOUND, ids=[c[0] for c in STREAM_FOUND])
def test_stream_load_of_a_requested_file_is_named(case: str, ext: str, page: str) -> None:
    assert "com-file-read" in _sinks(page, ext), case


@pytest.mark.parametrize(("case", "ext", "page"), STREAM_QUIET, ids=[c[0] for c in STREAM_QUIET])
def test_stream_load_of_the_site_own_files_is_silent(case: str, ext: str, page: str) -> None:
    assert _sinks(page, ext) == set(), case


# --- classic ASP: a page's own Sub taking request paths and copying/deleting inside (B10, session 14) ------------
# (named since ff5a9b2, session 14: a Sub called without brackets passes its arguments; kept here as B10 asked)

_MOVE_SUB = (
    "<%\nSub MoveSiteFile(sFrom, sTo)\n"
    'Set oFso = Server.CreateObject("Scripting.FileSystemObject")\n'
    "oFso.CopyFile Server.MapPath(sFrom), Server.MapPath(sTo), True\nEnd Sub\nCALL\n%>"
)


def test_sub_given_request_paths_is_named() -> None:
    page = _MOVE_SUB.replace("CALL", 'MoveSiteFile Request("from"), Request("to")')
    assert "com-file-write" in _sinks(page, ".asp")


def test_sub_given_fixed_paths_is_silent() -> None:
    page = _MOVE_SUB.replace("CALL", 'If Request("go") = "1" Then MoveSiteFile "data/site.mdb", "data/bak/site.mdb"')
    assert _sinks(page, ".asp") == set()
