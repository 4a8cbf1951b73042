"""The signatures API keeps the sign form's protections and the team pages' rules."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.accounts.tokens import service as api_tokens
from app.accounts.tokens.service import ALL_SCOPES
from app.core.config import get_settings
from app.core.db import utcnow
from app.mail.models import OutboxMessage
from app.signatures import lifecycle
from app.signatures.models import Flag, Signature, SignatureStatus, Source
from app.statements.models import Statement, TeamRole
from app.statements.team import service as team
from tests.factories import individual, make_statement, make_user, open_statement, organisation
from tests.helpers import run_signing_worker

PUBLIC = "/api/v1/public/statements"
TEAM = "/api/v1/statements"
ACCEPTED = {"status": "check_your_email"}
JSON = {"content-type": "application/json"}
NO_TOKEN = {"Authorization": "Bearer us_nope"}


@pytest.fixture
def owner(db: Session) -> User:
    return make_user(db, email="owner@example.org", name="Owner")


@pytest.fixture
def statement(db: Session, owner: User) -> Statement:
    return open_statement(db, owner=owner, slug="hrc58")


def bearer(db: Session, user: User) -> dict[str, str]:
    _token, raw = api_tokens.create_token(db, user=user, name="tests", scopes=ALL_SCOPES)
    db.commit()  # only releases the test's savepoint: a failed request must not undo this
    return {"Authorization": f"Bearer {raw}"}


def as_json(form: dict[str, str], **overrides: Any) -> dict[str, Any]:
    """A factory's form values with JSON types: booleans for the checkboxes."""
    body: dict[str, Any] = dict(form)
    for name in ("authorised", "consent_privacy", "opt_in_updates"):
        if name in body:
            body[name] = body[name] == "true"
    body.update(overrides)
    return body


def sign(client: TestClient, body: Any, slug: str = "hrc58") -> Any:
    return client.post(f"{PUBLIC}/{slug}/signatures", json=body)


def signatures(db: Session) -> list[Signature]:
    return list(db.exec(select(Signature).order_by(col(Signature.id))))


def mail(db: Session, kind: str) -> list[OutboxMessage]:
    run_signing_worker(db)  # the worker writes signers' emails after the request
    query = select(OutboxMessage).where(col(OutboxMessage.kind) == kind)
    return list(db.exec(query.order_by(col(OutboxMessage.id))))


def confirm_all(db: Session, *, but: str = "") -> None:
    for message in mail(db, "signature_confirm"):
        if message.to_address == but:
            continue
        match = re.search(r"/confirm/(\S+)", message.text_body)
        assert match, message.text_body
        lifecycle.confirm(db, token=match.group(1))


def field_errors(response: Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["status"] == 422
    return {d["field"]: d["message"] for d in error["details"]}


# --- public signing ---------------------------------------------------------------------


def test_signing_creates_a_pending_signature_and_queues_its_email(
    client: TestClient, db: Session, statement: Statement
) -> None:
    response = sign(client, as_json(individual(), opt_in_updates=True))
    assert response.status_code == 202, response.text
    assert response.json() == ACCEPTED
    assert response.headers["cache-control"] == "no-store"
    (signature,) = signatures(db)
    assert (signature.status, signature.source) == (SignatureStatus.PENDING, Source.API)
    assert (signature.consent_privacy, signature.opt_in_updates) == (True, True)
    assert signature.statement_id == statement.id and signature.ip_hash
    (message,) = mail(db, "signature_confirm")
    assert message.to_address == "jeongsam@example.org"
    assert sign(client, as_json(organisation())).status_code == 202
    assert signatures(db)[1].authorised is True


def test_signing_again_answers_byte_for_byte_the_same(
    client: TestClient, db: Session, statement: Statement
) -> None:
    first = sign(client, as_json(individual()))
    again = sign(client, as_json(individual(email="JeongSam+again@Example.org", name="K J-S")))
    assert (first.status_code, first.content) == (again.status_code, again.content)
    assert first.headers == again.headers
    assert len(signatures(db)) == 1
    assert len(mail(db, "signature_confirm")) == 1
    (repeat,) = mail(db, "signature_repeat")
    assert "/confirm/" in repeat.text_body  # still pending: the link again
    assert "K J-S" not in repeat.text_body
    confirm_all(db)
    later = sign(client, as_json(individual(email="JEONGSAM@example.org")))
    assert (later.status_code, later.content, later.headers) == (
        first.status_code, first.content, first.headers,
    )  # fmt: skip
    assert len(signatures(db)) == 1
    assert len(mail(db, "signature_repeat")) == 1  # two emails in the window already


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (as_json(individual(email="not-an-email")), "email", "valid email"),
        (as_json(individual(country="XX")), "country", "Choose a country"),
        ({k: v for k, v in as_json(individual()).items() if k != "consent_privacy"},
         "consent_privacy", "privacy notice"),
        (as_json(individual(consent_privacy="")), "consent_privacy", "privacy notice"),
        (as_json(individual(name="x" * 300)), "name", "under 200"),
        (as_json(organisation(authorised="")), "authorised", "authorised"),
        (as_json(organisation(country="")), "country", "organisation is based"),
    ],
)  # fmt: skip
def test_bad_input_gets_field_errors_and_stores_nothing(
    client: TestClient,
    db: Session,
    statement: Statement,
    body: dict[str, Any],
    field: str,
    message: str,
) -> None:
    errors = field_errors(sign(client, body))
    assert message in errors[field]
    assert signatures(db) == [] and mail(db, "signature_confirm") == []


