"""CPU cost of starting the command line: `shixun --version` builds the whole parser, which imports
every command module, so a heavy import at module level is paid by every command.

Each case runs in a fresh interpreter; the figure is the median user+system CPU seconds of the child
process (CPU, not wall time: the machine is shared), and the ratio to `python -c pass` measured in the
same run. With `--baseline REV` the same cases also run on that commit (`git archive` into a temporary
folder, put first on PYTHONPATH), so before/after come from one run on one machine.

Run: `python -m benchmarks.cli_startup [--runs 7] [--baseline REV]`.
Writes benchmarks/results/cli_startup.json and .md.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
# The command modules that keep heavy imports inside their handlers (tests/cli/test_startup_imports.py).
LIGHT_COMMANDS = "admin audit book calendar consent db equipment instructor learner login mentor purge settings station timetable users"
CASES = {
    "python -c pass": ["-c", "pass"],
    "shixun --version": ["-m", "station_app.cli.main", "--version"],
    "store/admin/privacy command modules": [
        "-c",
        "import " + ", ".join(f"station_app.cli.{name}" for name in LIGHT_COMMANDS.split()),
    ],
}


def child_cpu_seconds(args: list[str], env: dict[str, str]) -> float:
    """User + system CPU of one fresh interpreter running `args`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [sys.executable, *args], env=env, cwd=env.get("PYTHONPATH", REPO), check=True, capture_output=True
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(trees: dict[str, dict[str, str]], runs: int) -> dict[str, dict[str, list[float]]]:
    """Seconds per tree and case; cases interleaved so that load changes hit all of them alike."""
    samples: dict[str, dict[str, list[float]]] = {tree: {case: [] for case in CASES} for tree in trees}
    for _ in range(runs):
        for tree, env in trees.items():
            for case, args in CASES.items():
                samples[tree][case].append(child_cpu_seconds(args, env))
    return samples


def extract(rev: str, folder: Path) -> None:
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--baseline", metavar="REV", help="also measure this commit (e.g. the one before)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"current": {**os.environ, "PYTHONPATH": str(REPO)}}
        if args.baseline:
            extract(args.baseline, Path(tmp))
            trees[args.baseline] = {**os.environ, "PYTHONPATH": tmp}
        samples = measure(trees, args.runs)
    results = {
        tree: {
            case: {
                "median_cpu_s": round(statistics.median(values), 4),
                "ratio_to_python": round(
                    statistics.median(values) / statistics.median(cases["python -c pass"]), 2
                ),
            }
            for case, values in cases.items()
        }
        for tree, cases in samples.items()
    }
    RESULTS.mkdir(exist_ok=True)
    data = {
        "runs": args.runs,
        "baseline": args.baseline,
        "python": sys.version.split()[0],
        "results": results,
    }
    (RESULTS / "cli_startup.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    lines = [
        "# CLI start-up (CPU seconds of a fresh interpreter, median)",
        "",
        f"{args.runs} runs per case, interleaved; ratio = case / `python -c pass` in the same tree and run.",
        "",
        "| tree | case | CPU s | × python -c pass |",
        "|---|---|---:|---:|",
    ]
    for tree, cases in results.items():
        lines += [
            f"| {tree} | {case} | {r['median_cpu_s']:.3f} | {r['ratio_to_python']:.1f} |"
            for case, r in cases.items()
        ]
    (RESULTS / "cli_startup.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
