"""The station tests' lab (see lab_world.py)."""

from lab_world import lab_store  # noqa: F401 (a fixture)
