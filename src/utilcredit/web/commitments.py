"""Console pages of credit commitments (信用承诺): the list, one commitment with its dated
obligations and the steps the reader may take (accept into force, fulfil, breach, withdraw, an
obligation met), and its document. What the counter pages share is ``web/counter.py``.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Connection

from utilcredit.access.model import Permission, Principal
from utilcredit.commitments import obligations as commitment_obligations
from utilcredit.commitments import reads as commitment_reads
from utilcredit.commitments import service as commitments
from utilcredit.commitments.model import CommitmentType, Disclosure
from utilcredit.commitments.repository import CommitmentLine
from utilcredit.commitments.templates import template
from utilcredit.config import Settings
from utilcredit.customers.model import CommitmentStatus
from utilcredit.http.deps import AppSettings, Db, Reader
from utilcredit.localtime import today
from utilcredit.web.counter import (
    DONE,
    PAGE,
    Day,
    Offset,
    Party,
    document_response,
    parse_date,
    party,
    render_page,
    writes,
)
from utilcredit.web.records import DecideCase, Filter, Id, Text
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


def _commitment_party(c: CommitmentLine, principal: Principal, settings: Settings) -> Party:
    return party(c.subject_id, c.subject_code, c.subject_name, c.subject_kind, principal, settings)


@router.get("/commitments")
def commitments_page(
    request: Request,
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    status: Filter = "",
    type: Filter = "",
    disclosure: Filter = "",
    offset: Offset = 0,
) -> Response:
    page = commitment_reads.list_commitments(
        connection,
        principal,
        statuses=[status] if status else (),
        types=[type] if type else (),
        disclosure=disclosure or None,
        offset=offset,
        limit=PAGE,
    )
    filters = {"status": status, "type": type, "disclosure": disclosure}
    return render_page(
        request,
        "commitments.html",
        {
            "page": page,
            "rows": [(c, _commitment_party(c, principal, settings)) for c in page.items],
            "filters": filters,
            "query": urlencode({k: v for k, v in filters.items() if v}),
            "statuses": tuple(CommitmentStatus),
            "types": tuple(CommitmentType),
            "disclosures": tuple(Disclosure),
        },
    )


def _commitment_response(
    request: Request,
    connection: Connection,
    principal: Principal,
    settings: Settings,
    commitment_id: int,
    *,
    done: str = "",
    refusal: Refusal | None = None,
) -> HTMLResponse:
    view = commitment_reads.commitment_view(connection, principal, commitment_id)
    c = view.commitment
    file_case = writes(principal, Permission.FILE_CASE, c.utility)
    decide = writes(principal, Permission.DECIDE_CASE, c.utility)
    allowed = {
        "accept": file_case,
        "fulfil": file_case,
        "withdraw": file_case,
        "breach": decide,
    }
    chosen = template(c.template_key, c.template_version)
    labels = {f.name: f.label for f in chosen.fields}
    return render_page(
        request,
        "commitment.html",
        {
            "c": c,
            "party": _commitment_party(c, principal, settings),
            "obligations": view.obligations,
            "actions": [a for a in view.actions if allowed.get(a)],
            "may_meet": file_case,
            "template": chosen,
            "field_rows": [(labels.get(k, k), v) for k, v in c.fields.items()],
            "today": today(),
            **form_state(done, DONE, refusal),
        },
        status_code=status_of(refusal),
    )


@router.get("/commitments/{commitment_id}")
def commitment_page(
    request: Request,
    commitment_id: Id,
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    done: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    return _commitment_response(request, connection, principal, settings, commitment_id, done=done)


@router.get("/commitments/{commitment_id}/document")
def commitment_document(
    commitment_id: Id,
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    format: Annotated[str, Query(pattern="^(pdf|html)$")] = "pdf",
) -> Response:
    return document_response(connection, principal, commitment_id, format, settings)


# ---- the steps: accept into force, fulfil, breach, withdraw, an obligation met ------------------


def _accept(posted: Posted) -> object:
    return commitments.accept(posted.connection, posted.principal, posted.id, today=today())


def _fulfil(posted: Posted) -> object:
    note = posted.fields["note"]
    return commitments.fulfil(
        posted.connection, posted.principal, posted.id, today=today(), note=note.strip() or None
    )


def _breach(posted: Posted) -> object:
    return commitments.breach(
        posted.connection,
        posted.principal,
        posted.id,
        today=today(),
        unfulfilled=posted.fields["unfulfilled"],
        liability_pursued=posted.fields["liability_pursued"].strip() or None,
        on=parse_date(posted.fields["on"], "on", default=today()),
    )


def _withdraw(posted: Posted) -> object:
    reason = posted.fields["reason"]
    return commitments.withdraw(
        posted.connection, posted.principal, posted.id, today=today(), reason=reason
    )


def _meet(posted: Posted) -> object:
    return commitment_obligations.meet_obligation(
        posted.connection,
        posted.principal,
        posted.id,
        posted.fields["obligation_id"],
        on=parse_date(posted.fields["on"], "on", default=today()),
        today=today(),
    )


def _show(posted: Posted, refusal: Refusal) -> HTMLResponse:
    return _commitment_response(
        posted.request,
        posted.connection,
        posted.principal,
        posted.settings,
        posted.id,
        refusal=refusal,
    )


STEP_PAGE = StepPage(
    "/commitments/{commitment_id}",
    show=_show,
    back=lambda posted, done: f"/commitments/{posted.id}?done={done}",
)
STEPS = (
    Step("accept", _accept),
    Step("fulfil", _fulfil, (form_field("note", Text),)),
    Step(
        "breach",
        _breach,
        (
            form_field("unfulfilled", Text),
            form_field("liability_pursued", Text),
            form_field("on", Day),
        ),
        principal=DecideCase,
    ),
    Step("withdraw", _withdraw, (form_field("reason", Text),)),
    Step(
        "obligations/{obligation_id}/meet",
        _meet,
        (form_field("obligation_id", Id, REQUIRED), form_field("on", Day)),
        name="meet",
        # One form per obligation on the page: the refusal shows next to its own.
        form=lambda posted: f"meet-{posted.fields['obligation_id']}",
        values=lambda posted: {"on": posted.fields["on"]},
    ),
)
add_steps(router, STEP_PAGE, STEPS)
