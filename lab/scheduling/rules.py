"""Per-resource booking rules and the pure check of one request against them.

The rule set is LibreBooking's resource model (shared/reference/bus_booking_privacy.md §2.1):
minimum/maximum duration, minimum/maximum notice, buffer time, cross-day, approval, check-in with
automatic release, plus iLab's trained-users-only flag and a weekly hours quota (§2.2). Rules are
stored with the equipment (`Equipment.capabilities["rules"]`) so every resource carries its own.
Overlap itself is not checked here: the database refuses it (§2.3), see `lab.scheduling.bookings`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from lab.bus.text import Text, UserError


class BadRules(UserError):
    """A rule set with an unknown key, a wrong type or a negative value."""


class BookingRefused(UserError):
    """A request breaks one or more of the resource's rules; the message lists every reason."""

    def __init__(self, reasons: Sequence[Text]) -> None:
        super().__init__("；".join(r.zh for r in reasons), "; ".join(r.en for r in reasons))
        self.reasons = tuple(reasons)


@dataclass(frozen=True)
class ResourceRules:
    """What a resource allows. Zero means "no limit" for every numeric rule."""

    min_minutes: int = 0  # ResourceMinimumDurationRule
    max_minutes: int = 0  # ResourceMaximumDurationRule
    min_notice_minutes: int = 0  # ResourceMinimumNoticeRuleAdd
    max_notice_days: int = 0  # ResourceMaximumNoticeRule
    buffer_minutes: int = 0  # ResourceAvailabilityRule with BufferedTimes()
    allow_multiday: bool = False  # ResourceCrossDayRule
    requires_approval: bool = False  # RequiresApprovalRule
    trained_only: bool = False  # iLab "only available for trained users"
    checkin: bool = False  # enableCheckIn
    auto_release_minutes: int = 15  # autoReleaseMinutes: no-show release after start (§2.1 Jobs)
    quota_hours_per_week: float = 0  # QuotaRule: hours × week, per class or learner

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ResourceRules:
        """Validate a stored or user-given rule set; BadRules names the offending key."""
        data = dict(data or {})
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise BadRules(
                f"未知的预约规则：{', '.join(unknown)}（可用：{', '.join(known)}）",
                f"unknown booking rule: {', '.join(unknown)} (known: {', '.join(known)})",
            )
        for name, value in data.items():
            default = getattr(cls, name)
            if isinstance(default, bool):
                ok = isinstance(value, bool)
            else:
                ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
                ok = ok and (isinstance(default, float) or float(value).is_integer())
            if not ok:
                kind = (
                    ("true/false", "true/false") if isinstance(default, bool) else ("非负数", "a number ≥ 0")
                )
                raise BadRules(f"预约规则 {name} 应为{kind[0]}", f"booking rule {name} must be {kind[1]}")
            if not isinstance(default, bool | float):
                data[name] = int(value)
        rules = cls(**data)
        if rules.max_minutes and rules.min_minutes > rules.max_minutes:
            raise BadRules(
                "预约规则 min_minutes 不能大于 max_minutes", "booking rule min_minutes exceeds max_minutes"
            )
        return rules

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def buffer(self) -> timedelta:
        return timedelta(minutes=self.buffer_minutes)


@dataclass(frozen=True)
class Busy:
    """Something already occupying the resource near the request: a booking or a blackout."""

    starts_at: datetime
    ends_at: datetime
    what: Text  # e.g. "booked by class 2A", "under maintenance (lens swap)"


@dataclass(frozen=True)
class RequestContext:
    """Everything the pure check needs to know beyond the request itself (gathered from the store)."""

    now: datetime
    tz: ZoneInfo
    equipment_name: str
    bookable: bool  # equipment status is "available"
    blackouts: Sequence[Busy] = ()
    neighbours: Sequence[Busy] = ()  # other bookings on the resource within the buffer
    booked_hours_this_week: float = 0.0  # by the same class/learner on this resource
    trained: bool = True


def local_span(starts_at: datetime, ends_at: datetime, tz: ZoneInfo) -> str:
    """ "14:00–15:30" for a same-day span; the end's date is shown when it is on another day."""
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    end_text = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
    return f"{start:%H:%M}–{end_text}"


