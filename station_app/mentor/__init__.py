"""The enterprise mentor's viewer (`shixun mentor`): live sessions they are invited to and recordings,
on one timeline (follow-live, pause, scrub, speed), with comments and time-range annotations.

`timeline` and `annotations` are pure (no Qt, no I/O); `live` and `recorded` feed a timeline from the
lab server and from the store's recordings; `window` and `app` are the PyQt6 front end. Importing
this package loads no Qt.
"""
