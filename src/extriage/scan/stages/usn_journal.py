"""Web pages created then deleted during exploitation windows, from each image volume's NTFS change
journal: the file is gone, the journal still names it (``detections/ntfs``)."""

from __future__ import annotations

from extriage.detections.ntfs.deleted_pages import deleted_pages, load_rule
from extriage.detections.verdict import REVIEW_TAG
from extriage.detections.waves.registry import load_registry
from extriage.evidence.loaders import change_journals
from extriage.findings import Confidence, EvidenceLine, Finding, Outcome, Severity
from extriage.formats.usn_journal import iter_journal
from extriage.scan.context import ScanContext
from extriage.scan.facts import Detections


class UsnJournalStage:
    name = "usn-journal"
    requires = ()
    provides = (Detections,)

    def run(self, ctx: ScanContext) -> None:
        if not ctx.inventory.images:
            return
        rule = load_rule()
        waves = [(w, w.window.span()) for w in load_registry() if w.window is not None]
        windows = [span for _w, span in waves]
        for shown, stream, folders, prefix in change_journals(f.ref for f in ctx.inventory.files):
            if stream is None:
                ctx.result.coverage.warn(f"The NTFS change journal of {shown} could not be read; pages created "
                                         "and deleted there were not looked for.")
                continue
            try:
                pages = deleted_pages(iter_journal(stream), folders, rule, windows)
            except OSError as exc:
                ctx.result.coverage.warn(f"The NTFS change journal of {shown} could not be read to its end ({exc}).")
                continue
            for page in pages:
                wave = next((w.id for w, (a, b) in waves if page.created and a <= page.created < b), "")
                where = "/".join(x for x in (prefix, page.folder) if x)
                finding = Finding(
                    rule_id=rule.rule_id,
                    title=f"Web page created then deleted in {page.folder.rsplit('/', 1)[-1] or 'a web folder'}: "
                          f"{page.name}",
                    severity=Severity[rule.severity.upper()],
                    confidence=Confidence[rule.confidence.upper()],
                    outcome=Outcome.ATTEMPT,
                    description=(f"The NTFS change journal of {shown} records {page.name} created in {where or '?'} "
                                 f"at {page.created:%Y-%m-%d %H:%M:%S} UTC and deleted at "
                                 f"{page.deleted:%Y-%m-%d %H:%M:%S} UTC, inside an exploitation window; the file "
                                 "is gone. A used-then-removed web shell leaves this trace: review what wrote it "
                                 "(IIS logs of that time, event logs)." if page.created and page.deleted else ""),
                    wave=wave,
                    tags=["usn-journal", REVIEW_TAG],
                )
                for rec in page.records:
                    finding.touch(rec.timestamp)
                    finding.evidence.append(EvidenceLine(
                        source=f"{shown}/$Extend/$UsnJrnl:$J", line=None,
                        raw=f"usn {rec.usn} {rec.timestamp:%Y-%m-%dT%H:%M:%S.%fZ} reason 0x{rec.reason:08X} "
                            f"file {rec.file} parent {rec.parent} {rec.name}" if rec.timestamp else rec.name,
                        fields={"usn": rec.usn, "reason": rec.reason, "file": rec.file, "parent": rec.parent,
                                "name": rec.name, "folder": page.folder},
                        timestamp=rec.timestamp))
                ctx.result.findings.append(finding)
