"""Alembic migrations of the store, run programmatically by `lab.store.migrate` (no alembic.ini)."""
