"""The big half of a seeded uniform sample: closest quiet shapes (issue 14, helpers B17 and B18).

The benign set of session 17 (``/tmp/benign33``, never in the project; BENCHMARKS.md, "False positives on unseen
benign pages XVII: the big half of a seeded uniform sample") is made of real public ASP.NET files over 8,000
characters: the pages B14's uniform sample left out for their size, then the hits of fixed seed strings that reach
code-behinds, web services and report pages (ERP and warehouse reports, an HIS web service, school, shop and HR
intranets, generated ASP.NET Maker pages, Crystal and RDLC report pages).

The pages below are written for these tests (no line is copied from the applications) in the shapes of the set's
files that sit closest to a shell and raised nothing on first sight: a report code-behind filling a grid from a
statement of its own with the query string's key inside it, a stored procedure given the query string's key as a
parameter, an ERP page posting an XML voucher to its accounting server's fixed address and reading the answer, a
Crystal report selection formula built from a picked row's code and kept in the session, a grid exported to Excel by
rendering it into the response, a parameterised PostgreSQL search, and an ASMX web service whose methods hand their
parameters to the application's own classes. They must raise no finding at all (YARA or behaviour); each has a
one-line variant (``MUTANTS``) that must be found, so the tests can fail.

Two files of the set were flagged on first sight and both are misreadings of the behaviour engine, sent to A10
(``/work/notes/to_a10.md``, B18). The first - a web service's fixed INSERT run by the application's helper with its
values in an anonymous parameter object after ``CommandType.Text,``, read as SQL text - was fixed by A10 (57d6287)
and is pinned here too (``_WEB_SERVICE_BINDS_VALUES_AFTER_THE_TYPE``; its variant hands the caller's text to the
helper in the text's place). The second - an ERP page setting its own outgoing request's ``UserAgent``, read as
cloaking on the visitor's agent - is open; the voucher page below leaves that one line out.
"""

from __future__ import annotations

from .rule_tables import quiet_pages_test, sink_found_test, variants_differ_test

_REPORT_FILLS_A_GRID_FROM_ITS_OWN_STATEMENT = (
    "using System;\n"
    "using System.Configuration;\n"
    "using System.Data;\n"
    "using System.Data.SqlClient;\n"
    "\n"
    "public partial class Reports_ProjectCheck : System.Web.UI.Page\n"
    "{\n"
    '    readonly string cs = ConfigurationManager.ConnectionStrings["main"].ConnectionString;\n'
    "\n"
    "    protected void Page_Load(object sender, EventArgs e)\n"
    "    {\n"
    '        if (!IsPostBack && !string.IsNullOrEmpty(Request.QueryString["pid"]))\n'
    "        {\n"
    '            string pid = Request.QueryString["pid"];\n'
    '            string sql = "select ProjectNo, ProjectName, Owner from Project where ProjectNo = \'" + pid + "\'";\n'
    "            using (SqlConnection con = new SqlConnection(cs))\n"
    "            using (SqlDataAdapter da = new SqlDataAdapter(sql, con))\n"
    "            {\n"
    "                DataTable dt = new DataTable();\n"
    "                da.Fill(dt);\n"
    "                gvProject.DataSource = dt;\n"
    "                gvProject.DataBind();\n"
    "                btnSync.Enabled = dt.Rows.Count == 0;\n"
    "            }\n"
    "        }\n"
    "    }\n"
    "}\n"
)

_STORED_PROCEDURE_GETS_THE_QUERYS_KEY = (
    "using System;\n"
    "using System.Configuration;\n"
    "using System.Data;\n"
    "using System.Data.SqlClient;\n"
    "\n"
    "public partial class Region_Reports_PendingBills : System.Web.UI.Page\n"
    "{\n"
    "    protected void Page_Load(object sender, EventArgs e)\n"
    "    {\n"
    '        if (!IsPostBack && !String.IsNullOrEmpty(Request.QueryString["district"]))\n'
    '            FillGrid(Request.QueryString["district"]);\n'
    "    }\n"
    "\n"
    "    void FillGrid(string district)\n"
    "    {\n"
    '        string cs = ConfigurationManager.ConnectionStrings["Warehouse"].ConnectionString;\n'
    "        using (SqlConnection con = new SqlConnection(cs))\n"
    '        using (SqlCommand cmd = new SqlCommand("dbo.Pending_Bills_By_Branch", con))\n'
    "        {\n"
    "            cmd.CommandType = CommandType.StoredProcedure;\n"
    '            cmd.Parameters.AddWithValue("@DistrictID", district);\n'
    "            using (SqlDataAdapter sda = new SqlDataAdapter(cmd))\n"
    "            {\n"
    "                DataTable dt = new DataTable();\n"
    "                sda.Fill(dt);\n"
    "                GridView1.DataSource = dt;\n"
    "                GridView1.DataBind();\n"
    "            }\n"
    "        }\n"
    "    }\n"
    "}\n"
)

