"""Scenario specs: typed, validated, immutable views of `scenarios/catalog/*.toml`.

A spec is data an instructor can read and edit (DESIGN.md, "Scenario spec"); this module turns it into
frozen objects and answers every mistake with the file, the field and why, so a bad edit never reaches
the simulator. Parameter values for one attempt are checked here too (`Spec.validate_params`).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from lab.bus.text import Text, UserError

ParamType = Literal["float", "int", "bool"]
PARAM_TYPES: tuple[ParamType, ...] = ("float", "int", "bool")
FAULTS_KEY = "faults"  # the one parameter-dict key that is not a spec parameter: injected fault ids


class SpecError(UserError):
    """A spec file is malformed: names the file, the field and why."""

    def __init__(self, path: Path | str, field: str, zh_why: str, en_why: str) -> None:
        super().__init__(f"场景文件 {path} 的字段 {field} 有误：{zh_why}", f"{path}: field {field}: {en_why}")
        self.path = str(path)
        self.field = field


@dataclass(frozen=True)
class Skill:
    """A trained skill, optionally with its calibration in the learner model's LLTM
    (shared/reference/adaptive.md §3.1): the sub-score at or above which the skill counts as passed,
    and the slope a_k and intercept b_k of logit P(pass_k) = a_k·(θ_k − b_k − w_k·x). None = not given."""

    id: str
    title: Text
    pass_score: float | None = None
    slope: float | None = None
    intercept: float | None = None


@dataclass(frozen=True)
class Parameter:
    """One tunable scenario parameter; `difficulty[skill]` ≥ 0 weighs its normalised value (1 = hard end)."""

    name: str
    title: Text
    type: ParamType
    unit: str
    min: float
    max: float
    default: float | int | bool
    harder: Literal["higher", "lower"]
    difficulty: Mapping[str, float]

    def normalise(self, value: float | int | bool) -> float:
        """Position of `value` in the range, 0 = easy end, 1 = hard end."""
        span = self.max - self.min
        x = (float(value) - self.min) / span if span else 0.0
        return x if self.harder == "higher" else 1.0 - x

    def denormalise(self, x: float) -> float | int | bool:
        """Inverse of `normalise`, rounded to the parameter's type."""
        x = min(1.0, max(0.0, x))
        value = self.min + (x if self.harder == "higher" else 1.0 - x) * (self.max - self.min)
        if self.type == "int":
            return round(value)
        if self.type == "bool":
            return value >= 0.5
        return value

    def range_text(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if self.type == "bool":
            return "true/false"
        return f"{_fmt(self.min)}..{_fmt(self.max)}{unit} ({self.type})"


@dataclass(frozen=True)
class Fault:
    id: str
    title: Text
    description: Text
    onset_s: tuple[float, float]
    settings: Mapping[str, float]
    difficulty: Mapping[str, float]


@dataclass(frozen=True)
class Step:
    id: str
    title: Text
    instruction: Text
    coach_rules: tuple[str, ...]


@dataclass(frozen=True)
class Deduction:
    id: str
    points: float
    title: Text


@dataclass(frozen=True)
class Critical:
    id: str
    title: Text


@dataclass(frozen=True)
class Rubric:
    """Exam rubric: points, the optimum-time rule, event deductions and critical (fail-outright) errors."""

    start_points: float
    pass_points: float
    optimum_margin: float
    stop_ratio: float
    time_points: float
    deductions: Mapping[str, Deduction]
    critical: Mapping[str, Critical]
    limits: Mapping[str, float]


@dataclass(frozen=True)
class Spec:
    id: str
    version: int
    family: str
    title: Text
    description: Text
    skills: tuple[Skill, ...]
    parameters: Mapping[str, Parameter]
    faults: Mapping[str, Fault]
    steps: tuple[Step, ...]
    rubric: Rubric
    constants: Mapping[str, float]
    path: str

    @property
    def skill_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.skills)

    def defaults(self) -> dict[str, Any]:
        return {name: p.default for name, p in self.parameters.items()} | {FAULTS_KEY: []}

    def validate_params(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        """Fill defaults and check every given value; unknown names, wrong types, out of range → UserError."""
        if given is None:
            given = {}
        if not isinstance(given, Mapping):
            raise UserError("参数必须是一个 JSON 对象", "parameters must be a JSON object")
        unknown = sorted(set(given) - set(self.parameters) - {FAULTS_KEY})
        if unknown:
            allowed = ", ".join([*self.parameters, FAULTS_KEY])
            raise UserError(
                f"未知参数 {', '.join(unknown)}；可用参数：{allowed}",
                f"unknown parameter {', '.join(unknown)}; known parameters: {allowed}",
            )
        values = self.defaults()
        for name, raw in given.items():
            if name == FAULTS_KEY:
                values[name] = self._validate_faults(raw)
            else:
                values[name] = _check_value(self.parameters[name], raw)
        return values

    def _validate_faults(self, raw: Any) -> list[str]:
        known = ", ".join(self.faults) or "-"
        if not isinstance(raw, list) or not all(isinstance(f, str) for f in raw):
            raise UserError(
                f"faults 必须是故障编号列表，可选：{known}",
                f"faults must be a list of fault ids, from: {known}",
            )
        bad = [f for f in raw if f not in self.faults]
        if bad:
            raise UserError(
                f"未知故障 {', '.join(bad)}；可选：{known}",
                f"unknown fault {', '.join(bad)}; known faults: {known}",
            )
        return sorted(set(raw), key=list(self.faults).index)

    def difficulty_weights(self) -> dict[tuple[str, str], float]:
        """(skill, parameter) -> weight, the learner model's prior (shared/reference/adaptive.md §3.1)."""
        return {(s, p.name): w for p in self.parameters.values() for s, w in p.difficulty.items()}

    def fault_effects(self) -> dict[tuple[str, str], float]:
        """(skill, fault) -> weight of injecting that fault."""
        return {(s, f.id): w for f in self.faults.values() for s, w in f.difficulty.items()}

    def normalised(self, params: Mapping[str, Any]) -> dict[str, float]:
        """Every parameter of a validated dict as 0 (easy) .. 1 (hard)."""
        return {name: p.normalise(params[name]) for name, p in self.parameters.items()}


def _fmt(x: float) -> str:
    return f"{x:g}"


def _check_value(param: Parameter, raw: Any) -> float | int | bool:
    """One parameter value: type first, then range; the error lists the allowed range."""
    wrong_type = UserError(
        f"参数 {param.name} 类型错误（{raw!r}）；允许：{param.range_text()}",
        f"parameter {param.name} has the wrong type ({raw!r}); allowed: {param.range_text()}",
    )
    if param.type == "bool":
        if not isinstance(raw, bool):
            raise wrong_type
        return raw
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise wrong_type
    if param.type == "int":
        if isinstance(raw, float) and not raw.is_integer():
            raise wrong_type
        value: float | int = int(raw)
    else:
        value = float(raw)
    if not math.isfinite(value) or not param.min <= value <= param.max:
        raise UserError(
            f"参数 {param.name} = {raw!r} 超出范围；允许：{param.range_text()}",
            f"parameter {param.name} = {raw!r} is out of range; allowed: {param.range_text()}",
        )
    return value


# --- loading ----------------------------------------------------------------------------------------


class _Reader:
    """Typed access to a parsed TOML table that reports the dotted field path on any mistake."""

    def __init__(self, path: Path, data: Mapping[str, Any], where: str = "") -> None:
        self.path, self.data, self.where = path, data, where

    def field(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def fail(self, key: str, zh: str, en: str) -> SpecError:
        return SpecError(self.path, self.field(key), zh, en)

    def raw(self, key: str, default: Any = ...) -> Any:
        if key not in self.data:
            if default is ...:
                raise self.fail(key, "缺少此字段", "missing")
            return default
        return self.data[key]

    def string(self, key: str) -> str:
        value = self.raw(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "应为非空字符串", "must be a non-empty string")
        return value

    def number(self, key: str, default: Any = ..., positive: bool = False) -> float:
        value = self.raw(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.fail(key, "应为有限数字", "must be a finite number")
        if positive and value <= 0:
            raise self.fail(key, "应大于 0", "must be greater than 0")
        return float(value)

    def text(self, key: str) -> Text:
        value = self.raw(key)
        try:
            return Text.from_dict(value)
        except ValueError:
            raise self.fail(key, "需要中英文两个字符串 {zh, en}", "needs strings zh and en") from None

    def table(self, key: str, default: Any = ...) -> _Reader:
        value = self.raw(key, default)
        if not isinstance(value, dict):
            raise self.fail(key, "应为表", "must be a table")
        return _Reader(self.path, value, self.field(key))

    def tables(self, key: str) -> list[_Reader]:
        value = self.raw(key)
        if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
            raise self.fail(key, "应为非空的表数组 [[...]]", "must be a non-empty array of tables [[...]]")
        return [_Reader(self.path, v, f"{self.field(key)}[{i}]") for i, v in enumerate(value)]

    def optional_number(self, key: str, positive: bool = False) -> float | None:
        return self.number(key, positive=positive) if key in self.data else None

    def numbers(self, key: str, default: Any = ...) -> dict[str, float]:
        sub = self.table(key, default)
        return {k: sub.number(k) for k in sub.data}

    def only(self, allowed: set[str]) -> None:
        extra = sorted(set(self.data) - allowed)
        if extra:
            raise self.fail(
                extra[0],
                f"未知字段；允许：{', '.join(sorted(allowed))}",
                f"unknown field; allowed: {', '.join(sorted(allowed))}",
            )


def _weights(r: _Reader, key: str, skills: set[str]) -> Mapping[str, float]:
    weights = r.numbers(key, {})
    for skill, w in weights.items():
        if skill not in skills:
            raise SpecError(
                r.path,
                f"{r.field(key)}.{skill}",
                "未声明的技能",
                f"unknown skill (declared: {', '.join(sorted(skills))})",
            )
        if w < 0:
            raise SpecError(
                r.path, f"{r.field(key)}.{skill}", "难度权重不能为负", "difficulty weight must be ≥ 0"
            )
    return MappingProxyType(weights)


def _unique(path: Path, field: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise SpecError(path, field, f"重复的编号 {i}", f"duplicate id {i}")
        seen.add(i)


def _skill(r: _Reader) -> Skill:
    r.only({"id", "title", "pass_score", "slope", "intercept"})
    pass_score = r.optional_number("pass_score")
    if pass_score is not None and not 0 < pass_score <= 1:
        raise r.fail("pass_score", "应在 (0, 1] 之间", "must be in (0, 1]")
    return Skill(
        r.string("id"),
        r.text("title"),
        pass_score,
        r.optional_number("slope", positive=True),
        r.optional_number("intercept"),
    )


def _parameter(r: _Reader, name: str, skills: set[str]) -> Parameter:
    r.only({"title", "type", "unit", "min", "max", "default", "harder", "difficulty"})
    kind = r.string("type")
    if kind not in PARAM_TYPES:
        raise r.fail("type", f"应为 {'/'.join(PARAM_TYPES)}", f"must be one of {', '.join(PARAM_TYPES)}")
    harder = r.raw("harder", "higher")
    if harder not in ("higher", "lower"):
        raise r.fail("harder", "应为 higher 或 lower", "must be 'higher' or 'lower'")
    unit = r.raw("unit", "")
    if not isinstance(unit, str):
        raise r.fail("unit", "应为字符串", "must be a string")
    lo, hi = (0.0, 1.0) if kind == "bool" else (r.number("min"), r.number("max"))
    if hi < lo:
        raise r.fail("max", "不能小于 min", "must not be less than min")
    if kind == "int" and not (lo.is_integer() and hi.is_integer()):
        raise r.fail("min", "整数参数的范围必须是整数", "an int parameter needs integer bounds")
    param = Parameter(
        name, r.text("title"), kind, unit, lo, hi, False, harder, _weights(r, "difficulty", skills)
    )
    try:
        default = _check_value(param, r.raw("default"))
    except UserError as exc:
        raise r.fail("default", exc.text.zh, exc.text.en) from None
    return Parameter(name, param.title, kind, unit, lo, hi, default, harder, param.difficulty)


def _fault(r: _Reader, skills: set[str]) -> Fault:
    r.only({"id", "title", "description", "onset_s", "settings", "difficulty"})
    onset = r.raw("onset_s")
    if (
        not isinstance(onset, list)
        or len(onset) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in onset)
        or not 0 <= onset[0] <= onset[1]
    ):
        raise r.fail(
            "onset_s",
            "应为 [最早, 最晚] 秒，且 0 ≤ 最早 ≤ 最晚",
            "must be [earliest, latest] seconds with 0 ≤ earliest ≤ latest",
        )
    return Fault(
        r.string("id"),
        r.text("title"),
        r.text("description"),
        (float(onset[0]), float(onset[1])),
        MappingProxyType(r.numbers("settings", {})),
        _weights(r, "difficulty", skills),
    )


def _step(r: _Reader) -> Step:
    r.only({"id", "title", "instruction", "coach_rules"})
    rules = r.raw("coach_rules")
    if not isinstance(rules, list) or not all(isinstance(x, str) and x for x in rules):
        raise r.fail("coach_rules", "应为规则编号字符串列表", "must be a list of coach rule ids (strings)")
    return Step(r.string("id"), r.text("title"), r.text("instruction"), tuple(rules))


def _rubric(r: _Reader) -> Rubric:
    r.only(
        {
            "start_points",
            "pass_points",
            "optimum_margin",
            "stop_ratio",
            "time_points",
            "deductions",
            "critical",
            "limits",
        }
    )
    start, passing = r.number("start_points", positive=True), r.number("pass_points", positive=True)
    if passing > start:
        raise r.fail("pass_points", "不能高于 start_points", "must not exceed start_points")
    margin, stop = r.number("optimum_margin", positive=True), r.number("stop_ratio", positive=True)
    if stop <= 1.0:
        raise r.fail("stop_ratio", "应大于 1", "must be greater than 1")
    time_points = r.number("time_points")
    if not 0 <= time_points <= start:
        raise r.fail("time_points", "应在 0 与 start_points 之间", "must be between 0 and start_points")
    deductions = []
    for d in r.tables("deductions"):
        d.only({"id", "points", "title"})
        deductions.append(Deduction(d.string("id"), d.number("points", positive=True), d.text("title")))
    critical = []
    for c in r.tables("critical"):
        c.only({"id", "title"})
        critical.append(Critical(c.string("id"), c.text("title")))
    _unique(r.path, r.field("deductions"), [d.id for d in deductions])
    _unique(r.path, r.field("critical"), [c.id for c in critical])
    return Rubric(
        start,
        passing,
        margin,
        stop,
        time_points,
        MappingProxyType({d.id: d for d in deductions}),
        MappingProxyType({c.id: c for c in critical}),
        MappingProxyType(r.numbers("limits", {})),
    )


def parse_spec(data: Mapping[str, Any], path: Path | str) -> Spec:
    """Build a Spec from parsed TOML; every problem raises SpecError(path, field, why)."""
    path = Path(path)
    r = _Reader(path, data)
    r.only(
        {
            "id",
            "version",
            "family",
            "title",
            "description",
            "skills",
            "parameters",
            "faults",
            "steps",
            "rubric",
            "constants",
        }
    )
    version = r.raw("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise r.fail("version", "应为正整数", "must be a positive integer")
    skills = [_skill(s) for s in r.tables("skills")]
    _unique(path, "skills", [s.id for s in skills])
    skill_ids = {s.id for s in skills}
    params_table = r.table("parameters")
    if not params_table.data:
        raise r.fail("parameters", "至少需要一个参数", "needs at least one parameter")
    if FAULTS_KEY in params_table.data:
        raise params_table.fail(
            FAULTS_KEY, "此名称保留给故障列表", "this name is reserved for the fault list"
        )
    parameters = {name: _parameter(params_table.table(name), name, skill_ids) for name in params_table.data}
    faults = [_fault(f, skill_ids) for f in r.tables("faults")] if "faults" in r.data else []
    _unique(path, "faults", [f.id for f in faults])
    steps = [_step(s) for s in r.tables("steps")]
    _unique(path, "steps", [s.id for s in steps])
    return Spec(
        id=r.string("id"),
        version=version,
        family=r.string("family"),
        title=r.text("title"),
        description=r.text("description"),
        skills=tuple(skills),
        parameters=MappingProxyType(parameters),
        faults=MappingProxyType({f.id: f for f in faults}),
        steps=tuple(steps),
        rubric=_rubric(r.table("rubric")),
        constants=MappingProxyType(r.numbers("constants", {})),
        path=str(path),
    )


def load_spec(path: Path | str) -> Spec:
    """Read and validate one spec file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"找不到场景文件：{path}", f"scenario spec not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(
            f"无法读取场景文件 {path}：{exc}", f"cannot read scenario spec {path}: {exc}"
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(path, "(TOML)", f"语法错误：{exc}", f"syntax error: {exc}") from exc
    except RecursionError:  # tomllib recurses per nesting level
        raise SpecError(path, "(TOML)", "嵌套层数过多", "nested too deeply") from None
    return parse_spec(data, path)


def catalog_dir() -> Path:
    return Path(__file__).with_name("catalog")


@cache
def catalog() -> Mapping[str, Spec]:
    """Every spec shipped in `scenarios/catalog/`, by id."""
    specs: dict[str, Spec] = {}
    for path in sorted(catalog_dir().glob("*.toml")):
        spec = load_spec(path)
        if spec.id in specs:
            raise SpecError(
                path, "id", f"与 {specs[spec.id].path} 重复", f"duplicates the id in {specs[spec.id].path}"
            )
        specs[spec.id] = spec
    return MappingProxyType(specs)


def get_spec(scenario_id: str) -> Spec:
    """The catalog spec with this id; an unknown id → UserError listing the known ids."""
    specs = catalog()
    if scenario_id not in specs:
        known = ", ".join(specs) or "-"
        raise UserError(
            f"未知场景 {scenario_id}；可选：{known}", f"unknown scenario {scenario_id}; known: {known}"
        )
    return specs[scenario_id]
