"""Physics check of the crane (issue 3): the idle load swings with the physical-pendulum period, never gaining.

The reference period is computed here from what pybullet actually simulates — every swinging link's
mass, inertia and position read back from the engine — not from the scene's own formula.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pybullet as pb
import pytest

from scenarios.spec import get_spec
from sim.crane.scene import CONTROL_HZ, HOOK, LOAD, SWING_X, SWING_Y, CraneScene
from sim.operators.command import NEUTRAL

STILL_AIR = {"wind_mps": 0.0, "gust_mps": 0.0, "initial_sway_deg": 5.0}


def physical_pendulum_period(scene: CraneScene) -> float:
    """T = 2π·sqrt(I_pivot / (m·g·d)) about the pivot's y axis, from the engine's own link data."""
    cid, body = scene.client, scene.crane
    for joint in (SWING_X, SWING_Y):
        pb.resetJointState(body, joint, 0.0, physicsClientId=cid)
    pivot = np.array(pb.getLinkState(body, SWING_X, physicsClientId=cid)[4])
    inertia = moment = 0.0
    for link in (SWING_X, SWING_Y, HOOK, LOAD):
        mass, _, diag = pb.getDynamicsInfo(body, link, physicsClientId=cid)[:3]
        com = np.array(pb.getLinkState(body, link, physicsClientId=cid)[0])
        r = com - pivot
        inertia += diag[1] + mass * (r[0] ** 2 + r[2] ** 2)  # about the y axis through the pivot
        moment += mass * -r[2]
    return 2 * math.pi * math.sqrt(inertia / (9.81 * moment))


def swing(scene: CraneScene, seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """Time and the larger sway component (deg) under no input."""
    t, x, y = [], [], []
    for _ in range(round(seconds * CONTROL_HZ)):
        state = scene.step(NEUTRAL)
        t.append(state.t)
        x.append(state.sway_x_deg)
        y.append(state.sway_y_deg)
    x_arr, y_arr = np.array(x), np.array(y)
    return np.array(t), x_arr if np.abs(x_arr).max() >= np.abs(y_arr).max() else y_arr


def upward_crossings(t: np.ndarray, a: np.ndarray) -> np.ndarray:
    i = np.nonzero((a[:-1] < 0) & (a[1:] >= 0))[0]
    return t[i] + (t[i + 1] - t[i]) * (-a[i]) / (a[i + 1] - a[i])


@pytest.fixture(scope="module")
def scene():
    s = CraneScene(get_spec("crane.bridge_lift"))
    yield s
    s.close()


@pytest.mark.parametrize("rope", [3.0, 6.0, 10.0])
@pytest.mark.parametrize("mass", [500.0, 5000.0])
def test_idle_sway_period_matches_the_physical_pendulum(scene, rope, mass):
    scene.reset(STILL_AIR | {"rope_length_m": rope, "load_mass_kg": mass}, seed=1)
    t, a = swing(scene, 30.0)
    measured = float(np.diff(upward_crossings(t, a)).mean())
    expected = physical_pendulum_period(scene)
    assert measured == pytest.approx(expected, rel=0.02)
    assert scene.geometry.pendulum_period(rope) == pytest.approx(expected, rel=0.005)


@pytest.mark.parametrize("rope", [3.0, 10.0])
def test_idle_sway_amplitude_never_grows(scene, rope):
    state = scene.reset(STILL_AIR | {"rope_length_m": rope}, seed=2)
    assert state.sway_deg == pytest.approx(5.0, abs=0.01)
    t, a = swing(scene, 40.0)
    crossings = upward_crossings(t, a)
    peaks = [np.abs(a[(t >= lo) & (t < hi)]).max() for lo, hi in itertools.pairwise(crossings)]
    assert len(peaks) >= 4
    assert all(later <= earlier + 1e-6 for earlier, later in itertools.pairwise(peaks))
    assert peaks[-1] <= 5.0 + 1e-6
    assert scene.state.rope_m == pytest.approx(rope, abs=1e-3)  # the hoist brake holds the rope length


def test_steady_wind_deflects_the_load_downwind_by_drag_over_weight(scene):
    state = scene.reset(
        {"wind_mps": 12.0, "gust_mps": 0.0, "rope_length_m": 6.0, "load_mass_kg": 500.0}, seed=3
    )
    offsets = []
    for _ in range(60 * CONTROL_HZ):
        state = scene.step(NEUTRAL)
        offsets.append(state.sway_offset)
    mean = np.array(offsets[20 * CONTROL_HZ :]).mean(axis=0)
    wind = np.array(scene.wind.velocity(state.t))
    g = scene.geometry
    drag = 0.5 * 1.225 * 1.05 * g.load_side * g.load_height * 12.0**2
    arm = 6.0 + g.load_offset  # static deflection of the load ≈ L·F/(m·g) (hook mass adds little)
    expected = arm * drag / ((g.load_mass + g.hook_mass) * 9.81)
    assert float(mean @ wind) / np.linalg.norm(wind) == pytest.approx(expected, rel=0.1)
