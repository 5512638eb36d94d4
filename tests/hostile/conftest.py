"""The hostile corpus of issues 13 and 19, run through the installed ``extriage`` command.

Every case runs the real command in a subprocess with a timeout (a hang is a failure), checks that no
Python traceback reached the terminal, that the exit code is the documented one and that the
evidence is byte-identical (content, size, mtime) afterwards. The evidence is generated here: one
small attacked server per session, copied per case; big inputs are sparse files or streams."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

#: The installed command beside the interpreter running the tests (the venv's console script).
EXTRIAGE = str(Path(sys.executable).with_name("extriage"))
#: No case may take longer than this (a hang is a failure, not a slow test).
TIMEOUT = 120.0

EXIT = {"no_evidence": 0, "attempted": 10, "compromised": 20, "inconclusive": 3}


@dataclass
class Run:
    args: list[str]
    rc: int
    out: str
    err: str

    def tail(self) -> str:
        return "\n".join((self.err or self.out).strip().splitlines()[-5:])


def run(*args: str | Path, timeout: float = TIMEOUT, cwd: Path | None = None, env_extra: dict[str, str] | None = None) -> Run:
    """Run ``extriage ARGS``; fail on a hang or a traceback."""
    argv = [EXTRIAGE, *(os.fsdecode(a) if isinstance(a, Path) else a for a in args)]
    env = dict(os.environ, COLUMNS="120", NO_COLOR="1", PYTHONUTF8="1")
    env.update(env_extra or {})
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=timeout, cwd=cwd, env=env, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"hang: {' '.join(argv)} gave no answer in {timeout:.0f} s")
    out = proc.stdout.decode("utf-8", "replace")
    err = proc.stderr.decode("utf-8", "replace")
    for text in (out, err):
        assert "Traceback (most recent call last)" not in text, f"traceback from {argv}:\n{text[-3000:]}"
    return Run([str(a) for a in argv], proc.returncode, out, err)


def snapshot(root: Path) -> dict[str, tuple[str, int, int]]:
    """SHA-256, size and mtime of every regular file under ``root`` (links not followed)."""
    snap: dict[str, tuple[str, int, int]] = {}
    paths = [root] if root.is_file() else [p for p in root.rglob("*")]
    for p in paths:
        st = p.lstat()
        if not stat.S_ISREG(st.st_mode):
            continue
        h = hashlib.sha256()
        if st.st_size < (1 << 30):
            with open(p, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
        snap[os.fsdecode(p)] = (h.hexdigest() if st.st_size < (1 << 30) else "sparse", st.st_size, st.st_mtime_ns)
    return snap


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_bytes())
    return data


@dataclass(frozen=True)
class Generated:
    root: Path  # logs-only attacked server (drive layout)
    attackers: list[str]
    config: bytes  # the generated applicationHost.config


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    """A small compromised server, logs only: no web shell files, no events — the attack can only
    be found in the logs, which is what the damage cases need."""
    base = tmp_path_factory.mktemp("gen")
    facts = base / "facts.json"
    r = run("generate", base / "srv", "--size", "300KB", "--days", "3", "-q", "-j", "1", "--layout", "drive",
            "--no-events", "--no-webshell-files", "--json", facts)
    assert r.rc == 0, r.tail()
    plan = load(facts)["plan"]
    logs = base / "logs"
    src = base / "srv"
    for p in src.rglob("*"):
        if p.is_file() and p.suffix.lower() == ".log":
            data = p.read_bytes()
            # Only the logs that hold the attack: the damage cases then stay small and fast.
            if any(ip.encode() in data for ip in plan["attacker_ips"]):
                dest = logs / p.relative_to(src)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(p, dest)
    config = next(src.rglob("applicationHost.config")).read_bytes()
    return Generated(logs, list(plan["attacker_ips"]), config)


@pytest.fixture
def attacked(generated: Generated, tmp_path: Path) -> Iterator[Path]:
    dest = tmp_path / "ev"
    shutil.copytree(generated.root, dest, symlinks=True)
    yield dest
