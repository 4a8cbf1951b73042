"""Signed, expiring tokens, one salt per purpose, so a token made for one thing never
works for another. Single use is enforced by the caller in the database."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from enum import StrEnum
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from itsdangerous import BadData, BadSignature, SignatureExpired, URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, base64_encode

from app.core.config import get_settings


class Purpose(StrEnum):
    CSRF = "undersigned.csrf"
    INVITE = "undersigned.invite"
    REVIEW = "undersigned.review"
    API = "undersigned.api"
    CONFIRM = "undersigned.signature.confirm"
    WITHDRAW = "undersigned.signature.withdraw"
    RECONFIRM = "undersigned.signature.reconfirm"
    SIGN_FORM = "undersigned.signature.form"
    # The signer's own browser, right after sending the form: the address to show masked
    # on "Check your email", and what they typed for "wrong address? sign again".
    SIGN_SENT = "undersigned.signature.sent"
    # A signer's emailed link to change their details, and the link confirming a change.
    EDIT = "undersigned.signature.edit"
    EDIT_CONFIRM = "undersigned.signature.edit-confirm"
    # A signer's link, from their privacy report, to delete what is held about them.
    ERASE = "undersigned.signature.erase"
    # A lead's emailed link to set a new password (single use: its nonce is stored).
    PASSWORD_RESET = "undersigned.password-reset"  # noqa: S105 - a salt, not a secret
    # The CSV carried from one import step to the next (signed, not secret).
    IMPORT = "undersigned.import"
    # "This wasn't us", sent to the address known for an organisation that just signed.
    NOT_US = "undersigned.signature.not-us"
    # A second person on an organisation's domain confirming its signature.
    SECOND_PERSON = "undersigned.signature.second-person"
    # A correct password waiting for its second factor (a short-lived cookie).
    SECOND_FACTOR = "undersigned.login.second-factor"
    # A partner's personal invitation link (app.outreach: sign, decline, stop reminders).
    OUTREACH = "undersigned.outreach.invitation"


class Keyed(StrEnum):
    """What a keyed digest is for. Each purpose has its own key, so the same value hashed
    for two purposes does not match, and one table's digests say nothing about another's."""

    # A signature's client address (signature.ip_hash), kept for a lead's inquiries.
    IP = "ip"
    # Rate-limit counters: a signer's address and email, a lead's sign-in email.
    RATE_LIMIT = "rate-limit"
    # A signer's normalised email (signature.email_key): the blind index that finds a
    # repeat signer and a privacy request's signatures, the email itself being encrypted.
    EMAIL = "email"
    # The organisation a signature is given for (signature.org_party_key): one address
    # may sign for several organisations, one signature each; the name is encrypted.
    ORGANISATION = "organisation"
    # A lead's single-use recovery codes.
    RECOVERY_CODE = "recovery-code"


class TokenExpired(Exception):
    pass


class TokenInvalid(Exception):
    pass


def serializer(purpose: Purpose) -> URLSafeTimedSerializer:
    key = get_settings().secret_key.get_secret_value()
    return URLSafeTimedSerializer(key, salt=purpose.value)


def make_token(purpose: Purpose, payload: Any) -> str:
    return serializer(purpose).dumps(payload)


def read_token(purpose: Purpose, token: str, *, max_age_seconds: int | None) -> Any:
    if not is_canonical(token):
        raise TokenInvalid
    try:
        return serializer(purpose).loads(token, max_age=max_age_seconds)
    except SignatureExpired as exc:
        raise TokenExpired from exc
    except BadSignature as exc:
        raise TokenInvalid from exc


def is_canonical(token: str) -> bool:
    """Whether every part of a signed token is in the one encoding we produce.

    Base64 leaves spare bits in a part's last character, so several spellings decode to
    the same bytes and pass the signature check; a link works only as it was sent.
    """
    body = token[1:] if token.startswith(".") else token  # "." marks a compressed payload
    for part in body.split("."):
        try:
            if base64_encode(base64_decode(part)).decode("ascii") != part:
                return False
        except (BadData, UnicodeError, ValueError):
            return False
    return True


def random_token() -> str:
    return secrets.token_urlsafe(32)


def digest(value: str) -> str:
    """What we store instead of a bearer secret (session, API token, set-up code): its
    SHA-256, hex. Unkeyed on purpose: these are random values of 72 bits and more, so the
    digest cannot be reversed by guessing, and a lookup needs no key. Never use this for
    personal data (an address, an email), which has few enough values to be guessed: that
    is `keyed_digest`."""
    return hashlib.sha256(value.encode()).hexdigest()


def keyed_digest(value: str, *, purpose: Keyed) -> str:
    """What we store instead of personal data we only compare (a client address, an email):
    an HMAC-SHA-256 under a key derived for this purpose from SECRET_KEY, so that nobody
    holding the database alone can test guesses against it (IPv4 has only 2^32 addresses).
    Changing SECRET_KEY changes every keyed digest."""
    secret = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(_purpose_key(secret, purpose), value.encode(), "sha256").hexdigest()


@lru_cache(maxsize=32)
def _purpose_key(secret: bytes, purpose: Keyed) -> bytes:
    # HKDF once per (secret, purpose): the signing path digests two values per request.
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=b"undersigned/" + purpose.value.encode(),
    )
    return hkdf.derive(secret)