_ERP_POSTS_A_VOUCHER_TO_ITS_ACCOUNTING_SERVER = (
    "Imports System.IO\n"
    "Imports System.Net\n"
    "Imports System.Text\n"
    "\n"
    "Partial Class Billing_PushInvoices\n"
    "    Inherits System.Web.UI.Page\n"
    "\n"
    "    Protected Sub btnPush_Click(ByVal sender As Object, ByVal e As EventArgs) Handles btnPush.Click\n"
    '        Dim voucher As String = "<ENVELOPE><BODY><DATA><VOUCHER>" & txtAmount.Text & "</VOUCHER></DATA></BODY></ENVELOPE>"\n'
    '        Dim request As WebRequest = WebRequest.Create("http://10.20.30.40:9000")\n'
    '        request.Method = "POST"\n'
    "        Dim bytes As Byte() = Encoding.UTF8.GetBytes(voucher)\n"
    "        request.ContentLength = bytes.Length\n"
    "        Using body As Stream = request.GetRequestStream()\n"
    "            body.Write(bytes, 0, bytes.Length)\n"
    "        End Using\n"
    "        Dim answer As String\n"
    "        Using reader As New StreamReader(request.GetResponse().GetResponseStream())\n"
    "            answer = reader.ReadToEnd()\n"
    "        End Using\n"
    '        If answer.Contains("<CREATED>1</CREATED>") Then\n'
    '            Response.Redirect("Invoices.aspx?pushed=1")\n'
    "        End If\n"
    '        lblStatus.Text = "Not accepted by the accounting server"\n'
    "    End Sub\n"
    "End Class\n"
)

_CRYSTAL_SELECTION_FORMULA_FROM_A_PICKED_ROW = (
    "using System;\n"
    "using System.Web.UI;\n"
    "using System.Web.UI.WebControls;\n"
    "\n"
    "public partial class UI_DeliveryReport : System.Web.UI.Page\n"
    "{\n"
    "    protected void gvDealers_SelectedIndexChanged(object sender, EventArgs e)\n"
    "    {\n"
    "        GridViewRow row = gvDealers.SelectedRow;\n"
    "        lblCode.Text = row.Cells[1].Text;\n"
    "        lblName.Text = row.Cells[2].Text;\n"
    "    }\n"
    "\n"
    "    protected void btnShowReport_Click(object sender, EventArgs e)\n"
    "    {\n"
    '        string from = Convert.ToDateTime(txtFromDate.Text).ToString("yyyy,MM,dd");\n'
    '        string to = Convert.ToDateTime(txtToDate.Text).ToString("yyyy,MM,dd");\n'
    '        string formula = "{Sales.InvDate} in Date(" + from + ") to Date(" + to + ")";\n'
    "        if (!String.IsNullOrEmpty(lblCode.Text))\n"
    '            formula += " and {Sales.CustId} = \'" + lblCode.Text + "\'";\n'
    '        Session["strPath"] = Server.MapPath("~/report/DeliveryByDealer.rpt");\n'
    '        Session["SelectionFormula"] = formula;\n'
    "        ScriptManager.RegisterStartupScript(Page, Page.GetType(), \"popup\", \"window.open('/UI/ReportViewer.aspx','_blank')\", true);\n"
    "    }\n"
    "}\n"
)

_GRID_EXPORTED_TO_EXCEL_BY_RENDERING = (
    "using System;\n"
    "using System.IO;\n"
    "using System.Web;\n"
    "using System.Web.UI;\n"
    "using System.Web.UI.WebControls;\n"
    "\n"
    "public partial class Accounting_ApprovedBills : System.Web.UI.Page\n"
    "{\n"
    "    protected void btnExport_Click(object sender, EventArgs e)\n"
    "    {\n"
    "        Response.Clear();\n"
    "        Response.Buffer = true;\n"
    '        Response.Charset = "";\n'
    "        Response.Cache.SetCacheability(HttpCacheability.NoCache);\n"
    '        Response.ContentType = "application/vnd.ms-excel";\n'
    '        Response.AddHeader("Content-Disposition", "attachment;filename=Approved_Bills.xls");\n'
    "        StringWriter text = new StringWriter();\n"
    "        HtmlTextWriter html = new HtmlTextWriter(text);\n"
    "        GridView1.GridLines = GridLines.Both;\n"
    "        GridView1.RenderControl(html);\n"
    "        Response.Write(text.ToString());\n"
    "        Response.End();\n"
    "    }\n"
    "\n"
    "    public override void VerifyRenderingInServerForm(Control control)\n"
    "    {\n"
    "    }\n"
    "}\n"
)

