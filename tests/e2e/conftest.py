"""End-to-end fixtures: the real app and worker as separate processes (as `make run`
starts them), a real SMTP server, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from app.accounts import service as accounts
from app.db import make_engine, new_session
from tests.databases import create_database, database_url, drop_database
from tests.smtp_server import RecordingHandler, _smtp_handler, free_port, smtp_server  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
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
    workdir = Path(tempfile.mkdtemp(prefix="undersigned-e2e-"))
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    db_url = database_url(f"undersigned_e2e_{worker}_{os.getpid()}", workdir)
    create_database(db_url)
    port = free_port()
    env = {
        **os.environ,
        "APP_ENV": "test",
        "DATA_DIR": str(workdir),
        "DATABASE_URL": db_url,
        "SECRET_KEY": "e2e-secret-key-which-is-long-enough-for-tests",
        "BASE_URL": f"http://127.0.0.1:{port}",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_server.port),
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
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log)
        yield LiveServer(url=url, log=log, database_url=db_url)
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=10)
        drop_database(db_url)


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
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
