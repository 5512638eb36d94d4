"""VB.NET pages and code-behind of many applications: closest quiet shapes (issue 14, helper B19).

The benign set of session 17 (``/tmp/benign34``, never in the project; BENCHMARKS.md, "False positives on unseen
benign pages XVIII: VB.NET pages and code-behind") is made of VB.NET server files: ``.aspx.vb``/``.ascx.vb``/
``.master.vb`` code-behind, inline ``<script runat="server">`` VB pages, VB ``Global.asax``, ``.ashx``/``.asmx``
handlers and services, found by VB-only seed strings in the order the index returned them.

The pages below are written for these tests (no line is copied from the applications) in the shapes of the set's
files that sit closest to a shell and raised nothing on first sight: a search page running parameterised SQL with
a query-string key, a photo upload stored under a generated name in a fixed folder after an extension check, a
sign-in page redirecting to a checked local return URL, a contact form sending mail, an export page starting a
fixed ``wkhtmltopdf.exe`` on arguments it builds itself. They must raise no finding at all (YARA or behaviour);
each has a one-line variant (``MUTANTS``) that hands the request to the sink and must be found, so the tests can
fail. Next to them, the set's real capabilities in their harmless shape (a handler deleting the file its query
names, an admin page saving an upload under the client's file name at the site root) must stay found, and so must
the shell next to the set's one misreading (a connection string taken from the request; the misreading itself,
a connection string built from a tenant row the request only picks, is A10's - ``/work/notes/to_a10.md``).
"""

from __future__ import annotations

from .rule_tables import quiet_pages_test, sink_found_test, variants_differ_test

_SEARCH_RUNS_PARAMETERISED_SQL = (
    "Imports System.Data.SqlClient\n"
    "\n"
    "Partial Class Stock_ItemSearch\n"
    "    Inherits System.Web.UI.Page\n"
    "\n"
    "    Protected Sub btnSearch_Click(sender As Object, e As EventArgs) Handles btnSearch.Click\n"
    '        Dim cs As String = ConfigurationManager.ConnectionStrings("Stock").ConnectionString\n'
    "        Using con As New SqlConnection(cs)\n"
    '            Using cmd As New SqlCommand("SELECT ItemId, Name FROM Items WHERE Name LIKE @name AND Store = @store", con)\n'
    '                cmd.Parameters.AddWithValue("@name", "%" & txtName.Text & "%")\n'
    '                cmd.Parameters.AddWithValue("@store", Request.QueryString("store"))\n'
    "                con.Open()\n"
    "                gvItems.DataSource = cmd.ExecuteReader()\n"
    "                gvItems.DataBind()\n"
    "            End Using\n"
    "        End Using\n"
    "    End Sub\n"
    "End Class\n"
)

_PHOTO_UPLOAD_UNDER_A_GENERATED_NAME = (
    "Imports System.IO\n"
    "\n"
    "Partial Class Staff_Photo\n"
    "    Inherits System.Web.UI.Page\n"
    "\n"
    "    Protected Sub btnUpload_Click(sender As Object, e As EventArgs) Handles btnUpload.Click\n"
    "        If FileUpload1.HasFile Then\n"
    "            Dim ext As String = Path.GetExtension(FileUpload1.FileName).ToLower()\n"
    '            If ext = ".jpg" OrElse ext = ".png" Then\n'
    '                Dim name As String = Guid.NewGuid().ToString("N") & ext\n'
    '                FileUpload1.SaveAs(Server.MapPath("~/Uploads/Photos/") & name)\n'
    '                imgPhoto.ImageUrl = "~/Uploads/Photos/" & name\n'
    "            End If\n"
    "        End If\n"
    "    End Sub\n"
    "End Class\n"
)

_SIGN_IN_REDIRECTS_TO_A_CHECKED_RETURN_URL = (
    "Partial Class Account_SignIn\n"
    "    Inherits System.Web.UI.Page\n"
    "\n"
    "    Protected Sub btnSignIn_Click(sender As Object, e As EventArgs) Handles btnSignIn.Click\n"
    "        If Membership.ValidateUser(txtUser.Text, txtPassword.Text) Then\n"
    "            FormsAuthentication.SetAuthCookie(txtUser.Text, False)\n"
    '            Dim ret As String = Request.QueryString("ReturnUrl")\n'
    '            If Not String.IsNullOrEmpty(ret) AndAlso ret.StartsWith("/") AndAlso Not ret.StartsWith("//") Then\n'
    "                Response.Redirect(ret)\n"
    "            Else\n"
    '                Response.Redirect("~/Default.aspx")\n'
    "            End If\n"
    "        Else\n"
    '            lblError.Text = "Invalid user name or password."\n'
    "        End If\n"
    "    End Sub\n"
    "End Class\n"
)

