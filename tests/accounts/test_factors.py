"""Second factors: TOTP enrolment and sign-in, codes good once, recovery codes, step-up
before every sensitive action (and its expiry, per session), "second factor required",
passkey-only and an administrator's reset. The clock is moved by rewriting when a
session stepped up, never by sleeping."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pyotp
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.factors import service as factors
from app.accounts.factors.models import Passkey, RecoveryCode, TotpFactor
from app.accounts.factors.passkeys import service as passkeys
from app.accounts.models import LoginSession, User
from app.audit.models import AuditEvent
from app.core.db import utcnow
from app.security import tokens
from app.statements.models import TeamRole
from app.statements.team import service as team
from tests.factories import PASSWORD, make_user, open_statement
from tests.helpers import csrf_from, sign_in, submit

RECOVERY = re.compile(r"<li><code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</code></li>")


def _code(secret: str, *, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(secret).at(int(time.time()) + 30 * steps_ahead)


def _enrol_totp(client: TestClient, db: Session, user: User) -> tuple[str, list[str]]:
    page = client.get("/account/factors/totp")
    assert page.status_code == 200, page.text
    assert "<svg" in page.text  # the QR code, drawn on the server
    secret = db.exec(select(TotpFactor).where(col(TotpFactor.user_id) == user.id)).one().secret
    assert secret in page.text  # and the key as text, for those who cannot scan
    done = client.post(
        "/account/factors/totp",
        data={"csrf_token": csrf_from(page.text), "code": _code(secret)},
    )
    assert done.status_code == 200, done.text
    codes = RECOVERY.findall(done.text)
    assert len(codes) == 10
    return secret, codes


def _actions(audit_db: Session, action: str) -> list[AuditEvent]:
    return list(audit_db.exec(select(AuditEvent).where(col(AuditEvent.action) == action)))


def test_totp_enrolment_then_sign_in_asks_for_the_code(client: TestClient, db: Session) -> None:
    user = make_user(db)
    sign_in(client, user.email, PASSWORD)
    secret, _codes = _enrol_totp(client, db, user)
    stored = db.exec(select(RecoveryCode).where(col(RecoveryCode.user_id) == user.id)).all()
    assert len(stored) == 10 and all(len(r.code_hash) == 64 for r in stored)
    assert not any(c in r.code_hash for r in stored for c in _codes)

    client.cookies.clear()
    password_step = submit(client, "/login", email=user.email, password=PASSWORD)
    assert password_step.headers["location"].startswith("/login/second-factor")
    assert "session" not in password_step.cookies  # no session until the second factor
    assert client.get("/dashboard", follow_redirects=False).headers["location"].startswith("/login")
    wrong = submit(client, "/login/second-factor", code="000000")
    assert wrong.status_code == 400 and "not right" in wrong.text
    right = submit(client, "/login/second-factor", code=_code(secret, steps_ahead=1))
    assert right.status_code == 303 and right.headers["location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200
    assert _actions(db, "signed in")[0].detail == "authenticator app"


def test_a_code_used_in_its_window_is_refused(client: TestClient, db: Session) -> None:
    user = make_user(db)
    sign_in(client, user.email, PASSWORD)
    secret, _codes = _enrol_totp(client, db, user)
    code = _code(secret, steps_ahead=1)
    client.cookies.clear()
    submit(client, "/login", email=user.email, password=PASSWORD)
    assert submit(client, "/login/second-factor", code=code).status_code == 303

    other = TestClient(client.app, base_url="http://testserver")
    submit(other, "/login", email=user.email, password=PASSWORD)
    again = submit(other, "/login/second-factor", code=code)
    assert again.status_code == 400
    assert "already been used" in again.text
    assert "session" not in again.cookies
    assert _actions(db, "second factor refused")[-1].detail == "authenticator app: code reused"


def test_a_recovery_code_works_once(client: TestClient, db: Session) -> None:
    user = make_user(db)
    sign_in(client, user.email, PASSWORD)
    _secret, codes = _enrol_totp(client, db, user)
    client.cookies.clear()
    submit(client, "/login", email=user.email, password=PASSWORD)
    first = submit(client, "/login/second-factor", code=codes[3].upper())
    assert first.status_code == 303

    client.cookies.clear()
    submit(client, "/login", email=user.email, password=PASSWORD)
    second = submit(client, "/login/second-factor", code=codes[3])
    assert second.status_code == 400
    assert "already been used" in second.text
    assert _actions(db, "second factor refused")[-1].detail.startswith("recovery code")


def test_regenerated_recovery_codes_replace_the_old_ones(client: TestClient, db: Session) -> None:
    user = make_user(db)
    sign_in(client, user.email, PASSWORD)
    _secret, old = _enrol_totp(client, db, user)
    page = client.post("/account/factors/recovery-codes", data={"csrf_token": _csrf(client)})
    new = RECOVERY.findall(page.text)
    assert len(new) == 10 and not set(new) & set(old)
    assert page.headers["cache-control"] == "no-store"
    client.cookies.clear()
    submit(client, "/login", email=user.email, password=PASSWORD)
    assert submit(client, "/login/second-factor", code=old[0]).status_code == 400


def _csrf(client: TestClient) -> str:
    return csrf_from(client.get("/account").text)


def _step_up_expired(db: Session, user: User, *, minutes: int = 11) -> None:
    for login in db.exec(select(LoginSession).where(col(LoginSession.user_id) == user.id)):
        login.stepped_up_at = utcnow() - timedelta(minutes=minutes)
    db.flush()


def test_step_up_is_required_for_every_sensitive_action_and_expires(
    client: TestClient, db: Session
) -> None:
    owner = make_user(db, admin=True)
    other = make_user(db, email="other@example.org", name="Other")
    statement = open_statement(db, owner=owner)
    member = team.add_member(
        db, statement=statement, actor=owner, email=other.email, role=TeamRole.VIEWER
    )
    sign_in(client, owner.email, PASSWORD)
    secret, _codes = _enrol_totp(client, db, owner)
    slug = statement.slug
    token = _csrf(client)
    gets = [f"/statements/{slug}/export/team.csv", f"/statements/{slug}/export/team.xlsx"]
    posts = {
        "/account/tokens": {"name": "sync"},
        "/team/invites": {"email": "new@example.org", "locale": "en"},
        f"/statements/{slug}/team": {"email": other.email, "role": "editor"},
        f"/statements/{slug}/team/{member.id}/role": {"role": "editor"},
        f"/statements/{slug}/team/{member.id}/remove": {},
        f"/statements/{slug}/finalise": {},
        "/account/factors/recovery-codes": {},
        "/account/factors/passkey-only": {"enabled": "true"},
        "/account/factors/totp/remove": {},
        "/team/security": {"required": "true"},
        "/account/password": {"current_password": PASSWORD, "new_password": "a new long phrase"},
        f"/team/leads/{other.id}/deactivate": {},
        f"/team/leads/{other.id}/reactivate": {},
    }
    _step_up_expired(db, owner)
    for path in gets:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/step-up?next="), path
    for path, data in posts.items():
        response = client.post(
            path,
            data={"csrf_token": token, **data},
            headers={"referer": f"http://testserver/statements/{slug}/team"},
            follow_redirects=False,
        )
        assert response.status_code == 303, path
        assert response.headers["location"] == (f"/step-up?next=%2Fstatements%2F{slug}%2Fteam"), (
            path
        )
    assert db.exec(select(TotpFactor)).one().confirmed_at is not None  # nothing changed

    target = f"/statements/{slug}/export/team.csv"
    stepped = submit(client, "/step-up", code=_code(secret, steps_ahead=1), next=target)
    assert stepped.headers["location"] == f"/statements/{slug}/export/team.csv"
    assert client.get(stepped.headers["location"]).status_code == 200
    assert _actions(db, "stepped up")[-1].detail == "authenticator app"
    assert _actions(db, "sensitive action")[-1].detail.endswith("/export/team.csv")

    # Nine minutes later it still counts; eleven minutes later it does not.
    _step_up_expired(db, owner, minutes=9)
    assert client.get(gets[1], follow_redirects=False).status_code == 200
    _step_up_expired(db, owner, minutes=11)
    assert client.get(gets[1], follow_redirects=False).status_code == 303


def test_a_step_up_is_not_carried_over_to_another_session(client: TestClient, db: Session) -> None:
    owner = make_user(db)
    statement = open_statement(db, owner=owner)
    sign_in(client, owner.email, PASSWORD)
    secret, codes = _enrol_totp(client, db, owner)
    _step_up_expired(db, owner)
    submit(client, "/step-up", code=_code(secret, steps_ahead=1))
    path = f"/statements/{statement.slug}/export/team.csv"
    assert client.get(path).status_code == 200

    second = TestClient(client.app, base_url="http://testserver")
    submit(second, "/login", email=owner.email, password=PASSWORD)
    submit(second, "/login/second-factor", code=codes[0])
    _step_up_expired_only(db, second)
    assert second.get(path, follow_redirects=False).status_code == 303
    assert client.get(path).status_code == 200


def _step_up_expired_only(db: Session, client: TestClient) -> None:
    digest = tokens.digest(client.cookies["session"])
    login = db.exec(select(LoginSession).where(col(LoginSession.token_hash) == digest)).one()
    login.stepped_up_at = utcnow() - timedelta(minutes=30)
    db.flush()


def test_second_factor_required_sends_a_lead_to_enrol_first(
    client: TestClient, db: Session
) -> None:
    admin = make_user(db, admin=True)
    factors.set_second_factor_required(db, admin=admin, required=True)
    lead = make_user(db, email="lead2@example.org", name="Second")
    sign_in(client, lead.email, PASSWORD)
    for path in ("/dashboard", "/account", "/account/tokens"):
        response = client.get(path, follow_redirects=False)
        assert response.headers["location"] == "/account/factors?required=1", path
    page = client.get("/account/factors?required=1")
    assert "Your organisation requires a second factor" in page.text
    _enrol_totp(client, db, lead)
    assert client.get("/dashboard").status_code == 200
    assert _actions(db, "second factor required")[0].actor_id == admin.id


def test_passkey_only_turns_the_password_off(client: TestClient, db: Session) -> None:
    user = make_user(db)
    assert user.id is not None
    db.add(Passkey(user_id=user.id, name="laptop", credential_id="abc", public_key=b"k"))
    db.flush()
    sign_in_ok = TestClient(client.app, base_url="http://testserver")
    # A passkey is a second factor: the password alone no longer opens a session.
    assert (
        submit(sign_in_ok, "/login", email=user.email, password=PASSWORD)
        .headers["location"]
        .startswith("/login/second-factor")
    )
    passkeys.set_passkey_only(db, user=user, enabled=True)
    refused = submit(client, "/login", email=user.email, password=PASSWORD)
    assert refused.status_code == 400
    assert "do not match an account" in refused.text
    assert _actions(db, "password switched off")


def test_passkey_only_needs_a_passkey_and_keeps_the_last_one(
    client: TestClient, db: Session
) -> None:
    user = make_user(db)
    sign_in(client, user.email, PASSWORD)
    refused = client.post(
        "/account/factors/passkey-only", data={"csrf_token": _csrf(client), "enabled": "true"}
    )
    assert refused.status_code == 400 and "Add a passkey" in refused.text
    assert db.get(User, user.id).passkey_only is False  # type: ignore[union-attr]


def test_an_administrator_resets_a_leads_factors(client: TestClient, db: Session) -> None:
    admin = make_user(db, admin=True)
    lead = make_user(db, email="lost@example.org", name="Lost")
    assert lead.id is not None
    db.add(TotpFactor(user_id=lead.id, secret=pyotp.random_base32(), confirmed_at=utcnow()))
    db.flush()
    sign_in(client, admin.email, PASSWORD)
    page = client.get("/team/security")
    assert "Lost" in page.text
    reset = client.post(
        f"/team/security/{lead.id}/reset", data={"csrf_token": csrf_from(page.text)}
    )
    assert reset.status_code == 200
    assert not factors.has_second_factor(db, user=lead)
    assert _actions(db, "second factors reset")[0].actor_id == admin.id
