"""signer edits: a signer's own changes awaiting their emailed confirmation, and the
team's corrections of the note, title and country

Revision ID: 0018_signer_edits
Revises: 0017_ecosoc_status
Create Date: 2026-11-30 14:40:00

`signature_change` keeps each change a signer asks for through the link in their email
(applied once they confirm it by a second emailed link) and the values it replaced. The
new `display_*` columns hold the team's corrections; NULL shows what the signer typed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0018_signer_edits"
down_revision: str | None = "0017_ecosoc_status"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTERs: a batch rebuild of signature on SQLite would cascade to its notes.
    # TEXT: the values are stored encrypted (app/security/encryption.py).
    op.add_column("signature", sa.Column("display_title", sa.Text(), nullable=True))
    op.add_column("signature", sa.Column("display_note", sa.Text(), nullable=True))
    op.add_column("signature", sa.Column("display_country", sa.Text(), nullable=True))
    op.create_table(
        "signature_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signature_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("previous", sa.Text(), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(), nullable=False),
        sa.Column("applied_at", app.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["signature_id"], ["signature.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_signature_change_signature_id", "signature_change", ["signature_id"], unique=False
    )
    op.create_index(
        "ix_signature_change_applied_at", "signature_change", ["applied_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_signature_change_applied_at", table_name="signature_change")
    op.drop_index("ix_signature_change_signature_id", table_name="signature_change")
    op.drop_table("signature_change")
    # Plain DROP COLUMN (SQLite 3.35+): no rebuild that would cascade.
    op.drop_column("signature", "display_country")
    op.drop_column("signature", "display_note")
    op.drop_column("signature", "display_title")
