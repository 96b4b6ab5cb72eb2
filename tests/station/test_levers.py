"""Keyboard and gamepad levers (hardware.inputs): key mapping and notches, and the Linux joystick
event stream read from a real file descriptor (a pipe carrying linux/joystick.h events)."""

from __future__ import annotations

import os
import struct

import pytest

from hardware.inputs import (
    EVENT,
    JS_EVENT_AXIS,
    JS_EVENT_BUTTON,
    JS_EVENT_INIT,
    Gamepad,
    Keyboard,
    Levers,
    find_gamepads,
    merge,
)
from lab.bus.text import UserError
from sim.operators.command import Command


def test_keys_give_levers_at_the_selected_notch() -> None:
    keys = Keyboard()
    assert not keys.active and keys.levers() == Levers()
    keys.press("Up")
    keys.press("Left")
    assert keys.levers() == Levers(bridge=0.5, trolley=-0.5)
    keys.press("3")
    assert keys.levers() == Levers(bridge=0.75, trolley=-0.75) and keys.active
    keys.press("Down")  # both directions held: they cancel
    assert keys.levers().bridge == 0.0
    keys.clear()
    assert not keys.active
    keys.press("Space")
    assert Command(**keys.levers().as_dict()) == Command(estop=True)


def _event(kind: int, number: int, value: int, time_ms: int = 0) -> bytes:
    return EVENT.pack(time_ms, value, kind, number)


def test_gamepad_events_from_a_real_descriptor() -> None:
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    pad = Gamepad(read_fd, name="pipe")
    try:
        assert pad.poll() == Levers()  # nothing sent yet: does not block
        init = _event(JS_EVENT_AXIS | JS_EVENT_INIT, 1, 0)
        stream = init + _event(JS_EVENT_AXIS, 1, -32767) + _event(JS_EVENT_AXIS, 0, 16000)
        stream += _event(JS_EVENT_AXIS, 4, 2000)  # inside the dead zone
        os.write(write_fd, stream[:-3])  # a partial event waits for the rest
        assert pad.poll() == Levers(bridge=1.0, trolley=pytest.approx(16000 / 32767))
        os.write(write_fd, stream[-3:] + _event(JS_EVENT_BUTTON, 0, 1))
        levers = pad.poll()
        assert levers.hoist == 0.0 and levers.estop
        os.write(write_fd, _event(JS_EVENT_BUTTON, 0, 0) + _event(JS_EVENT_AXIS, 4, -32767))
        assert pad.poll() == Levers(bridge=1.0, trolley=pytest.approx(0.4883, abs=1e-3), hoist=1.0)
    finally:
        pad.close()
        os.close(write_fd)


def test_merge_takes_the_largest_deflection_and_any_estop() -> None:
    merged = merge([Levers(bridge=0.5, hoist=-0.25), Levers(bridge=-0.75, trolley=0.1, estop=True)])
    assert merged == Levers(bridge=-0.75, trolley=0.1, hoist=-0.25, estop=True)
    assert merge([]) == Levers()


def test_a_missing_gamepad_is_one_line(tmp_path) -> None:
    assert find_gamepads(tmp_path) == [] and find_gamepads(tmp_path / "absent") == []
    with pytest.raises(UserError, match="cannot open gamepad"):
        Gamepad.open(tmp_path / "js0")
    assert struct.calcsize("<IhBB") == EVENT.size == 8  # linux/joystick.h struct js_event
