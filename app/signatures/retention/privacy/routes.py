"""The public "What do you hold about me?" form and the deletion link it emails."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.core import db, templating
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.errors import FieldErrors
from app.security import headers
from app.security.ratelimit import client_ip
from app.signatures import lifecycle
from app.signatures.retention.privacy import service
from app.statements import service as statements

router = APIRouter()

ShortText = Annotated[str, Form(max_length=2000)]


@router.get("/privacy/request")
def request_form(request: Request) -> Response:
    return templating.page(
        request, "signatures/privacy_request.html", {"errors": {}, "sent": False, "email": ""}
    )


@router.post("/privacy/request")
def request_submit(request: Request, session: SessionDep, email: ShortText = "") -> Response:
    with db.attempt(session, FieldErrors) as outcome:
        service.request_report(session, email=email, ip=client_ip(request))
    if outcome.error is not None:
        return templating.page(
            request,
            "signatures/privacy_request.html",
            {"errors": outcome.error.errors, "sent": False, "email": email},
            status_code=422,
        )
    # The same answer whether or not the address ever signed.
    days = get_settings().privacy_link_days
    return templating.page(
        request,
        "signatures/privacy_request.html",
        {"errors": {}, "sent": True, "days": days, "email": ""},
    )


def _erase_page(
    request: Request, session: SessionDep, found: lifecycle.Found, *, done: bool
) -> Response:
    version = statements.current_version(session, statement=found.statement)
    response = templating.page(
        request,
        "signatures/privacy_delete.html",
        {
            "statement": found.statement,
            "version": version,
            "details": service.held_details(found.signature),
            "done": done,
        },
    )
    response.headers.update(headers.SECRET_PAGE)
    return response


@router.get("/privacy/delete/{token}")
def erase_page(request: Request, token: str, session: SessionDep) -> Response:
    found = service.for_erasure(session, token=token)
    return _erase_page(request, session, found, done=False)


@router.post("/privacy/delete/{token}")
def erase_submit(request: Request, token: str, session: SessionDep) -> Response:
    found = service.erase_signature(session, token=token)
    return _erase_page(request, session, found, done=True)
