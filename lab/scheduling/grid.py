"""The week a timetable is planned on: days × equal slots from a daily start time (pure, no solver)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from lab.bus.text import UserError


@dataclass(frozen=True)
class WeekGrid:
    """Days × slots of one week, starting on `monday` (local date) at `day_start_minutes`."""

    monday: datetime  # local midnight of the Monday, aware
    days: int = 5
    slots_per_day: int = 16
    slot_minutes: int = 30
    day_start_minutes: int = 8 * 60

    @property
    def total_slots(self) -> int:
        return self.days * self.slots_per_day

    def slot_start(self, slot: int) -> datetime:
        """The instant a grid slot starts (wall-clock arithmetic in the grid's zone)."""
        day, index = divmod(slot, self.slots_per_day)
        minutes = self.day_start_minutes + index * self.slot_minutes
        tz = self.monday.tzinfo
        naive = self.monday.replace(tzinfo=None) + timedelta(days=day, minutes=minutes)
        return naive.replace(tzinfo=tz)

    def busy_slots(self, starts_at: datetime, ends_at: datetime) -> list[tuple[int, int]]:
        """The grid slots [a, b) that a time range touches, per day (a partly busy slot is busy)."""
        spans = []
        slot = timedelta(minutes=self.slot_minutes)
        for day in range(self.days):
            first = self.slot_start(day * self.slots_per_day)
            day_end = first + self.slots_per_day * slot
            begin, end = max(starts_at, first), min(ends_at, day_end)
            if begin < end:
                a = int((begin - first) // slot)
                b = -int(-(end - first) // slot)  # ceiling
                spans.append((day * self.slots_per_day + a, day * self.slots_per_day + b))
        return spans


def week_grid(
    monday: date, tz: ZoneInfo, days: int, day_start: str, slots_per_day: int, slot_minutes: int
) -> WeekGrid:
    """The grid of the week starting on `monday` (which must be a Monday)."""
    if monday.weekday() != 0:
        raise UserError(f"{monday} 不是星期一", f"{monday} is not a Monday")
    start = parse_clock(day_start, "day_start")
    return WeekGrid(
        monday=datetime.combine(monday, time(0), tzinfo=tz),
        days=days,
        slots_per_day=slots_per_day,
        slot_minutes=slot_minutes,
        day_start_minutes=start.hour * 60 + start.minute,
    )


def parse_clock(value: Any, what: str) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise UserError(f"{what} 应为 HH:MM 格式：{value}", f"{what} must be HH:MM: {value}") from None
