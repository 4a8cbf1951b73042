"""The error body every domain's API answers with, and its OpenAPI description."""

from __future__ import annotations

from pydantic import BaseModel


class ErrorDetail(BaseModel):
    field: str | None
    message: str


class ErrorInfo(BaseModel):
    status: int
    message: str
    details: list[ErrorDetail] | None = None


class ErrorBody(BaseModel):
    """Every error, whatever its status: `{"error": {"status", "message", "details"?}}`."""

    error: ErrorInfo


def error_responses(*codes: int) -> dict[int | str, dict[str, object]]:
    texts = {
        401: "No valid personal access token.",
        403: "Your role on this statement does not allow this.",
        404: "No such statement, or not one you may see.",
        409: "Not possible in the statement's current state.",
        422: "Field errors, in `details`.",
    }
    return {code: {"model": ErrorBody, "description": texts[code]} for code in codes}
