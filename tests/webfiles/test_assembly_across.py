"""Flows across two assemblies of one site (issue 14, IL2, session 21): ASP.NET compiles a site's App_Code folder
into ``App_Code.*.dll`` and each page into ``App_Web_*.dll`` beside it in Temporary ASP.NET Files, so a page
handing the request to an App_Code helper that runs it holds the source in one DLL and the operation in the
other. The helper's public methods' parameter reaches are exported and applied where the page calls them; a
helper that takes the value and runs a fixed command stays quiet. The C# is written for these tests (mcs)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from extriage.detections.webfiles.assembly import analysis
from extriage.scan.context import ScanOptions
from extriage.scan.pipeline import run_scan
from extriage.scan.stages.webfiles import STAGES

from .assembly_build import compile_cs, needs_mcs
from .test_assembly_stage import _TEMP, _il

pytestmark = needs_mcs

HELPER = (
    "using System.Diagnostics;\n"
    "public class SiteTools {\n"
    "  public static string Clean(string v) { return v.Trim(); }\n"
    "  public void Run(string command) { Process.Start(\"cmd.exe\", \"/c \" + Clean(command)); }\n"
    "}\n"
)
#: The quiet twin: the same method, taking the value for a log line and running a fixed check.
HELPER_TWIN = (
    "using System.Diagnostics;\n"
    "public class SiteTools {\n"
    "  public static string Clean(string v) { return v.Trim(); }\n"
    "  public void Run(string command) { Trace.WriteLine(Clean(command)); Process.Start(\"ping.exe\", \"-n 1 127.0.0.1\"); }\n"
    "}\n"
)
PAGE = (
    "using System.Web;\n"
    "public class Tools_Page : IHttpHandler { public bool IsReusable { get { return false; } }\n"
    "  public void ProcessRequest(HttpContext ctx) { new SiteTools().Run(ctx.Request.Form[\"c\"]); } }\n"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for kind, helper in (("shell", HELPER), ("twin", HELPER_TWIN)):
        tmp = tmp_path_factory.mktemp(kind)
        code = compile_cs(tmp, "App_Code", helper)
        out[f"{kind}_code"] = code
        out[f"{kind}_page"] = compile_cs(tmp, "App_Web_tools", PAGE, also=(code,))
    return out


def test_a_page_handing_the_request_to_app_code_that_runs_it_is_found(site: dict[str, Path]) -> None:
    code = analysis.analyse(site["shell_code"].read_bytes(), "App_Code.dll", export=True)
    assert not code.hits and ("SiteTools", "Run", 1) in code.exports
    page = analysis.analyse(site["shell_page"].read_bytes(), "App_Web_tools.dll", imports=code.exports)
    flows = [h for h in page.hits if h.confidence == "high"]
    assert [(h.rule.id, h.method) for h in flows] == [("process", "SiteTools::Run")], [analysis.describe(h) for h in page.hits]
    assert flows[0].entry is not None and flows[0].entry.method == "Tools_Page::ProcessRequest"
    assert flows[0].via[0].startswith("Tools_Page::ProcessRequest IL_") and "(another assembly)" in flows[0].via[0]
    assert not analysis.analyse(site["shell_page"].read_bytes(), "App_Web_tools.dll").hits  # alone: no operation


def test_app_code_that_runs_a_fixed_command_is_quiet(site: dict[str, Path]) -> None:
    code = analysis.analyse(site["twin_code"].read_bytes(), "App_Code.dll", export=True)
    assert not code.exports
    assert not analysis.analyse(site["twin_page"].read_bytes(), "App_Web_tools.dll", imports=code.exports).hits


def test_the_stage_joins_a_compiled_page_to_its_app_code(tmp_path: Path, site: dict[str, Path]) -> None:
    ev = tmp_path / "ev"
    for kind, folder in (("shell", "5f3a1c2b"), ("twin", "77aa01bc")):
        temp = ev.joinpath(*_TEMP[:-2], folder, "9e8d7c6a")
        temp.mkdir(parents=True)
        shutil.copy(site[f"{kind}_code"], temp / "App_Code.x1y2z3.dll")
        shutil.copy(site[f"{kind}_page"], temp / f"App_Web_{kind}01.dll")
    result = run_scan(str(ev), ScanOptions(jobs=1), stages=list(STAGES))
    assert _il(result) == {"App_Web_shell01.dll": ["WF-IL-PROCESS"]}
