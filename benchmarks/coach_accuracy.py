"""Coach accuracy on labelled sequences built from real motion capture (vision/mocap.py).

Sequences: DeepMimic clips played through forward kinematics, with controlled perturbations (stooped
lift, squat lift as a look-alike negative, overhead reach, twist under load, a hand entering a danger
zone, crane hand signals, malformed signals), filmed from several camera yaws and given landmark noise
like a real pose model's (temporally correlated jitter, more in depth). Each sequence is rendered once;
the coach runs on a noisy copy (its own seed per yaw), the truth comes from the clean one.

Labels: for posture and safety rules the truth is the rule's own measurement on the *clean* stream,
held for at least the rule's minimum duration (a true episode starts when the clean value first crosses
the threshold); for hand signals it is the perturbation interval from the moment the signal is formed
(the end of the ramp that brings the arm into the pose; for a GB 5082 sweep, the start of the sweep). An episode is found if an event of
its rule overlaps it; onset delay = detection time minus the episode start. An event is a true alarm if
it overlaps the clean truth (±0.5 s); any other event is a false alarm. Precision and recall carry 95 %
Wilson intervals.

False alarms are also counted on correct motion: every DeepMimic clip plausible in a workshop from three
camera yaws, with jitter and random occlusions (hidden points misplaced), all rules with each standard's
signals; the rate carries an exact Poisson 95 % interval. Punches, kicks and dances are counted apart,
and so is correct motion carrying a load (the only case in which the twist rule judges).
Goals (issue 5): precision ≥ 0.95, recall ≥ 0.90 per rule, onset ≤ 0.5 s (median and 90th percentile),
≤ 1 false alarm per 10 minutes. Writes benchmarks/results/coach_accuracy.{json,md}; with `--twist` it only
prints the twist episodes and the loaded correct motion (no results written).
"""

from __future__ import annotations

import json
import math
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.stats import chi2

from coach.context import DangerZone, FrameContext
from coach.engine import Coach, CoachConfig
from coach.geometry import posture
from coach.reba import RebaInputs, score
from coach.rules import RULES, Features, view_class
from coach.signals import SIGNAL_SETS
from vision import mocap
from vision.landmarks import Landmark as L

RESULTS = Path(__file__).with_name("results")
SLACK_S = 0.5
EPISODE_S, GAP_S, EPISODES_PER_VIEW = 3.0, 3.0, 10
SIGNAL_YAWS = (-30.0, 0.0, 30.0)
# Correct motion (the goal's measure): every DeepMimic clip that is plausible in a workshop (walking,
# running, jumping down, turning on the spot, crawling under a machine, lying down and getting up).
# Left out: backflip, cartwheel, roll, spinkick (acrobatics). Punches, kicks and dances are not
# workshop motion, but their arms pass through signal poses: a stress test reported on its own.
CORRECT = ("walk", "run", "jump", "spin", "crawl", "getup_faceup", "getup_facedown")
CORRECT_S = 90.0  # per clip and camera: 31.5 minutes in all
LOOKALIKES = ("punch", "kick", "dance_a", "dance_b")
LOOKALIKE_S = 60.0  # 12 minutes
CORRECT_YAWS = (0.0, 45.0, -60.0)
STANDARDS = ("asme_b30", "gb5082", "eu_92_58")
LOADED_S = 30.0  # correct motion carrying a load, per clip and camera: 10.5 minutes
LOADED = {"manual_handling, 8 kg": CoachConfig(rules=("manual_handling",))}


def keep(pose: np.ndarray, weight: float) -> np.ndarray:
    return pose


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """Wilson score interval (95 %) of a proportion k/n."""
    if n == 0:
        return None
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class Case:
    label: str  # a rule id, or "signal:<name>"
    clip: str  # a clip name, or "standing"
    yaws: tuple[float, ...]  # camera yaws; EPISODES_PER_VIEW episodes each, each with its own seed
    positive: Callable[[int], dict]  # episode k (0..EPISODES_PER_VIEW-1) -> Episode kwargs
    negative: Callable[[int], dict] | None = None  # look-alike episodes in between (must not fire)
    config: CoachConfig = field(default_factory=CoachConfig)
    reba: RebaInputs = field(default_factory=RebaInputs)
    zone: bool = False
    formed_s: float | None = None  # a signal is formed this long after its episode starts (None: the ramp)
    note: str = ""  # told apart in the results (e.g. "slow")


ASME = CoachConfig(rules=("hand_signal",), signal_set="asme_b30")
GB = CoachConfig(rules=("hand_signal",), signal_set="gb5082")
EU = CoachConfig(rules=("hand_signal",), signal_set="eu_92_58")


def _arm(k: int) -> str:
    return "right" if k % 2 else "left"


def _roll(k: int) -> float:
    """Rolls the raised arm so that a bent elbow lifts the forearm up (GB hook up, ASME hoist)."""
    return 90.0 if _arm(k) == "right" else -90.0


Movement = Callable[[float], mocap.PoseEdit]


def _both(movement: Callable[..., Movement], *args: float) -> list[Movement]:
    return [movement(side, *args) for side in ("right", "left")]


EPISODE_STARTS = tuple(GAP_S + k * (EPISODE_S + GAP_S) for k in range(EPISODES_PER_VIEW))
CHEST_HOLD_S = 0.5  # the 0.3 s ramp into the pose, then held 0.2 s before the sweep
TOP_HOLD_S = 0.35


