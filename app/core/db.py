"""Engine, naming convention, UTC timestamps and one transaction per request.

SQLite is the embedded default: WAL, a busy timeout, and `BEGIN IMMEDIATE` for write
transactions, so concurrent writers queue instead of failing with "database is locked".
Services only `flush()`; the request (or the worker loop) commits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar
from weakref import WeakKeyDictionary

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from sqlalchemy import DateTime, Engine, MetaData, String, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel

from app.core.config import get_settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
E = TypeVar("E", bound=Exception)
T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in, timezone-aware UTC out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a timezone-aware one is required")
        value = value.astimezone(UTC)
        # SQLite has no time zone type: store naive UTC, restore the zone on the way out.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, **kwargs: Any) -> Engine:
    # An error's text never carries the row it was writing: signers' emails and names.
    kwargs.setdefault("hide_parameters", True)
    if is_sqlite(url):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30, "isolation_level": None},
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    # pysqlite's own transaction handling is disabled (isolation_level=None) so that we
    # choose how each transaction begins: IMMEDIATE takes the write lock up front, which is
    # what makes the busy timeout apply instead of a deadlock-style "database is locked".
    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def writer(engine: Engine) -> Engine:
    """The same engine, beginning write transactions (IMMEDIATE on SQLite)."""
    return engine.execution_options(sqlite_immediate=True)


def new_session(engine: Engine, *, write: bool = True) -> Session:
    return Session(writer(engine) if write else engine, expire_on_commit=False)


_AFTER_ROLLBACK = "undersigned.after_rollback"


@contextmanager
def transaction(session: Session) -> Iterator[Session]:
    """One unit of work: committed if the block succeeds, rolled back if it raises.

    After a rollback, the writes registered with `also_after_rollback` are made again and
    committed, so what must outlive a failure (a failed sign-in) does whatever fails.
    This, `attempt` and the worker's loop are the only places that roll back.
    """
    try:
        yield session
    except BaseException:
        replay: list[Callable[[Session], object]] = session.info.pop(_AFTER_ROLLBACK, [])
        session.rollback()
        for write in replay:
            write(session)
        if replay:
            session.commit()
        raise
    session.info.pop(_AFTER_ROLLBACK, None)
    session.commit()


def also_after_rollback(session: Session, write: Callable[[Session], object]) -> None:
    """Make `write` now, and again if the transaction is then rolled back."""
    write(session)
    session.info.setdefault(_AFTER_ROLLBACK, []).append(write)


@dataclass
class Attempt(Generic[E]):
    """The outcome of `attempt`: the error the use case raised, if it did."""

    error: E | None = None


@contextmanager
def attempt(session: Session, error: type[E]) -> Iterator[Attempt[E]]:
    """Run a use case whose failure the route answers itself (typically a form shown
    again with its errors): if the block raises `error`, what it wrote is undone (to a
    savepoint) and the error is kept in the outcome; any other error propagates.

        with db.attempt(session, FieldErrors) as outcome:
            service.submit(session, ...)
        if outcome.error:
            return form_page(errors=outcome.error.errors, status_code=422)
    """
    outcome: Attempt[E] = Attempt()
    savepoint = session.begin_nested()
    try:
        yield outcome
    except error as exc:
        savepoint.rollback()
        outcome.error = exc
    else:
        savepoint.commit()


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: commit on success, roll back on any error.

    Scoped to the path operation (see SessionDep), so the commit happens before the
    response is sent: a client never sees success for a write that did not persist.
    """
    engine: Engine = request.app.state.engine
    with (
        new_session(engine, write=request.method not in SAFE_METHODS) as session,
        transaction(session),
    ):
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@contextmanager
def request_session(request: Request) -> Iterator[Session]:
    """The request's session for an async route that needs the database only sometimes
    (call it in the thread pool): what SessionDep gives, honouring the app's dependency
    overrides (the tests' savepoint sessions)."""
    factory = request.app.dependency_overrides.get(get_session, get_session)
    with contextmanager(factory)(request) as session:
        yield session


async def in_one_thread(request: Request, work: Callable[[Session], T]) -> T:
    """`work(session)` in one thread-pool call, in the request's transaction (committed
    before this returns). For the hottest routes (signing, confirming): a `def` route with
    SessionDep and a statement dependency costs a thread hop for each of them and one for
    the commit; an `async def` route that calls this costs one."""

    def run() -> T:
        with request_session(request) as session:
            return work(session)

    loop = asyncio.get_running_loop()  # one limiter per event loop (tests run several)
    limiter = _hot_threads.get(loop)
    if limiter is None:
        limiter = _hot_threads[loop] = anyio.CapacityLimiter(get_settings().signing_concurrency)
    return await anyio.to_thread.run_sync(run, limiter=limiter)


# At most SIGNING_CONCURRENCY (4) signing or confirming transactions at once per process;
# the rest wait on the event loop. Forty threads (the default pool) taking turns at the GIL
# and at the database made a burst slower than a queue: at 50 connections on PostgreSQL,
# 349 signatures/s with p99 893 ms; limited to 8, 526/s; to 4, 590/s with p99 222 ms.
_hot_threads: WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    WeakKeyDictionary()
)


class StrEnumType(TypeDecorator[Any]):
    """An enum stored as its plain string value (no database enum type to migrate)."""

    impl = String(32)
    cache_ok = True

    def __init__(self, enum_cls: type[StrEnum]) -> None:
        super().__init__()
        self.enum_cls = enum_cls

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.enum_cls(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else self.enum_cls(value)


def get_stream_session(request: Request) -> Generator[Session, None, None]:
    """A read-only session that lives until a streamed response has been sent (the
    request's own transaction commits before the first byte goes out). The streams
    registered with `closes_with` are closed first."""
    engine: Engine = request.app.state.engine
    with new_session(engine, write=False) as session:
        try:
            yield session
        finally:
            close_streams(session)


_STREAMS = "undersigned.streams"
_Stream = TypeVar("_Stream", bound=Generator[Any, None, None])


def closes_with(session: Session, stream: _Stream) -> _Stream:
    """`stream`, a generator reading on `session`, to be closed before the session is
    (`close_streams`). A download the client abandons leaves its generator suspended in
    the middle of a query, and a PostgreSQL stream holds its connection until it is
    closed: closing the session under it would wait for ever."""
    session.info.setdefault(_STREAMS, []).append(stream)
    return stream


def close_streams(session: Session) -> None:
    """Close the streams registered on `session` (those finished are closed already)."""
    for stream in session.info.pop(_STREAMS, ()):
        stream.close()


StreamSessionDep = Annotated[Session, Depends(get_stream_session, scope="request")]
