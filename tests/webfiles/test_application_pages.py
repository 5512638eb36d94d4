"""A page that does what an administrator's tool does (file manager, download handler, SQL console),
linked from the rest of its installed application, is reported for review - the scan says
``inconclusive`` and names it - instead of calling the server compromised; the same page planted
alone, linked only by another flagged page, inside Exchange's folders, or doing anything that runs
code, stays a web shell. (Issue 14: the real capabilities of admin tools were most of the findings on
benign applications.) The pages are harmless test data: they are never run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.builders import build_server, write
from evidence.test_inconclusive import validate
from extriage.cli.main import _register, app
from extriage.detections.verdict import APPLICATION_FEATURE_TAG
from extriage.detections.webfiles import appcontext
from extriage.evidence import source
from extriage.findings import Finding, Outcome, ScanResult, Verdict
from extriage.report.load import loads_result
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan

_register()
runner = CliRunner()
APP = "C/inetpub/wwwroot/shop"
WEB_CONFIG = '<?xml version="1.0"?>\n<configuration>\n  <system.web><compilation debug="false" /></system.web>\n</configuration>\n'
#: An administrator's download handler: sends the file the request names (a real capability). It
#: uses the application's own namespace (its assemblies are in bin): tied into the application.
DOWNLOAD = (
    '<%@ WebHandler Language="C#" Class="Download" %>\nusing System.Web;\nusing Shop.Storage;\n'
    "public class Download : IHttpHandler {\n"
    "    public bool IsReusable { get { return true; } }\n"
    "    public void ProcessRequest(HttpContext context) {\n"
    '        string file = context.Request.QueryString["file"];\n'
    "        context.Response.TransmitFile(file);\n    }\n}\n"
)
#: An administration page running the SQL typed into it (a SQL console).
SQL_CONSOLE = (
    '<%@ Page Language="C#" MasterPageFile="~/Site.master" %>\n<script runat="server">\n'
    "void Run(object s, EventArgs e) {\n"
    '    var c = new System.Data.SqlClient.SqlCommand(Request.Form["q"]);\n'
    "    c.ExecuteNonQuery();\n}\n</script>\n"
)
#: The same console that also starts a process with request input: that runs code, never a feature.
SQL_AND_PROCESS = SQL_CONSOLE.replace(
    "    c.ExecuteNonQuery();\n", '    c.ExecuteNonQuery();\n    System.Diagnostics.Process.Start("hostname", Request.Form["a"]);\n'
)
MENU = (
    '<%@ Page Language="C#" MasterPageFile="~/Site.master" %>\n<asp:Content runat="server" ContentPlaceHolderID="main">\n'
    '<ul>\n  <li><a href="Products.aspx">Products</a></li>\n{links}</ul>\n</asp:Content>\n'
)


#: The same handler self-contained, as web shells are (only the framework's namespaces).
DOWNLOAD_ALONE = DOWNLOAD.replace("using Shop.Storage;\n", "")


def scan(path: Path) -> ScanResult:
    source.close_archives()
    return run_scan(str(path), ScanOptions(jobs=1))


def fake_assembly(*strings: str) -> bytes:
    """Bytes shaped like a .NET assembly's user-string heap: each literal UTF-16 with a length byte."""
    heap = b"".join(bytes([2 * len(t) + 1]) + t.encode("utf-16-le") + b"\x00" for t in strings)
    return b"MZ" + b"\x90\x00" * 60 + b"PE\x00\x00" + bytes(range(256)) * 8 + b"#US\x00" + heap + b"\x00" * 64


def app_server(tmp_path: Path, pages: dict[str, str], links: str) -> Path:
    server = build_server(tmp_path / "server", "clean")
    write(server, f"{APP}/web.config", WEB_CONFIG)
    write(server, f"{APP}/Site.master", '<%@ Master Language="C#" %>\n<html><body><asp:ContentPlaceHolder id="main" runat="server" /></body></html>\n')
    write(server, f"{APP}/Default.aspx", MENU.replace("{links}", links))
    write(server, f"{APP}/Products.aspx", '<%@ Page Language="C#" MasterPageFile="~/Site.master" %>\n<p>products</p>\n')
    write(server, f"{APP}/bin/Shop.dll", "")
    (server / APP / "bin/Shop.dll").write_bytes(fake_assembly("Welcome", "Products.aspx"))
    for rel, text in pages.items():
        write(server, f"{APP}/{rel}", text)
    return server


