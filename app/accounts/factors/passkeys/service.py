"""Passkeys (WebAuthn, py_webauthn): registering one, the options and challenge of each
ceremony (bound to this browser), checking an assertion (a sign count that does not go
up is refused), renaming and removing them, switching the password off.

Plain typed functions with keyword-only arguments. They flush, never commit.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_authenticator_data,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from app.accounts.factors import attempts
from app.accounts.factors.models import Passkey, WebAuthnChallenge
from app.accounts.models import User
from app.audit import service as audit
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import BadRequest, Conflict, NotFound
from app.core.i18n import gettext as _
from app.core.text import clean_line
from app.security import tokens

CHALLENGE_MINUTES = 5


def _rp_id() -> str:
    return urlsplit(get_settings().base_url).hostname or "localhost"


def _origin() -> str:
    parts = urlsplit(get_settings().base_url)
    return f"{parts.scheme}://{parts.netloc}"


def _store_challenge(
    session: Session, *, binding: str, purpose: str, user: User | None, challenge: bytes
) -> None:
    session.add(
        WebAuthnChallenge(
            binding_hash=tokens.digest(binding),
            purpose=purpose,
            user_id=user.id if user else None,
            challenge=bytes_to_base64url(challenge),
            expires_at=utcnow() + timedelta(minutes=CHALLENGE_MINUTES),
        )
    )
    session.flush()


def _take_challenge(session: Session, *, binding: str, purpose: str, user: User | None) -> bytes:
    """The newest live challenge issued to this browser for this purpose, used up now."""
    now = utcnow()
    query = select(WebAuthnChallenge).where(
        col(WebAuthnChallenge.binding_hash) == tokens.digest(binding),
        col(WebAuthnChallenge.purpose) == purpose,
        col(WebAuthnChallenge.used_at).is_(None),
        col(WebAuthnChallenge.expires_at) > now,
    )
    if user is not None:
        query = query.where(col(WebAuthnChallenge.user_id) == user.id)
    found = session.exec(query.order_by(col(WebAuthnChallenge.id).desc())).first()
    expired = _("This passkey request has expired. Please try again.")
    if found is None:
        raise attempts.FactorRefused(expired)
    claimed = session.exec(
        update(WebAuthnChallenge)
        .where(col(WebAuthnChallenge.id) == found.id, col(WebAuthnChallenge.used_at).is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:
        raise attempts.FactorRefused(expired)
    return _b64decode(found.challenge)


def prune_challenges(session: Session) -> int:
    """For the worker: challenges are worth nothing once expired."""
    result = session.exec(
        delete(WebAuthnChallenge).where(col(WebAuthnChallenge.expires_at) < utcnow())
    )
    return int(result.rowcount or 0)


def registration_options(session: Session, *, user: User, binding: str) -> str:
    """The options for navigator.credentials.create(), as JSON. The passkey is
    discoverable, so it can later sign in on its own."""
    existing = session.exec(
        select(col(Passkey.credential_id)).where(col(Passkey.user_id) == user.id)
    ).all()
    options = generate_registration_options(
        rp_id=_rp_id(),
        rp_name="Undersigned",
        user_name=user.email,
        user_display_name=user.name,
        user_id=str(user.id).encode(),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=_b64decode(cid)) for cid in existing],
    )
    _store_challenge(
        session, binding=binding, purpose="register", user=user, challenge=options.challenge
    )
    return options_to_json(options)


def _b64decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def add_passkey(
    session: Session, *, user: User, binding: str, credential: str, name: str
) -> Passkey:
    name = clean_line(name, max_length=100) or _("Passkey")
    challenge = _take_challenge(session, binding=binding, purpose="register", user=user)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=_rp_id(),
            expected_origin=_origin(),
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise attempts.FactorRefused(
            _("Your browser's answer could not be checked. Try again.")
        ) from exc
    credential_id = bytes_to_base64url(verified.credential_id)
    if session.exec(
        select(col(Passkey.id)).where(col(Passkey.credential_id) == credential_id)
    ).first():
        raise Conflict(_("This passkey is already registered."))
    assert user.id is not None
    passkey = Passkey(
        user_id=user.id,
        name=name,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
    )
    session.add(passkey)
    audit.record(session, statement_id=None, actor=user, action="passkey added", detail=name)
    session.flush()
    return passkey


def authentication_options(
    session: Session, *, binding: str, purpose: str, user: User | None
) -> str:
    """Options for navigator.credentials.get(). Without a user (signing in with a
    passkey alone) the allow list is empty and the browser offers its discoverable keys."""
    allow: list[PublicKeyCredentialDescriptor] = []
    if user is not None:
        allow = [
            PublicKeyCredentialDescriptor(id=_b64decode(cid))
            for cid in session.exec(
                select(col(Passkey.credential_id)).where(col(Passkey.user_id) == user.id)
            ).all()
        ]
    options = generate_authentication_options(
        rp_id=_rp_id(),
        allow_credentials=allow,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    _store_challenge(
        session, binding=binding, purpose=purpose, user=user, challenge=options.challenge
    )
    return options_to_json(options)


def verify_passkey(
    session: Session, *, binding: str, purpose: str, credential: str, user: User | None
) -> tuple[User, Passkey]:
    """Check an assertion against the challenge this browser was given. With `user` the
    key must be theirs; without, the key says whose it is."""
    challenge = _take_challenge(session, binding=binding, purpose=purpose, user=user)
    unreadable = _("Your browser's answer could not be checked. Try again.")
    try:
        parsed = parse_authentication_credential_json(credential)
        reported = parse_authenticator_data(parsed.response.authenticator_data).sign_count
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise attempts.FactorRefused(unreadable) from exc
    passkey = session.exec(
        select(Passkey).where(col(Passkey.credential_id) == bytes_to_base64url(parsed.raw_id))
    ).first()
    if passkey is None or (user is not None and passkey.user_id != user.id):
        raise attempts.FactorRefused(_("This passkey is not registered here."))
    owner = session.get(User, passkey.user_id)
    if owner is None or not owner.is_active:
        raise attempts.FactorRefused(_("This passkey is not registered here."))
    # A count that does not go up means a copy of the key is in use somewhere: refused,
    # and kept in the audit log for the lead and the administrators.
    if (reported or passkey.sign_count) and reported <= passkey.sign_count:
        attempts.count_failure(
            session, user=owner, method="passkey", reason="sign count did not increase"
        )
        raise attempts.FactorRefused(
            _(
                "This passkey's answer was used before. "
                "If you did not do this, tell an administrator."
            )
        )
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=_rp_id(),
            expected_origin=_origin(),
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        attempts.count_failure(
            session, user=owner, method="passkey", reason="assertion not verified"
        )
        raise attempts.FactorRefused(unreadable) from exc
    # Conditional on the count we checked, so two concurrent replays cannot both pass.
    moved = session.exec(
        update(Passkey)
        .where(col(Passkey.id) == passkey.id, col(Passkey.sign_count) == passkey.sign_count)
        .values(sign_count=verified.new_sign_count, last_used_at=utcnow())
    )
    if moved.rowcount != 1:
        raise attempts.FactorRefused(unreadable)
    session.refresh(passkey)
    return owner, passkey


def rename_passkey(session: Session, *, user: User, passkey_id: int, name: str) -> None:
    passkey = _own_passkey(session, user=user, passkey_id=passkey_id)
    name = clean_line(name, max_length=100)
    if not name:
        raise BadRequest(_("Please give the passkey a name."))
    passkey.name = name
    audit.record(session, statement_id=None, actor=user, action="passkey renamed", detail=name)
    session.flush()


def remove_passkey(session: Session, *, user: User, passkey_id: int) -> None:
    passkey = _own_passkey(session, user=user, passkey_id=passkey_id)
    remaining = session.exec(
        select(func.count()).select_from(Passkey).where(col(Passkey.user_id) == user.id)
    ).one()
    if user.passkey_only and remaining <= 1:
        raise Conflict(
            _(
                "This is your last passkey and your password is switched off. "
                "Switch the password back on or add another passkey first."
            )
        )
    session.delete(passkey)
    audit.record(
        session, statement_id=None, actor=user, action="passkey removed", detail=passkey.name
    )
    session.flush()


def _own_passkey(session: Session, *, user: User, passkey_id: int) -> Passkey:
    passkey = session.get(Passkey, passkey_id)
    if passkey is None or passkey.user_id != user.id:
        raise NotFound()
    return passkey


def set_passkey_only(session: Session, *, user: User, enabled: bool) -> None:
    """With the password off, only a passkey signs this account in."""
    if enabled and not has_passkey(session, user=user):
        raise BadRequest(_("Add a passkey before switching your password off."))
    user.passkey_only = enabled
    audit.record(
        session,
        statement_id=None,
        actor=user,
        action="password switched off" if enabled else "password switched on",
    )
    session.flush()


def has_passkey(session: Session, *, user: User) -> bool:
    return (
        session.exec(
            select(col(Passkey.id)).where(col(Passkey.user_id) == user.id).limit(1)
        ).first()
        is not None
    )


def passkeys_of(session: Session, *, user: User) -> list[Passkey]:
    return list(
        session.exec(
            select(Passkey).where(col(Passkey.user_id) == user.id).order_by(col(Passkey.id))
        )
    )
