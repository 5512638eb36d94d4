"""Opt-in behavioural confirmation (``--confirm``): one harmless request per wave that still needs it.

Run only for waves whose version-based state is vulnerable, vulnerable-unless-su or unknown, so
patched servers get no extra traffic. Each request and the trace it leaves is documented in
docs/probe.md. No outside callbacks, no credentials, no commands:
- ProxyLogon: Microsoft's NSE cookie request to ``/owa/auth/x.js``; vulnerable when
  ``X-CalculatedBETarget`` contains ``localhost`` whatever the status; ``mitigated`` when the
  connection is aborted (EOMT URL Rewrite ``AbortRequest`` rule).
- ProxyShell: the autodiscover path confusion to ``/mapi/nspi/``; the MAPI page (title + ``Version:``)
  proves it and gives the exact build; 400 means fixed.
- ProxyNotShell: no unauthenticated oracle exists; only whether an ``autodiscover`` + ``powershell``
  URL is aborted by the interim rule (``mitigated``); otherwise the build decides.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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


async def run_confirmations(probe: TargetProbe, start: int) -> None:
    r = probe.result
    conf = r.confirmations
    pl = r.waves["proxylogon"]
    if pl.state in _NEEDS and pl.cves and "CVE-2021-26855" not in pl.cves:
        # e.g. Exchange 2010: only CVE-2021-26857 (UM) applies; the x.js cookie request tests the
        # front-end SSRF, which 2010 does not have, so its answer would say nothing.
        conf["proxylogon"] = "not tested: CVE-2021-26855 (the SSRF this request checks) does not apply to this build"
    elif pl.state in _NEEDS:
        obs, facts = await probe.get(
            "confirm-proxylogon", PROXYLOGON_PATH, headers={"Cookie": PROXYLOGON_COOKIE}
        )
        target = obs.header("X-CalculatedBETarget")
        node = facts.fe_server
        if obs.status is not None and target is not None and "localhost" in target.lower():
            reason = (
                f"X-CalculatedBETarget: {target[:200]} (status {obs.status}): the backend cookie was obeyed"
            )
            probe.confirm_outcomes.append(("proxylogon", node, WaveState(State.VULNERABLE, reason=reason)))
            conf["proxylogon"] = "vulnerable"
        elif obs.aborted:
            reason = (
                "request with the ProxyLogon cookies was aborted without a response (URL Rewrite mitigation)"
            )
            probe.confirm_outcomes.append(("proxylogon", None, WaveState(State.MITIGATED, reason=reason)))
            conf["proxylogon"] = "mitigated"
        elif obs.status is not None and (target is not None or node):
            reason = f"backend cookie ignored (status {obs.status}, X-CalculatedBETarget: {(target or 'absent')[:200]})"
            probe.confirm_outcomes.append(("proxylogon", node, WaveState(State.PATCHED, reason=reason)))
            conf["proxylogon"] = "not-reproduced"
        else:
            conf["proxylogon"] = "inconclusive: " + (
                obs.error or f"status {obs.status} without Exchange headers"
            )
    if r.waves["proxyshell"].state in _NEEDS:
        obs, facts = await probe.get("confirm-proxyshell", PROXYSHELL_PATH)
        node = facts.fe_server
        nspi = (
            any(s.source == "mapi-nspi" for s in facts.builds)
            or "MAPI/HTTP endpoint page" in facts.exchange_markers
        )
        body = obs.body.lower()
        loc = (obs.header("Location") or "").lower()
        if obs.status == 200 and nspi:
            reason = "autodiscover path confusion reached /mapi/nspi/ (Exchange MAPI/HTTP Connectivity Endpoint page)"
            probe.confirm_outcomes.append(("proxyshell", node, WaveState(State.VULNERABLE, reason=reason)))
            conf["proxyshell"] = "vulnerable"
        elif (obs.status == 302 and "errorfe.aspx" in loc) or b"owaadusernotfoundexception" in body:
            reason = "autodiscover path confusion reached the backend (errorFE redirect / OwaADUserNotFoundException)"
            probe.confirm_outcomes.append(("proxyshell", node, WaveState(State.VULNERABLE, reason=reason)))
            conf["proxyshell"] = "vulnerable"
        elif obs.status == 400:
            reason = "autodiscover path confusion rejected with 400 (fixed)"
            probe.confirm_outcomes.append(("proxyshell", node, WaveState(State.PATCHED, reason=reason)))
            conf["proxyshell"] = "not-reproduced"
        else:
            conf["proxyshell"] = "inconclusive: " + (obs.error or f"status {obs.status}")
    if r.waves["proxynotshell"].state in _NEEDS:
        obs, facts = await probe.get("confirm-proxynotshell", PROXYNOTSHELL_PATH)
        if obs.aborted:
            reason = "autodiscover+powershell URL aborted without a response (interim URL Rewrite mitigation)"
            probe.confirm_outcomes.append(("proxynotshell", None, WaveState(State.MITIGATED, reason=reason)))
            conf["proxynotshell"] = "mitigated"
        elif obs.status is not None:
            conf["proxynotshell"] = (
                f"not mitigated: autodiscover+powershell URL answered with status {obs.status}; the build decides"
            )
        else:
            conf["proxynotshell"] = "inconclusive: " + (obs.error or "no response")