def page_finding(result: ScanResult, name: str) -> Finding:
    found = [f for f in result.findings if any(p.replace("\\", "/").lower().endswith(name.lower()) for p in f.indicators.paths)]
    assert len(found) == 1, [(f.title, f.indicators.paths) for f in result.findings]
    return found[0]


def test_a_linked_download_handler_is_kept_for_review_and_the_verdict_stays_open(tmp_path: Path) -> None:
    server = app_server(
        tmp_path, {"Admin/Download.ashx": DOWNLOAD}, '  <li><a href="~/Admin/Download.ashx?file=report.pdf">Report</a></li>\n'
    )
    result = scan(server)
    f = page_finding(result, "Download.ashx")
    assert APPLICATION_FEATURE_TAG in f.tags and f.outcome is Outcome.INFO, (f.tags, f.outcome)
    assert f.title.startswith("For review, a page of an installed application")
    link = [e for e in f.evidence if e.fields.get("reason") == "application-link"]
    assert len(link) == 1 and link[0].source.endswith("Default.aspx") and link[0].line == 5, link
    assert "Admin/Download.ashx" in link[0].raw
    assert link[0].fields["tie"] == "its code uses the application's namespace Shop.Storage", link[0].fields
    # the file read for the link is hashed like every file read
    menu = [r for r in result.files if r.path.endswith("Default.aspx")]
    assert len(menu) == 1 and menu[0].sha256 == link[0].sha256
    assert result.verdict == Verdict.INCONCLUSIVE, result.verdict_reason
    assert "installed application" in result.verdict_reason and "Download.ashx" in result.verdict_reason
    assert result.waves["proxylogon"] == Verdict.INCONCLUSIVE
    validate(result)
    again = loads_result(json.dumps(result.to_dict(), default=str))
    assert APPLICATION_FEATURE_TAG in page_finding(again, "Download.ashx").tags


def test_the_same_handler_that_nothing_links_to_is_a_web_shell(tmp_path: Path) -> None:
    server = app_server(tmp_path, {"Admin/Download.ashx": DOWNLOAD}, "")
    result = scan(server)
    f = page_finding(result, "Download.ashx")
    assert f.outcome is Outcome.WEBSHELL and APPLICATION_FEATURE_TAG not in f.tags
    assert result.verdict == Verdict.COMPROMISED


def test_a_linked_page_that_is_self_contained_is_a_web_shell(tmp_path: Path) -> None:
    """A link alone costs an intruder one line in a page: the page must also be tied into the
    application's build (master page, code-behind, its classes or namespaces). A planted upload page
    linked from the site's menu stays a web shell (X26's reading of a real intrusion's upload page)."""
    server = app_server(tmp_path, {"Admin/Download.ashx": DOWNLOAD_ALONE}, '  <li><a href="Admin/Download.ashx">x</a></li>\n')
    result = scan(server)
    assert page_finding(result, "Download.ashx").outcome is Outcome.WEBSHELL
    assert result.verdict == Verdict.COMPROMISED


def test_a_page_linked_only_by_another_flagged_page_is_a_web_shell(tmp_path: Path) -> None:
    """Pages of a shell kit link each other: a link counts only from a file with no finding."""
    kit_index = SQL_CONSOLE.replace("</script>\n", '</script>\n<a href="Download.ashx?file=c:/x">files</a>\n')
    server = app_server(tmp_path, {"Tools/Index.aspx": kit_index, "Tools/Download.ashx": DOWNLOAD}, "")
    result = scan(server)
    assert page_finding(result, "Download.ashx").outcome is Outcome.WEBSHELL
    assert page_finding(result, "Index.aspx").outcome is Outcome.WEBSHELL
    assert result.verdict == Verdict.COMPROMISED


