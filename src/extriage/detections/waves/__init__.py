"""The wave registry: ``registry.yml`` (data) and its loader :mod:`extriage.detections.waves.registry`."""
