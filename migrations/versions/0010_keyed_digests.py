"""keyed digests: rate-limit keys re-keyed, lead sessions coarsened

Revision ID: 0010_keyed_digests
Revises: 0009_deliveries
Create Date: 2026-12-01 10:00:00

Rate-limit counters held plain SHA-256 digests of signers' addresses and emails, which
are reversed by guessing (IPv4 has 2^32 addresses). Their keys are now HMACs under a key
derived from SECRET_KEY; the old rows could never match a new key and would sit in the
table until pruned, so they go now (a lockout in progress starts over).

Lead sessions kept the full client address and user-agent string. They now keep the
/24 (IPv4) or /48 (IPv6) network and the browser family ("Firefox on Linux"); existing
rows are coarsened here, and the raw columns dropped. Downgrading cannot bring the raw
values back: the old columns get the coarse ones.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.security import clients

revision: str = "0010_keyed_digests"
down_revision: str | None = "0009_deliveries"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(sa.text("DELETE FROM rate_counter"))

    with op.batch_alter_table("login_session") as batch:
        batch.add_column(
            sa.Column("browser", sa.String(length=64), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("network", sa.String(length=64), nullable=False, server_default="")
        )
    login_session = sa.table(
        "login_session",
        sa.column("id", sa.Integer),
        sa.column("user_agent", sa.String),
        sa.column("ip_address", sa.String),
        sa.column("browser", sa.String),
        sa.column("network", sa.String),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(login_session.c.id, login_session.c.user_agent, login_session.c.ip_address)
    ).all()
    coarse = [
        {
            "row_id": row.id,
            "family": clients.browser_family(row.user_agent or ""),
            "net": clients.coarse_network(row.ip_address or ""),
        }
        for row in rows
    ]
    if coarse:
        conn.execute(
            login_session.update()
            .where(login_session.c.id == sa.bindparam("row_id"))
            .values(browser=sa.bindparam("family"), network=sa.bindparam("net")),
            coarse,
        )
    with op.batch_alter_table("login_session") as batch:
        batch.drop_column("user_agent")
        batch.drop_column("ip_address")


def downgrade() -> None:
    with op.batch_alter_table("login_session") as batch:
        batch.add_column(
            sa.Column("user_agent", sa.String(length=300), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("ip_address", sa.String(length=64), nullable=False, server_default="")
        )
    op.execute(sa.text("UPDATE login_session SET user_agent = browser, ip_address = network"))
    with op.batch_alter_table("login_session") as batch:
        batch.drop_column("network")
        batch.drop_column("browser")
    # Counters keyed under HMACs mean nothing to the old code; they would only age out.
    op.execute(sa.text("DELETE FROM rate_counter"))