_PARAMETERISED_POSTGRESQL_SEARCH = (
    "using System;\n"
    "using System.Configuration;\n"
    "using System.Data;\n"
    "using Npgsql;\n"
    "\n"
    "namespace Trends.Pages\n"
    "{\n"
    "    public partial class Keywords : System.Web.UI.Page\n"
    "    {\n"
    '        readonly string cs = ConfigurationManager.ConnectionStrings["trends"].ConnectionString;\n'
    "\n"
    "        protected void BtnSearch_Click(object sender, EventArgs e)\n"
    "        {\n"
    '            string sql = "SELECT k.kw, k.active, c.name FROM keywords k JOIN country c ON k.code = c.code "\n'
    "                       + \"WHERE (@text IS NULL OR k.kw ILIKE @text) AND (@country = 'All' OR c.name = @country)\";\n"
    "            using (NpgsqlConnection con = new NpgsqlConnection(cs))\n"
    "            using (NpgsqlCommand cmd = new NpgsqlCommand(sql, con))\n"
    "            {\n"
    "                con.Open();\n"
    '                cmd.Parameters.AddWithValue("@text", $"%{tbSearch.Text.Trim()}%");\n'
    '                cmd.Parameters.AddWithValue("@country", ddlCountry.SelectedValue);\n'
    "                using (NpgsqlDataReader reader = cmd.ExecuteReader())\n"
    "                {\n"
    "                    DataTable dt = new DataTable();\n"
    "                    dt.Load(reader);\n"
    "                    gvKeywords.DataSource = dt;\n"
    "                    gvKeywords.DataBind();\n"
    "                }\n"
    "            }\n"
    "        }\n"
    "    }\n"
    "}\n"
)

_WEB_SERVICE_HANDS_PARAMETERS_TO_ITS_CLASSES = (
    "using System;\n"
    "using System.Collections.Generic;\n"
    "using System.Web.Services;\n"
    "\n"
    '[WebService(Namespace = "http://tempuri.org/")]\n'
    "[System.Web.Script.Services.ScriptService]\n"
    "public class ShopService : System.Web.Services.WebService\n"
    "{\n"
    "    [WebMethod]\n"
    "    public bool DoesEmailExist(string email)\n"
    "    {\n"
    "        return new UserAccounts().IsEmailAvailable(email);\n"
    "    }\n"
    "\n"
    "    [WebMethod]\n"
    "    public List<Products> GetCartProducts(long pid, int qty)\n"
    "    {\n"
    "        return new Products().GetCartProductDetails(pid.ToString(), qty);\n"
    "    }\n"
    "\n"
    "    [WebMethod]\n"
    "    public string SaveUserDetails(string fname, string lname, long mobileno, string email)\n"
    "    {\n"
    "        UserAccounts account = new UserAccounts();\n"
    "        account.Firstname = fname;\n"
    "        account.LastName = lname;\n"
    "        account.EmailID = email;\n"
    "        account.MobileNo = mobileno;\n"
    '        return account.SaveRecord() != 0 ? "Saved" : "Failed";\n'
    "    }\n"
    "}\n"
)

_WEB_SERVICE_BINDS_VALUES_AFTER_THE_TYPE = (
    '<%@ WebService Language="C#" Class="VisitNotes" %>\n'
    "using System;\n"
    "using System.Data;\n"
    "using System.Web.Services;\n"
    "\n"
    '[WebService(Namespace = "http://clinic.example/")]\n'
    "public class VisitNotes : WebService\n"
    "{\n"
    "    [WebMethod(EnableSession = true)]\n"
    "    public string SaveNote(string noteId, string patientId, string comment)\n"
    "    {\n"
    "        var db = new ClinicDb();\n"
    "        var tx = db.Begin();\n"
    "        var id = 0;\n"
    '        if (noteId == "")\n'
    "        {\n"
    '            string sqlCMD = "INSERT INTO visit_note (Patient_Id, Comment) VALUES (@Patient_Id, @Comment); select @@identity;";\n'
    "            id = Convert.ToInt32(db.ExecuteScalar(tx, sqlCMD, CommandType.Text, new\n"
    "            {\n"
    "                Patient_Id = patientId,\n"
    "                Comment = comment\n"
    "            }));\n"
    "        }\n"
    "        tx.Commit();\n"
    "        return id.ToString();\n"
    "    }\n"
    "}\n"
)

