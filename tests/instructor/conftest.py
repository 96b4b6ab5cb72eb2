"""The instructor tests use the same lab as the station tests (tests/station/lab_world.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "station"))

from lab_world import lab_store  # noqa: F401 (a fixture)
