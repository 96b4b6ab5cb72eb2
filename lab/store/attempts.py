"""Attempts and learner state over the store: what `shixun scenarios next/record/learner` do.

The learner model keeps no state of its own in the store: a learner's abilities are the fold of
their recorded attempts (`scenarios.learner.replay`), so the store's attempts are the single
source of truth and a deleted attempt is forgotten. `next` stores the generated attempt (params,
seed, explanation, predicted success) with `passed = NULL`; `record` completes it when the
result matches it, else stores a new attempt.

Instructor overrides live in `adaptive_overrides` (one row per class or learner and scenario) and
fitted difficulty models in `difficulty_models` (the newest per spec version is used); every change of
an override is also an audit entry (action `scenarios.overrides`), which keeps their history.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from lab.audit import chain as audit_chain
from lab.bus.text import UserError
from lab.store.models import AdaptiveOverride, Attempt, DifficultyFit, Learner, ScenarioSpec, SchoolClass
from lab.store.types import utc_now
from scenarios import profiles
from scenarios.difficulty import DifficultyModel, PooledAttempts
from scenarios.explain import explain
from scenarios.generator import Plan, generate, repeat
from scenarios.learner import (
    AttemptOutcome,
    LearnerState,
    abilities_before,
    group_prior,
    prior_state,
    replay,
)
from scenarios.overrides import Overrides
from scenarios.paramspace import Space
from scenarios.spec import FAULTS_KEY

OVERRIDES_ACTION = "scenarios.overrides"


class ResultMismatch(UserError):
    """A result file that does not belong to the scenario (or is not a result at all)."""


@dataclass(frozen=True)
class NextAttempt:
    attempt_id: int
    learner_code: str
    learner_created: bool
    plan: Plan
    params: dict[str, Any]  # what `shixun sim run --params` takes, faults included
    explanation: dict[str, Any]


def learner_by_code(session: Session, code: str) -> Learner | None:
    return session.scalars(select(Learner).where(Learner.code == code)).one_or_none()


def require_learner(session: Session, code: str) -> Learner:
    learner = learner_by_code(session, code)
    if learner is None:
        raise UserError(f"未知学员 {code}", f"unknown learner {code}")
    return learner


def outcome_of(space: Space, params: Mapping[str, Any], sub_scores: Mapping[str, Any], passed: bool):
    """The learner model's view of one attempt."""
    return AttemptOutcome(
        x=space.normalise(params),
        faults=space.fault_vector(params.get(FAULTS_KEY, ())),
        skill_scores=space.skill_outcomes(sub_scores),
        passed=bool(passed),
    )


def history(session: Session, learner_id: int, scenario_id: str) -> list[Attempt]:
    """Finished attempts, oldest first."""
    query = (
        select(Attempt)
        .where(
            Attempt.learner_id == learner_id, Attempt.scenario_id == scenario_id, Attempt.passed.is_not(None)
        )
        .order_by(Attempt.started_at, Attempt.id)
    )
    return list(session.scalars(query))


def learner_state(
    session: Session, space: Space, model: DifficultyModel, learner: Learner
) -> tuple[LearnerState, list[Attempt]]:
    """Replay the learner's attempts from the class prior (the population prior without a class)."""
    attempts = history(session, learner.id, space.spec.id)
    first = attempts[0] if attempts else None
    classmates = [] if first is not None else _classmate_estimates(session, space, learner)
    start = _start_state(space, first, classmates)
    outcomes = [outcome_of(space, a.params, a.sub_scores, bool(a.passed)) for a in attempts]
    return replay(start, model, outcomes), attempts


def _start_state(space: Space, first: Attempt | None, classmates: list[dict[str, Any]]) -> LearnerState:
    """The prior the learner started from: frozen in their first generated attempt's explanation;
    for a new learner, the classmates' latest estimates shrunk toward the population prior."""
    stored = first.explanation.get("estimates") if first is not None and first.explanation else None
    if stored is not None and first.explanation.get("repeat_of") is None:
        return _state_of(space, stored)
    states = [_state_of(space, estimates) for estimates in classmates]
    mean, var = group_prior(states, len(space.skills))
    return prior_state(len(space.skills), mean, var)


def _state_of(space: Space, estimates: dict[str, Any]) -> LearnerState:
    mean = np.array([float(estimates[s]["theta"]) for s in space.skills])
    sd = np.array([float(estimates[s]["sd"]) for s in space.skills])
    return prior_state(len(space.skills), mean, sd**2)


