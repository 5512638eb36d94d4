"""Migration scripts, one per schema version (``revision`` ids are ``0001``, ``0002``, …)."""
