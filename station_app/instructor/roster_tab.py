"""The class roster: each learner's attempts, pass count, last score, assigned scenario and skill
estimates (θ ± sd), and for the selected learner the estimates and scores across attempts."""

from __future__ import annotations

from PyQt6.QtWidgets import QAbstractItemView, QHBoxLayout, QPushButton, QTableWidget, QVBoxLayout, QWidget

from station_app.admin.common import fill_table
from station_app.instructor.common import ConsoleContext
from station_app.instructor.data import LearnerRow, roster
from station_app.views.chart import LineChart


class RosterTab(QWidget):
    def __init__(self, ctx: ConsoleContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.rows: list[LearnerRow] = []
        self.table = QTableWidget()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.itemSelectionChanged.connect(self.show_selected)
        self.refresh_button = QPushButton()
        self.refresh_button.clicked.connect(ctx.guarded(self.refresh))
        self.skills_chart = LineChart()
        self.scores_chart = LineChart()
        charts = QHBoxLayout()
        charts.addWidget(self.skills_chart)
        charts.addWidget(self.scores_chart)
        layout = QVBoxLayout(self)
        layout.addWidget(self.refresh_button)
        layout.addWidget(self.table, 1)
        layout.addLayout(charts, 1)

    def refresh(self) -> None:
        with self.ctx.sessions() as db, db.begin():
            self.rows = roster(db, self.ctx.actor, self.ctx.space)
        self.retranslate()

    def retranslate(self) -> None:
        t, lang = self.ctx.t, self.ctx.language.lang
        spec = self.ctx.space.spec
        self.refresh_button.setText(t("刷新", "Refresh"))
        selected = self.table.currentRow()
        headers = [t("班级", "Class"), t("学员", "Learner"), t("练习", "Attempts"), t("通过", "Passed")]
        headers += [t("最近得分", "Last score"), t("指派场景", "Assigned")]
        headers += [f"{s.title.get(lang)} θ" for s in spec.skills]
        fill_table(
            self.table,
            headers,
            [
                [r.class_code, r.code, r.attempts, r.passed]
                + ["" if r.last_score is None else f"{r.last_score:.1f}", r.assigned or "—"]
                + [f"{r.skills[s.id]['theta']:+.2f} ± {r.skills[s.id]['sd']:.2f}" for s in spec.skills]
                for r in self.rows
            ],
        )
        if 0 <= selected < len(self.rows):
            self.table.selectRow(selected)
        self.show_selected()

    def show_selected(self) -> None:
        t, lang = self.ctx.t, self.ctx.language.lang
        row = self.table.currentRow()
        if not 0 <= row < len(self.rows):
            self.skills_chart.plot(
                t("选择一名学员查看进步曲线", "select a learner to see their progress"), {}
            )
            self.scores_chart.plot("", {})
            return
        learner = self.rows[row]
        titles = {s.id: s.title.get(lang) for s in self.ctx.space.spec.skills}
        self.skills_chart.plot(
            t(f"{learner.code} 技能估计 θ（按练习次数）", f"{learner.code}: skill estimates θ by attempt"),
            {titles[k]: v for k, v in learner.trajectory.items()},
        )
        self.scores_chart.plot(
            t(f"{learner.code} 每次练习得分", f"{learner.code}: score per attempt"),
            {t("得分", "score"): learner.scores},
            y_range=(0.0, 100.0),
        )
