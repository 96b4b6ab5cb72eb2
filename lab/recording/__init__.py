"""Session recordings (MCAP, JSON-schema channels): writing, the relay-side recorder, and reading."""
