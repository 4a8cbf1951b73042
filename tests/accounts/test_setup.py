"""First visit: the set-up page, unlocked only by the one-time code."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts import service as accounts
from app.accounts.models import User
from tests.helpers import submit

PASSWORD = "a long enough password"


def test_empty_database_sends_the_first_visit_to_setup(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/setup"
    assert "Set-up code" in client.get("/setup").text


def test_setup_code_creates_the_first_administrator(client: TestClient, db: Session) -> None:
    code = accounts.issue_setup_code(db)
    assert code
    response = submit(
        client, "/setup", code=code.lower(), name="Ada", email="Ada@Example.org", password=PASSWORD
    )
    assert response.status_code == 303
    # Signed in at once, on the dashboard, in the language the form was filled in.
    assert response.headers["location"] == "/dashboard?lang=en"
    admin = db.exec(select(User)).one()
    assert (admin.email, admin.is_admin) == ("ada@example.org", True)
    assert admin.password_hash.startswith("$argon2")
    dashboard = client.get("/dashboard")
    assert "Welcome, Ada" in dashboard.text
    assert "you are signed in" in dashboard.text
    # Once someone exists the set-up page is gone, and no new code is issued.
    assert client.get("/setup", follow_redirects=False).headers["location"] == "/login"
    assert accounts.issue_setup_code(db) is None


def test_wrong_or_superseded_setup_code_is_refused(client: TestClient, db: Session) -> None:
    old = accounts.issue_setup_code(db)
    accounts.issue_setup_code(db)
    for code in ("WRONG-CODE", old):
        response = submit(
            client, "/setup", code=code, name="Eve", email="eve@example.org", password=PASSWORD
        )
        assert response.status_code == 400
        assert "set-up code is not right" in response.text
        assert 'value="eve@example.org"' in response.text
    assert db.exec(select(User)).first() is None


def test_setup_form_errors_are_shown_next_to_the_form(client: TestClient, db: Session) -> None:
    code = accounts.issue_setup_code(db)
    response = submit(
        client, "/setup", code=code, name="Ada", email="not-an-email", password=PASSWORD
    )
    assert response.status_code == 400
    assert "valid email address" in response.text
    response = submit(
        client, "/setup", code=code, name="Ada", email="ada@example.org", password="short"
    )
    assert response.status_code == 400
    assert "at least 12 characters" in response.text
    assert db.exec(select(User)).first() is None