def _chest_sweep(side: str, k: int) -> Movement:
    raise_deg, swing_deg, elbow_rad, roll_deg = mocap.GB_CHEST
    chest, out = (raise_deg, swing_deg - k, elbow_rad, roll_deg), mocap.GB_OUT
    sweep = CHEST_HOLD_S + 0.3
    keys = [(0.0, *chest), (CHEST_HOLD_S, *chest), (sweep, *out), (sweep + 0.6, *out), (sweep + 1.2, *chest)]
    return mocap.arm_keyframes(side, keys, EPISODE_S, start_s=EPISODE_STARTS[k])


def _down_sweep(side: str, k: int) -> Movement:
    top, level = (mocap.GB_TOP[0] - k, *mocap.GB_TOP[1:]), mocap.LEVEL
    keys = [(0.0, *top), (TOP_HOLD_S, *top), (TOP_HOLD_S + 0.3, *level), (TOP_HOLD_S + 0.6, *level)]
    return mocap.arm_keyframes(side, keys, 1.3, start_s=EPISODE_STARTS[k])


def _push(side: str, toward: str, k: int) -> Movement:
    """Episode k's push along a straight arm: 10–14.5 cm of hand travel at 0.9–1.17 pushes a second."""
    return mocap.push_arm(side, toward, 0.10 + 0.005 * k, 0.9 + 0.03 * k, raise_deg=86.0 + k)


def _signal(
    label: str,
    config: CoachConfig,
    movement: Callable[[int], Movement | list[Movement]],
    formed_s: float | None,
    note: str,
    yaws: tuple[float, ...] = SIGNAL_YAWS,
) -> Case:
    """A hand-signal case: a standing signaller, episode k's arm movement(s), from `yaws`."""
    return Case(
        label,
        "standing",
        yaws,
        lambda k: {"edit": keep, "time_varying": movement(k)},
        config=config,
        formed_s=formed_s,
        note=note,
    )


CASES = (
    Case(
        "ergo.stooped_lift",
        "walk",
        (45.0, 60.0, 90.0),
        lambda k: {"edit": mocap.straight_knee_lift(55 + 4 * k)},
        lambda k: {"edit": mocap.squat_lift(90 + 5 * k)},
    ),
    # The punch clip turns the body about 90° to the left: a camera in front of the start sees it side-on.
    Case(
        "ergo.stooped_lift",
        "punch",
        (-20.0, 0.0, 20.0),
        lambda k: {"edit": mocap.straight_knee_lift(60 + 3 * k)},
    ),
    Case(
        "ergo.overhead_reach",
        "walk",
        (0.0, 30.0, 60.0),
        lambda k: {"edit": mocap.overhead_reach(_arm(k), 140 + 4 * k)},
    ),
    Case(
        "ergo.trunk_twist_under_load",
        "walk",
        (0.0, 20.0, -20.0),
        lambda k: {"edit": mocap.twist((30 + 2 * k) * (1 if k % 2 else -1))},
        reba=RebaInputs(load_kg=8),
    ),
    Case(
        "safety.danger_zone",
        "standing",
        (-30.0, 0.0, 30.0),
        lambda k: {"edit": mocap.overhead_reach(_arm(k), 150)},
        zone=True,
    ),
    *(
        _signal(label, config, movement, formed_s, note)
        for label, config, movement, formed_s, note in (
            ("signal:stop", ASME, lambda k: mocap.signal_arm(_arm(k), 90, 20 + k, 1.0 + 0.05 * k), None, ""),
            (
                "signal:emergency_stop",
                ASME,
                lambda k: _both(mocap.signal_arm, 90, 20 + k, 1.0 + 0.05 * k),
                None,
                "",
            ),
            ("signal:lower", GB, lambda k: mocap.signal_arm(_arm(k), 28 + 1.5 * k), None, ""),
            (
                "signal:hoist",
                GB,
                lambda k: mocap.signal_arm(_arm(k), 80 + k, elbow_rad=-1.4 - 0.03 * k, roll_deg=_roll(k)),
                None,
                "",
            ),
            ("signal:stop", EU, lambda k: mocap.signal_arm("right", 170 + k), None, ""),
            ("signal:attention", EU, lambda k: _both(mocap.signal_arm, 85 + k), None, ""),
            (
                "signal.malformed.not_level",
                ASME,
                lambda k: mocap.signal_arm(_arm(k), 117 + 1.5 * k, 25),
                None,
                "",
            ),
            ("signal.malformed.wrong_hand", EU, lambda k: mocap.signal_arm("left", 170 + k), None, ""),
            # Circles (hand_signals.md §4.2, §4.4) about once a second: ASME hoist's forearm circles
            # about the elbow (hand radius ~5–6 cm), the others' whole arm round a cone (EU hoist
            # ~10 cm, lower ~5–7 cm). EU 92/58 says "slowly": also at half that pace.
            (
                "signal:hoist",
                ASME,
                lambda k: mocap.signal_arm(
                    _arm(k),
                    80 + k,
                    swing_hz=0.9 + 0.03 * k,
                    elbow_rad=-1.6,  # forearm vertical (§4.2)
                    roll_deg=_roll(k),
                    forearm_circle_deg=12 + 0.3 * k,
                ),
                None,
                "",
            ),
            (
                "signal:lower",
                ASME,
                lambda k: mocap.signal_arm(
                    _arm(k), 26 + 0.4 * k, swing_hz=0.9 + 0.03 * k, circle_deg=5 + 0.2 * k
                ),
                None,
                "",
            ),
            (
                "signal:hoist",
                EU,
                lambda k: mocap.signal_arm(
                    "right", 172 + k, swing_hz=0.9 + 0.03 * k, circle_deg=10 + 0.2 * k
                ),
                None,
                "",
            ),
            (
                "signal:hoist",
                EU,
                lambda k: mocap.signal_arm(
                    "right", 172 + k, swing_hz=0.45 + 0.015 * k, circle_deg=10 + 0.2 * k
                ),
                None,
                "slow",
            ),
            (
                "signal:lower",
                EU,
                lambda k: mocap.signal_arm(
                    "right", 26 + 0.4 * k, swing_hz=0.9 + 0.03 * k, circle_deg=5 + 0.2 * k
                ),
                None,
                "",
            ),
            # GB 5082 sweeps (§4.3), one per episode: forearm level in front of the chest, swept out
            # to the side in 0.3 s (stop: one arm; emergency stop: both); the arm raised to the side
            # and up, swept down to shoulder level in 0.3 s (hook horizontal, repeated every 1.3 s).
            # Onset counts from the start of the sweep.
            ("signal:stop", GB, lambda k: _chest_sweep(_arm(k), k), CHEST_HOLD_S, ""),
            ("signal:emergency_stop", GB, lambda k: _both(_chest_sweep, k), CHEST_HOLD_S, ""),
            ("signal:trolley_left", GB, lambda k: _down_sweep("right", k), TOP_HOLD_S, ""),
            ("signal:trolley_right", GB, lambda k: _down_sweep("left", k), TOP_HOLD_S, ""),
        )
    ),
    # Pushes along a straight arm (§4.2 travel, §4.4 right/left), one a second, the trunk going with
    # the hand (`mocap.push_arm`). Directions are the operator's (the camera's): facing the camera, the
    # signaller's right arm points to the operator's left. A forward push is judged from where it is
    # not all depth (the pose model's worst axis) and still points clearly towards or away from the
    # camera: seen from in front and to the side (towards the operator: bridge backward) or from
    # behind and to the side (away from the operator: bridge forward).
    _signal("signal:trolley_left", ASME, lambda k: _push("right", "side", k), None, "right arm"),
    _signal("signal:trolley_right", ASME, lambda k: _push("left", "side", k), None, "left arm"),
    _signal(
        "signal:bridge_forward",
        ASME,
        lambda k: _push(_arm(k), "forward", k),
        None,
        "away from the camera",
        (105.0, 115.0, 125.0),
    ),
    _signal(
        "signal:bridge_backward",
        ASME,
        lambda k: _push(_arm(k), "forward", k),
        None,
        "towards the camera",
        (55.0, 65.0, 75.0),
    ),
    _signal("signal:trolley_left", EU, lambda k: _push("right", "side", k), None, "move right (right arm)"),
    _signal("signal:trolley_right", EU, lambda k: _push("left", "side", k), None, "move left (left arm)"),
)


