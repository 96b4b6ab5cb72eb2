"""Bilingual text and user-facing errors.

Every user-facing string exists in Simplified Chinese and English; `Text` carries both so that
the choice of language is made only where text is shown (CLI, Qt apps, a mentor's viewer),
and so that cues and explanations cross the bus and the store with both languages intact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")


@dataclass(frozen=True, slots=True)
class Text:
    """A string in Simplified Chinese and English."""

    zh: str
    en: str

    def get(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.en

    def to_dict(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}

    @classmethod
    def from_dict(cls, data: object) -> Text:
        """Parse `{"zh": ..., "en": ...}`; raises ValueError on anything else."""
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in LANGS):
            raise ValueError("bilingual text needs string fields 'zh' and 'en'")
        return cls(zh=data["zh"], en=data["en"])


class UserError(Exception):
    """Something the user gave is wrong (file, parameter, id, URL, device).

    Front ends show it as one line in the user's language and exit with status 2; it is never
    shown as a traceback. Packages raise it, or subclasses of it, for every bad-input path.
    """

    exit_code = 2

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.text = Text(zh=zh, en=en)

    def message(self, lang: Lang) -> str:
        return self.text.get(lang)
