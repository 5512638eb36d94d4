"""File features of well-known open-source ASP.NET products: closest quiet shapes and the file manager rule
(issue 14, helper B22, session 18).

The benign set (``/tmp/benign22``, never in the project; BENCHMARKS.md, "False positives on unseen benign
pages: file and network features of open-source ASP.NET products") is 96 files of 14 products' upload, download,
file-manager, media, import, install, log and health code (nopCommerce, Umbraco, BlogEngine.NET,
YetAnotherForum.NET, DNN, mojoPortal, Roxy Fileman, two elFinder connectors, Orchard, OrchardCore,
MvcForum, Roadkill, JabbR), measured on first sight at fc662c0. Its two findings are real capabilities
(Umbraco 4's file web service, Roxy Fileman's handler).

The pages below are written for these tests (no line is copied from the products) in the shapes of the
set's files that sit closest to a shell and raised nothing: an avatar upload saved under a new Guid name in
a fixed folder after an extension check, a media controller that saves an upload through the application's
store under the folder the request names, after a permission check and an extension allow-list, a handler
that serves an uploaded file from the application's store by the name the query gives after refusing
"..", and an import dialog that hands a posted text file's stream to the application's importer. They must
raise no finding at all (YARA or behaviour); each has a one-line variant (``MUTANTS``) that must be found.

``EXT_WEBSHELL_File_Manager`` took any ``Request.Files[..].SaveAs(`` as a file manager: the avatar upload
above, a plain application feature, was a critical web shell. Since B22 an upload alone counts only when
the saved name comes from the request (a request value or the client's file name); a bare ``SaveAs`` still
counts beside a folder listing, the file manager's shape (Roxy Fileman keeps its hit).
"""

from __future__ import annotations

from .rule_tables import Page, RuleCase, quiet_pages_test, rule_tables, sink_found_test, variants_differ_test

_AVATAR_UPLOAD = (
    '<%@ Page Language="C#" %>\n'
    '<script runat="server">\n'
    'static readonly string[] Allowed = { ".png", ".jpg", ".gif" };\n'
    "protected void Save_Click(object sender, EventArgs e)\n"
    "{\n"
    "    if (Request.Files.Count == 0) return;\n"
    "    string ext = System.IO.Path.GetExtension(Request.Files[0].FileName).ToLowerInvariant();\n"
    "    if (Array.IndexOf(Allowed, ext) < 0) return;\n"
    '    string name = Guid.NewGuid().ToString("N") + ext;\n'
    '    Request.Files[0].SaveAs(Server.MapPath("~/App_Data/avatars/") + name);\n'
    '    Message.Text = "Saved.";\n'
    "}\n"
    "</script>\n"
    '<form runat="server"><input type="file" name="picture" />\n'
    '<asp:Button runat="server" OnClick="Save_Click" Text="Save" /><asp:Label ID="Message" runat="server" />\n'
    "</form>\n"
)
_MEDIA_CONTROLLER = (
    "using System.Collections.Generic;\n"
    "using System.IO;\n"
    "using System.Threading.Tasks;\n"
    "using Microsoft.AspNetCore.Authorization;\n"
    "using Microsoft.AspNetCore.Http;\n"
    "using Microsoft.AspNetCore.Mvc;\n"
    "\n"
    "public class GalleryAdminController : Controller\n"
    "{\n"
    "    private readonly IGalleryStore _store;\n"
    "    private readonly IAuthorizationService _auth;\n"
    '    private static readonly HashSet<string> Allowed = new() { ".jpg", ".png", ".pdf" };\n'
    "\n"
    "    public GalleryAdminController(IGalleryStore store, IAuthorizationService auth)\n"
    "    {\n"
    "        _store = store;\n"
    "        _auth = auth;\n"
    "    }\n"
    "\n"
    "    [HttpPost]\n"
    "    public async Task<IActionResult> Upload(string folder, ICollection<IFormFile> files)\n"
    "    {\n"
    '        if (!(await _auth.AuthorizeAsync(User, "ManageGallery")).Succeeded) return Forbid();\n'
    "        foreach (var file in files)\n"
    "        {\n"
    "            if (!Allowed.Contains(Path.GetExtension(file.FileName))) continue;\n"
    "            var target = _store.Combine(folder ?? string.Empty, _store.CleanName(file.FileName));\n"
    "            using (var stream = file.OpenReadStream())\n"
    "            {\n"
    "                await _store.SaveAsync(target, stream);\n"
    "            }\n"
    "        }\n"
    "        return Ok();\n"
    "    }\n"
    "}\n"
)
_STORE_FILE_HANDLER = (
    '<%@ WebHandler Language="C#" Class="AttachmentHandler" %>\n'
    "using System.Web;\n"
    "\n"
    "public class AttachmentHandler : IHttpHandler\n"
    "{\n"
    "    public bool IsReusable { get { return false; } }\n"
    "\n"
    "    public void ProcessRequest(HttpContext context)\n"
    "    {\n"
    '        string name = context.Request.QueryString["file"];\n'
    '        if (string.IsNullOrEmpty(name) || name.Contains("..")) { context.Response.StatusCode = 404; return; }\n'
    "        var stored = SiteStorage.Current.GetFile(\"attachments/\" + name.TrimStart('/'));\n"
    "        if (stored == null) { context.Response.StatusCode = 404; return; }\n"
    '        context.Response.ContentType = "application/octet-stream";\n'
    "        context.Response.BinaryWrite(stored.Contents);\n"
    "    }\n"
    "}\n"
)
_IMPORT_DIALOG = (
    "using System;\n"
    "using System.Web.UI;\n"
    "\n"
    "public partial class BlockedNamesImport : UserControl\n"
    "{\n"
    "    protected void Import_OnClick(object sender, EventArgs e)\n"
    "    {\n"
    '        if (!this.importFile.PostedFile.ContentType.StartsWith("text"))\n'
    "        {\n"
    '            this.Notice.Text = "Only text files can be imported.";\n'
    "            return;\n"
    "        }\n"
    "\n"
    "        var count = ListImport.BlockedNames(Board.Current.Id, this.importFile.PostedFile.InputStream);\n"
    '        this.Notice.Text = count + " names imported.";\n'
    "    }\n"
    "}\n"
)