def test_wrong_json_types_are_422_never_500(
    client: TestClient, db: Session, statement: Statement
) -> None:
    good = as_json(individual())
    assert "consent_privacy" in field_errors(sign(client, {**good, "consent_privacy": "true"}))
    assert "consent_privacy" in field_errors(sign(client, {**good, "consent_privacy": 1}))
    assert "name" in field_errors(sign(client, {**good, "name": 123}))
    assert "email" in field_errors(sign(client, {**good, "email": None}))
    assert "kind" in field_errors(sign(client, {**good, "kind": "robot"}))
    assert "listing" in field_errors(sign(client, {**good, "listing": "secret"}))
    assert "homepage" in field_errors(sign(client, {**good, "homepage": "spam"}))
    assert "form_started_at" in field_errors(sign(client, {**good, "form_started_at": 0}))
    assert sign(client, {**good, "country": "K\u0000R"}).status_code == 400  # unstorable
    for odd in ([good], "text", 42, None):
        assert sign(client, odd).status_code == 422
    url = f"{PUBLIC}/hrc58/signatures"
    broken = client.post(url, content=b'{"kind": ', headers=JSON)
    assert broken.status_code == 422 and broken.json()["error"]["status"] == 422
    assert client.post(url, data=individual()).status_code == 422  # a form post is not JSON
    assert signatures(db) == []


@pytest.mark.parametrize(
    ("value", "answers"),
    [
        # What no database can store is refused before anything is read (400).
        ("\u0000", {400}),
        ("a\u0000b@example.org", {400}),
        ("\ud800", {400}),
        ("\u202e" * 300, {202, 422}),
    ],
)
def test_odd_text_in_any_field_is_never_a_500(
    client: TestClient, statement: Statement, value: str, answers: set[int]
) -> None:
    for field in ("name", "title", "note", "organisation", "acronym", "website", "country",
                  "email", "form_token"):  # fmt: skip
        for form in (individual(), organisation()):
            raw = json.dumps(as_json(form, **{field: value}))  # \ud800 as its JSON escape
            response = client.post(f"{PUBLIC}/hrc58/signatures", content=raw, headers=JSON)
            assert response.status_code in answers, (field, response.text)


def test_a_body_over_the_limit_is_refused_with_413(
    client: TestClient, statement: Statement
) -> None:
    body = as_json(individual(), note="x" * (get_settings().max_body_bytes + 1))
    assert sign(client, body).status_code == 413


def test_drafts_do_not_exist_and_closed_statements_refuse(
    client: TestClient, db: Session, owner: User, statement: Statement
) -> None:
    make_statement(db, owner=owner, slug="draft")
    for path in ("/sign-token", "/signatures/summary"):
        assert client.get(f"{PUBLIC}/draft{path}").status_code == 404
        assert client.get(f"{PUBLIC}/nowhere{path}").status_code == 404
    assert sign(client, as_json(individual()), slug="draft").status_code == 404
    statement.deadline_at = utcnow() - timedelta(seconds=1)
    db.flush()
    closed = sign(client, as_json(individual()))
    assert closed.status_code == 409
    assert "not open for signatures" in closed.json()["error"]["message"]
    assert signatures(db) == []
    assert client.get(f"{PUBLIC}/hrc58/sign-token").status_code == 200


