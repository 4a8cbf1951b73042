"""The team export's rows: every signature of a statement with the contact details only
the team may see, read as plain column values and streamed (100,000s of rows)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import TypeDecorator, type_coerce
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.lists.data import TeamRow
from app.security import encryption
from app.signatures import details as signer_details
from app.signatures.models import Signature, SignerKind
from app.signatures.public import public_line
from app.signatures.verification import service as verification
from app.statements.models import Statement, StatementVersion

# What a team export reads of each signature, as plain column values: for 100,000 rows,
# building ORM objects (and enums and aware datetimes from every value) was most of the
# export's time. Enum columns come back as their strings; times as the driver gives them
# (aware on PostgreSQL, naive UTC on SQLite; `csvs.utc_text` handles both).
_SIGNER_COLUMNS = tuple(detail.name for detail in signer_details.exported())
_TEAM_NAMES = (
    "id", "kind", "status", "listing", *_SIGNER_COLUMNS, "version_id", "source", "submitted_at",
    "confirmed_at", "decided_at", "withdrawn_at", "flags", "display_name", "display_acronym",
    "display_note",
)  # fmt: skip
# TeamRow is made by position below: its signer fields are these columns, in this order.
assert tuple(TeamRow.__dataclass_fields__)[5 : 5 + len(_SIGNER_COLUMNS)] == _SIGNER_COLUMNS
_TEAM_COLUMNS = tuple(
    type_coerce(column, column.type.impl if isinstance(column.type, TypeDecorator) else column.type)
    for column in (Signature.__table__.c[name] for name in _TEAM_NAMES)  # type: ignore[attr-defined]
)


_TEAM_SEALED = tuple(
    name
    for name in _TEAM_NAMES
    if isinstance(Signature.__table__.c[name].type, encryption.EncryptedText)  # type: ignore[attr-defined]
)


def team_rows(session: Session, *, statement: Statement) -> Iterator[TeamRow]:
    """Every signature with its contact details, streamed (flat memory for big lists)."""
    versions = {
        v.id: v.number
        for v in session.exec(
            select(StatementVersion).where(col(StatementVersion.statement_id) == statement.id)
        )
    }
    # On the session's connection, past the ORM's row handling; streamed from the server.
    rows = session.connection().execute(
        sa_select(*_TEAM_COLUMNS)
        .where(col(Signature.statement_id) == statement.id)
        .order_by(col(Signature.id))
        .execution_options(yield_per=2000)
    )
    # Encrypted columns come back sealed (past their type): opened here in one tight loop
    # with one cipher object per key, not per value through the ORM's type machinery.
    open_sealed = encryption.keyring().open_in_place
    at = {name: index for index, name in enumerate(_TEAM_NAMES)}
    sealed = [at[name] for name in _TEAM_SEALED]
    signer = [at[name] for name in _SIGNER_COLUMNS]
    (id_, kind_, status_, listing_, name_, note_, organisation_, acronym_, version_,
     source_, submitted_, confirmed_, decided_, withdrawn_, flags_, shown_name_,
     shown_acronym_, shown_note_) = (at[name] for name in (
        "id", "kind", "status", "listing", "name", "note", "organisation", "acronym",
        "version_id", "source", "submitted_at", "confirmed_at", "decided_at",
        "withdrawn_at", "flags", "display_name", "display_acronym", "display_note",
    ))  # fmt: skip
    organisation_kind = SignerKind.ORGANISATION.value
    levels = verification.team_levels(session, statement_id=statement.id)
    # By position, not by name: this loop runs once per signature (100,000s).
    for row in rows:
        value = list(row)
        open_sealed(value, sealed)
        kind, listing = value[kind_], value[listing_]
        display_name, display_acronym = value[shown_name_], value[shown_acronym_]
        yield TeamRow(  # type: ignore[call-arg]  # by position: see the assert above
            value[id_],
            kind,
            value[status_],
            listing,
            public_line(
                listing=listing,
                kind=kind,
                name=display_name or value[name_],
                organisation=display_name or value[organisation_],
                acronym=value[acronym_] if display_acronym is None else display_acronym,
                note=value[note_] if value[shown_note_] is None else value[shown_note_],
            ),
            *[value[index] for index in signer],
            versions.get(value[version_]),
            value[source_],
            value[submitted_],
            value[confirmed_],
            value[decided_],
            value[withdrawn_],
            value[flags_],
            levels.get(value[id_], "declared") if kind == organisation_kind else "",
        )
