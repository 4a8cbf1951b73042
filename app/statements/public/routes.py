"""What the public sees: the statement page, and a draft opened through a review link."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from app.core import db, templating
from app.core.config import get_settings
from app.core.db import SessionDep, request_session, utcnow
from app.core.errors import FieldErrors
from app.core.i18n import get_locale
from app.lists import service as lists
from app.security import headers as security_headers
from app.statements import deadlines, deps, service
from app.statements.models import Statement, StatementStatus
from app.statements.public import fast_path, page_cache
from app.statements.review import service as review
from app.statements.text import markdown
from app.statements.translations import service as translations

router = APIRouter()
PREVIEW_NAMES = 100  # the full list has its own paginated page


def _public_context(
    session: SessionDep, statement: Statement, text: str | None = None
) -> dict[str, object]:
    """What the public page shows; `text` picks a translation of the statement's text
    (the interface language is separate: ?lang=)."""
    version = translations.for_reader(session, statement=statement, language=text)
    now = utcnow()
    base = get_settings().base_url
    translated = version.language != statement.language
    return {
        "statement": statement,
        "version": version,
        "texts": _texts(session, statement, shown=version.language),
        "original_language": translations.language_name(statement.language),
        "translated": translated,
        "status": service.public_status(statement, now),
        "accepting": service.accepts_signatures(statement, now),
        "deadline_text": deadlines.describe(statement.deadline_at, statement.deadline_zone),
        "countdown": deadlines.countdown(statement.deadline_at, now),
        "closed_at": service.signing_closed_at(statement, now),
        "closed_early": service.closed_early(statement, now),
        "body_html": markdown.render_markdown(version.body),
        "coordinators": [c for c in statement.coordinators.splitlines() if c],
        "canonical_url": f"{base}/s/{statement.slug}"
        + (f"?text={version.language}" if translated else ""),
        "description": version.summary or markdown.plain_text(version.body)[:280],
        "StatementStatus": StatementStatus,
        # Counts come with the cached list: no query that grows with the signatures.
        "signatory_list": (model := lists.public_list(session, statement=statement)),
        "counts": model.counts,
        "signatories": model.entries[:PREVIEW_NAMES],
    }


def _texts(session: SessionDep, statement: Statement, *, shown: str) -> list[dict[str, object]]:
    """The languages the text can be read in, each named in itself, the original first."""
    codes = [statement.language, *translations.languages(session, statement=statement)]
    if len(codes) == 1:
        return []
    return [
        {
            "code": code,
            "name": translations.native_name(code),
            "original": code == statement.language,
            "current": code == shown,
            "href": f"/s/{statement.slug}"
            + ("" if code == statement.language else f"?text={code}"),
        }
        for code in codes
    ]


@router.get("/s/{slug}")
async def public_page(
    request: Request,
    slug: str,
    text: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """Async on purpose: a cached page is sent without a thread hop or a database session
    (the page of a shared statement is read thousands of times a minute); only a render
    goes to the thread pool, with the request's session."""
    key = fast_path.page_key(request.scope, slug, get_locale())
    page = page_cache.peek(key)
    if page is None:
        page = await run_in_threadpool(_render, request, slug, text, key)
    # The next reader of this page is answered by the fast path, with this response's headers.
    setattr(request.state, fast_path.STATE_KEY, (key, page.etag))
    headers = {"ETag": page.etag, "Cache-Control": security_headers.PUBLIC_CACHE}
    if request.headers.get("if-none-match") == page.etag:
        return Response(status_code=304, headers=headers)
    headers |= {"Vary": "Accept-Language, Cookie", "Content-Language": page.content_language}
    return HTMLResponse(page.body, headers=headers)


def _render(request: Request, slug: str, text: str, key: tuple[str, ...]) -> page_cache.CachedPage:
    def build() -> page_cache.CachedPage:
        with request_session(request) as session:
            statement = deps.public_statement(slug, session)
            context = _public_context(session, statement, text or None)
            # No per-user content (not even a signed-in lead's menu): it can be shared.
            rendered = templating.render(
                request, "statements/public.html", {**context, "user": None}
            )
        body = bytes(rendered.body)
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        return page_cache.CachedPage(body=body, etag=etag, content_language=get_locale())

    return page_cache.cached(key, build)


def _review_page(
    request: Request,
    session: SessionDep,
    token: str,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    statement, link = review.resolve(session, token=token)
    context = _public_context(session, statement)
    response = templating.page(
        request,
        "statements/review.html",
        {
            **context,
            "user": None,
            "link": link,
            "token": token,
            "errors": errors or {},
            "values": values or {},
        },
        status_code=status_code,
    )
    response.headers.update(security_headers.SECRET_PAGE)
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@router.get("/review/{token}")
def review_page(request: Request, token: str, session: SessionDep) -> Response:
    return _review_page(request, session, token)


@router.post("/review/{token}")
def review_comment(
    request: Request,
    token: str,
    session: SessionDep,
    author_name: Annotated[str, Form(max_length=2000)] = "",
    organisation: Annotated[str, Form(max_length=2000)] = "",
    body: Annotated[str, Form(max_length=20000)] = "",
) -> Response:
    with db.attempt(session, FieldErrors) as outcome:
        review.add_comment(
            session, token=token, author_name=author_name, organisation=organisation, body=body
        )
    if outcome.error is not None:
        values = {"author_name": author_name, "organisation": organisation, "body": body}
        return _review_page(
            request, session, token, errors=outcome.error.errors, values=values, status_code=422
        )
    response = templating.redirect(f"/review/{token}#comment-form", notice="comment-sent")
    response.headers.update(security_headers.SECRET_PAGE)
    return response
