"""Timetable tab: propose a week with CP-SAT off the GUI thread (improvements stream in, §2.4 "run
the solver off the GUI thread"), review the proposal, accept it into bookings."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from PyQt6.QtCore import QDate, QObject, QThread, pyqtSignal
from PyQt6.QtWidgets import (
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from lab.bus.text import UserError
from lab.scheduling.demand import needs_from_estimates, requests_from_needs
from lab.scheduling.planner import (
    accept,
    estimates_from_store,
    parse_instructors,
    proposal_to_dict,
    stations_for_week,
)
from lab.scheduling.timetable import InstructorInfo, SessionRequest, StationInfo, WeekGrid, propose
from lab.store.types import utc_now
from station_app.admin.common import AdminContext, fill_table
from station_app.admin.support import read_data_file


class SolverWorker(QObject):
    """Runs one CP-SAT proposal in a worker thread and reports back with signals."""

    improved = pyqtSignal(float, int)
    finished = pyqtSignal(dict)
    failed = pyqtSignal(object)

    def __init__(self, inputs: tuple[list[SessionRequest], list[StationInfo], list[InstructorInfo], WeekGrid],
                 solver: dict[str, Any]) -> None:  # fmt: skip
        super().__init__()
        self.inputs, self.solver = inputs, solver

    def run(self) -> None:
        requests, stations, instructors, grid = self.inputs
        try:
            proposal = propose(
                requests, stations, instructors, grid, on_improvement=self.improved.emit, **self.solver
            )
        except UserError as error:
            self.failed.emit(error)
            return
        self.finished.emit(proposal_to_dict(proposal, grid))


def next_monday(today: date) -> date:
    return today + timedelta(days=7 - today.weekday())


class TimetableTab(QWidget):
    def __init__(self, ctx: AdminContext) -> None:
        super().__init__()
        self.ctx, t = ctx, ctx.t
        self.proposal: dict[str, Any] | None = None
        self.thread: QThread | None = None
        monday = next_monday(utc_now().astimezone(ctx.settings.tz).date())
        self.week = QDateEdit(QDate(monday.year, monday.month, monday.day))
        self.week.setDisplayFormat("yyyy-MM-dd")
        self.instructors = QLineEdit(
            placeholderText=t("教师可用时间文件（TOML/JSON）", "instructors file (TOML/JSON)")
        )
        self.classes = QLineEdit(placeholderText=t("班级，逗号分隔", "classes, comma-separated"))
        self.scenarios = QLineEdit(placeholderText=t("场景，逗号分隔", "scenarios, comma-separated"))
        self.propose_button = QPushButton(t("生成方案", "Propose"))
        self.propose_button.clicked.connect(ctx.guarded(self.start_proposal))
        self.accept_button = QPushButton(t("接受并预约", "Accept into bookings"))
        self.accept_button.setEnabled(False)
        self.accept_button.clicked.connect(ctx.guarded(self.accept))
        self.progress = QLabel()
        self.table = QTableWidget()
        layout = QVBoxLayout(self)
        form = QHBoxLayout()
        for widget in (self.week, self.instructors, self.classes, self.scenarios, self.propose_button):
            form.addWidget(widget)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.table)
        layout.addWidget(self.accept_button)

    def gather(self) -> tuple[list[SessionRequest], list[StationInfo], list[InstructorInfo], WeekGrid]:
        """Read stations, instructors and lags from the store (GUI thread; the solver runs elsewhere)."""
        grid = self.ctx.settings.grid(self.week.date().toPyDate())
        classes = [c.strip() for c in self.classes.text().split(",") if c.strip()]
        scenarios = [s.strip() for s in self.scenarios.text().split(",") if s.strip()]
        if not classes or not scenarios:
            raise UserError("请填写班级和场景", "enter classes and scenarios")
        with self.ctx.view() as session:
            stations = stations_for_week(session, grid)
            instructors = parse_instructors(session, read_data_file(self.instructors.text()), grid)
            estimates, class_of = estimates_from_store(session, classes, scenarios)
        requests = requests_from_needs(needs_from_estimates(estimates, class_of), class_of)
        return requests, stations, instructors, grid

    def start_proposal(self) -> None:
        inputs = self.gather()
        settings = self.ctx.settings
        solver = {
            "seconds": settings.solver_seconds,
            "seed": settings.solver_seed,
            "workers": settings.solver_workers,
        }
        self.worker = SolverWorker(inputs, solver)
        self.thread = QThread(self)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.worker.improved.connect(self.show_progress)
        self.worker.finished.connect(self.show_proposal)
        self.worker.failed.connect(self.show_failure)
        for done in (self.worker.finished, self.worker.failed):
            done.connect(self.thread.quit)
        self.propose_button.setEnabled(False)
        self.progress.setText(
            self.ctx.t(f"正在为 {len(inputs[0])} 个课次排课…", f"placing {len(inputs[0])} sessions…")
        )
        self.thread.start()

    def show_progress(self, seconds: float, weight: int) -> None:
        self.progress.setText(
            self.ctx.t(
                f"{seconds:.1f} 秒：额外课次权重 {weight}", f"{seconds:.1f} s: extra-session weight {weight}"
            )
        )

    def show_failure(self, error: UserError) -> None:
        self.propose_button.setEnabled(True)
        self.ctx.say("⚠ " + error.message(self.ctx.lang))

    def show_proposal(self, data: dict[str, Any]) -> None:
        self.proposal = data
        self.propose_button.setEnabled(True)
        self.accept_button.setEnabled(bool(data["entries"]))
        self.progress.setText(
            self.ctx.t(
                f"{data['seconds']:.1f} 秒内的最佳方案：排入 {len(data['entries'])}，未排 {len(data['unplaced'])}",
                f"best found in {data['seconds']:.1f} s: {len(data['entries'])} placed, {len(data['unplaced'])} not placed",
            )
        )
        rows = [
            [e["starts_at"][:16].replace("T", " "), e["ends_at"][11:16], e["station"], e["instructor"], e["parties"][0],
             e["scenario"], "" if e["required"] else "+"]
            for e in data["entries"]
        ]  # fmt: skip
        t = self.ctx.t
        headers = [t("开始", "Start"), t("结束", "End"), t("工位", "Station"), t("教师", "Instructor"),
                   t("对象", "For"), t("场景", "Scenario"), t("加练", "Extra")]  # fmt: skip
        fill_table(self.table, headers, rows)

    def accept(self) -> None:
        if self.proposal is None:
            raise UserError("还没有方案", "no proposal yet")
        with self.ctx.edit(f"timetable:{self.proposal['week']}") as session:
            result = accept(session, self.proposal, now=utc_now(), tz=self.ctx.settings.tz)
        self.accept_button.setEnabled(False)
        self.ctx.say(
            self.ctx.t(
                f"已预约 {len(result.booked)} 个课次，跳过 {len(result.skipped)} 个",
                f"booked {len(result.booked)} sessions, skipped {len(result.skipped)}",
            )
        )
