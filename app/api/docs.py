"""The API's documentation at /docs: Swagger UI served from this server, never a CDN.

The assets come from an installed package (fastapi-offline ships a current Swagger UI).
FastAPI's own docs page starts Swagger UI with an inline script, which our CSP
(`script-src 'self'`) forbids; our page loads a small same-origin script instead.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from app.core import templating
from app.core.errors import NotFound

ASSETS_URL = "/api-docs-assets"
ASSETS_PACKAGE = "fastapi_offline"
REQUIRED_ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css")

API_PREFIX = "/api/"
SCHEMA_REF = "#/components/schemas/"
API_DESCRIPTION = """\
The JSON API of Undersigned.

**Leads** create a personal access token on their account page (Account → API access
tokens) and send it as `Authorization: Bearer us_…`. A token acts with its owner's role on
each statement: outside a statement's team the statement does not exist (404); a viewer
can read but not change it (403).

**Anyone** can read a statement that is no longer a draft under `/api/v1/public/`.

Every error has the body `{"error": {"status", "message", "details"}}`; `details` lists
field errors (`field`, `message`) on 422.
"""

router = APIRouter(include_in_schema=False)


def assets_dir() -> Path | None:
    """Where the installed Swagger UI files are, or None when the package is missing."""
    spec = importlib.util.find_spec(ASSETS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    directory = Path(next(iter(spec.submodule_search_locations))) / "static"
    if all((directory / name).is_file() for name in REQUIRED_ASSETS):
        return directory
    return None


def install(app: FastAPI) -> None:
    """Serve the Swagger UI assets, and describe only the JSON API in /openapi.json: the
    HTML pages need a session cookie and a CSRF token, so documenting them would mislead."""
    directory = assets_dir()
    if directory is not None:
        app.mount(ASSETS_URL, StaticFiles(directory=directory), name="api-docs-assets")

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            full = get_openapi(
                title=f"{app.title} API",
                version=app.version,
                description=API_DESCRIPTION,
                routes=app.routes,
            )
            app.openapi_schema = api_only(full)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


@router.get("/docs")
def docs(request: Request) -> Response:
    if assets_dir() is None:
        raise NotFound()
    return templating.render(
        request,
        "api/docs.html",
        {"assets_url": ASSETS_URL, "openapi_url": request.app.openapi_url or "/openapi.json"},
    )


def api_only(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema without the HTML pages, and without the models only they used."""
    schema["paths"] = {
        path: item for path, item in schema["paths"].items() if path.startswith(API_PREFIX)
    }
    models: dict[str, Any] = schema.get("components", {}).get("schemas", {})
    used: set[str] = set()
    pending: list[Any] = [schema["paths"]]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(SCHEMA_REF):
                name = ref.removeprefix(SCHEMA_REF)
                if name not in used and name in models:
                    used.add(name)
                    pending.append(models[name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    if models:
        schema["components"]["schemas"] = {k: v for k, v in models.items() if k in used}
    return schema
