"""Argument choices that command modules spell out (to keep start-up light) match their source."""

from __future__ import annotations

from coach.signals import SIGNAL_SETS
from station_app.cli import coach


def test_coach_signal_standards_are_the_coach_signal_sets() -> None:
    assert sorted(coach.SIGNAL_STANDARDS) == sorted(SIGNAL_SETS)
