"""Ordinary pages of unseen benign applications, kept silent (issue 14, helper B6).

The benign set of session 12 (``/tmp/benign20``, never in the project; BENCHMARKS.md, "False positives on
unseen benign applications VI") is a seeded uniform sample of the server files of four applications none of the
earlier benign sets used: the module controls of a CMS platform, the sample site of an AJAX control toolkit, a
wiki engine's web application and a portal's shop add-on. No file of it raised a finding on first sight, own
rules or signature-base, so no rule or engine change came from it.

The pages below are written for these tests (no line is copied from the applications) in the shapes of the
set's files that sit closest to a shell: a file-download page that takes the file name from the request but
hands it to a storage provider behind a permission check, a web.config that turns request validation and the
view-state MAC off and declares the C#/VB compilers, a payment-notification handler that deserializes a cart
from its own stored log record, a provider-settings page that saves a typed configuration string through the
plugin loader and prints a provider's assembly name, a sample page that stores posted keys in the in-memory
application settings, and a module control with an inline ``Request.IsAuthenticated`` block. They must raise
no finding at all (YARA or behaviour). Nothing is compiled or run.

Two more applications were added later the same session (a portal's pages and controls, a blog engine's controls
and configuration: silent too), with their shapes below the first six: a page compiled from its ``Src`` file, an
admin control that loads the assemblies in ``bin`` to list editor plugins, an editor factory creating the
configured type, a web.config with debug compilation, detailed errors, 2.0 request validation and a trace file, a
comment box that remembers the commenter in a cookie and mails the owner, and a profile editor that writes the
signed-in user's own page; from a later batch of the portal's code files (silent too), a search helper that
loads each searchable module's assembly from ``bin`` by its stored name and asks it for its query by reflection, and
its forum's editor host that loads a fixed editor DLL from ``bin`` beside the requested page; and
from two ports of a WebForms shop tutorial (VB and C#, silent), a VB sign-in control that hands the posted provider
name to an external-login challenge.
``SAME_NAME_LOCALS`` is the one shape of the set's hard-negative files (admin and upload code-behinds too large for
the sample) that the engine flagged on first sight (ee63c18); A5 scoped locals to their method in cdf0769, and it is
asserted silent here since.
"""

from __future__ import annotations

from .rule_tables import Page, quiet_pages_test

