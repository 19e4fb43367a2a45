"""Console pages of notices (通知): the queue with its counts, the failures to handle (resend,
to a corrected address if need be, or cancel) and the phone-call tasks (told / not reached);
one notice with the text sent, its history and its letter; and the operator's steps on a
notice, posted from either page. What the notice pages share is ``web/notice_pages.py``; the
print batches are ``web/print_batches.py``, a subject's notices ``web/subject_notices.py``.

Thin like the API router (``api/routers/notices.py``): the same use cases. Letters open from
the API's PDF route, for readers who may see them (``view_unmasked``). A step the services
refuse (409, 422) comes back on the page it was posted from, with the error next to the form
(``web/steps.py``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Connection

from utilcredit.access.model import Permission, Principal
from utilcredit.access.visibility import visible_subject
from utilcredit.config import Settings
from utilcredit.creditfile.service import resolve_subject
from utilcredit.http.deps import AppSettings, Db, Reader
from utilcredit.http.params import MAX_ID, NO_NUL, masking
from utilcredit.notices import service as notices
from utilcredit.notices.model import NoticeChannel, NoticeKind, NoticeStatus
from utilcredit.notices.repository import NoticeFilter
from utilcredit.web.counter import Offset, Short, parse_enum
from utilcredit.web.notice_pages import DONE, PAGE, listed, render_page, row
from utilcredit.web.records import Filter, Id, Text
from utilcredit.web.steps import (
    REQUIRED,
    Posted,
    Refusal,
    Step,
    StepPage,
    add_steps,
    form_field,
    form_state,
    status_of,
)

router = APIRouter(include_in_schema=False)

WORK = 50  # failures and phone-call tasks listed to handle, oldest last

# ---- the queue ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filters:
    status: str = ""
    channel: str = ""
    kind: str = ""
    subject: str = ""
    batch: int | None = None

    def query(self) -> str:
        return urlencode({k: v for k, v in asdict(self).items() if v})


def _queue_response(
    request: Request,
    connection: Connection,
    principal: Principal,
    settings: Settings,
    filters: Filters,
    *,
    offset: int = 0,
    done: str = "",
    refusal: Refusal | None = None,
) -> HTMLResponse:
    parse_enum(NoticeStatus, filters.status, "status", optional=True)
    parse_enum(NoticeChannel, filters.channel, "channel", optional=True)
    parse_enum(NoticeKind, filters.kind, "kind", optional=True)
    subject_id = None
    if filters.subject:
        code = resolve_subject(connection, principal, filters.subject)
        subject_id, _ = visible_subject(connection, principal, code)
    rows, has_more = listed(
        connection,
        principal,
        settings,
        NoticeFilter(
            utilities=(),
            statuses=[filters.status] if filters.status else (),
            channels=[filters.channel] if filters.channel else (),
            kinds=[filters.kind] if filters.kind else (),
            subject_id=subject_id,
            batch_id=filters.batch,
        ),
        PAGE,
        offset,
    )
    failures, more_failures = listed(
        connection,
        principal,
        settings,
        NoticeFilter(utilities=(), statuses=[NoticeStatus.FAILED.value, NoticeStatus.DEAD.value]),
        WORK,
    )
    calls, more_calls = listed(
        connection,
        principal,
        settings,
        NoticeFilter(
            utilities=(),
            statuses=[NoticeStatus.QUEUED.value],
            channels=[NoticeChannel.CALL.value],
        ),
        WORK,
    )
    counts = notices.queue_counts(connection, principal)
    statuses = [s for s in NoticeStatus if any(k[0] == s.value for k in counts)]
    channels = [c for c in NoticeChannel if any(k[1] == c.value for k in counts)]
    return render_page(
        request,
        "notices.html",
        {
            "rows": rows,
            "offset": offset,
            "has_more": has_more,
            "page_size": PAGE,
            "failures": failures,
            "more_failures": more_failures,
            "calls": calls,
            "more_calls": more_calls,
            "counts": counts,
            "count_statuses": statuses,
            "count_channels": channels,
            "total": sum(counts.values()),
            "filters": filters,
            "query": filters.query(),
            "statuses": tuple(NoticeStatus),
            "channels": tuple(NoticeChannel),
            "kinds": tuple(NoticeKind),
            **form_state(done, DONE, refusal),
        },
        status_code=status_of(refusal),
    )


@router.get("/notices")
def notices_page(
    request: Request,
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    status: Filter = "",
    channel: Filter = "",
    kind: Filter = "",
    subject: Annotated[str, Query(max_length=32, pattern=NO_NUL)] = "",
    batch: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    offset: Offset = 0,
    done: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    filters = Filters(status, channel, kind, subject, batch)
    return _queue_response(
        request, connection, principal, settings, filters, offset=offset, done=done
    )


# ---- one notice -------------------------------------------------------------------------------


def _notice_response(
    request: Request,
    connection: Connection,
    principal: Principal,
    settings: Settings,
    notice_id: int,
    *,
    done: str = "",
    refusal: Refusal | None = None,
) -> HTMLResponse:
    notice, attempts = notices.notice_detail(
        connection, principal, notice_id, rule=masking(settings)
    )
    return render_page(
        request,
        "notice.html",
        {
            "row": row(notice, principal, settings),
            "attempts": attempts,
            "letter": notice.channel == NoticeChannel.LETTER.value,
            "may_see_letter": principal.can(Permission.VIEW_UNMASKED),
            **form_state(done, DONE, refusal),
        },
        status_code=status_of(refusal),
    )


@router.get("/notices/{notice_id}")
def notice_page(
    request: Request,
    notice_id: Id,
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    done: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    return _notice_response(request, connection, principal, settings, notice_id, done=done)


# ---- the operator's steps, from the queue or the notice ----------------------------------------


def _resend(posted: Posted) -> object:
    recipient = posted.fields["recipient"].strip() or None
    return notices.resend(posted.connection, posted.principal, posted.id, recipient=recipient)


def _cancel(posted: Posted) -> object:
    reason = posted.fields["reason"]
    return notices.cancel(posted.connection, posted.principal, posted.id, reason)


def _reached(posted: Posted) -> bool:
    return bool(posted.fields["reached"] == "yes")


def _record_call(posted: Posted) -> object:
    note = posted.fields["note"].strip() or None
    return notices.record_call(
        posted.connection, posted.principal, posted.id, reached=_reached(posted), note=note
    )


def _from_notice(posted: Posted) -> bool:
    """Whether the step was posted from the notice's page (else from the queue)."""
    return bool(posted.fields["back"] == "notice")


