"""The small lab the scheduling tests share: its clock, time zone and seed data.

A plain module with a unique name (not `conftest`), so test modules and the processes they spawn
import exactly this file whatever other test folders put on sys.path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from lab.scheduling.registry import add_equipment
from lab.store.models import EquipmentKind, Learner, Role, SchoolClass, User

TZ = ZoneInfo("Asia/Shanghai")  # no DST: the lab's default zone
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant on 2026-11-<day> at hour:minute Shanghai time."""
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


@dataclass
class Lab:
    sessions: sessionmaker[Session]
    url: str


def seed_lab(session: Session) -> None:
    """Two stations, a rig, class 2A with two learners, class 2B, two instructors, an admin."""
    wang = User(login="wang", display_name="Wang", role=Role.INSTRUCTOR)
    li = User(login="li", display_name="Li", role=Role.INSTRUCTOR)
    admin = User(login="admin", display_name="Admin", role=Role.ADMIN)
    session.add_all([wang, li, admin])
    session.flush()
    class_2a = SchoolClass(code="2A", name="Crane 2A", instructor_id=wang.id)
    class_2b = SchoolClass(code="2B", name="Crane 2B", instructor_id=li.id)
    session.add_all([class_2a, class_2b])
    session.flush()
    session.add_all([Learner(code="L001", class_id=class_2a.id), Learner(code="L002", class_id=class_2a.id)])
    add_equipment(session, EquipmentKind.STATION, "station 3", "Lab 1", ["crane.bridge_lift"])
    add_equipment(session, EquipmentKind.STATION, "station 4", "Lab 1", ["crane.bridge_lift", "robot.pick"])
    add_equipment(session, EquipmentKind.RIG, "rig 1", "Hall", ["robot.pick"])
