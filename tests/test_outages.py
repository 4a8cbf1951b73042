"""A database that goes away and comes back: signers get 503 with Retry-After (the sign
form with what they typed), the API 503 JSON; the app and the mail worker carry on by
themselves once it is back, and no signature acknowledged with a 303 is lost.

On PostgreSQL (TEST_DATABASE_URL set) the test runs a PostgreSQL server of its own and
stops it with `pg_ctl stop -m fast`, as a restart or a failover would. On SQLite the
database's directory is moved away and put back.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine
from sqlmodel import select

from app.core import schema
from app.core.config import Settings
from app.core.db import make_engine, new_session
from app.mail import service as mail
from app.mail import worker
from app.main import create_app
from app.signatures.models import Signature
from tests.databases import BASE_PG
from tests.factories import individual, make_user, open_statement
from tests.helpers import csrf_from
from tests.smtp_server import (  # noqa: F401
    RecordingHandler,
    _smtp_handler,
    free_port,
    smtp_server,
)

ROOT = Path(__file__).resolve().parents[1]
SLUG = "outage"
BUSY = "The service is busy for a moment — please try again in a minute; nothing was saved."


class Database:
    """A database the test can take away and give back."""

    url: str

    def stop(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        raise NotImplementedError


class OwnPostgres(Database):
    """A PostgreSQL server in a temporary directory, on a free port of 127.0.0.1."""

    def __init__(self, directory: Path) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        self.bin = bins[-1] if bins else Path(shutil.which("pg_ctl") or "pg_ctl").parent
        self.data = directory / "data"
        self.log = directory / "server.log"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            shutil.chown(directory, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data}"
        self._run("pg_ctl", "start", "-w", "-D", str(self.data), "-l", str(self.log), "-o", options)

    def stop(self) -> None:
        self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.data))

    def stop_for_good(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "-w", "-m", "immediate", "-D", str(self.data))


class SQLiteDirectory(Database):
    """A SQLite file whose directory disappears, as an unmounted volume would.

    SQLite keeps using a file it already has open whatever happens to its directory, so
    `stop` also closes the pooled connections of the engines it was given: from then on
    every connection is a new one, and fails until the directory is back."""

    def __init__(self, directory: Path) -> None:
        self.home = directory / "db"
        self.away = directory / "db-away"
        self.home.mkdir()
        self.url = f"sqlite:///{self.home / 'undersigned.db'}"
        self.engines: list[Engine] = []

    def stop(self) -> None:
        self.home.rename(self.away)
        for engine in self.engines:
            engine.dispose()

    def start(self) -> None:
        self.away.rename(self.home)


@pytest.fixture
def database() -> Iterator[Database]:
    directory = Path(tempfile.mkdtemp(prefix="undersigned-outage-"))
    try:
        if BASE_PG:
            server = OwnPostgres(directory)
            try:
                server.start()
                yield server
            finally:
                server.stop_for_good()
        else:
            yield SQLiteDirectory(directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def migrated(database: Database) -> Iterator[Engine]:
    schema.upgrade(database.url)
    engine = make_engine(database.url)
    with new_session(engine) as session:
        open_statement(session, owner=make_user(session), slug=SLUG)
        session.commit()
    yield engine
    engine.dispose()


def _sign_page(client: TestClient) -> str:
    page = client.get(f"/s/{SLUG}/sign")
    assert page.status_code == 200, page.text
    text: str = page.text
    return text


def _post(client: TestClient, page: str, values: dict[str, str]) -> Response:
    data = {"csrf_token": csrf_from(page), **values}
    response: Response = client.post(f"/s/{SLUG}/sign", data=data, follow_redirects=False)
    return response


def _signed_emails(engine: Engine) -> set[str]:
    with new_session(engine, write=False) as session:
        return {s.email for s in session.exec(select(Signature))}


# Only a guard against a worker that hangs for good (CI would otherwise wait out its whole
# run): far beyond anything a busy machine needs, so it never measures speed.
HANG_GUARD_SECONDS = 600


def _wait_for(
    condition: Callable[[], bool], what: str, *, process: subprocess.Popen[bytes]
) -> None:
    """Wait until `condition` holds, for as long as the worker process is alive."""
    hung = time.monotonic() + HANG_GUARD_SECONDS
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the worker exited ({process.returncode}) before {what}")
        if time.monotonic() > hung:
            pytest.fail(f"the worker seems hung: still no sign of {what}")
        time.sleep(0.05)


def test_signing_through_an_outage(database: Database, migrated: Engine) -> None:
    app = create_app(Settings(database_url=database.url))
    if isinstance(database, SQLiteDirectory):
        database.engines.append(app.state.engine)
    acknowledged: set[str] = set()
    with TestClient(app, base_url="http://testserver") as client:
        for n in range(3):
            values = individual(email=f"before{n}@example.org", name=f"Before {n}")
            assert _post(client, _sign_page(client), values).status_code == 303
            acknowledged.add(values["email"])
        page = _sign_page(client)  # the form a signer has open when the database goes

        database.stop()
        try:
            typed = individual(
                email="during@example.org", name="Kim Jeong-sam", note="elder brother"
            )
            busy = _post(client, page, typed)
            assert busy.status_code == 503
            assert busy.headers["retry-after"] == "60"
            assert busy.headers["cache-control"] == "no-store"
            assert "frame-ancestors 'none'" in busy.headers["content-security-policy"]
            assert BUSY in busy.text
            # The form comes back with what was typed, ready to send again.
            for field in ("Kim Jeong-sam", "elder brother", "during@example.org"):
                assert f'value="{field}"' in busy.text or f">{field}<" in busy.text
            assert 'value="KR" selected' in busy.text
            assert csrf_from(busy.text)
            korean = client.post(
                f"/s/{SLUG}/sign",
                data={"csrf_token": csrf_from(page), **typed},
                headers={"accept-language": "ko"},
                follow_redirects=False,
            )
            assert korean.status_code == 503
            assert "잠시" in korean.text and BUSY not in korean.text

            public = client.get(f"/s/{SLUG}")
            assert public.status_code == 503
            assert public.headers["retry-after"] == "60"
            assert "Please try again in a minute" in public.text

            api = client.get(f"/api/v1/public/statements/{SLUG}")
            assert api.status_code == 503
            assert api.headers["retry-after"] == "60"
            assert api.json()["error"]["status"] == 503
            signed = client.post(f"/api/v1/public/statements/{SLUG}/signatures", json=typed)
            assert signed.status_code == 503
        finally:
            database.start()

        # Back without restarting anything: the same app, the same engine.
        again = _post(client, _sign_page(client), typed)
        assert again.status_code == 303
        acknowledged.add(typed["email"])
        for n in range(2):
            values = individual(email=f"after{n}@example.org", name=f"After {n}")
            assert _post(client, _sign_page(client), values).status_code == 303
            acknowledged.add(values["email"])
        assert client.get(f"/s/{SLUG}").status_code == 200

    assert _signed_emails(migrated) == acknowledged


def _queue(engine: Engine, to_address: str) -> None:
    with new_session(engine) as session:
        mail.queue_email(
            session,
            kind="invite",
            to_address=to_address,
            to_name="Ann Example",
            subject="You are invited",
            template="invite",
            context={"inviter": "Bo", "link": "http://testserver/invite/tok", "hours": 72},
        )
        session.commit()


def test_the_worker_carries_on_after_an_outage(
    database: Database,
    migrated: Engine,
    smtp_server: RecordingHandler,  # noqa: F811
) -> None:
    """`undersigned worker` as its own process, across the database going and coming."""
    log = Path(tempfile.mkstemp(prefix="undersigned-worker-", suffix=".log")[1])

    def failures() -> int:
        return log.read_text(errors="replace").count("Outbox worker batch failed")

    def received(address: str) -> bool:
        return any(address in item.rcpt_tos for item in smtp_server.received)

    env = {
        **os.environ,
        "DATABASE_URL": database.url,
        "SMTP_HOST": smtp_server.host,
        "SMTP_PORT": str(smtp_server.port),
    }
    _queue(migrated, "first@example.org")
    database.stop()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"], cwd=ROOT, env=env, stderr=output
        )
    try:
        # Started while the database is away: it keeps trying, and sends nothing.
        _wait_for(lambda: failures() >= 2, "the worker to find the database gone", process=process)
        assert process.poll() is None
        assert smtp_server.received == []
        database.start()
        _wait_for(lambda: received("first@example.org"), "the mail queued before", process=process)

        if isinstance(database, OwnPostgres):
            # Its pooled connections die with the server: they are noticed and replaced.
            seen = failures()
            database.stop()
            _wait_for(lambda: failures() > seen, "the worker to lose the database", process=process)
            database.start()
        _queue(migrated, "second@example.org")
        _wait_for(lambda: received("second@example.org"), "the mail queued after", process=process)
        assert process.poll() is None

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.unlink()
    assert len(smtp_server.received) == 2


def test_the_worker_waits_longer_the_longer_the_database_stays_away() -> None:
    settings = Settings(outbox_poll_seconds=1.0)
    pauses = [worker.outage_pause(n, settings=settings) for n in range(1, 8)]
    assert pauses == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
