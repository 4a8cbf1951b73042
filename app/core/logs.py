"""Log hygiene: nothing a signer typed, and no bearer token, ever reaches a log file.

Links in emails carry bearer tokens: they are cut from access-log lines. Client addresses
are left out of the access log too, unless ACCESS_LOG_CLIENT_IPS asks for them: a log
that says who signed from where is what the signers need us not to keep. Tracebacks keep
their frames (file, line, code) but not their exceptions' messages, which can quote what
was being processed — a database error's DETAIL line repeats the row it refused — and SQL
parameters are never rendered (`hide_parameters` on every engine).
"""

from __future__ import annotations

import logging
import re
import traceback

from sqlalchemy.exc import StatementError

# A path segment that is a token: long, URL-safe base64 with itsdangerous' dots.
_TOKEN_SEGMENT = re.compile(r"/[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-.]{16,}")


_ADDRESS = re.compile(r"[^\s<>()\[\]@;,:\"']+@[^\s<>()\[\];,:\"']+")


def redact(text: str) -> str:
    return _TOKEN_SEGMENT.sub("/[token]", text)


def redact_addresses(text: str) -> str:
    """An SMTP server's reply often repeats the recipient's address."""
    return _ADDRESS.sub("[address]", text)


class RedactTokensFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


class HideClientAddressFilter(logging.Filter):
    """Replaces the client address ("203.0.113.7:51234") of uvicorn's access-log lines
    with "-". uvicorn passes it as the first of the record's arguments, and its access
    formatter unpacks exactly those five, so the tuple keeps its shape."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) == 5:
            record.args = ("-", *record.args[1:])
        return True


def safe_traceback(exc: BaseException) -> str:
    """The traceback of `exc` and the exceptions it came from: each exception's type and
    frames, its message withheld; for a database error, the SQL without its values."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    lines: list[str] = []
    for error in reversed(chain):
        lines.append("Traceback (most recent call last):\n")
        lines.extend(traceback.format_list(traceback.extract_tb(error.__traceback__)))
        kind = f"{type(error).__module__}.{type(error).__qualname__}"
        if isinstance(error, StatementError):
            origin = type(error.orig).__qualname__ if error.orig is not None else "?"
            lines.append(f"{kind} ({origin}; message withheld) [SQL: {error.statement}]\n")
        else:
            lines.append(f"{kind} (message withheld)\n")
    return "".join(lines).rstrip("\n")


class SafeTracebackFilter(logging.Filter):
    """Renders a record's exception with `safe_traceback` before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = safe_traceback(record.exc_info[1])
            record.exc_info = None
        return True


def log_failure(logger: logging.Logger, message: str, *args: object, error: BaseException) -> None:
    """Log an unexpected error at ERROR with its safe traceback."""
    logger.error("%s\n%s", message % args if args else message, safe_traceback(error))


def install_redaction(*, client_ips: bool = False) -> None:
    """Filters on uvicorn's loggers; `client_ips` keeps client addresses in the access log."""
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokensFilter) for f in logger.filters):
            logger.addFilter(RedactTokensFilter())
    access_log = logging.getLogger("uvicorn.access")
    for existing in [f for f in access_log.filters if isinstance(f, HideClientAddressFilter)]:
        access_log.removeFilter(existing)
    if not client_ips:
        access_log.addFilter(HideClientAddressFilter())
    # uvicorn logs an exception that left the app (Starlette re-raises after the 500 page).
    error_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, SafeTracebackFilter) for f in error_log.filters):
        error_log.addFilter(SafeTracebackFilter())
