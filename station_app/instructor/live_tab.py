"""The live grid of the lab: one card per running session the instructor may watch (from the lab
server over the bus: sim state and coach events, no pixels), with its current step, time, sway and
coach cue; and, per card, inject a fault or change the wind of that session.

The stream is polled without waiting; requests (the session list, fault and wind requests) run on a
worker (station_app.netclient). While the lab server does not answer, the tab says so, the cards keep
showing what the stream brings, the list is asked again with back-off, and fault and wind requests are
refused at once rather than applied minutes late."""

from __future__ import annotations

import math
from typing import Any

from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from lab.bus.sockets import Message, Receiver
from lab.bus.text import Text
from lab.bus.topics import Kind
from station_app.instructor import control
from station_app.instructor.common import ConsoleContext
from station_app.netclient import UNREACHABLE, LabClient
from station_app.runtime.control import EVENT_TYPE
from station_app.views.changes import change_text
from station_app.views.cue_banner import CueBanner

POLL_MS = 100
SESSIONS_EVERY = 20  # ask the lab server for the list of live sessions every 20 polls (2 s)
COLUMNS = 3


class StationCard(QFrame):
    """One live session: what the station streams, and the instructor's controls for it."""

    def __init__(self, ctx: ConsoleContext, lab: LabClient, station: str, session: str) -> None:
        super().__init__()
        self.ctx, self.lab, self.station, self.session = ctx, lab, station, session
        self.setFrameShape(QFrame.Shape.Box)
        self.snapshot: dict[str, Any] | None = None
        self.cues: dict[str, dict[str, Any]] = {}  # live coach events by rule
        self.last_change: dict[str, Any] | None = None  # the latest session.control event
        self.title = QLabel(f"<b>{station}</b> · {session}")
        self.state = QLabel()
        self.banner = CueBanner(ctx.language.lang, font_pt=12)
        self.banner.setMinimumHeight(48)
        self.fault = QComboBox()
        for fault in ctx.space.spec.faults.values():
            self.fault.addItem(fault.title.get(ctx.language.lang), fault.id)
        self.inject_button = QPushButton()
        self.inject_button.clicked.connect(ctx.guarded(self.inject))
        self.wind = QDoubleSpinBox()
        wind = ctx.space.spec.parameters["wind_mps"]
        self.wind.setRange(wind.min, wind.max)
        self.wind.setSuffix(" m/s")
        self.wind_button = QPushButton()
        self.wind_button.clicked.connect(ctx.guarded(self.set_wind))
        controls = QHBoxLayout()
        for w in (self.fault, self.inject_button, self.wind, self.wind_button):
            controls.addWidget(w)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.state)
        layout.addWidget(self.banner)
        layout.addLayout(controls)
        self.retranslate()

    def take(self, message: Message) -> None:
        body, kind = message.envelope.body, message.envelope.type
        if message.topic.kind is Kind.STATE:
            self.snapshot = body
        elif kind in ("coach.cue", "coach.end") and body.get("kind") != "cannot_judge":
            if kind == "coach.end":
                self.cues.pop(body["rule_id"], None)
            else:
                self.cues[body["rule_id"]] = body
        elif kind == EVENT_TYPE:  # the station's answer to a live change (ours or another instructor's)
            self.last_change = body
        self.show_state()

    def show_state(self) -> None:
        t, lang = self.ctx.t, self.ctx.language.lang
        s = self.snapshot
        if s is not None:
            step = next(
                (x.title for x in self.ctx.space.spec.steps if x.id == s["step"]), Text(s["step"], s["step"])
            )
            sway = math.hypot(s["axes"]["sway_x_deg"], s["axes"]["sway_y_deg"])
            wind = math.hypot(*s.get("wind_mps", (0.0, 0.0)))
            done = t("（已结束）", " (finished)") if s["done"] else ""
            self.state.setText(
                t(
                    f"步骤：{step.get(lang)}{done}　{s['t']:.1f} s　摆角 {sway:.1f}°　风速 {wind:.1f} m/s",
                    f"step: {step.get(lang)}{done}   {s['t']:.1f} s   sway {sway:.1f}°   wind {wind:.1f} m/s",
                )
            )
        if self.last_change is not None:
            self.state.setText(self.state.text() + "\n" + change_text(self.last_change).get(lang))
        cue = max(self.cues.values(), key=lambda c: c["detected_at"], default=None)
        if cue is None:
            self.banner.clear_cue()
        elif self.banner.cue is None or self.banner.cue.to_dict() != cue["cue"]:
            self.banner.show_cue(Text.from_dict(cue["cue"]), cue["severity"])

    def inject(self) -> None:
        body = control.inject_fault(self.ctx.space.spec, self.fault.currentData())
        self._send(
            body,
            Text(
                f"已请求 {self.station} 注入故障 {body['fault']}",
                f"asked {self.station} to inject {body['fault']}",
            ),
        )

    def set_wind(self) -> None:
        body = control.set_wind(self.ctx.space.spec, self.wind.value())
        wind = body["wind_mps"]
        self._send(
            body,
            Text(
                f"已请求 {self.station} 风速改为 {wind:.1f} m/s",
                f"asked {self.station} for wind {wind:.1f} m/s",
            ),
        )

    def _send(self, body: dict[str, Any], asked: Text) -> None:
        """Once, on the worker: a fault applied late would surprise the student, so no retry."""
        station, session = self.station, self.session
        self.lab.submit(
            lambda link: control.send(link.requests, station, session, body),
            lambda _reply: self.ctx.say(self.ctx.language.text(asked)),
            lambda error: self.ctx.say("⚠ " + error.message(self.ctx.language.lang)),
            retry=False,
        )
        self.ctx.say(self.ctx.t(f"正在向 {station} 发送请求……", f"sending the request to {station}…"))

    def retranslate(self) -> None:
        t, lang = self.ctx.t, self.ctx.language.lang
        for i, fault in enumerate(self.ctx.space.spec.faults.values()):
            self.fault.setItemText(i, fault.title.get(lang))
        self.inject_button.setText(t("注入故障", "Inject fault"))
        self.wind_button.setText(t("改变风速", "Set wind"))
        self.banner.set_lang(lang)
        if self.snapshot is None:
            self.state.setText(t("等待数据……", "waiting for data…"))
        else:
            self.show_state()


