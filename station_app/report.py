"""Self-contained HTML debrief report: plots embedded as PNG data, no external files or scripts.

The report is what a student or instructor keeps after a demo or a series of attempts: per attempt,
the parameters and why they were chosen, the result, the sway over time and the coach events on a
timeline; across attempts, how the skill estimates moved.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")  # headless: never needs a display
import matplotlib.pyplot as plt
from matplotlib import font_manager

from lab.bus.text import Lang, Text
from scenarios.spec import get_spec
from station_app.runtime.debrief import Debrief, adaptation_lines, change_text, explanation_lines

# Matplotlib needs a CJK-capable font for the Chinese report; the set-up installs WenQuanYi Micro Hei.
CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC")
plt.rcParams["font.sans-serif"] = [*CJK_FONTS, "DejaVu Sans"]
plt.rcParams["axes.unicode_minus"] = False


def _register_cjk_font() -> None:
    """Matplotlib's font cache predates a font installed after its first use: add the CJK font then."""
    if not {f.name for f in font_manager.fontManager.ttflist} & set(CJK_FONTS):
        for path in font_manager.findSystemFonts():
            if "wqy" in path.lower() or "notosanscjk" in path.lower().replace("-", ""):
                font_manager.fontManager.addfont(path)


_register_cjk_font()


@dataclass(frozen=True)
class CoachEventMark:
    """A coach event on the timeline: start, end, what it was and how serious."""

    t_start: float
    t_end: float
    label: str
    severity: str  # "info" | "warning" | "critical"


@dataclass(frozen=True)
class AttemptSection:
    """Everything the report says about one attempt."""

    title: str
    rows: Sequence[tuple[str, str]]  # (label, value) summary rows
    explanation: Sequence[str]  # one line per parameter: value, skill, why
    sway: Sequence[tuple[float, float]]  # (t, sway_deg)
    steps: Sequence[tuple[float, str]]  # (t, title of the task-chain step entered), shaded on the sway plot
    coach_events: Sequence[CoachEventMark]
    passed: bool
    adapts: Sequence[str] = ()  # how the next attempt changes because of this one


@dataclass(frozen=True)
class Report:
    title: str
    intro: str
    attempts: Sequence[AttemptSection]
    # skill label -> (θ, sd) before the first attempt and after each one
    skills: dict[str, Sequence[tuple[float, float]]] = field(default_factory=dict)


LABELS = {
    "passed": Text("通过", "passed"),
    "failed": Text("未通过", "failed"),
    "why": Text("参数及选择理由", "Parameters and why they were chosen"),
    "sway": Text("摆角 (°)", "sway (°)"),
    "time": Text("时间 (s)", "time (s)"),
    "events": Text("教练事件", "coach events"),
    "skills": Text("各技能估计 θ（±1 标准差）随练习变化", "Skill estimates θ (±1 sd) across attempts"),
    "start": Text("开始前", "before"),
    "after": Text("第 {n} 次后", "after {n}"),
    "adapts": Text("下一次练习如何调整", "How the next attempt adapts"),
    "attempt_n": Text("第 {n} 次练习", "Attempt {n}"),
    "no_events": Text("无教练事件", "no coach events"),
}

STEP_SHADES = ("#f2f2f2", "#e2e8f0")
SEVERITY_COLOURS = {"info": "#4c78a8", "warning": "#f58518", "critical": "#e45756"}


def render_html(report: Report, lang: Lang) -> str:
    label = {key: text.get(lang) for key, text in LABELS.items()}
    parts = [
        f"<!doctype html><html lang='{'zh-CN' if lang == 'zh' else 'en'}'><head><meta charset='utf-8'>",
        f"<title>{_e(report.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(report.title)}</h1><p>{_e(report.intro)}</p>",
    ]
    for attempt in report.attempts:
        verdict = label["passed"] if attempt.passed else label["failed"]
        parts.append(
            f"<section><h2>{_e(attempt.title)} — <span class='{'passed' if attempt.passed else 'failed'}'>{_e(verdict)}</span></h2>"
        )
        parts.append(
            "<table>" + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in attempt.rows)
        )
        parts.append("</table>")
        parts.append(f"<h3>{_e(label['why'])}</h3><ul>")
        parts.extend(f"<li>{_e(line)}</li>" for line in attempt.explanation)
        parts.append("</ul>")
        parts.append(_img(_attempt_figure(attempt, label)))
        if attempt.adapts:
            parts.append(f"<h3>{_e(label['adapts'])}</h3><ul>")
            parts.extend(f"<li>{_e(line)}</li>" for line in attempt.adapts)
            parts.append("</ul>")
        parts.append("</section>")
    if report.skills:
        parts.append(
            f"<section><h2>{_e(label['skills'])}</h2>{_img(_skills_figure(report.skills, label))}</section>"
        )
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(report: Report, path: Path, lang: Lang) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report, lang), encoding="utf-8")
    return path


