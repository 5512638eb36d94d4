"""Behaviour engine, session 18 (issue 14, A12).

Each group is a request of this session (``/work/notes/to_a12.md``) or a gap found while studying the real
capabilities of applications (BENCHMARKS.md "Behaviour engine, session 18"): harmless reproductions of a shape
that must be found, and ordinary pages of the same make that stay silent. The pages were written for these
tests: nothing is compiled or run, names, files and hosts are placeholders, and none is a copy of a real shell.
"""

from __future__ import annotations

import time

import pytest

from extriage.detections.webfiles import behaviour

from .rule_tables import sinks_of as _sinks

# --- A download saved where a text box says (session 18, A12) --------------------------------------------------
# A shell's "download to server" form: WebClient.DownloadFile(address, destination) with both from text boxes. A
# control's text is no address http-out takes (a page fetching the URL an editor typed is an application's), so
# the page raised nothing; the destination taken whole from a control or the request is a file write anywhere.

_FORM_PAGE = """<%@ Page Language="C#" %>
<script runat="server">
void Fetch(object sender, EventArgs e) {
    var wc = new System.Net.WebClient();
    BODY
    Status.Text = "done";
}
</script>
<form runat="server">
<asp:TextBox id="txtUrl" runat="server" /><asp:TextBox id="txtPath" runat="server" />
<asp:Button runat="server" OnClick="Fetch" Text="Go" /><asp:Label id="Status" runat="server" />
</form>
"""

_DOWNLOAD_FOUND = [
    ("to-a-typed-path", "wc.DownloadFile(txtUrl.Text, txtPath.Text);"),
    ("to-a-typed-site-path", "wc.DownloadFile(txtUrl.Text, Server.MapPath(txtPath.Text));"),
    ("async-to-a-typed-path", "wc.DownloadFileAsync(new Uri(txtUrl.Text), txtPath.Text);"),
    ("to-a-posted-path", 'wc.DownloadFile("http://example.invalid/a.txt", Request.Form["p"]);'),
]
_DOWNLOAD_QUIET = [
    ("to-a-fixed-file", 'wc.DownloadFile(txtUrl.Text, Server.MapPath("~/App_Data/feed.xml"));'),
    (
        "under-a-generated-name",
        'wc.DownloadFile(txtUrl.Text, System.IO.Path.Combine(Server.MapPath("~/uploads"), Guid.NewGuid() + ".jpg"));',
    ),
    (
        "to-a-temporary-file",
        "string tmp = System.IO.Path.GetTempFileName();\n    wc.DownloadFile(txtUrl.Text, tmp);",
    ),
]


@pytest.mark.parametrize(("case", "body"), _DOWNLOAD_FOUND, ids=[c for c, _ in _DOWNLOAD_FOUND])
def test_download_to_a_request_named_path_is_found(case: str, body: str) -> None:
    assert "file-copy" in _sinks(_FORM_PAGE.replace("BODY", body))


@pytest.mark.parametrize(("case", "body"), _DOWNLOAD_QUIET, ids=[c for c, _ in _DOWNLOAD_QUIET])
def test_download_to_the_pages_own_file_is_silent(case: str, body: str) -> None:
    assert _sinks(_FORM_PAGE.replace("BODY", body)) == set()


# --- A web service that authenticates the caller through its base class (B22's Umbraco FileService, session 18) -------
# Each web method starts with Authenticate(username, password) - a method of the application's base service class,
# which throws when the credentials are wrong - and then reads, writes or deletes the file the caller names in one
# of the application's folders. That is an application's feature behind its own sign-in, as A8's IsLoggedIn() is;
# a page that defines Authenticate itself (a shell's own password gate) keeps the finding.

_SERVICE = """using System;
using System.IO;
using System.Web.Services;
namespace Site.Services {
    [WebService(Namespace = "http://example.invalid/")]
    public class FileService : BaseService {
        [WebMethod]
        public void DeleteFile(string folder, string name, string username, string password) {
            CHECK
            File.Delete(Path.Combine(folder, name));
        }
        [WebMethod]
        public void SaveFile(byte[] data, string folder, string name, string username, string password) {
            CHECK
            File.WriteAllBytes(folder + name, data);
        }
    }
}
"""
_OWN_GATE = """        void Authenticate(string user, string pass) {
            if (pass != "example") throw new UnauthorizedAccessException();
        }
"""


def test_service_authenticating_through_its_base_class_is_silent() -> None:
    assert _sinks(_SERVICE.replace("CHECK", "Authenticate(username, password);"), ".cs") == set()


