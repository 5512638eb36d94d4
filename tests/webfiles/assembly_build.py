"""Compiling the C# reproductions of the IL tests with Debian's mono C# compiler (``mcs``), in a tmp dir.

The sources are written for the tests: they reproduce the code shapes of web shells and of ordinary
handlers, are compiled, and are never run. ASP.NET Core is a stub assembly (``CORE_STUB``) declaring the
few types the tests use: a member reference carries namespace + type + name, which is all the IL analysis
matches, so the stub's IL is what a real Core build references.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

MCS = shutil.which("mcs")
needs_mcs = pytest.mark.skipif(MCS is None, reason="install mono-mcs libmono-system-web4.0-cil")

#: The framework assemblies every reproduction may reference (mono's 4.5 profile).
REFERENCES = ("System.Web.dll", "System.Web.Services.dll", "System.Data.dll", "System.dll", "System.Configuration.dll",
              "System.Core.dll", "Microsoft.CSharp.dll", "System.Xml.dll")  # (C# dynamic: System.Core, Microsoft.CSharp)

CORE_STUB = """
namespace Microsoft.AspNetCore.Http {
    public interface IQueryCollection { string this[string key] { get; } }
    public interface IFormFile { string FileName { get; } System.IO.Stream OpenReadStream(); void CopyTo(System.IO.Stream target); }
    public interface IFormFileCollection { IFormFile this[int index] { get; } }
    public interface IFormCollection { string this[string key] { get; } IFormFileCollection Files { get; } }
    public abstract class HttpRequest {
        public abstract IQueryCollection Query { get; }
        public abstract IFormCollection Form { get; }
        public abstract System.IO.Stream Body { get; }
    }
    public abstract class HttpResponse { public abstract void Write(string text); }
    public abstract class HttpContext {
        public abstract HttpRequest Request { get; }
        public abstract HttpResponse Response { get; }
    }
}
namespace Microsoft.AspNetCore.Mvc {
    public abstract class ControllerBase { public Microsoft.AspNetCore.Http.HttpContext HttpContext { get { return null; } } }
    public abstract class Controller : ControllerBase { }
}
namespace Microsoft.AspNetCore.Mvc.RazorPages {
    public abstract class PageModel { }
}
namespace Microsoft.AspNetCore.Builder {
    public class WebApplication {
        public WebApplication MapGet(string p, System.Func<Microsoft.AspNetCore.Http.HttpContext, string, string> d) { return this; }
    }
}
namespace System.Management {
    public class ManagementBaseObject { public object this[string name] { get { return null; } set { } } }
    public class ManagementClass : ManagementBaseObject {
        public ManagementClass(string path) { }
        public ManagementBaseObject GetMethodParameters(string m) { return null; }
        public ManagementBaseObject InvokeMethod(string m, ManagementBaseObject i, object o) { return null; }
    }
}
namespace System.Management.Automation {
    public class PowerShell {
        public static PowerShell Create() { return null; } public PowerShell AddScript(string s) { return this; }
        public PowerShell AddCommand(string c) { return this; } public PowerShell AddArgument(object a) { return this; }
        public PowerShell AddParameter(string n, object v) { return this; } public object Invoke() { return null; }
    }
}
"""


def compile_cs(tmp: Path, name: str, source: str, core: bool = False, unsafe: bool = False,
               also: tuple[Path, ...] = ()) -> Path:
    """``source`` compiled to ``tmp/name.dll`` (with the Core stub referenced when ``core``, and the assemblies
    ``also`` names: a page compiled against its site's App_Code)."""
    assert MCS is not None
    refs = [f"-r:{r}" for r in REFERENCES] + [f"-r:{a}" for a in also]
    if core:
        stub = tmp / "Microsoft.AspNetCore.Stub.dll"
        if not stub.exists():
            (tmp / "core_stub.cs").write_text(CORE_STUB)
            _mcs(["-target:library", f"-out:{stub}", str(tmp / "core_stub.cs")])
        refs.append(f"-r:{stub}")
    src = tmp / f"{name}.cs"
    src.write_text(source)
    out = tmp / f"{name}.dll"
    _mcs(["-target:library", "-nowarn:618,612,219,169,414,649", f"-out:{out}", *refs, *(["-unsafe"] if unsafe else []), str(src)])
    return out


def _mcs(args: list[str]) -> None:
    assert MCS is not None
    done = subprocess.run([MCS, *args], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise AssertionError(f"mcs failed: {done.stdout}\n{done.stderr}")
