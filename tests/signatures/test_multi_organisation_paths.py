"""One address, several organisations, through every other path: the JSON API's
`organisations` list, imports, the team's add-by-hand, a signer's own edit, and the
migration that back-fills the organisation's blind index."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.core import schema
from app.core.db import make_engine
from app.core.errors import FieldErrors
from app.signatures import lifecycle, similarity
from app.signatures.forms import SignInput
from app.signatures.importing import service as importing
from app.signatures.models import Signature, SignatureStatus, SignerKind
from app.signatures.moderation.manual import service as manual
from app.statements.models import Statement
from tests.databases import create_database, database_url, drop_database
from tests.factories import make_user, open_statement, organisation
from tests.helpers import run_signing_worker, submit

PUBLIC = "/api/v1/public/statements/hrc58/signatures"


@pytest.fixture
def lead(db: Session) -> User:
    return make_user(db, email="lead@example.org")


@pytest.fixture
def statement(db: Session, lead: User) -> Statement:
    return open_statement(db, owner=lead, slug="hrc58")


def _signatures(db: Session) -> list[Signature]:
    return list(db.exec(select(Signature).order_by(col(Signature.id))))


def _person(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "organisation",
        "name": "Hubert Younghwan Lee",
        "title": "Executive Director",
        "email": "director@tjwg.org",
        "listing": "named",
        "consent_privacy": True,
        **overrides,
    }


def _org(name: str, **overrides: Any) -> dict[str, Any]:
    return {"organisation": name, "country": "KR", "authorised": True, **overrides}


# --- the API --------------------------------------------------------------------------


def test_the_api_signs_for_several_organisations(
    client: TestClient, db: Session, statement: Statement
) -> None:
    body = _person(
        organisations=[
            _org("Transitional Justice Working Group", acronym="TJWG", ecosoc_status="special"),
            _org("Korea Future", website="https://koreafuture.org"),
        ]
    )
    response = client.post(PUBLIC, json=body)
    assert response.status_code == 202, response.text
    assert response.json() == {"status": "check_your_email"}
    signatures = _signatures(db)
    assert [(s.organisation, s.acronym, s.ecosoc_status.value) for s in signatures] == [
        ("Transitional Justice Working Group", "TJWG", "special"),
        ("Korea Future", "", "none"),
    ]
    assert {s.status for s in signatures} == {SignatureStatus.PENDING}
    run_signing_worker(db)

    # The same again is a repeat of both: the same answer, no new row.
    assert client.post(PUBLIC, json=body).json() == {"status": "check_your_email"}
    assert len(_signatures(db)) == 2


def test_the_api_names_each_organisations_errors_and_writes_nothing(
    client: TestClient, db: Session, statement: Statement
) -> None:
    body = _person(
        organisations=[
            _org("Transitional Justice Working Group"),
            _org("Korea Future", authorised=False, country=""),
            _org("transitional justice working group"),
        ]
    )
    response = client.post(PUBLIC, json=body)
    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert fields == {
        "organisations.1.authorised",
        "organisations.1.country",
        "organisations.2.organisation",
    }
    assert _signatures(db) == []

    both = client.post(PUBLIC, json=_person(organisation="TJWG", organisations=[_org("KF")]))
    assert both.status_code == 422
    assert [d["field"] for d in both.json()["error"]["details"]] == ["organisations"]
    individual = client.post(PUBLIC, json=_person(kind="individual", organisations=[_org("KF")]))
    assert individual.status_code == 422
    eleven = client.post(PUBLIC, json=_person(organisations=[_org(f"G{n}") for n in range(11)]))
    assert eleven.status_code == 422
    assert _signatures(db) == []


def test_the_api_documents_the_list(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    create = spec["components"]["schemas"]["SignatureCreate"]["properties"]["organisations"]
    assert create["maxItems"] == 10
    assert "up to 10 organisations" in create["description"]
    org = spec["components"]["schemas"]["OrganisationSign"]["properties"]
    assert set(org) == {
        "organisation",
        "acronym",
        "website",
        "ecosoc_status",
        "country",
        "authorised",
    }


# --- imports and the team's own additions ---------------------------------------------


def test_an_import_takes_one_address_for_several_organisations(
    db: Session, lead: User, statement: Statement
) -> None:
    rows = [
        ["director@tjwg.org", "Hubert", "Transitional Justice Working Group", "KR"],
        ["director@tjwg.org", "Hubert", "Korea Future", "KR"],
        ["director@tjwg.org", "Hubert", "The Transitional Justice Working-Group", "KR"],
    ]
    mapping = dict(enumerate(["email", "name", "organisation", "country"]))
    defaults = importing.Defaults(kind="organisation")
    preview = importing.preview(
        db, statement=statement, rows=rows, mapping=mapping, defaults=defaults
    )
    assert [(r.existing, r.same_as_row) for r in preview.rows] == [
        (None, None),
        (None, None),
        (None, 2),
    ]
    imported = importing.commit_import(
        db,
        statement=statement,
        actor=lead,
        rows=rows,
        mapping=mapping,
        defaults=defaults,
        skip_duplicates=True,
    )
    assert imported == 2
    assert [s.organisation for s in _signatures(db)] == [
        "Transitional Justice Working Group",
        "Korea Future",
    ]
    again = importing.preview(
        db, statement=statement, rows=rows[1:2], mapping=mapping, defaults=defaults
    )
    assert again.rows[0].existing == SignatureStatus.APPROVED


def test_add_by_hand_takes_a_second_organisation_but_not_the_same_one_again(
    db: Session, lead: User, statement: Statement
) -> None:
    def add(name: str) -> Signature:
        data = SignInput(**organisation(organisation=name, ecosoc_status="general"))
        return manual.add_by_hand(
            db, statement=statement, actor=lead, data=data, source_note="Email of 3 March"
        )

    first = add("Transitional Justice Working Group")
    second = add("Korea Future")
    assert first.org_party_key != second.org_party_key
    assert second.ecosoc_status.value == "general"
    with pytest.raises(FieldErrors) as caught:
        add("transitional justice working group")
    assert caught.value.errors == {
        "email": "This email address has already signed for this organisation."
    }
    assert len(_signatures(db)) == 2


def test_a_signer_cannot_rename_one_signature_into_another_of_theirs(
    client: TestClient, db: Session, statement: Statement
) -> None:
    values = organisation(organisations="2", **{"organisation-2": "Korea Future"})
    values |= {"country-2": "KR", "authorised-2": "true"}
    assert submit(client, "/s/hrc58/sign", **values).status_code == 303
    tjwg, future = _signatures(db)
    future.status = SignatureStatus.CONFIRMED
    db.flush()
    edit = "/edit/" + lifecycle.edit_link(future).rsplit("/edit/", 1)[1]
    fields = {
        "organisation": "Transitional Justice Working Group",
        "name": "Hubert Younghwan Lee",
        "country": "KR",
        "listing": "named",
    }
    response = submit(client, edit, **fields)
    assert response.status_code == 422
    assert "already signed this statement for that organisation" in response.text

    renamed = submit(client, edit, **fields | {"organisation": "Korea Future Initiative"})
    assert renamed.status_code == 200
    assert tjwg.organisation == "Transitional Justice Working Group"


# --- the migration ----------------------------------------------------------------------


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    url = database_url(f"undersigned_multiorg_{worker}_{os.getpid()}", tmp_path)
    create_database(url)
    yield url
    drop_database(url)


def test_the_migration_back_fills_each_organisations_key(fresh_url: str) -> None:
    schema.upgrade(fresh_url)
    engine = make_engine(fresh_url)
    try:
        with Session(engine) as session:
            owner = make_user(session)
            statement = open_statement(session, owner=owner, slug="hrc58")
            for name, kind in (
                ("Korea Future", SignerKind.ORGANISATION),
                ("", SignerKind.INDIVIDUAL),
            ):
                session.add(
                    Signature(
                        statement_id=statement.id or 0,
                        kind=kind,
                        name="Someone",
                        email="someone@example.org",
                        email_key="k",
                        organisation=name,
                        nonce="n",
                    )
                )
            session.commit()
        command.downgrade(schema.alembic_config(fresh_url), "0020_outreach")
        with engine.connect() as conn:
            sealed = conn.execute(text("SELECT organisation FROM signature ORDER BY id")).scalars()
            assert sealed.all()[0].startswith("enc1:")  # the name is encrypted at rest
        schema.upgrade(fresh_url)
        with engine.connect() as conn:
            keys = conn.execute(text("SELECT org_party_key FROM signature ORDER BY id")).scalars()
            assert list(keys) == [similarity.party_key("organisation", "Korea Future"), ""]
    finally:
        engine.dispose()
