"""Step-up: a second factor proved on this sign-in session within the last
STEP_UP_MINUTES before an action that lets contact data out or changes who can act.

A typed dependency, like the statement roles: a route that takes `RecentSecondFactor`
cannot run without it, and each time it lets a request through it is audited."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request

from app.accounts.deps import CurrentLogin, CurrentUser
from app.accounts.factors import service as factors
from app.accounts.models import User
from app.core.db import SessionDep
from app.core.errors import SeeOther
from app.core.i18n import gettext as _


def return_path(request: Request) -> str:
    """Where to come back to after stepping up: the address itself for a download, the
    page whose form was sent for a POST (a redirect cannot repeat a POST)."""
    if request.method == "GET":
        query = f"?{request.url.query}" if request.url.query else ""
        return request.url.path + query
    referer = urlsplit(request.headers.get("referer", ""))
    own_host = request.headers.get("host", "")
    if referer.netloc == own_host and referer.path.startswith("/"):
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return "/dashboard"


def recent_second_factor(
    request: Request, session: SessionDep, user: CurrentUser, login: CurrentLogin
) -> User:
    if not factors.stepped_up_recently(login):
        raise SeeOther(
            f"/step-up?next={quote(return_path(request), safe='')}",
            _("Please confirm it is you before doing this."),
        )
    factors.record_sensitive_action(session, user=user, what=f"{request.method} {request.url.path}")
    return user


RecentSecondFactor = Annotated[User, Depends(recent_second_factor)]
