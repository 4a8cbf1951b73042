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
import re
import secrets
import signal
import smtplib
import socket
import ssl
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, parseaddr
from functools import lru_cache
from types import FrameType
from typing import Any, Literal
from urllib.parse import urlsplit

from sqlalchemy import Engine, and_, or_, update
from sqlmodel import Session, col, select

from app.core import logs
from app.core.config import Settings, get_settings
from app.core.db import make_engine, new_session, utcnow
from app.mail.models import OutboxMessage, OutboxStatus
from app.security import ratelimit, throttle

log = logging.getLogger(__name__)


class _RememberingPolicy(EmailPolicy):
    """Python's SMTP policy, remembering headers it has parsed and folded. Parsing a header
    through the header registry, and folding it again when the message is written, were
    most of the worker's CPU; but most headers are the same in every message (From, each
    part's Content-Type, Content-Transfer-Encoding and MIME-Version, a statement's
    subject). The same (name, text) gives the same header object, whose folded bytes are
    kept per policy: the message bytes are exactly those the plain policy writes."""

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        if type(value) is str and len(value.splitlines()) <= 1:  # else: the policy refuses it
            return (name, _parsed_header(self.header_factory, name, value))
        return super().header_store_parse(name, value)

    def fold_binary(self, name: str, value: Any) -> bytes:
        attributes = getattr(value, "__dict__", None)
        if attributes is None or not hasattr(value, "name"):
            return super().fold_binary(name, value)
        folds: dict[tuple[object, ...], bytes] = attributes.setdefault("_undersigned_folds", {})
        key = (name, self.linesep, self.max_line_length, self.utf8, self.cte_type)
        folded = folds.get(key)
        if folded is None:
            folded = folds[key] = super().fold_binary(name, value)
        return folded


@lru_cache(maxsize=512)
def _parsed_header(factory: Any, name: str, value: str) -> Any:
    # Header objects are immutable (a change replaces the header), so messages share them.
    return factory(name, value)


# 7bit: non-ASCII bodies go out as quoted-printable or base64, so no server needs 8BITMIME.
POLICY = _RememberingPolicy(linesep="\r\n", cte_type="7bit")
MAX_BACKOFF_SECONDS = 3600.0
# While the database is away, each failed batch doubles the pause up to this: the log
# does not fill with one traceback per poll, and mail resumes soon after it is back.
MAX_OUTAGE_PAUSE_SECONDS = 30.0
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


@dataclass(frozen=True)
class Outcome:
    # "untried": the connection went before this message's turn; it costs no attempt.
    result: Literal["sent", "retry", "failed", "untried"]
    error: str = ""


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


