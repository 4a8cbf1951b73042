"""second factors: passkeys, TOTP, recovery codes, step-up, site settings

Revision ID: 0013_second_factors
Revises: 0012_retention
Create Date: 2026-11-30 12:00:00

A lead's passkeys (public keys and sign counts), one TOTP app, hashed recovery codes;
WebAuthn challenges in flight; a "passkey only" switch per account; when each sign-in
session last proved a second factor; and a small table of settings an administrator
changes on a page ("every lead must use a second factor").
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0013_second_factors"
down_revision: str | None = "0012_retention"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("passkey_only", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("login_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stepped_up_at", app.core.db.UTCDateTime(), nullable=True))
    op.create_table(
        "passkey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("credential_id", sa.String(length=1400), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.Integer(), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(), nullable=False),
        sa.Column("last_used_at", app.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_passkey_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passkey")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_passkey_credential_id")),
    )
    op.create_index(op.f("ix_passkey_user_id"), "passkey", ["user_id"], unique=False)
    op.create_table(
        "totp_factor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("confirmed_at", app.core.db.UTCDateTime(), nullable=True),
        sa.Column("last_used_step", sa.Integer(), nullable=True),
        sa.Column("created_at", app.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_totp_factor_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_totp_factor")),
        sa.UniqueConstraint("user_id", name=op.f("uq_totp_factor_user_id")),
    )
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(), nullable=False),
        sa.Column("used_at", app.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_recovery_code_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_code")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_recovery_code_code_hash")),
    )
    op.create_index(op.f("ix_recovery_code_user_id"), "recovery_code", ["user_id"], unique=False)
    op.create_table(
        "webauthn_challenge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("binding_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("challenge", sa.String(length=200), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(), nullable=False),
        sa.Column("expires_at", app.core.db.UTCDateTime(), nullable=False),
        sa.Column("used_at", app.core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_webauthn_challenge_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webauthn_challenge")),
    )
    op.create_index(
        op.f("ix_webauthn_challenge_binding_hash"),
        "webauthn_challenge",
        ["binding_hash"],
        unique=False,
    )
    op.create_index(
        op.f("ix_webauthn_challenge_expires_at"), "webauthn_challenge", ["expires_at"], unique=False
    )
    op.create_index(
        op.f("ix_webauthn_challenge_user_id"), "webauthn_challenge", ["user_id"], unique=False
    )
    op.create_table(
        "site_setting",
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("updated_at", app.core.db.UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_site_setting_updated_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_site_setting")),
    )


def downgrade() -> None:
    op.drop_table("site_setting")
    op.drop_index(op.f("ix_webauthn_challenge_user_id"), table_name="webauthn_challenge")
    op.drop_index(op.f("ix_webauthn_challenge_expires_at"), table_name="webauthn_challenge")
    op.drop_index(op.f("ix_webauthn_challenge_binding_hash"), table_name="webauthn_challenge")
    op.drop_table("webauthn_challenge")
    op.drop_index(op.f("ix_recovery_code_user_id"), table_name="recovery_code")
    op.drop_table("recovery_code")
    op.drop_table("totp_factor")
    op.drop_index(op.f("ix_passkey_user_id"), table_name="passkey")
    op.drop_table("passkey")
    with op.batch_alter_table("login_session", schema=None) as batch_op:
        batch_op.drop_column("stepped_up_at")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("passkey_only")
