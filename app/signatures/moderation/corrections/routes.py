"""The forms of the team's page for one signature: a correction of how the signer is
shown, or a note for the team."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.accounts.deps import CurrentUser
from app.core import db, templating
from app.core.db import SessionDep
from app.core.errors import AppError
from app.signatures.forms import TRUE
from app.signatures.moderation import pages
from app.signatures.moderation import service as moderation
from app.signatures.moderation.corrections import service as corrections
from app.statements.deps import StatementEditor

router = APIRouter()


@router.post("/statements/{slug}/signatures/{signature_id:int}")
def signature_submit(
    request: Request,
    acc: StatementEditor,
    signature_id: int,
    session: SessionDep,
    user: CurrentUser,
    form_name: pages.ShortText = "",
    display_name: pages.ShortText = "",
    display_acronym: pages.ShortText = "",
    hide_acronym: pages.ShortText = "",
    position: pages.ShortText = "",
    display_title: pages.ShortText = "",
    display_note: pages.ShortText = "",
    hide_note: pages.ShortText = "",
    display_country: pages.ShortText = "",
    body: pages.LongText = "",
) -> Response:
    signature = moderation.get_signature(
        session, statement=acc.statement, signature_id=signature_id
    )
    values = {
        "display_name": display_name,
        "display_acronym": display_acronym,
        "hide_acronym": hide_acronym,
        "position": position,
        "display_title": display_title,
        "display_note": display_note,
        "hide_note": hide_note,
        "display_country": display_country,
        "body": body,
    }
    with db.attempt(session, AppError) as outcome:
        if form_name == "note":
            moderation.add_note(session, signature=signature, actor=user, body=body)
            notice = pages.NOTICES["note-added"]
        else:
            corrections.correct_display(
                session,
                statement=acc.statement,
                actor=user,
                signature_id=signature_id,
                display_name=display_name,
                display_acronym=display_acronym,
                hide_acronym=hide_acronym.lower() in TRUE,
                position=position,
                display_title=display_title,
                display_note=display_note,
                hide_note=hide_note.lower() in TRUE,
                display_country=display_country,
            )
            notice = pages.NOTICES["corrected"]
    if outcome.error is not None:
        return pages.signature_page(
            request, session, acc, signature, values=values, problem=outcome.error
        )
    return templating.redirect(
        f"/statements/{acc.statement.slug}/signatures/{signature_id}", notice=notice
    )