def _clip(name: str) -> mocap.Clip:
    return mocap.standing() if name == "standing" else mocap.Clip.load(name)


def _zone(clean: mocap.Recording) -> DangerZone:
    top = float(clean.frames[0].image[L.NOSE, 1]) - 0.05  # the space above the head (e.g. a hook's path)
    return DangerZone("hook", np.array([[0.0, 0.0], [1.0, 0.0], [1.0, top], [0.0, top]]))


def _run(frames: list, config: CoachConfig, ctx: FrameContext) -> list:
    coach = Coach(config)
    for frame in frames:
        coach.process(frame, ctx)
    coach.finish(frames[-1].t)
    return [e for e in coach.events if e.kind in ("violation", "signal", "malformed_signal")]


def _matches(label: str, event) -> bool:
    if label.startswith("signal:"):
        return event.kind == "signal" and event.detail.get("signal") == label.removeprefix("signal:")
    return event.rule_id == label


def _truth(label: str, clean: mocap.Recording, ctx: FrameContext) -> np.ndarray:
    """Per frame: does the clean motion violate the rule (its own measure vs its enter threshold)?"""
    rule = RULES[label]
    params = dict(rule.params)
    out = []
    for frame in clean.frames:
        p = posture(frame.world)
        f = Features(frame.t, frame.image, frame.world, p, score(p, ctx.reba), frame.image[:, 3].tolist())
        m = rule.measure(f, ctx, params)
        out.append(m is not None and m.value >= rule.timing.enter)
    return np.asarray(out)


def _intervals(mask: np.ndarray, times: np.ndarray, min_s: float) -> list[tuple[float, float]]:
    out, start = [], None
    for t, on in zip(times, mask, strict=True):
        if on and start is None:
            start = t
        elif not on and start is not None:
            if t - start >= min_s:
                out.append((start, t))
            start = None
    if start is not None and times[-1] - start >= min_s:
        out.append((start, float(times[-1])))
    return out


def _overlaps(event, start: float, end: float) -> bool:
    finish = event.end if event.end is not None else 1e9
    return event.onset <= end + SLACK_S and finish >= start - SLACK_S


def _episodes(case: Case) -> tuple[list[mocap.Episode], float]:
    episodes = [
        mocap.Episode(case.label, start, start + EPISODE_S, **case.positive(k))
        for k, start in enumerate(EPISODE_STARTS)
    ]
    if case.negative:
        # Look-alikes in the gaps: 1.5 s each, half-way between positives.
        episodes += [
            mocap.Episode("negative", start - 2.25, start - 0.75, **case.negative(k))
            for k, start in enumerate(EPISODE_STARTS)
        ]
    return episodes, EPISODE_STARTS[-1] + EPISODE_S + GAP_S


