"""`shixun sim run`: one headless attempt of a scenario, its exam result and (optionally) a JSONL trace."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from lab.bus.text import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("sim", help="run simulated attempts (headless)")
    actions = parser.add_subparsers(dest="sim_command", metavar="ACTION", parser_class=type(parser))
    actions.required = True
    run = actions.add_parser("run", help="run one attempt and print its exam result")
    run.add_argument("--scenario", required=True, metavar="ID", help="scenario id, e.g. crane.bridge_lift")
    run.add_argument("--params", metavar="JSON|FILE", help="parameter values as a JSON object or a JSON file")
    run.add_argument(
        "--operator", default="autopilot", metavar="OP", help="idle | autopilot[:SKILL] | replay:FILE"
    )
    run.add_argument("--seed", type=int, default=0, metavar="N", help="attempt seed (course, wind, faults)")
    run.add_argument("--trace", metavar="FILE", help="write one JSON line per control step")
    run.add_argument("--duration", type=float, metavar="S", help="stop after S simulated seconds")
    run.add_argument(
        "--changes",
        metavar="JSON|FILE",
        help="live changes to re-apply at their times: a JSON list, or a result with a 'changes' list",
    )
    run.set_defaults(handler=run_command)


def read_params(text: str | None) -> dict[str, Any] | None:
    """`--params` as inline JSON (starts with `{` or `[`) or a path to a JSON file."""
    if text is None:
        return None
    data, source = _read_json(text, "--params")
    if not isinstance(data, dict):
        raise UserError(f"{source} 必须是 JSON 对象", f"{source} must be a JSON object")
    return data


def read_changes(text: str | None) -> list[dict[str, Any]]:
    """`--changes`: a list of `{"t", "action", ...}`, or a result (`--json` output) that holds one."""
    if text is None:
        return []
    data, source = _read_json(text, "--changes")
    if isinstance(data, dict):
        data = data.get("changes")
    if not isinstance(data, list) or not all(isinstance(c, dict) for c in data):
        raise UserError(
            f"{source} 应为变更列表或含 changes 列表的结果",
            f"{source} must be a list of changes or a result with a 'changes' list",
        )
    return data


def _read_json(text: str, source: str) -> tuple[Any, str]:
    """Inline JSON (starts with `{` or `[`) or a path to a JSON file; the data and where it came from."""
    if not text.lstrip().startswith(("{", "[")):
        path = Path(text)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(
                f"无法读取 {source} 文件 {path}：{exc}", f"cannot read the {source} file {path}: {exc}"
            ) from None
        source = str(path)
    try:
        return json.loads(text), source
    except json.JSONDecodeError as exc:
        raise UserError(f"{source} 不是有效的 JSON：{exc}", f"{source} is not valid JSON: {exc}") from None


def run_command(args: argparse.Namespace, ctx: Any) -> int:
    from scenarios.spec import get_spec  # deferred: keeps `shixun --help` free of pybullet
    from sim.runner import make_operator, open_trace, run_attempt

    spec = get_spec(args.scenario)
    params = spec.validate_params(read_params(args.params))
    changes = read_changes(args.changes)
    if args.duration is not None and not args.duration > 0:
        raise UserError("--duration 必须大于 0", "--duration must be greater than 0")
    operator = make_operator(args.operator, spec.family)
    trace = open_trace(args.trace)
    try:
        result = run_attempt(
            spec, params, operator, args.seed, trace=trace, duration=args.duration, changes=changes
        )
    finally:
        if trace is not None:
            trace.close()
    ctx.result(result, _human(result, ctx.lang))
    return 0


def _human(result: dict[str, Any], lang: str) -> str:
    subs = ", ".join(f"{k} {v:.2f}" for k, v in result["sub_scores"].items())
    m = result["metrics"]
    if lang == "zh":
        verdict = "通过" if result["passed"] else "未通过"
        lines = [
            f"{result['scenario']}：{verdict}，得分 {result['score']:.1f}/100（用时 {m['time_s']:.1f} s，最优 {m['optimum_s']:.1f} s）",
            f"分项技能：{subs}",
        ]
        if result["critical"]:
            lines.append(f"严重错误：{', '.join(result['critical'])}")
        if result["deductions"]:
            lines.append("扣分：" + ", ".join(f"{k} −{v:g}" for k, v in result["deductions"].items()))
    else:
        verdict = "PASSED" if result["passed"] else "FAILED"
        lines = [
            f"{result['scenario']}: {verdict}, score {result['score']:.1f}/100 "
            f"(time {m['time_s']:.1f} s, optimum {m['optimum_s']:.1f} s)",
            f"sub-scores: {subs}",
        ]
        if result["critical"]:
            lines.append(f"critical: {', '.join(result['critical'])}")
        if result["deductions"]:
            lines.append("deductions: " + ", ".join(f"{k} −{v:g}" for k, v in result["deductions"].items()))
    lines.append(f"sim {result['sim_s']:.1f} s in {result['wall_s']:.2f} s wall, seed {result['seed']}")
    return "\n".join(lines)
