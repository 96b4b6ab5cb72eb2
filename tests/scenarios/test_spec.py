"""The scenario spec loader: the shipped catalog loads, and every kind of mistake names file, field and why."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from lab.bus.text import UserError
from scenarios.spec import FAULTS_KEY, SpecError, catalog, catalog_dir, get_spec, load_spec

CRANE = "crane.bridge_lift"
CRANE_FILE = catalog_dir() / "crane_bridge_lift.toml"


def test_catalog_has_the_crane_spec_with_the_issue_contents():
    spec = get_spec(CRANE)
    assert spec.id in catalog()
    assert spec.family == "crane" and spec.version >= 1
    assert spec.title.zh and spec.title.en
    assert {"sway_control", "precision_placement", "path_planning", "hazard_awareness"} <= set(spec.skill_ids)
    for name in ("load_mass_kg", "rope_length_m", "wind_mps", "gust_mps", "corridor_width_m"):
        assert name in spec.parameters
    for name in ("obstacle_count", "target_tolerance_m", "time_limit_s", "initial_sway_deg"):
        assert name in spec.parameters
    assert {"hoist_brake_slip", "drive_lag", "sudden_gust", "limit_switch_failure"} <= set(spec.faults)
    assert [s.id for s in spec.steps] == ["pre_lift_check", "hoist", "travel", "lower", "set_down"]
    assert all(step.coach_rules for step in spec.steps)
    assert {"collision", "load_ground", "corridor_exit", "hoist_down_stop"} <= set(spec.rubric.deductions)
    assert {"load_over_people", "dropped_load"} <= set(spec.rubric.critical)


def test_spec_is_immutable():
    spec = get_spec(CRANE)
    with pytest.raises(AttributeError):
        spec.id = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        spec.parameters["wind_mps"] = None  # type: ignore[index]


def test_unknown_scenario_lists_known_ids():
    with pytest.raises(UserError, match=CRANE):
        get_spec("crane.nope")


def test_validate_params_fills_defaults_and_keeps_given_values():
    spec = get_spec(CRANE)
    params = spec.validate_params({"wind_mps": 5, "obstacle_count": 3.0, FAULTS_KEY: ["drive_lag"]})
    assert params["wind_mps"] == 5.0 and isinstance(params["wind_mps"], float)
    assert params["obstacle_count"] == 3 and isinstance(params["obstacle_count"], int)
    assert params["rope_length_m"] == spec.parameters["rope_length_m"].default
    assert params[FAULTS_KEY] == ["drive_lag"]
    assert set(params) == set(spec.parameters) | {FAULTS_KEY}


@pytest.mark.parametrize(
    ("given", "needle"),
    [
        ({"wind_mps": 99}, "0..12 m/s"),
        ({"wind_mps": -1}, "0..12 m/s"),
        ({"wind_mps": "strong"}, "wrong type"),
        ({"wind_mps": True}, "wrong type"),
        ({"obstacle_count": 1.5}, "wrong type"),
        ({"wind_mps": float("nan")}, "out of range"),
        ({"speed": 1}, "known parameters: load_mass_kg"),
        ({FAULTS_KEY: ["meteor"]}, "hoist_brake_slip"),
        ({FAULTS_KEY: "drive_lag"}, "list of fault ids"),
    ],
)
def test_validate_params_rejects_bad_values_with_the_allowed_range(given, needle):
    with pytest.raises(UserError) as info:
        get_spec(CRANE).validate_params(given)
    assert needle in info.value.message("en")
    assert info.value.message("zh")


def test_normalise_puts_the_hard_end_at_one_and_round_trips():
    spec = get_spec(CRANE)
    wind, corridor = spec.parameters["wind_mps"], spec.parameters["corridor_width_m"]
    assert wind.normalise(wind.max) == 1.0 and wind.normalise(wind.min) == 0.0
    assert corridor.normalise(corridor.min) == 1.0  # narrower corridor is harder
    assert corridor.denormalise(corridor.normalise(3.3)) == pytest.approx(3.3)
    assert spec.parameters["obstacle_count"].denormalise(0.49) == 2


def test_difficulty_mapping_covers_every_skill_with_nonnegative_weights():
    spec = get_spec(CRANE)
    weights = spec.difficulty_weights() | spec.fault_effects()
    assert {skill for skill, _ in weights} == set(spec.skill_ids)
    assert all(w >= 0 for w in weights.values())


def test_skill_calibration_is_optional_and_the_crane_spec_carries_it(tmp_path):
    for skill in get_spec(CRANE).skills:  # measured on the scene: benchmarks/results/adaptive_surface.md
        assert 0 < skill.pass_score <= 1 and skill.slope > 0 and skill.intercept is not None

    def strip(d):
        for skill in d["skills"]:
            for key in ("pass_score", "slope", "intercept"):
                skill.pop(key, None)
        d["skills"][0].update(pass_score=1, intercept=-2)

    spec = load_spec(_mutated(tmp_path, strip))
    first, second = spec.skills[0], spec.skills[1]
    assert (first.pass_score, first.slope, first.intercept) == (1.0, None, -2.0)
    assert (second.pass_score, second.slope, second.intercept) == (None, None, None)


def _mutated(tmp_path: Path, edit) -> Path:
    data = tomllib.loads(CRANE_FILE.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "bad.toml"
    path.write_text(_dump(data), encoding="utf-8")
    return path


def _dump(data: dict) -> str:
    """Minimal TOML writer for the test's mutated specs (inline tables throughout)."""

    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f'"{k}" = {value(x)}' for k, x in v.items()) + "}"
        return repr(v)

    return "\n".join(f'"{k}" = {value(v)}' for k, v in data.items()) + "\n"