#: Benign pages of the set's closest shapes: no YARA rule and no behaviour sink may fire on them.
QUIET_PAGES: list[Page] = [
    (
        "attachment-download-through-a-storage-provider",
        ".aspx.cs",
        "using System;\nusing System.IO;\nusing System.Web.UI;\n"
        "public partial class Attachment : Page {\n"
        "    protected void Page_Load(object sender, EventArgs e) {\n"
        '        string wanted = Request["File"];\n'
        "        if (wanted == null) { Response.StatusCode = 404; return; }\n"
        '        wanted = wanted.Replace("..", "");\n'
        '        IStorage store = Storages.Find(Request["Store"]);\n'
        "        if (store == null || !Permissions.MayDownload(store, wanted)) { Response.StatusCode = 401; return; }\n"
        "        Response.Clear();\n"
        '        Response.AddHeader("content-disposition", "inline;filename=\\"" + Path.GetFileName(wanted) + "\\"");\n'
        "        if (!store.CopyTo(wanted, Response.OutputStream)) { Response.StatusCode = 404; }\n"
        "    }\n}\n",
    ),
    (
        "web-config-with-validation-and-mac-off",
        ".config",
        '<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <system.web>\n'
        '    <compilation debug="true" targetFramework="4.8" />\n'
        '    <pages validateRequest="false" enableViewStateMac="false" clientIDMode="AutoID">\n'
        '      <namespaces><add namespace="System.Web.Routing" /></namespaces>\n'
        "    </pages>\n  </system.web>\n  <system.codedom>\n    <compilers>\n"
        '      <compiler language="c#;cs;csharp" extension=".cs" warningLevel="4" '
        'type="Microsoft.CodeDom.Providers.DotNetCompilerPlatform.CSharpCodeProvider, '
        'Microsoft.CodeDom.Providers.DotNetCompilerPlatform" />\n'
        '      <compiler language="vb;vbs;visualbasic;vbscript" extension=".vb" warningLevel="4" '
        'type="Microsoft.CodeDom.Providers.DotNetCompilerPlatform.VBCodeProvider, '
        'Microsoft.CodeDom.Providers.DotNetCompilerPlatform" />\n'
        "    </compilers>\n  </system.codedom>\n</configuration>\n",
    ),
    (
        "App_Code/payment-notice-restores-its-own-cart",
        ".cs",
        "using System.Collections.Specialized;\n"
        "public class ShopPaymentNotice : PaymentNoticeHandler {\n"
        "    public override bool Handle(string txn, NameValueCollection form, NoticeLog saved) {\n"
        "        if (saved.Payload.Length == 0) { return false; }\n"
        "        Basket basket = (Basket)XmlText.FromString(typeof(Basket), saved.Payload);\n"
        '        string status = form["payment_status"] ?? string.Empty;\n'
        '        string payer = form["payer_email"] ?? string.Empty;\n'
        "        var entry = new NoticeLog { Payload = saved.Payload, Raw = form.ToString(), Status = status };\n"
        "        entry.Save();\n"
        "        basket.Customer.Email = payer;\n"
        '        Orders.Create(basket, txn, status == "Completed");\n'
        "        return true;\n    }\n}\n",
    ),
    (
        "provider-settings-saved-through-the-plugin-loader",
        ".aspx.cs",
        "using System;\nusing System.Web.UI;\n"
        "public partial class ProviderSettings : Page {\n"
        "    protected void Page_Load(object sender, EventArgs e) {\n"
        '        if (!Admins.CanManageProviders(User.Identity.Name)) { Response.Redirect("Denied.aspx"); }\n'
        "    }\n"
        "    protected void OnSelect(object sender, EventArgs e) {\n"
        "        IPlugin plugin = Plugins.Find(hidCurrent.Value);\n"
        "        string asm = plugin.GetType().Assembly.FullName;\n"
        '        lblDll.Text = asm.Substring(0, asm.IndexOf(",")) + ".dll";\n'
        "        txtConfig.Text = PluginLoader.ReadSettings(plugin.GetType().FullName);\n"
        "    }\n"
        "    protected void OnSave(object sender, EventArgs e) {\n"
        "        string error;\n"
        "        if (!PluginLoader.TrySaveSettings(hidCurrent.Value, txtConfig.Text, out error)) {\n"
        '            lblResult.Text = "Rejected: " + error;\n        }\n    }\n}\n',
    ),
    (
        "sample-keys-kept-in-application-settings",
        ".aspx.cs",
        "using System;\nusing System.Configuration;\nusing System.Web.UI;\n"
        "public partial class FeedSample : Page {\n"
        "    protected void Page_Load(object sender, EventArgs e) {\n"
        "        if (IsPostBack) {\n"
        '            ConfigurationManager.AppSettings.Set("demo:FeedToken", FeedToken.Text);\n'
        '            ConfigurationManager.AppSettings.Set("demo:FeedSecret", FeedSecret.Text);\n'
        "        }\n"
        '        bool ready = !string.IsNullOrEmpty(ConfigurationManager.AppSettings["demo:FeedToken"]);\n'
        "        MissingKeys.Visible = !ready;\n        Demo.Visible = ready;\n    }\n}\n",
    ),
    (
        "module-control-with-an-inline-signed-in-block",
        ".ascx",
        '<%@ Control Language="C#" AutoEventWireup="true" Inherits="Modules.Groups.GroupCard" %>\n'
        '<asp:Literal ID="litCard" runat="server" />\n'
        "<% if (Request.IsAuthenticated) { %>\n"
        '<script type="text/javascript">\n'
        "  jQuery(function ($) {\n"
        "    var sf = $.ServicesFramework(<%= ModuleId %>);\n"
        "    $('#join-<%= GroupId %>').click(function (ev) {\n"
        "      ev.preventDefault();\n"
        "      $.ajax({ type: 'POST', url: sf.getServiceRoot('Groups') + 'Membership/Join',\n"
        "               beforeSend: sf.setModuleHeaders, data: { roleId: <%= GroupId %> } });\n"
        "    });\n  });\n</script>\n<% } %>\n",
    ),
    (
        "page-compiled-from-its-src-file",
        ".aspx",
        '<%@ Page Src="Home.aspx.cs" SmartNavigation="False" Language="c#" AutoEventWireup="false" '
        'Inherits="Portal.Home" Culture="Auto:en-US" UICulture="Auto:en-US" %>',
    ),
    (
        "settings-control-lists-editor-plugins-in-bin",
        ".ascx.cs",
        "using System;\nusing System.IO;\nusing System.Reflection;\nusing System.Web;\nusing System.Web.UI;\n"
        "using System.Web.UI.WebControls;\n"
        "public partial class SettingsBox : UserControl {\n"
        "    protected void Page_Load(object sender, EventArgs e) {\n"
        '        if (!Roles.IsUserInRole("admin")) { Response.Redirect("~/denied.aspx"); }\n'
        "        if (IsPostBack) { return; }\n"
        "        editorList.Items.Clear();\n"
        '        foreach (string dll in Directory.GetFiles(HttpRuntime.BinDirectory, "*.dll")) {\n'
        "            try {\n"
        "                Assembly asm = Assembly.LoadFrom(dll);\n"
        "                foreach (Type t in asm.GetTypes()) {\n"
        "                    if (t.BaseType == typeof(EditorAdapter)) {\n"
        "                        editorList.Items.Add(new ListItem(t.Name, t.AssemblyQualifiedName));\n"
        "                    }\n                }\n            } catch (Exception) { }\n        }\n"
        "        ListItem current = editorList.Items.FindByValue(SiteSettings.Current.EditorType);\n"
        "        if (current != null) { current.Selected = true; }\n"
        "    }\n"
        "    protected void save_Click(object sender, EventArgs e) {\n"
        "        SiteSettings settings = SiteSettings.Current;\n"
        "        settings.EditorType = editorList.SelectedValue;\n"
        "        SiteSettings.Save(settings);\n    }\n}\n",
    ),
    (
        "App_Code/editor-factory-from-the-configured-type",
        ".cs",
        "using System;\nusing System.Web;\n"
        "public static class EditorFactory {\n"
        "    public static EditorAdapter Create() {\n"
        "        string name = SiteSettings.Current.EditorType;\n"
        "        Type type = null;\n"
        "        if (!string.IsNullOrEmpty(name)) {\n"
        "            try { type = Type.GetType(name, true, true); }\n"
        '            catch (Exception ex) { EventLog.Add("editor type " + name + ": " + ex.Message, '
        "HttpContext.Current.Request.Url.ToString()); }\n"
        "        }\n"
        "        if (type != null) {\n"
        "            try { return (EditorAdapter)Activator.CreateInstance(type); }\n"
        '            catch (Exception ex) { EventLog.Add("editor " + type.FullName + ": " + ex.Message, '
        "HttpContext.Current.Request.Url.ToString()); }\n"
        "        }\n"
        "        return new PlainTextAdapter();\n    }\n}\n",
    ),
    (
        "web-config-debug-errors-off-and-a-trace-file",
        ".config",
        '<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <system.diagnostics>\n'
        '    <trace autoflush="true" indentsize="4">\n      <listeners>\n'
        '        <add name="fileLog" type="System.Diagnostics.TextWriterTraceListener" initializeData="signin-trace.txt" />\n'
        "      </listeners>\n    </trace>\n  </system.diagnostics>\n  <system.web>\n"
        '    <compilation defaultLanguage="c#" debug="true" targetFramework="4.5" />\n'
        '    <customErrors mode="Off" />\n'
        '    <httpRuntime useFullyQualifiedRedirectUrl="true" requestValidationMode="2.0" />\n'
        '    <trace enabled="false" requestLimit="500" pageOutput="false" localOnly="false" />\n'
        '    <sessionState mode="InProc" sqlConnectionString="data source=127.0.0.1;user id=sa;password=" timeout="20" />\n'
        "    <httpHandlers>\n"
        '      <add verb="GET" path="captcha.ashx" type="Blog.Web.CaptchaHandler, Blog.Web" />\n'
        '      <add verb="*" path="*.template" type="System.Web.HttpForbiddenHandler" />\n'
        "    </httpHandlers>\n  </system.web>\n</configuration>\n",
    ),
    (
        "comment-box-remembers-the-commenter",
        ".ascx.cs",
        "using System;\nusing System.Net;\nusing System.Net.Mail;\nusing System.Text;\nusing System.Web;\n"
        "using System.Web.UI;\n"
        "public partial class CommentBox : UserControl {\n"
        "    protected void Page_Load(object sender, EventArgs e) {\n"
        '        if (!IsPostBack && Request.Cookies["commenter"] != null) {\n'
        '            string who = HttpUtility.UrlDecode(Request.Cookies["commenter"].Value, Encoding.UTF8);\n'
        "            authorBox.Text = who.Substring(0, Math.Min(40, who.Length));\n"
        "        }\n    }\n"
        "    protected void post_Click(object sender, EventArgs e) {\n"
        '        HttpCookie remembered = new HttpCookie("commenter", HttpUtility.UrlEncode(authorBox.Text, Encoding.UTF8));\n'
        "        remembered.Expires = DateTime.Now.AddYears(1);\n"
        "        Response.Cookies.Add(remembered);\n"
        "        MailMessage note = new MailMessage();\n"
        "        note.To.Add(BlogSettings.Current.OwnerEmail);\n"
        '        note.Subject = "New comment by " + HttpUtility.HtmlEncode(authorBox.Text);\n'
        "        note.Body = HttpUtility.HtmlEncode(commentBox.Text);\n"
        "        IPHostEntry host = Dns.GetHostEntry(Dns.GetHostName());\n"
        "        if (host.AddressList.Length > 0) {\n"
        '            note.Headers.Add("X-Originating-IP", host.AddressList[0].ToString());\n'
        "        }\n"
        "        Comments.Add(authorBox.Text, commentBox.Text, Request.UserHostAddress, note);\n    }\n}\n",
    ),
    (
        "profile-editor-saves-the-signed-in-users-page",
        ".ascx.cs",
        "using System;\nusing System.IO;\nusing System.Web.UI;\n"
        "public partial class ProfileBox : UserControl {\n"
        "    string ProfileFile() {\n"
        '        return Server.MapPath(Path.Combine("~/profiles", Context.User.Identity.Name + ".html"));\n'
        "    }\n"
        "    protected void Page_Load(object sender, EventArgs e) {\n"
        '        if (!Context.User.Identity.IsAuthenticated) { Response.Redirect("~/login.aspx"); }\n'
        "        if (!IsPostBack && File.Exists(ProfileFile())) { profileText.Text = File.ReadAllText(ProfileFile()); }\n"
        "    }\n"
        "    protected void save_Click(object sender, EventArgs e) {\n"
        "        using (StreamWriter writer = new StreamWriter(ProfileFile())) {\n"
        "            writer.Write(profileText.Text);\n        }\n    }\n}\n",
    ),
    (
        "App_Code/search-helper-asks-each-module-by-reflection",
        ".cs",
        "using System;\nusing System.Collections;\nusing System.Reflection;\nusing System.Text;\nusing System.Web;\n"
        "public static class SiteSearch {\n"
        "    public static string BuildQuery(int siteId, string words) {\n"
        "        StringBuilder sql = new StringBuilder();\n"
        "        foreach (ModuleRow row in ModuleStore.Searchable(siteId)) {\n"
        '            string dll = HttpContext.Current.Server.MapPath("~/bin/" + row.AssemblyFile);\n'
        "            Assembly asm = Assembly.LoadFrom(dll);\n"
        "            object module = asm.CreateInstance(row.TypeName);\n"
        "            if (module == null) { continue; }\n"
        '            object[] args = new object[] { siteId, words.Replace("\'", "\'\'") };\n'
        '            string part = (string)module.GetType().InvokeMember("SearchSelect", '
        "BindingFlags.InvokeMethod, null, module, args);\n"
        '            if (!string.IsNullOrEmpty(part)) { if (sql.Length > 0) { sql.Append(" UNION "); } sql.Append(part); }\n'
        "        }\n"
        "        return sql.ToString();\n    }\n}\n",
    ),
    (
        "vb-sign-in-control-hands-the-posted-provider-to-a-challenge",
        ".ascx.vb",
        "Imports System\nImports System.Globalization\nImports System.Web\n"
        "Partial Public Class ExternalSignIn\n"
        "    Inherits System.Web.UI.UserControl\n"
        "    Public Property ReturnTo As String\n"
        "    Protected Sub Page_Load(sender As Object, e As EventArgs) Handles Me.Load\n"
        "        If Not IsPostBack Then Return\n"
        '        Dim chosen = Request.Form("signin_with")\n'
        "        If chosen Is Nothing Then Return\n"
        "        Dim back As String = ResolveUrl(String.Format(CultureInfo.InvariantCulture, "
        '"~/Account/Linked?by={0}&next={1}", chosen, ReturnTo))\n'
        "        Dim props = New ChallengeProperties() With {.RedirectUri = back}\n"
        "        If Context.User.Identity.IsAuthenticated Then\n"
        '            props.Items("link_user") = Context.User.Identity.Name\n'
        "        End If\n"
        "        SignInGateway.Challenge(Context, props, chosen)\n"
        "        Response.StatusCode = 401\n"
        "        Response.End()\n"
        "    End Sub\n"
        "End Class\n",
    ),
    (
        "App_Code/rich-editor-loads-a-fixed-dll-beside-the-page",
        ".cs",
        "using System;\nusing System.Reflection;\nusing System.Web;\nusing System.Web.UI;\n"
        "public class RichEditorHost : Control {\n"
        "    protected Control inner;\n"
        "    protected bool ready;\n"
        "    public RichEditorHost(string dllName, string typeName) {\n"
        "        string here = HttpContext.Current.Request.PhysicalPath;\n"
        '        string folder = here.Substring(0, here.LastIndexOf("/") + 1);\n'
        '        string dll = HttpContext.Current.Server.MapPath(folder + "bin\\\\" + dllName);\n'
        "        try {\n"
        "            Assembly asm = Assembly.LoadFrom(dll);\n"
        "            foreach (Type t in asm.GetTypes()) {\n"
        "                if (t.FullName == typeName) { inner = (Control)Activator.CreateInstance(t); ready = true; }\n"
        "            }\n"
        "        } catch (Exception) { ready = false; }\n"
        "    }\n"
        "}\n"
        "public class PageEditor : RichEditorHost {\n"
        '    public PageEditor() : base("Vendor.RichText.dll", "Vendor.RichText.Editor") { }\n'
        "}\n",
    ),
]


