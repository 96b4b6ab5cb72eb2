"""Logging in to an app with a lab account (lab.auth), like the admin app: the app says which
accounts may enter (`admit` raises a UserError saying why not) and gets the authenticated Actor."""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit
from sqlalchemy.orm import Session, sessionmaker

from lab.auth.accounts import actor_of, authenticate, bootstrap_open
from lab.auth.permissions import Actor
from lab.bus.text import Lang, Text, UserError
from lab.store.types import utc_now

Admit = Callable[[Session, Actor], None]


class LoginDialog(QDialog):
    def __init__(self, sessions: sessionmaker[Session], lang: Lang, title: Text, admit: Admit) -> None:
        super().__init__()
        self.sessions, self.lang, self.admit = sessions, lang, admit
        self.actor: Actor | None = None
        t = lambda zh, en: Text(zh, en).get(lang)  # noqa: E731
        self.setWindowTitle(title.get(lang))
        self.login = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.try_login)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(t("登录名", "Login"), self.login)
        form.addRow(t("密码", "Password"), self.password)
        form.addRow(self.error)
        form.addRow(buttons)

    def try_login(self) -> None:
        try:
            with self.sessions() as session, session.begin():
                if bootstrap_open(session):
                    raise UserError(
                        "还没有任何账户：先用 shixun users add 登录名 --role admin 创建管理员",
                        "there are no accounts yet: create an admin with `shixun users add LOGIN --role admin`",
                    )
                actor = actor_of(authenticate(session, self.login.text(), self.password.text(), utc_now()))
                self.admit(session, actor)
        except UserError as error:
            self.error.setText("⚠ " + error.message(self.lang))
            self.password.clear()
            return
        self.actor = actor
        self.accept()
