"""Behaviour engine, session 10 (issue 14, A3): the per-file time limit holds inside one regular-expression
search; requests of the session's collectors (``/work/notes/to_a3.md``) and the gaps A2 left.

The pages were written for these tests, name only ``example`` hosts and placeholder commands, are never
compiled or run and are not copies of real shells.
"""

from __future__ import annotations

import re
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from extriage.detections.webfiles import behaviour
from extriage.detections.webfiles.behaviour import budget, sinks
from extriage.detections.webfiles.behaviour.budget import Timeout, bounded

from .rule_tables import findings_for, scan_tree

ROOT = "C/inetpub/wwwroot/"

# --- the time limit inside one search -----------------------------------------------------------------

#: A stub-class page (short code, a class of no namespace) after 300,000 unclosed ``<a`` tags: the search
#: for a server control in the markup read ~2,000 characters per tag, 12-17 s in ONE search (session 9).
UNCLOSED_TAGS = b'<%@ Page Language="C#" %><% new ExampleBar("k"); %>' + b"<a " * 300_000
#: 40,000 unclosed ``<asp:ObjectDataSource`` tags: the declared-call pattern read up to 20,000 characters
#: of body for each (past the 5 s limit in one search).
UNCLOSED_DATA_SOURCES = (
    b'<%@ Page Language="C#" %><% Process.Start("hostname", Request["x"]); %>'
    + b"<asp:ObjectDataSource a>" * 40_000
)


@pytest.mark.parametrize(
    "page", [UNCLOSED_TAGS, UNCLOSED_DATA_SOURCES], ids=["unclosed-tags", "unclosed-ods"]
)
def test_worst_case_markup_is_linear(page: bytes) -> None:
    t0 = time.thread_time()
    result = behaviour.analyse(page, ".aspx", budget=30.0)
    assert time.thread_time() - t0 < 4.0  # (0.1 s on a quiet machine; 12-17 s before)
    assert result.problem is None
    assert result.hits  # still analysed: the stub, the process start


def test_the_limit_holds_inside_one_search(monkeypatch: pytest.MonkeyPatch) -> None:
    # the old, quadratic server-control pattern put back: ONE search of ~15 s; the limit is 0.5 s
    monkeypatch.setattr(
        sinks,
        "_SERVER_CONTROL",
        re.compile(r"<(?!script\b)[\w:]+\b[^>]{0,2000}?\brunat\s*=\s*[\"']?server", re.I),
    )
    t0 = time.thread_time()  # CPU time of this thread, as the budget counts it: load does not stretch it
    result = behaviour.analyse(UNCLOSED_TAGS, ".aspx", budget=0.5)
    elapsed = time.thread_time() - t0
    assert elapsed < 3.0, elapsed
    assert result.problem is not None and "time limit" in result.problem
    assert signal.getsignal(signal.SIGPROF) == signal.SIG_DFL  # the process's handler back
    assert signal.getitimer(signal.ITIMER_PROF)[0] == 0


def test_bounded_interrupts_a_backtracking_search() -> None:
    t0 = time.thread_time()
    with pytest.raises(Timeout):
        with bounded(budget.now() + 0.2):
            re.match(r"(a+)+$", "a" * 40 + "b")  # (minutes of backtracking)
    assert time.thread_time() - t0 < 2.0


def test_bounded_leaves_a_timer_or_handler_of_others_alone() -> None:
    seen: list[int] = []
    old = signal.signal(signal.SIGPROF, lambda s, f: seen.append(s))
    try:
        with bounded(budget.now() + 0.01):
            _spin(0.05)  # not ours to take: nothing raised
        assert signal.getsignal(signal.SIGPROF) is not signal.SIG_DFL
    finally:
        signal.signal(signal.SIGPROF, old)
    assert seen == []


def _spin(cpu_seconds: float) -> None:
    """Use ``cpu_seconds`` of this thread's CPU time."""
    end = time.thread_time() + cpu_seconds
    while time.thread_time() < end:
        pass


def test_the_budget_is_cpu_time_not_time_on_the_wall() -> None:
    # a loaded machine gives the analysis less CPU per second of wall time: waiting is not spending
    # (A7, session 14: a 1 MB code file of ~3 CPU-s ran out of a 5 s wall budget at load 5)
    with bounded(budget.now() + 0.1):
        time.sleep(0.4)  # no CPU used: nothing raised
    with pytest.raises(Timeout):
        with bounded(budget.now() + 0.1):
            _spin(2.0)


def test_other_threads_cpu_is_not_charged_to_the_page() -> None:
    # the process's CPU-time timer counts every thread: when it rings early it is set again
    busy = threading.Thread(target=_spin, args=(0.6,))
    busy.start()
    try:
        with bounded(budget.now() + 0.2):
            time.sleep(0.8)  # the other thread spends ~0.6 CPU-s meanwhile: not this thread's budget
    finally:
        busy.join()
    assert signal.getitimer(signal.ITIMER_PROF)[0] == 0


def test_a_ring_after_the_block_neither_raises_nor_sets_the_timer_again() -> None:
    # a ring the interpreter handles just after the block was left (timer already off): with the
    # default SIGPROF action back, a timer set again there would end the process
    with bounded(budget.now() + 10.0):
        pass
    budget._ring(signal.SIGPROF, None)  # (as if delivered late)
    assert signal.getitimer(signal.ITIMER_PROF)[0] == 0
    assert signal.getsignal(signal.SIGPROF) == signal.SIG_DFL


def test_a_big_file_is_analysed_whatever_the_load(monkeypatch: pytest.MonkeyPatch) -> None:
    # wall time racing ahead (a machine shared by other scans) does not cut the analysis short
    page = b'<%@ Page Language="C#" %><% System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"]); %>'
    ticks = iter(range(0, 10**9, 10))  # every look at the wall clock: 10 s later
    monkeypatch.setattr(time, "monotonic", lambda: float(next(ticks)))
    result = behaviour.analyse(page * 50, ".aspx", budget=1.0)
    assert result.problem is None
    assert "process" in {h["sink"] for h in result.hits}


def test_analysis_outside_the_main_thread_still_works() -> None:
    out: list[behaviour.Analysis] = []
    page = (
        b'<%@ Page Language="C#" %><% System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"]); %>'
    )
    th = threading.Thread(target=lambda: out.append(behaviour.analyse(page, ".aspx")))
    th.start()
    th.join()
    assert [h["sink"] for h in out[0].hits] == ["process"]


def test_budget_module_names_the_limit() -> None:
    assert budget.BUDGET == 5.0


# --- calls across languages (A2's gap: a C# page calling a VB App_Code class, or the reverse) ---------

