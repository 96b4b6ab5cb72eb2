"""Bookings against a real store (SQLite and PostgreSQL): rules, conflicts, approval, check-in, release."""

from __future__ import annotations

from datetime import timedelta

import pytest
from scheduling_world import NOW, TZ, Lab, local

from lab.scheduling.bookings import (
    BadTransition,
    ConflictError,
    approve,
    book,
    book_series,
    cancel,
    check_in,
    list_bookings,
    release_no_shows,
    resolve_parties,
)
from lab.scheduling.registry import add_blackout, get_equipment, set_rules, set_status, set_trained
from lab.scheduling.rules import BookingRefused
from lab.store.models import BookingStatus, EquipmentStatus


def _book(lab: Lab, start, end, station="station 3", now=NOW, **who):
    who = who or {"class_code": "2A"}
    with lab.sessions.begin() as session:
        return book(
            session,
            get_equipment(session, station),
            start,
            end,
            resolve_parties(session, **who),
            now=now,
            tz=TZ,
        )


def test_overlap_is_refused_with_who_holds_the_slot(lab: Lab) -> None:
    _book(lab, local(24, 14), local(24, 15, 30))
    with pytest.raises(ConflictError) as refused:
        _book(lab, local(24, 15), local(24, 16), class_code="2B")
    assert "station 3 is booked 14:00–15:30 by class 2A" in refused.value.message("en")
    assert "station 3 在 14:00–15:30 已被班级 2A 预约" in refused.value.message("zh")


def test_back_to_back_and_other_stations_are_fine(lab: Lab) -> None:
    _book(lab, local(24, 14), local(24, 15))
    _book(lab, local(24, 15), local(24, 16), class_code="2B")
    _book(lab, local(24, 14), local(24, 15), station="station 4", class_code="2B")
    with lab.sessions() as session:
        assert len(list_bookings(session, local(24, 0), local(25, 0))) == 3


def test_buffer_time_keeps_a_gap(lab: Lab) -> None:
    with lab.sessions.begin() as session:
        set_rules(get_equipment(session, "station 3"), {"buffer_minutes": 15})
    _book(lab, local(24, 14), local(24, 15))
    with pytest.raises(BookingRefused, match="15 min buffer"):
        _book(lab, local(24, 15, 10), local(24, 16))
    _book(lab, local(24, 15, 15), local(24, 16))


@pytest.mark.parametrize(
    ("rules", "start", "end", "message"),
    [
        ({"min_minutes": 60}, local(24, 14), local(24, 14, 30), "at least 60 min"),
        ({"max_minutes": 90}, local(24, 14), local(24, 16), "at most 90 min"),
        ({"min_notice_minutes": 24 * 60}, local(23, 14), local(23, 15), "at least 1440 min ahead"),
        (
            {"max_notice_days": 7},
            local(24, 14) + timedelta(days=14),
            local(24, 15) + timedelta(days=14),
            "7 days ahead",
        ),
        ({}, local(24, 23), local(25, 1), "cross midnight"),
        ({"trained_only": True}, local(24, 14), local(24, 15), "trained users"),
    ],
)
def test_rules_refuse(lab: Lab, rules, start, end, message) -> None:
    with lab.sessions.begin() as session:
        set_rules(get_equipment(session, "station 3"), rules)
    with pytest.raises(BookingRefused, match=message):
        _book(lab, start, end, learner_code="L001")


def test_trained_learner_may_book_trained_only_station(lab: Lab) -> None:
    with lab.sessions.begin() as session:
        station = get_equipment(session, "station 3")
        set_rules(station, {"trained_only": True})
        set_trained(station, ["L001"])
    assert _book(lab, local(24, 14), local(24, 15), learner_code="L001").status == BookingStatus.CONFIRMED
    with pytest.raises(BookingRefused):
        _book(lab, local(24, 16), local(24, 17), learner_code="L002")


def test_weekly_quota_counts_the_same_class(lab: Lab) -> None:
    with lab.sessions.begin() as session:
        set_rules(get_equipment(session, "station 3"), {"quota_hours_per_week": 3})
    _book(lab, local(24, 8), local(24, 10))
    with pytest.raises(BookingRefused, match="weekly quota of 3 h"):
        _book(lab, local(25, 8), local(25, 10))
    _book(lab, local(25, 8), local(25, 9))
    _book(lab, local(25, 10), local(25, 12), class_code="2B")  # another class has its own quota
    _book(lab, local(30, 8), local(30, 10))  # next week starts afresh


def test_past_and_reversed_requests_are_refused(lab: Lab) -> None:
    with pytest.raises(BookingRefused, match="not in the past"):
        _book(lab, local(22, 14), local(22, 15))
    with pytest.raises(BookingRefused, match="end must be after"):
        _book(lab, local(24, 15), local(24, 14))


def test_blackout_and_status_block_bookings(lab: Lab) -> None:
    with lab.sessions.begin() as session:
        station = get_equipment(session, "station 3")
        add_blackout(session, station, local(24, 13), local(24, 17), "lens swap")
        set_status(get_equipment(session, "station 4"), EquipmentStatus.UNAVAILABLE, "broken pendant")
    with pytest.raises(BookingRefused, match=r"under maintenance \(lens swap\) 13:00–17:00"):
        _book(lab, local(24, 14), local(24, 15))
    with pytest.raises(BookingRefused, match="not bookable"):
        _book(lab, local(24, 14), local(24, 15), station="station 4")


