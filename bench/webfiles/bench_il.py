"""The IL analysis of compiled .NET assemblies on real code: C# handlers and services compiled with mono's ``mcs``,
and real assemblies (issue 14, IL1).

Source folders: every ``.ashx``/``.asmx`` whose directive names C# (or no language) has its directives removed and
the rest compiled as a library; every ``.cs`` is compiled as it is (with ``--core``, against a stub of the ASP.NET
Core types the sources name, and with C# 9 top-level statements wrapped into a method: mcs predates them). The
DLLs go to ``--out`` (a ``/tmp`` folder: never into the project). Assembly folders (``--assemblies``): every
``.dll``/``.exe`` under them, de-duplicated by SHA-256. Each DLL is analysed as the scan analyses it
(``assembly.analysis.analyse`` under the per-file budget) and scanned with the project's YARA rules, for the
speed figures.

Usage (from the repo root):
    PYTHONPATH=src .venv/bin/python bench/webfiles/bench_il.py SRC... --out /tmp/il1/NAME [--core] [--list]
    PYTHONPATH=src .venv/bin/python bench/webfiles/bench_il.py --assemblies DIR... [--list]
    PYTHONPATH=src:tests .venv/bin/python bench/webfiles/bench_il.py --siblings --out /tmp/il1/siblings [--list]

Figures: sources, C# handlers found, compiled, flagged by a traced flow ("high"), by review hits only (a native
declaration, both-appear), not flagged; Wilson 95 % intervals; per sink; time per file and MB/s of the IL
analysis and of the YARA pass on the same DLLs.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import yara_x

from extriage.detections.webfiles.assembly import analysis, reader
from extriage.detections.webfiles.behaviour import budget
from extriage.detections.webfiles.rules import build_ruleset, load_serialized

MONO = Path("/usr/lib/mono/4.5")
#: Framework assemblies handed to mcs (those present): what a handler or a service may use.
REFERENCES = (
    "System.Web", "System.Web.Services", "System.Data", "System.Drawing", "System.Xml", "System.Xml.Linq",
    "System.Configuration", "System.Core", "Microsoft.CSharp", "System.DirectoryServices", "System.Management",
    "System.Web.Extensions", "System.Runtime.Serialization", "System.ServiceModel", "System.Net.Http",
    "Microsoft.JScript", "System.EnterpriseServices", "System.IO.Compression", "System.Security",
    "System.Runtime.Remoting", "System.Windows.Forms", "System.Transactions", "System.Data.Linq",
    "System.Runtime.Serialization.Formatters.Soap", "System.Web.ApplicationServices", "System.DirectoryServices.Protocols",
)  # fmt: skip
_DIRECTIVE = re.compile(r"<%@\s*(\w+)([^%]*)%>", re.S)
_LANGUAGE = re.compile(r"""\bLanguage\s*=\s*["']?\s*([\w#+]+)""", re.I)
#: The ASP.NET Core types the Core sources name, declared for mcs (member references carry namespace + type +
#: name: the IL of a call to the stub is the IL of a call to Core).
CORE_STUB = """
using System; using System.Threading.Tasks;
namespace Microsoft.Extensions.Primitives { public struct StringValues { public static implicit operator string(StringValues v) { return null; } public override string ToString() { return null; } public string this[int i] { get { return null; } } } }
namespace Microsoft.AspNetCore.Http {
    using Microsoft.Extensions.Primitives;
    public interface IQueryCollection { StringValues this[string key] { get; } }
    public interface IHeaderDictionary { StringValues this[string key] { get; } }
    public interface IRequestCookieCollection { string this[string key] { get; } }
    public interface IFormFile { string FileName { get; } string Name { get; } long Length { get; } System.IO.Stream OpenReadStream(); void CopyTo(System.IO.Stream target); Task CopyToAsync(System.IO.Stream target, System.Threading.CancellationToken t = default(System.Threading.CancellationToken)); }
    public interface IFormFileCollection { IFormFile this[int index] { get; } IFormFile this[string name] { get; } int Count { get; } IFormFile GetFile(string name); }
    public interface IFormCollection { StringValues this[string key] { get; } IFormFileCollection Files { get; } }
    public abstract class HttpRequest {
        public abstract IQueryCollection Query { get; } public abstract IFormCollection Form { get; }
        public abstract System.IO.Stream Body { get; } public abstract IHeaderDictionary Headers { get; }
        public abstract IRequestCookieCollection Cookies { get; } public abstract string Method { get; }
        public abstract string Path { get; } public abstract long? ContentLength { get; } public abstract Task<IFormCollection> ReadFormAsync();
    }
    public abstract class HttpResponse { public abstract System.IO.Stream Body { get; } public abstract int StatusCode { get; set; } public abstract string ContentType { get; set; } }
    public abstract class HttpContext { public abstract HttpRequest Request { get; } public abstract HttpResponse Response { get; } }
    public static class HttpResponseWritingExtensions { public static Task WriteAsync(this HttpResponse r, string text) { return null; } }
    public delegate Task RequestDelegate(HttpContext context);
}
namespace Microsoft.AspNetCore.Mvc {
    public interface IActionResult { }
    public class ContentResult : IActionResult { } public class OkResult : IActionResult { }
    public abstract class ControllerBase {
        public Microsoft.AspNetCore.Http.HttpContext HttpContext { get { return null; } }
        public Microsoft.AspNetCore.Http.HttpRequest Request { get { return null; } }
        public Microsoft.AspNetCore.Http.HttpResponse Response { get { return null; } }
        public ContentResult Content(string s) { return null; } public ContentResult Content(string s, string t) { return null; }
        public OkResult Ok() { return null; } public OkResult Ok(object o) { return null; }
    }
    public abstract class Controller : ControllerBase { }
    public class FromQueryAttribute : Attribute { public string Name { get; set; } }
    public class FromFormAttribute : Attribute { public string Name { get; set; } }
    public class FromBodyAttribute : Attribute { }
    public class FromHeaderAttribute : Attribute { public string Name { get; set; } }
    public class FromRouteAttribute : Attribute { public string Name { get; set; } }
    public class HttpGetAttribute : Attribute { public HttpGetAttribute() { } public HttpGetAttribute(string t) { } }
    public class HttpPostAttribute : Attribute { public HttpPostAttribute() { } public HttpPostAttribute(string t) { } }
    public class RouteAttribute : Attribute { public RouteAttribute(string t) { } }
    public class ApiControllerAttribute : Attribute { }
}
namespace Microsoft.AspNetCore.Mvc.RazorPages {
    public abstract class PageModel {
        public Microsoft.AspNetCore.Http.HttpContext HttpContext { get { return null; } }
        public Microsoft.AspNetCore.Http.HttpRequest Request { get { return null; } }
        public Microsoft.AspNetCore.Http.HttpResponse Response { get { return null; } }
        public Microsoft.AspNetCore.Mvc.ContentResult Content(string s) { return null; }
    }
}
namespace Microsoft.AspNetCore.Builder {
    using Microsoft.AspNetCore.Http;
    public class WebApplicationBuilder { public WebApplication Build() { return null; } }
    public class WebApplication {
        public static WebApplicationBuilder CreateBuilder(string[] args) { return null; }
        public WebApplication Use(Func<HttpContext, Func<Task>, Task> m) { return this; }
        public WebApplication MapGet(string p, Func<HttpContext, string, Task> d) { return this; }
        public WebApplication MapGet(string p, Func<HttpContext, string, object> d) { return this; }
        public WebApplication MapPost(string p, Func<HttpContext, string, Task> d) { return this; }
        public WebApplication MapPost(string p, Func<HttpContext, string, object> d) { return this; }
        public void Run() { }
    }
}
"""
#: Framework assemblies mono's 4.5 profile here lacks (System.Management, System.Net.Http, Roslyn scripting),
#: declared for mcs as the Core stub is: the member references are those of the real assemblies.
EXTRA_STUB = """
using System; using System.Threading.Tasks;
namespace System.Management {
    public class ManagementBaseObject { public object this[string name] { get { return null; } set { } } }
    public class ManagementObject : ManagementBaseObject { public object InvokeMethod(string m, object[] a) { return null; } }
    public class ManagementClass : ManagementObject {
        public ManagementClass(string path) { } public ManagementClass(string scope, string path, object options) { }
        public ManagementClass(ManagementScope scope, ManagementPath path, object options) { }
        public ManagementBaseObject GetMethodParameters(string m) { return null; }
        public ManagementBaseObject InvokeMethod(string m, ManagementBaseObject i, object o) { return null; }
    }
    public class ManagementObjectCollection : System.Collections.IEnumerable { public System.Collections.IEnumerator GetEnumerator() { return null; } }
    public class ManagementObjectSearcher { public ManagementObjectSearcher(string q) { } public ManagementObjectCollection Get() { return null; } }
}
namespace System.Management {
    public class ManagementScope { public ManagementScope(string p) { } }
    public class ManagementPath { public ManagementPath(string p) { } }
    public partial class ManagementClassScoped { }
}
namespace System.Management.Automation {
    public class PSObject { }
    public class PowerShell : IDisposable {
        public static PowerShell Create() { return null; } public PowerShell AddScript(string s) { return this; }
        public PowerShell AddCommand(string c) { return this; } public PowerShell AddArgument(object a) { return this; }
        public PowerShell AddParameter(string n, object v) { return this; }
        public System.Collections.ObjectModel.Collection<PSObject> Invoke() { return null; } public void Dispose() { }
    }
}
namespace System.Management.Automation.Runspaces {
    public class CommandCollection { public void AddScript(string s) { } public void Add(string c) { } }
    public class Pipeline { public CommandCollection Commands { get { return null; } } public System.Collections.ObjectModel.Collection<System.Management.Automation.PSObject> Invoke() { return null; } }
    public class Runspace { public void Open() { } public Pipeline CreatePipeline() { return null; } public Pipeline CreatePipeline(string c) { return null; } }
    public static class RunspaceFactory { public static Runspace CreateRunspace() { return null; } }
}
namespace System.Net.Http {
    public class HttpClient : IDisposable {
        public Task<byte[]> GetByteArrayAsync(string u) { return null; } public Task<string> GetStringAsync(string u) { return null; }
        public Task<System.IO.Stream> GetStreamAsync(string u) { return null; } public void Dispose() { }
    }
}
namespace Microsoft.CodeAnalysis.Scripting { public class ScriptOptions { public static ScriptOptions Default { get { return null; } } } }
namespace Microsoft.CodeAnalysis.CSharp.Scripting {
    public static class CSharpScript {
        public static Task<object> EvaluateAsync(string code, Microsoft.CodeAnalysis.Scripting.ScriptOptions o = null, object globals = null) { return null; }
        public static Task<object> RunAsync(string code, Microsoft.CodeAnalysis.Scripting.ScriptOptions o = null, object globals = null) { return null; }
    }
}
"""
_TOP_LEVEL = re.compile(r"^(?:var|await|app\.|builder\.)", re.M)


