"""Deciding what is bad: detection knowledge as data (rules, IOC lists, build tables) beside small engines."""
