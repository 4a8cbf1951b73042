"""account safety: session idle time, token scopes and expiry, password resets, phrase

Revision ID: 0015_account_safety
Revises: 0014_tiers
Create Date: 2026-11-30 10:00:00

Sessions record when they were last seen (the idle timeout). API tokens get an expiry and
scopes: existing tokens keep working for 90 days from this migration, with read and write
but not contact data (a script that reads signers' emails needs a new token). Password
resets keep their single-use nonce in their own table. Failed sign-ins are counted per
address and per account+address with the time of the last one (growing delays, no lockout). Each lead may set a phrase shown in
every email to them.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0015_account_safety"
down_revision: str | None = "0014_tiers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTERs: a batch rebuild of user_account or login_session on SQLite would drop
    # the old table with foreign keys on, and cascade to everything that names a lead.
    op.add_column(
        "user_account",
        sa.Column("anti_phishing_phrase", sa.String(length=100), nullable=False, server_default=""),
    )
    op.add_column(
        "login_session", sa.Column("last_seen_at", app.core.db.UTCDateTime(), nullable=True)
    )
    op.add_column("api_token", sa.Column("expires_at", app.core.db.UTCDateTime(), nullable=True))
    op.add_column(
        "api_token",
        sa.Column("scopes", sa.String(length=100), nullable=False, server_default="read write"),
    )
    tokens = sa.table("api_token", sa.column("expires_at", app.core.db.UTCDateTime()))
    op.execute(tokens.update().values(expires_at=datetime.now(UTC) + timedelta(days=90)))
    # Nothing refers to api_token, so rebuilding it on SQLite cascades nowhere.
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.alter_column("expires_at", existing_type=app.core.db.UTCDateTime(), nullable=False)
        batch_op.alter_column("scopes", existing_type=sa.String(length=100), server_default=None)
    op.create_table(
        "password_reset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(), nullable=False),
        sa.Column("expires_at", app.core.db.UTCDateTime(), nullable=False),
        sa.Column("used_at", app.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_password_reset_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset")),
        sa.UniqueConstraint("nonce", name=op.f("uq_password_reset_nonce")),
    )
    op.create_index(op.f("ix_password_reset_user_id"), "password_reset", ["user_id"], unique=False)
    op.create_table(
        "sign_in_failures",
        sa.Column("bucket", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", app.core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "key", name=op.f("pk_sign_in_failures")),
    )


def downgrade() -> None:
    op.drop_table("sign_in_failures")
    op.drop_index(op.f("ix_password_reset_user_id"), table_name="password_reset")
    op.drop_table("password_reset")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("scopes")
        batch_op.drop_column("expires_at")
    op.execute("ALTER TABLE login_session DROP COLUMN last_seen_at")
    op.execute("ALTER TABLE user_account DROP COLUMN anti_phishing_phrase")
