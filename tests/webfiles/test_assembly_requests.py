"""Requests served on the IL analysis (issue 14, IL2, session 21; /work/notes/to_il2.md). X50: a request value written
into the standard input of a started process (cseroad's ashx_cmd shape: cmd.exe with its input redirected, the command
never in Arguments) is a process sink. BIL-1: ``new FileInfo(upload.FileName).Name``/``.Extension`` is the upload's
bare name, as ``Path.GetFileName`` gives, and building the FileInfo reads nothing: only its I/O (OpenRead, Delete,
...) on a request-chosen path is. The C# is written for these tests (mcs), after the requesters' reproductions."""

from __future__ import annotations

from pathlib import Path

import pytest

from extriage.detections.webfiles.assembly import analysis

from .assembly_build import compile_cs, needs_mcs

pytestmark = needs_mcs

_HANDLER = (
    "using System; using System.IO; using System.Web; using System.Diagnostics;\n"
    "public class H : IHttpHandler {{ public bool IsReusable {{ get {{ return false; }} }}\n"
    "  public void ProcessRequest(HttpContext context) {{\n{body}\n  }} }}\n"
)

FOUND = {
    "stdin_feed": (
        'string line = context.Request["q"]; Process p = new Process(); p.StartInfo.FileName = "cmd.exe";\n'
        "p.StartInfo.UseShellExecute = false; p.StartInfo.RedirectStandardInput = true; p.Start();\n"
        "p.StandardInput.WriteLine(line); p.StandardInput.Close();",
        "process-stdin",
    ),
    "stdin_feed_started": (
        'ProcessStartInfo psi = new ProcessStartInfo("cmd.exe"); psi.RedirectStandardInput = true;\n'
        "psi.UseShellExecute = false; Process p = Process.Start(psi); StreamWriter w = p.StandardInput;\n"
        'w.Write(context.Request.Form["c"] + "\\r\\n"); w.Flush();',
        "process-stdin",
    ),
    # IL3, session 22: the interpreter named by its full path (the program a Process was made to start is now known)
    "stdin_feed_powershell_path": (
        'Process p = new Process(); p.StartInfo.FileName = @"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";\n'
        'p.StartInfo.Arguments = "-NoProfile -Command -"; p.StartInfo.UseShellExecute = false; p.StartInfo.RedirectStandardInput = true;\n'
        'p.Start(); p.StandardInput.WriteLine(context.Request.Form["ps"]); p.StandardInput.Close();',
        "process-stdin",
    ),
    "fileinfo_open": ('FileInfo f = new FileInfo(context.Request["path"]); context.Response.Write(f.OpenText().ReadToEnd());', "file-read"),
    "fileinfo_delete": ('new FileInfo(context.Request["path"]).Delete();', "file-write"),
    # BIL-2: a FileStream opened to read (Roxy Fileman's thumbnails): found, and its title does not say it writes
    "filestream_read": (
        'using (FileStream fs = new FileStream(context.Request["f"], FileMode.Open, FileAccess.Read)) { fs.CopyTo(context.Response.OutputStream); }',
        "file-write",
    ),
}
QUIET = {
    # a fixed line into the started process's input; the request only picks what is echoed back, encoded
    "stdin_fixed": (
        'Process p = new Process(); p.StartInfo.FileName = "cmd.exe"; p.StartInfo.RedirectStandardInput = true;\n'
        'p.StartInfo.UseShellExecute = false; p.Start(); p.StandardInput.WriteLine("ver"); p.StandardInput.Close();\n'
        'context.Response.Write(HttpUtility.HtmlEncode(context.Request["q"]));',
    ),
    # IL3, session 22 (IL2's note): the page's text piped into sort.exe, findstr and a converter - no interpreter
    "stdin_sort": (
        'Process p = new Process(); p.StartInfo.FileName = "sort.exe"; p.StartInfo.UseShellExecute = false;\n'
        "p.StartInfo.RedirectStandardInput = true; p.StartInfo.RedirectStandardOutput = true; p.Start();\n"
        'p.StandardInput.Write(context.Request.Form["lines"]); p.StandardInput.Close();\n'
        "context.Response.Write(HttpUtility.HtmlEncode(p.StandardOutput.ReadToEnd()));",
    ),
    "stdin_findstr_started": (
        'ProcessStartInfo psi = new ProcessStartInfo(@"C:\\Windows\\System32\\findstr.exe", "/i error");\n'
        "psi.RedirectStandardInput = true; psi.UseShellExecute = false; Process p = Process.Start(psi);\n"
        'StreamWriter w = p.StandardInput; w.Write(context.Request.Form["log"]); w.Close();',
    ),
    # BIL-1's reproductions: the upload's bare name and extension through FileInfo, saved into a fixed folder
    "fileinfo_name": (
        "HttpPostedFile posted = context.Request.Files[0]; string name = new FileInfo(posted.FileName).Name;\n"
        'posted.SaveAs(Path.Combine(context.Server.MapPath("~/App_Data/avatars"), name));',
    ),
    "fileinfo_ext": (
        "HttpPostedFile posted = context.Request.Files[0]; string ext = new FileInfo(posted.FileName).Extension;\n"
        'if (ext != ".png" && ext != ".jpg") { context.Response.StatusCode = 400; return; }\n'
        'posted.SaveAs(context.Server.MapPath("~/App_Data/img/") + Guid.NewGuid().ToString("N") + ext);',
    ),
    # a FileInfo of a fixed folder's file named by the request's bare name, only for its size
    "fileinfo_length": (
        'FileInfo f = new FileInfo(Path.Combine(context.Server.MapPath("~/files"), Path.GetFileName(context.Request["f"])));\n'
        "context.Response.Write(f.Length);",
    ),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("requests")
    cases = {**{n: b for n, (b, _s) in FOUND.items()}, **{n: b[0] for n, b in QUIET.items()}}
    return {n: compile_cs(tmp, n, _HANDLER.format(body=body)) for n, body in cases.items()}


@pytest.mark.parametrize("name", sorted(FOUND))
def test_the_shapes_are_found(built: dict[str, Path], name: str) -> None:
    report = analysis.analyse(built[name].read_bytes(), name)
    assert FOUND[name][1] in {h.rule.id for h in report.hits if h.confidence == "high"}, [analysis.describe(h) for h in report.hits]


def test_a_file_opened_to_read_is_not_said_to_be_written(built: dict[str, Path]) -> None:
    hit = next(h for h in analysis.analyse(built["filestream_read"].read_bytes()).hits if h.rule.id == "file-write")
    assert hit.rule.title.startswith("opens, ") and hit.sink == "System.IO.FileStream::.ctor"


@pytest.mark.parametrize("name", sorted(QUIET))
def test_their_ordinary_twins_are_quiet(built: dict[str, Path], name: str) -> None:
    report = analysis.analyse(built[name].read_bytes(), name)
    assert not report.hits, [analysis.describe(h) for h in report.hits]
