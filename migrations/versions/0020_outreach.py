"""outreach: a team's roster, personal invitations, reminders, referral links

Five new tables (outreach_contact, outreach_plan, outreach_invitation, outreach_referral,
outreach_arrival); nothing existing changes.

Revision ID: 0020_outreach
Revises: 0019_verification
Create Date: 2026-11-30 14:14:32.439496
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0020_outreach"
down_revision: str | None = "0019_verification"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outreach_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("organisation", sa.String(length=300), nullable=False),
        sa.Column("acronym", sa.String(length=40), nullable=False),
        sa.Column("website", sa.String(length=300), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("group_name", sa.String(length=100), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("org_key", sa.String(length=300), nullable=False),
        sa.Column("site", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("source_statement_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_statement_id"],
            ["statement.id"],
            name=op.f("fk_outreach_contact_source_statement_id_statement"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statement.id"],
            name=op.f("fk_outreach_contact_statement_id_statement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_contact")),
    )
    with op.batch_alter_table("outreach_contact", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outreach_contact_statement_id"), ["statement_id"], unique=False
        )
        batch_op.create_index(
            "ix_outreach_contact_statement_org_key", ["statement_id", "org_key"], unique=False
        )

    op.create_table(
        "outreach_plan",
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("reminder_hours", sa.String(length=40), nullable=False),
        sa.Column("updated_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statement.id"],
            name=op.f("fk_outreach_plan_statement_id_statement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("statement_id", name=op.f("pk_outreach_plan")),
    )
    op.create_table(
        "outreach_referral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statement.id"],
            name=op.f("fk_outreach_referral_statement_id_statement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_referral")),
        sa.UniqueConstraint("code", name=op.f("uq_outreach_referral_code")),
    )
    with op.batch_alter_table("outreach_referral", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outreach_referral_statement_id"), ["statement_id"], unique=False
        )

    op.create_table(
        "outreach_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("email_key", sa.String(length=254), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("organisation", sa.String(length=300), nullable=False),
        sa.Column("acronym", sa.String(length=40), nullable=False),
        sa.Column("website", sa.String(length=300), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("invited_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("signature_id", sa.Integer(), nullable=True),
        sa.Column("message_ref", sa.String(length=200), nullable=False),
        sa.Column("stop_reminders", sa.Boolean(), nullable=False),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.Column("reminded_through", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["outreach_contact.id"],
            name=op.f("fk_outreach_invitation_contact_id_outreach_contact"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["signature.id"],
            name=op.f("fk_outreach_invitation_signature_id_signature"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statement.id"],
            name=op.f("fk_outreach_invitation_statement_id_statement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_invitation")),
        sa.UniqueConstraint(
            "statement_id", "email_key", name=op.f("uq_outreach_invitation_statement_id")
        ),
    )
    with op.batch_alter_table("outreach_invitation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outreach_invitation_message_ref"), ["message_ref"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outreach_invitation_statement_id"), ["statement_id"], unique=False
        )
        batch_op.create_index(
            "ix_outreach_invitation_status", ["status", "stop_reminders"], unique=False
        )

    op.create_table(
        "outreach_arrival",
        sa.Column("signature_id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["outreach_invitation.id"],
            name=op.f("fk_outreach_arrival_invitation_id_outreach_invitation"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["outreach_referral.id"],
            name=op.f("fk_outreach_arrival_referral_id_outreach_referral"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["signature.id"],
            name=op.f("fk_outreach_arrival_signature_id_signature"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statement.id"],
            name=op.f("fk_outreach_arrival_statement_id_statement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("signature_id", name=op.f("pk_outreach_arrival")),
    )
    with op.batch_alter_table("outreach_arrival", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outreach_arrival_referral_id"), ["referral_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outreach_arrival_statement_id"), ["statement_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outreach_arrival", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outreach_arrival_statement_id"))
        batch_op.drop_index(batch_op.f("ix_outreach_arrival_referral_id"))

    op.drop_table("outreach_arrival")
    with op.batch_alter_table("outreach_invitation", schema=None) as batch_op:
        batch_op.drop_index("ix_outreach_invitation_status")
        batch_op.drop_index(batch_op.f("ix_outreach_invitation_statement_id"))
        batch_op.drop_index(batch_op.f("ix_outreach_invitation_message_ref"))

    op.drop_table("outreach_invitation")
    with op.batch_alter_table("outreach_referral", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outreach_referral_statement_id"))

    op.drop_table("outreach_referral")
    op.drop_table("outreach_plan")
    with op.batch_alter_table("outreach_contact", schema=None) as batch_op:
        batch_op.drop_index("ix_outreach_contact_statement_org_key")
        batch_op.drop_index(batch_op.f("ix_outreach_contact_statement_id"))

    op.drop_table("outreach_contact")
