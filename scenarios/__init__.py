"""Scenario specs, the learner model and the parameter generator (pure logic, no I/O but spec files)."""
