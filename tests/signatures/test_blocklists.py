"""A statement's blocklist: leads list domains, addresses and IP ranges; a signature that
matches is held for them with the reason, never refused, and its signer cannot tell."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.accounts.tokens import service as api_tokens
from app.accounts.tokens.service import ALL_SCOPES
from app.audit.models import AuditEvent
from app.core.errors import FieldErrors
from app.mail.models import OutboxMessage
from app.signatures import lifecycle
from app.signatures.blocklists import parsing
from app.signatures.blocklists import service as blocklists
from app.signatures.blocklists.models import BlocklistEntry, BlocklistHit, EntryKind
from app.signatures.forms import SignInput
from app.signatures.models import Flag, Signature, SignatureStatus
from app.signatures.moderation.manual import service as manual
from app.statements.models import Statement, TeamRole
from app.statements.team import service as team
from tests.factories import PASSWORD, individual, make_user, open_statement, organisation
from tests.helpers import csrf_from, run_signing_worker, sign_in, signature_with_email, submit

BLOCKLIST = "/statements/hrc58/blocklist"
API = "/api/v1/statements/hrc58/blocklist"


@pytest.fixture
def owner(db: Session) -> User:
    return make_user(db, email="ann@lead.example", name="Ann")


@pytest.fixture
def statement(db: Session, owner: User) -> Statement:
    return open_statement(db, owner=owner, slug="hrc58", moderation="auto_all")


def block(db: Session, statement: Statement, owner: User, *values: str) -> None:
    for value in values:
        blocklists.add_entry(db, statement=statement, actor=owner, value=value, note="spam wave")


def signer(app: FastAPI, ip: str) -> TestClient:
    """A browser at `ip`: what the app reads as the live client address."""
    return TestClient(app, base_url="http://testserver", client=(ip, 50000))


def sign(client: TestClient, **values: str) -> Response:
    return submit(client, "/s/hrc58/sign", **individual(**values))


def signature_of(db: Session, email: str) -> Signature:
    return signature_with_email(db, email)


def hits(db: Session, signature: Signature) -> list[tuple[EntryKind, str, str]]:
    rows = db.exec(select(BlocklistHit).where(col(BlocklistHit.signature_id) == signature.id))
    return [(h.kind, h.value, h.added_by_label) for h in rows]


def confirm(db: Session, signature: Signature) -> SignatureStatus:
    """Confirm as the signer would, and say where the signature ended up."""
    run_signing_worker(db)  # the worker writes the confirmation email
    message = db.exec(
        select(OutboxMessage).where(col(OutboxMessage.signature_id) == signature.id)
    ).first()
    assert message is not None
    token = message.text_body.split("/confirm/", 1)[1].split()[0]
    lifecycle.confirm(db, token=token)
    db.refresh(signature)
    return signature.status


# --- what a lead types ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kind", "value"),
    [
        ("Example.ORG", EntryKind.DOMAIN, "example.org"),
        ("@example.org", EntryKind.DOMAIN, "example.org"),
        ("*.example.org.", EntryKind.DOMAIN, "example.org"),
        ("xn--bcher-kva.example", EntryKind.DOMAIN, "bücher.example"),
        ("xyz", EntryKind.DOMAIN, "xyz"),
        (" Spammer@Example.org ", EntryKind.ADDRESS, "spammer@example.org"),
        ("203.0.113.7/24", EntryKind.IP_RANGE, "203.0.113.0/24"),
        ("203.0.113.7", EntryKind.IP_RANGE, "203.0.113.7/32"),
        ("2001:DB8::/32", EntryKind.IP_RANGE, "2001:db8::/32"),
        ("2001:db8::1", EntryKind.IP_RANGE, "2001:db8::1/128"),
    ],
)
def test_what_a_lead_types_becomes_one_kind_of_entry(
    typed: str, kind: EntryKind, value: str
) -> None:
    assert parsing.parse_entry(typed) == (kind, value)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter a domain, an email address or an IP range."),
        ("0.0.0.0/0", "too wide"),
        ("2001::/8", "too wide"),
        ("203.0.113.0/33", "not an IP range"),
        ("2001:db8::g", "not an IP range"),
        ("not a domain", "not a domain"),
        ("name@", "valid email address"),
        ("two@@example.org", "valid email address"),
    ],
)
def test_what_is_not_an_entry_is_refused_clearly(typed: str, message: str) -> None:
    with pytest.raises(FieldErrors) as refused:
        parsing.parse_entry(typed)
    assert message in refused.value.errors["value"]


# --- holding signatures -----------------------------------------------------------------


def test_a_domain_holds_its_subdomains_and_nothing_else(
    app: FastAPI, db: Session, statement: Statement, owner: User
) -> None:
    block(db, statement, owner, "abuse.example")
    with signer(app, "198.51.100.1") as client:
        for email in (
            "a@abuse.example",
            "b@mail.abuse.example",
            "c@notabuse.example",  # the same ending, another domain
            "d@abuse.example.org",
        ):
            assert sign(client, email=email).status_code == 303
    held = {e: Flag.BLOCKLISTED in signature_of(db, e).flag_set() for e in (
        "a@abuse.example", "b@mail.abuse.example", "c@notabuse.example", "d@abuse.example.org"
    )}  # fmt: skip
    assert held == {
        "a@abuse.example": True,
        "b@mail.abuse.example": True,
        "c@notabuse.example": False,
        "d@abuse.example.org": False,
    }
    assert hits(db, signature_of(db, "b@mail.abuse.example")) == [
        (EntryKind.DOMAIN, "abuse.example", "Ann")
    ]
    # Held means waiting for a lead, even on a statement that approves everyone at once.
    assert confirm(db, signature_of(db, "b@mail.abuse.example")) == SignatureStatus.CONFIRMED
    assert confirm(db, signature_of(db, "c@notabuse.example")) == SignatureStatus.APPROVED


def test_an_address_holds_that_address_and_its_plus_tags(
    app: FastAPI, db: Session, statement: Statement, owner: User
) -> None:
    block(db, statement, owner, "troll@example.org", "bot@example.org")
    with signer(app, "198.51.100.1") as client:
        sign(client, email="troll+again@example.org")
        sign(client, email="Bot@EXAMPLE.org")
        sign(client, email="trolls@example.org")
    assert hits(db, signature_of(db, "troll+again@example.org")) == [
        (EntryKind.ADDRESS, "troll@example.org", "Ann")
    ]
    assert hits(db, signature_of(db, "bot@example.org")) == [
        (EntryKind.ADDRESS, "bot@example.org", "Ann")
    ]
    assert signature_of(db, "trolls@example.org").flag_set() == set()


def test_an_ipv4_range_holds_what_is_sent_from_it(
    app: FastAPI, db: Session, statement: Statement, owner: User
) -> None:
    block(db, statement, owner, "203.0.113.0/24")
    with signer(app, "203.0.113.77") as inside:
        sign(inside, email="inside@example.org")
    with signer(app, "::ffff:203.0.113.78") as dual_stack:  # the same range, as IPv6 sees it
        sign(dual_stack, email="mapped@example.org")
    with signer(app, "203.0.114.1") as outside:
        sign(outside, email="outside@example.org")
    assert hits(db, signature_of(db, "inside@example.org")) == [
        (EntryKind.IP_RANGE, "203.0.113.0/24", "Ann")
    ]
    assert Flag.BLOCKLISTED in signature_of(db, "mapped@example.org").flag_set()
    assert signature_of(db, "outside@example.org").flag_set() == set()
    # The address itself is never stored: only its keyed digest.
    stored = signature_of(db, "inside@example.org")
    assert stored.ip_hash and "203.0.113" not in stored.ip_hash


def test_an_ipv6_range_holds_what_is_sent_from_it(
    app: FastAPI, db: Session, statement: Statement, owner: User
) -> None:
    block(db, statement, owner, "2001:db8:abcd::/48")
    with signer(app, "2001:db8:abcd:12::5") as inside:
        sign(inside, email="inside@example.org")
    with signer(app, "2001:db8:abce::1") as outside:
        sign(outside, email="outside@example.org")
    with signer(app, "203.0.113.1") as ipv4:
        sign(ipv4, email="ipv4@example.org")
    assert hits(db, signature_of(db, "inside@example.org")) == [
        (EntryKind.IP_RANGE, "2001:db8:abcd::/48", "Ann")
    ]
    assert signature_of(db, "outside@example.org").flag_set() == set()
    assert signature_of(db, "ipv4@example.org").flag_set() == set()


def test_one_statements_list_holds_nothing_on_another(
    app: FastAPI, db: Session, statement: Statement, owner: User
) -> None:
    other = open_statement(db, owner=owner, slug="other")
    block(db, other, owner, "example.org")
    with signer(app, "198.51.100.1") as client:
        sign(client, email="someone@example.org")
    assert signature_of(db, "someone@example.org").flag_set() == set()


def test_the_signer_cannot_tell_they_were_held(
    app: FastAPI, db: Session, statement: Statement, owner: User
) -> None:
    block(db, statement, owner, "blocked.example", "192.0.2.0/24")
    with signer(app, "192.0.2.10") as blocked, signer(app, "198.51.100.10") as free:
        held = sign(blocked, email="x@blocked.example")
        through = sign(free, email="x@free.example")
        assert (held.status_code, held.headers["location"], held.text) == (
            through.status_code,
            through.headers["location"],
            through.text,
        )
        page_held = blocked.get(held.headers["location"])
        page_free = free.get(through.headers["location"])
        assert page_held.status_code == page_free.status_code == 200
        # The page names the (masked) address each signer typed, and nothing else differs.
        assert page_held.text.replace("@blocked.example", "@D") == page_free.text.replace(
            "@free.example", "@D"
        )
        # The API answers the same too.
        api_body = {**individual(email="y@blocked.example"), "consent_privacy": True}
        api_held = blocked.post("/api/v1/public/statements/hrc58/signatures", json=api_body)
        api_body["email"] = "y@free.example"
        api_free = free.post("/api/v1/public/statements/hrc58/signatures", json=api_body)
        assert (api_held.status_code, api_held.json()) == (api_free.status_code, api_free.json())
    assert Flag.BLOCKLISTED in signature_of(db, "y@blocked.example").flag_set()
    # Both get the same confirmation email.
    run_signing_worker(db)
    sent = db.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
    by_address = {m.to_address: m for m in sent}
    held_mail, free_mail = by_address["x@blocked.example"], by_address["x@free.example"]
    assert (held_mail.kind, held_mail.subject) == (free_mail.kind, free_mail.subject)


def test_a_signature_added_by_hand_is_held_too(
    db: Session, statement: Statement, owner: User
) -> None:
    block(db, statement, owner, "blocked.example")
    signature = manual.add_by_hand(
        db,
        statement=statement,
        actor=owner,
        data=SignInput.model_validate(organisation(email="boss@hq.blocked.example")),
        source_note="by email",
        confirmed=False,
    )
    assert Flag.BLOCKLISTED in signature.flag_set()
    assert hits(db, signature) == [(EntryKind.DOMAIN, "blocked.example", "Ann")]


# --- the team's pages -------------------------------------------------------------------


@pytest.fixture
def lead(client: TestClient, owner: User) -> TestClient:
    sign_in(client, owner.email, PASSWORD)
    return client


def test_moderation_shows_why_a_signature_was_held(
    app: FastAPI, db: Session, statement: Statement, owner: User, lead: TestClient
) -> None:
    block(db, statement, owner, "blocked.example")
    with signer(app, "198.51.100.1") as client:
        sign(client, email="x@blocked.example")
    signature = signature_of(db, "x@blocked.example")
    reason = "Held: the email domain matches blocklist entry blocked.example, added by Ann on"
    listing = lead.get("/statements/hrc58/signatures")
    assert "On the blocklist" in listing.text and reason in listing.text
    detail = lead.get(f"/statements/hrc58/signatures/{signature.id}")
    assert reason in detail.text
    # Removing the entry keeps the reason: it says why the signature was held then.
    entry = db.exec(select(BlocklistEntry)).one()
    assert entry.id is not None
    blocklists.remove_entry(db, statement=statement, actor=owner, entry_id=entry.id)
    assert reason in lead.get(f"/statements/hrc58/signatures/{signature.id}").text


def test_an_editor_adds_and_removes_entries_on_the_page(
    db: Session, statement: Statement, lead: TestClient
) -> None:
    added = submit(lead, BLOCKLIST, value="2001:DB8::/32", note="bot farm")
    assert added.status_code == 303
    page = lead.get(BLOCKLIST)
    assert "The blocklist has been updated." in page.text
    assert "2001:db8::/32" in page.text and "bot farm" in page.text
    entry = db.exec(select(BlocklistEntry)).one()
    removed = submit(lead, BLOCKLIST, f"{BLOCKLIST}/{entry.id}/remove")
    assert removed.status_code == 303
    assert db.exec(select(BlocklistEntry)).all() == []
    actions = db.exec(
        select(AuditEvent.action, AuditEvent.detail).where(
            col(AuditEvent.action).startswith("blocklist")
        )
    ).all()
    assert sorted(actions) == [
        ("blocklist entry added", "IP range 2001:db8::/32 (bot farm)"),
        ("blocklist entry removed", "IP range 2001:db8::/32 (bot farm)"),
    ]


def test_bad_input_shows_the_form_again_and_writes_nothing(
    db: Session, statement: Statement, owner: User, lead: TestClient
) -> None:
    wide = submit(lead, BLOCKLIST, value="0.0.0.0/0", note="oops")
    assert wide.status_code == 422
    assert "This range is too wide" in wide.text and 'value="0.0.0.0/0"' in wide.text
    block(db, statement, owner, "example.org")
    again = submit(lead, BLOCKLIST, value="@EXAMPLE.org")
    assert again.status_code == 422
    assert "example.org is already on the blocklist." in again.text
    assert len(db.exec(select(BlocklistEntry)).all()) == 1
    assert (
        len(db.exec(select(AuditEvent).where(col(AuditEvent.action).startswith("blocklist"))).all())
        == 1
    )
    gone = lead.post(f"{BLOCKLIST}/999999/remove", data={"csrf_token": _csrf(lead)})
    assert gone.status_code == 404


def _csrf(client: TestClient) -> str:
    return csrf_from(client.get(BLOCKLIST).text)


def test_a_viewer_sees_the_list_and_cannot_change_it(
    app: FastAPI, db: Session, statement: Statement, owner: User
) -> None:
    block(db, statement, owner, "example.org")
    viewer = make_user(db, email="viewer@lead.example", name="Viewer")
    team.add_member(db, statement=statement, actor=owner, email=viewer.email, role=TeamRole.VIEWER)
    with TestClient(app, base_url="http://testserver") as client:
        sign_in(client, viewer.email, PASSWORD)
        page = client.get(BLOCKLIST)
        assert page.status_code == 200
        assert "example.org" in page.text
        assert "Add an entry" not in page.text and "Remove" not in page.text
        refused = client.post(BLOCKLIST, data={"csrf_token": _csrf(client), "value": "x.example"})
        assert refused.status_code == 403
    assert [e.value for e in db.exec(select(BlocklistEntry))] == ["example.org"]


def test_a_lead_copies_the_list_of_another_statement_of_theirs(
    db: Session, statement: Statement, owner: User, lead: TestClient
) -> None:
    earlier = open_statement(db, owner=owner, slug="earlier", title="Earlier appeal")
    block(db, earlier, owner, "example.org", "192.0.2.0/24")
    block(db, statement, owner, "example.org")
    stranger = make_user(db, email="stranger@other.example", name="Stranger")
    theirs = open_statement(db, owner=stranger, slug="theirs")
    block(db, theirs, stranger, "secret.example")

    page = lead.get(BLOCKLIST)
    assert "Earlier appeal (2 entries)" in page.text
    assert "theirs" not in page.text  # not on that statement's team: not offered
    copied = submit(lead, BLOCKLIST, f"{BLOCKLIST}/copy", source="earlier")
    assert copied.status_code == 303
    values = sorted(e.value for e in blocklists.list_entries(db, statement=statement))
    assert values == ["192.0.2.0/24", "example.org"]  # the one it had is not doubled
    refused = submit(lead, BLOCKLIST, f"{BLOCKLIST}/copy", source="theirs")
    assert refused.status_code == 422
    assert "Choose one of your other statements." in refused.text
    assert "secret.example" not in [
        e.value for e in blocklists.list_entries(db, statement=statement)
    ]


# --- the API ----------------------------------------------------------------------------


@pytest.fixture
def api(client: TestClient, db: Session, owner: User) -> Iterator[TestClient]:
    _token, raw = api_tokens.create_token(db, user=owner, name="tests", scopes=ALL_SCOPES)
    db.commit()  # only releases the test's savepoint: a failed request must not undo this
    client.headers["Authorization"] = f"Bearer {raw}"
    yield client


def test_the_api_lists_adds_and_removes_entries(
    db: Session, statement: Statement, owner: User, api: TestClient
) -> None:
    added = api.post(API, json={"value": "@Spam.example", "note": "wave"})
    assert added.status_code == 201, added.text
    body = added.json()
    assert (body["kind"], body["value"], body["note"], body["added_by"]) == (
        "domain",
        "spam.example",
        "wave",
        "Ann",
    )
    assert api.post(API, json={"value": "2001:db8::/32"}).status_code == 201
    listed = api.get(API)
    assert [(e["kind"], e["value"]) for e in listed.json()] == [
        ("domain", "spam.example"),
        ("ip_range", "2001:db8::/32"),
    ]
    duplicate = api.post(API, json={"value": "spam.example"})
    assert duplicate.status_code == 422
    assert duplicate.json()["error"]["details"][0]["field"] == "value"
    wrong = api.post(API, json={"value": "10.0.0.0/4"})
    assert wrong.status_code == 422
    assert api.delete(f"{API}/{body['id']}").status_code == 204
    assert api.delete(f"{API}/{body['id']}").status_code == 404
    assert [e["value"] for e in api.get(API).json()] == ["2001:db8::/32"]


def test_an_api_viewer_reads_but_cannot_write(
    db: Session, statement: Statement, owner: User, client: TestClient
) -> None:
    block(db, statement, owner, "example.org")
    viewer = make_user(db, email="viewer@lead.example", name="Viewer")
    team.add_member(db, statement=statement, actor=owner, email=viewer.email, role=TeamRole.VIEWER)
    _token, raw = api_tokens.create_token(db, user=viewer, name="tests", scopes=ALL_SCOPES)
    db.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    assert [e["value"] for e in client.get(API, headers=headers).json()] == ["example.org"]
    assert client.post(API, json={"value": "x.example"}, headers=headers).status_code == 403
    entry = db.exec(select(BlocklistEntry)).one()
    assert client.delete(f"{API}/{entry.id}", headers=headers).status_code == 403
    assert len(db.exec(select(BlocklistEntry)).all()) == 1
