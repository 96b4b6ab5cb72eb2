"""The relay's access facts read from a real store (SQLite and PostgreSQL), and used end to end."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import zmq
from sqlalchemy import Engine, select

from lab.audit import chain
from lab.bus.requests import RequestClient
from lab.bus.security import CurveClient, CurveKeys
from lab.bus.sockets import Publisher, Receiver
from lab.bus.topics import Kind, Topic
from lab.server.audit import StoreLiveAudit
from lab.server.relay import Relay, RelayEndpoints
from lab.server.requests import RequestServer
from lab.server.store_access import StoreAccess
from lab.store.engine import make_engine, make_session_factory
from lab.store.models import (
    AuditEntry,
    Consent,
    ConsentGiver,
    ConsentKind,
    Equipment,
    EquipmentKind,
    Learner,
    MentorInvitation,
    Role,
    SchoolClass,
    SessionState,
    TrainingSession,
    User,
)

NOW = datetime.now(UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def world(engine):
    """A station, a class with an instructor, a learner in a running session, two mentors (one invited)."""
    keys = {name: CurveKeys.generate() for name in ("station", "alice", "bob", "teacher", "disabled")}
    with make_session_factory(engine)() as db:
        teacher = User(
            login="teacher",
            display_name="T",
            role=Role.INSTRUCTOR,
            curve_public_key=keys["teacher"].public.decode(),
        )
        alice = User(
            login="alice",
            display_name="Alice",
            role=Role.MENTOR,
            curve_public_key=keys["alice"].public.decode(),
        )
        bob = User(
            login="bob", display_name="Bob", role=Role.MENTOR, curve_public_key=keys["bob"].public.decode()
        )
        gone = User(
            login="gone",
            display_name="G",
            role=Role.MENTOR,
            curve_public_key=keys["disabled"].public.decode(),
            disabled_at=NOW - HOUR,
        )
        pupil = User(login="pupil", display_name="张伟", role=Role.STUDENT)
        station = Equipment(
            kind=EquipmentKind.STATION, name="st01", curve_public_key=keys["station"].public.decode()
        )
        db.add_all([teacher, alice, bob, gone, pupil, station])
        db.flush()
        school_class = SchoolClass(code="C1", name="Class 1", instructor_id=teacher.id)
        db.add(school_class)
        db.flush()
        learner = Learner(code="L001", user_id=pupil.id, class_id=school_class.id)
        db.add(learner)
        db.flush()
        session = TrainingSession(
            station_id=station.id,
            learner_id=learner.id,
            scenario_id="crane.basic",
            state=SessionState.RUNNING,
        )
        db.add(session)
        db.flush()
        invitation = MentorInvitation(
            mentor_id=alice.id,
            session_id=session.id,
            valid_from=NOW - HOUR,
            valid_until=NOW + HOUR,
            may_view_video=True,
        )
        db.add(invitation)
        consent = Consent(
            learner_id=learner.id,
            kind=ConsentKind.LIVE_VIDEO,
            granted_by=ConsentGiver.SELF,
            granted_at=NOW - HOUR,
        )
        db.add(consent)
        db.commit()
        ids = {
            "alice": alice.id,
            "bob": bob.id,
            "teacher": teacher.id,
            "session": session.id,
            "learner": learner.id,
            "consent": consent.id,
            "invitation": invitation.id,
        }
    return keys, ids


def test_keys_map_to_principals_and_disabled_users_are_refused(engine, world):
    keys, ids = world
    access = StoreAccess(engine)
    alice = access.principal_for_key(keys["alice"].public)
    assert (alice.role, alice.user_id, alice.login) == ("mentor", ids["alice"], "alice")
    station = access.principal_for_key(keys["station"].public)
    assert (station.role, station.station) == ("station", "st01")
    assert access.principal_for_key(keys["disabled"].public) is None
    assert access.principal_for_key(CurveKeys.generate().public) is None
    assert access.principal(alice.zap_id) == alice
    assert access.principal(station.zap_id) == station
    assert access.principal("user:99999") is None and access.principal("nonsense") is None


def test_facts_carry_sessions_consent_class_and_invitations(engine, world):
    _keys, ids = world
    facts = StoreAccess(engine).facts(NOW)
    session = facts.sessions[ids["session"]]
    assert session.station == "st01"
    subject = session.subject
    assert (subject.learner_id, subject.live_video_consent) == (ids["learner"], True)
    assert subject.class_instructor_id == ids["teacher"]
    assert [i.mentor_id for i in subject.invitations] == [ids["alice"]]
    assert subject.invitations[0].may_view_video


def test_withdrawn_consent_and_under_14_without_guardian_mean_no_video(engine, world):
    _keys, ids = world
    access = StoreAccess(engine)
    with make_session_factory(engine)() as db:
        db.get(Learner, ids["learner"]).under_14 = True
        db.commit()
    assert (
        not access.facts(NOW).sessions[ids["session"]].subject.live_video_consent
    )  # self-consent is not enough
    with make_session_factory(engine)() as db:
        db.get(Learner, ids["learner"]).under_14 = False
        db.get(Consent, ids["consent"]).withdrawn_at = NOW
        db.commit()
    assert not access.facts(NOW).sessions[ids["session"]].subject.live_video_consent


def test_finished_sessions_are_not_live(engine, world):
    _keys, ids = world
    with make_session_factory(engine)() as db:
        db.get(TrainingSession, ids["session"]).state = SessionState.FINISHED
        db.commit()
    assert StoreAccess(engine).facts(NOW).sessions == {}


@pytest.mark.slow
def test_relay_on_the_store_serves_the_invited_mentor_and_stops_on_revocation(engine, world):
    keys, ids = world
    server_keys = CurveKeys.generate()
    ctx = zmq.Context()
    audit = StoreLiveAudit(engine)
    relay = Relay(
        ctx,
        StoreAccess(engine),
        server_keys,
        RelayEndpoints(*["tcp://127.0.0.1:*"] * 3),
        refresh_s=0.1,
        audit=audit,
    )
    relay.start()
    try:
        pose = Topic(Kind.POSE, "st01", ids["session"])
        station = Publisher(
            ctx, relay.endpoints.stations, curve=CurveClient(keys["station"], server_keys.public)
        )

        def viewer(name: str) -> Receiver:
            prefix = f"@user:{ids[name]}/".encode()
            curve = CurveClient(keys[name], server_keys.public)
            return Receiver(ctx, relay.endpoints.viewers, [pose], view_prefix=prefix, curve=curve)

        alice, bob = viewer("alice"), viewer("bob")

        def pump(receiver: Receiver, seconds: float) -> list:
            got, deadline = [], time.monotonic() + seconds
            while time.monotonic() < deadline:
                station.send(pose, {"t": 0.0, "image": None, "world": None})
                message = receiver.recv(20)
                if message is not None:
                    got.append(message)
            return got

        received = pump(alice, 3.0)
        assert received
        assert all("张伟" not in repr(m.envelope) and "pupil" not in repr(m.envelope) for m in received)
        assert pump(bob, 0.5) == []
        requests = RequestServer(
            ctx,
            StoreAccess(engine),
            server_keys,
            "tcp://127.0.0.1:*",
            relay.authenticator,
            relay.inject_endpoint,
            audit=audit,
        )
        requests.start()
        client = RequestClient(ctx, requests.endpoint, CurveClient(keys["alice"], server_keys.public))
        assert client.call("comment", station="st01", session=ids["session"], text="好")["ok"]
        requests.stop()
        with make_session_factory(engine)() as db:
            db.get(MentorInvitation, ids["invitation"]).revoked_at = datetime.now(UTC)
            db.commit()
        pump(alice, 1.0)  # a few refreshes; drain what was in flight
        assert pump(alice, 1.0) == []
        station.close()
    finally:
        relay.stop()
        audit.close()
        ctx.destroy(linger=0)
    with make_session_factory(engine)() as db:
        entries = db.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        views = [
            (e.actor, e.action, e.resource, e.detail["event"])
            for e in entries
            if e.action == "view:live_pose"
        ]
        assert views == [
            ("mentor:alice", "view:live_pose", f"session:{ids['session']}", "start"),
            ("mentor:alice", "view:live_pose", f"session:{ids['session']}", "stop"),
        ]
        assert [(e.actor, e.action) for e in entries if e.action == "edit:comments"] == [
            ("mentor:alice", "edit:comments")
        ]
        assert all("张伟" not in str(e.detail) for e in entries)
        assert chain.verify(db).ok
