"""The groups through the API: list, create, rename, make default, reorder, delete, and
assign one or many — with the same rules as the list page, and 4xx JSON for bad input."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.accounts.tokens import service as tokens
from app.signatures.models import Signature
from app.statements.models import Statement
from tests.factories import approve_signers, make_user, open_statement, organisation

API = "/api/v1/statements/tiers-api"


@pytest.fixture
def lead(db: Session) -> User:
    return make_user(db)


@pytest.fixture
def statement(db: Session, lead: User) -> Statement:
    created = open_statement(db, owner=lead, slug="tiers-api")
    approve_signers(
        db,
        created,
        [
            organisation(organisation=f"Org {n}", acronym="", email=f"o{n}@example.org",
                         website=f"https://o{n}.example.org")
            for n in range(3)
        ],
    )  # fmt: skip
    return created


def _auth(db: Session, lead: User, *scopes: str) -> dict[str, str]:
    chosen: set[str] = set(scopes) if scopes else {str(s) for s in tokens.ALL_SCOPES}
    _row, secret = tokens.create_token(db, user=lead, name="script", scopes=chosen)
    return {"Authorization": f"Bearer {secret}"}


def _ids(db: Session, statement: Statement) -> list[int]:
    query = select(Signature.id).where(col(Signature.statement_id) == statement.id)
    return sorted(i for i in db.exec(query) if i is not None)


def test_the_groups_are_managed_through_the_api(
    client: TestClient, db: Session, lead: User, statement: Statement
) -> None:
    auth = _auth(db, lead)
    made = client.post(f"{API}/list/groups", headers=auth, json={"name": "Partners"})
    assert made.status_code == 201, made.text
    partners = made.json()
    assert (partners["name"], partners["is_default"], partners["approved"]) == (
        "Partners", False, 0,
    )  # fmt: skip
    listed = client.get(f"{API}/list/groups", headers=auth).json()
    default_id = next(g["id"] for g in listed if g["is_default"])
    order = client.put(
        f"{API}/list/groups/order", headers=auth, json={"group_ids": [partners["id"], default_id]}
    )
    assert [g["name"] for g in order.json()] == ["Partners", "Signatories"]
    ids = _ids(db, statement)
    one = client.put(
        f"{API}/signatures/{ids[0]}/group", headers=auth, json={"group_id": partners["id"]}
    )
    assert one.json() == {"changed": 1}
    bulk = client.post(
        f"{API}/list/assign", headers=auth, json={"group_id": partners["id"], "signature_ids": ids}
    )
    assert bulk.json() == {"changed": 3}
    renamed = client.patch(
        f"{API}/list/groups/{partners['id']}",
        headers=auth,
        json={"name": "Coordinating partners", "make_default": True},
    )
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["is_default"], renamed.json()["approved"]) == (
        "Coordinating partners", True, 3,
    )  # fmt: skip
    # The old default can go now; its signatures (none) go to the new default.
    gone = client.delete(f"{API}/list/groups/{default_id}", headers=auth)
    assert gone.status_code == 204
    assert [g["name"] for g in client.get(f"{API}/list/groups", headers=auth).json()] == [
        "Coordinating partners"
    ]


def test_bad_group_requests_are_4xx_json(
    client: TestClient, db: Session, lead: User, statement: Statement
) -> None:
    auth = _auth(db, lead)
    empty = client.post(f"{API}/list/groups", headers=auth, json={"name": "  "})
    assert empty.status_code == 422
    assert empty.json()["error"]["details"][0]["field"] == "name"
    extra = client.post(f"{API}/list/groups", headers=auth, json={"name": "A", "colour": "red"})
    assert extra.status_code == 422
    (default,) = client.get(f"{API}/list/groups", headers=auth).json()
    assert client.delete(f"{API}/list/groups/{default['id']}", headers=auth).status_code == 409
    assert client.patch(f"{API}/list/groups/999999", headers=auth, json={}).status_code == 404
    assert client.patch(f"{API}/list/groups/0", headers=auth, json={}).status_code == 422
    wrong_order = client.put(f"{API}/list/groups/order", headers=auth, json={"group_ids": [1, 2]})
    assert wrong_order.status_code == 422
    ids = _ids(db, statement)
    assert (
        client.put(f"{API}/signatures/{ids[0]}/group", headers=auth, json={"group_id": 999999})
    ).status_code == 404
    assert (
        client.put(f"{API}/signatures/999999/group", headers=auth, json={"group_id": default["id"]})
    ).status_code == 404
    # Reading is the read scope; every change needs the write scope.
    reader = _auth(db, lead, "read")
    assert client.get(f"{API}/list/groups", headers=reader).status_code == 200
    refused = client.post(f"{API}/list/groups", headers=reader, json={"name": "Partners"})
    assert refused.status_code == 403
    # Another lead's token learns nothing about the statement.
    stranger = _auth(db, make_user(db, email="stranger@example.org"))
    assert client.get(f"{API}/list/groups", headers=stranger).status_code == 404