QUIET_PAGES: list[Page] = [
    ("avatar-upload-saved-under-a-guid", ".aspx", _AVATAR_UPLOAD),
    ("media-controller-saves-through-its-store", "/App_Code/GalleryAdmin.cs", _MEDIA_CONTROLLER),
    ("handler-serves-an-attachment-from-its-store", ".ashx", _STORE_FILE_HANDLER),
    ("import-dialog-hands-the-posted-list-to-its-importer", ".ascx.cs", _IMPORT_DIALOG),
]

MUTANTS: list[tuple[str, str, str, str]] = [
    (
        "avatar-upload-saved-where-the-form-says",
        ".aspx",
        "file-write",
        _AVATAR_UPLOAD.replace(
            'Request.Files[0].SaveAs(Server.MapPath("~/App_Data/avatars/") + name);',
            'Request.Files[0].SaveAs(Server.MapPath(Request.Form["to"]));',
        ),
    ),
    (
        "media-controller-writes-the-upload-to-a-posted-path",
        "/App_Code/GalleryAdmin.cs",
        "file-write",
        _MEDIA_CONTROLLER.replace(
            "                await _store.SaveAsync(target, stream);\n",
            '                using (var disk = System.IO.File.Create(Request.Form["to"])) { await stream.CopyToAsync(disk); }\n',
        ),
    ),
    (
        "handler-sends-the-file-the-query-names",
        ".ashx",
        "file-read",
        _STORE_FILE_HANDLER.replace(
            "        context.Response.BinaryWrite(stored.Contents);\n",
            '        context.Response.WriteFile(context.Request.QueryString["file"]);\n',
        ),
    ),
    (
        "import-dialog-saves-the-posted-file-where-the-form-says",
        ".ascx.cs",
        "file-write",
        _IMPORT_DIALOG.replace(
            "        var count = ListImport.BlockedNames(",
            '        this.importFile.PostedFile.SaveAs(Request.Form["where"]);\n'
            "        var count = ListImport.BlockedNames(",
        ),
    ),
]

#: A file manager's listing beside a bare save (the Roxy Fileman shape, written for the test).
_LISTING_MANAGER = (
    '<%@ WebHandler Language="C#" Class="Files" %>\n'
    "using System.IO;\n"
    "using System.Web;\n"
    "public class Files : IHttpHandler\n"
    "{\n"
    "    public bool IsReusable { get { return false; } }\n"
    "    public void ProcessRequest(HttpContext context)\n"
    "    {\n"
    '        string dir = context.Server.MapPath("~/Uploads/" + context.Request["d"]);\n'
    '        foreach (string f in Directory.GetFiles(dir)) context.Response.Write(Path.GetFileName(f) + "\\n");\n'
    "        string dest = Path.Combine(dir, Path.GetFileName(context.Request.Files[0].FileName));\n"
    "        HttpContext.Current.Request.Files[0].SaveAs(dest);\n"
    "    }\n"
    "}\n"
)

FILE_MANAGER_CASES: list[RuleCase] = [
    (
        "EXT_WEBSHELL_File_Manager",
        [
            (
                "upload-to-the-requested-name",
                ".aspx",
                '<%@ Page Language="C#" %>\n'
                '<% Request.Files[0].SaveAs(Server.MapPath(".") + "\\\\" + Request["n"]); %>\n',
            ),
            (
                "upload-under-the-client-name",
                ".aspx",
                '<%@ Page Language="C#" %>\n'
                '<% Request.Files[0].SaveAs(Server.MapPath("~/") + Request.Files[0].FileName); %>\n',
            ),
            ("listing-beside-a-bare-save", ".ashx", _LISTING_MANAGER),
        ],
        [("avatar-upload-saved-under-a-guid", ".aspx", _AVATAR_UPLOAD)],
    ),
]

(
    test_file_manager_shape_is_found,
    test_upload_under_a_name_the_code_makes_is_not_a_file_manager,
    test_file_manager_rule_needs_a_server_page,
) = rule_tables(FILE_MANAGER_CASES)

test_product_file_feature_shape_raises_no_finding = quiet_pages_test(QUIET_PAGES)
test_one_line_variant_of_a_quiet_product_shape_is_found = sink_found_test(MUTANTS)
test_mutants_differ_from_their_quiet_page_by_one_edit = variants_differ_test(QUIET_PAGES, MUTANTS)
