"""Override requests and their review.

Another utility's override answers 404 (audited); of two reviewers deciding one request at
once, the second gets 409 ``conflict``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from utilcredit.api.schemas import (
    ERROR_RESPONSES,
    OverrideDecision,
    OverrideOut,
    OverridePage,
    OverrideViewOut,
)
from utilcredit.http.deps import AppSettings, Db, Reader, Requester, Reviewer
from utilcredit.http.params import MAX_ID, PagingDep, masking
from utilcredit.localtime import today
from utilcredit.overrides import service
from utilcredit.overrides.model import OverrideState
from utilcredit.paging import page_of

router = APIRouter(prefix="/overrides", tags=["overrides"], responses=ERROR_RESPONSES)

OverrideId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("", response_model=OverridePage, summary="调整申请 / override requests")
def list_overrides(
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    paging: PagingDep,
    state: Annotated[OverrideState | None, Query()] = None,
) -> OverridePage:
    items, _total = service.list_overrides(
        connection,
        principal,
        state=state,
        offset=paging.offset,
        limit=paging.limit + 1,
        today=today(),
        rule=masking(settings),
    )
    page = page_of(items, paging.offset, paging.limit)
    return OverridePage(
        items=[OverrideViewOut.model_validate(v, from_attributes=True) for v in page.items],
        offset=page.offset,
        limit=page.limit,
        has_more=page.has_more,
    )


@router.get("/{override_id}", response_model=OverrideViewOut)
def get_override(
    override_id: OverrideId, connection: Db, principal: Reader, settings: AppSettings
) -> OverrideViewOut:
    view = service.get_override(connection, principal, override_id, rule=masking(settings))
    return OverrideViewOut.model_validate(view, from_attributes=True)


@router.post(
    "/{override_id}/approve",
    response_model=OverrideOut,
    responses={409: ERROR_RESPONSES[404] | {"description": "decided by someone else meanwhile"}},
    summary="批准 / approve",
)
def approve(
    override_id: OverrideId, body: OverrideDecision, connection: Db, principal: Reviewer
) -> OverrideOut:
    decided = service.decide(
        connection, principal, override_id, approve=True, note=body.note, today=today()
    )
    return OverrideOut.model_validate(decided, from_attributes=True)


@router.post(
    "/{override_id}/reject",
    response_model=OverrideOut,
    responses={409: ERROR_RESPONSES[404] | {"description": "decided by someone else meanwhile"}},
    summary="驳回 / reject",
)
def reject(
    override_id: OverrideId, body: OverrideDecision, connection: Db, principal: Reviewer
) -> OverrideOut:
    decided = service.decide(
        connection, principal, override_id, approve=False, note=body.note, today=today()
    )
    return OverrideOut.model_validate(decided, from_attributes=True)


@router.post(
    "/{override_id}/withdraw",
    response_model=OverrideOut,
    responses={409: ERROR_RESPONSES[404] | {"description": "decided by someone else meanwhile"}},
    summary="撤回 / withdraw",
)
def withdraw(override_id: OverrideId, connection: Db, principal: Requester) -> OverrideOut:
    withdrawn = service.withdraw(connection, principal, override_id, today=today())
    return OverrideOut.model_validate(withdrawn, from_attributes=True)
