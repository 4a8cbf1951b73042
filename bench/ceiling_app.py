"""The ceiling: the least a FastAPI app can do for the same two requests, under the same
server settings as `undersigned serve` (uvicorn, uvloop/httptools, access log at INFO,
proxy headers, 2 workers) and the same database engine settings (app.core.db.make_engine).

    GET  /page    a fixed 15 KB HTML page, from an `async def` route (no thread-pool hop)
    GET  /raw     the same page from a bare ASGI callable in front of FastAPI (no routing):
                  reported beside the first, since the app's cached public page is also
                  answered in front of its router (app/statements/public/fast_path.py)
    POST /insert  a urlencoded form like the sign form's; one row inserted and committed

    python -m bench.ceiling_app init           create its table in DATABASE_URL
    python -m bench.ceiling_app serve --port N --workers 2
"""

from __future__ import annotations

import argparse
import os
from typing import Annotated

import uvicorn
from fastapi import FastAPI, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, func, insert
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.db import make_engine, writer

PAGE_BYTES = 15 * 1024
metadata = MetaData()
rows = Table(
    "bench_ceiling_row",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(254), nullable=False),
    Column("created_at", DateTime(timezone=True), server_default=func.now(), nullable=False),
)


def _page() -> bytes:
    head = b"<!doctype html><html lang=en><head><meta charset=utf-8><title>Ceiling</title>"
    head += b"</head><body><main>"
    tail = b"</main></body></html>"
    line = b"<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.</p>\n"
    body = line * ((PAGE_BYTES - len(head) - len(tail)) // len(line) + 1)
    return (head + body)[: PAGE_BYTES - len(tail)] + tail


class RawPage:
    """`GET /raw`: the page from the outermost layer, before FastAPI's routing."""

    def __init__(self, app: ASGIApp, *, page: bytes) -> None:
        self.app = app
        self.page = page
        self.headers = [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-length", str(len(page)).encode()),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/raw":
            await send({"type": "http.response.start", "status": 200, "headers": self.headers})
            await send({"type": "http.response.body", "body": self.page})
            return
        await self.app(scope, receive, send)


def create_app() -> FastAPI:
    engine = writer(make_engine(os.environ["DATABASE_URL"]))
    page = _page()
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    # `async def`, like the app's cached public page: a plain `def` route would pay a
    # thread-pool hop per request that the page under test does not, and flatter it.
    @app.get("/page")
    async def get_page() -> Response:
        return HTMLResponse(page)

    @app.post("/insert")
    def post_insert(
        name: Annotated[str, Form(max_length=200)], email: Annotated[str, Form(max_length=254)]
    ) -> Response:
        with engine.begin() as conn:
            conn.execute(insert(rows).values(name=name, email=email))
        return RedirectResponse("/page", status_code=303)

    app.add_middleware(RawPage, page=page)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ceiling_app")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init")
    serve = sub.add_parser("serve")
    serve.add_argument("--port", type=int, default=8010)
    serve.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if args.command == "init":
        engine = make_engine(os.environ["DATABASE_URL"])
        metadata.drop_all(engine)
        metadata.create_all(engine)
        engine.dispose()
        return
    proxied = int(os.environ.get("TRUSTED_PROXY_HOPS", "0")) > 0
    # The same options as app.cli.serve, so the two differ only in the application.
    uvicorn.run(
        "bench.ceiling_app:create_app",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        proxy_headers=proxied,
        forwarded_allow_ips="*" if proxied else None,
        server_header=False,
        log_level="info",
        timeout_worker_healthcheck=30,
    )


if __name__ == "__main__":
    main()
