"""`undersigned backup` and `undersigned restore`: one file holding the whole database.

SQLite is copied with the sqlite3 online backup API, which takes a consistent snapshot while
the app goes on writing (WAL readers never block writers). PostgreSQL is dumped with
`pg_dump --format=custom` and loaded with `pg_restore --no-owner`. The database password
never appears on a command line (where `ps` shows it): the child gets it as PGPASSWORD.

The database is not everything: signed links and sessions need the same SECRET_KEY, and the
final PDFs' signatures need the signing certificate. `companions()` names what to keep.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, make_url
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from app.core import schema
from app.core.config import Settings
from app.core.db import is_sqlite, make_engine

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"
CLIENT_PACKAGE = "postgresql-client"
DEV_P12_FILE = "dev-signing.p12"
DEV_PASSPHRASE_FILE = "dev-signing.pass"  # noqa: S105 (a file name, not a secret)
# Files the app keeps under DATA_DIR that are not worth a mention: a lock, SQLite's own.
_TRANSIENT_SUFFIXES = ("-wal", "-shm", "-journal", ".lock")


class BackupError(Exception):
    """A backup or restore that could not be done, said in words for the operator."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Restored:
    revision: str | None  # the Alembic revision found in the restored database
    head: str  # the newest revision this code knows
    known: bool  # the revision is one of this code's migrations

    @property
    def needs_migrate(self) -> bool:
        return self.known and self.revision != self.head


def backup(*, database_url: str, out: Path) -> None:
    """Write a consistent copy of the database at `database_url` to `out`.

    The copy is written beside `out` and renamed into place, so a failed backup never leaves
    a half-written file where last night's good one was."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        if is_sqlite(database_url):
            _backup_sqlite(_sqlite_path(database_url), partial)
        else:
            _backup_postgres(make_url(database_url), partial)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)


def restore(*, database_url: str, source: Path, force: bool = False) -> Restored:
    """Load the backup `source` into the database at `database_url`.

    A database that already holds tables is only overwritten with `force`."""
    kind = _kind_of(source)
    if is_sqlite(database_url):
        if kind != "sqlite":
            raise BackupError(
                f"{source} is a PostgreSQL dump: restore it into a PostgreSQL database "
                "(--database-url postgresql+psycopg://…)."
            )
        _restore_sqlite(source, _sqlite_path(database_url), force=force)
    else:
        if kind != "postgresql":
            raise BackupError(
                f"{source} is a SQLite backup: restore it into a SQLite database "
                "(--database-url sqlite:///path/to/undersigned.db)."
            )
        _restore_postgres(source, make_url(database_url), force=force)
    return _revision(database_url)


def companions(settings: Settings, *, written: Path | None = None) -> list[str]:
    """What must be kept beside the database dump for a full restore, one line each
    (`written` is the backup just made, which may itself sit under DATA_DIR)."""
    data_dir = settings.data_dir
    kept: list[str] = []
    secret_file = data_dir / "secret_key"
    generated = secret_file.is_file() and (
        secret_file.read_text().strip() == settings.secret_key.get_secret_value()
    )
    if generated:
        kept.append(
            f"{secret_file}: the generated SECRET_KEY; sessions, invitations and the links "
            "in emails are signed with it"
        )
    else:
        kept.append(
            "SECRET_KEY (from the environment or .env): sessions, invitations and the links "
            "in emails are signed with it"
        )
    key_file = settings.encryption_key_file or data_dir / "encryption_key"
    kept.append(
        f"the encryption key ({key_file if key_file.is_file() else 'ENCRYPTION_KEY'}): "
        "signers' data in this backup is encrypted with it; without it the backup is "
        "useless. Keep it apart from the backups"
    )
    # The names signing.py gives the development certificate (not imported: it loads
    # pyHanko, which a backup has no use for; a test keeps the two in step).
    dev_p12, dev_pass = data_dir / DEV_P12_FILE, data_dir / DEV_PASSPHRASE_FILE
    if settings.signing_p12_path is not None:
        kept.append(
            f"{settings.signing_p12_path} (SIGNING_P12_PATH) and SIGNING_P12_PASSPHRASE: the "
            "certificate that signs final PDFs"
        )
    else:
        made = "" if dev_p12.is_file() else " (made when the first final PDF is signed)"
        kept.append(
            f"{dev_p12} and {dev_pass}: the development certificate that signs final PDFs{made}"
        )
    database = (
        _sqlite_path(settings.database_url).resolve() if is_sqlite(settings.database_url) else None
    )
    named = {secret_file.resolve(), key_file.resolve(), dev_p12.resolve(), dev_pass.resolve()}
    if written is not None:
        named.add(written.resolve())
    if data_dir.is_dir():
        for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
            resolved = path.resolve()
            if resolved in named or path.name.endswith(_TRANSIENT_SUFFIXES):
                continue
            if database is not None and resolved == database:
                continue
            kept.append(f"{path}: a file under DATA_DIR")
    return kept


# --- SQLite ---------------------------------------------------------------------------------


def _sqlite_path(database_url: str) -> Path:
    name = make_url(database_url).database or ""
    if name in ("", ":memory:"):
        raise BackupError(f"{database_url} is not a SQLite file that can be backed up.")
    return Path(name)


def _backup_sqlite(path: Path, partial: Path) -> None:
    if not path.is_file():
        raise BackupError(f"There is no database at {path} (DATABASE_URL).")
    source = sqlite3.connect(path, timeout=30)
    target = sqlite3.connect(partial)
    try:
        source.backup(target)  # one step: a single consistent snapshot of the source
        # The copy keeps the source's WAL mode; one self-contained file is what a backup is.
        target.execute("PRAGMA journal_mode=DELETE")
        _check_integrity(target, partial)
    except sqlite3.Error as error:
        raise BackupError(f"Could not back up {path}: {error}") from error
    finally:
        target.close()
        source.close()


def _restore_sqlite(source: Path, path: Path, *, force: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    backup_db = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        _check_integrity(backup_db, source)
        target = sqlite3.connect(path, timeout=30)
        try:
            tables = target.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
            ).fetchone()[0]
            if tables and not force:
                raise BackupError(
                    f"{path} already holds a database ({tables} tables). Restore into a new "
                    "path, or add --force to replace it."
                )
            # The backup API, not a file copy: it replaces the target page by page under a
            # lock, and leaves no stale -wal file of the old database to be replayed over it.
            backup_db.backup(target)
            target.execute("PRAGMA journal_mode=WAL")
            _check_integrity(target, path)
        finally:
            target.close()
    except sqlite3.Error as error:
        raise BackupError(f"Could not restore {source} into {path}: {error}") from error
    finally:
        backup_db.close()


def _check_integrity(conn: sqlite3.Connection, path: Path) -> None:
    problems = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
    if problems != ["ok"]:
        raise BackupError(f"{path} fails PRAGMA integrity_check: {'; '.join(problems[:5])}")


# --- PostgreSQL -----------------------------------------------------------------------------


def client_program(name: str) -> str:
    """The path of a PostgreSQL client program: on PATH, or the newest under
    /usr/lib/postgresql (where Debian puts them when only a server is installed)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if candidates:
        return str(candidates[-1])
    raise BackupError(
        f"{name} was not found. Install the PostgreSQL client programs "
        f"(Debian/Ubuntu: apt-get install {CLIENT_PACKAGE}) and try again."
    )


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the child's environment with it."""
    # Built anew: URL.set(password=None) would keep the password it means to drop.
    bare = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    uri = bare.render_as_string(hide_password=False)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return uri, env