def _show(posted: Posted, refusal: Refusal) -> HTMLResponse:
    request, connection, principal = posted.request, posted.connection, posted.principal
    if _from_notice(posted):
        return _notice_response(
            request, connection, principal, posted.settings, posted.id, refusal=refusal
        )
    return _queue_response(
        request, connection, principal, posted.settings, Filters(), refusal=refusal
    )


def _back(posted: Posted, done: str) -> str:
    if _from_notice(posted):
        return f"/notices/{posted.id}?done={done}"
    return f"/notices?done={done}"


STEP_PAGE = StepPage(
    "/notices/{notice_id}",
    show=_show,
    back=_back,
    # The queue lists many notices, each with its forms: the refusal shows next to its own.
    form=lambda posted, name: f"{name}-{posted.id}",
    fields=(form_field("back", Annotated[str, Form(pattern="^(queue|notice)$")], "queue"),),
)
STEPS = (
    Step("resend", _resend, (form_field("recipient", Short),)),
    Step("cancel", _cancel, (form_field("reason", Text),)),
    Step(
        "call",
        _record_call,
        (
            form_field("reached", Annotated[str, Form(pattern="^(yes|no)$")], REQUIRED),
            form_field("note", Text),
        ),
        name=lambda posted: "reach" if _reached(posted) else "miss",
        values=lambda posted: {"note": posted.fields["note"]},
    ),
)
add_steps(router, STEP_PAGE, STEPS)
