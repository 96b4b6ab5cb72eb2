"""Exam arithmetic: the optimum-time rule, rubric deductions from the spec, critical errors."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import pytest

from scenarios.spec import Deduction, get_spec
from sim.crane.scoring import AttemptMetrics, grade, time_loss

RUBRIC = get_spec("crane.bridge_lift").rubric


def clean_metrics(**events: int) -> AttemptMetrics:
    m = AttemptMetrics(setdown_error_m=0.05, impact_mps=0.05, min_people_clearance_m=3.0, path_m=20.0)
    m.travelled = m.lowered = True
    for name, count in events.items():
        m.events[name] = count
    return m


def test_no_time_loss_up_to_the_optimum_then_linear_to_the_stop_ratio():
    assert time_loss(RUBRIC, 60.0, 60.0) == 0.0
    assert time_loss(RUBRIC, 30.0, 60.0) == 0.0
    assert time_loss(RUBRIC, 75.0, 60.0) == pytest.approx(RUBRIC.time_points / 2)
    assert time_loss(RUBRIC, 90.0, 60.0) == pytest.approx(RUBRIC.time_points)
    assert time_loss(RUBRIC, 500.0, 60.0) == pytest.approx(RUBRIC.time_points)


def test_deductions_come_from_the_rubric_per_event():
    result = grade(RUBRIC, clean_metrics(collision=2, corridor_exit=1), 50.0, 60.0, 0.5, True)
    expected = 2 * RUBRIC.deductions["collision"].points + RUBRIC.deductions["corridor_exit"].points
    assert result.score == pytest.approx(100.0 - expected)
    assert result.deductions == {
        "collision": 2 * RUBRIC.deductions["collision"].points,
        "corridor_exit": RUBRIC.deductions["corridor_exit"].points,
    }


def test_an_instructor_edit_of_a_deduction_changes_the_score():
    edited = replace(
        RUBRIC,
        deductions=MappingProxyType(
            dict(RUBRIC.deductions)
            | {"collision": Deduction("collision", 1.0, RUBRIC.deductions["collision"].title)}
        ),
    )
    assert grade(edited, clean_metrics(collision=1), 50.0, 60.0, 0.5, True).score == 99.0


def test_pass_mark_and_critical_errors():
    assert grade(RUBRIC, clean_metrics(), 50.0, 60.0, 0.5, True).passed
    failing = grade(RUBRIC, clean_metrics(collision=4), 50.0, 60.0, 0.5, True)
    assert failing.score < RUBRIC.pass_points and not failing.passed
    critical = grade(RUBRIC, clean_metrics(load_over_people=1), 50.0, 60.0, 0.5, True)
    assert critical.score == 0.0 and not critical.passed and critical.critical == ["load_over_people"]


def test_sub_scores_fall_with_the_matching_mistakes():
    base = grade(RUBRIC, clean_metrics(), 50.0, 60.0, 0.5, True).sub_scores
    swaying = clean_metrics()
    swaying.peak_sway_deg, swaying.residual_sway_m = 8.0, 0.4
    assert grade(RUBRIC, swaying, 50.0, 60.0, 0.5, True).sub_scores["sway_control"] < base["sway_control"]
    off = clean_metrics()
    off.setdown_error_m = 0.6
    assert (
        grade(RUBRIC, off, 50.0, 60.0, 0.5, True).sub_scores["precision_placement"]
        < base["precision_placement"]
    )
    hits = grade(RUBRIC, clean_metrics(collision=2), 50.0, 60.0, 0.5, True).sub_scores
    assert hits["path_planning"] < base["path_planning"]
    close = clean_metrics()
    close.min_people_clearance_m = 0.3
    assert (
        grade(RUBRIC, close, 50.0, 60.0, 0.5, True).sub_scores["hazard_awareness"] < base["hazard_awareness"]
    )
    assert all(0.0 <= v <= 1.0 for v in base.values())
