"""Crane hand signals: selectable signal sets (data), recognised over time windows with a confidence.

A signal is a static arm posture x a motion primitive (shared/reference/hand_signals.md §4.5).
Recognition is fast because it does not wait out a fixed hold: confidence = posture evidence x motion
evidence (x a cap where the standard relies on fingers or palm the pose model cannot see).

* Posture evidence is the fraction of the last `POSTURE_WINDOW_S` in which the arm matched the
  signal's posture (a few frames, so jitter at a threshold does not flicker).
* Motion evidence tells a signal from ordinary movement passing through the posture by its velocity
  profile. A static signal (stop arm raised, hook down, attention) needs the wrist held still over the
  signal's `still_s`: a punch or a reach extends and retracts, it never rests in the pose. A moving
  signal needs the movement to have *started* in the posture: the wrist has travelled far enough along
  the signal's axis, and mostly along it, while the arm held the posture; the first half swing is
  enough, a full back-and-forth is not waited for. A push along a straight arm (ASME travel, EU
  right/left) hardly moves the wrist from its own shoulder, the trunk goes with it: it is read along the
  arm from where the shoulder has been, its low-pass (`push_strength`). A circle is the area the wrist
  sweeps about its centre in one sense of rotation (`circle_area`) together with how well a hand turning
  at a signaller's pace fits the path, depth weighed by its jitter (`circle_fit`), both measured from the
  low-passed shoulder and over every recent stretch of the path since the arm settled in the posture
  (`settled`); a held signal that shares its posture with a circle yields to the first signs of one, and
  the circle replaces it once recognised. A sweep (GB 5082) goes out of its starting posture: sideways
  and level from the chest, or down to shoulder level.
* Two-arm signals are mirror images: both wrists at one height.
* A short debounce (`DEBOUNCE_S`) then emits it; emergency stop has the shortest (§4.5).

Each recognised signal is an event with onset and end; the crane's operator mapping (sim/operators/)
turns its `name` into a command. Directions (left/right, forward/backward) are from the operator's
(the camera's) position, as GB 5082 defines them from the driver's position. Emergency stop overrides
every other signal.

Malformed signals are flagged: an arm that should be level but is 20–45° off, or the right signal made
with the wrong hand when the standard names the hand (EU 92/58/EEC Annex IX: right arm).
"""

from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import dataclass, replace

import numpy as np
from scipy.ndimage import uniform_filter1d

from coach.events import CoachEvent
from coach.geometry import BodyFrame, Vec, angle_deg, dot, joint_flexion_deg, norm, scale, sub, unit
from coach.rules import VISIBLE, Features
from coach.temporal import Gate, Timing
from lab.bus.text import Text, UserError
from vision.landmarks import Landmark as L

POSTURE_WINDOW_S = 0.2  # posture evidence: the fraction of this window in which the arm matched
STILL_S = 0.3  # a static signal: the wrist held still this long
# A static signal starts only while its arm is in the pose in this frame and its wrist has stayed within
# these extents (lateral, up, forward; m, 5-frame average) over the last frames (`_in_pose_now`): its
# evidence over `still_s` (posture share, stillness) lags a few frames behind an arm that has just left. GB
# trolley episodes (benchmarks/coach_accuracy.py, 60 per seed set) read "hook up" 0.12–0.15 s into the next
# sweep, when the refractory time after the last one ended: 14 on the benchmark's seeds, 1 with this (fresh
# seeds: 15 -> 2, 12 -> 1, 7 -> 0); the ones left come after a missed first sweep, the arm held raised. The
# static rows (EU stop, attention; GB hook up, hook down) keep their onset medians and p90 on three seed
# sets, but for attention's median on one (0.33 -> 0.35 s). Depth, the pose model's noisiest axis, gets more
# room: 0.08 m on every axis left 2 and 4 hook up on two seed sets, 0.06 delayed attention (two arms must be
# still). Held arms at the edge of GB hook down's posture (26–30° out, 270 episodes) are recognised 266
# times (271 before); requiring the pose in the frame before as well, against one frame read in it by
# jitter, 258.
STILL_NOW_FRAMES, STILL_NOW_M = 4, (0.05, 0.05, 0.12)
# Then recognition must persist this long: a few frames against jitter; emergency stop the shortest.
DEBOUNCE_S = {"emergency_stop": 0.05}
DEFAULT_DEBOUNCE_S = 0.15
# A circle's evidence is already an integral over the path (`circle_area`: consecutive frames read nearly
# the same path), and its threshold lies above the largest a held arm reads: a debounce would only wait.
# A sweep down is read once the arm is seen stopped at level (`_stopped`): that takes several frames of
# the wrist not moving, which jitter rarely fakes, and a debounce on top would take the onset past 0.5 s.
MOTION_DEBOUNCE_S = {"circle": 0.0, "sweep_down": 0.0}
MALFORMED_DEBOUNCE_S = 0.07
REFRACTORY_S = 0.5  # after a signal ends, no other starts while the arms move out of it
# A signaller stands upright and in place (the GB 5082 figures, the ASME B30.5 chart): arms that pass
# through a signal's pose while the trainee walks, runs, kicks, crawls or gets up are not signalling.
# Emergency stop only needs the upright body: it must be seen even from someone on the move.
UPRIGHT_MAX_TRUNK_DEG = 30.0
STANCE_WINDOW_S = 0.5
FEET_STILL_M = 0.15  # ankles (hip-relative, 5-frame average) move less than this over the window
BODY_SMOOTH_S = 0.3  # time constant of the body frame the arms are measured in
# The trunk is turning while the body frame is off the shoulder line low-passed over one of these times
# (s) by more than its angle (°); a swing starts only in the frames since (`_trunk_turning`). A signaller
# following the load turns the trunk 20–30° within 0.3–0.5 s and a level arm turns with it: the body
# frame lags the turn by up to ~19° and reads the wrist sweep ~0.2 m forward and back about its shoulder,
# as a swing does. Early in a turn the 0.1 s line runs ahead of the body frame, late in it (and when it
# turns back) the 1 s line lags behind. The frames' jitter (3 cm in depth on each shoulder) sets the
# angles: held-arm episodes with a trunk turn (benchmarks/coach_accuracy.py) read as stop 88 times in 270
# without this; with the 1 s line at 5°, 13 (10 with fresh noise seeds), at 4° 6 (3), the stop swings'
# onsets unchanged (with fresh seeds one in 30 comes later: max 0.60 -> 1.03 s). Lower still reads as
# many and cuts more stop swings short (0.1 s at 6°: onset max 0.57 -> 0.83 s; 1 s at 3.5°: p90 0.47 ->
# 0.59 s). The early part of a turn is the limit: at rest the frame wanders from either line by up to
# these angles (99.5th percentile: 6.2° and 4.5°), and in a turn either reaches that only 0.7-0.8 of the
# way through, when the frame's lag (up to 14°, median over the turns) has swept the wrist ~0.1 m. A
# heading that lags less wanders more at rest by about as much (over 15 frames, 99th percentile: this
# frame 8.4° for a lag of 14.1°; a 0.2 s low-pass 10.9° for 11.9°); a level-and-trend filter, a one-euro
# filter or the frame held near the 0.1 s line did no better.
TURN_REFERENCES = ((0.1, 7.0), (1.0, 4.0))
# Time constant of the shoulder point a push is read from: a push goes out and back within a second.
PUSH_SMOOTH_S = 1.0
MAX_GAP_FRAMES = 3  # a moving signal's posture run may miss this many frames (jitter at a threshold)
# A circle tilts the arm round its axis, in and out of a posture's edge (ASME lower: arm ~30° out, the
# posture ends at ~37°), so its run may miss a few more; its evidence needs a turn's path, not a swing's.
CIRCLE_GAP_FRAMES = 8
SWEEP_S = 0.6  # a sweep out of its starting posture reaches its end within this
MOTION_WINDOW_S = 1.5
ARMS = {
    "left": (L.LEFT_SHOULDER, L.LEFT_ELBOW, L.LEFT_WRIST),
    "right": (L.RIGHT_SHOULDER, L.RIGHT_ELBOW, L.RIGHT_WRIST),
}
# Columns of a recogniser's per-arm history entry (`SignalRecogniser.__init__`): the wrist from the
# low-passed shoulder (`ArmState.steady`), and the push reading (`SignalRecogniser._along_arm`).
STEADY, PUSH = 5, slice(6, 11)
LEVEL_TOLERANCE_DEG = 20.0  # "horizontal" = within 20° (hand_signals.md §4.2)
EXTENDED_MAX_FLEXION_DEG = 40.0  # elbow interior angle > 140°: a straight arm reads up to ~35° under jitter