TOOLS_VB = """Imports System.Diagnostics
Namespace Example.Site
Public Class Tools
    Public Sub Run(ByVal c As String)
        Dim p As New ProcessStartInfo("cmd.exe", "/c " & c)
        p.UseShellExecute = False
        Process.Start(p)
    End Sub
    Public Shared Sub Keep(ByVal where As String, ByVal body As String)
        System.IO.File.WriteAllText(where, body)
    End Sub
End Class
End Namespace
"""
TOOLS_CS = """using System.Diagnostics;
namespace Example.Site {
    public class Tools {
        public string Command;
        public void Run(string c) {
            var p = new ProcessStartInfo("cmd.exe", "/c " + c);
            Process.Start(p);
        }
        public void Go() { Process.Start("cmd.exe", "/c " + Command); }
    }
}
"""
CS_PAGE = (
    '<%@ Page Language="C#" %>\n<html><body>\n<% var t = new Example.Site.Tools();\n'
    " string v = {arg};\n t.Run(v); %>\n</body></html>\n"
)
VB_PAGE = (
    '<%@ Page Language="VB" %>\n<html><body>\n<%\nDim t As New Example.Site.Tools()\n'
    "Dim v = {arg}\nt.Run(v)\n%>\n</body></html>\n"
)


def _across(page: str, cls: str, cls_ext: str) -> list[tuple[Any, ...]]:
    hits = behaviour.analyse_across(page.encode(), ".aspx", cls.encode(), cls_ext).hits
    return [(h["sink"], h["line"], h["source_line"], h["call_line"], h["language"]) for h in hits]


def test_a_cs_page_hands_request_input_to_a_vb_class() -> None:
    page = CS_PAGE.replace("{arg}", 'Request["c"]')
    assert _across(page, TOOLS_VB, ".vb") == [("process", 5, 4, 5, "VB")]
    # two arguments, both from the request: the path and the content of a write
    keep = '<%@ Page Language="C#" %>\n<% Example.Site.Tools.Keep(Request.Form["f"], Request.Form["b"]); %>\n'
    assert {h[0] for h in _across(keep, TOOLS_VB, ".vb")} >= {"file-write"}


def test_a_vb_page_hands_request_input_to_a_cs_class() -> None:
    page = VB_PAGE.replace("{arg}", 'Request.QueryString("c")')
    assert _across(page, TOOLS_CS, ".cs") == [("process", 6, 5, 6, "C#")]
    member = (
        '<%@ Page Language="VB" %>\n<%\nDim t As New Example.Site.Tools()\n'
        't.Command = Request.Form("c")\nt.Go()\n%>\n'
    )
    assert _across(member, TOOLS_CS, ".cs") == [("process", 9, 4, 4, "C#")]


@pytest.mark.parametrize(
    ("page", "cls", "ext"),
    [
        (CS_PAGE.replace("{arg}", '"ipconfig"'), TOOLS_VB, ".vb"),  # a constant
        (CS_PAGE.replace("{arg}", 'ConfigurationManager.AppSettings["report"]'), TOOLS_VB, ".vb"),
        (CS_PAGE.replace("{arg}", 'int.Parse(Request["n"])'), TOOLS_VB, ".vb"),  # a number
        (VB_PAGE.replace("{arg}", '"ipconfig"'), TOOLS_CS, ".cs"),
        # request content written to a fixed file (a notes page)
        (
            '<%@ Page Language="C#" %>\n<% Example.Site.Tools.Keep(Server.MapPath("~/App_Data/n.txt"), '
            'Request.Form["b"]); %>\n',
            TOOLS_VB,
            ".vb",
        ),
        # the page reads c and shows it, and calls the class with a constant: a shared name is no call
        (
            '<%@ Page Language="C#" %>\n<% string c = Request["c"]; Response.Write(Server.HtmlEncode(c));\n'
            ' new Example.Site.Tools().Run("ipconfig"); %>\n',
            TOOLS_VB,
            ".vb",
        ),
    ],
    ids=["constant", "configuration", "number", "vb-constant", "fixed-file", "shared-name"],
)
def test_calls_across_languages_without_request_input_are_silent(page: str, cls: str, ext: str) -> None:
    assert _across(page, cls, ext) == []


def test_a_cs_page_calling_a_vb_app_code_class_is_found_in_a_scan(tmp_path: Path) -> None:
    files = [
        ("site/App_Code/Tools.vb", TOOLS_VB),
        ("site/run.aspx", CS_PAGE.replace("{arg}", 'Request["c"]')),
        ("site/report.aspx", CS_PAGE.replace("{arg}", '"ipconfig"')),
    ]
    data = scan_tree(tmp_path, ROOT, files)
    found = [f for f in findings_for(data, "site/run.aspx") if f["rule_id"] == "WF-BEHAV-PROCESS"]
    assert found, [f["rule_id"] for f in findings_for(data, "site/run.aspx")]
    sources = {str(e["source"]).replace("\\", "/") for e in found[0]["evidence"]}
    assert any(s.endswith("site/run.aspx") for s in sources)
    assert any(s.endswith("App_Code/Tools.vb") for s in sources)
    assert [f for f in findings_for(data, "site/report.aspx") if f["rule_id"].startswith("WF-BEHAV-")] == []


# --- a request value checked against a list of the page's own words (A2's gap: guards by name only) -----

_CS = '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load() {\n{body}}\n</script>\n'
_VB = '<%@ Page Language="VB" %>\n<script runat="server">\nSub Page_Load()\n{body}End Sub\n</script>\n'

