"""The end-of-attempt debrief: what was asked and why, what happened, what the coach saw, what changed.

A plain record (JSON-ready with `to_dict`) that the CLI prints, the HTML report plots and the
station app shows; `lines` renders the human summary in one language.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from lab.bus.text import Lang, Text
from scenarios.explain import headline


@dataclass(frozen=True)
class Debrief:
    session_id: str
    attempt_id: int
    learner: str
    scenario: str
    station: str
    operator: str
    poses: Text
    booking: Text
    params: dict[str, Any]
    seed: int
    predicted_success: float
    explanation: dict[str, Any]
    result: dict[str, Any]  # the scene's result: passed, score, sub_scores, deductions, critical, metrics
    coach: dict[str, Any]  # `coaching.summarise`
    sway: list[tuple[float, float]]  # (session s, sway °), 10 Hz
    steps: list[tuple[float, str]]  # (session s, task-chain step entered)
    skills_before: dict[str, dict[str, float]]
    skills_after: dict[str, dict[str, float]]
    recording: str | None
    messages: dict[str, int]  # recorded per kind (pose, state, events)
    privacy: dict[str, Any]
    next_plan: dict[str, Any] | None = None  # preview of the next attempt's explanation
    wall_s: float = 0.0
    skipped: list[dict[str, str]] = field(default_factory=list)  # parts of the chain not run, and why
    published: dict[str, int] = field(default_factory=dict)  # sent live per kind (pose and state paced)

    @property
    def passed(self) -> bool:
        return bool(self.result["passed"])

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["poses"] = self.poses.to_dict()
        data["booking"] = self.booking.to_dict()
        data["sway"] = [[round(t, 3), round(s, 3)] for t, s in self.sway]
        return data

    def lines(self, lang: Lang) -> list[str]:
        """The human debrief: parameters and why, score, coach events, how the estimates moved."""
        r, e = self.result, self.explanation
        say = lambda zh, en: Text(zh=zh, en=en).get(lang)  # noqa: E731
        verdict = say("通过", "PASSED") if self.passed else say("未通过", "FAILED")
        out = explanation_lines(e, lang)
        faults = r["params"].get("faults") or []
        out.append(
            say(
                f"  注入故障：{', '.join(faults) or '无'}",
                f"  injected faults: {', '.join(faults) or 'none'}",
            )
        )
        out.extend(f"  {change_text(c).get(lang)}" for c in r.get("changes", ()))
        out.append(
            say(
                f"结果：{verdict}，得分 {r['score']:.1f}（预测通过率 {self.predicted_success:.0%}），用时 {r['sim_s']:.1f} s",
                f"result: {verdict}, score {r['score']:.1f} (predicted pass {self.predicted_success:.0%}), {r['sim_s']:.1f} s",
            )
        )
        if r["critical"]:
            out.append(
                say(f"  严重错误：{', '.join(r['critical'])}", f"  critical: {', '.join(r['critical'])}")
            )
        if r["deductions"]:
            lost = ", ".join(f"{k} −{v:g}" for k, v in r["deductions"].items())
            out.append(say(f"  扣分：{lost}", f"  deductions: {lost}"))
        subs = ", ".join(f"{k} {v:.2f}" for k, v in r["sub_scores"].items())
        out.append(say(f"  分项：{subs}", f"  sub-scores: {subs}"))
        findings = [ev for ev in self.coach["timeline"] if ev["kind"] != "cannot_judge"]
        out.append(
            say(
                f"教练：{len(findings)} 个事件，REBA 最高 {self.coach['reba_max']}",
                f"coach: {len(findings)} events, REBA max {self.coach['reba_max']}",
            )
        )
        out.extend(f"  {ev['onset']:6.1f}s  [{ev['severity']}] {ev['cue'][lang]}" for ev in findings)
        moves = ", ".join(
            f"{k} {self.skills_before[k]['theta']:+.2f}→{v['theta']:+.2f}"
            for k, v in self.skills_after.items()
        )
        out.append(say(f"技能估计 θ：{moves}", f"skill estimates θ: {moves}"))
        if self.next_plan is not None:
            out.append(say("下一次练习将这样调整：", "the next attempt adapts:"))
            out.extend(f"  {line}" for line in adaptation_lines(self.explanation, self.next_plan, lang))
        for part in self.skipped:
            out.append(say(f"已跳过：{part['zh']}", f"skipped: {part['en']}"))
        return out


def change_text(change: dict[str, Any]) -> Text:
    """One live change (an instructor's, during the attempt) as the debrief and the report show it."""
    t = change["t"]
    if change["action"] == "set_wind":
        return Text(
            zh=f"{t:.1f} s 时教师改变风速：平均 {change['wind_mps']:g} m/s，阵风 {change['gust_mps']:g} m/s",
            en=f"at {t:.1f} s the instructor set the wind to {change['wind_mps']:g} m/s, gusts {change['gust_mps']:g} m/s",
        )
    return Text(
        zh=f"{t:.1f} s 时教师注入故障 {change['fault']}",
        en=f"at {t:.1f} s the instructor injected fault {change['fault']}",
    )


def explanation_lines(explanation: dict[str, Any], lang: Lang) -> list[str]:
    """The generator's explanation: summary, focus, target, then each parameter with its rules."""
    e = explanation
    lines = headline(e, lang)
    for p in e["parameters"]:
        rules = "; ".join(r[lang] for r in p["rule_text"])
        lines.append(f"  {p['text'][lang]}" + (f" [{rules}]" if rules else ""))
    return lines


def adaptation_lines(before: dict[str, Any], after: dict[str, Any], lang: Lang) -> list[str]:
    """How the next attempt's plan differs from this one: focus, target, and each changed parameter."""
    lines = []
    if after.get("moved"):
        lines.append(after["moved"]["text"][lang])
    lines.append(after["summary"][lang])
    old = {p["name"]: p for p in before["parameters"]}
    for p in after["parameters"]:
        prior = old.get(p["name"])
        if prior is not None and prior["value"] != p["value"]:
            unit = f" {p['unit']}" if p["unit"] else ""
            lines.append(f"{p['title'][lang]}: {prior['value']} → {p['value']}{unit}")
    return lines