def test_a_linked_page_that_also_runs_code_is_a_web_shell(tmp_path: Path) -> None:
    server = app_server(tmp_path, {"Admin/Sql.aspx": SQL_AND_PROCESS}, '  <li><a href="Admin/Sql.aspx">SQL</a></li>\n')
    result = scan(server)
    f = page_finding(result, "Sql.aspx")
    assert f.outcome is Outcome.WEBSHELL and APPLICATION_FEATURE_TAG not in f.tags
    assert result.verdict == Verdict.COMPROMISED


def test_a_linked_sql_console_is_for_review(tmp_path: Path) -> None:
    server = app_server(tmp_path, {"Admin/Sql.aspx": SQL_CONSOLE}, '  <li><a href="Admin/Sql.aspx">SQL</a></li>\n')
    result = scan(server)
    assert APPLICATION_FEATURE_TAG in page_finding(result, "Sql.aspx").tags
    assert result.verdict == Verdict.INCONCLUSIVE


@pytest.mark.parametrize(
    "links",
    [
        '  <li><a href="Download.ashx">a page of the same name in another folder</a></li>\n',
        '  <li><a href="Admin/MyDownload.ashx">another name ending the same</a></li>\n',
        "  <li>Download.ashx.bak</li>\n",
    ],
    ids=["same-name-other-folder", "longer-name", "name-continues"],
)
def test_a_name_that_does_not_resolve_to_the_page_is_no_link(tmp_path: Path, links: str) -> None:
    server = app_server(tmp_path, {"Admin/Download.ashx": DOWNLOAD}, links)
    assert page_finding(scan(server), "Download.ashx").outcome is Outcome.WEBSHELL


def test_inside_exchange_web_folders_a_linked_page_stays_a_web_shell(tmp_path: Path) -> None:
    """No third-party application belongs in Exchange's folders: a link there proves nothing."""
    server = build_server(tmp_path / "server", "clean")
    ecp = "C/Program Files/Microsoft/Exchange Server/V15/FrontEnd/HttpProxy/ecp"  # no location rule here
    write(server, f"{ecp}/Download.ashx", DOWNLOAD)
    write(server, f"{ecp}/menu.htm", '<a href="Download.ashx?file=x">x</a>\n')
    result = scan(server)
    f = page_finding(result, "ecp/Download.ashx")
    assert f.tags == ["behaviour:file-read"], f.tags  # the behaviour finding alone: only the place decides
    assert f.outcome is Outcome.WEBSHELL and APPLICATION_FEATURE_TAG not in f.tags
    assert result.verdict == Verdict.COMPROMISED


#: A code-behind writing a posted path's file (a file manager's save): its page is what menus link.
FILES_CODE = (
    "using System;\npublic partial class Files : System.Web.UI.Page {\n"
    "    protected void Save(object s, EventArgs e) {\n"
    '        System.IO.File.WriteAllText(Request.Form["path"], Request.Form["text"]);\n    }\n}\n'
)


@pytest.mark.parametrize(
    ("directive", "code_at"),
    [
        # the capability in Files.aspx.cs beside its page; the page itself (its own pair) is no link
        ('CodeBehind="Files.aspx.cs" Inherits="Files" MasterPageFile="~/Site.master"', "Admin/Files.aspx.cs"),
        # CodeFile="code/Files.cs" names the page's own code in another folder: no link either
        ('CodeFile="code/Files.cs" Inherits="Files"', "Admin/code/Files.cs"),
    ],
    ids=["code-behind", "codefile-elsewhere"],
)
def test_a_code_file_is_reached_through_the_page_that_takes_it_in(tmp_path: Path, directive: str, code_at: str) -> None:
    pages = {"Admin/Files.aspx": f'<%@ Page Language="C#" {directive} %>\n<p>files</p>\n', code_at: FILES_CODE}
    name = code_at.split("/", 1)[1]
    alone = scan(app_server(tmp_path / "a", pages, ""))
    assert page_finding(alone, name).outcome is Outcome.WEBSHELL
    linked = scan(app_server(tmp_path / "b", pages, '  <li><a href="Admin/Files.aspx">Files</a></li>\n'))
    assert APPLICATION_FEATURE_TAG in page_finding(linked, name).tags