ALLOW_LISTED = [
    (
        "cs-leaves",
        _CS,
        '  string t = Request["tool"];\n  string[] allowed = { "backup", "restore" };\n'
        "  if (!allowed.Contains(t)) { Response.StatusCode = 400; return; }\n"
        '  Process.Start(@"C:\\tools\\admin.exe", t);\n',
    ),
    (
        "cs-hashset",
        _CS,
        '  string t = Request["tool"];\n'
        '  var allowed = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "ping", "tracert" };\n'
        "  if (! allowed.Contains(t)) return;\n  Process.Start(t);\n",
    ),
    (
        "cs-inline",
        _CS,
        '  string t = Request["tool"];\n  if (!new[] { "ping", "tracert" }.Contains(t)) return;\n'
        '  Process.Start(t, "example.com");\n',
    ),
    (
        "cs-inside",
        _CS,
        '  string t = Request["tool"];\n  string[] allowed = { "ping", "tracert" };\n'
        '  if (allowed.Contains(t)) { Process.Start(t, "example.com"); }\n',
    ),
    (
        "cs-index-of",
        _CS,
        '  string t = Request["tool"];\n  string[] allowed = { "ping", "tracert" };\n'
        '  if (Array.IndexOf(allowed, t) < 0) throw new ArgumentException();\n  Process.Start(t, "example.com");\n',
    ),
    (
        "vb-leaves",
        _VB,
        '  Dim t As String = Request.Form("tool")\n  Dim allowed() As String = {"ping", "tracert"}\n'
        '  If Not allowed.Contains(t) Then Exit Sub\n  Process.Start(t, "example.com")\n',
    ),
    (
        "vb-inside",
        _VB,
        '  Dim t As String = Request.Form("tool")\n'
        '  Dim allowed As New List(Of String) From {"ping", "tracert"}\n'
        '  If allowed.Contains(t) Then\n    Process.Start(t, "example.com")\n  End If\n',
    ),
]
#: The same shapes where the check does not hold: the shell must stay found.
NOT_CHECKED = [
    (
        "check-does-not-leave",
        _CS,
        '  string t = Request["c"];\n  string[] known = { "dir", "whoami" };\n'
        '  if (! known.Contains(t)) { Response.Write("other"); }\n  Process.Start("cmd.exe", "/c " + t);\n',
    ),
    (
        "list-from-configuration",
        _CS,
        '  string t = Request["c"];\n  string[] ok = ConfigurationManager.AppSettings["ok"].Split(\',\');\n'
        '  if (!ok.Contains(t)) return;\n  Process.Start("cmd.exe", "/c " + t);\n',
    ),
    (
        "list-from-the-request",
        _CS,
        '  string t = Request["c"];\n  var ok = Request["list"].Split(\',\');\n'
        '  if (!ok.Contains(t)) return;\n  Process.Start("cmd.exe", "/c " + t);\n',
    ),
    (
        "equality-with-one-word",
        _CS,
        '  string t = Request["c"];\n  if (t == "ls") { Response.Write("no"); return; }\n'
        '  Process.Start("cmd.exe", "/c " + t);\n',
    ),
    (
        "another-value-checked",
        _CS,
        '  string a = Request["a"]; string c = Request["c"];\n  string[] acts = { "run", "list" };\n'
        '  if (!acts.Contains(a)) return;\n  Process.Start("cmd.exe", "/c " + c);\n',
    ),
]


@pytest.mark.parametrize(("name", "shell", "body"), ALLOW_LISTED, ids=[n for n, _s, _b in ALLOW_LISTED])
def test_a_value_checked_against_a_literal_list_is_the_pages_own_word(
    name: str, shell: str, body: str
) -> None:
    page = shell.replace("{body}", body)
    assert behaviour.analyse(page.encode(), ".aspx").hits == []
    # without the check the same page is found (the check is what silences it)
    unchecked = page.replace("Contains(t)", "Contains(u)").replace("allowed, t)", "allowed, u)")
    assert "process" in {h["sink"] for h in behaviour.analyse(unchecked.encode(), ".aspx").hits}, name


@pytest.mark.parametrize(("name", "shell", "body"), NOT_CHECKED, ids=[n for n, _s, _b in NOT_CHECKED])
def test_a_check_that_does_not_hold_keeps_the_shell_found(name: str, shell: str, body: str) -> None:
    page = shell.replace("{body}", body)
    assert "process" in {h["sink"] for h in behaviour.analyse(page.encode(), ".aspx").hits}, name


# --- x15 request 1: a SQL channel - request text appended right after a comparison of two constants ----

_HANDLER = (
    '<%@ WebHandler Language="C#" Class="Example.Feed" %>\nusing System.Web;\nusing System.Data.OracleClient;\n'
    "namespace Example {\npublic class Feed : IHttpHandler {\n"
    "public bool IsReusable { get { return false; } }\n"
    "public void ProcessRequest(HttpContext context) {\n"
    "  var Request = context.Request; var Response = context.Response;\n"
    '  using (var c = new OracleConnection("Data Source=example;User Id=x;Password=y")) { c.Open();\n'
    "{body}  }\n}\n}\n}\n"
)
SQL_CHANNELS = [
    (
        "inline",
        '    var r = new OracleCommand("SELECT * FROM EXAMPLE_USERS where 11=1" + Request["userid"], c)'
        ".ExecuteReader();\n    while (r.Read()) Response.Write(r.GetString(0));\n",
    ),
    (
        "assigned",
        '    string q = "SELECT * FROM EXAMPLE_USERS where 11=1" + Request["userid"];\n'
        "    var r = new OracleCommand(q, c).ExecuteReader();\n",
    ),
    (
        "split-over-statements",
        '    string q = "SELECT 1 FROM EXAMPLE_USERS where 7=1";  q += Request["id"];\n'
        "    var r = new OracleCommand(q, c).ExecuteReader();\n",
    ),
    (
        "format-placeholder",
        '    var sql = string.Format("select name from example_logins where 2=1{0}", Request.QueryString["f"]);\n'
        "    object o = new OracleCommand(sql, c).ExecuteScalar(); Response.Write(o);\n",
    ),
]
ORDINARY_SQL = [
    (
        "the-code-writes-the-clause",
        '    string q = "select title from items where 1=1";\n'
        '    q += " and title like \'%" + Request["q"].Replace("\'", "\'\'") + "%\'";\n'
        "    var r = new OracleCommand(q, c).ExecuteReader();\n",
    ),
    (
        "a-parameter",
        '    string cat = Request["cat"];\n    var r = new OracleCommand("select * from news where 1=1" + '
        '(cat != null ? " and category=:cat" : ""), c).ExecuteReader();\n',
    ),
    (
        "a-value-after-id",  # an ordinary injectable page, not a channel built on purpose
        '    var r = new OracleCommand("select title from items where id=" + Request["id"], c).ExecuteReader();\n',
    ),
    (
        "a-filter-helper",
        '    var r = new OracleCommand("select title from items where 1=1" + BuildFilter(Request["f"]), c)'
        ".ExecuteReader();\n",
    ),
    (
        "clauses-added-later",
        '    string q = "select * from t where 1=1";\n    if (Request["a"] != null) q += " and a = :a";\n'
        "    var r = new OracleCommand(q, c).ExecuteReader();\n",
    ),
]


@pytest.mark.parametrize(("name", "body"), SQL_CHANNELS, ids=[n for n, _b in SQL_CHANNELS])
def test_sql_text_ending_in_a_constant_comparison_with_request_text_appended(name: str, body: str) -> None:
    hits = behaviour.analyse(_HANDLER.replace("{body}", body).encode(), ".ashx").hits
    assert "sql-channel" in {h["sink"] for h in hits}, name


