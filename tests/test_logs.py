"""Logs carry no bearer token and nothing a signer typed."""

from __future__ import annotations

import logging
import traceback

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session
from uvicorn.logging import AccessFormatter

from app.core import logs
from app.core.config import get_settings
from app.core.logs import RedactTokensFilter
from app.main import create_app
from app.security.tokens import Purpose, make_token
from tests.factories import individual, make_user, open_statement
from tests.helpers import csrf_from


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


def _access_line(caplog: pytest.LogCaptureFixture) -> str:
    """Log one request as uvicorn does, and format it with uvicorn's access formatter."""
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "203.0.113.77:51234", "POST", "/s/hrc58/sign", "1.1", 303
        )
    (record,) = [r for r in caplog.records if r.name == "uvicorn.access"]
    return AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s').format(record)


def test_access_log_leaves_out_client_addresses_unless_configured(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert get_settings().access_log_client_ips is False
    create_app()  # installs the log filters from the settings, as a server process does
    line = _access_line(caplog)
    assert line.startswith('- - "POST /s/hrc58/sign HTTP/1.1" 303')
    assert "203.0.113" not in line

    monkeypatch.setattr(get_settings(), "access_log_client_ips", True)
    create_app()
    assert _access_line(caplog).startswith('203.0.113.77:51234 - "POST /s/hrc58/sign HTTP/1.1"')
    # Back to the default for the tests that follow, however this one ends.
    monkeypatch.undo()
    create_app()
    assert "203.0.113" not in _access_line(caplog)


def _break_signature_inserts(db: Session) -> None:
    """A database that fails in the middle of a signature: every insert is refused."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(
            text(
                "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'disk full' USING DETAIL = 'row ' || NEW::text; END $$ "
                "LANGUAGE plpgsql"
            )
        )
        db.execute(
            text(
                "CREATE TRIGGER refuse BEFORE INSERT ON signature "
                "FOR EACH ROW EXECUTE FUNCTION refuse()"
            )
        )
    else:
        db.execute(
            text(
                "CREATE TRIGGER refuse BEFORE INSERT ON signature "
                "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )
        )


def test_a_failing_database_logs_no_signer_data(
    app: FastAPI, db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    open_statement(db, owner=make_user(db), slug="hrc58")
    _break_signature_inserts(db)
    values = individual(name="Marker Kimname", email="marker.signer@example.org")
    caplog.set_level(logging.DEBUG)
    with TestClient(app, base_url="http://testserver") as client:
        form = client.get("/s/hrc58/sign")
        data = {"csrf_token": csrf_from(form.text), **values}
        with pytest.raises(DBAPIError) as raised:
            client.post("/s/hrc58/sign", data=data, follow_redirects=False)
    # Starlette re-raises after the 500 page so that the server logs it: as uvicorn does.
    logs.install_redaction()
    logging.getLogger("uvicorn.error").error(
        "Exception in ASGI application\n", exc_info=raised.value
    )
    assert "unhandled error on POST /s/hrc58/sign" in caplog.text
    assert "Traceback" in caplog.text and "INSERT INTO signature" in caplog.text
    for secret in ("Marker Kimname", "marker.signer@example.org", "Kimname", "marker.signer"):
        assert secret not in caplog.text
    if db.get_bind().dialect.name == "postgresql":
        # The server's DETAIL repeats the refused row (its values sealed, since signers'
        # details are encrypted at rest): the message itself must still be withheld.
        message = "".join(traceback.format_exception(raised.value))
        assert "DETAIL" in message and "enc1:" in message
        assert "enc1:" not in caplog.text


def test_smtp_replies_lose_their_addresses() -> None:
    reply = "550 5.1.1 <kim.escapee@example.org>: Recipient address rejected"
    assert logs.redact_addresses(reply) == "550 5.1.1 <[address]>: Recipient address rejected"
