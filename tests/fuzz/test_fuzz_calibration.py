"""Camera calibration files: any content gives a calibration or CalibrationError, never a traceback."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from fuzz_values import mutated
from hypothesis import example, given, settings
from hypothesis import strategies as st

from vision.calibration import CalibrationError, CameraCalibration, load_calibration

VALID = CameraCalibration(
    "cam1",
    (640, 480),
    np.array([[600.0, 0, 320], [0, 600.0, 240], [0, 0, 1]]),
    np.zeros(5),
    0.3,
    np.array([0.1, 0.2, 0.3]),
    np.array([0.0, 0.5, 2.0]),
).to_json()


def _load(content: str) -> CameraCalibration | None:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "cam1.json").write_text(content, encoding="utf-8", errors="surrogatepass")
        try:
            return load_calibration(Path(folder), "cam1")
        except CalibrationError as exc:
            assert exc.text.zh and exc.text.en
            return None


def test_the_valid_file_loads() -> None:
    loaded = _load(json.dumps(VALID))
    assert loaded is not None and loaded.has_floor and loaded.image_size == (640, 480)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(mutated(VALID))
def test_mutated_calibration_documents(document: object) -> None:
    _load(json.dumps(document, allow_nan=True))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.text(max_size=200))
@example("")
@example("[]")
@example('{"format": "shixun.camera/1"}')
def test_random_text(content: str) -> None:
    _load(content)


@pytest.mark.parametrize(
    "content",
    [json.dumps({**VALID, "image_size": [float("inf"), 480]}), "[" * 100_000 + "]" * 100_000],
    ids=["infinite-image-size", "deeply-nested"],
)
def test_once_crashing_documents_are_one_line_errors(content: str) -> None:
    _load(content)
