"""pybullet scenes per scenario family, operators, scoring and state snapshots."""
