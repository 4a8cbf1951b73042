"""The team export's rows: every signature of a statement with the contact details only
the team may see, read as plain column values and streamed (100,000s of rows).

Rows are read in batches and handled column by column (`team_batches`): each sealed
column opened by `Keyring.open_column`, the public line made by `public_lines`, the
display corrections applied only where a batch has any. For 100,000 rows, a Python call
per row and per value was most of the export's time; here most of the work runs in
C-level loops (`map`, `zip`) over a batch's columns.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from contextlib import closing
from itertools import islice, repeat
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Connection,
    Result,
    Select,
    TypeDecorator,
    func,
    type_coerce,
)
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.lists.data import TeamRow
from app.lists.renderers import csvs
from app.security import encryption
from app.signatures import details as signer_details
from app.signatures.models import Signature, SignerKind
from app.signatures.public import public_lines
from app.signatures.verification import service as verification
from app.statements.models import Statement, StatementVersion

# Rows fetched and handled together: large enough for the column-wise loops to pay, small
# enough to keep memory flat (+3 MiB) and a batch in the CPU's caches (2,000 used more
# CPU, and 7 MiB more).
BATCH: Final = 1000

# What a team export reads of each signature, as plain column values: for 100,000 rows,
# building ORM objects (and enums and aware datetimes from every value) was most of the
# export's time. Enum columns come back as their strings; times as the driver gives them
# (aware on PostgreSQL, naive UTC on SQLite), or as the database's UTC text for the CSV.
_SIGNER_COLUMNS = tuple(detail.name for detail in signer_details.exported())
_TIMES = ("submitted_at", "confirmed_at", "decided_at", "withdrawn_at")
_TEAM_NAMES = (
    "id", "kind", "status", "listing", *_SIGNER_COLUMNS, "version_id", "source", *_TIMES,
    "flags", "display_name", "display_acronym", "display_note",
)  # fmt: skip
# A batch is TeamRow's fields by position: its signer fields are these columns, in order.
assert tuple(TeamRow.__dataclass_fields__)[5 : 5 + len(_SIGNER_COLUMNS)] == _SIGNER_COLUMNS
_TABLE = Signature.__table__.c  # type: ignore[attr-defined]
_TEAM_COLUMNS = {
    name: type_coerce(
        column, column.type.impl if isinstance(column.type, TypeDecorator) else column.type
    )
    for name, column in ((name, _TABLE[name]) for name in _TEAM_NAMES)
}
_TEAM_SEALED = frozenset(
    name for name in _TEAM_NAMES if isinstance(_TABLE[name].type, encryption.EncryptedText)
)
_AT = {name: index for index, name in enumerate(_TEAM_NAMES)}


def _utc_text(column: Any, dialect: str) -> ColumnElement[str] | None:
    """The time as `csvs.utc_text` writes it ("2025-03-14 09:30:00": UTC, to the second,
    cut, not rounded), made by the database; None where the dialect is not known.
    SQLite holds SQLAlchemy's naive UTC text ("2025-03-14 09:30:00.123456"): its first 19
    characters. PostgreSQL converts to UTC whatever the session's time zone; `to_char`'s
    SS is the whole seconds."""
    if dialect == "sqlite":
        return func.substr(column, 1, 19)
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24:MI:SS")
    return None


def _columns(dialect: str, *, times_as_text: bool) -> list[Any]:
    chosen = []
    for name in _TEAM_NAMES:
        column: Any = _TEAM_COLUMNS[name]
        if times_as_text and name in _TIMES:
            as_text = _utc_text(_TABLE[name], dialect)
            column = column if as_text is None else as_text
        chosen.append(column.label(name))
    return chosen


# Where every column of the CSV's query is a plain value as the driver returns it (text,
# integers, booleans; SQLite's booleans as 0 and 1), so SQLAlchemy's rows add only time.
_PLAIN: Final = frozenset({"sqlite", "postgresql"})


def _plain_batches(
    connection: Connection, query: Select[Any]
) -> Generator[Sequence[Any], None, None]:
    """The query's rows as the DBAPI cursor gives them (tuples), BATCH at a time, on the
    session's connection and transaction, in flat memory. SQLAlchemy's `Row`s were an
    eighth of the CSV's time on SQLite.

    On PostgreSQL the rows are streamed (psycopg's `stream`: one query whose rows arrive
    while the batch before is being written, in chunks of BATCH with libpq 17 and later,
    one by one before), so the database produces rows on the other core instead of
    waiting for a server-side cursor's next FETCH: 1.01 → 0.79 s for 100,000 rows. A
    stream holds its connection until it ends or is closed, when psycopg cancels the
    query: a response streaming it registers it with `db.closes_with`."""
    compiled = query.compile(dialect=connection.dialect)
    params = compiled.construct_params()
    driver: Any = connection.connection.driver_connection
    cursor = driver.cursor()
    try:
        if connection.dialect.name == "postgresql":
            from psycopg import pq  # the driver of this dialect

            rows = cursor.stream(
                compiled.string, params, size=BATCH if pq.version() >= 170000 else 1
            )
            try:
                while batch := list(islice(rows, BATCH)):
                    yield batch
            finally:
                rows.close()
        else:
            cursor.execute(compiled.string, [params[name] for name in compiled.positiontup or ()])
            while batch := cursor.fetchmany(BATCH):
                yield batch
    finally:
        cursor.close()


def _partitions(result: Result[Any]) -> Generator[Sequence[Any], None, None]:
    """The result's rows BATCH at a time; the result closed when they end or are left."""
    try:
        yield from result.partitions()
    finally:
        result.close()


