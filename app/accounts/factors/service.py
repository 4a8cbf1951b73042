"""Second factors: passkeys (WebAuthn, py_webauthn), a TOTP app (pyotp), recovery codes;
the site-wide "every lead must use a second factor"; step-up on a sign-in session.

Plain typed functions with keyword-only arguments. They flush, never commit. Every
change to a factor, every step-up and every refusal worth knowing about is written to
the audit log as an account-level event (no statement).
"""

from __future__ import annotations

import base64
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pyotp
import segno
from sqlalchemy import delete, func, or_, update
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

from app.accounts import service as accounts
from app.accounts.factors.models import (
    Passkey,
    RecoveryCode,
    SiteSetting,
    TotpFactor,
    WebAuthnChallenge,
)
from app.accounts.models import LoginSession, User
from app.audit import service as audit
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import BadRequest, Conflict, NotFound, RateLimited
from app.core.i18n import gettext as _
from app.core.text import clean_line
from app.security import ratelimit, tokens

RECOVERY_CODE_COUNT = 10
CHALLENGE_MINUTES = 5
TOTP_STEP_SECONDS = 30
REQUIRE_SECOND_FACTOR = "require_second_factor"
FACTOR_FAILURE_BUCKET = "second-factor"
MAX_FACTOR_FAILURES = 10


class FactorRefused(BadRequest):
    """A code or passkey that did not prove anything; the message says why."""


# --- site setting -------------------------------------------------------------------


def second_factor_required(session: Session) -> bool:
    setting = session.get(SiteSetting, REQUIRE_SECOND_FACTOR)
    return setting is not None and setting.value == "1"


def set_second_factor_required(session: Session, *, admin: User, required: bool) -> None:
    setting = session.get(SiteSetting, REQUIRE_SECOND_FACTOR)
    if setting is None:
        setting = SiteSetting(key=REQUIRE_SECOND_FACTOR, value="0")
        session.add(setting)
    setting.value = "1" if required else "0"
    setting.updated_at = utcnow()
    setting.updated_by_id = admin.id
    audit.record(
        session,
        statement_id=None,
        actor=admin,
        action="second factor required" if required else "second factor optional",
    )
    session.flush()


# --- what a lead has ----------------------------------------------------------------


@dataclass(frozen=True)
class Factors:
    passkeys: list[Passkey]
    totp: bool
    recovery_codes_left: int

    @property
    def any(self) -> bool:
        return bool(self.passkeys) or self.totp


def factors_of(session: Session, *, user: User) -> Factors:
    passkeys = list(
        session.exec(
            select(Passkey).where(col(Passkey.user_id) == user.id).order_by(col(Passkey.id))
        )
    )
    totp = _confirmed_totp(session, user=user) is not None
    left = session.exec(
        select(func.count())
        .select_from(RecoveryCode)
        .where(col(RecoveryCode.user_id) == user.id, col(RecoveryCode.used_at).is_(None))
    ).one()
    return Factors(passkeys=passkeys, totp=totp, recovery_codes_left=left)


def has_second_factor(session: Session, *, user: User) -> bool:
    has_passkey = session.exec(
        select(col(Passkey.id)).where(col(Passkey.user_id) == user.id).limit(1)
    ).first()
    return has_passkey is not None or _confirmed_totp(session, user=user) is not None


def must_enrol(session: Session, *, user: User) -> bool:
    """The site requires a second factor and this lead has none yet."""
    return second_factor_required(session) and not has_second_factor(session, user=user)


def _confirmed_totp(session: Session, *, user: User) -> TotpFactor | None:
    return session.exec(
        select(TotpFactor).where(
            col(TotpFactor.user_id) == user.id, col(TotpFactor.confirmed_at).is_not(None)
        )
    ).first()


# --- step-up ------------------------------------------------------------------------


