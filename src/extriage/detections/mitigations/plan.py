"""Which interim mitigations a build needs, and the web.config XML + PowerShell that apply them.

The build's open CVEs come from the patch knowledge (:func:`extriage.detections.builds.assess`);
``catalog.yaml`` maps CVEs to mitigations. The artefacts are rendered from Jinja2 templates kept as
package data, so their logic is reviewable text (and tested as text: PowerShell cannot run here).
"""

from __future__ import annotations

import importlib
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import jinja2

from extriage import __version__
from extriage.detections.mitigations.catalog import Catalog, ExpectedRule, load_catalog
from extriage.detections.mitigations.verify import VerifyReport

SITE_CONFIG = "C:\\inetpub\\wwwroot\\web.config"
NEEDS = {"vulnerable", "vulnerable-unless-su"}


class PlanError(ValueError):
    """The plan cannot be made (bad build text, build knowledge unavailable)."""


@dataclass(slots=True)
class CveRow:
    id: str
    wave: str
    status: str
    fixed_by: str = ""
    mitigations: list[str] = field(default_factory=list)


@dataclass(slots=True)
class PlannedMitigation:
    id: str
    title: str
    breaks: str
    state: str = ""  # state found in the evidence, when --evidence was given
    reason: str = ""


@dataclass(slots=True)
class Plan:
    build: str
    product: str
    cve_rows: list[CveRow]
    mitigations: list[PlannedMitigation]
    rules: list[ExpectedRule]
    services: list[str]
    app_pools: list[str]
    managed_availability: list[str]
    site: str
    fix_hint: str
    notes: list[str] = field(default_factory=list)
    already_in_force: list[str] = field(default_factory=list)
    xml_rules: list[ExpectedRule] = field(default_factory=list)  # rules not already in force (for the XML)

    @property
    def cves(self) -> list[str]:
        return [c.id for c in self.cve_rows if c.status in NEEDS]

    def to_dict(self) -> dict[str, Any]:
        return {
            "build": self.build,
            "product": self.product,
            "cves": [asdict(c) for c in self.cve_rows],
            "mitigations": [asdict(m) for m in self.mitigations],
            "rules": [r.name for r in self.rules],
            "services": self.services,
            "app_pools": self.app_pools,
            "managed_availability": self.managed_availability,
            "already_in_force": self.already_in_force,
            "notes": self.notes,
            "disclaimer": "Interim mitigations are not a substitute for installing the Security Update.",
        }


def _assess(build_text: str) -> Any:
    try:
        builds = importlib.import_module("extriage.detections.builds")
    except ModuleNotFoundError as exc:
        raise PlanError("the build knowledge (extriage.detections.builds) is not available in this installation") from exc
    parse_build = getattr(builds, "parse_build", None)
    assess = getattr(builds, "assess", None)
    if parse_build is None or assess is None:
        raise PlanError("the build knowledge (extriage.detections.builds.assess) is not available in this installation")
    try:
        build = parse_build(build_text)
    except ValueError as exc:
        raise PlanError(f"{build_text!r} is not an Exchange build number: {exc}") from None
    return assess(build)


def make_plan(build_text: str, report: VerifyReport | None = None, catalog: Catalog | None = None) -> Plan:
    """Decide which mitigations ``build_text`` needs; with a ``report``, note what is already in force."""
    assessment = _assess(build_text)
    return plan_from_assessment(build_text, assessment, report, catalog)


