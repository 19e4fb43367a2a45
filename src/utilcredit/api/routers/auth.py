"""Tokens for API clients, and who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from utilcredit.access import service as access
from utilcredit.access.model import LoginThrottledError
from utilcredit.api.schemas import ERROR_RESPONSES, ErrorOut, MeOut, TokenOut, TokenRequest
from utilcredit.http.deps import Console, CurrentPrincipal, Db, client_address
from utilcredit.http.errors import error_body

router = APIRouter(tags=["auth"])

THROTTLED_RESPONSE = {
    "model": ErrorOut,
    "description": "too many failed logins for this user name or client address: locked for "
    "`Retry-After` seconds, or until an administrator lifts it (`too_many_attempts`)",
}


def throttled(error: LoginThrottledError) -> JSONResponse:
    return JSONResponse(
        error_body(error.code, str(error)),
        status_code=429,
        headers={"Retry-After": str(error.retry_after)},
    )


@router.post(
    "/auth/token",
    response_model=TokenOut,
    responses={401: ERROR_RESPONSES[401], 422: ERROR_RESPONSES[422], 429: THROTTLED_RESPONSE},
    summary="登录换取令牌 / exchange user name and password for an API token",
)
def issue_token(
    request: Request, body: TokenRequest, connection: Db, console: Console
) -> TokenOut | Response:
    try:
        principal = access.authenticate(
            connection,
            body.username,
            body.password,
            address=client_address(request),
            throttle=console.throttle,
        )
    except LoginThrottledError as error:
        return throttled(error)
    if principal is None:
        # Returned, not raised: the failed attempt's audit entry must commit.
        return JSONResponse(
            error_body("invalid_credentials", "用户名或密码错误 / wrong user name or password"),
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    token = access.issue_token(connection, principal, body.name)
    return TokenOut(token=token, expires_in_days=access.TOKEN_TTL.days)


@router.post(
    "/auth/revoke",
    status_code=204,
    responses={401: ERROR_RESPONSES[401]},
    summary="吊销当前令牌 / revoke the token used for this request",
)
def revoke(request: Request, principal: CurrentPrincipal, connection: Db) -> Response:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token:
        access.revoke_token(connection, principal, token.strip())
    return Response(status_code=204)


@router.get("/me", response_model=MeOut, responses={401: ERROR_RESPONSES[401]})
def me(principal: CurrentPrincipal) -> MeOut:
    return MeOut(
        username=principal.username,
        display_name=principal.display_name,
        roles=sorted(principal.roles),
        utilities=sorted(principal.utilities),
        readable_utilities=sorted(principal.readable_utilities),
        permissions=sorted(p.value for p in principal.permissions),
    )
