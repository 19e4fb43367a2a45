"""The request guard in front of every request, API and console alike (:class:`Guard`)."""

from __future__ import annotations

import asyncio
import secrets
import tempfile
from typing import BinaryIO

import anyio
from fastapi import Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from utilcredit.access.model import AuthenticationError
from utilcredit.config import Settings
from utilcredit.http import deps, errors
from utilcredit.http.paths import API_PREFIX, DOCS_URL, PUBLIC_SITE, STATIC_PREFIX, is_public

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

# Called by the SMS and WeChat gateways, not by users: authenticated by the gateways' own bearer
# token (``UTILCREDIT_NOTICES_RECEIPT_TOKEN``, :func:`gateway_authorized`) instead of a user's.
GATEWAY_PATHS = frozenset({f"{API_PREFIX}/notices/receipts"})

_BODY_IN_MEMORY = 1 << 20  # bodies up to 1 MiB stay in memory, larger ones go to a temp file
_BODY_PIECE = 1 << 20


class _Body:
    """A request body read ahead of the handler: in memory, or in a temporary file once it
    passes :data:`_BODY_IN_MEMORY` (file work runs in worker threads, off the event loop)."""

    def __init__(self) -> None:
        self.size = 0
        self._chunks: list[bytes] = []
        self._file: BinaryIO | None = None
        self._pending: list[bytes] = []
        self._pending_size = 0

    async def write(self, data: bytes) -> None:
        self.size += len(data)
        if self._file is None and self.size <= _BODY_IN_MEMORY:
            self._chunks.append(data)
            return
        if self._file is None:
            self._file = await anyio.to_thread.run_sync(tempfile.TemporaryFile)
            self._pending, self._chunks = self._chunks, []
            self._pending_size = sum(len(c) for c in self._pending)
        self._pending.append(data)
        self._pending_size += len(data)
        if self._pending_size >= _BODY_PIECE:
            await self._flush()

    async def _flush(self) -> None:
        if self._file is not None and self._pending:
            data = b"".join(self._pending)
            self._pending, self._pending_size = [], 0
            await anyio.to_thread.run_sync(self._file.write, data)

    async def finish(self) -> None:
        await self._flush()
        if self._file is not None:
            await anyio.to_thread.run_sync(self._file.seek, 0)
        self._chunks.reverse()  # popped from the end

    async def next_piece(self) -> bytes | None:
        if self._file is not None:
            piece: bytes = await anyio.to_thread.run_sync(self._file.read, _BODY_PIECE)
            return piece or None
        return self._chunks.pop() if self._chunks else None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        self._chunks = []


def _has_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return value.strip() not in (b"", b"0")
        if name == b"transfer-encoding":
            return True
    return False


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return str(value.decode("latin-1"))
    return None


def gateway_authorized(settings: Settings, authorization: str | None) -> bool:
    """Does ``Authorization: Bearer <token>`` carry the gateways' receipt token? Never when no
    token is configured (compared in constant time)."""
    expected = settings.notices.receipt_token
    given = deps.bearer_token(authorization)
    if expected is None or not expected.get_secret_value() or given is None:
        return False
    return secrets.compare_digest(given.encode(), expected.get_secret_value().encode())


def _cookie(scope: Scope, name: str) -> str | None:
    raw = _header(scope, b"cookie")
    return cookie_parser(raw).get(name) if raw else None


