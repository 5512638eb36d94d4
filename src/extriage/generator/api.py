"""``generate()``: build one sample server tree from a seed, in any layout, of any size."""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import json
import multiprocessing
import os
import re
import shutil
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from extriage.generator.days import DayWriter, init_worker, worker_day
from extriage.generator.plan import AttackPlan, make_plan
from extriage.generator.registry import load_planters, planter_rng
from extriage.generator.server import write_server
from extriage.generator.tree import LAYOUTS, MARKER, ForeignFiles, Tree, remove_generated, tree_files

#: Above this many bytes the days are written by a pool of worker processes.
PARALLEL_FROM = 64 * 1024**2

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$", re.IGNORECASE)


class GeneratorError(Exception):
    """A generation request that cannot be carried out (bad option, unsafe destination)."""


def parse_size(text: str | int) -> int:
    """``"50MB"``, ``"2GB"``, ``"300k"``, ``"1.5G"``, ``4096`` → bytes (binary multiples)."""
    if isinstance(text, int):
        return text
    m = _SIZE_RE.match(text)
    if not m:
        raise GeneratorError(f"cannot read the size {text!r}; write it like 50MB, 2GB or 300KB")
    mult = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}[m.group(2).lower()]
    return int(float(m.group(1)) * mult)


@dataclass(slots=True)
class GeneratedServer:
    """What :func:`generate` made: where, the facts it planted, and how long it took."""

    dest: Path  # the folder (or .zip file) to scan
    layout: str
    plan: AttackPlan
    bytes_written: int  # bytes of text logs (headers and records)
    seconds: float  # the whole run: logs, other planters, zipping
    log_seconds: float = 0.0  # writing the core logs only
    planters: list[str] = field(default_factory=list)
    planters_missing: list[str] = field(default_factory=list)

    @property
    def mb_per_second(self) -> float:
        """Speed of writing the core logs (MiB/s)."""
        t = self.log_seconds or self.seconds
        return self.bytes_written / 1024**2 / t if t > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "generator": "extriage",
            "dest": str(self.dest),
            "layout": self.layout,
            "bytes_written": self.bytes_written,
            "seconds": round(self.seconds, 3),
            "log_seconds": round(self.log_seconds, 3),
            "planters": self.planters,
            "planters_missing": self.planters_missing,
            "plan": self.plan.to_dict(),
        }


def is_generated(path: Path) -> bool:
    """True when ``path`` is a folder or zip this generator made (it holds our marker)."""
    if path.is_dir():
        return (path / MARKER).is_file()
    if path.is_file() and zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as zf:
                return MARKER in zf.namelist()
        except (OSError, zipfile.BadZipFile):
            return False
    return False


def prepare_dest(dest: Path, overwrite: bool) -> None:
    """Make sure writing to ``dest`` destroys nothing that is not ours."""
    if not dest.exists():
        return
    if dest.is_dir() and not any(dest.iterdir()):
        return
    if not is_generated(dest):
        raise GeneratorError(f"{dest} exists and was not made by extriage generate; refusing to overwrite it")
    if not overwrite:
        raise GeneratorError(f"{dest} already holds a generated server; pass --force to replace it")
    if dest.is_dir():
        _remove_previous(dest)
    else:
        dest.unlink()  # a generated zip: one file, all of it ours


def _remove_previous(folder: Path) -> None:
    """Remove exactly the files the marker's manifest lists (``--force``); refuse when the folder
    holds anything else, or when the manifest is missing (an interrupted or pre-manifest run)."""
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        marker = None
    files = marker.get("files") if isinstance(marker, dict) and marker.get("complete") else None
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise GeneratorError(
            f"{folder} holds an interrupted or older generation whose list of written files is unknown; "
            "refusing to delete anything — remove it yourself or choose another folder"
        )
    try:
        remove_generated(folder, files)
    except ForeignFiles as exc:
        raise GeneratorError(f"{folder} holds {exc}; refusing to delete anything — move them away or choose another folder") from None