def _classmate_estimates(session: Session, space: Space, learner: Learner) -> list[dict[str, Any]]:
    """Each classmate's estimates as stored with their latest generated attempt (one row each)."""
    if learner.class_id is None:
        return []
    latest = (
        select(func.max(Attempt.id))
        .join(Learner, Learner.id == Attempt.learner_id)
        .where(
            Learner.class_id == learner.class_id,
            Learner.id != learner.id,
            Attempt.scenario_id == space.spec.id,
            Attempt.predicted_success.is_not(None),
        )
        .group_by(Attempt.learner_id)
    )
    rows = session.scalars(select(Attempt.explanation).where(Attempt.id.in_(latest)))
    skills = set(space.skills)
    return [e["estimates"] for e in rows if isinstance(e, dict) and set(e.get("estimates") or ()) == skills]


def next_attempt(
    session: Session, space: Space, model: DifficultyModel, code: str, seed: int | None = None
) -> NextAttempt:
    """Generate, explain and store the learner's next attempt (creating an unknown learner)."""
    learner = learner_by_code(session, code)
    created = learner is None
    if learner is None:
        learner = Learner(code=code)
        session.add(learner)
        session.flush()
    state, attempts = learner_state(session, space, model, learner)
    overrides = load_overrides(session, space.spec.id, learner)
    if overrides.repeat_attempt is not None:
        source = session.get(Attempt, overrides.repeat_attempt)
        if source is None or source.learner_id != learner.id or source.scenario_id != space.spec.id:
            raise UserError(
                f"要重复的练习 {overrides.repeat_attempt} 不存在或不属于该学员和场景",
                f"attempt {overrides.repeat_attempt} to repeat does not exist for this learner and scenario",
            )
        params = {k: v for k, v in source.params.items() if k != FAULTS_KEY}
        plan = repeat(
            space, model, state, params, tuple(source.params.get(FAULTS_KEY, ())), source.seed, source.id
        )
    else:
        rng = np.random.default_rng([learner.id, len(attempts), seed if seed is not None else 0])
        evidence = profiles.Evidence.from_dict(model.profile_evidence)
        choice = profiles.choose(evidence, f"{space.spec.id}/{code}", overrides.profile)
        plan = generate(space, model, state, overrides, rng, choice)
    record = explain(space, model, state, plan)
    record["overrides"] = overrides.to_dict()
    params = dict(plan.params) | {FAULTS_KEY: list(plan.faults)}
    attempt = Attempt(
        learner_id=learner.id,
        scenario_id=space.spec.id,
        spec_version=store_spec(session, space),
        params=params,
        seed=plan.seed,
        explanation=record,
        predicted_success=plan.p_task,
    )
    session.add(attempt)
    session.flush()
    return NextAttempt(attempt.id, code, created, plan, params, record)


def store_spec(session: Session, space: Space) -> int:
    """The spec text exactly as used, so stored attempts stay explainable; returns its version."""
    spec = space.spec
    key = (spec.id, spec.version)
    if session.get(ScenarioSpec, key) is None:
        try:
            text = open(spec.path, encoding="utf-8").read()  # noqa: SIM115 - one short read
        except OSError:
            text = ""
        session.add(
            ScenarioSpec(
                scenario_id=spec.id,
                version=spec.version,
                toml_text=text,
                sha256=hashlib.sha256(text.encode()).hexdigest(),
            )
        )
        session.flush()
    return spec.version


def parse_result(space: Space, data: Any) -> dict[str, Any]:
    """Check what `shixun sim run --json` printed against the scenario; ResultMismatch if it does not fit."""
    sid = space.spec.id
    if not isinstance(data, dict):
        raise ResultMismatch("结果文件不是 JSON 对象", "the result file is not a JSON object")
    if data.get("scenario") != sid:
        raise ResultMismatch(
            f"结果文件属于场景 {data.get('scenario')!r}，不是 {sid}",
            f"the result file is for scenario {data.get('scenario')!r}, not {sid}",
        )
    missing = [k for k in ("params", "passed", "sub_scores", "seed") if k not in data]
    if missing:
        raise ResultMismatch(
            f"结果文件缺少字段 {', '.join(missing)}", f"the result file lacks {', '.join(missing)}"
        )
    try:
        params = space.spec.validate_params(data["params"])
    except UserError as exc:
        raise ResultMismatch(
            f"结果文件的参数与场景不符：{exc.text.zh}", f"result parameters: {exc.text.en}"
        ) from None
    scores = data["sub_scores"]
    if not isinstance(scores, dict) or not all(_unit_number(scores.get(s)) for s in space.skills):
        raise ResultMismatch(
            f"结果文件的分项得分应为每个技能（{', '.join(space.skills)}）一个 0–1 的数",
            f"sub_scores must give every skill ({', '.join(space.skills)}) a number in 0..1",
        )
    if not isinstance(data["passed"], bool) or not isinstance(data["seed"], int):
        raise ResultMismatch(
            "passed 应为真/假，seed 应为整数", "passed must be true/false and seed an integer"
        )
    return data | {"params": params}


