"""Errors carry their own HTTP status; `app.core.error_pages` renders them as HTML or JSON."""

from __future__ import annotations

from app.core.i18n import N_
from app.core.i18n import gettext as _


class AppError(Exception):
    status_code = 400
    title = N_("Something is not right")

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code


class SeeOther(AppError):
    """Not an error but a detour a dependency sends the browser on before the page it
    asked for (enrol a second factor, prove one again); JSON callers get 403."""

    status_code = 403
    title = N_("Not allowed")

    def __init__(self, location: str, message: str) -> None:
        super().__init__(message)
        self.location = location


class BadRequest(AppError):
    status_code = 400


class NotFound(AppError):
    status_code = 404
    title = N_("Not found")

    def __init__(self, message: str = "") -> None:
        super().__init__(message or _("There is nothing at this address."))


class Forbidden(AppError):
    status_code = 403
    title = N_("Not allowed")


class Conflict(AppError):
    status_code = 409


class Gone(AppError):
    status_code = 410
    title = N_("No longer available")


class RateLimited(AppError):
    status_code = 429
    title = N_("Too many attempts")

    def __init__(self, message: str, *, retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UnsupportedMediaType(AppError):
    status_code = 415
    title = N_("Unsupported content type")


class PayloadTooLarge(AppError):
    status_code = 413
    title = N_("Too large")


def about(label: str, message: str) -> str:
    """A field's error that names the field ("Title: Please keep this under 300
    characters."): the error summary lists messages away from their fields, so a message
    that does not say which field it is about tells a screen-reader user nothing."""
    return _("%(field)s: %(message)s") % {"field": label, "message": message}


class FieldErrors(AppError):
    """Input that fails validation, field by field: shown next to each field on a form,
    and as 422 with details in the API."""

    status_code = 422
    title = N_("Please check what you sent")

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(_("Some fields need your attention."))
        self.errors = errors
