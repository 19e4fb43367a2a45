"""Accounts (户号) search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from utilcredit.api.schemas import ERROR_RESPONSES, AccountPage
from utilcredit.creditfile import service
from utilcredit.http.deps import AppSettings, Db, Reader
from utilcredit.http.params import NO_NUL, PagingDep, masking

router = APIRouter(prefix="/accounts", tags=["subjects"], responses=ERROR_RESPONSES)


@router.get("", response_model=AccountPage, summary="搜索户号 / search accounts")
def search(
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    paging: PagingDep,
    q: Annotated[
        str,
        Query(
            max_length=100,
            pattern=NO_NUL,
            description="户号前缀或主体代码 / account prefix or subject code",
        ),
    ] = "",
) -> AccountPage:
    page = service.search_accounts(
        connection, principal, q, offset=paging.offset, limit=paging.limit, rule=masking(settings)
    )
    return AccountPage.model_validate(page, from_attributes=True)
