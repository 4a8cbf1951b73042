"""The load phases of `make bench` (mixed into `Bench`, bench/run.py): the ceiling app
and the app itself under wrk, each figure repeated and its writes checked in the
database."""

from __future__ import annotations

import csv
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, text

from bench import facts
from bench.common import PYTHON, WORK, free_port, log
from bench.procs import Server, spread, wrk

if TYPE_CHECKING:
    from bench.run import Config

SLUG = "bench-statement"
# The pending signatures seeded for the confirm runs. The seed writes their address in
# clear as `email_key` (the column a signature's blind index goes in; the email itself is
# encrypted), so the pool is found without decrypting.
PENDING_POOL = "FROM signature WHERE status = 'pending' AND email_key LIKE 'pending-%'"
PENDING_COUNT = "SELECT count(*) " + PENDING_POOL
PENDING_IDS = "SELECT id " + PENDING_POOL


class LoadPhases:
    """`ceiling` and `load`; the environment (`config`, `env`, `python`, ...) is `Bench`'s."""

    config: Config
    results: dict[str, Any]

    if TYPE_CHECKING:

        def database_url(self, database: str, name: str) -> str: ...
        def env(self, database_url: str) -> dict[str, str]: ...
        def python(self, env: dict[str, str], *args: str) -> Any: ...

    def repeat(self, label: str, make: Any) -> dict[str, Any]:
        # Each run's own prefix for the emails it signs with: "sign-post-sqlite-c10-r0-…".
        token = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        runs = []
        for i in range(self.config.runs):
            run = make(f"{token}-r{i}")
            run["load_average"] = load_average()
            runs.append(run)
        summary = {
            "load_average": spread([r["load_average"] for r in runs]),
            "rps": spread([r["rps"] for r in runs]),
            "p50_ms": spread([r["latency_us"]["p50"] / 1000 for r in runs]),
            "p99_ms": spread([r["latency_us"]["p99"] / 1000 for r in runs]),
            "runs": runs,
        }
        log(
            f"  {label}: {summary['rps']['median']:.0f}/s "
            f"p50 {summary['p50_ms']['median']:.1f} ms p99 {summary['p99_ms']['median']:.1f} ms "
            f"(load average {summary['load_average']['median']:.1f})"
        )
        return summary

    def ceiling(self, database: str, *, with_get: bool) -> None:
        cfg = self.config
        url = self.database_url(database, "undersigned_bench_ceiling")
        env = self.env(url)
        self.python(env, "-m", "bench.seed", "recreate")
        self.python(env, "-m", "bench.ceiling_app", "init")
        port = free_port()
        server = Server(
            "ceiling",
            [PYTHON, "-m", "bench.ceiling_app", "serve", "--port", str(port),
             "--workers", str(cfg.workers)],
            env,
            port,
            WORK / f"ceiling-{database}.log",
            cfg.workers,
        )  # fmt: skip
        server.start("/page")
        engine = create_engine(url)
        try:
            result: dict[str, Any] = {}
            if with_get:
                wrk(server.url + "/page", "get.lua", connections=10, seconds=cfg.warmup)
                for c in (10, 50):
                    result[f"get_c{c}"] = self.repeat(
                        f"ceiling GET c{c}",
                        lambda _label, c=c: wrk(
                            server.url + "/page", "get.lua", connections=c, seconds=cfg.seconds
                        ),
                    )
                # For reference: the same page before FastAPI's routing.
                result["get_raw_c50"] = self.repeat(
                    "ceiling GET bare ASGI c50",
                    lambda _label: wrk(
                        server.url + "/raw", "get.lua", connections=50, seconds=cfg.seconds
                    ),
                )
            wrk(server.url, "insert.lua", connections=10, seconds=cfg.warmup, args=["warm"])
            for c in (10, 50):

                def insert_run(label: str, c: int = c) -> dict[str, Any]:
                    run = wrk(server.url, "insert.lua", connections=c, seconds=cfg.seconds,
                              args=[label])  # fmt: skip
                    time.sleep(0.5)  # requests in flight when wrk stopped
                    with engine.connect() as conn:
                        stored = conn.execute(
                            text("SELECT count(*) FROM bench_ceiling_row WHERE email LIKE :p"),
                            {"p": f"{label}-%"},
                        ).scalar_one()
                    run["check"] = check_writes(run, stored, c)
                    return run

                result[f"insert_c{c}"] = self.repeat(f"ceiling insert {database} c{c}", insert_run)
            result["worker_restarts"] = server.restarts()
        finally:
            server.stop()
            engine.dispose()
        self.results["ceiling"][database] = result

    def load(self, database: str) -> None:
        cfg = self.config
        url = self.database_url(database, "undersigned_bench")
        env = self.env(url)
        self.python(env, "-m", "bench.seed", "recreate")
        files = WORK / database
        seeded = self.python(
            env, "-m", "bench.seed", "load", "--slug", SLUG, "--approved", str(cfg.approved),
            "--pending", str(cfg.pending), "--pairs", "20000", "--out", str(files),
        )  # fmt: skip
        log(f"  seeded {database}: {seeded}")
        port = free_port()
        server = Server(
            "undersigned",
            [PYTHON, "-m", "app.cli", "serve", "--port", str(port), "--workers", str(cfg.workers)],
            env,
            port,
            WORK / f"server-{database}.log",
            cfg.workers,
        )
        startup = server.start(f"/s/{SLUG}")
        engine = create_engine(url)
        wrk_env = {
            "BENCH_CSRF": str(files / "csrf.tsv"),
            "BENCH_PATH": f"/s/{SLUG}/sign",
            "BENCH_COOKIE": "__Host-csrf",  # BASE_URL is https: the cookie is __Host- prefixed
            "BENCH_CONFIRM": str(files / "confirm-run.tsv"),
        }
        result: dict[str, Any] = {"seed": seeded, "startup_seconds": round(startup, 1)}
        try:
            page = server.url + f"/s/{SLUG}"
            wrk(page, "get.lua", connections=10, seconds=cfg.warmup)  # every worker's list cache
            if database == cfg.databases[0]:
                self.results["page_weight"] = facts.page_weight(server.url, SLUG)
            for c in (10, 50):
                result[f"public_c{c}"] = self.repeat(
                    f"public page {database} c{c}",
                    lambda _label, c=c: wrk(page, "get.lua", connections=c, seconds=cfg.seconds),
                )

            # Confirm first: a stalled sign run must not take the confirm figures with it.
            def confirm_run(label: str) -> dict[str, Any]:
                before = write_pending_links(engine, files)
                run = wrk(server.url, "confirm.lua", connections=10, seconds=cfg.seconds,
                          env=wrk_env)  # fmt: skip
                time.sleep(0.5)
                after = count_pending(engine)
                run["confirmations"] = before - after
                run["confirmations_per_s"] = run["confirmations"] / (run["duration_us"] / 1e6)
                run["pool_exhausted"] = after == 0
                return run

            confirm_run("warm")
            confirm = self.repeat(f"confirm POST {database} c10", confirm_run)
            confirm["confirmations_per_s"] = spread(
                [r["confirmations_per_s"] for r in confirm["runs"]]
            )
            result["confirm_c10"] = confirm
            wrk(server.url, "sign.lua", connections=10, seconds=cfg.warmup, env=wrk_env,
                args=["warm"])  # fmt: skip
            for c in (10, 50):

                def sign_run(label: str, c: int = c) -> dict[str, Any]:
                    # The run's rows are those after the highest id before it (their
                    # addresses are encrypted: no LIKE on them).
                    with engine.connect() as conn:
                        last = conn.execute(text("SELECT max(id) FROM signature")).scalar_one()
                    run = wrk(server.url, "sign.lua", connections=c, seconds=cfg.seconds,
                              env=wrk_env, args=[label])  # fmt: skip
                    time.sleep(0.5)
                    with engine.connect() as conn:
                        stored, flagged = conn.execute(
                            text(
                                "SELECT count(*), coalesce(sum(CASE WHEN flags <> '' THEN 1 "
                                "ELSE 0 END), 0) FROM signature WHERE id > :last"
                            ),
                            {"last": last or 0},
                        ).one()
                    run["check"] = check_writes(run, stored, c)
                    run["check"]["flagged"] = int(flagged)
                    return run

                result[f"sign_c{c}"] = self.repeat(f"sign POST {database} c{c}", sign_run)

            result["worker_restarts"] = server.restarts()
        finally:
            server.stop()
            engine.dispose()
        self.results["load"][database] = result


