"""Throwaway databases for tests: a SQLite file, or a database created on the PostgreSQL
server named by TEST_DATABASE_URL."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
from sqlalchemy import make_url

BASE_PG = os.environ.get("TEST_DATABASE_URL", "")


def _admin_dsn() -> str:
    return make_url(BASE_PG).set(drivername="postgresql").render_as_string(hide_password=False)


def database_url(name: str, directory: Path) -> str:
    """Where the database called `name` lives: a SQLite file, or on the PostgreSQL server."""
    if not BASE_PG:
        return f"sqlite:///{directory / f'{name}.db'}"
    url = make_url(BASE_PG).set(drivername="postgresql+psycopg", database=name)
    return url.render_as_string(hide_password=False)


def create_database(url: str) -> None:
    """Make the database at `url` exist and be empty."""
    if not BASE_PG:
        path = make_url(url).database or ""
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = make_url(url).database
    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    if not BASE_PG:
        return
    name = make_url(url).database
    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
