"""Console pages of manual levels (人工调整): a request posted from the credit file page, and
the overrides to decide (approve, reject) or withdraw. Thin like the API router: the use cases
are ``overrides/service.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from utilcredit.creditfile import service
from utilcredit.errors import NotFoundError
from utilcredit.http.deps import AppSettings, CurrentPrincipal, Db, Reader, Requester
from utilcredit.http.params import MAX_ID, NO_NUL, SubjectCode, masking
from utilcredit.localtime import today
from utilcredit.overrides import service as overrides
from utilcredit.overrides.model import STATE_LABELS, OverrideState
from utilcredit.policies.model.levels import Level
from utilcredit.policies.service import policy_at
from utilcredit.web.rendering import render

router = APIRouter(include_in_schema=False)

PAGE = 20

# ---- a request, from the credit file page ----------------------------------------------


@router.post("/subjects/{code}/overrides")
def request_override(
    request: Request,
    code: SubjectCode,
    connection: Db,
    principal: Requester,
    policy: Annotated[str, Form(max_length=64, pattern=NO_NUL)],
    level: Annotated[Level, Form()],
    reason: Annotated[str, Form(max_length=500, pattern=NO_NUL)],
    expires_on: Annotated[dt.date, Form()],
) -> Response:
    day = today()
    code = service.resolve_subject(connection, principal, code)
    overrides.request_override(
        connection,
        principal,
        code=code,
        policy=policy_at(policy, day).policy,
        level=level,
        reason=reason,
        expires_on=expires_on,
        today=day,
    )
    ref = service.subject_ref_of(connection, code)
    return RedirectResponse(f"/subjects/{ref}?policy={policy}", status_code=303)


# ---- the overrides to decide -----------------------------------------------------------


@router.get("/overrides")
def overrides_page(
    request: Request,
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    state: OverrideState | None = OverrideState.REQUESTED,
    all: bool = False,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    items, total = overrides.list_overrides(
        connection,
        principal,
        state=None if all else state,
        offset=offset,
        limit=PAGE,
        today=today(),
        rule=masking(settings),
    )
    return render(
        request,
        "overrides.html",
        {
            "items": items,
            "total": total,
            "offset": offset,
            "all": all,
            "state_labels": STATE_LABELS,
            "page_size": PAGE,
        },
    )


@router.post("/overrides/{override_id}/{decision}")
def decide_override(
    override_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    decision: str,
    connection: Db,
    principal: CurrentPrincipal,
    note: Annotated[str, Form(max_length=500, pattern=NO_NUL)] = "",
) -> Response:
    day = today()
    if decision in ("approve", "reject"):
        overrides.decide(
            connection, principal, override_id, approve=decision == "approve", note=note, today=day
        )
    elif decision == "withdraw":
        overrides.withdraw(connection, principal, override_id, today=day)
    else:
        raise NotFoundError("未找到 / not found")
    return RedirectResponse("/overrides?all=true", status_code=303)