QUIET_PAGES = [
    ("JSDW/project/ProjectCheck.aspx", ".cs", _REPORT_FILLS_A_GRID_FROM_ITS_OWN_STATEMENT),
    ("Region/Reports/PendingBills.aspx", ".cs", _STORED_PROCEDURE_GETS_THE_QUERYS_KEY),
    ("AdministratorUI/PushInvoices.aspx", ".vb", _ERP_POSTS_A_VOUCHER_TO_ITS_ACCOUNTING_SERVER),
    ("UI/DeliveryReport.aspx", ".cs", _CRYSTAL_SELECTION_FORMULA_FROM_A_PICKED_ROW),
    ("Accounting/ApprovedBills.aspx", ".cs", _GRID_EXPORTED_TO_EXCEL_BY_RENDERING),
    ("Pages/Keywords.aspx", ".cs", _PARAMETERISED_POSTGRESQL_SEARCH),
    ("App_Code/ShopService", ".cs", _WEB_SERVICE_HANDS_PARAMETERS_TO_ITS_CLASSES),
    ("Services/VisitNotes", ".asmx", _WEB_SERVICE_BINDS_VALUES_AFTER_THE_TYPE),
]

#: One-line variants of the quiet pages that turn them into what the engine must name (so the quiet tests can
#: fail): (name, extension, the sink that must fire, page).
MUTANTS = [
    (
        "JSDW/project/ProjectCheck-runs-the-querys-statement.aspx",
        ".cs",
        "sql-text",
        _REPORT_FILLS_A_GRID_FROM_ITS_OWN_STATEMENT.replace(
            "using (SqlDataAdapter da = new SqlDataAdapter(sql, con))",
            'using (SqlDataAdapter da = new SqlDataAdapter(Request.QueryString["q"], con))',
        ),
    ),
    (
        "Region/Reports/PendingBills-runs-the-querys-procedure.aspx",
        ".cs",
        "sql-text",
        _STORED_PROCEDURE_GETS_THE_QUERYS_KEY.replace(
            'using (SqlCommand cmd = new SqlCommand("dbo.Pending_Bills_By_Branch", con))',
            "using (SqlCommand cmd = new SqlCommand(district, con))",
        ),
    ),
    (
        "AdministratorUI/PushInvoices-posts-where-the-form-says.aspx",
        ".vb",
        "http-out",
        _ERP_POSTS_A_VOUCHER_TO_ITS_ACCOUNTING_SERVER.replace(
            'Dim request As WebRequest = WebRequest.Create("http://10.20.30.40:9000")',
            'Dim request As WebRequest = WebRequest.Create(Request.Form("server"))',
        ),
    ),
    (
        "UI/DeliveryReport-sends-the-file-the-query-names.aspx",
        ".cs",
        "file-read",
        _CRYSTAL_SELECTION_FORMULA_FROM_A_PICKED_ROW.replace(
            'Session["SelectionFormula"] = formula;',
            'Response.WriteFile(Server.MapPath(Request.QueryString["rpt"]));',
        ),
    ),
    (
        "Accounting/ApprovedBills-sends-the-file-the-query-names.aspx",
        ".cs",
        "file-read",
        _GRID_EXPORTED_TO_EXCEL_BY_RENDERING.replace(
            "Response.Write(text.ToString());",
            'Response.WriteFile(Request.QueryString["file"]);',
        ),
    ),
    (
        "Pages/Keywords-runs-the-search-box.aspx",
        ".cs",
        "sql-text",
        _PARAMETERISED_POSTGRESQL_SEARCH.replace(
            "using (NpgsqlCommand cmd = new NpgsqlCommand(sql, con))",
            "using (NpgsqlCommand cmd = new NpgsqlCommand(tbSearch.Text, con))",
        ),
    ),
    (
        "App_Code/ShopService-runs-the-callers-query",
        ".cs",
        "sql-text",
        _WEB_SERVICE_HANDS_PARAMETERS_TO_ITS_CLASSES.replace(
            "return new UserAccounts().IsEmailAvailable(email);",
            "return new System.Data.SqlClient.SqlCommand(email, Db.Open()).ExecuteScalar() != null;",
        ),
    ),
    (
        "Services/VisitNotes-runs-the-callers-text",
        ".asmx",
        "sql-text",
        _WEB_SERVICE_BINDS_VALUES_AFTER_THE_TYPE.replace(
            "db.ExecuteScalar(tx, sqlCMD, CommandType.Text, new",
            "db.ExecuteScalar(tx, CommandType.Text, comment, new",
        ),
    ),
]

test_big_page_shape_raises_no_finding = quiet_pages_test(QUIET_PAGES)
test_one_line_variant_of_a_quiet_big_page_is_found = sink_found_test(MUTANTS)
test_mutants_change_one_line_each = variants_differ_test(QUIET_PAGES, MUTANTS)
