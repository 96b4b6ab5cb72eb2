"""Starting the station app: a student logs in with their lab account (lab.auth), the station finds
their learner record and the scenario their instructor assigned, then shows the station window."""

from __future__ import annotations

import sys
from collections.abc import Callable

from PyQt6.QtWidgets import QApplication
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lab.auth.permissions import Actor
from lab.bus.text import Lang, Text, UserError
from lab.store.models import Learner, Role
from station_app.instructor.assignments import assigned_scenario
from station_app.station.window import StationSetup, StationWindow
from station_app.views.login import LoginDialog

TITLE = Text(zh="实训 · 工位 登录", en="Shixun station · log in")


def learner_of(db: Session, actor: Actor) -> Learner:
    """The learner record of a student account; other accounts do not train at a station."""
    if actor.role is not Role.STUDENT:
        raise UserError("只有学员账号可以在工位上练习", "only student accounts train at a station")
    learner = db.scalar(select(Learner).where(Learner.user_id == actor.user_id))
    if learner is None:
        raise UserError(
            "该账号没有关联的学员档案，请联系教师", "this account has no learner record: ask your instructor"
        )
    return learner


def admit(db: Session, actor: Actor) -> None:
    """Only students with a learner record log in at a station (LoginDialog shows why not)."""
    learner_of(db, actor)


def scenario_for(sessions: sessionmaker[Session], learner_code: str, default: str) -> str:
    """The scenario assigned to the learner (or their class), else `default`."""
    with sessions() as db:
        learner = db.scalar(select(Learner).where(Learner.code == learner_code))
        return (assigned_scenario(db, learner) if learner is not None else None) or default


def run(sessions: sessionmaker[Session], make_setup: Callable[[str], StationSetup], lang: Lang) -> int:
    """Log in, then the station window until it is closed; exit code 1 if the login is cancelled."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    login = LoginDialog(sessions, lang, TITLE, admit)
    if login.exec() != LoginDialog.DialogCode.Accepted or login.actor is None:
        return 1
    with sessions() as db:
        code = learner_of(db, login.actor).code
    window = StationWindow(make_setup(code), lang)
    window.show()
    return app.exec()
