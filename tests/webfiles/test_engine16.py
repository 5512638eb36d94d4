"""Behaviour engine, session 16 (issue 14, A9).

Each group below is a request or a left-over of session 15 (BENCHMARKS.md "Behaviour engine, session 16"):
harmless reproductions of a shape that must be found, and ordinary pages of the same make that stay silent.
The pages were written for these tests: nothing is compiled or run, names, files and hosts are placeholders,
and none is a copy of a real shell.
"""

from __future__ import annotations

import time

import pytest

from extriage.detections.webfiles import behaviour
from extriage.detections.webfiles.behaviour.inline import MAX_TEXT, inline_helpers

from .rule_tables import Page
from .rule_tables import sinks_of as _sinks

# --- one-line helpers written out at their call sites (X34's request, session 15) ---------------------------------
# An uploader reaching the request's files and its output stream only through helpers whose whole body returns one
# expression: the save is read where it is called (upload beside the page), as when written there.

_CS_HEAD = '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.IO" %>\n<script runat="server">\n'
_CS_BODY = (
    "        var f = Posted()[0];\n        byte[] b = new byte[f.ContentLength];\n"
    "        f.InputStream.Read(b, 0, b.Length);\n"
)
HELPERS_FOUND: list[Page] = [
    (
        "helpers-with-block-bodies",
        ".aspx",
        _CS_HEAD + "    NameValueCollection Args() { return Request.Params; }\n"
        "    HttpFileCollection Posted() { return Request.Files; }\n"
        "    FileStream Open(string p) { return new FileStream(p, FileMode.Create); }\n"
        "    string Join(string a, string b) { return Path.Combine(a, b); }\n"
        "    protected void Page_Load(object s, EventArgs e)\n    {\n"
        '        if (Args()["k"] != "placeholder" || Posted().Count != 1) return;\n' + _CS_BODY
        + "        string dir = new FileInfo(Request.PhysicalPath).DirectoryName;\n"
        "        using (var o = Open(Join(dir, Path.GetFileName(f.FileName)))) o.Write(b, 0, b.Length);\n"
        "    }\n</script>\n",
    ),
    (
        "expression-bodied-helpers",
        ".aspx",
        _CS_HEAD + "    HttpFileCollection Posted() => Request.Files;\n"
        "    FileStream Open(string p) => new FileStream(p, FileMode.Create);\n"
        "    string Here() => new FileInfo(Request.PhysicalPath).DirectoryName;\n"
        "    protected void Page_Load(object s, EventArgs e)\n    {\n" + _CS_BODY
        + "        using (var o = Open(Path.Combine(Here(), Path.GetFileName(f.FileName)))) o.Write(b, 0, b.Length);\n"
        "    }\n</script>\n",
    ),
    (
        "vb-functions-returning-one-expression",
        ".aspx",
        '<%@ Page Language="VB" %>\n<%@ Import Namespace="System.IO" %>\n<script runat="server">\n'
        "    Function Posted() As HttpFileCollection\n        Return Request.Files\n    End Function\n"
        "    Function OpenOut(ByVal p As String) As FileStream\n        Return New FileStream(p, FileMode.Create)\n"
        "    End Function\n"
        "    Function JoinPath(ByVal a As String, ByVal b As String) As String\n        Return Path.Combine(a, b)\n"
        "    End Function\n"
        "    Sub Page_Load(ByVal s As Object, ByVal e As EventArgs)\n"
        "        Dim f As HttpPostedFile = Posted()(0)\n        Dim b(f.ContentLength - 1) As Byte\n"
        "        f.InputStream.Read(b, 0, b.Length)\n"
        "        Dim dir As String = New FileInfo(Request.PhysicalPath).DirectoryName\n"
        "        Using o As FileStream = OpenOut(JoinPath(dir, Path.GetFileName(f.FileName)))\n"
        "            o.Write(b, 0, b.Length)\n        End Using\n    End Sub\n</script>\n",
    ),
]
HELPERS_QUIET: list[Page] = [
    (
        "upload-stored-under-a-configured-folder-by-a-new-name",
        ".aspx",
        _CS_HEAD + "    HttpFileCollection Posted() { return Request.Files; }\n"
        "    FileStream Open(string p) { return new FileStream(p, FileMode.Create); }\n"
        '    string Store(string name) { return Path.Combine(ConfigurationManager.AppSettings["Attachments"], name); }\n'
        "    protected void Page_Load(object s, EventArgs e)\n    {\n" + _CS_BODY
        + '        using (var o = Open(Store(Guid.NewGuid().ToString("N") + ".dat"))) o.Write(b, 0, b.Length);\n'
        '        Saved.Text = "saved";\n    }\n</script>\n<asp:Label ID="Saved" runat="server" />\n',
    ),
    (
        "query-helpers-of-a-search-page",
        ".aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        '    string Arg(string k) { return Request.QueryString[k] ?? ""; }\n'
        '    int PageNo() { return Convert.ToInt32(Arg("page")); }\n'
        "    string Title(string t) { return Server.HtmlEncode(t); }\n"
        "    protected void Page_Load(object s, EventArgs e)\n    {\n"
        '        Heading.Text = Title(Arg("q"));\n        Results.DataSource = Find(Arg("q"), PageNo());\n'
        "        Results.DataBind();\n    }\n"
        "    System.Data.DataTable Find(string q, int page)\n    {\n"
        '        using (var c = new System.Data.SqlClient.SqlConnection(ConfigurationManager.ConnectionStrings["db"].ConnectionString))\n'
        "        {\n"
        '            var cmd = new System.Data.SqlClient.SqlCommand("select * from items where name like @q", c);\n'
        '            cmd.Parameters.AddWithValue("@q", "%" + q + "%");\n'
        "            var t = new System.Data.DataTable(); new System.Data.SqlClient.SqlDataAdapter(cmd).Fill(t); return t;\n"
        "        }\n    }\n</script>\n",
    ),
    (
        "stream-helper-on-the-site-own-log",
        ".aspx",
        _CS_HEAD + "    FileStream Open(string p) { return new FileStream(p, FileMode.Append); }\n"
        '    string Log() { return Server.MapPath("~/App_Data/visits.log"); }\n'
        "    protected void Page_Load(object s, EventArgs e)\n    {\n"
        "        using (var o = Open(Log()))\n        {\n"
        "            var line = Encoding.UTF8.GetBytes(DateTime.UtcNow.ToString(\"o\") + Environment.NewLine);\n"
        "            o.Write(line, 0, line.Length);\n        }\n    }\n</script>\n",
    ),
]