class Guard:
    """Pure ASGI middleware in front of every request (no per-request task):

    - security headers on every response, and a CSP on console pages;
    - authentication first: a request to anything but the public endpoints
      (``paths.PUBLIC_PATHS``, static files) needs a live bearer token or session cookie,
      resolved here in one indexed query; without one it is answered 401 (console pages: to
      the login page) before its body is read, and never waits for or holds a slot. The
      credentials are handed on to the dependencies (``deps.CREDENTIALS``), so the store is
      not asked twice. The gateways' paths (:data:`GATEWAY_PATHS`) take the gateways' token
      instead, checked here the same way (and again by the route);
    - bodies are read here, before a slot is taken, within ``body_timeout`` seconds (else 408)
      and ``max_body_bytes`` (else 413), so a slow client holds no slot;
    - at most ``limit`` authenticated requests in the handlers at once, ``anonymous_limit``
      public ones (log-in, token, docs) in a separate pool, and ``site_limit`` requests to the
      public disclosure site (``/public/``) in a third, so anonymous traffic cannot starve
      logged-in users and the public's reading cannot starve the log-in page. The others wait
      here holding no store connection, so a burst queues instead of exhausting the
      connection pool.
    """

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        *,
        anonymous_limit: int = 2,
        site_limit: int = 4,
        body_timeout: float = 300.0,
        max_body_bytes: int = 1 << 30,
    ) -> None:
        self.app = app
        self.slots = asyncio.Semaphore(limit)
        self.anonymous_slots = asyncio.Semaphore(anonymous_limit)
        self.site_slots = asyncio.Semaphore(site_limit)
        self.body_timeout = body_timeout
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        page = not path.startswith((DOCS_URL, API_PREFIX, STATIC_PREFIX))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = [*_SECURITY_HEADERS, _PAGE_CSP] if page else _SECURITY_HEADERS
                headers.extend(h for h in extra if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        if path.startswith(f"{STATIC_PREFIX}/"):
            await self.app(scope, receive, with_headers)
            return
        public = is_public(path)
        if path in GATEWAY_PATHS:
            settings: Settings = scope["app"].state.settings
            if not gateway_authorized(settings, _header(scope, b"authorization")):
                await self._refuse(
                    scope, receive, with_headers, "回执令牌无效 / invalid receipt token"
                )
                return
        elif not public:
            credentials = self._credentials(scope)
            if credentials is None:
                await self._refuse(
                    scope, receive, with_headers, "请先登录或提供有效令牌 / authentication required"
                )
                return
            scope.setdefault("state", {})[deps.CREDENTIALS] = credentials
        body: _Body | None = None
        if _has_body(scope):
            outcome = await self._read_body(scope, receive)
            if isinstance(outcome, Response):
                await outcome(scope, receive, with_headers)
                return
            if outcome is None:  # the client went away
                return
            body = outcome
            receive = self._replay(body, receive)
        try:
            async with self._pool(path, public):
                await self.app(scope, receive, with_headers)
        finally:
            if body is not None:
                body.close()

    def _pool(self, path: str, public: bool) -> asyncio.Semaphore:
        if path.startswith(f"{PUBLIC_SITE}/"):
            return self.site_slots
        return self.anonymous_slots if public else self.slots

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, message: str) -> None:
        """401 before the body is read (console pages: to the login page)."""
        response = await errors.handle_domain_error(Request(scope), AuthenticationError(message))
        await response(scope, receive, send)

    def _credentials(self, scope: Scope) -> deps.Credentials | None:
        """One indexed query on the event loop (like ``deps.reading_on_loop``): cheaper than
        a hop to a worker thread, and it holds its connection only for that query."""
        token = deps.bearer_token(_header(scope, b"authorization"))
        cookie = _cookie(scope, deps.SESSION_COOKIE)
        if token is None and not cookie:
            return None
        engine: Engine = scope["app"].state.engine
        with engine.connect() as connection:
            return deps.resolve_credentials(connection, token, cookie)

    async def _read_body(self, scope: Scope, receive: Receive) -> _Body | Response | None:
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            return self._too_large()
        body = _Body()
        try:
            async with asyncio.timeout(self.body_timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        body.close()
                        return None
                    chunk: bytes = message.get("body", b"")
                    if body.size + len(chunk) > self.max_body_bytes:
                        body.close()
                        return self._too_large()
                    await body.write(chunk)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            body.close()
            return JSONResponse(
                errors.error_body(
                    "request_timeout",
                    f"请求内容未在 {self.body_timeout:g} 秒内送达 / request body not received "
                    f"within {self.body_timeout:g} seconds",
                ),
                status_code=408,
                headers={"Connection": "close"},
            )
        except BaseException:
            body.close()
            raise
        await body.finish()
        return body

    def _too_large(self) -> Response:
        return JSONResponse(
            errors.error_body(
                "too_large",
                f"请求内容过大（上限 {self.max_body_bytes} 字节） / request body exceeds "
                f"{self.max_body_bytes} bytes",
            ),
            status_code=413,
            headers={"Connection": "close"},
        )

    @staticmethod
    def _replay(body: _Body, receive: Receive) -> Receive:
        """The body as the app would have received it, then the client's own messages."""
        started = done = False
        following: bytes | None = None

        async def replayed() -> Message:
            nonlocal started, done, following
            if done:
                return await receive()  # after the body: the disconnect, when it comes
            if not started:
                started = True
                following = await body.next_piece()
            piece = following or b""
            following = await body.next_piece() if following is not None else None
            done = following is None
            return {"type": "http.request", "body": piece, "more_body": not done}

        return replayed