def local_day(moment: datetime, tz: ZoneInfo) -> str:
    return f"{moment.astimezone(tz):%Y-%m-%d}"


def check_request(starts_at: datetime, ends_at: datetime, rules: ResourceRules, ctx: RequestContext) -> None:
    """Raise BookingRefused with every rule the request breaks; return if it passes them all."""
    name, reasons = ctx.equipment_name, []
    minutes = (ends_at - starts_at).total_seconds() / 60
    if minutes <= 0:
        raise BookingRefused([Text("结束时间必须晚于开始时间", "the end must be after the start")])
    if not ctx.bookable:
        reasons.append(Text(f"{name} 当前不可预约", f"{name} is not bookable at the moment"))
    if rules.min_minutes and minutes < rules.min_minutes:
        reasons.append(
            Text(
                f"{name} 每次至少预约 {rules.min_minutes} 分钟",
                f"{name} needs at least {rules.min_minutes} min",
            )
        )
    if rules.max_minutes and minutes > rules.max_minutes:
        reasons.append(
            Text(
                f"{name} 每次最多预约 {rules.max_minutes} 分钟",
                f"{name} allows at most {rules.max_minutes} min",
            )
        )
    notice = starts_at - ctx.now
    if notice < timedelta(minutes=rules.min_notice_minutes) or notice < timedelta(0):
        reasons.append(
            Text(
                f"{name} 需提前至少 {rules.min_notice_minutes} 分钟预约，且不能预约过去的时间",
                f"{name} must be booked at least {rules.min_notice_minutes} min ahead, and not in the past",
            )
        )
    if rules.max_notice_days and notice > timedelta(days=rules.max_notice_days):
        reasons.append(
            Text(
                f"{name} 最多提前 {rules.max_notice_days} 天预约",
                f"{name} can be booked at most {rules.max_notice_days} days ahead",
            )
        )
    if not rules.allow_multiday and local_day(starts_at, ctx.tz) != local_day(
        ends_at - timedelta(microseconds=1), ctx.tz
    ):
        reasons.append(Text(f"{name} 的预约不能跨天", f"bookings of {name} may not cross midnight"))
    if rules.trained_only and not ctx.trained:
        reasons.append(Text(f"{name} 仅限经过培训的人员预约", f"{name} may only be booked by trained users"))
    hours = minutes / 60
    if rules.quota_hours_per_week and ctx.booked_hours_this_week + hours > rules.quota_hours_per_week + 1e-9:
        reasons.append(
            Text(
                f"超出 {name} 每周 {rules.quota_hours_per_week:g} 小时的配额（已预约 {ctx.booked_hours_this_week:g} 小时）",
                f"over the weekly quota of {rules.quota_hours_per_week:g} h on {name} "
                f"({ctx.booked_hours_this_week:g} h already booked)",
            )
        )
    for blackout in ctx.blackouts:
        if blackout.starts_at < ends_at and starts_at < blackout.ends_at:
            span = local_span(blackout.starts_at, blackout.ends_at, ctx.tz)
            reasons.append(
                Text(f"{name} 在 {span} {blackout.what.zh}", f"{name} is {blackout.what.en} {span}")
            )
    for other in ctx.neighbours:
        if other.starts_at < ends_at + rules.buffer and starts_at < other.ends_at + rules.buffer:
            span = local_span(other.starts_at, other.ends_at, ctx.tz)
            reasons.append(
                Text(
                    f"{name} 在 {span} {other.what.zh}，前后需留 {rules.buffer_minutes} 分钟间隔",
                    f"{name} is {other.what.en} {span} and needs a {rules.buffer_minutes} min buffer",
                )
            )
    if reasons:
        raise BookingRefused(reasons)


def week_start(moment: datetime, tz: ZoneInfo) -> datetime:
    """Monday 00:00 local time of the week containing `moment` (the quota window)."""
    local = moment.astimezone(tz)
    monday = (local - timedelta(days=local.weekday())).date()
    return datetime(monday.year, monday.month, monday.day, tzinfo=tz)
