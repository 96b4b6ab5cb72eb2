"""`shixun scenarios …`: the learner's next parameters, recording results, skill estimates, overrides."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lab.bus.text import UserError
from station_app.cli.context import Context
from station_app.cli.login import store as open_store

if TYPE_CHECKING:
    from scenarios.paramspace import Space

# The store, the learner model and the generator (SQLAlchemy, NumPy, SciPy) are imported inside the
# handlers, so that building the command line stays light (tests/cli/test_startup_imports.py).

FIT_ROUNDS = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("scenarios", help="adaptive scenarios: next parameters, results, skills")
    commands = parser.add_subparsers(dest="scenarios_command", metavar="ACTION", required=True)

    nxt = commands.add_parser(
        "next", help="parameters, predicted success and explanation for the next attempt"
    )
    nxt.add_argument(
        "--learner", required=True, metavar="ID", help="learner code (created with the prior if new)"
    )
    nxt.add_argument("--scenario", required=True, metavar="ID")
    nxt.add_argument("--seed", type=int, help="extra seed for the generator's variety (default 0)")
    nxt.set_defaults(handler=run_next)

    rec = commands.add_parser("record", help="store an attempt result and update the learner model")
    rec.add_argument("--learner", required=True, metavar="ID")
    rec.add_argument("--scenario", required=True, metavar="ID")
    rec.add_argument("--result", required=True, metavar="FILE", help="what `shixun sim run --json` printed")
    rec.set_defaults(handler=run_record)

    lrn = commands.add_parser("learner", help="a learner's skill estimates with uncertainty")
    lrn.add_argument("--learner", required=True, metavar="ID")
    lrn.add_argument("--scenario", default="crane.bridge_lift", metavar="ID")
    lrn.set_defaults(handler=run_learner)

    fit_ = commands.add_parser("fit", help="refit the difficulty model from all stored attempts")
    fit_.add_argument("--scenario", required=True, metavar="ID")
    fit_.add_argument(
        "--by", default="instructor", metavar="NAME", help="who runs the fit (kept with the model)"
    )
    fit_.set_defaults(handler=run_fit)

    ovr = commands.add_parser("override", help="instructor overrides for a learner or a class")
    who = ovr.add_mutually_exclusive_group(required=True)
    who.add_argument("--learner", metavar="ID")
    who.add_argument("--class", dest="class_code", metavar="CODE")
    ovr.add_argument("--scenario", required=True, metavar="ID")
    ovr.add_argument(
        "--set",
        required=True,
        metavar="JSON|FILE",
        help='e.g. {"pins": {"wind_mps": 4}, "bounds": {...}, "band": [0.6, 0.8], "max_change": 0.1, '
        '"faults_in": [...], "faults_out": [...], "focus_skill": "...", "repeat_attempt": 12}; {} clears',
    )
    ovr.add_argument("--by", default="instructor", metavar="NAME", help="who sets them (for the audit log)")
    ovr.set_defaults(handler=run_override)


def _space(scenario_id: str) -> Space:
    from scenarios.paramspace import Space
    from scenarios.spec import get_spec

    return Space(get_spec(scenario_id))


def run_fit(args: argparse.Namespace, ctx: Context) -> int:
    from lab.store import attempts as store
    from lab.store.types import utc_now
    from scenarios import profiles
    from scenarios.difficulty import fit

    space = _space(args.scenario)
    model = space.prior_model()
    with open_store(ctx) as session:
        for round_ in range(FIT_ROUNDS):  # abilities under the current weights, then weights again
            data = store.pooled_attempts(session, space, model)
            model = fit(space.prior_model(), data, version=f"fit-{utc_now():%Y%m%dT%H%M%SZ}-r{round_}")
        evidence = profiles.weigh(profiles.segments(data.learner, data.profile, data.theta))
        model = replace(model, profile_evidence=evidence.to_dict())
        model_id = store.save_difficulty_model(session, space, model, fitted_by=args.by)
    data_out = {
        "scenario": space.spec.id,
        "attempts": len(data.x),
        "model_id": model_id,
        "model": model.to_dict(),
    }
    ctx.result(
        data_out, f"{space.spec.id}: {len(data.x)} attempts → difficulty model {model_id} ({model.version})"
    )
    return 0


def run_next(args: argparse.Namespace, ctx: Context) -> int:
    from lab.store import attempts as store

    space = _space(args.scenario)
    with open_store(ctx) as session:
        result = store.next_attempt(
            session, space, store.difficulty_model(session, space), args.learner, args.seed
        )
    e = result.explanation
    data = {
        "attempt": result.attempt_id,
        "learner": result.learner_code,
        "learner_created": result.learner_created,
        "scenario": space.spec.id,
        "params": result.params,
        "seed": result.plan.seed,
        "predicted_success": round(result.plan.p_task, 3),
        "predicted": e["predicted"],
        "explanation": e,
    }
    if result.learner_created:
        ctx.say(f"新学员 {args.learner}：按先验创建", f"new learner {args.learner}: created with the prior")
    ctx.result(data, _human_next(data, ctx))
    return 0


def _human_next(data: dict[str, Any], ctx: Context) -> str:
    from scenarios.explain import headline

    e = data["explanation"]
    lang = ctx.lang
    lines = headline(e, lang)
    if e.get("moved"):
        lines.append(e["moved"]["text"][lang])
    for p in e["parameters"]:
        rules = "; ".join(r[lang] for r in p["rule_text"])
        lines.append(f"  {p['text'][lang]}" + (f" [{rules}]" if rules else ""))
    lines.append(f"seed={data['seed']}  params={json.dumps(data['params'], ensure_ascii=False)}")
    return "\n".join(lines)


def run_record(args: argparse.Namespace, ctx: Context) -> int:
    from lab.store import attempts as store

    space = _space(args.scenario)
    result = store.parse_result(space, _read_json(args.result))
    with open_store(ctx) as session:
        attempt = store.record_result(session, space, args.learner, result)
        state, attempts = store.learner_state(
            session, space, store.difficulty_model(session, space), attempt.learner
        )
        report = store.skill_report(space, state, attempts)
    data = {
        "attempt": attempt.id,
        "learner": args.learner,
        "passed": attempt.passed,
        "skills": report["skills"],
    }
    ctx.result(data, _human_skills(args.learner, report))
    return 0


def run_learner(args: argparse.Namespace, ctx: Context) -> int:
    from lab.store import attempts as store

    space = _space(args.scenario)
    with open_store(ctx) as session:
        learner = store.require_learner(session, args.learner)
        state, attempts = store.learner_state(session, space, store.difficulty_model(session, space), learner)
        report = store.skill_report(space, state, attempts)
    ctx.result(
        {"learner": args.learner, "scenario": space.spec.id, **report}, _human_skills(args.learner, report)
    )
    return 0


def _human_skills(code: str, report: dict[str, Any]) -> str:
    lines = [f"{code}: n={report['n_attempts']}"]
    lines += [f"  {skill}: θ = {v['theta']:+.2f} ± {v['sd']:.2f}" for skill, v in report["skills"].items()]
    return "\n".join(lines)


def run_override(args: argparse.Namespace, ctx: Context) -> int:
    from lab.store import attempts as store
    from scenarios.overrides import Overrides

    space = _space(args.scenario)
    overrides = Overrides.from_dict(_read_json_or_text(args.set))
    with open_store(ctx) as session:
        scope = store.save_overrides(
            session, space, overrides, actor=args.by, learner_code=args.learner, class_code=args.class_code
        )
    ctx.result(
        {"scope": scope, "overrides": overrides.to_dict()}, f"{scope}: {json.dumps(overrides.to_dict())}"
    )
    return 0


def _read_json(path: str) -> Any:
    from lab.store.attempts import ResultMismatch

    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"找不到结果文件：{path}", f"result file not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultMismatch(
            f"无法读取结果文件 {path}：{exc}", f"cannot read result file {path}: {exc}"
        ) from None


def _read_json_or_text(value: str) -> Any:
    text = value
    if not value.lstrip().startswith("{") and Path(value).is_file():
        text = Path(value).read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"设置不是有效的 JSON：{exc}", f"the overrides are not valid JSON: {exc}") from None
