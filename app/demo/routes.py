"""An empty dashboard offers the demo: the HRC58 statement, finalised, in one click."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from app.accounts.deps import CurrentAdmin
from app.core import templating
from app.core.db import SessionDep
from app.demo import load

router = APIRouter()


@router.post("/demo")
def load_demo(session: SessionDep, admin: CurrentAdmin) -> Response:
    demo = load.load(session, lead=admin)
    return templating.redirect(f"/statements/{demo.statement.slug}/exports")
