"""The scan pipeline: evidence inventory → stages (read + detect, correlate, summarise) → result."""