class LiveTab(QWidget):
    def __init__(self, ctx: ConsoleContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.cards: dict[tuple[str, str], StationCard] = {}
        self.receivers: dict[tuple[str, str], Receiver] = {}
        self.lab = LabClient.of(ctx.link, self) if ctx.link is not None else None
        self.note = QLabel()
        self.grid = QGridLayout()
        for column in range(COLUMNS):
            self.grid.setColumnStretch(column, 1)
        holder = QWidget()
        stack = QVBoxLayout(holder)
        stack.addLayout(self.grid)
        stack.addStretch(1)  # cards keep their natural height at the top
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(holder)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(scroll, 1)
        self._polls = 0
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(ctx.guarded(self.poll))
        if self.lab is not None:
            self.lab.changed.connect(self._server_changed)
        self.retranslate()

    def start(self) -> None:
        if self.ctx.link is not None:
            self.timer.start()

    def refresh_sessions(self) -> None:
        """Ask which live sessions the lab server lets this instructor see (one question waits while
        it is away); the answer adds their cards."""
        if self.lab is not None:
            self.lab.submit(
                lambda link: link.sessions(),
                self._got_sessions,
                lambda error: self.ctx.say("⚠ " + error.message(self.ctx.language.lang)),
                key="sessions",
            )

    def _got_sessions(self, listed: list[dict[str, Any]]) -> None:
        """Watch every session listed (SUB sockets: connecting does not wait); new ones get a card."""
        for entry in listed:
            key = (entry["station"], entry["session"])
            if key not in self.receivers:
                self.receivers[key] = self.ctx.link.watch(*key, kinds=(Kind.STATE, Kind.EVENTS))
                self.card(*key)

    def card(self, station: str, session: str) -> StationCard:
        key = (station, session)
        if key not in self.cards:
            assert self.lab is not None  # cards come from the lab server's list
            card = self.cards[key] = StationCard(self.ctx, self.lab, station, session)
            n = len(self.cards) - 1
            self.grid.addWidget(card, n // COLUMNS, n % COLUMNS)
        return self.cards[key]

    def poll(self) -> None:
        """Drain what arrived (never blocks the UI); every few polls, look for new sessions."""
        if self._polls % SESSIONS_EVERY == 0:
            self.refresh_sessions()
        self._polls += 1
        for (station, session), receiver in self.receivers.items():
            while (message := receiver.recv(timeout_ms=0)) is not None:
                self.card(station, session).take(message)

    def retranslate(self) -> None:
        t = self.ctx.t
        if self.lab is None:
            self.note.setText(
                t("未连接实验室服务器：无实时画面", "not connected to a lab server: no live view")
            )
        elif not self.lab.reachable:
            self.note.setText(
                f"⚠ {UNREACHABLE.get(self.ctx.language.lang)}"
                + t(
                    "；卡片显示最近收到的数据，暂不能发送请求",
                    "; cards show the latest data, requests are not sent",
                )
            )
        else:
            self.note.setText(
                t(
                    "实验室实时状态（仅骨架、仿真状态与教练事件）",
                    "Live in the lab (skeleton, sim state and coach events only)",
                )
            )
        self.note.setStyleSheet(
            "" if self.lab is None or self.lab.reachable else "color: #9a5b00; font-weight: bold;"
        )
        for card in self.cards.values():
            card.retranslate()

    def _server_changed(self) -> None:
        if self.lab is not None and self.lab.reachable:
            self.ctx.say(self.ctx.t("实验室服务器已恢复", "the lab server answers again"))
        self.retranslate()

    def close_links(self) -> None:
        """Stop polling, the receivers and the request worker (a request in flight is abandoned)."""
        self.timer.stop()
        for receiver in self.receivers.values():
            receiver.close()
        self.receivers.clear()
        if self.lab is not None:
            self.lab.close()
