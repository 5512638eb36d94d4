"""Web shells and post-exploitation files: location rules, the Exchange known-good baseline, the
MSTIC known-bad list, YARA content rules and targeted checks (minidumps, DearCry, compiled pages).

Knowledge lives in ``data/`` (YAML, JSON, YARA, the compact baseline); the modules here are the small
engines that apply it. The scan stage is :mod:`extriage.scan.stages.webfiles`.
"""