@pytest.mark.parametrize(("case", "ext", "page"), HELPERS_FOUND, ids=[c[0] for c in HELPERS_FOUND])
def test_upload_through_one_line_helpers_is_named(case: str, ext: str, page: str) -> None:
    assert "upload-beside-page" in _sinks(page, ext), case


@pytest.mark.parametrize(("case", "ext", "page"), HELPERS_QUIET, ids=[c[0] for c in HELPERS_QUIET])
def test_ordinary_one_line_helpers_stay_silent(case: str, ext: str, page: str) -> None:
    assert _sinks(page, ext) == set(), case


def test_helper_given_only_literals_is_left_as_the_page_function() -> None:
    # a decoder of a scrambled literal keeps its call (eval-decoder-call names the page's function given a literal)
    page = (
        '<%\nFunction Unscramble(s)\nUnscramble = Replace(StrReverse(s), "~", """")\nEnd Function\n'
        'Execute Unscramble(")~x~(tseuqer lave")\n%>\n'
    )
    assert "eval-decoder-call" in _sinks(page, ".asp")
    code = 'Function F(a)\nF = StrReverse(a)\nEnd Function\nx = F("abc(")\ny = F(Request("q"))\n'
    out = inline_helpers(code, "vb")
    assert 'x = F("abc(")' in out and 'y = StrReverse(Request("q"))' in out


def test_inlining_keeps_lines_and_definitions() -> None:
    code = (
        "string A(string p) { return B(p) + \".x\"; }\nstring B(string q) => q.Trim();\n"
        'void Run() {\n  var v = A(Request["v"]);\n  var w = A(\n    Request["w"]);\n  var n = new A(z);\n'
        '  var s = "A(z)";\n}\n'
    )
    out = inline_helpers(code, "cs")
    assert out.count("\n") == code.count("\n")
    assert out.splitlines()[:2] == code.splitlines()[:2]  # the definitions as written
    assert 'var v = (Request["v"].Trim() + ".x");' in out
    assert "var w = A(\n" in out  # a call over two lines stays
    assert "new A(z)" in out and '"A(z)"' in out  # a constructor, a literal


