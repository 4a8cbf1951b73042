"""signing notices: the worker decides between a confirmation and a repeat notice

Revision ID: 0011_repeat_signing
Revises: 0010_keyed_digests
Create Date: 2026-11-25 10:00:00

Every submission of the sign form writes one `signing_notice` row, first signature or
repeat alike, so the request does the same work either way; the worker turns it into the
right email and caps how many reach an address. The per-signature counter
`duplicate_notices` it replaces is dropped (the notices themselves are the count).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0011_repeat_signing"
down_revision: str | None = "0010_keyed_digests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "signing_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signature_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(), nullable=False),
        sa.Column("done_at", app.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["signature.id"],
            name=op.f("fk_signing_notice_signature_id_signature"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_notice")),
    )
    op.create_index("ix_signing_notice_status", "signing_notice", ["status"])
    op.create_index(
        "ix_signing_notice_signature_status", "signing_notice", ["signature_id", "status"]
    )
    # A plain ALTER on both databases (SQLite ≥ 3.35): a batch rebuild of `signature` on
    # SQLite would drop the old table with foreign keys on, which cascades to its notes.
    op.execute("ALTER TABLE signature DROP COLUMN duplicate_notices")


def downgrade() -> None:
    op.add_column(
        "signature",
        sa.Column("duplicate_notices", sa.Integer(), nullable=False, server_default="0"),
    )
    op.drop_index("ix_signing_notice_signature_status", table_name="signing_notice")
    op.drop_index("ix_signing_notice_status", table_name="signing_notice")
    op.drop_table("signing_notice")
