"""Importing through the API: upload → preview JSON (rows, errors) → commit by preview id,
all or nothing; the contact-data scope; tampered ids and bad files are 4xx, never 500."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.accounts.models import User
from app.accounts.tokens import service as tokens
from app.signatures.models import EcosocStatus, Signature, SignatureStatus, Source
from app.statements.groups import service as groups
from app.statements.models import Statement
from tests.factories import make_user, open_statement
from tests.helpers import signature_where

API = "/api/v1/statements/import-api/import"
CSV = (
    "Timestamp,Email Address,Your name,Organization name,Country,Signing as,ECOSOC status,Tier\n"
    "2025/03/01,a@one.example,Kim,One Org,KR,Organisation,Special,Partners\n"
    "2025/03/02,b@two.example,Lee,Two Org,DE,Organisation,,\n"
)


@pytest.fixture
def lead(db: Session) -> User:
    return make_user(db)


@pytest.fixture
def statement(db: Session, lead: User) -> Statement:
    created = open_statement(db, owner=lead, slug="import-api")
    groups.add_group(db, statement=created, actor=lead, name="Partners")
    return created


def _auth(db: Session, lead: User, *scopes: str) -> dict[str, str]:
    chosen: set[str] = set(scopes) if scopes else {str(s) for s in tokens.ALL_SCOPES}
    _row, secret = tokens.create_token(db, user=lead, name="script", scopes=chosen)
    return {"Authorization": f"Bearer {secret}"}


def _preview(client: TestClient, auth: dict[str, str], content: str, **form: str) -> dict:  # type: ignore[type-arg]
    response = client.post(
        f"{API}/preview",
        headers=auth,
        files={"file": ("responses.csv", content.encode(), "text/csv")},
        data=form,
    )
    assert response.status_code == 200, response.text
    body: dict = response.json()  # type: ignore[type-arg]
    return body


def _count(db: Session) -> int:
    return db.exec(select(func.count()).select_from(Signature)).one()


def test_preview_then_commit_by_its_id(
    client: TestClient, db: Session, lead: User, statement: Statement
) -> None:
    auth = _auth(db, lead)
    preview = _preview(client, auth, CSV, columns=json.dumps({"Tier": "group"}))
    assert preview["columns"] == {
        "Timestamp": "ignore", "Email Address": "email", "Your name": "name",
        "Organization name": "organisation", "Country": "country", "Signing as": "kind",
        "ECOSOC status": "ecosoc_status", "Tier": "group",
    }  # fmt: skip
    assert (preview["ready"], preview["errors"], preview["duplicates"]) == (2, 0, 0)
    first = preview["rows"][0]
    assert (first["number"], first["state"], first["group"], first["ecosoc_status"]) == (
        2, "ready", "Partners", "special",
    )  # fmt: skip
    assert preview["rows"][1]["group"] == "Signatories"
    assert _count(db) == 0  # a preview imports nothing
    done = client.post(f"{API}/commit", headers=auth, json={"preview_id": preview["preview_id"]})
    assert done.status_code == 200, done.text
    assert done.json() == {"imported": 2}
    one = signature_where(db, organisation="One Org")
    assert (one.status, one.source, one.ecosoc_status) == (
        SignatureStatus.APPROVED, Source.IMPORT, EcosocStatus.SPECIAL,
    )  # fmt: skip
    partners = next(g for g in groups.groups_for(db, statement=statement) if g.name == "Partners")
    assert one.group_id == partners.id
    # The same preview again: both are duplicates now, skipped (or refused when asked).
    again = client.post(f"{API}/commit", headers=auth, json={"preview_id": preview["preview_id"]})
    assert again.json() == {"imported": 0}
    strict = client.post(
        f"{API}/commit",
        headers=auth,
        json={"preview_id": preview["preview_id"], "skip_duplicates": False},
    )
    assert strict.status_code == 422
    assert _count(db) == 2


def test_a_preview_with_errors_commits_nothing(
    client: TestClient, db: Session, lead: User, statement: Statement
) -> None:
    auth = _auth(db, lead)
    bad = CSV + "2025/03/03,c@three.example,Park,Three Org,Narnia,Organisation,VIP,Partnrs\n"
    preview = _preview(client, auth, bad, columns=json.dumps({"Tier": "group"}))
    assert (preview["ready"], preview["errors"]) == (2, 1)
    row = preview["rows"][2]
    assert row["state"] == "error"
    assert set(row["errors"]) == {"country", "ecosoc_status", "group"}
    refused = client.post(f"{API}/commit", headers=auth, json={"preview_id": preview["preview_id"]})
    assert refused.status_code == 422
    details = refused.json()["error"]["details"]
    assert [d["field"] for d in details] == ["row-4"]
    assert _count(db) == 0


def test_scopes_and_bad_input_are_4xx(
    client: TestClient, db: Session, lead: User, statement: Statement
) -> None:
    files = {"file": ("responses.csv", CSV.encode(), "text/csv")}
    no_contact = _auth(db, lead, "read", "write")
    assert client.post(f"{API}/preview", headers=no_contact, files=files).status_code == 403
    read_only = _auth(db, lead, "read", "contact")
    assert client.post(f"{API}/preview", headers=read_only, files=files).status_code == 403
    auth = _auth(db, lead)
    unknown = client.post(
        f"{API}/preview", headers=auth, files=files, data={"columns": '{"Nope": "name"}'}
    )
    assert unknown.status_code == 400
    not_json = client.post(f"{API}/preview", headers=auth, files=files, data={"columns": "[1"})
    assert not_json.status_code == 400
    bad_choice = client.post(
        f"{API}/preview", headers=auth, files=files, data={"columns": '{"Tier": "shoe size"}'}
    )
    assert bad_choice.status_code == 422
    empty = client.post(f"{API}/preview", headers=auth, files={"file": ("e.csv", b"", "text/csv")})
    assert empty.status_code == 400
    assert client.post(f"{API}/preview", headers=auth).status_code == 422
    preview = _preview(client, auth, CSV)
    tampered = preview["preview_id"][:-4] + "AAAA"
    assert (
        client.post(f"{API}/commit", headers=auth, json={"preview_id": tampered}).status_code == 400
    )
    assert client.post(f"{API}/commit", headers=auth, json={}).status_code == 422
    other = open_statement(db, owner=lead, slug="other-import")
    assert other.id is not None
    db.commit()
    elsewhere = client.post(
        "/api/v1/statements/other-import/import/commit",
        headers=auth,
        json={"preview_id": preview["preview_id"]},
    )
    assert elsewhere.status_code == 400
    assert _count(db) == 0