def test_overloads_of_one_arity_and_defaults_are_not_written_out() -> None:
    code = (
        "string Get(string k) { return Request[k]; }\nstring Get(int i) { return Items[i]; }\n"
        'string Opt(string k = "a") { return Request[k]; }\nvoid Run() { x = Get(y); z = Opt(y); }\n'
    )
    assert inline_helpers(code, "cs") == code


# --- hostile pages: the inliner stays bounded (a page of 10,000 helpers calling each other) -----------------------


def _page(helpers: str, call: str) -> bytes:
    return (
        '<%@ Page Language="C#" %>\n<script runat="server">\n' + helpers
        + "protected void Page_Load(object s, EventArgs e) { System.Diagnostics.Process.Start(" + call + "); }\n"
        "</script>\n"
    ).encode()


@pytest.mark.parametrize("fan", [1, 3], ids=["chain", "fan-out-of-three"])
def test_ten_thousand_helpers_calling_each_other_are_bounded(fan: int) -> None:
    calls = " + ".join(["h{n}(a)"] * fan)
    helpers = "".join(
        f"string h{i}(string a) {{ return {calls.format(n=i + 1)}; }}\n" for i in range(10_000)
    )
    code = helpers + 'void Run() { x = h0(Request["c"]); }\n'
    t0 = time.thread_time()
    out = inline_helpers(code, "cs")
    elapsed = time.thread_time() - t0
    assert elapsed < 1.0
    assert out.count("\n") == code.count("\n")
    assert len(out) - len(code) <= MAX_TEXT
    t0 = time.thread_time()
    result = behaviour.analyse(_page(helpers, 'h0(Request["c"])'), ".aspx", budget=10.0)
    assert time.thread_time() - t0 < 10.0
    assert result.problem is None and "process" in {h["sink"] for h in result.hits}


def test_many_call_sites_are_bounded() -> None:
    sites = "".join(f'x{i} = J(Request["c{i}"], J(y, J(z, w)));\n' for i in range(20_000))
    code = "string J(string a, string b) { return a + b; }\nvoid Run() {\n" + sites + "}\n"
    t0 = time.thread_time()
    out = inline_helpers(code, "cs")
    assert time.thread_time() - t0 < 1.0
    assert out.count("\n") == code.count("\n")
    assert 'x0 = (Request["c0"] + (y + (z + w)));' in out
    assert f'x{19_999} = J(Request["c{19_999}"]' in out  # past the sites' bound: left as written


# --- a control's text named inside a literal is no posted value (B14's request, session 16) -----------------------
# An IronRuby page runs fixed script text that sets ``page.Notice.Text``: the ``.Text`` is inside the literal.

_ENGINE = (
    "using System;\nusing Microsoft.Scripting.Hosting;\n\npublic partial class Greeting : System.Web.UI.Page\n{\n"
    "    protected void Page_Load(object sender, EventArgs e)\n    {\n"
    "        var runtime = ScriptRuntime.CreateFromConfiguration();\n"
    '        var engine = runtime.GetEngine("IronRuby");\n        var scope = engine.CreateScope();\n'
)


def test_control_text_inside_script_literal_is_silent() -> None:
    page = _ENGINE + (
        '        scope.SetVariable("page", this);\n'
        "        engine.Execute(\"page.Notice.Text = 'Hi from the script'\", scope);\n    }\n}\n"
    )
    assert _sinks(page, ".cs") == set()


@pytest.mark.parametrize(
    "run",
    [
        "engine.Execute(txtScript.Text, scope);",
        'engine.Execute("puts " + txtScript.Text, scope);',
        'var src = txtScript.Text; engine.Execute(src + "\\n", scope);',
    ],
)
def test_posted_script_text_is_still_named(run: str) -> None:
    page = _ENGINE + "        " + run + "\n    }\n}\n"
    assert "script-engine" in _sinks(page, ".cs"), run


# --- payload classes that never read Request (left-over b, X32's misses, session 15) ------------------------------
# .NET Remoting: the public methods of a MarshalByRefObject the code registers as a well-known service take what a
# remote client sends (X32's RemotingUriShell); a request taken by reflection from an object handed over.

