"""Shared fixtures: real motion capture through pybullet forward kinematics (vision/mocap.py)."""

import pytest

from vision import mocap


@pytest.fixture(scope="session")
def humanoid():
    with mocap.Humanoid() as body:
        yield body


@pytest.fixture(scope="session")
def walk():
    return mocap.Clip.load("walk")
