"""iCalendar export: what we write parses back with `icalendar`, per resource, class and learner."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar
from scheduling_world import NOW, TZ, Lab, local

from lab.bus.text import Text
from lab.scheduling.bookings import book, book_series, list_bookings, resolve_parties
from lab.scheduling.ical import booking_uid, to_ical
from lab.scheduling.registry import get_equipment, set_rules


def test_export_parses_back_with_times_status_and_stable_uids(lab: Lab) -> None:
    with lab.sessions.begin() as session:
        set_rules(get_equipment(session, "station 4"), {"requires_approval": True})
        class_2a = resolve_parties(session, class_code="2A", instructor_login="wang")
        book_series(
            session, get_equipment(session, "station 3"), local(24, 14), timedelta(hours=1, minutes=30),
            "FREQ=WEEKLY;COUNT=3", class_2a, now=NOW, tz=TZ,
        )  # fmt: skip
        book(session, get_equipment(session, "station 4"), local(25, 9), local(25, 10),
             resolve_parties(session, learner_code="L001"), now=NOW, tz=TZ)  # fmt: skip
    with lab.sessions() as session:
        everything = list_bookings(session, local(23, 0), local(23, 0) + timedelta(days=30))
        class_id = resolve_parties(session, class_code="2A").school_class.id
        for_class = list_bookings(session, local(23, 0), local(23, 0) + timedelta(days=30), class_id=class_id)
    assert len(everything) == 4 and len(for_class) == 3

    data = to_ical(for_class, Text("班级 2A", "class 2A"), "en", NOW)
    calendar = Calendar.from_ical(data)
    assert str(calendar["X-WR-CALNAME"]) == "class 2A"
    events = calendar.walk("VEVENT")
    assert [e.decoded("dtstart") for e in events] == [b.starts_at for b in for_class]
    assert [e.decoded("dtend") - e.decoded("dtstart") for e in events] == [timedelta(hours=1, minutes=30)] * 3
    assert {str(e["uid"]) for e in events} == {booking_uid(b.id) for b in for_class}
    assert str(events[0]["summary"]) == "station 3 · class 2A"
    assert str(events[0]["location"]) == "Lab 1"
    assert "Instructor: Wang" in str(events[0]["description"])

    learner = Calendar.from_ical(
        to_ical(
            [b for b in everything if b.learner_code == "L001"], Text("学员 L001", "learner L001"), "zh", NOW
        )
    )
    (event,) = learner.walk("VEVENT")
    assert str(event["status"]) == "TENTATIVE"  # awaiting approval
    assert str(event["summary"]) == "station 4 · 学员 L001"


def test_empty_calendar_is_still_valid() -> None:
    calendar = Calendar.from_ical(to_ical([], Text("空", "empty"), "en", NOW))
    assert calendar.walk("VEVENT") == [] and str(calendar["VERSION"]) == "2.0"