_REMOTING = (
    "using System;\nusing System.Diagnostics;\nusing System.Runtime.Remoting;\n\npublic class Installer\n{\n"
    "    public Installer()\n    {\n"
    '        RemotingConfiguration.RegisterWellKnownServiceType(typeof(Svc), "svc", WellKnownObjectMode.Singleton);\n'
    "    }\n    public class Svc : MarshalByRefObject\n    {\n{methods}    }\n}\n"
)
REMOTING_FOUND = [
    "        public string Run(string line) { return Installer.Run(line); }\n    }\n"
    '    static string Run(string line)\n    {\n        var psi = new ProcessStartInfo("cmd.exe", "/c " + line);\n'
    "        return Process.Start(psi).StandardOutput.ReadToEnd();\n",
    '        public void Save(string path, string text) { System.IO.File.WriteAllText(path, text); }\n',
]
REMOTING_QUIET = [
    # a remoting calculator and a record lookup with a parameterised query
    "        public int Add(int a, int b) { return a + b; }\n"
    "        public string Name(string id)\n        {\n"
    '            var c = new System.Data.SqlClient.SqlCommand("select name from items where id = @id");\n'
    '            c.Parameters.AddWithValue("@id", id);\n            return (string)c.ExecuteScalar();\n        }\n',
]


@pytest.mark.parametrize("methods", REMOTING_FOUND, ids=["command-service", "file-service"])
def test_remoting_service_parameters_are_request_input(methods: str) -> None:
    page = _REMOTING.replace("{methods}", methods)
    assert _sinks(page, ".cs") & {"process", "file-write", "file-write-content"}, methods
    # the same class not exposed (no registration): an ordinary MarshalByRefObject helper stays silent
    assert _sinks(page.replace("RegisterWellKnownServiceType", "IsWellKnownClientType"), ".cs") == set()


@pytest.mark.parametrize("methods", REMOTING_QUIET, ids=["calculator-and-lookup"])
def test_ordinary_remoting_service_is_silent(methods: str) -> None:
    assert _sinks(_REMOTING.replace("{methods}", methods), ".cs") == set()


def test_request_taken_by_reflection_from_a_handed_object_is_named() -> None:
    page = (
        "using System;\nusing System.Diagnostics;\npublic class P\n{\n    public override bool Equals(object obj)\n    {\n"
        '        object req = obj.GetType().GetProperty("Request").GetValue(obj, null);\n'
        '        object form = req.GetType().GetProperty("Form").GetValue(req, null);\n'
        '        string c = (string)form.GetType().GetProperty("Item", new[] { typeof(string) }).GetValue(form, new object[] { "c" });\n'
        '        Process.Start("cmd.exe", "/c " + c);\n        return true;\n    }\n}\n'
    )
    assert "process" in _sinks(page, ".cs")
    # a property of another name read by reflection (an options object's Timeout) is no request
    quiet = page.replace('"Request"', '"Options"').replace('"Form"', '"Timeout"')
    assert _sinks(quiet, ".cs") == set()


# --- a reader over a stream of memory or a cipher is no file read (B15's request, session 16) ---------------------
# An App_Code helper decrypts a cookie value in memory: MemoryStream -> CryptoStream -> StreamReader(cs).ReadToEnd().

_COOKIE = (
    "using System;\nusing System.IO;\nusing System.Security.Cryptography;\nusing System.Web;\n\npublic class Prefs\n{\n"
    "    public string Value = \"\";\n    public Prefs()\n    {\n"
    '        HttpCookie c = HttpContext.Current.Request.Cookies["prefs"];\n'
    '        if (c != null) Value = Open(c["v"]);\n    }\n'
)


@pytest.mark.parametrize(
    "reader",
    [
        "using (MemoryStream ms = new MemoryStream(data))\n"
        "        using (CryptoStream cs = new CryptoStream(ms, aes.CreateDecryptor(), CryptoStreamMode.Read))\n"
        "        using (StreamReader sr = new StreamReader(cs)) return sr.ReadToEnd();\n",
        "var gz = new System.IO.Compression.GZipStream(new MemoryStream(data), System.IO.Compression.CompressionMode.Decompress);\n"
        "        return new StreamReader(gz).ReadToEnd();\n",
        "return new StreamReader(new MemoryStream(data)).ReadToEnd();\n",
    ],
    ids=["cipher", "gzip", "memory"],
)
def test_reader_over_a_memory_stream_of_a_cookie_is_silent(reader: str) -> None:
    page = _COOKIE + (
        "    static string Open(string text)\n    {\n        byte[] data = Convert.FromBase64String(text);\n"
        "        var aes = Aes.Create();\n        " + reader + "    }\n}\n"
    )
    assert _sinks(page, ".cs") == set()


