"""Who is calling the API: a lead holding a personal access token.

Only the `Authorization: Bearer` header is read, never the session cookie. That is what
makes the CSRF exemption of /api/ safe: a forged cross-site request carries cookies, but a
browser never adds a bearer token on its own.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.accounts.models import User
from app.accounts.tokens import service as api_tokens
from app.accounts.tokens.service import Scope
from app.core.db import SessionDep
from app.core.errors import Forbidden
from app.core.i18n import gettext as _

# auto_error=False: a missing or malformed header gets our own 401 below, not FastAPI's 403.
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="PersonalAccessToken",
    description="A personal access token (us_…) created on your account page.",
)


# Methods that change nothing; every other method needs the write scope, so an endpoint
# cannot forget to ask for it.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def api_user(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    found = None
    if credentials is not None:
        found = api_tokens.user_for_token(session, raw=credentials.credentials.strip())
    if found is None:
        raise HTTPException(
            status_code=401,
            detail=_(
                "A valid personal access token is required (Authorization: Bearer …). "
                "It may have expired: create a new one on your account page."
            ),
            headers={"WWW-Authenticate": "Bearer"},
        )
    user, token = found
    scopes = api_tokens.scopes_of(token)
    if request.method not in READ_METHODS and Scope.WRITE not in scopes:
        raise Forbidden(_("This token can only read. Create a token with the write scope."))
    request.state.api_scopes = scopes
    return user


def api_contact_user(request: Request, user: Annotated[User, Depends(api_user)]) -> User:
    """The caller, if their token may read signers' contact details."""
    if Scope.CONTACT not in request.state.api_scopes:
        raise Forbidden(
            _(
                "This token may not read signers' contact details. "
                "Create a token with the contact data scope."
            )
        )
    return user


ApiUser = Annotated[User, Depends(api_user)]
# For endpoints that answer with signers' contact details (their emails).
ApiContactUser = Annotated[User, Depends(api_contact_user)]