def test_a_link_kept_in_the_application_s_compiled_assembly_counts(tmp_path: Path) -> None:
    """A Web Application project's code-behinds are compiled into ``bin``: their links are UTF-16
    strings there (``Response.Redirect("~/Admin/Download.ashx?file=" + f)``)."""
    dll = fake_assembly("Welcome", "~/Admin/Download.ashx?file=", "Products.aspx")
    server = app_server(tmp_path / "a", {"Admin/Download.ashx": DOWNLOAD, "bin/Shop.Web.dll": ""}, "")
    (server / APP / "bin/Shop.Web.dll").write_bytes(dll)
    result = scan(server)
    f = page_finding(result, "Download.ashx")
    assert APPLICATION_FEATURE_TAG in f.tags, f.tags
    link = [e for e in f.evidence if e.fields.get("reason") == "application-link"]
    assert link[0].source.endswith("Shop.Web.dll") and link[0].line is None and "~/Admin/Download.ashx" in link[0].raw
    assert "compiled assembly" in f.description
    # the same bytes in a DLL outside the application's bin folder, or as 8-bit text, are no link
    server = app_server(tmp_path / "b", {"Admin/Download.ashx": DOWNLOAD, "Admin/tools.dll": ""}, "")
    (server / APP / "Admin/tools.dll").write_bytes(dll)
    (server / APP / "bin/Narrow.dll").write_bytes(b"MZ" + b"\x00" * 200 + b"~/Admin/Download.ashx\x00")
    assert page_finding(scan(server), "Download.ashx").outcome is Outcome.WEBSHELL


#: A Web Site project's upload handler: the handler file names its class file in App_Code (Rock RMS's
#: FileUploader shape, B7): the capability sits in the class, the links reach the handler.
UPLOAD_CLASS = (
    "using System.IO;\nusing System.Web;\nusing Shop.Storage;\nnamespace Shop {\n"
    "public class FileUploader : IHttpHandler {\n    public bool IsReusable { get { return false; } }\n"
    "    public void ProcessRequest(HttpContext context) {\n"
    '        string folder = context.Request.Form["folderPath"];\n'
    "        HttpPostedFile file = context.Request.Files[0];\n"
    "        file.SaveAs(Path.Combine(context.Server.MapPath(folder), Path.GetFileName(file.FileName)));\n"
    "    }\n}\n}\n"
)
UPLOAD_HANDLER = '<%@ WebHandler Language="C#" CodeBehind="~/App_Code/FileUploader.ashx.cs" Class="Shop.FileUploader" %>\n'


def test_a_handler_class_in_app_code_is_reached_through_its_handler(tmp_path: Path) -> None:
    script = "function send(f) { $.ajax({ url: '/FileUploader.ashx?folderPath=' + f }); }\n"
    pages = {"App_Code/FileUploader.ashx.cs": UPLOAD_CLASS, "FileUploader.ashx": UPLOAD_HANDLER, "scripts/upload.js": script}
    result = scan(app_server(tmp_path / "a", pages, ""))
    f = page_finding(result, "FileUploader.ashx.cs")
    assert APPLICATION_FEATURE_TAG in f.tags, f.tags
    link = next(e for e in f.evidence if e.fields.get("reason") == "application-link")
    assert link.source.endswith("upload.js") and link.fields["tie"] == "it is the code of fileuploader.ashx"
    # the handler naming its class only by Class= (no path): the class is not reached, it stays a web shell
    pages["FileUploader.ashx"] = UPLOAD_HANDLER.replace('CodeBehind="~/App_Code/FileUploader.ashx.cs" ', "")
    assert page_finding(scan(app_server(tmp_path / "b", pages, "")), "FileUploader.ashx.cs").outcome is Outcome.WEBSHELL


def test_a_site_rooted_name_reaches_a_page_at_an_application_root() -> None:
    page = "c:/inetpub/wwwroot/shop/upload.ashx"
    js = b"var u = '/Upload.ashx?x=1';\n"
    assert appcontext.find_link(page, ROOTS, "c:/inetpub/wwwroot/shop/js/a.js", js) is not None
    assert appcontext.find_link(PAGE.replace("files", "upload").replace(".aspx", ".ashx"), ROOTS, "c:/x/a.js", js) is None


