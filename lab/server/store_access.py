"""The relay's AccessSource backed by the store: keys, roles, sessions, consents, invitations.

Read on every relay refresh (twice a second by default), so a change made by an instructor or a
learner in any app — a withdrawn consent, a revoked invitation, a disabled account — reaches the
live streams within one refresh.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session, sessionmaker

from lab.bus.topics import BadTopic, check_id
from lab.server.access import station_zap_id, user_zap_id
from lab.server.policy import AccessFacts, Invitation, Principal, SessionFacts
from lab.store.models import (
    Consent,
    ConsentGiver,
    ConsentKind,
    Equipment,
    EquipmentKind,
    Learner,
    MentorInvitation,
    SchoolClass,
    SessionState,
    TrainingSession,
    User,
)

log = logging.getLogger("lab.server.access")
LIVE_SESSION_STATES = (SessionState.CREATED, SessionState.RUNNING, SessionState.PAUSED)
PUBLISHING_EQUIPMENT = (EquipmentKind.STATION, EquipmentKind.EDGE_BOX)


class StoreAccess:
    def __init__(self, engine: Engine) -> None:
        self._sessions: sessionmaker[Session] = sessionmaker(engine)

    def principal_for_key(self, public_key: bytes) -> Principal | None:
        key = public_key.decode("ascii", "replace")
        with self._sessions() as db:
            user = db.scalars(select(User).where(User.curve_public_key == key)).one_or_none()
            if user is not None:
                return _user_principal(user)
            equipment = db.scalars(select(Equipment).where(Equipment.curve_public_key == key)).one_or_none()
            return _station_principal(equipment) if equipment is not None else None

    def principal(self, zap_id: str) -> Principal | None:
        kind, _, ident = zap_id.partition(":")
        with self._sessions() as db:
            if kind == "user" and ident.isdigit():
                user = db.get(User, int(ident))
                return _user_principal(user) if user is not None else None
            if kind == "station":
                equipment = db.scalars(select(Equipment).where(Equipment.name == ident)).one_or_none()
                return _station_principal(equipment) if equipment is not None else None
        return None

    def facts(self, now: datetime) -> AccessFacts:
        with self._sessions() as db:
            rows = db.execute(
                select(
                    TrainingSession.id,
                    Equipment.name,
                    Learner.id,
                    Learner.under_14,
                    SchoolClass.instructor_id,
                )
                .join(Equipment, TrainingSession.station_id == Equipment.id)
                .join(Learner, TrainingSession.learner_id == Learner.id)
                .outerjoin(SchoolClass, Learner.class_id == SchoolClass.id)
                .where(TrainingSession.state.in_(LIVE_SESSION_STATES))
            ).all()
            consenting = _video_consenting_learners(
                db, {r[2] for r in rows}, {r[2] for r in rows if r[3]}, now
            )
            invitations = db.scalars(select(MentorInvitation).where(MentorInvitation.valid_until > now)).all()
            sessions = {
                session_id: SessionFacts(
                    session=session_id,
                    station=station,
                    learner_id=learner_id,
                    video_consent=learner_id in consenting,
                    instructor_ids=frozenset({instructor_id} if instructor_id is not None else ()),
                )
                for session_id, station, learner_id, _under_14, instructor_id in rows
            }
            return AccessFacts(
                sessions=sessions,
                invitations=tuple(
                    Invitation(
                        mentor_id=i.mentor_id,
                        valid_from=i.valid_from,
                        valid_until=i.valid_until,
                        session=i.session_id,
                        learner_id=i.learner_id,
                        may_view_video=i.may_view_video,
                        revoked_at=i.revoked_at,
                    )
                    for i in invitations
                ),
            )


def _video_consenting_learners(
    db: Session, learners: set[int], under_14: set[int], now: datetime
) -> set[int]:
    """Learners whose live-video consent is in force; under-14s need their guardian's (PIPL Art. 31)."""
    if not learners:
        return set()
    consents = db.execute(
        select(Consent.learner_id, Consent.granted_by).where(
            Consent.learner_id.in_(learners),
            Consent.kind == ConsentKind.LIVE_VIDEO,
            Consent.granted_at <= now,
            or_(Consent.withdrawn_at.is_(None), Consent.withdrawn_at > now),
        )
    ).all()
    return {
        learner for learner, giver in consents if learner not in under_14 or giver == ConsentGiver.GUARDIAN
    }


def _user_principal(user: User) -> Principal | None:
    """None once the account is disabled or its key withdrawn: open connections lose their grants."""
    if user.disabled_at is not None or user.curve_public_key is None:
        return None
    return Principal(user_zap_id(user.id), user.role.value, user_id=user.id)


def _station_principal(equipment: Equipment) -> Principal | None:
    if equipment.kind not in PUBLISHING_EQUIPMENT or equipment.curve_public_key is None:
        return None
    try:
        check_id(equipment.name, "station")
    except BadTopic:
        log.warning("equipment with a CURVE key has a name unusable as a station id; refused")
        return None
    return Principal(station_zap_id(equipment.name), "station", station=equipment.name)
