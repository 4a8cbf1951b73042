"""The team's page for adding a signature by hand."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.accounts.deps import CurrentUser
from app.core import db, templating
from app.core.db import SessionDep
from app.core.errors import AppError
from app.core.forms import FormDep
from app.signatures import countries
from app.signatures.forms import TRUE, SignInput
from app.signatures.models import Listing
from app.signatures.moderation import pages
from app.signatures.moderation.manual import service as manual
from app.statements.deps import StatementEditor
from app.statements.team import service as team

router = APIRouter()


def _add_page(
    request: Request,
    acc: team.Access,
    *,
    values: dict[str, str],
    problem: AppError | None = None,
) -> Response:
    return templating.form_page(
        request,
        "signatures/add.html",
        {**pages.common(acc), "countries": countries.options()},
        values=values,
        problem=problem,
    )


@router.get("/statements/{slug}/signatures/new")
def add_form(request: Request, acc: StatementEditor) -> Response:
    values = {"listing": Listing.NAMED.value, "approve": "true", "authorised": ""}
    if acc.statement.signer_kinds.value != "both":
        values["kind"] = acc.statement.signer_kinds.value.removesuffix("s")
    return _add_page(request, acc, values=values)


@router.post("/statements/{slug}/signatures/new")
def add_submit(
    request: Request, acc: StatementEditor, session: SessionDep, user: CurrentUser, form: FormDep
) -> Response:
    values = {k: v[:5000] for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    with db.attempt(session, AppError) as outcome:
        signature = manual.add_by_hand(
            session,
            statement=acc.statement,
            actor=user,
            data=SignInput.model_validate(values),
            source_note=values.get("source_note", ""),
            confirmed=values.get("approve", "").lower() in TRUE,
        )
    if outcome.error is not None:
        return _add_page(request, acc, values=values, problem=outcome.error)
    return templating.redirect(
        f"/statements/{acc.statement.slug}/signatures/{signature.id}",
        notice=pages.NOTICES["added"],
    )
