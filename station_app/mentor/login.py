"""The mentor's log-in: the shared lab-account dialog (station_app.views.login) plus a key bundle.

Either is enough — a bundle alone for live sessions from outside the school, an account alone for
recordings on a lab PC — and with both, the bundle must be the account's own.
"""

from __future__ import annotations

import zmq
from PyQt6.QtWidgets import QFileDialog, QHBoxLayout, QLineEdit, QPushButton, QWidget
from sqlalchemy.orm import Session, sessionmaker

from lab.auth.accounts import actor_of, authenticate
from lab.bus.text import Lang, Text, UserError
from lab.bus.viewer_link import ViewerEndpoints
from lab.store.types import utc_now
from station_app.mentor.connection import Identity, admit, connect
from station_app.views.login import LoginDialog

TITLE = Text(zh="实训 · 导师端 登录", en="Shixun mentor · log in")


class MentorLoginDialog(LoginDialog):
    def __init__(
        self,
        sessions: sessionmaker[Session],
        lang: Lang,
        ctx: zmq.Context,
        endpoints: ViewerEndpoints,
        bundle: str = "",
    ) -> None:
        super().__init__(sessions, lang, TITLE, admit)
        self.ctx, self.endpoints = ctx, endpoints
        self.identity: Identity | None = None
        t = lambda zh, en: Text(zh, en).get(lang)  # noqa: E731
        self.bundle = QLineEdit(bundle)
        self.bundle.setPlaceholderText(t("密钥包文件夹（观看直播）", "key bundle folder (live sessions)"))
        browse = QPushButton("…")
        browse.clicked.connect(self._browse)
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.bundle, 1)
        line.addWidget(browse)
        self.layout().insertRow(0, t("密钥包", "Key bundle"), row)
        self.login.setPlaceholderText(t("可选：查看录制需要账号", "optional: recordings need an account"))
        self.setMinimumWidth(520)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.windowTitle(), self.bundle.text())
        if folder:
            self.bundle.setText(folder)

    def try_login(self) -> None:
        login, bundle = self.login.text().strip(), self.bundle.text().strip()
        try:
            if not login and not bundle:
                raise UserError("请填写密钥包或账号", "give a key bundle or an account")
            actor = None
            if login:
                with self.sessions() as db, db.begin():
                    actor = actor_of(authenticate(db, login, self.password.text(), utc_now()))
                    self.admit(db, actor)
            link = connect(self.ctx, self.endpoints, bundle, actor) if bundle else None
        except UserError as error:
            self.error.setText("⚠ " + error.message(self.lang))
            self.password.clear()
            return
        self.actor, self.identity = actor, Identity(actor, link)
        self.accept()
