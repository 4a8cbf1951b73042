"""The list's documents through the API: every public format with the read scope, the
team export only with the contact-data scope, the finalise preview (and its list pages as
PDF and text), finalisation with its typed confirmation, and the HRC layout."""

from __future__ import annotations

import io
import json

import pytest
from docx import Document
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.accounts.tokens import service as tokens
from app.audit.models import AuditEvent
from app.lists.final import service as finalise
from app.signatures.models import EcosocStatus, Signature
from app.statements import service as statements
from app.statements.models import Statement, StatementStatus
from tests.factories import approve_signers, individual, make_user, open_statement, organisation
from tests.helpers import signature_where
from tests.lists.test_tiers_documents import _pdftotext

API = "/api/v1/statements/docs-api"


@pytest.fixture
def lead(db: Session) -> User:
    return make_user(db)


@pytest.fixture
def statement(db: Session, lead: User) -> Statement:
    created = open_statement(db, owner=lead, slug="docs-api")
    approve_signers(
        db,
        created,
        [
            organisation(organisation="Alpha Org", acronym="", email="a@alpha.example",
                         website="https://alpha.example", ecosoc_status="special"),
            organisation(organisation="Beta Org", acronym="", email="b@beta.example",
                         website="https://beta.example"),
            individual(name="Kim Min-jun", email="kim@example.org"),
        ],
    )  # fmt: skip
    return created


def _auth(db: Session, lead: User, *scopes: str) -> dict[str, str]:
    chosen: set[str] = set(scopes) if scopes else {str(s) for s in tokens.ALL_SCOPES}
    _row, secret = tokens.create_token(db, user=lead, name="script", scopes=chosen)
    return {"Authorization": f"Bearer {secret}"}


def test_every_public_format_with_the_read_scope(
    client: TestClient, db: Session, lead: User, statement: Statement
) -> None:
    reader = _auth(db, lead, "read")
    got = {}
    for fmt in ("txt", "md", "csv", "xlsx", "docx", "pdf", "json"):
        response = client.get(f"{API}/exports/signatories.{fmt}", headers=reader)
        assert response.status_code == 200, (fmt, response.text)
        got[fmt] = response
    assert "Alpha Org" in got["txt"].text and "Kim Min-jun" in got["md"].text
    assert "Beta Org" in got["csv"].content.decode("utf-8-sig")
    assert "b@beta.example" not in got["csv"].content.decode("utf-8-sig")
    sheet = load_workbook(io.BytesIO(got["xlsx"].content)).active
    assert sheet is not None
    assert any("Alpha Org" in str(c.value) for row in sheet.iter_rows() for c in row)
    assert "Alpha Org" in [p.text for p in Document(io.BytesIO(got["docx"].content)).paragraphs]
    assert "Beta Org" in _pdftotext(got["pdf"].content)
    listed = json.loads(got["json"].content)
    assert {e["name"] for g in listed["groups"] for e in g["entries"]} >= {"Alpha Org"}
    prose = client.get(f"{API}/prose", headers=reader)
    assert prose.status_code == 200 and "Alpha Org" in prose.json()["prose"]
    assert client.get(f"{API}/exports/signatories.exe", headers=reader).status_code == 422
    letter = client.get(f"{API}/exports/signatories.pdf?paper=legal", headers=reader)
    assert letter.status_code == 422


def test_the_team_export_needs_the_contact_data_scope(
    client: TestClient, db: Session, lead: User, statement: Statement
) -> None:
    without = _auth(db, lead, "read", "write")
    refused = client.get(f"{API}/exports/team.csv", headers=without)
    assert refused.status_code == 403
    assert "contact data scope" in refused.json()["error"]["message"]
    contact = _auth(db, lead, "read", "contact")
    csv = client.get(f"{API}/exports/team.csv", headers=contact)
    assert csv.status_code == 200
    assert csv.headers["cache-control"] == "no-store"
    text = csv.content.decode("utf-8-sig")
    assert "b@beta.example" in text and "ECOSOC status" in text.splitlines()[0]
    xlsx = client.get(f"{API}/exports/team.xlsx", headers=contact)
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    events = db.exec(
        select(AuditEvent.detail).where(col(AuditEvent.action) == "team export downloaded")
    ).all()
    assert sorted(events) == ["team.csv", "team.xlsx"]


