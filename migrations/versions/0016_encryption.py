"""encryption at rest: blind index for emails, plain look-alike keys only for named organisations

Revision ID: 0016_encryption
Revises: 0015_account_safety
Create Date: 2026-11-30 14:30:00

Signers' emails, names and details, the team's corrections and notes, privacy requests
and the outbox's addresses and bodies are now stored encrypted (app.security.encryption).
Encrypted values are longer than the typed limits, so on PostgreSQL these columns become
TEXT (SQLite does not enforce lengths). The values themselves are encrypted by
`undersigned encrypt-existing`, after this migration, on an installation that had
signatures before it: until then they read as they are.

`signature.email_key` held the normalised address in clear; it becomes its blind index
(an HMAC under a key derived from SECRET_KEY), computed here from the address. The unique
constraint on (statement, kind, email_key) stays on the same column. A new
`acronym_key` holds the lower-case acronym for the look-alike check, and the plain
comparison keys (`org_key`, `site`, `acronym_key`) are kept only for organisations
listed by name: an anonymous or counted-only organisation's are emptied.

Downgrading decrypts every value with the configured key and puts the normalised
address back in `email_key`.
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from app.security import rekey
from app.signatures import forms

revision: str = "0016_encryption"
down_revision: str | None = "0015_account_safety"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENCRYPTED = {
    "signature": {
        "name": 200,
        "title": 200,
        "note": 300,
        "email": 254,
        "country": 2,
        "organisation": 300,
        "acronym": 40,
        "website": 300,
        "display_name": 300,
        "display_acronym": 40,
        "source_note": 500,
    },
    "outbox_message": {"to_address": 254, "to_name": 200},
    "privacy_request": {"email": 254},
}

_signature = sa.table(
    "signature",
    sa.column("id", sa.Integer),
    sa.column("email", sa.Text),
    sa.column("email_key", sa.String),
    sa.column("kind", sa.String),
    sa.column("listing", sa.String),
    sa.column("acronym", sa.Text),
    sa.column("org_key", sa.String),
    sa.column("site", sa.String),
    sa.column("acronym_key", sa.String),
)


def upgrade() -> None:
    op.add_column(
        "signature",
        sa.Column("acronym_key", sa.String(length=300), nullable=False, server_default=""),
    )
    if op.get_bind().dialect.name == "postgresql":
        for table, columns in ENCRYPTED.items():
            for column in columns:
                op.alter_column(table, column, type_=sa.Text(), existing_nullable=True)
    s = _signature
    named_org = sa.and_(s.c.kind == "organisation", s.c.listing == "named")
    op.execute(s.update().where(named_org).values(acronym_key=sa.func.lower(s.c.acronym)))
    op.execute(s.update().where(sa.not_(named_org)).values(org_key="", site="", acronym_key=""))
    _set_email_keys(forms.email_key)


def downgrade() -> None:
    conn = op.get_bind()
    for _progress in rekey.open_all(conn):
        pass
    _set_email_keys(forms.normal_address)
    op.drop_column("signature", "acronym_key")
    if conn.dialect.name == "postgresql":
        for table, columns in ENCRYPTED.items():
            for column, length in columns.items():
                op.alter_column(
                    table, column, type_=sa.String(length=length), existing_nullable=True
                )


def _set_email_keys(key: Callable[[str], str]) -> None:
    """Every signature's email_key from its (plain) address; a deleted one keeps its
    "deleted:<id>" placeholder."""
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(_signature.c.id, _signature.c.email).where(
            sa.not_(_signature.c.email_key.startswith("deleted:")), _signature.c.email != ""
        )
    ).all()
    keys = [{"row_id": row.id, "new_key": key(row.email)} for row in rows]
    if keys:
        conn.execute(
            _signature.update()
            .where(_signature.c.id == sa.bindparam("row_id"))
            .values(email_key=sa.bindparam("new_key")),
            keys,
        )
