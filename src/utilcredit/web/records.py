"""Console pages of the dishonesty-record register (失信记录 · 异议 · 信用修复): the list, a
record with its evidence, history, deadlines and the forms the reader may use now, and the
reviewer's queue. Thin like the API router (``api/routers/records.py``): the same use cases.

Forms post with the session's CSRF token and go back to the record page with a message. A
form the services refuse (409, 422) comes back on the record page with the error and what was
typed: the request's transaction has rolled back by then, so :func:`retry_page` reads the page
in a transaction of its own (called by the console's error page, ``web/app.py``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from utilcredit.access.model import Permission, Principal
from utilcredit.config import Settings
from utilcredit.errors import InvalidInputError, UtilcreditError
from utilcredit.http.deps import AppSettings, Db, Reader, Requires, engine_of
from utilcredit.http.params import MAX_ID, NO_NUL, masking
from utilcredit.localtime import today
from utilcredit.policies.model.dishonesty import DishonestyClass
from utilcredit.policies.service import shipped
from utilcredit.records import objections, repairs, service
from utilcredit.records.attachments import Upload, attachments_folder
from utilcredit.records.model import RepairDecision
from utilcredit.records.objections import Correction, ObjectionDecision
from utilcredit.web import casework
from utilcredit.web.casework import FormRetry
from utilcredit.web.rendering import render

router = APIRouter(include_in_schema=False)

FileCase = Annotated[Principal, Depends(Requires(Permission.FILE_CASE))]
DecideCase = Annotated[Principal, Depends(Requires(Permission.DECIDE_CASE))]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Text = Annotated[str, Form(max_length=2000, pattern=NO_NUL)]
Choice = Annotated[str, Form(max_length=64, pattern=NO_NUL)]
Filter = Annotated[str, Query(max_length=64, pattern=NO_NUL)]
PAGE = 20
RETRIED_STATUSES = frozenset({409, 422})
# What a finished form says on the record page (``?done=<key>``: only these keys are shown).
DONE = frozenset(
    {
        "confirmed",
        "dismissed",
        "objection_filed",
        "objection_decided",
        "objection_withdrawn",
        "repair_applied",
        "repair_accepted",
        "repair_decided",
        "repair_closed",
        "repair_withdrawn",
    }
)


# ---- the list and the queue ------------------------------------------------------------


@router.get("/records")
def records_page(
    request: Request,
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    status: Filter = "",
    record_class: Annotated[str, Query(alias="class", max_length=64, pattern=NO_NUL)] = "",
    kind: Filter = "",
    policy: Filter = "",
    subject: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    overdue: bool = False,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    page = service.list_records(
        connection,
        principal,
        statuses=[status] if status else (),
        classes=[record_class] if record_class else (),
        kinds=[kind] if kind else (),
        policy_key=policy or None,
        subject_id=subject,
        overdue_on=today() if overdue else None,
        offset=offset,
        limit=PAGE,
    )
    filters = {
        "status": status,
        "class": record_class,
        "kind": kind,
        "policy": policy,
        "subject": subject or "",
        "overdue": "true" if overdue else "",
    }
    readable = principal.readable_utilities
    policies = {
        p.key: p
        for p in shipped()
        if p.policy.dishonesty is not None and p.policy.utility in readable
    }
    return render(
        request,
        "records.html",
        {
            "page": page,
            "rows": casework.rows(page.items, principal, masking(settings)),
            "filters": filters,
            "query": urlencode({k: v for k, v in filters.items() if v}),
            "policies": sorted(policies.values(), key=lambda p: p.key),
            "statuses": casework.RECORD_STATUSES,
            "kinds": casework.KINDS,
            "classes": casework.CLASSES,
        },
    )


@router.get("/records/queue")
def queue_page(
    request: Request, connection: Db, principal: Reader, settings: AppSettings
) -> Response:
    day = today()
    queue = casework.review_queue(connection, principal, today=day, rule=masking(settings))
    return render(request, "records_queue.html", {"queue": queue, "today": day})


# ---- one record ------------------------------------------------------------------------


def _record_response(
    request: Request,
    connection: Any,
    principal: Principal,
    settings: Settings,
    record_id: int,
    *,
    done: str = "",
    retry: FormRetry | None = None,
    status_code: int = 200,
) -> Response:
    day = today()
    page = casework.record_page(connection, principal, record_id, today=day, rule=masking(settings))
    return render(
        request,
        "record.html",
        {
            "page": page,
            "record": page.record,
            "done": done if done in DONE else "",
            "retry": retry,
            "today": day,
            "classes": casework.CLASSES,
        },
        status_code=status_code,
    )


@router.get("/records/{record_id}")
def record_page(
    request: Request,
    record_id: Id,
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    done: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    return _record_response(request, connection, principal, settings, record_id, done=done)


def retry_page(request: Request, retry: FormRetry, status: int, message: str) -> Response | None:
    """The record page again with a refused form's error and values, read in a transaction of
    its own (the request's has rolled back); None when it cannot be shown."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None or status not in RETRIED_STATUSES:
        return None
    settings: Settings = request.app.state.settings
    try:
        with engine_of(request).begin() as connection:
            return _record_response(
                request,
                connection,
                principal,
                settings,
                retry.record_id,
                retry=replace(retry, message=message),
                status_code=status,
            )
    except UtilcreditError:
        return None


def _retry(request: Request, record_id: int, form: str, **values: Any) -> None:
    """Remember the form, so that a refusal shows it again (see :func:`retry_page`)."""
    request.state.form_retry = FormRetry(record_id, form, values)


def _back(record_id: int, done: str, anchor: str = "") -> RedirectResponse:
    target = f"/records/{record_id}?done={done}"
    return RedirectResponse(f"{target}#{anchor}" if anchor else target, status_code=303)


def _uploads(files: list[UploadFile] | None, settings: Settings) -> list[Upload]:
    limit = settings.records.attachment_max_bytes
    # A file input left empty still sends a part without a name: no file. One byte past the
    # limit is enough to refuse, so a large file is never read whole.
    return [Upload(f.filename, f.file.read(limit + 1)) for f in files or [] if f.filename]


def _date(text: str) -> dt.date | None:
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInputError(
            f"日期无效：{text}（应为 YYYY-MM-DD） / invalid date {text} (YYYY-MM-DD)"
        ) from None


def _amount(text: str) -> Decimal | None:
    if not text.strip():
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        raise InvalidInputError(
            f"金额无效：{text}（元，最多两位小数） / invalid amount {text} (yuan, 2 decimals)"
        )
    return value


def _choice(value: str, allowed: dict[str, Any], what_zh: str, what_en: str) -> Any:
    if value not in allowed:
        raise InvalidInputError(f"请选择{what_zh} / choose {what_en}")
    return allowed[value]


@router.post("/records/{record_id}/confirm")
def confirm(
    request: Request,
    record_id: Id,
    connection: Db,
    principal: DecideCase,
    settings: AppSettings,
    note: Text = "",
) -> Response:
    _retry(request, record_id, "confirm", note=note)
    service.confirm(
        connection, principal, record_id, today=today(), settings=settings.records, note=note
    )
    return _back(record_id, "confirmed")


@router.post("/records/{record_id}/dismiss")
def dismiss(
    request: Request,
    record_id: Id,
    connection: Db,
    principal: DecideCase,
    reason: Text = "",
    exemption: Choice = "",
) -> Response:
    _retry(request, record_id, "dismiss", reason=reason, exemption=exemption)
    service.dismiss(
        connection, principal, record_id, reason=reason, today=today(), exemption=exemption or None
    )
    return _back(record_id, "dismissed")


@router.post("/records/{record_id}/objections")
def file_objection(
    request: Request,
    record_id: Id,
    connection: Db,
    principal: FileCase,
    settings: AppSettings,
    reason: Text = "",
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    _retry(request, record_id, "objection", reason=reason)
    objections.file_objection(
        connection,
        principal,
        record_id,
        reason=reason,
        uploads=_uploads(files, settings),
        today=today(),
        settings=settings.records,
        folder=attachments_folder(settings),
    )
    return _back(record_id, "objection_filed", "objections")


@router.post("/records/{record_id}/repairs")
def apply_repair(
    request: Request,
    record_id: Id,
    connection: Db,
    principal: FileCase,
    settings: AppSettings,
    statement: Text = "",
    commitment_signed_on: Choice = "",
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    _retry(
        request, record_id, "repair", statement=statement, commitment_signed_on=commitment_signed_on
    )
    repairs.apply_repair(
        connection,
        principal,
        record_id,
        statement=statement,
        commitment_signed_on=_date(commitment_signed_on),
        uploads=_uploads(files, settings),
        today=today(),
        settings=settings.records,
        folder=attachments_folder(settings),
    )
    return _back(record_id, "repair_applied", "repairs")


# ---- objections and repairs ------------------------------------------------------------

_OBJECTION_DECISIONS = {d.value: d for d in ObjectionDecision}
_REPAIR_DECISIONS = {d.value: d for d in RepairDecision}
_CLASSES = {c.value: c for c in DishonestyClass}


@router.post("/objections/{objection_id}/decision")
def decide_objection(
    request: Request,
    objection_id: Id,
    connection: Db,
    principal: DecideCase,
    decision: Choice = "",
    note: Text = "",
    record_class: Choice = "",
    amount: Choice = "",
    summary: Annotated[str, Form(max_length=500, pattern=NO_NUL)] = "",
    drop_evidence: Annotated[list[str] | None, Form()] = None,
) -> Response:
    line, _record = objections.visible_objection(connection, principal, objection_id)
    dropped = tuple(drop_evidence or ())
    _retry(
        request,
        line.record_id,
        f"objection-{objection_id}",
        decision=decision,
        note=note,
        record_class=record_class,
        amount=amount,
        summary=summary,
        drop_evidence=dropped,
    )
    chosen: ObjectionDecision = _choice(decision, _OBJECTION_DECISIONS, "处理决定", "a decision")
    correction = None
    if chosen == ObjectionDecision.CORRECT:
        new_class = _choice(record_class, _CLASSES, "类别", "a class") if record_class else None
        correction = Correction(new_class, _amount(amount), summary.strip() or None, dropped)
    objections.decide_objection(
        connection,
        principal,
        objection_id,
        chosen,
        note=note,
        today=today(),
        correction=correction,
    )
    return _back(line.record_id, "objection_decided", "objections")


@router.post("/objections/{objection_id}/withdraw")
def withdraw_objection(
    request: Request, objection_id: Id, connection: Db, principal: FileCase
) -> Response:
    line, _record = objections.visible_objection(connection, principal, objection_id)
    _retry(request, line.record_id, f"objection-{objection_id}")
    objections.withdraw_objection(connection, principal, objection_id, today=today())
    return _back(line.record_id, "objection_withdrawn", "objections")


@router.post("/repairs/{repair_id}/accept")
def accept_repair(
    request: Request, repair_id: Id, connection: Db, principal: DecideCase, settings: AppSettings
) -> Response:
    line, _record = repairs.visible_repair(connection, principal, repair_id)
    _retry(request, line.record_id, f"repair-{repair_id}")
    repairs.accept_repair(
        connection, principal, repair_id, today=today(), settings=settings.records
    )
    return _back(line.record_id, "repair_accepted", "repairs")


@router.post("/repairs/{repair_id}/decision")
def decide_repair(
    request: Request,
    repair_id: Id,
    connection: Db,
    principal: DecideCase,
    settings: AppSettings,
    decision: Choice = "",
    note: Text = "",
) -> Response:
    line, _record = repairs.visible_repair(connection, principal, repair_id)
    _retry(request, line.record_id, f"repair-{repair_id}", decision=decision, note=note)
    chosen: RepairDecision = _choice(decision, _REPAIR_DECISIONS, "认定结果", "a decision")
    repairs.decide_repair(
        connection,
        principal,
        repair_id,
        chosen,
        note=note,
        today=today(),
        settings=settings.records,
    )
    return _back(line.record_id, "repair_decided", "repairs")


@router.post("/repairs/{repair_id}/close")
def close_repair(
    request: Request, repair_id: Id, connection: Db, principal: DecideCase
) -> Response:
    line, _record = repairs.visible_repair(connection, principal, repair_id)
    _retry(request, line.record_id, f"repair-{repair_id}")
    repairs.close_repair(connection, principal, repair_id, today=today())
    return _back(line.record_id, "repair_closed", "repairs")


@router.post("/repairs/{repair_id}/withdraw")
def withdraw_repair(
    request: Request, repair_id: Id, connection: Db, principal: FileCase
) -> Response:
    line, _record = repairs.visible_repair(connection, principal, repair_id)
    _retry(request, line.record_id, f"repair-{repair_id}")
    repairs.withdraw_repair(connection, principal, repair_id, today=today())
    return _back(line.record_id, "repair_withdrawn", "repairs")
