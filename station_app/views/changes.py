"""The text of a live change to a session (a `session.control` event from the runtime), as the
station, the instructor console and any viewer show it."""

from __future__ import annotations

from typing import Any

from lab.bus.text import Text


def change_text(event: dict[str, Any]) -> Text:
    """One line for a `session.control` event: what changed at what time, or why it was refused."""
    if event.get("action") == "inject_fault":
        what = Text(f"注入故障 {event.get('fault')}", f"fault {event.get('fault')} injected")
    else:
        what = Text(f"风速改为 {event.get('wind_mps')} m/s", f"wind set to {event.get('wind_mps')} m/s")
    at = f"{float(event.get('t', 0.0)):.1f} s"
    if event.get("accepted"):
        return Text(f"{at}：{what.zh}", f"{at}: {what.en}")
    why = event.get("error") or {"zh": "", "en": ""}
    return Text(f"{at}：拒绝（{what.zh}）：{why['zh']}", f"{at}: refused ({what.en}): {why['en']}")
