"""create_app(): routers, static files, middleware, error handlers; nothing else."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from app.accounts import routes as accounts_routes
from app.accounts.factors import routes as factor_routes
from app.accounts.tokens import routes as token_routes
from app.api import docs as api_docs
from app.core import error_pages, i18n, logs, templating
from app.core.config import Settings, get_settings
from app.core.db import make_engine
from app.demo import routes as demo_routes
from app.lists import api as api_lists
from app.lists import routes as list_routes
from app.lists.exports import routes as list_team_routes
from app.lists.final import api as api_final
from app.lists.final import routes as final_routes
from app.lists.hrc import api as api_hrc
from app.lists.hrc import routes as hrc_routes
from app.mail import routes as mail_routes
from app.outreach import routes as outreach_routes
from app.security import csrf
from app.security import input as input_guard
from app.security.middleware import BodyLimitMiddleware, SecurityHeadersMiddleware
from app.signatures import api as api_signatures
from app.signatures.blocklists import api as api_blocklists
from app.signatures.blocklists import routes as blocklist_routes
from app.signatures.digests import routes as digest_routes
from app.signatures.editing import routes as editing_routes
from app.signatures.importing import api as api_import
from app.signatures.importing import routes as import_routes
from app.signatures.moderation import routes as moderation_routes
from app.signatures.reconsent import routes as reconsent_routes
from app.signatures.retention import routes as retention_routes
from app.signatures.signing import routes as signature_routes
from app.signatures.verification import routes as verification_routes
from app.statements import api as api_statements
from app.statements import routes as statement_routes
from app.statements.groups import api as api_groups
from app.statements.groups import routes as group_routes
from app.statements.public import routes as public_routes
from app.statements.public.fast_path import PublicPageFastPath
from app.statements.review import routes as review_routes
from app.statements.team import routes as team_routes
from app.statements.translations import api as api_translations
from app.statements.translations import routes as translation_routes

# Bodies allowed to be larger than MAX_BODY_BYTES: CSV imports carry a file (and then that
# file again, compressed); /verify takes a whole final PDF.
IMPORT_PATHS = re.compile(r"^(/api/v1)?/statements/[^/]+/import(/(mapping|preview|commit))?$")
VERIFY_PATH = re.compile(r"^/verify$")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = make_engine(settings.database_url)
    logs.install_redaction(client_ips=settings.access_log_client_ips)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="Undersigned",
        version="0.1.0",
        lifespan=lifespan,
        dependencies=[Depends(input_guard.refuse_unstorable), Depends(csrf.verify)],
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    # In production templates do not change under a running server: no stat() per render.
    templating.environment.auto_reload = not settings.is_production

    # The pages a share sends thousands to (the statement, signing, confirming) first:
    # a request is matched against the routes in this order.
    app.include_router(public_routes.router)
    app.include_router(signature_routes.router)
    app.include_router(accounts_routes.router)
    app.include_router(factor_routes.router)
    app.include_router(mail_routes.router)
    app.include_router(statement_routes.dashboard_router)
    app.include_router(statement_routes.router)
    app.include_router(team_routes.router)
    app.include_router(group_routes.router)
    app.include_router(review_routes.router)
    app.include_router(translation_routes.router)
    app.include_router(moderation_routes.router)
    app.include_router(editing_routes.router)
    app.include_router(blocklist_routes.router)
    app.include_router(import_routes.router)
    app.include_router(reconsent_routes.router)
    app.include_router(digest_routes.router)
    app.include_router(retention_routes.router)
    app.include_router(verification_routes.router)
    app.include_router(outreach_routes.router)
    app.include_router(outreach_routes.public_router)
    app.include_router(list_routes.router)
    app.include_router(list_team_routes.router)
    app.include_router(hrc_routes.router)
    app.include_router(final_routes.router)
    app.include_router(demo_routes.router)
    app.include_router(token_routes.router)
    app.include_router(api_statements.router)
    app.include_router(api_statements.public_router)
    app.include_router(api_translations.router)
    app.include_router(api_signatures.router)
    app.include_router(api_signatures.public_router)
    app.include_router(api_blocklists.router)
    app.include_router(api_lists.router)
    app.include_router(api_groups.router)
    app.include_router(api_final.router)
    app.include_router(api_hrc.router)
    app.include_router(api_import.router)
    app.include_router(api_docs.router)
    api_docs.install(app)
    app.mount("/static", StaticFiles(directory=templating.STATIC_DIR), name="static")
    error_pages.install_handlers(app)

    # Outermost last: headers wrap everything, including error and 413 responses.
    app.add_middleware(csrf.CSRFCookieMiddleware)
    app.add_middleware(i18n.LocaleMiddleware)
    app.add_middleware(input_guard.UnstorableBodyMiddleware)  # inside the body limit
    app.add_middleware(
        BodyLimitMiddleware,
        settings=settings,
        larger={
            IMPORT_PATHS: lambda current: current.max_upload_bytes,
            VERIFY_PATH: lambda current: current.verify_upload_max_bytes,
        },
    )
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.cookie_secure)
    # Outermost of all: a cached public page goes out with the headers the stack gave it.
    app.add_middleware(PublicPageFastPath)
    return app
