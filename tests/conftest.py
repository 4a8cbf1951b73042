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
from sqlalchemy import Engine, make_url
from sqlalchemy.orm import Session as OrmSession

_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
_TMP = Path(tempfile.mkdtemp(prefix=f"undersigned-test-{_WORKER}-"))
_BASE_PG = os.environ.get("TEST_DATABASE_URL", "")


def _database_url() -> str:
    if not _BASE_PG:
        return f"sqlite:///{_TMP / 'test.db'}"
    url = make_url(_BASE_PG).set(drivername="postgresql+psycopg")
    return url.set(database=f"undersigned_test_{_WORKER}_{os.getpid()}").render_as_string(
        hide_password=False
    )


# Settings are read from the environment once; set it before the app is imported.
os.environ.update(
    {
        "APP_ENV": "test",
        "DATA_DIR": str(_TMP),
        "DATABASE_URL": _database_url(),
        "SECRET_KEY": "test-secret-key-that-is-long-enough-to-be-real",
        "BASE_URL": "http://testserver",
        "SMTP_HOST": "",
        "OUTBOX_RETRY_BASE_SECONDS": "0.05",
        "OUTBOX_POLL_SECONDS": "0.05",
    }
)

from fastapi.testclient import TestClient  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app import schema  # noqa: E402
from app.config import get_settings  # noqa: E402
from app.db import get_session, make_engine, metadata  # noqa: E402
from app.main import create_app  # noqa: E402


def _create_pg_database(url: str) -> None:
    import psycopg

    target = make_url(url)
    admin = make_url(_BASE_PG).set(drivername="postgresql")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target.database}"')
        conn.execute(f'CREATE DATABASE "{target.database}"')


def _drop_pg_database(url: str) -> None:
    import psycopg

    target = make_url(url)
    admin = make_url(_BASE_PG).set(drivername="postgresql")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    url = get_settings().database_url
    if _BASE_PG:
        _create_pg_database(url)
    schema.upgrade(url)
    yield url
    if _BASE_PG:
        _drop_pg_database(url)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
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
def app(db: Session):  # type: ignore[no-untyped-def]
    application = create_app()

    def _session() -> Iterator[OrmSession]:
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise

    application.dependency_overrides[get_session] = _session
    return application


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client
