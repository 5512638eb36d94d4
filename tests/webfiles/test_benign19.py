"""Hard negatives met in whole unseen benign applications, kept silent (issue 14, helper B5).

The benign set of session 11 (``/tmp/benign19/lib``, never in the project; BENCHMARKS.md, "False positives
on unseen benign applications V") is server files of eight open-source WebForms applications (a blog
engine, an issue tracker, a hosting control panel, a media gallery, three CMSs, a shop),
measured on first sight batch by batch. Two files raised a false positive of the behaviour analysis: a
build-report image handler whose read-only ``FileStream`` was read as a file write (answered by the engine's
owner in ec85082: it is now a file read of any image the request names, a capability, kept found below) and
an icon cache whose path, built in a helper, lost the ``MapPath`` anchoring the same code has inline (answered in
a68e36f: silent now, kept silent below). One more file held a real
capability (an administrator's download of any file under the site), kept found.

The pages below are written for these tests (no line is copied from the applications) in the shapes of the
set's benign files that sit closest to a shell - an uploaded ZIP unpacked under entry names stripped of
folders into a configured gallery folder, a chunked upload appended to a configured folder under the
client's bare file name, a header-named upload streamed into a media store's API, an installer running
the SQL scripts of its own provider folder, a spreadsheet import written under a name the code makes -
and must raise no finding at all. Nothing is compiled or run.
"""

from __future__ import annotations

import pytest

from .rule_tables import Page, quiet_pages_test, sink_found_test

#: Benign pages of the set's closest shapes: no YARA rule and no behaviour sink may fire on them.
QUIET_PAGES: list[Page] = [
    (
        "App_Code/zip-album-unpacked-into-configured-folder",
        ".cs",
        "using System.IO;\nusing System.IO.Compression;\nusing System.Web.UI;\n"
        "public partial class AlbumUpload : Page {\n"
        "    protected void OnUpload(object sender, System.EventArgs e) {\n"
        "        string album = AlbumSettings.Folder(AlbumId);\n"
        "        using (var zip = new ZipArchive(PhotoFile.PostedFile.InputStream)) {\n"
        "            foreach (ZipArchiveEntry entry in zip.Entries) {\n"
        "                string name = Path.GetFileName(entry.FullName);\n"
        "                if (name.Length == 0) continue;\n"
        "                using (var src = entry.Open())\n"
        "                using (var ms = new MemoryStream()) {\n"
        "                    src.CopyTo(ms);\n"
        "                    Photos.Insert(AlbumId, name, ms.ToArray(), album);\n"
        "                }\n            }\n        }\n    }\n"
        '    int AlbumId { get { return (int)ViewState["album"]; } }\n}\n',
    ),
    (
        "App_Code/chunked-upload-into-configured-folder",
        ".cs",
        "using System.IO;\nusing System.Web;\n"
        "public class ChunkReceiver : IHttpHandler {\n"
        "    public bool IsReusable { get { return false; } }\n"
        "    public void ProcessRequest(HttpContext ctx) {\n"
        '        int part = int.Parse(ctx.Request.Form["part"] ?? "0");\n'
        "        HttpPostedFile f = ctx.Request.Files[0];\n"
        "        string folder = ctx.Server.MapPath(UploadSettings.TempFolder);\n"
        "        string target = Path.Combine(folder, Path.GetFileName(f.FileName));\n"
        "        using (var outStream = new FileStream(target, part == 0 ? FileMode.CreateNew : FileMode.Append))\n"
        "        {\n            f.InputStream.CopyTo(outStream, 16384);\n        }\n"
        '        ctx.Response.Write("ok");\n    }\n}\n',
    ),
    (
        "header-named-upload-into-media-store",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="MediaDrop" %>\nusing System.IO;\nusing System.Web;\n'
        "public class MediaDrop : IHttpHandler {\n"
        "    public bool IsReusable { get { return false; } }\n"
        "    public void ProcessRequest(HttpContext context) {\n"
        '        string name = context.Request.Headers["X-Name"];\n'
        '        var item = new MediaItem { FileName = Path.GetFileName(name), Folder = "/" };\n'
        "        using (var body = context.Request.InputStream)\n"
        "        using (var store = item.OpenWriteStream()) {\n            body.CopyTo(store);\n        }\n"
        "        MediaLibrary.Add(item);\n"
        "        context.Response.Write(MediaLibrary.UrlOf(item));\n    }\n}\n",
    ),
    (
        "installer-runs-its-own-sql-scripts",
        ".aspx",
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.IO" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n"
        '    string scripts = Server.MapPath("~/setup/sql");\n'
        '    foreach (string file in Directory.GetFiles(scripts, "*.sql")) {\n'
        "        using (var reader = new StreamReader(File.OpenRead(file))) {\n"
        "            Schema.Run(reader.ReadToEnd());\n        }\n"
        '        Response.Write("ran " + Server.HtmlEncode(Path.GetFileName(file)) + "<br/>");\n'
        "    }\n}\n</script>\n",
    ),
    (
        "App_Code/spreadsheet-import-under-made-name",
        ".cs",
        "using System;\nusing System.IO;\nusing System.Web;\nusing System.Web.UI;\n"
        "public partial class ImportPeople : Page {\n"
        "    protected void OnImport(object sender, EventArgs e) {\n"
        "        if (SheetUpload.PostedFile == null) return;\n"
        '        string ext = SheetUpload.FileName.EndsWith("xlsx") ? "xlsx" : "xls";\n'
        '        string name = string.Format("people_{0:yyyyMMddHHmmss}.{1}", DateTime.Now, ext);\n'
        '        string path = string.Format("{0}data\\\\imports\\\\{1}", Request.PhysicalApplicationPath, name);\n'
        "        File.WriteAllBytes(path, SheetUpload.FileBytes);\n"
        "        People.ImportFrom(path);\n    }\n}\n",
    ),
]

