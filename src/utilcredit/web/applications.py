"""Console pages of credit-based applications (信用办理): the list with the obligations due this
month, one application with its eligibility, the steps from the site survey to connection (or a
rejection or withdrawal), and its commitment letter. The new-application form is
``web/application_new.py``; what the counter pages share is ``web/counter.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Connection

from utilcredit.access.model import Permission, Principal
from utilcredit.applications import service as applications
from utilcredit.applications import zones as application_zones
from utilcredit.applications.model import ApplicationStatus
from utilcredit.applications.repository import ApplicationLine
from utilcredit.commitments import letters as commitment_letters
from utilcredit.commitments import reads as commitment_reads
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
from utilcredit.policies.model.credit_application import AddressType, Business
from utilcredit.policies.service import policy_at
from utilcredit.rating.dates import add_months
from utilcredit.web.counter import (
    DONE,
    PAGE,
    Day,
    Offset,
    Party,
    application_policies,
    document_response,
    letter_response,
    parse_date,
    parse_enum,
    party,
    render_page,
    writes,
)
from utilcredit.web.records import Filter, Id, Text
from utilcredit.web.rendering import evidence_of
from utilcredit.web.steps import (
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
    due = commitment_reads.obligations_due(connection, principal, start, end)
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


def _requirements(eligibility: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    if not eligibility or not isinstance(eligibility.get("requirements"), list):
        return []
    return [
        {**r, "evidence_all": evidence_of(r.get("outcome"))}
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
        commitment_reads.visible_commitment(connection, principal, line.commitment_id)
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
            **form_state(done, DONE, refusal),
        },
        status_code=status_of(refusal),
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


# ---- applications: the steps, from survey to connection -------------------------------------


def _survey(posted: Posted) -> object:
    address_type = posted.fields["address_type"]
    return applications.survey(
        posted.connection,
        posted.principal,
        posted.id,
        today=today(),
        address_type=parse_enum(AddressType, address_type, "address_type", optional=True),
        note=posted.fields["note"].strip() or None,
    )


def _check(posted: Posted) -> object:
    return applications.check(posted.connection, posted.principal, posted.id, today=today())


def _letter_fields(posted: Posted) -> dict[str, str]:
    """The commitment letter's fields as typed: the names and values posted side by side."""
    names = list(posted.fields["field_names"] or [])
    given = list(posted.fields["field_values"] or [])
    if len(names) != len(given) or len(names) > 50 or any(len(v) > 300 for v in given):
        raise InvalidInputError("承诺书字段无效 / invalid commitment fields")
    return dict(zip(names, given, strict=True))


def _sign_values(posted: Posted) -> dict[str, Any]:
    return {"made_on": posted.fields["made_on"], "fields": _letter_fields(posted)}


def _sign(posted: Posted) -> object:
    return applications.sign(
        posted.connection,
        posted.principal,
        posted.id,
        values={k: v for k, v in _letter_fields(posted).items() if v.strip()},
        made_on=parse_date(posted.fields["made_on"], "made_on", default=today()),
        today=today(),
        settings=posted.settings.records,
    )


def _accept(posted: Posted) -> object:
    return applications.accept(posted.connection, posted.principal, posted.id, today=today())


def _connect(posted: Posted) -> object:
    return applications.connect(
        posted.connection,
        posted.principal,
        posted.id,
        connected_on=parse_date(posted.fields["connected_on"], "connected_on"),
        today=today(),
    )


def _reject(posted: Posted) -> object:
    reason = posted.fields["reason"]
    return applications.reject(
        posted.connection, posted.principal, posted.id, today=today(), reason=reason
    )


def _withdraw(posted: Posted) -> object:
    reason = posted.fields["reason"]
    return applications.withdraw(
        posted.connection, posted.principal, posted.id, today=today(), reason=reason or None
    )


def _show(posted: Posted, refusal: Refusal) -> HTMLResponse:
    return _application_response(
        posted.request,
        posted.connection,
        posted.principal,
        posted.settings,
        posted.id,
        refusal=refusal,
    )


LetterFields = Annotated[list[str] | None, Form(alias="field_name")]
LetterValues = Annotated[list[str] | None, Form(alias="field_value")]

STEP_PAGE = StepPage(
    "/applications/{application_id}",
    show=_show,
    back=lambda posted, done: f"/applications/{posted.id}?done={done}",
)
STEPS = (
    Step(
        "survey",
        _survey,
        (
            form_field("address_type", Annotated[str, Form(max_length=64, pattern=NO_NUL)]),
            form_field("note", Text),
        ),
    ),
    Step("check", _check),
    Step(
        "sign",
        _sign,
        (
            form_field("made_on", Day),
            form_field("field_names", LetterFields, None),
            form_field("field_values", LetterValues, None),
        ),
        values=_sign_values,
    ),
    Step("accept", _accept),
    Step("connect", _connect, (form_field("connected_on", Day),)),
    Step("reject", _reject, (form_field("reason", Text),)),
    Step("withdraw", _withdraw, (form_field("reason", Text),)),
)
add_steps(router, STEP_PAGE, STEPS)
