"""The targets the figures are held against, and docs/benchmarks.md from latest.json.

python -m bench.report    re-renders docs/benchmarks.md from bench/results/latest.json
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
NOTES = ROOT / "bench" / "NOTES.md"
FLAT_MIB = 32  # "flat memory": 100x the rows may cost at most this much more memory

DB_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}


def _get(data: dict[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _ceiling_get(results: dict[str, Any], c: int, key: str = "get_c") -> float | None:
    for ceiling in results["ceiling"].values():
        rate = _get(ceiling, f"{key}{c}", "rps", "median")
        if rate:
            return float(rate)
    return None


def _ceiling_insert(results: dict[str, Any], database: str, c: int) -> float | None:
    rate = _get(results["ceiling"], database, f"insert_c{c}", "rps", "median")
    return float(rate) if rate else None


def _ceiling_p99(results: dict[str, Any], key: str, database: str | None = None) -> float | None:
    for name, ceiling in results["ceiling"].items():
        if database in (None, name):
            p99 = _get(ceiling, key, "p99_ms", "median")
            if p99:
                return float(p99)
    return None


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with the figure it is held against and whether it is met."""
    found: list[dict[str, Any]] = []

    def add(name: str, figure: str, met: bool | None) -> None:
        found.append({"target": name, "figure": figure, "met": met})

    for database, load in results["load"].items():
        db = DB_NAMES.get(database, database)
        rate = _get(load, "public_c50", "rps", "median")
        p99 = _get(load, "public_c50", "p99_ms", "median")
        ceiling = _ceiling_get(results, 50)
        ceiling_p99 = _ceiling_p99(results, "get_c50")
        if rate is not None and ceiling and ceiling_p99:
            ratio = rate / ceiling
            raw = _ceiling_get(results, 50, "get_raw_c")
            beside = f"; {rate / raw:.0%} of the bare-ASGI page ({raw:,.0f}/s)" if raw else ""
            add(
                f"Public page ({db}), c50: ≥ 80 % of the ceiling's GET rate, p99 ≤ 2× the "
                "ceiling's",
                f"{ratio:.1%} ({rate:,.0f} of {ceiling:,.0f}/s), p99 {p99:.1f} ms "
                f"(ceiling {ceiling_p99:.1f} ms){beside}",
                ratio >= 0.80 and p99 <= 2 * ceiling_p99,
            )
        if database == "postgresql":
            rate = _get(load, "sign_c50", "rps", "median")
            p99 = _get(load, "sign_c50", "p99_ms", "median")
            ceiling = _ceiling_insert(results, database, 50)
            ceiling_p99 = _ceiling_p99(results, "insert_c50", database)
            if rate is not None and ceiling and ceiling_p99:
                ratio = rate / ceiling
                add(
                    "Sign POST (PostgreSQL), c50: ≥ 40 % of the ceiling's insert rate, "
                    "p99 ≤ 2× the ceiling's",
                    f"{ratio:.1%} ({rate:,.0f} of {ceiling:,.0f}/s), p99 {p99:.1f} ms "
                    f"(ceiling {ceiling_p99:.1f} ms)",
                    ratio >= 0.40 and p99 <= 2 * ceiling_p99,
                )
            rate = _get(load, "confirm_c10", "confirmations_per_s", "median")
            ceiling = _ceiling_insert(results, database, 10)
            if rate is not None and ceiling:
                add(
                    "Confirm POST (PostgreSQL), c10: ≥ 40 % of the ceiling's insert rate",
                    f"{rate / ceiling:.1%} ({rate:,.0f} of {ceiling:,.0f}/s)",
                    rate / ceiling >= 0.40,
                )
    for database, formats in results["exports"].items():
        db = DB_NAMES.get(database, database)
        for size, limit in ((20_000, 2.0), (50_000, 5.0)):
            final = _get(formats, "pdf-final", str(size))
            if final and "seconds" in final:
                steps = [final[f"{step}_seconds"]["median"] for step in ("build", "render", "sign")]
                add(
                    f"Final PDF of {size:,} signatories ({db}), end to end (list build from "
                    f"the database + render + signing): ≤ {limit:g} s",
                    f"{steps[0]:.2f} + {steps[1]:.2f} + {steps[2]:.2f} = "
                    f"{final['seconds']['median']:.2f} s "
                    f"({final['cpu_seconds']['median']:.2f} s CPU)",
                    final["seconds"]["median"] <= limit,
                )
        for fmt in ("pdf", "docx", "csv", "xlsx"):
            big = _get(formats, fmt, "50000")
            if big and "peak_mib" in big:
                mib = big["peak_mib"]["median"]
                add(
                    f"{fmt.upper()} of 50,000 signatories ({db}), end to end: peak memory "
                    "≤ 250 MB",
                    f"{mib:.0f} MiB",
                    mib * 1.048576 <= 250,
                )
    for database, team in results["team_csv"].items():
        big, small = team.get("100000"), team.get("1000")
        if big:
            seconds = big["seconds"]["median"]
            growth = big["peak_mib"]["median"] - small["peak_mib"]["median"] if small else 0.0
            add(
                f"Team CSV of 100,000 ({DB_NAMES.get(database, database)}): ≤ 1 s, flat memory "
                f"(≤ {FLAT_MIB} MiB more than for 1,000)",
                f"{seconds:.2f} s, +{growth:.0f} MiB",
                seconds <= 1 and growth <= FLAT_MIB,
            )
    for database, outbox in results["outbox"].items():
        rate = outbox["per_s_steady"]["median"]
        add(
            f"Outbox ({DB_NAMES.get(database, database)}): ≥ 250 emails/s",
            f"{rate:,.0f}/s while draining ({outbox['per_s_wall']['median']:,.0f}/s "
            "counting the worker's start)",
            rate >= 250 and outbox["all_delivered"],
        )
    for database, queued in (results.get("outreach") or {}).items():
        add(
            f"Outreach ({DB_NAMES.get(database, database)}): "
            f"{queued['invitations']:,} invitations queued < 5 s",
            f"{queued['seconds']:.2f} s ({queued['cpu_seconds']:.2f} s CPU), "
            "sent at the outbox's rate",
            queued["met"],
        )
    for database, timing in (results.get("repeat_timing") or {}).items():
        difference = timing["difference_ms"]
        add(
            f"Repeat signature ({DB_NAMES.get(database, database)}): median within "
            "0.3 ms of a first one",
            f"{difference:+.3f} ms ({timing['repeat_p50_ms']:.2f} vs "
            f"{timing['first_p50_ms']:.2f} ms, {timing['pairs']} pairs)",
            abs(difference) < 0.3,
        )
    weight = results.get("page_weight") or {}
    for name in ("public statement page", "sign form"):
        if name in weight:
            total = weight[name]["total_bytes"]
            add(f"Page weight, {name}: < 100 KB", f"{total / 1024:.1f} KiB", total <= 100 * 1024)
    return found