_CONTACT_FORM_SENDS_MAIL = (
    "Imports System.Net.Mail\n"
    "\n"
    "Partial Class Contact\n"
    "    Inherits System.Web.UI.Page\n"
    "\n"
    "    Protected Sub btnSend_Click(sender As Object, e As EventArgs) Handles btnSend.Click\n"
    "        Dim msg As New MailMessage()\n"
    '        msg.From = New MailAddress("noreply@example.org")\n'
    '        msg.To.Add("office@example.org")\n'
    "        msg.ReplyToList.Add(txtEmail.Text)\n"
    '        msg.Subject = "Contact form: " & txtSubject.Text\n'
    "        msg.Body = txtMessage.Text\n"
    "        Dim smtp As New SmtpClient()\n"
    "        smtp.Send(msg)\n"
    '        lblSent.Text = "Thank you, your message was sent."\n'
    "    End Sub\n"
    "End Class\n"
)

_EXPORT_STARTS_A_FIXED_PDF_TOOL = (
    "Imports System.Diagnostics\n"
    "\n"
    "Partial Class Reports_Export\n"
    "    Inherits System.Web.UI.Page\n"
    "\n"
    "    Protected Sub btnPdf_Click(sender As Object, e As EventArgs) Handles btnPdf.Click\n"
    '        Dim outFile As String = Server.MapPath("~/App_Data/Reports/") & Guid.NewGuid().ToString("N") & ".pdf"\n'
    '        Dim psi As New ProcessStartInfo(Server.MapPath("~/bin/tools/wkhtmltopdf.exe"))\n'
    '        psi.Arguments = "--quiet http://localhost/Reports/Monthly.aspx """ & outFile & """"\n'
    "        psi.UseShellExecute = False\n"
    "        psi.CreateNoWindow = True\n"
    "        Using p As Process = Process.Start(psi)\n"
    "            p.WaitForExit(60000)\n"
    "        End Using\n"
    '        Response.ContentType = "application/pdf"\n'
    "        Response.TransmitFile(outFile)\n"
    "    End Sub\n"
    "End Class\n"
)

#: (name, extension, page): ordinary VB code-behind shapes that must raise no finding.
QUIET_PAGES = [
    ("Stock/ItemSearch.aspx", ".vb", _SEARCH_RUNS_PARAMETERISED_SQL),
    ("Staff/Photo.aspx", ".vb", _PHOTO_UPLOAD_UNDER_A_GENERATED_NAME),
    ("Account/SignIn.aspx", ".vb", _SIGN_IN_REDIRECTS_TO_A_CHECKED_RETURN_URL),
    ("Contact.aspx", ".vb", _CONTACT_FORM_SENDS_MAIL),
    ("Reports/Export.aspx", ".vb", _EXPORT_STARTS_A_FIXED_PDF_TOOL),
]

#: One-line variants of the quiet pages that hand the request to the sink (so the quiet tests can fail):
#: (name, extension, the sink that must fire, page).
MUTANTS = [
    (
        "Stock/ItemSearch-runs-the-posted-sql.aspx",
        ".vb",
        "sql-text",
        _SEARCH_RUNS_PARAMETERISED_SQL.replace(
            'New SqlCommand("SELECT ItemId, Name FROM Items WHERE Name LIKE @name AND Store = @store", con)',
            'New SqlCommand(Request.Form("q"), con)',
        ),
    ),
    (
        "Staff/Photo-saves-where-the-form-says.aspx",
        ".vb",
        "file-write",
        _PHOTO_UPLOAD_UNDER_A_GENERATED_NAME.replace(
            'FileUpload1.SaveAs(Server.MapPath("~/Uploads/Photos/") & name)',
            'FileUpload1.SaveAs(Server.MapPath(Request.Form("dir")) & FileUpload1.FileName)',
        ),
    ),
    (
        "Account/SignIn-fetches-the-return-url.aspx",
        ".vb",
        "http-out",
        _SIGN_IN_REDIRECTS_TO_A_CHECKED_RETURN_URL.replace(
            "                Response.Redirect(ret)\n",
            "                Response.Write(New System.Net.WebClient().DownloadString(ret))\n",
        ),
    ),
    (
        "Contact-mails-the-file-the-form-names.aspx",
        ".vb",
        "file-read",
        _CONTACT_FORM_SENDS_MAIL.replace(
            "        msg.Body = txtMessage.Text\n",
            '        msg.Body = System.IO.File.ReadAllText(Request.Form("file"))\n',
        ),
    ),
    (
        "Reports/Export-runs-the-posted-arguments.aspx",
        ".vb",
        "process",
        _EXPORT_STARTS_A_FIXED_PDF_TOOL.replace(
            '        psi.Arguments = "--quiet http://localhost/Reports/Monthly.aspx """ & outFile & """"\n',
            '        psi.Arguments = Request.Form("args")\n',
        ),
    ),
]

test_vb_code_behind_shape_raises_no_finding = quiet_pages_test(QUIET_PAGES)
test_one_line_variant_of_a_quiet_vb_shape_is_found = sink_found_test(MUTANTS)
test_mutants_change_one_line_each = variants_differ_test(QUIET_PAGES, MUTANTS)


