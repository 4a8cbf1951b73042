"""The approved signatures a list is built from, read as plain values: one column-only
query, past the ORM (for 20,000 names, `Signature` objects were most of the build)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select as sa_select
from sqlalchemy import type_coerce
from sqlmodel import Session, col

from app.core.db import StrEnumType
from app.security import encryption
from app.signatures.models import EcosocStatus, Listing, Signature, SignatureStatus, SignerKind
from app.signatures.reconsent import service as reconsent
from app.statements.models import Statement


@dataclass(slots=True)
class Listed:
    """What the list reads of one approved signature, as plain values: for 20,000 names,
    loading ORM `Signature` objects (instance state, a decryption per column through the
    type machinery) was most of the list's build time."""

    id: int
    kind: SignerKind
    listing: Listing
    name: str
    organisation: str
    acronym: str
    note: str
    country: str
    ecosoc_status: EcosocStatus
    display_name: str | None
    display_acronym: str | None
    display_note: str | None
    display_country: str | None
    position: int | None
    group_id: int | None
    version_id: int | None
    keep_listed: bool | None
    submitted_at: datetime
    decided_at: datetime | None

    @property
    def shown_note(self) -> str:
        return self.note if self.display_note is None else self.display_note

    @property
    def shown_country(self) -> str:
        return self.country if self.display_country is None else self.display_country


# Rows read and opened together (the team export's batch size).
_BATCH = 1000
_LISTED_NAMES = tuple(Listed.__dataclass_fields__)
_LISTED_TABLE = tuple(Signature.__table__.c[name] for name in _LISTED_NAMES)  # type: ignore[attr-defined]
# Encrypted and enum columns are read as stored (past their types) and turned into their
# values in one loop below, with one cipher per key and a dictionary per enum: the same
# values as the ORM's. The others (ids, UTC datetimes) keep their types.
_LISTED_SEALED = tuple(
    index
    for index, column in enumerate(_LISTED_TABLE)
    if isinstance(column.type, encryption.EncryptedText)
)
_LISTED_ENUMS = tuple(
    (index, {member.value: member for member in column.type.enum_cls}, column.type.enum_cls)
    for index, column in enumerate(_LISTED_TABLE)
    if isinstance(column.type, StrEnumType)
)
_LISTED_COLUMNS = tuple(
    type_coerce(column, column.type.impl)
    if isinstance(column.type, encryption.EncryptedText | StrEnumType)
    else column
    for column in _LISTED_TABLE
)


def listed_signatures(session: Session, *, statement: Statement) -> list[Listed]:
    """`approved`, as the plain values the list reads: one column-only query, read a
    batch at a time and column by column, its sealed columns opened by
    `Keyring.open_column` as the team export's are."""
    latest = reconsent.latest_material_version_id(session, statement=statement)
    rows = session.connection().execute(
        sa_select(*_LISTED_COLUMNS)
        .where(
            col(Signature.statement_id) == statement.id,
            col(Signature.status) == SignatureStatus.APPROVED,
        )
        # Names that sort the same keep one order (the sort is stable), whatever plan
        # the database chooses.
        .order_by(col(Signature.id))
    )
    open_column, listed = encryption.keyring().open_column, reconsent.listed_after_reconsent
    found: list[Listed] = []
    for part in rows.partitions(_BATCH):
        columns: list[Sequence[Any]] = list(zip(*part, strict=True))
        for index in _LISTED_SEALED:
            columns[index] = open_column(columns[index])
        for index, members, enum_cls in _LISTED_ENUMS:
            columns[index] = [members.get(value) or enum_cls(value) for value in columns[index]]
        found += (each for each in map(Listed, *columns) if listed(each, latest))
    return found
