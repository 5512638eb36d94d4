"""Interim mitigations for ProxyLogon / ProxyNotShell: verify what is in force, generate what is missing.

Knowledge lives in ``catalog.yaml`` (rules, services, app pools, what each breaks); ``verify`` checks
evidence against it over the merged IIS configuration hierarchy; ``plan`` renders web.config XML
and PowerShell (apply / verify / rollback) from Jinja2 templates.
"""

from extriage.detections.mitigations.verify import STATES, MitigationState, VerifyReport, verify

__all__ = ["STATES", "MitigationState", "VerifyReport", "verify"]
