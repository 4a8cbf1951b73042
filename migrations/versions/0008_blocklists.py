"""blocklists: a statement's blocked domains, addresses and IP ranges, and why a
signature was held

Revision ID: 0008_blocklists
Revises: 0007
Create Date: 2026-11-25 10:00:00

A hit copies the entry it matched (kind, value, who added it and when), so the reason a
signature was held still reads the same after a lead removes the entry.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0008_blocklists"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "blocklist_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=254), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("added_by_label", sa.String(length=200), nullable=False),
        sa.Column("added_at", app.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["user_account.id"],
            name=op.f("fk_blocklist_entry_added_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statement.id"],
            name=op.f("fk_blocklist_entry_statement_id_statement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocklist_entry")),
        sa.UniqueConstraint(
            "statement_id", "kind", "value", name=op.f("uq_blocklist_entry_statement_id")
        ),
    )
    op.create_table(
        "blocklist_hit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signature_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=254), nullable=False),
        sa.Column("added_by_label", sa.String(length=200), nullable=False),
        sa.Column("added_at", app.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["signature.id"],
            name=op.f("fk_blocklist_hit_signature_id_signature"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocklist_hit")),
    )
    with op.batch_alter_table("blocklist_hit", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_blocklist_hit_signature_id"), ["signature_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("blocklist_hit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_blocklist_hit_signature_id"))
    op.drop_table("blocklist_hit")
    op.drop_table("blocklist_entry")
