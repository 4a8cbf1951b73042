"""organisation verification: a level per organisation signature, a statement's policy

Revision ID: 0019_verification
Revises: 0018_signer_edits
Create Date: 2026-11-30 14:30:00

Each organisation signature gets a verification row (made by the worker): its level
(declared, mailbox, second person, domain control), the domains the checks use (never an
address), the code for the DNS TXT record or /.well-known/ file, the DMARC policy seen and
why the level is not higher. Each statement may choose to show the level publicly and to
hold organisations below a level.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0019_verification"
down_revision: str | None = "0018_signer_edits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "org_verification",
        sa.Column("signature_id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=32), nullable=False),
        sa.Column("email_domain", sa.String(length=254), nullable=False),
        sa.Column("site", sa.String(length=300), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("dmarc", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("checked_at", app.core.db.UTCDateTime(), nullable=True),
        sa.Column("check_due_at", app.core.db.UTCDateTime(), nullable=True),
        sa.Column("checks_left", sa.Integer(), nullable=False),
        sa.Column("known_notice_done", sa.Boolean(), nullable=False),
        sa.Column("disputed_at", app.core.db.UTCDateTime(), nullable=True),
        sa.Column("second_domain", sa.String(length=254), nullable=False),
        sa.Column("second_nonce", sa.String(length=64), nullable=False),
        sa.Column("second_confirmed_at", app.core.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", app.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["signature.id"],
            name=op.f("fk_org_verification_signature_id_signature"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statement.id"],
            name=op.f("fk_org_verification_statement_id_statement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("signature_id", name=op.f("pk_org_verification")),
    )
    op.create_index("ix_org_verification_due", "org_verification", ["check_due_at"])
    op.create_index(op.f("ix_org_verification_statement_id"), "org_verification", ["statement_id"])
    op.create_table(
        "verification_policy",
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("show_mark", sa.Boolean(), nullable=False),
        sa.Column("min_level", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statement.id"],
            name=op.f("fk_verification_policy_statement_id_statement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("statement_id", name=op.f("pk_verification_policy")),
    )


def downgrade() -> None:
    op.drop_table("verification_policy")
    op.drop_index(op.f("ix_org_verification_statement_id"), table_name="org_verification")
    op.drop_index("ix_org_verification_due", table_name="org_verification")
    op.drop_table("org_verification")
