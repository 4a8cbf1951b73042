"""One organisation signing twice through two people is held for the lead as a possible
duplicate: same website, same acronym, or a near-identical name. Never refused."""

from __future__ import annotations

import pytest
from sqlalchemy import insert
from sqlmodel import Session, col, select

from app.signatures import similarity
from app.signatures.forms import SignInput
from app.signatures.models import Flag, Signature, SignatureStatus
from app.signatures.signing import service
from app.statements.models import Statement
from tests.factories import approve_signers, make_user, open_statement, organisation
from tests.helpers import signature_with_email


@pytest.fixture
def statement(db: Session) -> Statement:
    statement = open_statement(db, owner=make_user(db), slug="lookalikes")
    # Added through the ORM (as the team's "add by hand" and the demo do).
    approve_signers(
        db,
        statement,
        [
            organisation(),  # Transitional Justice Working Group (TJWG), tjwg.org
            organisation(
                organisation="The Citizens' Alliance for North Korean Human Rights",
                acronym="NKHR",
                website="https://www.nkhr.or.kr",
                email="info@nkhr.or.kr",
            ),
        ],
    )
    return statement


def _flags(db: Session, statement: Statement, **values: str) -> set[str]:
    data = organisation(**values)
    service.submit(
        db, statement=statement, data=SignInput.model_validate(data), context=service.Context()
    )
    stored = signature_with_email(db, data["email"])
    return set(filter(None, stored.flags.split(",")))


@pytest.mark.parametrize(
    "values",
    [
        # The same website, another name.
        {"organisation": "TJWG Seoul Office", "acronym": "", "website": "http://tjwg.org/about"},
        # The same acronym, in other letters' case.
        {"organisation": "Justice Group", "acronym": "tjwg", "website": ""},
        # A near-identical name (punctuation, "The", one letter).
        {"organisation": "Citizens Alliance for North Korean Human Right", "acronym": ""},
    ],
    ids=["website", "acronym", "name"],
)
def test_a_look_alike_is_held_as_a_possible_duplicate(
    db: Session, statement: Statement, values: dict[str, str]
) -> None:
    flags = _flags(db, statement, email="someone@elsewhere.org", **{"website": "", **values})
    assert Flag.POSSIBLE_DUPLICATE in flags


def test_a_different_organisation_is_not(db: Session, statement: Statement) -> None:
    flags = _flags(
        db,
        statement,
        organisation="Korea Future",
        acronym="KF",
        website="https://koreafuture.org",
        email="team@koreafuture.org",
    )
    assert Flag.POSSIBLE_DUPLICATE not in flags


def test_a_withdrawn_signature_does_not_count(db: Session, statement: Statement) -> None:
    for signature in db.exec(select(Signature)).all():
        signature.status = SignatureStatus.WITHDRAWN
        db.add(signature)
    db.flush()
    flags = _flags(db, statement, email="someone@elsewhere.org", acronym="TJWG")
    assert Flag.POSSIBLE_DUPLICATE not in flags


def test_every_insert_path_stores_the_comparison_keys(db: Session, statement: Statement) -> None:
    # ORM objects (the fixture), the form's Core insert and a many-row Core insert (imports).
    _flags(db, statement, organisation="Korea Future", acronym="KF", email="a@kf.org",
           website="https://www.KoreaFuture.org/en")  # fmt: skip
    base = signature_with_email(db, "a@kf.org")
    rows = [
        {**base.model_dump(exclude={"id", "org_key", "site", "acronym_key"}), "email": e,
         "email_key": e, "organisation": name}
        for e, name in (("b@x.org", "NK Watch"), ("c@x.org", "Daily NK"))
    ]  # fmt: skip
    db.execute(insert(Signature), rows)
    keys = dict(db.exec(select(Signature.organisation, Signature.org_key)).all())
    assert keys["Transitional Justice Working Group"] == "transitional justice working group"
    assert keys["The Citizens' Alliance for North Korean Human Rights"] == (
        "citizens alliance north korean human rights"
    )
    assert keys["Korea Future"] == "korea future"
    assert keys["NK Watch"] == "nk watch" and keys["Daily NK"] == "daily nk"
    assert base.site == "koreafuture.org"
    individual = db.exec(select(Signature).where(col(Signature.kind) == "individual")).all()
    assert all(s.org_key == "" and s.site == "" for s in individual)


def test_the_length_window_is_exactly_the_lengths_that_can_reach_ninety() -> None:
    # A similarity of 0.9 needs 2 * min(a, b) / (a + b) >= 0.9, i.e. 20 * min >= 9 * (a + b).
    for length in range(1, 301):
        possible = [n for n in range(1, 400) if 20 * min(length, n) >= 9 * (length + n)]
        assert similarity.length_window(length) == (min(possible), max(possible))
