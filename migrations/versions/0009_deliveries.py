"""deliveries: outbox rows know their signature and statement; the grace is a setting

Revision ID: 0009_deliveries
Revises: 0008_blocklists
Create Date: 2026-11-25 10:00:00

A statement's leads see the failed deliveries of its signers' emails, so each outbox row
written for a signer keeps the signature and statement it is about (rows already queued
stay unattributed: nothing reliable says which signature they were for).

The grace for confirming after the deadline is the CONFIRM_GRACE_MINUTES setting, stated
in the confirmation email; the per-statement column nobody could set goes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_deliveries"
down_revision: str | None = "0008_blocklists"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("signature_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("statement_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_outbox_message_signature_id_signature"),
            "signature",
            ["signature_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_foreign_key(
            op.f("fk_outbox_message_statement_id_statement"),
            "statement",
            ["statement_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_outbox_message_signature_id", ["signature_id"], unique=False)
        batch.create_index(
            "ix_outbox_message_statement_status", ["statement_id", "status"], unique=False
        )
    with op.batch_alter_table("statement") as batch:
        batch.drop_column("confirm_grace_minutes")


def downgrade() -> None:
    with op.batch_alter_table("statement") as batch:
        batch.add_column(
            sa.Column("confirm_grace_minutes", sa.Integer(), nullable=False, server_default="60")
        )
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_index("ix_outbox_message_statement_status")
        batch.drop_index("ix_outbox_message_signature_id")
        batch.drop_constraint(op.f("fk_outbox_message_statement_id_statement"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_outbox_message_signature_id_signature"), type_="foreignkey")
        batch.drop_column("statement_id")
        batch.drop_column("signature_id")
