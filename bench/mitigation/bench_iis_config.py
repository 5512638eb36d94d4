"""``applicationHost.config`` with N applications: ``mitigation verify`` and the scan's config users.

Why: issue 19 measured 1,000 applications -> 4 s, 10,000 -> 395 s (quadratic lookups). This builds
a KAPE-style tree around the real E19 configs (tests/data, MIT) whose Default Web Site carries N extra
applications, each served from its own folder holding a ``web.config``, and times

* ``parse`` — ``parse_application_host`` alone;
* ``verify`` — ``extriage mitigation verify`` as the CLI runs it (inventory, every scope, every rule);
* ``scan`` — ``run_scan`` with the stages that read the config (logs, web files, mitigation);
* ``etree`` — the reference, in the same run: ``xml.etree.ElementTree.iterparse`` of the same
  ``applicationHost.config`` (C tree building, no line numbers, no checks);
* ``inventory`` — the evidence listing alone (part of ``verify``; it is the evidence layer's).

With ``--no-web-configs`` the applications' folders are empty: only the one big config is read.
With ``--tree DIR`` the tree is built in ``DIR`` once and kept (100,000 folders take longer to make
and remove than to verify): later runs, and runs of older code (``PYTHONPATH=<old checkout>/src``),
read the same files.

    .venv/bin/python bench/mitigation/bench_iis_config.py --apps 1000 10000 100000

Prints seconds per step (wall clock, and CPU time = user + system of this process in brackets, which
a loaded shared machine inflates less) and per 1,000 applications (flat per-1,000 figures = linear).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from extriage.detections.mitigations.sources import InventorySource  # noqa: E402
from extriage.detections.mitigations.verify import verify  # noqa: E402
from extriage.evidence.locate import build_inventory  # noqa: E402
from extriage.evidence.source import open_source  # noqa: E402
from extriage.formats.iis_config import parse_application_host  # noqa: E402
from mitigation.conftest import APPHOST, server_files  # noqa: E402

WEB_CONFIG = b'<?xml version="1.0"?>\n<configuration><system.webServer><rewrite><rules/></rewrite></system.webServer></configuration>\n'


def with_apps(apphost: bytes, n: int) -> bytes:
    """The config with ``n`` applications added to its first site (Default Web Site)."""
    apps = "".join(
        f'<application path="/app{i}" applicationPool="Pool{i % 7}">'
        f'<virtualDirectory path="/" physicalPath="C:\\inetpub\\apps\\app{i}" />'
        f'<virtualDirectory path="/static" physicalPath="C:\\inetpub\\static\\app{i}" /></application>\n'
        for i in range(n)
    )
    marker = b"</site>"
    at = apphost.index(marker)
    return apphost[:at] + apps.encode() + apphost[at:]


def build_tree(root: Path, n: int, web_configs: bool = True, distinct: bool = False) -> None:
    for windows_path, data in server_files(ROOT / "tests" / "data", "E19").items():
        rel = windows_path.replace("C:\\", "C/").replace("\\", "/")
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(with_apps(data, n) if windows_path == APPHOST else data)
    for i in range(n if web_configs else 0):
        folder = root / "C" / "inetpub" / "apps" / f"app{i}"
        folder.mkdir(parents=True)
        # --distinct: no two files hold the same bytes (no parse is shared between them)
        (folder / "web.config").write_bytes(WEB_CONFIG + f"<!-- app{i} -->\n".encode() if distinct else WEB_CONFIG)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--apps", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--no-scan", action="store_true", help="skip the run_scan step")
    ap.add_argument(
        "--no-web-configs", action="store_true", help="the applications' folders hold no web.config (one big file only)"
    )
    ap.add_argument("--distinct", action="store_true", help="each application's web.config holds different bytes")
    ap.add_argument("--tree", help="build the tree in this folder (per application count) and keep it")
    args = ap.parse_args()
    from extriage.scan.pipeline import run_scan
    from extriage.scan.stages.logs import STAGES as LOGS
    from extriage.scan.stages.mitigation import STAGES as MITIGATION
    from extriage.scan.stages.webfiles import STAGES as WEBFILES

    print(
        f"{'apps':>8} {'etree s':>8} {'parse s (cpu)':>14} {'inventory s (cpu)':>18} {'verify s (cpu)':>15} {'scan s':>8}"
        "   per 1,000 apps (parse / verify / scan)   load"
    )
    for n in args.apps:
        shape = "" if args.no_web_configs else "-wcd" if args.distinct else "-wc"
        kept = Path(args.tree) / f"{n}{shape}" if args.tree else None
        tmp = kept or Path(tempfile.mkdtemp(prefix="bench-iis-"))
        try:
            built = kept.with_name(kept.name + ".built") if kept is not None else None  # beside, not in, the tree
            if built is None or not built.exists():
                build_tree(tmp, n, web_configs=not args.no_web_configs, distinct=args.distinct)
                if built is not None:
                    built.write_text("built by bench_iis_config.py\n")
            data = (tmp / APPHOST.replace("C:\\", "C/").replace("\\", "/")).read_bytes()
            t0 = time.perf_counter()
            for _event, _elem in ET.iterparse(io.BytesIO(data)):
                pass
            t_etree = time.perf_counter() - t0
            t0, c0 = time.perf_counter(), time.process_time()
            cfg = parse_application_host(data, "applicationHost.config")
            t_parse, c_parse = time.perf_counter() - t0, time.process_time() - c0
            assert len(cfg.sites[0].applications) >= n
            del cfg
            t0, c0 = time.perf_counter(), time.process_time()
            spec = open_source(str(tmp))
            inventory = build_inventory(spec, lambda p, why: None)
            t_inventory, c_inventory = time.perf_counter() - t0, time.process_time() - c0
            report = verify(InventorySource(inventory))
            t_verify, c_verify = time.perf_counter() - t0, time.process_time() - c0
            assert report.mitigations
            t_scan = float("nan")
            if not args.no_scan:
                t0 = time.perf_counter()
                run_scan(str(tmp), stages=[*LOGS, *WEBFILES, *MITIGATION])
                t_scan = time.perf_counter() - t0
            k = n / 1000
            print(
                f"{n:>8,} {t_etree:>8.2f} {t_parse:>6.2f} ({c_parse:>5.2f}) {t_inventory:>9.2f} ({c_inventory:>5.2f}) "
                f"{t_verify:>7.2f} ({c_verify:>5.2f}) {t_scan:>8.2f}   "
                f"{t_parse / k:.3f} / {t_verify / k:.3f} / {t_scan / k:.3f}   {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        finally:
            if kept is None:
                shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