class KeptConnection:
    """The SMTP connection a full batch leaves open for the next one, which follows at once
    (connecting, STARTTLS and AUTH once per batch were a tenth of the worker's time).
    It is checked with NOOP before it is used again, and closed when the worker goes idle."""

    def __init__(self) -> None:
        self.smtp: smtplib.SMTP | None = None

    def take(self) -> smtplib.SMTP | None:
        smtp, self.smtp = self.smtp, None
        if smtp is None:
            return None
        try:
            code, _reply = smtp.noop()
        except (OSError, smtplib.SMTPException):
            code = 0
        if code == 250:
            return smtp
        smtp.close()
        return None

    def close(self) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is not None:
            _quit(smtp)


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
        smtp: smtplib.SMTP | None = (kept.take() if kept else None) or _connect(settings)
    except OSError as exc:  # smtplib's errors are OSErrors too
        log.warning("SMTP server unavailable: %s", logs.redact_addresses(_describe(exc)))
        return {row.message_id: Outcome("retry", _describe(exc)) for row in rows}
    reconnects = 0
    try:
        for index, row in enumerate(rows):
            if smtp is None:
                try:
                    if reconnects >= MAX_RECONNECTS:
                        raise smtplib.SMTPServerDisconnected("the server keeps hanging up")
                    reconnects += 1
                    smtp = _connect(settings)
                except OSError as exc:
                    untried = Outcome("untried", _describe(exc))
                    outcomes.update({later.message_id: untried for later in rows[index:]})
                    log.warning(
                        "SMTP server unavailable again: %s", logs.redact_addresses(untried.error)
                    )
                    break
            try:
                deliver(smtp, row, settings=settings)
            except Exception as exc:
                gone = _connection_lost(exc) or smtp.sock is None  # smtplib closes on 421
                outcomes[row.message_id] = (
                    Outcome("retry", _describe(exc)) if gone else _classify(exc)
                )
                log.warning(
                    "Message %s to @%s not sent: %s",
                    row.id,
                    _domain(row),
                    logs.redact_addresses(_describe(exc)),
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
                _quit(smtp)
    return outcomes


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def deliver(smtp: smtplib.SMTP, row: OutboxMessage, *, settings: Settings) -> None:
    """Send one message; raises what smtplib raises. The envelope names only the row's
    recipient, whatever the headers say."""
    sender = parseaddr(settings.mail_from)[1]
    smtp.send_message(build_message(row, settings=settings), sender, [row.to_address])


def build_message(row: OutboxMessage, *, settings: Settings) -> EmailMessage:
    if _CONTROL.search(row.to_address):
        raise ValueError("recipient address contains control characters")
    msg = EmailMessage(policy=POLICY)
    msg["From"] = settings.mail_from
    msg["To"] = Address(display_name=_one_line(row.to_name), addr_spec=row.to_address)
    msg["Subject"] = _one_line(row.subject)
    msg["Message-ID"] = row.message_id
    msg["Date"] = format_datetime(utcnow())
    msg.set_content(row.text_body)
    if row.html_body:
        # The boundary is chosen here rather than by the generator, which compiles a
        # regular expression per message to check its own: one no body contains cannot
        # appear in the encoded parts either (quoted-printable writes "=" as "=3D",
        # base64 has no "-").
        msg.make_alternative(boundary=_boundary(row.text_body, row.html_body))
        msg.add_alternative(row.html_body, subtype="html")
    return msg


def _boundary(*bodies: str) -> str:
    """A MIME boundary in the email package's form, unguessable and in no body."""
    while True:
        boundary = f"==============={secrets.randbelow(sys.maxsize):019d}=="
        if not any(boundary in body for body in bodies):
            return boundary


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


def _connect(settings: Settings) -> smtplib.SMTP:
    context = ssl.create_default_context()
    # Our own name for EHLO: avoids a slow reverse DNS lookup of the machine's FQDN.
    options: dict[str, Any] = {
        "local_hostname": urlsplit(settings.base_url).hostname or "localhost",
        "timeout": settings.smtp_timeout,
    }
    smtp = (
        smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, context=context, **options)
        if settings.smtp_ssl
        else smtplib.SMTP(settings.smtp_host, settings.smtp_port, **options)
    )
    try:
        if settings.smtp_starttls and not settings.smtp_ssl:
            smtp.starttls(context=context)
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
    except BaseException:
        smtp.close()
        raise
    return smtp


def _connection_lost(exc: Exception) -> bool:
    """The connection, not the message, failed (smtplib's reply errors are OSErrors too)."""
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


def _classify(exc: Exception) -> Outcome:
    """5xx is permanent; 4xx and network trouble are worth another try."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _reply in exc.recipients.values()]
    elif isinstance(exc, smtplib.SMTPResponseException):
        codes = [exc.smtp_code]
    else:  # a malformed address or a server without SMTPUTF8 will not get better by waiting
        permanent = isinstance(exc, smtplib.SMTPNotSupportedError) or not isinstance(exc, OSError)
        return Outcome("failed" if permanent else "retry", _describe(exc))
    permanent = bool(codes) and all(500 <= code < 600 for code in codes)
    return Outcome("failed" if permanent else "retry", _describe(exc))


def _describe(exc: BaseException) -> str:
    """What went wrong, from the server's reply or the exception: never the message body."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = (f"{code} {_decode(reply)}" for code, reply in exc.recipients.values())
        text = "Recipient refused: " + "; ".join(replies)
    elif isinstance(exc, smtplib.SMTPResponseException):
        text = f"{exc.smtp_code} {_decode(exc.smtp_error)}"
    elif isinstance(exc, OSError):
        text = f"{type(exc).__name__}: {exc}"
    else:
        text = type(exc).__name__
    return _one_line(text)[:1000]


def _decode(reply: bytes | str) -> str:
    return reply.decode("utf-8", errors="replace") if isinstance(reply, bytes) else reply


def _one_line(value: str) -> str:
    return " ".join(_CONTROL.sub(" ", value).split())


def _domain(row: OutboxMessage) -> str:
    return row.to_address.rpartition("@")[2]