def evaluate_view(case: Case, yaw: float, humanoid: mocap.Humanoid, seed: int) -> dict:
    """One camera yaw: EPISODES_PER_VIEW episodes; the found ones' onset delays and the events' truth."""
    episodes, seconds = _episodes(case)
    camera = mocap.Camera(yaw_deg=yaw)
    clean = mocap.render(_clip(case.clip), seconds, camera=camera, episodes=episodes, humanoid=humanoid)
    noisy = mocap.with_noise(clean, mocap.Noise(), seed)
    zones = (_zone(clean),) if case.zone else ()
    ctx = FrameContext(machine_active=case.zone, danger_zones=zones, reba=case.reba)
    found = _run(noisy.frames, case.config, ctx)
    events = [e for e in found if _matches(case.label, e)]
    times = np.array([f.t for f in clean.frames])
    if case.label.startswith("signal"):
        # From the moment the signal posture is fully formed: the end of the episode's ramp-in, when
        # the arm has reached the signal's pose (and, for a swing, is already swinging).
        formed = [e.ramp if case.formed_s is None else case.formed_s for e in episodes]
        truth = [(e.start + f, e.end) for e, f in zip(episodes, formed, strict=True) if e.label == case.label]
        support = truth
    else:
        mask = _truth(case.label, clean, ctx)
        # An episode's onset clock starts when the rule may judge it: the clean motion is over the
        # threshold *and* the camera sees the body from a view the rule allows (the punch clip's
        # pelvis swings between facing the camera and side-on every few seconds; from the front the
        # stooped-lift rule rightly abstains). The lag of the coach's own low-passed view estimate
        # still counts against it.
        rule = RULES[case.label]
        judgeable = np.array([view_class(posture(f.world).view_yaw_deg) in rule.views for f in clean.frames])
        truth = [
            (float(times[judged][0]), end)
            for start, end in _intervals(mask, times, rule.timing.min_duration)
            if (judged := (times >= start) & (times <= end) & judgeable).any()
        ]
        support = _intervals(mask, times, 0.0)
    delays = []
    for start, end in truth:
        hits = [e.detected_at for e in events if _overlaps(e, start, end)]
        if hits:
            delays.append(min(hits) - start)
    true_events = sum(any(_overlaps(e, s, t) for s, t in support) for e in events)
    # Other signals recognised during the episodes (e.g. a circle first taken for a held arm).
    others = [
        e.detail.get("signal", e.rule_id)
        for e in found
        if e.kind == "signal"
        and e not in events
        and any(start <= e.detected_at <= end for start, end in truth)
    ]
    return {
        "episodes": len(truth),
        "delays": delays,
        "events": len(events),
        "true_events": true_events,
        "others": others,
    }


def evaluate(case: Case, humanoid: mocap.Humanoid, seed: int) -> dict:
    views = [evaluate_view(case, yaw, humanoid, seed + i) for i, yaw in enumerate(case.yaws)]
    episodes = sum(v["episodes"] for v in views)
    delays = [d for v in views for d in v["delays"]]
    events = sum(v["events"] for v in views)
    true_events = sum(v["true_events"] for v in views)
    return {
        "label": case.label,
        "clip": case.clip,
        "camera_yaws_deg": list(case.yaws),
        "seeds": [seed + i for i in range(len(case.yaws))],
        "standard": case.config.signal_set,
        "note": case.note,
        "episodes": episodes,
        "found": len(delays),
        "events": events,
        "recall": len(delays) / episodes if episodes else None,
        "recall_ci95": wilson(len(delays), episodes),
        "precision": true_events / events if events else None,
        "precision_ci95": wilson(true_events, events),
        "onset_delay_s_median": float(np.median(delays)) if delays else None,
        "onset_delay_s_p90": float(np.percentile(delays, 90)) if delays else None,
        "onset_delay_s_max": float(np.max(delays)) if delays else None,
        "other_signals": dict(Counter(o for v in views for o in v["others"])),
        "per_view": [
            {
                "camera_yaw_deg": yaw,
                "episodes": v["episodes"],
                "found": len(v["delays"]),
                "events": v["events"],
            }
            for yaw, v in zip(case.yaws, views, strict=True)
        ],
    }


def abstentions(humanoid: mocap.Humanoid) -> dict:
    """Stooped lifts the coach must not judge: knees hidden (occlusion), or seen from the front (view).

    The right behaviour is no alarm and a `cannot_judge` event saying why.
    """
    starts = EPISODE_STARTS
    episodes = [
        mocap.Episode("stoop", t, t + EPISODE_S, mocap.straight_knee_lift(60 + 3 * k))
        for k, t in enumerate(starts)
    ]
    seconds = starts[-1] + EPISODE_S + GAP_S
    hidden_knees = mocap.Noise(
        occlusions=tuple((t - 0.5, t + EPISODE_S + 0.5, (L.LEFT_KNEE, L.RIGHT_KNEE)) for t in starts)
    )
    walk = mocap.Clip.load("walk")
    out = {}
    for name, yaws, noise in (
        ("knees_hidden", (45.0, 60.0, 90.0), hidden_knees),
        ("front_view", (-15.0, 0.0, 15.0), mocap.Noise()),
    ):
        alarms = cannot_judge = 0
        for i, yaw in enumerate(yaws):
            clean = mocap.render(
                walk, seconds, camera=mocap.Camera(yaw_deg=yaw), episodes=episodes, humanoid=humanoid
            )
            coach = Coach(CoachConfig(rules=("ergo.stooped_lift",)))
            frames = mocap.with_noise(clean, noise, seed=500 + i).frames
            for frame in frames:
                coach.process(frame, FrameContext())
            coach.finish(frames[-1].t)
            alarms += sum(e.kind == "violation" for e in coach.events)
            cannot_judge += sum(e.kind == "cannot_judge" for e in coach.events)
        out[name] = {
            "episodes": EPISODES_PER_VIEW * len(yaws),
            "camera_yaws_deg": list(yaws),
            "alarms": alarms,
            "cannot_judge": cannot_judge,
        }
    return out


