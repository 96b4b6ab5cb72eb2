"""Scenario spec files shipped with Shixun (TOML, one per scenario)."""
