"""The mitigation catalogue (``catalog.yaml``) as typed objects: what each mitigation must look like."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from extriage.datafiles import load_yaml


@dataclass(frozen=True, slots=True)
class ExpectedRule:
    name: str
    input: str
    pattern: str
    stop_processing: bool
    actions: tuple[str, ...] = ("AbortRequest", "CustomResponse")
    weak_patterns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RewriteMitigation:
    id: str
    title: str
    wave: str
    cves: tuple[str, ...]
    site: str
    match_by: str  # "name": each expected rule by its name; "criteria": any rule that does the job
    breaks: str
    rules: tuple[ExpectedRule, ...]
    known_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ServiceMitigation:
    id: str
    title: str
    wave: str
    cves: tuple[str, ...]
    services: tuple[str, ...]
    absent_means_not_applicable: bool
    breaks: str


@dataclass(frozen=True, slots=True)
class AppPoolMitigation:
    id: str
    title: str
    wave: str
    cves: tuple[str, ...]
    app_pool: str
    breaks: str


@dataclass(frozen=True, slots=True)
class Catalog:
    rewrite: tuple[RewriteMitigation, ...]
    services: tuple[ServiceMitigation, ...]
    app_pools: tuple[AppPoolMitigation, ...]
    managed_availability: tuple[str, ...]
    managed_availability_breaks: str
    rewrite_module_id: str
    rewrite_module_title: str
    rewrite_module_name: str
    rewrite_module_image: str
    cve_mitigations: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def titles(self) -> dict[str, str]:
        out = {m.id: m.title for m in self.all()}
        out[self.rewrite_module_id] = self.rewrite_module_title
        return out

    def all(self) -> list[RewriteMitigation | ServiceMitigation | AppPoolMitigation]:
        return [*self.rewrite, *self.services, *self.app_pools]

    def ids(self) -> list[str]:
        return [self.rewrite_module_id, *(m.id for m in self.rewrite), *(m.id for m in self.services), *(m.id for m in self.app_pools)]


def _rule(d: dict[str, Any]) -> ExpectedRule:
    return ExpectedRule(
        name=str(d["name"]),
        input=str(d["input"]),
        pattern=str(d["pattern"]),
        stop_processing=bool(d.get("stop_processing", False)),
        actions=tuple(d.get("actions", ("AbortRequest", "CustomResponse"))),
        weak_patterns=tuple(str(p) for p in d.get("weak_patterns", ())),
    )


@cache
def load_catalog() -> Catalog:
    text = resources.files("extriage.detections.mitigations").joinpath("catalog.yaml").read_text(encoding="utf-8")
    d = load_yaml(text)
    rm = d["rewrite_module"]
    return Catalog(
        rewrite=tuple(
            RewriteMitigation(
                id=m["id"],
                title=m["title"],
                wave=m["wave"],
                cves=tuple(m["cves"]),
                site=m["site"],
                match_by=m["match_by"],
                breaks=m["breaks"],
                rules=tuple(_rule(r) for r in m["rules"]),
                known_names=tuple(m.get("known_names", ())),
            )
            for m in d["rewrite"]
        ),
        services=tuple(
            ServiceMitigation(
                id=m["id"],
                title=m["title"],
                wave=m["wave"],
                cves=tuple(m["cves"]),
                services=tuple(m["services"]),
                absent_means_not_applicable=bool(m.get("absent_means_not_applicable", False)),
                breaks=m["breaks"],
            )
            for m in d["services"]
        ),
        app_pools=tuple(
            AppPoolMitigation(
                id=m["id"], title=m["title"], wave=m["wave"], cves=tuple(m["cves"]), app_pool=m["app_pool"], breaks=m["breaks"]
            )
            for m in d["app_pools"]
        ),
        managed_availability=tuple(d["managed_availability"]["services"]),
        managed_availability_breaks=d["managed_availability"]["breaks"],
        rewrite_module_id=rm["id"],
        rewrite_module_title=rm["title"],
        rewrite_module_name=rm["global_module"],
        rewrite_module_image=rm["image"],
        cve_mitigations={k: tuple(v) for k, v in d["cve_mitigations"].items()},
    )