def wilson(k: int, n: int) -> str:
    if n == 0:
        return "n/a"
    z = 1.96
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return f"{100 * max(0.0, centre - half):.1f}-{100 * min(1.0, centre + half):.1f} %"


def _text(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8-sig", errors="replace")


def handler_source(path: Path, core: bool) -> str | None:
    """The C# to compile from a handler, a service or a source file, or None (another language, or no code)."""
    text = _text(path.read_bytes())
    ext = path.suffix.lower()
    if ext == ".cs":
        if core and _TOP_LEVEL.search(text):
            return _wrap_top_level(text)
        return text
    if ext not in (".ashx", ".asmx"):
        return None
    directives = _DIRECTIVE.findall(text)
    main = next((attrs for name, attrs in directives if name.lower() in ("webhandler", "webservice")), None)
    if main is None:
        return None
    lang = _LANGUAGE.search(main)
    if lang is not None and lang.group(1).lower() not in ("c#", "csharp", "cs"):
        return None
    return _DIRECTIVE.sub("", text)


def _wrap_top_level(text: str) -> str:
    """C# 9 top-level statements (a minimal-API ``Program.cs``) as a method mcs compiles: the usings stay on
    top, the statements go into ``Program.Main``, the type declarations after them stay types."""
    lines = text.splitlines()
    usings = [x for x in lines if x.startswith("using ") and x.rstrip().endswith(";")]
    rest = [x for x in lines if x not in usings]
    body: list[str] = []
    types: list[str] = []
    into = body
    for line in rest:
        if re.match(r"^(public |internal )?(partial )?(static )?(class|record|struct) ", line):
            into = types
        into.append(line)
    types_text = "\n".join(types).replace("public partial class Program", "public partial class Program_")
    return (
        "\n".join([*usings, "using Microsoft.AspNetCore.Builder;"])
        + "\npublic static partial class ProgramMain { public static async System.Threading.Tasks.Task Main(string[] args) {\n"
        + "\n".join(body)
        + "\nawait System.Threading.Tasks.Task.Yield(); } }\n"
        + types_text
    )


def _stubs(mcs: str, out: Path, core: bool = True) -> list[str]:
    """Compile the stub assemblies into ``out``; their ``-r:`` options."""
    made = []
    for name, text in (("Framework.Extra.Stub", EXTRA_STUB), *((("Microsoft.AspNetCore.Stub", CORE_STUB),) if core else ())):
        (out / f"{name}.cs").write_text(text)
        done = subprocess.run([mcs, "-target:library", f"-out:{out / name}.dll", str(out / f"{name}.cs")], capture_output=True, text=True)
        if done.returncode:
            sys.exit(done.stdout + done.stderr)
        made.append(f"-r:{out / name}.dll")
    return made


def compile_all(sources: list[Path], out: Path, core: bool) -> tuple[list[Path], Counter[str]]:
    """Compile each source into ``out``; (the DLLs made, counts)."""
    mcs = shutil.which("mcs")
    if mcs is None:
        sys.exit("install mono-mcs libmono-system-web4.0-cil")
    out.mkdir(parents=True, exist_ok=True)
    refs = [f"-r:{MONO / (r + '.dll')}" for r in REFERENCES if (MONO / (r + ".dll")).exists()]
    refs += _stubs(mcs, out, core)
    counts: Counter[str] = Counter()
    made: list[Path] = []
    seen: set[str] = set()
    for i, src in enumerate(sources):
        counts["sources"] += 1
        code = handler_source(src, core)
        if code is None:
            continue
        digest = hashlib.sha256(code.encode()).hexdigest()
        if digest in seen:
            counts["duplicate code"] += 1
            continue
        seen.add(digest)
        counts["C# handlers"] += 1
        cs = out / f"{i:04d}_{src.stem[:40]}.cs"
        cs.write_text(code)
        dll = cs.with_suffix(".dll")
        done = subprocess.run(
            [mcs, "-target:library", "-unsafe", "-nowarn:0618,0612,0219,0168,0169,0414,0649,0162,0108,0114", "-warn:0",
             f"-out:{dll}", *refs, str(cs)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        if done.returncode == 0 and dll.exists():
            counts["compiled"] += 1
            made.append(dll)
        else:
            first = next((x for x in (done.stdout + done.stderr).splitlines() if "error CS" in x), "")
            code_id = re.search(r"error (CS\d+)", first)
            counts[f"failed {code_id.group(1) if code_id else '?'}"] += 1
    return made, counts


def measure(dlls: list[Path], show: bool) -> None:
    rules = build_ruleset([], None)
    scanner = yara_x.Scanner(load_serialized(rules.serialized))
    seen: set[str] = set()
    totals: Counter[str] = Counter()
    sinks: Counter[str] = Counter()
    il_time = yara_time = il_cpu = 0.0
    slowest: list[tuple[float, str]] = []
    size = 0
    limit = budget.for_timeout(30.0)
    for dll in dlls:
        data = dll.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        began = time.perf_counter()
        scanner.scan(data)
        yara_time += time.perf_counter() - began
        began = time.perf_counter()
        cpu = time.process_time()
        deadline = budget.now() + limit
        try:
            with budget.bounded(deadline):
                report = analysis.analyse(data, dll.name, deadline, budget.now)
        except reader.AssemblyError:
            totals["no .NET metadata"] += 1
            continue
        except budget.Timeout:
            report = analysis.Report(dll.name, problems=["time limit"])
        spent = time.perf_counter() - began
        il_time += spent
        il_cpu += time.process_time() - cpu
        totals["screened out"] += getattr(report, "screened", False)  # (the first version had no screen)
        size += len(data)
        slowest.append((spent, str(dll)))
        totals["assemblies"] += 1
        if any("time limit" in p for p in report.problems):
            totals["stopped at the time limit"] += 1
        elif report.problems:
            totals["read in part"] += 1
        high = [h for h in report.hits if h.confidence == "high"]
        if high:
            totals["flagged: traced flow"] += 1
            for rule in sorted({h.rule.id for h in high}):
                sinks[rule] += 1
        elif report.hits:
            totals["review hits only"] += 1
            for rule in sorted({f"{h.rule.id} ({h.confidence})" for h in report.hits}):
                sinks[rule] += 1
        if show and report.hits:
            for h in report.hits:
                print(f"  {dll}: {h.confidence} {h.rule.id}: {analysis.describe(h)[:400]}")
    n = totals["assemblies"]
    flagged = totals["flagged: traced flow"]
    print(dict(totals))
    print(f"flagged by a traced flow: {flagged}/{n} ({wilson(flagged, n)}); any hit: "
          f"{flagged + totals['review hits only']}/{n} ({wilson(flagged + totals['review hits only'], n)})")
    print("by sink:", dict(sinks.most_common()))
    if n:
        mb = size / 1e6
        print(f"{mb:.2f} MB in {n} assemblies: IL {il_time:.2f} s ({mb / il_time if il_time else 0:.1f} MB/s, "
              f"{1000 * il_time / n:.1f} ms/file), YARA {yara_time:.2f} s ({mb / yara_time if yara_time else 0:.1f} MB/s, "
              f"{1000 * yara_time / n:.1f} ms/file)")
        slowest.sort(reverse=True)
        print(f"IL CPU time {il_cpu:.2f} s ({1000 * il_cpu / n:.1f} ms/file); load average {__import__('os').getloadavg()[0]:.1f}")
        print("slowest IL:", [(round(t, 2), p) for t, p in slowest[:5]])


def _sibling_sources(files: tuple[tuple[str, str, str | None], ...]) -> list[tuple[str, str]]:
    """The C# a sibling's files give mcs: handlers and services without their directives, every ``.cs``."""
    out = []
    for name, text, _why in files:
        low = name.lower()
        if low.endswith(".cs"):
            out.append((name, _wrap_top_level(text) if _TOP_LEVEL.search(text) else text))
        elif low.endswith((".ashx", ".asmx")):
            main = next((a for n, a in _DIRECTIVE.findall(text) if n.lower() in ("webhandler", "webservice")), None)
            lang = _LANGUAGE.search(main or "")
            if main is not None and (lang is None or lang.group(1).lower() in ("c#", "csharp", "cs")):
                out.append((name, _DIRECTIVE.sub("", text)))
    return out


def siblings_mode(out: Path, show: bool) -> None:
    """X44's and X47's generated siblings of past misses (``siblings.py``, ``siblings_core.py``), and their twins:
    the C# ones compiled (their files together, against the Core stub), flagged or not by the IL analysis."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from siblings import SEEDS, siblings
    from siblings_core import core_siblings

    mcs = shutil.which("mcs")
    if mcs is None:
        sys.exit("install mono-mcs libmono-system-web4.0-cil")
    out.mkdir(parents=True, exist_ok=True)
    refs = [f"-r:{MONO / (r + '.dll')}" for r in REFERENCES if (MONO / (r + ".dll")).exists()]
    refs += _stubs(mcs, out)
    rows: dict[str, Counter[str]] = {}
    errors: Counter[str] = Counter()
    for n, sib in enumerate([*siblings(SEEDS), *core_siblings()]):
        group = "core" if sib.axis.startswith("core") else "webforms"
        row = rows.setdefault(group, Counter())
        row["siblings"] += 1
        for kind, files in (("sibling", sib.files), ("twin", sib.twin)):
            sources = _sibling_sources(files)
            if not sources:
                row[f"{kind}s with no C# handler or source"] += 1
                continue
            row[f"{kind}s with C#"] += 1
            folder = out / f"{n:04d}-{kind}"
            folder.mkdir(exist_ok=True)
            paths = []
            for i, (name, text) in enumerate(sources):
                path = folder / f"{i}_{Path(name).name}.cs"
                path.write_text(text)
                paths.append(str(path))
            dll = folder / "out.dll"
            done = subprocess.run(
                [mcs, "-target:library", "-unsafe", "-warn:0", f"-out:{dll}", *refs, *paths], capture_output=True, text=True
            )
            if done.returncode or not dll.exists():
                first = next((x for x in (done.stdout + done.stderr).splitlines() if "error CS" in x), "?")
                errors[re.sub(r"^.*?error ", "", first)[:90]] += 1
                row[f"{kind}s not compiled"] += 1
                continue
            row[f"{kind}s compiled"] += 1
            report = analysis.analyse(dll.read_bytes(), f"{sib.seed} {sib.axis} {sib.variant} {kind}")
            high = [h for h in report.hits if h.confidence == "high"]
            if high:
                row[f"{kind}s flagged"] += 1
            elif report.hits:
                row[f"{kind}s review hits only"] += 1
            if show and (report.hits if kind == "twin" else not high):
                what = [f"{h.confidence} {h.rule.id}" for h in report.hits] or ["nothing"]
                print(f"  {kind} {sib.seed} {sib.axis} {sib.variant}: {', '.join(what)}")
    for group, row in rows.items():
        got, made = row["siblings flagged"], row["siblings compiled"]
        print(group, dict(row))
        print(f"  siblings flagged {got}/{made} ({wilson(got, made)}); twins flagged {row['twins flagged']}/{row['twins compiled']}")
    print("compile errors:", dict(errors.most_common(8)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="*", type=Path)
    ap.add_argument("--out", type=Path, help="where the compiled DLLs go (a /tmp folder)")
    ap.add_argument("--core", action="store_true", help="compile .cs against the ASP.NET Core stub")
    ap.add_argument("--assemblies", action="store_true", help="the paths hold assemblies, not sources")
    ap.add_argument("--list", action="store_true", help="print every hit")
    ap.add_argument("--siblings", action="store_true", help="X44's and X47's generated siblings and twins (siblings.py)")
    args = ap.parse_args()
    if args.siblings:
        siblings_mode(args.out or Path("/tmp/il1/siblings"), args.list)
        return
    if args.assemblies:
        dlls = sorted(p for d in args.paths for p in ([d] if d.is_file() else d.rglob("*"))
                      if p.is_file() and p.suffix.lower() in (".dll", ".exe"))  # fmt: skip
        measure(dlls, args.list)
        return
    if args.out is None:
        sys.exit("--out DIR: where the compiled DLLs go")
    sources = sorted(p for d in args.paths for p in ([d] if d.is_file() else d.rglob("*"))
                     if p.is_file() and p.suffix.lower() in (".ashx", ".asmx", ".cs"))  # fmt: skip
    made, counts = compile_all(sources, args.out, args.core)
    print(dict(counts))
    measure(made, args.list)


if __name__ == "__main__":
    main()
