"""The application the server runs: the REST API under ``/api/`` (OpenAPI at ``/docs``) and
the console at ``/``, behind one request guard and one error mapping.

:func:`create_app` wires everything once (settings → engine → API and console, error
handlers, middleware); the schema is migrated at start-up unless an engine is handed in
(tests do that). It is the only module that knows both ``api`` and ``web``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from utilcredit import schema
from utilcredit.access import passwords
from utilcredit.api import app as api
from utilcredit.config import Settings, get_settings
from utilcredit.db import make_engine
from utilcredit.http import errors
from utilcredit.http.guard import Guard
from utilcredit.http.paths import OPENAPI_URL
from utilcredit.policies.service import shipped as shipped_policies
from utilcredit.web.app import install_console
from utilcredit.web.warmup import warm_up


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
) -> FastAPI:
    """The application. With ``engine`` given, it is used as is (no migration at start-up);
    the API and console's own settings are ``settings.console``."""
    settings = settings or get_settings()
    migrate = engine is None
    store = engine or make_engine(settings.resolved_database_url)

    console_settings = settings.console

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if migrate:
            schema.upgrade(store)
        shipped_policies()  # parse the policy files now, not in the first request
        await warm_up(app)  # routing state and templates too (web/warmup.py)
        yield
        if migrate:
            store.dispose()

    app = FastAPI(
        title=api.TITLE,
        summary=api.SUMMARY,
        description=api.DESCRIPTION,
        version=api.VERSION,
        openapi_url=OPENAPI_URL,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = store
    errors.install(app)
    passwords.limit_concurrency(console_settings.password_check_concurrency)
    app.add_middleware(
        Guard,
        limit=console_settings.max_concurrent_requests,
        anonymous_limit=console_settings.max_concurrent_anonymous,
        site_limit=console_settings.max_concurrent_public_site,
        body_timeout=console_settings.body_timeout_seconds,
        # multipart framing on top of the upload limit
        max_body_bytes=console_settings.upload_max_bytes + (1 << 20),
    )
    if console_settings.trusted_proxies:
        # Outside the guard: scheme and client address as the trusted proxy saw them, for
        # Secure cookies and the per-address login throttle. Nobody else's headers count.
        app.add_middleware(
            ProxyHeadersMiddleware, trusted_hosts=list(console_settings.trusted_proxies)
        )
    api.install_api(app)
    install_console(app)
    return app
