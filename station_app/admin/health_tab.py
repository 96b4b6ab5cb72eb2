"""Health tab: each device's state and last heartbeat, and alerts for booked devices that are down;
refreshed every few seconds."""

from __future__ import annotations

from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QLabel, QListWidget, QTableWidget, QVBoxLayout, QWidget

from lab.health.monitor import booked_down, health_report
from lab.store.types import utc_now
from station_app.admin.common import AdminContext, fill_table

REFRESH_MS = 5000


class HealthTab(QWidget):
    def __init__(self, ctx: AdminContext) -> None:
        super().__init__()
        self.ctx, t = ctx, ctx.t
        self.table = QTableWidget()
        self.alerts = QListWidget()
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(QLabel(t("告警：已预约但离线的设备", "Alerts: booked devices that are down")))
        layout.addWidget(self.alerts)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(REFRESH_MS)
        self.refresh()

    def refresh(self) -> None:
        t, settings, now = self.ctx.t, self.ctx.settings, utc_now()
        with self.ctx.view() as session:
            report = health_report(session, now, settings.thresholds)
            alerts = booked_down(session, now, settings.thresholds, settings.tz)
        rows = [
            [d.equipment, d.state.value,
             f"{d.last_seen.astimezone(settings.tz):%m-%d %H:%M:%S}" if d.last_seen else "-",
             " · ".join(f"{k}={v:g}" for k, v in d.metrics.items()),
             "; ".join(p.get(self.ctx.lang) for p in d.problems)]
            for d in report
        ]  # fmt: skip
        headers = [t("设备", "Device"), t("状态", "State"), t("最后心跳", "Last seen"), t("指标", "Metrics"),
                   t("问题", "Problems")]  # fmt: skip
        fill_table(self.table, headers, rows)
        self.alerts.clear()
        self.alerts.addItems([a.message.get(self.ctx.lang) for a in alerts])
