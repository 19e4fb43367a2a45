"""Credit commitments (信用承诺, SPEC 2.5): make, accept, fulfil, breach, withdraw; obligations.

Operators (``file_case``) make, accept, fulfil and withdraw commitments and record obligations
met; reviewers (``decide_case``) determine a breach (it makes a dishonesty-record candidate).
Another utility's commitment answers 404 (audited). ``{ref}`` is a commitment's id or its code
(承诺编码). A natural person's ID number (the subject's code, an ``…id_number`` blank) is masked
for readers without ``view_unmasked``, in the answers and in the printed letter.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Connection

from utilcredit.access.model import Permission, Principal
from utilcredit.api.schemas import ERROR_RESPONSES, SUBJECT_REF
from utilcredit.api.schemas_commitments import (
    BreachOut,
    BreachRequest,
    CommitmentDetailOut,
    CommitmentOut,
    CommitmentPage,
    DueObligationOut,
    MakeCommitmentRequest,
    MeetRequest,
    NoteRequest,
    ObligationOut,
    ReasonRequest,
    TemplateOut,
)
from utilcredit.applications import service as applications
from utilcredit.commitments import letters as commitment_letters
from utilcredit.commitments import obligations as commitment_obligations
from utilcredit.commitments import reads as commitment_reads
from utilcredit.commitments import service
from utilcredit.commitments.repository import CommitmentLine, DueObligation
from utilcredit.commitments.templates import (
    all_templates,
    template,
    templates_for_policy,
)
from utilcredit.config import Settings
from utilcredit.creditfile.service import resolve_subject, subject_ref_of
from utilcredit.errors import FieldInvalidError
from utilcredit.http.deps import AppSettings, Db, Reader, Requires
from utilcredit.http.params import MAX_ID, NO_NUL, PagingDep, masking
from utilcredit.identifiers import display_code, subject_ref
from utilcredit.localtime import today

FileCase = Annotated[Principal, Depends(Requires(Permission.FILE_CASE))]
DecideCase = Annotated[Principal, Depends(Requires(Permission.DECIDE_CASE))]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
CommitmentRef = Annotated[
    str,
    Path(
        pattern=r"^([1-9][0-9]{0,8}|[Cc][Nn][WwPp][0-9]{15})$",
        description="承诺 id 或承诺编码 / the commitment's id or code (CNP20261201…)",
    ),
]

router = APIRouter(tags=["commitments"], responses=ERROR_RESPONSES)

#: The deadlines listed when no end is given: the next 30 days.
PERIOD = dt.timedelta(days=30)


def commitment_out(
    line: CommitmentLine, principal: Principal | None, settings: Settings
) -> CommitmentOut:
    return CommitmentOut.model_validate(
        {
            **vars_of(commitment_letters.shown(line, principal, masking(settings))),
            "subject_ref": subject_ref(line.subject_id, line.subject_code, line.subject_kind),
        }
    )


def vars_of(item: object) -> dict[str, object]:
    return {name: getattr(item, name) for name in item.__dataclass_fields__}  # type: ignore[attr-defined]


def commitment_detail(
    connection: Connection, principal: Principal, settings: Settings, commitment_id: int
) -> CommitmentDetailOut:
    view = commitment_reads.commitment_view(connection, principal, commitment_id)
    return CommitmentDetailOut(
        commitment=commitment_out(view.commitment, principal, settings),
        obligations=[ObligationOut.model_validate(o) for o in view.obligations],
        next_actions=list(view.actions),
    )


def _id(connection: Connection, principal: Principal, ref: str) -> int:
    return commitment_reads.commitment_by_ref(connection, principal, ref)


def _due_out(
    connection: Connection, due: DueObligation, principal: Principal, settings: Settings
) -> DueObligationOut:
    code = display_code(
        due.subject_code,
        due.subject_kind,
        clear=commitment_letters.clear_for(principal),
        rule=masking(settings),
    )
    return DueObligationOut.model_validate(
        {
            **vars_of(due),
            "obligation": ObligationOut.model_validate(due.obligation),
            "subject_code": code,
            "subject_ref": subject_ref_of(connection, due.subject_code),
        }
    )


# ---- templates -------------------------------------------------------------------------------


@router.get(
    "/commitment-templates",
    response_model=list[TemplateOut],
    summary="信用承诺书模板及其字段 / commitment templates with their blanks (for forms)",
)
def list_templates(
    principal: Reader,
    policy: Annotated[
        str | None, Query(max_length=64, pattern=NO_NUL, description="仅该政策的模板")
    ] = None,
    all_versions: Annotated[bool, Query(description="含旧版本 / older versions too")] = False,
) -> list[TemplateOut]:
    if policy is not None:
        found = templates_for_policy(policy)
    elif all_versions:
        found = all_templates()
    else:
        found = tuple(template(key) for key in sorted({t.key for t in all_templates()}))
    return [TemplateOut.model_validate(t) for t in found]


# ---- commitments -----------------------------------------------------------------------------


@router.get("/commitments", response_model=CommitmentPage, summary="信用承诺 / commitments")
def list_commitments(
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    paging: PagingDep,
    status: Annotated[list[str] | None, Query()] = None,
    commitment_type: Annotated[list[str] | None, Query(alias="type")] = None,
    subject: Annotated[
        str | None, Query(max_length=32, pattern=NO_NUL, description=SUBJECT_REF)
    ] = None,
    application: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    disclosure: Annotated[str | None, Query(max_length=16, pattern=NO_NUL)] = None,
) -> CommitmentPage:
    page = commitment_reads.list_commitments(
        connection,
        principal,
        statuses=status or (),
        types=commitment_type or (),
        subject_code=None if subject is None else resolve_subject(connection, principal, subject),
        application_id=application,
        disclosure=disclosure,
        offset=paging.offset,
        limit=paging.limit,
    )
    return CommitmentPage(
        items=[commitment_out(c, principal, settings) for c in page.items],
        offset=page.offset,
        limit=page.limit,
        has_more=page.has_more,
    )


@router.post(
    "/commitments",
    response_model=CommitmentDetailOut,
    status_code=201,
    summary="登记已签署的信用承诺 / record a signed commitment",
)
def make(
    body: MakeCommitmentRequest, connection: Db, principal: FileCase, settings: AppSettings
) -> CommitmentDetailOut:
    code = resolve_subject(connection, principal, body.subject_code)
    template(body.template, body.template_version)  # an unknown template is refused first
    if body.application_id is not None:  # another utility's application: 404, audited
        applications.visible_application(connection, principal, body.application_id)
    made = service.make(
        connection,
        principal,
        service.NewCommitment(
            subject_code=code,
            utility=body.utility,
            template_key=body.template,
            values={**commitment_letters.prefilled(connection, body.template, code), **body.values},
            made_on=body.made_on or today(),
            template_version=body.template_version,
            valid_until=body.valid_until,
            reason=body.reason,
            disclosure=body.disclosure,
            account_no=body.account_no,
            application_id=body.application_id,
            obligations_start_on=body.obligations_start_on,
        ),
        today=today(),
        settings=settings.records,
    )
    return commitment_detail(connection, principal, settings, made.id)


@router.get(
    "/commitments/obligations-due",
    response_model=list[DueObligationOut],
    summary="期内到期的承诺义务 / open obligations falling due in a period (deadlines)",
)
def obligations_due(
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    start: Annotated[dt.date | None, Query(description="默认今天 / default today")] = None,
    end: Annotated[dt.date | None, Query(description="默认起始日后 30 天")] = None,
) -> list[DueObligationOut]:
    first = start or today()
    last = end or (first + PERIOD if first < dt.date.max - PERIOD else dt.date.max)
    if last < first:
        raise FieldInvalidError("end", f"结束日 {last} 早于开始日 {first} / end before start")
    due = commitment_reads.obligations_due(connection, principal, first, last)
    return [_due_out(connection, d, principal, settings) for d in due]


@router.get("/commitments/{ref}", response_model=CommitmentDetailOut)
def get_commitment(
    ref: CommitmentRef, connection: Db, principal: Reader, settings: AppSettings
) -> CommitmentDetailOut:
    return commitment_detail(connection, principal, settings, _id(connection, principal, ref))


@router.post(
    "/commitments/{ref}/accept", response_model=CommitmentDetailOut, summary="受理生效 / accept"
)
def accept(
    ref: CommitmentRef, connection: Db, principal: FileCase, settings: AppSettings
) -> CommitmentDetailOut:
    commitment_id = _id(connection, principal, ref)
    service.accept(connection, principal, commitment_id, today=today())
    return commitment_detail(connection, principal, settings, commitment_id)


@router.post(
    "/commitments/{ref}/fulfil", response_model=CommitmentDetailOut, summary="认定已履行 / fulfil"
)
def fulfil(
    ref: CommitmentRef,
    connection: Db,
    principal: FileCase,
    settings: AppSettings,
    body: NoteRequest | None = None,
) -> CommitmentDetailOut:
    commitment_id = _id(connection, principal, ref)
    service.fulfil(
        connection, principal, commitment_id, today=today(), note=(body or NoteRequest()).note
    )
    return commitment_detail(connection, principal, settings, commitment_id)


@router.post(
    "/commitments/{ref}/breach",
    response_model=BreachOut,
    summary="认定违诺（生成失约事件与失信记录候选） / determine a breach",
)
def breach(
    ref: CommitmentRef,
    body: BreachRequest,
    connection: Db,
    principal: DecideCase,
    settings: AppSettings,
) -> BreachOut:
    commitment_id = _id(connection, principal, ref)
    outcome = service.breach(
        connection,
        principal,
        commitment_id,
        today=today(),
        unfulfilled=body.unfulfilled,
        liability_pursued=body.liability_pursued,
        on=body.on,
    )
    detail = commitment_detail(connection, principal, settings, commitment_id)
    return BreachOut(**dict(detail), incident_no=outcome.incident_no, record_ids=outcome.record_ids)


@router.post(
    "/commitments/{ref}/withdraw", response_model=CommitmentDetailOut, summary="撤回 / withdraw"
)
def withdraw(
    ref: CommitmentRef,
    body: ReasonRequest,
    connection: Db,
    principal: FileCase,
    settings: AppSettings,
) -> CommitmentDetailOut:
    commitment_id = _id(connection, principal, ref)
    service.withdraw(connection, principal, commitment_id, today=today(), reason=body.reason)
    return commitment_detail(connection, principal, settings, commitment_id)


@router.post(
    "/commitments/{ref}/obligations/{obligation_id}/meet",
    response_model=CommitmentDetailOut,
    summary="登记义务已履行 / record an obligation met",
)
def meet(
    ref: CommitmentRef,
    obligation_id: Id,
    connection: Db,
    principal: FileCase,
    settings: AppSettings,
    body: MeetRequest | None = None,
) -> CommitmentDetailOut:
    commitment_id = _id(connection, principal, ref)
    day = today()
    commitment_obligations.meet_obligation(
        connection,
        principal,
        commitment_id,
        obligation_id,
        on=(body or MeetRequest()).on or day,
        today=day,
    )
    return commitment_detail(connection, principal, settings, commitment_id)


@router.get(
    "/commitments/{ref}/document",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "text/html": {}}}},
    summary="信用承诺书（PDF 或 HTML） / the signed letter, filled, to print",
)
def document(
    ref: CommitmentRef,
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    format: Annotated[str, Query(pattern="^(pdf|html)$")] = "pdf",
) -> Response:
    found, html = commitment_letters.document_html(
        connection, principal, _id(connection, principal, ref), masking(settings)
    )
    if format == "html":
        return HTMLResponse(html)
    from utilcredit.documents.render import render_pdf

    return Response(
        render_pdf(html),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="commitment-{found.code}.pdf"'},
    )
