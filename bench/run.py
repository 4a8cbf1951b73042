"""`make bench`: every benchmark in one run, on PostgreSQL and on SQLite.

Writes bench/results/latest.json and docs/benchmarks.md. Settings (environment):

    BENCH_SECONDS=8  BENCH_RUNS=3        wrk duration and runs per figure
    BENCH_DATABASES=postgresql,sqlite    which databases to load
    BENCH_PG=postgresql+psycopg://postgres@127.0.0.1:5432/undersigned_bench
    BENCH_PHASES=ceiling,load,repeat,team,outbox,outreach,exports
                                         a subset (the tables show what ran)
    BENCH_QUICK=1                        one short run of each, small sizes (a smoke test)
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import make_url

from bench import facts, report
from bench.common import PYTHON, ROOT, WORK, free_port, log
from bench.load import LoadPhases, load_average
from bench.procs import cpu_busy
from bench.repeat import RepeatPhases
from bench.scaling import ScalingPhases
from bench.seed import drop_database

RESULTS = ROOT / "bench" / "results"
SECRET = "bench-secret-key-not-for-production-0123456789abcdef"  # noqa: S105 (throwaway)
# Signer data is encrypted at rest in production, so the figures include it (base64 of
# 32 throwaway bytes).
ENCRYPTION_KEY = "YmVuY2gtZW5jcnlwdGlvbi1rZXktbm90LXNlY3JldCE="


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
    export_sizes: tuple[int, ...] = (1_000, 10_000, 20_000, 50_000)  # within 15 minutes
    formats: tuple[str, ...] = ("pdf", "docx", "csv", "xlsx")
    team_sizes: tuple[int, ...] = (1_000, 10_000, 100_000)
    outbox: int = 2_000
    invitations: int = 5_000  # outreach: queued in one go, target < 5 s
    # An export whose one run is projected past this many seconds runs once; past
    # `skip_seconds` it is not run (and the table says so).
    phases: tuple[str, ...] = (
        "ceiling", "load", "repeat", "team", "outbox", "outreach", "exports"
    )  # fmt: skip
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
                invitations=500,
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


class Bench(LoadPhases, RepeatPhases, ScalingPhases):
    """One `make bench` run: its environment and the results; the phases themselves are
    in bench/load.py (ceiling, load), bench/repeat.py (first vs repeat signature timing)
    and bench/scaling.py (exports, team CSV, outbox)."""

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
            "load_before": {},
            "ceiling": {},
            "load": {},
            "page_weight": {},
            "exports": {},
            "team_csv": {},
            "outbox": {},
            "outreach": {},
            "repeat_timing": {},
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
            "ENCRYPTION_KEY": ENCRYPTION_KEY,
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
        self.results["load_before"][phase] = load_average()

    def outreach(self, database: str) -> None:
        """bench/outreach.py in a process of its own: invitations queued in one go."""
        url = self.database_url(database, "undersigned_bench_outreach")
        count = str(self.config.invitations)
        result = self.python(self.env(url), "-m", "bench.outreach", "--count", count)
        self.results["outreach"][database] = result
        log(
            f"  outreach {database}: {result['invitations']} invitations queued in "
            f"{result['seconds']:.2f} s ({result['cpu_seconds']:.2f} s CPU)"
        )

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
                if "repeat" in phases:
                    log(f"{database}: first and repeat signatures, one at a time")
                    self.note_busy(f"repeat {database}")
                    self.repeat_timing(database)
                if "team" in phases:
                    log(f"{database}: team CSV")
                    self.note_busy(f"team {database}")
                    self.team_csv(database)
                if "outbox" in phases:
                    log(f"{database}: outbox")
                    self.note_busy(f"outbox {database}")
                    self.outbox(database)
                if "outreach" in phases:
                    log(f"{database}: outreach invitations queued")
                    self.outreach(database)
            if "exports" in phases:
                log("exports")
                self.note_busy("exports")
                self.exports()
        finally:
            self.stop_smtp()
            for database in self.config.databases:
                if database == "postgresql":
                    for name in ("undersigned_bench", "undersigned_bench_ceiling",
                                 "undersigned_bench_outbox", "undersigned_bench_docs",
                                 "undersigned_bench_outreach",
                                 "undersigned_bench_repeat"):  # fmt: skip
                        drop_pg(self.database_url(database, name))
        self.results["wall_seconds"] = round(time.monotonic() - self.started, 1)
        self.results["load_average_after"] = Path("/proc/loadavg").read_text().split()[:3]
        self.results["targets"] = report.targets(self.results)
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "latest.json").write_text(json.dumps(self.results, indent=2) + "\n")
        (ROOT / "docs" / "benchmarks.md").write_text(report.markdown(self.results))
        log(f"done in {self.results['wall_seconds']:.0f} s: docs/benchmarks.md")


# --- helpers --------------------------------------------------------------------------


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
