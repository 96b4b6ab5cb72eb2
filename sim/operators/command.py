"""The operator command: what a keyboard, gamepad, serial pendant, hand signal or script asks the crane to do.

Axis values are in [-1, 1] of full speed (+bridge = +x, +trolley = +y, +hoist = up); the scene quantises
them to the master switch's notches. `estop` overrides everything.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from lab.bus.text import UserError

AXES = ("bridge", "trolley", "hoist")


@dataclass(frozen=True, slots=True)
class Command:
    bridge: float = 0.0
    trolley: float = 0.0
    hoist: float = 0.0
    estop: bool = False

    def __post_init__(self) -> None:
        for axis in AXES:
            value = getattr(self, axis)
            if type(value) is float and -1.0 <= value <= 1.0:
                continue  # the common case, checked first: this runs every control step
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise UserError(f"指令 {axis} 应为数字", f"command {axis} must be a number")
            if not -1.0 <= value <= 1.0:
                raise UserError(
                    f"指令 {axis} = {value} 超出范围 -1..1", f"command {axis} = {value} is out of range -1..1"
                )
        if not isinstance(self.estop, bool):
            raise UserError("指令 estop 应为 true/false", "command estop must be true or false")

    @property
    def moving(self) -> bool:
        """Any axis asked to move (the e-stop is not a motion)."""
        return any(getattr(self, axis) != 0.0 for axis in AXES)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Command:
        """Parse a command from JSON; anything else than the four fields is a UserError."""
        if not isinstance(data, dict) or set(data) - {*AXES, "estop"}:
            raise UserError(
                "指令应为含 bridge、trolley、hoist、estop 的对象",
                "a command must be an object with bridge, trolley, hoist, estop",
            )
        return cls(**data)


NEUTRAL = Command()

# Crane hand-signal names (ASME B30.5 / GB/T 5082, shared/reference/hand_signals.md §4.2-4.3) as the
# coach's recogniser emits them, mapped to the command a signalperson asks for. Signalled motions run at
# a slow notch: the operator follows a signal, he does not race it.
SIGNAL_SPEED = 0.5
_SIGNALS: dict[str, Command] = {
    "stop": NEUTRAL,
    "emergency_stop": Command(estop=True),
    "hoist": Command(hoist=SIGNAL_SPEED),
    "lower": Command(hoist=-SIGNAL_SPEED),
    "trolley_left": Command(trolley=-SIGNAL_SPEED),
    "trolley_right": Command(trolley=SIGNAL_SPEED),
    "bridge_forward": Command(bridge=SIGNAL_SPEED),
    "bridge_backward": Command(bridge=-SIGNAL_SPEED),
}
SIGNAL_NAMES = tuple(_SIGNALS)


def command_from_signal(name: str) -> Command:
    """The command a recognised hand signal asks for; an unknown name is a UserError listing the known ones."""
    try:
        return _SIGNALS[name]
    except KeyError:
        known = ", ".join(SIGNAL_NAMES)
        raise UserError(
            f"未知手势信号 {name}；可用：{known}", f"unknown hand signal {name}; known: {known}"
        ) from None
