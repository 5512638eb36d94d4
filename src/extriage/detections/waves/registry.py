"""The wave registry (``waves/registry.yml``) as typed, validated data — the only Python that knows
wave ids.

Why one registry: coverage windows, titles, the waves a rule may name, the CVE groups of
patch-status and probe, the probe's per-wave checks and the mitigation a live check is compared with
used to be separate tables that disagreed. Everything now derives from :func:`load_registry`.

Users add waves without touching the package: ``EXTRIAGE_WAVES_DIR`` names folders (``os.pathsep``
separated) laid out like ``extriage/detections``: ``waves/*.yml`` (registry entries, same keys),
``rules/*.yml`` (log rules, read as if given to ``--log-rules``) and ``chains/*.yml`` (attack chains).
Any problem is one :class:`WaveRegistryError` naming the file and the key.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from extriage.datafiles import load_yaml

#: Environment variable naming extra wave folders (``waves/``, ``rules/``, ``chains/`` inside).
ENV_DIRS = "EXTRIAGE_WAVES_DIR"
ROLES = ("exploit", "post-exploitation", "other")
_WAVE_KEYS = {
    "role", "title", "label", "phrase", "cves", "disclosed", "fixed", "updates", "window", "families",
    "channels", "collect", "patch", "mitigations", "probe", "unattributed_shells",
}
_WINDOW_KEYS = {"start", "end", "source"}
_PROBE_KEYS = {"decides", "confirm", "confirm_needs_cve", "blocked_by", "undecided_note"}
#: Largest registry file read (a registry is a few KB; anything bigger is not one).
_MAX_FILE = 1024 * 1024


class WaveRegistryError(ValueError):
    """A wave registry file is invalid; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class Window:
    """When the wave was exploited in the wild: logs that do not reach into it cannot show it."""

    start: date
    end: date
    source: str = ""

    def span(self) -> tuple[datetime, datetime]:
        """[first instant, first instant after) of the window in UTC: the end day counts whole."""
        start = datetime.combine(self.start, datetime.min.time(), UTC)
        return start, datetime.combine(self.end, datetime.min.time(), UTC) + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ProbeSpec:
    """What ``extriage probe`` does for the wave.

    ``decides``: a build number settles it remotely (its ``unknown`` makes a target undecided).
    ``confirm``: the id of the ``--confirm`` check (``probe/confirm.py`` CHECKS), None: no check.
    ``confirm_needs_cve``: the check only means something where this CVE applies to the build.
    ``blocked_by``: the mitigation whose rule makes the check's request aborted (``mitigation verify``
    compares the two). ``undecided_note``: said once when the wave stays unknown after a probe.
    """

    decides: bool = True
    confirm: str | None = None
    confirm_needs_cve: str | None = None
    blocked_by: str | None = None
    undecided_note: str = ""


@dataclass(frozen=True, slots=True)
class Wave:
    id: str
    role: str
    title: str  # coverage and verdict sentences
    label: str  # short: tables, story titles, report badges
    phrase: str  # inside a sentence ("open to <phrase> CVEs")
    cves: tuple[str, ...]
    disclosed: date | None
    fixed: date | None
    updates: tuple[str, ...]  # SU/KB names that close it
    window: Window | None
    families: tuple[str, ...]  # log families that can show it
    channels: tuple[str, ...]  # event channels that can show it
    collect: str  # what to collect when nothing that could show it was read
    patch: tuple[str, ...]  # the CVE group patch-status and probe assess for it
    mitigations: tuple[str, ...]  # mitigation catalog ids
    probe: ProbeSpec | None  # None: not a probe wave
    file: str  # where it was defined
    unattributed_shells: bool = False  # web shells no wave's traces lead to are counted here


