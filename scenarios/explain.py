"""The explanation record of a generated attempt, in zh and en, stored with the attempt.

Derived from the model, nothing post-hoc: the logit is additive, so each parameter's share of a
skill's difficulty is exact (shared/reference/adaptive.md §5 "What an explanation record should
contain": estimates with uncertainty, focus and why, band and why, per-parameter contribution,
predicted pass per skill and for the task, the constraints that bound the choice, frontier events,
model version).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lab.bus.text import Text
from scenarios.difficulty import DifficultyModel
from scenarios.generator import PROBE_EVERY, Plan, Rule, logit_share
from scenarios.learner import LearnerState
from scenarios.paramspace import Space

EXPLANATION_FORMAT = "shixun.explanation/1"


def explain(space: Space, model: DifficultyModel, state: LearnerState, plan: Plan) -> dict[str, Any]:
    """A JSON-ready record; every sentence is a {"zh", "en"} pair."""
    titles = {s.id: s.title for s in space.spec.skills}
    f = space.fault_vector(plan.faults)
    share = logit_share(model, plan.x, f)
    focus_k = space.skills.index(plan.focus)
    parameters = []
    for j, axis in enumerate(space.axes):
        trains = _trained_skill(model, j, focus_k)
        skill = space.skills[trains] if trains is not None else None
        parameters.append(
            {
                "name": axis.name,
                "title": axis.title.to_dict(),
                "value": plan.params[axis.name],
                "unit": axis.unit,
                "normalised": round(float(plan.x[j]), 3),
                "skill": skill,
                "skill_estimate": _estimate(state, trains) if trains is not None else None,
                "share_of_difficulty": round(float(share[trains, j]), 3) if trains is not None else 0.0,
                "rules": [r.code for r in plan.rules[axis.name]],
                "text": _parameter_text(axis, plan, skill and titles[skill], share, trains, j).to_dict(),
                "rule_text": [_rule_text(r, axis.unit).to_dict() for r in plan.rules[axis.name]],
            }
        )
    return {
        "format": EXPLANATION_FORMAT,
        "model_version": model.version,
        "scenario": space.spec.id,
        "spec_version": space.spec.version,
        "focus": {
            "skill": plan.focus,
            "reason": plan.focus_reason,
            "text": _focus_text(plan, titles).to_dict(),
        },
        "band": {"low": plan.band[0], "high": plan.band[1], "source": plan.band_source},
        "target": round(plan.target, 3),
        "profile": {
            "id": plan.profile.profile.id,
            "source": plan.profile.source,
            "evidence": plan.profile.evidence.to_dict(),
            "text": _profile_text(plan).to_dict(),
        },
        "target_text": _target_text(plan).to_dict(),
        "estimates": {s: _estimate(state, k) for k, s in enumerate(space.skills)},
        "predicted": {s: round(float(p), 3) for s, p in zip(space.skills, plan.p_skill, strict=True)},
        "predicted_task": round(plan.p_task, 3),
        "predicted_certification": {
            s: round(float(p), 3) for s, p in zip(space.skills, plan.p_cert, strict=True)
        },
        "parameters": parameters,
        "faults": {fault: why for fault, why in plan.fault_rules.items()},
        "frontier_events": [
            {
                "param": space.names[e.param],
                "old": e.old_edge,
                "new": e.new_edge,
                "passes": e.passes,
                "attempts": e.attempts,
            }
            for e in state.frontier_events
        ],
        "moved": _moved(state, space, titles),
        "seed": plan.seed,
        "repeat_of": plan.repeat_of,
        "probe": plan.probe,
        "summary": _summary(plan, titles).to_dict(),
    }


def headline(explanation: dict[str, Any], lang: str) -> list[str]:
    """The first lines every view shows: summary, focus, target band and practice profile."""
    e = explanation
    lines = [e["summary"][lang], e["focus"]["text"][lang], e["target_text"][lang]]
    if "profile" in e:  # explanations stored before practice profiles existed have none
        lines.append(e["profile"]["text"][lang])
    return lines


def _moved(state: LearnerState, space: Space, titles: dict[str, Text]) -> dict[str, Any] | None:
    """The skill whose estimate the last attempt changed most, named in a sentence."""
    if state.last_change is None:
        return None
    k = int(np.argmax(np.abs(state.last_change)))
    delta = float(state.last_change[k])
    t = titles[space.skills[k]]
    zh_dir, en_dir = ("上升", "rose") if delta > 0 else ("下降", "fell")
    text = Text(
        zh=f"上次练习后，「{t.zh}」的技能估计{zh_dir}了 {abs(delta):.2f}，变化最大。",
        en=f"After the last attempt, the {t.en} estimate {en_dir} by {abs(delta):.2f}, the largest change.",
    )
    return {"skill": space.skills[k], "change": round(delta, 3), "text": text.to_dict()}


def _trained_skill(model: DifficultyModel, j: int, focus: int) -> int | None:
    """The focus skill if this parameter loads it, else the skill it loads most; None if it loads none."""
    column = model.weights[:, j]
    if column[focus] > 0:
        return focus
    return int(np.argmax(column)) if column.max() > 0 else None


def _estimate(state: LearnerState, k: int) -> dict[str, float]:
    return {"theta": round(float(state.mean[k]), 3), "sd": round(float(np.sqrt(state.variance[k])), 3)}


def _pct(p: float) -> str:
    return f"{100 * p:.0f}%"


def _parameter_text(axis, plan: Plan, skill_title: Text | None, share, k, j) -> Text:
    value = f"{plan.params[axis.name]}{(' ' + axis.unit) if axis.unit else ''}"
    if skill_title is None:
        return Text(
            zh=f"{axis.title.zh} = {value}：难度尚未标定，按学员已通过的范围边界探索。",
            en=f"{axis.title.en} = {value}: difficulty not calibrated yet; explored at the edge of what "
            "the learner has passed.",
        )
    pct = _pct(float(share[k, j]))
    return Text(
        zh=f"{axis.title.zh} = {value}：训练「{skill_title.zh}」，占该技能预测难度的 {pct}。",
        en=f"{axis.title.en} = {value}: trains {skill_title.en}, {pct} of that skill's predicted difficulty.",
    )


def _rule_text(rule: Rule, unit: str) -> Text:
    d = rule.detail
    match rule.code:
        case "pinned":
            return Text(
                zh=f"教师锁定为 {d['value']:g} {unit}",
                en=f"pinned by the instructor at {d['value']:g} {unit}",
            )
        case "bounds":
            return Text(
                zh=f"教师限定范围 {d['low']:g}–{d['high']:g} {unit}",
                en=f"instructor bounds {d['low']:g}–{d['high']:g} {unit}",
            )
        case "max_change":
            return Text(
                zh=f"与上次相比最多变化范围的 {_pct(d['step'])}",
                en=f"at most {_pct(d['step'])} of the range away from the last attempt",
            )
        case "frontier":
            return Text(
                zh=f"学员当前可探索范围上限（难度 {d['edge']:.2f}）",
                en=f"limited to the learner's current frontier (difficulty {d['edge']:.2f})",
            )
        case "frontier_edge":
            return Text(
                zh="本次在可探索范围的边界上测试", en="tested at the edge of the learner's frontier this time"
            )
        case "solved":
            return Text(
                zh="由难度模型求解，带少量随机变化",
                en="solved from the difficulty model, with a small jitter",
            )
        case "probe":
            return Text(
                zh="考核探测：按考核条件设置，检验进展",
                en="certification probe: set at certification conditions to check progress",
            )
        case "repeat":
            return Text(
                zh=f"教师要求重复第 {d['attempt']} 次练习",
                en=f"instructor asked to repeat attempt {d['attempt']}",
            )
    return Text(zh=rule.code, en=rule.code)


def _focus_text(plan: Plan, titles: dict[str, Text]) -> Text:
    t = titles[plan.focus]
    if plan.focus_reason == "instructor":
        return Text(zh=f"教师指定重点技能「{t.zh}」", en=f"focus skill {t.en}, chosen by the instructor")
    if plan.focus_reason == "probe":
        return Text(
            zh=f"本次为考核探测（每 {PROBE_EVERY} 次一次），「{t.zh}」最弱",
            en=f"certification probe (every {PROBE_EVERY}th attempt); weakest skill {t.en}",
        )
    if plan.focus_reason == "repeat":
        return Text(zh="重复指定的练习，不做调整", en="repeating the given attempt, no adaptation")
    k = list(titles).index(plan.focus)
    p = _pct(float(plan.p_cert[k]))
    return Text(
        zh=f"重点技能「{t.zh}」：在考核条件下的预测通过率最低（{p}）",
        en=f"focus skill {t.en}: lowest predicted pass at certification conditions ({p})",
    )


def _target_text(plan: Plan) -> Text:
    lo, hi = _pct(plan.band[0]), _pct(plan.band[1])
    source = (
        Text(zh="教师设定", en="set by the instructor")
        if plan.band_source == "instructor"
        else Text(
            zh=f"练习强度「{plan.profile.profile.title.zh}」的区间",
            en=f"the band of the {plan.profile.profile.title.en} profile",
        )
    )
    return Text(
        zh=f"目标通过率 {_pct(plan.target)}，区间 {lo}–{hi}（{source.zh}）",
        en=f"target pass {_pct(plan.target)} within {lo}–{hi} ({source.en})",
    )


def _profile_text(plan: Plan) -> Text:
    """Which practice profile and why: the instructor, the pooled progress, or still exploring."""
    choice = plan.profile
    title = choice.profile.title
    lo, hi = (_pct(p) for p in choice.profile.others)
    head = Text(
        zh=f"练习强度「{title.zh}」：其他技能的预测通过率保持在 {lo}–{hi}",
        en=f"practice profile {title.en}: the other skills are kept at {lo}–{hi} predicted pass",
    )
    if choice.source == "instructor":
        why = Text(zh="教师指定", en="set by the instructor")
    elif choice.source == "exploring":
        why = Text(
            zh="汇总证据尚不足，两种强度各分给一半学员以便比较",
            en="not enough pooled evidence yet: learners are split evenly between the profiles to compare them",
        )
    else:
        progress = choice.evidence.progress
        share = _pct(choice.evidence.shares[choice.profile.id])
        rates = {k: f"{v:+.3f}" for k, v in progress.items()}
        why = Text(
            zh=f"本场景学员每次练习的能力增长：拓展 {rates['stretch']}，巩固 {rates['consolidate']}；"
            f"按证据分配 {share} 的学员使用此强度",
            en=f"ability gained per attempt by this scenario's learners: stretch {rates['stretch']}, "
            f"consolidate {rates['consolidate']}; the evidence gives this profile {share} of learners",
        )
    return Text(zh=f"{head.zh}（{why.zh}）", en=f"{head.en} ({why.en})")


def _summary(plan: Plan, titles: dict[str, Text]) -> Text:
    t = titles[plan.focus]
    k = list(titles).index(plan.focus)
    p = _pct(float(plan.p_skill[k]))
    task = _pct(plan.p_task)
    return Text(
        zh=f"本次重点训练「{t.zh}」，预测该技能通过率 {p}，整体任务通过率 {task}。",
        en=f"This attempt trains {t.en}: predicted pass {p} for that skill, {task} for the whole task.",
    )