def test_sql_channel_in_vb() -> None:
    page = (
        '<%@ Page Language="VB" %>\n<script runat="server">\nSub Page_Load()\n'
        '  Dim q As String = "select name from example_users where 3=4"\n  q &= Request.QueryString("x")\n'
        "  Dim cmd As New SqlCommand(q, conn)\n  cmd.ExecuteReader()\nEnd Sub\n</script>\n"
    )
    assert [
        (h["sink"], h["line"], h["source_line"]) for h in behaviour.analyse(page.encode(), ".aspx").hits
    ] == [("sql-channel", 6, 5)]


@pytest.mark.parametrize(("name", "body"), ORDINARY_SQL, ids=[n for n, _b in ORDINARY_SQL])
def test_ordinary_queries_are_no_sql_channel(name: str, body: str) -> None:
    assert behaviour.analyse(_HANDLER.replace("{body}", body).encode(), ".ashx").hits == [], name


# --- a call given as another call's argument: its input is its own arguments ------------------------------

_PAGE = '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load() {\n{body}}\n</script>\n'


@pytest.mark.parametrize(
    "body",
    [
        # an ordinary injectable list page: the connection nested in the adapter is the application's own
        '  var da = new SqlDataAdapter("select * from news where id=" + Request["id"], '
        'new SqlConnection(ConfigurationManager.ConnectionStrings["db"].ConnectionString));\n  da.Fill(ds);\n',
        '  var cmd = new SqlCommand("delete from carts where id=" + Request["id"], new SqlConnection(cs));\n',
    ],
    ids=["adapter", "command"],
)
def test_a_nested_connection_takes_its_own_arguments_only(body: str) -> None:
    # (session 9: sql-connection "opens a database connection given by the request" - the request value was
    # the query's, not the connection's)
    hits = behaviour.analyse(_PAGE.replace("{body}", body).encode(), ".aspx").hits
    assert "sql-connection" not in {h["sink"] for h in hits}


@pytest.mark.parametrize(
    "body",
    [
        '  var c = new SqlConnection(Request.Form["cs"]); c.Open();\n',
        '  var cmd = new SqlCommand("select 1", new SqlConnection(Request.Form["cs"]));\n',
        '  var c = new SqlConnection(); c.ConnectionString = Request.Form["cs"]; c.Open();\n',
        '  var c = new SqlConnection { ConnectionString = Request.Form["cs"] }; c.Open();\n',
        '  var cmd = new SqlCommand("select 1", new SqlConnection { ConnectionString = Request.Form["cs"] });\n',
    ],
    ids=["argument", "nested-argument", "property", "initializer", "nested-initializer"],
)
def test_a_connection_given_by_the_request_is_found(body: str) -> None:
    hits = behaviour.analyse(_PAGE.replace("{body}", body).encode(), ".aspx").hits
    assert "sql-connection" in {h["sink"] for h in hits}


# --- x14 request: content written into a file through a stream (OilRig TwoFace's upload to %TEMP%) --------

_IO = '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.IO" %>\n<script runat="server">\nvoid Page_Load() {\n{body}}\n</script>\n'
_VIO = '<%@ Page Language="VB" %>\n<%@ Import Namespace="System.IO" %>\n<script runat="server">\nSub Page_Load()\n{body}End Sub\n</script>\n'
_BODY = '  string body = Request.Form.Get("b"); string name = Request.Form.Get("n");\n'

STREAM_WRITES = [
    (
        "filestream-temp-combine",
        _IO,
        _BODY + "  byte[] buf = Convert.FromBase64String(body);\n"
        "  string p = Path.Combine(Path.GetTempPath(), name);\n"
        "  using (var w = new FileStream(p, FileMode.Create)) { w.Write(buf, 0, buf.Length); }\n",
        "file-write-content",
    ),
    (
        "file-create-chained",
        _IO,
        _BODY + "  byte[] buf = Convert.FromBase64String(body);\n"
        '  File.Create(Path.Combine(Server.MapPath("~/"), name)).Write(buf, 0, buf.Length);\n',
        "file-write-content",
    ),
    (
        "streamwriter-combine",
        _IO,
        _BODY
        + '  using (var w = new StreamWriter(Path.Combine(Server.MapPath("~/"), name))) { w.Write(body); }\n',
        "file-write-content",
    ),
    (
        "binarywriter-over-filestream",
        _IO,
        _BODY + "  var fs = new FileStream(Path.Combine(Path.GetTempPath(), name), FileMode.Create);\n"
        "  var bw = new BinaryWriter(fs);\n  bw.Write(Convert.FromBase64String(body));\n",
        "file-write-content",
    ),
    (
        "copyto",
        _IO,
        _BODY + "  var fs = File.OpenWrite(Path.Combine(Path.GetTempPath(), name));\n"
        "  new MemoryStream(Convert.FromBase64String(body)).CopyTo(fs);\n",
        "file-write-content",
    ),
    (
        "request-text-into-a-fixed-server-page",
        _IO,
        _BODY + '  using (var w = new StreamWriter(Server.MapPath("~/up.aspx"))) { w.Write(body); }\n',
        "page-write",
    ),
    (
        "vb-using",
        _VIO,
        '  Using w As New StreamWriter(Path.Combine(Path.GetTempPath(), Request.Form("n")))\n'
        '    w.Write(Request.Form("c"))\n  End Using\n',
        "file-write-content",
    ),
]
ORDINARY_STREAMS = [
    (
        "upload-under-a-new-name",
        _IO,
        '  var fs = new FileStream(Path.Combine(Server.MapPath("~/uploads"), Guid.NewGuid() + ".png"), FileMode.Create);\n'
        "  Request.Files[0].InputStream.CopyTo(fs);\n  fs.Close();\n",
    ),
    (
        "signature-pad",
        _IO,
        '  string userId = (string)Session["uid"];\n'
        "  byte[] img = Convert.FromBase64String(Request.Form[\"img\"].Split(',')[1]);\n"
        '  using (var fs = new FileStream(Path.Combine(Server.MapPath("~/App_Data/signatures"), userId + ".png"), '
        "FileMode.Create)) { fs.Write(img, 0, img.Length); }\n",
    ),
    (
        "audit-log",
        _IO,
        '  using (var w = new StreamWriter(Server.MapPath("~/App_Data/audit.log"), true)) '
        '{ w.WriteLine(DateTime.Now + " " + Request.UserHostAddress); }\n',
    ),
    (
        "request-body-of-an-outbound-post",
        _IO,
        '  var req = (HttpWebRequest)WebRequest.Create("https://api.example.com/x"); req.Method = "POST";\n'
        '  using (var w = new StreamWriter(req.GetRequestStream())) { w.Write(Request.Form["q"]); }\n',
    ),
    (
        "memory-and-response",
        _IO,
        '  var ms = new MemoryStream(); var w = new StreamWriter(ms); w.Write(Request.Form["q"]);\n'
        '  var o = new StreamWriter(Response.OutputStream); o.Write(Request.Form["q"]);\n',
    ),
]


