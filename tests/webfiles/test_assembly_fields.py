"""Literals kept in fields (issue 14, lead, session 21). The pipe-relay sink counts a write only into a named pipe the
code made (the literal ``new:System.IO.Pipes.NamedPipeClientStream``). A value's literals were dropped when it went
into a field, so a pipe kept in a field - which is what the compiler makes of a local in an async method or lambda
(X47's ASP.NET Core middleware sibling ``app.Use(async (context, next) => ...)``: 190 of 191 compiled Core siblings
found, this one not) - was no pipe when written. The C# is written for these tests (mcs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from extriage.detections.webfiles.assembly import analysis

from .assembly_build import compile_cs, needs_mcs

pytestmark = needs_mcs

_USING = (
    "using System; using System.IO; using System.IO.Pipes; using System.Text; using System.Web;\n"
    "using System.Threading.Tasks;\n"
)

FOUND = {
    # the pipe a local of an async method: the compiler keeps it in a field of the method's state machine
    "async_local": _USING + (
        "public class H : IHttpHandler { public bool IsReusable { get { return false; } }\n"
        "  public void ProcessRequest(HttpContext ctx) { Relay(ctx).Wait(); }\n"
        "  async Task Relay(HttpContext ctx) {\n"
        '    var p = new NamedPipeClientStream(".", "relay", PipeDirection.InOut); p.Connect();\n'
        "    await Task.Yield();\n"
        '    byte[] b = Encoding.UTF8.GetBytes(ctx.Request.QueryString["x"]); p.Write(b, 0, b.Length); } }\n'
    ),
    # the pipe kept in the handler's field by one method, written with the request by another
    "handler_field": _USING + (
        "public class H : IHttpHandler { NamedPipeClientStream pipe;\n"
        "  public bool IsReusable { get { return false; } }\n"
        '  public void ProcessRequest(HttpContext ctx) { pipe = new NamedPipeClientStream(".", "relay"); pipe.Connect(1000);\n'
        '    Send(ctx.Request.Form["m"]); }\n'
        "  void Send(string m) { var w = new StreamWriter(pipe); w.Write(m); w.Flush(); } }\n"
    ),
}
QUIET = {
    # the same async shape writing a fixed status line into the pipe; the request is only echoed back, encoded
    "async_fixed": _USING + (
        "public class H : IHttpHandler { public bool IsReusable { get { return false; } }\n"
        "  public void ProcessRequest(HttpContext ctx) { Relay(ctx).Wait(); }\n"
        "  async Task Relay(HttpContext ctx) {\n"
        '    var p = new NamedPipeClientStream(".", "status", PipeDirection.InOut); p.Connect();\n'
        "    await Task.Yield();\n"
        '    byte[] b = Encoding.UTF8.GetBytes("ping"); p.Write(b, 0, b.Length);\n'
        '    ctx.Response.Write(HttpUtility.HtmlEncode(ctx.Request.QueryString["x"])); } }\n'
    ),
    # a field holding a memory stream (no pipe) written with the request: a buffer, not a channel
    "field_buffer": _USING + (
        "public class H : IHttpHandler { MemoryStream buffer;\n"
        "  public bool IsReusable { get { return false; } }\n"
        '  public void ProcessRequest(HttpContext ctx) { buffer = new MemoryStream(); Send(ctx.Request.Form["m"]);\n'
        "    ctx.Response.Write(buffer.Length); }\n"
        "  void Send(string m) { var w = new StreamWriter(buffer); w.Write(m); w.Flush(); } }\n"
    ),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("fields")
    return {n: compile_cs(tmp, n, src) for n, src in {**FOUND, **QUIET}.items()}


@pytest.mark.parametrize("name", sorted(FOUND))
def test_a_pipe_kept_in_a_field_is_still_a_pipe(built: dict[str, Path], name: str) -> None:
    report = analysis.analyse(built[name].read_bytes(), name)
    assert "pipe-relay" in {h.rule.id for h in report.hits if h.confidence == "high"}, [analysis.describe(h) for h in report.hits]


@pytest.mark.parametrize("name", sorted(QUIET))
def test_their_ordinary_twins_are_quiet(built: dict[str, Path], name: str) -> None:
    report = analysis.analyse(built[name].read_bytes(), name)
    assert not report.hits, [analysis.describe(h) for h in report.hits]