def stepped_up_recently(login: LoginSession, *, now: datetime | None = None) -> bool:
    """A second factor proved on this very session within STEP_UP_MINUTES."""
    if login.stepped_up_at is None:
        return False
    window = timedelta(minutes=get_settings().step_up_minutes)
    return (now or utcnow()) - login.stepped_up_at < window


def record_step_up(
    session: Session, *, user: User, login: LoginSession, method: str, now: datetime | None = None
) -> None:
    login.stepped_up_at = now or utcnow()
    audit.record(session, statement_id=None, actor=user, action="stepped up", detail=method)
    session.flush()


def record_sign_in(session: Session, *, user: User, method: str) -> None:
    audit.record(session, statement_id=None, actor=user, action="signed in", detail=method)


def verify_password_step_up(session: Session, *, user: User, password: str) -> None:
    """Step-up for a lead with no second factor to prove (only while the site does not
    require one): the password again, counted like a wrong code when wrong."""
    _check_not_paused(session, user=user)
    if not accounts.password_matches(user, password) or user.passkey_only:
        _count_failure(session, user=user, method="password", reason="wrong password")
        raise FactorRefused(_("That password is not right."))


def record_sensitive_action(session: Session, *, user: User, what: str) -> None:
    audit.record(session, statement_id=None, actor=user, action="sensitive action", detail=what)


def _count_failure(session: Session, *, user: User, method: str, reason: str) -> None:
    """Refusals are audited and count towards a pause, so six digits cannot be guessed."""
    window = timedelta(minutes=get_settings().login_failure_window_minutes)
    ratelimit.record(session, bucket=FACTOR_FAILURE_BUCKET, key=str(user.id), window=window)
    audit.record(
        session,
        statement_id=None,
        actor=user,
        action="second factor refused",
        detail=f"{method}: {reason}",
    )


def _check_not_paused(session: Session, *, user: User) -> None:
    settings = get_settings()
    window = timedelta(minutes=settings.login_failure_window_minutes)
    failures = ratelimit.count(
        session, bucket=FACTOR_FAILURE_BUCKET, key=str(user.id), window=window
    )
    if failures >= MAX_FACTOR_FAILURES:
        raise RateLimited(
            _("Too many wrong codes. Please wait %(n)d minutes and try again.")
            % {"n": settings.login_failure_window_minutes}
        )


# --- TOTP ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TotpEnrolment:
    secret: str
    uri: str
    qr_svg: str


def start_totp(session: Session, *, user: User) -> TotpEnrolment:
    """A new secret waiting for its first code (replacing one not yet confirmed)."""
    if _confirmed_totp(session, user=user) is not None:
        raise Conflict(_("You already use an authenticator app. Remove it first to replace it."))
    pending = session.exec(select(TotpFactor).where(col(TotpFactor.user_id) == user.id)).first()
    if pending is None:
        assert user.id is not None
        pending = TotpFactor(user_id=user.id, secret=pyotp.random_base32())
        session.add(pending)
        session.flush()
    return _enrolment(pending, user=user)


def _enrolment(factor: TotpFactor, *, user: User) -> TotpEnrolment:
    issuer = urlsplit(get_settings().base_url).hostname or "Undersigned"
    uri = pyotp.TOTP(factor.secret).provisioning_uri(name=user.email, issuer_name=issuer)
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    return TotpEnrolment(secret=factor.secret, uri=uri, qr_svg=svg)


def confirm_totp(
    session: Session, *, user: User, code: str, now: datetime | None = None
) -> list[str]:
    """Finish enrolment with a first code. Returns fresh recovery codes when the lead
    had none (shown once), else an empty list."""
    pending = session.exec(
        select(TotpFactor).where(
            col(TotpFactor.user_id) == user.id, col(TotpFactor.confirmed_at).is_(None)
        )
    ).first()
    if pending is None:
        raise BadRequest(_("Start again: open the page to add an authenticator app."))
    _check_not_paused(session, user=user)
    step = _matching_step(pending.secret, code, now=now)
    if step is None:
        raise FactorRefused(
            _("That code is not right. Check your app's clock and type the newest code.")
        )
    pending.confirmed_at = utcnow()
    pending.last_used_step = step
    audit.record(session, statement_id=None, actor=user, action="authenticator app added")
    session.flush()
    return _first_recovery_codes(session, user=user)


