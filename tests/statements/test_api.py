"""The statements API enforces the team pages' rules: same service, same errors, same audit."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session

from app.accounts.models import User
from app.accounts.tokens import service as api_tokens
from app.accounts.tokens.service import ALL_SCOPES
from app.api import docs as api_docs
from app.statements import service
from app.statements.models import TeamRole
from app.statements.team import service as team
from tests.factories import PASSWORD, make_user
from tests.helpers import sign_in, submit

API = "/api/v1/statements"
NEXT_YEAR = date.today().year + 1


def bearer(db: Session, user: User) -> dict[str, str]:
    _token, raw = api_tokens.create_token(db, user=user, name="tests", scopes=ALL_SCOPES)
    db.commit()  # only releases the test's savepoint: a failed request must not undo this
    return {"Authorization": f"Bearer {raw}"}


def payload(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": "Joint statement on detainees",
        "summary": "We call for the release of detainees.",
        "addressed_to": "Member States of the Human Rights Council",
        "body": "We call upon **all States** to act.",
        "coordinators": ["Transitional Justice Working Group", "No Chain"],
        "contact_email": "coord@example.org",
        "deadline_local": f"{NEXT_YEAR}-03-21T13:00",
        "deadline_zone": "Europe/Zurich",
    }
    values.update(overrides)
    return values


def last_sunday(month: int) -> date:
    day = date(NEXT_YEAR, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def field_errors(response: Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["status"] == 422
    return {d["field"]: d["message"] for d in error["details"]}


@pytest.fixture
def owner(db: Session) -> User:
    return make_user(db, email="owner@example.org", name="Owner")


@pytest.fixture
def auth(db: Session, owner: User) -> dict[str, str]:
    return bearer(db, owner)


def create(client: TestClient, auth: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = client.post(API, json=payload(**overrides), headers=auth)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_create_stores_the_utc_instant_of_a_zurich_deadline(
    client: TestClient, db: Session, auth: dict[str, str]
) -> None:
    response = client.post(API, json=payload(), headers=auth)
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"{API}/joint-statement-on-detainees"
    assert (body["slug"], body["status"], body["role"], body["version"]) == (
        "joint-statement-on-detainees", "draft", "owner", 1,
    )  # fmt: skip
    assert body["deadline_local"] == f"{NEXT_YEAR}-03-21T13:00"
    assert body["deadline_zone"] == "Europe/Zurich" and body["public_url"] is None
    stored = service.get_by_slug(db, slug="joint-statement-on-detainees")
    assert stored is not None
    assert stored.deadline_at == datetime(NEXT_YEAR, 3, 21, 12, 0, tzinfo=UTC)  # CET, UTC+1
    summer = create(
        client,
        auth,
        slug="summer",
        deadline_local=f"{NEXT_YEAR}-07-01T13:00",
        deadline_zone=" Europe/Zurich ",
    )
    assert summer["deadline"] == f"{NEXT_YEAR}-07-01T11:00:00Z"  # CEST, UTC+2
    assert summer["deadline_zone"] == "Europe/Zurich"
    listed = client.get(API, headers=auth).json()
    assert [s["slug"] for s in listed] == ["summer", "joint-statement-on-detainees"]


def test_bad_input_gets_field_errors_never_a_500(client: TestClient, auth: dict[str, str]) -> None:
    create(client, auth, slug="taken")

    def post(**o: Any) -> Response:
        response: Response = client.post(API, json=payload(**o), headers=auth)
        return response

    assert "slug" in field_errors(post(slug="taken"))
    assert "deadline" in field_errors(post(slug="past", deadline_local="2020-01-01T13:00"))
    assert "deadline_zone" in field_errors(post(slug="mars", deadline_zone="Mars/Olympus"))
    errors = field_errors(post(title="", body="", slug="Bad Slug!", language="x"))
    assert {"title", "body", "slug", "language"} <= set(errors)
    assert "deadline_local" in field_errors(post(deadline_local="21/03/2030 13:00"))
    assert "deadline_fold" in field_errors(post(deadline_fold="middle"))
    assert "signer_kinds" in field_errors(post(signer_kinds="robots"))


def test_clock_changes_must_be_resolved(client: TestClient, auth: dict[str, str]) -> None:
    spring, autumn = last_sunday(3), last_sunday(10)

    def post(**o: Any) -> Response:
        response: Response = client.post(API, json=payload(**o), headers=auth)
        return response

    skipped = field_errors(post(deadline_local=f"{spring}T02:30"))
    assert "does not exist" in skipped["deadline"]
    assert "does not exist" in field_errors(post(deadline_local="2025-03-30T02:30"))["deadline"]
    repeated = field_errors(post(deadline_local=f"{autumn}T02:30"))
    assert "happens twice" in repeated["deadline"]
    assert "happens twice" in field_errors(post(deadline_local="2025-10-26T02:30"))["deadline"]
    earlier = create(
        client, auth, slug="e", deadline_local=f"{autumn}T02:30", deadline_fold="earlier"
    )
    later = create(client, auth, slug="l", deadline_local=f"{autumn}T02:30", deadline_fold="later")
    assert earlier["deadline"] == f"{autumn}T00:30:00Z"
    assert later["deadline"] == f"{autumn}T01:30:00Z"
    # A PATCH that leaves the deadline alone keeps it on its side of the change.
    client.post(f"{API}/l/open", headers=auth)
    kept = client.patch(f"{API}/l", json={"moderation": "auto_all"}, headers=auth)
    assert kept.status_code == 200, kept.text
    assert kept.json()["deadline"] == f"{autumn}T01:30:00Z"


def test_outsiders_get_404_and_viewers_403(
    client: TestClient, db: Session, owner: User, auth: dict[str, str]
) -> None:
    create(client, auth, slug="draft")
    outsider = bearer(db, make_user(db, email="outsider@example.org"))
    missing = client.get(f"{API}/no-such-statement", headers=outsider)
    for method, path in [
        ("GET", ""), ("PATCH", ""), ("POST", "/open"), ("GET", "/versions"), ("GET", "/audit"),
    ]:  # fmt: skip
        response = client.request(method, f"{API}/draft{path}", json={}, headers=outsider)
        assert response.status_code == 404, (method, path)
        assert response.json() == missing.json()
    assert client.get(API, headers=outsider).json() == []

    viewer = make_user(db, email="viewer@example.org")
    statement = service.get_by_slug(db, slug="draft")
    assert statement is not None
    team.add_member(db, statement=statement, actor=owner, email=viewer.email, role=TeamRole.VIEWER)
    db.commit()
    as_viewer = bearer(db, viewer)
    assert client.get(f"{API}/draft", headers=as_viewer).json()["role"] == "viewer"
    assert client.patch(f"{API}/draft", json={"title": "X"}, headers=as_viewer).status_code == 403
    assert client.post(f"{API}/draft/open", headers=as_viewer).status_code == 403
    assert client.get(f"{API}/draft", headers=auth).json()["title"] == payload()["title"]


def test_open_publishes_and_drafts_stay_hidden(client: TestClient, auth: dict[str, str]) -> None:
    create(client, auth, slug="open-me")
    create(client, auth, slug="still-draft")
    assert client.get("/api/v1/public/statements/open-me").status_code == 404
    opened = client.post(f"{API}/open-me/open", headers=auth)
    assert opened.status_code == 200 and opened.json()["status"] == "open"
    assert opened.json()["public_url"] == "http://testserver/s/open-me"
    assert client.post(f"{API}/open-me/open", headers=auth).status_code == 409

    public = client.get("/api/v1/public/statements/open-me")
    assert public.status_code == 200
    assert public.headers["cache-control"].startswith("public")
    data = public.json()
    assert data["status"] == "open" and data["accepting_signatures"] is True
    assert data["coordinators"] == ["Transitional Justice Working Group", "No Chain"]
    assert "<strong>all States</strong>" in data["body_html"]
    assert "@" not in public.text  # no team member's (nor anyone's) email address
    assert client.get("/api/v1/public/statements/still-draft").status_code == 404
    assert client.get("/s/still-draft").status_code == 404

    closed = client.post(f"{API}/open-me/close", headers=auth)
    assert closed.json()["status"] == "closed"
    assert client.get("/api/v1/public/statements/open-me").json()["accepting_signatures"] is False


def test_text_changes_after_opening_follow_the_edit_page_rules(
    client: TestClient, db: Session, auth: dict[str, str]
) -> None:
    create(client, auth, slug="s")
    draft_edit = client.patch(
        f"{API}/s", json={"body": "Draft edits stay version 1."}, headers=auth
    )
    assert draft_edit.json()["version"] == 1
    client.post(f"{API}/s/open", headers=auth)

    new_text = {"body": "We call upon **all States** to act now."}
    no_kind = client.patch(f"{API}/s", json=new_text, headers=auth)
    assert "material" in field_errors(no_kind)
    # The edit page refuses the same change for the same reason.
    sign_in(client, "owner@example.org", PASSWORD)
    form = {k: v for k, v in payload(**new_text).items() if k != "deadline_local"}
    form |= {"slug": "s", "coordinators": "\n".join(form["coordinators"])}
    form |= {"deadline_date": f"{NEXT_YEAR}-03-21", "deadline_time": "13:00"}
    page = submit(client, "/statements/s/edit", **form)
    assert page.status_code == 422
    assert field_errors(no_kind)["material"] in page.text

    moved = client.patch(f"{API}/s", json={"slug": "moved"}, headers=auth)
    assert "slug" in field_errors(moved)
    material = {**new_text, "material": True, "change_note": "Stronger call"}
    edited = client.patch(f"{API}/s", json=material, headers=auth)
    assert edited.status_code == 200, edited.text
    assert edited.json()["version"] == 2
    versions = client.get(f"{API}/s/versions", headers=auth).json()
    assert [v["number"] for v in versions] == [2, 1]
    v2 = client.get(f"{API}/s/versions/2", headers=auth).json()
    assert v2["material"] is True and v2["change_note"] == "Stronger call"
    assert "act now" in v2["body_html"]
    assert client.get(f"{API}/s/versions/3", headers=auth).status_code == 404
    assert client.get(f"{API}/s/versions/99999999999999999999", headers=auth).status_code == 422

    audit = client.get(f"{API}/s/audit", headers=auth).json()
    assert [e["action"] for e in audit][:3] == ["text changed", "opened", "draft edited"]
    assert audit[0]["actor"] == "Owner" and audit[-1]["action"] == "created"


def test_deadline_extension_needs_a_reason_and_reopens(
    client: TestClient, auth: dict[str, str]
) -> None:
    create(client, auth, slug="d")
    later = {"deadline_local": f"{NEXT_YEAR}-04-01T18:00", "deadline_zone": "Asia/Seoul"}
    assert (
        client.post(f"{API}/d/deadline", json={**later, "reason": "x"}, headers=auth).status_code
        == 409
    )
    client.post(f"{API}/d/open", headers=auth)
    client.post(f"{API}/d/close", headers=auth)

    def extend(**o: Any) -> Response:
        response: Response = client.post(f"{API}/d/deadline", json={**later, **o}, headers=auth)
        return response

    assert "reason" in field_errors(extend(reason=" "))
    assert "deadline_zone" in field_errors(extend(reason="x", deadline_zone="Nowhere/Land"))
    assert "deadline" in field_errors(extend(reason="x", deadline_local="2020-01-01T00:00"))
    assert "deadline" in field_errors(extend(reason="x", deadline_local=f"{NEXT_YEAR}-02-30T10:00"))
    reopened = extend(reason="Partners asked for a week more")
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["status"] == "open"
    assert reopened.json()["deadline"] == f"{NEXT_YEAR}-04-01T09:00:00Z"


def test_malformed_requests_get_422_json(client: TestClient, auth: dict[str, str]) -> None:
    headers = {**auth, "Content-Type": "application/json"}
    broken = client.post(API, content=b'{"title": "x",', headers=headers)
    assert broken.status_code == 422 and broken.json()["error"]["status"] == 422
    assert client.post(API, content=b"[1, 2]", headers=headers).status_code == 422
    assert client.post(API, data={"title": "x"}, headers=auth).status_code == 422
    errors = field_errors(
        client.post(API, json=payload(title=5, coordinators="x", deadline=1), headers=auth)
    )
    assert {"title", "coordinators", "deadline"} <= set(errors)
    create(client, auth, slug="t")
    client.post(f"{API}/t/open", headers=auth)
    wrong = client.patch(f"{API}/t", json={"body": "New", "material": "yes"}, headers=auth)
    assert "material" in field_errors(wrong)


def test_openapi_lists_the_endpoints(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    slug = f"{API}/{{slug}}"
    for path in (
        API,
        slug,
        f"{slug}/open",
        f"{slug}/close",
        f"{slug}/deadline",
        f"{slug}/versions",
        f"{slug}/versions/{{number}}",
        f"{slug}/audit",
        "/api/v1/public/statements/{slug}",
    ):
        assert path in paths, path
    assert set(paths[slug]) == {"get", "patch"}
    assert spec["components"]["securitySchemes"]["PersonalAccessToken"]["scheme"] == "bearer"
    assert "/docs" not in paths and "/login" not in paths  # the JSON API only


@pytest.mark.skipif(
    api_docs.assets_dir() is None,
    reason="Swagger UI assets are not installed (add the fastapi-offline package)",
)
def test_docs_are_served_from_this_site_only(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "'unsafe-inline'" not in page.headers["content-security-policy"]
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text), "no inline script"
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert urls and all(urlsplit(u).netloc in ("", "testserver") for u in urls), urls
    for url in urls:
        assert client.get(url).status_code == 200, url
