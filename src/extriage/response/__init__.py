"""The response plan: what to do next, step by step, each step tied to the findings that call for it.

The steps are data (``steps.yaml``); :mod:`.plan` only decides which apply. :mod:`.facts` derives the
facts every report shares (attacker addresses, attack window, web shells, accounts, patch state).
"""

from extriage.response.facts import Facts, derive_facts
from extriage.response.plan import PlanStep, ResponsePlan, build_plan

__all__ = ["Facts", "PlanStep", "ResponsePlan", "build_plan", "derive_facts"]
