"""The time bar under the scene: what is held, coach alerts as ranges, annotations and comments, the
playhead. Click or drag to scrub; Shift-drag (or right-drag) selects a time range to annotate
(shared/reference/bus_booking_privacy.md §1.9: alert markers and annotations as time-range events)."""

from __future__ import annotations

from PyQt6.QtCore import QPointF, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen
from PyQt6.QtWidgets import QSizePolicy, QWidget

from station_app.mentor.annotations import clock
from station_app.mentor.timeline import SessionTimeline

SEVERITY_COLOURS = {
    "info": QColor(31, 111, 178),
    "warning": QColor(240, 160, 32),
    "critical": QColor(212, 32, 32),
}
ANNOTATION, COMMENT, PLAYHEAD = QColor(160, 90, 220), QColor(200, 160, 255), QColor(255, 255, 255)
MARGIN = 8


class TimelineBar(QWidget):
    seeked = pyqtSignal(float)
    selected = pyqtSignal(float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(64)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.timeline: SessionTimeline | None = None
        self.position = 0.0
        self.selection: tuple[float, float] | None = None
        self._anchor: float | None = None  # where a range selection started

    def show_at(self, timeline: SessionTimeline | None, position: float) -> None:
        self.timeline, self.position = timeline, position
        self.update()

    # --- geometry --------------------------------------------------------------------------------

    def _span(self) -> tuple[float, float]:
        assert self.timeline is not None
        start, end = self.timeline.start, self.timeline.end
        return start, max(end, start + 1.0)

    def x_of(self, t: float) -> float:
        start, end = self._span()
        return MARGIN + (t - start) / (end - start) * (self.width() - 2 * MARGIN)

    def t_of(self, x: float) -> float:
        start, end = self._span()
        fraction = (x - MARGIN) / max(1.0, self.width() - 2 * MARGIN)
        return start + min(1.0, max(0.0, fraction)) * (end - start)

    # --- mouse -----------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self.timeline is None:
            return
        t = self.t_of(event.position().x())
        ranged = event.button() == Qt.MouseButton.RightButton or bool(
            event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        )
        if ranged:
            self._anchor = t
            self.selection = (t, t)
            self.update()
        else:
            self._anchor = None
            self.seeked.emit(t)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self.timeline is None:
            return
        t = self.t_of(event.position().x())
        if self._anchor is not None:
            self.selection = (min(self._anchor, t), max(self._anchor, t))
            self.update()
        elif event.buttons() & Qt.MouseButton.LeftButton:
            self.seeked.emit(t)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        del event
        if self._anchor is not None and self.selection is not None:
            self.selected.emit(*self.selection)
        self._anchor = None

    def select(self, start: float, end: float) -> None:
        """Set a range selection programmatically (as Shift-drag would)."""
        self.selection = (min(start, end), max(start, end))
        self.selected.emit(*self.selection)
        self.update()

    # --- drawing ---------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        del event
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(34, 38, 46))
        if self.timeline is None or not self.timeline.states:
            p.end()
            return
        timeline, h = self.timeline, self.height()
        p.fillRect(QRectF(MARGIN, 20, self.width() - 2 * MARGIN, 14), QColor(70, 78, 90))  # held data
        for cue in timeline.cues:
            colour = SEVERITY_COLOURS.get(cue.severity, SEVERITY_COLOURS["info"])
            end = cue.end if cue.end is not None else timeline.end
            x0, x1 = self.x_of(cue.onset), self.x_of(end)
            p.fillRect(QRectF(x0, 20, max(2.0, x1 - x0), 14), colour)
        for comment in timeline.comments:
            note = comment.annotation
            if note.start is not None and note.end is not None:
                x0, x1 = self.x_of(note.start), self.x_of(note.end)
                p.fillRect(QRectF(x0, 38, max(2.0, x1 - x0), 8), ANNOTATION)
            at = timeline.comment_time(comment)
            if at is not None and timeline.start <= at <= timeline.end:
                x = self.x_of(at)
                p.setPen(QPen(COMMENT, 2))
                p.drawLine(QPointF(x, 36), QPointF(x, 48))
        if self.selection is not None:
            x0, x1 = self.x_of(self.selection[0]), self.x_of(self.selection[1])
            p.fillRect(QRectF(x0, 16, max(2.0, x1 - x0), 34), QColor(255, 255, 255, 60))
        x = self.x_of(self.position)
        p.setPen(QPen(PLAYHEAD, 2))
        p.drawLine(QPointF(x, 14), QPointF(x, 52))
        p.setFont(QFont("WenQuanYi Micro Hei", 8))
        p.setPen(QColor(200, 200, 200))
        start, end = self._span()
        p.drawText(QPointF(MARGIN, 12), clock(start))
        end_label = clock(end)
        p.drawText(
            QPointF(self.width() - MARGIN - p.fontMetrics().horizontalAdvance(end_label), 12), end_label
        )
        p.drawText(QPointF(max(MARGIN, min(x - 20, self.width() - 60)), h - 4), clock(self.position))
        p.end()