def generate(
    dest: str | os.PathLike[str],
    scenario: str = "proxylogon",
    seed: int = 1,
    size: int | str = "50MB",
    layout: str = "kape",
    waves: set[str] | frozenset[str] | None = None,
    days: int = 21,
    end: datetime | None = None,
    hostname: str = "EXCH01",
    exchange_version: str = "2016",
    webshell_files: bool = True,
    events: bool = True,
    wave_days: int = 0,
    jobs: int = 0,
    overwrite: bool = False,
    planter_modules: list[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> GeneratedServer:
    """Write a sample Exchange server to ``dest``; same arguments (and seed) give the same bytes.

    For the zip layouts ``dest`` is the archive (``.zip`` is appended when missing).
    Raises :class:`GeneratorError` (or ValueError for a bad scenario/wave) with one sentence.
    """
    if layout not in LAYOUTS:
        raise GeneratorError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    try:
        plan = make_plan(
            scenario=scenario,
            seed=seed,
            size=parse_size(size),
            days=days,
            end=end,
            hostname=hostname,
            exchange_version=exchange_version,
            waves=waves,
            webshell_files=webshell_files,
            events=events,
            wave_days=wave_days,
        )
    except ValueError as exc:
        raise GeneratorError(str(exc)) from None
    out = Path(dest).expanduser()
    if layout.startswith("zip") and out.suffix.lower() != ".zip":
        out = out.with_name(out.name + ".zip")
    prepare_dest(out, overwrite)
    started = time.perf_counter()
    staging = out.with_name(out.name + ".staging") if layout.startswith("zip") else out
    if staging != out and staging.exists():
        if not (staging / MARKER).is_file():
            raise GeneratorError(f"{staging} exists and was not made by extriage generate; remove it first")
        _remove_previous(staging)
    staging.mkdir(parents=True, exist_ok=True)
    # the marker goes first: the folder is ours even if interrupted (its manifest, the list of files a
    # later --force may remove, is added when the run completes; without one --force refuses)
    (staging / MARKER).write_text(
        json.dumps({"generator": "extriage", "complete": False}) + "\n", encoding="utf-8"
    )
    tree = Tree(staging, layout)
    write_server(tree, plan)
    t_logs = time.perf_counter()
    total = _write_days(tree, plan, jobs, progress)
    log_seconds = time.perf_counter() - t_logs
    planters, missing = load_planters(planter_modules)
    names = []
    for name, plant in planters:
        plant(tree, plan, planter_rng(plan, name))
        names.append(name)
    result = GeneratedServer(out, layout, plan, total, 0.0, log_seconds, names, missing)
    result.seconds = time.perf_counter() - started
    marker = {**result.to_dict(), "complete": True}
    marker.pop("seconds")
    marker.pop("log_seconds")
    marker["files"] = tree_files(staging)  # the manifest: all that a later --force may remove
    (staging / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    if staging != out:
        _zip_tree(staging, out)
        shutil.rmtree(staging)
    result.seconds = time.perf_counter() - started
    return result


def _write_days(tree: Tree, plan: AttackPlan, jobs: int, progress: Callable[[int, int], None] | None) -> int:
    total = _write_period(tree, plan, jobs, progress)
    for first, last in sorted(plan.wave_periods.values()):
        # a later wave's own period: the same server's everyday traffic (no attack: the waves planter
        # adds its own lines), at the main period's daily volume
        days = max(1, (last - first).days)
        quiet = dataclasses.replace(
            plan, start=first, end=last, components=frozenset(), wave_periods={},
            size=int(plan.size * days / plan.days),
        )
        total += _write_period(tree, quiet, jobs, None)
    return total


def _write_period(tree: Tree, plan: AttackPlan, jobs: int, progress: Callable[[int, int], None] | None) -> int:
    days = plan.days
    total = 0
    workers = jobs if jobs > 0 else min(os.cpu_count() or 1, days)
    if plan.size < PARALLEL_FROM or workers <= 1:
        writer = DayWriter(plan)
        for d in range(days):
            total += writer.write_day(tree, d)
            if progress:
                progress(d + 1, days)
        return total
    with cf.ProcessPoolExecutor(
        max_workers=workers, mp_context=_pool_context(), initializer=init_worker, initargs=(plan, tree)
    ) as pool:
        for done, n in enumerate(pool.map(worker_day, range(days)), start=1):
            total += n
            if progress:
                progress(done, days)
    return total


def _pool_context() -> multiprocessing.context.BaseContext:
    """Fork only a single-threaded process: a fork taken while another thread holds a lock can hang the
    child (Python 3.12+ warns); a caller with threads (a test runner, an embedding tool) gets forkserver."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context()


def _zip_tree(root: Path, archive: Path) -> None:
    """Zip ``root`` deterministically (sorted names, file times kept)."""
    tmp = archive.with_name(archive.name + ".part")
    if tmp.is_symlink() or tmp.is_file():  # a leftover (or a link planted there): replace, never write through
        tmp.unlink()
    with zipfile.ZipFile(tmp, "x", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(filenames):
                real = Path(dirpath) / name
                member = real.relative_to(root).as_posix()
                st = real.stat()
                stamp = time.gmtime(max(st.st_mtime, 315532800))[:6]
                info = zipfile.ZipInfo(member, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                with real.open("rb") as src, zf.open(info, "w", force_zip64=True) as dst:
                    shutil.copyfileobj(src, dst, 1024 * 1024)
    tmp.replace(archive)