_HANDLER_READS_A_TENANT_DATABASE = (
    '<%@ WebHandler Language="VB" Class="StoreLogo" %>\n'
    "\n"
    "Imports System.Data\n"
    "Imports System.Data.SqlClient\n"
    "Imports System.Web\n"
    "\n"
    "Public Class StoreLogo : Implements IHttpHandler\n"
    "\n"
    "    Public Sub ProcessRequest(ByVal context As HttpContext) Implements IHttpHandler.ProcessRequest\n"
    '        Dim store As DataTable = FindStore(context.Request.QueryString("store"))\n'
    "        If store.Rows.Count > 0 Then\n"
    "            Using con As New SqlConnection(StoreDatabase(store))\n"
    "                con.Open()\n"
    '                Dim cmd As New SqlCommand("SELECT Logo FROM Settings", con)\n'
    '                context.Response.ContentType = "image/png"\n'
    "                context.Response.BinaryWrite(CType(cmd.ExecuteScalar(), Byte()))\n"
    "            End Using\n"
    "        End If\n"
    "    End Sub\n"
    "\n"
    "    Private Function FindStore(ByVal name As String) As DataTable\n"
    "        Dim dt As New DataTable()\n"
    '        Using con As New SqlConnection(ConfigurationManager.ConnectionStrings("Stores").ConnectionString)\n'
    '            Dim cmd As New SqlCommand("Stores_GetByName", con)\n'
    "            cmd.CommandType = CommandType.StoredProcedure\n"
    '            cmd.Parameters.AddWithValue("@name", name)\n'
    "            Dim da As New SqlDataAdapter(cmd)\n"
    "            da.Fill(dt)\n"
    "        End Using\n"
    "        Return dt\n"
    "    End Function\n"
    "\n"
    "    Private Function StoreDatabase(ByVal dt As DataTable) As String\n"
    '        Return "Data Source=" & dt.Rows(0)("db_server") & ";Initial Catalog=" & dt.Rows(0)("db_name")\n'
    "    End Function\n"
    "\n"
    "    Public ReadOnly Property IsReusable() As Boolean Implements IHttpHandler.IsReusable\n"
    "        Get\n"
    "            Return False\n"
    "        End Get\n"
    "    End Property\n"
    "End Class\n"
)

_HANDLER_DELETES_THE_LIST_IT_SENT = (
    "Imports System.Web\n"
    "\n"
    "Public Class DownloadList\n"
    "    Implements System.Web.IHttpHandler\n"
    "\n"
    "    Sub ProcessRequest(ByVal context As HttpContext) Implements IHttpHandler.ProcessRequest\n"
    '        Dim listName As String = context.Request.QueryString("list")\n'
    "        context.Response.TransmitFile(Lists.ZipOf(listName))\n"
    "        IO.File.Delete(listName)\n"
    "    End Sub\n"
    "\n"
    "    ReadOnly Property IsReusable() As Boolean Implements IHttpHandler.IsReusable\n"
    "        Get\n"
    "            Return False\n"
    "        End Get\n"
    "    End Property\n"
    "End Class\n"
)

_ADMIN_UPLOAD_KEEPS_THE_CLIENTS_NAME = (
    "Partial Class Admin_Upload\n"
    "    Inherits System.Web.UI.Page\n"
    '    Dim FilePath As String = Server.MapPath("~") & "\\uploads\\"\n'
    "\n"
    "    Protected Sub Button1_Click(ByVal sender As Object, ByVal e As System.EventArgs)\n"
    "        If FileUpload1.HasFile Then\n"
    "            FileUpload1.SaveAs(FilePath & FileUpload1.FileName)\n"
    '            Label1.Text = "<a href=""/uploads/" & FileUpload1.FileName & """>View file</a>"\n'
    "        End If\n"
    "    End Sub\n"
    "\n"
    "    Protected Sub Page_Load(ByVal sender As Object, ByVal e As System.EventArgs) Handles Me.Load\n"
    '        If Session("LoggedOn") <> True Then\n'
    '            Response.Redirect("/admin/login.aspx")\n'
    "        End If\n"
    "    End Sub\n"
    "End Class\n"
)

#: What must stay found among the set's closest shapes: the shell next to the set's one misreading (the
#: connection string comes from the request, not from a tenant row) and the set's real capabilities in their
#: harmless shape (a handler deleting the file its query names; an upload page keeping the client's file name
#: under the site root) - (name, extension, sink, page).
STAYS_FOUND = [
    (
        "StoreLogo-connects-where-the-form-says",
        ".ashx",
        "sql-connection",
        _HANDLER_READS_A_TENANT_DATABASE.replace(
            "Using con As New SqlConnection(StoreDatabase(store))",
            'Using con As New SqlConnection(context.Request.Form("cs"))',
        ),
    ),
    ("DownloadList.ashx", ".vb", "file-write", _HANDLER_DELETES_THE_LIST_IT_SENT),
    ("admin/Upload.aspx", ".vb", "upload-to-app-root", _ADMIN_UPLOAD_KEEPS_THE_CLIENTS_NAME),
]

test_set_capability_or_shell_next_to_the_misreading_is_found = sink_found_test(STAYS_FOUND)
test_shell_differs_from_the_tenant_handler = variants_differ_test(
    [("StoreLogo", ".ashx", _HANDLER_READS_A_TENANT_DATABASE)], STAYS_FOUND[:1]
)