def _attempt_figure(attempt: AttemptSection, label: dict[str, str]) -> plt.Figure:
    figure, (sway_axes, events_axes) = plt.subplots(
        2, 1, figsize=(8, 3.6), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    end = attempt.sway[-1][0] if attempt.sway else 0.0
    for k, (start, title) in enumerate(attempt.steps):
        stop = attempt.steps[k + 1][0] if k + 1 < len(attempt.steps) else end
        sway_axes.axvspan(start, stop, color=STEP_SHADES[k % len(STEP_SHADES)], alpha=0.5, linewidth=0)
        sway_axes.text(
            start, 1.0, f" {title}", transform=sway_axes.get_xaxis_transform(), va="top", fontsize=7
        )
    if attempt.sway:
        times, sway = zip(*attempt.sway, strict=True)
        sway_axes.plot(times, sway, color="#4c78a8", linewidth=1.2)
    sway_axes.set_ylabel(label["sway"])
    sway_axes.grid(alpha=0.3)
    for row, event in enumerate(attempt.coach_events):
        colour = SEVERITY_COLOURS.get(event.severity, "#888888")
        events_axes.barh(row, max(event.t_end - event.t_start, 0.05), left=event.t_start, color=colour)
        events_axes.text(event.t_start, row, f" {event.label}", va="center", fontsize=7)
    if not attempt.coach_events:
        events_axes.text(
            0.5, 0.5, label["no_events"], transform=events_axes.transAxes, ha="center", va="center"
        )
    events_axes.set_yticks([])
    events_axes.set_ylabel(label["events"])
    events_axes.set_xlabel(label["time"])
    figure.tight_layout()
    return figure


def _skills_figure(skills: dict[str, Sequence[tuple[float, float]]], label: dict[str, str]) -> plt.Figure:
    figure, axes = plt.subplots(figsize=(8, 3))
    count = 0
    for name, points in skills.items():
        theta = np.array([p[0] for p in points])
        sd = np.array([p[1] for p in points])
        x = np.arange(len(points))
        axes.plot(x, theta, marker="o", label=name)
        axes.fill_between(x, theta - sd, theta + sd, alpha=0.12)
        count = max(count, len(points))
    axes.set_xticks(range(count))
    axes.set_xticklabels([label["start"], *(label["after"].format(n=n) for n in range(1, count))])
    axes.axhline(0.0, color="#888888", linewidth=0.6)
    axes.set_ylabel("θ")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    return figure


def _img(figure: plt.Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    plt.close(figure)
    return f"<img alt='' src='data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}'>"


def _e(text: str) -> str:
    return html.escape(str(text))


_CSS = """
body{font-family:'WenQuanYi Micro Hei','Noto Sans CJK SC',sans-serif;max-width:900px;margin:2em auto;color:#222}
section{border-top:1px solid #ddd;padding-top:1em;margin-top:1.5em}
table{border-collapse:collapse}th,td{text-align:left;padding:2px 12px 2px 0;font-size:14px}
.passed{color:#2a7d2a}.failed{color:#c0392b}img{max-width:100%}li{font-size:14px}
"""


def debrief_report(debriefs: Sequence[Debrief], title: str, intro: str, lang: Lang) -> Report:
    """The report of a series of debriefs by one learner: one section per attempt, skills across them."""
    sections = []
    for number, d in enumerate(debriefs, start=1):
        spec = get_spec(d.scenario)
        step_titles = {step.id: step.title.get(lang) for step in spec.steps}
        sections.append(
            AttemptSection(
                title=LABELS["attempt_n"].get(lang).format(n=number),
                rows=_rows(d, lang),
                explanation=explanation_lines(d.explanation, lang),
                sway=d.sway,
                steps=[(t, step_titles.get(step, step)) for t, step in d.steps],
                coach_events=[
                    CoachEventMark(
                        e["onset"],
                        e["end"] if e["end"] is not None else e["onset"],
                        e["rule_id"],
                        e["severity"],
                    )
                    for e in d.coach["timeline"]
                ],
                passed=d.passed,
                adapts=adaptation_lines(d.explanation, d.next_plan, lang) if d.next_plan else (),
            )
        )
    skills: dict[str, list[tuple[float, float]]] = {}
    if debriefs:
        titles = {s.id: s.title.get(lang) for s in get_spec(debriefs[0].scenario).skills}
        for skill, estimate in debriefs[0].skills_before.items():
            skills[titles.get(skill, skill)] = [(estimate["theta"], estimate["sd"])]
        for d in debriefs:
            for skill, estimate in d.skills_after.items():
                skills.setdefault(titles.get(skill, skill), []).append((estimate["theta"], estimate["sd"]))
    return Report(title=title, intro=intro, attempts=sections, skills=skills)


def _rows(d: Debrief, lang: Lang) -> list[tuple[str, str]]:
    r = d.result
    t = lambda zh, en: Text(zh, en).get(lang)  # noqa: E731
    rows = [
        (t("学员", "learner"), d.learner),
        (t("工位 / 预约", "station / booking"), f"{d.station} — {d.booking.get(lang)}"),
        (t("操作者", "operator"), d.operator),
        (t("姿态来源", "pose input"), d.poses.get(lang)),
        (t("得分", "score"), f"{r['score']:.1f} / 100"),
        (t("预测通过率", "predicted pass"), f"{d.predicted_success:.0%}"),
        (t("用时", "time"), f"{r['sim_s']:.1f} s"),
        (t("分项得分", "sub-scores"), ", ".join(f"{k} {v:.2f}" for k, v in r["sub_scores"].items())),
        (t("严重错误", "critical errors"), ", ".join(r["critical"]) or "—"),
        (t("扣分", "deductions"), ", ".join(f"{k} −{v:g}" for k, v in r["deductions"].items()) or "—"),
        (t("注入故障", "injected faults"), ", ".join(r["params"].get("faults") or []) or "—"),
        (
            t("教师实时变更", "instructor changes during the attempt"),
            "; ".join(change_text(c).get(lang) for c in r.get("changes", ())) or "—",
        ),
        (t("REBA 最高", "REBA max"), str(d.coach["reba_max"])),
        (t("录制（关键点与状态，无图像）", "recording (keypoints and state, no pixels)"), d.recording or "—"),
    ]
    return rows
