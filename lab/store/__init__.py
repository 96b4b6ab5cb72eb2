"""The store: SQLAlchemy 2 models, engine set-up and Alembic migrations (SQLite WAL or PostgreSQL).

Business rules (booking policy, audit hashing, learner model updates) live in their own modules
next to these; this package only defines the tables and how to reach them.
"""
