"""Verification pages: the team's page for one organisation's verification (its level,
why, the code with instructions, a second person, checking again), the statement's
verification policy, and the two public links (this wasn't us; a second person confirms)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts.deps import CurrentUser
from app.core import db, templating
from app.core.db import SessionDep
from app.core.errors import AppError, FieldErrors
from app.core.i18n import gettext as _
from app.security import headers
from app.signatures.forms import TRUE
from app.signatures.moderation import service as moderation
from app.signatures.verification import answers, checks, service
from app.signatures.verification.models import LEVEL_LABELS, Level
from app.statements import service as statements
from app.statements.deps import StatementEditor, StatementViewer
from app.statements.team import service as team

router = APIRouter()
ShortText = Annotated[str, Form(max_length=2000)]


def _page(
    request: Request,
    session: SessionDep,
    acc: team.Access,
    signature_id: int,
    *,
    values: dict[str, str] | None = None,
    problem: AppError | None = None,
) -> Response:
    signature, row = service.row_for(session, statement=acc.statement, signature_id=signature_id)
    rule = service.policy(session, statement_id=acc.statement.id)
    return templating.form_page(
        request,
        "signatures/verification.html",
        {
            "access": acc,
            "statement": acc.statement,
            "signature": signature,
            "row": row,
            "labels": moderation.labels(),
            "level_labels": LEVEL_LABELS,
            "reasons": [r for r in row.reason.split("\n") if r],
            "held": service.held_reason(row, rule),
            "txt_name": row.site,
            "txt_value": checks.TXT_PREFIX + row.code,
            "well_known": checks.well_known_url(signature.website, row.site) if row.site else "",
        },
        values=values,
        problem=problem,
    )


@router.get("/statements/{slug}/signatures/{signature_id:int}/verification")
def verification_page(
    request: Request, acc: StatementViewer, signature_id: int, session: SessionDep
) -> Response:
    return _page(request, session, acc, signature_id)


@router.post("/statements/{slug}/signatures/{signature_id:int}/verification")
def verification_submit(
    request: Request,
    acc: StatementEditor,
    signature_id: int,
    session: SessionDep,
    user: CurrentUser,
    step: ShortText = "",
    address: ShortText = "",
) -> Response:
    with db.attempt(session, AppError) as outcome:
        if step == "second":
            answers.ask_second_person(
                session,
                statement=acc.statement,
                signature_id=signature_id,
                address=address,
                actor=user,
            )
        else:
            service.check_again(session, statement=acc.statement, signature_id=signature_id)
    if outcome.error is not None:
        return _page(
            request,
            session,
            acc,
            signature_id,
            values={"address": address},
            problem=outcome.error,
        )
    return templating.redirect(
        f"/statements/{acc.statement.slug}/signatures/{signature_id}/verification",
        notice="statement-saved",
    )


def _policy_page(
    request: Request,
    session: SessionDep,
    acc: team.Access,
    *,
    problem: AppError | None = None,
) -> Response:
    return templating.form_page(
        request,
        "signatures/verification_policy.html",
        {
            "access": acc,
            "statement": acc.statement,
            "rule": service.policy(session, statement_id=acc.statement.id),
            "levels": [(level.value, _(LEVEL_LABELS[level])) for level in Level],
        },
        problem=problem,
    )


@router.get("/statements/{slug}/verification")
def policy_page(request: Request, acc: StatementViewer, session: SessionDep) -> Response:
    return _policy_page(request, session, acc)


@router.post("/statements/{slug}/verification")
def policy_submit(
    request: Request,
    acc: StatementEditor,
    session: SessionDep,
    user: CurrentUser,
    show_mark: ShortText = "",
    min_level: ShortText = "",
) -> Response:
    with db.attempt(session, FieldErrors) as outcome:
        service.set_policy(
            session,
            statement=acc.statement,
            actor=user,
            show_mark=show_mark.lower() in TRUE,
            min_level=min_level,
        )
    if outcome.error is not None:
        return _policy_page(request, session, acc, problem=outcome.error)
    return templating.redirect(
        f"/statements/{acc.statement.slug}/verification", notice="statement-saved"
    )


def _answer_page(
    request: Request, session: SessionDep, name: str, answered: answers.Answered, *, done: bool
) -> Response:
    """A page of the answers' links (a secret page: nothing cached, no referrer)."""
    signature, _row, statement = answered
    version = statements.current_version(session, statement=statement)
    response = templating.page(
        request,
        name,
        {"statement": statement, "signature": signature, "version": version, "done": done},
    )
    response.headers.update(headers.SECRET_PAGE)
    return response


@router.get("/not-us/{token}")
def not_us_page(request: Request, token: str, session: SessionDep) -> Response:
    answered = answers.for_dispute(session, token=token)
    done = answered[1].disputed_at is not None
    return _answer_page(request, session, "signatures/not_us.html", answered, done=done)


@router.post("/not-us/{token}")
def not_us_submit(request: Request, token: str, session: SessionDep) -> Response:
    answered = answers.dispute(session, token=token)
    return _answer_page(request, session, "signatures/not_us.html", answered, done=True)


@router.get("/second-person/{token}")
def second_person_page(request: Request, token: str, session: SessionDep) -> Response:
    answered = answers.for_second_person(session, token=token)
    return _answer_page(request, session, "signatures/second_person.html", answered, done=False)


@router.post("/second-person/{token}")
def second_person_submit(request: Request, token: str, session: SessionDep) -> Response:
    answered = answers.confirm_second_person(session, token=token)
    return _answer_page(request, session, "signatures/second_person.html", answered, done=True)
