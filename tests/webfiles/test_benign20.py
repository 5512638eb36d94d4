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
]


test_benign_shape_raises_no_finding = quiet_pages_test(QUIET_PAGES)
