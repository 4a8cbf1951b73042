"""A lead's own digest setting for a statement: off, hourly or daily."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from app import templating
from app.accounts.deps import CurrentUser
from app.db import SessionDep
from app.signatures import digests
from app.statements import team

router = APIRouter(prefix="/statements")


@router.post("/{slug}/digest")
def set_digest(
    slug: str,
    session: SessionDep,
    user: CurrentUser,
    frequency: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    # Any member, viewers too: it is their own inbox.
    acc = team.access(session, slug=slug, user=user)
    digests.set_frequency(session, statement=acc.statement, user=user, frequency=frequency)
    return templating.redirect(f"/statements/{slug}", notice="digest-saved")
