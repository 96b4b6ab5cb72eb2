"""The overhead (bridge) crane scene: drives, course, wind, pybullet physics, exam scoring, autopilot."""
