"""Console pages of credit commitments (信用承诺): the list, one commitment with its dated
obligations and the steps the reader may take (accept into force, fulfil, breach, withdraw, an
obligation met), and its document. What the counter pages share is ``web/counter.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Connection

from utilcredit.access.model import Permission, Principal
from utilcredit.commitments import obligations as commitment_obligations
from utilcredit.commitments import service as commitments
from utilcredit.commitments.model import CommitmentType, Disclosure
from utilcredit.commitments.repository import CommitmentLine
from utilcredit.commitments.templates import template
from utilcredit.config import Settings
from utilcredit.customers.model import CommitmentStatus
from utilcredit.http.deps import AppSettings, Db, Reader
from utilcredit.http.params import NO_NUL
from utilcredit.localtime import today
from utilcredit.web.counter import (
    DONE,
    PAGE,
    Offset,
    Party,
    Refusal,
    attempt,
    document_response,
    parse_date,
    party,
    render_page,
    writes,
)
from utilcredit.web.records import DecideCase, FileCase, Filter, Id, Text

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
    page = commitments.list_commitments(
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
    view = commitments.commitment_view(connection, principal, commitment_id)
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
            "done": done if done in DONE else "",
            "refusal": refusal,
            "v": refusal.values if refusal else {},
        },
        status_code=refusal.status if refusal else 200,
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


def _commitment_step(
    request: Request,
    connection: Connection,
    principal: Principal,
    settings: Settings,
    commitment_id: int,
    form: str,
    values: dict[str, Any],
    step: Callable[[], Any],
) -> Response:
    outcome = attempt(connection, form, values, step)
    if isinstance(outcome, Refusal):
        return _commitment_response(
            request, connection, principal, settings, commitment_id, refusal=outcome
        )
    done = form.partition("-")[0]  # meet-<obligation id> → meet
    return RedirectResponse(f"/commitments/{commitment_id}?done={done}", status_code=303)


@router.post("/commitments/{commitment_id}/accept")
def accept_commitment(
    request: Request, commitment_id: Id, connection: Db, principal: FileCase, settings: AppSettings
) -> Response:
    return _commitment_step(
        request,
        connection,
        principal,
        settings,
        commitment_id,
        "accept",
        {},
        lambda: commitments.accept(connection, principal, commitment_id, today=today()),
    )


@router.post("/commitments/{commitment_id}/fulfil")
def fulfil_commitment(
    request: Request,
    commitment_id: Id,
    connection: Db,
    principal: FileCase,
    settings: AppSettings,
    note: Text = "",
) -> Response:
    return _commitment_step(
        request,
        connection,
        principal,
        settings,
        commitment_id,
        "fulfil",
        {"note": note},
        lambda: commitments.fulfil(
            connection, principal, commitment_id, today=today(), note=note.strip() or None
        ),
    )


@router.post("/commitments/{commitment_id}/breach")
def breach_commitment(
    request: Request,
    commitment_id: Id,
    connection: Db,
    principal: DecideCase,
    settings: AppSettings,
    unfulfilled: Text = "",
    liability_pursued: Text = "",
    on: Annotated[str, Form(max_length=10, pattern=NO_NUL)] = "",
) -> Response:
    values = {"unfulfilled": unfulfilled, "liability_pursued": liability_pursued, "on": on}
    return _commitment_step(
        request,
        connection,
        principal,
        settings,
        commitment_id,
        "breach",
        values,
        lambda: commitments.breach(
            connection,
            principal,
            commitment_id,
            today=today(),
            unfulfilled=unfulfilled,
            liability_pursued=liability_pursued.strip() or None,
            on=parse_date(on, "on", default=today()),
        ),
    )


@router.post("/commitments/{commitment_id}/withdraw")
def withdraw_commitment(
    request: Request,
    commitment_id: Id,
    connection: Db,
    principal: FileCase,
    settings: AppSettings,
    reason: Text = "",
) -> Response:
    return _commitment_step(
        request,
        connection,
        principal,
        settings,
        commitment_id,
        "withdraw",
        {"reason": reason},
        lambda: commitments.withdraw(
            connection, principal, commitment_id, today=today(), reason=reason
        ),
    )


@router.post("/commitments/{commitment_id}/obligations/{obligation_id}/meet")
def meet_obligation(
    request: Request,
    commitment_id: Id,
    obligation_id: Id,
    connection: Db,
    principal: FileCase,
    settings: AppSettings,
    on: Annotated[str, Form(max_length=10, pattern=NO_NUL)] = "",
) -> Response:
    return _commitment_step(
        request,
        connection,
        principal,
        settings,
        commitment_id,
        f"meet-{obligation_id}",
        {"on": on},
        lambda: commitment_obligations.meet_obligation(
            connection,
            principal,
            commitment_id,
            obligation_id,
            on=parse_date(on, "on", default=today()),
            today=today(),
        ),
    )
