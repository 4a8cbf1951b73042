"""Stored digests of personal data are keyed: a copy of the database alone cannot be
checked against guesses (every IPv4 address, a list of known emails)."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import Session, select

from app.core.config import get_settings
from app.security import ratelimit, tokens
from app.security.ratelimit import RateCounter
from app.security.throttle import SignInFailures
from app.signatures.forms import email_key
from app.signatures.models import Signature
from tests.factories import PASSWORD, individual, make_user, open_statement
from tests.helpers import submit

SIGNER_IP = "203.0.113.77"
SIGNER_EMAIL = "escapee.marker@example.org"
LEAD_EMAIL = "lead@example.org"


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def test_a_keyed_digest_depends_on_the_purpose_and_the_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for_ip = tokens.keyed_digest(SIGNER_IP, purpose=tokens.Keyed.IP)
    for_limits = tokens.keyed_digest(SIGNER_IP, purpose=tokens.Keyed.RATE_LIMIT)
    assert for_ip == tokens.keyed_digest(SIGNER_IP, purpose=tokens.Keyed.IP)
    assert for_ip != for_limits
    assert _sha256(SIGNER_IP) not in (for_ip, for_limits)
    # Neither is the HMAC under the secret itself: each purpose has a key of its own.
    secret = get_settings().secret_key.get_secret_value().encode()
    assert hmac.new(secret, SIGNER_IP.encode(), "sha256").hexdigest() not in (for_ip, for_limits)

    monkeypatch.setattr(get_settings(), "secret_key", SecretStr("another-secret-" * 3))
    assert tokens.keyed_digest(SIGNER_IP, purpose=tokens.Keyed.IP) != for_ip
    assert tokens.keyed_digest(SIGNER_IP, purpose=tokens.Keyed.RATE_LIMIT) != for_limits


def test_the_key_is_derived_with_hkdf_for_each_purpose() -> None:
    """The derivation is the documented one (RFC 5869, SHA-256, info names the purpose),
    so the digests can be recomputed by anyone holding SECRET_KEY — and only by them."""
    secret = get_settings().secret_key.get_secret_value().encode()
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"undersigned/rate-limit"
    ).derive(secret)
    expected = hmac.new(key, SIGNER_EMAIL.encode(), "sha256").hexdigest()
    assert tokens.keyed_digest(SIGNER_EMAIL, purpose=tokens.Keyed.RATE_LIMIT) == expected


def test_the_rate_limit_table_holds_no_plain_digest_of_an_address_or_email(
    app: FastAPI, db: Session
) -> None:
    make_user(db, email=LEAD_EMAIL)
    statement = open_statement(db, owner=make_user(db, email="owner@example.org"), slug="hrc58")
    with TestClient(app, base_url="http://testserver", client=(SIGNER_IP, 50000)) as client:
        signed = submit(client, "/s/hrc58/sign", **individual(email=SIGNER_EMAIL))
        assert signed.status_code == 303
        failed = submit(client, "/login", email=LEAD_EMAIL, password="wrong" * 4)
        assert failed.status_code == 400

    # Sign-in failures are counted in their own table, per address and per account+address.
    lead_at_ip = f"{LEAD_EMAIL} {SIGNER_IP}"
    stored = {row.key for row in db.exec(select(RateCounter))}
    stored |= {row.key for row in db.exec(select(SignInFailures))}
    # The signer's address is counted by its blind index (forms.email_key), so every
    # spelling of one mailbox shares a counter.
    expected = {
        tokens.keyed_digest(value, purpose=tokens.Keyed.RATE_LIMIT)
        for value in (SIGNER_IP, email_key(SIGNER_EMAIL), lead_at_ip)
    }
    assert stored == expected
    for value in (SIGNER_IP, SIGNER_EMAIL, LEAD_EMAIL, lead_at_ip):
        assert _sha256(value) not in stored
        assert value not in stored
    # The limit still finds the signer's counter from the plain address.
    window = ratelimit.longest_window()
    assert ratelimit.count(db, bucket=f"sign-{statement.id}-ip", key=SIGNER_IP, window=window) == 1
    # The signature's own address digest is keyed too, under another purpose.
    signature = db.exec(select(Signature)).one()
    assert signature.ip_hash == tokens.keyed_digest(SIGNER_IP, purpose=tokens.Keyed.IP)
    assert signature.ip_hash not in stored and signature.ip_hash != _sha256(SIGNER_IP)


def test_failed_sign_ins_still_slow_down_under_keyed_counters(app: FastAPI, db: Session) -> None:
    make_user(db, email=LEAD_EMAIL)
    with TestClient(app, base_url="http://testserver", client=(SIGNER_IP, 50000)) as client:
        for _ in range(get_settings().login_free_failures_per_account):
            submit(client, "/login", email=LEAD_EMAIL, password="wrong" * 4)
        refused = submit(client, "/login", email=LEAD_EMAIL, password=PASSWORD)
    assert refused.status_code == 429
