"""Scan stages for Windows event evidence (``.evtx`` files and exported events), by concern:

- :mod:`.files` — which files are event logs or exports;
- :mod:`.reading` — reading one file (or one large export in parts) in worker processes;
- :mod:`.merging` — channel and IP summaries merged, the same events read twice counted once;
- :mod:`.read_stage` — stage ``events``: read, detect, coverage per channel;
- :mod:`.correlate_stage` — stage ``events-correlate``: attacker IPs, incident window,
  channel coverage of the exploitation periods;
- :mod:`.story_stage` — stage ``events-story``: event findings join the attack stories.
"""

from __future__ import annotations

from extriage.scan.stages.events.correlate_stage import EventsCorrelateStage
from extriage.scan.stages.events.read_stage import EventsStage
from extriage.scan.stages.events.story_stage import EventsStoryStage

STAGES = [EventsStage(), EventsCorrelateStage(), EventsStoryStage()]
