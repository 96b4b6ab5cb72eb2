"""Starting the mentor app: log in (key bundle and/or lab account), then the mentor window."""

from __future__ import annotations

import sys

import zmq
from PyQt6.QtWidgets import QApplication
from sqlalchemy.orm import Session, sessionmaker

from lab.bus.text import Lang
from lab.bus.viewer_link import ViewerEndpoints
from station_app.mentor.login import MentorLoginDialog
from station_app.mentor.window import MentorSettings, MentorWindow


def run(
    sessions: sessionmaker[Session],
    endpoints: ViewerEndpoints,
    settings: MentorSettings,
    lang: Lang,
    bundle: str = "",
) -> int:
    """Log in, then the window until it is closed; exit code 1 if the login is cancelled."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    ctx = zmq.Context()
    try:
        login = MentorLoginDialog(sessions, lang, ctx, endpoints, bundle)
        if login.exec() != MentorLoginDialog.DialogCode.Accepted or login.identity is None:
            return 1
        window = MentorWindow(login.identity, sessions, settings, lang)
        window.show()
        try:
            return app.exec()
        finally:
            window.close_links()  # the request worker ends before its thread object goes
            login.identity.close()
    finally:
        ctx.destroy(linger=0)
