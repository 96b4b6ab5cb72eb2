"""The station runtime: one training session end to end, headless, driven step by step.

learner → booking check → generated parameters (with their explanation) → sim scene → pose frames →
coach (with the current task step) → live stream on the bus → MCAP recording → stored attempt →
learner model updated → debrief. `StationSession` is the one entry point; the Qt apps and
`shixun demo` / `shixun session run` are drivers over it.
"""