def false_alarms(
    humanoid: mocap.Humanoid,
    clips: tuple[str, ...],
    seconds: float,
    configs: dict[str, CoachConfig] | None = None,
    ctx: FrameContext | None = None,
) -> dict:
    """Alarms on correct motion that the clean motion does not support, per coach configuration.

    Each clip is filmed from every yaw in CORRECT_YAWS with its own jitter seed and random occlusions
    (a forearm, a hand or the legs hidden for 0.3–2 s every 6 s on average, hidden points misplaced
    by ~5 cm as a real model guesses them). By default every rule runs, with each standard's signals.
    """
    ctx = ctx or FrameContext()
    configs = configs or {standard: CoachConfig(signal_set=standard) for standard in STANDARDS}
    found: dict[str, list[str]] = {name: [] for name in configs}
    occluded_s = 0.0
    for k, name in enumerate(clips):
        clip = mocap.Clip.load(name)
        for j, yaw in enumerate(CORRECT_YAWS):
            seed = 1000 + 10 * k + j
            occlusions = mocap.random_occlusions(seconds, np.random.default_rng(seed))
            occluded_s += sum(end - start for start, end, _ in occlusions)
            noise = mocap.Noise(occlusions=occlusions, occluded_sigma_m=0.05)
            clean = mocap.render(clip, seconds, camera=mocap.Camera(yaw_deg=yaw), humanoid=humanoid)
            noisy = mocap.with_noise(clean, noise, seed)
            times = np.array([f.t for f in clean.frames])
            support = {
                rule_id: _intervals(_truth(rule_id, clean, ctx), times, 0.0)
                for rule_id in RULES
                if rule_id != "safety.danger_zone"
            }
            for config_name, config in configs.items():
                for event in _run(noisy.frames, config, ctx):
                    if not any(_overlaps(event, s, t) for s, t in support.get(event.rule_id, [])):
                        found[config_name].append(f"{name}@{yaw:.0f}°:{event.rule_id}@{event.onset:.1f}s")
    minutes = len(clips) * len(CORRECT_YAWS) * seconds / 60
    return {
        "minutes": minutes,
        "clips": list(clips),
        "camera_yaws_deg": list(CORRECT_YAWS),
        "occluded_fraction": occluded_s / (minutes * 60),
        "per_standard": {
            standard: {
                "false_alarms": len(events),
                "per_10_min": 10 * len(events) / minutes,
                "per_10_min_ci95": _poisson_ci(len(events), minutes / 10),
                "events": events,
            }
            for standard, events in found.items()
        },
    }


# Held arms (issue 5): a signaller who holds an arm in the posture of a moving signal, without its
# movement, is not signalling it. Per row: the held pose (10 a recording, arms alternating unless a
# standard names the hand), the camera yaws, the standards that judge it; each render is reused under
# every standard and enough noise seeds to give HELD_EPISODES episodes.
HELD_EPISODES = 270
HELD_S = EPISODE_S - 0.6  # held between the 0.3 s ramps in and out


def _held_pose(side: str, pose: tuple[float, float, float, float]) -> Movement:
    return mocap.arm_keyframes(side, [(0.0, *pose)], EPISODE_S)


