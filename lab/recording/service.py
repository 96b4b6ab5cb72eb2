"""The recording service: receives every accepted frame from the relay and writes MCAP files.

It runs in its own process next to the relay (`RecordingProcess`): JSON encoding and MCAP
chunking cost more CPU than forwarding, and in the relay's process they would compete with the
forwarding thread for the GIL, adding milliseconds to every live message (benchmarks/bus_load.py
measures both). The relay PUSHes raw frames over an ipc socket; when the recorder falls behind
by more than the relay's queue, frames are counted as not recorded rather than delaying anyone.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import tempfile
from pathlib import Path
from typing import Protocol

import zmq

from lab.bus.envelope import BadMessage, decode
from lab.bus.topics import BadTopic, split_frame
from lab.recording.recorder import Recorder

RECORDER_NICENESS = 10


class Flag(Protocol):
    """threading.Event or multiprocessing.Event."""

    def is_set(self) -> bool: ...

    def set(self) -> None: ...


def serve_recordings(
    endpoint: str,
    directory: str | Path,
    stop: Flag,
    ready: Flag | None = None,
    ctx: zmq.Context | None = None,
) -> None:
    """Record frames PULLed from `endpoint` until `stop` is set and nothing is left to read."""
    context = ctx or zmq.Context()
    pull = context.socket(zmq.PULL)
    pull.linger = 0
    pull.bind(endpoint)
    recorder = Recorder(directory)
    if ready is not None:
        ready.set()
    try:
        while True:
            if not pull.poll(100):
                if stop.is_set():
                    break
                continue
            for _ in range(1000):
                try:
                    data = pull.recv(zmq.NOBLOCK)
                except zmq.Again:
                    break
                try:
                    topic, payload = split_frame(data)
                    recorder.record(topic, decode(payload))
                except (BadTopic, BadMessage):
                    continue  # the relay validated it already; nothing else can reach this socket
    finally:
        recorder.close()
        pull.close()
        if ctx is None:
            context.term()


def _low_priority_recorder(endpoint: str, directory: str, stop: Flag, ready: Flag) -> None:
    """Recording is latency-insensitive (its queue absorbs seconds): under CPU contention the kernel
    should run the relay and the viewers first, and the recorder catches up in idle time. Niceness
    at least RECORDER_NICENESS, also when the server itself runs at a higher priority."""
    os.nice(max(0, RECORDER_NICENESS - os.getpriority(os.PRIO_PROCESS, 0)))
    serve_recordings(endpoint, directory, stop, ready)


class RecordingProcess:
    """`serve_recordings` in a child process, listening on a private ipc socket (`endpoint`)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self._socket_dir = tempfile.mkdtemp(prefix="shixun-rec-")
        self.endpoint = f"ipc://{self._socket_dir}/frames"
        spawn = mp.get_context("spawn")
        self._stop, self._ready = spawn.Event(), spawn.Event()
        self._process = spawn.Process(
            target=_low_priority_recorder,
            args=(self.endpoint, str(self.directory), self._stop, self._ready),
            name="shixun-recorder",
            daemon=True,
        )

    def start(self, timeout_s: float = 60.0) -> None:
        self._process.start()
        if not self._ready.wait(timeout_s):
            self.stop()
            raise RuntimeError("the recording process did not start")

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def stop(self) -> None:
        """Write what is queued, finish every file, end the process."""
        self._stop.set()
        if self._process.is_alive():
            self._process.join(30)
        shutil.rmtree(self._socket_dir, ignore_errors=True)
