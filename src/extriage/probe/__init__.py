"""Network exposure check of Exchange servers (``extriage probe``).

Safe by default: GET requests only, no exploit cookies, no credentials, no outside callbacks.
Flow: :mod:`targets` (parse/expand input) → :mod:`engine` (async requests via :mod:`client`) →
:mod:`signals` (facts per response) → :mod:`reconcile` (one build + confidence per node) →
:mod:`states` (per-wave state from the patch knowledge) → :mod:`output`.
"""

from __future__ import annotations

from extriage import __version__

#: Every request carries this User-Agent so defenders (and ``extriage scan``) can label our own traffic.
USER_AGENT = f"extriage-probe/{__version__}"

__all__ = ["USER_AGENT"]
