"""Talking to the SMTP server: connecting (TLS, AUTH), the connection kept between
batches, sending one message, and what a failure means for it (`Outcome`): 5xx is
permanent, 4xx and network trouble are worth another try."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any, Literal
from urllib.parse import urlsplit

from app.core.config import Settings
from app.mail.message import build_message, one_line
from app.mail.models import OutboxMessage


@dataclass(frozen=True)
class Outcome:
    # "untried": the connection went before this message's turn; it costs no attempt.
    result: Literal["sent", "retry", "failed", "untried"]
    error: str = ""


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
            disconnect(smtp)


def connect(settings: Settings) -> smtplib.SMTP:
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


def disconnect(smtp: smtplib.SMTP) -> None:
    """QUIT politely; a server that is already gone is just closed."""
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def deliver(smtp: smtplib.SMTP, row: OutboxMessage, *, settings: Settings) -> None:
    """Send one message; raises what smtplib raises. The envelope names only the row's
    recipient, whatever the headers say."""
    sender = parseaddr(settings.mail_from)[1]
    smtp.send_message(build_message(row, settings=settings), sender, [row.to_address])


def connection_lost(exc: Exception) -> bool:
    """The connection, not the message, failed (smtplib's reply errors are OSErrors too)."""
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


def classify(exc: Exception) -> Outcome:
    """5xx is permanent; 4xx and network trouble are worth another try."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _reply in exc.recipients.values()]
    elif isinstance(exc, smtplib.SMTPResponseException):
        codes = [exc.smtp_code]
    else:  # a malformed address or a server without SMTPUTF8 will not get better by waiting
        permanent = isinstance(exc, smtplib.SMTPNotSupportedError) or not isinstance(exc, OSError)
        return Outcome("failed" if permanent else "retry", describe(exc))
    permanent = bool(codes) and all(500 <= code < 600 for code in codes)
    return Outcome("failed" if permanent else "retry", describe(exc))


def describe(exc: BaseException) -> str:
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
    return one_line(text)[:1000]


def _decode(reply: bytes | str) -> str:
    return reply.decode("utf-8", errors="replace") if isinstance(reply, bytes) else reply
