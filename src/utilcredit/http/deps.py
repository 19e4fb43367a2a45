"""Request-scoped wiring: the store connection (one transaction per request), the principal.

``Db`` opens a transaction that commits when the endpoint returns and rolls back when it
raises; services never commit. The principal comes from a bearer token (API clients) or the
console's session cookie; with the cookie, unsafe methods also need the session's CSRF token
(header ``X-CSRF-Token`` or form field ``csrf_token``).

The request guard (:mod:`utilcredit.http.guard`) resolves the principal before a request takes
a handler slot or has its body read, and leaves it in the request state (:data:`CREDENTIALS`);
the dependencies here use it instead of asking the store again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection, Engine

from utilcredit.access import service as access
from utilcredit.access.model import (
    AccessDeniedError,
    AuthenticationError,
    Permission,
    Principal,
    require,
)
from utilcredit.config import ConsoleSettings, Settings

SESSION_COOKIE = "uc_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Key of the credentials the request guard resolved, in the ASGI scope's "state".
CREDENTIALS = "utilcredit.credentials"

bearer = HTTPBearer(auto_error=False, description="API token from POST /api/auth/token")


def engine_of(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def get_engine(request: Request) -> Engine:
    return engine_of(request)


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_console_settings(request: Request) -> ConsoleSettings:
    settings: Settings = request.app.state.settings
    return settings.console


def db(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Connection]:
    with engine.begin() as connection:
        yield connection


# scope="function" commits before the response is sent: with the default ("request") a
# client that follows a redirect at once (log in, then open "/") can arrive before the
# commit and find no session.
Db = Annotated[Connection, Depends(db, scope="function")]
AppSettings = Annotated[Settings, Depends(get_settings)]
Console = Annotated[ConsoleSettings, Depends(get_console_settings)]


async def csrf_given(request: Request) -> str | None:
    """The CSRF token sent with an unsafe request (header, or form field); async for the form."""
    if request.method in SAFE_METHODS:
        return None
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


@dataclass(frozen=True, slots=True)
class Credentials:
    """Who sent a request and how: a bearer token, or a console session (with its CSRF token)."""

    principal: Principal
    auth: str  # "token" | "session"
    csrf_token: str | None = None


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (as FastAPI's HTTPBearer)."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def resolve_credentials(
    connection: Connection, token: str | None, cookie: str | None
) -> Credentials | None:
    """The live principal of a bearer token, or else of a session cookie; ``None`` when
    neither is valid (unknown, expired, revoked, or the user is disabled)."""
    if token is not None:
        principal = access.token_principal(connection, token)
        return Credentials(principal, "token") if principal is not None else None
    if cookie:
        found = access.session_principal(connection, cookie)
        if found is not None:
            return Credentials(found[0], "session", found[1])
    return None


def client_address(request: Request) -> str | None:
    """The client's address (behind a trusted proxy, the one it forwarded)."""
    return request.client.host if request.client is not None else None


def principal_from_request(
    request: Request, connection: Connection, credentials: HTTPAuthorizationCredentials | None
) -> Principal | None:
    """Resolve the principal (token first, then session cookie) and remember it on the request;
    the guard's answer is used when it resolved one."""
    state = request.scope.get("state") or {}
    resolved: Credentials | None = state.get(CREDENTIALS)
    if resolved is None:
        token = (
            credentials.credentials
            if credentials is not None and credentials.scheme.lower() == "bearer"
            else None
        )
        resolved = resolve_credentials(connection, token, request.cookies.get(SESSION_COOKIE))
    principal = resolved.principal if resolved is not None else None
    if resolved is not None:
        request.state.auth = resolved.auth
        if resolved.csrf_token is not None:
            request.state.csrf_token = resolved.csrf_token
    request.state.principal = principal
    return principal


def current_principal(
    request: Request,
    connection: Db,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    csrf: Annotated[str | None, Depends(csrf_given)],
) -> Principal:
    return authenticate(request, connection, credentials, csrf)


def authenticate(
    request: Request,
    connection: Connection,
    credentials: HTTPAuthorizationCredentials | None,
    csrf: str | None,
) -> Principal:
    """The request's principal (401 without one; 403 for a session write without its CSRF)."""
    principal = principal_from_request(request, connection, credentials)
    if principal is None:
        raise AuthenticationError("请先登录或提供有效令牌 / authentication required")
    if (
        getattr(request.state, "auth", None) == "session"
        and request.method not in SAFE_METHODS
        and not access.csrf_matches(request.state.csrf_token, csrf)
    ):
        raise AccessDeniedError(
            "CSRF 校验失败，请刷新页面 / CSRF check failed, reload the page",
            entity="csrf",
            entity_key=request.url.path,
        )
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


class Requires:
    """Dependency: the principal, if it holds ``permission`` (else 403, audited)."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    async def __call__(self, principal: CurrentPrincipal) -> Principal:
        # async: no I/O here, and a sync dependency would cost a thread hop per request
        require(principal, self.permission)
        return principal


Reader = Annotated[Principal, Depends(Requires(Permission.READ))]
Importer = Annotated[Principal, Depends(Requires(Permission.IMPORT))]
Requester = Annotated[Principal, Depends(Requires(Permission.REQUEST_OVERRIDE))]
Reviewer = Annotated[Principal, Depends(Requires(Permission.DECIDE_OVERRIDE))]
Admin = Annotated[Principal, Depends(Requires(Permission.MANAGE_USERS))]
Auditor = Annotated[Principal, Depends(Requires(Permission.READ_AUDIT))]


@dataclass(frozen=True, slots=True)
class Reading:
    """A read on the event loop: the request's transaction and its reader."""

    connection: Connection
    principal: Principal


async def reading_on_loop(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> AsyncIterator[Reading]:
    """``Db`` and ``Reader`` in one dependency whose transaction is opened, used and closed on
    the event loop's thread. For GET endpoints doing short, CPU-bound reads through indexed
    queries (the live rating), where the thread pool costs more than it gives.

    With ``Db`` and ``Reader`` a request hops to a worker thread and back four times, and under
    concurrent load each hop waits for the GIL behind the other busy threads, which hand it over
    only every ``sys.getswitchinterval()`` (5 ms): latency grows by several ms per hop and
    throughput collapses. On the loop the requests of one process run one after another without
    waiting; ``--workers`` processes give the parallelism. Anything that may wait long
    (uploads, big lists, writes) keeps ``Db``. Reads only: a session write would fail the
    CSRF check, as no token is taken here.
    """
    with engine_of(request).begin() as connection:
        principal = authenticate(request, connection, credentials, csrf=None)
        require(principal, Permission.READ)
        yield Reading(connection, principal)


# scope="function": committed (and the connection back in the pool) before the response is sent.
LoopReading = Annotated[Reading, Depends(reading_on_loop, scope="function")]
