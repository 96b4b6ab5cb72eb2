"""The mentor's log-in: the shared lab-account dialog (station_app.views.login) plus a key bundle.

Either is enough — a bundle alone for live sessions from outside the school, an account alone for
recordings on a lab PC — and with both, the bundle must be the account's own. Reaching the lab server
(`whoami`) runs on a thread, so an absent server never freezes the dialog; it is refused after
REQUEST_TIMEOUT_MS with one line, and the mentor may try again.
"""

from __future__ import annotations

from pathlib import Path

import zmq
from PyQt6.QtCore import QThread
from PyQt6.QtWidgets import QDialogButtonBox, QFileDialog, QHBoxLayout, QLineEdit, QPushButton, QWidget
from sqlalchemy.orm import Session, sessionmaker

from lab.auth.accounts import actor_of, authenticate
from lab.auth.permissions import Actor
from lab.bus.text import Lang, Text, UserError
from lab.bus.viewer_link import ViewerEndpoints, ViewerLink
from lab.store.types import utc_now
from station_app.mentor.connection import Identity, admit, connect
from station_app.views.login import LoginDialog

TITLE = Text(zh="实训 · 导师端 登录", en="Shixun mentor · log in")


class Connecting(QThread):
    """`connect` (it asks the lab server `whoami`) off the GUI thread. Its REQ socket is handed to the
    GUI thread only after this thread has ended — a full memory barrier, the one way a ZeroMQ socket
    may change threads."""

    def __init__(
        self, ctx: zmq.Context, endpoints: ViewerEndpoints, bundle: str | Path, actor: Actor | None
    ) -> None:
        super().__init__()
        self.ctx, self.endpoints, self.bundle, self.actor = ctx, endpoints, bundle, actor
        self.result: ViewerLink | UserError | None = None

    def run(self) -> None:
        try:
            self.result = connect(self.ctx, self.endpoints, self.bundle, self.actor)
        except UserError as error:
            self.result = error


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
        self.connecting: Connecting | None = None
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
        if self.connecting is not None:
            return  # one attempt at a time
        login, bundle = self.login.text().strip(), self.bundle.text().strip()
        try:
            if not login and not bundle:
                raise UserError("请填写密钥包或账号", "give a key bundle or an account")
            actor = None
            if login:
                with self.sessions() as db, db.begin():
                    actor = actor_of(authenticate(db, login, self.password.text(), utc_now()))
                    self.admit(db, actor)
        except UserError as error:
            self._refused(error)
            return
        if not bundle:
            self._admitted(actor, None)
            return
        self.connecting = Connecting(self.ctx, self.endpoints, bundle, actor)
        self.connecting.finished.connect(self._connected)
        self._ok().setEnabled(False)
        self.error.setText(Text("正在连接实验室服务器……", "reaching the lab server…").get(self.lang))
        self.connecting.start()

    def _connected(self) -> None:
        thread, self.connecting = self.connecting, None
        if thread is None:  # cancelled meanwhile: reject() took care of it
            return
        thread.wait()
        self._ok().setEnabled(True)
        if isinstance(thread.result, UserError):
            self._refused(thread.result)
        elif thread.result is not None:
            self._admitted(thread.actor, thread.result)

    def _refused(self, error: UserError) -> None:
        self.error.setText("⚠ " + error.message(self.lang))
        self.password.clear()

    def _admitted(self, actor: Actor | None, link: ViewerLink | None) -> None:
        self.actor, self.identity = actor, Identity(actor, link)
        self.accept()

    def reject(self) -> None:
        """Cancel: an attempt under way ends within REQUEST_TIMEOUT_MS; its link, if any, is closed."""
        thread, self.connecting = self.connecting, None
        if thread is not None:
            thread.wait()
            if isinstance(thread.result, ViewerLink):
                thread.result.close()
        super().reject()

    def _ok(self) -> QPushButton:
        buttons = self.findChild(QDialogButtonBox)
        assert buttons is not None
        return buttons.button(QDialogButtonBox.StandardButton.Ok)
