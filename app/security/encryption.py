"""Signer data encrypted at rest: AES-256-GCM under a key kept outside the database.

A stored value is a text token `enc1:<key id>:<base64(nonce ‖ ciphertext ‖ tag)>`. The
key id (the first 8 hex digits of the key's SHA-256) tells which key wrote a value, so a
rotation can find what is still under an old key. The empty string is stored as itself
(nothing to hide, and team exports skip most empty columns). A value without the prefix
is plaintext from before encryption: it reads as itself until `undersigned
encrypt-existing` seals it.

The key is ENCRYPTION_KEY (base64 of 32 bytes) or the file ENCRYPTION_KEY_FILE names;
ENCRYPTION_OLD_KEYS (comma-separated) are read too, while `undersigned
rotate-encryption-key` moves every value to the current key. See `app.core.config`.

Encrypted columns cannot be compared in SQL (each encryption of the same value differs):
`EncryptedText` refuses comparisons other than with "" so that a query which could never
match fails loudly. Look values up through a blind index (`Keyed.EMAIL` in
`app.security.tokens`) or filter in Python after reading.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import compress, repeat
from operator import itemgetter
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import ColumnElement, Text, TypeDecorator
from sqlalchemy.sql import operators

from app.core.config import get_settings
from app.core.errors import AppError
from app.core.i18n import N_
from app.core.i18n import gettext as _

PREFIX = "enc1:"
_NONCE = 12
# A token's parts, as C-level callables for `Keyring.open_column`'s maps.
_BODY = itemgetter(slice(len(PREFIX) + 9, None))  # past "enc1:<8 hex>:"
_NONCE_OF = itemgetter(slice(None, _NONCE))
_SEALED_OF = itemgetter(slice(_NONCE, None))


class UnreadableValue(AppError):
    """A stored value this server cannot read: written under a key it was not given, or
    altered. Answered as a clear error page (503), never with the data."""

    status_code = 503
    title = N_("Encrypted data cannot be read")

    def __init__(self) -> None:
        super().__init__(
            _(
                "Some stored data was encrypted with a key this server does not have. "
                "An administrator must set the encryption key (or the old keys) it was "
                "written with."
            )
        )


def parse_key(text: str) -> bytes:
    """A key as configured: base64 (standard or URL-safe) of exactly 32 random bytes."""
    cleaned = text.strip()
    try:
        raw = base64.urlsafe_b64decode(cleaned.replace("+", "-").replace("/", "_"))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("an encryption key must be base64 of 32 bytes") from exc
    if len(raw) != 32:
        raise ValueError("an encryption key must be base64 of 32 bytes")
    return raw


def new_key() -> str:
    """A fresh key, as it is written in ENCRYPTION_KEY or a key file."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


class Keyring:
    """The current key (every new value) and the old ones (reading only)."""

    def __init__(self, current: bytes, old: Iterable[bytes] = ()) -> None:
        self.current_id = key_id(current)
        self._current = AESGCM(current)
        self._by_id: dict[str, AESGCM] = {key_id(k): AESGCM(k) for k in old}
        self._by_id[self.current_id] = self._current

    def encrypt(self, value: str) -> str:
        if not value:
            return value
        nonce = os.urandom(_NONCE)
        sealed = self._current.encrypt(nonce, value.encode("utf-8"), None)
        body = binascii.b2a_base64(nonce + sealed, newline=False).decode("ascii")
        return f"{PREFIX}{self.current_id}:{body}"

    def decrypt(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            return stored  # empty, or plaintext from before encryption
        aead = self._by_id.get(stored[5:13])
        if aead is None:
            raise UnreadableValue
        try:
            raw = binascii.a2b_base64(stored[14:])  # the fastest decoder: exports open 100,000s
            return aead.decrypt(raw[:_NONCE], raw[_NONCE:], None).decode("utf-8")
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise UnreadableValue from exc

    def open_column(self, values: Sequence[str | None]) -> list[str | None]:
        """`decrypt` of each value of one column (a batch of an export's rows), None and
        "" kept: the team CSV opens 100,000s. When every value is under the current key,
        the base64 decoding, splitting and AES-GCM opening run as `map`s over C-level
        callables, without a Python call per value; otherwise value by value."""
        present: list[str] = list(compress(values, values))  # type: ignore[arg-type]
        if not present:
            return list(values)
        prefix = f"{PREFIX}{self.current_id}:"
        if not all(map(str.startswith, present, repeat(prefix))):
            return [self.decrypt(v) if v else v for v in values]
        try:
            raw = list(map(binascii.a2b_base64, map(_BODY, present)))
            opened: list[str | None] = list(
                map(
                    bytes.decode,
                    map(
                        self._current.decrypt,
                        map(_NONCE_OF, raw),
                        map(_SEALED_OF, raw),
                        repeat(None),
                    ),
                )
            )
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise UnreadableValue from exc
        if len(present) == len(values):
            return opened
        # Empty values back in their places: each token is its own key (a random nonce).
        by_token = dict(zip(present, opened, strict=True))
        return list(map(by_token.get, values, values))  # type: ignore[arg-type]

    def needs_rewrite(self, stored: str | None) -> bool:
        """Plaintext, or sealed under a key other than the current one."""
        if not stored:
            return False
        return not stored.startswith(f"{PREFIX}{self.current_id}:")


@lru_cache(maxsize=4)
def _keyring(current: str, old: str) -> Keyring:
    return Keyring(parse_key(current), [parse_key(k) for k in old.split(",") if k.strip()])


def keyring() -> Keyring:
    settings = get_settings()
    return _keyring(
        settings.encryption_key.get_secret_value(), settings.encryption_old_keys.get_secret_value()
    )


def encrypt(value: str) -> str:
    return keyring().encrypt(value)


def decrypt(stored: str) -> str:
    return keyring().decrypt(stored)


_ALLOWED = {operators.eq, operators.ne, operators.is_, operators.is_not}


def _harmless(other: object) -> bool:
    if other is None or isinstance(other, ColumnElement):
        return True
    return isinstance(other, str) and other == ""


class EncryptedText(TypeDecorator[str]):
    """A text column stored encrypted (see the module's docstring)."""

    impl = Text
    cache_ok = True

    class comparator_factory(TypeDecorator.Comparator[str]):
        def operate(self, op: Any, *other: Any, **kwargs: Any) -> Any:
            # Allowed: "is empty" tests, and SQLAlchemy's own column-to-column comparisons.
            if op in _ALLOWED and all(_harmless(o) for o in other):
                return super().operate(op, *other, **kwargs)
            raise TypeError(
                "an encrypted column cannot be compared in SQL: use its blind index, "
                "or filter in Python after reading"
            )

    def __init__(self, length: int | None = None) -> None:
        super().__init__()
        # The longest value a signer may send (checked by the forms; the stored token is
        # longer, so the database column is TEXT).
        self.length = length

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else encrypt(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else decrypt(value)
