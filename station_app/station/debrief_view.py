"""The end-of-attempt debrief: verdict and score, why these parameters, what the coach saw, how the
estimates moved and how the next attempt adapts (`Debrief.lines`), the sway plot over the task steps,
and a replay of the attempt read back from its MCAP recording."""

from __future__ import annotations

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from lab.bus.text import Text, UserError
from station_app.runtime.debrief import Debrief
from station_app.station.replay import Replay, load_replay
from station_app.views.chart import LineChart
from station_app.views.cue_banner import CueBanner
from station_app.views.i18n import Language
from station_app.views.scene3d import SceneView
from station_app.views.skeleton import SkeletonView

REPLAY_FPS = 20  # replay frames per second of wall time (the recording's state rate)


class DebriefView(QWidget):
    def __init__(self, language: Language, arena: tuple[float, float]) -> None:
        super().__init__()
        self.language = language
        self.debrief: Debrief | None = None
        self.replay: Replay | None = None
        self.verdict = QLabel()
        self.verdict.setStyleSheet("font-size: 20pt; font-weight: bold; padding: 6px;")
        self.summary = QTextBrowser()
        self.sway = LineChart()
        self.sway.setMinimumHeight(180)
        self.scene = SceneView(arena)
        self.scene.setMinimumSize(560, 315)
        self.skeleton = SkeletonView()
        self.skeleton.setFixedSize(240, 180)
        self.cue = CueBanner(language.lang)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.valueChanged.connect(self.seek)
        self.play = QPushButton()
        self.play.clicked.connect(self.toggle_play)
        self.again = QPushButton()
        self.replay_note = QLabel()
        self.timer = QTimer(self)
        self.timer.setInterval(round(1000 / REPLAY_FPS))
        self.timer.timeout.connect(self._advance)

        left = QVBoxLayout()
        left.addWidget(self.verdict)
        left.addWidget(self.summary, 1)
        left.addWidget(self.sway)
        left.addWidget(self.again)
        replay_row = QHBoxLayout()
        replay_row.addWidget(self.scene, 1)
        replay_row.addWidget(self.skeleton, 0, Qt.AlignmentFlag.AlignTop)
        controls = QHBoxLayout()
        controls.addWidget(self.play)
        controls.addWidget(self.slider, 1)
        right = QVBoxLayout()
        right.addWidget(self.replay_note)
        right.addWidget(self.cue)
        right.addLayout(replay_row, 1)
        right.addLayout(controls)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 2)
        layout.addLayout(right, 3)

    def show_debrief(self, debrief: Debrief) -> None:
        """Fill every panel in the current language; (re)load the replay when the attempt changed."""
        t, lang = self.language.t, self.language.lang
        fresh = self.debrief is None or self.debrief.session_id != debrief.session_id
        self.debrief = debrief
        r = debrief.result
        passed = debrief.passed
        self.verdict.setText(
            t(
                f"{'通过' if passed else '未通过'} · 得分 {r['score']:.1f}",
                f"{'PASSED' if passed else 'FAILED'} · score {r['score']:.1f}",
            )
        )
        self.verdict.setStyleSheet(
            f"font-size: 20pt; font-weight: bold; padding: 6px; color: white; background: {'#1f9a4a' if passed else '#c02525'};"
        )
        self.summary.setPlainText("\n".join(debrief.lines(lang)))
        spans = [
            (t0, debrief.steps[i + 1][0] if i + 1 < len(debrief.steps) else r["sim_s"], step)
            for i, (t0, step) in enumerate(debrief.steps)
        ]
        self.sway.plot(
            t("摆角（°）随时间（s）", "Sway (°) over time (s)"), {t("摆角", "sway"): debrief.sway}, spans
        )
        self.play.setText(t("播放", "Play"))
        self.again.setText(t("再练一次", "Next attempt"))
        self.cue.set_lang(lang)
        self.skeleton.lang = lang
        self.scene.lang = lang
        self.scene.update()
        if fresh:
            self._load_replay(debrief)
        self._note()

    def _load_replay(self, debrief: Debrief) -> None:
        self.timer.stop()
        self.replay = None
        if debrief.recording is not None:
            try:
                self.replay = load_replay(debrief.recording)
            except UserError as error:
                self.replay_note.setText("⚠ " + error.message(self.language.lang))
                return
        count = len(self.replay.states) if self.replay else 0
        self.slider.setRange(0, max(0, count - 1))
        self.slider.setValue(0)
        self.scene.camera = None
        self.seek(0)

    def _note(self) -> None:
        if self.replay is None:
            self.replay_note.setText(
                self.language.t("本次练习没有录制，无法回放", "this attempt was not recorded: no replay")
            )
        else:
            self.replay_note.setText(
                self.language.t(
                    f"回放（录制文件，{self.replay.duration:.1f} s）",
                    f"Replay (from the recording, {self.replay.duration:.1f} s)",
                )
            )

    def seek(self, index: int) -> None:
        """Show the recorded scene, skeleton and cue at state number `index`."""
        if self.replay is None or not self.replay.states:
            return
        state = self.replay.states[index]
        self.scene.set_snapshot(state, smooth=self.timer.isActive())
        self.skeleton.set_pose(self.replay.pose_at(state["t"]))
        cue = self.replay.cue_at(state["t"])
        self.skeleton.set_alert(
            {cue["body_part"]} if cue is not None and cue["kind"] == "violation" else set()
        )
        if cue is None:
            self.cue.clear_cue()
        elif self.cue.cue is None or self.cue.cue.to_dict() != cue["cue"]:
            self.cue.show_cue(Text.from_dict(cue["cue"]), cue["severity"])

    def toggle_play(self) -> None:
        if self.timer.isActive():
            self.timer.stop()
            self.play.setText(self.language.t("播放", "Play"))
        else:
            if self.slider.value() >= self.slider.maximum():
                self.slider.setValue(0)
            self.timer.start()
            self.play.setText(self.language.t("暂停", "Pause"))

    def _advance(self) -> None:
        if self.slider.value() >= self.slider.maximum():
            self.toggle_play()
        else:
            self.slider.setValue(self.slider.value() + 1)
