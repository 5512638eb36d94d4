"""Windows event detections: YAML rules (``rules/*.yml``) and the small engine that runs them."""
