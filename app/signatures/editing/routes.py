"""The signer's pages to change their details: the form behind the emailed edit link, and
the confirmation of a change (opening its link changes nothing; only pressing Confirm
does). Secret pages: no referrer, never cached."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.core import db, templating
from app.core.db import SessionDep
from app.core.errors import FieldErrors
from app.core.forms import FormDep
from app.security import headers
from app.signatures import countries, lifecycle
from app.signatures.editing import service
from app.statements import service as statements

router = APIRouter()


def _page(
    request: Request,
    session: SessionDep,
    name: str,
    found: lifecycle.Found,
    status_code: int = 200,
    **extra: object,
) -> Response:
    version = statements.current_version(session, statement=found.statement)
    response = templating.page(
        request,
        name,
        {"signature": found.signature, "statement": found.statement, "version": version, **extra},
        status_code=status_code,
    )
    response.headers.update(headers.SECRET_PAGE)
    return response


@router.get("/edit/{token}")
def edit_page(request: Request, token: str, session: SessionDep) -> Response:
    found = service.for_edit(session, token=token)
    values = service.current_values(found.signature)
    return _page(
        request,
        session,
        "signatures/edit.html",
        found,
        values=values,
        errors={},
        countries=countries.options(),
        sent=False,
    )


@router.post("/edit/{token}")
def edit_submit(request: Request, token: str, form: FormDep, session: SessionDep) -> Response:
    values = {k: v for k, v in form.items() if isinstance(v, str) and k in service.EDITABLE}
    found = service.for_edit(session, token=token)
    with db.attempt(session, FieldErrors) as outcome:
        service.request_change(session, token=token, values=values)
    if outcome.error is not None:
        return _page(
            request,
            session,
            "signatures/edit.html",
            found,
            status_code=422,
            values=values,
            errors=outcome.error.errors,
            countries=countries.options(),
            sent=False,
        )
    return _page(request, session, "signatures/edit.html", found, sent=True)


@router.get("/edit-confirm/{token}")
def confirm_page(request: Request, token: str, session: SessionDep) -> Response:
    pending = service.for_confirmation(session, token=token)
    return _page(
        request,
        session,
        "signatures/edit_confirm.html",
        pending.found,
        changes=service.described(pending.changes),
        applied=pending.change.applied_at is not None,
    )


@router.post("/edit-confirm/{token}")
def confirm_submit(request: Request, token: str, session: SessionDep) -> Response:
    pending = service.confirm_change(session, token=token)
    return _page(
        request,
        session,
        "signatures/edit_confirm.html",
        pending.found,
        changes=service.described(pending.changes),
        applied=True,
    )
