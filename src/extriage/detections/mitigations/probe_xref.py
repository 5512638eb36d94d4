"""Cross-reference the configuration verdicts with a live ``extriage probe --confirm`` result.

Why: the evidence says what the configuration *should* do; the probe saw what the server *did*
(request aborted or answered). Agreement raises confidence; disagreement points at the likely cause
(another server behind the load balancer, a reverse proxy / WAF, configuration changed since the
collection, or a child web.config the collection missed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from extriage.detections.mitigations.verify import VerifyReport
from extriage.detections.waves.registry import load_registry


def wave_mitigations() -> dict[str, str]:
    """Probe wave -> the mitigation whose rule makes its --confirm request aborted (the wave
    registry's ``probe.blocked_by``), verified from configuration."""
    return {w.id: w.probe.blocked_by for w in load_registry().probe_waves() if w.probe is not None and w.probe.blocked_by}

MAX_PROBE_JSON = 64 * 1024 * 1024


class ProbeJsonError(ValueError):
    """The probe JSON file cannot be used."""


def load_probe_json(path: str) -> dict[str, Any]:
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_PROBE_JSON:
            raise ProbeJsonError(f"{path}: {size:,} bytes is too large for a probe result")
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProbeJsonError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProbeJsonError(f"{path}: cannot be read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise ProbeJsonError(f"{path}: not JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise ProbeJsonError(f"{path}: not an extriage probe --json result (no 'results' list)")
    return data


def live_state(result: dict[str, Any], wave: str) -> tuple[str, str]:
    """("blocked" | "not-blocked" | "inconclusive" | "not-run", the probe's own words)."""
    confirmations = result.get("confirmations") or {}
    text = str(confirmations.get(wave, "")) if isinstance(confirmations, dict) else ""
    aborted = False
    for ev in result.get("evidence") or []:
        if isinstance(ev, dict) and ev.get("purpose") == f"confirm-{wave}":
            aborted = aborted or bool(ev.get("aborted"))
            if not text:
                text = f"status {ev.get('status')}"
    if text == "mitigated" or aborted:
        return "blocked", text or "request aborted"
    if text.startswith(("vulnerable", "not mitigated", "not-reproduced")):
        return "not-blocked", text
    if text:
        return "inconclusive", text
    state = result.get("state") or {}
    if isinstance(state, dict) and state.get(wave) == "mitigated":
        return "blocked", "probe state: mitigated"
    return "not-run", "no --confirm check for this wave in the probe result"


def _names(result: dict[str, Any]) -> list[str]:
    names = [str(result.get("target") or ""), str(result.get("url") or "")]
    for node in result.get("nodes") or []:
        if isinstance(node, dict):
            names.append(str(node.get("name") or node.get("fe_server") or ""))
    return [n for n in names if n]


def select_probe_results(probe: dict[str, Any], target: str | None) -> dict[str, Any]:
    """Keep the probe results of the server this evidence belongs to.

    One evidence set is one server: comparing it with every target of a fleet probe only produces
    "cannot compare" noise. With one result it is taken; with several, ``target`` (a host name, URL
    or X-FEServer node name, case-insensitive substring) must pick it, else ProbeJsonError says which
    targets the file holds.
    """
    results = [r for r in probe.get("results", []) if isinstance(r, dict)]
    if target:
        wanted = target.lower()
        chosen = [r for r in results if any(wanted in n.lower() for n in _names(r))]
        if not chosen:
            raise ProbeJsonError(f"no probe result matches --probe-target {target!r}")
        return {**probe, "results": chosen}
    if len(results) > 1:
        shown = ", ".join(str(r.get("target")) for r in results[:10]) + (" …" if len(results) > 10 else "")
        raise ProbeJsonError(
            f"the probe result holds {len(results)} targets ({shown}): name the one this evidence belongs "
            "to with --probe-target"
        )
    return {**probe, "results": results}


def cross_reference(report: VerifyReport, probe: dict[str, Any]) -> dict[str, Any]:
    """Compare per wave and per probed target; the result is stored in ``report.probe`` too."""
    rows: list[dict[str, Any]] = []
    for result in probe.get("results", []):
        if not isinstance(result, dict):
            continue
        target = str(result.get("target") or result.get("url") or "?")
        for wave, mid in wave_mitigations().items():
            config = report.get(mid)
            config_state = config.state if config is not None else "unknown"
            live, words = live_state(result, wave)
            rows.append(
                {
                    "target": target,
                    "wave": wave,
                    "mitigation": mid,
                    "config_state": config_state,
                    "live": live,
                    "probe_said": words,
                    "agreement": _agreement(config_state, live),
                }
            )
    xref = {
        "targets": sorted({r["target"] for r in rows}),
        "rows": rows,
        "disagreements": sum(1 for r in rows if r["agreement"].startswith("disagree")),
    }
    report.probe = xref
    return xref


def _agreement(config_state: str, live: str) -> str:
    if live in {"not-run", "inconclusive"}:
        return f"cannot compare: live check {live}"
    if config_state in {"unknown", "not-applicable"}:
        return f"cannot compare: configuration state {config_state}"
    if config_state == "in-force":
        if live == "blocked":
            return "agree: configured and the live server aborted the request"
        return (
            "disagree: the configuration says in force but the live server answered — a different server behind "
            "the load balancer, configuration changed since the collection, or a config level the evidence lacked"
        )
    if live == "blocked":
        return (
            "disagree: the configuration does not enforce it but the live request was aborted — a reverse proxy or "
            "WAF in front, the Emergency Mitigation Service, or a change since the collection"
        )
    return "agree: not enforced in the configuration and not blocked live"