@pytest.mark.parametrize(
    ("name", "shell", "body", "sink"), STREAM_WRITES, ids=[n for n, _s, _b, _k in STREAM_WRITES]
)
def test_request_content_written_through_a_stream(name: str, shell: str, body: str, sink: str) -> None:
    hits = behaviour.analyse(shell.replace("{body}", body).encode(), ".aspx").hits
    assert sink in {h["sink"] for h in hits}, (name, [h["sink"] for h in hits])


@pytest.mark.parametrize(
    ("name", "shell", "body"), ORDINARY_STREAMS, ids=[n for n, _s, _b in ORDINARY_STREAMS]
)
def test_ordinary_stream_writes_are_silent(name: str, shell: str, body: str) -> None:
    assert behaviour.analyse(shell.replace("{body}", body).encode(), ".aspx").hits == [], name


def test_a_stream_write_is_reported_on_its_own_line() -> None:
    page = _IO.replace(
        "{body}",
        _BODY + "  var fs = new FileStream(Path.Combine(Path.GetTempPath(), name), FileMode.Create);\n"
        "  byte[] b = Convert.FromBase64String(body);\n  fs.Write(b,\n     0, b.Length);\n",
    )
    hits = [h for h in behaviour.analyse(page.encode(), ".aspx").hits if h["sink"] == "file-write-content"]
    assert [(h["line"], h["source_line"]) for h in hits] == [(9, 5)]


# --- extension methods across files; a name inside a string literal is no use of the variable ------------

EXT_CS = """using System.Diagnostics;
namespace Example.Site {
    public static class Ext {
        public static string Run(this string c) {
            var p = Process.Start(new ProcessStartInfo("cmd.exe", "/c " + c) { UseShellExecute = false });
            return p.Id.ToString();
        }
        public static void SaveTo(this string body, string where) { System.IO.File.WriteAllText(where, body); }
    }
}
"""
EXT_VB = """Imports System.Runtime.CompilerServices
Public Module Ext
    <Extension()>
    Public Function Run(ByVal c As String) As String
        Return Shell("cmd /c " & c).ToString()
    End Function
End Module
"""
_EP = '<%@ Page Language="C#" %>\n<%@ Import Namespace="Example.Site" %>\n<% {body} %>\n'
_EV = '<%@ Page Language="VB" %>\n<%\n{body}\n%>\n'


@pytest.mark.parametrize(
    ("page", "cls", "ext", "sink"),
    [
        (_EP.replace("{body}", 'Response.Write(Request["c"].Run());'), EXT_CS, ".cs", "process"),
        (
            _EP.replace("{body}", 'string cmd = Request.Form["c"]; Response.Write(cmd.Run());'),
            EXT_CS,
            ".cs",
            "process",
        ),
        (
            _EP.replace("{body}", 'Request.Form["b"].SaveTo(Request.Form["p"]);'),
            EXT_CS,
            ".cs",
            "file-write-content",
        ),
        (_EV.replace("{body}", 'Response.Write(Request.Form("c").Run())'), EXT_VB, ".vb", "process"),
    ],
    ids=["receiver", "receiver-variable", "receiver-and-argument", "vb-module"],
)
def test_request_input_handed_to_an_extension_method(page: str, cls: str, ext: str, sink: str) -> None:
    hits = behaviour.analyse_across(page.encode(), ".aspx", cls.encode(), ext).hits
    assert sink in {h["sink"] for h in hits}


@pytest.mark.parametrize(
    ("page", "cls", "ext"),
    [
        (_EP.replace("{body}", 'Response.Write("ipconfig".Run());'), EXT_CS, ".cs"),
        (
            _EP.replace("{body}", 'string c = "ipconfig"; Response.Write(c.Run()); string q = Request["q"];'),
            EXT_CS,
            ".cs",
        ),
        (
            _EP.replace("{body}", 'Request.Form["b"].SaveTo(Server.MapPath("~/App_Data/n.txt"));'),
            EXT_CS,
            ".cs",
        ),
        (_EV.replace("{body}", 'Response.Write("ipconfig".Run())'), EXT_VB, ".vb"),
    ],
    ids=["constant", "constant-variable", "fixed-file", "vb-constant"],
)
def test_extension_methods_given_no_request_input_are_silent(page: str, cls: str, ext: str) -> None:
    assert behaviour.analyse_across(page.encode(), ".aspx", cls.encode(), ext).hits == []


def test_a_variable_named_like_a_literal_of_the_callee_still_crosses() -> None:
    # the page's cmd and the class's "cmd.exe": the literal once counted as a use of cmd, so the renamed-call
    # control still reached the sink and the hit was dropped as a shared name
    page = '<%@ Page Language="C#" %>\n<% string cmd = Request["c"]; new Example.Site.Tools().Run(cmd); %>\n'
    hits = behaviour.analyse_across(page.encode(), ".aspx", TOOLS_CS.encode(), ".cs").hits
    assert [h["sink"] for h in hits] == ["process"]


def test_a_page_variable_named_like_the_callees_parameter_still_crosses() -> None:
    # the page's c handed to Run(string c): taint is per name, so the renamed-call control reached the sink
    # through the page's own c and the hit was dropped as a shared name
    page = '<%@ Page Language="C#" %>\n<% string c = Request["c"]; new Example.Site.Tools().Run(c); %>\n'
    hits = behaviour.analyse_across(page.encode(), ".aspx", TOOLS_CS.encode(), ".cs").hits
    assert [h["sink"] for h in hits] == ["process"]
    # ... while the page that reads c, shows it and calls the class with a constant stays silent
    quiet = (
        '<%@ Page Language="C#" %>\n<% string c = Request["c"]; Response.Write(Server.HtmlEncode(c));\n'
        ' new Example.Site.Tools().Run("ipconfig"); %>\n'
    )
    assert behaviour.analyse_across(quiet.encode(), ".aspx", TOOLS_CS.encode(), ".cs").hits == []


# --- x14 request 2: request text written into every file a listing gives (a site-wide infector) ----------

