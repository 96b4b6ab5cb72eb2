"""The coach's cue, impossible to miss: a full-width banner in the severity's colour, large type,
flashing while a critical cue is new; optionally spoken (Qt TextToSpeech, when the platform has it)."""

from __future__ import annotations

from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QLabel, QSizePolicy

from lab.bus.text import Lang, Text

STYLE = {
    "none": ("#2c3440", "#c8d0da"),
    "info": ("#1f6fb2", "#ffffff"),
    "warning": ("#f0a020", "#111111"),
    "critical": ("#d42020", "#ffffff"),
}
FLASH_MS = 250
FLASHES = 8  # a new critical cue flashes for 2 s, then stays lit
IDLE = Text(zh="教练：暂无提示", en="Coach: no cue")


class CueBanner(QLabel):
    def __init__(self, lang: Lang = "en", font_pt: int = 22) -> None:
        super().__init__()
        self.lang: Lang = lang
        self.font_pt = font_pt  # a cue's type size (smaller on the instructor's grid of cards)
        self.cue: Text | None = None
        self.severity = "none"
        self.setWordWrap(True)
        self.setMinimumHeight(72)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)  # grows to fit two lines
        self._flashes_left = 0
        self._lit = True
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._flash)
        self._speech = None
        self._render()

    def show_cue(self, cue: Text, severity: str) -> None:
        self.cue, self.severity = cue, severity if severity in STYLE else "info"
        self._flashes_left = FLASHES if self.severity == "critical" else 0
        self._lit = True
        if self._flashes_left:
            self._timer.start(FLASH_MS)
        self._render()
        if self._speech is not None:
            self._speech.say(cue.get(self.lang))

    def clear_cue(self) -> None:
        self.cue, self.severity, self._flashes_left = None, "none", 0
        self._timer.stop()
        self._render()

    def set_lang(self, lang: Lang) -> None:
        self.lang = lang
        self._render()

    def enable_speech(self, on: bool) -> bool:
        """Speak new cues; False when this platform has no speech engine (the banner still shows them)."""
        if not on:
            self._speech = None
            return True
        try:
            from PyQt6.QtTextToSpeech import QTextToSpeech
        except ImportError:
            return False
        engine = QTextToSpeech(self)
        if engine.state() == QTextToSpeech.State.Error:
            return False
        self._speech = engine
        return True

    def _flash(self) -> None:
        self._flashes_left -= 1
        self._lit = not self._lit if self._flashes_left > 0 else True
        if self._flashes_left <= 0:
            self._timer.stop()
        self._render()

    def _render(self) -> None:
        background, colour = STYLE[self.severity]
        if not self._lit:
            background, colour = colour, background
        text = (self.cue or IDLE).get(self.lang)
        size = self.font_pt if self.cue is not None else min(14, self.font_pt)
        self.setText(("⚠ " if self.severity in ("warning", "critical") else "") + text)
        self.setStyleSheet(
            f"QLabel {{ background: {background}; color: {colour}; font-size: {size}pt; font-weight: bold;"
            f" padding: 10px; border-radius: 6px; font-family: 'WenQuanYi Micro Hei'; }}"
        )
