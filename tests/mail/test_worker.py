"""The outbox worker against a real SMTP server and the real database (SQLite or
PostgreSQL): what arrives, what is retried, what fails for good, and that several
workers never send one message twice."""

from __future__ import annotations

import os
import secrets
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, update
from sqlmodel import col, select

from app.core.config import Settings
from app.core.db import new_session, utcnow
from app.mail import service as mail
from app.mail import smtp, worker
from app.mail.models import OutboxMessage, OutboxStatus
from app.security import ratelimit
from tests.smtp_server import DROP, RecordingHandler, free_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def queue(
    engine: Engine,
    count: int = 1,
    *,
    to_address: str = "ann@example.org",
    to_name: str = "Ann Example",
    subject: str = "You are invited",
) -> list[int]:
    """Queue invitations the way the app does, in a transaction that commits."""
    with new_session(engine) as session:
        ids = []
        for n in range(count):
            message = mail.queue_email(
                session,
                kind="invite",
                to_address=to_address,
                to_name=to_name,
                subject=subject,
                template="invite",
                context={"inviter": "Bo", "link": f"http://testserver/invite/tok-{n}", "hours": 72},
            )
            ids.append(message.id)
        session.commit()
    return [i for i in ids if i is not None]


def insert(engine: Engine, **fields: object) -> int:
    """A row written directly, for states the services never produce on their own."""
    defaults: dict[str, Any] = {
        "kind": "test",
        "to_address": "ann@example.org",
        "subject": "Hello",
        "text_body": "Hello",
        "html_body": "<p>Hello</p>",
        "message_id": f"<{secrets.token_hex(8)}@testserver>",
    }
    with new_session(engine) as session:
        row = OutboxMessage(**{**defaults, **fields})
        session.add(row)
        session.commit()
        assert row.id is not None
        return row.id


def load(engine: Engine, message_id: int) -> OutboxMessage:
    with new_session(engine, write=False) as session:
        row = session.get(OutboxMessage, message_id)
        assert row is not None
        return row


def count_rows(engine: Engine) -> int:
    with new_session(engine, write=False) as session:
        return session.exec(select(func.count()).select_from(OutboxMessage)).one()


def wait_until_due(engine: Engine, message_id: int) -> None:
    delay = (load(engine, message_id).next_attempt_at - utcnow()).total_seconds()
    time.sleep(max(delay, 0) + 0.01)


def test_queued_message_arrives_as_text_and_html(
    committed: Engine, smtp_settings: Settings, smtp_server: RecordingHandler
) -> None:
    [message_id] = queue(committed)

    worker.run(smtp_settings, once=True)

    [received] = smtp_server.received
    msg = received.message
    row = load(committed, message_id)
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    assert "Bo invites you" in text.get_content()
    assert "http://testserver/invite/tok-0" in text.get_content()
    assert 'href="http://testserver/invite/tok-0"' in html.get_content()
    assert msg["From"] == smtp_settings.mail_from
    assert msg["To"] == "Ann Example <ann@example.org>"
    assert msg["Subject"] == "You are invited"
    # A long Message-ID is folded onto its own line (valid FWS); unfolded it is the same.
    assert msg["Message-ID"].strip() == row.message_id
    assert msg["Date"]
    assert received.mail_from == "no-reply@undersigned.localhost"
    assert received.rcpt_tos == ["ann@example.org"]
    assert row.status == OutboxStatus.SENT
    assert row.sent_at is not None
    assert (row.attempts, row.last_error) == (1, "")


def test_non_ascii_names_and_bodies_survive(
    committed: Engine, smtp_settings: Settings, smtp_server: RecordingHandler
) -> None:
    queue(committed, to_name="김민지", subject="초대합니다 — Undersigned")

    worker.run(smtp_settings, once=True)

    [received] = smtp_server.received
    assert received.message["Subject"] == "초대합니다 — Undersigned"
    assert received.message["To"].addresses[0].display_name == "김민지"
    # Headers are encoded and bodies are 7-bit safe: no server needs SMTPUTF8 or 8BITMIME.
    assert received.raw.isascii()


