"""`make bench`: every benchmark in one run, on PostgreSQL and on SQLite.

Writes bench/results/latest.json and docs/benchmarks.md. Settings (environment):

    BENCH_SECONDS=8  BENCH_RUNS=3        wrk duration and runs per figure
    BENCH_DATABASES=postgresql,sqlite    which databases to load
    BENCH_PG=postgresql+psycopg://postgres@127.0.0.1:5432/undersigned_bench
    BENCH_PHASES=ceiling,load,team,outbox,exports   a subset (the tables show what ran)
    BENCH_QUICK=1                        one short run of each, small sizes (a smoke test)
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, make_url, text

from bench import facts, report
from bench.procs import ROOT, Server, cpu_busy, run_measuring_tree, spread, wrk
from bench.seed import drop_database

WORK = ROOT / "bench" / ".work"
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
SECRET = "bench-secret-key-not-for-production-0123456789abcdef"  # noqa: S105 (throwaway)
SLUG = "bench-statement"
# The pending signatures seeded for the confirm runs.
PENDING_POOL = "FROM signature WHERE status = 'pending' AND email LIKE 'pending-%'"
PENDING_COUNT = "SELECT count(*) " + PENDING_POOL
PENDING_IDS = "SELECT id " + PENDING_POOL


@dataclass(frozen=True)
class Config:
    seconds: float = 6.0
    warmup: float = 2.0
    runs: int = 3
    threads: int = 2
    workers: int = 2
    databases: tuple[str, ...] = ("postgresql", "sqlite")
    pg: str = "postgresql+psycopg://postgres@127.0.0.1:5432/undersigned_bench"
    approved: int = 10_000
    pending: int = 20_000  # confirm links available
    export_sizes: tuple[int, ...] = (100, 1_000, 10_000, 20_000, 50_000)
    formats: tuple[str, ...] = ("pdf", "docx", "csv", "xlsx")
    team_sizes: tuple[int, ...] = (1_000, 10_000, 100_000)
    outbox: int = 2_000
    # An export whose one run is projected past this many seconds runs once; past
    # `skip_seconds` it is not run (and the table says so).
    phases: tuple[str, ...] = ("ceiling", "load", "team", "outbox", "exports")
    once_seconds: float = 15.0
    skip_seconds: float = 60.0

    @classmethod
    def from_env(cls) -> Config:
        quick = os.environ.get("BENCH_QUICK") == "1"
        base = (
            cls(
                seconds=2.0,
                warmup=1.0,
                runs=1,
                approved=1_000,
                pending=3_000,
                export_sizes=(100, 1_000),
                team_sizes=(1_000,),
                outbox=200,
            )
            if quick
            else cls()
        )
        return cls(
            **{
                **asdict(base),
                "seconds": float(os.environ.get("BENCH_SECONDS", base.seconds)),
                "runs": int(os.environ.get("BENCH_RUNS", base.runs)),
                "databases": tuple(
                    os.environ.get("BENCH_DATABASES", ",".join(base.databases)).split(",")
                ),
                "pg": os.environ.get("BENCH_PG", base.pg),
                "phases": tuple(os.environ.get("BENCH_PHASES", ",".join(base.phases)).split(",")),
            }
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Bench:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.started = time.monotonic()
        self.smtp_port = free_port()
        self.smtp_stats = WORK / "smtp.json"
        self.smtp: subprocess.Popen[bytes] | None = None
        self.results: dict[str, Any] = {
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "config": asdict(config),
            "machine": facts.machine(),
            "versions": facts.versions(config.pg),
            "busy_before": {},
            "ceiling": {},
            "load": {},
            "page_weight": {},
            "exports": {},
            "team_csv": {},
            "outbox": {},
        }

    # --- environment ------------------------------------------------------------------

    def database_url(self, database: str, name: str) -> str:
        if database == "sqlite":
            return f"sqlite:///{WORK / f'{name}.db'}"
        return make_url(self.config.pg).set(database=name).render_as_string(hide_password=False)

    def env(self, database_url: str) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "SMTP_"))}
        return {
            **keep,
            "APP_ENV": "production",
            "SECRET_KEY": SECRET,
            "BASE_URL": "https://bench.invalid",
            "DATA_DIR": str(WORK / "data"),
            "DATABASE_URL": database_url,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.smtp_port),
            "SMTP_TIMEOUT": "30",
            # Behind the production proxy: the client address comes from X-Forwarded-For,
            # so each simulated signer has an address of its own (as real signers do).
            "TRUSTED_PROXY_HOPS": "1",
            "PYTHONUNBUFFERED": "1",
        }

    def python(self, env: dict[str, str], *args: str) -> Any:
        done = subprocess.run(  # noqa: S603
            [PYTHON, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr[-4000:]}")
        lines = done.stdout.strip().splitlines()
        return json.loads(lines[-1]) if lines and lines[-1].startswith("{") else None

    def start_smtp(self) -> None:
        self.smtp = subprocess.Popen(  # noqa: S603
            [PYTHON, "-m", "bench.smtp_sink", "--port", str(self.smtp_port), "--stats",
             str(self.smtp_stats)],
            cwd=ROOT,
            start_new_session=True,
        )  # fmt: skip
        for _ in range(100):
            if self.smtp_stats.exists():
                return
            time.sleep(0.1)
        raise RuntimeError("the SMTP sink did not start")

    def stop_smtp(self) -> None:
        if self.smtp is not None and self.smtp.poll() is None:
            self.smtp.send_signal(signal.SIGTERM)
            self.smtp.wait(timeout=10)

    def note_busy(self, phase: str) -> None:
        self.results["busy_before"][phase] = round(cpu_busy(1.0), 1)

    # --- load -------------------------------------------------------------------------

    def repeat(self, label: str, make: Any) -> dict[str, Any]:
        # Each run's own prefix for the emails it signs with: "sign-post-sqlite-c10-r0-…".
        token = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        runs = [make(f"{token}-r{i}") for i in range(self.config.runs)]
        summary = {
            "rps": spread([r["rps"] for r in runs]),
            "p50_ms": spread([r["latency_us"]["p50"] / 1000 for r in runs]),
            "p99_ms": spread([r["latency_us"]["p99"] / 1000 for r in runs]),
            "runs": runs,
        }
        log(
            f"  {label}: {summary['rps']['median']:.0f}/s "
            f"p50 {summary['p50_ms']['median']:.1f} ms p99 {summary['p99_ms']['median']:.1f} ms"
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
                    run = wrk(server.url, "sign.lua", connections=c, seconds=cfg.seconds,
                              env=wrk_env, args=[label])  # fmt: skip
                    time.sleep(0.5)
                    with engine.connect() as conn:
                        stored, flagged = conn.execute(
                            text(
                                "SELECT count(*), coalesce(sum(CASE WHEN flags <> '' THEN 1 "
                                "ELSE 0 END), 0) FROM signature WHERE email LIKE :p"
                            ),
                            {"p": f"{label}-%"},
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

    # --- scaling ----------------------------------------------------------------------

    def exports(self) -> None:
        cfg = self.config
        env = self.env(self.database_url("sqlite", "unused"))
        models: dict[int, tuple[Path, float]] = {}
        for size in cfg.export_sizes:
            path = WORK / f"model-{size}.pickle"
            built = self.python(env, "-m", "bench.exports", "model", "--size", str(size),
                                "--out", str(path))  # fmt: skip
            models[size] = (path, built["model_seconds"])
        for fmt in cfg.formats:
            rows: dict[str, Any] = {}
            measured_so_far: list[tuple[int, float]] = []
            for size in cfg.export_sizes:
                projected = project(measured_so_far, size)
                if projected > cfg.skip_seconds:
                    rows[str(size)] = {"skipped": True, "projected_seconds": round(projected, 1)}
                    log(f"  {fmt} {size}: skipped (projected {projected:.0f} s)")
                    continue
                runs = 1 if projected > cfg.once_seconds else cfg.runs
                path, model_seconds = models[size]
                measured = []
                for _ in range(runs):
                    once = self.export_once(
                        env, ["public", "--format", fmt, "--model", str(path)],
                        timeout=2 * cfg.skip_seconds,
                    )  # fmt: skip
                    if once is None:
                        break
                    measured.append(once)
                if not measured:
                    rows[str(size)] = {"timed_out": True, "limit_seconds": 2 * cfg.skip_seconds}
                    log(f"  {fmt} {size}: stopped after {2 * cfg.skip_seconds:.0f} s")
                    measured_so_far.append((size, 2 * cfg.skip_seconds))
                    continue
                rows[str(size)] = {**summarise_exports(measured), "model_seconds": model_seconds}
                seconds = rows[str(size)]["seconds"]["median"]
                measured_so_far.append((size, seconds))
                log(
                    f"  {fmt} {size}: {seconds:.2f} s, "
                    f"{rows[str(size)]['peak_mib']['median']:.0f} MiB"
                )
            self.results["exports"][fmt] = rows

    def export_once(
        self, env: dict[str, str], args: list[str], timeout: float = 600
    ) -> dict[str, Any] | None:
        done, peak = run_measuring_tree(
            [PYTHON, "-m", "bench.exports", *args], env=env, timeout=timeout
        )
        if done is None:
            return None
        if done.returncode != 0:
            raise RuntimeError(f"export {args} failed:\n{done.stderr[-3000:]}")
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        result["tree_peak_kib"] = peak
        return result

    def team_csv(self, database: str) -> None:
        cfg = self.config
        url = self.database_url(database, "undersigned_bench")
        env = self.env(url)
        if "load" not in cfg.phases:
            self.python(env, "-m", "bench.seed", "recreate")
        seeded = self.python(
            env, "-m", "bench.seed", "team", "--sizes", ",".join(map(str, cfg.team_sizes))
        )
        rows = {}
        for size, slug in seeded["statements"].items():
            measured = [self.export_once(env, ["team", "--slug", slug]) for _ in range(cfg.runs)]
            assert all(measured), "a team export ran past its time limit"
            rows[size] = summarise_exports(measured)
            log(
                f"  team csv {database} {size}: {rows[size]['seconds']['median']:.2f} s, "
                f"{rows[size]['peak_mib']['median']:.0f} MiB"
            )
        self.results["team_csv"][database] = rows

    def outbox(self, database: str) -> None:
        cfg = self.config
        url = self.database_url(database, "undersigned_bench_outbox")
        env = {**self.env(url), "OUTBOX_BATCH_SIZE": "50"}
        self.python(env, "-m", "bench.seed", "recreate")
        self.python(env, "-m", "bench.seed", "outbox", "--count", str(cfg.outbox))
        engine = create_engine(url)
        runs = []
        try:
            for _ in range(cfg.runs):
                with engine.begin() as conn:
                    conn.execute(
                        text(
                            "UPDATE outbox_message SET status = 'ready', attempts = 0, "
                            "claimed_by = '', claimed_at = NULL, sent_at = NULL"
                        )
                    )
                assert self.smtp is not None
                self.smtp.send_signal(signal.SIGUSR1)
                time.sleep(0.3)
                started = time.monotonic()
                done = subprocess.run(  # noqa: S603
                    [PYTHON, "-m", "app.cli", "worker", "--once"],
                    env=env, cwd=ROOT, capture_output=True, text=True, check=False,
                )  # fmt: skip
                wall = time.monotonic() - started
                if done.returncode != 0:
                    raise RuntimeError(f"worker failed:\n{done.stderr[-3000:]}")
                time.sleep(0.2)
                stats = json.loads(self.smtp_stats.read_text())
                with engine.connect() as conn:
                    sent = conn.execute(
                        text("SELECT count(*) FROM outbox_message WHERE status = 'sent'")
                    ).scalar_one()
                span = (stats["last"] or 0) - (stats["first"] or 0)
                runs.append(
                    {
                        "received": stats["count"],
                        "sent": int(sent),
                        "wall_seconds": wall,
                        "per_s_wall": stats["count"] / wall,
                        "per_s_steady": (stats["count"] - 1) / span if span > 0 else 0.0,
                    }
                )
        finally:
            engine.dispose()
        result = {
            "messages": cfg.outbox,
            "per_s_wall": spread([r["per_s_wall"] for r in runs]),
            "per_s_steady": spread([r["per_s_steady"] for r in runs]),
            "all_delivered": all(r["received"] == cfg.outbox == r["sent"] for r in runs),
            "runs": runs,
        }
        log(
            f"  outbox {database}: {result['per_s_wall']['median']:.0f}/s "
            f"(steady {result['per_s_steady']['median']:.0f}/s)"
        )
        self.results["outbox"][database] = result

    # --- all --------------------------------------------------------------------------

    def run(self) -> None:
        shutil.rmtree(WORK, ignore_errors=True)
        (WORK / "data").mkdir(parents=True)
        self.start_smtp()
        try:
            phases = self.config.phases
            for index, database in enumerate(self.config.databases):
                if "ceiling" in phases:
                    log(f"{database}: ceiling")
                    self.note_busy(f"ceiling {database}")
                    self.ceiling(database, with_get=index == 0)
                if "load" in phases:
                    log(f"{database}: the app under load")
                    self.note_busy(f"load {database}")
                    self.load(database)
                if "team" in phases:
                    log(f"{database}: team CSV")
                    self.team_csv(database)
                if "outbox" in phases:
                    log(f"{database}: outbox")
                    self.outbox(database)
            if "exports" in phases:
                log("exports")
                self.note_busy("exports")
                self.exports()
        finally:
            self.stop_smtp()
            for database in self.config.databases:
                if database == "postgresql":
                    for name in ("undersigned_bench", "undersigned_bench_ceiling",
                                 "undersigned_bench_outbox"):  # fmt: skip
                        drop_pg(self.database_url(database, name))
        self.results["wall_seconds"] = round(time.monotonic() - self.started, 1)
        self.results["load_average_after"] = Path("/proc/loadavg").read_text().split()[:3]
        self.results["targets"] = report.targets(self.results)
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "latest.json").write_text(json.dumps(self.results, indent=2) + "\n")
        (ROOT / "docs" / "benchmarks.md").write_text(report.markdown(self.results))
        log(f"done in {self.results['wall_seconds']:.0f} s: docs/benchmarks.md")


# --- helpers --------------------------------------------------------------------------


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


def project(measured: list[tuple[int, float]], size: int) -> float:
    """Seconds an export of `size` should take, from the two largest measured so far: a
    power law through them (DOCX grows faster than linearly), at least linear."""
    if not measured:
        return 0.0
    (s1, t1), (s2, t2) = measured[-2] if len(measured) > 1 else measured[-1], measured[-1]
    exponent = 1.0
    if s2 > s1 and t1 > 0.05 and t2 > t1:
        exponent = max(1.0, math.log(t2 / t1) / math.log(s2 / s1))
    return t2 * (size / s2) ** exponent


def summarise_exports(measured: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "seconds": spread([m["seconds"] for m in measured]),
        "peak_mib": spread([m["tree_peak_kib"] / 1024 for m in measured]),
        "before_mib": spread([m["rss_before_kib"] / 1024 for m in measured]),
        "bytes": measured[0]["bytes"],
        "runs": measured,
    }


def drop_pg(url: str) -> None:
    try:
        drop_database(url)
    except Exception as exc:  # cleaning up: report and go on
        log(f"could not drop {make_url(url).database}: {exc}")


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: `make bench` installs it (apt-get install wrk)")
    config = Config.from_env()
    if (
        "postgresql" in config.databases
        and facts.versions(config.pg)["postgresql"] == "unreachable"
    ):
        sys.exit(
            f"PostgreSQL is not reachable at {make_url(config.pg).render_as_string()}: start "
            "it, point BENCH_PG at one, or run only SQLite with BENCH_DATABASES=sqlite"
        )
    Bench(config).run()


if __name__ == "__main__":
    main()
