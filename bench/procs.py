"""Processes for the benchmarks: servers started and stopped as process groups, wrk runs
read back as JSON, a process tree's peak memory, and how busy the machine was."""

from __future__ import annotations

import json
import os
import re
import signal
import statistics
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LUA_DIR = ROOT / "bench" / "lua"


@dataclass
class Server:
    """A server started as its own process group (uvicorn's supervisor and its workers)."""

    name: str
    command: Sequence[str]
    env: dict[str, str]
    port: int
    log: Path
    workers: int = 2
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str, timeout: float = 150.0) -> float:
        """Start, and wait until every worker has started and `ready_path` answers 200.
        Returns the seconds it took."""
        started = time.monotonic()
        with self.log.open("w") as out:
            self.process = subprocess.Popen(  # noqa: S603
                list(self.command),
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log.read_text()[-3000:]}")
            ready = self.log.read_text().count("Application startup complete.")
            if ready >= self.workers and http_status(self.url + ready_path) == 200:
                return time.monotonic() - started
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not start:\n{self.log.read_text()[-3000:]}")

    def restarts(self) -> int:
        """Workers that uvicorn's supervisor replaced (for instance after a missed ping)."""
        return self.log.read_text().count("died")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (127.0.0.1)
            return int(response.status)
    except OSError:
        return 0


# --- wrk ------------------------------------------------------------------------------


def wrk(
    url: str,
    script: str,
    *,
    connections: int,
    seconds: float,
    threads: int = 2,
    env: dict[str, str] | None = None,
    args: Sequence[str] = (),
) -> dict[str, Any]:
    """One wrk run; its summary (see lua/common.lua) plus requests/s."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{round(seconds)}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA_DIR / script),
        url,
    ]
    if args:
        command += ["--", *args]
    run_env = {**os.environ, **(env or {}), "BENCH_LUA_DIR": str(LUA_DIR)}
    run_env["BENCH_THREADS"] = str(threads)
    done = subprocess.run(command, env=run_env, capture_output=True, text=True, check=False)  # noqa: S603
    match = re.search(r"^BENCHJSON (.*)$", done.stdout, re.M)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed: {done.stdout}\n{done.stderr}")
    result: dict[str, Any] = json.loads(match.group(1))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def spread(values: Sequence[float]) -> dict[str, float]:
    """Median and range of several runs."""
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": len(values),
    }


# --- memory and CPU -------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            found += [int(child) for child in text.split()]
    except OSError:
        pass
    return found


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants, now."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += _rss_kib(current)
        todo += _children(current)
    return total


def run_measuring_tree(
    command: Sequence[str], *, env: dict[str, str], interval: float = 0.01, timeout: float = 600
) -> tuple[subprocess.CompletedProcess[str] | None, int]:
    """Run `command` and sample its process tree's resident memory every `interval`:
    returns the result (None if it ran past `timeout` and was killed) and the peak, KiB."""
    process = subprocess.Popen(  # noqa: S603
        list(command), env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, tree_rss_kib(process.pid))
            stop.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()  # Typst's child goes with its stdin closed
        process.communicate()
        stop.set()
        sampler.join()
        return None, peak
    stop.set()
    sampler.join()
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr), peak


def cpu_busy(seconds: float = 1.0) -> float:
    """How busy all CPUs were over `seconds`, in percent (other people's work included)."""

    def read() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = fields[3] + fields[4]
        return sum(fields), idle

    total0, idle0 = read()
    time.sleep(seconds)
    total1, idle1 = read()
    return 100.0 * (1 - (idle1 - idle0) / max(total1 - total0, 1))


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started