@pytest.mark.parametrize(
    ("check", "own_gate"),
    [
        ("", False),  # no check at all
        ("Authenticate(username, password);", True),  # the page's own gate
        (
            "var ok = Login.Authenticate(username, password);",
            False,
        ),  # another object's method: not the caller's sign-in
        ("Authenticate();", False),  # no credentials given
    ],
    ids=["no-check", "own-gate", "other-object", "no-credentials"],
)
def test_service_without_an_application_sign_in_is_found(check: str, own_gate: bool) -> None:
    page = _SERVICE.replace("CHECK", check)
    if own_gate:
        page = page.replace(
            "    public class FileService : BaseService {\n",
            "    public class FileService : BaseService {\n" + _OWN_GATE,
        )
    assert {"file-write", "file-write-content"} <= _sinks(page, ".cs")


# --- A WS-Federation sign-in address from the query (B21's home-realm Global.asax, session 18) ------------------------
# WIF's RedirectingToIdentityProvider handler sets the sign-in message's BaseUri to the identity provider the query's
# "whr" names: WIF's module then redirects the visitor's browser there (as Response.Redirect does). No request
# leaves the server; the same Uri handed to a WebClient or an HttpClient's BaseAddress is one.

_WSFED = """<%@ Application Language="C#" %>
<%@ Import Namespace="System.IdentityModel.Services" %>
<script runat="server">
void Application_Start(object sender, EventArgs e) {
    FederatedAuthentication.WSFederationAuthenticationModule.RedirectingToIdentityProvider += PickIssuer;
}
void PickIssuer(object sender, RedirectingToIdentityProviderEventArgs args) {
    string issuer = HttpContext.Current.Request.QueryString["whr"];
    if (String.IsNullOrEmpty(issuer)) issuer = "https://sts.example.invalid/issue";
    USE
}
</script>
"""


@pytest.mark.parametrize(
    ("use", "found"),
    [
        ("args.SignInRequestMessage.BaseUri = new Uri(issuer);", False),
        ("args.SignOutRequestMessage.BaseUri = new System.Uri(issuer);", False),
        ("Response.Write(new System.Net.WebClient().DownloadString(new Uri(issuer)));", True),
        ("var client = new System.Net.Http.HttpClient { BaseAddress = new Uri(issuer) };", True),
    ],
)
def test_ws_federation_sign_in_address_is_no_request(use: str, found: bool) -> None:
    assert ("http-out" in _sinks(_WSFED.replace("USE", use), ".asax")) is found


# --- A write in a helper the handler calls only after its sign-in check (A8's left-over, session 15) -----------------
# Rock's FileUploader checked IsAuthenticated in ProcessRequest and saved the upload in a method it called: the check
# was counted only within the sink's own method. A helper every call of which follows such a check (up to two calls
# deep) is checked too; one also called from an unchecked method, a page with no check, and a program run (never an
# application feature) keep their findings.

_HANDLER = """<%@ WebHandler Language="C#" Class="Uploader" %>
using System.Web;
public class Uploader : IHttpHandler {
    public bool IsReusable { get { return false; } }
    public void ProcessRequest(HttpContext context) {
        CHECK
        Save(context);
    }
    OTHER
    void Save(HttpContext ctx) {
        var f = ctx.Request.Files[0];
        f.SaveAs(ctx.Server.MapPath(ctx.Request["folder"]) + f.FileName);
        MORE
    }
}
"""
_CHECK = "if (!context.User.Identity.IsAuthenticated) { context.Response.StatusCode = 403; return; }"


def _handler(check: str = _CHECK, other: str = "", more: str = "") -> str:
    return _HANDLER.replace("CHECK", check).replace("OTHER", other).replace("MORE", more)


def test_write_in_a_helper_called_after_the_sign_in_check_is_silent() -> None:
    assert _sinks(_handler(), ".ashx") == set()


def test_helper_two_calls_below_the_check_is_silent() -> None:
    page = _handler(other="void Store(HttpContext c) { Save(c); }")
    assert _sinks(page.replace("        Save(context);\n", "        Store(context);\n"), ".ashx") == set()


@pytest.mark.parametrize(
    ("page", "sinks"),
    [
        (_handler(check=""), {"file-write"}),
        (_handler(other="public void Other(HttpContext c) { Save(c); }"), {"file-write"}),
        (_handler(more='System.Diagnostics.Process.Start(ctx.Request["c"]);'), {"process"}),
    ],
    ids=["no-check", "also-called-unchecked", "program-run"],
)
def test_helper_reached_without_the_check_is_found(page: str, sinks: set[str]) -> None:
    assert _sinks(page, ".ashx") == sinks


