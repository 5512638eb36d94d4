"""Opt-in behavioural confirmation (``--confirm``): one harmless request per wave that still needs it.

Run only for waves whose version-based state is vulnerable, vulnerable-unless-su or unknown, so
patched servers get no extra traffic. Which wave gets which check is data (the wave registry's
``probe.confirm``); the checks are the entries of :data:`CHECKS`, keyed by check id, never by wave.
Each request and the trace it leaves is documented in docs/probe.md. No outside callbacks, no
credentials, no commands:
- ``backend-cookie`` (ProxyLogon): Microsoft's NSE cookie request to ``/owa/auth/x.js``; vulnerable when
  ``X-CalculatedBETarget`` contains ``localhost`` whatever the status; ``mitigated`` when the
  connection is aborted (EOMT URL Rewrite ``AbortRequest`` rule).
- ``autodiscover-path-confusion`` (ProxyShell): the autodiscover path confusion to ``/mapi/nspi/``; the MAPI page (title + ``Version:``)
  proves it and gives the exact build; 400 means fixed.
- ``rewrite-abort`` (ProxyNotShell): no unauthenticated oracle exists; only whether an ``autodiscover`` + ``powershell``
  URL is aborted by the interim rule (``mitigated``); otherwise the build decides.
A wave without a check (ProxyToken: the only test creates an inbox rule) is decided by its build.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from extriage.detections.waves.registry import load_registry
from extriage.probe.states import State, WaveState

if TYPE_CHECKING:
    from extriage.probe.engine import TargetProbe

#: Recognisable in the server's logs (docs/probe.md) and never resolvable (RFC 2606 ``.invalid``).
PROBE_DOMAIN = "extriage-probe.invalid"

PROXYLOGON_PATH = "/owa/auth/x.js"
#: Exactly Microsoft's http-vuln-cve2021-26855.nse cookie (microsoft-tools.md §6).
PROXYLOGON_COOKIE = "X-AnonResource=true; X-AnonResource-Backend=localhost/ecp/default.flt?~3; X-BEResource=localhost/owa/auth/logon.aspx?~3;"
PROXYSHELL_PATH = f"/autodiscover/autodiscover.json?@{PROBE_DOMAIN}/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@{PROBE_DOMAIN}"
PROXYNOTSHELL_PATH = (
    f"/autodiscover/autodiscover.json?@{PROBE_DOMAIN}/owa/?&Email=autodiscover/autodiscover.json%3F@{PROBE_DOMAIN}"
    "&Protocol=XYZ&FooProtocol=Powershell"
)

_NEEDS = (State.VULNERABLE, State.VULNERABLE_UNLESS_SU, State.UNKNOWN)


#: A check: (probe, wave id) -> what to write in ``confirmations[wave]``; outcomes it reaches are
#: appended to ``probe.confirm_outcomes``.
Check = Callable[["TargetProbe", str], Awaitable[str]]


async def run_confirmations(probe: TargetProbe, start: int) -> None:
    r = probe.result
    for wave in load_registry().probe_waves():
        spec = wave.probe
        if spec is None or spec.confirm is None or wave.id not in r.waves:
            continue
        ws = r.waves[wave.id]
        if ws.state not in _NEEDS:
            continue
        if spec.confirm_needs_cve and ws.cves and spec.confirm_needs_cve not in ws.cves:
            # e.g. Exchange 2010: only CVE-2021-26857 (UM) applies; the x.js cookie request tests the
            # front-end SSRF, which 2010 does not have, so its answer would say nothing.
            r.confirmations[wave.id] = (
                f"not tested: {spec.confirm_needs_cve} (the flaw this request checks) does not apply to this build"
            )
            continue
        check = CHECKS.get(spec.confirm)
        if check is None:
            r.confirmations[wave.id] = f"not tested: no check named {spec.confirm!r} in this version"
            continue
        r.confirmations[wave.id] = await check(probe, wave.id)


def _outcome(probe: TargetProbe, wave: str, node: str | None, state: State, reason: str) -> None:
    probe.confirm_outcomes.append((wave, node, WaveState(state, reason=reason)))


async def _backend_cookie(probe: TargetProbe, wave: str) -> str:
    obs, facts = await probe.get(f"confirm-{wave}", PROXYLOGON_PATH, headers={"Cookie": PROXYLOGON_COOKIE})
    target = obs.header("X-CalculatedBETarget")
    node = facts.fe_server
    if obs.status is not None and target is not None and "localhost" in target.lower():
        _outcome(probe, wave, node, State.VULNERABLE,
                 f"X-CalculatedBETarget: {target[:200]} (status {obs.status}): the backend cookie was obeyed")
        return "vulnerable"
    if obs.aborted:
        _outcome(probe, wave, None, State.MITIGATED,
                 "request with the ProxyLogon cookies was aborted without a response (URL Rewrite mitigation)")
        return "mitigated"
    if obs.status is not None and (target is not None or node):
        _outcome(probe, wave, node, State.PATCHED,
                 f"backend cookie ignored (status {obs.status}, X-CalculatedBETarget: {(target or 'absent')[:200]})")
        return "not-reproduced"
    return "inconclusive: " + (obs.error or f"status {obs.status} without Exchange headers")


async def _path_confusion(probe: TargetProbe, wave: str) -> str:
    obs, facts = await probe.get(f"confirm-{wave}", PROXYSHELL_PATH)
    node = facts.fe_server
    nspi = any(s.source == "mapi-nspi" for s in facts.builds) or "MAPI/HTTP endpoint page" in facts.exchange_markers
    body = obs.body.lower()
    loc = (obs.header("Location") or "").lower()
    if obs.status == 200 and nspi:
        _outcome(probe, wave, node, State.VULNERABLE,
                 "autodiscover path confusion reached /mapi/nspi/ (Exchange MAPI/HTTP Connectivity Endpoint page)")
        return "vulnerable"
    if (obs.status == 302 and "errorfe.aspx" in loc) or b"owaadusernotfoundexception" in body:
        _outcome(probe, wave, node, State.VULNERABLE,
                 "autodiscover path confusion reached the backend (errorFE redirect / OwaADUserNotFoundException)")
        return "vulnerable"
    if obs.status == 400:
        _outcome(probe, wave, node, State.PATCHED, "autodiscover path confusion rejected with 400 (fixed)")
        return "not-reproduced"
    return "inconclusive: " + (obs.error or f"status {obs.status}")


async def _rewrite_abort(probe: TargetProbe, wave: str) -> str:
    obs, _facts = await probe.get(f"confirm-{wave}", PROXYNOTSHELL_PATH)
    if obs.aborted:
        _outcome(probe, wave, None, State.MITIGATED,
                 "autodiscover+powershell URL aborted without a response (interim URL Rewrite mitigation)")
        return "mitigated"
    if obs.status is not None:
        return f"not mitigated: autodiscover+powershell URL answered with status {obs.status}; the build decides"
    return "inconclusive: " + (obs.error or "no response")


#: The --confirm checks by id (the wave registry's ``probe.confirm`` names one per wave).
CHECKS: dict[str, Check] = {
    "backend-cookie": _backend_cookie,
    "autodiscover-path-confusion": _path_confusion,
    "rewrite-abort": _rewrite_abort,
}
