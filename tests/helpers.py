"""Small helpers for driving the pages the way a browser would."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, col, select

from app.mail.models import OutboxMessage
from app.signatures import lifecycle
from app.signatures.models import Signature
from app.signatures.signing import notices

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def submit(client: TestClient, page_url: str, action: str | None = None, **fields: Any) -> Response:
    """GET the page, then POST its form with the page's CSRF token, as a browser would."""
    page = client.get(page_url)
    assert page.status_code == 200, page.text
    data = {"csrf_token": csrf_from(page.text), **fields}
    response: Response = client.post(action or page_url, data=data, follow_redirects=False)
    return response


def sign_in(client: TestClient, email: str, password: str) -> Response:
    response = submit(client, "/login", email=email, password=password)
    assert response.status_code == 303, response.text
    return response


def run_signing_worker(db: Session) -> int:
    """What the mail worker does before each batch: turn the sign form's notices into
    email (a confirmation, a repeat notice or nothing)."""
    handled = notices.write_notices(db)
    db.flush()
    return handled


def signature_with_email(db: Session, email: str) -> Signature:
    """The one signature with this address (found by its blind index, as the app does)."""
    (found,) = lifecycle.signatures_of(db, address=email)
    return found


def signature_where(db: Session, **fields: object) -> Signature:
    """The one signature whose (decrypted) fields have these values."""
    (found,) = [
        s for s in db.exec(select(Signature)) if all(getattr(s, k) == v for k, v in fields.items())
    ]
    return found


def mail_to(db: Session, address: str) -> list[OutboxMessage]:
    """The outbox rows to this address, oldest first (addresses are encrypted at rest)."""
    rows = db.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))
    return [m for m in rows if m.to_address == address]
