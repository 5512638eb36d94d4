"""Layering: lower layers never import the scan machinery or the command line.

Data flows one way (evidence -> formats -> detections -> findings -> reports); the CLI only wires
arguments. A module of ``formats``, ``detections``, ``report``, ``probe`` or ``evidence`` that imports
``extriage.scan`` or ``extriage.cli`` — even inside a function — turns that upside down.
"""

from __future__ import annotations

import ast
from pathlib import Path

import extriage

SRC = Path(extriage.__file__).resolve().parent
LOWER = ("formats", "detections", "report", "probe", "evidence")
UPPER = ("extriage.scan", "extriage.cli")


def upward_imports(source: str, package: str) -> list[str]:
    """``module (line N)`` of every import of an upper layer in the source of a module of ``package``."""
    tree = ast.parse(source)
    out: list[str] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the file's package
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        for name in names:
            if any(name == u or name.startswith(u + ".") for u in UPPER):
                out.append(f"{name} (line {node.lineno})")
                break
    return out


def test_lower_layers_do_not_import_scan_or_cli() -> None:
    offenders = {
        str(p.relative_to(SRC)): found
        for layer in LOWER
        for p in sorted((SRC / layer).rglob("*.py"))
        if (found := upward_imports(p.read_text("utf-8"), _package(p)))
    }
    assert not offenders, f"lower layers importing scan/ or cli/: {offenders}"


def _package(path: Path) -> str:
    return ".".join(path.relative_to(SRC.parent).with_suffix("").parts[:-1])


def test_the_check_sees_an_upward_import() -> None:
    """Absolute, relative and function-level imports are all found (so the test above can fail)."""
    src = (
        "import os\n"
        "def f():\n"
        "    from extriage.scan.context import ScanContext\n"
        "    import extriage.cli.common\n"
        "from ..scan import pipeline\n"
        "from . import sniff\n"
        "from extriage.scanner_notes import x\n"
    )
    found = upward_imports(src, "extriage.formats")
    assert sorted(found) == ["extriage.cli.common (line 4)", "extriage.scan (line 5)", "extriage.scan.context (line 3)"]
