"""One set of handlers renders every error as an HTML page or a JSON body.

No handler ever shows a stack trace: unexpected errors are logged and answered with a
plain 500 page. A database that is down or restarting is not a bug: it is answered with
503 and `Retry-After`, and a route can register the page it shows instead (the sign form
comes back with what the signer typed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core import logs, templating
from app.core.errors import AppError, FieldErrors, RateLimited, SeeOther
from app.core.i18n import N_
from app.core.i18n import gettext as _
from app.security import headers as security_headers

log = logging.getLogger(__name__)

STATUS_TITLES = {
    400: N_("Bad request"),
    401: N_("Please sign in"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    409: N_("Conflict"),
    410: N_("No longer available"),
    413: N_("Too large"),
    415: N_("Unsupported content type"),
    422: N_("Please check what you sent"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong"),
    503: N_("Busy for a moment"),
}

# "Try again in a minute", as the message says: long enough for a database restart or a
# failover, short enough that a signer does not give up.
RETRY_AFTER_SECONDS = 60
UNAVAILABLE_HEADERS: Mapping[str, str] = {
    "Retry-After": str(RETRY_AFTER_SECONDS),
    "Cache-Control": "no-store",
}
# What the database driver raises when the server is down, restarting, refusing
# connections, or the pool has none to give: worth trying again, unlike a bug or a
# constraint violation (IntegrityError, ProgrammingError, DataError stay 500s).
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    sa_exc.DBAPIError,  # its OperationalError, or any error that invalidated the connection
    sa_exc.TimeoutError,  # no connection free in the pool
    psycopg.OperationalError,  # raised by psycopg itself, outside SQLAlchemy
)

UnavailablePage = Callable[[Request], Response]
Endpoint = TypeVar("Endpoint", bound=Callable[..., object])
_unavailable_pages: dict[Callable[..., object], UnavailablePage] = {}


def wants_json(request: Request) -> bool:
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_response(
    request: Request,
    status_code: int,
    message: str,
    *,
    title: str | None = None,
    details: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    title = title or STATUS_TITLES.get(status_code, N_("Error"))
    if wants_json(request):
        body: dict[str, Any] = {"error": {"status": status_code, "message": message}}
        if details:
            body["error"]["details"] = details
        return JSONResponse(body, status_code=status_code, headers=headers)
    return templating.render(
        request,
        "errors/error.html",
        {"status_code": status_code, "title": _(title), "message": message, "details": details},
        status_code=status_code,
        headers=headers,
    )


def database_unavailable(exc: BaseException) -> bool:
    """The database cannot be reached for now (rather than refusing what was asked)."""
    if isinstance(exc, sa_exc.DBAPIError):
        return exc.connection_invalidated or isinstance(exc, sa_exc.OperationalError)
    return isinstance(exc, sa_exc.TimeoutError | psycopg.OperationalError)


def when_unavailable(page: UnavailablePage) -> Callable[[Endpoint], Endpoint]:
    """Decorate a route: while the database is unavailable, answer with `page` (rendered
    without the database; the handler adds the 503 status and `Retry-After`)."""

    def register(endpoint: Endpoint) -> Endpoint:
        _unavailable_pages[endpoint] = page
        return endpoint

    return register


def unavailable_response(request: Request) -> Response:
    """503 with `Retry-After`: the route's own page if it registered one, else the
    error page (or JSON)."""
    page = _unavailable_pages.get(request.scope.get("endpoint"))  # type: ignore[arg-type]
    if page is not None and not wants_json(request):
        response = page(request)
        response.status_code = 503
        response.headers.update(UNAVAILABLE_HEADERS)
        return response
    return error_response(
        request,
        503,
        _("The service is busy for a moment. Please try again in a minute."),
        headers=UNAVAILABLE_HEADERS,
    )


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    details = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path")]
        details.append({"field": ".".join(loc) or None, "message": str(err.get("msg", ""))})
    return details


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        if exc.status_code == 401 and not wants_json(request):
            target = quote(
                request.url.path + (f"?{request.url.query}" if request.url.query else "")
            )
            return RedirectResponse(f"/login?next={target}", status_code=303)
        if isinstance(exc, SeeOther) and not wants_json(request):
            return RedirectResponse(exc.location, status_code=303)
        headers = None
        if isinstance(exc, RateLimited):
            headers = {"Retry-After": str(exc.retry_after)}
        elif exc.status_code == 429:
            headers = {"Retry-After": "60"}
        details = None
        if isinstance(exc, FieldErrors):
            details = [{"field": f, "message": m} for f, m in exc.errors.items()]
        return error_response(
            request,
            exc.status_code,
            exc.message,
            title=exc.title,
            headers=headers,
            details=details,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else ""
        if exc.status_code == 404:
            message = _("There is nothing at this address.")
        elif exc.status_code == 405:
            message = _("This address does not accept that kind of request.")
        return error_response(request, exc.status_code, message, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        return error_response(
            request,
            422,
            _("Some of what was sent is missing or malformed."),
            details=_validation_details(exc),
        )

    async def _database_error(request: Request, exc: Exception) -> Response:
        if not database_unavailable(exc):
            raise exc  # a bug, not an outage: the 500 handler below answers it
        log.warning(
            "database unavailable on %s %s: %s", request.method, request.url.path, _summary(exc)
        )
        return unavailable_response(request)

    for error in UNAVAILABLE_ERRORS:
        app.add_exception_handler(error, _database_error)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # Answered outside the middleware stack: the security headers are added here.
        settings = request.app.state.settings
        if database_unavailable(exc):  # raised outside a route (in a middleware)
            response = unavailable_response(request)
            for name, value in security_headers.defaults(hsts=settings.cookie_secure).items():
                response.headers.setdefault(name, value)
            return response
        logs.log_failure(
            log, "unhandled error on %s %s", request.method, request.url.path, error=exc
        )
        return error_response(
            request,
            500,
            _("Something went wrong on our side. Please try again later."),
            headers=security_headers.defaults(hsts=settings.cookie_secure),
        )


def _summary(exc: BaseException) -> str:
    """The driver's first line (no parameters: the engine hides them)."""
    original = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
    text = str(original).strip().splitlines()
    return logs.redact_addresses(f"{type(original).__name__}: {text[0] if text else ''}")
