"""A finding's evidence lines say why each is there when it is not the finding's own rule: a location finding that
also carries the MSTIC path IOC and YARA hits on the same file otherwise shows the same path twice, looking like a
repeat, in the terminal and in the HTML report."""

from __future__ import annotations

import io

from rich.console import Console

from extriage.findings import EvidenceLine
from extriage.report.html import render_html
from extriage.report.terminal import render_scan
from report.samples import mixed_reasons


def test_why_is_the_lines_own_reason_only_when_it_differs() -> None:
    line = EvidenceLine(source="s", line=None, raw="r", fields={"reason": "WF-IOC-MSTIC-PATH"})
    assert line.why("WF-LOC-ASPNET-CLIENT") == "WF-IOC-MSTIC-PATH"
    assert line.why("WF-IOC-MSTIC-PATH") == ""
    assert EvidenceLine(source="s", line=None, raw="r").why("R") == ""
    assert EvidenceLine(source="s", line=None, raw="r", fields={"reason": ""}).why("R") == ""


def test_terminal_names_the_reason_of_a_line_from_another_rule() -> None:
    console = Console(file=io.StringIO(), width=200, force_terminal=False)
    render_scan(mixed_reasons("WF-IOC-MSTIC-PATH"), console)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "/ev/s.aspx  (WF-IOC-MSTIC-PATH)" in text
    assert "(WF-LOC-ASPNET-CLIENT)" not in text  # the finding's own rule is already on its header line
    assert text.count("/ev/s.aspx\n") == 1 and "/ev/s.aspx:1\n" in text


def test_terminal_reason_is_data_not_markup() -> None:
    console = Console(file=io.StringIO(), width=200, force_terminal=False)
    render_scan(mixed_reasons("[bold red]FILE_CREATE[/]"), console)
    assert "(\\[bold red]FILE_CREATE\\[/])" not in console.file.getvalue()  # type: ignore[attr-defined]
    assert "([bold red]FILE_CREATE[/])" in console.file.getvalue()  # type: ignore[attr-defined]


def test_html_report_carries_the_reason_of_each_line() -> None:
    page = render_html([mixed_reasons("WF-IOC-MSTIC-PATH")])
    assert page.count('"why":"WF-IOC-MSTIC-PATH"') == 1 or page.count('"why": "WF-IOC-MSTIC-PATH"') == 1
    assert page.count('"why":""') + page.count('"why": ""') == 2
    assert "e.why" in page  # the page's script shows it


def test_the_count_of_files_read_agrees_with_its_noun() -> None:
    from extriage.findings import FileRecord

    for n, line in ((0, "0 evidence files read"), (1, "1 evidence file read"), (2, "2 evidence files read")):
        result = mixed_reasons("R")
        result.files = [FileRecord(path=f"/ev/{i}", sha256="0" * 64, size=1) for i in range(n)]
        console = Console(file=io.StringIO(), width=200, force_terminal=False)
        render_scan(result, console)
        assert line + " and hashed" in console.file.getvalue()  # type: ignore[attr-defined]
