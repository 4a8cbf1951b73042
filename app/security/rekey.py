"""Re-writing every encrypted column in batches: sealing plaintext left by an upgrade
(`undersigned encrypt-existing`), moving values to a new key (`undersigned
rotate-encryption-key`), and opening them again when the schema is downgraded.

Each batch is its own transaction, in id order, and only rows with a value that needs the
change are written: a run that stops half-way is resumed by running it again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass

from sqlalchemy import Column, Engine, Table, Text, bindparam, select, type_coerce, update
from sqlalchemy.engine import Connection

from app.core.db import writer
from app.security.encryption import PREFIX, EncryptedText, Keyring, keyring

# The tables with encrypted columns, by name, and those columns: read from the models so
# that a column marked EncryptedText is never left out.


def encrypted_tables() -> dict[str, tuple[Table, list[Column[str]]]]:
    from app import models  # noqa: F401 - every table registered first
    from app.core.db import metadata

    found: dict[str, tuple[Table, list[Column[str]]]] = {}
    for table in metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, EncryptedText)]
        if columns:
            found[table.name] = (table, columns)
    return found


@dataclass
class Progress:
    table: str
    rows_written: int


def rewrite(
    bind: Engine | Connection,
    *,
    needs: Callable[[str], bool],
    change: Callable[[str], str],
    batch_size: int = 500,
) -> Iterator[Progress]:
    """Every encrypted value for which `needs(stored)` holds becomes `change(stored)`,
    read and written raw (past the column type). With an engine, each batch is committed
    on its own; with a connection (a migration), everything is in its transaction. Yields
    after each batch."""
    for name, (table, columns) in encrypted_tables().items():
        pk = table.c.id
        after = 0
        while True:
            with writer(bind).begin() if isinstance(bind, Engine) else nullcontext(bind) as conn:
                rows = conn.execute(
                    select(pk, *(type_coerce(c, Text()) for c in columns))
                    .where(pk > after)
                    .order_by(pk)
                    .limit(batch_size)
                ).all()
                if not rows:
                    break
                after = rows[-1][0]
                written = 0
                for row in rows:
                    values = {
                        c.name: change(v)
                        for c, v in zip(columns, row[1:], strict=True)
                        if v is not None and needs(v)
                    }
                    if values:
                        conn.execute(
                            update(table)
                            .where(pk == row[0])
                            .values({table.c[k]: bindparam(k, type_=Text()) for k in values}),
                            values,
                        )
                        written += 1
            yield Progress(table=name, rows_written=written)


def seal_plaintext(bind: Engine | Connection, *, batch_size: int = 500) -> Iterator[Progress]:
    """Encrypt what an installation upgraded from plaintext still holds in clear."""
    ring = keyring()
    return rewrite(
        bind,
        needs=lambda v: bool(v) and not v.startswith(PREFIX),
        change=ring.encrypt,
        batch_size=batch_size,
    )


def rotate(bind: Engine | Connection, *, batch_size: int = 500) -> Iterator[Progress]:
    """Move every value (and any plaintext) to the current key; old keys must be given
    as ENCRYPTION_OLD_KEYS until this has finished."""
    ring: Keyring = keyring()
    return rewrite(
        bind,
        needs=ring.needs_rewrite,
        change=lambda v: ring.encrypt(ring.decrypt(v)),
        batch_size=batch_size,
    )


def open_all(bind: Engine | Connection, *, batch_size: int = 500) -> Iterator[Progress]:
    """Decrypt everything (a downgrade to a schema from before encryption)."""
    ring = keyring()
    return rewrite(
        bind, needs=lambda v: v.startswith(PREFIX), change=ring.decrypt, batch_size=batch_size
    )
