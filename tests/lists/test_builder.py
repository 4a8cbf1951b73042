"""The one list model: grouping, collation, public forms, counts and the summary."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from app.core.i18n import set_locale
from app.lists import service as lists
from app.signatures.models import Signature, SignerKind
from tests import hrc58
from tests.factories import approve_signers, individual, make_user, open_statement


def test_hrc58_signatory_block_is_reproduced(db: Session) -> None:
    owner = make_user(db)
    statement = open_statement(db, owner=owner, list_order="individuals_first")
    approve_signers(db, statement, hrc58.signers())
    # The coordinators put the two families in their own order (not alphabetical): the
    # team's manual order; the organisations follow by collation.
    for position, signature in enumerate(
        s for s in statement_signatures(db, statement.id) if s.kind == SignerKind.INDIVIDUAL
    ):
        signature.position = position
    db.flush()
    model = lists.build(db, statement=statement, as_of=hrc58.AS_OF)
    assert [entry.line for entry in model.entries] == hrc58.block_lines()
    assert [group.heading for group in model.groups] == ["Individuals", "Organisations"]
    assert model.heading == "Signatories (as of March 14, 2025)"
    assert model.summary == "8 organisations and 2 individuals from 1 country"


def test_anonymous_and_counted_signers_stay_out_of_the_names(db: Session) -> None:
    owner = make_user(db)
    statement = open_statement(db, owner=owner, list_order="alphabetical")
    approve_signers(
        db,
        statement,
        [
            {
                "kind": "individual",
                "name": "Hidden Person",
                "note": "escapee",
                "country": "KR",
                "email": "h@example.org",
                "listing": "anonymous",
                "consent_privacy": "1",
            },
            {
                "kind": "organisation",
                "organisation": "Secret Org",
                "acronym": "SO",
                "name": "X",
                "country": "JP",
                "email": "s@example.org",
                "listing": "anonymous",
                "authorised": "1",
                "consent_privacy": "1",
            },
            {
                "kind": "individual",
                "name": "Counted Person",
                "country": "US",
                "email": "c@example.org",
                "listing": "counted",
                "consent_privacy": "1",
            },
            {
                "kind": "individual",
                "name": "Zed Named",
                "country": "KR",
                "email": "z@example.org",
                "listing": "named",
                "consent_privacy": "1",
            },
        ],
    )
    model = lists.build(db, statement=statement)
    lines = [entry.line for entry in model.entries]
    assert lines == ["Zed Named", "An individual", "An organisation"]
    text = lists.to_json(model)
    for secret in ("Hidden Person", "escapee", "Secret Org", 'SO"', "Counted Person"):
        assert secret not in text
    for country in ('"JP"', "Japan", '"US"', "United States"):
        assert country not in text
    # Everyone is counted; only the named signer's country is (South Korea).
    assert (model.counts.organisations, model.counts.individuals, model.counts.countries) == (
        1,
        3,
        1,
    )


def test_collation_follows_the_statement_language(db: Session) -> None:
    owner = make_user(db)
    names = ["The Zebra Group", "Abc Centre", "김정삼 센터", "Group 10", "Group 2", "Éclair"]
    values = [
        {
            "kind": "organisation",
            "organisation": n,
            "name": "X",
            "country": "KR",
            "email": f"o{i}@example.org",
            "authorised": "1",
            "consent_privacy": "1",
        }
        for i, n in enumerate(names)
    ]
    english = open_statement(db, owner=owner, slug="en-list", list_order="alphabetical")
    english.ignore_articles = True
    approve_signers(db, english, values)
    assert [e.name for e in lists.build(db, statement=english).entries] == [
        "Abc Centre",
        "Éclair",
        "Group 2",
        "Group 10",
        "The Zebra Group",
        "김정삼 센터",
    ]
    korean = open_statement(
        db, owner=owner, slug="ko-list", list_order="alphabetical", language="ko"
    )
    approve_signers(db, korean, values)
    korean_names = [e.name for e in lists.build(db, statement=korean).entries]
    assert korean_names == ["김정삼 센터", *[n for n in korean_names if n != "김정삼 센터"]]
    assert korean_names[1:] == ["Abc Centre", "Éclair", "Group 2", "Group 10", "The Zebra Group"]


def test_manual_order_wins(db: Session) -> None:
    owner = make_user(db)
    statement = open_statement(db, owner=owner, list_order="organisations_first")
    approve_signers(db, statement, hrc58.signers())
    think = next(s for s in statement_signatures(db, statement.id) if s.organisation == "THINK")
    think.position = 0
    db.flush()
    model = lists.build(db, statement=statement)
    assert model.groups[0].kind == SignerKind.ORGANISATION
    assert model.groups[0].entries[0].name == "THINK"


def test_snapshot_json_round_trips(db: Session) -> None:
    owner = make_user(db)
    statement = open_statement(db, owner=owner)
    approve_signers(db, statement, hrc58.signers())
    model = lists.build(db, statement=statement, as_of=date(2025, 3, 14))
    again = lists.from_json(lists.to_json(model))
    assert again == model


def test_summary_in_korean(db: Session) -> None:
    owner = make_user(db)
    statement = open_statement(db, owner=owner)
    approve_signers(db, statement, hrc58.signers())
    set_locale("ko")
    try:
        model = lists.build(db, statement=statement, as_of=date(2025, 3, 14))
    finally:
        set_locale("en")
    assert model.as_of_text == "2025년 3월 14일"


def statement_signatures(db: Session, statement_id: int | None) -> list[Signature]:
    return list(
        db.exec(
            select(Signature)
            .where(col(Signature.statement_id) == statement_id)
            .order_by(col(Signature.id))
        )
    )


def test_names_that_sort_the_same_keep_the_order_they_signed_in(db: Session) -> None:
    """Equal names are listed in the order of their signatures (by id) on either database,
    whatever order the rows are stored in: here the later signatures were written first,
    which PostgreSQL returns first from a plain scan."""
    owner = make_user(db)
    statement = open_statement(db, owner=owner, list_order="alphabetical")
    approve_signers(
        db,
        statement,
        [
            individual(name="Kim Min-jun", note=note, email=f"kim{n}@example.org")
            for n, note in enumerate(["third", "second", "first"])
        ],
    )
    base = 10**9  # far above any id the sequences hand out
    for offset, signature in enumerate(statement_signatures(db, statement.id)):
        signature.id = base - offset  # "third" gets the highest id, "first" the lowest
    db.flush()

    model = lists.build(db, statement=statement, as_of=date(2025, 3, 14))

    assert [entry.note for entry in model.entries] == ["first", "second", "third"]