def _run(args: list[str], env: dict[str, str], doing: str) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        detail = result.stderr.strip() or result.stdout.strip() or f"exit {result.returncode}"
        raise BackupError(f"{doing} failed ({Path(args[0]).name}):\n{detail}")


def _backup_postgres(url: URL, partial: Path) -> None:
    uri, env = _libpq(url)
    program = client_program("pg_dump")
    _run(
        [program, "--format=custom", "--no-password", f"--file={partial}", f"--dbname={uri}"],
        env,
        f"Backing up {url.database}",
    )


def _restore_postgres(source: Path, url: URL, *, force: bool) -> None:
    program = client_program("pg_restore")
    uri, env = _libpq(url)
    # Read the whole table of contents first: a damaged file is refused before the target
    # database is touched.
    _run([program, "--list", str(source)], env, f"Reading {source}")
    tables = _table_count(url)
    if tables and not force:
        raise BackupError(
            f"The database {url.database} already holds {tables} tables. Restore into a new, "
            "empty database (createdb), or add --force to replace its contents."
        )
    args = [program, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    if tables:
        args += ["--clean", "--if-exists"]
    _run([*args, "--no-password", f"--dbname={uri}", str(source)], env, "Restoring")


def _table_count(url: URL) -> int:
    engine = _engine(url.render_as_string(hide_password=False))
    try:
        with engine.connect() as conn:
            return sum(
                len(inspect(conn).get_table_names(schema=name))
                for name in inspect(conn).get_schema_names()
                if name not in ("information_schema",) and not name.startswith("pg_")
            )
    except SQLAlchemyError as error:
        raise BackupError(
            f"Cannot connect to the database {url.database}: {_reason(error)}"
        ) from error
    finally:
        engine.dispose()


# --- Both -----------------------------------------------------------------------------------


def _kind_of(source: Path) -> str:
    try:
        with source.open("rb") as file:
            head = file.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise BackupError(f"Cannot read the backup {source}: {error.strerror}.") from error
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_CUSTOM_MAGIC):
        return "postgresql"
    raise BackupError(
        f"{source} is not a backup made by `undersigned backup` (neither a SQLite database "
        "nor a pg_dump custom-format file)."
    )


def _engine(database_url: str) -> Engine:
    if is_sqlite(database_url):
        return make_engine(database_url)
    return make_engine(database_url, pool_size=1, max_overflow=0)


def _revision(database_url: str) -> Restored:
    script = ScriptDirectory.from_config(schema.alembic_config(database_url))
    head = script.get_current_head() or ""
    engine = _engine(database_url)
    try:
        with engine.connect() as conn:
            revision = MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as error:
        raise BackupError(
            f"Cannot read the restored database's revision: {_reason(error)}"
        ) from error
    finally:
        engine.dispose()
    known = revision is not None and revision in {r.revision for r in script.walk_revisions()}
    return Restored(revision=revision, head=head, known=known)


def _reason(error: SQLAlchemyError) -> str:
    """The driver's own words, without SQLAlchemy's statement dump and help link."""
    return str(error.orig if isinstance(error, DBAPIError) else error).strip()