def _shown(display: Sequence[str | None], own: Sequence[str]) -> Sequence[str]:
    """A team correction where one was made (not None), else the signer's own value."""
    if display.count(None) == len(display):
        return own
    return [mine if shown is None else shown for shown, mine in zip(display, own, strict=True)]


def _renamed(display: Sequence[str | None], own: Sequence[str]) -> Sequence[str]:
    """The team's corrected name where it is not empty, else the signer's own."""
    if not any(display):
        return own
    return [shown or mine for shown, mine in zip(display, own, strict=True)]


def team_batches(
    session: Session, *, statement: Statement, times_as_text: bool = True
) -> Generator[list[Sequence[Any]], None, None]:
    """Every signature with its contact details, streamed in batches of up to BATCH rows.
    A batch is a list of columns in `TeamRow`'s field order. `times_as_text`: the four
    times as `csvs.utc_text` writes them, formatted by the database (datetimes
    otherwise)."""
    versions = {
        v.id: v.number
        for v in session.exec(
            select(StatementVersion).where(col(StatementVersion.statement_id) == statement.id)
        )
    }
    levels = verification.team_levels(session, statement_id=statement.id)
    declared = {SignerKind.ORGANISATION.value: "declared"}
    organisation_kind = SignerKind.ORGANISATION.value
    connection = session.connection()
    dialect = connection.dialect.name
    query = (
        sa_select(*_columns(dialect, times_as_text=times_as_text))
        .where(col(Signature.statement_id) == statement.id)
        .order_by(col(Signature.id))
    )
    parts: Generator[Sequence[Any], None, None]
    if times_as_text and dialect in _PLAIN:
        parts = _plain_batches(connection, query)
    else:
        # On the session's connection, past the ORM's row handling; streamed.
        parts = _partitions(connection.execute(query.execution_options(yield_per=BATCH)))
    keyring = encryption.keyring()
    with closing(parts):  # its query ended at once when the export is left early
        for part in parts:
            # Encrypted columns come back sealed (past their type), each opened as a column.
            columns: list[Sequence[Any]] = [
                keyring.open_column(column) if name in _TEAM_SEALED else column
                for name, column in zip(_TEAM_NAMES, zip(*part, strict=True), strict=True)
            ]
            value = dict(zip(_TEAM_NAMES, columns, strict=True))
            ids, kinds = value["id"], value["kind"]
            display_name = value["display_name"]
            lines = public_lines(
                listings=value["listing"],
                kinds=kinds,
                names=_renamed(display_name, value["name"]),
                organisations=_renamed(display_name, value["organisation"]),
                acronyms=_shown(value["display_acronym"], value["acronym"]),
                notes=_shown(value["display_note"], value["note"]),
            )
            if levels:
                levels_of = [
                    levels.get(each, "declared") if kind == organisation_kind else ""
                    for each, kind in zip(ids, kinds, strict=True)
                ]
            else:
                levels_of = list(map(declared.get, kinds, repeat("")))
            yield [
                ids,
                kinds,
                value["status"],
                value["listing"],
                lines,
                *(value[name] for name in _SIGNER_COLUMNS),
                list(map(versions.get, value["version_id"])),
                value["source"],
                *(value[name] for name in _TIMES),
                value["flags"],
                levels_of,
            ]


def team_rows(session: Session, *, statement: Statement) -> Iterator[TeamRow]:
    """Every signature with its contact details as `TeamRow`s (times as datetimes), streamed
    (flat memory for big lists): the XLSX export's rows."""
    for batch in team_batches(session, statement=statement, times_as_text=False):
        yield from map(TeamRow, *batch)


def team_csv(session: Session, *, statement: Statement) -> Iterator[bytes]:
    """The team CSV of a statement, streamed: its batches, times formatted by the
    database, rendered column by column (`csvs.iter_team_csv_batches`)."""
    return csvs.iter_team_csv_batches(team_batches(session, statement=statement))