_LIST_CS = (
    '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.IO" %>\n<script runat="server">\n'
    "void Go(object s, EventArgs e) {\n{body}}\n</script>\n"
    '<form runat="server"><asp:TextBox id="Code" runat="server" /></form>\n'
)
INFECTORS = [
    (
        "writer-over-each-entry",
        '  string dir = Server.MapPath("~/");\n  foreach (string i in Directory.GetFileSystemEntries(dir)) {\n'
        "    string old = File.ReadAllText(i);\n    StreamWriter sw = new StreamWriter(i, false);\n"
        "    sw.Write(old + Code.Text.Trim());\n    sw.Close();\n  }\n",
    ),
    (
        "append-to-each-file",
        '  foreach (string f in Directory.GetFiles(Request.PhysicalApplicationPath, "*.aspx", '
        'SearchOption.AllDirectories))\n    File.AppendAllText(f, Request.Form["c"]);\n',
    ),
    (
        "listing-kept-in-a-variable",
        '  string[] files = Directory.GetFiles(Server.MapPath("~/"));\n'
        "  for (int n = 0; n < files.Length; n++) File.WriteAllText(files[n], Code.Text);\n",
    ),
    (
        "directoryinfo",
        '  var di = new DirectoryInfo(Server.MapPath("~/"));\n'
        "  foreach (FileInfo fi in di.GetFiles()) File.WriteAllText(fi.FullName, File.ReadAllText(fi.FullName) + Code.Text);\n",
    ),
]
ORDINARY_LISTINGS = [
    (
        "config-rewrite-from-configuration",
        '  foreach (string f in Directory.GetFiles(Server.MapPath("~/App_Data"), "*.config"))\n'
        '    File.WriteAllText(f, ConfigurationManager.AppSettings["template"]);\n',
    ),
    (
        "log-rotation",
        '  foreach (string f in Directory.GetFiles(Server.MapPath("~/App_Data/logs"), "*.log"))\n'
        '    File.AppendAllText(f, "-- rotated " + DateTime.Now + Environment.NewLine);\n',
    ),
    (
        "translation-into-a-named-resource",
        '  string culture = Request.Form["culture"];\n'
        '  if (!System.Text.RegularExpressions.Regex.IsMatch(culture, "^[a-z]{2}(-[A-Z]{2})?$")) return;\n'
        '  foreach (string f in Directory.GetFiles(Server.MapPath("~/App_GlobalResources"))) Response.Write(f);\n'
        '  File.WriteAllText(Server.MapPath("~/App_GlobalResources/Strings." + culture + ".resx"), Code.Text);\n',
    ),
]


@pytest.mark.parametrize(("name", "body"), INFECTORS, ids=[n for n, _b in INFECTORS])
def test_request_text_written_into_listed_files(name: str, body: str) -> None:
    hits = behaviour.analyse(_LIST_CS.replace("{body}", body).encode(), ".aspx").hits
    assert "site-infector" in {h["sink"] for h in hits}, (name, [h["sink"] for h in hits])


@pytest.mark.parametrize(("name", "body"), ORDINARY_LISTINGS, ids=[n for n, _b in ORDINARY_LISTINGS])
def test_fixed_or_configured_text_written_into_listed_files_is_silent(name: str, body: str) -> None:
    hits = behaviour.analyse(_LIST_CS.replace("{body}", body).encode(), ".aspx").hits
    assert "site-infector" not in {h["sink"] for h in hits}, name


# --- VB interpolated strings, delegates called through Invoke, VB lambdas ----------------------------------

_V = '<%@ Page Language="VB" %>\n<script runat="server">\nSub Page_Load()\n{body}End Sub\n</script>\n'


@pytest.mark.parametrize(
    ("page", "ext"),
    [
        (_V.replace("{body}", '  Dim c = Request("c")\n  Process.Start("cmd.exe", $"/c {c}")\n'), ".aspx"),
        (_V.replace("{body}", '  Process.Start("cmd.exe", $"/c {Request.Form("c")} ""q""")\n'), ".aspx"),
        (
            _PAGE.replace(
                "{body}",
                '  Action<string> run = s => Process.Start("cmd.exe", "/c " + s);\n  run.Invoke(Request["c"]);\n',
            ),
            ".aspx",
        ),
        (
            _V.replace(
                "{body}",
                '  Dim run As Action(Of String) = Sub(s) Process.Start("cmd.exe", "/c " & s)\n  run(Request("c"))\n',
            ),
            ".aspx",
        ),
        (
            _V.replace(
                "{body}",
                '  Dim run = Sub(s As String) Process.Start("cmd.exe", "/c " & s)\n  run.Invoke(Request("c"))\n',
            ),
            ".aspx",
        ),
    ],
    ids=["vb-interpolated", "vb-interpolated-quotes", "invoke", "vb-lambda", "vb-lambda-invoke"],
)
def test_request_input_through_interpolation_and_delegates(page: str, ext: str) -> None:
    assert "process" in {h["sink"] for h in behaviour.analyse(page.encode(), ext).hits}


def test_a_vb_lambda_given_a_constant_is_silent() -> None:
    page = _V.replace(
        "{body}",
        '  Dim run = Sub(s As String) Process.Start("notepad.exe", s)\n  run("readme.txt")\n'
        '  Response.Write(Server.HtmlEncode(Request("c")))\n  Response.Write($"<b>{Request("c")}</b>")\n',
    )
    assert behaviour.analyse(page.encode(), ".aspx").hits == []


# --- x16 request: HTML server controls' posted values; a page with no language is VB -----------------------

_HTML = (
    '<%@ Page Language="C#" %>\n<script runat="server">\nprotected void Go(object s, EventArgs e) {\n'
    '  var p = new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " + {value});\n'
    '  System.Diagnostics.Process.Start(p);\n}\n</script>\n<form runat="server">{markup}'
    '<asp:Button runat="server" OnClick="Go" Text="Go" /></form>\n'
)


@pytest.mark.parametrize(
    ("value", "markup"),
    [
        ("opts.Value", '<input runat="server" id="opts" type="text" value="/?" />'),
        ("opts.Value", '<input id="opts" runat="server" />'),
        ("opts.Value", '<input runat="server" id="opts" type="hidden" />'),
        ("script.Value", '<textarea id="script" runat="server"></textarea>'),
        ("script.InnerText", '<textarea id="script" runat="server"></textarea>'),
        ("pick.Value", '<select id="pick" runat="server"><option>a</option></select>'),
        ("keep.Value", '<asp:HiddenField ID="keep" runat="server" />'),
    ],
    ids=[
        "input-text",
        "input-untyped",
        "input-hidden",
        "textarea",
        "textarea-innertext",
        "select",
        "hiddenfield",
    ],
)
def test_posted_values_of_html_server_controls_are_request_input(value: str, markup: str) -> None:
    page = _HTML.replace("{value}", value).replace("{markup}", markup)
    assert "process" in {h["sink"] for h in behaviour.analyse(page.encode(), ".aspx").hits}


