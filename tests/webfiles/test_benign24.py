"""Razor, MVC and ASP.NET Web Pages applications as deployed: closest quiet shapes (issue 14, helper B9).

The benign set of session 14 (``/tmp/benign24``, never in the project; BENCHMARKS.md, "False positives on unseen
benign applications IX: Razor, MVC and ASP.NET Core views") is the first made of Razor files: an ASP.NET Web Pages
photo gallery (upload into the database, full-size download and thumbnails served from the database), a Web Pages
CMS with an admin area and ``App_Code`` handlers and repositories, Kudu's Razor pages (the App Service SCM site:
environment page, debug console and zip-deploy file browsers, process explorer, its ``Web.config``) and an MVC git
server's views tree (repository browser, blame, raw download links, user and team admin, settings), a small Web
Pages forum (thread, post and avatar images saved under new names, ``App_Code`` Razor helpers) and the admin and
import views of an Orchard 1.x media library (upload, import from a URL, web image search).

The pages below are written for these tests (no line is copied from the applications) in the shapes of the set's
files that sit closest to a shell and raised nothing on first sight: an upload page that keeps the posted image's
bytes in the database, a download page and a thumbnail page writing an image the database holds (the size picked
from a fixed list by the query string), an environment page listing settings, connection strings, environment and
server variables, a home page whose ``@functions`` load a named assembly and read a fixed file, a repository class
in ``App_Code`` that appends a caller's ORDER BY, an ``App_Code`` handler handing posted fields to repositories, an
MVC view reading a sort order from the query string, a login query built from the posted fields (an injectable
query, not a shell) and an avatar upload saved under a new name that deletes the previous file the database names.
They must raise no finding at all (YARA or behaviour); each has a one-line variant (``MUTANTS``) that must be
found, so the tests can fail.

The set's one flagged file is Kudu's ``Web.config``: it removes ``web.config`` (and ``bin``, ``App_Data``) from the
hidden segments and ``.config``/``.cs`` from the denied extensions so the site's own file API can route such paths,
without a handler or MIME type that would serve or run a ``.config`` file and without server code. Every real web
shell configuration in the unseen collections that removes the segment (12 files, /tmp/unseen19-23) also maps
``*.config`` to a script handler and carries the code. Narrowing ``config-unhide`` belongs to the behaviour engine's
owner (request in ``/work/notes/to_a7.md``, B9): the Kudu shape is a strict expected failure until then, and the
shell shapes must stay found whatever is done.
"""

from __future__ import annotations

from pathlib import Path

from extriage.detections.webfiles import content

from .rule_tables import behaviour_sinks, page_hits, quiet_pages_test, shown, sink_found_test

_UPLOAD_INTO_DATABASE = (
    "@{\n"
    "    var albumId = UrlData[0].AsInt();\n"
    '    var db = Database.Open("Pictures");\n'
    '    var album = db.QuerySingle("SELECT * FROM Albums WHERE Id = @0", albumId);\n'
    "    if (album == null) { Response.SetStatus(HttpStatusCode.NotFound); return; }\n"
    "    if (IsPost) {\n"
    "        for (var n = 0; n < Request.Files.Count; n++) {\n"
    "            var posted = Request.Files[n];\n"
    "            if (posted.ContentLength == 0) { continue; }\n"
    "            var picture = new WebImage(posted.InputStream);\n"
    "            var title = Path.GetFileNameWithoutExtension(posted.FileName);\n"
    "            var bytes = picture.GetBytes();\n"
    '            db.Execute("INSERT INTO Pictures (AlbumId, Title, Kind, Data) VALUES (@0, @1, @2, @3)",\n'
    "                albumId, title, picture.ImageFormat, bytes);\n"
    "        }\n"
    '        Response.Redirect(Href("~/Album", albumId));\n'
    "    }\n"
    "}\n"
    '<form method="post" enctype="multipart/form-data">@FileUpload.GetHtml(uploadText: "Send")</form>\n'
)