@pytest.mark.parametrize(
    "reader",
    [
        "using (StreamReader sr = new StreamReader(text)) return sr.ReadToEnd();\n",
        "var fs = new FileStream(text, FileMode.Open);\n        return new StreamReader(fs).ReadToEnd();\n",
    ],
    ids=["path", "file-stream"],
)
def test_reader_of_a_file_the_cookie_names_is_still_named(reader: str) -> None:
    page = _COOKIE + "    static string Open(string text)\n    {\n        " + reader + "    }\n}\n"
    assert "file-read" in _sinks(page, ".cs")


# --- a feature switched off in the code (X36's benign side, session 16) --------------------------------------------
# An application's handler keeps a proxy method whose one call sits under ``if (... && false)``.

_SWITCHED = (
    "using System.IO;\nusing System.Net;\nusing System.Web;\n\npublic class Files : IHttpHandler\n{\n"
    "    public bool IsReusable { get { return true; } }\n"
    "    public void ProcessRequest(HttpContext context)\n    {\n"
    "        if ({cond})\n        {\n            Relay(context);\n            return;\n        }\n"
    '        context.Response.Write("ok");\n    }\n'
    "    private void Relay(HttpContext context)\n    {\n"
    '        var req = (HttpWebRequest)WebRequest.Create(context.Request["url"]);\n'
    "        using (var resp = req.GetResponse())\n"
    "            resp.GetResponseStream().CopyTo(context.Response.OutputStream);\n    }\n}\n"
)


@pytest.mark.parametrize("cond", ['context.Request.Path.EndsWith("proxy.cgi") && false', "false"])
def test_method_called_only_in_a_switched_off_block_is_silent(cond: str) -> None:
    assert _sinks(_SWITCHED.replace("{cond}", cond), ".cs") == set(), cond


@pytest.mark.parametrize(
    "cond",
    ['context.Request.Path.EndsWith("proxy.cgi")', 'false || context.Request.Path.EndsWith("x")', "!false"],
)
def test_method_called_in_a_live_block_is_still_named(cond: str) -> None:
    assert "http-out" in _sinks(_SWITCHED.replace("{cond}", cond), ".cs"), cond


def test_method_also_called_outside_the_switched_off_block_is_still_named() -> None:
    page = _SWITCHED.replace("{cond}", "false").replace('context.Response.Write("ok");', "Relay(context);")
    assert "http-out" in _sinks(page, ".cs")


# --- an address only taken apart, and a beacon that reads no answer (B16's requests, session 16) --------------------
# RD Web Access's login page resolves the ReturnUrl against its own address and follows it only on the same site; a
# visit tracker POSTs a hit to a fixed analytics address and never reads the answer.

_GUARD = (
    '<%@ Page Language="C#" %>\n<script runat="server">\n    protected void Page_Load(object sender, EventArgs e)\n    {\n'
    '        string target = Request.QueryString["ReturnUrl"];\n        string safe = null;\n'
    "        Uri original = Helper.OriginalUri(Request);\n"
    "        Uri candidate = new Uri(new Uri(original, Helper.FilePath(Request)), target);\n"
    "{use}"
    '        Response.Redirect(safe ?? "Default.aspx");\n    }\n</script>\n'
)


def test_return_url_only_compared_is_no_request() -> None:
    use = (
        "        if (candidate.Authority.Equals(original.Authority) && candidate.Scheme.Equals(original.Scheme))\n"
        "            safe = candidate.AbsoluteUri;\n"
    )
    assert _sinks(_GUARD.replace("{use}", use)) == set()
    base = (
        '        Uri home = new Uri(new Uri(original, Helper.FilePath(Request)), ".");\n'
        '        if (home == null) return;\n        safe = new Uri(home, "login.aspx?r=1").AbsoluteUri;\n'
    )
    assert _sinks(_GUARD.replace("{use}", base)) == set()


