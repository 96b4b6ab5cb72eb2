"""The zh/en switch: one `Language` object per window that widgets follow.

Widgets keep `Text` (both languages) and re-render on `changed`; nothing is translated by lookup
tables, so a string shown in the UI always exists in both languages where it is written.
"""

from __future__ import annotations

from typing import ClassVar

from PyQt6.QtCore import QObject, pyqtSignal
from PyQt6.QtWidgets import QComboBox

from lab.bus.text import LANGS, Lang, Text


class Language(QObject):
    """The window's current language; `changed` fires after a switch."""

    changed = pyqtSignal(str)

    def __init__(self, lang: Lang) -> None:
        super().__init__()
        self.lang: Lang = lang

    def set(self, lang: Lang) -> None:
        if lang != self.lang:
            self.lang = lang
            self.changed.emit(lang)

    def t(self, zh: str, en: str) -> str:
        return Text(zh, en).get(self.lang)

    def text(self, text: Text | dict[str, str]) -> str:
        return text.get(self.lang) if isinstance(text, Text) else text[self.lang]


class LanguageSwitch(QComboBox):
    """中文 / English, bound to a `Language`."""

    NAMES: ClassVar[dict[str, str]] = {"zh": "中文", "en": "English"}

    def __init__(self, language: Language) -> None:
        super().__init__()
        self.language = language
        for lang in LANGS:
            self.addItem(self.NAMES[lang], lang)
        self.setCurrentIndex(LANGS.index(language.lang))
        self.currentIndexChanged.connect(lambda i: language.set(self.itemData(i)))
        language.changed.connect(lambda lang: self.setCurrentIndex(LANGS.index(lang)))
