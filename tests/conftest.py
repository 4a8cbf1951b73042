"""Test set-up: a migrated database per test process, a rolled-back transaction per test.

Runs on SQLite by default, and on PostgreSQL when TEST_DATABASE_URL points at a server
(each test process creates and drops its own database there). The schema is built from
the Alembic migrations, never from the models, so the migrations are what is tested.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session as OrmSession

from tests.databases import create_database, database_url, drop_database

_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
_TMP = Path(tempfile.mkdtemp(prefix=f"undersigned-test-{_WORKER}-"))
_DB_NAME = f"undersigned_test_{_WORKER}_{os.getpid()}"


# Settings are read from the environment once; set it before the app is imported.
os.environ.update(
    {
        "APP_ENV": "test",
        "DATA_DIR": str(_TMP),
        "DATABASE_URL": database_url(_DB_NAME, _TMP),
        "SECRET_KEY": "test-secret-key-that-is-long-enough-to-be-real",
        # Signer data is encrypted at rest; e2e servers inherit this environment, so the
        # test process and the server read each other's rows.
        "ENCRYPTION_KEY": "dGVzdC1lbmNyeXB0aW9uLWtleS0zMi1ieXRlcy1vayE=",
        "ENCRYPTION_OLD_KEYS": "",
        "BASE_URL": "http://testserver",
        "SMTP_HOST": "",
        "OUTBOX_RETRY_BASE_SECONDS": "0.05",
        "OUTBOX_POLL_SECONDS": "0.05",
        # Tests change a statement and read its page at once; test_public_page_cache.py
        # turns the cache on.
        "PUBLIC_PAGE_CACHE_SECONDS": "0",
    }
)

from fastapi import FastAPI, Request  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.core import schema  # noqa: E402
from app.core.config import get_settings  # noqa: E402
from app.core.db import (  # noqa: E402
    close_streams,
    get_session,
    get_stream_session,
    make_engine,
    metadata,
    transaction,
)
from app.main import create_app  # noqa: E402


@pytest.fixture(scope="session")
def migrated_database() -> Iterator[str]:
    url = get_settings().database_url
    create_database(url)
    schema.upgrade(url)
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def engine(migrated_database: str) -> Iterator[Engine]:
    engine = make_engine(migrated_database)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test.

    Commits made by the code under test only release a savepoint.
    """
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    yield session
    session.close()
    transaction.rollback()
    connection.close()


@pytest.fixture
def committed(engine: Engine) -> Iterator[Engine]:
    """For tests that need real commits across connections (workers, concurrency):
    every table is emptied afterwards."""
    yield engine
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def app(db: Session) -> FastAPI:
    """The app, each request in its own savepoint on the test's connection.

    What the test wrote through `db` is flushed first, so requests see it; a request that
    fails rolls back only its own savepoint; afterwards `db` reloads what it holds.
    """
    application = create_app()
    connection = db.connection()

    def _session(request: Request) -> Iterator[OrmSession]:  # the signature of get_session
        db.flush()
        with Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        ) as request_session:
            try:
                with transaction(request_session):
                    yield request_session
            finally:
                db.expire_all()

    application.dependency_overrides[get_session] = _session

    def _stream_session() -> Iterator[OrmSession]:
        # Streaming reads happen after the request's savepoint is released: the test's
        # own session sees the same data and needs no savepoint of its own.
        db.flush()
        try:
            yield db
        finally:
            close_streams(db)  # as get_stream_session does before it closes its session

    application.dependency_overrides[get_stream_session] = _stream_session
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client
