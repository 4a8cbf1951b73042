"""ecosoc status: an organisation's consultative status with ECOSOC

Revision ID: 0017_ecosoc_status
Revises: 0016_encryption
Create Date: 2026-11-30 14:00:00

Organisations may say whether they hold general, special or roster consultative status
with the UN Economic and Social Council; the HRC written-statement layout groups
co-sponsors by it. Every existing signature reads as "none" (not stated).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_ecosoc_status"
down_revision: str | None = "0016_encryption"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ALTER with a server default: no batch rebuild of the signature table.
    op.add_column(
        "signature",
        sa.Column("ecosoc_status", sa.String(length=32), nullable=False, server_default="none"),
    )


def downgrade() -> None:
    with op.batch_alter_table("signature", schema=None) as batch_op:
        batch_op.drop_column("ecosoc_status")