def plan_from_assessment(
    build_text: str, assessment: Any, report: VerifyReport | None = None, catalog: Catalog | None = None
) -> Plan:
    cat = catalog or load_catalog()
    titles = cat.titles()
    rows: list[CveRow] = []
    needed: list[str] = []
    latest: tuple[tuple[int, ...], str] | None = None
    for cve in getattr(assessment, "cves", []):
        fixed = getattr(cve, "fixed_by", None)
        fixed_text = ""
        if fixed is not None:
            name, kb = getattr(fixed, "name", ""), getattr(fixed, "kb", "")
            fixed_text = f"{name} ({kb})" if name and kb else str(name or kb)
            key = _build_key(str(getattr(fixed, "build", "") or ""))
            if cve.status in NEEDS and fixed_text and (latest is None or key > latest[0]):
                latest = (key, fixed_text)
        mitigation_ids = list(cat.cve_mitigations.get(cve.id, ()))
        rows.append(CveRow(cve.id, cve.wave, cve.status, fixed_text, [titles[m] for m in mitigation_ids]))
        if cve.status in NEEDS:
            for mid in mitigation_ids:
                if mid not in needed:
                    needed.append(mid)
    product = str(getattr(assessment, "product", "") or "Exchange Server")
    plan = Plan(
        build=build_text,
        product=product,
        cve_rows=rows,
        mitigations=[],
        rules=[],
        services=[],
        app_pools=[],
        managed_availability=[],
        site=cat.rewrite[0].site if cat.rewrite else "Default Web Site",
        fix_hint=f"{latest[1]} or any later update" if latest else "the latest Cumulative Update and Security Update",
    )
    unmitigable = [r.id for r in rows if r.status in NEEDS and not r.mitigations]
    if unmitigable:
        plan.notes.append(
            f"No interim mitigation exists for {', '.join(unmitigable)}: only installing the update fixes them."
        )
    unknown = [r.id for r in rows if r.status == "unknown"]
    if unknown:
        plan.notes.append(f"Status unknown for {', '.join(unknown)}: check the installed updates by hand.")
    if any(r.status == "vulnerable-unless-su" for r in rows):
        plan.notes.append(
            "Some CVEs are open unless a Security Update is installed on this CU; the build number alone cannot "
            "tell. If the SU is installed these mitigations are not needed."
        )
    for mid in needed:
        state = report.get(mid) if report is not None else None
        plan.mitigations.append(
            PlannedMitigation(mid, titles[mid], _breaks(cat, mid), state.state if state else "", state.reason if state else "")
        )
        if state is not None and state.state in {"in-force", "not-applicable"}:
            plan.already_in_force.append(mid)
        for rm in cat.rewrite:
            if rm.id == mid:
                plan.rules.extend(rm.rules)
                if mid not in plan.already_in_force:
                    plan.xml_rules.extend(rm.rules)
        for sm in cat.services:
            if sm.id == mid:
                plan.services.extend(sm.services)
        for pm in cat.app_pools:
            if pm.id == mid:
                plan.app_pools.append(pm.app_pool)
    if plan.services or plan.app_pools:
        plan.managed_availability = list(cat.managed_availability)
    return plan


def _build_key(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in text.split("."))
    except ValueError:
        return ()


def _breaks(cat: Catalog, mid: str) -> str:
    for m in cat.all():
        if m.id == mid:
            return m.breaks
    if mid == cat.rewrite_module_id:
        return "Nothing by itself; it is needed for the URL Rewrite rules to run (install IIS URL Rewrite 2.1 on IIS 10)."
    return ""


# -- rendering -----------------------------------------------------------------------------------


def ps_quote(value: object) -> str:
    """A PowerShell single-quoted string literal (``'`` doubled; smart quotes too, PowerShell treats them alike)."""
    text = str(value)
    for q in ("'", "\u2018", "\u2019", "\u201a", "\u201b"):
        text = text.replace(q, q + q)
    return f"'{text}'"


def xml_attr(value: object) -> str:
    return (
        str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _env() -> jinja2.Environment:
    loader = jinja2.FunctionLoader(
        lambda name: resources.files("extriage.detections.mitigations")
        .joinpath("templates", name)
        .read_text(encoding="utf-8")
    )
    env = jinja2.Environment(loader=loader, autoescape=False, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)  # noqa: S701 - XML and PowerShell are escaped by explicit filters
    env.filters["ps"] = ps_quote
    env.filters["xml"] = xml_attr
    return env


def render(plan: Plan, when: datetime | None = None) -> dict[str, str]:
    """Render the plan's files: ``{file name: text}``."""
    cat = load_catalog()
    ctx = {
        "version": __version__,
        "generated": (when or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC"),
        "build": plan.build,
        "product": plan.product,
        "cves": plan.cves,
        "cve_rows": plan.cve_rows,
        "mitigations": plan.mitigations,
        "rules": plan.rules,
        "xml_rules": plan.xml_rules,
        "services": plan.services,
        "app_pools": plan.app_pools,
        "managed_availability": plan.managed_availability,
        "managed_availability_needed": bool(plan.managed_availability),
        "managed_availability_breaks": cat.managed_availability_breaks,
        "site": plan.site,
        "site_config": SITE_CONFIG,
        "fix_hint": plan.fix_hint,
        "notes": plan.notes,
    }
    env = _env()
    files = {
        "Invoke-ExtriageMitigation.ps1": env.get_template("Invoke-ExtriageMitigation.ps1.j2").render(ctx),
        "NOTES.md": env.get_template("NOTES.md.j2").render(ctx),
    }
    if plan.xml_rules:
        files["rewrite-rules.xml"] = env.get_template("rewrite-rules.xml.j2").render(ctx)
    return files
