"""Console pages of credit-based applications (信用办理): the list with the obligations due this
month, one application with its eligibility, the steps from the site survey to connection (or a
rejection or withdrawal), and its commitment letter. The new-application form is
``web/application_new.py``; what the counter pages share is ``web/counter.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Connection

from utilcredit.access.model import Permission, Principal
from utilcredit.applications import service as applications
from utilcredit.applications import zones as application_zones
from utilcredit.applications.model import ApplicationStatus
from utilcredit.applications.repository import ApplicationLine
from utilcredit.commitments import letters as commitment_letters
from utilcredit.commitments import service as commitments
from utilcredit.commitments.templates import (
    CommitmentTemplate,
    blank_form,
    fill,
    letter_of,
    template,
)
from utilcredit.config import Settings
from utilcredit.documents.model import commitment_letter_context
from utilcredit.errors import InvalidInputError, NotFoundError
from utilcredit.http.deps import AppSettings, Db, Reader
from utilcredit.http.params import NO_NUL
from utilcredit.localtime import today
from utilcredit.policies.model import AddressType, Business
from utilcredit.policies.service import policy_at
from utilcredit.rating.dates import add_months
from utilcredit.web.counter import (
    DONE,
    PAGE,
    Offset,
    Party,
    Refusal,
    application_policies,
    attempt,
    document_response,
    letter_response,
    parse_date,
    parse_enum,
    party,
    render_page,
    writes,
)
from utilcredit.web.records import FileCase, Filter, Id, Text

router = APIRouter(include_in_schema=False)


# ---- applications: the list ------------------------------------------------------------------


@router.get("/applications")
def applications_page(
    request: Request,
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    status: Filter = "",
    business: Filter = "",
    policy: Filter = "",
    offset: Offset = 0,
) -> Response:
    day = today()
    page = applications.list_applications(
        connection,
        principal,
        statuses=[status] if status else (),
        businesses=[business] if business else (),
        policy_key=policy or None,
        offset=offset,
        limit=PAGE,
    )
    start = day.replace(day=1)
    end = add_months(start, 1) - dt.timedelta(days=1)
    due = commitments.obligations_due(connection, principal, start, end)
    filters = {"status": status, "business": business, "policy": policy}
    return render_page(
        request,
        "applications.html",
        {
            "page": page,
            "rows": [(a, _application_party(a, principal, settings)) for a in page.items],
            "due": [
                (
                    d,
                    party(0, d.subject_code, d.subject_name, d.subject_kind, principal, settings),
                )
                for d in due
            ],
            "month_start": start,
            "month_end": end,
            "filters": filters,
            "query": urlencode({k: v for k, v in filters.items() if v}),
            "statuses": tuple(ApplicationStatus),
            "businesses": tuple(Business),
            "policies": application_policies(principal, writable=False),
            "may_submit": principal.can(Permission.FILE_CASE),
        },
    )


def _application_party(a: ApplicationLine, principal: Principal, settings: Settings) -> Party:
    return party(a.subject_id, a.subject_code, a.subject_name, a.subject_kind, principal, settings)


# ---- applications: one ---------------------------------------------------------------------------


def _evidence(outcome: Any) -> list[dict[str, Any]]:
    """Every evidence record of a requirement's outcome, its parts included, once each."""
    found: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    stack = [outcome]
    while stack:
        item = stack.pop()
        if not isinstance(item, dict):
            continue
        for evidence in item.get("evidence") or []:
            if not isinstance(evidence, dict):
                continue
            key = (evidence.get("kind"), evidence.get("ref"), evidence.get("date"))
            if key not in seen:
                seen.add(key)
                found.append(evidence)
        stack.extend(reversed(item.get("parts") or []))
    return found


