"""Console page of the print batches of letters (打印批次): the batches with their state, the
letters waiting for one, and the operator's steps: put the waiting letters of a utility in a
new batch, mark a batch printed or posted. The batch's PDF and print list open from the API's
routes, for readers who may see them (``view_unmasked``). What the notice pages share is
``web/notice_pages.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Connection

from utilcredit.access.model import NotVisibleError, Permission, Principal
from utilcredit.customers.model import Utility
from utilcredit.errors import NotFoundError
from utilcredit.http.deps import Db, Reader
from utilcredit.http.params import NO_NUL
from utilcredit.notices import service as notices
from utilcredit.notices.model import NoticeStatus
from utilcredit.web.counter import Offset, parse_enum, writes
from utilcredit.web.notice_pages import DONE, PAGE, render_page
from utilcredit.web.records import FileCase, Id
from utilcredit.web.steps import Refusal, attempt, form_state, status_of

router = APIRouter(include_in_schema=False)


def _batches_response(
    request: Request,
    connection: Connection,
    principal: Principal,
    *,
    offset: int = 0,
    done: str = "",
    refusal: Refusal | None = None,
) -> HTMLResponse:
    page = notices.list_batches(connection, principal, offset, PAGE)
    counts = notices.queue_counts(connection, principal)
    writable = (
        sorted(u.value for u in principal.utilities) if principal.can(Permission.FILE_CASE) else []
    )
    return render_page(
        request,
        "print_batches.html",
        {
            "page": page,
            "may_write": {
                b.id: writes(principal, Permission.FILE_CASE, b.utility) for b in page.items
            },
            "may_download": principal.can(Permission.VIEW_UNMASKED),
            "writable": writable,
            "queued_letters": counts.get((NoticeStatus.QUEUED.value, "letter"), 0),
            **form_state(done, DONE, refusal),
        },
        status_code=status_of(refusal),
    )


@router.get("/print-batches")
def batches_page(
    request: Request,
    connection: Db,
    principal: Reader,
    offset: Offset = 0,
    done: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    return _batches_response(request, connection, principal, offset=offset, done=done)


def _batch_step(
    request: Request,
    connection: Connection,
    principal: Principal,
    form: str,
    values: dict[str, Any],
    step: Callable[[], Any],
    done: str,
) -> Response:
    try:
        outcome = attempt(connection, form, values, step)
    except NotFoundError as error:
        if isinstance(error, NotVisibleError):
            raise
        # nothing to print: said on the page, next to the form
        outcome = Refusal(form, str(error), None, values, 404)
    if isinstance(outcome, Refusal):
        return _batches_response(request, connection, principal, refusal=outcome)
    return RedirectResponse(f"/print-batches?done={done}", status_code=303)


@router.post("/print-batches")
def create_batch(
    request: Request,
    connection: Db,
    principal: FileCase,
    utility: Annotated[str, Form(max_length=16, pattern=NO_NUL)],
    limit: Annotated[int, Form(ge=1, le=5000)] = 500,
) -> Response:
    return _batch_step(
        request,
        connection,
        principal,
        "batch",
        {"utility": utility, "limit": limit},
        lambda: notices.create_print_batch(
            connection, principal, _utility(utility).value, limit=limit
        ),
        "batch",
    )


def _utility(value: str) -> Utility:
    found = parse_enum(Utility, value, "utility")
    assert found is not None
    return found


@router.post("/print-batches/{batch_id}/mark")
def mark_batch(
    request: Request,
    batch_id: Id,
    connection: Db,
    principal: FileCase,
    state: Annotated[str, Form(pattern="^(printed|posted)$")],
) -> Response:
    return _batch_step(
        request,
        connection,
        principal,
        f"mark-{batch_id}",
        {"state": state},
        lambda: notices.mark_batch(connection, principal, batch_id, state),
        state,
    )