def test_message_queued_in_a_rolled_back_transaction_is_never_sent(
    committed: Engine, smtp_settings: Settings, smtp_server: RecordingHandler
) -> None:
    with new_session(committed) as session:
        mail.queue_email(
            session,
            kind="invite",
            to_address="ann@example.org",
            subject="Never",
            template="invite",
            context={"inviter": "Bo", "link": "http://testserver/invite/x", "hours": 72},
        )
        session.rollback()

    worker.run(smtp_settings, once=True)

    assert count_rows(committed) == 0
    assert smtp_server.received == []


@pytest.mark.parametrize("command", ["RCPT", "DATA"])
def test_temporary_refusal_is_retried_later(
    committed: Engine, smtp_settings: Settings, smtp_server: RecordingHandler, command: str
) -> None:
    [message_id] = queue(committed)
    smtp_server.refuse_next(command, "451 4.3.0 Try again later")
    before = utcnow()

    worker.run(smtp_settings, once=True)

    row = load(committed, message_id)
    assert row.status == OutboxStatus.READY
    assert row.attempts == 1
    assert row.next_attempt_at > before
    assert "451" in row.last_error and "Try again later" in row.last_error
    assert "tok-0" not in row.last_error  # never the body: it carries tokens
    assert smtp_server.received == []

    wait_until_due(committed, message_id)
    worker.run(smtp_settings, once=True)

    row = load(committed, message_id)
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 2, "")
    assert smtp_server.message_id_counts() == {row.message_id: 1}


@pytest.mark.parametrize("command", ["RCPT", "DATA"])
def test_permanent_refusal_fails_at_once_and_is_not_retried(
    committed: Engine,
    smtp_settings: Settings,
    smtp_server: RecordingHandler,
    command: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    [message_id] = queue(committed)
    smtp_server.refuse_next(command, "550 5.1.1 No such user")

    worker.run(smtp_settings, once=True)

    row = load(committed, message_id)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 1)
    assert "550" in row.last_error and "No such user" in row.last_error
    assert "tok-0" not in row.last_error

    monkeypatch.setattr(smtp_settings, "outbox_claim_lease_seconds", 0.0)
    worker.run(smtp_settings, once=True)
    assert load(committed, message_id).attempts == 1
    assert smtp_server.received == []


def test_one_refused_recipient_does_not_hold_up_the_rest_of_the_batch(
    committed: Engine, smtp_settings: Settings, smtp_server: RecordingHandler
) -> None:
    first, second = queue(committed, 2)
    smtp_server.refuse_next("RCPT", "550 5.1.1 No such user")

    worker.run(smtp_settings, once=True)

    assert load(committed, first).status == OutboxStatus.FAILED
    assert load(committed, second).status == OutboxStatus.SENT
    assert smtp_server.connections == 1  # one connection for the whole batch