@dataclass(frozen=True, slots=True)
class ArmState:
    """One arm in the body frame: wrist relative to the shoulder (metres) and unit direction."""

    lateral: float  # + away from the body's midline
    up: float
    forward: float
    direction: Vec  # unit (lateral, up, forward) of shoulder→wrist
    elbow_flexion: float
    forearm_up: float  # cos of the angle between elbow→wrist and up
    camera_x: float  # shoulder→wrist along the image's x axis (operator's right)
    camera_z: float  # shoulder→wrist along the viewing direction (away from the operator)
    visible: bool
    # The wrist from the low-passed shoulder in the pose model's own axes (x the image's right, y down, z
    # the camera's depth, the noisiest: `circle_fit` weighs it so); None while the shoulder moves.
    steady: Vec | None = None

    @property
    def elevation_deg(self) -> float:
        return math.degrees(math.asin(max(-1.0, min(1.0, self.direction[1]))))

    @property
    def extended(self) -> bool:
        return self.elbow_flexion < EXTENDED_MAX_FLEXION_DEG


def arm_states(
    f: Features, shoulder_line: Vec | None = None, shoulders: dict[str, Vec | None] | None = None
) -> dict[str, ArmState]:
    """Both arms in the body frame of `shoulder_line` (left to right; default: this frame's shoulders),
    `steady` measured from `shoulders` (per side, e.g. low-passed; default: this frame's) in the pose
    model's axes."""
    w = f.world.tolist()
    vis = f.visibility
    # The shoulder line is twice as long as the hip line, so its direction is less noisy.
    body = BodyFrame.from_right(shoulder_line or sub(w[L.RIGHT_SHOULDER], w[L.LEFT_SHOULDER]))
    out = {}
    for side, (s, e, wr) in ARMS.items():
        lateral_axis = body.right if side == "right" else scale(body.right, -1.0)
        v = sub(w[wr], w[s])
        arm = (dot(v, lateral_axis), dot(v, body.up), dot(v, body.forward))
        forearm = sub(w[wr], w[e])
        out[side] = ArmState(
            lateral=arm[0],
            up=arm[1],
            forward=arm[2],
            direction=unit(arm),
            elbow_flexion=joint_flexion_deg(w[s], w[e], w[wr]),
            forearm_up=dot(forearm, body.up) / (norm(forearm) or 1.0),
            camera_x=v[0],
            camera_z=v[2],
            visible=min(vis[s], vis[e], vis[wr]) >= VISIBLE,
            steady=v if shoulders is None else _from(shoulders[side], w[wr]),
        )
    return out


def _from(origin: Vec | None, wrist: Vec) -> Vec | None:
    return None if origin is None else sub(wrist, origin)


# Posture predicates: arm -> matches (bool). `near_level` finds the malformed "arm not level".
def _side_level(a: ArmState) -> bool:
    return a.extended and _points_side_level(a.direction)


def _points_side_level(direction: Vec) -> bool:
    """Shoulder→wrist (unit: lateral, up, forward) points to the side and level, however the elbow reads."""
    return direction[0] > 0.7 and abs(direction[1]) < math.sin(math.radians(LEVEL_TOLERANCE_DEG))


def _forward_level(a: ArmState) -> bool:
    return a.extended and a.direction[2] > 0.7 and abs(a.elevation_deg) < LEVEL_TOLERANCE_DEG


def _near_level(a: ArmState) -> bool:
    horizontal = max(a.direction[0], a.direction[2]) > 0.5
    return a.extended and horizontal and LEVEL_TOLERANCE_DEG <= abs(a.elevation_deg) < 45.0


def _up(a: ArmState) -> bool:
    return a.extended and a.direction[1] > 0.85


def _down_held_out(a: ArmState) -> bool:
    """ASME lower: arm extended downward and held away from the body (not a hanging, swinging arm)."""
    return a.extended and a.direction[1] < -0.8 and a.direction[0] > 0.3


def _down_out(a: ArmState) -> bool:
    """GB 吊钩下降: arm to the front-side and down, about 30° from the body (25–45°; a relaxed arm hangs < 20°).

    Out to the side (侧前下方), not only forward: an arm swinging forward in a walk is not the signal.
    """
    down = -math.cos(math.radians(25)) < a.direction[1] < -math.cos(math.radians(45))
    return a.extended and down and a.direction[0] > 0.25


def _forearm_up(a: ArmState) -> bool:
    return 50.0 < a.elbow_flexion < 130.0 and a.forearm_up > 0.85


def _forearm_up_side(a: ArmState) -> bool:
    """GB 吊钩上升: forearm up and out to the side, hand above the shoulder."""
    return a.up > 0.05 and a.direction[0] > 0.3 and a.forearm_up > 0.5


def _chest_forearm(a: ArmState) -> bool:
    """GB 停止: forearm level in front of the chest."""
    return a.forward > 0.15 and -0.35 < a.up < 0.05 and abs(a.forearm_up) < 0.45


POSTURES = {
    "side_level": _side_level,
    "forward_level": _forward_level,
    "up": _up,
    "down_held_out": _down_held_out,
    "down_out": _down_out,
    "forearm_up": _forearm_up,
    "forearm_up_side": _forearm_up_side,
    "chest_forearm": _chest_forearm,
}


