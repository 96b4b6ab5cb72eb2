"""The relay's AccessSource backed by the store: keys, roles, sessions, consents, invitations.

The facts about each live session are `lab.auth.access.session_subject`, the same the apps use.

Read on every relay refresh (twice a second by default), so a change made by an instructor or a
learner in any app — a withdrawn consent, a revoked invitation, a disabled account — reaches the
live streams within one refresh.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from lab.auth.access import session_subject
from lab.bus.topics import BadTopic, check_id, station_zap_id, user_zap_id
from lab.server.policy import AccessFacts, Principal, SessionFacts
from lab.store.models import Equipment, EquipmentKind, SessionState, TrainingSession, User

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
        """Live sessions with their subjects (consent, class, invitations) as `lab.auth` sees them."""
        with self._sessions() as db:
            rows = db.execute(
                select(TrainingSession.id, Equipment.name)
                .join(Equipment, TrainingSession.station_id == Equipment.id)
                .where(TrainingSession.state.in_(LIVE_SESSION_STATES))
            ).all()
            return AccessFacts(
                {
                    session: SessionFacts(station, session_subject(db, session, now))
                    for session, station in rows
                }
            )


def _user_principal(user: User) -> Principal | None:
    """None once the account is disabled or its key withdrawn: open connections lose their grants."""
    if user.disabled_at is not None or user.curve_public_key is None:
        return None
    return Principal(user_zap_id(user.id), user.role.value, user_id=user.id, login=user.login)


def _station_principal(equipment: Equipment) -> Principal | None:
    if equipment.kind not in PUBLISHING_EQUIPMENT or equipment.curve_public_key is None:
        return None
    try:
        check_id(equipment.name, "station")
    except BadTopic:
        log.warning("equipment with a CURVE key has a name unusable as a station id; refused")
        return None
    return Principal(station_zap_id(equipment.name), "station", station=equipment.name)
