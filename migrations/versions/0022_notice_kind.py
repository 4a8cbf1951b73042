"""the thank-you email is the worker's: a signing notice has a kind

Revision ID: 0022_notice_kind
Revises: 0021_multi_organisation
Create Date: 2026-11-30 20:40:00

A confirmation wrote and rendered its thank-you email in the request. It now writes a
`signing_notice` of kind "confirmed", which the worker turns into the email (as it does
the confirmation and repeat emails for kind "signed", the default for existing rows).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_notice_kind"
down_revision: str | None = "0021_multi_organisation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("signing_notice") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=32), nullable=False, server_default="signed")
        )


def downgrade() -> None:
    # Thank-you notices not yet emailed would read as sign-form notices: drop them.
    op.execute("DELETE FROM signing_notice WHERE kind <> 'signed'")
    with op.batch_alter_table("signing_notice") as batch:
        batch.drop_column("kind")
