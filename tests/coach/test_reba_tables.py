"""REBA tables pinned cell by cell against the worksheet (shared/reference/ergonomics.md §2.1)."""

import pytest

from coach import reba

# Typed from the worksheet, independently of coach/reba.py: TABLE A rows trunk 1-5, per neck 1-3, legs 1-4.
WORKSHEET_A = """
1 2 3 4 | 1 2 3 4 | 3 3 5 6
2 3 4 5 | 3 4 5 6 | 4 5 6 7
2 4 5 6 | 4 5 6 7 | 5 6 7 8
3 5 6 7 | 5 6 7 8 | 6 7 8 9
4 6 7 8 | 6 7 8 9 | 7 8 9 9
"""
WORKSHEET_B = """
1 2 2 | 1 2 3
1 2 3 | 2 3 4
3 4 5 | 4 5 5
4 5 5 | 5 6 7
6 7 8 | 7 8 8
7 8 8 | 8 9 9
"""
WORKSHEET_C = """
1 1 1 2 3 3 4 5 6 7 7 7
1 2 2 3 4 4 5 6 6 7 7 8
2 3 3 3 4 5 6 7 7 8 8 8
3 4 4 4 5 6 7 8 8 9 9 9
4 4 4 5 6 7 8 8 9 9 9 9
6 6 6 7 8 8 9 9 10 10 10 10
7 7 7 8 9 9 9 10 10 11 11 11
8 8 8 9 10 10 10 10 10 11 11 11
9 9 9 10 10 10 11 11 11 12 12 12
10 10 10 11 11 11 11 12 12 12 12 12
11 11 11 11 12 12 12 12 12 12 12 12
12 12 12 12 12 12 12 12 12 12 12 12
"""


def _cells(text):
    return [
        [[int(v) for v in group.split()] for group in line.split("|")] for line in text.strip().splitlines()
    ]


A_CELLS = [
    (trunk + 1, neck + 1, legs + 1, value)
    for trunk, row in enumerate(_cells(WORKSHEET_A))
    for neck, group in enumerate(row)
    for legs, value in enumerate(group)
]
B_CELLS = [
    (upper + 1, lower + 1, wrist + 1, value)
    for upper, row in enumerate(_cells(WORKSHEET_B))
    for lower, group in enumerate(row)
    for wrist, value in enumerate(group)
]
C_CELLS = [
    (a + 1, b + 1, value) for a, row in enumerate(_cells(WORKSHEET_C)) for b, value in enumerate(row[0])
]


def test_every_cell_is_pinned():
    assert (len(A_CELLS), len(B_CELLS), len(C_CELLS)) == (60, 36, 144)


@pytest.mark.parametrize(("trunk", "neck", "legs", "expected"), A_CELLS)
def test_table_a(trunk, neck, legs, expected):
    assert reba.table_a(trunk, neck, legs) == expected


@pytest.mark.parametrize(("upper", "lower", "wrist", "expected"), B_CELLS)
def test_table_b(upper, lower, wrist, expected):
    assert reba.table_b(upper, lower, wrist) == expected


@pytest.mark.parametrize(("a", "b", "expected"), C_CELLS)
def test_table_c(a, b, expected):
    assert reba.table_c(a, b) == expected


def test_reference_vector_from_rs9000():
    # neck 2, trunk 2, legs 2, upper arm 1, lower arm 2, wrist 3 -> A=4, B=3, C=4 (ergonomics.md §2.1)
    assert reba.table_a(trunk=2, neck=2, legs=2) == 4
    assert reba.table_b(upper_arm=1, lower_arm=2, wrist=3) == 3
    assert reba.table_c(4, 3) == 4


@pytest.mark.parametrize(
    ("flexion", "twisted", "expected"),
    [
        (0, False, 1),
        (4.9, False, 1),
        (-4.9, False, 1),
        (10, False, 2),
        (-15, False, 2),
        (20, False, 2),
        (20.1, False, 3),
        (60, False, 3),
        (-25, False, 3),
        (60.1, False, 4),
        (90, True, 5),
        (0, True, 2),
    ],
)
def test_trunk_bands(flexion, twisted, expected):
    assert reba.trunk_score(flexion, twisted) == expected


@pytest.mark.parametrize(
    ("flexion", "side", "expected"),
    [(10, False, 1), (20, False, 1), (21, False, 2), (-10, False, 2), (10, True, 2), (30, True, 3)],
)
def test_neck_bands(flexion, side, expected):
    assert reba.neck_score(flexion, side) == expected


@pytest.mark.parametrize(
    ("unilateral", "knee", "sitting", "expected"),
    [
        (False, 10, False, 1),
        (False, 30, False, 2),
        (False, 60, False, 2),
        (False, 61, False, 3),
        (True, 10, False, 2),
        (True, 45, False, 3),
        (True, 90, False, 4),
        (False, 90, True, 1),
    ],
)
def test_legs_with_knee_adjustments(unilateral, knee, sitting, expected):
    assert reba.legs_score(unilateral, knee, sitting) == expected


@pytest.mark.parametrize(
    ("flexion", "abducted", "raised", "supported", "expected"),
    [
        (0, False, False, False, 1),
        (-20, False, False, False, 1),
        (-21, False, False, False, 2),
        (45, False, False, False, 2),
        (46, False, False, False, 3),
        (90, False, False, False, 3),
        (91, False, False, False, 4),
        (100, True, True, False, 6),
        (0, False, False, True, 1),
        (60, False, False, True, 2),
    ],
)
def test_upper_arm_bands(flexion, abducted, raised, supported, expected):
    assert reba.upper_arm_score(flexion, abducted, raised, supported) == expected


@pytest.mark.parametrize(("elbow", "expected"), [(59, 2), (60, 1), (100, 1), (101, 2), (0, 2)])
def test_lower_arm_bands(elbow, expected):
    assert reba.lower_arm_score(elbow) == expected


@pytest.mark.parametrize(
    ("wrist", "deviated", "expected"), [(15, False, 1), (-15, False, 1), (16, False, 2), (16, True, 3)]
)
def test_wrist_bands(wrist, deviated, expected):
    assert reba.wrist_score(wrist, deviated) == expected


@pytest.mark.parametrize(
    ("kg", "shock", "expected"),
    [(0, False, 0), (4.9, False, 0), (5, False, 1), (10, False, 1), (10.1, False, 2), (12, True, 3)],
)
def test_load(kg, shock, expected):
    assert reba.load_score(kg, shock) == expected


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (1, "negligible"),
        (2, "low"),
        (3, "low"),
        (4, "medium"),
        (7, "medium"),
        (8, "high"),
        (10, "high"),
        (11, "very_high"),
        (15, "very_high"),
    ],
)
def test_action_levels(score, level):
    assert reba.risk_level(score) == level