def test_a_code_behind_field_of_an_html_input_type_is_request_input() -> None:
    code = (
        "using System.Web.UI.HtmlControls;\npublic partial class Tool : System.Web.UI.Page {\n"
        "  protected HtmlInputText opts;\n  protected void Go(object s, System.EventArgs e) {\n"
        '    System.Diagnostics.Process.Start("cmd.exe", "/c " + opts.Value);\n  }\n}\n'
    )
    hits = behaviour.analyse(code.encode(), ".cs").hits
    assert "process" in {h["sink"] for h in hits}


@pytest.mark.parametrize(
    ("value", "markup"),
    [
        ("agree.Value", '<input runat="server" id="agree" type="checkbox" value="yes" />'),
        ("go.Value", '<input runat="server" id="go" type="submit" value="ipconfig" />'),
        ("opts.Value", '<input id="opts" type="text" value="/?" />'),  # not a server control
        ("cfg.Value", ""),  # no such control: a KeyValuePair's Value, a setting's Value
    ],
    ids=["checkbox", "submit-button", "plain-html-input", "no-control"],
)
def test_values_the_client_does_not_post_are_not_request_input(value: str, markup: str) -> None:
    page = _HTML.replace("{value}", value).replace("{markup}", markup)
    assert "process" not in {h["sink"] for h in behaviour.analyse(page.encode(), ".aspx").hits}


def test_a_page_with_no_language_holding_vb_script_blocks_is_vb() -> None:
    page = (
        '<%@ Import Namespace="System.Diagnostics" %>\n<script runat="server">\n'
        "Sub Go(Src As Object, E As EventArgs)\n  Dim info As New ProcessStartInfo(prog.text)\n"
        "  info.Arguments = args.text\n  Dim p As New Process()\n  p.StartInfo = info\n  p.Start()\nEnd Sub\n"
        '</script>\n<form runat="server"><asp:TextBox id="prog" runat="server" /><asp:TextBox id="args" runat="server" />'
        "</form>\n"
    )
    hits = behaviour.analyse(page.encode(), ".aspx").hits
    assert [(h["sink"], h["language"]) for h in hits] == [("process", "VB")]


def test_a_response_header_set_from_a_request_file_keeps_the_file_read() -> None:
    # B2's request (ResChat's handler): ContentType = "image/" + fi.Extension tainted the whole context object
    # with literal text, so context.Server.MapPath(p) read as only partly the request's and file-read went quiet
    page = (
        '<%@ WebHandler Language="C#" Class="H" %>\nusing System.Web;\npublic class H : IHttpHandler {\n'
        "public bool IsReusable { get { return false; } }\npublic void ProcessRequest(HttpContext context) {\n"
        '  string p = context.Request.QueryString["ID"];\n'
        "  var fi = new System.IO.FileInfo(context.Request.PhysicalApplicationPath + p);\n"
        '  if (fi.Exists) {\n    context.Response.ContentType = "image/" + fi.Extension;\n'
        "    context.Response.WriteFile(context.Server.MapPath(p));\n  }\n}\n}\n"
    )
    assert "file-read" in {h["sink"] for h in behaviour.analyse(page.encode(), ".ashx").hits}


# --- b3 and x16 requests: words in messages, Labels, a data source's configured connection, reflection SetValue ---


def test_a_keyword_inside_a_message_is_no_eval() -> None:
    code = (
        "Public Class DemoPage\n    Inherits System.Web.UI.Page\n"
        "    Protected WithEvents Label1 As System.Web.UI.WebControls.Label\n"
        "    Private Sub Page_Load(ByVal sender As Object, ByVal e As System.EventArgs) Handles MyBase.Load\n"
        "        Try\n            LoadList()\n        Catch oErr As System.Exception\n"
        '            Label1.Text = "Execute 1: " & oErr.Message\n        End Try\n    End Sub\nEnd Class\n'
    )
    assert behaviour.analyse(code.encode(), ".vb").hits == []
    # a browser script the page writes out is not the server evaluating code
    js = '<%@ Page Language="JScript" %>\n<% Response.Write("<script>eval(" + Request["x"] + ")</script>"); %>\n'
    assert "eval" not in {h["sink"] for h in behaviour.analyse(js.encode(), ".aspx").hits}
    # ... while the server's own eval of request text stays found
    real = '<%@ Page Language="JScript" %>\n<% var s = "x"; eval(Request["x"] + s); %>\n'
    assert "eval" in {h["sink"] for h in behaviour.analyse(real.encode(), ".aspx").hits}


