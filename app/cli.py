"""The `undersigned` command: serve, worker, migrate, create-admin, setup-code, export,
backup and restore, and the encryption keys (new-encryption-key, encrypt-existing,
rotate-encryption-key)."""

from __future__ import annotations

import atexit
import getpass
import logging
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from sqlmodel import Session, col, func, select

from app.core.config import get_settings
from app.core.db import make_engine, new_session

if TYPE_CHECKING:
    from app.statements.models import Statement

# Each command imports what it uses: the mail worker should not wait for pyHanko, Alembic
# and the exporters to load (importing everything took 3 s; the worker's share is 1.3 s).
cli = typer.Typer(help="Undersigned: coalition sign-on statements.", no_args_is_help=True)


@cli.command()
def migrate(revision: str = "head") -> None:
    """Apply database migrations (creating the SQLite file under ./data/ if needed)."""
    from app.core import schema

    settings = get_settings()
    if settings.database_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    schema.upgrade(settings.database_url, revision)


@cli.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(help="Web worker processes.")] = 1,
    with_worker: Annotated[
        bool, typer.Option("--with-worker", help="Also run the background mail worker.")
    ] = False,
    reload: bool = False,
) -> None:
    """Run the web application."""
    import uvicorn

    settings = get_settings()
    _print_setup_code()
    if with_worker:
        child = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"])
        atexit.register(child.terminate)
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
    typer.echo(f"\n  Undersigned is running at http://{shown_host}:{port}")
    if settings.dev_mailbox:
        typer.echo(f"  Mail is kept in the dev mailbox: http://{shown_host}:{port}/dev/mailbox")
    typer.echo("")
    uvicorn.run(
        "app.asgi:app",
        host=host,
        port=port,
        workers=None if reload else workers,
        reload=reload,
        proxy_headers=settings.trusted_proxy_hops > 0,
        forwarded_allow_ips="*" if settings.trusted_proxy_hops > 0 else None,
        server_header=False,
        log_level="info",
        # Importing the app (Typst, pyHanko, ICU) takes seconds on a busy machine: do not
        # let the supervisor kill workers that are still starting.
        timeout_worker_healthcheck=30,
    )


def _print_setup_code() -> None:
    from app.accounts import service as accounts

    engine = make_engine(get_settings().database_url)
    with new_session(engine) as session:
        code = accounts.issue_setup_code(session)
        session.commit()
    engine.dispose()
    if code:
        banner = "=" * 64
        typer.echo(f"\n{banner}\n  No account exists yet. Open the site and create the first")
        typer.echo(f"  administrator with this one-time set-up code:\n\n      {code}\n{banner}")


@cli.command("setup-code")
def setup_code() -> None:
    """Print a fresh one-time set-up code (only while no account exists)."""
    _print_setup_code()


@cli.command()
def worker(
    once: Annotated[bool, typer.Option(help="Send what is due, then exit.")] = False,
) -> None:
    """Run the background worker that sends queued email."""
    from app.mail import worker as mail_worker
    from app.outreach import reminders
    from app.signatures.digests import service as digests
    from app.signatures.retention import service as retention
    from app.signatures.signing import notices as signing_notices
    from app.signatures.verification import checks as verification_checks
    from app.signatures.verification import service as verification

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    mail_worker.run(
        get_settings(),
        once=once,
        # Verification checks wait on DNS servers and websites: once a minute, a few at
        # a time, never in a request. Outreach reminders go at their hour before the deadline.
        periodic=[
            digests.run_due,
            retention.run_due,
            verification_checks.check_due,
            reminders.run_due,
        ],
        each_batch=[signing_notices.write_notices, verification.prepare],
    )


