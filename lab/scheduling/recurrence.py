"""Recurring bookings: expand an RFC 5545 RRULE into concrete occurrences.

Occurrences keep the local wall-clock time of the first one (a class at 14:00 stays at 14:00 after
a DST change), as RFC 5545 specifies for a DTSTART with a TZID; they are returned as UTC instants.
A series must end (COUNT or UNTIL) and is capped, so a typo cannot create ten thousand bookings.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from lab.bus.text import UserError

_UTC_UNTIL = re.compile(r"UNTIL=\d{8}T\d{6}Z")
MAX_OCCURRENCES = 400  # a school year of twice-weekly sessions, with room to spare


class BadRecurrence(UserError):
    """An RRULE that does not parse, never ends, or expands to too many occurrences."""


def expand(
    rule: str,
    first_start: datetime,
    duration: timedelta,
    tz: ZoneInfo,
    limit: int = MAX_OCCURRENCES,
) -> list[tuple[datetime, datetime]]:
    """[(start, end)] in UTC for every occurrence of `rule` from `first_start` (aware) on."""
    text = rule.strip().removeprefix("RRULE:")
    upper = text.upper()
    if "COUNT=" not in upper and "UNTIL=" not in upper:
        raise BadRecurrence(
            f"重复规则必须有结束条件（COUNT 或 UNTIL）：{rule}",
            f"the recurrence needs COUNT or UNTIL: {rule}",
        )
    if duration <= timedelta(0):
        raise BadRecurrence("时长必须为正", "the duration must be positive")
    local_start = first_start.astimezone(tz)
    # A UTC UNTIL (…Z) needs an aware DTSTART; a floating UNTIL is read as local time (RFC 5545 §3.3.10).
    aware = _UTC_UNTIL.search(upper) is not None
    dtstart = local_start if aware else local_start.replace(tzinfo=None)
    try:
        occurrences = rrulestr(text, dtstart=dtstart, cache=False)
        starts = []
        for start in occurrences:
            if len(starts) == limit:
                raise BadRecurrence(
                    f"重复规则产生超过 {limit} 次预约：{rule}",
                    f"the recurrence makes more than {limit} bookings: {rule}",
                )
            starts.append(start)
    except (ValueError, TypeError) as exc:
        raise BadRecurrence(
            f"无法解析重复规则 {rule}：{exc}", f"cannot parse the recurrence {rule}: {exc}"
        ) from None
    result = []
    for start in starts:
        local = start.astimezone(tz) if aware else start.replace(tzinfo=tz)
        begin = local.astimezone(UTC)
        end = (local.replace(tzinfo=None) + duration).replace(tzinfo=tz).astimezone(UTC)
        result.append((begin, end))
    return result
