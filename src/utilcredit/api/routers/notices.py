"""Notices (提醒 · 书面告知函 · 催告): the outbox, its history, phone-call tasks, letters and
their print batches, a run's preview, a subject's notices, delivery receipts. A subject's
contacts and opt-outs are in :mod:`utilcredit.api.routers.notice_contacts`.

Everybody who reads a utility sees its notices; contacts and natural persons' ID numbers are
masked for readers without ``view_unmasked``. The letters themselves (one letter, a batch's PDF
and print list) carry names and postal addresses in clear: only readers with
``view_unmasked`` get them. Operators (``file_case``) resend, cancel, record calls, and make and
mark print batches. Another utility's notice, batch, run or subject answers 404 (audited).

``POST /api/notices/receipts`` is the SMS and WeChat gateways' own: it takes no user's
credentials but the gateways' bearer token (``UTILCREDIT_NOTICES_RECEIPT_TOKEN``), which the
request guard checks before it reads the body and the route checks again.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy import Connection

from utilcredit.access.model import AuthenticationError, Permission, Principal
from utilcredit.access.visibility import visible_subject
from utilcredit.api.schemas import ERROR_RESPONSES, SUBJECT_REF
from utilcredit.api.schemas_notices import (
    AttemptOut,
    BatchDetailOut,
    BatchOut,
    BatchPage,
    BatchRequest,
    CallRequest,
    CancelRequest,
    MarkRequest,
    NoticeDetailOut,
    NoticeOut,
    NoticePage,
    PlannedOut,
    PreviewOut,
    QueueCountOut,
    QueueSummaryOut,
    ReceiptsOut,
    ReceiptsRequest,
    ResendRequest,
)
from utilcredit.config import Settings
from utilcredit.creditfile.service import resolve_subject
from utilcredit.customers.model import UTILITY_ZH
from utilcredit.errors import NotFoundError
from utilcredit.http.deps import AppSettings, Db, Reader, Requires
from utilcredit.http.files import pdf_response
from utilcredit.http.guard import gateway_authorized
from utilcredit.http.params import MAX_ID, NO_NUL, PagingDep, SubjectCode, masking
from utilcredit.identifiers import subject_ref
from utilcredit.localtime import today
from utilcredit.notices import letters, planning
from utilcredit.notices import service as notices
from utilcredit.notices.model import (
    CHANNEL_LABELS,
    KIND_LABELS,
    NOTICE_MACHINE,
    NOTICE_STATUS_LABELS,
    OPERATOR_ACTIONS,
    NoticeChannel,
    NoticeKind,
    NoticeStatus,
    mask_recipient,
)
from utilcredit.notices.repository import NoticeFilter, NoticeLine
from utilcredit.paging import Page

FileCase = Annotated[Principal, Depends(Requires(Permission.FILE_CASE))]
# Letters carry the recipient's name and postal address in clear (they go on envelopes).
Unmasked = Annotated[Principal, Depends(Requires(Permission.VIEW_UNMASKED))]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]

router = APIRouter(tags=["notices"], responses=ERROR_RESPONSES)

#: The steps an operator takes on one notice (batching and posting are the print batches').
NOTICE_STEPS = ("resend", "cancel", "reach", "miss")


# ---- answers --------------------------------------------------------------------------------


def notice_out(notice: NoticeLine, principal: Principal, settings: Settings) -> NoticeOut:
    shown = notices.masked(notice, masking(settings))  # every answer about a notice is masked
    return NoticeOut.model_validate(
        {
            **{name: getattr(shown, name) for name in NoticeLine.__dataclass_fields__},
            # links name a natural person by reference (from the stored code, never the shown)
            "subject_ref": subject_ref(notice.subject_id, notice.subject_code, notice.subject_kind),
            "kind_zh": KIND_LABELS[NoticeKind(notice.kind)],
            "channel_zh": CHANNEL_LABELS[NoticeChannel(notice.channel)],
            "status_zh": NOTICE_STATUS_LABELS[NoticeStatus(notice.status)],
        }
    )


def page_out(page: Page[NoticeLine], principal: Principal, settings: Settings) -> NoticePage:
    return NoticePage(
        items=[notice_out(n, principal, settings) for n in page.items],
        offset=page.offset,
        limit=page.limit,
        has_more=page.has_more,
    )


def next_actions(notice: NoticeLine) -> list[str]:
    """What an operator may do with the notice now (a call's outcome only for a call task)."""
    found = NOTICE_MACHINE.actions_from(NOTICE_MACHINE.state(notice.status))
    steps = [a for a in NOTICE_STEPS if a in found and a in OPERATOR_ACTIONS]
    if notice.channel != NoticeChannel.CALL.value:
        steps = [a for a in steps if a not in ("reach", "miss")]
    return steps


def _detail(
    connection: Connection, principal: Principal, settings: Settings, notice_id: int
) -> NoticeDetailOut:
    notice, attempts = notices.notice_detail(
        connection, principal, notice_id, rule=masking(settings)
    )
    return NoticeDetailOut(
        notice=notice_out(notice, principal, settings),
        attempts=[
            AttemptOut.model_validate(
                {
                    **{name: getattr(a, name) for name in a.__dataclass_fields__},
                    "action_zh": NOTICE_MACHINE.action_labels.get(a.action, a.action),
                }
            )
            for a in attempts
        ],
        next_actions=next_actions(notice),
    )


def _subject_id(connection: Connection, principal: Principal, ref: str) -> tuple[str, int]:
    """The code and id of the subject ``ref`` names (404, audited, outside the reader's
    utilities)."""
    code = resolve_subject(connection, principal, ref)
    subject_id, _ = visible_subject(connection, principal, code)
    return code, subject_id


# ---- the outbox -----------------------------------------------------------------------------


@router.get(
    "/notices", response_model=NoticePage, summary="通知（最新在前） / notices, newest first"
)
def list_notices(
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    paging: PagingDep,
    status: Annotated[list[NoticeStatus] | None, Query()] = None,
    channel: Annotated[list[NoticeChannel] | None, Query()] = None,
    kind: Annotated[list[NoticeKind] | None, Query()] = None,
    subject: Annotated[
        str | None, Query(max_length=32, pattern=NO_NUL, description="code or " + SUBJECT_REF)
    ] = None,
    run_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    batch_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> NoticePage:
    page = notices.list_notices(
        connection,
        principal,
        NoticeFilter(
            utilities=(),
            statuses=[s.value for s in status or ()],
            channels=[c.value for c in channel or ()],
            kinds=[k.value for k in kind or ()],
            subject_id=None if subject is None else _subject_id(connection, principal, subject)[1],
            run_id=run_id,
            batch_id=batch_id,
        ),
        rule=masking(settings),
        offset=paging.offset,
        limit=paging.limit,
    )
    return page_out(page, principal, settings)


@router.get(
    "/notices/summary",
    response_model=QueueSummaryOut,
    summary="按状态与渠道计数 / the queue: counts by status and channel",
)
def summary(connection: Db, principal: Reader) -> QueueSummaryOut:
    counts = notices.queue_counts(connection, principal)
    by_status: dict[str, int] = {}
    by_channel: dict[str, int] = {}
    for (status, channel), n in counts.items():
        by_status[status] = by_status.get(status, 0) + n
        by_channel[channel] = by_channel.get(channel, 0) + n
    return QueueSummaryOut(
        total=sum(counts.values()),
        by_status=by_status,
        by_channel=by_channel,
        counts=[
            QueueCountOut(status=s, channel=c, count=n) for (s, c), n in sorted(counts.items())
        ],
    )


@router.post(
    "/notices/receipts",
    response_model=ReceiptsOut,
    summary="送达回执（短信/微信网关，以网关令牌认证） / delivery receipts from the gateways",
    responses={401: ERROR_RESPONSES[401]},
)
def receipts(
    body: ReceiptsRequest, request: Request, connection: Db, settings: AppSettings
) -> ReceiptsOut:
    """Not a user's route: ``Authorization: Bearer <UTILCREDIT_NOTICES_RECEIPT_TOKEN>``."""
    if not gateway_authorized(settings, request.headers.get("authorization")):
        raise AuthenticationError("回执令牌无效 / invalid receipt token")
    results = notices.record_receipts(
        connection,
        [notices.Receipt(r.key, r.status == "delivered", r.detail) for r in body.receipts],
    )
    return ReceiptsOut.model_validate({"results": results})


@router.get(
    "/notices/{notice_id}",
    response_model=NoticeDetailOut,
    summary="通知及其发送记录 / a notice with its history",
)
def get_notice(
    notice_id: Id, connection: Db, principal: Reader, settings: AppSettings
) -> NoticeDetailOut:
    return _detail(connection, principal, settings, notice_id)


@router.post(
    "/notices/{notice_id}/resend",
    response_model=NoticeDetailOut,
    summary="重发失败或待人工处理的通知 / resend a failed or dead-lettered notice",
)
def resend(
    notice_id: Id,
    connection: Db,
    principal: FileCase,
    settings: AppSettings,
    body: ResendRequest | None = None,
) -> NoticeDetailOut:
    notices.resend(connection, principal, notice_id, recipient=(body or ResendRequest()).recipient)
    return _detail(connection, principal, settings, notice_id)


@router.post(
    "/notices/{notice_id}/cancel", response_model=NoticeDetailOut, summary="取消通知 / cancel"
)
def cancel(
    notice_id: Id, body: CancelRequest, connection: Db, principal: FileCase, settings: AppSettings
) -> NoticeDetailOut:
    notices.cancel(connection, principal, notice_id, body.reason)
    return _detail(connection, principal, settings, notice_id)


@router.post(
    "/notices/{notice_id}/call",
    response_model=NoticeDetailOut,
    summary="登记电话告知结果 / the outcome of a phone-call task",
)
def call(
    notice_id: Id, body: CallRequest, connection: Db, principal: FileCase, settings: AppSettings
) -> NoticeDetailOut:
    notices.record_call(connection, principal, notice_id, reached=body.reached, note=body.note)
    return _detail(connection, principal, settings, notice_id)


@router.get(
    "/notices/{notice_id}/letter.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
    summary="函件 PDF（预览，不改变状态；需 view_unmasked） / the letter of a letter notice",
)
def letter_pdf(
    notice_id: Id, connection: Db, principal: Unmasked, settings: AppSettings
) -> Response:
    notice = notices.visible_notice(connection, principal, notice_id)
    if notice.channel != NoticeChannel.LETTER.value:
        raise NotFoundError(f"通知 {notice_id} 不是函件 / notice {notice_id} is not a letter")
    pdf = letters.letter_pdf(connection, notice, today(), masking(settings))
    return pdf_response(pdf, f"notice-{notice_id}.pdf", inline=True)


# ---- a run's notices, before they are sent --------------------------------------------------


@router.get(
    "/runs/{run_id}/notices/preview",
    response_model=PreviewOut,
    summary="评级运行将发送的通知（不保存） / what a run's level changes would send; nothing stored",
)
def preview(
    run_id: Id, connection: Db, principal: Reader, settings: AppSettings, paging: PagingDep
) -> PreviewOut:
    report = planning.preview_run(
        connection, principal, run_id, sending=planning.Sending.of(settings.notices)
    )
    shown = report.planned[paging.offset : paging.offset + paging.limit]
    return PreviewOut(
        run_id=run_id,
        new=len(report.planned),
        already_planned=report.already,
        unreachable=report.unreachable,
        by_kind_channel={f"{k}/{c}": n for (k, c), n in sorted(report.tally().items())},
        items=[
            PlannedOut(
                key=p.draft.key,
                kind=p.draft.kind.value,
                channel=p.draft.channel.value,
                subject_id=p.draft.subject_id,
                subject_name=p.draft.variables.get("subject_name"),
                recipient=mask_recipient(p.draft.channel.value, p.draft.recipient),
                title=p.title,
                body=p.body,
                due_at=p.due_at,
            )
            for p in shown
        ],
        offset=paging.offset,
        limit=paging.limit,
        has_more=len(report.planned) > paging.offset + paging.limit,
    )


# ---- print batches --------------------------------------------------------------------------


@router.get("/print-batches", response_model=BatchPage, summary="打印批次 / print batches")
def list_batches(connection: Db, principal: Reader, paging: PagingDep) -> BatchPage:
    page = notices.list_batches(connection, principal, paging.offset, paging.limit)
    return BatchPage(
        items=[BatchOut.model_validate(b) for b in page.items],
        offset=page.offset,
        limit=page.limit,
        has_more=page.has_more,
    )


def _batch_detail(
    connection: Connection, principal: Principal, settings: Settings, batch_id: int
) -> BatchDetailOut:
    batch = notices.visible_batch(connection, principal, batch_id)
    return BatchDetailOut(
        batch=BatchOut.model_validate(batch),
        notices=[
            notice_out(n, principal, settings)
            for n in notices.batch_notices(connection, principal, batch_id)
        ],
    )


@router.post(
    "/print-batches",
    response_model=BatchDetailOut,
    status_code=201,
    summary="把待寄函件编入打印批次 / collect a utility's queued letters into a print batch",
)
def create_batch(
    body: BatchRequest, connection: Db, principal: FileCase, settings: AppSettings
) -> BatchDetailOut:
    batch = notices.create_print_batch(connection, principal, body.utility.value, limit=body.limit)
    return _batch_detail(connection, principal, settings, batch.id)


@router.get("/print-batches/{batch_id}", response_model=BatchDetailOut)
def get_batch(
    batch_id: Id, connection: Db, principal: Reader, settings: AppSettings
) -> BatchDetailOut:
    return _batch_detail(connection, principal, settings, batch_id)


@router.post(
    "/print-batches/{batch_id}/mark",
    response_model=BatchDetailOut,
    summary="标记已打印、已寄出（寄出即发送批内函件） / mark printed, then posted (sends them)",
)
def mark_batch(
    batch_id: Id, body: MarkRequest, connection: Db, principal: FileCase, settings: AppSettings
) -> BatchDetailOut:
    notices.mark_batch(connection, principal, batch_id, body.state)
    return _batch_detail(connection, principal, settings, batch_id)


def _batch_title(batch_id: int, utility: str) -> str:
    return f"打印批次 {batch_id}（{UTILITY_ZH.get(utility, utility)}）"


@router.get(
    "/print-batches/{batch_id}/letters.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
    summary="批次函件 PDF（打印清单与每封函件；需 view_unmasked） / the batch's letters",
)
def batch_pdf(batch_id: Id, connection: Db, principal: Unmasked, settings: AppSettings) -> Response:
    batch = notices.visible_batch(connection, principal, batch_id)
    found = notices.batch_notices(connection, principal, batch_id)
    pdf = letters.batch_pdf(
        connection, _batch_title(batch_id, batch.utility), found, today(), masking(settings)
    )
    return pdf_response(pdf, f"print-batch-{batch_id}.pdf", inline=False)


@router.get(
    "/print-batches/{batch_id}/print-list.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
    summary="打印清单 CSV（邮寄用；需 view_unmasked） / the print list for the post room",
)
def print_list(batch_id: Id, connection: Db, principal: Unmasked) -> Response:
    found = notices.batch_notices(connection, principal, batch_id)
    return Response(
        letters.print_list_csv(found),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="print-batch-{batch_id}.csv"'},
    )


# ---- a subject's notices --------------------------------------------------------------------


@router.get(
    "/subjects/{code}/notices",
    response_model=NoticePage,
    tags=["subjects"],
    summary="主体的通知（最新在前） / the subject's notices, newest first",
)
def subject_notices(
    code: SubjectCode, connection: Db, principal: Reader, settings: AppSettings, paging: PagingDep
) -> NoticePage:
    _, subject_id = _subject_id(connection, principal, code)
    page = notices.list_notices(
        connection,
        principal,
        NoticeFilter(utilities=(), subject_id=subject_id),
        rule=masking(settings),
        offset=paging.offset,
        limit=paging.limit,
    )
    return page_out(page, principal, settings)