def test_a_dnn_manifest_is_read_for_links(tmp_path: Path) -> None:
    """DNN registers module controls in ``.dnn`` manifests (B8's repro): a manifest naming the page links it."""
    manifest = "<dotnetnuke><module><controlSrc>Admin/Download.ashx</controlSrc></module></dotnetnuke>\n"
    server = app_server(tmp_path, {"Admin/Download.ashx": DOWNLOAD, "Shop.dnn": manifest}, "")
    link = next(e for e in page_finding(scan(server), "Download.ashx").evidence if e.fields.get("reason") == "application-link")
    assert link.source.endswith("Shop.dnn")


#: A portal module (IBuySpy's shape, B8): a user control whose code sends a request-named file.
MODULE_CODE = (
    "using System;\nusing System.Web.UI;\nusing Shop.Storage;\n"
    "public partial class XmlModule : UserControl {\n"
    "    protected void Page_Load(object s, EventArgs e) {\n"
    '        Response.TransmitFile(Request.QueryString["doc"]);\n    }\n}\n'
)
MODULE_MARKUP = '<%@ Control Language="C#" CodeBehind="XmlModule.ascx.cs" Inherits="XmlModule" %>\n<div>xml</div>\n'


@pytest.mark.parametrize(
    ("loader", "review"),
    [
        ("Control c = Page.LoadControl(module.DesktopSrc);", True),
        ('Control c = Page.LoadControl("~/DesktopModules/Other.ascx");', False),  # a literal names another control
        ("", False),
    ],
    ids=["dynamic", "literal-other", "none"],
)
def test_a_user_control_loaded_by_a_name_read_at_run_time(tmp_path: Path, loader: str, review: bool) -> None:
    """A user control cannot be requested (ASP.NET forbids .ascx): a portal that loads its modules by a name
    kept in its database is their link, though no file names them (B8: IBuySpy, DNN, Rainbow)."""
    portal = (
        "using System.Web.UI;\npublic partial class DesktopDefault : Page {\n"
        f"    void Add(ModuleSettings module) {{ {loader} }}\n}}\n"
    )
    pages = {
        "DesktopModules/XmlModule.ascx": MODULE_MARKUP,
        "DesktopModules/XmlModule.ascx.cs": MODULE_CODE,
        "DesktopDefault.aspx": '<%@ Page CodeBehind="DesktopDefault.aspx.cs" Inherits="DesktopDefault" %>\n',
        "DesktopDefault.aspx.cs": portal,
    }
    f = page_finding(scan(app_server(tmp_path, pages, "")), "XmlModule.ascx.cs")
    assert (APPLICATION_FEATURE_TAG in f.tags) is review, (f.tags, f.title)
    if review:
        link = next(e for e in f.evidence if e.fields.get("reason") == "application-link")
        assert link.fields["role"] == "loader" and "LoadControl(module.DesktopSrc)" in link.raw
        assert "loads user controls by a name it reads at run time" in f.description


def test_a_dynamic_control_loader_is_no_link_to_a_page(tmp_path: Path) -> None:
    """Pages can be requested: a planted page is not made an application's own by a LoadControl."""
    loader = "using System.Web.UI;\npublic partial class D : Page { void A(string n) { Page.LoadControl(n); } }\n"
    pages = {"Admin/Download.ashx": DOWNLOAD, "D.aspx": '<%@ Page CodeBehind="D.aspx.cs" Inherits="D" %>\n', "D.aspx.cs": loader}
    assert page_finding(scan(app_server(tmp_path, pages, "")), "Download.ashx").outcome is Outcome.WEBSHELL


def test_a_review_page_does_not_hide_a_web_shell_elsewhere(tmp_path: Path) -> None:
    shell = '<%@ Page Language="C#" %>\n<% System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"]); %>\n'
    server = app_server(
        tmp_path, {"Admin/Download.ashx": DOWNLOAD, "img/x.aspx": shell}, '  <li><a href="Admin/Download.ashx">x</a></li>\n'
    )
    result = scan(server)
    assert APPLICATION_FEATURE_TAG in page_finding(result, "Download.ashx").tags
    assert result.verdict == Verdict.COMPROMISED


