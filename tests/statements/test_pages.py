"""The statement pages: permissions across teams, review links, the public page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import User
from app.statements import service
from app.statements.models import ReviewComment, Statement, StatementStatus, TeamRole
from app.statements.review import service as review
from app.statements.team import service as team
from tests.factories import PASSWORD, make_statement, make_user, statement_input
from tests.helpers import sign_in, submit


def _two_teams(db: Session) -> tuple[User, User, Statement, Statement]:
    alice = make_user(db, email="alice@one.example", name="Alice")
    bob = make_user(db, email="bob@two.example", name="Bob")
    ones = make_statement(db, owner=alice, slug="team-one-draft")
    twos = make_statement(db, owner=bob, slug="team-two-draft")
    return alice, bob, ones, twos


def test_nobody_outside_the_team_sees_a_draft(client: TestClient, db: Session) -> None:
    _alice, _bob, ones, _twos = _two_teams(db)
    sign_in(client, "bob@two.example", PASSWORD)
    for path in ("", "/edit", "/versions", "/review", "/team", "/audit", "/versions/1"):
        assert client.get(f"/statements/{ones.slug}{path}").status_code == 404, path
    assert client.get("/s/team-one-draft").status_code == 404
    # Writes are refused the same way, and change nothing.
    page = client.get("/statements/team-two-draft")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    assert (
        client.post(f"/statements/{ones.slug}/open", data={"csrf_token": token}).status_code == 404
    )
    assert ones.status == StatementStatus.DRAFT
    # Bob's own statement is his to see; Alice's is not on his dashboard.
    dashboard = client.get("/dashboard").text
    assert "team-two-draft" in dashboard and "team-one-draft" not in dashboard


def test_viewers_read_but_change_nothing(client: TestClient, db: Session) -> None:
    alice, _bob, ones, _twos = _two_teams(db)
    team.add_member(db, statement=ones, actor=alice, email="bob@two.example", role=TeamRole.VIEWER)
    sign_in(client, "bob@two.example", PASSWORD)
    assert client.get(f"/statements/{ones.slug}").status_code == 200
    assert client.get(f"/statements/{ones.slug}/edit").status_code == 403
    response = submit(client, f"/statements/{ones.slug}", action=f"/statements/{ones.slug}/open")
    assert response.status_code == 403
    assert ones.status == StatementStatus.DRAFT


def test_editor_creates_edits_and_opens_through_the_pages(client: TestClient, db: Session) -> None:
    make_user(db, email="lead@example.org")
    sign_in(client, "lead@example.org", PASSWORD)
    data = statement_input(slug="hrc58").model_dump()
    response = submit(client, "/statements/new", **data)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/statements/hrc58"
    page = client.get("/statements/hrc58")
    assert "Joint statement on detainees" in page.text
    assert "Zurich time (CE" in page.text  # the deadline in the statement's own zone

    response = submit(client, "/statements/hrc58", action="/statements/hrc58/open")
    assert response.status_code == 303
    public = client.get("/s/hrc58")
    assert public.status_code == 200
    assert "<strong>all States</strong>" in public.text

    data.update(
        body="We call upon **all States** to act now.",
        change_kind="material",
        change_note="Stronger wording",
        slug="hrc58",
    )
    assert submit(client, "/statements/hrc58/edit", **data).status_code == 303
    versions = client.get("/statements/hrc58/versions").text
    assert "Version 2" in versions and "Stronger wording" in versions
    compare = client.get("/statements/hrc58/compare?a=1&b=2").text
    assert "<ins>" in compare and "now" in compare


def test_editor_form_shows_field_errors(client: TestClient, db: Session) -> None:
    make_user(db, email="lead@example.org")
    sign_in(client, "lead@example.org", PASSWORD)
    data = statement_input(deadline_zone="Nowhere/Atlantis", title="").model_dump()
    response = submit(client, "/statements/new", **data)
    assert response.status_code == 422
    assert "No time zone matches" in response.text
    assert 'aria-invalid="true"' in response.text
    assert 'value="We call upon' not in response.text  # the body is in the textarea
    assert "We call upon **all States**" in response.text


def test_review_link_lets_a_partner_read_and_comment_until_revoked(
    client: TestClient, db: Session
) -> None:
    owner = make_user(db)
    statement = make_statement(db, owner=owner, slug="draft-for-review")
    token = review.create_link(db, statement=statement, actor=owner, label="Partners in Seoul")
    page = client.get(f"/review/{token}")
    assert page.status_code == 200
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "Joint statement on detainees" in page.text
    response = submit(
        client,
        f"/review/{token}",
        author_name="Kim",
        organisation="NKDB",
        body="Please add the POW families.",
    )
    assert response.status_code == 303
    comment = db.exec(select(ReviewComment)).one()
    assert (comment.author_name, comment.body) == ("Kim", "Please add the POW families.")

    link = review.list_links(db, statement=statement)[0]
    assert link.id is not None
    review.revoke_link(db, statement=statement, actor=owner, link_id=link.id)
    assert client.get(f"/review/{token}").status_code == 404
    assert client.get(f"/review/{token[:-2]}xx").status_code == 404


def test_public_page_is_cacheable_and_has_sharing_metadata(client: TestClient, db: Session) -> None:
    owner = make_user(db)
    statement = make_statement(db, owner=owner, slug="open-one")
    service.open_statement(db, statement=statement, actor=owner)
    sign_in(client, "lead@example.org", PASSWORD)
    page = client.get("/s/open-one")
    assert page.status_code == 200
    assert page.headers["cache-control"].startswith("public")
    assert 'property="og:title" content="Joint statement on detainees"' in page.text
    assert 'name="twitter:card"' in page.text
    assert "Sign out" not in page.text  # no per-user content, even for a signed-in lead
    again = client.get("/s/open-one", headers={"If-None-Match": page.headers["etag"]})
    assert again.status_code == 304


def test_live_preview_of_a_new_and_of_a_team_statement(client: TestClient, db: Session) -> None:
    _alice, _bob, ones, _twos = _two_teams(db)
    sign_in(client, "bob@two.example", PASSWORD)
    page = client.get("/statements/new")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    fields = {"csrf_token": token, "body": "**bold**"}
    new = client.post("/statements/-/preview", data=fields)
    assert new.status_code == 200 and "<strong>bold</strong>" in new.text
    assert client.post("/statements/team-two-draft/preview", data=fields).status_code == 200
    # Another team's statement is not there to preview.
    assert client.post(f"/statements/{ones.slug}/preview", data=fields).status_code == 404