_DOWNLOAD_FROM_DATABASE = (
    "@{\n"
    "    var pictureId = UrlData[0].AsInt();\n"
    '    var db = Database.Open("Pictures");\n'
    '    var picture = db.QuerySingle("SELECT * FROM Pictures WHERE Id = @0", pictureId);\n'
    "    if (picture == null) { Response.SetStatus(HttpStatusCode.NotFound); return; }\n"
    '    Response.AddHeader("Content-Disposition", "attachment; filename=" + HttpUtility.UrlPathEncode(picture.Title));\n'
    "    new WebImage(picture.Data).Write();\n"
    "}\n"
)

_THUMBNAIL_SIZE_FROM_LIST = (
    "@{\n"
    "    Response.OutputCache(60);\n"
    '    var db = Database.Open("Pictures");\n'
    '    var picture = db.QuerySingle("SELECT Data FROM Pictures WHERE Id = @0", UrlData[0].AsInt());\n'
    '    var size = (Request.QueryString["size"] ?? "small").ToLowerInvariant();\n'
    "    int edge;\n"
    "    switch (size) {\n"
    '        case "small": edge = 150; break;\n'
    '        case "large": edge = 600; break;\n'
    "        default: Response.SetStatus(HttpStatusCode.BadRequest); return;\n"
    "    }\n"
    "    new WebImage(picture.Data).Resize(edge, edge).Write();\n"
    "}\n"
)

_ENVIRONMENT_PAGE = (
    "@using System.Collections\n"
    "@using System.Configuration\n"
    '@{ Layout = "~/_Layout.cshtml"; Page.Title = "Environment"; }\n'
    "<h3>System</h3>\n"
    "<ul><li>Machine: @Environment.MachineName</li><li>Command line: @Environment.CommandLine</li>\n"
    "<li>Folder: @Environment.CurrentDirectory</li></ul>\n"
    "<h3>Settings</h3>\n"
    "<ul>@foreach (string key in ConfigurationManager.AppSettings) { <li>@key = @ConfigurationManager.AppSettings[key]</li> }</ul>\n"
    "<ul>@foreach (ConnectionStringSettings cs in ConfigurationManager.ConnectionStrings) { <li>@cs.Name: @cs.ConnectionString</li> }</ul>\n"
    "<h3>Variables</h3>\n"
    "<ul>@foreach (DictionaryEntry v in Environment.GetEnvironmentVariables()) { <li>@v.Key = @v.Value</li> }</ul>\n"
    "<ul>@foreach (string h in Request.Headers) { <li>@h: @Request.Headers[h]</li> }</ul>\n"
    "<ul>@foreach (string s in Request.ServerVariables) { <li>@s: @Request.ServerVariables[s]</li> }</ul>\n"
)

_HOME_LOADS_NAMED_ASSEMBLY = (
    "@using System.IO\n"
    "@using System.Reflection\n"
    "@{\n"
    '    if (Request.QueryString["api-version"] != null) {\n'
    '        Response.ContentType = "application/json";\n'
    '        Response.Write("[]");\n'
    "        Response.End();\n"
    "    }\n"
    '    Layout = "~/_Layout.cshtml";\n'
    "    var hostVersion = HostVersion();\n"
    '    var stampFile = Server.MapPath("~/build.txt");\n'
    "    var stamp = File.Exists(stampFile) ? File.ReadAllText(stampFile).Trim() : null;\n"
    "}\n"
    "@functions {\n"
    "    string HostVersion() {\n"
    "        try {\n"
    '            var host = Assembly.Load("Contoso.Hosting, Version=2.0.0.0, Culture=neutral, PublicKeyToken=null");\n'
    "            return System.Diagnostics.FileVersionInfo.GetVersionInfo(host.Location).ProductVersion;\n"
    "        } catch { return null; }\n"
    "    }\n"
    "}\n"
    "<p>Build @stamp, host @hostVersion</p>\n"
)

