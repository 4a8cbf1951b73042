"""Every team route refuses a signed-in lead who is not on the team.

The routes are enumerated from the app, not listed by hand, so a route added under
/statements/{slug}/ or /api/v1/statements/{slug}/ without its authorisation dependency
(app/statements/deps.py) fails this suite.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, get_args

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.tokens import service as api_tokens
from app.accounts.tokens.service import ALL_SCOPES
from app.signatures.blocklists import service as blocklists
from app.signatures.models import Signature
from app.statements import deps
from app.statements.models import ReviewLink, TeamRole
from app.statements.review import service as review
from app.statements.team import service as team
from app.statements.translations import service as translations
from app.statements.translations.service import TranslationInput
from tests.factories import PASSWORD, approve_signers, individual, make_user, open_statement
from tests.helpers import csrf_from, sign_in

TEAM_PREFIXES = ("/statements/{slug}", "/api/v1/statements/{slug}")

# Paths under the team prefixes that are public on purpose. None today: the public pages
# live under /s/{slug}, review links under /review/{token}, the public API under
# /api/v1/public/. Adding a path here needs a reason beside it.
PUBLIC_TEAM_PATHS: frozenset[str] = frozenset()

REFUSED = frozenset({403, 404})


UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# The typed dependencies that load a statement and check the caller's right to it.
GUARDS: frozenset[Callable[..., Any]] = frozenset(
    get_args(alias)[1].dependency
    for alias in (
        deps.PublicStatement,
        deps.StatementViewer,
        deps.StatementEditor,
        deps.StatementOwner,
        deps.ApiStatementViewer,
        deps.ApiStatementEditor,
        deps.ApiStatementOwner,
    )
)


def team_routes(app: FastAPI) -> list[RouteContext]:
    """The app's routes under the team prefixes, minus the deliberately public ones."""
    # app.routes holds each included router as one entry (FastAPI >= 0.16x); this walks them
    # with their prefixes applied, as the router matches requests.
    return [
        route
        for route in iter_route_contexts(app.routes)
        if isinstance(route.original_route, APIRoute)
        and route.path is not None
        and route.path.startswith(TEAM_PREFIXES)
        and route.path not in PUBLIC_TEAM_PATHS
    ]


def fill_path(path_format: str, params: dict[str, str]) -> str:
    # A parameter without a value of its own gets "1": still a valid int, id or number.
    return re.sub(r"\{(\w+)\}", lambda m: params.get(m.group(1), "1"), path_format)


@dataclass(frozen=True)
class Caller:
    """A signed-in lead as a browser (cookie + CSRF token) and as a script (bearer token)."""

    client: TestClient
    csrf: str
    bearer: str


@dataclass(frozen=True)
class Report:
    checked: list[str]
    failures: list[str]


def check_routes(app: FastAPI, caller: Caller, params: dict[str, str]) -> Report:
    """Call every team route with every method as `caller`; anything but 403/404 fails."""
    checked: list[str] = []
    failures: list[str] = []
    for route in team_routes(app):
        url = fill_path(route.path_format or "", params)
        api = url.startswith("/api/")
        for method in sorted(route.methods or ()):
            kwargs: dict[str, Any] = {"follow_redirects": False}
            if api:
                kwargs["headers"] = {"Authorization": f"Bearer {caller.bearer}"}
                if method in UNSAFE:
                    kwargs["json"] = {}
            elif method in UNSAFE:
                kwargs["data"] = {"csrf_token": caller.csrf}
            response = caller.client.request(method, url, **kwargs)
            name = f"{method} {route.path}"
            checked.append(name)
            if response.status_code not in REFUSED:
                failures.append(f"{name} ({url}) -> {response.status_code}")
    return Report(checked=checked, failures=failures)


def guarded(dependant: Dependant) -> bool:
    return any(sub.call in GUARDS or guarded(sub) for sub in dependant.dependencies)


@dataclass(frozen=True)
class Scene:
    caller: Caller
    params: dict[str, str]


@pytest.fixture
def scene(app: FastAPI, db: Session) -> Iterator[Scene]:
    """An open statement of lead A's with a bit of everything; lead B on no team."""
    owner = make_user(db, email="a@one.example", name="A")
    make_user(db, email="editor@one.example", name="Editor")
    outsider = make_user(db, email="b@two.example", name="B")
    statement = open_statement(db, owner=owner, slug="hrc58")
    member = team.add_member(
        db, statement=statement, actor=owner, email="editor@one.example", role=TeamRole.EDITOR
    )
    translations.save_translation(
        db,
        statement=statement,
        actor=owner,
        language="ko",
        data=TranslationInput(
            title="구금자에 관한 공동성명",
            summary="구금자의 석방을 촉구합니다.",
            addressed_to="인권이사회 이사국",
            body="우리는 **모든 국가**에 행동을 촉구합니다.",
        ),
    )
    review.create_link(db, statement=statement, actor=owner, label="Partners")
    approve_signers(db, statement, [individual()])
    entry = blocklists.add_entry(db, statement=statement, actor=owner, value="spam.example")
    _token, raw = api_tokens.create_token(db, user=outsider, name="script", scopes=ALL_SCOPES)
    db.commit()  # only releases the test's savepoint: a failed request must not undo this
    link = db.exec(select(ReviewLink).where(ReviewLink.statement_id == statement.id)).one()
    signature = db.exec(select(Signature).where(Signature.statement_id == statement.id)).one()
    params = {
        "slug": statement.slug,
        "number": "1",
        "language": "ko",
        "fmt": "csv",
        "member_id": str(member.id),
        "link_id": str(link.id),
        "signature_id": str(signature.id),
        "entry_id": str(entry.id),
    }
    # Our own client: a 500 is a finding to report with the others, not an exception.
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as client:
        sign_in(client, "b@two.example", PASSWORD)
        caller = Caller(client=client, csrf=csrf_from(client.get("/account").text), bearer=raw)
        yield Scene(caller=caller, params=params)


def test_an_outsider_can_use_no_team_route(app: FastAPI, scene: Scene) -> None:
    report = check_routes(app, scene.caller, scene.params)
    assert report.failures == [], "\n".join(report.failures)
    # 58 today: a much smaller number means the enumeration lost routes, not that they are safe.
    assert len(report.checked) >= 50, report.checked
    assert any(name.startswith("POST /api/") for name in report.checked)


def test_an_unprotected_route_is_reported(app: FastAPI, scene: Scene) -> None:
    router = APIRouter()

    @router.get("/statements/{slug}/leak")
    def leak(slug: str) -> dict[str, str]:
        return {"slug": slug}

    @router.get("/statements/{slug}/guarded")
    def guarded_page(acc: deps.StatementViewer) -> dict[str, str]:
        return {"slug": acc.statement.slug}

    app.include_router(router)
    report = check_routes(app, scene.caller, scene.params)
    assert report.failures == ["GET /statements/{slug}/leak (/statements/hrc58/leak) -> 200"]
    assert "GET /statements/{slug}/guarded" in report.checked
    # The structural check tells the two apart as well.
    added = {route.path: guarded(route.dependant) for route in team_routes(app)}
    assert added["/statements/{slug}/leak"] is False
    assert added["/statements/{slug}/guarded"] is True


def test_every_team_route_takes_an_authorisation_dependency(app: FastAPI) -> None:
    unguarded = [
        f"{method} {route.path}"
        for route in team_routes(app)
        if not guarded(route.dependant)
        for method in sorted(route.methods or ())
    ]
    assert unguarded == [], "\n".join(unguarded)
