"""Turning evidence bytes into records: one module per format, streaming, bounded memory."""
