"""Users (administrators) and the audit log (auditors)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from utilcredit.access import service as access
from utilcredit.access.model import Principal
from utilcredit.api import repository
from utilcredit.api.deps import Admin, Auditor, Db
from utilcredit.api.routers.common import PagingDep
from utilcredit.api.schemas import ERROR_RESPONSES, NO_NUL, AuditPage, UserIn, UserOut

router = APIRouter(tags=["administration"], responses=ERROR_RESPONSES)


def _user_out(principal: Principal) -> UserOut:
    return UserOut(
        username=principal.username,
        display_name=principal.display_name,
        roles=sorted(principal.roles),
        utilities=sorted(principal.utilities),
    )


@router.get("/users", response_model=list[UserOut], summary="用户 / users")
def list_users(connection: Db, principal: Admin) -> list[UserOut]:
    return [_user_out(p) for p in access.list_users(connection)]


@router.post("/users", response_model=UserOut, status_code=201, summary="添加用户 / add a user")
def add_user(body: UserIn, connection: Db, principal: Admin) -> UserOut:
    user_id = access.create_user_as(
        connection,
        principal,
        username=body.username,
        display_name=body.display_name,
        password=body.password,
        roles=frozenset(body.roles),
        utilities=frozenset(body.utilities),
    )
    created = access.principal_of(connection, user_id)
    assert created is not None
    return _user_out(created)


@router.get("/audit", response_model=AuditPage, summary="审计日志 / the audit log")
def audit_log(
    connection: Db,
    principal: Auditor,
    paging: PagingDep,
    actor: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    action: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    entity_key: Annotated[str | None, Query(max_length=200, pattern=NO_NUL)] = None,
) -> AuditPage:
    page = repository.audit_entries(
        connection,
        actor=actor,
        action=action,
        entity_key=entity_key,
        offset=paging.offset,
        limit=paging.limit,
    )
    return AuditPage.model_validate(page, from_attributes=True)