#: B5's chart handler (subtext's CCNET image.ashx) up to the file it opens from the query's name; the two shapes
#: below differ in what they send: the pixels re-encoded, or the file's own bytes.
_BUILD_CHART_OPENS_THE_NAMED_FILE = (
    '<%@ WebHandler Language="C#" Class="BuildChart" %>\nusing System;\nusing System.Drawing;\n'
    "using System.Drawing.Imaging;\nusing System.IO;\nusing System.Web;\n"
    "public class BuildChart : IHttpHandler {\n"
    "    public bool IsReusable { get { return true; } }\n"
    "    public void ProcessRequest(HttpContext ctx) {\n"
    '        string name = ctx.Request.QueryString["name"];\n'
    '        string project = ctx.Request.QueryString["project"];\n'
    '        string folder = System.Configuration.ConfigurationManager.AppSettings["chartFolder"];\n'
    '        if (folder == null || folder.Length == 0) { folder = @"..\\builds\\{0}\\charts"; }\n'
    "        folder = string.Format(folder, project);\n"
    "        using (FileStream fs = new FileStream(Path.Combine(folder, name), FileMode.Open, FileAccess.Read))\n"
)

#: The first-sight false positive B5 asked the behaviour engine's owner about (/work/notes/to_a4.md, "From B5",
#: 17:16), as a harmless reproduction: silent since A4's fix (a value a method of the code returns only in part).
FIRST_SIGHT_FALSE_POSITIVES = [
    pytest.param(
        "icon-cache-path-from-a-helper",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="IconCache" %>\nusing System;\nusing System.IO;\nusing System.Web;\n'
        "public class IconCache : IHttpHandler {\n"
        "    public bool IsReusable { get { return false; } }\n"
        "    public void ProcessRequest(HttpContext context) {\n"
        '        string set = context.Request.QueryString["set"];\n'
        '        string name = context.Request.QueryString["name"];\n'
        "        string path = CachePath(context, set, name);\n"
        '        context.Response.ContentType = "image/png";\n'
        "        context.Response.WriteFile(path);\n    }\n"
        "    private string CachePath(HttpContext context, string set, string name) {\n"
        '        string fileName = string.Format("{0}.{1}.png", set, name);\n'
        '        return context.Server.MapPath(Path.Combine("~/App_Data/iconcache", fileName));\n    }\n}\n',
        id="icon-cache-path-from-a-helper",
    ),
    # B5's real capability (subtext's CCNET image.ashx): the file read is only decoded as an image and re-encoded
    # as a JPEG (pixels, not the file's bytes) - silent since A8's image-decoder mark (session 15)
    pytest.param(
        "build-chart-of-any-image-the-request-names",
        ".ashx",
        _BUILD_CHART_OPENS_THE_NAMED_FILE
        + "        using (Image img = Image.FromStream(fs)) {\n"
        '            ctx.Response.ContentType = "image/jpeg";\n'
        "            img.Save(ctx.Response.OutputStream, ImageFormat.Jpeg);\n        }\n    }\n}\n",
        id="build-chart-of-any-image-the-request-names",
    ),
]

#: Real capabilities of the set, written as harmless shapes: they stay found.
CAPABILITIES: list[tuple[str, str, str, str]] = [
    (
        "build-chart-sends-the-requested-file-itself",
        ".ashx",
        _BUILD_CHART_OPENS_THE_NAMED_FILE
        + "        {\n"
        '            ctx.Response.ContentType = "image/jpeg";\n'
        "            fs.CopyTo(ctx.Response.OutputStream);\n        }\n    }\n}\n",
        "file-read",
    ),
    (
        # (behind the CMS's signed-in check, as the real page has it, silent since session 15: test_engine15)
        "admin-download-of-any-site-file",
        ".ashx",
        '<%@ WebHandler Language="C#" Class="SiteFileDownload" %>\nusing System.IO;\nusing System.Web;\n'
        "public class SiteFileDownload : IHttpHandler {\n"
        "    public bool IsReusable { get { return true; } }\n"
        "    public void ProcessRequest(HttpContext context) {\n"
        '        string file = context.Request.QueryString["file"];\n'
        "        string root = Path.GetDirectoryName(SiteInfo.RootFolder);\n"
        "        string full = root + file;\n"
        '        context.Response.AddHeader("Content-Disposition", "attachment;filename=" + Path.GetFileName(full));\n'
        "        context.Response.TransmitFile(full);\n    }\n}\n",
        "file-read",
    ),
]


test_benign_shape_raises_no_finding = quiet_pages_test(QUIET_PAGES)


test_first_sight_false_positive_shape_raises_no_finding = quiet_pages_test(FIRST_SIGHT_FALSE_POSITIVES)


test_capability_shape_still_raises_its_sink = sink_found_test([(c, e, s, p) for c, e, p, s in CAPABILITIES])
