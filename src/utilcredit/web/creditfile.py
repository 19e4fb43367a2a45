"""Console pages of the credit file (信用档案): the search, a subject's page (its file, the live
rating with its explanation, its dishonesty records, and the sections of the counter
(``web/counter.py``) and of notices (``web/subject_notices.py``)), the file's paged tables and
one evidence record of the explanation.

Thin like the API router (``api/routers/subjects.py``): parse, call the shared use cases,
render. A natural person is named by reference in every URL, never by ID number.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from utilcredit.access.visibility import visible_subject
from utilcredit.creditfile import service
from utilcredit.creditfile.model import RatingView
from utilcredit.errors import InvalidInputError, NotFoundError
from utilcredit.http.deps import AppSettings, Console, Db, Reader
from utilcredit.http.params import MAX_ID, NO_NUL, SubjectCode, masking
from utilcredit.identifiers import SUBJECT_REF_PREFIX
from utilcredit.localtime import today
from utilcredit.overrides.model import STATE_LABELS
from utilcredit.policies.model.levels import Level
from utilcredit.policies.service import shipped
from utilcredit.records import service as register
from utilcredit.web import counter, subject_notices
from utilcredit.web.rendering import evidence_of, render

router = APIRouter(include_in_schema=False)

PAGE = 20
SUBJECT_RECORDS = 10  # the newest of a subject's dishonesty records on its page

# ---- search ----------------------------------------------------------------------------


@router.get("/subjects")
def search_page(
    request: Request,
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    q: Annotated[str, Query(max_length=100, pattern=NO_NUL)] = "",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    page = service.search_subjects(
        connection, principal, q, offset=offset, limit=PAGE, rule=masking(settings)
    )
    template = (
        "partials/search_results.html" if request.headers.get("HX-Request") else "search.html"
    )
    return render(request, template, {"q": q, "page": page})


@router.get("/subjects/by-id/{subject_id}")
def subject_by_id(
    subject_id: Annotated[int, Path(ge=1, le=MAX_ID)], connection: Db, principal: Reader
) -> Response:
    """Earlier links to natural persons: on to the page under the subject's reference (never
    to a URL holding the ID number)."""
    # Resolved as a reference: another utility's subject is a 404 (audited) that names no code.
    code = service.resolve_subject(connection, principal, f"{SUBJECT_REF_PREFIX}{subject_id}")
    ref = service.subject_ref_of(connection, code)
    return RedirectResponse(f"/subjects/{ref}", status_code=303)


def _as_of(value: str | None) -> dt.date:
    if not value:
        return today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(f"日期无效：{value} / invalid date {value} (YYYY-MM-DD)") from None


@router.get("/subjects/{code}")
def credit_file_page(
    request: Request,
    code: SubjectCode,
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    console: Console,
    policy: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    as_of: Annotated[str | None, Query(max_length=10)] = None,
    unmasked: bool = False,
) -> Response:
    given = code
    code = service.resolve_subject(connection, principal, given)
    visible_subject(connection, principal, code)  # before anything answers: 404, audited
    ref = service.subject_ref_of(connection, code)
    if ref != given:
        # A natural person opened by ID number: on to the page under the reference, so the
        # number stays out of the address bar, the history and every link on the page.
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/subjects/{ref}{query}", status_code=303)
    day = _as_of(as_of)
    view = service.credit_file(
        connection, principal, code, unmasked=unmasked, rule=masking(settings)
    )
    rating: RatingView | None = None
    rating_error: str | None = None
    try:
        rating = service.rate_live(
            connection,
            principal,
            code,
            policy_key=policy,
            as_of=day,
            console=console,
            rule=masking(settings),
        )
    except (NotFoundError, InvalidInputError) as error:
        rating_error = str(error)
    policies = [item for item in shipped() if item.policy.utility.value in view.utilities]
    subject_records = register.list_records(
        connection, principal, subject_id=view.subject.id, limit=SUBJECT_RECORDS
    )
    clauses: list[dict[str, Any]] = []
    if rating is not None and isinstance(rating.explanation["clauses"], list):
        clauses = [
            {**c, "evidence_all": evidence_of(c.get("outcome"))}
            for c in rating.explanation["clauses"]
            if isinstance(c, dict)
        ]
    return render(
        request,
        "subject.html",
        {
            "code": view.subject.ref,  # links name a natural person by reference, not number
            "view": view,
            "rating": rating,
            "rating_error": rating_error,
            "clauses": clauses,
            "policies": policies,
            "as_of": day,
            "unmasked": unmasked,
            "levels": [level.value for level in (rating.policy.policy.levels if rating else Level)],
            "state_labels": STATE_LABELS,
            "min_expiry": day + dt.timedelta(days=1),
            "default_expiry": day + dt.timedelta(days=90),
            "records": subject_records,
            **counter.subject_section(request, connection, principal, code, console=console),
            **subject_notices.subject_section(
                request, connection, principal, code, settings=settings
            ),
        },
    )


TABLES = {"bills": service.bills, "payments": service.payments, "incidents": service.incidents}


@router.get("/subjects/{code}/table/{table}")
def credit_file_table(
    request: Request,
    code: SubjectCode,
    table: str,
    connection: Db,
    principal: Reader,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    loader = TABLES.get(table)
    if loader is None:
        raise NotFoundError("未找到 / not found")
    code = service.resolve_subject(connection, principal, code)
    page = loader(connection, principal, code, offset=offset, limit=PAGE)
    return render(
        request,
        f"partials/table_{table}.html",
        {"code": service.subject_ref_of(connection, code), "page": page, "table": table},
    )


@router.get("/subjects/{code}/evidence")
def evidence(
    request: Request,
    code: SubjectCode,
    connection: Db,
    principal: Reader,
    kind: Annotated[str, Query(max_length=16, pattern=NO_NUL)],
    ref: Annotated[str, Query(max_length=64, pattern=NO_NUL)],
    on: dt.date | None = None,
) -> Response:
    """One evidence record of the explanation (bill with payments, incident, report, account)."""
    code = service.resolve_subject(connection, principal, code)
    record = service.evidence(connection, principal, code, kind, ref, on)
    return render(request, "partials/evidence.html", {"kind": kind, "ref": ref, "record": record})