@pytest.mark.parametrize(
    ("edit", "field", "why"),
    [
        (lambda d: d.pop("rubric"), "rubric", "missing"),
        (lambda d: d["parameters"]["wind_mps"].update(max=-5.0), "parameters.wind_mps.max", "less than min"),
        (
            lambda d: d["parameters"]["wind_mps"].update(default=50.0),
            "parameters.wind_mps.default",
            "out of range",
        ),
        (lambda d: d["parameters"]["wind_mps"].update(type="complex"), "parameters.wind_mps.type", "one of"),
        (
            lambda d: d["parameters"]["wind_mps"]["difficulty"].update(luck=1.0),
            "parameters.wind_mps.difficulty.luck",
            "unknown skill",
        ),
        (
            lambda d: d["parameters"]["wind_mps"]["difficulty"].update(sway_control=-1.0),
            "difficulty.sway_control",
            "≥ 0",
        ),
        (lambda d: d["title"].pop("zh"), "title", "zh and en"),
        (lambda d: d["steps"][1].update(coach_rules="danger_zone"), "steps[1].coach_rules", "list"),
        (lambda d: d["faults"][0].update(onset_s=[9, 1]), "faults[0].onset_s", "earliest"),
        (
            lambda d: d["rubric"]["deductions"][0].update(points="ten"),
            "rubric.deductions[0].points",
            "number",
        ),
        (lambda d: d["rubric"].update(pass_points=500.0), "rubric.pass_points", "start_points"),
        (lambda d: d["skills"].append(dict(d["skills"][0])), "skills", "duplicate"),
        (lambda d: d["skills"][0].update(pass_score=0.0), "skills[0].pass_score", "(0, 1]"),
        (lambda d: d["skills"][0].update(pass_score=1.5), "skills[0].pass_score", "(0, 1]"),
        (lambda d: d["skills"][1].update(pass_score="high"), "skills[1].pass_score", "number"),
        (lambda d: d["skills"][1].update(slope=0.0), "skills[1].slope", "greater than 0"),
        (lambda d: d["skills"][2].update(slope=-1.2), "skills[2].slope", "greater than 0"),
        (lambda d: d["skills"][3].update(intercept=float("inf")), "skills[3].intercept", "finite number"),
        (lambda d: d["skills"][3].update(intercept=float("nan")), "skills[3].intercept", "finite number"),
        (lambda d: d["skills"][3].update(threshold=0.5), "skills[3].threshold", "unknown field"),
        (lambda d: d.update(colour="red"), "colour", "unknown field"),
        (lambda d: d["constants"].update(span_m="wide"), "constants.span_m", "number"),
    ],
)
def test_bad_spec_names_file_field_and_why(tmp_path, edit, field, why):
    path = _mutated(tmp_path, edit)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    message = info.value.message("en")
    assert str(path) in message and field in message and why in message
    assert str(path) in info.value.message("zh")
    assert "\n" not in message and "\n" not in info.value.message("zh")  # the CLI prints one line


def test_unreadable_spec_files_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="not found"):
        load_spec(tmp_path / "missing.toml")
    garbled = tmp_path / "garbled.toml"
    garbled.write_text("id = [unclosed", encoding="utf-8")
    with pytest.raises(SpecError, match="syntax error"):
        load_spec(garbled)
