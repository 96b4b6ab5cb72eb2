"""The instructor console window: roster, difficulty (overrides, assignments, the generator's
explanation) and the live grid, in tabs, with the zh/en switch."""

from __future__ import annotations

from PyQt6.QtGui import QCloseEvent
from PyQt6.QtWidgets import QMainWindow, QTabWidget

from station_app.instructor.common import ConsoleContext
from station_app.instructor.difficulty_tab import DifficultyTab
from station_app.instructor.live_tab import LiveTab
from station_app.instructor.roster_tab import RosterTab
from station_app.views.i18n import LanguageSwitch


class InstructorWindow(QMainWindow):
    def __init__(self, ctx: ConsoleContext) -> None:
        super().__init__()
        ctx.status = self.statusBar()
        self.ctx = ctx
        self.roster = RosterTab(ctx)
        self.difficulty = DifficultyTab(ctx)
        self.live = LiveTab(ctx)
        self.tabs = QTabWidget()
        for widget in (self.roster, self.difficulty, self.live):
            self.tabs.addTab(widget, "")
        self.switch = LanguageSwitch(ctx.language)
        self.tabs.setCornerWidget(self.switch)
        self.setCentralWidget(self.tabs)
        ctx.language.changed.connect(lambda _: self.retranslate())
        self.resize(1280, 760)
        ctx.guarded(self.roster.refresh)()
        ctx.guarded(self.difficulty.refresh)()
        self.live.start()
        self.retranslate()

    def retranslate(self) -> None:
        t = self.ctx.t
        self.setWindowTitle(
            t(
                f"实训 · 教师控制台（{self.ctx.actor.login}）",
                f"Shixun · instructor console ({self.ctx.actor.login})",
            )
        )
        for i, (zh, en) in enumerate(
            (("学员名册", "Roster"), ("难度与指派", "Difficulty"), ("实验室实时", "Live lab"))
        ):
            self.tabs.setTabText(i, t(zh, en))
        self.roster.retranslate()
        self.difficulty.retranslate()
        self.live.retranslate()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.live.close_links()
        super().closeEvent(event)
