"""Device health from heartbeats (pure): validate a heartbeat body, judge online/degraded/offline,
and raise alerts when a booked device is down.

A heartbeat body is a plain dict as it arrives on the bus (`heartbeat/<station>/-`), every field
optional: `fps`, `latency_ms` (capture to cue), `dropped_frames` (since the previous heartbeat),
`cpu_percent`, `disk_free_gb`, and `camera_connected`. A device is offline when its last heartbeat is older than
`offline_after_s` (the bus's liveness idea, shared/reference/bus_booking_privacy.md §1.9:
heartbeat + timestamp age), degraded when a metric is outside its threshold.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lab.bus.text import Text, UserError

METRICS = ("fps", "latency_ms", "dropped_frames", "cpu_percent", "disk_free_gb")
FLAGS = ("camera_connected",)  # edge boxes and stations report whether their camera is there


class BadHeartbeat(UserError):
    """A heartbeat body that is not a mapping of known, finite, non-negative numbers."""


class State(enum.StrEnum):
    ONLINE = "online"
    DEGRADED = "degraded"
    OFFLINE = "offline"
    UNKNOWN = "unknown"  # never reported


@dataclass(frozen=True)
class Thresholds:
    offline_after_s: float = 30.0
    min_fps: float = 25.0  # a 30 fps camera must be kept up with (DESIGN.md budgets)
    max_latency_ms: float = 60.0  # capture-to-cue p95 budget (DESIGN.md budgets)
    max_dropped_frames: int = 30
    max_cpu_percent: float = 95.0
    min_disk_free_gb: float = 2.0


def parse_heartbeat(body: Any) -> dict[str, float | bool]:
    """The known metrics and flags of a heartbeat body (as `vision.edge` sends them); unknown keys
    are ignored (newer devices may add some) and a null value means "not reported"."""
    if not isinstance(body, Mapping):
        raise BadHeartbeat("心跳消息应为键值对象", "a heartbeat body must be a mapping")
    metrics: dict[str, float | bool] = {}
    for key in FLAGS:
        if body.get(key) is not None:
            if not isinstance(body[key], bool):
                raise BadHeartbeat(
                    f"心跳字段 {key} 应为 true/false", f"heartbeat field {key} must be true or false"
                )
            metrics[key] = body[key]
    for key in METRICS:
        if body.get(key) is None:
            continue
        value = body[key]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 0
        ):
            raise BadHeartbeat(
                f"心跳字段 {key} 应为非负数：{value!r}",
                f"heartbeat field {key} must be a number ≥ 0: {value!r}",
            )
        metrics[key] = float(value)
    return metrics


def problems_of(metrics: Mapping[str, float | bool], limits: Thresholds) -> list[Text]:
    """Which metrics are outside their thresholds, in words."""
    found = []
    if metrics.get("camera_connected") is False:
        found.append(Text("摄像头未连接", "camera disconnected"))
    checks = (
        ("fps", lambda v: v < limits.min_fps, "帧率 {v:g} 低于 {t:g}", "fps {v:g} below {t:g}", limits.min_fps),
        ("latency_ms", lambda v: v > limits.max_latency_ms, "延迟 {v:g} ms 高于 {t:g} ms", "latency {v:g} ms above {t:g} ms", limits.max_latency_ms),
        ("dropped_frames", lambda v: v > limits.max_dropped_frames, "丢帧 {v:g} 超过 {t:g}", "{v:g} dropped frames, over {t:g}", limits.max_dropped_frames),
        ("cpu_percent", lambda v: v > limits.max_cpu_percent, "CPU {v:g}% 高于 {t:g}%", "CPU {v:g}% above {t:g}%", limits.max_cpu_percent),
        ("disk_free_gb", lambda v: v < limits.min_disk_free_gb, "磁盘剩余 {v:g} GB 低于 {t:g} GB", "disk free {v:g} GB below {t:g} GB", limits.min_disk_free_gb),
    )  # fmt: skip
    for key, bad, zh, en, threshold in checks:
        if key in metrics and bad(metrics[key]):
            found.append(Text(zh.format(v=metrics[key], t=threshold), en.format(v=metrics[key], t=threshold)))
    return found


@dataclass(frozen=True)
class DeviceHealth:
    equipment: str
    state: State
    last_seen: datetime | None
    metrics: Mapping[str, float | bool] = field(default_factory=dict)
    problems: tuple[Text, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "equipment": self.equipment,
            "state": self.state.value,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "metrics": dict(self.metrics),
            "problems": [p.to_dict() for p in self.problems],
        }


def assess(
    equipment: str,
    last_seen: datetime | None,
    metrics: Mapping[str, float],
    now: datetime,
    limits: Thresholds,
) -> DeviceHealth:
    if last_seen is None:
        return DeviceHealth(equipment, State.UNKNOWN, None)
    age = now - last_seen
    if age > timedelta(seconds=limits.offline_after_s):
        minutes = int(age.total_seconds() // 60)
        silent = Text(f"{minutes} 分钟无心跳", f"no heartbeat for {minutes} min")
        return DeviceHealth(equipment, State.OFFLINE, last_seen, metrics, (silent,))
    problems = tuple(problems_of(metrics, limits))
    return DeviceHealth(equipment, State.DEGRADED if problems else State.ONLINE, last_seen, metrics, problems)


@dataclass(frozen=True)
class Alert:
    equipment: str
    booking_id: int
    starts_at: datetime
    message: Text

    def to_dict(self) -> dict[str, Any]:
        return {
            "equipment": self.equipment,
            "booking": self.booking_id,
            "starts_at": self.starts_at.isoformat(),
            "message": self.message.to_dict(),
        }


@dataclass(frozen=True)
class BookedSlot:
    """The part of a booking the alert needs (kept plain so this module stays pure)."""

    booking_id: int
    equipment: str
    starts_at: datetime
    ends_at: datetime
    holder: Text
    span: str  # local "14:00–15:30"


def booked_down_alerts(health: Mapping[str, DeviceHealth], slots: Sequence[BookedSlot]) -> list[Alert]:
    """One alert per booking (now or soon) whose device is offline."""
    alerts = []
    for slot in slots:
        device = health.get(slot.equipment)
        if device is None or device.state != State.OFFLINE:
            continue
        alerts.append(
            Alert(
                slot.equipment,
                slot.booking_id,
                slot.starts_at,
                Text(
                    f"{slot.equipment} 离线，但 {slot.span} 已被{slot.holder.zh} 预约",
                    f"{slot.equipment} is offline but booked {slot.span} by {slot.holder.en}",
                ),
            )
        )
    return alerts
