"""A small line chart drawn with QPainter (sway over time, skill estimates across attempts): cheap
enough to redraw live, no plotting backend to load in a Qt app."""

from __future__ import annotations

from collections.abc import Sequence

from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen, QPolygonF
from PyQt6.QtWidgets import QWidget

PALETTE = ("#3b8ee0", "#e0883b", "#3bbf6a", "#c84bd1", "#d8c23a", "#e04b4b")


class LineChart(QWidget):
    """Named series of (x, y) points, optional shaded x-spans (e.g. task steps) and a y band."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(260, 140)
        self.title = ""
        self.series: dict[str, Sequence[tuple[float, float]]] = {}
        self.spans: list[tuple[float, float, str]] = []
        self.y_range: tuple[float, float] | None = None

    def plot(
        self,
        title: str,
        series: dict[str, Sequence[tuple[float, float]]],
        spans: list[tuple[float, float, str]] | None = None,
        y_range: tuple[float, float] | None = None,
    ) -> None:
        self.title, self.series, self.spans, self.y_range = title, series, spans or [], y_range
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        del event
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("white"))
        p.setFont(QFont("WenQuanYi Micro Hei", 9))
        p.setPen(QColor("#222"))
        p.drawText(QRectF(6, 2, self.width() - 12, 18), Qt.AlignmentFlag.AlignLeft, self.title)
        area = QRectF(44, 24, self.width() - 56, self.height() - 44)
        points = [pt for s in self.series.values() for pt in s]
        if not points:
            p.end()
            return
        xs, ys = [x for x, _ in points], [y for _, y in points]
        x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
        y0, y1 = self.y_range or (min(0.0, min(ys)), max(ys) if max(ys) > min(0.0, min(ys)) else 1.0)
        at = lambda x, y: QPointF(  # noqa: E731
            area.left() + (x - x0) / (x1 - x0) * area.width(),
            area.bottom() - (y - y0) / ((y1 - y0) or 1) * area.height(),
        )
        for i, (a, b, label) in enumerate(self.spans):
            shade = QColor(230, 236, 245) if i % 2 == 0 else QColor(245, 245, 245)
            left, right = at(a, y1), at(min(b, x1), y0)
            p.fillRect(QRectF(left, right), shade)
            if right.x() - left.x() > p.fontMetrics().horizontalAdvance(label) + 4:  # labels that fit
                p.setPen(QColor("#667"))
                p.drawText(left + QPointF(2, 12), label)
        p.setPen(QPen(QColor("#888"), 1))
        p.drawRect(area)
        p.drawText(QPointF(4, area.top() + 10), f"{y1:.3g}")
        p.drawText(QPointF(4, area.bottom()), f"{y0:.3g}")
        p.drawText(QPointF(area.left(), area.bottom() + 14), f"{x0:.3g}")
        p.drawText(QPointF(area.right() - 30, area.bottom() + 14), f"{x1:.3g}")
        legend_x = area.right() - sum(12 + p.fontMetrics().horizontalAdvance(n) for n in self.series)
        for i, (name, data) in enumerate(self.series.items()):
            colour = QColor(PALETTE[i % len(PALETTE)])
            p.setPen(QPen(colour, 2))
            p.drawPolyline(QPolygonF([at(x, y) for x, y in data]))
            for x, y in data if len(data) < 30 else ():
                p.drawEllipse(at(x, y), 2.5, 2.5)
            p.drawText(QPointF(legend_x, area.top() - 6), name)
            legend_x += 12 + p.fontMetrics().horizontalAdvance(name)
        p.end()
