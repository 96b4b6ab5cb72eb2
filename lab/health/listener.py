"""Record the heartbeats that arrive on the bus (`heartbeat/<station>/-`, lab.bus.topics) in the store.

The lab server (or any process allowed to view heartbeats) builds a `lab.bus.sockets.Receiver`
subscribed to `HEARTBEATS` on its relay and hands it here; each heartbeat becomes a row through
`lab.health.monitor.record_heartbeat`, the device found by its bus id. Heartbeats from unknown
devices or with garbled bodies are counted and skipped, never raised: one bad station must not
stop the lab's monitoring.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from lab.bus.sockets import Receiver
from lab.bus.text import UserError
from lab.bus.topics import Kind
from lab.health.monitor import record_heartbeat
from lab.health.status import Thresholds
from lab.store.types import utc_now

HEARTBEATS = b"heartbeat/"  # the subscription prefix for every device's heartbeats


@dataclass
class HeartbeatRecorder:
    receiver: Receiver
    sessions: sessionmaker[Session]
    limits: Thresholds
    clock: Callable[[], datetime] = utc_now
    recorded: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # why: the error's class name

    def poll(self, timeout_ms: int = 1000) -> bool:
        """Receive and record at most one heartbeat; True if one was recorded."""
        message = self.receiver.recv(timeout_ms)
        if message is None or message.topic.kind is not Kind.HEARTBEAT:
            return False
        try:
            with self.sessions.begin() as session:
                record_heartbeat(
                    session, message.topic.station, message.envelope.body, self.clock(), self.limits
                )
        except UserError as refused:
            self.skipped[type(refused).__name__] += 1
            return False
        self.recorded += 1
        return True

    def run(self, stop: threading.Event) -> None:
        """Record until `stop` is set (checked at least every 200 ms)."""
        while not stop.is_set():
            self.poll(200)
