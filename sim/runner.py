"""Run one attempt headless: spec + params + operator + seed → result (and optionally a JSONL trace).

The loop is the same one the station runtime drives step by step; determinism comes from seeding every
random draw from the attempt seed and stepping pybullet in a fresh world (same inputs, same trace).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from lab.bus.text import UserError
from scenarios.spec import Spec
from sim.crane.autopilot import AutopilotOperator
from sim.crane.scene import CraneScene, CraneState
from sim.operators.base import IdleOperator, Operator, ReplayOperator

SCENES = {"crane": CraneScene}
AUTOPILOTS = {"crane": AutopilotOperator}
OPERATOR_SEED_KEY = 7  # the operator's random stream is spawned apart from the scene's


def make_scene(spec: Spec) -> CraneScene:
    if spec.family not in SCENES:
        raise UserError(f"场景族 {spec.family} 暂无仿真", f"no simulator for scenario family {spec.family}")
    return SCENES[spec.family](spec)


def make_operator(text: str, family: str) -> Operator:
    """`idle`, `autopilot[:SKILL]` (SKILL in 0..1) or `replay:FILE`."""
    kind, _, arg = text.partition(":")
    if kind == "idle" and not arg:
        return IdleOperator()
    if kind == "autopilot":
        try:
            skill = float(arg) if arg else 1.0
        except ValueError:
            skill = -1.0
        if not 0.0 <= skill <= 1.0:
            raise UserError(
                f"autopilot 的技能值应在 0..1：{arg}", f"autopilot skill must be in 0..1, got {arg}"
            )
        return AUTOPILOTS[family](skill)
    if kind == "replay" and arg:
        return ReplayOperator(arg)
    raise UserError(
        f"未知操作者 {text}；可用：idle、autopilot[:技能]、replay:文件",
        f"unknown operator {text}; use idle, autopilot[:SKILL] or replay:FILE",
    )


def trace_line(state: CraneState, command: Any) -> dict[str, Any]:
    """One JSONL trace line: time, hook and load positions, sway, axes, step, events, the command."""
    return {
        "t": round(state.t, 6),
        "hook": list(state.hook),
        "load": list(state.load),
        "sway_deg": state.sway_deg,
        "axes": {
            "bridge_x": state.bridge_x,
            "trolley_y": state.trolley_y,
            "rope_m": state.rope_m,
            "bridge_v": state.bridge_v,
            "trolley_v": state.trolley_v,
            "hoist_v": state.hoist_v,
        },
        "step": state.step,
        "events": list(state.events),
        "command": command.to_dict(),
    }


def run_attempt(
    spec: Spec,
    params: Mapping[str, Any] | None,
    operator: Operator,
    seed: int,
    trace: TextIO | None = None,
    duration: float | None = None,
    changes: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Run until the attempt ends (or `duration` simulated seconds); returns the result dict.

    `changes` are live changes as a result records them (`{"t", "action", ...}`): each is applied when
    the sim reaches its time, so a session an instructor changed re-simulates exactly.
    """
    pending = sorted(changes, key=_change_time)
    scene = make_scene(spec)
    try:
        started = time.perf_counter()
        state = scene.reset(params, seed)
        operator.reset(scene, np.random.default_rng([seed, OPERATOR_SEED_KEY]))
        limit = float("inf") if duration is None else duration
        while not scene.done and state.t < limit - 1e-9:
            while pending and _change_time(pending[0]) <= state.t + 1e-9:
                scene.apply_change(pending.pop(0))
            command = operator.act(state)
            state = scene.step(command)
            if trace is not None:
                trace.write(json.dumps(trace_line(state, command)) + "\n")
        result = scene.result()
        result["operator"] = operator.name
        result["wall_s"] = round(time.perf_counter() - started, 4)
        return result
    finally:
        scene.close()


def _change_time(change: Mapping[str, Any]) -> float:
    t = change.get("t") if isinstance(change, Mapping) else None
    if isinstance(t, bool) or not isinstance(t, int | float) or not t >= 0:
        raise UserError(
            f"场景变更缺少有效时间 t：{str(change)[:80]}", f"a change needs a time t >= 0: {str(change)[:80]}"
        )
    return float(t)


def open_trace(path: Path | str | None) -> TextIO | None:
    if path is None:
        return None
    try:
        return Path(path).open("w", encoding="utf-8")
    except OSError as exc:
        raise UserError(f"无法写入轨迹文件 {path}：{exc}", f"cannot write trace file {path}: {exc}") from exc
