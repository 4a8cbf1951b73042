"""What the benchmark reports beside its figures: the machine, the versions, and the
weight of the public pages."""

from __future__ import annotations

import os
import platform
import re
import sqlite3
import subprocess
import urllib.request
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, make_url, text

ASSET = re.compile(
    r'<(?:link[^>]+rel="stylesheet"[^>]*href|script[^>]+src|img[^>]+src)="'
    r'(?:https?://[^/"]+)?(/[^"]+)"'
)


def page_weight(base: str, slug: str) -> dict[str, Any]:
    """Bytes a first visit transfers (no cache; we serve no compression): the HTML and
    every stylesheet, script and image it links to on our own site."""
    pages = {"public statement page": f"/s/{slug}", "sign form": f"/s/{slug}/sign"}
    result: dict[str, Any] = {"budget_kib": 100}
    for name, path in pages.items():
        html = fetch(base + path)
        assets = sorted(set(ASSET.findall(html.decode())))
        sizes = {asset: len(fetch(base + asset)) for asset in assets}
        total = len(html) + sum(sizes.values())
        result[name] = {
            "html_bytes": len(html),
            "css_bytes": sum(v for k, v in sizes.items() if k.endswith(".css")),
            "js_bytes": sum(v for k, v in sizes.items() if k.endswith(".js")),
            "other_bytes": sum(v for k, v in sizes.items() if not k.endswith((".css", ".js"))),
            "assets": sizes,
            "total_bytes": total,
            "within_budget": total <= 100 * 1024,
        }
    return result


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (127.0.0.1)
        return bytes(response.read())


def machine() -> dict[str, Any]:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "os": platform.freedesktop_os_release().get("PRETTY_NAME", "")
        if hasattr(platform, "freedesktop_os_release")
        else "",
        "load_average_before": Path("/proc/loadavg").read_text().split()[:3],
    }


def versions(pg: str) -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in ("fastapi", "starlette", "uvicorn", "uvloop", "httptools", "sqlalchemy",
                 "sqlmodel", "psycopg", "jinja2", "typst", "python-docx", "openpyxl", "pyicu",
                 "aiosmtpd"):  # fmt: skip
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    found["sqlite"] = sqlite3.sqlite_version
    wrk_out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)  # noqa: S607
    found["wrk"] = (wrk_out.stdout + wrk_out.stderr).split("[")[0].strip()
    try:
        engine = create_engine(make_url(pg).set(database="postgres"))
        with engine.connect() as conn:
            found["postgresql"] = str(conn.execute(text("SHOW server_version")).scalar_one())
        engine.dispose()
    except Exception:  # reported as unreachable
        found["postgresql"] = "unreachable"
    return found