PAGE = "c:/inetpub/wwwroot/shop/admin/files.aspx"
ROOTS = ["c:/inetpub/wwwroot/shop"]


@pytest.mark.parametrize(
    ("referrer", "text", "url", "links"),
    [
        ("c:/inetpub/wwwroot/shop/default.aspx", 'href="~/Admin/Files.aspx"', None, True),
        ("c:/inetpub/wwwroot/shop/default.aspx", 'href="Admin/Files.aspx?x=1"', None, True),
        ("c:/inetpub/wwwroot/shop/admin/menu.ascx", "NavigateUrl='Files.aspx'", None, True),
        ("c:/inetpub/wwwroot/shop/users/list.aspx", 'href="../admin/files.aspx"', None, True),
        ("c:/inetpub/wwwroot/shop/js/admin.js", "$.post('admin/files.aspx', d)", None, True),
        ("c:/inetpub/wwwroot/shop/web.sitemap", 'url="/shop/Admin/Files.aspx"', None, True),
        ("c:/inetpub/wwwroot/shop/web.sitemap", 'url="https://www.example.com/shop/admin/files.aspx"', None, True),
        ("c:/inetpub/wwwroot/shop/web.sitemap", 'url="/store/admin/files.aspx"', "/store/admin/files.aspx", True),
        ("c:/inetpub/wwwroot/shop/web.sitemap", 'url="/store/admin/files.aspx"', None, False),
        ("c:/inetpub/wwwroot/shop/default.aspx", 'href="Files.aspx"', None, False),
        ("c:/inetpub/wwwroot/shop/default.aspx", 'href="~/Files.aspx"', None, False),
        ("c:/inetpub/wwwroot/shop/default.aspx", 'href="Admin/OldFiles.aspx"', None, False),
        ("c:/inetpub/wwwroot/shop/default.aspx", 'href="Admin/Files.aspx.bak"', None, False),
        ("c:/inetpub/wwwroot/shop/default.aspx", 'href="/files.aspx"', None, False),
        ("c:/inetpub/wwwroot/shop/admin/gallery.aspx", '<img src="files.aspx?id=3" />', None, True),
        ("c:/inetpub/wwwroot/shop/admin/other.aspx", '<%@ Page CodeFile="files.aspx" %>', None, False),
        ("c:/inetpub/wwwroot/shop/admin/other.aspx", "<%@ Page CodeBehind = 'Files.aspx' %>", None, False),
        # a DNN module manifest names its controls relative to the application (B8)
        ("c:/inetpub/wwwroot/shop/foo.dnn", "<controlSrc>Admin/Files.aspx</controlSrc>", None, True),
    ],
)
def test_which_written_paths_name_the_page(referrer: str, text: str, url: str | None, links: bool) -> None:
    data = f"<p>\n{text}\n</p>\n".encode()
    hit = appcontext.find_link(PAGE, ROOTS, referrer, data, url)
    assert (hit is not None) is links, hit
    if hit is not None:
        assert hit[0] == 2 and text in hit[1]


def test_only_application_features_are_ever_kept_for_review() -> None:
    features = appcontext.application_features()
    assert appcontext.feature_sinks(["behaviour:file-read", "behaviour:sql-text"]) == ["file-read", "sql-text"]
    for other in ("behaviour:process", "behaviour:eval", "behaviour:assembly-load", "behaviour:deserialize",
                  "yara:EXT_WEBSHELL_X", "location", "known-bad"):
        assert appcontext.feature_sinks(["behaviour:file-read", other]) is None, other
    assert not {"process", "eval", "assembly-load", "socket", "deserialize", "shell-object"} & set(features)
    # every feature is a sink the behaviour analysis knows
    from extriage.detections.webfiles.behaviour import catalogue

    known = set(catalogue()["sinks"])
    assert set(features) <= known, set(features) - known


KEYS = {
    "c:/site/shop/web.config",
    "c:/site/shop/site.master",
    "c:/site/shop/bin/shop.dll",
    "c:/site/shop/admin/files.aspx",
    "c:/site/shop/admin/files.aspx.cs",
    "c:/site/shop/controls/menu.ascx",
    "c:/site/shop/admin/sql.aspx",
}
SHOP = ["c:/site/shop"]