def _matching_step(secret: str, code: str, *, now: datetime | None) -> int | None:
    """The time step whose code this is (the current one or either neighbour, for clocks
    a little apart), or None."""
    code = "".join(code.split())
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int((now or utcnow()).timestamp()) // TOTP_STEP_SECONDS
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.at(step * TOTP_STEP_SECONDS), code):
            return step
    return None


def _verify_totp(session: Session, *, user: User, code: str, now: datetime | None) -> None:
    factor = _confirmed_totp(session, user=user)
    if factor is None:
        raise FactorRefused(_("You have no authenticator app. Use a passkey or a recovery code."))
    step = _matching_step(factor.secret, code, now=now)
    if step is None:
        _count_failure(session, user=user, method="authenticator app", reason="wrong code")
        raise FactorRefused(
            _("That code is not right. Check your app's clock and type the newest code.")
        )
    # One UPDATE decides: of two requests with the same code, only one moves the step on.
    claimed = session.exec(
        update(TotpFactor)
        .where(
            col(TotpFactor.id) == factor.id,
            or_(col(TotpFactor.last_used_step).is_(None), col(TotpFactor.last_used_step) < step),
        )
        .values(last_used_step=step)
    )
    if claimed.rowcount != 1:
        _count_failure(session, user=user, method="authenticator app", reason="code reused")
        raise FactorRefused(
            _("That code has already been used. Wait for your app to show the next one.")
        )


def remove_totp(session: Session, *, user: User) -> None:
    removed = session.exec(delete(TotpFactor).where(col(TotpFactor.user_id) == user.id))
    if removed.rowcount:
        audit.record(session, statement_id=None, actor=user, action="authenticator app removed")
    session.flush()


# --- recovery codes -----------------------------------------------------------------


def _recovery_digest(code: str) -> str:
    normal = "".join(code.split()).replace("-", "").lower()
    return tokens.keyed_digest(normal, purpose=tokens.Keyed.RECOVERY_CODE)


def _new_recovery_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()  # 80 bits, 16 letters
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def regenerate_recovery_codes(session: Session, *, user: User) -> list[str]:
    """Ten new codes; every earlier one stops working. Only digests are kept."""
    assert user.id is not None
    session.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    for code in codes:
        session.add(RecoveryCode(user_id=user.id, code_hash=_recovery_digest(code)))
    audit.record(session, statement_id=None, actor=user, action="recovery codes made")
    session.flush()
    return codes


def _first_recovery_codes(session: Session, *, user: User) -> list[str]:
    exists = session.exec(
        select(col(RecoveryCode.id)).where(col(RecoveryCode.user_id) == user.id).limit(1)
    ).first()
    return [] if exists is not None else regenerate_recovery_codes(session, user=user)


def _use_recovery_code(session: Session, *, user: User, code: str) -> None:
    used = session.exec(
        update(RecoveryCode)
        .where(
            col(RecoveryCode.user_id) == user.id,
            col(RecoveryCode.code_hash) == _recovery_digest(code),
            col(RecoveryCode.used_at).is_(None),
        )
        .values(used_at=utcnow())
    )
    if used.rowcount != 1:
        _count_failure(session, user=user, method="recovery code", reason="unknown or used")
        raise FactorRefused(
            _("That recovery code is not right or has already been used. Each works once.")
        )


def verify_code(session: Session, *, user: User, code: str, now: datetime | None = None) -> str:
    """A six-digit app code or a recovery code. Returns which it was (for the audit)."""
    _check_not_paused(session, user=user)
    compact = "".join(code.split())
    if compact.isdigit() and len(compact) == 6:
        _verify_totp(session, user=user, code=compact, now=now)
        return "authenticator app"
    if not compact:
        raise FactorRefused(_("Please type the code from your app or a recovery code."))
    _use_recovery_code(session, user=user, code=compact)
    return "recovery code"