# Motion evidence thresholds (metres of wrist travel, shoulder-relative, after a 5-frame average).
STILL_SPREAD_M = (0.2, 0.4)  # held still below the first, not at all above the second
# A swing or push has started at the first, clearly at the second. A level arm held still reads up to
# ~0.2 m of travel over 1.5 s, ~0.1 m over 0.25 s (jitter, after the body frame's low-pass).
SWING_STARTED_M = (0.15, 0.2)
# Still swinging: this much travel along the axis in the last frames, to keep a recognised swing going
# and to start one. A held level arm's wrist jitters up to ~0.16 m over 8 frames in depth (the body
# frame's turn included). Held-arm episodes read as ASME stop or emergency stop (benchmarks/
# coach_accuracy.py, held arms, 270 each), the start's extent taken over the whole run: 0.08 m to
# start, 30 one-arm and 54 two-arm; 0.10 m, 7 and 9, the stop swing's onset p90 unchanged (0.47 s,
# median +1 frame); 0.13 m, 1 and 1, but a swing caught near its turning point waits for the next stroke
# (~0.2 s: test_coach_signals_steps_reference's stop 0.33 -> 0.53 s). A recognised swing needs only the
# first near its turning points.
SWINGING_FRAMES, SWINGING_M = 8, (0.08, 0.10)
# A swing has started when the wrist's extent along the axis over its last half stroke (0.5 s: half a
# swing at 1 Hz, the slowest the harness makes) reaches SWING_STARTED_M; a recognised one keeps going on
# the whole run's. Over a whole 1.5 s posture run a held arm's jitter reaches 0.15 m now and then (the
# extremes of a longer window are wider); a swing of ±20° moves the wrist ±0.18 m and covers that within
# half a stroke, wherever the stroke is caught. Held-arm episodes read as stop: 7 -> 2 (one arm), 9 -> 0
# (both); the stop swings' onsets unchanged (median 0.40 s, p90 0.47 s; emergency stop 0.30, 0.40 s).
# The 2 left come from the body frame's sway (BODY_SMOOTH_S) under the shoulders' depth jitter, which
# turns a level arm about its shoulder as a swing does. A swing read in a frame low-passed over 1 s reads
# none, but a trunk turned 20–30° (mocap.twist) while an arm is held level then reads as stop 167 times
# in 216 turns, against 98 before this window and 42 with it (before TURN_REFERENCES).
STROKE_FRAMES = 15
# A circle is read from the wrist relative to its shoulder low-passed over this long: the shoulder's own
# jitter would add as much again as the wrist's (a signaller's shoulder moves slowly, the hand fast).
ORIGIN_SMOOTH_S = 0.5
# The shoulder moves when its low-pass over ORIGIN_FOLLOW_S is ORIGIN_LAG_M from that origin: a held
# arm's shoulder stays within 0.045 m (harness jitter, 240 held-arm episodes), a spin on the spot drags
# it ~0.17 m (median).
ORIGIN_FOLLOW_S, ORIGIN_LAG_M = 0.15, 0.06
# A circle shows in two ways, each read over the best of the path's recent stretches since the arm
# settled in the posture (`settled`), and must show in both (`circle_evidence`):
# * its shape: the horizontal wrist path (7-frame average) sweeps area about its centroid in one sense
#   of rotation (m², `circle_area`). The area is blind to how noisy each axis is: scaling an axis by its
#   jitter scales every path's area alike.
# * its pace: a hand turning at CIRCLE_FIT_HZ, fitted to the horizontal path by least squares with each
#   axis weighed by its jitter (`circle_fit`): depth, the pose model's worst axis, counts a quarter.
# Each is taken relative to CIRCLE_HELD (what a held arm read of it before the path was read since it
# settled), the evidence is their geometric mean (a swing fits half a turn each way but sweeps no area;
# jitter rarely reads high in both), and confidence 0.6 needs 0.83 of it. The held arms' largest
# readings (benchmarks/coach_accuracy.py) came from posture runs that start or end mid-movement: the
# arm swinging into the pose, or dropping out of it and back in a frame later, moved the hand 15–19 cm
# in one frame, which swept an arc; jitter alone (the harness's AR(1), simulated, with the low-passed
# shoulder's) read at most 0.64 in 540 episodes. A step over CIRCLE_JUMP jitters (7.5 cm across the
# image, 15 cm in depth, in a frame) therefore starts the path afresh: the harness's jitter made none in
# 200,000 frames, a 10 cm circle at 1.3 turn/s under it one in 10,000 (at 4 jitters: one in 220, which
# cut circles short). Over 540 held-arm episodes per circle posture (the benchmark's seeds and as many
# fresh ones) the evidence before this read 3 false circles at 0.92 (EU raise: 2 on the benchmark's
# seeds), it reads none now at 0.83 (at 0.80: 3, on the arm held down and out and the forearm up); the
# circle rows' onsets (median / p90, s): ASME hoist 0.57/0.71 -> 0.53/0.70, ASME lower 0.67/0.90 ->
# 0.63/0.84, EU raise 0.40/0.50 -> 0.40/0.47 (stop first 6 -> 1 of 30), EU lower 0.63/0.94 ->
# 0.62/0.90; the slow EU raise 0.57/0.70 -> 0.65/0.81 (the arc of its arm swinging into the pose had
# counted), its stop first 17 -> 28 of 30; the EU stop episodes' false raise is gone.
# Even noise-free a circle at 1 turn/s needs 21 frames of its run (5 cm; 7 cm: 14, 10 cm: 12), which
# starts about when the signal is formed, so the 5–7 cm circles still miss the 0.5 s p90 goal at this
# jitter. Tried on the path before it was read since it settled, no better at as many held-arm false
# circles: a fit on the path prewhitened for the jitter's
# lag-1 correlation (0.53, MediaPipe's, benchmarks/results/vision_smoothing.md) reads the start of a
# movement out of a held pose as strongly as a circle (onsets 0.1–1 s later); a partly prewhitened fit
# (0.3), every stretch length, a 3- or 5-frame average for the area, other weights of the two (area^a
# fit^(1-a), a = 0.3–0.7, or their minimum): within 0.03 s either way.
CIRCLE_EVIDENCE = (0.69, 0.9)
CIRCLE_HELD = (0.00373, 116.0)  # area m², fit score: the held-arm reference of each (see above)
CIRCLE_FULL_FRAMES = 15  # 0.5 s at 30 fps: held-arm jitter sweeps less over a shorter stretch, in proportion
CIRCLE_MIN_FRAMES = 9
FRAME_S = 1 / 30  # the pose stream's frame period, which the fit's templates assume
# The fit's paces (turns/s: ~1 turn/s as the harness assumes, EU 92/58's "slowly" at half that) and
# stretches (frames: the shortest the area reads, up to a turn); jitter σ per horizontal axis (x, depth),
# m: only their ratio weighs the axes (a monocular model's depth ~2x its lateral jitter, as the harness's).
CIRCLE_FIT_HZ = (0.5, 0.9, 1.3)
CIRCLE_FIT_FRAMES = (9, 13, 17, 21, 25, 30)
CIRCLE_JITTER_M = (0.015, 0.03)
CIRCLE_JUMP = 5.0  # jitters (CIRCLE_JITTER_M): a step this long starts the path afresh (`settled`)
# A static signal is not held while a circle is building: it yields from the first signs of one (a held
# arm reads under 0.0024 m² 99 % of the time; a stop is still recognised under 0.0023).
TURNING_AREA_M2 = (0.0015, 0.004)
# A sideways sweep may gain this much forward (a kicker's guard: ~0.25 m), and change height this much
# (the hand rises from the chest to about shoulder height; jitter after the 5-frame average adds ~3 cm).
SWEEP_FORWARD_M, SWEEP_HEIGHT_M = 0.15, 0.15
# A sweep out is one quick movement (the harness's takes 0.3 s): its evidence is how far out the hand went
# from its innermost point of the last 0.4 s (the way out from the run's innermost point must still be
# level and in the body's plane). Measured from the innermost point of a whole 1.5 s run, a forearm held
# before the chest gained 0.12 m sideways now and then (the extremes of a longer window are wider):
# 8 GB 5082 stops in 270 held-arm episodes (benchmarks/coach_accuracy.py), none over the last 0.4 s; a
# sweep's onset is unchanged (it has gone 0.2 m out within 0.1 s of starting).
SWEEP_OUT_FRAMES = 12
# GB 吊钩水平移动 sweeps the arm down *to* shoulder level (hand_signals.md §4.3: 向下挥动到与肩相平的位置),
# where it stops; an arm lowered to rest goes on past level. The sweep is read once the wrist's height over
# the last STOP_FRAMES frames is within STOP_DROP_M of the frames before (means: jitter), `_stopped`. An arm
# lowered from the raised pose to rest passes level at 0.7–1.7 m/s (0.45–1.2 s for the whole drop),
# 2–6 cm a frame; the harness's sweep arrives at 5 cm a frame and stops. Lowerings read as hook horizontal
# (2 arms x 3 yaws x 8 seeds = 48 per speed) at 0.45 / 0.6 / 0.8 / 1.0 / 1.2 / 1.5 / 2.0 s: before
# 0 / 16 / ~45 / ~45 / ~45 / - / -, now 0 / 0 / 0 / 0 / 0 / 11 / 43: an arm lowered over 1.5 s or more
# passes level slowly enough that jitter reads it stopped now and then. The GB trolley rows' onset (from
# the sweep's start; benchmark seeds and three fresh sets): median 0.35–0.38 -> 0.42 s, p90 0.38 -> 0.42–0.45 s
# (the noise-free sweep is read 0.12 s after it arrives). Over 4 frames with 0.06 m: 1.5 s lowerings read
# none, 2.0 s 27 in 48, p90 0.48–0.49 s; 4 frames, 0.05 m: 2.0 s 12, p90 0.48–0.52 s; 3 frames with a
# debounce of 0.04 s: p90 0.52 s. The check is two-sided: an arm swinging up through level in a dance is
# no stopped sweep either (3 false trolley signals in the look-alike clips, one-sided).
STOP_FRAMES, STOP_DROP_M = 3, 0.05
PAIR_HEIGHT_M = (0.1, 0.2)  # a two-arm signal: the wrists' height difference it tolerates, and none above
OFF_AXIS_RATIO = 0.7  # movement off the signal's axis may be at most this share of the movement along it
# A push along a straight arm (ASME travel, EU right/left): the hand travels ~10–15 cm along the arm about
# once a second, the trunk going with it (vision/mocap.py `push_arm`), so the wrist is read from where its
# shoulder has been (low-passed over PUSH_SMOOTH_S), not from the shoulder itself. It is read over the
# last PUSH_FRAMES of the posture run, half a push (7-frame average). A held level arm's wrist reads 2–3 cm
# of travel over half a second (median), over 5.8 cm 1 % of the time and at most 7.8–8.4 cm, to the side
# and forward alike (benchmarks/coach_accuracy.py, held arms: 300 forward, 540 to the side). Read from a
# point of the trunk's midline, the arm held forward read over 7.7 cm 1 % of the time and up to 13 cm
# (11 false bridge signals in 300 holds): that point lies 0.18 m off the arm's line, which turns the line's
# jitter into travel along it.
ALONG_ARM = {("side_level", "oscillate_lateral"), ("forward_level", "oscillate_forward")}
PUSH_FRAMES = 15
# Along-arm travel: none below the first, clear at the second (ASME's cap 0.8 and EU's 0.9 both start at
# the first).
PUSH_STARTED_M = (0.075, 0.09)
# The push's evidence is already read over half a push: its debounce only lets a jitter peak at the
# threshold pass (3 frames at 30 fps). The harness's travel rows (180 pushes) and held arms (840 holds,
# and 1,200 forward and 600 to the side with other noise seeds): 0.15 s, onset medians 0.50–0.57 s, no
# false signal; 0.09 s, 0.42–0.48 s, none; 0.05 s, 0.40–0.45 s, 4 bridge. Starting at 7 cm instead of
# 7.5 leaves the medians as they are and takes the noise-free p90 from 0.64–0.86 s to 0.57 s (the
# harness's smallest, slowest pushes reach 7.5 cm in half a push only just), but reads 6 false bridge
# signals in those 1,500 forward holds.
# The p90 onset goal (0.5 s) is out of reach at the harness's jitter, whatever reads the push. Over the
# held arms (840 holds and as many with fresh seeds, trunk turns apart) a push's evidence reads up to
# 7.5 cm held 0.09 s, 8.4 cm with no debounce; noise-free, the pushes reach a 0.5 s p90 only at 5 cm
# held 0.09 s, or 7 cm with no debounce (0.47 s). Each set at no false travel on those holds, a
# least-squares 1-D oscillation along the arm (0.7–1.4 Hz over 9–30 frames, with or without AR(1)
# prewhitening), the largest monotone stroke, the net displacement, 12 or 20 frames instead of 15, a
# 5-frame average, or no debounce give noisy onset p90s of 0.74–1.07 s (here: 0.87–0.97 s over the
# benchmark's and fresh seeds); the earliest of them read 0.79 s noise-free (here 0.64–0.86 s) and twice
# the false travel on trunk turns. Averaging the elbow or the hand points with the wrist would cut the
# jitter only because the harness jitters each landmark on its own: MediaPipe's wrist jitter follows its
# elbow's (correlation 0.5–0.99 per axis) and its hand points' (0.93–1.0) on the still photos of
# benchmarks/vision_world_jitter.py, whose wrists jitter about as much as the harness's.
PUSH_DEBOUNCE_S = 0.09
# Across the arm the wrist jitters as much as along it, twice as much where across is the camera's depth;
# a swing across the arm (ASME stop) moves it 3.5x or more as far across as along.
PUSH_OFF_AXIS_RATIO = 1.0