def _requirements(eligibility: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    if not eligibility or not isinstance(eligibility.get("requirements"), list):
        return []
    return [
        {**r, "evidence_all": _evidence(r.get("outcome"))}
        for r in eligibility["requirements"]
        if isinstance(r, dict)
    ]


def _template_of(line: ApplicationLine) -> CommitmentTemplate | None:
    rules = policy_at(line.policy_key, line.applied_on).policy.credit_application
    if rules is None or rules.commitment_template is None:
        return None
    return template(rules.commitment_template)


def _application_response(
    request: Request,
    connection: Connection,
    principal: Principal,
    settings: Settings,
    application_id: int,
    *,
    done: str = "",
    refusal: Refusal | None = None,
) -> HTMLResponse:
    line = applications.visible_application(connection, principal, application_id)
    zone = next(
        (z for z in application_zones.zones(connection, [line.policy_key]) if z.id == line.zone_id),
        None,
    )
    may = writes(principal, Permission.FILE_CASE, line.utility)
    actions = applications.next_actions(line) if may else ()
    chosen = _template_of(line)
    prefilled: dict[str, str] = {}
    if chosen is not None and "sign" in actions:
        prefilled = commitment_letters.prefilled(
            connection, chosen.key, line.subject_code, address=line.address
        )
    commitment = (
        commitments.visible_commitment(connection, principal, line.commitment_id)
        if line.commitment_id
        else None
    )
    loaded = policy_at(line.policy_key, line.applied_on)
    return render_page(
        request,
        "application.html",
        {
            "a": line,
            "party": _application_party(line, principal, settings),
            "policy": loaded,
            "zone": zone,
            "actions": actions,
            "template": chosen,
            "prefilled": prefilled,
            "commitment": commitment,
            "requirements": _requirements(line.eligibility),
            "address_types": tuple(AddressType),
            "today": today(),
            "done": done if done in DONE else "",
            "refusal": refusal,
            "v": refusal.values if refusal else {},
        },
        status_code=refusal.status if refusal else 200,
    )


@router.get("/applications/{application_id}")
def application_page(
    request: Request,
    application_id: Id,
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    done: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    return _application_response(
        request, connection, principal, settings, application_id, done=done
    )


def _letter_html(
    filled_template: CommitmentTemplate, values: Mapping[str, str], **meta: Any
) -> str:
    from utilcredit.documents.render import render_html

    letter = letter_of(fill(filled_template, values), **meta)
    return render_html("commitment.html", commitment_letter_context(letter))


@router.get("/applications/{application_id}/letter")
def application_letter(
    application_id: Id,
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    format: Annotated[str, Query(pattern="^(pdf|html)$")] = "pdf",
) -> Response:
    """The commitment letter of the application: before signing, the template with what the
    credit file already answers (the rest left blank to fill in by hand); after, the signed
    letter as recorded."""
    line = applications.visible_application(connection, principal, application_id)
    if line.commitment_id is not None:
        return document_response(connection, principal, line.commitment_id, format, settings)
    chosen = _template_of(line)
    if chosen is None:
        raise NotFoundError(
            "该申请的政策未指定承诺书模板 / the policy names no commitment template"
        )
    values = commitment_letters.prefilled(
        connection, chosen.key, line.subject_code, address=line.address
    )
    html = _letter_html(blank_form(chosen), values)
    return letter_response(html, f"commitment-application-{application_id}", format)


def _back(application_id: int, done: str) -> RedirectResponse:
    return RedirectResponse(f"/applications/{application_id}?done={done}", status_code=303)


def _application_step(
    request: Request,
    connection: Connection,
    principal: Principal,
    settings: Settings,
    application_id: int,
    form: str,
    values: dict[str, Any],
    step: Callable[[], Any],
) -> Response:
    outcome = attempt(connection, form, values, step)
    if isinstance(outcome, Refusal):
        return _application_response(
            request, connection, principal, settings, application_id, refusal=outcome
        )
    return _back(application_id, form)


@router.post("/applications/{application_id}/survey")
def survey(
    request: Request,
    application_id: Id,
    connection: Db,
    principal: FileCase,
    settings: AppSettings,
    address_type: Annotated[str, Form(max_length=64, pattern=NO_NUL)] = "",
    note: Text = "",
) -> Response:
    values = {"address_type": address_type, "note": note}
    return _application_step(
        request,
        connection,
        principal,
        settings,
        application_id,
        "survey",
        values,
        lambda: applications.survey(
            connection,
            principal,
            application_id,
            today=today(),
            address_type=parse_enum(AddressType, address_type, "address_type", optional=True),
            note=note.strip() or None,
        ),
    )


@router.post("/applications/{application_id}/check")
def check(
    request: Request, application_id: Id, connection: Db, principal: FileCase, settings: AppSettings
) -> Response:
    return _application_step(
        request,
        connection,
        principal,
        settings,
        application_id,
        "check",
        {},
        lambda: applications.check(connection, principal, application_id, today=today()),
    )


@router.post("/applications/{application_id}/sign")
def sign_commitment(
    request: Request,
    application_id: Id,
    connection: Db,
    principal: FileCase,
    settings: AppSettings,
    made_on: Annotated[str, Form(max_length=10, pattern=NO_NUL)] = "",
    field_names: Annotated[list[str] | None, Form(alias="field_name")] = None,
    field_values: Annotated[list[str] | None, Form(alias="field_value")] = None,
) -> Response:
    names = list(field_names or [])
    given = list(field_values or [])
    if len(names) != len(given) or len(names) > 50 or any(len(v) > 300 for v in given):
        raise InvalidInputError("承诺书字段无效 / invalid commitment fields")
    fields = dict(zip(names, given, strict=True))
    values: dict[str, Any] = {"made_on": made_on, "fields": fields}
    return _application_step(
        request,
        connection,
        principal,
        settings,
        application_id,
        "sign",
        values,
        lambda: applications.sign(
            connection,
            principal,
            application_id,
            values={k: v for k, v in fields.items() if v.strip()},
            made_on=parse_date(made_on, "made_on", default=today()),
            today=today(),
            settings=settings.records,
        ),
    )


@router.post("/applications/{application_id}/accept")
def accept(
    request: Request, application_id: Id, connection: Db, principal: FileCase, settings: AppSettings
) -> Response:
    return _application_step(
        request,
        connection,
        principal,
        settings,
        application_id,
        "accept",
        {},
        lambda: applications.accept(connection, principal, application_id, today=today()),
    )


@router.post("/applications/{application_id}/connect")
def connect(
    request: Request,
    application_id: Id,
    connection: Db,
    principal: FileCase,
    settings: AppSettings,
    connected_on: Annotated[str, Form(max_length=10, pattern=NO_NUL)] = "",
) -> Response:
    return _application_step(
        request,
        connection,
        principal,
        settings,
        application_id,
        "connect",
        {"connected_on": connected_on},
        lambda: applications.connect(
            connection,
            principal,
            application_id,
            connected_on=parse_date(connected_on, "connected_on"),
            today=today(),
        ),
    )


@router.post("/applications/{application_id}/reject")
def reject(
    request: Request,
    application_id: Id,
    connection: Db,
    principal: FileCase,
    settings: AppSettings,
    reason: Text = "",
) -> Response:
    return _application_step(
        request,
        connection,
        principal,
        settings,
        application_id,
        "reject",
        {"reason": reason},
        lambda: applications.reject(
            connection, principal, application_id, today=today(), reason=reason
        ),
    )


@router.post("/applications/{application_id}/withdraw")
def withdraw(
    request: Request,
    application_id: Id,
    connection: Db,
    principal: FileCase,
    settings: AppSettings,
    reason: Text = "",
) -> Response:
    return _application_step(
        request,
        connection,
        principal,
        settings,
        application_id,
        "withdraw",
        {"reason": reason},
        lambda: applications.withdraw(
            connection, principal, application_id, today=today(), reason=reason or None
        ),
    )