def _unit_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0.0 <= value <= 1.0


def record_result(session: Session, space: Space, code: str, result: dict[str, Any]) -> Attempt:
    """Store a checked result: complete the matching generated attempt, or add a new one."""
    learner = require_learner(session, code)
    pending = session.scalars(
        select(Attempt)
        .where(
            Attempt.learner_id == learner.id,
            Attempt.scenario_id == space.spec.id,
            Attempt.passed.is_(None),
            Attempt.seed == result["seed"],
        )
        .order_by(Attempt.id.desc())
    ).first()
    if pending is None or not _same_params(space, pending.params, result["params"]):
        pending = Attempt(
            learner_id=learner.id, scenario_id=space.spec.id, spec_version=store_spec(session, space)
        )
        session.add(pending)
    pending.params = result["params"]
    pending.seed = result["seed"]
    pending.passed = result["passed"]
    pending.score = result.get("score")
    pending.sub_scores = {s: float(result["sub_scores"][s]) for s in space.skills}
    pending.metrics = result.get("metrics") or {}
    pending.errors = list(result.get("errors") or [])
    pending.finished_at = utc_now()
    session.flush()
    return pending


def _same_params(space: Space, a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    same_x = np.allclose(space.normalise(a), space.normalise(b), atol=1e-3)
    return bool(same_x) and sorted(a.get(FAULTS_KEY, ())) == sorted(b.get(FAULTS_KEY, ()))


# --- instructor overrides ------------------------------------------------------------------------


def load_overrides(session: Session, scenario_id: str, learner: Learner) -> Overrides:
    """The class's overrides with the learner's on top (the learner's win)."""
    merged = Overrides()
    if learner.class_id is not None:
        merged = _stored(session, scenario_id, AdaptiveOverride.class_id == learner.class_id)
    return _stored(session, scenario_id, AdaptiveOverride.learner_id == learner.id).merged_over(merged)


def scope_overrides(
    session: Session, scenario_id: str, learner_code: str | None = None, class_code: str | None = None
) -> Overrides:
    """The overrides set for exactly one learner or one class (not merged), e.g. to edit them."""
    learner_id, class_id, _ = _override_scope(session, learner_code, class_code)
    return _stored(session, scenario_id, _owner(learner_id, class_id))


def _stored(session: Session, scenario_id: str, owner: ColumnElement[bool]) -> Overrides:
    row = session.scalar(
        select(AdaptiveOverride.overrides).where(owner, AdaptiveOverride.scenario_id == scenario_id)
    )
    return Overrides.from_dict(row)


def _owner(learner_id: int | None, class_id: int | None) -> ColumnElement[bool]:
    if learner_id is not None:
        return AdaptiveOverride.learner_id == learner_id
    return AdaptiveOverride.class_id == class_id


def _override_scope(
    session: Session, learner_code: str | None, class_code: str | None
) -> tuple[int | None, int | None, str]:
    """(learner id, class id, audit resource prefix) of exactly one learner or one class."""
    if (learner_code is None) == (class_code is None):
        raise UserError("请指定学员或班级之一", "give exactly one of a learner or a class")
    if learner_code is not None:
        return require_learner(session, learner_code).id, None, f"learner:{learner_code}"
    class_id = session.scalar(select(SchoolClass.id).where(SchoolClass.code == class_code))
    if class_id is None:
        raise UserError(f"未知班级 {class_code}", f"unknown class {class_code}")
    return None, class_id, f"class:{class_code}"


def save_overrides(
    session: Session,
    space: Space,
    overrides: Overrides,
    actor: str,
    learner_code: str | None = None,
    class_code: str | None = None,
) -> str:
    """Replace the overrides of one learner or one class for a scenario; returns the scope.

    The audit entry is appended first: on PostgreSQL its lock serialises concurrent writers, so two
    instructors saving at once cannot both insert the scope's row."""
    check_against_spec(space, overrides)
    learner_id, class_id, prefix = _override_scope(session, learner_code, class_code)
    resource = f"{prefix}/{space.spec.id}"
    stored = overrides.to_dict()
    entry = audit_chain.append(session, actor, OVERRIDES_ACTION, resource, {"overrides": stored})
    row = session.scalar(
        select(AdaptiveOverride).where(
            _owner(learner_id, class_id), AdaptiveOverride.scenario_id == space.spec.id
        )
    )
    if row is None:
        row = AdaptiveOverride(learner_id=learner_id, class_id=class_id, scenario_id=space.spec.id)
        session.add(row)
    row.overrides, row.updated_by, row.updated_at = stored, actor, entry.at
    session.flush()
    return resource


def check_against_spec(space: Space, overrides: Overrides) -> None:
    """Names and values must exist in the spec: an override never leaves the spec's ranges."""
    params = space.spec.parameters
    for name, value in overrides.pins.items():
        if name not in params:
            raise UserError(f"未知参数 {name}", f"unknown parameter {name}")
        space.spec.validate_params({name: int(value) if params[name].type == "int" else value})
    for name in overrides.bounds:
        if name not in params:
            raise UserError(f"未知参数 {name}", f"unknown parameter {name}")
    unknown = (overrides.faults_in | overrides.faults_out) - set(space.faults)
    if unknown:
        raise UserError(f"未知故障 {sorted(unknown)}", f"unknown faults {sorted(unknown)}")
    if overrides.focus_skill is not None and overrides.focus_skill not in space.skills:
        raise UserError(f"未知技能 {overrides.focus_skill}", f"unknown skill {overrides.focus_skill}")


# --- fitted difficulty models --------------------------------------------------------------------


def difficulty_model(session: Session, space: Space) -> DifficultyModel:
    """The newest model `scenarios fit` stored for this spec version, else the spec's prior."""
    row = session.scalars(
        select(DifficultyFit)
        .where(DifficultyFit.scenario_id == space.spec.id, DifficultyFit.spec_version == space.spec.version)
        .order_by(DifficultyFit.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return space.prior_model()
    try:
        model = DifficultyModel.from_dict(row.model)
    except (ValueError, KeyError, TypeError) as exc:
        raise UserError(
            f"存储的难度模型 {row.id} 已损坏（{exc}），请重新运行 scenarios fit",
            f"stored difficulty model {row.id} is damaged ({exc}); rerun `scenarios fit`",
        ) from None
    if model.skills == space.skills and model.params == space.names and model.faults == space.faults:
        return model
    return space.prior_model()


def save_difficulty_model(session: Session, space: Space, model: DifficultyModel, fitted_by: str) -> int:
    """Keep a fitted model (with the spec text it was fitted for); returns its row id."""
    row = DifficultyFit(
        scenario_id=space.spec.id,
        spec_version=store_spec(session, space),
        version=model.version,
        n_attempts=model.n_attempts,
        model=model.to_dict(),
        fitted_by=fitted_by,
    )
    session.add(row)
    session.flush()
    return row.id


def pooled_attempts(session: Session, space: Space, model: DifficultyModel) -> PooledAttempts:
    """Every finished attempt of the scenario with the learner's ability just before it (leak-free),
    replayed under `model`: what `scenarios.difficulty.fit` learns the weights from."""
    learners = session.scalars(
        select(Learner).where(
            Learner.id.in_(select(Attempt.learner_id).where(Attempt.scenario_id == space.spec.id))
        )
    )
    xs, faults, thetas, scores, owners, profile_ids = [], [], [], [], [], []
    for learner in learners:
        attempts = history(session, learner.id, space.spec.id)
        if not attempts:
            continue
        outcomes = [outcome_of(space, a.params, a.sub_scores, bool(a.passed)) for a in attempts]
        thetas.append(abilities_before(_start_state(space, attempts[0], []), model, outcomes))
        xs += [o.x for o in outcomes]
        faults += [o.faults for o in outcomes]
        scores += [o.skill_scores for o in outcomes]
        owners += [learner.id] * len(attempts)
        profile_ids += [((a.explanation or {}).get("profile") or {}).get("id") for a in attempts]
    k, j, f = len(space.skills), len(space.axes), len(space.faults)
    return PooledAttempts(
        x=np.array(xs).reshape(-1, j),
        faults=np.array(faults).reshape(-1, f),
        theta=np.vstack(thetas) if thetas else np.zeros((0, k)),
        outcome=np.array(scores).reshape(-1, k),
        learner=np.array(owners, int),
        profile=tuple(profile_ids),
    )


def skill_report(space: Space, state: LearnerState, attempts: Sequence[Attempt]) -> dict[str, Any]:
    """Estimates per skill with uncertainty, and the evidence behind them (last attempts)."""
    report = state.to_dict(space.skills)
    report["recent"] = [
        {"attempt": a.id, "passed": a.passed, "sub_scores": a.sub_scores} for a in list(attempts)[-5:]
    ]
    return report
