"""Operator input: one command type that every input device, hand signal, script and autopilot produces."""
