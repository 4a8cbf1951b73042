"""Log hygiene: links in emails carry bearer tokens; they must never reach a log file."""

from __future__ import annotations

import logging
import re

# A path segment that is a token: long, URL-safe base64 with itsdangerous' dots.
_TOKEN_SEGMENT = re.compile(r"/[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-.]{16,}")


def redact(text: str) -> str:
    return _TOKEN_SEGMENT.sub("/[token]", text)


class RedactTokensFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install_redaction() -> None:
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokensFilter) for f in logger.filters):
            logger.addFilter(RedactTokensFilter())
