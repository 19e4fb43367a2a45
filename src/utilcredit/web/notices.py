"""Console pages of notices (通知): the queue with its counts, the failures to handle (resend,
to a corrected address if need be, or cancel) and the phone-call tasks (told / not reached);
one notice with the text sent, its history and its letter; the print batches of letters; and
what the credit file page shows of a subject's notices and how it wants them
(:func:`subject_section`, read by ``web/routes.py``).

Thin like the API router (``api/routers/notices.py``): the same use cases. Contacts are masked
on every page, whoever reads them (the credit file page does the same by default): an operator
who corrects an address types the new one. Letters open from the API's PDF route, for readers
who may see them (``view_unmasked``). A form the services refuse (409, 422) comes back on its
page with the error next to the form (``web/counter.py``'s :func:`attempt`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Connection

from utilcredit.access.model import NotVisibleError, Permission, Principal
from utilcredit.access.visibility import visible_subject
from utilcredit.config import Settings
from utilcredit.creditfile.service import resolve_subject, subject_ref_of
from utilcredit.customers.model import Utility
from utilcredit.errors import NotFoundError
from utilcredit.http.deps import AppSettings, Db, Reader
from utilcredit.http.params import MAX_ID, NO_NUL, SubjectCode, masking
from utilcredit.identifiers import subject_ref
from utilcredit.localtime import SHANGHAI
from utilcredit.notices import contacts as notice_contacts
from utilcredit.notices import service as notices
from utilcredit.notices.model import (
    CHANNEL_LABELS,
    KIND_LABELS,
    NOTICE_MACHINE,
    NOTICE_STATUS_LABELS,
    UNSTOPPABLE,
    NoticeChannel,
    NoticeKind,
    NoticeStatus,
)
from utilcredit.notices.repository import NoticeFilter, NoticeLine
from utilcredit.web.counter import Offset, Refusal, attempt, parse_enum, writes
from utilcredit.web.i18n import LANG_COOKIE, Translator, language
from utilcredit.web.records import FileCase, Filter, Id, Text
from utilcredit.web.rendering import render

router = APIRouter(include_in_schema=False)

PAGE = 20
WORK = 50  # failures and phone-call tasks listed to handle, oldest last
SUBJECT_NOTICES = 10  # the newest of a subject's notices on its page
Short = Annotated[str, Form(max_length=300, pattern=NO_NUL)]

# What a finished form says (``?done=<key>``: only these keys are shown).
DONE = frozenset({"resend", "cancel", "reach", "miss", "batch", "printed", "posted"})
SUBJECT_DONE = frozenset({"contact", "opt_out", "opt_in"})

# ---- the words, Chinese from the model, English beside them -----------------------------------

STATUS_EN = {
    NoticeStatus.QUEUED: "Queued",
    NoticeStatus.SENDING: "Sending",
    NoticeStatus.SENT: "Sent",
    NoticeStatus.DELIVERED: "Delivered",
    NoticeStatus.FAILED: "Failed",
    NoticeStatus.DEAD: "Dead letter (to handle)",
    NoticeStatus.BATCHED: "In a print batch",
    NoticeStatus.CANCELLED: "Cancelled",
}
CHANNEL_EN = {
    NoticeChannel.SMS: "SMS",
    NoticeChannel.WECHAT: "WeChat",
    NoticeChannel.EMAIL: "E-mail",
    NoticeChannel.CALL: "Phone call",
    NoticeChannel.LETTER: "Letter",
}
KIND_EN = {
    NoticeKind.REMINDER: "Credit level reminder",
    NoticeKind.NOTICE_LETTER: "Written notice letter",
    NoticeKind.LETTER_POINTER: "Letter announcement",
    NoticeKind.RESTORED: "Level restored",
    NoticeKind.DEMAND: "Payment demand",
    NoticeKind.COMMITMENT_DUE: "Commitment reminder",
}
ACTION_EN = {
    "claim": "Taken to send",
    "accept": "Accepted by the gateway",
    "retry": "Retry later",
    "reject": "Sending failed",
    "give_up": "Tries used up",
    "interrupt": "Sending interrupted",
    "deliver": "Delivered",
    "bounce": "Bounced",
    "batch": "Put in a print batch",
    "post": "Posted",
    "reach": "Told by phone",
    "miss": "Not reached by phone",
    "resend": "Resend",
    "cancel": "Cancel",
}
STATUS_COLOURS = {
    NoticeStatus.QUEUED.value: "#718096",
    NoticeStatus.SENDING.value: "#2b6cb0",
    NoticeStatus.SENT.value: "#2b6cb0",
    NoticeStatus.DELIVERED.value: "#2f855a",
    NoticeStatus.FAILED.value: "#c53030",
    NoticeStatus.DEAD.value: "#9b2c2c",
    NoticeStatus.BATCHED.value: "#dd6b20",
    NoticeStatus.CANCELLED.value: "#a0aec0",
}
BATCH_ZH = {"created": "待打印", "printed": "已打印", "posted": "已寄出"}
BATCH_EN = {"created": "To print", "printed": "Printed", "posted": "Posted"}
_LABELS: dict[str, tuple[Mapping[Any, str], Mapping[Any, str]]] = {
    "status": (NOTICE_STATUS_LABELS, STATUS_EN),
    "channel": (CHANNEL_LABELS, CHANNEL_EN),
    "kind": (KIND_LABELS, KIND_EN),
    "action": (NOTICE_MACHINE.action_labels, ACTION_EN),
    "batch": (BATCH_ZH, BATCH_EN),
}


@dataclass(frozen=True, slots=True)
class NoticeLabels:
    """Stored values in the page's language (``nl('status', 'dead')``); unknown ones: a dash."""

    t: Translator

    def __call__(self, kind: str, value: Any) -> str:
        if value is None or value == "":
            return "—"
        zh, en = _LABELS[kind]
        key = next((k for k in zh if str(k) == str(value)), None)
        if key is None:
            return "—"
        return self.t.pick(zh[key], en.get(key, zh[key]))