def test_finalise_preview_then_finalisation_with_its_confirmation(
    client: TestClient, db: Session, lead: User, statement: Statement
) -> None:
    auth = _auth(db, lead)
    client.put(
        f"{API}/list",
        headers=auth,
        json={"heading": "Signature organizations", "as_of": "2025-03-14"},
    )
    preview = client.get(f"{API}/finalise", headers=auth)
    assert preview.status_code == 200
    body = preview.json()
    assert body["heading"] == "Signature organizations (as of March 14, 2025)"
    assert (body["final"], body["ready"], body["confirm"]) == (False, False, "docs-api")
    assert body["groups"][0]["organisations"] == 2 and body["groups"][0]["individuals"] == 1
    pdf = client.get(f"{API}/finalise/preview.pdf", headers=auth)
    assert pdf.status_code == 200 and "as of March 14, 2025" in _pdftotext(pdf.content)
    txt = client.get(f"{API}/finalise/preview.txt", headers=auth)
    assert "Signature organizations (as of March 14, 2025)" in txt.text
    # Not closed yet: 409, whatever the confirmation.
    early = client.post(f"{API}/finalise", headers=auth, json={"confirm": "docs-api"})
    assert early.status_code == 409
    statements.close_statement(db, statement=statement, actor=lead)
    db.commit()
    wrong = client.post(f"{API}/finalise", headers=auth, json={"confirm": "docs"})
    assert wrong.status_code == 422
    assert wrong.json()["error"]["details"][0]["field"] == "confirm"
    missing = client.post(f"{API}/finalise", headers=auth, json={})
    assert missing.status_code == 422
    reader = _auth(db, lead, "read")
    assert (
        client.post(f"{API}/finalise", headers=reader, json={"confirm": "docs-api"}).status_code
        == 403
    )
    db.refresh(statement)
    assert statement.status == StatementStatus.CLOSED
    done = client.post(f"{API}/finalise", headers=auth, json={"confirm": "docs-api"})
    assert done.status_code == 200, done.text
    snapshot = finalise.snapshot_for(db, statement=statement)
    assert snapshot is not None and done.json()["pdf_sha256"] == snapshot.pdf_sha256
    assert done.json()["as_of"] == "2025-03-14"
    again = client.post(f"{API}/finalise", headers=auth, json={"confirm": "docs-api"})
    assert again.status_code == 409
    frozen = client.get(f"{API}/finalise", headers=auth).json()
    assert (frozen["final"], frozen["pdf_sha256"]) == (True, snapshot.pdf_sha256)
    signed = client.get(f"{API}/finalise/preview.pdf", headers=auth)
    assert signed.content == snapshot.pdf
    assert client.get(f"{API}/exports/signatories.pdf", headers=auth).content == snapshot.pdf


def test_the_hrc_layout_and_status_corrections_through_the_api(
    client: TestClient, db: Session, lead: User, statement: Statement
) -> None:
    auth = _auth(db, lead)
    layout = client.get(f"{API}/hrc", headers=auth)
    assert layout.status_code == 200
    assert layout.json()["groups"] == [
        {
            "status": "special",
            "heading": "Non-governmental organization in special consultative status",
            "names": ["Alpha Org"],
        }
    ]
    assert (layout.json()["limit"], layout.json()["without"]) == (1500, ["Beta Org"])
    beta = signature_where(db, organisation="Beta Org")
    changed = client.put(
        f"{API}/signatures/{beta.id}/ecosoc-status", headers=auth, json={"ecosoc_status": "general"}
    )
    assert changed.json() == {"id": beta.id, "ecosoc_status": "general"}
    db.refresh(beta)
    assert beta.ecosoc_status == EcosocStatus.GENERAL
    assert client.get(f"{API}/hrc", headers=auth).json()["without"] == []
    bad = client.put(
        f"{API}/signatures/{beta.id}/ecosoc-status", headers=auth, json={"ecosoc_status": "vip"}
    )
    assert bad.status_code == 422
    person = db.exec(select(Signature).where(col(Signature.kind) == "individual")).one()
    individual_status = client.put(
        f"{API}/signatures/{person.id}/ecosoc-status",
        headers=auth,
        json={"ecosoc_status": "general"},
    )
    assert individual_status.status_code == 422
    docx = client.get(f"{API}/exports/hrc.docx", headers=_auth(db, lead, "read"))
    assert docx.status_code == 200
    paragraphs = [p.text for p in Document(io.BytesIO(docx.content)).paragraphs]
    assert "Non-governmental organization in general consultative status" in paragraphs
    member = client.get(f"{API}/signatures/{beta.id}", headers=auth)
    assert member.json()["ecosoc_status"] == "general"
