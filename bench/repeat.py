"""The `repeat` phase of `make bench` (mixed into `Bench`, bench/run.py): does a repeat
signature answer in the same time as a first one? Response time must not tell whether an
address has signed (issue 12, item 6).

Requests go one at a time (no concurrency to blur the figure), alternating first and
repeat, and which of the two goes first swaps every pair, so a drift in the machine's
load touches both the same. The repeat address signed once before the run and stays
pending: the case that used to do the most extra work in the request.
"""

from __future__ import annotations

import statistics
import time
from typing import TYPE_CHECKING, Any

import httpx

from bench.common import PYTHON, WORK, free_port, log
from bench.procs import Server

if TYPE_CHECKING:
    from bench.run import Config

SLUG = "bench-repeat"
PAIRS = 300  # alternating first/repeat pairs measured (the target asks for ≥ 200)
WARMUP = 40
TARGET_MS = 0.3


class RepeatPhases:
    config: Config
    results: dict[str, Any]

    if TYPE_CHECKING:

        def database_url(self, database: str, name: str) -> str: ...
        def env(self, database_url: str) -> dict[str, str]: ...
        def python(self, env: dict[str, str], *args: str) -> Any: ...

    def repeat_timing(self, database: str) -> None:
        url = self.database_url(database, "undersigned_bench_repeat")
        env = self.env(url)
        self.python(env, "-m", "bench.seed", "recreate")
        files = WORK / f"repeat-{database}"
        pairs = PAIRS
        self.python(
            env, "-m", "bench.seed", "load", "--slug", SLUG, "--approved", "1000",
            "--pending", "10", "--pairs", str(2 * (pairs + WARMUP) + 1), "--out", str(files),
        )  # fmt: skip
        port = free_port()
        server = Server(
            "undersigned",
            [PYTHON, "-m", "app.cli", "serve", "--port", str(port), "--workers", "1"],
            env,
            port,
            WORK / f"repeat-{database}.log",
            1,
        )
        server.start(f"/s/{SLUG}")
        csrf = [line.split("\t") for line in (files / "csrf.tsv").read_text().splitlines()]
        try:
            with httpx.Client(base_url=server.url, timeout=30) as client:
                n = 0

                def sign(email: str) -> float:
                    nonlocal n
                    raw, token, form_token = csrf[n]
                    n += 1
                    data = {
                        "kind": "individual", "name": "Kim Jeong-sam", "country": "KR",
                        "email": email, "listing": "named", "consent_privacy": "true",
                        "homepage": "", "form_token": form_token, "csrf_token": token,
                    }  # fmt: skip
                    headers = {
                        "Cookie": f"__Host-csrf={raw}",
                        "X-Forwarded-For": f"10.9.{n // 250 % 250}.{n % 250 + 1}",
                    }
                    started = time.perf_counter()
                    response = client.post(f"/s/{SLUG}/sign", data=data, headers=headers)
                    elapsed = time.perf_counter() - started
                    if response.status_code != 303:
                        raise RuntimeError(f"sign answered {response.status_code}")
                    return elapsed * 1000

                repeat = "repeat@example.org"
                sign(repeat)  # the address has signed (pending) before the run
                first_ms: list[float] = []
                repeat_ms: list[float] = []
                for i in range(WARMUP + pairs):
                    order = [(f"first-{i}@example.org", first_ms), (repeat, repeat_ms)]
                    for email, times in order if i % 2 == 0 else reversed(order):
                        ms = sign(email)
                        if i >= WARMUP:
                            times.append(ms)
        finally:
            server.stop()
        first, again = statistics.median(first_ms), statistics.median(repeat_ms)
        result = {
            "pairs": pairs,
            "first_p50_ms": round(first, 3),
            "repeat_p50_ms": round(again, 3),
            "difference_ms": round(again - first, 3),
        }
        log(
            f"  first {first:.2f} ms, repeat {again:.2f} ms: difference {again - first:+.3f} ms "
            f"over {pairs} pairs"
        )
        self.results.setdefault("repeat_timing", {})[database] = result
