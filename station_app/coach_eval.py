"""The work behind `shixun coach eval`: context files, thresholds and the offline coach run.

Kept out of `station_app/cli/` so that building the command line never imports the coach, NumPy or
SciPy (see tests/cli/test_startup_imports.py); the CLI module imports this only when the command runs.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from coach.context import DangerZone, FrameContext
from coach.engine import Coach, CoachConfig
from coach.reba import COUPLING, RebaInputs
from coach.reference import ReferenceDemo
from lab.bus.text import Text, UserError
from station_app.cli.context import Context
from vision.posestream import load_pose_stream, read_pose_stream


def _read_json(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"无法读取 {path}：{exc.strerror}", f"cannot read {path}: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise UserError(f"{path} 不是有效的 JSON：{exc}", f"{path} is not valid JSON: {exc}") from None


class ContextTimeline:
    """Per-frame context from a JSON file: step marks, machine-active intervals, zones, REBA inputs."""

    def __init__(self, data: Any, path: str) -> None:
        def bad(what: str) -> UserError:
            return UserError(f"{path}：{what} 格式不正确", f"{path}: {what} is malformed")

        if not isinstance(data, dict):
            raise bad("根对象")
        try:
            self.steps = sorted((float(t), str(s)) for t, s in data.get("steps", []))
            self.active = [(float(a), float(b)) for a, b in data.get("machine_active", [])]
        except (TypeError, ValueError):
            raise bad("steps / machine_active") from None
        zones = []
        for i, z in enumerate(data.get("danger_zones", [])):
            if not isinstance(z, dict) or "polygon" not in z:
                raise bad(f"danger_zones[{i}]")
            try:
                homography = np.asarray(z["homography"], dtype=float) if "homography" in z else None
                zones.append(
                    DangerZone(
                        zone_id=str(z.get("id", i)),
                        polygon=np.asarray(z["polygon"], dtype=float),
                        space=str(z.get("space", "image")),
                        homography=homography,
                    )
                )
            except (TypeError, ValueError):
                raise bad(f"danger_zones[{i}]") from None
        self.zones = tuple(zones)
        reba = data.get("reba", {})
        fields = set(RebaInputs.__dataclass_fields__)
        if not isinstance(reba, dict) or set(reba) - fields or reba.get("coupling", "good") not in COUPLING:
            raise bad("reba")
        for key, value in reba.items():
            expected = type(RebaInputs.__dataclass_fields__[key].default)
            if not isinstance(value, expected) and not (expected is float and type(value) is int):
                raise bad(f"reba.{key}")
        self.reba = RebaInputs(**reba)

    @property
    def step_order(self) -> list[str]:
        return list(dict.fromkeys(s for _, s in self.steps))

    def at(self, t: float) -> FrameContext:
        current = [s for start, s in self.steps if start <= t]
        return FrameContext(
            step_id=current[-1] if current else None,
            machine_active=any(a <= t <= b for a, b in self.active),
            danger_zones=self.zones,
            reba=self.reba,
        )


def _thresholds(path: str) -> dict[str, dict[str, float]]:
    data = _read_json(path)
    ok = isinstance(data, dict) and all(
        isinstance(v, dict)
        and all(isinstance(x, int | float) and not isinstance(x, bool) for x in v.values())
        for v in data.values()
    )
    if not ok:
        raise UserError(
            f"{path}：阈值应为 {{规则: {{名称: 数值}}}}",
            f"{path}: thresholds must be {{rule: {{name: number}}}}",
        )
    return {rule: {k: float(x) for k, x in values.items()} for rule, values in data.items()}


def _step_marks(raw: Any, args: argparse.Namespace) -> list[tuple[float, str]]:
    """Step marks a demonstration may carry in its header: `"steps": [[t, step_id], ...]`."""
    try:
        return [(float(t), str(step)) for t, step in raw]
    except (TypeError, ValueError):
        raise UserError(
            f"{args.reference}：头部的 steps 应为 [[时间, 步骤], ...]",
            f"{args.reference}: header 'steps' must be [[t, step_id], ...]",
        ) from None


def _config(args: argparse.Namespace, timeline: ContextTimeline | None) -> CoachConfig:
    kwargs: dict[str, Any] = {"signal_set": args.signals}
    if args.thresholds:
        kwargs["thresholds"] = _thresholds(args.thresholds)
    if args.rules:
        kwargs["rules"] = tuple(r.strip() for r in args.rules.split(",") if r.strip())
    if args.scenario:
        from scenarios.spec import get_spec

        spec = get_spec(args.scenario)
        kwargs["rules_by_step"] = {step.id: step.coach_rules for step in spec.steps}
        kwargs["step_order"] = tuple(step.id for step in spec.steps)
    elif timeline is not None and timeline.steps:
        kwargs["step_order"] = tuple(timeline.step_order)
    if args.reference:
        header, frames = load_pose_stream(args.reference)
        kwargs["reference"] = ReferenceDemo.from_frames(
            frames, _step_marks(header.extra.get("steps", []), args)
        )
    return CoachConfig(**kwargs)


def run(args: argparse.Namespace, ctx: Context) -> int:
    timeline = ContextTimeline(_read_json(args.context), args.context) if args.context else None
    config = _config(args, timeline)
    coach = Coach(config)
    header, frames = read_pose_stream(args.input)
    per_frame: list[dict[str, Any]] = []
    last_t = 0.0
    default = FrameContext()
    for frame in frames:
        result = coach.process(frame, timeline.at(frame.t) if timeline else default)
        last_t = frame.t
        if not args.no_frames:
            angles = None if result.angles is None else {k: round(v, 1) for k, v in result.angles.items()}
            per_frame.append({"t": round(frame.t, 3), "angles": angles, "reba": result.reba})
    coach.finish(last_t)
    events = sorted(coach.events, key=lambda e: e.onset)
    data = {"input": str(args.input), "fps": header.fps, "events": [e.to_dict() for e in events]}
    if not args.no_frames:
        data["frames"] = per_frame
    if args.out:
        try:
            Path(args.out).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        except OSError as exc:
            raise UserError(
                f"无法写入 {args.out}：{exc.strerror}", f"cannot write {args.out}: {exc.strerror}"
            ) from None
    lines = [f"{e.onset:7.2f}s  {e.kind:<16} {e.rule_id:<32} {e.cue.get(ctx.lang)}" for e in events] or [
        Text(zh="没有发现问题。", en="No findings.").get(ctx.lang)
    ]
    rebas = [f["reba"]["reba"] for f in per_frame if f["reba"]]
    if rebas:
        lines.append(
            Text(
                zh=f"REBA：最大 {max(rebas)}，P95 {int(np.percentile(rebas, 95))}（{len(rebas)} 帧）",
                en=f"REBA: max {max(rebas)}, p95 {int(np.percentile(rebas, 95))} over {len(rebas)} frames",
            ).get(ctx.lang)
        )
    ctx.result(data, "\n".join(lines))
    return 0
