"""The mentor's window: sessions they may see (live and recorded), the scene re-rendered from state,
the skeleton (over consented video when allowed), the coach's cues, metrics, the timeline with
follow-live / pause / scrub / speed, and comments and time-range annotations.

Live messages are polled from the GUI timer without blocking; everything shown is drawn from the
timeline at the playhead, so live, paused, scrubbed and recorded sessions share one drawing path.
Requests to the lab server (session lists, replays, comments) run on a worker (station_app.netclient):
when the server is away the window keeps what it has, says so on a status line, and retries; comments
written meanwhile wait in an outbox, shown as waiting, and are sent in order when it answers — a
mentor's words are worth more than the rare duplicate a lost reply can cause.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtGui import QCloseEvent
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session, sessionmaker

from lab.bus.text import Lang, Text, UserError
from lab.store.types import utc_now
from scenarios.spec import get_spec
from station_app.mentor.annotations import clock, span
from station_app.mentor.connection import Identity
from station_app.mentor.live import LiveSession, LiveWatch
from station_app.mentor.recorded import RecordedSession, open_recorded, recorded_sessions, timeline_of
from station_app.mentor.timeline import SPEEDS, Mode, Playhead, SessionTimeline
from station_app.mentor.timeline_bar import TimelineBar
from station_app.netclient import UNREACHABLE, LabClient
from station_app.views.chart import LineChart
from station_app.views.cue_banner import CueBanner
from station_app.views.i18n import Language, LanguageSwitch
from station_app.views.scene3d import SceneView
from station_app.views.skeleton import SkeletonView

FRAME_MS = 33  # GUI tick: poll the bus, move the playhead, redraw (~30 Hz)
SESSIONS_REFRESH_MS = 3000  # live list and video permission re-asked (consent can be withdrawn)
STALE_AFTER_S = 2.0  # the staleness badge (§1.9) turns amber
SWAY_WINDOW_S = 30.0
CHART_POINTS = 150  # at most this many points drawn (a 30 s window of 20 Hz state is 600)


@dataclass
class MentorSettings:
    """Plain values from the configuration."""

    recordings_dir: Path | None


@dataclass(frozen=True, eq=False)
class Outgoing:
    """A comment on its way to the lab server (eq=False: two equal words are two comments)."""

    station: str
    session: str
    text: str
    span: tuple[float, float] | None


@cache
def _steps(scenario: str) -> dict[str, Text]:
    try:
        return {step.id: step.title for step in get_spec(scenario).steps}
    except UserError:
        return {}


class MentorWindow(QMainWindow):
    def __init__(
        self,
        identity: Identity,
        sessions: sessionmaker[Session] | None,
        settings: MentorSettings,
        lang: Lang,
    ) -> None:
        super().__init__()
        self.identity, self.store, self.settings = identity, sessions, settings
        self.lab = LabClient.of(identity.link, self) if identity.link is not None else None
        self.language = Language(lang)
        self.timeline: SessionTimeline | None = None
        self.watch: LiveWatch | None = None
        self.playhead = Playhead()
        self.video_withdrawn = False
        self._live: list[LiveSession] = []  # as the lab server last listed them
        self._heard = False  # the lab server has listed live sessions at least once
        self._recorded: list[RecordedSession] = []  # from the store, or as the lab server listed them
        self._outbox: list[Outgoing] = []  # comments not yet confirmed by the lab server
        self._ticket = 0  # the latest opening; a replay that arrives for an older one is dropped
        self._shown: dict[str, Any] = {}  # what is on screen, so unchanged things are not redrawn
        self._last_tick = time.monotonic()
        self._build()
        self.language.changed.connect(lambda _: self.retranslate())
        self.retranslate()
        self.refresh_sessions()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._guarded(self.tick))
        self.timer.start(FRAME_MS)
        self.session_timer = QTimer(self)
        self.session_timer.timeout.connect(self._ask_live)
        if self.lab is not None:
            self.lab.changed.connect(self._server_changed)
            self.session_timer.start(SESSIONS_REFRESH_MS)

    # --- layout ----------------------------------------------------------------------------------

    def _build(self) -> None:
        self.who = QLabel()
        self.badge = QLabel()
        self.video_state = QLabel()
        self.switch = LanguageSwitch(self.language)
        top = QHBoxLayout()
        top.addWidget(self.who)
        top.addStretch(1)
        top.addWidget(self.video_state)
        top.addWidget(self.badge)
        top.addWidget(self.switch)

        self.sessions_title = QLabel()
        self.session_list = QListWidget()
        self.session_list.setMinimumWidth(250)
        self.session_list.itemActivated.connect(self._guarded(self.open_selected))
        self.refresh_button = QPushButton()
        self.refresh_button.clicked.connect(self._guarded(self.refresh_sessions))
        self.open_button = QPushButton()
        self.open_button.clicked.connect(self._guarded(self.open_selected))
        left_panel = QWidget()
        left = QVBoxLayout(left_panel)
        left.addWidget(self.sessions_title)
        left.addWidget(self.session_list, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.refresh_button)
        buttons.addWidget(self.open_button)
        left.addLayout(buttons)

        self.banner = CueBanner(self.language.lang)
        self.scene = SceneView()
        self.skeleton = SkeletonView()
        self.skeleton.setFixedSize(320, 240)
        self.metrics_title = QLabel()
        self.metric_labels: dict[str, tuple[QLabel, QLabel]] = {}
        metrics = QFormLayout()
        for key in ("time", "step", "sway", "height", "speed", "cues", "comments", "received"):
            name, value = QLabel(), QLabel("—")
            self.metric_labels[key] = (name, value)
            metrics.addRow(name, value)
        self.chart = LineChart()
        self.chart.setFixedWidth(320)
        side = QVBoxLayout()
        side.addWidget(self.skeleton)
        side.addWidget(self.metrics_title)
        side.addLayout(metrics)
        side.addWidget(self.chart)
        middle = QHBoxLayout()
        middle.addWidget(self.scene, 1)
        middle.addLayout(side)

        self.bar = TimelineBar()
        self.bar.seeked.connect(self.seek)
        self.bar.selected.connect(self._use_range)
        self.follow_button = QPushButton()
        self.follow_button.clicked.connect(self.follow_live)
        self.play_button = QPushButton()
        self.play_button.clicked.connect(self.toggle_play)
        self.speed = QComboBox()
        for speed in SPEEDS:
            self.speed.addItem(f"{speed:g}×", speed)
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.speed.currentIndexChanged.connect(lambda i: self.playhead.set_speed(self.speed.itemData(i)))
        self.next_alert = QPushButton()
        self.next_alert.clicked.connect(self.jump_to_next_alert)
        self.clock = QLabel()
        controls = QHBoxLayout()
        for widget in (self.follow_button, self.play_button, self.speed, self.next_alert):
            controls.addWidget(widget)
        controls.addStretch(1)
        controls.addWidget(self.clock)

        self.comments_title = QLabel()
        self.comment_list = QListWidget()
        self.comment_list.setMaximumHeight(120)
        self.comment_list.itemActivated.connect(self._seek_to_comment)
        self.comment_text = QLineEdit()
        self.comment_text.returnPressed.connect(self._guarded(self.send_comment))
        self.ranged = QCheckBox()
        self.range_from, self.range_to = QDoubleSpinBox(), QDoubleSpinBox()
        for box in (self.range_from, self.range_to):
            box.setDecimals(1)
            box.setRange(0.0, 24 * 3600.0)
            box.setSuffix(" s")
        self.send_button = QPushButton()
        self.send_button.clicked.connect(self._guarded(self.send_comment))
        composer = QHBoxLayout()
        composer.addWidget(self.comment_text, 1)
        for widget in (self.ranged, self.range_from, self.range_to, self.send_button):
            composer.addWidget(widget)
        self.status = QLabel()
        self.connection = QLabel()  # the lab server not answering, comments waiting
        self.connection.setStyleSheet("color: #9a5b00; font-weight: bold;")

        viewer = QWidget()
        right = QVBoxLayout(viewer)
        right.addLayout(top)
        right.addWidget(self.banner)
        right.addLayout(middle, 1)
        right.addWidget(self.bar)
        right.addLayout(controls)
        right.addWidget(self.comments_title)
        right.addWidget(self.comment_list)
        right.addLayout(composer)
        right.addWidget(self.connection)
        right.addWidget(self.status)
        splitter = QSplitter()
        splitter.addWidget(left_panel)
        splitter.addWidget(viewer)
        splitter.setStretchFactor(1, 1)
        self.setCentralWidget(splitter)
        self.resize(1500, 940)

    def retranslate(self) -> None:
        t = self.language.t
        who = []
        if self.identity.actor is not None:
            who.append(self.identity.actor.login)
        if self.identity.link is not None:
            who.append(str(self.identity.link.identity["user"]))
        self.setWindowTitle(t("实训 · 导师端", "Shixun · mentor"))
        self.who.setText(t(f"导师：{' / '.join(who)}", f"Mentor: {' / '.join(who)}"))
        self.sessions_title.setText(t("可查看的会话", "Sessions you may see"))
        self.refresh_button.setText(t("刷新", "Refresh"))
        self.open_button.setText(t("打开", "Open"))
        self.metrics_title.setText(t("指标", "Metrics"))
        names = {
            "time": ("会话时间", "Session time"),
            "step": ("当前步骤", "Step"),
            "sway": ("摆角", "Sway"),
            "height": ("负载离地", "Load height"),
            "speed": ("大车/小车/起升", "Bridge/trolley/hoist"),
            "cues": ("当前提示", "Active cues"),
            "comments": ("评论", "Comments"),
            "received": ("已接收 状态/姿态", "Held state/pose"),
        }
        for key, (zh, en) in names.items():
            self.metric_labels[key][0].setText(t(zh, en))
        self.follow_button.setText(t("跟随直播", "Follow live"))
        self.next_alert.setText(t("下一个提示 ▶", "Next alert ▶"))
        self.comments_title.setText(
            t("评论与标注（学员工位实时可见）", "Comments and annotations (shown live at the station)")
        )
        self.comment_text.setPlaceholderText(t("写给学员的评论…", "A comment for the student…"))
        self.ranged.setText(t("时间段", "Time range"))
        self.send_button.setText(t("发送", "Send"))
        self.banner.set_lang(self.language.lang)
        self.skeleton.lang = self.language.lang
        self.scene.lang = self.language.lang
        self._shown.clear()
        self._fill_sessions()
        self._fill_comments()
        self._show_connection()
        self.render()

    # --- sessions --------------------------------------------------------------------------------

    def refresh_sessions(self) -> None:
        """Recorded sessions re-read from the store, and the lab server asked for its lists (the answers
        redraw the list when they come; until then it shows what is known)."""
        if self.store is not None and self.identity.actor is not None:
            with self.store() as db:
                self._recorded = recorded_sessions(
                    db, self.identity.actor, utc_now(), self.settings.recordings_dir
                )
        elif self.lab is not None:  # a remote mentor: the lab server serves the recordings
            self.lab.submit(
                lambda link: link.recordings(), self._got_recordings, self._failed, key="recordings"
            )
        self._ask_live()
        self._fill_sessions()

    def _ask_live(self) -> None:
        """Which live sessions may be seen, and with video (consent can be withdrawn): asked every few
        seconds; while the server is away one question waits, not one per tick."""
        if self.lab is not None:
            self.lab.submit(lambda link: link.sessions(), self._got_live, self._failed, key="sessions")

    def _got_live(self, listed: list[dict[str, Any]]) -> None:
        live = [LiveSession(s["station"], s["session"], bool(s["video"])) for s in listed]
        self._follow_video(live)
        if live != self._live or not self._heard:
            self._live, self._heard = live, True
            self._fill_sessions()

    def _got_recordings(self, rows: list[dict[str, Any]]) -> None:
        recorded = [
            RecordedSession(r["session"], r["station"], r["scenario"], _from_unix(r["started_at"]), ())
            for r in rows
        ]
        if recorded != self._recorded:
            self._recorded = recorded
            self._fill_sessions()

    def _follow_video(self, live: list[LiveSession]) -> None:
        """A withdrawn video consent closes the video; a granted one opens it."""
        link = self.identity.link
        if self.watch is None or link is None:
            return
        allowed = {(s.station, s.session): s.video for s in live}
        watched = self.watch.live
        video = allowed.get((watched.station, watched.session), False)
        if watched.video and not video and self.watch.video is not None:
            self.video_withdrawn = True
        self.watch.set_video(video, link)
        if video:
            self.video_withdrawn = False

    def _fill_sessions(self) -> None:
        """Redraw the list from what is known, keeping the selection (else the open session) selected."""
        t = self.language.t
        selected = self.session_list.currentItem()
        data = selected.data(Qt.ItemDataRole.UserRole) if selected is not None else None
        current = _key(data) if data is not None else self._current_key()
        self.session_list.clear()
        for live in self._live:
            video = t("视频", "video") if live.video else t("仅骨架", "keypoints")
            self._add_item(f"● {t('直播', 'live')}  {live.station} · {live.session[:8]}  ({video})", live)
        for rec in self._recorded:
            when = rec.started_at.astimezone().strftime("%m-%d %H:%M")
            self._add_item(f"▶ {t('录制', 'recorded')}  {rec.station} · {rec.session[:8]}  {when}", rec)
        if not self.session_list.count():
            asking = self.lab is not None and not self._heard
            empty = QListWidgetItem(
                t("（正在询问实验室服务器……）", "(asking the lab server…)")
                if asking
                else t("（没有可查看的会话）", "(no session you may see)")
            )
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.session_list.addItem(empty)
        for row in range(self.session_list.count()):
            data = self.session_list.item(row).data(Qt.ItemDataRole.UserRole)
            if data is not None and _key(data) == current:
                self.session_list.setCurrentRow(row)

    def _add_item(self, label: str, data: LiveSession | RecordedSession) -> None:
        item = QListWidgetItem(label)
        item.setData(Qt.ItemDataRole.UserRole, data)
        self.session_list.addItem(item)

    def _current_key(self) -> tuple[str, str] | None:
        if self.watch is not None:
            return ("live", self.watch.live.session)
        if self.timeline is not None:
            return ("recorded", self.timeline.session)
        return None

    def open_selected(self) -> None:
        item = self.session_list.currentItem()
        data = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if data is None:
            raise UserError("请先选择一个会话", "select a session first")
        if isinstance(data, LiveSession):
            self.open_live(data)
        else:
            self.open_recording(data)

    def open_live(self, live: LiveSession) -> None:
        link = self.identity.link
        if link is None:
            raise UserError("观看直播需要密钥包", "live sessions need a key bundle")
        self._close_watch()
        self.watch = LiveWatch(link, live)  # SUB sockets: connecting does not wait for the server
        self.timeline = self.watch.timeline
        self.playhead = Playhead(mode=Mode.FOLLOWING, speed=self.playhead.speed)
        self.video_withdrawn = False
        self._opened()

    def open_recording(self, recorded: RecordedSession) -> None:
        """From the store with a lab account; otherwise fetched from the lab server (paged, audited there)."""
        if self.store is not None and self.identity.actor is not None:
            with self.store() as db, db.begin():
                timeline = open_recorded(
                    db, self.identity.actor, recorded.session, utc_now(), self.settings.recordings_dir
                )
        elif self.lab is not None:  # paged and read into a timeline on the worker
            station, session, ticket = recorded.station, recorded.session, self._next_ticket()
            self.lab.submit(
                lambda link: timeline_of(station, session, link.replay(session)),
                lambda timeline: self._got_recording(ticket, timeline),
                self._failed,
                key="open",
            )
            self._say(
                self.language.t("正在从实验室服务器载入录制……", "loading the recording from the lab server…")
            )
            return
        else:
            raise UserError("查看录制需要登录账号或密钥包", "recordings need a lab account or a key bundle")
        self.show_recording(timeline)

    def _got_recording(self, ticket: int, timeline: SessionTimeline) -> None:
        if ticket == self._ticket:  # nothing else was opened meanwhile
            self.show_recording(timeline)

    def show_recording(self, timeline: SessionTimeline) -> None:
        """Replay a recorded session from its start (paused)."""
        self._close_watch()
        self.timeline = timeline
        self.playhead = Playhead(position=timeline.start, mode=Mode.PAUSED, speed=self.playhead.speed)
        self._opened()

    def _next_ticket(self) -> int:
        self._ticket += 1
        return self._ticket

    def _opened(self) -> None:
        self._next_ticket()
        self._shown.clear()
        self.bar.selection = None
        self.scene.camera = None  # framed afresh for this session's course
        self._fill_comments()
        self.status.clear()
        self.render()

    def _close_watch(self) -> None:
        if self.watch is not None:
            self.watch.close()
            self.watch = None

    # --- timeline --------------------------------------------------------------------------------

    def tick(self) -> None:
        now = time.monotonic()
        dt, self._last_tick = now - self._last_tick, now
        if self.watch is not None:
            comments = len(self.watch.timeline.comments)
            self.watch.poll()
            if len(self.watch.timeline.comments) != comments:
                self._fill_comments()
        if self.timeline is not None:
            self.playhead.advance(dt, self.timeline, live=self.watch is not None)
        self.render()

    def seek(self, t: float) -> None:
        if self.timeline is not None:
            self.playhead.seek(t, self.timeline)
            self.render()

    def follow_live(self) -> None:
        if self.watch is not None:
            self.playhead.mode = Mode.FOLLOWING
            self.render()

    def toggle_play(self) -> None:
        if self.playhead.mode is Mode.PAUSED:
            if (
                self.timeline is not None
                and self.playhead.position >= self.timeline.end
                and self.watch is None
            ):
                self.playhead.position = self.timeline.start  # a finished replay plays again
            self.playhead.mode = Mode.PLAYING
        else:
            self.playhead.mode = Mode.PAUSED
        self.render()

    def jump_to_next_alert(self) -> None:
        if self.timeline is not None:
            t = self.timeline.next_cue_after(self.playhead.position)
            if t is not None:
                self.seek(t)

    # --- drawing ---------------------------------------------------------------------------------

    def render(self) -> None:
        t, timeline, pos = self.language.t, self.timeline, self.playhead.position
        self.play_button.setText(
            t("暂停 ❚❚", "Pause ❚❚") if self.playhead.mode is not Mode.PAUSED else t("播放 ▶", "Play ▶")
        )
        self.follow_button.setEnabled(self.watch is not None and self.playhead.mode is not Mode.FOLLOWING)
        self.send_button.setEnabled(self.lab is not None)  # live or recorded, via the lab server
        self._show_badge()
        self.bar.show_at(timeline, pos)
        if timeline is None:
            self.clock.setText("")
            return
        self.clock.setText(f"{clock(pos)} / {clock(timeline.end)}")
        state = timeline.state_at(pos)
        if state is not None and state is not self._shown.get("state"):
            self._shown["state"] = state
            self.scene.set_snapshot(state)
            self._show_metrics(state)
        pose = timeline.pose_at(pos)
        if pose is not self._shown.get("pose"):
            self._shown["pose"] = pose
            self.skeleton.set_pose(pose)
        frame = self.watch.frame if self.watch is not None and self.playhead.mode is Mode.FOLLOWING else None
        if frame is not self._shown.get("frame"):
            self._shown["frame"] = frame
            self.skeleton.set_image(frame)
        worst = timeline.worst_cue_at(pos)
        if worst is not self._shown.get("cue", False):
            self._shown["cue"] = worst
            if worst is None:
                self.banner.clear_cue()
            else:
                self.banner.show_cue(worst.text, worst.severity)
            self.skeleton.set_alert(
                {c.body_part or "" for c in timeline.cues_at(pos) if c.kind == "violation"}
            )
        self.metric_labels["cues"][1].setText(str(len(timeline.cues_at(pos))))
        self.metric_labels["comments"][1].setText(str(len(timeline.comments)))
        self.metric_labels["received"][1].setText(f"{timeline.states} / {timeline.poses}")

    def _show_metrics(self, state: dict[str, Any]) -> None:
        lang, axes, bodies = self.language.lang, state.get("axes", {}), state.get("bodies", {})
        step = _steps(str(state.get("scenario", ""))).get(str(state.get("step")))
        load_z = bodies.get("load", {}).get("position", [0, 0, 0])[2]
        height = load_z - state.get("load_size", [0, 0, 0])[2] / 2
        sway = math.hypot(axes.get("sway_x_deg", 0.0), axes.get("sway_y_deg", 0.0))
        values = {
            "time": clock(float(state["t"])),
            "step": step.get(lang) if step is not None else str(state.get("step", "—")),
            "sway": f"{sway:4.1f}°",
            "height": f"{height:4.2f} m",
            "speed": "{:+.2f} / {:+.2f} / {:+.2f} m/s".format(
                axes.get("bridge_v", 0.0), axes.get("trolley_v", 0.0), axes.get("hoist_v", 0.0)
            ),
        }
        for key, value in values.items():
            self.metric_labels[key][1].setText(value)
        if self.timeline is not None:
            t0 = float(state["t"]) - SWAY_WINDOW_S
            series = self.timeline.sway(t0, float(state["t"]))
            series = series[:: max(1, len(series) // CHART_POINTS)]
            self.chart.plot(self.language.t("摆角 (°)", "Sway (°)"), {"sway": series})

    def _show_badge(self) -> None:
        t = self.language.t
        if self.watch is None:
            text, style = (t("回放", "REPLAY"), "background: #1f6fb2;") if self.timeline else ("", "")
        elif self.playhead.mode is not Mode.FOLLOWING:
            text, style = t("直播 · 已暂停/回看", "LIVE · paused/scrubbing"), "background: #555;"
        else:
            age = self.watch.age_s()
            if age is not None and age <= STALE_AFTER_S:
                text, style = t("● 直播", "● LIVE"), "background: #2a8a3a;"
            else:
                waited = "—" if age is None else f"{age:.0f} s"
                text, style = t(f"无新数据 {waited}", f"STALE {waited}"), "background: #c08000;"
        self.badge.setText(text)
        self.badge.setStyleSheet(f"{style} color: white; font-weight: bold; padding: 4px;" if text else "")
        if self.watch is None:
            video = ""
        elif self.watch.video is not None:
            video = t("视频（已获同意）", "video (consented)")
        elif self.video_withdrawn:
            video = t("视频已撤回：仅骨架", "video withdrawn: keypoints only")
        else:
            video = t("仅骨架关键点（无视频授权）", "keypoints only (no video permission)")
        self.video_state.setText(video)

    # --- comments --------------------------------------------------------------------------------

    def _fill_comments(self) -> None:
        self.comment_list.clear()
        if self.timeline is None:
            return
        for comment in self.timeline.comments:
            note = comment.annotation
            at = self.timeline.comment_time(comment)
            when = f"[{clock(note.start)}–{clock(note.end)}]" if note.start is not None else clock(at or 0.0)
            item = QListWidgetItem(f"{when}  {comment.role} {comment.author}: {note.text}")
            item.setData(Qt.ItemDataRole.UserRole, note.start if note.start is not None else at)
            self.comment_list.addItem(item)
        waiting = self.language.t("等待发送", "waiting to be sent")
        for out in self._outbox:
            if (out.station, out.session) == (self.timeline.station, self.timeline.session):
                when = f"[{clock(out.span[0])}–{clock(out.span[1])}]  " if out.span is not None else ""
                item = QListWidgetItem(f"⏳ {when}({waiting}) {out.text}")
                item.setData(Qt.ItemDataRole.UserRole, out.span[0] if out.span is not None else None)
                self.comment_list.addItem(item)
        self.comment_list.scrollToBottom()

    def _seek_to_comment(self, item: QListWidgetItem) -> None:
        at = item.data(Qt.ItemDataRole.UserRole)
        if at is not None:
            self.seek(float(at))

    def _use_range(self, start: float, end: float) -> None:
        self.range_from.setValue(start)
        self.range_to.setValue(end)
        self.ranged.setChecked(True)

    def send_comment(self) -> None:
        """Through the lab server: on a live session to the student's station, other viewers and the
        recording; on a recorded one, stored with its recordings. Queued while the server is away."""
        if self.lab is None or self.timeline is None:
            raise UserError(
                "发表评论需要密钥包和一个打开的会话", "comments need a key bundle and an open session"
            )
        words = self.comment_text.text().strip()
        if not words:
            raise UserError("评论不能为空", "the comment is empty")
        ranged = span(self.range_from.value(), self.range_to.value()) if self.ranged.isChecked() else None
        out = Outgoing(self.timeline.station, self.timeline.session, words, ranged)
        self._outbox.append(out)
        self.lab.submit(
            lambda link: link.comment(out.station, out.session, out.text, out.span),
            lambda _seq: self._comment_sent(out),
            lambda error: self._comment_refused(out, error),
        )
        self.comment_text.clear()
        self.ranged.setChecked(False)
        self.bar.selection = None
        t = self.language.t
        self._say(
            t("评论发送中……", "sending the comment…")
            if self.lab.reachable
            else t("评论已排队：实验室服务器恢复后发送", "comment queued: sent when the lab server answers")
        )
        self._fill_comments()
        self._show_connection()

    def _comment_sent(self, out: Outgoing) -> None:
        self._outbox.remove(out)
        self._say(self.language.t("评论已发送", "comment sent"))
        self._fill_comments()
        self._show_connection()

    def _comment_refused(self, out: Outgoing, error: UserError) -> None:
        """The server said no (e.g. the invitation ended): say so, and give the words back to edit."""
        self._outbox.remove(out)
        t = self.language.t
        self._say(f"⚠ {t('评论未发送', 'comment not sent')}: {error.message(self.language.lang)}", error=True)
        if not self.comment_text.text():
            self.comment_text.setText(out.text)
        self._fill_comments()
        self._show_connection()

    # --- plumbing --------------------------------------------------------------------------------

    def _guarded(self, action: Callable[[], Any]) -> Callable[..., None]:
        """A slot that shows a UserError on the status line instead of raising."""

        def slot(*_: object) -> None:
            try:
                action()
            except UserError as error:
                self._say("⚠ " + error.message(self.language.lang), error=True)

        return slot

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setStyleSheet("color: #b00;" if error else "color: #2a6a3a;")
        self.status.setText(text)

    def _failed(self, error: UserError) -> None:
        self._say("⚠ " + error.message(self.language.lang), error=True)

    def _server_changed(self) -> None:
        if self.lab is not None and self.lab.reachable:
            self._say(self.language.t("实验室服务器已恢复", "the lab server answers again"))
        self._show_connection()

    def _show_connection(self) -> None:
        """One line: the server not answering (what is shown stays usable), comments waiting."""
        t, parts = self.language.t, []
        if self.lab is not None and not self.lab.reachable:
            parts.append(f"⚠ {UNREACHABLE.get(self.language.lang)}")
            parts.append(t("已载入的内容仍可查看", "what is loaded stays viewable"))
        if self._outbox:
            n = len(self._outbox)
            parts.append(t(f"{n} 条评论待发送", f"{n} comment(s) waiting to be sent"))
        self.connection.setText(t("；", "; ").join(parts))

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._outbox and not self._drop_unsent():
            event.ignore()
            return
        self.close_links()
        super().closeEvent(event)

    def _drop_unsent(self) -> bool:
        """Closing with comments not yet sent loses them: ask first."""
        t, n = self.language.t, len(self._outbox)
        answer = QMessageBox.question(
            self,
            self.windowTitle(),
            t(
                f"还有 {n} 条评论未送达实验室服务器，关闭将丢失。仍要关闭吗？",
                f"{n} comment(s) have not reached the lab server and will be lost. Close anyway?",
            ),
        )
        return answer == QMessageBox.StandardButton.Yes

    def close_links(self) -> None:
        """Stop polling and the request worker (a request in flight is abandoned); safe to call twice."""
        self.timer.stop()
        self.session_timer.stop()
        self._close_watch()
        if self.lab is not None:
            self.lab.close()


def _from_unix(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _key(data: LiveSession | RecordedSession) -> tuple[str, str]:
    return ("live" if isinstance(data, LiveSession) else "recorded", data.session)
