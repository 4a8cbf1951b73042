"""Tokens in links never reach the access log."""

from __future__ import annotations

import logging

from app.core.logs import RedactTokensFilter
from app.security.tokens import Purpose, make_token


def test_access_log_lines_lose_their_tokens() -> None:
    token = make_token(Purpose.INVITE, {"i": 1, "n": "abcdef"})
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/invite/{token}", "1.1", 200),
        None,
    )
    RedactTokensFilter().filter(record)
    line = record.getMessage()
    assert token not in line
    assert "/invite/[token]" in line


def test_ordinary_paths_are_left_alone() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s"',
        ("127.0.0.1:5000", "GET", "/static/css/app.css"),
        None,
    )
    RedactTokensFilter().filter(record)
    assert record.getMessage().endswith('/static/css/app.css"')
