"""Equipment tab: the registry with live health, registering equipment, status and blackouts."""

from __future__ import annotations

from datetime import datetime

from PyQt6.QtCore import QDateTime
from PyQt6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from lab.bus.text import UserError
from lab.health.monitor import health_report
from lab.scheduling import registry
from lab.store.models import EquipmentKind, EquipmentStatus
from lab.store.types import utc_now
from station_app.admin.common import AdminContext, fill_table, selected_first_cell
from station_app.admin.support import parse_rule_pairs


def to_datetime(edit: QDateTimeEdit, ctx: AdminContext) -> datetime:
    """The edit's wall-clock value in the lab's zone."""
    return edit.dateTime().toPyDateTime().replace(tzinfo=ctx.settings.tz)


def datetime_edit(moment: datetime) -> QDateTimeEdit:
    edit = QDateTimeEdit(QDateTime(moment.date(), moment.time().replace(microsecond=0)))
    edit.setDisplayFormat("yyyy-MM-dd HH:mm")
    edit.setCalendarPopup(True)
    return edit


class EquipmentTab(QWidget):
    def __init__(self, ctx: AdminContext) -> None:
        super().__init__()
        self.ctx, t = ctx, ctx.t
        self.table = QTableWidget()
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.kind = QComboBox()
        self.kind.addItems([k.value for k in EquipmentKind])
        self.name = QLineEdit(placeholderText=t("名称，如 工位 3", 'name, e.g. "station 3"'))
        self.location = QLineEdit(placeholderText=t("位置", "location"))
        self.scenarios = QLineEdit(
            placeholderText=t("可运行的场景（逗号分隔）", "scenarios it can run (comma-separated)")
        )
        self.add_button = QPushButton(t("登记设备", "Register"))
        self.add_button.clicked.connect(ctx.guarded(self.add))

        self.status_choice = QComboBox()
        self.status_choice.addItems([s.value for s in EquipmentStatus])
        self.reason = QLineEdit(placeholderText=t("原因", "reason"))
        self.status_button = QPushButton(t("设置所选设备状态", "Set status of selected"))
        self.status_button.clicked.connect(ctx.guarded(self.set_status))

        self.rules = QLineEdit(
            placeholderText=t(
                "预约规则，如 max_minutes=120 checkin=true", "rules, e.g. max_minutes=120 checkin=true"
            )
        )
        self.rules_button = QPushButton(t("设置所选设备规则", "Set rules of selected"))
        self.rules_button.clicked.connect(ctx.guarded(self.set_rules))

        now = utc_now().astimezone(ctx.settings.tz).replace(second=0, microsecond=0)
        self.blackout_from, self.blackout_to = datetime_edit(now), datetime_edit(now)
        self.blackout_reason = QLineEdit(placeholderText=t("维护原因", "maintenance reason"))
        self.blackout_button = QPushButton(t("为所选设备添加维护时段", "Add blackout to selected"))
        self.blackout_button.clicked.connect(ctx.guarded(self.add_blackout))

        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        for widgets in (
            (self.kind, self.name, self.location, self.scenarios, self.add_button),
            (self.status_choice, self.reason, self.status_button),
            (self.rules, self.rules_button),
            (self.blackout_from, self.blackout_to, self.blackout_reason, self.blackout_button),
        ):
            row = QHBoxLayout()
            for widget in widgets:
                row.addWidget(widget)
            layout.addLayout(row)
        self.refresh()

    def refresh(self) -> None:
        t, tz = self.ctx.t, self.ctx.settings.tz
        with self.ctx.view() as session:
            items = registry.list_equipment(session)
            health = {h.equipment: h for h in health_report(session, utc_now(), self.ctx.settings.thresholds)}
            rows = []
            for item in items:
                device = health.get(item.name)
                seen = (
                    f"{device.last_seen.astimezone(tz):%m-%d %H:%M}" if device and device.last_seen else "-"
                )
                status = item.status.value + (f" ({item.status_reason})" if item.status_reason else "")
                rows.append(
                    [item.name, item.kind.value, item.location, status, ", ".join(registry.scenarios_of(item)),
                     device.state.value if device else "-", seen]
                )  # fmt: skip
        headers = [t("名称", "Name"), t("类型", "Kind"), t("位置", "Location"), t("状态", "Status"),
                   t("场景", "Scenarios"), t("在线", "Health"), t("最后心跳", "Last seen")]  # fmt: skip
        fill_table(self.table, headers, rows)

    def add(self) -> None:
        name = self.name.text()
        scenarios = [s.strip() for s in self.scenarios.text().split(",") if s.strip()]
        with self.ctx.edit(f"equipment:{name}") as session:
            registry.add_equipment(
                session, registry.parse_kind(self.kind.currentText()), name, self.location.text(), scenarios
            )
        self.ctx.say(self.ctx.t(f"已登记 {name}", f"registered {name}"))
        self.refresh()

    def _selected(self) -> str:
        name = selected_first_cell(self.table)
        if name is None:
            raise UserError("请先选择设备", "select a device first")
        return name

    def set_status(self) -> None:
        name = self._selected()
        with self.ctx.edit(f"equipment:{name}") as session:
            item = registry.get_equipment(session, name)
            registry.set_status(
                item, registry.parse_status(self.status_choice.currentText()), self.reason.text()
            )
        self.ctx.say(self.ctx.t(f"{name} 状态已更新", f"{name} status updated"))
        self.refresh()

    def set_rules(self) -> None:
        name = self._selected()
        with self.ctx.edit(f"equipment:{name}") as session:
            rules = registry.set_rules(
                registry.get_equipment(session, name), parse_rule_pairs(self.rules.text().split())
            )
        changed = ", ".join(f"{k}={v}" for k, v in rules.to_dict().items() if v != getattr(type(rules)(), k))
        self.ctx.say(
            self.ctx.t(f"{name} 规则：{changed or '无限制'}", f"{name} rules: {changed or 'no limits'}")
        )

    def add_blackout(self) -> None:
        name = self._selected()
        start, end = to_datetime(self.blackout_from, self.ctx), to_datetime(self.blackout_to, self.ctx)
        with self.ctx.edit(f"equipment:{name}") as session:
            item = registry.get_equipment(session, name)
            _, hit = registry.add_blackout(session, item, start, end, self.blackout_reason.text())
        self.ctx.say(
            self.ctx.t(
                f"{name} 维护时段已添加，受影响预约 {len(hit)} 个",
                f"{name} blackout added; {len(hit)} bookings affected",
            )
        )
