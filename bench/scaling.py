"""The scaling phases of `make bench` (mixed into `Bench`, bench/run.py): public exports
by size and format, the team CSV, and the outbox worker draining a seeded batch."""

from __future__ import annotations

import json
import math
import signal
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, text

from bench.common import PYTHON, ROOT, log
from bench.procs import run_measuring_tree, spread

if TYPE_CHECKING:
    from bench.run import Config


class ScalingPhases:
    """`exports`, `team_csv` and `outbox`; the environment (`config`, `env`, `python`, the
    SMTP sink, ...) is `Bench`'s."""

    config: Config
    results: dict[str, Any]
    smtp: subprocess.Popen[bytes] | None
    smtp_stats: Path

    if TYPE_CHECKING:

        def database_url(self, database: str, name: str) -> str: ...
        def env(self, database_url: str) -> dict[str, str]: ...
        def python(self, env: dict[str, str], *args: str) -> Any: ...

    def exports(self) -> None:
        """What a lead waits for, per database: the list built from the database by the
        app's code, then rendered (`bench.exports document`); the final PDF also signed.
        Every format and size on the first database; on the others, the PDFs at the sizes
        the targets name (the phase stays within the bench's 15 minutes)."""
        cfg = self.config
        for index, database in enumerate(cfg.databases):
            url = self.database_url(database, "undersigned_bench_docs")
            env = self.env(url)
            self.python(env, "-m", "bench.seed", "recreate")
            seeded = self.python(env, "-m", "bench.seed", "documents", "--sizes",
                                 ",".join(map(str, cfg.export_sizes)))  # fmt: skip
            log(f"  {database}: documents seeded in {seeded['seconds']:.0f} s")
            formats = [*cfg.formats, "pdf-final"] if index == 0 else ["pdf", "pdf-final"]
            sizes = cfg.export_sizes
            if index > 0:
                sizes = tuple(size for size in sizes if size >= 20_000) or sizes
            self.results["exports"][database] = {
                fmt: self.export_sizes(env, database, fmt, seeded["statements"], sizes)
                for fmt in formats
            }

    def export_sizes(
        self,
        env: dict[str, str],
        database: str,
        fmt: str,
        slugs: dict[str, str],
        sizes: tuple[int, ...],
    ) -> dict[str, Any]:
        cfg = self.config
        args = ["--format", "pdf", "--final"] if fmt == "pdf-final" else ["--format", fmt]
        rows: dict[str, Any] = {}
        measured_so_far: list[tuple[int, float]] = []
        for size in sizes:
            projected = project(measured_so_far, size)
            if projected > cfg.skip_seconds:
                rows[str(size)] = {"skipped": True, "projected_seconds": round(projected, 1)}
                log(f"  {database} {fmt} {size}: skipped (projected {projected:.0f} s)")
                continue
            runs = 1 if projected > cfg.once_seconds else cfg.runs
            measured = []
            for _ in range(runs):
                once = self.export_once(
                    env, ["document", "--slug", slugs[str(size)], *args],
                    timeout=2 * cfg.skip_seconds,
                )  # fmt: skip
                if once is None:
                    break
                measured.append(once)
            if not measured:
                rows[str(size)] = {"timed_out": True, "limit_seconds": 2 * cfg.skip_seconds}
                log(f"  {database} {fmt} {size}: stopped after {2 * cfg.skip_seconds:.0f} s")
                measured_so_far.append((size, 2 * cfg.skip_seconds))
                continue
            row = summarise_exports(measured)
            for step in ("build_seconds", "render_seconds", "sign_seconds", "build_cpu_seconds",
                         "render_cpu_seconds", "sign_cpu_seconds"):  # fmt: skip
                row[step] = spread([m[step] for m in measured])
            row["cpu_seconds"] = spread(
                [m["cpu_self_seconds"] + m["cpu_children_seconds"] for m in measured]
            )
            rows[str(size)] = row
            seconds = row["seconds"]["median"]
            measured_so_far.append((size, seconds))
            log(
                f"  {database} {fmt} {size}: {seconds:.2f} s (build "
                f"{row['build_seconds']['median']:.2f}, render "
                f"{row['render_seconds']['median']:.2f}, sign "
                f"{row['sign_seconds']['median']:.2f}), {row['peak_mib']['median']:.0f} MiB"
            )
        return rows

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


# --- helpers --------------------------------------------------------------------------


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
