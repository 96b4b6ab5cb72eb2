"""The station window: the scene in 3D, the skeleton view, the cue banner, the task-chain checklist,
live metrics, the off-station indicator, then the debrief with its replay.

A view over `StationSession`: a QTimer calls `tick()` at the sim's control rate; each tick takes the
keyboard's or gamepad's levers (when any is deflected) or lets the session's own operator act, steps
the session and redraws from what the step returned. Nothing here decides anything about the attempt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtGui import QCloseEvent, QKeyEvent, QKeySequence
from PyQt6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session, sessionmaker

from coach.events import CoachEvent
from hardware.inputs import Gamepad, Keyboard, Levers, merge
from lab.bus.sockets import Publisher
from lab.bus.text import Lang, Text, UserError
from scenarios.spec import Spec
from sim.crane.scene import CONTROL_HZ
from sim.operators.command import Command
from station_app.mentor.annotations import annotation_of, clock
from station_app.runtime.coaching import SEVERITY_ORDER
from station_app.runtime.control import Inbox
from station_app.runtime.operators import operator_for
from station_app.runtime.session import PoseFactory, SessionSettings, StationSession, Tick
from station_app.station.camera import CameraFeed
from station_app.station.debrief_view import DebriefView
from station_app.views.changes import change_text
from station_app.views.cue_banner import CueBanner
from station_app.views.i18n import Language, LanguageSwitch
from station_app.views.scene3d import SceneView
from station_app.views.skeleton import SkeletonView

RENDER_HZ = 60  # the 3D view repaints at this rate, whatever the control rate
OFF_STATION = Text(
    zh="● 正在向工位外传输（骨架、仿真状态、教练事件）",
    en="● Streaming off this station (skeleton, sim state, coach events)",
)
LOCAL_ONLY = Text(zh="○ 数据仅留在本工位", en="○ Data stays on this station")


@dataclass
class StationSetup:
    """What the station needs to run attempts, as plain values and factories."""

    sessions: sessionmaker[Session]
    spec: Spec
    learner: str
    operator: str = "idle"  # the session's own operator when no lever is held (idle: keyboard only)
    poses: PoseFactory | None = None
    settings: SessionSettings = field(default_factory=SessionSettings)
    publisher: Publisher | None = None
    gamepads: list[Gamepad] = field(default_factory=list)
    camera: CameraFeed | None = None  # pictures of the pose source, when it is a camera or video
    inbox: Inbox | None = None  # instructor requests and comments from the lab server (StationLink.comments)


class StationWindow(QMainWindow):
    def __init__(self, setup: StationSetup, lang: Lang) -> None:
        super().__init__()
        self.setup = setup
        self.language = Language(lang)
        self.keyboard = Keyboard()
        self.session: StationSession | None = None
        self.last_tick: Tick | None = None
        self.active_cues: dict[str, CoachEvent] = {}
        self.steps_per_tick = 1
        self._pictures_shown = 0
        self._message: tuple[str, Any] | None = None  # the latest change or comment, re-shown on a switch
        self._build()
        self.control_timer = QTimer(self)
        self.control_timer.setInterval(round(1000 / CONTROL_HZ))
        self.control_timer.timeout.connect(self._guarded(self.tick))
        self.render_timer = QTimer(self)
        self.render_timer.setInterval(round(1000 / RENDER_HZ))
        self.render_timer.timeout.connect(self.scene.update)
        self.language.changed.connect(lambda _: self.retranslate())
        self.retranslate()

    # --- layout ----------------------------------------------------------------------------------

    def _build(self) -> None:
        spec = self.setup.spec
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.learner = QLabel()
        self.stream = QLabel()
        self.switch = LanguageSwitch(self.language)
        self.speech = QCheckBox()
        self.speech.toggled.connect(self._toggle_speech)
        top = QHBoxLayout()
        for widget in (self.title, self.learner, self.stream):
            top.addWidget(widget)
        top.addStretch(1)
        top.addWidget(self.speech)
        top.addWidget(self.switch)

        self.scene = SceneView((spec.constants["runway_length_m"], spec.constants["span_m"]))
        self.scene.setMinimumSize(960, 540)
        self.scene.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.skeleton = SkeletonView()
        self.skeleton.setFixedSize(320, 240)
        self.checklist = QListWidget()
        self.checklist.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.checklist.setWordWrap(True)
        self.checklist.setMinimumHeight(170)
        self.checklist.setFixedWidth(320)
        self.metric_labels: dict[str, tuple[QLabel, QLabel]] = {}
        self.metrics = QFormLayout()
        for key in ("time", "step", "sway", "height", "speed", "reba", "cues", "predicted"):
            name, value = QLabel(), QLabel("—")
            self.metric_labels[key] = (name, value)
            self.metrics.addRow(name, value)
        side = QVBoxLayout()
        side.addWidget(self.skeleton)
        self.checklist_title = QLabel()
        side.addWidget(self.checklist_title)
        side.addWidget(self.checklist, 1)
        self.metrics_title = QLabel()
        side.addWidget(self.metrics_title)
        side.addLayout(self.metrics)
        middle = QHBoxLayout()
        middle.addWidget(self.scene, 1)
        middle.addLayout(side)

        self.banner = CueBanner(self.language.lang)
        self.start_button = QPushButton()
        self.start_button.clicked.connect(self._guarded(self.start_attempt))
        self.stop_button = QPushButton()
        self.stop_button.clicked.connect(self._guarded(self.finish_attempt))
        self.stop_button.setEnabled(False)
        self.help = QLabel()
        self.status = QLabel()
        self.status.setStyleSheet("color: #b00;")
        self.messages = QLabel()  # an instructor's live change or a mentor's comment, the latest one
        self.messages.setStyleSheet("color: #1f5fa0; font-weight: bold;")
        for button in (self.start_button, self.stop_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        bottom = QHBoxLayout()
        bottom.addWidget(self.start_button)
        bottom.addWidget(self.stop_button)
        bottom.addWidget(self.help, 1)

        run_page = QWidget()
        run = QVBoxLayout(run_page)
        run.addLayout(top)
        run.addWidget(self.banner)
        run.addLayout(middle, 1)
        run.addLayout(bottom)
        run.addWidget(self.messages)
        run.addWidget(self.status)
        self.debrief_view = DebriefView(
            self.language, (spec.constants["runway_length_m"], spec.constants["span_m"])
        )
        self.debrief_view.again.clicked.connect(self._guarded(self.start_attempt))
        self.pages = QStackedWidget()
        self.pages.addWidget(run_page)
        self.pages.addWidget(self.debrief_view)
        self.setCentralWidget(self.pages)

    def retranslate(self) -> None:
        t, lang = self.language.t, self.language.lang
        spec = self.setup.spec
        self.setWindowTitle(
            t(f"实训 · 工位 {self.setup.settings.station}", f"Shixun · station {self.setup.settings.station}")
        )
        self.title.setText(spec.title.get(lang))
        self.learner.setText(t(f"学员 {self.setup.learner}", f"learner {self.setup.learner}"))
        self.speech.setText(t("语音提示", "Spoken cues"))
        self.checklist_title.setText(t("任务步骤", "Task chain"))
        self.metrics_title.setText(t("实时指标", "Live metrics"))
        names = {
            "time": ("用时", "Time"),
            "step": ("当前步骤", "Step"),
            "sway": ("摆角", "Sway"),
            "height": ("负载离地", "Load height"),
            "speed": ("大车/小车/起升", "Bridge/trolley/hoist"),
            "reba": ("REBA", "REBA"),
            "cues": ("教练提示", "Coach cues"),
            "predicted": ("预测通过率", "Predicted pass"),
        }
        for key, (zh, en) in names.items():
            self.metric_labels[key][0].setText(t(zh, en))
        self.start_button.setText(t("开始练习", "Start attempt"))
        self.stop_button.setText(t("结束并评分", "Stop and score"))
        self.help.setText(
            t(
                "↑↓ 大车  ←→ 小车  W/S 起升/下降  空格 急停  1–4 档位",
                "↑↓ bridge  ←→ trolley  W/S hoist/lower  Space e-stop  1–4 speed notch",
            )
        )
        self.banner.set_lang(lang)
        self.skeleton.lang = lang
        self.skeleton.update()
        self.scene.lang = lang
        self.scene.update()
        self._fill_checklist()
        self._show_stream()
        self._show_metrics()
        if self._message is not None:
            self._on_session(*self._message)
        if self.session is not None and self.session.debrief is not None:
            self.debrief_view.show_debrief(self.session.debrief)

    # --- attempt ---------------------------------------------------------------------------------

    def start_attempt(self) -> None:
        """Prepare (booking check, generated parameters) and start an attempt; shows the run page."""
        s = self.setup
        session = StationSession(
            s.sessions,
            s.spec,
            s.learner,
            operator_for(s.operator, s.spec.family),
            s.poses,
            s.settings,
            s.publisher,
            [self._on_session],
            s.inbox,
        )
        session.prepare()
        session.start()
        self.session, self.last_tick = session, None
        self.active_cues.clear()
        self.banner.clear_cue()
        self.skeleton.set_alert(set())
        self.scene.camera = None
        self.scene.set_snapshot(session.snapshot())
        self.pages.setCurrentIndex(0)
        self.start_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.status.clear()
        self.messages.clear()
        self._message = None
        self.metric_labels["predicted"][1].setText(f"{session.prepared.predicted_success:.0%}")
        self._fill_checklist()
        self._show_stream()
        self.control_timer.start()
        self.render_timer.start()
        self.setFocus()

    def tick(self) -> None:
        """One timer tick: `steps_per_tick` control steps with the current levers, then redraw."""
        session = self.session
        if session is None or not session.running:
            return
        for _ in range(self.steps_per_tick):
            tick = session.step(self.command())
            self._take(tick)
            if tick.done:
                break
        if self.last_tick is not None:
            self.scene.set_snapshot(self.last_tick.snapshot, smooth=True)
        self._show_metrics()
        if session.done:
            self.finish_attempt()

    def command(self) -> Command | None:
        """The levers as a Command when the student touches one, else None (the session's operator acts)."""
        sources = [self.keyboard.levers()] if self.keyboard.active else []
        sources += [pad.poll() for pad in self.setup.gamepads]
        levers = merge(sources)
        if not sources or levers == Levers():
            return None
        return Command(**levers.as_dict())

    def finish_attempt(self) -> None:
        """Score the attempt as it stands, store it, and show the debrief."""
        self.control_timer.stop()
        self.render_timer.stop()
        session = self.session
        if session is None or not session.running:
            return
        debrief = session.finish()
        self.start_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        self.debrief_view.show_debrief(debrief)
        self.pages.setCurrentIndex(1)

    def _on_session(self, kind: str, payload: Any) -> None:
        """Messages from outside this station: an instructor's live change, a mentor's comment."""
        if kind in ("control", "comment"):
            self._message = (kind, payload)
        if kind == "control":
            self.messages.setText(change_text(payload).get(self.language.lang))
            self.messages.setToolTip(
                self.language.t("教师对本次练习的实时调整", "an instructor's live change to this attempt")
            )
        elif kind == "comment":
            self.messages.setText(f"💬 {comment_text(payload.envelope.body)}")

    def _take(self, tick: Tick) -> None:
        """Cues that started or ended this step drive the banner and the skeleton's alert colours."""
        self.last_tick = tick
        for event in tick.ended:
            self.active_cues.pop(event.rule_id, None)
        for event in tick.cues:
            if event.kind != "cannot_judge":
                self.active_cues[event.rule_id] = event
        if tick.poses:
            self.skeleton.set_pose(tick.poses[-1])
        camera = self.setup.camera
        if camera is not None and camera.count != self._pictures_shown:
            self.skeleton.set_image(camera.latest)
            self._pictures_shown = camera.count
        worst = _most_severe(self.active_cues.values())
        if worst is None:
            if self.banner.cue is not None:
                self.banner.clear_cue()
        elif worst.cue != self.banner.cue:
            self.banner.show_cue(worst.cue, worst.severity)
        self.skeleton.set_alert({e.body_part for e in self.active_cues.values() if e.kind == "violation"})
        if any(e.startswith("step:") for e in tick.state.events):
            self._fill_checklist()

    # --- panels ----------------------------------------------------------------------------------

    def _fill_checklist(self) -> None:
        lang = self.language.lang
        current = self.session.state.step if self.session is not None and self.session.running else None
        ids = [step.id for step in self.setup.spec.steps]
        reached = ids.index(current) if current in ids else -1
        self.checklist.clear()
        for i, step in enumerate(self.setup.spec.steps):
            mark = "✔" if i < reached else ("▶" if i == reached else "○")
            item = QListWidgetItem(f"{mark} {step.title.get(lang)}")
            item.setToolTip(step.instruction.get(lang))
            if i == reached:
                item.setBackground(Qt.GlobalColor.yellow)
                item.setText(f"{mark} {step.title.get(lang)}\n    {step.instruction.get(lang)}")
            self.checklist.addItem(item)

    def _show_metrics(self) -> None:
        session, tick = self.session, self.last_tick
        if session is None or tick is None:
            return
        s = tick.state
        limit = session.limit_s or 0.0
        step = next((x.title for x in self.setup.spec.steps if x.id == s.step), Text(s.step, s.step))
        bottom = s.load[2] - self.setup.spec.constants["load_height_m"] / 2
        values = {
            "time": f"{s.t:5.1f} / {limit:.0f} s",
            "step": step.get(self.language.lang),
            "sway": f"{s.sway_deg:4.1f}°",
            "height": f"{bottom:4.2f} m",
            "speed": f"{s.bridge_v:+.2f} / {s.trolley_v:+.2f} / {s.hoist_v:+.2f} m/s",
            "reba": str(tick.reba["reba"]) if tick.reba else self.metric_labels["reba"][1].text(),
            "cues": str(len(self.active_cues)),
        }
        for key, value in values.items():
            self.metric_labels[key][1].setText(value)

    def _show_stream(self) -> None:
        off = self.session is not None and self.session.off_station
        self.stream.setText((OFF_STATION if off else LOCAL_ONLY).get(self.language.lang))
        self.stream.setStyleSheet(
            "background: #d42020; color: white; font-weight: bold; padding: 4px;" if off else "color: #4a4;"
        )

    def _toggle_speech(self, on: bool) -> None:
        if not self.banner.enable_speech(on):
            self.speech.setChecked(False)
            self.status.setText(
                self.language.t("本机没有语音引擎：提示仅显示", "no speech engine here: cues are shown only")
            )

    # --- input and lifecycle ---------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not event.isAutoRepeat():
            self.keyboard.press(QKeySequence(event.key()).toString())

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if not event.isAutoRepeat():
            self.keyboard.release(QKeySequence(event.key()).toString())

    def focusOutEvent(self, event: Any) -> None:
        self.keyboard.clear()
        super().focusOutEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.control_timer.stop()
        if self.session is not None and self.session.running:
            self.session.abort(Text(zh="工位程序已关闭", en="the station app was closed"))
        super().closeEvent(event)

    def _guarded(self, action: Callable[[], Any]) -> Callable[..., None]:
        """A slot that shows a UserError (refused booking, bad input) instead of raising."""

        def slot(*_: object) -> None:
            try:
                action()
            except UserError as error:
                self.control_timer.stop()
                self.status.setText("⚠ " + error.message(self.language.lang))
                self.start_button.setEnabled(True)

        return slot


def comment_text(body: Any) -> str:
    """A mentor's comment as the station shows it: `[mm:ss.s–mm:ss.s] text` when it marks a range of
    the session (body start/end, as the mentor app shows it), else the text alone."""
    try:
        note = annotation_of(body)
    except (KeyError, TypeError, ValueError):
        return ""  # a comment without words: nothing to show
    if note.start is None or note.end is None:
        return note.text
    return f"[{clock(note.start)}–{clock(note.end)}] {note.text}"


def _most_severe(events: Any) -> CoachEvent | None:
    return max(events, key=lambda e: (SEVERITY_ORDER.get(e.severity, 0), e.detected_at), default=None)
