"""Subjects: search, credit file, its tables, the live rating, override requests.

``{code}`` is a code (USCC, ID number) or a subject reference ``id-<n>``: results name natural
persons by their reference (``ref``), so that no ID number goes into a URL.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from utilcredit.api.responses import JSONBytes, rating_json
from utilcredit.api.schemas import (
    ERROR_RESPONSES,
    BillPage,
    CreditFileOut,
    IncidentPage,
    OverrideOut,
    OverrideRequest,
    PaymentPage,
    RatingOut,
    SubjectPage,
)
from utilcredit.creditfile import service
from utilcredit.http.deps import AppSettings, Console, Db, LoopReading, Reader, Requester
from utilcredit.http.params import NO_NUL, AsOf, PagingDep, SubjectCode, masking
from utilcredit.localtime import today
from utilcredit.overrides import service as overrides
from utilcredit.policies.service import policy_at

router = APIRouter(prefix="/subjects", tags=["subjects"], responses=ERROR_RESPONSES)


@router.get("", response_model=SubjectPage, summary="搜索主体 / search by code, name or account")
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
            description="代码前缀、名称或户号（自然人须完整证件号码或姓名） / code prefix, "
            "name, account number (natural persons: whole ID number or name, unless the "
            "reader may see personal data in clear)",
        ),
    ] = "",
) -> SubjectPage:
    page = service.search_subjects(
        connection, principal, q, offset=paging.offset, limit=paging.limit, rule=masking(settings)
    )
    return SubjectPage.model_validate(page, from_attributes=True)


@router.get("/{code}", response_model=CreditFileOut, summary="信用档案 / the credit file")
def get_credit_file(
    code: SubjectCode,
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    unmasked: Annotated[
        bool, Query(description="显示完整个人信息（留痕） / personal data in clear (audited)")
    ] = False,
) -> CreditFileOut:
    view = service.credit_file(
        connection,
        principal,
        service.resolve_subject(connection, principal, code),
        unmasked=unmasked,
        rule=masking(settings),
    )
    return CreditFileOut.model_validate(view, from_attributes=True)


@router.get("/{code}/bills", response_model=BillPage)
def bills(code: SubjectCode, connection: Db, principal: Reader, paging: PagingDep) -> BillPage:
    page = service.bills(
        connection,
        principal,
        service.resolve_subject(connection, principal, code),
        offset=paging.offset,
        limit=paging.limit,
    )
    return BillPage.model_validate(page, from_attributes=True)


@router.get("/{code}/payments", response_model=PaymentPage)
def payments(
    code: SubjectCode, connection: Db, principal: Reader, paging: PagingDep
) -> PaymentPage:
    page = service.payments(
        connection,
        principal,
        service.resolve_subject(connection, principal, code),
        offset=paging.offset,
        limit=paging.limit,
    )
    return PaymentPage.model_validate(page, from_attributes=True)


@router.get("/{code}/incidents", response_model=IncidentPage)
def incidents(
    code: SubjectCode, connection: Db, principal: Reader, paging: PagingDep
) -> IncidentPage:
    page = service.incidents(
        connection,
        principal,
        service.resolve_subject(connection, principal, code),
        offset=paging.offset,
        limit=paging.limit,
    )
    return IncidentPage.model_validate(page, from_attributes=True)


@router.get(
    "/{code}/rating",
    response_class=JSONBytes,
    responses={200: {"model": RatingOut, "description": "Successful Response"}},
    summary="当前等级及解释（实时计算） / current level with explanation, computed live",
)
async def rating(
    code: SubjectCode,
    reading: LoopReading,
    console: Console,
    settings: AppSettings,
    as_of: AsOf = None,
    policy: Annotated[
        str | None,
        Query(
            max_length=64,
            pattern=NO_NUL,
            description="政策键 / policy key (default: the utility's configured one)",
        ),
    ] = None,
) -> JSONBytes:
    # On the event loop (see deps.reading_on_loop), serialised once (see api.responses).
    view = service.rate_live(
        reading.connection,
        reading.principal,
        service.resolve_subject(reading.connection, reading.principal, code),
        policy_key=policy,
        as_of=as_of or today(),
        console=console,
        rule=masking(settings),
    )
    return JSONBytes(rating_json(view))


@router.post(
    "/{code}/overrides",
    response_model=OverrideOut,
    status_code=201,
    summary="申请人工调整等级（需审核） / request a manual level override (needs a reviewer)",
)
def request_override(
    code: SubjectCode, body: OverrideRequest, connection: Db, principal: Requester
) -> OverrideOut:
    day = today()
    loaded = policy_at(body.policy, day)
    override = overrides.request_override(
        connection,
        principal,
        code=service.resolve_subject(connection, principal, code),
        policy=loaded.policy,
        level=body.level,
        reason=body.reason,
        expires_on=body.expires_on,
        today=day,
    )
    return OverrideOut.model_validate(override, from_attributes=True)