_REPOSITORY_APPENDS_ORDER_BY = (
    "using System.Collections.Generic;\n"
    "using WebMatrix.Data;\n"
    "public static class ArticleStore\n"
    "{\n"
    '    const string Connection = "Site";\n'
    "    public static IEnumerable<dynamic> All(string orderBy = null)\n"
    "    {\n"
    '        var sql = "SELECT * FROM Articles";\n'
    '        if (!string.IsNullOrEmpty(orderBy)) { sql += " ORDER BY " + orderBy; }\n'
    "        using (var db = Database.Open(Connection)) { return db.Query(sql); }\n"
    "    }\n"
    "    public static void Remove(string slug)\n"
    "    {\n"
    '        using (var db = Database.Open(Connection)) { db.Execute("DELETE FROM Articles WHERE Slug = @0", slug); }\n'
    "    }\n"
    "}\n"
)

_HANDLER_HANDS_FIELDS_TO_STORE = (
    "using System;\n"
    "using System.Web;\n"
    "using System.Web.Helpers;\n"
    "public class ArticleHandler : IHttpHandler\n"
    "{\n"
    "    public bool IsReusable { get { return false; } }\n"
    "    public void ProcessRequest(HttpContext context)\n"
    "    {\n"
    "        AntiForgery.Validate();\n"
    '        if (!SiteUser.InRole("editor")) { throw new HttpException(401, "no"); }\n'
    '        var mode = context.Request.Form["mode"];\n'
    '        var slug = context.Request.Form["slug"];\n'
    '        var title = context.Request.Form["title"];\n'
    '        if (mode == "delete") { ArticleStore.Remove(slug); }\n'
    '        else { ArticleStore.Save(Convert.ToInt32(context.Request.Form["id"]), title, slug); }\n'
    '        context.Response.Redirect("~/admin/articles");\n'
    "    }\n"
    "}\n"
)

_VIEW_SORT_FROM_QUERY = (
    "@model Dictionary<string, ProjectModel[]>\n"
    "@{\n"
    '    ViewBag.Title = "Projects";\n'
    '    var asked = Request.QueryString["sort"];\n'
    '    var next = new { sort = asked == "ASC" ? "DESC" : "ASC" };\n'
    "}\n"
    '<a href="@Url.Action("Index", next)">Sort</a>\n'
    "@foreach (var group in Model) {\n"
    '    var grid = new WebGrid(source: group.Value, defaultSort: "Name", rowsPerPage: 20);\n'
    '    @grid.GetHtml(tableStyle: "projects")\n'
    "}\n"
)

_LOGIN_QUERY_FROM_POSTED_FIELDS = (
    "@using System.Configuration\n"
    "@using System.Data.SqlClient\n"
    "@{\n"
    '    if (Request.Form["signIn"] != null) {\n'
    '        string who = Request.Form["user"];\n'
    '        string secret = Request.Form["pass"];\n'
    '        using (var con = new SqlConnection(ConfigurationManager.ConnectionStrings["Board"].ConnectionString)) {\n'
    "            con.Open();\n"
    "            var sql = string.Format(\"SELECT id FROM Members WHERE name = '{0}' AND pass = '{1}'\", who, secret);\n"
    "            using (var cmd = new SqlCommand(sql, con)) {\n"
    "                var id = cmd.ExecuteScalar();\n"
    '                if (id != null) { Session["member"] = id; Response.Redirect(Request.RawUrl); }\n'
    "            }\n"
    "        }\n"
    "    }\n"
    "}\n"
    '<form method="post"><input name="user" /><input type="password" name="pass" />'
    '<button name="signIn">Sign in</button></form>\n'
)

_AVATAR_UPLOAD_UNDER_A_NEW_NAME = (
    "@using System.IO\n"
    "@{\n"
    '    var member = Convert.ToInt32(Session["member"]);\n'
    "    string previous = Board.AvatarOf(member);\n"
    '    if (Request.Form["sendAvatar"] != null) {\n'
    '        var posted = Request.Files["avatar"];\n'
    "        if (posted != null && posted.ContentLength > 0) {\n"
    '            var stored = Guid.NewGuid().ToString("N") + Path.GetExtension(posted.FileName);\n'
    '            posted.SaveAs(Server.MapPath(Path.Combine("~/Images/Avatars/", stored)));\n'
    "            Board.SetAvatar(member, stored);\n"
    '            if (previous != "default.png") {\n'
    '                File.Delete(Server.MapPath(Path.Combine("~/Images/Avatars/", previous)));\n'
    "            }\n"
    "        }\n"
    "        Response.Redirect(Request.RawUrl);\n"
    "    }\n"
    "}\n"
    '<form method="post" enctype="multipart/form-data"><input type="file" name="avatar" />'
    '<button name="sendAvatar">Send</button></form>\n'
)

