"""The Qt login dialog driven as a user would (type a login and a password, press log in), shared by
the apps' tests (admin, station, instructor) that check who each app lets in."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from lab.bus.text import Lang, Text
from station_app.views.login import Admit, LoginDialog


def login_dialog(
    qtbot, sessions: sessionmaker[Session], title: Text, admit: Admit, lang: Lang = "en"
) -> LoginDialog:
    """An app's real login dialog on `sessions`, owned by `qtbot`."""
    dialog = LoginDialog(sessions, lang, title, admit)
    qtbot.addWidget(dialog)
    return dialog


def try_login(dialog: LoginDialog, login: str, password: str) -> None:
    """Type `login` and `password` into `dialog` and log in (the outcome is in `actor` and `error`)."""
    dialog.login.setText(login)
    dialog.password.setText(password)
    dialog.try_login()