def _trunk_turn(k: int) -> Movement:
    """Episode k's trunk turn while the arm is held: 20–30° over 0.3–0.5 s, held 0.6 s and back, starting
    0.5–0.95 s into the episode, to the left and to the right for either arm."""
    angle = (20.0 + 10.0 * k / (EPISODES_PER_VIEW - 1)) * (1.0 if k // 2 % 2 == 0 else -1.0)
    return mocap.trunk_turn(angle, EPISODE_STARTS[k] + 0.5 + 0.05 * k, 0.3 + 0.05 * (k % 5), 0.6)


HELD = (
    (
        "side level, one arm",
        lambda k: mocap.signal_arm(_arm(k), 86 + k),
        SIGNAL_YAWS,
        ("asme_b30", "eu_92_58"),
    ),
    (
        "side level, one arm, trunk turning",
        lambda k: [mocap.signal_arm(_arm(k), 86 + k), _trunk_turn(k)],
        SIGNAL_YAWS,
        ("asme_b30", "eu_92_58"),
    ),
    (
        "side level, both arms",
        lambda k: _both(mocap.signal_arm, 86 + k),
        SIGNAL_YAWS,
        ("asme_b30", "eu_92_58"),
    ),
    (
        "forward level",
        lambda k: mocap.push_arm(_arm(k), "forward", 0.0, 1.0, raise_deg=86.0 + k),
        (55.0, 65.0, 75.0, 105.0, 115.0, 125.0),
        ("asme_b30",),
    ),
    (
        "forearm up (ASME hoist)",
        lambda k: mocap.signal_arm(_arm(k), 80 + k, elbow_rad=-1.6, roll_deg=_roll(k)),
        SIGNAL_YAWS,
        ("asme_b30", "gb5082"),
    ),
    (
        "right arm down, held out",
        lambda k: mocap.signal_arm("right", 26 + 0.4 * k),
        SIGNAL_YAWS,
        ("asme_b30", "eu_92_58", "gb5082"),
    ),
    ("right arm up", lambda k: mocap.signal_arm("right", 172 + k), SIGNAL_YAWS, ("eu_92_58", "gb5082")),
    (
        "forearm before the chest (GB stop)",
        lambda k: _held_pose(_arm(k), mocap.GB_CHEST),
        SIGNAL_YAWS,
        ("gb5082",),
    ),
    (
        "arm raised to the side and up (GB hook horizontal)",
        lambda k: _held_pose(_arm(k), mocap.GB_TOP),
        SIGNAL_YAWS,
        ("gb5082",),
    ),
)


def held_arms(humanoid: mocap.Humanoid) -> list[dict]:
    """Signals read while an arm is held still in a signal posture (jitter only), per posture and standard.

    A static signal of the standard is that held pose (EU stop, attention; GB ready, hook up, hook down):
    "expected". Any other signal is false: the held arm lacks the signal's movement.
    """
    out = []
    for posture_name, movement, yaws, standards in HELD:
        case = _signal("held", GB, movement, None, "", yaws)
        episodes, seconds = _episodes(case)
        seeds = math.ceil(HELD_EPISODES / (EPISODES_PER_VIEW * len(yaws)))
        found: dict[str, Counter] = {standard: Counter() for standard in standards}
        for i, yaw in enumerate(yaws):
            clean = mocap.render(
                _clip("standing"),
                seconds,
                camera=mocap.Camera(yaw_deg=yaw),
                episodes=episodes,
                humanoid=humanoid,
            )
            for j in range(seeds):
                noisy = mocap.with_noise(clean, mocap.Noise(), seed=3000 + 100 * i + j)
                for standard in standards:
                    config = CoachConfig(rules=("hand_signal",), signal_set=standard)
                    found[standard].update(
                        (e.rule_id.rsplit(".", 1)[1], e.detail["signal"])
                        for e in _run(noisy.frames, config, FrameContext())
                        if e.kind == "signal"
                    )
        n = seeds * len(yaws) * EPISODES_PER_VIEW
        for standard, signals in found.items():
            static = {s.name for s in SIGNAL_SETS[standard] if s.motion == "static"}
            false = {name: c for (signal, name), c in signals.items() if signal not in static}
            out.append(
                {
                    "posture": posture_name,
                    "standard": standard,
                    "camera_yaws_deg": list(yaws),
                    "episodes": n,
                    "held_minutes": n * HELD_S / 60,
                    "false_signals": false,
                    "false_per_10_min": 10 * sum(false.values()) / (n * HELD_S / 60),
                    "expected": {name: c for (signal, name), c in signals.items() if signal in static},
                }
            )
    return out


def _poisson_ci(k: int, exposure: float) -> tuple[float, float]:
    """Exact (Garwood) 95 % interval of a Poisson rate: k events over `exposure` units."""
    low = 0.0 if k == 0 else float(chi2.ppf(0.025, 2 * k)) / 2
    high = float(chi2.ppf(0.975, 2 * k + 2)) / 2
    return (low / exposure, high / exposure)


def _fmt(x: float | None, spec: str = ".2f") -> str:
    return "-" if x is None else format(x, spec)


def _ci(ci: tuple[float, float] | None) -> str:
    return "" if ci is None else f" [{ci[0]:.2f}, {ci[1]:.2f}]"


def _yaws(yaws: list[float]) -> str:
    return ", ".join(f"{y:.0f}°" for y in yaws)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}x" for name, count in counts.items())


