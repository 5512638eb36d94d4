"""The user's cache folder: work that depends on no evidence, kept between runs (compiled YARA rules).

Where: ``EXTRIAGE_CACHE_DIR`` when set (empty: no cache at all), else ``platformdirs``' user cache
folder when that package is installed, else ``$XDG_CACHE_HOME/extriage`` (``~/.cache/extriage``).
Nothing here is needed for a result: an entry that is missing, unreadable, corrupt or cannot be
written is ignored silently and the work is done again. The folder is never used when it lies inside
the evidence being scanned (evidence stays read-only), and entries are written whole (a temporary
file renamed into place), so two scans at once never read half an entry.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import os
import tempfile
from pathlib import Path

ENV = "EXTRIAGE_CACHE_DIR"
#: An entry larger than this is neither written nor read (ours are a few MB: the scan's memory
#: budget is 300 MB for the whole process tree).
MAX_ENTRY = 64 * 1024**2


def cache_root() -> Path | None:
    """The cache folder (not created here), or None when caching is turned off."""
    env = os.environ.get(ENV)
    if env is not None:
        return Path(env).expanduser() if env.strip() else None
    try:
        platformdirs = importlib.import_module("platformdirs")  # optional: not a dependency
    except ImportError:
        base = os.environ.get("XDG_CACHE_HOME", "").strip()
        if not base or not os.path.isabs(base):  # the XDG rule: a relative value is ignored
            base = os.path.join(os.path.expanduser("~"), ".cache")
        return Path(base) / "extriage"
    return Path(str(platformdirs.user_cache_dir("extriage", appauthor=False)))


def _inside(path: Path, root: str) -> bool:
    try:
        real, top = os.path.realpath(path), os.path.realpath(root)
    except (OSError, ValueError):
        return True  # cannot tell: stay out
    return real == top or real.startswith(top.rstrip(os.sep) + os.sep)


#: Paths the cache must stay out of (the evidence of this process's scans), for worker processes too.
EXCLUDE_ENV = "EXTRIAGE_CACHE_EXCLUDE"


def exclude(evidence: str) -> None:
    """Never use a cache folder inside ``evidence`` in this process or the processes it starts (the
    worker fork server compiles and caches before it knows of any scan: it inherits this through
    the environment). A scan calls it before it starts workers."""
    try:
        real = os.path.realpath(evidence)
    except (OSError, ValueError):
        return
    known = [p for p in os.environ.get(EXCLUDE_ENV, "").split(os.pathsep) if p]
    if real not in known:
        os.environ[EXCLUDE_ENV] = os.pathsep.join([*known, real])


def folder(part: str, evidence: str | None = None) -> Path | None:
    """``<cache root>/<part>``, or None when caching is off or the folder would be inside ``evidence``
    or inside a path given to :func:`exclude`."""
    root = cache_root()
    if root is None:
        return None
    where = root / part
    avoid = [p for p in os.environ.get(EXCLUDE_ENV, "").split(os.pathsep) if p]
    if evidence:
        avoid.append(evidence)
    if any(_inside(where, p) for p in avoid):
        return None
    return where


def key(*parts: str | bytes) -> str:
    """A hex SHA-256 of ``parts``, each length-prefixed (no two different part lists give one key)."""
    h = hashlib.sha256()
    for p in parts:
        b = p.encode("utf-8", "surrogatepass") if isinstance(p, str) else p
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    return h.hexdigest()


def _private(where: Path) -> bool:
    """Whether ``where`` is a folder of this user that no one else may write to (POSIX): entries are
    fed to native code (yara-x, Hyperscan), so a folder others can write is not used at all."""
    getuid = getattr(os, "getuid", None)
    if getuid is None:  # Windows: the user's own profile folder
        return True
    try:
        st = os.stat(where)
    except OSError:
        return False
    return st.st_uid == getuid() and not st.st_mode & 0o022


def read(where: Path | None, name: str) -> bytes | None:
    """The bytes of entry ``name``, or None (no folder, not this user's own, missing, unreadable, too
    large). An entry read is marked as used (its modification time), so :func:`write` keeps it over
    older ones."""
    if where is None or not _private(where):
        return None
    try:
        with open(where / name, "rb") as fh:
            if os.fstat(fh.fileno()).st_size > MAX_ENTRY:
                return None
            data = fh.read(MAX_ENTRY + 1)
    except (OSError, ValueError):
        return None
    with contextlib.suppress(OSError, ValueError):
        os.utime(where / name)
    return data


def write(where: Path | None, name: str, data: bytes, keep: int = 16) -> bool:
    """Store entry ``name`` whole (temporary file + rename), then remove the least recently used
    entries of its kind (the part of names before the first ``-``) beyond ``keep``: rule sets change
    often while rules are written, and each would otherwise stay. False when it could not be written."""
    if where is None or len(data) > MAX_ENTRY:
        return False
    tmp = ""
    try:
        where.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not _private(where):
            return False
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=where)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, where / name)
    except (OSError, ValueError):
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        return False
    _prune(where, name.split("-", 1)[0] + "-", keep)
    return True


def _prune(where: Path, prefix: str, keep: int) -> None:
    entries: list[tuple[float, str]] = []
    with contextlib.suppress(OSError):
        with os.scandir(where) as it:
            for e in it:
                if e.name.startswith(prefix):
                    with contextlib.suppress(OSError):
                        entries.append((e.stat(follow_symlinks=False).st_mtime, e.name))
    entries.sort(reverse=True)
    for _, old in entries[keep:]:
        with contextlib.suppress(OSError):
            os.unlink(where / old)