def _stopped(history: deque) -> bool:
    """Whether the wrist has stopped moving up or down: its mean height over the last STOP_FRAMES frames
    is within STOP_DROP_M of the mean over the frames just before."""
    up = [h[2] for h in list(history)[-2 * STOP_FRAMES :]]
    if len(up) < 2 * STOP_FRAMES:
        return False
    return abs(float(np.mean(up[:STOP_FRAMES]) - np.mean(up[STOP_FRAMES:]))) < STOP_DROP_M


def _ramp(x: float, low: float, high: float) -> float:
    return min(1.0, max(0.0, (x - low) / (high - low)))


def _swept_areas(path: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per start index: the area the horizontal path from there on sweeps about its own centroid (shoelace
    sum, after a 7-frame average), times the share of it swept in the dominant sense of rotation."""
    flat = uniform_filter1d(path[:, [0, 2]], 7, axis=0, mode="nearest")
    x, y, (dx, dy) = flat[:, 0], flat[:, 1], np.diff(flat, axis=0).T
    centre = np.cumsum(flat[::-1], axis=0)[::-1][starts] / (len(flat) - starts)[:, None]
    # About a centre (cx, cy) each step sweeps x_k y_k+1 - x_k+1 y_k - cx dy_k + cy dx_k.
    cross = (x[:-1] * y[1:] - x[1:] * y[:-1]) - centre[:, :1] * dy + centre[:, 1:] * dx
    cross[np.arange(len(dx)) < starts[:, None]] = 0.0  # steps before the stretch starts
    swept, total = np.abs(cross.sum(axis=1)), np.abs(cross).sum(axis=1)
    return np.where(total > 0, swept / 2 * swept / np.maximum(total, 1e-12), 0.0)


def _fit_templates() -> tuple[np.ndarray, np.ndarray]:
    """Per stretch and pace: the turning phasor's cos and sin over the stretch's last frames (centred on
    the stretch: its centre is fitted away), and the inverse of the fit's normal matrix."""
    n, (wx, wz) = max(CIRCLE_FIT_FRAMES), (1 / s**2 for s in CIRCLE_JITTER_M)
    templates = np.zeros((n, len(CIRCLE_FIT_FRAMES), len(CIRCLE_FIT_HZ), 2))
    normal = np.zeros((len(CIRCLE_FIT_FRAMES), len(CIRCLE_FIT_HZ), 2, 2))
    for i, frames in enumerate(CIRCLE_FIT_FRAMES):
        t = (np.arange(frames) - (frames - 1) / 2) * FRAME_S
        for j, hz in enumerate(CIRCLE_FIT_HZ):
            c, s = np.cos(2 * math.pi * hz * t), np.sin(2 * math.pi * hz * t)
            c, s = c - c.mean(), s - s.mean()
            templates[n - frames :, i, j] = np.stack([c, s], axis=1)
            cc, ss, cs = c @ c, s @ s, (wz - wx) * (c @ s)
            normal[i, j] = [[wx * cc + wz * ss, cs], [cs, wx * ss + wz * cc]]
    return templates.reshape(n, -1), np.linalg.inv(normal)


_FIT_TEMPLATES, _FIT_INVERSE = _fit_templates()
_SENSES = np.array([1.0, -1.0])[:, None, None]


def circle_fit(path: np.ndarray) -> float:
    """How much of the horizontal wrist path (n, 3: x, y, z in the pose model's axes) a hand turning
    at one of CIRCLE_FIT_HZ explains, in jitter variances: the best over the stretches of
    CIRCLE_FIT_FRAMES ending now, the paces and both senses of rotation.

    Per stretch the path is fitted by a centre plus x = a cos - b sin, z = ±(a sin + b cos) (weighted
    least squares, each axis by its CIRCLE_JITTER_M); the score is the weighted sum of squares the
    turning part explains. A half turn is already a coherent arc; jitter fits it only by chance.
    """
    if len(path) < CIRCLE_MIN_FRAMES:
        return 0.0
    n = _FIT_TEMPLATES.shape[0]
    recent = path[-n:, [0, 2]]
    proj = (recent.T @ _FIT_TEMPLATES[n - len(recent) :]).reshape(2, len(CIRCLE_FIT_FRAMES), -1, 2)
    (xc, xs), (zc, zs) = np.moveaxis(proj[0], -1, 0), np.moveaxis(proj[1], -1, 0)
    wx, wz = (1 / s**2 for s in CIRCLE_JITTER_M)
    b = np.stack([wx * xc + _SENSES * wz * zs, -wx * xs + _SENSES * wz * zc], axis=-1)
    score = (np.einsum("fhij,sfhj->sfhi", _FIT_INVERSE, b) * b).sum(axis=-1)
    fits = np.array(CIRCLE_FIT_FRAMES)[:, None] <= len(path)  # stretches the path is long enough for
    return float(score[:, fits[:, 0]].max())


def circle_evidence(area: float, fit: float) -> float:
    """A circle's evidence from a path's `circle_area` and `circle_fit`: their geometric mean, each
    relative to the most a held arm's jitter reads of it (CIRCLE_HELD)."""
    return math.sqrt(max(0.0, area / CIRCLE_HELD[0]) * max(0.0, fit / CIRCLE_HELD[1]))


def settled(path: np.ndarray) -> np.ndarray:
    """The wrist path (n, 3) since its last jump: a step between frames over CIRCLE_JUMP jitters.

    The arm swinging into a posture or out of it moves the hand further in a frame than a circle or
    jitter does; a posture run that starts or ends mid-swing would read that one step as an arc.
    """
    if len(path) < CIRCLE_MIN_FRAMES:
        return path
    steps = np.diff(path[:, [0, 2]], axis=0) / np.array(CIRCLE_JITTER_M)
    jumps = np.flatnonzero(np.hypot(steps[:, 0], steps[:, 1]) > CIRCLE_JUMP)
    return path[jumps[-1] + 1 :] if len(jumps) else path


def circle_reading(path: np.ndarray) -> tuple[float, float]:
    """A wrist path's `circle_area` and how clearly it shows a circle, in [0, 1], both read since the
    arm settled (`settled`): the recogniser reads them once a frame for the circle and the held signal
    alike."""
    path = settled(path)
    area = circle_area(path)
    return area, _ramp(circle_evidence(area, circle_fit(path)), *CIRCLE_EVIDENCE)


def circling(path: np.ndarray) -> float:
    """How much the wrist path (n, 3; columns 0 and 2 span the horizontal plane) turns about its centre, m².

    A circle sweeps area one way from the first quarter turn on, so it is seen before a turn completes;
    jitter and a back-and-forth swing sweep both ways and add up to little. No radius is assumed: a
    small circle only takes longer to show.
    """
    return float(_swept_areas(path, np.zeros(1, dtype=int))[0]) if len(path) >= 7 else 0.0


def circle_area(path: np.ndarray) -> float:
    """`circling` over every recent stretch of the path, as the area it would match over a full one, m².

    Jitter sweeps less area over a short stretch, in proportion to its length up to CIRCLE_FULL_FRAMES:
    a circle that starts while the arm is still settling into the posture counts from its first turn,
    not diluted by the frames before it.
    """
    if len(path) < CIRCLE_MIN_FRAMES:
        return 0.0
    lengths = np.arange(len(path), CIRCLE_MIN_FRAMES - 1, -2)  # every other frame: neighbours agree
    areas = _swept_areas(path, len(path) - lengths)
    return float(np.max(areas / np.minimum(1.0, lengths / CIRCLE_FULL_FRAMES)))


def push_strength(path: np.ndarray) -> float:
    """How clearly a wrist path shows a push along the arm, in [0, 1].

    `path` (n, 5) per frame, from `SignalRecogniser._along_arm`: the wrist from the low-passed shoulder
    along the arm, then the wrist from that point and the arm's direction in the horizontal plane (x, z
    each).
    Across is read on the arm's mean direction over the frames judged: a swing across the arm (ASME
    stop) moves the wrist across it and hardly along.
    """
    path = uniform_filter1d(path, 7, axis=0, mode="nearest")[-PUSH_FRAMES:]
    along = float(np.ptp(path[:, 0]))
    dx, dz = path[:, 3].mean(), path[:, 4].mean()
    across = float(np.ptp(path[:, 2] * dx - path[:, 1] * dz)) / (math.hypot(dx, dz) or 1.0)
    if along < PUSH_STARTED_M[0] or across > PUSH_OFF_AXIS_RATIO * along:
        return 0.0
    return _ramp(along, 0.0, PUSH_STARTED_M[1])


def motion_strength(kind: str, path: np.ndarray, going: bool = False) -> float:
    """How clearly the wrist path (n, 3: lateral, up, forward) shows the motion, in [0, 1]; `going`: the
    signal is already recognised (a swing keeps going on less travel than it needs to start).

    The path is first averaged over 5 frames (a circle over 7, in `circling`): landmark jitter must
    not look like a movement.
    """
    if kind == "circle":
        return circle_reading(path)[1]
    path = uniform_filter1d(path, 5, axis=0, mode="nearest")
    if kind == "static":
        return 1.0 - _ramp(float(np.max(np.ptp(path, axis=0))), *STILL_SPREAD_M)
    if kind in ("oscillate_forward", "oscillate_lateral"):
        # The swing has started: the wrist moved along the axis (not across it, which is a wave or a
        # reach) while the arm held the posture.
        # And it is still going on: an arm that arrived in the pose with momentum and rests there (a
        # punch to the side) has made no swing.
        axis, other = (2, 0) if kind == "oscillate_forward" else (0, 2)
        along = float(np.ptp(path[:, axis]))
        if float(np.ptp(path[:, other])) > OFF_AXIS_RATIO * along:
            return 0.0
        if float(np.ptp(path[-SWINGING_FRAMES:, axis])) < SWINGING_M[0 if going else 1]:
            return 0.0
        # Started within the last half stroke; once recognised, kept on the whole run's extent.
        extent = along if going else float(np.ptp(path[-STROKE_FRAMES:, axis]))
        return _ramp(extent, 0.05, SWING_STARTED_M[1]) if extent >= SWING_STARTED_M[0] else 0.0
    if kind == "sweep_out":
        # From in front of the chest out to the side, level (GB 停止 水平挥向一侧): the hand goes out and
        # back towards the body's plane; a punch or a kicker's guard goes out and forward, or up.
        sweep = path[int(np.argmin(path[:, 0])) :]
        forward, up = float(sweep[-1, 2] - sweep[0, 2]), abs(float(sweep[-1, 1] - sweep[0, 1]))
        if forward > SWEEP_FORWARD_M or up > SWEEP_HEIGHT_M:
            return 0.0
        # How far out it went lately: one quick movement, not jitter's drift over the whole run.
        recent = path[-SWEEP_OUT_FRAMES:, 0]
        return _ramp(float(recent[-1] - np.min(recent)), 0.0, SWING_STARTED_M[1])
    if kind == "sweep_down":
        y = path[:, 1]
        return _ramp(float(np.max(y) - y[-1]), 0.0, SWING_STARTED_M[1])
    raise ValueError(kind)


@dataclass(frozen=True)
class SignalDef:
    name: str  # operator command name, e.g. "hoist", "trolley_left"
    posture: str
    motion: str
    arm: str  # "either", "both", "left", "right"
    title: Text
    cap: float = 1.0  # < 1 where the standard relies on fingers/palm the pose cannot see
    direction: str = ""  # "lateral" -> trolley_left/right, "depth" -> bridge_forward/backward
    still_s: float = STILL_S  # a static signal: how long the wrist must rest in the pose


def _t(zh: str, en: str) -> Text:
    return Text(zh=zh, en=en)


SIGNAL_SETS: dict[str, tuple[SignalDef, ...]] = {
    # GB/T 5082-2019 (replaced GB 5082-85); the figures follow GB 5082-85 §2.1.1 (hand_signals.md §4.3).
    "gb5082": (
        SignalDef("emergency_stop", "chest_forearm", "sweep_out", "both", _t("紧急停止", "emergency stop")),
        SignalDef("stop", "chest_forearm", "sweep_out", "either", _t("停止", "stop")),
        SignalDef("ready", "up", "static", "either", _t("预备", "ready"), cap=0.9),
        SignalDef("hoist", "forearm_up_side", "static", "either", _t("吊钩上升", "hook up"), cap=0.8),
        SignalDef("lower", "down_out", "static", "either", _t("吊钩下降", "hook down"), cap=0.8),
        SignalDef(
            "trolley",
            "forearm_up_side",
            "sweep_down",
            "either",
            _t("吊钩水平移动", "hook horizontal"),
            cap=0.8,
            direction="lateral",
        ),
    ),
    # ASME B30.5 / OSHA 1926 Subpart CC App. A, travel signals as ASME B30.2 (hand_signals.md §4.2).
    "asme_b30": (
        SignalDef(
            "emergency_stop", "side_level", "oscillate_forward", "both", _t("紧急停止", "emergency stop")
        ),
        SignalDef("stop", "side_level", "oscillate_forward", "either", _t("停止", "stop"), cap=0.9),
        SignalDef("hoist", "forearm_up", "circle", "either", _t("起升", "hoist"), cap=0.9),
        SignalDef("lower", "down_held_out", "circle", "either", _t("下降", "lower"), cap=0.9),
        SignalDef(
            "trolley",
            "side_level",
            "oscillate_lateral",
            "either",
            _t("小车运行", "trolley travel"),
            cap=0.8,
            direction="lateral",
        ),
        SignalDef(
            "bridge",
            "forward_level",
            "oscillate_forward",
            "either",
            _t("大车运行", "bridge travel"),
            cap=0.8,
            direction="depth",
        ),
    ),
    # EU Directive 92/58/EEC Annex IX gestural signals (hand_signals.md §4.4): the right arm signals.
    "eu_92_58": (
        SignalDef(
            "emergency_stop",
            "up",
            "static",
            "both",
            _t("危险/紧急停止", "danger / emergency stop"),
            still_s=0.2,
        ),
        # "Stop" and "raise" are the same raised arm, still or circling: stop waits 0.05 s more for
        # the first signs of a circle (`TURNING_AREA_M2`).
        SignalDef("stop", "up", "static", "right", _t("停止", "stop"), cap=0.9, still_s=0.35),
        SignalDef("hoist", "up", "circle", "right", _t("起升", "raise"), cap=0.9),
        SignalDef("lower", "down_held_out", "circle", "right", _t("下降", "lower"), cap=0.9),
        SignalDef("attention", "side_level", "static", "both", _t("开始/注意", "start / attention")),
        SignalDef(
            "trolley",
            "side_level",
            "oscillate_lateral",
            "either",
            _t("左右移动", "move left/right"),
            cap=0.9,
            direction="lateral",
        ),
    ),
}
SIGNAL_SETS["iso16715"] = SIGNAL_SETS["gb5082"]  # GB/T 5082-2019 mirrors ISO 16715:2014 (verify), §4.1


def _debounce(signal: SignalDef) -> float:
    if (signal.posture, signal.motion) in ALONG_ARM:
        return PUSH_DEBOUNCE_S
    return DEBOUNCE_S.get(signal.name, MOTION_DEBOUNCE_S.get(signal.motion, DEFAULT_DEBOUNCE_S))


RECOGNISE = Timing(enter=0.6, exit=0.35, min_duration=DEFAULT_DEBOUNCE_S, min_clear=0.3, cooldown=0.5)


def command_name(signal: SignalDef, arm: ArmState) -> str:
    """The operator command: directional signals get the direction the arm points, seen by the operator:
    to the operator's right or left, and forward (away from the operator, as he looks) or backward."""
    if signal.direction == "lateral":
        return "trolley_right" if arm.camera_x > 0 else "trolley_left"
    if signal.direction == "depth":
        return "bridge_forward" if arm.camera_z > 0 else "bridge_backward"
    return signal.name


class SignalRecogniser:
    """Feeds on frames; emits `signal` and `malformed_signal` events with onset, end and confidence."""

    def __init__(self, signal_set: str) -> None:
        if signal_set not in SIGNAL_SETS:
            raise UserError(
                f"未知的手势信号标准：{signal_set}（可用：{', '.join(SIGNAL_SETS)}）",
                f"unknown hand-signal set: {signal_set} (available: {', '.join(SIGNAL_SETS)})",
            )
        self.signal_set = signal_set
        self.signals = SIGNAL_SETS[signal_set]
        self._circled = {s.posture for s in self.signals if s.motion == "circle"}
        # Per arm over the motion window: (t, lateral, up, forward, postures matched, `ArmState.steady`,
        # then the push reading as `_along_arm` gives it); STEADY and PUSH index them.
        self._history: dict[str, deque[tuple]] = {side: deque() for side in ARMS}
        self._gates = {s.name: Gate(replace(RECOGNISE, min_duration=_debounce(s))) for s in self.signals}
        self._open: dict[str, CoachEvent] = {}
        self._feet: deque[tuple[float, np.ndarray | None]] = deque()  # (t, ankles hip-relative or None)
        # Low-passed (time, value): the shoulder line, each shoulder (for circles and for pushes).
        self._smooth: dict[str, tuple[float, np.ndarray]] = {}
        self._turned_at = -math.inf  # when the trunk last turned (`_trunk_turning`)
        malformed = replace(RECOGNISE, min_duration=MALFORMED_DEBOUNCE_S)
        self._malformed_gates = {"not_level": Gate(malformed), "wrong_hand": Gate(malformed)}
        self._malformed_open: dict[str, CoachEvent] = {}
        self._cache: dict[tuple, float] = {}  # per frame: motion strengths
        # Posture evidence windows: a moving signal's posture over POSTURE_WINDOW_S; a static one
        # must be held, so its posture counts over the same `still_s` as the wrist's stillness.
        self._windows = sorted({POSTURE_WINDOW_S} | {s.still_s for s in self.signals}, reverse=True)
        # Per arm and window: the fraction of the window in which each posture held.
        self._fractions: dict[tuple[str, float], dict[str, float]] = {}

    def update(self, f: Features, step_id: str | None) -> tuple[list[CoachEvent], list[CoachEvent]]:
        line = self._shoulder_line(f)
        if self._trunk_turning(f, line):
            self._turned_at = f.t
        arms = arm_states(f, line, self._steady_shoulders(f))
        pushes = self._along_arm(f)
        for side, arm in arms.items():
            history = self._history[side]
            matched = {name for name, pred in POSTURES.items() if pred(arm)} if arm.visible else set()
            if arm.visible and _near_level(arm):
                matched.add("near_level")
            history.append(
                (f.t, arm.lateral, arm.up, arm.forward, frozenset(matched), arm.steady, *pushes[side])
            )
            while history and history[0][0] < f.t - MOTION_WINDOW_S:
                history.popleft()
        self._cache.clear()
        self._count_postures()
        started: list[CoachEvent] = []
        ended: list[CoachEvent] = []
        upright = abs(f.posture.trunk_flexion_deg) < UPRIGHT_MAX_TRUNK_DEG  # not bent, not lying
        standing = upright and self._feet_still(f)
        confidences = {
            s.name: self._confidence(s, s.arm)
            if (standing or (upright and s.name == "emergency_stop"))
            else (0.0, "")
            for s in self.signals
        }
        if confidences.get("emergency_stop", (0.0, ""))[0] >= RECOGNISE.enter:  # e-stop overrides
            confidences = {
                n: (c if n == "emergency_stop" else 0.0, side) for n, (c, side) in confidences.items()
            }
        for signal in self.signals:
            confidence, side = confidences[signal.name]
            gate = self._gates[signal.name]
            held = self._superseded(signal)
            busy = any(g.active for n, g in self._gates.items() if n != signal.name and n not in held)
            if busy and not gate.active and signal.name != "emergency_stop":
                confidence = 0.0  # one signal at a time; only emergency stop cuts in
            if signal.motion == "static" and not gate.active and not self._in_pose_now(signal, side):
                gate.hold_off(math.nextafter(f.t, math.inf))  # its debounce goes on, its start waits
            change = gate.update(f.t, confidence)
            if change == "start":
                for name in held:  # the arm was not held but circling: the circle replaces it
                    if self._gates[name].active and name in self._open:
                        self._gates[name].close(f.t)
                        self._open[name].end = f.t
                        ended.append(self._open.pop(name))
                name = command_name(signal, arms[side if side in arms else "right"])
                event = CoachEvent(
                    rule_id=f"signal.{self.signal_set}.{signal.name}",
                    kind="signal",
                    severity="info",
                    body_part=f"{side}_arm" if side in ARMS else "both_arms",
                    onset=gate.onset,
                    detected_at=f.t,
                    cue=Text(zh=f"识别到手势：{signal.title.zh}", en=f"Signal recognised: {signal.title.en}"),
                    value=round(confidence, 2),
                    step_id=step_id,
                    detail={"signal": name, "confidence": round(confidence, 2), "standard": self.signal_set},
                )
                self._open[signal.name] = event
                started.append(event)
            elif change == "end" and signal.name in self._open:
                event = self._open.pop(signal.name)
                event.end = gate.last_true
                ended.append(event)
                for other in self._gates.values():
                    if other is not gate:
                        other.hold_off(f.t + REFRACTORY_S)
        self._malformed(f, arms, step_id, standing, started, ended)
        return started, ended

    def _in_pose_now(self, signal: SignalDef, side: str) -> bool:
        """Whether the arm(s) giving a static signal are in its posture in this frame and still over the
        last STILL_NOW_FRAMES."""
        if side not in ARMS and side != "both":
            return False
        for arm in ARMS if side == "both" else (side,):
            recent = list(self._history[arm])[-STILL_NOW_FRAMES - 2 :]  # 2 more: the 5-frame average
            if signal.posture not in recent[-1][4]:
                return False
            path = uniform_filter1d(np.array([h[1:4] for h in recent]), 5, axis=0, mode="nearest")
            if np.any(np.ptp(path[-STILL_NOW_FRAMES:], axis=0) > STILL_NOW_M):
                return False
        return True

    def _superseded(self, signal: SignalDef) -> tuple[str, ...]:
        """Held signals a circle or sweep from the same posture replaces: a circle shows only after ~half
        a turn, by when a held arm has been recognised (EU 92/58 "stop" and "raise" are both the raised
        arm); GB 5082 "hook horizontal" sweeps down from the "hook up" pose."""
        if signal.motion not in ("circle", "sweep_down"):
            return ()
        return tuple(
            s.name
            for s in self.signals
            if s.motion == "static" and s.posture == signal.posture and s.name != "emergency_stop"
        )

    def _shoulder_line(self, f: Features) -> Vec:
        """The shoulder line low-passed over BODY_SMOOTH_S.

        Depth jitter of 3 cm on each shoulder turns a single frame's body frame by ~10°, which moves a
        level arm's wrist ~10 cm forward or back in that frame: it would read as a swing. A signaller's
        trunk turns slowly; the arm moves fast.
        """
        w = f.world
        return self._low_pass("line", w[L.RIGHT_SHOULDER] - w[L.LEFT_SHOULDER], f.t, BODY_SMOOTH_S)

    def _trunk_turning(self, f: Features, line: Vec) -> bool:
        """Whether the body frame (`line`) is off the shoulder line low-passed over any of
        TURN_REFERENCES' times by more than its angle: the trunk turns faster than the frame follows."""
        w = f.world
        raw = w[L.RIGHT_SHOULDER] - w[L.LEFT_SHOULDER]
        right = BodyFrame.from_right(line).right
        return any(
            angle_deg(right, BodyFrame.from_right(self._low_pass(f"line {tau}", raw, f.t, tau)).right) > deg
            for tau, deg in TURN_REFERENCES
        )

    def _steady_shoulders(self, f: Features) -> dict[str, Vec | None]:
        """Each shoulder low-passed over ORIGIN_SMOOTH_S: the origin a circling wrist is measured from.

        None while the shoulder moves (its low-pass over ORIGIN_FOLLOW_S more than ORIGIN_LAG_M away): a
        turning or swaying trunk drags the shoulders round, and a lagging origin would trace a circle.
        """
        out: dict[str, Vec | None] = {}
        for side, (s, _, _) in ARMS.items():
            steady = self._low_pass(side, f.world[s], f.t, ORIGIN_SMOOTH_S)
            follow = self._low_pass(side + " follow", f.world[s], f.t, ORIGIN_FOLLOW_S)
            out[side] = steady if norm(sub(follow, steady)) < ORIGIN_LAG_M else None
        return out

    def _low_pass(self, key: str, raw: np.ndarray, t: float, tau: float) -> Vec:
        """Exponential low-pass of `raw` (restarts when time does not advance, e.g. a new stream)."""
        last_t, last = self._smooth.get(key, (t, raw))
        value = raw if t <= last_t else last + (1.0 - math.exp(-(t - last_t) / tau)) * (raw - last)
        self._smooth[key] = (t, value)
        return tuple(value.tolist())

    def _along_arm(self, f: Features) -> dict[str, tuple[float, ...]]:
        """Per arm: the wrist from its shoulder low-passed over PUSH_SMOOTH_S, along the arm; the wrist
        from that point and the arm's direction in the horizontal plane (x, z each), for `push_strength`.

        Along is read on this frame's shoulder→wrist line: a push moves the wrist along it from where
        the shoulder has been as far as the hand travels, however the trunk or the shoulder girdle brings
        it there, while an arm raised into the pose turns about the shoulder, a point of the line. The
        point is the arm's own shoulder, not the trunk's midline: a point off the line turns the line's
        jitter into jitter along it, in proportion to its distance from the line (the midline lies
        0.18 m from an arm held forward).
        """
        w = f.world.tolist()
        out = {}
        for side, (s, _, wr) in ARMS.items():
            wrist = sub(w[wr], self._low_pass(side + " push", f.world[s], f.t, PUSH_SMOOTH_S))
            direction = unit(sub(w[wr], w[s]))
            out[side] = (dot(wrist, direction), wrist[0], wrist[2], direction[0], direction[2])
        return out

    def _feet_still(self, f: Features) -> bool:
        """Whether the ankles stayed put relative to the hips over STANCE_WINDOW_S (hidden legs: yes)."""
        ankles = (L.LEFT_ANKLE, L.RIGHT_ANKLE)
        seen = min(f.visibility[i] for i in ankles) >= VISIBLE
        self._feet.append((f.t, f.world[list(ankles)].ravel() if seen else None))
        while self._feet[0][0] < f.t - STANCE_WINDOW_S:
            self._feet.popleft()
        path = [p for _, p in self._feet if p is not None]
        if len(path) < 5:
            return True
        smooth = uniform_filter1d(np.asarray(path), 5, axis=0, mode="nearest")
        return float(np.max(np.ptp(smooth, axis=0))) < FEET_STILL_M

    def _count_postures(self) -> None:
        """One pass back through each arm's history: per window, the share in which each posture matched."""
        for side, history in self._history.items():
            now = history[-1][0]
            counts: Counter[str] = Counter()
            n = 0
            pending = list(self._windows)  # shortest last
            for entry in reversed(history):
                while pending and entry[0] < now - pending[-1]:
                    self._fractions[side, pending.pop()] = {k: c / n for k, c in counts.items()}
                if not pending:
                    break
                counts.update(entry[4])
                n += 1
            for window in pending:
                self._fractions[side, window] = {k: c / n for k, c in counts.items()}

    def _motion(self, side: str, signal: SignalDef, posture: str) -> float:
        """Motion strength of the wrist path.

        Stillness is read over the signal's `still_s` whatever the arm did (a swinging arm passing
        through the posture is not still); a movement is read over the frames of the motion window in
        which the arm held the posture (not while getting there).
        """
        going = self._going(signal, posture)
        key = (side, signal.motion, posture, signal.still_s, going)
        if key not in self._cache:
            history = self._history[side]
            if signal.motion == "static":
                since = history[-1][0] - signal.still_s
                if history[0][0] > since + 0.05:  # not watched long enough to know it is held
                    self._cache[key] = 0.0
                    return 0.0
                path = np.array([h[1:4] for h in history if h[0] >= since])
                # Held, not circling: over a short window a slow circle moves the wrist no more than
                # jitter does, but it turns one way all along (EU "stop" vs "raise": the same raised arm).
                circles = posture in self._circled  # only where a circle shares the posture
                turning = _ramp(self._circle(side, posture)[0], *TURNING_AREA_M2) if circles else 0.0
                strength = motion_strength("static", path) * (1.0 - turning) if len(path) >= 5 else 0.0
            elif (posture, signal.motion) in ALONG_ARM:
                # A push: the trunk goes with a straight arm, the wrist hardly moves from its shoulder
                # (it moves from where the shoulder has been).
                path = np.array(self._posture_run(history, posture, columns=PUSH))
                strength = push_strength(path) if len(path) >= 5 else 0.0
            elif signal.motion == "sweep_down":
                # Down to shoulder level, where it stops (GB 吊钩水平移动): an arm dropped to rest after
                # "hook up" passes level without stopping there. Level now, or a frame ago and still
                # pointing level: jitter reads a straight arm's elbow over 40° bent now and then, and one
                # such frame restarted the 0.15 s debounce it had then (GB trolley episodes, the benchmark's seeds and three
                # fresh sets: first sweeps read after 0.5 s, 9 -> 1 in 240). A lowered arm leaves level by
                # its direction, so its time there is unchanged; counting any level frame of the last two,
                # arms lowered from the raised pose to rest in 0.45 s read 9 trolley signals in 48 (0 now),
                # in 0.6 s 42 (16 then: the sweep was read before it could be seen to stop). And stopped
                # there (`STOP_FRAMES`): an arm lowered to rest goes on down through level.
                path = np.array(self._swept_from(history, posture))
                level = "side_level" in history[-1][4] or (
                    "side_level" in history[-2][4] and _points_side_level(unit(history[-1][1:4]))
                )
                ready = level and len(path) >= 5 and _stopped(history)
                strength = motion_strength(signal.motion, path) if ready else 0.0
            elif signal.motion == "circle":
                strength = self._circle(side, posture)[1]
            else:
                run = self._posture_run(history, posture, columns=slice(0, 4))
                # A swing starts in the frames since the trunk last turned; a recognised one keeps going.
                path = np.array([p[1:] for p in run if going or p[0] > self._turned_at])
                strength = motion_strength(signal.motion, path, going) if len(path) >= 5 else 0.0
            self._cache[key] = strength
        return self._cache[key]

    def _going(self, signal: SignalDef, posture: str) -> bool:
        """Whether the signal (or, in the posture "near level", the malformed one) is recognised now."""
        gate = self._malformed_gates["not_level"] if posture == "near_level" else self._gates[signal.name]
        return gate.active

    def _circle(self, side: str, posture: str) -> tuple[float, float]:
        """`circle_reading` of the wrist's run in `posture`, from the low-passed shoulder (once per
        frame: a circle and the held signal that yields to it read the same run)."""
        area, strength = (side, "circle_area", posture), (side, "circle", posture)
        if area not in self._cache:
            run = np.array(self._posture_run(self._history[side], posture, CIRCLE_GAP_FRAMES, STEADY))
            self._cache[area], self._cache[strength] = circle_reading(run)
        return self._cache[area], self._cache[strength]

    @staticmethod
    def _swept_from(history: deque, posture: str) -> list[tuple[float, float, float]]:
        """The wrist path from the start of the latest run in `posture` (≥ 3 frames, ended less than
        SWEEP_S ago) until now: a sweep that starts in a posture and ends out of it.

        The run may miss up to MAX_GAP_FRAMES frames, as a moving signal's run does: jitter at the
        posture's edge as the sweep leaves it would otherwise start a new run of a frame or two there and
        hide the one the sweep started from. The harness's first sweep leaves the raised pose 0.05 s after
        the arm reaches it (a run of 4–7 frames without jitter): an unbroken run missed it in 14 of 240
        GB trolley episodes (benchmarks/coach_accuracy.py, its seeds and three fresh sets; one never
        caught), this one in 2, where jitter leaves the raised pose 1–2 frames in all.
        """
        now, start, frames, missed = history[-1][0], None, 0, 0
        for i in range(len(history) - 1, -1, -1):
            entry = history[i]
            if posture in entry[4] and (start is not None or entry[0] >= now - SWEEP_S):
                start, frames, missed = i, frames + 1, 0
            elif start is not None:
                missed += 1
                if missed > MAX_GAP_FRAMES:
                    break
            elif entry[0] < now - SWEEP_S:
                return []
        if frames < 3:
            return []
        return [h[1:4] for h in list(history)[start:]]

    @staticmethod
    def _posture_run(
        history: deque, posture: str, max_gap: int = MAX_GAP_FRAMES, columns: slice | int = slice(1, 4)
    ) -> list[tuple[float, ...]]:
        """The wrist path (`columns` of the history: from the shoulder by default, STEADY from the
        low-passed shoulder for a circle, PUSH for a push) over the latest unbroken run of frames in
        `posture` (oldest first); a frame without that reading (a moving shoulder) does not count.

        A movement counts only if it was made in the posture: frames in it scattered over the window
        (an arm passing through the pose again and again in a dance) do not add up to a swing.
        """
        run, missed = [], 0
        for entry in reversed(history):
            value = entry[columns]
            if posture in entry[4] and value is not None:
                run.append(value)
                missed = 0
            else:
                missed += 1
                if missed > max_gap:
                    break
        run.reverse()
        return run

    def _confidence(self, signal: SignalDef, arm: str, posture: str | None = None) -> tuple[float, str]:
        """Best confidence over the arms the signal allows, and which arm gave it."""
        posture = posture or signal.posture
        window = signal.still_s if signal.motion == "static" else POSTURE_WINDOW_S
        scores = {}
        for side in ARMS:
            held = self._fractions[side, window].get(posture, 0.0)
            if signal.motion == "sweep_down":  # the sweep leaves the posture it starts from
                held = 1.0 if self._swept_from(self._history[side], posture) else 0.0
            moving = self._motion(side, signal, posture) if held else 0.0
            scores[side] = held * moving * signal.cap
        if arm == "both":
            return min(scores.values()) * self._level_pair(), "both"
        if arm in ARMS:
            return scores[arm], arm
        side = max(scores, key=lambda s: scores[s])
        return scores[side], side

    def _level_pair(self) -> float:
        """Both arms give one signal as mirror images: the wrists at one height (5-frame average).

        A kick's guard passes both forearms through the GB emergency-stop pose with one hand
        ~0.3 m above the other; the standard's forearms sweep out together at chest height.
        """
        left, right = (np.mean([h[2] for h in list(self._history[s])[-5:]]) for s in ("left", "right"))
        return 1.0 - _ramp(abs(float(left - right)), *PAIR_HEIGHT_M)

    def _malformed(
        self,
        f: Features,
        arms: dict[str, ArmState],
        step_id: str | None,
        standing: bool,
        started: list[CoachEvent],
        ended: list[CoachEvent],
    ) -> None:
        judged = standing and not any(gate.active for gate in self._gates.values())
        candidates: dict[str, tuple[float, str, Text]] = {
            "not_level": (0.0, "", Text("", "")),
            "wrong_hand": (0.0, "", Text("", "")),
        }
        for signal in self.signals:
            if signal.posture in ("side_level", "forward_level"):
                confidence, side = self._confidence(signal, signal.arm, posture="near_level")
                if confidence > candidates["not_level"][0]:
                    arm = arms.get(side) or arms["right"]
                    candidates["not_level"] = (
                        confidence,
                        side,
                        Text(
                            zh=f"“{signal.title.zh}”手势不规范：手臂应水平，现偏离 {abs(arm.elevation_deg):.0f}°。",
                            en=f"Malformed '{signal.title.en}': the arm should be level, it is {abs(arm.elevation_deg):.0f}° off.",
                        ),
                    )
            if signal.arm in ARMS:
                other = "left" if signal.arm == "right" else "right"
                confidence, _ = self._confidence(signal, other)
                if confidence > candidates["wrong_hand"][0]:
                    hand = Text("右手", "right") if signal.arm == "right" else Text("左手", "left")
                    candidates["wrong_hand"] = (
                        confidence,
                        other,
                        Text(
                            zh=f"“{signal.title.zh}”手势应使用{hand.zh}。",
                            en=f"Malformed '{signal.title.en}': use the {hand.en} arm.",
                        ),
                    )
        for kind, gate in self._malformed_gates.items():
            confidence, side, cue = candidates[kind]
            change = gate.update(f.t, confidence if judged else 0.0)
            if change == "start":
                event = CoachEvent(
                    rule_id=f"signal.malformed.{kind}",
                    kind="malformed_signal",
                    severity="warning",
                    body_part=f"{side}_arm" if side in ARMS else "both_arms",
                    onset=gate.onset,
                    detected_at=f.t,
                    cue=cue,
                    value=round(confidence, 2),
                    step_id=step_id,
                    detail={"standard": self.signal_set},
                )
                self._malformed_open[kind] = event
                started.append(event)
            elif change == "end" and kind in self._malformed_open:
                event = self._malformed_open.pop(kind)
                event.end = gate.last_true
                ended.append(event)

    def finish(self, t: float) -> list[CoachEvent]:
        closed = [*self._open.values(), *self._malformed_open.values()]
        for event in closed:
            event.end = t
        self._open.clear()
        self._malformed_open.clear()
        return closed