@dataclass(frozen=True, slots=True)
class Registry:
    waves: tuple[Wave, ...]
    #: Extra folders (EXTRIAGE_WAVES_DIR) the registry was read with.
    dirs: tuple[Path, ...] = ()

    def __iter__(self) -> Iterator[Wave]:
        return iter(self.waves)

    def __contains__(self, wave_id: object) -> bool:
        return any(w.id == wave_id for w in self.waves)

    def get(self, wave_id: str) -> Wave | None:
        return next((w for w in self.waves if w.id == wave_id), None)

    def ids(self) -> tuple[str, ...]:
        return tuple(w.id for w in self.waves)

    def by_role(self, role: str) -> tuple[Wave, ...]:
        return tuple(w for w in self.waves if w.role == role)

    @property
    def other(self) -> Wave:
        """The catch-all wave (findings of no particular wave, CVEs in no patch group)."""
        return self.by_role("other")[0]

    @property
    def shells_wave(self) -> Wave:
        """The wave unattributed web shells are counted in (the catch-all when none is marked)."""
        return next((w for w in self.waves if w.unattributed_shells), self.other)

    @property
    def post_exploitation(self) -> Wave | None:
        """The wave of what follows any exploitation (joins the closest story of any wave)."""
        mine = self.by_role("post-exploitation")
        return mine[0] if mine else None

    def label(self, wave_id: str) -> str:
        w = self.get(wave_id)
        return w.label if w is not None else wave_id

    def assessed(self) -> tuple[Wave, ...]:
        """Waves whose coverage is assessed (every wave but the catch-all)."""
        return tuple(w for w in self.waves if w.role != "other")

    def windows(self) -> dict[str, Window]:
        """The one exploitation window per wave, for log and event-log coverage alike."""
        return {w.id: w.window for w in self.waves if w.window is not None}

    def patch_waves(self) -> tuple[Wave, ...]:
        """Waves with a patch group, in report order, then the catch-all."""
        return (*(w for w in self.waves if w.patch), self.other)

    def patch_wave_of(self, cve: str) -> str:
        """The wave whose patch group holds ``cve`` (the catch-all for any other CVE)."""
        for w in self.waves:
            if cve in w.patch:
                return w.id
        return self.other.id

    def probe_waves(self) -> tuple[Wave, ...]:
        """Waves the probe reports a state for, in report order."""
        return tuple(w for w in self.patch_waves() if w.probe is not None)

    def rule_dirs(self) -> tuple[str, ...]:
        """Extra log-rule folders of the extension folders that have one."""
        return tuple(str(d / "rules") for d in self.dirs if (d / "rules").is_dir())

    def chain_docs(self) -> list[tuple[str, str]]:
        """(name, text) of the extension folders' chain files."""
        return _docs([d / "chains" for d in self.dirs])


