"""The lab admin app (`shixun admin`): equipment, bookings, device health and timetables, in tabs."""

from __future__ import annotations

import sys

from PyQt6.QtWidgets import QApplication, QMainWindow, QTabWidget

from station_app.admin.bookings_tab import BookingsTab
from station_app.admin.common import AdminContext
from station_app.admin.equipment_tab import EquipmentTab
from station_app.admin.health_tab import HealthTab
from station_app.admin.login import TITLE, admit
from station_app.admin.support import AdminSettings
from station_app.admin.timetable_tab import TimetableTab
from station_app.views.login import LoginDialog


class AdminWindow(QMainWindow):
    def __init__(self, ctx: AdminContext) -> None:
        super().__init__()
        ctx.status = self.statusBar()
        self.ctx, t = ctx, ctx.t
        self.setWindowTitle(
            t(f"实训 · 实验室管理（{ctx.actor.login}）", f"Shixun · lab admin ({ctx.actor.login})")
        )
        self.equipment = EquipmentTab(ctx)
        self.bookings = BookingsTab(ctx)
        self.health = HealthTab(ctx)
        self.timetable = TimetableTab(ctx)
        self.tabs = QTabWidget()
        for widget, label in (
            (self.equipment, t("设备", "Equipment")),
            (self.bookings, t("预约", "Bookings")),
            (self.health, t("设备状态", "Health")),
            (self.timetable, t("排课", "Timetable")),
        ):
            self.tabs.addTab(widget, label)
        self.tabs.currentChanged.connect(lambda _: self.refresh())
        self.setCentralWidget(self.tabs)
        self.resize(1100, 640)

    def refresh(self) -> None:
        self.equipment.refresh()
        self.bookings.show_week(self.bookings.monday)
        self.health.refresh()


def run(sessions, settings: AdminSettings, lang) -> int:
    """Log in, then show the window until it is closed; exit code 1 if the login is cancelled."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    login = LoginDialog(sessions, lang, TITLE, admit)
    if login.exec() != LoginDialog.DialogCode.Accepted or login.actor is None:
        return 1
    window = AdminWindow(AdminContext(sessions, settings, login.actor, lang))
    window.show()
    return app.exec()
