"""organisation look-alike keys on signatures

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 14:40:00

Each organisation signature keeps its folded name and website domain, so a new signature
is compared against the statement's organisations in one query (it used to read and
re-normalise all of them: a second per signature at 30,000 organisations).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.signatures import similarity

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for name in ("org_key", "site"):
        op.add_column(
            "signature",
            sa.Column(name, sa.String(length=300), nullable=False, server_default=""),
        )
    signature = sa.table(
        "signature",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("organisation", sa.String),
        sa.column("website", sa.String),
        sa.column("org_key", sa.String),
        sa.column("site", sa.String),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(signature.c.id, signature.c.organisation, signature.c.website).where(
            signature.c.kind == "organisation"
        )
    ).all()
    keys = [
        {
            "row_id": row.id,
            "key": similarity.org_key(row.organisation or ""),
            "domain": similarity.website_domain(row.website or "")[: similarity.KEY_LENGTH],
        }
        for row in rows
    ]
    if keys:
        conn.execute(
            signature.update()
            .where(signature.c.id == sa.bindparam("row_id"))
            .values(org_key=sa.bindparam("key"), site=sa.bindparam("domain")),
            keys,
        )


def downgrade() -> None:
    with op.batch_alter_table("signature") as batch:
        batch.drop_column("site")
        batch.drop_column("org_key")