def _docs(folders: list[Path]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for p in sorted(folder.iterdir(), key=lambda p: p.name):
            if p.suffix in (".yml", ".yaml") and p.is_file():
                try:
                    if p.stat().st_size > _MAX_FILE:
                        raise WaveRegistryError(f"{p}: larger than {_MAX_FILE:,} bytes, not a wave file")
                    out.append((str(p), p.read_text(encoding="utf-8")))
                except (OSError, UnicodeDecodeError) as exc:
                    raise WaveRegistryError(f"{p}: cannot be read ({exc})") from None
    return out


def extension_dirs(value: str | None = None) -> tuple[Path, ...]:
    """The folders named by ``EXTRIAGE_WAVES_DIR`` (or ``value``); a missing one is an error."""
    raw = os.environ.get(ENV_DIRS, "") if value is None else value
    dirs: list[Path] = []
    for part in raw.split(os.pathsep):
        if not part.strip():
            continue
        p = Path(part).expanduser()
        if not p.is_dir():
            raise WaveRegistryError(f"{ENV_DIRS}: {part} is not a folder")
        dirs.append(p)
    return tuple(dirs)


def load_registry(dirs: tuple[Path, ...] | None = None) -> Registry:
    """The built-in registry plus the waves of ``dirs`` (default: ``EXTRIAGE_WAVES_DIR``); cached per
    set of folders."""
    return _load(extension_dirs() if dirs is None else tuple(dirs))


@functools.lru_cache(maxsize=8)
def _load(dirs: tuple[Path, ...]) -> Registry:
    base = resources.files("extriage.detections.waves").joinpath("registry.yml")
    docs = [("waves/registry.yml", base.read_text(encoding="utf-8")), *_docs([d / "waves" for d in dirs])]
    return Registry(parse_registry(docs), dirs)


def parse_registry(docs: list[tuple[str, str]]) -> tuple[Wave, ...]:
    """Waves of registry documents ``(name, text)``, in order; validated as a whole."""
    waves: dict[str, Wave] = {}
    for name, text in docs:
        try:
            doc = load_yaml(text)
        except yaml.YAMLError as exc:
            raise WaveRegistryError(f"{name}: not valid YAML ({_first_line(exc)})") from None
        if doc is None:
            continue
        if not isinstance(doc, dict) or set(doc) - {"waves"} or not isinstance(doc.get("waves"), dict):
            raise WaveRegistryError(f"{name}: a wave file holds one mapping 'waves: {{id: {{...}}}}'")
        for wid, raw in doc["waves"].items():
            wave = _wave(str(wid), raw, name)
            if wave.id in waves:
                raise WaveRegistryError(f"{name}: waves.{wave.id}: already defined in {waves[wave.id].file}")
            waves[wave.id] = wave
    _check_whole(list(waves.values()))
    return tuple(waves.values())


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _wave(wid: str, raw: Any, file: str) -> Wave:
    where = f"{file}: waves.{wid}"
    if not wid or not all(c.isalnum() or c == "-" for c in wid) or wid != wid.lower():
        raise WaveRegistryError(f"{where}: a wave id is lower-case letters, digits and '-'")
    if not isinstance(raw, dict):
        raise WaveRegistryError(f"{where}: must be a mapping of keys")
    unknown = set(raw) - _WAVE_KEYS
    if unknown:
        raise WaveRegistryError(f"{where}.{sorted(unknown)[0]}: unknown key (known: {', '.join(sorted(_WAVE_KEYS))})")
    if "title" not in raw:
        raise WaveRegistryError(f"{where}.title: missing")
    role = _text(raw.get("role", "exploit"), f"{where}.role")
    if role not in ROLES:
        raise WaveRegistryError(f"{where}.role: {role!r} is not one of {', '.join(ROLES)}")
    title = _text(raw["title"], f"{where}.title")
    label = _text(raw.get("label", title), f"{where}.label")
    window = _window(raw.get("window"), f"{where}.window")
    if role == "exploit" and window is None:
        raise WaveRegistryError(f"{where}.window: an exploit wave needs its exploitation window")
    return Wave(
        id=wid,
        role=role,
        title=title,
        label=label,
        phrase=_text(raw.get("phrase", label), f"{where}.phrase"),
        cves=_cves(raw.get("cves"), f"{where}.cves"),
        disclosed=_date(raw.get("disclosed"), f"{where}.disclosed"),
        fixed=_date(raw.get("fixed"), f"{where}.fixed"),
        updates=_strings(raw.get("updates"), f"{where}.updates"),
        window=window,
        families=_strings(raw.get("families"), f"{where}.families"),
        channels=_strings(raw.get("channels"), f"{where}.channels"),
        collect=" ".join(_text(raw.get("collect", ""), f"{where}.collect").split()),
        patch=_cves(raw.get("patch"), f"{where}.patch"),
        mitigations=_strings(raw.get("mitigations"), f"{where}.mitigations"),
        probe=_probe(raw.get("probe"), f"{where}.probe"),
        file=file,
        unattributed_shells=_flag(raw.get("unattributed_shells", False), f"{where}.unattributed_shells"),
    )


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise WaveRegistryError(f"{where}: must be true or false")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise WaveRegistryError(f"{where}: must be text")
    return value


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise WaveRegistryError(f"{where}: must be a list of texts")
    return tuple(value)


def _cves(value: Any, where: str) -> tuple[str, ...]:
    out = _strings(value, where)
    for cve in out:
        parts = cve.split("-")
        if (len(parts) != 3 or parts[0] != "CVE" or len(parts[1]) != 4 or not parts[1].isdigit()
                or len(parts[2]) < 4 or not parts[2].isdigit()):
            raise WaveRegistryError(f"{where}: {cve!r} is not a CVE id (CVE-YYYY-NNNN)")
    if len(set(out)) != len(out):
        raise WaveRegistryError(f"{where}: a CVE is listed twice")
    return out


def _date(value: Any, where: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise WaveRegistryError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


def _window(raw: Any, where: str) -> Window | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise WaveRegistryError(f"{where}: must be a mapping {{start, end, source}}")
    unknown = set(raw) - _WINDOW_KEYS
    if unknown:
        raise WaveRegistryError(f"{where}.{sorted(unknown)[0]}: unknown key (known: start, end, source)")
    start = _date(raw.get("start"), f"{where}.start")
    end = _date(raw.get("end"), f"{where}.end")
    if start is None or end is None:
        raise WaveRegistryError(f"{where}: needs both start and end")
    if end < start:
        raise WaveRegistryError(f"{where}.end: {end} is before start {start}")
    return Window(start, end, _text(raw.get("source", ""), f"{where}.source"))


def _probe(raw: Any, where: str) -> ProbeSpec | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise WaveRegistryError(f"{where}: must be a mapping")
    unknown = set(raw) - _PROBE_KEYS
    if unknown:
        raise WaveRegistryError(f"{where}.{sorted(unknown)[0]}: unknown key (known: {', '.join(sorted(_PROBE_KEYS))})")
    decides = raw.get("decides", True)
    if not isinstance(decides, bool):
        raise WaveRegistryError(f"{where}.decides: must be true or false")

    def opt(key: str) -> str | None:
        v = raw.get(key)
        return None if v is None else _text(v, f"{where}.{key}")

    needs = opt("confirm_needs_cve")
    if needs is not None:
        _cves([needs], f"{where}.confirm_needs_cve")
    return ProbeSpec(decides, opt("confirm"), needs, opt("blocked_by"),
                     " ".join((opt("undecided_note") or "").split()))


def _check_whole(waves: list[Wave]) -> None:
    """Rules across waves: one catch-all, at most one post-exploitation wave, each CVE in one patch
    group, a probe check's mitigation among the wave's own."""
    marked = [w for w in waves if w.unattributed_shells]
    if len(marked) > 1:
        raise WaveRegistryError(f"{marked[1].file}: waves.{marked[1].id}.unattributed_shells: only one wave may "
                                f"take unattributed web shells ({marked[0].id} does)")
    for role, most in (("other", 1), ("post-exploitation", 1)):
        mine = [w for w in waves if w.role == role]
        if len(mine) > most:
            raise WaveRegistryError(f"{mine[1].file}: waves.{mine[1].id}.role: only one wave may be {role!r} "
                                    f"({mine[0].id} is)")
    if not any(w.role == "other" for w in waves):
        raise WaveRegistryError("waves/registry.yml: no wave has role 'other' (the catch-all)")
    owner: dict[str, str] = {}
    for w in waves:
        if w.patch and w.role != "exploit":
            raise WaveRegistryError(f"{w.file}: waves.{w.id}.patch: only exploit waves have a patch group")
        for cve in w.patch:
            if cve in owner:
                raise WaveRegistryError(f"{w.file}: waves.{w.id}.patch: {cve} is already in {owner[cve]}'s patch group")
            owner[cve] = w.id
        if w.probe is not None and w.probe.blocked_by and w.probe.blocked_by not in w.mitigations:
            raise WaveRegistryError(f"{w.file}: waves.{w.id}.probe.blocked_by: {w.probe.blocked_by!r} is not "
                                    "in the wave's mitigations")
        if w.probe is not None and w.role == "exploit" and not w.patch:
            raise WaveRegistryError(f"{w.file}: waves.{w.id}.probe: a probe wave needs a patch group (the build decides it)")


def other_id() -> str:
    """Id of the catch-all wave (a finding of no particular wave)."""
    return load_registry().other.id


def post_exploitation_id() -> str:
    """Id of the post-exploitation wave (web shells, credential theft after any wave); the catch-all
    when a registry has none."""
    post = load_registry().post_exploitation
    return post.id if post is not None else other_id()


def shells_wave_id() -> str:
    """Id of the wave unattributed web shells are counted in (``unattributed_shells: true``)."""
    return load_registry().shells_wave.id


def shell_wave(named: str | None) -> str:
    """The wave of a web shell a rule names: the rule's ``wave`` when it is a wave of the registry, else
    (``any``, empty, a wave this registry does not have) the wave unattributed web shells are counted in -
    never a wave id of its own (a rule's ``wave = "any"`` once showed up as a wave called "any")."""
    reg = load_registry()
    return named if named and named in reg else reg.shells_wave.id


def wave_of_cve(cve: str) -> str:
    """Id of the first wave whose CVEs hold ``cve`` (the catch-all for a CVE of no wave): a check that
    knows which flaw it shows gets its wave from the registry."""
    reg = load_registry()
    return next((w.id for w in reg if cve in w.cves), reg.other.id)