@pytest.mark.parametrize(
    ("page", "text", "tie"),
    [
        ("c:/site/shop/admin/sql.aspx", '<%@ Page Language="C#" MasterPageFile="~/Site.master" %>', "master page site.master"),
        ("c:/site/shop/admin/sql.aspx", '<%@ Page CodeBehind="Files.aspx.cs" Inherits="X" %>', "code-behind files.aspx.cs"),
        ("c:/site/shop/admin/sql.aspx", '<%@ Register TagPrefix="u" TagName="m" Src="~/Controls/Menu.ascx" %>', "user control menu.ascx"),
        ("c:/site/shop/admin/sql.aspx", '<%@ Page Language="C#" Inherits="Shop.Admin.SqlPage" %>', "inherits Shop.Admin.SqlPage"),
        ("c:/site/shop/admin/sql.aspx", '<%@ Import Namespace="Shop.Data" %>', "namespace Shop.Data"),
        ("c:/site/shop/admin/sql.aspx", "<%@ Page %>\n<script runat=server>\nImports Shop.Data\n</script>", "namespace Shop.Data"),
        ("c:/site/shop/admin/files.aspx.cs", "public partial class Files : System.Web.UI.Page {}", "code of files.aspx"),
        # self-contained: framework classes and namespaces only, or names that are not there
        ("c:/site/shop/admin/sql.aspx", '<%@ Page Language="C#" Inherits="System.Web.UI.Page" %>\nusing System.IO;', None),
        ("c:/site/shop/admin/sql.aspx", '<%@ Page MasterPageFile="~/Other.master" CodeFile="Gone.cs" %>', None),
        ("c:/site/shop/admin/sql.aspx", '<%@ Page Inherits="Kit.Shell" %>\n<script runat=server>class Shell : System.Web.UI.Page {}</script>', None),
        ("c:/site/shop/admin/sql.aspx", "using Microsoft.Win32;\nusing System.Diagnostics;", None),
    ],
)
def test_what_ties_a_page_into_its_application(page: str, text: str, tie: str | None) -> None:
    got = appcontext.integration(page, text.encode(), KEYS, SHOP)
    assert (got is None) if tie is None else (got is not None and tie in got), got
    # without assemblies of its own, an application's class or namespace is no tie
    if tie and ("inherits" in tie or "namespace" in tie):
        assert appcontext.integration(page, text.encode(), KEYS - {"c:/site/shop/bin/shop.dll"}, SHOP) is None


def test_owners_are_found_reading_each_page_once() -> None:
    """Many App_Code classes, many pages: each page file is read once (not once per class)."""
    keys = {f"c:/site/shop/h{i}.ashx": (f"h{i}.ashx", 100) for i in range(5)}
    keys.update({f"c:/site/shop/app_code/h{i}.ashx.cs": (f"h{i}.ashx.cs", 100) for i in range(5)})
    keys["c:/site/shop/web.config"] = ("web.config", 10)
    reads: list[str] = []

    def read(key: str) -> tuple[bytes, str]:
        reads.append(key)
        i = key.rsplit("/h", 1)[-1].split(".")[0]
        return f'<%@ WebHandler CodeBehind="~/App_Code/h{i}.ashx.cs" Class="Shop.H{i}" %>'.encode(), "0" * 64

    codes = [k for k in keys if k.endswith(".cs")]
    owners = appcontext.find_owners(codes, keys, read, appcontext.root_folders(keys))
    assert owners == {f"c:/site/shop/app_code/h{i}.ashx.cs": f"c:/site/shop/h{i}.ashx" for i in range(5)}
    assert sorted(reads) == sorted(k for k in keys if k.endswith(".ashx"))


