"""Bookings tab: a week of bookings, booking (once or recurring), approval, check-in, no-shows."""

from __future__ import annotations

from datetime import datetime, timedelta

from PyQt6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from lab.bus.text import UserError
from lab.scheduling import bookings
from lab.scheduling.registry import get_equipment, list_equipment
from lab.scheduling.rules import local_span, week_start
from lab.store.types import utc_now
from station_app.admin.common import AdminContext, fill_table, selected_first_cell
from station_app.admin.equipment_tab import datetime_edit, to_datetime


class BookingsTab(QWidget):
    def __init__(self, ctx: AdminContext) -> None:
        super().__init__()
        self.ctx, t = ctx, ctx.t
        self.monday = week_start(utc_now(), ctx.settings.tz)
        self.week_label = QLabel()
        previous, following = QPushButton("◀"), QPushButton("▶")
        previous.clicked.connect(lambda: self.show_week(self.monday - timedelta(days=7)))
        following.clicked.connect(lambda: self.show_week(self.monday + timedelta(days=7)))
        self.table = QTableWidget()
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)

        self.equipment = QComboBox()
        self.party_kind = QComboBox()
        self.party_kind.addItem(t("班级", "class"), "class")
        self.party_kind.addItem(t("学员", "learner"), "learner")
        self.party_kind.addItem(t("教师", "instructor"), "instructor")
        self.party = QLineEdit(
            placeholderText=t("班级/学员代码或教师登录名", "class/learner code or instructor login")
        )
        start = (utc_now().astimezone(ctx.settings.tz) + timedelta(days=1)).replace(
            minute=0, second=0, microsecond=0
        )
        self.start, self.end = datetime_edit(start), datetime_edit(start + timedelta(hours=1))
        self.repeat = QLineEdit(
            placeholderText=t("重复规则（可选）", "repeat RRULE (optional), e.g. FREQ=WEEKLY;COUNT=8")
        )
        self.book_button = QPushButton(t("预约", "Book"))
        self.book_button.clicked.connect(ctx.guarded(self.book))

        actions = QHBoxLayout()
        for label, handler in (
            (t("批准", "Approve"), bookings.approve),
            (t("驳回", "Reject"), bookings.reject),
            (t("取消", "Cancel"), bookings.cancel),
            (t("签到", "Check in"), lambda s, i: bookings.check_in(s, i, utc_now())),
        ):
            button = QPushButton(label)
            button.clicked.connect(ctx.guarded(lambda h=handler: self.change_selected(h)))
            actions.addWidget(button)
        self.release_button = QPushButton(t("释放未签到", "Release no-shows"))
        self.release_button.clicked.connect(ctx.guarded(self.release))
        actions.addWidget(self.release_button)

        layout = QVBoxLayout(self)
        header = QHBoxLayout()
        for widget in (previous, self.week_label, following):
            header.addWidget(widget)
        header.addStretch()
        layout.addLayout(header)
        layout.addWidget(self.table)
        form = QHBoxLayout()
        for widget in (
            self.equipment,
            self.party_kind,
            self.party,
            self.start,
            self.end,
            self.repeat,
            self.book_button,
        ):
            form.addWidget(widget)
        layout.addLayout(form)
        layout.addLayout(actions)
        self.show_week(self.monday)

    def show_week(self, monday: datetime) -> None:
        self.monday = monday
        t, tz = self.ctx.t, self.ctx.settings.tz
        self.week_label.setText(t(f"{monday:%Y-%m-%d} 起的一周", f"week of {monday:%Y-%m-%d}"))
        with self.ctx.view() as session:
            names = [e.name for e in list_equipment(session)]
            views = bookings.list_bookings(session, monday, monday + timedelta(days=7))
        current = self.equipment.currentText()
        self.equipment.clear()
        self.equipment.addItems(names)
        if current in names:
            self.equipment.setCurrentText(current)
        rows = [
            [v.id, f"{v.starts_at.astimezone(tz):%m-%d %a}", local_span(v.starts_at, v.ends_at, tz), v.equipment,
             v.holder.get(self.ctx.lang), v.status.value, v.note]
            for v in views
        ]  # fmt: skip
        headers = ["#", t("日期", "Day"), t("时间", "Time"), t("设备", "Equipment"), t("预约人", "For"),
                   t("状态", "Status"), t("备注", "Note")]  # fmt: skip
        fill_table(self.table, headers, rows)

    def book(self) -> None:
        tz, code = self.ctx.settings.tz, self.party.text().strip() or None
        kind = self.party_kind.currentData()
        start, end = to_datetime(self.start, self.ctx), to_datetime(self.end, self.ctx)
        name = self.equipment.currentText()
        with self.ctx.edit(f"equipment:{name}") as session:
            parties = bookings.resolve_parties(
                session,
                class_code=code if kind == "class" else None,
                learner_code=code if kind == "learner" else None,
                instructor_login=code if kind == "instructor" else None,
                booked_by_login=self.ctx.actor.login,
            )
            equipment = get_equipment(session, name)
            if self.repeat.text().strip():
                made = bookings.book_series(
                    session, equipment, start, end - start, self.repeat.text(), parties, now=utc_now(), tz=tz
                ).booked
            else:
                made = [bookings.book(session, equipment, start, end, parties, now=utc_now(), tz=tz)]
        self.ctx.say(self.ctx.t(f"已预约 {len(made)} 次", f"booked {len(made)}"))
        self.show_week(week_start(start, tz))

    def _selected_id(self) -> int:
        chosen = selected_first_cell(self.table)
        if chosen is None:
            raise UserError("请先选择预约", "select a booking first")
        return int(chosen)

    def change_selected(self, action) -> None:
        booking_id = self._selected_id()
        with self.ctx.edit(f"booking:{booking_id}") as session:
            status = action(session, booking_id).status.value
        self.ctx.say(f"#{booking_id}: {status}")
        self.show_week(self.monday)

    def release(self) -> None:
        with self.ctx.edit("bookings:no-shows") as session:
            released = bookings.release_no_shows(session, utc_now())
        self.ctx.say(self.ctx.t(f"已释放 {len(released)} 个", f"released {len(released)}"))
        self.show_week(self.monday)
