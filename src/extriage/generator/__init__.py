"""Deterministic sample-evidence generator: realistic Exchange server trees with planted attacks."""
