"""The lab the mentor tests run in, all real: a migrated SQLite store, the lab server (relay, request endpoint,
recorder) on loopback with CurveZMQ and the store as its access source, and two real station sessions
(the station runtime, crane sim, coach) publishing through it — st01's learner L001 with an invitation
for mentor zhou, st02's learner L002 without one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import zmq
from PyQt6.QtCore import Qt
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lab.auth.accounts import actor_of, create_user
from lab.bus.security import CurveClient, CurveKeys
from lab.bus.sockets import Publisher
from lab.bus.station_link import LabEndpoints, StationLink
from lab.bus.viewer_link import ViewerEndpoints
from lab.privacy import consent_records
from lab.recording.service import serve_recordings
from lab.scheduling.registry import add_equipment
from lab.server.archive import RecordingArchive
from lab.server.audit import StoreLiveAudit
from lab.server.keyring import set_public_key
from lab.server.relay import Relay, RelayEndpoints
from lab.server.requests import RequestServer
from lab.server.store_access import StoreAccess
from lab.store.models import (
    ConsentGiver,
    ConsentKind,
    EquipmentKind,
    Learner,
    MentorInvitation,
    Role,
    SchoolClass,
    User,
)
from lab.store.types import utc_now
from scenarios.spec import get_spec
from station_app.admin.support import open_store
from station_app.runtime.operators import operator_for
from station_app.runtime.session import SessionSettings, StationSession
from station_app.runtime.trainee import demo_trainee

ARTIFACTS = Path(__file__).resolve().parents[1] / "_artifacts"
ANY = "tcp://127.0.0.1:*"
CRANE = "crane.bridge_lift"
PASSWORDS = {
    "root": "correct horse battery staple",
    "zhou": "mentor-from-the-works",
    "wang": "teach-cranes-2026",
}


@dataclass
class Station:
    name: str
    session: StationSession
    publisher: Publisher

    @property
    def id(self) -> str:
        assert self.session.prepared is not None
        return self.session.prepared.session_id


class MentorLab:
    def __init__(self, tmp: Path, sessions: sessionmaker[Session]) -> None:
        self.tmp, self.store = tmp, sessions
        self.engine = sessions.kw["bind"]
        self.ctx = zmq.Context()
        self.server_keys = CurveKeys.generate()
        self.keys = {name: CurveKeys.generate() for name in ("st01", "st02", "zhou")}
        now = utc_now()
        with sessions.begin() as db:
            root = actor_of(create_user(db, None, "root", "Root", Role.ADMIN, PASSWORDS["root"], now))
            wang = create_user(db, root, "wang", "Wang", Role.INSTRUCTOR, PASSWORDS["wang"], now)
            create_user(db, root, "zhou", "Zhou (works mentor)", Role.MENTOR, PASSWORDS["zhou"], now)
            db.add(SchoolClass(code="2A", name="Crane 2A", instructor_id=wang.id))
            db.flush()
            class_id = db.scalar(select(SchoolClass.id).where(SchoolClass.code == "2A"))
            db.add_all([Learner(code=code, class_id=class_id) for code in ("L001", "L002")])
            for name in ("st01", "st02"):
                add_equipment(db, EquipmentKind.STATION, name, "Lab 1", [CRANE])
        for name in ("st01", "st02"):
            set_public_key(self.engine, self.keys[name].public, station=name)
        set_public_key(self.engine, self.keys["zhou"].public, user="zhou")
        self.bundle = tmp / "bundle-zhou"
        self.keys["zhou"].write(self.bundle, "zhou")
        CurveKeys(self.server_keys.public).write(self.bundle, "server")

        self.recordings = tmp / "lab-recordings"
        self._recording_stop, ready = threading.Event(), threading.Event()
        record = f"inproc://mentor-recordings-{id(self)}"
        self._recording = threading.Thread(
            target=serve_recordings, args=(record, self.recordings, self._recording_stop, ready, self.ctx)
        )
        self._recording.start()
        ready.wait()
        access = StoreAccess(self.engine)
        self.audit = StoreLiveAudit(self.engine)
        self.relay = Relay(
            self.ctx,
            access,
            self.server_keys,
            RelayEndpoints(ANY, ANY, ANY),
            record_endpoint=record,
            audit=self.audit,
            refresh_s=0.1,
        )
        self.relay.start()
        self.access = access
        self.requests = self._request_server(ANY)
        self.requests.start()
        self.endpoints = ViewerEndpoints(
            self.relay.endpoints.viewers, self.relay.endpoints.video, self.requests.endpoint
        )
        self.stations = {
            "st01": self._station("st01", "L001", with_poses=True),
            "st02": self._station("st02", "L002", with_poses=False),
        }
        self.invite("zhou", self.stations["st01"].id)

    def _request_server(self, endpoint: str) -> RequestServer:
        return RequestServer(
            self.ctx,
            self.access,
            self.server_keys,
            endpoint,
            self.relay.authenticator,
            self.relay.inject_endpoint,
            audit=self.audit,
            archive=RecordingArchive(self.store, self.recordings),
        )

    def restart_requests(self) -> None:
        """The request endpoint comes back where it was (after `self.requests.stop()`), as a restarted
        lab server would: same keys, same port."""
        self.requests = self._request_server(self.endpoints.requests)
        self.requests.start()

    def curve(self, name: str) -> CurveClient:
        return CurveClient(self.keys[name], self.server_keys.public)

    def _station(self, name: str, learner: str, with_poses: bool) -> Station:
        publisher = Publisher(self.ctx, self.relay.endpoints.stations, curve=self.curve(name))
        settings = SessionSettings(
            station=name, recordings_dir=self.tmp / f"{name}-recordings", preview_next=False
        )
        session = StationSession(
            self.store,
            get_spec(CRANE),
            learner,
            operator_for("autopilot:0.8", "crane"),
            poses=demo_trainee if with_poses else None,
            settings=settings,
            publisher=publisher,
        )
        session.prepare()
        return Station(name, session, publisher)

    def invite(self, login: str, session_id: str, video: bool = False) -> None:
        now = utc_now()
        with self.store.begin() as db:
            mentor = db.scalar(select(User).where(User.login == login))
            assert mentor is not None
            db.add(
                MentorInvitation(
                    mentor_id=mentor.id,
                    session_id=session_id,
                    valid_from=now - timedelta(hours=1),
                    valid_until=now + timedelta(hours=2),
                    may_view_video=video,
                )
            )

    def video_consent(self, learner: str, given: bool) -> None:
        """The learner's live-video consent, recorded (or withdrawn) by the lab admin."""
        now = utc_now()
        with self.store.begin() as db:
            root = actor_of(db.scalar(select(User).where(User.login == "root")))
            record = db.scalar(select(Learner).where(Learner.code == learner))
            if given:
                consent_records.grant(db, root, record, ConsentKind.LIVE_VIDEO, ConsentGiver.SELF, now)
            else:
                consent_records.withdraw(db, root, record, ConsentKind.LIVE_VIDEO, now)

    def station_link(self, name: str) -> StationLink:
        """The station's side of the lab link (comments addressed to it arrive here)."""
        return StationLink(
            self.ctx,
            name,
            LabEndpoints(self.relay.endpoints.stations, self.relay.endpoints.viewers),
            self.curve(name),
        )

    def drive(self, steps: int, qtbot=None) -> None:
        """Both stations step their real sessions (20 Hz control); the GUI keeps running in between."""
        for i in range(steps):
            for station in self.stations.values():
                if not station.session.running:
                    station.session.start()
                if not station.session.done:
                    station.session.step()
            if qtbot is not None and i % 5 == 4:
                qtbot.wait(2)

    def drive_live(self, seconds: int, qtbot) -> None:
        """Drive `seconds` of sim time a second at a time, waiting a second before each, so that all of
        it goes live: a headless session runs far faster than real time and its live copy is paced by a
        token bucket with a second's burst (station_app.runtime.live), which a plain `drive` outruns."""
        for _ in range(seconds):
            qtbot.wait(1000)
            self.drive(20, qtbot)

    def finish_recordings(self) -> None:
        """Let the lab server's recorder write everything out (files get their summary and index)."""
        self._recording_stop.set()
        self._recording.join()

    def close(self) -> None:
        for station in self.stations.values():
            if station.session.running:
                station.session.finish()
            station.publisher.close()
        self.requests.stop()
        self.relay.stop()
        if self._recording.is_alive():
            self.finish_recordings()
        self.audit.close()
        self.ctx.destroy(linger=0)


@pytest.fixture
def mentor_lab(tmp_path: Path, sqlite_url: str) -> Iterator[MentorLab]:
    sessions = open_store(sqlite_url)
    lab = MentorLab(tmp_path, sessions)
    try:
        yield lab
    finally:
        lab.close()
        sessions.kw["bind"].dispose()


def try_login(qtbot, dialog) -> None:
    """Press OK on the mentor's log-in and wait for its answer (reaching the lab server runs on a thread)."""
    dialog.try_login()
    qtbot.waitUntil(lambda: dialog.connecting is None, timeout=20000)


def listed(window) -> list:
    """What the mentor window's session list holds (live and recorded sessions)."""
    items = (window.session_list.item(r) for r in range(window.session_list.count()))
    role = Qt.ItemDataRole.UserRole
    return [i.data(role) for i in items if i.data(role) is not None]


def listed_when(qtbot, window, condition) -> list:
    """The session list once the lab server's answers (from the request worker) satisfy `condition`."""
    qtbot.waitUntil(lambda: condition(listed(window)), timeout=20000)
    return listed(window)


def screenshot(widget, name: str) -> Path:
    """What the widget shows, for a reviewer (tests/_artifacts is gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    assert widget.grab().save(str(path)), path
    return path