def test_back_to_back_batches_share_one_connection(
    committed: Engine,
    smtp_settings: Settings,
    smtp_server: RecordingHandler,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(smtp_settings, "outbox_batch_size", 2)
    ids = queue(committed, 5)

    worker.run(smtp_settings, once=True)

    assert {(load(committed, i).status, load(committed, i).attempts) for i in ids} == {
        (OutboxStatus.SENT, 1)
    }
    assert sorted(smtp_server.message_id_counts().values()) == [1] * 5
    assert smtp_server.connections == 1  # three batches, one connection


def test_a_kept_connection_that_died_is_replaced_without_charging_anyone(
    committed: Engine,
    smtp_settings: Settings,
    smtp_server: RecordingHandler,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(smtp_settings, "outbox_batch_size", 2)
    ids = queue(committed, 4)
    kept = smtp.KeptConnection()

    worker.process_batch(committed, settings=smtp_settings, worker_id="w", kept=kept)
    assert kept.smtp is not None and kept.smtp.sock is not None
    kept.smtp.sock.shutdown(socket.SHUT_RDWR)  # gone while the worker claimed the next batch
    worker.process_batch(committed, settings=smtp_settings, worker_id="w", kept=kept)
    kept.close()

    assert {(load(committed, i).status, load(committed, i).attempts) for i in ids} == {
        (OutboxStatus.SENT, 1)
    }
    assert sorted(smtp_server.message_id_counts().values()) == [1] * 4
    assert smtp_server.connections == 2
    assert kept.smtp is None


def test_refused_connection_is_retried_then_fails_after_max_attempts(
    committed: Engine,
    smtp_settings: Settings,
    smtp_server: RecordingHandler,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = queue(committed, 3)
    monkeypatch.setattr(smtp_settings, "smtp_port", free_port())  # nothing listens there

    worker.run(smtp_settings, once=True)

    for message_id in ids:
        row = load(committed, message_id)
        assert (row.status, row.attempts) == (OutboxStatus.READY, 1)
        assert "ConnectionRefusedError" in row.last_error

    monkeypatch.setattr(smtp_settings, "outbox_max_attempts", 3)
    monkeypatch.setattr(smtp_settings, "outbox_retry_base_seconds", 0.0)
    for message_id in ids:
        wait_until_due(committed, message_id)
    worker.run(smtp_settings, once=True)
    assert load(committed, ids[0]).status == OutboxStatus.READY
    worker.run(smtp_settings, once=True)

    for message_id in ids:
        row = load(committed, message_id)
        assert (row.status, row.attempts) == (OutboxStatus.FAILED, 3)
    assert smtp_server.received == []


def test_lost_connection_costs_only_the_message_in_hand(
    committed: Engine, smtp_settings: Settings, smtp_server: RecordingHandler
) -> None:
    ids = queue(committed, 3)
    smtp_server.refuse_next("DATA", DROP)

    worker.run(smtp_settings, once=True)

    first, *rest = (load(committed, message_id) for message_id in ids)
    assert (first.status, first.attempts) == (OutboxStatus.READY, 1)
    assert "SMTPServerDisconnected" in first.last_error
    # The rest went over a new connection, each sent at its first attempt.
    assert {(row.status, row.attempts) for row in rest} == {(OutboxStatus.SENT, 1)}
    assert smtp_server.connections == 2

    wait_until_due(committed, ids[0])
    worker.run(smtp_settings, once=True)

    assert {load(committed, i).status for i in ids} == {OutboxStatus.SENT}
    assert sorted(smtp_server.message_id_counts().values()) == [1, 1, 1]


@pytest.mark.parametrize(
    ("reply", "connections"),
    [
        ("450 4.2.1 Mailbox busy, try again later", 1),
        ("451 4.3.0 Greylisted, try again later", 1),
        # 421 means the server is closing the connection: the rest go over a new one.
        ("421 4.7.0 Too many messages to this recipient, closing", 2),
    ],
)
def test_one_recipients_temporary_refusal_costs_the_others_nothing(
    committed: Engine,
    smtp_settings: Settings,
    smtp_server: RecordingHandler,
    reply: str,
    connections: int,
) -> None:
    ids = queue(committed, 4)
    smtp_server.refuse_next("RCPT", reply)

    worker.run(smtp_settings, once=True)

    first, *rest = (load(committed, message_id) for message_id in ids)
    assert (first.status, first.attempts) == (OutboxStatus.READY, 1)
    assert reply.split()[0] in first.last_error
    assert [(row.status, row.attempts, row.last_error) for row in rest] == [
        (OutboxStatus.SENT, 1, "")
    ] * 3
    assert smtp_server.connections == connections
    assert sorted(smtp_server.message_id_counts()) == sorted(row.message_id for row in rest)


def test_a_server_that_keeps_hanging_up_leaves_the_rest_uncharged(
    committed: Engine, smtp_settings: Settings, smtp_server: RecordingHandler
) -> None:
    tries = worker.MAX_RECONNECTS + 1
    ids = queue(committed, tries + 2)
    smtp_server.refuse_next("RCPT", "421 4.3.2 Shutting down", times=tries)

    worker.run(smtp_settings, once=True)

    rows = [load(committed, message_id) for message_id in ids]
    tried, untried = rows[:tries], rows[tries:]
    assert {(row.status, row.attempts) for row in tried} == {(OutboxStatus.READY, 1)}
    assert all("421" in row.last_error for row in tried)
    # Never tried: the attempt the claim counted is given back, and no error is recorded.
    assert [(row.status, row.attempts, row.last_error) for row in untried] == [
        (OutboxStatus.READY, 0, "")
    ] * 2
    assert smtp_server.connections == tries
    assert smtp_server.received == []


def test_silent_server_times_out_and_is_retried(
    committed: Engine, smtp_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    [message_id] = queue(committed)
    with socket.socket() as silent:  # accepts connections (backlog) but never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        monkeypatch.setattr(smtp_settings, "smtp_port", silent.getsockname()[1])
        monkeypatch.setattr(smtp_settings, "smtp_timeout", 0.2)

        worker.run(smtp_settings, once=True)

    row = load(committed, message_id)
    assert (row.status, row.attempts) == (OutboxStatus.READY, 1)
    assert "timed out" in row.last_error


def test_backoff_doubles_and_is_capped(settings: Settings) -> None:
    base = settings.outbox_retry_base_seconds
    assert base <= worker.backoff_seconds(1, settings=settings) <= base * 1.1
    assert 4 * base <= worker.backoff_seconds(3, settings=settings) <= 4 * base * 1.1
    assert worker.backoff_seconds(40, settings=settings) == worker.MAX_BACKOFF_SECONDS


@pytest.mark.parametrize("through_queue", [True, False])
def test_names_and_subjects_cannot_add_headers(
    committed: Engine,
    smtp_settings: Settings,
    smtp_server: RecordingHandler,
    through_queue: bool,
) -> None:
    evil_name = "Eve\r\nBcc: victim@example.org"
    evil_subject = "Hello\r\nBcc: victim@example.org\n\nInjected body"
    if through_queue:
        queue(committed, to_address="eve@example.org", to_name=evil_name, subject=evil_subject)
    else:  # a row that skipped clean_line: the worker cleans again when it builds
        insert(
            committed,
            to_address="eve@example.org",
            to_name=evil_name + "\u2028\x1b\x85",
            subject=evil_subject,
        )

    worker.run(smtp_settings, once=True)

    [received] = smtp_server.received
    msg = received.message
    assert msg["Bcc"] is None
    assert [a.addr_spec for a in msg["To"].addresses] == ["eve@example.org"]
    assert "\n" not in msg["Subject"] and "\r" not in msg["Subject"]
    assert received.rcpt_tos == ["eve@example.org"]
    header_block = received.raw.split(b"\r\n\r\n", 1)[0]
    assert not any(line.lower().startswith(b"bcc") for line in header_block.split(b"\r\n"))


def test_a_stale_claim_is_taken_over_and_a_fresh_one_is_not(
    committed: Engine, smtp_settings: Settings, smtp_server: RecordingHandler
) -> None:
    now = utcnow()
    lease = timedelta(seconds=smtp_settings.outbox_claim_lease_seconds)
    stale = insert(
        committed,
        status=OutboxStatus.SENDING,
        claimed_at=now - lease - timedelta(seconds=5),
        claimed_by="crashed-worker",
        attempts=1,
    )
    fresh = insert(
        committed,
        status=OutboxStatus.SENDING,
        claimed_at=now - timedelta(seconds=5),
        claimed_by="busy-worker",
        attempts=1,
    )
    later = insert(committed, next_attempt_at=now + timedelta(hours=1))

    with new_session(committed) as session:
        claimed = worker.claim_batch(
            session, worker_id="second-worker", settings=smtp_settings, now=utcnow()
        )
        session.commit()
    assert [row.id for row in claimed] == [stale]
    assert (claimed[0].claimed_by, claimed[0].attempts) == ("second-worker", 2)

    worker.run(smtp_settings, once=True)  # nothing else is due
    assert smtp_server.received == []

    with new_session(committed) as session:
        session.exec(  # the second worker dies too; a third one finishes the job
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == stale)
            .values(claimed_at=now - lease - timedelta(seconds=1))
        )
        session.commit()
    worker.run(smtp_settings, once=True)

    assert load(committed, stale).status == OutboxStatus.SENT
    assert load(committed, fresh).claimed_by == "busy-worker"
    assert load(committed, fresh).status == OutboxStatus.SENDING
    assert load(committed, later).status == OutboxStatus.READY
    assert smtp_server.message_id_counts() == {load(committed, stale).message_id: 1}


@pytest.mark.parametrize("workers", [4])
def test_concurrent_workers_send_each_message_exactly_once(
    committed: Engine,
    smtp_settings: Settings,
    smtp_server: RecordingHandler,
    monkeypatch: pytest.MonkeyPatch,
    workers: int,
) -> None:
    monkeypatch.setattr(smtp_settings, "outbox_batch_size", 10)
    ids = queue(committed, 200)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            worker.run(smtp_settings, once=True)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    counts = smtp_server.message_id_counts()
    assert len(counts) == 200
    assert set(counts.values()) == {1}
    with new_session(committed, write=False) as session:
        rows = session.exec(select(OutboxMessage)).all()
    assert {row.id for row in rows} == set(ids)
    assert {(row.status, row.attempts) for row in rows} == {(OutboxStatus.SENT, 1)}
    assert {row.message_id for row in rows} == set(counts)


def test_dev_mailbox_keeps_mail_without_connecting(
    committed: Engine,
    settings: Settings,
    smtp_server: RecordingHandler,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert settings.dev_mailbox  # no SMTP_HOST in tests, not production
    ids = queue(committed, 2)

    def no_smtp(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the dev mailbox must not connect anywhere")

    monkeypatch.setattr(smtplib, "SMTP", no_smtp)
    worker.run(settings, once=True)

    assert [load(committed, i).status for i in ids] == [OutboxStatus.SENT] * 2
    assert smtp_server.received == []


def test_worker_command_sends_and_stops_on_sigterm(
    committed: Engine, smtp_server: RecordingHandler
) -> None:
    """`undersigned worker` as its own process, configured from the environment."""
    env = {**os.environ, "SMTP_HOST": smtp_server.host, "SMTP_PORT": str(smtp_server.port)}
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], cwd=ROOT, env=env)
    try:
        [message_id] = queue(committed)
        deadline = time.monotonic() + 60  # a cold start imports the whole app
        while not smtp_server.received and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(smtp_server.received) == 1
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert load(committed, message_id).status == OutboxStatus.SENT


def test_the_worker_deletes_rate_counters_no_limit_reads_any_more(
    committed: Engine, settings: Settings
) -> None:
    now = utcnow()
    stale = now - 2 * ratelimit.longest_window() - timedelta(minutes=1)
    recent = now - timedelta(minutes=5)
    with new_session(committed) as session:
        for key, start in (("old", stale), ("new", recent)):
            session.add(ratelimit.RateCounter(bucket="test", key=key, window_start=start, count=1))
        session.commit()

    worker.run(settings, once=True)

    with new_session(committed, write=False) as session:
        kept = session.exec(select(ratelimit.RateCounter.key)).all()
    assert kept == ["new"]
