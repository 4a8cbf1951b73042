"""Re-consent pages: the signer's re-confirmation page (reached from the email; opening it
changes nothing, only pressing Confirm does) and the team's round status and decision."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts.deps import CurrentUser
from app.core import templating
from app.core.db import SessionDep
from app.core.errors import BadRequest
from app.core.i18n import gettext as _
from app.security import headers
from app.signatures import lifecycle, public
from app.signatures.reconsent import service as reconsent
from app.statements.deps import StatementEditor, StatementViewer

router = APIRouter()
DECISIONS = {"keep": True, "remove": False}


def _reconfirm_page(request: Request, found: reconsent.Reconfirmation) -> Response:
    context = {"found": found, "withdraw_token": lifecycle.withdraw_token(found.signature)}
    response = templating.page(request, "signatures/reconfirm.html", context)
    response.headers.update(headers.SECRET_PAGE)
    return response


@router.get("/reconfirm/{token}")
def reconfirm_page(request: Request, token: str, session: SessionDep) -> Response:
    return _reconfirm_page(request, reconsent.for_reconfirmation(session, token=token))


@router.post("/reconfirm/{token}")
def reconfirm_submit(request: Request, token: str, session: SessionDep) -> Response:
    return _reconfirm_page(request, reconsent.reconfirm(session, token=token))


@router.get("/statements/{slug}/reconsent")
def status_page(request: Request, acc: StatementViewer, session: SessionDep) -> Response:
    return templating.page(
        request,
        "statements/reconsent.html",
        {
            "access": acc,
            "statement": acc.statement,
            "round": reconsent.status(session, statement=acc.statement),
            "public_name": public.public_name,
        },
    )


@router.post("/statements/{slug}/reconsent/decide")
def decide(
    acc: StatementEditor,
    session: SessionDep,
    user: CurrentUser,
    decision: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    if decision not in DECISIONS:
        raise BadRequest(_("Choose one of the options."))
    reconsent.decide_unconfirmed(
        session, statement=acc.statement, actor=user, keep_listed=DECISIONS[decision]
    )
    return templating.redirect(
        f"/statements/{acc.statement.slug}/reconsent", notice="reconsent-decided"
    )
