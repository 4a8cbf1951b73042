"""End-to-end fixtures: the real app and worker as separate processes (as `make run`
starts them), a real SMTP server, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from pydantic import SecretStr

from app.accounts import service as accounts
from app.accounts.invitations import service as invitations
from app.accounts.tokens import service as api_tokens
from app.accounts.tokens.service import ALL_SCOPES
from app.core.config import get_settings
from app.core.db import make_engine, new_session, utcnow
from app.demo import load as demo
from app.lists.final import service as finalise
from app.mail import service as mail
from app.mail.models import OutboxStatus
from app.security import tokens
from app.signatures import lifecycle
from app.signatures.forms import SignInput
from app.signatures.moderation import service as moderation
from app.signatures.reconsent import service as reconsent
from app.signatures.signing import service as signing
from app.statements import service as statements
from app.statements.inputs import StatementInput
from app.statements.models import TeamRole
from app.statements.review import service as review
from app.statements.team import service as team
from tests.databases import create_database, database_url, drop_database
from tests.helpers import signature_with_email
from tests.smtp_server import RecordingHandler, _smtp_handler, free_port, smtp_server  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SECRET_KEY = "e2e-secret-key-which-is-long-enough-for-tests"
_servers = itertools.count(1)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class LiveServer:
    url: str
    log: Path
    database_url: str

    def create_lead(self, *, email: str, name: str, password: str, admin: bool = True) -> None:
        """An account made directly in the server's database (the set-up flow has its own test)."""
        engine = make_engine(self.database_url)
        with new_session(engine) as session:
            user = accounts.create_admin(session, name=name, email=email, password=password)
            user.is_admin = admin
            session.commit()
        engine.dispose()

    def sign_in(self, page: Page, *, email: str, password: str) -> None:
        page.goto(self.url + "/login")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/dashboard$"))

    def setup_code(self) -> str:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            match = re.search(
                r"^\s+([0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6})\s*$", self.log.read_text(), re.M
            )
            if match:
                return match.group(1)
            time.sleep(0.1)
        raise AssertionError(f"no set-up code printed:\n{self.log.read_text()}")


@pytest.fixture
def live_server(smtp_server: RecordingHandler) -> Iterator[LiveServer]:  # noqa: F811
    with serve(smtp_port=smtp_server.port) as server:
        yield server


@contextmanager
def serve(*, smtp_port: int | None, host: str = "127.0.0.1") -> Iterator[LiveServer]:
    """The app and its worker on a fresh, migrated database. Without `smtp_port` mail is
    kept for the dev mailbox, as in development."""
    workdir = Path(tempfile.mkdtemp(prefix="undersigned-e2e-"))
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    # Unique per server: the shared seeded server and a test's own run at the same time.
    db_url = database_url(f"undersigned_e2e_{worker}_{os.getpid()}_{next(_servers)}", workdir)
    create_database(db_url)
    port = free_port()
    env = {
        **os.environ,
        "APP_ENV": "test",
        "DATA_DIR": str(workdir),
        "DATABASE_URL": db_url,
        "SECRET_KEY": SECRET_KEY,
        # WebAuthn refuses an IP address as its relying party: passkey tests use localhost.
        "BASE_URL": f"http://{host}:{port}",
        "SMTP_HOST": "127.0.0.1" if smtp_port else "",
        "SMTP_PORT": str(smtp_port or 25),
        "OUTBOX_POLL_SECONDS": "0.2",
    }
    subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    log = workdir / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--with-worker"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://{host}:{port}"
    try:
        _wait_until_up(url, process, log)
        yield LiveServer(url=url, log=log, database_url=db_url)
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=10)
        drop_database(db_url)


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 180  # a busy machine can take a while to import the app
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited:\n{log.read_text()}")
        try:
            httpx.get(url + "/login", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"server did not start:\n{log.read_text()}")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def screenshot(page: Page, name: str, *, full_page: bool = False) -> Path:
    """Keep a full-page picture of what a person would see, for review."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def wait_for_mail(smtp: RecordingHandler, *, to: str, timeout: float = 15) -> str:
    """The text part of the first message to `to` that arrives within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in smtp.messages:
            if to in str(message["To"]):
                part = message.get_body(preferencelist=("plain",))
                assert part is not None
                return str(part.get_content())
        time.sleep(0.1)
    raise AssertionError(f"no email to {to} within {timeout} s")


