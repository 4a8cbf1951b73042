"""retention: contact details deleted after finalisation, signers' privacy requests

Revision ID: 0012_retention
Revises: 0011_repeat_signing
Create Date: 2026-11-25 10:00:00

Each statement keeps how many days after finalisation its signers' contact details are
deleted (90 unless the lead chooses) and when that was done (outbox rows already record
their statement, 0009). Privacy requests wait in their own table for the worker.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0012_retention"
down_revision: str | None = "0011_repeat_signing"
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
    with op.batch_alter_table("statement", schema=None) as batch_op:
        batch_op.drop_column("contact_purged_at")
        batch_op.drop_column("retention_days")