# --- passkeys -----------------------------------------------------------------------


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
        raise FactorRefused(expired)
    claimed = session.exec(
        update(WebAuthnChallenge)
        .where(col(WebAuthnChallenge.id) == found.id, col(WebAuthnChallenge.used_at).is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:
        raise FactorRefused(expired)
    return base64.urlsafe_b64decode(found.challenge + "=" * (-len(found.challenge) % 4))


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
        raise FactorRefused(_("Your browser's answer could not be checked. Try again.")) from exc
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
        raise FactorRefused(unreadable) from exc
    passkey = session.exec(
        select(Passkey).where(col(Passkey.credential_id) == bytes_to_base64url(parsed.raw_id))
    ).first()
    if passkey is None or (user is not None and passkey.user_id != user.id):
        raise FactorRefused(_("This passkey is not registered here."))
    owner = session.get(User, passkey.user_id)
    if owner is None or not owner.is_active:
        raise FactorRefused(_("This passkey is not registered here."))
    # A count that does not go up means a copy of the key is in use somewhere: refused,
    # and kept in the audit log for the lead and the administrators.
    if (reported or passkey.sign_count) and reported <= passkey.sign_count:
        _count_failure(session, user=owner, method="passkey", reason="sign count did not increase")
        raise FactorRefused(
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
        _count_failure(session, user=owner, method="passkey", reason="assertion not verified")
        raise FactorRefused(unreadable) from exc
    # Conditional on the count we checked, so two concurrent replays cannot both pass.
    moved = session.exec(
        update(Passkey)
        .where(col(Passkey.id) == passkey.id, col(Passkey.sign_count) == passkey.sign_count)
        .values(sign_count=verified.new_sign_count, last_used_at=utcnow())
    )
    if moved.rowcount != 1:
        raise FactorRefused(unreadable)
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
    if (
        enabled
        and not session.exec(
            select(col(Passkey.id)).where(col(Passkey.user_id) == user.id).limit(1)
        ).first()
    ):
        raise BadRequest(_("Add a passkey before switching your password off."))
    user.passkey_only = enabled
    audit.record(
        session,
        statement_id=None,
        actor=user,
        action="password switched off" if enabled else "password switched on",
    )
    session.flush()


@dataclass(frozen=True)
class LeadFactors:
    user: User
    passkeys: int
    totp: bool


def leads_with_factors(session: Session) -> list[LeadFactors]:
    """For the administrators' security page: who has which factor."""
    passkeys = dict(
        session.exec(
            select(col(Passkey.user_id), func.count()).group_by(col(Passkey.user_id))
        ).all()
    )
    totp = set(
        session.exec(
            select(col(TotpFactor.user_id)).where(col(TotpFactor.confirmed_at).is_not(None))
        ).all()
    )
    return [
        LeadFactors(user=user, passkeys=passkeys.get(user.id or 0, 0), totp=user.id in totp)
        for user in accounts.list_users(session)
    ]


# --- an administrator's reset -------------------------------------------------------


def reset_factors(session: Session, *, admin: User, user_id: int) -> User:
    """For a lead who lost every factor and their recovery codes: everything removed,
    the password back on, every session signed out."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound()
    session.exec(delete(Passkey).where(col(Passkey.user_id) == user.id))
    session.exec(delete(TotpFactor).where(col(TotpFactor.user_id) == user.id))
    session.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    session.exec(
        update(LoginSession)
        .where(col(LoginSession.user_id) == user.id, col(LoginSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    user.passkey_only = False
    audit.record(
        session,
        statement_id=None,
        actor=admin,
        action="second factors reset",
        detail=f"{user.name} <{user.email}>",
    )
    session.flush()
    return user
