"""one person signs for several organisations: the organisation's blind index in the key

Revision ID: 0021_multi_organisation
Revises: 0020_outreach
Create Date: 2026-11-30 17:45:00

A signature was unique on (statement, kind, email_key), so one address could sign for one
organisation per statement. `signature.org_party_key` is the keyed digest of the
organisation's folded name (`similarity.party_key`; "" for individuals), and the unique
constraint becomes (statement, kind, email_key, org_party_key): one signature per address
and organisation. Existing rows get their key here, computed in Python from the
organisation's name (decrypted with the configured key when it is sealed).

Downgrading drops the column and puts the old constraint back; it fails if one address
has meanwhile signed for two organisations of one statement (delete one of them first).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.security import encryption
from app.signatures import similarity

revision: str = "0021_multi_organisation"
down_revision: str | None = "0020_outreach"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONSTRAINT = "uq_signature_statement_id"  # the naming convention's: its first column

_signature = sa.table(
    "signature",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("organisation", sa.Text),
    sa.column("org_party_key", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("signature") as batch:
        batch.add_column(
            sa.Column("org_party_key", sa.String(length=64), nullable=False, server_default="")
        )
    _set_party_keys()
    with op.batch_alter_table("signature") as batch:
        batch.alter_column("org_party_key", server_default=None)
        batch.drop_constraint(CONSTRAINT, type_="unique")
        batch.create_unique_constraint(
            CONSTRAINT, ["statement_id", "kind", "email_key", "org_party_key"]
        )


def downgrade() -> None:
    with op.batch_alter_table("signature") as batch:
        batch.drop_constraint(CONSTRAINT, type_="unique")
        batch.create_unique_constraint(CONSTRAINT, ["statement_id", "kind", "email_key"])
        batch.drop_column("org_party_key")


def _set_party_keys() -> None:
    conn = op.get_bind()
    s = _signature
    rows = conn.execute(sa.select(s.c.id, s.c.organisation).where(s.c.kind == "organisation")).all()
    keys = [
        {
            "row_id": row.id,
            "key": similarity.party_key("organisation", encryption.decrypt(row.organisation or "")),
        }
        for row in rows
    ]
    if keys:
        conn.execute(
            s.update()
            .where(s.c.id == sa.bindparam("row_id"))
            .values(org_party_key=sa.bindparam("key")),
            keys,
        )
