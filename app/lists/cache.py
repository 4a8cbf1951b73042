"""The live signatory list, built once per change rather than once per request: a share
can bring thousands of readers a minute to a statement with tens of thousands of names.

The key is one cheap aggregate query (how many approved signatures, and the latest change
to any of them), so a new approval or correction is visible on the next request.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from threading import Lock

from sqlmodel import Session, col, func, select

from app.core.db import utcnow
from app.core.i18n import get_locale
from app.lists.data import SignatoryList
from app.signatures.models import Signature, SignatureStatus
from app.signatures.verification import service as verification
from app.statements import deadlines
from app.statements.models import Statement

_CACHE: OrderedDict[tuple[object, ...], SignatoryList] = OrderedDict()
_LOCK = Lock()
_SIZE = 32


def _key(session: Session, statement: Statement) -> tuple[object, ...]:
    """What the public list depends on: approved signatures and their last decision or
    withdrawal, and the statement (display corrections touch its updated_at). A new
    pending signature does not throw the cached list away."""
    count, newest_decision, newest_withdrawal = session.exec(
        select(
            func.count(Signature.id).filter(  # type: ignore[arg-type]
                col(Signature.status) == SignatureStatus.APPROVED
            ),
            func.max(Signature.decided_at),
            func.max(Signature.withdrawn_at),
        ).where(col(Signature.statement_id) == statement.id)
    ).one()
    return (
        statement.id,
        statement.updated_at,
        count,
        newest_decision,
        newest_withdrawal,
        get_locale(),
        deadlines.to_local(utcnow(), statement.deadline_zone).date(),
        # Organisations' verification marks and holds (their policy touches updated_at).
        verification.version_key(session, statement_id=statement.id),
    )


def live_list(
    session: Session, *, statement: Statement, build: Callable[[], SignatoryList]
) -> SignatoryList:
    """The list `build` makes, unless one made since the last change is at hand (the
    builder is passed in because app.lists.service, which builds lists, also calls this)."""
    key = _key(session, statement)
    with _LOCK:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)
            return found
    model = build()
    with _LOCK:
        _CACHE[key] = model
        while len(_CACHE) > _SIZE:
            _CACHE.popitem(last=False)
    return model