def test_many_checked_calls_are_not_scanned_one_by_one() -> None:
    # 300 helpers with a SQL and a file sink, each called 20 times from one signed-in Page_Load (200 KB): each method's
    # first check and each helper's callers are looked up once (3.5 s CPU before that, 2 s with it; same-method
    # checks in every helper cost the same 2 s). Under the budget, and every sink behind the check
    calls = "".join(f'        Q{i % 300}(Request["q"]);\n' for i in range(6000))
    helpers = "".join(
        f"    void Q{i}(string v) {{ var c = new System.Data.SqlClient.SqlCommand(v); c.ExecuteNonQuery(); "
        "System.IO.File.Delete(v); }\n"
        for i in range(300)
    )
    page = (
        '<%@ Page Language="C#" %>\n<script runat="server">\n    void Page_Load(object s, EventArgs e) {\n'
        "        if (!User.Identity.IsAuthenticated) return;\n" + calls + "    }\n" + helpers + "</script>\n"
    )
    t0 = time.thread_time()
    result = behaviour.analyse(page.encode(), ".aspx", budget=30.0)
    assert time.thread_time() - t0 < 30.0
    assert result.problem is None and result.hits == []
    unchecked = behaviour.analyse(
        page.replace("if (!User.Identity.IsAuthenticated) return;", "").encode(), ".aspx", 30.0
    )
    assert {h["sink"] for h in unchecked.hits} >= {"file-write"}


# --- A folder held in a name is read like the same text written inline (B23's note, session 18; A8's FYI, session 15) --
# `SaveAs(Server.MapPath("~/Temp/" + Path.GetFileName(upload.FileName)))` was silent (the client names a file in the
# page's folder) while the same folder kept in a field first (`_temporaryPath = "/App/Temp/" + user + "/"`) raised
# file-write. A name every assignment of which starts with the page's own literal text now counts as that text; a name
# holding nothing fixed (empty, a setting, the request, nothing assigned) keeps the finding.

_SAVE_PAGE = """<%@ Page Language="C#" %>
<script runat="server">
string _folder;
void Save(object sender, EventArgs e) {
    HOLD
    Upload.PostedFile.SaveAs(Server.MapPath(_folder + System.IO.Path.GetFileName(Upload.PostedFile.FileName)));
}
</script>
<form runat="server"><asp:FileUpload id="Upload" runat="server" /><asp:Button runat="server" OnClick="Save" /></form>
"""


@pytest.mark.parametrize(
    ("hold", "found"),
    [
        ('_folder = "/App/Temp/" + User.Identity.Name + "/";', False),
        ('_folder = "/App/Temp/";\n    _folder += User.Identity.Name + "/";', False),
        ('_folder = "";', True),
        ('_folder = ConfigurationManager.AppSettings["uploads"];', True),
        ('_folder = Request.Form["to"];', True),
        ('_folder = "/App/Temp/";\n    if (Request["alt"] != null) _folder = Request["alt"];', True),
        ("", True),
    ],
    ids=["fixed", "fixed-then-appended", "empty", "setting", "request", "fixed-or-request", "unassigned"],
)
def test_folder_held_in_a_name_is_read_as_written_inline(hold: str, found: bool) -> None:
    assert ("file-write" in _sinks(_SAVE_PAGE.replace("HOLD", hold))) is found


_VB_HANDLER = """<%@ WebHandler Language="VB" Class="Uploader" %>
Imports System.Web
Public Class Uploader
    Implements IHttpHandler
    Public Sub ProcessRequest(ByVal context As HttpContext) Implements IHttpHandler.ProcessRequest
        CHECK
        Save(context)
    End Sub
    Private Sub Save(ByVal ctx As HttpContext)
        Dim f = ctx.Request.Files(0)
        f.SaveAs(ctx.Server.MapPath(ctx.Request("folder")) & f.FileName)
    End Sub
    Public ReadOnly Property IsReusable() As Boolean Implements IHttpHandler.IsReusable
        Get
            Return False
        End Get
    End Property
End Class
"""


@pytest.mark.parametrize(
    ("check", "found"), [("If Not context.User.Identity.IsAuthenticated Then Return", False), ("", True)]
)
def test_vb_helper_called_after_the_sign_in_check(check: str, found: bool) -> None:
    # (a VB method's definition starts at its Sub: its own name there is no call of it)
    assert ("file-write" in _sinks(_VB_HANDLER.replace("CHECK", check), ".ashx")) is found