#: An editor control whose entry (a local of the save handler) takes a posted title, while another method keeps a
#: differently loaded local of the same name in the control's state, whose id names an attachment folder it
#: removes. The posted title never reaches the folder: ``note`` of the save handler and ``note`` of Page_Load are
#: two variables. First sight (ee63c18) flagged it (file-write, via note, CurrentNote), as it flagged dasBlog's entry
#: editor of the hard-negative set; asked of A5 (/work/notes/to_a5.md, B6 20:50), served in cdf0769: silent since.
SAME_NAME_LOCALS: list[Page] = [
    (
        "editor-keeps-a-same-named-local-in-its-state",
        ".ascx.cs",
        "using System;\nusing System.IO;\nusing System.Web.UI;\n"
        "public partial class EditNoteBox : UserControl {\n"
        '    public Note CurrentNote { get { return (Note)ViewState["Note"]; } set { ViewState["Note"] = value; } }\n'
        "    protected void Page_Load(object sender, EventArgs e) {\n"
        "        if (!IsPostBack) {\n"
        "            Note note = NoteStore.Load(NoteStore.SelectedId);\n"
        "            if (note != null) { CurrentNote = note; }\n"
        "        }\n    }\n"
        "    protected void save_Click(object sender, EventArgs e) {\n"
        "        Note note;\n"
        "        if (CurrentNote == null) { note = new Note(); } else { note = CurrentNote; }\n"
        "        note.Title = noteTitle.Text;\n"
        "        NoteStore.Save(note);\n    }\n"
        "    private void RemoveAttachmentFolder() {\n"
        "        if (CurrentNote != null) {\n"
        "            DirectoryInfo folder = new DirectoryInfo(NoteStore.MapPath(Path.Combine(NoteStore.BinariesDir, "
        "CurrentNote.NoteId)));\n"
        "            if (folder.Exists) { folder.Delete(true); }\n"
        "        }\n    }\n}\n",
    ),
]


test_benign_shape_raises_no_finding = quiet_pages_test(QUIET_PAGES)
test_same_named_locals_of_two_methods_raise_no_finding = quiet_pages_test(SAME_NAME_LOCALS)