# --- a realistic site, seeded once per test process -----------------------------------

LEAD_EMAIL = "ada@tjwg.example"
LEAD_PASSWORD = "lead password for the e2e site"
OPEN_SLUG = "detainees-joint-statement"
DRAFT_SLUG = "draft-letter-to-the-council"
OPEN_BODY = (
    "We, the undersigned organisations and individuals, call upon **all States** to:\n\n"
    "1. press for the release of every arbitrarily detained person;\n"
    "2. support the families of the disappeared[^1].\n\n"
    "Thank you.\n\n[^1]: As set out in GA resolution 79/181."
)


@dataclass(frozen=True)
class Site:
    """What `seed_site` made, for tests that visit every page."""

    server: LiveServer
    open_slug: str
    final_slug: str
    draft_slug: str
    signature_id: int  # an approved organisation
    confirm_token: str  # a signer who has not confirmed yet
    withdraw_token: str
    reconfirm_token: str
    invite_token: str
    review_token: str
    final_sha256: str  # the fingerprint of the final statement's signed PDF

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="session")
def site(_smtp_handler: RecordingHandler) -> Iterator[Site]:  # noqa: F811
    """A live server with a lead, an open statement with signatures in every state, a
    draft and a finalised statement (the HRC58 demo). One per test process, shared by the
    modules that only look at it (each xdist worker would otherwise start one per module):
    tests that use it may add a signature, not change what is there."""
    with serve(smtp_port=_smtp_handler.port) as server:
        yield seed_site(server)


def _statement_input(**overrides: str) -> StatementInput:
    values = {
        "title": "Joint statement on arbitrary detention",
        "slug": OPEN_SLUG,
        "summary": "Civil society asks States to press for the release of detainees.",
        "addressed_to": "Member States of the UN Human Rights Council",
        "body": OPEN_BODY,
        "coordinators": "Transitional Justice Working Group (TJWG)\nNo Chain",
        "contact_email": "coord@tjwg.example",
        "language": "en",
        "deadline_date": (date.today() + timedelta(days=30)).isoformat(),
        "deadline_time": "13:00",
        "deadline_zone": "Europe/Zurich",
    }
    return StatementInput(**{**values, **overrides})


SIGNERS = [
    {
        "kind": "organisation",
        "organisation": "Transitional Justice Working Group",
        "acronym": "TJWG",
        "website": "https://tjwg.example",
        "name": "Hubert Lee",
        "title": "Executive Director",
        "country": "KR",
        "email": "director@tjwg.example",
    },
    {
        "kind": "individual",
        "name": "Kim Jeong-sam",
        "note": "brother of a detainee",
        "country": "KR",
    },
    {"kind": "individual", "name": "Anonymous Signer", "country": "JP", "listing": "anonymous"},
    {"kind": "individual", "name": "Counted Signer", "country": "FR", "listing": "counted"},
    {
        "kind": "organisation",
        "organisation": "Citizens' Alliance",
        "name": "Park Min",
        "country": "KR",
    },
    {"kind": "individual", "name": "Lee Pending", "country": "US"},
]