def test_blackout_over_bookings_reports_or_cancels_them(lab: Lab) -> None:
    first = _book(lab, local(24, 14), local(24, 15))
    with lab.sessions.begin() as session:
        _, hit = add_blackout(
            session, get_equipment(session, "station 3"), local(24, 8), local(24, 18), "", True
        )
        assert [b.id for b in hit] == [first.id]
    with lab.sessions() as session:
        assert list_bookings(session, local(24, 0), local(25, 0)) == []


def test_approval_holds_the_slot_until_decided(lab: Lab) -> None:
    with lab.sessions.begin() as session:
        set_rules(get_equipment(session, "station 3"), {"requires_approval": True})
    pending = _book(lab, local(24, 14), local(24, 15))
    assert pending.status == BookingStatus.PENDING
    with pytest.raises(ConflictError, match="awaiting approval"):
        _book(lab, local(24, 14), local(24, 15), class_code="2B")
    with lab.sessions.begin() as session:
        assert approve(session, pending.id).status == BookingStatus.CONFIRMED
        with pytest.raises(BadTransition):
            approve(session, pending.id)


def test_no_show_is_released_and_the_slot_rebooked(lab: Lab) -> None:
    with lab.sessions.begin() as session:
        set_rules(get_equipment(session, "station 3"), {"checkin": True, "auto_release_minutes": 15})
    shown = _book(lab, local(24, 9), local(24, 10), station="station 3")
    absent = _book(lab, local(24, 10), local(24, 11), station="station 3", class_code="2B")
    with lab.sessions.begin() as session:
        check_in(session, shown.id, local(24, 9, 5))
        assert release_no_shows(session, local(24, 10, 10)) == []  # within the grace period
    with lab.sessions.begin() as session:
        released = release_no_shows(session, local(24, 10, 15))
        assert [b.id for b in released] == [absent.id]
    late = _book(lab, local(24, 10, 20), local(24, 11), learner_code="L001", now=local(24, 10, 16))
    assert late.status == BookingStatus.CONFIRMED
    with lab.sessions.begin() as session, pytest.raises(BadTransition, match="cannot be checked in"):
        check_in(session, absent.id, local(24, 10, 30))


def test_release_ignores_stations_without_check_in(lab: Lab) -> None:
    _book(lab, local(24, 9), local(24, 10))
    with lab.sessions.begin() as session:
        assert release_no_shows(session, local(24, 9, 45)) == []


def test_check_in_window(lab: Lab) -> None:
    booking = _book(lab, local(24, 9), local(24, 10))
    with lab.sessions.begin() as session, pytest.raises(BadTransition, match="15 min before"):
        check_in(session, booking.id, local(24, 8, 30))
    with lab.sessions.begin() as session:
        cancel(session, booking.id)
        with pytest.raises(BadTransition):
            check_in(session, booking.id, local(24, 9))


def test_weekly_series_crosses_the_month_boundary(lab: Lab) -> None:
    with lab.sessions.begin() as session:
        parties = resolve_parties(session, class_code="2A")
        result = book_series(
            session, get_equipment(session, "station 3"), local(24, 14), timedelta(hours=1, minutes=30),
            "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=4", parties, now=NOW, tz=TZ,
        )  # fmt: skip
    days = [(b.starts_at.astimezone(TZ).month, b.starts_at.astimezone(TZ).day) for b in result.booked]
    assert days == [(11, 24), (11, 26), (12, 1), (12, 3)]
    assert all(b.recurrence_id == result.recurrence_id for b in result.booked)


def test_series_is_all_or_nothing_unless_skipping(lab: Lab) -> None:
    _book(lab, local(26, 14), local(26, 15), class_code="2B")
    with lab.sessions.begin() as session:
        station, parties = get_equipment(session, "station 3"), resolve_parties(session, class_code="2A")
        with pytest.raises(ConflictError, match="by class 2B"):
            book_series(
                session,
                station,
                local(24, 14),
                timedelta(hours=1),
                "FREQ=DAILY;COUNT=3",
                parties,
                now=NOW,
                tz=TZ,
            )
    with lab.sessions() as session:
        assert len(list_bookings(session, local(24, 0), local(28, 0))) == 1
    with lab.sessions.begin() as session:
        station, parties = get_equipment(session, "station 3"), resolve_parties(session, class_code="2A")
        result = book_series(
            session, station, local(24, 14), timedelta(hours=1), "FREQ=DAILY;COUNT=3", parties,
            now=NOW, tz=TZ, skip_conflicts=True,
        )  # fmt: skip
    assert len(result.booked) == 2
    assert [s.astimezone(TZ).day for s, _, _ in result.skipped] == [26]


def test_unknown_parties_are_user_errors(lab: Lab) -> None:
    with lab.sessions() as session:
        with pytest.raises(Exception, match="no class 9Z"):
            resolve_parties(session, class_code="9Z")
        with pytest.raises(Exception, match="needs a class"):
            resolve_parties(session)
