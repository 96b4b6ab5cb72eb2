"""What every tab of the instructor console shares: the store, the logged-in instructor, the
scenario, the language, the lab link, and one way to show errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PyQt6.QtWidgets import QStatusBar
from sqlalchemy.orm import Session, sessionmaker

from lab.auth.permissions import Actor
from lab.bus.text import UserError
from scenarios.paramspace import Space
from station_app.views.i18n import Language


@dataclass
class ConsoleContext:
    sessions: sessionmaker[Session]
    actor: Actor
    space: Space
    language: Language
    link: Any = None  # a lab.bus.viewer_link.ViewerLink (sessions/watch/requests), None: no lab server
    status: QStatusBar | None = None

    def t(self, zh: str, en: str) -> str:
        return self.language.t(zh, en)

    def say(self, text: str) -> None:
        if self.status is not None:
            self.status.showMessage(text)

    def guarded(self, action: Callable[[], Any]) -> Callable[..., None]:
        """A slot that shows a UserError (refusal, bad value) in the status bar instead of raising."""

        def slot(*_: object) -> None:
            try:
                action()
            except UserError as error:
                self.say("⚠ " + error.message(self.language.lang))

        return slot
