"""The lab admin's front end: the PyQt6 app (`shixun admin`, in `app`) and what it shares with the
`shixun equipment/book/timetable/calendar` commands (`support`). Importing this package loads no Qt."""
