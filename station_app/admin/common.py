"""What every tab of the admin app shares: the store, settings, the logged-in admin, the language,
permission checks with audit (lab.auth), and one way to show errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from PyQt6.QtWidgets import QStatusBar, QTableWidget, QTableWidgetItem
from sqlalchemy.orm import Session, sessionmaker

from lab.auth.access import require
from lab.auth.permissions import Action, Actor, Resource
from lab.bus.text import Lang, Text, UserError
from lab.store.types import utc_now
from station_app.admin.support import AdminSettings


@dataclass
class AdminContext:
    sessions: sessionmaker[Session]
    settings: AdminSettings
    actor: Actor
    lang: Lang
    status: QStatusBar | None = None

    def t(self, zh: str, en: str) -> str:
        return Text(zh, en).get(self.lang)

    @contextmanager
    def view(self) -> Iterator[Session]:
        """A read-only look at the store (equipment and bookings are not personal data)."""
        with self.sessions() as session:
            yield session

    @contextmanager
    def edit(self, target: str) -> Iterator[Session]:
        """A transaction that first checks the admin may edit equipment/bookings, and audits it."""
        with self.sessions() as session, session.begin():
            require(session, self.actor, Action.EDIT, Resource.EQUIPMENT, None, target, utc_now())
            yield session

    def say(self, text: str) -> None:
        if self.status is not None:
            self.status.showMessage(text)

    def guarded(self, action: Callable[[], Any]) -> Callable[[], None]:
        """A slot that shows a UserError (conflict, bad input) in the status bar instead of raising."""

        def slot(*_: object) -> None:
            try:
                action()
            except UserError as error:
                self.say("⚠ " + error.message(self.lang))

        return slot


def fill_table(table: QTableWidget, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table.clear()
    table.setColumnCount(len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            item = QTableWidgetItem("" if value is None else str(value))
            table.setItem(r, c, item)
    table.resizeColumnsToContents()


def selected_first_cell(table: QTableWidget) -> str | None:
    row = table.currentRow()
    item = table.item(row, 0) if row >= 0 else None
    return item.text() if item is not None else None