@cli.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(prompt=True)],
    name: Annotated[str, typer.Option(prompt=True)],
) -> None:
    """Create an administrator account (the password is asked for, never passed)."""
    from app.accounts import service as accounts
    from app.core.errors import AppError

    password = getpass.getpass("Password: ")
    engine = make_engine(get_settings().database_url)
    try:
        with new_session(engine) as session:
            accounts.create_admin(session, name=name, email=email, password=password)
            session.commit()
    except AppError as exc:
        typer.echo(f"Error: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    typer.echo(f"Administrator {email} created.")


@cli.command()
def demo() -> None:
    """Load the HRC58 example as a finalised statement (slug hrc58-example)."""
    from app.core import schema
    from app.demo import load as demo_data

    settings = get_settings()
    if settings.database_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    schema.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with new_session(engine) as session:
            loaded = demo_data.load(session)
            session.commit()
            slug = loaded.statement.slug
    finally:
        engine.dispose()
    base = settings.base_url
    typer.echo("Loaded." if loaded.created else "The demo statement is already there.")
    typer.echo(f"  Public page:     {base}/s/{slug}")
    typer.echo(f"  Signatories:     {base}/s/{slug}/signatories")
    typer.echo(f"  Final document:  {base}/s/{slug}/final")
    if loaded.lead_password:
        typer.echo(f"  Team pages: sign in as {loaded.lead_email} / {loaded.lead_password}")
    typer.echo(f"  Export: undersigned export {slug} --format pdf --out {slug}.pdf")


@cli.command()
def export(
    slug: str,
    fmt: Annotated[
        str, typer.Option("--format", help="pdf, docx, csv, xlsx, txt, md, json or prose")
    ],
    out: Annotated[Path, typer.Option("--out", help="File to write ('-' for standard output)")],
    team: Annotated[bool, typer.Option("--team", help="With contact details (csv, xlsx)")] = False,
    paper: Annotated[str, typer.Option(help="a4 or letter (pdf)")] = "a4",
) -> None:
    """Render a statement's signatory list to a file."""
    from app.audit import service as audit
    from app.statements import service as statements

    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        with new_session(engine) as session:
            statement = statements.get_by_slug(session, slug=slug)
            if statement is None:
                typer.echo(f"Error: no statement with the address {slug!r}.", err=True)
                raise typer.Exit(1)
            chunks = _export_chunks(session, statement, fmt, team=team, paper=paper)
            target = sys.stdout.buffer if str(out) == "-" else out.open("wb")
            with target:
                for chunk in chunks:
                    target.write(chunk)
            if team:
                audit.record(
                    session,
                    statement_id=statement.id,
                    actor=None,
                    actor_label="command line",
                    action="team export downloaded",
                    detail=f"team.{fmt} to {out}",
                )
            session.commit()
    finally:
        engine.dispose()
    if str(out) != "-":
        typer.echo(f"Wrote {out}", err=True)


def _export_chunks(
    session: Session, statement: Statement, fmt: str, *, team: bool, paper: str
) -> Iterator[bytes]:
    from app.lists import service as lists
    from app.lists.exports import team as team_export
    from app.lists.final import service as finalise
    from app.lists.renderers import csvs, spreadsheet, text
    from app.lists.renderers import formats as exports
    from app.statements.models import StatementStatus

    if team:
        if fmt not in ("csv", "xlsx"):
            typer.echo("Error: team exports are csv or xlsx.", err=True)
            raise typer.Exit(2)
        total = statements_count(session, statement)
        if fmt == "xlsx":
            rows = team_export.team_rows(session, statement=statement)
            with typer.progressbar(rows, length=total, label="Signatures", file=sys.stderr) as bar:
                yield spreadsheet.render_team_xlsx(bar, title=statement.slug)
            return
        with typer.progressbar(length=total, label="Signatures", file=sys.stderr) as counted:
            batches = team_export.team_batches(session, statement=statement)
            yield from csvs.iter_team_csv_batches(_counted(batches, counted.update))
        return
    if fmt == "prose":
        yield (lists.speech(session, statement=statement) + "\n").encode()
        return
    if fmt not in exports.FORMATS:
        typer.echo(
            f"Error: unknown format {fmt!r}; use one of {', '.join(exports.FORMATS)}.", err=True
        )
        raise typer.Exit(2)
    if fmt == "pdf" and paper == "a4" and statement.status == StatementStatus.FINAL:
        snapshot = finalise.snapshot_for(session, statement=statement)
        if snapshot is not None:
            yield snapshot.pdf  # the signed final document, byte for byte
            return
    model = text.in_language(statement.language, lists.public_list, session, statement=statement)
    carried = lists.document_translations(session, statement=statement) if fmt == "pdf" else ()
    yield from exports.render(model, fmt, paper=paper, translations=carried).chunks


def _counted(
    batches: Iterable[list[Sequence[Any]]], advance: Callable[[int], object]
) -> Iterator[list[Sequence[Any]]]:
    for batch in batches:
        yield batch
        advance(len(batch[0]))


def statements_count(session: Session, statement: Statement) -> int:
    from app.signatures.models import Signature

    return session.exec(
        select(func.count()).where(col(Signature.statement_id) == statement.id)
    ).one()


@cli.command()
def backup(
    out: Annotated[Path, typer.Option("--out", help="The file to write the backup to")],
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="Instead of DATABASE_URL")
    ] = None,
) -> None:
    """Write a consistent backup of the database to a file (safe while the app runs)."""
    from app.core import backup as backups

    settings = get_settings()
    try:
        backups.backup(database_url=database_url or settings.database_url, out=out)
    except backups.BackupError as error:
        typer.echo(f"Error: {error.message}", err=True)
        raise typer.Exit(1) from error
    typer.echo(f"Wrote {out} ({out.stat().st_size:,} bytes).")
    typer.echo("A full restore also needs these, which the backup does not contain:")
    for line in backups.companions(settings, written=out):
        typer.echo(f"  - {line}")


