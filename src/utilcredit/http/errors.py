"""Domain errors → HTTP, in one place.

API errors are JSON ``{"error": {"code", "message", "message_zh", "message_en", "fields"}}``
with a stable ``code``. Denied reads and writes (403, and 404 for records of another utility)
are written to the audit log in their own transaction, since the request's own rolls back.
Console pages (outside ``/api/``) get an HTML page from ``app.state.html_error`` instead.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from utilcredit.access.model import (
    AccessDeniedError,
    AuthenticationError,
    NotVisibleError,
    Principal,
)
from utilcredit.audit import repository as audit
from utilcredit.errors import (
    ConflictError,
    FieldInvalidError,
    InvalidInputError,
    NotFoundError,
    UpstreamError,
    UtilcreditError,
)
from utilcredit.http import paths

log = logging.getLogger(__name__)

HtmlError = Callable[[Request, int, str, str], Awaitable[Response] | Response]


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
}


def split_message(message: str) -> tuple[str, str]:
    """Messages are written ``中文 / English``; return both halves (the whole text if not)."""
    zh, sep, en = message.partition(" / ")
    return (zh, en) if sep else (message, message)


def error_body(
    code: str, message: str, fields: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    zh, en = split_message(message)
    return {
        "error": {
            "code": code,
            "message": message,
            "message_zh": zh,
            "message_en": en,
            "fields": fields or [],
        }
    }


def status_of(error: UtilcreditError) -> int:
    if isinstance(error, AuthenticationError):
        return 401
    if isinstance(error, AccessDeniedError):
        return 403
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, ConflictError):
        return 409
    if isinstance(error, InvalidInputError):
        return 422
    if isinstance(error, UpstreamError):
        return error.http_status
    return 400


def _audit_denial(request: Request, error: AccessDeniedError | NotVisibleError) -> None:
    engine: Engine = request.app.state.engine
    principal: Principal | None = getattr(request.state, "principal", None)
    with engine.begin() as connection:
        audit.record(
            connection,
            actor=principal.username if principal else "anonymous",
            action="access_denied",
            entity=error.entity or "request",
            entity_key=(error.entity_key or request.url.path)[:200],
            reason=str(error)[:500],
            detail={"method": request.method, "path": request.url.path, "status": status_of(error)},
            # The actor's memberships: the refusal tells about the actor (an anonymous or
            # unknown caller's concerns no utility: read by auditors of every utility).
            utilities=principal.utilities if principal else (),
        )


async def _respond(
    request: Request,
    status: int,
    code: str,
    message: str,
    fields: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    html_error: HtmlError | None = getattr(request.app.state, "html_error", None)
    if html_error is not None and not paths.is_api(request.url.path):
        response = html_error(request, status, code, message)
        if isinstance(response, Response):
            return response
        return await response
    return JSONResponse(error_body(code, message, fields), status_code=status, headers=headers)


async def handle_domain_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, UtilcreditError)
    if isinstance(error, AccessDeniedError | NotVisibleError):
        _audit_denial(request, error)
    status = status_of(error)
    fields = (
        [{"field": error.field, "message": str(error)}]
        if isinstance(error, FieldInvalidError)
        else None
    )
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return await _respond(request, status, error.code, str(error), fields, headers)


def _field_name(location: tuple[Any, ...]) -> str:
    parts = [str(part) for part in location]
    if parts and parts[0] in {"query", "path", "body", "header", "cookie", "form"}:
        parts = parts[1:] or parts
    return ".".join(parts)


async def handle_validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    fields = [
        {"field": _field_name(tuple(item.get("loc", ()))), "message": str(item.get("msg", ""))}
        for item in error.errors()
    ]
    names = ", ".join(field["field"] for field in fields)
    message = f"请求参数有误：{names} / invalid request fields: {names}"
    return await _respond(request, 422, "validation_error", message, fields)


async def handle_http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    code = _STATUS_CODES.get(error.status_code, "http_error")
    detail = error.detail if isinstance(error.detail, str) else code
    if error.status_code == 404 and detail == "Not Found":
        detail = "未找到 / not found"
    elif error.status_code == 405:
        detail = "不支持该请求方法 / method not allowed"
    return await _respond(request, error.status_code, code, detail, headers=error.headers)


async def handle_unexpected(request: Request, error: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return JSONResponse(
        error_body("internal_error", "服务器内部错误 / internal server error"), status_code=500
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(UtilcreditError, handle_domain_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
    app.add_exception_handler(Exception, handle_unexpected)
