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

matplotlib.use("Agg")  # headless: never needs a display
import matplotlib.pyplot as plt

from lab.bus.text import Lang, Text

# Matplotlib needs a CJK-capable font for the Chinese report; the set-up installs WenQuanYi Micro Hei.
plt.rcParams["font.sans-serif"] = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "DejaVu Sans"]
plt.rcParams["axes.unicode_minus"] = False


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
    coach_events: Sequence[CoachEventMark]
    passed: bool


@dataclass(frozen=True)
class Report:
    title: str
    intro: str
    attempts: Sequence[AttemptSection]
    skills: dict[str, Sequence[float]] = field(default_factory=dict)  # skill label -> estimate per attempt


LABELS = {
    "passed": Text("通过", "passed"),
    "failed": Text("未通过", "failed"),
    "why": Text("参数及选择理由", "Parameters and why they were chosen"),
    "sway": Text("摆角 (°)", "sway (°)"),
    "time": Text("时间 (s)", "time (s)"),
    "events": Text("教练事件", "coach events"),
    "skills": Text(
        "各技能估计（成功概率）随尝试变化", "Skill estimates across attempts (success probability)"
    ),
    "attempt": Text("尝试", "attempt"),
    "no_events": Text("无教练事件", "no coach events"),
}

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


def _skills_figure(skills: dict[str, Sequence[float]], label: dict[str, str]) -> plt.Figure:
    figure, axes = plt.subplots(figsize=(8, 3))
    for name, values in skills.items():
        axes.plot(range(1, len(values) + 1), values, marker="o", label=name)
    axes.set_xlabel(label["attempt"])
    axes.set_ylim(0, 1)
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