QUIET_PAGES = [
    ("web-pages-upload-keeps-the-image-bytes-in-the-database", ".cshtml", _UPLOAD_INTO_DATABASE),
    ("web-pages-download-writes-a-database-image", ".cshtml", _DOWNLOAD_FROM_DATABASE),
    ("web-pages-thumbnail-size-from-a-fixed-list", ".cshtml", _THUMBNAIL_SIZE_FROM_LIST),
    ("razor-environment-page-lists-settings-and-variables", ".cshtml", _ENVIRONMENT_PAGE),
    ("razor-home-page-loads-a-named-assembly-and-reads-a-fixed-file", ".cshtml", _HOME_LOADS_NAMED_ASSEMBLY),
    ("app-code-repository-appends-the-caller-s-order-by", ".cs", _REPOSITORY_APPENDS_ORDER_BY),
    ("app-code-handler-hands-posted-fields-to-a-store", ".cs", _HANDLER_HANDS_FIELDS_TO_STORE),
    ("mvc-view-reads-a-sort-order-from-the-query", ".cshtml", _VIEW_SORT_FROM_QUERY),
    ("web-pages-login-query-built-from-posted-fields", ".cshtml", _LOGIN_QUERY_FROM_POSTED_FIELDS),
    ("web-pages-avatar-upload-under-a-new-name", ".cshtml", _AVATAR_UPLOAD_UNDER_A_NEW_NAME),
]

#: One-line variants of the quiet pages that turn them into what the engine must name (so the quiet tests can
#: fail): (name, extension, the sink that must fire, page).
MUTANTS = [
    (
        "web-pages-upload-saved-where-the-form-says",
        ".cshtml",
        "file-write",
        _UPLOAD_INTO_DATABASE.replace(
            "            var bytes = picture.GetBytes();\n",
            '            posted.SaveAs(Server.MapPath(Request.Form["target"]));\n            var bytes = picture.GetBytes();\n',
        ),
    ),
    (
        "web-pages-download-sends-the-file-the-request-names",
        ".cshtml",
        "file-read",
        _DOWNLOAD_FROM_DATABASE.replace(
            "    new WebImage(picture.Data).Write();\n",
            '    Response.WriteFile(Server.MapPath(Request.QueryString["file"]));\n',
        ),
    ),
    (
        "web-pages-thumbnail-runs-the-query-s-sql",
        ".cshtml",
        "sql-web-pages",
        _THUMBNAIL_SIZE_FROM_LIST.replace(
            '    var picture = db.QuerySingle("SELECT Data FROM Pictures WHERE Id = @0", UrlData[0].AsInt());\n',
            '    var picture = db.QuerySingle(Request.QueryString["q"]);\n',
        ),
    ),
    (
        "razor-environment-page-starts-a-command-interpreter",
        ".cshtml",
        "razor-interpreter",
        _ENVIRONMENT_PAGE.replace(
            "<h3>Variables</h3>\n",
            '@{ System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"]); }\n<h3>Variables</h3>\n',
        ),
    ),
    (
        "razor-home-page-loads-posted-assembly-bytes",
        ".cshtml",
        "assembly-load",
        _HOME_LOADS_NAMED_ASSEMBLY.replace(
            'Assembly.Load("Contoso.Hosting, Version=2.0.0.0, Culture=neutral, PublicKeyToken=null")',
            'Assembly.Load(Convert.FromBase64String(Request.Form["a"]))',
        ),
    ),
    (
        "mvc-view-runs-the-query-s-sql",
        ".cshtml",
        "sql-web-pages",
        _VIEW_SORT_FROM_QUERY.replace(
            '    var asked = Request.QueryString["sort"];\n',
            '    var asked = Request.QueryString["sort"];\n'
            '    var rows = Database.Open("Site").Query(Request.QueryString["sql"]);\n',
        ),
    ),
    (
        "web-pages-login-page-runs-the-posted-sql",
        ".cshtml",
        "sql-text",
        _LOGIN_QUERY_FROM_POSTED_FIELDS.replace(
            "            using (var cmd = new SqlCommand(sql, con)) {\n",
            '            using (var cmd = new SqlCommand(Request.Form["q"], con)) {\n',
        ),
    ),
    (
        "web-pages-avatar-saved-where-the-form-says",
        ".cshtml",
        "file-write",
        _AVATAR_UPLOAD_UNDER_A_NEW_NAME.replace(
            '            posted.SaveAs(Server.MapPath(Path.Combine("~/Images/Avatars/", stored)));\n',
            '            posted.SaveAs(Server.MapPath(Request.Form["where"]));\n',
        ),
    ),
]

