"""Starting the instructor console: log in with a lab account that may set difficulty (lab.auth),
then the console; the live grid connects to the lab server when keys are given."""

from __future__ import annotations

import sys
from typing import Any

from PyQt6.QtWidgets import QApplication
from sqlalchemy.orm import Session, sessionmaker

from lab.auth.permissions import Action, Actor, Resource, Scope, scope_of
from lab.bus.text import Lang, Text, UserError
from scenarios.paramspace import Space
from station_app.instructor.common import ConsoleContext
from station_app.instructor.window import InstructorWindow
from station_app.views.i18n import Language
from station_app.views.login import LoginDialog

TITLE = Text(zh="实训 · 教师控制台 登录", en="Shixun instructor console · log in")


def admit(db: Session, actor: Actor) -> None:
    """Accounts whose role may change a class's difficulty (instructors)."""
    del db
    if scope_of(actor.role, Action.EDIT, Resource.DIFFICULTY) is Scope.NOBODY:
        raise UserError(
            "只有教师账号可以使用教师控制台", "only instructor accounts use the instructor console"
        )


def run(sessions: sessionmaker[Session], space: Space, link: Any, lang: Lang) -> int:
    """Log in, then the console until it is closed; exit code 1 if the login is cancelled."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    login = LoginDialog(sessions, lang, TITLE, admit)
    if login.exec() != LoginDialog.DialogCode.Accepted or login.actor is None:
        return 1
    window = InstructorWindow(ConsoleContext(sessions, login.actor, space, Language(lang), link))
    window.show()
    return app.exec()