def test_a_label_is_never_posted() -> None:
    page = (
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Go(object s, EventArgs e) {\n'
        '  System.Diagnostics.Process.Start("cmd.exe", "/c " + Hint.Text);\n}\n</script>\n'
        '<form runat="server"><asp:Label ID="Hint" runat="server" Text="dir" /></form>\n'
    )
    assert behaviour.analyse(page.encode(), ".aspx").hits == []
    posted = page.replace("asp:Label", "asp:TextBox")
    assert "process" in {h["sink"] for h in behaviour.analyse(posted.encode(), ".aspx").hits}


_SQLDS = (
    '<%@ WebHandler Language="VB" Class="DemoImage" %>\nImports System.Web.Configuration\n'
    "Imports System.Web.UI.WebControls\nPublic Class DemoImage\n    Implements IHttpHandler\n"
    "    Public Sub ProcessRequest(ByVal context As HttpContext) Implements IHttpHandler.ProcessRequest\n"
    '        Dim imageId As String = context.Request.QueryString("Id")\n'
    "        Dim src As SqlDataSource = New SqlDataSource()\n"
    "        src.ConnectionString = {conn}\n"
    '        src.SelectCommand = "SELECT Image FROM Images WHERE Id=" + imageId\n'
    "    End Sub\nEnd Class\n"
)


def test_a_data_source_with_a_configured_connection_is_no_sql_connection() -> None:
    configured = _SQLDS.replace(
        "{conn}", 'WebConfigurationManager.ConnectionStrings("Images").ConnectionString'
    )
    assert behaviour.analyse(configured.encode(), ".ashx").hits == []
    chosen = _SQLDS.replace("{conn}", 'context.Request.Form("cs")')
    assert "sql-connection" in {h["sink"] for h in behaviour.analyse(chosen.encode(), ".ashx").hits}


def test_reflection_setvalue_is_not_the_registry() -> None:
    binder = (
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load() {\n  var m = new Customer();\n'
        "  foreach (var p in typeof(Customer).GetProperties()) {\n"
        "    if (Request.Form[p.Name] != null) p.SetValue(m, Request.Form[p.Name]);\n  }\n}\n</script>\n"
    )
    assert behaviour.analyse(binder.encode(), ".aspx").hits == []
    registry = (
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load() {\n'
        '  var k = Microsoft.Win32.Registry.CurrentUser.CreateSubKey("Software\\\\Example");\n'
        '  k.SetValue(Request.Form["n"], Request.Form["v"]);\n}\n</script>\n'
    )
    assert "registry" in {h["sink"] for h in behaviour.analyse(registry.encode(), ".aspx").hits}


def test_a_request_chosen_folders_files_stay_the_requests() -> None:
    # the listed kind is added to what the request gives a file name (not instead of it): deleting every file of
    # a request-named folder is still a write the request chooses
    page = (
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.IO" %>\n<script runat="server">\n'
        'void Page_Load() {\n  foreach (string f in Directory.GetFiles(Request["dir"])) File.Delete(f);\n}\n</script>\n'
    )
    assert "file-write" in {h["sink"] for h in behaviour.analyse(page.encode(), ".aspx").hits}


# --- x14 note 3: an extension of the attacker's own served as pages ---------------------------------------


@pytest.mark.parametrize(
    ("path", "handler", "found"),
    [
        ("*.info", "System.Web.UI.PageHandlerFactory", True),
        ("*.dat", "System.Web.UI.SimpleHandlerFactory", True),
        ("*.aspx", "System.Web.UI.PageHandlerFactory", False),
        ("*.ashx", "System.Web.UI.SimpleHandlerFactory", False),
        (
            "*.info",
            "Example.Web.InfoHandler, Example",
            False,
        ),  # an application's own handler for its extension
    ],
)
def test_an_extension_served_as_pages(path: str, handler: str, found: bool) -> None:
    config = (
        '<?xml version="1.0"?>\n<configuration><system.webServer><handlers>\n'
        f'<add name="X" path="{path}" verb="*" type="{handler}" resourceType="Unspecified" />\n'
        "</handlers></system.webServer></configuration>\n"
    )
    hits = behaviour.analyse(config.encode(), ".config").hits
    assert ("config-handler" in {h["sink"] for h in hits}) is found


# --- a COM object the request names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "found"),
    [
        (
            _V.replace(
                "{body}", '  Dim o As Object = CreateObject(Request("prog"))\n  o.Run(Request("c"))\n'
            ),
            True,
        ),
        (
            _PAGE.replace(
                "{body}",
                '  dynamic o = Activator.CreateInstance(Type.GetTypeFromProgID(Request.Form["p"]));\n',
            ),
            True,
        ),
        ('<%@ Page Language="JScript" %>\n<% var o = new ActiveXObject(Request.Form["p"]); %>\n', True),
        # a ProgID of the application's own family, the request choosing the member only
        (
            _V.replace("{body}", '  Dim o As Object = CreateObject("Example.Report." & Request("kind"))\n'),
            False,
        ),
        (
            _V.replace(
                "{body}", '  Dim o As Object = CreateObject("Example.Report")\n  o.Render(Request("kind"))\n'
            ),
            False,
        ),
    ],
    ids=["vb", "cs", "js", "fixed-family", "fixed"],
)
def test_a_com_object_the_request_names(page: str, found: bool) -> None:
    sinks = {h["sink"] for h in behaviour.analyse(page.encode(), ".aspx").hits}
    assert ("com-by-request" in sinks) is found


# --- a network-diagnostic tool given the request's host (x16's ordinary ping page) -------------------------


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ('Process.Start("ping.exe", "-n 1 " + Request["h"]);', False),
        (
            'var psi = new ProcessStartInfo(@"C:\\Windows\\System32\\tracert.exe", Request["h"]); Process.Start(psi);',
            False,
        ),
        (
            'var psi = new ProcessStartInfo { FileName = "nslookup.exe", Arguments = Request["h"] }; Process.Start(psi);',
            False,
        ),
        # a shell around the same tool, another program beside it, a program the request names
        ('Process.Start("cmd.exe", "/c ping " + Request["h"]);', True),
        ('Process.Start("ping.exe", Request["h"]); Process.Start(Request["x"]);', True),
        (
            'var psi = new ProcessStartInfo("ping"); psi.Arguments = Request["h"]; psi.FileName = Request["p"]; Process.Start(psi);',
            True,
        ),
        (
            'string x = Request["c"]; var psi = new ProcessStartInfo("ping.exe", x); Process.Start(psi); Process.Start(x);',
            True,
        ),
    ],
    ids=[
        "ping",
        "tracert-psi",
        "nslookup-initializer",
        "cmd-ping",
        "ping-and-another",
        "filename-from-request",
        "request-program",
    ],
)
def test_a_diagnostic_tool_given_a_host_is_no_command(body: str, found: bool) -> None:
    page = '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Go() {\n' + body + "\n}\n</script>\n"
    assert ("process" in {h["sink"] for h in behaviour.analyse(page.encode(), ".aspx").hits}) is found


# --- x17 request: a shell padded with many methods (the call sites were searched once per method and round) --


def test_a_shell_padded_with_many_methods_is_still_analysed() -> None:
    methods = "".join(f"    int F{i}(int a) {{ return a + {i}; }}\n" for i in range(1600))
    page = (
        '<%@ Page Language="C#" %>\n<script runat="server">\n' + methods + "</script>\n"
        '<script runat="server">\nvoid Page_Load() {\n  string c = Run(Request["c"]);\n}\n'
        'string Run(string x) { System.Diagnostics.Process.Start("cmd.exe", "/c " + x); return x; }\n</script>\n'
    )
    t0 = time.thread_time()
    result = behaviour.analyse(page.encode(), ".aspx", budget=5.0)
    assert result.problem is None, (
        result.problem,
        time.thread_time() - t0,
    )  # (6.7 s before: past the 5 s limit, no finding)
    assert "process" in {h["sink"] for h in result.hits}
    quiet = page.replace('Request["c"]', '"ipconfig"')
    assert behaviour.analyse(quiet.encode(), ".aspx", budget=5.0).hits == []


# --- lead's request: time linear in a page's markup (the stub-page pattern was searched over the markup's newlines) --


@pytest.mark.parametrize(
    ("code", "sink"),
    [
        ('<% System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"]); %>', "process"),
        ('<% new Example.Tools.Runner("k"); %>', "dropped-class"),
    ],
    ids=["process", "stub"],
)
@pytest.mark.parametrize(
    "pad", ["<!-- " + "x" * 80 + " -->\n", "<p>" + "x" * 80 + "</p>\n"], ids=["comments", "paragraphs"]
)
def test_a_shell_after_much_markup_is_analysed_in_time(code: str, sink: str, pad: str) -> None:
    # 26,000 lines (2.3 MB) of plain markup: the 5 s limit, no finding, before; ~0.1 s now
    page = '<%@ Page Language="C#" %>\n' + pad * 26_000 + code + "\n"
    result = behaviour.analyse(page.encode(), ".aspx", budget=5.0)
    assert result.problem is None
    assert sink in {h["sink"] for h in result.hits}
