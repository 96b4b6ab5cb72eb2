"""What the offline tests of the Qt apps share: a timer that proves the GUI thread is free, and the
status line the apps show while the lab server does not answer (station_app.netclient)."""

from __future__ import annotations

from PyQt6.QtCore import QTimer

NOT_ANSWERING = "lab server not answering — retrying"


class Ticker(QTimer):
    """A GUI timer counting its firings: it only fires while the event loop is free."""

    def __init__(self) -> None:
        super().__init__()
        self.n = 0
        self.timeout.connect(self._count)
        self.start(10)

    def _count(self) -> None:
        self.n += 1
