"""A standing signaller filmed through the mocap rig with a pose model's jitter, and what the coach reads."""

from coach.context import FrameContext
from coach.engine import Coach, CoachConfig
from vision import mocap


def keep(pose, weight):
    return pose


def signals_read(humanoid, standard, arms, start, end, yaw=0.0, seed=0) -> list[str]:
    """The signals recognised, in order, while a standing signaller moves or holds `arms` from `start` to
    `end` seconds (and stands one more second)."""
    episode = mocap.Episode("signal", start, end, keep, time_varying=list(arms))
    rec = mocap.render(
        mocap.standing(),
        end + 1.0,
        camera=mocap.Camera(yaw_deg=yaw),
        episodes=[episode],
        noise=mocap.Noise(),
        seed=seed,
        humanoid=humanoid,
    )
    coach = Coach(CoachConfig(rules=("hand_signal",), signal_set=standard))
    for frame in rec.frames:
        coach.process(frame, FrameContext())
    coach.finish(rec.frames[-1].t)
    return [e.detail["signal"] for e in coach.events if e.kind == "signal"]