def local(moment: dt.datetime | None) -> str:
    """A stored (UTC) time as people read it: Asia/Shanghai, to the minute."""
    if moment is None:
        return "—"
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _page(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    labels = NoticeLabels(Translator(language(request.cookies.get(LANG_COOKIE))))
    shared = {"nl": labels, "local": local, "status_colours": STATUS_COLOURS}
    return render(request, name, {**context, **shared}, status_code=status_code)


# ---- what a reader is shown -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """A notice as the console lists it: masked, with its subject's link and what the reader
    may do with it now."""

    n: NoticeLine
    ref: str
    actions: tuple[str, ...]


def _actions(notice: NoticeLine, principal: Principal) -> tuple[str, ...]:
    if not writes(principal, Permission.FILE_CASE, notice.utility):
        return ()
    found = NOTICE_MACHINE.actions_from(NOTICE_MACHINE.state(notice.status))
    steps = ["resend", "cancel"]
    if notice.channel == NoticeChannel.CALL.value:
        steps += ["reach", "miss"]
    return tuple(a for a in steps if a in found)


def _row(notice: NoticeLine, principal: Principal, settings: Settings) -> Row:
    return Row(
        notices.masked(notice, masking(settings)),
        subject_ref(notice.subject_id, notice.subject_code, notice.subject_kind),
        _actions(notice, principal),
    )


def _rows(items: list[NoticeLine], principal: Principal, settings: Settings) -> list[Row]:
    return [_row(n, principal, settings) for n in items]


def _listed(
    connection: Connection,
    principal: Principal,
    settings: Settings,
    f: NoticeFilter,
    limit: int,
    offset: int = 0,
) -> tuple[list[Row], bool]:
    page = notices.list_notices(
        connection, principal, f, rule=masking(settings), offset=offset, limit=limit
    )
    return _rows(page.items, principal, settings), page.has_more


# ---- the queue ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filters:
    status: str = ""
    channel: str = ""
    kind: str = ""
    subject: str = ""
    batch: int | None = None

    def query(self) -> str:
        return urlencode({k: v for k, v in vars_of(self).items() if v})


def vars_of(item: Any) -> dict[str, Any]:
    return {name: getattr(item, name) for name in item.__dataclass_fields__}


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
    rows, has_more = _listed(
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
    failures, more_failures = _listed(
        connection,
        principal,
        settings,
        NoticeFilter(utilities=(), statuses=[NoticeStatus.FAILED.value, NoticeStatus.DEAD.value]),
        WORK,
    )
    calls, more_calls = _listed(
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
    return _page(
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
            "done": done if done in DONE else "",
            "refusal": refusal,
            "v": refusal.values if refusal else {},
        },
        status_code=refusal.status if refusal else 200,
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
    return _page(
        request,
        "notice.html",
        {
            "row": _row(notice, principal, settings),
            "attempts": attempts,
            "letter": notice.channel == NoticeChannel.LETTER.value,
            "may_see_letter": principal.can(Permission.VIEW_UNMASKED),
            "done": done if done in DONE else "",
            "refusal": refusal,
            "v": refusal.values if refusal else {},
        },
        status_code=refusal.status if refusal else 200,
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


Back = Annotated[str, Form(pattern="^(queue|notice)$")]


def _step(
    request: Request,
    connection: Connection,
    principal: Principal,
    settings: Settings,
    notice_id: int,
    action: str,
    values: dict[str, Any],
    step: Callable[[], Any],
    back: str,
) -> Response:
    """Run one operator step; back to the page the form was on (the queue or the notice)."""
    form = f"{action}-{notice_id}"
    outcome = attempt(connection, form, values, step)
    if isinstance(outcome, Refusal):
        if back == "notice":
            return _notice_response(
                request, connection, principal, settings, notice_id, refusal=outcome
            )
        return _queue_response(request, connection, principal, settings, Filters(), refusal=outcome)
    if back == "notice":
        return RedirectResponse(f"/notices/{notice_id}?done={action}", status_code=303)
    return RedirectResponse(f"/notices?done={action}", status_code=303)


@router.post("/notices/{notice_id}/resend")
def resend_notice(
    request: Request,
    notice_id: Id,
    connection: Db,
    principal: FileCase,
    settings: AppSettings,
    recipient: Short = "",
    back: Back = "queue",
) -> Response:
    return _step(
        request,
        connection,
        principal,
        settings,
        notice_id,
        "resend",
        {"recipient": recipient},
        lambda: notices.resend(
            connection, principal, notice_id, recipient=recipient.strip() or None
        ),
        back,
    )


@router.post("/notices/{notice_id}/cancel")
def cancel_notice(
    request: Request,
    notice_id: Id,
    connection: Db,
    principal: FileCase,
    settings: AppSettings,
    reason: Text = "",
    back: Back = "queue",
) -> Response:
    return _step(
        request,
        connection,
        principal,
        settings,
        notice_id,
        "cancel",
        {"reason": reason},
        lambda: notices.cancel(connection, principal, notice_id, reason),
        back,
    )


@router.post("/notices/{notice_id}/call")
def record_call(
    request: Request,
    notice_id: Id,
    connection: Db,
    principal: FileCase,
    settings: AppSettings,
    reached: Annotated[str, Form(pattern="^(yes|no)$")],
    note: Text = "",
    back: Back = "queue",
) -> Response:
    return _step(
        request,
        connection,
        principal,
        settings,
        notice_id,
        "reach" if reached == "yes" else "miss",
        {"note": note},
        lambda: notices.record_call(
            connection, principal, notice_id, reached=reached == "yes", note=note.strip() or None
        ),
        back,
    )


# ---- print batches ------------------------------------------------------------------------------


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
    return _page(
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
            "done": done if done in DONE else "",
            "refusal": refusal,
            "v": refusal.values if refusal else {},
        },
        status_code=refusal.status if refusal else 200,
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


# ---- the credit file page: a subject's notices and preferences --------------------------------


def subject_section(
    request: Request,
    connection: Connection,
    principal: Principal,
    code: str,
    *,
    settings: Settings,
) -> dict[str, Any]:
    """What the credit file page shows of the subject's notices (the newest) and of where it
    wants them; ``notice_*`` keys of the page's context (``partials/subject_notices.html``)."""
    subject_id, utilities = visible_subject(connection, principal, code)
    rows, more = _listed(
        connection,
        principal,
        settings,
        NoticeFilter(utilities=(), subject_id=subject_id),
        SUBJECT_NOTICES,
    )
    done = request.query_params.get("notice_done", "")
    return {
        "notice_rows": rows,
        "notice_more": more,
        "notice_preferences": notice_contacts.preferences(connection, principal, code),
        "notice_may_edit": principal.can(Permission.FILE_CASE)
        and any(principal.may_write_utility(u) for u in utilities),
        "notice_contact_channels": [c for c in NoticeChannel if c is not NoticeChannel.CALL],
        "notice_opt_out_channels": [c for c in NoticeChannel if c not in UNSTOPPABLE],
        "notice_done": done if done in SUBJECT_DONE else "",
        "nl": NoticeLabels(Translator(language(request.cookies.get(LANG_COOKIE)))),
        "local": local,
        "status_colours": STATUS_COLOURS,
    }


def _back_to_subject(connection: Connection, code: str, done: str) -> Response:
    ref = subject_ref_of(connection, code)
    return RedirectResponse(f"/subjects/{ref}?notice_done={done}#subject-notices", status_code=303)


@router.post("/subjects/{code}/notice-contacts")
def set_contact(
    code: SubjectCode,
    connection: Db,
    principal: FileCase,
    channel: Annotated[str, Form(max_length=16, pattern=NO_NUL)],
    address: Short = "",
) -> Response:
    """Record where the subject wants notices on a channel (empty: forget it)."""
    found = resolve_subject(connection, principal, code)
    notice_contacts.set_contact(connection, principal, found, channel, address.strip() or None)
    return _back_to_subject(connection, found, "contact")


@router.post("/subjects/{code}/notice-opt-outs")
def set_opt_out(
    code: SubjectCode,
    connection: Db,
    principal: FileCase,
    channel: Annotated[str, Form(max_length=16, pattern=NO_NUL)],
    opted_out: Annotated[str, Form(pattern="^(yes|no)$")] = "yes",
    reason: Short = "",
) -> Response:
    """The subject opts out of a channel, or back in (never out of the letter)."""
    found = resolve_subject(connection, principal, code)
    notice_contacts.set_opt_out(
        connection,
        principal,
        found,
        channel,
        opted_out=opted_out == "yes",
        reason=reason.strip() or None,
    )
    return _back_to_subject(connection, found, "opt_out" if opted_out == "yes" else "opt_in")
