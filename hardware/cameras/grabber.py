"""Latest-frame capture for live sources, with reconnection.

A reader thread keeps only the newest frame. A consumer that is slower than the camera gets the
newest frame each time and the frames it never saw are counted as dropped, so latency cannot grow
into a queue (coach_anchors.md §1.8, "Performance": drop stale frames, measure end to end).
A source that stops delivering (camera unplugged, stream down) is closed and reopened with
exponential back-off; every change of state is reported through `on_status`, never raised.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

from hardware.cameras.sources import CameraError, CapturedFrame, FrameSource


@dataclass(frozen=True, slots=True)
class GrabberStatus:
    connected: bool
    frames_captured: int
    frames_dropped: int
    reconnects: int
    last_error: str | None = None


class LatestFrameGrabber:
    """Reads a live source on its own thread; `get()` returns the newest unseen frame."""

    def __init__(
        self,
        source: FrameSource,
        reopen: Callable[[], FrameSource],
        *,
        backoff_initial: float = 0.5,
        backoff_max: float = 10.0,
        on_status: Callable[[GrabberStatus], None] | None = None,
    ) -> None:
        self._source: FrameSource | None = source
        self._reopen = reopen
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._on_status = on_status
        self._condition = threading.Condition()
        self._latest: CapturedFrame | None = None
        self._status = GrabberStatus(connected=True, frames_captured=0, frames_dropped=0, reconnects=0)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="frame-grabber", daemon=True)

    @property
    def status(self) -> GrabberStatus:
        with self._condition:
            return self._status

    def start(self) -> LatestFrameGrabber:
        self._thread.start()
        return self

    def get(self, timeout: float) -> CapturedFrame | None:
        """The newest frame not yet returned, waiting up to `timeout` s; None if none came."""
        with self._condition:
            if self._latest is None:
                self._condition.wait_for(lambda: self._latest is not None or self._stopping.is_set(), timeout)
            frame, self._latest = self._latest, None
            return frame

    def stop(self) -> None:
        self._stopping.set()
        with self._condition:
            self._condition.notify_all()
        self._thread.join()
        if self._source is not None:
            self._source.close()
            self._source = None

    def __enter__(self) -> LatestFrameGrabber:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run(self) -> None:
        backoff = self._backoff_initial
        while not self._stopping.is_set():
            if self._source is None:
                try:
                    self._source = self._reopen()
                except CameraError as exc:
                    self._update(last_error=str(exc))
                    self._stopping.wait(backoff)
                    backoff = min(backoff * 2, self._backoff_max)
                    continue
                backoff = self._backoff_initial
                self._update(connected=True, reconnects=self._status.reconnects + 1, last_error=None)
            frame = self._source.read()
            if frame is None:
                self._source.close()
                self._source = None
                self._update(connected=False, last_error="source stopped delivering frames")
                continue
            with self._condition:
                dropped = self._status.frames_dropped + (self._latest is not None)
                captured = self._status.frames_captured
                self._latest = replace(frame, index=captured)
                self._status = replace(self._status, frames_captured=captured + 1, frames_dropped=dropped)
                self._condition.notify_all()

    def _update(self, **changes: object) -> None:
        with self._condition:
            self._status = replace(self._status, **changes)
            status = self._status
        if self._on_status is not None:
            self._on_status(status)