test_benign_razor_shape_raises_no_finding = quiet_pages_test(QUIET_PAGES)
test_one_line_variant_of_a_quiet_razor_shape_is_found = sink_found_test(MUTANTS)


# Kudu's Web.config, in its shape: the segment and the extensions unhidden, only an extensionless handler that
# hands requests to the application's routes, no MIME type or handler for .config, no server code.
_KUDU_SHAPED_CONFIG = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    "<configuration>\n"
    '  <appSettings><add key="webpages:Enabled" value="true" /></appSettings>\n'
    "  <system.webServer>\n"
    "    <security>\n"
    "      <requestFiltering>\n"
    '        <fileExtensions allowUnlisted="true">\n'
    '          <remove fileExtension=".config" />\n'
    '          <remove fileExtension=".cs" />\n'
    "        </fileExtensions>\n"
    "        <hiddenSegments>\n"
    '          <remove segment="App_Data" />\n'
    '          <remove segment="web.config" />\n'
    '          <remove segment="bin" />\n'
    "        </hiddenSegments>\n"
    "      </requestFiltering>\n"
    "    </security>\n"
    "    <handlers>\n"
    '      <remove name="ExtensionlessUrlHandler-Integrated-4.0" />\n'
    '      <add name="ExtensionlessUrlHandler-Integrated-4.0" path="*." verb="*" '
    'type="System.Web.Handlers.TransferRequestHandler" preCondition="integratedMode,runtimeVersionv4.0" />\n'
    "    </handlers>\n"
    "  </system.webServer>\n"
    "</configuration>\n"
)

#: The shape every real web.config shell of the unseen collections has: the same unhiding plus a handler that runs
#: .config files as classic ASP, and the code in the file.
_CONFIG_SHELL = _KUDU_SHAPED_CONFIG.replace(
    "    </handlers>\n",
    '      <add name="cfg" path="*.config" verb="*" modules="IsapiModule" '
    'scriptProcessor="%windir%\\system32\\inetsrv\\asp.dll" resourceType="Unspecified" />\n'
    "    </handlers>\n",
).replace("</configuration>\n", '</configuration>\n<!-- <% Response.Write("ok") %> -->\n')


def test_kudu_shaped_config_that_routes_unhidden_paths_is_silent(
    tmp_path: Path, params: content.ContentParams
) -> None:
    """config-unhide counts only with a handler, build provider, MIME type or code that serves or runs .config (A7)."""
    hits = page_hits(tmp_path, "site/web.config", _KUDU_SHAPED_CONFIG, params)
    assert hits == [], shown(hits)


def test_config_that_unhides_and_serves_config_as_text_is_found(
    tmp_path: Path, params: content.ContentParams
) -> None:
    served = _KUDU_SHAPED_CONFIG.replace(
        "    <handlers>\n",
        '    <staticContent><mimeMap fileExtension=".config" mimeType="text/plain" /></staticContent>\n    <handlers>\n',
    )
    assert behaviour_sinks(tmp_path, "site/web.config", served, params) == {"config-unhide"}


def test_config_shell_that_unhides_and_runs_config_files_is_found(
    tmp_path: Path, params: content.ContentParams
) -> None:
    sinks = behaviour_sinks(tmp_path, "up/web.config", _CONFIG_SHELL, params)
    assert {"config-handler", "config-unhide"} <= sinks, sinks
