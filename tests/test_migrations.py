"""The migrations build exactly the schema the models describe, on both databases, and
can be undone."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from app import models  # noqa: F401  (registers every table)
from app.core import schema
from app.core.db import make_engine, metadata
from tests.databases import create_database, database_url, drop_database


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = compare_metadata(context, metadata)
    assert differences == []


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of its own, for a migration applied to rows already there."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    url = database_url(f"undersigned_migration_{worker}_{os.getpid()}", tmp_path)
    create_database(url)
    yield url
    drop_database(url)


def test_keyed_digests_migration_coarsens_sessions_and_drops_plain_counters(
    fresh_url: str,
) -> None:
    schema.upgrade(fresh_url, "0007")
    firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    engine = make_engine(fresh_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO user_account (id, email, name, password_hash, is_admin, "
                    "is_active, created_at) VALUES (1, 'lead@example.org', 'Lead', 'x', "
                    "false, true, :now)"
                ),
                {"now": datetime(2026, 11, 1)},
            )
            sessions = [
                (1, "203.0.113.77", firefox),
                (2, "2001:db8:1234:5678::42", ""),
                (3, "testclient", "curl/8.5.0"),
            ]
            for row_id, ip, agent in sessions:
                conn.execute(
                    text(
                        "INSERT INTO login_session (id, token_hash, user_id, created_at, "
                        "expires_at, user_agent, ip_address) VALUES (:id, :hash, 1, :now, "
                        ":now, :agent, :ip)"
                    ),
                    {
                        "id": row_id,
                        "hash": f"{row_id:064d}",
                        "now": datetime(2026, 11, 1),
                        "agent": agent,
                        "ip": ip,
                    },
                )
            plain = hashlib.sha256(b"203.0.113.77").hexdigest()
            conn.execute(
                text(
                    "INSERT INTO rate_counter (bucket, key, window_start, count) "
                    "VALUES ('login-ip', :key, :now, 3)"
                ),
                {"key": plain, "now": datetime(2026, 11, 1)},
            )

        schema.upgrade(fresh_url, "0010_keyed_digests")

        with engine.connect() as conn:
            coarse = conn.execute(
                text("SELECT id, network, browser FROM login_session ORDER BY id")
            ).all()
            columns = {c["name"] for c in inspect(conn).get_columns("login_session")}
            counters = conn.execute(text("SELECT count(*) FROM rate_counter")).scalar_one()
        assert [tuple(row) for row in coarse] == [
            (1, "203.0.113.0/24", "Firefox on Linux"),
            (2, "2001:db8:1234::/48", ""),
            (3, "", ""),
        ]
        assert not {"ip_address", "user_agent"} & columns
        assert counters == 0
    finally:
        engine.dispose()
