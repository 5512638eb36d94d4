"""NTFS times of suspicious files read from a disk image, and time-stomping.

A file copied out of a server keeps at best one modification time; in an NTFS image each file
also has ``$STANDARD_INFORMATION`` times (what tools and Explorer show, and what time-stomping
tools such as ``timestomp`` or PowerShell's ``(Get-Item x).CreationTime = …`` set) and
``$FILE_NAME`` times (set by the kernel on create and rename, out of reach of user-mode tools).
Web shells are often back-dated to blend in: an SI creation time earlier than the FN creation time
is said in the finding (a copied file keeps an old modification time, so only creation is compared) (tag ``timestomped``). Only files from containers that keep
such times get them (:func:`extriage.evidence.loaders.file_times`); other findings are unchanged.
"""

from __future__ import annotations

from extriage.evidence.loaders import file_times
from extriage.evidence.locate import LocatedFile
from extriage.scan.context import ScanContext
from extriage.scan.facts import Detections, WebFilePivots

TAG = "timestomped"


class NtfsTimesStage:
    name = "ntfs-times"
    #: WebFilePivots: the web file findings are all made
    requires = (WebFilePivots,)
    provides = (Detections,)

    def run(self, ctx: ScanContext) -> None:
        if not ctx.inventory.images:
            return
        by_display: dict[str, LocatedFile] = {}
        for f in ctx.inventory.files:
            if f.ref.spec.kind == "image":
                by_display[f.display()] = f
        if not by_display:
            return
        stomped = 0
        for finding in ctx.result.findings:
            for ev in finding.evidence:
                located = by_display.get(ev.source) if ev.line is None else None
                if located is None:
                    continue
                found = file_times(located.ref)
                if not found:
                    continue
                ev.fields["ntfs_times"] = found
                if found["timestomped"] and TAG not in finding.tags:
                    si, fn = found["standard_information"], found["file_name"]
                    finding.tags.append(TAG)
                    finding.description = (finding.description + " " if finding.description else "") + (
                        "Its NTFS times were set back (time-stomping): $STANDARD_INFORMATION says created "
                        f"{si['created']}, modified {si['modified']}, but $FILE_NAME (set by the kernel) says "
                        f"created {fn['created']}.")
                    stomped += 1
        if stomped:
            ctx.result.coverage.warn(
                f"{stomped} suspicious file(s) in the disk image carry back-dated NTFS times (time-stomping): "
                "their $FILE_NAME times tell when they were really written.")
