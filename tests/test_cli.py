"""The command line as a newcomer uses it: `undersigned demo`, then `undersigned export`."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import create_database, database_url, drop_database

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One database for the module, with the demo loaded once (each command is a cold
    start of the whole app, which is slow on a busy machine)."""
    tmp_path = tmp_path_factory.mktemp("cli")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    url = database_url(f"undersigned_cli_{worker}_{os.getpid()}", tmp_path)
    create_database(url)
    env = {
        **os.environ,
        "APP_ENV": "development",
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": url,
        "SECRET_KEY": "",
        "SMTP_HOST": "",
    }
    loaded = _run(env, "demo")
    assert "Loaded." in loaded.stdout and "/s/hrc58-example" in loaded.stdout
    yield env
    drop_database(url)


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    return result


def test_demo_then_export_gives_a_pdf_that_pdfsig_reports_valid(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    again = _run(cli_env, "demo")
    assert "already there" in again.stdout and "/s/hrc58-example/final" in again.stdout

    out = tmp_path / "f.pdf"
    _run(cli_env, "export", "hrc58-example", "--format", "pdf", "--out", str(out))
    report = subprocess.run(["pdfsig", str(out)], capture_output=True, text=True)
    assert "Signature is Valid" in report.stdout, report.stdout
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Transitional Justice Working Group (TJWG)" in " ".join(text.split())
    assert "March 14, 2025" in text


def test_export_formats_and_the_team_csv(cli_env: dict[str, str], tmp_path: Path) -> None:
    text = tmp_path / "list.txt"
    _run(cli_env, "export", "hrc58-example", "--format", "txt", "--out", str(text))
    lines = [line for line in text.read_text().splitlines() if line.strip()]
    assert "Kim Kyu Li and Kim Hyuk" in lines[2] or any(
        line.startswith("Kim Kyu Li and Kim Hyuk") for line in lines
    )
    team = tmp_path / "team.csv"
    result = _run(
        cli_env, "export", "hrc58-example", "--format", "csv", "--team", "--out", str(team)
    )
    rows = list(csv.reader(io.StringIO(team.read_bytes().decode("utf-8-sig"))))
    assert len(rows) == 11  # header + the ten signatories
    assert any("org9@example.org" in row for row in rows)
    assert "Signatures" in result.stderr  # the progress bar


def test_export_prose_gives_the_sentence_for_speeches(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "prose.txt"
    _run(cli_env, "export", "hrc58-example", "--format", "prose", "--out", str(out))
    sentence = out.read_text()
    assert sentence.startswith("on behalf of 10 civil society partners representing 8 ")
    assert "Transitional Justice Working Group" in sentence and sentence.endswith(".\n")


def test_export_refuses_what_it_cannot_do(cli_env: dict[str, str], tmp_path: Path) -> None:
    missing = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "export",
            "nope",
            "--format",
            "pdf",
            "--out",
            str(tmp_path / "x.pdf"),
        ],
        env=cli_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 1 and "no statement" in missing.stderr
    wrong = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "export",
            "hrc58-example",
            "--format",
            "exe",
            "--out",
            str(tmp_path / "x"),
        ],
        env=cli_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert wrong.returncode == 2 and "unknown format" in wrong.stderr


def test_the_wrapper_in_the_repository_root_runs_the_cli_from_any_directory(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """`./undersigned …` as the README says: here through the activated virtualenv (the
    wrapper's first choice; uv is its second), run from another directory, where relative
    paths are read."""
    env = {**cli_env, "VIRTUAL_ENV": sys.prefix, "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [str(ROOT / "undersigned"), "export", "hrc58-example", "--format", "txt", "--out", "l.txt"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "Kim Kyu Li and Kim Hyuk" in (tmp_path / "l.txt").read_text()
