"""Alembic migrations of the case database, shipped with the package and run by
:func:`extriage.case.store.open_case` (no ``alembic.ini`` needed)."""
