"""RRULE expansion: month and year boundaries, a DST-free zone and a zone with DST, and bad rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lab.scheduling.recurrence import BadRecurrence, expand

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
HOUR = timedelta(hours=1)


def local_days(occurrences, tz):
    return [f"{start.astimezone(tz):%Y-%m-%d %H:%M}" for start, _ in occurrences]


def test_weekly_across_month_and_year_boundaries_keeps_utc_time_without_dst() -> None:
    first = datetime(2026, 12, 22, 14, 0, tzinfo=SHANGHAI)
    occurrences = expand("FREQ=WEEKLY;BYDAY=TU,FR;COUNT=5", first, HOUR, SHANGHAI)
    assert local_days(occurrences, SHANGHAI) == [
        "2026-12-22 14:00", "2026-12-25 14:00", "2026-12-29 14:00", "2027-01-01 14:00", "2027-01-05 14:00",
    ]  # fmt: skip
    assert {start.astimezone(UTC).hour for start, _ in occurrences} == {6}  # UTC+8 all year
    assert all(end - start == HOUR for start, end in occurrences)


def test_monthly_on_the_31st_skips_short_months() -> None:
    first = datetime(2027, 1, 31, 9, 0, tzinfo=SHANGHAI)
    occurrences = expand("FREQ=MONTHLY;BYMONTHDAY=31;COUNT=4", first, HOUR, SHANGHAI)
    assert local_days(occurrences, SHANGHAI) == [
        "2027-01-31 09:00", "2027-03-31 09:00", "2027-05-31 09:00", "2027-07-31 09:00",
    ]  # fmt: skip


def test_monthly_on_the_second_tuesday() -> None:
    first = datetime(2027, 1, 12, 9, 0, tzinfo=SHANGHAI)
    occurrences = expand("RRULE:FREQ=MONTHLY;BYDAY=2TU;COUNT=3", first, HOUR, SHANGHAI)
    assert local_days(occurrences, SHANGHAI) == ["2027-01-12 09:00", "2027-02-09 09:00", "2027-03-09 09:00"]


def test_last_day_of_month_including_february() -> None:
    first = datetime(2028, 1, 31, 16, 0, tzinfo=SHANGHAI)
    occurrences = expand("FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3", first, HOUR, SHANGHAI)
    assert local_days(occurrences, SHANGHAI) == ["2028-01-31 16:00", "2028-02-29 16:00", "2028-03-31 16:00"]


def test_local_wall_clock_is_kept_across_a_dst_change() -> None:
    first = datetime(2027, 3, 26, 14, 0, tzinfo=BERLIN)  # DST starts on Sunday 2027-03-28
    occurrences = expand("FREQ=DAILY;COUNT=4", first, 2 * HOUR, BERLIN)
    assert local_days(occurrences, BERLIN) == [
        "2027-03-26 14:00", "2027-03-27 14:00", "2027-03-28 14:00", "2027-03-29 14:00",
    ]  # fmt: skip
    assert [start.astimezone(UTC).hour for start, _ in occurrences] == [13, 13, 12, 12]
    assert all(end - start == 2 * HOUR for start, end in occurrences)


@pytest.mark.parametrize(
    ("until", "last"),
    [
        ("20270105", "2027-01-04 06:00"),  # floating: midnight local time, so the 5th is out
        ("20270104T220000Z", "2027-01-05 06:00"),  # UTC: exactly 06:00 on the 5th in Shanghai, inclusive
    ],
)
def test_until_is_read_as_local_or_utc_time(until: str, last: str) -> None:
    first = datetime(2026, 12, 29, 6, 0, tzinfo=SHANGHAI)
    occurrences = expand(f"FREQ=DAILY;UNTIL={until}", first, HOUR, SHANGHAI)
    assert local_days(occurrences, SHANGHAI)[0] == "2026-12-29 06:00"
    assert local_days(occurrences, SHANGHAI)[-1] == last


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=WEEKLY", "COUNT or UNTIL"),
        ("FREQ=FORTNIGHTLY;COUNT=3", "cannot parse"),
        ("FREQ=DAILY;COUNT=100000", "more than 400"),
    ],
)
def test_bad_rules_are_user_errors(rule: str, message: str) -> None:
    with pytest.raises(BadRecurrence, match=message):
        expand(rule, datetime(2027, 1, 4, 9, tzinfo=SHANGHAI), HOUR, SHANGHAI)
