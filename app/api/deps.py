"""Who is calling the API: a lead holding a personal access token.

Only the `Authorization: Bearer` header is read, never the session cookie. That is what
makes the CSRF exemption of /api/ safe: a forged cross-site request carries cookies, but a
browser never adds a bearer token on its own.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.accounts.models import User
from app.accounts.tokens import service as api_tokens
from app.core.db import SessionDep
from app.core.i18n import gettext as _

# auto_error=False: a missing or malformed header gets our own 401 below, not FastAPI's 403.
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="PersonalAccessToken",
    description="A personal access token (us_…) created on your account page.",
)


def api_user(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    user = None
    if credentials is not None:
        user = api_tokens.user_for_token(session, raw=credentials.credentials.strip())
    if user is None:
        raise HTTPException(
            status_code=401,
            detail=_("A valid personal access token is required (Authorization: Bearer …)."),
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


ApiUser = Annotated[User, Depends(api_user)]
