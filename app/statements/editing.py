"""Editing a statement, one use case for the editor page and the API: save the change and,
when it made a material new version, ask the signers of the older text to re-consent.

Not in service.py: re-consent (app.signatures.reconsent) reaches back into
app.statements.service through app.signatures.lifecycle, so importing it there would
close a cycle. This module sits above both.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from app.accounts.models import User
from app.signatures.reconsent import service as reconsent
from app.statements import service as statements
from app.statements.inputs import StatementInput
from app.statements.models import Statement, StatementVersion


@dataclass(frozen=True)
class Edited:
    version: StatementVersion | None  # made when the text changed after opening
    asked: int  # signers asked to re-consent to it


def edit_statement(
    session: Session,
    *,
    statement: Statement,
    actor: User,
    data: StatementInput,
    change_note: str = "",
    material: bool | None = None,
) -> Edited:
    version = statements.update_statement(
        session,
        statement=statement,
        actor=actor,
        data=data,
        change_note=change_note,
        material=material,
    )
    if version is None:
        return Edited(version=None, asked=0)
    asked = reconsent.start_round(session, statement=statement, actor=actor, version=version)
    return Edited(version=version, asked=asked)
