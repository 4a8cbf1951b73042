"""`undersigned backup` and `undersigned restore` on real databases: SQLite always, and
PostgreSQL when TEST_DATABASE_URL is set (pg_dump and pg_restore must be installed)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, make_url, select, table
from sqlmodel import Session

from app.core import backup as backups
from app.core import schema
from app.core.db import make_engine
from app.lists.final import signing
from tests import factories
from tests.databases import BASE_PG, create_database, database_url, drop_database

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def source_and_target(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two databases of this test's own: the original and a fresh one to restore into."""
    source, target = (
        database_url(f"undersigned_backup_{name}_{os.getpid()}", tmp_path)
        for name in ("source", "target")
    )
    urls = (source, target)
    for url in urls:
        create_database(url)
    yield urls
    for url in urls:
        drop_database(url)


def _env(tmp_path: Path, url: str) -> dict[str, str]:
    return {
        **os.environ,
        "APP_ENV": "development",
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": url,
        "SECRET_KEY": "",
        "SMTP_HOST": "",
    }


def _cli(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if ok:
        assert result.returncode == 0, result.stderr + result.stdout
    else:
        assert result.returncode != 0, result.stdout
        assert "Traceback" not in result.stderr, result.stderr
    return result


def _fill(url: str) -> str:
    """A migrated database holding an open statement with three approved signatures."""
    schema.upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine) as db:
            owner = factories.make_user(db)
            statement = factories.open_statement(db, owner=owner)
            factories.approve_signers(
                db,
                statement,
                [
                    factories.individual(),
                    factories.organisation(),
                    factories.individual(name="Lee Min-ji", email="minji@example.org"),
                ],
            )
            db.commit()
            return statement.slug
    finally:
        engine.dispose()


def _row_counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                name: conn.execute(select(func.count()).select_from(table(name))).scalar_one()
                for name in inspect(conn).get_table_names()
            }
    finally:
        engine.dispose()


def _team_csv_sha256(env: dict[str, str], slug: str, out: Path) -> str:
    _cli(env, "export", slug, "--format", "csv", "--team", "--out", str(out))
    return hashlib.sha256(out.read_bytes()).hexdigest()


def test_backup_then_restore_gives_the_same_database(
    source_and_target: tuple[str, str], tmp_path: Path
) -> None:
    source, target = source_and_target
    slug = _fill(source)
    dump = tmp_path / "nightly.backup"

    made = _cli(_env(tmp_path, source), "backup", "--out", str(dump))
    assert dump.stat().st_size > 0
    assert "SECRET_KEY" in made.stdout and "signs final PDFs" in made.stdout

    restored = _cli(_env(tmp_path, source), "restore", str(dump), "--database-url", target)
    head = ScriptDirectory.from_config(schema.alembic_config(source)).get_current_head()
    assert f"Database revision: {head} (this code: {head})" in restored.stdout
    assert "undersigned migrate" not in restored.stdout

    counts = _row_counts(source)
    assert counts["signature"] == 3 and counts["alembic_version"] == 1
    assert _row_counts(target) == counts
    # The team CSV carries every column a coordinator gets back: identical bytes.
    assert _team_csv_sha256(_env(tmp_path, source), slug, tmp_path / "a.csv") == (
        _team_csv_sha256(_env(tmp_path, target), slug, tmp_path / "b.csv")
    )

    refused = _cli(_env(tmp_path, source), "restore", str(dump), "--database-url", target, ok=False)
    assert "already holds" in refused.stderr and "--force" in refused.stderr
    _cli(_env(tmp_path, source), "restore", str(dump), "--database-url", target, "--force")
    assert _row_counts(target)["signature"] == 3


def test_a_restored_database_behind_the_code_asks_for_migrate(
    source_and_target: tuple[str, str], tmp_path: Path
) -> None:
    source, target = source_and_target
    schema.upgrade(source, "0006")
    dump = tmp_path / "old.backup"
    _cli(_env(tmp_path, source), "backup", "--out", str(dump))
    restored = _cli(_env(tmp_path, target), "restore", str(dump))
    assert "Database revision: 0006" in restored.stdout
    assert "run `undersigned migrate`" in restored.stdout


def test_a_missing_or_damaged_backup_is_refused_in_words(
    source_and_target: tuple[str, str], tmp_path: Path
) -> None:
    _, target = source_and_target
    env = _env(tmp_path, target)
    missing = _cli(env, "restore", str(tmp_path / "nope.backup"), ok=False)
    assert "Cannot read the backup" in missing.stderr
    junk = tmp_path / "junk.backup"
    junk.write_bytes(os.urandom(4096))
    damaged = _cli(env, "restore", str(junk), ok=False)
    assert "is not a backup made by `undersigned backup`" in damaged.stderr


def test_a_truncated_backup_is_refused_before_the_target_is_touched(
    source_and_target: tuple[str, str], tmp_path: Path
) -> None:
    source, target = source_and_target
    schema.upgrade(source)
    whole, cut = tmp_path / "whole.backup", tmp_path / "cut.backup"
    backups.backup(database_url=source, out=whole)
    cut.write_bytes(whole.read_bytes()[:2000])
    with pytest.raises(backups.BackupError):
        backups.restore(database_url=target, source=cut)
    assert _row_counts(target) == {}


@pytest.mark.skipif(bool(BASE_PG), reason="the SQLite online backup")
def test_sqlite_backup_runs_while_a_writer_holds_its_transaction(tmp_path: Path) -> None:
    url = database_url("live", tmp_path)
    _fill(url)
    writer = sqlite3.connect(make_url(url).database or "", isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("DELETE FROM signature")
        backups.backup(database_url=url, out=tmp_path / "live.backup")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    copy = sqlite3.connect(tmp_path / "live.backup")
    try:
        # The snapshot is of what was committed: the writer's open delete is not in it.
        assert copy.execute("SELECT count(*) FROM signature").fetchone() == (3,)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    finally:
        copy.close()


def test_the_password_goes_to_the_child_environment_not_its_arguments() -> None:
    uri, env = backups._libpq(make_url("postgresql+psycopg://app:s3cret@db.example:5433/u"))
    assert "s3cret" not in uri and uri == "postgresql://app@db.example:5433/u"
    assert env["PGPASSWORD"] == "s3cret"


def test_the_named_certificate_files_are_those_signing_writes() -> None:
    assert backups.DEV_P12_FILE == signing.DEV_P12_FILE
    assert backups.DEV_PASSPHRASE_FILE == signing.DEV_PASSPHRASE_FILE
