"""The confirmation's write: a pending signature moves to its final status, pinned to the
statement's current version, and its thank-you notice is queued — on PostgreSQL in one
statement, on SQLite in two (it has no data-modifying WITH). Single use, settled by the
database: only one request moves a signature out of "pending"."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Executable, Table, bindparam, literal, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from app.signatures.models import (
    NoticeKind,
    NoticeStatus,
    Signature,
    SignatureStatus,
    SigningNotice,
)
from app.statements.models import Statement, StatementVersion


def claim(
    session: Session, *, signature: Signature, statement: Statement, changed: dict[str, Any]
) -> int | None:
    """Writes `changed` (status, confirmed_at, maybe decided_at) and the current version on
    `signature` if it is still pending, and queues its thank-you notice. Returns the version
    it was confirmed on, or None when another request had claimed it."""
    postgres = session.get_bind().dialect.name == "postgresql"
    write, notice = _statements(postgres, tuple(changed))
    params = {
        **changed,
        "the_signature": signature.id,
        "the_statement": statement.id,
        "the_language": statement.language,
        "queued_at": changed["confirmed_at"],
    }
    connection = session.connection()
    version_id: int | None = connection.execute(write, params).scalar_one_or_none()
    if version_id is not None and notice is not None:
        # Its own parameters: an INSERT takes a parameter named like a column as its value.
        connection.execute(
            notice, {"the_signature": signature.id, "queued_at": params["queued_at"]}
        )
    return version_id


@cache
def _statements(postgres: bool, names: tuple[str, ...]) -> tuple[Executable, Executable | None]:
    """Built once per process with bound parameters (as signing's upsert is): building an
    UPDATE with a subquery and a CTE costs more than the database spends running it."""
    signatures: Table = Signature.__table__  # type: ignore[attr-defined]
    versions: Table = StatementVersion.__table__  # type: ignore[attr-defined]
    notices: Table = SigningNotice.__table__  # type: ignore[attr-defined]
    current = (
        sa_select(versions.c.id)
        .where(
            versions.c.statement_id == bindparam("the_statement"),
            versions.c.language == bindparam("the_language"),
        )
        .order_by(versions.c.number.desc())
        .limit(1)
        .scalar_subquery()
    )
    values = {name: bindparam(name, type_=signatures.c[name].type) for name in names}
    claimed = (
        update(signatures)
        .where(
            signatures.c.id == bindparam("the_signature"),
            signatures.c.status == SignatureStatus.PENDING.value,
        )
        .values(**values, version_id=current)
    )
    queued = (
        literal(NoticeKind.CONFIRMED.value),
        literal(NoticeStatus.QUEUED.value),
        bindparam("queued_at", type_=notices.c.created_at.type),
    )
    columns = ["signature_id", "kind", "status", "created_at"]
    if not postgres:
        insert = sqlite.insert(notices).values(
            signature_id=bindparam("the_signature"),
            kind=queued[0],
            status=queued[1],
            created_at=queued[2],
        )
        return claimed.returning(signatures.c.version_id), insert
    cte = claimed.returning(signatures.c.id, signatures.c.version_id).cte("claimed")
    notice = (
        postgresql.insert(notices)
        .from_select(columns, sa_select(cte.c.id, *queued), include_defaults=False)
        .returning(notices.c.signature_id)
        .cte("notice")
    )
    both = sa_select(cte.c.version_id).select_from(
        cte.join(notice, notice.c.signature_id == cte.c.id)
    )
    return both, None
