"""The outbox worker: claims due messages, sends them over SMTP, records what happened.

A claim is committed before anything is sent, so several workers (and several app
processes) can share one database: on PostgreSQL rows are claimed with
`FOR UPDATE SKIP LOCKED`; on SQLite `BEGIN IMMEDIATE` serialises the claims. A claim older
than the lease belonged to a worker that died and is taken over. Delivery is therefore
at least once: a worker killed between the SMTP reply and recording it leaves a claim
that is sent again (with the same Message-ID, which lets receivers spot the duplicate).
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import signal
import smtplib
import socket
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from types import FrameType

from sqlalchemy import Engine, and_, or_, update
from sqlmodel import Session, col, select

from app.core import logs
from app.core.config import Settings, get_settings
from app.core.db import make_engine, new_session, utcnow
from app.mail.models import OutboxMessage, OutboxStatus
from app.mail.smtp import (
    KeptConnection,
    Outcome,
    classify,
    connect,
    connection_lost,
    deliver,
    describe,
    disconnect,
)
from app.security import ratelimit, throttle

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600.0
# While the database is away, each failed batch doubles the pause up to this: the log
# does not fill with one traceback per poll, and mail resumes soon after it is back.
MAX_OUTAGE_PAUSE_SECONDS = 30.0
# Fresh connections one batch may open after the server hung up (a 421, a dropped
# connection) before the rest of the batch waits for the next round.
MAX_RECONNECTS = 3

Job = Callable[[Session], int]
PERIODIC_INTERVAL = timedelta(minutes=1)
MAINTENANCE_INTERVAL = timedelta(hours=1)


def prune_rate_counters(session: Session) -> int:
    memory = timedelta(hours=get_settings().login_failure_memory_hours)
    return ratelimit.prune(session) + throttle.prune(session, memory=memory)


def prune_passkey_challenges(session: Session) -> int:
    from app.accounts.factors.service import prune_challenges

    return prune_challenges(session)


# Housekeeping every deployment needs, whatever `periodic` jobs the caller adds.
MAINTENANCE: tuple[Job, ...] = (prune_rate_counters, prune_passkey_challenges)


def run(
    settings: Settings,
    *,
    once: bool = False,
    periodic: Sequence[Job] = (),
    each_batch: Sequence[Job] = (),
) -> None:
    """Send due mail until SIGTERM/SIGINT (finishing the batch in hand), or, with `once`,
    until nothing that was due at the start is left.

    `periodic` jobs (such as the leads' digests, which queue mail of their own) run first
    and then about once a minute, each in its own transaction; MAINTENANCE jobs run first
    and then about once an hour. `each_batch` jobs (those that turn requests' work into
    mail, such as signing notices, which must not wait a minute) run before every batch.
    """
    engine = make_engine(settings.database_url)
    worker_id = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"[-100:]
    stop = threading.Event()
    restore = _install_signal_handlers(stop)
    mode = "keeping mail in the dev mailbox" if settings.dev_mailbox else "sending over SMTP"
    log.info("Outbox worker %s started, %s", worker_id, mode)
    kept = KeptConnection()
    try:
        run_jobs(engine, MAINTENANCE)
        next_maintenance = utcnow() + MAINTENANCE_INTERVAL
        run_jobs(engine, periodic)  # before `started`, so that --once sends what they queue
        next_jobs = utcnow() + PERIODIC_INTERVAL
        run_jobs(engine, each_batch)  # likewise
        started = utcnow()
        failures = 0
        while not stop.is_set():
            run_jobs(engine, each_batch)
            if utcnow() >= next_maintenance:
                run_jobs(engine, MAINTENANCE)
                next_maintenance = utcnow() + MAINTENANCE_INTERVAL
            if periodic and utcnow() >= next_jobs:
                run_jobs(engine, periodic)
                next_jobs = utcnow() + PERIODIC_INTERVAL
            try:
                claimed = process_batch(
                    engine,
                    settings=settings,
                    worker_id=worker_id,
                    due_by=started if once else None,
                    kept=kept,
                )
            except Exception as exc:
                kept.close()
                if once:
                    raise
                # The engine replaces dead connections (pre-ping) on the next try.
                logs.log_failure(log, "Outbox worker batch failed; trying again shortly", error=exc)
                failures += 1
                stop.wait(outage_pause(failures, settings=settings))
                continue
            failures = 0
            if once and claimed == 0:
                break
            if claimed < settings.outbox_batch_size:
                kept.close()  # idle: no connection held open while waiting
                stop.wait(settings.outbox_poll_seconds)
    finally:
        kept.close()
        restore()
        engine.dispose()
        log.info("Outbox worker %s stopped", worker_id)


def outage_pause(failures: int, *, settings: Settings) -> float:
    return min(settings.outbox_poll_seconds * 2.0**failures, MAX_OUTAGE_PAUSE_SECONDS)


def run_jobs(engine: Engine, jobs: Sequence[Job]) -> None:
    """Run each periodic job in its own transaction; a failing job is logged and retried
    at the next interval, never stopping the mail."""
    for job in jobs:
        try:
            with new_session(engine) as session:
                done = job(session)
                session.commit()
        except Exception as exc:
            logs.log_failure(
                log, "Periodic job %s failed; trying again later", job.__name__, error=exc
            )
            continue
        if done:
            log.info("Periodic job %s: %d", job.__name__, done)


def _install_signal_handlers(stop: threading.Event) -> Callable[[], None]:
    """Stop between batches on SIGTERM/SIGINT; returns what puts the old handlers back.
    (Signals can only be handled in the main thread: tests run workers in others.)"""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def _handle(signum: int, _frame: FrameType | None) -> None:
        log.info("Signal %s received: stopping after this batch", signum)
        stop.set()

    previous = {sig: signal.signal(sig, _handle) for sig in (signal.SIGTERM, signal.SIGINT)}

    def _restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return _restore


def process_batch(
    engine: Engine,
    *,
    settings: Settings,
    worker_id: str,
    due_by: datetime | None = None,
    kept: KeptConnection | None = None,
) -> int:
    """Claim (and commit), send, record (and commit). Returns how many were claimed.
    `kept`: where the batch leaves its SMTP connection for the next (the caller closes it
    when it waits)."""
    with new_session(engine) as session:
        rows = claim_batch(
            session, worker_id=worker_id, settings=settings, now=utcnow(), due_by=due_by
        )
        session.commit()
    if not rows:
        return 0
    outcomes = send_batch(rows, settings=settings, kept=kept)
    with new_session(engine) as session:
        record_outcomes(
            session, rows, outcomes, worker_id=worker_id, settings=settings, now=utcnow()
        )
        session.commit()
    return len(rows)


def claim_batch(
    session: Session,
    *,
    worker_id: str,
    settings: Settings,
    now: datetime,
    due_by: datetime | None = None,
) -> list[OutboxMessage]:
    """Due rows (and stale claims), marked SENDING by this worker. The caller commits."""
    stale = now - timedelta(seconds=settings.outbox_claim_lease_seconds)
    status = col(OutboxMessage.status)
    due = and_(status == OutboxStatus.READY, col(OutboxMessage.next_attempt_at) <= (due_by or now))
    abandoned = and_(status == OutboxStatus.SENDING, col(OutboxMessage.claimed_at) < stale)
    query = (
        select(OutboxMessage)
        .where(or_(due, abandoned))
        .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
        .limit(settings.outbox_batch_size)
        .with_for_update(skip_locked=True)
    )
    rows = list(session.exec(query).all())
    for row in rows:
        row.status = OutboxStatus.SENDING
        row.claimed_at = now
        row.claimed_by = worker_id
        row.attempts += 1
    session.flush()
    return rows


def send_batch(
    rows: list[OutboxMessage], *, settings: Settings, kept: KeptConnection | None = None
) -> dict[str, Outcome]:
    """Send each row over one SMTP connection (`kept`'s, when it is still open; left there
    afterwards). Outcomes are keyed by Message-ID.

    A failure is charged to the message it happened to. When the server hangs up (a 421
    for one recipient, a dropped connection), that message is tried again later and the
    rest go over a new connection; if none can be had, they wait without losing an
    attempt, since nothing was tried for them."""
    outcomes: dict[str, Outcome] = {}
    if settings.dev_mailbox:
        for row in rows:
            log.info("Kept message %s to @%s in the dev mailbox", row.id, _domain(row))
            outcomes[row.message_id] = Outcome("sent")
        return outcomes
    try:
        smtp: smtplib.SMTP | None = (kept.take() if kept else None) or connect(settings)
    except OSError as exc:  # smtplib's errors are OSErrors too
        log.warning("SMTP server unavailable: %s", logs.redact_addresses(describe(exc)))
        return {row.message_id: Outcome("retry", describe(exc)) for row in rows}
    reconnects = 0
    try:
        for index, row in enumerate(rows):
            if smtp is None:
                try:
                    if reconnects >= MAX_RECONNECTS:
                        raise smtplib.SMTPServerDisconnected("the server keeps hanging up")
                    reconnects += 1
                    smtp = connect(settings)
                except OSError as exc:
                    untried = Outcome("untried", describe(exc))
                    outcomes.update({later.message_id: untried for later in rows[index:]})
                    log.warning(
                        "SMTP server unavailable again: %s", logs.redact_addresses(untried.error)
                    )
                    break
            try:
                deliver(smtp, row, settings=settings)
            except Exception as exc:
                gone = connection_lost(exc) or smtp.sock is None  # smtplib closes on 421
                outcomes[row.message_id] = (
                    Outcome("retry", describe(exc)) if gone else classify(exc)
                )
                log.warning(
                    "Message %s to @%s not sent: %s",
                    row.id,
                    _domain(row),
                    logs.redact_addresses(describe(exc)),
                )
                if gone:
                    smtp.close()
                    smtp = None
            else:
                outcomes[row.message_id] = Outcome("sent")
                log.info("Sent message %s to @%s", row.id, _domain(row))
    finally:
        if smtp is not None:
            if kept is not None:
                kept.smtp = smtp
            else:
                disconnect(smtp)
    return outcomes


def record_outcomes(
    session: Session,
    rows: list[OutboxMessage],
    outcomes: dict[str, Outcome],
    *,
    worker_id: str,
    settings: Settings,
    now: datetime,
) -> None:
    # Only while the claim is still ours: a worker that took over a stale claim owns it.
    ours = (
        col(OutboxMessage.status) == OutboxStatus.SENDING,
        col(OutboxMessage.claimed_by) == worker_id,
    )
    sent: list[int] = []
    for row in rows:
        outcome = outcomes.get(row.message_id, Outcome("untried"))
        values: dict[str, object]
        if outcome.result == "sent":
            sent.append(row.id or 0)  # the usual case: one UPDATE for all of them, below
            continue
        if outcome.result == "untried":
            # The claim counted an attempt that never happened: give it back. The error
            # stays the message's own, so leads are not told it failed.
            values = {
                "status": OutboxStatus.READY,
                "attempts": max(row.attempts - 1, 0),
                "next_attempt_at": now + timedelta(seconds=settings.outbox_retry_base_seconds),
            }
        elif outcome.result == "retry" and row.attempts < settings.outbox_max_attempts:
            delay = backoff_seconds(row.attempts, settings=settings)
            values = {
                "status": OutboxStatus.READY,
                "next_attempt_at": now + timedelta(seconds=delay),
                "last_error": outcome.error[:1000],
            }
        else:
            values = {"status": OutboxStatus.FAILED, "last_error": outcome.error[:1000]}
        session.exec(
            update(OutboxMessage).where(col(OutboxMessage.id) == row.id, *ours).values(**values)
        )
    if sent:
        session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(sent), *ours)
            .values(status=OutboxStatus.SENT, sent_at=now, last_error="")
        )


def backoff_seconds(attempts: int, *, settings: Settings) -> float:
    delay = settings.outbox_retry_base_seconds * 2.0 ** max(attempts - 1, 0)
    jitter = random.uniform(1.0, 1.1)  # noqa: S311 - spreads retries, not a secret
    return min(delay * jitter, MAX_BACKOFF_SECONDS)


def _domain(row: OutboxMessage) -> str:
    return row.to_address.rpartition("@")[2]
