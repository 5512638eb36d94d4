"""Opt-in ``--enumerate``: turn a CU-only build into a full one by asking for versioned ECP folders.

Each SU installs its files under ``/ecp/<build>/``; requesting the export-tool manifest under each
known build of the CU already seen (newest first, capped) and taking the first 200 gives the
installed build (the ``/ecp/<build>/exporttool/`` trick, remote-probe.md §2.1 and §6; Metasploit
and righel's NSE use it — righel's loop never re-assigned the response, so it never worked). Folders
left behind by older builds can only make the answer older (newest wins), never "more patched".
A control request for a build that cannot exist guards against servers that answer 200 for any
path. The result's confidence is ``inferred``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from extriage.detections.builds.table import load_table
from extriage.probe.signals import BuildSignal, parse_manifest

if TYPE_CHECKING:
    from extriage.probe.engine import TargetProbe

MANIFEST_NAME = "microsoft.exchange.ediscovery.exporttool.application"
CONTROL_BUILD = "15.99.9999.999"
DEFAULT_MAX_REQUESTS = 25


def known_builds_on_cu(cu: str) -> list[str]:
    """Full builds the knowledge lists for a CU (``15.1.2176``), newest first."""
    out: set[tuple[int, int, int, int]] = set()
    want = tuple(int(p) for p in cu.split("."))
    for row in load_table().rows:
        b = row.build
        if (b.major, b.minor, b.build) == want and b.revision is not None:
            out.add((b.major, b.minor, b.build, b.revision))
    return [".".join(str(p) for p in k) for k in sorted(out, reverse=True)]


def _path(build: str) -> str:
    return f"/ecp/{build}/exporttool/{MANIFEST_NAME}"


async def enumerate_builds(probe: TargetProbe, start: int, max_requests: int = DEFAULT_MAX_REQUESTS) -> None:
    """For each node whose build is CU-only, find the installed build; adds ``ecp-folder`` signals."""
    done: set[str] = set()
    for node in probe.result.nodes:
        if node.confidence != "cu-only" or not node.build or node.build in done:
            continue
        done.add(node.build)
        candidates = known_builds_on_cu(node.build)[: max(0, max_requests - 1)]
        if not candidates:
            probe.result.notes.append(f"--enumerate: no known builds on CU {node.build}")
            continue
        control, _ = await probe.get("enumerate-control", _path(CONTROL_BUILD))
        if control.status == 200:
            probe.result.notes.append(
                "--enumerate skipped: the server answers 200 for a build folder that cannot exist"
            )
            return
        for build in candidates:
            obs, facts = await probe.get("enumerate", _path(build))
            if obs.status != 200:
                continue
            if node.name and facts.fe_server and facts.fe_server != node.name:
                continue  # answered by another load-balanced node
            shown = parse_manifest(obs.body)
            raw = f"GET /ecp/{build}/exporttool/ -> 200" + (f", manifest version {shown}" if shown else "")
            facts.builds.append(BuildSignal(build, 4, "ecp-folder", obs.label, obs.url, raw))
            probe.result.evidence_facts[len(probe.result.observations) - 1].append(f"ecp-folder: {raw}")
            break
        else:
            probe.result.notes.append(
                f"--enumerate: none of {len(candidates)} known builds of CU {node.build} answered 200"
            )
