"""Records every session passing through the lab server, off the relay's thread.

The relay only enqueues (cheap); a writer thread owns the MCAP files, so zstd chunk compression
never delays live forwarding. A session's file is finished when it has been idle for `idle_s`
or when the recorder closes.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from pathlib import Path

from lab.bus.envelope import Envelope
from lab.bus.topics import Kind, Topic
from lab.recording.mcap_io import SessionWriter
from lab.recording.schemas import RECORDED_KINDS

log = logging.getLogger("lab.recording")
_STOP = object()


class Recorder:
    def __init__(self, directory: str | Path, idle_s: float = 300.0) -> None:
        self.directory = Path(directory)
        self.idle_s = idle_s
        self.paths: dict[
            str, list[Path]
        ] = {}  # session -> files (a session resumed after idling gets a part 2)
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._writers: dict[str, SessionWriter] = {}
        self._last_write: dict[str, float] = {}
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="recorder", daemon=True)
        self._thread.start()

    def record(self, topic: Topic, envelope: Envelope) -> None:
        """Queue one message (from any thread); kinds that are not recorded are ignored."""
        if topic.kind in RECORDED_KINDS:
            self._queue.put((topic, envelope))

    def close(self) -> None:
        """Write everything queued so far and finish every file."""
        self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=1.0)
            except queue.Empty:
                self._finish_idle()
                continue
            if item is _STOP:
                break
            topic, envelope = item  # type: ignore[misc]
            self._write(topic, envelope)
        for session in list(self._writers):
            self._finish(session)

    def _write(self, topic: Topic, envelope: Envelope) -> None:
        writer = self._writers.get(topic.session)
        if writer is None:
            with self._lock:
                parts = self.paths.setdefault(topic.session, [])
                suffix = f"-part{len(parts) + 1}" if parts else ""
                path = self.directory / f"{topic.station}_{topic.session}{suffix}.mcap"
                parts.append(path)
            writer = self._writers[topic.session] = SessionWriter(path, topic.station, topic.session)
        try:
            writer.write(Kind(topic.kind), envelope)
        except (TypeError, ValueError):
            log.warning("recording: a message could not be written as JSON and was skipped")
        self._last_write[topic.session] = time.monotonic()

    def _finish_idle(self) -> None:
        now = time.monotonic()
        for session, last in list(self._last_write.items()):
            if now - last > self.idle_s:
                self._finish(session)

    def _finish(self, session: str) -> None:
        self._writers.pop(session).close()
        self._last_write.pop(session, None)
