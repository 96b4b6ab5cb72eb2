"""Load benchmark of the lab server's relay (DESIGN.md "Budgets": 30 stations x 30 Hz pose + state
through one lab server, p95 <= 20 ms on loopback, a slow mentor never stalls a station).

Processes: the server; one process publishing for all simulated stations (each its own socket and
CURVE key); live mentors, one process each, every one invited to and subscribed to every station's
pose and state; one stalled mentor that subscribes to everything and never reads.

Three servers are measured in the same run, under the same load:
- `proxy`: libzmq's own XSUB/XPUB proxy (C, `zmq.proxy_steerable`), no encryption, no
  authorisation — the floor;
- `proxy_curve`: the same C proxy with CurveZMQ and a ZAP authenticator on every link — the
  REFERENCE for ratios: what encryption alone costs, so the ratio isolates the relay's own work;
- `shixun`: `lab.server.relay.Relay` — CurveZMQ on every link, ZAP, per-user grants, envelope
  validation, join-snapshot cache, and every session recorded as MCAP (recording process).

Latency is end to end: station `Envelope.t_mono` (CLOCK_MONOTONIC, shared by all processes) to the
mentor's receipt after decoding. Drops are counted per topic kind from sequence numbers. The relay
also measures its own share (`lab.server.timing`): station send -> relay thread receipt (upstream,
including any wait for a CPU) and receipt -> last send (processing), so relay cost can be told
apart from machine contention.

A shared machine is noisy, so the modes run `--repeats` times, interleaved (the order rotates each
round), and the report gives medians, every run, and the machine's load average during each run.
`--server-nice N` runs every server (reference included) at that niceness; the report says so.

Run: `python -m benchmarks.bus_load [--seconds 10] [--repeats 3] [--stations 30] [--hz 30] [--mentors 5]`.
Writes benchmarks/results/bus_load.json and .md (`--name` for another name).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import statistics
import tempfile
import time
from array import array
from pathlib import Path
from typing import Any

import numpy as np
import zmq

RESULTS = Path(__file__).parent / "results"
ANY = "tcp://127.0.0.1:*"
DRAIN_S = 2.0
TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def _station(i: int) -> str:
    return f"st{i:02d}"


def _session(i: int) -> str:
    return f"s{i:02d}"


# -- server -------------------------------------------------------------------------------------
def server_main(mode: str, config: dict[str, Any], ready: mp.Queue, stop: mp.Event, clock: Any) -> None:
    if config["server_nice"]:
        os.nice(config["server_nice"])
    ctx = zmq.Context(io_threads=config.get("io_threads", 1))
    if mode in ("proxy", "proxy_curve"):
        xsub, xpub = ctx.socket(zmq.XSUB), ctx.socket(zmq.XPUB)
        hwm = 300 * config["stations"]
        xsub.rcvhwm = xpub.sndhwm = hwm
        if mode == "proxy_curve":
            from lab.bus.security import CurveKeys, CurveServer, KeyAuthenticator

            known = set(config["station_publics"]) | set(config["mentor_publics"])
            authenticator = KeyAuthenticator(ctx, lambda key: "peer" if key in known else None)
            authenticator.start()
            for sock in (xsub, xpub):
                CurveServer(CurveKeys(config["server_public"], config["server_secret"])).apply(
                    sock, authenticator
                )
        xsub.bind(ANY)
        xpub.bind(ANY)
        control = ctx.socket(zmq.PAIR)
        control.bind("inproc://control")
        import threading

        endpoints = {"stations": xsub.last_endpoint.decode(), "viewers": xpub.last_endpoint.decode()}
        proxy = threading.Thread(target=zmq.proxy_steerable, args=(xsub, xpub, None, control), daemon=True)
        proxy.start()
        ready.put(endpoints)
        stop.wait()
        steer = ctx.socket(zmq.PAIR)
        steer.connect("inproc://control")
        steer.send(b"TERMINATE")
        proxy.join(5)
        ready.put({})
        return
    from lab.auth.permissions import Invitation, Subject
    from lab.bus.security import CurveKeys
    from lab.bus.topics import station_zap_id, user_zap_id
    from lab.recording.service import RecordingProcess
    from lab.server.access import StaticAccess
    from lab.server.policy import AccessFacts, Principal, SessionFacts
    from lab.server.relay import Relay, RelayEndpoints, utc_now
    from lab.server.timing import RelayTiming

    keys: dict[bytes, Principal] = {}
    for i, public in enumerate(config["station_publics"]):
        keys[public] = Principal(station_zap_id(_station(i)), "station", station=_station(i))
    for m, public in enumerate(config["mentor_publics"]):
        keys[public] = Principal(user_zap_id(100 + m), "mentor", user_id=100 + m, login=f"mentor{m}")
    now = utc_now()
    from datetime import timedelta

    def invited(session: str) -> tuple[Invitation, ...]:
        window = (now - timedelta(hours=1), now + timedelta(hours=2))
        return tuple(
            Invitation(100 + m, *window, session_id=session) for m in range(len(config["mentor_publics"]))
        )

    sessions = {
        _session(i): SessionFacts(
            _station(i), Subject(learner_id=i, session_id=_session(i), invitations=invited(_session(i)))
        )
        for i in range(config["stations"])
    }
    access = StaticAccess(keys, AccessFacts(sessions))
    with tempfile.TemporaryDirectory() as recordings:
        recorder = RecordingProcess(recordings) if config["record"] else None
        if recorder is not None:
            recorder.start()
        server_keys = CurveKeys(config["server_public"], config["server_secret"])
        relay = Relay(
            ctx,
            access,
            server_keys,
            RelayEndpoints(ANY, ANY, ANY),
            record_endpoint=recorder.endpoint if recorder is not None else None,
            streams=config["stations"],
            timing=RelayTiming(),
        )
        relay.start()
        ready.put(
            {
                "stations": relay.endpoints.stations,
                "viewers": relay.endpoints.viewers,
                "recorder_pid": recorder.pid if recorder is not None else None,
            }
        )
        go, times = clock
        go.wait()
        relay.timing.window = (times[1], times[2])  # the measured window, as for the mentors
        stop.wait()
        relay.stop()
        if recorder is not None:
            recorder.stop()
        size = sum(p.stat().st_size for p in Path(recordings).glob("*.mcap"))
        ready.put(
            {
                "relay_stats": relay.stats,
                "relay_timing": relay.timing.summary(),
                "recording_bytes": size,
                "recording_files": len(list(Path(recordings).glob("*.mcap"))),
            }
        )
    ctx.destroy(linger=0)


# -- stations -----------------------------------------------------------------------------------
def stations_main(mode: str, config: dict[str, Any], endpoint: str, clock: Any, out: mp.Queue) -> None:
    from lab.bus.security import CurveClient, CurveKeys
    from lab.bus.sockets import Publisher
    from lab.bus.topics import Kind, Topic

    ctx = zmq.Context()
    publishers = []
    for i in range(config["stations"]):
        curve = None
        if mode != "proxy":
            curve = CurveClient(
                CurveKeys(config["station_publics"][i], config["station_secrets"][i]), config["server_public"]
            )
        publishers.append(Publisher(ctx, endpoint, curve=curve))
    topics = [
        (Topic(Kind.POSE, _station(i), _session(i)), Topic(Kind.STATE, _station(i), _session(i)))
        for i in range(config["stations"])
    ]
    rng = random.Random(1)
    image = [[rng.random(), rng.random(), rng.random() * 0.1, 0.99] for _ in range(33)]
    world = [[rng.uniform(-0.5, 0.5), rng.uniform(-0.9, 0.9), rng.uniform(-0.3, 0.3)] for _ in range(33)]
    period = 1.0 / config["hz"]
    begin_at, _start_at, end_at = _wait_for_go(clock, out)
    while time.monotonic() < begin_at:
        time.sleep(0.01)
    tick, late_ticks, sent = 0, 0, 0
    cpu0 = time.process_time()
    while True:
        due = begin_at + tick * period
        if due >= end_at:
            break
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        elif delay < -period:
            late_ticks += 1
        for publisher, (pose, state) in zip(publishers, topics, strict=True):
            publisher.send(pose, {"t": tick * period, "image": image, "world": world})
            publisher.send(
                state,
                {
                    "t": tick * period,
                    "hook_m": [1.0, 2.0, 3.0],
                    "sway_deg": 1.5,
                    "step": "lift",
                    "load_kg": 500.0,
                },
            )
            sent += 2
        tick += 1
    last_seq = {str(t): tick - 1 for pair in topics for t in pair}
    cpu = (time.process_time() - cpu0) / (end_at - begin_at)
    out.put({"ticks": tick, "late_ticks": late_ticks, "sent": sent, "last_seq": last_seq, "cpu_cores": cpu})
    time.sleep(DRAIN_S)
    ctx.destroy(linger=0)


# -- mentors ------------------------------------------------------------------------------------
def mentor_main(
    mode: str, index: int, config: dict[str, Any], endpoint: str, stalled: bool, clock: Any, out: mp.Queue
) -> None:
    from lab.bus.security import CurveClient, CurveKeys
    from lab.bus.sockets import Receiver
    from lab.bus.topics import Kind, Topic, user_zap_id, view_prefix

    ctx = zmq.Context()
    curve, prefix = None, b""
    if mode != "proxy":
        curve = CurveClient(
            CurveKeys(config["mentor_publics"][index], config["mentor_secrets"][index]),
            config["server_public"],
        )
    if mode == "shixun":
        prefix = view_prefix(user_zap_id(100 + index))
    topics = [
        Topic(k, _station(i), _session(i)) for i in range(config["stations"]) for k in (Kind.POSE, Kind.STATE)
    ]
    receiver = Receiver(ctx, endpoint, topics, view_prefix=prefix, curve=curve, streams=config["stations"])
    _begin_at, start_at, end_at = _wait_for_go(clock, out)
    if stalled:
        while time.monotonic() < end_at + DRAIN_S:
            time.sleep(0.1)  # subscribed, never reads
        out.put({"index": index, "stalled": True})
        ctx.destroy(linger=0)
        return
    latencies = array("d")
    cpu0 = time.process_time()
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    count: dict[str, int] = {}
    while time.monotonic() < end_at + DRAIN_S:
        message = receiver.recv(100)
        if message is None:
            continue
        received = time.monotonic()
        envelope = message.envelope
        if not (start_at <= envelope.t_mono < end_at):
            continue
        key = str(message.topic)
        latencies.append((received - envelope.t_mono) * 1000.0)
        first.setdefault(key, envelope.seq)
        last[key] = envelope.seq
        count[key] = count.get(key, 0) + 1
    cpu = (time.process_time() - cpu0) / (end_at + DRAIN_S - start_at)
    out.put(
        {
            "index": index,
            "cpu_cores": cpu,
            "latencies": latencies.tobytes(),
            "first": first,
            "last": last,
            "count": count,
            "stats": receiver.stats.as_dict(),
        }
    )
    ctx.destroy(linger=0)


def _wait_for_go(clock: Any, out: mp.Queue) -> tuple[float, float, float]:
    """Report ready, then wait until the parent has set the shared (begin, start, end) times."""
    out.put({"ready": True})
    go, times = clock
    go.wait()
    return times[0], times[1], times[2]


# -- measurement --------------------------------------------------------------------------------
def _proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_S


def _proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_once(mode: str, config: dict[str, Any], seconds: float, mentors: int) -> dict[str, Any]:
    spawn = mp.get_context("spawn")
    ready, out, stop = spawn.Queue(), spawn.Queue(), spawn.Event()
    clock = (spawn.Event(), spawn.Array("d", 3))
    server = spawn.Process(target=server_main, args=(mode, config, ready, stop, clock))
    server.start()
    endpoints = ready.get(timeout=60)
    procs = [
        spawn.Process(
            target=mentor_main, args=(mode, m, config, endpoints["viewers"], m == mentors - 1, clock, out)
        )
        for m in range(mentors)
    ]
    procs.append(spawn.Process(target=stations_main, args=(mode, config, endpoints["stations"], clock, out)))
    for proc in procs:
        proc.start()
    for _ in procs:
        out.get(timeout=120)  # every process imported, connected and subscribed
    time.sleep(1.0)  # subscriptions travel to the stations
    begin_at = time.monotonic() + 0.5
    start_at = begin_at + 2.0  # warm-up excluded from the numbers
    end_at = start_at + seconds
    clock[1][:] = [begin_at, start_at, end_at]
    clock[0].set()
    while time.monotonic() < start_at:
        time.sleep(0.05)
    load_before = os.getloadavg()[0]
    cpu0 = _proc_cpu_s(server.pid)
    recorder_pid = endpoints.get("recorder_pid")
    recorder_cpu0 = _proc_cpu_s(recorder_pid) if recorder_pid else 0.0
    rss = []
    while time.monotonic() < end_at:
        rss.append(_proc_rss_mb(server.pid))
        time.sleep(0.5)
    cpu = (_proc_cpu_s(server.pid) - cpu0) / seconds
    recorder_cpu = (_proc_cpu_s(recorder_pid) - recorder_cpu0) / seconds if recorder_pid else None
    results = [out.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(30)
    stop.set()
    server_report = ready.get(timeout=60)
    server.join(30)
    stations = next(r for r in results if "sent" in r)
    live = [r for r in results if "latencies" in r]
    latencies = np.concatenate([np.frombuffer(r["latencies"], dtype=np.float64) for r in live])
    if latencies.size == 0:
        raise RuntimeError(f"{mode}: no message reached a live mentor during the measured window")
    drops: dict[str, int] = {"pose": 0, "state": 0}
    for r in live:
        for topic, last_seq in stations["last_seq"].items():
            kind = topic.split("/")[0]
            if topic not in r["first"]:
                drops[kind] += 1  # nothing at all arrived in the window: counted as one loss event
                continue
            expected = last_seq - r["first"][topic] + 1
            drops[kind] += expected - r["count"][topic]
    return {
        "mode": mode,
        "messages_sent": stations["sent"],
        "station_late_ticks": stations["late_ticks"],
        "live_mentors": len(live),
        "messages_received_live": int(latencies.size),
        "latency_ms": {
            "p50": float(np.percentile(latencies, 50)),
            "p95": float(np.percentile(latencies, 95)),
            "p99": float(np.percentile(latencies, 99)),
            "max": float(latencies.max()),
        },
        "drops_live_mentors": drops,
        "server_cpu_cores": cpu,
        "machine_load_1min": {"before": load_before, "after": os.getloadavg()[0]},
        "recorder_process_cpu_cores": recorder_cpu,
        "stations_process_cpu_cores": stations["cpu_cores"],
        "live_mentor_cpu_cores": [r["cpu_cores"] for r in live],
        "server_rss_mb": {"first": rss[0], "last": rss[-1], "max": max(rss)},
        "server": server_report,
    }


MODES = ("proxy", "proxy_curve", "shixun")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per server, interleaved")
    parser.add_argument("--stations", type=int, default=30)
    parser.add_argument("--hz", type=float, default=30.0)
    parser.add_argument("--mentors", type=int, default=5, help="including the one stalled mentor")
    parser.add_argument("--no-recording", action="store_true", help="relay without the MCAP recorder")
    parser.add_argument("--io-threads", type=int, default=2, help="ZeroMQ I/O threads of the server")
    parser.add_argument("--server-nice", type=int, default=0, help="niceness of every server (<0: root)")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--name", default="bus_load", help="results file name in benchmarks/results/")
    args = parser.parse_args()
    station_keys = [zmq.curve_keypair() for _ in range(args.stations)]
    mentor_keys = [zmq.curve_keypair() for _ in range(args.mentors)]
    server_public, server_secret = zmq.curve_keypair()
    config = {
        "stations": args.stations,
        "hz": args.hz,
        "record": not args.no_recording,
        "io_threads": args.io_threads,
        "server_nice": args.server_nice,
        "station_publics": [k[0] for k in station_keys],
        "station_secrets": [k[1] for k in station_keys],
        "mentor_publics": [k[0] for k in mentor_keys],
        "mentor_secrets": [k[1] for k in mentor_keys],
        "server_public": server_public,
        "server_secret": server_secret,
    }
    rounds: list[dict[str, Any]] = []
    for round_index in range(args.repeats):
        shift = round_index % len(args.modes)
        order = args.modes[shift:] + args.modes[:shift]  # rotate, so no mode always runs first
        runs = {mode: run_once(mode, config, args.seconds, args.mentors) for mode in order}
        rounds.append({mode: runs[mode] for mode in args.modes})
        print(
            f"round {round_index + 1}/{args.repeats}: "
            + ", ".join(f"{m} p95 {r['latency_ms']['p95']:.1f} ms" for m, r in rounds[-1].items())
        )
    report = {
        "setup": {
            "stations": args.stations,
            "hz": args.hz,
            "topics_per_station": ["pose", "state"],
            "mentors": args.mentors,
            "stalled_mentors": 1,
            "seconds": args.seconds,
            "repeats": args.repeats,
            "server_nice": args.server_nice,
            "recording": not args.no_recording,
            "cpus": os.cpu_count(),
        },
        "rounds": rounds,
        "medians": {mode: _medians([r[mode] for r in rounds]) for mode in args.modes},
    }
    if {"shixun", "proxy_curve"} <= set(args.modes):
        report["ratios_shixun_to_reference"] = {
            name: statistics.median(_ratio(r["shixun"], r["proxy_curve"], name) for r in rounds)
            for name in ("p50", "p95", "p99", "server_cpu")
        }
    if "shixun" in args.modes:
        p95s = [r["shixun"]["latency_ms"]["p95"] for r in rounds]
        report["goals"] = {
            "p95_le_20ms_median": statistics.median(p95s) <= 20.0,
            "p95_le_20ms_runs": sum(p <= 20.0 for p in p95s),
            "zero_pose_state_drops_live_mentors_runs": sum(
                sum(r["shixun"]["drops_live_mentors"].values()) == 0 for r in rounds
            ),
        }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(report, indent=2))
    (RESULTS / f"{args.name}.md").write_text(_markdown(report))
    print(_markdown(report))


def _ratio(ours: dict[str, Any], ref: dict[str, Any], name: str) -> float:
    if name == "server_cpu":
        return ours["server_cpu_cores"] / max(ref["server_cpu_cores"], 1e-9)
    return ours["latency_ms"][name] / ref["latency_ms"][name]


def _medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def med(values: list[float]) -> float:
        return float(statistics.median(values))

    medians = {
        "latency_ms": {k: med([r["latency_ms"][k] for r in runs]) for k in ("p50", "p95", "p99", "max")},
        "drops_live_mentors": {k: med([r["drops_live_mentors"][k] for r in runs]) for k in ("pose", "state")},
        "server_cpu_cores": med([r["server_cpu_cores"] for r in runs]),
        "server_rss_mb_max": med([r["server_rss_mb"]["max"] for r in runs]),
        "machine_load_1min": med([r["machine_load_1min"]["after"] for r in runs]),
    }
    timings = [r["server"].get("relay_timing") for r in runs]
    if all(t and t["processing_ms"] for t in timings):
        medians["relay_timing"] = {
            part: {k: med([t[part][k] for t in timings]) for k in ("p50", "p95", "p99", "max")}
            for part in ("upstream_ms", "processing_ms")
        }
    return medians


def _markdown(report: dict[str, Any]) -> str:
    setup, rounds, medians = report["setup"], report["rounds"], report["medians"]
    nice = setup["server_nice"]
    lines = [
        "# Bus load: lab relay under 30 stations x 30 Hz",
        "",
        f"{setup['stations']} stations x {setup['hz']:g} Hz x (pose + state), {setup['mentors']} mentors "
        f"(1 stalled, never reads), {setup['seconds']:g} s measured per run, {setup['repeats']} runs per "
        f"server interleaved, {setup['cpus']} CPUs shared by all processes (and by whatever else runs on "
        "the machine: see the load average). "
        + (
            f"Every server ran at niceness {nice} (reference included)."
            if nice
            else "All processes at normal priority."
        ),
        "",
        "## Medians over the runs",
        "",
        "| server | p50 ms | p95 ms | p99 ms | max ms | drops pose/state (live mentors) | server CPU (cores) "
        "| server RSS max MB | load avg |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for mode, m in medians.items():
        lat, drops = m["latency_ms"], m["drops_live_mentors"]
        lines.append(
            f"| {mode} | {lat['p50']:.2f} | {lat['p95']:.2f} | {lat['p99']:.2f} | {lat['max']:.1f} | "
            f"{drops['pose']:g}/{drops['state']:g} | {m['server_cpu_cores']:.3f} | "
            f"{m['server_rss_mb_max']:.0f} | {m['machine_load_1min']:.1f} |"
        )
    if "ratios_shixun_to_reference" in report:
        ratios = report["ratios_shixun_to_reference"]
        lines += [
            "",
            "Ratios shixun / proxy_curve, each taken within one round, median over the rounds: "
            f"p50 x{ratios['p50']:.2f}, p95 x{ratios['p95']:.2f}, p99 x{ratios['p99']:.2f}, "
            f"server CPU x{ratios['server_cpu']:.2f}.",
        ]
    if "relay_timing" in medians.get("shixun", {}):
        t = medians["shixun"]["relay_timing"]
        lines += [
            "",
            "## Inside the relay (shixun, medians over the runs)",
            "",
            "| part | p50 ms | p95 ms | p99 ms | max ms |",
            "|---|---|---|---|---|",
        ]
        for part, label in (
            ("upstream_ms", "station send -> relay thread receipt (I/O, CURVE, wait for a CPU)"),
            ("processing_ms", "relay receipt -> last send (validation, grants, fan-out, recorder)"),
        ):
            lines.append(
                f"| {label} | {t[part]['p50']:.3f} | {t[part]['p95']:.3f} | {t[part]['p99']:.3f} | "
                f"{t[part]['max']:.1f} |"
            )
    lines += [
        "",
        "## Every run",
        "",
        "| round | server | p50 ms | p95 ms | p99 ms | drops pose/state | server CPU | RSS first/last/max MB "
        "| load avg before/after | relay processing p95 ms |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for index, runs in enumerate(rounds, 1):
        for mode, run in runs.items():
            lat, rss, drops = run["latency_ms"], run["server_rss_mb"], run["drops_live_mentors"]
            timing = run["server"].get("relay_timing")
            processing = (
                f"{timing['processing_ms']['p95']:.3f}" if timing and timing["processing_ms"] else "-"
            )
            lines.append(
                f"| {index} | {mode} | {lat['p50']:.2f} | {lat['p95']:.2f} | {lat['p99']:.2f} | "
                f"{drops['pose']}/{drops['state']} | {run['server_cpu_cores']:.3f} | "
                f"{rss['first']:.0f}/{rss['last']:.0f}/{rss['max']:.0f} | "
                f"{run['machine_load_1min']['before']:.1f}/{run['machine_load_1min']['after']:.1f} | "
                f"{processing} |"
            )
    if "goals" in report:
        goals = report["goals"]
        p95 = medians["shixun"]["latency_ms"]["p95"]
        lines += [
            "",
            f"**Goal p95 <= 20 ms: {'met' if goals['p95_le_20ms_median'] else 'NOT met'}** "
            f"(median p95 {p95:.1f} ms; met in {goals['p95_le_20ms_runs']} of {setup['repeats']} runs). "
            "Zero pose/state drops for live mentors in "
            f"{goals['zero_pose_state_drops_live_mentors_runs']} of {setup['repeats']} runs.",
        ]
    lines += [
        "",
        "proxy = libzmq XSUB/XPUB proxy in C, no CURVE; proxy_curve (the reference) = the same with CurveZMQ + ZAP; "
        "shixun = lab.server.relay (CurveZMQ + ZAP, per-user grants, validation, snapshots, MCAP recording in "
        "its own process). Latency is station send to mentor decode; all processes share the machine.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