# --- Markdown ---------------------------------------------------------------------------


def _spread(s: dict[str, float] | None, fmt: str = "{:,.0f}") -> str:
    if not s:
        return "–"
    if s.get("runs", 1) == 1:
        return fmt.format(s["median"]) + " (1 run)"
    return f"{fmt.format(s['median'])} ({fmt.format(s['min'])}–{fmt.format(s['max'])})"


def _ratio(value: float | None, ceiling: float | None) -> str:
    return f"{value / ceiling:.1%}" if value and ceiling else "–"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def confirm_check(run: dict[str, Any]) -> str:
    if run["pool_exhausted"]:
        return "❌ ran out of pending signatures"
    refused = sum(n for status, n in run["statuses"].items() if status != "200")
    return "✅" if run["confirmations"] > 0 and refused == 0 else "❌"


def _load(summary: dict[str, Any]) -> str:
    """The one-minute load average after the figure's runs (older results have none)."""
    return _spread(summary["load_average"], "{:.1f}") if "load_average" in summary else "–"


def markdown(results: dict[str, Any]) -> str:
    m, v, cfg = results["machine"], results["versions"], results["config"]
    out = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`bench/run.py`); do not edit by hand — the notes at the",
        "end come from `bench/NOTES.md`. Raw figures: `bench/results/latest.json`.",
        "",
        f"- Run: {results['generated_at']}, {results['wall_seconds'] / 60:.1f} minutes in all.",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}, "
        f"Linux {m['kernel']}. Load average before: {' '.join(m['load_average_before'])}; "
        f"after: {' '.join(results.get('load_average_after', []))}.",
        "- Just before each phase, CPU already busy (other processes) and the one-minute "
        "load average: "
        + ", ".join(
            f"{k} {val:.0f} % (load {results.get('load_before', {}).get(k, '?')})"
            for k, val in results["busy_before"].items()
        )
        + ". Each load figure below has the load average after its runs beside it: on 2 "
        "cores, anything above 2 means the figure was measured on a busy machine.",
        "- Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".",
        f"- Each load figure: the median of {cfg['runs']} wrk runs of {cfg['seconds']:g} s "
        f"(after a {cfg['warmup']:g} s warm-up), with the range of the runs in brackets; wrk "
        f"uses {cfg['threads']} threads from a separate process on 127.0.0.1. Servers: "
        f"uvicorn with {cfg['workers']} workers (`undersigned serve --workers "
        f"{cfg['workers']}`, APP_ENV=production, access log on), the same settings for the "
        "ceiling app (`bench/ceiling_app.py`).",
        "",
        "## Targets",
        "",
    ]
    out += _table(
        ["target", "figure", "met"],
        [
            [t["target"], t["figure"], "✅ met" if t["met"] else "❌ missed"]
            for t in results.get("targets", [])
        ],
    )
    out += ["## Load", ""]
    rows = []
    get10, get50 = _ceiling_get(results, 10), _ceiling_get(results, 50)
    for c in (10, 50):
        for ceil in results["ceiling"].values():
            if f"get_c{c}" in ceil:
                s = ceil[f"get_c{c}"]
                rows.append(["Ceiling: GET 15 KB page", "–", str(c), _spread(s["rps"]),
                             _spread(s["p50_ms"], "{:.1f}"), _spread(s["p99_ms"], "{:.1f}"),
                             "100 %", _load(s)])  # fmt: skip
            if c == 50 and "get_raw_c50" in ceil:
                s = ceil["get_raw_c50"]
                rows.append(["Reference: the same page, bare ASGI before routing", "–", "50",
                             _spread(s["rps"]), _spread(s["p50_ms"], "{:.1f}"),
                             _spread(s["p99_ms"], "{:.1f}"), "–", _load(s)])  # fmt: skip
    for database, ceil in results["ceiling"].items():
        for c in (10, 50):
            s = ceil.get(f"insert_c{c}")
            if s:
                rows.append(["Ceiling: POST insert one row", DB_NAMES[database], str(c),
                             _spread(s["rps"]), _spread(s["p50_ms"], "{:.1f}"),
                             _spread(s["p99_ms"], "{:.1f}"), "100 %", _load(s)])  # fmt: skip
    for database, load in results["load"].items():
        db = DB_NAMES[database]
        for c, ceiling in ((10, get10), (50, get50)):
            s = load.get(f"public_c{c}")
            if s:
                rows.append([f"Public page, {load['seed']['approved']:,} approved", db, str(c),
                             _spread(s["rps"]), _spread(s["p50_ms"], "{:.1f}"),
                             _spread(s["p99_ms"], "{:.1f}"),
                             _ratio(s["rps"]["median"], ceiling), _load(s)])  # fmt: skip
        for c in (10, 50):
            s = load.get(f"sign_c{c}")
            insert = _ceiling_insert(results, database, c)
            if s:
                rows.append(["Sign POST (signatures/s)", db, str(c), _spread(s["rps"]),
                             _spread(s["p50_ms"], "{:.1f}"), _spread(s["p99_ms"], "{:.1f}"),
                             _ratio(s["rps"]["median"], insert), _load(s)])  # fmt: skip
        s = load.get("confirm_c10")
        if s:
            rows.append(["Confirm POST (confirmations/s)", db, "10",
                         _spread(s["confirmations_per_s"]), _spread(s["p50_ms"], "{:.1f}"),
                         _spread(s["p99_ms"], "{:.1f}"),
                         _ratio(s["confirmations_per_s"]["median"],
                                _ceiling_insert(results, database, 10)), _load(s)])  # fmt: skip
    out += _table(["benchmark", "database", "conc.", "per second", "p50 ms", "p99 ms",
                   "of ceiling", "load avg"], rows)  # fmt: skip
    out += [
        "Ratios: the public page against the ceiling's GET at the same concurrency; the sign",
        "and confirm POSTs against the ceiling's insert on the same database and concurrency",
        "(confirm: c10).",
        "",
        "Write checks (every 303 answer has its row; wrk stops with at most one request per",
        "connection in flight, which the server still completes):",
        "",
    ]
    rows = []
    for database, load in results["load"].items():
        for c in (10, 50):
            for run in (load.get(f"sign_c{c}") or {}).get("runs", []):
                ch = run["check"]
                rows.append([f"sign c{c}", DB_NAMES[database], f"{ch['accepted']:,}",
                             f"{ch['stored']:,}", str(ch["in_flight_at_stop"]),
                             str(ch["other_statuses"]), str(ch["flagged"]),
                             "✅" if ch["ok"] else "❌"])  # fmt: skip
        confirm = load.get("confirm_c10") or {}
        for run in confirm.get("runs", []):
            rows.append(["confirm c10", DB_NAMES[database], f"{run['requests']:,} requests",
                         f"{run['confirmations']:,} confirmed", "–",
                         str(sum(n for st, n in run["statuses"].items() if st != "200")), "–",
                         confirm_check(run)])  # fmt: skip
    out += _table(["run", "database", "accepted (303)", "rows stored", "in flight at stop",
                   "other statuses", "held (flagged)", "check"], rows)  # fmt: skip
    restarts = {
        db: (results["ceiling"].get(db, {}).get("worker_restarts", 0), load.get("worker_restarts"))
        for db, load in results["load"].items()
    }
    startup = {db: load.get("startup_seconds") for db, load in results["load"].items()}
    out += [
        "Server start (both workers up and the statement page answering): "
        + ", ".join(f"{DB_NAMES[db]} {s} s" for db, s in startup.items())
        + "; workers uvicorn replaced during the run (ceiling, app): "
        + ", ".join(f"{DB_NAMES[db]} {c}, {a}" for db, (c, a) in restarts.items())
        + ".",
        "",
        "## Page weight",
        "",
    ]
    weight = results.get("page_weight") or {}
    rows = []
    for name in ("public statement page", "sign form"):
        if name in weight:
            w = weight[name]
            rows.append([name, f"{w['html_bytes'] / 1024:.1f}", f"{w['css_bytes'] / 1024:.1f}",
                         f"{w['js_bytes'] / 1024:.1f}", f"{w['total_bytes'] / 1024:.1f}",
                         "✅" if w["within_budget"] else "❌"])  # fmt: skip
    out += _table(["page", "HTML KiB", "CSS KiB", "JS KiB", "total KiB", "< 100 KB"], rows)
    out += [
        "Raw bytes of a first visit without cache (we do not compress responses); the public",
        "page shows the first 100 of its 10,000 names and links to the full list.",
        "",
        "## Exports",
        "",
        "What a lead waits for: a fresh process per figure builds the list of a seeded",
        "statement with N approved signatories (half of the names in Hangul, stored encrypted",
        "as the app writes them) from the database with the app's own `lists.build`, then",
        "renders it to /dev/null; the final PDF is the list finalisation freezes, rendered and",
        "signed (pyHanko). Seconds are the whole (build + render + sign, each given), memory",
        "the peak resident memory of the whole process tree (the PDF is typeset in a child",
        "process), sampled every 10 ms.",
        "",
    ]
    rows = []
    for database, formats in results["exports"].items():
        for fmt, sizes in formats.items():
            label = [DB_NAMES.get(database, database), fmt.upper().replace("-FINAL", " final")]
            for size, r in sizes.items():
                if r.get("timed_out"):
                    rows.append([*label, f"{int(size):,}",
                                 f"stopped after {r['limit_seconds']:.0f} s", "–", "–", "–",
                                 "–", "–"])  # fmt: skip
                    continue
                if r.get("skipped"):
                    rows.append([*label, f"{int(size):,}",
                                 f"not run (≈ {r['projected_seconds']:.0f} s projected)", "–",
                                 "–", "–", "–", "–"])  # fmt: skip
                    continue
                steps = " + ".join(
                    f"{r[f'{step}_seconds']['median']:.2f}" for step in ("build", "render", "sign")
                )
                rows.append([*label, f"{int(size):,}", _spread(r["seconds"], "{:.2f}"), steps,
                             f"{r['cpu_seconds']['median']:.2f}",
                             _spread(r["peak_mib"], "{:.0f}"),
                             f"{r['bytes'] / 1024:,.0f}"])  # fmt: skip
    out += _table(["database", "format", "signatories", "seconds", "build + render + sign s",
                   "CPU s", "peak MiB", "output KiB"], rows)  # fmt: skip
    out += ["### Team CSV (contact details, streamed from the database)", ""]
    rows = []
    for database, sizes in results["team_csv"].items():
        for size, r in sizes.items():
            rows.append([DB_NAMES[database], f"{int(size):,}", _spread(r["seconds"], "{:.2f}"),
                         _spread(r["peak_mib"], "{:.0f}"), f"{r['before_mib']['median']:.0f}",
                         f"{r['bytes'] / 1024 / 1024:,.1f}"])  # fmt: skip
    out += _table(["database", "signatures", "seconds", "peak MiB", "MiB before", "output MiB"],
                  rows)  # fmt: skip
    out += ["## Outbox", ""]
    rows = []
    for database, r in results["outbox"].items():
        rows.append([DB_NAMES[database], f"{r['messages']:,}", _spread(r["per_s_steady"]),
                     _spread(r["per_s_wall"]), "✅" if r["all_delivered"] else "❌"])  # fmt: skip
    out += _table(["database", "messages", "emails/s while draining",
                   "emails/s incl. worker start", "all delivered"], rows)  # fmt: skip
    out += [
        "`undersigned worker --once` against a local aiosmtpd server that only counts (a",
        'separate process, `bench/smtp_sink.py`); "while draining" is the first to the last',
        "message received.",
        "",
    ]
    if results.get("repeat_timing"):
        out += ["## First and repeat signatures", ""]
        rows = [
            [DB_NAMES[database], f"{r['pairs']}", f"{r['first_p50_ms']:.2f}",
             f"{r['repeat_p50_ms']:.2f}", f"{r['difference_ms']:+.3f}",
             "✅" if abs(r["difference_ms"]) < 0.3 else "❌"]
            for database, r in results["repeat_timing"].items()
        ]  # fmt: skip
        out += _table(["database", "pairs", "first p50 ms", "repeat p50 ms", "difference ms",
                       "< 0.3 ms"], rows)  # fmt: skip
        out += [
            "The sign form POSTed one request at a time to one server worker, alternating a",
            "new address and an address that signed before (still pending), the order",
            "swapped every pair; 40 warm-up pairs not counted (`bench/repeat.py`).",
            "",
        ]
    if NOTES.exists():
        out += [NOTES.read_text().strip(), ""]
    return "\n".join(out)


def main() -> None:
    results = json.loads((ROOT / "bench" / "results" / "latest.json").read_text())
    results["targets"] = targets(results)
    (ROOT / "docs" / "benchmarks.md").write_text(markdown(results))


if __name__ == "__main__":
    main()
