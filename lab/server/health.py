"""The lab server's device-health duties: record every heartbeat in the store, release no-shows.

Heartbeats reach the server's relay like any live topic, so the recorder watches them the way an
admin's app would: as a viewer of the relay with its own CurveZMQ key, under an identity that the
permission matrix lets see heartbeats (EQUIPMENT view, lab-wide) and nothing personal — the admin
role, which has no live pose, video or history rights (`lab.auth.permissions`). That identity is
not a person (no user row, id 0), holds an in-memory key made at start-up, and is known only to
this process's access source (`MonitorAccess`), so no one can connect as it.

Once a minute it also releases bookings whose holders did not check in in time (LibreBooking's
`autorelease.php` job, shared/reference/bus_booking_privacy.md §2.1).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

import zmq
from sqlalchemy.orm import Session, sessionmaker

from lab.bus.security import CurveClient, CurveKeys
from lab.bus.sockets import Receiver
from lab.bus.topics import Kind
from lab.health.listener import HEARTBEATS, HeartbeatRecorder
from lab.health.status import Thresholds
from lab.scheduling.bookings import release_no_shows
from lab.server.access import AccessSource
from lab.server.policy import AccessFacts, Principal
from lab.store.models import Role
from lab.store.types import utc_now

log = logging.getLogger("lab.server.health")
MONITOR = Principal("lab:health", Role.ADMIN.value, user_id=0, login="lab-server")
RELEASE_EVERY_S = 60.0


class MonitorAccess:
    """An AccessSource: `inner`, plus the health monitor's own key."""

    def __init__(self, inner: AccessSource, monitor_key: bytes) -> None:
        self.inner, self._monitor_key = inner, monitor_key

    def principal_for_key(self, public_key: bytes) -> Principal | None:
        return MONITOR if public_key == self._monitor_key else self.inner.principal_for_key(public_key)

    def principal(self, zap_id: str) -> Principal | None:
        return MONITOR if zap_id == MONITOR.zap_id else self.inner.principal(zap_id)

    def facts(self, now: datetime) -> AccessFacts:
        return self.inner.facts(now)


class LabHealth:
    """Wrap the relay's access source with `access()`, then `start()` once the relay listens."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        limits: Thresholds,
        *,
        release_every_s: float = RELEASE_EVERY_S,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.sessions, self.limits, self.release_every_s, self.clock = (
            sessions,
            limits,
            release_every_s,
            clock,
        )
        self._keys = CurveKeys.generate()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.recorder: HeartbeatRecorder | None = None
        self.released = 0

    def access(self, inner: AccessSource) -> MonitorAccess:
        return MonitorAccess(inner, self._keys.public)

    def start(self, ctx: zmq.Context, viewers_endpoint: str, server_public_key: bytes) -> None:
        receiver = Receiver(
            ctx,
            viewers_endpoint,
            [HEARTBEATS],
            [Kind.HEARTBEAT],
            view_prefix=MONITOR.view_prefix,
            curve=CurveClient(self._keys, server_public_key),
        )
        self.recorder = HeartbeatRecorder(receiver, self.sessions, self.limits, self.clock)
        self._thread = threading.Thread(target=self._run, name="lab-health", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.recorder is not None:
            self.recorder.receiver.close()

    def _run(self) -> None:
        assert self.recorder is not None
        next_release = time.monotonic()
        while not self._stop.is_set():
            if time.monotonic() >= next_release:
                self._release()
                next_release = time.monotonic() + self.release_every_s
            try:
                self.recorder.poll(200)
            except Exception:  # a store outage must not end monitoring; the next heartbeat retries
                log.exception("health: could not record a heartbeat")

    def _release(self) -> None:
        try:
            with self.sessions.begin() as db:
                released = len(release_no_shows(db, self.clock()))
        except Exception:
            log.exception("health: releasing no-shows failed; retrying at the next minute")
            return
        self.released += released
        if released:
            log.info("health: released %d booking(s) not checked in", released)
