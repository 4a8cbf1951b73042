"""The `undersigned` command: serve, worker, migrate, create-admin, setup-code."""

from __future__ import annotations

import atexit
import getpass
import logging
import subprocess
import sys
from typing import Annotated

import typer
import uvicorn

from app import schema
from app.accounts import service as accounts
from app.config import get_settings
from app.db import make_engine, new_session
from app.errors import AppError
from app.mail import worker as mail_worker

cli = typer.Typer(help="Undersigned: coalition sign-on statements.", no_args_is_help=True)


@cli.command()
def migrate(revision: str = "head") -> None:
    """Apply database migrations (creating the SQLite file under ./data/ if needed)."""
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
    )


def _print_setup_code() -> None:
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
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    mail_worker.run(get_settings(), once=once)


@cli.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(prompt=True)],
    name: Annotated[str, typer.Option(prompt=True)],
) -> None:
    """Create an administrator account (the password is asked for, never passed)."""
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


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