@pytest.mark.parametrize(
    "use",
    [
        "        safe = new System.Net.WebClient().DownloadString(candidate);\n",
        "        var r = System.Net.WebRequest.Create(candidate); r.GetResponse();\n",
        "        var c = new System.Net.Http.HttpClient { BaseAddress = candidate };\n",
    ],
    ids=["downloaded", "requested", "client-base"],
)
def test_address_handed_to_a_requester_is_still_named(use: str) -> None:
    page = _GUARD.replace("{use}", use).replace("new Uri(new Uri(original, Helper.FilePath(Request)), target)", "new Uri(target)")
    assert "http-out" in _sinks(page), use


_BEACON = (
    '<%@ WebHandler Language="C#" Class="Beacon" %>\nusing System;\nusing System.IO;\nusing System.Net;\nusing System.Web;\n'
    "public class Beacon : IHttpHandler\n{\n    void Send(string agent)\n    {\n"
    '        byte[] data = System.Text.Encoding.ASCII.GetBytes("v=1&ua=" + agent);\n'
    '        HttpWebRequest r = (HttpWebRequest)WebRequest.Create("http://analytics.example.invalid/collect");\n'
    '        r.Method = "POST";\n        using (Stream s = r.GetRequestStream()) { s.Write(data, 0, data.Length); }\n'
    "{read}    }\n    public void ProcessRequest(HttpContext context)\n    {\n"
    "        if (!context.Request.Browser.Crawler) Send(context.Request.UserAgent);\n"
    '        context.Response.Write("ok");\n    }\n    public bool IsReusable { get { return false; } }\n}\n'
)


def test_beacon_that_reads_no_answer_is_silent() -> None:
    assert _sinks(_BEACON.replace("{read}", ""), ".ashx") == set()


def test_page_serving_the_answer_by_visitor_is_still_named() -> None:
    read = "        HttpContext.Current.Response.Write(new StreamReader(r.GetResponse().GetResponseStream()).ReadToEnd());\n"
    assert "remote-content" in _sinks(_BEACON.replace("{read}", read), ".ashx")


# --- a helper's parameter is its own name, not the caller's same-named local (B14's request, session 16) ------------
# A helper `Clean(string name)` given request text made the caller's later, unrelated local `name` (a fixed log path
# under App_Data) request-chosen: File.AppendAllText(name, ..) read as a request-chosen file write.

_SAME_NAME = """<%@ WebHandler Language="C#" Class="Visits" %>
using System.IO;
using System.Web;
public class Visits : IHttpHandler {
    static string Clean(string name) { return name.Trim().ToLowerInvariant(); }
    public void ProcessRequest(HttpContext context) {
        string who = Clean(context.Request["user"]);
        string name = PATH;
        File.AppendAllText(name, System.DateTime.Now.ToString("s") + "\\n");
        context.Response.Write("hello " + HttpUtility.HtmlEncode(who));
    }
    public bool IsReusable { get { return false; } }
}
"""


@pytest.mark.parametrize(
    "helper",
    [
        "static string Clean(string name) { return name.Trim().ToLowerInvariant(); }",  # one line (written out)
        "static string Clean(string name) {\n        var t = name.Trim();\n        return t.ToLowerInvariant();\n    }",
    ],
)
def test_helper_parameter_does_not_taint_the_callers_same_named_local(helper: str) -> None:
    page = _SAME_NAME.replace(
        "static string Clean(string name) { return name.Trim().ToLowerInvariant(); }", helper
    ).replace("PATH", 'context.Server.MapPath("~/App_Data/visits.log")')
    assert _sinks(page, ".ashx") == set()


def test_callers_local_chosen_by_the_request_is_still_named() -> None:
    page = _SAME_NAME.replace("PATH", 'context.Server.MapPath(context.Request["log"])')
    assert "file-write" in _sinks(page, ".ashx")


def test_vb_helper_parameter_does_not_taint_the_callers_same_named_local() -> None:
    page = (
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        "Function Clean(ByVal name As String) As String\n    Dim t As String = name.Trim()\n    Return t\nEnd Function\n"
        "Sub Page_Load(ByVal s As Object, ByVal e As EventArgs)\n"
        '    Dim who As String = Clean(Request("user"))\n'
        '    Dim name As String = Server.MapPath("~/App_Data/visits.log")\n'
        '    System.IO.File.AppendAllText(name, "x")\nEnd Sub\n</script>'
    )
    assert _sinks(page, ".aspx") == set()
