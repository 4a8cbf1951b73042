"""One set of handlers renders every error as an HTML page or a JSON body.

No handler ever shows a stack trace: unexpected errors are logged and answered with a
plain 500 page.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core import logs, templating
from app.core.errors import AppError, FieldErrors
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
}


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
        headers = {"Retry-After": "60"} if exc.status_code == 429 else None
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

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        logs.log_failure(
            log, "unhandled error on %s %s", request.method, request.url.path, error=exc
        )
        # Answered outside the middleware stack: the security headers are added here.
        settings = request.app.state.settings
        return error_response(
            request,
            500,
            _("Something went wrong on our side. Please try again later."),
            headers=security_headers.defaults(hsts=settings.cookie_secure),
        )
