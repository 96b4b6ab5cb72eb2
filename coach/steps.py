"""Step order: skipped or out-of-order steps of the task chain, judged at each step change."""

from __future__ import annotations

from collections.abc import Sequence

from coach.events import CoachEvent
from lab.bus.text import Text


class StepOrderChecker:
    """Compares the steps the scene reports with the task chain's expected order."""

    def __init__(self, expected: Sequence[str]) -> None:
        self.expected = list(expected)
        self._current: str | None = None
        self._done: list[str] = []

    def update(self, t: float, step_id: str | None) -> list[CoachEvent]:
        if step_id is None or step_id == self._current:
            return []
        self._current = step_id
        events: list[CoachEvent] = []
        if step_id not in self.expected:
            return [
                self._event(
                    t,
                    step_id,
                    "unknown",
                    Text(
                        zh=f"步骤“{step_id}”不在任务链中。", en=f"Step '{step_id}' is not in the task chain."
                    ),
                )
            ]
        index = self.expected.index(step_id)
        if step_id in self._done or any(self.expected.index(d) > index for d in self._done):
            events.append(
                self._event(
                    t,
                    step_id,
                    "out_of_order",
                    Text(zh=f"步骤“{step_id}”顺序错误。", en=f"Step '{step_id}' is out of order."),
                )
            )
        skipped = [s for s in self.expected[:index] if s not in self._done]
        if skipped and not events:
            names = "、".join(skipped)
            events.append(
                self._event(
                    t,
                    step_id,
                    "skipped",
                    Text(
                        zh=f"开始“{step_id}”前跳过了：{names}。",
                        en=f"Skipped before '{step_id}': {', '.join(skipped)}.",
                    ),
                    skipped=skipped,
                )
            )
        self._done.append(step_id)
        return events

    def finish(self, t: float) -> list[CoachEvent]:
        """At the end of the stream: steps never reached."""
        missing = [s for s in self.expected if s not in self._done]
        if not missing or not self._done:
            return []
        return [
            self._event(
                t,
                None,
                "not_reached",
                Text(zh=f"未完成的步骤：{'、'.join(missing)}。", en=f"Steps not done: {', '.join(missing)}."),
                skipped=missing,
            )
        ]

    @staticmethod
    def _event(
        t: float, step_id: str | None, what: str, cue: Text, skipped: list[str] | None = None
    ) -> CoachEvent:
        return CoachEvent(
            rule_id=f"steps.{what}",
            kind="step_order",
            severity="warning",
            body_part="",
            onset=t,
            detected_at=t,
            end=t,
            cue=cue,
            step_id=step_id,
            detail={"skipped": skipped} if skipped else {},
        )
