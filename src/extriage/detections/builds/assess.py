"""From a build to open CVEs and the exact update that closes them.

The rule is HealthChecker's (CSS-Exchange ``Shared/CompareExchangeBuildLevel.ps1``,
``Test-ExchangeBuildGreaterOrEqualThanSecurityPatch``; reference microsoft-tools.md §3.2-3.4,
remote-probe.md §5.4): for the update S that fixes a CVE, a build is fixed if it is at least the
newest build named S on its product line (a later CU carries the fix), or if its own CU has an S
build and it is at least that build. A CU that never got S is vulnerable ("update the CU first").
What the build cannot tell (CU-only builds, builds between known CUs, configuration-dependent fixes)
is reported as ``vulnerable-unless-su`` or ``unknown`` — never as ``fixed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from extriage.detections.builds.table import (
    BuildRow,
    BuildTable,
    CveInfo,
    load_table,
    product_of,
    rule_product,
)
from extriage.detections.builds.version import Build
from extriage.detections.waves.registry import load_registry

VULNERABLE = "vulnerable"
FIXED = "fixed"
UNLESS_SU = "vulnerable-unless-su"
UNKNOWN = "unknown"
OPEN_STATUSES = frozenset({VULNERABLE, UNLESS_SU})


@dataclass(frozen=True, slots=True)
class Update:
    """An update that closes something: its KB article, the build it brings, and its table name."""

    kb: str
    build: str
    name: str
    date: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"kb": self.kb, "build": self.build, "name": self.name, "date": self.date}

    def label(self) -> str:
        kb = self.kb or "KB not in the table"
        return f"{kb} ({self.build}, {self.name})"


@dataclass(slots=True)
class CveStatus:
    id: str
    wave: str  # the wave registry's patch group holding the CVE (its catch-all for any other)
    status: str  # vulnerable | fixed | vulnerable-unless-su | unknown
    known_exploited: bool
    fixed_by: Update | None
    title: str = ""
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "wave": self.wave,
            "title": self.title,
            "status": self.status,
            "known_exploited": self.known_exploited,
            "fixed_by": None if self.fixed_by is None else self.fixed_by.to_dict(),
            "note": self.note,
        }


@dataclass(slots=True)
class Assessment:
    product: str
    cu: str
    su: str | None
    release_date: str | None
    support: str
    exact_match: bool
    nearest: str
    cves: list[CveStatus]
    notes: list[str]
    build: str = ""
    assessable: bool = True  # False: could not assess (unknown product or build); every CVE is "unknown"
    kind: str = "exact"  # exact | cu-only | between | newer-su | between-cus | unknown
    recommendation: list[str] = field(default_factory=list)
    newest_update: Update | None = None  # newest known update for the build's CU
    not_applicable: list[str] = field(default_factory=list)  # CVEs that do not affect this product

    @property
    def open_cves(self) -> list[CveStatus]:
        return [c for c in self.cves if c.status in OPEN_STATUSES]

    def to_dict(self) -> dict[str, Any]:
        return {
            "build": self.build,
            "assessable": self.assessable,
            "product": self.product,
            "cu": self.cu,
            "su": self.su,
            "release_date": self.release_date,
            "support": self.support,
            "exact_match": self.exact_match,
            "kind": self.kind,
            "nearest": self.nearest,
            "cves": [c.to_dict() for c in self.cves],
            "not_applicable": list(self.not_applicable),
            "recommendation": list(self.recommendation),
            "newest_update": None if self.newest_update is None else self.newest_update.to_dict(),
            "notes": list(self.notes),
        }


def waves() -> dict[str, list[str]]:
    """CVE ids of the build table per patch wave of the wave registry, in report order (the catch-all
    wave holds every other Exchange Server CVE in CISA's KEV catalog)."""
    reg = load_registry()
    out: dict[str, list[str]] = {w.id: [] for w in reg.patch_waves()}
    for cve in load_table().cves.values():
        out[reg.patch_wave_of(cve.id)].append(cve.id)
    return {k: sorted(v) for k, v in out.items()}


def _wave_rank() -> dict[str, int]:
    return {w.id: n for n, w in enumerate(load_registry().patch_waves())}


def update_of(row: BuildRow) -> Update:
    return Update(row.kb, str(row.build), row.name, row.date)


def _family(table: BuildTable, product: str) -> list[BuildRow]:
    products = ["Exchange 2019", "Exchange SE"] if product in ("Exchange 2019", "Exchange SE") else [product]
    return sorted((r for p in products for r in table.by_product.get(p, [])), key=lambda r: r.build.key)


def _support(table: BuildTable, product: str) -> str:
    end = table.support_end.get(product)
    if end is None:
        return "supported" if product == "Exchange SE" else "unknown"
    if date.fromisoformat(end) <= date.today():
        if any(_is_esu(table, product, r.date) for r in table.by_product.get(product, [])):
            return f"out of support since {end}; later updates are paid Extended Security Updates (ESU)"
        return f"out of support since {end}"
    return f"supported until {end}"


def _is_esu(table: BuildTable, product: str, released: str | None) -> bool:
    """An update released after its product's end of support: Microsoft ships those (Dec25SU on
    Exchange 2016/2019) only to organisations enrolled in its paid Extended Security Update programme,
    so a recommendation naming one must say so (ISO dates compare as text)."""
    end = table.support_end.get(product)
    return bool(end and released and released > end)


def _esu_note(table: BuildTable, product: str, cu_row: BuildRow, update: Update) -> str:
    """`` — an ESU …; the newest public update for CUn is …`` when ``update`` is an ESU, else ``""``."""
    if not _is_esu(table, product, update.date):
        return ""
    end = table.support_end.get(product)
    public = [
        r for r in table.by_product.get(cu_row.product, []) if r.cu == cu_row.cu and not _is_esu(table, product, r.date)
    ]
    note = (
        f" It was released after {product}'s end of support ({end}): an Extended Security Update, available only "
        "to organisations enrolled in Microsoft's paid ESU programme"
    )
    if public:
        last = max(public, key=lambda r: r.build.key)
        note += f"; the newest public update for {cu_row.cu} is {last.kb} (build {last.build}, {last.name}, {last.date})"
    return note + "."


@dataclass(slots=True)
class _Where:
    """Where a build sits in the table."""

    product: str
    kind: str
    cu_row: BuildRow | None = None  # the CU (2013+) or rollup level (2007/2010) when known
    exact: BuildRow | None = None
    nearest: BuildRow | None = None
    next_cu: BuildRow | None = None


def _unassessable(build: Build, product: str, reason: str, support: str = "unknown") -> Assessment:
    table = load_table()
    cves = [
        CveStatus(c.id, load_registry().patch_wave_of(c.id), UNKNOWN, c.known_exploited, None, c.title, reason)
        for c in table.cves.values()
    ]
    return Assessment(
        product=product,
        cu="",
        su=None,
        release_date=None,
        support=support,
        exact_match=False,
        nearest="",
        cves=cves,
        notes=[reason],
        build=str(build),
        assessable=False,
        kind="unknown",
        recommendation=[f"Could not assess {build}: {reason}"],
    )


def _locate(table: BuildTable, build: Build, product: str) -> _Where | str:
    fam = _family(table, product)
    if not fam:
        return f"no build data for {product}"
    same_number = [r for r in fam if r.build.build == build.build and r.build.minor == build.minor]
    legacy = product in ("Exchange 2007", "Exchange 2010")
    bases = fam if legacy else [r for r in fam if r.su is None]
    if legacy:
        # every rollup is its own level; a CU-only build names the level by its build number
        exact = next((r for r in same_number if build.cu_only or r.build == build), None)
        if exact is not None:
            return _Where(
                product, "cu-only" if build.cu_only else "exact", cu_row=exact, exact=exact, nearest=exact
            )
    else:
        base = next((r for r in same_number if r.su is None), None)
        if base is not None:
            rows = [r for r in fam if r.product == base.product and r.cu == base.cu]
            if build.cu_only:
                return _Where(product, "cu-only", cu_row=base, nearest=base)
            exact = next((r for r in rows if r.build == build), None)
            if exact is not None:
                return _Where(product, "exact", cu_row=base, exact=exact, nearest=exact)
            below = [r for r in rows if r.build.key <= build.key]
            nearest = below[-1] if below else base
            kind = "newer-su" if build.key > rows[-1].build.key else "between"
            return _Where(product, kind, cu_row=base, nearest=nearest)
    first, last = bases[0], bases[-1]
    if build.key > last.build.key:
        return (
            f"{build} is newer than every {product} build known (newest: {last.name} {last.build}; "
            f"table data through {table.data_through}); update extriage's build table"
        )
    if build.key < first.build.key:
        return f"{build} is older than every known {product} build (oldest: {first.name} {first.build})"
    below = [r for r in bases if r.build.key <= build.key]
    above = [r for r in bases if r.build.key > build.key]
    return _Where(product, "between-cus", nearest=below[-1], next_cu=above[0] if above else None)


def assess(build: Build) -> Assessment:
    """Assess one build: product, CU, SU, support, and the status of every CVE we track."""
    table = load_table()
    product = product_of(build)
    if product is None:
        return _unassessable(build, "", f"{build.major}.{build.minor} is not a known Exchange Server version")
    where = _locate(table, build, product)
    support = _support(table, product)
    if isinstance(where, str):
        return _unassessable(build, product, where, support)

    notes: list[str] = []
    cu_row = where.cu_row
    exact = where.exact
    legacy = product in ("Exchange 2007", "Exchange 2010")
    if where.kind == "cu-only":
        notes.append(
            f"{build} gives the {'update level' if legacy else 'Cumulative Update'} only: the installed Security "
            "Update cannot be told, so CVEs fixed by an SU on this CU are 'vulnerable-unless-su'. "
            "Read ExSetup.exe's file version for the exact build."
        )
    elif where.kind == "between" and where.nearest is not None:
        notes.append(
            f"{build} is not a known build; nearest known below it: {where.nearest.name} ({where.nearest.build})."
        )
        if cu_row is not None and build.key < cu_row.build.key:
            notes.append(
                f"{build} is below the {cu_row.name} release build {cu_row.build} (pre-release or mis-reported "
                "version); assessed as that CU without updates."
            )
    elif where.kind == "newer-su" and where.nearest is not None:
        notes.append(
            f"{build} is newer than every known update for {cu_row.name if cu_row else product} (newest known: "
            f"{where.nearest.name} {where.nearest.build}; table data through {table.data_through})."
        )
    elif where.kind == "between-cus" and where.nearest is not None:
        nxt = f" and {where.next_cu.name} ({where.next_cu.build})" if where.next_cu else ""
        notes.append(
            f"{build} lies between known CUs {where.nearest.name} ({where.nearest.build}){nxt}; nearest CU: "
            f"{where.nearest.cu}. Statuses the build cannot settle are 'unknown'."
        )

    if exact is not None and exact.has_su("Mar21SU") and cu_row is not None:
        later = [r for r in table.cu_rows(cu_row.product, cu_row.cu) if r.build.key > exact.build.key]
        if not later:
            notes.append(
                f"{exact.name} is the last update released for {cu_row.cu} (March 2021): it fixed ProxyLogon "
                "only; later vulnerabilities stay open until the CU is updated."
            )
    cves: list[CveStatus] = []
    not_applicable: list[str] = []
    for cve in table.cves.values():
        status = _cve_status(table, cve, build, product, where)
        if status is None:
            not_applicable.append(cve.id)
        else:
            cves.append(status)

    if cu_row is not None and not legacy:
        cu_label = cu_row.cu
    elif cu_row is not None:
        cu_label = cu_row.cu
    else:
        cu_label = f"unknown (between {where.nearest.cu if where.nearest else '?'} and "
        cu_label += f"{where.next_cu.cu if where.next_cu else '?'})"
    newest: Update | None = None
    if cu_row is not None:
        own = [r for r in _family(table, product) if r.product == cu_row.product and r.cu == cu_row.cu]
        if legacy:
            own = [r for r in _family(table, product) if r.product == cu_row.product]
        newest = update_of(own[-1])
    rank = _wave_rank()
    cves.sort(key=lambda c: (rank.get(c.wave, len(rank)), c.id))
    assessment = Assessment(
        product=product,
        cu=cu_label,
        su=(exact.su if exact is not None else None),
        release_date=(exact.date if exact is not None else None),
        support=support,
        exact_match=exact is not None and not build.cu_only,
        nearest=f"{where.nearest.name} ({where.nearest.build})" if where.nearest else "",
        cves=cves,
        notes=notes,
        build=str(build),
        kind=where.kind,
        newest_update=newest,
        not_applicable=not_applicable,
    )
    assessment.recommendation = _recommend(table, assessment, build, where)
    return assessment


def _s_rows(table: BuildTable, product: str, su: str) -> list[BuildRow]:
    return sorted((r for r in table.by_product.get(product, []) if r.has_su(su)), key=lambda r: r.build.key)


def _first_cu_at_least(table: BuildTable, product: str, floor: Build) -> BuildRow | None:
    for r in _family(table, product):
        if r.su is None and r.build.key >= floor.key:
            return r
    return None


def _cve_status(
    table: BuildTable, cve: CveInfo, build: Build, product: str, where: _Where
) -> CveStatus | None:
    def mk(status: str, fixed_by: BuildRow | None, note: str = "") -> CveStatus:
        upd = update_of(fixed_by) if fixed_by is not None else None
        return CveStatus(cve.id, load_registry().patch_wave_of(cve.id), status, cve.known_exploited, upd, cve.title, note)

    if product == "Exchange 2007":
        return mk(UNKNOWN, None, "Exchange 2007 is outside the fix data (out of support since 2017).")
    rp = rule_product(product)
    rule = cve.fixes.get(rp)
    if rule is None:
        return None
    older = rule.get("older", VULNERABLE)
    cu_row = where.cu_row
    # For comparisons a CU-only build stands for its CU's release build (the lowest it can be).
    eff = cu_row.build if (build.cu_only and cu_row is not None) else build

    if "unknown" in rule:
        return mk(UNKNOWN, None, rule["unknown"])
    if "rollup" in rule:
        target = table.find(f"{rp} {rule['rollup']}")
        if target is None:  # guarded by the data script
            return mk(UNKNOWN, None, f"rollup {rule['rollup']} missing from the build table")
        if eff.key >= target.build.key:
            return mk(FIXED, target)
        if build.cu_only and build.origin.startswith("AdminDisplayVersion"):
            # Exchange 2010's AdminDisplayVersion shows the service pack, not the rollup
            return mk(
                UNLESS_SU,
                target,
                f"vulnerable unless {rule['rollup']} ({target.kb}, {target.build}) or later is installed",
            )
        return mk(VULNERABLE, target, f"install {rule['rollup']} or later")
    if "cu" in rule:
        target = next((r for r in table.cu_bases(rp) if r.cu == rule["cu"]), None)
        if target is None:
            return mk(UNKNOWN, None, f"{rule['cu']} missing from the build table")
        note = rule.get("note", "")
        if eff.key >= target.build.key:
            return mk(FIXED, target, note)
        return mk(older, target, note or f"fixed from {target.name}")

    su = rule["su"]
    rows = _s_rows(table, rp, su)
    newest = rows[-1]
    first_cu = _first_cu_at_least(table, product, newest.build)
    if cu_row is not None:
        own = next((r for r in rows if r.cu == cu_row.cu and r.product == cu_row.product), None)
        if own is not None:
            if build.cu_only:
                if cu_row.build.key >= own.build.key:
                    return mk(FIXED, own)
                return mk(
                    UNLESS_SU,
                    own,
                    f"vulnerable unless {own.kb} ({own.build}) or a later SU for {own.cu} is installed",
                )
            if build.key >= own.build.key:
                return mk(FIXED, own)
            if own.ambiguous_from is not None and build.key >= own.ambiguous_from.key:
                return mk(
                    UNKNOWN,
                    own,
                    f"sources disagree on the {own.name} build ({own.ambiguous_from} in CSS-Exchange, {own.build} "
                    "in Microsoft's table); not treated as fixed",
                )
            return mk(VULNERABLE, own)
        if eff.key >= newest.build.key:
            return mk(FIXED, first_cu or newest)
        later = next((r for r in rows if r.build.key > eff.key), None) or first_cu
        cu_name = cu_row.cu
        step = f"move to {later.product} {later.cu} or later first" if later else "move to a later CU first"
        note = f"no {su} was released for {cu_name}; {step}"
        if older == UNKNOWN:
            note = f"the sources do not say whether {cu_name} is affected; {step} to be sure"
        return mk(older, later, note)
    # between known CUs: settle only what the build number alone can settle
    if first_cu is not None and build.key >= first_cu.build.key:
        return mk(FIXED, first_cu)
    if build.key < rows[0].build.key:
        return mk(older, rows[0], f"older than every build with {su}")
    return mk(UNKNOWN, None, "build between known CUs: cannot tell whether it carries this fix")


def _recommend(table: BuildTable, a: Assessment, build: Build, where: _Where) -> list[str]:
    """The minimal path that closes everything found, and the newest update for that CU."""
    recs: list[str] = []
    open_cves = a.open_cves
    unknown = [c.id for c in a.cves if c.status == UNKNOWN]
    cu_row = where.cu_row
    legacy = a.product in ("Exchange 2007", "Exchange 2010")
    if not open_cves:
        recs.append(f"No tracked CVE is open at {build}.")
    elif legacy:
        fixes = [c.fixed_by for c in open_cves if c.fixed_by is not None]
        best = max(fixes, key=_ukey) if fixes else None
        if best is not None:
            recs.append(f"Install {best.name} ({best.kb}, build {best.build}); it closes: {_ids(open_cves)}.")
    elif cu_row is not None:
        same_cu = [c for c in open_cves if c.fixed_by is not None and _on_cu(c.fixed_by, cu_row)]
        if len(same_cu) == len(open_cves):
            best = max((c.fixed_by for c in same_cu if c.fixed_by), key=_ukey)
            verb = "Make sure" if build.cu_only else "Install"
            tail = " is installed" if build.cu_only else ""
            recs.append(
                f"{verb} {best.kb} (build {best.build}, {best.name}) on {cu_row.cu}{tail}: it closes {_ids(open_cves)}."
                + _esu_note(table, a.product, cu_row, best)
            )
        else:
            target = _target_cu(table, a.product, cu_row, open_cves)
            if target is None:
                recs.append(
                    f"No update on the {a.product} line closes {_ids(open_cves)}; move to Exchange SE."
                )
            else:
                cu_base, su_row = target
                step = f"Move to {cu_base.cu} first ({cu_base.kb}, build {cu_base.build})"
                if su_row is not None:
                    step += f", then install {su_row.kb} (build {su_row.build}, {su_row.name})"
                esu = _esu_note(table, a.product, cu_base, update_of(su_row)) if su_row is not None else ""
                recs.append(step + f": that closes {_ids(open_cves)}." + esu)
                newest = _newest_on_cu(table, cu_base)
                if newest is not None and (su_row is None or newest.build.key > su_row.build.key):
                    recs.append(
                        f"The newest update for {cu_base.cu} is {newest.kb} (build {newest.build}, {newest.date})."
                        + _esu_note(table, a.product, cu_base, update_of(newest))
                    )
    else:
        recs.append(
            f"Open CVEs at {build}: {_ids(open_cves)}; the build is not a known CU, so move to a current CU."
        )
    if a.newest_update is not None and cu_row is not None and not legacy:
        nu = a.newest_update
        if build.cu_only or build.key < _ukey(nu):
            recs.append(
                f"The newest update for {cu_row.cu} is {nu.kb} (build {nu.build}, {nu.name}, {nu.date})."
                + _esu_note(table, a.product, cu_row, nu)
            )
    if unknown:
        recs.append(f"Check by hand (the build cannot settle them): {', '.join(unknown)}.")
    end = table.support_end.get(a.product)
    if a.support.startswith("out of support") and end:
        if any(_is_esu(table, a.product, r.date) for r in table.by_product.get(a.product, [])):
            recs.append(
                f"{a.product} is out of support since {end}: the updates released since then are Extended Security "
                "Updates, only for organisations enrolled in Microsoft's paid ESU programme; plan the move to "
                "Exchange Server SE."
            )
        else:
            recs.append(
                f"{a.product} is out of support since {end} (no further security updates): plan the move to "
                "Exchange Server SE."
            )
    return recs


def _ids(cves: list[CveStatus]) -> str:
    return ", ".join(c.id for c in cves)


def _ukey(u: Update | None) -> tuple[int, ...]:
    if u is None:
        return (-1,)
    return tuple(int(p) for p in u.build.split("."))


def _on_cu(update: Update, cu_row: BuildRow) -> bool:
    parts = [int(p) for p in update.build.split(".")]
    return parts[:3] == [cu_row.build.major, cu_row.build.minor, cu_row.build.build]


def _newest_on_cu(table: BuildTable, cu_base: BuildRow) -> BuildRow | None:
    rows = [r for r in table.by_product.get(cu_base.product, []) if r.cu == cu_base.cu]
    return max(rows, key=lambda r: r.build.key) if rows else None


def _target_cu(
    table: BuildTable, product: str, cu_row: BuildRow, open_cves: list[CveStatus]
) -> tuple[BuildRow, BuildRow | None] | None:
    """The lowest later CU on which every open CVE is closed by the CU itself or by an SU for it."""
    for base in _family(table, product):
        if base.su is None and base.build.key > cu_row.build.key and base.cu != "Preview":
            needed: list[BuildRow] = []
            ok = True
            for c in open_cves:
                verdict = _cve_status(
                    table,
                    table.cves[c.id],
                    base.build,
                    product_of(base.build) or product,
                    _Where(product, "exact", cu_row=base, exact=base, nearest=base),
                )
                if verdict is None or verdict.status == FIXED:
                    continue
                fb = verdict.fixed_by
                if verdict.status == VULNERABLE and fb is not None and _on_cu(fb, base):
                    row = table.find(fb.name)
                    if row is not None:
                        needed.append(row)
                        continue
                ok = False
                break
            if ok:
                return base, (max(needed, key=lambda r: r.build.key) if needed else None)
    return None
