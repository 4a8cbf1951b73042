"""tiers: signatory groups, the list's heading, "as of" date and order

Revision ID: 0014_tiers
Revises: 0013_second_factors
Create Date: 2026-11-26 10:00:00

A statement's signatures are listed in groups ("Coordinating partners", "Signatories"),
each statement with one default group where new signatures go: every existing statement
gets its default group here. The lead chooses the list's heading, its "as of" date and how
names are ordered; all three are frozen at finalisation with the list.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0014_tiers"
down_revision: str | None = "0013_second_factors"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The default group's name in the statement's language (a name is data, not interface).
DEFAULT_NAMES = {"ko": "서명 단체 및 개인"}


def upgrade() -> None:
    op.create_table(
        "signatory_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("in_prose", sa.Boolean(), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statement.id"],
            name=op.f("fk_signatory_group_statement_id_statement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signatory_group")),
    )
    op.create_index(op.f("ix_signatory_group_statement_id"), "signatory_group", ["statement_id"])
    with op.batch_alter_table("signature", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_signature_group_id"), ["group_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_signature_group_id_signatory_group"),
            "signatory_group",
            ["group_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("statement", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("list_heading", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("list_as_of", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("list_sort", sa.String(length=32), nullable=False, server_default="name")
        )
        batch_op.add_column(
            sa.Column("prose_step", sa.Integer(), nullable=False, server_default="1")
        )
        batch_op.add_column(
            sa.Column("prose_template", sa.Text(), nullable=False, server_default="")
        )

    statement = sa.table("statement", sa.column("id", sa.Integer), sa.column("language", sa.String))
    group = sa.table(
        "signatory_group",
        sa.column("statement_id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("position", sa.Integer),
        sa.column("is_default", sa.Boolean),
        sa.column("in_prose", sa.Boolean),
        sa.column("created_at", app.core.db.UTCDateTime),
    )
    conn = op.get_bind()
    now = app.core.db.utcnow()
    rows = [
        {
            "statement_id": row.id,
            "name": DEFAULT_NAMES.get((row.language or "en").split("-")[0], "Signatories"),
            "position": 0,
            "is_default": True,
            "in_prose": True,
            "created_at": now,
        }
        for row in conn.execute(sa.select(statement.c.id, statement.c.language))
    ]
    if rows:
        conn.execute(group.insert(), rows)


def downgrade() -> None:
    with op.batch_alter_table("statement", schema=None) as batch_op:
        batch_op.drop_column("prose_template")
        batch_op.drop_column("prose_step")
        batch_op.drop_column("list_sort")
        batch_op.drop_column("list_as_of")
        batch_op.drop_column("list_heading")
    with op.batch_alter_table("signature", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_signature_group_id_signatory_group"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_signature_group_id"))
        batch_op.drop_column("group_id")
    op.drop_index(op.f("ix_signatory_group_statement_id"), table_name="signatory_group")
    op.drop_table("signatory_group")