def _held_lines(held: list[dict]) -> list[str]:
    lines = [
        "",
        "Held arms: a signaller holds one arm (or both) still in the posture of a moving signal for 2.4 s",
        f"between 0.3 s ramps, {EPISODES_PER_VIEW} holds per recording, each render reused under every standard",
        "named and several noise seeds (harness jitter, no occlusions). A held arm lacks the",
        "movement (ASME stop: arm to the side moved back and forth; travel: pushes; circles; GB 5082 sweeps),",
        "so any such signal is false; a static signal of the standard is that held pose (EU 92/58 stop,",
        "attention; GB 5082 ready, hook up, hook down) and is counted apart as expected. Every signal in the",
        "recording counts, also while the arm settles in or drops out of the pose. The down-held-out and",
        "raised arm is the right one (EU 92/58 names it); the others alternate. ASME and GB stop: the extremes",
        "of a held arm's jitter over the whole posture run (up to 1.5 s) passed for the start of a swing or a",
        "sweep: these holds read 7 stops (one arm), 7 stops + 2 emergency stops (both arms) and 8 GB stops. A",
        "swing now starts from its extent over the last half stroke (0.5 s), a GB sweep from the hand's",
        "innermost point of the last 0.4 s; the swings' and sweeps' onsets did not change. That left 2 ASME",
        "stops (one arm), from the sway of the body frame (the shoulder line low-passed over 0.3 s) under the",
        "shoulders' depth jitter, which turns a level arm about its shoulder as a swing does. A trunk turning",
        "(20–30° over 0.3–0.5 s, held 0.6 s and back, once in each hold) turns a level arm with it: the lagging",
        "frame saw the wrist sweep forward and back like a swing, 88 stops in 270 holds. No swing starts now",
        "while the body frame is off the shoulder line low-passed over 0.1 s by over 7° or over 1 s by over 4°",
        "(at 5°: 13 stops): 6 are left, most 0.1–0.3 s into a turn, where the shoulders' depth jitter hides the",
        "frame's lag, and the still arm's 2 are gone (a swing read in a 1 s frame also removed those, but read",
        "the turning arm as stop 167 times). The turn also reads as travel twice in 270 holds, for ASME and EU",
        "alike: the shoulder the push is read from lags the turn. Forward pushes (bridge) read a held arm's",
        "jitter 11 times in 300 holds while the push was read from the trunk's midline instead of the arm's",
        "shoulder, none now.",
        "",
        "| held posture | standard | camera yaws | holds | false signals | per 10 min held | expected (static) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in held:
        lines.append(
            f"| {r['posture']} | {r['standard']} | {_yaws(r['camera_yaws_deg'])} | {r['episodes']} | "
            f"{_counts(r['false_signals']) or '0'} | {r['false_per_10_min']:.2f} | {_counts(r['expected'])} |"
        )
    return lines


def twist_only() -> None:
    """Just the twist episodes and loaded correct motion (`--twist`): printed, no results written."""
    with mocap.Humanoid() as humanoid:
        case = next(i for i, c in enumerate(CASES) if c.label == "ergo.trunk_twist_under_load")
        twist = evaluate(CASES[case], humanoid, seed=100 * case)
        loaded = false_alarms(humanoid, CORRECT, LOADED_S, LOADED, FrameContext(reba=RebaInputs(load_kg=8)))
    print(json.dumps({"twist": twist, "correct_motion_loaded": loaded}, indent=2))


def main() -> None:
    if "--twist" in sys.argv[1:]:
        twist_only()
        return
    with mocap.Humanoid() as humanoid:
        cases = [evaluate(case, humanoid, seed=100 * i) for i, case in enumerate(CASES)]
        abstained = abstentions(humanoid)
        correct = false_alarms(humanoid, CORRECT, CORRECT_S)
        lookalikes = false_alarms(humanoid, LOOKALIKES, LOOKALIKE_S)
        loaded = false_alarms(humanoid, CORRECT, LOADED_S, LOADED, FrameContext(reba=RebaInputs(load_kg=8)))
        held = held_arms(humanoid)
    write_results(cases, abstained, correct, lookalikes, loaded, held)


def write_results(
    cases: list[dict], abstained: dict, correct: dict, lookalikes: dict, loaded: dict, held: list[dict]
) -> None:
    RESULTS.mkdir(exist_ok=True)
    results = {
        "cases": cases,
        "abstentions": abstained,
        "correct_motion": correct,
        "lookalikes": lookalikes,
        "correct_motion_loaded": loaded,
        "held_arms": held,
    }
    (RESULTS / "coach_accuracy.json").write_text(json.dumps(results, indent=2))
    lines = [
        "# Coach accuracy on mocap-derived labelled sequences",
        "",
        "Noisy landmarks (AR(1) jitter σ 1.5 cm, 3 cm in depth, image σ 0.003); truth from the clean stream.",
        f"Each row: {EPISODES_PER_VIEW} episodes per camera yaw, each yaw with its own noise seed; 95 % Wilson",
        "intervals in brackets. Posture rules: an episode starts when the clean motion first crosses the rule's",
        "threshold while the camera sees the body from a view the rule may judge (the punch clip's pelvis turns",
        "between facing the camera and side-on; from the front the stooped-lift rule abstains by design; the",
        "coach's own 0.5 s view low-pass still counts in the delay). Hand signals: an episode starts when the",
        "signal is formed: at the end of the 0.3 s ramp that brings the arm from rest into the signal's pose (a",
        "swinging or circling signal is already moving then), or for the GB 5082 sweeps at the start of the",
        "sweep; onset delay = the time the event is emitted minus that moment. The last column lists other",
        "signals of the same standard recognised during the episodes.",
        "",
        "Circles (ASME hoist and lower, EU raise and lower) are read from the wrist measured from the shoulder",
        "low-passed over 0.5 s (the shoulder's own jitter would add as much again; a shoulder that moves, as in",
        "a spin, suspends it) over the best of the path's recent stretches since the arm settled in the pose (a",
        "step over 7.5 cm across the image or 15 cm in depth in one frame starts the path afresh: the arm",
        "swinging into the pose or out of it), in two ways that must agree: the area it sweeps about its centre",
        "in one sense of rotation (a short stretch against proportionally less area), and a least-squares fit",
        "of a hand turning at 0.5–1.3 turn/s, each axis weighed by its jitter (depth counts a quarter; the area",
        "cannot weigh the axes: scaling one scales every path's area alike). The pace, ~1 turn/s, is the",
        "harness's assumption (the standards give none: ASME 'small horizontal circles', EU 92/58 'slowly makes",
        "a circle'); EU raise is also run at half that pace ('slow'). The held arms' largest readings came from",
        "a posture run starting or ending mid-swing (one 15–19 cm step read as an arc); read since the arm",
        "settled, the evidence (the geometric mean of both) reads no false circle on the held arms (last table)",
        "nor over as many fresh noise seeds (before: 3). Even noise-free a circle at 1 turn/s is recognised 21",
        "frames into its run at 5 cm (7 cm: 14, 10 cm: 12), so ASME hoist and lower and EU lower still miss the",
        "0.5 s p90 goal at this jitter; the slow EU raise came sooner while the arc of the arm swinging into the",
        "pose counted. A fit on the path prewhitened for the jitter's lag-1 correlation read the start of a",
        "movement out of a held pose as strongly as a circle (onsets 0.1–1 s later); a band-pass (a 3-, 5- or",
        "9-frame average, a drift term), every stretch length, or the path in the camera's axes instead of the",
        "body's moved the onsets by 0.03 s at most. EU stop and raise are the",
        "same raised arm, held or circling: in its first ~0.4 s a circle is within a held arm's jitter, so stop",
        "sometimes comes first (last column; waiting longer would take stop's own onset over 0.5 s), and the raise",
        "replaces it once recognised; stop waits 0.35 s for the first signs of a circle. GB hook horizontal",
        "starts from the hook-up pose and is read once the arm is seen stopped at shoulder level (an arm lowered",
        "to rest passes level); a held signal starts only while the arm is in its pose and still in that frame,",
        "so hook up is read between sweeps only after a missed first sweep (last column). ASME trolley/bridge",
        "travel and EU right/left are a push along a straight",
        "arm, 10–15 cm about once a second; the hand hardly moves from its own shoulder (the trunk goes with",
        "it: the rig's trunk leans and turns for the shoulder girdle it lacks), so it is read along the arm",
        "from where the shoulder has been (its 1 s low-pass; read from a point of the trunk's midline, 0.18 m",
        "off a forward arm's line, the line's jitter passed for travel: 11 false bridge signals in 300 held",
        "forward arms). It is recognised at 7.5 cm of travel within half a second, held 0.09 s (a held arm's",
        "jitter reads over 5.8 cm 1 % of the time, at most 8.4 cm), which a push caught near its turning point",
        "or mid-stroke reaches only on its next stroke: even without jitter the onset p90 is 0.64–0.86 s",
        "(median 0.42–0.45 s), so travel misses the 0.5 s p90 goal. Forward pushes are judged from 55–75° (towards the",
        "camera) and 105–125° (away from it): head-on a push is all depth, the pose model's worst axis;",
        "side-on its direction is unclear; from further behind the far arm is hidden behind the trunk.",
        "GB emergency stop on kicks (look-alikes table; 11, then 2, in earlier runs; none in this one): both",
        "wrists must be at one height and a sideways sweep may gain at most 0.15 m forward, where a kicker's",
        "guard goes out and forward (~0.25 m).",
        "",
        "Trunk twist is measured against a hip line low-passed over 0.5 s (depth jitter of 3 cm on hips 0.17 m",
        "apart turns a single frame's hip line by ~14°); the low-pass gives way when the body turns (its lag",
        "stays under 10°: turning on the spot or landing from a jump is not a twist), and whether the body turns",
        "is read from the shoulder line, twice as long and so half as jittery (read from the hips' own rate, the",
        "jitter passed for a turn and cut the low-pass short: the twist false alarms on loaded walking). The",
        "twist rule judges only under load, with the trunk within 60° of upright and the hips at least 0.25 m",
        "above the ankles (sitting up from the floor in the getup clips is no lift; REBA scores the trunk over",
        "weight-bearing legs, NIOSH takes the asymmetry about the feet): the last table counts its false alarms.",
        "",
        "| rule / signal | clip | camera yaws | episodes | recall | precision | onset median s | onset p90 s | onset max s | other signals during the episodes |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in cases:
        name = (
            r["label"]
            + (f" ({r['standard']})" if r["standard"] else "")
            + (f", {r['note']}" if r["note"] else "")
        )
        lines.append(
            f"| {name} | {r['clip']} | {_yaws(r['camera_yaws_deg'])} | {r['episodes']} | {_fmt(r['recall'])}{_ci(r['recall_ci95'])} | "
            f"{_fmt(r['precision'])}{_ci(r['precision_ci95'])} | {_fmt(r['onset_delay_s_median'])} | "
            f"{_fmt(r['onset_delay_s_p90'])} | {_fmt(r['onset_delay_s_max'])} | "
            f"{_counts(r['other_signals'])} |"
        )
    lines += ["", "Stooped lifts that must not be judged (the rule abstains and says why):", ""]
    for name, a in abstained.items():
        lines.append(
            f"- {name} (yaws {_yaws(a['camera_yaws_deg'])}): {a['episodes']} episodes, {a['alarms']} alarms, "
            f"{a['cannot_judge']} `cannot_judge` events"
        )
    every_rule = "All rules run, with each standard's hand signals:"
    for title, r, seconds, what in (
        ("Correct motion (the goal: ≤ 1 false alarm per 10 minutes)", correct, CORRECT_S, every_rule),
        (
            "Look-alikes, not workshop motion (a stress test for the hand signals)",
            lookalikes,
            LOOKALIKE_S,
            every_rule,
        ),
        (
            "Correct motion carrying 8 kg (the twist rule judges only under load)",
            loaded,
            LOADED_S,
            "The manual-handling rules run (stooped lift, overhead reach, twist under load):",
        ),
    ):
        lines += [
            "",
            f"{title}: {', '.join(r['clips'])}; each from camera yaws "
            f"{_yaws(r['camera_yaws_deg'])} for {seconds:.0f} s "
            f"({r['minutes']:.1f} min in all), with jitter and random occlusions "
            f"({100 * r['occluded_fraction']:.0f} % of the time a forearm, hand or the legs are hidden and "
            f"misplaced). {what}",
            "",
            "| configuration | false alarms | per 10 min [95 % CI] | where |",
            "|---|---|---|---|",
        ]
        for standard, f in r["per_standard"].items():
            lines.append(
                f"| {standard} | {f['false_alarms']} | {f['per_10_min']:.2f}{_ci(f['per_10_min_ci95'])} | "
                f"{', '.join(f['events'])} |"
            )
    lines += _held_lines(held)
    (RESULTS / "coach_accuracy.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
