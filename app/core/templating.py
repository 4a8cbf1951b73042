"""Jinja2 templates from frontend/templates, with gettext and the CSRF helper as globals."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.core import dates, flash, i18n
from app.core.errors import AppError, FieldErrors
from app.security import csrf
from app.statements.translations import service as translations

FRONTEND_DIR = Path(__file__).resolve().parents[2] / "frontend"
TEMPLATE_DIR = FRONTEND_DIR / "templates"
STATIC_DIR = FRONTEND_DIR / "static"

environment = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR),
    autoescape=select_autoescape(["html", "xml"], default_for_string=True),
    undefined=StrictUndefined,
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.gettext, i18n.ngettext, newstyle=True
)


def static_url(name: str, /, *, path: str) -> str:
    """`url_for('static', path=…)` in templates: the address of a file under
    frontend/static. Starlette's `url_for` searches every route on each call, which was a
    fifth of a confirmation's CPU; a static file's address is fixed. Relative to the host,
    so it is right behind any proxy."""
    if name != "static":
        raise ValueError(f"templates link only static files with url_for, not {name!r}")
    return f"/static/{path}"


# Set before Jinja2Templates, which would otherwise install Starlette's url_for.
environment.globals["url_for"] = static_url
environment.globals["csrf_token"] = csrf.token_for
environment.globals["get_locale"] = i18n.get_locale
environment.globals["supported_locales"] = i18n.SUPPORTED_LOCALES
environment.globals["language_options"] = i18n.language_options
environment.filters["when"] = dates.when
environment.filters["day"] = dates.format_day
environment.filters["deadline"] = dates.deadline
environment.filters["zone_name"] = dates.zone_name
environment.filters["language_name"] = translations.language_name

templates = Jinja2Templates(env=environment)


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    ctx: dict[str, Any] = {
        "user": getattr(request.state, "user", None),
        "error": None,
        "notice": None,
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code, headers=headers)


def render_text(name: str, context: dict[str, Any]) -> str:
    """Render a template outside a request (emails)."""
    return environment.get_template(name).render(**context)


def page(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """A full page, with any one-shot notice left by the previous redirect."""
    notice = flash.read(request)
    response = render(request, name, {**(context or {}), "notice": notice}, status_code=status_code)
    if notice:
        flash.clear(response)
    return response


def redirect(url: str, *, notice: str | None = None) -> RedirectResponse:
    """303 See Other after a form post, optionally leaving a notice for the next page."""
    response = RedirectResponse(url, status_code=303)
    if notice:
        flash.flash(response, notice)
    return response


def form_page(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    values: dict[str, str] | None = None,
    problem: AppError | None = None,
) -> HTMLResponse:
    """A page with a form, first shown or shown again after `problem` (the error a
    `db.attempt` handed back): the values typed, the errors next to their fields
    (FieldErrors) or one message (any other AppError), with the problem's status."""
    by_field = problem.errors if isinstance(problem, FieldErrors) else {}
    message = None if problem is None or isinstance(problem, FieldErrors) else problem.message
    return page(
        request,
        name,
        {**context, "values": values or {}, "errors": by_field, "error": message},
        status_code=problem.status_code if problem is not None else 200,
    )