def seed_site(server: LiveServer) -> Site:
    """Fill the server's database through the app's own services. Links are signed with
    the server's key, as if it had sent them."""
    settings = get_settings()
    engine = make_engine(server.database_url)
    with pytest.MonkeyPatch.context() as patch, new_session(engine) as session:
        patch.setattr(settings, "secret_key", SecretStr(SECRET_KEY))
        patch.setattr(settings, "base_url", server.url)
        lead = accounts.create_admin(
            session, name="Ada Lead", email=LEAD_EMAIL, password=LEAD_PASSWORD
        )
        colleague = accounts.create_admin(
            session, name="Ben Colleague", email="ben@nochain.example", password=LEAD_PASSWORD
        )
        colleague.is_admin = False
        invite = invitations.invite_lead(
            session, inviter=lead, email="newcomer@example.org", locale="en"
        )
        api_tokens.create_token(session, user=lead, name="campaign site sync", scopes=ALL_SCOPES)

        statement = statements.create_statement(session, actor=lead, data=_statement_input())
        statements.open_statement(session, statement=statement, actor=lead)
        team.add_member(
            session, statement=statement, actor=lead, email=colleague.email, role=TeamRole.EDITOR
        )
        signed = []
        for n, values in enumerate(SIGNERS):
            data = {
                "email": f"signer{n}@example.org",
                "listing": "named",
                "consent_privacy": "true",
                "authorised": "true",
                **values,
            }
            signing.submit(
                session,
                statement=statement,
                data=SignInput.model_validate(data),
                context=signing.Context(ip=f"192.0.2.{n + 1}", form_age_seconds=60),
            )
            signature = signature_with_email(session, data["email"])
            signed.append(signature)
        *to_confirm, pending = signed
        for signature in to_confirm:
            token = tokens.make_token(
                tokens.Purpose.CONFIRM, {"s": signature.id, "n": signature.nonce}
            )
            lifecycle.confirm(session, token=token)
        for signature in to_confirm[:4]:  # the last one waits for a lead's decision
            lifecycle.approve(session, statement=statement, signature=signature, actor=lead)
        moderation.add_note(
            session, signature=signed[0], actor=lead, body="Checked with their office by phone."
        )
        # A material change: version 2, and everyone who signed version 1 is asked again.
        version = statements.update_statement(
            session,
            statement=statement,
            actor=lead,
            data=_statement_input(body=OPEN_BODY.replace("Thank you.", "We thank you.")),
            change_note="Warmer closing, as partners asked",
            material=True,
        )
        assert version is not None
        reconsent.start_round(session, statement=statement, actor=lead, version=version)
        review_token = review.create_link(
            session, statement=statement, actor=lead, label="Partners in Seoul"
        )
        review.add_comment(
            session,
            token=review_token,
            author_name="Lee Partner",
            organisation="NK Database Center",
            body="Please mention the families of abductees.",
        )

        draft = statements.create_statement(
            session,
            actor=lead,
            data=_statement_input(title="Draft letter to the Council", slug=DRAFT_SLUG),
        )
        final = demo.load(session, lead=lead).statement

        # One delivery failed for good, another waits to be tried again.
        for address, status, error in [
            ("nobody@example.org", OutboxStatus.FAILED, "550 5.1.1 No such user"),
            ("later@example.org", OutboxStatus.READY, "451 4.3.0 Try again later"),
        ]:
            message = mail.queue_email(
                session,
                kind="invite",
                to_address=address,
                subject="Ada Lead invites you to Undersigned",
                template="invite",
                context={"inviter": "Ada Lead", "link": f"{server.url}/invite/x", "hours": 72},
            )
            message.status, message.attempts, message.last_error = status, 3, error
            message.next_attempt_at = utcnow() + timedelta(days=1)
        snapshot = finalise.snapshot_for(session, statement=final)
        assert snapshot is not None
        session.commit()
        site = Site(
            server=server,
            open_slug=statement.slug,
            final_slug=final.slug,
            draft_slug=draft.slug,
            signature_id=signed[0].id or 0,
            confirm_token=tokens.make_token(
                tokens.Purpose.CONFIRM, {"s": pending.id, "n": pending.nonce}
            ),
            withdraw_token=lifecycle.withdraw_token(signed[1]),
            reconfirm_token=reconsent.reconfirm_token(signed[1], version),
            invite_token=tokens.make_token(
                tokens.Purpose.INVITE, {"i": invite.id, "n": invite.nonce}
            ),
            review_token=review_token,
            final_sha256=snapshot.pdf_sha256,
        )
    engine.dispose()
    return site


def sign_in_state(browser: Browser, server: LiveServer) -> dict[str, Any]:
    """A signed-in lead's cookies, to open team pages in new contexts without signing in
    again."""
    context = browser.new_context()
    server.sign_in(context.new_page(), email=LEAD_EMAIL, password=LEAD_PASSWORD)
    state = context.storage_state()
    context.close()
    return dict(state)
