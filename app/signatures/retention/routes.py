"""The team's setting for how long contact details are kept. The public privacy pages
(privacy/routes.py) reach the app through this router."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts.deps import CurrentUser
from app.core import db, templating
from app.core.db import SessionDep
from app.core.errors import FieldErrors
from app.signatures.retention import service
from app.signatures.retention.privacy import routes as privacy_routes
from app.statements.deps import StatementEditor

router = APIRouter()

ShortText = Annotated[str, Form(max_length=2000)]


@router.post("/statements/{slug}/retention")
def set_retention(
    request: Request,
    acc: StatementEditor,
    session: SessionDep,
    user: CurrentUser,
    retention_days: ShortText = "",
) -> Response:
    with db.attempt(session, FieldErrors) as outcome:
        service.set_retention_days(
            session, statement=acc.statement, actor=user, days=retention_days
        )
    if outcome.error is not None:
        return templating.page(
            request,
            "statements/retention.html",
            {
                "statement": acc.statement,
                "errors": outcome.error.errors,
                "value": retention_days,
                "deletion_at": service.contact_deletion_at(acc.statement),
            },
            status_code=422,
        )
    return templating.redirect(f"/statements/{acc.statement.slug}", notice="statement-saved")


router.include_router(privacy_routes.router)
