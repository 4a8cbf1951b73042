"""Races that a viral share produces, against the real database and the real request
transaction (no test session in between): many submissions with one email, many clicks
on one confirmation link."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine
from sqlmodel import select

from app.core.db import new_session
from app.mail.models import OutboxMessage
from app.main import create_app
from app.signatures.models import Signature, SignatureStatus
from app.signatures.signing import notices
from tests.factories import individual, make_user, open_statement
from tests.helpers import csrf_from, mail_to


def _open_statement(engine: Engine) -> str:
    with new_session(engine) as session:
        owner = make_user(session)
        statement = open_statement(session, owner=owner, slug="viral")
        session.commit()
        return statement.slug


def _run_workers(engine: Engine, workers: int) -> None:
    """`workers` mail workers turning the notices into email at the same time."""

    def work(_: int) -> int:
        with new_session(engine) as session:
            handled = notices.write_notices(session)
            session.commit()
            return handled

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(work, range(workers)))
    with new_session(engine) as session:  # whatever a busy worker left for the next round
        notices.write_notices(session)
        session.commit()


def test_fifty_parallel_signatures_with_one_email_make_one(committed: Engine) -> None:
    slug = _open_statement(committed)
    app = create_app()
    clients = [TestClient(app, base_url="http://testserver") for _ in range(50)]
    tokens = [csrf_from(c.get(f"/s/{slug}/sign").text) for c in clients]

    def sign(i: int) -> tuple[int, str, str]:
        response = clients[i].post(
            f"/s/{slug}/sign",
            data={**individual(email="same@example.org"), "csrf_token": tokens[i]},
            follow_redirects=False,
        )
        return response.status_code, response.headers.get("location", ""), response.text

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(sign, range(50)))
    assert {r[0] for r in results} == {303}
    assert len(set(results)) == 1, "every response must be identical"
    _run_workers(committed, 3)
    with new_session(committed, write=False) as session:
        assert len(session.exec(select(Signature)).all()) == 1
        # The confirmation, then one repeat notice (with the link again): two emails from
        # fifty attempts, however the workers shared the notices out.
        kinds = [m.kind for m in mail_to(session, "same@example.org")]
        assert list(kinds) == ["signature_confirm", "signature_repeat"]


def test_twenty_parallel_confirmations_confirm_once(committed: Engine) -> None:
    slug = _open_statement(committed)
    app = create_app()
    with TestClient(app, base_url="http://testserver") as client:
        client.post(
            f"/s/{slug}/sign",
            data={**individual(), "csrf_token": csrf_from(client.get(f"/s/{slug}/sign").text)},
        )
    _run_workers(committed, 1)
    with new_session(committed, write=False) as session:
        body = session.exec(select(OutboxMessage.text_body)).one()
    match = re.search(r"http://testserver(/confirm/\S+)", body)
    assert match
    link = match.group(1)
    clients = [TestClient(app, base_url="http://testserver") for _ in range(20)]
    tokens = [csrf_from(c.get(link).text) for c in clients]

    def confirm(i: int) -> int:
        response: Response = clients[i].post(link, data={"csrf_token": tokens[i]})
        return response.status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(confirm, range(20)))
    assert statuses == [200] * 20
    _run_workers(committed, 2)  # the thank-you email is the worker's to write
    with new_session(committed, write=False) as session:
        signature = session.exec(select(Signature)).one()
        assert signature.status == SignatureStatus.CONFIRMED
        kinds = session.exec(select(OutboxMessage.kind)).all()
    # Exactly one confirmation happened: one "thank you" email with the withdraw link.
    assert sorted(kinds) == ["signature_confirm", "signature_confirmed"]
