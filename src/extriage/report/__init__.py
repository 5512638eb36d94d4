"""Renderers: read a ScanResult (or other stage results) and present it. They decide nothing."""
