"""A local SMTP server that accepts every message and only counts them (aiosmtpd, in a
process of its own so that it does not share the worker's interpreter).

    python -m bench.smtp_sink --port N --stats FILE

Every 50 ms it writes {"count", "first", "last"} (a monotonic clock's seconds) to FILE;
SIGUSR1 starts the count again.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class CountingHandler:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0
        self.first: float | None = None
        self.last: float | None = None

    def reset(self) -> None:
        with self.lock:
            self.count, self.first, self.last = 0, None, None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        now = time.monotonic()
        with self.lock:
            self.count += 1
            self.first = self.first or now
            self.last = now
        return "250 2.0.0 Accepted"

    def snapshot(self) -> dict[str, float | int | None]:
        with self.lock:
            return {"count": self.count, "first": self.first, "last": self.last}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.smtp_sink")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--stats", type=Path, required=True)
    args = parser.parse_args()
    handler = CountingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=args.port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGUSR1, lambda *_: handler.reset())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    tmp = args.stats.with_suffix(".tmp")
    while not stop.wait(0.05):
        tmp.write_text(json.dumps(handler.snapshot()))
        tmp.replace(args.stats)
    controller.stop()


if __name__ == "__main__":
    main()
