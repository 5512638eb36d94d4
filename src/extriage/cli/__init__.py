"""Command-line interface: wires arguments to the stages; no detection or rendering logic here."""
