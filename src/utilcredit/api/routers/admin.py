"""Users (administrators) and the audit log (auditors).

An administrator manages only the users it could have created: roles it may grant (none that
reaches every utility, such as the credit office) in utilities it belongs to. Users beyond that
reach are answered 404 (audited), and are managed on the server with ``utilcredit user``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from utilcredit.access import audit_trail
from utilcredit.access import service as access
from utilcredit.access.model import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, WeakPasswordError
from utilcredit.api.schemas import ERROR_RESPONSES, AuditPage, UserIn, UserOut
from utilcredit.errors import FieldInvalidError
from utilcredit.http.deps import Admin, AppSettings, Auditor, Db
from utilcredit.http.params import NO_NUL, PagingDep, masking

router = APIRouter(tags=["administration"], responses=ERROR_RESPONSES)

Username = Annotated[str, Path(min_length=1, max_length=64, pattern=NO_NUL)]


class ManagedUserOut(UserOut):
    active: bool = Field(description="false: disabled, cannot log in; sessions and tokens ended")
    locked_until: dt.datetime | None = Field(
        description="end of a login lockout after too many failed logins (lift: POST …/unlock)"
    )


class PasswordIn(BaseModel):
    password: str = Field(
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        description="new password: 8+ characters, not a common one, not built on the user's names",
    )


def _user_out(user: access.ManagedUser) -> ManagedUserOut:
    principal = user.principal
    return ManagedUserOut(
        username=principal.username,
        display_name=principal.display_name,
        roles=sorted(principal.roles),
        utilities=sorted(principal.utilities),
        active=user.active,
        locked_until=user.locked_until,
    )


@contextmanager
def _password_field() -> Iterator[None]:
    """A refused password names the ``password`` field in the 422."""
    try:
        yield
    except WeakPasswordError as error:
        raise FieldInvalidError("password", str(error)) from None


@router.get(
    "/users",
    response_model=list[ManagedUserOut],
    summary="用户（本管理员管辖范围内） / users within the administrator's reach",
)
def list_users(connection: Db, principal: Admin) -> list[ManagedUserOut]:
    return [_user_out(u) for u in access.users_of(connection, principal)]


@router.post(
    "/users",
    response_model=ManagedUserOut,
    status_code=201,
    summary="添加用户（仅可授予本单位范围内的角色） / add a user (roles and utilities within reach)",
)
def add_user(body: UserIn, connection: Db, principal: Admin) -> ManagedUserOut:
    with _password_field():
        access.create_user_as(
            connection,
            principal,
            username=body.username,
            display_name=body.display_name,
            password=body.password,
            roles=frozenset(body.roles),
            utilities=frozenset(body.utilities),
        )
    return _user_out(access.managed_user(connection, body.username.strip()))


@router.post(
    "/users/{username}/disable",
    response_model=ManagedUserOut,
    summary="停用用户（会话与令牌立即失效） / disable a user (sessions and tokens end at once)",
)
def disable_user(username: Username, connection: Db, principal: Admin) -> ManagedUserOut:
    access.set_user_active_as(connection, principal, username, False)
    return _user_out(access.managed_user(connection, username))


@router.post(
    "/users/{username}/enable",
    response_model=ManagedUserOut,
    summary="启用用户 / enable a disabled user",
)
def enable_user(username: Username, connection: Db, principal: Admin) -> ManagedUserOut:
    access.set_user_active_as(connection, principal, username, True)
    return _user_out(access.managed_user(connection, username))


@router.post(
    "/users/{username}/reset-password",
    response_model=ManagedUserOut,
    summary="重设密码（会话与令牌失效） / set a new password (sessions and tokens end)",
)
def reset_password(
    username: Username, body: PasswordIn, connection: Db, principal: Admin
) -> ManagedUserOut:
    with _password_field():
        access.reset_password_as(connection, principal, username, body.password)
    return _user_out(access.managed_user(connection, username))


@router.post(
    "/users/{username}/unlock",
    response_model=ManagedUserOut,
    summary="解除登录锁定 / lift a lockout after too many failed logins",
)
def unlock_user(username: Username, connection: Db, principal: Admin) -> ManagedUserOut:
    access.unlock_as(connection, principal, username)
    return _user_out(access.managed_user(connection, username))


@router.get(
    "/audit",
    response_model=AuditPage,
    summary="审计日志（本单位相关） / the audit log (entries that concern the reader's utilities)",
)
def audit_log(
    connection: Db,
    principal: Auditor,
    settings: AppSettings,
    paging: PagingDep,
    actor: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    action: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    entity_key: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=NO_NUL,
            description="实体键，自然人用主体引用 id-<n> / entity key; id-<n> names a subject",
        ),
    ] = None,
) -> AuditPage:
    page = audit_trail.audit_log(
        connection,
        principal,
        actor=actor,
        action=action,
        entity_key=entity_key,
        offset=paging.offset,
        limit=paging.limit,
        rule=masking(settings),
    )
    return AuditPage.model_validate(page, from_attributes=True)
