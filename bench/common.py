"""What bench/run.py and its phases (bench/load.py, bench/scaling.py) share: where they
work, the Python they start, and how they log."""

from __future__ import annotations

import socket
import sys
import time

from bench.procs import ROOT

__all__ = ["PYTHON", "ROOT", "WORK", "free_port", "log"]

WORK = ROOT / "bench" / ".work"
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)
