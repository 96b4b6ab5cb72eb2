"""Lab scheduling: equipment registry, bookings under LibreBooking-style rules, recurrence,
no-show release, CP-SAT timetable proposals and iCalendar export
(shared/reference/bus_booking_privacy.md §2).

Pure logic (`rules`, `recurrence`, `timetable`, `demand`, `ical`) has no I/O; `registry`,
`bookings` and `planner` read and write the store.
"""
