"""Logging in to the admin app with a lab account (lab.auth): only roles the permission matrix lets
view equipment get in, and every edit is checked and audited under that account (AdminContext.edit)."""

from __future__ import annotations

from PyQt6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit

from lab.auth.accounts import actor_of, authenticate, bootstrap_open
from lab.auth.permissions import Action, Actor, Resource, decide
from lab.bus.text import Lang, Text, UserError
from lab.store.types import utc_now


class LoginDialog(QDialog):
    def __init__(self, sessions, lang: Lang) -> None:
        super().__init__()
        self.sessions, self.lang = sessions, lang
        self.actor: Actor | None = None
        t = lambda zh, en: Text(zh, en).get(lang)  # noqa: E731
        self.setWindowTitle(t("实训 · 实验室管理 登录", "Shixun lab admin · log in"))
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
        now = utc_now()
        try:
            with self.sessions() as session, session.begin():
                if bootstrap_open(session):
                    raise UserError(
                        "还没有任何账户：先用 shixun users add 登录名 --role admin 创建管理员",
                        "there are no accounts yet: create an admin with `shixun users add LOGIN --role admin`",
                    )
                actor = actor_of(authenticate(session, self.login.text(), self.password.text(), now))
            decision = decide(actor, Action.VIEW, Resource.EQUIPMENT, None, now)
            if not decision:
                raise UserError(decision.reason.zh, decision.reason.en)
        except UserError as error:
            self.error.setText("⚠ " + error.message(self.lang))
            self.password.clear()
            return
        self.actor = actor
        self.accept()