def test_a_page_the_user_confirmed_no_longer_keeps_the_verdict_open(tmp_path: Path) -> None:
    """``--reviewed`` lists the SHA-256 of pages confirmed as the application's own (sha256sum lines):
    the finding stays, as information; the verdict is what the rest of the evidence says. Another
    content of the page (another SHA-256) is for review again."""
    server = app_server(tmp_path, {"Admin/Download.ashx": DOWNLOAD}, '  <li><a href="Admin/Download.ashx">x</a></li>\n')
    first = scan(server)
    sha = page_finding(first, "Download.ashx").indicators.hashes[0]
    listed = tmp_path / "reviewed.txt"
    listed.write_text(f"# confirmed with the shop's owner\n{sha}  C:/inetpub/wwwroot/shop/Admin/Download.ashx\n")
    out = tmp_path / "out.json"
    res = runner.invoke(app, ["scan", str(server), "--reviewed", str(listed), "--json", str(out), "-q", "-j", "1"])
    assert res.exit_code == 0, res.output  # no evidence: the clean server's logs decide
    again = loads_result(out.read_text())
    f = page_finding(again, "Download.ashx")
    assert "reviewed" in f.tags and f.title.startswith("Reviewed, a page") and str(listed) in f.description
    assert again.verdict == Verdict.NO_EVIDENCE, again.verdict_reason
    # the page changed since it was confirmed: for review again
    write(server, f"{APP}/Admin/Download.ashx", DOWNLOAD.replace("IsReusable", "IsReusable "))
    res = runner.invoke(app, ["scan", str(server), "--reviewed", str(listed), "--json", str(out), "-q", "-j", "1"])
    assert res.exit_code == 3, res.output
    assert "reviewed" not in page_finding(loads_result(out.read_text()), "Download.ashx").tags


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not a hash\n", "line 1 of"),
        (f"{'a' * 64}\n{'b' * 63}  x.aspx\n", "line 2 of"),
    ],
)
def test_a_bad_reviewed_file_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    listed = tmp_path / "reviewed.txt"
    listed.write_text(text)
    res = runner.invoke(app, ["scan", str(tmp_path), "--reviewed", str(listed), "-q"])
    assert res.exit_code == 2 and "Invalid --reviewed file" in res.output and message in res.output, res.output
    assert "Traceback" not in res.output
    res = runner.invoke(app, ["scan", str(tmp_path), "--reviewed", str(tmp_path / "missing.txt"), "-q"])
    assert res.exit_code == 2 and "Cannot read the --reviewed file" in res.output, res.output


def test_a_fleet_scan_takes_the_reviewed_pages_too(tmp_path: Path) -> None:
    """``case scan --reviewed``: the hashes are read once by the command and travel to the workers."""
    server = app_server(tmp_path, {"Admin/Download.ashx": DOWNLOAD}, '  <li><a href="Admin/Download.ashx">x</a></li>\n')
    sha = page_finding(scan(server), "Download.ashx").indicators.hashes[0]
    listed = tmp_path / "reviewed.txt"
    listed.write_text(f"{sha}\n")
    for flags, verdict in (([], "inconclusive"), (["--reviewed", str(listed)], "no_evidence")):
        case = str(tmp_path / f"case{len(flags)}.db")
        res = runner.invoke(app, ["case", "scan", str(server), "--case", case, "-q", "-j", "1", *flags])
        assert res.exit_code == 0, res.output
        res = runner.invoke(app, ["case", "status", "--case", case, "--json", "-"])
        assert json.loads(res.stdout)["servers"][0]["verdict"] == verdict, res.stdout
    listed.write_text("nope\n")
    res = runner.invoke(app, ["case", "scan", str(server), "--case", str(tmp_path / "c.db"), "--reviewed", str(listed)])
    assert res.exit_code == 2 and "Invalid --reviewed file" in res.output, res.output


def test_hostile_linking_text_is_bounded() -> None:
    """A referrer made of path characters (2 MB of ``a/a/...`` with the page's name again and again):
    each name looks back at most ``MAX_LINK_PATH`` characters, so a file costs its size, and a path
    longer than any real one is no link."""
    name = b"files.aspx"
    data = (b"a/" * 4000 + b"admin/" + name + b"/") * 200
    assert len(data) > 1_000_000
    assert appcontext.find_link(PAGE, ROOTS, "c:/inetpub/wwwroot/shop/default.aspx", data) is None
    # the same link after ordinary text is found
    ok = b"<p>" * 100_000 + b'<a href="admin/files.aspx">'
    assert appcontext.find_link(PAGE, ROOTS, "c:/inetpub/wwwroot/shop/default.aspx", ok) is not None
