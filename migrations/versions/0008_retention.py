"""retention: contact details deleted after finalisation, signers' privacy requests

Revision ID: 0008_retention
Revises: 0007
Create Date: 2026-11-25 10:00:00

Each statement keeps how many days after finalisation its signers' contact details are
deleted (90 unless the lead chooses) and when that was done. Outbox rows record the
statement they are about, so sent bodies go with the rest. Privacy requests wait in
their own table for the worker.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0008_retention"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("statement", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("retention_days", sa.Integer(), nullable=False, server_default="90")
        )
        batch_op.add_column(
            sa.Column("contact_purged_at", app.core.db.UTCDateTime(), nullable=True)
        )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("statement_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_outbox_message_statement_id"), ["statement_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_message_statement_id_statement"),
            "statement",
            ["statement_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "privacy_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_request")),
    )


def downgrade() -> None:
    op.drop_table("privacy_request")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_outbox_message_statement_id_statement"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_outbox_message_statement_id"))
        batch_op.drop_column("statement_id")
    with op.batch_alter_table("statement", schema=None) as batch_op:
        batch_op.drop_column("contact_purged_at")
        batch_op.drop_column("retention_days")
