"""Real-time factor of a full headless crane attempt (budget: ≥ 200×, DESIGN.md "Budgets").

For a few seeded default courses, the expert autopilot runs a complete attempt (pre-lift check to
set-down) through `sim.runner.run_attempt`: operator, drives, wind drag, physics, exam judging. The
reference, measured in the same run, is the bare pybullet step loop of the same scene (same world,
same number of control steps, motors holding the parked crane, no Python around it), so the ratio
shows what the scene's own logic costs. Every measurement includes building the world (reset); the
pybullet client is reused between attempts, as a station does between sessions.
Also reported: the scene stepped with no operator logic (idle commands). Time is CPU time of this
thread, minimum over repeats, so other processes on a shared machine do not count; the wall-clock RTF
of one run is reported next to it. Writes benchmarks/results/crane_rtf.{json,md}.
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

import pybullet as pb

from scenarios.spec import get_spec
from sim.crane.scene import CONTROL_HZ, SUBSTEPS, CraneScene
from sim.operators.command import NEUTRAL
from sim.runner import make_operator, run_attempt

RESULTS = Path(__file__).with_name("results")
SEEDS = (0, 1, 2)
REPEATS = 5
BUDGET_RTF = 200.0


def _best(run) -> tuple[float, float]:
    """(min CPU s, wall s of the first run) of `run()` over REPEATS."""
    cpu, wall = [], []
    for _ in range(REPEATS):
        c0, w0 = time.thread_time(), time.perf_counter()
        run()
        cpu.append(time.thread_time() - c0)
        wall.append(time.perf_counter() - w0)
    return min(cpu), wall[0]


def measure(seed: int) -> dict:
    spec = get_spec("crane.bridge_lift")
    result = run_attempt(spec, None, make_operator("autopilot", "crane"), seed)
    sim_s = result["sim_s"]
    steps = round(sim_s * CONTROL_HZ)
    full_cpu, full_wall = _best(lambda: run_attempt(spec, None, make_operator("autopilot", "crane"), seed))

    scene = CraneScene(spec)
    try:

        def bare() -> None:
            scene.reset(None, seed)
            scene.step(NEUTRAL)  # sets the drive and hoist motors once, so the parked crane holds the load
            for _ in range(steps - 1):
                pb.stepSimulation(physicsClientId=scene.client)

        def idle() -> None:
            scene.reset(None, seed)
            for _ in range(steps):
                scene.step(NEUTRAL)

        bare_cpu, bare_wall = _best(bare)
        idle_cpu, _ = _best(idle)
    finally:
        scene.close()
    return {
        "seed": seed,
        "passed": result["passed"],
        "sim_s": sim_s,
        "control_steps": steps,
        "attempt_cpu_s": round(full_cpu, 4),
        "attempt_rtf": round(sim_s / full_cpu, 1),
        "attempt_wall_rtf": round(sim_s / full_wall, 1),
        "scene_idle_rtf": round(sim_s / idle_cpu, 1),
        "bare_cpu_s": round(bare_cpu, 4),
        "bare_rtf": round(sim_s / bare_cpu, 1),
        "bare_wall_rtf": round(sim_s / bare_wall, 1),
        "attempt_vs_bare": round(full_cpu / bare_cpu, 2),
    }


def main() -> None:
    rows = [measure(seed) for seed in SEEDS]
    worst = min(r["attempt_rtf"] for r in rows)
    summary = {
        "benchmark": "crane_rtf",
        "scenario": "crane.bridge_lift",
        "operator": "autopilot:1.0",
        "control_hz": CONTROL_HZ,
        "physics_hz": CONTROL_HZ * SUBSTEPS,
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
        "pybullet_api": pb.getAPIVersion(),
        "budget_rtf": BUDGET_RTF,
        "worst_attempt_rtf": worst,
        "meets_budget": worst >= BUDGET_RTF,
        "runs": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "crane_rtf.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    lines = [
        "# Crane attempt real-time factor",
        "",
        f"Full headless attempts of `crane.bridge_lift` (default parameters, `autopilot:1.0`), control "
        f"{CONTROL_HZ} Hz, physics {CONTROL_HZ * SUBSTEPS} Hz. CPU time of the running thread, minimum over "
        f"{REPEATS} runs; wall-clock RTF of one run in brackets. Reference: the bare pybullet step loop of "
        "the same scene for the same number of steps, measured in the same run.",
        "",
        "| seed | sim s | attempt RTF | scene, idle operator RTF | bare step loop RTF | attempt cost / bare |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['seed']} | {r['sim_s']:.1f} | {r['attempt_rtf']:.0f}× ({r['attempt_wall_rtf']:.0f}×) | "
            f"{r['scene_idle_rtf']:.0f}× | {r['bare_rtf']:.0f}× ({r['bare_wall_rtf']:.0f}×) | "
            f"{r['attempt_vs_bare']:.2f}× |"
        )
    lines += [
        "",
        f"Worst attempt RTF {worst:.0f}× against a budget of {BUDGET_RTF:.0f}×: "
        f"{'met' if worst >= BUDGET_RTF else 'NOT met'}.",
    ]
    (RESULTS / "crane_rtf.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