def test_suspicious_signatures_are_held_not_refused(
    client: TestClient, db: Session, statement: Statement, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = client.get(f"{PUBLIC}/hrc58/sign-token").json()["form_token"]
    fast = sign(client, as_json(individual(), form_token=token))
    monkeypatch.setattr(get_settings(), "sign_min_seconds", 0.0)
    token = client.get(f"{PUBLIC}/hrc58/sign-token").json()["form_token"]
    calm = sign(client, as_json(individual(email="calm@example.org"), form_token=token))
    forged = sign(client, as_json(individual(email="forged@example.org"), form_token="x.y.z"))
    monkeypatch.setattr(get_settings(), "sign_limit_per_ip_per_hour", 3)
    flood = sign(client, as_json(individual(email="bot@mailinator.com")))
    assert {r.status_code for r in (fast, calm, forged, flood)} == {202}
    assert fast.content == calm.content == forged.content == flood.content
    flags = [s.flag_set() for s in signatures(db)]
    assert flags[0] == {Flag.TOO_FAST}
    assert flags[1] == flags[2] == set()
    assert flags[3] == {Flag.RATE_LIMITED, Flag.DISPOSABLE_EMAIL}


def test_summary_counts_only_approved_and_never_names_anonymous_signers(
    client: TestClient, db: Session, owner: User, statement: Statement
) -> None:
    auth = bearer(db, owner)
    sign(client, as_json(individual(name="Named Person", note="")))
    sign(client, as_json(individual(name="Secret Person", listing="anonymous", email="s@x.org")))
    sign(client, as_json(organisation(organisation="Hidden Group", acronym="HG", website="",
                                      listing="anonymous", email="a@hidden.example")))  # fmt: skip
    sign(client, as_json(individual(name="Only Counted", listing="counted", email="c@x.org")))
    sign(client, as_json(individual(name="Rejected One", email="r@x.org")))
    sign(client, as_json(individual(name="Never Confirmed", email="p@x.org")))
    confirm_all(db, but="p@x.org")
    for s in signatures(db)[:-1]:
        action = "reject" if s.name == "Rejected One" else "approve"
        done = client.post(f"{TEAM}/hrc58/signatures/{s.id}/{action}", headers=auth)
        assert done.status_code == 200, done.text
    summary = client.get(f"{PUBLIC}/hrc58/signatures/summary")
    assert summary.status_code == 200
    assert summary.headers["cache-control"].startswith("public")
    body = summary.json()
    assert body["counts"] == {"organisations": 1, "individuals": 3, "total": 4, "countries": 1}
    names = [s["name"] for s in body["signatories"]]
    assert sorted(names) == ["An individual", "An organisation", "Named Person"]
    for secret in ("Secret Person", "Hidden Group", "HG", "Only Counted", "@", "Rejected",
                   "Never Confirmed"):  # fmt: skip
        assert secret not in summary.text


# --- team -------------------------------------------------------------------------------


def test_team_routes_need_a_token_and_the_team(
    client: TestClient, db: Session, owner: User, statement: Statement
) -> None:
    sign(client, as_json(individual()))
    confirm_all(db)
    signature_id = signatures(db)[0].id
    viewer = make_user(db, email="viewer@example.org", name="Viewer")
    team.add_member(db, statement=statement, actor=owner, email=viewer.email, role=TeamRole.VIEWER)
    outsider = bearer(db, make_user(db, email="outsider@example.org"))
    watching = bearer(db, viewer)
    listing, one = f"{TEAM}/hrc58/signatures", f"{TEAM}/hrc58/signatures/{signature_id}"
    for method, url in [("GET", listing), ("GET", one), ("POST", f"{one}/approve")]:
        unauthorised = client.request(method, url)
        assert unauthorised.status_code == 401
        assert unauthorised.headers["www-authenticate"] == "Bearer"
        assert client.request(method, url, headers=NO_TOKEN).status_code == 401
        assert client.request(method, url, headers=outsider).status_code == 404
    assert client.get(f"{TEAM}/nowhere/signatures", headers=outsider).status_code == 404
    seen = client.get(listing, headers=watching)
    assert seen.status_code == 200 and seen.json()["total"] == 1
    assert client.get(one, headers=watching).json()["email"] == "jeongsam@example.org"
    for action in ("approve", "reject"):
        refused = client.post(f"{one}/{action}", headers=watching)
        assert refused.status_code == 403
        assert "viewer" in refused.json()["error"]["message"]
    assert signatures(db)[0].status == SignatureStatus.CONFIRMED


def test_approve_and_reject_follow_the_lifecycle(
    client: TestClient, db: Session, owner: User, statement: Statement
) -> None:
    auth = bearer(db, owner)
    sign(client, as_json(individual()))
    sign(client, as_json(individual(email="late@example.org")))
    confirm_all(db, but="late@example.org")
    done, pending = (f"{TEAM}/hrc58/signatures/{s.id}" for s in signatures(db))
    approved = client.post(f"{done}/approve", headers=auth)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["decided_at"]
    assert client.post(f"{done}/approve", headers=auth).json()["status"] == "approved"
    assert client.post(f"{done}/reject", headers=auth).json()["status"] == "rejected"
    assert client.post(f"{done}/approve", headers=auth).json()["status"] == "approved"
    refused = client.post(f"{pending}/approve", headers=auth)
    assert (
        refused.status_code == 409 and "Awaiting confirmation" in refused.json()["error"]["message"]
    )
    assert client.post(f"{pending}/reject", headers=auth).status_code == 409
    signatures(db)[0].status = SignatureStatus.WITHDRAWN
    db.flush()
    assert client.post(f"{done}/reject", headers=auth).status_code == 409
    open_statement(db, owner=owner, slug="other")
    elsewhere = f"{TEAM}/other/signatures/{signatures(db)[0].id}"
    assert client.get(elsewhere, headers=auth).status_code == 404
    assert client.post(f"{TEAM}/hrc58/signatures/999999/approve", headers=auth).status_code == 404
    assert client.get(f"{TEAM}/hrc58/signatures/{2**70}", headers=auth).status_code == 422
    assert client.get(f"{TEAM}/hrc58/signatures/abc", headers=auth).status_code == 422
    decisions = [e["action"] for e in client.get(f"{TEAM}/hrc58/audit", headers=auth).json()]
    assert decisions[:3] == ["signature approved", "signature rejected", "signature approved"]


def test_team_list_shows_details_filters_and_pages(
    client: TestClient, db: Session, owner: User, statement: Statement
) -> None:
    auth = bearer(db, owner)
    sign(client, as_json(organisation(website="https://elsewhere.example")))
    for n in range(3):
        sign(client, as_json(individual(email=f"p{n}@example.org", name=f"Person {n}")))
    confirm_all(db, but="p2@example.org")
    url = f"{TEAM}/hrc58/signatures"
    everything = client.get(url, headers=auth).json()
    assert everything["total"] == 4 and everything["per_page"] == 50
    assert everything["items"][0]["name"] == "Person 2"  # newest first
    org = everything["items"][-1]
    assert (org["email"], org["flags"], org["source"]) == (
        "director@tjwg.org", ["domain_mismatch"], "api",
    )  # fmt: skip
    assert (org["version_confirmed"], org["status"]) == (1, "confirmed")
    assert org["public_name"] == "Transitional Justice Working Group (TJWG)"
    assert not {"nonce", "ip_hash", "email_key"} & set(org)

    def get(**q: Any) -> Response:
        response: Response = client.get(url, params=q, headers=auth)
        return response

    assert get(status="pending").json()["total"] == 1
    assert get(kind="organisation").json()["items"][0]["id"] == org["id"]
    assert get(q="PERSON 1").json()["total"] == 1
    assert get(q="tjwg.org").json()["total"] == 1
    assert get(q="100%_").json()["total"] == 0
    assert get(flagged="true").json()["total"] == 1
    second = get(per_page=3, page=2).json()
    assert (second["total"], len(second["items"]), second["page"]) == (4, 1, 2)
    assert get(per_page=200).status_code == 200
    for bad in ({"per_page": 201}, {"page": 0}, {"status": "lost"}, {"kind": "robot"},
                {"q": "x" * 201}):  # fmt: skip
        assert set(field_errors(get(**bad))) == set(bad)


def test_openapi_describes_the_signatures_api_only(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert f"{PUBLIC}/{{slug}}/signatures" in paths
    assert f"{TEAM}/{{slug}}/signatures/{{signature_id}}/approve" in paths
    assert all(path.startswith("/api/") for path in paths)
