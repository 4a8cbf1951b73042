"""Signed, expiring tokens, one salt per purpose, so a token made for one thing never
works for another. Single use is enforced by the caller in the database."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from enum import StrEnum
from typing import Any

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
    # A signer's link, from their privacy report, to delete what is held about them.
    ERASE = "undersigned.signature.erase"
    # The CSV carried from one import step to the next (signed, not secret).
    IMPORT = "undersigned.import"


class Keyed(StrEnum):
    """What a keyed digest is for: the same value hashed for two purposes does not match."""

    IP = "undersigned.ip"


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
    """What we store instead of a bearer secret: its SHA-256, hex."""
    return hashlib.sha256(value.encode()).hexdigest()


def keyed_digest(value: str, *, purpose: Keyed) -> str:
    """What we store instead of personal data we only compare (a client address): an HMAC
    under the server's key, so that nobody holding the database alone can test guesses
    against it. The purpose is mixed into the key, so two uses never share a hash."""
    secret = get_settings().secret_key.get_secret_value().encode()
    key = hmac.new(secret, purpose.value.encode(), "sha256").digest()
    return hmac.new(key, value.encode(), "sha256").hexdigest()
