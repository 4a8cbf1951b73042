"""translations in the document

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("statement", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "document_languages", sa.String(length=200), nullable=False, server_default=""
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("statement", schema=None) as batch_op:
        batch_op.drop_column("document_languages")
