"""The operator of a session from its name: the sim's operators plus the hand-signal operator.

Keyboard and gamepad input come from the view, which passes each tick's command to `step`; the
session's own operator then only runs when the view passes none.
"""

from __future__ import annotations

from sim.operators.base import Operator
from sim.runner import make_operator
from station_app.runtime.coaching import SignalOperator

HAND_SIGNALS = "hand_signals"


def operator_for(text: str, family: str) -> Operator:
    """`idle`, `autopilot[:SKILL]`, `replay:FILE` (see `sim.runner.make_operator`) or `hand_signals`."""
    if text == HAND_SIGNALS:
        return SignalOperator()
    return make_operator(text, family)
