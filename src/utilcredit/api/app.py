"""The web application: REST API under ``/api/``, OpenAPI at ``/docs``, the console at ``/``.

:func:`create_app` wires everything once (settings → engine → routers, error handlers, static
files); the schema is migrated at start-up unless an engine is handed in (tests do that).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from utilcredit import schema
from utilcredit.api import errors
from utilcredit.api.policies import shipped as shipped_policies
from utilcredit.api.routers import (
    accounts,
    admin,
    auth,
    imports,
    overrides,
    policies,
    runs,
    subjects,
)
from utilcredit.api.settings import ConsoleSettings, get_console_settings
from utilcredit.config import Settings, get_settings
from utilcredit.db import make_engine
from utilcredit.web.app import install_console

API_PREFIX = "/api"
OPENAPI_URL = "/api/openapi.json"
VENDOR = "/static/vendor"

DESCRIPTION = """供水/供电客户信用管理 API / utility customer credit management API.

Authenticate with `POST /api/auth/token` and send `Authorization: Bearer <token>`. Errors are
JSON `{"error": {"code", "message", "message_zh", "message_en", "fields"}}`; every user sees
only the customers of the utilities they belong to, and refused reads are audited.
"""


def api_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)
    for module in (auth, subjects, accounts, runs, imports, policies, overrides, admin):
        router.include_router(module.router)
    return router


_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"referrer-policy", b"same-origin"),
]
_PAGE_CSP = (
    b"content-security-policy",
    b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    b"script-src 'self'; frame-ancestors 'self'; form-action 'self'",
)


class Guard:
    """Pure ASGI middleware (no per-request task or body buffering): security headers on every
    response, a CSP on console pages, and at most ``limit`` requests in the handlers at once;
    the others wait here holding no store connection, so a burst queues instead of exhausting
    the connection pool."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.slots = asyncio.Semaphore(limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        page = not path.startswith(("/docs", API_PREFIX, "/static"))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = [*_SECURITY_HEADERS, _PAGE_CSP] if page else _SECURITY_HEADERS
                headers.extend(h for h in extra if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        if path.startswith("/static/"):
            await self.app(scope, receive, with_headers)
            return
        async with self.slots:
            await self.app(scope, receive, with_headers)


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    console: ConsoleSettings | None = None,
) -> FastAPI:
    """The application. With ``engine`` given, it is used as is (no migration at start-up)."""
    settings = settings or get_settings()
    migrate = engine is None
    store = engine or make_engine(settings.resolved_database_url)

    console_settings = console or get_console_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if migrate:
            schema.upgrade(store)
        shipped_policies()  # parse the policy files now, not in the first request
        yield
        if migrate:
            store.dispose()

    app = FastAPI(
        title="utilcredit",
        summary="供水/供电客户信用管理 / utility customer credit management",
        description=DESCRIPTION,
        version="0.1.0",
        openapi_url=OPENAPI_URL,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = store
    app.state.console_settings = console_settings
    errors.install(app)
    app.add_middleware(Guard, limit=console_settings.max_concurrent_requests)
    app.include_router(api_router())

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=OPENAPI_URL,
            title="utilcredit API",
            swagger_js_url=f"{VENDOR}/swagger-ui-bundle.js",
            swagger_css_url=f"{VENDOR}/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    install_console(app)
    return app
