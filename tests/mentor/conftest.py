"""The mentor tests' lab (see mentor_world.py)."""

from mentor_world import mentor_lab  # noqa: F401 (a fixture)
