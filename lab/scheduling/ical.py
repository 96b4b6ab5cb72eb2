"""iCalendar (RFC 5545) export of bookings, per resource, class or learner, with `icalendar`.

Each booking is one VEVENT with a stable UID, so a calendar app that subscribes to the exported
file (or URL) updates events in place instead of duplicating them. Times are UTC; pending bookings
are TENTATIVE. Learner calendars carry the pseudonymous learner code only, never a name (§3.3).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from icalendar import Calendar, Event

from lab.bus.text import Lang, Text
from lab.scheduling.bookings import BookingView
from lab.store.models import BookingStatus

PRODID = "-//Shixun//Lab scheduling//ZH-EN"
UID_DOMAIN = "shixun.local"
_STATUS = {BookingStatus.PENDING: "TENTATIVE"}


def booking_uid(booking_id: int) -> str:
    return f"booking-{booking_id}@{UID_DOMAIN}"


def to_ical(bookings: Sequence[BookingView], title: Text, lang: Lang, stamp: datetime) -> bytes:
    """A VCALENDAR with one VEVENT per booking, titled in `lang`; `stamp` is the DTSTAMP."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", title.get(lang))
    for booking in bookings:
        event = Event()
        event.add("uid", booking_uid(booking.id))
        event.add("dtstamp", stamp)
        event.add("dtstart", booking.starts_at)
        event.add("dtend", booking.ends_at)
        event.add("summary", f"{booking.equipment} · {booking.holder.get(lang)}")
        if booking.location:
            event.add("location", booking.location)
        event.add("status", _STATUS.get(booking.status, "CONFIRMED"))
        details = [booking.note] if booking.note else []
        if booking.instructor:
            details.append(Text(f"教师：{booking.instructor}", f"Instructor: {booking.instructor}").get(lang))
        if details:
            event.add("description", "\n".join(details))
        calendar.add_component(event)
    return calendar.to_ical()