@cli.command()
def restore(
    source: Annotated[Path, typer.Argument(help="A file written by `undersigned backup`")],
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="The database to restore into (default DATABASE_URL)"),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a database that already holds tables")
    ] = False,
) -> None:
    """Load a backup into a new, empty database (or, with --force, over an existing one)."""
    from app.core import backup as backups

    settings = get_settings()
    target = database_url or settings.database_url
    try:
        restored = backups.restore(database_url=target, source=source, force=force)
    except backups.BackupError as error:
        typer.echo(f"Error: {error.message}", err=True)
        raise typer.Exit(1) from error
    typer.echo(f"Restored {source}.")
    typer.echo(f"Database revision: {restored.revision or 'none'} (this code: {restored.head})")
    if restored.needs_migrate:
        typer.echo("The database is older than this code: run `undersigned migrate` now.")
    elif not restored.known:
        typer.echo(
            "Warning: this code does not know that revision (a backup from a newer version?)."
        )


@cli.command("new-encryption-key")
def new_encryption_key() -> None:
    """Print a new random key for ENCRYPTION_KEY (or a key file): base64 of 32 bytes."""
    from app.security.encryption import new_key

    typer.echo(new_key())


@cli.command("encrypt-existing")
def encrypt_existing(
    batch: Annotated[int, typer.Option(help="Rows per transaction.")] = 500,
) -> None:
    """Encrypt signer data an installation upgraded from plaintext still holds in clear.
    Resumable: run it again after an interruption."""
    _reseal("encrypt-existing", batch)


@cli.command("rotate-encryption-key")
def rotate_encryption_key(
    batch: Annotated[int, typer.Option(help="Rows per transaction.")] = 500,
) -> None:
    """Re-encrypt every value under ENCRYPTION_KEY. Set the new key as ENCRYPTION_KEY and
    the old one in ENCRYPTION_OLD_KEYS first; remove the old key once this has finished.
    Resumable: run it again after an interruption."""
    _reseal("rotate-encryption-key", batch)


def _reseal(command: str, batch: int) -> None:
    from app.audit import service as audit
    from app.security import encryption, rekey

    engine = make_engine(get_settings().database_url)
    run = rekey.seal_plaintext if command == "encrypt-existing" else rekey.rotate
    written: dict[str, int] = {}
    try:
        for progress in run(engine, batch_size=max(batch, 1)):
            written[progress.table] = written.get(progress.table, 0) + progress.rows_written
            typer.echo(f"  {progress.table}: {written[progress.table]} rows re-written", err=True)
    except encryption.UnreadableValue as error:
        typer.echo(f"Error: {error.message}", err=True)
        raise typer.Exit(1) from error
    key_id = encryption.keyring().current_id
    summary = ", ".join(f"{table} {n}" for table, n in written.items()) or "nothing to do"
    with new_session(engine) as session:
        audit.record(
            session,
            statement_id=None,
            actor=None,
            actor_label="undersigned " + command,
            action="encryption key rotated" if command != "encrypt-existing" else "data encrypted",
            detail=f"key {key_id}: {summary}",
        )
        session.commit()
    engine.dispose()
    typer.echo(f"Done: every value is under key {key_id} ({summary}).")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
