"""Signatory groups (tiers): the lead adds, renames, orders and chooses the default group,
assigns signatures one by one and in bulk through the pages, and every format lists each
group under its heading with its counts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.accounts.tokens import service as tokens
from app.core.db import utcnow
from app.lists import service as lists
from app.lists.final import service as finalise
from app.lists.renderers import csvs, text
from app.signatures.models import Signature
from app.statements.groups import service as groups
from app.statements.models import Statement, StatementStatus
from tests.factories import PASSWORD, approve_signers, make_user, open_statement, organisation
from tests.helpers import csrf_from, sign_in, submit

URL = "/statements/tiers/list"


@pytest.fixture
def lead(db: Session) -> User:
    return make_user(db)


@pytest.fixture
def statement(db: Session, lead: User) -> Statement:
    created = open_statement(db, owner=lead, slug="tiers", coordinators="")
    approve_signers(
        db,
        created,
        [
            organisation(organisation=f"Org {n}", acronym="", email=f"o{n}@example.org",
                         website=f"https://o{n}.example.org", country=country)
            for n, country in ((1, "KR"), (2, "JP"), (3, "US"), (4, "KR"))
        ],
    )  # fmt: skip
    return created


@pytest.fixture
def signed_in(client: TestClient, lead: User) -> TestClient:
    sign_in(client, lead.email, PASSWORD)
    return client


def test_every_statement_has_one_default_group(db: Session, statement: Statement) -> None:
    found = groups.groups_for(db, statement=statement)
    assert [(g.name, g.is_default) for g in found] == [("Signatories", True)]
    model = lists.build(db, statement=statement)
    # One group: no group heading, the list's heading says it.
    assert [t.heading for t in model.tiers] == [""]
    assert "Org 1" in text.plain_text(model)


def test_lead_makes_groups_and_assigns_signatures_through_the_pages(
    signed_in: TestClient, db: Session, statement: Statement
) -> None:
    assert submit(signed_in, URL, f"{URL}/groups", name="Partners").status_code == 303
    found = groups.groups_for(db, statement=statement)
    partners = next(g for g in found if g.name == "Partners")
    # Partners first.
    assert submit(signed_in, URL, f"{URL}/groups/{partners.id}", do="up").status_code == 303
    db.expire_all()
    assert [g.name for g in groups.groups_for(db, statement=statement)] == [
        "Partners",
        "Signatories",
    ]
    ids = [
        s.id
        for s in db.exec(
            select(Signature)
            .where(col(Signature.statement_id) == statement.id)
            .order_by(col(Signature.id))
        )
    ]
    # In bulk from the signatures list (two ticked), and one from its own page.
    page = signed_in.get("/statements/tiers/signatures")
    assert 'formaction="/statements/tiers/signatures/group"' in page.text
    moved = signed_in.post(
        "/statements/tiers/signatures/group",
        data={"csrf_token": csrf_from(page.text), "ids": [ids[0], ids[1]],
              "group_id": partners.id},
        follow_redirects=False,
    )  # fmt: skip
    assert moved.status_code == 303
    single = signed_in.get(f"/statements/tiers/signatures/{ids[2]}")
    assert "Listed in the group" in single.text
    assert (
        signed_in.post(
            "/statements/tiers/signatures/group",
            data={"csrf_token": csrf_from(single.text), "ids": ids[2], "group_id": partners.id,
                  "back": f"/statements/tiers/signatures/{ids[2]}"},
            follow_redirects=False,
        ).headers["location"]
        == f"/statements/tiers/signatures/{ids[2]}"
    )  # fmt: skip
    renamed = submit(
        signed_in, URL, f"{URL}/groups/{partners.id}", do="rename", name="Coordinating partners"
    )
    assert renamed.status_code == 303
    db.expire_all()
    model = lists.build(db, statement=statement)
    assert [(t.heading, t.counts.organisations, t.counts.countries) for t in model.tiers] == [
        ("Coordinating partners", 3, 3),
        ("Signatories", 1, 1),
    ]
    plain = text.plain_text(model)
    assert (
        "Coordinating partners (3 organisations from 3 countries)\n\nOrg 1\nOrg 2\nOrg 3" in plain
    )
    assert "Signatories (1 organisation from 1 country)\n\nOrg 4" in plain
    public = signed_in.get("/s/tiers/signatories")
    assert "<h2>Coordinating partners</h2>" in public.text
    assert "3 organisations from 3 countries" in public.text
    # The snapshot keeps the groups.
    again = lists.from_json(lists.to_json(model))
    assert again.tiers == model.tiers and again.groups == model.groups
    csv = b"".join(csvs.iter_public_csv(model)).decode("utf-8-sig")
    assert "Org 1,,,South Korea,Coordinating partners" in csv


def test_the_default_group_cannot_be_deleted_and_names_are_required(
    signed_in: TestClient, db: Session, statement: Statement
) -> None:
    default = groups.groups_for(db, statement=statement)[0]
    refused = submit(signed_in, URL, f"{URL}/groups/{default.id}", do="delete")
    assert refused.status_code == 409
    assert "Make another group the default" in refused.text
    empty = submit(signed_in, URL, f"{URL}/groups", name="   ")
    assert empty.status_code == 422 and "Please give the group a name." in empty.text


def test_heading_as_of_and_order_by_country(
    signed_in: TestClient, db: Session, statement: Statement
) -> None:
    saved = submit(
        signed_in, URL, heading="Signature organizations and individuals",
        as_of="2025-03-14", sort="country", prose_step="1",
    )  # fmt: skip
    assert saved.status_code == 303, saved.text
    db.expire_all()
    model = lists.build(db, statement=statement)
    assert model.heading == "Signature organizations and individuals (as of March 14, 2025)"
    # Japan, South Korea (1 then 4), United States.
    assert [e.name for e in model.entries] == ["Org 2", "Org 1", "Org 4", "Org 3"]
    bad = submit(signed_in, URL, as_of="14/03/2025", sort="nonsense", prose_step="7")
    assert bad.status_code == 422
    assert "Please give a date such as 2025-03-14." in bad.text
    assert "Please choose 1, 10, 50 or 100." in bad.text


def test_the_sentence_in_korean_counts_anonymous_signers_without_naming_them(
    signed_in: TestClient, db: Session, lead: User
) -> None:
    korean = open_statement(db, owner=lead, slug="korean", language="ko", coordinators="")
    approve_signers(
        db,
        korean,
        [
            organisation(organisation="물망초", acronym="", email="a@example.org",
                         website="https://a.example.org", country="KR"),
            organisation(organisation="전환기정의워킹그룹", acronym="", email="b@example.org",
                         website="https://b.example.org", country="JP"),
            organisation(organisation="숨은 단체", acronym="", email="c@example.org",
                         website="https://c.example.org", country="US", listing="anonymous"),
        ]
        + [
            organisation(organisation=f"단체 {n}", acronym="", email=f"x{n}@example.org",
                         website=f"https://x{n}.example.org", country="KR")
            for n in range(9)
        ],
    )  # fmt: skip
    partners = groups.add_group(db, statement=korean, actor=lead, name="파트너")
    ids = [
        s.id or 0
        for s in db.exec(select(Signature).where(col(Signature.statement_id) == korean.id))
        if s.email in ("a@example.org", "b@example.org", "c@example.org")
    ]
    groups.assign_signatures(
        db, statement=korean, actor=lead, signature_ids=ids, group_id=partners.id or 0
    )
    groups.update_list_settings(
        db, statement=korean, actor=lead,
        data=groups.ListSettings(prose_group_id=partners.id, prose_step=10),
    )  # fmt: skip
    page = signed_in.get("/statements/korean/prose")
    assert page.status_code == 200
    # 12 organisations, rounded down to 10: "10여"; two countries named (the anonymous
    # signer's is not public).
    expected = (
        "2개국 10여 개 단체를 대표하는 3개 시민사회 파트너를 대신하여, "
        "물망초, 전환기정의워킹그룹 및 이름 공개를 원하지 않은 서명자 1명 등"
    )
    assert lists.speech(db, statement=korean) == expected
    assert expected in page.text
    assert "숨은 단체" not in page.text
    assert 'data-copy="prose"' in page.text and "js/copy.js" in page.text
    # The lead's own wording, with the placeholders.
    saved = submit(
        signed_in, "/statements/korean/list", prose_group=str(partners.id), prose_step="1",
        sort="name", prose_template="{partners}개 파트너({organisations}개 단체)를 대신하여",
    )  # fmt: skip
    assert saved.status_code == 303
    db.expire_all()
    assert lists.speech(db, statement=korean) == "3개 파트너(12개 단체)를 대신하여"
    refused = submit(
        signed_in, "/statements/korean/list", prose_step="1", sort="name",
        prose_template="{partners} {oops}",
    )  # fmt: skip
    assert refused.status_code == 422


def test_finalise_previews_the_list_and_asks_for_the_address(
    signed_in: TestClient, db: Session, statement: Statement, lead: User
) -> None:
    partners = groups.add_group(db, statement=statement, actor=lead, name="Partners")
    first = db.exec(select(Signature).where(col(Signature.statement_id) == statement.id)).first()
    assert first is not None and first.id is not None
    groups.assign_signatures(
        db, statement=statement, actor=lead, signature_ids=[first.id], group_id=partners.id or 0
    )
    groups.update_list_settings(
        db, statement=statement, actor=lead,
        data=groups.ListSettings(heading="Signature organizations", as_of="2025-03-14"),
    )  # fmt: skip
    statement.deadline_at = utcnow() - timedelta(minutes=1)
    statement.status = StatementStatus.CLOSED
    db.flush()
    page = signed_in.get("/statements/tiers/finalise")
    assert page.status_code == 200
    assert "Signature organizations (as of March 14, 2025)" in page.text
    assert "<h3>Partners</h3>" in page.text and "1 organisation from 1 country" in page.text
    assert "address to confirm: tiers" in page.text
    wrong = submit(signed_in, "/statements/tiers/finalise", confirm="tier")
    assert wrong.status_code == 422
    assert "address, tiers, to finalise it." in wrong.text
    assert finalise.snapshot_for(db, statement=statement) is None
    done = submit(signed_in, "/statements/tiers/finalise", confirm="tiers")
    assert done.status_code == 303
    snapshot = finalise.snapshot_for(db, statement=statement)
    assert snapshot is not None and snapshot.as_of == date(2025, 3, 14)
    frozen = lists.from_json(snapshot.list_json)
    assert [t.heading for t in frozen.tiers] == ["Signatories", "Partners"]
    assert frozen.heading == "Signature organizations (as of March 14, 2025)"
    # Frozen: renaming is refused now, and the public list still reads as frozen.
    assert submit(signed_in, URL, f"{URL}/groups", name="Late").status_code in (403, 409)


def test_the_api_reads_and_sets_the_list_and_assigns_signatures(
    client: TestClient, db: Session, statement: Statement, lead: User
) -> None:
    _row, secret = tokens.create_token(db, user=lead, name="sync", scopes=tokens.ALL_SCOPES)
    auth = {"Authorization": f"Bearer {secret}"}
    read = client.get("/api/v1/statements/tiers/list", headers=auth)
    assert read.status_code == 200
    (default,) = read.json()["groups"]
    assert (default["name"], default["is_default"], default["approved"]) == ("Signatories", True, 4)
    partners = groups.add_group(db, statement=statement, actor=lead, name="Partners")
    first = db.exec(select(Signature).where(col(Signature.statement_id) == statement.id)).first()
    assert first is not None
    moved = client.post(
        "/api/v1/statements/tiers/list/assign",
        headers=auth,
        json={"group_id": partners.id, "signature_ids": [first.id]},
    )
    assert moved.json() == {"changed": 1}
    put = client.put(
        "/api/v1/statements/tiers/list",
        headers=auth,
        json={"heading": "Partners and signatories", "as_of": "2025-03-14", "sort": "country",
              "ignore_articles": True, "prose_group_id": partners.id, "prose_step": 100},
    )  # fmt: skip
    assert put.status_code == 200, put.text
    body = put.json()
    assert (body["heading"], body["as_of"], body["sort"]) == (
        "Partners and signatories",
        "2025-03-14",
        "country",
    )
    assert [(g["name"], g["in_prose"], g["approved"]) for g in body["groups"]] == [
        ("Signatories", False, 3),
        ("Partners", True, 1),
    ]
    bad = client.put("/api/v1/statements/tiers/list", headers=auth, json={"prose_step": 7})
    assert bad.status_code == 422
