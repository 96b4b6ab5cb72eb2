"""Lab side: store, bus, auth and audit, scheduling, lab server, recordings.

Kept import-free so that `lab.bus`, the shared leaf, can be imported without SQLAlchemy.
"""
