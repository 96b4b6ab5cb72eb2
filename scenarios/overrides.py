"""Instructor overrides for adaptive scenarios, per class and per learner (learner wins).

They always win over the generator (shared/reference/adaptive.md §5, EU AI Act Art. 14 human
oversight) and every one that applied is named in the explanation.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from lab.bus.text import UserError

DEFAULT_BAND = (0.70, 0.85)  # Wilson et al. 2019, the Eighty-Five Percent Rule; adaptive.md §2.1
DEFAULT_MAX_CHANGE = 0.25  # fraction of a parameter's range between consecutive attempts


@dataclass(frozen=True)
class Overrides:
    """What an instructor set. Values are in the spec's physical units; None = not set."""

    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    pins: dict[str, float] = field(default_factory=dict)
    band: tuple[float, float] | None = None
    max_change: float | None = None  # fraction of each parameter's range
    faults_in: frozenset[str] = frozenset()
    faults_out: frozenset[str] = frozenset()
    focus_skill: str | None = None
    repeat_attempt: int | None = None  # id of a stored attempt to repeat exactly
    profile: str | None = None  # practice profile (scenarios/profiles.py); None = chosen from evidence

    def merged_over(self, base: Overrides) -> Overrides:
        """These overrides on top of `base` (class settings under learner settings)."""
        return Overrides(
            bounds={**base.bounds, **self.bounds},
            pins={**base.pins, **self.pins},
            band=self.band or base.band,
            max_change=self.max_change if self.max_change is not None else base.max_change,
            faults_in=(base.faults_in - self.faults_out) | self.faults_in,
            faults_out=(base.faults_out - self.faults_in) | self.faults_out,
            focus_skill=self.focus_skill or base.focus_skill,
            repeat_attempt=self.repeat_attempt if self.repeat_attempt is not None else base.repeat_attempt,
            profile=self.profile or base.profile,
        )

    @property
    def target_band(self) -> tuple[float, float]:
        return self.band or DEFAULT_BAND

    @property
    def step_limit(self) -> float:
        return DEFAULT_MAX_CHANGE if self.max_change is None else self.max_change

    def to_dict(self) -> dict[str, Any]:
        return {
            "bounds": {k: list(v) for k, v in self.bounds.items()},
            "pins": dict(self.pins),
            "band": list(self.band) if self.band else None,
            "max_change": self.max_change,
            "faults_in": sorted(self.faults_in),
            "faults_out": sorted(self.faults_out),
            "focus_skill": self.focus_skill,
            "repeat_attempt": self.repeat_attempt,
            "profile": self.profile,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Overrides:
        """Parse stored or typed overrides; a UserError names what is wrong."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise _bad("整体应为 JSON 对象", "must be a JSON object")
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise _bad(f"未知字段 {sorted(unknown)}", f"unknown fields {sorted(unknown)}")
        try:
            bounds = {str(k): _pair(v) for k, v in (data.get("bounds") or {}).items()}
            pins = {str(k): float(v) for k, v in (data.get("pins") or {}).items()}
            band = _pair(data["band"]) if data.get("band") is not None else None
            max_change = float(data["max_change"]) if data.get("max_change") is not None else None
            repeat = data.get("repeat_attempt")
            overrides = cls(
                bounds=bounds,
                pins=pins,
                band=band,
                max_change=max_change,
                faults_in=frozenset(map(str, data.get("faults_in") or ())),
                faults_out=frozenset(map(str, data.get("faults_out") or ())),
                focus_skill=data.get("focus_skill"),
                repeat_attempt=int(repeat) if repeat is not None else None,
                profile=data.get("profile"),
            )
        except (TypeError, ValueError, AttributeError) as exc:
            raise _bad(f"格式错误：{exc}", f"malformed: {exc}") from exc
        overrides.check()
        return overrides

    def check(self) -> None:
        """Values that can never make sense, whatever the scenario."""
        for name, (low, high) in self.bounds.items():
            if low > high:
                raise _bad(f"参数 {name} 的下限大于上限", f"bounds of {name}: low is above high")
        if self.band is not None and not 0.0 < self.band[0] <= self.band[1] < 1.0:
            raise _bad(
                "目标成功率区间应满足 0 < 下限 ≤ 上限 < 1", "target band must satisfy 0 < low ≤ high < 1"
            )
        if self.max_change is not None and not 0.0 < self.max_change <= 1.0:
            raise _bad(
                "最大变化应在 (0, 1] 之间（参数范围的比例）", "max_change must be in (0, 1] (share of range)"
            )
        from scenarios.profiles import PROFILES  # profiles builds on this module's DEFAULT_BAND

        if self.profile is not None and self.profile not in PROFILES:
            raise _bad(
                f"练习强度应为 {' 或 '.join(PROFILES)}", f"profile must be one of {', '.join(PROFILES)}"
            )
        both = self.faults_in & self.faults_out
        if both:
            raise _bad(
                f"故障同时被包含和排除：{sorted(both)}", f"faults both included and excluded: {sorted(both)}"
            )


def _pair(value: Any) -> tuple[float, float]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValueError(f"expected [low, high], got {value!r}")
    return float(value[0]), float(value[1])


def _bad(zh: str, en: str) -> UserError:
    return UserError(f"教师设置无效：{zh}", f"invalid instructor overrides: {en}")
