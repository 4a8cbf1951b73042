"""Recovery codes: ten single-use codes for a lead who lost their other factors. Only
keyed digests are kept; the codes are shown once.

Plain typed functions with keyword-only arguments. They flush, never commit.
"""

from __future__ import annotations

import base64
import secrets

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from app.accounts.factors import attempts
from app.accounts.factors.models import RecoveryCode
from app.accounts.models import User
from app.audit import service as audit
from app.core.db import utcnow
from app.core.i18n import gettext as _
from app.security import tokens

RECOVERY_CODE_COUNT = 10


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


def first_recovery_codes(session: Session, *, user: User) -> list[str]:
    exists = session.exec(
        select(col(RecoveryCode.id)).where(col(RecoveryCode.user_id) == user.id).limit(1)
    ).first()
    return [] if exists is not None else regenerate_recovery_codes(session, user=user)


def use_recovery_code(session: Session, *, user: User, code: str) -> None:
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
        attempts.count_failure(session, user=user, method="recovery code", reason="unknown or used")
        raise attempts.FactorRefused(
            _("That recovery code is not right or has already been used. Each works once.")
        )


def codes_left(session: Session, *, user: User) -> int:
    return session.exec(
        select(func.count())
        .select_from(RecoveryCode)
        .where(col(RecoveryCode.user_id) == user.id, col(RecoveryCode.used_at).is_(None))
    ).one()
