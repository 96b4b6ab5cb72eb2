"""Lab scheduling: equipment registry, bookings under LibreBooking-style rules, recurrence,
no-show release, CP-SAT timetable proposals and iCalendar export
(shared/reference/bus_booking_privacy.md §2).

Pure logic: `rules` (per-resource booking rules), `recurrence` (RRULE expansion), `grid` (the week a
timetable is planned on), `timetable` (CP-SAT), `demand` (skill lags → session requests), `ical`.
Over the store: `registry` (equipment, blackouts), `bookings` (book, series, approve, check in,
release, list), `planner` (gather a week's inputs, accept a proposal into bookings).
"""
