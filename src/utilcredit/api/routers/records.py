"""Dishonesty records, objections and credit repair (失信记录 · 异议 · 信用修复).

Operators (``file_case``) propose records, file objections and apply for repair; reviewers
(``decide_case``) confirm, dismiss and decide, never on a case they filed. Another utility's
case answers 404 (audited). Deadlines are in Chinese working days.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, Response

from utilcredit.access.model import Permission, Principal
from utilcredit.api.schemas import ERROR_RESPONSES, SUBJECT_REF
from utilcredit.api.schemas_records import (
    ConfirmRequest,
    DeriveOut,
    DeriveRequest,
    DismissRequest,
    ObjectionDecisionRequest,
    ObjectionOut,
    ObjectionPage,
    RecordDetailOut,
    RecordOut,
    RecordPage,
    RepairDecisionRequest,
    RepairOut,
    RepairPage,
    with_attachments,
)
from utilcredit.config import Settings
from utilcredit.creditfile.service import resolve_subject
from utilcredit.errors import FieldInvalidError, InvalidInputError
from utilcredit.http.deps import AppSettings, Db, Reader, Requires
from utilcredit.http.params import MAX_ID, NO_NUL, PagingDep, masking
from utilcredit.localtime import today
from utilcredit.policies.service import policy_at
from utilcredit.records import cases, derivation, objections, repairs, service
from utilcredit.records.attachments import Upload, attachment, attachments_folder
from utilcredit.records.model import RepairDecision
from utilcredit.records.objections import Correction, ObjectionDecision
from utilcredit.records.repository import casework
from utilcredit.records.repository.register import RecordLine

FileCase = Annotated[Principal, Depends(Requires(Permission.FILE_CASE))]
DecideCase = Annotated[Principal, Depends(Requires(Permission.DECIDE_CASE))]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]

router = APIRouter(tags=["records"], responses=ERROR_RESPONSES)


def _record_out(record: RecordLine, principal: Principal, settings: Settings) -> RecordOut:
    shown = cases.shown(record, principal, masking(settings))
    return RecordOut.model_validate({**vars_of(shown), "subject_ref": cases.subject_link(record)})


def vars_of(item: Any) -> dict[str, Any]:
    return {name: getattr(item, name) for name in item.__dataclass_fields__}


def _uploads(files: list[UploadFile] | None, settings: Settings) -> list[Upload]:
    limit = settings.records.attachment_max_bytes
    # One byte past the limit is enough to refuse: a large file is never read whole.
    return [Upload(f.filename or "file", f.file.read(limit + 1)) for f in files or []]


# ---- records --------------------------------------------------------------------------------


@router.get("/records", response_model=RecordPage, summary="失信记录 / dishonesty records")
def list_records(
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    paging: PagingDep,
    status: Annotated[list[str] | None, Query()] = None,
    record_class: Annotated[list[str] | None, Query(alias="class")] = None,
    kind: Annotated[list[str] | None, Query()] = None,
    policy: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    subject: Annotated[
        str | None, Query(max_length=32, pattern=NO_NUL, description=SUBJECT_REF)
    ] = None,
    overdue: Annotated[bool, Query(description="仅含超期未办的异议或修复")] = False,
) -> RecordPage:
    page = service.list_records(
        connection,
        principal,
        statuses=status or (),
        classes=record_class or (),
        kinds=kind or (),
        policy_key=policy,
        subject_code=None if subject is None else resolve_subject(connection, principal, subject),
        overdue_on=today() if overdue else None,
        offset=paging.offset,
        limit=paging.limit,
    )
    return RecordPage(
        items=[_record_out(r, principal, settings) for r in page.items],
        offset=page.offset,
        limit=page.limit,
        has_more=page.has_more,
    )


@router.post(
    "/records/derive", response_model=DeriveOut, summary="按政策提出候选记录 / propose candidates"
)
def derive(
    body: DeriveRequest, connection: Db, principal: FileCase, settings: AppSettings
) -> DeriveOut:
    now = today()
    day = body.as_of or now
    if day > now:
        # Derivation runs the calendar's publish and expire for its day: a later day would end
        # publications early and propose causes that do not hold yet, irreversibly.
        raise FieldInvalidError(
            "as_of", f"推导日期不能晚于今天（{now}） / as_of cannot be after today ({now})"
        )
    loaded = policy_at(body.policy, day)
    summary = derivation.derive(
        connection, loaded, day, settings=settings.records, principal=principal
    )
    return DeriveOut.model_validate(summary, from_attributes=True)


def record_detail(
    connection: Any, principal: Principal, settings: Settings, record_id: int
) -> RecordDetailOut:
    view = service.record_view(connection, principal, record_id)
    return RecordDetailOut(
        record=_record_out(view.record, principal, settings),
        evidence=view.evidence,
        objections=[
            ObjectionOut.model_validate(with_attachments(o, view.attachments[("objection", o.id)]))
            for o in view.objections
        ],
        repairs=[
            RepairOut.model_validate(with_attachments(r, view.attachments[("repair", r.id)]))
            for r in view.repairs
        ],
        history=view.events,
        deadlines=service.open_deadlines(connection, view, today()),
        next_actions=list(view.actions),
    )


@router.get("/records/{record_id}", response_model=RecordDetailOut)
def get_record(
    record_id: Id, connection: Db, principal: Reader, settings: AppSettings
) -> RecordDetailOut:
    return record_detail(connection, principal, settings, record_id)


@router.post(
    "/records/{record_id}/confirm", response_model=RecordDetailOut, summary="确认（认定） / confirm"
)
def confirm(
    record_id: Id,
    body: ConfirmRequest,
    connection: Db,
    principal: DecideCase,
    settings: AppSettings,
) -> RecordDetailOut:
    service.confirm(
        connection, principal, record_id, today=today(), settings=settings.records, note=body.note
    )
    return record_detail(connection, principal, settings, record_id)


@router.post(
    "/records/{record_id}/dismiss", response_model=RecordDetailOut, summary="不予认定 / dismiss"
)
def dismiss(
    record_id: Id,
    body: DismissRequest,
    connection: Db,
    principal: DecideCase,
    settings: AppSettings,
) -> RecordDetailOut:
    service.dismiss(
        connection,
        principal,
        record_id,
        reason=body.reason,
        today=today(),
        exemption=body.exemption,
    )
    return record_detail(connection, principal, settings, record_id)


@router.get(
    "/records/{record_id}/repair-commitment",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "text/html": {}}}},
    summary="信用修复承诺书（PDF 或 HTML） / the repair commitment to print and sign",
)
def repair_commitment(
    record_id: Id,
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    format: Annotated[str, Query(pattern="^(pdf|html)$")] = "pdf",
) -> Response:
    from utilcredit.documents.render import render_pdf

    html = service.repair_commitment(connection, principal, record_id, rule=masking(settings))
    if format == "html":
        return HTMLResponse(html)
    return Response(
        render_pdf(html),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="repair-commitment-{record_id}.pdf"'
        },
    )


# ---- attachments ----------------------------------------------------------------------------


@router.get(
    "/attachments/{attachment_id}",
    response_class=FileResponse,
    responses={200: {"content": {"application/pdf": {}, "image/png": {}, "image/jpeg": {}}}},
    summary="异议或修复申请的附件 / an attachment",
)
def get_attachment(
    attachment_id: Id, connection: Db, principal: Reader, settings: AppSettings
) -> FileResponse:
    found, path = attachment(connection, principal, attachment_id, attachments_folder(settings))
    # Served as a download with its sniffed type: never rendered inline as our own page.
    return FileResponse(
        path,
        media_type=found.content_type,
        filename=found.file_name,
        content_disposition_type="attachment",
        headers={"X-Content-Type-Options": "nosniff"},
    )


# ---- objections -----------------------------------------------------------------------------


def _objection_out(connection: Any, line: Any) -> ObjectionOut:
    return ObjectionOut.model_validate(
        with_attachments(line, casework.attachments_of(connection, "objection", line.id))
    )


@router.get("/objections", response_model=ObjectionPage, summary="异议 / objections")
def list_objections(
    connection: Db,
    principal: Reader,
    paging: PagingDep,
    status: Annotated[list[str] | None, Query()] = None,
    overdue: bool = False,
) -> ObjectionPage:
    page = objections.list_objections(
        connection,
        principal,
        statuses=status or (),
        overdue_on=today() if overdue else None,
        offset=paging.offset,
        limit=paging.limit,
    )
    return ObjectionPage(
        items=[_objection_out(connection, o) for o in page.items],
        offset=page.offset,
        limit=page.limit,
        has_more=page.has_more,
    )


@router.post(
    "/objections",
    response_model=ObjectionOut,
    status_code=201,
    summary="提出异议 / file an objection",
)
def file_objection(
    connection: Db,
    principal: FileCase,
    settings: AppSettings,
    record_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    reason: Annotated[str, Form(max_length=2000, pattern=NO_NUL)],
    files: Annotated[list[UploadFile] | None, File(description="PDF, PNG 或 JPEG")] = None,
) -> ObjectionOut:
    line = objections.file_objection(
        connection,
        principal,
        record_id,
        reason=reason,
        uploads=_uploads(files, settings),
        today=today(),
        settings=settings.records,
        folder=attachments_folder(settings),
    )
    return _objection_out(connection, line)


@router.get("/objections/{objection_id}", response_model=ObjectionOut)
def get_objection(objection_id: Id, connection: Db, principal: Reader) -> ObjectionOut:
    line, _record = objections.visible_objection(connection, principal, objection_id)
    return _objection_out(connection, line)


@router.post(
    "/objections/{objection_id}/decision", response_model=ObjectionOut, summary="处理异议 / decide"
)
def decide_objection(
    objection_id: Id, body: ObjectionDecisionRequest, connection: Db, principal: DecideCase
) -> ObjectionOut:
    decision = ObjectionDecision(body.decision)
    correction = Correction(body.record_class, body.amount, body.summary, tuple(body.drop_evidence))
    line = objections.decide_objection(
        connection,
        principal,
        objection_id,
        decision,
        note=body.note,
        today=today(),
        correction=correction if decision == ObjectionDecision.CORRECT else None,
    )
    return _objection_out(connection, line)


@router.post(
    "/objections/{objection_id}/withdraw",
    response_model=ObjectionOut,
    summary="撤回异议 / withdraw",
)
def withdraw_objection(objection_id: Id, connection: Db, principal: FileCase) -> ObjectionOut:
    line = objections.withdraw_objection(connection, principal, objection_id, today=today())
    return _objection_out(connection, line)


# ---- repairs --------------------------------------------------------------------------------


def _repair_out(connection: Any, line: Any) -> RepairOut:
    return RepairOut.model_validate(
        with_attachments(line, casework.attachments_of(connection, "repair", line.id))
    )


@router.get("/repairs", response_model=RepairPage, summary="信用修复申请 / repair applications")
def list_repairs(
    connection: Db,
    principal: Reader,
    paging: PagingDep,
    status: Annotated[list[str] | None, Query()] = None,
    overdue: bool = False,
) -> RepairPage:
    page = repairs.list_repairs(
        connection,
        principal,
        statuses=status or (),
        overdue_on=today() if overdue else None,
        offset=paging.offset,
        limit=paging.limit,
    )
    return RepairPage(
        items=[_repair_out(connection, r) for r in page.items],
        offset=page.offset,
        limit=page.limit,
        has_more=page.has_more,
    )


@router.post("/repairs", response_model=RepairOut, status_code=201, summary="申请信用修复 / apply")
def apply_repair(
    connection: Db,
    principal: FileCase,
    settings: AppSettings,
    record_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    statement: Annotated[str, Form(max_length=2000, pattern=NO_NUL)],
    commitment_signed_on: Annotated[str | None, Form(description="YYYY-MM-DD")] = None,
    files: Annotated[list[UploadFile] | None, File(description="证明材料 PDF/PNG/JPEG")] = None,
) -> RepairOut:
    signed = None
    if commitment_signed_on:
        try:
            signed = dt.date.fromisoformat(commitment_signed_on)
        except ValueError:
            raise InvalidInputError(
                "承诺书签订日期应为 YYYY-MM-DD / commitment_signed_on must be YYYY-MM-DD"
            ) from None
    line = repairs.apply_repair(
        connection,
        principal,
        record_id,
        statement=statement,
        commitment_signed_on=signed,
        uploads=_uploads(files, settings),
        today=today(),
        settings=settings.records,
        folder=attachments_folder(settings),
    )
    return _repair_out(connection, line)


@router.get("/repairs/{repair_id}", response_model=RepairOut)
def get_repair(repair_id: Id, connection: Db, principal: Reader) -> RepairOut:
    line, _record = repairs.visible_repair(connection, principal, repair_id)
    return _repair_out(connection, line)


@router.post("/repairs/{repair_id}/accept", response_model=RepairOut, summary="受理 / accept")
def accept_repair(
    repair_id: Id, connection: Db, principal: DecideCase, settings: AppSettings
) -> RepairOut:
    line = repairs.accept_repair(
        connection, principal, repair_id, today=today(), settings=settings.records
    )
    return _repair_out(connection, line)


@router.post("/repairs/{repair_id}/decision", response_model=RepairOut, summary="认定 / decide")
def decide_repair(
    repair_id: Id,
    body: RepairDecisionRequest,
    connection: Db,
    principal: DecideCase,
    settings: AppSettings,
) -> RepairOut:
    line = repairs.decide_repair(
        connection,
        principal,
        repair_id,
        RepairDecision(body.decision),
        note=body.note,
        today=today(),
        settings=settings.records,
    )
    return _repair_out(connection, line)


@router.post("/repairs/{repair_id}/close", response_model=RepairOut, summary="办结 / close")
def close_repair(repair_id: Id, connection: Db, principal: DecideCase) -> RepairOut:
    return _repair_out(
        connection, repairs.close_repair(connection, principal, repair_id, today=today())
    )


@router.post("/repairs/{repair_id}/withdraw", response_model=RepairOut, summary="撤回 / withdraw")
def withdraw_repair(repair_id: Id, connection: Db, principal: FileCase) -> RepairOut:
    return _repair_out(
        connection, repairs.withdraw_repair(connection, principal, repair_id, today=today())
    )
