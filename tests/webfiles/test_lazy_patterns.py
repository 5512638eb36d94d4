"""The behaviour engine's module-level patterns are compiled on first use, not when a scan plans
(issue 18, P6, session 17): importing ``taint``/``normalise``/``extract`` compiles none of them, the
prepare thread's web-file warmer and the fork server's preload compile them all, and a lazy pattern
gives what ``re.compile`` gives."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

from extriage.detections.webfiles import behaviour
from extriage.detections.webfiles.behaviour import lazy

_ENGINE_FILES = (
    "behaviour/taint.py",
    "behaviour/arguments.py",
    "behaviour/rewrite.py",
    "behaviour/qualifiers.py",
    "behaviour/sources.py",
    "behaviour/sinks.py",
    "behaviour/carriers.py",
    "behaviour/narrowing.py",
    "behaviour/normalise.py",
    "behaviour/extract.py",
)


def _fresh(script: str) -> dict[str, object]:
    """Run ``script`` in a fresh interpreter (nothing imported yet); it prints one JSON object."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True, timeout=120, check=True
    )
    out: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


_COUNT_COMPILES = """
    import json, re, sys
    counts = {"engine": 0, "lazy": 0}
    original = re._compile

    def counted(pattern, flags):
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename.endswith(("re/__init__.py", "re.py")):
            frame = frame.f_back
        name = frame.f_code.co_filename.replace("\\\\", "/") if frame is not None else ""
        if name.endswith(%r):
            counts["engine"] += 1
        elif name.endswith("behaviour/lazy.py"):
            counts["lazy"] += 1
        return original(pattern, flags)

    re._compile = counted
"""


def test_planning_a_scan_compiles_none_of_the_engines_tables() -> None:
    out = _fresh(
        _COUNT_COMPILES % (_ENGINE_FILES,)
        + """
    import extriage.scan.pipeline as pipeline
    from extriage.detections.webfiles.behaviour import lazy
    pipeline.plan()
    planned, pending = counts["engine"] + counts["lazy"], lazy.pending()
    from extriage.detections.webfiles import behaviour
    behaviour.warm_patterns()
    print(json.dumps({"planned": planned, "pending": pending, "warmed": counts["lazy"], "left": lazy.pending()}))
    """
    )
    assert out["planned"] == 0  # (145 + 47 + 32 at import before session 17)
    assert isinstance(out["pending"], int) and out["pending"] > 200
    assert out["warmed"] == out["pending"]  # warm compiles each once
    assert out["left"] == 0


def test_the_prepare_thread_and_the_fork_server_preload_compile_them() -> None:
    out = _fresh(
        """
    import json
    from extriage.scan import prepare
    from extriage.scan.context import ScanOptions
    from extriage.detections.webfiles.behaviour import lazy
    before = lazy.pending()
    prepare.WARMERS["webfiles"](ScanOptions(), None, None)
    print(json.dumps({"before": before, "after": lazy.pending()}))
    """
    )
    assert isinstance(out["before"], int) and out["before"] > 200 and out["after"] == 0
    out = _fresh(
        """
    import json
    import extriage.detections.webfiles.warm_behaviour
    from extriage.detections.webfiles.behaviour import lazy
    print(json.dumps({"after": lazy.pending()}))
    """
    )
    assert out["after"] == 0


def test_a_lazy_pattern_is_the_compiled_pattern() -> None:
    text, flags = r"(?<![\w.])Process\s*\.\s*Start\s*\(\s*(\w+)", re.I | re.M
    made, real = lazy.lazy(text, flags), re.compile(text, flags)
    assert "search" not in vars(made)  # not compiled by being made
    code = 'x\nprocess . start ( cmd ) ; PROCESS.Start(arg)'
    assert [m.span(1) for m in made.finditer(code)] == [m.span(1) for m in real.finditer(code)]
    assert "search" in vars(made)  # compiled once, its methods kept as its own
    assert made.search(code, 5) is not None and made.search(code, 5).span() == real.search(code, 5).span()  # type: ignore[union-attr]
    assert made.sub("<run>", code) == real.sub("<run>", code)
    assert (made.pattern, made.flags, made.groups, made.groupindex) == (real.pattern, real.flags, real.groups, real.groupindex)
    raw = lazy.lazy(rb"%(\w+)%")
    assert [m.group(1) for m in raw.finditer(b"%COMSPEC% %x%")] == [b"COMSPEC", b"x"]


_SHELL = b"""<%@ Page Language="C#" %>
<script runat="server">
void Page_Load(object s, EventArgs e) {
    string c = Request.Form["c"];
    System.Diagnostics.Process.Start("cmd.exe", "/c " + c);
}
</script>"""


def test_findings_do_not_depend_on_whether_the_tables_were_warmed() -> None:
    """A fresh process analysing a page with nothing compiled finds what a warmed one finds."""
    behaviour.warm_patterns()
    warmed = json.loads(json.dumps(behaviour.analyse(_SHELL, ".aspx").hits))
    assert warmed  # (the page's process sink)
    out = _fresh(
        f"""
    import json
    from extriage.detections.webfiles import behaviour
    from extriage.detections.webfiles.behaviour import lazy
    before = lazy.pending()
    hits = behaviour.analyse({_SHELL!r}, ".aspx").hits
    print(json.dumps({{"before": before, "hits": hits}}))
    """
    )
    assert isinstance(out["before"], int) and out["before"] > 200
    assert out["hits"] == warmed
