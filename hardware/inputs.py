"""Operator input devices at a station: keyboard and gamepad, as lever positions.

Both give `Levers` — bridge, trolley, hoist in [-1, 1] and the e-stop — that the station turns into
the sim's `Command` (hardware sits below sim, so it does not import it). Sign conventions are the
command's: +bridge = +x (runway), +trolley = +y (span), +hoist = up.

The gamepad is read through the Linux joystick interface (`/dev/input/js*`, linux/joystick.h), which
every gamepad the kernel knows exposes with no extra library: 8-byte events (u32 time in ms, s16
value, u8 type, u8 number), axes in [-32767, 32767].
"""

from __future__ import annotations

import errno
import os
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lab.bus.text import UserError

NOTCHES = 4  # master-switch notches (crane constants: speed_notches); keyboard speed steps


@dataclass(frozen=True, slots=True)
class Levers:
    bridge: float = 0.0
    trolley: float = 0.0
    hoist: float = 0.0
    estop: bool = False

    def as_dict(self) -> dict[str, float | bool]:
        return {"bridge": self.bridge, "trolley": self.trolley, "hoist": self.hoist, "estop": self.estop}


# --- keyboard ------------------------------------------------------------------------------------

# Key names as Qt's QKeySequence spells them. Arrow keys drive the bridge (up/down, along the runway)
# and the trolley (left/right, across the span), like a pendant seen from the pick-up end.
KEY_AXES: dict[str, tuple[str, float]] = {
    "Up": ("bridge", 1.0),
    "Down": ("bridge", -1.0),
    "Right": ("trolley", 1.0),
    "Left": ("trolley", -1.0),
    "W": ("hoist", 1.0),
    "PgUp": ("hoist", 1.0),
    "S": ("hoist", -1.0),
    "PgDown": ("hoist", -1.0),
}
ESTOP_KEYS = frozenset({"Space"})
NOTCH_KEYS = {str(n): n for n in range(1, NOTCHES + 1)}


class Keyboard:
    """Held keys → levers, at the selected notch (keys 1–4; 2 at start: half speed)."""

    def __init__(self, notch: int = 2) -> None:
        self.held: set[str] = set()
        self.notch = notch

    def press(self, key: str) -> None:
        if key in NOTCH_KEYS:
            self.notch = NOTCH_KEYS[key]
        else:
            self.held.add(key)

    def release(self, key: str) -> None:
        self.held.discard(key)

    def clear(self) -> None:
        """Focus lost: a key released elsewhere must not keep the crane moving."""
        self.held.clear()

    @property
    def active(self) -> bool:
        """Whether any control key is held (the station then overrides its default operator)."""
        return bool(self.held & (set(KEY_AXES) | ESTOP_KEYS))

    def levers(self) -> Levers:
        speed = self.notch / NOTCHES
        values = {"bridge": 0.0, "trolley": 0.0, "hoist": 0.0}
        for key in self.held:
            if key in KEY_AXES:
                axis, sign = KEY_AXES[key]
                values[axis] = max(-1.0, min(1.0, values[axis] + sign * speed))
        return Levers(**values, estop=bool(self.held & ESTOP_KEYS))


# --- gamepad -------------------------------------------------------------------------------------

EVENT = struct.Struct("<IhBB")  # linux/joystick.h struct js_event
JS_EVENT_BUTTON, JS_EVENT_AXIS, JS_EVENT_INIT = 0x01, 0x02, 0x80
AXIS_MAX = 32767.0


@dataclass(frozen=True)
class GamepadMap:
    """Which stick axis drives which lever (common XInput layout under Linux's xpad driver)."""

    bridge_axis: int = 1  # left stick, vertical (pushed forward = negative)
    trolley_axis: int = 0  # left stick, horizontal
    hoist_axis: int = 4  # right stick, vertical
    estop_buttons: tuple[int, ...] = (0, 1)  # A, B
    deadzone: float = 0.15


class Gamepad:
    """A joystick device read without blocking; `poll()` drains pending events and returns the levers."""

    def __init__(self, fd: int, mapping: GamepadMap = GamepadMap(), name: str = "") -> None:
        self.fd, self.mapping, self.name = fd, mapping, name
        self.axes: dict[int, float] = {}
        self.buttons: dict[int, bool] = {}
        self._partial = b""

    @classmethod
    def open(cls, path: str | Path, mapping: GamepadMap = GamepadMap()) -> Gamepad:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        except OSError as exc:
            raise UserError(
                f"无法打开手柄 {path}：{exc.strerror}", f"cannot open gamepad {path}: {exc.strerror}"
            ) from None
        return cls(fd, mapping, str(path))

    def feed(self, data: bytes) -> None:
        """Apply raw event bytes (whole events; a trailing partial event waits for the rest)."""
        data = self._partial + data
        whole = len(data) - len(data) % EVENT.size
        for _time, value, kind, number in EVENT.iter_unpack(data[:whole]):
            kind &= ~JS_EVENT_INIT
            if kind == JS_EVENT_AXIS:
                self.axes[number] = value / AXIS_MAX
            elif kind == JS_EVENT_BUTTON:
                self.buttons[number] = bool(value)
        self._partial = data[whole:]

    def poll(self) -> Levers:
        while True:
            try:
                chunk = os.read(self.fd, 64 * EVENT.size)
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno == errno.ENODEV:
                    raise UserError(
                        f"手柄 {self.name} 已断开", f"gamepad {self.name} was unplugged"
                    ) from None
                raise
            if not chunk:
                break
            self.feed(chunk)
        return self.levers()

    def levers(self) -> Levers:
        m = self.mapping
        return Levers(
            bridge=-self._axis(m.bridge_axis),
            trolley=self._axis(m.trolley_axis),
            hoist=-self._axis(m.hoist_axis),
            estop=any(self.buttons.get(b, False) for b in m.estop_buttons),
        )

    def _axis(self, number: int) -> float:
        value = max(-1.0, min(1.0, self.axes.get(number, 0.0)))
        return 0.0 if abs(value) < self.mapping.deadzone else value

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def find_gamepads(root: str | Path = "/dev/input") -> list[Path]:
    """Joystick devices present now (none on a machine without a gamepad)."""
    base = Path(root)
    return sorted(base.glob("js*")) if base.is_dir() else []


def merge(levers: Iterable[Levers]) -> Levers:
    """Several devices at once: the largest deflection per axis wins; any e-stop stops."""
    items = list(levers)
    pick = lambda axis: max((getattr(lv, axis) for lv in items), key=abs, default=0.0)  # noqa: E731
    return Levers(pick("bridge"), pick("trolley"), pick("hoist"), any(lv.estop for lv in items))