# --- helpers --------------------------------------------------------------------------


def load_average() -> float:
    """The machine's one-minute load average (everyone's work, ours included)."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def check_writes(run: dict[str, Any], stored: int, connections: int) -> dict[str, Any]:
    """Every accepted request (303) stored, nothing refused. wrk stops with up to one
    request per connection in flight; the server still finishes (and commits) those."""
    accepted = int(run["statuses"].get("303", 0))
    other = sum(int(n) for status, n in run["statuses"].items() if status != "303")
    in_flight = stored - accepted
    return {
        "accepted": accepted,
        "other_statuses": other,
        "socket_errors": sum(run["errors"].values()) - run["errors"]["status"],
        "stored": int(stored),
        "in_flight_at_stop": in_flight,
        "ok": accepted > 0 and other == 0 and 0 <= in_flight <= connections,
    }


def count_pending(engine: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(PENDING_COUNT)).scalar_one())


def write_pending_links(engine: Any, files: Path) -> int:
    """The confirm links of signatures still pending, for the next confirm run."""
    with engine.connect() as conn:
        pending = {str(row[0]) for row in conn.execute(text(PENDING_IDS))}
    with (files / "confirm.tsv").open() as source, (files / "confirm-run.tsv").open("w") as out:
        for row in csv.reader(source, delimiter="\t"):
            if row[3] in pending:
                out.write("\t".join(row) + "\n")
    return len(pending)
